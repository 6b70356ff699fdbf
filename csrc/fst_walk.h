/*
 * fst_walk.h - the files pytest would consider, found with pytest's own rules.
 *
 * fst_walk lists, for the collection roots pytest was given, the Python test
 * modules pytest 9 would collect and every conftest.py it would load on the
 * way, in pytest's collection order.  The rules are those of pytest's
 * main.py (Session, Dir, pytest_ignore_collect), python.py (Package,
 * pytest_collect_file) and pathlib.py (scandir, fnmatch_ex):
 *
 *  - A directory's entries are sorted by name (byte order, which is pytest's
 *    code-point order for UTF-8 names), files and directories interleaved;
 *    a subdirectory is walked at its place in that order (depth first).  In
 *    a package (a directory with an __init__.py file) __init__.py comes
 *    first.  Symlinks are followed; entries that are neither files nor
 *    directories (dangling symlinks, sockets, ...) are skipped.
 *  - A directory's conftest.py is reported before its entries: pytest
 *    loads it before collecting the directory.  Conftests of the roots'
 *    ancestors are reported before each root's entries, subject to
 *    `confcutdir` as in pytest's _is_in_confcutdir.
 *  - A subdirectory is skipped when it is named __pycache__, is an --ignore
 *    path, matches an --ignore-glob, is a virtualenv (pyvenv.cfg or
 *    conda-meta/history) unless collect_in_virtualenv, or matches
 *    norecursedirs (hidden directories come from its default ".*").  A file
 *    is skipped when named __pycache__, an --ignore path, or matching an
 *    --ignore-glob; it is a test module when its suffix is ".py" and it
 *    matches python_files.  Roots are never ignored (pytest never applies
 *    pytest_ignore_collect to initial paths), and a .py file given as a root
 *    is collected whatever its name.
 *  - Patterns follow fnmatch_ex: a pattern without '/' matches the base
 *    name, else the whole absolute path ("*" + "/" is prefixed to a relative
 *    one).  Matching is fnmatch(3) without FNM_PATHNAME and with
 *    FNM_NOESCAPE, which is what Python's fnmatch does ('*' crosses '/',
 *    no escapes), except that non-ASCII names are matched byte-wise.
 *
 * conftest collect_ignore / collect_ignore_glob are not known while walking
 * (conftests are parsed after the walk, on the parse pool): the caller
 * applies them afterwards with fst_walk_apply_collect_ignore, which follows
 * pytest's rule that the nearest conftest defining the name wins.
 *
 * Where the walker cannot be exact it says so and leaves the decision to the
 * caller (hand the subtree to pytest's own collection):
 *  - FST_WALK_ERROR: a root or directory that could not be read (errno in
 *    `error`; pytest reports it as a collection error), or a directory
 *    symlink cycle (ELOOP: pytest itself would walk the cycle until the
 *    kernel's symlink limit, collecting the same files under many paths).
 *  - FST_WALK_OTHER_FILE: a file pytest collects through another plugin
 *    (it matches `extra_file_patterns`, e.g. doctest's test*.txt), or a
 *    root that is not a .py file or not a regular file.
 *  - Conftests loaded by pytest's initial-conftest step for `test*`
 *    subdirectories of a root that the walk itself ignores are not
 *    reported: the plugin sees those in pytest's plugin manager.
 *
 * The walk uses an explicit stack: memory and stack depth grow with the
 * directory depth and the size of the directories on the current path, not
 * with the tree; cycle detection compares (st_dev, st_ino) with the
 * directories on the current path only.
 *
 * Ownership: fst_walk fills a caller-provided fst_walk_result whose
 * entries and paths it allocates with fst_alloc; release it with
 * fst_walk_result_clear.  Thread-safety: fst_walk is reentrant (no global
 * state) and may run on any thread; it does not change the working
 * directory.  Relative roots and --ignore paths are made absolute against
 * the current working directory, lexically (os.path.abspath: no symlinks
 * resolved), as pytest does.
 */
