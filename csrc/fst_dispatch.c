/*
 * fst_dispatch.c - units to worker processes, frames back (fst_dispatch.h).
 *
 * Thread design
 * -------------
 * Two kinds of threads touch a dispatcher:
 *
 *   - caller threads (in practice the Python controller's main thread, with
 *     the GIL released around wait()): add_worker, add_unit, send, run,
 *     stop, close_worker, worker_exited, wait.
 *   - one I/O thread, from start() to delete(): the only thread that calls
 *     poll(), read(), write() and, once started, close() on worker fds.
 *
 * One mutex (`lock`) guards all shared state: the worker table, the units,
 * the queues, every worker's output buffer, the pending event batch and
 * the flags.  What the I/O thread owns alone, without the lock: each
 * worker's frame reader (read(2) fills it directly) and the file
 * descriptors' lifetime (a caller that loses a worker only marks it; the I/O
 * thread closes the fds before it builds its next poll set, so no fd is
 * closed, and perhaps reused, while poll() or read() may still use it).
 * Before start() there is no I/O thread and caller threads close directly.
 *
 * The I/O thread loops:
 *   lock; close fds of lost workers; write pending output (non-blocking:
 *   a worker that does not read keeps its bytes in its buffer and never
 *   blocks the loop); build the poll set (every read fd; a write fd only
 *   while its output is pending; the wake pipe); unlock;
 *   poll(); drain the wake pipe;
 *   for each readable worker: read up to 4 x 64 KiB into its reader without
 *   the lock, then lock once, split frames, append events, handle 'D'
 *   (mark done, refill: scheduling runs right there, so the next 'U' is
 *   written in the same loop turn), unlock.
 * Callers that change what the I/O thread must do (new output, a worker to
 * close, a new worker) write one byte to the wake pipe, at most once per
 * loop turn (`wake_pending`), under the lock; the I/O thread clears the flag
 * under the lock before poll() and drains the pipe after, so no wake-up is
 * lost (at worst one is spurious).
 *
 * Events are appended under the lock to `pending`, a batch being built:
 * an event array plus one arena for payload copies (a FRAME's payload, a
 * WORKER_LOST's unit list), referred to by offset while the arena grows.
 * wait() sleeps on the condition variable `events_ready` in a loop over
 * its predicate (pending events, a sticky error, or the deadline), takes
 * the whole batch in O(1) and turns offsets into pointers outside the
 * lock.  Batching is what keeps the controller cheap: one wake-up and one
 * lock round trip for however many frames arrived.
 *
 * Ordering guarantees: frames of one worker are queued in the order
 * received (one thread reads them, one reader per worker); a worker's
 * WORKER_LOST follows its last FRAME (lost workers' bytes are dropped under
 * the lock); UNIT_SENT is queued before the 'U' can reach the worker, hence
 * before any frame about that unit; ALL_DONE follows the events that made
 * it true.
 *
 * Failures: out of memory on the I/O thread (an event that cannot be
 * stored) sets a sticky error that wait() returns: the run cannot go on
 * with a frame missing.  Out of memory in a caller's call returns NOMEM
 * from that call and leaves the state as it was.  Bad bytes from a worker
 * lose that worker, never the process.
 */
#include "fst_dispatch.h"

#include <assert.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fst_alloc.h"
#include "fst_frame.h"

/* Per readable worker per loop turn: enough to drain a pipe in one or two
 * reads, small enough that one chatty worker cannot starve the others. */
#define FST_DISPATCH__READ_CHUNK ((size_t)64 * 1024)
#define FST_DISPATCH__READS_PER_TURN 4
/* Room for the 'U' wrapper around a unit's payload. */
#define FST_DISPATCH__UNIT_WRAPPER 64

typedef enum {
  FST_DISPATCH__QUEUED = 0,
  FST_DISPATCH__SENT,
  FST_DISPATCH__DONE,
  FST_DISPATCH__LOST,
} fst_dispatch__unit_state;

typedef struct {
  int home;            /* worker id or FST_DISPATCH_ANY */
  int holder;          /* worker id while SENT */
  double cost;         /* estimated seconds to run its tests */
  double collect_cost; /* seconds a worker other than its home takes to collect it */
  uint8_t *payload;    /* owned; freed once sent */
  size_t size;
  fst_dispatch__unit_state state;
} fst_dispatch__unit;

/* A deque of unit ids (ring buffer) with the sum of their costs. */
typedef struct {
  int *items;
  size_t head, count, capacity;
  double cost;
} fst_dispatch__queue;

typedef struct {
  int id;
  pid_t pid;
  int read_fd, write_fd; /* -1 once closed; may be the same socket fd */
  int is_socket;         /* write with send(MSG_NOSIGNAL) */
  int lost;              /* no more frames, output or units */
  int close_pending;     /* lost, fds still open: the I/O thread closes them */
  int end_sent;
  fst_frame_reader *reader; /* the I/O thread's alone once started */
  fst_frame_buffer out;     /* queued output; bytes before out_sent are written */
  size_t out_sent;
  fst_dispatch__queue queue; /* units homed here, not yet sent */
  int *held;                 /* units sent, no 'D' yet (at most max_held) */
  size_t n_held;
  int starving; /* said 'I' holding one unit: it waits for another to finish that one */
} fst_dispatch__worker;

struct fst_dispatch_batch {
  fst_dispatch_event *events;
  size_t count, capacity;
  size_t *blob; /* per event: offset of its payload/units in arena, or SIZE_MAX */
  fst_frame_buffer arena;
};

