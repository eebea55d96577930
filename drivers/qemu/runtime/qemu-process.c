/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-process.c: one QEMU process: the object, how it ends, its monitor, stopping it */
#include <assert.h>
#include <sys/pidfd.h>

#include "atomic-file.h"
#include "log.h"
#include "macro.h"
#include "qemu-process-recover.h"
#include "qemu-process-internal.h"

/*
 * Files of a running domain (run dir):
 *   <name>.json                         status: pid, its start time, binary, monitor path,
 *                                       start time, id, state, live XML (written atomically)
 *   domain-<id>-<name, 20 chars>/       private dir (0700): monitor.sock, master-key.aes
 * and in the log dir <name>.log, QEMU's stdout and stderr (rotated to .log.0 at start once
 * it is larger than log_max_size). QEMU is started in its own session and process group and
 * is never waited for: a pidfd says when it ends, so it outlives the daemon.
 *
 * A start runs in stages, each on the loop:
 *   1. checks, command line, private dir, master key, labels (errors fail the call itself)
 *   2. the AppArmor profile loaded by virtkit-aa-helper (when the stack generates one)
 *   3. QEMU spawned; with a cgroup placement it waits in virtkit-qemu-exec on a pipe while
 *      it is moved into its scope (qemu-cgroup.c), then is let go
 *   4. QMP connected, <cputune> applied to QEMU's threads (qemu-process-tune.c), "cont"
 *      unless paused
 * A failure at any stage kills what runs and gives back labels, profile, cgroup and files
 * before the started callback reports it.
 */

static VkQemuProcess *process_ref(VkQemuProcess *p) {
        p->n_ref++;
        return p;
}

static void process_unref(VkQemuProcess *p) {
        assert(p->n_ref > 0);
        if (--p->n_ref > 0)
                return;
        vk_error_done(&p->error);
        process_release_ports(p);
        vk_qemu_ports_unref(p->port_set);
        g_free(p->name);
        g_free(p->private_dir);
        g_free(p->nvram_created);
        g_free(p->monitor_path);
        g_free(p->status_path);
        g_free(p->log_path);
        g_free(p->binary);
        g_free(p->live_xml);
        g_free(p->status_text);
        if (p->disk_nodes)
                json_node_unref(p->disk_nodes);
        vk_security_state_free(p->security_state);
        vk_security_manager_unref(p->security);
        vk_security_op_free(p->aa_op);
        vk_qemu_cgroup_free(p->cgroup);
        vk_qemu_command_free(p->cmd);
        vk_security_exec_params_done(&p->exec_params);
        vk_close_fdp(&p->log_fd);
        vk_close_fdp(&p->go_fd);
        vk_close_fdp(&p->lock_fd);
        g_free(p->machine_prefix);
        vk_scope_manager_unref(p->scopes);
        g_free(p->cgroup_via);
        g_free(p->cgroup_name);
        vk_security_device_rules_free(p->acl, p->n_acl);
        process_close_tap_fds(p);
        if (p->nets)
                g_ptr_array_unref(p->nets);
        if (p->helpers)
                g_ptr_array_unref(p->helpers);
        process_tune_free(p->tune);
        vk_child_free(p->swtpm_setup);
        g_strfreev(p->swtpm_setup_argv);
        g_free(p->swtpm_state_dir);
        g_free(p->swtpm_state_created);
        g_free(p->swtpm_log);
        g_free(p->networkd_socket);
        g_free(p);
}

/* a reference held while callbacks run (they may free the process) */
typedef VkQemuProcess ProcessRef;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ProcessRef, process_unref)

static void process_stop_sources(VkQemuProcess *p) {
        p->connect_timer = sd_event_source_disable_unref(p->connect_timer);
        p->timeout_timer = sd_event_source_disable_unref(p->timeout_timer);
        p->kill_timer = sd_event_source_disable_unref(p->kill_timer);
        p->monitor_timer = sd_event_source_disable_unref(p->monitor_timer);
        p->defer = sd_event_source_disable_unref(p->defer);
}

