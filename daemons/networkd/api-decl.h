/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* api-decl.h: the io.virtkit.Network methods, declared once for every front door serving them */
#pragma once

#include <stdbool.h>

#include "method.h"

/*
 * virtkit-networkd answers these methods (daemons/networkd/api.c). VK_NETWORK_METHODS(M)
 * expands M(name, handler, in, out, auth, flags, doc) once per method, so that another front
 * door (qemud, later) can serve the same declarations by forwarding. "network" parameters
 * take a network's name or its UUID.
 */

typedef struct VkNetworkXmlParams {
        char *xml;
} VkNetworkXmlParams;

typedef struct VkNetworkIdResult {
        char *name;
        char *uuid;
} VkNetworkIdResult;

typedef struct VkNetworkParams {
        char *network;
} VkNetworkParams;

typedef struct VkNetworkGetXmlParams {
        char *network;
        bool inactive;
} VkNetworkGetXmlParams;

typedef struct VkNetworkXmlResult {
        char *xml;
} VkNetworkXmlResult;

typedef struct VkNetworkSummary {
        char *name;
        char *uuid;
        bool active;
        bool persistent;
        bool autostart;
        char *bridge;
} VkNetworkSummary;

typedef struct VkNetworkLookupParams {
        char *name;
        char *uuid;
} VkNetworkLookupParams;

typedef struct VkNetworkListParams {
        char *active;
        char *persistent;
        char *autostart;
} VkNetworkListParams;

typedef struct VkNetworkListResult {
        VkArray networks; /* of VkNetworkSummary */
} VkNetworkListResult;

typedef struct VkNetworkAutostartParams {
        char *network;
        bool autostart;
} VkNetworkAutostartParams;

typedef struct VkNetworkLeasesParams {
        char *network;
        char *mac;
} VkNetworkLeasesParams;

typedef struct VkNetworkLeaseArgs {
        int64_t expiry_time;
        char *mac;
        char *ip;
        char *hostname;
        char *client_id;
        char *iface;
        int64_t prefix;
} VkNetworkLeaseArgs;

typedef struct VkNetworkLeasesResult {
        VkArray leases; /* of VkNetworkLeaseArgs */
} VkNetworkLeasesResult;

typedef struct VkNetworkUpdateParams {
        char *network;
        char *command;
        char *section;
        char *xml;
        bool live;
        bool config;
} VkNetworkUpdateParams;

typedef struct VkNetworkPortParams {
        char *network;
        char *xml;
} VkNetworkPortParams;

typedef struct VkNetworkPortRef {
        char *port;
} VkNetworkPortRef;

typedef struct VkNetworkPortSummary {
        char *uuid;
        char *network;
        char *mac;
        char *owner_name;
        char *plug_type;
        char *bridge;
        int64_t mtu;
        char *dev;
        char *mode;
} VkNetworkPortSummary;

typedef struct VkNetworkPortListResult {
        VkArray ports; /* of VkNetworkPortSummary */
} VkNetworkPortListResult;

/* One change of a network: a SubscribeEvents reply and the NetworkEvent signal. */
typedef struct VkNetworkEventArgs {
        char *name;
        char *uuid;
        char *event;
} VkNetworkEventArgs;

extern const VkStructType vk_network_xml_params_type;
extern const VkStructType vk_network_id_result_type;
extern const VkStructType vk_network_params_type;
extern const VkStructType vk_network_get_xml_params_type;
extern const VkStructType vk_network_xml_result_type;
extern const VkStructType vk_network_summary_type;
extern const VkStructType vk_network_lookup_params_type;
extern const VkStructType vk_network_list_params_type;
extern const VkStructType vk_network_list_result_type;
extern const VkStructType vk_network_autostart_params_type;
extern const VkStructType vk_network_leases_params_type;
extern const VkStructType vk_network_leases_result_type;
extern const VkStructType vk_network_event_type;
extern const VkStructType vk_network_update_params_type;
extern const VkStructType vk_network_port_params_type;
extern const VkStructType vk_network_port_ref_type;
extern const VkStructType vk_network_port_summary_type;
extern const VkStructType vk_network_port_list_result_type;

