/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lockfile.c: a lock file held for the lifetime of an owner, naming its holder */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <glib.h>

#include "lockfile.h"
#include "macro.h"

/*
 * An flock() on @path: it goes when the holder closes the fd or dies, so a killed holder never
 * leaves a stale lock. The holder writes "PID PROGRAM" into the file, so the next one to try
 * can say who holds it. The fd is close-on-exec: no child inherits the lock.
 */

#define LOCKFILE_RETRY_USEC (10U * 1000U)
#define LOCKFILE_HOLDER_MAX 256

/* The holder recorded in @fd: its pid (0: unknown) and program (NULL: unknown). */
static void lockfile_read_holder(int fd, int *ret_pid, char **ret_program) {
        char buf[LOCKFILE_HOLDER_MAX + 1] = {};
        ssize_t n = pread(fd, buf, LOCKFILE_HOLDER_MAX, 0);
        char *end = NULL;
        long pid;

        *ret_pid = 0;
        *ret_program = NULL;
        if (n <= 0)
                return;
        buf[n] = 0;
        pid = strtol(buf, &end, 10);
        if (pid <= 0 || pid > INT32_MAX || !end || *end != ' ')
                return;
        *ret_pid = (int) pid;
        end++;
        end[strcspn(end, "\n")] = 0;
        if (*end && g_utf8_validate(end, -1, NULL))
                *ret_program = g_strdup(end);
}

static void lockfile_write_holder(int fd) {
        g_autofree char *text =
                g_strdup_printf("%d %s\n", (int) getpid(), program_invocation_short_name);

        if (ftruncate(fd, 0) < 0 || pwrite(fd, text, strlen(text), 0) < 0)
                return; /* the lock holds anyway; only the holder's name is missing */
}

/*
 * Take the lock @path (created 0644 if missing) for @what (e.g. "root /x", named in the error)
 * and return its fd in *@ret_fd: closing it gives the lock back. While another process holds
 * it, wait up to @wait_usec, but only while that holder is the same program as we are (a short
 * call of the same tool); a different holder (a daemon) fails at once. -EBUSY names the holder:
 * "root /x is in use by virtkit-qemud (pid 123)".
 */
int vk_lockfile_acquire(const char *path, const char *what, uint64_t wait_usec, int *ret_fd,
                        VkError *reterr) {
        gint64 deadline = g_get_monotonic_time() + (gint64) wait_usec;
        vk_autofd fd = -1;

        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0644);
        if (fd < 0)
                return vk_error_set_errno(reterr, errno, "cannot open the lock file '%s'", path);
        for (;;) {
                g_autofree char *program = NULL;
                int pid;

                if (flock(fd, LOCK_EX | LOCK_NB) == 0)
                        break;
                if (errno != EWOULDBLOCK)
                        return vk_error_set_errno(reterr, errno, "cannot lock '%s'", path);
                lockfile_read_holder(fd, &pid, &program);
                if (g_get_monotonic_time() >= deadline ||
                    g_strcmp0(program, program_invocation_short_name) != 0) {
                        if (pid > 0)
                                return vk_error_set(reterr, VK_ERROR_BUSY, -EBUSY,
                                                    "%s is in use by %s (pid %d; lock file '%s')",
                                                    what, program ? program : "another process",
                                                    pid, path);
                        return vk_error_set(reterr, VK_ERROR_BUSY, -EBUSY,
                                            "%s is in use by another process (lock file '%s')",
                                            what, path);
                }
                g_usleep(LOCKFILE_RETRY_USEC);
        }
        lockfile_write_holder(fd);
        *ret_fd = vk_steal_fd(&fd);
        return 0;
}
