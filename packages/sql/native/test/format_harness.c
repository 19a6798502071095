// Checks fast_append_string_info.c against the C library's printf, on formats libpg_query's JSON writer never
// uses but the replacement must still get right: `%%`, widths and `%f` (handed to PostgreSQL's formatter, here
// vsnprintf), %ld/%lu extremes, long strings, more pieces or a longer literal than a CompiledFormat holds. Each
// format is written twice, so that the second call takes the compiled path. The writer's real formats are
// compared with the WASM build's output in src/native-parser.test.ts. Run by src/native-harnesses.test.ts.
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../string_info.h"

// Stand-ins for PostgreSQL's StringInfo functions, as the replacement uses them.
void enlargeStringInfo(StringInfo s, int needed) {
  needed += s->len + 1;
  if (needed <= s->maxlen) return;
  int size = s->maxlen;
  while (size < needed) size *= 2;
  s->data = realloc(s->data, (size_t)size);
  s->maxlen = size;
}

int appendStringInfoVA(StringInfo s, const char* fmt, va_list args) {
  int avail = s->maxlen - s->len;
  int n = vsnprintf(s->data + s->len, (size_t)avail, fmt, args);
  if (n < avail) {
    s->len += n;
    return 0;
  }
  return n + 1;
}

static int failures = 0;

// A buffer that starts at 2 bytes, so that every call has to grow it.
#define CHECK(...)                                                                 \
  do {                                                                             \
    for (int pass = 0; pass < 2; pass++) {                                         \
      StringInfoData s = {malloc(2), 0, 2, 0};                                     \
      s.data[0] = '\0';                                                            \
      appendStringInfo(&s, "pre");                                                 \
      appendStringInfo(&s, __VA_ARGS__);                                           \
      char want[4096];                                                             \
      snprintf(want, sizeof want, "pre" __VA_ARGS__);                              \
      if (strcmp(s.data, want) != 0 || s.len != (int)strlen(want)) {               \
        printf("FAIL %s: got [%s], want [%s]\n", #__VA_ARGS__, s.data, want);      \
        failures++;                                                                \
      }                                                                            \
      free(s.data);                                                                \
    }                                                                              \
  } while (0)

int main(void) {
  char long_string[600];
  memset(long_string, 'x', sizeof long_string - 1);
  long_string[sizeof long_string - 1] = '\0';

  CHECK("\"location\":%d,", -42);
  CHECK("\"location\":%d,", 2147483647);
  CHECK("%d%d%d", -2147483647 - 1, 0, 7);
  CHECK("\"x\":%ld,\"y\":%lu,", -9000000000L, 18000000000000000000UL);
  CHECK("\"u\":%u", 4000000000U);
  CHECK("100%% sure %s", "yes");
  CHECK("%%%d%%", 5);
  CHECK("%c%c", 'a', 'b');
  CHECK("\\u%04x", 7);
  CHECK("%5d|", 3);
  CHECK("%f", 1.5);
  CHECK("a%sb%sc%sd%se%sf%sg%sh%si%sj", "1", "2", "3", "4", "5", "6", "7", "8", "9");
  CHECK("%s", "");
  CHECK("");
  CHECK("plain text with no conversion at all, long enough to take several blocks of sixteen bytes");
  CHECK("%s!%s", long_string, long_string);
  CHECK("LLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLL"
        "LLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLL"
        "LLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLL a literal over 255 %d %s",
        12, "end");

  printf(failures == 0 ? "all passed\n" : "%d failed\n", failures);
  return failures != 0;
}
