/* test_cache.c - the discovery cache: round trips, staleness, hostile files,
 * failing disks and failing allocations. */
#include "fst_cache.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fst_alloc.h"
#include "fst_test.h"

FST_TEST_DEFINE_GLOBALS;

/* A directory of our own under /tmp, removed at the end. */
static char test_dir[64];

static const char *in_test_dir(const char *name) {
  static char path[4][512];
  static int next;
  char *out = path[next++ % 4];
  snprintf(out, sizeof path[0], "%s/%s", test_dir, name);
  return out;
}

/* An mtime well in the past, so entries are not "racy" (fst_cache.h); fixed
 * at start-up so that slow runs (valgrind) do not see it move. */
static int64_t the_old_mtime;

static int64_t old_mtime(void) { return the_old_mtime; }

/* ---------------------------------------------------------------------- */
/* Building and comparing fst_file_info                                    */

static char **strings_of(const char *const *src, size_t n) {
  if (n == 0) return NULL;
  char **out = fst_calloc(n, sizeof *out);
  for (size_t i = 0; i < n; i++) out[i] = fst_strdup(src[i]);
  return out;
}

/* Every field set, with strings that need escaping (quote, backslash,
 * control characters, UTF-8, a byte that is not UTF-8). */
static void make_rich_info(fst_file_info *info) {
  static const char *const markers0[] = {"slow", "skipif", "we\"ird\\marker"};
  static const char *const imports[] = {"os", "pkg.sub.mod", "caf\xc3\xa9"};
  static const char *const ignore[] = {"build", "dir with space/x.py"};
  static const char *const globs[] = {"*_old.py", "tab\there\x01\x1f"};
  memset(info, 0, sizeof *info);
  info->verdict = FST_VERDICT_NEEDS_IMPORT;
  info->reason = fst_strdup("line 12: test name bound by import \"x\"\n(second line)");
  info->n_items = 3;
  info->items = fst_calloc(3, sizeof *info->items);
  info->items[0].name = fst_strdup("test_a");
  info->items[0].line = 1;
  info->items[0].markers = strings_of(markers0, 3);
  info->items[0].n_markers = 3;
  info->items[1].name = fst_strdup("TestB::test_c[1-x-\xff]");
  info->items[1].line = UINT32_MAX;
  info->items[2].name = fst_strdup("");
  info->items[2].line = 0;
  info->imports = strings_of(imports, 3);
  info->n_imports = 3;
  info->hooks = UINT32_MAX;
  info->collect_ignore = strings_of(ignore, 2);
  info->n_collect_ignore = 2;
  info->collect_ignore_glob = strings_of(globs, 2);
  info->n_collect_ignore_glob = 2;
}

/* A typical test module: `n_items` tests, every third one marked. */
static void make_plain_info(fst_file_info *info, size_t n_items, unsigned seed) {
  static const char *const markers[] = {"slow"};
  static const char *const imports[] = {"pytest", "os"};
  char name[96];
  memset(info, 0, sizeof *info);
  info->n_items = n_items;
  info->items = fst_calloc(n_items ? n_items : 1, sizeof *info->items);
  for (size_t i = 0; i < n_items; i++) {
    snprintf(name, sizeof name, "TestGroup%u::test_something_rather_long_%zu[case-%zu]", seed,
             i, i % 7);
    info->items[i].name = fst_strdup(name);
    info->items[i].line = (uint32_t)(10 + 4 * i);
    if (i % 3 == 0) {
      info->items[i].markers = strings_of(markers, 1);
      info->items[i].n_markers = 1;
    }
  }
  info->imports = strings_of(imports, 2);
  info->n_imports = 2;
}

static int same_string(const char *a, const char *b) {
  if (!a || !b) return a == b;
  return strcmp(a, b) == 0;
}

static int same_strings(char *const *a, size_t n_a, char *const *b, size_t n_b) {
  if (n_a != n_b) return 0;
  for (size_t i = 0; i < n_a; i++)
    if (!same_string(a[i], b[i])) return 0;
  return 1;
}

static int same_info(const fst_file_info *a, const fst_file_info *b) {
  if (a->verdict != b->verdict || a->hooks != b->hooks || !same_string(a->reason, b->reason) ||
      a->n_items != b->n_items)
    return 0;
  for (size_t i = 0; i < a->n_items; i++) {
    const fst_item *x = &a->items[i], *y = &b->items[i];
    if (!same_string(x->name, y->name) || x->line != y->line ||
        !same_strings(x->markers, x->n_markers, y->markers, y->n_markers))
      return 0;
  }
  return same_strings(a->imports, a->n_imports, b->imports, b->n_imports) &&
         same_strings(a->collect_ignore, a->n_collect_ignore, b->collect_ignore,
                      b->n_collect_ignore) &&
         same_strings(a->collect_ignore_glob, a->n_collect_ignore_glob, b->collect_ignore_glob,
                      b->n_collect_ignore_glob);
}

/* ---------------------------------------------------------------------- */
/* Files                                                                   */

static void write_file(const char *path, const char *data, size_t length) {
  FILE *f = fopen(path, "wb");
  FST_CHECK(f != NULL);
  if (!f) return;
  FST_CHECK_INT(fwrite(data, 1, length, f), length);
  FST_CHECK_INT(fclose(f), 0);
}

static char *read_whole_file(const char *path, size_t *length) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t capacity = 1 << 16, n = 0;
  char *data = malloc(capacity);
  size_t got;
  while ((got = fread(data + n, 1, capacity - n - 1, f)) > 0) {
    n += got;
    if (n + 1 == capacity) data = realloc(data, capacity *= 2);
  }
  fclose(f);
  data[n] = '\0';
  *length = n;
  return data;
}

/* Number of directory entries of `dir` other than . and .. */
static int count_dir_entries(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) return -1;
  int n = 0;
  struct dirent *entry;
  while ((entry = readdir(d)) != NULL)
    if (strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, "..") != 0) n++;
  closedir(d);
  return n;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st, (void)flag, (void)ftw;
  chmod(path, 0700);
  return remove(path);
}

static void remove_tree(const char *path) { nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS); }

/* A one-line warning: not empty, no newline. */
static int is_one_line_warning(const char *message) {
  return message[0] != '\0' && strchr(message, '\n') == NULL;
}

