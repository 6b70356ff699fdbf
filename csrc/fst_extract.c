/*
 * fst_extract.c - static extraction of one Python source file.
 *
 * How it works.  The bytes are screened first (NUL bytes, invalid UTF-8,
 * lone CR line ends, a non-UTF-8 coding declaration: Python and tree-sitter
 * would disagree on these, so the file is needs-import).  tree-sitter then
 * parses with a time budget, and one pass over the module's statements
 * (iterative over siblings, recursive only over nested classes, with an
 * explicit depth bound) records, per scope (module, each class body):
 *
 *   - the bindings in __dict__ order: a name keeps the position of its first
 *     binding and the object of its last one, as pytest sees it after import;
 *   - decorators, pytestmark, __test__, __init__/__new__, base classes;
 *   - everything that makes the text insufficient (needs-import), with the
 *     first reason found.
 *
 * Items are emitted afterwards from those tables, following
 * _pytest/python.py (PyCollector.collect, Class.collect, IdMaker) and
 * _pytest/mark/structures.py (ParameterSet, get_unpacked_marks): inherited
 * methods first in reverse MRO order, stacked parametrize as a cartesian
 * product with the decorator closest to the def outermost, ids made unique
 * with IdMaker's suffix rules.  A separate pass over all statement
 * containers records the imports of the whole file.
 *
 * Memory.  Scratch data (tables, decoded strings, ids) lives in one arena
 * of large chunks freed at the end; only the results handed to the caller
 * are allocated one by one, because fst_file_info_clear frees them one by
 * one.  Every allocation goes through fst_alloc; a failure anywhere sets
 * `oom`, which every caller checks, and fst_extract returns -1.
 *
 * Assumptions about the configuration (pytest's defaults; the caller must
 * treat other values as needs-import for the whole run): empty parameter
 * sets get the "skip" mark (empty_parameter_set_mark), ids are escaped
 * (disable_test_id_escaping... is off), parametrize_long_str_id_strategy is
 * "short", strict_parametrization_ids is off, collect_imported_tests is on,
 * and no conftest implements pytest_make_parametrize_id (reported as
 * FST_HOOK_MAKE_PARAMETRIZE_ID).
 */
#include "fst_extract.h"

#include <assert.h>
#include <fnmatch.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fst_alloc.h"

/* A parse that takes longer than this is not worth waiting for: the worker
 * imports the file anyway. */
#define FST_EXTRACT_PARSE_TIMEOUT_US (3000000u)
/* Bound on the recursion over nested classes and nested literal values. */
#define FST_EXTRACT_MAX_DEPTH 48
/* Bound on the items one function may expand into (stacked parametrize). */
#define FST_EXTRACT_MAX_ITEMS_PER_FUNCTION 100000u
/* pytest's parametrize_long_str_id_strategy="short": longer str/bytes
 * values get an argname+index id. */
#define FST_EXTRACT_LONG_STR 100u

/* ------------------------------------------------------------------ */
/* Grammar symbols, looked up once per thread and language.            */

// clang-format off: one X-macro table, laid out by hand.
#define FST_EX__SYMBOLS(X)                                                        \
  X(module) X(function_definition) X(class_definition) X(decorated_definition)    \
  X(decorator) X(block) X(expression_statement) X(assignment)                     \
  X(augmented_assignment) X(import_statement) X(import_from_statement)            \
  X(future_import_statement) X(aliased_import) X(dotted_name) X(relative_import)  \
  X(import_prefix) X(wildcard_import) X(identifier) X(attribute) X(call)          \
  X(argument_list) X(keyword_argument) X(string) X(concatenated_string)           \
  X(integer) X(float) X(true) X(false) X(none) X(unary_operator) X(list)          \
  X(tuple) X(parenthesized_expression) X(dictionary) X(set)                       \
  X(list_comprehension) X(dictionary_comprehension) X(set_comprehension)          \
  X(lambda) X(comment) X(if_statement) X(for_statement) X(while_statement)        \
  X(try_statement) X(with_statement) X(match_statement) X(elif_clause)            \
  X(else_clause) X(except_clause) X(except_group_clause) X(finally_clause)        \
  X(case_clause) X(with_clause) X(with_item) X(pattern_list) X(tuple_pattern)     \
  X(list_pattern) X(expression_list) X(yield) X(parameters) X(typed_parameter)    \
  X(default_parameter) X(typed_default_parameter) X(list_splat_pattern)           \
  X(dictionary_splat_pattern) X(delete_statement) X(interpolation)                \
  X(as_pattern) X(subscript) X(list_splat) X(dictionary_splat) X(ellipsis)        \
  X(type_alias_statement) X(global_statement) X(nonlocal_statement)
// clang-format on

enum {
#define FST_EX__ENUM(name) FST_SYM_##name,
  FST_EX__SYMBOLS(FST_EX__ENUM)
#undef FST_EX__ENUM
      FST_SYM__COUNT
};

static const char *const fst_ex__symbol_names[FST_SYM__COUNT] = {
#define FST_EX__NAME(name) #name,
    FST_EX__SYMBOLS(FST_EX__NAME)
#undef FST_EX__NAME
};

enum {
  FST_FIELD_alias,
  FST_FIELD_argument,
  FST_FIELD_arguments,
  FST_FIELD_attribute,
  FST_FIELD_body,
  FST_FIELD_definition,
  FST_FIELD_function,
  FST_FIELD_left,
  FST_FIELD_module_name,
  FST_FIELD_name,
  FST_FIELD_object,
  FST_FIELD_operator,
  FST_FIELD_parameters,
  FST_FIELD_right,
  FST_FIELD_superclasses,
  FST_FIELD_value,
  FST_FIELD__COUNT
};

static const char *const fst_ex__field_names[FST_FIELD__COUNT] = {
    "alias",      "argument", "arguments",    "attribute", "body",   "definition",
    "function",   "left",     "module_name",  "name",      "object", "operator",
    "parameters", "right",    "superclasses", "value"};

typedef struct {
  const TSLanguage *language;
  TSSymbol id[FST_SYM__COUNT];
  TSFieldId field[FST_FIELD__COUNT];
} fst_ex__symbols;

/* Per thread: parsers are per thread, and the lookup is a linear scan over
 * the grammar's symbols that is worth doing once, not per file. */
static _Thread_local fst_ex__symbols fst_ex__symbol_cache;

static const fst_ex__symbols *fst_ex__symbols_for(const TSLanguage *language) {
  fst_ex__symbols *cache = &fst_ex__symbol_cache;
  if (cache->language != language) {
    for (int i = 0; i < FST_SYM__COUNT; i++) {
      const char *name = fst_ex__symbol_names[i];
      TSSymbol symbol = ts_language_symbol_for_name(language, name, (uint32_t)strlen(name), true);
      /* 0 is tree-sitter's "end" symbol: no node ever has it, so a missing
       * name simply never matches. */
      cache->id[i] = symbol;
    }
    for (int i = 0; i < FST_FIELD__COUNT; i++)
      cache->field[i] = ts_language_field_id_for_name(language, fst_ex__field_names[i],
                                                      (uint32_t)strlen(fst_ex__field_names[i]));
    cache->language = language;
  }
  return cache;
}

/* ------------------------------------------------------------------ */
/* Scratch arena.                                                       */

typedef struct fst_ex__chunk {
  struct fst_ex__chunk *next;
  size_t used, capacity;
  _Alignas(16) char data[];
} fst_ex__chunk;

/* A byte string in the arena (not NUL-terminated unless said so). */
typedef struct {
  const char *ptr;
  size_t len;
} fst_ex__str;

/* ------------------------------------------------------------------ */
/* Extraction state.                                                    */

enum { FST_EX__OTHER = 0, FST_EX__FUNC = 1, FST_EX__CLASS = 2 };

typedef struct fst_ex__pspec fst_ex__pspec;

typedef struct {
  fst_ex__str name;
  TSNode args; /* argument_list of the mark call, or null */
  bool has_args;
  TSNode at;           /* for reasons */
  fst_ex__pspec *spec; /* parametrize: evaluated lazily, cached */
  bool spec_failed;
  /* pytest stores the ids a parametrize mark with ids= generated on its
   * first use (Mark._param_ids_generated) and passes them as ids= to every
   * later function sharing the mark (class or module marks, inherited
   * methods): explicit pytest.param ids win again, the others are escaped
   * a second time, then made unique again.  `reused` is that second form. */
  bool used;
  fst_ex__pspec *reused;
} fst_ex__mark;

typedef struct {
  fst_ex__mark *items;
  size_t n, capacity;
} fst_ex__marks;

typedef struct fst_ex__class fst_ex__class;

typedef struct {
  fst_ex__str name;
  int kind;
  TSNode def;   /* function_definition / class_definition of the last binding */
  TSNode outer; /* decorated_definition around it, else == def */
  fst_ex__class *cls;
  /* functions: decorators analysed once (inherited methods are emitted
   * once per subclass and share their marks, as in pytest) */
  bool analysed, is_fixture, is_static;
  TSNode unknown_decorator; /* first decorator that may replace the function */
  size_t patch_args;
  fst_ex__marks own; /* bottom-up */
} fst_ex__entry;

typedef struct {
  fst_ex__entry *entries;
  size_t n, capacity;
  uint32_t *index; /* open addressing over entries, 0 = empty, else entry+1 */
  size_t index_capacity;
} fst_ex__scope;

struct fst_ex__class {
  fst_ex__str name;
  TSNode node;
  fst_ex__class *base; /* the one resolved base class, or NULL */
  bool opaque;         /* has bases that cannot be resolved from the text */
  bool has_ctor;       /* defines __init__ or __new__ */
  int test_attr;       /* __test__: -1 unset, 0 false, 1 true */
  fst_ex__marks marks; /* own: body pytestmark, then decorators bottom-up */
  fst_ex__scope scope;
};

struct fst_ex__pspec {
  fst_ex__str *argnames;
  size_t n_argnames;
  size_t n_sets;
  fst_ex__str *ids;        /* unique ids, one per set */
  fst_ex__str **set_marks; /* per set: mark names */
  size_t *n_set_marks;
  fst_ex__str **param_ids; /* per set: escaped pytest.param(id=...) or NULL */
  bool has_ids;            /* ids= given: the mark remembers its ids */
};

typedef struct {
  /* inputs */
  const char *src;
  size_t len;
  const fst_extract_config *config;
  const fst_ex__symbols *sym;
  fst_file_info *out;
  size_t items_capacity, imports_capacity, ignore_capacity, ignore_glob_capacity;
  /* scratch */
  fst_ex__chunk *chunks;
  TSTreeCursor cursor; /* children lists */
  TSTreeCursor walk;   /* whole-subtree walks */
  bool oom;
  /* names imported from pytest / mock */
  fst_ex__str aliases[6][8];
  size_t n_aliases[6];
  bool unittest_mock; /* `import unittest.mock`: unittest.mock.patch reachable */
  /* module */
  fst_ex__scope module;
  fst_ex__marks module_marks;
  int module_test;
  size_t collect_ignore_literal_uses;
  fst_ex__scope imports_seen;
} fst_ex;

enum {
  FST_EX__ALIAS_PYTEST,  /* import pytest [as x] */
  FST_EX__ALIAS_MARK,    /* from pytest import mark [as x] */
  FST_EX__ALIAS_FIXTURE, /* from pytest import fixture [as x] */
  FST_EX__ALIAS_PARAM,   /* from pytest import param [as x] */
  FST_EX__ALIAS_MOCK,    /* import mock / from unittest import mock [as x] */
  FST_EX__ALIAS_PATCH,   /* from unittest.mock / mock import patch [as x] */
};

static const char *const fst_ex__default_classes[] = {"Test"};
static const char *const fst_ex__default_functions[] = {"test"};

/* ------------------------------------------------------------------ */
/* Small helpers.                                                       */

static void *fst_ex__alloc(fst_ex *ex, size_t size) {
  if (ex->oom) return NULL;
  size = (size + 15u) & ~(size_t)15u;
  fst_ex__chunk *chunk = ex->chunks;
  if (!chunk || chunk->capacity - chunk->used < size) {
    size_t capacity = size > 32768u ? size : 32768u;
    chunk = fst_malloc(sizeof *chunk + capacity);
    if (!chunk) {
      ex->oom = true;
      return NULL;
    }
    chunk->next = ex->chunks;
    chunk->used = 0;
    chunk->capacity = capacity;
    ex->chunks = chunk;
  }
  void *p = chunk->data + chunk->used;
  chunk->used += size;
  return p;
}

/* Grows an arena array to hold at least `need` elements (old storage is
 * abandoned to the arena: at most doubling waste). */
static bool fst_ex__grow(fst_ex *ex, void **items, size_t *capacity, size_t need, size_t size) {
  if (need <= *capacity) return true;
  size_t capacity2 = *capacity ? *capacity * 2 : 8;
  while (capacity2 < need) capacity2 *= 2;
  void *grown = fst_ex__alloc(ex, capacity2 * size);
  if (!grown) return false;
  if (*capacity) memcpy(grown, *items, *capacity * size);
  *items = grown;
  *capacity = capacity2;
  return true;
}

static fst_ex__str fst_ex__text(const fst_ex *ex, TSNode node) {
  uint32_t start = ts_node_start_byte(node), end = ts_node_end_byte(node);
  if (end > ex->len) end = (uint32_t)ex->len;
  if (start > end) start = end;
  return (fst_ex__str){ex->src + start, end - start};
}

static TSNode fst_ex__field(const fst_ex *ex, TSNode node, int field) {
  return ts_node_child_by_field_id(node, ex->sym->field[field]);
}

static bool fst_ex__is(const fst_ex *ex, TSNode node, int symbol) {
  return !ts_node_is_null(node) && ts_node_symbol(node) == ex->sym->id[symbol];
}

static bool fst_ex__eq(fst_ex__str s, const char *literal) {
  size_t n = strlen(literal);
  return s.len == n && memcmp(s.ptr, literal, n) == 0;
}

static bool fst_ex__str_eq(fst_ex__str a, fst_ex__str b) {
  return a.len == b.len && memcmp(a.ptr, b.ptr, a.len) == 0;
}

static bool fst_ex__starts(fst_ex__str s, const char *prefix) {
  size_t n = strlen(prefix);
  return s.len >= n && memcmp(s.ptr, prefix, n) == 0;
}

static uint32_t fst_ex__line(TSNode node) { return ts_node_start_point(node).row + 1; }

/* Records the first needs-import reason; later ones are dropped. */
static void fst_ex__needs(fst_ex *ex, TSNode at, const char *format, ...) {
  if (ex->out->verdict == FST_VERDICT_NEEDS_IMPORT) return;
  ex->out->verdict = FST_VERDICT_NEEDS_IMPORT;
  char message[256];
  int used = 0;
  if (!ts_node_is_null(at)) used = snprintf(message, sizeof message, "line %u: ", fst_ex__line(at));
  va_list args;
  va_start(args, format);
  vsnprintf(message + used, sizeof message - (size_t)used, format, args);
  va_end(args);
  ex->out->reason = fst_strdup(message);
  if (!ex->out->reason) ex->oom = true;
}

