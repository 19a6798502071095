#ifndef DBMESH_PRUNE_INERT_NODES_H
#define DBMESH_PRUNE_INERT_NODES_H
#include <stddef.h>

// Writes the NUL-terminated JSON json[0, length) to `out` (room for length + 1 bytes) with its inert nodes
// replaced by `0` (see prune_inert_nodes.c); returns the length written, NUL excluded.
size_t prune_inert_nodes(const char* json, size_t length, char* out);

#endif
