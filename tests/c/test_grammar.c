/* test_grammar.c - the grammar ABI check. */
#include "fst_grammar.h"
#include "fst_test.h"
#include "fst_test_grammar.h"

FST_TEST_DEFINE_GLOBALS;

static void grammar_check_should_accept_the_installed_grammar(void) {
  char message[256] = "";
  FST_CHECK_INT(fst_grammar_check(fst_test_grammar_or_skip(), message, sizeof message), 0);
  FST_CHECK_STR(message, "");
}

static void grammar_check_should_reject_a_missing_grammar_with_a_message(void) {
  char message[256] = "";
  FST_CHECK_INT(fst_grammar_check(NULL, message, sizeof message), -1);
  FST_CHECK(strstr(message, "no grammar") != NULL);
}

static void grammar_should_parse_a_python_file(void) {
  TSParser *parser = ts_parser_new();
  FST_CHECK(ts_parser_set_language(parser, fst_test_grammar_or_skip()));
  const char *source = "def test_x():\n    pass\n";
  TSTree *tree = ts_parser_parse_string(parser, NULL, source, (uint32_t)strlen(source));
  TSNode root = ts_tree_root_node(tree);
  FST_CHECK_STR(ts_node_type(root), "module");
  FST_CHECK(!ts_node_has_error(root));
  ts_tree_delete(tree);
  ts_parser_delete(parser);
}

int main(void) {
  FST_RUN(grammar_check_should_accept_the_installed_grammar);
  FST_RUN(grammar_check_should_reject_a_missing_grammar_with_a_message);
  FST_RUN(grammar_should_parse_a_python_file);
  FST_TEST_EXIT();
}
