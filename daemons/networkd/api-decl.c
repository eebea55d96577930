/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* api-decl.c: the io.virtkit.Network parameter, result and event types, errors and signals */
#include <stddef.h>

#include "api-decl.h"
#include "macro.h"

/* The driver's error name (drivers/network/network-driver.h), which this file does not link. */
#define NETWORK_ERROR_NO_SUCH_NETWORK "NoSuchNetwork"
#define NETWORK_ERROR_NO_SUCH_PORT    "NoSuchPort"

#define STRUCT(var, ctype, ...)                                                                    \
        static const VkField var##_fields[] = { __VA_ARGS__, {} };                                 \
        const VkStructType vk_network_##var##_type = {                                             \
                .size = sizeof(ctype),                                                             \
                .fields = var##_fields,                                                            \
        };

STRUCT(xml_params, VkNetworkXmlParams,
       { "xml", VK_FIELD_STRING, offsetof(VkNetworkXmlParams, xml), VK_FIELD_REQUIRED, NULL,
         "libvirt's network XML" })

STRUCT(id_result, VkNetworkIdResult,
       { "name", VK_FIELD_STRING, offsetof(VkNetworkIdResult, name), VK_FIELD_REQUIRED, NULL,
         "The network's name" },
       { "uuid", VK_FIELD_STRING, offsetof(VkNetworkIdResult, uuid), VK_FIELD_REQUIRED, NULL,
         "The network's UUID" })

STRUCT(params, VkNetworkParams,
       { "network", VK_FIELD_STRING, offsetof(VkNetworkParams, network), VK_FIELD_REQUIRED, NULL,
         "the network's name or UUID" })

STRUCT(get_xml_params, VkNetworkGetXmlParams,
       { "network", VK_FIELD_STRING, offsetof(VkNetworkGetXmlParams, network), VK_FIELD_REQUIRED,
         NULL, "the network's name or UUID" },
       { "inactive", VK_FIELD_BOOL, offsetof(VkNetworkGetXmlParams, inactive), 0, NULL,
         "the persistent definition rather than the live one" })

STRUCT(xml_result, VkNetworkXmlResult,
       { "xml", VK_FIELD_STRING, offsetof(VkNetworkXmlResult, xml), VK_FIELD_REQUIRED, NULL,
         "The network XML" })

static const VkField summary_fields[] = {
        { "name", VK_FIELD_STRING, offsetof(VkNetworkSummary, name), VK_FIELD_REQUIRED, NULL,
          "The network's name" },
        { "uuid", VK_FIELD_STRING, offsetof(VkNetworkSummary, uuid), VK_FIELD_REQUIRED, NULL,
          "The network's UUID" },
        { "active", VK_FIELD_BOOL, offsetof(VkNetworkSummary, active), VK_FIELD_REQUIRED, NULL,
          "Whether the network runs" },
        { "persistent", VK_FIELD_BOOL, offsetof(VkNetworkSummary, persistent), VK_FIELD_REQUIRED,
          NULL, "Whether the network is defined (not transient)" },
        { "autostart", VK_FIELD_BOOL, offsetof(VkNetworkSummary, autostart), VK_FIELD_REQUIRED,
          NULL, "Whether the network starts with the daemon" },
        { "bridge", VK_FIELD_STRING, offsetof(VkNetworkSummary, bridge), VK_FIELD_REQUIRED, NULL,
          "the bridge's name; empty for none" },
        {},
};

const VkStructType vk_network_summary_type = {
        .name = "NetworkSummary",
        .size = sizeof(VkNetworkSummary),
        .doc = "One network and its state.",
        .fields = summary_fields,
};

STRUCT(lookup_params, VkNetworkLookupParams,
       { "name", VK_FIELD_STRING, offsetof(VkNetworkLookupParams, name), 0, NULL,
         "look up by name, or else:" },
       { "uuid", VK_FIELD_STRING, offsetof(VkNetworkLookupParams, uuid), 0, NULL, "by UUID" })

