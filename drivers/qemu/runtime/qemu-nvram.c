/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-nvram.c: a domain's UEFI variable store, copied from its template at the first start */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic-file.h"
#include "macro.h"
#include "qemu-firmware.h"
#include "qemu-nvram.h"

/* Copy @src (open) into @dst (open, empty); at most VK_QEMU_NVRAM_MAX bytes. */
static int nvram_copy_fd(int src, int dst) {
        char buf[64 * 1024];
        size_t total = 0;

        for (;;) {
                ssize_t n = read(src, buf, sizeof(buf));

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        return 0;
                total += (size_t) n;
                if (total > VK_QEMU_NVRAM_MAX)
                        return -EFBIG;
                for (ssize_t off = 0; off < n;) {
                        ssize_t w = write(dst, buf + off, (size_t) (n - off));

                        if (w < 0 && errno == EINTR)
                                continue;
                        if (w < 0)
                                return -errno;
                        off += w;
                }
        }
}

/*
 * Make the variable store of @def (<nvram> of a pflash <loader>) from its template when it
 * does not exist yet, as libvirt does at a start: a private copy (0600) owned by @uid:@gid
 * (QEMU's user; (uid_t) -1: ours), its directory made if needed. The copy is written to a
 * temporary file and renamed into place, so it is whole or absent. Returns 1 when it was made
 * (a start that fails removes it again), 0 when there is nothing to do, or an error naming the
 * files.
 */
int vk_qemu_nvram_create(const VkDomainDef *def, uid_t uid, gid_t gid, VkError *reterr) {
        g_autofree char *dir = NULL;
        g_autofree char *tmp = NULL;
        vk_autofd src = -EBADF;
        vk_autofd dst = -EBADF;
        const char *step;
        struct stat st;
        int r;

        assert(def);
        if (def->loader_type != VK_LOADER_TYPE_PFLASH || !def->nvram_path)
                return 0;
        if (lstat(def->nvram_path, &st) == 0)
                return 0;
        if (errno != ENOENT)
                return vk_error_set(reterr, VK_ERROR_SYSTEM, -errno, "cannot access NVRAM '%s': %s",
                                    def->nvram_path, g_strerror(errno));
        if (!def->nvram_template)
                return vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, -ENOENT,
                                    "NVRAM '%s' does not exist and loader '%s' has no template "
                                    "to make it from (<nvram template=>)",
                                    def->nvram_path, vk_strempty(def->loader_path));

        src = open(def->nvram_template, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (src < 0)
                return vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, -errno,
                                    "cannot open NVRAM template '%s': %s", def->nvram_template,
                                    g_strerror(errno));
        dir = g_path_get_dirname(def->nvram_path);
        r = vk_mkdir_p(dir, 0755);
        if (r < 0)
                return vk_error_set(reterr, VK_ERROR_SYSTEM, r, "cannot create '%s': %s", dir,
                                    g_strerror(-r));
        tmp = g_strconcat(def->nvram_path, ".XXXXXX", NULL);
        dst = g_mkstemp_full(tmp, O_WRONLY | O_CLOEXEC, 0600);
        if (dst < 0)
                return vk_error_set(reterr, VK_ERROR_SYSTEM, -errno,
                                    "cannot create a temporary file for NVRAM '%s': %s",
                                    def->nvram_path, g_strerror(errno));

        step = "copy the template to";
        r = nvram_copy_fd(src, dst);
        if (r >= 0 && (uid != (uid_t) -1 || gid != (gid_t) -1)) {
                step = "give QEMU's user";
                r = fchown(dst, uid, gid) < 0 ? -errno : 0;
        }
        if (r >= 0) {
                step = "write";
                r = fsync(dst) < 0 ? -errno : 0;
        }
        if (r >= 0) {
                step = "rename into place";
                r = rename(tmp, def->nvram_path) < 0 ? -errno : 0;
        }
        if (r < 0) {
                (void) unlink(tmp);
                return vk_error_set(reterr, VK_ERROR_SYSTEM, r, "cannot %s NVRAM '%s': %s", step,
                                    def->nvram_path, g_strerror(-r));
        }
        return 1;
}

/*
 * The variable store file of @def: its <nvram>, or for <os firmware='efi'> the one its first
 * start makes (NAME_VARS.fd under @nvram_dir, vk_qemu_firmware_nvram_path()); NULL when it has
 * none. The caller frees it. Whether it exists is the caller's question.
 */
char *vk_qemu_nvram_path(const VkDomainDef *def, const char *nvram_dir) {
        assert(def);
        if (def->nvram_path)
                return g_strdup(def->nvram_path);
        if (def->os_firmware == VK_OS_FIRMWARE_EFI)
                return vk_qemu_firmware_nvram_path(nvram_dir, def->name);
        return NULL;
}