/* The named children of `node` except comments, in an arena array. */
static size_t fst_ex__kids(fst_ex *ex, TSNode node, TSNode **kids) {
  *kids = NULL;
  size_t n = 0, capacity = 0;
  ts_tree_cursor_reset(&ex->cursor, node);
  if (!ts_tree_cursor_goto_first_child(&ex->cursor)) return 0;
  do {
    TSNode child = ts_tree_cursor_current_node(&ex->cursor);
    if (!ts_node_is_named(child) || fst_ex__is(ex, child, FST_SYM_comment)) continue;
    if (!fst_ex__grow(ex, (void **)kids, &capacity, n + 1, sizeof **kids)) return 0;
    (*kids)[n++] = child;
  } while (ts_tree_cursor_goto_next_sibling(&ex->cursor));
  return n;
}

static uint64_t fst_ex__hash(fst_ex__str s) {
  uint64_t h = 1469598103934665603u;
  for (size_t i = 0; i < s.len; i++) h = (h ^ (unsigned char)s.ptr[i]) * 1099511628211u;
  return h;
}

/* Returns the entry named `name`, or NULL. */
static fst_ex__entry *fst_ex__scope_find(fst_ex__scope *scope, fst_ex__str name) {
  if (!scope->index_capacity) return NULL;
  size_t mask = scope->index_capacity - 1;
  for (size_t i = fst_ex__hash(name) & mask;; i = (i + 1) & mask) {
    uint32_t slot = scope->index[i];
    if (!slot) return NULL;
    if (fst_ex__str_eq(scope->entries[slot - 1].name, name)) return &scope->entries[slot - 1];
  }
}

/* Returns the entry named `name`, appended (zeroed, kind OTHER) if new. */
static fst_ex__entry *fst_ex__scope_bind(fst_ex *ex, fst_ex__scope *scope, fst_ex__str name) {
  fst_ex__entry *found = fst_ex__scope_find(scope, name);
  if (found) return found;
  if (!fst_ex__grow(ex, (void **)&scope->entries, &scope->capacity, scope->n + 1,
                    sizeof *scope->entries))
    return NULL;
  if ((scope->n + 1) * 2 > scope->index_capacity) {
    size_t capacity = scope->index_capacity ? scope->index_capacity * 2 : 16;
    uint32_t *index = fst_ex__alloc(ex, capacity * sizeof *index);
    if (!index) return NULL;
    memset(index, 0, capacity * sizeof *index);
    for (size_t e = 0; e < scope->n; e++) {
      size_t i = fst_ex__hash(scope->entries[e].name) & (capacity - 1);
      while (index[i]) i = (i + 1) & (capacity - 1);
      index[i] = (uint32_t)e + 1;
    }
    scope->index = index;
    scope->index_capacity = capacity;
  }
  fst_ex__entry *entry = &scope->entries[scope->n];
  memset(entry, 0, sizeof *entry);
  entry->name = name;
  entry->kind = FST_EX__OTHER;
  size_t mask = scope->index_capacity - 1;
  size_t i = fst_ex__hash(name) & mask;
  while (scope->index[i]) i = (i + 1) & mask;
  scope->index[i] = (uint32_t)scope->n + 1;
  scope->n++;
  return entry;
}

/* pytest's _matches_prefix_or_glob_option. */
static bool fst_ex__matches(const char *const *patterns, size_t n, fst_ex__str name) {
  char buffer[256];
  for (size_t i = 0; i < n; i++) {
    const char *pattern = patterns[i];
    if (fst_ex__starts(name, pattern)) return true;
    if (strpbrk(pattern, "*?[") && name.len < sizeof buffer) {
      memcpy(buffer, name.ptr, name.len);
      buffer[name.len] = '\0';
      /* Python's fnmatch: no escapes, '*' also matches '/' and dots. */
      if (fnmatch(pattern, buffer, FNM_NOESCAPE) == 0) return true;
    }
  }
  return false;
}

static bool fst_ex__is_test_function_name(const fst_ex *ex, fst_ex__str name) {
  return fst_ex__matches(ex->config->python_functions, ex->config->n_python_functions, name);
}

static bool fst_ex__is_test_class_name(const fst_ex *ex, fst_ex__str name) {
  return fst_ex__matches(ex->config->python_classes, ex->config->n_python_classes, name);
}

static bool fst_ex__is_alias(const fst_ex *ex, int kind, fst_ex__str name) {
  for (size_t i = 0; i < ex->n_aliases[kind]; i++)
    if (fst_ex__str_eq(ex->aliases[kind][i], name)) return true;
  return false;
}

static void fst_ex__add_alias(fst_ex *ex, int kind, fst_ex__str name) {
  if (fst_ex__is_alias(ex, kind, name) || ex->n_aliases[kind] >= 8) return;
  ex->aliases[kind][ex->n_aliases[kind]++] = name;
}

/* Splits an attribute chain `a.b.c` into identifiers; false if it is not a
 * plain chain of names or longer than `max`. */
static bool fst_ex__dotted(const fst_ex *ex, TSNode node, fst_ex__str *parts, size_t max,
                           size_t *n) {
  size_t count = 0;
  fst_ex__str reversed[8];
  if (max > 8) max = 8;
  while (fst_ex__is(ex, node, FST_SYM_attribute)) {
    if (count >= max) return false;
    TSNode attribute = fst_ex__field(ex, node, FST_FIELD_attribute);
    if (!fst_ex__is(ex, attribute, FST_SYM_identifier)) return false;
    reversed[count++] = fst_ex__text(ex, attribute);
    node = fst_ex__field(ex, node, FST_FIELD_object);
  }
  if (!fst_ex__is(ex, node, FST_SYM_identifier) || count >= max) return false;
  reversed[count++] = fst_ex__text(ex, node);
  for (size_t i = 0; i < count; i++) parts[i] = reversed[count - 1 - i];
  *n = count;
  return true;
}

/* ------------------------------------------------------------------ */
/* Output helpers.                                                      */

static int fst_ex__push_string(fst_ex *ex, char ***array, size_t *n, size_t *capacity,
                               const char *s, size_t len) {
  if (ex->oom) return -1;
  if (*n == *capacity) {
    size_t capacity2 = *capacity ? *capacity * 2 : 8;
    char **grown = fst_realloc(*array, capacity2 * sizeof *grown);
    if (!grown) {
      ex->oom = true;
      return -1;
    }
    *array = grown;
    *capacity = capacity2;
  }
  char *copy = fst_strndup(s, len);
  if (!copy) {
    ex->oom = true;
    return -1;
  }
  (*array)[(*n)++] = copy;
  return 0;
}

static void fst_ex__add_import(fst_ex *ex, fst_ex__str name) {
  if (!name.len || fst_ex__scope_find(&ex->imports_seen, name)) return;
  if (!fst_ex__scope_bind(ex, &ex->imports_seen, name)) return;
  fst_ex__push_string(ex, &ex->out->imports, &ex->out->n_imports, &ex->imports_capacity, name.ptr,
                      name.len);
}

/* ------------------------------------------------------------------ */
/* Source screening.                                                    */

/* Strict UTF-8 as Python's decoder accepts it (no overlongs, no
 * surrogates); also rejects NUL and lone CR.  Returns NULL or a reason. */
