/*
 * fst_discover.h - static discovery: walk, read and extract every file.
 *
 * fst_discover runs fst_walk over the roots, then reads and extracts every
 * test module, explicit root file and conftest.py it found, on a thread
 * pool (fst_pool) with one TSParser per thread and the one shared
 * TSLanguage.  Results come back in walk order (pytest's collection order),
 * one per walk entry.
 *
 * Per file:
 *  - a cache may answer first: the optional `reuse` callback is asked, on
 *    the calling thread, in walk order, before any thread starts; when it
 *    returns 1 it has filled the file's fst_file_info, and the file is
 *    neither read nor parsed (from_cache = 1).  fst_cache_reuse from
 *    fst_cache.h has this signature.  Storing freshly parsed files back into
 *    the cache is the caller's job: every file of kind TEST_MODULE,
 *    EXPLICIT or CONFTEST with from_cache == 0 and error == 0 (its size and
 *    mtime_ns are then those of the bytes actually parsed, taken with
 *    fstat on the open file, not the walk's).
 *  - a file larger than max_file_size is not read: needs-import,
 *    "file too large (N bytes)".  A file that cannot be read is
 *    needs-import with the strerror() text and `error` set to the errno.
 *  - walk entries that are not files to parse (FST_WALK_ERROR,
 *    FST_WALK_OTHER_FILE) are passed through as needs-import with a reason,
 *    so the caller can hand them to pytest; the kind tells which.
 *
 * Ownership: fst_discover fills a caller-provided fst_discover_result, all
 * allocated with fst_alloc; fst_discover_result_clear frees all of it
 * (paths and every fst_file_info).
 *
 * Thread-safety: fst_discover is reentrant and may be called from any
 * thread (the binding calls it with the GIL released).  It starts its pool
 * threads and joins them before returning: no thread outlives the call.
 * `reuse` runs on the calling thread only.  The TSLanguage is only read and
 * may be shared with other threads.
 */
#ifndef FST_DISCOVER_H
#define FST_DISCOVER_H

#include <stddef.h>
#include <stdint.h>
#include <tree_sitter/api.h>

#include "fst_extract.h"
#include "fst_walk.h"

/* Larger files are not parsed: a 20 MB test module is generated data. */
#define FST_DISCOVER_DEFAULT_MAX_FILE_SIZE (20 * 1024 * 1024)

/* Fill `out` (zeroed) from a cache and return 1, or return 0 when the cache
 * has no fresh entry for (path, size, mtime_ns), or a negative value when
 * out of memory. */
typedef int (*fst_discover_reuse_fn)(void *ctx, const char *path, int64_t size, int64_t mtime_ns,
                                     fst_file_info *out);

typedef struct {
  const fst_walk_config *walk;
  const fst_extract_config *extract;
  const TSLanguage *language;  /* checked with fst_grammar_check by the caller */
  unsigned n_threads;          /* 0 means 1 */
  int64_t max_file_size;       /* 0 means FST_DISCOVER_DEFAULT_MAX_FILE_SIZE */
  fst_discover_reuse_fn reuse; /* optional */
  void *reuse_ctx;
} fst_discover_config;

typedef struct {
  char *path; /* absolute (see fst_walk_entry.path) */
  fst_walk_kind kind;
  int error; /* 0, or the errno of the walk or of reading the file */
  int64_t size;
  int64_t mtime_ns;
  uint32_t root;  /* index into fst_discover_result.roots */
  int from_cache; /* 1 when `info` came from the reuse callback */
  fst_file_info info;
} fst_discover_file;

typedef struct {
  fst_discover_file *files; /* in walk order */
  size_t n_files;
  char **roots; /* the roots, absolute and normalized */
  size_t n_roots;
  size_t n_parsed; /* files this call read (or tried to) and extracted */
  size_t n_reused; /* files answered by the cache */
  uint64_t bytes_parsed;
  unsigned threads_used; /* pool threads, the caller's included */
} fst_discover_result;

/* Discover `roots` (as for fst_walk) into `out`, which must be zeroed or
 * cleared.  Returns 0, or -1 when out of memory (then `out` is cleared). */
int fst_discover(const fst_discover_config *config, const char *const *roots, size_t n_roots,
                 fst_discover_result *out);

/* Free everything `result` owns and zero it.  NULL-safe. */
void fst_discover_result_clear(fst_discover_result *result);

#endif /* FST_DISCOVER_H */