extern const VkErrorDecl vk_network_errors[];
extern const VkSignal vk_network_signals[];

#define VK_NETWORK_METHODS(M)                                                                      \
        M("DefineNetwork", define_network, &vk_network_xml_params_type,                            \
          &vk_network_id_result_type, VK_AUTH_MANAGE, 0,                                           \
          "Define a network from libvirt's network XML, or redefine the one of that name.")        \
        M("UndefineNetwork", undefine_network, &vk_network_params_type, NULL, VK_AUTH_MANAGE, 0,   \
          "Forget a network's definition; a running network goes on, transient.")                  \
        M("CreateNetwork", create_network, &vk_network_params_type, NULL, VK_AUTH_MANAGE, 0,       \
          "Start a defined network: bridge, firewall rules, addresses, dnsmasq.")                  \
        M("CreateNetworkXML", create_network_xml, &vk_network_xml_params_type,                     \
          &vk_network_id_result_type, VK_AUTH_MANAGE, 0,                                           \
          "Start a transient network from libvirt's network XML.")                                 \
        M("DestroyNetwork", destroy_network, &vk_network_params_type, NULL, VK_AUTH_MANAGE, 0,     \
          "Stop a network: its dnsmasq, firewall rules and bridge go.")                            \
        M("GetNetworkXML", get_network_xml, &vk_network_get_xml_params_type,                       \
          &vk_network_xml_result_type, VK_AUTH_READ, 0,                                            \
          "A network's live definition, or its persistent one with inactive.")                     \
        M("LookupNetwork", lookup_network, &vk_network_lookup_params_type,                         \
          &vk_network_summary_type, VK_AUTH_READ, 0, "Find a network by name or by UUID.")         \
        M("ListNetworks", list_networks, &vk_network_list_params_type,                             \
          &vk_network_list_result_type, VK_AUTH_READ, 0,                                           \
          "The networks, sorted by name, optionally filtered by state.")                           \
        M("SetNetworkAutostart", set_network_autostart, &vk_network_autostart_params_type, NULL,   \
          VK_AUTH_MANAGE, 0, "Whether a persistent network starts with the daemon.")               \
        M("GetDHCPLeases", get_dhcp_leases, &vk_network_leases_params_type,                        \
          &vk_network_leases_result_type, VK_AUTH_READ, 0,                                         \
          "The DHCP leases of an active network, optionally of one MAC address.")                  \
        M("UpdateNetwork", update_network, &vk_network_update_params_type, NULL, VK_AUTH_MANAGE,   \
          0, "Add, delete or modify a DHCP host of a network, live and/or in its definition.")     \
        M("CreatePort", create_port, &vk_network_port_params_type, &vk_network_port_summary_type,  \
          VK_AUTH_MANAGE, 0,                                                                       \
          "Make a port for a VM's NIC on an active network: its UUID and where it plugs in.")      \
        M("DeletePort", delete_port, &vk_network_port_ref_type, NULL, VK_AUTH_MANAGE, 0,           \
          "Delete a port.")                                                                        \
        M("ListPorts", list_ports, &vk_network_params_type, &vk_network_port_list_result_type,     \
          VK_AUTH_READ, 0, "The ports of a network, sorted by UUID.")                              \
        M("GetPortXML", get_port_xml, &vk_network_port_ref_type, &vk_network_xml_result_type,      \
          VK_AUTH_READ, 0, "A port as libvirt's network port XML, with its plug.")                 \
        M("SubscribeEvents", subscribe_events, NULL, &vk_network_event_type, VK_AUTH_READ,         \
          VK_METHOD_STREAM,                                                                        \
          "One reply per change of a network (call with more); D-Bus: the NetworkEvent signal.")
