/*
 * fst_walk.c - pytest's file walk, without Python.
 *
 * The walk is a depth-first traversal with an explicit stack of frames, one
 * per directory on the current path.  A frame holds the whole sorted
 * listing of its directory (pytest's scandir also reads a directory fully
 * and sorts it before collecting any entry), so no directory stays open
 * while its subdirectories are walked: open descriptors stay at one, and
 * memory grows with depth times directory size, never with the tree.
 */
#include "fst_walk.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fst_alloc.h"

/* ---- growable byte buffer (paths) ---------------------------------------- */

typedef struct {
  char *data;
  size_t len;
  size_t cap;
} fst_walk__buf;

static int fst_walk__buf_reserve(fst_walk__buf *buf, size_t extra) {
  size_t need = buf->len + extra + 1;
  if (need <= buf->cap) return 0;
  size_t cap = buf->cap ? buf->cap : 256;
  while (cap < need) cap *= 2;
  char *data = fst_realloc(buf->data, cap);
  if (!data) return -1;
  buf->data = data;
  buf->cap = cap;
  return 0;
}

static int fst_walk__buf_append(fst_walk__buf *buf, const char *s, size_t n) {
  if (fst_walk__buf_reserve(buf, n) < 0) return -1;
  memcpy(buf->data + buf->len, s, n);
  buf->len += n;
  buf->data[buf->len] = '\0';
  return 0;
}

static void fst_walk__buf_truncate(fst_walk__buf *buf, size_t len) {
  buf->len = len;
  if (buf->data) buf->data[len] = '\0';
}

/* Append "/name" to a directory path, without doubling the slash of "/". */
static int fst_walk__buf_join(fst_walk__buf *buf, const char *name) {
  if (!(buf->len > 0 && buf->data[buf->len - 1] == '/')) {
    if (fst_walk__buf_append(buf, "/", 1) < 0) return -1;
  }
  return fst_walk__buf_append(buf, name, strlen(name));
}

/* ---- paths ---------------------------------------------------------------- */

/* os.path.abspath: make `path` absolute against the working directory and
 * normalize it lexically (posixpath.normpath: "." and empty components
 * dropped, ".." removes its predecessor, exactly two leading slashes kept).
 * Returns a fst_malloc'ed string or NULL (out of memory, or no cwd). */
static char *fst_walk__abspath(const char *path) {
  fst_walk__buf in = {0};
  if (path[0] != '/') {
    char *cwd = getcwd(NULL, 0); /* libc-allocated: freed with free() */
    if (!cwd) return NULL;
    int rc = fst_walk__buf_append(&in, cwd, strlen(cwd));
    free(cwd);
    if (rc < 0 || fst_walk__buf_append(&in, "/", 1) < 0) goto fail;
  }
  if (fst_walk__buf_append(&in, path, strlen(path)) < 0) goto fail;

  char *out = fst_malloc(in.len + 2);
  if (!out) goto fail;
  const char *s = in.data;
  size_t leading = 0;
  while (s[leading] == '/') leading++;
  size_t o = 0;
  out[o++] = '/';
  if (leading == 2) out[o++] = '/';
  size_t base = o; /* components never pop past the leading slashes */
  const char *p = s + leading;
  while (*p) {
    const char *end = strchr(p, '/');
    size_t n = end ? (size_t)(end - p) : strlen(p);
    if (n == 0 || (n == 1 && p[0] == '.')) {
      /* dropped */
    } else if (n == 2 && p[0] == '.' && p[1] == '.') {
      if (o > base) {
        while (o > base && out[o - 1] != '/') o--;
        if (o > base) o--; /* the separator before the removed component */
      }
    } else {
      if (o > base) out[o++] = '/';
      memcpy(out + o, p, n);
      o += n;
    }
    p += n;
    while (*p == '/') p++;
  }
  out[o] = '\0';
  fst_free(in.data);
  return out;
fail:
  fst_free(in.data);
  return NULL;
}

/* Whether `dir` is a proper ancestor of `path` (both normalized absolute). */
static bool fst_walk__is_proper_ancestor(const char *dir, size_t dir_len, const char *path,
                                         size_t path_len) {
  if (dir_len >= path_len || memcmp(dir, path, dir_len) != 0) return false;
  return dir[dir_len - 1] == '/' || path[dir_len] == '/';
}

