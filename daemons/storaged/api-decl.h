/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* api-decl.h: the io.virtkit.Storage methods, declared once for every front door serving them */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "method.h"

/*
 * virtkit-storaged answers these methods (daemons/storaged/api.c). VK_STORAGE_METHODS(M)
 * expands M(name, handler, in, out, auth, flags, doc) once per method, so that another front
 * door (qemud, later) can serve the same declarations by forwarding. "pool" parameters take a
 * pool's name or its UUID; "volume" parameters a volume's name in that pool.
 */

typedef struct VkStorageXmlParams {
        char *xml;
        bool build;
} VkStorageXmlParams;

typedef struct VkStorageIdResult {
        char *name;
        char *uuid;
} VkStorageIdResult;

typedef struct VkStoragePoolParams {
        char *pool;
} VkStoragePoolParams;

typedef struct VkStorageBuildParams {
        char *pool;
        bool overwrite;
} VkStorageBuildParams;

typedef struct VkStorageStartParams {
        char *pool;
        bool build;
} VkStorageStartParams;

typedef struct VkStorageGetXmlParams {
        char *pool;
        bool inactive;
} VkStorageGetXmlParams;

typedef struct VkStorageXmlResult {
        char *xml;
} VkStorageXmlResult;

typedef struct VkStoragePoolSummary {
        char *name;
        char *uuid;
        char *type;
        bool active;
        bool persistent;
        bool autostart;
        uint64_t capacity;
        uint64_t allocation;
        uint64_t available;
        uint64_t volumes;
} VkStoragePoolSummary;

typedef struct VkStorageLookupParams {
        char *name;
        char *uuid;
        char *volume;
} VkStorageLookupParams;

typedef struct VkStorageListParams {
        char *active;
        char *persistent;
        char *autostart;
        char *type;
} VkStorageListParams;

typedef struct VkStorageListResult {
        VkArray pools; /* of VkStoragePoolSummary */
} VkStorageListResult;

typedef struct VkStorageAutostartParams {
        char *pool;
        bool autostart;
} VkStorageAutostartParams;

typedef struct VkStorageVolCreateParams {
        char *pool;
        char *xml;
} VkStorageVolCreateParams;

typedef struct VkStorageVolCreateFromParams {
        char *pool;
        char *xml;
        char *source_pool;
        char *source;
} VkStorageVolCreateFromParams;

typedef struct VkStorageVolParams {
        char *pool;
        char *volume;
} VkStorageVolParams;

typedef struct VkStorageVolResizeParams {
        char *pool;
        char *volume;
        uint64_t capacity;
        bool shrink;
        bool allocate;
} VkStorageVolResizeParams;

typedef struct VkStorageVolWipeParams {
        char *pool;
        char *volume;
        char *algorithm;
} VkStorageVolWipeParams;

typedef struct VkStorageVolStreamParams {
        char *pool;
        char *volume;
        VkFd fd;
        uint64_t offset;
        uint64_t length;
} VkStorageVolStreamParams;

/* How far a wipe, upload or download is: its "more" replies, its final reply, and on D-Bus
 * (for clones too) the VolumeProgress signal. */
typedef struct VkStorageVolProgressArgs {
        char *pool;
        char *volume;
        char *operation;
        uint64_t bytes;
        uint64_t total;
} VkStorageVolProgressArgs;

typedef struct VkStorageVolLookupParams {
        char *pool;
        char *name;
        char *key;
        char *path;
} VkStorageVolLookupParams;

typedef struct VkStorageVolSummary {
        char *pool;
        char *name;
        char *key;
        char *path;
        char *type;
        char *format;
        uint64_t capacity;
        uint64_t allocation;
        char *backing_store;
        char *warning;
        char *encryption;
        char *secret;
} VkStorageVolSummary;

typedef struct VkStorageVolListResult {
        VkArray volumes; /* of VkStorageVolSummary */
} VkStorageVolListResult;

/* One change of a pool: a SubscribeEvents reply and the StorageEvent signal. */
typedef struct VkStorageEventArgs {
        char *pool;
        char *uuid;
        char *event;
        char *volume;
} VkStorageEventArgs;