STRUCT(list_params, VkNetworkListParams,
       { "active", VK_FIELD_STRING, offsetof(VkNetworkListParams, active), 0, NULL,
         "\"yes\" or \"no\": only active or inactive networks" },
       { "persistent", VK_FIELD_STRING, offsetof(VkNetworkListParams, persistent), 0, NULL,
         "\"yes\" or \"no\": only persistent or transient networks" },
       { "autostart", VK_FIELD_STRING, offsetof(VkNetworkListParams, autostart), 0, NULL,
         "\"yes\" or \"no\": only networks with that autostart flag" })

STRUCT(list_result, VkNetworkListResult,
       { "networks", VK_FIELD_ARRAY, offsetof(VkNetworkListResult, networks), VK_FIELD_REQUIRED,
         &vk_network_summary_type, "The networks" })

STRUCT(autostart_params, VkNetworkAutostartParams,
       { "network", VK_FIELD_STRING, offsetof(VkNetworkAutostartParams, network), VK_FIELD_REQUIRED,
         NULL, "the network's name or UUID" },
       { "autostart", VK_FIELD_BOOL, offsetof(VkNetworkAutostartParams, autostart),
         VK_FIELD_REQUIRED, NULL, "Start the network with the daemon" })

STRUCT(leases_params, VkNetworkLeasesParams,
       { "network", VK_FIELD_STRING, offsetof(VkNetworkLeasesParams, network), VK_FIELD_REQUIRED,
         NULL, "the network's name or UUID" },
       { "mac", VK_FIELD_STRING, offsetof(VkNetworkLeasesParams, mac), 0, NULL,
         "only the leases of this MAC address" })

static const VkField lease_fields[] = {
        { "expiryTime", VK_FIELD_INT, offsetof(VkNetworkLeaseArgs, expiry_time), VK_FIELD_REQUIRED,
          NULL, "seconds since the epoch; 0: never" },
        { "mac", VK_FIELD_STRING, offsetof(VkNetworkLeaseArgs, mac), VK_FIELD_REQUIRED, NULL,
          "The MAC address of the lease" },
        { "ip", VK_FIELD_STRING, offsetof(VkNetworkLeaseArgs, ip), VK_FIELD_REQUIRED, NULL,
          "The IP address of the lease" },
        { "hostname", VK_FIELD_STRING, offsetof(VkNetworkLeaseArgs, hostname), VK_FIELD_REQUIRED,
          NULL, "empty for none" },
        { "clientId", VK_FIELD_STRING, offsetof(VkNetworkLeaseArgs, client_id), VK_FIELD_REQUIRED,
          NULL, "empty for none" },
        { "interface", VK_FIELD_STRING, offsetof(VkNetworkLeaseArgs, iface), VK_FIELD_REQUIRED,
          NULL, "the network's bridge" },
        { "prefix", VK_FIELD_INT, offsetof(VkNetworkLeaseArgs, prefix), VK_FIELD_REQUIRED, NULL,
          "the prefix length of the network's subnet holding ip" },
        {},
};

static const VkStructType lease_type = {
        .name = "NetworkLease",
        .size = sizeof(VkNetworkLeaseArgs),
        .doc = "One DHCP lease dnsmasq gave.",
        .fields = lease_fields,
};

STRUCT(leases_result, VkNetworkLeasesResult,
       { "leases", VK_FIELD_ARRAY, offsetof(VkNetworkLeasesResult, leases), VK_FIELD_REQUIRED,
         &lease_type, "The DHCP leases" })

static const VkField event_fields[] = {
        { "name", VK_FIELD_STRING, offsetof(VkNetworkEventArgs, name), VK_FIELD_REQUIRED, NULL,
          "The network's name" },
        { "uuid", VK_FIELD_STRING, offsetof(VkNetworkEventArgs, uuid), VK_FIELD_REQUIRED, NULL,
          "The network's UUID" },
        { "event", VK_FIELD_STRING, offsetof(VkNetworkEventArgs, event), VK_FIELD_REQUIRED, NULL,
          "defined, undefined, started or stopped" },
        {},
};

const VkStructType vk_network_event_type = {
        .size = sizeof(VkNetworkEventArgs),
        .fields = event_fields,
};

