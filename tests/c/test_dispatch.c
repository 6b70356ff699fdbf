/*
 * test_dispatch.c - the dispatcher against fake workers.
 *
 * Each fake worker is a forked child speaking the protocol over pipes (or a
 * socketpair): it answers 'U' with an 'R' echo of the unit frame, optional
 * extra reports, then 'D'; 'E' and 'Q' with an 'F' and exit.  Behaviours
 * (slow, holding, dying, garbage, never reading, ...) are switches.  Every
 * child is forked before the dispatcher's thread starts (a replacement
 * worker too: it is added after start), so no fork happens with threads.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fst_alloc.h"
#include "fst_dispatch.h"
#include "fst_frame.h"
#include "fst_test.h"

FST_TEST_DEFINE_GLOBALS;

/* ------------------------------------------------------------------ */
/* Fake workers                                                        */

typedef struct {
  int delay_us;        /* per unit, before 'D' */
  int reports;         /* extra 'R' frames per unit */
  size_t report_size;  /* bytes of each */
  int no_echo;         /* skip the 'R' echo of the 'U' payload */
  int die_on_unit;     /* _exit(3) on receiving the Nth unit (1-based) */
  int hold;            /* never answer 'D' */
  int garbage;         /* on the first unit: a valid 'R', then garbage */
  int bad_done;        /* on the first unit: 'D' naming a unit it does not hold */
  int never_read;      /* never reads its input at all */
  int linger;          /* after 'E', keep reading until EOF */
  int ping;            /* per unit: `reports` timestamped frames, 1 ms apart */
  int needs_next;      /* as pytest: ends a unit once the next (or 'E') came; 'I' */
} fake_behavior;

static int parent_fds[512];
static size_t n_parent_fds;
static pid_t children[128];
static size_t n_children;

static void write_all(int fd, const void *data, size_t size) {
  const uint8_t *p = data;
  while (size) {
    ssize_t n = write(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) _exit(5);
    p += n;
    size -= (size_t)n;
  }
}

static void send_frame(int fd, char type, const void *payload, size_t size) {
  fst_frame_buffer out = {0};
  if (fst_frame_encode(&out, type, payload, size) != 0) _exit(6);
  write_all(fd, out.data, out.size);
  fst_frame_buffer_clear(&out);
}

static long long now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void sleep_us(long us) {
  struct timespec t = {us / 1000000, (us % 1000000) * 1000};
  while (nanosleep(&t, &t) != 0 && errno == EINTR) {
  }
}

/* A unit's work: its delay, then its 'D' (extra keys are the Python side's). */
static void finish_unit(const fake_behavior *b, int out, int id) {
  if (b->delay_us) sleep_us(b->delay_us);
  char done[64];
  int m = snprintf(done, sizeof done, "{\"unit\":%d,\"duration\":0.5}", id);
  send_frame(out, 'D', done, (size_t)m);
}

static void fake_worker_main(const fake_behavior *b, int in, int out) {
  if (b->never_read)
    for (;;) pause();
  fst_frame_reader *reader = fst_frame_reader_new();
  char *report = malloc(b->report_size + 1);
  memset(report, 'r', b->report_size);
  int units_seen = 0;
  int waiting_unit = -1; /* needs_next: the unit whose last item waits */
  for (;;) {
    size_t available;
    uint8_t *space = fst_frame_reader_space(reader, 65536, &available);
    ssize_t n = read(in, space, available);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) _exit(0);
    fst_frame_reader_commit(reader, (size_t)n);
    fst_frame frame;
    int status;
    while ((status = fst_frame_reader_next(reader, &frame)) == 1) {
      char text[512];
      size_t length = frame.size < sizeof text - 1 ? frame.size : sizeof text - 1;
      memcpy(text, frame.payload, length);
      text[length] = 0;
      if (frame.type == 'U') {
        int id = -1;
        if (sscanf(text, "{\"unit\":%d", &id) != 1) _exit(7);
        units_seen++;
        if (b->die_on_unit == units_seen) _exit(3);
        if (b->garbage) {
          send_frame(out, 'R', "before", 6);
          write_all(out, "garbage!", 8);
          for (;;) pause();
        }
        if (b->bad_done) {
          send_frame(out, 'D', "{\"unit\":999}", 12);
          for (;;) pause();
        }
        if (!b->no_echo) send_frame(out, 'R', frame.payload, frame.size);
        for (int r = 0; r < b->reports; r++) {
          if (b->ping) {
            long long t = now_ns();
            send_frame(out, 'P', &t, sizeof t);
            sleep_us(1000);
          } else {
            send_frame(out, 'R', report, b->report_size);
          }
        }
        if (b->needs_next) {
          if (waiting_unit >= 0) finish_unit(b, out, waiting_unit);
          waiting_unit = id;
          send_frame(out, 'I', NULL, 0);
        } else if (b->hold) {
          if (b->delay_us) sleep_us(b->delay_us);
        } else {
          finish_unit(b, out, id);
        }
      } else if (frame.type == 'E') {
        if (waiting_unit >= 0) finish_unit(b, out, waiting_unit);
        send_frame(out, 'F', "end", 3);
        if (!b->linger) _exit(0);
      } else if (frame.type == 'Q') {
        send_frame(out, 'F', "quit", 4);
        _exit(0);
      } else if (frame.type == 'L') {
        send_frame(out, 'C', frame.payload, frame.size);
      }
    }
    if (status < 0) _exit(8);
  }
}

/* Forks a fake worker; *read_fd / *write_fd are the parent's ends. */
static pid_t spawn(const fake_behavior *b, int use_socket, int *read_fd, int *write_fd) {
  int to_child[2], from_child[2];
  if (use_socket) {
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, to_child) != 0) abort();
    from_child[0] = to_child[0];
    from_child[1] = to_child[1];
  } else if (pipe(to_child) != 0 || pipe(from_child) != 0) {
    abort();
  }
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) abort();
  if (pid == 0) {
    /* Other workers' parent ends would keep their pipes open. */
    for (size_t i = 0; i < n_parent_fds; i++) close(parent_fds[i]);
    if (use_socket) {
      close(to_child[0]);
      fake_worker_main(b, to_child[1], to_child[1]);
    } else {
      close(to_child[1]);
      close(from_child[0]);
      fake_worker_main(b, to_child[0], from_child[1]);
    }
    _exit(0);
  }
  children[n_children++] = pid;
  if (use_socket) {
    close(to_child[1]);
    *read_fd = *write_fd = to_child[0];
    parent_fds[n_parent_fds++] = to_child[0];
  } else {
    close(to_child[0]);
    close(from_child[1]);
    *read_fd = from_child[0];
    *write_fd = to_child[1];
    parent_fds[n_parent_fds++] = from_child[0];
    parent_fds[n_parent_fds++] = to_child[1];
  }
  return pid;
}

