/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* network-def.h: libvirt's network XML: the definition model, parse, validate and format */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>

#include <glib.h>

#include "error.h"
#include "network-addr.h"
#include "uuid.h"
#include "xml.h"

/* Network XML documents larger than this are refused before they are parsed. */
#define VK_NETWORK_XML_MAX (1024 * 1024)
/* Limits on what one definition may hold (each list, each <dhcp>, each <dns> list). */
#define VK_NETWORK_ITEMS_MAX 4096
#define VK_NETWORK_NAME_MAX  200
/* IFNAMSIZ - 1 */
#define VK_NETWORK_BRIDGE_NAME_MAX 15

typedef enum VkNetworkForwardMode {
        VK_NETWORK_FORWARD_NONE,        /* no <forward>: an isolated network */
        VK_NETWORK_FORWARD_NAT,         /* routed, IPv4 (and optionally IPv6) masqueraded */
        VK_NETWORK_FORWARD_ROUTE,       /* routed without NAT */
        VK_NETWORK_FORWARD_OPEN,        /* routed, no firewall rules at all */
        VK_NETWORK_FORWARD_BRIDGE,      /* an existing host bridge, or macvtap bridge mode */
        VK_NETWORK_FORWARD_PRIVATE,     /* macvtap private */
        VK_NETWORK_FORWARD_VEPA,        /* macvtap vepa */
        VK_NETWORK_FORWARD_PASSTHROUGH, /* macvtap passthrough */
        _VK_NETWORK_FORWARD_MAX,
        _VK_NETWORK_FORWARD_INVALID = -EINVAL,
} VkNetworkForwardMode;

const char *vk_network_forward_mode_to_string(VkNetworkForwardMode m);
VkNetworkForwardMode vk_network_forward_mode_from_string(const char *s);

typedef enum VkNetworkLeaseUnit {
        VK_NETWORK_LEASE_MINUTES, /* the default */
        VK_NETWORK_LEASE_SECONDS,
        VK_NETWORK_LEASE_HOURS,
        _VK_NETWORK_LEASE_UNIT_MAX,
        _VK_NETWORK_LEASE_UNIT_INVALID = -EINVAL,
} VkNetworkLeaseUnit;

const char *vk_network_lease_unit_to_string(VkNetworkLeaseUnit u);
VkNetworkLeaseUnit vk_network_lease_unit_from_string(const char *s);

/* How <ip> or <route> gave the prefix: it is formatted back the same way. */
typedef enum VkNetworkPrefixForm {
        VK_NETWORK_PREFIX_IMPLICIT, /* neither: the class (IPv4) or 64 (IPv6) */
        VK_NETWORK_PREFIX_NETMASK,  /* netmask='255.255.255.0' (IPv4 only) */
        VK_NETWORK_PREFIX_LENGTH,   /* prefix='24' */
        _VK_NETWORK_PREFIX_FORM_MAX,
        _VK_NETWORK_PREFIX_FORM_INVALID = -EINVAL,
} VkNetworkPrefixForm;

typedef enum VkNetworkVlanNative {
        VK_NETWORK_VLAN_NATIVE_NONE,
        VK_NETWORK_VLAN_NATIVE_TAGGED,
        VK_NETWORK_VLAN_NATIVE_UNTAGGED,
        _VK_NETWORK_VLAN_NATIVE_MAX,
        _VK_NETWORK_VLAN_NATIVE_INVALID = -EINVAL,
} VkNetworkVlanNative;

const char *vk_network_vlan_native_to_string(VkNetworkVlanNative n);
VkNetworkVlanNative vk_network_vlan_native_from_string(const char *s);

/* <lease expiry='1' unit='hours'/>; expiry 0 is an infinite lease. */
typedef struct VkNetworkLease {
        bool set;
        unsigned long long expiry;
        VkNetworkLeaseUnit unit;
} VkNetworkLease;

typedef struct VkNetworkDhcpRange {
        VkNetAddr start;
        VkNetAddr end;
        VkNetworkLease lease;
} VkNetworkDhcpRange;

typedef struct VkNetworkDhcpHost {
        bool has_mac; /* IPv4 only */
        VkMac mac;
        char *id;     /* DHCP client id / DUID, "0:3:0:1:..."; NULL: none */
        char *name;   /* NULL: none */
        VkNetAddr ip; /* unset: none */
        VkNetworkLease lease;
} VkNetworkDhcpHost;

typedef struct VkNetworkIp {
        VkNetAddr address;
        VkNetworkPrefixForm prefix_form;
        unsigned prefix; /* the effective prefix, whatever the form */
        VkTristate local_ptr;
        char *tftp_root;   /* IPv4 only; NULL: no TFTP */
        bool has_dhcp;     /* a <dhcp> element, even an empty one */
        GPtrArray *ranges; /* VkNetworkDhcpRange */
        GPtrArray *hosts;  /* VkNetworkDhcpHost */
        char *bootp_file;  /* IPv4 only; NULL: no <bootp> */
        VkNetAddr bootp_server;
} VkNetworkIp;

