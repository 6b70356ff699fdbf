/* test_walk.c - the file walk follows pytest 9's collection rules.
 *
 * Each test builds its tree in a fresh mkdtemp directory and lists the
 * walk's entries relative to it, one per line, as "<kind> <path>" with kind
 * M (test module), E (explicit root), C (conftest), O (other file) or
 * X (error). */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fst_alloc.h"
#include "fst_test.h"
#include "fst_test_tree.h"
#include "fst_walk.h"

FST_TEST_DEFINE_GLOBALS;

static const char *const default_python_files[] = {"test_*.py", "*_test.py"};
static const char *const default_norecursedirs[] = {
    "*.egg", ".*", "_darcs", "build", "CVS", "dist", "node_modules", "venv", "{arch}"};

static fst_walk_config default_config(void) {
  fst_walk_config config = {0};
  config.python_files = default_python_files;
  config.n_python_files = 2;
  config.norecursedirs = default_norecursedirs;
  config.n_norecursedirs = sizeof default_norecursedirs / sizeof *default_norecursedirs;
  return config;
}

/* ---- trees (fst_test_tree.h) --------------------------------------------- */

/* Create file `rel` (and its directories); a trailing '/' makes a directory. */
static void touch(const char *rel) { fst_test_tree_write(rel, "def test_x():\n    pass\n"); }

static void symlink_to(const char *target, const char *rel) {
  char path[1024];
  fst_test_tree_path(path, sizeof path, rel);
  fst_test_tree_mkdirs_for(path);
  if (symlink(target, path) != 0) perror("symlink");
}

/* The entries as "<kind> <path relative to the tree>" lines. */
static char listing[65536];

static const char *list(const fst_walk_result *result) {
  static const char kinds[] = "MECOX";
  size_t o = 0, base = strlen(fst_test_tree) + 1;
  listing[0] = '\0';
  for (size_t i = 0; i < result->n_entries && o < sizeof listing - 512; i++) {
    const fst_walk_entry *e = &result->entries[i];
    const char *rel = strncmp(e->path, fst_test_tree, base - 1) == 0 ? e->path + base : e->path;
    if (strcmp(e->path, fst_test_tree) == 0) rel = ".";
    o += (size_t)snprintf(listing + o, sizeof listing - o, "%s%c %s", o ? "\n" : "", kinds[e->kind],
                          rel);
  }
  return listing;
}

static const char *walk_list(const fst_walk_config *config, const char *root_rel) {
  char root[1024];
  if (root_rel)
    fst_test_tree_path(root, sizeof root, root_rel);
  else
    snprintf(root, sizeof root, "%s", fst_test_tree);
  const char *roots[] = {root};
  fst_walk_result result = {0};
  if (fst_walk(config, roots, 1, &result) != 0) return "(walk failed)";
  list(&result);
  fst_walk_result_clear(&result);
  return listing;
}

/* ---- tests ---------------------------------------------------------------- */

static void walk_should_list_test_modules_in_pytest_order(void) {
  fst_test_tree_new("fst_walk");
  touch("test_b.py");
  touch("test_a.py");
  touch("test_b/test_inner.py");
  touch("a/test_deep.py");
  touch("zz_test.py");
  touch("helper.py");
  touch("test_notpy.txt");
  touch("test_.pyc");
  fst_walk_config config = default_config();
  /* Sorted by name, directories walked at their place ("test_b" < "test_b.py"). */
  FST_CHECK_STR(walk_list(&config, NULL),
                "M a/test_deep.py\n"
                "M test_a.py\n"
                "M test_b/test_inner.py\n"
                "M test_b.py\n"
                "M zz_test.py");
  fst_test_tree_remove();
}

static void walk_should_skip_pycache(void) {
  fst_test_tree_new("fst_walk");
  touch("__pycache__/test_cached.py");
  touch("sub/__pycache__/test_cached.py");
  touch("sub/test_kept.py");
  fst_walk_config config = default_config();
  config.norecursedirs = NULL; /* not because of norecursedirs */
  config.n_norecursedirs = 0;
  FST_CHECK_STR(walk_list(&config, NULL), "M sub/test_kept.py");
  fst_test_tree_remove();
}

