/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* storage-pool-job.c: a pool's slow work (mkfs, mount, LVM) as children run one after another */
#include <assert.h>
#include <string.h>

#include "macro.h"
#include "storage-pool-job.h"

/*
 * A pool job runs a list of commands (mkfs then mount; pvcreate, vgcreate, vgchange, vgs,
 * lvs) as children watched by the loop, one after another. While it runs the pool is held:
 * another build, start, stop, refresh or delete, and volume changes, get a Busy error naming
 * the pool (a volume job holds only its volume). When a command fails, the undo commands of
 * those that succeeded run in reverse (pvremove what pvcreate made), their own failures
 * ignored, then the job's cleanup hook, and the caller hears the first failure: a failed
 * build or start leaves nothing behind.
 */

/* Children get an empty environment: C messages, and no warnings about our closed fds. */
static const char *const pool_job_env[] = { "LC_ALL=C", "LVM_SUPPRESS_FD_WARNINGS=1", NULL };

/* A new job on @o (not held yet: storage_pool_job_start() does it). */
StoragePoolJob *storage_pool_job_new(VkStorageDriver *drv, PoolObj *o, const char *use) {
        StoragePoolJob *j = g_new0(StoragePoolJob, 1);

        j->drv = drv;
        j->pool = o;
        j->use = use;
        j->cmds = g_ptr_array_new_with_free_func((GDestroyNotify) g_strfreev);
        j->undo = g_ptr_array_new_with_free_func((GDestroyNotify) g_strfreev);
        j->outputs = g_ptr_array_new_with_free_func(g_free);
        j->error = (VkError) VK_ERROR_INIT;
        j->event = -1;
        return j;
}

/* Free @j (takes NULL); a running child is killed. Returns NULL. */
StoragePoolJob *storage_pool_job_free(StoragePoolJob *j) {
        if (!j)
                return NULL;
        vk_child_free(j->child);
        g_ptr_array_unref(j->cmds);
        g_ptr_array_unref(j->undo);
        g_ptr_array_unref(j->outputs);
        vk_error_done(&j->error);
        vk_storage_pool_def_free(j->live);
        g_free(j->made_dir);
        g_free(j->volume);
        g_free(j);
        return NULL;
}

/* Append the command @argv (taken) and what undoes it, @undo (taken; NULL: nothing). */
void storage_pool_job_add(StoragePoolJob *j, char **argv, char **undo) {
        assert(argv);
        g_ptr_array_add(j->cmds, argv);
        g_ptr_array_add(j->undo, undo);
}

/* The standard output of the job's command @i, once it succeeded; NULL otherwise. */
const char *storage_pool_job_output(const StoragePoolJob *j, guint i) {
        return i < j->outputs->len ? j->outputs->pdata[i] : NULL;
}

static void pool_job_hold(StoragePoolJob *j) {
        if (j->volume) {
                g_hash_table_replace(j->pool->busy, g_strdup(j->volume), (gpointer) j->use);
                j->pool->n_jobs++;
        } else
                j->pool->job = j;
        g_ptr_array_add(j->drv->pool_jobs, j);
}

static void pool_job_release(StoragePoolJob *j) {
        if (j->volume) {
                g_hash_table_remove(j->pool->busy, j->volume);
                j->pool->n_jobs--;
        } else if (j->pool->job == j)
                j->pool->job = NULL;
        g_ptr_array_remove(j->drv->pool_jobs, j);
}

/* End @j: release the pool, tell (a transient pool left inactive is gone then), tell the
 * caller, free @j. */
static void pool_job_end(StoragePoolJob *j) {
        g_autoptr(StoragePoolJob) job = j;
        VkStorageDriver *drv = j->drv;
        g_autofree char *name = g_strdup(j->pool->name);
        bool failed = vk_error_is_set(&j->error);
        int event = failed ? -1 : j->event;

        pool_job_release(j);
        if (failed && j->cleanup)
                j->cleanup(j);
        if (!j->pool->def && !j->pool->live)
                storage_pool_forget(drv, j->pool, event);
        else if (event >= 0)
                storage_emit(drv, j->pool, (VkStorageEventType) event, j->volume, false);
        j->pool = NULL;
        if (j->done)
                j->done(drv, name, failed ? &j->error : NULL, j->userdata);
}

static int pool_job_spawn(StoragePoolJob *j, char **argv, VkError *reterr);

/* Run the next undo command, or end the job when none is left. */
static void pool_job_undo_next(StoragePoolJob *j) {
        while (j->n_undo > 0) {
                char **undo = j->undo->pdata[--j->n_undo];

                if (undo && pool_job_spawn(j, undo, NULL) >= 0)
                        return;
        }
        pool_job_end(j);
}

/* Fail @j with @e (moved): undo what its commands did, then end it. */
static void pool_job_fail(StoragePoolJob *j, VkError *e) {
        vk_error_move(&j->error, e);
        j->n_undo = j->outputs->len;
        pool_job_undo_next(j);
}

