import { VirtualDatabase } from "@dbmesh/mesh";
import { createTRPCRouter } from "../trpc";
import {
  deleteVirtualDatabase,
  getVirtualDatabase,
  listVirtualDatabases,
  saveVirtualDatabase,
} from "../services/mesh/virtual-databases";
import { meshCrudRouter } from "./mesh-crud";

export const virtualDatabaseRouter = createTRPCRouter(
  meshCrudRouter({
    objectType: "virtual_database",
    input: VirtualDatabase,
    list: listVirtualDatabases,
    get: getVirtualDatabase,
    save: (_ctx, tx, input, id) => saveVirtualDatabase(tx, input, id),
    remove: deleteVirtualDatabase,
  }),
);
