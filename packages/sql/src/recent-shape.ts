import type { Entry } from "./analysis-cache";
import type { ShapeTemplate } from "./literal-key";

/**
 * A caller's memo of the literal shape it analyzed last, for SqlAnalyzer.analyze(): one per client session,
 * since a client mostly sends its own few statements again and again with new values (pgbench, clients that
 * inline literals). Its contents are the analyzer's.
 */
export class RecentShape {
  template: ShapeTemplate | null = null;
  entry: Entry | null = null;
}