struct fst_dispatch {
  pthread_mutex_t lock;
  pthread_cond_t events_ready;
  int lookahead;
  int max_held;              /* >= lookahead: see fst_dispatch_set_ahead */
  double ahead_seconds;      /* see fst_dispatch_set_ahead */
  long read_delay_ns;        /* set before start: see fst_dispatch_set_read_delay */
  int wake_read, wake_write; /* self-pipe waking the I/O thread */

  pthread_t thread;
  int thread_started; /* under lock */
  int shutdown;       /* under lock: the I/O thread exits */
  int wake_pending;   /* under lock: a byte is in the wake pipe */
  int wake_needed;    /* under lock: set by changes, acted on at unlock */
  int signal_needed;  /* under lock: events were appended */
  int error;          /* under lock: sticky, returned by wait() */

  int running, stopped, all_done_reported;

  fst_dispatch__worker **workers; /* by id; never moved once allocated */
  size_t n_workers, workers_capacity;

  fst_dispatch__unit *units; /* by id */
  size_t n_units, units_capacity;
  size_t n_queued; /* units QUEUED */
  size_t n_open;   /* units QUEUED or SENT */
  fst_dispatch__queue shared;

  fst_dispatch_batch *pending; /* events not yet taken by wait(); may be NULL */
};

/* ------------------------------------------------------------------ */
/* Queues                                                              */

static int fst_dispatch__queue_push(fst_dispatch__queue *q, int unit, double cost) {
  if (q->count == q->capacity) {
    size_t capacity = q->capacity ? q->capacity * 2 : 16;
    int *items = fst_malloc(capacity * sizeof *items);
    if (!items) return FST_DISPATCH_ERR_NOMEM;
    for (size_t i = 0; i < q->count; i++) items[i] = q->items[(q->head + i) % q->capacity];
    fst_free(q->items);
    q->items = items;
    q->head = 0;
    q->capacity = capacity;
  }
  q->items[(q->head + q->count) % q->capacity] = unit;
  q->count++;
  q->cost += cost;
  return 0;
}

static int fst_dispatch__queue_peek(const fst_dispatch__queue *q, int from_back) {
  assert(q->count > 0);
  return q->items[(q->head + (from_back ? q->count - 1 : 0)) % q->capacity];
}

static void fst_dispatch__queue_pop(fst_dispatch__queue *q, int from_back, double cost) {
  assert(q->count > 0);
  if (!from_back) q->head = (q->head + 1) % q->capacity;
  q->count--;
  /* Summing and subtracting doubles drifts; an empty queue costs 0. */
  q->cost = q->count ? q->cost - cost : 0.0;
}

/* ------------------------------------------------------------------ */
/* Events (under lock)                                                 */

/* blob_size of an event without payload or unit list. */
#define FST_DISPATCH__NO_BLOB SIZE_MAX

/* Makes room for one more event with a blob of `blob_size` bytes (or
 * FST_DISPATCH__NO_BLOB), so that fst_dispatch__push cannot fail after. */
static int fst_dispatch__reserve(fst_dispatch *d, size_t blob_size) {
  if (!d->pending) {
    d->pending = fst_calloc(1, sizeof *d->pending);
    if (!d->pending) return FST_DISPATCH_ERR_NOMEM;
  }
  fst_dispatch_batch *b = d->pending;
  if (b->count == b->capacity) {
    size_t capacity = b->capacity ? b->capacity * 2 : 64;
    fst_dispatch_event *events = fst_realloc(b->events, capacity * sizeof *events);
    if (!events) return FST_DISPATCH_ERR_NOMEM;
    b->events = events;
    size_t *blob = fst_realloc(b->blob, capacity * sizeof *blob);
    if (!blob) return FST_DISPATCH_ERR_NOMEM;
    b->blob = blob;
    b->capacity = capacity;
  }
  /* +8 for aligning a unit list, +1 for a payload's NUL. */
  if (blob_size != FST_DISPATCH__NO_BLOB && fst_frame_buffer_reserve(&b->arena, blob_size + 9) != 0)
    return FST_DISPATCH_ERR_NOMEM;
  return 0;
}

/* Appends `event` (its blob copied from `data`, `size` bytes, if data is
 * not NULL), after fst_dispatch__reserve succeeded. */
static void fst_dispatch__push(fst_dispatch *d, const fst_dispatch_event *event, const void *data,
                               size_t size, int align) {
  fst_dispatch_batch *b = d->pending;
  assert(b && b->count < b->capacity);
  size_t offset = SIZE_MAX;
  if (data) {
    fst_frame_buffer *arena = &b->arena;
    if (align) {
      static const uint8_t zeros[8] = {0};
      (void)fst_frame_buffer_append(arena, zeros, (8 - arena->size % 8) % 8); /* reserved */
    }
    offset = arena->size;
    if (size) memcpy(arena->data + arena->size, data, size);
    arena->data[arena->size + size] = 0;
    arena->size += size + 1;
  }
  b->events[b->count] = *event;
  b->blob[b->count] = offset;
  b->count++;
  d->signal_needed = 1;
}

static void fst_dispatch__fail(fst_dispatch *d, int error) {
  if (!d->error) d->error = error;
  d->signal_needed = 1;
}

/* ------------------------------------------------------------------ */
/* Lock helpers                                                        */

static int fst_dispatch__on_io_thread(const fst_dispatch *d) {
  return d->thread_started && pthread_equal(pthread_self(), d->thread);
}

static void fst_dispatch__lock(fst_dispatch *d) { pthread_mutex_lock(&d->lock); }

/* Unlocks after acting on the flags set while locked: wake wait(), wake the
 * I/O thread (not needed from the I/O thread itself: it loops anyway). */