typedef struct VkNetworkRoute {
        VkNetAddr address; /* a network address: host bits clear */
        VkNetworkPrefixForm prefix_form;
        unsigned prefix;
        VkNetAddr gateway;
        unsigned metric; /* 0: not given (the kernel's default) */
} VkNetworkRoute;

typedef struct VkNetworkDnsForwarder {
        char *domain;   /* NULL: every domain */
        VkNetAddr addr; /* unset: resolve @domain locally */
} VkNetworkDnsForwarder;

typedef struct VkNetworkDnsHost {
        VkNetAddr ip;
        char **hostnames; /* at least one */
} VkNetworkDnsHost;

typedef struct VkNetworkDnsSrv {
        char *service;  /* without the leading '_' */
        char *protocol; /* "tcp" or "udp" */
        char *domain;   /* NULL: the network's domain */
        char *target;   /* NULL: none */
        bool has_port, has_priority, has_weight;
        unsigned port, priority, weight;
} VkNetworkDnsSrv;

typedef struct VkNetworkDnsTxt {
        char *name;
        char *value;
} VkNetworkDnsTxt;

typedef struct VkNetworkDns {
        bool present; /* a <dns> element */
        VkTristate enable;
        VkTristate forward_plain_names;
        GPtrArray *forwarders; /* VkNetworkDnsForwarder */
        GPtrArray *hosts;      /* VkNetworkDnsHost */
        GPtrArray *srvs;       /* VkNetworkDnsSrv */
        GPtrArray *txts;       /* VkNetworkDnsTxt */
} VkNetworkDns;

/* kilobytes per second (average, peak, floor) and kibibytes (burst); 0: not given */
typedef struct VkNetworkRate {
        bool set;
        unsigned long long average, peak, burst, floor;
} VkNetworkRate;

typedef struct VkNetworkBandwidth {
        VkNetworkRate inbound;
        VkNetworkRate outbound;
} VkNetworkBandwidth;

typedef struct VkNetworkVlanTag {
        unsigned id;
        VkNetworkVlanNative native_mode;
} VkNetworkVlanTag;

typedef struct VkNetworkVlan {
        VkTristate trunk;
        GArray *tags; /* VkNetworkVlanTag; NULL: no <vlan> */
} VkNetworkVlan;

typedef struct VkNetworkPortgroup {
        char *name;
        bool is_default;
        VkTristate trust_guest_rx_filters;
        VkNetworkVlan vlan;
        VkNetworkBandwidth bandwidth;
} VkNetworkPortgroup;

typedef struct VkNetworkDef {
        char *name;
        bool has_uuid; /* false until given or filled by vk_network_def_fill_defaults() */
        VkUuid uuid;
        char *title;
        char *description;
        char **metadata; /* <metadata> children, each a serialized namespaced element */
        VkTristate ipv6; /* <network ipv6='yes'> */
        VkTristate trust_guest_rx_filters;

        VkNetworkForwardMode forward_mode;
        char *forward_dev;            /* <forward dev=>; NULL: any */
        char **forward_interfaces;    /* macvtap modes: <interface dev=>, NULL-terminated */
        char *forward_pf;             /* macvtap modes: <pf dev=> */
        VkNetAddr nat_start, nat_end; /* <nat><address/>; unset: masquerade */
        unsigned nat_port_start, nat_port_end; /* <nat><port/>; 0: not given */
        VkTristate nat_ipv6;

        char *bridge_name;
        VkTristate bridge_stp;
        bool has_bridge_delay;
        unsigned bridge_delay;
        bool has_mac;
        VkMac mac;
        unsigned mtu; /* 0: not given */
        char *domain_name;
        VkTristate domain_local_only;
        VkNetworkDns dns;
        VkNetworkBandwidth bandwidth;
        VkTristate port_isolated;

        GPtrArray *ips;        /* VkNetworkIp */
        GPtrArray *routes;     /* VkNetworkRoute */
        GPtrArray *portgroups; /* VkNetworkPortgroup */
} VkNetworkDef;

VkNetworkDef *vk_network_def_new(void);
VkNetworkDef *vk_network_def_free(VkNetworkDef *def);
int vk_network_def_copy(const VkNetworkDef *def, VkNetworkDef **ret_copy, VkError *reterr);
int vk_network_def_parse_string(const char *xml, VkNetworkDef **ret_def, VkError *reterr);
int vk_network_def_parse_file(const char *path, VkNetworkDef **ret_def, VkError *reterr);
int vk_network_def_validate(const VkNetworkDef *def, VkError *reterr);
char *vk_network_def_format(const VkNetworkDef *def);

bool vk_network_forward_mode_has_bridge(VkNetworkForwardMode m);
bool vk_network_forward_mode_is_macvtap(const VkNetworkDef *def);
const VkNetworkIp *vk_network_def_dhcp_ip(const VkNetworkDef *def, int family);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(VkNetworkDef, vk_network_def_free)
