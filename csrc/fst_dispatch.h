/*
 * fst_dispatch.h - the controller's dispatcher: units to workers, frames back.
 *
 * The controller runs tests in N worker processes, each connected by a pipe
 * pair or a socket (created elsewhere; this component gets the fds and the
 * pid).  The dispatcher owns those fds and one I/O thread that multiplexes
 * them with poll(): it reads and splits frames (fst_frame.h), hands units
 * out longest-first with per-worker lookahead and work stealing, and queues
 * everything that happened as events.  The caller (the Python controller,
 * GIL released) blocks in fst_dispatch_wait() and gets every pending event
 * at once, as one batch.
 *
 * Typical use:
 *   fst_dispatch_new(2, &d);
 *   id = fst_dispatch_add_worker(d, read_fd, write_fd, pid);   (per worker)
 *   fst_dispatch_send(d, id, 'L', collect_json, n);           (per worker)
 *   fst_dispatch_add_unit(d, home, cost, collect_cost, unit_json, n);  (longest first)
 *   fst_dispatch_start(d); fst_dispatch_run(d);
 *   loop: n = fst_dispatch_wait(d, 100, &batch); ... fst_dispatch_batch_free(batch);
 *         until ALL_DONE (and the WORKER_LOST of every worker, see below)
 *   fst_dispatch_delete(d);
 *
 * Scheduling (after run()): a worker holds at least `lookahead` unfinished
 * units (sent, no 'D' yet) while any are queued for it, and more (up to
 * fst_dispatch_set_ahead's max_units) while those after the one it runs are
 * estimated shorter than its `seconds`.  Refill order: its own queue (front:
 * the caller adds longest first), then the shared queue (FST_DISPATCH_ANY,
 * front), then the queues of lost workers (front), then stealing: the last
 * queued unit of the live worker with the largest queued cost, taken only
 * by a worker that holds nothing or that sent 'I' (blocked before the last
 * item of its only unit, waiting for the next one), and only when that ends
 * it sooner: its collect_cost plus its cost is at most the victim's queued
 * and held costs.  'I' is consumed here, never an event.
 * A unit is sent as
 *   'U' {"unit":<id>,"steal":<bool>,"data":<payload verbatim>}
 * where steal is true when the unit has a home worker other than the
 * receiver (the receiver did not collect that file and must collect it).
 * When a worker holds fewer than `lookahead` units and nothing is queued
 * anywhere, or nothing it may take (it would steal, and no steal pays), it
 * is sent 'E' exactly once.  NOTE: with lookahead > 1 that can
 * happen while the worker still holds its last unit(s): 'E' then means
 * "nothing will follow the units you hold; finish them, then end".  A
 * worker waiting for its next unit to know `nextitem` would otherwise wait
 * forever.
 *
 * Lost workers: EOF, a protocol error (bad frame length, a 'D' that is not
 * JSON naming a unit the worker holds), a read/write error (EPIPE
 * included), fst_dispatch_worker_exited() or fst_dispatch_close_worker().
 * The units it held are reported in WORKER_LOST and are NOT requeued (the
 * caller decides, and re-adds what is left with fst_dispatch_add_unit); the
 * units still queued for it (never sent) stay available to other workers.
 * A worker's WORKER_LOST comes after all of its FRAME events; no FRAME of
 * it follows.  Every worker ends with exactly one WORKER_LOST, including a
 * clean exit after 'E' (reason EOF, end_sent 1, no units).
 *
 * ALL_DONE is queued when the run becomes quiescent: after run(), every
 * unit is done or lost and every worker was sent 'E' or is lost; after
 * stop(), every worker is lost.  It is queued again if it becomes true
 * again after new units or workers were added.  Frames such as the
 * workers' final reports and their WORKER_LOST may come after ALL_DONE.
 *
 * SIGPIPE: all writes happen on the I/O thread, which blocks every signal
 * (so Python's handlers keep running on the main thread); a SIGPIPE raised
 * by writing to a closed pipe stays pending on that thread and is cleared
 * there, sockets are written with MSG_NOSIGNAL.  Either way EPIPE means the
 * worker is lost.  The caller does not need to ignore SIGPIPE (Python does
 * anyway).
 *
 * Ownership: the dispatcher owns the worker fds from add_worker on (even
 * when it fails) and closes them when the worker is lost or at delete.  A
 * batch from wait() is owned by the caller and freed with
 * fst_dispatch_batch_free(); the events and their payloads live in it.
 *
 * Thread-safety: every function may be called from any thread, except
 * that fst_dispatch_delete() must not race with any other call.  wait() is
 * meant for one caller thread at a time.  Nothing here forks; fork the
 * workers (or the zygote) before start().
 *
 * Errors: functions return 0 (or an id / count >= 0) on success, else one
 * of the negative FST_DISPATCH_ERR_* values.
 */
