/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cli-connect.c: reach a daemon for a URI: local socket, session autospawn, or ssh */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli-connect.h"
#include "cli-polkit.h"
#include "macro.h"
#include "sd-glue.h"
#include "sockaddr.h"

#define CALL_TIMEOUT_USEC (300ull * 1000000ull)

static const char *const drivers[] = { "Qemu", "Secret", "Network", "Storage" };

static int driver_index(const char *driver) {
        for (size_t i = 0; i < VK_ELEMENTSOF(drivers); i++)
                if (strcmp(drivers[i], driver) == 0)
                        return (int) i;
        g_assert_not_reached();
}

/* The varlink socket of @driver ("Qemu") for a local URI. */
int vk_cli_socket_path(const VkUri *uri, const char *driver, char **ret, VkError *reterr) {
        g_auto(VkPathsEnv) env = {};
        g_autoptr(VkPaths) paths = NULL;
        g_autofree char *iface = g_strdup_printf("io.virtkit.%s", driver);
        g_autofree char *lower = g_ascii_strdown(driver, -1);
        int r;

        if (uri->socket && strcmp(driver, "Qemu") == 0) {
                *ret = g_strdup(uri->socket);
                return 0;
        }
        vk_paths_env_from_environ(&env);
        r = vk_paths_new(lower, uri->instance, &env, &paths, reterr);
        if (r < 0)
                return r;
        return vk_paths_socket(paths, iface, ret, reterr);
}

/* Whether this program runs from its meson build tree (not installed). */
static bool in_build_tree(void) {
        g_autofree char *self = g_file_read_link("/proc/self/exe", NULL);

        return self && g_str_has_prefix(self, VK_BUILD_ROOT "/");
}

/*
 * Where the daemons are: $VIRTKIT_DAEMON_DIR, else the daemons/ of this build tree when this
 * virtkit runs from one (an installed daemon may be absent, or another version), else sbindir.
 */
static char *daemon_dir(void) {
        const char *d = getenv("VIRTKIT_DAEMON_DIR");

        if (!vk_isempty(d))
                return g_strdup(d);
        if (in_build_tree())
                return g_build_filename(VK_BUILD_ROOT, "daemons", NULL);
        return g_strdup(VK_SBINDIR);
}

/* Whether a daemon accepts connections on @path: the file alone is not enough, it exists
 * between the daemon's bind() and listen(), and after a daemon that died. */
static bool socket_listening(const char *path) {
        struct sockaddr_un sa;
        vk_autofd fd = -1;

        if (vk_sockaddr_un_set(&sa, path, NULL) < 0)
                return false;
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        return fd >= 0 && connect(fd, (const struct sockaddr *) &sa, sizeof(sa)) == 0;
}

/*
 * The session daemon is not running: start it the way the host offers. With a user service
 * manager, ask it for the socket unit; otherwise spawn the daemon ourselves, detached, with an
 * idle timeout so it goes away again. Then wait (bounded) for its socket.
 */
