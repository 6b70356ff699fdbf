/*
 * _core.c - the CPython binding of the C core, and the only file of the
 * project that includes Python.h.
 *
 * It stays thin: it copies Python inputs into C buffers, releases the GIL
 * around the core's work, and converts the core's results into Python
 * objects once, with the GIL held.  Multi-phase initialisation (PEP 489)
 * with per-module state; no static PyObject globals.
 */
#include <limits.h>

#include "fst_binding.h"
#include "fst_grammar.h"

fst_module_state *fst_binding_state(PyObject *module) {
  return (fst_module_state *)PyModule_GetState(module);
}

int fst_binding_as_int(PyObject *value) {
  long v = PyLong_AsLong(value);
  if (v == -1 && PyErr_Occurred()) return -1;
  if (v < INT_MIN || v > INT_MAX) {
    PyErr_SetString(PyExc_OverflowError, "value does not fit in a C int");
    return -1;
  }
  return (int)v;
}

PyDoc_STRVAR(set_grammar_doc,
             "set_grammar(capsule, /) -> int\n--\n\n"
             "Check and keep the tree-sitter-python grammar (the capsule that\n"
             "tree_sitter_python.language() returns). Returns its ABI version;\n"
             "raises RuntimeError naming what to install when this build's\n"
             "libtree-sitter cannot load it.");

static PyObject *fst_binding_set_grammar(PyObject *module, PyObject *capsule) {
  const TSLanguage *language = PyCapsule_GetPointer(capsule, "tree_sitter.Language");
  if (!language) return NULL;
  char message[512];
  if (fst_grammar_check(language, message, sizeof message) != 0) {
    PyErr_SetString(PyExc_RuntimeError, message);
    return NULL;
  }
  fst_module_state *state = fst_binding_state(module);
  Py_INCREF(capsule);
  Py_XSETREF(state->grammar_capsule, capsule);
  state->language = language;
  return PyLong_FromUnsignedLong(ts_language_version(language));
}

static PyMethodDef fst_binding_methods[] = {
    {"set_grammar", (PyCFunction)fst_binding_set_grammar, METH_O, set_grammar_doc},
    {"discover", (PyCFunction)(void (*)(void))fst_binding_discover, METH_FASTCALL,
     fst_binding_discover_doc},
    {NULL, NULL, 0, NULL},
};

/* Make a heap type of this module from `spec`, keep it in *type (module
 * state, strong reference) and add it to the module. 0 or -1. */
static int fst_binding_add_type(PyObject *module, PyType_Spec *spec, PyTypeObject **type) {
  *type = (PyTypeObject *)PyType_FromModuleAndSpec(module, spec, NULL);
  if (!*type) return -1;
  return PyModule_AddType(module, *type);
}

static int fst_binding_exec(PyObject *module) {
  if (PyModule_AddIntConstant(module, "MIN_ABI", (long)fst_grammar_min_abi()) < 0) return -1;
  if (PyModule_AddIntConstant(module, "MAX_ABI", (long)fst_grammar_max_abi()) < 0) return -1;
  fst_module_state *state = fst_binding_state(module);
  if (fst_binding_add_type(module, &fst_binding_dispatcher_spec, &state->dispatcher_type) < 0)
    return -1;
  return fst_binding_add_type(module, &fst_binding_claims_spec, &state->claims_type);
}

static int fst_binding_traverse(PyObject *module, visitproc visit, void *arg) {
  fst_module_state *state = fst_binding_state(module);
  Py_VISIT(state->grammar_capsule);
  Py_VISIT(state->dispatcher_type);
  Py_VISIT(state->claims_type);
  return 0;
}

static int fst_binding_clear(PyObject *module) {
  fst_module_state *state = fst_binding_state(module);
  Py_CLEAR(state->grammar_capsule);
  Py_CLEAR(state->dispatcher_type);
  Py_CLEAR(state->claims_type);
  state->language = NULL;
  return 0;
}

static void fst_binding_free(void *module) { fst_binding_clear((PyObject *)module); }

static PyModuleDef_Slot fst_binding_slots[] = {
    {Py_mod_exec, fst_binding_exec},
    {0, NULL},
};

static struct PyModuleDef fst_binding_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "pytest_fastest._core",
    .m_doc = "C core of pytest-fastest: static discovery, cache and dispatch.",
    .m_size = sizeof(fst_module_state),
    .m_methods = fst_binding_methods,
    .m_slots = fst_binding_slots,
    .m_traverse = fst_binding_traverse,
    .m_clear = fst_binding_clear,
    .m_free = fst_binding_free,
};

PyMODINIT_FUNC PyInit__core(void) { return PyModuleDef_Init(&fst_binding_module); }
