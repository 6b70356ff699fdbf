/*
 * fst_cache.c - the discovery cache (see fst_cache.h).
 *
 * Entries live in one array in insertion order, so a file is written in the
 * order it was read and put (stable files, deterministic output), with an
 * open-addressing index of array positions keyed by an FNV-1a hash of the
 * path.  Entries are never removed while the cache lives: pruning happens
 * when saving, by not writing them.
 *
 * Reading trusts nothing: the bytes are parsed by cJSON with an explicit
 * length, every value's type and range is checked before use, and any
 * failure empties the cache (a half-loaded cache would be a lie).  Writing
 * does not go through a cJSON tree: a 20,000-item tree costs more than the
 * few lines of escaping below, and the writer allocates only through
 * fst_alloc.
 */
#include "fst_cache.h"

#include <assert.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fst_alloc.h"

/* Largest integer a double holds exactly: sizes beyond it cannot round-trip
 * through cJSON's numbers. */
#define FST_CACHE__MAX_EXACT_DOUBLE 9007199254740992.0

typedef struct {
  char *path;
  uint64_t hash;
  int64_t size;
  int64_t mtime_ns;
  /* Put or found fresh in this run: saved without checking the path. */
  uint8_t touched;
  /* Put too soon after its mtime to be trusted by a later run. */
  uint8_t racy;
  fst_file_info info;
} fst_cache__entry;

struct fst_cache {
  pthread_mutex_t mutex;
  char *fingerprint;
  fst_cache__entry *entries;
  size_t count;
  size_t capacity;
  /* Slots hold entry position + 1; 0 is an empty slot.  The number of slots
   * is a power of two, at least twice the number of entries (or 0). */
  size_t *index;
  size_t index_slots;
};

/* Distinguishes temporary files of one process: two saves may run at once. */
static atomic_ulong fst_cache__temp_counter;

/* ---------------------------------------------------------------------- */
/* Messages                                                                */

/* snprintf into the caller's buffer, then replace control characters (a path
 * may hold a newline) so the message stays on one line. */
