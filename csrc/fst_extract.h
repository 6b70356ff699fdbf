/*
 * fst_extract.h - static extraction of one Python source file.
 *
 * Given the bytes of a test module (or a conftest.py) and pytest's naming
 * rules, extracts what pytest would collect from it, without importing it:
 * test functions, test classes and their methods, literal parametrize cases
 * expanded into pytest's own ids, markers, imports, and a verdict:
 *
 *   FST_VERDICT_STATIC_EXACT  every node id of the file is known from its
 *                             text alone (DESIGN.md "Static discovery");
 *   FST_VERDICT_NEEDS_IMPORT  something can only be known by importing it;
 *                             `reason` says what (first reason found).
 *
 * For conftest files it also records the facts that decide whether a
 * subtree can be planned statically: hook functions defined, literal
 * collect_ignore / collect_ignore_glob entries, pytest_plugins, fixtures
 * with params.
 *
 * Ownership: fst_extract fills a caller-provided fst_file_info whose
 * strings and arrays it allocates with fst_alloc; the caller releases them
 * with fst_file_info_clear.  Thread-safety: fst_extract is reentrant; each
 * thread passes its own TSParser (parsers are not thread-safe), the
 * TSLanguage may be shared.
 */
#ifndef FST_EXTRACT_H
#define FST_EXTRACT_H

#include <stddef.h>
#include <stdint.h>
#include <tree_sitter/api.h>

typedef enum {
  FST_VERDICT_STATIC_EXACT = 0,
  FST_VERDICT_NEEDS_IMPORT = 1,
} fst_verdict;

/* Module-level hook functions and names that change how pytest collects. */
enum {
  FST_HOOK_COLLECT_FILE = 1u << 0,           /* pytest_collect_file */
  FST_HOOK_COLLECT_DIRECTORY = 1u << 1,      /* pytest_collect_directory */
  FST_HOOK_IGNORE_COLLECT = 1u << 2,         /* pytest_ignore_collect */
  FST_HOOK_PYCOLLECT_MAKEITEM = 1u << 3,     /* pytest_pycollect_makeitem */
  FST_HOOK_PYCOLLECT_MAKEMODULE = 1u << 4,   /* pytest_pycollect_makemodule */
  FST_HOOK_GENERATE_TESTS = 1u << 5,         /* pytest_generate_tests */
  FST_HOOK_COLLECTION_MODIFYITEMS = 1u << 6, /* pytest_collection_modifyitems */
  FST_HOOK_COLLECTION = 1u << 7,             /* pytest_collection */
  FST_HOOK_MAKE_COLLECT_REPORT = 1u << 8,    /* pytest_make_collect_report */
  FST_HOOK_COLLECT_MODIFYITEMS_ANY = 1u
      << 9, /* any other pytest_collect* / pytest_itemcollected hook */
  FST_HOOK_MAKE_PARAMETRIZE_ID = 1u
      << 10, /* pytest_make_parametrize_id: changes parametrize ids (added by extract) */
  FST_FACT_PYTEST_PLUGINS = 1u << 16,         /* pytest_plugins = ... at module level */
  FST_FACT_PARAM_FIXTURE = 1u << 17,          /* a @pytest.fixture(params=...) is defined */
  FST_FACT_COLLECT_IGNORE_DYNAMIC = 1u << 18, /* collect_ignore(_glob) not a plain literal list */
  FST_FACT_STAR_IMPORT = 1u << 19,            /* from x import * at module level */
};

/* pytest's name rules, from the ini options python_classes and
 * python_functions: an entry with a glob character (*?[) is matched with
 * fnmatch against the whole name, any other entry is a prefix. */
typedef struct {
  const char *const *python_classes;
  size_t n_python_classes;
  const char *const *python_functions;
  size_t n_python_functions;
} fst_extract_config;

typedef struct {
  char *name;     /* node id after "<module path>::", e.g. "TestA::test_b[1-x]" */
  uint32_t line;  /* 1-based line of the first decorator, else of the def */
  char **markers; /* marker names (function, class and module pytestmark) */
  size_t n_markers;
} fst_item;

typedef struct {
  fst_verdict verdict;
  char *reason;    /* NULL when static-exact; else e.g. "line 12: test name bound by import" */
  fst_item *items; /* in pytest's collection order */
  size_t n_items;
  char **imports; /* dotted module names imported anywhere in the file */
  size_t n_imports;
  uint32_t hooks;        /* FST_HOOK_* | FST_FACT_* bits */
  char **collect_ignore; /* literal strings of collect_ignore */
  size_t n_collect_ignore;
  char **collect_ignore_glob;
  size_t n_collect_ignore_glob;
} fst_file_info;

/* Extract `source` (`length` bytes, need not be NUL-terminated or valid
 * UTF-8) into `out`, which must be zeroed or cleared.  Bad input (syntax
 * errors, NUL bytes, invalid UTF-8, huge nesting) is not an error: the file
 * becomes needs-import with a reason.  Returns 0, or -1 when out of memory
 * (then `out` is cleared). */
int fst_extract(TSParser *parser, const char *source, size_t length,
                const fst_extract_config *config, fst_file_info *out);

/* Free everything `info` owns and zero it.  NULL-safe. */
void fst_file_info_clear(fst_file_info *info);

#endif /* FST_EXTRACT_H */
