/*
 * fuzz_frame.c - the frame reader on arbitrary bytes, in arbitrary chunks.
 *
 * Input layout: a sequence of (size byte, chunk) pairs.  Each size byte
 * gives the length of the chunk after it (1..37), so the input itself
 * decides where the stream is split, inside length prefixes included, and
 * the chunk bytes are fed to one reader through fst_frame_reader_space /
 * _commit exactly as the dispatcher feeds it from read(2).  After each
 * chunk every complete frame is pulled and checked against what the
 * reader's own invariants promise; a protocol error ends the stream, as it
 * ends a worker.  Any frame decoded is re-encoded and decoded again.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fst_frame.h"

static void fuzz_frame__round_trip(const fst_frame *frame) {
  fst_frame_buffer out;
  fst_frame_buffer_init(&out);
  if (fst_frame_encode(&out, frame->type, frame->payload, frame->size) == 0) {
    fst_frame_reader *again = fst_frame_reader_new();
    if (again && fst_frame_reader_feed(again, out.data, out.size) == 0) {
      fst_frame copy;
      int status = fst_frame_reader_next(again, &copy);
      if (status != 1 || copy.type != frame->type || copy.size != frame->size ||
          (copy.size && memcmp(copy.payload, frame->payload, copy.size) != 0))
        abort();
      if (fst_frame_reader_pending(again) != 0) abort();
    }
    fst_frame_reader_delete(again);
  }
  fst_frame_buffer_clear(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fst_frame_reader *reader = fst_frame_reader_new();
  if (!reader) return 0;
  size_t at = 0, total_framed = 0, fed = 0;
  while (at < size) {
    size_t chunk = (size_t)data[at++] % 37 + 1;
    if (chunk > size - at) chunk = size - at;
    size_t available;
    uint8_t *space = fst_frame_reader_space(reader, chunk, &available);
    if (!space) break;
    assert(available >= chunk);
    memcpy(space, data + at, chunk);
    fst_frame_reader_commit(reader, chunk);
    at += chunk;
    fed += chunk;
    fst_frame frame;
    int status;
    while ((status = fst_frame_reader_next(reader, &frame)) == 1) {
      total_framed += FST_FRAME_HEADER_SIZE + 1 + frame.size;
      fuzz_frame__round_trip(&frame);
    }
    if (status < 0) {
      if (status != FST_FRAME_ERR_PROTOCOL) abort();
      break;
    }
    /* Every byte fed is either in a returned frame or pending. */
    if (total_framed + fst_frame_reader_pending(reader) != fed) abort();
  }
  fst_frame_reader_delete(reader);
  return 0;
}