static int session_autospawn(VkCli *cli, const char *driver, const char *path, VkError *reterr) {
        g_autofree char *lower = g_ascii_strdown(driver, -1);
        g_autofree char *name = g_strdup_printf("virtkit-%sd", lower);
        g_autofree char *dir = daemon_dir();
        g_autofree char *bin = g_build_filename(dir, name, NULL);
        const char *runtime = getenv("XDG_RUNTIME_DIR");
        g_autofree char *manager =
                runtime ? g_build_filename(runtime, "systemd", "private", NULL) : NULL;
        int errpipe[2], exec_errno = 0;
        pid_t pid;

        /* the user's service manager starts the installed units, not a build tree's daemons */
        if (manager && access(manager, F_OK) == 0 && !getenv("VIRTKIT_NO_SYSTEMD") &&
            !getenv("VIRTKIT_DAEMON_DIR") && !in_build_tree()) {
                g_autofree char *unit = g_strdup_printf("%s.socket", name);
                g_autofree char *cmd =
                        g_strdup_printf("systemctl --user start %s >/dev/null 2>&1", unit);
                if (system(cmd) == 0)
                        goto wait;
        }

        if (access(bin, X_OK) < 0) {
                if (errno == ENOENT)
                        return vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, -ENOENT,
                                            "cannot start the session daemon: '%s' does not "
                                            "exist (install virtkit, or set VIRTKIT_DAEMON_DIR "
                                            "to the directory of %s)",
                                            bin, name);
                return vk_error_set_errno(reterr, -errno, "cannot start the session daemon '%s'",
                                          bin);
        }
        /* a failed exec writes its errno here; a successful one closes it (O_CLOEXEC) */
        if (pipe2(errpipe, O_CLOEXEC) < 0)
                return vk_error_set_errno(reterr, -errno, "cannot create a pipe");
        pid = fork();
        if (pid < 0) {
                int e = errno;
                close(errpipe[0]);
                close(errpipe[1]);
                return vk_error_set_errno(reterr, -e, "cannot start %s", name);
        }
        if (pid == 0) {
                /* detach twice so the daemon is nobody's child and outlives us */
                int fd;

                close(errpipe[0]);
                if (setsid() < 0 || fork() != 0)
                        _exit(0);
                fd = open("/dev/null", O_RDWR | O_CLOEXEC);
                if (fd >= 0) {
                        (void) dup2(fd, STDIN_FILENO);
                        (void) dup2(fd, STDOUT_FILENO);
                        (void) dup2(fd, STDERR_FILENO);
                }
                execl(bin, bin, "--session", "--timeout", "60", (char *) NULL);
                exec_errno = errno;
                (void) !write(errpipe[1], &exec_errno, sizeof(exec_errno));
                _exit(127);
        }
        close(errpipe[1]);
        (void) waitpid(pid, NULL, 0);
        if (read(errpipe[0], &exec_errno, sizeof(exec_errno)) != sizeof(exec_errno))
                exec_errno = 0;
        close(errpipe[0]);
        if (exec_errno != 0)
                return vk_error_set_errno(reterr, -exec_errno,
                                          "cannot start the session daemon '%s'", bin);

wait:
        for (int i = 0; i < 500; i++) {
                if (socket_listening(path))
                        return 0;
                if (i == 20 && !cli->quiet_progress && isatty(STDERR_FILENO))
                        fprintf(stderr, "Starting %s…\r", name);
                usleep(10000);
        }
        return vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, -ETIMEDOUT,
                            "the session daemon %s did not start (no socket at '%s' after 5 s)",
                            bin, path);
}

static int connect_ssh(VkCli *cli, VkVarlinkClient **ret, VkError *reterr) {
        g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
        g_autofree char *target = NULL;
        g_autofree char *remote = vk_uri_bridge_uri(cli->uri);
        const char *ssh = getenv("VIRTKIT_SSH");
        int sv[2];
        pid_t pid;

        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
                return vk_error_set_errno(reterr, -errno, "cannot create socketpair");

        g_ptr_array_add(argv, g_strdup(vk_isempty(ssh) ? "ssh" : ssh));
        g_ptr_array_add(argv, g_strdup("-T"));
        g_ptr_array_add(argv, g_strdup("-oBatchMode=yes"));
        if (cli->uri->port) {
                g_ptr_array_add(argv, g_strdup("-p"));
                g_ptr_array_add(argv, g_strdup(cli->uri->port));
        }
        target = cli->uri->user ? g_strdup_printf("%s@%s", cli->uri->user, cli->uri->host)
                                : g_strdup(cli->uri->host);
        g_ptr_array_add(argv, g_strdup("--"));
        g_ptr_array_add(argv, g_steal_pointer(&target));
        /* ssh joins these words into one command line for the remote shell: quote the URI */
        g_ptr_array_add(argv, g_strdup("virtkit"));
        g_ptr_array_add(argv, g_strdup("bridge"));
        g_ptr_array_add(argv, g_shell_quote(remote));
        g_ptr_array_add(argv, NULL);

        pid = fork();
        if (pid < 0) {
                close(sv[0]);
                close(sv[1]);
                return vk_error_set_errno(reterr, -errno, "cannot start ssh");
        }
        if (pid == 0) {
                (void) dup2(sv[1], STDIN_FILENO);
                (void) dup2(sv[1], STDOUT_FILENO);
                execvp(argv->pdata[0], (char **) argv->pdata);
                fprintf(stderr, "virtkit: cannot run %s: %m\n", (char *) argv->pdata[0]);
                _exit(127);
        }
        close(sv[1]);
        cli->ssh_pid = pid;
        return vk_varlink_client_new_fd(cli->event, sv[0], ret, reterr);
}

