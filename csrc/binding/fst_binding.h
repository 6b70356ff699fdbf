/*
 * fst_binding.h - shared declarations of the binding's files.
 *
 * _core.c owns the module (state, init); discover.c, dispatcher.c and
 * claims.c each add one feature.  Only csrc/binding/ includes Python.h.
 */
#ifndef FST_BINDING_H
#define FST_BINDING_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <tree_sitter/api.h>

typedef struct {
  /* Borrowed from the grammar capsule, which the module state keeps alive. */
  const TSLanguage *language;
  PyObject *grammar_capsule; /* strong reference, NULL until set_grammar() */
  PyTypeObject *dispatcher_type;
  PyTypeObject *claims_type;
} fst_module_state;

fst_module_state *fst_binding_state(PyObject *module);

/* PyLong_AsInt (public only from 3.13): -1 with an exception on error. */
int fst_binding_as_int(PyObject *value);

/* discover.c */
extern const char fst_binding_discover_doc[];
PyObject *fst_binding_discover(PyObject *module, PyObject *const *args, Py_ssize_t nargs);

/* The module's types, each defined in its own file (dispatcher.c,
 * claims.c); _core.c makes them heap types of the module at exec. */
extern PyType_Spec fst_binding_dispatcher_spec;
extern PyType_Spec fst_binding_claims_spec;

/* A NULL-terminated array of UTF-8 copies of the str items of a list or
 * tuple (fst_alloc'ed; free with fst_binding_free_strings).  NULL with an
 * exception set on error. */
char **fst_binding_strings(PyObject *sequence, const char *what, size_t *count);
void fst_binding_free_strings(char **strings);

#endif /* FST_BINDING_H */
