/*
 * Malformed migration streams, written by hand following the grammars at
 * the top of savevm.c and arch_init.c, for the tests that give them to a
 * destination: through a file (-incoming "exec:cat FILE"), or in a valid
 * TLS session to a listening destination. Each comes with what the
 * destination's refusal must say.
 *
 *   GByteArray *s = malformed_bad_magic.build();
 *   ... the destination's message contains malformed_bad_magic.refusal ...
 *
 * The streams are for a destination with STREAMS_GUEST_RAM of RAM (-m 64M),
 * whatever its guest.
 */
#ifndef TESTS_STREAMS_H
#define TESTS_STREAMS_H

#include <stdint.h>
#include <glib.h>

#define STREAMS_GUEST_RAM (64ull << 20)

typedef struct MalformedStream {
    const char *name;               /* for messages: "bad magic" */
    GByteArray *(*build)(void);     /* a new stream (g_byte_array_unref it) */
    const char *refusal;            /* a part of the destination's message */
} MalformedStream;

/* The framing */
extern const MalformedStream malformed_empty;
extern const MalformedStream malformed_bad_magic;
extern const MalformedStream malformed_unsupported_version;
extern const MalformedStream malformed_unknown_section;
extern const MalformedStream malformed_unknown_section_type;
extern const MalformedStream malformed_part_never_started;
extern const MalformedStream malformed_newer_section_version;
extern const MalformedStream malformed_older_ram_section_version;
extern const MalformedStream malformed_without_eof;
/* The ram section */
extern const MalformedStream malformed_unknown_ram_flags;
extern const MalformedStream malformed_obsolete_full_flag;
extern const MalformedStream malformed_unknown_block;
extern const MalformedStream malformed_block_size_mismatch;
extern const MalformedStream malformed_page_of_unknown_block;
extern const MalformedStream malformed_offset_outside_the_block;
extern const MalformedStream malformed_continue_without_a_block;
extern const MalformedStream malformed_page_with_two_kinds;
extern const MalformedStream malformed_truncated_raw_page;
extern const MalformedStream malformed_xbzrle_encoding_byte;
extern const MalformedStream malformed_xbzrle_length_over_a_page;
extern const MalformedStream malformed_xbzrle_delta;
extern const MalformedStream malformed_xbzrle_delta_past_the_page;
extern const MalformedStream malformed_truncated_xbzrle_delta;
/* Device sections */
extern const MalformedStream malformed_serial_fifo_overflow;
extern const MalformedStream malformed_serial_fifo_beyond_a_disabled_fifo;

/* Every one above, NULL-terminated. */
extern const MalformedStream *const malformed_streams[];

/* Writing more: a stream's header, and the start of a section (its type:
 * STREAM_SECTION_START ...; the instance is 0). */
enum {
    STREAM_SECTION_START = 1,
    STREAM_SECTION_PART = 2,
    STREAM_SECTION_END = 3,
    STREAM_SECTION_FULL = 4,
};
GByteArray *stream_new(void);
void stream_section_start(GByteArray *s, uint8_t type, uint32_t id, const char *name,
                          uint32_t version);

#endif
