/* fst_frame.c - length-prefixed frame reader and encoder (fst_frame.h). */
#include "fst_frame.h"

#include <assert.h>
#include <string.h>

#include "fst_alloc.h"

/* A reader that held one huge frame gives the memory back once it is
 * empty again, so one 64 MiB report does not pin 64 MiB per worker. */
#define FST_FRAME__KEEP_CAPACITY ((size_t)1 << 20)

struct fst_frame_reader {
  uint8_t *data;
  size_t start;    /* first byte not yet returned in a frame */
  size_t end;      /* one past the last byte received */
  size_t capacity; /* bytes allocated at data */
  int error;       /* sticky FST_FRAME_ERR_PROTOCOL, else 0 */
};

static uint32_t fst_frame__load_le32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void fst_frame__store_le32(uint8_t *p, uint32_t value) {
  p[0] = (uint8_t)value;
  p[1] = (uint8_t)(value >> 8);
  p[2] = (uint8_t)(value >> 16);
  p[3] = (uint8_t)(value >> 24);
}

fst_frame_reader *fst_frame_reader_new(void) { return fst_calloc(1, sizeof(fst_frame_reader)); }

void fst_frame_reader_delete(fst_frame_reader *self) {
  if (!self) return;
  fst_free(self->data);
  fst_free(self);
}

/* Bytes still missing from the partial frame at `start`, when its length
 * prefix is complete and valid; 0 otherwise. */
static size_t fst_frame__missing(const fst_frame_reader *self) {
  size_t buffered = self->end - self->start;
  if (buffered < FST_FRAME_HEADER_SIZE) return 0;
  uint32_t length = fst_frame__load_le32(self->data + self->start);
  if (length == 0 || length > FST_FRAME_MAX) return 0;
  size_t whole = FST_FRAME_HEADER_SIZE + (size_t)length;
  return whole > buffered ? whole - buffered : 0;
}

uint8_t *fst_frame_reader_space(fst_frame_reader *self, size_t min, size_t *available) {
  assert(self && available);
  if (min == 0) min = 1;
  size_t need = min;
  /* Grow toward a known large frame by at most the size of what already
   * arrived (geometric in the bytes received, so few reallocs), rather
   * than trusting the peer's length prefix with 64 MiB at once. */
  size_t missing = fst_frame__missing(self);
  size_t buffered = self->end - self->start;
  if (missing > need) {
    size_t step = buffered > need ? buffered : need;
    need = missing < step ? missing : step;
  }

  if (self->start == self->end) {
    self->start = self->end = 0;
    if (self->capacity > FST_FRAME__KEEP_CAPACITY && need <= FST_FRAME__KEEP_CAPACITY) {
      uint8_t *smaller = fst_malloc(FST_FRAME__KEEP_CAPACITY);
      if (smaller) {
        fst_free(self->data);
        self->data = smaller;
        self->capacity = FST_FRAME__KEEP_CAPACITY;
      }
    }
  }
  if (self->capacity - self->end < need && self->start > 0) {
    /* Move the partial tail to the front.  It happens only after frames
     * were consumed, so a byte moves at most once per read, never once per
     * chunk of a growing large frame. */
    memmove(self->data, self->data + self->start, buffered);
    self->start = 0;
    self->end = buffered;
  }
  if (self->capacity - self->end < need) {
    size_t capacity = self->capacity ? self->capacity * 2 : 4096;
    if (capacity < self->end + need) capacity = self->end + need;
    uint8_t *grown = fst_realloc(self->data, capacity);
    if (!grown) return NULL;
    self->data = grown;
    self->capacity = capacity;
  }
  *available = self->capacity - self->end;
  return self->data + self->end;
}

void fst_frame_reader_commit(fst_frame_reader *self, size_t count) {
  assert(self && count <= self->capacity - self->end);
  self->end += count;
}

int fst_frame_reader_feed(fst_frame_reader *self, const void *data, size_t size) {
  if (size == 0) return 0;
  size_t available;
  uint8_t *space = fst_frame_reader_space(self, size, &available);
  if (!space) return FST_FRAME_ERR_NOMEM;
  memcpy(space, data, size);
  fst_frame_reader_commit(self, size);
  return 0;
}

