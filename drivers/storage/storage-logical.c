/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* storage-logical.c: logical pools: an LVM volume group, its logical volumes as volumes */
#include <assert.h>
#include <string.h>

#include "macro.h"
#include "storage-lvm-report.h"
#include "storage-pool-job.h"

/*
 * A logical pool is a volume group: build is pvcreate on each device then vgcreate, start is
 * vgchange -aly, stop vgchange -aln, delete vgremove then pvremove. Its figures and volumes
 * come from `lvm vgs` and `lvm lvs` JSON reports, run after every change. A volume is a
 * logical volume (lvcreate, lvremove): LVM rounds its capacity up to whole extents (4 MiB by
 * default), and the volume reports the capacity LVM gave it. A volume with a backing store
 * is a snapshot of another volume of the group: of a thin volume a thin snapshot, of a
 * thick one a classic snapshot whose copy-on-write space is the capacity asked.
 */

#define LOGICAL_USE_DELETE "being deleted"

/* Add `lvm vgs` and `lvm lvs` to @j; their outputs are at @j's indexes *ret_first and +1. */
static void logical_add_reports(StoragePoolJob *j, const VkStoragePoolDef *def, guint *ret_first) {
        *ret_first = j->cmds->len;
        storage_pool_job_add(j, vk_storage_lvm_vgs_argv(&j->drv->tools, def), NULL);
        storage_pool_job_add(j, vk_storage_lvm_lvs_argv(&j->drv->tools, def), NULL);
}

/* The two reports of a job are its last two commands: the figures go into @def, the volumes
 * (and which are thin) into the pool. */
static int logical_apply_reports(StoragePoolJob *j, VkStoragePoolDef *def, VkError *reterr) {
        g_autoptr(GPtrArray) vols = NULL;
        g_autoptr(GHashTable) thin = NULL;
        guint n = j->cmds->len;
        PoolObj *o = j->pool;
        int r;

        r = vk_storage_lvm_parse_vgs(storage_pool_job_output(j, n - 2), def, reterr);
        if (r < 0)
                return r;
        r = vk_storage_lvm_parse_lvs(storage_pool_job_output(j, n - 1), def, &vols, &thin, reterr);
        if (r < 0)
                return r;
        storage_pool_set_vols(o, g_steal_pointer(&vols));
        if (o->thin_lvs)
                g_hash_table_unref(o->thin_lvs);
        o->thin_lvs = g_steal_pointer(&thin);
        return 0;
}

