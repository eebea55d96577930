/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-macvtap.h: the macvtap link of a guest NIC on a host interface (rtnetlink, /dev/tapN) */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "qemu-domain-def.h"
#include "qemu-tap.h"

/* How to make one: <interface type='direct'>, or the direct plug of a macvtap network. */
typedef struct VkQemuMacvtapSpec {
        const char *name;     /* NULL: the lowest free macvtapN */
        const char *parent;   /* the host interface (<source dev>) */
        VkNetDirectMode mode; /* vepa, private, bridge, passthrough */
        const uint8_t *mac;   /* the guest's MAC: the macvtap gets it as is */
        bool vnet_hdr;        /* IFF_VNET_HDR on the char device */
        const char *owner;    /* its ifalias, naming the domain (vk_qemu_macvtap_owner()) */
} VkQemuMacvtapSpec;

/* The ifalias prefix of the macvtaps qemud makes: "virtkit-qemu:<domain UUID>". */
#define VK_QEMU_MACVTAP_OWNER_PREFIX "virtkit-qemu:"

int vk_qemu_macvtap_create(const VkQemuMacvtapSpec *spec, VkQemuTap *ret, VkError *reterr);
char *vk_qemu_macvtap_device_path(int ifindex);
void vk_qemu_macvtap_sweep(bool (*keep)(const char *owner_uuid, const char *name, void *userdata),
                           void *userdata);