/* The serialized bytes of a cache holding the rich entry and a plain one. */
static char *sample_cache_bytes(const char *fingerprint, size_t *length) {
  fst_cache *cache = NULL;
  fst_file_info rich, plain;
  make_rich_info(&rich);
  make_plain_info(&plain, 4, 1);
  FST_CHECK_INT(fst_cache_new(fingerprint, &cache), 0);
  FST_CHECK_INT(fst_cache_put(cache, "/p/rich.py", 100, old_mtime(), &rich), 0);
  FST_CHECK_INT(fst_cache_put(cache, "/p/plain.py", 7, old_mtime(), &plain), 0);
  char *bytes = NULL;
  FST_CHECK_INT(fst_cache_to_bytes(cache, &bytes, length), 0);
  fst_cache_delete(cache);
  fst_file_info_clear(&rich);
  fst_file_info_clear(&plain);
  return bytes;
}

/* ---------------------------------------------------------------------- */
/* Round trips and lookups                                                 */

static void round_trip_through_a_file_should_preserve_every_field(void) {
  const char *path = in_test_dir("round/trip/cache.json");
  fst_file_info rich, plain, got = {0};
  make_rich_info(&rich);
  make_plain_info(&plain, 0, 2);
  int64_t mtime = old_mtime();
  fst_cache *cache = NULL;
  char message[512] = "x";
  FST_CHECK_INT(fst_cache_new("fp-1", &cache), 0);
  FST_CHECK_INT(fst_cache_put(cache, "/abs/rich.py", 4242, mtime, &rich), 0);
  FST_CHECK_INT(fst_cache_put(cache, "/abs/\"odd\"\n\xff path.py", 0, -5000000000, &plain), 0);
  FST_CHECK_INT(fst_cache_save(cache, path, message, sizeof message), 0);
  FST_CHECK_STR(message, "");
  fst_cache_delete(cache);

  FST_CHECK_INT(fst_cache_new("fp-1", &cache), 0);
  strcpy(message, "x");
  FST_CHECK_INT(fst_cache_load(cache, path, message, sizeof message), 0);
  FST_CHECK_STR(message, "");
  FST_CHECK_INT(fst_cache_count(cache), 2);
  FST_CHECK_INT(fst_cache_lookup(cache, "/abs/rich.py", 4242, mtime, &got), 1);
  FST_CHECK(same_info(&got, &rich));
  fst_file_info_clear(&got);
  FST_CHECK_INT(fst_cache_lookup(cache, "/abs/\"odd\"\n\xff path.py", 0, -5000000000, &got), 1);
  FST_CHECK(same_info(&got, &plain));
  fst_file_info_clear(&got);
  fst_cache_delete(cache);
  fst_file_info_clear(&rich);
  fst_file_info_clear(&plain);
}

static void round_trip_through_bytes_should_keep_extreme_mtimes_exactly(void) {
  /* Nanosecond mtimes need more than a double's 53 bits. */
  static const int64_t mtimes[] = {INT64_MIN, -1, 0, 1, INT64_C(1712345678123456789), INT64_MAX};
  fst_file_info info, got = {0};
  make_plain_info(&info, 2, 3);
  fst_cache *cache = NULL, *again = NULL;
  FST_CHECK_INT(fst_cache_new("fp", &cache), 0);
  char path[32];
  for (size_t i = 0; i < sizeof mtimes / sizeof *mtimes; i++) {
    snprintf(path, sizeof path, "/m/%zu.py", i);
    FST_CHECK_INT(fst_cache_put(cache, path, (int64_t)i, mtimes[i], &info), 0);
  }
  char *bytes = NULL;
  size_t length = 0;
  FST_CHECK_INT(fst_cache_to_bytes(cache, &bytes, &length), 0);
  FST_CHECK_INT(strlen(bytes), length);
  FST_CHECK(strchr(bytes, '\n') == bytes + length - 1); /* compact: one line */
  FST_CHECK_INT(fst_cache_new("fp", &again), 0);
  FST_CHECK_INT(fst_cache_load_bytes(again, bytes, length, NULL, 0), 0);
  for (size_t i = 0; i < sizeof mtimes / sizeof *mtimes; i++) {
    snprintf(path, sizeof path, "/m/%zu.py", i);
    FST_CHECK_INT(fst_cache_lookup(again, path, (int64_t)i, mtimes[i], &got), 1);
    FST_CHECK(same_info(&got, &info));
    fst_file_info_clear(&got);
    /* One nanosecond off is another file version. */
    if (mtimes[i] != INT64_MAX)
      FST_CHECK_INT(fst_cache_lookup(again, path, (int64_t)i, mtimes[i] + 1, &got), 0);
  }
  /* Serializing what was read gives the same bytes: order and escapes are stable. */
  char *bytes2 = NULL;
  size_t length2 = 0;
  FST_CHECK_INT(fst_cache_to_bytes(again, &bytes2, &length2), 0);
  FST_CHECK_INT(length2, length);
  FST_CHECK(memcmp(bytes, bytes2, length) == 0);
  fst_free(bytes);
  fst_free(bytes2);
  fst_cache_delete(cache);
  fst_cache_delete(again);
  fst_file_info_clear(&info);
}

static void lookup_should_miss_when_size_or_mtime_changed(void) {
  fst_file_info info, got = {0};
  make_plain_info(&info, 3, 4);
  fst_cache *cache = NULL;
  int64_t mtime = old_mtime();
  FST_CHECK_INT(fst_cache_new("fp", &cache), 0);
  FST_CHECK_INT(fst_cache_put(cache, "/a.py", 10, mtime, &info), 0);
  FST_CHECK_INT(fst_cache_lookup(cache, "/a.py", 11, mtime, &got), 0);
  FST_CHECK_INT(fst_cache_lookup(cache, "/a.py", 10, mtime + 1, &got), 0);
  FST_CHECK_INT(fst_cache_lookup(cache, "/a.py", 10, mtime - 1000000000, &got), 0);
  FST_CHECK_INT(got.n_items, 0); /* untouched on a miss */
  FST_CHECK_INT(fst_cache_lookup(cache, "/a.py", 10, mtime, &got), 1);
  FST_CHECK_INT(got.n_items, 3);
  fst_file_info_clear(&got);
  fst_cache_delete(cache);
  fst_file_info_clear(&info);
}

