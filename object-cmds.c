/*
 * The monitor commands of user-creatable objects: QMP object-add and
 * object-del, HMP object_add and object_del (see object.h). HMP object_add
 * takes the -object text, as QEMU's does, so it goes to object.c's text
 * form rather than through the QMP handler (whose booleans are JSON ones).
 */
#include "monitor.h"
#include "object.h"
#include "qemu-error.h"

#include "hmp-handlers.h"
#include "qmp-handlers.h"

JsonNode *qmp_object_add(JsonObject *args, Monitor *mon, GError **errp)
{
    if (object_create_from_json(args, errp) < 0) {
        return NULL;
    }
    return monitor_result_empty();
}

JsonNode *qmp_object_del(JsonObject *args, Monitor *mon, GError **errp)
{
    if (object_delete(json_object_get_string_member(args, "id"), errp) < 0) {
        return NULL;
    }
    return monitor_result_empty();
}

void hmp_object_add(Monitor *mon, JsonObject *args)
{
    GError *err = NULL;

    if (object_create_from_string(json_object_get_string_member(args, "object"),
                                  &err) < 0) {
        monitor_report_error(mon, err);
    }
}

void hmp_object_del(Monitor *mon, JsonObject *args)
{
    hmp_run_qmp(mon, qmp_object_del, args);
}
