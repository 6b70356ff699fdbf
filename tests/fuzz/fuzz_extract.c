/* fuzz_extract.c - libFuzzer harness for fst_extract: any bytes must give a
 * verdict (or -1 on OOM) without crashing, hanging or leaking.  Needs
 * FST_GRAMMAR_SO (see tests/c/fst_test_grammar.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fst_extract.h"
#include "../c/fst_test_grammar.h" /* the fuzz build has no tests/c include dir */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static TSParser *parser;
  if (!parser) {
    const TSLanguage *language = fst_test_grammar();
    if (!language) abort(); /* FST_GRAMMAR_SO unset: fuzzing would test nothing */
    parser = ts_parser_new();
    ts_parser_set_language(parser, language);
  }
  /* Two pattern sets: the defaults and globs, so fnmatch is exercised. */
  static const char *const classes[] = {"Test", "*Suite"};
  static const char *const functions[] = {"test", "check_*"};
  fst_extract_config config = {classes, size % 2 ? 2 : 1, functions, size % 2 ? 2 : 1};
  fst_file_info info;
  memset(&info, 0, sizeof info);
  if (fst_extract(parser, (const char *)data, size, &config, &info) == 0) {
    /* touch every string so the sanitizers check them */
    volatile size_t sum = 0;
    for (size_t i = 0; i < info.n_items; i++) {
      sum += strlen(info.items[i].name);
      for (size_t m = 0; m < info.items[i].n_markers; m++) sum += strlen(info.items[i].markers[m]);
    }
    for (size_t i = 0; i < info.n_imports; i++) sum += strlen(info.imports[i]);
    if (info.reason) sum += strlen(info.reason);
    (void)sum;
  }
  fst_file_info_clear(&info);
  return 0;
}
