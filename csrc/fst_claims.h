/*
 * fst_claims.h - a table of slots that processes forked from one parent
 * claim, each slot once.
 *
 * Workers divide the collection of a suite's files between them: each
 * starts with its planned share, and one that finishes early takes files
 * its slower peer has not started yet. A file must be collected by exactly
 * one worker, decided without a round trip through the controller (a file
 * takes a few milliseconds to collect). So the table lives in memory shared
 * by every process forked after it is made (mmap MAP_SHARED|MAP_ANONYMOUS),
 * and a slot goes from free (0) to its holder by one atomic compare-and-
 * swap: whoever swaps first holds it, for good.
 *
 * Ownership: fst_claims_new maps the table; fst_claims_delete unmaps it in
 * the calling process only (forked processes keep their mapping until they
 * delete theirs or exit).
 *
 * Thread- and process-safety: take and holder are lock-free atomic
 * operations on the shared slots, safe from any thread of any process that
 * shares the mapping. new and delete are not safe against concurrent use of
 * the same table in the calling process.
 */
#ifndef FST_CLAIMS_H
#define FST_CLAIMS_H

#include <stddef.h>
#include <stdint.h>

typedef struct fst_claims fst_claims;

enum {
  FST_CLAIMS_ERR_ARG = -1,    /* no slots asked for, too many, or a slot out of range */
  FST_CLAIMS_ERR_NOMEM = -2,  /* the handle could not be allocated */
  FST_CLAIMS_ERR_SYSTEM = -3, /* mmap failed (errno says why) */
};

/* The largest table fst_claims_new makes: far more files than a suite has. */
#define FST_CLAIMS_MAX_SLOTS ((size_t)1 << 24)

/* Map a table of `n_slots` free slots (1 <= n_slots <= FST_CLAIMS_MAX_SLOTS)
 * into *out. Returns 0 or a negative FST_CLAIMS_ERR_*. */
int fst_claims_new(size_t n_slots, fst_claims **out);

/* Unmap the table in this process and free the handle. NULL is a no-op. */
void fst_claims_delete(fst_claims *self);

size_t fst_claims_count(const fst_claims *self);

/* Claim `slot` for `who` (nonzero: 0 means free). Returns 1 when `who`
 * holds the slot now (it was free, or `who` held it already), 0 when
 * another holder has it, FST_CLAIMS_ERR_ARG for a slot out of range or
 * who == 0. */
int fst_claims_take(fst_claims *self, size_t slot, uint32_t who);

/* The holder of `slot`: 0 while free (and for a slot out of range). */
uint32_t fst_claims_holder(const fst_claims *self, size_t slot);

#endif /* FST_CLAIMS_H */
