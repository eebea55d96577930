/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* network-defaults.h: what a network definition gets when it is defined (UUID, bridge, MAC) */
#pragma once

#include <stddef.h>

#include "error.h"
#include "network-def.h"

/* The bridge name template used when <bridge name> is absent. */
#define VK_NETWORK_BRIDGE_TEMPLATE "virbr%d"
/* How many numbers a bridge name template is tried with. */
#define VK_NETWORK_BRIDGE_TEMPLATE_MAX 1024

/* Fills @len bytes of @buf with random bytes; NULL means getrandom(). */
typedef void (*VkNetworkRandomFn)(void *buf, size_t len);

bool vk_network_def_needs_bridge_name(const VkNetworkDef *def);
int vk_network_def_fill_defaults(VkNetworkDef *def, const char *const *bridges_in_use,
                                 VkNetworkRandomFn random_fn, VkError *reterr);
