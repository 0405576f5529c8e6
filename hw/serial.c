/*
 * A 16550A UART: the register file (RBR/THR, IER, IIR/FCR, LCR, MCR, LSR,
 * MSR, SCR, divisor latch) with a 16-byte receive FIFO, on I/O port 0x3f8
 * and memory-mapped for ring-3 code. The transmitter sends at once when the
 * backend takes the byte; when it does not (a client that stopped reading),
 * the byte waits and LSR says the transmitter is busy, as a real UART's
 * would, so the guest waits in its own loop and never inside the device.
 * There is no interrupt controller: IIR reports what would be pending, and
 * guests poll LSR.
 */
#include <string.h>

#include "hw/serial.h"
#include "ioport.h"
#include "main-loop.h"
#include "memory.h"
#include "qemu-error.h"
#include "savevm.h"

#define UART_FIFO_SIZE 16

/* The register file (what migration saves). */
typedef struct SerialRegs {
    uint16_t divider;
    uint8_t rbr, ier, iir, lcr, mcr, lsr, msr, scr, fcr;
    uint8_t rx_fifo[UART_FIFO_SIZE];
    uint8_t rx_count;
} SerialRegs;

/* Register offsets. */
#define UART_RBR 0      /* read, DLAB = 0 */
#define UART_THR 0      /* write, DLAB = 0 */
#define UART_IER 1
#define UART_IIR 2      /* read */
#define UART_FCR 2      /* write */
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_MSR 6
#define UART_SCR 7

#define UART_LCR_DLAB 0x80
#define UART_IER_RDI 0x01
#define UART_IER_THRI 0x02
#define UART_IER_RLSI 0x04
#define UART_IER_MSI 0x08
#define UART_IIR_NO_INT 0x01
#define UART_IIR_MSI 0x00
#define UART_IIR_THRI 0x02
#define UART_IIR_RDI 0x04
#define UART_IIR_RLSI 0x06
#define UART_IIR_FIFO_ENABLED 0xC0
#define UART_FCR_ENABLE 0x01
#define UART_FCR_CLEAR_RX 0x02
#define UART_LSR_DR 0x01
#define UART_LSR_OE 0x02
#define UART_LSR_BI 0x10
#define UART_LSR_THRE 0x20
#define UART_LSR_TEMT 0x40
#define UART_LSR_INT_ANY 0x1E
#define UART_MCR_DTR 0x01
#define UART_MCR_RTS 0x02
#define UART_MCR_OUT1 0x04
#define UART_MCR_OUT2 0x08
#define UART_MCR_LOOP 0x10
#define UART_MSR_CTS 0x10
#define UART_MSR_DSR 0x20
#define UART_MSR_RI 0x40
#define UART_MSR_DCD 0x80
#define UART_MSR_DELTAS 0x0F

struct SerialState {
    GMutex lock;            /* vCPU thread (registers) vs main thread (input) */
    CharDriverState *chr;
    SerialRegs r;
    bool thr_interrupt;     /* THRE interrupt pending until IIR read or THR write */
    bool tx_pending;        /* tx_byte waits for the backend */
    uint8_t tx_byte;
    bool input_blocked;     /* the backend was told the FIFO is full */
};

/* --- the register file (lock held) --------------------------------------- */

static bool fifo_enabled(SerialState *s)
{
    return s->r.fcr & UART_FCR_ENABLE;
}

static int rx_capacity(SerialState *s)
{
    return fifo_enabled(s) ? UART_FIFO_SIZE : 1;
}

static void rx_push(SerialState *s, uint8_t byte)
{
    if (s->r.rx_count >= rx_capacity(s)) {
        s->r.lsr |= UART_LSR_OE;
        return;
    }
    s->r.rx_fifo[s->r.rx_count++] = byte;
    s->r.lsr |= UART_LSR_DR;
}

static uint8_t rx_pop(SerialState *s)
{
    if (!s->r.rx_count) {
        return 0;
    }
    uint8_t byte = s->r.rx_fifo[0];
    memmove(s->r.rx_fifo, s->r.rx_fifo + 1, --s->r.rx_count);
    if (!s->r.rx_count) {
        s->r.lsr &= ~UART_LSR_DR;
    }
    return byte;
}

