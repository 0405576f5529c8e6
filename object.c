/*
 * User-creatable objects: the registries of types and objects, turning
 * -object text and object-add JSON into checked properties, and the life of
 * an object (see object.h). Messages follow QEMU's where it has one.
 */
#include <string.h>

#include "object.h"
#include "qemu-option.h"
#include "qemu-error.h"

struct Object {
    const ObjectType *type;
    char *id;
    void *instance;
    gint refcount;
};

typedef struct PropValue {
    const ObjectPropInfo *info;
    char *str;          /* OBJECT_PROP_STRING and OBJECT_PROP_ENUM */
    bool b;             /* OBJECT_PROP_BOOL */
    int index;          /* OBJECT_PROP_ENUM */
} PropValue;

struct ObjectProps {
    const ObjectType *type;
    GHashTable *values;     /* name -> PropValue */
};

/* Types are registered at start-up, then only read. */
static GPtrArray *types;

/* id -> Object; the lock lets any thread look objects up. */
static GMutex objects_lock;
static GHashTable *objects;

/* ------------------------------------------------------------------------ */
/* Types */

void object_register_type(const ObjectType *type)
{
    if (!types) {
        types = g_ptr_array_new();
    }
    g_ptr_array_add(types, (gpointer)type);
}

static const ObjectType *find_type(const char *name)
{
    for (guint i = 0; types && i < types->len; i++) {
        const ObjectType *t = g_ptr_array_index(types, i);
        if (!strcmp(t->name, name)) {
            return t;
        }
    }
    return NULL;
}

static const ObjectPropInfo *find_prop_info(const ObjectType *type,
                                            const char *name)
{
    for (const ObjectPropInfo *p = type->props; p && p->name; p++) {
        if (!strcmp(p->name, name)) {
            return p;
        }
    }
    return NULL;
}

/* ------------------------------------------------------------------------ */
/* Property values: text (command line, HMP) or JSON (QMP) */

static void prop_value_free(gpointer p)
{
    PropValue *v = p;
    g_free(v->str);
    g_free(v);
}

static int find_enum_value(const ObjectPropInfo *info, const char *text,
                           GError **errp)
{
    for (int i = 0; info->values[i]; i++) {
        if (!strcmp(info->values[i], text)) {
            return i;
        }
    }
    g_autofree char *choices = g_strjoinv(" or ", (char **)info->values);
    error_setg(errp, "Parameter '%s' does not accept value '%s' (expected %s)",
               info->name, text, choices);
    return -1;
}

static bool node_is(JsonNode *node, GType type)
{
    return JSON_NODE_HOLDS_VALUE(node) && json_node_get_value_type(node) == type;
}

/* One property's value from its node: a string from text, any JSON type
 * from QMP (checked as QEMU's QMP checks it). */
static int prop_value_set(PropValue *v, JsonNode *node, bool from_text,
                          GError **errp)
{
    const ObjectPropInfo *info = v->info;
    bool want_bool = info->kind == OBJECT_PROP_BOOL && !from_text;

    if (!node_is(node, want_bool ? G_TYPE_BOOLEAN : G_TYPE_STRING)) {
        error_setg(errp, "Invalid parameter type for '%s', expected: %s",
                   info->name, want_bool ? "boolean" : "string");
        return -1;
    }
    switch (info->kind) {
    case OBJECT_PROP_STRING:
        v->str = g_strdup(json_node_get_string(node));
        return 0;
    case OBJECT_PROP_BOOL:
        if (want_bool) {
            v->b = json_node_get_boolean(node);
            return 0;
        }
        return qemu_opt_parse_bool(info->name, json_node_get_string(node), &v->b,
                                   errp);
    case OBJECT_PROP_ENUM:
        v->index = find_enum_value(info, json_node_get_string(node), errp);
        v->str = g_strdup(json_node_get_string(node));
        return v->index < 0 ? -1 : 0;
    }
    g_assert_not_reached();
}

static int props_add(ObjectProps *props, const char *name, JsonNode *node,
                     bool from_text, GError **errp)
{
    const ObjectPropInfo *info = find_prop_info(props->type, name);

    if (!info) {
        error_setg(errp, "Property '%s.%s' not found", props->type->name, name);
        return -1;
    }
    if (g_hash_table_contains(props->values, name)) {
        error_setg(errp, "Property '%s.%s' is given more than once",
                   props->type->name, name);
        return -1;
    }
    PropValue *v = g_new0(PropValue, 1);
    v->info = info;
    if (prop_value_set(v, node, from_text, errp) < 0) {
        prop_value_free(v);
        return -1;
    }
    g_hash_table_insert(props->values, (gpointer)info->name, v);
    return 0;
}

