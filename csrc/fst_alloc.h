/*
 * fst_alloc.h - the one allocator of the C core.
 *
 * Every allocation in csrc/ goes through these functions so that tests can
 * make the Nth allocation fail (fst_alloc_fail_after) and check that each
 * caller degrades to an error value instead of crashing.  They behave like
 * their libc namesakes; fst_free(NULL) is a no-op.
 *
 * Thread-safety: all functions are thread-safe; the failure-injection
 * counter is atomic and meant for single-threaded unit tests.
 */
#ifndef FST_ALLOC_H
#define FST_ALLOC_H

#include <stddef.h>

void *fst_malloc(size_t size);
void *fst_calloc(size_t count, size_t size);
void *fst_realloc(void *ptr, size_t size);
void fst_free(void *ptr);

/* Returns a fst_malloc'ed copy of the first `len` bytes of `s` plus a NUL,
 * or NULL when out of memory.  The caller owns the result. */
char *fst_strndup(const char *s, size_t len);
/* fst_strndup(s, strlen(s)). */
char *fst_strdup(const char *s);

/* Tests only: allocations after the next `n` successful ones return NULL.
 * A negative `n` turns injection off (the default). */
void fst_alloc_fail_after(long n);

#endif /* FST_ALLOC_H */
