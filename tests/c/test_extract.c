/* test_extract.c - static extraction (csrc/fst_extract.h), checked against
 * what pytest 9 collects from the fixture files in fixtures/extract/
 * (tests/c/tools/compare_with_pytest.py checks the same files against real
 * pytest). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fst_alloc.h"
#include "fst_extract.h"
#include "fst_test.h"
#include "fst_test_grammar.h"

FST_TEST_DEFINE_GLOBALS;

static TSParser *parser;

/* Fixtures live next to this file; __FILE__ is relative to the build root,
 * where meson runs the tests (FST_EXTRACT_FIXTURES overrides). */
static char *read_fixture(const char *name, size_t *length) {
  char path[1024];
  const char *dir = getenv("FST_EXTRACT_FIXTURES");
  if (dir) {
    snprintf(path, sizeof path, "%s/%s", dir, name);
  } else {
    const char *file = __FILE__;
    const char *slash = strrchr(file, '/');
    int prefix = slash ? (int)(slash - file) : 1;
    snprintf(path, sizeof path, "%.*s/fixtures/extract/%s", prefix, slash ? file : ".", name);
  }
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "  cannot open %s\n", path);
    return NULL;
  }
  static char buffer[1 << 20];
  *length = fread(buffer, 1, sizeof buffer, f);
  fclose(f);
  char *copy = malloc(*length + 1);
  if (copy) memcpy(copy, buffer, *length);
  return copy;
}

static int extract_text(const char *source, size_t length, const fst_extract_config *config, fst_file_info *info) {
  memset(info, 0, sizeof *info);
  return fst_extract(parser, source, length, config, info);
}

static int extract_fixture(const char *name, const fst_extract_config *config, fst_file_info *info) {
  size_t length = 0;
  char *source = read_fixture(name, &length);
  memset(info, 0, sizeof *info);
  if (!source) return -2;
  int status = extract_text(source, length, config, info);
  free(source);
  return status;
}

/* "a b c": the item names, space separated. */
static char *names_of(const fst_file_info *info) {
  static char joined[8192];
  size_t at = 0;
  joined[0] = '\0';
  for (size_t i = 0; i < info->n_items && at < sizeof joined - 1; i++)
    at += (size_t)snprintf(joined + at, sizeof joined - at, "%s%s", i ? " " : "", info->items[i].name);
  return joined;
}

static char *markers_of(const fst_item *item) {
  static char joined[1024];
  size_t at = 0;
  joined[0] = '\0';
  for (size_t i = 0; i < item->n_markers && at < sizeof joined - 1; i++)
    at += (size_t)snprintf(joined + at, sizeof joined - at, "%s%s", i ? "," : "", item->markers[i]);
  return joined;
}

#define EXPECT_EXACT(name, expected_names)                      \
  do {                                                          \
    fst_file_info info_;                                        \
    FST_CHECK_INT(extract_fixture(name, NULL, &info_), 0);      \
    FST_CHECK_INT(info_.verdict, FST_VERDICT_STATIC_EXACT);     \
    if (info_.reason) fprintf(stderr, "  reason: %s\n", info_.reason); \
    FST_CHECK_STR(names_of(&info_), expected_names);            \
    fst_file_info_clear(&info_);                                \
  } while (0)

#define EXPECT_NEEDS_IMPORT(name, reason_part)                  \
  do {                                                          \
    fst_file_info info_;                                        \
    FST_CHECK_INT(extract_fixture(name, NULL, &info_), 0);      \
    FST_CHECK_INT(info_.verdict, FST_VERDICT_NEEDS_IMPORT);     \
    FST_CHECK(info_.reason && strstr(info_.reason, reason_part)); \
    if (info_.reason && !strstr(info_.reason, reason_part))     \
      fprintf(stderr, "  reason was: %s\n", info_.reason);      \
    fst_file_info_clear(&info_);                                \
  } while (0)

/* ---- functions and classes ---- */

static void extract_should_collect_module_level_test_functions_and_async_defs(void) {
  EXPECT_EXACT("functions.py", "test_one test_async testing_prefix_also_matches");
}

