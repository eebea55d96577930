/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* storage-driver-vol.c: the storage driver's volumes: lookups, and qemu-img jobs on the loop */
#include <assert.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic-file.h"
#include "macro.h"
#include "storage-argv.h"
#include "storage-dir.h"
#include "image-probe.h"
#include "storage-pool-job.h"
#include "storage-qcow2.h"
#include "storage-vol-job.h"
#include "storage-vol-luks.h"

/* Free @info (takes NULL). */
void vk_storage_vol_info_free(VkStorageVolInfo *info) {
        if (!info)
                return;
        g_free(info->pool);
        g_free(info->name);
        g_free(info->key);
        g_free(info->path);
        g_free(info->backing_path);
        g_free(info->warning);
        g_free(info->secret);
        g_free(info);
}

VkStorageVolInfo *storage_vol_info(const PoolObj *o, const VkStorageVolDef *v) {
        VkStorageVolInfo *info = g_new0(VkStorageVolInfo, 1);

        info->pool = g_strdup(o->name);
        info->name = g_strdup(v->name);
        info->key = g_strdup(v->key);
        info->path = g_strdup(v->path);
        info->type = v->type;
        info->format = v->format;
        info->capacity = v->capacity;
        info->allocation = v->allocation;
        info->backing_path = g_strdup(v->backing_path);
        info->warning = g_strdup(v->warning);
        info->encrypted = v->encryption.present;
        if (v->encryption.present && !vk_uuid_is_null(&v->encryption.secret_uuid)) {
                info->secret = g_malloc(VK_UUID_STRING_MAX);
                vk_uuid_format(&v->encryption.secret_uuid, info->secret);
        }
        return info;
}

/* Where volume @name of @o's last scan is, or would go: a binary search, the scan is sorted
 * by name (and stays so: creates and deletes update it in place). *@ret_found says which. */