/* Each device exists, is a block device, and (without overwrite) holds nothing yet. */
static int logical_check_devices(const VkStoragePoolDef *def, unsigned flags, VkError *reterr) {
        int r;

        for (char **d = def->devices; d && *d; d++) {
                r = storage_device_check(def, *d, false, NULL, reterr);
                if (r >= 0)
                        r = storage_device_check_blank(def, *d, flags, reterr);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Add pvcreate (undone by pvremove) for each device, and vgcreate (undone by vgremove). */
static int logical_add_build(StoragePoolJob *j, const VkStoragePoolDef *def, unsigned flags,
                             VkError *reterr) {
        g_autoptr(GPtrArray) cmds = NULL, undo = NULL;
        int r;

        r = vk_storage_lvm_build_argv(
                &j->drv->tools, def, (flags & VK_STORAGE_POOL_BUILD_OVERWRITE) != 0, &cmds, reterr);
        if (r >= 0)
                r = logical_check_devices(def, flags, reterr);
        if (r < 0)
                return r;
        /* delete's commands are vgremove then one pvremove per device, in the build's order */
        undo = vk_storage_lvm_delete_argv(&j->drv->tools, def);
        g_ptr_array_set_free_func(cmds, NULL);
        g_ptr_array_set_free_func(undo, NULL);
        for (guint i = 0; i + 1 < cmds->len; i++)
                storage_pool_job_add(j, cmds->pdata[i], undo->pdata[i + 1]);
        storage_pool_job_add(j, cmds->pdata[cmds->len - 1], undo->pdata[0]);
        return 0;
}

/* Build the inactive logical pool @o: its volume group on its devices. */
int storage_logical_build(VkStorageDriver *drv, PoolObj *o, unsigned flags,
                          VkStoragePoolDoneFunc done, void *userdata, VkError *reterr) {
        g_autoptr(StoragePoolJob) j = storage_pool_job_new(drv, o, "being built");
        int r;

        r = logical_add_build(j, o->def, flags, reterr);
        if (r < 0)
                return r;
        j->event = VK_STORAGE_EVENT_CREATED;
        return storage_pool_job_start(g_steal_pointer(&j), done, userdata, reterr);
}

static int logical_start_finish(StoragePoolJob *j, VkError *reterr) {
        PoolObj *o = j->pool;
        int r;

        r = logical_apply_reports(j, j->live, reterr);
        if (r < 0)
                return r;
        o->live = g_steal_pointer(&j->live);
        r = storage_pool_save_status(j->drv, o, reterr);
        if (r < 0) {
                j->live = g_steal_pointer(&o->live);
                g_clear_pointer(&o->vols, g_ptr_array_unref);
        }
        return r;
}

/* Start the logical pool @o with @def (copied): activate its volumes (with @build, make the
 * group first), then read its reports. A failed start deactivates (and unbuilds) again. */
int storage_logical_start(VkStorageDriver *drv, PoolObj *o, const VkStoragePoolDef *def, bool build,
                          VkStoragePoolDoneFunc done, void *userdata, VkError *reterr) {
        g_autoptr(StoragePoolJob) j = storage_pool_job_new(drv, o, "being started");
        guint first;
        int r;

        if (build) {
                r = logical_add_build(j, def, 0, reterr);
                if (r < 0)
                        return r;
        }
        r = vk_storage_pool_def_copy(def, &j->live, reterr);
        if (r < 0)
                return r;
        storage_pool_job_add(j, vk_storage_lvm_activate_argv(&drv->tools, def, true),
                             vk_storage_lvm_activate_argv(&drv->tools, def, false));
        logical_add_reports(j, def, &first);
        j->finish = logical_start_finish;
        j->event = VK_STORAGE_EVENT_STARTED;
        return storage_pool_job_start(g_steal_pointer(&j), done, userdata, reterr);
}

static int logical_stop_finish(StoragePoolJob *j, VkError *reterr) {
        return storage_pool_deactivate(j->drv, j->pool, reterr);
}

/* Stop the active logical pool @o: deactivate its volumes (fails while one is open). */
int storage_logical_stop(VkStorageDriver *drv, PoolObj *o, VkStoragePoolDoneFunc done,
                         void *userdata, VkError *reterr) {
        g_autoptr(StoragePoolJob) j = storage_pool_job_new(drv, o, "being stopped");

        storage_pool_job_add(j, vk_storage_lvm_activate_argv(&drv->tools, o->live, false), NULL);
        j->finish = logical_stop_finish;
        j->event = VK_STORAGE_EVENT_STOPPED;
        return storage_pool_job_start(g_steal_pointer(&j), done, userdata, reterr);
}

/* Delete the inactive logical pool @o: remove its volume group (and every volume in it),
 * then the PV labels of its devices. */
int storage_logical_delete(VkStorageDriver *drv, PoolObj *o, VkStoragePoolDoneFunc done,
                           void *userdata, VkError *reterr) {
        g_autoptr(StoragePoolJob) j = storage_pool_job_new(drv, o, "being deleted");
        g_autoptr(GPtrArray) cmds = vk_storage_lvm_delete_argv(&drv->tools, o->def);

        g_ptr_array_set_free_func(cmds, NULL);
        for (guint i = 0; i < cmds->len; i++)
                storage_pool_job_add(j, cmds->pdata[i], NULL);
        j->event = VK_STORAGE_EVENT_DELETED;
        return storage_pool_job_start(g_steal_pointer(&j), done, userdata, reterr);
}

static int logical_refresh_finish(StoragePoolJob *j, VkError *reterr) {
        PoolObj *o = j->pool;
        int r;

        if (!o->live) /* stopped meanwhile: cannot happen while the job holds the pool */
                return 0;
        r = logical_apply_reports(j, o->live, reterr);
        if (r >= 0)
                r = storage_pool_save_status(j->drv, o, reterr);
        return r;
}

/* Read the active logical pool @o's reports again. */
int storage_logical_refresh(VkStorageDriver *drv, PoolObj *o, VkStoragePoolDoneFunc done,
                            void *userdata, VkError *reterr) {
        g_autoptr(StoragePoolJob) j = storage_pool_job_new(drv, o, "being refreshed");
        guint first;

        logical_add_reports(j, o->live, &first);
        j->finish = logical_refresh_finish;
        j->event = VK_STORAGE_EVENT_REFRESHED;
        return storage_pool_job_start(g_steal_pointer(&j), done, userdata, reterr);
}

/* --- volumes --- */

typedef struct LogicalVolDone {
        VkStorageVolDoneFunc done;
        void *userdata;
        char *name;
} LogicalVolDone;

static int logical_vol_finish(StoragePoolJob *j, VkError *reterr) {
        PoolObj *o = j->pool;
        int r;

        r = logical_apply_reports(j, o->live, reterr);
        if (r >= 0)
                r = storage_pool_save_status(j->drv, o, reterr);
        return r;
}

/* The create job ended: the new volume as the report shows it (capacity in whole extents). */
static void logical_vol_created(VkStorageDriver *drv, const char *pool, const VkError *error,
                                void *userdata) {
        LogicalVolDone *d = userdata;
        g_autoptr(VkStorageVolInfo) info = NULL;
        VkError e = VK_ERROR_INIT;
        PoolObj *o;

        if (!error && storage_pool_find(drv, pool, &o, &e) >= 0) {
                const VkStorageVolDef *v = storage_pool_vol(o, d->name);

                if (v)
                        info = storage_vol_info(o, v);
                else
                        (void) vk_error_set(&e, VK_ERROR_OPERATION_FAILED, -ENOENT,
                                            "Storage volume '%s' is not in the report of pool "
                                            "'%s' after lvcreate",
                                            d->name, pool);
        }
        if (!error && !info)
                error = &e;
        if (d->done)
                d->done(drv, info, error, d->userdata);
        vk_error_done(&e);
        g_free(d->name);
        g_free(d);
}

/*
 * Create the logical volume @vol (parsed) in the active logical pool @o: lvcreate, then the
 * reports. As vk_storage_driver_vol_create(): @done is called from the loop with the volume.
 */
int storage_logical_vol_create(VkStorageDriver *drv, PoolObj *o, VkStorageVolDef *vol,
                               VkStorageVolDoneFunc done, void *userdata, VkError *reterr) {
        g_autoptr(StoragePoolJob) j = NULL;
        g_autofree char *origin = NULL;
        LogicalVolDone *d;
        char **argv = NULL;
        guint first;
        int r;

        r = vk_storage_vol_def_fill_defaults(vol, o->live, reterr);
        if (r >= 0)
                r = vk_storage_vol_def_check_new(vol, o->live, reterr);
        if (r < 0)
                return r;
        if (vol->backing_path) {
                origin = g_path_get_basename(vol->backing_path);
                if (!storage_pool_vol(o, origin))
                        return vk_error_set(reterr, VK_ERROR_INVALID_XML, -ENOENT,
                                            "/volume/backingStore/path: pool '%s' has no volume "
                                            "'%s'",
                                            o->name, origin);
        }
        r = vk_storage_lvm_lvcreate_argv(
                &drv->tools, o->live, vol,
                origin && o->thin_lvs && g_hash_table_contains(o->thin_lvs, origin), &argv, reterr);
        if (r < 0)
                return r;
        j = storage_pool_job_new(drv, o, STORAGE_USE_CREATE);
        j->volume = g_strdup(vol->name);
        storage_pool_job_add(j, argv, NULL);
        logical_add_reports(j, o->live, &first);
        j->finish = logical_vol_finish;
        j->event = VK_STORAGE_EVENT_VOLUME_CREATED;
        d = g_new0(LogicalVolDone, 1);
        d->done = done;
        d->userdata = userdata;
        d->name = g_strdup(vol->name);
        r = storage_pool_job_start(g_steal_pointer(&j), logical_vol_created, d, reterr);
        if (r < 0) {
                g_free(d->name);
                g_free(d);
        }
        return r;
}

/* Remove the logical volume @vol of the active logical pool @o: lvremove, then the reports. */
int storage_logical_vol_delete(VkStorageDriver *drv, PoolObj *o, const VkStorageVolDef *vol,
                               VkStoragePoolDoneFunc done, void *userdata, VkError *reterr) {
        g_autoptr(StoragePoolJob) j = storage_pool_job_new(drv, o, LOGICAL_USE_DELETE);
        guint first;

        j->volume = g_strdup(vol->name);
        storage_pool_job_add(j, vk_storage_lvm_lvremove_argv(&drv->tools, o->live, vol), NULL);
        logical_add_reports(j, o->live, &first);
        j->finish = logical_vol_finish;
        j->event = VK_STORAGE_EVENT_VOLUME_DELETED;
        return storage_pool_job_start(g_steal_pointer(&j), done, userdata, reterr);
}
