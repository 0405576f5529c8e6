/*
 * Migration parameters and capabilities: one table of parameters (QEMU's
 * names, ranges and messages where QEMU has them), the capabilities, and
 * the QMP commands of both generations (migrate_set_speed and friends,
 * migrate-set-parameters and friends) over the same values.
 */
#include <stddef.h>
#include <string.h>

#include "memory.h"
#include "migration-params.h"
#include "monitor.h"
#include "qemu-error.h"
#include "qmp-handlers.h"

typedef struct ParamDef {
    const char *name;        /* QMP member: "max-bandwidth" */
    const char *qemu_name;   /* as QEMU's messages spell it: "max_bandwidth" */
    size_t offset;           /* in MigrationParams */
    uint64_t min, max;
    const char *expects;     /* "Parameter 'NAME' expects <this>" */
    const char *unit;        /* for HMP's info migrate_parameters */
    /* QEMU's type is uint8: its input visitor refuses a value beyond 255
     * (or negative) before any range is checked. */
    bool is_uint8;
    /* The range starts at cpu-throttle-initial's value, whichever of the
     * two changes (QEMU checks it on the parameters as they would be). */
    bool min_is_throttle_initial;
} ParamDef;

#define MAX_DOWNTIME_MS 2000000ull   /* 2000 s, QEMU's limit */
#define MAX_TIMEOUT_MS 86400000ull   /* a day */

/*
 * In QEMU's order (query-migrate-parameters' members, and the order QEMU
 * checks them in). The messages are QEMU's, word for word, odd spots
 * included: QEMU builds the downtime limit's range from the text of its
 * macro, so a client sees "(2000 * 1000)". The x- parameters are this
 * project's own (the failure bounds); their messages follow QEMU's
 * pattern, with the member's name as QEMU spells its own x- parameters.
 */
static const ParamDef param_defs[] = {
    { "cpu-throttle-initial", "cpu_throttle_initial",
      offsetof(MigrationParams, cpu_throttle_initial), 1, 99,
      "an integer in the range of 1 to 99", "", .is_uint8 = true },
    { "cpu-throttle-increment", "cpu_throttle_increment",
      offsetof(MigrationParams, cpu_throttle_increment), 1, 99,
      "an integer in the range of 1 to 99", "", .is_uint8 = true },
    { "max-bandwidth", "max_bandwidth", offsetof(MigrationParams, max_bandwidth),
      0, INT64_MAX, "an integer in the range of 0 to 9223372036854775807 bytes/second",
      "bytes/second" },
    { "downtime-limit", "downtime_limit", offsetof(MigrationParams, downtime_limit),
      0, MAX_DOWNTIME_MS, "an integer in the range of 0 to (2000 * 1000) ms", "ms" },
    { "xbzrle-cache-size", "xbzrle_cache_size",
      offsetof(MigrationParams, xbzrle_cache_size), TARGET_PAGE_SIZE, INT64_MAX,
      "a power of two no less than the target page size", "bytes" },
    { "max-cpu-throttle", "max_cpu_throttle", offsetof(MigrationParams, max_cpu_throttle),
      0, 99, "an integer in the range of cpu_throttle_initial to 99", "",
      .is_uint8 = true, .min_is_throttle_initial = true },
    { "x-stall-timeout", "x-stall-timeout", offsetof(MigrationParams, stall_timeout),
      100, MAX_TIMEOUT_MS, "an integer in the range of 100 to 86400000 ms", "ms" },
    { "x-commit-timeout", "x-commit-timeout", offsetof(MigrationParams, commit_timeout),
      0, MAX_TIMEOUT_MS, "an integer in the range of 0 to 86400000 ms", "ms" },
};

/* String parameters: QEMU's TLS ones (an empty string, or JSON null, turns
 * them off, as in QEMU). */
typedef struct StrParamDef {
    const char *name;
    size_t offset;
    size_t size;
} StrParamDef;

#define STR_PARAM(qmp, field) \
    { qmp, offsetof(MigrationParams, field), sizeof(((MigrationParams *)0)->field) }

