/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* storage-driver.h: the storage driver's plain C API (vk_storage_driver_*), no IPC types */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>
#include <systemd/sd-event.h>

#include "error.h"
#include "storage-argv.h" /* VkStorageResizeFlags */
#include "storage-def.h"
#include "uuid.h"
#include "xml.h"

/* The driver's own error names (qualified io.virtkit.Storage.<Name> on the wire). */
#define VK_STORAGE_ERROR_NO_SUCH_POOL   "NoSuchPool"   /* parameter "pool" */
#define VK_STORAGE_ERROR_NO_SUCH_VOLUME "NoSuchVolume" /* parameter "volume" */
#define VK_STORAGE_ERROR_VOLUME_IN_USE  "VolumeInUse"  /* parameters "volume", "user" */

/* How many pools one driver holds at most, and volume jobs run at once. */
#define VK_STORAGE_DRIVER_MAX_POOLS 4096
#define VK_STORAGE_DRIVER_MAX_JOBS  64

typedef struct VkStorageDriver VkStorageDriver;

typedef struct VkStorageDriverConfig {
        sd_event *event;            /* qemu-img runs as children watched on it */
        const char *config_dir;     /* definitions: storage/<name>.xml, storage/autostart/ */
        const char *run_dir;        /* status files of active pools */
        const char *default_target; /* the `default` dir pool's target, defined when
                                     * storage/ does not exist yet; NULL: none */
        const char *qemu_img;       /* NULL: /usr/bin/qemu-img */
        const char *secret_socket;  /* virtkit-secretd, asked for the passphrases of encrypted
                                     * volumes; NULL: none (encrypted volumes are refused) */
} VkStorageDriverConfig;

/* What a list or a lookup tells about one pool. */
typedef struct VkStoragePoolInfo {
        char *name;
        VkUuid uuid;
        VkStoragePoolType type;
        bool active;
        bool persistent;
        bool autostart;
        /* active pools: from the last refresh (0 otherwise) */
        uint64_t capacity, allocation, available;
        unsigned n_volumes;
} VkStoragePoolInfo;

void vk_storage_pool_info_free(VkStoragePoolInfo *info);

/* What a list or a lookup tells about one volume. */
typedef struct VkStorageVolInfo {
        char *pool;
        char *name;
        char *key;
        char *path;
        VkStorageVolType type;
        VkImageFormat format;
        uint64_t capacity, allocation;
        char *backing_path; /* NULL: none */
        char *warning;      /* what a refresh could not read; NULL: none */
        bool encrypted;     /* LUKS (a raw LUKS image, or qcow2 with encrypt.format=luks) */
        char *secret;       /* encrypted: its secret's UUID; NULL: not known (by usage) */
} VkStorageVolInfo;

void vk_storage_vol_info_free(VkStorageVolInfo *info);

/* List filters: VK_TRISTATE_ABSENT matches everything. */
typedef struct VkStoragePoolFilter {
        VkTristate active;
        VkTristate persistent;
        VkTristate autostart;
        int type; /* VkStoragePoolType; -1: any */
} VkStoragePoolFilter;

/* libvirt's pool lifecycle events, the refresh event, and volume changes. */
typedef enum VkStorageEventType {
        VK_STORAGE_EVENT_DEFINED,
        VK_STORAGE_EVENT_UNDEFINED,
        VK_STORAGE_EVENT_STARTED,
        VK_STORAGE_EVENT_STOPPED,
        VK_STORAGE_EVENT_CREATED, /* built */
        VK_STORAGE_EVENT_DELETED,
        VK_STORAGE_EVENT_REFRESHED,
        VK_STORAGE_EVENT_VOLUME_CREATED,
        VK_STORAGE_EVENT_VOLUME_DELETED,
        VK_STORAGE_EVENT_VOLUME_CHANGED, /* resized */
        _VK_STORAGE_EVENT_MAX,
        _VK_STORAGE_EVENT_INVALID = -EINVAL,
} VkStorageEventType;

