/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* network-child.c: a short-lived helper program (dnsmasq's start, iptables) run to its end */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"
#include "macro.h"
#include "network-child.h"

/*
 * The network driver's API is synchronous: a start returns when the network runs. The helpers
 * it needs on the way end within milliseconds (iptables, the daemonizing parent of dnsmasq,
 * which exits once the daemon is ready), so they are spawned through common/child.c and
 * waited for on their pidfd, bounded by a timeout, rather than through the loop. Their stderr
 * goes to a memfd (a daemon that keeps it open never blocks on a full pipe).
 */

#define CHILD_STDERR_MAX 4096

void vk_network_child_result_done(VkNetworkChildResult *res) {
        g_clear_pointer(&res->errout, g_free);
}

bool vk_network_child_succeeded(const VkNetworkChildResult *res) {
        return res->code == CLD_EXITED && res->status == 0;
}

static char *child_stderr(int fd) {
        char buf[CHILD_STDERR_MAX + 1];
        ssize_t n = pread(fd, buf, CHILD_STDERR_MAX, 0);

        if (n <= 0)
                return g_strdup("");
        buf[n] = 0;
        return g_strstrip(g_strdelimit(g_strdup(buf), "\n", ' '));
}

/*
 * Run @argv (environment @env) to its end, at most @timeout_msec (then it is killed and
 * -ETIMEDOUT returned with @reterr). *@ret says how it ended and what it wrote to stderr;
 * a failing helper is no error here: the caller decides. Blocks.
 */
int vk_network_child_run(sd_event *e, const char *const *argv, const char *const *env,
                         unsigned timeout_msec, VkNetworkChildResult *ret, VkError *reterr) {
        VkChildOptions opts = { .flags = VK_CHILD_NEW_SESSION | VK_CHILD_OUTLIVE_PARENT |
                                         VK_CHILD_STDERR_TO_FD,
                                .env = env };
        g_autoptr(VkChild) child = NULL;
        vk_autofd err_fd = -1;
        vk_autofd pidfd = -1;
        struct pollfd pfd;
        siginfo_t si = {};
        int r;

        err_fd = memfd_create("virtkit-helper-stderr", MFD_CLOEXEC);
        if (err_fd < 0)
                return vk_error_set_errno(reterr, errno, "Failed to create a memfd");
        opts.stderr_fd = err_fd;
        r = vk_child_spawn(e, argv, &opts, NULL, NULL, &child, reterr);
        if (r < 0)
                return r;
        /* ours to reap here, not the loop's */
        pidfd = fcntl(vk_child_get_pidfd(child), F_DUPFD_CLOEXEC, 3);
        if (pidfd < 0)
                return vk_error_set_errno(reterr, errno, "Failed to duplicate a pidfd");
        (void) vk_child_detach(child);
        child = vk_child_free(child);

        pfd = (struct pollfd){ .fd = pidfd, .events = POLLIN };
        do
                r = poll(&pfd, 1, (int) timeout_msec);
        while (r < 0 && errno == EINTR);
        if (r == 0) {
                (void) syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
                (void) waitid(P_PIDFD, pidfd, &si, WEXITED);
                return vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, -ETIMEDOUT,
                                    "'%s' did not finish within %u ms", argv[0], timeout_msec);
        }
        if (waitid(P_PIDFD, pidfd, &si, WEXITED) < 0)
                return vk_error_set_errno(reterr, errno, "Failed to wait for '%s'", argv[0]);
        *ret = (VkNetworkChildResult){
                .code = si.si_code,
                .status = si.si_status,
                .errout = child_stderr(err_fd),
        };
        return 0;
}