static void fst_dispatch__unlock(fst_dispatch *d) {
  if (d->signal_needed) {
    d->signal_needed = 0;
    pthread_cond_broadcast(&d->events_ready);
  }
  if (d->wake_needed) {
    d->wake_needed = 0;
    if (d->thread_started && !d->wake_pending && !fst_dispatch__on_io_thread(d)) {
      static const char byte = 1;
      /* A full pipe (EAGAIN) already guarantees a wake-up. */
      if (write(d->wake_write, &byte, 1) == 1 || errno == EAGAIN) d->wake_pending = 1;
    }
  }
  pthread_mutex_unlock(&d->lock);
}

/* ------------------------------------------------------------------ */
/* Workers                                                             */

static void fst_dispatch__close_fds(fst_dispatch__worker *w) {
  if (w->read_fd >= 0) close(w->read_fd);
  if (w->write_fd >= 0 && w->write_fd != w->read_fd) close(w->write_fd);
  w->read_fd = w->write_fd = -1;
  w->close_pending = 0;
}

static void fst_dispatch__check_all_done(fst_dispatch *d);
static void fst_dispatch__schedule(fst_dispatch *d);

/* Marks a worker lost (under lock): its units held are LOST and reported,
 * its output is dropped, its fds are closed (now, or by the I/O thread). */
static void fst_dispatch__lose(fst_dispatch *d, fst_dispatch__worker *w,
                               fst_dispatch_lost_reason reason, int status) {
  if (w->lost) return;
  w->lost = 1;
  fst_dispatch_event event = {
      .kind = FST_DISPATCH_WORKER_LOST,
      .worker = w->id,
      .pid = w->pid,
      .reason = reason,
      .status = status,
      .end_sent = w->end_sent,
      .n_units = w->n_held,
  };
  if (fst_dispatch__reserve(d, w->n_held * sizeof(int)) == 0)
    fst_dispatch__push(d, &event, w->held, w->n_held * sizeof(int), 1);
  else
    fst_dispatch__fail(d, FST_DISPATCH_ERR_NOMEM);
  for (size_t i = 0; i < w->n_held; i++) {
    d->units[w->held[i]].state = FST_DISPATCH__LOST;
    d->n_open--;
  }
  w->n_held = 0;
  fst_frame_buffer_clear(&w->out);
  w->out_sent = 0;
  if (d->thread_started) {
    w->close_pending = 1;
    d->wake_needed = 1;
  } else {
    fst_dispatch__close_fds(w);
  }
  /* Its queued units go to others (refill takes lost workers' queues), and
   * with it gone the run may be over. */
  fst_dispatch__schedule(d);
}

static fst_dispatch__worker *fst_dispatch__worker_get(fst_dispatch *d, int id) {
  if (id < 0 || (size_t)id >= d->n_workers) return NULL;
  return d->workers[id];
}

static void fst_dispatch__worker_free(fst_dispatch__worker *w) {
  if (!w) return;
  fst_dispatch__close_fds(w);
  fst_frame_reader_delete(w->reader);
  fst_frame_buffer_clear(&w->out);
  fst_free(w->queue.items);
  fst_free(w->held);
  fst_free(w);
}

/* ------------------------------------------------------------------ */
/* Scheduling (under lock)                                             */

/* Whether taking the victim's last queued unit ends it sooner: the thief
 * collects the file and runs its tests; the victim would reach it after the
 * rest of its queue and what it holds (all counted in full: a unit half run
 * is not known as such).  Where imports cost more than the tests (a file of
 * one quick test and a heavy import) the victim keeps it. */
static int fst_dispatch__steal_pays(const fst_dispatch *d, const fst_dispatch__worker *victim) {
  const fst_dispatch__queue *q = &victim->queue;
  const fst_dispatch__unit *u = &d->units[q->items[(q->head + q->count - 1) % q->capacity]];
  double victim_left = q->cost;
  for (size_t i = 0; i < victim->n_held; i++) victim_left += d->units[victim->held[i]].cost;
  return u->collect_cost + u->cost <= victim_left;
}

/* Whether `w` is sent another unit: below the lookahead always; above it,
 * up to max_held units while those after the one it runs are estimated to
 * take less than ahead_seconds.  A 'D' is answered only when the I/O
 * thread next reads (up to the read delay later): a worker whose next
 * units are shorter than that would wait for work between them. */
static int fst_dispatch__wants_more(const fst_dispatch *d, const fst_dispatch__worker *w) {
  if (w->n_held < (size_t)d->lookahead) return 1;
  if (w->n_held >= (size_t)d->max_held) return 0;
  double ahead = 0.0;
  for (size_t i = 1; i < w->n_held; i++) ahead += d->units[w->held[i]].cost;
  return ahead < d->ahead_seconds;
}

/* Chooses the queue worker `w` refills from; NULL when nothing is queued
 * anywhere.  *from_back is set for stealing (the victim's shortest unit).
 *
 * A worker steals only once it would otherwise sit idle: it holds nothing,
 * or it said 'I' (a pytest worker cannot run the last item of its unit
 * before it knows the next one, so holding one unit it may be blocked).
 * The victim has already collected the unit, so a steal makes the thief
 * collect that file a second time.  Prefetching another worker's unit while
 * still busy (as the lookahead does from its own queue) moved work back and
 * forth at the end of every run. */
