/*
 * userfaultfd for post-copy (postcopy-ram.h): missing-page registration of
 * every RAM block, the thread that reads the faults and reports each page
 * once, and atomic placement (UFFDIO_COPY / UFFDIO_ZEROPAGE, which also wake
 * the threads blocked on the page: a vCPU inside KVM_RUN included).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/userfaultfd.h>

#include "postcopy-ram.h"
#include "qemu-error.h"

#define BITS_PER_WORD 64

struct PostcopyRAM {
    int uffd;
    int stop_fd;
    GThread *thread;
    PostcopyFaultFn *fault;
    void *opaque;
    GHashTable *requested;      /* RAMBlock -> uint64_t bitmap of reported pages */
    uint64_t faults;            /* atomic */
};

/* A userfaultfd: the device node where there is one (it takes no
 * capability), else the system call. */
static int open_uffd(GError **errp)
{
    int fd = -1;
    int dev = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);

    if (dev >= 0) {
        fd = ioctl(dev, USERFAULTFD_IOC_NEW, O_CLOEXEC | O_NONBLOCK);
        close(dev);
    }
    if (fd < 0) {
        fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
    }
    if (fd < 0) {
        error_setg_errno(errp, errno, "post-copy needs userfaultfd, which this host "
                         "refuses (root, or vm.unprivileged_userfaultfd=1)");
        return -1;
    }
    struct uffdio_api api = { .api = UFFD_API };
    if (ioctl(fd, UFFDIO_API, &api) < 0) {
        error_setg_errno(errp, errno, "userfaultfd API handshake");
        close(fd);
        return -1;
    }
    return fd;
}

bool postcopy_ram_supported(GError **errp)
{
    int fd = open_uffd(errp);

    if (fd < 0) {
        return false;
    }
    close(fd);
    return true;
}

int postcopy_ram_discard(RAMBlock *block, uint64_t first, uint64_t count,
                         GError **errp)
{
    uint64_t npages = ram_block_length(block) / TARGET_PAGE_SIZE;

    if (first >= npages || count > npages - first) {
        error_setg(errp, "pages %" G_GUINT64_FORMAT "+%" G_GUINT64_FORMAT " are outside "
                   "RAM block '%s'", first, count, ram_block_idstr(block));
        return -1;
    }
    if (madvise(ram_block_host(block, first * TARGET_PAGE_SIZE),
                count * TARGET_PAGE_SIZE, MADV_DONTNEED) < 0) {
        error_setg_errno(errp, errno, "cannot drop stale pages of '%s'",
                         ram_block_idstr(block));
        return -1;
    }
    return 0;
}

/* --- faults ------------------------------------------------------------------- */

static RAMBlock *block_of(uint64_t addr, uint64_t *page)
{
    for (RAMBlock *b = ram_block_first(); b; b = ram_block_next(b)) {
        uint64_t start = (uint64_t)(uintptr_t)ram_block_host(b, 0);
        if (addr >= start && addr - start < ram_block_length(b)) {
            *page = (addr - start) / TARGET_PAGE_SIZE;
            return b;
        }
    }
    return NULL;
}

/* Reports a page the first time it faults. */
static void report_fault(PostcopyRAM *pr, uint64_t addr)
{
    uint64_t page;
    RAMBlock *b = block_of(addr, &page);

    if (!b) {
        return;
    }
    uint64_t *bits = g_hash_table_lookup(pr->requested, b);
    uint64_t mask = 1ull << (page % BITS_PER_WORD);
    if (__atomic_fetch_or(&bits[page / BITS_PER_WORD], mask, __ATOMIC_ACQ_REL) & mask) {
        return;
    }
    __atomic_add_fetch(&pr->faults, 1, __ATOMIC_RELAXED);
    pr->fault(b, page, pr->opaque);
}

static void read_faults(PostcopyRAM *pr)
{
    struct uffd_msg msgs[16];
    ssize_t n;

    while ((n = read(pr->uffd, msgs, sizeof(msgs))) > 0) {
        for (size_t i = 0; i < (size_t)n / sizeof(msgs[0]); i++) {
            if (msgs[i].event == UFFD_EVENT_PAGEFAULT) {
                report_fault(pr, msgs[i].arg.pagefault.address & TARGET_PAGE_MASK);
            }
        }
    }
}

static gpointer fault_thread(gpointer opaque)
{
    PostcopyRAM *pr = opaque;
    struct pollfd p[2] = {
        { .fd = pr->uffd, .events = POLLIN },
        { .fd = pr->stop_fd, .events = POLLIN },
    };

    for (;;) {
        if (poll(p, 2, -1) < 0 && errno != EINTR) {
            break;
        }
        if (p[1].revents) {
            break;
        }
        if (p[0].revents) {
            read_faults(pr);
        }
    }
    return NULL;
}

/* --- registration and placement ------------------------------------------------ */

