/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* api.c: the io.virtkit.Storage interface served by virtkit-storaged: handlers, events, objects */
#include <signal.h>
#include <stddef.h>
#include <string.h>

#include "admin.h"
#include "api.h"
#include "call.h"
#include "log.h"
#include "macro.h"
#include "objdir.h"

static VkStorageDriver *api_driver(void *userdata) {
        return ((VkStoraged *) userdata)->driver;
}

static unsigned api_uid(VkCall *call) {
        return (unsigned) vk_call_peer(call)->uid;
}

static int api_reply_id(VkCall *call, const VkStoragePoolInfo *info) {
        char buf[VK_UUID_STRING_MAX];
        VkStorageIdResult res = {
                .name = info->name,
                .uuid = (char *) vk_uuid_format(&info->uuid, buf),
        };

        return vk_call_reply(call, &res);
}

/* --- pools --- */

static int api_define_pool(VkCall *call, void *params, void *userdata) {
        const VkStorageXmlParams *p = params;
        g_autoptr(VkStoragePoolInfo) info = NULL;
        int r;

        r = vk_storage_driver_pool_define(api_driver(userdata), p->xml, &info, vk_call_error(call));
        if (r < 0)
                return r;
        vk_log_info("%s storage pool '%s' (uid %u)", r > 0 ? "Defined" : "Redefined", info->name,
                    api_uid(call));
        return api_reply_id(call, info);
}

/* What a pool call that runs children (mkfs, mount, LVM) logs when it ends. */
static const char *api_pool_done_verb(const VkMethod *m) {
        static const char *const verbs[][2] = {
                { "BuildStoragePool", "Built" },       { "CreateStoragePool", "Started" },
                { "CreateStoragePoolXML", "Started" }, { "DestroyStoragePool", "Destroyed" },
                { "DeleteStoragePool", "Deleted" },    { "DeleteVolume", "Deleted a volume of" },
        };

        for (size_t i = 0; i < G_N_ELEMENTS(verbs); i++)
                if (strcmp(m->name, verbs[i][0]) == 0)
                        return verbs[i][1];
        return NULL;
}

/* A pool call's children ended: reply to it (referenced for us); CreateStoragePoolXML with
 * the pool's name and UUID. */
static void api_on_pool_done(VkStorageDriver *drv, const char *pool, const VkError *error,
                             void *userdata) {
        g_autoptr(VkCall) call = userdata;
        g_autoptr(VkStoragePoolInfo) info = NULL;
        const VkMethod *m = vk_call_method(call);
        const char *verb = api_pool_done_verb(m);

        if (error) {
                vk_log_warning("%s of storage pool '%s' failed: %s", m->name, pool, error->message);
                (void) vk_call_reply_error(call, error);
                return;
        }
        if (verb)
                vk_log_info("%s storage pool '%s' (uid %u)", verb, pool, api_uid(call));
        if (strcmp(m->name, "CreateStoragePoolXML") == 0 &&
            vk_storage_driver_pool_lookup(drv, pool, NULL, &info, NULL) >= 0) {
                (void) api_reply_id(call, info);
                return;
        }
        (void) vk_call_reply(call, NULL);
}

/* Reply for a pool call that returned @r: now (0), or from api_on_pool_done() (1). */
static int api_pool_reply(VkCall *call, const char *pool, int r) {
        const char *verb = api_pool_done_verb(vk_call_method(call));

        if (r < 0)
                return r;
        if (r > 0) {
                vk_call_ref(call); /* api_on_pool_done() replies and unrefs */
                return 0;
        }
        if (verb)
                vk_log_info("%s storage pool '%s' (uid %u)", verb, pool, api_uid(call));
        return vk_call_reply(call, NULL);
}

static int api_create_pool_xml(VkCall *call, void *params, void *userdata) {
        const VkStorageXmlParams *p = params;
        g_autoptr(VkStoragePoolInfo) info = NULL;
        int r;

        r = vk_storage_driver_pool_create_xml(api_driver(userdata), p->xml, p->build, &info,
                                              api_on_pool_done, call, vk_call_error(call));
        if (r < 0)
                return r;
        if (r > 0) {
                vk_call_ref(call); /* api_on_pool_done() replies and unrefs */
                return 0;
        }
        vk_log_info("Started transient storage pool '%s' (uid %u)", info->name, api_uid(call));
        return api_reply_id(call, info);
}

static int api_undefine_pool(VkCall *call, void *params, void *userdata) {
        const char *pool = ((VkStoragePoolParams *) params)->pool;
        int r;

        r = vk_storage_driver_pool_undefine(api_driver(userdata), pool, vk_call_error(call));
        if (r < 0)
                return r;
        vk_log_info("Undefined storage pool '%s' (uid %u)", pool, api_uid(call));
        return vk_call_reply(call, NULL);
}

