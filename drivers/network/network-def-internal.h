/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* network-def-internal.h: what the parse, validate and format files of the model share */
#pragma once

#include "network-def.h"

/* parse helpers (network-def.c) */
int vk_network_parse_text(xmlNode *node, unsigned flags, char **ret_text, VkError *reterr);
int vk_network_parse_addr(xmlNode *node, const char *attr, int family, unsigned flags,
                          VkNetAddr *ret_addr, VkError *reterr);
int vk_network_parse_family(xmlNode *node, int *ret_family, VkError *reterr);
bool vk_network_dns_name_valid(const char *s);
bool vk_network_text_valid(const char *s);
int vk_network_check_count(xmlNode *node, size_t n, VkError *reterr);

/* the elements that live in network-def-ip.c */
int vk_network_parse_ip(xmlNode *node, VkNetworkIp **ret_ip, VkError *reterr);
int vk_network_parse_route(xmlNode *node, VkNetworkRoute **ret_route, VkError *reterr);
int vk_network_parse_dns(xmlNode *node, VkNetworkDns *dns, VkError *reterr);

/* constructors and destructors of the parts */
VkNetworkIp *vk_network_ip_new(void);
void vk_network_ip_free(VkNetworkIp *ip);
void vk_network_dhcp_host_free(VkNetworkDhcpHost *h);
void vk_network_dns_init(VkNetworkDns *dns);
void vk_network_dns_done(VkNetworkDns *dns);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(VkNetworkIp, vk_network_ip_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VkNetworkDhcpHost, vk_network_dhcp_host_free)