static fst_dispatch__queue *fst_dispatch__source(fst_dispatch *d, fst_dispatch__worker *w,
                                                 int *from_back) {
  *from_back = 0;
  if (d->n_queued == 0) return NULL;
  if (w->queue.count) return &w->queue;
  if (d->shared.count) return &d->shared;
  fst_dispatch__worker *victim = NULL;
  for (size_t i = 0; i < d->n_workers; i++) {
    fst_dispatch__worker *v = d->workers[i];
    if (v == w || v->queue.count == 0) continue;
    /* A lost worker's queue is as good as a shared one: take it in order. */
    if (v->lost) return &v->queue;
    if (!victim || v->queue.cost > victim->queue.cost) victim = v;
  }
  if (!victim || (w->n_held > 0 && !w->starving)) return NULL;
  if (!fst_dispatch__steal_pays(d, victim)) return NULL;
  *from_back = 1;
  return &victim->queue;
}

/* Queues unit `id` to `w` as a 'U' frame.  On failure nothing changed. */
static int fst_dispatch__send_unit(fst_dispatch *d, fst_dispatch__worker *w, int id) {
  fst_dispatch__unit *u = &d->units[id];
  int steal = u->home != FST_DISPATCH_ANY && u->home != w->id;
  if (fst_dispatch__reserve(d, FST_DISPATCH__NO_BLOB) != 0) return FST_DISPATCH_ERR_NOMEM;
  char head[FST_DISPATCH__UNIT_WRAPPER];
  int n = snprintf(head, sizeof head, "{\"unit\":%d,\"steal\":%s,\"data\":", id,
                   steal ? "true" : "false");
  size_t mark;
  if (fst_frame_begin(&w->out, FST_FRAME_UNIT, &mark) != 0) return FST_DISPATCH_ERR_NOMEM;
  if (fst_frame_buffer_append(&w->out, head, (size_t)n) != 0 ||
      fst_frame_buffer_append(&w->out, u->payload, u->size) != 0 ||
      fst_frame_buffer_append(&w->out, "}", 1) != 0 || fst_frame_finish(&w->out, mark) != 0) {
    fst_frame_abort(&w->out, mark);
    return FST_DISPATCH_ERR_NOMEM;
  }
  u->state = FST_DISPATCH__SENT;
  u->holder = w->id;
  fst_free(u->payload);
  u->payload = NULL;
  w->held[w->n_held++] = id;
  w->starving = 0;
  d->n_queued--;
  fst_dispatch_event event = {
      .kind = FST_DISPATCH_UNIT_SENT, .worker = w->id, .unit = id, .steal = steal};
  fst_dispatch__push(d, &event, NULL, 0, 0);
  d->wake_needed = 1;
  return 0;
}

static void fst_dispatch__refill(fst_dispatch *d, fst_dispatch__worker *w) {
  if (w->lost || w->end_sent) return;
  while (fst_dispatch__wants_more(d, w)) {
    int from_back;
    fst_dispatch__queue *q = fst_dispatch__source(d, w, &from_back);
    if (!q) break;
    int id = fst_dispatch__queue_peek(q, from_back);
    if (fst_dispatch__send_unit(d, w, id) != 0) {
      /* The unit stays queued; the run cannot make progress reliably. */
      fst_dispatch__fail(d, FST_DISPATCH_ERR_NOMEM);
      return;
    }
    fst_dispatch__queue_pop(q, from_back, d->units[id].cost);
  }
  int from_back;
  /* A worker that would steal but finds no steal that pays never will: the
   * victims' queues only shrink, so it waits for nothing but 'E' (holding
   * its last unit, it cannot even finish that unit's last test before). */
  int stranded = (w->n_held == 0 || w->starving) && !fst_dispatch__source(d, w, &from_back);
  if (w->n_held < (size_t)d->lookahead && (d->n_queued == 0 || stranded)) {
    /* Nothing can ever come to it (short of the caller adding units). */
    if (fst_frame_encode(&w->out, FST_FRAME_END, NULL, 0) != 0) {
      fst_dispatch__fail(d, FST_DISPATCH_ERR_NOMEM);
      return;
    }
    w->end_sent = 1;
    d->wake_needed = 1;
  }
}

static void fst_dispatch__check_all_done(fst_dispatch *d) {
  if (!d->running) return;
  int done = 1;
  if (!d->stopped && d->n_open != 0) done = 0;
  for (size_t i = 0; done && i < d->n_workers; i++) {
    const fst_dispatch__worker *w = d->workers[i];
    if (!w->lost && (d->stopped || !w->end_sent)) done = 0;
  }
  if (!done) {
    d->all_done_reported = 0;
    return;
  }
  if (d->all_done_reported) return;
  if (fst_dispatch__reserve(d, FST_DISPATCH__NO_BLOB) != 0) {
    fst_dispatch__fail(d, FST_DISPATCH_ERR_NOMEM);
    return;
  }
  fst_dispatch_event event = {.kind = FST_DISPATCH_ALL_DONE, .worker = -1};
  fst_dispatch__push(d, &event, NULL, 0, 0);
  d->all_done_reported = 1;
}

static void fst_dispatch__schedule(fst_dispatch *d) {
  if (d->running && !d->stopped)
    for (size_t i = 0; i < d->n_workers; i++) fst_dispatch__refill(d, d->workers[i]);
  fst_dispatch__check_all_done(d);
}

/* ------------------------------------------------------------------ */
/* Frames from workers (I/O thread, under lock)                        */