STRUCT(update_params, VkNetworkUpdateParams,
       { "network", VK_FIELD_STRING, offsetof(VkNetworkUpdateParams, network), VK_FIELD_REQUIRED,
         NULL, "the network's name or UUID" },
       { "command", VK_FIELD_STRING, offsetof(VkNetworkUpdateParams, command), VK_FIELD_REQUIRED,
         NULL, "add-last, add-first, delete or modify" },
       { "section", VK_FIELD_STRING, offsetof(VkNetworkUpdateParams, section), VK_FIELD_REQUIRED,
         NULL, "ip-dhcp-host" },
       { "xml", VK_FIELD_STRING, offsetof(VkNetworkUpdateParams, xml), VK_FIELD_REQUIRED, NULL,
         "the element: <host mac= name= ip=/>" },
       { "live", VK_FIELD_BOOL, offsetof(VkNetworkUpdateParams, live), 0, NULL,
         "change the running network" },
       { "config", VK_FIELD_BOOL, offsetof(VkNetworkUpdateParams, config), 0, NULL,
         "change the persistent definition (neither: the running network if active)" })

STRUCT(port_params, VkNetworkPortParams,
       { "network", VK_FIELD_STRING, offsetof(VkNetworkPortParams, network), VK_FIELD_REQUIRED,
         NULL, "the network's name or UUID" },
       { "xml", VK_FIELD_STRING, offsetof(VkNetworkPortParams, xml), VK_FIELD_REQUIRED, NULL,
         "libvirt's network port XML (<networkport>)" })

STRUCT(port_ref, VkNetworkPortRef,
       { "port", VK_FIELD_STRING, offsetof(VkNetworkPortRef, port), VK_FIELD_REQUIRED, NULL,
         "the port's UUID" })

static const VkField port_summary_fields[] = {
        { "uuid", VK_FIELD_STRING, offsetof(VkNetworkPortSummary, uuid), VK_FIELD_REQUIRED, NULL,
          "The port's UUID" },
        { "network", VK_FIELD_STRING, offsetof(VkNetworkPortSummary, network), VK_FIELD_REQUIRED,
          NULL, "The UUID of the port's network" },
        { "mac", VK_FIELD_STRING, offsetof(VkNetworkPortSummary, mac), VK_FIELD_REQUIRED, NULL,
          "The MAC address of the port" },
        { "ownerName", VK_FIELD_STRING, offsetof(VkNetworkPortSummary, owner_name),
          VK_FIELD_REQUIRED, NULL, "the VM; empty for none" },
        { "plugType", VK_FIELD_STRING, offsetof(VkNetworkPortSummary, plug_type), VK_FIELD_REQUIRED,
          NULL, "network, bridge (a tap on the bridge) or direct (macvtap)" },
        { "bridge", VK_FIELD_STRING, offsetof(VkNetworkPortSummary, bridge), VK_FIELD_REQUIRED,
          NULL, "network, bridge: the bridge; empty otherwise" },
        { "mtu", VK_FIELD_INT, offsetof(VkNetworkPortSummary, mtu), VK_FIELD_REQUIRED, NULL,
          "network, bridge: the MTU; 0 for the kernel's default" },
        { "dev", VK_FIELD_STRING, offsetof(VkNetworkPortSummary, dev), VK_FIELD_REQUIRED, NULL,
          "direct: the host interface; empty otherwise" },
        { "mode", VK_FIELD_STRING, offsetof(VkNetworkPortSummary, mode), VK_FIELD_REQUIRED, NULL,
          "direct: bridge, vepa, private or passthrough; empty otherwise" },
        {},
};

const VkStructType vk_network_port_summary_type = {
        .name = "NetworkPort",
        .size = sizeof(VkNetworkPortSummary),
        .doc = "One port: where a VM's NIC plugs in.",
        .fields = port_summary_fields,
};

STRUCT(port_list_result, VkNetworkPortListResult,
       { "ports", VK_FIELD_ARRAY, offsetof(VkNetworkPortListResult, ports), VK_FIELD_REQUIRED,
         &vk_network_port_summary_type, "The ports" })

const VkErrorDecl vk_network_errors[] = {
        { NETWORK_ERROR_NO_SUCH_NETWORK, VK_STRV("network"), "No network with that name or UUID." },
        {},
};

const VkSignal vk_network_signals[] = {
        { "NetworkEvent", &vk_network_event_type,
          "A network was defined, undefined, started or stopped" },
        {},
};
