/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* network-nft.h: a network's nftables rules, as libnftables JSON documents */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-glib/json-glib.h>

#include "error.h"
#include "network-def.h"

/* The table (in both the ip and ip6 families) that holds the rules of every network. */
#define VK_NETWORK_NFT_TABLE "virtkit_network"

typedef enum VkNetworkNftFamily {
        VK_NETWORK_NFT_IP,  /* "ip" */
        VK_NETWORK_NFT_IP6, /* "ip6" */
        _VK_NETWORK_NFT_FAMILY_MAX,
        _VK_NETWORK_NFT_FAMILY_INVALID = -EINVAL,
} VkNetworkNftFamily;

const char *vk_network_nft_family_to_string(VkNetworkNftFamily f);
VkNetworkNftFamily vk_network_nft_family_from_string(const char *s);

/* One rule of a network: added on its own, so it can be deleted alone by its handle. */
typedef struct VkNetworkNftRule {
        VkNetworkNftFamily family;
        const char *chain; /* static: "guest_output", "guest_nat", ... */
        JsonNode *expr;    /* the rule's statements, a JSON array */
} VkNetworkNftRule;

typedef struct VkNetworkNftRuleset {
        char *comment;    /* put on every rule: the network's UUID */
        GPtrArray *rules; /* VkNetworkNftRule, in the order they are added */
} VkNetworkNftRuleset;

/* A rule as nftables numbered it when it was added (from libnftables' echo output). */
typedef struct VkNetworkNftHandle {
        VkNetworkNftFamily family;
        const char *chain;
        uint64_t handle;
} VkNetworkNftHandle;

/*
 * The policy both firewall backends (network-nft.c, network-iptables.c) install, in one place:
 * the host services a network's guests reach (DHCP, DHCP replies, DHCPv6), which subnets are
 * NATed, the addresses NAT leaves alone, whether a network gets rules at all.
 */
typedef struct VkNetworkHostService {
        int family;        /* AF_INET, AF_INET6 */
        bool out;          /* to the bridge (output), else from it (input) */
        const char *proto; /* "udp", "tcp" */
        int port;          /* destination port */
} VkNetworkHostService;

extern const VkNetworkHostService vk_network_host_services[];
extern const size_t vk_network_n_host_services;

bool vk_network_ip_is_nat(const VkNetworkDef *def, const VkNetworkIp *ip);
int vk_network_firewall_has_rules(const VkNetworkDef *def, VkError *reterr);
void vk_network_nat_exempt(int family, VkNetAddr *ret_mcast, unsigned *ret_mcast_prefix,
                           VkNetAddr *ret_bcast);

int vk_network_nft_ruleset_build(const VkNetworkDef *def, VkNetworkNftRuleset **ret_ruleset,
                                 VkError *reterr);
VkNetworkNftRuleset *vk_network_nft_ruleset_free(VkNetworkNftRuleset *rs);
char *vk_network_nft_ruleset_to_json(const VkNetworkNftRuleset *rs);
char *vk_network_nft_ruleset_to_json_full(const VkNetworkNftRuleset *rs, bool setup);
bool vk_network_nft_setup_intact(VkNetworkNftFamily f, const char *chains_json,
                                 const char *forward_json);
char *vk_network_nft_delete_json(const VkNetworkNftHandle *handles, size_t n_handles);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(VkNetworkNftRuleset, vk_network_nft_ruleset_free)
