/*
 * replay_main.c - a plain main() for the fuzz harnesses.
 *
 * Built without libFuzzer, each harness replays the files (or directories
 * of files) named on its command line through LLVMFuzzerTestOneInput, so
 * the seed corpus runs as a regression test under any compiler and under
 * the sanitizer build.  With -Dfuzzing=true the harnesses link libFuzzer
 * instead and this file is not used.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    perror(path);
    return -1;
  }
  size_t capacity = 1 << 16, size = 0;
  uint8_t *data = malloc(capacity);
  size_t n;
  while (data && (n = fread(data + size, 1, capacity - size, f)) > 0) {
    size += n;
    if (size == capacity) {
      uint8_t *grown = realloc(data, capacity * 2);
      if (!grown) {
        free(data);
        data = NULL;
        break;
      }
      data = grown;
      capacity *= 2;
    }
  }
  fclose(f);
  if (!data) return -1;
  LLVMFuzzerTestOneInput(data, size);
  free(data);
  return 0;
}

static int replay(const char *path, size_t *count) {
  struct stat st;
  if (stat(path, &st) != 0) {
    perror(path);
    return -1;
  }
  if (!S_ISDIR(st.st_mode)) {
    (*count)++;
    return replay_file(path);
  }
  DIR *dir = opendir(path);
  if (!dir) {
    perror(path);
    return -1;
  }
  int status = 0;
  struct dirent *entry;
  while ((entry = readdir(dir)) != NULL) {
    if (entry->d_name[0] == '.') continue;
    size_t length = strlen(path) + strlen(entry->d_name) + 2;
    char *child = malloc(length);
    if (!child) {
      status = -1;
      break;
    }
    snprintf(child, length, "%s/%s", path, entry->d_name);
    if (replay(child, count) != 0) status = -1;
    free(child);
  }
  closedir(dir);
  return status;
}

int main(int argc, char **argv) {
  size_t count = 0;
  int status = 0;
  for (int i = 1; i < argc; i++)
    if (replay(argv[i], &count) != 0) status = 1;
  printf("replayed %zu inputs\n", count);
  return status;
}