static pid_t add_fake(fst_dispatch *d, const fake_behavior *b, int use_socket, int *id) {
  int r, w;
  pid_t pid = spawn(b, use_socket, &r, &w);
  *id = fst_dispatch_add_worker(d, r, w, pid);
  return pid;
}

/* Kills and reaps every child; forgets the parent fds (the dispatcher
 * closed them at delete). */
static void reap_all(void) {
  for (size_t i = 0; i < n_children; i++) {
    kill(children[i], SIGKILL);
    waitpid(children[i], NULL, 0);
  }
  n_children = 0;
  n_parent_fds = 0;
}

/* ------------------------------------------------------------------ */
/* Recording events                                                    */

typedef struct {
  fst_dispatch_event_kind kind;
  int worker, unit, steal;
  char type;
  char payload[128];
  fst_dispatch_lost_reason reason;
  int status, end_sent;
  int units[8];
  size_t n_units;
  pid_t pid;
} record;

typedef struct {
  record *items;
  size_t count, capacity;
  int all_done, lost, frames, batches;
} recording;

static void record_batch(recording *log, fst_dispatch_batch *batch) {
  size_t count;
  const fst_dispatch_event *events = fst_dispatch_batch_events(batch, &count);
  log->batches++;
  for (size_t i = 0; i < count; i++) {
    const fst_dispatch_event *e = &events[i];
    if (log->count == log->capacity) {
      log->capacity = log->capacity ? log->capacity * 2 : 256;
      log->items = realloc(log->items, log->capacity * sizeof *log->items);
    }
    record *r = &log->items[log->count++];
    memset(r, 0, sizeof *r);
    r->kind = e->kind;
    r->worker = e->worker;
    if (e->kind == FST_DISPATCH_FRAME) {
      r->type = e->frame_type;
      size_t n = e->payload_size < sizeof r->payload - 1 ? e->payload_size : sizeof r->payload - 1;
      memcpy(r->payload, e->payload, n);
      if (e->payload[e->payload_size] != 0) r->payload[0] = '!'; /* NUL promised */
      log->frames++;
    } else if (e->kind == FST_DISPATCH_UNIT_SENT) {
      r->unit = e->unit;
      r->steal = e->steal;
    } else if (e->kind == FST_DISPATCH_WORKER_LOST) {
      r->reason = e->reason;
      r->status = e->status;
      r->end_sent = e->end_sent;
      r->pid = e->pid;
      r->n_units = e->n_units;
      for (size_t k = 0; k < e->n_units && k < 8; k++) r->units[k] = e->units[k];
      log->lost++;
    } else if (e->kind == FST_DISPATCH_ALL_DONE) {
      log->all_done++;
    }
  }
}

typedef int (*predicate)(const recording *log, int arg);

static int until_all_done_and_lost(const recording *log, int workers) {
  return log->all_done > 0 && log->lost >= workers;
}
static int until_lost(const recording *log, int workers) { return log->lost >= workers; }
static int until_all_done(const recording *log, int unused) { return log->all_done > 0; }
static int until_units_sent(const recording *log, int n) {
  int sent = 0;
  for (size_t i = 0; i < log->count; i++) sent += log->items[i].kind == FST_DISPATCH_UNIT_SENT;
  return sent >= n;
}
static int never(const recording *log, int unused) { return 0; }

/* Waits for events until `until` holds (1) or `timeout_ms` passes (0). */
static int pump(fst_dispatch *d, recording *log, predicate until, int arg, int timeout_ms) {
  long long deadline = now_ns() + (long long)timeout_ms * 1000000LL;
  while (!until(log, arg)) {
    if (now_ns() > deadline) return 0;
    fst_dispatch_batch *batch;
    int n = fst_dispatch_wait(d, 20, &batch);
    if (n < 0) return 0;
    if (n > 0) record_batch(log, batch);
    fst_dispatch_batch_free(batch);
  }
  return 1;
}

static void recording_free(recording *log) { free(log->items); }

static int count_kind(const recording *log, fst_dispatch_event_kind kind, int worker) {
  int n = 0;
  for (size_t i = 0; i < log->count; i++)
    n += log->items[i].kind == kind && (worker < 0 || log->items[i].worker == worker);
  return n;
}

static int count_frames(const recording *log, char type, int worker) {
  int n = 0;
  for (size_t i = 0; i < log->count; i++)
    n += log->items[i].kind == FST_DISPATCH_FRAME && log->items[i].type == type &&
         (worker < 0 || log->items[i].worker == worker);
  return n;
}

static const record *find_lost(const recording *log, int worker) {
  for (size_t i = 0; i < log->count; i++)
    if (log->items[i].kind == FST_DISPATCH_WORKER_LOST && log->items[i].worker == worker)
      return &log->items[i];
  return NULL;
}

static int add_units(fst_dispatch *d, int n, int home, const char *format) {
  int last = -1;
  for (int i = 0; i < n; i++) {
    char payload[64];
    int m = snprintf(payload, sizeof payload, format, i);
    last = fst_dispatch_add_unit(d, home, (double)(n - i), 0.0, payload, (size_t)m);
  }
  return last;
}

/* ------------------------------------------------------------------ */
/* Tests                                                               */

