/*
 * dispatcher.c - _core.Dispatcher: the C dispatcher (fst_dispatch.h) as a
 * Python type.
 *
 * wait() is where the controller's Python thread spends a run: it releases
 * the GIL while the dispatcher's I/O thread works, and returns every
 * pending event at once as tuples:
 *   ("frame", worker, type, payload: bytes)
 *   ("sent", worker, unit, steal: bool)
 *   ("lost", worker, pid, units: list, reason: int, status: int, end_sent: bool)
 *   ("done",)
 * A ~100 ms timeout lets Python run its signal handlers (Ctrl-C) between
 * calls.
 */
#include <unistd.h>

#include "fst_binding.h"
#include "fst_dispatch.h"

typedef struct {
  PyObject_HEAD fst_dispatch *dispatch; /* owned; NULL after close() */
  int waiting;                          /* a wait() is in progress without the GIL */
} fst_dispatcher_object;

static int fst_dispatcher__check(fst_dispatcher_object *self) {
  if (!self->dispatch) {
    PyErr_SetString(PyExc_ValueError, "the dispatcher is closed");
    return -1;
  }
  return 0;
}

static PyObject *fst_dispatcher__error(int status) {
  switch (status) {
    case FST_DISPATCH_ERR_NOMEM:
      return PyErr_NoMemory();
    case FST_DISPATCH_ERR_SYSTEM:
      return PyErr_SetFromErrno(PyExc_OSError);
    case FST_DISPATCH_ERR_GONE:
      PyErr_SetString(PyExc_ConnectionError, "the worker is gone");
      return NULL;
    case FST_DISPATCH_ERR_STATE:
      PyErr_SetString(PyExc_RuntimeError, "the dispatcher is not in a state for this call");
      return NULL;
    default:
      PyErr_SetString(PyExc_ValueError, "invalid argument (unknown worker or pid, or too large)");
      return NULL;
  }
}

static PyObject *fst_dispatcher_new(PyTypeObject *type, PyObject *args, PyObject *kwargs) {
  int lookahead = FST_DISPATCH_DEFAULT_LOOKAHEAD, read_delay_us = 0, max_held = 0;
  double ahead_seconds = 0.0;
  static char *keywords[] = {"lookahead", "read_delay_us", "ahead_seconds", "max_held", NULL};
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|iidi:Dispatcher", keywords, &lookahead,
                                   &read_delay_us, &ahead_seconds, &max_held))
    return NULL;
  fst_dispatcher_object *self = (fst_dispatcher_object *)type->tp_alloc(type, 0);
  if (!self) return NULL;
  int status = fst_dispatch_new(lookahead, &self->dispatch);
  if (status == 0) status = fst_dispatch_set_read_delay(self->dispatch, read_delay_us);
  if (status == 0)
    status =
        fst_dispatch_set_ahead(self->dispatch, ahead_seconds, max_held > 0 ? max_held : lookahead);
  if (status != 0) {
    Py_DECREF(self);
    return fst_dispatcher__error(status);
  }
  return (PyObject *)self;
}

static void fst_dispatcher_dealloc(fst_dispatcher_object *self) {
  PyTypeObject *type = Py_TYPE(self);
  fst_dispatch_delete(self->dispatch);
  self->dispatch = NULL;
  type->tp_free((PyObject *)self);
  Py_DECREF(type); /* heap type instances hold a reference to their type */
}

PyDoc_STRVAR(add_worker_doc,
             "add_worker(fd, pid, /) -> int\n--\n\n"
             "Hand a worker's socket fd (ownership passes to the dispatcher)\n"
             "and its pid; returns the worker id.");
static PyObject *fst_dispatcher_add_worker(fst_dispatcher_object *self, PyObject *const *args,
                                           Py_ssize_t nargs) {
  if (fst_dispatcher__check(self)) return NULL;
  int fd, pid;
  if (nargs != 2) return PyErr_Format(PyExc_TypeError, "add_worker() takes 2 arguments");
  fd = fst_binding_as_int(args[0]);
  pid = fst_binding_as_int(args[1]);
  if (PyErr_Occurred()) return NULL;
  /* One socket fd serves both directions; the dispatcher closes each fd it
   * is given, so it gets a duplicate for writing. */
  int write_fd = dup(fd);
  if (write_fd < 0) {
    close(fd);
    return PyErr_SetFromErrno(PyExc_OSError);
  }
  int id = fst_dispatch_add_worker(self->dispatch, fd, write_fd, (pid_t)pid);
  if (id < 0) return fst_dispatcher__error(id);
  return PyLong_FromLong(id);
}

PyDoc_STRVAR(add_unit_doc,
             "add_unit(home, cost, payload, collect_cost=0.0, /) -> int\n--\n\n"
             "Queue a unit (payload: JSON bytes) for worker `home`, or -1 for\n"
             "any worker; cost: seconds to run it, collect_cost: seconds for\n"
             "another worker to collect it. Returns the unit id.");