static void fst_cache__message(char *message, size_t size, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

static void fst_cache__message(char *message, size_t size, const char *format, ...) {
  if (!message || size == 0) return;
  va_list args;
  va_start(args, format);
  vsnprintf(message, size, format, args);
  va_end(args);
  for (char *c = message; *c; c++)
    if ((unsigned char)*c < 0x20 || *c == 0x7f) *c = '?';
}

static const char *fst_cache__strerror(int error, char *buffer, size_t size) {
  /* The GNU strerror_r (we build with _GNU_SOURCE): thread-safe, unlike
   * strerror, and it returns the string to use. */
  return strerror_r(error, buffer, size);
}

/* ---------------------------------------------------------------------- */
/* Deep copies of fst_file_info                                            */

static int fst_cache__copy_strings(char **const src, size_t n, char ***out) {
  *out = NULL;
  if (n == 0) return 0;
  char **copy = fst_calloc(n, sizeof *copy);
  if (!copy) return FST_CACHE_ENOMEM;
  *out = copy;
  for (size_t i = 0; i < n; i++) {
    if (!src[i]) continue;
    copy[i] = fst_strdup(src[i]);
    if (!copy[i]) return FST_CACHE_ENOMEM; /* the caller clears the half copy */
  }
  return 0;
}

/* Copy `src` into the zeroed `dst`.  On failure `dst` is cleared. */
static int fst_cache__info_copy(fst_file_info *dst, const fst_file_info *src) {
  dst->verdict = src->verdict;
  dst->hooks = src->hooks;
  if (src->reason && !(dst->reason = fst_strdup(src->reason))) goto nomem;
  if (src->n_items) {
    dst->items = fst_calloc(src->n_items, sizeof *dst->items);
    if (!dst->items) goto nomem;
    dst->n_items = src->n_items;
    for (size_t i = 0; i < src->n_items; i++) {
      const fst_item *from = &src->items[i];
      fst_item *to = &dst->items[i];
      to->line = from->line;
      if (from->name && !(to->name = fst_strdup(from->name))) goto nomem;
      to->n_markers = from->n_markers;
      if (fst_cache__copy_strings(from->markers, from->n_markers, &to->markers) != 0) {
        if (!to->markers) to->n_markers = 0;
        goto nomem;
      }
    }
  }
  dst->n_imports = src->n_imports;
  if (fst_cache__copy_strings(src->imports, src->n_imports, &dst->imports) != 0) goto nomem;
  dst->n_collect_ignore = src->n_collect_ignore;
  if (fst_cache__copy_strings(src->collect_ignore, src->n_collect_ignore, &dst->collect_ignore) !=
      0)
    goto nomem;
  dst->n_collect_ignore_glob = src->n_collect_ignore_glob;
  if (fst_cache__copy_strings(src->collect_ignore_glob, src->n_collect_ignore_glob,
                              &dst->collect_ignore_glob) != 0)
    goto nomem;
  return 0;
nomem:
  /* Counts set before their arrays were allocated would make the clear walk
   * a NULL array: fst_file_info_clear frees by count. */
  if (!dst->imports) dst->n_imports = 0;
  if (!dst->collect_ignore) dst->n_collect_ignore = 0;
  if (!dst->collect_ignore_glob) dst->n_collect_ignore_glob = 0;
  fst_file_info_clear(dst);
  return FST_CACHE_ENOMEM;
}

/* ---------------------------------------------------------------------- */
/* The table                                                               */

static uint64_t fst_cache__hash(const char *path) {
  uint64_t hash = 0xcbf29ce484222325u; /* FNV-1a, 64 bits */
  for (const unsigned char *c = (const unsigned char *)path; *c; c++) {
    hash ^= *c;
    hash *= 0x100000001b3u;
  }
  return hash;
}

/* Position of `path` in entries, or -1. */
static ptrdiff_t fst_cache__find(const fst_cache *self, const char *path, uint64_t hash) {
  if (self->index_slots == 0) return -1;
  size_t mask = self->index_slots - 1;
  for (size_t slot = hash & mask;; slot = (slot + 1) & mask) {
    size_t at = self->index[slot];
    if (at == 0) return -1;
    const fst_cache__entry *entry = &self->entries[at - 1];
    if (entry->hash == hash && strcmp(entry->path, path) == 0) return (ptrdiff_t)(at - 1);
  }
}

static void fst_cache__index_insert(size_t *index, size_t slots, uint64_t hash, size_t at) {
  size_t mask = slots - 1;
  size_t slot = hash & mask;
  while (index[slot] != 0) slot = (slot + 1) & mask;
  index[slot] = at + 1;
}

/* Make room for one more entry (array and index) without changing anything
 * observable, so that a failed put leaves the cache as it was. */
static int fst_cache__reserve(fst_cache *self) {
  if (self->count == self->capacity) {
    size_t capacity = self->capacity ? self->capacity * 2 : 64;
    fst_cache__entry *grown = fst_realloc(self->entries, capacity * sizeof *grown);
    if (!grown) return FST_CACHE_ENOMEM;
    self->entries = grown;
    self->capacity = capacity;
  }
  if ((self->count + 1) * 2 > self->index_slots) {
    size_t slots = self->index_slots ? self->index_slots * 2 : 128;
    size_t *index = fst_calloc(slots, sizeof *index);
    if (!index) return FST_CACHE_ENOMEM;
    for (size_t i = 0; i < self->count; i++)
      fst_cache__index_insert(index, slots, self->entries[i].hash, i);
    fst_free(self->index);
    self->index = index;
    self->index_slots = slots;
  }
  return 0;
}

/* Store `entry` (taking ownership of its path and info), replacing the entry
 * of the same path in place.  Call fst_cache__reserve first. */
static void fst_cache__store(fst_cache *self, fst_cache__entry *entry) {
  ptrdiff_t at = fst_cache__find(self, entry->path, entry->hash);
  if (at >= 0) {
    fst_cache__entry *old = &self->entries[at];
    fst_free(old->path);
    fst_file_info_clear(&old->info);
    *old = *entry;
    return;
  }
  self->entries[self->count] = *entry;
  fst_cache__index_insert(self->index, self->index_slots, entry->hash, self->count);
  self->count++;
}

static void fst_cache__clear(fst_cache *self) {
  for (size_t i = 0; i < self->count; i++) {
    fst_free(self->entries[i].path);
    fst_file_info_clear(&self->entries[i].info);
  }
  self->count = 0;
  if (self->index) memset(self->index, 0, self->index_slots * sizeof *self->index);
}

/* ---------------------------------------------------------------------- */
/* Reading                                                                 */

/* The detail of a rejection, without the file's name. */
typedef struct {
  char text[256];
} fst_cache__why;

static int fst_cache__reject(fst_cache__why *why, int status, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

static int fst_cache__reject(fst_cache__why *why, int status, const char *format, ...) {
  va_list args;
  va_start(args, format);
  vsnprintf(why->text, sizeof why->text, format, args);
  va_end(args);
  return status;
}

/* A number that is an integer in [0, max], exactly. */
static int fst_cache__read_uint(const cJSON *item, double max, uint64_t *out) {
  if (!cJSON_IsNumber(item)) return -1;
  double value = item->valuedouble;
  /* Written so that NaN fails too, and before any conversion: converting an
   * out-of-range double to an integer is undefined. */
  if (!(value >= 0 && value <= max)) return -1;
  uint64_t integer = (uint64_t)value;
  if ((double)integer != value) return -1;
  *out = integer;
  return 0;
}

/* A decimal int64 in a string: "-"? digits, nothing else. */
static int fst_cache__read_int64_string(const cJSON *item, int64_t *out) {
  if (!cJSON_IsString(item) || !item->valuestring) return -1;
  const char *c = item->valuestring;
  int negative = *c == '-';
  if (negative) c++;
  if (*c == '\0') return -1;
  /* Accumulate as a negative number: its range includes INT64_MIN. */
  int64_t value = 0;
  for (; *c; c++) {
    if (*c < '0' || *c > '9') return -1;
    int digit = *c - '0';
    if (value < (INT64_MIN + digit) / 10) return -1;
    value = value * 10 - digit;
  }
  if (!negative) {
    if (value == INT64_MIN) return -1;
    value = -value;
  }
  *out = value;
  return 0;
}

/* An array of strings into a fst_malloc'ed char*[] (NULL when empty).
 * Returns 0, FST_CACHE_EINVALID (wrong types) or FST_CACHE_ENOMEM; *out and
 * *n are set only on success. */
static int fst_cache__read_strings(const cJSON *array, char ***out, size_t *n) {
  if (!cJSON_IsArray(array)) return FST_CACHE_EINVALID;
  size_t count = 0;
  const cJSON *item;
  cJSON_ArrayForEach(item, array) {
    if (!cJSON_IsString(item) || !item->valuestring) return FST_CACHE_EINVALID;
    count++;
  }
  char **strings = NULL;
  if (count) {
    strings = fst_calloc(count, sizeof *strings);
    if (!strings) return FST_CACHE_ENOMEM;
    size_t i = 0;
    cJSON_ArrayForEach(item, array) {
      strings[i] = fst_strdup(item->valuestring);
      if (!strings[i]) {
        for (size_t j = 0; j < i; j++) fst_free(strings[j]);
        fst_free(strings);
        return FST_CACHE_ENOMEM;
      }
      i++;
    }
  }
  *out = strings;
  *n = count;
  return 0;
}

/* "items": [[name, line, [markers]], ...] into info->items. */
static int fst_cache__read_items(const cJSON *array, fst_file_info *info) {
  if (!cJSON_IsArray(array)) return FST_CACHE_EINVALID;
  size_t count = 0;
  const cJSON *item;
  cJSON_ArrayForEach(item, array) {
    if (!cJSON_IsArray(item) || cJSON_GetArraySize(item) != 3) return FST_CACHE_EINVALID;
    const cJSON *name = item->child;
    if (!cJSON_IsString(name) || !name->valuestring) return FST_CACHE_EINVALID;
    count++;
  }
  if (count == 0) return 0;
  info->items = fst_calloc(count, sizeof *info->items);
  if (!info->items) return FST_CACHE_ENOMEM;
  info->n_items = count; /* zeroed: fst_file_info_clear can free a partial fill */
  size_t i = 0;
  cJSON_ArrayForEach(item, array) {
    fst_item *to = &info->items[i++];
    const cJSON *name = item->child;
    const cJSON *line = name->next;
    const cJSON *markers = line->next;
    uint64_t line_number;
    if (fst_cache__read_uint(line, UINT32_MAX, &line_number) != 0) return FST_CACHE_EINVALID;
    to->line = (uint32_t)line_number;
    to->name = fst_strdup(name->valuestring);
    if (!to->name) return FST_CACHE_ENOMEM;
    int status = fst_cache__read_strings(markers, &to->markers, &to->n_markers);
    if (status != 0) return status;
  }
  return 0;
}

/* One "files" member into `entry` (zeroed; path not set here).  Returns 0,
 * FST_CACHE_EINVALID with `why`, or FST_CACHE_ENOMEM; on failure the caller
 * clears entry->info. */
static int fst_cache__read_entry(const cJSON *object, fst_cache__entry *entry,
                                 fst_cache__why *why) {
  const char *field = NULL;
  int status = 0;
  uint64_t number;
  const cJSON *value;
  if (!cJSON_IsObject(object)) {
    field = "(the entry itself)";
    goto invalid;
  }
  field = "size";
  if (fst_cache__read_uint(cJSON_GetObjectItemCaseSensitive(object, field),
                           FST_CACHE__MAX_EXACT_DOUBLE, &number) != 0)
    goto invalid;
  entry->size = (int64_t)number;
  field = "mtime_ns";
  if (fst_cache__read_int64_string(cJSON_GetObjectItemCaseSensitive(object, field),
                                   &entry->mtime_ns) != 0)
    goto invalid;
  field = "verdict";
  if (fst_cache__read_uint(cJSON_GetObjectItemCaseSensitive(object, field), 1, &number) != 0)
    goto invalid;
  entry->info.verdict = number ? FST_VERDICT_NEEDS_IMPORT : FST_VERDICT_STATIC_EXACT;
  field = "hooks";
  if (fst_cache__read_uint(cJSON_GetObjectItemCaseSensitive(object, field), UINT32_MAX, &number) !=
      0)
    goto invalid;
  entry->info.hooks = (uint32_t)number;
  field = "reason";
  value = cJSON_GetObjectItemCaseSensitive(object, field);
  if (cJSON_IsString(value) && value->valuestring) {
    if (!(entry->info.reason = fst_strdup(value->valuestring))) return FST_CACHE_ENOMEM;
  } else if (!cJSON_IsNull(value)) {
    goto invalid;
  }
  field = "items";
  status = fst_cache__read_items(cJSON_GetObjectItemCaseSensitive(object, field), &entry->info);
  if (status != 0) goto failed;
  field = "imports";
  status = fst_cache__read_strings(cJSON_GetObjectItemCaseSensitive(object, field),
                                   &entry->info.imports, &entry->info.n_imports);
  if (status != 0) goto failed;
  field = "collect_ignore";
  status = fst_cache__read_strings(cJSON_GetObjectItemCaseSensitive(object, field),
                                   &entry->info.collect_ignore, &entry->info.n_collect_ignore);
  if (status != 0) goto failed;
  field = "collect_ignore_glob";
  status =
      fst_cache__read_strings(cJSON_GetObjectItemCaseSensitive(object, field),
                              &entry->info.collect_ignore_glob, &entry->info.n_collect_ignore_glob);
  if (status != 0) goto failed;
  return 0;
failed:
  if (status == FST_CACHE_ENOMEM) return status;
invalid:
  return fst_cache__reject(why, FST_CACHE_EINVALID, "field \"%s\" of the entry for %s is invalid",
                           field, object->string ? object->string : "?");
}

static int fst_cache__is_json_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Parse `data` into the (empty) cache.  On failure the cache is emptied. */
static int fst_cache__parse(fst_cache *self, const char *data, size_t length, fst_cache__why *why) {
  if (length == 0) return fst_cache__reject(why, FST_CACHE_EINVALID, "the file is empty");
  if (length > FST_CACHE_MAX_BYTES)
    return fst_cache__reject(why, FST_CACHE_EINVALID, "%zu bytes is too large (limit %u)", length,
                             FST_CACHE_MAX_BYTES);
  const char *end = NULL;
  cJSON *root = cJSON_ParseWithLengthOpts(data, length, &end, 0);
  if (!root) {
    /* cJSON also fails this way when out of memory: indistinguishable here,
     * and either way the run rebuilds the cache. */
    size_t at = end && end >= data && end <= data + length ? (size_t)(end - data) : 0;
    return fst_cache__reject(why, FST_CACHE_EINVALID,
                             "not valid JSON (corrupt or truncated) near byte %zu of %zu", at,
                             length);
  }
  int status = 0;
  for (const char *c = end; c && c < data + length; c++) {
    if (!fst_cache__is_json_space(*c)) {
      status = fst_cache__reject(why, FST_CACHE_EINVALID, "unexpected bytes after the JSON value");
      goto done;
    }
  }
  const cJSON *producer = cJSON_GetObjectItemCaseSensitive(root, "producer");
  if (!cJSON_IsObject(root) || !cJSON_IsString(producer) || !producer->valuestring ||
      strcmp(producer->valuestring, FST_CACHE_PRODUCER) != 0) {
    status = fst_cache__reject(why, FST_CACHE_EFOREIGN, "not written by %s", FST_CACHE_PRODUCER);
    goto done;
  }
  uint64_t schema;
  if (fst_cache__read_uint(cJSON_GetObjectItemCaseSensitive(root, "schema"), UINT32_MAX, &schema) !=
          0 ||
      schema != FST_CACHE_SCHEMA) {
    status = fst_cache__reject(why, FST_CACHE_EFOREIGN,
                               "another schema than %d (another version "
                               "of the plugin)",
                               FST_CACHE_SCHEMA);
    goto done;
  }
  const cJSON *fingerprint = cJSON_GetObjectItemCaseSensitive(root, "fingerprint");
  if (!cJSON_IsString(fingerprint) || !fingerprint->valuestring) {
    status = fst_cache__reject(why, FST_CACHE_EINVALID, "no fingerprint");
    goto done;
  }
  if (strcmp(fingerprint->valuestring, self->fingerprint) != 0) {
    status = fst_cache__reject(why, FST_CACHE_ESTALE,
                               "written under another configuration (fingerprint)");
    goto done;
  }
  const cJSON *files = cJSON_GetObjectItemCaseSensitive(root, "files");
  if (!cJSON_IsObject(files)) {
    status = fst_cache__reject(why, FST_CACHE_EINVALID, "\"files\" is not an object");
    goto done;
  }
  const cJSON *file;
  cJSON_ArrayForEach(file, files) {
    fst_cache__entry entry = {0};
    /* Members of a parsed object always have a key; checked all the same. */
    if (!file->string) {
      status = fst_cache__reject(why, FST_CACHE_EINVALID, "a file entry has no path");
      goto done;
    }
    status = fst_cache__read_entry(file, &entry, why);
    if (status == 0 && !(entry.path = fst_strdup(file->string))) status = FST_CACHE_ENOMEM;
    if (status == 0) status = fst_cache__reserve(self);
    if (status != 0) {
      fst_free(entry.path);
      fst_file_info_clear(&entry.info);
      goto done;
    }
    entry.hash = fst_cache__hash(entry.path);
    fst_cache__store(self, &entry);
  }
done:
  cJSON_Delete(root);
  if (status == FST_CACHE_ENOMEM) fst_cache__reject(why, status, "out of memory");
  if (status != 0) fst_cache__clear(self);
  return status;
}

/* ---------------------------------------------------------------------- */
/* Writing                                                                 */

typedef struct {
  char *data;
  size_t length;
  size_t capacity;
  int failed; /* sticky: out of memory */
} fst_cache__buffer;

static void fst_cache__append(fst_cache__buffer *buffer, const char *bytes, size_t n) {
  if (buffer->failed) return;
  if (buffer->length + n + 1 > buffer->capacity) {
    size_t capacity = buffer->capacity ? buffer->capacity : 4096;
    while (buffer->length + n + 1 > capacity) capacity *= 2;
    char *grown = fst_realloc(buffer->data, capacity);
    if (!grown) {
      buffer->failed = 1;
      return;
    }
    buffer->data = grown;
    buffer->capacity = capacity;
  }
  memcpy(buffer->data + buffer->length, bytes, n);
  buffer->length += n;
  buffer->data[buffer->length] = '\0';
}

static void fst_cache__append_literal(fst_cache__buffer *buffer, const char *text) {
  fst_cache__append(buffer, text, strlen(text));
}

/* A JSON string.  Bytes >= 0x80 pass through unchanged (paths need not be
 * UTF-8; cJSON reads them back byte for byte). */
static void fst_cache__append_string(fst_cache__buffer *buffer, const char *text) {
  static const char hex[] = "0123456789abcdef";
  if (!text) text = "";
  fst_cache__append(buffer, "\"", 1);
  const char *run = text;
  for (const char *c = text;; c++) {
    unsigned char byte = (unsigned char)*c;
    if (byte != 0 && byte >= 0x20 && byte != '"' && byte != '\\') continue;
    fst_cache__append(buffer, run, (size_t)(c - run));
    if (byte == 0) break;
    char escape[6] = {'\\', (char)byte, 0, 0, 0, 0};
    size_t n = 2;
    if (byte < 0x20) {
      escape[1] = 'u';
      escape[2] = '0';
      escape[3] = '0';
      escape[4] = hex[byte >> 4];
      escape[5] = hex[byte & 15];
      n = 6;
    }
    fst_cache__append(buffer, escape, n);
    run = c + 1;
  }
  fst_cache__append(buffer, "\"", 1);
}

static void fst_cache__append_int(fst_cache__buffer *buffer, int64_t value) {
  char text[24];
  int n = snprintf(text, sizeof text, "%" PRId64, value);
  fst_cache__append(buffer, text, (size_t)n);
}

static void fst_cache__append_strings(fst_cache__buffer *buffer, char *const *strings, size_t n) {
  fst_cache__append(buffer, "[", 1);
  for (size_t i = 0; i < n; i++) {
    if (i) fst_cache__append(buffer, ",", 1);
    fst_cache__append_string(buffer, strings[i]);
  }
  fst_cache__append(buffer, "]", 1);
}

/* Entries the reader would reject (impossible from stat and extraction, but
 * put accepts any values) are left out rather than poisoning the file. */
static int fst_cache__writable(const fst_cache__entry *entry) {
  return entry->size >= 0 && (double)entry->size <= FST_CACHE__MAX_EXACT_DOUBLE &&
         (entry->info.verdict == FST_VERDICT_STATIC_EXACT ||
          entry->info.verdict == FST_VERDICT_NEEDS_IMPORT);
}

/* Whether fst_cache_save keeps the entry (fst_cache.h, "What is saved"). */
static int fst_cache__worth_saving(const fst_cache__entry *entry) {
  if (entry->racy) return 0;
  if (entry->touched) return 1;
  struct stat st;
  if (stat(entry->path, &st) == 0) return 1;
  /* Only a path that certainly no longer exists is dropped; EACCES or EIO
   * may be passing. */
  return errno != ENOENT && errno != ENOTDIR;
}

static int fst_cache__serialize(fst_cache *self, int pruning, fst_cache__buffer *buffer) {
  fst_cache__append_literal(buffer, "{\"schema\":");
  fst_cache__append_int(buffer, FST_CACHE_SCHEMA);
  fst_cache__append_literal(buffer, ",\"producer\":");
  fst_cache__append_string(buffer, FST_CACHE_PRODUCER);
  fst_cache__append_literal(buffer, ",\"fingerprint\":");
  fst_cache__append_string(buffer, self->fingerprint);
  fst_cache__append_literal(buffer, ",\"files\":{");
  int first = 1;
  for (size_t i = 0; i < self->count && !buffer->failed; i++) {
    const fst_cache__entry *entry = &self->entries[i];
    if (!fst_cache__writable(entry) || (pruning && !fst_cache__worth_saving(entry))) continue;
    const fst_file_info *info = &entry->info;
    if (!first) fst_cache__append(buffer, ",", 1);
    first = 0;
    fst_cache__append_string(buffer, entry->path);
    fst_cache__append_literal(buffer, ":{\"size\":");
    fst_cache__append_int(buffer, entry->size);
    fst_cache__append_literal(buffer, ",\"mtime_ns\":\"");
    fst_cache__append_int(buffer, entry->mtime_ns);
    fst_cache__append_literal(buffer, "\",\"verdict\":");
    fst_cache__append_int(buffer, info->verdict);
    fst_cache__append_literal(buffer, ",\"reason\":");
    if (info->reason)
      fst_cache__append_string(buffer, info->reason);
    else
      fst_cache__append_literal(buffer, "null");
    fst_cache__append_literal(buffer, ",\"items\":[");
    for (size_t j = 0; j < info->n_items; j++) {
      const fst_item *item = &info->items[j];
      fst_cache__append_literal(buffer, j ? ",[" : "[");
      fst_cache__append_string(buffer, item->name);
      fst_cache__append(buffer, ",", 1);
      fst_cache__append_int(buffer, item->line);
      fst_cache__append(buffer, ",", 1);
      fst_cache__append_strings(buffer, item->markers, item->n_markers);
      fst_cache__append(buffer, "]", 1);
    }
    fst_cache__append_literal(buffer, "],\"imports\":");
    fst_cache__append_strings(buffer, info->imports, info->n_imports);
    fst_cache__append_literal(buffer, ",\"hooks\":");
    fst_cache__append_int(buffer, info->hooks);
    fst_cache__append_literal(buffer, ",\"collect_ignore\":");
    fst_cache__append_strings(buffer, info->collect_ignore, info->n_collect_ignore);
    fst_cache__append_literal(buffer, ",\"collect_ignore_glob\":");
    fst_cache__append_strings(buffer, info->collect_ignore_glob, info->n_collect_ignore_glob);
    fst_cache__append(buffer, "}", 1);
  }
  fst_cache__append_literal(buffer, "}}\n");
  if (buffer->failed) {
    fst_free(buffer->data);
    *buffer = (fst_cache__buffer){0};
    return FST_CACHE_ENOMEM;
  }
  return 0;
}

/* mkdir -p of the directory part of `path`. */
static int fst_cache__make_parents(const char *path) {
  char *copy = fst_strdup(path);
  if (!copy) return FST_CACHE_ENOMEM;
  int status = 0, error = 0;
  char *slash = strrchr(copy, '/');
  if (slash && slash != copy) {
    *slash = '\0';
    for (char *c = copy + 1;; c++) {
      if (*c != '/' && *c != '\0') continue;
      char saved = *c;
      *c = '\0';
      if (mkdir(copy, 0777) != 0 && errno != EEXIST) {
        error = errno;
        status = FST_CACHE_EIO;
      }
      *c = saved;
      if (saved == '\0' || status != 0) break;
    }
  }
  fst_free(copy);
  errno = error; /* for the caller's message: free() may clobber it */
  return status;
}

static int fst_cache__write_all(int fd, const char *data, size_t length) {
  while (length > 0) {
    ssize_t n = write(fd, data, length);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (n == 0) { /* no progress and no error: treat as a full disk */
      errno = ENOSPC;
      return -1;
    }
    data += n;
    length -= (size_t)n;
  }
  return 0;
}

/* Write `data` to `path` through a temporary file and a rename. */
static int fst_cache__write_atomically(const char *path, const char *data, size_t length,
                                       char *message, size_t size) {
  size_t temp_size = strlen(path) + 64;
  char *temp = fst_malloc(temp_size);
  if (!temp) {
    fst_cache__message(message, size, "cannot write cache %s: out of memory", path);
    return FST_CACHE_ENOMEM;
  }
  int fd = -1;
  int made_parents = 0;
  const char *step = "cannot create a temporary file for";
  /* O_EXCL: a leftover temporary file of a dead process with our pid is
   * never reused (its content is unknown); try the next name instead. */
  for (int attempt = 0; attempt < 100 && fd < 0; attempt++) {
    snprintf(temp, temp_size, "%s.%ld.%lu.tmp", path, (long)getpid(),
             (unsigned long)atomic_fetch_add(&fst_cache__temp_counter, 1));
    fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0 || errno == EEXIST) continue;
    if (errno != ENOENT || made_parents) break;
    made_parents = 1;
    int status = fst_cache__make_parents(path);
    if (status == FST_CACHE_ENOMEM) {
      fst_free(temp);
      fst_cache__message(message, size, "cannot write cache %s: out of memory", path);
      return status;
    }
    if (status != 0) {
      step = "cannot create the directory of";
      break;
    }
  }
  int error = 0;
  if (fd < 0) {
    error = errno;
  } else {
    step = "cannot write";
    if (fst_cache__write_all(fd, data, length) != 0) error = errno;
    /* close() reports write-back errors of some file systems (NFS). */
    if (close(fd) != 0 && !error) error = errno;
    if (!error) {
      step = "cannot replace";
      if (rename(temp, path) != 0) error = errno;
    }
    if (error) unlink(temp);
  }
  fst_free(temp);
  if (!error) return 0;
  char text[128];
  fst_cache__message(message, size, "%s cache %s: %s", step, path,
                     fst_cache__strerror(error, text, sizeof text));
  return FST_CACHE_EIO;
}

/* ---------------------------------------------------------------------- */
/* Public API                                                              */

int fst_cache_new(const char *fingerprint, fst_cache **out) {
  assert(fingerprint && out);
  *out = NULL;
  fst_cache *self = fst_calloc(1, sizeof *self);
  if (!self) return FST_CACHE_ENOMEM;
  self->fingerprint = fst_strdup(fingerprint);
  if (!self->fingerprint || pthread_mutex_init(&self->mutex, NULL) != 0) {
    fst_free(self->fingerprint);
    fst_free(self);
    return FST_CACHE_ENOMEM;
  }
  *out = self;
  return 0;
}

void fst_cache_delete(fst_cache *self) {
  if (!self) return;
  fst_cache__clear(self);
  pthread_mutex_destroy(&self->mutex);
  fst_free(self->entries);
  fst_free(self->index);
  fst_free(self->fingerprint);
  fst_free(self);
}

int fst_cache_load_bytes(fst_cache *self, const char *data, size_t length, char *message,
                         size_t size) {
  assert(self && (data || length == 0));
  fst_cache__why why = {{0}};
  pthread_mutex_lock(&self->mutex);
  fst_cache__clear(self);
  int status = fst_cache__parse(self, data, length, &why);
  pthread_mutex_unlock(&self->mutex);
  if (status != 0)
    fst_cache__message(message, size, "cache ignored: %s", why.text);
  else
    fst_cache__message(message, size, "%s", "");
  return status;
}

/* Read the file at `path` into a new buffer.  Returns 0 with the bytes, 1
 * when there is no file, or a negative status with `why`. */
static int fst_cache__read_file(const char *path, char **out, size_t *length, fst_cache__why *why) {
  char text[128];
  /* O_NONBLOCK: opening a FIFO planted at the path must not hang the run. */
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    if (errno == ENOENT) return 1;
    return fst_cache__reject(why, FST_CACHE_EIO, "cannot open it: %s",
                             fst_cache__strerror(errno, text, sizeof text));
  }
  struct stat st;
  int status = 0;
  char *data = NULL;
  size_t have = 0;
  if (fstat(fd, &st) != 0) {
    status = fst_cache__reject(why, FST_CACHE_EIO, "cannot stat it: %s",
                               fst_cache__strerror(errno, text, sizeof text));
  } else if (S_ISDIR(st.st_mode)) {
    status = fst_cache__reject(why, FST_CACHE_EIO, "it is a directory");
  } else if (!S_ISREG(st.st_mode)) {
    status = fst_cache__reject(why, FST_CACHE_EIO, "it is not a regular file");
  } else if ((uint64_t)st.st_size > FST_CACHE_MAX_BYTES) {
    status = fst_cache__reject(why, FST_CACHE_EINVALID, "%jd bytes is too large (limit %u)",
                               (intmax_t)st.st_size, FST_CACHE_MAX_BYTES);
  } else if (!(data = fst_malloc((size_t)st.st_size + 1))) {
    status = fst_cache__reject(why, FST_CACHE_ENOMEM, "out of memory");
  } else {
    /* A file that shrinks meanwhile gives a short read: the parser then
     * rejects it as truncated.  One that grows is read up to its old size. */
    while (have < (size_t)st.st_size) {
      ssize_t n = read(fd, data + have, (size_t)st.st_size - have);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        status = fst_cache__reject(why, FST_CACHE_EIO, "cannot read it: %s",
                                   fst_cache__strerror(errno, text, sizeof text));
        break;
      }
      if (n == 0) break;
      have += (size_t)n;
    }
    data[have] = '\0';
  }
  close(fd);
  if (status != 0) {
    fst_free(data);
    return status;
  }
  *out = data;
  *length = have;
  return 0;
}

