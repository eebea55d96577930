/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* storage-pool-argv.c: the command lines of fs pools (mount, mkfs) and logical pools (LVM) */
#include <assert.h>
#include <string.h>

#include "macro.h"
#include "storage-argv.h"

static char **strv_new(const char *first, ...) G_GNUC_NULL_TERMINATED;

static char **strv_new(const char *first, ...) {
        GPtrArray *a = g_ptr_array_new();
        va_list ap;

        va_start(ap, first);
        for (const char *s = first; s; s = va_arg(ap, const char *))
                g_ptr_array_add(a, g_strdup(s));
        va_end(ap);
        g_ptr_array_add(a, NULL);
        return (char **) g_ptr_array_free(a, FALSE);
}

static char **ptr_array_steal_strv(GPtrArray *a) {
        g_ptr_array_add(a, NULL);
        return (char **) g_ptr_array_free(a, FALSE);
}

static const char *pool_vg(const VkStoragePoolDef *pool) {
        return vk_storage_pool_def_vg_name(pool);
}

/* ---- fs ---------------------------------------------------------------------------------- */

/*
 * mount [-t TYPE] -o nodev,nosuid,noexec[,loop] DEVICE TARGET
 *
 * Images are data, never programs or device nodes for the host: nodev, nosuid and noexec
 * always. @source_is_file (the caller stat()ed the device) adds loop. auto lets mount probe
 * the filesystem.
 */
int vk_storage_fs_mount_argv(const VkStorageTools *tools, const VkStoragePoolDef *pool,
                             bool source_is_file, char ***ret_argv, VkError *reterr) {
        GPtrArray *a;

        assert(tools && pool && ret_argv);
        if (pool->type != VK_STORAGE_POOL_FS || !pool->devices || !pool->target_path)
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "pool '%s' is not a fs pool with a device and a target",
                                    pool->name);
        a = g_ptr_array_new();
        g_ptr_array_add(a, g_strdup(tools->mount));
        if (pool->source_format > VK_STORAGE_FS_AUTO) {
                g_ptr_array_add(a, g_strdup("-t"));
                g_ptr_array_add(a, g_strdup(vk_storage_fs_format_to_string(pool->source_format)));
        }
        g_ptr_array_add(a, g_strdup("-o"));
        g_ptr_array_add(
                a, g_strdup(source_is_file ? "nodev,nosuid,noexec,loop" : "nodev,nosuid,noexec"));
        g_ptr_array_add(a, g_strdup(pool->devices[0]));
        g_ptr_array_add(a, g_strdup(pool->target_path));
        *ret_argv = ptr_array_steal_strv(a);
        return 0;
}

/* umount TARGET */
char **vk_storage_fs_umount_argv(const VkStorageTools *tools, const VkStoragePoolDef *pool) {
        assert(tools && pool && pool->target_path);
        return strv_new(tools->umount, pool->target_path, NULL);
}

/*
 * mkfs.TYPE [force] DEVICE for ext2/3/4, xfs and vfat. The force flag only with @overwrite.
 * Without it mkfs.xfs refuses a device holding a filesystem, but mke2fs asks only on a
 * terminal and mkfs.vfat never does: the caller checks the device with
 * vk_storage_signature_path() first. auto, iso9660 and udf cannot be made.
 */