static int register_blocks(PostcopyRAM *pr, GError **errp)
{
    for (RAMBlock *b = ram_block_first(); b; b = ram_block_next(b)) {
        struct uffdio_register reg = {
            .range = { .start = (uint64_t)(uintptr_t)ram_block_host(b, 0),
                       .len = ram_block_length(b) },
            .mode = UFFDIO_REGISTER_MODE_MISSING,
        };
        if (ioctl(pr->uffd, UFFDIO_REGISTER, &reg) < 0) {
            error_setg_errno(errp, errno, "cannot register RAM block '%s' with "
                             "userfaultfd", ram_block_idstr(b));
            return -1;
        }
        uint64_t words = (ram_block_length(b) / TARGET_PAGE_SIZE + BITS_PER_WORD - 1) /
                         BITS_PER_WORD;
        g_hash_table_insert(pr->requested, b, g_new0(uint64_t, words));
    }
    return 0;
}

PostcopyRAM *postcopy_ram_start(PostcopyFaultFn *fault, void *opaque, GError **errp)
{
    PostcopyRAM *pr = g_new0(PostcopyRAM, 1);

    pr->fault = fault;
    pr->opaque = opaque;
    pr->stop_fd = -1;
    pr->requested = g_hash_table_new_full(NULL, NULL, NULL, g_free);
    pr->uffd = open_uffd(errp);
    if (pr->uffd < 0 || register_blocks(pr, errp) < 0) {
        postcopy_ram_stop(pr);
        return NULL;
    }
    pr->stop_fd = eventfd(0, EFD_CLOEXEC);
    pr->thread = g_thread_new("postcopy-faults", fault_thread, pr);
    return pr;
}

/* An ioctl that may find the mapping changing (EAGAIN: try again), or the
 * page already there (EEXIST: someone placed it first, fine). */
static int place(PostcopyRAM *pr, unsigned long request, void *arg, GError **errp)
{
    for (;;) {
        if (ioctl(pr->uffd, request, arg) == 0 || errno == EEXIST) {
            return 0;
        }
        if (errno != EAGAIN && errno != EINTR) {
            error_setg_errno(errp, errno, "cannot place a page of guest RAM");
            return -1;
        }
    }
}

/* A placed page is no longer waited for. */
static void forget_request(PostcopyRAM *pr, uint8_t *host)
{
    uint64_t page;
    RAMBlock *b = block_of((uint64_t)(uintptr_t)host, &page);

    if (b) {
        uint64_t *bits = g_hash_table_lookup(pr->requested, b);
        __atomic_and_fetch(&bits[page / BITS_PER_WORD], ~(1ull << (page % BITS_PER_WORD)),
                           __ATOMIC_RELEASE);
    }
}

int postcopy_ram_place(PostcopyRAM *pr, uint8_t *host, const uint8_t *data,
                       GError **errp)
{
    struct uffdio_copy copy = {
        .dst = (uint64_t)(uintptr_t)host,
        .src = (uint64_t)(uintptr_t)data,
        .len = TARGET_PAGE_SIZE,
    };
    int ret = place(pr, UFFDIO_COPY, &copy, errp);
    forget_request(pr, host);
    return ret;
}

int postcopy_ram_place_zero(PostcopyRAM *pr, uint8_t *host, GError **errp)
{
    struct uffdio_zeropage zero = {
        .range = { .start = (uint64_t)(uintptr_t)host, .len = TARGET_PAGE_SIZE },
    };
    int ret = place(pr, UFFDIO_ZEROPAGE, &zero, errp);
    forget_request(pr, host);
    return ret;
}

void postcopy_ram_foreach_waited(PostcopyRAM *pr, PostcopyFaultFn *fn, void *opaque)
{
    for (RAMBlock *b = ram_block_first(); b; b = ram_block_next(b)) {
        uint64_t *bits = g_hash_table_lookup(pr->requested, b);
        uint64_t npages = ram_block_length(b) / TARGET_PAGE_SIZE;
        for (uint64_t w = 0; w < (npages + BITS_PER_WORD - 1) / BITS_PER_WORD; w++) {
            uint64_t word = __atomic_load_n(&bits[w], __ATOMIC_ACQUIRE);
            while (word) {
                int bit = __builtin_ctzll(word);
                word &= word - 1;
                fn(b, w * BITS_PER_WORD + (uint64_t)bit, opaque);
            }
        }
    }
}

uint64_t postcopy_ram_faults(PostcopyRAM *pr)
{
    return __atomic_load_n(&pr->faults, __ATOMIC_RELAXED);
}

void postcopy_ram_stop(PostcopyRAM *pr)
{
    if (pr->thread) {
        uint64_t one = 1;
        (void)!write(pr->stop_fd, &one, sizeof(one));
        g_thread_join(pr->thread);
    }
    if (pr->stop_fd >= 0) {
        close(pr->stop_fd);
    }
    if (pr->uffd >= 0) {
        /* Closing the descriptor unregisters everything and wakes anyone
         * still waiting (they retry the access, the page is there). */
        close(pr->uffd);
    }
    g_hash_table_destroy(pr->requested);
    g_free(pr);
}