static void dispatch_should_send_units_in_order_with_the_callers_payload(void) {
  fst_dispatch *d;
  FST_CHECK_INT(fst_dispatch_new(FST_DISPATCH_DEFAULT_LOOKAHEAD, &d), 0);
  fake_behavior b = {0};
  int id;
  pid_t pid = add_fake(d, &b, 0, &id);
  FST_CHECK_INT(id, 0);
  FST_CHECK_INT(fst_dispatch_send(d, id, 'L', "{\"files\":[\"a.py\"]}", 18), 0);
  FST_CHECK_INT(fst_dispatch_add_unit(d, 0, 3.0, 0.0, "{\"p\":\"a\"}", 9), 0);
  FST_CHECK_INT(fst_dispatch_add_unit(d, 0, 2.0, 0.0, "{\"p\":\"b\"}", 9), 1);
  FST_CHECK_INT(fst_dispatch_add_unit(d, 0, 1.0, 0.0, "[1,2]", 5), 2);
  FST_CHECK_INT(fst_dispatch_start(d), 0);
  FST_CHECK_INT(fst_dispatch_start(d), FST_DISPATCH_ERR_STATE);
  FST_CHECK_INT(fst_dispatch_run(d), 0);
  recording log = {0};
  FST_CHECK(pump(d, &log, until_all_done_and_lost, 1, 10000));

  const char *echoes[] = {"{\"unit\":0,\"steal\":false,\"data\":{\"p\":\"a\"}}",
                          "{\"unit\":1,\"steal\":false,\"data\":{\"p\":\"b\"}}",
                          "{\"unit\":2,\"steal\":false,\"data\":[1,2]}"};
  int sent = 0, echoed = 0, collected = 0;
  for (size_t i = 0; i < log.count; i++) {
    const record *r = &log.items[i];
    if (r->kind == FST_DISPATCH_UNIT_SENT) {
      FST_CHECK_INT(r->unit, sent);
      FST_CHECK_INT(r->steal, 0);
      sent++;
    }
    if (r->kind == FST_DISPATCH_FRAME && r->type == 'R' && echoed < 3) FST_CHECK_STR(r->payload, echoes[echoed++]);
    if (r->kind == FST_DISPATCH_FRAME && r->type == 'C') {
      FST_CHECK_STR(r->payload, "{\"files\":[\"a.py\"]}");
      FST_CHECK_INT(echoed, 0); /* 'L' was queued before any unit */
      collected++;
    }
  }
  FST_CHECK_INT(sent, 3);
  FST_CHECK_INT(echoed, 3);
  FST_CHECK_INT(collected, 1);
  FST_CHECK_INT(count_frames(&log, 'D', 0), 3);
  FST_CHECK_INT(count_frames(&log, 'F', 0), 1);
  FST_CHECK_INT(log.all_done, 1);
  const record *lost = find_lost(&log, 0);
  FST_CHECK(lost != NULL);
  if (lost) {
    FST_CHECK_INT(lost->reason, FST_DISPATCH_LOST_EOF);
    FST_CHECK_INT(lost->end_sent, 1);
    FST_CHECK_INT(lost->n_units, 0);
    FST_CHECK_INT(lost->pid, pid);
  }
  FST_CHECK_INT(fst_dispatch_send(d, 0, 'X', "x", 1), FST_DISPATCH_ERR_GONE);
  FST_CHECK_INT(fst_dispatch_send(d, 7, 'X', "x", 1), FST_DISPATCH_ERR_INVALID);
  fst_dispatch_delete(d);
  recording_free(&log);
  reap_all();
}

static void dispatch_should_hold_at_most_lookahead_units_per_worker(void) {
  for (int lookahead = 1; lookahead <= 3; lookahead++) {
    fst_dispatch *d;
    FST_CHECK_INT(fst_dispatch_new(lookahead, &d), 0);
    fake_behavior b = {.hold = 1};
    int id;
    add_fake(d, &b, 1, &id);
    add_units(d, 5, 0, "{\"i\":%d}");
    fst_dispatch_start(d);
    fst_dispatch_run(d);
    recording log = {0};
    pump(d, &log, never, 0, 200);
    FST_CHECK_INT(count_kind(&log, FST_DISPATCH_UNIT_SENT, 0), lookahead);
    FST_CHECK_INT(count_frames(&log, 'R', 0), lookahead);
    FST_CHECK_INT(log.all_done, 0);
    FST_CHECK_INT(fst_dispatch_close_worker(d, id), 0);
    FST_CHECK_INT(fst_dispatch_close_worker(d, 9), FST_DISPATCH_ERR_INVALID);
    FST_CHECK(pump(d, &log, until_lost, 1, 5000));
    const record *lost = find_lost(&log, 0);
    FST_CHECK(lost && lost->reason == FST_DISPATCH_LOST_CLOSED && lost->n_units == (size_t)lookahead);
    for (int k = 0; lost && k < lookahead; k++) FST_CHECK_INT(lost->units[k], k);
    /* Units 2.. are still queued and nobody can take them: not done. */
    FST_CHECK_INT(log.all_done, 0);
    fst_dispatch_delete(d);
    recording_free(&log);
    reap_all();
  }
}

/* A dispatcher (lookahead 2) with two fake workers on pipes, behaving as b0 and b1. */
static fst_dispatch *with_two_fakes(const fake_behavior *b0, const fake_behavior *b1, int *w0,
                                    int *w1) {
  fst_dispatch *d;
  FST_CHECK_INT(fst_dispatch_new(2, &d), 0);
  add_fake(d, b0, 0, w0);
  add_fake(d, b1, 0, w1);
  return d;
}

/* Start two workers' run and record it until every unit is done and both are gone. */
static void run_two_to_the_end(fst_dispatch *d, recording *log) {
  fst_dispatch_start(d);
  fst_dispatch_run(d);
  FST_CHECK(pump(d, log, until_all_done_and_lost, 2, 20000));
}

static void dispatch_should_let_a_fast_worker_steal_the_last_units_of_a_slow_one(void) {
  fake_behavior slow = {.delay_us = 40000}, fast = {0};
  int w0, w1;
  fst_dispatch *d = with_two_fakes(&slow, &fast, &w0, &w1);
  add_units(d, 12, w0, "{\"i\":%d}");
  recording log = {0};
  run_two_to_the_end(d, &log);
  int first_stolen = -1, stolen = 0, by_slow = 0;
  for (size_t i = 0; i < log.count; i++) {
    const record *r = &log.items[i];
    if (r->kind != FST_DISPATCH_UNIT_SENT) continue;
    if (r->worker == w1) {
      FST_CHECK_INT(r->steal, 1);
      if (first_stolen < 0) first_stolen = r->unit;
      stolen++;
    } else {
      FST_CHECK_INT(r->steal, 0);
      by_slow++;
    }
  }
  FST_CHECK_INT(first_stolen, 11); /* the last (shortest) queued unit */
  FST_CHECK(stolen >= 6);
  FST_CHECK_INT(stolen + by_slow, 12);
  FST_CHECK_INT(count_frames(&log, 'D', -1), 12);
  fst_dispatch_delete(d);
  recording_free(&log);
  reap_all();
}

