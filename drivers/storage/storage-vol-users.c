/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* storage-vol-users.c: who has a volume's file open (a running domain's QEMU, or another process)
 */
#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>

#include "macro.h"
#include "storage-vol-users.h"

/*
 * A volume is in use while a process holds its file open: the QEMU of a running domain opens
 * every image of a disk's chain when it starts and keeps them open until it exits. Asking the
 * kernel (/proc/<pid>/fd) rather than keeping records means there is nothing to go stale: a
 * crashed QEMU, a daemon restarted, a domain started by another instance or by libvirt — the
 * answer is always the current one. Processes we may not look into (another user's, for a
 * session daemon) are skipped. docs/storage.md tells the whole design.
 */

#define CMDLINE_MAX (256u * 1024u)

void vk_storage_file_user_done(VkStorageFileUser *u) {
        g_clear_pointer(&u->domain, g_free);
        g_clear_pointer(&u->comm, g_free);
}

/*
 * The guest name of a QEMU command line (@len bytes of NUL-separated arguments, as
 * /proc/<pid>/cmdline): the value of "-name guest=NAME,..." or "-name NAME,...", with ",,"
 * standing for a comma. NULL when there is none.
 */
char *vk_storage_qemu_guest_name(const char *cmdline, size_t len) {
        const char *end = cmdline + len;
        const char *arg = cmdline;
        g_autoptr(GString) name = NULL;
        const char *v = NULL;

        while (arg < end) {
                const char *next = memchr(arg, 0, (size_t) (end - arg));

                if (!next)
                        break;
                if ((strcmp(arg, "-name") == 0 || strcmp(arg, "--name") == 0) && next + 1 < end &&
                    memchr(next + 1, 0, (size_t) (end - next - 1)))
                        v = next + 1;
                arg = next + 1;
        }
        if (!v)
                return NULL;
        /* "guest=NAME,...", or "NAME,..." (the implied key), or "process=...,guest=NAME" */
        if (g_str_has_prefix(v, "guest="))
                v += strlen("guest=");
        else if (strchr(v, '=') && strcspn(v, "=") < strcspn(v, ",")) {
                const char *g = strstr(v, ",guest=");

                if (!g)
                        return NULL;
                v = g + strlen(",guest=");
        }
        name = g_string_new(NULL);
        for (const char *c = v; *c; c++) {
                if (*c == ',' && c[1] == ',')
                        c++;
                else if (*c == ',')
                        break;
                g_string_append_c(name, *c);
        }
        return name->len > 0 ? g_string_free(g_steal_pointer(&name), false) : NULL;
}

static bool same_file(const struct stat *a, const struct stat *b) {
        if (S_ISBLK(a->st_mode))
                return S_ISBLK(b->st_mode) && a->st_rdev == b->st_rdev;
        return S_ISREG(b->st_mode) && a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* Whether process @pid (its /proc dir open as @pfd) holds @target open. */
static bool process_holds(int pfd, const struct stat *target) {
        DIR *d;
        int dfd;
        bool found = false;

        dfd = openat(pfd, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return false; /* gone, or not ours to look into */
        d = fdopendir(dfd);
        if (!d) {
                (void) close(dfd);
                return false;
        }
        for (struct dirent *de; !found && (de = readdir(d));) {
                struct stat st;

                if (de->d_name[0] == '.')
                        continue;
                if (fstatat(dirfd(d), de->d_name, &st, 0) == 0 && same_file(target, &st))
                        found = true;
        }
        closedir(d);
        return found;
}

static char *read_small(int pfd, const char *name, size_t max, size_t *ret_len) {
        g_autofree char *buf = g_malloc(max + 1);
        size_t len = 0;
        int fd;

        fd = openat(pfd, name, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return NULL;
        while (len < max) {
                ssize_t n = read(fd, buf + len, max - len);

                if (n <= 0)
                        break;
                len += (size_t) n;
        }
        (void) close(fd);
        buf[len] = 0;
        *ret_len = len;
        return g_steal_pointer(&buf);
}

/*
 * Find a process (other than us) holding @path open, looking in @proc (NULL: /proc).
 * Returns 1 with *@ret filled (free it with vk_storage_file_user_done()), 0 when there is none
 * (or @path does not exist), -errno when @path or @proc cannot be read.
 */
int vk_storage_file_user_find(const char *proc, const char *path, VkStorageFileUser *ret) {
        struct stat target;
        DIR *d;
        pid_t self = getpid();
        int r = 0;

        if (stat(path, &target) < 0)
                return errno == ENOENT ? 0 : -errno;
        d = opendir(proc ? proc : "/proc");
        if (!d)
                return -errno;
        for (struct dirent *de; r == 0 && (de = readdir(d));) {
                char *end = NULL;
                long pid = strtol(de->d_name, &end, 10);
                g_autofree char *cmdline = NULL, *comm = NULL;
                size_t len = 0, comm_len = 0;
                int pfd;

                if (pid <= 0 || *end || pid == self)
                        continue;
                pfd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (pfd < 0)
                        continue;
                if (process_holds(pfd, &target)) {
                        cmdline = read_small(pfd, "cmdline", CMDLINE_MAX, &len);
                        comm = read_small(pfd, "comm", 64, &comm_len);
                        *ret = (VkStorageFileUser){
                                .pid = (pid_t) pid,
                                .domain = cmdline ? vk_storage_qemu_guest_name(cmdline, len) : NULL,
                                .comm = comm ? g_strstrip(g_steal_pointer(&comm)) : g_strdup("?"),
                        };
                        r = 1;
                }
                (void) close(pfd);
        }
        closedir(d);
        return r;
}