#ifndef FST_WALK_H
#define FST_WALK_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
  FST_WALK_TEST_MODULE = 0, /* a .py file matching python_files */
  FST_WALK_EXPLICIT = 1,    /* a .py file given as a root: collected whatever its name */
  FST_WALK_CONFTEST = 2,    /* a conftest.py pytest loads before its directory's entries */
  FST_WALK_OTHER_FILE = 3,  /* collected by something other than the Python plugin */
  FST_WALK_ERROR = 4,       /* a root or directory that could not be walked; see `error` */
} fst_walk_kind;

typedef struct {
  char *path; /* absolute, lexically normalized, symlinks not resolved */
  fst_walk_kind kind;
  int error;        /* 0, or the errno of a failed opendir/readdir/stat (also for files
                       whose stat failed: then size and mtime_ns are 0) */
  int64_t size;     /* st_size (following symlinks) */
  int64_t mtime_ns; /* st_mtim in nanoseconds */
  uint32_t root;    /* index of the root under which the entry was found */
} fst_walk_entry;

typedef struct {
  fst_walk_entry *entries; /* in pytest's collection order */
  size_t n_entries;
  char **roots; /* the roots, absolute and normalized; entry.root indexes this */
  size_t n_roots;
} fst_walk_result;

/* pytest's configuration as the walk needs it; the caller passes pytest's
 * actual values (config.getini / config.getoption). */
typedef struct {
  const char *const *python_files; /* ini python_files, e.g. "test_*.py", "*_test.py" */
  size_t n_python_files;
  const char *const *norecursedirs; /* ini norecursedirs, e.g. "*.egg", ".*", "build" */
  size_t n_norecursedirs;
  const char *const *ignore; /* --ignore paths */
  size_t n_ignore;
  const char *const *ignore_glob; /* --ignore-glob patterns */
  size_t n_ignore_glob;
  const char *const *extra_file_patterns; /* files other plugins collect (doctest: test*.txt) */
  size_t n_extra_file_patterns;
  const char *confcutdir;    /* pytest's confcutdir; NULL means none (every ancestor) */
  int collect_in_virtualenv; /* --collect-in-virtualenv */
  int noconftest;            /* --noconftest: report no conftest */
} fst_walk_config;

/* Walk `roots` (pytest's collection argument paths, without "::" parts,
 * already de-duplicated and prefix-free as pytest's
 * normalize_collection_arguments makes them, in argument order) into
 * `out`, which must be zeroed or cleared.  Unreadable paths are entries,
 * not failures.  Returns 0, or -1 when out of memory (then `out` is
 * cleared). */
int fst_walk(const fst_walk_config *config, const char *const *roots, size_t n_roots,
             fst_walk_result *out);

/* Free everything `result` owns and zero it.  NULL-safe. */
void fst_walk_result_clear(fst_walk_result *result);

/* The collect_ignore / collect_ignore_glob of one conftest.py. */
typedef struct {
  const char *dir;                   /* absolute directory of the conftest.py */
  int has_collect_ignore;            /* the module defines collect_ignore (even as []) */
  const char *const *collect_ignore; /* paths relative to `dir` */
  size_t n_collect_ignore;
  int has_collect_ignore_glob;
  const char *const *collect_ignore_glob; /* globs relative to `dir` */
  size_t n_collect_ignore_glob;
} fst_walk_conftest_ignores;

/* Remove from `result` the entries pytest would not reach because of
 * conftests' collect_ignore / collect_ignore_glob.  As in pytest's
 * pytest_ignore_collect, a path (file or directory) below a root is
 * ignored when it equals an entry of collect_ignore, or fnmatch()es an
 * entry of collect_ignore_glob, of the nearest conftest at or above the
 * path's parent directory that defines that name (a nearer definition
 * hides a farther one).  Everything below an ignored directory goes,
 * including its conftest.py; roots and the ancestors of roots are never
 * ignored.  `conftests` may be in any order.  Returns the number of
 * entries removed (the rest keep their order), or -1 when out of memory
 * (then `result` is unchanged). */
long fst_walk_apply_collect_ignore(fst_walk_result *result,
                                   const fst_walk_conftest_ignores *conftests, size_t n_conftests);

#endif /* FST_WALK_H */
