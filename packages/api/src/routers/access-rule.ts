import { AccessRule } from "@dbmesh/mesh";
import { createTRPCRouter, procedure } from "../trpc";
import { tryStatement, TryStatementInput } from "../services/access-try";
import { deleteAccessRule, getAccessRule, listAccessRules, saveAccessRule } from "../services/mesh/access-rules";
import { meshCrudRouter } from "./mesh-crud";

export const accessRuleRouter = createTRPCRouter({
  ...meshCrudRouter({
    objectType: "access_rule",
    input: AccessRule,
    list: listAccessRules,
    get: getAccessRule,
    save: (_ctx, tx, input, id) => saveAccessRule(tx, input, id),
    remove: deleteAccessRule,
  }),
  /** "Try a statement": the decision the agent would take, with its rule and tables. */
  tryStatement: procedure.input(TryStatementInput).query(({ ctx, input }) => tryStatement(ctx, input)),
});
