/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* api-decl.c: the io.virtkit.Storage parameter, result and event types, errors and signals */
#include <stddef.h>

#include "api-decl.h"
#include "macro.h"

/* The driver's error names (drivers/storage/storage-driver.h), which this file does not link. */
#define STORAGE_ERROR_NO_SUCH_POOL   "NoSuchPool"
#define STORAGE_ERROR_NO_SUCH_VOLUME "NoSuchVolume"
#define STORAGE_ERROR_VOLUME_IN_USE  "VolumeInUse"

#define STRUCT(var, ctype, ...)                                                                    \
        static const VkField var##_fields[] = { __VA_ARGS__, {} };                                 \
        const VkStructType vk_storage_##var##_type = {                                             \
                .size = sizeof(ctype),                                                             \
                .fields = var##_fields,                                                            \
        };

#define POOL_FIELD(ctype)                                                                          \
        {                                                                                          \
                "pool", VK_FIELD_STRING, offsetof(ctype, pool), VK_FIELD_REQUIRED, NULL,           \
                        "the pool's name or UUID"                                                  \
        }

STRUCT(xml_params, VkStorageXmlParams,
       { "xml", VK_FIELD_STRING, offsetof(VkStorageXmlParams, xml), VK_FIELD_REQUIRED, NULL,
         "libvirt's storage pool XML" },
       { "build", VK_FIELD_BOOL, offsetof(VkStorageXmlParams, build), 0, NULL,
         "CreateStoragePoolXML: build the pool before starting it" })

STRUCT(id_result, VkStorageIdResult,
       { "name", VK_FIELD_STRING, offsetof(VkStorageIdResult, name), VK_FIELD_REQUIRED, NULL,
         "The pool's name" },
       { "uuid", VK_FIELD_STRING, offsetof(VkStorageIdResult, uuid), VK_FIELD_REQUIRED, NULL,
         "The pool's UUID" })

STRUCT(pool_params, VkStoragePoolParams, POOL_FIELD(VkStoragePoolParams))

STRUCT(build_params, VkStorageBuildParams, POOL_FIELD(VkStorageBuildParams),
       { "overwrite", VK_FIELD_BOOL, offsetof(VkStorageBuildParams, overwrite), 0, NULL,
         "mkfs or pvcreate may replace a filesystem, PV or partition table on the devices" })

STRUCT(start_params, VkStorageStartParams, POOL_FIELD(VkStorageStartParams),
       { "build", VK_FIELD_BOOL, offsetof(VkStorageStartParams, build), 0, NULL,
         "build the pool before starting it" })

STRUCT(get_xml_params, VkStorageGetXmlParams, POOL_FIELD(VkStorageGetXmlParams),
       { "inactive", VK_FIELD_BOOL, offsetof(VkStorageGetXmlParams, inactive), 0, NULL,
         "the persistent definition rather than the live one" })

STRUCT(xml_result, VkStorageXmlResult,
       { "xml", VK_FIELD_STRING, offsetof(VkStorageXmlResult, xml), VK_FIELD_REQUIRED, NULL,
         "The XML document" })

static const VkField pool_summary_fields[] = {
        { "name", VK_FIELD_STRING, offsetof(VkStoragePoolSummary, name), VK_FIELD_REQUIRED, NULL,
          "The pool's name" },
        { "uuid", VK_FIELD_STRING, offsetof(VkStoragePoolSummary, uuid), VK_FIELD_REQUIRED, NULL,
          "The pool's UUID" },
        { "type", VK_FIELD_STRING, offsetof(VkStoragePoolSummary, type), VK_FIELD_REQUIRED, NULL,
          "dir, fs or logical" },
        { "active", VK_FIELD_BOOL, offsetof(VkStoragePoolSummary, active), VK_FIELD_REQUIRED, NULL,
          "Whether the pool runs" },
        { "persistent", VK_FIELD_BOOL, offsetof(VkStoragePoolSummary, persistent),
          VK_FIELD_REQUIRED, NULL, "Whether the pool is defined (not transient)" },
        { "autostart", VK_FIELD_BOOL, offsetof(VkStoragePoolSummary, autostart), VK_FIELD_REQUIRED,
          NULL, "Whether the pool starts with the daemon" },
        { "capacity", VK_FIELD_UINT, offsetof(VkStoragePoolSummary, capacity), VK_FIELD_REQUIRED,
          NULL, "bytes; 0 when inactive" },
        { "allocation", VK_FIELD_UINT, offsetof(VkStoragePoolSummary, allocation),
          VK_FIELD_REQUIRED, NULL, "bytes; 0 when inactive" },
        { "available", VK_FIELD_UINT, offsetof(VkStoragePoolSummary, available), VK_FIELD_REQUIRED,
          NULL, "bytes; 0 when inactive" },
        { "volumes", VK_FIELD_UINT, offsetof(VkStoragePoolSummary, volumes), VK_FIELD_REQUIRED,
          NULL, "how many volumes the last scan found" },
        {},
};