/* The highest-priority pending condition, as IIR reports it. */
static void update_iir(SerialState *s)
{
    uint8_t id = UART_IIR_NO_INT;

    if ((s->r.ier & UART_IER_RLSI) && (s->r.lsr & UART_LSR_INT_ANY)) {
        id = UART_IIR_RLSI;
    } else if ((s->r.ier & UART_IER_RDI) && (s->r.lsr & UART_LSR_DR)) {
        id = UART_IIR_RDI;
    } else if ((s->r.ier & UART_IER_THRI) && s->thr_interrupt) {
        id = UART_IIR_THRI;
    } else if ((s->r.ier & UART_IER_MSI) && (s->r.msr & UART_MSR_DELTAS)) {
        id = UART_IIR_MSI;
    }
    s->r.iir = id | (fifo_enabled(s) ? UART_IIR_FIFO_ENABLED : 0);
}

/* Modem status: loopback reflects MCR; otherwise the line is always up. */
static void update_msr(SerialState *s)
{
    uint8_t old = s->r.msr;
    uint8_t lines;

    if (s->r.mcr & UART_MCR_LOOP) {
        lines = ((s->r.mcr & UART_MCR_RTS) ? UART_MSR_CTS : 0) |
                ((s->r.mcr & UART_MCR_DTR) ? UART_MSR_DSR : 0) |
                ((s->r.mcr & UART_MCR_OUT1) ? UART_MSR_RI : 0) |
                ((s->r.mcr & UART_MCR_OUT2) ? UART_MSR_DCD : 0);
    } else {
        lines = UART_MSR_CTS | UART_MSR_DSR | UART_MSR_DCD;
    }
    uint8_t changed = (old ^ lines) & 0xF0;
    s->r.msr = lines | (old & UART_MSR_DELTAS) | (changed >> 4);
}

static gboolean accept_input_in_main_thread(gpointer opaque)
{
    SerialState *s = opaque;

    qemu_chr_accept_input(s->chr);
    return G_SOURCE_REMOVE;
}

static uint8_t serial_read_reg(SerialState *s, unsigned reg)
{
    bool dlab = s->r.lcr & UART_LCR_DLAB;
    uint8_t v;

    switch (reg) {
    case UART_RBR:
        if (dlab) {
            return (uint8_t)s->r.divider;
        }
        v = rx_pop(s);
        /* Only the read that makes room after a refusal needs to tell the
         * backend (reads of an empty FIFO are a polling guest's). */
        if (s->chr && s->input_blocked) {
            s->input_blocked = false;
            main_loop_invoke(accept_input_in_main_thread, s);
        }
        update_iir(s);
        return v;
    case UART_IER:
        return dlab ? (uint8_t)(s->r.divider >> 8) : s->r.ier;
    case UART_IIR:
        v = s->r.iir;
        if ((v & 0x0F) == UART_IIR_THRI) {
            s->thr_interrupt = false;
            update_iir(s);
        }
        return v;
    case UART_LCR:
        return s->r.lcr;
    case UART_MCR:
        return s->r.mcr;
    case UART_LSR:
        v = s->r.lsr;
        s->r.lsr &= ~(UART_LSR_OE | UART_LSR_BI);
        update_iir(s);
        return v;
    case UART_MSR:
        v = s->r.msr;
        s->r.msr &= ~UART_MSR_DELTAS;
        update_iir(s);
        return v;
    default:
        return s->r.scr;
    }
}

static gboolean serial_tx_retry(gpointer opaque);

/* Main thread: wait until the backend takes output again. */
static gboolean serial_tx_wait(gpointer opaque)
{
    SerialState *s = opaque;

    qemu_chr_notify_writable(s->chr, serial_tx_retry, s);
    return G_SOURCE_REMOVE;
}

/* Offers the waiting byte to the backend (lock held); true once it is gone. */
static bool serial_tx_flush(SerialState *s)
{
    if (qemu_chr_write_nonblock(s->chr, &s->tx_byte, 1) == 0) {
        return false;       /* an error drops the byte, as a broken line would */
    }
    s->tx_pending = false;
    s->r.lsr |= UART_LSR_THRE | UART_LSR_TEMT;
    s->thr_interrupt = true;
    update_iir(s);
    return true;
}

static gboolean serial_tx_retry(gpointer opaque)
{
    SerialState *s = opaque;

    g_mutex_lock(&s->lock);
    bool sent = !s->tx_pending || serial_tx_flush(s);
    g_mutex_unlock(&s->lock);
    if (!sent) {
        serial_tx_wait(s);
    }
    return G_SOURCE_REMOVE;
}

