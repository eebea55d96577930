/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* api.c: the io.virtkit.Network interface served by virtkit-networkd (one declaration per method)
 */
#include "admin.h"
#include "api.h"

static const VkMethod *const network_method_tables[] = {
        vk_admin_methods,
        NULL,
};

const VkInterface vk_network_interface = {
        VK_INTERFACE_NAMES("Network", "network"),
        .doc = "Virtual networks: bridges, NAT, DHCP, ports for VM NICs.",
        .method_tables = network_method_tables,
};