#ifndef FST_DISPATCH_H
#define FST_DISPATCH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct fst_dispatch fst_dispatch;
typedef struct fst_dispatch_batch fst_dispatch_batch;

/* home_worker of a unit any worker may take (the shared queue). */
#define FST_DISPATCH_ANY (-1)
#define FST_DISPATCH_DEFAULT_LOOKAHEAD 2
/* The most units fst_dispatch_set_ahead lets a worker hold. */
#define FST_DISPATCH_MAX_HELD 64

#define FST_DISPATCH_ERR_NOMEM (-1)   /* out of memory (sticky when hit on the I/O thread) */
#define FST_DISPATCH_ERR_INVALID (-2) /* bad argument: unknown worker or pid, payload too large */
#define FST_DISPATCH_ERR_GONE (-3)    /* the worker is lost or closed */
#define FST_DISPATCH_ERR_SYSTEM (-4)  /* a system call failed; errno says which */
#define FST_DISPATCH_ERR_STATE (-5)   /* called in the wrong state (start twice) */

typedef enum {
  FST_DISPATCH_FRAME = 1,       /* a frame from a worker ('D' included) */
  FST_DISPATCH_UNIT_SENT = 2,   /* a unit was queued to a worker ('U') */
  FST_DISPATCH_WORKER_LOST = 3, /* a worker is gone; its fds are closed */
  FST_DISPATCH_ALL_DONE = 4,    /* see above */
} fst_dispatch_event_kind;

typedef enum {
  FST_DISPATCH_LOST_EOF = 1,      /* its pipe reached end of file */
  FST_DISPATCH_LOST_PROTOCOL = 2, /* it sent bytes that are not frames */
  FST_DISPATCH_LOST_EXITED = 3,   /* fst_dispatch_worker_exited(); status = wait status */
  FST_DISPATCH_LOST_IO = 4,       /* read/write failed (EPIPE...); status = errno */
  FST_DISPATCH_LOST_CLOSED = 5,   /* fst_dispatch_close_worker() */
} fst_dispatch_lost_reason;

typedef struct {
  fst_dispatch_event_kind kind;
  int worker; /* worker id; -1 for ALL_DONE */

  /* FRAME: type byte and payload (a NUL follows payload[payload_size]). */
  char frame_type;
  const uint8_t *payload;
  size_t payload_size;

  /* UNIT_SENT */
  int unit;
  int steal; /* 1 when sent to a worker other than its home */

  /* WORKER_LOST */
  pid_t pid;
  fst_dispatch_lost_reason reason;
  int status;       /* EXITED: the wait status given; IO: errno; else 0 */
  int end_sent;     /* 1 when 'E' had been sent to it */
  const int *units; /* the units it held unfinished, in the order sent */
  size_t n_units;
} fst_dispatch_event;

/* Creates a dispatcher (no thread yet).  lookahead >= 1 is how many
 * unfinished units a worker may hold (FST_DISPATCH_DEFAULT_LOOKAHEAD: the
 * current one and the next, so the worker knows `nextitem`).
 * 0 and *out, or NOMEM / INVALID / SYSTEM. */
int fst_dispatch_new(int lookahead, fst_dispatch **out);

/* Makes the I/O thread pause `microseconds` (0..100000; default 0) after
 * each turn in which it read from a worker, before it polls again: frames
 * that arrive meanwhile are then read, and handed to wait(), together.
 * Why: with as many workers as cores, waking per frame (one per test)
 * preempts a worker thousands of times a second, each switch costing it
 * its CPU caches.  Output (units, 'E', 'Q') is still written at once.
 * Before start(): 0, else STATE; INVALID when out of range. */
int fst_dispatch_set_read_delay(fst_dispatch *self, int microseconds);

