/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * qemu-driver-events.c: what a running domain's QEMU tells the driver (started, QMP events,
 * exited) turned into domain state, status file updates and lifecycle events (the other
 * events of QEMU: qemu-driver-qmp-events.c)
 */
#include <errno.h>
#include <string.h>

#include "log.h"
#include "qemu-driver-internal.h"
#include "qemu-job.h"
#include "qemu-netports.h"

void qemu_driver_write_status(VkDomainObj *obj) {
        g_auto(VkError) err = VK_ERROR_INIT;

        if (!obj->process || obj->process->exited)
                return;
        if (vk_qemu_process_write_status(obj->process, NULL, vk_domain_state_to_string(obj->state),
                                         vk_domain_reason_to_string(obj->reason), &err) < 0)
                vk_log_error("Failed to update the status of domain '%s': %s", obj->name,
                             err.message);
}

/* Change the run state; emits "suspended"/"resumed" only when it really changed. */
void qemu_driver_set_run_state(VkQemuDriver *drv, VkDomainObj *obj, VkDomainState state,
                               VkDomainReason reason) {
        bool changed = obj->state != state;

        vk_domain_obj_set_state(obj, state, reason);
        if (!changed)
                return;
        qemu_driver_write_status(obj);
        if (state == VK_DOMAIN_STATE_PAUSED)
                qemu_driver_emit(drv, obj, "suspended", vk_domain_reason_to_string(reason));
        else if (state == VK_DOMAIN_STATE_RUNNING)
                qemu_driver_emit(drv, obj, "resumed", vk_domain_reason_to_string(reason));
}

/* QEMU is gone (or never came up): forget the runtime state, drop a transient domain. */
static void domain_stopped(VkQemuDriver *drv, VkDomainObj *obj, VkDomainReason reason, bool emit) {
        g_autoptr(VkDomainObj) ref = vk_domain_obj_ref(obj);
        VkQemuJob *job = obj->job;

        obj->process = vk_qemu_process_free(obj->process);
        obj->live = vk_domain_def_free(obj->live);
        (void) vk_domain_list_set_id(drv->domains, obj, -1);
        vk_domain_obj_set_state(obj, VK_DOMAIN_STATE_SHUTOFF, reason);
        obj->destroying = obj->guest_shutdown = obj->crashed = false;
        obj->tainted = false;
        if (emit)
                qemu_driver_emit(drv, obj, "stopped", vk_domain_reason_to_string(reason));

        if (job && !job->finished && job->running) {
                if (strcmp(job->name, "destroy") == 0)
                        vk_qemu_job_finish(job, NULL, NULL);
                else if (strcmp(job->name, "start") != 0)
                        vk_qemu_job_fail(job, VK_ERROR_OPERATION_FAILED, -ESRCH,
                                         "domain '%s' stopped during %s", obj->name, job->name);
        }
        if (!obj->persistent && !obj->job) {
                qemu_driver_remove_tpm_state(drv, obj->def);
                vk_domain_list_remove(drv->domains, obj);
        }
        qemu_driver_changed(drv, obj);
        qemu_driver_busy_changed(drv);
}

static void domain_qmp_ignore(VkQmpClient *qmp, JsonNode *ret, const VkError *error,
                              void *userdata) {
}

/* on_poweroff / on_reboot / on_crash = restart: reset the guest and let it run again. */
static void domain_restart_guest(VkDomainObj *obj) {
        VkQmpClient *qmp = obj->process ? obj->process->qmp : NULL;

        if (!qmp)
                return;
        (void) vk_qmp_execute(qmp, "system_reset", NULL, domain_qmp_ignore, NULL, NULL, NULL);
        (void) vk_qmp_execute(qmp, "cont", NULL, domain_qmp_ignore, NULL, NULL, NULL);
}