/* A 'D' frame: 0, or -1 when it does not name a unit `w` holds. */
static int fst_dispatch__unit_done(fst_dispatch *d, fst_dispatch__worker *w,
                                   const fst_frame *frame) {
  cJSON *json = cJSON_ParseWithLengthOpts((const char *)frame->payload, frame->size, NULL, 0);
  if (!json) return -1;
  const cJSON *unit = cJSON_GetObjectItemCaseSensitive(json, "unit");
  double value = cJSON_IsNumber(unit) ? unit->valuedouble : -1.0;
  cJSON_Delete(json);
  if (!(value >= 0 && value < (double)d->n_units) || value != (double)(int)value) return -1;
  int id = (int)value;
  size_t i = 0;
  while (i < w->n_held && w->held[i] != id) i++;
  if (i == w->n_held) return -1;
  memmove(w->held + i, w->held + i + 1, (w->n_held - i - 1) * sizeof *w->held);
  w->n_held--;
  w->starving = 0;
  d->units[id].state = FST_DISPATCH__DONE;
  d->n_open--;
  return 0;
}

/* Turns the complete frames in w's reader into events. */
static void fst_dispatch__take_frames(fst_dispatch *d, fst_dispatch__worker *w) {
  fst_frame frame;
  int status = 0, reschedule = 0;
  while (!w->lost && (status = fst_frame_reader_next(w->reader, &frame)) == 1) {
    if (frame.type == FST_FRAME_IDLE) {
      /* Stale when a unit is already on its way (it holds two). */
      if (w->n_held == 1) {
        w->starving = 1;
        reschedule = 1;
      }
      continue;
    }
    if (fst_dispatch__reserve(d, frame.size) != 0) {
      fst_dispatch__fail(d, FST_DISPATCH_ERR_NOMEM);
      return;
    }
    fst_dispatch_event event = {.kind = FST_DISPATCH_FRAME,
                                .worker = w->id,
                                .frame_type = frame.type,
                                .payload_size = frame.size};
    fst_dispatch__push(d, &event, frame.payload, frame.size, 0);
    if (frame.type == FST_FRAME_DONE) {
      if (fst_dispatch__unit_done(d, w, &frame) != 0) {
        fst_dispatch__lose(d, w, FST_DISPATCH_LOST_PROTOCOL, 0);
        return;
      }
      reschedule = 1;
    }
  }
  if (!w->lost && status < 0)
    fst_dispatch__lose(d, w, FST_DISPATCH_LOST_PROTOCOL, 0);
  else if (reschedule)
    fst_dispatch__schedule(d);
}

/* ------------------------------------------------------------------ */
/* The I/O thread                                                      */

/* Writes what is queued for w without blocking (under lock).  EAGAIN keeps
 * the rest for POLLOUT; any other error loses the worker. */
static void fst_dispatch__flush(fst_dispatch *d, fst_dispatch__worker *w) {
  while (!w->lost && w->write_fd >= 0 && w->out_sent < w->out.size) {
    const uint8_t *p = w->out.data + w->out_sent;
    size_t n = w->out.size - w->out_sent;
    ssize_t written =
        w->is_socket ? send(w->write_fd, p, n, MSG_NOSIGNAL) : write(w->write_fd, p, n);
    if (written < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      int error = errno;
      if (error == EPIPE && !w->is_socket) {
        /* The SIGPIPE is pending on this thread (all signals are blocked
         * here): consume it so it is never delivered. */
        sigset_t pipe_only;
        sigemptyset(&pipe_only);
        sigaddset(&pipe_only, SIGPIPE);
        struct timespec zero = {0, 0};
        while (sigtimedwait(&pipe_only, NULL, &zero) == SIGPIPE) {
        }
      }
      fst_dispatch__lose(d, w, FST_DISPATCH_LOST_IO, error);
      return;
    }
    w->out_sent += (size_t)written;
  }
  if (w->out_sent == w->out.size) {
    w->out.size = 0;
    w->out_sent = 0;
  }
}

typedef struct {
  fst_dispatch__worker *worker;
  int fd;
  int reads; /* poll entry is the worker's read fd */
} fst_dispatch__polled;

/* Reads what is available from w's read fd into its reader (no lock:
 * reader and fd lifetime are the I/O thread's).  Returns 0 (would block),
 * 1 (EOF) or -errno (-ENOMEM when the reader cannot grow). */