static void lookup_should_miss_an_unknown_path(void) {
  fst_file_info got = {0};
  fst_cache *cache = NULL;
  FST_CHECK_INT(fst_cache_new("fp", &cache), 0);
  FST_CHECK_INT(fst_cache_lookup(cache, "/nowhere.py", 1, 1, &got), 0);
  fst_cache_delete(cache);
}

static void put_should_replace_the_entry_of_the_same_path(void) {
  fst_file_info one, two, got = {0};
  make_plain_info(&one, 1, 5);
  make_plain_info(&two, 2, 6);
  fst_cache *cache = NULL;
  int64_t mtime = old_mtime();
  FST_CHECK_INT(fst_cache_new("fp", &cache), 0);
  FST_CHECK_INT(fst_cache_put(cache, "/a.py", 1, mtime, &one), 0);
  FST_CHECK_INT(fst_cache_put(cache, "/a.py", 2, mtime + 5, &two), 0);
  FST_CHECK_INT(fst_cache_count(cache), 1);
  FST_CHECK_INT(fst_cache_lookup(cache, "/a.py", 1, mtime, &got), 0);
  FST_CHECK_INT(fst_cache_lookup(cache, "/a.py", 2, mtime + 5, &got), 1);
  FST_CHECK(same_info(&got, &two));
  fst_file_info_clear(&got);
  fst_cache_delete(cache);
  fst_file_info_clear(&one);
  fst_file_info_clear(&two);
}

static void put_should_copy_so_the_caller_keeps_its_info(void) {
  fst_file_info info, got = {0};
  make_plain_info(&info, 2, 7);
  fst_cache *cache = NULL;
  FST_CHECK_INT(fst_cache_new("fp", &cache), 0);
  FST_CHECK_INT(fst_cache_put(cache, "/a.py", 1, 1, &info), 0);
  fst_file_info_clear(&info); /* the cache must not point into it */
  FST_CHECK_INT(fst_cache_lookup(cache, "/a.py", 1, 1, &got), 1);
  FST_CHECK_INT(got.n_items, 2);
  FST_CHECK(strstr(got.items[1].name, "TestGroup7::") == got.items[1].name);
  fst_file_info_clear(&got);
  fst_cache_delete(cache);
}

static void many_entries_should_all_be_found(void) {
  /* Enough to grow the table and its index several times. */
  fst_file_info info, got = {0};
  make_plain_info(&info, 1, 8);
  fst_cache *cache = NULL;
  char path[64];
  FST_CHECK_INT(fst_cache_new("fp", &cache), 0);
  for (int i = 0; i < 5000; i++) {
    snprintf(path, sizeof path, "/tests/test_%d.py", i);
    FST_CHECK_INT(fst_cache_put(cache, path, i, i, &info), 0);
  }
  FST_CHECK_INT(fst_cache_count(cache), 5000);
  int found = 0;
  for (int i = 0; i < 5000; i++) {
    snprintf(path, sizeof path, "/tests/test_%d.py", i);
    found += fst_cache_lookup(cache, path, i, i, &got);
    fst_file_info_clear(&got);
  }
  FST_CHECK_INT(found, 5000);
  fst_cache_delete(cache);
  fst_file_info_clear(&info);
}

/* The walker's callback type, spelled out: fst_cache_reuse must fit it. */
typedef int (*reuse_callback)(void *ctx, const char *path, int64_t size, int64_t mtime_ns,
                              fst_file_info *out);

static void reuse_should_answer_as_lookup_does(void) {
  reuse_callback reuse = fst_cache_reuse;
  fst_file_info info, got = {0};
  make_plain_info(&info, 1, 9);
  fst_cache *cache = NULL;
  FST_CHECK_INT(fst_cache_new("fp", &cache), 0);
  FST_CHECK_INT(fst_cache_put(cache, "/a.py", 1, 1, &info), 0);
  FST_CHECK_INT(reuse(cache, "/a.py", 1, 1, &got), 1);
  FST_CHECK(same_info(&got, &info));
  fst_file_info_clear(&got);
  FST_CHECK_INT(reuse(cache, "/a.py", 1, 2, &got), 0);
  fst_cache_delete(cache);
  fst_file_info_clear(&info);
}

/* ---------------------------------------------------------------------- */
/* Hostile and foreign files                                               */

static void load_should_treat_a_missing_file_as_an_empty_cache(void) {
  fst_cache *cache = NULL;
  char message[256] = "x";
  FST_CHECK_INT(fst_cache_new("fp", &cache), 0);
  FST_CHECK_INT(fst_cache_load(cache, in_test_dir("absent/cache.json"), message, sizeof message),
                FST_CACHE_OK);
  FST_CHECK_STR(message, "");
  FST_CHECK_INT(fst_cache_count(cache), 0);
  fst_cache_delete(cache);
}

/* Loads `text` from a file and expects `status`, an empty cache and a
 * one-line warning naming the file. */
static void expect_rejected_file(const char *text, int status) {
  const char *path = in_test_dir("hostile.json");
  write_file(path, text, strlen(text));
  fst_cache *cache = NULL;
  char message[512] = "";
  FST_CHECK_INT(fst_cache_new("fp", &cache), 0);
  int got = fst_cache_load(cache, path, message, sizeof message);
  if (got != status) fprintf(stderr, "  for %s\n", text);
  FST_CHECK_INT(got, status);
  FST_CHECK_INT(fst_cache_count(cache), 0);
  FST_CHECK(is_one_line_warning(message));
  FST_CHECK(strstr(message, path) != NULL);
  fst_cache_delete(cache);
}

