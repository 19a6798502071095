import type { ColumnType } from "./migration-state";
import type { Json } from "./read-statements";

// Column types as the parser gives them: `names` is ["pg_catalog", "int4"] for SQL-standard spellings
// (integer, timestamp, varchar…) and the bare name otherwise ("text", "serial", "jsonb").

const SERIALS = new Set(["serial", "serial4", "bigserial", "serial8", "smallserial", "serial2"]);

function names(typeName: Json): string[] {
  return ((typeName.names ?? []) as Json[]).map((n) => String((n.String as Json | undefined)?.sval ?? ""));
}

/** The type's own name when it is a built-in one (bare or pg_catalog-qualified), else null. */
function builtinName(typeName: Json): string | null {
  const n = names(typeName);
  if (n.length === 1) return n[0]!;
  if (n.length === 2 && n[0] === "pg_catalog") return n[1]!;
  return null;
}

export function columnTypeOf(typeName: Json): ColumnType {
  const typmods = ((typeName.typmods ?? []) as Json[]).map((m) => {
    const constant = m.A_Const as Json | undefined;
    return Number(((constant?.ival as Json | undefined)?.ival as number | undefined) ?? 0);
  });
  const array = Array.isArray(typeName.arrayBounds) && typeName.arrayBounds.length > 0;
  return { name: (names(typeName).at(-1) ?? "") + (array ? "[]" : ""), typmods };
}

/** The SQL spelling people write for the parser's internal type names. */
const SPELLING: Record<string, string> = {
  int2: "smallint",
  int4: "integer",
  int8: "bigint",
  float4: "real",
  float8: "double precision",
  bool: "boolean",
  bpchar: "char",
};

export function typeLabel(typeName: Json): string {
  const name = names(typeName).at(-1) ?? "";
  return SPELLING[name] ?? name;
}

/** "varchar(32)", "numeric(12,2)", "bigint". */
export function columnTypeLabel(type: ColumnType): string {
  const base = type.name.endsWith("[]") ? type.name.slice(0, -2) : type.name;
  const spelt = (SPELLING[base] ?? base) + (type.typmods.length > 0 ? `(${type.typmods.join(",")})` : "");
  return type.name.endsWith("[]") ? `${spelt}[]` : spelt;
}

export function isSerial(typeName: Json): boolean {
  const n = names(typeName);
  return n.length === 1 && SERIALS.has(n[0]!);
}

export function isJson(typeName: Json): boolean {
  return builtinName(typeName) === "json";
}

export function isTimestampWithoutZone(typeName: Json): boolean {
  return builtinName(typeName) === "timestamp";
}

/** [length, alignment] of fixed-width built-in types (pg_type.typlen, typalign). */
const FIXED: Record<string, [number, number]> = {
  bool: [1, 1],
  int2: [2, 2],
  smallserial: [2, 2],
  serial2: [2, 2],
  int4: [4, 4],
  serial: [4, 4],
  serial4: [4, 4],
  float4: [4, 4],
  date: [4, 4],
  oid: [4, 4],
  int8: [8, 8],
  bigserial: [8, 8],
  serial8: [8, 8],
  float8: [8, 8],
  money: [8, 8],
  time: [8, 8],
  timestamp: [8, 8],
  timestamptz: [8, 8],
  macaddr8: [8, 4],
  macaddr: [6, 4],
  timetz: [12, 8],
  interval: [16, 8],
  uuid: [16, 1],
  point: [16, 8],
};

function rowSize(columns: [number, number][]): number {
  let offset = 0;
  for (const [length, align] of columns) offset = Math.ceil(offset / align) * align + length;
  return Math.ceil(offset / 8) * 8; // a tuple is MAXALIGNed
}

/**
 * Bytes per row that reordering would save, counting the fixed-width columns declared before the first
 * variable-width one (after it, offsets depend on the data). 0 when ordering them by alignment saves nothing.
 */
export function alignmentWaste(typeNames: (Json | undefined)[]): number {
  const fixed: [number, number][] = [];
  for (const typeName of typeNames) {
    const name = typeName === undefined ? null : builtinName(typeName);
    const isArray = Array.isArray(typeName?.arrayBounds) && (typeName.arrayBounds as unknown[]).length > 0;
    const size = name === null || isArray ? undefined : FIXED[name];
    if (size === undefined) break;
    fixed.push(size);
  }
  const sorted = [...fixed].sort((a, b) => b[1] - a[1]);
  return rowSize(fixed) - rowSize(sorted);
}

/** PostgreSQL's fully reserved key words: a table or column so named must be double-quoted everywhere. */
const RESERVED = new Set(
  (
    "all analyse analyze and any array as asc asymmetric both case cast check collate column constraint create " +
    "current_catalog current_date current_role current_time current_timestamp current_user default deferrable desc " +
    "distinct do else end except false fetch for foreign from grant group having in initially intersect into lateral " +
    "leading limit localtime localtimestamp not null offset on only or order placing primary references returning " +
    "select session_user some symmetric system_user table then to trailing true union unique user using variadic when " +
    "where window with"
  ).split(" "),
);

/** "createdAt" → "created_at", "Order Lines" → "order_lines". */
export function snakeCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, "_")
    .replace(/^_+|_+$/g, "");
}

/** Why `name` can only be written double-quoted, else null. */
export function quotingNeed(name: string): string | null {
  if (RESERVED.has(name)) return "is a reserved word";
  // Unquoted names may hold any non-ASCII letter; only ASCII upper case is folded away.
  if (!/^[a-z_\u0080-\uffff][a-z0-9_$\u0080-\uffff]*$/.test(name)) {
    return /[A-Z]/.test(name) ? "has upper-case letters" : "has characters beyond letters, digits and _";
  }
  return null;
}
