/*
 * Malformed migration streams (tests/streams.h), written byte by byte:
 * big-endian fields as QEMUFile writes them, then one flaw each.
 */
#include <string.h>

#include "streams.h"

/* ---------------------------------------------------------------------- */
/* Writing streams */

static void put8(GByteArray *s, uint8_t v)
{
    g_byte_array_append(s, &v, 1);
}

static void put16(GByteArray *s, uint16_t v)
{
    put8(s, v >> 8);
    put8(s, (uint8_t)v);
}

static void put32(GByteArray *s, uint32_t v)
{
    put16(s, v >> 16);
    put16(s, (uint16_t)v);
}

static void put64(GByteArray *s, uint64_t v)
{
    put32(s, v >> 32);
    put32(s, (uint32_t)v);
}

static void put_str(GByteArray *s, const char *str)
{
    put8(s, (uint8_t)strlen(str));
    g_byte_array_append(s, (const uint8_t *)str, strlen(str));
}

GByteArray *stream_new(void)
{
    GByteArray *s = g_byte_array_new();
    put32(s, 0x5145564d);
    put32(s, 3);
    return s;
}

enum { START = STREAM_SECTION_START, PART = STREAM_SECTION_PART,
       FULL = STREAM_SECTION_FULL };
enum { COMPRESS = 0x02, MEM_SIZE = 0x04, PAGE = 0x08, EOS = 0x10, CONTINUE = 0x20,
       XBZRLE = 0x40 };

void stream_section_start(GByteArray *s, uint8_t type, uint32_t id, const char *name,
                          uint32_t version)
{
    put8(s, type);
    put32(s, id);
    put_str(s, name);
    put32(s, 0);            /* instance */
    put32(s, version);
}

/* START of the ram section with a correct MEM_SIZE record. */
static GByteArray *ram_stream(void)
{
    GByteArray *s = stream_new();
    stream_section_start(s, START, 0, "ram", 4);
    put64(s, STREAMS_GUEST_RAM | MEM_SIZE);
    put_str(s, "pc.ram");
    put64(s, STREAMS_GUEST_RAM);
    put64(s, EOS);
    put8(s, PART);
    put32(s, 0);
    return s;
}

static void page_header(GByteArray *s, uint64_t offset, int flags)
{
    put64(s, offset | flags);
    if (!(flags & CONTINUE)) {
        put_str(s, "pc.ram");
    }
}

#define MALFORMED(id, text, why) \
    const MalformedStream malformed_##id = { text, build_##id, why }

/* ---------------------------------------------------------------------- */
/* The framing */

static GByteArray *build_empty(void)
{
    return g_byte_array_new();
}
MALFORMED(empty, "empty stream", "unexpected end");

static GByteArray *build_bad_magic(void)
{
    GByteArray *s = g_byte_array_new();
    put32(s, 0x51454d56);
    put32(s, 3);
    return s;
}
MALFORMED(bad_magic, "bad magic", "not a migration stream");

static GByteArray *build_unsupported_version(void)
{
    GByteArray *s = g_byte_array_new();
    put32(s, 0x5145564d);
    put32(s, 2);
    return s;
}
MALFORMED(unsupported_version, "unsupported version", "version 2 is not supported");

static GByteArray *build_unknown_section(void)
{
    GByteArray *s = stream_new();
    stream_section_start(s, FULL, 7, "floppy", 1);
    return s;
}
MALFORMED(unknown_section, "unknown section", "unknown section 'floppy'");

static GByteArray *build_unknown_section_type(void)
{
    GByteArray *s = stream_new();
    put8(s, 9);
    return s;
}
MALFORMED(unknown_section_type, "unknown section type", "unknown section type 0x09");

static GByteArray *build_part_never_started(void)
{
    GByteArray *s = stream_new();
    put8(s, PART);
    put32(s, 42);
    return s;
}
MALFORMED(part_never_started, "part of a section never started", "never started");

static GByteArray *build_newer_section_version(void)
{
    GByteArray *s = stream_new();
    stream_section_start(s, START, 0, "ram", 5);
    return s;
}
MALFORMED(newer_section_version, "newer section version", "section 'ram' has version 5");