static void load_should_ignore_a_cache_with_another_fingerprint(void) {
  size_t length = 0;
  char *bytes = sample_cache_bytes("other configuration", &length);
  const char *path = in_test_dir("stale.json");
  write_file(path, bytes, length);
  fst_cache *cache = NULL;
  char message[512] = "";
  FST_CHECK_INT(fst_cache_new("fp", &cache), 0);
  FST_CHECK_INT(fst_cache_load(cache, path, message, sizeof message), FST_CACHE_ESTALE);
  FST_CHECK_INT(fst_cache_count(cache), 0);
  FST_CHECK(is_one_line_warning(message));
  FST_CHECK(strstr(message, "fingerprint") != NULL);
  /* The same file loads under its own fingerprint. */
  fst_cache_delete(cache);
  FST_CHECK_INT(fst_cache_new("other configuration", &cache), 0);
  FST_CHECK_INT(fst_cache_load(cache, path, message, sizeof message), 0);
  FST_CHECK_INT(fst_cache_count(cache), 2);
  fst_cache_delete(cache);
  fst_free(bytes);
}

static void load_should_ignore_another_producer_or_schema(void) {
  expect_rejected_file("{\"schema\":1,\"producer\":\"someone-else\",\"fingerprint\":\"fp\","
                       "\"files\":{}}",
                       FST_CACHE_EFOREIGN);
  expect_rejected_file("{\"schema\":2,\"producer\":\"pytest-fastest\",\"fingerprint\":\"fp\","
                       "\"files\":{}}",
                       FST_CACHE_EFOREIGN);
  expect_rejected_file("{\"schema\":\"1\",\"producer\":\"pytest-fastest\",\"fingerprint\":\"fp\","
                       "\"files\":{}}",
                       FST_CACHE_EFOREIGN);
  expect_rejected_file("[1, 2, 3]", FST_CACHE_EFOREIGN);
  expect_rejected_file("\"pytest-fastest\"", FST_CACHE_EFOREIGN);
}

static void load_should_reject_corrupt_json(void) {
  expect_rejected_file("", FST_CACHE_EINVALID);
  expect_rejected_file("{", FST_CACHE_EINVALID);
  expect_rejected_file("{\"schema\":1,,}", FST_CACHE_EINVALID);
  expect_rejected_file("\x89PNG\r\n\x1a\n", FST_CACHE_EINVALID);
  expect_rejected_file("{\"schema\":1,\"producer\":\"pytest-fastest\",\"fingerprint\":\"fp\","
                       "\"files\":{}} trailing",
                       FST_CACHE_EINVALID);
  /* A NUL inside is not the end of the document. */
  const char with_nul[] = "{\"schema\":1,\"producer\":\"pytest-fastest\",\"fingerprint\":\"fp\","
                          "\"files\":{}}\0{}";
  fst_cache *cache = NULL;
  FST_CHECK_INT(fst_cache_new("fp", &cache), 0);
  FST_CHECK_INT(fst_cache_load_bytes(cache, with_nul, sizeof with_nul - 1, NULL, 0),
                FST_CACHE_EINVALID);
  FST_CHECK_INT(fst_cache_load_bytes(cache, with_nul, strlen(with_nul), NULL, 0), 0);
  fst_cache_delete(cache);
}

static void load_should_reject_wrong_types_and_absurd_values(void) {
  /* One valid entry, with one field replaced per case. */
  static const char *const entries[] = {
      "\"size\":\"1\"",
      "\"size\":-1",
      "\"size\":1.5",
      "\"size\":1e300",
      "\"size\":18014398509481984",
      "\"mtime_ns\":5",
      "\"mtime_ns\":\"12a\"",
      "\"mtime_ns\":\"\"",
      "\"mtime_ns\":\"-\"",
      "\"mtime_ns\":\" 1\"",
      "\"mtime_ns\":\"9223372036854775808\"",
      "\"mtime_ns\":\"-9223372036854775809\"",
      "\"verdict\":2",
      "\"verdict\":true",
      "\"reason\":5",
      "\"hooks\":4294967296",
      "\"hooks\":-1",
      "\"items\":{}",
      "\"items\":[[\"t\",1]]",
      "\"items\":[[\"t\",1,[],4]]",
      "\"items\":[[1,1,[]]]",
      "\"items\":[[\"t\",-1,[]]]",
      "\"items\":[[\"t\",4294967296,[]]]",
      "\"items\":[[\"t\",1,[2]]]",
      "\"items\":[[\"t\",1,null]]",
      "\"items\":[\"t\"]",
      "\"imports\":null",
      "\"imports\":[\"a\",null]",
      "\"collect_ignore\":\"x\"",
      "\"collect_ignore_glob\":[[]]",
  };
  static const char *const fields[] = {"size", "mtime_ns", "verdict", "reason", "hooks",
                                       "items", "imports", "collect_ignore",
                                       "collect_ignore_glob"};
  static const char *const valid[] = {
      "\"size\":1",     "\"mtime_ns\":\"1\"", "\"verdict\":0",        "\"reason\":null",
      "\"hooks\":0",    "\"items\":[[\"t\",1,[\"m\"]]]", "\"imports\":[]",
      "\"collect_ignore\":[]", "\"collect_ignore_glob\":[]"};
  char text[2048];
  for (size_t c = 0; c <= sizeof entries / sizeof *entries; c++) {
    /* c == count: every field valid, the entry loads; then each field missing. */
    for (size_t missing = 0; missing <= 9; missing++) {
      if (c < sizeof entries / sizeof *entries && missing != 9) continue;
      int n = snprintf(text, sizeof text,
                       "{\"schema\":1,\"producer\":\"pytest-fastest\",\"fingerprint\":\"fp\","
                       "\"files\":{\"/ok.py\":{%s,%s,%s,%s,%s,%s,%s,%s,%s},\"/x.py\":{",
                       valid[0], valid[1], valid[2], valid[3], valid[4], valid[5], valid[6],
                       valid[7], valid[8]);
      int first = 1;
      for (size_t f = 0; f < 9; f++) {
        if (f == missing) continue;
        const char *field = valid[f];
        if (c < sizeof entries / sizeof *entries) {
          char key[32];
          snprintf(key, sizeof key, "\"%s\":", fields[f]);
          if (strncmp(entries[c], key, strlen(key)) == 0) field = entries[c];
        }
        n += snprintf(text + n, sizeof text - (size_t)n, "%s%s", first ? "" : ",", field);
        first = 0;
      }
      snprintf(text + n, sizeof text - (size_t)n, "}}}");
      int expected = c == sizeof entries / sizeof *entries && missing == 9 ? 0 : FST_CACHE_EINVALID;
      if (expected == 0) {
        fst_cache *cache = NULL;
        FST_CHECK_INT(fst_cache_new("fp", &cache), 0);
        FST_CHECK_INT(fst_cache_load_bytes(cache, text, strlen(text), NULL, 0), 0);
        FST_CHECK_INT(fst_cache_count(cache), 2);
        fst_cache_delete(cache);
      } else {
        expect_rejected_file(text, expected);
      }
    }
  }
}

