/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * qemu-driver.c: the QEMU driver object: created on an instance's paths (lock, qemu.conf,
 * security stack, domains, reconnect, autostart), its owner's callbacks, busy/settle, freed
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "atomic-file.h"
#include "lockfile.h"
#include "log.h"
#include "macro.h"
#include "qemu-macvtap.h"
#include "qemu-netports.h"
#include "qemu-driver-internal.h"
#include "qemu-job.h"
#include "qemu-process-recover.h"
#include "sd-glue.h"

#define DRIVER_LOCK_WAIT_USEC (10ULL * 1000 * 1000)

void qemu_driver_busy_changed(VkQemuDriver *drv) {
        if (drv->cb.busy_changed && !drv->freeing)
                drv->cb.busy_changed(drv, drv->userdata);
}

/* Tell the owner that @obj may look different now (see VkQemuDriverCallbacks). */
void qemu_driver_changed(VkQemuDriver *drv, VkDomainObj *obj) {
        if (drv->cb.domain_changed && !drv->freeing)
                drv->cb.domain_changed(drv, obj, drv->userdata);
}

bool vk_qemu_domain_event_is_lifecycle(const char *event) {
        static const char *const lifecycle[] = { "defined",   "undefined", "started",
                                                 "suspended", "resumed",   "stopped",
                                                 "shutdown",  "crashed",   "rebooted" };

        for (size_t i = 0; i < G_N_ELEMENTS(lifecycle); i++)
                if (g_strcmp0(event, lifecycle[i]) == 0)
                        return true;
        return false;
}

/* Tell the owner about @ev of @obj (its name and uuid filled in here). */
void qemu_driver_emit_event(VkQemuDriver *drv, VkDomainObj *obj, const VkQemuDomainEvent *ev) {
        VkQemuDomainEvent e = *ev;

        e.name = ev->name ? ev->name : obj->name; /* a rename's "undefined": the old name */
        e.uuid = obj->uuid_str;
        vk_log_debug("Domain '%s': %s (%s)", obj->name, e.event,
                     e.detail ? e.detail : vk_strempty(e.device)); /* device events: the alias */
        if (drv->cb.event && !drv->freeing)
                drv->cb.event(drv, &e, drv->userdata);
        if (vk_qemu_domain_event_is_lifecycle(e.event))
                qemu_driver_changed(drv, obj);
}

void qemu_driver_emit(VkQemuDriver *drv, VkDomainObj *obj, const char *event, const char *detail) {
        qemu_driver_emit_event(drv, obj, &(VkQemuDomainEvent){ .event = event, .detail = detail });
}

/* The persistent form of a live definition: the round trip drops what is live only (the id,
 * runtime aliases, assigned labels). */
static VkDomainDef *driver_copy_def(const VkDomainDef *def, VkError *reterr) {
        g_autofree char *xml = NULL;
        VkDomainDef *copy = NULL;

        if (vk_domain_def_format(def, VK_DOMAIN_DEF_FORMAT_SECURE, &xml, reterr) < 0)
                return NULL;
        if (vk_domain_def_parse_string(xml, /* flags= */ 0, &copy, reterr) < 0)
                return NULL;
        return copy;
}