static void props_free(ObjectProps *props)
{
    g_hash_table_unref(props->values);
    g_free(props);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ObjectProps, props_free)

static int props_add_members(ObjectProps *props, JsonObject *members,
                             bool from_text, GError **errp)
{
    g_autoptr(GList) names = json_object_get_members(members);

    for (GList *l = names; l; l = l->next) {
        const char *name = l->data;
        JsonNode *node = json_object_get_member(members, name);
        if (!strcmp(name, "qom-type") || !strcmp(name, "id")) {
            continue;
        }
        if (!strcmp(name, "props") && !from_text) {
            if (!JSON_NODE_HOLDS_OBJECT(node)) {
                error_setg(errp, "Invalid parameter type for 'props', expected: object");
                return -1;
            }
            if (props_add_members(props, json_node_get_object(node), false,
                                  errp) < 0) {
                return -1;
            }
            continue;
        }
        if (props_add(props, name, node, from_text, errp) < 0) {
            return -1;
        }
    }
    return 0;
}

/* The properties of `args` (all but qom-type and id) checked against the
 * type. */
static ObjectProps *props_parse(const ObjectType *type, JsonObject *args,
                                bool from_text, GError **errp)
{
    ObjectProps *props = g_new0(ObjectProps, 1);

    props->type = type;
    props->values = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
                                          prop_value_free);
    if (props_add_members(props, args, from_text, errp) < 0) {
        props_free(props);
        return NULL;
    }
    return props;
}

static const PropValue *props_lookup(const ObjectProps *props,
                                     const char *name, ObjectPropKind kind)
{
    const ObjectPropInfo *info = find_prop_info(props->type, name);

    g_assert(info && info->kind == kind);
    return g_hash_table_lookup(props->values, name);
}

const char *object_props_get_str(const ObjectProps *props, const char *name)
{
    const PropValue *v = props_lookup(props, name, OBJECT_PROP_STRING);
    return v ? v->str : NULL;
}

bool object_props_get_bool(const ObjectProps *props, const char *name,
                           bool default_value)
{
    const PropValue *v = props_lookup(props, name, OBJECT_PROP_BOOL);
    return v ? v->b : default_value;
}

int object_props_get_enum(const ObjectProps *props, const char *name,
                          int default_value)
{
    const PropValue *v = props_lookup(props, name, OBJECT_PROP_ENUM);
    return v ? v->index : default_value;
}

/* ------------------------------------------------------------------------ */
/* The objects */

Object *object_ref(Object *obj)
{
    g_atomic_int_inc(&obj->refcount);
    return obj;
}

void object_unref(Object *obj)
{
    if (!obj || !g_atomic_int_dec_and_test(&obj->refcount)) {
        return;
    }
    if (obj->instance) {
        obj->type->free(obj->instance);
    }
    g_free(obj->id);
    g_free(obj);
}

const char *object_id(const Object *obj)
{
    return obj->id;
}

const char *object_type_name(const Object *obj)
{
    return obj->type->name;
}

void *object_instance(const Object *obj)
{
    return obj->instance;
}

Object *object_ref_by_id(const char *id)
{
    g_mutex_lock(&objects_lock);
    Object *obj = objects ? g_hash_table_lookup(objects, id) : NULL;
    if (obj) {
        object_ref(obj);
    }
    g_mutex_unlock(&objects_lock);
    return obj;
}

static bool id_exists(const char *id)
{
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&objects_lock);
    return objects && g_hash_table_contains(objects, id);
}

static void objects_insert(Object *obj)
{
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&objects_lock);
    if (!objects) {
        objects = g_hash_table_new(g_str_hash, g_str_equal);
    }
    g_hash_table_insert(objects, obj->id, obj);
}

static const char *get_string_arg(JsonObject *args, const char *name,
                                  GError **errp)
{
    JsonNode *node = json_object_get_member(args, name);

    if (!node) {
        error_setg(errp, "Parameter '%s' is missing", name);
        return NULL;
    }
    if (!node_is(node, G_TYPE_STRING)) {
        error_setg(errp, "Invalid parameter type for '%s', expected: string", name);
        return NULL;
    }
    return json_node_get_string(node);
}

/* The type and id of a new object, checked in QEMU's order. */
static const ObjectType *check_type_and_id(JsonObject *args, const char **id,
                                           GError **errp)
{
    const char *type_name = get_string_arg(args, "qom-type", errp);
    if (!type_name || !(*id = get_string_arg(args, "id", errp))) {
        return NULL;
    }
    if (!qemu_opt_id_wellformed(*id)) {
        error_setg(errp, "Parameter 'id' expects an identifier (letters, "
                   "digits, '-', '.', '_', starting with a letter)");
        return NULL;
    }
    const ObjectType *type = find_type(type_name);
    if (!type) {
        error_setg(errp, "invalid object type: %s", type_name);
    }
    return type;
}