static const StrParamDef str_param_defs[] = {
    STR_PARAM("tls-creds", tls_creds),
    STR_PARAM("tls-hostname", tls_hostname),
    STR_PARAM("tls-authz", tls_authz),
};

/* Boolean parameters: this project's own. */
typedef struct BoolParamDef {
    const char *name;
    size_t offset;
} BoolParamDef;

static const BoolParamDef bool_param_defs[] = {
    { "x-postcopy-auto", offsetof(MigrationParams, postcopy_auto) },
};

static const char *const cap_names[MIGRATION_CAP__MAX] = {
    [MIGRATION_CAP_XBZRLE] = "xbzrle",
    [MIGRATION_CAP_AUTO_CONVERGE] = "auto-converge",
    [MIGRATION_CAP_EVENTS] = "events",
    [MIGRATION_CAP_RETURN_PATH] = "return-path",
    [MIGRATION_CAP_POSTCOPY_RAM] = "postcopy-ram",
};

static struct {
    GMutex lock;
    MigrationParams params;
    bool caps[MIGRATION_CAP__MAX];
    bool busy;
    void (*changed)(void *opaque);
    void *changed_opaque;
} settings = {
    .params = {
        .cpu_throttle_initial = MIGRATION_DEFAULT_CPU_THROTTLE_INITIAL,
        .cpu_throttle_increment = MIGRATION_DEFAULT_CPU_THROTTLE_INCREMENT,
        .max_bandwidth = MIGRATION_DEFAULT_BANDWIDTH,
        .downtime_limit = MIGRATION_DEFAULT_DOWNTIME_MS,
        .xbzrle_cache_size = MIGRATION_DEFAULT_CACHE_SIZE,
        .max_cpu_throttle = MIGRATION_DEFAULT_MAX_CPU_THROTTLE,
        .stall_timeout = MIGRATION_DEFAULT_STALL_TIMEOUT_MS,
        .commit_timeout = 0,
    },
    /* The closing handshake is what keeps one guest running: on unless
     * the operator turns it off (QEMU's default is off; see docs). */
    .caps = { [MIGRATION_CAP_RETURN_PATH] = true },
};

static uint64_t *param_field(MigrationParams *p, const ParamDef *def)
{
    return (uint64_t *)((char *)p + def->offset);
}

void migrate_params_get(MigrationParams *params)
{
    g_mutex_lock(&settings.lock);
    *params = settings.params;
    g_mutex_unlock(&settings.lock);
}

bool migrate_cap_enabled(MigrationCapability cap)
{
    g_mutex_lock(&settings.lock);
    bool on = settings.caps[cap];
    g_mutex_unlock(&settings.lock);
    return on;
}

uint64_t migrate_commit_timeout_ms(const MigrationParams *params)
{
    if (params->commit_timeout) {
        return params->commit_timeout;
    }
    return MAX(params->downtime_limit * MIGRATION_COMMIT_TIMEOUT_DOWNTIMES,
               MIGRATION_MIN_COMMIT_TIMEOUT_MS);
}

void migrate_params_set_listener(void (*changed)(void *opaque), void *opaque)
{
    settings.changed = changed;
    settings.changed_opaque = opaque;
}

void migrate_params_set_busy(bool busy)
{
    g_mutex_lock(&settings.lock);
    settings.busy = busy;
    g_mutex_unlock(&settings.lock);
}

/* --- setting parameters ---------------------------------------------------------- */

static const ParamDef *find_param(const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(param_defs); i++) {
        if (!strcmp(param_defs[i].name, name)) {
            return &param_defs[i];
        }
    }
    return NULL;
}

static bool is_cache_size(const ParamDef *def)
{
    return def->offset == offsetof(MigrationParams, xbzrle_cache_size);
}

static bool is_power_of_two(uint64_t value)
{
    return value && !(value & (value - 1));
}

/* What QEMU's input visitor checks, before any range: the type. */
static bool param_type_valid(const ParamDef *def, int64_t value, GError **errp)
{
    if (def->is_uint8 && (value < 0 || value > UINT8_MAX)) {
        error_setg(errp, "Parameter '%s' expects uint8_t", def->name);
        return false;
    }
    return true;
}

