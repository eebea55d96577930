/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* storage-dir.c: the cheap, synchronous operations of a dir pool (build, refresh, delete) */
#include <assert.h>
#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "macro.h"
#include "storage-dir.h"
#include "image-probe.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(DIR, closedir)

static int dir_apply_perms(int fd, const VkStoragePoolDef *pool, VkError *reterr) {
        const VkStoragePerms *perms = &pool->target_perms;

        if ((perms->has_owner || perms->has_group) &&
            fchown(fd, perms->has_owner ? perms->owner : (uid_t) -1,
                   perms->has_group ? perms->group : (gid_t) -1) < 0)
                return vk_error_set_errno(reterr, errno, "Failed to change the owner of '%s'",
                                          pool->target_path);
        if (perms->has_mode && fchmod(fd, perms->mode) < 0)
                return vk_error_set_errno(reterr, errno, "Failed to change the mode of '%s'",
                                          pool->target_path);
        return 0;
}

/*
 * Build a dir pool (or an fs pool's mount point): make its target directory (missing parents 0755,
 * owned by us) and give it the pool's mode, owner and group; an existing directory just gets them.
 * A target that exists as anything else is an error, and nothing is changed then. Returns 0 or
 * -errno.
 */
int vk_storage_dir_build(const VkStoragePoolDef *pool, VkError *reterr) {
        g_autofree char *parent = NULL;
        vk_autofd fd = -1;
        struct stat st;
        bool made = false;
        int r;

        assert(pool && pool->target_path);
        if (pool->type == VK_STORAGE_POOL_LOGICAL)
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "pool '%s' has no target directory to build", pool->name);
        if (lstat(pool->target_path, &st) == 0) {
                if (!S_ISDIR(st.st_mode))
                        return vk_error_set(reterr, VK_ERROR_OPERATION_INVALID, -ENOTDIR,
                                            "pool '%s': target path '%s' exists and is not a "
                                            "directory",
                                            pool->name, pool->target_path);
        } else if (errno != ENOENT)
                return vk_error_set_errno(reterr, errno, "Failed to stat '%s'", pool->target_path);
        else {
                parent = g_path_get_dirname(pool->target_path);
                if (g_mkdir_with_parents(parent, 0755) < 0)
                        return vk_error_set_errno(reterr, errno, "Failed to create '%s'", parent);
                if (mkdir(pool->target_path, 0700) < 0 && errno != EEXIST)
                        return vk_error_set_errno(reterr, errno, "Failed to create '%s'",
                                                  pool->target_path);
                made = true;
        }
        fd = open(pool->target_path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return vk_error_set_errno(reterr, errno, "Failed to open '%s'", pool->target_path);
        r = dir_apply_perms(fd, pool, reterr);
        if (r < 0 && made)
                (void) rmdir(pool->target_path); /* leave nothing half made */
        return r;
}

/* Whether the pool can start: its target is a directory. */
int vk_storage_dir_check(const VkStoragePoolDef *pool, VkError *reterr) {
        struct stat st;

        assert(pool && pool->target_path);
        if (stat(pool->target_path, &st) < 0) {
                if (errno == ENOENT)
                        return vk_error_set(reterr, VK_ERROR_OPERATION_INVALID, -ENOENT,
                                            "pool '%s': target path '%s' does not exist (build "
                                            "the pool first)",
                                            pool->name, pool->target_path);
                return vk_error_set_errno(reterr, errno, "Failed to stat '%s'", pool->target_path);
        }
        if (!S_ISDIR(st.st_mode))
                return vk_error_set(reterr, VK_ERROR_OPERATION_INVALID, -ENOTDIR,
                                    "pool '%s': target path '%s' is not a directory", pool->name,
                                    pool->target_path);
        return 0;
}

/* The pool's capacity, allocation and available bytes from its filesystem (statvfs). */
int vk_storage_dir_statvfs(VkStoragePoolDef *pool, VkError *reterr) {
        struct statvfs sv;

        assert(pool && pool->target_path);
        if (statvfs(pool->target_path, &sv) < 0)
                return vk_error_set_errno(reterr, errno, "Failed to statvfs '%s'",
                                          pool->target_path);
        pool->has_capacity = pool->has_allocation = pool->has_available = true;
        pool->capacity = (uint64_t) sv.f_blocks * sv.f_frsize;
        pool->allocation = (uint64_t) (sv.f_blocks - sv.f_bfree) * sv.f_frsize;
        pool->available = (uint64_t) sv.f_bavail * sv.f_frsize;
        return 0;
}

