/*
 * Framing of the migration stream (QEMU 1.x, version 3), and the registry
 * of the handlers that fill its sections.
 *
 *   stream   := be32 magic (0x5145564d "QEVM") be32 version (3)
 *               (section | command)* EOF command*
 *   section  := START id header payload      (0x01: first part of a live handler)
 *             | PART id payload              (0x02: a further part)
 *             | END id payload               (0x03: the last part)
 *             | FULL id header payload       (0x04: a device's whole state)
 *   command  := 0x08 be16 cmd, be16 len, data[len]   (len <= 256)
 *   id       := be32 section id (numbers the handlers within one stream)
 *   header   := u8 len, idstr[len], be32 instance id, be32 version id
 *   EOF      := 0x00
 *
 * The payload's grammar belongs to the handler (arch_init.c for "ram"); the
 * commands' meaning to the migration (savevm.h lists them). Commands after
 * EOF are read one at a time by the caller (the closing handshake).
 */
#include <string.h>

#include "qemu-error.h"
#include "savevm.h"

#define QEMU_VM_FILE_MAGIC 0x5145564d
#define QEMU_VM_FILE_VERSION 3

enum {
    QEMU_VM_EOF = 0x00,
    QEMU_VM_SECTION_START = 0x01,
    QEMU_VM_SECTION_PART = 0x02,
    QEMU_VM_SECTION_END = 0x03,
    QEMU_VM_SECTION_FULL = 0x04,
    QEMU_VM_COMMAND = 0x08,
};

typedef struct SaveStateEntry {
    char idstr[256];
    int instance_id;
    int version_id;
    uint32_t section_id;
    SaveLiveStateHandler *save_live;
    SaveStateHandler *save;
    LoadStateHandler *load;
    void *opaque;
} SaveStateEntry;

static GPtrArray *handlers;
static uint32_t next_section_id;

static int register_entry(const char *idstr, int instance_id, int version_id,
                          SaveLiveStateHandler *save_live, SaveStateHandler *save,
                          LoadStateHandler *load, void *opaque)
{
    SaveStateEntry *se = g_new0(SaveStateEntry, 1);

    if (!handlers) {
        handlers = g_ptr_array_new();
    }
    g_strlcpy(se->idstr, idstr, sizeof(se->idstr));
    se->instance_id = instance_id;
    se->version_id = version_id;
    se->section_id = next_section_id++;
    se->save_live = save_live;
    se->save = save;
    se->load = load;
    se->opaque = opaque;
    g_ptr_array_add(handlers, se);
    return 0;
}

int register_savevm_live(const char *idstr, int instance_id, int version_id,
                         SaveLiveStateHandler *save_live,
                         LoadStateHandler *load, void *opaque)
{
    return register_entry(idstr, instance_id, version_id, save_live, NULL, load,
                          opaque);
}

int register_savevm(const char *idstr, int instance_id, int version_id,
                    SaveStateHandler *save, LoadStateHandler *load,
                    void *opaque)
{
    return register_entry(idstr, instance_id, version_id, NULL, save, load,
                          opaque);
}

static SaveStateEntry *entry_at(guint i)
{
    return g_ptr_array_index(handlers, i);
}

static guint nr_entries(void)
{
    return handlers ? handlers->len : 0;
}

/* --- saving ------------------------------------------------------------------ */

static void put_section_header(QEMUFile *f, int type, SaveStateEntry *se)
{
    size_t len = strlen(se->idstr);

    qemu_put_byte(f, (uint8_t)type);
    qemu_put_be32(f, se->section_id);
    if (type == QEMU_VM_SECTION_START || type == QEMU_VM_SECTION_FULL) {
        qemu_put_byte(f, (uint8_t)len);
        qemu_put_buffer(f, (const uint8_t *)se->idstr, len);
        qemu_put_be32(f, (uint32_t)se->instance_id);
        qemu_put_be32(f, (uint32_t)se->version_id);
    }
}

void qemu_savevm_state_header(QEMUFile *f)
{
    qemu_put_be32(f, QEMU_VM_FILE_MAGIC);
    qemu_put_be32(f, QEMU_VM_FILE_VERSION);
}

void qemu_savevm_send_command(QEMUFile *f, MigrationCommand cmd,
                              const uint8_t *data, uint16_t len)
{
    g_assert(len <= MIG_CMD_MAX_LEN);
    qemu_put_byte(f, QEMU_VM_COMMAND);
    qemu_put_be16(f, (uint16_t)cmd);
    qemu_put_be16(f, len);
    qemu_put_buffer(f, data, len);
}

int qemu_savevm_state_begin(QEMUFile *f, GError **errp)
{
    for (guint i = 0; i < nr_entries(); i++) {
        SaveStateEntry *se = entry_at(i);
        if (!se->save_live) {
            continue;
        }
        put_section_header(f, QEMU_VM_SECTION_START, se);
        if (se->save_live(f, 1, se->opaque) < 0) {
            break;
        }
    }
    return qemu_file_get_error(f, errp);
}