static void extract_should_match_custom_prefixes_and_globs(void) {
  const char *classes[] = {"Suite", "*Tests"};
  const char *functions[] = {"check_", "*_spec"};
  fst_extract_config config = {classes, 2, functions, 2};
  fst_file_info info;
  FST_CHECK_INT(extract_fixture("custom_patterns.py", &config, &info), 0);
  FST_CHECK_INT(info.verdict, FST_VERDICT_STATIC_EXACT);
  FST_CHECK_STR(names_of(&info), "check_one login_spec SuiteA::check_method LoginTests::check_login");
  fst_file_info_clear(&info);
}

static void extract_should_collect_methods_static_and_class_methods_and_nested_classes(void) {
  EXPECT_EXACT("classes.py",
               "TestA::test_method TestA::test_static TestA::test_class_method TestA::TestNested::test_inner "
               "TestA::TestNested::TestDeeper::test_deepest TestB::test_b");
}

static void extract_should_send_classes_with_init_to_import(void) {
  EXPECT_NEEDS_IMPORT("class_ctor.py", "__init__");
}

static void extract_should_honour_dunder_test_on_classes(void) {
  EXPECT_EXACT("dunder_test.py", "CheckOn::test_y test_z");
}

static void extract_should_collect_nothing_from_a_module_with_dunder_test_false(void) {
  EXPECT_EXACT("dunder_test_module.py", "");
}

static void extract_should_put_inherited_methods_first_in_reverse_mro_order(void) {
  EXPECT_EXACT("inheritance.py",
               "TestChild::test_base_only TestChild::test_child TestChild::test_overridden "
               "TestGrandChild::test_base_only TestGrandChild::test_child TestGrandChild::test_overridden "
               "TestGrandChild::test_grand");
}

static void extract_should_send_classes_with_imported_bases_to_import(void) {
  EXPECT_NEEDS_IMPORT("imported_base.py", "base class from elsewhere");
}

static void extract_should_send_replaced_test_classes_to_import(void) {
  EXPECT_NEEDS_IMPORT("class_decorator.py", "decorator");
}

static void extract_should_not_collect_fixtures_named_like_tests(void) {
  EXPECT_EXACT("fixture_named_test.py", "test_uses");
}

static void extract_should_flag_fixtures_with_params(void) {
  fst_file_info info;
  FST_CHECK_INT(extract_fixture("param_fixture.py", NULL, &info), 0);
  FST_CHECK_INT(info.verdict, FST_VERDICT_NEEDS_IMPORT);
  FST_CHECK(info.hooks & FST_FACT_PARAM_FIXTURE);
  fst_file_info_clear(&info);
}

static void extract_should_keep_the_first_position_and_last_definition_of_a_name(void) {
  /* test_b is rebound to None: not callable, not collected */
  fst_file_info info;
  FST_CHECK_INT(extract_fixture("redefinition.py", NULL, &info), 0);
  FST_CHECK_INT(info.verdict, FST_VERDICT_STATIC_EXACT);
  FST_CHECK_STR(names_of(&info), "test_a TestC::test_m");
  FST_CHECK_INT(info.n_items, 2);
  if (info.n_items == 2) {
    FST_CHECK_INT(info.items[0].line, 9);
    FST_CHECK_INT(info.items[1].line, 17);
  }
  fst_file_info_clear(&info);
}

static void extract_should_send_conditional_test_definitions_to_import(void) {
  EXPECT_NEEDS_IMPORT("conditional_def.py", "conditionally");
}

static void extract_should_accept_conditional_imports_of_other_names(void) {
  EXPECT_EXACT("conditional_import.py", "test_json");
}

static void extract_should_send_star_imports_to_import(void) {
  fst_file_info info;
  FST_CHECK_INT(extract_fixture("star_import.py", NULL, &info), 0);
  FST_CHECK_INT(info.verdict, FST_VERDICT_NEEDS_IMPORT);
  FST_CHECK(info.hooks & FST_FACT_STAR_IMPORT);
  fst_file_info_clear(&info);
}

static void extract_should_send_test_names_bound_by_assignment_to_import(void) {
  EXPECT_NEEDS_IMPORT("assigned_name.py", "bound by assignment");
}

static void extract_should_send_tests_with_unknown_decorators_to_import(void) {
  EXPECT_NEEDS_IMPORT("unknown_decorator.py", "decorator");
}

static void extract_should_accept_mock_patch_decorators(void) {
  EXPECT_EXACT("mock_patch.py", "test_patched test_patched_object[1] test_patched_object[2] test_patched_dict");
}

