/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-volumes.c: a domain's <disk type='volume'> resolved to paths by virtkit-storaged */
#include <assert.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "json.h"
#include "macro.h"
#include "qemu-volumes.h"
#include "sd-glue.h"
#include "varlink-client.h"

/*
 * At start, each <disk type='volume'><source pool= volume=/> is asked of storaged
 * (io.virtkit.Storage.GetVolumeInfo): the pool must be active and hold the volume; its path,
 * type (file or block) and format come back. All calls go at once on one connection (varlink
 * answers in order); the first failure ends the lookup. The definition (the start's live copy)
 * gets each disk's path in src_path (its type and source stay: the live XML still names the
 * pool and volume), which the security stack labels, and its format when <driver type=> did
 * not say; the argv builder gets the paths through vk_qemu_volumes_get().
 */

typedef struct VolumeSlot {
        VkQemuVolumes *owner;
        VkDomainDisk *disk; /* of the definition being started (borrowed) */
        char *path;
        bool is_block;
} VolumeSlot;

struct VkQemuVolumes {
        sd_event *event;
        char *socket_path;
        VkVarlinkClient *client;
        GPtrArray *slots; /* VolumeSlot */
        VkQemuArgvVolume *argv;
        unsigned n_pending;
        VkError error;
        bool finished;
        sd_event_source *timer;
        sd_event_source *defer;
        VkQemuVolumesDoneFunc done;
        void *userdata;
};

static void volume_slot_free(VolumeSlot *slot) {
        g_free(slot->path);
        g_free(slot);
}

/* How many disks of @def are storage volumes. */
size_t vk_qemu_volumes_count_disks(const VkDomainDef *def) {
        size_t n = 0;

        for (size_t i = 0; i < def->n_disks; i++)
                if (def->disks[i]->type == VK_DISK_TYPE_VOLUME)
                        n++;
        return n;
}

static int volumes_on_defer(sd_event_source *src, void *userdata) {
        VkQemuVolumes *v = userdata;

        v->defer = sd_event_source_disable_unref(v->defer);
        v->timer = sd_event_source_disable_unref(v->timer);
        v->client = vk_varlink_client_free(v->client);
        v->done(v, v->error.name ? &v->error : NULL, v->userdata); /* may free us */
        return 0;
}

/* End the lookup (once): the callback runs from a defer source, never from a reply. */
static void volumes_finish(VkQemuVolumes *v) {
        if (v->finished)
                return;
        v->finished = true;
        /* without a defer source the caller's own timeout reports the failure */
        (void) sd_event_add_defer(v->event, &v->defer, volumes_on_defer, v);
}

static void volumes_fail(VkQemuVolumes *v, const VolumeSlot *slot, const char *name, int err,
                         const char *why) {
        if (v->finished)
                return;
        (void) vk_error_set(&v->error, name, err, "disk '%s': volume '%s' of pool '%s': %s",
                            vk_strempty(slot->disk->target_dev), slot->disk->src_volume,
                            slot->disk->src_pool, why);
        vk_error_add_param(&v->error, "pool", slot->disk->src_pool);
        vk_error_add_param(&v->error, "volume", slot->disk->src_volume);
        volumes_finish(v);
}

