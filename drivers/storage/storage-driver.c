/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* storage-driver.c: the storage driver's pools: definitions, state, lifecycle (vk_storage_driver_*)
 */
#include <assert.h>
#include <string.h>
#include <unistd.h>

#include "atomic-file.h"
#include "macro.h"
#include "objdir.h"
#include "storage-dir.h"
#include "storage-driver-internal.h"
#include "storage-pool-job.h"
#include "storage-status.h"
#include "storage-vol-luks.h"

static const char *const event_type_table[_VK_STORAGE_EVENT_MAX] = {
        [VK_STORAGE_EVENT_DEFINED] = "defined",
        [VK_STORAGE_EVENT_UNDEFINED] = "undefined",
        [VK_STORAGE_EVENT_STARTED] = "started",
        [VK_STORAGE_EVENT_STOPPED] = "stopped",
        [VK_STORAGE_EVENT_CREATED] = "created",
        [VK_STORAGE_EVENT_DELETED] = "deleted",
        [VK_STORAGE_EVENT_REFRESHED] = "refreshed",
        [VK_STORAGE_EVENT_VOLUME_CREATED] = "volume-created",
        [VK_STORAGE_EVENT_VOLUME_DELETED] = "volume-deleted",
        [VK_STORAGE_EVENT_VOLUME_CHANGED] = "volume-changed",
};

/* "defined", "volume-created", ...; NULL for anything else. */
const char *vk_storage_event_type_to_string(VkStorageEventType t) {
        if (t < 0 || t >= _VK_STORAGE_EVENT_MAX)
                return NULL;
        return event_type_table[t];
}

/* The inverse of vk_storage_event_type_to_string(); _VK_STORAGE_EVENT_INVALID if unknown. */
VkStorageEventType vk_storage_event_type_from_string(const char *s) {
        for (int i = 0; s && i < _VK_STORAGE_EVENT_MAX; i++)
                if (strcmp(s, event_type_table[i]) == 0)
                        return (VkStorageEventType) i;
        return _VK_STORAGE_EVENT_INVALID;
}

/* Free @info (takes NULL). */
void vk_storage_pool_info_free(VkStoragePoolInfo *info) {
        if (!info)
                return;
        g_free(info->name);
        g_free(info);
}

static const VkStoragePoolDef *obj_def(const PoolObj *o) {
        return o->live ? o->live : o->def;
}

static VkStoragePoolInfo *obj_info(const PoolObj *o) {
        VkStoragePoolInfo *info = g_new0(VkStoragePoolInfo, 1);
        const VkStoragePoolDef *def = obj_def(o);

        info->name = g_strdup(o->name);
        info->uuid = def->uuid;
        info->type = def->type;
        info->active = o->live != NULL;
        info->persistent = o->def != NULL;
        info->autostart = o->autostart;
        if (o->live) {
                info->capacity = o->live->capacity;
                info->allocation = o->live->allocation;
                info->available = o->live->available;
                info->n_volumes = o->vols ? o->vols->len : 0;
        }
        return info;
}

static void obj_free(PoolObj *o) {
        if (!o)
                return;
        g_free(o->name);
        vk_storage_pool_def_free(o->def);
        vk_storage_pool_def_free(o->live);
        if (o->vols)
                g_ptr_array_unref(o->vols);
        g_hash_table_unref(o->busy);
        if (o->thin_lvs)
                g_hash_table_unref(o->thin_lvs);
        g_free(o);
}

static PoolObj *driver_add(VkStorageDriver *drv, const char *name, const VkUuid *uuid) {
        PoolObj *o = g_new0(PoolObj, 1);

        o->name = g_strdup(name);
        vk_uuid_format(uuid, o->uuid);
        o->busy = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        g_hash_table_insert(drv->by_name, o->name, o);
        return o;
}

/* Tell the event callback about @o (and its volume @volume, or NULL). */
void storage_emit(VkStorageDriver *drv, const PoolObj *o, VkStorageEventType type,
                  const char *volume, bool gone) {
        VkStorageEvent ev = {
                .type = type, .pool = o->name, .uuid = o->uuid, .volume = volume, .gone = gone
        };

        if (drv->event_cb)
                drv->event_cb(drv, &ev, drv->event_userdata);
}

/* Unlink @o, tell (it is gone for lookups from the callback), free it. */
static void driver_remove(VkStorageDriver *drv, PoolObj *o, VkStorageEventType type) {
        g_hash_table_steal(drv->by_name, o->name);
        storage_emit(drv, o, type, NULL, true);
        obj_free(o);
}

/* Unlink and free the transient pool @o that is no longer active, telling @event (-1: tell
 * nothing: a transient pool that failed to start was never seen). */
void storage_pool_forget(VkStorageDriver *drv, PoolObj *o, int event) {
        if (event >= 0)
                driver_remove(drv, o, (VkStorageEventType) event);
        else
                g_hash_table_remove(drv->by_name, o->name);
}

