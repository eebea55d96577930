/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-job.h: one modifying job per domain at a time, with queueing and timeouts */
#pragma once

#include <stdint.h>

#include <glib.h>
#include <systemd/sd-event.h>

#include "error.h"
#include "qemu-domain-obj.h"

/*
 * A job changes a domain (start, destroy, shutdown, ...). Only one runs per domain; the others
 * wait in the domain's queue, at most VK_QEMU_JOB_WAIT_USEC each. Queries never take a job.
 * The job's @run starts the work from the loop; the work ends with vk_qemu_job_finish(),
 * whose @done callback also runs from the loop. A job that exceeds its timeout finishes
 * with a Timeout error; work still pending then finds the job finished and stops.
 */
typedef struct VkQemuJob VkQemuJob;

typedef void (*VkQemuJobRunFunc)(VkQemuJob *job);
typedef void (*VkQemuJobDoneFunc)(VkQemuJob *job, const char *result, const VkError *error,
                                  void *userdata);

#define VK_QEMU_JOB_WAIT_USEC (30ULL * 1000 * 1000)
#define VK_QEMU_JOB_QUEUE_MAX 64

struct VkQemuJob {
        unsigned n_ref;
        sd_event *event;
        VkDomainObj *obj; /* a reference */
        const char *name; /* "start", "destroy", ... (static) */
        VkQemuJobRunFunc run;
        VkQemuJobDoneFunc done;
        void *userdata;
        void *data; /* the operation's own state */
        GDestroyNotify data_free;
        uint64_t timeout_usec;
        bool running;
        bool finished;
        char *result;
        VkError error;
        sd_event_source *timer; /* waiting: queue timeout; running: job timeout */
        sd_event_source *defer; /* run or done */
};

int vk_qemu_job_submit(sd_event *e, VkDomainObj *obj, const char *name, uint64_t timeout_usec,
                       VkQemuJobRunFunc run, void *data, GDestroyNotify data_free,
                       VkQemuJobDoneFunc done, void *userdata, VkError *reterr);
void vk_qemu_job_finish(VkQemuJob *job, const char *result, const VkError *error);
void vk_qemu_job_fail(VkQemuJob *job, const char *name, int err, const char *fmt, ...)
        G_GNUC_PRINTF(4, 5);
VkQemuJob *vk_qemu_job_ref(VkQemuJob *job);
VkQemuJob *vk_qemu_job_unref(VkQemuJob *job);
void vk_qemu_job_cancel_all(VkDomainObj *obj, const VkError *error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(VkQemuJob, vk_qemu_job_unref)
