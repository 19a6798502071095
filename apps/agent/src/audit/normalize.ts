// Statement text for the audit log: literal values replaced by `$n` (as pg_stat_statements shows them), so
// that the log neither stores the data a statement carried nor grows a group per value; and a fingerprint of
// that text to group by. One pass, PostgreSQL's lexer rules in miniature: numbers, '…' strings (with their E,
// B, X, N, U& prefixes and backslash escapes in E''), and dollar-quoted strings become parameters; identifiers,
// "quoted names", `$1` parameters and comments stay as they are.
//
// Normalized texts are cached per analysis (see session-audit.ts), and the analyzer shares one analysis
// between texts that differ only in numeric and standard '…' literals: this scanner therefore replaces at
// least every literal that @dbmesh/sql's literal-shape key replaces, so texts sharing an analysis share a
// normalized text.

import { commentEnd, dollarTagLength, isDigit, isIdentCont, isIdentStart, maxParameter, quotedEnd } from "@dbmesh/sql";

const QUOTE = 0x27;
const DOUBLE_QUOTE = 0x22;
const DOLLAR = 0x24;
const MINUS = 0x2d;
const SLASH = 0x2f;
const DOT = 0x2e;
const SEMICOLON = 0x3b;
const AMPERSAND = 0x26;






/** The text with every literal value replaced by `$n`. */
export function normalizeStatement(sql: string): string {
  const n = sql.length;
  let out = "";
  let copied = 0;
  let param = sql.includes("$") ? maxParameter(sql) : 0;
  let i = 0;
  const replace = (start: number, end: number) => {
    out += sql.slice(copied, start) + "$" + ++param;
    copied = end;
    i = end;
  };
  while (i < n) {
    const c = sql.charCodeAt(i);
    if (isIdentStart(c)) {
      const start = i;
      i++;
      while (i < n && isIdentCont(sql.charCodeAt(i))) i++;
      // A prefixed string: E'…', B'…', X'…', N'…' (one letter right before the quote), U&'…'.
      if (i < n && sql.charCodeAt(i) === QUOTE && i - start === 1) {
        const p = c | 0x20;
        if (p === 0x65 || p === 0x62 || p === 0x78 || p === 0x6e) replace(start, quotedEnd(sql, i, p === 0x65));
      } else if (i - start === 1 && (c | 0x20) === 0x75 && sql.charCodeAt(i) === AMPERSAND && sql.charCodeAt(i + 1) === QUOTE) {
        replace(start, quotedEnd(sql, i + 1, false));
      }
      continue;
    }
    if (isDigit(c) || (c === DOT && isDigit(sql.charCodeAt(i + 1)))) {
      const start = i;
      while (i < n) {
        const d = sql.charCodeAt(i);
        if (isDigit(d) || d === DOT || d === 0x5f || ((d | 0x20) >= 0x61 && (d | 0x20) <= 0x66) || (d | 0x20) === 0x78 || (d | 0x20) === 0x6f) {
          i++;
          continue;
        }
        // An exponent's sign: 1e+5, 1E-5.
        if ((d === 0x2b || d === MINUS) && ((sql.charCodeAt(i - 1) | 0x20) === 0x65) && !/^0x/i.test(sql.slice(start, i))) {
          i++;
          continue;
        }
        break;
      }
      // `1..2` is not a number range in SQL, but never eat a second dot.
      replace(start, i);
      continue;
    }
    switch (c) {
      case QUOTE:
        replace(i, quotedEnd(sql, i, false));
        continue;
      case DOUBLE_QUOTE: {
        const end = sql.indexOf('"', i + 1);
        i = end === -1 ? n : end + 1;
        while (i < n && sql.charCodeAt(i) === DOUBLE_QUOTE) {
          const next = sql.indexOf('"', i + 1);
          i = next === -1 ? n : next + 1;
        }
        continue;
      }
      case DOLLAR: {
        const tag = dollarTagLength(sql, i);
        if (tag === 0) {
          i++;
          while (i < n && isDigit(sql.charCodeAt(i))) i++;
          continue;
        }
        const close = sql.indexOf(sql.slice(i, i + tag), i + tag);
        replace(i, close === -1 ? n : close + tag);
        continue;
      }
      case MINUS:
      case SLASH: {
        const end = commentEnd(sql, i);
        i = end === -1 ? i + 1 : end;
        continue;
      }
      default:
        i++;
    }
  }
  return copied === 0 ? sql : out + sql.slice(copied);
}

/**
 * The [start, end) ranges of the statements in a simple Query text, split at top-level semicolons (not in
 * strings, quoted names, dollar quotes or comments); blank pieces are left out. The caller checks the count
 * against the parser's (a `BEGIN ATOMIC … END` body holds semicolons of its own).
 */
export function splitStatements(sql: string): [number, number][] {
  const n = sql.length;
  const ranges: [number, number][] = [];
  let start = 0;
  let i = 0;
  const push = (end: number) => {
    if (sql.slice(start, end).trim() !== "") ranges.push([start, end]);
  };
  while (i < n) {
    const c = sql.charCodeAt(i);
    if (c === SEMICOLON) {
      push(i);
      start = ++i;
      continue;
    }
    if (c === QUOTE) {
      const prev = i > 0 ? sql.charCodeAt(i - 1) | 0x20 : 0;
      const backslash = prev === 0x65 && (i < 2 || !isIdentCont(sql.charCodeAt(i - 2)));
      i = quotedEnd(sql, i, backslash);
      continue;
    }
    if (c === DOUBLE_QUOTE) {
      const end = sql.indexOf('"', i + 1);
      i = end === -1 ? n : end + 1;
      continue;
    }
    if (c === DOLLAR && (i === 0 || !isIdentCont(sql.charCodeAt(i - 1)))) {
      const tag = dollarTagLength(sql, i);
      if (tag > 0) {
        const close = sql.indexOf(sql.slice(i, i + tag), i + tag);
        i = close === -1 ? n : close + tag;
        continue;
      }
    }
    if (c === MINUS || c === SLASH) {
      const end = commentEnd(sql, i);
      if (end !== -1) {
        i = end;
        continue;
      }
    }
    if (isIdentStart(c)) {
      // Skip whole words, so that `$` inside an identifier never starts a dollar quote.
      i++;
      while (i < n && isIdentCont(sql.charCodeAt(i))) i++;
      continue;
    }
    i++;
  }
  push(n);
  return ranges;
}

/** 16 hex digits of FNV-1a (64-bit, as two 32-bit halves) over the normalized text with whitespace runs folded. */
export function statementFingerprint(normalized: string): string {
  let h1 = 0x811c9dc5;
  let h2 = 0xcbf29ce4;
  let space = true; // leading whitespace is dropped
  for (let i = 0; i < normalized.length; i++) {
    let c = normalized.charCodeAt(i);
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0c) {
      if (space) continue;
      space = true;
      c = 0x20;
    } else space = false;
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c ^ (h1 >>> 16), 0x01000193);
  }
  return (h1 >>> 0).toString(16).padStart(8, "0") + (h2 >>> 0).toString(16).padStart(8, "0");
}