const char *vk_storage_event_type_to_string(VkStorageEventType t);
VkStorageEventType vk_storage_event_type_from_string(const char *s);

typedef struct VkStorageEvent {
        VkStorageEventType type;
        const char *pool;
        const char *uuid;
        const char *volume; /* the volume events: its name; NULL otherwise */
        bool gone;          /* the pool no longer exists */
} VkStorageEvent;

/* Runs after the change is visible, from inside the driver call (or job) that made it. */
typedef void (*VkStorageEventFunc)(VkStorageDriver *drv, const VkStorageEvent *ev, void *userdata);

/*
 * A volume job's end, from the loop (never from inside the call that started it): @info on
 * success, else NULL and @error. Both are borrowed for the call.
 */
typedef void (*VkStorageVolDoneFunc)(VkStorageDriver *drv, const VkStorageVolInfo *info,
                                     const VkError *error, void *userdata);

/*
 * A pool operation's end when it ran children (mkfs, mount, LVM), from the loop (never from
 * inside the call that started it): @error NULL on success. @pool and @error are borrowed.
 */
typedef void (*VkStoragePoolDoneFunc)(VkStorageDriver *drv, const char *pool, const VkError *error,
                                      void *userdata);

/* libvirt's pool build flags */
typedef enum VkStoragePoolBuildFlags {
        /* mkfs or pvcreate may write over a filesystem, PV or partition table already there */
        VK_STORAGE_POOL_BUILD_OVERWRITE = 1 << 0,
} VkStoragePoolBuildFlags;

/* How far a volume job is: told when it starts, as it goes, and once more at the end. */
typedef struct VkStorageVolProgress {
        const char *pool;
        const char *volume;
        const char *operation; /* "clone", "wipe", "upload" or "download" */
        uint64_t bytes;        /* done so far */
        uint64_t total;        /* 0: not known (an upload from a pipe) */
} VkStorageVolProgress;

/* @job_userdata is what the job's starter gave (the userdata of its VkStorageVolDoneFunc). */
typedef void (*VkStorageVolProgressFunc)(VkStorageDriver *drv, const VkStorageVolProgress *p,
                                         void *job_userdata, void *userdata);

int vk_storage_driver_new(const VkStorageDriverConfig *cfg, VkStorageDriver **ret_drv,
                          GPtrArray **ret_warnings, VkError *reterr);
VkStorageDriver *vk_storage_driver_free(VkStorageDriver *drv);
void vk_storage_driver_set_event_callback(VkStorageDriver *drv, VkStorageEventFunc cb,
                                          void *userdata);
void vk_storage_driver_set_progress_callback(VkStorageDriver *drv, VkStorageVolProgressFunc cb,
                                             void *userdata);
unsigned vk_storage_driver_count(const VkStorageDriver *drv);
unsigned vk_storage_driver_jobs(const VkStorageDriver *drv);
void vk_storage_driver_cancel_jobs(VkStorageDriver *drv);
void vk_storage_driver_autostart(VkStorageDriver *drv, GPtrArray *warnings,
                                 VkStoragePoolDoneFunc done, void *userdata);

/* pools: @pool takes a pool's name or UUID */
int vk_storage_driver_pool_define(VkStorageDriver *drv, const char *xml,
                                  VkStoragePoolInfo **ret_info, VkError *reterr);
int vk_storage_driver_pool_undefine(VkStorageDriver *drv, const char *pool, VkError *reterr);
/*
 * The lifecycle calls return 0 when done, or 1 when children run (fs and logical pools):
 * @done (may be NULL) is then called from the loop when they end. On < 0 (@reterr set)
 * @done is never called.
 */
int vk_storage_driver_pool_build(VkStorageDriver *drv, const char *pool, unsigned flags,
                                 VkStoragePoolDoneFunc done, void *userdata, VkError *reterr);
