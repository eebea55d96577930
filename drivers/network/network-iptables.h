/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* network-iptables.h: a network's firewall rules as iptables/ip6tables command lines */
#pragma once

#include <glib.h>

#include "error.h"
#include "network-def.h"
#include "network-nft.h"

/* Our chains, shared by all networks (libvirt's LIBVIRT_INP, ... under our name). */
#define VK_NETWORK_IPT_INPUT       "VIRTKIT_INP"
#define VK_NETWORK_IPT_OUTPUT      "VIRTKIT_OUT"
#define VK_NETWORK_IPT_FWD_OUT     "VIRTKIT_FWO"
#define VK_NETWORK_IPT_FWD_IN      "VIRTKIT_FWI"
#define VK_NETWORK_IPT_FWD_CROSS   "VIRTKIT_FWX"
#define VK_NETWORK_IPT_POSTROUTING "VIRTKIT_PRT"

/* One rule: "-t TABLE -A CHAIN ARGS..." of iptables (ip) or ip6tables (ip6). */
typedef struct VkNetworkIptRule {
        VkNetworkNftFamily family;
        char *table;
        char *chain;
        char **args; /* the match and target, NULL-terminated */
} VkNetworkIptRule;

void vk_network_ipt_rule_free(VkNetworkIptRule *rule);
int vk_network_ipt_rules_build(const VkNetworkDef *def, GPtrArray **ret_rules, VkError *reterr);
char **vk_network_ipt_rule_argv(const char *binary, const VkNetworkIptRule *rule, const char *op);
char *vk_network_ipt_rules_to_text(const GPtrArray *rules);
GPtrArray *vk_network_ipt_setup_argvs(VkNetworkNftFamily family, const char *binary);
const char *vk_network_ipt_chain_static(const char *chain);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(VkNetworkIptRule, vk_network_ipt_rule_free)