static void extract_should_send_files_with_pytest_generate_tests_to_import(void) {
  fst_file_info info;
  FST_CHECK_INT(extract_fixture("generate_tests.py", NULL, &info), 0);
  FST_CHECK_INT(info.verdict, FST_VERDICT_NEEDS_IMPORT);
  FST_CHECK(info.hooks & FST_HOOK_GENERATE_TESTS);
  fst_file_info_clear(&info);
}

static void extract_should_send_generator_tests_to_import(void) {
  EXPECT_NEEDS_IMPORT("generator_test.py", "generator");
}

/* ---- parametrize ---- */

static void parametrize_should_accept_every_argnames_form(void) {
  EXPECT_EXACT("parametrize_forms.py",
               "test_single[1] test_single[2] test_comma_string[1-2] test_comma_string[3-4] test_spaces[1-2] "
               "test_list_names[1-2] test_tuple_names[1] test_tuple_names[2] test_trailing_comma[1] "
               "test_trailing_comma[2] test_keywords[5] test_keywords[6] test_single_name_container_values[a0] "
               "test_single_name_container_values[a1] test_indirect[x]");
}

static void parametrize_should_make_ids_from_values_as_pytest_does(void) {
  EXPECT_EXACT("parametrize_values.py",
               "test_values[0] test_values[-1] test_values[2] test_values[31] test_values[15] test_values[5] "
               "test_values[1000] test_values[123456789012345678901234567890] test_values[1.0] test_values[0.1] "
               "test_values[-0.0] test_values[1e+16] test_values[1e-05] test_values[1.5e+300] test_values[2.5j] "
               "test_values[inf] test_values[plain] test_values[tab\\there] test_values[new\\nline] "
               "test_values[back\\\\slash] test_values[\\xe9] test_values[\\u65e5\\u672c] "
               "test_values[\\U0001f600] test_values[\\x00\\x7f] test_values[raw\\\\d] test_values[concat] "
               "test_values[triple] test_values[] test_values[bytes] test_values[\\xff\\x00\\] "
               "test_values[\\n] test_values[None] test_values[True] test_values[False] test_values[v34] "
               "test_values[v35] test_values[v36] test_values[v37] test_values[v38] test_values[<lambda>] "
               "test_values[v40]");
}

static void parametrize_should_use_explicit_ids_and_make_duplicates_unique(void) {
  EXPECT_EXACT("parametrize_ids.py",
               "test_ids_list[one] test_ids_list[two] test_ids_list[3] test_param[first] test_param[2] "
               "test_param[3] test_duplicates[1_0] test_duplicates[1_1] test_duplicates[1_2] test_duplicates[2] "
               "test_duplicates[x1] test_duplicates[x2] test_duplicates[x0] test_duplicate_param_ids[x1] "
               "test_duplicate_param_ids[x2] test_duplicate_param_ids[3] test_duplicate_param_ids[x0] "
               "test_non_string_ids[1] test_non_string_ids[True] "
               "test_long_strings[LLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLL] "
               "test_long_strings[a1]");
}

static void parametrize_should_expand_stacked_decorators_closest_first(void) {
  EXPECT_EXACT("parametrize_stacked.py",
               "test_stacked[a-1] test_stacked[a-2] test_stacked[b-1] test_stacked[b-2] "
               "test_stacked_with_mark[1-2-i] test_stacked_with_mark[3-4-i]");
}

static void parametrize_should_apply_class_and_module_marks_and_reuse_generated_ids(void) {
  /* pytest reuses the ids a shared mark with ids= generated first:
   * test_second gets "1" back from pytest.param(id="1") */
  EXPECT_EXACT("parametrize_class.py",
               "TestShared::test_first[True-e-10] TestShared::test_first[True-e-20] "
               "TestShared::test_first[True-1_0-10] TestShared::test_first[True-1_0-20] "
               "TestShared::test_first[True-1_1-10] TestShared::test_first[True-1_1-20] "
               "TestShared::test_second[e-10] TestShared::test_second[e-20] TestShared::test_second[1-10] "
               "TestShared::test_second[1-20] TestShared::test_second[1_1-10] TestShared::test_second[1_1-20] "
               "test_module_level[10] test_module_level[20]");
}