/* Lets a worker hold up to `max_units` (lookahead..FST_DISPATCH_MAX_HELD)
 * units while those after the one it runs add up to less than `seconds`
 * (0..60) of cost; default: lookahead units, 0 seconds.  With a read delay,
 * a worker's 'D' is answered up to that delay late, so its next units must
 * last at least that long or it waits for work.  Before any worker is
 * added: 0, else STATE; INVALID when out of range. */
int fst_dispatch_set_ahead(fst_dispatch *self, double seconds, int max_units);

/* Stops and joins the I/O thread, closes every fd it still owns, frees
 * everything (events not yet taken by wait() included).  The caller kills
 * and reaps the worker processes.  NULL is a no-op. */
void fst_dispatch_delete(fst_dispatch *self);

/* Adds a worker; takes ownership of both fds (they may be one socket fd)
 * and sets O_NONBLOCK and FD_CLOEXEC on them.  Before or after start(); a
 * worker added after run() is given work at once.  Returns its id (0, 1,
 * ... in the order added, never reused: a replacement gets a new id), or a
 * negative error, in which case the fds have been closed. */
int fst_dispatch_add_worker(fst_dispatch *self, int read_fd, int write_fd, pid_t pid);

/* Queues a unit for `home_worker` (an id from add_worker, even a lost one)
 * or FST_DISPATCH_ANY.  `payload` (copied) must be one JSON value; it is
 * embedded verbatim, not validated.  `cost` (seconds to run its tests)
 * orders stealing and measures the lookahead; `collect_cost` (seconds for
 * another worker to collect it first) decides whether a steal pays; both
 * >= 0.  Returns the unit id (0, 1, ... in the order added), or a negative
 * error. */
int fst_dispatch_add_unit(fst_dispatch *self, int home_worker, double cost, double collect_cost,
                          const void *payload, size_t size);

/* Queues one frame (payload copied) to one worker, after the frames already
 * queued to it.  0, or INVALID (unknown worker / too large), GONE, NOMEM. */
int fst_dispatch_send(fst_dispatch *self, int worker, char type, const void *payload, size_t size);

/* Starts the I/O thread (with every signal blocked).  Frames queued before
 * are written now.  0, STATE if already started, SYSTEM if the thread
 * cannot be created (the caller then runs in-process). */
int fst_dispatch_start(fst_dispatch *self);

/* Begins scheduling units (see above).  Idempotent.  0 or NOMEM. */
int fst_dispatch_run(fst_dispatch *self);

/* No more units are sent; 'Q' is queued to every live worker (after what
 * is already queued to it).  Idempotent.  0 or NOMEM. */
int fst_dispatch_stop(fst_dispatch *self);

/* Blocks until at least one event is pending or `timeout_ms` passed
 * (negative: no timeout; 0: just poll), then takes every pending event.
 * Returns the number of events (then *out is a batch to free) or 0 (*out
 * is NULL), or a negative error (NOMEM from the I/O thread: the run cannot
 * go on).  Frames of one worker come in the order received; a unit's
 * UNIT_SENT comes before any frame the worker sends about it.
 * Not interrupted by signals: use a timeout of ~100 ms and check for
 * KeyboardInterrupt between calls. */
int fst_dispatch_wait(fst_dispatch *self, int timeout_ms, fst_dispatch_batch **out);

/* The events of a batch, valid until fst_dispatch_batch_free. */
const fst_dispatch_event *fst_dispatch_batch_events(const fst_dispatch_batch *batch, size_t *count);
/* Frees a batch and everything its events point to.  NULL is a no-op. */
void fst_dispatch_batch_free(fst_dispatch_batch *batch);

/* The caller learned (from the zygote) that process `pid` exited with wait
 * status `wait_status`.  If it is a live worker, it is lost now (reason
 * EXITED): a child it forked may still hold its pipe open, so EOF may
 * never come.  Returns the worker id (also when that worker was already
 * lost: then no new event), or INVALID for an unknown pid. */
int fst_dispatch_worker_exited(fst_dispatch *self, pid_t pid, int wait_status);

/* Stops reading a worker and closes its fds (before the next poll); a
 * WORKER_LOST (reason CLOSED) reports the units it held.  The caller kills
 * the process.  0 (also if already lost), or INVALID. */
int fst_dispatch_close_worker(fst_dispatch *self, int worker);

#endif /* FST_DISPATCH_H */
