// A cache key that ignores literal values, so that `… WHERE aid = 12345` and `… WHERE aid = 678` share one
// analysis instead of costing a parse each. One pass over the text, PostgreSQL's lexer rules in miniature:
// numeric literals and standard '…' strings become placeholders, everything else stays byte for byte. The
// scanner only has to be right about what it replaces; anything it does not fully understand (comments,
// dollar quotes, E''/U&''/B''/X'' strings, backslashes, `1_000`, `0x1F`, `.5`, non-ASCII, control
// characters, unterminated quotes) makes it give up, and the caller falls back to the exact text.
//
// The placeholders keep PostgreSQL's token class: a string, an integer that fits in int32 (the lexer's
// ICONST, which some grammar rules require) or any other number (FCONST). Two texts with the same key are
// therefore the same token sequence with different literal values. That alone does not make their analyses
// equal (`EXPLAIN (ANALYZE 1)` vs `(ANALYZE 0)`; `-1` folds into one constant): the analyzer also checks, in
// the parse tree, that every replaced literal became a plain constant, before it stores under this key.

/** Placeholders start with NUL, which no statement text (a C string on the wire) contains: keys cannot collide with real text. */
const STRING = "\u0000s";
const INT = "\u0000i";
const NUMBER = "\u0000n";

const TAB = 0x09;
const LF = 0x0a;
const FF = 0x0c;
const CR = 0x0d;
const SPACE = 0x20;
const DOUBLE_QUOTE = 0x22;
const DOLLAR = 0x24;
const AMPERSAND = 0x26;
const QUOTE = 0x27;
const STAR = 0x2a;
const PLUS = 0x2b;
const MINUS = 0x2d;
const DOT = 0x2e;
const SLASH = 0x2f;
const ZERO = 0x30;
const NINE = 0x39;
const BACKSLASH = 0x5c;
const UPPER_E = 0x45;
const LOWER_E = 0x65;
const DEL = 0x7f;

const INT32_MAX = "2147483647";

function isDigit(c: number): boolean {
  return c >= ZERO && c <= NINE;
}

/** ASCII letters and `_` (PostgreSQL also takes bytes ≥ 0x80; the scanner gives up on those). */
function isIdentStart(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f;
}

/** Per ASCII code: 1 when it may continue an identifier (letters, digits, `_`, `$`). */
const IDENT_CONT = new Uint8Array(128);
for (let c = 0; c < 128; c++) IDENT_CONT[c] = isIdentStart(c) || isDigit(c) || c === DOLLAR ? 1 : 0;

function isIdentCont(c: number): boolean {
  return c < 128 && IDENT_CONT[c] === 1;
}

/** Control characters other than the whitespace PostgreSQL skips, DEL and anything non-ASCII. */
function isUnknownChar(c: number): boolean {
  return c >= DEL || (c < SPACE && c !== TAB && c !== LF && c !== CR && c !== FF);
}

/** Whether digits sql[start, end) parse as an int32 (PostgreSQL's ICONST); else the lexer makes them an FCONST. */
function fitsInt32(sql: string, start: number, end: number): boolean {
  while (start < end - 1 && sql.charCodeAt(start) === ZERO) start++;
  const n = end - start;
  if (n !== INT32_MAX.length) return n < INT32_MAX.length;
  return sql.slice(start, end) <= INT32_MAX;
}

/**
 * The text with its literals replaced by placeholders, or null when it has no literal (the exact text is
 * then the key) or holds anything the scanner does not fully understand (use the exact text). `offsets`,
 * when given, receives the offset of each replaced literal, for the caller to check against a parse tree.
 */
