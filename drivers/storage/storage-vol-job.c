/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* storage-vol-job.c: volume jobs: a child (qemu-img, dd) on the loop, its volumes held busy */
#include <fcntl.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "macro.h"
#include "storage-pool-job.h"
#include "storage-vol-job.h"
#include "storage-vol-luks.h"

/* A child gets this long before it is killed (a fully allocated volume of terabytes). */
#define STORAGE_JOB_TIMEOUT_USEC (6ULL * 3600 * 1000 * 1000)
/* Progress is told at most this often (and at the end). */
#define STORAGE_PROGRESS_INTERVAL_USEC (250ULL * 1000)
/* What is kept of a progress stream (dd's errors are in it too). */
#define STORAGE_PROGRESS_TEXT_MAX 4096

static const char *const job_kind_table[] = {
        [STORAGE_JOB_CREATE] = "create", [STORAGE_JOB_CLONE] = "clone",
        [STORAGE_JOB_RESIZE] = "resize", [STORAGE_JOB_WIPE] = "wipe",
        [STORAGE_JOB_UPLOAD] = "upload", [STORAGE_JOB_DOWNLOAD] = "download",
};

/* "create", "clone", "resize", "wipe", "upload" or "download": the operation's name. */
const char *storage_job_kind_to_string(StorageJobKind k) {
        if ((size_t) k >= G_N_ELEMENTS(job_kind_table))
                return NULL;
        return job_kind_table[k];
}

