/* test_frame.c - the frame reader and encoder. */
#include <stdint.h>
#include <stdlib.h>

#include "fst_alloc.h"
#include "fst_frame.h"
#include "fst_test.h"

FST_TEST_DEFINE_GLOBALS;

/* Three frames of different shapes: empty payload, short, long. */
static void encode_sample(fst_frame_buffer *out) {
  static uint8_t big[5000];
  for (size_t i = 0; i < sizeof big; i++) big[i] = (uint8_t)(i * 7);
  FST_CHECK_INT(fst_frame_encode(out, 'E', NULL, 0), 0);
  FST_CHECK_INT(fst_frame_encode(out, 'D', "{\"unit\":3}", 10), 0);
  FST_CHECK_INT(fst_frame_encode(out, 'R', big, sizeof big), 0);
}

static int check_sample_frame(int index, const fst_frame *frame) {
  switch (index) {
    case 0:
      return frame->type == 'E' && frame->size == 0;
    case 1:
      return frame->type == 'D' && frame->size == 10 && memcmp(frame->payload, "{\"unit\":3}", 10) == 0;
    case 2:
      if (frame->type != 'R' || frame->size != 5000) return 0;
      for (size_t i = 0; i < frame->size; i++)
        if (frame->payload[i] != (uint8_t)(i * 7)) return 0;
      return 1;
    default:
      return 0;
  }
}

static void encode_should_write_little_endian_length_then_type(void) {
  fst_frame_buffer out;
  fst_frame_buffer_init(&out);
  FST_CHECK_INT(fst_frame_encode(&out, 'L', "ab", 2), 0);
  FST_CHECK_INT(out.size, 7);
  static const uint8_t expected[] = {3, 0, 0, 0, 'L', 'a', 'b'};
  FST_CHECK(memcmp(out.data, expected, sizeof expected) == 0);
  fst_frame_buffer_clear(&out);
  FST_CHECK(out.data == NULL && out.size == 0);
}

static void reader_should_round_trip_frames_fed_at_once(void) {
  fst_frame_buffer out = {0};
  encode_sample(&out);
  fst_frame_reader *reader = fst_frame_reader_new();
  FST_CHECK_INT(fst_frame_reader_feed(reader, out.data, out.size), 0);
  fst_frame frame;
  for (int i = 0; i < 3; i++) {
    FST_CHECK_INT(fst_frame_reader_next(reader, &frame), 1);
    FST_CHECK(check_sample_frame(i, &frame));
  }
  FST_CHECK_INT(fst_frame_reader_next(reader, &frame), 0);
  FST_CHECK_INT(fst_frame_reader_pending(reader), 0);
  fst_frame_reader_delete(reader);
  fst_frame_buffer_clear(&out);
}

/* Feeds `stream` cut at every position in `cuts` (sorted); returns the
 * number of frames that matched the sample, or -1 on a mismatch. */
static int feed_with_cuts(const fst_frame_buffer *stream, const size_t *cuts, size_t n_cuts) {
  fst_frame_reader *reader = fst_frame_reader_new();
  int seen = 0;
  size_t from = 0;
  for (size_t c = 0; c <= n_cuts; c++) {
    size_t to = c < n_cuts ? cuts[c] : stream->size;
    if (fst_frame_reader_feed(reader, stream->data + from, to - from) != 0) seen = -1;
    from = to;
    fst_frame frame;
    int status;
    while (seen >= 0 && (status = fst_frame_reader_next(reader, &frame)) == 1)
      seen = check_sample_frame(seen, &frame) ? seen + 1 : -1;
  }
  if (fst_frame_reader_pending(reader) != 0) seen = -1;
  fst_frame_reader_delete(reader);
  return seen;
}

static void reader_should_decode_every_split_into_two_chunks(void) {
  fst_frame_buffer out = {0};
  encode_sample(&out);
  int all_ok = 1;
  for (size_t cut = 0; cut <= out.size; cut++)
    if (feed_with_cuts(&out, &cut, 1) != 3) all_ok = 0;
  FST_CHECK(all_ok);
  fst_frame_buffer_clear(&out);
}

static void reader_should_decode_every_split_of_the_header_region_into_three_chunks(void) {
  /* All pairs of cut points over the first 40 bytes (the headers of the
   * first two frames and the start of the third), plus random triples. */
  fst_frame_buffer out = {0};
  encode_sample(&out);
  int all_ok = 1;
  for (size_t a = 0; a <= 40; a++)
    for (size_t b = a; b <= 40; b++) {
      size_t cuts[2] = {a, b};
      if (feed_with_cuts(&out, cuts, 2) != 3) all_ok = 0;
    }
  srand(7);
  for (int trial = 0; trial < 200; trial++) {
    size_t cuts[8];
    for (int i = 0; i < 8; i++) cuts[i] = (size_t)rand() % (out.size + 1);
    for (int i = 1; i < 8; i++) /* insertion sort */
      for (int j = i; j > 0 && cuts[j - 1] > cuts[j]; j--) {
        size_t t = cuts[j];
        cuts[j] = cuts[j - 1];
        cuts[j - 1] = t;
      }
    if (feed_with_cuts(&out, cuts, 8) != 3) all_ok = 0;
  }
  FST_CHECK(all_ok);
  fst_frame_buffer_clear(&out);
}