int fst_cache_load(fst_cache *self, const char *path, char *message, size_t size) {
  assert(self && path);
  fst_cache__why why = {{0}};
  char *data = NULL;
  size_t length = 0;
  pthread_mutex_lock(&self->mutex);
  fst_cache__clear(self);
  int status = fst_cache__read_file(path, &data, &length, &why);
  if (status == 0) status = fst_cache__parse(self, data, length, &why);
  pthread_mutex_unlock(&self->mutex);
  fst_free(data);
  if (status == 1) status = 0; /* no file yet: a cold run, nothing to say */
  if (status != 0)
    fst_cache__message(message, size, "cache %s ignored: %s", path, why.text);
  else
    fst_cache__message(message, size, "%s", "");
  return status;
}

int fst_cache_lookup(fst_cache *self, const char *path, int64_t size, int64_t mtime_ns,
                     fst_file_info *out) {
  assert(self && path && out);
  uint64_t hash = fst_cache__hash(path);
  pthread_mutex_lock(&self->mutex);
  int found = 0;
  ptrdiff_t at = fst_cache__find(self, path, hash);
  if (at >= 0) {
    fst_cache__entry *entry = &self->entries[at];
    if (entry->size == size && entry->mtime_ns == mtime_ns) {
      found = fst_cache__info_copy(out, &entry->info) == 0 ? 1 : FST_CACHE_ENOMEM;
      if (found == 1) entry->touched = 1;
    }
  }
  pthread_mutex_unlock(&self->mutex);
  return found;
}