static PyObject *fst_dispatcher_add_unit(fst_dispatcher_object *self, PyObject *const *args,
                                         Py_ssize_t nargs) {
  if (fst_dispatcher__check(self)) return NULL;
  if (nargs != 3 && nargs != 4)
    return PyErr_Format(PyExc_TypeError, "add_unit() takes 3 or 4 arguments");
  int home = fst_binding_as_int(args[0]);
  double cost = PyFloat_AsDouble(args[1]);
  if (PyErr_Occurred()) return NULL;
  double collect_cost = nargs == 4 ? PyFloat_AsDouble(args[3]) : 0.0;
  if (PyErr_Occurred()) return NULL;
  char *payload;
  Py_ssize_t size;
  if (PyBytes_AsStringAndSize(args[2], &payload, &size) < 0) return NULL;
  int id = fst_dispatch_add_unit(self->dispatch, home, cost, collect_cost, payload, (size_t)size);
  if (id < 0) return fst_dispatcher__error(id);
  return PyLong_FromLong(id);
}

PyDoc_STRVAR(send_doc,
             "send(worker, type, payload, /) -> None\n--\n\n"
             "Queue one frame (type: a 1-byte bytes) to a worker.");
static PyObject *fst_dispatcher_send(fst_dispatcher_object *self, PyObject *const *args,
                                     Py_ssize_t nargs) {
  if (fst_dispatcher__check(self)) return NULL;
  if (nargs != 3) return PyErr_Format(PyExc_TypeError, "send() takes 3 arguments");
  int worker = fst_binding_as_int(args[0]);
  if (PyErr_Occurred()) return NULL;
  if (!PyBytes_Check(args[1]) || PyBytes_GET_SIZE(args[1]) != 1)
    return PyErr_Format(PyExc_TypeError, "type must be one byte");
  char *payload;
  Py_ssize_t size;
  if (PyBytes_AsStringAndSize(args[2], &payload, &size) < 0) return NULL;
  int status = fst_dispatch_send(self->dispatch, worker, PyBytes_AS_STRING(args[1])[0], payload,
                                 (size_t)size);
  if (status < 0) return fst_dispatcher__error(status);
  Py_RETURN_NONE;
}

#define FST_DISPATCHER_SIMPLE(name, call, doc)                           \
  PyDoc_STRVAR(name##_doc, doc);                                         \
  static PyObject *fst_dispatcher_##name(fst_dispatcher_object *self,    \
                                         PyObject *Py_UNUSED(ignored)) { \
    if (fst_dispatcher__check(self)) return NULL;                        \
    int status = call(self->dispatch);                                   \
    if (status < 0) return fst_dispatcher__error(status);                \
    Py_RETURN_NONE;                                                      \
  }

FST_DISPATCHER_SIMPLE(start, fst_dispatch_start,
                      "start() -> None\n--\n\nStart the I/O thread (after every fork).")
FST_DISPATCHER_SIMPLE(run, fst_dispatch_run, "run() -> None\n--\n\nBegin handing out units.")
FST_DISPATCHER_SIMPLE(stop, fst_dispatch_stop,
                      "stop() -> None\n--\n\nSend no more units; ask every worker to stop.")

static PyObject *fst_dispatcher__event(const fst_dispatch_event *event) {
  switch (event->kind) {
    case FST_DISPATCH_FRAME:
      return Py_BuildValue("(siCy#)", "frame", event->worker, (int)(unsigned char)event->frame_type,
                           (const char *)event->payload, (Py_ssize_t)event->payload_size);
    case FST_DISPATCH_UNIT_SENT:
      return Py_BuildValue("(siiO)", "sent", event->worker, event->unit,
                           event->steal ? Py_True : Py_False);
    case FST_DISPATCH_WORKER_LOST: {
      PyObject *units = PyList_New((Py_ssize_t)event->n_units);
      if (!units) return NULL;
      for (size_t i = 0; i < event->n_units; i++) {
        PyObject *unit = PyLong_FromLong(event->units[i]);
        if (!unit) {
          Py_DECREF(units);
          return NULL;
        }
        PyList_SET_ITEM(units, (Py_ssize_t)i, unit); /* steals unit */
      }
      /* N steals units. */
      return Py_BuildValue("(siiNiiO)", "lost", event->worker, (int)event->pid, units,
                           (int)event->reason, event->status, event->end_sent ? Py_True : Py_False);
    }
    case FST_DISPATCH_ALL_DONE:
      return Py_BuildValue("(s)", "done");
  }
  PyErr_SetString(PyExc_RuntimeError, "unknown dispatcher event");
  return NULL;
}

PyDoc_STRVAR(wait_doc,
             "wait(timeout_ms, /) -> list\n--\n\n"
             "Block (GIL released) until events are pending or the timeout passes;\n"
             "return every pending event as a tuple (see the module docs).");