/*
 * QEMU's checks and messages, on the parameters as they would be. The
 * cache is also bounded by guest RAM, as QEMU bounded it until it stopped
 * checking (a bigger cache only costs memory), with the message QEMU gave
 * then.
 */
static bool param_valid(const ParamDef *def, int64_t value, const MigrationParams *next,
                        GError **errp)
{
    uint64_t min = def->min_is_throttle_initial ? next->cpu_throttle_initial : def->min;
    bool in_range = value >= 0 && (uint64_t)value >= min && (uint64_t)value <= def->max;

    if (!in_range || (is_cache_size(def) && !is_power_of_two((uint64_t)value))) {
        error_setg(errp, "Parameter '%s' expects %s", def->qemu_name, def->expects);
        return false;
    }
    if (is_cache_size(def) && (uint64_t)value > ram_total_size()) {
        error_setg(errp, "Parameter 'cache size' expects exceeds guest ram size");
        return false;
    }
    return true;
}

/* A string member: its text ("" for null), or NULL with *errp. */
static const char *str_member(JsonObject *args, const StrParamDef *def, GError **errp)
{
    JsonNode *node = json_object_get_member(args, def->name);

    if (JSON_NODE_HOLDS_NULL(node)) {
        return "";
    }
    if (json_node_get_value_type(node) != G_TYPE_STRING) {
        error_setg(errp, "Invalid parameter type for '%s', expected: string", def->name);
        return NULL;
    }
    const char *text = json_node_get_string(node);
    if (strlen(text) >= def->size) {
        error_setg(errp, "Parameter '%s' expects a string of at most %zu bytes",
                   def->name, def->size - 1);
        return NULL;
    }
    return text;
}

static int apply_str_params(JsonObject *args, MigrationParams *next, GError **errp)
{
    for (size_t i = 0; i < G_N_ELEMENTS(str_param_defs); i++) {
        const StrParamDef *def = &str_param_defs[i];
        if (!json_object_has_member(args, def->name)) {
            continue;
        }
        const char *text = str_member(args, def, errp);
        if (!text) {
            return -1;
        }
        g_strlcpy((char *)next + def->offset, text, def->size);
    }
    return 0;
}

static int apply_bool_params(JsonObject *args, MigrationParams *next, GError **errp)
{
    for (size_t i = 0; i < G_N_ELEMENTS(bool_param_defs); i++) {
        const BoolParamDef *def = &bool_param_defs[i];
        if (!json_object_has_member(args, def->name)) {
            continue;
        }
        JsonNode *node = json_object_get_member(args, def->name);
        if (json_node_get_value_type(node) != G_TYPE_BOOLEAN) {
            error_setg(errp, "Invalid parameter type for '%s', expected: boolean",
                       def->name);
            return -1;
        }
        *(bool *)((char *)next + def->offset) = json_node_get_boolean(node);
    }
    return 0;
}

bool migrate_params_tls(const MigrationParams *params)
{
    return params->tls_creds[0] != '\0';
}

static void params_changed(void)
{
    if (settings.changed) {
        settings.changed(settings.changed_opaque);
    }
}

/* A range that depends on another parameter is checked whenever either
 * changes; the others only when given. */
static bool param_to_check(const ParamDef *def, JsonObject *args)
{
    return json_object_has_member(args, def->name) || def->min_is_throttle_initial;
}

/*
 * Applies every member of `args` named like a parameter, all or nothing:
 * as QEMU does, every type first, then every range (in QEMU's order, on
 * the parameters as they would be), and the first bad one leaves every
 * value as it was.
 */
static int params_apply(JsonObject *args, GError **errp)
{
    MigrationParams next;

    migrate_params_get(&next);
    for (size_t i = 0; i < G_N_ELEMENTS(param_defs); i++) {
        const ParamDef *def = &param_defs[i];
        if (!json_object_has_member(args, def->name)) {
            continue;
        }
        int64_t value = json_object_get_int_member(args, def->name);
        if (!param_type_valid(def, value, errp)) {
            return -1;
        }
        *param_field(&next, def) = (uint64_t)value;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(param_defs); i++) {
        const ParamDef *def = &param_defs[i];
        if (param_to_check(def, args) &&
            !param_valid(def, (int64_t)*param_field(&next, def), &next, errp)) {
            return -1;
        }
    }
    if (apply_str_params(args, &next, errp) < 0 || apply_bool_params(args, &next, errp) < 0) {
        return -1;
    }
    g_mutex_lock(&settings.lock);
    settings.params = next;
    g_mutex_unlock(&settings.lock);
    params_changed();
    return 0;
}

