/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* service-objects.c: one D-Bus object per key of an object interface, and its change signals */
#include <string.h>

#include "bus.h"
#include "sd-glue.h"
#include "service-internal.h"

/* One object interface on the bus: its vtable, and what subscribers last heard. */
typedef struct ServiceObjects {
        VkService *service;
        const VkObjectInterface *oi;
        sd_bus_vtable *vtable;
        sd_bus_slot *vtable_slot;
        sd_bus_slot *enumerator_slot;
        GHashTable *published; /* key → property struct (oi->properties) last announced */
} ServiceObjects;

static int objects_get(ServiceObjects *so, const char *key, void **ret_props) {
        void *props = g_malloc0(so->oi->properties ? so->oi->properties->size : 1);
        int r;

        r = so->oi->get(key, props, so->service->userdata);
        if (r < 0) {
                vk_struct_free(so->oi->properties, props);
                return r;
        }
        *ret_props = props;
        return 0;
}

static void objects_props_free(gpointer p, const VkObjectInterface *oi) {
        vk_struct_free(oi->properties, p);
}

static int objects_on_find(sd_bus *bus, const char *path, const char *interface, void *userdata,
                           void **ret_found, sd_bus_error *ret_error) {
        ServiceObjects *so = userdata;
        g_autofree char *key = NULL;
        void *props = NULL;
        int r;

        if (vk_bus_object_key(so->oi->path_prefix, path, &key) < 0)
                return 0;
        r = objects_get(so, key, &props);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        objects_props_free(props, so->oi);
        *ret_found = so;
        return 1;
}

static int objects_on_enumerate(sd_bus *bus, const char *prefix, void *userdata, char ***ret_nodes,
                                sd_bus_error *ret_error) {
        ServiceObjects *so = userdata;
        g_auto(GStrv) keys = NULL;
        GPtrArray *paths;
        int r;

        r = so->oi->list(&keys, so->service->userdata);
        if (r < 0)
                return r;
        paths = g_ptr_array_new();
        for (char **k = keys; k && *k; k++) {
                char *path;

                if (vk_bus_object_path(so->oi->path_prefix, *k, &path) >= 0)
                        g_ptr_array_add(paths, path);
        }
        g_ptr_array_add(paths, NULL);
        /* sd-bus frees the vector with free(): GLib allocates with malloc() */
        *ret_nodes = (char **) g_ptr_array_free(paths, false);
        return 0;
}

static int objects_on_get_property(sd_bus *bus, const char *path, const char *interface,
                                   const char *property, sd_bus_message *reply, void *userdata,
                                   sd_bus_error *ret_error) {
        ServiceObjects *so = userdata;
        g_autofree char *key = NULL;
        void *props = NULL;
        int r;

        r = vk_bus_object_key(so->oi->path_prefix, path, &key);
        if (r >= 0)
                r = objects_get(so, key, &props);
        if (r < 0)
                return sd_bus_error_setf(ret_error, SD_BUS_ERROR_UNKNOWN_OBJECT, "no object %s",
                                         path);
        r = -ENOENT;
        for (const VkField *f = so->oi->properties->fields; f->name; f++)
                if (strcmp(f->name, property) == 0) {
                        r = vk_bus_append_field(reply, f, props);
                        break;
                }
        objects_props_free(props, so->oi);
        return r;
}

static int objects_on_method(sd_bus_message *msg, void *userdata, sd_bus_error *ret_error) {
        ServiceObjects *so = userdata;
        const char *member = sd_bus_message_get_member(msg);
        g_autofree char *key = NULL;

        if (vk_bus_object_key(so->oi->path_prefix, sd_bus_message_get_path(msg), &key) < 0)
                return sd_bus_reply_method_errorf(msg, SD_BUS_ERROR_UNKNOWN_OBJECT, "no object %s",
                                                  sd_bus_message_get_path(msg));
        for (const VkObjectMethod *om = so->oi->methods; om && om->name; om++) {
                const VkMethod *m;

                if (strcmp(om->name, member) != 0)
                        continue;
                /* checked when the vtable was built: the target exists */
                m = vk_bus_object_method_target(so->service->iface, om);
                return service_bus_dispatch(so->service, so->service->iface, msg, m, om->key, key);
        }
        return sd_bus_reply_method_errorf(msg, SD_BUS_ERROR_UNKNOWN_METHOD, "no method %s", member);
}

void service_objects_free(ServiceObjects *so) {
        GHashTableIter it;
        gpointer value;

        if (!so)
                return;
        sd_bus_slot_unref(so->enumerator_slot);
        sd_bus_slot_unref(so->vtable_slot);
        g_free(so->vtable);
        /* the values' type is so->oi->properties: free them by hand */
        g_hash_table_iter_init(&it, so->published);
        while (g_hash_table_iter_next(&it, NULL, &value))
                objects_props_free(value, so->oi);
        g_hash_table_unref(so->published);
        g_free(so);
}

