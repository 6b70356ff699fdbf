/*
 * discover.c - _core.discover(): static discovery with the GIL released.
 *
 * Copies every Python input into C (strings, patterns), releases the GIL
 * for the whole of walk + cache load + parse pool + cache save, and builds
 * the Python result once, with the GIL held.
 */
#include <string.h>

#include "fst_alloc.h"
#include "fst_binding.h"
#include "fst_cache.h"
#include "fst_discover.h"

const char fst_binding_discover_doc[] =
    "discover(roots, settings, threads, cache_path, fingerprint, with_items=True, /)\n"
    "-> (files, warning)\n--\n\n"
    "Walk `roots` with pytest's rules and extract every test module and\n"
    "conftest.py on `threads` threads, reusing and refreshing the cache file\n"
    "at `cache_path` (None: no cache) keyed by `fingerprint`. `settings` is a\n"
    "dict with python_files, norecursedirs, ignore, ignore_glob,\n"
    "extra_file_patterns (lists of str), confcutdir (str or None),\n"
    "collect_in_virtualenv, noconftest (bool), python_classes and\n"
    "python_functions (lists of str). Returns a list of tuples (path, kind,\n"
    "error, size, mtime_ns, cached, verdict, reason, items, imports, hooks,\n"
    "collect_ignore, collect_ignore_glob), items being (name, line,\n"
    "markers) tuples, and a one-line warning about the cache, or None.\n"
    "With with_items false, items is the number of items instead: the plan\n"
    "needs only counts, and the objects of 20,000 items would stay in the\n"
    "heap that every worker inherits.";

char **fst_binding_strings(PyObject *sequence, const char *what, size_t *count) {
  PyObject *fast = PySequence_Fast(sequence, what); /* new reference */
  if (!fast) return NULL;
  Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
  char **strings = fst_calloc((size_t)n + 1, sizeof(char *));
  if (!strings) {
    Py_DECREF(fast);
    PyErr_NoMemory();
    return NULL;
  }
  for (Py_ssize_t i = 0; i < n; i++) {
    PyObject *item = PySequence_Fast_GET_ITEM(fast, i); /* borrowed */
    Py_ssize_t size;
    const char *utf8 = PyUnicode_Check(item) ? PyUnicode_AsUTF8AndSize(item, &size) : NULL;
    if (!utf8) {
      if (!PyErr_Occurred()) PyErr_Format(PyExc_TypeError, "%s must contain str", what);
      goto error;
    }
    strings[i] = fst_strndup(utf8, (size_t)size);
    if (!strings[i]) {
      PyErr_NoMemory();
      goto error;
    }
  }
  Py_DECREF(fast);
  if (count) *count = (size_t)n;
  return strings;
error:
  Py_DECREF(fast);
  fst_binding_free_strings(strings);
  return NULL;
}

void fst_binding_free_strings(char **strings) {
  if (!strings) return;
  for (char **s = strings; *s; s++) fst_free(*s);
  fst_free(strings);
}

/* Inputs copied out of Python objects, so that the GIL can be released. */
typedef struct {
  char **roots, **python_files, **norecursedirs, **ignore, **ignore_glob, **extra;
  char **python_classes, **python_functions;
  size_t n_roots, n_python_files, n_norecursedirs, n_ignore, n_ignore_glob, n_extra;
  size_t n_python_classes, n_python_functions;
  char *confcutdir, *cache_path, *fingerprint;
  int collect_in_virtualenv, noconftest;
} fst_discover_inputs;

static void fst_binding__inputs_clear(fst_discover_inputs *in) {
  char **lists[] = {in->roots,       in->python_files, in->norecursedirs,  in->ignore,
                    in->ignore_glob, in->extra,        in->python_classes, in->python_functions};
  for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) fst_binding_free_strings(lists[i]);
  fst_free(in->confcutdir);
  fst_free(in->cache_path);
  fst_free(in->fingerprint);
  memset(in, 0, sizeof *in);
}

static int fst_binding__list_setting(PyObject *settings, const char *key, char ***out,
                                     size_t *count) {
  PyObject *value = PyDict_GetItemString(settings, key); /* borrowed */
  if (!value) {
    PyErr_Format(PyExc_KeyError, "settings has no %s", key);
    return -1;
  }
  *out = fst_binding_strings(value, key, count);
  return *out ? 0 : -1;
}

static char *fst_binding__optional_string(PyObject *value) {
  if (value == Py_None || !value) return NULL;
  Py_ssize_t size;
  const char *utf8 = PyUnicode_AsUTF8AndSize(value, &size);
  return utf8 ? fst_strndup(utf8, (size_t)size) : NULL;
}