/* storaged's answer for one disk: its path, type and format. */
static void volumes_on_reply(VkVarlinkClient *cl, JsonObject *params, const char *error,
                             bool continues, void *userdata) {
        VolumeSlot *slot = userdata;
        VkQemuVolumes *v = slot->owner;
        const char *path, *type, *format;
        VkDiskFormat f;

        v->n_pending--;
        if (v->finished)
                return;
        if (error && strcmp(error, VK_VARLINK_ERROR_DISCONNECTED) == 0) {
                g_autofree char *why = g_strdup_printf(VK_QEMU_STORAGED_NAME " at '%s' closed "
                                                                             "the connection",
                                                       v->socket_path);

                volumes_fail(v, slot, VK_ERROR_OPERATION_FAILED, -ECONNRESET, why);
                return;
        }
        if (error) {
                const char *msg =
                        params ? vk_json_object_get_string_member_or_null(params, "message") : NULL;
                /* NoSuchPool, NoSuchVolume, "not active": storaged says which */
                g_autofree char *why = g_strdup_printf("%s (%s)", msg ? msg : error, error);

                volumes_fail(v, slot, VK_ERROR_OPERATION_INVALID, -ENOENT, why);
                return;
        }
        path = params ? vk_json_object_get_string_member_or_null(params, "path") : NULL;
        type = params ? vk_json_object_get_string_member_or_null(params, "type") : NULL;
        format = params ? vk_json_object_get_string_member_or_null(params, "format") : NULL;
        if (vk_isempty(path) || !g_path_is_absolute(path) || !type || !format) {
                volumes_fail(v, slot, VK_ERROR_OPERATION_FAILED, -EPROTO,
                             VK_QEMU_STORAGED_NAME " answered without a path, type and format");
                return;
        }
        if (strcmp(type, "file") != 0 && strcmp(type, "block") != 0) {
                g_autofree char *why =
                        g_strdup_printf("a volume of type '%s' cannot be a disk", type);

                volumes_fail(v, slot, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP, why);
                return;
        }
        /* a logical volume (format none) is raw to QEMU */
        f = strcmp(format, "none") == 0 ? VK_DISK_FORMAT_RAW : vk_disk_format_from_string(format);
        if (slot->disk->format == VK_DISK_FORMAT_NONE) {
                if (f < 0) {
                        g_autofree char *why = g_strdup_printf("its format '%s' is not "
                                                               "supported for disks",
                                                               format);

                        volumes_fail(v, slot, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP, why);
                        return;
                }
                slot->disk->format = f;
        }
        slot->path = g_strdup(path);
        slot->is_block = strcmp(type, "block") == 0;
        g_free(slot->disk->src_path);
        slot->disk->src_path = g_strdup(path);
        if (v->n_pending == 0)
                volumes_finish(v);
}

static int volumes_on_timeout(sd_event_source *src, uint64_t usec, void *userdata) {
        VkQemuVolumes *v = userdata;

        v->timer = sd_event_source_disable_unref(v->timer);
        for (guint i = 0; i < v->slots->len; i++) {
                VolumeSlot *slot = v->slots->pdata[i];

                if (!slot->path) {
                        g_autofree char *why =
                                g_strdup_printf(VK_QEMU_STORAGED_NAME " at '%s' "
                                                                      "did not answer in time",
                                                v->socket_path);

                        volumes_fail(v, slot, VK_ERROR_TIMEOUT, -ETIMEDOUT, why);
                        break;
                }
        }
        return 0;
}

static JsonNode *volumes_call_params(const VkDomainDisk *disk) {
        g_autoptr(JsonBuilder) b = json_builder_new();

        json_builder_begin_object(b);
        json_builder_set_member_name(b, "pool");
        json_builder_add_string_value(b, disk->src_pool);
        json_builder_set_member_name(b, "volume");
        json_builder_add_string_value(b, disk->src_volume);
        json_builder_end_object(b);
        return json_builder_get_root(b);
}

/*
 * Ask storaged at @socket_path where each volume disk of @def (the start's live copy, changed
 * as said above) is. @done runs once from the loop, after all answers or at the first
 * failure; its error names the disk, the pool and the volume (parameters "pool", "volume").
 * A failure to connect fails the call itself, and @done never runs then. Freeing *@ret cancels
 * the lookup without a callback; @def must outlive it. Must run on the loop.
 */
