/* test_pool.c - the parse pool runs every task once, joins every thread,
 * and degrades to fewer threads (down to inline) instead of failing. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "fst_alloc.h"
#include "fst_pool.h"
#include "fst_test.h"

FST_TEST_DEFINE_GLOBALS;

typedef struct {
  atomic_int *runs;        /* per task: how many times it ran */
  atomic_int states_alive;
  atomic_int states_made;
  int fail_task;           /* task index that fails, or -1 */
  int fail_state_after;    /* state_new fails after this many successes, or -1 */
  pthread_t caller;
  atomic_int on_caller;    /* tasks that ran on the calling thread */
} counting_ctx;

typedef struct {
  int tasks_seen;
} counting_state;

static int counting_state_new(void *ctx_, void **out) {
  counting_ctx *ctx = ctx_;
  int made = atomic_fetch_add(&ctx->states_made, 1);
  if (ctx->fail_state_after >= 0 && made >= ctx->fail_state_after) return -7;
  counting_state *state = fst_calloc(1, sizeof *state);
  if (!state) return -1;
  atomic_fetch_add(&ctx->states_alive, 1);
  *out = state;
  return 0;
}

static void counting_state_delete(void *ctx_, void *state) {
  counting_ctx *ctx = ctx_;
  atomic_fetch_sub(&ctx->states_alive, 1);
  fst_free(state);
}

static int counting_task(void *ctx_, void *state_, size_t index) {
  counting_ctx *ctx = ctx_;
  counting_state *state = state_;
  state->tasks_seen++;
  atomic_fetch_add(&ctx->runs[index], 1);
  if (pthread_equal(pthread_self(), ctx->caller)) atomic_fetch_add(&ctx->on_caller, 1);
  if ((int)index == ctx->fail_task) return -5;
  return 0;
}

static counting_ctx *counting_new(size_t n) {
  counting_ctx *ctx = calloc(1, sizeof *ctx);
  ctx->runs = calloc(n ? n : 1, sizeof *ctx->runs);
  ctx->fail_task = -1;
  ctx->fail_state_after = -1;
  ctx->caller = pthread_self();
  return ctx;
}

static void counting_free(counting_ctx *ctx) {
  free(ctx->runs);
  free(ctx);
}

static fst_pool_job counting_job(counting_ctx *ctx, size_t n, unsigned threads) {
  fst_pool_job job = {n, threads, ctx, counting_state_new, counting_state_delete, counting_task};
  return job;
}

static int each_ran_once(const counting_ctx *ctx, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (atomic_load(&ctx->runs[i]) != 1) return 0;
  }
  return 1;
}

static void pool_should_run_every_task_exactly_once(void) {
  size_t n = 10000;
  counting_ctx *ctx = counting_new(n);
  fst_pool_job job = counting_job(ctx, n, 4);
  fst_pool_stats stats = {0};
  FST_CHECK_INT(fst_pool_run(&job, &stats), 0);
  FST_CHECK(each_ran_once(ctx, n));
  FST_CHECK_INT(stats.threads_used, 4);
  FST_CHECK_INT(stats.threads_failed, 0);
  FST_CHECK_INT(atomic_load(&ctx->states_made), 4);
  FST_CHECK_INT(atomic_load(&ctx->states_alive), 0); /* every state deleted before return */
  counting_free(ctx);
}

static void pool_should_use_no_more_threads_than_tasks(void) {
  counting_ctx *ctx = counting_new(2);
  fst_pool_job job = counting_job(ctx, 2, 16);
  fst_pool_stats stats = {0};
  FST_CHECK_INT(fst_pool_run(&job, &stats), 0);
  FST_CHECK(each_ran_once(ctx, 2));
  FST_CHECK_INT(stats.threads_used, 2);
  counting_free(ctx);
}

static void pool_should_do_nothing_without_tasks(void) {
  counting_ctx *ctx = counting_new(0);
  fst_pool_job job = counting_job(ctx, 0, 4);
  fst_pool_stats stats = {1, 1};
  FST_CHECK_INT(fst_pool_run(&job, &stats), 0);
  FST_CHECK_INT(stats.threads_used, 0);
  FST_CHECK_INT(atomic_load(&ctx->states_made), 0);
  counting_free(ctx);
}

static void pool_should_run_inline_when_threads_cannot_start(void) {
  size_t n = 500;
  counting_ctx *ctx = counting_new(n);
  fst_pool_job job = counting_job(ctx, n, 4);
  fst_pool_stats stats = {0};
  fst_pool_fail_thread_starts(-1);
  FST_CHECK_INT(fst_pool_run(&job, &stats), 0);
  fst_pool_fail_thread_starts(0);
  FST_CHECK(each_ran_once(ctx, n));
  FST_CHECK_INT(stats.threads_used, 1);
  FST_CHECK_INT(stats.threads_failed, 3);
  FST_CHECK_INT(atomic_load(&ctx->on_caller), (int)n);
  counting_free(ctx);
}

