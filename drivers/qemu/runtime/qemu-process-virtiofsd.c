/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-process-virtiofsd.c: the virtiofsd processes of one QEMU process */
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
#include "qemu-firmware.h"
#include "qemu-process-internal.h"
#include "qemu-virtiofsd.h"

/*
 * Each virtio-fs share gets a virtiofsd (qemu-virtiofsd.c) owned like QEMU itself:
 *   - before QEMU: its socket <private dir>/<alias>-fs.sock, made and listened on by us and
 *     labelled by the security stack for QEMU (the private dir is removed with everything in
 *     it), then virtiofsd spawned with the listening fd (--fd=3), as root, unconfined, its
 *     output in <log dir>/<name>-<alias>-virtiofsd.log, in a session of its own and never
 *     killed by a daemon that goes away;
 *   - recorded in the status file ("virtiofsd": alias, binary, socket, pid, start time) before
 *     QEMU exists, so a restarted daemon adopts it (alive: watched again) or cleans up;
 *   - moved into QEMU's cgroup (or scope) once QEMU is placed;
 *   - a virtiofsd that ends during the start fails the start (with its log's tail); one that
 *     ends later leaves the VM running, without its share, as under libvirt;
 *   - killed (with its sandboxed child) once QEMU is gone, after a failed start, and at the
 *     cleanup of a dead QEMU's status file, before QEMU's cgroup is removed.
 */

#define VIRTIOFSD_FD           3
#define VIRTIOFSD_KILL_WAIT_MS 1000
#define VIRTIOFSD_LOG_TAIL_MAX 512

typedef struct ProcessVirtiofsd {
        VkQemuProcess *p; /* the owner; not a reference */
        char *alias;
        char *binary;
        char *socket;
        char *log_path;
        char **argv;   /* until spawned */
        int listen_fd; /* until spawned; -1 after */
        pid_t pid;     /* 0: not running (yet) */
        unsigned long long pid_start_time;
        VkPidfdWatch *watch;
} ProcessVirtiofsd;

static void virtiofsd_free(ProcessVirtiofsd *d) {
        vk_pidfd_watch_free(d->watch);
        vk_close_fdp(&d->listen_fd);
        g_strfreev(d->argv);
        g_free(d->alias);
        g_free(d->binary);
        g_free(d->socket);
        g_free(d->log_path);
        g_free(d);
}

static GPtrArray *virtiofsd_list_new(void) {
        return g_ptr_array_new_with_free_func((GDestroyNotify) virtiofsd_free);
}

static ProcessVirtiofsd *virtiofsd_add(VkQemuProcess *p) {
        ProcessVirtiofsd *d = g_new0(ProcessVirtiofsd, 1);

        d->p = p;
        d->listen_fd = -1;
        if (!p->virtiofsds)
                p->virtiofsds = virtiofsd_list_new();
        g_ptr_array_add(p->virtiofsds, d);
        return d;
}

/* A listening unix socket at @path (replacing a stale one), 0600. */
static int virtiofsd_listen(const char *path, int *ret_fd, VkError *reterr) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        vk_autofd fd = -1;

        if (strlen(path) >= sizeof(sa.sun_path))
                return vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, -ENAMETOOLONG,
                                    "the virtiofsd socket path '%s' is longer than %d bytes", path,
                                    VK_SOCKET_PATH_MAX);
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
        *ret_fd = vk_steal_fd(&fd);
        return 0;
}

/*
 * Before labels: for each virtio-fs share of @live, find its virtiofsd and make its listening
 * socket. Nothing runs yet; process_remove_files() removes what was made.
 */