/*
 * Forget the process without touching it (NULL is fine): QEMU keeps running, its files stay,
 * and no callback runs after this. Used when the daemon exits and when the domain is gone.
 */
VkQemuProcess *vk_qemu_process_free(VkQemuProcess *p) {
        if (!p)
                return NULL;
        p->cb = (VkQemuProcessCallbacks){};
        process_stop_sources(p);
        p->qmp = vk_qmp_client_free(p->qmp);
        p->watch = vk_pidfd_watch_free(p->watch);
        process_unref(p);
        return NULL;
}

/*
 * The private directory of domain @name with id @id. The name is cut to 20 bytes (sockets have
 * 108), at a character boundary: a cut UTF-8 sequence is a path QEMU refuses.
 */
char *vk_qemu_process_private_dir(const char *run_dir, int id, const char *name) {
        const char *end = NULL;
        g_autofree char *dir = NULL;

        /* the valid prefix of at most that many bytes: a character cut in two is invalid */
        (void) g_utf8_validate(name, (gssize) MIN(strlen(name), PROCESS_DIR_NAME_MAX), &end);
        dir = g_strdup_printf("domain-%d-%.*s", id, (int) (end - name), name);
        return g_build_filename(run_dir, dir, NULL);
}

void process_remove_tree(const char *dir) {
        g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
        const char *entry;

        if (!d)
                return;
        while ((entry = g_dir_read_name(d))) {
                g_autofree char *path = g_build_filename(dir, entry, NULL);
                (void) unlink(path);
        }
        (void) rmdir(dir);
}

/* An AppArmor profile being unloaded after its QEMU is gone: owns the state until done. */
typedef struct ProfileUnload {
        VkSecurityManager *security;
        VkSecurityState *state;
        VkSecurityOp *op;
} ProfileUnload;

static void profile_unload_free(ProfileUnload *u) {
        vk_security_op_free(u->op);
        vk_security_state_free(u->state);
        vk_security_manager_unref(u->security);
        g_free(u);
}

static void profile_on_unloaded(VkSecurityOp *op, int r, const VkError *error, void *userdata) {
        ProfileUnload *u = userdata;

        if (r < 0)
                vk_log_warning("%s", error->message);
        u->op = NULL;
        vk_security_op_free(op);
        profile_unload_free(u);
}

/*
 * Give back what the security stack labelled (owners, SELinux labels) and unload the
 * AppArmor profile (from the loop, in the background), once: QEMU is gone or never ran.
 * Takes @state. A crash before the unload ends leaves the profile loaded, nothing else.
 */
void process_security_release(sd_event *e, VkSecurityManager *security, VkSecurityState *state,
                              const char *name) {
        g_auto(VkError) err = VK_ERROR_INIT;
        ProfileUnload *u;

        if (vk_security_manager_restore(security, state, &err) < 0)
                vk_log_debug("Failed to restore the labels of domain '%s', ignoring: %s",
                             vk_strempty(name), err.message);
        u = g_new0(ProfileUnload, 1);
        u->security = vk_security_manager_ref(security);
        u->state = state;
        vk_error_done(&err);
        if (vk_security_manager_unload_profile(security, state, e, profile_on_unloaded, u, &u->op,
                                               &err) < 0) {
                vk_log_warning("Failed to unload the AppArmor profile of domain '%s': %s",
                               vk_strempty(name), err.message);
                profile_unload_free(u);
        }
}

/*
 * Runs before the status file goes, so a crash in between loses nothing: labels and
 * profile (process_security_release()), helpers (virtiofsds, swtpm) and the TPM state a failed
 * start made, a cgroup we made, the private dir, the taps and network ports, the domain's lock
 * file, the status file.
 */