static int api_build_pool(VkCall *call, void *params, void *userdata) {
        const VkStorageBuildParams *p = params;

        return api_pool_reply(
                call, p->pool,
                vk_storage_driver_pool_build(api_driver(userdata), p->pool,
                                             p->overwrite ? VK_STORAGE_POOL_BUILD_OVERWRITE : 0,
                                             api_on_pool_done, call, vk_call_error(call)));
}

static int api_destroy_pool(VkCall *call, void *params, void *userdata) {
        const char *pool = ((VkStoragePoolParams *) params)->pool;

        return api_pool_reply(call, pool,
                              vk_storage_driver_pool_destroy(api_driver(userdata), pool,
                                                             api_on_pool_done, call,
                                                             vk_call_error(call)));
}

static int api_delete_pool(VkCall *call, void *params, void *userdata) {
        const char *pool = ((VkStoragePoolParams *) params)->pool;

        return api_pool_reply(call, pool,
                              vk_storage_driver_pool_delete(api_driver(userdata), pool,
                                                            api_on_pool_done, call,
                                                            vk_call_error(call)));
}

static int api_refresh_pool(VkCall *call, void *params, void *userdata) {
        const char *pool = ((VkStoragePoolParams *) params)->pool;

        return api_pool_reply(call, pool,
                              vk_storage_driver_pool_refresh(api_driver(userdata), pool,
                                                             api_on_pool_done, call,
                                                             vk_call_error(call)));
}

static int api_create_pool(VkCall *call, void *params, void *userdata) {
        const VkStorageStartParams *p = params;

        return api_pool_reply(call, p->pool,
                              vk_storage_driver_pool_create(api_driver(userdata), p->pool, p->build,
                                                            api_on_pool_done, call,
                                                            vk_call_error(call)));
}

static int api_get_pool_xml(VkCall *call, void *params, void *userdata) {
        const VkStorageGetXmlParams *p = params;
        g_autofree char *xml = NULL;
        VkStorageXmlResult res;
        int r;

        r = vk_storage_driver_pool_get_xml(api_driver(userdata), p->pool, p->inactive, &xml,
                                           vk_call_error(call));
        if (r < 0)
                return r;
        res.xml = xml;
        return vk_call_reply(call, &res);
}

static VkStoragePoolSummary api_pool_summary(const VkStoragePoolInfo *info,
                                             char buf[VK_UUID_STRING_MAX]) {
        return (VkStoragePoolSummary){
                .name = info->name,
                .uuid = (char *) vk_uuid_format(&info->uuid, buf),
                .type = (char *) vk_storage_pool_type_to_string(info->type),
                .active = info->active,
                .persistent = info->persistent,
                .autostart = info->autostart,
                .capacity = info->capacity,
                .allocation = info->allocation,
                .available = info->available,
                .volumes = info->n_volumes,
        };
}

static int api_reply_pool(VkCall *call, const VkStoragePoolInfo *info) {
        char buf[VK_UUID_STRING_MAX];
        VkStoragePoolSummary res = api_pool_summary(info, buf);

        return vk_call_reply(call, &res);
}

static int api_get_pool_info(VkCall *call, void *params, void *userdata) {
        const VkStoragePoolParams *p = params;
        g_autoptr(VkStoragePoolInfo) info = NULL;
        int r;

        r = vk_storage_driver_pool_lookup(api_driver(userdata), p->pool, NULL, &info,
                                          vk_call_error(call));
        if (r < 0)
                return r;
        return api_reply_pool(call, info);
}

static int api_lookup_pool(VkCall *call, void *params, void *userdata) {
        const VkStorageLookupParams *p = params;
        g_autoptr(VkStoragePoolInfo) info = NULL;
        g_autoptr(VkStorageVolInfo) vol = NULL;
        VkError *e = vk_call_error(call);
        int r;

        if (!!p->name + !!p->uuid + !!p->volume != 1)
                return vk_error_set(e, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "name: give one of name, uuid or volume");
        if (p->volume) {
                r = vk_storage_driver_vol_lookup(api_driver(userdata), NULL, NULL, p->volume, NULL,
                                                 &vol, NULL);
                if (r < 0)
                        r = vk_storage_driver_vol_lookup(api_driver(userdata), NULL, NULL, NULL,
                                                         p->volume, &vol, e);
                if (r >= 0)
                        r = vk_storage_driver_pool_lookup(api_driver(userdata), vol->pool, NULL,
                                                          &info, e);
        } else
                r = vk_storage_driver_pool_lookup(api_driver(userdata), p->name, p->uuid, &info, e);
        if (r < 0)
                return r;
        return api_reply_pool(call, info);
}

