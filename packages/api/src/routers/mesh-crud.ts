import type { TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";
import type { Context } from "../context";
import { procedure } from "../trpc";
import { mutate, type Tx } from "../services/mutation";

const IdInput = z.object({ id: z.string().min(1) });

/**
 * list/get/create/update/delete for one mesh kind. Every write runs in one transaction with its
 * audit row and a mesh revision bump (see mutate()).
 */
export function meshCrudRouter<TInput extends z.ZodType<{ name: string }>, TView>(kind: {
  objectType: string;
  input: TInput;
  list: (tx: Tx) => Promise<TView[]>;
  get: (tx: Tx, id: string) => Promise<TView>;
  save: (ctx: Context, tx: Tx, input: z.output<TInput>, id?: string) => Promise<{ id: string; before: unknown; after: unknown }>;
  remove: (tx: Tx, id: string) => Promise<{ name: string; before: unknown }>;
}) {
  const { objectType } = kind;
  return {
    list: procedure.query(({ ctx }) => kind.list(ctx.db)),
    get: procedure.input(IdInput).query(({ ctx, input }) => kind.get(ctx.db, input.id)),
    create: procedure.input(kind.input).mutation(({ ctx, input: raw }) =>
      mutate(ctx, { mesh: true }, async (tx, audit) => {
        // tRPC cannot infer a generic parser's output; the parser above has produced exactly this.
        const input = raw as z.output<TInput>;
        const saved = await kind.save(ctx, tx, input);
        await audit({ action: `${objectType}.create`, objectType, objectId: saved.id, objectName: input.name, after: saved.after });
        return { id: saved.id };
      }),
    ),
    update: procedure.input(z.object({ id: z.string().min(1), data: kind.input })).mutation(({ ctx, input: raw }) =>
      mutate(ctx, { mesh: true }, async (tx, audit) => {
        const input = raw as { id: string; data: z.output<TInput> };
        const saved = await kind.save(ctx, tx, input.data, input.id);
        await audit({
          action: `${objectType}.update`,
          objectType,
          objectId: saved.id,
          objectName: input.data.name,
          before: saved.before,
          after: saved.after,
        });
        return { id: saved.id };
      }),
    ),
    delete: procedure.input(IdInput).mutation(({ ctx, input }) =>
      mutate(ctx, { mesh: true }, async (tx, audit) => {
        const removed = await kind.remove(tx, input.id);
        await audit({ action: `${objectType}.delete`, objectType, objectId: input.id, objectName: removed.name, before: removed.before });
        return { id: input.id };
      }),
    ),
  } satisfies TRPCRouterRecord;
}
