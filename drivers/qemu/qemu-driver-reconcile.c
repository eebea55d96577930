/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-driver-reconcile.c: a reconnected domain's disks QEMU removed while no daemon listened */
#include <string.h>

#include "log.h"
#include "qemu-argv.h"
#include "qemu-driver-internal.h"

/* The names @key of the objects of the list @ret into @set (strings @ret owns); with
 * @inserted, the member @key of their member "inserted" (query-block's node-name). */
static void reconcile_names(JsonNode *ret, const char *key, bool inserted, GHashTable *set) {
        JsonArray *list = JSON_NODE_HOLDS_ARRAY(ret) ? json_node_get_array(ret) : NULL;

        for (guint i = 0; list && i < json_array_get_length(list); i++) {
                JsonNode *n = json_array_get_element(list, i);
                JsonObject *o = JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
                const char *name;

                if (o && inserted)
                        o = json_object_has_member(o, "inserted")
                                    ? json_object_get_object_member(o, "inserted")
                                    : NULL;
                name = o ? json_object_get_string_member_with_default(o, key, NULL) : NULL;
                if (name)
                        g_hash_table_add(set, (gpointer) name);
        }
}

/* The disks of a reconnected domain whose device is gone from QEMU's tree. */
typedef struct Reconcile {
        VkDomainObj *obj; /* a reference */
        GPtrArray *gone;  /* their aliases */
} Reconcile;

static void reconcile_free(Reconcile *rc) {
        vk_domain_obj_unref(rc->obj);
        g_ptr_array_unref(rc->gone);
        g_free(rc);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(Reconcile, reconcile_free)

static void reconcile_on_block(VkQmpClient *qmp, JsonNode *ret, const VkError *error,
                               void *userdata) {
        g_autoptr(Reconcile) rc = userdata;
        VkDomainObj *obj = rc->obj;
        g_autoptr(GHashTable) qdevs = g_hash_table_new(g_str_hash, g_str_equal);
        g_autoptr(GHashTable) held = g_hash_table_new(g_str_hash, g_str_equal);
        g_autoptr(GPtrArray) gone = g_ptr_array_new_with_free_func(g_free);

        if (error || !ret) {
                vk_log_debug("Domain '%s': query-block failed: %s", obj->name,
                             error ? error->message : "no reply");
                return;
        }
        if (!obj->live || !obj->process || obj->process->exited)
                return;
        reconcile_names(ret, "qdev", false, qdevs);
        reconcile_names(ret, "node-name", true, held);
        vk_qemu_argv_disk_nodes_fix(obj->live);
        for (guint i = 0; i < rc->gone->len; i++) {
                const char *alias = rc->gone->pdata[i];
                g_autofree char *path = g_strdup_printf("/machine/peripheral/%s/", alias);
                bool attached = g_hash_table_contains(qdevs, alias);
                ssize_t d = qemu_driver_disk_find_alias(obj->live, alias);
                GHashTableIter it;
                gpointer k;

                /* a device QEMU unplugged but has not finalized still holds its top node */
                if (d >= 0) {
                        g_auto(GStrv) names = qemu_driver_disk_nodes(obj->live, (size_t) d);

                        attached = attached || (names[0] && g_hash_table_contains(held, names[0]));
                }

                /* virtio-blk names its backend: /machine/peripheral/<id>/virtio-backend */
                g_hash_table_iter_init(&it, qdevs);
                while (!attached && g_hash_table_iter_next(&it, &k, NULL))
                        attached = g_str_has_prefix(k, path);
                if (!attached) /* unplugged, and its nodes let go: a DEVICE_DELETED we missed */
                        g_ptr_array_add(gone, g_strdup(alias));
        }
        for (guint i = 0; i < gone->len; i++) {
                vk_log_debug("Domain '%s': QEMU removed device '%s' while we were away", obj->name,
                             (const char *) gone->pdata[i]);
                qemu_driver_device_deleted(obj->driver, obj, gone->pdata[i]);
                qemu_driver_emit_event(obj->driver, obj,
                                       &(VkQemuDomainEvent){ .event = "device-removed",
                                                             .device = gone->pdata[i] });
        }
}

static void reconcile_on_qom(VkQmpClient *qmp, JsonNode *ret, const VkError *error,
                             void *userdata) {
        g_autoptr(VkDomainObj) obj = userdata;
        g_autoptr(GHashTable) have = g_hash_table_new(g_str_hash, g_str_equal);
        g_autoptr(Reconcile) rc = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;

        if (error || !ret) {
                vk_log_debug("Domain '%s': qom-list of /machine/peripheral failed: %s", obj->name,
                             error ? error->message : "no reply");
                return;
        }
        if (!obj->live || !obj->process || obj->process->exited || !obj->process->qmp)
                return;
        reconcile_names(ret, "name", false, have);
        rc = g_new0(Reconcile, 1);
        rc->obj = vk_domain_obj_ref(obj);
        rc->gone = g_ptr_array_new_with_free_func(g_free);
        for (size_t i = 0; i < obj->live->n_disks; i++) {
                char *alias = vk_qemu_argv_disk_alias(obj->live, obj->live->disks[i]);

                if (!alias || g_hash_table_contains(have, alias)) {
                        g_free(alias);
                        continue;
                }
                g_ptr_array_add(rc->gone, alias);
        }
        if (rc->gone->len == 0)
                return;
        /* gone from the tree; its nodes are free once QEMU finalized it (DEVICE_DELETED) */
        if (vk_qmp_execute(obj->process->qmp, "query-block", NULL, reconcile_on_block, rc, NULL,
                           &err) < 0)
                vk_log_debug("Domain '%s': query-block not sent: %s", obj->name, err.message);
        else
                g_steal_pointer(&rc);
}

/*
 * A reconnected domain (libvirt's qemuProcessUpdateDevices): the disks QEMU no longer has
 * (a detach the guest finished while no daemon listened for DEVICE_DELETED) are removed as
 * the event would have: nodes deleted, labels back, live XML and status file. A disk counts
 * as gone when its device is neither in /machine/peripheral (qom-list) nor holds a block
 * backend (query-block); one QEMU has not finalized yet ends with its DEVICE_DELETED.
 */
void qemu_driver_device_reconcile(VkQemuDriver *drv, VkDomainObj *obj) {
        g_auto(VkError) err = VK_ERROR_INIT;
        JsonObject *args;

        if (!obj->live || !obj->process || !obj->process->qmp)
                return;
        args = json_object_new();
        json_object_set_string_member(args, "path", "/machine/peripheral");
        if (vk_qmp_execute(obj->process->qmp, "qom-list", args, reconcile_on_qom,
                           vk_domain_obj_ref(obj), NULL, &err) < 0) {
                vk_log_debug("Domain '%s': qom-list not sent: %s", obj->name, err.message);
                vk_domain_obj_unref(obj);
        }
        json_object_unref(args);
}
