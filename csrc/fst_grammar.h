/*
 * fst_grammar.h - checking the tree-sitter-python grammar before use.
 *
 * The grammar comes from the tree-sitter-python wheel (a TSLanguage pointer
 * taken out of its "tree_sitter.Language" capsule by the binding); the
 * runtime is the system libtree-sitter.  A grammar whose ABI the runtime
 * cannot load would make every parse fail, so it is checked once, up front.
 */
#ifndef FST_GRAMMAR_H
#define FST_GRAMMAR_H

#include <stddef.h>
#include <tree_sitter/api.h>

/* ABI range the linked runtime accepts. */
unsigned fst_grammar_min_abi(void);
unsigned fst_grammar_max_abi(void);

/* 0 when `language` can be used with the linked runtime.  Otherwise -1 and
 * a NUL-terminated explanation (what was found, what to install) is written
 * to `message` (at most `size` bytes).  Thread-safe. */
int fst_grammar_check(const TSLanguage *language, char *message, size_t size);

#endif /* FST_GRAMMAR_H */
