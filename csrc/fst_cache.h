/*
 * fst_cache.h - the discovery cache: the inventory of earlier runs.
 *
 * Static discovery parses every test file; a warm run should instead pay one
 * stat per file.  The cache maps an absolute path to the fst_file_info that
 * extraction produced for it, valid while the file's (size, mtime_ns) stay
 * the same, and is kept between runs in one compact JSON file:
 *
 *   {"schema":1,"producer":"pytest-fastest","fingerprint":"<caller's string>",
 *    "files":{"/abs/path.py":{"size":N,"mtime_ns":"N","verdict":0|1,
 *      "reason":null|"...","items":[["name",line,["marker",...]],...],
 *      "imports":[...],"hooks":N,"collect_ignore":[...],
 *      "collect_ignore_glob":[...]},...}}
 *
 * mtime_ns is a decimal string: JSON numbers go through a double in cJSON,
 * which has 53 bits, and nanosecond mtimes need 61.
 *
 * The fingerprint is whatever the caller derives from the configuration that
 * shapes discovery (conftest chain, ini options, versions).  A file written
 * under another schema or producer is foreign, one written under another
 * fingerprint is stale; both are ignored, and the run rebuilds the cache.
 *
 * Lifecycle of one run:
 *
 *   fst_cache_new(fingerprint, &cache);
 *   fst_cache_load(cache, path, message, sizeof message);   // warn if < 0
 *   ... discovery calls fst_cache_lookup (or fst_cache_reuse as its
 *       callback) per file, and fst_cache_put for each file it parsed ...
 *   fst_cache_save(cache, path, message, sizeof message);   // warn if < 0
 *   fst_cache_delete(cache);
 *
 * What is saved: every entry put or found fresh by a lookup in this run, and
 * every other loaded entry whose path still exists (a run over part of the
 * suite keeps the inventory of the rest; deleted files do not accumulate).
 * Entries whose mtime is within FST_CACHE_RACY_NS of the time they were put
 * are kept for this run but not saved: a file edited again within the
 * file system's timestamp granularity could keep the same (size, mtime) with
 * different content, and the cache must never hide an edit.
 *
 * Memory: all of the cache's own memory comes from fst_alloc.  cJSON's
 * parse tree uses cJSON's allocator (the process-wide cJSON hooks, libc
 * malloc unless someone called cJSON_InitHooks); the cache never installs
 * hooks itself, since they are global to every cJSON user in the process.
 *
 * Thread-safety: one fst_cache may be used by many threads at once; every
 * function but fst_cache_delete takes the cache's mutex, so lookups and puts
 * from a parse pool are safe.  fst_cache_delete must not race with anything.
 */
#ifndef FST_CACHE_H
#define FST_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "fst_extract.h"

/* Version of the file layout; bump it whenever fst_file_info or the layout
 * changes, so an older file is ignored rather than misread. */
#define FST_CACHE_SCHEMA 1
#define FST_CACHE_PRODUCER "pytest-fastest"
/* Larger files are not read: a real inventory is a few MB, and cJSON needs
 * about 30 bytes of tree per input byte in the worst case. */
#define FST_CACHE_MAX_BYTES (64u << 20)
/* Entries modified less than this long before they were put are not saved
 * (see "What is saved" above).  Covers 1 s and 2 s timestamp file systems. */
#define FST_CACHE_RACY_NS (3 * INT64_C(1000000000))

/* Status codes.  Every negative status of fst_cache_load leaves the cache
 * empty but usable, with a one-line explanation in the caller's buffer: the
 * run goes on and rebuilds the cache. */
enum {
  FST_CACHE_OK = 0,
  FST_CACHE_ENOMEM = -1,   /* out of memory */
  FST_CACHE_EIO = -2,      /* cannot read or write the file (a directory, permissions, disk full) */
  FST_CACHE_EINVALID = -3, /* corrupt, truncated, wrong types, absurd size */
  FST_CACHE_EFOREIGN = -4, /* another producer or schema */
  FST_CACHE_ESTALE = -5,   /* written under another fingerprint: the configuration
                              changed; callers may want to rebuild silently */
};

typedef struct fst_cache fst_cache;

/* Create an empty cache for `fingerprint` (copied).  Returns 0 and the cache
 * in *out, or FST_CACHE_ENOMEM (then *out is NULL).  The caller owns the
 * cache and releases it with fst_cache_delete. */
int fst_cache_new(const char *fingerprint, fst_cache **out);

/* Free the cache and everything it owns.  NULL-safe. */
void fst_cache_delete(fst_cache *self);

/* Replace the contents of the cache with the file at `path`.
 * Returns FST_CACHE_OK when the file was loaded or does not exist (then the
 * cache is empty and `message` is ""), else a negative status with the cache
 * empty and a one-line, NUL-terminated explanation naming the file in
 * `message` (at most `size` bytes; `message` may be NULL when size is 0). */
int fst_cache_load(fst_cache *self, const char *path, char *message, size_t size);

/* fst_cache_load from `length` bytes in memory (need not be NUL-terminated;
 * any bytes are safe).  Used by fst_cache_load and by the fuzz harness. */
int fst_cache_load_bytes(fst_cache *self, const char *data, size_t length, char *message,
                         size_t size);

/* Look up `path`.  Returns 1 when an entry exists with this size and
 * mtime_ns: a deep copy is written to `out` (which must be zeroed or
 * cleared; the caller releases it with fst_file_info_clear) and the entry is
 * marked used in this run.  Returns 0 when there is no entry or it is stale
 * (`out` untouched), and FST_CACHE_ENOMEM when the copy fails (`out` left
 * cleared). */
int fst_cache_lookup(fst_cache *self, const char *path, int64_t size, int64_t mtime_ns,
                     fst_file_info *out);

/* fst_cache_lookup with the signature of discovery's `reuse` callback:
 * `ctx` is the fst_cache. */
int fst_cache_reuse(void *ctx, const char *path, int64_t size, int64_t mtime_ns,
                    fst_file_info *out);

/* Record `info` for `path` with this size and mtime_ns, replacing any entry
 * for the path.  Deep-copies `info` (the caller keeps ownership of it).
 * Returns 0, or FST_CACHE_ENOMEM (the cache is then unchanged). */
int fst_cache_put(fst_cache *self, const char *path, int64_t size, int64_t mtime_ns,
                  const fst_file_info *info);

/* Number of entries, saved or not. */
size_t fst_cache_count(fst_cache *self);

/* Write the cache to `path` atomically: the missing parent directories are
 * created, the bytes go to a unique temporary file in the same directory
 * (path.<pid>.<counter>.tmp), which is then renamed over `path`.  Readers
 * see the old file or the new one, never a mix.  Not fsync'ed: after a power
 * loss the file may be empty or garbage, which the next load rejects and
 * rebuilds.  Returns 0, or a negative status with a one-line message (as for
 * fst_cache_load); on failure no temporary file is left and an existing file
 * at `path` is untouched. */
int fst_cache_save(fst_cache *self, const char *path, char *message, size_t size);

/* Serialize every entry (no pruning, unlike fst_cache_save) into a new
 * fst_malloc'ed buffer, NUL-terminated, for tests and fuzzing.  Returns 0
 * with the buffer in *out and its length (without the NUL) in *length, or
 * FST_CACHE_ENOMEM.  The caller frees *out with fst_free. */
int fst_cache_to_bytes(fst_cache *self, char **out, size_t *length);

#endif /* FST_CACHE_H */