static PoolObj *driver_find_uuid(VkStorageDriver *drv, const VkUuid *uuid) {
        GHashTableIter it;
        gpointer v;

        g_hash_table_iter_init(&it, drv->by_name);
        while (g_hash_table_iter_next(&it, NULL, &v))
                if (vk_uuid_equal(&obj_def(v)->uuid, uuid))
                        return v;
        return NULL;
}

/* The pool called @name, or else whose UUID is @name. */
int storage_pool_find(VkStorageDriver *drv, const char *name, PoolObj **ret, VkError *reterr) {
        PoolObj *o = name ? g_hash_table_lookup(drv->by_name, name) : NULL;
        VkUuid u;
        int r;

        if (!o && name && vk_uuid_parse(name, &u) >= 0)
                o = driver_find_uuid(drv, &u);
        if (!o) {
                r = vk_error_set(reterr, VK_STORAGE_ERROR_NO_SUCH_POOL, -ENOENT,
                                 "No storage pool named '%s' (nor with that UUID)",
                                 vk_strempty(name));
                vk_error_add_param(reterr, "pool", vk_strempty(name));
                return r;
        }
        *ret = o;
        return 0;
}

/* storage_pool_find(), and the pool must be active (OperationInvalid otherwise). */
int storage_pool_find_active(VkStorageDriver *drv, const char *name, PoolObj **ret,
                             VkError *reterr) {
        int r;

        r = storage_pool_find(drv, name, ret, reterr);
        if (r < 0)
                return r;
        if (!(*ret)->live)
                return vk_error_set(reterr, VK_ERROR_OPERATION_INVALID, -EINVAL,
                                    "Storage pool '%s' is not active", (*ret)->name);
        return 0;
}

static char *driver_def_path(VkStorageDriver *drv, const char *name) {
        return vk_objdir_path(drv->pools_dir, name, ".xml");
}

static char *driver_status_path(VkStorageDriver *drv, const char *name) {
        return vk_objdir_path(drv->run_dir, name, ".status");
}

int storage_pool_save_status(VkStorageDriver *drv, const PoolObj *o, VkError *reterr) {
        g_autofree char *path = driver_status_path(drv, o->name);
        g_autofree char *xml = vk_storage_pool_def_format(o->live);
        VkStoragePoolStatus st = { .xml = xml, .persistent = o->def != NULL };

        return vk_storage_pool_status_save(path, &st, reterr);
}

/* No build, start, stop, refresh or delete of @o runs (Busy, naming the pool, otherwise). */
int storage_pool_check_idle(const PoolObj *o, VkError *reterr) {
        if (o->job)
                return vk_error_set(reterr, VK_ERROR_BUSY, -EBUSY, "Storage pool '%s' is %s",
                                    o->name, o->job->use);
        return 0;
}

/*
 * Scan the active dir or fs pool @o again (its volumes and figures; an fs pool must still be
 * mounted). Volumes a job is creating are left out: their files are not complete yet, and the
 * job adds them when it ends. A logical pool is left as it is.
 */
int storage_pool_rescan(VkStorageDriver *drv, PoolObj *o, VkError *reterr) {
        g_autoptr(GPtrArray) vols = NULL;
        int r;

        assert(o->live);
        if (o->live->type == VK_STORAGE_POOL_LOGICAL)
                return 0; /* its reports come from LVM, in a job (storage-logical.c) */
        if (o->live->type == VK_STORAGE_POOL_FS) {
                r = storage_fs_check_mounted(o->live, reterr);
                if (r < 0)
                        return r;
        }
        r = vk_storage_dir_refresh(o->live, &vols, reterr);
        if (r < 0)
                return r;
        storage_luks_fill(drv, vols);
        storage_pool_set_vols(o, g_steal_pointer(&vols));
        return 0;
}

/* A scan's volumes @vols (taken) become @o's, less those a job is still creating. */
void storage_pool_set_vols(PoolObj *o, GPtrArray *vols) {
        for (guint i = vols->len; i > 0; i--) {
                const VkStorageVolDef *v = vols->pdata[i - 1];
                const char *use = g_hash_table_lookup(o->busy, v->name);

                if (use && strcmp(use, STORAGE_USE_CREATE) == 0)
                        g_ptr_array_remove_index(vols, i - 1);
        }
        if (o->vols)
                g_ptr_array_unref(o->vols);
        o->vols = vols;
}

/*
 * Parse @xml and fill the define-time defaults. A pool of the same name lends its UUID when
 * the new definition has none, so defining the same XML twice changes nothing.
 */