void process_remove_files(VkQemuProcess *p) {
        if (p->security && p->security_state)
                process_security_release(p->event, p->security, g_steal_pointer(&p->security_state),
                                         p->name);
        /* before the cgroup goes: they may be in it */
        process_helpers_stop(p);
        process_swtpm_remove_created(p);
        vk_qemu_cgroup_remove(p->event, p->cgroup_via, p->cgroup_name);
        g_clear_pointer(&p->cgroup_via, g_free);
        g_clear_pointer(&p->cgroup_name, g_free);
        if (p->private_dir)
                process_remove_tree(p->private_dir);
        if (p->nvram_created)
                (void) vk_file_remove(p->nvram_created);
        g_clear_pointer(&p->nvram_created, g_free);
        process_release_nets(p);
        vk_close_fdp(&p->lock_fd);
        p->lock_fd = -1;
        if (p->status_path) {
                g_autofree char *lock = vk_qemu_process_lock_path(p->status_path);

                vk_qemu_process_remove_lock(lock);
                (void) vk_file_remove(p->status_path);
        }
}

/* ---- /proc ---- */

static int process_read_stat_fields(pid_t pid, unsigned long long *ret_utime,
                                    unsigned long long *ret_stime, unsigned long long *ret_start) {
        g_autofree char *path = g_strdup_printf("/proc/%d/stat", (int) pid);
        g_autofree char *text = NULL;
        g_auto(GStrv) fields = NULL;
        const char *p;

        if (!g_file_get_contents(path, &text, NULL, NULL))
                return -ESRCH;
        /* the command name may hold spaces and parentheses: fields start after the last ')' */
        p = strrchr(text, ')');
        if (!p || p[1] != ' ')
                return -EBADMSG;
        fields = g_strsplit(p + 2, " ", 0);
        /* fields[0] is field 3 (state): utime is 14, stime 15, starttime 22 */
        if (g_strv_length(fields) < 20)
                return -EBADMSG;
        if (ret_utime)
                *ret_utime = g_ascii_strtoull(fields[11], NULL, 10);
        if (ret_stime)
                *ret_stime = g_ascii_strtoull(fields[12], NULL, 10);
        if (ret_start)
                *ret_start = g_ascii_strtoull(fields[19], NULL, 10);
        return 0;
}

/* The start time of @pid (clock ticks after boot, /proc/PID/stat field 22): its identity. */
int vk_qemu_process_read_pid_start_time(pid_t pid, unsigned long long *ret) {
        return process_read_stat_fields(pid, NULL, NULL, ret);
}

/* CPU time QEMU used so far (user + system), in nanoseconds. */
int vk_qemu_process_cpu_time(const VkQemuProcess *p, uint64_t *ret_nsec) {
        unsigned long long utime, stime;
        long hz = sysconf(_SC_CLK_TCK);
        int r;

        if (p->exited)
                return -ESRCH;
        r = process_read_stat_fields(p->pid, &utime, &stime, NULL);
        if (r < 0)
                return r;
        *ret_nsec = (utime + stime) * (1000000000ULL / (unsigned long long) (hz > 0 ? hz : 100));
        return 0;
}

bool process_cmdline_is(pid_t pid, const char *binary) {
        g_autofree char *path = g_strdup_printf("/proc/%d/cmdline", (int) pid);
        g_autofree char *text = NULL;
        gsize len = 0;

        if (!g_file_get_contents(path, &text, &len, NULL) || len == 0)
                return false;
        return strcmp(text, binary) == 0; /* argv[0] is the binary we exec'd */
}

/* ---- the end of the process ---- */

static char *process_log_tail(VkQemuProcess *p) {
        g_autofree char *text = NULL;
        gsize len = 0;
        const char *start;
        char *tail;

        if (!p->log_path || !g_file_get_contents(p->log_path, &text, &len, NULL))
                return NULL;
        if ((gsize) p->log_offset >= len)
                return NULL;
        start = text + p->log_offset;
        if (strlen(start) > PROCESS_LOG_TAIL_MAX)
                start += strlen(start) - PROCESS_LOG_TAIL_MAX;
        tail = g_strstrip(g_strdup(start));
        if (!*tail) {
                g_free(tail);
                return NULL;
        }
        /* one line reads better in an error message */
        g_strdelimit(tail, "\n", ' ');
        return tail;
}