static void walk_should_skip_hidden_directories_through_norecursedirs(void) {
  fst_test_tree_new("fst_walk");
  touch(".hidden/test_h.py");
  touch("build/test_b.py");
  touch("x.egg/test_e.py");
  touch("ok/test_ok.py");
  touch(".test_hidden_file.py"); /* a hidden *file* is not a directory: "test_*" does not match */
  touch("test_.hidden.py");
  fst_walk_config config = default_config();
  FST_CHECK_STR(walk_list(&config, NULL), "M ok/test_ok.py\nM test_.hidden.py");
  config.norecursedirs = NULL;
  config.n_norecursedirs = 0;
  FST_CHECK_STR(walk_list(&config, NULL),
                "M .hidden/test_h.py\nM build/test_b.py\nM ok/test_ok.py\nM test_.hidden.py\n"
                "M x.egg/test_e.py");
  fst_test_tree_remove();
}

static void walk_should_skip_virtualenvs_unless_collect_in_virtualenv(void) {
  fst_test_tree_new("fst_walk");
  touch("env/pyvenv.cfg");
  touch("env/lib/test_in_venv.py");
  touch("conda/conda-meta/history");
  touch("conda/test_in_conda.py");
  touch("notenv/pyvenv.cfg/"); /* a directory named pyvenv.cfg does not count */
  touch("notenv/test_n.py");
  fst_walk_config config = default_config();
  FST_CHECK_STR(walk_list(&config, NULL), "M notenv/test_n.py");
  config.collect_in_virtualenv = 1;
  FST_CHECK_STR(walk_list(&config, NULL),
                "M conda/test_in_conda.py\nM env/lib/test_in_venv.py\nM notenv/test_n.py");
  fst_test_tree_remove();
}

static void walk_should_skip_ignore_paths_and_ignore_globs(void) {
  fst_test_tree_new("fst_walk");
  touch("a/test_1.py");
  touch("b/test_2.py");
  touch("b/test_3.py");
  touch("c/test_4_slow.py");
  touch("c/d/test_5_slow.py");
  char ignore_a[1024], ignore_b3[1024], glob[1024];
  fst_test_tree_path(ignore_a, sizeof ignore_a, "a/"); /* trailing slash: same path */
  fst_test_tree_path(ignore_b3, sizeof ignore_b3, "b/../b/test_3.py"); /* normalized like abspath */
  fst_test_tree_path(glob, sizeof glob, "c/*_slow.py"); /* '*' crosses '/' as in fnmatch */
  const char *ignore[] = {ignore_a, ignore_b3};
  const char *globs[] = {glob};
  fst_walk_config config = default_config();
  config.ignore = ignore;
  config.n_ignore = 2;
  config.ignore_glob = globs;
  config.n_ignore_glob = 1;
  FST_CHECK_STR(walk_list(&config, NULL), "M b/test_2.py");
  fst_test_tree_remove();
}

static void walk_should_match_patterns_with_a_slash_against_the_whole_path(void) {
  fst_test_tree_new("fst_walk");
  touch("tests/unit/check_a.py");
  touch("other/check_b.py");
  touch("tests/fixtures/data/test_x.py");
  touch("tests/test_y.py");
  static const char *const files[] = {"tests/*/check_*.py", "test_*.py"};
  static const char *const norecurse[] = {"tests/fixtures"};
  fst_walk_config config = default_config();
  config.python_files = files;
  config.n_python_files = 2;
  config.norecursedirs = norecurse;
  config.n_norecursedirs = 1;
  FST_CHECK_STR(walk_list(&config, NULL), "M tests/test_y.py\nM tests/unit/check_a.py");
  fst_test_tree_remove();
}

static void walk_should_collect_an_explicit_root_file_whatever_its_name(void) {
  fst_test_tree_new("fst_walk");
  touch("helper.py");
  touch("notes.txt");
  touch("test_y.py");
  fst_walk_config config = default_config();
  FST_CHECK_STR(walk_list(&config, "helper.py"), "E helper.py");
  FST_CHECK_STR(walk_list(&config, "test_y.py"), "E test_y.py");
  FST_CHECK_STR(walk_list(&config, "notes.txt"), "O notes.txt");
  fst_test_tree_remove();
}

static void walk_should_never_ignore_a_root(void) {
  fst_test_tree_new("fst_walk");
  touch(".hidden/test_h.py");
  touch(".hidden/.deeper/test_d.py");
  touch("__pycache__/test_p.py");
  fst_walk_config config = default_config();
  FST_CHECK_STR(walk_list(&config, ".hidden"), "M .hidden/test_h.py");
  FST_CHECK_STR(walk_list(&config, "__pycache__"), "M __pycache__/test_p.py");
  fst_test_tree_remove();
}