static int api_list_pools(VkCall *call, void *params, void *userdata) {
        const VkStorageListParams *p = params;
        g_autoptr(GPtrArray) infos = NULL;
        g_autofree VkStoragePoolSummary *items = NULL;
        g_autofree char *uuids = NULL;
        VkStorageListResult res = {};
        VkStoragePoolFilter filter = { .type = -1 };
        VkError *e = vk_call_error(call);
        int r;

        r = vk_tristate_filter_parse("active", p->active, &filter.active, e);
        if (r >= 0)
                r = vk_tristate_filter_parse("persistent", p->persistent, &filter.persistent, e);
        if (r >= 0)
                r = vk_tristate_filter_parse("autostart", p->autostart, &filter.autostart, e);
        if (r >= 0 && p->type) {
                filter.type = vk_storage_pool_type_from_string(p->type);
                if (filter.type < 0)
                        r = vk_error_set(e, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                         "type: unsupported pool type '%s'", p->type);
        }
        if (r >= 0)
                r = vk_storage_driver_pool_list(api_driver(userdata), &filter, &infos, e);
        if (r < 0)
                return r;
        items = g_new0(VkStoragePoolSummary, MAX(infos->len, 1u));
        uuids = g_malloc0((size_t) MAX(infos->len, 1u) * VK_UUID_STRING_MAX);
        for (guint i = 0; i < infos->len; i++)
                items[i] =
                        api_pool_summary(infos->pdata[i], uuids + (size_t) i * VK_UUID_STRING_MAX);
        res.pools = (VkArray){ .items = items, .n = infos->len };
        return vk_call_reply(call, &res);
}

static const VkObjectInterface storage_objects[];

static int api_set_pool_autostart(VkCall *call, void *params, void *userdata) {
        const VkStorageAutostartParams *p = params;
        VkStoraged *sd = userdata;
        g_autoptr(VkStoragePoolInfo) info = NULL;
        char buf[VK_UUID_STRING_MAX];
        int r;

        r = vk_storage_driver_pool_set_autostart(sd->driver, p->pool, p->autostart,
                                                 vk_call_error(call));
        if (r < 0)
                return r;
        /* no event for this (as libvirt): tell D-Bus here */
        if (sd->service &&
            vk_storage_driver_pool_lookup(sd->driver, p->pool, NULL, &info, NULL) >= 0)
                (void) vk_service_update_object(sd->service, &storage_objects[0],
                                                vk_uuid_format(&info->uuid, buf));
        return vk_call_reply(call, NULL);
}

/* --- volumes --- */

static VkStorageVolSummary api_vol_summary(const VkStorageVolInfo *info) {
        return (VkStorageVolSummary){
                .pool = info->pool,
                .name = info->name,
                .key = info->key,
                .path = info->path,
                .type = (char *) vk_storage_vol_type_to_string(info->type),
                .format = (char *) vk_image_format_to_string(info->format),
                .capacity = info->capacity,
                .allocation = info->allocation,
                .backing_store = (char *) vk_strempty(info->backing_path),
                .warning = (char *) vk_strempty(info->warning),
                .encryption = (char *) (info->encrypted ? "luks" : ""),
                .secret = (char *) vk_strempty(info->secret),
        };
}

static int api_reply_vol(VkCall *call, const VkStorageVolInfo *info) {
        VkStorageVolSummary res = api_vol_summary(info);

        return vk_call_reply(call, &res);
}

/* A volume job's call, while the job runs: what its progress said last. */
typedef struct ApiJob {
        VkCall *call;
        uint64_t bytes;
        uint64_t total;
        char *operation;
} ApiJob;

static ApiJob *api_job_new(VkCall *call) {
        ApiJob *aj = g_new0(ApiJob, 1);

        aj->call = vk_call_ref(call);
        return aj;
}

static void api_job_free(ApiJob *aj) {
        if (!aj)
                return;
        vk_call_unref(aj->call);
        g_free(aj->operation);
        g_free(aj);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ApiJob, api_job_free)