static int driver_parse(VkStorageDriver *drv, const char *xml, VkStoragePoolDef **ret,
                        VkError *reterr) {
        g_autoptr(VkStoragePoolDef) def = NULL;
        const PoolObj *same;
        int r;

        r = vk_storage_pool_def_parse_string(xml, &def, reterr);
        if (r < 0)
                return r;
        same = g_hash_table_lookup(drv->by_name, def->name);
        if (same && !def->has_uuid) {
                def->uuid = obj_def(same)->uuid;
                def->has_uuid = true;
        }
        r = vk_storage_pool_def_fill_defaults(def, NULL, reterr);
        if (r < 0)
                return r;
        /* figures are output only: a definition keeps none */
        def->has_capacity = def->has_allocation = def->has_available = false;
        *ret = g_steal_pointer(&def);
        return 0;
}

/* A new pool @def may not take another one's name with another UUID, its UUID, or its target. */
static int driver_check_new(VkStorageDriver *drv, const VkStoragePoolDef *def, PoolObj **ret_obj,
                            VkError *reterr) {
        PoolObj *o = g_hash_table_lookup(drv->by_name, def->name);
        PoolObj *other = driver_find_uuid(drv, &def->uuid);
        char buf[VK_UUID_STRING_MAX];
        GHashTableIter it;
        gpointer v;

        if (o && !vk_uuid_equal(&obj_def(o)->uuid, &def->uuid))
                return vk_error_set(reterr, VK_ERROR_OPERATION_INVALID, -EEXIST,
                                    "Storage pool '%s' already exists with UUID '%s'", def->name,
                                    o->uuid);
        if (other && other != o)
                return vk_error_set(reterr, VK_ERROR_OPERATION_INVALID, -EEXIST,
                                    "UUID '%s' is already used by storage pool '%s'",
                                    vk_uuid_format(&def->uuid, buf), other->name);
        g_hash_table_iter_init(&it, drv->by_name);
        while (g_hash_table_iter_next(&it, NULL, &v)) {
                const PoolObj *p = v;
                const VkStoragePoolDef *pd = obj_def(p);

                if (p != o && def->target_path && pd->target_path &&
                    strcmp(def->target_path, pd->target_path) == 0)
                        return vk_error_set(reterr, VK_ERROR_OPERATION_INVALID, -EEXIST,
                                            "/pool/target/path: '%s' is already the target of "
                                            "storage pool '%s'",
                                            def->target_path, p->name);
        }
        if (!o && g_hash_table_size(drv->by_name) >= VK_STORAGE_DRIVER_MAX_POOLS)
                return vk_error_set(reterr, VK_ERROR_LIMIT_EXCEEDED, -ENOSPC,
                                    "Cannot define storage pool '%s': there are already %d pools",
                                    def->name, VK_STORAGE_DRIVER_MAX_POOLS);
        *ret_obj = o;
        return 0;
}

static int driver_save_def(VkStorageDriver *drv, const VkStoragePoolDef *def, VkError *reterr) {
        g_autofree char *path = driver_def_path(drv, def->name);
        g_autofree char *xml = vk_storage_pool_def_format(def);

        return vk_atomic_file_write(path, xml, strlen(xml), 0600, reterr);
}

/* What the loaders of vk_objdir_scan() get. */
typedef struct DriverLoad {
        VkStorageDriver *drv;
        GPtrArray *warnings;
} DriverLoad;

/* Load storage/<name>.xml (and its autostart link); problems are warnings. */
static void driver_load_def(const char *name, const char *path, void *userdata) {
        VkStorageDriver *drv = ((DriverLoad *) userdata)->drv;
        GPtrArray *warnings = ((DriverLoad *) userdata)->warnings;
        g_autofree char *link = NULL;
        g_autoptr(VkStoragePoolDef) def = NULL;
        VkError e = VK_ERROR_INIT;
        PoolObj *o;

        if (vk_storage_pool_def_parse_file(path, &def, &e) < 0) {
                g_ptr_array_add(warnings, g_strdup_printf("%s: %s", path, e.message));
                vk_error_done(&e);
                return;
        }
        if (strcmp(def->name, name) != 0 || !def->has_uuid) {
                g_ptr_array_add(warnings, g_strdup_printf("%s: the file of storage pool '%s' "
                                                          "must be named '%s.xml' and have a "
                                                          "UUID; not loaded",
                                                          path, def->name, def->name));
                return;
        }
        if (driver_find_uuid(drv, &def->uuid) ||
            g_hash_table_size(drv->by_name) >= VK_STORAGE_DRIVER_MAX_POOLS) {
                g_ptr_array_add(warnings, g_strdup_printf("%s: UUID in use or too many pools; "
                                                          "not loaded",
                                                          path));
                return;
        }
        o = driver_add(drv, name, &def->uuid);
        o->def = g_steal_pointer(&def);
        link = vk_objdir_path(drv->autostart_dir, name, ".xml");
        o->autostart = g_file_test(link, G_FILE_TEST_EXISTS);
}