/* One parameter, for the 1.x commands: the same checks and messages. */
static JsonNode *param_set_one(const char *name, int64_t value, GError **errp)
{
    g_autoptr(JsonObject) args = json_object_new();

    json_object_set_int_member(args, name, value);
    return params_apply(args, errp) < 0 ? NULL : monitor_result_empty();
}

/* --- QMP: parameters ----------------------------------------------------------- */

JsonNode *qmp_migrate_set_parameters(JsonObject *args, Monitor *mon, GError **errp)
{
    return params_apply(args, errp) < 0 ? NULL : monitor_result_empty();
}

JsonNode *qmp_query_migrate_parameters(JsonObject *args, Monitor *mon, GError **errp)
{
    MigrationParams p;
    JsonObject *o = json_object_new();

    migrate_params_get(&p);
    for (size_t i = 0; i < G_N_ELEMENTS(param_defs); i++) {
        const ParamDef *def = &param_defs[i];
        uint64_t value = *param_field(&p, def);
        if (def->offset == offsetof(MigrationParams, commit_timeout)) {
            value = migrate_commit_timeout_ms(&p);
        }
        json_object_set_int_member(o, def->name, (gint64)value);
    }
    for (size_t i = 0; i < G_N_ELEMENTS(str_param_defs); i++) {
        json_object_set_string_member(o, str_param_defs[i].name,
                                      (const char *)&p + str_param_defs[i].offset);
    }
    for (size_t i = 0; i < G_N_ELEMENTS(bool_param_defs); i++) {
        json_object_set_boolean_member(o, bool_param_defs[i].name,
                                       *(const bool *)((const char *)&p +
                                                       bool_param_defs[i].offset));
    }
    return monitor_result_object(o);
}

/* The 1.x commands, on the same values (as QEMU 2.x+ implements them). */
JsonNode *qmp_migrate_set_speed(JsonObject *args, Monitor *mon, GError **errp)
{
    return param_set_one("max-bandwidth", json_object_get_int_member(args, "value"), errp);
}

JsonNode *qmp_migrate_set_downtime(JsonObject *args, Monitor *mon, GError **errp)
{
    double seconds = json_object_get_double_member(args, "value");

    if (!(seconds >= 0) || seconds > MAX_DOWNTIME_MS / 1000) {
        error_setg(errp, "Parameter 'downtime_limit' expects an integer in the range "
                   "of 0 to 2000 seconds");
        return NULL;
    }
    return param_set_one("downtime-limit", (int64_t)(seconds * 1000 + 0.5), errp);
}

JsonNode *qmp_migrate_set_cachesize(JsonObject *args, Monitor *mon, GError **errp)
{
    return param_set_one("xbzrle-cache-size", json_object_get_int_member(args, "value"),
                         errp);
}

JsonNode *qmp_query_migrate_cache_size(JsonObject *args, Monitor *mon, GError **errp)
{
    MigrationParams p;
    JsonNode *node = json_node_new(JSON_NODE_VALUE);

    migrate_params_get(&p);
    json_node_set_int(node, (gint64)p.xbzrle_cache_size);
    return node;
}

/* --- QMP: capabilities ---------------------------------------------------------- */

JsonNode *qmp_query_migrate_capabilities(JsonObject *args, Monitor *mon, GError **errp)
{
    JsonArray *list = json_array_new();

    for (int i = 0; i < MIGRATION_CAP__MAX; i++) {
        JsonObject *cap = json_object_new();
        json_object_set_string_member(cap, "capability", cap_names[i]);
        json_object_set_boolean_member(cap, "state", migrate_cap_enabled(i));
        json_array_add_object_element(list, cap);
    }
    JsonNode *node = json_node_new(JSON_NODE_ARRAY);
    json_node_take_array(node, list);
    return node;
}