/* Stop every stage of a start in progress (the process itself is left alone). */
void process_cancel_stages(VkQemuProcess *p) {
        process_stop_sources(p);
        p->qmp = vk_qmp_client_free(p->qmp);
        p->aa_op = vk_security_op_free(p->aa_op);
        p->cgroup = vk_qemu_cgroup_free(p->cgroup);
        p->swtpm_setup = vk_child_free(p->swtpm_setup);
        vk_close_fdp(&p->go_fd);
        p->go_fd = -1;
}

/* Report a start that failed, once QEMU is gone (or never ran) and its files are removed. */
static void process_report_failure(VkQemuProcess *p) {
        g_autofree char *tail = p->pid > 0 ? process_log_tail(p) : NULL;
        g_auto(VkError) error = VK_ERROR_INIT;
        g_autofree char *why = NULL;

        if (p->exit_code == CLD_EXITED)
                why = g_strdup_printf("QEMU exited while starting (status %d)", p->exit_status);
        else
                why = g_strdup("QEMU ended while starting");
        if (vk_error_is_set(&p->error))
                vk_error_set(&error, p->error.name, p->error.error, "%s%s%s", p->error.message,
                             tail ? ": " : "", tail ? tail : "");
        else
                vk_error_set(&error, VK_ERROR_OPERATION_FAILED, -EIO, "%s%s%s", why,
                             tail ? ": " : "", tail ? tail : "");
        if (p->cb.started)
                p->cb.started(p, &error, p->userdata);
}

void process_on_exit(VkPidfdWatch *w, const VkChildExit *exit, void *userdata) {
        VkQemuProcess *p = userdata;
        g_autoptr(ProcessRef) ref = process_ref(p);

        p->watch = vk_pidfd_watch_free(p->watch);
        p->exited = true;
        if (exit) {
                p->exit_code = exit->code;
                p->exit_status = exit->status;
        }
        process_cancel_stages(p);
        process_remove_files(p);
        vk_log_debug("QEMU of domain '%s' (pid %d) ended", p->name, (int) p->pid);

        if (!p->started) {
                process_report_failure(p);
                return;
        }
        if (p->cb.exited)
                p->cb.exited(p, p->userdata);
}

/*
 * Abort a start: record why, kill QEMU; the started callback runs once it is gone. Before
 * QEMU was spawned there is nothing to wait for: files go and the callback runs now.
 */
void process_fail(VkQemuProcess *p, const VkError *error) {
        g_autoptr(ProcessRef) ref = NULL;

        if (p->started || p->exited)
                return;
        if (!vk_error_is_set(&p->error))
                vk_error_set(&p->error, error->name, error->error, "%s", error->message);
        process_cancel_stages(p);
        if (p->pid <= 0) {
                ref = process_ref(p);
                p->exited = true;
                process_remove_files(p);
                process_report_failure(p);
                return;
        }
        if (!p->kill_sent) {
                p->kill_sent = true;
                (void) kill(p->pid, SIGKILL); /* our unreaped child: the pid cannot be reused */
        }
}

static void process_fail_msg(VkQemuProcess *p, const char *name, int err, const char *msg) {
        g_auto(VkError) e = VK_ERROR_INIT;

        vk_error_set(&e, name, err, "%s", msg);
        process_fail(p, &e);
}

static int process_on_started_defer(sd_event_source *s, void *userdata) {
        VkQemuProcess *p = userdata;
        g_autoptr(ProcessRef) ref = process_ref(p);

        p->defer = sd_event_source_disable_unref(p->defer);
        if (p->cb.started)
                p->cb.started(p, NULL, p->userdata);
        return 0;
}