export function literalShapeKey(sql: string, offsets: number[] | null = null): string | null {
  // Popped, not `length = 0` (a runtime call, ~70-110 ns): this runs for every text with literals.
  if (offsets !== null) while (offsets.length > 0) offsets.pop();
  const n = sql.length;
  let key = "";
  /** sql[copied, i) still has to be appended to the key verbatim. */
  let copied = 0;
  let literals = 0;
  let i = 0;
  while (i < n) {
    const c = sql.charCodeAt(i);
    if (isIdentStart(c)) {
      // Keywords and identifiers (digits and `$` inside them included) stay as they are.
      i++;
      while (i < n && isIdentCont(sql.charCodeAt(i))) i++;
      continue;
    }
    if (isDigit(c)) {
      const start = i;
      let integer = true;
      while (i < n && isDigit(sql.charCodeAt(i))) i++;
      if (i < n && sql.charCodeAt(i) === DOT) {
        if (i + 1 < n && sql.charCodeAt(i + 1) === DOT) return null; // `1..2`
        integer = false;
        i++;
        while (i < n && isDigit(sql.charCodeAt(i))) i++;
      }
      if (i < n && (sql.charCodeAt(i) === LOWER_E || sql.charCodeAt(i) === UPPER_E)) {
        i++;
        if (i < n && (sql.charCodeAt(i) === PLUS || sql.charCodeAt(i) === MINUS)) i++;
        if (i >= n || !isDigit(sql.charCodeAt(i))) return null; // `1e`, `1e+`
        while (i < n && isDigit(sql.charCodeAt(i))) i++;
        integer = false;
      }
      // `0x1F`, `1_000`, `12abc`, `1.5.3`: other lexer rules or errors, depending on the PostgreSQL version.
      if (i < n && (isIdentCont(sql.charCodeAt(i)) || sql.charCodeAt(i) === DOT)) return null;
      key += sql.slice(copied, start) + (integer && fitsInt32(sql, start, i) ? INT : NUMBER);
      copied = i;
      literals++;
      offsets?.push(start);
      continue;
    }
    switch (c) {
      case QUOTE: {
        // E'…', B'…', X'…', N'…', U&'…' and `date'…'` start with an identifier character or `&`.
        if (i > 0) {
          const before = sql.charCodeAt(i - 1);
          if (isIdentCont(before) || before === AMPERSAND) return null;
        }
        const start = i;
        i++;
        for (;;) {
          if (i >= n) return null; // unterminated
          const d = sql.charCodeAt(i);
          if (d === QUOTE) {
            if (i + 1 < n && sql.charCodeAt(i + 1) === QUOTE) {
              i += 2; // '' inside the string
              continue;
            }
            i++;
            break;
          }
          // A backslash means something only with standard_conforming_strings off: never guess.
          if (d === BACKSLASH || isUnknownChar(d)) return null;
          i++;
        }
        key += sql.slice(copied, start) + STRING;
        copied = i;
        literals++;
        offsets?.push(start);
        continue;
      }
      case DOUBLE_QUOTE: {
        if (i > 0 && sql.charCodeAt(i - 1) === AMPERSAND) return null; // U&"…" (and its UESCAPE)
        i++;
        for (;;) {
          if (i >= n) return null;
          const d = sql.charCodeAt(i);
          if (d === DOUBLE_QUOTE) {
            if (i + 1 < n && sql.charCodeAt(i + 1) === DOUBLE_QUOTE) {
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (isUnknownChar(d)) return null;
          i++;
        }
        continue;
      }
      case DOLLAR: {
        // `$1` stays; anything else starting with `$` is a dollar quote.
        if (i + 1 >= n || !isDigit(sql.charCodeAt(i + 1))) return null;
        i++;
        while (i < n && isDigit(sql.charCodeAt(i))) i++;
        if (i < n && (isIdentCont(sql.charCodeAt(i)) || sql.charCodeAt(i) === DOT)) return null;
        continue;
      }
      case MINUS:
        if (i + 1 < n && sql.charCodeAt(i + 1) === MINUS) return null; // -- comment
        i++;
        continue;
      case SLASH:
        if (i + 1 < n && sql.charCodeAt(i + 1) === STAR) return null; // /* comment */
        i++;
        continue;
      case DOT:
        if (i + 1 < n && isDigit(sql.charCodeAt(i + 1))) return null; // `.5`
        i++;
        continue;
      case BACKSLASH:
        return null;
      default:
        if (isUnknownChar(c)) return null;
        i++;
    }
  }
  return literals === 0 ? null : key + sql.slice(copied);
}
