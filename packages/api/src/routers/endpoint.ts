import { DatabaseEndpoint } from "@dbmesh/mesh";
import { z } from "zod";
import { createTRPCRouter, procedure } from "../trpc";
import { decryptSecret } from "../crypto/secret-box";
import { testPostgresConnection, type ConnectionTestResult } from "../services/connection-test";
import { deleteEndpoint, getEndpoint, listEndpoints, saveEndpoint } from "../services/mesh/endpoints";
import { mutate, notFound } from "../services/mutation";
import { meshCrudRouter } from "./mesh-crud";

const notYet: ConnectionTestResult = {
  reachable: false,
  serverVersion: null,
  latencyMs: null,
  error: "testing MySQL endpoints is not supported yet (the agent speaks PostgreSQL only)",
};

export const endpointRouter = createTRPCRouter({
  ...meshCrudRouter({
    objectType: "endpoint",
    input: DatabaseEndpoint,
    list: listEndpoints,
    get: getEndpoint,
    save: (ctx, tx, input, id) => saveEndpoint(tx, input, ctx.env.DBMESH_SECRET_KEY, id),
    remove: deleteEndpoint,
  }),

  /** Tests a saved endpoint with its stored (decrypted server-side) password. */
  test: procedure.input(z.object({ id: z.string().min(1) })).mutation(async ({ ctx, input }) => {
    const ep = await ctx.db.databaseEndpoint.findUnique({ where: { id: input.id } });
    if (!ep) throw notFound("endpoint", input.id);
    const result =
      ep.protocol === "MYSQL"
        ? notYet
        : await testPostgresConnection({
            ...ep,
            password: ep.passwordEnc ? decryptSecret(ep.passwordEnc, ctx.env.DBMESH_SECRET_KEY) : null,
          });
    await mutate(ctx, { mesh: false }, (_tx, audit) =>
      audit({ action: "endpoint.test", objectType: "endpoint", objectId: ep.id, objectName: ep.name, after: result }),
    );
    return result;
  }),

  /** Tests what the form holds before it is saved; a blank password on an existing endpoint uses the stored one. */
  testDraft: procedure
    .input(z.object({ id: z.string().optional(), data: DatabaseEndpoint }))
    .mutation(async ({ ctx, input }) => {
      if (input.data.protocol === "MYSQL") return notYet;
      let password = input.data.password || null;
      if (!password && input.id) {
        const ep = await ctx.db.databaseEndpoint.findUnique({ where: { id: input.id } });
        password = ep?.passwordEnc ? decryptSecret(ep.passwordEnc, ctx.env.DBMESH_SECRET_KEY) : null;
      }
      const result = await testPostgresConnection({ ...input.data, password });
      await mutate(ctx, { mesh: false }, (_tx, audit) =>
        audit({ action: "endpoint.test", objectType: "endpoint", objectId: input.id ?? null, objectName: input.data.name, after: result }),
      );
      return result;
    }),
});
