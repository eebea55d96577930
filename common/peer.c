/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* peer.c: who is on the other end of a socket or bus message */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <glib.h>

#include "macro.h"
#include "peer.h"

/*
 * The start time of @pid (field 22 of /proc/PID/stat, in clock ticks since boot). polkit
 * takes it with the pid so that a recycled pid cannot inherit an authorisation.
 */
int vk_process_start_time(pid_t pid, uint64_t *ret) {
        g_autofree char *path = g_strdup_printf("/proc/%d/stat", (int) pid);
        g_autofree char *text = NULL;
        const char *p;
        unsigned long long st;

        if (!g_file_get_contents(path, &text, NULL, NULL))
                return -ESRCH;
        /* the command name may contain spaces and parentheses: skip to the last ')' */
        p = strrchr(text, ')');
        if (!p)
                return -EIO;
        /* after ')' come fields 3..: state(3) ... starttime(22) */
        if (sscanf(p + 1,
                   " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d "
                   "%*d %*d %llu",
                   &st) != 1)
                return -EIO;
        *ret = st;
        return 0;
}

/* Fill @ret with the credentials of the peer of the connected UNIX socket @fd. */
int vk_peer_from_socket(int fd, VkPeer *ret) {
        struct ucred uc;
        socklen_t len = sizeof(uc);
        VkPeer p = VK_PEER_INIT;

        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) < 0)
                return -errno;
        p.uid = uc.uid;
        p.gid = uc.gid;
        p.pid = uc.pid;
        *ret = p;
        return 0;
}
