import { Environment } from "@dbmesh/mesh";
import { createTRPCRouter } from "../trpc";
import { deleteEnvironment, listEnvironments, saveEnvironment } from "../services/mesh/environments";
import { notFound } from "../services/mutation";
import { meshCrudRouter } from "./mesh-crud";

export const environmentRouter = createTRPCRouter(
  meshCrudRouter({
    objectType: "environment",
    input: Environment,
    list: listEnvironments,
    get: async (tx, id) => {
      const found = (await listEnvironments(tx)).find((e) => e.id === id);
      if (!found) throw notFound("environment", id);
      return found;
    },
    save: (_ctx, tx, input, id) => saveEnvironment(tx, input, id),
    remove: deleteEnvironment,
  }),
);
