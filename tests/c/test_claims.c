/* test_claims.c - the claims table: each slot has one holder, for good,
 * across processes forked after the table is made. */
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fst_alloc.h"
#include "fst_claims.h"
#include "fst_test.h"

FST_TEST_DEFINE_GLOBALS;

static void new_should_refuse_an_empty_or_oversized_table(void) {
  fst_claims *claims = (fst_claims *)&claims; /* must be reset to NULL */
  FST_CHECK_INT(fst_claims_new(0, &claims), FST_CLAIMS_ERR_ARG);
  FST_CHECK(claims == NULL);
  FST_CHECK_INT(fst_claims_new(FST_CLAIMS_MAX_SLOTS + 1, &claims), FST_CLAIMS_ERR_ARG);
  FST_CHECK(claims == NULL);
}

static void new_should_report_an_allocation_failure(void) {
  fst_claims *claims = NULL;
  fst_alloc_fail_after(0);
  FST_CHECK_INT(fst_claims_new(4, &claims), FST_CLAIMS_ERR_NOMEM);
  fst_alloc_fail_after(-1);
  FST_CHECK(claims == NULL);
}

static void new_should_start_with_every_slot_free(void) {
  fst_claims *claims = NULL;
  FST_CHECK_INT(fst_claims_new(3, &claims), 0);
  FST_CHECK_INT(fst_claims_count(claims), 3);
  for (size_t slot = 0; slot < 3; slot++) FST_CHECK_INT(fst_claims_holder(claims, slot), 0);
  fst_claims_delete(claims);
}

static void take_should_give_a_slot_to_its_first_claimant_only(void) {
  fst_claims *claims = NULL;
  FST_CHECK_INT(fst_claims_new(2, &claims), 0);
  FST_CHECK_INT(fst_claims_take(claims, 1, 7), 1);
  FST_CHECK_INT(fst_claims_take(claims, 1, 7), 1); /* its holder again: still yes */
  FST_CHECK_INT(fst_claims_take(claims, 1, 8), 0);
  FST_CHECK_INT(fst_claims_holder(claims, 1), 7);
  FST_CHECK_INT(fst_claims_holder(claims, 0), 0); /* the other slot untouched */
  fst_claims_delete(claims);
}

static void take_should_refuse_a_slot_out_of_range_or_holder_zero(void) {
  fst_claims *claims = NULL;
  FST_CHECK_INT(fst_claims_new(2, &claims), 0);
  FST_CHECK_INT(fst_claims_take(claims, 2, 1), FST_CLAIMS_ERR_ARG);
  FST_CHECK_INT(fst_claims_take(claims, 0, 0), FST_CLAIMS_ERR_ARG);
  FST_CHECK_INT(fst_claims_holder(claims, 2), 0);
  FST_CHECK_INT(fst_claims_holder(claims, 0), 0);
  fst_claims_delete(claims);
}

static void delete_should_accept_null(void) { fst_claims_delete(NULL); }

typedef struct {
  uint32_t who;
  size_t got;
} claimed_count;

/* A forked child claims every slot in turn (from the front or the back)
 * and writes how many it got to `fd`. */
static void claim_all_in_child(fst_claims *claims, uint32_t who, int backwards, int fd) {
  claimed_count count;
  memset(&count, 0, sizeof count); /* padding included: it goes through write() */
  count.who = who;
  size_t n = fst_claims_count(claims);
  for (size_t i = 0; i < n; i++) {
    size_t slot = backwards ? n - 1 - i : i;
    if (fst_claims_take(claims, slot, who) == 1) count.got++;
  }
  _exit(write(fd, &count, sizeof count) == (ssize_t)sizeof count ? 0 : 1);
}

static void take_should_give_each_slot_to_one_of_two_racing_processes(void) {
  enum { SLOTS = 200000 };
  fst_claims *claims = NULL;
  FST_CHECK_INT(fst_claims_new(SLOTS, &claims), 0);
  if (!claims) return;
  int fds[2];
  FST_CHECK_INT(pipe(fds), 0);
  pid_t children[2];
  fflush(stdout); /* a child must not print the parent's buffered lines again */
  for (int child = 0; child < 2; child++) {
    children[child] = fork();
    if (children[child] == 0) claim_all_in_child(claims, (uint32_t)child + 1, child, fds[1]);
    FST_CHECK(children[child] > 0);
  }
  close(fds[1]);
  for (int child = 0; child < 2; child++) {
    int status = -1;
    FST_CHECK_INT(waitpid(children[child], &status, 0), children[child]);
    FST_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  /* Both counts are in the pipe, in either order. */
  claimed_count counts[2];
  memset(counts, 0, sizeof counts);
  FST_CHECK_INT(read(fds[0], counts, sizeof counts), sizeof counts);
  close(fds[0]);
  size_t held[3] = {0, 0, 0};
  for (size_t slot = 0; slot < SLOTS; slot++) {
    uint32_t holder = fst_claims_holder(claims, slot);
    FST_CHECK(holder == 1 || holder == 2);
    if (holder <= 2) held[holder]++;
  }
  /* What each child says it got is what it holds: no slot given twice, none lost. */
  FST_CHECK_INT(held[0], 0);
  for (int child = 0; child < 2; child++) {
    FST_CHECK(counts[child].who == 1 || counts[child].who == 2);
    if (counts[child].who == 1 || counts[child].who == 2)
      FST_CHECK_INT(counts[child].got, held[counts[child].who]);
  }
  FST_CHECK(counts[0].who != counts[1].who);
  fst_claims_delete(claims);
}

int main(void) {
  FST_RUN(new_should_refuse_an_empty_or_oversized_table);
  FST_RUN(new_should_report_an_allocation_failure);
  FST_RUN(new_should_start_with_every_slot_free);
  FST_RUN(take_should_give_a_slot_to_its_first_claimant_only);
  FST_RUN(take_should_refuse_a_slot_out_of_range_or_holder_zero);
  FST_RUN(delete_should_accept_null);
  FST_RUN(take_should_give_each_slot_to_one_of_two_racing_processes);
  FST_TEST_EXIT();
}