static StorageJob *job_free(StorageJob *j) {
        if (!j)
                return NULL;
        vk_child_free(j->child);
        sd_event_source_disable_unref(j->defer_source);
        storage_luks_fetch_free(j->luks);
        if (j->secret_fd >= 0)
                (void) close(j->secret_fd);
        sd_event_source_disable_unref(j->progress_source);
        if (j->progress_fd >= 0)
                (void) close(j->progress_fd);
        if (j->stream_fd >= 0)
                (void) close(j->stream_fd);
        if (j->text)
                g_string_free(j->text, true);
        g_free(j->name);
        g_free(j->source);
        g_free(j->remove_path);
        g_free(j);
        return NULL;
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(StorageJob, job_free)

/* Mark volume @name of @o as @use (STORAGE_USE_*) until the job ends. */
void storage_job_hold(PoolObj *o, const char *name, const char *use) {
        g_hash_table_replace(o->busy, g_strdup(name), (gpointer) use);
        o->n_jobs++;
}

static void job_release(StorageJob *j) {
        g_hash_table_remove(j->pool->busy, j->name);
        j->pool->n_jobs--;
        if (j->source_pool) {
                g_hash_table_remove(j->source_pool->busy, j->source);
                j->source_pool->n_jobs--;
        }
        g_ptr_array_remove(j->drv->jobs, j);
}

/* Tell the driver's progress callback where @j is (@final: the last time, always told). */
static void job_tell_progress(StorageJob *j, bool final) {
        VkStorageDriver *drv = j->drv;
        uint64_t now = g_get_monotonic_time();
        VkStorageVolProgress p = {
                .pool = j->pool->name,
                .volume = j->name,
                .operation = storage_job_kind_to_string(j->kind),
                .bytes = j->bytes,
                .total = j->total,
        };

        if (j->parser == STORAGE_PROGRESS_NONE || !drv->progress_cb)
                return;
        if (!final && now - j->last_usec < STORAGE_PROGRESS_INTERVAL_USEC)
                return;
        j->last_usec = now;
        drv->progress_cb(drv, &p, j->userdata, drv->progress_userdata);
}

/* The last figure of the progress text: qemu-img's percentage, or dd's byte count. */
static void job_parse_progress(StorageJob *j) {
        const char *s = j->text->str;
        const char *p = NULL;

        if (j->parser == STORAGE_PROGRESS_QEMU_IMG) {
                for (const char *q = strchr(s, '('); q; q = strchr(q + 1, '('))
                        p = q;
                if (p && j->total > 0) {
                        double pct = g_ascii_strtod(p + 1, NULL);

                        pct = CLAMP(pct, 0.0, 100.0);
                        j->bytes = (uint64_t) ((double) j->total * pct / 100.0);
                }
                return;
        }
        /* dd: "<n> bytes (...) copied", one line per second ending in '\r', and at the end */
        for (const char *q = strstr(s, " byte"); q; q = strstr(q + 1, " byte")) {
                const char *b = q;

                while (b > s && g_ascii_isdigit(b[-1]))
                        b--;
                if (b < q)
                        p = b;
        }
        if (p)
                j->bytes = g_ascii_strtoull(p, NULL, 10);
}

/* Read once from the progress stream. Returns > 0 when something came. */
static ssize_t job_read_progress(StorageJob *j) {
        char buf[1024];
        ssize_t n;

        n = read(j->progress_fd, buf, sizeof(buf));
        if (n <= 0) {
                if (n < 0 && (errno == EAGAIN || errno == EINTR))
                        return 0;
                j->progress_source = sd_event_source_disable_unref(j->progress_source);
                return 0;
        }
        g_string_append_len(j->text, buf, n);
        if (j->text->len > STORAGE_PROGRESS_TEXT_MAX)
                g_string_erase(j->text, 0, (gssize) (j->text->len - STORAGE_PROGRESS_TEXT_MAX));
        job_parse_progress(j);
        return n;
}

static int job_on_progress(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        StorageJob *j = userdata;

        if (job_read_progress(j) > 0)
                job_tell_progress(j, false);
        return 0;
}

/* Read what the progress stream still holds (the child has exited). */
static void job_drain_progress(StorageJob *j) {
        while (j->progress_source && job_read_progress(j) > 0)
                ;
}

/* An upload that got fewer bytes than it was told would come failed. */
static int job_check_result(StorageJob *j, VkError *reterr) {
        if (j->kind == STORAGE_JOB_UPLOAD && j->expect > 0 && j->bytes < j->expect)
                return vk_error_set(
                        reterr, VK_ERROR_OPERATION_FAILED, -EPIPE,
                        "Storage volume '%s': the upload stream ended after %" G_GUINT64_FORMAT
                        " of %" G_GUINT64_FORMAT " bytes",
                        j->name, j->bytes, j->expect);
        return 0;
}

/* End @j: release its volumes; on success look at its volume again (only that one: the pool's
 * other files are as they were) and report it; on failure remove what it made. Calls the
 * job's callback, then frees @j. */
static void job_finish(StorageJob *j, VkError *error) {
        g_autoptr(StorageJob) job = j;
        g_autoptr(VkStorageVolInfo) info = NULL;
        VkStorageDriver *drv = j->drv;
        VkError e = VK_ERROR_INIT;
        VkStorageVolDef *v;

        job_release(j);
        if (!error && job_check_result(j, &e) < 0)
                error = &e;
        storage_luks_job_end(j, error);
        if (!error) {
                if (storage_pool_update_vol(drv, j->pool, j->name, &e) < 0)
                        error = &e;
                else if (!(v = storage_pool_vol(j->pool, j->name))) {
                        (void) vk_error_set(&e, VK_ERROR_OPERATION_FAILED, -ENOENT,
                                            "Storage volume '%s' vanished from pool '%s'", j->name,
                                            j->pool->name);
                        error = &e;
                } else
                        info = storage_vol_info(j->pool, v);
        }
        if (error && j->remove_path)
                (void) unlink(j->remove_path);
        if (!error) {
                if (j->kind == STORAGE_JOB_WIPE && j->total > 0)
                        j->bytes = j->total;
                job_tell_progress(j, true);
                if (j->kind == STORAGE_JOB_CREATE || j->kind == STORAGE_JOB_CLONE)
                        storage_emit(drv, j->pool, VK_STORAGE_EVENT_VOLUME_CREATED, j->name, false);
                else if (j->kind != STORAGE_JOB_DOWNLOAD)
                        storage_emit(drv, j->pool, VK_STORAGE_EVENT_VOLUME_CHANGED, j->name, false);
        }
        if (j->done)
                j->done(drv, info, error, j->userdata);
        vk_error_done(&e);
}

/* The child's complaint: qemu-img's stderr, or the lines of dd's stream that are no figures. */
static char *job_child_message(StorageJob *j) {
        const char *err = vk_child_get_output(j->child, VK_CHILD_STDERR, NULL);
        g_autoptr(GString) out = g_string_new(NULL);
        g_auto(GStrv) lines = NULL;

        if (j->parser != STORAGE_PROGRESS_DD)
                return g_strstrip(g_strdup(vk_strempty(err)));
        lines = g_strsplit_set(j->text->str, "\r\n", -1);
        for (char **l = lines; *l; l++) {
                if (!**l || strstr(*l, " copied,") || strstr(*l, "records in") ||
                    strstr(*l, "records out"))
                        continue;
                if (out->len > 0)
                        g_string_append(out, "; ");
                g_string_append(out, *l);
        }
        return g_string_free(g_steal_pointer(&out), false);
}

/*
 * Run the failed child of @j again when its failure is one worth another try (see
 * storage_luks_job_retry()). True when it runs again.
 */
static bool job_retry(StorageJob *j, const char *out) {
        g_auto(VkError) e = VK_ERROR_INIT;
        char **argv = NULL;

        if (!storage_luks_job_retry(j, out, &argv))
                return false;
        j->child = vk_child_free(j->child);
        j->progress_source = sd_event_source_disable_unref(j->progress_source);
        if (j->progress_fd >= 0)
                j->progress_fd = (close(j->progress_fd), -1);
        if (j->text)
                g_string_free(g_steal_pointer(&j->text), true);
        if (storage_job_spawn(j, argv, &e) < 0) {
                job_finish(j, &e);
                return true;
        }
        return true;
}

static void job_on_exit(VkChild *child, const VkChildExit *ex, void *userdata) {
        StorageJob *j = userdata;
        g_autofree char *out = NULL;
        VkError e = VK_ERROR_INIT;
        const char *prog = j->parser == STORAGE_PROGRESS_DD ? "dd" : "qemu-img";

        job_drain_progress(j);
        if (ex->code == CLD_EXITED && ex->status == 0) {
                job_finish(j, NULL);
                return;
        }
        out = job_child_message(j);
        if (!ex->timed_out && ex->code == CLD_EXITED && job_retry(j, out))
                return;
        if (ex->timed_out)
                (void) vk_error_set(&e, VK_ERROR_TIMEOUT, -ETIMEDOUT,
                                    "Storage volume '%s': %s took too long and was killed", j->name,
                                    prog);
        else if (ex->code == CLD_EXITED)
                (void) vk_error_set(&e, VK_ERROR_OPERATION_FAILED, -EIO,
                                    "Storage volume '%s': %s failed (exit status %d)%s%s", j->name,
                                    prog, ex->status, *out ? ": " : "", out);
        else
                (void) vk_error_set(&e, VK_ERROR_OPERATION_FAILED, -EIO,
                                    "Storage volume '%s': %s was killed by signal %d", j->name,
                                    prog, ex->status);
        job_finish(j, &e);
        vk_error_done(&e);
}

/* The pipe the child tells its progress on; its write end goes to *@ret_write. */
static int job_open_progress(StorageJob *j, int *ret_write, VkError *reterr) {
        int p[2];
        int r;

        if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0)
                return vk_error_set_errno(reterr, errno, "Failed to create a pipe");
        j->progress_fd = p[0];
        j->text = g_string_new(NULL);
        r = sd_event_add_io(j->drv->event, &j->progress_source, p[0], EPOLLIN, job_on_progress, j);
        if (r < 0) {
                (void) close(p[1]);
                return vk_error_set_errno(reterr, r, "Failed to watch the progress of a job");
        }
        *ret_write = p[1];
        return 0;
}