static PyObject *fst_binding__string_list(char **strings, size_t count) {
  PyObject *list = PyList_New((Py_ssize_t)count);
  if (!list) return NULL;
  for (size_t i = 0; i < count; i++) {
    PyObject *s =
        PyUnicode_DecodeUTF8(strings[i], (Py_ssize_t)strlen(strings[i]), "surrogateescape");
    if (!s) {
      Py_DECREF(list);
      return NULL;
    }
    PyList_SET_ITEM(list, (Py_ssize_t)i, s); /* steals s */
  }
  return list;
}

static PyObject *fst_binding__file_tuple(const fst_discover_file *file, int with_items) {
  const fst_file_info *info = &file->info;
  PyObject *items = NULL, *imports = NULL, *ignore = NULL, *ignore_glob = NULL;
  items = with_items ? PyList_New((Py_ssize_t)info->n_items) : PyLong_FromSize_t(info->n_items);
  if (!items) goto error;
  for (size_t i = 0; with_items && i < info->n_items; i++) {
    const fst_item *item = &info->items[i];
    PyObject *markers = fst_binding__string_list(item->markers, item->n_markers);
    if (!markers) goto error;
    PyObject *tuple = Py_BuildValue(
        "(NkN)",
        PyUnicode_DecodeUTF8(item->name, (Py_ssize_t)strlen(item->name), "surrogateescape"),
        (unsigned long)item->line, markers); /* steals both */
    if (!tuple) goto error;
    PyList_SET_ITEM(items, (Py_ssize_t)i, tuple); /* steals tuple */
  }
  imports = fst_binding__string_list(info->imports, info->n_imports);
  ignore = fst_binding__string_list(info->collect_ignore, info->n_collect_ignore);
  ignore_glob = fst_binding__string_list(info->collect_ignore_glob, info->n_collect_ignore_glob);
  if (!imports || !ignore || !ignore_glob) goto error;
  PyObject *path = PyUnicode_DecodeFSDefault(file->path);
  if (!path) goto error;
  /* N steals the references: items, imports, ignore, ignore_glob, path. */
  return Py_BuildValue("(NiiLLiizNNkNN)", path, (int)file->kind, file->error, (long long)file->size,
                       (long long)file->mtime_ns, file->from_cache, (int)info->verdict,
                       info->reason, items, imports, (unsigned long)info->hooks, ignore,
                       ignore_glob);
error:
  Py_XDECREF(items);
  Py_XDECREF(imports);
  Py_XDECREF(ignore);
  Py_XDECREF(ignore_glob);
  return NULL;
}

/* The part that runs without the GIL: cache load, discovery, cache save. */
static int fst_binding__discover_nogil(const TSLanguage *language, const fst_discover_inputs *in,
                                       unsigned threads, fst_discover_result *result, char *warning,
                                       size_t warning_size) {
  fst_walk_config walk = {
      .python_files = (const char *const *)in->python_files,
      .n_python_files = in->n_python_files,
      .norecursedirs = (const char *const *)in->norecursedirs,
      .n_norecursedirs = in->n_norecursedirs,
      .ignore = (const char *const *)in->ignore,
      .n_ignore = in->n_ignore,
      .ignore_glob = (const char *const *)in->ignore_glob,
      .n_ignore_glob = in->n_ignore_glob,
      .extra_file_patterns = (const char *const *)in->extra,
      .n_extra_file_patterns = in->n_extra,
      .confcutdir = in->confcutdir,
      .collect_in_virtualenv = in->collect_in_virtualenv,
      .noconftest = in->noconftest,
  };
  fst_extract_config extract = {
      .python_classes = (const char *const *)in->python_classes,
      .n_python_classes = in->n_python_classes,
      .python_functions = (const char *const *)in->python_functions,
      .n_python_functions = in->n_python_functions,
  };
  fst_cache *cache = NULL;
  if (in->cache_path) {
    if (fst_cache_new(in->fingerprint ? in->fingerprint : "", &cache) != 0) return -1;
    if (fst_cache_load(cache, in->cache_path, warning, warning_size) != 0 && warning[0] == '\0')
      snprintf(warning, warning_size, "discovery cache %s unreadable: rebuilt", in->cache_path);
  }
  fst_discover_config config = {
      .walk = &walk,
      .extract = &extract,
      .language = language,
      .n_threads = threads,
      .reuse = cache ? fst_cache_reuse : NULL,
      .reuse_ctx = cache,
  };
  int status = fst_discover(&config, (const char *const *)in->roots, in->n_roots, result);
  if (status == 0 && cache) {
    for (size_t i = 0; i < result->n_files; i++) {
      const fst_discover_file *file = &result->files[i];
      if (file->from_cache || file->error) continue;
      if (file->kind != FST_WALK_TEST_MODULE && file->kind != FST_WALK_EXPLICIT &&
          file->kind != FST_WALK_CONFTEST)
        continue;
      if (fst_cache_put(cache, file->path, file->size, file->mtime_ns, &file->info) != 0) break;
    }
    if (result->n_parsed > 0 || fst_cache_count(cache) != result->n_reused) {
      char message[512] = "";
      if (fst_cache_save(cache, in->cache_path, message, sizeof message) != 0 && !warning[0])
        snprintf(warning, warning_size, "%s", message);
    }
  }
  fst_cache_delete(cache);
  return status;
}