/* Remember what the objects look like now: later changes are announced against this. */
static int objects_snapshot(ServiceObjects *so) {
        g_auto(GStrv) keys = NULL;
        int r;

        r = so->oi->list(&keys, so->service->userdata);
        if (r < 0)
                return r;
        for (char **k = keys; k && *k; k++) {
                void *props;

                if (objects_get(so, *k, &props) < 0)
                        continue;
                g_hash_table_replace(so->published, g_strdup(*k), props);
        }
        return 0;
}

/* Export @oi on the service's bus: fallback vtable, node enumerator, snapshot. */
int service_export_objects(VkService *s, const VkObjectInterface *oi, VkError *reterr) {
        ServiceObjects *so = g_new0(ServiceObjects, 1);
        int r;

        so->service = s;
        so->oi = oi;
        so->published = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        g_ptr_array_add(s->objects, so);

        r = vk_bus_object_vtable_new(s->iface, oi, objects_on_method, objects_on_get_property,
                                     s->vtable_strings, &so->vtable);
        if (r < 0)
                return vk_error_set_errno(reterr, r, "bad declaration of %s", oi->bus_interface);
        r = sd_bus_add_fallback_vtable(s->bus, &so->vtable_slot, oi->path_prefix, oi->bus_interface,
                                       so->vtable, objects_on_find, so);
        if (r < 0)
                return vk_error_set_errno(reterr, r, "cannot export %s on the bus",
                                          oi->bus_interface);
        r = sd_bus_add_node_enumerator(s->bus, &so->enumerator_slot, oi->path_prefix,
                                       objects_on_enumerate, so);
        if (r < 0)
                return vk_error_set_errno(reterr, r, "cannot list the objects of %s",
                                          oi->bus_interface);
        r = objects_snapshot(so);
        if (r < 0)
                return vk_error_set_errno(reterr, r, "cannot list the objects of %s",
                                          oi->bus_interface);
        return 0;
}

static bool field_equal(const VkField *f, const void *a, const void *b) {
        const void *x = (const uint8_t *) a + f->offset, *y = (const uint8_t *) b + f->offset;

        switch (f->type) {
        case VK_FIELD_STRING:
                return g_strcmp0(*(char *const *) x, *(char *const *) y) == 0;
        case VK_FIELD_BOOL:
                return *(const bool *) x == *(const bool *) y;
        case VK_FIELD_INT:
                return *(const int64_t *) x == *(const int64_t *) y;
        case VK_FIELD_UINT:
                return *(const uint64_t *) x == *(const uint64_t *) y;
        case VK_FIELD_DOUBLE:
                return memcmp(x, y, sizeof(double)) == 0;
        case VK_FIELD_STRV: {
                const char *const empty[] = { NULL };
                const char *const *sx = *(const char *const *const *) x;
                const char *const *sy = *(const char *const *const *) y;

                return g_strv_equal(sx ? sx : empty, sy ? sy : empty);
        }
        default:
                return false;
        }
}

/*
 * Tell D-Bus clients what became of the object @key of the object interface @oi (one of the
 * service's iface->objects): InterfacesAdded on the interface's bus_path when it is new,
 * InterfacesRemoved when it is gone, PropertiesChanged with the properties that differ from
 * the last announcement, nothing when nothing changed. Call it after anything that may have
 * changed the object; calls that change nothing are cheap. Returns 0 (also without a bus:
 * nobody to tell), -EINVAL for an unknown @oi or a bad key, or the error of the get function
 * or of sd-bus. Runs on the loop.
 */
int vk_service_update_object(VkService *s, const VkObjectInterface *oi, const char *key) {
        ServiceObjects *so = NULL;
        g_autofree char *path = NULL;
        void *now = NULL, *before;
        g_autoptr(GPtrArray) changed = NULL;
        int r;

        for (guint i = 0; s->objects && i < s->objects->len; i++)
                if (((ServiceObjects *) s->objects->pdata[i])->oi == oi)
                        so = s->objects->pdata[i];
        if (!so)
                return s->bus ? -EINVAL : 0;
        r = vk_bus_object_path(oi->path_prefix, key, &path);
        if (r < 0)
                return r;

        before = g_hash_table_lookup(so->published, key);
        r = objects_get(so, key, &now);
        if (r == -ENOENT) {
                if (!before)
                        return 0;
                g_hash_table_remove(so->published, key);
                objects_props_free(before, oi);
                r = sd_bus_emit_interfaces_removed(s->bus, path, oi->bus_interface, NULL);
                return r < 0 ? r : 0;
        }
        if (r < 0)
                return r;
        g_hash_table_replace(so->published, g_strdup(key), now);
        if (!before) {
                r = sd_bus_emit_interfaces_added(s->bus, path, oi->bus_interface, NULL);
                return r < 0 ? r : 0;
        }

        changed = g_ptr_array_new();
        for (const VkField *f = oi->properties ? oi->properties->fields : NULL; f && f->name; f++)
                if (!field_equal(f, before, now))
                        g_ptr_array_add(changed, (char *) f->name);
        objects_props_free(before, oi);
        if (changed->len == 0)
                return 0;
        g_ptr_array_add(changed, NULL);
        r = sd_bus_emit_properties_changed_strv(s->bus, path, oi->bus_interface,
                                                (char **) changed->pdata);
        return r < 0 ? r : 0;
}
