// The text circuit-break regexes are matched against: one statement as the parser reads it, not as the client
// spelled it, so that a comment, odd spacing, case or quoting cannot walk a statement around a regex. One pass,
// PostgreSQL's lexer rules in miniature:
// - comments (`--`, nested `/* */`) and whitespace are separators: every run of them becomes one space, and
//   none is left at either end;
// - unquoted keywords and names are lower-cased (as PostgreSQL folds them); a quoted name that needs no quotes
//   (`"orders"`) is written bare, so `DROP TABLE "t"` reads `drop table t`;
// - literal values (numbers, '…' strings with any prefix, dollar-quoted strings) become `$n`, numbered after the
//   text's own highest `$n` parameter, as pg_stat_statements shows them. This is what lets one analysis be
//   shared by texts that differ only in literals (see literal-key.ts): every literal the shape key replaces is
//   replaced here too, so such texts get the same match text. Regexes therefore never see literal values;
// - two tokens that the separators removed would run together (`table"t"`) keep one space between them.

import { commentEnd, dollarTagLength, isDigit, isIdentCont, isIdentStart, maxParameter, quotedEnd } from "./sql-lexer";

const TAB = 0x09;
const LF = 0x0a;
const VT = 0x0b;
const FF = 0x0c;
const CR = 0x0d;
const SPACE = 0x20;
const QUOTE = 0x27;
const DOUBLE_QUOTE = 0x22;
const DOLLAR = 0x24;
const AMPERSAND = 0x26;
const MINUS = 0x2d;
const PLUS = 0x2b;
const SLASH = 0x2f;
const DOT = 0x2e;

function isSpace(c: number): boolean {
  return c === SPACE || c === TAB || c === LF || c === CR || c === FF || c === VT;
}




/** End of the number starting at `i` (PostgreSQL's decimal, exponent, 0x/0o/0b and `_` forms). */
function numberEnd(sql: string, i: number): number {
  const n = sql.length;
  const start = i;
  let dot = false;
  while (i < n) {
    const d = sql.charCodeAt(i);
    const l = d | 0x20;
    if (d === DOT) {
      // One dot at most, and never the first of `1..2`.
      if (dot || sql.charCodeAt(i + 1) === DOT) break;
      dot = true;
      i++;
      continue;
    }
    if (isDigit(d) || d === 0x5f || (l >= 0x61 && l <= 0x66) || l === 0x78 || l === 0x6f) {
      i++;
      continue;
    }
    // An exponent's sign: 1e+5, 1E-5.
    if ((d === PLUS || d === MINUS) && (sql.charCodeAt(i - 1) | 0x20) === 0x65 && !/^0x/i.test(sql.slice(start, i))) {
      i++;
      continue;
    }
    break;
  }
  return i;
}

const BARE_NAME = /^[a-z_][a-z0-9_$]*$/;


/**
 * The match text of each statement of `sql`, given the statements' [start, end) ranges (in characters).
 * Literal placeholders are numbered across the whole text.
 */
export function matchTexts(sql: string, ranges: readonly (readonly [number, number])[]): string[] {
  const counter = { param: sql.includes("$") ? maxParameter(sql) : 0 };
  return ranges.map(([start, end]) => matchText(sql, start, end, counter));
}

function matchText(sql: string, from: number, to: number, counter: { param: number }): string {
  let out = "";
  // A separator (whitespace or comment) was seen since the last token.
  let gap = false;
  const emit = (token: string) => {
    if (out.length > 0) {
      // Keep tokens apart where the client did, or where gluing them would make one word of two.
      if (gap || (isIdentCont(out.charCodeAt(out.length - 1)) && isIdentCont(token.charCodeAt(0)))) out += " ";
    }
    out += token;
    gap = false;
  };
  const literal = () => emit("$" + ++counter.param);
  let i = from;
  while (i < to) {
    const c = sql.charCodeAt(i);
    if (isSpace(c)) {
      gap = true;
      i++;
      continue;
    }
    const comment = c === MINUS || c === SLASH ? commentEnd(sql, i) : -1;
    if (comment !== -1) {
      gap = true;
      i = Math.min(comment, to);
      continue;
    }
    if (isIdentStart(c)) {
      const start = i;
      i++;
      while (i < to && isIdentCont(sql.charCodeAt(i))) i++;
      const len = i - start;
      const p = c | 0x20;
      // Prefixed strings: E'…', B'…', X'…', N'…', U&'…'.
      if (len === 1 && sql.charCodeAt(i) === QUOTE && (p === 0x65 || p === 0x62 || p === 0x78 || p === 0x6e)) {
        i = Math.min(quotedEnd(sql, i, p === 0x65), to);
        literal();
        continue;
      }
      if (len === 1 && p === 0x75 && sql.charCodeAt(i) === AMPERSAND && sql.charCodeAt(i + 1) === QUOTE) {
        i = Math.min(quotedEnd(sql, i + 1, false), to);
        literal();
        continue;
      }
      emit(sql.slice(start, i).toLowerCase());
      continue;
    }
    if (isDigit(c) || (c === DOT && isDigit(sql.charCodeAt(i + 1)))) {
      i = Math.min(numberEnd(sql, i), to);
      literal();
      continue;
    }
    if (c === QUOTE) {
      i = Math.min(quotedEnd(sql, i, false), to);
      literal();
      continue;
    }
    if (c === DOUBLE_QUOTE) {
      const start = i;
      i = sql.indexOf('"', i + 1);
      i = i === -1 ? to : i + 1;
      while (i < to && sql.charCodeAt(i) === DOUBLE_QUOTE) {
        const next = sql.indexOf('"', i + 1);
        i = next === -1 ? to : next + 1;
      }
      i = Math.min(i, to);
      const name = sql.slice(start + 1, i - 1);
      emit(BARE_NAME.test(name) ? name : sql.slice(start, i));
      continue;
    }
    if (c === DOLLAR) {
      const tag = dollarTagLength(sql, i);
      if (tag > 0) {
        const close = sql.indexOf(sql.slice(i, i + tag), i + tag);
        i = Math.min(close === -1 ? to : close + tag, to);
        literal();
        continue;
      }
      const start = i;
      i++;
      while (i < to && isDigit(sql.charCodeAt(i))) i++;
      emit(sql.slice(start, i));
      continue;
    }
    emit(sql[i] as string);
    i++;
  }
  return out;
}

/** Each statement's [start, end) in characters, from the parse tree's byte offsets (stmt_len 0: to the end). */
export function statementRanges(sql: string, stmts: readonly { stmt_location?: number; stmt_len?: number }[]): [number, number][] {
  // libpg-query counts UTF-8 bytes; in an ASCII text bytes are characters.
  // eslint-disable-next-line no-control-regex
  const ascii = !/[^\x00-\x7f]/.test(sql);
  const bytes = ascii ? null : Buffer.from(sql, "utf8");
  const toChars = (byte: number) => (bytes === null ? byte : bytes.subarray(0, byte).toString("utf8").length);
  const total = ascii ? sql.length : (bytes as Buffer).length;
  return stmts.map(({ stmt_location = 0, stmt_len = 0 }) => {
    const end = stmt_len === 0 ? total : stmt_location + stmt_len;
    return [toChars(stmt_location), toChars(end)];
  });
}