PyObject *fst_binding_discover(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
  if (nargs != 5 && nargs != 6) {
    PyErr_SetString(PyExc_TypeError, "discover() takes 5 or 6 positional arguments");
    return NULL;
  }
  int with_items = nargs == 6 ? PyObject_IsTrue(args[5]) : 1;
  if (with_items < 0) return NULL;
  fst_module_state *state = fst_binding_state(module);
  if (!state->language) {
    PyErr_SetString(PyExc_RuntimeError, "set_grammar() must be called before discover()");
    return NULL;
  }
  PyObject *settings = args[1];
  if (!PyDict_Check(settings)) {
    PyErr_SetString(PyExc_TypeError, "settings must be a dict");
    return NULL;
  }
  long threads = PyLong_AsLong(args[2]);
  if (threads == -1 && PyErr_Occurred()) return NULL;
  if (threads < 1) threads = 1;

  fst_discover_inputs in = {0};
  fst_discover_result result = {0};
  PyObject *files = NULL, *answer = NULL;
  char warning[512] = "";
  in.roots = fst_binding_strings(args[0], "roots", &in.n_roots);
  if (!in.roots) goto error;
  if (fst_binding__list_setting(settings, "python_files", &in.python_files, &in.n_python_files) ||
      fst_binding__list_setting(settings, "norecursedirs", &in.norecursedirs,
                                &in.n_norecursedirs) ||
      fst_binding__list_setting(settings, "ignore", &in.ignore, &in.n_ignore) ||
      fst_binding__list_setting(settings, "ignore_glob", &in.ignore_glob, &in.n_ignore_glob) ||
      fst_binding__list_setting(settings, "extra_file_patterns", &in.extra, &in.n_extra) ||
      fst_binding__list_setting(settings, "python_classes", &in.python_classes,
                                &in.n_python_classes) ||
      fst_binding__list_setting(settings, "python_functions", &in.python_functions,
                                &in.n_python_functions))
    goto error;
  in.confcutdir = fst_binding__optional_string(PyDict_GetItemString(settings, "confcutdir"));
  if (PyErr_Occurred()) goto error;
  PyObject *flag = PyDict_GetItemString(settings, "collect_in_virtualenv"); /* borrowed */
  in.collect_in_virtualenv = flag ? PyObject_IsTrue(flag) : 0;
  flag = PyDict_GetItemString(settings, "noconftest"); /* borrowed */
  in.noconftest = flag ? PyObject_IsTrue(flag) : 0;
  in.cache_path = fst_binding__optional_string(args[3]);
  in.fingerprint = fst_binding__optional_string(args[4]);
  if (PyErr_Occurred()) goto error;

  int status;
  Py_BEGIN_ALLOW_THREADS status = fst_binding__discover_nogil(
      state->language, &in, (unsigned)threads, &result, warning, sizeof warning);
  Py_END_ALLOW_THREADS if (status != 0) {
    PyErr_NoMemory();
    goto error;
  }
  files = PyList_New((Py_ssize_t)result.n_files);
  if (!files) goto error;
  for (size_t i = 0; i < result.n_files; i++) {
    PyObject *tuple = fst_binding__file_tuple(&result.files[i], with_items);
    if (!tuple) goto error;
    PyList_SET_ITEM(files, (Py_ssize_t)i, tuple); /* steals tuple */
  }
  answer = Py_BuildValue("(Nz)", files, warning[0] ? warning : NULL); /* steals files */
  files = NULL;
error:
  Py_XDECREF(files);
  fst_discover_result_clear(&result);
  fst_binding__inputs_clear(&in);
  return answer;
}
