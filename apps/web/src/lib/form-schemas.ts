import { Labels } from "@dbmesh/mesh";
import { z } from "zod";

// Form-shaped wrappers around the mesh schemas: the same field rules (taken from @dbmesh/mesh), with
// maps edited as rows and lists edited as one-per-line text. The server validates the mesh shape again.

/** One `key = value` row of a label map, with the mesh's own key and value rules. */
export const LabelRow = z.object({ key: Labels.keyType, value: Labels.valueType });

export const LabelRows = z.array(LabelRow).superRefine((rows, ctx) => {
  const seen = new Set<string>();
  rows.forEach((r, i) => {
    if (seen.has(r.key)) ctx.addIssue({ code: "custom", message: `"${r.key}" appears twice`, path: [i, "key"] });
    seen.add(r.key);
  });
});
export type LabelRowsInput = z.input<typeof LabelRows>;

/** One entry per line; blank lines are ignored. */
export function lines<T extends z.ZodType<unknown, string>>(item: T) {
  return z
    .string()
    .transform((s) =>
      s
        .split("\n")
        .map((l) => l.trim())
        .filter(Boolean),
    )
    .pipe(z.array(item));
}
