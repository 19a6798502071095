// Runs prune_inert_nodes.c on each line of standard input (a JSON text, or any prefix of one) and prints what
// it makes of it, one line each. src/native-harnesses.test.ts compares that with the regex (tree-prune.ts) on
// every prefix of real parse trees, under the sanitizers: a match cut off anywhere must neither read past the
// text's end nor differ from the regex.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../prune_inert_nodes.h"

int main(void) {
  static char line[1 << 20];
  while (fgets(line, sizeof line, stdin) != NULL) {
    size_t length = strlen(line);
    if (length > 0 && line[length - 1] == '\n') line[--length] = '\0';
    // A buffer of the exact size, as libpg_query hands the JSON over: the sanitizer sees any read past it.
    char* json = malloc(length + 1);
    char* out = malloc(length + 1);
    if (json == NULL || out == NULL) return 2;
    memcpy(json, line, length + 1);
    size_t written = prune_inert_nodes(json, length, out);
    if (strlen(out) != written) return 3;
    fputs(out, stdout);
    fputc('\n', stdout);
    free(json);
    free(out);
  }
  return 0;
}