static void reader_should_decode_a_stream_fed_one_byte_at_a_time(void) {
  fst_frame_buffer out = {0};
  encode_sample(&out);
  size_t *cuts = malloc(out.size * sizeof *cuts);
  for (size_t i = 0; i < out.size; i++) cuts[i] = i;
  FST_CHECK_INT(feed_with_cuts(&out, cuts, out.size), 3);
  free(cuts);
  fst_frame_buffer_clear(&out);
}

static void reader_should_reject_a_zero_length_frame(void) {
  static const uint8_t bytes[] = {0, 0, 0, 0, 'D'};
  fst_frame_reader *reader = fst_frame_reader_new();
  fst_frame frame;
  FST_CHECK_INT(fst_frame_reader_feed(reader, bytes, 3), 0);
  FST_CHECK_INT(fst_frame_reader_next(reader, &frame), 0);
  FST_CHECK_INT(fst_frame_reader_feed(reader, bytes + 3, 2), 0);
  FST_CHECK_INT(fst_frame_reader_next(reader, &frame), FST_FRAME_ERR_PROTOCOL);
  FST_CHECK_INT(fst_frame_reader_next(reader, &frame), FST_FRAME_ERR_PROTOCOL);
  fst_frame_reader_delete(reader);
}

static void reader_should_reject_a_length_over_the_maximum_before_its_body_arrives(void) {
  uint32_t over = FST_FRAME_MAX + 1;
  uint8_t bytes[4] = {(uint8_t)over, (uint8_t)(over >> 8), (uint8_t)(over >> 16), (uint8_t)(over >> 24)};
  fst_frame_reader *reader = fst_frame_reader_new();
  fst_frame frame;
  FST_CHECK_INT(fst_frame_reader_feed(reader, bytes, 4), 0);
  FST_CHECK_INT(fst_frame_reader_next(reader, &frame), FST_FRAME_ERR_PROTOCOL);
  fst_frame_reader_delete(reader);
}

static void reader_should_accept_a_frame_of_exactly_the_maximum_length(void) {
  fst_frame_buffer out = {0};
  uint8_t *payload = calloc(FST_FRAME_MAX - 1, 1);
  payload[FST_FRAME_MAX - 2] = 0x5a;
  FST_CHECK_INT(fst_frame_encode(&out, 'R', payload, FST_FRAME_MAX - 1), 0);
  FST_CHECK_INT(fst_frame_encode(&out, 'R', payload, FST_FRAME_MAX), FST_FRAME_ERR_TOO_LARGE);
  fst_frame_reader *reader = fst_frame_reader_new();
  /* As the dispatcher does: read(2)-sized pieces into the reader's space. */
  size_t from = 0;
  fst_frame frame;
  int got = 0;
  while (from < out.size) {
    size_t available;
    uint8_t *space = fst_frame_reader_space(reader, 65536, &available);
    size_t n = out.size - from < available ? out.size - from : available;
    if (n > 65536) n = 65536;
    memcpy(space, out.data + from, n);
    fst_frame_reader_commit(reader, n);
    from += n;
    if (fst_frame_reader_next(reader, &frame) == 1) got++;
  }
  FST_CHECK_INT(got, 1);
  FST_CHECK_INT(frame.size, FST_FRAME_MAX - 1);
  FST_CHECK_INT(frame.payload[FST_FRAME_MAX - 2], 0x5a);
  fst_frame_reader_delete(reader);
  fst_frame_buffer_clear(&out);
  free(payload);
}

static void reader_should_report_garbage_as_a_protocol_error_without_crashing(void) {
  srand(11);
  int errors = 0;
  for (int trial = 0; trial < 1000; trial++) {
    uint8_t bytes[64];
    for (size_t i = 0; i < sizeof bytes; i++) bytes[i] = (uint8_t)rand();
    fst_frame_reader *reader = fst_frame_reader_new();
    fst_frame_reader_feed(reader, bytes, sizeof bytes);
    fst_frame frame;
    int status;
    while ((status = fst_frame_reader_next(reader, &frame)) == 1) {
    }
    if (status == FST_FRAME_ERR_PROTOCOL) errors++;
    fst_frame_reader_delete(reader);
  }
  /* Random lengths are almost all above 64 MiB. */
  FST_CHECK(errors > 900);
}

