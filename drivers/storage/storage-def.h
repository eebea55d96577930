/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* storage-def.h: libvirt's storage pool and volume XML: the models, parse, check and format */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "error.h"
#include "uuid.h"
#include "image-format.h"
#include "xml.h"

/* Pool and volume XML documents larger than this are refused before they are parsed. */
#define VK_STORAGE_XML_MAX  (256 * 1024)
#define VK_STORAGE_NAME_MAX 255
/* Devices one pool's <source> may list. */
#define VK_STORAGE_DEVICES_MAX 64

typedef enum VkStoragePoolType {
        VK_STORAGE_POOL_DIR,
        VK_STORAGE_POOL_FS,
        VK_STORAGE_POOL_LOGICAL,
        _VK_STORAGE_POOL_TYPE_MAX,
        _VK_STORAGE_POOL_TYPE_INVALID = -EINVAL,
} VkStoragePoolType;

const char *vk_storage_pool_type_to_string(VkStoragePoolType t);
VkStoragePoolType vk_storage_pool_type_from_string(const char *s);

/* <source><format type=> of a fs pool: the filesystem to mount (and to make at build). */
typedef enum VkStorageFsFormat {
        VK_STORAGE_FS_AUTO, /* mount probes it; build cannot make it */
        VK_STORAGE_FS_EXT2,
        VK_STORAGE_FS_EXT3,
        VK_STORAGE_FS_EXT4,
        VK_STORAGE_FS_XFS,
        VK_STORAGE_FS_VFAT,
        VK_STORAGE_FS_ISO9660,
        VK_STORAGE_FS_UDF,
        _VK_STORAGE_FS_FORMAT_MAX,
        _VK_STORAGE_FS_FORMAT_INVALID = -EINVAL,
} VkStorageFsFormat;

const char *vk_storage_fs_format_to_string(VkStorageFsFormat f);
VkStorageFsFormat vk_storage_fs_format_from_string(const char *s);

/* <source><format type=> of a logical pool. */
typedef enum VkStorageLvmFormat {
        VK_STORAGE_LVM_AUTO,
        VK_STORAGE_LVM_LVM2,
        _VK_STORAGE_LVM_FORMAT_MAX,
        _VK_STORAGE_LVM_FORMAT_INVALID = -EINVAL,
} VkStorageLvmFormat;

const char *vk_storage_lvm_format_to_string(VkStorageLvmFormat f);
VkStorageLvmFormat vk_storage_lvm_format_from_string(const char *s);

/* A volume's format is an image format: VkImageFormat (drivers/image/image-format.h). */

/* <volume type=>: output only, what the volume is on the host. */
typedef enum VkStorageVolType {
        VK_STORAGE_VOL_FILE,
        VK_STORAGE_VOL_BLOCK,
        VK_STORAGE_VOL_DIR,
        _VK_STORAGE_VOL_TYPE_MAX,
        _VK_STORAGE_VOL_TYPE_INVALID = -EINVAL,
} VkStorageVolType;

const char *vk_storage_vol_type_to_string(VkStorageVolType t);
VkStorageVolType vk_storage_vol_type_from_string(const char *s);

/* <permissions>: each part optional. */
typedef struct VkStoragePerms {
        bool present; /* a <permissions> element */
        bool has_mode, has_owner, has_group;
        unsigned mode; /* 0..07777 */
        unsigned owner, group;
        char *label; /* NULL: none */
} VkStoragePerms;

typedef struct VkStoragePoolDef {
        VkStoragePoolType type;
        char *name;
        bool has_uuid; /* false until given or filled by vk_storage_pool_def_fill_defaults() */
        VkUuid uuid;
        /* output only: the figures of an active pool, in bytes */
        bool has_capacity, has_allocation, has_available;
        uint64_t capacity, allocation, available;

        /* <source> */
        char **devices;    /* <device path=>, NULL-terminated; NULL: none */
        char *source_name; /* <name>: the volume group of a logical pool */
        int source_format; /* VkStorageFsFormat or VkStorageLvmFormat by type; -1: absent */

        /* <target> */
        char *target_path;
        VkStoragePerms target_perms;
} VkStoragePoolDef;

/* <encryption format='luks'><secret type='passphrase' uuid=|usage=/></encryption> */
typedef struct VkStorageEncryption {
        bool present;
        VkUuid secret_uuid; /* null: given by usage */
        char *secret_usage;
} VkStorageEncryption;

typedef struct VkStorageVolDef {
        bool has_type; /* type= given (output only, kept for the round trip) */
        VkStorageVolType type;
        char *name;
        char *key; /* output only (ignored on create) */
        bool has_capacity, has_allocation;
        uint64_t capacity, allocation;

        /* <target> */
        char *path;
        bool has_format;
        VkImageFormat format;
        VkStoragePerms perms;
        char *compat; /* qcow2: "0.10" or "1.1" */
        bool lazy_refcounts;
        bool nocow;
        uint64_t cluster_size; /* 0: the format's default */
        VkStorageEncryption encryption;

        /* <backingStore> */
        char *backing_path;
        bool has_backing_format;
        VkImageFormat backing_format;

        /* not in the XML: what a refresh could not read ("truncated qcow2 header") */
        char *warning;
} VkStorageVolDef;

VkStoragePoolDef *vk_storage_pool_def_new(void);
VkStoragePoolDef *vk_storage_pool_def_free(VkStoragePoolDef *def);
int vk_storage_pool_def_parse_string(const char *xml, VkStoragePoolDef **ret_def, VkError *reterr);
int vk_storage_pool_def_parse_file(const char *path, VkStoragePoolDef **ret_def, VkError *reterr);
char *vk_storage_pool_def_format(const VkStoragePoolDef *def);
int vk_storage_pool_def_copy(const VkStoragePoolDef *def, VkStoragePoolDef **ret_copy,
                             VkError *reterr);
const char *vk_storage_pool_def_vg_name(const VkStoragePoolDef *def);

VkStorageVolDef *vk_storage_vol_def_new(void);
VkStorageVolDef *vk_storage_vol_def_free(VkStorageVolDef *def);
int vk_storage_vol_def_parse_string(const char *xml, VkStorageVolDef **ret_def, VkError *reterr);
char *vk_storage_vol_def_format(const VkStorageVolDef *def);

/* Fills @len bytes of @buf with random bytes; NULL means getrandom(). */
typedef void (*VkStorageRandomFn)(void *buf, size_t len);

/* libvirt's defaults: a pool directory is made 0711, a volume file 0600 */
#define VK_STORAGE_POOL_DIR_MODE 0711
#define VK_STORAGE_VOL_FILE_MODE 0600

int vk_storage_pool_def_fill_defaults(VkStoragePoolDef *def, VkStorageRandomFn random_fn,
                                      VkError *reterr);
int vk_storage_vol_def_fill_defaults(VkStorageVolDef *vol, const VkStoragePoolDef *pool,
                                     VkError *reterr);
int vk_storage_vol_def_check_new(const VkStorageVolDef *vol, const VkStoragePoolDef *pool,
                                 VkError *reterr);

bool vk_storage_name_valid(const char *name);

/* units of <capacity unit=> and friends */
int vk_storage_unit_scale(const char *unit, uint64_t *ret_scale);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(VkStoragePoolDef, vk_storage_pool_def_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VkStorageVolDef, vk_storage_vol_def_free)