static void load_should_reject_every_truncated_prefix(void) {
  size_t length = 0;
  char *bytes = sample_cache_bytes("fp", &length);
  fst_cache *cache = NULL;
  char message[256];
  FST_CHECK_INT(fst_cache_new("fp", &cache), 0);
  size_t loaded = 0, rejected = 0;
  for (size_t prefix = 0; prefix <= length; prefix++) {
    /* Copied to an exact-size buffer, so ASan sees any read past the end. */
    char *copy = malloc(prefix ? prefix : 1);
    memcpy(copy, bytes, prefix);
    int status = fst_cache_load_bytes(cache, copy, prefix, message, sizeof message);
    free(copy);
    if (status == 0) {
      loaded++;
      FST_CHECK_INT(fst_cache_count(cache), 2);
    } else {
      rejected++;
      FST_CHECK_INT(status, FST_CACHE_EINVALID);
      FST_CHECK_INT(fst_cache_count(cache), 0);
      FST_CHECK(is_one_line_warning(message));
    }
  }
  /* Only the whole file, and the whole file without its final newline. */
  FST_CHECK_INT(loaded, 2);
  FST_CHECK_INT(rejected, length - 1);
  /* A few through a real file too. */
  const char *path = in_test_dir("truncated.json");
  for (size_t prefix = 0; prefix < length; prefix += 97) {
    write_file(path, bytes, prefix);
    FST_CHECK_INT(fst_cache_load(cache, path, message, sizeof message), FST_CACHE_EINVALID);
  }
  fst_cache_delete(cache);
  fst_free(bytes);
}

static void load_should_empty_a_cache_that_held_entries(void) {
  size_t length = 0;
  char *bytes = sample_cache_bytes("fp", &length);
  fst_cache *cache = NULL;
  FST_CHECK_INT(fst_cache_new("fp", &cache), 0);
  FST_CHECK_INT(fst_cache_load_bytes(cache, bytes, length, NULL, 0), 0);
  FST_CHECK_INT(fst_cache_count(cache), 2);
  FST_CHECK_INT(fst_cache_load_bytes(cache, bytes, length - 5, NULL, 0), FST_CACHE_EINVALID);
  FST_CHECK_INT(fst_cache_count(cache), 0);
  fst_cache_delete(cache);
  fst_free(bytes);
}

static void load_should_warn_when_the_path_is_a_directory(void) {
  const char *path = in_test_dir("a-directory");
  FST_CHECK_INT(mkdir(path, 0755), 0);
  fst_cache *cache = NULL;
  char message[512] = "";
  FST_CHECK_INT(fst_cache_new("fp", &cache), 0);
  FST_CHECK_INT(fst_cache_load(cache, path, message, sizeof message), FST_CACHE_EIO);
  FST_CHECK(is_one_line_warning(message));
  FST_CHECK(strstr(message, "directory") != NULL);
  /* Saving there fails too, cleanly: the directory stays, no temporary file. */
  FST_CHECK_INT(fst_cache_save(cache, path, message, sizeof message), FST_CACHE_EIO);
  FST_CHECK(is_one_line_warning(message));
  FST_CHECK_INT(count_dir_entries(test_dir), 1);
  fst_cache_delete(cache);
  rmdir(path);
}

static void load_should_not_block_on_a_fifo(void) {
  const char *path = in_test_dir("fifo.json");
  FST_CHECK_INT(mkfifo(path, 0600), 0);
  fst_cache *cache = NULL;
  char message[512] = "";
  FST_CHECK_INT(fst_cache_new("fp", &cache), 0);
  FST_CHECK_INT(fst_cache_load(cache, path, message, sizeof message), FST_CACHE_EIO);
  FST_CHECK(strstr(message, "not a regular file") != NULL);
  fst_cache_delete(cache);
  unlink(path);
}

static void load_should_refuse_an_absurdly_large_file_without_reading_it(void) {
  const char *path = in_test_dir("huge.json");
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  FST_CHECK(fd >= 0);
  /* Sparse: no disk space used. */
  FST_CHECK_INT(ftruncate(fd, (off_t)FST_CACHE_MAX_BYTES + 1), 0);
  close(fd);
  fst_cache *cache = NULL;
  char message[512] = "";
  FST_CHECK_INT(fst_cache_new("fp", &cache), 0);
  FST_CHECK_INT(fst_cache_load(cache, path, message, sizeof message), FST_CACHE_EINVALID);
  FST_CHECK(strstr(message, "too large") != NULL);
  fst_cache_delete(cache);
  unlink(path);
}

static void load_should_warn_when_the_file_is_unreadable(void) {
  /* A path through a regular file fails for root too (ENOTDIR). */
  const char *file = in_test_dir("plainfile");
  write_file(file, "x", 1);
  fst_cache *cache = NULL;
  char message[512] = "";
  FST_CHECK_INT(fst_cache_new("fp", &cache), 0);
  FST_CHECK_INT(fst_cache_load(cache, in_test_dir("plainfile/cache.json"), message,
                               sizeof message),
                FST_CACHE_EIO);
  FST_CHECK(is_one_line_warning(message));
  if (geteuid() != 0) { /* root reads through any permission */
    const char *path = in_test_dir("unreadable.json");
    write_file(path, "{}", 2);
    chmod(path, 0);
    FST_CHECK_INT(fst_cache_load(cache, path, message, sizeof message), FST_CACHE_EIO);
    unlink(path);
  }
  fst_cache_delete(cache);
  unlink(file);
}

/* ---------------------------------------------------------------------- */
/* Saving                                                                  */

