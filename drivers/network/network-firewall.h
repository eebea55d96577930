/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* network-firewall.h: a network's firewall rules installed and removed (nftables, iptables) */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <glib.h>
#include <systemd/sd-event.h>

#include "error.h"
#include "network-def.h"
#include "network-nft.h"
#include "network-status.h"

/* network.conf's firewall_backend (libvirt's key). */
typedef enum VkNetworkFirewallBackend {
        VK_NETWORK_FIREWALL_NFTABLES, /* libnftables, in-process (the default) */
        VK_NETWORK_FIREWALL_IPTABLES, /* iptables/ip6tables commands */
        _VK_NETWORK_FIREWALL_MAX,
        _VK_NETWORK_FIREWALL_INVALID = -EINVAL,
} VkNetworkFirewallBackend;

const char *vk_network_firewall_backend_to_string(VkNetworkFirewallBackend b);
VkNetworkFirewallBackend vk_network_firewall_backend_from_string(const char *s);
bool vk_network_nft_available(void);

int vk_network_firewall_add(const VkNetworkDef *def, GArray **ret_handles, VkError *reterr);
int vk_network_firewall_remove(const VkNetworkNftHandle *handles, size_t n, VkError *reterr);
const char *vk_network_nft_chain_static(const char *chain);

/* network-firewall-ipt.c */
bool vk_network_ipt_available(void);
int vk_network_ipt_add(sd_event *e, const VkNetworkDef *def, VkNetworkStatus *st, VkError *reterr);
int vk_network_ipt_remove(sd_event *e, const VkNetworkStatus *st, VkError *reterr);