static void dispatch_should_let_a_worker_waiting_for_its_next_unit_steal(void) {
  /* Workers that, as pytest's, finish a unit only once they know the next:
   * w1 runs out of its own units while holding one and says 'I'; without a
   * steal it would wait for w0's whole queue, then run its last test. */
  fake_behavior slow = {.delay_us = 20000, .needs_next = 1}, fast = {.needs_next = 1};
  int w0, w1;
  fst_dispatch *d = with_two_fakes(&slow, &fast, &w0, &w1);
  add_units(d, 12, w0, "{\"i\":%d}");
  add_units(d, 2, w1, "{\"i\":%d}");
  recording log = {0};
  run_two_to_the_end(d, &log);
  int stolen = 0;
  for (size_t i = 0; i < log.count; i++) {
    const record *r = &log.items[i];
    if (r->kind == FST_DISPATCH_UNIT_SENT && r->worker == w1 && r->steal) stolen++;
  }
  FST_CHECK(stolen >= 4);
  FST_CHECK_INT(count_frames(&log, 'D', -1), 14);
  FST_CHECK_INT(count_frames(&log, 'I', -1), 0); /* consumed by the dispatcher */
  fst_dispatch_delete(d);
  recording_free(&log);
  reap_all();
}

/* Units of the given run cost and collect cost, for `home`. */
static void add_costed_units(fst_dispatch *d, int n, int home, double cost, double collect_cost) {
  for (int i = 0; i < n; i++) {
    char payload[32];
    int m = snprintf(payload, sizeof payload, "{\"i\":%d}", i);
    FST_CHECK(fst_dispatch_add_unit(d, home, cost, collect_cost, payload, (size_t)m) >= 0);
  }
}

static void dispatch_should_hold_more_units_while_the_next_ones_are_short(void) {
  /* Lookahead 2, up to 5 units while those after the first cost < 10 ms. */
  struct {
    double cost;
    int held;
  } cases[] = {{0.001, 5}, {0.004, 4}, {0.02, 2}};
  for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
    fst_dispatch *d;
    FST_CHECK_INT(fst_dispatch_new(2, &d), 0);
    FST_CHECK_INT(fst_dispatch_set_ahead(d, 0.01, 5), 0);
    fake_behavior b = {.hold = 1};
    int id;
    add_fake(d, &b, 1, &id);
    FST_CHECK_INT(fst_dispatch_set_ahead(d, 0.01, 5), FST_DISPATCH_ERR_STATE);
    add_costed_units(d, 8, id, cases[c].cost, 0.0);
    fst_dispatch_start(d);
    fst_dispatch_run(d);
    recording log = {0};
    pump(d, &log, never, 0, 200);
    FST_CHECK_INT(count_kind(&log, FST_DISPATCH_UNIT_SENT, 0), cases[c].held);
    FST_CHECK_INT(fst_dispatch_close_worker(d, id), 0);
    FST_CHECK(pump(d, &log, until_lost, 1, 5000));
    const record *lost = find_lost(&log, 0);
    FST_CHECK(lost && lost->n_units == (size_t)cases[c].held);
    fst_dispatch_delete(d);
    recording_free(&log);
    reap_all();
  }
}

static void dispatch_should_end_at_once_a_worker_that_has_only_unprofitable_steals(void) {
  /* w1 holds its one unit and, as pytest, cannot finish it before it knows
   * what comes next; w0's queue costs more to collect than to wait for.
   * w1 is sent 'E' at once: its unit is done long before w0's queue. */
  fake_behavior slow = {.delay_us = 20000, .needs_next = 1}, fast = {.needs_next = 1};
  int w0, w1;
  fst_dispatch *d = with_two_fakes(&slow, &fast, &w0, &w1);
  add_costed_units(d, 8, w0, 0.001, 0.5);
  add_costed_units(d, 1, w1, 0.001, 0.5);
  recording log = {0};
  run_two_to_the_end(d, &log);
  int w0_done_before = -1, w0_done = 0;
  for (size_t i = 0; i < log.count; i++) {
    const record *r = &log.items[i];
    if (r->kind == FST_DISPATCH_UNIT_SENT) FST_CHECK_INT(r->steal, 0);
    if (r->kind != FST_DISPATCH_FRAME || r->type != 'D') continue;
    if (r->worker == w0) w0_done++;
    if (r->worker == w1) w0_done_before = w0_done;
  }
  FST_CHECK(w0_done_before >= 0 && w0_done_before <= 2);
  FST_CHECK_INT(w0_done, 8);
  fst_dispatch_delete(d);
  recording_free(&log);
  reap_all();
}

static void dispatch_should_not_steal_a_unit_whose_collection_costs_more_than_waiting(void) {
  /* w1 has nothing; w0's queued units run in 1 ms but take another worker
   * 50 ms to collect: w0 keeps them all.  The same units collected in no
   * time are stolen. */
  for (int cheap = 0; cheap <= 1; cheap++) {
    fake_behavior slow = {.delay_us = 10000}, idle = {0};
    int w0, w1;
    fst_dispatch *d = with_two_fakes(&slow, &idle, &w0, &w1);
    add_costed_units(d, 6, w0, 0.001, cheap ? 0.0 : 0.05);
    recording log = {0};
    run_two_to_the_end(d, &log);
    int stolen = count_kind(&log, FST_DISPATCH_UNIT_SENT, w1); /* w1 has no units of its own */
    if (cheap)
      FST_CHECK(stolen >= 1);
    else
      FST_CHECK_INT(stolen, 0);
    FST_CHECK_INT(count_frames(&log, 'D', -1), 6);
    fst_dispatch_delete(d);
    recording_free(&log);
    reap_all();
  }
}

/* How many wait() batches carried a worker's 40 frames sent 1 ms apart. */
static int batches_for_40_pings(int read_delay_us) {
  fst_dispatch *d;
  FST_CHECK_INT(fst_dispatch_new(2, &d), 0);
  FST_CHECK_INT(fst_dispatch_set_read_delay(d, read_delay_us), 0);
  fake_behavior ping = {.reports = 40, .ping = 1, .no_echo = 1};
  int w0;
  add_fake(d, &ping, 0, &w0);
  add_units(d, 1, w0, "{\"i\":%d}");
  fst_dispatch_start(d);
  FST_CHECK_INT(fst_dispatch_set_read_delay(d, 0), FST_DISPATCH_ERR_STATE);
  fst_dispatch_run(d);
  int batches = 0, pings = 0;
  while (pings < 40) {
    fst_dispatch_batch *batch;
    int n = fst_dispatch_wait(d, 5000, &batch);
    if (n <= 0) break;
    size_t count;
    const fst_dispatch_event *events = fst_dispatch_batch_events(batch, &count);
    int any = 0;
    for (size_t i = 0; i < count; i++)
      if (events[i].kind == FST_DISPATCH_FRAME && events[i].frame_type == 'P') pings++, any = 1;
    batches += any;
    fst_dispatch_batch_free(batch);
  }
  FST_CHECK_INT(pings, 40);
  fst_dispatch_delete(d);
  reap_all();
  return batches;
}

