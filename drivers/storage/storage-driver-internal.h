/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* storage-driver-internal.h: what storage-driver.c and storage-driver-vol.c share */
#pragma once

#include "child.h"
#include "storage-driver.h"

typedef struct StorageJob StorageJob;

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
} PoolObj;

struct VkStorageDriver {
        sd_event *event;
        char *pools_dir;     /* <config>/storage */
        char *autostart_dir; /* <config>/storage/autostart */
        char *run_dir;
        char *qemu_img;
        GHashTable *by_name; /* name → PoolObj (owned) */
        GPtrArray *jobs;     /* StorageJob (owned by the array's user: storage-driver-vol.c) */
        VkStorageEventFunc event_cb;
        void *event_userdata;
        VkStorageVolProgressFunc progress_cb;
        void *progress_userdata;
};

int storage_pool_find(VkStorageDriver *drv, const char *name, PoolObj **ret, VkError *reterr);
int storage_pool_find_active(VkStorageDriver *drv, const char *name, PoolObj **ret,
                             VkError *reterr);
int storage_pool_rescan(VkStorageDriver *drv, PoolObj *o, VkError *reterr);
void storage_emit(VkStorageDriver *drv, const PoolObj *o, VkStorageEventType type,
                  const char *volume, bool gone);