int fst_cache_reuse(void *ctx, const char *path, int64_t size, int64_t mtime_ns,
                    fst_file_info *out) {
  return fst_cache_lookup(ctx, path, size, mtime_ns, out);
}

int fst_cache_put(fst_cache *self, const char *path, int64_t size, int64_t mtime_ns,
                  const fst_file_info *info) {
  assert(self && path && info);
  fst_cache__entry entry = {0};
  entry.path = fst_strdup(path);
  if (!entry.path) return FST_CACHE_ENOMEM;
  if (fst_cache__info_copy(&entry.info, info) != 0) {
    fst_free(entry.path);
    return FST_CACHE_ENOMEM;
  }
  entry.hash = fst_cache__hash(path);
  entry.size = size;
  entry.mtime_ns = mtime_ns;
  entry.touched = 1;
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  int64_t now_ns = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
  /* Written as a comparison against now - margin: now - mtime_ns could
   * overflow for absurd mtimes. */
  entry.racy = mtime_ns > now_ns - FST_CACHE_RACY_NS;
  pthread_mutex_lock(&self->mutex);
  int status = fst_cache__reserve(self);
  if (status == 0) fst_cache__store(self, &entry);
  pthread_mutex_unlock(&self->mutex);
  if (status != 0) {
    fst_free(entry.path);
    fst_file_info_clear(&entry.info);
  }
  return status;
}

size_t fst_cache_count(fst_cache *self) {
  assert(self);
  pthread_mutex_lock(&self->mutex);
  size_t count = self->count;
  pthread_mutex_unlock(&self->mutex);
  return count;
}

int fst_cache_to_bytes(fst_cache *self, char **out, size_t *length) {
  assert(self && out && length);
  fst_cache__buffer buffer = {0};
  pthread_mutex_lock(&self->mutex);
  int status = fst_cache__serialize(self, 0, &buffer);
  pthread_mutex_unlock(&self->mutex);
  *out = buffer.data;
  *length = buffer.length;
  return status;
}

int fst_cache_save(fst_cache *self, const char *path, char *message, size_t size) {
  assert(self && path);
  fst_cache__buffer buffer = {0};
  pthread_mutex_lock(&self->mutex);
  int status = fst_cache__serialize(self, 1, &buffer);
  pthread_mutex_unlock(&self->mutex);
  if (status != 0) {
    fst_cache__message(message, size, "cannot write cache %s: out of memory", path);
    return status;
  }
  status = fst_cache__write_atomically(path, buffer.data, buffer.length, message, size);
  fst_free(buffer.data);
  if (status == 0) fst_cache__message(message, size, "%s", "");
  return status;
}
