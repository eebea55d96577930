/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* storage-vol-job.h: volume jobs: a child (qemu-img, dd) on the loop, its volumes held busy */
#pragma once

#include "storage-argv.h"
#include "storage-driver-internal.h"

/* dd copies uploads and downloads (children get no PATH; /bin/dd is there with or without
 * merged /usr). */
#define STORAGE_DD "/bin/dd"

typedef struct StorageLuksFetch StorageLuksFetch;

typedef enum StorageJobKind {
        STORAGE_JOB_CREATE,
        STORAGE_JOB_CLONE,
        STORAGE_JOB_RESIZE,
        STORAGE_JOB_WIPE,
        STORAGE_JOB_UPLOAD,
        STORAGE_JOB_DOWNLOAD,
} StorageJobKind;

/* How a job's child tells its progress. */
typedef enum StorageJobProgress {
        STORAGE_PROGRESS_NONE,
        STORAGE_PROGRESS_QEMU_IMG, /* qemu-img -p on stdout: "    (12.34/100%)\r" */
        STORAGE_PROGRESS_DD,       /* dd status=progress on stderr: "1048576 bytes (...) copied" */
} StorageJobProgress;

/* One child on a volume; it holds its volumes busy in their pools until it ends. */
struct StorageJob {
        VkStorageDriver *drv;
        StorageJobKind kind;
        PoolObj *pool; /* active, and cannot stop while n_jobs > 0 */
        char *name;
        PoolObj *source_pool; /* clone: where the source is; NULL otherwise */
        char *source;
        char *remove_path; /* create, clone: the file we made, removed when the job fails */
        VkChild *child;
        sd_event_source *defer_source; /* done in-process: ends from the loop */
        VkStorageVolDoneFunc done;
        void *userdata;
        /* progress */
        StorageJobProgress parser;
        int progress_fd; /* the read end of the child's progress stream; -1: none */
        sd_event_source *progress_source;
        GString *text;   /* what the progress stream said, its last 4 KiB (dd's errors) */
        uint64_t total;  /* bytes the job handles; 0: not known */
        uint64_t bytes;  /* done so far */
        uint64_t expect; /* upload: the bytes that must come (0: until the end) */
        uint64_t last_usec;
        int stream_fd; /* upload, download: the caller's descriptor; -1: none */
        /* encrypted volumes (storage-vol-luks.c) */
        StorageLuksFetch *luks; /* the passphrase being asked of secretd; NULL: none */
        int secret_fd;          /* the passphrase pipe's read end, the child's fd 3; -1: none */
};

StorageJob *storage_job_new(VkStorageDriver *drv, StorageJobKind kind, PoolObj *o, const char *name,
                            VkStorageVolDoneFunc done, void *userdata);
void storage_job_hold(PoolObj *o, const char *name, const char *use);
int storage_job_check_limit(VkStorageDriver *drv, VkError *reterr);
int storage_job_start(StorageJob *j, char **argv, VkError *reterr);
int storage_job_finish_later(StorageJob *j, VkError *reterr);
void storage_job_track(StorageJob *j);
int storage_job_spawn(StorageJob *j, char **argv, VkError *reterr);
void storage_job_fail(StorageJob *j, const VkError *error);
int storage_job_abort(StorageJob *j, int r);
const char *storage_job_kind_to_string(StorageJobKind k);

VkStorageTools storage_driver_tools(VkStorageDriver *drv);
int storage_vol_check_unused(const PoolObj *o, const VkStorageVolDef *v, const char *verb,
                             VkError *reterr);
int storage_vol_find(VkStorageDriver *drv, const char *pool, const char *name, bool check_busy,
                     PoolObj **ret_pool, VkStorageVolDef **ret_vol, VkError *reterr);
