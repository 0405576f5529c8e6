/*
 * The args_type mini-language (see monitor-args.h): a description is parsed
 * into a list of ArgSpecs, then either an HMP line is read against it or a
 * QMP arguments object is checked against it.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cutils.h"
#include "monitor-args.h"
#include "qemu-error.h"

typedef struct ArgSpec {
    char *name;
    char type;      /* s S i o T b - / A, or * for "any other member" */
    char flag;      /* the letter of a '-' flag */
    bool optional;
} ArgSpec;

static void arg_spec_clear(gpointer p)
{
    g_free(((ArgSpec *)p)->name);
}

static bool is_valid_name(const char *s, size_t len)
{
    if (len == 0) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        if (!g_ascii_isalnum(s[i]) && s[i] != '-' && s[i] != '_') {
            return false;
        }
    }
    return true;
}

static int arg_spec_parse(const char *item, ArgSpec *spec, GError **errp)
{
    const char *colon = strchr(item, ':');

    if (!strcmp(item, "*")) {
        spec->name = g_strdup(item);
        spec->type = '*';
        spec->optional = true;
        return 0;
    }
    if (!colon || !is_valid_name(item, colon - item)) {
        error_setg(errp, "bad args_type item '%s' (expected NAME:TYPE)", item);
        return -1;
    }
    const char *t = colon + 1;
    spec->name = g_strndup(item, colon - item);
    spec->type = t[0];
    if (t[0] == '-') {
        spec->flag = t[1];
        spec->optional = true;
        if (!g_ascii_isalpha(t[1]) || t[2]) {
            error_setg(errp, "bad flag in args_type item '%s'", item);
            return -1;
        }
        return 0;
    }
    if (!t[0] || !strchr("sSioTb/A", t[0]) || (t[1] && strcmp(t + 1, "?"))) {
        error_setg(errp, "bad type in args_type item '%s'", item);
        return -1;
    }
    spec->optional = t[1] == '?';
    return 0;
}

/* Returns the specs of `args_type`, or NULL with *errp set. */
static GArray *args_type_parse(const char *args_type, GError **errp)
{
    GArray *specs = g_array_new(FALSE, TRUE, sizeof(ArgSpec));
    g_array_set_clear_func(specs, arg_spec_clear);
    if (!args_type || !args_type[0]) {
        return specs;
    }
    g_auto(GStrv) items = g_strsplit(args_type, ",", -1);
    for (int i = 0; items[i]; i++) {
        ArgSpec spec = { 0 };
        int rc = arg_spec_parse(items[i], &spec, errp);
        g_array_append_val(specs, spec);
        if (rc < 0) {
            g_array_unref(specs);
            return NULL;
        }
    }
    return specs;
}

