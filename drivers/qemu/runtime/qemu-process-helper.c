/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-process-helper.c: the helper processes of one QEMU process (virtiofsd, swtpm) */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "json.h"
#include "log.h"
#include "macro.h"
#include "paths.h"
#include "qemu-process-internal.h"

/*
 * A helper serves one device of QEMU through a unix socket: the virtiofsd of a virtio-fs share
 * (qemu-process-virtiofsd.c), the swtpm of an emulated TPM (qemu-process-swtpm.c). Each is
 * owned like QEMU itself:
 *   - before QEMU: its socket in the private dir, made and listened on by us and labelled by
 *     the security stack for QEMU (the private dir is removed with everything in it), then the
 *     helper spawned with the listening fd (fd 3), as root or the user its kind asks for,
 *     unconfined, its output in its log, in a session of its own and never killed by a
 *     daemon that goes away;
 *   - recorded in the status file (one array per kind: alias, binary, socket, pid, start time)
 *     before QEMU exists, so a restarted daemon adopts it (alive: watched again) or cleans up;
 *   - moved into QEMU's cgroup (or scope) once QEMU is placed;
 *   - a helper that ends during the start fails the start (with its log's tail); one that ends
 *     later leaves the VM running without that device, as under libvirt;
 *   - ended (with its children) once QEMU is gone, after a failed start, and at the cleanup of
 *     a dead QEMU's status file, before QEMU's cgroup is removed: SIGKILL, or for a helper
 *     that keeps state (swtpm) SIGTERM first.
 */

#define HELPER_KILL_WAIT_MS 1000
#define HELPER_LOG_TAIL_MAX 512

typedef struct HelperKindInfo {
        const char *name;          /* status file member, log messages */
        const char *socket_suffix; /* what its socket's name ends with */
        bool graceful;             /* SIGTERM first: it writes state */
} HelperKindInfo;

static const HelperKindInfo helper_kinds[_PROCESS_HELPER_KIND_MAX] = {
        [PROCESS_HELPER_VIRTIOFSD] = { "virtiofsd", "-fs.sock", false },
        [PROCESS_HELPER_SWTPM] = { "swtpm", "swtpm.sock", true },
};

static void helper_free(ProcessHelper *h) {
        vk_pidfd_watch_free(h->watch);
        vk_close_fdp(&h->listen_fd);
        g_strfreev(h->argv);
        g_strfreev(h->env);
        g_free(h->alias);
        g_free(h->binary);
        g_free(h->socket);
        g_free(h->log_path);
        g_free(h);
}

static GPtrArray *helper_list_new(void) {
        return g_ptr_array_new_with_free_func((GDestroyNotify) helper_free);
}

static ProcessHelper *helper_new(VkQemuProcess *p, ProcessHelperKind kind) {
        ProcessHelper *h = g_new0(ProcessHelper, 1);

        h->p = p;
        h->kind = kind;
        h->listen_fd = -1;
        return h;
}

/* A new helper of @kind for @p, to be filled in by the caller before process_helpers_spawn(). */
ProcessHelper *process_helper_add(VkQemuProcess *p, ProcessHelperKind kind) {
        ProcessHelper *h = helper_new(p, kind);

        if (!p->helpers)
                p->helpers = helper_list_new();
        g_ptr_array_add(p->helpers, h);
        return h;
}

/* Bind and listen on @h->socket (replacing a stale one), 0600; the fd goes to the helper. */
int process_helper_listen(ProcessHelper *h, VkError *reterr) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        const char *path = h->socket;
        vk_autofd fd = -1;

        if (strlen(path) >= sizeof(sa.sun_path))
                return vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, -ENAMETOOLONG,
                                    "the %s socket path '%s' is longer than %d bytes",
                                    helper_kinds[h->kind].name, path, VK_SOCKET_PATH_MAX);
        memcpy(sa.sun_path, path, strlen(path) + 1);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return vk_error_set_errno(reterr, errno, "Failed to create a socket");
        (void) unlink(path);
        if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                return vk_error_set_errno(reterr, errno, "Failed to bind '%s'", path);
        if (chmod(path, 0600) < 0 || listen(fd, 1) < 0) {
                int e = errno;

                (void) unlink(path);
                return vk_error_set_errno(reterr, e, "Failed to listen on '%s'", path);
        }
        vk_close_fdp(&h->listen_fd);
        h->listen_fd = vk_steal_fd(&fd);
        return 0;
}