static void pool_should_share_the_work_among_the_threads_that_started(void) {
  size_t n = 500;
  counting_ctx *ctx = counting_new(n);
  fst_pool_job job = counting_job(ctx, n, 4);
  fst_pool_stats stats = {0};
  fst_pool_fail_thread_starts(2);
  FST_CHECK_INT(fst_pool_run(&job, &stats), 0);
  fst_pool_fail_thread_starts(0);
  FST_CHECK(each_ran_once(ctx, n));
  FST_CHECK_INT(stats.threads_used, 2);
  FST_CHECK_INT(stats.threads_failed, 2);
  counting_free(ctx);
}

static atomic_int plain_runs;
static int plain_task(void *ctx, void *state, size_t index) {
  (void)ctx;
  (void)index;
  if (state != NULL) return -9;
  atomic_fetch_add(&plain_runs, 1);
  return 0;
}

static void pool_should_run_inline_when_out_of_memory(void) {
  fst_pool_job job = {100, 4, NULL, NULL, NULL, plain_task};
  fst_pool_stats stats = {0};
  atomic_store(&plain_runs, 0);
  fst_alloc_fail_after(0);
  int rc = fst_pool_run(&job, &stats);
  fst_alloc_fail_after(-1);
  FST_CHECK_INT(rc, 0);
  FST_CHECK_INT(atomic_load(&plain_runs), 100);
  FST_CHECK_INT(stats.threads_used, 1);
  FST_CHECK_INT(stats.threads_failed, 3);
}

static void pool_should_stop_and_return_the_first_task_error(void) {
  size_t n = 100000;
  counting_ctx *ctx = counting_new(n);
  ctx->fail_task = 10;
  fst_pool_job job = counting_job(ctx, n, 3);
  FST_CHECK_INT(fst_pool_run(&job, NULL), -5);
  FST_CHECK_INT(atomic_load(&ctx->runs[10]), 1);
  int ran = 0;
  for (size_t i = 0; i < n; i++) ran += atomic_load(&ctx->runs[i]);
  FST_CHECK(ran < (int)n); /* claiming stopped early */
  FST_CHECK_INT(atomic_load(&ctx->states_alive), 0);
  counting_free(ctx);
}

static void pool_should_return_a_state_error_and_delete_the_other_states(void) {
  size_t n = 1000;
  counting_ctx *ctx = counting_new(n);
  ctx->fail_state_after = 1; /* the first state succeeds, the others fail */
  fst_pool_job job = counting_job(ctx, n, 4);
  FST_CHECK_INT(fst_pool_run(&job, NULL), -7);
  FST_CHECK_INT(atomic_load(&ctx->states_alive), 0);
  for (size_t i = 0; i < n; i++) FST_CHECK(atomic_load(&ctx->runs[i]) <= 1);
  counting_free(ctx);
}

/* The pool's threads are gone when fst_pool_run returns (the plugin forks
 * after discovery): the process's thread count in /proc is back to what it
 * was. */
static int count_threads(void) {
  FILE *f = fopen("/proc/self/status", "r");
  if (!f) return -1;
  char line[256];
  int threads = -1;
  while (fgets(line, sizeof line, f)) {
    if (sscanf(line, "Threads: %d", &threads) == 1) break;
  }
  fclose(f);
  return threads;
}

/* pthread_join returns once a thread has released its memory map, a moment
 * before the kernel takes it off the process's thread count: wait (up to a
 * second) for the count to settle. A thread left running never leaves it. */
static int settled_thread_count(int expected) {
  int threads = count_threads();
  for (int tries = 0; threads != expected && tries < 1000; tries++) {
    nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
    threads = count_threads();
  }
  return threads;
}

/* Threads of this program besides the pool's: main, and ThreadSanitizer's
 * own background thread when built with it. */
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define FST_TEST__TSAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__) || defined(FST_TEST__TSAN)
#define FST_TEST__OWN_THREADS 2
#else
#define FST_TEST__OWN_THREADS 1
#endif

static void pool_should_leave_no_thread_behind(void) {
  /* The earlier tests' threads may still be leaving the count. */
  int before = settled_thread_count(FST_TEST__OWN_THREADS);
  FST_CHECK_INT(before, FST_TEST__OWN_THREADS);
  for (int round = 0; round < 20; round++) {
    counting_ctx *ctx = counting_new(64);
    fst_pool_job job = counting_job(ctx, 64, 8);
    FST_CHECK_INT(fst_pool_run(&job, NULL), 0);
    FST_CHECK_INT(settled_thread_count(before), before);
    counting_free(ctx);
  }
}

int main(void) {
  FST_RUN(pool_should_run_every_task_exactly_once);
  FST_RUN(pool_should_use_no_more_threads_than_tasks);
  FST_RUN(pool_should_do_nothing_without_tasks);
  FST_RUN(pool_should_run_inline_when_threads_cannot_start);
  FST_RUN(pool_should_share_the_work_among_the_threads_that_started);
  FST_RUN(pool_should_run_inline_when_out_of_memory);
  FST_RUN(pool_should_stop_and_return_the_first_task_error);
  FST_RUN(pool_should_return_a_state_error_and_delete_the_other_states);
  FST_RUN(pool_should_leave_no_thread_behind);
  FST_TEST_EXIT();
}
