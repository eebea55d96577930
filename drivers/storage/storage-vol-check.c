/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* storage-vol-check.c: what a new volume gets from its pool, and what creating it needs */
#include <assert.h>
#include <string.h>

#include "macro.h"
#include "storage-def-internal.h"

static bool vol_is_lv(const VkStoragePoolDef *pool) {
        return pool->type == VK_STORAGE_POOL_LOGICAL;
}

/*
 * What a volume created in @pool gets: its type, target path (the pool's target + name) and
 * key (the path); in dir and fs pools the format raw and the mode 0600 when none is given,
 * and for raw without <allocation> an allocation equal to the capacity (libvirt's rule: the
 * file is fully allocated); a logical volume the format none. A target path or key given in
 * @vol is replaced: the pool decides where its volumes live (a different path is an error in
 * vk_storage_vol_def_check_new()).
 */
int vk_storage_vol_def_fill_defaults(VkStorageVolDef *vol, const VkStoragePoolDef *pool,
                                     VkError *reterr) {
        g_autofree char *path = NULL;

        assert(vol);
        assert(pool);
        assert(pool->target_path);

        path = g_build_filename(pool->target_path, vol->name, NULL);
        if (vol->path && strcmp(vol->path, path) != 0)
                return vk_error_set(reterr, VK_ERROR_INVALID_XML, -EINVAL,
                                    "/volume/target/path: '%s' is not where pool '%s' keeps "
                                    "volume '%s' ('%s')",
                                    vol->path, pool->name, vol->name, path);
        g_free(vol->path);
        vol->path = g_strdup(path);
        g_free(vol->key);
        vol->key = g_steal_pointer(&path);
        vol->has_type = true;
        if (vol_is_lv(pool)) {
                vol->type = VK_STORAGE_VOL_BLOCK;
                if (!vol->has_format) {
                        vol->has_format = true;
                        vol->format = VK_IMAGE_FORMAT_NONE;
                }
                return 0;
        }
        vol->type = VK_STORAGE_VOL_FILE;
        if (!vol->has_format) {
                vol->has_format = true;
                vol->format = VK_IMAGE_FORMAT_RAW;
        }
        if (!vol->perms.has_mode) {
                vol->perms.present = true;
                vol->perms.has_mode = true;
                vol->perms.mode = VK_STORAGE_VOL_FILE_MODE;
        }
        if (vol->format == VK_IMAGE_FORMAT_RAW && !vol->has_allocation && vol->has_capacity &&
            !vol->encryption.present) {
                vol->has_allocation = true;
                vol->allocation = vol->capacity;
        }
        return 0;
}

static bool format_creatable(VkImageFormat f) {
        switch (f) {
        case VK_IMAGE_FORMAT_RAW:
        case VK_IMAGE_FORMAT_QCOW2:
        case VK_IMAGE_FORMAT_QED:
        case VK_IMAGE_FORMAT_VMDK:
        case VK_IMAGE_FORMAT_VDI:
        case VK_IMAGE_FORMAT_VPC:
        case VK_IMAGE_FORMAT_VHDX:
                return true;
        default:
                return false;
        }
}

static int vol_check_qcow2_only(const VkStorageVolDef *vol, VkError *reterr) {
        const char *what = NULL;

        if (vol->format == VK_IMAGE_FORMAT_QCOW2)
                return 0;
        if (vol->compat)
                what = "<compat>";
        else if (vol->lazy_refcounts)
                what = "<features><lazy_refcounts/>";
        else if (vol->cluster_size)
                what = "<clusterSize>";
        if (what)
                return vk_error_set(reterr, VK_ERROR_INVALID_XML, -EINVAL,
                                    "/volume/target: %s needs the format qcow2, not '%s'", what,
                                    vk_image_format_to_string(vol->format));
        return 0;
}

static int vol_check_file(const VkStorageVolDef *vol, VkError *reterr) {
        const char *fmt = vk_image_format_to_string(vol->format);
        int r;

        if (!format_creatable(vol->format))
                return vk_error_set(reterr, VK_ERROR_INVALID_XML, -EINVAL,
                                    "/volume/target/format/@type: cannot create volumes of "
                                    "format '%s'",
                                    fmt);
        r = vol_check_qcow2_only(vol, reterr);
        if (r < 0)
                return r;
        if (vol->lazy_refcounts && vol->compat && strcmp(vol->compat, "0.10") == 0)
                return vk_error_set(reterr, VK_ERROR_INVALID_XML, -EINVAL,
                                    "/volume/target/features/lazy_refcounts: needs compat 1.1, "
                                    "not 0.10");
        if (vol->encryption.present && vol->format != VK_IMAGE_FORMAT_RAW &&
            vol->format != VK_IMAGE_FORMAT_QCOW2)
                return vk_error_set(reterr, VK_ERROR_INVALID_XML, -EINVAL,
                                    "/volume/target/encryption: LUKS encryption needs the "
                                    "format raw or qcow2, not '%s'",
                                    fmt);
        if (vol->encryption.present && vol->encryption.secret_usage)
                return vk_error_set(reterr, VK_ERROR_INVALID_XML, -EINVAL,
                                    "/volume/target/encryption/secret: a new volume names its "
                                    "secret by uuid");
        if (vol->backing_path && vk_image_backing_is_remote(vol->backing_path))
                return vk_error_set(reterr, VK_ERROR_INVALID_XML, -EINVAL,
                                    "/volume/backingStore/path: '%s' is not a local file",
                                    vol->backing_path);
        if (vol->backing_path && vol->format != VK_IMAGE_FORMAT_QCOW2 &&
            vol->format != VK_IMAGE_FORMAT_QED && vol->format != VK_IMAGE_FORMAT_VMDK)
                return vk_error_set(reterr, VK_ERROR_INVALID_XML, -EINVAL,
                                    "/volume/backingStore: format '%s' cannot have a backing "
                                    "store",
                                    fmt);
        if (vol->format != VK_IMAGE_FORMAT_RAW && vol->format != VK_IMAGE_FORMAT_QCOW2 &&
            vol->allocation > 0)
                return vk_error_set(reterr, VK_ERROR_INVALID_XML, -EINVAL,
                                    "/volume/allocation: volumes of format '%s' are created "
                                    "sparse: give allocation 0",
                                    fmt);
        if (vol->backing_path && vol->allocation > 0 && vol->allocation >= vol->capacity)
                return vk_error_set(reterr, VK_ERROR_INVALID_XML, -EINVAL,
                                    "/volume/allocation: a volume with a backing store cannot "
                                    "be fully allocated");
        if (vol->format == VK_IMAGE_FORMAT_RAW && vol->has_allocation && vol->allocation > 0 &&
            vol->allocation < vol->capacity)
                return vk_error_set(reterr, VK_ERROR_INVALID_XML, -EINVAL,
                                    "/volume/allocation: a raw volume is either sparse "
                                    "(allocation 0) or fully allocated (allocation equal to "
                                    "capacity), not %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
                                    " bytes",
                                    vol->allocation, vol->capacity);
        return 0;
}