static void save_should_create_missing_parent_directories_and_leave_no_temporary_file(void) {
  fst_file_info info;
  make_plain_info(&info, 2, 10);
  fst_cache *cache = NULL;
  char message[512] = "x";
  FST_CHECK_INT(fst_cache_new("fp", &cache), 0);
  FST_CHECK_INT(fst_cache_put(cache, "/a.py", 1, old_mtime(), &info), 0);
  FST_CHECK_INT(fst_cache_save(cache, in_test_dir("deep/er/dir/cache.json"), message,
                               sizeof message),
                0);
  FST_CHECK_STR(message, "");
  FST_CHECK_INT(count_dir_entries(in_test_dir("deep/er/dir")), 1);
  /* Saving again replaces the file in place. */
  FST_CHECK_INT(fst_cache_save(cache, in_test_dir("deep/er/dir/cache.json"), message,
                               sizeof message),
                0);
  FST_CHECK_INT(count_dir_entries(in_test_dir("deep/er/dir")), 1);
  fst_cache_delete(cache);
  fst_file_info_clear(&info);
  remove_tree(in_test_dir("deep"));
}

static void save_should_fail_cleanly_in_a_directory_that_cannot_be_written(void) {
  fst_file_info info;
  make_plain_info(&info, 2, 11);
  fst_cache *cache = NULL;
  char message[512] = "";
  FST_CHECK_INT(fst_cache_new("fp", &cache), 0);
  FST_CHECK_INT(fst_cache_put(cache, "/a.py", 1, old_mtime(), &info), 0);
  /* Under a regular file: fails even for root, whom chmod does not stop. */
  const char *file = in_test_dir("regular");
  write_file(file, "x", 1);
  FST_CHECK_INT(fst_cache_save(cache, in_test_dir("regular/cache.json"), message, sizeof message),
                FST_CACHE_EIO);
  FST_CHECK(is_one_line_warning(message));
  FST_CHECK(strstr(message, "regular/cache.json") != NULL);
  FST_CHECK_INT(fst_cache_save(cache, in_test_dir("regular/sub/cache.json"), message,
                               sizeof message),
                FST_CACHE_EIO);
  FST_CHECK(is_one_line_warning(message));
  unlink(file);
  if (geteuid() != 0) {
    const char *dir = in_test_dir("readonly");
    FST_CHECK_INT(mkdir(dir, 0555), 0);
    FST_CHECK_INT(fst_cache_save(cache, in_test_dir("readonly/cache.json"), message,
                                 sizeof message),
                  FST_CACHE_EIO);
    FST_CHECK_INT(count_dir_entries(dir), 0);
    rmdir(dir);
  } else {
    printf("     (running as root: the chmod 0555 case is covered by the path under a file)\n");
  }
  FST_CHECK_INT(count_dir_entries(test_dir), 0);
  fst_cache_delete(cache);
  fst_file_info_clear(&info);
}

static void save_should_fail_cleanly_when_the_disk_is_full(void) {
  /* RLIMIT_FSIZE makes write() fail with EFBIG past a size, as a full disk
   * fails with ENOSPC; set in a child so the test process keeps its limit. */
  const char *dir = in_test_dir("full");
  const char *path = in_test_dir("full/cache.json");
  FST_CHECK_INT(mkdir(dir, 0755), 0);
  const char old[] = "previous cache, must survive";
  write_file(path, old, sizeof old - 1);
  fflush(NULL);
  pid_t child = fork();
  if (child == 0) {
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit limit = {4096, 4096};
    setrlimit(RLIMIT_FSIZE, &limit);
    fst_file_info info;
    make_plain_info(&info, 500, 12); /* ~40 KB of JSON */
    fst_cache *cache = NULL;
    char message[512] = "";
    int code = 0;
    if (fst_cache_new("fp", &cache) != 0) _exit(10);
    if (fst_cache_put(cache, "/a.py", 1, old_mtime(), &info) != 0) code = 11;
    int status = fst_cache_save(cache, path, message, sizeof message);
    if (status != FST_CACHE_EIO) code = 12;
    if (!is_one_line_warning(message) || !strstr(message, "cannot write")) code = 13;
    fst_cache_delete(cache);
    fst_file_info_clear(&info);
    _exit(code);
  }
  int status = 0;
  FST_CHECK_INT(waitpid(child, &status, 0), child);
  FST_CHECK(WIFEXITED(status));
  FST_CHECK_INT(WEXITSTATUS(status), 0);
  size_t length = 0;
  char *now = read_whole_file(path, &length);
  FST_CHECK(now && length == sizeof old - 1 && memcmp(now, old, length) == 0);
  free(now);
  FST_CHECK_INT(count_dir_entries(dir), 1); /* no temporary file left */
  remove_tree(dir);
}

static void save_should_drop_deleted_files_and_keep_the_rest_of_the_suite(void) {
  /* A run over part of the suite looks up only some files: the others stay
   * while they exist. */
  const char *kept = in_test_dir("kept.py"), *gone = in_test_dir("gone.py"),
             *used = in_test_dir("used.py"), *cache_path = in_test_dir("prune.json");
  write_file(kept, "#", 1);
  write_file(gone, "#", 1);
  write_file(used, "#", 1);
  fst_file_info info, got = {0};
  make_plain_info(&info, 1, 13);
  int64_t mtime = old_mtime();
  fst_cache *cache = NULL;
  FST_CHECK_INT(fst_cache_new("fp", &cache), 0);
  FST_CHECK_INT(fst_cache_put(cache, kept, 1, mtime, &info), 0);
  FST_CHECK_INT(fst_cache_put(cache, gone, 1, mtime, &info), 0);
  FST_CHECK_INT(fst_cache_put(cache, used, 1, mtime, &info), 0);
  FST_CHECK_INT(fst_cache_put(cache, "/never/existed.py", 1, mtime, &info), 0);
  FST_CHECK_INT(fst_cache_save(cache, cache_path, NULL, 0), 0);
  fst_cache_delete(cache);

  /* Next run: `used` is looked up, `gone` was deleted, `kept` not visited,
   * the never-existing one was put last run but not touched now. */
  unlink(gone);
  unlink(used); /* a fresh lookup keeps it even if it vanished since */
  FST_CHECK_INT(fst_cache_new("fp", &cache), 0);
  FST_CHECK_INT(fst_cache_load(cache, cache_path, NULL, 0), 0);
  FST_CHECK_INT(fst_cache_count(cache), 4);
  FST_CHECK_INT(fst_cache_lookup(cache, used, 1, mtime, &got), 1);
  fst_file_info_clear(&got);
  FST_CHECK_INT(fst_cache_save(cache, cache_path, NULL, 0), 0);
  fst_cache_delete(cache);

  FST_CHECK_INT(fst_cache_new("fp", &cache), 0);
  FST_CHECK_INT(fst_cache_load(cache, cache_path, NULL, 0), 0);
  FST_CHECK_INT(fst_cache_count(cache), 2);
  FST_CHECK_INT(fst_cache_lookup(cache, kept, 1, mtime, &got), 1);
  fst_file_info_clear(&got);
  FST_CHECK_INT(fst_cache_lookup(cache, used, 1, mtime, &got), 1);
  fst_file_info_clear(&got);
  FST_CHECK_INT(fst_cache_lookup(cache, gone, 1, mtime, &got), 0);
  fst_cache_delete(cache);
  fst_file_info_clear(&info);
  unlink(kept);
  unlink(cache_path);
}

