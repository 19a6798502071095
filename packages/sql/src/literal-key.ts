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
 * The numeric literal at sql[i] (a digit): its end times 2, plus 1 when the lexer makes it an ICONST (an integer
 * that fits in int32); -1 when the scanner gives up (other lexer rules or errors follow).
 */
function scanNumber(sql: string, i: number): number {
  const n = sql.length;
  const start = i;
  let integer = true;
  while (i < n && isDigit(sql.charCodeAt(i))) i++;
  if (i < n && sql.charCodeAt(i) === DOT) {
    if (i + 1 < n && sql.charCodeAt(i + 1) === DOT) return -1; // `1..2`
    integer = false;
    i++;
    while (i < n && isDigit(sql.charCodeAt(i))) i++;
  }
  if (i < n && (sql.charCodeAt(i) === LOWER_E || sql.charCodeAt(i) === UPPER_E)) {
    i++;
    if (i < n && (sql.charCodeAt(i) === PLUS || sql.charCodeAt(i) === MINUS)) i++;
    if (i >= n || !isDigit(sql.charCodeAt(i))) return -1; // `1e`, `1e+`
    while (i < n && isDigit(sql.charCodeAt(i))) i++;
    integer = false;
  }
  // `0x1F`, `1_000`, `12abc`, `1.5.3`: other lexer rules or errors, depending on the PostgreSQL version.
  if (i < n && (isIdentCont(sql.charCodeAt(i)) || sql.charCodeAt(i) === DOT)) return -1;
  return i * 2 + (integer && fitsInt32(sql, start, i) ? 1 : 0);
}

/** The end of the standard string literal whose opening quote is sql[i]; -1 when the scanner gives up. */
function scanString(sql: string, i: number): number {
  const n = sql.length;
  // E'…', B'…', X'…', N'…', U&'…' and `date'…'` start with an identifier character or `&`.
  if (i > 0) {
    const before = sql.charCodeAt(i - 1);
    if (isIdentCont(before) || before === AMPERSAND) return -1;
  }
  i++;
  for (;;) {
    if (i >= n) return -1; // unterminated
    const d = sql.charCodeAt(i);
    if (d === QUOTE) {
      if (i + 1 < n && sql.charCodeAt(i + 1) === QUOTE) {
        i += 2; // '' inside the string
        continue;
      }
      return i + 1;
    }
    // A backslash means something only with standard_conforming_strings off: never guess.
    if (d === BACKSLASH || isUnknownChar(d)) return -1;
    i++;
  }
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
      const scanned = scanNumber(sql, i);
      if (scanned < 0) return null;
      const start = i;
      i = scanned >>> 1;
      key += sql.slice(copied, start) + ((scanned & 1) === 1 ? INT : NUMBER);
      copied = i;
      literals++;
      offsets?.push(start);
      continue;
    }
    switch (c) {
      case QUOTE: {
        const end = scanString(sql, i);
        if (end < 0) return null;
        key += sql.slice(copied, i) + STRING;
        offsets?.push(i);
        copied = i = end;
        literals++;
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

const KIND_STRING = 0;
const KIND_INT = 1;
const KIND_NUMBER = 2;

/**
 * One text's literal shape, kept to recognise later texts of the same shape without building their key (the
 * key costs a pass that builds a string, and then a hash of it for the cache lookup; this costs a few compares).
 *
 * A text matches when it is this text's verbatim pieces with, between each two, a literal of the same class,
 * scanned by the same code as in literalShapeKey(). Such a text has the same key: each piece starts at a token
 * boundary and holds the same characters, and the literal after it starts with the same kind of character
 * (digit or quote), so no decision the scanner makes in a piece can change; each literal is scanned, and its
 * class decided, exactly as literalShapeKey() would, from the same position.
 */
export class ShapeTemplate {
  private constructor(
    /** The text the template was made from. */
    private readonly text: string,
    /** Where each verbatim piece of `text` starts and ends: piece 0, literal 0, piece 1, …, literal k-1, piece k. */
    private readonly pieceStarts: Int32Array,
    private readonly pieceEnds: Int32Array,
    private readonly kinds: Uint8Array,
  ) {}

  /** The template of `sql`, whose literals start at `offsets` (as literalShapeKey() reported them). */
  static of(sql: string, offsets: readonly number[]): ShapeTemplate | null {
    const k = offsets.length;
    if (k === 0) return null;
    const starts = new Int32Array(k + 1);
    const ends = new Int32Array(k + 1);
    const kinds = new Uint8Array(k);
    let pos = 0;
    for (let i = 0; i < k; i++) {
      const start = offsets[i] as number;
      if (start < pos) return null;
      let end: number;
      if (sql.charCodeAt(start) === QUOTE) {
        end = scanString(sql, start);
        if (end < 0) return null;
        kinds[i] = KIND_STRING;
      } else {
        if (!isDigit(sql.charCodeAt(start))) return null;
        const scanned = scanNumber(sql, start);
        if (scanned < 0) return null;
        end = scanned >>> 1;
        kinds[i] = (scanned & 1) === 1 ? KIND_INT : KIND_NUMBER;
      }
      starts[i] = pos;
      ends[i] = start;
      pos = end;
    }
    starts[k] = pos;
    ends[k] = sql.length;
    return new ShapeTemplate(sql, starts, ends, kinds);
  }

  /** Whether literalShapeKey(sql) is this template's text's key (false may also mean "not known cheaply"). */
  matches(sql: string): boolean {
    const text = this.text;
    const starts = this.pieceStarts;
    const ends = this.pieceEnds;
    const kinds = this.kinds;
    const n = sql.length;
    let pos = 0;
    for (let k = 0; ; k++) {
      // The verbatim piece, compared a character at a time: startsWith() measured slower on these short pieces.
      const start = starts[k] as number;
      const len = (ends[k] as number) - start;
      if (pos + len > n) return false;
      for (let j = 0; j < len; j++) if (sql.charCodeAt(pos + j) !== text.charCodeAt(start + j)) return false;
      pos += len;
      if (k === kinds.length) return pos === n;
      if (kinds[k] === KIND_STRING) {
        if (sql.charCodeAt(pos) !== QUOTE) return false;
        pos = scanString(sql, pos);
        if (pos < 0) return false;
      } else {
        if (!isDigit(sql.charCodeAt(pos))) return false;
        const scanned = scanNumber(sql, pos);
        if (scanned < 0 || ((scanned & 1) === 1 ? KIND_INT : KIND_NUMBER) !== kinds[k]) return false;
        pos = scanned >>> 1;
      }
    }
  }
}