/*
 * Success: report from the loop (never from inside a QMP callback's caller chain). A fresh
 * start first replaces its "starting" record: if that fails, the start fails and QEMU goes.
 */
static void process_succeed(VkQemuProcess *p) {
        g_auto(VkError) err = VK_ERROR_INIT;
        int r;

        if (p->starting && !p->reconnected) {
                p->starting = false;
                r = vk_qemu_process_write_status(p, NULL, p->paused ? "paused" : "running",
                                                 p->paused ? "user" : "booted", &err);
                if (r < 0) {
                        p->starting = true;
                        vk_log_error("Failed to write the status of domain '%s': %s", p->name,
                                     err.message);
                        process_fail(p, &err);
                        return;
                }
        }
        p->starting = false;
        g_clear_pointer(&p->nvram_created, g_free);       /* the domain's now */
        g_clear_pointer(&p->swtpm_state_created, g_free); /* so is its TPM */
        p->timeout_timer = sd_event_source_disable_unref(p->timeout_timer);
        p->connect_timer = sd_event_source_disable_unref(p->connect_timer);
        p->started = true;
        r = sd_event_add_defer(p->event, &p->defer, process_on_started_defer, p);
        if (r < 0 && p->cb.started)
                p->cb.started(p, NULL, p->userdata);
}

static int process_signal(VkQemuProcess *p, int sig);

/*
 * An adopted QEMU whose monitor does not answer: a VM keeps running without monitor, but the
 * QEMU of a start an earlier daemon did not finish goes (qemu-process-recover.c).
 */
static void process_reconnect_give_up(VkQemuProcess *p) {
        if (!p->starting) {
                process_succeed(p);
                return;
        }
        if (!vk_error_is_set(&p->error))
                vk_error_set(&p->error, VK_ERROR_OPERATION_FAILED, -EIO,
                             "QEMU of domain '%s' did not answer after its start was cut short",
                             p->name);
        process_cancel_stages(p);
        if (!p->kill_sent) {
                p->kill_sent = true;
                (void) process_signal(p, SIGKILL);
        }
}

/* ---- QMP ---- */

static void process_on_qmp_event(VkQmpClient *qmp, const char *name, JsonObject *data,
                                 int64_t timestamp_usec, void *userdata) {
        VkQemuProcess *p = userdata;

        if (p->started && p->cb.event)
                p->cb.event(p, name, data, p->userdata);
}

/* The monitor closed a while ago and QEMU is still there: say so (not when we end QEMU). */
static int process_on_monitor_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        VkQemuProcess *p = userdata;

        p->monitor_timer = sd_event_source_disable_unref(p->monitor_timer);
        if (!p->exited && !p->kill_sent && !p->qmp && p->cb.monitor_lost)
                p->cb.monitor_lost(p, p->userdata);
        return 0;
}

static void process_on_qmp_disconnect(VkQmpClient *qmp, const VkError *error, void *userdata) {
        VkQemuProcess *p = userdata;

        vk_log_debug("QMP of domain '%s' closed: %s", p->name,
                     error && error->message ? error->message : "EOF");
        p->qmp = vk_qmp_client_free(p->qmp);
        if (p->reconnected && !p->started) {
                /* an adopted QEMU whose monitor we cannot use: it still runs */
                process_reconnect_give_up(p);
                return;
        }
        /* the pidfd says when QEMU is really gone; a start cannot go on without QMP */
        if (!p->started) {
                process_fail_msg(p, VK_ERROR_OPERATION_FAILED, -EIO,
                                 "QEMU closed its monitor connection while starting");
                return;
        }
        /* QEMU closes it as it ends: only a QEMU still there a moment later lost it */
        if (!p->exited && !p->kill_sent && !p->monitor_timer &&
            sd_event_add_time_relative(p->event, &p->monitor_timer, CLOCK_MONOTONIC,
                                       VK_QEMU_MONITOR_LOST_USEC, 0, process_on_monitor_timer,
                                       p) < 0)
                vk_log_debug("Cannot watch QEMU of domain '%s' after its monitor closed", p->name);
}