int vk_storage_fs_mkfs_argv(const VkStorageTools *tools, const VkStoragePoolDef *pool,
                            bool overwrite, char ***ret_argv, VkError *reterr) {
        g_autofree char *prog = NULL;
        const char *fmt, *force = NULL;

        assert(tools && pool && ret_argv);
        if (pool->type != VK_STORAGE_POOL_FS || !pool->devices)
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "pool '%s' is not a fs pool with a device", pool->name);
        switch (pool->source_format) {
        case VK_STORAGE_FS_EXT2:
        case VK_STORAGE_FS_EXT3:
        case VK_STORAGE_FS_EXT4:
                force = "-F";
                break;
        case VK_STORAGE_FS_XFS:
                force = "-f";
                break;
        case VK_STORAGE_FS_VFAT:
                break;
        default:
                return vk_error_set(reterr, VK_ERROR_INVALID_XML, -EINVAL,
                                    "/pool/source/format/@type: pool '%s' cannot be built with "
                                    "the format '%s': give ext2, ext3, ext4, xfs or vfat",
                                    pool->name,
                                    pool->source_format < 0
                                            ? "auto"
                                            : vk_storage_fs_format_to_string(pool->source_format));
        }
        fmt = vk_storage_fs_format_to_string(pool->source_format);
        prog = g_strdup_printf("%s/mkfs.%s", tools->mkfs_dir, fmt);
        if (overwrite && force)
                *ret_argv = strv_new(prog, force, pool->devices[0], NULL);
        else
                *ret_argv = strv_new(prog, pool->devices[0], NULL);
        return 0;
}

/* ---- logical ----------------------------------------------------------------------------- */

/*
 * Build a volume group on the pool's devices:
 *
 *   lvm pvcreate [--force --force --yes] DEVICE      for each device
 *   lvm vgcreate VG DEVICE...
 *
 * --force --force --yes only with @overwrite; without it the caller checks each device with
 * vk_storage_signature_path() first (pvcreate's question would be answered by whatever its
 * stdin holds). *@ret_cmds holds char ** commands (g_strfreev each).
 */
int vk_storage_lvm_build_argv(const VkStorageTools *tools, const VkStoragePoolDef *pool,
                              bool overwrite, GPtrArray **ret_cmds, VkError *reterr) {
        g_autoptr(GPtrArray) cmds = g_ptr_array_new_with_free_func((GDestroyNotify) g_strfreev);
        GPtrArray *vg;

        assert(tools && pool && ret_cmds);
        if (pool->type != VK_STORAGE_POOL_LOGICAL)
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "pool '%s' is not a logical pool", pool->name);
        if (!pool->devices)
                return vk_error_set(reterr, VK_ERROR_INVALID_XML, -EINVAL,
                                    "/pool/source: pool '%s' has no <device> to build the "
                                    "volume group '%s' on",
                                    pool->name, pool_vg(pool));
        for (char **d = pool->devices; *d; d++)
                g_ptr_array_add(cmds, overwrite ? strv_new(tools->lvm, "pvcreate", "--force",
                                                           "--force", "--yes", *d, NULL)
                                                : strv_new(tools->lvm, "pvcreate", *d, NULL));
        vg = g_ptr_array_new();
        g_ptr_array_add(vg, g_strdup(tools->lvm));
        g_ptr_array_add(vg, g_strdup("vgcreate"));
        g_ptr_array_add(vg, g_strdup(pool_vg(pool)));
        for (char **d = pool->devices; *d; d++)
                g_ptr_array_add(vg, g_strdup(*d));
        g_ptr_array_add(cmds, ptr_array_steal_strv(vg));
        *ret_cmds = g_steal_pointer(&cmds);
        return 0;
}

/* lvm vgchange -aly VG (start) / -aln (stop): activate or deactivate every LV, locally. */
char **vk_storage_lvm_activate_argv(const VkStorageTools *tools, const VkStoragePoolDef *pool,
                                    bool active) {
        assert(tools && pool);
        return strv_new(tools->lvm, "vgchange", active ? "-aly" : "-aln", pool_vg(pool), NULL);
}

/* lvm vgremove --force VG, then lvm pvremove DEVICE for each device. */
GPtrArray *vk_storage_lvm_delete_argv(const VkStorageTools *tools, const VkStoragePoolDef *pool) {
        GPtrArray *cmds = g_ptr_array_new_with_free_func((GDestroyNotify) g_strfreev);

        assert(tools && pool);
        g_ptr_array_add(cmds, strv_new(tools->lvm, "vgremove", "--force", pool_vg(pool), NULL));
        for (char **d = pool->devices; d && *d; d++)
                g_ptr_array_add(cmds, strv_new(tools->lvm, "pvremove", *d, NULL));
        return cmds;
}