static void parametrize_should_give_empty_argvalues_one_notset_item_with_skip(void) {
  fst_file_info info;
  FST_CHECK_INT(extract_fixture("parametrize_empty.py", NULL, &info), 0);
  FST_CHECK_INT(info.verdict, FST_VERDICT_STATIC_EXACT);
  FST_CHECK_STR(names_of(&info), "test_empty[NOTSET] test_empty_stacked[1-NOTSET] test_empty_stacked[2-NOTSET]");
  if (info.n_items >= 1) FST_CHECK_STR(markers_of(&info.items[0]), "parametrize,skip");
  fst_file_info_clear(&info);
}

static void parametrize_should_send_non_literal_values_to_import(void) {
  EXPECT_NEEDS_IMPORT("parametrize_nonliteral.py", "not a literal list");
}

static void parametrize_should_send_unknown_argument_names_to_import(void) {
  EXPECT_NEEDS_IMPORT("parametrize_not_an_argument.py", "not a parameter");
}

static void parametrize_should_use_argname_ids_for_nested_tuples(void) {
  EXPECT_EXACT("nested_expression.py", "test_nested[a0]");
}

/* ---- markers and lines ---- */

static void extract_should_collect_markers_from_function_class_and_module(void) {
  fst_file_info info;
  FST_CHECK_INT(extract_fixture("markers.py", NULL, &info), 0);
  FST_CHECK_INT(info.verdict, FST_VERDICT_STATIC_EXACT);
  FST_CHECK_INT(info.n_items, 4);
  if (info.n_items == 4) {
    FST_CHECK_STR(markers_of(&info.items[0]), "fast,slow,module_mark,filterwarnings");
    FST_CHECK_STR(markers_of(&info.items[1]), "skipif,body_mark,cls_mark,module_mark,filterwarnings");
    FST_CHECK_STR(markers_of(&info.items[2]), "parametrize,xfail,p1,body_mark,cls_mark,module_mark,filterwarnings");
    FST_CHECK_STR(markers_of(&info.items[3]), "parametrize,body_mark,cls_mark,module_mark,filterwarnings");
  }
  fst_file_info_clear(&info);
}

static void extract_should_report_the_line_of_the_first_decorator(void) {
  fst_file_info info;
  FST_CHECK_INT(extract_fixture("lines.py", NULL, &info), 0);
  FST_CHECK_INT(info.n_items, 4);
  if (info.n_items == 4) {
    FST_CHECK_INT(info.items[0].line, 5);
    FST_CHECK_INT(info.items[1].line, 12);
    FST_CHECK_INT(info.items[2].line, 17);
    FST_CHECK_INT(info.items[3].line, 21);
  }
  fst_file_info_clear(&info);
}

/* ---- imports and conftest facts ---- */

static void extract_should_list_every_import_with_relative_dots(void) {
  fst_file_info info;
  FST_CHECK_INT(extract_fixture("imports.py", NULL, &info), 0);
  const char *expected[] = {"__future__", "os", "os.path", "sys", "collections", "json", ".", "..pkg.mod",
                            "xml.etree", "email.mime"};
  FST_CHECK_INT(info.n_imports, 10);
  for (size_t i = 0; i < info.n_imports && i < 10; i++) FST_CHECK_STR(info.imports[i], expected[i]);
  fst_file_info_clear(&info);
}

static void extract_should_record_conftest_hooks_plugins_and_literal_collect_ignore(void) {
  fst_file_info info;
  FST_CHECK_INT(extract_fixture("conftest_facts.py", NULL, &info), 0);
  FST_CHECK_INT(info.hooks, FST_HOOK_COLLECTION_MODIFYITEMS | FST_HOOK_COLLECT_FILE | FST_HOOK_MAKE_PARAMETRIZE_ID |
                                FST_FACT_PYTEST_PLUGINS);
  FST_CHECK_INT(info.n_collect_ignore, 3);
  if (info.n_collect_ignore == 3) {
    FST_CHECK_STR(info.collect_ignore[0], "setup.py");
    FST_CHECK_STR(info.collect_ignore[2], "docs");
  }
  FST_CHECK_INT(info.n_collect_ignore_glob, 1);
  if (info.n_collect_ignore_glob == 1) FST_CHECK_STR(info.collect_ignore_glob[0], "*_old.py");
  fst_file_info_clear(&info);
}

