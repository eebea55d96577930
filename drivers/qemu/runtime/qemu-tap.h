/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-tap.h: the tap device of a guest NIC: created, put on a bridge, removed (rtnetlink) */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

#include "error.h"

/* An rtnetlink socket of libnl-3 (struct nl_sock), for the link helpers of the runtime. */
typedef struct VkQemuNlSock {
        struct nl_sock *sock;
} VkQemuNlSock;

void vk_qemu_nl_sock_done(VkQemuNlSock *s);
int vk_qemu_nl_sock_open(VkQemuNlSock *s, VkError *reterr);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(VkQemuNlSock, vk_qemu_nl_sock_done)

/* A tap (or macvtap) made for a NIC: its fd goes to QEMU, its name and index to the status
 * file. */
typedef struct VkQemuTap {
        char name[16];
        int ifindex;
        int fd;
} VkQemuTap;

/* How to make one. */
typedef struct VkQemuTapSpec {
        const char *name;   /* NULL: the lowest free vnetN */
        const uint8_t *mac; /* the guest's MAC; the host side gets it with 0xFE first */
        const char *bridge; /* NULL: on no bridge */
        unsigned mtu;       /* 0: the bridge's (or the kernel's default) */
        bool vnet_hdr;      /* IFF_VNET_HDR */
} VkQemuTapSpec;

int vk_qemu_tap_create(const VkQemuTapSpec *spec, VkQemuTap *ret, VkError *reterr);
int vk_qemu_tap_delete(const char *name, int ifindex);