static int object_create(JsonObject *args, bool from_text, GError **errp)
{
    const char *id;
    const ObjectType *type = check_type_and_id(args, &id, errp);
    if (!type) {
        return -1;
    }
    g_autoptr(ObjectProps) props = props_parse(type, args, from_text, errp);
    if (!props) {
        return -1;
    }
    /* Checked before create() loads anything; creation happens in the main
     * thread only, so nothing takes the id meanwhile. */
    if (id_exists(id)) {
        error_setg(errp, "attempt to add duplicate property '%s' to object "
                   "(type 'container')", id);
        return -1;
    }
    Object *obj = g_new0(Object, 1);
    obj->type = type;
    obj->id = g_strdup(id);
    obj->refcount = 1;
    obj->instance = type->create(obj, props, errp);
    if (!obj->instance) {
        object_unref(obj);
        return -1;
    }
    objects_insert(obj);
    return 0;
}

int object_create_from_json(JsonObject *args, GError **errp)
{
    return object_create(args, false, errp);
}

int object_delete(const char *id, GError **errp)
{
    g_mutex_lock(&objects_lock);
    Object *obj = objects ? g_hash_table_lookup(objects, id) : NULL;
    if (!obj) {
        g_mutex_unlock(&objects_lock);
        error_setg(errp, "object '%s' not found", id);
        return -1;
    }
    /* Under the lock nobody can take a first reference by id; anyone who
     * could copy one already holds one, which this count shows. */
    if (g_atomic_int_get(&obj->refcount) > 1) {
        g_mutex_unlock(&objects_lock);
        error_setg(errp, "object '%s' is in use, can not be deleted", id);
        return -1;
    }
    g_hash_table_remove(objects, id);
    g_mutex_unlock(&objects_lock);
    object_unref(obj);
    return 0;
}

void object_delete_all(void)
{
    g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func(g_free);

    g_mutex_lock(&objects_lock);
    if (objects) {
        GHashTableIter iter;
        gpointer key;
        g_hash_table_iter_init(&iter, objects);
        while (g_hash_table_iter_next(&iter, &key, NULL)) {
            g_ptr_array_add(ids, g_strdup(key));
        }
    }
    g_mutex_unlock(&objects_lock);
    for (guint i = 0; i < ids->len; i++) {
        object_delete(g_ptr_array_index(ids, i), NULL);
    }
}

/* ------------------------------------------------------------------------ */
/* The text form: TYPE,id=ID,key=value,... with ",," for a comma */

static int add_text_element(JsonObject *args, const char *elem, bool first,
                            GError **errp)
{
    const char *eq = strchr(elem, '=');

    if (!eq && first) {
        if (elem[0]) {
            json_object_set_string_member(args, "qom-type", elem);
        }
        return 0;
    }
    if (!eq) {
        error_setg(errp, "Expected '=' after parameter '%s'", elem);
        return -1;
    }
    g_autofree char *key = g_strndup(elem, eq - elem);
    if (!key[0]) {
        error_setg(errp, "Expected a parameter name before '=%s'", eq + 1);
        return -1;
    }
    if (json_object_has_member(args, key)) {
        error_setg(errp, "Parameter '%s' is given more than once", key);
        return -1;
    }
    json_object_set_string_member(args, key, eq + 1);
    return 0;
}

static JsonObject *parse_text(const char *text, GError **errp)
{
    g_autoptr(JsonObject) args = json_object_new();
    const char *p = text;

    for (bool first = true; first || *p; first = false) {
        g_autofree char *elem = qemu_opt_next_element(&p);
        if (add_text_element(args, elem, first, errp) < 0) {
            return NULL;
        }
    }
    return g_steal_pointer(&args);
}

static JsonObject *parse_json_text(const char *text, GError **errp)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autoptr(GError) err = NULL;

    if (!json_parser_load_from_data(parser, text, -1, &err)) {
        error_setg(errp, "JSON parse error: %s", err->message);
        return NULL;
    }
    JsonNode *root = json_parser_get_root(parser);
    if (!JSON_NODE_HOLDS_OBJECT(root)) {
        error_setg(errp, "the JSON form of -object must be an object");
        return NULL;
    }
    return json_object_ref(json_node_get_object(root));
}

int object_create_from_string(const char *text, GError **errp)
{
    bool json = text[0] == '{';
    g_autoptr(JsonObject) args = json ? parse_json_text(text, errp)
                                      : parse_text(text, errp);
    if (!args) {
        return -1;
    }
    return object_create(args, !json, errp);
}