static void extract_should_flag_collect_ignore_changed_at_run_time(void) {
  fst_file_info info;
  FST_CHECK_INT(extract_fixture("conftest_dynamic.py", NULL, &info), 0);
  FST_CHECK(info.hooks & FST_FACT_COLLECT_IGNORE_DYNAMIC);
  FST_CHECK(info.hooks & FST_HOOK_IGNORE_COLLECT);
  fst_file_info_clear(&info);
}

/* ---- bytes that are not plain Python ---- */

static void extract_should_skip_a_utf8_bom_without_shifting_lines(void) {
  fst_file_info info;
  FST_CHECK_INT(extract_fixture("bom.py", NULL, &info), 0);
  FST_CHECK_INT(info.verdict, FST_VERDICT_STATIC_EXACT);
  FST_CHECK_INT(info.n_items, 1);
  if (info.n_items == 1) FST_CHECK_INT(info.items[0].line, 4);
  fst_file_info_clear(&info);
}

static void extract_should_send_foreign_source_encodings_to_import(void) {
  EXPECT_NEEDS_IMPORT("coding_latin1.py", "encoding");
}

static void extract_should_treat_an_empty_file_as_exact_with_no_items(void) {
  EXPECT_EXACT("empty.py", "");
}

static void extract_should_send_syntax_errors_to_import(void) {
  EXPECT_NEEDS_IMPORT("syntax_error.py", "syntax error");
}

static void extract_should_send_nul_bytes_and_invalid_utf8_to_import(void) {
  fst_file_info info;
  const char nul[] = "def test_a():\n    pass\n\0\n";
  FST_CHECK_INT(extract_text(nul, sizeof nul - 1, NULL, &info), 0);
  FST_CHECK_INT(info.verdict, FST_VERDICT_NEEDS_IMPORT);
  FST_CHECK(strstr(info.reason, "NUL") != NULL);
  fst_file_info_clear(&info);
  const char *bad[] = {"x = '\xff'\n", "x = '\xc0\xaf'\n", "x = '\xed\xa0\x80'\n", "x = '\xe2\x82'", "x = 1\rdef f(): pass\n"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    FST_CHECK_INT(extract_text(bad[i], strlen(bad[i]), NULL, &info), 0);
    FST_CHECK_INT(info.verdict, FST_VERDICT_NEEDS_IMPORT);
    fst_file_info_clear(&info);
  }
}

static void extract_should_survive_ten_thousand_nested_expressions(void) {
  size_t depth = 10000;
  size_t length = depth * 2 + 256;
  char *source = malloc(length);
  size_t n = (size_t)sprintf(source, "x = ");
  for (size_t i = 0; i < depth; i++) source[n++] = '(';
  source[n++] = '1';
  for (size_t i = 0; i < depth; i++) source[n++] = ')';
  n += (size_t)sprintf(source + n, "\ndef test_a():\n    pass\n");
  fst_file_info info;
  FST_CHECK_INT(extract_text(source, n, NULL, &info), 0);
  fst_file_info_clear(&info);
  /* and as a parametrize value */
  n = (size_t)sprintf(source, "import pytest\n@pytest.mark.parametrize('a', [");
  for (size_t i = 0; i < depth; i++) source[n++] = '[';
  for (size_t i = 0; i < depth; i++) source[n++] = ']';
  n += (size_t)sprintf(source + n, "])\ndef test_a(a):\n    pass\n");
  FST_CHECK_INT(extract_text(source, n, NULL, &info), 0);
  fst_file_info_clear(&info);
  free(source);
}

static void extract_should_return_minus_one_and_a_cleared_info_when_out_of_memory(void) {
  const char *names[] = {"parametrize_values.py", "parametrize_class.py", "markers.py", "inheritance.py",
                         "conftest_facts.py", "imports.py", "parametrize_ids.py", "redefinition.py"};
  for (size_t f = 0; f < sizeof names / sizeof names[0]; f++) {
    size_t length = 0;
    char *source = read_fixture(names[f], &length);
    if (!source) {
      FST_CHECK(source != NULL);
      continue;
    }
    fst_file_info reference;
    FST_CHECK_INT(extract_text(source, length, NULL, &reference), 0);
    int failures = 0, successes = 0;
    for (long budget = 0; budget < 2000; budget++) {
      fst_file_info info;
      fst_alloc_fail_after(budget);
      int status = extract_text(source, length, NULL, &info);
      fst_alloc_fail_after(-1);
      if (status == -1) {
        failures++;
        FST_CHECK_INT(info.n_items, 0);
        FST_CHECK(info.items == NULL && info.reason == NULL && info.imports == NULL);
      } else {
        FST_CHECK_INT(status, 0);
        FST_CHECK_INT(info.n_items, reference.n_items);
        successes++;
        fst_file_info_clear(&info);
        break; /* every larger budget succeeds too */
      }
    }
    FST_CHECK(failures > 0);
    FST_CHECK_INT(successes, 1);
    fst_file_info_clear(&reference);
    free(source);
  }
}