const VkStructType vk_storage_pool_summary_type = {
        .name = "StoragePool",
        .size = sizeof(VkStoragePoolSummary),
        .doc = "One storage pool, its state and figures.",
        .fields = pool_summary_fields,
};

STRUCT(lookup_params, VkStorageLookupParams,
       { "name", VK_FIELD_STRING, offsetof(VkStorageLookupParams, name), 0, NULL,
         "look up by name, or else:" },
       { "uuid", VK_FIELD_STRING, offsetof(VkStorageLookupParams, uuid), 0, NULL,
         "by UUID, or else:" },
       { "volume", VK_FIELD_STRING, offsetof(VkStorageLookupParams, volume), 0, NULL,
         "the pool holding the volume with this key or path" })

STRUCT(list_params, VkStorageListParams,
       { "active", VK_FIELD_STRING, offsetof(VkStorageListParams, active), 0, NULL,
         "\"yes\" or \"no\": only active or inactive pools" },
       { "persistent", VK_FIELD_STRING, offsetof(VkStorageListParams, persistent), 0, NULL,
         "\"yes\" or \"no\": only persistent or transient pools" },
       { "autostart", VK_FIELD_STRING, offsetof(VkStorageListParams, autostart), 0, NULL,
         "\"yes\" or \"no\": only pools with that autostart flag" },
       { "type", VK_FIELD_STRING, offsetof(VkStorageListParams, type), 0, NULL,
         "only pools of this type (dir, fs, logical)" })

STRUCT(list_result, VkStorageListResult,
       { "pools", VK_FIELD_ARRAY, offsetof(VkStorageListResult, pools), VK_FIELD_REQUIRED,
         &vk_storage_pool_summary_type, "The pools" })

STRUCT(autostart_params, VkStorageAutostartParams, POOL_FIELD(VkStorageAutostartParams),
       { "autostart", VK_FIELD_BOOL, offsetof(VkStorageAutostartParams, autostart),
         VK_FIELD_REQUIRED, NULL, "Start the pool with the daemon" })

STRUCT(vol_create_params, VkStorageVolCreateParams, POOL_FIELD(VkStorageVolCreateParams),
       { "xml", VK_FIELD_STRING, offsetof(VkStorageVolCreateParams, xml), VK_FIELD_REQUIRED, NULL,
         "libvirt's storage volume XML" })

STRUCT(vol_create_from_params, VkStorageVolCreateFromParams,
       POOL_FIELD(VkStorageVolCreateFromParams),
       { "xml", VK_FIELD_STRING, offsetof(VkStorageVolCreateFromParams, xml), VK_FIELD_REQUIRED,
         NULL,
         "the new volume: libvirt's volume XML (format and capacity default to the "
         "source's)" },
       { "sourcePool", VK_FIELD_STRING, offsetof(VkStorageVolCreateFromParams, source_pool), 0,
         NULL, "the source's pool (default: pool)" },
       { "source", VK_FIELD_STRING, offsetof(VkStorageVolCreateFromParams, source),
         VK_FIELD_REQUIRED, NULL, "the volume to copy, by name" })

STRUCT(vol_params, VkStorageVolParams, POOL_FIELD(VkStorageVolParams),
       { "volume", VK_FIELD_STRING, offsetof(VkStorageVolParams, volume), VK_FIELD_REQUIRED, NULL,
         "the volume's name in the pool" })

