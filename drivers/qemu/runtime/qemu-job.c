/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-job.c: one modifying job per domain at a time, with queueing and timeouts */
#include <assert.h>
#include <stdarg.h>

#include "log.h"
#include "macro.h"
#include "qemu-job.h"
#include "sd-glue.h"

/* Take a reference (pending work holds one while it waits for QEMU). */
VkQemuJob *vk_qemu_job_ref(VkQemuJob *job) {
        if (job)
                job->n_ref++;
        return job;
}

/* Drop a reference; the last one frees the job and its data. Takes NULL. */
VkQemuJob *vk_qemu_job_unref(VkQemuJob *job) {
        if (!job)
                return NULL;
        assert(job->n_ref > 0);
        if (--job->n_ref > 0)
                return NULL;
        job->timer = sd_event_source_disable_unref(job->timer);
        job->defer = sd_event_source_disable_unref(job->defer);
        if (job->data_free)
                job->data_free(job->data);
        vk_domain_obj_unref(job->obj);
        g_free(job->result);
        vk_error_done(&job->error);
        sd_event_unref(job->event);
        g_free(job);
        return NULL;
}

static void job_start_next(VkDomainObj *obj);

static int job_on_done(sd_event_source *s, void *userdata) {
        VkQemuJob *job = userdata;
        g_autoptr(VkDomainObj) obj = vk_domain_obj_ref(job->obj);

        job->defer = sd_event_source_disable_unref(job->defer);
        if (obj->job == job)
                obj->job = NULL;
        else
                g_queue_remove(&obj->waiting, job);
        if (job->done)
                job->done(job, job->result, vk_error_is_set(&job->error) ? &job->error : NULL,
                          job->userdata);
        job->done = NULL;
        vk_qemu_job_unref(job); /* the domain's reference */
        job_start_next(obj);
        return 0;
}

/*
 * End @job with @result (may be NULL) or @error. Only the first call counts. The done
 * callback runs from the loop; the next waiting job starts after it.
 */
void vk_qemu_job_finish(VkQemuJob *job, const char *result, const VkError *error) {
        int r;

        if (job->finished)
                return;
        job->finished = true;
        job->timer = sd_event_source_disable_unref(job->timer);
        job->result = g_strdup(result);
        if (error)
                vk_error_set(&job->error, error->name ? error->name : VK_ERROR_INTERNAL,
                             error->error, "%s", vk_strempty(error->message));
        r = sd_event_add_defer(job->event, &job->defer, job_on_done, job);
        if (r < 0)
                (void) job_on_done(NULL, job); /* only without memory: better late than never */
}

/* vk_qemu_job_finish() with a new error. */
void vk_qemu_job_fail(VkQemuJob *job, const char *name, int err, const char *fmt, ...) {
        g_auto(VkError) e = VK_ERROR_INIT;
        va_list ap;

        va_start(ap, fmt);
        vk_error_setv(&e, name, err, fmt, ap);
        va_end(ap);
        vk_qemu_job_finish(job, NULL, &e);
}

static int job_on_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        VkQemuJob *job = userdata;

        job->timer = sd_event_source_disable_unref(job->timer);
        if (job->running)
                vk_qemu_job_fail(job, VK_ERROR_TIMEOUT, -ETIMEDOUT,
                                 "domain '%s': %s timed out after %llu s", job->obj->name,
                                 job->name, (unsigned long long) (job->timeout_usec / 1000000));
        else
                vk_qemu_job_fail(job, VK_ERROR_TIMEOUT, -ETIMEDOUT,
                                 "domain '%s': timed out waiting for the running %s job to "
                                 "finish",
                                 job->obj->name, job->obj->job ? job->obj->job->name : "other");
        return 0;
}

static int job_on_run(sd_event_source *s, void *userdata) {
        VkQemuJob *job = userdata;
        g_autoptr(VkQemuJob) ref = vk_qemu_job_ref(job);

        job->defer = sd_event_source_disable_unref(job->defer);
        if (!job->finished)
                job->run(job);
        return 0;
}