/*
 * Take over a pool an earlier instance left active (run/<name>.status): it is active again
 * when its target is still there (a dir pool holds no resources of its own to adopt), an fs
 * pool's filesystem still mounted on it. A logical pool is refreshed by a job.
 */
static void driver_load_status(const char *name, const char *path, void *userdata) {
        VkStorageDriver *drv = ((DriverLoad *) userdata)->drv;
        GPtrArray *warnings = ((DriverLoad *) userdata)->warnings;
        g_autoptr(VkStoragePoolStatus) st = NULL;
        g_autoptr(VkStoragePoolDef) live = NULL;
        VkError e = VK_ERROR_INIT;
        PoolObj *o;

        if (vk_storage_pool_status_load(path, &st, &e) < 0 ||
            vk_storage_pool_def_parse_string(st->xml, &live, &e) < 0) {
                g_ptr_array_add(warnings, g_strdup_printf("%s: %s; removed", path, e.message));
                vk_error_done(&e);
                (void) vk_file_remove(path);
                return;
        }
        o = g_hash_table_lookup(drv->by_name, name);
        if ((o && !vk_uuid_equal(&obj_def(o)->uuid, &live->uuid)) || strcmp(live->name, name) ||
            (!o && (!live->has_uuid || driver_find_uuid(drv, &live->uuid)))) {
                g_ptr_array_add(warnings,
                                g_strdup_printf("%s: does not match the pool's definition; "
                                                "removed",
                                                path));
                (void) vk_file_remove(path);
                return;
        }
        if (!o)
                o = driver_add(drv, name, &live->uuid);
        o->live = g_steal_pointer(&live);
        if (storage_pool_rescan(drv, o, &e) < 0) {
                g_ptr_array_add(warnings,
                                g_strdup_printf("storage pool '%s' is no longer active: %s", name,
                                                e.message));
                vk_error_done(&e);
                (void) vk_file_remove(path);
                o->live = vk_storage_pool_def_free(o->live);
                if (!o->def)
                        driver_remove(drv, o, VK_STORAGE_EVENT_STOPPED);
        } else if (o->live->type == VK_STORAGE_POOL_LOGICAL &&
                   storage_logical_refresh(drv, o, NULL, NULL, &e) < 0) {
                g_ptr_array_add(warnings,
                                g_strdup_printf("storage pool '%s': %s", name, e.message));
                vk_error_done(&e);
        }
}

/* The first start of an instance (no storage/ yet): the `default` dir pool at @target, built
 * and marked to autostart (like libvirt's installers do). */
static void driver_define_default(VkStorageDriver *drv, const char *target, GPtrArray *warnings) {
        g_autofree char *xml = NULL;
        g_autofree char *esc = g_markup_escape_text(target, -1);
        VkError e = VK_ERROR_INIT;

        xml = g_strdup_printf("<pool type='dir'>\n  <name>default</name>\n  <target>\n"
                              "    <path>%s</path>\n  </target>\n</pool>\n",
                              esc);
        if (vk_storage_driver_pool_define(drv, xml, NULL, &e) < 0 ||
            vk_storage_driver_pool_build(drv, "default", 0, NULL, NULL, &e) < 0 ||
            vk_storage_driver_pool_set_autostart(drv, "default", true, &e) < 0)
                g_ptr_array_add(warnings,
                                g_strdup_printf("the default storage pool: %s", e.message));
        vk_error_done(&e);
}

/*
 * Load the pool definitions of cfg->config_dir/storage and take over the pools the status
 * files of cfg->run_dir say are active. Problems with single files are added to
 * *@ret_warnings (the caller logs them), never fatal. On the first start (no storage/ yet)
 * the `default` dir pool is defined when cfg->default_target is set.
 */
int vk_storage_driver_new(const VkStorageDriverConfig *cfg, VkStorageDriver **ret_drv,
                          GPtrArray **ret_warnings, VkError *reterr) {
        g_autoptr(VkStorageDriver) drv = g_new0(VkStorageDriver, 1);
        g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
        bool first;
        int r;

        assert(cfg && cfg->event && cfg->config_dir && cfg->run_dir);
        drv->event = sd_event_ref(cfg->event);
        drv->by_name =
                g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify) obj_free);
        drv->jobs = g_ptr_array_new();
        drv->pool_jobs = g_ptr_array_new();
        drv->pools_dir = g_build_filename(cfg->config_dir, "storage", NULL);
        drv->autostart_dir = g_build_filename(drv->pools_dir, "autostart", NULL);
        drv->run_dir = g_strdup(cfg->run_dir);
        drv->qemu_img = g_strdup(cfg->qemu_img ? cfg->qemu_img : "/usr/bin/qemu-img");
        drv->secret_socket = g_strdup(cfg->secret_socket);
        drv->tools = (VkStorageTools){
                .qemu_img = drv->qemu_img,
                .mount = "/usr/bin/mount",
                .umount = "/usr/bin/umount",
                .mkfs_dir = "/usr/sbin",
                .lvm = "/usr/sbin/lvm",
        };

        first = !g_file_test(drv->pools_dir, G_FILE_TEST_IS_DIR);
        r = vk_mkdir_p(drv->autostart_dir, 0755);
        if (r >= 0)
                r = vk_mkdir_p(drv->run_dir, 0755);
        if (r < 0)
                return vk_error_set_errno(reterr, r, "Failed to create '%s' or '%s'",
                                          drv->autostart_dir, drv->run_dir);
        vk_objdir_scan(drv->pools_dir, ".xml", driver_load_def,
                       &(DriverLoad){ .drv = drv, .warnings = warnings });
        vk_objdir_scan(drv->run_dir, ".status", driver_load_status,
                       &(DriverLoad){ .drv = drv, .warnings = warnings });
        if (first && cfg->default_target && g_hash_table_size(drv->by_name) == 0)
                driver_define_default(drv, cfg->default_target, warnings);

        *ret_drv = g_steal_pointer(&drv);
        *ret_warnings = g_steal_pointer(&warnings);
        return 0;
}