static int fst_dispatch__read(fst_dispatch__worker *w, int fd) {
  for (int turn = 0; turn < FST_DISPATCH__READS_PER_TURN; turn++) {
    size_t available;
    uint8_t *space = fst_frame_reader_space(w->reader, FST_DISPATCH__READ_CHUNK, &available);
    if (!space) return -ENOMEM;
    ssize_t n = read(fd, space, available);
    if (n > 0) {
      fst_frame_reader_commit(w->reader, (size_t)n);
      if ((size_t)n < available) return 0; /* drained, most likely */
      continue;
    }
    if (n == 0) return 1;
    if (errno == EINTR) {
      turn--;
      continue;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
    return -errno;
  }
  return 0;
}

static void *fst_dispatch__thread_main(void *arg) {
  fst_dispatch *d = arg;
  struct pollfd *fds = NULL;
  fst_dispatch__polled *polled = NULL;
  size_t capacity = 0;
  int read_last_turn = 0;

  for (;;) {
    fst_dispatch__lock(d);
    if (d->shutdown || d->error) {
      fst_dispatch__unlock(d);
      break;
    }
    size_t needed = 2 * d->n_workers + 1;
    if (needed > capacity) {
      struct pollfd *more_fds = fst_realloc(fds, needed * sizeof *fds);
      if (more_fds) fds = more_fds;
      fst_dispatch__polled *more_polled = fst_realloc(polled, needed * sizeof *polled);
      if (more_polled) polled = more_polled;
      if (!more_fds || !more_polled) {
        fst_dispatch__fail(d, FST_DISPATCH_ERR_NOMEM);
        fst_dispatch__unlock(d);
        break;
      }
      capacity = needed;
    }
    /* Write first: a write error loses a worker, which may queue output
     * to the others (a refill, 'E'); the poll set below then asks for
     * POLLOUT on them, so that output is not left waiting. */
    for (size_t i = 0; i < d->n_workers; i++) fst_dispatch__flush(d, d->workers[i]);
    size_t n = 0;
    fds[n] = (struct pollfd){.fd = d->wake_read, .events = POLLIN};
    polled[n++] = (fst_dispatch__polled){NULL, d->wake_read, 0};
    for (size_t i = 0; i < d->n_workers; i++) {
      fst_dispatch__worker *w = d->workers[i];
      if (w->close_pending) fst_dispatch__close_fds(w);
      if (w->lost) continue;
      int want_write = w->out_sent < w->out.size && w->write_fd >= 0;
      if (w->read_fd >= 0) {
        short events = POLLIN;
        if (want_write && w->write_fd == w->read_fd) events |= POLLOUT;
        fds[n] = (struct pollfd){.fd = w->read_fd, .events = events};
        polled[n++] = (fst_dispatch__polled){w, w->read_fd, 1};
      }
      if (want_write && w->write_fd != w->read_fd) {
        fds[n] = (struct pollfd){.fd = w->write_fd, .events = POLLOUT};
        polled[n++] = (fst_dispatch__polled){w, w->write_fd, 0};
      }
    }
    d->wake_pending = 0;
    fst_dispatch__unlock(d);

    if (read_last_turn && d->read_delay_ns > 0) {
      /* After the writes above: a unit asked for by a 'D' is not delayed. */
      struct timespec pause = {0, d->read_delay_ns};
      while (nanosleep(&pause, &pause) != 0 && errno == EINTR) {
      }
    }
    read_last_turn = 0;
    if (poll(fds, (nfds_t)n, -1) < 0) {
      if (errno == EINTR) continue;
      fst_dispatch__lock(d);
      fst_dispatch__fail(d, FST_DISPATCH_ERR_SYSTEM);
      fst_dispatch__unlock(d);
      break;
    }
    if (fds[0].revents) {
      char drain[64];
      while (read(d->wake_read, drain, sizeof drain) > 0) {
      }
    }
    for (size_t i = 1; i < n; i++) {
      if (!polled[i].reads || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL))) continue;
      fst_dispatch__worker *w = polled[i].worker;
      int result = fst_dispatch__read(w, polled[i].fd);
      read_last_turn = 1;
      fst_dispatch__lock(d);
      if (result == -ENOMEM) {
        fst_dispatch__fail(d, FST_DISPATCH_ERR_NOMEM);
      } else if (!w->lost) {
        /* Frames first, so a worker's last words come before its loss. */
        fst_dispatch__take_frames(d, w);
        if (result == 1)
          fst_dispatch__lose(d, w, FST_DISPATCH_LOST_EOF, 0);
        else if (result < 0)
          fst_dispatch__lose(d, w, FST_DISPATCH_LOST_IO, -result);
      }
      fst_dispatch__unlock(d);
    }
    /* POLLOUT-ready and POLLERR write fds are handled by the flush at the
     * top of the next turn. */
  }
  fst_free(fds);
  fst_free(polled);
  return NULL;
}

/* ------------------------------------------------------------------ */
/* Public API                                                          */

static int fst_dispatch__set_flags(int fd) {
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) return -1;
  flags = fcntl(fd, F_GETFD);
  if (flags < 0 || fcntl(fd, F_SETFD, flags | FD_CLOEXEC) < 0) return -1;
  return 0;
}

int fst_dispatch_new(int lookahead, fst_dispatch **out) {
  assert(out);
  *out = NULL;
  if (lookahead < 1) return FST_DISPATCH_ERR_INVALID;
  fst_dispatch *d = fst_calloc(1, sizeof *d);
  if (!d) return FST_DISPATCH_ERR_NOMEM;
  d->lookahead = lookahead;
  d->max_held = lookahead;
  d->wake_read = d->wake_write = -1;
  int fds[2];
  if (pipe(fds) != 0) {
    fst_free(d);
    return FST_DISPATCH_ERR_SYSTEM;
  }
  d->wake_read = fds[0];
  d->wake_write = fds[1];
  if (fst_dispatch__set_flags(fds[0]) != 0 || fst_dispatch__set_flags(fds[1]) != 0) {
    close(fds[0]);
    close(fds[1]);
    fst_free(d);
    return FST_DISPATCH_ERR_SYSTEM;
  }
  pthread_condattr_t attributes;
  pthread_condattr_init(&attributes);
  /* wait()'s deadline must not jump with the wall clock. */
  pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC);
  int failed = pthread_cond_init(&d->events_ready, &attributes);
  pthread_condattr_destroy(&attributes);
  if (failed || pthread_mutex_init(&d->lock, NULL) != 0) {
    if (!failed) pthread_cond_destroy(&d->events_ready);
    close(fds[0]);
    close(fds[1]);
    fst_free(d);
    return FST_DISPATCH_ERR_SYSTEM;
  }
  *out = d;
  return 0;
}

static void fst_dispatch__batch_clear(fst_dispatch_batch *batch) {
  if (!batch) return;
  fst_free(batch->events);
  fst_free(batch->blob);
  fst_frame_buffer_clear(&batch->arena);
  fst_free(batch);
}

void fst_dispatch_delete(fst_dispatch *self) {
  if (!self) return;
  fst_dispatch__lock(self);
  int started = self->thread_started;
  self->shutdown = 1;
  self->wake_needed = 1;
  fst_dispatch__unlock(self);
  if (started) pthread_join(self->thread, NULL);
  for (size_t i = 0; i < self->n_workers; i++) fst_dispatch__worker_free(self->workers[i]);
  fst_free(self->workers);
  for (size_t i = 0; i < self->n_units; i++) fst_free(self->units[i].payload);
  fst_free(self->units);
  fst_free(self->shared.items);
  fst_dispatch__batch_clear(self->pending);
  close(self->wake_read);
  close(self->wake_write);
  pthread_cond_destroy(&self->events_ready);
  pthread_mutex_destroy(&self->lock);
  fst_free(self);
}

