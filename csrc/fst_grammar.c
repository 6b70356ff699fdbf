/* fst_grammar.c - grammar ABI check. */
#include "fst_grammar.h"

#include <stdio.h>

unsigned fst_grammar_min_abi(void) { return TREE_SITTER_MIN_COMPATIBLE_LANGUAGE_VERSION; }
unsigned fst_grammar_max_abi(void) { return TREE_SITTER_LANGUAGE_VERSION; }

int fst_grammar_check(const TSLanguage *language, char *message, size_t size) {
  if (!language) {
    snprintf(message, size, "tree-sitter-python returned no grammar");
    return -1;
  }
  unsigned abi = ts_language_version(language);
  if (abi < fst_grammar_min_abi() || abi > fst_grammar_max_abi()) {
    snprintf(message, size,
             "the installed tree-sitter-python grammar has ABI %u, but this build's "
             "libtree-sitter loads ABI %u to %u; install a matching grammar with "
             "pip install 'tree-sitter-python>=0.23,<0.24'",
             abi, fst_grammar_min_abi(), fst_grammar_max_abi());
    return -1;
  }
  return 0;
}