/* Fail @j before its child ran: release its volumes, remove what it made, free it. */
static int job_abort(StorageJob *j, int r) {
        job_release(j);
        if (j->remove_path)
                (void) unlink(j->remove_path);
        job_free(j);
        return r;
}

/* @j counts as a running job from now on (the limit, idle exit, cancel at exit). */
void storage_job_track(StorageJob *j) {
        g_ptr_array_add(j->drv->jobs, j);
}

/* End the tracked job @j with @error before or after its child ran: its callback, then freed. */
void storage_job_fail(StorageJob *j, const VkError *error) {
        job_finish(j, (VkError *) error);
}

/* Give up the tracked job @j before anything was told: released and freed, no callback. */
int storage_job_abort(StorageJob *j, int r) {
        return job_abort(j, r);
}

/*
 * Run @argv for the tracked job @j (its volumes already held). qemu-img tells its progress on
 * stdout and its errors on stderr; dd both on stderr, and its data is the caller's descriptor
 * (upload: dd's stdin; download: its stdout); a passphrase pipe is fd 3. On failure @j stays
 * as it was: the caller aborts or fails it.
 */
int storage_job_spawn(StorageJob *j, char **argv, VkError *reterr) {
        VkChildOptions opts = {
                .flags = VK_CHILD_CAPTURE_STDERR,
                .capture_max = 16 * 1024,
                .timeout_usec = STORAGE_JOB_TIMEOUT_USEC,
        };
        VkChildFd secret = { .fd = j->secret_fd, .target = VK_STORAGE_SECRET_FD };
        vk_autofd progress_w = -1;
        g_auto(GStrv) luks_env = NULL;
        int r;

        if (j->parser != STORAGE_PROGRESS_NONE) {
                r = job_open_progress(j, &progress_w, reterr);
                if (r < 0)
                        return r;
        }
        if (j->secret_fd >= 0) {
                opts.fds = &secret;
                opts.n_fds = 1;
                luks_env = storage_luks_child_env();
                opts.env = (const char *const *) luks_env;
        }
        if (j->parser == STORAGE_PROGRESS_QEMU_IMG) {
                opts.flags |= VK_CHILD_STDOUT_TO_FD;
                opts.stdout_fd = progress_w;
        } else if (j->parser == STORAGE_PROGRESS_DD) {
                opts.flags = VK_CHILD_STDERR_TO_FD;
                opts.stderr_fd = progress_w;
                if (j->kind == STORAGE_JOB_UPLOAD) {
                        opts.flags |= VK_CHILD_STDIN_FROM_FD;
                        opts.stdin_fd = j->stream_fd;
                } else {
                        opts.flags |= VK_CHILD_STDOUT_TO_FD;
                        opts.stdout_fd = j->stream_fd;
                }
        }
        r = vk_child_spawn(j->drv->event, (const char *const *) argv, &opts, job_on_exit, j,
                           &j->child, reterr);
        if (r < 0)
                return r;
        /* the child has its copies: the stream ends when it exits */
        if (j->stream_fd >= 0)
                j->stream_fd = (close(j->stream_fd), -1);
        if (j->secret_fd >= 0)
                j->secret_fd = (close(j->secret_fd), -1);
        job_tell_progress(j, true);
        return 0;
}