int fst_dispatch_add_worker(fst_dispatch *self, int read_fd, int write_fd, pid_t pid) {
  fst_dispatch__worker *w = NULL;
  int status = FST_DISPATCH_ERR_NOMEM;
  if (read_fd < 0 || write_fd < 0) {
    status = FST_DISPATCH_ERR_INVALID;
    goto error;
  }
  if (fst_dispatch__set_flags(read_fd) != 0 || fst_dispatch__set_flags(write_fd) != 0) {
    status = FST_DISPATCH_ERR_SYSTEM;
    goto error;
  }
  w = fst_calloc(1, sizeof *w);
  if (!w) goto error;
  w->read_fd = read_fd;
  w->write_fd = write_fd;
  w->pid = pid;
  struct stat st;
  w->is_socket = fstat(write_fd, &st) == 0 && S_ISSOCK(st.st_mode);
  w->reader = fst_frame_reader_new();
  w->held = fst_malloc((size_t)self->max_held * sizeof *w->held);
  if (!w->reader || !w->held) goto error;

  fst_dispatch__lock(self);
  if (self->n_workers == self->workers_capacity) {
    size_t capacity = self->workers_capacity ? self->workers_capacity * 2 : 8;
    fst_dispatch__worker **workers = fst_realloc(self->workers, capacity * sizeof *workers);
    if (!workers) {
      fst_dispatch__unlock(self);
      goto error;
    }
    self->workers = workers;
    self->workers_capacity = capacity;
  }
  w->id = (int)self->n_workers;
  self->workers[self->n_workers++] = w;
  self->wake_needed = 1;
  fst_dispatch__schedule(self);
  int id = w->id;
  fst_dispatch__unlock(self);
  return id;

error:
  if (w) {
    fst_dispatch__worker_free(w); /* closes the fds */
  } else {
    if (read_fd >= 0) close(read_fd);
    if (write_fd >= 0 && write_fd != read_fd) close(write_fd);
  }
  return status;
}

int fst_dispatch_add_unit(fst_dispatch *self, int home_worker, double cost, double collect_cost,
                          const void *payload, size_t size) {
  if (size > FST_FRAME_MAX - 1 - FST_DISPATCH__UNIT_WRAPPER) return FST_DISPATCH_ERR_INVALID;
  if (!(cost >= 0.0) || !(collect_cost >= 0.0)) return FST_DISPATCH_ERR_INVALID;
  uint8_t *copy = fst_malloc(size ? size : 1);
  if (!copy) return FST_DISPATCH_ERR_NOMEM;
  if (size) memcpy(copy, payload, size);
  fst_dispatch__lock(self);
  int status;
  fst_dispatch__queue *queue = &self->shared;
  if (home_worker != FST_DISPATCH_ANY) {
    fst_dispatch__worker *w = fst_dispatch__worker_get(self, home_worker);
    if (!w) {
      status = FST_DISPATCH_ERR_INVALID;
      goto error;
    }
    queue = &w->queue;
  }
  if (self->n_units == self->units_capacity) {
    size_t capacity = self->units_capacity ? self->units_capacity * 2 : 256;
    if (capacity > (size_t)INT32_MAX) {
      status = FST_DISPATCH_ERR_INVALID;
      goto error;
    }
    fst_dispatch__unit *units = fst_realloc(self->units, capacity * sizeof *units);
    if (!units) {
      status = FST_DISPATCH_ERR_NOMEM;
      goto error;
    }
    self->units = units;
    self->units_capacity = capacity;
  }
  int id = (int)self->n_units;
  if (fst_dispatch__queue_push(queue, id, cost) != 0) {
    status = FST_DISPATCH_ERR_NOMEM;
    goto error;
  }
  self->units[id] = (fst_dispatch__unit){.home = home_worker,
                                         .holder = -1,
                                         .cost = cost,
                                         .collect_cost = collect_cost,
                                         .payload = copy,
                                         .size = size,
                                         .state = FST_DISPATCH__QUEUED};
  self->n_units++;
  self->n_queued++;
  self->n_open++;
  fst_dispatch__schedule(self);
  fst_dispatch__unlock(self);
  return id;

error:
  fst_dispatch__unlock(self);
  fst_free(copy);
  return status;
}

int fst_dispatch_send(fst_dispatch *self, int worker, char type, const void *payload, size_t size) {
  fst_dispatch__lock(self);
  int status = 0;
  fst_dispatch__worker *w = fst_dispatch__worker_get(self, worker);
  if (!w)
    status = FST_DISPATCH_ERR_INVALID;
  else if (w->lost)
    status = FST_DISPATCH_ERR_GONE;
  else {
    status = fst_frame_encode(&w->out, type, payload, size);
    if (status == FST_FRAME_ERR_TOO_LARGE)
      status = FST_DISPATCH_ERR_INVALID;
    else if (status != 0)
      status = FST_DISPATCH_ERR_NOMEM;
    else
      self->wake_needed = 1;
  }
  fst_dispatch__unlock(self);
  return status;
}

int fst_dispatch_set_read_delay(fst_dispatch *self, int microseconds) {
  if (microseconds < 0 || microseconds > 100000) return FST_DISPATCH_ERR_INVALID;
  fst_dispatch__lock(self);
  int status = self->thread_started ? FST_DISPATCH_ERR_STATE : 0;
  if (status == 0) self->read_delay_ns = (long)microseconds * 1000L;
  fst_dispatch__unlock(self);
  return status;
}

