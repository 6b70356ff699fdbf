/* fst_test_tree.c - throw-away directory trees for tests. */
#include "fst_test_tree.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char fst_test_tree[256];

void fst_test_tree_new(const char *prefix) {
  struct stat sb;
  const char *base =
      stat("/dev/shm", &sb) == 0 && S_ISDIR(sb.st_mode) && access("/dev/shm", W_OK) == 0
          ? "/dev/shm"
          : "/tmp";
  snprintf(fst_test_tree, sizeof fst_test_tree, "%s/%s_XXXXXX", base, prefix);
  if (!mkdtemp(fst_test_tree)) {
    perror("mkdtemp");
    exit(1);
  }
}

static int fst_test_tree__rm(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
  (void)sb;
  (void)ftw;
  if (flag == FTW_DP || flag == FTW_D || flag == FTW_DNR) {
    chmod(path, 0700);
    rmdir(path);
    return 0;
  }
  unlink(path);
  return 0;
}

void fst_test_tree_remove(void) {
  /* Make unreadable directories readable again first: rm needs to list them. */
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "chmod -R u+rwx %s 2>/dev/null; rm -rf %s", fst_test_tree,
           fst_test_tree);
  if (system(cmd) != 0) nftw(fst_test_tree, fst_test_tree__rm, 16, FTW_DEPTH | FTW_PHYS);
}

void fst_test_tree_path(char *out, size_t size, const char *rel) {
  snprintf(out, size, "%s/%s", fst_test_tree, rel);
}

void fst_test_tree_mkdirs_for(const char *path) {
  char buf[1024];
  snprintf(buf, sizeof buf, "%s", path);
  for (char *p = buf + strlen(fst_test_tree) + 1; *p; p++) {
    if (*p == '/') {
      *p = '\0';
      mkdir(buf, 0755);
      *p = '/';
    }
  }
}

void fst_test_tree_write(const char *rel, const char *content) {
  char path[1024];
  fst_test_tree_path(path, sizeof path, rel);
  fst_test_tree_mkdirs_for(path);
  size_t len = strlen(path);
  if (path[len - 1] == '/') {
    mkdir(path, 0755);
    return;
  }
  FILE *f = fopen(path, "w");
  if (!f) {
    perror(path);
    exit(1);
  }
  fputs(content, f);
  fclose(f);
}