static void serial_transmit(SerialState *s, uint8_t byte)
{
    if (s->r.mcr & UART_MCR_LOOP) {
        rx_push(s, byte);
        s->thr_interrupt = true;
        return;
    }
    if (!s->chr) {
        s->thr_interrupt = true;
        return;
    }
    /* A write while busy replaces the byte in the holding register. */
    bool was_pending = s->tx_pending;
    s->tx_byte = byte;
    s->tx_pending = true;
    if (!serial_tx_flush(s)) {
        s->r.lsr &= ~(UART_LSR_THRE | UART_LSR_TEMT);
        if (!was_pending) {
            main_loop_invoke(serial_tx_wait, s);
        }
    }
}

static void serial_write_fcr(SerialState *s, uint8_t v)
{
    if ((v ^ s->r.fcr) & UART_FCR_ENABLE) {
        /* Switching the FIFO on or off empties it. */
        v |= UART_FCR_CLEAR_RX;
    }
    if (v & UART_FCR_CLEAR_RX) {
        s->r.rx_count = 0;
        s->r.lsr &= ~UART_LSR_DR;
    }
    s->r.fcr = v & 0xC9;   /* enable, DMA mode, trigger level */
}

static void serial_write_reg(SerialState *s, unsigned reg, uint8_t v)
{
    bool dlab = s->r.lcr & UART_LCR_DLAB;

    switch (reg) {
    case UART_THR:
        if (dlab) {
            s->r.divider = (s->r.divider & 0xFF00) | v;
        } else {
            serial_transmit(s, v);
        }
        break;
    case UART_IER:
        if (dlab) {
            s->r.divider = (uint16_t)((s->r.divider & 0x00FF) | (v << 8));
        } else {
            /* Enabling THRE interrupts with an empty THR raises one. */
            if ((v & UART_IER_THRI) && !(s->r.ier & UART_IER_THRI)) {
                s->thr_interrupt = true;
            }
            s->r.ier = v & 0x0F;
        }
        break;
    case UART_FCR:
        serial_write_fcr(s, v);
        break;
    case UART_LCR:
        s->r.lcr = v;
        break;
    case UART_MCR:
        s->r.mcr = v & 0x1F;
        update_msr(s);
        break;
    case UART_LSR:
    case UART_MSR:
        break;          /* read-only */
    default:
        s->r.scr = v;
        break;
    }
    update_iir(s);
}

/* --- bus glue ---------------------------------------------------------------- */

static uint32_t serial_ioport_read(void *opaque, uint16_t offset, unsigned size)
{
    SerialState *s = opaque;

    g_mutex_lock(&s->lock);
    uint8_t v = serial_read_reg(s, offset & 7);
    g_mutex_unlock(&s->lock);
    return v;
}

static void serial_ioport_write(void *opaque, uint16_t offset, uint32_t value,
                                unsigned size)
{
    SerialState *s = opaque;

    g_mutex_lock(&s->lock);
    serial_write_reg(s, offset & 7, (uint8_t)value);
    g_mutex_unlock(&s->lock);
}

static uint64_t serial_mmio_read(void *opaque, uint64_t offset, unsigned size)
{
    if (offset >= 8) {
        return 0;
    }
    return serial_ioport_read(opaque, (uint16_t)offset, size);
}

static void serial_mmio_write(void *opaque, uint64_t offset, uint64_t value,
                              unsigned size)
{
    if (offset < 8) {
        serial_ioport_write(opaque, (uint16_t)offset, (uint32_t)value, size);
    }
}

static const IOPortOps serial_ioport_ops = {
    .read = serial_ioport_read,
    .write = serial_ioport_write,
};

static const MemoryRegionOps serial_mmio_ops = {
    .read = serial_mmio_read,
    .write = serial_mmio_write,
};

/* --- the chardev side (main thread) ---------------------------------------- */

static int serial_can_receive(void *opaque)
{
    SerialState *s = opaque;

    g_mutex_lock(&s->lock);
    int room = rx_capacity(s) - s->r.rx_count;
    if (room <= 0) {
        room = 0;
        s->input_blocked = true;
    }
    g_mutex_unlock(&s->lock);
    return room;
}

static void serial_receive(void *opaque, const uint8_t *buf, int len)
{
    SerialState *s = opaque;

    g_mutex_lock(&s->lock);
    for (int i = 0; i < len; i++) {
        rx_push(s, buf[i]);
    }
    update_iir(s);
    g_mutex_unlock(&s->lock);
}

