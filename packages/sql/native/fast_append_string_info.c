// A faster appendStringInfo for libpg_query's JSON writer.
//
// libpg_query writes its JSON one field at a time with appendStringInfo(out, "\"location\":%d,", …), and
// PostgreSQL's printf (pg_vsnprintf, dopr, fmtint, strchrnul) was 43% of the writer's instructions and 26% of
// a whole parse of a 622-character SELECT (callgrind; bench:sql prints the time). The formats it uses are plain
// %d, %u, %s, %c, %ld, %lu: this writes those directly and hands anything else (%f, %04x, widths) to
// PostgreSQL's own appendStringInfoVA, from the start of the call, exactly as the original does.
//
// Each format is a string literal of the writer, at a fixed address, used again for every node of its type: it
// is read once into its literal pieces and conversions (CompiledFormat, found by address), so that a call
// copies whole pieces instead of testing each character. Reading the format on every call, character by
// character, was still 30% of a parse of that SELECT (perf), more than PostgreSQL's whole grammar. That relies
// on every caller passing a string literal, never a format computed into a buffer whose address could later
// hold another: PostgreSQL declares appendStringInfo printf-like (pg_attribute_printf), so its own build warns
// on a computed format, and libpg_query's writer takes its formats from macros over literals.
//
// How it replaces the original: build.mjs marks libpg_query.a's appendStringInfo weak (objcopy), so this
// definition wins for every caller in the library; the other StringInfo functions stay PostgreSQL's.
// native-parser.test.ts compares the whole JSON with the WASM build's, which keeps the original.
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "string_info.h"

// Room for n more bytes and the terminating NUL.
#define ROOM(str, n)                                                                \
  do {                                                                              \
    if ((str)->len + (int)(n) >= (str)->maxlen) enlargeStringInfo((str), (int)(n)); \
  } while (0)

static inline char* decimal_before(char* end, uint64_t v) {
  do {
    *--end = (char)('0' + v % 10);
    v /= 10;
  } while (v != 0);
  return end;
}

// ---- formats read once ---------------------------------------------------------------------------------

// Conversions a piece may end with. NONE: the format's last piece. PERCENT (`%%`) and UNSUPPORTED are only
// what read_conversion() reports.
enum { NONE = 0, INT, LONG, UINT, ULONG, STRING, CHAR, PERCENT, UNSUPPORTED };

// The conversion whose `%` is at *p; leaves *p on its last character.
static uint8_t read_conversion(const char** p) {
  char k = *++*p;
  int is_long = 0;
  if (k == 'l') {
    is_long = 1;
    k = *++*p;
  }
  switch (k) {
    case 'd': return is_long ? LONG : INT;
    case 'u': return is_long ? ULONG : UINT;
    case 's': return is_long ? UNSUPPORTED : STRING;
    case 'c': return is_long ? UNSUPPORTED : CHAR;
    case '%': return is_long ? UNSUPPORTED : PERCENT;
    default: return UNSUPPORTED;
  }
}

#define MAX_PIECES 8
#define MAX_LITERAL 255

typedef struct {
  const char* fmt;
  // 1: a conversion this file does not write; PostgreSQL formats every call of this format.
  uint8_t postgres;
  uint8_t pieces;
  // Total literal bytes, so that one ROOM covers them all.
  uint16_t literal_bytes;
  struct {
    // Offset of the piece's literal in `text`.
    uint16_t at;
    uint8_t length;
    uint8_t conversion;
  } piece[MAX_PIECES];
  // The literal pieces, one after the other, then COPY_SLACK bytes: a piece is copied in whole 16-byte blocks.
  char text[];
} CompiledFormat;

#define COPY_SLACK 16

// By address of the format (open addressing). Entries are published once, atomically, and never change or go:
// the addon may be loaded by several threads (Node workers), and a reader sees either nothing or a whole entry.
// libpg_query's writer has about a thousand formats; a format that finds no slot is read on every call.
#define SLOTS 4096
#define PROBES 16
static CompiledFormat* slots[SLOTS];

// Appends the literal fmt[start, start + length) as the next piece, ending with `conversion`. 0 when it does not fit.
static int add_piece(CompiledFormat* out, const char* literal, size_t length, uint8_t conversion) {
  if (length > MAX_LITERAL || out->pieces == MAX_PIECES) return 0;
  out->piece[out->pieces].at = out->literal_bytes;
  out->piece[out->pieces].length = (uint8_t)length;
  out->piece[out->pieces].conversion = conversion;
  memcpy(out->text + out->literal_bytes, literal, length);
  out->pieces++;
  out->literal_bytes += (uint16_t)length;
  return 1;
}

// Reads `fmt` into `out`, whose text has room for strlen(fmt) + COPY_SLACK bytes. Returns 0 when the format does
// not fit a CompiledFormat (more pieces, a longer literal): it is then read on every call.
static int compile(const char* fmt, CompiledFormat* out) {
  memset(out, 0, sizeof *out);
  out->fmt = fmt;
  const char* literal = fmt;
  for (const char* p = fmt;; p++) {
    char c = *p;
    if (c != '\0' && c != '%') continue;
    size_t length = (size_t)(p - literal);
    uint8_t conversion = NONE;
    if (c == '%') {
      conversion = read_conversion(&p);
      if (conversion == PERCENT) {
        // `%%`: a literal `%`. This piece ends before the first `%`; the next one starts at the second.
        if (!add_piece(out, literal, length, NONE)) return 0;
        literal = p;
        continue;
      }
      if (conversion == UNSUPPORTED) {
        out->postgres = 1;
        return 1;
      }
    }
    if (!add_piece(out, literal, length, conversion)) return 0;
    if (c == '\0') return 1;
    literal = p + 1;
  }
}

