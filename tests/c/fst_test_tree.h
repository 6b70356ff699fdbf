/*
 * fst_test_tree.h - throw-away directory trees for the walker and discovery
 * tests.  One tree at a time: fst_test_tree holds its absolute path.
 */
#ifndef FST_TEST_TREE_H
#define FST_TEST_TREE_H

#include <stddef.h>

/* The current tree's absolute path ("" before fst_test_tree_new). */
extern char fst_test_tree[256];

/* A new empty tree named <prefix>_XXXXXX, on tmpfs when there is one (the
 * 100,000-file test then takes a second instead of most of a minute of disk
 * metadata work).  Exits on failure. */
void fst_test_tree_new(const char *prefix);

/* Removes the tree, unreadable directories included. */
void fst_test_tree_remove(void);

/* `rel` inside the tree, into `out`. */
void fst_test_tree_path(char *out, size_t size, const char *rel);

/* Creates the missing directories of `path` (absolute, inside the tree). */
void fst_test_tree_mkdirs_for(const char *path);

/* Creates file `rel` with `content` (and its directories); a trailing '/'
 * makes a directory instead.  Exits on failure. */
void fst_test_tree_write(const char *rel, const char *content);

#endif /* FST_TEST_TREE_H */