static int vol_check_lv(const VkStorageVolDef *vol, const VkStoragePoolDef *pool, VkError *reterr) {
        g_autofree char *prefix = NULL;
        const char *lv;

        if (vol->format != VK_IMAGE_FORMAT_NONE)
                return vk_error_set(reterr, VK_ERROR_INVALID_XML, -EINVAL,
                                    "/volume/target/format/@type: a logical volume has no "
                                    "format, not '%s'",
                                    vk_image_format_to_string(vol->format));
        if (vol->compat || vol->lazy_refcounts || vol->cluster_size || vol->nocow)
                return vk_error_set(reterr, VK_ERROR_INVALID_XML, -EINVAL,
                                    "/volume/target: <compat>, <clusterSize>, <nocow> and "
                                    "<features> need a file volume");
        if (vol->encryption.present)
                return vk_error_set(reterr, VK_ERROR_INVALID_XML, -EINVAL,
                                    "/volume/target/encryption: encrypted logical volumes are "
                                    "not supported");
        if (vol->name[0] == '-' ||
            strspn(vol->name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN"
                              "OPQRSTUVWXYZ0123456789+_.-") != strlen(vol->name))
                return vk_error_set(reterr, VK_ERROR_INVALID_XML, -EINVAL,
                                    "/volume/name: '%s' is not a valid logical volume name",
                                    vol->name);
        if (!vol->backing_path)
                return 0;
        prefix = g_strdup_printf("/dev/%s/", vk_storage_pool_def_vg_name(pool));
        lv = g_str_has_prefix(vol->backing_path, prefix) ? vol->backing_path + strlen(prefix)
                                                         : NULL;
        if (!lv || !*lv || strchr(lv, '/'))
                return vk_error_set(reterr, VK_ERROR_INVALID_XML, -EINVAL,
                                    "/volume/backingStore/path: '%s' is not a volume of the "
                                    "group '%s' (a thin snapshot needs its origin there)",
                                    vol->backing_path, vk_storage_pool_def_vg_name(pool));
        return 0;
}

/* The bytes creating @vol takes from @pool now: a logical volume's whole capacity (a thin
 * snapshot's none), a fully allocated file's capacity, nothing for a sparse file. */
static uint64_t vol_allocates(const VkStorageVolDef *vol, const VkStoragePoolDef *pool) {
        if (vol_is_lv(pool))
                return vol->backing_path ? 0 : vol->capacity;
        if (vol->has_allocation && vol->allocation > 0 && vol->allocation >= vol->capacity)
                return vol->capacity;
        return 0;
}

/*
 * Whether @vol (defaults filled) can be created in @pool: a capacity above 0; a format the
 * pool can make, with only the options that format has; a backing store only where the
 * format has one; what it allocates at once within the pool's available bytes (when known). Errors
 * name the element. Returns 0 or -EINVAL / -ENOSPC (InvalidXML).
 */
int vk_storage_vol_def_check_new(const VkStorageVolDef *vol, const VkStoragePoolDef *pool,
                                 VkError *reterr) {
        assert(vol);
        assert(pool);

        if (!vol->has_capacity)
                return vk_error_set(reterr, VK_ERROR_INVALID_XML, -EINVAL,
                                    "/volume: missing element <capacity>");
        if (vol->capacity == 0)
                return vk_error_set(reterr, VK_ERROR_INVALID_XML, -EINVAL,
                                    "/volume/capacity: a new volume needs a capacity above 0");
        if (vol->has_allocation && vol->allocation > vol->capacity &&
            vol->format == VK_IMAGE_FORMAT_RAW)
                return vk_error_set(reterr, VK_ERROR_INVALID_XML, -EINVAL,
                                    "/volume/allocation: %" G_GUINT64_FORMAT
                                    " bytes is more than the capacity",
                                    vol->allocation);
        /* what is allocated at creation must fit; sparse volumes may overcommit, as in libvirt */
        if (pool->has_available && vol_allocates(vol, pool) > pool->available)
                return vk_error_set(reterr, VK_ERROR_INVALID_XML, -ENOSPC,
                                    "/volume/allocation: volume '%s' needs %" G_GUINT64_FORMAT
                                    " bytes, pool '%s' has %" G_GUINT64_FORMAT " available",
                                    vol->name, vol_allocates(vol, pool), pool->name,
                                    pool->available);
        if (vol_is_lv(pool))
                return vol_check_lv(vol, pool, reterr);
        return vol_check_file(vol, reterr);
}