int fst_frame_reader_next(fst_frame_reader *self, fst_frame *frame) {
  assert(self && frame);
  if (self->error) return self->error;
  size_t buffered = self->end - self->start;
  if (buffered < FST_FRAME_HEADER_SIZE) return 0;
  const uint8_t *header = self->data + self->start;
  uint32_t length = fst_frame__load_le32(header);
  /* Checked before the body arrives: garbage fails at once instead of
   * waiting for up to 4 GiB that will never come. */
  if (length == 0 || length > FST_FRAME_MAX) {
    self->error = FST_FRAME_ERR_PROTOCOL;
    return self->error;
  }
  if (buffered - FST_FRAME_HEADER_SIZE < length) return 0;
  frame->type = (char)header[FST_FRAME_HEADER_SIZE];
  frame->payload = header + FST_FRAME_HEADER_SIZE + 1;
  frame->size = (size_t)length - 1;
  self->start += FST_FRAME_HEADER_SIZE + (size_t)length;
  return 1;
}

size_t fst_frame_reader_pending(const fst_frame_reader *self) { return self->end - self->start; }

/* ------------------------------------------------------------------ */

void fst_frame_buffer_init(fst_frame_buffer *self) {
  self->data = NULL;
  self->size = 0;
  self->capacity = 0;
}

void fst_frame_buffer_clear(fst_frame_buffer *self) {
  fst_free(self->data);
  fst_frame_buffer_init(self);
}

int fst_frame_buffer_reserve(fst_frame_buffer *self, size_t extra) {
  if (self->capacity - self->size >= extra) return 0;
  if (extra > SIZE_MAX / 2 - self->size) return FST_FRAME_ERR_NOMEM;
  size_t capacity = self->capacity ? self->capacity * 2 : 256;
  if (capacity < self->size + extra) capacity = self->size + extra;
  uint8_t *grown = fst_realloc(self->data, capacity);
  if (!grown) return FST_FRAME_ERR_NOMEM;
  self->data = grown;
  self->capacity = capacity;
  return 0;
}

int fst_frame_buffer_append(fst_frame_buffer *self, const void *data, size_t size) {
  if (size == 0) return 0;
  int status = fst_frame_buffer_reserve(self, size);
  if (status) return status;
  memcpy(self->data + self->size, data, size);
  self->size += size;
  return 0;
}

int fst_frame_encode(fst_frame_buffer *out, char type, const void *payload, size_t size) {
  if (size > FST_FRAME_MAX - 1) return FST_FRAME_ERR_TOO_LARGE;
  int status = fst_frame_buffer_reserve(out, FST_FRAME_HEADER_SIZE + 1 + size);
  if (status) return status;
  uint8_t *p = out->data + out->size;
  fst_frame__store_le32(p, (uint32_t)size + 1);
  p[FST_FRAME_HEADER_SIZE] = (uint8_t)type;
  if (size) memcpy(p + FST_FRAME_HEADER_SIZE + 1, payload, size);
  out->size += FST_FRAME_HEADER_SIZE + 1 + size;
  return 0;
}

int fst_frame_begin(fst_frame_buffer *out, char type, size_t *mark) {
  int status = fst_frame_buffer_reserve(out, FST_FRAME_HEADER_SIZE + 1);
  if (status) return status;
  *mark = out->size;
  uint8_t *p = out->data + out->size;
  fst_frame__store_le32(p, 0); /* patched by fst_frame_finish */
  p[FST_FRAME_HEADER_SIZE] = (uint8_t)type;
  out->size += FST_FRAME_HEADER_SIZE + 1;
  return 0;
}

int fst_frame_finish(fst_frame_buffer *out, size_t mark) {
  assert(mark + FST_FRAME_HEADER_SIZE + 1 <= out->size);
  size_t length = out->size - mark - FST_FRAME_HEADER_SIZE;
  if (length > FST_FRAME_MAX) {
    fst_frame_abort(out, mark);
    return FST_FRAME_ERR_TOO_LARGE;
  }
  fst_frame__store_le32(out->data + mark, (uint32_t)length);
  return 0;
}

void fst_frame_abort(fst_frame_buffer *out, size_t mark) {
  assert(mark <= out->size);
  out->size = mark;
}