/* A volume job ended: reply to the call that started it. */
static void api_on_vol_done(VkStorageDriver *drv, const VkStorageVolInfo *info,
                            const VkError *error, void *userdata) {
        g_autoptr(ApiJob) aj = userdata;
        const VkMethod *m = vk_call_method(aj->call);

        if (error) {
                vk_log_warning("%s failed: %s", m->name, error->message);
                (void) vk_call_reply_error(aj->call, error);
                return;
        }
        vk_log_info("%s: volume '%s' of pool '%s' (uid %u)", m->name, info->name, info->pool,
                    api_uid(aj->call));
        if (m->out == &vk_storage_vol_progress_type) {
                VkStorageVolProgressArgs res = {
                        .pool = info->pool,
                        .volume = info->name,
                        .operation = aj->operation,
                        .bytes = aj->bytes,
                        .total = aj->total,
                };

                (void) vk_call_reply(aj->call, &res);
                return;
        }
        (void) api_reply_vol(aj->call, info);
}

/* How far a job is: its call's "more" reply (varlink), and the VolumeProgress signal. */
static void api_on_vol_progress(VkStorageDriver *drv, const VkStorageVolProgress *p,
                                void *job_userdata, void *userdata) {
        VkStoraged *sd = userdata;
        ApiJob *aj = job_userdata;
        VkStorageVolProgressArgs args = {
                .pool = (char *) p->pool,
                .volume = (char *) p->volume,
                .operation = (char *) p->operation,
                .bytes = p->bytes,
                .total = p->total,
        };
        int r;

        if (aj) {
                aj->bytes = p->bytes;
                aj->total = p->total;
                if (!aj->operation)
                        aj->operation = g_strdup(p->operation);
                if (vk_call_more(aj->call) &&
                    vk_call_method(aj->call)->out == &vk_storage_vol_progress_type)
                        (void) vk_call_reply_continue(aj->call, &args);
        }
        if (!sd->service)
                return;
        r = vk_service_emit_signal(sd->service, "VolumeProgress", &args);
        if (r < 0)
                vk_log_debug("Failed to emit VolumeProgress for volume '%s': %s", p->volume,
                             g_strerror(-r));
}

/* A job was started (r >= 0): api_on_vol_done() replies and frees @aj; else free it now. */
static int api_job_started(int r, ApiJob *aj) {
        if (r < 0)
                api_job_free(aj);
        return r;
}

static int api_create_volume(VkCall *call, void *params, void *userdata) {
        const VkStorageVolCreateParams *p = params;
        ApiJob *aj = api_job_new(call);

        return api_job_started(vk_storage_driver_vol_create(api_driver(userdata), p->pool, p->xml,
                                                            api_on_vol_done, aj,
                                                            vk_call_error(call)),
                               aj);
}

static int api_create_volume_from(VkCall *call, void *params, void *userdata) {
        const VkStorageVolCreateFromParams *p = params;
        ApiJob *aj = api_job_new(call);

        return api_job_started(vk_storage_driver_vol_create_from(
                                       api_driver(userdata), p->pool, p->xml, p->source_pool,
                                       p->source, api_on_vol_done, aj, vk_call_error(call)),
                               aj);
}

static int api_resize_volume(VkCall *call, void *params, void *userdata) {
        const VkStorageVolResizeParams *p = params;
        unsigned flags = (p->shrink ? VK_STORAGE_RESIZE_SHRINK : 0) |
                         (p->allocate ? VK_STORAGE_RESIZE_ALLOCATE : 0);
        ApiJob *aj = api_job_new(call);

        return api_job_started(
                vk_storage_driver_vol_resize(api_driver(userdata), p->pool, p->volume, p->capacity,
                                             flags, api_on_vol_done, aj, vk_call_error(call)),
                aj);
}

static int api_wipe_volume(VkCall *call, void *params, void *userdata) {
        const VkStorageVolWipeParams *p = params;
        ApiJob *aj;

        if (p->algorithm && strcmp(p->algorithm, "zero") != 0)
                return vk_error_set(vk_call_error(call), VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                    "algorithm: '%s' is not supported (only 'zero')", p->algorithm);
        aj = api_job_new(call);
        return api_job_started(vk_storage_driver_vol_wipe(api_driver(userdata), p->pool, p->volume,
                                                          api_on_vol_done, aj, vk_call_error(call)),
                               aj);
}

static int api_upload_volume(VkCall *call, void *params, void *userdata) {
        const VkStorageVolStreamParams *p = params;
        ApiJob *aj = api_job_new(call);

        return api_job_started(vk_storage_driver_vol_upload(api_driver(userdata), p->pool,
                                                            p->volume, p->fd.fd, p->offset,
                                                            p->length, api_on_vol_done, aj,
                                                            vk_call_error(call)),
                               aj);
}

static int api_download_volume(VkCall *call, void *params, void *userdata) {
        const VkStorageVolStreamParams *p = params;
        ApiJob *aj = api_job_new(call);

        return api_job_started(vk_storage_driver_vol_download(api_driver(userdata), p->pool,
                                                              p->volume, p->fd.fd, p->offset,
                                                              p->length, api_on_vol_done, aj,
                                                              vk_call_error(call)),
                               aj);
}

