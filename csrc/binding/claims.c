/*
 * claims.c - _core.Claims: the claims table (fst_claims.h) as a Python type.
 *
 * Made in the controller before the workers are forked; each worker takes
 * the slots of the files it collects. Calls are a few nanoseconds of pure C
 * each: the GIL stays held.
 */
#include <stdint.h>

#include "fst_binding.h"
#include "fst_claims.h"

typedef struct {
  PyObject_HEAD fst_claims *claims; /* owned */
} fst_claims_object;

static PyObject *fst_claims_object_new(PyTypeObject *type, PyObject *args, PyObject *kwargs) {
  Py_ssize_t n_slots = 0;
  static char *keywords[] = {"slots", NULL};
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "n:Claims", keywords, &n_slots)) return NULL;
  if (n_slots < 1 || (size_t)n_slots > FST_CLAIMS_MAX_SLOTS) {
    PyErr_Format(PyExc_ValueError, "slots must be 1 to %zu", (size_t)FST_CLAIMS_MAX_SLOTS);
    return NULL;
  }
  fst_claims_object *self = (fst_claims_object *)type->tp_alloc(type, 0);
  if (!self) return NULL;
  int status = fst_claims_new((size_t)n_slots, &self->claims);
  if (status != 0) {
    Py_DECREF(self);
    if (status == FST_CLAIMS_ERR_NOMEM) return PyErr_NoMemory();
    return PyErr_SetFromErrno(PyExc_OSError);
  }
  return (PyObject *)self;
}

static void fst_claims_object_dealloc(fst_claims_object *self) {
  PyTypeObject *type = Py_TYPE(self);
  fst_claims_delete(self->claims);
  type->tp_free((PyObject *)self);
  Py_DECREF(type); /* heap type instances hold a reference to their type */
}

/* A slot index from a Python int, checked against the table: -1 with an
 * exception set when out of range. */
static Py_ssize_t fst_claims_object__slot(fst_claims_object *self, PyObject *value) {
  Py_ssize_t slot = PyNumber_AsSsize_t(value, PyExc_OverflowError);
  if (slot == -1 && PyErr_Occurred()) return -1;
  if (slot < 0 || (size_t)slot >= fst_claims_count(self->claims)) {
    PyErr_SetString(PyExc_IndexError, "claim slot out of range");
    return -1;
  }
  return slot;
}

PyDoc_STRVAR(take_doc,
             "take(slot, who, /) -> bool\n--\n\n"
             "Claim slot for who (a positive int). True when who holds it now\n"
             "(it was free or already who's), False when another holder has it.");
static PyObject *fst_claims_object_take(fst_claims_object *self, PyObject *const *args,
                                        Py_ssize_t nargs) {
  if (nargs != 2) {
    PyErr_SetString(PyExc_TypeError, "take() takes 2 arguments (slot, who)");
    return NULL;
  }
  Py_ssize_t slot = fst_claims_object__slot(self, args[0]);
  if (slot < 0) return NULL;
  unsigned long who = PyLong_AsUnsignedLong(args[1]);
  if (who == (unsigned long)-1 && PyErr_Occurred()) return NULL;
  if (who == 0 || who > UINT32_MAX) {
    PyErr_SetString(PyExc_ValueError, "who must be 1 to 2**32-1");
    return NULL;
  }
  return PyBool_FromLong(fst_claims_take(self->claims, (size_t)slot, (uint32_t)who) == 1);
}

PyDoc_STRVAR(holder_doc,
             "holder(slot, /) -> int\n--\n\n"
             "Who holds slot: 0 while it is free.");
static PyObject *fst_claims_object_holder(fst_claims_object *self, PyObject *arg) {
  Py_ssize_t slot = fst_claims_object__slot(self, arg);
  if (slot < 0) return NULL;
  return PyLong_FromUnsignedLong(fst_claims_holder(self->claims, (size_t)slot));
}

static Py_ssize_t fst_claims_object_len(fst_claims_object *self) {
  return (Py_ssize_t)fst_claims_count(self->claims);
}

static PyMethodDef fst_claims_object_methods[] = {
    {"take", (PyCFunction)(void (*)(void))fst_claims_object_take, METH_FASTCALL, take_doc},
    {"holder", (PyCFunction)fst_claims_object_holder, METH_O, holder_doc},
    {NULL, NULL, 0, NULL},
};

static PyType_Slot fst_claims_object_slots[] = {
    {Py_tp_doc,
     "Claims(slots)\n--\n\n"
     "Slots claimed once across processes forked after it is made "
     "(csrc/fst_claims.h)."},
    {Py_tp_new, fst_claims_object_new},
    {Py_tp_dealloc, fst_claims_object_dealloc},
    {Py_tp_methods, fst_claims_object_methods},
    {Py_sq_length, fst_claims_object_len},
    {0, NULL},
};

PyType_Spec fst_binding_claims_spec = {
    .name = "pytest_fastest._core.Claims",
    .basicsize = sizeof(fst_claims_object),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = fst_claims_object_slots,
};
