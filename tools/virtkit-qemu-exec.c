/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virtkit-qemu-exec: apply the security exec parameters, then exec QEMU */
#include <stdio.h>
#include <unistd.h>

#include "security-manager.h"

/*
 * virtkit-qemud spawns QEMU through this helper when the exec parameters need more than a
 * uid/gid switch (capability bounding set, SELinux exec context, AppArmor onexec profile):
 * common/child.c has no pre-exec hook. The command line is described in
 * drivers/security/security-exec.c. The environment, the fds and the pid are QEMU's: the
 * helper only changes credentials and labels, then execs. On failure it writes one line to
 * stderr (QEMU's log) and exits with 127.
 */
int main(int argc, char *argv[]) {
        g_auto(VkSecurityExecParams) p = {};
        g_auto(VkError) error = VK_ERROR_INIT;
        char **rest = NULL;

        if (argc < 3) {
                fprintf(stderr, "usage: %s [OPTIONS] -- QEMU [ARGS...]\n", argv[0]);
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