int process_virtiofsd_prepare(VkQemuProcess *p, const VkDomainDef *live, VkError *reterr) {
        g_auto(GStrv) dirs = NULL;
        g_autofree char *log_dir = p->log_path ? g_path_get_dirname(p->log_path) : NULL;

        for (size_t i = 0; i < live->n_filesystems; i++) {
                const VkDomainFs *fs = live->filesystems[i];
                ProcessVirtiofsd *d;
                g_autofree char *log_name = NULL;
                int r;

                if (fs->driver != VK_FS_DRIVER_VIRTIOFS)
                        continue;
                d = virtiofsd_add(p);
                d->alias = vk_qemu_virtiofsd_alias(fs, i);
                if (fs->binary_path)
                        d->binary = g_strdup(fs->binary_path);
                else {
                        if (!dirs)
                                dirs = vk_qemu_descriptor_dirs("vhost-user", geteuid() == 0,
                                                               g_get_user_config_dir());
                        r = vk_qemu_virtiofsd_find_binary((const char *const *) dirs, &d->binary,
                                                          reterr);
                        if (r < 0)
                                return r;
                }
                if (access(d->binary, X_OK) < 0)
                        return vk_error_set(reterr, VK_ERROR_OPERATION_FAILED,
                                            vk_negative_errno(errno),
                                            "the virtiofsd '%s' of filesystem '%s' of domain "
                                            "'%s' cannot be run: %s",
                                            d->binary, fs->target_dir, p->name, g_strerror(errno));
                d->socket = vk_qemu_virtiofsd_socket_path(p->private_dir, d->alias);
                log_name = g_strdup_printf("%s-%s-virtiofsd.log", p->name, d->alias);
                d->log_path = g_build_filename(log_dir ? log_dir : p->private_dir, log_name, NULL);
                d->argv = vk_qemu_virtiofsd_argv(fs, d->binary, VIRTIOFSD_FD);
                r = virtiofsd_listen(d->socket, &d->listen_fd, reterr);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The sockets process_virtiofsd_prepare() made, for the labels; NULL-terminated, borrowed. */
const char **process_virtiofsd_sockets(VkQemuProcess *p) {
        GPtrArray *l = g_ptr_array_new();

        for (guint i = 0; p->virtiofsds && i < p->virtiofsds->len; i++)
                g_ptr_array_add(l, ((ProcessVirtiofsd *) p->virtiofsds->pdata[i])->socket);
        g_ptr_array_add(l, NULL);
        return (const char **) g_ptr_array_free(l, false);
}

static char *virtiofsd_log_tail(const ProcessVirtiofsd *d) {
        g_autofree char *text = NULL;
        gsize len = 0;
        const char *start;

        if (!g_file_get_contents(d->log_path, &text, &len, NULL) || len == 0)
                return NULL;
        start = len > VIRTIOFSD_LOG_TAIL_MAX ? text + len - VIRTIOFSD_LOG_TAIL_MAX : text;
        return g_strdelimit(g_strstrip(g_strdup(start)), "\n", ' ');
}

static void virtiofsd_on_exit(VkPidfdWatch *w, const VkChildExit *exit, void *userdata) {
        ProcessVirtiofsd *d = userdata;
        VkQemuProcess *p = d->p;
        g_auto(VkError) err = VK_ERROR_INIT;
        g_autofree char *tail = NULL;

        d->watch = vk_pidfd_watch_free(d->watch);
        vk_log_debug("virtiofsd of filesystem '%s' of domain '%s' (pid %d) ended", d->alias,
                     p->name, (int) d->pid);
        d->pid = 0;
        /* a running VM (or one a restarted daemon adopts) goes on without the share */
        if (p->started || p->reconnected || p->exited)
                return;
        tail = virtiofsd_log_tail(d);
        vk_error_set(&err, VK_ERROR_OPERATION_FAILED, -EIO,
                     "virtiofsd '%s' of filesystem '%s' of domain '%s' ended while starting "
                     "(%s %d)%s%s",
                     d->binary, d->alias, p->name,
                     exit && exit->code == CLD_EXITED ? "status" : "signal",
                     exit ? exit->status : 0, tail ? ": " : "", tail ? tail : "");
        process_fail(p, &err);
}

static int virtiofsd_spawn_one(VkQemuProcess *p, ProcessVirtiofsd *d, VkError *reterr) {
        g_autoptr(VkChild) child = NULL;
        VkChildFd fd = { .fd = d->listen_fd, .target = VIRTIOFSD_FD };
        VkChildOptions copts = {};
        vk_autofd log_fd = -1;
        vk_autofd pidfd = -1;
        int r;

        log_fd = open(d->log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
        if (log_fd < 0)
                return vk_error_set_errno(reterr, errno, "Failed to open the log file '%s'",
                                          d->log_path);
        /* like QEMU: a daemon crash never stops it */
        copts.flags = VK_CHILD_NEW_SESSION | VK_CHILD_STDOUT_TO_FD | VK_CHILD_STDERR_TO_FD |
                      VK_CHILD_OUTLIVE_PARENT;
        copts.stdout_fd = log_fd;
        copts.stderr_fd = log_fd;
        copts.working_directory = "/";
        copts.fds = &fd;
        copts.n_fds = 1;
        r = vk_child_spawn(p->event, (const char *const *) d->argv, &copts, NULL, NULL, &child,
                           reterr);
        if (r < 0)
                return r;
        vk_close_fdp(&d->listen_fd); /* virtiofsd's now: if it dies, QEMU's connect fails */
        d->listen_fd = -1;
        d->pid = vk_child_get_pid(child);
        (void) vk_qemu_process_read_pid_start_time(d->pid, &d->pid_start_time);
        /* the watch (not the child) reaps it, so the child may be freed without killing it */
        pidfd = fcntl(vk_child_get_pidfd(child), F_DUPFD_CLOEXEC, 3);
        r = pidfd < 0 ? -errno
                      : vk_pidfd_watch_fd(p->event, vk_steal_fd(&pidfd), virtiofsd_on_exit, d,
                                          &d->watch, reterr);
        if (r < 0) {
                (void) vk_child_kill(child, SIGKILL);
                d->pid = 0;
                return vk_error_set_errno(reterr, r, "Failed to watch virtiofsd");
        }
        (void) vk_child_detach(child);
        vk_log_debug("Started virtiofsd for filesystem '%s' of domain '%s': pid %d", d->alias,
                     p->name, (int) d->pid);
        return 0;
}

/*
 * After labels, before QEMU: spawn the virtiofsds process_virtiofsd_prepare() set up, and
 * record them in the status file.
 */
int process_virtiofsd_spawn(VkQemuProcess *p, VkError *reterr) {
        int r;

        if (!p->virtiofsds || p->virtiofsds->len == 0)
                return 0;
        for (guint i = 0; i < p->virtiofsds->len; i++) {
                r = virtiofsd_spawn_one(p, p->virtiofsds->pdata[i], reterr);
                if (r < 0)
                        return r;
        }
        return vk_qemu_process_write_status(p, NULL, "paused", "starting up", reterr);
}

/* QEMU is placed: its virtiofsds join its cgroup (or scope), as libvirt moves them. */
void process_virtiofsd_join_cgroup(VkQemuProcess *p) {
        for (guint i = 0; p->virtiofsds && i < p->virtiofsds->len; i++) {
                ProcessVirtiofsd *d = p->virtiofsds->pdata[i];

                if (d->pid > 0)
                        vk_qemu_cgroup_join(p->pid, d->pid);
        }
}

/* pidfds of the children of @pid (Debian's virtiofsd forks into its sandbox); -1 ended. */
static GArray *virtiofsd_children(pid_t pid) {
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

/*
 * End the virtiofsd @pid if it still is the one started at @start_time (0: unknown; @binary
 * must be its argv[0]) with its sandboxed child: SIGKILL (QEMU, its only client, is gone:
 * nothing is in flight), waiting until they are gone (so QEMU's cgroup can go) for at most
 * VIRTIOFSD_KILL_WAIT_MS; reaped when it is our child.
 */
static void virtiofsd_kill(pid_t pid, unsigned long long start_time, const char *binary) {
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
        children = virtiofsd_children(pid);
        (void) pidfd_send_signal(fd, SIGKILL, NULL, 0);
        if (getpgid(pid) == pid)
                (void) kill(-pid, SIGKILL);
        for (guint i = 0; i < children->len; i++)
                (void) pidfd_send_signal(g_array_index(children, int, i), SIGKILL, NULL, 0);
        g_array_append_val(children, fd);
        for (guint i = 0; i < children->len; i++) {
                struct pollfd pfd = { .fd = g_array_index(children, int, i), .events = POLLIN };

                (void) poll(&pfd, 1, VIRTIOFSD_KILL_WAIT_MS);
                if (pfd.fd != fd)
                        close(pfd.fd);
        }
        (void) waitid(P_PIDFD, (id_t) fd, &si, WEXITED | WNOHANG);
}

/* QEMU is gone (or never ran): end its virtiofsds and remove their sockets. Idempotent. */
void process_virtiofsd_stop(VkQemuProcess *p) {
        for (guint i = 0; p->virtiofsds && i < p->virtiofsds->len; i++) {
                ProcessVirtiofsd *d = p->virtiofsds->pdata[i];

                d->watch = vk_pidfd_watch_free(d->watch);
                if (d->pid > 0)
                        virtiofsd_kill(d->pid, d->pid_start_time, d->binary);
                d->pid = 0;
                if (d->socket)
                        (void) unlink(d->socket);
        }
        if (p->virtiofsds)
                g_ptr_array_set_size(p->virtiofsds, 0);
}

/* The "virtiofsd" member of the status file. */
void process_virtiofsd_to_json(VkQemuProcess *p, JsonBuilder *b) {
        if (!p->virtiofsds || p->virtiofsds->len == 0)
                return;
        json_builder_set_member_name(b, "virtiofsd");
        json_builder_begin_array(b);
        for (guint i = 0; i < p->virtiofsds->len; i++) {
                const ProcessVirtiofsd *d = p->virtiofsds->pdata[i];

                json_builder_begin_object(b);
                json_builder_set_member_name(b, "alias");
                json_builder_add_string_value(b, d->alias);
                json_builder_set_member_name(b, "binary");
                json_builder_add_string_value(b, d->binary);
                json_builder_set_member_name(b, "socket");
                json_builder_add_string_value(b, d->socket);
                json_builder_set_member_name(b, "pid");
                json_builder_add_int_value(b, d->pid);
                json_builder_set_member_name(b, "pidStartTime");
                json_builder_add_int_value(b, (gint64) d->pid_start_time);
                json_builder_end_object(b);
        }
        json_builder_end_array(b);
}

static GPtrArray *virtiofsd_list_from_json(VkQemuProcess *p, JsonObject *o) {
        GPtrArray *l = virtiofsd_list_new();
        JsonNode *node = json_object_get_member(o, "virtiofsd");
        JsonArray *a = node && JSON_NODE_HOLDS_ARRAY(node) ? json_node_get_array(node) : NULL;

        for (guint i = 0; a && i < json_array_get_length(a); i++) {
                JsonNode *e = json_array_get_element(a, i);
                JsonObject *eo = JSON_NODE_HOLDS_OBJECT(e) ? json_node_get_object(e) : NULL;
                const char *alias, *binary, *socket;
                ProcessVirtiofsd *d;

                if (!eo)
                        continue;
                alias = vk_json_object_get_string_member_or_null(eo, "alias");
                binary = vk_json_object_get_string_member_or_null(eo, "binary");
                socket = vk_json_object_get_string_member_or_null(eo, "socket");
                if (!alias || !binary || !socket || !g_path_is_absolute(socket))
                        continue;
                d = g_new0(ProcessVirtiofsd, 1);
                d->p = p;
                d->listen_fd = -1;
                d->alias = g_strdup(alias);
                d->binary = g_strdup(binary);
                d->socket = g_strdup(socket);
                d->pid = (pid_t) json_object_get_int_member_with_default(eo, "pid", 0);
                d->pid_start_time = (unsigned long long) json_object_get_int_member_with_default(
                        eo, "pidStartTime", 0);
                g_ptr_array_add(l, d);
        }
        return l;
}

/*
 * Reconnect: the virtiofsds the status file @o recorded. One still running (same pid, start
 * time and binary) is watched again and ended with QEMU; a gone one is forgotten.
 */
void process_virtiofsd_from_json(VkQemuProcess *p, JsonObject *o) {
        if (p->virtiofsds)
                g_ptr_array_unref(p->virtiofsds);
        p->virtiofsds = virtiofsd_list_from_json(p, o);
        for (guint i = 0; i < p->virtiofsds->len; i++) {
                ProcessVirtiofsd *d = p->virtiofsds->pdata[i];
                unsigned long long start = 0;

                if (d->pid <= 1 ||
                    vk_pidfd_watch(p->event, d->pid, virtiofsd_on_exit, d, &d->watch, NULL) < 0) {
                        d->pid = 0;
                        continue;
                }
                /* the pidfd pins the process we check */
                if (vk_qemu_process_read_pid_start_time(d->pid, &start) < 0 ||
                    start != d->pid_start_time || !process_cmdline_is(d->pid, d->binary)) {
                        d->watch = vk_pidfd_watch_free(d->watch);
                        d->pid = 0;
                        continue;
                }
                vk_log_debug("Adopted virtiofsd of filesystem '%s' of domain '%s' (pid %d)",
                             d->alias, vk_strempty(p->name), (int) d->pid);
        }
}

/* A dead QEMU's status file @o: end its virtiofsds (if still those) and remove the sockets. */
void process_virtiofsd_cleanup_json(JsonObject *o) {
        g_autoptr(GPtrArray) l = virtiofsd_list_from_json(NULL, o);

        for (guint i = 0; i < l->len; i++) {
                ProcessVirtiofsd *d = l->pdata[i];

                if (d->pid > 1 && d->pid_start_time)
                        virtiofsd_kill(d->pid, d->pid_start_time, d->binary);
                if (g_str_has_suffix(d->socket, "-fs.sock"))
                        (void) unlink(d->socket);
        }
}
