// A file mapped into memory with MAP_SHARED, for the agent's SQL audit spool (apps/agent/src/audit/spool.ts).
//
// Why: bytes copied into a shared mapping of a file are in the kernel's page cache the moment they are copied,
// so they survive the process being killed (kill -9) exactly as bytes handed to write(2) do, without a system
// call per event. Node has no mmap of its own.
//
//   map(fd, length) -> ArrayBuffer   reserves [0, length) of the file on disk first (posix_fallocate: a full
//                                    disk fails here, as an exception, and never later as a SIGBUS on a page),
//                                    then maps it read-write, shared, with no read-ahead on faults.
//   unmap(arrayBuffer)               unmaps it and detaches the ArrayBuffer: every view of it becomes empty, so
//                                    no JavaScript can touch the memory afterwards. Idempotent. A mapping never
//                                    unmapped is unmapped when the ArrayBuffer is collected.
//   populate(arrayBuffer, offset, length)  faults that range in writable with one madvise(MADV_POPULATE_WRITE)
//                                    instead of a page fault per page as the writes reach it. Best effort.
//
// The caller must not shrink the file (ftruncate) below what it still writes through the mapping.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <node_api.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

// Every mapping not yet finalized, so that unmap() (which gets only the ArrayBuffer) can find its record.
// The agent holds one or two at a time.
typedef struct mapping {
  void* addr;
  size_t length;
  int unmapped;
  struct mapping* next;
} mapping;

static mapping* live = NULL;

static napi_value throw_errno(napi_env env, const char* what, int err) {
  char message[256];
  snprintf(message, sizeof message, "%s: %s", what, strerror(err));
  const char* code = err == ENOSPC ? "ENOSPC" : err == EBADF ? "EBADF" : err == ENOMEM ? "ENOMEM" : "EIO";
  napi_throw_error(env, code, message);
  return NULL;
}

// Runs when the ArrayBuffer is collected (detaching does not run it).
static void finalize(napi_env env, void* data, void* hint) {
  (void)env;
  (void)data;
  mapping* m = hint;
  if (!m->unmapped) munmap(m->addr, m->length);
  for (mapping** p = &live; *p != NULL; p = &(*p)->next) {
    if (*p == m) {
      *p = m->next;
      break;
    }
  }
  free(m);
}

static napi_value map(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2) {
    napi_throw_type_error(env, NULL, "map(fd, length)");
    return NULL;
  }
  int32_t fd;
  int64_t length;
  if (napi_get_value_int32(env, argv[0], &fd) != napi_ok || napi_get_value_int64(env, argv[1], &length) != napi_ok ||
      fd < 0 || length <= 0) {
    napi_throw_type_error(env, NULL, "map(fd, length): fd >= 0 and length > 0");
    return NULL;
  }
  int err = posix_fallocate(fd, 0, (off_t)length);
  if (err != 0) return throw_errno(env, "posix_fallocate", err);
  void* addr = mmap(NULL, (size_t)length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (addr == MAP_FAILED) return throw_errno(env, "mmap", errno);
  // No read-ahead on faults: the spool writes from the start and populates just ahead of itself, and read-ahead
  // on a fault filled (zeroed) pages far past what a segment ever used — ~3/4 of the populating time in perf,
  // and pages that sealing then had to free again. Best effort.
  madvise(addr, (size_t)length, MADV_RANDOM);
  mapping* m = malloc(sizeof *m);
  if (m == NULL) {
    munmap(addr, (size_t)length);
    return throw_errno(env, "malloc", ENOMEM);
  }
  *m = (mapping){.addr = addr, .length = (size_t)length, .unmapped = 0, .next = live};
  napi_value result;
  if (napi_create_external_arraybuffer(env, addr, (size_t)length, finalize, m, &result) != napi_ok) {
    munmap(addr, (size_t)length);
    free(m);
    napi_throw_error(env, NULL, "cannot wrap the mapping in an ArrayBuffer");
    return NULL;
  }
  live = m;
  return result;
}

static napi_value unmap(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  bool is_arraybuffer = false;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_is_arraybuffer(env, argv[0], &is_arraybuffer) != napi_ok || !is_arraybuffer) {
    napi_throw_type_error(env, NULL, "unmap(arrayBuffer)");
    return NULL;
  }
  void* data = NULL;
  size_t length = 0;
  if (napi_get_arraybuffer_info(env, argv[0], &data, &length) != napi_ok) {
    napi_throw_type_error(env, NULL, "unmap(arrayBuffer)");
    return NULL;
  }
  mapping* m = live;
  while (m != NULL && (m->unmapped || m->addr != data || m->length != length)) m = m->next;
  if (m == NULL) return NULL;  // already unmapped (detached), or not one of ours
  // Detached first: from here on no view of it reaches the memory.
  if (napi_detach_arraybuffer(env, argv[0]) != napi_ok) {
    napi_throw_error(env, NULL, "cannot detach the mapping's ArrayBuffer");
    return NULL;
  }
  munmap(m->addr, m->length);
  m->unmapped = 1;
  return NULL;
}

static napi_value populate(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  int64_t offset, length;
  void* data = NULL;
  size_t size = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 3 ||
      napi_get_arraybuffer_info(env, argv[0], &data, &size) != napi_ok || napi_get_value_int64(env, argv[1], &offset) != napi_ok ||
      napi_get_value_int64(env, argv[2], &length) != napi_ok) {
    napi_throw_type_error(env, NULL, "populate(arrayBuffer, offset, length)");
    return NULL;
  }
  if (data == NULL || offset < 0 || length <= 0 || (uint64_t)offset >= size) return NULL;
  if ((uint64_t)(offset + length) > size) length = (int64_t)size - offset;
  uintptr_t start = ((uintptr_t)data + (uintptr_t)offset) & ~(uintptr_t)4095;
  uintptr_t end = (uintptr_t)data + (uintptr_t)offset + (uintptr_t)length;
  // Best effort: a kernel without MADV_POPULATE_WRITE (< 5.14) just leaves the pages to fault in one by one.
  madvise((void*)start, end - start, MADV_POPULATE_WRITE);
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"map", NULL, map, NULL, NULL, NULL, napi_default, NULL},
      {"unmap", NULL, unmap, NULL, NULL, NULL, napi_default, NULL},
      {"populate", NULL, populate, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
