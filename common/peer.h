/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* peer.h: who is on the other end of a socket or bus message */
#pragma once

#include <stdint.h>
#include <sys/types.h>

typedef struct VkPeer {
        uid_t uid;
        gid_t gid;
        pid_t pid;
        uint64_t start_time; /* process start time in clock ticks (for polkit); 0 if unknown */
} VkPeer;

#define VK_PEER_INIT                                                                               \
        { .uid = (uid_t) -1, .gid = (gid_t) -1, .pid = 0, .start_time = 0 }

int vk_peer_from_socket(int fd, VkPeer *ret);
int vk_process_start_time(pid_t pid, uint64_t *ret);