static void dispatch_should_read_frames_in_batches_given_a_read_delay(void) {
  fst_dispatch *d;
  FST_CHECK_INT(fst_dispatch_new(2, &d), 0);
  FST_CHECK_INT(fst_dispatch_set_read_delay(d, -1), FST_DISPATCH_ERR_INVALID);
  FST_CHECK_INT(fst_dispatch_set_read_delay(d, 100001), FST_DISPATCH_ERR_INVALID);
  fst_dispatch_delete(d);
  /* Without a delay each 1 ms frame is its own batch (a loaded machine may
   * merge a few); with 10 ms, about one batch per 10 frames. */
  int eager = batches_for_40_pings(0), batched = batches_for_40_pings(10000);
  FST_CHECK(eager >= 20);
  FST_CHECK(batched <= 10);
}

static void dispatch_should_share_the_any_queue_between_workers(void) {
  fst_dispatch *d;
  FST_CHECK_INT(fst_dispatch_new(2, &d), 0);
  fake_behavior b = {.delay_us = 2000};
  int w0, w1;
  add_fake(d, &b, 0, &w0);
  add_fake(d, &b, 1, &w1);
  add_units(d, 20, FST_DISPATCH_ANY, "{\"i\":%d}");
  recording log = {0};
  run_two_to_the_end(d, &log);
  FST_CHECK(count_kind(&log, FST_DISPATCH_UNIT_SENT, w0) >= 3);
  FST_CHECK(count_kind(&log, FST_DISPATCH_UNIT_SENT, w1) >= 3);
  for (size_t i = 0; i < log.count; i++)
    if (log.items[i].kind == FST_DISPATCH_UNIT_SENT) FST_CHECK_INT(log.items[i].steal, 0);
  FST_CHECK_INT(count_frames(&log, 'D', -1), 20);
  fst_dispatch_delete(d);
  recording_free(&log);
  reap_all();
}

static void dispatch_should_send_end_exactly_once_per_worker(void) {
  fst_dispatch *d;
  FST_CHECK_INT(fst_dispatch_new(2, &d), 0);
  fake_behavior b = {.linger = 1};
  int ids[3];
  for (int i = 0; i < 3; i++) add_fake(d, &b, i == 1, &ids[i]);
  add_units(d, 5, ids[0], "{\"i\":%d}");
  add_units(d, 2, FST_DISPATCH_ANY, "{\"j\":%d}");
  fst_dispatch_start(d);
  fst_dispatch_run(d);
  recording log = {0};
  FST_CHECK(pump(d, &log, until_all_done, 0, 10000));
  pump(d, &log, never, 0, 200); /* a second 'E' would have time to show */
  for (int i = 0; i < 3; i++) FST_CHECK_INT(count_frames(&log, 'F', ids[i]), 1);
  FST_CHECK_INT(log.all_done, 1);
  FST_CHECK_INT(log.lost, 0); /* lingering: still connected */
  for (int i = 0; i < 3; i++) fst_dispatch_close_worker(d, ids[i]);
  FST_CHECK(pump(d, &log, until_lost, 3, 5000));
  FST_CHECK_INT(log.all_done, 1);
  fst_dispatch_delete(d);
  recording_free(&log);
  reap_all();
}

static void dispatch_stop_should_send_quit_to_every_live_worker(void) {
  fst_dispatch *d;
  FST_CHECK_INT(fst_dispatch_new(2, &d), 0);
  fake_behavior b = {.hold = 1};
  int w0, w1;
  add_fake(d, &b, 0, &w0);
  add_fake(d, &b, 1, &w1);
  add_units(d, 3, w0, "{\"i\":%d}");
  add_units(d, 3, w1, "{\"j\":%d}");
  fst_dispatch_start(d);
  fst_dispatch_run(d);
  recording log = {0};
  FST_CHECK(pump(d, &log, until_units_sent, 4, 5000));
  FST_CHECK_INT(fst_dispatch_stop(d), 0);
  FST_CHECK_INT(fst_dispatch_stop(d), 0);
  FST_CHECK(pump(d, &log, until_all_done_and_lost, 2, 5000));
  FST_CHECK_INT(count_frames(&log, 'F', -1), 2);
  FST_CHECK_INT(count_kind(&log, FST_DISPATCH_UNIT_SENT, -1), 4);
  const record *lost0 = find_lost(&log, w0), *lost1 = find_lost(&log, w1);
  FST_CHECK(lost0 && lost0->n_units == 2 && lost0->units[0] == 0 && lost0->units[1] == 1);
  FST_CHECK(lost1 && lost1->n_units == 2 && lost1->units[0] == 3 && lost1->units[1] == 4);
  FST_CHECK(lost0 && lost0->reason == FST_DISPATCH_LOST_EOF && !lost0->end_sent);
  /* ALL_DONE is the last event. */
  FST_CHECK(log.count && log.items[log.count - 1].kind == FST_DISPATCH_ALL_DONE);
  fst_dispatch_delete(d);
  recording_free(&log);
  reap_all();
}

