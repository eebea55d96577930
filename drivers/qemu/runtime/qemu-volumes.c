/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-volumes.c: a domain's <disk type='volume'> resolved to paths by virtkit-storaged */
#include <assert.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "json.h"
#include "macro.h"
#include "qemu-volumes.h"
#include "varlink-batch.h"

/*
 * At start, each <disk type='volume'><source pool= volume=/> is asked of storaged
 * (io.virtkit.Storage.GetVolumeInfo): the pool must be active and hold the volume; its path,
 * type (file or block), format and encryption come back. All calls go at once on one
 * connection (common/varlink-batch.c); the first failure ends the lookup. The definition (the
 * start's live copy) gets each disk's path in src_path (its type and source stay: the live XML
 * still names the pool and volume), which the security stack labels, and its format when <driver
 * type=> did not say; the argv builder gets the paths through vk_qemu_volumes_get().
 */

typedef struct VolumeSlot {
        VkDomainDisk *disk; /* of the definition being started (borrowed) */
        char *path;
        bool is_block;
} VolumeSlot;

struct VkQemuVolumes {
        VkVarlinkBatch *batch; /* one call per slot, in order */
        GPtrArray *slots;      /* VolumeSlot */
        VkQemuArgvVolume *argv;
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

static void volumes_on_done(VkVarlinkBatch *b, const VkError *error, void *userdata) {
        VkQemuVolumes *v = userdata;

        v->done(v, error, v->userdata); /* may free us */
}

/*
 * An encrypted volume: a disk without <encryption> of its own gets the volume's (its secret,
 * as storaged remembers it), so QEMU opens it through LUKS. libvirt 9.0 copies nothing and
 * hands QEMU the raw LUKS bytes; a disk's own <encryption> is kept as given.
 */
static int volumes_take_encryption(VolumeSlot *slot, JsonObject *params, char **ret_why) {
        const char *enc = vk_json_object_get_string_member_or_null(params, "encryption");
        const char *secret = vk_json_object_get_string_member_or_null(params, "secret");

        if (vk_isempty(enc) || slot->disk->encrypted)
                return 0;
        if (strcmp(enc, "luks") != 0) {
                *ret_why = g_strdup_printf("its encryption '%s' is not supported for disks", enc);
                return -EOPNOTSUPP;
        }
        if (vk_isempty(secret)) {
                *ret_why = g_strdup("it is LUKS-encrypted and " VK_QEMU_STORAGED_NAME
                                    " does not know its "
                                    "secret: give the disk <encryption format='luks'><secret "
                                    "type='passphrase' uuid='...'/></encryption>");
                return -ENOKEY;
        }
        slot->disk->encrypted = true;
        g_free(slot->disk->secret_uuid);
        slot->disk->secret_uuid = g_strdup(secret);
        return 0;
}

/* storaged's answer for one disk: its path, type, format and encryption. */
static int volumes_on_reply(VkVarlinkBatch *b, size_t index, JsonObject *params, const char *error,
                            const char **ret_name, char **ret_why, void *userdata) {
        VkQemuVolumes *v = userdata;
        VolumeSlot *slot = v->slots->pdata[index];
        const char *path, *type, *format;
        VkDiskFormat f;
        int r;

        if (error) {
                const char *msg =
                        params ? vk_json_object_get_string_member_or_null(params, "message") : NULL;

                /* NoSuchPool, NoSuchVolume, "not active": storaged says which */
                *ret_why = g_strdup_printf("%s (%s)", msg ? msg : error, error);
                *ret_name = VK_ERROR_OPERATION_INVALID;
                return -ENOENT;
        }
        path = params ? vk_json_object_get_string_member_or_null(params, "path") : NULL;
        type = params ? vk_json_object_get_string_member_or_null(params, "type") : NULL;
        format = params ? vk_json_object_get_string_member_or_null(params, "format") : NULL;
        if (vk_isempty(path) || !g_path_is_absolute(path) || !type || !format) {
                *ret_why = g_strdup(VK_QEMU_STORAGED_NAME " answered without a path, type and "
                                                          "format");
                return -EPROTO;
        }
        if (strcmp(type, "file") != 0 && strcmp(type, "block") != 0) {
                *ret_why = g_strdup_printf("a volume of type '%s' cannot be a disk", type);
                *ret_name = VK_ERROR_NOT_SUPPORTED;
                return -EOPNOTSUPP;
        }
        /* a logical volume (format none) is raw to QEMU */
        f = strcmp(format, "none") == 0 ? VK_DISK_FORMAT_RAW : vk_disk_format_from_string(format);
        if (slot->disk->format == VK_DISK_FORMAT_NONE) {
                if (f < 0) {
                        *ret_why = g_strdup_printf("its format '%s' is not supported for disks",
                                                   format);
                        *ret_name = VK_ERROR_NOT_SUPPORTED;
                        return -EOPNOTSUPP;
                }
                slot->disk->format = f;
        }
        r = volumes_take_encryption(slot, params, ret_why);
        if (r < 0) {
                *ret_name = VK_ERROR_NOT_SUPPORTED;
                return r;
        }
        slot->path = g_strdup(path);
        slot->is_block = strcmp(type, "block") == 0;
        g_free(slot->disk->src_path);
        slot->disk->src_path = g_strdup(path);
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
 * Ask storaged at @socket_path where each volume disk of @disks (@n of them, of a live copy,
 * changed as said above; the other disks are skipped) is. @done runs once from the loop, after
 * all answers or at the first failure; its error names the disk, the pool and the volume
 * (parameters "pool", "volume"). A failure to connect fails the call itself, and @done never
 * runs then. Freeing *@ret cancels the lookup without a callback; the disks must outlive it.
 * Must run on the loop. A live attach resolves its one disk this way.
 */
int vk_qemu_volumes_resolve_disks(sd_event *e, const char *socket_path, VkDomainDisk *const *disks,
                                  size_t n, uint64_t timeout_usec, VkQemuVolumesDoneFunc done,
                                  void *userdata, VkQemuVolumes **ret, VkError *reterr) {
        g_autoptr(VkQemuVolumes) v = g_new0(VkQemuVolumes, 1);
        int r;

        assert(e && socket_path && done && ret);
        assert(disks || n == 0);

        v->slots = g_ptr_array_new_with_free_func((GDestroyNotify) volume_slot_free);
        v->done = done;
        v->userdata = userdata;
        v->batch = vk_varlink_batch_new(e, VK_QEMU_STORAGED_NAME, socket_path);
        for (size_t i = 0; i < n; i++) {
                VkDomainDisk *disk = disks[i];
                g_autofree char *label = NULL;
                VolumeSlot *slot;

                if (disk->type != VK_DISK_TYPE_VOLUME)
                        continue;
                if (!disk->src_pool || !disk->src_volume)
                        return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                            "disk '%s': a volume disk needs <source pool= "
                                            "volume=>",
                                            vk_strempty(disk->target_dev));
                slot = g_new0(VolumeSlot, 1);
                slot->disk = disk;
                g_ptr_array_add(v->slots, slot);
                label = g_strdup_printf("disk '%s': volume '%s' of pool '%s'",
                                        vk_strempty(disk->target_dev), disk->src_volume,
                                        disk->src_pool);
                vk_varlink_batch_add(v->batch, VK_QEMU_STORAGED_INTERFACE ".GetVolumeInfo",
                                     volumes_call_params(disk), label,
                                     VK_STRV("pool", disk->src_pool, "volume", disk->src_volume));
        }
        if (v->slots->len == 0)
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "no volume disk to resolve");
        r = vk_varlink_batch_start(v->batch, timeout_usec, volumes_on_reply, volumes_on_done, v,
                                   reterr);
        if (r < 0)
                return r;
        *ret = g_steal_pointer(&v);
        return 0;
}

/* vk_qemu_volumes_resolve_disks() for every disk of @def (the start's live copy), which must
 * outlive the lookup. */
int vk_qemu_volumes_resolve(sd_event *e, const char *socket_path, VkDomainDef *def,
                            uint64_t timeout_usec, VkQemuVolumesDoneFunc done, void *userdata,
                            VkQemuVolumes **ret, VkError *reterr) {
        assert(def);

        if (vk_qemu_volumes_count_disks(def) == 0)
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "domain '%s' has no volume disk", def->name);
        return vk_qemu_volumes_resolve_disks(e, socket_path, def->disks, def->n_disks, timeout_usec,
                                             done, userdata, ret, reterr);
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
        vk_varlink_batch_free(v->batch);
        if (v->slots)
                g_ptr_array_unref(v->slots);
        g_free(v->argv);
        g_free(v);
        return NULL;
}
