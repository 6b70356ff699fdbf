/*
 * fst_pool.h - run N independent tasks on T threads, then join them all.
 *
 * fst_pool_run is one call that starts its threads, runs every task and
 * joins every thread before it returns: no thread of the pool outlives the
 * call (the plugin forks processes later, and a fork with threads alive is
 * unsafe).  Each thread first builds its own per-thread state with
 * `state_new` (e.g. a TSParser: parsers are not thread-safe), claims task
 * indices from a shared atomic counter, and deletes its state at the end.
 * The calling thread is one of the T threads.
 *
 * Ordering: tasks start in increasing index order but run concurrently and
 * finish in any order; a task writes its result to its own slot (by index)
 * and the caller reads the slots after fst_pool_run returns, which orders
 * every task's writes before the caller's reads (pthread_join).
 *
 * Errors: a task or a state_new that returns a negative value stops the
 * pool: no new task is claimed (tasks already running finish), and that
 * first error is returned.  If a thread cannot be created the pool runs
 * with fewer threads - in the end inline on the calling thread alone - and
 * never fails for that reason.
 *
 * Thread-safety: fst_pool_run is reentrant.  The callbacks run
 * concurrently on different threads with different `state`s and the same
 * `ctx`: what they share through `ctx` must be read-only or synchronized.
 * The pool's threads block all asynchronous signals, so signals (SIGINT for
 * Python's KeyboardInterrupt) are delivered to the caller's thread.
 */
#ifndef FST_POOL_H
#define FST_POOL_H

#include <stddef.h>

typedef struct {
  size_t n_tasks;
  unsigned n_threads; /* requested; the pool uses min(n_tasks, n_threads), at least 1 */
  void *ctx;          /* passed to every callback */
  /* Build one thread's state into *state_out (may be NULL to mean none).
   * Returns 0 or a negative error.  Optional (NULL: state is NULL). */
  int (*state_new)(void *ctx, void **state_out);
  /* Release a state built by state_new.  Optional. */
  void (*state_delete)(void *ctx, void *state);
  /* Run task `index` with this thread's state.  Returns 0 or a negative error. */
  int (*task)(void *ctx, void *state, size_t index);
} fst_pool_job;

typedef struct {
  unsigned threads_used;   /* threads that ran tasks, the caller's included */
  unsigned threads_failed; /* pthread_create failures (the work ran on the others) */
} fst_pool_stats;

/* Run every task of `job` (none and no thread when n_tasks is 0).  Returns
 * 0 when all tasks returned 0, else the
 * first negative value of a task or state_new (then some tasks may not have
 * run).  `stats` is optional. */
int fst_pool_run(const fst_pool_job *job, fst_pool_stats *stats);

/* Tests only: the next `n` pthread_create calls of the pool fail (as with
 * EAGAIN); a negative `n` makes every call fail, 0 turns injection off.
 * Not thread-safe against concurrent fst_pool_run calls. */
void fst_pool_fail_thread_starts(int n);

#endif /* FST_POOL_H */
