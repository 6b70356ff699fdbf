/*
 * fst_frame.h - length-prefixed frames between the controller and workers.
 *
 * Wire format (docs/protocol.md):
 *
 *   uint32 L (little-endian) | 1 type byte | L-1 payload bytes
 *
 * with 1 <= L <= FST_FRAME_MAX.  Any other L is a protocol error: the peer
 * is treated as corrupt, never trusted to resynchronize.
 *
 * Two halves:
 *   - fst_frame_reader: incremental decoder.  Bytes arrive in chunks of any
 *     size (a read(2) may end anywhere, even inside the 4 length bytes); the
 *     reader keeps the partial tail and hands out complete frames that point
 *     into its own buffer (zero-copy).  The caller may read(2) straight into
 *     the reader (fst_frame_reader_space + fst_frame_reader_commit) so a byte
 *     is copied only by the kernel.
 *   - fst_frame_buffer + fst_frame_encode: an encoder that appends frames to
 *     a growable byte buffer (the output queue of one worker).
 *
 * Ownership: a reader owns its buffer; frames it returns borrow from it.
 * A fst_frame_buffer owns `data` (fst_alloc), released by
 * fst_frame_buffer_clear.
 * Thread-safety: none inside; one reader or buffer is used by one thread at
 * a time (distinct objects may be used by distinct threads freely).
 */
#ifndef FST_FRAME_H
#define FST_FRAME_H

#include <stddef.h>
#include <stdint.h>

/* Largest L (type byte + payload) a frame may declare: 64 MiB. */
#define FST_FRAME_MAX ((uint32_t)64 * 1024 * 1024)
/* Bytes of the length prefix. */
#define FST_FRAME_HEADER_SIZE 4

/* Status values (0 = success). */
#define FST_FRAME_ERR_PROTOCOL (-1)  /* L == 0 or L > FST_FRAME_MAX */
#define FST_FRAME_ERR_NOMEM (-2)     /* fst_alloc failed; the object is unchanged */
#define FST_FRAME_ERR_TOO_LARGE (-3) /* encoder: payload would exceed FST_FRAME_MAX */

/* Frame types (ASCII).  Controller -> worker: */
#define FST_FRAME_COLLECT 'L' /* collect: JSON */
#define FST_FRAME_UNIT 'U'    /* run unit: {"unit":id,"steal":bool,"data":...} */
#define FST_FRAME_END 'E'     /* no more units: finish, sessionfinish, exit */
#define FST_FRAME_QUIT 'Q'    /* stop after the current test (-x, Ctrl-C) */
#define FST_FRAME_OTHER 'X'   /* opaque to C, from the Python side */
/* Worker -> controller (all but 'D' and 'I' are opaque to C and forwarded): */
#define FST_FRAME_DONE 'D' /* unit done: JSON {"unit": id, ...} */
#define FST_FRAME_IDLE 'I' /* blocked: it holds no unit after the current one (empty) */

/* One decoded frame.  `payload` points into the reader's buffer and stays
 * valid until the next fst_frame_reader_space / _feed / _delete on that
 * reader (fst_frame_reader_next and _commit do not move bytes). */
typedef struct {
  char type;
  const uint8_t *payload;
  size_t size; /* L - 1 */
} fst_frame;

/* ------------------------------------------------------------------ */
/* Reader                                                              */

typedef struct fst_frame_reader fst_frame_reader;

/* A new, empty reader, or NULL when out of memory.  Free with _delete. */
fst_frame_reader *fst_frame_reader_new(void);
void fst_frame_reader_delete(fst_frame_reader *self);

/* Writable space of at least `min` bytes at the end of the buffered data,
 * for read(2) to fill; `*available` receives its actual size (>= min; more
 * when a known partial frame needs more).  Then call _commit with the number
 * of bytes written.  NULL when out of memory (the reader is unchanged).
 * Invalidates previously returned frames (it may move the partial tail). */
uint8_t *fst_frame_reader_space(fst_frame_reader *self, size_t min, size_t *available);

/* Marks `count` bytes of the space from _space as filled. */
void fst_frame_reader_commit(fst_frame_reader *self, size_t count);

/* Copies `size` bytes in (convenience for tests and fuzzing).  0, or
 * FST_FRAME_ERR_NOMEM (nothing was added). */
int fst_frame_reader_feed(fst_frame_reader *self, const void *data, size_t size);

/* Takes the next complete frame: 1 and fills *frame; 0 when more bytes are
 * needed; FST_FRAME_ERR_PROTOCOL as soon as a length prefix is invalid (the
 * error is sticky: every later call returns it too). */
int fst_frame_reader_next(fst_frame_reader *self, fst_frame *frame);

/* Bytes buffered and not yet returned as frames (a partial frame at EOF). */
size_t fst_frame_reader_pending(const fst_frame_reader *self);

/* ------------------------------------------------------------------ */
/* Encoder                                                             */

/* A growable byte buffer.  Zero-initialize it (or _init) before use. */
typedef struct {
  uint8_t *data;
  size_t size;     /* bytes used */
  size_t capacity; /* bytes allocated */
} fst_frame_buffer;

void fst_frame_buffer_init(fst_frame_buffer *self);
/* Frees the bytes and re-initializes the buffer. */
void fst_frame_buffer_clear(fst_frame_buffer *self);
/* Ensures room for `extra` more bytes: 0 or FST_FRAME_ERR_NOMEM. */
int fst_frame_buffer_reserve(fst_frame_buffer *self, size_t extra);
/* Appends raw bytes: 0 or FST_FRAME_ERR_NOMEM. */
int fst_frame_buffer_append(fst_frame_buffer *self, const void *data, size_t size);

/* Appends one whole frame.  0, FST_FRAME_ERR_NOMEM or
 * FST_FRAME_ERR_TOO_LARGE; on error the buffer is unchanged. */
int fst_frame_encode(fst_frame_buffer *out, char type, const void *payload, size_t size);

/* Building a frame in pieces (no intermediate copy of a large payload):
 * _begin writes the header with a placeholder length and stores its offset
 * in *mark; append the payload with fst_frame_buffer_append; _finish patches
 * the length.  If anything fails, _abort(out, mark) removes the partial
 * frame.  _finish returns FST_FRAME_ERR_TOO_LARGE (and removes the frame)
 * when the payload exceeds the maximum. */
int fst_frame_begin(fst_frame_buffer *out, char type, size_t *mark);
int fst_frame_finish(fst_frame_buffer *out, size_t mark);
void fst_frame_abort(fst_frame_buffer *out, size_t mark);

#endif /* FST_FRAME_H */