static PyObject *fst_dispatcher_wait(fst_dispatcher_object *self, PyObject *arg) {
  if (fst_dispatcher__check(self)) return NULL;
  int timeout = fst_binding_as_int(arg);
  if (timeout == -1 && PyErr_Occurred()) return NULL;
  if (self->waiting) {
    PyErr_SetString(PyExc_RuntimeError, "wait() is already running in another thread");
    return NULL;
  }
  fst_dispatch_batch *batch = NULL;
  int count;
  self->waiting = 1;
  Py_BEGIN_ALLOW_THREADS count = fst_dispatch_wait(self->dispatch, timeout, &batch);
  Py_END_ALLOW_THREADS self->waiting = 0;
  if (count < 0) return fst_dispatcher__error(count);
  size_t n = 0;
  const fst_dispatch_event *events = batch ? fst_dispatch_batch_events(batch, &n) : NULL;
  PyObject *list = PyList_New((Py_ssize_t)n);
  if (!list) goto done;
  for (size_t i = 0; i < n; i++) {
    PyObject *tuple = fst_dispatcher__event(&events[i]);
    if (!tuple) {
      Py_CLEAR(list);
      goto done;
    }
    PyList_SET_ITEM(list, (Py_ssize_t)i, tuple); /* steals tuple */
  }
done:
  fst_dispatch_batch_free(batch);
  return list;
}

PyDoc_STRVAR(worker_exited_doc,
             "worker_exited(pid, status, /) -> int\n--\n\n"
             "Report a worker's wait status (from the zygote); returns its id,\n"
             "or -1 for an unknown pid.");
static PyObject *fst_dispatcher_worker_exited(fst_dispatcher_object *self, PyObject *const *args,
                                              Py_ssize_t nargs) {
  if (fst_dispatcher__check(self)) return NULL;
  if (nargs != 2) return PyErr_Format(PyExc_TypeError, "worker_exited() takes 2 arguments");
  int pid = fst_binding_as_int(args[0]);
  int status = fst_binding_as_int(args[1]);
  if (PyErr_Occurred()) return NULL;
  int id = fst_dispatch_worker_exited(self->dispatch, (pid_t)pid, status);
  return PyLong_FromLong(id < 0 ? -1 : id);
}

PyDoc_STRVAR(close_worker_doc,
             "close_worker(worker, /) -> None\n--\n\n"
             "Stop reading a worker and close its channel.");
static PyObject *fst_dispatcher_close_worker(fst_dispatcher_object *self, PyObject *arg) {
  if (fst_dispatcher__check(self)) return NULL;
  int worker = fst_binding_as_int(arg);
  if (worker == -1 && PyErr_Occurred()) return NULL;
  int status = fst_dispatch_close_worker(self->dispatch, worker);
  if (status < 0) return fst_dispatcher__error(status);
  Py_RETURN_NONE;
}

PyDoc_STRVAR(close_doc,
             "close() -> None\n--\n\n"
             "Stop the I/O thread and close every channel. Idempotent.");
static PyObject *fst_dispatcher_close(fst_dispatcher_object *self, PyObject *Py_UNUSED(ignored)) {
  if (self->waiting) {
    PyErr_SetString(PyExc_RuntimeError, "close() during wait()");
    return NULL;
  }
  fst_dispatch *dispatch = self->dispatch;
  self->dispatch = NULL;
  Py_BEGIN_ALLOW_THREADS fst_dispatch_delete(dispatch);
  Py_END_ALLOW_THREADS Py_RETURN_NONE;
}

static PyMethodDef fst_dispatcher_methods[] = {
    {"add_worker", (PyCFunction)(void (*)(void))fst_dispatcher_add_worker, METH_FASTCALL,
     add_worker_doc},
    {"add_unit", (PyCFunction)(void (*)(void))fst_dispatcher_add_unit, METH_FASTCALL, add_unit_doc},
    {"send", (PyCFunction)(void (*)(void))fst_dispatcher_send, METH_FASTCALL, send_doc},
    {"start", (PyCFunction)fst_dispatcher_start, METH_NOARGS, start_doc},
    {"run", (PyCFunction)fst_dispatcher_run, METH_NOARGS, run_doc},
    {"stop", (PyCFunction)fst_dispatcher_stop, METH_NOARGS, stop_doc},
    {"wait", (PyCFunction)fst_dispatcher_wait, METH_O, wait_doc},
    {"worker_exited", (PyCFunction)(void (*)(void))fst_dispatcher_worker_exited, METH_FASTCALL,
     worker_exited_doc},
    {"close_worker", (PyCFunction)fst_dispatcher_close_worker, METH_O, close_worker_doc},
    {"close", (PyCFunction)fst_dispatcher_close, METH_NOARGS, close_doc},
    {NULL, NULL, 0, NULL},
};

static PyType_Slot fst_dispatcher_slots[] = {
    {Py_tp_doc,
     "Dispatcher(lookahead=2, read_delay_us=0, ahead_seconds=0.0, max_held=lookahead)\n--\n\n"
     "Units to workers, frames back "
     "(csrc/fst_dispatch.h)."},
    {Py_tp_new, fst_dispatcher_new},
    {Py_tp_dealloc, fst_dispatcher_dealloc},
    {Py_tp_methods, fst_dispatcher_methods},
    {0, NULL},
};

PyType_Spec fst_binding_dispatcher_spec = {
    .name = "pytest_fastest._core.Dispatcher",
    .basicsize = sizeof(fst_dispatcher_object),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = fst_dispatcher_slots,
};