/* The volume group's figures, in bytes, as JSON: lvm vgs --reportformat json ... VG */
char **vk_storage_lvm_vgs_argv(const VkStorageTools *tools, const VkStoragePoolDef *pool) {
        assert(tools && pool);
        return strv_new(tools->lvm, "vgs", "--reportformat", "json", "--units", "b", "--nosuffix",
                        "--options", "vg_name,vg_uuid,vg_size,vg_free", pool_vg(pool), NULL);
}

/* Its logical volumes, sizes in bytes, as JSON: lvm lvs --reportformat json ... VG */
char **vk_storage_lvm_lvs_argv(const VkStorageTools *tools, const VkStoragePoolDef *pool) {
        assert(tools && pool);
        return strv_new(tools->lvm, "lvs", "--reportformat", "json", "--units", "b", "--nosuffix",
                        "--options",
                        "lv_name,lv_uuid,lv_path,lv_size,lv_attr,origin,pool_lv,data_percent",
                        pool_vg(pool), NULL);
}

/*
 * Create the logical volume @vol (defaults filled and checked):
 *
 *   lvm lvcreate --yes --name NAME --size BYTESb VG
 *   lvm lvcreate --yes --snapshot --setactivationskip n --name NAME VG/ORIGIN   thin origin
 *   lvm lvcreate --yes --snapshot --size BYTESb --name NAME VG/ORIGIN           thick origin
 *
 * With a backing store /dev/VG/ORIGIN the volume is a snapshot: of a thin volume a thin
 * snapshot (sharing the thin pool, activated like any volume), of a thick one a classic
 * snapshot whose copy-on-write space is the capacity. LVM rounds sizes up to its extents.
 */
int vk_storage_lvm_lvcreate_argv(const VkStorageTools *tools, const VkStoragePoolDef *pool,
                                 const VkStorageVolDef *vol, bool origin_is_thin, char ***ret_argv,
                                 VkError *reterr) {
        g_autofree char *size = NULL, *origin = NULL;
        g_autofree char *prefix = NULL;

        assert(tools && pool && vol && ret_argv);
        if (pool->type != VK_STORAGE_POOL_LOGICAL)
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "pool '%s' is not a logical pool", pool->name);
        if (!vol->has_capacity || vol->capacity == 0)
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "volume '%s' needs a capacity above 0", vol->name);
        size = g_strdup_printf("%" G_GUINT64_FORMAT "b", vol->capacity);
        if (!vol->backing_path) {
                *ret_argv = strv_new(tools->lvm, "lvcreate", "--yes", "--name", vol->name, "--size",
                                     size, pool_vg(pool), NULL);
                return 0;
        }
        prefix = g_strdup_printf("/dev/%s/", pool_vg(pool));
        if (!g_str_has_prefix(vol->backing_path, prefix))
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "volume '%s': backing store '%s' is not in '%s'", vol->name,
                                    vol->backing_path, prefix);
        origin = g_strdup_printf("%s/%s", pool_vg(pool), vol->backing_path + strlen(prefix));
        if (origin_is_thin)
                *ret_argv = strv_new(tools->lvm, "lvcreate", "--yes", "--snapshot",
                                     "--setactivationskip", "n", "--name", vol->name, origin, NULL);
        else
                *ret_argv = strv_new(tools->lvm, "lvcreate", "--yes", "--snapshot", "--size", size,
                                     "--name", vol->name, origin, NULL);
        return 0;
}

/* lvm lvremove --yes VG/NAME */
char **vk_storage_lvm_lvremove_argv(const VkStorageTools *tools, const VkStoragePoolDef *pool,
                                    const VkStorageVolDef *vol) {
        g_autofree char *lv = NULL;

        assert(tools && pool && vol);
        lv = g_strdup_printf("%s/%s", pool_vg(pool), vol->name);
        return strv_new(tools->lvm, "lvremove", "--yes", lv, NULL);
}