int vk_qemu_volumes_resolve(sd_event *e, const char *socket_path, VkDomainDef *def,
                            uint64_t timeout_usec, VkQemuVolumesDoneFunc done, void *userdata,
                            VkQemuVolumes **ret, VkError *reterr) {
        g_autoptr(VkQemuVolumes) v = g_new0(VkQemuVolumes, 1);
        g_auto(VkError) err = VK_ERROR_INIT;
        int r;

        assert(e && socket_path && def && done && ret);

        v->event = sd_event_ref(e);
        v->socket_path = g_strdup(socket_path);
        v->slots = g_ptr_array_new_with_free_func((GDestroyNotify) volume_slot_free);
        v->done = done;
        v->userdata = userdata;
        for (size_t i = 0; i < def->n_disks; i++) {
                VolumeSlot *slot;

                if (def->disks[i]->type != VK_DISK_TYPE_VOLUME)
                        continue;
                if (!def->disks[i]->src_pool || !def->disks[i]->src_volume)
                        return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                            "disk '%s': a volume disk needs <source pool= "
                                            "volume=>",
                                            vk_strempty(def->disks[i]->target_dev));
                slot = g_new0(VolumeSlot, 1);
                slot->owner = v;
                slot->disk = def->disks[i];
                g_ptr_array_add(v->slots, slot);
        }
        if (v->slots->len == 0)
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "domain '%s' has no volume disk", def->name);

        r = vk_varlink_client_connect(e, socket_path, &v->client, &err);
        if (r < 0) {
                VolumeSlot *slot = v->slots->pdata[0];

                r = vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, r,
                                 "disk '%s': volume '%s' of pool '%s': " VK_QEMU_STORAGED_NAME
                                 " at '%s' cannot be reached: %s",
                                 vk_strempty(slot->disk->target_dev), slot->disk->src_volume,
                                 slot->disk->src_pool, socket_path, err.message);
                vk_error_add_param(reterr, "pool", slot->disk->src_pool);
                vk_error_add_param(reterr, "volume", slot->disk->src_volume);
                return r;
        }
        for (guint i = 0; i < v->slots->len; i++) {
                VolumeSlot *slot = v->slots->pdata[i];
                g_autoptr(JsonNode) params = volumes_call_params(slot->disk);

                r = vk_varlink_client_call(v->client, VK_QEMU_STORAGED_INTERFACE ".GetVolumeInfo",
                                           params, /* flags= */ 0, volumes_on_reply, slot);
                if (r < 0)
                        return vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, r,
                                            "disk '%s': " VK_QEMU_STORAGED_NAME
                                            " at '%s' cannot be reached: %s",
                                            vk_strempty(slot->disk->target_dev), socket_path,
                                            g_strerror(-r));
                v->n_pending++;
        }
        r = sd_event_add_time_relative(e, &v->timer, CLOCK_MONOTONIC, timeout_usec, 0,
                                       volumes_on_timeout, v);
        if (r < 0)
                return vk_error_set_errno(reterr, r, "Failed to arm the volumes timeout");

        *ret = g_steal_pointer(&v);
        return 0;
}

/* The resolved volumes, ready for VkQemuArgvOptions.volumes; valid as long as @v. Only after
 * @done reported success. */
const VkQemuArgvVolume *vk_qemu_volumes_get(const VkQemuVolumes *v, size_t *ret_n) {
        VkQemuVolumes *m = (VkQemuVolumes *) v;

        if (!m->argv) {
                m->argv = g_new0(VkQemuArgvVolume, MAX(m->slots->len, 1u));
                for (guint i = 0; i < m->slots->len; i++) {
                        const VolumeSlot *slot = m->slots->pdata[i];

                        m->argv[i] = (VkQemuArgvVolume){
                                .pool = slot->disk->src_pool,
                                .volume = slot->disk->src_volume,
                                .path = slot->path,
                                .is_block = slot->is_block,
                        };
                }
        }
        *ret_n = m->slots->len;
        return m->argv;
}

/* Free @v (takes NULL); a lookup still running is dropped without its callback. */
VkQemuVolumes *vk_qemu_volumes_free(VkQemuVolumes *v) {
        if (!v)
                return NULL;
        v->client = vk_varlink_client_free(v->client);
        sd_event_source_disable_unref(v->timer);
        sd_event_source_disable_unref(v->defer);
        if (v->slots)
                g_ptr_array_unref(v->slots);
        g_free(v->argv);
        vk_error_done(&v->error);
        g_free(v->socket_path);
        sd_event_unref(v->event);
        g_free(v);
        return NULL;
}
