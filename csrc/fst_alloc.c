/* fst_alloc.c - allocation wrapper with failure injection for tests. */
#include "fst_alloc.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* Remaining allocations before injected failures; negative = never fail. */
static atomic_long fst_alloc__budget = -1;

static int fst_alloc__should_fail(void) {
  long budget = atomic_load(&fst_alloc__budget);
  if (budget < 0) return 0;
  if (budget == 0) return 1;
  atomic_fetch_sub(&fst_alloc__budget, 1);
  return 0;
}

void *fst_malloc(size_t size) {
  if (fst_alloc__should_fail()) return NULL;
  return malloc(size ? size : 1);
}

void *fst_calloc(size_t count, size_t size) {
  if (fst_alloc__should_fail()) return NULL;
  return calloc(count ? count : 1, size ? size : 1);
}

void *fst_realloc(void *ptr, size_t size) {
  if (fst_alloc__should_fail()) return NULL;
  return realloc(ptr, size ? size : 1);
}

void fst_free(void *ptr) { free(ptr); }

char *fst_strndup(const char *s, size_t len) {
  char *copy = fst_malloc(len + 1);
  if (!copy) return NULL;
  memcpy(copy, s, len);
  copy[len] = '\0';
  return copy;
}

char *fst_strdup(const char *s) { return fst_strndup(s, strlen(s)); }

void fst_alloc_fail_after(long n) { atomic_store(&fst_alloc__budget, n); }