static int api_delete_volume(VkCall *call, void *params, void *userdata) {
        const VkStorageVolParams *p = params;
        int r;

        r = vk_storage_driver_vol_delete(api_driver(userdata), p->pool, p->volume, api_on_pool_done,
                                         call, vk_call_error(call));
        if (r < 0)
                return r;
        if (r > 0) {
                vk_call_ref(call); /* api_on_pool_done() replies and unrefs */
                return 0;
        }
        vk_log_info("Deleted volume '%s' of storage pool '%s' (uid %u)", p->volume, p->pool,
                    api_uid(call));
        return vk_call_reply(call, NULL);
}

static int api_lookup_volume(VkCall *call, void *params, void *userdata) {
        const VkStorageVolLookupParams *p = params;
        g_autoptr(VkStorageVolInfo) info = NULL;
        VkError *e = vk_call_error(call);
        int r;

        if (!!p->name + !!p->key + !!p->path != 1 || !!p->pool != !!p->name)
                return vk_error_set(e, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "name: give pool and name, or key, or path");
        r = vk_storage_driver_vol_lookup(api_driver(userdata), p->pool, p->name, p->key, p->path,
                                         &info, e);
        if (r < 0)
                return r;
        return api_reply_vol(call, info);
}

static int api_get_volume_info(VkCall *call, void *params, void *userdata) {
        const VkStorageVolParams *p = params;
        g_autoptr(VkStorageVolInfo) info = NULL;
        int r;

        r = vk_storage_driver_vol_lookup(api_driver(userdata), p->pool, p->volume, NULL, NULL,
                                         &info, vk_call_error(call));
        if (r < 0)
                return r;
        return api_reply_vol(call, info);
}

static int api_get_volume_xml(VkCall *call, void *params, void *userdata) {
        const VkStorageVolParams *p = params;
        g_autofree char *xml = NULL;
        VkStorageXmlResult res;
        int r;

        r = vk_storage_driver_vol_get_xml(api_driver(userdata), p->pool, p->volume, &xml,
                                          vk_call_error(call));
        if (r < 0)
                return r;
        res.xml = xml;
        return vk_call_reply(call, &res);
}

static int api_list_volumes(VkCall *call, void *params, void *userdata) {
        const VkStoragePoolParams *p = params;
        g_autoptr(GPtrArray) infos = NULL;
        g_autofree VkStorageVolSummary *items = NULL;
        VkStorageVolListResult res;
        int r;

        r = vk_storage_driver_vol_list(api_driver(userdata), p->pool, &infos, vk_call_error(call));
        if (r < 0)
                return r;
        items = g_new0(VkStorageVolSummary, MAX(infos->len, 1u));
        for (guint i = 0; i < infos->len; i++)
                items[i] = api_vol_summary(infos->pdata[i]);
        res.volumes = (VkArray){ .items = items, .n = infos->len };
        return vk_call_reply(call, &res);
}

/* --- D-Bus objects: one per pool (keyed by UUID), one per volume --- */

typedef struct PoolProps {
        char *name;
        char *uuid;
        bool active;
        bool persistent;
        bool autostart;
        uint64_t capacity;
        uint64_t allocation;
        uint64_t available;
} PoolProps;

static const VkField pool_props_fields[] = {
        { "Name", VK_FIELD_STRING, offsetof(PoolProps, name), VK_FIELD_REQUIRED, NULL,
          "The pool's name" },
        { "UUID", VK_FIELD_STRING, offsetof(PoolProps, uuid), VK_FIELD_REQUIRED, NULL,
          "The pool's UUID" },
        { "Active", VK_FIELD_BOOL, offsetof(PoolProps, active), VK_FIELD_REQUIRED, NULL,
          "Whether the pool runs" },
        { "Persistent", VK_FIELD_BOOL, offsetof(PoolProps, persistent), VK_FIELD_REQUIRED, NULL,
          "Whether the pool is defined (not transient)" },
        { "Autostart", VK_FIELD_BOOL, offsetof(PoolProps, autostart), VK_FIELD_REQUIRED, NULL,
          "Whether the pool starts with the daemon" },
        { "Capacity", VK_FIELD_UINT, offsetof(PoolProps, capacity), VK_FIELD_REQUIRED, NULL,
          "bytes; 0 when inactive" },
        { "Allocation", VK_FIELD_UINT, offsetof(PoolProps, allocation), VK_FIELD_REQUIRED, NULL,
          "bytes; 0 when inactive" },
        { "Available", VK_FIELD_UINT, offsetof(PoolProps, available), VK_FIELD_REQUIRED, NULL,
          "bytes; 0 when inactive" },
        {},
};

