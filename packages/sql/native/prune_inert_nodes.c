// src/tree-prune.ts in C, for the native parser: libpg_query's JSON with every ColumnRef and ParamRef node, and
// every ResTarget or A_Expr holding nothing but those, replaced by `0` — before the JSON becomes a JavaScript
// string. That string is then a fraction as long (7.4 KB → 0.5 KB for a 40-column SELECT), and the regex pass
// over it (4 µs there) is gone.
//
// It must give exactly what the regex gives: tree-prune.ts says why the nodes are inert and spells out the
// patterns, which each matcher below follows piece by piece (greedy, as the regex is: every optional part
// starts with its own key, so taking it never keeps a match from succeeding). native-parser.test.ts compares
// the two on thousands of statements, and native-harnesses.test.ts on every prefix of some trees, with the
// sanitizers watching for a read past the end. As with the regex, a pattern can only start at a `{"`, which never occurs
// inside a string value (its `"` would be escaped), so a match may be tried at every `{`.
#include <stddef.h>
#include <string.h>  // memchr, memcpy

#include "prune_inert_nodes.h"

// Each matcher takes the position to match at and returns the position after its match, or NULL.

// Compared byte by byte, stopping at the first difference: the JSON's terminating NUL differs from every
// character of a pattern, so nothing past it is read.
static inline const char* literal_n(const char* p, const char* text, size_t n) {
  if (p == NULL) return NULL;
  for (size_t i = 0; i < n; i++)
    if (p[i] != text[i]) return NULL;
  return p + n;
}
// `text` is a string literal, whose length is known when compiling.
#define literal(p, text) literal_n((p), (text), sizeof(text) - 1)

// "(?:[^"\\]|\\.)*" — `.` is any character but a line break.
static const char* string(const char* p) {
  if (p == NULL || *p != '"') return NULL;
  for (p++;; p++) {
    char c = *p;
    if (c == '\0') return NULL;
    if (c == '"') return p + 1;
    if (c == '\\') {
      char next = p[1];
      if (next == '\0' || next == '\n' || next == '\r') return NULL;
      p++;
    }
  }
}

// \d+
static const char* digits(const char* p) {
  if (p == NULL || *p < '0' || *p > '9') return NULL;
  while (*p >= '0' && *p <= '9') p++;
  return p;
}

// An optional part: its match, or where it was tried.
static const char* optional(const char* matched, const char* at) {
  return matched != NULL ? matched : at;
}

// (?:,"location":\d+)? or, with `comma_optional`, (?:,?"location":\d+)?
static const char* location(const char* p, int comma_optional) {
  const char* q = p;
  if (*q == ',') q++;
  else if (!comma_optional) return p;
  return optional(digits(literal(q, "\"location\":")), p);
}

// {"String":{"sval":STRING}}|{"A_Star":{}}
static const char* field(const char* p) {
  const char* string_field = literal(string(literal(p, "{\"String\":{\"sval\":")), "}}");
  return string_field != NULL ? string_field : literal(p, "{\"A_Star\":{}}");
}

// ITEM(,ITEM)*\] — one or more, then the list's end.
static const char* list_of(const char* p, const char* (*item)(const char*)) {
  p = item(p);
  if (p == NULL) return NULL;
  for (;;) {
    const char* next = *p == ',' ? item(p + 1) : NULL;
    if (next == NULL) break;
    p = next;
  }
  return literal(p, "]");
}

// {"ColumnRef":{"fields":[FIELD(,FIELD)*](,"location":\d+)?}}
static const char* column_ref(const char* p) {
  p = list_of(literal(p, "{\"ColumnRef\":{\"fields\":["), field);
  return p == NULL ? NULL : literal(location(p, 0), "}}");
}

// {"ParamRef":{("number":\d+)?(,?"location":\d+)?}}
static const char* param_ref(const char* p) {
  p = literal(p, "{\"ParamRef\":{");
  if (p == NULL) return NULL;
  p = optional(digits(literal(p, "\"number\":")), p);
  return literal(location(p, 1), "}}");
}

static const char* column_or_param_ref(const char* p) {
  const char* column = column_ref(p);
  return column != NULL ? column : param_ref(p);
}

// {"ResTarget":{("name":STRING)?(,?"val":(COLUMN_REF|PARAM_REF))?(,?"location":\d+)?}}
static const char* res_target(const char* p) {
  p = literal(p, "{\"ResTarget\":{");
  if (p == NULL) return NULL;
  p = optional(string(literal(p, "\"name\":")), p);
  p = optional(column_or_param_ref(literal(*p == ',' ? p + 1 : p, "\"val\":")), p);
  return literal(location(p, 1), "}}");
}

// {"String":{"sval":STRING}}
static const char* name_part(const char* p) {
  return literal(string(literal(p, "{\"String\":{\"sval\":")), "}}");
}

// {"A_Expr":{"kind":"[A-Z_]+","name":[NAME(,NAME)*](,"lexpr":OPERAND)?(,"rexpr":OPERAND)?(,"location":\d+)?}}
static const char* a_expr(const char* p) {
  p = literal(p, "{\"A_Expr\":{\"kind\":\"");
  if (p == NULL || !((*p >= 'A' && *p <= 'Z') || *p == '_')) return NULL;
  while ((*p >= 'A' && *p <= 'Z') || *p == '_') p++;
  p = list_of(literal(p, "\",\"name\":["), name_part);
  if (p == NULL) return NULL;
  p = optional(column_or_param_ref(literal(p, ",\"lexpr\":")), p);
  p = optional(column_or_param_ref(literal(p, ",\"rexpr\":")), p);
  return literal(location(p, 0), "}}");
}

size_t prune_inert_nodes(const char* json, size_t length, char* out) {
  const char* p = json;
  const char* const end = json + length;
  char* o = out;
  for (;;) {
    const char* brace = memchr(p, '{', (size_t)(end - p));
    if (brace == NULL) break;
    memcpy(o, p, (size_t)(brace - p));
    o += brace - p;
    // The one pattern that can match here, by the first letter of the key (each starts with its own): the
    // regex's alternatives, without trying the other three.
    const char* matched = NULL;
    if (brace[1] == '"') {
      switch (brace[2]) {
        case 'R': matched = res_target(brace); break;
        case 'A': matched = a_expr(brace); break;
        case 'C': matched = column_ref(brace); break;
        case 'P': matched = param_ref(brace); break;
        default: break;
      }
    }
    if (matched != NULL) {
      *o++ = '0';
      p = matched;
    } else {
      *o++ = '{';
      p = brace + 1;
    }
  }
  memcpy(o, p, (size_t)(end - p));
  o += end - p;
  *o = '\0';
  return (size_t)(o - out);
}