static const CompiledFormat* compiled(const char* fmt) {
  uintptr_t h = ((uintptr_t)fmt * UINT64_C(0x9E3779B97F4A7C15)) >> 52;  // top 12 bits: SLOTS = 4096
  for (int probe = 0; probe < PROBES; probe++) {
    CompiledFormat** slot = &slots[(h + (uintptr_t)probe) & (SLOTS - 1)];
    CompiledFormat* entry = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
    if (entry != NULL) {
      if (entry->fmt == fmt) return entry;
      continue;
    }
    CompiledFormat* fresh = malloc(sizeof *fresh + strlen(fmt) + COPY_SLACK);
    if (fresh == NULL) return NULL;
    if (!compile(fmt, fresh)) {
      free(fresh);
      return NULL;
    }
    CompiledFormat* expected = NULL;
    if (__atomic_compare_exchange_n(slot, &expected, fresh, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) return fresh;
    // Another thread filled this slot first: its entry is the one to use if it is this format.
    free(fresh);
    if (expected->fmt == fmt) return expected;
  }
  return NULL;
}

// ---- writing -------------------------------------------------------------------------------------------

// Writes one conversion's argument; returns 0 for one this file does not write (the caller hands the call to PostgreSQL).
static inline int append_conversion(StringInfo str, int conversion, va_list* args) {
  char digits[24];
  char* const end = digits + sizeof digits;
  char* first;
  switch (conversion) {
    case INT: {
      int64_t v = va_arg(*args, int);
      first = decimal_before(end, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v);
      if (v < 0) *--first = '-';
      break;
    }
    case LONG: {
      int64_t v = va_arg(*args, long);
      first = decimal_before(end, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v);
      if (v < 0) *--first = '-';
      break;
    }
    case UINT:
      first = decimal_before(end, va_arg(*args, unsigned int));
      break;
    case ULONG:
      first = decimal_before(end, va_arg(*args, unsigned long));
      break;
    case STRING: {
      const char* s = va_arg(*args, const char*);
      if (s == NULL) s = "(null)";  // as pg_vsnprintf prints it
      size_t n = strlen(s);
      ROOM(str, n);
      memcpy(str->data + str->len, s, n);
      str->len += (int)n;
      return 1;
    }
    case CHAR:
      ROOM(str, 1);
      str->data[str->len++] = (char)va_arg(*args, int);
      return 1;
    default:
      return 0;
  }
  size_t n = (size_t)(end - first);
  ROOM(str, n);
  memcpy(str->data + str->len, first, n);
  str->len += (int)n;
  return 1;
}

// The format read as it goes: for one that does not fit a CompiledFormat. Returns 0 for a conversion this file
// does not write.
static int append_uncompiled(StringInfo str, const char* fmt, va_list* args) {
  for (const char* p = fmt;; p++) {
    char c = *p;
    if (c == '\0') return 1;
    if (c != '%') {
      ROOM(str, 1);
      str->data[str->len++] = c;
      continue;
    }
    uint8_t conversion = read_conversion(&p);
    if (conversion == PERCENT) {
      ROOM(str, 1);
      str->data[str->len++] = '%';
      continue;
    }
    if (!append_conversion(str, conversion, args)) return 0;
  }
}

void appendStringInfo(StringInfo str, const char* fmt, ...) {
  const int start = str->len;
  const CompiledFormat* f = compiled(fmt);
  int written = 1;
  va_list args;
  va_start(args, fmt);
  if (f != NULL && f->postgres) {
    written = 0;
  } else if (f != NULL) {
    // Room for every literal piece and the slack of the last block copied; a conversion makes its own room and
    // then this room again (the data may have moved).
    const int room = f->literal_bytes + COPY_SLACK;
    ROOM(str, room);
    for (int i = 0; i < f->pieces; i++) {
      const char* from = f->text + f->piece[i].at;
      char* to = str->data + str->len;
      // Whole 16-byte blocks, past the piece's end into the slack: most pieces are a field name and its
      // punctuation (`,"location":`), and a call of memcpy cost more than the copy.
      for (int done = 0; done < f->piece[i].length; done += 16) memcpy(to + done, from + done, 16);
      str->len += f->piece[i].length;
      if (f->piece[i].conversion != NONE) {
        append_conversion(str, f->piece[i].conversion, &args);
        ROOM(str, room);
      }
    }
  } else {
    written = append_uncompiled(str, fmt, &args);
  }
  va_end(args);
  if (written) {
    ROOM(str, 0);
    str->data[str->len] = '\0';
    return;
  }
  // Anything else: undo this call's output and let PostgreSQL format the whole of it.
  str->len = start;
  str->data[start] = '\0';
  for (;;) {
    va_start(args, fmt);
    int needed = appendStringInfoVA(str, fmt, args);
    va_end(args);
    if (needed == 0) return;
    enlargeStringInfo(str, needed);
  }
}
