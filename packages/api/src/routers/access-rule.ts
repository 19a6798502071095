import { AccessRule } from "@dbmesh/mesh";
import { createTRPCRouter } from "../trpc";
import { deleteAccessRule, getAccessRule, listAccessRules, saveAccessRule } from "../services/mesh/access-rules";
import { meshCrudRouter } from "./mesh-crud";

export const accessRuleRouter = createTRPCRouter(
  meshCrudRouter({
    objectType: "access_rule",
    input: AccessRule,
    list: listAccessRules,
    get: getAccessRule,
    save: (_ctx, tx, input, id) => saveAccessRule(tx, input, id),
    remove: deleteAccessRule,
  }),
);