static void process_on_event(VkQemuProcess *p, const char *name, JsonObject *data, void *userdata) {
        VkDomainObj *obj = userdata;
        VkQemuDriver *drv = obj->driver;
        const VkDomainDef *def = obj->live ? obj->live : obj->def;

        if (strcmp(name, "SHUTDOWN") == 0) {
                bool guest =
                        data && json_object_get_boolean_member_with_default(data, "guest", false);
                const char *why =
                        data ? json_object_get_string_member_with_default(data, "reason", "unknown")
                             : "unknown";

                /* the SIGTERM that ends QEMU after the guest shut down (or rebooted under
                 * on_reboot=destroy) makes QEMU report a shutdown once more: told already */
                if (obj->guest_shutdown && !guest && strcmp(why, "host-signal") == 0)
                        return;
                obj->guest_shutdown = true;
                qemu_driver_emit(drv, obj, "shutdown", guest ? "finished" : why);
                /* QEMU always runs with -no-shutdown (as under libvirt): after a guest
                 * poweroff it only stops, and the domain's policy is applied here. A panic is
                 * on_crash's (GUEST_PANICKED). */
                if (obj->destroying || strcmp(why, "guest-panic") == 0)
                        return;
                if (strcmp(why, "guest-reset") == 0 || strcmp(why, "host-qmp-system-reset") == 0) {
                        /* on_reboot=destroy: set-action reboot=shutdown made the reboot (the
                         * guest's or RebootDomain's) a shutdown; its exit is "shutdown" */
                        (void) vk_qemu_process_terminate(p, false, DESTROY_KILL_GRACE_USEC);
                } else if (!guest) {
                        return; /* QEMU ends by itself (signal, quit) */
                } else if (def->on_poweroff == VK_LIFECYCLE_DESTROY) {
                        (void) vk_qemu_process_terminate(p, false, DESTROY_KILL_GRACE_USEC);
                } else if (def->on_poweroff == VK_LIFECYCLE_RESTART) {
                        obj->guest_shutdown = false;
                        domain_restart_guest(obj);
                } else if (def->on_poweroff == VK_LIFECYCLE_PRESERVE) {
                        vk_domain_obj_set_state(obj, VK_DOMAIN_STATE_SHUTDOWN,
                                                VK_DOMAIN_REASON_SHUTDOWN);
                        qemu_driver_changed(drv, obj);
                }
        } else if (strcmp(name, "RESET") == 0) {
                qemu_driver_emit(drv, obj, "rebooted", "reset");
        } else if (strcmp(name, "STOP") == 0) {
                /* the stop after a guest poweroff we end QEMU for is no pause of the domain */
                if (obj->state == VK_DOMAIN_STATE_RUNNING && !(obj->guest_shutdown && p->kill_sent))
                        qemu_driver_set_run_state(drv, obj, VK_DOMAIN_STATE_PAUSED,
                                                  obj->guest_shutdown ? VK_DOMAIN_REASON_SHUTDOWN
                                                                      : VK_DOMAIN_REASON_USER);
        } else if (strcmp(name, "RESUME") == 0) {
                qemu_driver_set_run_state(drv, obj, VK_DOMAIN_STATE_RUNNING,
                                          VK_DOMAIN_REASON_UNPAUSED);
        } else if (strcmp(name, "GUEST_PANICKED") == 0) {
                qemu_driver_emit(drv, obj, "crashed", "panicked");
                switch (def->on_crash) {
                case VK_LIFECYCLE_RESTART:
                case VK_LIFECYCLE_COREDUMP_RESTART:
                        domain_restart_guest(obj);
                        break;
                case VK_LIFECYCLE_PRESERVE:
                        vk_domain_obj_set_state(obj, VK_DOMAIN_STATE_CRASHED,
                                                VK_DOMAIN_REASON_CRASHED);
                        qemu_driver_write_status(obj);
                        qemu_driver_changed(drv, obj);
                        break;
                default:
                        obj->crashed = true;
                        (void) vk_qemu_process_terminate(p, false, DESTROY_KILL_GRACE_USEC);
                        break;
                }
        } else
                (void) qemu_driver_qmp_event(drv, obj, name, data);
}

static void process_on_started(VkQemuProcess *p, const VkError *error, void *userdata) {
        VkDomainObj *obj = userdata;
        VkQemuDriver *drv = obj->driver;
        g_autoptr(VkDomainObj) ref = vk_domain_obj_ref(obj);
        VkQemuJob *job = obj->job;

        if (p->reconnected) {
                if (error) {
                        vk_log_debug("Domain '%s' ended while we reconnected: %s", obj->name,
                                     error->message);
                        domain_stopped(drv, obj, VK_DOMAIN_REASON_UNKNOWN, true);
                        return;
                }
                if (p->paused_at_start) {
                        vk_domain_obj_set_state(obj, VK_DOMAIN_STATE_PAUSED, VK_DOMAIN_REASON_USER);
                        qemu_driver_changed(drv, obj);
                }
                if (!p->qmp)
                        vk_log_debug("Domain '%s' runs, but its monitor does not answer",
                                     obj->name);
                if (obj->live)
                        vk_qemu_netports_reclaim(drv->event,
                                                 p->networkd_socket ? p->networkd_socket
                                                                    : drv->networkd_socket,
                                                 obj->live);
                qemu_driver_write_status(obj);
                qemu_driver_device_reconcile(drv, obj);
                return;
        }

        if (error) {
                domain_stopped(drv, obj, VK_DOMAIN_REASON_FAILED, false);
                if (job && !job->finished)
                        vk_qemu_job_fail(job, error->name, error->error,
                                         "Failed to start domain '%s': %s", obj->name,
                                         error->message);
                return;
        }

        /* the status file says so already (written before success was reported) */
        if (p->paused)
                vk_domain_obj_set_state(obj, VK_DOMAIN_STATE_PAUSED, VK_DOMAIN_REASON_USER);
        else
                vk_domain_obj_set_state(obj, VK_DOMAIN_STATE_RUNNING, VK_DOMAIN_REASON_BOOTED);
        qemu_driver_emit(drv, obj, "started", "booted");
        if (p->paused)
                qemu_driver_emit(drv, obj, "suspended", "paused");
        if (job && !job->finished)
                vk_qemu_job_finish(job, obj->name, NULL);
}

static void process_on_exited(VkQemuProcess *p, void *userdata) {
        VkDomainObj *obj = userdata;
        VkDomainReason reason;

        if (obj->destroying)
                reason = VK_DOMAIN_REASON_DESTROYED;
        else if (obj->crashed)
                reason = VK_DOMAIN_REASON_CRASHED;
        else if (obj->guest_shutdown)
                reason = VK_DOMAIN_REASON_SHUTDOWN;
        else
                reason = VK_DOMAIN_REASON_CRASHED;
        domain_stopped(obj->driver, obj, reason, true);
}

static void process_on_monitor_lost(VkQemuProcess *p, void *userdata) {
        VkDomainObj *obj = userdata;

        qemu_driver_monitor_lost(obj->driver, obj);
}

const VkQemuProcessCallbacks qemu_driver_process_callbacks = {
        .started = process_on_started,
        .event = process_on_event,
        .exited = process_on_exited,
        .monitor_lost = process_on_monitor_lost,
};