static void serial_reset_regs(SerialState *s)
{
    memset(&s->r, 0, sizeof(s->r));
    s->r.divider = 12;                  /* 9600 baud */
    s->r.lsr = UART_LSR_THRE | UART_LSR_TEMT;
    s->thr_interrupt = false;
    update_msr(s);
    s->r.msr &= ~UART_MSR_DELTAS;
    update_iir(s);
}

static void serial_set_regs(SerialState *s, const SerialRegs *regs);

/*
 * The "serial" section: be16 divisor, u8 x 9 (rbr ier iir lcr mcr lsr msr
 * scr fcr), u8 thre-interrupt pending, u8 count, the receive FIFO[16].
 */
static void serial_save(QEMUFile *f, void *opaque)
{
    SerialState *s = opaque;

    g_mutex_lock(&s->lock);
    qemu_put_be16(f, s->r.divider);
    const uint8_t regs[] = { s->r.rbr, s->r.ier, s->r.iir, s->r.lcr, s->r.mcr,
                             s->r.lsr, s->r.msr, s->r.scr, s->r.fcr,
                             s->thr_interrupt, s->r.rx_count };
    qemu_put_buffer(f, regs, sizeof(regs));
    qemu_put_buffer(f, s->r.rx_fifo, UART_FIFO_SIZE);
    g_mutex_unlock(&s->lock);
}

static int serial_load(QEMUFile *f, void *opaque, int version_id, GError **errp)
{
    SerialState *s = opaque;
    SerialRegs r;

    r.divider = qemu_get_be16(f);
    r.rbr = qemu_get_byte(f);
    r.ier = qemu_get_byte(f);
    r.iir = qemu_get_byte(f);
    r.lcr = qemu_get_byte(f);
    r.mcr = qemu_get_byte(f);
    r.lsr = qemu_get_byte(f);
    r.msr = qemu_get_byte(f);
    r.scr = qemu_get_byte(f);
    r.fcr = qemu_get_byte(f);
    uint8_t thr_interrupt = qemu_get_byte(f);
    r.rx_count = qemu_get_byte(f);
    qemu_get_buffer(f, r.rx_fifo, UART_FIFO_SIZE);
    if (qemu_file_get_error(f, errp) < 0) {
        return -1;
    }
    int capacity = (r.fcr & UART_FCR_ENABLE) ? UART_FIFO_SIZE : 1;
    if (r.rx_count > capacity) {
        error_setg(errp, "UART receive FIFO holds %u bytes (at most %d)",
                   r.rx_count, capacity);
        return -1;
    }
    /* Only what a guest could have set: reserved bits off, the transmitter
     * empty (this UART's output is never held across a migration), the
     * data-ready bit as the FIFO says. */
    r.ier &= 0x0F;
    r.mcr &= 0x1F;
    r.fcr &= 0xC9;
    r.lsr = (r.lsr & (UART_LSR_OE | UART_LSR_BI)) | UART_LSR_THRE | UART_LSR_TEMT |
            (r.rx_count ? UART_LSR_DR : 0);
    serial_set_regs(s, &r);
    g_mutex_lock(&s->lock);
    s->thr_interrupt = thr_interrupt != 0;
    update_iir(s);
    g_mutex_unlock(&s->lock);
    return 0;
}

SerialState *serial_init(uint16_t ioport, uint64_t mmio_base,
                         CharDriverState *chr, GError **errp)
{
    SerialState *s = g_new0(SerialState, 1);

    g_mutex_init(&s->lock);
    s->chr = chr;
    serial_reset_regs(s);
    if (ioport_register("serial", ioport, 8, &serial_ioport_ops, s, errp) < 0 ||
        memory_register_mmio("serial", mmio_base, 0x1000, &serial_mmio_ops, s,
                             errp) < 0) {
        g_free(s);
        return NULL;
    }
    if (chr) {
        qemu_chr_add_handlers(chr, serial_can_receive, serial_receive, NULL, s);
    }
    register_savevm("serial", 0, 1, serial_save, serial_load, s);
    return s;
}

/* Takes a checked register file (serial_load). */
static void serial_set_regs(SerialState *s, const SerialRegs *regs)
{
    g_mutex_lock(&s->lock);
    s->r = *regs;
    s->tx_pending = false;
    update_iir(s);
    g_mutex_unlock(&s->lock);
    if (s->chr) {
        main_loop_invoke(accept_input_in_main_thread, s);
    }
}