static GByteArray *build_older_ram_section_version(void)
{
    GByteArray *s = stream_new();
    stream_section_start(s, START, 0, "ram", 3);
    return s;
}
MALFORMED(older_ram_section_version, "older ram section version",
          "RAM section version 3 is not supported");

static GByteArray *build_without_eof(void)
{
    GByteArray *s = ram_stream();
    put64(s, EOS);
    return s;
}
MALFORMED(without_eof, "stream without EOF", "unexpected end");

/* ---------------------------------------------------------------------- */
/* The ram section */

static GByteArray *build_unknown_ram_flags(void)
{
    GByteArray *s = ram_stream();
    put64(s, 0x1000 | 0x80 | PAGE);
    return s;
}
MALFORMED(unknown_ram_flags, "unknown RAM flags", "unknown RAM flags 0x88");

static GByteArray *build_obsolete_full_flag(void)
{
    GByteArray *s = ram_stream();
    put64(s, 0x1000 | 0x01);
    return s;
}
MALFORMED(obsolete_full_flag, "obsolete FULL flag", "unknown RAM flags 0x1");

static GByteArray *build_unknown_block(void)
{
    GByteArray *s = stream_new();
    stream_section_start(s, START, 0, "ram", 4);
    put64(s, STREAMS_GUEST_RAM | MEM_SIZE);
    put_str(s, "vga.vram");
    put64(s, STREAMS_GUEST_RAM);
    return s;
}
MALFORMED(unknown_block, "unknown block", "unknown RAM block 'vga.vram'");

static GByteArray *build_block_size_mismatch(void)
{
    GByteArray *s = stream_new();
    stream_section_start(s, START, 0, "ram", 4);
    put64(s, (STREAMS_GUEST_RAM * 2) | MEM_SIZE);
    put_str(s, "pc.ram");
    put64(s, STREAMS_GUEST_RAM * 2);
    return s;
}
MALFORMED(block_size_mismatch, "block size mismatch",
          "is 134217728 bytes in the stream but 67108864 here");

static GByteArray *build_page_of_unknown_block(void)
{
    GByteArray *s = ram_stream();
    put64(s, 0x2000 | COMPRESS);
    put_str(s, "pc.rom");
    put8(s, 0);
    return s;
}
MALFORMED(page_of_unknown_block, "page of an unknown block", "unknown RAM block 'pc.rom'");

static GByteArray *build_offset_outside_the_block(void)
{
    GByteArray *s = ram_stream();
    page_header(s, STREAMS_GUEST_RAM, PAGE);
    return s;
}
MALFORMED(offset_outside_the_block, "offset outside the block",
          "is outside RAM block 'pc.ram'");

static GByteArray *build_continue_without_a_block(void)
{
    GByteArray *s = ram_stream();
    page_header(s, 0x3000, COMPRESS | CONTINUE);
    put8(s, 0);
    return s;
}
MALFORMED(continue_without_a_block, "CONTINUE without a block", "no block was named");

static GByteArray *build_page_with_two_kinds(void)
{
    GByteArray *s = ram_stream();
    page_header(s, 0x3000, COMPRESS | PAGE);
    return s;
}
MALFORMED(page_with_two_kinds, "page with two kinds", "invalid combination of RAM flags");

static GByteArray *build_truncated_raw_page(void)
{
    GByteArray *s = ram_stream();
    page_header(s, 0x3000, PAGE);
    for (int i = 0; i < 100; i++) {
        put8(s, (uint8_t)i);
    }
    return s;
}
MALFORMED(truncated_raw_page, "truncated raw page", "unexpected end");

static GByteArray *build_xbzrle_encoding_byte(void)
{
    GByteArray *s = ram_stream();
    page_header(s, 0x200000, XBZRLE);
    put8(s, 2);
    put16(s, 3);
    return s;
}
MALFORMED(xbzrle_encoding_byte, "XBZRLE encoding byte other than 1",
          "unknown page encoding 0x02");

static GByteArray *build_xbzrle_length_over_a_page(void)
{
    GByteArray *s = ram_stream();
    page_header(s, 0x200000, XBZRLE);
    put8(s, 1);
    put16(s, 4097);
    return s;
}
MALFORMED(xbzrle_length_over_a_page, "XBZRLE length over a page", "longer than a page");