static void walk_should_report_conftests_before_their_directory(void) {
  fst_test_tree_new("fst_walk");
  touch("conftest.py");
  touch("pkg/conftest.py");
  touch("pkg/sub/test_a.py");
  touch("pkg/test_b.py");
  touch("pkg/zz/conftest.py");
  touch(".skip/conftest.py");
  fst_walk_config config = default_config();
  FST_CHECK_STR(walk_list(&config, NULL),
                "C conftest.py\nC pkg/conftest.py\nM pkg/sub/test_a.py\nM pkg/test_b.py\n"
                "C pkg/zz/conftest.py");
  /* A deeper root: the ancestors' conftests come first, within confcutdir. */
  config.confcutdir = fst_test_tree;
  FST_CHECK_STR(walk_list(&config, "pkg/sub"),
                "C conftest.py\nC pkg/conftest.py\nM pkg/sub/test_a.py");
  FST_CHECK_STR(walk_list(&config, "pkg/test_b.py"),
                "C conftest.py\nC pkg/conftest.py\nE pkg/test_b.py");
  char cut[1024];
  fst_test_tree_path(cut, sizeof cut, "pkg");
  config.confcutdir = cut; /* the tree's own conftest.py is above confcutdir */
  FST_CHECK_STR(walk_list(&config, "pkg/sub"), "C pkg/conftest.py\nM pkg/sub/test_a.py");
  FST_CHECK_STR(walk_list(&config, NULL),
                "C pkg/conftest.py\nM pkg/sub/test_a.py\nM pkg/test_b.py\nC pkg/zz/conftest.py");
  config.noconftest = 1;
  FST_CHECK_STR(walk_list(&config, NULL), "M pkg/sub/test_a.py\nM pkg/test_b.py");
  fst_test_tree_remove();
}

static void walk_should_put_init_first_in_packages(void) {
  fst_test_tree_new("fst_walk");
  touch("pkg/__init__.py");
  touch("pkg/_a.py");
  touch("pkg/test_b.py");
  touch("plain/_a.py");
  touch("plain/__init__.txt");
  static const char *const files[] = {"*.py"};
  fst_walk_config config = default_config();
  config.python_files = files;
  config.n_python_files = 1;
  /* "_a.py" < "__init__.py" by name, but a Package collects __init__.py first. */
  FST_CHECK_STR(walk_list(&config, NULL),
                "M pkg/__init__.py\nM pkg/_a.py\nM pkg/test_b.py\nM plain/_a.py");
  fst_test_tree_remove();
}

static void walk_should_follow_symlinks_and_skip_dangling_ones(void) {
  fst_test_tree_new("fst_walk");
  touch("real/test_r.py");
  symlink_to("real", "linked");
  symlink_to("real/test_r.py", "test_link.py");
  symlink_to("nowhere", "test_dangling.py");
  symlink_to("nowhere", "dangling_dir");
  symlink_to("test_self.py", "test_self.py"); /* ELOOP: skipped like pytest's scandir */
  fst_walk_config config = default_config();
  FST_CHECK_STR(walk_list(&config, NULL), "M linked/test_r.py\nM real/test_r.py\nM test_link.py");
  fst_test_tree_remove();
}

static void walk_should_not_loop_on_symlink_cycles(void) {
  fst_test_tree_new("fst_walk");
  touch("a/test_a.py");
  symlink_to("..", "a/up");  /* a/up -> the tree: a cycle through the root */
  symlink_to(".", "a/self"); /* a/self -> a */
  touch("b/test_b.py");
  fst_walk_config config = default_config();
  FST_CHECK_STR(walk_list(&config, NULL), "X a/self\nM a/test_a.py\nX a/up\nM b/test_b.py");
  fst_test_tree_remove();
}

