/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cli-polkit.c: a text polkit agent (pkttyagent) for calls that need authentication
 *
 * polkitd answers a changing call of a user who may authenticate (auth_admin, auth_self) with
 * "challenge"; the daemon turns that into InteractiveAuthenticationRequired unless the call
 * allows interaction. On a terminal, virtkit then does what virsh does: it starts
 * `pkttyagent --process PID --notify-fd N --fallback` for itself, waits until the agent has
 * registered (it closes N), and repeats the call with allowInteractiveAuthentication, so
 * polkitd asks for the password on the terminal.
 *
 * --fallback lets the session's own agent (a desktop's dialog) go first. polkitd uses a
 * fallback agent only for a subject in a login session, though: without one (no logind, a
 * container, an ssh login on such a host) it would never ask it. There the agent is
 * registered for this process alone, without --fallback.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <systemd/sd-login.h>

#include "cli-polkit.h"
#include "error.h"

#define AGENT_READY_TIMEOUT_MS 10000

bool vk_cli_polkit_agent_wanted(const char *error_name) {
        const char *dot;

        if (!error_name)
                return false;
        dot = strrchr(error_name, '.');
        if (strcmp(dot ? dot + 1 : error_name, VK_ERROR_INTERACTIVE_AUTH_REQUIRED) != 0)
                return false;
        if (getenv("VIRTKIT_NO_POLKIT_AGENT"))
                return false;
        return isatty(STDIN_FILENO) && isatty(STDERR_FILENO);
}

pid_t vk_cli_polkit_agent_start(void) {
        const char *agent = getenv("VIRTKIT_PKTTYAGENT"); /* tests */
        char pidstr[32], fdstr[32];
        struct pollfd pfd;
        int notify[2];
        pid_t self = getpid(), pid;
        bool fallback = sd_pid_get_session(0, NULL) >= 0;
        char c;

        if (!agent || !*agent)
                agent = "pkttyagent";
        if (pipe2(notify, O_CLOEXEC) < 0)
                return -errno;
        pid = fork();
        if (pid < 0) {
                int e = errno;
                close(notify[0]);
                close(notify[1]);
                return -e;
        }
        if (pid == 0) {
                /* the notify fd must survive the exec: a copy without O_CLOEXEC */
                int fd = dup(notify[1]);

                if (fd < 0)
                        _exit(127);
                (void) snprintf(pidstr, sizeof(pidstr), "%d", (int) self);
                (void) snprintf(fdstr, sizeof(fdstr), "%d", fd);
                execlp(agent, agent, "--process", pidstr, "--notify-fd", fdstr,
                       fallback ? "--fallback" : (char *) NULL, (char *) NULL);
                fprintf(stderr, "virtkit: cannot run %s: %s\n", agent, strerror(errno));
                _exit(127);
        }
        close(notify[1]);
        /* EOF when the agent registered and closed the fd, or when it died */
        pfd = (struct pollfd){ .fd = notify[0], .events = POLLIN };
        (void) poll(&pfd, 1, AGENT_READY_TIMEOUT_MS);
        (void) !read(notify[0], &c, 1);
        close(notify[0]);
        if (waitpid(pid, NULL, WNOHANG) == pid)
                return -ECHILD; /* it ended: no agent (not installed, no bus) */
        return pid;
}

void vk_cli_polkit_agent_stop(pid_t pid) {
        if (pid <= 0)
                return;
        (void) kill(pid, SIGTERM);
        (void) waitpid(pid, NULL, 0);
}
