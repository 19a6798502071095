// A faster appendStringInfo for libpg_query's JSON writer.
//
// libpg_query writes its JSON one field at a time with appendStringInfo(out, "\"location\":%d,", …), and
// PostgreSQL's printf (pg_vsnprintf, dopr, fmtint, strchrnul) was 43% of the writer's instructions and 26% of
// a whole parse of a 622-character SELECT (callgrind; bench:sql prints the time). The formats it uses are plain
// %d, %u, %s, %c, %ld, %lu: this writes those directly and hands anything else (%f, %04x, widths) to
// PostgreSQL's own appendStringInfoVA, from the start of the call, exactly as the original does.
//
// How it replaces the original: build.mjs marks libpg_query.a's appendStringInfo weak (objcopy), so this
// definition wins for every caller in the library; the other StringInfo functions stay PostgreSQL's.
// native-parser.test.ts compares the whole JSON with the WASM build's, which keeps the original.
#include <stdarg.h>
#include <stdint.h>
#include <string.h>

// PostgreSQL's lib/stringinfo.h (unchanged since 2003).
typedef struct StringInfoData {
  char* data;
  int len;
  int maxlen;
  int cursor;
} StringInfoData;
typedef StringInfoData* StringInfo;

extern void enlargeStringInfo(StringInfo str, int needed);
extern int appendStringInfoVA(StringInfo str, const char* fmt, va_list args);

void appendStringInfo(StringInfo str, const char* fmt, ...);

// Room for n more bytes and the terminating NUL.
#define ROOM(str, n)                                                        \
  do {                                                                      \
    if ((str)->len + (int)(n) >= (str)->maxlen) enlargeStringInfo((str), (int)(n)); \
  } while (0)

static inline char* decimal_before(char* end, uint64_t v) {
  do {
    *--end = (char)('0' + v % 10);
    v /= 10;
  } while (v != 0);
  return end;
}

void appendStringInfo(StringInfo str, const char* fmt, ...) {
  const int start = str->len;
  va_list args;
  va_start(args, fmt);
  for (const char* p = fmt;; p++) {
    char c = *p;
    if (c == '\0') break;
    if (c != '%') {
      ROOM(str, 1);
      str->data[str->len++] = c;
      continue;
    }
    c = *++p;
    int is_long = 0;
    if (c == 'l') {
      is_long = 1;
      c = *++p;
    }
    char digits[24];
    char* const end = digits + sizeof digits;
    char* first;
    switch (c) {
      case 'd': {
        int64_t v = is_long ? (int64_t)va_arg(args, long) : (int64_t)va_arg(args, int);
        first = decimal_before(end, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v);
        if (v < 0) *--first = '-';
        break;
      }
      case 'u':
        first = decimal_before(end, is_long ? (uint64_t)va_arg(args, unsigned long) : (uint64_t)va_arg(args, unsigned int));
        break;
      case 's': {
        const char* s = va_arg(args, const char*);
        if (s == NULL) s = "(null)";  // as pg_vsnprintf prints it
        size_t n = strlen(s);
        ROOM(str, n);
        memcpy(str->data + str->len, s, n);
        str->len += (int)n;
        continue;
      }
      case 'c':
        ROOM(str, 1);
        str->data[str->len++] = (char)va_arg(args, int);
        continue;
      case '%':
        ROOM(str, 1);
        str->data[str->len++] = '%';
        continue;
      default:
        // Anything else: undo this call's output and let PostgreSQL format the whole of it.
        va_end(args);
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
    size_t n = (size_t)(end - first);
    ROOM(str, n);
    memcpy(str->data + str->len, first, n);
    str->len += (int)n;
  }
  va_end(args);
  ROOM(str, 0);
  str->data[str->len] = '\0';
}
