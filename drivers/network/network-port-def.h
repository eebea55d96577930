/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* network-port-def.h: libvirt's network port XML (<networkport>): parse and format */
#pragma once

#include <errno.h>
#include <stdbool.h>

#include <glib.h>

#include "error.h"
#include "network-addr.h"
#include "uuid.h"
#include "xml.h"

/* How a VM's NIC connects: chosen by the network when the port is created. */
typedef enum VkNetworkPlugType {
        VK_NETWORK_PLUG_NONE,    /* not plugged yet (the request) */
        VK_NETWORK_PLUG_NETWORK, /* a tap on the bridge the network created */
        VK_NETWORK_PLUG_BRIDGE,  /* a tap on an existing host bridge */
        VK_NETWORK_PLUG_DIRECT,  /* macvtap on a host interface */
        _VK_NETWORK_PLUG_MAX,
        _VK_NETWORK_PLUG_INVALID = -EINVAL,
} VkNetworkPlugType;

const char *vk_network_plug_type_to_string(VkNetworkPlugType t);
VkNetworkPlugType vk_network_plug_type_from_string(const char *s);

typedef struct VkNetworkPortDef {
        VkUuid uuid;
        bool has_uuid;
        char *owner_name; /* the VM; NULL: none */
        VkUuid owner_uuid;
        VkMac mac;
        char *group; /* the portgroup; NULL: the network's default */
        VkTristate trust_guest_rx_filters;
        VkNetworkPlugType plug_type;
        char *plug_bridge; /* NETWORK, BRIDGE */
        unsigned plug_mtu; /* NETWORK, BRIDGE: 0 for the kernel's default */
        char *plug_dev;    /* DIRECT */
        char *plug_mode;   /* DIRECT: bridge, vepa, private, passthrough */
} VkNetworkPortDef;

VkNetworkPortDef *vk_network_port_def_free(VkNetworkPortDef *def);
int vk_network_port_def_parse_string(const char *xml, VkNetworkPortDef **ret_def, VkError *reterr);
char *vk_network_port_def_format(const VkNetworkPortDef *def);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(VkNetworkPortDef, vk_network_port_def_free)