static void walk_should_report_unreadable_directories_and_go_on(void) {
  if (geteuid() == 0) {
    printf("  (skipped: root reads every directory)\n");
    return;
  }
  fst_test_tree_new("fst_walk");
  touch("a_locked/test_x.py");
  touch("b/test_b.py");
  char locked[1024];
  fst_test_tree_path(locked, sizeof locked, "a_locked");
  chmod(locked, 0);
  fst_walk_config config = default_config();
  char root[1024];
  snprintf(root, sizeof root, "%s", fst_test_tree);
  const char *roots[] = {root};
  fst_walk_result result = {0};
  FST_CHECK_INT(fst_walk(&config, roots, 1, &result), 0);
  FST_CHECK_STR(list(&result), "X a_locked\nM b/test_b.py");
  FST_CHECK_INT(result.n_entries > 0 ? result.entries[0].error : -1, EACCES);
  fst_walk_result_clear(&result);
  chmod(locked, 0755);
  fst_test_tree_remove();
}

static void walk_should_report_a_missing_root_and_walk_the_others(void) {
  fst_test_tree_new("fst_walk");
  touch("test_a.py");
  char missing[1024], present[1024];
  fst_test_tree_path(missing, sizeof missing, "missing");
  fst_test_tree_path(present, sizeof present, "test_a.py");
  const char *roots[] = {missing, present};
  fst_walk_config config = default_config();
  fst_walk_result result = {0};
  FST_CHECK_INT(fst_walk(&config, roots, 2, &result), 0);
  FST_CHECK_STR(list(&result), "X missing\nE test_a.py");
  FST_CHECK_INT(result.n_entries == 2 ? result.entries[0].error : -1, ENOENT);
  FST_CHECK_INT(result.n_entries == 2 ? result.entries[1].root : 0, 1);
  FST_CHECK_INT(result.n_roots, 2);
  fst_walk_result_clear(&result);
  fst_test_tree_remove();
}

static void walk_should_report_size_and_mtime(void) {
  fst_test_tree_new("fst_walk");
  touch("test_a.py");
  char path[1024];
  fst_test_tree_path(path, sizeof path, "test_a.py");
  struct timespec times[2] = {{1700000000, 123456789}, {1700000000, 123456789}};
  utimensat(AT_FDCWD, path, times, 0);
  fst_walk_config config = default_config();
  const char *roots[] = {fst_test_tree};
  fst_walk_result result = {0};
  FST_CHECK_INT(fst_walk(&config, roots, 1, &result), 0);
  FST_CHECK_INT(result.n_entries, 1);
  if (result.n_entries == 1) {
    FST_CHECK_STR(result.entries[0].path, path);
    FST_CHECK_INT(result.entries[0].kind, FST_WALK_TEST_MODULE);
    FST_CHECK_INT(result.entries[0].size, strlen("def test_x():\n    pass\n"));
    FST_CHECK_INT(result.entries[0].mtime_ns, 1700000000123456789LL);
    FST_CHECK_INT(result.entries[0].error, 0);
  }
  fst_walk_result_clear(&result);
  fst_test_tree_remove();
}

static void walk_should_make_relative_roots_absolute_without_resolving_symlinks(void) {
  fst_test_tree_new("fst_walk");
  touch("real/test_r.py");
  symlink_to("real", "alias");
  char cwd[1024];
  if (!getcwd(cwd, sizeof cwd)) cwd[0] = '\0';
  if (chdir(fst_test_tree) != 0) perror("chdir");
  const char *roots[] = {"./alias/../alias//"};
  fst_walk_config config = default_config();
  fst_walk_result result = {0};
  FST_CHECK_INT(fst_walk(&config, roots, 1, &result), 0);
  FST_CHECK_STR(list(&result), "M alias/test_r.py");
  fst_walk_result_clear(&result);
  if (chdir(cwd) != 0) perror("chdir");
  fst_test_tree_remove();
}

static void walk_should_report_files_other_plugins_collect(void) {
  fst_test_tree_new("fst_walk");
  touch("test_doc.txt");
  touch("test_a.py");
  touch("readme.txt");
  static const char *const doctest_globs[] = {"test*.txt"};
  fst_walk_config config = default_config();
  config.extra_file_patterns = doctest_globs;
  config.n_extra_file_patterns = 1;
  FST_CHECK_STR(walk_list(&config, NULL), "M test_a.py\nO test_doc.txt");
  fst_test_tree_remove();
}

