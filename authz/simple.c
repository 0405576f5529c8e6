/*
 * authz-simple: an authorization object that allows one identity (see
 * authz/simple.h).
 */
#include <string.h>

#include "authz/simple.h"
#include "qemu-error.h"

#define TYPE_AUTHZ_SIMPLE "authz-simple"

typedef struct AuthzSimple {
    char *identity;
} AuthzSimple;

static const ObjectPropInfo authz_simple_props[] = {
    { .name = "identity", .kind = OBJECT_PROP_STRING },
    { .name = NULL },
};

static void *authz_simple_create(Object *obj, const ObjectProps *props,
                                 GError **errp)
{
    const char *identity = object_props_get_str(props, "identity");

    if (!identity) {
        error_setg(errp, "The 'identity' property must be set");
        return NULL;
    }
    AuthzSimple *authz = g_new0(AuthzSimple, 1);
    authz->identity = g_strdup(identity);
    return authz;
}

static void authz_simple_free(void *instance)
{
    AuthzSimple *authz = instance;

    g_free(authz->identity);
    g_free(authz);
}

static const ObjectType authz_simple_type = {
    .name = TYPE_AUTHZ_SIMPLE,
    .props = authz_simple_props,
    .create = authz_simple_create,
    .free = authz_simple_free,
};

void authz_simple_register_type(void)
{
    object_register_type(&authz_simple_type);
}

Object *authz_ref(const char *authz_id, GError **errp)
{
    Object *obj = object_ref_by_id(authz_id);

    if (!obj) {
        error_setg(errp, "No authorization object with id '%s'", authz_id);
        return NULL;
    }
    if (strcmp(object_type_name(obj), TYPE_AUTHZ_SIMPLE)) {
        error_setg(errp, "Object '%s' (%s) is not an authorization object",
                   authz_id, object_type_name(obj));
        object_unref(obj);
        return NULL;
    }
    return obj;
}

bool authz_allows(Object *authz, const char *identity)
{
    const AuthzSimple *simple = object_instance(authz);

    return identity && !strcmp(simple->identity, identity);
}

bool authz_is_allowed(const char *authz_id, const char *identity,
                      GError **errp)
{
    Object *authz = authz_ref(authz_id, errp);

    if (!authz) {
        return false;
    }
    bool allowed = authz_allows(authz, identity);
    object_unref(authz);
    return allowed;
}