static GByteArray *build_xbzrle_delta(void)
{
    GByteArray *s = ram_stream();
    page_header(s, 0x200000, XBZRLE);
    put8(s, 1);
    put16(s, 3);
    put8(s, 5);     /* zrun 5 */
    put8(s, 0);     /* nzrun 0: never valid */
    put8(s, 0xaa);
    put64(s, EOS);
    return s;
}
MALFORMED(xbzrle_delta, "malformed XBZRLE delta", "malformed XBZRLE delta");

static GByteArray *build_xbzrle_delta_past_the_page(void)
{
    GByteArray *s = ram_stream();
    page_header(s, 0x200000, XBZRLE);
    put8(s, 1);
    put16(s, 4);
    put8(s, 0xff);  /* zrun 4095 (two LEB128 bytes) */
    put8(s, 0x1f);
    put8(s, 2);     /* nzrun 2: past the end of the page */
    put8(s, 0xaa);
    put64(s, EOS);
    return s;
}
MALFORMED(xbzrle_delta_past_the_page, "XBZRLE delta past the page",
          "malformed XBZRLE delta");

static GByteArray *build_truncated_xbzrle_delta(void)
{
    GByteArray *s = ram_stream();
    page_header(s, 0x200000, XBZRLE);
    put8(s, 1);
    put16(s, 200);
    put8(s, 0);
    return s;
}
MALFORMED(truncated_xbzrle_delta, "truncated XBZRLE delta", "unexpected end");

/* ---------------------------------------------------------------------- */
/* Device sections */

static GByteArray *build_serial_fifo_overflow(void)
{
    GByteArray *s = stream_new();
    stream_section_start(s, FULL, 3, "serial", 1);
    put16(s, 12);
    for (int i = 0; i < 10; i++) {
        put8(s, 0);
    }
    put8(s, 200);           /* rx count */
    for (int i = 0; i < 16; i++) {
        put8(s, 0);
    }
    return s;
}
MALFORMED(serial_fifo_overflow, "serial FIFO overflow", "UART receive FIFO holds 200 bytes");

/* With the FIFO off the receive buffer holds one byte: a stream claiming
 * more (with loopback on, the next transmit would push past the array). */
static GByteArray *build_serial_fifo_beyond_a_disabled_fifo(void)
{
    GByteArray *s = stream_new();
    stream_section_start(s, FULL, 3, "serial", 1);
    put16(s, 12);
    const uint8_t regs[] = { 0, 0, 1, 0, 0x10 /* mcr: loopback */, 0x60, 0xb0, 0,
                             0 /* fcr: FIFO off */, 0, 16 /* rx count */ };
    g_byte_array_append(s, regs, sizeof(regs));
    for (int i = 0; i < 16; i++) {
        put8(s, 'x');
    }
    return s;
}
MALFORMED(serial_fifo_beyond_a_disabled_fifo, "serial FIFO count beyond a disabled FIFO",
          "UART receive FIFO holds 16 bytes (at most 1)");

const MalformedStream *const malformed_streams[] = {
    &malformed_empty,
    &malformed_bad_magic,
    &malformed_unsupported_version,
    &malformed_unknown_section,
    &malformed_unknown_section_type,
    &malformed_part_never_started,
    &malformed_newer_section_version,
    &malformed_older_ram_section_version,
    &malformed_without_eof,
    &malformed_unknown_ram_flags,
    &malformed_obsolete_full_flag,
    &malformed_unknown_block,
    &malformed_block_size_mismatch,
    &malformed_page_of_unknown_block,
    &malformed_offset_outside_the_block,
    &malformed_continue_without_a_block,
    &malformed_page_with_two_kinds,
    &malformed_truncated_raw_page,
    &malformed_xbzrle_encoding_byte,
    &malformed_xbzrle_length_over_a_page,
    &malformed_xbzrle_delta,
    &malformed_xbzrle_delta_past_the_page,
    &malformed_truncated_xbzrle_delta,
    &malformed_serial_fifo_overflow,
    &malformed_serial_fifo_beyond_a_disabled_fifo,
    NULL,
};
