/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* storage-pool-job.h: a pool's slow work (mkfs, mount, LVM) as children run one after another */
#pragma once

#include "storage-driver-internal.h"

/* mkfs of a large device, or LVM waiting on a lock, gets this long before it is killed. */
#define STORAGE_POOL_JOB_TIMEOUT_USEC (30ULL * 60 * 1000 * 1000)

/* All commands succeeded: apply what they did to the pool. < 0 (with @reterr): the job
 * fails, and its undo commands run. */
typedef int (*StoragePoolJobFinish)(StoragePoolJob *j, VkError *reterr);
/* The job failed and its undo commands ran: remove what else it made. */
typedef void (*StoragePoolJobCleanup)(StoragePoolJob *j);

struct StoragePoolJob {
        VkStorageDriver *drv;
        PoolObj *pool;
        const char *use;    /* what the pool is while it runs: "being built" */
        GPtrArray *cmds;    /* char **, run in order */
        GPtrArray *undo;    /* char ** or NULL, one per command: what undoes it */
        GPtrArray *outputs; /* char *: the standard output of each command that succeeded */
        guint n_undo;       /* undo commands still to run (from the last that succeeded) */
        VkChild *child;
        VkError error; /* the failure being undone */
        StoragePoolJobFinish finish;
        StoragePoolJobCleanup cleanup;
        VkStoragePoolDoneFunc done;
        void *userdata;

        /* what one operation needs */
        VkStoragePoolDef *live; /* start: the definition to activate */
        char *made_dir;         /* build, start: the target directory this job created */
        char *volume;           /* volume jobs: the volume's name */
        int event;              /* VkStorageEventType emitted on success; -1: none */
};

StoragePoolJob *storage_pool_job_new(VkStorageDriver *drv, PoolObj *o, const char *use);
StoragePoolJob *storage_pool_job_free(StoragePoolJob *j);
void storage_pool_job_add(StoragePoolJob *j, char **argv, char **undo);
int storage_pool_job_start(StoragePoolJob *j, VkStoragePoolDoneFunc done, void *userdata,
                           VkError *reterr);
const char *storage_pool_job_output(const StoragePoolJob *j, guint i);
void storage_pool_jobs_cancel(VkStorageDriver *drv);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(StoragePoolJob, storage_pool_job_free)