static void reader_should_keep_a_partial_frame_pending_at_eof(void) {
  fst_frame_buffer out = {0};
  FST_CHECK_INT(fst_frame_encode(&out, 'R', "hello", 5), 0);
  fst_frame_reader *reader = fst_frame_reader_new();
  FST_CHECK_INT(fst_frame_reader_feed(reader, out.data, out.size - 1), 0);
  fst_frame frame;
  FST_CHECK_INT(fst_frame_reader_next(reader, &frame), 0);
  FST_CHECK_INT(fst_frame_reader_pending(reader), out.size - 1);
  fst_frame_reader_delete(reader);
  fst_frame_buffer_clear(&out);
}

static void frame_begin_and_finish_should_build_a_frame_in_pieces(void) {
  fst_frame_buffer out = {0};
  size_t mark;
  FST_CHECK_INT(fst_frame_encode(&out, 'X', "1", 1), 0);
  FST_CHECK_INT(fst_frame_begin(&out, 'U', &mark), 0);
  FST_CHECK_INT(fst_frame_buffer_append(&out, "{\"a\":", 5), 0);
  FST_CHECK_INT(fst_frame_buffer_append(&out, "1}", 2), 0);
  FST_CHECK_INT(fst_frame_finish(&out, mark), 0);
  size_t before = out.size;
  FST_CHECK_INT(fst_frame_begin(&out, 'U', &mark), 0);
  FST_CHECK_INT(fst_frame_buffer_append(&out, "junk", 4), 0);
  fst_frame_abort(&out, mark);
  FST_CHECK_INT(out.size, before);

  fst_frame_reader *reader = fst_frame_reader_new();
  fst_frame_reader_feed(reader, out.data, out.size);
  fst_frame frame;
  FST_CHECK_INT(fst_frame_reader_next(reader, &frame), 1);
  FST_CHECK_INT(fst_frame_reader_next(reader, &frame), 1);
  FST_CHECK_INT(frame.type, 'U');
  FST_CHECK_INT(frame.size, 7);
  FST_CHECK(memcmp(frame.payload, "{\"a\":1}", 7) == 0);
  FST_CHECK_INT(fst_frame_reader_next(reader, &frame), 0);
  fst_frame_reader_delete(reader);
  fst_frame_buffer_clear(&out);
}

static void reader_and_encoder_should_fail_cleanly_when_allocation_fails(void) {
  for (long budget = 0; budget < 4; budget++) {
    fst_alloc_fail_after(budget);
    fst_frame_reader *reader = fst_frame_reader_new();
    fst_frame_buffer out = {0};
    int status = 0;
    if (reader) status = fst_frame_reader_feed(reader, "\x02\0\0\0Dx", 6);
    int encoded = fst_frame_encode(&out, 'D', "x", 1);
    fst_alloc_fail_after(-1);
    FST_CHECK(reader != NULL || budget == 0);
    FST_CHECK(status == 0 || status == FST_FRAME_ERR_NOMEM);
    FST_CHECK(encoded == 0 || (encoded == FST_FRAME_ERR_NOMEM && out.size == 0));
    if (reader && status == 0) {
      fst_frame frame;
      FST_CHECK_INT(fst_frame_reader_next(reader, &frame), 1);
    }
    fst_frame_reader_delete(reader);
    fst_frame_buffer_clear(&out);
  }
}

static void reader_should_give_back_memory_after_a_huge_frame(void) {
  fst_frame_buffer out = {0};
  size_t size = 8u << 20;
  uint8_t *payload = calloc(size, 1);
  FST_CHECK_INT(fst_frame_encode(&out, 'R', payload, size), 0);
  fst_frame_reader *reader = fst_frame_reader_new();
  fst_frame_reader_feed(reader, out.data, out.size);
  fst_frame frame;
  FST_CHECK_INT(fst_frame_reader_next(reader, &frame), 1);
  size_t available;
  FST_CHECK(fst_frame_reader_space(reader, 65536, &available) != NULL);
  FST_CHECK(available <= (1u << 20));
  fst_frame_reader_delete(reader);
  fst_frame_buffer_clear(&out);
  free(payload);
}

int main(void) {
  FST_RUN(encode_should_write_little_endian_length_then_type);
  FST_RUN(reader_should_round_trip_frames_fed_at_once);
  FST_RUN(reader_should_decode_every_split_into_two_chunks);
  FST_RUN(reader_should_decode_every_split_of_the_header_region_into_three_chunks);
  FST_RUN(reader_should_decode_a_stream_fed_one_byte_at_a_time);
  FST_RUN(reader_should_reject_a_zero_length_frame);
  FST_RUN(reader_should_reject_a_length_over_the_maximum_before_its_body_arrives);
  FST_RUN(reader_should_accept_a_frame_of_exactly_the_maximum_length);
  FST_RUN(reader_should_report_garbage_as_a_protocol_error_without_crashing);
  FST_RUN(reader_should_keep_a_partial_frame_pending_at_eof);
  FST_RUN(frame_begin_and_finish_should_build_a_frame_in_pieces);
  FST_RUN(reader_and_encoder_should_fail_cleanly_when_allocation_fails);
  FST_RUN(reader_should_give_back_memory_after_a_huge_frame);
  FST_TEST_EXIT();
}