/* The sockets of the helpers of @p, for the labels; NULL-terminated, borrowed. */
const char **process_helper_sockets(VkQemuProcess *p) {
        GPtrArray *l = g_ptr_array_new();

        for (guint i = 0; p->helpers && i < p->helpers->len; i++)
                g_ptr_array_add(l, ((ProcessHelper *) p->helpers->pdata[i])->socket);
        g_ptr_array_add(l, NULL);
        return (const char **) g_ptr_array_free(l, false);
}

static char *helper_log_tail(const ProcessHelper *h) {
        g_autofree char *text = NULL;
        gsize len = 0;
        const char *start;

        if (!h->log_path || !g_file_get_contents(h->log_path, &text, &len, NULL) || len == 0)
                return NULL;
        start = len > HELPER_LOG_TAIL_MAX ? text + len - HELPER_LOG_TAIL_MAX : text;
        return g_strdelimit(g_strstrip(g_strdup(start)), "\n", ' ');
}

static void helper_on_exit(VkPidfdWatch *w, const VkChildExit *exit, void *userdata) {
        ProcessHelper *h = userdata;
        VkQemuProcess *p = h->p;
        const char *kind = helper_kinds[h->kind].name;
        g_auto(VkError) err = VK_ERROR_INIT;
        g_autofree char *tail = NULL;

        h->watch = vk_pidfd_watch_free(h->watch);
        vk_log_debug("%s '%s' of domain '%s' (pid %d) ended", kind, h->alias, p->name,
                     (int) h->pid);
        h->pid = 0;
        /* a running VM (or one a restarted daemon adopts) goes on without the device */
        if (p->started || p->reconnected || p->exited)
                return;
        tail = helper_log_tail(h);
        vk_error_set(&err, VK_ERROR_OPERATION_FAILED, -EIO,
                     "%s '%s' of device '%s' of domain '%s' ended while starting (%s %d)%s%s", kind,
                     h->binary, h->alias, p->name,
                     exit && exit->code == CLD_EXITED ? "status" : "signal",
                     exit ? exit->status : 0, tail ? ": " : "", tail ? tail : "");
        process_fail(p, &err);
}