static void dispatch_should_report_the_units_of_a_worker_that_dies_mid_unit(void) {
  fst_dispatch *d;
  FST_CHECK_INT(fst_dispatch_new(2, &d), 0);
  fake_behavior dies = {.die_on_unit = 1}, good = {0};
  int w0, w1, r, w;
  pid_t pid0 = add_fake(d, &dies, 0, &w0);
  /* The replacement is forked now (no thread yet) and added after start. */
  pid_t pid1 = spawn(&good, 0, &r, &w);
  add_units(d, 3, w0, "{\"i\":%d}");
  fst_dispatch_start(d);
  fst_dispatch_run(d);
  recording log = {0};
  FST_CHECK(pump(d, &log, until_lost, 1, 5000));
  const record *lost = find_lost(&log, w0);
  FST_CHECK(lost && lost->reason == FST_DISPATCH_LOST_EOF && lost->n_units == 2);
  FST_CHECK(lost && lost->units[0] == 0 && lost->units[1] == 1 && lost->pid == pid0);
  FST_CHECK_INT(log.all_done, 0);
  int status;
  FST_CHECK_INT(waitpid(pid0, &status, 0), pid0);
  FST_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 3);
  /* Already lost: the id comes back, no second event. */
  FST_CHECK_INT(fst_dispatch_worker_exited(d, pid0, status), w0);

  /* The caller re-adds what is left of the lost units, then adds the
   * replacement (added first, it would get unit 2 and, with nothing else
   * queued at that moment, 'E'). */
  FST_CHECK_INT(fst_dispatch_add_unit(d, FST_DISPATCH_ANY, 1.0, 0.0, "{\"again\":0}", 11), 3);
  FST_CHECK_INT(fst_dispatch_add_unit(d, FST_DISPATCH_ANY, 1.0, 0.0, "{\"again\":1}", 11), 4);
  w1 = fst_dispatch_add_worker(d, r, w, pid1);
  FST_CHECK_INT(w1, 1);
  FST_CHECK(pump(d, &log, until_all_done_and_lost, 2, 5000));
  FST_CHECK_INT(log.lost, 2);
  int seen[5] = {0};
  for (size_t i = 0; i < log.count; i++)
    if (log.items[i].kind == FST_DISPATCH_UNIT_SENT && log.items[i].worker == w1) {
      seen[log.items[i].unit]++;
      /* Unit 2 was homed to the dead worker: the replacement collects it. */
      FST_CHECK_INT(log.items[i].steal, log.items[i].unit == 2);
    }
  FST_CHECK(seen[2] == 1 && seen[3] == 1 && seen[4] == 1 && !seen[0] && !seen[1]);
  FST_CHECK_INT(count_frames(&log, 'D', w1), 3);
  fst_dispatch_delete(d);
  recording_free(&log);
  reap_all();
}

static void dispatch_worker_exited_should_lose_a_worker_whose_pipe_stays_open(void) {
  fst_dispatch *d;
  FST_CHECK_INT(fst_dispatch_new(2, &d), 0);
  fake_behavior b = {.hold = 1};
  int id;
  pid_t pid = add_fake(d, &b, 0, &id);
  add_units(d, 3, id, "{\"i\":%d}");
  fst_dispatch_start(d);
  fst_dispatch_run(d);
  recording log = {0};
  FST_CHECK(pump(d, &log, until_units_sent, 2, 5000));
  FST_CHECK_INT(fst_dispatch_worker_exited(d, pid + 100000, 0), FST_DISPATCH_ERR_INVALID);
  FST_CHECK_INT(fst_dispatch_worker_exited(d, pid, 9 /* killed by SIGKILL */), id);
  FST_CHECK(pump(d, &log, until_lost, 1, 5000));
  const record *lost = find_lost(&log, id);
  FST_CHECK(lost && lost->reason == FST_DISPATCH_LOST_EXITED && lost->status == 9);
  FST_CHECK(lost && lost->n_units == 2 && lost->units[0] == 0 && lost->units[1] == 1);
  FST_CHECK_INT(fst_dispatch_worker_exited(d, pid, 9), id);
  pump(d, &log, never, 0, 100);
  FST_CHECK_INT(log.lost, 1);
  fst_dispatch_delete(d);
  recording_free(&log);
  reap_all();
}

static void dispatch_should_lose_a_worker_that_writes_garbage(void) {
  for (int variant = 0; variant < 2; variant++) {
    fst_dispatch *d;
    FST_CHECK_INT(fst_dispatch_new(2, &d), 0);
    fake_behavior bad = {.garbage = variant == 0, .bad_done = variant == 1}, good = {0};
    int w0, w1;
    add_fake(d, &bad, variant, &w0);
    add_fake(d, &good, 0, &w1);
    add_units(d, 2, w0, "{\"i\":%d}");
    add_units(d, 2, w1, "{\"j\":%d}");
    fst_dispatch_start(d);
    fst_dispatch_run(d);
    recording log = {0};
    FST_CHECK(pump(d, &log, until_lost, 2, 5000));
    const record *lost = find_lost(&log, w0);
    FST_CHECK(lost && lost->reason == FST_DISPATCH_LOST_PROTOCOL);
    FST_CHECK(lost && lost->n_units == 2);
    if (variant == 0) {
      /* The valid frame before the garbage was delivered, before the loss. */
      int before = -1, lost_at = -1;
      for (size_t i = 0; i < log.count; i++) {
        if (log.items[i].worker != w0) continue;
        if (log.items[i].kind == FST_DISPATCH_FRAME && !strcmp(log.items[i].payload, "before")) before = (int)i;
        if (log.items[i].kind == FST_DISPATCH_WORKER_LOST) lost_at = (int)i;
      }
      FST_CHECK(before >= 0 && before < lost_at);
    }
    FST_CHECK_INT(count_frames(&log, 'D', w1), 2);
    fst_dispatch_delete(d);
    recording_free(&log);
    reap_all();
  }
}

static void dispatch_should_not_block_others_on_a_worker_that_never_reads(void) {
  fst_dispatch *d;
  FST_CHECK_INT(fst_dispatch_new(2, &d), 0);
  fake_behavior stuck = {.never_read = 1}, good = {0};
  int w0, w1;
  add_fake(d, &stuck, 0, &w0);
  add_fake(d, &good, 0, &w1);
  static char big[256 * 1024];
  memset(big, 'x', sizeof big);
  for (int i = 0; i < 16; i++) FST_CHECK_INT(fst_dispatch_send(d, w0, 'X', big, sizeof big), 0);
  add_units(d, 200, w1, "{\"i\":%d}");
  fst_dispatch_start(d);
  fst_dispatch_run(d);
  recording log = {0};
  /* 4 MiB stays queued for w0 (its pipe holds 64 KiB) while w1 finishes.
   * w0, holding nothing, steals the last unit, which then sits behind the
   * 4 MiB; holding one, it steals no more. */
  FST_CHECK(pump(d, &log, until_lost, 1, 10000));
  FST_CHECK_INT(count_frames(&log, 'D', w1), 199);
  FST_CHECK_INT(count_frames(&log, 'F', w1), 1);
  FST_CHECK_INT(count_kind(&log, FST_DISPATCH_UNIT_SENT, w0), 1);
  FST_CHECK_INT(count_kind(&log, FST_DISPATCH_WORKER_LOST, w0), 0);
  FST_CHECK_INT(log.all_done, 0);
  fst_dispatch_close_worker(d, w0);
  FST_CHECK(pump(d, &log, until_lost, 2, 5000));
  const record *lost = find_lost(&log, w0);
  FST_CHECK(lost && lost->n_units == 1 && lost->units[0] == 199);
  FST_CHECK_INT(log.all_done, 1);
  fst_dispatch_delete(d);
  recording_free(&log);
  reap_all();
}