static void driver_reconnect_all(VkQemuDriver *drv) {
        g_autoptr(GDir) dir = g_dir_open(drv->paths->run_dir, 0, NULL);
        const char *entry;

        vk_qemu_process_sweep_run_dir(drv->paths->run_dir);
        while (dir && (entry = g_dir_read_name(dir))) {
                g_auto(VkError) err = VK_ERROR_INIT;
                g_autofree char *path = NULL;
                g_autoptr(VkDomainDef) live = NULL;
                g_autoptr(VkQemuProcess) p = NULL;
                VkDomainObj *obj;
                int r;

                if (!g_str_has_suffix(entry, ".json"))
                        continue;
                path = g_build_filename(drv->paths->run_dir, entry, NULL);
                r = vk_qemu_process_reconnect(drv->event, path, drv->security,
                                              &qemu_driver_process_callbacks, NULL, &p, &live,
                                              &err);
                if (r == -EUCLEAN) {
                        /* its QEMU runs: keep every file of it for whoever can mend it */
                        vk_log_error("Not managing a running VM, its files are left in place: %s",
                                     err.message);
                        continue;
                }
                if (r < 0) {
                        vk_log_debug("Cleaning up after a domain that is gone: %s", err.message);
                        p = vk_qemu_process_free(p);
                        vk_qemu_process_cleanup_status(drv->event, path, drv->security);
                        continue;
                }
                obj = vk_domain_list_find_by_uuid(drv->domains, &live->uuid);
                if (obj && (strcmp(obj->name, live->name) != 0 || vk_domain_obj_is_active(obj)))
                        obj = NULL; /* renamed or taken meanwhile: keep it transient */
                if (!obj) {
                        g_autoptr(VkDomainDef) def = driver_copy_def(live, &err);

                        if (!def ||
                            vk_domain_list_add_transient(drv->domains, def, &obj, &err) < 0) {
                                vk_log_debug("Cannot adopt QEMU of '%s': %s", live->name,
                                             err.message);
                                continue; /* leave it alone: we cannot manage it */
                        }
                        g_steal_pointer(&def);
                }
                obj->driver = drv;
                if (vk_domain_list_set_id(drv->domains, obj, live->id) < 0)
                        continue;
                p->userdata = obj;
                obj->process = g_steal_pointer(&p);
                obj->live = g_steal_pointer(&live);
                vk_domain_obj_set_state(obj, VK_DOMAIN_STATE_RUNNING, VK_DOMAIN_REASON_BOOTED);
                vk_log_debug("Reconnecting to domain '%s' (pid %d)", obj->name,
                             (int) obj->process->pid);
        }
}

/* The live definition of running domain @name, for vk_qemu_netports_recover(). */
static const VkDomainDef *driver_live_of(const char *name, void *userdata) {
        VkDomainObj *obj = vk_domain_list_find_by_name(userdata, name);

        return obj && vk_domain_obj_is_active(obj) ? obj->live : NULL;
}

/* A macvtap qemud made (its owner's UUID in its alias) stays when that domain runs on it. */
static bool driver_macvtap_in_use(const char *owner_uuid, const char *name, void *userdata) {
        VkDomainObj *obj;
        VkUuid u;

        if (vk_uuid_parse(owner_uuid, &u) < 0)
                return true; /* not ours to judge */
        obj = vk_domain_list_find_by_uuid(userdata, &u);
        if (!obj)
                return true; /* another instance's domain */
        for (size_t i = 0; vk_domain_obj_is_active(obj) && obj->live && i < obj->live->n_nets; i++)
                if (g_strcmp0(obj->live->nets[i]->target_dev, name) == 0)
                        return true;
        return false;
}

static void driver_autostart(VkQemuDriver *drv) {
        g_autofree char *marker = g_build_filename(drv->paths->run_dir, "autostarted", NULL);
        g_autoptr(GPtrArray) all = NULL;

        /* once per boot of the host: the run dir is on a tmpfs */
        if (access(marker, F_OK) == 0)
                return;
        (void) vk_atomic_file_write(marker, "", 0, 0644, NULL);
        all = vk_domain_list_get_all(drv->domains);
        for (guint i = 0; i < all->len; i++) {
                VkDomainObj *obj = all->pdata[i];
                g_auto(VkError) err = VK_ERROR_INIT;

                if (!obj->autostart || vk_domain_obj_is_active(obj))
                        continue;
                if (vk_qemu_driver_start(drv, obj->name, false, NULL, NULL, &err) < 0)
                        vk_log_debug("Cannot autostart domain '%s': %s", obj->name, err.message);
        }
}

/*
 * The security stack of the instance: qemu.conf's user/group, dynamic_ownership and
 * security_driver apply when we run as root outside a session instance (system, or an
 * embedded instance started by root); otherwise QEMU runs as we do and no file changes owner.
 */
