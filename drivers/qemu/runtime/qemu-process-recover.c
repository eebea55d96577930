/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-process-recover.c: one QEMU per domain, and what a start cut short by a crash left */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <sys/pidfd.h>
#include <unistd.h>

#include <glib.h>

#include "log.h"
#include "macro.h"
#include "qemu-process-recover.h"
#include "qemu-process.h"

/*
 * A start writes the status file (qemu-process.c) with "starting": true before QEMU can run:
 * first before the private dir is made, again once labels are applied, once QEMU's pid is
 * known (QEMU then still waits in virtkit-qemu-exec for the daemon's go), and once its cgroup
 * is made. So whatever point a daemon dies at, the next one finds a record of everything that
 * may exist. At restart such a record is adopted when QEMU answers on its monitor, else torn
 * down: the process killed (it is identified by pid and start time: virtkit-qemu-exec execs
 * QEMU under the same pid), then cgroup, labels, private dir, lock file and record removed.
 *
 * The per-domain lock <run dir>/<name>.lock: the daemon takes an flock on it before a start
 * and hands the fd to QEMU (fd 4), which holds it until it ends, whichever daemon watches it.
 * A start whose lock is taken fails: there must never be two QEMUs of one domain on the same
 * disks, not even when an orphan was left by a crash we could not recover from.
 */

#define RECOVER_KILL_WAIT_MSEC 5000

/* <run dir>/<name>.lock of the status file <run dir>/<name>.json. */
char *vk_qemu_process_lock_path(const char *status_path) {
        size_t len = strlen(status_path);

        if (g_str_has_suffix(status_path, ".json"))
                len -= strlen(".json");
        return g_strdup_printf("%.*s.lock", (int) len, status_path);
}

/*
 * Take the lock of domain @name (see the top of this file); *@ret_fd holds it. Busy while a
 * QEMU of the domain (or a start of it) holds it.
 */
int vk_qemu_process_lock_domain(const char *lock_path, const char *name, int *ret_fd,
                                VkError *reterr) {
        vk_autofd fd = -1;

        fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
        if (fd < 0)
                return vk_error_set_errno(reterr, errno, "Failed to open the lock file '%s'",
                                          lock_path);
        if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
                if (errno == EWOULDBLOCK)
                        return vk_error_set(reterr, VK_ERROR_BUSY, -EBUSY,
                                            "a QEMU process of domain '%s' still runs (it holds "
                                            "the lock '%s'): destroy it, or end it by hand",
                                            name, lock_path);
                return vk_error_set_errno(reterr, errno, "Failed to lock '%s'", lock_path);
        }
        *ret_fd = vk_steal_fd(&fd);
        return 0;
}

/*
 * Remove the domain's lock file @lock_path unless a process still holds it (then that one
 * would lose its protection from a second QEMU).
 */
void vk_qemu_process_remove_lock(const char *lock_path) {
        vk_autofd fd = open(lock_path, O_RDWR | O_CLOEXEC | O_NOCTTY);

        if (fd < 0)
                return;
        if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
                vk_log_warning("'%s' is still held by a process: left in place", lock_path);
                return;
        }
        (void) unlink(lock_path);
}

/*
 * Kill the process a status record names, if @pid still is that process (same start time),
 * and wait a while for it to end, so its cgroup can go. Not our child: nothing to reap.
 */
void vk_qemu_process_kill_recorded(pid_t pid, unsigned long long pid_start_time, const char *what) {
        unsigned long long now_start = 0;
        vk_autofd fd = -1;
        struct pollfd pfd;

        if (pid <= 1)
                return;
        fd = pidfd_open(pid, 0);
        if (fd < 0)
                return;
        /* checked after pidfd_open(): the signal below can only reach the process we checked */
        if (vk_qemu_process_read_pid_start_time(pid, &now_start) < 0 || now_start != pid_start_time)
                return;
        vk_log_info("Killing QEMU of %s (pid %d): its start was cut short", what, (int) pid);
        if (pidfd_send_signal(fd, SIGKILL, NULL, 0) < 0)
                return;
        pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
        while (poll(&pfd, 1, RECOVER_KILL_WAIT_MSEC) < 0 && errno == EINTR)
                ;
}

/*
 * What a daemon killed at the wrong moment leaves in @run_dir beside status files: the
 * temporary file of a status write (".#<name>.json.<random>", common/atomic-file.c) and the
 * lock of a start that had not written its first record yet. Call it before the status files
 * are read, holding the driver's lock (no one else writes there).
 */
void vk_qemu_process_sweep_run_dir(const char *run_dir) {
        g_autoptr(GDir) dir = g_dir_open(run_dir, 0, NULL);
        const char *entry;

        while (dir && (entry = g_dir_read_name(dir))) {
                g_autofree char *path = g_build_filename(run_dir, entry, NULL);

                if (g_str_has_prefix(entry, ".#") && strstr(entry, ".json.")) {
                        vk_log_debug("Removing '%s', left by an interrupted write", path);
                        (void) unlink(path);
                } else if (g_str_has_suffix(entry, ".lock")) {
                        g_autofree char *status = g_strdup_printf(
                                "%.*s.json", (int) (strlen(path) - strlen(".lock")), path);

                        if (access(status, F_OK) < 0 && errno == ENOENT)
                                vk_qemu_process_remove_lock(path);
                }
        }
}