static int cli_client(VkCli *cli, const char *driver, VkVarlinkClient **ret, VkError *reterr) {
        int idx = driver_index(driver);
        g_autofree char *path = NULL;
        int r;

        if (cli->clients[idx]) {
                *ret = cli->clients[idx];
                return 0;
        }
        if (!cli->event) {
                r = sd_event_new(&cli->event);
                if (r < 0)
                        return vk_error_set_errno(reterr, r, "cannot create event loop");
        }

        switch (cli->uri->transport) {
        case VK_URI_SSH:
                /* the remote qemud forwards calls for secrets, networks and storage */
                if (idx != 0)
                        return cli_client(cli, "Qemu", ret, reterr);
                r = connect_ssh(cli, &cli->clients[idx], reterr);
                break;
        case VK_URI_EMBEDDED:
                if (idx >= 2) {
                        /* other secondary drivers: the system daemons, as libvirt does */
                        g_autoptr(VkUri) sys = NULL;

                        r = vk_uri_parse("qemu:///system", &sys, reterr);
                        if (r >= 0)
                                r = vk_cli_socket_path(sys, driver, &path, reterr);
                        if (r >= 0)
                                r = vk_varlink_client_connect(cli->event, path, &cli->clients[idx],
                                                              reterr);
                        break;
                }
                if (!cli->embed) {
                        r = vk_embed_open(cli->event, cli->uri->root, &cli->embed, reterr);
                        if (r < 0)
                                return r;
                }
                r = idx == 0 ? vk_embed_connect(cli->embed, &cli->clients[idx], reterr)
                             : vk_embed_connect_secrets(cli->embed, &cli->clients[idx], reterr);
                break;
        default:
                /* ?socket= names a qemud: it forwards the calls for secrets, networks and
                 * storage */
                if (idx != 0 && cli->uri->socket)
                        return cli_client(cli, "Qemu", ret, reterr);
                r = vk_cli_socket_path(cli->uri, driver, &path, reterr);
                if (r < 0)
                        return r;
                r = vk_varlink_client_connect(cli->event, path, &cli->clients[idx], NULL);
                if (r < 0 && cli->uri->instance == VK_INSTANCE_SESSION && !cli->uri->socket) {
                        r = session_autospawn(cli, driver, path, reterr);
                        if (r < 0)
                                return r;
                        r = vk_varlink_client_connect(cli->event, path, &cli->clients[idx], reterr);
                } else if (r < 0) {
                        g_autofree char *lower = g_ascii_strdown(driver, -1);
                        r = vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, -ECONNREFUSED,
                                         "cannot reach virtkit-%sd at '%s' (URI %s): is it "
                                         "running?",
                                         lower, path, cli->uri->text);
                }
                break;
        }
        if (r < 0)
                return r;
        *ret = cli->clients[idx];
        return 0;
}

/*
 * A call over ssh failed. When ssh itself ended (refused connection, unknown or changed host
 * key, no virtkit on the remote host), "the service closed the connection" says nothing: say
 * that ssh failed; its own message is above on standard error.
 */
static int ssh_failure(VkCli *cli, int r, VkError *reterr) {
        int status = 0;
        pid_t p = 0;

        for (int i = 0; i < 200 && p == 0; i++) { /* it is exiting: the socket just closed */
                p = waitpid(cli->ssh_pid, &status, WNOHANG);
                if (p == 0)
                        usleep(10000);
        }
        if (p != cli->ssh_pid)
                return r;
        cli->ssh_pid = 0;
        vk_error_done(reterr);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
                return vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, -EHOSTUNREACH,
                                    "URI '%s': ssh, or virtkit on %s, was not found (exit "
                                    "status 127)",
                                    cli->uri->text, cli->uri->host);
        return vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, -EHOSTUNREACH,
                            "URI '%s': ssh to %s failed (%s %d; its message is above)",
                            cli->uri->text, cli->uri->host,
                            WIFEXITED(status) ? "exit status" : "signal",
                            WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
}

typedef struct Progress {
        const char *method;
        unsigned seconds;
        bool shown;
} Progress;

static int progress_on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Progress *p = userdata;

        p->seconds++;
        p->shown = true;
        fprintf(stderr, "\r%s: waiting for the daemon (%u s)…", p->method, p->seconds);
        fflush(stderr);
        (void) sd_event_source_set_time_relative(s, 1000000);
        (void) sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
        return 0;
}

/*
 * polkit wants the caller to authenticate and we have a terminal: start a text agent for this
 * process and repeat the call allowing interaction (polkitd then asks on the terminal, so no
 * progress line and no timeout shorter than the daemon's own bound).
 */