int monitor_args_type_check(const char *args_type, bool for_qmp,
                            GError **errp)
{
    g_autoptr(GArray) specs = args_type_parse(args_type, errp);
    if (!specs) {
        return -1;
    }
    for (guint i = 0; i < specs->len; i++) {
        ArgSpec *s = &g_array_index(specs, ArgSpec, i);
        if (for_qmp && (s->type == '/' || s->type == 'S')) {
            error_setg(errp, "type '%c' of '%s' is for HMP only", s->type,
                       s->name);
            return -1;
        }
        if (!for_qmp && s->type == 'A') {
            error_setg(errp, "type 'A' of '%s' is for QMP only", s->name);
            return -1;
        }
        if (!for_qmp && s->type == '*') {
            error_setg(errp, "'*' (any other member) is for QMP only");
            return -1;
        }
        for (guint j = 0; j < i; j++) {
            if (!strcmp(g_array_index(specs, ArgSpec, j).name, s->name)) {
                error_setg(errp, "argument '%s' appears twice", s->name);
                return -1;
            }
        }
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/* HMP: words */

static int quoted_escape(char c, char *out)
{
    switch (c) {
    case 'n':  *out = '\n'; return 0;
    case 't':  *out = '\t'; return 0;
    case 'r':  *out = '\r'; return 0;
    case '\\':
    case '"':
    case '\'': *out = c; return 0;
    default:   return -1;
    }
}

static int parse_quoted(const char **pp, GString *w, GError **errp)
{
    const char *p = *pp + 1;

    for (; *p && *p != '"'; p++) {
        char c = *p;
        if (c == '\\') {
            if (!p[1]) {
                break;
            }
            if (quoted_escape(*++p, &c) < 0) {
                error_setg(errp, "invalid escape '\\%c' in a quoted string", *p);
                return -1;
            }
        }
        g_string_append_c(w, c);
    }
    if (*p != '"') {
        error_setg(errp, "unterminated quoted string");
        return -1;
    }
    *pp = p + 1;
    return 0;
}

int monitor_parse_word(const char **pp, bool stop_at_slash, char **word,
                       GError **errp)
{
    const char *p = *pp;

    while (g_ascii_isspace(*p)) {
        p++;
    }
    *pp = p;
    if (!*p) {
        return 0;
    }
    g_autoptr(GString) w = g_string_new(NULL);
    if (*p == '"') {
        if (parse_quoted(&p, w, errp) < 0) {
            return -1;
        }
    } else {
        while (*p && !g_ascii_isspace(*p) && !(stop_at_slash && *p == '/')) {
            g_string_append_c(w, *p++);
        }
    }
    *pp = p;
    *word = g_string_free(g_steal_pointer(&w), FALSE);
    return 1;
}

/* ------------------------------------------------------------------------ */
/* HMP: one argument of each type */

static JsonNode *parse_int_word(const char *word, GError **errp)
{
    int64_t v;
    if (parse_int64(word, &v, errp) < 0) {
        return NULL;
    }
    return json_node_init_int(json_node_alloc(), v);
}

static JsonNode *parse_size_word(const char *word, GError **errp)
{
    uint64_t v;
    if (parse_size(word, UINT64_C(1) << 20, &v, errp) < 0) {
        return NULL;
    }
    if (v > INT64_MAX) {
        error_setg(errp, "size '%s' is too large", word);
        return NULL;
    }
    return json_node_init_int(json_node_alloc(), (gint64)v);
}

static JsonNode *parse_seconds_word(const char *word, GError **errp)
{
    /* Divisors, not factors: 30ms is then exactly the double nearest 0.03. */
    static const struct { const char *suffix; double per_second; } units[] = {
        { "", 1 }, { "s", 1 }, { "ms", 1e3 }, { "us", 1e6 }, { "ns", 1e9 },
    };
    char *end;

    errno = 0;
    double v = strtod(word, &end);
    if (end != word && !errno && isfinite(v)) {
        for (size_t i = 0; i < G_N_ELEMENTS(units); i++) {
            if (!strcmp(end, units[i].suffix)) {
                return json_node_init_double(json_node_alloc(),
                                             v / units[i].per_second);
            }
        }
    }
    error_setg(errp, "invalid time '%s' (expected seconds, e.g. 0.5 or 30ms)",
               word);
    return NULL;
}

static JsonNode *parse_bool_word(const char *word, GError **errp)
{
    if (strcmp(word, "on") && strcmp(word, "off")) {
        error_setg(errp, "invalid value '%s' (expected on or off)", word);
        return NULL;
    }
    return json_node_init_boolean(json_node_alloc(), !strcmp(word, "on"));
}

static JsonNode *parse_typed_word(char type, const char *word, GError **errp)
{
    switch (type) {
    case 'i': return parse_int_word(word, errp);
    case 'o': return parse_size_word(word, errp);
    case 'T': return parse_seconds_word(word, errp);
    case 'b': return parse_bool_word(word, errp);
    default:  return json_node_init_string(json_node_alloc(), word);
    }
}

/* "S": the rest of the line, without surrounding blanks; NULL when empty. */
static char *take_rest_of_line(const char **pp)
{
    const char *p = *pp;
    while (g_ascii_isspace(*p)) {
        p++;
    }
    const char *end = p + strlen(p);
    while (end > p && g_ascii_isspace(end[-1])) {
        end--;
    }
    *pp = p + strlen(p);
    return end > p ? g_strndup(p, end - p) : NULL;
}

static int format_size_letter(char c)
{
    switch (c) {
    case 'b': return 1;
    case 'h': return 2;
    case 'w': return 4;
    case 'g': return 8;
    default:  return 0;
    }
}

/* The letters after "/[COUNT]": a format and/or a size, in any order. */
static int parse_format_letters(const char **pp, char *format, int *size,
                                GError **errp)
{
    const char *p = *pp;

    for (; *p && !g_ascii_isspace(*p); p++) {
        if (strchr("xduoc", *p)) {
            *format = *p;
        } else if (format_size_letter(*p)) {
            *size = format_size_letter(*p);
        } else {
            error_setg(errp, "invalid character '%c' in format", *p);
            return -1;
        }
    }
    *pp = p;
    return 0;
}

static int parse_format_count(const char **pp, int64_t *count, GError **errp)
{
    char *end;

    if (!g_ascii_isdigit(**pp)) {
        return 0;
    }
    errno = 0;
    *count = strtoll(*pp, &end, 10);
    if (errno || *count > INT32_MAX) {
        error_setg(errp, "format count too large");
        return -1;
    }
    *pp = end;
    return 0;
}

/* "/[COUNT][FORMAT][SIZE]" or nothing (the defaults). */
static int parse_format(const char **pp, MonitorFormat *fmt, JsonObject *args,
                        GError **errp)
{
    MonitorFormat dflt = MONITOR_FORMAT_INIT;
    MonitorFormat *last = fmt ? fmt : &dflt;
    const char *p = *pp;
    int64_t count = 1;
    char format = last->format;
    int size = last->size;

    while (g_ascii_isspace(*p)) {
        p++;
    }
    if (*p == '/') {
        p++;
        if (parse_format_count(&p, &count, errp) < 0 ||
            parse_format_letters(&p, &format, &size, errp) < 0) {
            return -1;
        }
    }
    *pp = p;
    last->format = format;
    last->size = size;
    json_object_set_int_member(args, "count", count);
    json_object_set_string_member(args, "format", (char[]){ format, 0 });
    json_object_set_int_member(args, "size", size);
    return 0;
}

/* ------------------------------------------------------------------------ */
/* HMP: the whole line */

static ArgSpec *find_flag(GArray *specs, guint first, guint end, char c)
{
    for (guint i = first; i < end; i++) {
        ArgSpec *s = &g_array_index(specs, ArgSpec, i);
        if (s->flag == c) {
            return s;
        }
    }
    return NULL;
}

/*
 * The flags specs[first..end) as "-d -x", "-x -d" or "-dx" before the next
 * argument. A word starting with '-' and a digit is not a flag (a negative
 * number for the argument after them).
 */
static int parse_flags(GArray *specs, guint first, guint end, const char **pp,
                       JsonObject *args, GError **errp)
{
    const char *p = *pp;

    for (;;) {
        while (g_ascii_isspace(*p)) {
            p++;
        }
        if (p[0] != '-' || !g_ascii_isalpha(p[1])) {
            break;
        }
        for (p++; *p && !g_ascii_isspace(*p); p++) {
            ArgSpec *s = find_flag(specs, first, end, *p);
            if (!s) {
                error_setg(errp, "unsupported option -%c", *p);
                return -1;
            }
            json_object_set_boolean_member(args, s->name, TRUE);
        }
    }
    *pp = p;
    return 0;
}

static guint flag_group_end(GArray *specs, guint i)
{
    while (i < specs->len && g_array_index(specs, ArgSpec, i).type == '-') {
        i++;
    }
    return i;
}

/* One non-flag argument; returns 0 also when an optional one is absent. */
static int parse_one_arg(ArgSpec *s, const char **pp, MonitorFormat *fmt,
                         JsonObject *args, GError **errp)
{
    g_autofree char *word = NULL;

    if (s->type == '/') {
        return parse_format(pp, fmt, args, errp);
    }
    int found = s->type == 'S' ? (word = take_rest_of_line(pp)) != NULL
                               : monitor_parse_word(pp, false, &word, errp);
    if (found < 0) {
        return -1;
    }
    if (!found) {
        if (s->optional) {
            return 0;
        }
        error_setg(errp, "missing argument '%s'", s->name);
        return -1;
    }
    JsonNode *node = parse_typed_word(s->type, word, errp);
    if (!node) {
        return -1;
    }
    json_object_set_member(args, s->name, node);
    return 0;
}

static int parse_line(GArray *specs, const char *line, MonitorFormat *fmt,
                      JsonObject *args, GError **errp)
{
    const char *p = line;

    for (guint i = 0; i < specs->len;) {
        ArgSpec *s = &g_array_index(specs, ArgSpec, i);
        if (s->type == '-') {
            guint end = flag_group_end(specs, i);
            if (parse_flags(specs, i, end, &p, args, errp) < 0) {
                return -1;
            }
            i = end;
            continue;
        }
        if (parse_one_arg(s, &p, fmt, args, errp) < 0) {
            return -1;
        }
        i++;
    }
    while (g_ascii_isspace(*p)) {
        p++;
    }
    if (*p) {
        error_setg(errp, "too many arguments (from '%s')", p);
        return -1;
    }
    return 0;
}

JsonObject *monitor_parse_args(const char *cmdname, const char *args_type,
                               const char *line, MonitorFormat *fmt,
                               GError **errp)
{
    g_autoptr(GArray) specs = args_type_parse(args_type, errp);
    if (!specs) {
        return NULL;
    }
    JsonObject *args = json_object_new();
    if (parse_line(specs, line ? line : "", fmt, args, errp) < 0) {
        error_prepend(errp, "%s", cmdname);
        json_object_unref(args);
        return NULL;
    }
    return args;
}

/* ------------------------------------------------------------------------ */
/* QMP */

static const char *json_type_expected(char type)
{
    switch (type) {
    case 'i':
    case 'o': return "integer";
    case 'T': return "number";
    case 'b':
    case '-': return "boolean";
    case 'A': return "array";
    default:  return "string";
    }
}

static bool json_type_matches(char type, JsonNode *node)
{
    if (type == 'A') {
        return JSON_NODE_HOLDS_ARRAY(node);
    }
    if (!JSON_NODE_HOLDS_VALUE(node)) {
        return false;
    }
    GType vt = json_node_get_value_type(node);
    switch (type) {
    case 'i':
    case 'o': return vt == G_TYPE_INT64;
    case 'T': return vt == G_TYPE_INT64 || vt == G_TYPE_DOUBLE;
    case 'b':
    case '-': return vt == G_TYPE_BOOLEAN;
    default:  return vt == G_TYPE_STRING;
    }
}

static ArgSpec *find_spec(GArray *specs, const char *name)
{
    for (guint i = 0; i < specs->len; i++) {
        ArgSpec *s = &g_array_index(specs, ArgSpec, i);
        if (!strcmp(s->name, name)) {
            return s;
        }
    }
    return NULL;
}

static int check_member(GArray *specs, JsonObject *args, const char *member,
                        GError **errp)
{
    /* Our own copy: replacing the member below frees the object's key. */
    g_autofree char *name = g_strdup(member);
    ArgSpec *s = find_spec(specs, name);
    JsonNode *node = json_object_get_member(args, name);

    if (!s) {
        s = find_spec(specs, "*");
    }
    if (s && s->type == '*') {
        return 0;
    }
    if (!s || s->type == '/') {
        error_setg(errp, "Invalid parameter '%s'", name);
        return -1;
    }
    if (!json_type_matches(s->type, node)) {
        error_setg(errp, "Invalid parameter type for '%s', expected: %s", name,
                   json_type_expected(s->type));
        return -1;
    }
    if (s->type == 'o' && json_node_get_int(node) < 0) {
        error_setg(errp, "Parameter '%s' expects a size in bytes (not negative)",
                   name);
        return -1;
    }
    if (s->type == 'T' && json_node_get_value_type(node) == G_TYPE_INT64) {
        json_object_set_double_member(args, name,
                                      (double)json_node_get_int(node));
    }
    return 0;
}

int monitor_check_args(const char *args_type, JsonObject *args,
                       GError **errp)
{
    g_autoptr(GArray) specs = args_type_parse(args_type, errp);
    if (!specs) {
        return -1;
    }
    g_autoptr(GList) names = json_object_get_members(args);
    for (GList *l = names; l; l = l->next) {
        if (check_member(specs, args, l->data, errp) < 0) {
            return -1;
        }
    }
    for (guint i = 0; i < specs->len; i++) {
        ArgSpec *s = &g_array_index(specs, ArgSpec, i);
        if (!s->optional && !json_object_has_member(args, s->name)) {
            error_setg(errp, "Parameter '%s' is missing", s->name);
            return -1;
        }
    }
    return 0;
}
