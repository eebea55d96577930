/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* storage-fs.c: fs pools: a filesystem on a device, made by mkfs and mounted on the target */
#include <assert.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "atomic-file.h"
#include "macro.h"
#include "storage-dir.h"
#include "storage-fs.h"
#include "storage-pool-job.h"
#include "storage-signature.h"

/*
 * An fs pool is a dir pool over a mount: build makes the target directory and runs mkfs for
 * the format asked, start mounts the device there (nodev,nosuid,noexec; a file gets a loop
 * device), refresh scans the mounted directory like a dir pool, stop unmounts. Whether the
 * pool is active is what /proc/self/mountinfo says: a restarted daemon finds the mount and
 * takes the pool over; a pool whose filesystem someone unmounted is no longer active.
 */

#define MOUNTINFO "/proc/self/mountinfo"

void vk_storage_mount_done(VkStorageMount *m) {
        g_clear_pointer(&m->source, g_free);
        g_clear_pointer(&m->fstype, g_free);
}

/* mountinfo escapes space, tab, newline and backslash as \ooo */
static char *mountinfo_unescape(const char *s) {
        GString *out = g_string_new(NULL);

        for (const char *p = s; *p; p++) {
                if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' && p[2] <= '7' &&
                    p[3] >= '0' && p[3] <= '7') {
                        g_string_append_c(
                                out, (char) ((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0')));
                        p += 3;
                } else
                        g_string_append_c(out, *p);
        }
        return g_string_free(out, FALSE);
}

/*
 * Find what is mounted on @path in the text of a mountinfo file (proc(5)):
 *
 *   36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
 *
 * The last line for @path wins (it is the mount on top). Returns 1 with *@ret filled, 0 when
 * nothing is mounted there, -EBADMSG for a line that does not parse.
 */
int vk_storage_mountinfo_find(const char *mountinfo, const char *path, VkStorageMount *ret) {
        g_auto(GStrv) lines = NULL;
        g_auto(VkStorageMount) found = {};
        bool any = false;

        assert(mountinfo && path && ret);
        lines = g_strsplit(mountinfo, "\n", -1);
        for (char **l = lines; *l; l++) {
                g_auto(GStrv) f = NULL;
                g_autofree char *mnt = NULL;
                unsigned major, minor;
                guint n, sep;

                if (!**l)
                        continue;
                f = g_strsplit(*l, " ", -1);
                n = g_strv_length(f);
                for (sep = 6; sep < n && strcmp(f[sep], "-") != 0; sep++)
                        ;
                if (n < 5 || sep + 2 >= n || sscanf(f[2], "%u:%u", &major, &minor) != 2)
                        return -EBADMSG;
                mnt = mountinfo_unescape(f[4]);
                if (strcmp(mnt, path) != 0)
                        continue;
                vk_storage_mount_done(&found);
                found.major = major;
                found.minor = minor;
                found.fstype = g_strdup(f[sep + 1]);
                found.source = mountinfo_unescape(f[sep + 2]);
                any = true;
        }
        if (!any)
                return 0;
        *ret = found;
        found = (VkStorageMount){};
        return 1;
}

/*
 * What is mounted on @path (resolved to its real path first, as mountinfo shows real paths):
 * 1 with *@ret, 0 for nothing (or @path does not exist), < 0 with @reterr.
 */
int vk_storage_fs_mounted(const char *path, VkStorageMount *ret, VkError *reterr) {
        g_autofree char *text = NULL, *real = NULL;
        int r;

        assert(path && ret);
        real = realpath(path, NULL);
        if (!real)
                return errno == ENOENT || errno == ENOTDIR
                               ? 0
                               : vk_error_set_errno(reterr, errno, "Failed to resolve '%s'", path);
        r = vk_file_read_all(MOUNTINFO, 16 * 1024 * 1024, &text, NULL, reterr);
        if (r < 0)
                return r;
        r = vk_storage_mountinfo_find(text, real, ret);
        if (r < 0)
                return vk_error_set(reterr, VK_ERROR_SYSTEM, r, "Failed to parse %s", MOUNTINFO);
        return r;
}

/*
 * The device @path of pool @pool exists and is a block device (or, with @allow_file, a
 * regular file: an image mounted through a loop device). *@ret_st gets its stat.
 */
int storage_device_check(const VkStoragePoolDef *pool, const char *path, bool allow_file,
                         struct stat *ret_st, VkError *reterr) {
        struct stat st;

        if (stat(path, &st) < 0) {
                if (errno == ENOENT)
                        return vk_error_set(reterr, VK_ERROR_OPERATION_INVALID, -ENOENT,
                                            "/pool/source/device/@path: storage pool '%s': "
                                            "device '%s' does not exist",
                                            pool->name, path);
                return vk_error_set_errno(reterr, errno, "Failed to stat '%s'", path);
        }
        if (!S_ISBLK(st.st_mode) && !(allow_file && S_ISREG(st.st_mode)))
                return vk_error_set(reterr, VK_ERROR_OPERATION_INVALID, -ENOTBLK,
                                    "/pool/source/device/@path: storage pool '%s': '%s' is not "
                                    "a block device%s",
                                    pool->name, path, allow_file ? " or an image file" : "");
        if (ret_st)
                *ret_st = st;
        return 0;
}

/*
 * Without VK_STORAGE_POOL_BUILD_OVERWRITE, refuse a device that holds a filesystem, a PV,
 * LUKS or a partition table: mke2fs and pvcreate would not ask.
 */
int storage_device_check_blank(const VkStoragePoolDef *pool, const char *path, unsigned flags,
                               VkError *reterr) {
        const char *what = NULL;
        int r;

        if (flags & VK_STORAGE_POOL_BUILD_OVERWRITE)
                return 0;
        r = vk_storage_signature_path(path, &what, reterr);
        if (r <= 0)
                return r;
        return vk_error_set(reterr, VK_ERROR_OPERATION_INVALID, -EEXIST,
                            "Storage pool '%s': device '%s' already holds %s: build with "
                            "overwrite (pool-build --overwrite) to replace it",
                            pool->name, path, what);
}

/* Whether the fs pool @def is mounted: its target is a mount point, of its device when that
 * is a block device. Errors (OperationInvalid) say what is there instead. */
int storage_fs_check_mounted(const VkStoragePoolDef *def, VkError *reterr) {
        g_auto(VkStorageMount) m = {};
        struct stat st;
        int r;

        r = vk_storage_fs_mounted(def->target_path, &m, reterr);
        if (r < 0)
                return r;
        if (r == 0)
                return vk_error_set(reterr, VK_ERROR_OPERATION_INVALID, -ENOENT,
                                    "Storage pool '%s': nothing is mounted on '%s'", def->name,
                                    def->target_path);
        if (stat(def->devices[0], &st) == 0 && S_ISBLK(st.st_mode) &&
            (major(st.st_rdev) != m.major || minor(st.st_rdev) != m.minor))
                return vk_error_set(reterr, VK_ERROR_OPERATION_INVALID, -EBUSY,
                                    "Storage pool '%s': '%s' is mounted on '%s', not '%s'",
                                    def->name, m.source, def->target_path, def->devices[0]);
        return 0;
}

/* Make the target directory when it is missing (as a dir pool's build does, with the pool's
 * permissions); *@ret_made gets its path when this call made it. */
static int fs_make_target(const VkStoragePoolDef *def, bool apply_perms, char **ret_made,
                          VkError *reterr) {
        g_autoptr(VkStoragePoolDef) copy = NULL;
        struct stat st;
        bool exists;
        int r;

        if (lstat(def->target_path, &st) == 0) {
                if (!S_ISDIR(st.st_mode))
                        return vk_error_set(reterr, VK_ERROR_OPERATION_INVALID, -ENOTDIR,
                                            "/pool/target/path: storage pool '%s': '%s' exists "
                                            "and is not a directory",
                                            def->name, def->target_path);
                exists = true;
        } else if (errno == ENOENT)
                exists = false;
        else
                return vk_error_set_errno(reterr, errno, "Failed to stat '%s'", def->target_path);
        if (exists && !apply_perms)
                return 0;
        r = vk_storage_pool_def_copy(def, &copy, reterr);
        if (r < 0)
                return r;
        if (!apply_perms)
                copy->target_perms = (VkStoragePerms){};
        r = vk_storage_dir_build(copy, reterr);
        if (r < 0)
                return r;
        if (!exists)
                *ret_made = g_strdup(def->target_path);
        return 0;
}

static void fs_cleanup(StoragePoolJob *j) {
        if (j->made_dir)
                (void) rmdir(j->made_dir);
}

/* Add mkfs to @j after the build's checks. */
static int fs_add_build(StoragePoolJob *j, const VkStoragePoolDef *def, unsigned flags,
                        VkError *reterr) {
        char **argv = NULL;
        int r;

        r = storage_device_check(def, def->devices[0], true, NULL, reterr);
        if (r >= 0)
                r = vk_storage_fs_mkfs_argv(&j->drv->tools, def,
                                            (flags & VK_STORAGE_POOL_BUILD_OVERWRITE) != 0, &argv,
                                            reterr);
        if (r >= 0)
                r = storage_device_check_blank(def, def->devices[0], flags, reterr);
        if (r < 0) {
                g_strfreev(argv);
                return r;
        }
        storage_pool_job_add(j, argv, NULL);
        return fs_make_target(def, true, &j->made_dir, reterr);
}

/*
 * Build the inactive fs pool @o: its target directory, and mkfs of its <format> on its
 * device (a device that holds a filesystem or anything else only with overwrite). A failed
 * build removes the directory it made.
 */
int storage_fs_build(VkStorageDriver *drv, PoolObj *o, unsigned flags, VkStoragePoolDoneFunc done,
                     void *userdata, VkError *reterr) {
        g_autoptr(StoragePoolJob) j = storage_pool_job_new(drv, o, "being built");
        int r;

        r = fs_add_build(j, o->def, flags, reterr);
        if (r < 0) {
                fs_cleanup(j);
                return r;
        }
        j->cleanup = fs_cleanup;
        j->event = VK_STORAGE_EVENT_CREATED;
        return storage_pool_job_start(g_steal_pointer(&j), done, userdata, reterr);
}

/* The mount succeeded: the pool is active, scanned, its status saved (or the mount undone). */
static int fs_start_finish(StoragePoolJob *j, VkError *reterr) {
        PoolObj *o = j->pool;
        int r;

        o->live = g_steal_pointer(&j->live);
        r = storage_pool_rescan(j->drv, o, reterr);
        if (r >= 0)
                r = storage_pool_save_status(j->drv, o, reterr);
        if (r < 0) {
                j->live = g_steal_pointer(&o->live);
                g_clear_pointer(&o->vols, g_ptr_array_unref);
        }
        return r;
}

/*
 * Start the fs pool @o with @def (copied): mount its device on its target (made when missing;
 * with @build, mkfs first). Refused when something is mounted there already. A failed start
 * unmounts and removes the directory it made.
 */
int storage_fs_start(VkStorageDriver *drv, PoolObj *o, const VkStoragePoolDef *def, bool build,
                     VkStoragePoolDoneFunc done, void *userdata, VkError *reterr) {
        g_autoptr(StoragePoolJob) j = storage_pool_job_new(drv, o, "being started");
        g_auto(VkStorageMount) m = {};
        char **argv = NULL;
        struct stat st;
        int r;

        j->cleanup = fs_cleanup;
        r = storage_device_check(def, def->devices[0], true, &st, reterr);
        if (r >= 0 && build)
                r = fs_add_build(j, def, 0, reterr);
        if (r >= 0)
                r = fs_make_target(def, false, &j->made_dir, reterr);
        if (r >= 0)
                r = vk_storage_fs_mounted(def->target_path, &m, reterr);
        if (r > 0)
                r = vk_error_set(reterr, VK_ERROR_OPERATION_INVALID, -EBUSY,
                                 "/pool/target/path: storage pool '%s': '%s' is mounted on '%s' "
                                 "already",
                                 def->name, m.source, def->target_path);
        if (r >= 0)
                r = vk_storage_fs_mount_argv(&drv->tools, def, S_ISREG(st.st_mode), &argv, reterr);
        if (r >= 0)
                r = vk_storage_pool_def_copy(def, &j->live, reterr);
        if (r < 0) {
                g_strfreev(argv);
                fs_cleanup(j);
                return r;
        }
        storage_pool_job_add(j, argv, vk_storage_fs_umount_argv(&drv->tools, def));
        j->finish = fs_start_finish;
        j->event = VK_STORAGE_EVENT_STARTED;
        return storage_pool_job_start(g_steal_pointer(&j), done, userdata, reterr);
}

static int fs_stop_finish(StoragePoolJob *j, VkError *reterr) {
        return storage_pool_deactivate(j->drv, j->pool, reterr);
}

/*
 * Stop the active fs pool @o: unmount its target. Returns 0 when its filesystem is no longer
 * mounted there: the caller just deactivates it. A busy filesystem fails, and the pool stays
 * active.
 */
int storage_fs_stop(VkStorageDriver *drv, PoolObj *o, VkStoragePoolDoneFunc done, void *userdata,
                    VkError *reterr) {
        g_autoptr(StoragePoolJob) j = NULL;

        if (storage_fs_check_mounted(o->live, NULL) < 0)
                return 0;
        j = storage_pool_job_new(drv, o, "being stopped");
        storage_pool_job_add(j, vk_storage_fs_umount_argv(&drv->tools, o->live), NULL);
        j->finish = fs_stop_finish;
        j->event = VK_STORAGE_EVENT_STOPPED;
        return storage_pool_job_start(g_steal_pointer(&j), done, userdata, reterr);
}