static void save_should_not_persist_a_file_modified_just_before_it_was_put(void) {
  /* Two edits within one timestamp tick can keep (size, mtime): such an
   * entry is good for this run only. */
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  int64_t just_now = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec - 1000000;
  fst_file_info info, got = {0};
  make_plain_info(&info, 1, 14);
  const char *path = in_test_dir("racy.json");
  fst_cache *cache = NULL;
  FST_CHECK_INT(fst_cache_new("fp", &cache), 0);
  FST_CHECK_INT(fst_cache_put(cache, "/racy.py", 1, just_now, &info), 0);
  FST_CHECK_INT(fst_cache_put(cache, "/future.py", 1, just_now + 3600000000000, &info), 0);
  FST_CHECK_INT(fst_cache_put(cache, "/settled.py", 1, old_mtime(), &info), 0);
  FST_CHECK_INT(fst_cache_lookup(cache, "/racy.py", 1, just_now, &got), 1);
  fst_file_info_clear(&got);
  FST_CHECK_INT(fst_cache_save(cache, path, NULL, 0), 0);
  fst_cache_delete(cache);
  FST_CHECK_INT(fst_cache_new("fp", &cache), 0);
  FST_CHECK_INT(fst_cache_load(cache, path, NULL, 0), 0);
  FST_CHECK_INT(fst_cache_count(cache), 1);
  FST_CHECK_INT(fst_cache_lookup(cache, "/settled.py", 1, old_mtime(), &got), 1);
  fst_file_info_clear(&got);
  fst_cache_delete(cache);
  fst_file_info_clear(&info);
  unlink(path);
}

/* ---------------------------------------------------------------------- */
/* Allocation failure and threads                                          */

/* One whole cycle: load a sample, look up, put, serialize, save.  Returns
 * 0 when everything succeeded; failures must be clean (checked by the
 * sanitizers and valgrind for leaks). */
static int run_cycle(const char *bytes, size_t length, const fst_file_info *info,
                     const char *path) {
  fst_cache *cache = NULL;
  int failures = 0;
  char message[256];
  if (fst_cache_new("fp", &cache) != 0) return 1;
  int status = fst_cache_load_bytes(cache, bytes, length, message, sizeof message);
  if (status != 0) {
    failures++;
    FST_CHECK(status == FST_CACHE_ENOMEM || status == FST_CACHE_EINVALID);
    FST_CHECK_INT(fst_cache_count(cache), 0);
  }
  fst_file_info got = {0};
  status = fst_cache_lookup(cache, "/p/rich.py", 100, old_mtime(), &got);
  if (status != 1) {
    failures++;
    FST_CHECK(status == 0 || status == FST_CACHE_ENOMEM);
    FST_CHECK(got.items == NULL && got.reason == NULL && got.imports == NULL);
  }
  fst_file_info_clear(&got);
  size_t before = fst_cache_count(cache);
  if (fst_cache_put(cache, "/p/new.py", 3, old_mtime(), info) != 0) {
    failures++;
    FST_CHECK_INT(fst_cache_count(cache), before);
  }
  char *out = NULL;
  size_t out_length = 0;
  if (fst_cache_to_bytes(cache, &out, &out_length) != 0) {
    failures++;
    FST_CHECK(out == NULL);
  }
  fst_free(out);
  status = fst_cache_save(cache, path, message, sizeof message);
  if (status != 0) {
    failures++;
    FST_CHECK_INT(status, FST_CACHE_ENOMEM);
    FST_CHECK(is_one_line_warning(message));
  }
  fst_cache_delete(cache);
  return failures;
}

static void every_allocation_failure_should_fail_cleanly(void) {
  size_t length = 0;
  char *bytes = sample_cache_bytes("fp", &length);
  fst_file_info info;
  make_rich_info(&info);
  const char *path = in_test_dir("sweep/cache.json");
  long n = 0;
  for (;; n++) {
    fst_alloc_fail_after(n);
    int failures = run_cycle(bytes, length, &info, path);
    fst_alloc_fail_after(-1);
    if (failures == 0) break;
    if (n > 100000) {
      FST_CHECK(!"the sweep does not end");
      break;
    }
  }
  printf("     (%ld allocation failure points swept)\n", n);
  FST_CHECK(n > 50);
  /* No temporary file left by any failed save. */
  FST_CHECK_INT(count_dir_entries(in_test_dir("sweep")), 1);
  remove_tree(in_test_dir("sweep"));
  fst_file_info_clear(&info);
  fst_free(bytes);
}

typedef struct {
  fst_cache *cache;
  int thread;
  int hits;
} thread_job;

static void *put_and_lookup(void *arg) {
  thread_job *job = arg;
  fst_file_info info, got = {0};
  make_plain_info(&info, 3, (unsigned)job->thread);
  char path[64];
  for (int i = 0; i < 300; i++) {
    snprintf(path, sizeof path, "/t%d/test_%d.py", job->thread, i);
    if (fst_cache_put(job->cache, path, i, i, &info) != 0) continue;
    /* Also read what the others write. */
    snprintf(path, sizeof path, "/t%d/test_%d.py", (job->thread + 1) % 4, i / 2);
    if (fst_cache_lookup(job->cache, path, i / 2, i / 2, &got) == 1) job->hits++;
    fst_file_info_clear(&got);
  }
  fst_file_info_clear(&info);
  return NULL;
}

