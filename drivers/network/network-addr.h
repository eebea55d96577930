/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* network-addr.h: IPv4/IPv6 addresses, prefixes and MAC addresses of the network model */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <netinet/in.h>

/* INET6_ADDRSTRLEN: the longest formatted address plus the NUL */
#define VK_NET_ADDR_STRING_MAX 46
/* "52:54:00:12:34:56" plus the NUL */
#define VK_MAC_STRING_MAX 18

typedef struct VkNetAddr {
        int family; /* AF_INET or AF_INET6; 0: no address */
        uint8_t bytes[16];
} VkNetAddr;

typedef struct VkMac {
        uint8_t bytes[6];
} VkMac;

int vk_net_addr_parse(const char *s, int family, VkNetAddr *ret_addr);
const char *vk_net_addr_format(const VkNetAddr *a, char buf[static VK_NET_ADDR_STRING_MAX]);
bool vk_net_addr_is_set(const VkNetAddr *a);
unsigned vk_net_addr_bits(const VkNetAddr *a);
int vk_net_addr_compare(const VkNetAddr *a, const VkNetAddr *b);
bool vk_net_addr_equal(const VkNetAddr *a, const VkNetAddr *b);
void vk_net_addr_network(const VkNetAddr *a, unsigned prefix, VkNetAddr *ret_net);
void vk_net_addr_broadcast(const VkNetAddr *a, unsigned prefix, VkNetAddr *ret_bcast);
bool vk_net_addr_in_subnet(const VkNetAddr *a, const VkNetAddr *net, unsigned prefix);
int vk_net_addr_netmask_to_prefix(const VkNetAddr *mask);
void vk_net_addr_prefix_to_netmask(unsigned prefix, VkNetAddr *ret_mask);
unsigned vk_net_addr_default_prefix(const VkNetAddr *a);
int vk_net_addr_range_size(const VkNetAddr *start, const VkNetAddr *end, uint64_t *ret_size);
bool vk_net_addr_is_multicast(const VkNetAddr *a);

int vk_mac_parse(const char *s, VkMac *ret_mac);
const char *vk_mac_format(const VkMac *mac, char buf[static VK_MAC_STRING_MAX]);
bool vk_mac_is_multicast(const VkMac *mac);
