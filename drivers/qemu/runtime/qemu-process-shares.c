/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-process-shares.c: what a start needs of filesystems, vsock and tuning on the host */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "macro.h"
#include "qemu-process-internal.h"
#include "qemu-virtiofsd.h"

/*
 * Refuse, before anything is made, what the host side of a start cannot provide: a virtio-fs
 * share where virtiofsd cannot run (not root), and <vsock> (no /dev/vhost-vsock fd and CID
 * are reserved yet). A shared directory must exist. Returns 0 or -errno with @reterr set.
 */
int process_check_shares(const VkDomainDef *def, VkError *reterr) {
        for (size_t i = 0; i < def->n_filesystems; i++) {
                const VkDomainFs *fs = def->filesystems[i];

                if (fs->driver == VK_FS_DRIVER_VIRTIOFS) {
                        g_autofree char *what = g_strdup_printf("filesystem '%s' of domain '%s'",
                                                                fs->target_dir, def->name);
                        int r = vk_qemu_virtiofsd_usable(what, reterr);

                        if (r < 0)
                                return r;
                }
                if (access(fs->source_dir, F_OK) < 0)
                        return vk_error_set(
                                reterr, VK_ERROR_OPERATION_FAILED, vk_negative_errno(errno),
                                "cannot access the source directory '%s' of "
                                "filesystem '%s' of domain '%s': %s",
                                fs->source_dir, fs->target_dir, def->name, g_strerror(errno));
        }
        if (def->vsock)
                return vk_error_set(reterr, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                    "domain '%s': <vsock> cannot be started yet (virtkit does "
                                    "not reserve a CID on /dev/vhost-vsock yet)",
                                    def->name);
        return 0;
}
