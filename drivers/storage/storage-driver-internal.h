/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* storage-driver-internal.h: what storage-driver.c and storage-driver-vol.c share */
#pragma once

#include "child.h"
#include "storage-driver.h"

typedef struct StorageJob StorageJob;
typedef struct StoragePoolJob StoragePoolJob;

/* What a running job does with a volume: nothing else may touch it meanwhile. */
#define STORAGE_USE_CREATE   "being created"
#define STORAGE_USE_READ     "being cloned"
#define STORAGE_USE_RESIZE   "being resized"
#define STORAGE_USE_WIPE     "being wiped"
#define STORAGE_USE_UPLOAD   "being uploaded to"
#define STORAGE_USE_DOWNLOAD "being downloaded"

typedef struct PoolObj {
        char *name;
        char uuid[VK_UUID_STRING_MAX];
        VkStoragePoolDef *def;  /* the persistent definition; NULL: transient */
        VkStoragePoolDef *live; /* the running definition with its figures; NULL: inactive */
        bool autostart;
        GPtrArray *vols;  /* VkStorageVolDef of an active pool, sorted by name; NULL: none */
        GHashTable *busy; /* volume name → what a job does with it (STORAGE_USE_*) */
        unsigned n_jobs;
        StoragePoolJob *job;  /* a build, start, stop, refresh or delete running; NULL: none */
        GHashTable *thin_lvs; /* logical pools: the names of thin volumes; NULL: none */
} PoolObj;

struct VkStorageDriver {
        sd_event *event;
        char *pools_dir;     /* <config>/storage */
        char *autostart_dir; /* <config>/storage/autostart */
        char *run_dir;
        char *qemu_img;
        GHashTable *by_name;  /* name → PoolObj (owned) */
        GPtrArray *jobs;      /* StorageJob (owned by the array's user: storage-driver-vol.c) */
        GPtrArray *pool_jobs; /* StoragePoolJob (owned by storage-pool-job.c) */
        VkStorageTools tools; /* mount, mkfs, lvm (and qemu_img) */
        VkStorageEventFunc event_cb;
        void *event_userdata;
        VkStorageVolProgressFunc progress_cb;
        void *progress_userdata;
        char *secret_socket;     /* virtkit-secretd's; NULL: encrypted volumes are refused */
        GHashTable *vol_secrets; /* volume path → secret UUID (storage-vol-luks.c); NULL: unread */
};

int storage_pool_find(VkStorageDriver *drv, const char *name, PoolObj **ret, VkError *reterr);
int storage_pool_find_active(VkStorageDriver *drv, const char *name, PoolObj **ret,
                             VkError *reterr);
VkStorageVolDef *storage_pool_vol(const PoolObj *o, const char *name);
VkStorageVolInfo *storage_vol_info(const PoolObj *o, const VkStorageVolDef *v);
int storage_pool_rescan(VkStorageDriver *drv, PoolObj *o, VkError *reterr);
int storage_pool_update_vol(VkStorageDriver *drv, PoolObj *o, const char *name, VkError *reterr);
void storage_pool_set_vols(PoolObj *o, GPtrArray *vols);
int storage_pool_check_idle(const PoolObj *o, VkError *reterr);
int storage_pool_deactivate(VkStorageDriver *drv, PoolObj *o, VkError *reterr);
void storage_pool_forget(VkStorageDriver *drv, PoolObj *o, int event);
int storage_pool_save_status(VkStorageDriver *drv, const PoolObj *o, VkError *reterr);
void storage_emit(VkStorageDriver *drv, const PoolObj *o, VkStorageEventType type,
                  const char *volume, bool gone);

/* the backends of fs (storage-fs.c) and logical (storage-logical.c) pools: each returns 1 when
 * children run (@done called from the loop), 0 when done, < 0 with @reterr */
int storage_fs_build(VkStorageDriver *drv, PoolObj *o, unsigned flags, VkStoragePoolDoneFunc done,
                     void *userdata, VkError *reterr);
int storage_fs_start(VkStorageDriver *drv, PoolObj *o, const VkStoragePoolDef *def, bool build,
                     VkStoragePoolDoneFunc done, void *userdata, VkError *reterr);
int storage_fs_stop(VkStorageDriver *drv, PoolObj *o, VkStoragePoolDoneFunc done, void *userdata,
                    VkError *reterr);
int storage_fs_check_mounted(const VkStoragePoolDef *def, VkError *reterr);
struct stat;
int storage_device_check(const VkStoragePoolDef *pool, const char *path, bool allow_file,
                         struct stat *ret_st, VkError *reterr);
int storage_device_check_blank(const VkStoragePoolDef *pool, const char *path, unsigned flags,
                               VkError *reterr);

int storage_logical_build(VkStorageDriver *drv, PoolObj *o, unsigned flags,
                          VkStoragePoolDoneFunc done, void *userdata, VkError *reterr);
int storage_logical_start(VkStorageDriver *drv, PoolObj *o, const VkStoragePoolDef *def, bool build,
                          VkStoragePoolDoneFunc done, void *userdata, VkError *reterr);
int storage_logical_stop(VkStorageDriver *drv, PoolObj *o, VkStoragePoolDoneFunc done,
                         void *userdata, VkError *reterr);
int storage_logical_delete(VkStorageDriver *drv, PoolObj *o, VkStoragePoolDoneFunc done,
                           void *userdata, VkError *reterr);
int storage_logical_refresh(VkStorageDriver *drv, PoolObj *o, VkStoragePoolDoneFunc done,
                            void *userdata, VkError *reterr);
int storage_logical_vol_create(VkStorageDriver *drv, PoolObj *o, VkStorageVolDef *vol,
                               VkStorageVolDoneFunc done, void *userdata, VkError *reterr);
int storage_logical_vol_delete(VkStorageDriver *drv, PoolObj *o, const VkStorageVolDef *vol,
                               VkStoragePoolDoneFunc done, void *userdata, VkError *reterr);
