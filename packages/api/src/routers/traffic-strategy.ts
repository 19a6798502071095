import { TrafficStrategy } from "@dbmesh/mesh";
import { createTRPCRouter } from "../trpc";
import { deleteStrategy, getStrategy, listStrategies, saveStrategy } from "../services/mesh/traffic-strategies";
import { meshCrudRouter } from "./mesh-crud";

export const trafficStrategyRouter = createTRPCRouter(
  meshCrudRouter({
    objectType: "traffic_strategy",
    input: TrafficStrategy,
    list: listStrategies,
    get: getStrategy,
    save: (_ctx, tx, input, id) => saveStrategy(tx, input, id),
    remove: deleteStrategy,
  }),
);
