/*
 * fst_test_grammar.h - the tree-sitter-python grammar for C tests and fuzz
 * harnesses, without an interpreter.
 *
 * The grammar lives in tree-sitter-python's extension module
 * (_binding.abi3.so), which exports only PyInit__binding.  The loader
 * dlopen()s it lazily and supplies the two C-API functions that its init
 * path calls (PyModule_Create2, PyCapsule_New) itself, so the TSLanguage
 * pointer comes out with no Python in the process.  The module's path comes
 * from the FST_GRAMMAR_SO environment variable (tests/test_c_core.py sets
 * it).
 */
#ifndef FST_TEST_GRAMMAR_H
#define FST_TEST_GRAMMAR_H

#include <tree_sitter/api.h>

/* The grammar, or NULL (with a message on stderr) when FST_GRAMMAR_SO is
 * unset or unusable.  Loaded once; the pointer stays valid for the process. */
const TSLanguage *fst_test_grammar(void);

/* exit(77) - meson's "skipped" - when the grammar cannot be loaded. */
const TSLanguage *fst_test_grammar_or_skip(void);

#endif /* FST_TEST_GRAMMAR_H */