static int driver_security_new(VkQemuDriver *drv, VkError *reterr) {
        bool privileged = drv->kind != VK_INSTANCE_SESSION && geteuid() == 0;

        /* and each QEMU gets a cgroup with its device ACL (a machine scope under systemd) */
        if (privileged) {
                drv->machine_prefix = vk_qemu_cgroup_machine_prefix(drv->paths->root);
                drv->scopes = vk_scope_manager_new();
        }
        return vk_qemu_security_manager_new(drv->cfg, privileged, NULL, &drv->security, reterr);
}

/*
 * One driver per instance (e.g. root/run/qemu.lock): the status files, private dirs and sockets
 * there are its own. A daemon with --root and an embedded CLI on the same root would otherwise both
 * adopt the same QEMUs and fight over their monitors. An embedded CLI waits a little for another
 * CLI call on the root; any other holder fails at once, named.
 */
static int driver_lock(VkQemuDriver *drv, VkError *reterr) {
        g_autofree char *file = g_strconcat(drv->paths->driver, ".lock", NULL);
        g_autofree char *path = g_build_filename(drv->paths->socket_dir, file, NULL);
        g_autofree char *what = drv->paths->root
                                        ? g_strdup_printf("root %s", drv->paths->root)
                                        : g_strdup_printf("run dir %s", drv->paths->run_dir);
        int r;

        r = vk_mkdir_p(drv->paths->socket_dir, 0755);
        if (r < 0)
                return vk_error_set_errno(reterr, r, "Failed to create '%s'",
                                          drv->paths->socket_dir);
        return vk_lockfile_acquire(path, what,
                                   drv->kind == VK_INSTANCE_EMBEDDED ? DRIVER_LOCK_WAIT_USEC : 0,
                                   &drv->lock_fd, reterr);
}

/*
 * Create the driver of an instance of @kind whose files live in @paths (borrowed; must
 * outlive the driver): read qemu.conf, load the persistent domains, reconnect to every QEMU
 * a status file names (cleaning up after dead ones), autostart once per boot. Must run on
 * @event's loop with SIGCHLD blocked.
 */
int vk_qemu_driver_new(sd_event *event, const VkPaths *paths, VkInstanceKind kind,
                       VkQemuDriver **ret, VkError *reterr) {
        g_autoptr(VkQemuDriver) drv = g_new0(VkQemuDriver, 1);
        g_autoptr(GPtrArray) all = NULL;
        int r;

        drv->event = sd_event_ref(event);
        drv->paths = (VkPaths *) paths;
        drv->kind = kind;
        qemu_driver_caps_init(drv);
        drv->ports = vk_qemu_ports_new();
        drv->lock_fd = -1;

        r = driver_lock(drv, reterr);
        if (r < 0)
                return r;
        r = vk_qemu_config_load(paths->config_file, kind, &drv->cfg, reterr);
        if (r < 0)
                return r;
        r = driver_security_new(drv, reterr);
        if (r < 0)
                return r;
        r = vk_domain_list_new(paths->config_dir, &drv->domains, reterr);
        if (r < 0)
                return r;
        r = vk_domain_list_load(drv->domains, reterr);
        if (r < 0)
                return r;
        all = vk_domain_list_get_all(drv->domains);
        for (guint i = 0; i < all->len; i++)
                ((VkDomainObj *) all->pdata[i])->driver = drv;

        r = vk_mkdir_p(paths->log_dir, 0700);
        if (r < 0)
                return vk_error_set_errno(reterr, r, "Failed to create '%s'", paths->log_dir);
        driver_reconnect_all(drv);
        /* ports of starts a crash cut short, before any new start writes its intent */
        vk_qemu_netports_recover(drv->event, paths->run_dir, driver_live_of, drv->domains);
        vk_qemu_macvtap_sweep(driver_macvtap_in_use, drv->domains);
        driver_autostart(drv);

        *ret = g_steal_pointer(&drv);
        return 0;
}

/* @cb->event gets lifecycle events, @cb->busy_changed is called when busy() may change. */
void vk_qemu_driver_set_callbacks(VkQemuDriver *drv, const VkQemuDriverCallbacks *cb,
                                  void *userdata) {
        drv->cb = cb ? *cb : (VkQemuDriverCallbacks){};
        drv->userdata = userdata;
}