int fst_dispatch_set_ahead(fst_dispatch *self, double seconds, int max_units) {
  if (!(seconds >= 0.0 && seconds <= 60.0) || max_units < self->lookahead ||
      max_units > FST_DISPATCH_MAX_HELD)
    return FST_DISPATCH_ERR_INVALID;
  fst_dispatch__lock(self);
  /* Each worker's array of held units is sized when it is added. */
  int status = self->n_workers ? FST_DISPATCH_ERR_STATE : 0;
  if (status == 0) {
    self->ahead_seconds = seconds;
    self->max_held = max_units;
  }
  fst_dispatch__unlock(self);
  return status;
}

int fst_dispatch_start(fst_dispatch *self) {
  fst_dispatch__lock(self);
  if (self->thread_started) {
    fst_dispatch__unlock(self);
    return FST_DISPATCH_ERR_STATE;
  }
  /* The thread inherits a full signal mask: SIGINT and friends stay with
   * the main thread (Python's handlers), SIGPIPE stays pending here. */
  sigset_t all, previous;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &previous);
  int failed = pthread_create(&self->thread, NULL, fst_dispatch__thread_main, self);
  pthread_sigmask(SIG_SETMASK, &previous, NULL);
  if (!failed) self->thread_started = 1;
  fst_dispatch__unlock(self);
  if (failed) {
    errno = failed;
    return FST_DISPATCH_ERR_SYSTEM;
  }
  return 0;
}

int fst_dispatch_run(fst_dispatch *self) {
  fst_dispatch__lock(self);
  self->running = 1;
  fst_dispatch__schedule(self);
  int status = self->error == FST_DISPATCH_ERR_NOMEM ? FST_DISPATCH_ERR_NOMEM : 0;
  fst_dispatch__unlock(self);
  return status;
}

int fst_dispatch_stop(fst_dispatch *self) {
  fst_dispatch__lock(self);
  int status = 0;
  if (!self->stopped) {
    self->stopped = 1;
    self->running = 1; /* ALL_DONE is judged from here on */
    for (size_t i = 0; i < self->n_workers; i++) {
      fst_dispatch__worker *w = self->workers[i];
      if (w->lost) continue;
      if (fst_frame_encode(&w->out, FST_FRAME_QUIT, NULL, 0) != 0) status = FST_DISPATCH_ERR_NOMEM;
      self->wake_needed = 1;
    }
    self->all_done_reported = 0;
    fst_dispatch__check_all_done(self);
  }
  fst_dispatch__unlock(self);
  return status;
}

int fst_dispatch_wait(fst_dispatch *self, int timeout_ms, fst_dispatch_batch **out) {
  assert(out);
  *out = NULL;
  struct timespec deadline;
  if (timeout_ms > 0) {
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += timeout_ms / 1000;
    deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
      deadline.tv_sec++;
      deadline.tv_nsec -= 1000000000L;
    }
  }
  fst_dispatch__lock(self);
  while (!self->error && !(self->pending && self->pending->count)) {
    if (timeout_ms == 0) break;
    if (timeout_ms < 0) {
      pthread_cond_wait(&self->events_ready, &self->lock);
    } else if (pthread_cond_timedwait(&self->events_ready, &self->lock, &deadline) == ETIMEDOUT) {
      break;
    }
  }
  int error = self->error;
  fst_dispatch_batch *batch = NULL;
  if (!error && self->pending && self->pending->count) {
    batch = self->pending;
    self->pending = NULL;
  }
  pthread_mutex_unlock(&self->lock);
  if (error) return error;
  if (!batch) return 0;
  /* Offsets become pointers now that the arena no longer grows. */
  for (size_t i = 0; i < batch->count; i++) {
    if (batch->blob[i] == SIZE_MAX) continue;
    const uint8_t *blob = batch->arena.data + batch->blob[i];
    if (batch->events[i].kind == FST_DISPATCH_FRAME)
      batch->events[i].payload = blob;
    else
      batch->events[i].units = (const int *)(const void *)blob;
  }
  *out = batch;
  return (int)batch->count;
}

const fst_dispatch_event *fst_dispatch_batch_events(const fst_dispatch_batch *batch,
                                                    size_t *count) {
  *count = batch ? batch->count : 0;
  return batch ? batch->events : NULL;
}

void fst_dispatch_batch_free(fst_dispatch_batch *batch) { fst_dispatch__batch_clear(batch); }

int fst_dispatch_worker_exited(fst_dispatch *self, pid_t pid, int wait_status) {
  fst_dispatch__lock(self);
  int id = FST_DISPATCH_ERR_INVALID;
  /* Newest first: a pid may come back after an old worker's death. */
  for (size_t i = self->n_workers; i-- > 0;) {
    fst_dispatch__worker *w = self->workers[i];
    if (w->pid != pid) continue;
    id = w->id;
    fst_dispatch__lose(self, w, FST_DISPATCH_LOST_EXITED, wait_status);
    break;
  }
  fst_dispatch__unlock(self);
  return id;
}

int fst_dispatch_close_worker(fst_dispatch *self, int worker) {
  fst_dispatch__lock(self);
  fst_dispatch__worker *w = fst_dispatch__worker_get(self, worker);
  if (w) fst_dispatch__lose(self, w, FST_DISPATCH_LOST_CLOSED, 0);
  fst_dispatch__unlock(self);
  return w ? 0 : FST_DISPATCH_ERR_INVALID;
}