static int find_cap(const char *name)
{
    for (int i = 0; i < MIGRATION_CAP__MAX; i++) {
        if (!strcmp(cap_names[i], name)) {
            return i;
        }
    }
    return -1;
}

/* A member of capabilities[index] of the given JSON type, or NULL with
 * QEMU's message for a missing or mistyped one. */
static JsonNode *cap_member(JsonObject *o, guint index, const char *name, GType type,
                            const char *type_name, GError **errp)
{
    JsonNode *m = json_object_get_member(o, name);

    if (!m) {
        error_setg(errp, "Parameter 'capabilities[%u].%s' is missing", index, name);
        return NULL;
    }
    if (!JSON_NODE_HOLDS_VALUE(m) || json_node_get_value_type(m) != type) {
        error_setg(errp, "Invalid parameter type for 'capabilities[%u].%s', "
                   "expected: %s", index, name, type_name);
        return NULL;
    }
    return m;
}

/* Nothing but "capability" and "state" in an entry. */
static bool cap_no_other_member(JsonObject *o, guint index, GError **errp)
{
    g_autoptr(GList) names = json_object_get_members(o);

    for (GList *l = names; l; l = l->next) {
        if (strcmp(l->data, "capability") && strcmp(l->data, "state")) {
            error_setg(errp, "Parameter 'capabilities[%u].%s' is unexpected", index,
                       (const char *)l->data);
            return false;
        }
    }
    return true;
}

/* Checks capabilities[index], {"capability": NAME, "state": BOOL}, in the
 * order QEMU's input visitor does, with its messages. */
static bool parse_capability(JsonNode *item, guint index, int *cap, bool *state,
                             GError **errp)
{
    if (!JSON_NODE_HOLDS_OBJECT(item)) {
        error_setg(errp, "Invalid parameter type for 'capabilities[%u]', expected: "
                   "object", index);
        return false;
    }
    JsonObject *o = json_node_get_object(item);
    JsonNode *name = cap_member(o, index, "capability", G_TYPE_STRING, "string", errp);
    if (!name) {
        return false;
    }
    *cap = find_cap(json_node_get_string(name));
    if (*cap < 0) {
        error_setg(errp, "Parameter 'capability' does not accept value '%s'",
                   json_node_get_string(name));
        return false;
    }
    JsonNode *value = cap_member(o, index, "state", G_TYPE_BOOLEAN, "boolean", errp);
    if (!value || !cap_no_other_member(o, index, errp)) {
        return false;
    }
    *state = json_node_get_boolean(value);
    return true;
}

/* All or nothing: every entry is checked before any capability changes. */
JsonNode *qmp_migrate_set_capabilities(JsonObject *args, Monitor *mon, GError **errp)
{
    JsonArray *a = json_object_get_array_member(args, "capabilities");
    bool next[MIGRATION_CAP__MAX];

    g_mutex_lock(&settings.lock);
    memcpy(next, settings.caps, sizeof(next));
    g_mutex_unlock(&settings.lock);
    for (guint i = 0; i < json_array_get_length(a); i++) {
        int cap;
        bool state;
        if (!parse_capability(json_array_get_element(a, i), i, &cap, &state, errp)) {
            return NULL;
        }
        next[cap] = state;
    }
    g_mutex_lock(&settings.lock);
    bool busy = settings.busy;
    if (!busy) {
        memcpy(settings.caps, next, sizeof(next));
    }
    g_mutex_unlock(&settings.lock);
    if (busy) {
        error_setg(errp, "There's a migration process in progress");
        return NULL;
    }
    return monitor_result_empty();
}

/* --- for HMP ------------------------------------------------------------------- */

const char *migrate_param_unit(const char *name)
{
    const ParamDef *def = find_param(name);

    if (def) {
        return def->unit;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(str_param_defs); i++) {
        if (!strcmp(str_param_defs[i].name, name)) {
            return "string";
        }
    }
    for (size_t i = 0; i < G_N_ELEMENTS(bool_param_defs); i++) {
        if (!strcmp(bool_param_defs[i].name, name)) {
            return "on|off";
        }
    }
    return NULL;
}