static void pool_job_next(StoragePoolJob *j) {
        VkError e = VK_ERROR_INIT;
        guint i = j->outputs->len;

        if (i < j->cmds->len) {
                if (pool_job_spawn(j, j->cmds->pdata[i], &e) < 0)
                        pool_job_fail(j, &e);
                return;
        }
        if (j->finish && j->finish(j, &e) < 0) {
                pool_job_fail(j, &e);
                return;
        }
        pool_job_end(j);
}

/* "mkfs.ext4 failed (exit status 1): <what it said>" */
static void pool_job_child_error(StoragePoolJob *j, VkChild *child, const VkChildExit *ex,
                                 VkError *e) {
        char **argv = j->cmds->pdata[j->outputs->len];
        g_autofree char *prog = g_path_get_basename(argv[0]);
        g_autofree char *out = NULL;
        const char *what = argv[1] && strcmp(prog, "lvm") == 0 ? argv[1] : prog;

        out = g_strstrip(g_strdup(vk_strempty(vk_child_get_output(child, VK_CHILD_STDERR, NULL))));
        if (ex->timed_out)
                (void) vk_error_set(e, VK_ERROR_TIMEOUT, -ETIMEDOUT,
                                    "Storage pool '%s': %s took too long and was killed",
                                    j->pool->name, what);
        else if (ex->code == CLD_EXITED)
                (void) vk_error_set(e, VK_ERROR_OPERATION_FAILED, -EIO,
                                    "Storage pool '%s': %s failed (exit status %d)%s%s",
                                    j->pool->name, what, ex->status, *out ? ": " : "", out);
        else
                (void) vk_error_set(e, VK_ERROR_OPERATION_FAILED, -EIO,
                                    "Storage pool '%s': %s was killed by signal %d", j->pool->name,
                                    what, ex->status);
}

static void pool_job_on_exit(VkChild *child, const VkChildExit *ex, void *userdata) {
        StoragePoolJob *j = userdata;
        VkError e = VK_ERROR_INIT;
        bool ok = ex->code == CLD_EXITED && ex->status == 0;

        if (vk_error_is_set(&j->error)) { /* an undo command: its result does not matter */
                j->child = vk_child_free(j->child);
                pool_job_undo_next(j);
                return;
        }
        if (!ok)
                pool_job_child_error(j, child, ex, &e);
        else
                g_ptr_array_add(
                        j->outputs,
                        g_strdup(vk_strempty(vk_child_get_output(child, VK_CHILD_STDOUT, NULL))));
        j->child = vk_child_free(j->child);
        if (!ok)
                pool_job_fail(j, &e);
        else
                pool_job_next(j);
}

static int pool_job_spawn(StoragePoolJob *j, char **argv, VkError *reterr) {
        VkChildOptions opts = {
                .flags = VK_CHILD_CAPTURE_STDOUT | VK_CHILD_CAPTURE_STDERR,
                .env = pool_job_env,
                .capture_max = 4 * 1024 * 1024, /* an lvs report of many volumes */
                .timeout_usec = STORAGE_POOL_JOB_TIMEOUT_USEC,
        };

        return vk_child_spawn(j->drv->event, (const char *const *) argv, &opts, pool_job_on_exit, j,
                              &j->child, reterr);
}

/*
 * Hold the pool (or the job's volume) and run @j's commands (at least one); takes @j. Returns
 * 1 once the first one runs: @done is then called from the loop when the job ends (never from
 * here), after the pool's state changed. Returns < 0 with @reterr if nothing could start
 * (@j is freed, @done never called).
 */
int storage_pool_job_start(StoragePoolJob *j, VkStoragePoolDoneFunc done, void *userdata,
                           VkError *reterr) {
        int r;

        assert(j->cmds->len > 0);
        j->done = done;
        j->userdata = userdata;
        pool_job_hold(j);
        r = pool_job_spawn(j, j->cmds->pdata[0], reterr);
        if (r < 0) {
                pool_job_release(j);
                if (j->cleanup)
                        j->cleanup(j);
                storage_pool_job_free(j);
                return r;
        }
        return 1;
}

/*
 * Stop every pool job (the daemon is exiting): the child is killed, nothing is undone, and
 * each caller hears a cancel from here.
 */
void storage_pool_jobs_cancel(VkStorageDriver *drv) {
        while (drv->pool_jobs->len > 0) {
                StoragePoolJob *j = drv->pool_jobs->pdata[drv->pool_jobs->len - 1];

                j->child = vk_child_free(j->child);
                vk_error_done(&j->error);
                (void) vk_error_set(&j->error, VK_ERROR_OPERATION_FAILED, -ECANCELED,
                                    "Storage pool '%s': %s, cancelled: the daemon is stopping",
                                    j->pool->name, j->use);
                pool_job_end(j);
        }
}
