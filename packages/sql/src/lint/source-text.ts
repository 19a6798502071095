// Positions in a migration's text. PostgreSQL's parser reports byte offsets into the UTF-8 text; editors and
// people want lines and columns of the JavaScript string. A small lexer finds what the parser does not give:
// where comments end (a statement's reported start includes the comments before it) and where tokens end
// (the cut points used to locate a syntax error).

export interface Position {
  line: number;
  column: number;
}

export interface Token {
  start: number;
  end: number;
  /** ";" for a statement separator, else "token". */
  kind: ";" | "token";
}

export class SourceText {
  private readonly lineStarts: number[] = [0];
  /** byteToChar[b] = string index of UTF-8 byte offset b; null when the text is ASCII (they are equal). */
  private readonly byteToChar: Int32Array | null;

  constructor(readonly text: string) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.lineStarts.push(i + 1);
    // eslint-disable-next-line no-control-regex
    this.byteToChar = /^[\x00-\x7f]*$/.test(text) ? null : buildByteMap(text);
  }

  charIndex(byteOffset: number): number {
    if (this.byteToChar === null) return byteOffset;
    return this.byteToChar[Math.min(byteOffset, this.byteToChar.length - 1)]!;
  }

  position(index: number): Position {
    const starts = this.lineStarts;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= index) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: index - starts[lo]! + 1 };
  }
}

function utf8Width(code: number): number {
  return code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
}

/** UTF-8 length of `text.slice(0, end)`. */
export function utf8Length(text: string, end = text.length): number {
  let bytes = 0;
  for (let i = 0; i < end; i++) {
    const code = text.codePointAt(i)!;
    bytes += utf8Width(code);
    if (code >= 0x10000) i++;
  }
  return bytes;
}

function buildByteMap(text: string): Int32Array {
  const bytes = utf8Length(text);
  const map = new Int32Array(bytes + 1);
  let b = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.codePointAt(i)!;
    const width = utf8Width(code);
    for (let k = 0; k < width; k++) map[b + k] = i;
    b += width;
    if (code >= 0x10000) i++; // a surrogate pair is one code point
  }
  map[bytes] = text.length;
  return map;
}

/** The index of the first character at or after `from` that is neither white space nor inside a comment. */
export function skipTrivia(text: string, from: number, to = text.length): number {
  let i = from;
  while (i < to) {
    const c = text.charCodeAt(i);
    if (isSpace(c)) i++;
    else if (c === 45 /* - */ && text.charCodeAt(i + 1) === 45) i = lineCommentEnd(text, i);
    else if (c === 47 /* / */ && text.charCodeAt(i + 1) === 42 /* * */) i = blockCommentEnd(text, i);
    else break;
  }
  return Math.min(i, to);
}

/** The index just after the last character before `to` that is neither white space nor a comment's. */
export function trimTrailingTrivia(text: string, from: number, to: number): number {
  let end = from;
  for (const token of tokenize(text.slice(from, to))) end = from + token.end;
  return end;
}

/**
 * PostgreSQL's tokens, as far as cutting the text is concerned: never splits a quoted string, quoted
 * identifier, dollar-quoted body, number or operator, and skips comments (nested block comments too).
 */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    const start = i;
    if (isSpace(c)) {
      i++;
      continue;
    }
    if (c === 45 && text.charCodeAt(i + 1) === 45) {
      i = lineCommentEnd(text, i);
      continue;
    }
    if (c === 47 && text.charCodeAt(i + 1) === 42) {
      i = blockCommentEnd(text, i);
      continue;
    }
    if (c === 59 /* ; */) {
      tokens.push({ start, end: i + 1, kind: ";" });
      i++;
      continue;
    }
    if (c === 39 /* ' */) {
      i = quotedEnd(text, i, 39, false);
    } else if (c === 34 /* " */) {
      i = quotedEnd(text, i, 34, false);
    } else if (c === 36 /* $ */) {
      i = dollarEnd(text, i);
    } else if (isIdentStart(c)) {
      i++;
      while (i < n && isIdentChar(text.charCodeAt(i))) i++;
      const next = text.charCodeAt(i);
      if (next === 39 && i - start === 1 && "eEbBxXnN".includes(text[start]!)) {
        // E'…' takes backslash escapes; B'…', X'…', N'…' and U&'…' (below) are plain quoted strings. Any other
        // word before a quote is a token of its own (KEY'x' is KEY then 'x').
        i = quotedEnd(text, i, 39, c === 69 || c === 101);
      } else if (next === 38 /* & */ && i - start === 1 && (c === 85 || c === 117)) {
        const q = text.charCodeAt(i + 1);
        if (q === 39 || q === 34) i = quotedEnd(text, i + 1, q, false);
      }
    } else if (isDigit(c) || (c === 46 && isDigit(text.charCodeAt(i + 1)))) {
      i++;
      while (i < n) {
        const d = text.charCodeAt(i);
        // Letters after digits are one (bad) token for PostgreSQL 16+, "trailing junk"; a $ starts a new one.
        if ((isIdentChar(d) && d !== 36) || (d === 46 && text.charCodeAt(i + 1) !== 46)) i++;
        else if ((d === 43 || d === 45) && (text.charCodeAt(i - 1) | 32) === 101 /* e */) i++;
        else break;
      }
    } else if (isOperatorChar(c)) {
      i++;
      // A comment start ends an operator, as in PostgreSQL's lexer.
      while (i < n && isOperatorChar(text.charCodeAt(i)) && !startsComment(text, i)) i++;
    } else if (c === 58 /* : */) {
      i += text.charCodeAt(i + 1) === 58 || text.charCodeAt(i + 1) === 61 ? 2 : 1;
    } else {
      i++; // ( ) [ ] , . and anything else: one character
    }
    tokens.push({ start, end: Math.min(i, n), kind: "token" });
  }
  return tokens;
}

