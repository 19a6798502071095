import { createHash } from "node:crypto";
import { createTwoFilesPatch, diffLines } from "diff";

export function schemaHash(schema: string): string {
  return createHash("sha256").update(schema).digest("hex");
}

/** A unified diff of two schema descriptions ("" when they are the same). */
export function unifiedSchemaDiff(before: string, after: string, labels: [string, string] = ["before", "after"]): string {
  if (before === after) return "";
  return createTwoFilesPatch(labels[0], labels[1], before, after, "", "", { context: 3 });
}

export interface SideBySideRow {
  left: string | null;
  right: string | null;
  change: "same" | "removed" | "added" | "changed";
}

/**
 * Rows for a side-by-side view: unchanged lines on both sides, a removed block next to the added
 * block that replaced it (as "changed"), and the rest padded on the other side.
 */
export function sideBySide(before: string, after: string): SideBySideRow[] {
  const rows: SideBySideRow[] = [];
  const parts = diffLines(before, after);
  const lines = (v: string) => v.replace(/\n$/, "").split("\n");
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (!part.added && !part.removed) {
      for (const l of lines(part.value)) rows.push({ left: l, right: l, change: "same" });
    } else if (part.removed) {
      const removed = lines(part.value);
      const next = parts[i + 1];
      const added = next?.added ? lines(next.value) : [];
      if (next?.added) i++;
      const n = Math.max(removed.length, added.length);
      for (let j = 0; j < n; j++) {
        const left = removed[j] ?? null;
        const right = added[j] ?? null;
        rows.push({ left, right, change: left !== null && right !== null ? "changed" : left !== null ? "removed" : "added" });
      }
    } else {
      for (const l of lines(part.value)) rows.push({ left: null, right: l, change: "added" });
    }
  }
  return rows;
}
