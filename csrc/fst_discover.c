/*
 * fst_discover.c - walk, then read and extract on the pool.
 *
 * Order of work: the walk (one thread: it is a few syscalls per directory),
 * then the cache consultation (calling thread, walk order: the cache needs
 * no locking for it), then the pool over the remaining files.  Each pool
 * task owns exactly one result slot, chosen by index, so tasks share
 * nothing but the read-only configuration and the TSLanguage; the pool's
 * join publishes every slot to the caller.
 */
#include "fst_discover.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fst_alloc.h"
#include "fst_pool.h"

typedef struct {
  const fst_discover_config *config;
  fst_discover_file *files;
  size_t *todo; /* indices into files of the files to read and extract */
  int64_t max_file_size;
  atomic_uint_fast64_t bytes;
} fst_discover__ctx;

/* One pool thread's tools: a parser (not thread-safe) and a read buffer
 * reused from file to file. */
typedef struct {
  TSParser *parser;
  char *buf;
  size_t cap;
} fst_discover__state;

/* Make `info` a needs-import with a formatted reason.  -1 when out of memory. */
static int fst_discover__needs_import(fst_file_info *info, const char *what, int err) {
  char text[256], errbuf[128];
  if (err) {
    /* GNU strerror_r (the build sets _GNU_SOURCE): thread-safe, returns the text. */
    const char *msg = strerror_r(err, errbuf, sizeof errbuf);
    snprintf(text, sizeof text, "%s: %s", what, msg);
  } else {
    snprintf(text, sizeof text, "%s", what);
  }
  fst_file_info_clear(info);
  info->verdict = FST_VERDICT_NEEDS_IMPORT;
  info->reason = fst_strdup(text);
  return info->reason ? 0 : -1;
}

static int fst_discover__state_new(void *ctx_, void **out) {
  fst_discover__ctx *ctx = ctx_;
  fst_discover__state *state = fst_calloc(1, sizeof *state);
  if (!state) return -1;
  state->parser = ts_parser_new();
  /* The caller checked the grammar's ABI: set_language cannot fail then. */
  if (!state->parser || !ts_parser_set_language(state->parser, ctx->config->language)) {
    if (state->parser) ts_parser_delete(state->parser);
    fst_free(state);
    return -1;
  }
  *out = state;
  return 0;
}

static void fst_discover__state_delete(void *ctx_, void *state_) {
  fst_discover__state *state = state_;
  if (!state) return;
  ts_parser_delete(state->parser);
  fst_free(state->buf);
  fst_free(state);
}

/* Read the open file `fd` whole into state->buf, at most `max` bytes.
 * Returns the length, -2 when the file is larger than `max`, -1 when out of
 * memory, or -3 with errno set when read() fails. */
static int64_t fst_discover__read(fst_discover__state *state, int fd, int64_t expected,
                                  int64_t max) {
  size_t len = 0;
  /* One byte more than expected: a read that fills it means the file grew. */
  size_t want = (size_t)(expected < max ? expected : max) + 1;
  for (;;) {
    if (len == state->cap || want > state->cap) {
      size_t cap = state->cap ? state->cap : 4096;
      while (cap < want || cap <= len) cap *= 2;
      char *buf = fst_realloc(state->buf, cap);
      if (!buf) return -1;
      state->buf = buf;
      state->cap = cap;
    }
    ssize_t n = read(fd, state->buf + len, state->cap - len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -3;
    }
    if (n == 0) return (int64_t)len;
    len += (size_t)n;
    if ((int64_t)len > max) return -2;
  }
}

static int fst_discover__task(void *ctx_, void *state_, size_t index) {
  fst_discover__ctx *ctx = ctx_;
  fst_discover__state *state = state_;
  fst_discover_file *file = &ctx->files[ctx->todo[index]];

  int fd = open(file->path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    file->error = errno;
    return fst_discover__needs_import(&file->info, "cannot read file", file->error);
  }
  /* Size and mtime of what is actually read: the cache keys the result on
   * them, and the file may have changed since the walk saw it. */
  struct stat sb;
  if (fstat(fd, &sb) != 0) {
    file->error = errno;
    close(fd);
    return fst_discover__needs_import(&file->info, "cannot read file", file->error);
  }
  file->size = (int64_t)sb.st_size;
  file->mtime_ns = (int64_t)sb.st_mtim.tv_sec * 1000000000 + (int64_t)sb.st_mtim.tv_nsec;
  if (file->size > ctx->max_file_size) {
    close(fd);
    char what[96];
    snprintf(what, sizeof what, "file too large (%" PRId64 " bytes)", file->size);
    return fst_discover__needs_import(&file->info, what, 0);
  }
  int64_t len = fst_discover__read(state, fd, file->size, ctx->max_file_size);
  int read_errno = errno;
  close(fd);
  if (len == -1) return -1;
  if (len == -2)
    return fst_discover__needs_import(&file->info, "file too large (grew while read)", 0);
  if (len == -3) {
    file->error = read_errno;
    return fst_discover__needs_import(&file->info, "cannot read file", read_errno);
  }
  atomic_fetch_add(&ctx->bytes, (uint64_t)len);
  return fst_extract(state->parser, state->buf, (size_t)len, ctx->config->extract, &file->info);
}