static int job_on_defer(sd_event_source *s, void *userdata) {
        StorageJob *j = userdata;

        j->defer_source = sd_event_source_disable_unref(j->defer_source);
        job_finish(j, NULL);
        return 0;
}

/*
 * The job @j (its volumes already held) did its work in-process: it ends from the loop, as
 * if a child had succeeded (a completion never comes from inside the call that started it).
 * On failure @j is released and freed.
 */
int storage_job_finish_later(StorageJob *j, VkError *reterr) {
        int r;

        storage_job_track(j);
        r = sd_event_add_defer(j->drv->event, &j->defer_source, job_on_defer, j);
        if (r < 0)
                return job_abort(j, vk_error_set_errno(reterr, r, "Failed to queue a job's end"));
        return 0;
}

/* Track @j and run @argv (storage_job_spawn()); on failure @j is released and freed. */
int storage_job_start(StorageJob *j, char **argv, VkError *reterr) {
        int r;

        storage_job_track(j);
        r = storage_job_spawn(j, argv, reterr);
        if (r < 0)
                return job_abort(j, r);
        return 0;
}

/* A job of @kind on volume @name of @o; @done gets @userdata when it ends. */
StorageJob *storage_job_new(VkStorageDriver *drv, StorageJobKind kind, PoolObj *o, const char *name,
                            VkStorageVolDoneFunc done, void *userdata) {
        StorageJob *j = g_new0(StorageJob, 1);

        j->drv = drv;
        j->kind = kind;
        j->pool = o;
        j->name = g_strdup(name);
        j->done = done;
        j->userdata = userdata;
        j->progress_fd = -1;
        j->stream_fd = -1;
        j->secret_fd = -1;
        return j;
}

int storage_job_check_limit(VkStorageDriver *drv, VkError *reterr) {
        if (drv->jobs->len >= VK_STORAGE_DRIVER_MAX_JOBS)
                return vk_error_set(reterr, VK_ERROR_LIMIT_EXCEEDED, -EAGAIN,
                                    "%d volume jobs are running already: try again later",
                                    VK_STORAGE_DRIVER_MAX_JOBS);
        return 0;
}

/*
 * Cancel every volume job: its child is killed, a half-made volume removed, and each job's
 * callback called (from here) with a Cancelled error. A daemon calls it when its loop exits,
 * while the calls waiting for the jobs can still be answered.
 */
void vk_storage_driver_cancel_jobs(VkStorageDriver *drv) {
        storage_pool_jobs_cancel(drv);
        while (drv->jobs->len > 0) {
                StorageJob *j = drv->jobs->pdata[drv->jobs->len - 1];
                VkError e = VK_ERROR_INIT;

                j->child = vk_child_free(j->child);
                (void) vk_error_set(&e, VK_ERROR_OPERATION_FAILED, -ECANCELED,
                                    "Storage volume '%s': cancelled, the daemon is stopping",
                                    j->name);
                job_finish(j, &e);
                vk_error_done(&e);
        }
}

/* Who hears how far volume jobs are (one callback; NULL: nobody). */
void vk_storage_driver_set_progress_callback(VkStorageDriver *drv, VkStorageVolProgressFunc cb,
                                             void *userdata) {
        drv->progress_cb = cb;
        drv->progress_userdata = userdata;
}
