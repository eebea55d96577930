/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-process-virtiofsd.c: the virtiofsd of each virtio-fs share of one QEMU process */
#include <string.h>
#include <unistd.h>

#include "macro.h"
#include "qemu-firmware.h"
#include "qemu-process-internal.h"
#include "qemu-virtiofsd.h"

/*
 * Each virtio-fs share gets a virtiofsd (qemu-virtiofsd.c), a helper owned like QEMU itself
 * (qemu-process-helper.c): its socket <private dir>/<alias>-fs.sock, its output in
 * <log dir>/<name>-<alias>-virtiofsd.log, run as root.
 */

/*
 * Before labels: for each virtio-fs share of @live, find its virtiofsd and make its listening
 * socket. Nothing runs yet; process_remove_files() removes what was made.
 */
int process_virtiofsd_prepare(VkQemuProcess *p, const VkDomainDef *live, VkError *reterr) {
        g_auto(GStrv) dirs = NULL;
        g_autofree char *log_dir = p->log_path ? g_path_get_dirname(p->log_path) : NULL;

        for (size_t i = 0; i < live->n_filesystems; i++) {
                const VkDomainFs *fs = live->filesystems[i];
                ProcessHelper *h;
                g_autofree char *log_name = NULL;
                int r;

                if (fs->driver != VK_FS_DRIVER_VIRTIOFS)
                        continue;
                h = process_helper_add(p, PROCESS_HELPER_VIRTIOFSD);
                h->alias = vk_qemu_virtiofsd_alias(fs, i);
                if (fs->binary_path)
                        h->binary = g_strdup(fs->binary_path);
                else {
                        if (!dirs)
                                dirs = vk_qemu_descriptor_dirs("vhost-user", geteuid() == 0,
                                                               g_get_user_config_dir());
                        r = vk_qemu_virtiofsd_find_binary((const char *const *) dirs, &h->binary,
                                                          reterr);
                        if (r < 0)
                                return r;
                }
                if (access(h->binary, X_OK) < 0)
                        return vk_error_set(reterr, VK_ERROR_OPERATION_FAILED,
                                            vk_negative_errno(errno),
                                            "the virtiofsd '%s' of filesystem '%s' of domain "
                                            "'%s' cannot be run: %s",
                                            h->binary, fs->target_dir, p->name, g_strerror(errno));
                h->socket = vk_qemu_virtiofsd_socket_path(p->private_dir, h->alias);
                log_name = g_strdup_printf("%s-%s-virtiofsd.log", p->name, h->alias);
                h->log_path = g_build_filename(log_dir ? log_dir : p->private_dir, log_name, NULL);
                h->argv = vk_qemu_virtiofsd_argv(fs, h->binary, PROCESS_HELPER_FD);
                r = process_helper_listen(h, reterr);
                if (r < 0)
                        return r;
        }
        return 0;
}
