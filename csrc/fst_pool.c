/*
 * fst_pool.c - a fork-safe, join-before-return thread pool.
 *
 * Threads: fst_pool_run starts T-1 pthreads and runs the same worker loop
 * on the calling thread, so T threads share the work.  There is no queue
 * and no condition variable: the tasks are the indices 0..N-1, and each
 * worker claims the next one with an atomic fetch-add until they run out
 * (or a failure sets the stop flag).  Claiming one index at a time keeps
 * the load balanced when task costs differ (one 5 MB file among small
 * ones); the fetch-add is negligible against a parse.
 *
 * Lifetime: every started thread is joined before fst_pool_run returns, on
 * success and on error alike; nothing is left behind for a later fork().
 *
 * Degrading: if pthread_create fails (EAGAIN under a thread limit), the
 * threads already started and the calling thread do the work, as SQLite's
 * threads.c runs a task inline when it cannot start a thread.
 *
 * Signals: the started threads inherit a mask blocking every asynchronous
 * signal (set around pthread_create, restored after), so signals keep going
 * to the caller's thread, where Python's handlers expect them.
 */
#include "fst_pool.h"

#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "fst_alloc.h"

typedef struct {
  const fst_pool_job *job;
  atomic_size_t next; /* next unclaimed task index */
  atomic_bool stop;   /* set by the first failure */
  atomic_int error;   /* first negative result, 0 if none */
} fst_pool__shared;

/* Remaining injected pthread_create failures: 0 none, negative all. */
static atomic_int fst_pool__fail_starts = 0;

void fst_pool_fail_thread_starts(int n) { atomic_store(&fst_pool__fail_starts, n); }

static void fst_pool__fail(fst_pool__shared *shared, int rc) {
  int expected = 0;
  atomic_compare_exchange_strong(&shared->error, &expected, rc);
  atomic_store(&shared->stop, true);
}

/* The worker loop, on the pool's threads and on the caller's. */
static void fst_pool__work(fst_pool__shared *shared) {
  const fst_pool_job *job = shared->job;
  void *state = NULL;
  if (job->state_new) {
    int rc = job->state_new(job->ctx, &state);
    if (rc < 0) {
      fst_pool__fail(shared, rc);
      return;
    }
  }
  while (!atomic_load(&shared->stop)) {
    size_t index = atomic_fetch_add(&shared->next, 1);
    if (index >= job->n_tasks) break;
    int rc = job->task(job->ctx, state, index);
    if (rc < 0) fst_pool__fail(shared, rc);
  }
  if (job->state_delete) job->state_delete(job->ctx, state);
}

static void *fst_pool__thread_main(void *arg) {
  fst_pool__work(arg);
  return NULL;
}

static int fst_pool__create(pthread_t *thread, fst_pool__shared *shared) {
  int budget = atomic_load(&fst_pool__fail_starts);
  if (budget < 0) return EAGAIN;
  if (budget > 0) {
    atomic_fetch_sub(&fst_pool__fail_starts, 1);
    return EAGAIN;
  }
  return pthread_create(thread, NULL, fst_pool__thread_main, shared);
}

int fst_pool_run(const fst_pool_job *job, fst_pool_stats *stats) {
  assert(job && job->task);
  if (job->n_tasks == 0) {
    if (stats) stats->threads_used = stats->threads_failed = 0;
    return 0;
  }
  fst_pool__shared shared;
  shared.job = job;
  atomic_init(&shared.next, 0);
  atomic_init(&shared.stop, false);
  atomic_init(&shared.error, 0);

  unsigned want = job->n_threads ? job->n_threads : 1;
  if (job->n_tasks < want) want = (unsigned)job->n_tasks;

  /* Threads beyond the caller's own; an allocation failure here is one
   * more way of running with fewer threads. */
  pthread_t *threads = NULL;
  unsigned started = 0, failed = 0;
  if (want > 1) {
    threads = fst_calloc(want - 1, sizeof *threads);
    if (!threads) failed = want - 1;
  }
  if (threads) {
    sigset_t all, old;
    sigfillset(&all);
    /* Synchronous signals are never blocked: blocking them makes a fault
     * kill the process with no handler run. */
    sigdelset(&all, SIGSEGV);
    sigdelset(&all, SIGBUS);
    sigdelset(&all, SIGFPE);
    sigdelset(&all, SIGILL);
    int masked = pthread_sigmask(SIG_SETMASK, &all, &old) == 0;
    for (unsigned i = 0; i + 1 < want; i++) {
      if (fst_pool__create(&threads[started], &shared) == 0)
        started++;
      else
        failed++;
    }
    if (masked) pthread_sigmask(SIG_SETMASK, &old, NULL);
  }

  fst_pool__work(&shared);

  for (unsigned i = 0; i < started; i++) pthread_join(threads[i], NULL);
  fst_free(threads);
  if (stats) {
    stats->threads_used = started + 1;
    stats->threads_failed = failed;
  }
  return atomic_load(&shared.error);
}