static guint pool_vol_index(const PoolObj *o, const char *name, bool *ret_found) {
        guint lo = 0, hi = o->vols ? o->vols->len : 0;

        while (lo < hi) {
                guint mid = lo + (hi - lo) / 2;
                const VkStorageVolDef *v = o->vols->pdata[mid];
                int c = strcmp(v->name, name);

                if (c == 0) {
                        *ret_found = true;
                        return mid;
                }
                if (c < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        *ret_found = false;
        return lo;
}

/* The volume @name of @o's last scan (so D-Bus objects of many volumes are cheap to look up). */
VkStorageVolDef *storage_pool_vol(const PoolObj *o, const char *name) {
        bool found;
        guint i = pool_vol_index(o, name, &found);

        return found ? o->vols->pdata[i] : NULL;
}

/*
 * A job changed (or made) volume @name of the active dir or fs pool @o: look at that one file
 * again and put what it is in @o's volumes, in its sorted place (or take it out, when it is no
 * volume any more), and the pool's figures from one statvfs(); the other volumes stay as the
 * last scan saw them. A logical pool is left as it is (its reports come from LVM).
 */
int storage_pool_update_vol(VkStorageDriver *drv, PoolObj *o, const char *name, VkError *reterr) {
        VkStorageVolDef *vol = NULL;
        bool found;
        guint i;
        int r;

        assert(o->live);
        if (o->live->type == VK_STORAGE_POOL_LOGICAL)
                return 0;
        if (!o->vols)
                return storage_pool_rescan(drv, o, reterr);
        if (o->live->type == VK_STORAGE_POOL_FS) {
                r = storage_fs_check_mounted(o->live, reterr);
                if (r < 0)
                        return r;
        }
        /* the figures first: a failure leaves the volumes as they were */
        r = vk_storage_dir_statvfs(o->live, reterr);
        if (r >= 0)
                r = vk_storage_dir_probe(o->live, name, &vol, reterr);
        if (r < 0)
                return r;
        if (r > 0)
                storage_luks_fill_one(drv, vol);
        i = pool_vol_index(o, name, &found);
        if (r == 0 && found)
                g_ptr_array_remove_index(o->vols, i);
        else if (r > 0 && found) {
                vk_storage_vol_def_free(o->vols->pdata[i]);
                o->vols->pdata[i] = vol;
        } else if (r > 0 && o->vols->len >= VK_STORAGE_POOL_VOLUMES_MAX) {
                vk_storage_vol_def_free(vol);
                return vk_error_set(reterr, VK_ERROR_LIMIT_EXCEEDED, -E2BIG,
                                    "pool '%s' holds more than %d volumes", o->name,
                                    VK_STORAGE_POOL_VOLUMES_MAX);
        } else if (r > 0)
                g_ptr_array_insert(o->vols, (gint) i, vol);
        return 0;
}

static int no_such_volume(const char *pool, const char *what, const char *value, VkError *reterr) {
        int r;

        if (pool)
                r = vk_error_set(reterr, VK_STORAGE_ERROR_NO_SUCH_VOLUME, -ENOENT,
                                 "Storage pool '%s' has no volume %s '%s'", pool, what, value);
        else
                r = vk_error_set(reterr, VK_STORAGE_ERROR_NO_SUCH_VOLUME, -ENOENT,
                                 "No storage volume with %s '%s' in an active pool", what, value);
        vk_error_add_param(reterr, "volume", value);
        return r;
}

/* The volume @name of the active pool @pool; with @check_busy, no job may hold it (nor the
 * pool). */
int storage_vol_find(VkStorageDriver *drv, const char *pool, const char *name, bool check_busy,
                     PoolObj **ret_pool, VkStorageVolDef **ret_vol, VkError *reterr) {
        const char *use;
        VkStorageVolDef *v;
        PoolObj *o;
        int r;

        r = storage_pool_find_active(drv, pool, &o, reterr);
        if (r >= 0 && check_busy)
                r = storage_pool_check_idle(o, reterr);
        if (r < 0)
                return r;
        if (vk_isempty(name))
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "volume: a volume name is needed");
        use = g_hash_table_lookup(o->busy, name);
        if (check_busy && use)
                return vk_error_set(reterr, VK_ERROR_BUSY, -EBUSY,
                                    "Storage volume '%s' of pool '%s' is %s", name, o->name, use);
        v = storage_pool_vol(o, name);
        if (!v)
                return no_such_volume(o->name, "named", name, reterr);
        *ret_pool = o;
        *ret_vol = v;
        return 0;
}

/* --- create --- */

/*
 * Check and complete @vol's backing store: an absolute path that exists (not a volume being
 * created), its format probed when not given; a missing capacity becomes the backing's.
 */
static int vol_check_backing(VkStorageDriver *drv, VkStorageVolDef *vol, VkError *reterr) {
        g_auto(VkImageProbe) probe = {};
        vk_autofd fd = -1;
        GHashTableIter it;
        gpointer v;
        struct stat st;
        int r;

        if (!vol->backing_path || vk_image_backing_is_remote(vol->backing_path))
                return 0;
        if (!g_path_is_absolute(vol->backing_path))
                return vk_error_set(reterr, VK_ERROR_INVALID_XML, -EINVAL,
                                    "/volume/backingStore/path: '%s' is not an absolute path",
                                    vol->backing_path);
        g_hash_table_iter_init(&it, drv->by_name);
        while (g_hash_table_iter_next(&it, NULL, &v)) {
                const PoolObj *o = v;
                g_autofree char *dir = g_path_get_dirname(vol->backing_path);
                g_autofree char *base = g_path_get_basename(vol->backing_path);
                const char *use;

                if (!o->live || strcmp(o->live->target_path, dir) != 0)
                        continue;
                use = g_hash_table_lookup(o->busy, base);
                if (use && strcmp(use, STORAGE_USE_CREATE) == 0)
                        return vk_error_set(reterr, VK_ERROR_BUSY, -EBUSY,
                                            "/volume/backingStore/path: '%s' is %s",
                                            vol->backing_path, use);
        }
        fd = open(vol->backing_path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        if (fd < 0 && errno == ENOENT)
                return vk_error_set(reterr, VK_ERROR_INVALID_XML, -ENOENT,
                                    "/volume/backingStore/path: '%s' does not exist",
                                    vol->backing_path);
        if (fd < 0 || fstat(fd, &st) < 0)
                return vk_error_set_errno(reterr, errno, "Failed to open the backing store '%s'",
                                          vol->backing_path);
        if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
                return vk_error_set(reterr, VK_ERROR_INVALID_XML, -EINVAL,
                                    "/volume/backingStore/path: '%s' is not a file or a block "
                                    "device",
                                    vol->backing_path);
        r = vk_image_probe_fd(fd, S_ISREG(st.st_mode) ? (uint64_t) st.st_size : 0, &probe);
        if (r < 0)
                return vk_error_set_errno(reterr, r, "Failed to read the backing store '%s'",
                                          vol->backing_path);
        if (!vol->has_backing_format) {
                vol->has_backing_format = true;
                vol->backing_format = probe.format;
        }
        if (!vol->has_capacity && probe.has_capacity) {
                vol->has_capacity = true;
                vol->capacity = probe.capacity;
        }
        return 0;
}

/*
 * Make the new volume's file, exclusively (a file of that name, scanned or not, is an
 * error), with its mode and owner: qemu-img then writes its image into it, or we do, through
 * *@ret_fd (NULL: the file is closed).
 */
static int vol_make_file(PoolObj *o, const VkStorageVolDef *vol, int *ret_fd, VkError *reterr) {
        const VkStoragePerms *p = &vol->perms;
        vk_autofd fd = -1;

        fd = open(vol->path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                  p->has_mode ? p->mode : VK_STORAGE_VOL_FILE_MODE);
        if (fd < 0 && errno == EEXIST)
                return vk_error_set(reterr, VK_ERROR_OPERATION_INVALID, -EEXIST,
                                    "Storage volume '%s' already exists in pool '%s' ('%s')",
                                    vol->name, o->name, vol->path);
        if (fd < 0)
                return vk_error_set_errno(reterr, errno, "Failed to create '%s'", vol->path);
        if (((p->has_owner || p->has_group) && fchown(fd, p->has_owner ? p->owner : (uid_t) -1,
                                                      p->has_group ? p->group : (gid_t) -1) < 0) ||
            (p->has_mode && fchmod(fd, p->mode) < 0)) {
                int r = vk_error_set_errno(reterr, errno, "Failed to set the owner or mode of '%s'",
                                           vol->path);

                (void) unlink(vol->path);
                return r;
        }
        if (ret_fd)
                *ret_fd = vk_steal_fd(&fd);
        return 0;
}

/* @o runs no pool job and has no volume named like @vol (nor one being made). */
static int vol_check_new_name(PoolObj *o, const VkStorageVolDef *vol, VkError *reterr) {
        const char *use;
        int r;

        r = storage_pool_check_idle(o, reterr);
        if (r < 0)
                return r;
        use = g_hash_table_lookup(o->busy, vol->name);
        if (use || storage_pool_vol(o, vol->name))
                return vk_error_set(reterr, VK_ERROR_OPERATION_INVALID, -EEXIST,
                                    "Storage volume '%s' already exists in pool '%s'%s%s",
                                    vol->name, o->name, use ? " and is " : "", use ? use : "");
        return 0;
}

/* The checks every new volume file @vol of @o passes before anything is made. */
static int vol_check_new(VkStorageDriver *drv, PoolObj *o, VkStorageVolDef *vol, VkError *reterr) {
        int r;

        if (o->live->type == VK_STORAGE_POOL_LOGICAL)
                return vk_error_set(reterr, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                    "Storage pool '%s' is a logical pool: cloning into it is not "
                                    "supported yet (create the volume, then copy with "
                                    "vol-upload)",
                                    o->name);
        r = vol_check_new_name(o, vol, reterr);
        if (r < 0)
                return r;
        r = storage_luks_check(drv, vol, reterr);
        if (r >= 0)
                r = vk_storage_vol_def_fill_defaults(vol, o->live, reterr);
        if (r >= 0)
                r = vk_storage_dir_statvfs(o->live, reterr);
        if (r >= 0)
                r = vk_storage_vol_def_check_new(vol, o->live, reterr);
        return r;
}

/* The programs volume jobs run (children get no PATH). */
VkStorageTools storage_driver_tools(VkStorageDriver *drv) {
        return (VkStorageTools){ .qemu_img = drv->qemu_img, .dd = STORAGE_DD };
}

/*
 * Create a volume in the active pool @pool from libvirt's volume XML: qemu-img create runs as
 * a child, or, for an empty qcow2 image of the common kind, the image is written here (the
 * same bytes, without a fork and exec). Returns 0 once it runs, with @done called from the
 * loop when it ends; or < 0 with @reterr (@done is never called then). Until it ends the
 * volume is held: no other job, delete or resize touches it, and a refresh does not list it.
 * A failed create leaves no file behind.
 */
int vk_storage_driver_vol_create(VkStorageDriver *drv, const char *pool, const char *xml,
                                 VkStorageVolDoneFunc done, void *userdata, VkError *reterr) {
        g_autoptr(VkStorageVolDef) vol = NULL;
        g_auto(GStrv) argv = NULL;
        VkStorageTools tools = storage_driver_tools(drv);
        vk_autofd fd = -1;
        bool inline_write = false;
        StorageJob *j;
        PoolObj *o;
        int r;

        assert(xml);
        r = storage_pool_find_active(drv, pool, &o, reterr);
        if (r >= 0)
                r = storage_job_check_limit(drv, reterr);
        if (r >= 0)
                r = vk_storage_vol_def_parse_string(xml, &vol, reterr);
        if (r >= 0 && o->live->type == VK_STORAGE_POOL_LOGICAL) {
                r = vol_check_new_name(o, vol, reterr);
                return r < 0 ? r : storage_logical_vol_create(drv, o, vol, done, userdata, reterr);
        }
        if (r >= 0)
                r = vol_check_backing(drv, vol, reterr);
        if (r >= 0)
                r = vol_check_new(drv, o, vol, reterr);
        if (r >= 0)
                r = vk_storage_qemu_img_create_argv(&tools, vol, storage_luks_secret_path(vol),
                                                    &argv, reterr);
        if (r >= 0) {
                inline_write = vk_storage_qcow2_can_write(vol);
                r = vol_make_file(o, vol, inline_write ? &fd : NULL, reterr);
        }
        if (r >= 0 && inline_write) {
                r = vk_storage_qcow2_create(fd, vol, reterr);
                if (r < 0)
                        (void) unlink(vol->path);
        }
        if (r < 0)
                return r;
        j = storage_job_new(drv, STORAGE_JOB_CREATE, o, vol->name, done, userdata);
        j->remove_path = g_strdup(vol->path);
        storage_job_hold(o, vol->name, STORAGE_USE_CREATE);
        if (inline_write)
                return storage_job_finish_later(j, reterr);
        if (vol->encryption.present)
                return storage_luks_job_start(j, argv, vol, /* remember= */ true, reterr);
        return storage_job_start(j, argv, reterr);
}

/*
 * Create a volume in @pool as a full copy of volume @source of @source_pool (NULL: @pool):
 * qemu-img convert, as a child. The new volume's format defaults to the source's, its
 * capacity is the source's, and it is sparse unless <allocation> says otherwise; its backing
 * chain is flattened. Both volumes are held until it ends. As vk_storage_driver_vol_create().
 */
int vk_storage_driver_vol_create_from(VkStorageDriver *drv, const char *pool, const char *xml,
                                      const char *source_pool, const char *source,
                                      VkStorageVolDoneFunc done, void *userdata, VkError *reterr) {
        g_autoptr(VkStorageVolDef) vol = NULL;
        g_auto(GStrv) argv = NULL;
        VkStorageTools tools = storage_driver_tools(drv);
        VkStorageVolDef *src;
        PoolObj *o, *so;
        StorageJob *j;
        int r;

        assert(xml);
        /* a source is held by one job at a time: a second clone waits for the first */
        r = storage_pool_find_active(drv, pool, &o, reterr);
        if (r >= 0)
                r = storage_job_check_limit(drv, reterr);
        if (r >= 0)
                r = storage_vol_find(drv, source_pool ? source_pool : pool, source, true, &so, &src,
                                     reterr);
        if (r >= 0)
                r = vk_storage_vol_def_parse_string(xml, &vol, reterr);
        if (r < 0)
                return r;
        if (!vol->has_format) {
                vol->has_format = true;
                vol->format = src->format;
        }
        if (vol->has_capacity && vol->capacity != src->capacity)
                return vk_error_set(reterr, VK_ERROR_INVALID_XML, -EINVAL,
                                    "/volume/capacity: a clone has the capacity of its source "
                                    "'%s' (%" G_GUINT64_FORMAT " bytes): resize it afterwards",
                                    src->name, src->capacity);
        vol->has_capacity = true;
        vol->capacity = src->capacity;
        if (!vol->has_allocation) {
                vol->has_allocation = true;
                vol->allocation = 0;
        }
        r = vol_check_new(drv, o, vol, reterr);
        if (r >= 0)
                r = vk_storage_qemu_img_convert_argv(&tools, src, vol,
                                                     storage_luks_secret_path(vol), &argv, reterr);
        if (r >= 0)
                r = vol_make_file(o, vol, NULL, reterr);
        if (r < 0)
                return r;
        j = storage_job_new(drv, STORAGE_JOB_CLONE, o, vol->name, done, userdata);
        j->parser = STORAGE_PROGRESS_QEMU_IMG;
        j->total = src->capacity;
        j->remove_path = g_strdup(vol->path);
        j->source_pool = so;
        j->source = g_strdup(source);
        storage_job_hold(o, vol->name, STORAGE_USE_CREATE);
        storage_job_hold(so, source, STORAGE_USE_READ);
        if (vol->encryption.present)
                return storage_luks_job_start(j, argv, vol, /* remember= */ true, reterr);
        return storage_job_start(j, argv, reterr);
}

/*
 * Change the capacity of volume @name of @pool to @capacity bytes (VkStorageResizeFlags:
 * shrinking must be asked for): qemu-img resize, as a child. As vk_storage_driver_vol_create().
 */
int vk_storage_driver_vol_resize(VkStorageDriver *drv, const char *pool, const char *name,
                                 uint64_t capacity, unsigned flags, VkStorageVolDoneFunc done,
                                 void *userdata, VkError *reterr) {
        g_auto(GStrv) argv = NULL;
        VkStorageTools tools = storage_driver_tools(drv);
        VkStorageVolDef *v;
        StorageJob *j;
        PoolObj *o;
        int r;

        r = storage_job_check_limit(drv, reterr);
        if (r >= 0)
                r = storage_vol_find(drv, pool, name, true, &o, &v, reterr);
        if (r < 0)
                return r;
        if (v->warning)
                return vk_error_set(reterr, VK_ERROR_OPERATION_INVALID, -EINVAL,
                                    "Storage volume '%s' cannot be resized: %s", name, v->warning);
        if (o->live->type == VK_STORAGE_POOL_LOGICAL)
                return vk_error_set(reterr, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                    "Storage volume '%s' is a logical volume: resizing it is not "
                                    "supported yet",
                                    name);
        r = storage_luks_check(drv, v, reterr);
        if (r >= 0)
                r = vk_storage_qemu_img_resize_argv(&tools, v, capacity, flags,
                                                    storage_luks_secret_path(v), &argv, reterr);
        if (r < 0)
                return r;
        j = storage_job_new(drv, STORAGE_JOB_RESIZE, o, name, done, userdata);
        storage_job_hold(o, name, STORAGE_USE_RESIZE);
        if (v->encryption.present)
                return storage_luks_job_start(j, argv, v, /* remember= */ false, reterr);
        return storage_job_start(j, argv, reterr);
}

/*
 * Delete volume @name of @pool (its file), unless a job holds it or a process has it open (a
 * running domain: VolumeInUse, naming it). Returns 0, or 1 when a child runs (a logical
 * volume's lvremove): @done is called from the loop when it ends.
 */
int vk_storage_driver_vol_delete(VkStorageDriver *drv, const char *pool, const char *name,
                                 VkStoragePoolDoneFunc done, void *userdata, VkError *reterr) {
        g_autofree char *vol_name = NULL;
        VkStorageVolDef *v;
        PoolObj *o;
        int r;

        r = storage_vol_find(drv, pool, name, true, &o, &v, reterr);
        if (r >= 0)
                r = storage_vol_check_unused(o, v, "delete", reterr);
        if (r < 0)
                return r;
        if (o->live->type == VK_STORAGE_POOL_LOGICAL)
                return storage_logical_vol_delete(drv, o, v, done, userdata, reterr);
        if (unlink(v->path) < 0 && errno != ENOENT)
                return vk_error_set_errno(reterr, errno, "Failed to remove '%s'", v->path);
        if (v->encryption.present)
                storage_luks_forget(drv, v);
        vol_name = g_strdup(v->name);
        g_ptr_array_remove(o->vols, v);
        (void) vk_storage_dir_statvfs(o->live, NULL);
        storage_emit(drv, o, VK_STORAGE_EVENT_VOLUME_DELETED, vol_name, false);
        return 0;
}

/* --- queries --- */

/*
 * A volume of an active pool: by @pool and @name, or else by @key, or else by @path (as
 * given, or with "." and ".." resolved lexically).
 */
int vk_storage_driver_vol_lookup(VkStorageDriver *drv, const char *pool, const char *name,
                                 const char *key, const char *path, VkStorageVolInfo **ret_info,
                                 VkError *reterr) {
        g_autofree char *canon = NULL;
        GHashTableIter it;
        gpointer p;
        VkStorageVolDef *v;
        PoolObj *o;
        int r;

        if (name) {
                r = storage_vol_find(drv, pool, name, false, &o, &v, reterr);
                if (r < 0)
                        return r;
                *ret_info = storage_vol_info(o, v);
                return 0;
        }
        if (vk_isempty(key) && vk_isempty(path))
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "name: give a pool and a name, a key or a path");
        if (path && g_path_is_absolute(path))
                canon = g_canonicalize_filename(path, "/");
        g_hash_table_iter_init(&it, drv->by_name);
        while (g_hash_table_iter_next(&it, NULL, &p)) {
                o = p;
                for (guint i = 0; o->vols && i < o->vols->len; i++) {
                        v = o->vols->pdata[i];
                        if ((key && strcmp(v->key, key) == 0) ||
                            (!key && path &&
                             (strcmp(v->path, path) == 0 ||
                              (canon && strcmp(v->path, canon) == 0)))) {
                                *ret_info = storage_vol_info(o, v);
                                return 0;
                        }
                }
        }
        return no_such_volume(NULL, key ? "key" : "path", key ? key : path, reterr);
}

/* Volume @name of @pool as libvirt's volume XML, as the last scan saw it. */
int vk_storage_driver_vol_get_xml(VkStorageDriver *drv, const char *pool, const char *name,
                                  char **ret_xml, VkError *reterr) {
        VkStorageVolDef *v;
        PoolObj *o;
        int r;

        r = storage_vol_find(drv, pool, name, false, &o, &v, reterr);
        if (r < 0)
                return r;
        *ret_xml = vk_storage_vol_def_format(v);
        return 0;
}

/* The volumes of the active pool @pool, sorted by name, as the last scan saw them. */
int vk_storage_driver_vol_list(VkStorageDriver *drv, const char *pool, GPtrArray **ret_infos,
                               VkError *reterr) {
        g_autoptr(GPtrArray) infos =
                g_ptr_array_new_with_free_func((GDestroyNotify) vk_storage_vol_info_free);
        PoolObj *o;
        int r;

        r = storage_pool_find_active(drv, pool, &o, reterr);
        if (r < 0)
                return r;
        for (guint i = 0; o->vols && i < o->vols->len; i++)
                g_ptr_array_add(infos, storage_vol_info(o, o->vols->pdata[i]));
        *ret_infos = g_steal_pointer(&infos);
        return 0;
}