/*
 * Free the driver. Active pools stay active (their status files stay); running volume jobs
 * are cancelled: qemu-img is killed, a half-made volume removed, and each job's callback
 * called with an error. Takes NULL.
 */
VkStorageDriver *vk_storage_driver_free(VkStorageDriver *drv) {
        if (!drv)
                return NULL;
        if (drv->jobs) {
                drv->event_cb = NULL; /* no events from a driver going away */
                vk_storage_driver_cancel_jobs(drv);
                g_ptr_array_unref(drv->jobs);
                g_ptr_array_unref(drv->pool_jobs);
        }
        if (drv->by_name)
                g_hash_table_unref(drv->by_name);
        g_free(drv->pools_dir);
        g_free(drv->autostart_dir);
        g_free(drv->run_dir);
        g_free(drv->qemu_img);
        g_free(drv->secret_socket);
        storage_luks_done(drv);
        sd_event_unref(drv->event);
        g_free(drv);
        return NULL;
}

/* Who hears about changes (one callback; NULL: nobody). */
void vk_storage_driver_set_event_callback(VkStorageDriver *drv, VkStorageEventFunc cb,
                                          void *userdata) {
        drv->event_cb = cb;
        drv->event_userdata = userdata;
}

/* How many pools the driver holds (defined or active). */
unsigned vk_storage_driver_count(const VkStorageDriver *drv) {
        return g_hash_table_size(drv->by_name);
}

/* Volume and pool jobs running now (a daemon with jobs is busy: it must not exit when idle). */
unsigned vk_storage_driver_jobs(const VkStorageDriver *drv) {
        return drv->jobs->len + drv->pool_jobs->len;
}

/*
 * Start every inactive pool marked autostart, once per boot: <run>/autostarted (the run dir
 * is a tmpfs) marks it done, so a daemon started again on demand does not start pools
 * destroyed since. Failures are added to @warnings; pools that start with children (fs,
 * logical) tell @done (may be NULL) when they are started, or failed.
 */
void vk_storage_driver_autostart(VkStorageDriver *drv, GPtrArray *warnings,
                                 VkStoragePoolDoneFunc done, void *userdata) {
        g_autofree gpointer *names = NULL;
        guint n = 0;

        if (!vk_objdir_autostart_once(drv->run_dir, warnings))
                return;
        names = g_hash_table_get_keys_as_array(drv->by_name, &n);
        for (guint i = 0; i < n; i++) {
                PoolObj *o = g_hash_table_lookup(drv->by_name, names[i]);
                VkError e = VK_ERROR_INIT;

                if (!o || !o->autostart || o->live)
                        continue;
                if (vk_storage_driver_pool_create(drv, o->name, false, done, userdata, &e) < 0)
                        g_ptr_array_add(warnings, g_strdup_printf("autostart of storage pool "
                                                                  "'%s': %s",
                                                                  o->name, e.message));
                vk_error_done(&e);
        }
}

/*
 * Define a pool from libvirt's pool XML, or redefine the one of that name and UUID (an active
 * pool keeps its live definition until it is restarted). Returns 1 (new) or 0 (redefined)
 * with *@ret_info (may be NULL).
 */
int vk_storage_driver_pool_define(VkStorageDriver *drv, const char *xml,
                                  VkStoragePoolInfo **ret_info, VkError *reterr) {
        g_autoptr(VkStoragePoolDef) def = NULL;
        PoolObj *o;
        bool is_new;
        int r;

        assert(xml);
        r = driver_parse(drv, xml, &def, reterr);
        if (r < 0)
                return r;
        r = driver_check_new(drv, def, &o, reterr);
        if (r < 0)
                return r;
        r = driver_save_def(drv, def, reterr);
        if (r < 0)
                return r;
        is_new = !o;
        if (!o)
                o = driver_add(drv, def->name, &def->uuid);
        vk_storage_pool_def_free(o->def);
        o->def = g_steal_pointer(&def);
        if (o->live)
                (void) storage_pool_save_status(drv, o, NULL); /* persistent now */
        if (ret_info)
                *ret_info = obj_info(o);
        storage_emit(drv, o, VK_STORAGE_EVENT_DEFINED, NULL, false);
        return is_new ? 1 : 0;
}