static void walk_should_fail_cleanly_when_out_of_memory(void) {
  fst_test_tree_new("fst_walk");
  touch("conftest.py");
  touch("a/test_a.py");
  touch("a/b/test_b.py");
  touch("test_c.py");
  char glob[1024];
  fst_test_tree_path(glob, sizeof glob, "*_none.py");
  const char *globs[] = {glob};
  fst_walk_config config = default_config();
  config.ignore_glob = globs;
  config.n_ignore_glob = 1;
  config.confcutdir = "/";
  const char *roots[] = {fst_test_tree};
  int succeeded = 0;
  for (long budget = 0; budget < 10000 && !succeeded; budget++) {
    fst_walk_result result = {0};
    fst_alloc_fail_after(budget);
    int rc = fst_walk(&config, roots, 1, &result);
    fst_alloc_fail_after(-1);
    if (rc == 0) {
      succeeded = 1;
      FST_CHECK_STR(list(&result), "C conftest.py\nM a/b/test_b.py\nM a/test_a.py\nM test_c.py");
    } else {
      FST_CHECK_INT(rc, -1);
      FST_CHECK(result.entries == NULL && result.n_entries == 0 && result.roots == NULL);
    }
    fst_walk_result_clear(&result);
  }
  FST_CHECK(succeeded);
  fst_test_tree_remove();
}