STRUCT(vol_resize_params, VkStorageVolResizeParams, POOL_FIELD(VkStorageVolResizeParams),
       { "volume", VK_FIELD_STRING, offsetof(VkStorageVolResizeParams, volume), VK_FIELD_REQUIRED,
         NULL, "the volume's name in the pool" },
       { "capacity", VK_FIELD_UINT, offsetof(VkStorageVolResizeParams, capacity), VK_FIELD_REQUIRED,
         NULL, "the new capacity, bytes" },
       { "shrink", VK_FIELD_BOOL, offsetof(VkStorageVolResizeParams, shrink), 0, NULL,
         "allow a smaller capacity (the data past it is lost)" },
       { "allocate", VK_FIELD_BOOL, offsetof(VkStorageVolResizeParams, allocate), 0, NULL,
         "allocate the new space (preallocation=falloc)" })

STRUCT(vol_wipe_params, VkStorageVolWipeParams, POOL_FIELD(VkStorageVolWipeParams),
       { "volume", VK_FIELD_STRING, offsetof(VkStorageVolWipeParams, volume), VK_FIELD_REQUIRED,
         NULL, "the volume's name in the pool" },
       { "algorithm", VK_FIELD_STRING, offsetof(VkStorageVolWipeParams, algorithm), 0, NULL,
         "libvirt's wipe algorithm: only \"zero\" (the default)" })

STRUCT(vol_stream_params, VkStorageVolStreamParams, POOL_FIELD(VkStorageVolStreamParams),
       { "volume", VK_FIELD_STRING, offsetof(VkStorageVolStreamParams, volume), VK_FIELD_REQUIRED,
         NULL, "the volume's name in the pool" },
       { "fd", VK_FIELD_FD, offsetof(VkStorageVolStreamParams, fd), VK_FIELD_REQUIRED, NULL,
         "the descriptor to read (upload) or write (download); varlink: its index among those "
         "passed with the call" },
       { "offset", VK_FIELD_UINT, offsetof(VkStorageVolStreamParams, offset), 0, NULL,
         "where in the volume's file to start, bytes" },
       { "length", VK_FIELD_UINT, offsetof(VkStorageVolStreamParams, length), 0, NULL,
         "how many bytes; 0 (the default): to the end of the stream (upload) or file "
         "(download)" })

static const VkField vol_progress_fields[] = {
        { "pool", VK_FIELD_STRING, offsetof(VkStorageVolProgressArgs, pool), VK_FIELD_REQUIRED,
          NULL, "The pool's name" },
        { "volume", VK_FIELD_STRING, offsetof(VkStorageVolProgressArgs, volume), VK_FIELD_REQUIRED,
          NULL, "The volume's name" },
        { "operation", VK_FIELD_STRING, offsetof(VkStorageVolProgressArgs, operation),
          VK_FIELD_REQUIRED, NULL, "clone, wipe, upload or download" },
        { "bytes", VK_FIELD_UINT, offsetof(VkStorageVolProgressArgs, bytes), VK_FIELD_REQUIRED,
          NULL, "done so far (the final reply: all)" },
        { "total", VK_FIELD_UINT, offsetof(VkStorageVolProgressArgs, total), VK_FIELD_REQUIRED,
          NULL, "bytes in all; 0 when not known (an upload from a pipe)" },
        {},
};

const VkStructType vk_storage_vol_progress_type = {
        .name = "StorageVolumeProgress",
        .size = sizeof(VkStorageVolProgressArgs),
        .doc = "How far a volume job is.",
        .fields = vol_progress_fields,
};

STRUCT(vol_lookup_params, VkStorageVolLookupParams,
       { "pool", VK_FIELD_STRING, offsetof(VkStorageVolLookupParams, pool), 0, NULL,
         "with name: the pool's name or UUID" },
       { "name", VK_FIELD_STRING, offsetof(VkStorageVolLookupParams, name), 0, NULL,
         "look up by pool and name, or else:" },
       { "key", VK_FIELD_STRING, offsetof(VkStorageVolLookupParams, key), 0, NULL,
         "by key, or else:" },
       { "path", VK_FIELD_STRING, offsetof(VkStorageVolLookupParams, path), 0, NULL, "by path" })