static int driver_check_no_jobs(const PoolObj *o, VkError *reterr) {
        int r = storage_pool_check_idle(o, reterr);

        if (r < 0)
                return r;
        if (o->n_jobs > 0)
                return vk_error_set(reterr, VK_ERROR_BUSY, -EBUSY,
                                    "Storage pool '%s' has %u volume job(s) running", o->name,
                                    o->n_jobs);
        return 0;
}

/* Forget the definition of @pool; an active pool goes on, transient. */
int vk_storage_driver_pool_undefine(VkStorageDriver *drv, const char *pool, VkError *reterr) {
        g_autofree char *path = NULL;
        PoolObj *o;
        int r;

        r = storage_pool_find(drv, pool, &o, reterr);
        if (r >= 0)
                r = storage_pool_check_idle(o, reterr);
        if (r < 0)
                return r;
        if (!o->def)
                return vk_error_set(reterr, VK_ERROR_OPERATION_INVALID, -EINVAL,
                                    "Storage pool '%s' is transient: there is no definition to "
                                    "remove (destroy it)",
                                    o->name);
        path = driver_def_path(drv, o->name);
        (void) vk_objdir_set_autostart(drv->autostart_dir, o->name, false, NULL);
        r = vk_file_remove(path);
        if (r < 0 && r != -ENOENT)
                return vk_error_set_errno(reterr, r, "Failed to remove '%s'", path);
        if (!o->live) {
                driver_remove(drv, o, VK_STORAGE_EVENT_UNDEFINED);
                return 0;
        }
        o->def = vk_storage_pool_def_free(o->def);
        o->autostart = false;
        (void) storage_pool_save_status(drv, o, NULL);
        storage_emit(drv, o, VK_STORAGE_EVENT_UNDEFINED, NULL, false);
        return 0;
}

/* The inactive pool @pool, with no job running, to @verb ("build", "delete"). */
static int driver_find_inactive(VkStorageDriver *drv, const char *pool, const char *verb,
                                PoolObj **ret, VkError *reterr) {
        int r;

        r = storage_pool_find(drv, pool, ret, reterr);
        if (r >= 0)
                r = storage_pool_check_idle(*ret, reterr);
        if (r < 0)
                return r;
        if ((*ret)->live)
                return vk_error_set(reterr, VK_ERROR_OPERATION_INVALID, -EBUSY,
                                    "Storage pool '%s' is active: %s it while inactive (destroy "
                                    "it first)",
                                    (*ret)->name, verb);
        return 0;
}

/*
 * Build the inactive pool @pool: a dir pool's target directory with its permissions; an fs
 * pool's too, and mkfs on its device; a logical pool's volume group (VkStoragePoolBuildFlags).
 */
int vk_storage_driver_pool_build(VkStorageDriver *drv, const char *pool, unsigned flags,
                                 VkStoragePoolDoneFunc done, void *userdata, VkError *reterr) {
        PoolObj *o;
        int r;

        r = driver_find_inactive(drv, pool, "build", &o, reterr);
        if (r < 0)
                return r;
        if (o->def->type == VK_STORAGE_POOL_FS)
                return storage_fs_build(drv, o, flags, done, userdata, reterr);
        if (o->def->type == VK_STORAGE_POOL_LOGICAL)
                return storage_logical_build(drv, o, flags, done, userdata, reterr);
        r = vk_storage_dir_build(o->def, reterr);
        if (r < 0)
                return r;
        storage_emit(drv, o, VK_STORAGE_EVENT_CREATED, NULL, false);
        return 0;
}

/* Activate @o with @def (copied): check (or build) the target, scan it, record the status.
 * fs and logical pools start in a job (returns 1). */
static int driver_start(VkStorageDriver *drv, PoolObj *o, const VkStoragePoolDef *def, bool build,
                        VkStoragePoolDoneFunc done, void *userdata, VkError *reterr) {
        g_autoptr(VkStoragePoolDef) live = NULL;
        int r;

        if (def->type == VK_STORAGE_POOL_FS)
                return storage_fs_start(drv, o, def, build, done, userdata, reterr);
        if (def->type == VK_STORAGE_POOL_LOGICAL)
                return storage_logical_start(drv, o, def, build, done, userdata, reterr);
        if (build) {
                r = vk_storage_dir_build(def, reterr);
                if (r < 0)
                        return r;
        }
        r = vk_storage_dir_check(def, reterr);
        if (r < 0)
                return r;
        r = vk_storage_pool_def_copy(def, &live, reterr);
        if (r < 0)
                return r;
        o->live = g_steal_pointer(&live);
        r = storage_pool_rescan(drv, o, reterr);
        if (r >= 0)
                r = storage_pool_save_status(drv, o, reterr);
        if (r < 0) {
                o->live = vk_storage_pool_def_free(o->live);
                if (o->vols)
                        g_clear_pointer(&o->vols, g_ptr_array_unref);
                return r;
        }
        return 0;
}

