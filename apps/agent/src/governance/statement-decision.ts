import type { DecidedTable, StatementKind } from "@dbmesh/mesh";

/**
 * The agent's verdict on one client text (a Query, a Parse, a Bind of a prepared statement, a FunctionCall), in
 * one place for whoever reports on it (the SQL audit reads `ClientSession.decision`). Shared and frozen: the
 * allowed ones come from a cache, so nobody may change one.
 */
export interface StatementDecision {
  /** Of the first statement of the text. */
  readonly kind: StatementKind;
  /** Every table with its operation, resolved to a schema (an unqualified name once per schema it may reach), and every opaque or dangerous call. */
  readonly tables: readonly DecidedTable[];
  readonly allowed: boolean;
  /** The access rule that decided, null when the default (or a limit) did. */
  readonly rule: string | null;
  /** Why, in words (the error message of a refusal). */
  readonly reason: string;
  /** SQLSTATE of a refusal (42501 access, 42601 unparsable, 53400 rate limit); null when allowed. */
  readonly sqlstate: string | null;
}

export const SQLSTATE_ACCESS_DENIED = "42501";
export const SQLSTATE_SYNTAX_ERROR = "42601";
export const SQLSTATE_RATE_LIMITED = "53400";