static void lookups_and_puts_from_many_threads_should_be_safe(void) {
  fst_cache *cache = NULL;
  FST_CHECK_INT(fst_cache_new("fp", &cache), 0);
  pthread_t threads[4];
  thread_job jobs[4];
  for (int t = 0; t < 4; t++) {
    jobs[t] = (thread_job){cache, t, 0};
    FST_CHECK_INT(pthread_create(&threads[t], NULL, put_and_lookup, &jobs[t]), 0);
  }
  for (int t = 0; t < 4; t++) pthread_join(threads[t], NULL);
  FST_CHECK_INT(fst_cache_count(cache), 1200);
  fst_cache_delete(cache);
}

/* ---------------------------------------------------------------------- */
/* Speed                                                                   */

static double elapsed_ms(const struct timespec *start) {
  struct timespec end;
  clock_gettime(CLOCK_MONOTONIC, &end);
  return (double)(end.tv_sec - start->tv_sec) * 1e3 +
         (double)(end.tv_nsec - start->tv_nsec) / 1e6;
}

static void a_warm_run_over_1000_files_and_20000_items_should_take_milliseconds(void) {
  const char *path = in_test_dir("big.json");
  fst_cache *cache = NULL;
  char file[128];
  int64_t mtime = old_mtime();
  FST_CHECK_INT(fst_cache_new("fp", &cache), 0);
  for (int i = 0; i < 1000; i++) {
    fst_file_info info;
    make_plain_info(&info, 20, (unsigned)i);
    snprintf(file, sizeof file, "/home/user/project/tests/pkg%d/test_module_%d.py", i % 10, i);
    FST_CHECK_INT(fst_cache_put(cache, file, 1000 + i, mtime + i, &info), 0);
    fst_file_info_clear(&info);
  }
  struct timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  FST_CHECK_INT(fst_cache_save(cache, path, NULL, 0), 0);
  double save_ms = elapsed_ms(&start);
  fst_cache_delete(cache);
  struct stat st;
  stat(path, &st);

  clock_gettime(CLOCK_MONOTONIC, &start);
  FST_CHECK_INT(fst_cache_new("fp", &cache), 0);
  FST_CHECK_INT(fst_cache_load(cache, path, NULL, 0), 0);
  double load_ms = elapsed_ms(&start);
  size_t items = 0;
  int hits = 0;
  for (int i = 0; i < 1000; i++) {
    fst_file_info got = {0};
    snprintf(file, sizeof file, "/home/user/project/tests/pkg%d/test_module_%d.py", i % 10, i);
    hits += fst_cache_lookup(cache, file, 1000 + i, mtime + i, &got);
    items += got.n_items;
    fst_file_info_clear(&got);
  }
  double total_ms = elapsed_ms(&start);
  FST_CHECK_INT(hits, 1000);
  FST_CHECK_INT(items, 20000);
  printf("     (%lld-byte cache: save %.1f ms, load %.1f ms, load + 1000 lookups %.1f ms)\n",
         (long long)st.st_size, save_ms, load_ms, total_ms);
  fst_cache_delete(cache);
  unlink(path);
}

int main(void) {
  /* cJSON's parse tree goes through fst_alloc too, so the allocation sweep
   * also fails cJSON's allocations.  Single-threaded here: safe. */
  cJSON_Hooks hooks = {fst_malloc, fst_free};
  cJSON_InitHooks(&hooks);
  the_old_mtime = (int64_t)(time(NULL) - 3600) * 1000000000 + 123456789;
  snprintf(test_dir, sizeof test_dir, "/tmp/fst-test-cache-XXXXXX");
  if (!mkdtemp(test_dir)) {
    perror("mkdtemp");
    return 1;
  }
  FST_RUN(round_trip_through_a_file_should_preserve_every_field);
  FST_RUN(round_trip_through_bytes_should_keep_extreme_mtimes_exactly);
  FST_RUN(lookup_should_miss_when_size_or_mtime_changed);
  FST_RUN(lookup_should_miss_an_unknown_path);
  FST_RUN(put_should_replace_the_entry_of_the_same_path);
  FST_RUN(put_should_copy_so_the_caller_keeps_its_info);
  FST_RUN(many_entries_should_all_be_found);
  FST_RUN(reuse_should_answer_as_lookup_does);
  remove_tree(test_dir);
  FST_CHECK_INT(mkdir(test_dir, 0700), 0);
  FST_RUN(load_should_treat_a_missing_file_as_an_empty_cache);
  FST_RUN(load_should_ignore_a_cache_with_another_fingerprint);
  FST_RUN(load_should_ignore_another_producer_or_schema);
  FST_RUN(load_should_reject_corrupt_json);
  FST_RUN(load_should_reject_wrong_types_and_absurd_values);
  FST_RUN(load_should_reject_every_truncated_prefix);
  FST_RUN(load_should_empty_a_cache_that_held_entries);
  remove_tree(test_dir);
  FST_CHECK_INT(mkdir(test_dir, 0700), 0);
  FST_RUN(load_should_warn_when_the_path_is_a_directory);
  FST_RUN(load_should_not_block_on_a_fifo);
  FST_RUN(load_should_refuse_an_absurdly_large_file_without_reading_it);
  FST_RUN(load_should_warn_when_the_file_is_unreadable);
  FST_RUN(save_should_create_missing_parent_directories_and_leave_no_temporary_file);
  FST_RUN(save_should_fail_cleanly_in_a_directory_that_cannot_be_written);
  FST_RUN(save_should_fail_cleanly_when_the_disk_is_full);
  FST_RUN(save_should_drop_deleted_files_and_keep_the_rest_of_the_suite);
  FST_RUN(save_should_not_persist_a_file_modified_just_before_it_was_put);
  FST_RUN(every_allocation_failure_should_fail_cleanly);
  FST_RUN(lookups_and_puts_from_many_threads_should_be_safe);
  FST_RUN(a_warm_run_over_1000_files_and_20000_items_should_take_milliseconds);
  remove_tree(test_dir);
  FST_TEST_EXIT();
}
