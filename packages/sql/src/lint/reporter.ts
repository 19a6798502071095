import type { Json, ReadStatement } from "./read-statements";

export interface RawFinding {
  code: string;
  message: string;
  statementIndex: number;
  /** String index in the migration text. */
  index: number;
}

/** Collects the findings of one statement; a location is a byte offset from its tree, or a string index. */
export class Reporter {
  constructor(
    private readonly statement: ReadStatement,
    private readonly out: RawFinding[],
  ) {}

  report(code: string, message: string, location?: unknown): RawFinding {
    return this.reportAt(code, message, this.statement.indexOf(typeof location === "number" ? location : undefined));
  }

  /** At a string index of the migration text. */
  reportAt(code: string, message: string, index: number): RawFinding {
    const finding = { code, message, statementIndex: this.statement.info.index, index };
    this.out.push(finding);
    return finding;
  }

  retract(finding: RawFinding): void {
    const i = this.out.indexOf(finding);
    if (i !== -1) this.out.splice(i, 1);
  }
}

export const relName = (relation: unknown): string => String((relation as Json | undefined)?.relname ?? "");
export const relLocation = (relation: unknown): unknown => (relation as Json | undefined)?.location;
export const strings = (list: unknown): string[] =>
  Array.isArray(list) ? list.map((n) => String(((n as Json).String as Json | undefined)?.sval ?? "")) : [];
