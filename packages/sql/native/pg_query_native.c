// PostgreSQL's parser (libpg_query), called natively from Node through N-API.
//
// Why: the agent parses each distinct statement once, and the WASM build spends about twice as long as this
// one producing the same JSON (bench/sql-classify.ts prints both). The output is libpg_query's own JSON,
// byte for byte what the WASM build returns, so the tree walk above it is shared; pruning is done here in C
// (prune_inert_nodes.c) to the same bytes as the WASM build's regex.
//
// parse(sql, prune) returns the JSON text, or { message, cursor } when PostgreSQL rejects the statement. With
// `prune` true, the nodes SQL analysis never reads are cut out first (prune_inert_nodes.c).
// Deeply nested statements recurse on the C stack (libpg_query's JSON writer has no depth check): the
// JavaScript side only sends texts short enough that their nesting fits (see native-parser.ts).
#include <node_api.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "pg_query.h"
#include "prune_inert_nodes.h"

#define STACK_TEXT 16384

static napi_value throw_error(napi_env env, const char* message) {
  napi_throw_error(env, NULL, message);
  return NULL;
}

static napi_value parse(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1)
    return throw_error(env, "parse(sql) needs one string");
  bool prune = false;
  if (argc >= 2 && napi_get_value_bool(env, argv[1], &prune) != napi_ok) prune = false;
  size_t len = 0;
  if (napi_get_value_string_utf8(env, argv[0], NULL, 0, &len) != napi_ok)
    return throw_error(env, "parse(sql) needs one string");

  char stack_text[STACK_TEXT + 1];
  char* text = len <= STACK_TEXT ? stack_text : malloc(len + 1);
  if (text == NULL) return throw_error(env, "out of memory");
  napi_get_value_string_utf8(env, argv[0], text, len + 1, &len);

  PgQueryParseResult result = pg_query_parse(text);
  if (text != stack_text) free(text);

  napi_value out = NULL;
  if (result.error != NULL) {
    napi_value message, cursor;
    napi_create_object(env, &out);
    napi_create_string_utf8(env, result.error->message ? result.error->message : "syntax error", NAPI_AUTO_LENGTH, &message);
    napi_create_int32(env, result.error->cursorpos, &cursor);
    napi_set_named_property(env, out, "message", message);
    napi_set_named_property(env, out, "cursor", cursor);
  } else if (result.parse_tree == NULL) {
    pg_query_free_parse_result(result);
    return throw_error(env, "the parser returned no tree");
  } else {
    const char* json = result.parse_tree;
    size_t length = strlen(json);
    char* pruned = NULL;
    if (prune) {
      pruned = malloc(length + 1);
      if (pruned == NULL) {
        pg_query_free_parse_result(result);
        return throw_error(env, "out of memory");
      }
      length = prune_inert_nodes(json, length, pruned);
      json = pruned;
    }
    napi_status status = napi_create_string_utf8(env, json, length, &out);
    free(pruned);
    if (status != napi_ok) {
      // A tree larger than V8's longest string: the caller treats it like any failure of the parser.
      pg_query_free_parse_result(result);
      return throw_error(env, "the parse tree is too large");
    }
  }
  pg_query_free_parse_result(result);
  return out;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "parse", NAPI_AUTO_LENGTH, parse, NULL, &fn);
  napi_set_named_property(env, exports, "parse", fn);
  return exports;
}