/* pytest's _is_in_confcutdir: conftests are loaded from every directory
 * that is not a proper ancestor of confcutdir. */
static bool fst_walk__in_confcutdir(const char *confcutdir, const char *dir, size_t dir_len) {
  if (!confcutdir) return true;
  return !fst_walk__is_proper_ancestor(dir, dir_len, confcutdir, strlen(confcutdir));
}

/* Length of the parent directory of path[0:len] ("/" for "/a"), or 0 for "/". */
static size_t fst_walk__parent_len(const char *path, size_t len) {
  if (len <= 1) return 0;
  size_t i = len - 1;
  while (i > 0 && path[i] != '/') i--;
  return i == 0 ? 1 : i;
}

/* pathlib's Path.suffix == ".py": the last dot, not leading the name, with
 * something after it. */
static bool fst_walk__has_py_suffix(const char *name) {
  const char *dot = strrchr(name, '.');
  return dot && dot != name && strcmp(dot, ".py") == 0;
}

static bool fst_walk__is_regular_file(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* The errors pytest's scandir skips an entry for (pathlib._IGNORED_ERRORS). */
static bool fst_walk__ignorable_errno(int err) {
  return err == ENOENT || err == ENOTDIR || err == EBADF || err == ELOOP;
}

/* ---- patterns ------------------------------------------------------------- */

/* Python's fnmatch.fnmatch on POSIX: '*' and '?' cross '/', no escapes. */
static bool fst_walk__fnmatch(const char *pattern, const char *string) {
  return fnmatch(pattern, string, FNM_NOESCAPE) == 0;
}

typedef struct {
  char *pattern;   /* owned; for a relative pattern with '/', prefixed with "*" "/" */
  bool whole_path; /* false: matched against the base name */
} fst_walk__pattern;

typedef struct {
  fst_walk__pattern *items;
  size_t n;
} fst_walk__patterns;

static void fst_walk__patterns_clear(fst_walk__patterns *list) {
  for (size_t i = 0; i < list->n; i++) fst_free(list->items[i].pattern);
  fst_free(list->items);
  list->items = NULL;
  list->n = 0;
}

/* Prepare patterns for fnmatch_ex against absolute paths. */
static int fst_walk__patterns_init_ex(fst_walk__patterns *list, const char *const *patterns,
                                      size_t n) {
  list->n = 0;
  list->items = fst_calloc(n, sizeof *list->items);
  if (!list->items) return -1;
  for (size_t i = 0; i < n; i++) {
    const char *pat = patterns[i];
    fst_walk__pattern *item = &list->items[list->n];
    item->whole_path = strchr(pat, '/') != NULL;
    if (item->whole_path && pat[0] != '/') {
      size_t len = strlen(pat);
      item->pattern = fst_malloc(len + 3);
      if (item->pattern) {
        memcpy(item->pattern, "*/", 2);
        memcpy(item->pattern + 2, pat, len + 1);
      }
    } else {
      item->pattern = fst_strdup(pat);
    }
    if (!item->pattern) return -1;
    list->n++;
  }
  return 0;
}

/* Prepare patterns that pytest makes absolute first (--ignore-glob,
 * --ignore: absolutepath(x)); matched against the whole path. */
static int fst_walk__patterns_init_abs(fst_walk__patterns *list, const char *const *patterns,
                                       size_t n) {
  list->n = 0;
  list->items = fst_calloc(n, sizeof *list->items);
  if (!list->items) return -1;
  for (size_t i = 0; i < n; i++) {
    list->items[list->n].pattern = fst_walk__abspath(patterns[i]);
    if (!list->items[list->n].pattern) return -1;
    list->items[list->n].whole_path = true;
    list->n++;
  }
  return 0;
}

static bool fst_walk__match_ex(const fst_walk__patterns *list, const char *path, const char *name) {
  for (size_t i = 0; i < list->n; i++) {
    if (fst_walk__fnmatch(list->items[i].pattern, list->items[i].whole_path ? path : name))
      return true;
  }
  return false;
}

static bool fst_walk__match_glob(const fst_walk__patterns *list, const char *path) {
  for (size_t i = 0; i < list->n; i++) {
    if (fst_walk__fnmatch(list->items[i].pattern, path)) return true;
  }
  return false;
}

static bool fst_walk__equals_any(const fst_walk__patterns *list, const char *path) {
  for (size_t i = 0; i < list->n; i++) {
    if (strcmp(list->items[i].pattern, path) == 0) return true;
  }
  return false;
}

/* ---- the walk ------------------------------------------------------------- */

enum { FST_WALK__DIR = 1, FST_WALK__FILE = 2 };

typedef struct {
  const char *name;
  unsigned char type;
} fst_walk__dirent;

/* One directory on the current path: its sorted listing and the position of
 * the next entry to visit. */
typedef struct {
  char *names; /* all names of the listing, NUL-separated */
  fst_walk__dirent *ents;
  size_t n;
  size_t next;
  dev_t dev;
  ino_t ino;
  size_t path_len; /* length of this directory's path in the path buffer */
} fst_walk__frame;

typedef struct {
  const fst_walk_config *config;
  fst_walk__patterns python_files;
  fst_walk__patterns norecursedirs;
  fst_walk__patterns ignore; /* absolute, normalized paths compared for equality */
  fst_walk__patterns ignore_glob;
  fst_walk__patterns extra;
  char *confcutdir;
  fst_walk_result *out;
  size_t cap;
  uint32_t root;
  fst_walk__buf path;
  fst_walk__frame *frames;
  size_t n_frames;
  size_t cap_frames;
  char **ancestor_conftests; /* already reported, across roots */
  size_t n_ancestor_conftests;
} fst_walk__state;

static void fst_walk__frame_clear(fst_walk__frame *frame) {
  fst_free(frame->names);
  fst_free(frame->ents);
  memset(frame, 0, sizeof *frame);
}

static int fst_walk__emit(fst_walk__state *st, const char *path, fst_walk_kind kind, int error,
                          const struct stat *sb) {
  fst_walk_result *out = st->out;
  if (out->n_entries == st->cap) {
    size_t cap = st->cap ? st->cap * 2 : 64;
    fst_walk_entry *entries = fst_realloc(out->entries, cap * sizeof *entries);
    if (!entries) return -1;
    out->entries = entries;
    st->cap = cap;
  }
  fst_walk_entry *e = &out->entries[out->n_entries];
  memset(e, 0, sizeof *e);
  e->path = fst_strdup(path);
  if (!e->path) return -1;
  e->kind = kind;
  e->error = error;
  e->root = st->root;
  if (sb) {
    e->size = (int64_t)sb->st_size;
    e->mtime_ns = (int64_t)sb->st_mtim.tv_sec * 1000000000 + (int64_t)sb->st_mtim.tv_nsec;
  }
  out->n_entries++;
  return 0;
}

/* Emit a file with its size and mtime.  A file that vanished since it was
 * listed is skipped, as pytest's scandir would have; other stat errors are
 * reported on the entry. */
static int fst_walk__emit_file(fst_walk__state *st, const char *path, fst_walk_kind kind) {
  struct stat sb;
  if (stat(path, &sb) != 0) {
    int err = errno;
    if (fst_walk__ignorable_errno(err)) return 0;
    return fst_walk__emit(st, path, kind, err, NULL);
  }
  return fst_walk__emit(st, path, kind, 0, &sb);
}

static int fst_walk__dirent_cmp(const void *a, const void *b) {
  return strcmp(((const fst_walk__dirent *)a)->name, ((const fst_walk__dirent *)b)->name);
}

/* Read the directory open as `dir` into `frame`: its files and directories
 * (symlinks followed), sorted, with __init__.py first in a package.
 * Returns 0, a positive errno when pytest would fail to collect the
 * directory, or -1 when out of memory.  Closes `dir`. */
static int fst_walk__read_dir(DIR *dir, fst_walk__frame *frame) {
  size_t names_len = 0, names_cap = 0, cap = 0;
  char *names = NULL;
  struct {
    size_t offset;
    unsigned char type;
  } *raw = NULL;
  size_t n = 0;
  int rc = 0;
  int fd = dirfd(dir);

  for (;;) {
    errno = 0;
    struct dirent *de = readdir(dir);
    if (!de) {
      if (errno) rc = errno;
      break;
    }
    const char *name = de->d_name;
    if (name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'))) continue;
    unsigned char type = 0;
    if (de->d_type == DT_DIR) {
      type = FST_WALK__DIR;
    } else if (de->d_type == DT_REG) {
      type = FST_WALK__FILE;
    } else if (de->d_type == DT_LNK || de->d_type == DT_UNKNOWN) {
      /* DirEntry.is_dir()/is_file() follow symlinks: stat the target. */
      struct stat sb;
      if (fstatat(fd, name, &sb, 0) != 0) {
        if (fst_walk__ignorable_errno(errno)) continue; /* dangling, loop: skipped */
        rc = errno; /* pytest's scandir re-raises: the directory fails to collect */
        break;
      }
      if (S_ISDIR(sb.st_mode))
        type = FST_WALK__DIR;
      else if (S_ISREG(sb.st_mode))
        type = FST_WALK__FILE;
    }
    if (!type) continue; /* fifos, sockets, devices: neither is_dir nor is_file */

    size_t len = strlen(name) + 1;
    if (names_len + len > names_cap) {
      size_t ncap = names_cap ? names_cap * 2 : 1024;
      while (ncap < names_len + len) ncap *= 2;
      char *grown = fst_realloc(names, ncap);
      if (!grown) {
        rc = -1;
        break;
      }
      names = grown;
      names_cap = ncap;
    }
    if (n == cap) {
      size_t ncap = cap ? cap * 2 : 32;
      void *grown = fst_realloc(raw, ncap * sizeof *raw);
      if (!grown) {
        rc = -1;
        break;
      }
      raw = grown;
      cap = ncap;
    }
    memcpy(names + names_len, name, len);
    raw[n].offset = names_len;
    raw[n].type = type;
    names_len += len;
    n++;
  }
  closedir(dir);

  fst_walk__dirent *ents = NULL;
  if (rc == 0) {
    ents = fst_calloc(n, sizeof *ents);
    if (!ents) rc = -1;
  }
  if (rc != 0) {
    fst_free(names);
    fst_free(raw);
    return rc;
  }
  /* Pointers into `names` only now that it no longer moves. */
  bool package = false;
  for (size_t i = 0; i < n; i++) {
    ents[i].name = names + raw[i].offset;
    ents[i].type = raw[i].type;
    if (ents[i].type == FST_WALK__FILE && strcmp(ents[i].name, "__init__.py") == 0) package = true;
  }
  fst_free(raw);
  qsort(ents, n, sizeof *ents, fst_walk__dirent_cmp);
  if (package) {
    /* Package.collect sorts by (name != "__init__.py", name). */
    for (size_t i = 0; i < n; i++) {
      if (ents[i].type == FST_WALK__FILE && strcmp(ents[i].name, "__init__.py") == 0) {
        fst_walk__dirent init = ents[i];
        memmove(ents + 1, ents, i * sizeof *ents);
        ents[0] = init;
        break;
      }
    }
  }
  frame->names = names;
  frame->ents = ents;
  frame->n = n;
  frame->next = 0;
  return 0;
}

/* Report the conftest.py of the directory in st->path, if pytest loads it. */
static int fst_walk__emit_dir_conftest(fst_walk__state *st, const fst_walk__frame *frame) {
  if (st->config->noconftest) return 0;
  if (!fst_walk__in_confcutdir(st->confcutdir, st->path.data, st->path.len)) return 0;
  for (size_t i = 0; i < frame->n; i++) {
    if (frame->ents[i].type == FST_WALK__FILE && strcmp(frame->ents[i].name, "conftest.py") == 0) {
      size_t len = st->path.len;
      int rc = fst_walk__buf_join(&st->path, "conftest.py");
      if (rc == 0) rc = fst_walk__emit_file(st, st->path.data, FST_WALK_CONFTEST);
      fst_walk__buf_truncate(&st->path, len);
      return rc;
    }
  }
  return 0;
}

/* pytest_ignore_collect for a subdirectory (st->path; `name` its base). */
static bool fst_walk__ignore_dir(fst_walk__state *st, const char *name) {
  const char *path = st->path.data;
  if (strcmp(name, "__pycache__") == 0) return true;
  if (fst_walk__equals_any(&st->ignore, path)) return true;
  if (fst_walk__match_glob(&st->ignore_glob, path)) return true;
  if (fst_walk__match_ex(&st->norecursedirs, path, name)) return true;
  if (!st->config->collect_in_virtualenv) {
    size_t len = st->path.len;
    bool venv = false;
    if (fst_walk__buf_join(&st->path, "pyvenv.cfg") == 0)
      venv = fst_walk__is_regular_file(st->path.data);
    fst_walk__buf_truncate(&st->path, len);
    if (!venv && fst_walk__buf_join(&st->path, "conda-meta/history") == 0)
      venv = fst_walk__is_regular_file(st->path.data);
    fst_walk__buf_truncate(&st->path, len);
    if (venv) return true;
  }
  return false;
}

/* pytest_ignore_collect for a file (the rules that can apply to one). */
static bool fst_walk__ignore_file(fst_walk__state *st, const char *name) {
  const char *path = st->path.data;
  if (strcmp(name, "__pycache__") == 0) return true;
  if (fst_walk__equals_any(&st->ignore, path)) return true;
  if (fst_walk__match_glob(&st->ignore_glob, path)) return true;
  return false;
}

/* Open the directory at st->path and push its frame, or report why not.
 * Returns 0 (pushed or reported) or -1 (out of memory). */
static int fst_walk__push_dir(fst_walk__state *st) {
  DIR *dir = opendir(st->path.data);
  if (!dir) {
    int err = errno;
    if (err == ENOENT && st->n_frames > 0) return 0; /* vanished: pytest's scandir gives [] */
    return fst_walk__emit(st, st->path.data, FST_WALK_ERROR, err, NULL);
  }
  struct stat sb;
  if (fstat(dirfd(dir), &sb) != 0) {
    int err = errno;
    closedir(dir);
    return fst_walk__emit(st, st->path.data, FST_WALK_ERROR, err, NULL);
  }
  /* A directory already on the current path: a symlink cycle. */
  for (size_t i = 0; i < st->n_frames; i++) {
    if (st->frames[i].dev == sb.st_dev && st->frames[i].ino == sb.st_ino) {
      closedir(dir);
      return fst_walk__emit(st, st->path.data, FST_WALK_ERROR, ELOOP, NULL);
    }
  }
  if (st->n_frames == st->cap_frames) {
    size_t cap = st->cap_frames ? st->cap_frames * 2 : 16;
    fst_walk__frame *frames = fst_realloc(st->frames, cap * sizeof *frames);
    if (!frames) {
      closedir(dir);
      return -1;
    }
    st->frames = frames;
    st->cap_frames = cap;
  }
  fst_walk__frame *frame = &st->frames[st->n_frames];
  memset(frame, 0, sizeof *frame);
  int rc = fst_walk__read_dir(dir, frame);
  if (rc < 0) return -1;
  if (rc > 0) return fst_walk__emit(st, st->path.data, FST_WALK_ERROR, rc, NULL);
  frame->dev = sb.st_dev;
  frame->ino = sb.st_ino;
  frame->path_len = st->path.len;
  st->n_frames++;
  return fst_walk__emit_dir_conftest(st, frame);
}

/* Walk the directory root in st->path, depth first, in pytest's order. */
static int fst_walk__walk_dir(fst_walk__state *st) {
  if (fst_walk__push_dir(st) < 0) return -1;
  while (st->n_frames > 0) {
    fst_walk__frame *top = &st->frames[st->n_frames - 1];
    if (top->next == top->n) {
      fst_walk__frame_clear(top);
      st->n_frames--;
      if (st->n_frames > 0)
        fst_walk__buf_truncate(&st->path, st->frames[st->n_frames - 1].path_len);
      continue;
    }
    const fst_walk__dirent *ent = &top->ents[top->next++];
    fst_walk__buf_truncate(&st->path, top->path_len);
    if (fst_walk__buf_join(&st->path, ent->name) < 0) return -1;
    if (ent->type == FST_WALK__DIR) {
      if (fst_walk__ignore_dir(st, ent->name)) continue;
      if (fst_walk__push_dir(st) < 0) return -1; /* may move st->frames: `top` is stale */
      continue;
    }
    if (fst_walk__ignore_file(st, ent->name)) continue;
    if (fst_walk__has_py_suffix(ent->name) &&
        fst_walk__match_ex(&st->python_files, st->path.data, ent->name)) {
      if (fst_walk__emit_file(st, st->path.data, FST_WALK_TEST_MODULE) < 0) return -1;
    } else if (fst_walk__match_ex(&st->extra, st->path.data, ent->name)) {
      if (fst_walk__emit_file(st, st->path.data, FST_WALK_OTHER_FILE) < 0) return -1;
    }
  }
  return 0;
}

/* Report the conftest of directory root[0:len] if pytest loads it and it
 * was not reported for an earlier root. */
static int fst_walk__emit_ancestor_conftest(fst_walk__state *st, const char *root, size_t len) {
  if (!fst_walk__in_confcutdir(st->confcutdir, root, len)) return 0;
  fst_walk__buf_truncate(&st->path, 0);
  if (fst_walk__buf_append(&st->path, root, len) < 0) return -1;
  if (fst_walk__buf_join(&st->path, "conftest.py") < 0) return -1;
  if (!fst_walk__is_regular_file(st->path.data)) return 0;
  for (size_t i = 0; i < st->n_ancestor_conftests; i++) {
    if (strcmp(st->ancestor_conftests[i], st->path.data) == 0) return 0;
  }
  char **grown =
      fst_realloc(st->ancestor_conftests, (st->n_ancestor_conftests + 1) * sizeof *grown);
  if (!grown) return -1;
  st->ancestor_conftests = grown;
  grown[st->n_ancestor_conftests] = fst_strdup(st->path.data);
  if (!grown[st->n_ancestor_conftests]) return -1;
  st->n_ancestor_conftests++;
  return fst_walk__emit_file(st, st->path.data, FST_WALK_CONFTEST);
}

/* Report the conftests of the directories above a root, top down: pytest
 * collects (and so loads the conftests of) every directory from the
 * confcutdir down to the root.  root[0:parent_len] is the root's parent. */
static int fst_walk__emit_ancestor_conftests(fst_walk__state *st, const char *root,
                                             size_t parent_len) {
  if (st->config->noconftest) return 0;
  if (fst_walk__emit_ancestor_conftest(st, root, 1) < 0) return -1; /* "/" */
  for (size_t i = 2; i < parent_len; i++) {
    if (root[i] == '/' && fst_walk__emit_ancestor_conftest(st, root, i) < 0) return -1;
  }
  if (parent_len > 1 && fst_walk__emit_ancestor_conftest(st, root, parent_len) < 0) return -1;
  return 0;
}

static int fst_walk__walk_root(fst_walk__state *st, const char *root) {
  struct stat sb;
  if (stat(root, &sb) != 0) {
    return fst_walk__emit(st, root, FST_WALK_ERROR, errno, NULL);
  }
  /* The parent directory of the root: its length in `root` (none for "/"). */
  const char *slash = strrchr(root, '/');
  const char *name = slash + 1;
  size_t parent_len = fst_walk__parent_len(root, strlen(root));
  if (parent_len > 0 && fst_walk__emit_ancestor_conftests(st, root, parent_len) < 0) return -1;

  if (S_ISDIR(sb.st_mode)) {
    fst_walk__buf_truncate(&st->path, 0);
    if (fst_walk__buf_append(&st->path, root, strlen(root)) < 0) return -1;
    return fst_walk__walk_dir(st);
  }
  if (S_ISREG(sb.st_mode) && fst_walk__has_py_suffix(name)) {
    return fst_walk__emit(st, root, FST_WALK_EXPLICIT, 0, &sb);
  }
  /* Not a .py file: pytest hands it to every plugin's pytest_collect_file
   * (doctest takes .txt/.rst roots) or reports it; not ours to decide. */
  return fst_walk__emit(st, root, FST_WALK_OTHER_FILE, 0, S_ISREG(sb.st_mode) ? &sb : NULL);
}

static void fst_walk__state_clear(fst_walk__state *st) {
  fst_walk__patterns_clear(&st->python_files);
  fst_walk__patterns_clear(&st->norecursedirs);
  fst_walk__patterns_clear(&st->ignore);
  fst_walk__patterns_clear(&st->ignore_glob);
  fst_walk__patterns_clear(&st->extra);
  fst_free(st->confcutdir);
  fst_free(st->path.data);
  for (size_t i = 0; i < st->n_frames; i++) fst_walk__frame_clear(&st->frames[i]);
  fst_free(st->frames);
  for (size_t i = 0; i < st->n_ancestor_conftests; i++) fst_free(st->ancestor_conftests[i]);
  fst_free(st->ancestor_conftests);
}

int fst_walk(const fst_walk_config *config, const char *const *roots, size_t n_roots,
             fst_walk_result *out) {
  assert(config && out && (roots || n_roots == 0));
  memset(out, 0, sizeof *out);
  fst_walk__state st = {0};
  st.config = config;
  st.out = out;
  int rc = -1;
  if (fst_walk__patterns_init_ex(&st.python_files, config->python_files, config->n_python_files) <
          0 ||
      fst_walk__patterns_init_ex(&st.norecursedirs, config->norecursedirs,
                                 config->n_norecursedirs) < 0 ||
      fst_walk__patterns_init_abs(&st.ignore, config->ignore, config->n_ignore) < 0 ||
      fst_walk__patterns_init_abs(&st.ignore_glob, config->ignore_glob, config->n_ignore_glob) <
          0 ||
      fst_walk__patterns_init_ex(&st.extra, config->extra_file_patterns,
                                 config->n_extra_file_patterns) < 0)
    goto done;
  if (config->confcutdir && !(st.confcutdir = fst_walk__abspath(config->confcutdir))) goto done;

  out->roots = fst_calloc(n_roots, sizeof *out->roots);
  if (!out->roots) goto done;
  for (size_t i = 0; i < n_roots; i++) {
    out->roots[i] = fst_walk__abspath(roots[i]);
    if (!out->roots[i]) goto done;
    out->n_roots++;
  }
  for (size_t i = 0; i < n_roots; i++) {
    st.root = (uint32_t)i;
    if (fst_walk__walk_root(&st, out->roots[i]) < 0) goto done;
    for (size_t f = 0; f < st.n_frames; f++) fst_walk__frame_clear(&st.frames[f]);
    st.n_frames = 0;
  }
  rc = 0;
done:
  fst_walk__state_clear(&st);
  if (rc < 0) fst_walk_result_clear(out);
  return rc;
}

void fst_walk_result_clear(fst_walk_result *result) {
  if (!result) return;
  for (size_t i = 0; i < result->n_entries; i++) fst_free(result->entries[i].path);
  fst_free(result->entries);
  for (size_t i = 0; i < result->n_roots; i++) fst_free(result->roots[i]);
  fst_free(result->roots);
  memset(result, 0, sizeof *result);
}

/* ---- conftest collect_ignore ---------------------------------------------- */

typedef struct {
  char *dir;
  size_t dir_len;
  const fst_walk_conftest_ignores *src;
  fst_walk__patterns ignore;      /* absolute paths */
  fst_walk__patterns ignore_glob; /* absolute globs */
} fst_walk__conftest;

static int fst_walk__conftest_cmp(const void *a, const void *b) {
  return strcmp(((const fst_walk__conftest *)a)->dir, ((const fst_walk__conftest *)b)->dir);
}

/* pytest: absolutepath(conftest_dir / relroot); an absolute relroot stays. */
static int fst_walk__patterns_init_rel(fst_walk__patterns *list, const char *dir,
                                       const char *const *items, size_t n) {
  list->n = 0;
  list->items = fst_calloc(n, sizeof *list->items);
  if (!list->items) return -1;
  for (size_t i = 0; i < n; i++) {
    fst_walk__buf joined = {0};
    if (items[i][0] != '/') {
      if (fst_walk__buf_append(&joined, dir, strlen(dir)) < 0 ||
          fst_walk__buf_join(&joined, "") < 0) {
        fst_free(joined.data);
        return -1;
      }
    }
    if (fst_walk__buf_append(&joined, items[i], strlen(items[i])) < 0) {
      fst_free(joined.data);
      return -1;
    }
    list->items[list->n].pattern = fst_walk__abspath(joined.data);
    fst_free(joined.data);
    if (!list->items[list->n].pattern) return -1;
    list->items[list->n].whole_path = true;
    list->n++;
  }
  return 0;
}

/* The conftest of directory path[0:len], or NULL. */
static const fst_walk__conftest *fst_walk__conftest_find(const fst_walk__conftest *sorted, size_t n,
                                                         const char *path, size_t len) {
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    const fst_walk__conftest *c = &sorted[mid];
    size_t common = c->dir_len < len ? c->dir_len : len;
    int cmp = memcmp(path, c->dir, common);
    if (cmp == 0) cmp = len < c->dir_len ? -1 : len > c->dir_len ? 1 : 0;
    if (cmp == 0) return c;
    if (cmp < 0)
      hi = mid;
    else
      lo = mid + 1;
  }
  return NULL;
}

/* Whether pytest would ignore the path `x` (x_len bytes of `scratch`,
 * NUL-terminated there) because of the conftests above its parent. */
static bool fst_walk__collect_ignored(const fst_walk__conftest *sorted, size_t n, const char *x,
                                      size_t x_len) {
  size_t parent = fst_walk__parent_len(x, x_len);
  const fst_walk__conftest *for_ignore = NULL, *for_glob = NULL;
  for (size_t d = parent; d > 0 && (!for_ignore || !for_glob); d = fst_walk__parent_len(x, d)) {
    const fst_walk__conftest *c = fst_walk__conftest_find(sorted, n, x, d);
    if (!c) continue;
    if (!for_ignore && c->src->has_collect_ignore) for_ignore = c;
    if (!for_glob && c->src->has_collect_ignore_glob) for_glob = c;
  }
  if (for_ignore && fst_walk__equals_any(&for_ignore->ignore, x)) return true;
  if (for_glob && fst_walk__match_glob(&for_glob->ignore_glob, x)) return true;
  return false;
}

long fst_walk_apply_collect_ignore(fst_walk_result *result,
                                   const fst_walk_conftest_ignores *conftests, size_t n_conftests) {
  assert(result && (conftests || n_conftests == 0));
  long removed = -1;
  char *scratch = NULL;
  size_t n_built = 0;
  fst_walk__conftest *sorted = fst_calloc(n_conftests, sizeof *sorted);
  if (!sorted) return -1;
  for (; n_built < n_conftests; n_built++) {
    const fst_walk_conftest_ignores *src = &conftests[n_built];
    fst_walk__conftest *c = &sorted[n_built];
    c->src = src;
    c->dir = fst_walk__abspath(src->dir);
    if (!c->dir) goto done;
    c->dir_len = strlen(c->dir);
    if (fst_walk__patterns_init_rel(&c->ignore, c->dir, src->collect_ignore,
                                    src->has_collect_ignore ? src->n_collect_ignore : 0) < 0 ||
        fst_walk__patterns_init_rel(&c->ignore_glob, c->dir, src->collect_ignore_glob,
                                    src->has_collect_ignore_glob ? src->n_collect_ignore_glob : 0) <
            0) {
      n_built++;
      goto done;
    }
  }
  qsort(sorted, n_conftests, sizeof *sorted, fst_walk__conftest_cmp);
  size_t longest = 0;
  for (size_t i = 0; i < result->n_entries; i++) {
    size_t len = strlen(result->entries[i].path);
    if (len > longest) longest = len;
  }
  scratch = fst_malloc(longest + 1);
  if (!scratch) goto done;

  /* Nothing is allocated from here on: the result changes only on success. */
  size_t kept = 0;
  removed = 0;
  for (size_t i = 0; i < result->n_entries; i++) {
    fst_walk_entry *e = &result->entries[i];
    const char *root = result->roots[e->root];
    size_t root_len = strlen(root);
    size_t len = strlen(e->path);
    bool ignored = false;
    /* Only paths strictly below the root are subject to ignores; the entry
     * itself is a candidate unless it is a conftest (pytest loads a
     * conftest for its directory, it never collects it as a path). */
    if (e->kind != FST_WALK_EXPLICIT &&
        fst_walk__is_proper_ancestor(root, root_len, e->path, len)) {
      memcpy(scratch, e->path, len + 1);
      size_t x = e->kind == FST_WALK_CONFTEST ? fst_walk__parent_len(scratch, len) : len;
      while (x > root_len && !ignored) {
        scratch[x] = '\0';
        ignored = fst_walk__collect_ignored(sorted, n_conftests, scratch, x);
        x = fst_walk__parent_len(e->path, x);
      }
    }
    if (ignored) {
      fst_free(e->path);
      removed++;
    } else {
      result->entries[kept++] = *e;
    }
  }
  result->n_entries = kept;
done:
  for (size_t i = 0; i < n_built; i++) {
    fst_free(sorted[i].dir);
    fst_walk__patterns_clear(&sorted[i].ignore);
    fst_walk__patterns_clear(&sorted[i].ignore_glob);
  }
  fst_free(sorted);
  fst_free(scratch);
  return removed;
}