static void process_on_cont(VkQmpClient *qmp, JsonNode *ret, const VkError *error, void *userdata) {
        VkQemuProcess *p = userdata;

        if (error) {
                process_fail(p, error);
                return;
        }
        process_succeed(p);
}

static void process_on_query_status(VkQmpClient *qmp, JsonNode *ret, const VkError *error,
                                    void *userdata) {
        VkQemuProcess *p = userdata;

        if (!error && ret && JSON_NODE_HOLDS_OBJECT(ret)) {
                JsonObject *o = json_node_get_object(ret);
                p->paused_at_start =
                        !json_object_get_boolean_member_with_default(o, "running", true);
        }
        if (error)
                process_reconnect_give_up(p);
        else
                process_succeed(p);
}

/* The vCPUs run ("cont") unless the start asked for a paused domain. */
static void process_run_cpus(VkQemuProcess *p) {
        g_auto(VkError) error = VK_ERROR_INIT;

        if (p->paused) {
                process_succeed(p);
                return;
        }
        if (vk_qmp_execute(p->qmp, "cont", NULL, process_on_cont, p, NULL, &error) < 0)
                process_fail(p, &error);
}

static void process_on_set_action(VkQmpClient *qmp, JsonNode *ret, const VkError *error,
                                  void *userdata) {
        VkQemuProcess *p = userdata;

        if (error) {
                process_fail(p, error);
                return;
        }
        process_run_cpus(p);
}

static void process_on_qmp_ready(VkQmpClient *qmp, void *userdata) {
        VkQemuProcess *p = userdata;
        g_auto(VkError) error = VK_ERROR_INIT;
        g_autoptr(JsonObject) args = NULL;

        if (p->reconnected) {
                /* nothing to tune: the threads keep what the start gave them */
                if (vk_qmp_execute(qmp, "query-status", NULL, process_on_query_status, p, NULL,
                                   &error) < 0)
                        process_reconnect_give_up(p);
                return;
        }
        /* <cputune> first, while the vCPUs have not run (-S) */
        process_tune_apply(p);
}

/* After the tuning (qemu-process-tune.c): the lifecycle actions, then the vCPUs run. */
void process_after_tune(VkQemuProcess *p) {
        g_auto(VkError) error = VK_ERROR_INIT;
        g_autoptr(JsonObject) args = NULL;

        if (!p->reboot_shutdown) {
                process_run_cpus(p);
                return;
        }
        /* on_reboot=destroy, as libvirt 9.0 does it: QEMU runs with -no-shutdown, and a guest
         * reboot becomes a shutdown (SHUTDOWN reason guest-reset) that the driver ends */
        args = json_object_new();
        json_object_set_string_member(args, "reboot", "shutdown");
        if (vk_qmp_execute(p->qmp, "set-action", args, process_on_set_action, p, NULL, &error) < 0)
                process_fail(p, &error);
}

static const VkQmpCallbacks process_qmp_callbacks = {
        .ready = process_on_qmp_ready,
        .event = process_on_qmp_event,
        .disconnect = process_on_qmp_disconnect,
};

static int process_on_connect_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        VkQemuProcess *p = userdata;
        g_auto(VkError) error = VK_ERROR_INIT;
        uint64_t delay;
        int r;

        r = vk_qmp_client_connect(p->event, p->monitor_path, &process_qmp_callbacks, p, &p->qmp,
                                  &error);
        if (r >= 0) {
                p->connect_timer = sd_event_source_disable_unref(p->connect_timer);
                return 0;
        }
        if (r != -ENOENT && r != -ECONNREFUSED && r != -EAGAIN) {
                if (p->reconnected)
                        process_reconnect_give_up(p);
                else
                        process_fail(p, &error);
                return 0;
        }
        /* QEMU has not created its monitor yet: try again soon, backing off to 20 ms */
        p->connect_attempts++;
        delay = MIN(1000ULL << MIN(p->connect_attempts, 5U), 20000ULL);
        (void) sd_event_source_set_time_relative(s, delay);
        (void) sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
        return 0;
}