static void file_info_clear_should_accept_null_and_cleared_infos(void) {
  fst_file_info info = {0};
  fst_file_info_clear(NULL);
  fst_file_info_clear(&info);
  fst_file_info_clear(&info);
  FST_CHECK_INT(info.n_items, 0);
}

int main(void) {
  const TSLanguage *language = fst_test_grammar_or_skip();
  parser = ts_parser_new();
  ts_parser_set_language(parser, language);
  FST_RUN(extract_should_collect_module_level_test_functions_and_async_defs);
  FST_RUN(extract_should_match_custom_prefixes_and_globs);
  FST_RUN(extract_should_collect_methods_static_and_class_methods_and_nested_classes);
  FST_RUN(extract_should_send_classes_with_init_to_import);
  FST_RUN(extract_should_honour_dunder_test_on_classes);
  FST_RUN(extract_should_collect_nothing_from_a_module_with_dunder_test_false);
  FST_RUN(extract_should_put_inherited_methods_first_in_reverse_mro_order);
  FST_RUN(extract_should_send_classes_with_imported_bases_to_import);
  FST_RUN(extract_should_send_replaced_test_classes_to_import);
  FST_RUN(extract_should_not_collect_fixtures_named_like_tests);
  FST_RUN(extract_should_flag_fixtures_with_params);
  FST_RUN(extract_should_keep_the_first_position_and_last_definition_of_a_name);
  FST_RUN(extract_should_send_conditional_test_definitions_to_import);
  FST_RUN(extract_should_accept_conditional_imports_of_other_names);
  FST_RUN(extract_should_send_star_imports_to_import);
  FST_RUN(extract_should_send_test_names_bound_by_assignment_to_import);
  FST_RUN(extract_should_send_tests_with_unknown_decorators_to_import);
  FST_RUN(extract_should_accept_mock_patch_decorators);
  FST_RUN(extract_should_send_files_with_pytest_generate_tests_to_import);
  FST_RUN(extract_should_send_generator_tests_to_import);
  FST_RUN(parametrize_should_accept_every_argnames_form);
  FST_RUN(parametrize_should_make_ids_from_values_as_pytest_does);
  FST_RUN(parametrize_should_use_explicit_ids_and_make_duplicates_unique);
  FST_RUN(parametrize_should_expand_stacked_decorators_closest_first);
  FST_RUN(parametrize_should_apply_class_and_module_marks_and_reuse_generated_ids);
  FST_RUN(parametrize_should_give_empty_argvalues_one_notset_item_with_skip);
  FST_RUN(parametrize_should_send_non_literal_values_to_import);
  FST_RUN(parametrize_should_send_unknown_argument_names_to_import);
  FST_RUN(parametrize_should_use_argname_ids_for_nested_tuples);
  FST_RUN(extract_should_collect_markers_from_function_class_and_module);
  FST_RUN(extract_should_report_the_line_of_the_first_decorator);
  FST_RUN(extract_should_list_every_import_with_relative_dots);
  FST_RUN(extract_should_record_conftest_hooks_plugins_and_literal_collect_ignore);
  FST_RUN(extract_should_flag_collect_ignore_changed_at_run_time);
  FST_RUN(extract_should_skip_a_utf8_bom_without_shifting_lines);
  FST_RUN(extract_should_send_foreign_source_encodings_to_import);
  FST_RUN(extract_should_treat_an_empty_file_as_exact_with_no_items);
  FST_RUN(extract_should_send_syntax_errors_to_import);
  FST_RUN(extract_should_send_nul_bytes_and_invalid_utf8_to_import);
  FST_RUN(extract_should_survive_ten_thousand_nested_expressions);
  FST_RUN(extract_should_return_minus_one_and_a_cleared_info_when_out_of_memory);
  FST_RUN(file_info_clear_should_accept_null_and_cleared_infos);
  ts_parser_delete(parser);
  FST_TEST_EXIT();
}