/* Start the defined pool @pool (with @build, build it first). */
int vk_storage_driver_pool_create(VkStorageDriver *drv, const char *pool, bool build,
                                  VkStoragePoolDoneFunc done, void *userdata, VkError *reterr) {
        PoolObj *o;
        int r;

        r = storage_pool_find(drv, pool, &o, reterr);
        if (r >= 0)
                r = storage_pool_check_idle(o, reterr);
        if (r < 0)
                return r;
        if (o->live)
                return vk_error_set(reterr, VK_ERROR_OPERATION_INVALID, -EBUSY,
                                    "Storage pool '%s' is already active", o->name);
        r = driver_start(drv, o, o->def, build, done, userdata, reterr);
        if (r != 0)
                return r;
        storage_emit(drv, o, VK_STORAGE_EVENT_STARTED, NULL, false);
        return 0;
}

/* Start a transient pool from @xml; it is gone when destroyed (or when its start fails). */
int vk_storage_driver_pool_create_xml(VkStorageDriver *drv, const char *xml, bool build,
                                      VkStoragePoolInfo **ret_info, VkStoragePoolDoneFunc done,
                                      void *userdata, VkError *reterr) {
        g_autoptr(VkStoragePoolDef) def = NULL;
        PoolObj *o;
        int r;

        assert(xml);
        r = driver_parse(drv, xml, &def, reterr);
        if (r < 0)
                return r;
        r = driver_check_new(drv, def, &o, reterr);
        if (r < 0)
                return r;
        if (o)
                return vk_error_set(reterr, VK_ERROR_OPERATION_INVALID, -EEXIST,
                                    "Storage pool '%s' already exists: start it, or give the "
                                    "transient pool another name",
                                    def->name);
        o = driver_add(drv, def->name, &def->uuid);
        r = driver_start(drv, o, def, build, done, userdata, reterr);
        if (r < 0) {
                g_hash_table_remove(drv->by_name, o->name);
                return r;
        }
        if (ret_info)
                *ret_info = obj_info(o);
        if (r == 0)
                storage_emit(drv, o, VK_STORAGE_EVENT_STARTED, NULL, false);
        return r;
}

/* Forget that @o is active: its status file, live definition and volumes. */
int storage_pool_deactivate(VkStorageDriver *drv, PoolObj *o, VkError *reterr) {
        g_autofree char *status = driver_status_path(drv, o->name);
        int r;

        r = vk_file_remove(status);
        if (r < 0 && r != -ENOENT)
                return vk_error_set_errno(reterr, r, "Failed to remove '%s'", status);
        o->live = vk_storage_pool_def_free(o->live);
        g_clear_pointer(&o->vols, g_ptr_array_unref);
        return 0;
}

/*
 * Stop @pool: its volumes are no longer listed (the files stay); an fs pool is unmounted, a
 * logical pool's volumes deactivated (in a job: returns 1); a transient pool is gone.
 */
int vk_storage_driver_pool_destroy(VkStorageDriver *drv, const char *pool,
                                   VkStoragePoolDoneFunc done, void *userdata, VkError *reterr) {
        PoolObj *o;
        int r;

        r = storage_pool_find_active(drv, pool, &o, reterr);
        if (r >= 0)
                r = driver_check_no_jobs(o, reterr);
        if (r >= 0 && o->live->type == VK_STORAGE_POOL_FS)
                r = storage_fs_stop(drv, o, done, userdata, reterr);
        else if (r >= 0 && o->live->type == VK_STORAGE_POOL_LOGICAL)
                r = storage_logical_stop(drv, o, done, userdata, reterr);
        if (r != 0)
                return r;
        r = storage_pool_deactivate(drv, o, reterr);
        if (r < 0)
                return r;
        if (!o->def)
                driver_remove(drv, o, VK_STORAGE_EVENT_STOPPED);
        else
                storage_emit(drv, o, VK_STORAGE_EVENT_STOPPED, NULL, false);
        return 0;
}

/* Delete the inactive pool @pool's storage: a dir or fs pool's (empty) target directory, a
 * logical pool's volume group (in a job: returns 1). */