int qemu_savevm_state_iterate(QEMUFile *f, GError **errp)
{
    int all_done = 1;

    for (guint i = 0; i < nr_entries(); i++) {
        SaveStateEntry *se = entry_at(i);
        if (!se->save_live) {
            continue;
        }
        put_section_header(f, QEMU_VM_SECTION_PART, se);
        int r = se->save_live(f, 2, se->opaque);
        if (r < 0) {
            break;
        }
        all_done &= r;
    }
    return qemu_file_get_error(f, errp) < 0 ? -1 : all_done;
}

int qemu_savevm_state_complete(QEMUFile *f, GError **errp)
{
    for (guint i = 0; i < nr_entries() && !qemu_file_get_error(f, NULL); i++) {
        SaveStateEntry *se = entry_at(i);
        if (se->save_live) {
            put_section_header(f, QEMU_VM_SECTION_END, se);
            se->save_live(f, 3, se->opaque);
        }
    }
    qemu_savevm_state_devices(f, NULL);
    qemu_put_byte(f, QEMU_VM_EOF);
    qemu_fflush(f);
    return qemu_file_get_error(f, errp);
}

int qemu_savevm_state_devices(QEMUFile *f, GError **errp)
{
    for (guint i = 0; i < nr_entries() && !qemu_file_get_error(f, NULL); i++) {
        SaveStateEntry *se = entry_at(i);
        if (se->save) {
            put_section_header(f, QEMU_VM_SECTION_FULL, se);
            se->save(f, se->opaque);
        }
    }
    return qemu_file_get_error(f, errp);
}

int qemu_savevm_state_complete_postcopy(QEMUFile *f, GError **errp)
{
    for (guint i = 0; i < nr_entries() && !qemu_file_get_error(f, NULL); i++) {
        SaveStateEntry *se = entry_at(i);
        if (se->save_live) {
            put_section_header(f, QEMU_VM_SECTION_END, se);
            se->save_live(f, 3, se->opaque);
        }
    }
    qemu_put_byte(f, QEMU_VM_EOF);
    qemu_fflush(f);
    return qemu_file_get_error(f, errp);
}

void qemu_savevm_state_cleanup(QEMUFile *f)
{
    for (guint i = 0; i < nr_entries(); i++) {
        SaveStateEntry *se = entry_at(i);
        if (se->save_live) {
            se->save_live(f, -1, se->opaque);
        }
    }
}

/* --- loading ------------------------------------------------------------------ */

static SaveStateEntry *find_entry(const char *idstr, int instance_id)
{
    for (guint i = 0; i < nr_entries(); i++) {
        SaveStateEntry *se = entry_at(i);
        if (!strcmp(se->idstr, idstr) && se->instance_id == instance_id) {
            return se;
        }
    }
    return NULL;
}

/* The stream numbers its sections itself: this maps its ids to handlers. */
typedef struct LoadSection {
    uint32_t section_id;
    SaveStateEntry *se;
    int version_id;
} LoadSection;

static int load_section_start(QEMUFile *f, GArray *sections, GError **errp)
{
    char idstr[256];
    LoadSection ls;

    ls.section_id = qemu_get_be32(f);
    uint8_t len = qemu_get_byte(f);
    qemu_get_buffer(f, (uint8_t *)idstr, len);
    idstr[len] = '\0';
    int instance_id = (int)qemu_get_be32(f);
    ls.version_id = (int)qemu_get_be32(f);
    if (qemu_file_get_error(f, errp) < 0) {
        return -1;
    }
    ls.se = find_entry(idstr, instance_id);
    if (!ls.se) {
        error_setg(errp, "unknown section '%s' (instance %d) in the stream",
                   idstr, instance_id);
        return -1;
    }
    if (ls.version_id > ls.se->version_id || ls.version_id < 1) {
        error_setg(errp, "section '%s' has version %d; this emulator loads up to %d",
                   idstr, ls.version_id, ls.se->version_id);
        return -1;
    }
    g_array_append_val(sections, ls);
    if (ls.se->load(f, ls.se->opaque, ls.version_id, errp) < 0) {
        error_prepend(errp, "section '%s'", idstr);
        return -1;
    }
    return 0;
}

static int load_section_part(QEMUFile *f, GArray *sections, GError **errp)
{
    uint32_t id = qemu_get_be32(f);

    if (qemu_file_get_error(f, errp) < 0) {
        return -1;
    }
    for (guint i = 0; i < sections->len; i++) {
        LoadSection *ls = &g_array_index(sections, LoadSection, i);
        if (ls->section_id == id) {
            if (ls->se->load(f, ls->se->opaque, ls->version_id, errp) < 0) {
                error_prepend(errp, "section '%s'", ls->se->idstr);
                return -1;
            }
            return 0;
        }
    }
    error_setg(errp, "part of section %u, which the stream never started", id);
    return -1;
}

