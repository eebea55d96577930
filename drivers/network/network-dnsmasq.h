/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* network-dnsmasq.h: dnsmasq's configuration, DHCP hosts and DNS hosts files for a network */
#pragma once

#include <stdbool.h>

#include "error.h"
#include "network-def.h"

/* Where the files dnsmasq reads live; chosen by the caller (the driver's lib/run dirs). */
typedef struct VkNetworkDnsmasqPaths {
        const char *pid_file;       /* pid-file=; NULL: none (dnsmasq run in the foreground) */
        const char *hosts_file;     /* dhcp-hostsfile= */
        const char *addnhosts_file; /* addn-hosts= */
} VkNetworkDnsmasqPaths;

bool vk_network_dnsmasq_needed(const VkNetworkDef *def);
int vk_network_dnsmasq_config(const VkNetworkDef *def, const VkNetworkDnsmasqPaths *paths,
                              char **ret_config, VkError *reterr);
char *vk_network_dnsmasq_hosts(const VkNetworkDef *def);
char *vk_network_dnsmasq_addnhosts(const VkNetworkDef *def);