static int process_on_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        VkQemuProcess *p = userdata;
        g_autofree char *msg = NULL;

        p->timeout_timer = sd_event_source_disable_unref(p->timeout_timer);
        if (p->reconnected) {
                /* give up on the monitor, keep watching the process */
                p->connect_timer = sd_event_source_disable_unref(p->connect_timer);
                p->qmp = vk_qmp_client_free(p->qmp);
                process_reconnect_give_up(p);
                return 0;
        }
        if (p->aa_op)
                msg = g_strdup_printf("the AppArmor profile of domain '%s' was not loaded in time",
                                      p->name);
        else if (p->cgroup)
                msg = g_strdup_printf("the scope of domain '%s' was not ready in time", p->name);
        else if (p->swtpm_setup)
                msg = g_strdup_printf("swtpm_setup did not manufacture the TPM of domain '%s' "
                                      "in time",
                                      p->name);
        else
                msg = g_strdup_printf(
                        "QEMU of domain '%s' did not answer on its monitor '%s' in time", p->name,
                        p->monitor_path);
        process_fail_msg(p, VK_ERROR_TIMEOUT, -ETIMEDOUT, msg);
        return 0;
}

/* Try to connect QMP now, and again until QEMU made its monitor socket. */
int process_arm_connect(VkQemuProcess *p, VkError *reterr) {
        int r;

        /* accuracy 1 µs: sd-event's default (0) lets a timer slip by up to 250 ms */
        r = sd_event_add_time_relative(p->event, &p->connect_timer, CLOCK_MONOTONIC, 0, 1,
                                       process_on_connect_timer, p);
        if (r < 0)
                return vk_error_set_errno(reterr, r, "Failed to arm a timer");
        return 0;
}

/* The deadline of the whole start (or reconnect). */
int process_arm_timeout(VkQemuProcess *p, uint64_t timeout_usec, VkError *reterr) {
        int r;

        r = sd_event_add_time_relative(p->event, &p->timeout_timer, CLOCK_MONOTONIC, timeout_usec,
                                       0, process_on_timeout, p);
        if (r < 0)
                return vk_error_set_errno(reterr, r, "Failed to arm a timer");
        return 0;
}

/* ---- stop ---- */

static int process_on_kill_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        VkQemuProcess *p = userdata;

        p->kill_timer = sd_event_source_disable_unref(p->kill_timer);
        if (!p->exited && p->watch)
                (void) kill(p->pid, SIGKILL);
        return 0;
}

static int process_signal(VkQemuProcess *p, int sig) {
        vk_autofd fd = -1;

        /* a pidfd rules out signalling a recycled pid of an adopted QEMU */
        fd = pidfd_open(p->pid, 0);
        if (fd < 0)
                return -errno;
        if (pidfd_send_signal(fd, sig, NULL, 0) < 0)
                return -errno;
        return 0;
}

/*
 * Ask QEMU to end: SIGTERM now, SIGKILL after @grace_usec unless @graceful (then the caller
 * gives up when it pleases). The exited callback reports the end. Returns -ESRCH when QEMU
 * is already gone.
 */
int vk_qemu_process_terminate(VkQemuProcess *p, bool graceful, uint64_t grace_usec) {
        int r;

        if (p->exited)
                return -ESRCH;
        p->kill_sent = true;
        r = process_signal(p, SIGTERM);
        if (r < 0)
                return r;
        if (graceful || p->kill_timer)
                return 0;
        r = sd_event_add_time_relative(p->event, &p->kill_timer, CLOCK_MONOTONIC, grace_usec, 0,
                                       process_on_kill_timer, p);
        return r < 0 ? r : 0;
}