static void dir_vol_free(gpointer p) {
        vk_storage_vol_def_free(p);
}

static gint dir_vol_cmp(gconstpointer a, gconstpointer b) {
        const VkStorageVolDef *x = *(VkStorageVolDef *const *) a;
        const VkStorageVolDef *y = *(VkStorageVolDef *const *) b;

        return strcmp(x->name, y->name);
}

/*
 * One file of the pool as a volume: what its header says (format, capacity, backing store,
 * resolved against the pool's directory), its allocation and permissions from fstat.
 * Returns 1 with *ret_vol, 0 for what is not a volume (directories, sockets, FIFOs, block
 * devices), < 0 only when the directory itself fails; a file that cannot be opened or read
 * is still listed, with a warning.
 */
static int dir_scan_one(const VkStoragePoolDef *pool, int dfd, const char *name,
                        VkStorageVolDef **ret_vol) {
        g_autoptr(VkStorageVolDef) vol = vk_storage_vol_def_new();
        g_auto(VkImageProbe) probe = {};
        vk_autofd fd = -1;
        struct stat st;
        int r;

        if (fstatat(dfd, name, &st, 0) < 0) {
                /* a dangling symbolic link, or gone since readdir */
                if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISLNK(st.st_mode))
                        return 0;
                vol->warning = g_strdup_printf("'%s' is a dangling symbolic link", name);
        } else if (!S_ISREG(st.st_mode))
                return 0;

        vol->name = g_strdup(name);
        vol->path = g_build_filename(pool->target_path, name, NULL);
        vol->key = g_strdup(vol->path);
        vol->has_type = true;
        vol->type = VK_STORAGE_VOL_FILE;
        vol->has_format = true;
        vol->format = VK_IMAGE_FORMAT_RAW;
        vol->has_capacity = vol->has_allocation = true;
        if (vol->warning) {
                *ret_vol = g_steal_pointer(&vol);
                return 1;
        }
        vol->capacity = (uint64_t) st.st_size;
        vol->allocation = (uint64_t) st.st_blocks * 512;
        vol->perms = (VkStoragePerms){
                .present = true,
                .has_mode = true,
                .mode = st.st_mode & 07777,
                .has_owner = true,
                .owner = st.st_uid,
                .has_group = true,
                .group = st.st_gid,
        };

        fd = openat(dfd, name, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        if (fd < 0) {
                vol->warning = g_strdup_printf("cannot open '%s': %s", name, g_strerror(errno));
                *ret_vol = g_steal_pointer(&vol);
                return 1;
        }
        r = vk_image_probe_fd(fd, (uint64_t) st.st_size, &probe);
        if (r < 0) {
                vol->warning = g_strdup_printf("cannot read '%s': %s", name, g_strerror(-r));
                *ret_vol = g_steal_pointer(&vol);
                return 1;
        }
        vol->format = probe.format;
        if (probe.has_capacity)
                vol->capacity = probe.capacity;
        if (probe.backing) {
                /* a relative name is relative to the image, i.e. to the pool's directory */
                if (probe.backing[0] == '/' || vk_image_backing_is_remote(probe.backing))
                        vol->backing_path = g_strdup(probe.backing);
                else
                        vol->backing_path =
                                g_build_filename(pool->target_path, probe.backing, NULL);
                vol->has_backing_format = probe.has_backing_format;
                vol->backing_format = probe.backing_format;
        }
        if (probe.format == VK_IMAGE_FORMAT_QCOW2 && probe.version == 2)
                vol->compat = g_strdup("0.10");
        else if (probe.format == VK_IMAGE_FORMAT_QCOW2 && probe.version == 3)
                vol->compat = g_strdup("1.1");
        vol->lazy_refcounts = probe.lazy_refcounts;
        /* LUKS is format raw with <encryption> (libvirt's spelling); the driver names the
         * secret (storage-vol-luks.c) */
        if (probe.crypt == VK_IMAGE_PROBE_CRYPT_LUKS) {
                vol->encryption.present = true;
                if (vol->format == VK_IMAGE_FORMAT_LUKS)
                        vol->format = VK_IMAGE_FORMAT_RAW;
        }
        if (probe.format == VK_IMAGE_FORMAT_QCOW2 && probe.cluster_bits)
                vol->cluster_size = 1ULL << probe.cluster_bits;
        if (probe.warning)
                vol->warning = g_strdup_printf("'%s': %s", name, probe.warning);
        *ret_vol = g_steal_pointer(&vol);
        return 1;
}

