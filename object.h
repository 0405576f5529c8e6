/*
 * User-creatable objects, as QEMU's -object TYPE,id=ID,prop=value,...: a
 * registry of object types (registered at start-up by the modules that
 * implement them) and of the objects made from them, named by id.
 *
 * An object is made whole or not at all: its properties are checked against
 * its type's table, then the type's create() does the rest (load files, ...)
 * and any failure leaves no object behind. The registry holds one reference
 * to each object; a user (a migration, a chardev) takes another for as long
 * as it uses the object, and an object with such a reference cannot be
 * deleted ("object 'tls0' is in use, can not be deleted").
 *
 * Threads: creating and deleting objects is for the main thread (the command
 * line and the monitors); looking one up, referencing and unreferencing work
 * from any thread. The last reference frees the object in whichever thread
 * drops it, so a type's free() must not care which thread that is.
 */
#ifndef OBJECT_H
#define OBJECT_H

#include <stdbool.h>
#include <glib.h>
#include <json-glib/json-glib.h>

typedef struct Object Object;
/* The checked properties passed to a type's create(). */
typedef struct ObjectProps ObjectProps;

typedef enum {
    OBJECT_PROP_STRING,
    /* On the command line and HMP: on|off|yes|no|true|false; in JSON a
     * boolean (as QEMU's QMP). */
    OBJECT_PROP_BOOL,
    /* A string among the property's `values`. */
    OBJECT_PROP_ENUM,
} ObjectPropKind;

typedef struct ObjectPropInfo {
    const char *name;
    ObjectPropKind kind;
    const char *const *values;      /* OBJECT_PROP_ENUM: NULL-terminated */
} ObjectPropInfo;

typedef struct ObjectType {
    const char *name;               /* "tls-creds-x509" */
    const ObjectPropInfo *props;    /* ends with an entry whose name is NULL */
    /*
     * Makes the instance from properties already checked against `props`;
     * returns NULL with *errp set when it cannot. `obj` is the object being
     * made (object_id(); object_ref() for whoever needs it later). Runs in
     * the main thread.
     */
    void *(*create)(Object *obj, const ObjectProps *props, GError **errp);
    /* Frees what create() returned, in the thread dropping the last reference. */
    void (*free)(void *instance);
} ObjectType;

/* Makes `type` creatable; at start-up, before any object is made. The type
 * must stay valid for the life of the process. */
void object_register_type(const ObjectType *type);

/*
 * Creates an object from the text of -object and HMP object_add:
 * "TYPE,id=ID,prop=value,..." (or "qom-type=TYPE,..."; ",," is a comma
 * inside a value), or a JSON object as QMP object-add takes it (text
 * starting with '{'). Returns 0, or -1 with *errp set and no object made.
 * Main thread only.
 */
int object_create_from_string(const char *text, GError **errp);

/*
 * Creates an object from QMP object-add's arguments: "qom-type", "id", and
 * the properties either as members beside them (QEMU 6 and later) or in a
 * "props" object (before). Main thread only.
 */
int object_create_from_json(JsonObject *args, GError **errp);

/* Deletes object `id`: "object 'ID' not found", or "object 'ID' is in use,
 * can not be deleted" while anyone but the registry references it. Main
 * thread only. */
int object_delete(const char *id, GError **errp);

/* Deletes every object nobody else references (at exit, between tests). */
void object_delete_all(void);

/* The object `id` with a new reference, or NULL when there is none. */
Object *object_ref_by_id(const char *id);
Object *object_ref(Object *obj);
/* NULL is fine. */
void object_unref(Object *obj);

const char *object_id(const Object *obj);
const char *object_type_name(const Object *obj);
/* What the type's create() returned. */
void *object_instance(const Object *obj);

/*
 * Reading properties in create(). Asking for a property the type does not
 * declare, or as another kind, is a programming error (it aborts).
 */
/* The value given, or NULL when the property was not given. */
const char *object_props_get_str(const ObjectProps *props, const char *name);
bool object_props_get_bool(const ObjectProps *props, const char *name,
                           bool default_value);
/* The index of the value in the property's `values`, or default_value. */
int object_props_get_enum(const ObjectProps *props, const char *name,
                          int default_value);

#endif