extern const VkStructType vk_storage_xml_params_type;
extern const VkStructType vk_storage_id_result_type;
extern const VkStructType vk_storage_pool_params_type;
extern const VkStructType vk_storage_start_params_type;
extern const VkStructType vk_storage_get_xml_params_type;
extern const VkStructType vk_storage_xml_result_type;
extern const VkStructType vk_storage_pool_summary_type;
extern const VkStructType vk_storage_lookup_params_type;
extern const VkStructType vk_storage_list_params_type;
extern const VkStructType vk_storage_list_result_type;
extern const VkStructType vk_storage_autostart_params_type;
extern const VkStructType vk_storage_vol_create_params_type;
extern const VkStructType vk_storage_vol_create_from_params_type;
extern const VkStructType vk_storage_build_params_type;
extern const VkStructType vk_storage_vol_params_type;
extern const VkStructType vk_storage_vol_resize_params_type;
extern const VkStructType vk_storage_vol_wipe_params_type;
extern const VkStructType vk_storage_vol_stream_params_type;
extern const VkStructType vk_storage_vol_progress_type;
extern const VkStructType vk_storage_vol_lookup_params_type;
extern const VkStructType vk_storage_vol_summary_type;
extern const VkStructType vk_storage_vol_list_result_type;
extern const VkStructType vk_storage_event_type;

extern const VkErrorDecl vk_storage_errors[];
extern const VkSignal vk_storage_signals[];