static const char *fst_ex__screen(const unsigned char *s, size_t n, size_t *bad_line) {
  size_t line = 1;
  for (size_t i = 0; i < n;) {
    unsigned char c = s[i];
    if (c < 0x80) {
      if (c == 0) {
        *bad_line = line;
        return "NUL byte in source";
      }
      if (c == '\n') line++;
      if (c == '\r' && (i + 1 >= n || s[i + 1] != '\n')) {
        *bad_line = line;
        return "lone CR line ending";
      }
      i++;
      continue;
    }
    size_t need;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
      need = 1;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      need = 2;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      need = 3;
      cp = c & 0x07;
    } else {
      *bad_line = line;
      return "invalid UTF-8";
    }
    if (i + need >= n) {
      *bad_line = line;
      return "invalid UTF-8";
    }
    for (size_t k = 1; k <= need; k++) {
      if ((s[i + k] & 0xC0) != 0x80) {
        *bad_line = line;
        return "invalid UTF-8";
      }
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    if ((need == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (need == 3 && (cp < 0x10000 || cp > 0x10FFFF))) {
      *bad_line = line;
      return "invalid UTF-8";
    }
    i += need + 1;
  }
  return NULL;
}

/* A PEP 263 coding declaration on line 1 or 2 naming anything but UTF-8. */
static bool fst_ex__foreign_coding(const char *s, size_t n) {
  size_t pos = 0;
  for (int line = 0; line < 2 && pos < n; line++) {
    size_t end = pos;
    while (end < n && s[end] != '\n') end++;
    size_t i = pos;
    while (i < end && (s[i] == ' ' || s[i] == '\t' || s[i] == '\f')) i++;
    if (i < end && s[i] == '#') {
      for (size_t k = i; k + 7 <= end; k++) {
        if (memcmp(s + k, "coding", 6) != 0 || (s[k + 6] != ':' && s[k + 6] != '=')) continue;
        size_t v = k + 7;
        while (v < end && (s[v] == ' ' || s[v] == '\t')) v++;
        char name[16];
        size_t m = 0;
        while (v < end && m < sizeof name - 1 &&
               ((s[v] >= 'a' && s[v] <= 'z') || (s[v] >= 'A' && s[v] <= 'Z') ||
                (s[v] >= '0' && s[v] <= '9') || s[v] == '-' || s[v] == '_' || s[v] == '.')) {
          char c = s[v++];
          if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
          if (c == '_') c = '-';
          name[m++] = c;
        }
        name[m] = '\0';
        if (m == 0) continue;
        return !(strcmp(name, "utf-8") == 0 || strcmp(name, "utf8") == 0 ||
                 strncmp(name, "utf-8-", 6) == 0);
      }
    } else if (i < end && s[i] != '\r') {
      return false; /* line 2 counts only after a blank or comment line */
    }
    pos = end + 1;
  }
  return false;
}

/* ------------------------------------------------------------------ */
/* Literal values.                                                      */

/* A decoded string literal (concatenation included). */
typedef struct {
  char *bytes; /* str: UTF-8 (surrogates as 3-byte sequences); bytes: raw */
  size_t len;
  size_t chars; /* code points (str) or bytes (bytes) */
  bool is_bytes;
} fst_ex__strval;

static void fst_ex__put_utf8(char *out, size_t *n, uint32_t cp) {
  if (cp < 0x80) {
    out[(*n)++] = (char)cp;
  } else if (cp < 0x800) {
    out[(*n)++] = (char)(0xC0 | (cp >> 6));
    out[(*n)++] = (char)(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out[(*n)++] = (char)(0xE0 | (cp >> 12));
    out[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[(*n)++] = (char)(0x80 | (cp & 0x3F));
  } else {
    out[(*n)++] = (char)(0xF0 | (cp >> 18));
    out[(*n)++] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[(*n)++] = (char)(0x80 | (cp & 0x3F));
  }
}

static int fst_ex__hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Decodes one `string` node, appending to `out` (capacity >= text length
 * of the node is enough: decoding never grows).  Returns 1, 0 when the
 * literal is not plain (f-string, \N{...}, mixed kinds), -1 never. */
static int fst_ex__decode_one(fst_ex *ex, TSNode node, fst_ex__strval *out, int *kind) {
  fst_ex__str text = fst_ex__text(ex, node);
  size_t i = 0;
  bool raw = false, is_bytes = false;
  while (i < text.len && text.ptr[i] != '\'' && text.ptr[i] != '"') {
    char c = text.ptr[i++];
    if (c == 'r' || c == 'R')
      raw = true;
    else if (c == 'b' || c == 'B')
      is_bytes = true;
    else if (c == 'u' || c == 'U')
      continue;
    else
      return 0; /* f-strings, t-strings */
  }
  if (i >= text.len) return 0;
  int this_kind = is_bytes ? 2 : 1;
  if (*kind && *kind != this_kind) return 0; /* b"" "" is a SyntaxError */
  *kind = this_kind;
  out->is_bytes = is_bytes;
  char quote = text.ptr[i];
  size_t q = (i + 2 < text.len && text.ptr[i + 1] == quote && text.ptr[i + 2] == quote) ? 3 : 1;
  if (text.len < i + 2 * q) return 0;
  size_t p = i + q, end = text.len - q;
  char *o = out->bytes;
  size_t n = out->len;
  while (p < end) {
    unsigned char c = (unsigned char)text.ptr[p];
    if (c != '\\' || raw) {
      if (is_bytes && c >= 0x80) return 0;
      if (c == '\r' && p + 1 < end && text.ptr[p + 1] == '\n') {
        /* Python normalizes newlines inside literals. */
        p++;
        continue;
      }
      if (raw && c == '\\' && p + 1 < end) {
        /* raw: the backslash stays, and protects the next char. */
        o[n++] = (char)c;
        p++;
        c = (unsigned char)text.ptr[p];
        if (c == '\r' && p + 1 < end && text.ptr[p + 1] == '\n') p++, c = '\n';
      }
      o[n++] = (char)c;
      p++;
      continue;
    }
    if (p + 1 >= end) return 0;
    char e = text.ptr[p + 1];
    p += 2;
    switch (e) {
      case '\n':
        break;
      case '\r':
        if (p < end && text.ptr[p] == '\n') p++;
        break;
      case '\\':
        o[n++] = '\\';
        break;
      case '\'':
        o[n++] = '\'';
        break;
      case '"':
        o[n++] = '"';
        break;
      case 'a':
        o[n++] = '\a';
        break;
      case 'b':
        o[n++] = '\b';
        break;
      case 'f':
        o[n++] = '\f';
        break;
      case 'n':
        o[n++] = '\n';
        break;
      case 'r':
        o[n++] = '\r';
        break;
      case 't':
        o[n++] = '\t';
        break;
      case 'v':
        o[n++] = '\v';
        break;
      case '0':
      case '1':
      case '2':
      case '3':
      case '4':
      case '5':
      case '6':
      case '7': {
        uint32_t v = (uint32_t)(e - '0');
        for (int k = 0; k < 2 && p < end && text.ptr[p] >= '0' && text.ptr[p] <= '7'; k++)
          v = v * 8 + (uint32_t)(text.ptr[p++] - '0');
        if (is_bytes)
          o[n++] = (char)(v & 0xFF);
        else
          fst_ex__put_utf8(o, &n, v);
        break;
      }
      case 'x':
      case 'u':
      case 'U': {
        int digits = e == 'x' ? 2 : e == 'u' ? 4 : 8;
        if (is_bytes && e != 'x') {
          o[n++] = '\\';
          o[n++] = e;
          break;
        }
        uint32_t v = 0;
        for (int k = 0; k < digits; k++) {
          int h = p < end ? fst_ex__hexval(text.ptr[p]) : -1;
          if (h < 0) return 0; /* SyntaxError in Python */
          v = v * 16 + (uint32_t)h;
          p++;
        }
        if (v > 0x10FFFF) return 0;
        if (is_bytes)
          o[n++] = (char)v;
        else
          fst_ex__put_utf8(o, &n, v);
        break;
      }
      case 'N':
        if (is_bytes) {
          o[n++] = '\\';
          o[n++] = 'N';
          break;
        }
        return 0; /* named escapes need the Unicode database */
      default:
        /* Unknown escapes keep the backslash (with a warning). */
        o[n++] = '\\';
        p--;
        break;
    }
  }
  out->len = n;
  return 1;
}

/* Decodes a string or concatenated_string literal into the arena.
 * Returns 1 (decoded), 0 (not a plain literal). */
static int fst_ex__decode_string(fst_ex *ex, TSNode node, fst_ex__strval *out) {
  memset(out, 0, sizeof *out);
  fst_ex__str whole = fst_ex__text(ex, node);
  out->bytes = fst_ex__alloc(ex, whole.len + 1);
  if (!out->bytes) return 0;
  int kind = 0;
  if (fst_ex__is(ex, node, FST_SYM_string)) {
    if (ts_node_named_child_count(node) > 0) {
      /* interpolation children mean an f-string */
      uint32_t count = ts_node_named_child_count(node);
      for (uint32_t i = 0; i < count; i++)
        if (fst_ex__is(ex, ts_node_named_child(node, i), FST_SYM_interpolation)) return 0;
    }
    if (!fst_ex__decode_one(ex, node, out, &kind)) return 0;
  } else if (fst_ex__is(ex, node, FST_SYM_concatenated_string)) {
    TSNode *parts;
    size_t n = fst_ex__kids(ex, node, &parts);
    if (ex->oom) return 0;
    for (size_t i = 0; i < n; i++) {
      if (!fst_ex__is(ex, parts[i], FST_SYM_string)) return 0;
      uint32_t count = ts_node_named_child_count(parts[i]);
      for (uint32_t k = 0; k < count; k++)
        if (fst_ex__is(ex, ts_node_named_child(parts[i], k), FST_SYM_interpolation)) return 0;
      if (!fst_ex__decode_one(ex, parts[i], out, &kind)) return 0;
    }
  } else {
    return 0;
  }
  out->bytes[out->len] = '\0';
  if (out->is_bytes) {
    out->chars = out->len;
  } else {
    size_t chars = 0;
    for (size_t i = 0; i < out->len; i++)
      if (((unsigned char)out->bytes[i] & 0xC0) != 0x80) chars++;
    out->chars = chars;
  }
  return 1;
}

/* pytest's ascii_escaped, applied to a decoded literal.  The result is in
 * the arena. */
static fst_ex__str fst_ex__escape(fst_ex *ex, const fst_ex__strval *v) {
  char *o = fst_ex__alloc(ex, v->len * 10 + 1);
  size_t n = 0;
  if (!o) return (fst_ex__str){"", 0};
  const unsigned char *s = (const unsigned char *)v->bytes;
  for (size_t i = 0; i < v->len;) {
    uint32_t cp = s[i];
    size_t width = 1;
    if (!v->is_bytes && cp >= 0x80) {
      if (cp >= 0xF0) {
        cp = ((cp & 0x07u) << 18) | ((s[i + 1] & 0x3Fu) << 12) | ((s[i + 2] & 0x3Fu) << 6) |
             (s[i + 3] & 0x3Fu);
        width = 4;
      } else if (cp >= 0xE0) {
        cp = ((cp & 0x0Fu) << 12) | ((s[i + 1] & 0x3Fu) << 6) | (s[i + 2] & 0x3Fu);
        width = 3;
      } else {
        cp = ((cp & 0x1Fu) << 6) | (s[i + 1] & 0x3Fu);
        width = 2;
      }
    }
    i += width;
    if (cp == '\t')
      n += (size_t)sprintf(o + n, "\\t");
    else if (cp == '\n')
      n += (size_t)sprintf(o + n, "\\n");
    else if (cp == '\r')
      n += (size_t)sprintf(o + n, "\\r");
    else if (cp == '\\' && !v->is_bytes)
      n += (size_t)sprintf(o + n, "\\\\");
    else if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0x100))
      n += (size_t)sprintf(o + n, "\\x%02x", cp);
    else if (cp < 0x80)
      o[n++] = (char)cp;
    else if (cp < 0x10000)
      n += (size_t)sprintf(o + n, "\\u%04x", cp);
    else
      n += (size_t)sprintf(o + n, "\\U%08x", cp);
  }
  o[n] = '\0';
  return (fst_ex__str){o, n};
}

/* Python's repr() of a float (and of an imaginary part, without ".0"). */
static size_t fst_ex__float_repr(double v, bool add_dot_zero, char *out) {
  if (isinf(v)) return (size_t)sprintf(out, v < 0 ? "-inf" : "inf");
  char buffer[64];
  int precision = 1;
  for (; precision <= 17; precision++) {
    snprintf(buffer, sizeof buffer, "%.*e", precision - 1, v);
    if (strtod(buffer, NULL) == v) break;
  }
  /* buffer: [-]d[.ddd]e[+-]xx */
  const char *p = buffer;
  size_t n = 0;
  if (*p == '-') out[n++] = *p++;
  char digits[32];
  size_t nd = 0;
  for (; *p && *p != 'e'; p++)
    if (*p != '.') digits[nd++] = *p;
  int exponent = atoi(p + 1);
  while (nd > 1 && digits[nd - 1] == '0') nd--;
  if (exponent >= -4 && exponent < 16) {
    if (exponent >= 0) {
      for (int k = 0; k <= exponent; k++) out[n++] = (size_t)k < nd ? digits[k] : '0';
      if ((size_t)exponent + 1 < nd) {
        out[n++] = '.';
        for (size_t k = (size_t)exponent + 1; k < nd; k++) out[n++] = digits[k];
      } else if (add_dot_zero) {
        out[n++] = '.';
        out[n++] = '0';
      }
    } else {
      out[n++] = '0';
      out[n++] = '.';
      for (int k = 0; k < -exponent - 1; k++) out[n++] = '0';
      for (size_t k = 0; k < nd; k++) out[n++] = digits[k];
    }
  } else {
    out[n++] = digits[0];
    if (nd > 1) {
      out[n++] = '.';
      for (size_t k = 1; k < nd; k++) out[n++] = digits[k];
    }
    n += (size_t)sprintf(out + n, "e%c%02d", exponent < 0 ? '-' : '+', abs(exponent));
  }
  out[n] = '\0';
  return n;
}

/* str() of an integer or float literal, with an optional leading minus.
 * Returns 1, or 0 when not exactly representable here. */
static int fst_ex__number_repr(fst_ex *ex, TSNode node, bool negative, fst_ex__str *result) {
  fst_ex__str text = fst_ex__text(ex, node);
  char clean[128];
  size_t n = 0;
  if (text.len >= sizeof clean) {
    /* Long decimal integers are still exact as digit strings. */
    if (!fst_ex__is(ex, node, FST_SYM_integer)) return 0;
  }
  char *big = NULL;
  char *dst = clean;
  if (text.len >= sizeof clean) {
    big = fst_ex__alloc(ex, text.len + 2);
    if (!big) return 0;
    dst = big;
  }
  for (size_t i = 0; i < text.len; i++)
    if (text.ptr[i] != '_') dst[n++] = text.ptr[i];
  dst[n] = '\0';
  bool imaginary = n > 0 && (dst[n - 1] == 'j' || dst[n - 1] == 'J');
  char *o = fst_ex__alloc(ex, n + 40);
  if (!o) return 0;
  size_t m = 0;
  if (imaginary) {
    if (negative) return 0; /* str(-1j) is "(-0-1j)" */
    dst[--n] = '\0';
    double v = strtod(dst, NULL);
    m = fst_ex__float_repr(v, false, o);
    o[m++] = 'j';
    o[m] = '\0';
    *result = (fst_ex__str){o, m};
    return 1;
  }
  if (fst_ex__is(ex, node, FST_SYM_integer)) {
    if (n > 1 && dst[0] == '0' &&
        (dst[1] == 'x' || dst[1] == 'X' || dst[1] == 'o' || dst[1] == 'O' || dst[1] == 'b' ||
         dst[1] == 'B')) {
      int base = (dst[1] == 'x' || dst[1] == 'X') ? 16 : (dst[1] == 'o' || dst[1] == 'O') ? 8 : 2;
      if (n > 2 + 64) return 0;
      char *end;
      unsigned long long v = strtoull(dst + 2, &end, base);
      if (*end || v == ~0ull) return 0;
      m = (size_t)sprintf(o, "%s%llu", negative && v ? "-" : "", v);
    } else {
      size_t i = 0;
      while (i + 1 < n && dst[i] == '0') i++;
      for (size_t k = i; k < n; k++)
        if (dst[k] < '0' || dst[k] > '9') return 0;
      if (negative && !(n - i == 1 && dst[i] == '0')) o[m++] = '-';
      memcpy(o + m, dst + i, n - i);
      m += n - i;
    }
    o[m] = '\0';
    *result = (fst_ex__str){o, m};
    return 1;
  }
  if (fst_ex__is(ex, node, FST_SYM_float)) {
    char *end;
    double v = strtod(dst, &end);
    if (*end) return 0;
    m = fst_ex__float_repr(negative ? -v : v, true, o);
    *result = (fst_ex__str){o, m};
    return 1;
  }
  return 0;
}

/* ------------------------------------------------------------------ */
/* Decorators and marks.                                                */

typedef enum {
  FST_EX__DECO_UNKNOWN,
  FST_EX__DECO_MARK,
  FST_EX__DECO_FIXTURE,
  FST_EX__DECO_STATICMETHOD, /* staticmethod / classmethod */
  FST_EX__DECO_PATCH,        /* mock.patch family */
  FST_EX__DECO_HOOKIMPL,
} fst_ex__deco;

/* Classifies a decorator-like expression.  For marks, fills `mark`; for
 * fixtures, `*fixture_params` says whether params= is given; for patches,
 * `*patch_injects` whether the patch adds a positional argument. */
static fst_ex__deco fst_ex__classify(fst_ex *ex, TSNode expr, fst_ex__mark *mark,
                                     bool *fixture_params, bool *patch_injects) {
  TSNode callee = expr, args = {0};
  bool is_call = false;
  if (fst_ex__is(ex, expr, FST_SYM_call)) {
    callee = fst_ex__field(ex, expr, FST_FIELD_function);
    args = fst_ex__field(ex, expr, FST_FIELD_arguments);
    if (!fst_ex__is(ex, args, FST_SYM_argument_list)) return FST_EX__DECO_UNKNOWN;
    is_call = true;
  }
  fst_ex__str parts[6];
  size_t n = 0;
  if (!fst_ex__dotted(ex, callee, parts, 6, &n)) return FST_EX__DECO_UNKNOWN;
  size_t markname = 0;
  if (n == 3 && fst_ex__is_alias(ex, FST_EX__ALIAS_PYTEST, parts[0]) &&
      fst_ex__eq(parts[1], "mark"))
    markname = 2;
  else if (n == 2 && fst_ex__is_alias(ex, FST_EX__ALIAS_MARK, parts[0]))
    markname = 1;
  if (markname) {
    if (mark) {
      memset(mark, 0, sizeof *mark);
      mark->name = parts[markname];
      mark->has_args = is_call;
      mark->args = args;
      mark->at = expr;
    }
    return FST_EX__DECO_MARK;
  }
  if ((n == 2 && fst_ex__is_alias(ex, FST_EX__ALIAS_PYTEST, parts[0]) &&
       fst_ex__eq(parts[1], "fixture")) ||
      (n == 1 && fst_ex__is_alias(ex, FST_EX__ALIAS_FIXTURE, parts[0]))) {
    if (fixture_params) {
      *fixture_params = false;
      if (is_call) {
        TSNode *kids;
        size_t k = fst_ex__kids(ex, args, &kids);
        for (size_t i = 0; i < k; i++) {
          if (!fst_ex__is(ex, kids[i], FST_SYM_keyword_argument)) {
            /* pytest.fixture(func) or positional scope: unusual */
            *fixture_params = true;
            continue;
          }
          fst_ex__str key = fst_ex__text(ex, fst_ex__field(ex, kids[i], FST_FIELD_name));
          if (fst_ex__eq(key, "params")) *fixture_params = true;
        }
      }
    }
    return FST_EX__DECO_FIXTURE;
  }
  if (n == 2 && fst_ex__is_alias(ex, FST_EX__ALIAS_PYTEST, parts[0]) &&
      fst_ex__eq(parts[1], "hookimpl"))
    return FST_EX__DECO_HOOKIMPL;
  if (n == 1 && !is_call &&
      (fst_ex__eq(parts[0], "staticmethod") || fst_ex__eq(parts[0], "classmethod")))
    return FST_EX__DECO_STATICMETHOD;
  /* mock.patch, mock.patch.object/.dict/.multiple, patch..., unittest.mock.patch... */
  size_t at = n;
  if (n >= 1 && fst_ex__is_alias(ex, FST_EX__ALIAS_PATCH, parts[0]))
    at = 1;
  else if (n >= 2 && fst_ex__is_alias(ex, FST_EX__ALIAS_MOCK, parts[0]) &&
           fst_ex__eq(parts[1], "patch"))
    at = 2;
  else if (n >= 3 && ex->unittest_mock && fst_ex__eq(parts[0], "unittest") &&
           fst_ex__eq(parts[1], "mock") && fst_ex__eq(parts[2], "patch"))
    at = 3;
  if (at <= n && is_call && n - at <= 1) {
    const char *variant = n == at ? "" : NULL;
    if (n == at + 1) {
      if (fst_ex__eq(parts[at], "object"))
        variant = "object";
      else if (fst_ex__eq(parts[at], "dict"))
        variant = "dict";
      else if (fst_ex__eq(parts[at], "multiple"))
        variant = "multiple";
    }
    if (!variant) return FST_EX__DECO_UNKNOWN;
    if (patch_injects) {
      /* mock injects one positional argument unless `new` is given
       * (compat.num_mock_patch_args); patch.dict never injects. */
      size_t positional = 0;
      bool has_new = false;
      TSNode *kids;
      size_t k = fst_ex__kids(ex, args, &kids);
      for (size_t i = 0; i < k; i++) {
        if (fst_ex__is(ex, kids[i], FST_SYM_keyword_argument)) {
          if (fst_ex__eq(fst_ex__text(ex, fst_ex__field(ex, kids[i], FST_FIELD_name)), "new"))
            has_new = true;
        } else {
          positional++;
        }
      }
      if (strcmp(variant, "dict") == 0)
        *patch_injects = false;
      else if (strcmp(variant, "multiple") == 0)
        return FST_EX__DECO_UNKNOWN;
      else if (strcmp(variant, "object") == 0)
        *patch_injects = !has_new && positional < 3;
      else
        *patch_injects = !has_new && positional < 2;
    }
    return FST_EX__DECO_PATCH;
  }
  return FST_EX__DECO_UNKNOWN;
}

static bool fst_ex__marks_push(fst_ex *ex, fst_ex__marks *marks, const fst_ex__mark *mark) {
  if (!fst_ex__grow(ex, (void **)&marks->items, &marks->capacity, marks->n + 1,
                    sizeof *marks->items))
    return false;
  marks->items[marks->n++] = *mark;
  return true;
}

/* A pytestmark value: one mark, or a list/tuple of marks.  Appends to
 * `marks`; false (needs-import set) when not literal. */
static bool fst_ex__parse_pytestmark(fst_ex *ex, TSNode value, fst_ex__marks *marks) {
  TSNode *kids;
  size_t n = 1;
  TSNode single = value;
  if (fst_ex__is(ex, value, FST_SYM_list) || fst_ex__is(ex, value, FST_SYM_tuple)) {
    n = fst_ex__kids(ex, value, &kids);
  } else {
    kids = &single;
  }
  for (size_t i = 0; i < n && !ex->oom; i++) {
    fst_ex__mark mark;
    if (fst_ex__classify(ex, kids[i], &mark, NULL, NULL) != FST_EX__DECO_MARK) {
      fst_ex__needs(ex, value, "pytestmark is not a literal mark or list of marks");
      return false;
    }
    if (!fst_ex__marks_push(ex, marks, &mark)) return false;
  }
  return true;
}

/* ------------------------------------------------------------------ */
/* Parametrize.                                                         */

/* The auto-generated id of one value (IdMaker._idval without idfn/hook). */
static bool fst_ex__value_id(fst_ex *ex, TSNode value, fst_ex__str argname, size_t index,
                             fst_ex__str *id) {
  char *generic = fst_ex__alloc(ex, argname.len + 24);
  if (!generic) return false;
  int glen = snprintf(generic, argname.len + 24, "%.*s%zu", (int)argname.len, argname.ptr, index);
  fst_ex__str by_argname = {generic, (size_t)glen};
  for (int depth = 0;
       fst_ex__is(ex, value, FST_SYM_parenthesized_expression) && depth < FST_EXTRACT_MAX_DEPTH;
       depth++)
    value = ts_node_named_child(value, 0);
  if (fst_ex__is(ex, value, FST_SYM_string) || fst_ex__is(ex, value, FST_SYM_concatenated_string)) {
    fst_ex__strval decoded;
    if (!fst_ex__decode_string(ex, value, &decoded)) {
      if (!ex->oom) fst_ex__needs(ex, value, "parametrize value is not a plain string literal");
      return false;
    }
    *id = decoded.chars > FST_EXTRACT_LONG_STR ? by_argname : fst_ex__escape(ex, &decoded);
    return !ex->oom;
  }
  if (fst_ex__is(ex, value, FST_SYM_integer) || fst_ex__is(ex, value, FST_SYM_float)) {
    if (fst_ex__number_repr(ex, value, false, id)) return true;
    if (!ex->oom) fst_ex__needs(ex, value, "parametrize number not representable statically");
    return false;
  }
  if (fst_ex__is(ex, value, FST_SYM_unary_operator)) {
    fst_ex__str op = fst_ex__text(ex, fst_ex__field(ex, value, FST_FIELD_operator));
    TSNode arg = fst_ex__field(ex, value, FST_FIELD_argument);
    if ((fst_ex__eq(op, "-") || fst_ex__eq(op, "+")) &&
        (fst_ex__is(ex, arg, FST_SYM_integer) || fst_ex__is(ex, arg, FST_SYM_float)) &&
        fst_ex__number_repr(ex, arg, fst_ex__eq(op, "-"), id))
      return true;
    if (!ex->oom) fst_ex__needs(ex, value, "parametrize value is a computed expression");
    return false;
  }
  if (fst_ex__is(ex, value, FST_SYM_true)) return *id = (fst_ex__str){"True", 4}, true;
  if (fst_ex__is(ex, value, FST_SYM_false)) return *id = (fst_ex__str){"False", 5}, true;
  if (fst_ex__is(ex, value, FST_SYM_none)) return *id = (fst_ex__str){"None", 4}, true;
  if (fst_ex__is(ex, value, FST_SYM_lambda)) return *id = (fst_ex__str){"<lambda>", 8}, true;
  if (fst_ex__is(ex, value, FST_SYM_list) || fst_ex__is(ex, value, FST_SYM_tuple) ||
      fst_ex__is(ex, value, FST_SYM_dictionary) || fst_ex__is(ex, value, FST_SYM_set) ||
      fst_ex__is(ex, value, FST_SYM_list_comprehension) ||
      fst_ex__is(ex, value, FST_SYM_dictionary_comprehension) ||
      fst_ex__is(ex, value, FST_SYM_set_comprehension) || fst_ex__is(ex, value, FST_SYM_ellipsis)) {
    /* containers have no __name__: argname + index */
    *id = by_argname;
    return true;
  }
  fst_ex__needs(ex, value, "parametrize value is not a literal");
  return false;
}

/* An id given explicitly in ids=[...] (IdMaker._idval_from_value_required).
 * Returns 1 with *id, 2 when the entry is None (generate), 0 needs-import. */
static int fst_ex__explicit_id(fst_ex *ex, TSNode value, fst_ex__str *id) {
  if (fst_ex__is(ex, value, FST_SYM_none)) return 2;
  if (fst_ex__is(ex, value, FST_SYM_string) || fst_ex__is(ex, value, FST_SYM_concatenated_string)) {
    fst_ex__strval decoded;
    if (!fst_ex__decode_string(ex, value, &decoded)) {
      if (!ex->oom) fst_ex__needs(ex, value, "parametrize id is not a plain string literal");
      return 0;
    }
    *id = fst_ex__escape(ex, &decoded);
    return ex->oom ? 0 : 1;
  }
  if (fst_ex__is(ex, value, FST_SYM_true) || fst_ex__is(ex, value, FST_SYM_false) ||
      fst_ex__is(ex, value, FST_SYM_integer) || fst_ex__is(ex, value, FST_SYM_float) ||
      fst_ex__is(ex, value, FST_SYM_unary_operator))
    return fst_ex__value_id(ex, value, (fst_ex__str){"", 0}, 0, id) ? 1 : 0;
  fst_ex__needs(ex, value, "parametrize id is not a literal");
  return 0;
}

/* Open-addressing multiset of ids, for IdMaker.make_unique_parameterset_ids. */
typedef struct {
  fst_ex__str *keys;
  size_t *counts;
  size_t capacity;
} fst_ex__idset;

static size_t *fst_ex__idset_slot(fst_ex__idset *set, fst_ex__str key, bool insert) {
  size_t mask = set->capacity - 1;
  for (size_t i = fst_ex__hash(key) & mask;; i = (i + 1) & mask) {
    if (!set->keys[i].ptr) {
      if (!insert) return NULL;
      set->keys[i] = key;
      set->counts[i] = 0;
      return &set->counts[i];
    }
    if (fst_ex__str_eq(set->keys[i], key)) return &set->counts[i];
  }
}

/* Makes ids unique exactly as IdMaker does: an id that occurs more than
 * once gets a counter suffix ("_" before it when the id ends in a digit),
 * skipping suffixed forms that are already taken. */
static bool fst_ex__unique_ids(fst_ex *ex, fst_ex__str *ids, size_t n) {
  size_t capacity = 16;
  while (capacity < n * 4 + 8) capacity *= 2;
  /* counts: occurrences in the current list; suffixes: next suffix per
   * original id (stored in a second set). */
  fst_ex__idset present = {fst_ex__alloc(ex, capacity * sizeof(fst_ex__str)),
                           fst_ex__alloc(ex, capacity * sizeof(size_t)), capacity};
  fst_ex__idset original = {fst_ex__alloc(ex, capacity * sizeof(fst_ex__str)),
                            fst_ex__alloc(ex, capacity * sizeof(size_t)), capacity};
  if (ex->oom) return false;
  memset(present.keys, 0, capacity * sizeof(fst_ex__str));
  memset(original.keys, 0, capacity * sizeof(fst_ex__str));
  bool duplicates = false;
  for (size_t i = 0; i < n; i++) {
    size_t *count = fst_ex__idset_slot(&present, ids[i], true);
    if (++*count > 1) duplicates = true;
    fst_ex__idset_slot(&original, ids[i], true);
  }
  if (!duplicates) return true;
  /* id_counts is computed once from the original list. */
  size_t *original_counts = fst_ex__alloc(ex, n * sizeof *original_counts);
  if (!original_counts) return false;
  for (size_t i = 0; i < n; i++) original_counts[i] = *fst_ex__idset_slot(&present, ids[i], false);
  /* The table grows with renamed ids: at most n new keys, capacity ok. */
  for (size_t i = 0; i < n; i++) {
    if (original_counts[i] <= 1) continue;
    fst_ex__str id = ids[i];
    size_t *suffix = fst_ex__idset_slot(&original, id, false);
    bool digit = id.len && id.ptr[id.len - 1] >= '0' && id.ptr[id.len - 1] <= '9';
    char *buffer = fst_ex__alloc(ex, id.len + 24);
    if (!buffer) return false;
    size_t len;
    for (;;) {
      len = (size_t)snprintf(buffer, id.len + 24, "%.*s%s%zu", (int)id.len, id.ptr,
                             digit ? "_" : "", *suffix);
      size_t *taken = fst_ex__idset_slot(&present, (fst_ex__str){buffer, len}, false);
      if (!taken || *taken == 0) break;
      ++*suffix;
    }
    size_t *old = fst_ex__idset_slot(&present, id, false);
    --*old;
    ids[i] = (fst_ex__str){buffer, len};
    ++*fst_ex__idset_slot(&present, ids[i], true);
    ++*suffix;
  }
  return true;
}

/* Mark names of pytest.param(marks=...). */
static bool fst_ex__param_marks(fst_ex *ex, TSNode value, fst_ex__str **names, size_t *n) {
  fst_ex__marks marks = {0};
  if (!fst_ex__parse_pytestmark(ex, value, &marks)) return false;
  *names = fst_ex__alloc(ex, (marks.n + 1) * sizeof **names);
  if (!*names) return false;
  for (size_t i = 0; i < marks.n; i++) {
    if (fst_ex__eq(marks.items[i].name, "usefixtures")) {
      fst_ex__needs(ex, value, "pytest.param cannot add usefixtures");
      return false;
    }
    (*names)[i] = marks.items[i].name;
  }
  *n = marks.n;
  return true;
}

static bool fst_ex__is_param_call(const fst_ex *ex, TSNode node, TSNode *args) {
  if (!fst_ex__is(ex, node, FST_SYM_call)) return false;
  TSNode callee = fst_ex__field(ex, node, FST_FIELD_function);
  fst_ex__str parts[3];
  size_t n;
  if (!fst_ex__dotted(ex, callee, parts, 3, &n)) return false;
  if (!((n == 2 && fst_ex__is_alias(ex, FST_EX__ALIAS_PYTEST, parts[0]) &&
         fst_ex__eq(parts[1], "param")) ||
        (n == 1 && fst_ex__is_alias(ex, FST_EX__ALIAS_PARAM, parts[0]))))
    return false;
  *args = fst_ex__field(ex, node, FST_FIELD_arguments);
  return fst_ex__is(ex, *args, FST_SYM_argument_list);
}

/* Evaluates one @parametrize mark into argnames, unique ids and per-set
 * marks.  NULL with needs-import set (or oom) when not exact. */
static fst_ex__pspec *fst_ex__pspec_eval(fst_ex *ex, fst_ex__mark *mark) {
  if (mark->spec || mark->spec_failed) return mark->spec;
  mark->spec_failed = true;
  if (!mark->has_args) {
    fst_ex__needs(ex, mark->at, "parametrize without arguments");
    return NULL;
  }
  TSNode *kids;
  size_t nk = fst_ex__kids(ex, mark->args, &kids);
  if (ex->oom) return NULL;
  TSNode argnames = {0}, argvalues = {0}, ids = {0};
  bool have_names = false, have_values = false, have_ids = false;
  size_t positional = 0;
  for (size_t i = 0; i < nk; i++) {
    TSNode k = kids[i];
    if (fst_ex__is(ex, k, FST_SYM_keyword_argument)) {
      fst_ex__str key = fst_ex__text(ex, fst_ex__field(ex, k, FST_FIELD_name));
      TSNode v = fst_ex__field(ex, k, FST_FIELD_value);
      if (fst_ex__eq(key, "argnames") && !have_names)
        argnames = v, have_names = true;
      else if (fst_ex__eq(key, "argvalues") && !have_values)
        argvalues = v, have_values = true;
      else if (fst_ex__eq(key, "ids"))
        ids = v, have_ids = true;
      else if (fst_ex__eq(key, "indirect") || fst_ex__eq(key, "scope"))
        continue;
      else {
        fst_ex__needs(ex, k, "parametrize keyword argument not understood statically");
        return NULL;
      }
    } else if (fst_ex__is(ex, k, FST_SYM_list_splat) ||
               fst_ex__is(ex, k, FST_SYM_dictionary_splat)) {
      fst_ex__needs(ex, k, "parametrize with unpacked arguments");
      return NULL;
    } else {
      if (positional == 0 && !have_names)
        argnames = k, have_names = true;
      else if (positional == 1 && !have_values)
        argvalues = k, have_values = true;
      else {
        fst_ex__needs(ex, k, "parametrize positional arguments beyond argnames, argvalues");
        return NULL;
      }
      positional++;
    }
  }
  if (!have_names || !have_values) {
    fst_ex__needs(ex, mark->at, "parametrize without argnames or argvalues");
    return NULL;
  }
  fst_ex__pspec *spec = fst_ex__alloc(ex, sizeof *spec);
  if (!spec) return NULL;
  memset(spec, 0, sizeof *spec);
  /* argnames */
  bool force_tuple = false;
  if (fst_ex__is(ex, argnames, FST_SYM_string) ||
      fst_ex__is(ex, argnames, FST_SYM_concatenated_string)) {
    fst_ex__strval names;
    if (!fst_ex__decode_string(ex, argnames, &names) || names.is_bytes) {
      if (!ex->oom) fst_ex__needs(ex, argnames, "parametrize argnames not a plain string");
      return NULL;
    }
    size_t capacity = 0;
    const char *s = names.bytes, *end = names.bytes + names.len;
    const char *r = end;
    while (r > s && (r[-1] == ' ' || r[-1] == '\t' || r[-1] == '\n' || r[-1] == '\r' ||
                     r[-1] == '\f' || r[-1] == '\v'))
      r--;
    bool trailing_comma = r > s && r[-1] == ',';
    while (s <= end) {
      const char *comma = memchr(s, ',', (size_t)(end - s));
      const char *stop = comma ? comma : end;
      const char *a = s, *b = stop;
      while (a < b &&
             (*a == ' ' || *a == '\t' || *a == '\n' || *a == '\r' || *a == '\f' || *a == '\v'))
        a++;
      while (b > a && (b[-1] == ' ' || b[-1] == '\t' || b[-1] == '\n' || b[-1] == '\r' ||
                       b[-1] == '\f' || b[-1] == '\v'))
        b--;
      if (b > a) {
        for (const char *c = a; c < b; c++)
          if ((unsigned char)*c >= 0x80) {
            /* str.strip() also strips Unicode spaces: stay exact. */
            fst_ex__needs(ex, argnames, "parametrize argnames with non-ASCII characters");
            return NULL;
          }
        if (!fst_ex__grow(ex, (void **)&spec->argnames, &capacity, spec->n_argnames + 1,
                          sizeof *spec->argnames))
          return NULL;
        spec->argnames[spec->n_argnames++] = (fst_ex__str){a, (size_t)(b - a)};
      }
      if (!comma) break;
      s = comma + 1;
    }
    force_tuple = spec->n_argnames == 1 && !trailing_comma;
  } else if (fst_ex__is(ex, argnames, FST_SYM_list) || fst_ex__is(ex, argnames, FST_SYM_tuple)) {
    TSNode *names;
    size_t n = fst_ex__kids(ex, argnames, &names);
    spec->argnames = fst_ex__alloc(ex, (n + 1) * sizeof *spec->argnames);
    if (!spec->argnames) return NULL;
    for (size_t i = 0; i < n; i++) {
      fst_ex__strval name;
      if (!fst_ex__decode_string(ex, names[i], &name) || name.is_bytes) {
        if (!ex->oom) fst_ex__needs(ex, names[i], "parametrize argnames not literal strings");
        return NULL;
      }
      spec->argnames[i] = (fst_ex__str){name.bytes, name.len};
    }
    spec->n_argnames = n;
  } else {
    fst_ex__needs(ex, argnames, "parametrize argnames not literal");
    return NULL;
  }
  if (spec->n_argnames == 0) {
    fst_ex__needs(ex, argnames, "parametrize with no argnames");
    return NULL;
  }
  for (size_t i = 0; i < spec->n_argnames; i++) {
    if (fst_ex__eq(spec->argnames[i], "request")) {
      fst_ex__needs(ex, argnames, "parametrize of 'request' fails collection");
      return NULL;
    }
  }
  /* argvalues */
  if (!fst_ex__is(ex, argvalues, FST_SYM_list) && !fst_ex__is(ex, argvalues, FST_SYM_tuple)) {
    fst_ex__needs(ex, argvalues, "parametrize argvalues not a literal list");
    return NULL;
  }
  TSNode *values;
  size_t n_values = fst_ex__kids(ex, argvalues, &values);
  if (ex->oom) return NULL;
  size_t n_sets = n_values ? n_values : 1;
  spec->n_sets = n_sets;
  spec->ids = fst_ex__alloc(ex, n_sets * sizeof *spec->ids);
  spec->set_marks = fst_ex__alloc(ex, n_sets * sizeof *spec->set_marks);
  spec->n_set_marks = fst_ex__alloc(ex, n_sets * sizeof *spec->n_set_marks);
  spec->param_ids = fst_ex__alloc(ex, n_sets * sizeof *spec->param_ids);
  bool *has_id = fst_ex__alloc(ex, n_sets * sizeof *has_id);
  TSNode *set_values = fst_ex__alloc(ex, n_sets * sizeof *set_values);
  if (ex->oom) return NULL;
  memset(spec->n_set_marks, 0, n_sets * sizeof *spec->n_set_marks);
  memset(spec->param_ids, 0, n_sets * sizeof *spec->param_ids);
  memset(has_id, 0, n_sets * sizeof *has_id);
  if (n_values == 0) {
    /* ParameterSet._for_parametrize: one set of NOTSET values, id
     * "NOTSET", marked with empty_parameter_set_mark (default: skip). */
    static fst_ex__str skip = {"skip", 4};
    static fst_ex__str notset = {"NOTSET", 6};
    spec->ids[0] = notset;
    spec->param_ids[0] = &notset;
    has_id[0] = true;
    spec->set_marks[0] = &skip;
    spec->n_set_marks[0] = 1;
  }
  for (size_t s = 0; s < n_values; s++) {
    TSNode element = values[s];
    TSNode param_args;
    set_values[s] = (TSNode){0};
    if (fst_ex__is(ex, element, FST_SYM_list_splat)) {
      fst_ex__needs(ex, element, "parametrize argvalues with unpacking");
      return NULL;
    }
    if (fst_ex__is_param_call(ex, element, &param_args)) {
      TSNode *pk;
      size_t npk = fst_ex__kids(ex, param_args, &pk);
      if (ex->oom) return NULL;
      /* copy: fst_ex__kids reuses nothing, but nested calls below allocate */
      size_t count = 0;
      for (size_t i = 0; i < npk; i++) {
        TSNode k = pk[i];
        if (fst_ex__is(ex, k, FST_SYM_keyword_argument)) {
          fst_ex__str key = fst_ex__text(ex, fst_ex__field(ex, k, FST_FIELD_name));
          TSNode v = fst_ex__field(ex, k, FST_FIELD_value);
          if (fst_ex__eq(key, "id")) {
            if (fst_ex__is(ex, v, FST_SYM_none)) continue;
            fst_ex__strval decoded;
            if (!fst_ex__decode_string(ex, v, &decoded) || decoded.is_bytes) {
              if (!ex->oom) fst_ex__needs(ex, v, "pytest.param id is not a plain string literal");
              return NULL;
            }
            spec->ids[s] = fst_ex__escape(ex, &decoded);
            has_id[s] = true;
            spec->param_ids[s] = fst_ex__alloc(ex, sizeof **spec->param_ids);
            if (!spec->param_ids[s]) return NULL;
            *spec->param_ids[s] = spec->ids[s];
          } else if (fst_ex__eq(key, "marks")) {
            if (!fst_ex__param_marks(ex, v, &spec->set_marks[s], &spec->n_set_marks[s]))
              return NULL;
          } else {
            fst_ex__needs(ex, k, "pytest.param keyword not understood");
            return NULL;
          }
        } else if (fst_ex__is(ex, k, FST_SYM_list_splat) ||
                   fst_ex__is(ex, k, FST_SYM_dictionary_splat)) {
          fst_ex__needs(ex, k, "pytest.param with unpacking");
          return NULL;
        } else {
          if (count == 0) set_values[s] = k;
          count++;
        }
      }
      if (count != spec->n_argnames) {
        fst_ex__needs(ex, element, "pytest.param value count differs from argnames");
        return NULL;
      }
      /* Values of pytest.param(...) are the call's arguments: remember
       * the argument list to walk them again for ids. */
      set_values[s] = param_args;
      continue;
    }
    if (force_tuple) {
      set_values[s] = element;
      continue;
    }
    if (!fst_ex__is(ex, element, FST_SYM_tuple) && !fst_ex__is(ex, element, FST_SYM_list)) {
      fst_ex__needs(ex, element, "parametrize set is not a literal tuple or list");
      return NULL;
    }
    if (ts_node_named_child_count(element) > 0) {
      TSNode *ek;
      size_t ne = fst_ex__kids(ex, element, &ek);
      for (size_t i = 0; i < ne; i++)
        if (fst_ex__is(ex, ek[i], FST_SYM_list_splat)) {
          fst_ex__needs(ex, element, "parametrize set with unpacking");
          return NULL;
        }
      if (ne != spec->n_argnames) {
        fst_ex__needs(ex, element, "parametrize set length differs from argnames");
        return NULL;
      }
    } else if (spec->n_argnames != 0) {
      fst_ex__needs(ex, element, "parametrize set length differs from argnames");
      return NULL;
    }
    set_values[s] = element;
  }
  /* ids=[...] */
  TSNode *id_nodes = NULL;
  size_t n_ids = 0;
  spec->has_ids = have_ids;
  if (have_ids && !fst_ex__is(ex, ids, FST_SYM_none)) {
    if (!fst_ex__is(ex, ids, FST_SYM_list) && !fst_ex__is(ex, ids, FST_SYM_tuple)) {
      fst_ex__needs(ex, ids, "parametrize ids is not a literal list");
      return NULL;
    }
    n_ids = fst_ex__kids(ex, ids, &id_nodes);
    if (ex->oom) return NULL;
    if (n_ids != 0 && n_ids != n_sets) {
      fst_ex__needs(ex, ids, "parametrize ids count differs from argvalues");
      return NULL;
    }
  }
  for (size_t s = 0; s < n_sets; s++) {
    if (has_id[s]) continue;
    if (s < n_ids) {
      int r = fst_ex__explicit_id(ex, id_nodes[s], &spec->ids[s]);
      if (r == 0) return NULL;
      if (r == 1) continue;
    }
    /* generated: "-".join of the value ids */
    TSNode *vals;
    size_t nv;
    TSNode one = set_values[s];
    if (force_tuple && !fst_ex__is(ex, one, FST_SYM_argument_list)) {
      vals = &one;
      nv = 1;
    } else {
      nv = fst_ex__kids(ex, one, &vals);
      if (ex->oom) return NULL;
      if (fst_ex__is(ex, one, FST_SYM_argument_list)) {
        /* pytest.param(...): drop the keyword arguments */
        size_t kept = 0;
        for (size_t i = 0; i < nv; i++)
          if (!fst_ex__is(ex, vals[i], FST_SYM_keyword_argument)) vals[kept++] = vals[i];
        nv = kept;
      }
    }
    size_t total = 0;
    fst_ex__str *parts = fst_ex__alloc(ex, (nv + 1) * sizeof *parts);
    if (!parts) return NULL;
    for (size_t i = 0; i < nv; i++) {
      if (!fst_ex__value_id(ex, vals[i], spec->argnames[i], s, &parts[i])) return NULL;
      total += parts[i].len + 1;
    }
    char *joined = fst_ex__alloc(ex, total + 1);
    if (!joined) return NULL;
    size_t at = 0;
    for (size_t i = 0; i < nv; i++) {
      if (i) joined[at++] = '-';
      memcpy(joined + at, parts[i].ptr, parts[i].len);
      at += parts[i].len;
    }
    spec->ids[s] = (fst_ex__str){joined, at};
  }
  if (!fst_ex__unique_ids(ex, spec->ids, n_sets)) return NULL;
  mark->spec = spec;
  mark->spec_failed = false;
  return spec;
}

/* The ids a shared parametrize mark yields after its first use (see
 * fst_ex__mark.reused). */
static fst_ex__pspec *fst_ex__pspec_reused(fst_ex *ex, fst_ex__mark *mark) {
  if (mark->reused) return mark->reused;
  const fst_ex__pspec *first = mark->spec;
  fst_ex__pspec *spec = fst_ex__alloc(ex, sizeof *spec);
  if (!spec) return NULL;
  *spec = *first;
  spec->ids = fst_ex__alloc(ex, first->n_sets * sizeof *spec->ids);
  if (!spec->ids) return NULL;
  for (size_t s = 0; s < first->n_sets; s++) {
    if (first->param_ids[s]) {
      spec->ids[s] = *first->param_ids[s];
    } else {
      fst_ex__strval again = {(char *)first->ids[s].ptr, first->ids[s].len, first->ids[s].len,
                              false};
      spec->ids[s] = fst_ex__escape(ex, &again);
    }
  }
  if (ex->oom || !fst_ex__unique_ids(ex, spec->ids, first->n_sets)) return NULL;
  mark->reused = spec;
  return spec;
}

/* ------------------------------------------------------------------ */
/* Item emission.                                                       */

typedef struct {
  fst_ex__str *names;
  size_t n, capacity;
} fst_ex__namelist;

static bool fst_ex__names_add(fst_ex *ex, fst_ex__namelist *list, fst_ex__str name) {
  for (size_t i = 0; i < list->n; i++)
    if (fst_ex__str_eq(list->names[i], name)) return true;
  if (!fst_ex__grow(ex, (void **)&list->names, &list->capacity, list->n + 1, sizeof *list->names))
    return false;
  list->names[list->n++] = name;
  return true;
}

/* get_unpacked_marks(cls): base classes' marks first, then the class's. */
typedef struct {
  fst_ex__mark **items;
  size_t n, capacity;
} fst_ex__markrefs;

static bool fst_ex__ref_push(fst_ex *ex, fst_ex__markrefs *refs, fst_ex__mark *mark) {
  if (!fst_ex__grow(ex, (void **)&refs->items, &refs->capacity, refs->n + 1, sizeof *refs->items))
    return false;
  refs->items[refs->n++] = mark;
  return true;
}

static bool fst_ex__class_mro_marks(fst_ex *ex, fst_ex__class *cls, fst_ex__markrefs *out,
                                    int depth) {
  if (depth > FST_EXTRACT_MAX_DEPTH) return false;
  if (cls->base && !fst_ex__class_mro_marks(ex, cls->base, out, depth + 1)) return false;
  for (size_t i = 0; i < cls->marks.n; i++)
    if (!fst_ex__ref_push(ex, out, &cls->marks.items[i])) return false;
  return true;
}

/* Parameter names usable as parametrize targets: plain (or annotated)
 * parameters without defaults, after self/cls and mock-injected ones. */
static bool fst_ex__param_ok(fst_ex *ex, TSNode def, size_t skip, fst_ex__str argname,
                             bool *has_default) {
  TSNode parameters = fst_ex__field(ex, def, FST_FIELD_parameters);
  TSNode *kids;
  size_t n = fst_ex__kids(ex, parameters, &kids);
  *has_default = false;
  for (size_t i = 0; i < n; i++) {
    TSNode p = kids[i];
    fst_ex__str name = {0};
    bool with_default = false;
    if (fst_ex__is(ex, p, FST_SYM_identifier))
      name = fst_ex__text(ex, p);
    else if (fst_ex__is(ex, p, FST_SYM_typed_parameter))
      name = fst_ex__text(ex, ts_node_named_child(p, 0));
    else if (fst_ex__is(ex, p, FST_SYM_default_parameter) ||
             fst_ex__is(ex, p, FST_SYM_typed_default_parameter)) {
      name = fst_ex__text(ex, fst_ex__field(ex, p, FST_FIELD_name));
      with_default = true;
    } else {
      continue;
    }
    if (i < skip) continue;
    if (fst_ex__str_eq(name, argname)) {
      *has_default = with_default;
      return !with_default;
    }
  }
  return false;
}

/* Whether a non-async def body contains yield (outside nested scopes). */
static bool fst_ex__has_yield(fst_ex *ex, TSNode body) {
  TSTreeCursor *c = &ex->walk;
  ts_tree_cursor_reset(c, body);
  for (;;) {
    TSNode node = ts_tree_cursor_current_node(c);
    TSSymbol s = ts_node_symbol(node);
    if (s == ex->sym->id[FST_SYM_yield]) return true;
    bool descend = s != ex->sym->id[FST_SYM_function_definition] &&
                   s != ex->sym->id[FST_SYM_lambda] && s != ex->sym->id[FST_SYM_class_definition];
    if (descend && ts_tree_cursor_goto_first_child(c)) continue;
    for (;;) {
      if (ts_tree_cursor_goto_next_sibling(c)) break;
      if (!ts_tree_cursor_goto_parent(c)) return false;
    }
  }
}

static int fst_ex__emit_item(fst_ex *ex, const char *name, size_t name_len, uint32_t line,
                             const fst_ex__namelist *markers) {
  fst_file_info *out = ex->out;
  if (out->n_items == ex->items_capacity) {
    size_t capacity = ex->items_capacity ? ex->items_capacity * 2 : 16;
    fst_item *grown = fst_realloc(out->items, capacity * sizeof *grown);
    if (!grown) return ex->oom = true, -1;
    out->items = grown;
    ex->items_capacity = capacity;
  }
  fst_item *item = &out->items[out->n_items];
  memset(item, 0, sizeof *item);
  item->line = line;
  item->name = fst_strndup(name, name_len);
  if (!item->name) return ex->oom = true, -1;
  out->n_items++; /* owned from here on: clear frees it */
  if (markers->n) {
    item->markers = fst_malloc(markers->n * sizeof *item->markers);
    if (!item->markers) return ex->oom = true, -1;
    for (size_t i = 0; i < markers->n; i++) {
      item->markers[i] = fst_strndup(markers->names[i].ptr, markers->names[i].len);
      if (!item->markers[i]) return ex->oom = true, -1;
      item->n_markers++;
    }
  }
  return 0;
}

/* Emits the items of one test function: `prefix` is "TestA::TestB::" (or
 * ""), `chain` the enclosing classes innermost first. */
static void fst_ex__emit_function(fst_ex *ex, const char *prefix, size_t prefix_len,
                                  fst_ex__entry *entry, fst_ex__class *const *chain,
                                  size_t n_chain) {
  TSNode def = entry->def, outer = entry->outer;
  uint32_t line = fst_ex__line(outer);
  /* decorators, bottom-up = pytest's order of function marks */
  if (!entry->analysed && !ts_node_eq(def, outer)) {
    TSNode *decorators;
    size_t n = fst_ex__kids(ex, outer, &decorators);
    if (ex->oom) return;
    for (size_t i = n; i-- > 0;) {
      if (!fst_ex__is(ex, decorators[i], FST_SYM_decorator)) continue;
      TSNode expr = ts_node_named_child(decorators[i], 0);
      fst_ex__mark mark;
      bool injects = false, params = false;
      switch (fst_ex__classify(ex, expr, &mark, &params, &injects)) {
        case FST_EX__DECO_MARK:
          if (!fst_ex__marks_push(ex, &entry->own, &mark)) return;
          break;
        case FST_EX__DECO_FIXTURE:
          entry->is_fixture = true;
          break;
        case FST_EX__DECO_STATICMETHOD:
          if (n_chain == 0 && ts_node_is_null(entry->unknown_decorator))
            entry->unknown_decorator = expr;
          if (fst_ex__eq(fst_ex__text(ex, expr), "staticmethod")) entry->is_static = true;
          break;
        case FST_EX__DECO_PATCH:
          entry->patch_args += injects;
          break;
        default:
          if (ts_node_is_null(entry->unknown_decorator)) entry->unknown_decorator = expr;
          break;
      }
    }
  }
  entry->analysed = true;
  if (entry->is_fixture) return; /* fixtures are not tests */
  if (!ts_node_is_null(entry->unknown_decorator)) {
    fst_ex__needs(ex, entry->unknown_decorator, "test %.*s has a decorator that may replace it",
                  (int)entry->name.len, entry->name.ptr);
    return;
  }
  bool is_async = fst_ex__starts(fst_ex__text(ex, def), "async");
  if (!is_async && fst_ex__has_yield(ex, fst_ex__field(ex, def, FST_FIELD_body))) {
    fst_ex__needs(ex, def, "test %.*s is a generator (collection error)", (int)entry->name.len,
                  entry->name.ptr);
    return;
  }
  /* all marks in iter_markers order: own, classes innermost first, module */
  fst_ex__markrefs all = {0};
  for (size_t i = 0; i < entry->own.n; i++)
    if (!fst_ex__ref_push(ex, &all, &entry->own.items[i])) return;
  size_t class_marks_start = all.n;
  for (size_t c = 0; c < n_chain; c++)
    if (!fst_ex__class_mro_marks(ex, chain[c], &all, 0)) {
      if (!ex->oom) fst_ex__needs(ex, def, "class hierarchy too deep");
      return;
    }
  for (size_t i = 0; i < ex->module_marks.n; i++)
    if (!fst_ex__ref_push(ex, &all, &ex->module_marks.items[i])) return;
  /* parametrize specs, in iter_markers order */
  fst_ex__pspec *specs[64];
  size_t n_specs = 0, total = 1;
  size_t skip = (n_chain > 0 && !entry->is_static ? 1 : 0) + entry->patch_args;
  for (size_t i = 0; i < all.n; i++) {
    fst_ex__mark *mark = all.items[i];
    if (!fst_ex__eq(mark->name, "parametrize")) continue;
    if (n_specs == 64) {
      fst_ex__needs(ex, def, "too many stacked parametrize marks");
      return;
    }
    fst_ex__pspec *spec = fst_ex__pspec_eval(ex, mark);
    if (spec && spec->has_ids) {
      if (mark->used) spec = fst_ex__pspec_reused(ex, mark);
      mark->used = true;
    }
    if (!spec) {
      if (!ex->oom) fst_ex__needs(ex, mark->at, "parametrize not literal");
      return;
    }
    for (size_t a = 0; a < spec->n_argnames; a++) {
      bool has_default;
      if (!fst_ex__param_ok(ex, def, skip, spec->argnames[a], &has_default)) {
        if (!ex->oom)
          fst_ex__needs(ex, def,
                        has_default ? "parametrized argument %.*s has a default (collection error)"
                                    : "parametrized name %.*s is not a parameter of the test",
                        (int)spec->argnames[a].len, spec->argnames[a].ptr);
        return;
      }
      for (size_t p = 0; p < n_specs; p++)
        for (size_t b = 0; b < specs[p]->n_argnames; b++)
          if (fst_ex__str_eq(specs[p]->argnames[b], spec->argnames[a])) {
            fst_ex__needs(ex, def, "duplicate parametrization of %.*s", (int)spec->argnames[a].len,
                          spec->argnames[a].ptr);
            return;
          }
    }
    specs[n_specs++] = spec;
    total *= spec->n_sets;
    if (total > FST_EXTRACT_MAX_ITEMS_PER_FUNCTION) {
      fst_ex__needs(ex, def, "parametrize expands to too many items");
      return;
    }
  }
  /* item name buffer */
  fst_ex__str fname = entry->name;
  size_t name_capacity = prefix_len + fname.len + 3;
  for (size_t p = 0; p < n_specs; p++) {
    size_t longest = 0;
    for (size_t s = 0; s < specs[p]->n_sets; s++)
      if (specs[p]->ids[s].len > longest) longest = specs[p]->ids[s].len;
    name_capacity += longest + 1;
  }
  char *name = fst_ex__alloc(ex, name_capacity);
  if (!name) return;
  memcpy(name, prefix, prefix_len);
  memcpy(name + prefix_len, fname.ptr, fname.len);
  size_t base_len = prefix_len + fname.len;
  /* odometer over the specs: spec 0 is the outermost loop */
  size_t index[64] = {0};
  for (size_t item = 0; item < total && !ex->oom; item++) {
    size_t len = base_len;
    fst_ex__namelist markers = {0};
    for (size_t i = 0; i < class_marks_start; i++)
      if (!fst_ex__names_add(ex, &markers, all.items[i]->name)) return;
    if (n_specs) {
      name[len++] = '[';
      for (size_t p = 0; p < n_specs; p++) {
        if (p) name[len++] = '-';
        fst_ex__str id = specs[p]->ids[index[p]];
        memcpy(name + len, id.ptr, id.len);
        len += id.len;
        for (size_t m = 0; m < specs[p]->n_set_marks[index[p]]; m++)
          if (!fst_ex__names_add(ex, &markers, specs[p]->set_marks[index[p]][m])) return;
      }
      name[len++] = ']';
    }
    for (size_t i = class_marks_start; i < all.n; i++)
      if (!fst_ex__names_add(ex, &markers, all.items[i]->name)) return;
    if (fst_ex__emit_item(ex, name, len, line, &markers) != 0) return;
    for (size_t p = n_specs; p-- > 0;) {
      if (++index[p] < specs[p]->n_sets) break;
      index[p] = 0;
    }
  }
}

static int fst_ex__class_test_attr(const fst_ex__class *cls) {
  for (int depth = 0; cls && depth <= FST_EXTRACT_MAX_DEPTH; cls = cls->base, depth++)
    if (cls->test_attr >= 0) return cls->test_attr;
  return -1;
}

static void fst_ex__emit_class(fst_ex *ex, const char *prefix, size_t prefix_len,
                               fst_ex__class *cls, fst_ex__class **chain, size_t n_chain) {
  if (ex->oom) return;
  if (n_chain >= FST_EXTRACT_MAX_DEPTH) {
    fst_ex__needs(ex, cls->node, "classes nested too deeply");
    return;
  }
  if (fst_ex__class_test_attr(cls) == 0) return;
  const fst_ex__class *levels[FST_EXTRACT_MAX_DEPTH + 1];
  size_t n_levels = 0;
  for (const fst_ex__class *c = cls; c; c = c->base) {
    if (n_levels > FST_EXTRACT_MAX_DEPTH) {
      fst_ex__needs(ex, cls->node, "class hierarchy too deep");
      return;
    }
    if (c->opaque) {
      fst_ex__needs(ex, cls->node, "test class %.*s has a base class from elsewhere",
                    (int)cls->name.len, cls->name.ptr);
      return;
    }
    if (c->has_ctor) {
      fst_ex__needs(ex, cls->node,
                    "test class %.*s has __init__ or __new__ (pytest warns; result depends on "
                    "warning filters)",
                    (int)cls->name.len, cls->name.ptr);
      return;
    }
    levels[n_levels++] = c;
  }
  size_t new_len = prefix_len + cls->name.len + 2;
  char *new_prefix = fst_ex__alloc(ex, new_len + 1);
  if (!new_prefix) return;
  memcpy(new_prefix, prefix, prefix_len);
  memcpy(new_prefix + prefix_len, cls->name.ptr, cls->name.len);
  memcpy(new_prefix + prefix_len + cls->name.len, "::", 2);
  chain[n_chain] = cls;
  /* chain for marks: innermost first */
  fst_ex__class *inner_first[FST_EXTRACT_MAX_DEPTH + 1];
  for (size_t i = 0; i <= n_chain; i++) inner_first[i] = chain[n_chain - i];
  /* names seen from the class itself down to its bases, then emitted
   * base-first (reverse MRO), each level in definition order */
  fst_ex__scope seen = {0};
  bool **emit = fst_ex__alloc(ex, n_levels * sizeof *emit);
  if (!emit) return;
  for (size_t l = 0; l < n_levels; l++) {
    const fst_ex__scope *scope = &levels[l]->scope;
    emit[l] = fst_ex__alloc(ex, (scope->n + 1) * sizeof **emit);
    if (!emit[l]) return;
    for (size_t e = 0; e < scope->n; e++) {
      emit[l][e] = !fst_ex__scope_find(&seen, scope->entries[e].name);
      if (emit[l][e] && !fst_ex__scope_bind(ex, &seen, scope->entries[e].name)) return;
    }
  }
  for (size_t l = n_levels; l-- > 0;) {
    const fst_ex__scope *scope = &levels[l]->scope;
    for (size_t e = 0; e < scope->n && !ex->oom; e++) {
      if (!emit[l][e]) continue;
      fst_ex__entry *entry = &scope->entries[e];
      if (entry->kind == FST_EX__FUNC && fst_ex__is_test_function_name(ex, entry->name)) {
        fst_ex__emit_function(ex, new_prefix, new_len, entry, inner_first, n_chain + 1);
      } else if (entry->kind == FST_EX__CLASS && (fst_ex__is_test_class_name(ex, entry->name) ||
                                                  fst_ex__class_test_attr(entry->cls) == 1)) {
        fst_ex__emit_class(ex, new_prefix, new_len, entry->cls, chain, n_chain + 1);
      }
    }
  }
}

/* ------------------------------------------------------------------ */
/* Statements.                                                          */

static void fst_ex__block(fst_ex *ex, TSNode block, fst_ex__class *cls, int depth);

static bool fst_ex__is_special(fst_ex__str name) {
  return fst_ex__eq(name, "pytestmark") || fst_ex__eq(name, "__test__") ||
         fst_ex__eq(name, "pytest_generate_tests") || fst_ex__eq(name, "pytest_pycollect_makeitem");
}

static uint32_t fst_ex__hook_bit(fst_ex__str name) {
  static const struct {
    const char *name;
    uint32_t bit;
  } hooks[] = {
      {"pytest_collect_file", FST_HOOK_COLLECT_FILE},
      {"pytest_collect_directory", FST_HOOK_COLLECT_DIRECTORY},
      {"pytest_ignore_collect", FST_HOOK_IGNORE_COLLECT},
      {"pytest_pycollect_makeitem", FST_HOOK_PYCOLLECT_MAKEITEM},
      {"pytest_pycollect_makemodule", FST_HOOK_PYCOLLECT_MAKEMODULE},
      {"pytest_generate_tests", FST_HOOK_GENERATE_TESTS},
      {"pytest_collection_modifyitems", FST_HOOK_COLLECTION_MODIFYITEMS},
      {"pytest_collection", FST_HOOK_COLLECTION},
      {"pytest_make_collect_report", FST_HOOK_MAKE_COLLECT_REPORT},
      {"pytest_make_parametrize_id", FST_HOOK_MAKE_PARAMETRIZE_ID},
  };
  for (size_t i = 0; i < sizeof hooks / sizeof hooks[0]; i++)
    if (fst_ex__eq(name, hooks[i].name)) return hooks[i].bit;
  if (fst_ex__starts(name, "pytest_collect") || fst_ex__eq(name, "pytest_itemcollected") ||
      fst_ex__eq(name, "pytest_deselected"))
    return FST_HOOK_COLLECT_MODIFYITEMS_ANY;
  if (fst_ex__eq(name, "pytest_plugins")) return FST_FACT_PYTEST_PLUGINS;
  return 0;
}

/* A binding of `name` by something other than an unconditional def/class
 * (import, assignment target, conditional code, for/with targets...). */
static void fst_ex__opaque_binding(fst_ex *ex, fst_ex__class *cls, TSNode at, fst_ex__str name,
                                   const char *how) {
  fst_ex__scope *scope = cls ? &cls->scope : &ex->module;
  if (!cls) ex->out->hooks |= fst_ex__hook_bit(name);
  fst_ex__entry *entry = fst_ex__scope_find(scope, name);
  if (fst_ex__is_test_function_name(ex, name) || fst_ex__is_test_class_name(ex, name) ||
      fst_ex__is_special(name) || (entry && entry->kind != FST_EX__OTHER) ||
      (cls && (fst_ex__eq(name, "__init__") || fst_ex__eq(name, "__new__")))) {
    fst_ex__needs(ex, at, "%.*s bound %s", (int)name.len, name.ptr, how);
  }
}

/* Walks assignment targets, reporting each bound identifier. */
static void fst_ex__targets(fst_ex *ex, fst_ex__class *cls, TSNode target, const char *how,
                            int depth) {
  if (depth > FST_EXTRACT_MAX_DEPTH) {
    fst_ex__needs(ex, target, "assignment target nested too deeply");
    return;
  }
  if (fst_ex__is(ex, target, FST_SYM_identifier)) {
    fst_ex__opaque_binding(ex, cls, target, fst_ex__text(ex, target), how);
  } else if (fst_ex__is(ex, target, FST_SYM_attribute)) {
    fst_ex__str attr = fst_ex__text(ex, fst_ex__field(ex, target, FST_FIELD_attribute));
    if (fst_ex__eq(attr, "__test__") || fst_ex__eq(attr, "pytestmark"))
      fst_ex__needs(ex, target, "%.*s set as an attribute", (int)attr.len, attr.ptr);
  } else if (!fst_ex__is(ex, target, FST_SYM_subscript)) {
    TSNode *kids;
    size_t n = fst_ex__kids(ex, target, &kids);
    for (size_t i = 0; i < n && !ex->oom; i++) fst_ex__targets(ex, cls, kids[i], how, depth + 1);
  }
}

/* Values whose object cannot be a function or class. */
static bool fst_ex__is_plain_literal(const fst_ex *ex, TSNode v) {
  static const int kinds[] = {FST_SYM_string,
                              FST_SYM_concatenated_string,
                              FST_SYM_integer,
                              FST_SYM_float,
                              FST_SYM_true,
                              FST_SYM_false,
                              FST_SYM_none,
                              FST_SYM_list,
                              FST_SYM_tuple,
                              FST_SYM_dictionary,
                              FST_SYM_set,
                              FST_SYM_list_comprehension,
                              FST_SYM_dictionary_comprehension,
                              FST_SYM_set_comprehension};
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
    if (fst_ex__is(ex, v, kinds[i])) return true;
  return false;
}

/* collect_ignore[_glob] = [...] / += [...] with string literals only. */
static bool fst_ex__collect_ignore(fst_ex *ex, TSNode value, bool glob, bool replace) {
  if (!fst_ex__is(ex, value, FST_SYM_list) && !fst_ex__is(ex, value, FST_SYM_tuple)) return false;
  TSNode *kids;
  size_t n = fst_ex__kids(ex, value, &kids);
  fst_ex__strval *decoded = fst_ex__alloc(ex, (n + 1) * sizeof *decoded);
  if (!decoded) return false;
  for (size_t i = 0; i < n; i++)
    if (!fst_ex__decode_string(ex, kids[i], &decoded[i]) || decoded[i].is_bytes) return false;
  char ***array = glob ? &ex->out->collect_ignore_glob : &ex->out->collect_ignore;
  size_t *count = glob ? &ex->out->n_collect_ignore_glob : &ex->out->n_collect_ignore;
  size_t *capacity = glob ? &ex->ignore_glob_capacity : &ex->ignore_capacity;
  if (replace) {
    for (size_t i = 0; i < *count; i++) fst_free((*array)[i]);
    *count = 0;
  }
  for (size_t i = 0; i < n; i++)
    if (fst_ex__push_string(ex, array, count, capacity, decoded[i].bytes, decoded[i].len) != 0)
      return false;
  return true;
}

static void fst_ex__assignment(fst_ex *ex, TSNode node, fst_ex__class *cls) {
  TSNode left = fst_ex__field(ex, node, FST_FIELD_left);
  TSNode right = fst_ex__field(ex, node, FST_FIELD_right);
  bool augmented = fst_ex__is(ex, node, FST_SYM_augmented_assignment);
  if (ts_node_is_null(right)) return; /* a bare annotation binds nothing */
  if (fst_ex__is(ex, right, FST_SYM_assignment)) {
    /* a = b = value: every target gets the final value */
    TSNode value = right;
    while (fst_ex__is(ex, value, FST_SYM_assignment)) {
      TSNode r = fst_ex__field(ex, value, FST_FIELD_right);
      if (ts_node_is_null(r)) return;
      value = r;
    }
    fst_ex__targets(ex, cls, left, "by chained assignment", 0);
    fst_ex__assignment(ex, right, cls);
    return;
  }
  if (!fst_ex__is(ex, left, FST_SYM_identifier)) {
    fst_ex__targets(ex, cls, left, "by assignment", 0);
    return;
  }
  fst_ex__str name = fst_ex__text(ex, left);
  fst_ex__scope *scope = cls ? &cls->scope : &ex->module;
  if (fst_ex__eq(name, "pytestmark")) {
    fst_ex__marks *marks = cls ? &cls->marks : &ex->module_marks;
    if (augmented) {
      fst_ex__needs(ex, node, "pytestmark modified in place");
      return;
    }
    marks->n = 0; /* the last assignment wins */
    fst_ex__parse_pytestmark(ex, right, marks);
    return;
  }
  if (fst_ex__eq(name, "__test__")) {
    int value = fst_ex__is(ex, right, FST_SYM_true)    ? 1
                : fst_ex__is(ex, right, FST_SYM_false) ? 0
                                                       : -1;
    if (augmented || value < 0) {
      fst_ex__needs(ex, node, "__test__ is not a literal True/False");
      return;
    }
    if (cls)
      cls->test_attr = value;
    else
      ex->module_test = value;
    return;
  }
  if (!cls && (fst_ex__eq(name, "collect_ignore") || fst_ex__eq(name, "collect_ignore_glob"))) {
    if (fst_ex__collect_ignore(ex, right, fst_ex__eq(name, "collect_ignore_glob"), !augmented))
      ex->collect_ignore_literal_uses++;
    return;
  }
  if (cls && (fst_ex__eq(name, "__init__") || fst_ex__eq(name, "__new__"))) {
    cls->has_ctor = true;
    return;
  }
  if (!augmented && fst_ex__is_plain_literal(ex, right)) {
    /* Never collected (not callable), but it takes or keeps the name's
     * position in __dict__ and replaces a def bound earlier. */
    if (!cls) ex->out->hooks |= fst_ex__hook_bit(name);
    if (fst_ex__is_special(name)) {
      fst_ex__needs(ex, node, "%.*s bound by assignment", (int)name.len, name.ptr);
      return;
    }
    fst_ex__entry *entry = fst_ex__scope_bind(ex, scope, name);
    if (entry) {
      entry->kind = FST_EX__OTHER;
      entry->cls = NULL;
    }
    return;
  }
  fst_ex__opaque_binding(ex, cls, node, name,
                         augmented ? "by augmented assignment" : "by assignment");
}

static void fst_ex__import(fst_ex *ex, TSNode node, fst_ex__class *cls, bool conditional) {
  TSNode *kids;
  size_t n = fst_ex__kids(ex, node, &kids);
  if (ex->oom) return;
  bool module_level = !cls;
  if (fst_ex__is(ex, node, FST_SYM_import_statement)) {
    for (size_t i = 0; i < n; i++) {
      TSNode name = kids[i], alias = {0};
      if (fst_ex__is(ex, name, FST_SYM_aliased_import)) {
        alias = fst_ex__field(ex, name, FST_FIELD_alias);
        name = fst_ex__field(ex, name, FST_FIELD_name);
      }
      fst_ex__str dotted = fst_ex__text(ex, name);
      fst_ex__str bound = ts_node_is_null(alias) ? fst_ex__text(ex, ts_node_named_child(name, 0))
                                                 : fst_ex__text(ex, alias);
      if (module_level) {
        if (fst_ex__eq(dotted, "pytest")) {
          if (!ts_node_is_null(alias))
            fst_ex__add_alias(ex, FST_EX__ALIAS_PYTEST, bound);
          else
            fst_ex__add_alias(ex, FST_EX__ALIAS_PYTEST, dotted);
        } else if (fst_ex__eq(dotted, "mock") ||
                   (fst_ex__eq(dotted, "unittest.mock") && !ts_node_is_null(alias))) {
          fst_ex__add_alias(ex, FST_EX__ALIAS_MOCK, bound);
        } else if (fst_ex__starts(dotted, "unittest") && ts_node_is_null(alias)) {
          /* `import unittest.mock` makes unittest.mock.patch reachable */
          if (fst_ex__eq(dotted, "unittest.mock")) ex->unittest_mock = true;
        }
      }
      /* `import a.b` binds a module object: never collected, but it
       * replaces whatever def had the name. */
      fst_ex__scope *scope = cls ? &cls->scope : &ex->module;
      fst_ex__entry *entry = fst_ex__scope_find(scope, bound);
      if ((entry && entry->kind != FST_EX__OTHER) || fst_ex__is_special(bound))
        fst_ex__needs(ex, node, "%.*s rebound by import", (int)bound.len, bound.ptr);
    }
    return;
  }
  if (fst_ex__is(ex, node, FST_SYM_future_import_statement)) return;
  /* from module import names */
  TSNode module = fst_ex__field(ex, node, FST_FIELD_module_name);
  fst_ex__str from = fst_ex__text(ex, module);
  for (size_t i = 0; i < n; i++) {
    TSNode k = kids[i];
    if (ts_node_eq(k, module)) continue;
    if (fst_ex__is(ex, k, FST_SYM_wildcard_import)) {
      ex->out->hooks |= FST_FACT_STAR_IMPORT;
      fst_ex__needs(ex, k, "star import");
      continue;
    }
    TSNode name = k, alias = {0};
    if (fst_ex__is(ex, k, FST_SYM_aliased_import)) {
      alias = fst_ex__field(ex, k, FST_FIELD_alias);
      name = fst_ex__field(ex, k, FST_FIELD_name);
    }
    fst_ex__str imported = fst_ex__text(ex, name);
    fst_ex__str bound = ts_node_is_null(alias) ? imported : fst_ex__text(ex, alias);
    if (module_level) {
      if (fst_ex__eq(from, "pytest")) {
        if (fst_ex__eq(imported, "mark"))
          fst_ex__add_alias(ex, FST_EX__ALIAS_MARK, bound);
        else if (fst_ex__eq(imported, "fixture"))
          fst_ex__add_alias(ex, FST_EX__ALIAS_FIXTURE, bound);
        else if (fst_ex__eq(imported, "param"))
          fst_ex__add_alias(ex, FST_EX__ALIAS_PARAM, bound);
      } else if (fst_ex__eq(from, "unittest") && fst_ex__eq(imported, "mock")) {
        fst_ex__add_alias(ex, FST_EX__ALIAS_MOCK, bound);
      } else if ((fst_ex__eq(from, "unittest.mock") || fst_ex__eq(from, "mock")) &&
                 fst_ex__eq(imported, "patch")) {
        fst_ex__add_alias(ex, FST_EX__ALIAS_PATCH, bound);
      }
    }
    fst_ex__opaque_binding(ex, cls, k, bound, "by import");
  }
}

/* Statements under if/for/while/try/with/match at module or class level:
 * nothing they bind may matter to collection. */
static void fst_ex__conditional(fst_ex *ex, TSNode node, fst_ex__class *cls) {
  TSTreeCursor *c = &ex->walk;
  /* The walk cursor is shared with helpers that reset it: collect the
   * nodes of interest first, then handle them. */
  TSNode *found = NULL;
  size_t n = 0, capacity = 0;
  ts_tree_cursor_reset(c, node);
  for (;;) {
    TSNode cur = ts_tree_cursor_current_node(c);
    TSSymbol s = ts_node_symbol(cur);
    const TSSymbol *id = ex->sym->id;
    bool interesting = s == id[FST_SYM_function_definition] || s == id[FST_SYM_class_definition] ||
                       s == id[FST_SYM_assignment] || s == id[FST_SYM_augmented_assignment] ||
                       s == id[FST_SYM_import_statement] ||
                       s == id[FST_SYM_import_from_statement] || s == id[FST_SYM_for_statement] ||
                       s == id[FST_SYM_with_item] || s == id[FST_SYM_except_clause] ||
                       s == id[FST_SYM_delete_statement] || s == id[FST_SYM_call] ||
                       s == id[FST_SYM_as_pattern];
    if (interesting) {
      if (!fst_ex__grow(ex, (void **)&found, &capacity, n + 1, sizeof *found)) return;
      found[n++] = cur;
    }
    bool descend = s != id[FST_SYM_function_definition] && s != id[FST_SYM_class_definition] &&
                   s != id[FST_SYM_lambda];
    if (descend && ts_tree_cursor_goto_first_child(c)) continue;
    bool done = false;
    for (;;) {
      if (ts_tree_cursor_goto_next_sibling(c)) break;
      if (!ts_tree_cursor_goto_parent(c)) {
        done = true;
        break;
      }
    }
    if (done) break;
  }
  for (size_t i = 0; i < n && !ex->oom; i++) {
    TSNode cur = found[i];
    TSSymbol s = ts_node_symbol(cur);
    const TSSymbol *id = ex->sym->id;
    if (s == id[FST_SYM_function_definition] || s == id[FST_SYM_class_definition]) {
      fst_ex__str name = fst_ex__text(ex, fst_ex__field(ex, cur, FST_FIELD_name));
      fst_ex__opaque_binding(ex, cls, cur, name, "conditionally");
      if (s == id[FST_SYM_function_definition]) {
        /* fixtures with params, even conditional ones */
        TSNode parent = ts_node_parent(cur);
        if (fst_ex__is(ex, parent, FST_SYM_decorated_definition)) {
          TSNode *decorators;
          size_t nd = fst_ex__kids(ex, parent, &decorators);
          for (size_t d = 0; d < nd; d++) {
            bool params = false;
            if (fst_ex__is(ex, decorators[d], FST_SYM_decorator) &&
                fst_ex__classify(ex, ts_node_named_child(decorators[d], 0), NULL, &params, NULL) ==
                    FST_EX__DECO_FIXTURE &&
                params) {
              ex->out->hooks |= FST_FACT_PARAM_FIXTURE;
              fst_ex__needs(ex, cur, "fixture with params");
            }
          }
        }
      }
    } else if (s == id[FST_SYM_assignment] || s == id[FST_SYM_augmented_assignment]) {
      fst_ex__targets(ex, cls, fst_ex__field(ex, cur, FST_FIELD_left), "conditionally", 0);
    } else if (s == id[FST_SYM_import_statement] || s == id[FST_SYM_import_from_statement]) {
      fst_ex__import(ex, cur, cls, true);
    } else if (s == id[FST_SYM_for_statement]) {
      fst_ex__targets(ex, cls, fst_ex__field(ex, cur, FST_FIELD_left), "by a for loop", 0);
    } else if (s == id[FST_SYM_with_item] || s == id[FST_SYM_as_pattern]) {
      /* with x as name / except E as name: the target follows "as" */
      uint32_t count = ts_node_named_child_count(cur);
      if (count >= 2)
        fst_ex__targets(ex, cls, ts_node_named_child(cur, count - 1), "by with/except", 0);
      else if (count == 1 && fst_ex__is(ex, ts_node_named_child(cur, 0), FST_SYM_as_pattern)) {
        /* handled when the walk reaches the as_pattern itself */
      }
    } else if (s == id[FST_SYM_except_clause]) {
      /* `except E as name` (grammar 0.23: the name is the second child
       * when an "as" keyword is present) */
      uint32_t count = ts_node_child_count(cur);
      for (uint32_t k = 0; k + 1 < count; k++) {
        TSNode child = ts_node_child(cur, k);
        if (!ts_node_is_named(child) && fst_ex__eq(fst_ex__text(ex, child), "as"))
          fst_ex__targets(ex, cls, ts_node_child(cur, k + 1), "by except", 0);
      }
    } else if (s == id[FST_SYM_delete_statement]) {
      fst_ex__targets(ex, cls, ts_node_named_child(cur, 0), "deleted", 0);
    } else if (s == id[FST_SYM_call]) {
      fst_ex__str callee = fst_ex__text(ex, fst_ex__field(ex, cur, FST_FIELD_function));
      if (fst_ex__eq(callee, "globals") || fst_ex__eq(callee, "setattr") ||
          fst_ex__eq(callee, "exec") || fst_ex__eq(callee, "vars") || fst_ex__eq(callee, "locals"))
        fst_ex__needs(ex, cur, "module namespace changed dynamically (%.*s)", (int)callee.len,
                      callee.ptr);
    }
  }
}

/* Processes a class definition into a record bound in the current scope. */
static fst_ex__class *fst_ex__class_def(fst_ex *ex, TSNode def, TSNode outer,
                                        fst_ex__class *enclosing, int depth) {
  fst_ex__class *cls = fst_ex__alloc(ex, sizeof *cls);
  if (!cls) return NULL;
  memset(cls, 0, sizeof *cls);
  cls->node = def;
  cls->name = fst_ex__text(ex, fst_ex__field(ex, def, FST_FIELD_name));
  cls->test_attr = -1;
  TSNode superclasses = fst_ex__field(ex, def, FST_FIELD_superclasses);
  if (!ts_node_is_null(superclasses)) {
    TSNode *bases;
    size_t n = fst_ex__kids(ex, superclasses, &bases);
    size_t resolved = 0;
    for (size_t i = 0; i < n; i++) {
      TSNode b = bases[i];
      if (fst_ex__is(ex, b, FST_SYM_identifier)) {
        fst_ex__str name = fst_ex__text(ex, b);
        if (fst_ex__eq(name, "object") && !fst_ex__scope_find(&ex->module, name)) continue;
        fst_ex__entry *entry = fst_ex__scope_find(&ex->module, name);
        if (enclosing && fst_ex__scope_find(&enclosing->scope, name)) entry = NULL;
        if (entry && entry->kind == FST_EX__CLASS && entry->cls) {
          cls->base = entry->cls;
          resolved++;
          continue;
        }
      }
      cls->opaque = true;
    }
    if (resolved > 1) cls->opaque = true; /* multiple inheritance: MRO not modelled */
  }
  TSNode body = fst_ex__field(ex, def, FST_FIELD_body);
  fst_ex__block(ex, body, cls, depth + 1);
  /* decorators (after the body: store_mark appends to the body's pytestmark) */
  if (!ts_node_eq(def, outer)) {
    TSNode *decorators;
    size_t n = fst_ex__kids(ex, outer, &decorators);
    bool testish = fst_ex__is_test_class_name(ex, cls->name) || cls->test_attr == 1;
    for (size_t i = n; i-- > 0 && !ex->oom;) {
      if (!fst_ex__is(ex, decorators[i], FST_SYM_decorator)) continue;
      TSNode expr = ts_node_named_child(decorators[i], 0);
      fst_ex__mark mark;
      if (fst_ex__classify(ex, expr, &mark, NULL, NULL) == FST_EX__DECO_MARK) {
        fst_ex__marks_push(ex, &cls->marks, &mark);
      } else {
        cls->opaque = true; /* replaced or wrapped: unknown object */
        if (testish)
          fst_ex__needs(ex, expr, "test class %.*s has a decorator that may replace it",
                        (int)cls->name.len, cls->name.ptr);
      }
    }
  }
  return cls;
}

static void fst_ex__definition(fst_ex *ex, TSNode outer, fst_ex__class *cls, int depth) {
  TSNode def = outer;
  if (fst_ex__is(ex, outer, FST_SYM_decorated_definition))
    def = fst_ex__field(ex, outer, FST_FIELD_definition);
  if (ts_node_is_null(def)) return;
  fst_ex__str name = fst_ex__text(ex, fst_ex__field(ex, def, FST_FIELD_name));
  fst_ex__scope *scope = cls ? &cls->scope : &ex->module;
  if (fst_ex__is(ex, def, FST_SYM_class_definition)) {
    if (depth > FST_EXTRACT_MAX_DEPTH) {
      fst_ex__needs(ex, def, "classes nested too deeply");
      return;
    }
    if (fst_ex__is_special(name))
      fst_ex__needs(ex, def, "%.*s bound by a class", (int)name.len, name.ptr);
    fst_ex__class *record = fst_ex__class_def(ex, def, outer, cls, depth);
    fst_ex__entry *entry = record ? fst_ex__scope_bind(ex, scope, name) : NULL;
    if (!entry) return;
    entry->kind = FST_EX__CLASS;
    entry->def = def;
    entry->outer = outer;
    entry->cls = record;
    return;
  }
  /* function */
  if (!cls) {
    uint32_t bit = fst_ex__hook_bit(name);
    ex->out->hooks |= bit & ~(uint32_t)FST_FACT_PYTEST_PLUGINS;
    if (bit & (FST_HOOK_GENERATE_TESTS | FST_HOOK_PYCOLLECT_MAKEITEM))
      fst_ex__needs(ex, def, "%.*s defined in the file", (int)name.len, name.ptr);
  } else if (fst_ex__eq(name, "pytest_generate_tests")) {
    fst_ex__needs(ex, def, "pytest_generate_tests defined in a class");
  } else if (fst_ex__eq(name, "__init__") || fst_ex__eq(name, "__new__")) {
    cls->has_ctor = true;
  }
  if (fst_ex__eq(name, "pytestmark") || fst_ex__eq(name, "__test__"))
    fst_ex__needs(ex, def, "%.*s bound by a def", (int)name.len, name.ptr);
  if (!ts_node_eq(def, outer)) {
    TSNode *decorators;
    size_t n = fst_ex__kids(ex, outer, &decorators);
    bool fixture = false, marked = false;
    for (size_t i = 0; i < n && !ex->oom; i++) {
      bool params = false;
      if (!fst_ex__is(ex, decorators[i], FST_SYM_decorator)) continue;
      fst_ex__deco kind =
          fst_ex__classify(ex, ts_node_named_child(decorators[i], 0), NULL, &params, NULL);
      if (kind == FST_EX__DECO_MARK) marked = true;
      if (kind != FST_EX__DECO_FIXTURE) continue;
      fixture = true;
      if (params) {
        ex->out->hooks |= FST_FACT_PARAM_FIXTURE;
        fst_ex__needs(ex, def, "fixture %.*s has params", (int)name.len, name.ptr);
      }
    }
    /* store_mark fails on fixtures (and a mark under the fixture
     * decorator is an error in pytest 9 too) */
    if (fixture && marked)
      fst_ex__needs(ex, def, "marks applied to fixture %.*s", (int)name.len, name.ptr);
  }
  fst_ex__entry *entry = fst_ex__scope_bind(ex, scope, name);
  if (!entry) return;
  entry->kind = FST_EX__FUNC;
  entry->def = def;
  entry->outer = outer;
  entry->cls = NULL;
}

static void fst_ex__block(fst_ex *ex, TSNode block, fst_ex__class *cls, int depth) {
  TSNode *statements;
  size_t n = fst_ex__kids(ex, block, &statements);
  if (ex->oom) return;
  const TSSymbol *id = ex->sym->id;
  for (size_t i = 0; i < n && !ex->oom; i++) {
    TSNode s = statements[i];
    TSSymbol symbol = ts_node_symbol(s);
    if (symbol == id[FST_SYM_function_definition] || symbol == id[FST_SYM_class_definition] ||
        symbol == id[FST_SYM_decorated_definition]) {
      fst_ex__definition(ex, s, cls, depth);
    } else if (symbol == id[FST_SYM_import_statement] ||
               symbol == id[FST_SYM_import_from_statement] ||
               symbol == id[FST_SYM_future_import_statement]) {
      fst_ex__import(ex, s, cls, false);
    } else if (symbol == id[FST_SYM_expression_statement]) {
      TSNode *kids;
      size_t nk = fst_ex__kids(ex, s, &kids);
      bool plain = true;
      for (size_t k = 0; k < nk && !ex->oom; k++) {
        if (fst_ex__is(ex, kids[k], FST_SYM_assignment) ||
            fst_ex__is(ex, kids[k], FST_SYM_augmented_assignment))
          fst_ex__assignment(ex, kids[k], cls);
        else
          plain = false;
      }
      if (!plain) fst_ex__conditional(ex, s, cls); /* calls such as globals() */
    } else if (symbol == id[FST_SYM_if_statement] || symbol == id[FST_SYM_for_statement] ||
               symbol == id[FST_SYM_while_statement] || symbol == id[FST_SYM_try_statement] ||
               symbol == id[FST_SYM_with_statement] || symbol == id[FST_SYM_match_statement] ||
               symbol == id[FST_SYM_delete_statement]) {
      fst_ex__conditional(ex, s, cls);
    } else if (symbol == id[FST_SYM_global_statement] || symbol == id[FST_SYM_nonlocal_statement] ||
               symbol == id[FST_SYM_type_alias_statement]) {
      if (cls) fst_ex__needs(ex, s, "global/nonlocal/type statement in a class body");
    }
  }
}

/* Every import in the file, including inside functions: statements only
 * live in blocks, so expressions are never entered. */
static void fst_ex__imports(fst_ex *ex, TSNode root) {
  TSTreeCursor *c = &ex->walk;
  const TSSymbol *id = ex->sym->id;
  ts_tree_cursor_reset(c, root);
  for (;;) {
    TSNode node = ts_tree_cursor_current_node(c);
    TSSymbol s = ts_node_symbol(node);
    bool descend = false;
    if (s == id[FST_SYM_import_statement]) {
      uint32_t n = ts_node_named_child_count(node);
      for (uint32_t i = 0; i < n && !ex->oom; i++) {
        TSNode name = ts_node_named_child(node, i);
        if (fst_ex__is(ex, name, FST_SYM_aliased_import))
          name = fst_ex__field(ex, name, FST_FIELD_name);
        if (fst_ex__is(ex, name, FST_SYM_dotted_name))
          fst_ex__add_import(ex, fst_ex__text(ex, name));
      }
    } else if (s == id[FST_SYM_import_from_statement]) {
      TSNode module = fst_ex__field(ex, node, FST_FIELD_module_name);
      fst_ex__str text = fst_ex__text(ex, module);
      /* relative imports may contain spaces ("from . x"): keep only dots and names */
      char *clean = fst_ex__alloc(ex, text.len + 1);
      if (clean) {
        size_t m = 0;
        for (size_t i = 0; i < text.len; i++)
          if (text.ptr[i] != ' ' && text.ptr[i] != '\t' && text.ptr[i] != '\\' &&
              text.ptr[i] != '\n' && text.ptr[i] != '\r')
            clean[m++] = text.ptr[i];
        fst_ex__add_import(ex, (fst_ex__str){clean, m});
      }
    } else if (s == id[FST_SYM_future_import_statement]) {
      fst_ex__add_import(ex, (fst_ex__str){"__future__", 10});
    } else {
      descend = s == id[FST_SYM_module] || s == id[FST_SYM_block] ||
                s == id[FST_SYM_function_definition] || s == id[FST_SYM_class_definition] ||
                s == id[FST_SYM_decorated_definition] || s == id[FST_SYM_if_statement] ||
                s == id[FST_SYM_for_statement] || s == id[FST_SYM_while_statement] ||
                s == id[FST_SYM_try_statement] || s == id[FST_SYM_with_statement] ||
                s == id[FST_SYM_match_statement] || s == id[FST_SYM_elif_clause] ||
                s == id[FST_SYM_else_clause] || s == id[FST_SYM_except_clause] ||
                s == id[FST_SYM_except_group_clause] || s == id[FST_SYM_finally_clause] ||
                s == id[FST_SYM_case_clause];
      /* match_statement's cases sit in a block-like node */
      if (!descend && s != id[FST_SYM_expression_statement] && ts_node_is_named(node)) {
        const char *type = ts_node_type(node);
        descend = strcmp(type, "block") == 0;
      }
    }
    if (ex->oom) return;
    if (descend && ts_tree_cursor_goto_first_child(c)) continue;
    for (;;) {
      if (ts_tree_cursor_goto_next_sibling(c)) break;
      if (!ts_tree_cursor_goto_parent(c)) return;
    }
  }
}

/* Counts whole-word occurrences of collect_ignore / collect_ignore_glob. */
static size_t fst_ex__count_word(const char *s, size_t n, const char *word) {
  size_t count = 0, w = strlen(word);
  for (const char *p = s; (p = memmem(p, (size_t)(s + n - p), word, w)) != NULL; p += w) {
    bool before = p > s && (p[-1] == '_' || (p[-1] >= 'a' && p[-1] <= 'z') ||
                            (p[-1] >= 'A' && p[-1] <= 'Z') || (p[-1] >= '0' && p[-1] <= '9'));
    const char *q = p + w;
    bool after = q < s + n && (*q == '_' || (*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') ||
                               (*q >= '0' && *q <= '9'));
    if (!before && !after) count++;
    if ((size_t)(s + n - p) < w) break;
  }
  return count;
}

/* ------------------------------------------------------------------ */
/* Entry points.                                                        */

void fst_file_info_clear(fst_file_info *info) {
  if (!info) return;
  for (size_t i = 0; i < info->n_items; i++) {
    fst_free(info->items[i].name);
    for (size_t m = 0; m < info->items[i].n_markers; m++) fst_free(info->items[i].markers[m]);
    fst_free(info->items[i].markers);
  }
  fst_free(info->items);
  fst_free(info->reason);
  for (size_t i = 0; i < info->n_imports; i++) fst_free(info->imports[i]);
  fst_free(info->imports);
  for (size_t i = 0; i < info->n_collect_ignore; i++) fst_free(info->collect_ignore[i]);
  fst_free(info->collect_ignore);
  for (size_t i = 0; i < info->n_collect_ignore_glob; i++) fst_free(info->collect_ignore_glob[i]);
  fst_free(info->collect_ignore_glob);
  memset(info, 0, sizeof *info);
}

static void fst_ex__run(fst_ex *ex, TSParser *parser) {
  fst_file_info *out = ex->out;
  /* A UTF-8 BOM is valid Python; skipping it keeps line numbers. */
  if (ex->len >= 3 && memcmp(ex->src, "\xEF\xBB\xBF", 3) == 0) {
    ex->src += 3;
    ex->len -= 3;
  }
  if (fst_ex__foreign_coding(ex->src, ex->len)) {
    fst_ex__needs(ex, (TSNode){0}, "line 1: source encoding other than UTF-8");
    return;
  }
  size_t bad_line = 0;
  const char *bad = fst_ex__screen((const unsigned char *)ex->src, ex->len, &bad_line);
  if (bad) {
    fst_ex__needs(ex, (TSNode){0}, "line %zu: %s", bad_line, bad);
    return;
  }
  if (ex->len > UINT32_MAX / 2) {
    fst_ex__needs(ex, (TSNode){0}, "file too large to parse");
    return;
  }
  uint64_t previous_timeout = ts_parser_timeout_micros(parser);
  ts_parser_set_timeout_micros(parser, FST_EXTRACT_PARSE_TIMEOUT_US);
  TSTree *tree = ts_parser_parse_string(parser, NULL, ex->src, (uint32_t)ex->len);
  ts_parser_set_timeout_micros(parser, previous_timeout);
  if (!tree) {
    ts_parser_reset(parser);
    fst_ex__needs(ex, (TSNode){0}, "parse exceeded its time budget");
    return;
  }
  TSNode root = ts_tree_root_node(tree);
  ex->sym = fst_ex__symbols_for(ts_parser_language(parser));
  ex->cursor = ts_tree_cursor_new(root);
  ex->walk = ts_tree_cursor_new(root);
  if (ts_node_has_error(root)) {
    fst_ex__needs(ex, (TSNode){0}, "syntax error or construct the grammar does not parse");
  } else {
    fst_ex__imports(ex, root);
    fst_ex__block(ex, root, NULL, 0);
    size_t uses = fst_ex__count_word(ex->src, ex->len, "collect_ignore") +
                  fst_ex__count_word(ex->src, ex->len, "collect_ignore_glob");
    if (uses > ex->collect_ignore_literal_uses) out->hooks |= FST_FACT_COLLECT_IGNORE_DYNAMIC;
    if (ex->module_test != 0 && !ex->oom) {
      fst_ex__class *chain[FST_EXTRACT_MAX_DEPTH + 1];
      for (size_t i = 0; i < ex->module.n && !ex->oom; i++) {
        fst_ex__entry *entry = &ex->module.entries[i];
        if (entry->kind == FST_EX__FUNC && fst_ex__is_test_function_name(ex, entry->name))
          fst_ex__emit_function(ex, "", 0, entry, NULL, 0);
        else if (entry->kind == FST_EX__CLASS && (fst_ex__is_test_class_name(ex, entry->name) ||
                                                  fst_ex__class_test_attr(entry->cls) == 1))
          fst_ex__emit_class(ex, "", 0, entry->cls, chain, 0);
      }
    }
  }
  ts_tree_cursor_delete(&ex->walk);
  ts_tree_cursor_delete(&ex->cursor);
  ts_tree_delete(tree);
}

int fst_extract(TSParser *parser, const char *source, size_t length,
                const fst_extract_config *config, fst_file_info *out) {
  assert(parser && out && (source || length == 0));
  memset(out, 0, sizeof *out);
  fst_extract_config defaults = {fst_ex__default_classes, 1, fst_ex__default_functions, 1};
  fst_ex ex;
  memset(&ex, 0, sizeof ex);
  ex.src = source ? source : "";
  ex.len = length;
  ex.config = config ? config : &defaults;
  ex.out = out;
  ex.module_test = -1;
  fst_ex__run(&ex, parser);
  while (ex.chunks) {
    fst_ex__chunk *next = ex.chunks->next;
    fst_free(ex.chunks);
    ex.chunks = next;
  }
  if (ex.oom) {
    fst_file_info_clear(out);
    return -1;
  }
  return 0;
}
