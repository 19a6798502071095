// Pieces of PostgreSQL's lexer, in miniature, shared by the scanners that rewrite statement text without
// parsing it: the circuit-break match text (match-text.ts) and the agent's audit normalizer. Each answers
// one question at a position of the text; callers own the loop.

const DOLLAR = 0x24;
const MINUS = 0x2d;
const SLASH = 0x2f;
const STAR = 0x2a;
const QUOTE = 0x27;
const BACKSLASH = 0x5c;

export function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

export function isIdentStart(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f || c >= 0x80;
}

export function isIdentCont(c: number): boolean {
  return isIdentStart(c) || isDigit(c) || c === DOLLAR;
}

/** End of the '…' string whose opening quote is at `i` (escapes: `''`, and `\x` when `backslash`). */
export function quotedEnd(sql: string, i: number, backslash: boolean): number {
  const n = sql.length;
  i++;
  while (i < n) {
    const c = sql.charCodeAt(i);
    if (backslash && c === BACKSLASH) {
      i += 2;
      continue;
    }
    if (c === QUOTE) {
      if (sql.charCodeAt(i + 1) === QUOTE) {
        i += 2;
        continue;
      }
      return i + 1;
    }
    i++;
  }
  return n;
}

/** `$tag$` opening at `i` → its length, else 0 (`$1` is a parameter). */
export function dollarTagLength(sql: string, i: number): number {
  const n = sql.length;
  let j = i + 1;
  if (j < n && isDigit(sql.charCodeAt(j))) return 0;
  while (j < n && sql.charCodeAt(j) !== DOLLAR) {
    if (!isIdentCont(sql.charCodeAt(j))) return 0;
    j++;
  }
  return j < n ? j - i + 1 : 0;
}

/** End of the comment starting at `i`, or -1 when none starts there. */
export function commentEnd(sql: string, i: number): number {
  const n = sql.length;
  const c = sql.charCodeAt(i);
  if (c === MINUS && sql.charCodeAt(i + 1) === MINUS) {
    const nl = sql.indexOf("\n", i);
    return nl === -1 ? n : nl;
  }
  if (c === SLASH && sql.charCodeAt(i + 1) === STAR) {
    let depth = 1;
    let j = i + 2;
    while (j < n && depth > 0) {
      if (sql.charCodeAt(j) === SLASH && sql.charCodeAt(j + 1) === STAR) {
        depth++;
        j += 2;
      } else if (sql.charCodeAt(j) === STAR && sql.charCodeAt(j + 1) === SLASH) {
        depth--;
        j += 2;
      } else j++;
    }
    return j;
  }
  return -1;
}

/** The largest `$n` parameter of the text, so that replaced literals are numbered after it. */
export function maxParameter(sql: string): number {
  let max = 0;
  const re = /\$(\d+)/g;
  for (let m = re.exec(sql); m !== null; m = re.exec(sql)) max = Math.max(max, Number(m[1]));
  return max;
}