#define VK_STORAGE_METHODS(M)                                                                      \
        M("DefineStoragePool", define_pool, &vk_storage_xml_params_type,                           \
          &vk_storage_id_result_type, VK_AUTH_MANAGE, 0,                                           \
          "Define a pool from libvirt's pool XML, or redefine the one of that name.")              \
        M("UndefineStoragePool", undefine_pool, &vk_storage_pool_params_type, NULL,                \
          VK_AUTH_MANAGE, 0, "Forget a pool's definition; an active pool goes on, transient.")     \
        M("BuildStoragePool", build_pool, &vk_storage_build_params_type, NULL, VK_AUTH_MANAGE, 0,  \
          "Build an inactive pool: a dir pool's target directory with its permissions; an fs "     \
          "pool's too and mkfs on its device; a logical pool's volume group.")                     \
        M("CreateStoragePool", create_pool, &vk_storage_start_params_type, NULL, VK_AUTH_MANAGE,   \
          0, "Start a defined pool (build it first with build) and scan its volumes.")             \
        M("CreateStoragePoolXML", create_pool_xml, &vk_storage_xml_params_type,                    \
          &vk_storage_id_result_type, VK_AUTH_MANAGE, 0,                                           \
          "Start a transient pool from libvirt's pool XML.")                                       \
        M("DestroyStoragePool", destroy_pool, &vk_storage_pool_params_type, NULL, VK_AUTH_MANAGE,  \
          0, "Stop a pool (its volumes stay on disk); a transient pool is gone.")                  \
        M("DeleteStoragePool", delete_pool, &vk_storage_pool_params_type, NULL, VK_AUTH_MANAGE, 0, \
          "Delete an inactive pool's storage: a dir or fs pool's empty target directory, a "       \
          "logical pool's volume group.")                                                          \
        M("RefreshStoragePool", refresh_pool, &vk_storage_pool_params_type, NULL, VK_AUTH_MANAGE,  \
          0, "Scan an active pool again: its volumes and its figures.")                            \
        M("GetStoragePoolInfo", get_pool_info, &vk_storage_pool_params_type,                       \
          &vk_storage_pool_summary_type, VK_AUTH_READ, 0,                                          \
          "A pool's state and figures (capacity, allocation, available bytes).")                   \
        M("GetStoragePoolXML", get_pool_xml, &vk_storage_get_xml_params_type,                      \
          &vk_storage_xml_result_type, VK_AUTH_READ, 0,                                            \
          "A pool's live definition with its figures, or its persistent one with inactive.")       \
        M("LookupStoragePool", lookup_pool, &vk_storage_lookup_params_type,                        \
          &vk_storage_pool_summary_type, VK_AUTH_READ, 0,                                          \
          "Find a pool by name, by UUID, or by the key or path of one of its volumes.")            \
        M("ListStoragePools", list_pools, &vk_storage_list_params_type,                            \
          &vk_storage_list_result_type, VK_AUTH_READ, 0,                                           \
          "The pools, sorted by name, optionally filtered by state and type.")                     \
        M("SetStoragePoolAutostart", set_pool_autostart, &vk_storage_autostart_params_type, NULL,  \
          VK_AUTH_MANAGE, 0, "Whether a persistent pool starts with the daemon.")                  \
        M("CreateVolume", create_volume, &vk_storage_vol_create_params_type,                       \
          &vk_storage_vol_summary_type, VK_AUTH_MANAGE, VK_METHOD_JOB,                             \
          "Create a volume in an active pool from libvirt's volume XML (qemu-img create).")        \
        M("CreateVolumeFrom", create_volume_from, &vk_storage_vol_create_from_params_type,         \
          &vk_storage_vol_summary_type, VK_AUTH_MANAGE, VK_METHOD_JOB,                             \
          "Create a volume as a full copy of another one (qemu-img convert); D-Bus: progress "     \
          "as VolumeProgress signals.")                                                            \
        M("DeleteVolume", delete_volume, &vk_storage_vol_params_type, NULL, VK_AUTH_MANAGE, 0,     \
          "Delete a volume and its file; refused (VolumeInUse) while a domain uses it.")           \
        M("ResizeVolume", resize_volume, &vk_storage_vol_resize_params_type,                       \
          &vk_storage_vol_summary_type, VK_AUTH_MANAGE, VK_METHOD_JOB,                             \
          "Change a volume's capacity (qemu-img resize); shrinking must be asked for.")            \
        M("WipeVolume", wipe_volume, &vk_storage_vol_wipe_params_type,                             \
          &vk_storage_vol_progress_type, VK_AUTH_MANAGE, VK_METHOD_JOB,                            \
          "Write zeros over a volume, keeping its format and capacity. With more: progress "       \
          "replies; D-Bus: VolumeProgress signals.")                                               \
        M("UploadVolume", upload_volume, &vk_storage_vol_stream_params_type,                       \
          &vk_storage_vol_progress_type, VK_AUTH_MANAGE, VK_METHOD_JOB,                            \
          "Write what a passed descriptor gives into a volume's file (virStorageVolUpload). "      \
          "With more: progress replies; D-Bus: VolumeProgress signals.")                           \
        M("DownloadVolume", download_volume, &vk_storage_vol_stream_params_type,                   \
          &vk_storage_vol_progress_type, VK_AUTH_MANAGE, VK_METHOD_JOB,                            \
          "Write a volume's file into a passed descriptor (virStorageVolDownload). With more: "    \
          "progress replies; D-Bus: VolumeProgress signals.")                                      \
        M("LookupVolume", lookup_volume, &vk_storage_vol_lookup_params_type,                       \
          &vk_storage_vol_summary_type, VK_AUTH_READ, 0,                                           \
          "Find a volume by pool and name, by key, or by path.")                                   \
        M("GetVolumeInfo", get_volume_info, &vk_storage_vol_params_type,                           \
          &vk_storage_vol_summary_type, VK_AUTH_READ, 0,                                           \
          "A volume's type, format, capacity, allocation and path.")                               \
        M("GetVolumeXML", get_volume_xml, &vk_storage_vol_params_type,                             \
          &vk_storage_xml_result_type, VK_AUTH_READ, 0, "A volume as libvirt's volume XML.")       \
        M("ListVolumes", list_volumes, &vk_storage_pool_params_type,                               \
          &vk_storage_vol_list_result_type, VK_AUTH_READ, 0,                                       \
          "The volumes of an active pool, sorted by name, as its last scan saw them.")             \
        M("SubscribeEvents", subscribe_events, NULL, &vk_storage_event_type, VK_AUTH_READ,         \
          VK_METHOD_STREAM,                                                                        \
          "One reply per change of a pool or volume (call with more); D-Bus: the StorageEvent "    \
          "signal.")
