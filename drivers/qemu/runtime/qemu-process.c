/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-process.c: one QEMU process: start, watch, reconnect, stop, status file */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "atomic-file.h"
#include "json.h"
#include "log.h"
#include "macro.h"
#include "qemu-argv.h"
#include "qemu-cgroup.h"
#include "qemu-process-recover.h"
#include "qemu-process.h"
#include "sd-glue.h"

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
 *   4. QMP connected, "cont" unless paused
 * A failure at any stage kills what runs and gives back labels, profile, cgroup and files
 * before the started callback reports it.
 */

#define PROCESS_START_TIMEOUT_USEC     (30ULL * 1000 * 1000)
#define PROCESS_RECONNECT_TIMEOUT_USEC (5ULL * 1000 * 1000)
#define PROCESS_STATUS_MAX             (16U * 1024U * 1024U)
#define PROCESS_LOG_TAIL_MAX           1024
#define MASTER_KEY_SIZE                32
#define PROCESS_DIR_NAME_MAX           20

#define GRAPHICS_PORT_FIRST  5900
#define WEBSOCKET_PORT_FIRST 5700

/* A port for a graphics server with autoport, from the driver's set (see qemu-ports.c). */
static int process_reserve_port(VkQemuProcess *p, int first, VkError *reterr) {
        size_t slot;
        int port;

        for (slot = 0; slot < G_N_ELEMENTS(p->ports) && p->ports[slot]; slot++)
                ;
        if (slot == G_N_ELEMENTS(p->ports))
                return vk_error_set(reterr, VK_ERROR_LIMIT_EXCEEDED, -ENOSPC,
                                    "too many automatic graphics ports for one domain");
        port = vk_qemu_ports_reserve(p->port_set, first, reterr);
        if (port < 0)
                return port;
        p->ports[slot] = port;
        return port;
}

static void process_release_ports(VkQemuProcess *p) {
        for (size_t i = 0; i < G_N_ELEMENTS(p->ports); i++)
                if (p->ports[i] && p->port_set)
                        vk_qemu_ports_release(p->port_set, p->ports[i]);
        memset(p->ports, 0, sizeof(p->ports));
}

/*
 * Fill @aopts with ports for every graphics device that asks for one automatically, and show
 * them in the live definition @def (as port='5900' with autoport='yes').
 */
static int process_pick_graphics_ports(VkQemuProcess *p, VkDomainDef *def, VkQemuArgvOptions *aopts,
                                       VkError *reterr) {
        for (size_t i = 0; i < def->n_graphics; i++) {
                VkDomainGraphics *g = def->graphics[i];
                bool autoport = g->port <= 0 || g->autoport == VK_TRISTATE_YES;
                int r;

                if (g->type == VK_GRAPHICS_VNC) {
                        if (autoport && !aopts->vnc_port) {
                                r = process_reserve_port(p, GRAPHICS_PORT_FIRST, reterr);
                                if (r < 0)
                                        return r;
                                aopts->vnc_port = r;
                                g->port = r;
                                g->autoport = VK_TRISTATE_YES;
                        }
                        if (g->websocket < 0 && !aopts->vnc_websocket_port) {
                                r = process_reserve_port(p, WEBSOCKET_PORT_FIRST, reterr);
                                if (r < 0)
                                        return r;
                                aopts->vnc_websocket_port = r;
                        }
                } else if (g->type == VK_GRAPHICS_SPICE && autoport && !aopts->spice_port) {
                        r = process_reserve_port(p, GRAPHICS_PORT_FIRST, reterr);
                        if (r < 0)
                                return r;
                        aopts->spice_port = r;
                        g->port = r;
                        g->autoport = VK_TRISTATE_YES;
                }
        }
        return 0;
}

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
        g_free(p->monitor_path);
        g_free(p->status_path);
        g_free(p->log_path);
        g_free(p->binary);
        g_free(p->live_xml);
        g_free(p->status_text);
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
        g_free(p);
}

/* a reference held while callbacks run (they may free the process) */
typedef VkQemuProcess ProcessRef;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ProcessRef, process_unref)