static void walk_should_handle_100000_files(void) {
  fst_test_tree_new("fst_walk");
  char path[1024];
  /* 100 directories of 1,000 files, plus one 200-deep chain. */
  for (int d = 0; d < 100; d++) {
    snprintf(path, sizeof path, "%s/d%03d", fst_test_tree, d);
    mkdir(path, 0755);
    for (int f = 0; f < 1000; f++) {
      snprintf(path, sizeof path, "%s/d%03d/test_%04d.py", fst_test_tree, d, f);
      int fd = open(path, O_CREAT | O_WRONLY, 0644);
      if (fd >= 0) close(fd);
    }
  }
  snprintf(path, sizeof path, "%s/deep", fst_test_tree);
  for (int i = 0; i < 200; i++) {
    mkdir(path, 0755);
    strcat(path, "/d");
  }
  mkdir(path, 0755);
  strcat(path, "/test_deep.py");
  int fd = open(path, O_CREAT | O_WRONLY, 0644);
  if (fd >= 0) close(fd);

  fst_walk_config config = default_config();
  const char *roots[] = {fst_test_tree};
  fst_walk_result result = {0};
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  FST_CHECK_INT(fst_walk(&config, roots, 1, &result), 0);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  FST_CHECK_INT(result.n_entries, 100001);
  if (result.n_entries == 100001) {
    FST_CHECK(strstr(result.entries[0].path, "/d000/test_0000.py") != NULL);
    FST_CHECK(strstr(result.entries[99999].path, "/d099/test_0999.py") != NULL);
    FST_CHECK(strstr(result.entries[100000].path, "/d/d/test_deep.py") != NULL);
  }
  printf("  walked %zu files in %.1f ms\n", result.n_entries,
         (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
  fst_walk_result_clear(&result);
  fst_test_tree_remove();
}

/* ---- collect_ignore ------------------------------------------------------- */

static const char *apply_list(const fst_walk_conftest_ignores *conftests, size_t n, long *removed) {
  const char *roots[] = {fst_test_tree};
  fst_walk_config config = default_config();
  fst_walk_result result = {0};
  if (fst_walk(&config, roots, 1, &result) != 0) return "(walk failed)";
  *removed = fst_walk_apply_collect_ignore(&result, conftests, n);
  list(&result);
  fst_walk_result_clear(&result);
  return listing;
}

static void walk_apply_collect_ignore_should_use_paths_relative_to_the_conftest(void) {
  fst_test_tree_new("fst_walk");
  touch("conftest.py");
  touch("sub/test_a.py");
  touch("sub/test_b.py");
  touch("skipped/conftest.py");
  touch("skipped/test_c.py");
  touch("test_d.py");
  touch("test_e_slow.py");
  char dir[1024];
  snprintf(dir, sizeof dir, "%s", fst_test_tree);
  const char *ignore[] = {"sub/test_b.py", "skipped", "nonexistent.py"};
  const char *globs[] = {"*_slow.py"};
  fst_walk_conftest_ignores conftest = {dir, 1, ignore, 3, 1, globs, 1};
  long removed = 0;
  FST_CHECK_STR(apply_list(&conftest, 1, &removed), "C conftest.py\nM sub/test_a.py\nM test_d.py");
  FST_CHECK_INT(removed, 4);
  fst_test_tree_remove();
}

static void walk_apply_collect_ignore_should_let_the_nearest_definition_win(void) {
  fst_test_tree_new("fst_walk");
  touch("conftest.py");
  touch("sub/conftest.py");
  touch("sub/test_a.py");
  touch("sub/test_b.py");
  touch("test_c.py");
  char top[1024], sub[1024];
  snprintf(top, sizeof top, "%s", fst_test_tree);
  fst_test_tree_path(sub, sizeof sub, "sub");
  const char *top_ignore[] = {"sub/test_a.py", "test_c.py"};
  const char *sub_ignore[] = {"test_b.py"};
  /* sub/conftest.py defines collect_ignore: for paths in sub/ it hides the
   * top one, so sub/test_a.py stays and sub/test_b.py goes. */
  fst_walk_conftest_ignores conftests[] = {
      {sub, 1, sub_ignore, 1, 0, NULL, 0},
      {top, 1, top_ignore, 2, 0, NULL, 0},
  };
  long removed = 0;
  FST_CHECK_STR(apply_list(conftests, 2, &removed),
                "C conftest.py\nC sub/conftest.py\nM sub/test_a.py");
  FST_CHECK_INT(removed, 2);
  /* Defined as [] it still hides the outer list. */
  conftests[0].n_collect_ignore = 0;
  FST_CHECK_STR(apply_list(conftests, 2, &removed),
                "C conftest.py\nC sub/conftest.py\nM sub/test_a.py\nM sub/test_b.py");
  /* Not defined: the outer list applies. */
  conftests[0].has_collect_ignore = 0;
  FST_CHECK_STR(apply_list(conftests, 2, &removed),
                "C conftest.py\nC sub/conftest.py\nM sub/test_b.py");
  fst_test_tree_remove();
}

static void walk_apply_collect_ignore_should_never_ignore_a_root(void) {
  fst_test_tree_new("fst_walk");
  touch("conftest.py");
  touch("sub/test_a.py");
  char dir[1024], root[1024];
  snprintf(dir, sizeof dir, "%s", fst_test_tree);
  fst_test_tree_path(root, sizeof root, "sub/test_a.py");
  const char *ignore[] = {"sub/test_a.py", "sub"};
  fst_walk_conftest_ignores conftest = {dir, 1, ignore, 2, 0, NULL, 0};
  const char *roots[] = {root};
  fst_walk_config config = default_config();
  fst_walk_result result = {0};
  FST_CHECK_INT(fst_walk(&config, roots, 1, &result), 0);
  FST_CHECK_INT(fst_walk_apply_collect_ignore(&result, &conftest, 1), 0);
  FST_CHECK_STR(list(&result), "C conftest.py\nE sub/test_a.py");
  fst_walk_result_clear(&result);
  fst_test_tree_remove();
}

int main(void) {
  FST_RUN(walk_should_list_test_modules_in_pytest_order);
  FST_RUN(walk_should_skip_pycache);
  FST_RUN(walk_should_skip_hidden_directories_through_norecursedirs);
  FST_RUN(walk_should_skip_virtualenvs_unless_collect_in_virtualenv);
  FST_RUN(walk_should_skip_ignore_paths_and_ignore_globs);
  FST_RUN(walk_should_match_patterns_with_a_slash_against_the_whole_path);
  FST_RUN(walk_should_collect_an_explicit_root_file_whatever_its_name);
  FST_RUN(walk_should_never_ignore_a_root);
  FST_RUN(walk_should_report_conftests_before_their_directory);
  FST_RUN(walk_should_put_init_first_in_packages);
  FST_RUN(walk_should_follow_symlinks_and_skip_dangling_ones);
  FST_RUN(walk_should_not_loop_on_symlink_cycles);
  FST_RUN(walk_should_report_unreadable_directories_and_go_on);
  FST_RUN(walk_should_report_a_missing_root_and_walk_the_others);
  FST_RUN(walk_should_report_size_and_mtime);
  FST_RUN(walk_should_make_relative_roots_absolute_without_resolving_symlinks);
  FST_RUN(walk_should_report_files_other_plugins_collect);
  FST_RUN(walk_should_fail_cleanly_when_out_of_memory);
  FST_RUN(walk_should_handle_100000_files);
  FST_RUN(walk_apply_collect_ignore_should_use_paths_relative_to_the_conftest);
  FST_RUN(walk_apply_collect_ignore_should_let_the_nearest_definition_win);
  FST_RUN(walk_apply_collect_ignore_should_never_ignore_a_root);
  FST_TEST_EXIT();
}