static const VkField vol_summary_fields[] = {
        { "pool", VK_FIELD_STRING, offsetof(VkStorageVolSummary, pool), VK_FIELD_REQUIRED, NULL,
          "The name of the volume's pool" },
        { "name", VK_FIELD_STRING, offsetof(VkStorageVolSummary, name), VK_FIELD_REQUIRED, NULL,
          "The volume's name" },
        { "key", VK_FIELD_STRING, offsetof(VkStorageVolSummary, key), VK_FIELD_REQUIRED, NULL,
          "The volume's key" },
        { "path", VK_FIELD_STRING, offsetof(VkStorageVolSummary, path), VK_FIELD_REQUIRED, NULL,
          "The volume's path" },
        { "type", VK_FIELD_STRING, offsetof(VkStorageVolSummary, type), VK_FIELD_REQUIRED, NULL,
          "file or block" },
        { "format", VK_FIELD_STRING, offsetof(VkStorageVolSummary, format), VK_FIELD_REQUIRED, NULL,
          "raw, qcow2, ... (none: a logical volume)" },
        { "capacity", VK_FIELD_UINT, offsetof(VkStorageVolSummary, capacity), VK_FIELD_REQUIRED,
          NULL, "the virtual size, bytes" },
        { "allocation", VK_FIELD_UINT, offsetof(VkStorageVolSummary, allocation), VK_FIELD_REQUIRED,
          NULL, "bytes used on the host" },
        { "backingStore", VK_FIELD_STRING, offsetof(VkStorageVolSummary, backing_store),
          VK_FIELD_REQUIRED, NULL, "the backing file's path; empty for none" },
        { "warning", VK_FIELD_STRING, offsetof(VkStorageVolSummary, warning), VK_FIELD_REQUIRED,
          NULL, "what the scan could not read; empty for none" },
        { "encryption", VK_FIELD_STRING, offsetof(VkStorageVolSummary, encryption),
          VK_FIELD_REQUIRED, NULL,
          "luks (a raw LUKS image, or qcow2 with LUKS encryption); empty for none" },
        { "secret", VK_FIELD_STRING, offsetof(VkStorageVolSummary, secret), VK_FIELD_REQUIRED, NULL,
          "the UUID of an encrypted volume's secret; empty when not known (then it is the "
          "secret whose usage is the volume's path)" },
        {},
};

const VkStructType vk_storage_vol_summary_type = {
        .name = "StorageVolume",
        .size = sizeof(VkStorageVolSummary),
        .doc = "One storage volume as its pool's last scan saw it.",
        .fields = vol_summary_fields,
};

STRUCT(vol_list_result, VkStorageVolListResult,
       { "volumes", VK_FIELD_ARRAY, offsetof(VkStorageVolListResult, volumes), VK_FIELD_REQUIRED,
         &vk_storage_vol_summary_type, "The volumes" })

static const VkField event_fields[] = {
        { "pool", VK_FIELD_STRING, offsetof(VkStorageEventArgs, pool), VK_FIELD_REQUIRED, NULL,
          "The pool's name" },
        { "uuid", VK_FIELD_STRING, offsetof(VkStorageEventArgs, uuid), VK_FIELD_REQUIRED, NULL,
          "The pool's UUID" },
        { "event", VK_FIELD_STRING, offsetof(VkStorageEventArgs, event), VK_FIELD_REQUIRED, NULL,
          "defined, undefined, started, stopped, created, deleted, refreshed, volume-created, "
          "volume-deleted or volume-changed" },
        { "volume", VK_FIELD_STRING, offsetof(VkStorageEventArgs, volume), VK_FIELD_REQUIRED, NULL,
          "the volume events: the volume's name; empty otherwise" },
        {},
};

const VkStructType vk_storage_event_type = {
        .size = sizeof(VkStorageEventArgs),
        .fields = event_fields,
};

const VkErrorDecl vk_storage_errors[] = {
        { STORAGE_ERROR_NO_SUCH_POOL, VK_STRV("pool"), "No storage pool with that name or UUID." },
        { STORAGE_ERROR_NO_SUCH_VOLUME, VK_STRV("volume"), "No such storage volume." },
        { STORAGE_ERROR_VOLUME_IN_USE, VK_STRV("volume", "user"),
          "A running domain (user: its name) or another process (user: its pid) has the "
          "volume open." },
        {},
};

const VkSignal vk_storage_signals[] = {
        { "StorageEvent", &vk_storage_event_type,
          "A pool was defined, undefined, started, stopped, built, deleted or refreshed, or one "
          "of its volumes created, deleted or resized" },
        { "VolumeProgress", &vk_storage_vol_progress_type,
          "How far a clone, wipe, upload or download is: when it starts, as it goes (at most "
          "four times a second) and when it ends" },
        {},
};