/* The reason given to an entry that is not a file to parse. */
static int fst_discover__pass_through(fst_discover_file *file) {
  if (file->kind == FST_WALK_ERROR) {
    return fst_discover__needs_import(
        &file->info, file->error == ELOOP ? "directory symlink cycle" : "cannot read directory",
        file->error == ELOOP ? 0 : file->error);
  }
  if (file->kind == FST_WALK_OTHER_FILE) {
    return fst_discover__needs_import(&file->info, "not a Python test module", 0);
  }
  return fst_discover__needs_import(&file->info, "cannot stat file", file->error);
}

int fst_discover(const fst_discover_config *config, const char *const *roots, size_t n_roots,
                 fst_discover_result *out) {
  assert(config && config->walk && config->extract && config->language && out);
  memset(out, 0, sizeof *out);
  fst_walk_result walk = {0};
  if (fst_walk(config->walk, roots, n_roots, &walk) < 0) return -1;

  fst_discover__ctx ctx = {0};
  ctx.config = config;
  ctx.max_file_size =
      config->max_file_size > 0 ? config->max_file_size : FST_DISCOVER_DEFAULT_MAX_FILE_SIZE;
  atomic_init(&ctx.bytes, 0);
  int rc = -1;

  out->files = fst_calloc(walk.n_entries, sizeof *out->files);
  ctx.todo = fst_calloc(walk.n_entries, sizeof *ctx.todo);
  if (!out->files || !ctx.todo) goto done;
  /* The result takes over the walk's strings. */
  out->roots = walk.roots;
  out->n_roots = walk.n_roots;
  walk.roots = NULL;
  walk.n_roots = 0;
  for (size_t i = 0; i < walk.n_entries; i++) {
    fst_walk_entry *e = &walk.entries[i];
    fst_discover_file *file = &out->files[i];
    file->path = e->path;
    e->path = NULL;
    file->kind = e->kind;
    file->error = e->error;
    file->size = e->size;
    file->mtime_ns = e->mtime_ns;
    file->root = e->root;
    out->n_files++;
  }
  ctx.files = out->files;

  size_t n_todo = 0;
  for (size_t i = 0; i < out->n_files; i++) {
    fst_discover_file *file = &out->files[i];
    if (file->kind == FST_WALK_ERROR || file->kind == FST_WALK_OTHER_FILE || file->error) {
      if (fst_discover__pass_through(file) < 0) goto done;
      continue;
    }
    if (config->reuse) {
      int reused =
          config->reuse(config->reuse_ctx, file->path, file->size, file->mtime_ns, &file->info);
      if (reused < 0) goto done;
      if (reused == 1) {
        file->from_cache = 1;
        out->n_reused++;
        continue;
      }
    }
    ctx.todo[n_todo++] = i;
  }

  fst_pool_job job = {
      .n_tasks = n_todo,
      .n_threads = config->n_threads ? config->n_threads : 1,
      .ctx = &ctx,
      .state_new = fst_discover__state_new,
      .state_delete = fst_discover__state_delete,
      .task = fst_discover__task,
  };
  fst_pool_stats stats = {0};
  if (fst_pool_run(&job, &stats) < 0) goto done;
  out->n_parsed = n_todo;
  out->bytes_parsed = atomic_load(&ctx.bytes);
  out->threads_used = stats.threads_used;
  rc = 0;
done:
  fst_free(ctx.todo);
  fst_walk_result_clear(&walk);
  if (rc < 0) fst_discover_result_clear(out);
  return rc;
}

void fst_discover_result_clear(fst_discover_result *result) {
  if (!result) return;
  for (size_t i = 0; i < result->n_files; i++) {
    fst_free(result->files[i].path);
    fst_file_info_clear(&result->files[i].info);
  }
  fst_free(result->files);
  for (size_t i = 0; i < result->n_roots; i++) fst_free(result->roots[i]);
  fst_free(result->roots);
  memset(result, 0, sizeof *result);
}