static const VkStructType pool_props_type = {
        .size = sizeof(PoolProps),
        .fields = pool_props_fields,
};

static int api_pool_object_keys(char ***ret_keys, void *userdata) {
        g_autoptr(GPtrArray) infos = NULL;
        GPtrArray *keys;
        char buf[VK_UUID_STRING_MAX];
        int r;

        r = vk_storage_driver_pool_list(api_driver(userdata), NULL, &infos, NULL);
        if (r < 0)
                return r;
        keys = g_ptr_array_new();
        for (guint i = 0; i < infos->len; i++)
                g_ptr_array_add(keys,
                                g_strdup(vk_uuid_format(
                                        &((VkStoragePoolInfo *) infos->pdata[i])->uuid, buf)));
        g_ptr_array_add(keys, NULL);
        *ret_keys = (char **) g_ptr_array_free(keys, false);
        return 0;
}

static int api_pool_object_get(const char *key, void *ret_props, void *userdata) {
        g_autoptr(VkStoragePoolInfo) info = NULL;
        PoolProps *p = ret_props;
        char buf[VK_UUID_STRING_MAX];

        if (vk_storage_driver_pool_lookup(api_driver(userdata), NULL, key, &info, NULL) < 0)
                return -ENOENT;
        *p = (PoolProps){
                .name = g_strdup(info->name),
                .uuid = g_strdup(vk_uuid_format(&info->uuid, buf)),
                .active = info->active,
                .persistent = info->persistent,
                .autostart = info->autostart,
                .capacity = info->capacity,
                .allocation = info->allocation,
                .available = info->available,
        };
        return 0;
}

typedef struct VolProps {
        char *name;
        char *key;
        char *path;
        char *pool;
        uint64_t capacity;
        uint64_t allocation;
        char *format;
} VolProps;

static const VkField vol_props_fields[] = {
        { "Name", VK_FIELD_STRING, offsetof(VolProps, name), VK_FIELD_REQUIRED, NULL,
          "The volume's name" },
        { "Key", VK_FIELD_STRING, offsetof(VolProps, key), VK_FIELD_REQUIRED, NULL,
          "The volume's key" },
        { "Path", VK_FIELD_STRING, offsetof(VolProps, path), VK_FIELD_REQUIRED, NULL,
          "The volume's path" },
        { "Pool", VK_FIELD_STRING, offsetof(VolProps, pool), VK_FIELD_REQUIRED, NULL,
          "the pool's name" },
        { "Capacity", VK_FIELD_UINT, offsetof(VolProps, capacity), VK_FIELD_REQUIRED, NULL,
          "bytes" },
        { "Allocation", VK_FIELD_UINT, offsetof(VolProps, allocation), VK_FIELD_REQUIRED, NULL,
          "bytes" },
        { "Format", VK_FIELD_STRING, offsetof(VolProps, format), VK_FIELD_REQUIRED, NULL,
          "The volume's format" },
        {},
};

static const VkStructType vol_props_type = {
        .size = sizeof(VolProps),
        .fields = vol_props_fields,
};

/* Where the volume whose object key is the hash table's key lives. */
typedef struct VolObjectRef {
        char *pool;
        char *name;
} VolObjectRef;

static void vol_object_ref_free(gpointer p) {
        VolObjectRef *ref = p;

        g_free(ref->pool);
        g_free(ref->name);
        g_free(ref);
}

/* A volume's object key: its key (a path) hashed, as object paths take no '/'. */
static char *api_vol_object_key(const char *vol_key) {
        g_autofree char *sum = g_compute_checksum_for_string(G_CHECKSUM_SHA256, vol_key, -1);

        return g_strndup(sum, 32);
}

static int api_vol_object_keys(char ***ret_keys, void *userdata) {
        VkStoraged *sd = userdata;
        g_autofree gpointer *keys = NULL;
        guint n = 0;

        keys = g_hash_table_get_keys_as_array(sd->vol_objects, &n);
        *ret_keys = g_strdupv((char **) keys);
        return 0;
}