int vk_storage_driver_pool_create(VkStorageDriver *drv, const char *pool, bool build,
                                  VkStoragePoolDoneFunc done, void *userdata, VkError *reterr);
int vk_storage_driver_pool_create_xml(VkStorageDriver *drv, const char *xml, bool build,
                                      VkStoragePoolInfo **ret_info, VkStoragePoolDoneFunc done,
                                      void *userdata, VkError *reterr);
int vk_storage_driver_pool_destroy(VkStorageDriver *drv, const char *pool,
                                   VkStoragePoolDoneFunc done, void *userdata, VkError *reterr);
int vk_storage_driver_pool_delete(VkStorageDriver *drv, const char *pool,
                                  VkStoragePoolDoneFunc done, void *userdata, VkError *reterr);
int vk_storage_driver_pool_refresh(VkStorageDriver *drv, const char *pool,
                                   VkStoragePoolDoneFunc done, void *userdata, VkError *reterr);
int vk_storage_driver_pool_get_xml(VkStorageDriver *drv, const char *pool, bool inactive,
                                   char **ret_xml, VkError *reterr);
int vk_storage_driver_pool_lookup(VkStorageDriver *drv, const char *name, const char *uuid,
                                  VkStoragePoolInfo **ret_info, VkError *reterr);
int vk_storage_driver_pool_list(VkStorageDriver *drv, const VkStoragePoolFilter *filter,
                                GPtrArray **ret_infos, VkError *reterr);
int vk_storage_driver_pool_set_autostart(VkStorageDriver *drv, const char *pool, bool autostart,
                                         VkError *reterr);

/* volumes: in the active pool @pool by @name */
int vk_storage_driver_vol_create(VkStorageDriver *drv, const char *pool, const char *xml,
                                 VkStorageVolDoneFunc done, void *userdata, VkError *reterr);
int vk_storage_driver_vol_create_from(VkStorageDriver *drv, const char *pool, const char *xml,
                                      const char *source_pool, const char *source,
                                      VkStorageVolDoneFunc done, void *userdata, VkError *reterr);
int vk_storage_driver_vol_resize(VkStorageDriver *drv, const char *pool, const char *name,
                                 uint64_t capacity, unsigned flags, VkStorageVolDoneFunc done,
                                 void *userdata, VkError *reterr);
int vk_storage_driver_vol_delete(VkStorageDriver *drv, const char *pool, const char *name,
                                 VkStoragePoolDoneFunc done, void *userdata, VkError *reterr);
int vk_storage_driver_vol_wipe(VkStorageDriver *drv, const char *pool, const char *name,
                               VkStorageVolDoneFunc done, void *userdata, VkError *reterr);
int vk_storage_driver_vol_upload(VkStorageDriver *drv, const char *pool, const char *name, int fd,
                                 uint64_t offset, uint64_t length, VkStorageVolDoneFunc done,
                                 void *userdata, VkError *reterr);
int vk_storage_driver_vol_download(VkStorageDriver *drv, const char *pool, const char *name, int fd,
                                   uint64_t offset, uint64_t length, VkStorageVolDoneFunc done,
                                   void *userdata, VkError *reterr);
int vk_storage_driver_vol_lookup(VkStorageDriver *drv, const char *pool, const char *name,
                                 const char *key, const char *path, VkStorageVolInfo **ret_info,
                                 VkError *reterr);
int vk_storage_driver_vol_get_xml(VkStorageDriver *drv, const char *pool, const char *name,
                                  char **ret_xml, VkError *reterr);
int vk_storage_driver_vol_list(VkStorageDriver *drv, const char *pool, GPtrArray **ret_infos,
                               VkError *reterr);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(VkStorageDriver, vk_storage_driver_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VkStoragePoolInfo, vk_storage_pool_info_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VkStorageVolInfo, vk_storage_vol_info_free)