static void job_start(VkQemuJob *job) {
        int r;

        job->obj->job = job;
        job->running = true;
        job->timer = sd_event_source_disable_unref(job->timer);
        r = sd_event_add_time_relative(job->event, &job->timer, CLOCK_MONOTONIC, job->timeout_usec,
                                       0, job_on_timeout, job);
        if (r >= 0)
                r = sd_event_add_defer(job->event, &job->defer, job_on_run, job);
        if (r < 0)
                vk_qemu_job_fail(job, VK_ERROR_INTERNAL, r, "domain '%s': cannot run %s",
                                 job->obj->name, job->name);
}

static void job_start_next(VkDomainObj *obj) {
        VkQemuJob *next;

        if (obj->job)
                return;
        while ((next = g_queue_pop_head(&obj->waiting))) {
                if (next->finished) {
                        /* its done callback is pending; job_on_done() finds it dequeued */
                        continue;
                }
                job_start(next);
                return;
        }
}

/*
 * Queue a job @name on @obj: @run(job) is called from the loop once no other job runs on the
 * domain; it must eventually call vk_qemu_job_finish() (or the timeout of @timeout_usec
 * does). @data (freed with @data_free with the job) is the operation's state. @done reports
 * the outcome from the loop. Fails with LimitExceeded when too many jobs wait.
 */
int vk_qemu_job_submit(sd_event *e, VkDomainObj *obj, const char *name, uint64_t timeout_usec,
                       VkQemuJobRunFunc run, void *data, GDestroyNotify data_free,
                       VkQemuJobDoneFunc done, void *userdata, VkError *reterr) {
        VkQemuJob *job;
        int r;

        if (g_queue_get_length(&obj->waiting) >= VK_QEMU_JOB_QUEUE_MAX) {
                if (data_free)
                        data_free(data);
                return vk_error_set(reterr, VK_ERROR_LIMIT_EXCEEDED, -EBUSY,
                                    "domain '%s': too many operations waiting", obj->name);
        }

        job = g_new0(VkQemuJob, 1);
        job->n_ref = 1; /* the domain's (obj->job or obj->waiting) */
        job->event = sd_event_ref(e);
        job->obj = vk_domain_obj_ref(obj);
        job->name = name;
        job->run = run;
        job->data = data;
        job->data_free = data_free;
        job->done = done;
        job->userdata = userdata;
        job->timeout_usec = timeout_usec;

        if (!obj->job) {
                job_start(job);
                return 0;
        }
        r = sd_event_add_time_relative(e, &job->timer, CLOCK_MONOTONIC, VK_QEMU_JOB_WAIT_USEC, 0,
                                       job_on_timeout, job);
        if (r < 0) {
                job->done = NULL;
                vk_qemu_job_unref(job);
                return vk_error_set_errno(reterr, r, "Failed to queue %s", name);
        }
        g_queue_push_tail(&obj->waiting, job);
        return 0;
}

/*
 * Free every job of @obj (the driver is going away). With @error, each done callback runs
 * now, with @error (a job that had finished: its own outcome), so that its caller is answered
 * and lets go of what it holds; without, no callback runs.
 */
void vk_qemu_job_cancel_all(VkDomainObj *obj, const VkError *error) {
        VkQemuJob *job;

        for (;;) {
                job = g_queue_pop_head(&obj->waiting);
                if (!job && obj->job)
                        job = g_steal_pointer(&obj->job);
                if (!job)
                        break;
                job->timer = sd_event_source_disable_unref(job->timer);
                job->defer = sd_event_source_disable_unref(job->defer);
                /* its caller hears of it now: the loop does not run again */
                if (job->done && error)
                        job->done(job, job->finished ? job->result : NULL,
                                  job->finished
                                          ? (vk_error_is_set(&job->error) ? &job->error : NULL)
                                          : error,
                                  job->userdata);
                job->done = NULL;
                job->finished = true;
                vk_qemu_job_unref(job);
        }
}