static void process_stop_sources(VkQemuProcess *p) {
        p->connect_timer = sd_event_source_disable_unref(p->connect_timer);
        p->timeout_timer = sd_event_source_disable_unref(p->timeout_timer);
        p->kill_timer = sd_event_source_disable_unref(p->kill_timer);
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

static void process_remove_tree(const char *dir) {
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
static void process_security_release(sd_event *e, VkSecurityManager *security,
                                     VkSecurityState *state, const char *name) {
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
 * profile (process_security_release()), a cgroup we made, the private dir, the domain's lock
 * file, the status file.
 */
static void process_remove_files(VkQemuProcess *p) {
        if (p->security && p->security_state)
                process_security_release(p->event, p->security, g_steal_pointer(&p->security_state),
                                         p->name);
        vk_qemu_cgroup_remove(p->cgroup_via, p->cgroup_name);
        g_clear_pointer(&p->cgroup_via, g_free);
        g_clear_pointer(&p->cgroup_name, g_free);
        if (p->private_dir)
                process_remove_tree(p->private_dir);
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

static bool process_cmdline_is(pid_t pid, const char *binary) {
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
static void process_cancel_stages(VkQemuProcess *p) {
        process_stop_sources(p);
        p->qmp = vk_qmp_client_free(p->qmp);
        p->aa_op = vk_security_op_free(p->aa_op);
        p->cgroup = vk_qemu_cgroup_free(p->cgroup);
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

static void process_on_exit(VkPidfdWatch *w, const VkChildExit *exit, void *userdata) {
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
static void process_fail(VkQemuProcess *p, const VkError *error) {
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
        if (!p->started)
                process_fail_msg(p, VK_ERROR_OPERATION_FAILED, -EIO,
                                 "QEMU closed its monitor connection while starting");
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

static void process_on_qmp_ready(VkQmpClient *qmp, void *userdata) {
        VkQemuProcess *p = userdata;
        g_auto(VkError) error = VK_ERROR_INIT;
        int r;

        if (p->reconnected)
                r = vk_qmp_execute(qmp, "query-status", NULL, process_on_query_status, p, NULL,
                                   &error);
        else if (p->paused) {
                process_succeed(p);
                return;
        } else
                r = vk_qmp_execute(qmp, "cont", NULL, process_on_cont, p, NULL, &error);
        if (r < 0) {
                if (p->reconnected)
                        process_reconnect_give_up(p);
                else
                        process_fail(p, &error);
        }
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
        else
                msg = g_strdup_printf(
                        "QEMU of domain '%s' did not answer on its monitor '%s' in time", p->name,
                        p->monitor_path);
        process_fail_msg(p, VK_ERROR_TIMEOUT, -ETIMEDOUT, msg);
        return 0;
}

/* Try to connect QMP now, and again until QEMU made its monitor socket. */
static int process_arm_connect(VkQemuProcess *p, VkError *reterr) {
        int r;

        /* accuracy 1 µs: sd-event's default (0) lets a timer slip by up to 250 ms */
        r = sd_event_add_time_relative(p->event, &p->connect_timer, CLOCK_MONOTONIC, 0, 1,
                                       process_on_connect_timer, p);
        if (r < 0)
                return vk_error_set_errno(reterr, r, "Failed to arm a timer");
        return 0;
}

/* The deadline of the whole start (or reconnect). */
static int process_arm_timeout(VkQemuProcess *p, uint64_t timeout_usec, VkError *reterr) {
        int r;

        r = sd_event_add_time_relative(p->event, &p->timeout_timer, CLOCK_MONOTONIC, timeout_usec,
                                       0, process_on_timeout, p);
        if (r < 0)
                return vk_error_set_errno(reterr, r, "Failed to arm a timer");
        return 0;
}

/* ---- start ---- */

static int process_check_sources(const VkDomainDef *def, VkError *reterr) {
        for (size_t i = 0; i < def->n_disks; i++) {
                const VkDomainDisk *d = def->disks[i];

                if (!d->src_path || (d->type != VK_DISK_TYPE_FILE && d->type != VK_DISK_TYPE_BLOCK))
                        continue;
                if (access(d->src_path, F_OK) < 0)
                        return vk_error_set(reterr, VK_ERROR_OPERATION_FAILED,
                                            vk_negative_errno(errno),
                                            "cannot access storage file '%s' of disk '%s' of "
                                            "domain '%s': %s",
                                            d->src_path, vk_strempty(d->target_dev), def->name,
                                            g_strerror(errno));
        }
        if (def->kernel && access(def->kernel, R_OK) < 0)
                return vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, vk_negative_errno(errno),
                                    "cannot access kernel '%s' of domain '%s': %s", def->kernel,
                                    def->name, g_strerror(errno));
        if (def->initrd && access(def->initrd, R_OK) < 0)
                return vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, vk_negative_errno(errno),
                                    "cannot access initrd '%s' of domain '%s': %s", def->initrd,
                                    def->name, g_strerror(errno));
        return 0;
}

/*
 * The per-start secrets (issue 6): the values secretd encrypted under @opts->master_key, which
 * goes to master-key.aes; without a key from the caller a fresh one is made there.
 */
static void process_use_secrets(const VkQemuProcessOptions *opts, VkQemuArgvOptions *aopts) {
        aopts->secrets = opts->secrets;
        aopts->n_secrets = opts->n_secrets;
}

static int process_write_master_key(const char *dir, const uint8_t *given, VkError *reterr) {
        g_autofree char *path = g_build_filename(dir, "master-key.aes", NULL);
        uint8_t key[MASTER_KEY_SIZE];
        ssize_t n;
        int r;

        if (given)
                memcpy(key, given, sizeof(key));
        else {
                n = getrandom(key, sizeof(key), /* flags= */ 0);
                if (n != (ssize_t) sizeof(key))
                        return vk_error_set_errno(reterr, n < 0 ? errno : EIO,
                                                  "Failed to generate the master key");
        }
        r = vk_atomic_file_write(path, key, sizeof(key), 0600, reterr);
        explicit_bzero(key, sizeof(key));
        return r;
}

static int process_open_log(VkQemuProcess *p, const VkQemuCommand *cmd, uint64_t max_size,
                            int *ret_fd, VkError *reterr) {
        g_autofree char *native = vk_qemu_command_to_native(cmd);
        g_autofree char *header = NULL;
        g_autoptr(GDateTime) now = g_date_time_new_now_utc();
        g_autofree char *stamp = g_date_time_format(now, "%Y-%m-%d %H:%M:%S");
        vk_autofd fd = -1;
        struct stat st;

        if (max_size > 0 && stat(p->log_path, &st) == 0 && (uint64_t) st.st_size >= max_size) {
                g_autofree char *old = g_strconcat(p->log_path, ".0", NULL);
                (void) rename(p->log_path, old);
        }
        fd = open(p->log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
        if (fd < 0)
                return vk_error_set_errno(reterr, errno, "Failed to open the log file '%s'",
                                          p->log_path);
        header = g_strdup_printf("%s UTC: starting up\n%s\n", stamp, native);
        if (write(fd, header, strlen(header)) < 0)
                return vk_error_set_errno(reterr, errno, "Failed to write '%s'", p->log_path);
        p->log_offset = lseek(fd, 0, SEEK_END);
        *ret_fd = vk_steal_fd(&fd);
        return 0;
}

static void process_on_child(VkChild *child, const VkChildExit *exit, void *userdata) {
        /* never called: the child is detached at once and watched through its pidfd */
}

/*
 * Run the security stack for a starting QEMU: choose the labels (shown in @live's
 * <seclabel>s), label its files and the private dir, and compute what the exec applies. On
 * failure nothing stays labelled; on success process_remove_files() undoes it.
 */
static int process_security_setup(VkQemuProcess *p, VkDomainDef *live,
                                  VkSecurityExecParams *ret_params, VkError *reterr) {
        g_autoptr(VkSecurityState) state = NULL;
        g_autofree char *dir = g_strconcat(p->private_dir, "/", NULL);
        g_autofree char *key = g_build_filename(p->private_dir, "master-key.aes", NULL);
        const char *extra[] = { dir, key, p->monitor_path, NULL };
        int r;

        if (!p->security)
                return 0;
        r = vk_qemu_security_prepare(p->security, live, &state, reterr);
        if (r < 0)
                return r;
        r = vk_qemu_security_label_domain(p->security, state, live, extra, reterr);
        if (r < 0)
                return r;
        /* from here on the state holds labels: process_remove_files() gives them back */
        p->security_state = g_steal_pointer(&state);
        r = vk_security_manager_exec_params(p->security, p->security_state, ret_params, reterr);
        if (r < 0)
                return r;
        return vk_qemu_security_set_live_seclabels(p->security_state, live);
}

/*
 * Spawn QEMU with its output on p->log_fd. Credentials alone are applied by vk_child_spawn();
 * capabilities, LSM labels and the wait for the cgroup placement (@wait_fd, -1: none) need
 * virtkit-qemu-exec, which applies them and execs QEMU under the same pid.
 */
static int process_spawn(VkQemuProcess *p, int wait_fd, VkChild **ret_child, VkError *reterr) {
        const VkQemuCommand *cmd = p->cmd;
        g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
        VkChildOptions copts = {};
        /* fd 4: the domain's lock, held by QEMU for its lifetime (qemu-process-recover.c) */
        VkChildFd fds[] = { { .fd = wait_fd, .target = 3 }, { .fd = p->lock_fd, .target = 4 } };
        VkChildFd *fd3 = fds;

        /* a daemon crash never stops a VM */
        copts.flags = VK_CHILD_NEW_SESSION | VK_CHILD_STDOUT_TO_FD | VK_CHILD_STDERR_TO_FD |
                      VK_CHILD_OUTLIVE_PARENT;
        copts.env = (const char *const *) cmd->env;
        copts.stdout_fd = p->log_fd;
        copts.stderr_fd = p->log_fd;
        copts.working_directory = "/";
        if (wait_fd < 0 && !vk_security_exec_params_need_helper(&p->exec_params)) {
                vk_security_exec_params_to_child_options(&p->exec_params, &copts);
                return vk_child_spawn(p->event, (const char *const *) cmd->argv, &copts,
                                      process_on_child, NULL, ret_child, reterr);
        }
        g_ptr_array_add(argv, vk_security_exec_helper_path());
        if (wait_fd >= 0) {
                g_ptr_array_add(argv, g_strdup("--wait-fd=3"));
                copts.fds = fd3;
                copts.n_fds = p->lock_fd >= 0 ? 2 : 1;
        }
        vk_security_exec_params_to_args(&p->exec_params, argv);
        for (size_t i = 0; cmd->argv[i]; i++)
                g_ptr_array_add(argv, g_strdup(cmd->argv[i]));
        /* argv[0] of QEMU must be its path: the reconnect check reads /proc/PID/cmdline */
        if (!g_path_is_absolute(cmd->argv[0]))
                return vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, -EINVAL,
                                    "the QEMU binary '%s' is not an absolute path", cmd->argv[0]);
        g_ptr_array_add(argv, NULL);
        return vk_child_spawn(p->event, (const char *const *) argv->pdata, &copts, process_on_child,
                              NULL, ret_child, reterr);
}

/* The "starting" record of the status file (qemu-process-recover.c). */
static int process_write_start_record(VkQemuProcess *p, VkError *reterr) {
        int r;

        p->starting = true;
        r = vk_qemu_process_write_status(p, NULL, "paused", "starting up", reterr);
        if (r < 0)
                vk_log_error("Failed to write the status of domain '%s': %s", p->name,
                             reterr ? reterr->message : "");
        return r;
}

/*
 * QEMU (still in virtkit-qemu-exec) is placed: record it unless the record is up to date
 * (@record false), let it exec, connect QMP.
 */
static void process_release(VkQemuProcess *p, bool record) {
        g_auto(VkError) err = VK_ERROR_INIT;
        char go = 1;

        if (record && process_write_start_record(p, &err) < 0) {
                process_fail(p, &err);
                return;
        }
        if (write(p->go_fd, &go, 1) != 1) {
                vk_error_set_errno(&err, errno, "Failed to let QEMU of domain '%s' go", p->name);
                process_fail(p, &err);
                return;
        }
        vk_close_fdp(&p->go_fd);
        p->go_fd = -1;
        if (process_arm_connect(p, &err) < 0)
                process_fail(p, &err);
}

/* Stage 3 done: QEMU is in its cgroup. */
static void process_on_placed(VkQemuCgroup *cg, const VkError *error, void *userdata) {
        VkQemuProcess *p = userdata;
        bool changed = false;

        if (!error) {
                /* a cgroup we make is recorded as planned already; a scope is new */
                changed = g_strcmp0(p->cgroup_via, vk_qemu_cgroup_get_via(cg)) != 0 ||
                          g_strcmp0(p->cgroup_name, vk_qemu_cgroup_get_name(cg)) != 0;
                g_free(p->cgroup_via);
                g_free(p->cgroup_name);
                p->cgroup_via = g_strdup(vk_qemu_cgroup_get_via(cg));
                p->cgroup_name = g_strdup(vk_qemu_cgroup_get_name(cg));
        }
        p->cgroup = vk_qemu_cgroup_free(p->cgroup);
        if (error) {
                process_fail(p, error);
                return;
        }
        process_release(p, changed);
}

/* Kill our unreleased child now and wait until it is gone (it lets go of the domain lock). */
static void process_kill_child_now(VkChild *child) {
        struct pollfd pfd = { .fd = vk_child_get_pidfd(child), .events = POLLIN };

        (void) vk_child_kill(child, SIGKILL);
        while (poll(&pfd, 1, 1000) < 0 && errno == EINTR)
                ;
}

/*
 * Stage 3: spawn QEMU and watch it; with a cgroup placement QEMU waits for it. Errors
 * leave no QEMU behind (the caller removes the files).
 */
static int process_launch(VkQemuProcess *p, VkError *reterr) {
        g_auto(VkError) err = VK_ERROR_INIT;
        g_autoptr(VkChild) child = NULL;
        vk_autofd pidfd = -1;
        vk_autofd wait_fd = -1;
        int pipefd[2];
        int r;

        /* QEMU always waits in virtkit-qemu-exec until it is recorded (and placed) */
        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return vk_error_set_errno(reterr, errno, "Failed to create a pipe");
        wait_fd = pipefd[0];
        p->go_fd = pipefd[1];
        r = process_spawn(p, wait_fd, &child, reterr);
        if (r < 0)
                return r;
        vk_close_fdp(&p->log_fd);
        p->log_fd = -1;
        vk_close_fdp(&p->lock_fd); /* QEMU holds it now */
        p->lock_fd = -1;
        p->pid = vk_child_get_pid(child);
        p->start_time_usec = g_get_real_time();
        (void) vk_qemu_process_read_pid_start_time(p->pid, &p->pid_start_time);

        if (p->machine_prefix) {
                VkQemuCgroupSpec spec = {
                        .machine_prefix = p->machine_prefix,
                        .scopes = p->scopes,
                        .id = p->id,
                        .name = p->name,
                        .uuid = p->uuid.bytes,
                        .leader = p->pid,
                        .rules = p->acl,
                        .n_rules = p->n_acl,
                };

                vk_qemu_cgroup_planned(&spec, &p->cgroup_via, &p->cgroup_name);
                r = process_write_start_record(p, reterr);
                if (r >= 0)
                        r = vk_qemu_cgroup_place(p->event, &spec, process_on_placed, p, &p->cgroup,
                                                 reterr);
                if (r < 0) {
                        process_kill_child_now(child);
                        p->pid = -1; /* freeing the (not detached) child reaps it */
                        return r;
                }
        }

        /* the watch (not the child) reaps it: QEMU must outlive a daemon that goes away */
        pidfd = fcntl(vk_child_get_pidfd(child), F_DUPFD_CLOEXEC, 3);
        r = pidfd < 0 ? -errno
                      : vk_pidfd_watch_fd(p->event, vk_steal_fd(&pidfd), process_on_exit, p,
                                          &p->watch, reterr);
        if (r < 0) {
                p->cgroup = vk_qemu_cgroup_free(p->cgroup);
                process_kill_child_now(child);
                p->pid = -1;
                return vk_error_set_errno(reterr, r, "Failed to watch QEMU");
        }
        (void) vk_child_detach(child);
        vk_log_debug("Started QEMU for domain '%s': pid %d", p->name, (int) p->pid);
        if (!p->machine_prefix)
                process_release(p, true); /* a failure is reported once QEMU is gone */
        return 0;
}

/* Stage 2 done: the profile is loaded (or there was none to load). */
static void process_on_profile_loaded(VkSecurityOp *op, int r, const VkError *error,
                                      void *userdata) {
        VkQemuProcess *p = userdata;
        g_auto(VkError) err = VK_ERROR_INIT;

        p->aa_op = vk_security_op_free(p->aa_op);
        if (r < 0) {
                process_fail(p, error);
                return;
        }
        if (process_launch(p, &err) < 0)
                process_fail(p, &err);
}

/*
 * Start QEMU for the running definition @live (its id set; graphics ports picked for autoport
 * are written into it), in the stages described at the top of this file. @cb->started
 * reports the outcome from the loop, once; on failure QEMU is gone and its files, labels,
 * profile and cgroup removed by then. Errors known before the first asynchronous stage fail
 * the call itself and leave nothing behind. *@ret is owned by the caller; @live must stay
 * alive until the started callback ran. Must run on the loop.
 */
int vk_qemu_process_start(sd_event *e, VkDomainDef *live, const VkQemuProcessOptions *opts,
                          const VkQemuProcessCallbacks *cb, void *userdata, VkQemuProcess **ret,
                          VkError *reterr) {
        g_autoptr(VkQemuProcess) p = NULL;
        g_autofree char *status_file = NULL;
        g_autofree char *log_file = NULL;
        g_autofree char *lock_path = NULL;
        VkQemuArgvOptions aopts = {};
        int r;

        assert(e && live && opts && opts->ports && cb && ret);

        p = g_new0(VkQemuProcess, 1);
        p->n_ref = 1;
        p->event = e;
        p->port_set = vk_qemu_ports_ref(opts->ports);
        p->name = g_strdup(live->name);
        p->id = live->id;
        p->uuid = live->uuid;
        p->paused = opts->paused;
        p->cb = *cb;
        p->userdata = userdata;
        p->pid = -1;
        p->log_fd = -1;
        p->go_fd = -1;
        p->lock_fd = -1;
        p->machine_prefix = g_strdup(opts->machine_prefix);
        p->scopes = opts->scopes ? vk_scope_manager_ref(opts->scopes) : NULL;
        p->security = opts->security ? vk_security_manager_ref(opts->security) : NULL;
        p->private_dir = vk_qemu_process_private_dir(opts->run_dir, live->id, live->name);
        p->monitor_path = g_build_filename(p->private_dir, "monitor.sock", NULL);
        status_file = g_strconcat(live->name, ".json", NULL);
        log_file = g_strconcat(live->name, ".log", NULL);

        if (strlen(p->monitor_path) > VK_SOCKET_PATH_MAX)
                return vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, -ENAMETOOLONG,
                                    "the monitor socket path '%s' is longer than %d bytes",
                                    p->monitor_path, VK_SOCKET_PATH_MAX);
        r = process_check_sources(live, reterr);
        if (r < 0)
                return r;
        if (p->machine_prefix) {
                r = vk_qemu_security_device_acl(opts->cfg, live, &p->acl, &p->n_acl, reterr);
                if (r < 0)
                        return r;
        }

        aopts.private_dir = p->private_dir;
        aopts.now = time(NULL);
        process_use_secrets(opts, &aopts);
        r = process_pick_graphics_ports(p, live, &aopts, reterr);
        if (r < 0)
                return r;
        r = vk_qemu_build_command(live, opts->caps, opts->cfg, &aopts, &p->cmd, reterr);
        if (r < 0)
                return r;

        p->status_path = g_build_filename(opts->run_dir, status_file, NULL);
        p->log_path = g_build_filename(opts->log_dir, log_file, NULL);
        p->binary = g_strdup(p->cmd->binary);
        lock_path = vk_qemu_process_lock_path(p->status_path);
        r = vk_qemu_process_lock_domain(lock_path, p->name, &p->lock_fd, reterr);
        if (r < 0)
                return r;
        /* recorded before anything is made: a crash from here on leaves nothing unknown */
        p->starting = true;
        r = vk_qemu_process_write_status(p, live, "paused", "starting up", reterr);
        if (r >= 0) {
                process_remove_tree(p->private_dir);
                if (mkdir(p->private_dir, 0700) < 0)
                        r = vk_error_set_errno(reterr, errno, "Failed to create '%s'",
                                               p->private_dir);
        }
        /* from here on, a failure removes the private dir and the record */
        if (r >= 0)
                r = process_write_master_key(p->private_dir, opts->master_key, reterr);
        if (r >= 0)
                r = process_security_setup(p, live, &p->exec_params, reterr);
        /* again, the live XML now with its <seclabel>s */
        if (r >= 0)
                r = vk_qemu_process_write_status(p, live, "paused", "starting up", reterr);
        /* the timer fires from the loop, after we returned */
        if (r >= 0)
                r = process_arm_timeout(
                        p, opts->timeout_usec ? opts->timeout_usec : PROCESS_START_TIMEOUT_USEC,
                        reterr);
        if (r >= 0)
                r = process_open_log(p, p->cmd, opts->cfg->log_max_size, &p->log_fd, reterr);
        /* stage 2, or straight to 3 without a security stack */
        if (r >= 0 && p->security_state)
                r = vk_security_manager_load_profile(p->security, p->security_state, e,
                                                     process_on_profile_loaded, p, &p->aa_op,
                                                     reterr);
        else if (r >= 0)
                r = process_launch(p, reterr);
        if (r < 0) {
                process_cancel_stages(p);
                process_remove_files(p);
                return r;
        }

        *ret = g_steal_pointer(&p);
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

/* ---- status file ---- */

/*
 * Write the status file of the running process atomically: what a restarted daemon needs to
 * find QEMU again. @live is formatted with its live data; @state and @reason are the domain's.
 */
int vk_qemu_process_write_status(VkQemuProcess *p, const VkDomainDef *live, const char *state,
                                 const char *reason, VkError *reterr) {
        g_autoptr(JsonBuilder) b = json_builder_new();
        g_autoptr(JsonNode) root = NULL;
        g_autofree char *text = NULL;
        int r;

        if (live) {
                g_free(p->live_xml);
                p->live_xml = NULL;
                r = vk_domain_def_format_checked(
                        live, VK_DOMAIN_DEF_FORMAT_LIVE | VK_DOMAIN_DEF_FORMAT_SECURE,
                        "the status file", &p->live_xml, reterr);
                if (r < 0)
                        return r;
        }
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "pid");
        json_builder_add_int_value(b, p->pid);
        json_builder_set_member_name(b, "pidStartTime");
        json_builder_add_int_value(b, (gint64) p->pid_start_time);
        json_builder_set_member_name(b, "binary");
        json_builder_add_string_value(b, p->binary);
        json_builder_set_member_name(b, "monitor");
        json_builder_add_string_value(b, p->monitor_path);
        json_builder_set_member_name(b, "privateDir");
        json_builder_add_string_value(b, p->private_dir);
        json_builder_set_member_name(b, "log");
        json_builder_add_string_value(b, vk_strempty(p->log_path));
        json_builder_set_member_name(b, "startTime");
        json_builder_add_int_value(b, p->start_time_usec);
        json_builder_set_member_name(b, "id");
        json_builder_add_int_value(b, p->id);
        json_builder_set_member_name(b, "state");
        json_builder_add_string_value(b, state);
        json_builder_set_member_name(b, "reason");
        json_builder_add_string_value(b, reason);
        if (p->starting) {
                json_builder_set_member_name(b, "starting");
                json_builder_add_boolean_value(b, true);
        }
        json_builder_set_member_name(b, "xml");
        json_builder_add_string_value(b, vk_strempty(p->live_xml));
        if (p->cgroup_via) {
                json_builder_set_member_name(b, "cgroup");
                json_builder_begin_object(b);
                json_builder_set_member_name(b, "via");
                json_builder_add_string_value(b, p->cgroup_via);
                json_builder_set_member_name(b, "name");
                json_builder_add_string_value(b, p->cgroup_name);
                json_builder_end_object(b);
        }
        if (p->security_state) {
                g_autofree char *json = NULL;
                JsonNode *node = NULL;

                r = vk_security_manager_state_to_json(p->security_state, &json);
                if (r < 0)
                        return vk_error_set_errno(reterr, r, "Failed to save the security state");
                r = vk_json_parse(json, -1, &node, reterr);
                if (r < 0)
                        return r;
                json_builder_set_member_name(b, "security");
                json_builder_add_value(b, node);
        }
        json_builder_end_object(b);
        root = json_builder_get_root(b);
        text = vk_json_to_string(root, true);
        /* unchanged (a reconnect that found the state it recorded): no write, no fsync */
        if (p->status_text && strcmp(p->status_text, text) == 0)
                return 0;
        r = vk_atomic_file_write_full(p->status_path, text, strlen(text), 0600,
                                      p->starting ? VK_ATOMIC_FILE_NO_SYNC : 0, reterr);
        if (r < 0)
                return r;
        g_free(p->status_text);
        p->status_text = g_steal_pointer(&text);
        return 0;
}

/*
 * The security state a status file saved (its "security" member), rebuilt with @security;
 * NULL when there is none or it is unusable.
 */
static VkSecurityState *process_security_state_load(VkSecurityManager *security, JsonObject *o,
                                                    const char *status_path) {
        g_auto(VkError) err = VK_ERROR_INIT;
        g_autofree char *json = NULL;
        VkSecurityState *state = NULL;
        JsonNode *node;

        if (!security || !json_object_has_member(o, "security"))
                return NULL;
        node = json_object_get_member(o, "security");
        json = vk_json_to_string(node, false);
        if (vk_security_manager_state_from_json(security, json, &state, &err) < 0) {
                vk_log_debug("'%s': unusable security state, ignoring: %s", status_path,
                             err.message);
                return NULL;
        }
        return state;
}

/* The cgroup a status file records: "via" and "name" (borrowed from @o), or NULLs. */
static void process_status_cgroup(JsonObject *o, const char **ret_via, const char **ret_name) {
        JsonNode *n = json_object_get_member(o, "cgroup");
        JsonObject *cg = n && JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;

        *ret_via = cg ? vk_json_object_get_string_member_or_null(cg, "via") : NULL;
        *ret_name = cg ? vk_json_object_get_string_member_or_null(cg, "name") : NULL;
}

/*
 * Clean up after a dead QEMU: give back the labels and unload the profile its status file
 * @status_path records (with @security; NULL: none; the unload runs on @e), remove the cgroup
 * we made for it, the private dir it names and the file itself.
 */
void vk_qemu_process_cleanup_status(sd_event *e, const char *status_path,
                                    VkSecurityManager *security) {
        g_autofree char *text = NULL;
        g_autoptr(JsonNode) root = NULL;
        g_autofree char *lock = NULL;
        const char *dir, *via, *name;

        if (vk_file_read_all(status_path, PROCESS_STATUS_MAX, &text, NULL, NULL) >= 0 &&
            vk_json_parse(text, -1, &root, NULL) >= 0 && JSON_NODE_HOLDS_OBJECT(root)) {
                VkSecurityState *state = process_security_state_load(
                        security, json_node_get_object(root), status_path);

                JsonObject *o = json_node_get_object(root);

                /* a start cut short: its QEMU (or virtkit-qemu-exec) may still be there */
                if (json_object_get_boolean_member_with_default(o, "starting", false))
                        vk_qemu_process_kill_recorded(
                                (pid_t) json_object_get_int_member_with_default(o, "pid", -1),
                                (unsigned long long) json_object_get_int_member_with_default(
                                        o, "pidStartTime", 0),
                                status_path);
                if (state)
                        process_security_release(e, security, state, status_path);
                process_status_cgroup(json_node_get_object(root), &via, &name);
                vk_qemu_cgroup_remove(via, name);
                dir = vk_json_object_get_string_member_or_null(json_node_get_object(root),
                                                               "privateDir");
                if (dir && g_path_is_absolute(dir) && !strstr(dir, "/../") &&
                    strstr(dir, "/domain-"))
                        process_remove_tree(dir);
        }
        lock = vk_qemu_process_lock_path(status_path);
        vk_qemu_process_remove_lock(lock);
        (void) vk_file_remove(status_path);
}

/*
 * Adopt the QEMU described by @status_path, left by an earlier daemon instance: check that its
 * pid still is that QEMU (start time and argv[0]), watch it through a pidfd and reconnect QMP
 * (query-status tells whether it is paused). *@ret_live gets the live definition from the
 * status file, and with @security (NULL: none) the labels it recorded, to restore them when
 * QEMU ends. Fails with -ESRCH when QEMU is gone (the caller cleans up with
 * vk_qemu_process_cleanup_status()), -EBADMSG when the file is unusable. @cb->started runs
 * from the loop once QMP works or was given up on (the domain then runs without monitor).
 */
int vk_qemu_process_reconnect(sd_event *e, const char *status_path, VkSecurityManager *security,
                              const VkQemuProcessCallbacks *cb, void *userdata, VkQemuProcess **ret,
                              VkDomainDef **ret_live, VkError *reterr) {
        g_autoptr(VkQemuProcess) p = NULL;
        g_autoptr(VkDomainDef) live = NULL;
        g_autoptr(JsonNode) root = NULL;
        g_autofree char *text = NULL;
        unsigned long long start_time = 0;
        const char *binary, *monitor, *dir, *xml, *log, *via, *name;
        JsonObject *o;
        int r;

        r = vk_file_read_all(status_path, PROCESS_STATUS_MAX, &text, NULL, reterr);
        if (r < 0)
                return r;
        r = vk_json_parse(text, -1, &root, reterr);
        if (r < 0)
                return r;
        if (!JSON_NODE_HOLDS_OBJECT(root))
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EBADMSG,
                                    "'%s': not a JSON object", status_path);
        o = json_node_get_object(root);
        binary = vk_json_object_get_string_member_or_null(o, "binary");
        monitor = vk_json_object_get_string_member_or_null(o, "monitor");
        dir = vk_json_object_get_string_member_or_null(o, "privateDir");
        xml = vk_json_object_get_string_member_or_null(o, "xml");
        log = vk_json_object_get_string_member_or_null(o, "log");
        if (!binary || !monitor || !dir || !xml)
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EBADMSG,
                                    "'%s': incomplete status file", status_path);

        p = g_new0(VkQemuProcess, 1);
        p->n_ref = 1;
        p->event = e;
        p->reconnected = true;
        p->log_fd = -1;
        p->go_fd = -1;
        p->lock_fd = -1;
        p->cb = *cb;
        p->userdata = userdata;
        p->starting = json_object_get_boolean_member_with_default(o, "starting", false);
        p->pid = (pid_t) json_object_get_int_member_with_default(o, "pid", -1);
        p->pid_start_time =
                (unsigned long long) json_object_get_int_member_with_default(o, "pidStartTime", 0);
        p->start_time_usec = json_object_get_int_member_with_default(o, "startTime", 0);
        p->id = (int) json_object_get_int_member_with_default(o, "id", -1);
        p->binary = g_strdup(binary);
        p->monitor_path = g_strdup(monitor);
        p->private_dir = g_strdup(dir);
        p->status_path = g_strdup(status_path);
        p->log_path = log && *log ? g_strdup(log) : NULL;
        p->live_xml = g_strdup(xml);
        p->status_text = g_strdup(text);
        p->security = security ? vk_security_manager_ref(security) : NULL;
        p->security_state = process_security_state_load(security, o, status_path);
        process_status_cgroup(o, &via, &name);
        p->cgroup_via = g_strdup(via);
        p->cgroup_name = g_strdup(name);
        if (p->pid <= 1 || p->id <= 0)
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EBADMSG,
                                    "'%s': bad pid or id", status_path);

        r = vk_domain_def_parse_string(xml, VK_DOMAIN_DEF_PARSE_LIVE, &live, reterr);
        if (r < 0)
                return r;
        p->name = g_strdup(live->name);
        live->id = p->id;

        /* watch first, then check: the pidfd pins the process we checked */
        r = vk_pidfd_watch(e, p->pid, process_on_exit, p, &p->watch, NULL);
        if (r < 0)
                return vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, -ESRCH,
                                    "QEMU of domain '%s' (pid %d) is gone", p->name, (int) p->pid);
        if (vk_qemu_process_read_pid_start_time(p->pid, &start_time) < 0 ||
            start_time != p->pid_start_time || !process_cmdline_is(p->pid, p->binary))
                return vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, -ESRCH,
                                    "QEMU of domain '%s' (pid %d) is gone: the pid now belongs "
                                    "to another process",
                                    p->name, (int) p->pid);
        p->started = false;
        r = process_arm_timeout(p, PROCESS_RECONNECT_TIMEOUT_USEC, reterr);
        if (r >= 0)
                r = process_arm_connect(p, reterr);
        if (r < 0)
                return r;

        *ret_live = g_steal_pointer(&live);
        *ret = g_steal_pointer(&p);
        return 0;
}
