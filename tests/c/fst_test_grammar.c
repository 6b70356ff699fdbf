/* fst_test_grammar.c - load tree-sitter-python's grammar without Python. */
#include "fst_test_grammar.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * The limited-API (abi3) layouts the binding was compiled against.  They are
 * part of CPython's stable ABI, so they cannot change under us.
 */
typedef struct {
  const char *ml_name;
  void *(*ml_meth)(void *self, void *args);
  int ml_flags;
  const char *ml_doc;
} fst_abi3_method_def;

typedef struct {
  /* PyModuleDef_Base: PyObject_HEAD, m_init, m_index, m_copy */
  long ob_refcnt;
  void *ob_type;
  void *m_init;
  long m_index;
  void *m_copy;
  const char *m_name;
  const char *m_doc;
  long m_size;
  fst_abi3_method_def *m_methods;
} fst_abi3_module_def;

static const TSLanguage *fst_test_grammar__captured;

/* Called by _binding_language(): keep the pointer, return a dummy object. */
__attribute__((visibility("default"))) void *PyCapsule_New(void *pointer, const char *name,
                                                           void *destructor) {
  (void)destructor;
  if (name && strcmp(name, "tree_sitter.Language") == 0)
    fst_test_grammar__captured = pointer;
  return pointer;
}

/* Called by PyInit__binding(): the "module" is its definition. */
__attribute__((visibility("default"))) void *PyModule_Create2(void *definition, int api) {
  (void)api;
  return definition;
}

const TSLanguage *fst_test_grammar(void) {
  if (fst_test_grammar__captured) return fst_test_grammar__captured;
  const char *path = getenv("FST_GRAMMAR_SO");
  if (!path || !*path) {
    fprintf(stderr, "FST_GRAMMAR_SO is not set (path of tree_sitter_python/_binding*.so)\n");
    return NULL;
  }
  void *handle = dlopen(path, RTLD_LAZY | RTLD_LOCAL);
  if (!handle) {
    fprintf(stderr, "cannot load %s: %s\n", path, dlerror());
    return NULL;
  }
  void *(*init)(void) = (void *(*)(void))dlsym(handle, "PyInit__binding");
  if (!init) {
    fprintf(stderr, "%s has no PyInit__binding\n", path);
    return NULL;
  }
  fst_abi3_module_def *module = init();
  for (fst_abi3_method_def *m = module ? module->m_methods : NULL; m && m->ml_name; m++) {
    if (strcmp(m->ml_name, "language") == 0) m->ml_meth(NULL, NULL);
  }
  if (!fst_test_grammar__captured) fprintf(stderr, "%s gave no grammar\n", path);
  return fst_test_grammar__captured;
}

const TSLanguage *fst_test_grammar_or_skip(void) {
  const TSLanguage *language = fst_test_grammar();
  if (!language) exit(77);
  return language;
}
