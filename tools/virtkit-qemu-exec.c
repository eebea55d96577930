/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virtkit-qemu-exec: apply the security exec parameters, then exec QEMU */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "security-exec.h"

/*
 * virtkit-qemud spawns QEMU through this helper when the exec parameters need more than a
 * uid/gid switch (capability bounding set, SELinux exec context, AppArmor onexec profile):
 * common/child.c has no pre-exec hook. The command line is described in
 * drivers/security/security-exec.c. The environment, the fds and the pid are QEMU's: the
 * helper only changes credentials and labels, then execs. On failure it writes one line to
 * stderr (QEMU's log) and exits with 127.
 */

/*
 * --wait-fd=N (first, optional): wait until the daemon writes one byte to fd N, i.e. until
 * this process (QEMU to be) sits in its cgroup with the device ACL. EOF means the daemon gave
 * the start up.
 */
static int wait_for_go(const char *arg) {
        char *end = NULL;
        char go = 0;
        ssize_t n;
        long fd;

        fd = strtol(arg, &end, 10);
        if (!end || *end || fd < 3 || fd > INT_MAX) {
                fprintf(stderr, "%s: bad --wait-fd '%s'\n", VK_SECURITY_EXEC_HELPER, arg);
                return -EINVAL;
        }
        do
                n = read((int) fd, &go, 1);
        while (n < 0 && errno == EINTR);
        (void) close((int) fd);
        if (n != 1) {
                fprintf(stderr, "%s: the daemon gave up on this start before QEMU ran\n",
                        VK_SECURITY_EXEC_HELPER);
                return -ECANCELED;
        }
        return 0;
}

int main(int argc, char *argv[]) {
        g_auto(VkSecurityExecParams) p = {};
        g_auto(VkError) error = VK_ERROR_INIT;
        char **rest = NULL;

        if (argc > 1 && g_str_has_prefix(argv[1], "--wait-fd=")) {
                if (wait_for_go(argv[1] + strlen("--wait-fd=")) < 0)
                        return 127;
                argv[1] = argv[0];
                argv++;
                argc--;
        }
        if (argc < 3) {
                fprintf(stderr, "usage: %s [--wait-fd=N] [OPTIONS] -- QEMU [ARGS...]\n", argv[0]);
                return 2;
        }
        if (vk_security_exec_params_from_args(argv + 1, &p, &rest, &error) < 0 ||
            vk_security_exec_params_apply(&p, &error) < 0) {
                fprintf(stderr, "%s: %s\n", VK_SECURITY_EXEC_HELPER, error.message);
                return 127;
        }
        execv(rest[0], rest);
        fprintf(stderr, "%s: cannot execute '%s': %m\n", VK_SECURITY_EXEC_HELPER, rest[0]);
        return 127;
}
