/*
 * fuzz_cache.c - the cache reader against arbitrary bytes.
 *
 * Every input is loaded from memory (nothing touches the disk).  Beyond "no
 * crash, no leak, no undefined behaviour", an accepted input must survive a
 * round trip: what the cache writes, it reads back, and writing that again
 * gives the same bytes (a mismatch means the writer's escaping and the
 * reader disagree, which would silently lose or corrupt entries).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fst_alloc.h"
#include "fst_cache.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fst_cache *cache = NULL, *again = NULL;
  char message[256];
  if (fst_cache_new("fp", &cache) != 0) return 0;
  if (fst_cache_load_bytes(cache, (const char *)data, size, message, sizeof message) != 0) {
    /* Rejected: empty, with a one-line message. */
    if (fst_cache_count(cache) != 0 || message[0] == '\0' || strchr(message, '\n')) abort();
    fst_cache_delete(cache);
    return 0;
  }
  fst_file_info info = {0};
  (void)fst_cache_lookup(cache, "/a.py", 1, 1, &info);
  fst_file_info_clear(&info);

  char *first = NULL, *second = NULL;
  size_t first_length = 0, second_length = 0;
  if (fst_cache_to_bytes(cache, &first, &first_length) != 0) abort();
  if (fst_cache_new("fp", &again) != 0) abort();
  if (fst_cache_load_bytes(again, first, first_length, message, sizeof message) != 0) abort();
  if (fst_cache_count(again) != fst_cache_count(cache)) abort();
  if (fst_cache_to_bytes(again, &second, &second_length) != 0) abort();
  if (first_length != second_length || memcmp(first, second, first_length) != 0) abort();
  fst_free(first);
  fst_free(second);
  fst_cache_delete(again);
  fst_cache_delete(cache);
  return 0;
}
