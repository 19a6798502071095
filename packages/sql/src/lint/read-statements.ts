import type { ParseOutcome, ParseTree } from "../pg-parser";
import { commandTag, isTransactional } from "./statement-kind";
import {
  SourceText,
  skipTrivia,
  type Token,
  tokenize,
  trimTrailingTrivia,
  unterminatedCommentStart,
  utf8Length,
} from "./source-text";
import type { MigrationStatement } from "./types";

// Splits a migration into statements with PostgreSQL's own parser: its tree says where each statement starts
// and ends, so dollar-quoted bodies, semicolons in strings and BEGIN ATOMIC bodies need no second grammar.
// A syntax error is located by parsing prefixes of the text (cut only between tokens): a prefix that stops
// before the offending token parses, or fails only "at end of input"; one that includes it fails the same way
// the whole text does. A binary search finds that token in ~log2(tokens) parses.

export type Json = Record<string, unknown>;

export interface Parse {
  (sql: string): ParseOutcome;
}

/** A parsed statement: its public description, its node, and how to turn its node locations into positions. */
export interface ReadStatement {
  info: MigrationStatement;
  /** The statement's node type ("CreateStmt") and body. */
  type: string;
  body: Json;
  /** String index of a location (a UTF-8 byte offset) found in `body`; the statement's start when undefined. */
  indexOf(location: number | undefined): number;
  /**
   * String index of the first token at or after string index `from` that spells the identifier `name` (bare or
   * quoted). For the parts of a statement that the tree gives no location (DROP COLUMN c, SET NOT NULL…).
   */
  findName(name: string, from: number): number | undefined;
}

export interface ReadResult {
  statements: ReadStatement[];
  parseError: { message: string; index: number } | null;
}

const END_OF_INPUT = "at end of input";
/** Recovery after a syntax error re-parses the rest; a text made of nothing but errors must not cost more. */
const MAX_RECOVERIES = 20;

export function readStatements(parse: Parse, source: SourceText): ReadResult {
  const text = source.text;
  const statements: ReadStatement[] = [];
  let parseError: ReadResult["parseError"] = null;
  let from = 0;
  for (let attempt = 0; attempt <= MAX_RECOVERIES && from < text.length; attempt++) {
    const segment = from === 0 ? text : text.slice(from);
    if (skipTrivia(segment, 0) === segment.length) break; // comments and blanks only
    const outcome = parse(segment);
    if (outcome.ok) {
      addStatements(statements, source, outcome.tree, from, segment.length);
      break;
    }
    const tokens = tokenize(segment);
    const errorAt = outcome.reason === "syntax" ? locateError(parse, segment, tokens, outcome.message) : 0;
    parseError ??= { message: outcome.message, index: from + errorAt };
    // What came before the error: the longest prefix that ends at a semicolon and parses.
    const before = tokens.filter((t) => t.kind === ";" && t.end <= errorAt);
    let statementStart = 0;
    for (let i = before.length - 1; i >= Math.max(0, before.length - 5); i--) {
      const prefix = parse(segment.slice(0, before[i]!.end));
      if (prefix.ok) {
        addStatements(statements, source, prefix.tree, from, before[i]!.end);
        statementStart = before[i]!.end;
        break;
      }
    }
    if (outcome.reason !== "syntax") break;
    // Go on after the semicolon that ends the broken statement, so that later statements are still linted.
    const next = statementEnd(segment, tokens, statementStart, errorAt);
    if (next === undefined) break;
    from += next;
  }
  return { statements, parseError };
}

/**
 * Where the statement starting at `start` ends, after `errorAt`: the next semicolon, except inside the body of a
 * CREATE FUNCTION/PROCEDURE … BEGIN ATOMIC … END, whose semicolons are its own (psql counts BEGIN/CASE/END the same way).
 */
function statementEnd(segment: string, tokens: Token[], start: number, errorAt: number): number | undefined {
  const words = tokens.filter((t) => t.start >= start);
  const head = words
    .slice(0, 4)
    .map((t) => segment.slice(t.start, t.end).toLowerCase())
    .join(" ");
  const routine = /^create (or replace )?(function|procedure)\b/.test(head);
  let depth = 0;
  for (const token of words) {
    if (token.kind === ";") {
      if (depth === 0 && token.start >= errorAt) return token.end;
      continue;
    }
    if (!routine) continue;
    const word = segment.slice(token.start, token.end).toLowerCase();
    if (word === "begin") depth++;
    else if (word === "case" && depth > 0) depth++;
    else if (word === "end" && depth > 0) depth--;
  }
  return undefined;
}

function addStatements(out: ReadStatement[], source: SourceText, tree: ParseTree, from: number, length: number): void {
  const text = source.text;
  const byteBase = from === 0 ? 0 : utf8Length(text, from);
  const segmentEnd = from + length;
  for (const raw of tree.stmts ?? []) {
    const [type, body] = Object.entries(raw.stmt)[0] as [string, Json];
    const loc = raw.stmt_location ?? 0;
    const rawStart = source.charIndex(byteBase + loc);
    const rawEnd = raw.stmt_len ? source.charIndex(byteBase + loc + raw.stmt_len) : segmentEnd;
    const start = skipTrivia(text, rawStart, rawEnd);
    const end = trimTrailingTrivia(text, start, rawEnd);
    const startPos = source.position(start);
    let tokens: Token[] | null = null;
    const endPos = source.position(end);
    out.push({
      info: {
        index: out.length,
        text: text.slice(start, end),
        startLine: startPos.line,
        startColumn: startPos.column,
        endLine: endPos.line,
        endColumn: endPos.column,
        kind: commandTag(type, body),
        transactional: isTransactional(type, body),
      },
      type,
      body,
      indexOf: (location) => (location === undefined || location < 0 ? start : source.charIndex(byteBase + location)),
      findName: (name, from) => {
        tokens ??= tokenize(text.slice(start, end));
        const quoted = `"${name.replace(/"/g, '""')}"`;
        for (const token of tokens) {
          if (start + token.start < from) continue;
          const spelt = text.slice(start + token.start, start + token.end);
          // PostgreSQL folds only ASCII letters of unquoted names (in UTF-8 databases).
          if (spelt === quoted || spelt.replace(/[A-Z]/g, (c) => c.toLowerCase()) === name) return start + token.start;
        }
        return undefined;
      },
    });
  }
}

/** String index (in `segment`) of the token where PostgreSQL's parser stops. */
function locateError(parse: Parse, segment: string, tokens: { start: number; end: number }[], message: string): number {
  if (tokens.length === 0) return 0;
  const last = tokens[tokens.length - 1]!;
  if (message.endsWith(END_OF_INPUT)) return last.end;
  // prefixFails(k): the text up to the end of token k fails before its end. False for k = -1, true for the last.
  const prefixFails = (k: number): boolean => {
    const outcome = parse(segment.slice(0, tokens[k]!.end));
    return !outcome.ok && !(outcome.reason === "syntax" && outcome.message.endsWith(END_OF_INPUT));
  };
  // Every token parses: the error is in what follows the last one, an unterminated comment.
  if (!prefixFails(tokens.length - 1)) return unterminatedCommentStart(segment, last.end);
  let lo = 0;
  let hi = tokens.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (prefixFails(mid)) hi = mid;
    else lo = mid + 1;
  }
  return tokens[lo]!.start;
}
