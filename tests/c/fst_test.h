/*
 * fst_test.h - a minimal unit-test harness for the C core.
 *
 * Each tests/c/test_*.c file defines test functions whose names read as
 * sentences (walk_should_skip_hidden_directories) and lists them in main()
 * with FST_RUN.  A failed FST_CHECK reports file:line and marks the test
 * failed; the process exits 1 if any test failed, 0 otherwise, and 77
 * (meson's "skipped") when a required resource is missing.
 */
#ifndef FST_TEST_H
#define FST_TEST_H

#include <stdio.h>
#include <string.h>

extern int fst_test_failures;
extern int fst_test_current_failed;

#define FST_CHECK(cond)                                                             \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      fprintf(stderr, "  %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);    \
      fst_test_current_failed = 1;                                                  \
    }                                                                               \
  } while (0)

#define FST_CHECK_INT(actual, expected)                                             \
  do {                                                                              \
    long long fst__a = (long long)(actual), fst__e = (long long)(expected);         \
    if (fst__a != fst__e) {                                                         \
      fprintf(stderr, "  %s:%d: %s == %lld, expected %lld\n", __FILE__, __LINE__,   \
              #actual, fst__a, fst__e);                                             \
      fst_test_current_failed = 1;                                                  \
    }                                                                               \
  } while (0)

#define FST_CHECK_STR(actual, expected)                                             \
  do {                                                                              \
    const char *fst__a = (actual), *fst__e = (expected);                            \
    if (!fst__a || !fst__e || strcmp(fst__a, fst__e) != 0) {                        \
      fprintf(stderr, "  %s:%d: %s == \"%s\", expected \"%s\"\n", __FILE__,         \
              __LINE__, #actual, fst__a ? fst__a : "(null)",                        \
              fst__e ? fst__e : "(null)");                                          \
      fst_test_current_failed = 1;                                                  \
    }                                                                               \
  } while (0)

#define FST_RUN(test_function)                                                      \
  do {                                                                              \
    fst_test_current_failed = 0;                                                    \
    test_function();                                                                \
    printf("%s %s\n", fst_test_current_failed ? "FAIL" : "ok  ", #test_function);   \
    fst_test_failures += fst_test_current_failed;                                   \
  } while (0)

#define FST_TEST_DEFINE_GLOBALS                                                     \
  int fst_test_failures = 0;                                                        \
  int fst_test_current_failed = 0

#define FST_TEST_EXIT() return fst_test_failures ? 1 : 0

#endif /* FST_TEST_H */
