/*
 * extract_dump - prints what fst_extract finds in Python files (dev tool).
 *
 *   extract_dump [--classes P]... [--functions P]... [--ids] [--tree]
 *                [--bench N [--parse-only]] FILE...
 *
 * Default output, per file: "file PATH", "verdict static-exact" or
 * "verdict needs-import: REASON", then "item NAME LINE MARKER,...",
 * "import NAME", "hooks 0xBITS", "ignore S", "ignore_glob S".
 * --ids prints only "PATH::NAME" per item of static-exact files and
 * "PATH needs-import: REASON" otherwise (what compare_with_pytest.py reads).
 * --tree prints tree-sitter's S-expression.  --bench N extracts every file
 * N times and prints MB/s (--parse-only: the tree-sitter parse alone).  Needs FST_GRAMMAR_SO (see fst_test_grammar.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fst_extract.h"
#include "fst_test_grammar.h"

static char *read_file(const char *path, size_t *length) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t capacity = 1 << 16, n = 0, got;
  char *data = malloc(capacity);
  while (data && (got = fread(data + n, 1, capacity - n, f)) > 0) {
    n += got;
    if (n == capacity) {
      char *grown = realloc(data, capacity *= 2);
      if (!grown) {
        free(data);
        data = NULL;
      }
      data = grown;
    }
  }
  fclose(f);
  *length = n;
  return data;
}

int main(int argc, char **argv) {
  const char *classes[16], *functions[16];
  size_t n_classes = 0, n_functions = 0;
  int ids = 0, tree = 0, parse_only = 0;
  long bench = 0;
  int first = 1;
  for (; first < argc; first++) {
    if (strcmp(argv[first], "--classes") == 0 && first + 1 < argc && n_classes < 16) classes[n_classes++] = argv[++first];
    else if (strcmp(argv[first], "--functions") == 0 && first + 1 < argc && n_functions < 16) functions[n_functions++] = argv[++first];
    else if (strcmp(argv[first], "--ids") == 0) ids = 1;
    else if (strcmp(argv[first], "--tree") == 0) tree = 1;
    else if (strcmp(argv[first], "--bench") == 0 && first + 1 < argc) bench = atol(argv[++first]);
    else if (strcmp(argv[first], "--parse-only") == 0) parse_only = 1;
    else break;
  }
  if (!n_classes) classes[n_classes++] = "Test";
  if (!n_functions) functions[n_functions++] = "test";
  fst_extract_config config = {classes, n_classes, functions, n_functions};
  const TSLanguage *language = fst_test_grammar();
  if (!language) return 2;
  TSParser *parser = ts_parser_new();
  ts_parser_set_language(parser, language);
  int status = 0;
  for (int a = first; a < argc; a++) {
    size_t length;
    char *source = read_file(argv[a], &length);
    if (!source) {
      perror(argv[a]);
      status = 1;
      continue;
    }
    if (tree) {
      TSTree *t = ts_parser_parse_string(parser, NULL, source, (uint32_t)length);
      char *s = ts_node_string(ts_tree_root_node(t));
      puts(s);
      free(s);
      ts_tree_delete(t);
      free(source);
      continue;
    }
    if (bench > 0) {
      struct timespec t0, t1;
      size_t items = 0;
      clock_gettime(CLOCK_MONOTONIC, &t0);
      for (long r = 0; r < bench; r++) {
        if (parse_only) {
          ts_tree_delete(ts_parser_parse_string(parser, NULL, source, (uint32_t)length));
          continue;
        }
        fst_file_info info = {0};
        if (fst_extract(parser, source, length, &config, &info) != 0) status = 1;
        items = info.n_items;
        fst_file_info_clear(&info);
      }
      clock_gettime(CLOCK_MONOTONIC, &t1);
      double seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
      printf("%s: %zu bytes, %zu items, %.3f ms/extract, %.1f MB/s\n", argv[a], length, items,
             seconds * 1e3 / (double)bench, (double)length * (double)bench / seconds / 1e6);
      free(source);
      continue;
    }
    fst_file_info info = {0};
    if (fst_extract(parser, source, length, &config, &info) != 0) {
      fprintf(stderr, "%s: out of memory\n", argv[a]);
      status = 1;
      free(source);
      continue;
    }
    if (ids) {
      if (info.verdict == FST_VERDICT_STATIC_EXACT) {
        for (size_t i = 0; i < info.n_items; i++) printf("%s::%s\n", argv[a], info.items[i].name);
      } else {
        printf("%s needs-import: %s\n", argv[a], info.reason ? info.reason : "");
      }
    } else {
      printf("file %s\n", argv[a]);
      if (info.verdict == FST_VERDICT_STATIC_EXACT) printf("verdict static-exact\n");
      else printf("verdict needs-import: %s\n", info.reason ? info.reason : "");
      for (size_t i = 0; i < info.n_items; i++) {
        printf("item %s %u ", info.items[i].name, info.items[i].line);
        for (size_t m = 0; m < info.items[i].n_markers; m++) printf("%s%s", m ? "," : "", info.items[i].markers[m]);
        printf("\n");
      }
      for (size_t i = 0; i < info.n_imports; i++) printf("import %s\n", info.imports[i]);
      if (info.hooks) printf("hooks 0x%x\n", info.hooks);
      for (size_t i = 0; i < info.n_collect_ignore; i++) printf("ignore %s\n", info.collect_ignore[i]);
      for (size_t i = 0; i < info.n_collect_ignore_glob; i++) printf("ignore_glob %s\n", info.collect_ignore_glob[i]);
    }
    fst_file_info_clear(&info);
    free(source);
  }
  ts_parser_delete(parser);
  return status;
}