/*
 * Refresh a dir pool: *@ret_vols gets every regular file of the target directory (names
 * starting with '.' are skipped, as are directories, devices, FIFOs and sockets) as a volume,
 * sorted by name; a file whose header cannot be read is listed with what stat() says and a
 * warning in its ->warning, never dropped. The pool's figures are updated from statvfs().
 * Reads a few kilobytes per file: synchronous, meant for local directories. More than
 * VK_STORAGE_POOL_VOLUMES_MAX files is LimitExceeded.
 */
int vk_storage_dir_refresh(VkStoragePoolDef *pool, GPtrArray **ret_vols, VkError *reterr) {
        g_autoptr(GPtrArray) vols = g_ptr_array_new_with_free_func(dir_vol_free);
        g_autoptr(DIR) d = NULL;
        struct dirent *de;
        int dfd, r;

        assert(pool && ret_vols);
        r = vk_storage_dir_check(pool, reterr);
        if (r < 0)
                return r;
        dfd = open(pool->target_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return vk_error_set_errno(reterr, errno, "Failed to open '%s'", pool->target_path);
        d = fdopendir(dfd);
        if (!d) {
                r = errno;
                close(dfd);
                return vk_error_set_errno(reterr, r, "Failed to open '%s'", pool->target_path);
        }
        for (;;) {
                VkStorageVolDef *vol = NULL;

                errno = 0;
                de = readdir(d);
                if (!de) {
                        if (errno != 0)
                                return vk_error_set_errno(reterr, errno, "Failed to read '%s'",
                                                          pool->target_path);
                        break;
                }
                if (de->d_name[0] == '.')
                        continue;
                if (vols->len >= VK_STORAGE_POOL_VOLUMES_MAX)
                        return vk_error_set(reterr, VK_ERROR_LIMIT_EXCEEDED, -E2BIG,
                                            "pool '%s' holds more than %d volumes", pool->name,
                                            VK_STORAGE_POOL_VOLUMES_MAX);
                r = dir_scan_one(pool, dirfd(d), de->d_name, &vol);
                if (r > 0)
                        g_ptr_array_add(vols, vol);
        }
        g_ptr_array_sort(vols, dir_vol_cmp);
        r = vk_storage_dir_statvfs(pool, reterr);
        if (r < 0)
                return r;
        *ret_vols = g_steal_pointer(&vols);
        return 0;
}

/*
 * Look at the one file @name of a dir (or fs) pool again, as a refresh would (a volume job
 * changed it): 1 with *@ret_vol, 0 when it is no volume (gone, a directory, a device...),
 * < 0 with @reterr when the pool's directory cannot be opened. The pool's figures are left
 * alone: vk_storage_dir_statvfs() updates them.
 */
int vk_storage_dir_probe(const VkStoragePoolDef *pool, const char *name, VkStorageVolDef **ret_vol,
                         VkError *reterr) {
        vk_autofd dfd = -1;

        assert(pool && pool->target_path && name && ret_vol);
        if (name[0] == '.' || strchr(name, '/'))
                return 0;
        dfd = open(pool->target_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return vk_error_set_errno(reterr, errno, "Failed to open '%s'", pool->target_path);
        return dir_scan_one(pool, dfd, name, ret_vol);
}

/* Delete a dir pool: remove its (empty) target directory. */
int vk_storage_dir_delete(const VkStoragePoolDef *pool, VkError *reterr) {
        assert(pool && pool->target_path);
        if (rmdir(pool->target_path) < 0) {
                if (errno == ENOTEMPTY || errno == EEXIST)
                        return vk_error_set(reterr, VK_ERROR_OPERATION_INVALID, -ENOTEMPTY,
                                            "pool '%s': target path '%s' still holds files: "
                                            "delete its volumes first",
                                            pool->name, pool->target_path);
                return vk_error_set_errno(reterr, errno, "Failed to remove '%s'",
                                          pool->target_path);
        }
        return 0;
}