function startsComment(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  const d = text.charCodeAt(i + 1);
  return (c === 45 && d === 45) || (c === 47 && d === 42);
}

function lineCommentEnd(text: string, i: number): number {
  const nl = text.indexOf("\n", i);
  return nl === -1 ? text.length : nl + 1;
}

/** Where a block comment that never ends starts, at or after `from` outside tokens and comments; else the end. */
export function unterminatedCommentStart(text: string, from: number): number {
  let i = from;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (isSpace(c)) i++;
    else if (c === 45 && text.charCodeAt(i + 1) === 45) i = lineCommentEnd(text, i);
    else if (c === 47 && text.charCodeAt(i + 1) === 42) {
      const end = blockCommentEnd(text, i);
      if (end === text.length && !text.endsWith("*/")) return i;
      i = end;
    } else break;
  }
  return i;
}

function blockCommentEnd(text: string, i: number): number {
  let depth = 0;
  const n = text.length;
  while (i < n) {
    if (text.charCodeAt(i) === 47 && text.charCodeAt(i + 1) === 42) {
      depth++;
      i += 2;
    } else if (text.charCodeAt(i) === 42 && text.charCodeAt(i + 1) === 47) {
      depth--;
      i += 2;
      if (depth === 0) return i;
    } else i++;
  }
  return n;
}

/** From an opening quote at `i` to just after its closing quote (doubled quotes stay inside). */
function quotedEnd(text: string, i: number, quote: number, backslashEscapes: boolean): number {
  const n = text.length;
  i++;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (backslashEscapes && c === 92) {
      i += 2;
    } else if (c === quote) {
      if (text.charCodeAt(i + 1) === quote) i += 2;
      else return i + 1;
    } else i++;
  }
  return n;
}

/** `$tag$ … $tag$`, or a parameter `$1`, or a lone `$`. */
function dollarEnd(text: string, i: number): number {
  const n = text.length;
  let j = i + 1;
  if (isDigit(text.charCodeAt(j))) {
    while (j < n && isDigit(text.charCodeAt(j))) j++;
    return j;
  }
  while (j < n && isIdentChar(text.charCodeAt(j)) && text.charCodeAt(j) !== 36) j++;
  if (text.charCodeAt(j) !== 36) return i + 1;
  const tag = text.slice(i, j + 1);
  const close = text.indexOf(tag, j + 1);
  return close === -1 ? n : close + tag.length;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 12 || c === 11;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isIdentStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c >= 128;
}

function isIdentChar(c: number): boolean {
  return isIdentStart(c) || isDigit(c) || c === 36;
}

function isOperatorChar(c: number): boolean {
  // + - * / < > = ~ ! @ # % ^ & | ` ?
  return (
    c === 43 ||
    c === 45 ||
    c === 42 ||
    c === 47 ||
    c === 60 ||
    c === 62 ||
    c === 61 ||
    c === 126 ||
    c === 33 ||
    c === 64 ||
    c === 35 ||
    c === 37 ||
    c === 94 ||
    c === 38 ||
    c === 124 ||
    c === 96 ||
    c === 63
  );
}