static int api_vol_object_get(const char *key, void *ret_props, void *userdata) {
        VkStoraged *sd = userdata;
        g_autoptr(VkStorageVolInfo) info = NULL;
        const VolObjectRef *ref = g_hash_table_lookup(sd->vol_objects, key);
        VolProps *p = ret_props;

        if (!ref || vk_storage_driver_vol_lookup(sd->driver, ref->pool, ref->name, NULL, NULL,
                                                 &info, NULL) < 0)
                return -ENOENT;
        *p = (VolProps){
                .name = g_strdup(info->name),
                .key = g_strdup(info->key),
                .path = g_strdup(info->path),
                .pool = g_strdup(info->pool),
                .capacity = info->capacity,
                .allocation = info->allocation,
                .format = g_strdup(vk_image_format_to_string(info->format)),
        };
        return 0;
}

static const VkObjectMethod pool_object_methods[] = {
        { "GetXML", "GetStoragePoolXML", "pool" },
        { "GetInfo", "GetStoragePoolInfo", "pool" },
        { "Build", "BuildStoragePool", "pool" },
        { "Create", "CreateStoragePool", "pool" },
        { "Destroy", "DestroyStoragePool", "pool" },
        { "Delete", "DeleteStoragePool", "pool" },
        { "Refresh", "RefreshStoragePool", "pool" },
        { "Undefine", "UndefineStoragePool", "pool" },
        { "SetAutostart", "SetStoragePoolAutostart", "pool" },
        { "ListVolumes", "ListVolumes", "pool" },
        { "CreateVolume", "CreateVolume", "pool" },
        {},
};

static const VkObjectInterface storage_objects[] = {
        {
                .bus_interface = "io.virtkit.Storage1.Pool",
                .path_prefix = "/io/virtkit/Storage1/pool",
                .methods = pool_object_methods,
                .properties = &pool_props_type,
                .list = api_pool_object_keys,
                .get = api_pool_object_get,
                .doc = "One storage pool: its state, figures and methods",
        },
        {
                .bus_interface = "io.virtkit.Storage1.Volume",
                .path_prefix = "/io/virtkit/Storage1/volume",
                .properties = &vol_props_type,
                .list = api_vol_object_keys,
                .get = api_vol_object_get,
                .doc = "One storage volume of an active pool (keyed by a hash of its key)",
        },
        {},
};

/*
 * Bring the volume objects of @pool (all pools: NULL) in line with the driver: new volumes
 * are added, gone ones removed, and, on D-Bus, each announced (InterfacesAdded, -Removed,
 * PropertiesChanged). With @volume only that volume of @pool is looked at.
 */
static void api_sync_volumes(VkStoraged *sd, const char *pool, const char *volume) {
        g_autoptr(GPtrArray) pools = NULL;
        g_autoptr(GPtrArray) gone = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(GHashTable) now = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        GHashTableIter it;
        gpointer k, v;

        if (vk_storage_driver_pool_list(sd->driver, NULL, &pools, NULL) < 0)
                return;
        for (guint i = 0; i < pools->len; i++) {
                const VkStoragePoolInfo *pi = pools->pdata[i];
                g_autoptr(GPtrArray) vols = NULL;

                if ((pool && strcmp(pool, pi->name) != 0) || !pi->active ||
                    vk_storage_driver_vol_list(sd->driver, pi->name, &vols, NULL) < 0)
                        continue;
                for (guint j = 0; j < vols->len; j++) {
                        const VkStorageVolInfo *vi = vols->pdata[j];
                        VolObjectRef *ref;
                        char *key;

                        if (volume && strcmp(volume, vi->name) != 0)
                                continue;
                        key = api_vol_object_key(vi->key);
                        ref = g_new0(VolObjectRef, 1);
                        ref->pool = g_strdup(vi->pool);
                        ref->name = g_strdup(vi->name);
                        g_hash_table_replace(sd->vol_objects, g_strdup(key), ref);
                        g_hash_table_add(now, key);
                }
        }
        g_hash_table_iter_init(&it, sd->vol_objects);
        while (g_hash_table_iter_next(&it, &k, &v)) {
                const VolObjectRef *ref = v;

                if ((pool && strcmp(ref->pool, pool) != 0) ||
                    (volume && strcmp(ref->name, volume) != 0) || g_hash_table_contains(now, k))
                        continue;
                g_ptr_array_add(gone, g_strdup(k));
        }
        /* gone objects are announced while their key still finds nothing, then forgotten */
        for (guint i = 0; i < gone->len; i++) {
                g_hash_table_remove(sd->vol_objects, gone->pdata[i]);
                if (sd->service)
                        (void) vk_service_update_object(sd->service, &storage_objects[1],
                                                        gone->pdata[i]);
        }
        g_hash_table_iter_init(&it, now);
        while (sd->service && g_hash_table_iter_next(&it, &k, NULL))
                (void) vk_service_update_object(sd->service, &storage_objects[1], k);
}