static void dispatch_should_run_1000_units_on_4_workers_exactly_once(void) {
  fst_dispatch *d;
  FST_CHECK_INT(fst_dispatch_new(2, &d), 0);
  int ids[4];
  for (int i = 0; i < 4; i++) {
    fake_behavior b = {.reports = 2, .report_size = 200, .delay_us = i == 0 ? 300 : 0};
    add_fake(d, &b, i % 2, &ids[i]);
  }
  srand(3);
  for (int u = 0; u < 1000; u++) {
    char payload[64];
    int n = snprintf(payload, sizeof payload, "{\"file\":\"test_%d.py\"}", u);
    int home = u % 5 == 4 ? FST_DISPATCH_ANY : ids[u % 4];
    FST_CHECK_INT(fst_dispatch_add_unit(d, home, (double)(rand() % 100), 0.0, payload, (size_t)n), u);
  }
  fst_dispatch_start(d);
  fst_dispatch_run(d);
  recording log = {0};
  FST_CHECK(pump(d, &log, until_all_done_and_lost, 4, 60000));
  static int sent[1000], done[1000];
  memset(sent, 0, sizeof sent);
  memset(done, 0, sizeof done);
  for (size_t i = 0; i < log.count; i++) {
    const record *r = &log.items[i];
    if (r->kind == FST_DISPATCH_UNIT_SENT) sent[r->unit]++;
    int unit;
    if (r->kind == FST_DISPATCH_FRAME && r->type == 'D' && sscanf(r->payload, "{\"unit\":%d", &unit) == 1)
      done[unit]++;
  }
  int exact = 1;
  for (int u = 0; u < 1000; u++) exact &= sent[u] == 1 && done[u] == 1;
  FST_CHECK(exact);
  FST_CHECK_INT(count_frames(&log, 'R', -1), 3000);
  FST_CHECK_INT(count_frames(&log, 'F', -1), 4);
  for (int i = 0; i < 4; i++) {
    const record *lost = find_lost(&log, ids[i]);
    FST_CHECK(lost && lost->reason == FST_DISPATCH_LOST_EOF && lost->end_sent && lost->n_units == 0);
  }
  FST_CHECK_INT(log.all_done, 1);
  fst_dispatch_delete(d);
  recording_free(&log);
  reap_all();
}

static int fd_is_open(int fd) { return fcntl(fd, F_GETFD) != -1; }

static void dispatch_should_fail_cleanly_when_allocation_fails(void) {
  int created = 0;
  for (long budget = 0; budget < 8; budget++) {
    fst_dispatch *d = NULL;
    fst_alloc_fail_after(budget);
    int status = fst_dispatch_new(2, &d);
    fst_alloc_fail_after(-1);
    FST_CHECK(status == 0 || status == FST_DISPATCH_ERR_NOMEM);
    FST_CHECK((status == 0) == (d != NULL));
    created += status == 0;
    fst_dispatch_delete(d);
  }
  FST_CHECK(created > 0);

  int worker_added = 0, unit_added = 0;
  for (long budget = 0; budget < 12; budget++) {
    fst_dispatch *d;
    FST_CHECK_INT(fst_dispatch_new(2, &d), 0);
    int fds[2];
    FST_CHECK_INT(pipe(fds), 0);
    fst_alloc_fail_after(budget);
    int id = fst_dispatch_add_worker(d, fds[0], fds[1], 1);
    int unit = fst_dispatch_add_unit(d, FST_DISPATCH_ANY, 1.0, 0.0, "{}", 2);
    int sent = id >= 0 ? fst_dispatch_send(d, id, 'L', "{}", 2) : 0;
    int ran = fst_dispatch_run(d);
    fst_alloc_fail_after(-1);
    FST_CHECK(id >= 0 || id == FST_DISPATCH_ERR_NOMEM);
    FST_CHECK(unit >= 0 || unit == FST_DISPATCH_ERR_NOMEM);
    FST_CHECK(sent == 0 || sent == FST_DISPATCH_ERR_NOMEM);
    FST_CHECK(ran == 0 || ran == FST_DISPATCH_ERR_NOMEM);
    if (id < 0) FST_CHECK(!fd_is_open(fds[0]) && !fd_is_open(fds[1]));
    worker_added += id >= 0;
    unit_added += unit >= 0;
    fst_dispatch_delete(d);
    FST_CHECK(!fd_is_open(fds[0]) && !fd_is_open(fds[1]));
  }
  FST_CHECK(worker_added > 0 && worker_added < 12);
  FST_CHECK(unit_added > 0);
}

static void dispatch_should_reject_bad_arguments(void) {
  fst_dispatch *d;
  FST_CHECK_INT(fst_dispatch_new(0, &d), FST_DISPATCH_ERR_INVALID);
  FST_CHECK_INT(fst_dispatch_new(1, &d), 0);
  FST_CHECK_INT(fst_dispatch_add_unit(d, 3, 1.0, 0.0, "{}", 2), FST_DISPATCH_ERR_INVALID);
  FST_CHECK_INT(fst_dispatch_add_unit(d, FST_DISPATCH_ANY, -1.0, 0.0, "{}", 2),
                FST_DISPATCH_ERR_INVALID);
  FST_CHECK_INT(fst_dispatch_add_unit(d, FST_DISPATCH_ANY, 1.0, -1.0, "{}", 2),
                FST_DISPATCH_ERR_INVALID);
  FST_CHECK_INT(fst_dispatch_set_ahead(d, 0.01, 0), FST_DISPATCH_ERR_INVALID);
  FST_CHECK_INT(fst_dispatch_set_ahead(d, -1.0, 2), FST_DISPATCH_ERR_INVALID);
  FST_CHECK_INT(fst_dispatch_set_ahead(d, 0.01, FST_DISPATCH_MAX_HELD + 1),
                FST_DISPATCH_ERR_INVALID);
  FST_CHECK_INT(fst_dispatch_add_worker(d, -1, -1, 1), FST_DISPATCH_ERR_INVALID);
  fst_dispatch_batch *batch = (fst_dispatch_batch *)1;
  FST_CHECK_INT(fst_dispatch_wait(d, 0, &batch), 0);
  FST_CHECK(batch == NULL);
  long long start = now_ns();
  FST_CHECK_INT(fst_dispatch_wait(d, 30, &batch), 0);
  FST_CHECK(now_ns() - start >= 29000000LL);
  /* run() with nothing at all is done at once. */
  FST_CHECK_INT(fst_dispatch_run(d), 0);
  FST_CHECK_INT(fst_dispatch_wait(d, 0, &batch), 1);
  size_t count;
  const fst_dispatch_event *events = fst_dispatch_batch_events(batch, &count);
  FST_CHECK(count == 1 && events[0].kind == FST_DISPATCH_ALL_DONE);
  fst_dispatch_batch_free(batch);
  fst_dispatch_delete(d);
  fst_dispatch_delete(NULL);
}