/* A command's frame after its type byte; the payload goes to data. */
static int load_command_frame(QEMUFile *f, uint16_t *cmd, uint8_t *data,
                              uint16_t *len, GError **errp)
{
    *cmd = qemu_get_be16(f);
    *len = qemu_get_be16(f);
    if (qemu_file_get_error(f, errp) < 0) {
        return -1;
    }
    if (*len > MIG_CMD_MAX_LEN) {
        error_setg(errp, "command 0x%04x in the stream has %u bytes of data "
                   "(at most %d)", *cmd, *len, MIG_CMD_MAX_LEN);
        return -1;
    }
    qemu_get_buffer(f, data, *len);
    return qemu_file_get_error(f, errp);
}

static int load_command(QEMUFile *f, const LoadCommandOps *ops, GError **errp)
{
    uint8_t data[MIG_CMD_MAX_LEN];
    uint16_t cmd, len;

    if (load_command_frame(f, &cmd, data, &len, errp) < 0) {
        return -1;
    }
    if (!ops) {
        error_setg(errp, "unexpected command 0x%04x in the stream", cmd);
        return -1;
    }
    return ops->handle(cmd, data, len, ops->opaque, errp);
}

/* One section or command: 0, 1 at EOF, -1 on an error. */
static int load_one(QEMUFile *f, GArray *sections, const LoadCommandOps *ops,
                    GError **errp)
{
    uint8_t type = qemu_get_byte(f);
    int r;

    if (qemu_file_get_error(f, errp) < 0) {
        return -1;
    }
    switch (type) {
    case QEMU_VM_EOF:
        return 1;
    case QEMU_VM_SECTION_START:
    case QEMU_VM_SECTION_FULL:
        r = load_section_start(f, sections, errp);
        break;
    case QEMU_VM_SECTION_PART:
    case QEMU_VM_SECTION_END:
        r = load_section_part(f, sections, errp);
        break;
    case QEMU_VM_COMMAND:
        r = load_command(f, ops, errp);
        break;
    default:
        error_setg(errp, "unknown section type 0x%02x in the stream", type);
        return -1;
    }
    return r < 0 || qemu_file_get_error(f, errp) < 0 ? -1 : 0;
}

/* Up to EOF; an error may be recovered from (a new stream, the same
 * sections) when ops says so. */
static int load_sections(QEMUFile *f, GArray *sections, const LoadCommandOps *ops,
                         GError **errp)
{
    for (;;) {
        int r = load_one(f, sections, ops, errp);
        if (r > 0) {
            return 0;
        }
        if (r < 0 && (!ops || !ops->recover || ops->recover(ops->opaque, &f, errp) < 0)) {
            return -1;
        }
    }
}

static uint32_t ldl_be(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

int qemu_loadvm_check_header(const uint8_t *header, GError **errp)
{
    uint32_t magic = ldl_be(header);
    uint32_t version = ldl_be(header + 4);

    if (magic != QEMU_VM_FILE_MAGIC) {
        error_setg(errp, "not a migration stream (magic 0x%08x)", magic);
        return -1;
    }
    if (version != QEMU_VM_FILE_VERSION) {
        error_setg(errp, "migration stream version %u is not supported (only %d)",
                   version, QEMU_VM_FILE_VERSION);
        return -1;
    }
    return 0;
}

int qemu_loadvm_state_main(QEMUFile *f, const LoadCommandOps *ops, GError **errp)
{
    GArray *sections = g_array_new(FALSE, FALSE, sizeof(LoadSection));
    int ret = load_sections(f, sections, ops, errp);
    g_array_free(sections, TRUE);
    return ret;
}

int qemu_loadvm_state(QEMUFile *f, const LoadCommandOps *ops, GError **errp)
{
    uint8_t header[QEMU_VM_HEADER_SIZE];

    qemu_get_buffer(f, header, sizeof(header));
    if (qemu_file_get_error(f, errp) < 0 ||
        qemu_loadvm_check_header(header, errp) < 0) {
        return -1;
    }
    return qemu_loadvm_state_main(f, ops, errp);
}

int qemu_loadvm_get_command(QEMUFile *f, uint16_t *cmd, GError **errp)
{
    uint8_t data[MIG_CMD_MAX_LEN];
    uint8_t type = qemu_get_byte(f);
    uint16_t len;

    if (qemu_file_get_error(f, errp) < 0) {
        return -1;
    }
    if (type != QEMU_VM_COMMAND) {
        error_setg(errp, "expected a command after the end of the stream, got 0x%02x",
                   type);
        return -1;
    }
    return load_command_frame(f, cmd, data, &len, errp);
}