/* All volume objects from the driver (before the service exists, and at start). */
void vk_storaged_sync_objects(VkStoraged *sd) {
        api_sync_volumes(sd, NULL, NULL);
}

/* --- events --- */

static int api_subscribe_events(VkCall *call, void *params, void *userdata) {
        VkStoraged *sd = userdata;

        return vk_subscribers_add(sd->subscribers, call);
}

static void api_on_storage_event(VkStorageDriver *drv, const VkStorageEvent *ev, void *userdata) {
        VkStoraged *sd = userdata;
        VkStorageEventArgs args = {
                .pool = (char *) ev->pool,
                .uuid = (char *) ev->uuid,
                .event = (char *) vk_storage_event_type_to_string(ev->type),
                .volume = (char *) vk_strempty(ev->volume),
        };
        int r;

        vk_subscribers_send(sd->subscribers, &args);
        api_sync_volumes(sd, ev->pool, ev->volume);
        if (!sd->service)
                return;
        r = vk_service_emit_signal(sd->service, "StorageEvent", &args);
        if (r < 0)
                vk_log_debug("Failed to emit StorageEvent for pool '%s': %s", ev->pool,
                             g_strerror(-r));
        r = vk_service_update_object(sd->service, &storage_objects[0], ev->uuid);
        if (r < 0)
                vk_log_debug("Failed to announce the change of pool '%s' on D-Bus: %s", ev->pool,
                             g_strerror(-r));
}

/* --- the interface --- */

#define API_METHOD(name, handler, in, out, auth, flags, doc)                                       \
        { name, in, out, api_##handler, auth, flags, doc },

static const VkMethod storage_methods[] = {
        VK_STORAGE_METHODS(API_METHOD){},
};

static const VkMethod *const storage_method_tables[] = {
        vk_admin_methods,
        storage_methods,
        NULL,
};

const VkInterface vk_storage_interface = {
        VK_INTERFACE_NAMES("Storage", "storage"),
        .doc = "Storage pools and volumes.",
        .method_tables = storage_method_tables,
        .errors = vk_storage_errors,
        .signals = vk_storage_signals,
        .objects = storage_objects,
};

/* The loop ends: answer every call still waiting, while the service can (it goes first). */
static int storaged_on_exit(sd_event_source *s, void *userdata) {
        VkStoraged *sd = userdata;

        vk_subscribers_drop_all(sd->subscribers);
        vk_storage_driver_cancel_jobs(sd->driver);
        return 0;
}

/* The state every handler of vk_storage_interface gets: the storage driver for @cfg.
 * SIGCHLD gets blocked (sd-event watches qemu-img). */
int vk_storaged_new(sd_event *event, const VkStorageDriverConfig *cfg, VkStoraged **ret,
                    GPtrArray **ret_warnings, VkError *reterr) {
        g_autoptr(VkStoraged) sd = g_new0(VkStoraged, 1);
        sigset_t ss;
        int r;

        sigemptyset(&ss);
        sigaddset(&ss, SIGCHLD);
        if (sigprocmask(SIG_BLOCK, &ss, NULL) < 0)
                return vk_error_set_errno(reterr, -errno, "Failed to block SIGCHLD");

        sd->event = sd_event_ref(event);
        sd->subscribers = vk_subscribers_new(event);
        sd->vol_objects =
                g_hash_table_new_full(g_str_hash, g_str_equal, g_free, vol_object_ref_free);
        r = vk_storage_driver_new(cfg, &sd->driver, ret_warnings, reterr);
        if (r < 0)
                return r;
        r = sd_event_add_exit(event, &sd->exit_source, storaged_on_exit, sd);
        if (r < 0)
                return vk_error_set_errno(reterr, r, "Failed to add an exit source");
        vk_storage_driver_set_event_callback(sd->driver, api_on_storage_event, sd);
        vk_storage_driver_set_progress_callback(sd->driver, api_on_vol_progress, sd);
        *ret = g_steal_pointer(&sd);
        return 0;
}

/* Free the state and the driver; active pools stay active. Takes NULL. */
VkStoraged *vk_storaged_free(VkStoraged *sd) {
        if (!sd)
                return NULL;
        if (sd->subscribers)
                vk_subscribers_drop_all(sd->subscribers);
        sd->exit_source = sd_event_source_disable_unref(sd->exit_source);
        sd->service = NULL; /* cancelled jobs reply, but nothing is announced any more */
        vk_storage_driver_free(sd->driver);
        vk_subscribers_free(sd->subscribers);
        if (sd->vol_objects)
                g_hash_table_unref(sd->vol_objects);
        sd_event_unref(sd->event);
        g_free(sd);
        return NULL;
}