/* Not a check: numbers for the report (frames/s, wait() latency). */
static void dispatch_throughput_and_latency_should_be_measured(void) {
  const char *env = getenv("FST_DISPATCH_BENCH_FRAMES");
  int per_unit = env ? atoi(env) : 20000;
  fst_dispatch *d;
  FST_CHECK_INT(fst_dispatch_new(2, &d), 0);
  fake_behavior flood = {.reports = per_unit, .report_size = 100, .no_echo = 1};
  int w0, w1;
  add_fake(d, &flood, 0, &w0);
  add_fake(d, &flood, 0, &w1);
  add_units(d, 10, FST_DISPATCH_ANY, "{\"i\":%d}");
  fst_dispatch_start(d);
  long long start = now_ns();
  fst_dispatch_run(d);
  recording log = {0};
  long frames = 0, batches = 0;
  int lost = 0, done = 0;
  while ((!done || lost < 2) && now_ns() - start < 120000000000LL) {
    fst_dispatch_batch *batch;
    int n = fst_dispatch_wait(d, 100, &batch);
    if (n <= 0) continue;
    size_t count;
    const fst_dispatch_event *events = fst_dispatch_batch_events(batch, &count);
    batches++;
    for (size_t i = 0; i < count; i++) {
      frames += events[i].kind == FST_DISPATCH_FRAME;
      lost += events[i].kind == FST_DISPATCH_WORKER_LOST;
      done += events[i].kind == FST_DISPATCH_ALL_DONE;
    }
    fst_dispatch_batch_free(batch);
  }
  double seconds = (double)(now_ns() - start) / 1e9;
  FST_CHECK_INT(frames, 10L * per_unit + 10 + 2);
  printf("  throughput: %ld frames (100-byte payload) from 2 workers in %.3f s = %.0f frames/s, "
         "%ld batches (%.0f frames/batch)\n",
         frames, seconds, (double)frames / seconds, batches, (double)frames / (double)batches);
  fst_dispatch_delete(d);
  reap_all();

  /* Latency: a worker stamps CLOCK_MONOTONIC into a frame every 1 ms; the
   * delay to wait() returning it covers pipe, poll, I/O thread, condvar. */
  FST_CHECK_INT(fst_dispatch_new(2, &d), 0);
  fake_behavior ping = {.reports = 500, .ping = 1, .no_echo = 1};
  add_fake(d, &ping, 0, &w0);
  add_units(d, 1, w0, "{\"i\":%d}");
  fst_dispatch_start(d);
  fst_dispatch_run(d);
  static long long delays[600];
  int n_delays = 0;
  done = 0;
  while (!done) {
    fst_dispatch_batch *batch;
    int n = fst_dispatch_wait(d, 1000, &batch);
    long long now = now_ns();
    if (n <= 0) break;
    size_t count;
    const fst_dispatch_event *events = fst_dispatch_batch_events(batch, &count);
    for (size_t i = 0; i < count; i++) {
      if (events[i].kind == FST_DISPATCH_FRAME && events[i].frame_type == 'P' && n_delays < 600) {
        long long sent_at;
        memcpy(&sent_at, events[i].payload, sizeof sent_at);
        delays[n_delays++] = now - sent_at;
      }
      done |= events[i].kind == FST_DISPATCH_ALL_DONE;
    }
    fst_dispatch_batch_free(batch);
  }
  FST_CHECK_INT(n_delays, 500);
  for (int i = 1; i < n_delays; i++) /* insertion sort: 500 items */
    for (int j = i; j > 0 && delays[j - 1] > delays[j]; j--) {
      long long t = delays[j];
      delays[j] = delays[j - 1];
      delays[j - 1] = t;
    }
  if (n_delays)
    printf("  wait() latency (worker write -> wait() returns): median %.1f us, p90 %.1f us, p99 %.1f us, max %.1f us\n",
           (double)delays[n_delays / 2] / 1e3, (double)delays[n_delays * 9 / 10] / 1e3,
           (double)delays[n_delays * 99 / 100] / 1e3, (double)delays[n_delays - 1] / 1e3);
  fst_dispatch_delete(d);
  recording_free(&log);
  reap_all();
}

int main(void) {
  /* Fake workers die with the parent's pipe; the tests reap them. */
  FST_RUN(dispatch_should_reject_bad_arguments);
  FST_RUN(dispatch_should_send_units_in_order_with_the_callers_payload);
  FST_RUN(dispatch_should_hold_at_most_lookahead_units_per_worker);
  FST_RUN(dispatch_should_let_a_fast_worker_steal_the_last_units_of_a_slow_one);
  FST_RUN(dispatch_should_let_a_worker_waiting_for_its_next_unit_steal);
  FST_RUN(dispatch_should_hold_more_units_while_the_next_ones_are_short);
  FST_RUN(dispatch_should_not_steal_a_unit_whose_collection_costs_more_than_waiting);
  FST_RUN(dispatch_should_end_at_once_a_worker_that_has_only_unprofitable_steals);
  FST_RUN(dispatch_should_read_frames_in_batches_given_a_read_delay);
  FST_RUN(dispatch_should_share_the_any_queue_between_workers);
  FST_RUN(dispatch_should_send_end_exactly_once_per_worker);
  FST_RUN(dispatch_stop_should_send_quit_to_every_live_worker);
  FST_RUN(dispatch_should_report_the_units_of_a_worker_that_dies_mid_unit);
  FST_RUN(dispatch_worker_exited_should_lose_a_worker_whose_pipe_stays_open);
  FST_RUN(dispatch_should_lose_a_worker_that_writes_garbage);
  FST_RUN(dispatch_should_not_block_others_on_a_worker_that_never_reads);
  FST_RUN(dispatch_should_run_1000_units_on_4_workers_exactly_once);
  FST_RUN(dispatch_should_fail_cleanly_when_allocation_fails);
  FST_RUN(dispatch_throughput_and_latency_should_be_measured);
  FST_TEST_EXIT();
}
