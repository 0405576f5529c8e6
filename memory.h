/*
 * Guest memory: RAM in named blocks (what migration copies), their mapping
 * into the guest-physical address space, the dirty bitmaps migration asks
 * for, and the MMIO regions devices register.
 */
#ifndef MEMORY_H
#define MEMORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <glib.h>

#define TARGET_PAGE_BITS 12
#define TARGET_PAGE_SIZE (1u << TARGET_PAGE_BITS)
#define TARGET_PAGE_MASK (~(uint64_t)(TARGET_PAGE_SIZE - 1))

typedef struct RAMBlock RAMBlock;

/*
 * Allocates a RAM block of `size` bytes (a multiple of the page size):
 * 2 MiB-aligned, zeroed, backed by transparent huge pages where the host
 * offers them, and touched lazily — or all at once with prealloc
 * (-mem-prealloc). `idstr` names it in migration streams.
 */
RAMBlock *qemu_ram_alloc(const char *idstr, uint64_t size, bool prealloc,
                         GError **errp);

/* Maps [offset, offset + size) of a block at guest-physical address gpa and
 * tells the accelerator. */
int ram_block_map(RAMBlock *block, uint64_t offset, uint64_t size,
                  uint64_t gpa, GError **errp);

/* Iteration in allocation order: for (b = ram_block_first(); b; b = ram_block_next(b)) */
RAMBlock *ram_block_first(void);
RAMBlock *ram_block_next(RAMBlock *block);
RAMBlock *ram_block_find(const char *idstr);

const char *ram_block_idstr(const RAMBlock *block);
uint64_t ram_block_length(const RAMBlock *block);
/* Where the block starts in the concatenation of all blocks (a "RAM
 * address", unique per page across blocks). */
uint64_t ram_block_offset(const RAMBlock *block);
/* Host address of a byte of the block; offset < length. */
uint8_t *ram_block_host(const RAMBlock *block, uint64_t offset);

/* Sum of all block lengths. */
uint64_t ram_total_size(void);

/*
 * Dirty tracking for migration. Each block has a bitmap of the pages written
 * since they were last handed out by ram_block_take_dirty(). The accelerator
 * keeps its own log; sync moves it into the bitmaps.
 */
int memory_global_dirty_log_start(GError **errp);
void memory_global_dirty_log_stop(void);

/* Fetches the accelerator's log (clearing it) and ORs it into the bitmaps.
 * Returns the number of pages that became dirty. */
uint64_t memory_global_dirty_log_sync(void);

/* Marks every page of every block dirty (the first migration pass). */
void ram_mark_all_dirty(void);

/*
 * Finds the first dirty page at or after page index `from` of the block,
 * clears its bit and returns its index; returns the block's page count when
 * there is none.
 */
uint64_t ram_block_take_dirty(RAMBlock *block, uint64_t from);
/* Clears one page's bit; whether it was set. */
bool ram_block_clear_dirty(RAMBlock *block, uint64_t page);
/* The first run of dirty pages at or after `from`, without clearing it:
 * its first page (the block's page count when none) and *count. */
uint64_t ram_block_next_dirty_range(RAMBlock *block, uint64_t from, uint64_t *count);

/* Pages currently marked dirty in all blocks. */
uint64_t ram_dirty_pages(void);

/*
 * Records that the emulator itself wrote guest RAM [gpa, gpa + len) (the
 * loader at a reset, ...): no accelerator logs those writes, and a
 * migration must send the pages again. Any thread; merged at the next sync.
 */
void memory_mark_dirty(uint64_t gpa, uint64_t len);

/* Marks pages [first_page, first_page + count) of a block dirty. */
void ram_block_mark_dirty(RAMBlock *block, uint64_t first_page, uint64_t count);

/* ORs an accelerator's log (`npages` bits, for pages starting at
 * first_page) into the block's dirty bitmap; returns how many were newly
 * set. Called from dirty_log_sync. */
uint64_t ram_block_merge_dirty_bitmap(RAMBlock *block, uint64_t first_page,
                                      const unsigned long *bitmap,
                                      uint64_t npages);

/*
 * Guest-physical access for the loader and the monitor (xp, pmemsave).
 * Fails with an error naming the address when any byte is not RAM.
 */
int cpu_physical_memory_read(uint64_t gpa, void *buf, uint64_t len,
                             GError **errp);
int cpu_physical_memory_write(uint64_t gpa, const void *buf, uint64_t len,
                              GError **errp);
/* While set, the accesses above fail with this reason (post-copy on the
 * destination: a page that has not arrived would block the caller). */
void memory_set_access_guard(const char *reason);

/* Host pointer for [gpa, gpa + len) when it lies within one mapping. */
uint8_t *gpa_to_host(uint64_t gpa, uint64_t len);

/* One mapping of RAM into the guest-physical space. */
typedef struct RAMMapping {
    RAMBlock *block;
    uint64_t offset;    /* in the block */
    uint64_t size;
    uint64_t gpa;
} RAMMapping;

/* Calls fn for each mapping in guest-physical order. */
void ram_foreach_mapping(void (*fn)(const RAMMapping *m, void *opaque),
                         void *opaque);

/*
 * MMIO: a device claims [base, base + size); accesses of 1, 2, 4 or 8 bytes
 * are dispatched to it with the offset into the region. Reads of unclaimed
 * addresses return all ones, writes are ignored (and counted).
 */
typedef struct MemoryRegionOps {
    uint64_t (*read)(void *opaque, uint64_t offset, unsigned size);
    void (*write)(void *opaque, uint64_t offset, uint64_t value, unsigned size);
} MemoryRegionOps;

int memory_register_mmio(const char *name, uint64_t base, uint64_t size,
                         const MemoryRegionOps *ops, void *opaque,
                         GError **errp);
/* Returns false when no device claims gpa. */
bool mmio_dispatch(uint64_t gpa, uint8_t *data, unsigned len, bool is_write);

#endif