/* True while a domain runs or starts: the daemon must not exit when idle then. */
bool vk_qemu_driver_is_busy(VkQemuDriver *drv) {
        return vk_domain_list_count_active(drv->domains) > 0;
}

/*
 * True while a QEMU adopted at start (vk_qemu_driver_new() reconnects to the VMs of the run
 * dir) has not yet told its state over QMP: until then a paused VM would be reported running.
 * An embedded driver, asked at once, runs its loop until this is false.
 */
bool vk_qemu_driver_is_reconnecting(VkQemuDriver *drv) {
        g_autoptr(GPtrArray) all = NULL;

        if (vk_qemu_driver_list(drv, VK_QEMU_LIST_ACTIVE, &all) < 0)
                return false;
        for (guint i = 0; i < all->len; i++) {
                VkQemuProcess *p = ((VkDomainObj *) all->pdata[i])->process;

                /* started is set just before the deferred callback that sets the state runs */
                if (p && p->reconnected && !p->exited && (!p->started || p->defer))
                        return true;
        }
        return false;
}

/*
 * Run the loop (bounded by @timeout_usec) until every QEMU adopted at start told its state:
 * a daemon must not answer its first client (often the one that activated it) before.
 */
void vk_qemu_driver_settle(VkQemuDriver *drv, uint64_t timeout_usec) {
        gint64 deadline = g_get_monotonic_time() + (gint64) timeout_usec;

        while (vk_qemu_driver_is_reconnecting(drv))
                if (g_get_monotonic_time() >= deadline || sd_event_run(drv->event, 100000) < 0)
                        break;
}

/*
 * Free the driver (NULL is fine). Running QEMUs are left alone: a restarted daemon
 * reconnects to them. The done callbacks of pending jobs run now, with OperationFailed "the
 * daemon is shutting down" (a detach waiting for the guest, a media change waiting for QEMU:
 * what QEMU finishes later, a restarted daemon finds at reconnect).
 */
VkQemuDriver *vk_qemu_driver_free(VkQemuDriver *drv) {
        g_auto(VkError) stop = VK_ERROR_INIT;

        if (!drv)
                return NULL;
        drv->freeing = true;
        (void) vk_error_set(&stop, VK_ERROR_OPERATION_FAILED, -ECANCELED,
                            "the daemon is shutting down");
        if (drv->domains) {
                g_autoptr(GPtrArray) all = vk_domain_list_get_all(drv->domains);

                for (guint i = 0; i < all->len; i++) {
                        VkDomainObj *obj = all->pdata[i];

                        vk_qemu_job_cancel_all(obj, &stop);
                        /* what QMP callbacks still hold (jobs, domains) is let go */
                        if (obj->process && obj->process->qmp)
                                (void) vk_qmp_client_fail_pending(obj->process->qmp, &stop);
                        obj->process = vk_qemu_process_free(obj->process);
                }
                drv->domains = vk_domain_list_free(drv->domains);
        }
        g_clear_pointer(&drv->unplugs, g_ptr_array_unref);
        qemu_driver_caps_done(drv);
        vk_security_manager_unref(drv->security);
        g_free(drv->machine_prefix);
        g_free(drv->networkd_socket);
        vk_qemu_ports_unref(drv->ports);
        /* the system bus connection VM scopes were asked for on (attached to our loop) */
        vk_scope_manager_unref(drv->scopes);
        vk_qemu_config_free(drv->cfg);
        sd_event_unref(drv->event);
        vk_close_fdp(&drv->lock_fd);
        g_free(drv);
        return NULL;
}

/*
 * Where <interface type='network'> gets its ports: virtkit-networkd's varlink socket. NULL
 * (the default, the embedded driver): type='network' is refused.
 */
void vk_qemu_driver_set_networkd_socket(VkQemuDriver *drv, const char *path) {
        g_free(drv->networkd_socket);
        drv->networkd_socket = g_strdup(path);
}
