/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* network-firewall.h: a network's nftables rules installed and removed through libnftables */
#pragma once

#include <stddef.h>

#include <glib.h>

#include "error.h"
#include "network-def.h"
#include "network-nft.h"

int vk_network_firewall_add(const VkNetworkDef *def, GArray **ret_handles, VkError *reterr);
int vk_network_firewall_remove(const VkNetworkNftHandle *handles, size_t n, VkError *reterr);
const char *vk_network_nft_chain_static(const char *chain);