static int call_with_agent(VkVarlinkClient *cl, const char *method, JsonNode *params,
                           JsonNode **ret, VkError *reterr) {
        g_autoptr(JsonNode) again = params ? json_node_copy(params) : NULL;
        pid_t agent;
        int r;

        agent = vk_cli_polkit_agent_start();
        vk_error_done(reterr);
        if (agent < 0)
                return vk_error_set_errno(reterr, agent,
                                          "authentication is required, and no text polkit agent "
                                          "(pkttyagent) could be started");
        if (!again) {
                again = json_node_new(JSON_NODE_OBJECT);
                json_node_take_object(again, json_object_new());
        }
        json_object_set_boolean_member(json_node_get_object(again),
                                       "allowInteractiveAuthentication", true);
        r = vk_varlink_client_call_sync(cl, method, again, CALL_TIMEOUT_USEC, ret, reterr);
        vk_cli_polkit_agent_stop(agent);
        return r;
}

/*
 * Call io.virtkit.@driver.@method with @params (NULL: none) and wait for the reply. A call
 * that takes more than a second (a first capabilities probe, a start with a slow disk) shows a
 * progress line on a terminal, removed when the reply comes; nothing otherwise or with --json.
 */
int vk_cli_call(VkCli *cli, const char *driver, const char *method, JsonNode *params,
                JsonNode **ret, VkError *reterr) {
        g_autofree char *full = g_strdup_printf("io.virtkit.%s.%s", driver, method);
        g_autoptr(sd_event_source) timer = NULL;
        Progress progress = { .method = method };
        VkVarlinkClient *cl;
        int r;

        r = cli_client(cli, driver, &cl, reterr);
        if (r < 0)
                return r;
        if (!cli->quiet_progress)
                (void) sd_event_add_time_relative(cli->event, &timer, CLOCK_MONOTONIC, 1000000, 0,
                                                  progress_on_timer, &progress);
        r = vk_varlink_client_call_sync(cl, full, params, CALL_TIMEOUT_USEC, ret, reterr);
        if (progress.shown)
                fprintf(stderr, "\r\033[K");
        timer = sd_event_source_disable_unref(timer);
        if (r < 0 && cli->uri->transport == VK_URI_LOCAL &&
            cli->uri->instance == VK_INSTANCE_SYSTEM && reterr &&
            vk_cli_polkit_agent_wanted(reterr->name))
                r = call_with_agent(cl, full, params, ret, reterr);
        if (r < 0 && cli->uri->transport == VK_URI_SSH && reterr && reterr->name &&
            strcmp(reterr->name, VK_VARLINK_ERROR_DISCONNECTED) == 0)
                return ssh_failure(cli, r, reterr);
        return r;
}

/*
 * vk_cli_call() for a volume job: passes @fds (SCM_RIGHTS; not over ssh) and asks for
 * "more", each progress reply going to @on_progress; the silence between replies is bounded,
 * not the whole call.
 */
int vk_cli_call_job(VkCli *cli, const char *driver, const char *method, JsonNode *params,
                    const int *fds, size_t n_fds, VkVarlinkContinueFunc on_progress, void *userdata,
                    JsonNode **ret, VkError *reterr) {
        g_autofree char *full = g_strdup_printf("io.virtkit.%s.%s", driver, method);
        VkVarlinkClient *cl;
        int r;

        if (n_fds > 0 && cli->uri->transport == VK_URI_SSH)
                return vk_error_set(reterr, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                    "%s: a file cannot be passed over ssh (URI %s): run virtkit "
                                    "on %s",
                                    method, cli->uri->text, cli->uri->host);
        r = cli_client(cli, driver, &cl, reterr);
        if (r < 0)
                return r;
        return vk_varlink_client_call_sync_fds(cl, full, params, fds, n_fds, on_progress, userdata,
                                               CALL_TIMEOUT_USEC, ret, reterr);
}

void vk_cli_done(VkCli *cli) {
        for (size_t i = 0; i < VK_ELEMENTSOF(cli->clients); i++)
                cli->clients[i] = vk_varlink_client_free(cli->clients[i]);
        if (cli->ssh_pid > 0) {
                (void) kill(cli->ssh_pid, SIGTERM);
                (void) waitpid(cli->ssh_pid, NULL, 0);
        }
        cli->embed = vk_embed_free(cli->embed);
        cli->event = sd_event_unref(cli->event);
        cli->uri = vk_uri_free(cli->uri);
}