static int helper_spawn_one(VkQemuProcess *p, ProcessHelper *h, VkError *reterr) {
        g_autoptr(VkChild) child = NULL;
        VkChildFd fd = { .fd = h->listen_fd, .target = PROCESS_HELPER_FD };
        VkChildOptions copts = {};
        vk_autofd log_fd = -1;
        vk_autofd pidfd = -1;
        int r;

        /* a helper that opens its log itself (swtpm --log file=) gets no stdout/stderr there */
        log_fd = open(h->log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
        if (log_fd < 0)
                return vk_error_set_errno(reterr, errno, "Failed to open the log file '%s'",
                                          h->log_path);
        /* like QEMU: a daemon crash never stops it */
        copts.flags = VK_CHILD_NEW_SESSION | VK_CHILD_STDOUT_TO_FD | VK_CHILD_STDERR_TO_FD |
                      VK_CHILD_OUTLIVE_PARENT;
        copts.stdout_fd = log_fd;
        copts.stderr_fd = log_fd;
        copts.working_directory = "/";
        copts.env = (const char *const *) h->env;
        copts.fds = &fd;
        copts.n_fds = 1;
        if (h->set_credentials) {
                copts.flags |= VK_CHILD_SET_CREDENTIALS;
                copts.uid = h->uid;
                copts.gid = h->gid;
        }
        r = vk_child_spawn(p->event, (const char *const *) h->argv, &copts, NULL, NULL, &child,
                           reterr);
        if (r < 0)
                return r;
        vk_close_fdp(&h->listen_fd); /* the helper's now: if it dies, QEMU's connect fails */
        h->listen_fd = -1;
        h->pid = vk_child_get_pid(child);
        (void) vk_qemu_process_read_pid_start_time(h->pid, &h->pid_start_time);
        /* the watch (not the child) reaps it, so the child may be freed without killing it */
        pidfd = fcntl(vk_child_get_pidfd(child), F_DUPFD_CLOEXEC, 3);
        r = pidfd < 0 ? -errno
                      : vk_pidfd_watch_fd(p->event, vk_steal_fd(&pidfd), helper_on_exit, h,
                                          &h->watch, reterr);
        if (r < 0) {
                (void) vk_child_kill(child, SIGKILL);
                h->pid = 0;
                return vk_error_set_errno(reterr, r, "Failed to watch %s",
                                          helper_kinds[h->kind].name);
        }
        (void) vk_child_detach(child);
        vk_log_debug("Started %s for device '%s' of domain '%s': pid %d",
                     helper_kinds[h->kind].name, h->alias, p->name, (int) h->pid);
        return 0;
}

/*
 * After labels, before QEMU: spawn the helpers not running yet, and record them in the status
 * file.
 */
int process_helpers_spawn(VkQemuProcess *p, VkError *reterr) {
        bool spawned = false;
        int r;

        for (guint i = 0; p->helpers && i < p->helpers->len; i++) {
                ProcessHelper *h = p->helpers->pdata[i];

                if (h->pid > 0 || !h->argv)
                        continue;
                r = helper_spawn_one(p, h, reterr);
                if (r < 0)
                        return r;
                spawned = true;
        }
        if (!spawned)
                return 0;
        return vk_qemu_process_write_status(p, NULL, "paused", "starting up", reterr);
}

/* QEMU is placed: its helpers join its cgroup (or scope), as libvirt moves them. */
void process_helpers_join_cgroup(VkQemuProcess *p) {
        for (guint i = 0; p->helpers && i < p->helpers->len; i++) {
                ProcessHelper *h = p->helpers->pdata[i];

                if (h->pid > 0)
                        vk_qemu_cgroup_join(p->pid, h->pid);
        }
}

/* pidfds of the children of @pid (Debian's virtiofsd forks into its sandbox). */
static GArray *helper_children(pid_t pid) {
        g_autofree char *path = g_strdup_printf("/proc/%d/task/%d/children", (int) pid, (int) pid);
        g_autofree char *text = NULL;
        g_auto(GStrv) words = NULL;
        GArray *fds = g_array_new(false, false, sizeof(int));

        if (!g_file_get_contents(path, &text, NULL, NULL))
                return fds;
        words = g_strsplit_set(g_strstrip(text), " ", 0);
        for (size_t i = 0; words[i]; i++) {
                int fd =
                        *words[i] ? pidfd_open((pid_t) g_ascii_strtoll(words[i], NULL, 10), 0) : -1;

                if (fd >= 0)
                        g_array_append_val(fds, fd);
        }
        return fds;
}

static bool helper_wait_gone(int pidfd, int timeout_ms) {
        struct pollfd pfd = { .fd = pidfd, .events = POLLIN };

        while (poll(&pfd, 1, timeout_ms) < 0 && errno == EINTR)
                ;
        return pfd.revents & POLLIN;
}

/*
 * End the helper @pid if it still is the one started at @start_time (0: unknown; @binary must
 * be its argv[0]) with its children: SIGTERM first when @graceful (then SIGKILL after
 * HELPER_KILL_WAIT_MS), else SIGKILL at once (QEMU, its only client, is gone: nothing is in
 * flight), waiting until they are gone (so QEMU's cgroup can go) for at most
 * HELPER_KILL_WAIT_MS; reaped when it is our child.
 */
static void helper_kill(pid_t pid, unsigned long long start_time, const char *binary,
                        bool graceful) {
        unsigned long long now_start = 0;
        g_autoptr(GArray) children = NULL;
        vk_autofd fd = -1;
        siginfo_t si;

        if (pid <= 1)
                return;
        fd = pidfd_open(pid, 0);
        if (fd < 0)
                return;
        /* checked after pidfd_open(): the signals can only reach the process we checked (its
         * pid, the group it leads since its setsid(), cannot be reused while it is pinned) */
        if (vk_qemu_process_read_pid_start_time(pid, &now_start) < 0 ||
            (start_time && now_start != start_time) || (binary && !process_cmdline_is(pid, binary)))
                return;
        children = helper_children(pid);
        if (graceful && pidfd_send_signal(fd, SIGTERM, NULL, 0) == 0 &&
            helper_wait_gone(fd, HELPER_KILL_WAIT_MS)) {
                (void) waitid(P_PIDFD, (id_t) fd, &si, WEXITED | WNOHANG);
                /* its children (virtiofsd's sandboxed worker) end with it, not at once: wait
                 * for them too, or the cgroup they share with QEMU cannot be removed yet */
                for (guint i = 0; i < children->len; i++) {
                        int cfd = g_array_index(children, int, i);

                        if (!helper_wait_gone(cfd, HELPER_KILL_WAIT_MS)) {
                                (void) pidfd_send_signal(cfd, SIGKILL, NULL, 0);
                                (void) helper_wait_gone(cfd, HELPER_KILL_WAIT_MS);
                        }
                        close(cfd);
                }
                return;
        }
        (void) pidfd_send_signal(fd, SIGKILL, NULL, 0);
        if (getpgid(pid) == pid)
                (void) kill(-pid, SIGKILL);
        for (guint i = 0; i < children->len; i++)
                (void) pidfd_send_signal(g_array_index(children, int, i), SIGKILL, NULL, 0);
        g_array_append_val(children, fd);
        for (guint i = 0; i < children->len; i++) {
                int cfd = g_array_index(children, int, i);

                (void) helper_wait_gone(cfd, HELPER_KILL_WAIT_MS);
                if (cfd != fd)
                        close(cfd);
        }
        (void) waitid(P_PIDFD, (id_t) fd, &si, WEXITED | WNOHANG);
}

/* QEMU is gone (or never ran): end its helpers and remove their sockets. Idempotent. */
void process_helpers_stop(VkQemuProcess *p) {
        for (guint i = 0; p->helpers && i < p->helpers->len; i++) {
                ProcessHelper *h = p->helpers->pdata[i];

                h->watch = vk_pidfd_watch_free(h->watch);
                if (h->pid > 0)
                        helper_kill(h->pid, h->pid_start_time, h->binary,
                                    helper_kinds[h->kind].graceful);
                h->pid = 0;
                if (h->socket)
                        (void) unlink(h->socket);
        }
        if (p->helpers)
                g_ptr_array_set_size(p->helpers, 0);
}

/* The "virtiofsd" and "swtpm" members of the status file. */
void process_helpers_to_json(VkQemuProcess *p, JsonBuilder *b) {
        for (int k = 0; k < _PROCESS_HELPER_KIND_MAX; k++) {
                bool open = false;

                for (guint i = 0; p->helpers && i < p->helpers->len; i++) {
                        const ProcessHelper *h = p->helpers->pdata[i];

                        if (h->kind != (ProcessHelperKind) k)
                                continue;
                        if (!open) {
                                json_builder_set_member_name(b, helper_kinds[k].name);
                                json_builder_begin_array(b);
                                open = true;
                        }
                        json_builder_begin_object(b);
                        json_builder_set_member_name(b, "alias");
                        json_builder_add_string_value(b, h->alias);
                        json_builder_set_member_name(b, "binary");
                        json_builder_add_string_value(b, h->binary);
                        json_builder_set_member_name(b, "socket");
                        json_builder_add_string_value(b, h->socket);
                        json_builder_set_member_name(b, "pid");
                        json_builder_add_int_value(b, h->pid);
                        json_builder_set_member_name(b, "pidStartTime");
                        json_builder_add_int_value(b, (gint64) h->pid_start_time);
                        json_builder_end_object(b);
                }
                if (open)
                        json_builder_end_array(b);
        }
}

static GPtrArray *helper_list_from_json(VkQemuProcess *p, JsonObject *o) {
        GPtrArray *l = helper_list_new();

        for (int k = 0; k < _PROCESS_HELPER_KIND_MAX; k++) {
                JsonNode *node = json_object_get_member(o, helper_kinds[k].name);
                JsonArray *a =
                        node && JSON_NODE_HOLDS_ARRAY(node) ? json_node_get_array(node) : NULL;

                for (guint i = 0; a && i < json_array_get_length(a); i++) {
                        JsonNode *e = json_array_get_element(a, i);
                        JsonObject *eo = JSON_NODE_HOLDS_OBJECT(e) ? json_node_get_object(e) : NULL;
                        const char *alias, *binary, *socket;
                        ProcessHelper *h;

                        if (!eo)
                                continue;
                        alias = vk_json_object_get_string_member_or_null(eo, "alias");
                        binary = vk_json_object_get_string_member_or_null(eo, "binary");
                        socket = vk_json_object_get_string_member_or_null(eo, "socket");
                        if (!alias || !binary || !socket || !g_path_is_absolute(socket))
                                continue;
                        h = helper_new(p, (ProcessHelperKind) k);
                        h->alias = g_strdup(alias);
                        h->binary = g_strdup(binary);
                        h->socket = g_strdup(socket);
                        h->pid = (pid_t) json_object_get_int_member_with_default(eo, "pid", 0);
                        h->pid_start_time =
                                (unsigned long long) json_object_get_int_member_with_default(
                                        eo, "pidStartTime", 0);
                        g_ptr_array_add(l, h);
                }
        }
        return l;
}

/*
 * Reconnect: the helpers the status file @o recorded. One still running (same pid, start time
 * and binary) is watched again and ended with QEMU; a gone one is forgotten.
 */
void process_helpers_from_json(VkQemuProcess *p, JsonObject *o) {
        if (p->helpers)
                g_ptr_array_unref(p->helpers);
        p->helpers = helper_list_from_json(p, o);
        for (guint i = 0; i < p->helpers->len; i++) {
                ProcessHelper *h = p->helpers->pdata[i];
                unsigned long long start = 0;

                if (h->pid <= 1 ||
                    vk_pidfd_watch(p->event, h->pid, helper_on_exit, h, &h->watch, NULL) < 0) {
                        h->pid = 0;
                        continue;
                }
                /* the pidfd pins the process we check */
                if (vk_qemu_process_read_pid_start_time(h->pid, &start) < 0 ||
                    start != h->pid_start_time || !process_cmdline_is(h->pid, h->binary)) {
                        h->watch = vk_pidfd_watch_free(h->watch);
                        h->pid = 0;
                        continue;
                }
                vk_log_debug("Adopted %s of device '%s' of domain '%s' (pid %d)",
                             helper_kinds[h->kind].name, h->alias, vk_strempty(p->name),
                             (int) h->pid);
        }
}

/* A dead QEMU's status file @o: end its helpers (if still those) and remove the sockets. */
void process_helpers_cleanup_json(JsonObject *o) {
        g_autoptr(GPtrArray) l = helper_list_from_json(NULL, o);

        for (guint i = 0; i < l->len; i++) {
                ProcessHelper *h = l->pdata[i];

                if (h->pid > 1 && h->pid_start_time)
                        helper_kill(h->pid, h->pid_start_time, h->binary,
                                    helper_kinds[h->kind].graceful);
                if (g_str_has_suffix(h->socket, helper_kinds[h->kind].socket_suffix))
                        (void) unlink(h->socket);
        }
}
