/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* network-netlink.h: bridges, addresses, routes and link state over rtnetlink (libnl-3 route) */
#pragma once

#include <stdbool.h>

#include "error.h"
#include "network-addr.h"

typedef struct VkNetlink VkNetlink;

/* What a bridge we create gets at creation (one RTM_NEWLINK). */
typedef struct VkNetlinkBridge {
        const char *name;
        const VkMac *mac; /* NULL: the kernel's choice */
        unsigned mtu;     /* 0: the kernel's default */
        bool stp;
        unsigned delay; /* forward delay, seconds */
} VkNetlinkBridge;

int vk_netlink_open(VkNetlink **ret, VkError *reterr);
VkNetlink *vk_netlink_close(VkNetlink *nl);

int vk_netlink_link_index(const char *name);
int vk_netlink_bridge_add(VkNetlink *nl, const VkNetlinkBridge *br, VkError *reterr);
int vk_netlink_link_delete(VkNetlink *nl, const char *name, VkError *reterr);
int vk_netlink_link_set_up(VkNetlink *nl, const char *name, VkError *reterr);
int vk_netlink_addr_add(VkNetlink *nl, const char *name, const VkNetAddr *addr, unsigned prefix,
                        VkError *reterr);
int vk_netlink_route_add(VkNetlink *nl, const char *name, const VkNetAddr *dst, unsigned prefix,
                         const VkNetAddr *gateway, unsigned metric, VkError *reterr);
int vk_netlink_check_route_collision(VkNetlink *nl, const char *network, const VkNetAddr *net,
                                     unsigned prefix, VkError *reterr);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(VkNetlink, vk_netlink_close)