int vk_storage_driver_pool_delete(VkStorageDriver *drv, const char *pool,
                                  VkStoragePoolDoneFunc done, void *userdata, VkError *reterr) {
        PoolObj *o;
        int r;

        r = driver_find_inactive(drv, pool, "delete", &o, reterr);
        if (r < 0)
                return r;
        if (o->def->type == VK_STORAGE_POOL_LOGICAL)
                return storage_logical_delete(drv, o, done, userdata, reterr);
        r = vk_storage_dir_delete(o->def, reterr);
        if (r < 0)
                return r;
        storage_emit(drv, o, VK_STORAGE_EVENT_DELETED, NULL, false);
        return 0;
}

/* Scan the active pool @pool again: its volumes and its figures (a logical pool's from LVM's
 * reports, in a job: returns 1). */
int vk_storage_driver_pool_refresh(VkStorageDriver *drv, const char *pool,
                                   VkStoragePoolDoneFunc done, void *userdata, VkError *reterr) {
        PoolObj *o;
        int r;

        r = storage_pool_find_active(drv, pool, &o, reterr);
        if (r >= 0)
                r = storage_pool_check_idle(o, reterr);
        if (r < 0)
                return r;
        if (o->live->type == VK_STORAGE_POOL_LOGICAL)
                return storage_logical_refresh(drv, o, done, userdata, reterr);
        r = storage_pool_rescan(drv, o, reterr);
        if (r < 0)
                return r;
        storage_emit(drv, o, VK_STORAGE_EVENT_REFRESHED, NULL, false);
        return 0;
}

/* The live definition of @pool with its figures (or with @inactive, the persistent one). */
int vk_storage_driver_pool_get_xml(VkStorageDriver *drv, const char *pool, bool inactive,
                                   char **ret_xml, VkError *reterr) {
        PoolObj *o;
        int r;

        r = storage_pool_find(drv, pool, &o, reterr);
        if (r < 0)
                return r;
        *ret_xml = vk_storage_pool_def_format(inactive && o->def ? o->def : obj_def(o));
        return 0;
}

/* The pool called @name, or else with @uuid. */
int vk_storage_driver_pool_lookup(VkStorageDriver *drv, const char *name, const char *uuid,
                                  VkStoragePoolInfo **ret_info, VkError *reterr) {
        PoolObj *o = NULL;
        VkUuid u;
        int r;

        if (name) {
                r = storage_pool_find(drv, name, &o, reterr);
                if (r < 0)
                        return r;
        } else {
                if (vk_isempty(uuid) || vk_uuid_parse(uuid, &u) < 0)
                        return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                            "uuid: '%s' is not a UUID", vk_strempty(uuid));
                o = driver_find_uuid(drv, &u);
                if (!o) {
                        r = vk_error_set(reterr, VK_STORAGE_ERROR_NO_SUCH_POOL, -ENOENT,
                                         "No storage pool with UUID '%s'", uuid);
                        vk_error_add_param(reterr, "pool", uuid);
                        return r;
                }
        }
        *ret_info = obj_info(o);
        return 0;
}

static gint info_cmp(gconstpointer a, gconstpointer b) {
        return strcmp((*(VkStoragePoolInfo *const *) a)->name,
                      (*(VkStoragePoolInfo *const *) b)->name);
}

/* The pools matching @filter (NULL: all), sorted by name. */
int vk_storage_driver_pool_list(VkStorageDriver *drv, const VkStoragePoolFilter *filter,
                                GPtrArray **ret_infos, VkError *reterr) {
        g_autoptr(GPtrArray) infos =
                g_ptr_array_new_with_free_func((GDestroyNotify) vk_storage_pool_info_free);
        GHashTableIter it;
        gpointer v;

        g_hash_table_iter_init(&it, drv->by_name);
        while (g_hash_table_iter_next(&it, NULL, &v)) {
                const PoolObj *o = v;

                if (filter && (!vk_tristate_matches(filter->active, o->live != NULL) ||
                               !vk_tristate_matches(filter->persistent, o->def != NULL) ||
                               !vk_tristate_matches(filter->autostart, o->autostart) ||
                               (filter->type >= 0 && (int) obj_def(o)->type != filter->type)))
                        continue;
                g_ptr_array_add(infos, obj_info(o));
        }
        g_ptr_array_sort(infos, info_cmp);
        *ret_infos = g_steal_pointer(&infos);
        return 0;
}

/* Mark @pool to start with the daemon (a link in storage/autostart/), or not. */
int vk_storage_driver_pool_set_autostart(VkStorageDriver *drv, const char *pool, bool autostart,
                                         VkError *reterr) {
        PoolObj *o;
        int r;

        r = storage_pool_find(drv, pool, &o, reterr);
        if (r < 0)
                return r;
        if (!o->def)
                return vk_error_set(reterr, VK_ERROR_OPERATION_INVALID, -EINVAL,
                                    "Storage pool '%s' is transient: it cannot autostart", o->name);
        r = vk_objdir_set_autostart(drv->autostart_dir, o->name, autostart, reterr);
        if (r < 0)
                return r;
        o->autostart = autostart;
        return 0;
}
