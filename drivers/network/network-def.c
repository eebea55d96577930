/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* network-def.c: libvirt's network XML: the model, its enums and the parse of <network> */
#include <assert.h>
#include <string.h>
#include <sys/socket.h>

#include "macro.h"
#include "network-def-internal.h"
#include "xml-metadata.h"

static const char *const forward_mode_table[_VK_NETWORK_FORWARD_MAX] = {
        [VK_NETWORK_FORWARD_NONE] = "none",     [VK_NETWORK_FORWARD_NAT] = "nat",
        [VK_NETWORK_FORWARD_ROUTE] = "route",   [VK_NETWORK_FORWARD_OPEN] = "open",
        [VK_NETWORK_FORWARD_BRIDGE] = "bridge", [VK_NETWORK_FORWARD_PRIVATE] = "private",
        [VK_NETWORK_FORWARD_VEPA] = "vepa",     [VK_NETWORK_FORWARD_PASSTHROUGH] = "passthrough",
};

static const char *const lease_unit_table[_VK_NETWORK_LEASE_UNIT_MAX] = {
        [VK_NETWORK_LEASE_MINUTES] = "minutes",
        [VK_NETWORK_LEASE_SECONDS] = "seconds",
        [VK_NETWORK_LEASE_HOURS] = "hours",
};

static const char *const vlan_native_table[_VK_NETWORK_VLAN_NATIVE_MAX] = {
        [VK_NETWORK_VLAN_NATIVE_NONE] = "none",
        [VK_NETWORK_VLAN_NATIVE_TAGGED] = "tagged",
        [VK_NETWORK_VLAN_NATIVE_UNTAGGED] = "untagged",
};

static int table_lookup(const char *const *table, int n, const char *s) {
        for (int i = 0; s && i < n; i++)
                if (table[i] && strcmp(s, table[i]) == 0)
                        return i;
        return -EINVAL;
}

/* "none" (isolated), "nat", "route", "open", "bridge", "private", "vepa", "passthrough". */
const char *vk_network_forward_mode_to_string(VkNetworkForwardMode m) {
        if (m < 0 || m >= _VK_NETWORK_FORWARD_MAX)
                return NULL;
        return forward_mode_table[m];
}

VkNetworkForwardMode vk_network_forward_mode_from_string(const char *s) {
        return table_lookup(forward_mode_table, _VK_NETWORK_FORWARD_MAX, s);
}

const char *vk_network_lease_unit_to_string(VkNetworkLeaseUnit u) {
        if (u < 0 || u >= _VK_NETWORK_LEASE_UNIT_MAX)
                return NULL;
        return lease_unit_table[u];
}

VkNetworkLeaseUnit vk_network_lease_unit_from_string(const char *s) {
        return table_lookup(lease_unit_table, _VK_NETWORK_LEASE_UNIT_MAX, s);
}

const char *vk_network_vlan_native_to_string(VkNetworkVlanNative n) {
        if (n < 0 || n >= _VK_NETWORK_VLAN_NATIVE_MAX)
                return NULL;
        return vlan_native_table[n];
}

VkNetworkVlanNative vk_network_vlan_native_from_string(const char *s) {
        return table_lookup(vlan_native_table, _VK_NETWORK_VLAN_NATIVE_MAX, s);
}

/* Whether networks of mode @m run on a bridge we create and manage (addresses, DHCP, DNS). */
bool vk_network_forward_mode_has_bridge(VkNetworkForwardMode m) {
        return m == VK_NETWORK_FORWARD_NONE || m == VK_NETWORK_FORWARD_NAT ||
               m == VK_NETWORK_FORWARD_ROUTE || m == VK_NETWORK_FORWARD_OPEN;
}

/* Whether @def connects guests with macvtap on host interfaces rather than to a bridge. */
bool vk_network_forward_mode_is_macvtap(const VkNetworkDef *def) {
        switch (def->forward_mode) {
        case VK_NETWORK_FORWARD_PRIVATE:
        case VK_NETWORK_FORWARD_VEPA:
        case VK_NETWORK_FORWARD_PASSTHROUGH:
                return true;
        case VK_NETWORK_FORWARD_BRIDGE:
                return def->forward_interfaces || def->forward_pf;
        default:
                return false;
        }
}

/* The <ip> of @family (AF_INET, AF_INET6) that has DHCP ranges or hosts, or NULL. */
const VkNetworkIp *vk_network_def_dhcp_ip(const VkNetworkDef *def, int family) {
        for (guint i = 0; i < def->ips->len; i++) {
                const VkNetworkIp *ip = def->ips->pdata[i];

                if (ip->address.family == family && (ip->ranges->len > 0 || ip->hosts->len > 0))
                        return ip;
        }
        return NULL;
}

/* ---- lifecycle -------------------------------------------------------------------------- */

static void portgroup_free(VkNetworkPortgroup *pg) {
        if (!pg)
                return;
        g_free(pg->name);
        if (pg->vlan.tags)
                g_array_unref(pg->vlan.tags);
        g_free(pg);
}

/* An empty definition: isolated, no addresses, no UUID. */
VkNetworkDef *vk_network_def_new(void) {
        VkNetworkDef *def = g_new0(VkNetworkDef, 1);

        def->forward_mode = VK_NETWORK_FORWARD_NONE;
        def->ips = g_ptr_array_new_with_free_func((GDestroyNotify) vk_network_ip_free);
        def->routes = g_ptr_array_new_with_free_func(g_free);
        def->portgroups = g_ptr_array_new_with_free_func((GDestroyNotify) portgroup_free);
        vk_network_dns_init(&def->dns);
        return def;
}

/* Free @def and what it owns; takes NULL; returns NULL. */
VkNetworkDef *vk_network_def_free(VkNetworkDef *def) {
        if (!def)
                return NULL;
        g_free(def->name);
        g_free(def->title);
        g_free(def->description);
        g_strfreev(def->metadata);
        g_free(def->forward_dev);
        g_strfreev(def->forward_interfaces);
        g_free(def->forward_pf);
        g_free(def->bridge_name);
        g_free(def->domain_name);
        vk_network_dns_done(&def->dns);
        g_ptr_array_unref(def->ips);
        g_ptr_array_unref(def->routes);
        g_ptr_array_unref(def->portgroups);
        g_free(def);
        return NULL;
}

/*
 * A deep copy of @def in *@ret_copy (the caller owns it), made by formatting and parsing it
 * again, so a copy is always what a reload from disk would give. Fails only if @def was
 * changed by hand into something the parser refuses.
 */
int vk_network_def_copy(const VkNetworkDef *def, VkNetworkDef **ret_copy, VkError *reterr) {
        g_autofree char *xml = NULL;

        assert(def);
        assert(ret_copy);
        xml = vk_network_def_format(def);
        return vk_network_def_parse_string(xml, ret_copy, reterr);
}

/* ---- shared parse helpers --------------------------------------------------------------- */

/* The text of a leaf element with no attributes. */
int vk_network_parse_text(xmlNode *node, unsigned flags, char **ret_text, VkError *reterr) {
        int r;

        r = vk_xml_check_node(node, VK_XML_NONE, NULL, reterr);
        if (r < 0)
                return r;
        return vk_xml_node_text(node, flags, ret_text, reterr);
}

/*
 * Attribute @attr of @node as an address of @family (AF_INET, AF_INET6, 0: either). Returns 1
 * if present, 0 if absent (an error with VK_XML_REQUIRED).
 */
int vk_network_parse_addr(xmlNode *node, const char *attr, int family, unsigned flags,
                          VkNetAddr *ret_addr, VkError *reterr) {
        g_autofree char *s = NULL;
        int r;

        r = vk_xml_prop_string(node, attr, flags, &s, reterr);
        if (r <= 0)
                return r;
        if (vk_net_addr_parse(s, family, ret_addr) < 0)
                return vk_xml_error(node, attr, reterr, "invalid %saddress '%s'",
                                    family == AF_INET    ? "IPv4 "
                                    : family == AF_INET6 ? "IPv6 "
                                                         : "IP ",
                                    s);
        return 1;
}

/* family='ipv4|ipv6' into AF_INET / AF_INET6; 0 when absent. */
int vk_network_parse_family(xmlNode *node, int *ret_family, VkError *reterr) {
        g_autofree char *s = NULL;
        int r;

        *ret_family = 0;
        r = vk_xml_prop_string(node, "family", 0, &s, reterr);
        if (r <= 0)
                return r;
        if (strcmp(s, "ipv4") == 0)
                *ret_family = AF_INET;
        else if (strcmp(s, "ipv6") == 0)
                *ret_family = AF_INET6;
        else
                return vk_xml_error(node, "family", reterr, "unsupported value '%s'", s);
        return 0;
}

/*
 * A DNS name as dnsmasq's configuration can carry it: letters, digits, '-', '_' and '.', at
 * most 253 characters. Keeps separators (',', '/', '#', white space) out of the config file.
 */
bool vk_network_dns_name_valid(const char *s) {
        size_t n = 0;

        if (vk_isempty(s))
                return false;
        for (const char *p = s; *p; p++, n++)
                if (!g_ascii_isalnum(*p) && *p != '-' && *p != '_' && *p != '.')
                        return false;
        return n <= 253;
}

/* Free text that goes into a generated file: no control characters (no line breaks). */
bool vk_network_text_valid(const char *s) {
        for (const char *p = s; p && *p; p++)
                if (g_ascii_iscntrl(*p))
                        return false;
        return true;
}

/* Refuse the VK_NETWORK_ITEMS_MAX+1st item of a list (@n: the items already taken). */
int vk_network_check_count(xmlNode *node, size_t n, VkError *reterr) {
        g_autofree char *path = NULL;

        if (n < VK_NETWORK_ITEMS_MAX)
                return 0;
        path = vk_xml_node_path(node);
        return vk_error_set(reterr, VK_ERROR_LIMIT_EXCEEDED, -E2BIG, "%s: more than %d elements",
                            path, VK_NETWORK_ITEMS_MAX);
}

/* ---- <network> children ----------------------------------------------------------------- */

static int network_parse_name(VkNetworkDef *def, xmlNode *node, VkError *reterr) {
        g_autofree char *name = NULL;
        int r;

        r = vk_network_parse_text(node, VK_XML_REQUIRED, &name, reterr);
        if (r < 0)
                return r;
        if (strchr(name, '/'))
                return vk_xml_error(node, NULL, reterr, "name '%s' must not contain '/'", name);
        if (name[0] == '.')
                return vk_xml_error(node, NULL, reterr, "name '%s' must not start with '.'", name);
        if (strlen(name) > VK_NETWORK_NAME_MAX)
                return vk_xml_error(node, NULL, reterr, "name longer than %d characters",
                                    VK_NETWORK_NAME_MAX);
        for (const char *p = name; *p; p++)
                if (g_ascii_iscntrl(*p) || g_ascii_isspace(*p))
                        return vk_xml_error(node, NULL, reterr,
                                            "name must not contain white space or control "
                                            "characters");
        def->name = g_steal_pointer(&name);
        return 0;
}

static int network_parse_uuid(VkNetworkDef *def, xmlNode *node, VkError *reterr) {
        g_autofree char *text = NULL;
        int r;

        r = vk_network_parse_text(node, VK_XML_REQUIRED, &text, reterr);
        if (r < 0)
                return r;
        if (vk_uuid_parse(text, &def->uuid) < 0)
                return vk_xml_error(node, NULL, reterr, "invalid UUID '%s'", text);
        if (vk_uuid_is_null(&def->uuid))
                return vk_xml_error(node, NULL, reterr, "the null UUID is not allowed");
        def->has_uuid = true;
        return 0;
}

/*
 * <metadata>
 *   <app1:foo xmlns:app1="http://app1.org/app1/">..</app1:foo>
 * </metadata>
 * Each child is an application's element in its own namespace, one per namespace; kept as is.
 */
static int network_parse_metadata(VkNetworkDef *def, xmlNode *node, VkError *reterr) {
        return vk_xml_metadata_parse(node, VK_NETWORK_ITEMS_MAX, &def->metadata, reterr);
}

static int network_parse_forward_mode(xmlNode *node, VkNetworkForwardMode *ret, VkError *reterr) {
        g_autofree char *s = NULL;
        int r, m;

        r = vk_xml_prop_string(node, "mode", 0, &s, reterr);
        if (r < 0)
                return r;
        if (r == 0) { /* <forward/>: NAT, as libvirt assumes */
                *ret = VK_NETWORK_FORWARD_NAT;
                return 0;
        }
        m = vk_network_forward_mode_from_string(s);
        if (m < 0 || m == VK_NETWORK_FORWARD_NONE)
                return vk_xml_error(node, "mode", reterr, "unsupported forward mode '%s'", s);
        *ret = m;
        return 0;
}

/* <nat ipv6='yes'><address start='1.2.3.4' end='1.2.3.10'/><port start='500' end='1000'/> */
static int network_parse_nat(VkNetworkDef *def, xmlNode *node, VkError *reterr) {
        xmlNode *c;
        int r;

        r = vk_xml_check_node(node, VK_STRV("ipv6"), VK_STRV("address", "port"), reterr);
        if (r < 0)
                return r;
        r = vk_xml_check_unique(node, VK_STRV("address", "port"), reterr);
        if (r < 0)
                return r;
        r = vk_xml_prop_tristate_bool(node, "ipv6", 0, &def->nat_ipv6, reterr);
        if (r < 0)
                return r;

        c = vk_xml_child(node, "address");
        if (c) {
                r = vk_xml_check_node(c, VK_STRV("start", "end"), VK_XML_NONE, reterr);
                if (r < 0)
                        return r;
                r = vk_network_parse_addr(c, "start", AF_INET, VK_XML_REQUIRED, &def->nat_start,
                                          reterr);
                if (r < 0)
                        return r;
                def->nat_end = def->nat_start;
                r = vk_network_parse_addr(c, "end", AF_INET, 0, &def->nat_end, reterr);
                if (r < 0)
                        return r;
                if (vk_net_addr_compare(&def->nat_start, &def->nat_end) > 0)
                        return vk_xml_error(c, NULL, reterr, "end address before start address");
        }

        c = vk_xml_child(node, "port");
        if (c) {
                r = vk_xml_check_node(c, VK_STRV("start", "end"), VK_XML_NONE, reterr);
                if (r < 0)
                        return r;
                r = vk_xml_prop_uint(c, "start", VK_XML_REQUIRED | VK_XML_NONZERO,
                                     &def->nat_port_start, reterr);
                if (r < 0)
                        return r;
                def->nat_port_end = def->nat_port_start;
                r = vk_xml_prop_uint(c, "end", VK_XML_NONZERO, &def->nat_port_end, reterr);
                if (r < 0)
                        return r;
                if (def->nat_port_start > 65535 || def->nat_port_end > 65535)
                        return vk_xml_error(c, NULL, reterr, "ports must be at most 65535");
                if (def->nat_port_start > def->nat_port_end)
                        return vk_xml_error(c, NULL, reterr, "end port before start port");
        }
        return 0;
}

static int network_parse_dev_attr(xmlNode *node, char **ret, VkError *reterr) {
        g_autofree char *dev = NULL;
        int r;

        r = vk_xml_check_node(node, VK_STRV("dev"), VK_XML_NONE, reterr);
        if (r < 0)
                return r;
        r = vk_xml_prop_string(node, "dev", VK_XML_REQUIRED | VK_XML_NONZERO, &dev, reterr);
        if (r < 0)
                return r;
        if (strlen(dev) > VK_NETWORK_BRIDGE_NAME_MAX || strchr(dev, '/') ||
            !vk_network_text_valid(dev) || strchr(dev, ' '))
                return vk_xml_error(node, "dev", reterr, "invalid interface name '%s'", dev);
        *ret = g_steal_pointer(&dev);
        return 0;
}

/* The children <forward> takes, per mode (file scope: VK_STRV() would not outlive a case). */
static const char *const nat_children[] = { "nat", "interface", NULL };
static const char *const route_children[] = { "interface", NULL };
static const char *const open_children[] = { NULL };
static const char *const macvtap_children[] = { "interface", "pf", NULL };

/*
 * <forward mode='nat' dev='eth0'>          mode: nat (default), route, open, bridge,
 *   <nat>...</nat>                          private, vepa, passthrough
 *   <interface dev='eth1'/>   nat/route: at most one (same as dev); macvtap modes: a pool
 *   <pf dev='eth0'/>          macvtap modes: the physical function
 * </forward>
 */
static int network_parse_forward(VkNetworkDef *def, xmlNode *node, VkError *reterr) {
        g_autoptr(GPtrArray) ifaces = g_ptr_array_new_with_free_func(g_free);
        VkNetworkForwardMode mode = VK_NETWORK_FORWARD_NAT;
        const char *const *children;
        int r;

        r = network_parse_forward_mode(node, &mode, reterr);
        if (r < 0)
                return r;
        switch (mode) {
        case VK_NETWORK_FORWARD_NAT:
                children = nat_children;
                break;
        case VK_NETWORK_FORWARD_ROUTE:
                children = route_children;
                break;
        case VK_NETWORK_FORWARD_OPEN:
                children = open_children;
                break;
        default:
                children = macvtap_children;
        }
        r = vk_xml_check_node(
                node, mode == VK_NETWORK_FORWARD_OPEN ? VK_STRV("mode") : VK_STRV("mode", "dev"),
                children, reterr);
        if (r < 0)
                return r;
        r = vk_xml_check_unique(node, VK_STRV("nat", "pf"), reterr);
        if (r < 0)
                return r;
        def->forward_mode = mode;
        r = vk_xml_prop_string(node, "dev", VK_XML_NONZERO, &def->forward_dev, reterr);
        if (r < 0)
                return r;

        for (xmlNode *c = vk_xml_first_element(node); c; c = vk_xml_next_element(c)) {
                char *dev = NULL;

                if (vk_xml_node_is(c, NULL, "nat")) {
                        r = network_parse_nat(def, c, reterr);
                        if (r < 0)
                                return r;
                        continue;
                }
                r = vk_network_check_count(c, ifaces->len, reterr);
                if (r < 0)
                        return r;
                r = network_parse_dev_attr(c, &dev, reterr);
                if (r < 0)
                        return r;
                if (vk_xml_node_is(c, NULL, "pf")) {
                        def->forward_pf = dev;
                        continue;
                }
                for (guint i = 0; i < ifaces->len; i++)
                        if (strcmp(ifaces->pdata[i], dev) == 0) {
                                g_free(dev);
                                return vk_xml_error(c, "dev", reterr,
                                                    "interface '%s' is listed twice",
                                                    (const char *) ifaces->pdata[i]);
                        }
                g_ptr_array_add(ifaces, dev);
        }

        if (mode == VK_NETWORK_FORWARD_NAT || mode == VK_NETWORK_FORWARD_ROUTE) {
                /* <interface dev=> is another spelling of dev=: keep one */
                if (ifaces->len > 1)
                        return vk_xml_error(node, NULL, reterr,
                                            "forward mode '%s' takes at most one <interface>",
                                            forward_mode_table[mode]);
                if (ifaces->len == 1) {
                        if (def->forward_dev && strcmp(def->forward_dev, ifaces->pdata[0]) != 0)
                                return vk_xml_error(node, NULL, reterr,
                                                    "<interface dev='%s'> differs from "
                                                    "dev='%s'",
                                                    (const char *) ifaces->pdata[0],
                                                    def->forward_dev);
                        if (!def->forward_dev)
                                def->forward_dev = g_strdup(ifaces->pdata[0]);
                }
                return 0;
        }
        if (def->forward_pf && ifaces->len > 0)
                return vk_xml_error(node, NULL, reterr,
                                    "<pf> and <interface> are mutually exclusive");
        if (ifaces->len > 0) {
                g_ptr_array_add(ifaces, NULL);
                def->forward_interfaces =
                        (char **) g_ptr_array_free(g_steal_pointer(&ifaces), FALSE);
        }
        return 0;
}

/* <bridge name='virbr0' stp='on' delay='0'/> */
static int network_parse_bridge(VkNetworkDef *def, xmlNode *node, VkError *reterr) {
        int r;

        r = vk_xml_check_node(node, VK_STRV("name", "stp", "delay"), VK_XML_NONE, reterr);
        if (r < 0)
                return r;
        r = vk_xml_prop_string(node, "name", VK_XML_NONZERO, &def->bridge_name, reterr);
        if (r < 0)
                return r;
        r = vk_xml_prop_tristate_switch(node, "stp", 0, &def->bridge_stp, reterr);
        if (r < 0)
                return r;
        r = vk_xml_prop_uint(node, "delay", 0, &def->bridge_delay, reterr);
        if (r < 0)
                return r;
        def->has_bridge_delay = r > 0;
        return 0;
}

static int network_parse_mac(VkNetworkDef *def, xmlNode *node, VkError *reterr) {
        g_autofree char *s = NULL;
        int r;

        r = vk_xml_check_node(node, VK_STRV("address"), VK_XML_NONE, reterr);
        if (r < 0)
                return r;
        r = vk_xml_prop_string(node, "address", VK_XML_REQUIRED, &s, reterr);
        if (r < 0)
                return r;
        if (vk_mac_parse(s, &def->mac) < 0)
                return vk_xml_error(node, "address", reterr, "invalid MAC address '%s'", s);
        if (vk_mac_is_multicast(&def->mac))
                return vk_xml_error(node, "address", reterr,
                                    "'%s' is a multicast MAC address, a unicast one is needed", s);
        def->has_mac = true;
        return 0;
}

static int network_parse_mtu(VkNetworkDef *def, xmlNode *node, VkError *reterr) {
        int r;

        r = vk_xml_check_node(node, VK_STRV("size"), VK_XML_NONE, reterr);
        if (r < 0)
                return r;
        r = vk_xml_prop_uint(node, "size", VK_XML_REQUIRED, &def->mtu, reterr);
        if (r < 0)
                return r;
        if (def->mtu < 68 || def->mtu > 65535)
                return vk_xml_error(node, "size", reterr, "MTU %u outside 68..65535", def->mtu);
        return 0;
}

/* <domain name='example.com' localOnly='yes'/> */
static int network_parse_domain(VkNetworkDef *def, xmlNode *node, VkError *reterr) {
        int r;

        r = vk_xml_check_node(node, VK_STRV("name", "localOnly"), VK_XML_NONE, reterr);
        if (r < 0)
                return r;
        r = vk_xml_prop_string(node, "name", VK_XML_REQUIRED, &def->domain_name, reterr);
        if (r < 0)
                return r;
        if (!vk_network_dns_name_valid(def->domain_name))
                return vk_xml_error(node, "name", reterr, "invalid domain name '%s'",
                                    def->domain_name);
        return vk_xml_prop_tristate_bool(node, "localOnly", 0, &def->domain_local_only, reterr);
}

static int network_parse_rate(xmlNode *node, bool inbound, bool allow_floor, VkNetworkRate *rate,
                              VkError *reterr) {
        int r;

        r = vk_xml_check_node(node,
                              inbound ? VK_STRV("average", "peak", "burst", "floor")
                                      : VK_STRV("average", "peak", "burst"),
                              VK_XML_NONE, reterr);
        if (r < 0)
                return r;
        r = vk_xml_prop_ulong(node, "average", VK_XML_NONZERO, &rate->average, reterr);
        if (r >= 0)
                r = vk_xml_prop_ulong(node, "peak", VK_XML_NONZERO, &rate->peak, reterr);
        if (r >= 0)
                r = vk_xml_prop_ulong(node, "burst", VK_XML_NONZERO, &rate->burst, reterr);
        if (r >= 0 && inbound)
                r = vk_xml_prop_ulong(node, "floor", VK_XML_NONZERO, &rate->floor, reterr);
        if (r < 0)
                return r;
        if (rate->floor && !allow_floor)
                return vk_xml_error(node, "floor", reterr,
                                    "floor is supported only in a <portgroup>");
        if (!rate->average && !rate->floor)
                return vk_xml_error(node, NULL, reterr, "missing attribute 'average'%s",
                                    inbound && allow_floor ? " or 'floor'" : "");
        if (!rate->average && (rate->peak || rate->burst))
                return vk_xml_error(node, NULL, reterr, "peak and burst need 'average'");
        rate->set = true;
        return 0;
}

/* <bandwidth><inbound average='1000' peak='5000' burst='5120'/><outbound .../></bandwidth> */
static int network_parse_bandwidth(xmlNode *node, bool allow_floor, VkNetworkBandwidth *bw,
                                   VkError *reterr) {
        xmlNode *c;
        int r;

        r = vk_xml_check_node(node, VK_XML_NONE, VK_STRV("inbound", "outbound"), reterr);
        if (r < 0)
                return r;
        r = vk_xml_check_unique(node, VK_STRV("inbound", "outbound"), reterr);
        if (r < 0)
                return r;
        c = vk_xml_child(node, "inbound");
        if (c) {
                r = network_parse_rate(c, true, allow_floor, &bw->inbound, reterr);
                if (r < 0)
                        return r;
        }
        c = vk_xml_child(node, "outbound");
        if (c) {
                r = network_parse_rate(c, false, false, &bw->outbound, reterr);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* <vlan trunk='yes'><tag id='42' nativeMode='untagged'/><tag id='47'/></vlan> */
static int network_parse_vlan(xmlNode *node, VkNetworkVlan *vlan, VkError *reterr) {
        int r;

        r = vk_xml_check_node(node, VK_STRV("trunk"), VK_STRV("tag"), reterr);
        if (r < 0)
                return r;
        r = vk_xml_prop_tristate_bool(node, "trunk", 0, &vlan->trunk, reterr);
        if (r < 0)
                return r;
        vlan->tags = g_array_new(FALSE, TRUE, sizeof(VkNetworkVlanTag));
        for (xmlNode *c = vk_xml_first_element(node); c; c = vk_xml_next_element(c)) {
                VkNetworkVlanTag tag = {};

                r = vk_network_check_count(c, vlan->tags->len, reterr);
                if (r < 0)
                        return r;
                r = vk_xml_check_node(c, VK_STRV("id", "nativeMode"), VK_XML_NONE, reterr);
                if (r < 0)
                        return r;
                r = vk_xml_prop_uint(c, "id", VK_XML_REQUIRED, &tag.id, reterr);
                if (r < 0)
                        return r;
                if (tag.id > 4095)
                        return vk_xml_error(c, "id", reterr, "VLAN id %u above 4095", tag.id);
                r = vk_xml_prop_enum(c, "nativeMode", vk_network_vlan_native_from_string,
                                     VK_XML_NONZERO, &tag.native_mode, reterr);
                if (r < 0)
                        return r;
                g_array_append_val(vlan->tags, tag);
        }
        if (vlan->tags->len == 0)
                return vk_xml_error(node, NULL, reterr, "missing element <tag>");
        if (vlan->tags->len > 1 && vlan->trunk == VK_TRISTATE_NO)
                return vk_xml_error(node, "trunk", reterr,
                                    "trunk='no' is not allowed with more than one <tag>");
        return 0;
}

/* <portgroup name='engineering' default='yes'><vlan>..</vlan><bandwidth>..</bandwidth> */
static int network_parse_portgroup(VkNetworkDef *def, xmlNode *node, VkError *reterr) {
        VkNetworkPortgroup *pg;
        VkTristate is_default = VK_TRISTATE_ABSENT;
        xmlNode *c;
        int r;

        r = vk_network_check_count(node, def->portgroups->len, reterr);
        if (r < 0)
                return r;
        r = vk_xml_check_node(node, VK_STRV("name", "default", "trustGuestRxFilters"),
                              VK_STRV("vlan", "bandwidth"), reterr);
        if (r < 0)
                return r;
        r = vk_xml_check_unique(node, VK_STRV("vlan", "bandwidth"), reterr);
        if (r < 0)
                return r;

        pg = g_new0(VkNetworkPortgroup, 1);
        g_ptr_array_add(def->portgroups, pg); /* owned by @def from here on */
        r = vk_xml_prop_string(node, "name", VK_XML_REQUIRED | VK_XML_NONZERO, &pg->name, reterr);
        if (r < 0)
                return r;
        if (!vk_network_text_valid(pg->name))
                return vk_xml_error(node, "name", reterr, "invalid portgroup name");
        r = vk_xml_prop_tristate_bool(node, "default", 0, &is_default, reterr);
        if (r < 0)
                return r;
        pg->is_default = is_default == VK_TRISTATE_YES;
        r = vk_xml_prop_tristate_bool(node, "trustGuestRxFilters", 0, &pg->trust_guest_rx_filters,
                                      reterr);
        if (r < 0)
                return r;
        c = vk_xml_child(node, "vlan");
        if (c) {
                r = network_parse_vlan(c, &pg->vlan, reterr);
                if (r < 0)
                        return r;
        }
        c = vk_xml_child(node, "bandwidth");
        if (c)
                return network_parse_bandwidth(c, true, &pg->bandwidth, reterr);
        return 0;
}

static int network_parse_port(VkNetworkDef *def, xmlNode *node, VkError *reterr) {
        int r;

        r = vk_xml_check_node(node, VK_STRV("isolated"), VK_XML_NONE, reterr);
        if (r < 0)
                return r;
        return vk_xml_prop_tristate_bool(node, "isolated", VK_XML_REQUIRED, &def->port_isolated,
                                         reterr);
}

static int network_parse_child(VkNetworkDef *def, xmlNode *c, VkError *reterr) {
        const char *n = (const char *) c->name;
        int r;

        if (strcmp(n, "name") == 0)
                return network_parse_name(def, c, reterr);
        if (strcmp(n, "uuid") == 0)
                return network_parse_uuid(def, c, reterr);
        if (strcmp(n, "title") == 0 || strcmp(n, "description") == 0) {
                char **dst = n[0] == 't' ? &def->title : &def->description;

                r = vk_network_parse_text(c, 0, dst, reterr);
                if (r < 0)
                        return r;
                if (*dst && n[0] == 't' && !vk_network_text_valid(*dst))
                        return vk_xml_error(c, NULL, reterr, "a title is a single line");
                return 0;
        }
        if (strcmp(n, "metadata") == 0)
                return network_parse_metadata(def, c, reterr);
        if (strcmp(n, "forward") == 0)
                return network_parse_forward(def, c, reterr);
        if (strcmp(n, "bridge") == 0)
                return network_parse_bridge(def, c, reterr);
        if (strcmp(n, "mac") == 0)
                return network_parse_mac(def, c, reterr);
        if (strcmp(n, "mtu") == 0)
                return network_parse_mtu(def, c, reterr);
        if (strcmp(n, "domain") == 0)
                return network_parse_domain(def, c, reterr);
        if (strcmp(n, "dns") == 0)
                return vk_network_parse_dns(c, &def->dns, reterr);
        if (strcmp(n, "bandwidth") == 0)
                return network_parse_bandwidth(c, false, &def->bandwidth, reterr);
        if (strcmp(n, "port") == 0)
                return network_parse_port(def, c, reterr);
        if (strcmp(n, "portgroup") == 0)
                return network_parse_portgroup(def, c, reterr);
        if (strcmp(n, "ip") == 0) {
                VkNetworkIp *ip = NULL;

                r = vk_network_check_count(c, def->ips->len, reterr);
                if (r < 0)
                        return r;
                r = vk_network_parse_ip(c, &ip, reterr);
                if (r < 0)
                        return r;
                g_ptr_array_add(def->ips, ip);
                return 0;
        }
        if (strcmp(n, "route") == 0) {
                VkNetworkRoute *route = NULL;

                r = vk_network_check_count(c, def->routes->len, reterr);
                if (r < 0)
                        return r;
                r = vk_network_parse_route(c, &route, reterr);
                if (r < 0)
                        return r;
                g_ptr_array_add(def->routes, route);
                return 0;
        }
        return vk_xml_error(c, NULL, reterr, "unsupported element"); /* not reached */
}

#define NETWORK_SINGLE_CHILDREN                                                                    \
        "name", "uuid", "title", "description", "metadata", "forward", "bridge", "mtu", "mac",     \
                "domain", "dns", "bandwidth", "port"

/*
 * <network ipv6='yes' trustGuestRxFilters='no'>
 *   <name>default</name>                          required
 *   <uuid>3e3fce45-4f53-4fa7-bb32-11f34168b82b</uuid>   filled at define when absent
 *   <title/> <description/> <metadata/>
 *   <forward mode='nat'/>                         absent: isolated
 *   <bridge name='virbr0' stp='on' delay='0'/> <mtu size='9000'/> <mac address='..'/>
 *   <domain name='example.com' localOnly='no'/> <dns>..</dns> <bandwidth>..</bandwidth>
 *   <port isolated='yes'/>
 *   <ip ..>..</ip>*  <route ../>*  <portgroup ..>..</portgroup>*
 * </network>
 * The read-only attribute connections= of a live network is accepted and ignored.
 */
static int network_def_parse_root(xmlNode *root, VkNetworkDef **ret_def, VkError *reterr) {
        g_autoptr(VkNetworkDef) def = vk_network_def_new();
        int r;

        if (!vk_xml_node_is(root, NULL, "network"))
                return vk_xml_error(root, NULL, reterr, "expected the root element <network>");
        r = vk_xml_check_node(root, VK_STRV("ipv6", "trustGuestRxFilters", "connections"),
                              VK_STRV(NETWORK_SINGLE_CHILDREN, "ip", "route", "portgroup"), reterr);
        if (r < 0)
                return r;
        r = vk_xml_check_unique(root, VK_STRV(NETWORK_SINGLE_CHILDREN), reterr);
        if (r < 0)
                return r;
        r = vk_xml_prop_tristate_bool(root, "ipv6", 0, &def->ipv6, reterr);
        if (r < 0)
                return r;
        r = vk_xml_prop_tristate_bool(root, "trustGuestRxFilters", 0, &def->trust_guest_rx_filters,
                                      reterr);
        if (r < 0)
                return r;

        for (xmlNode *c = vk_xml_first_element(root); c; c = vk_xml_next_element(c)) {
                r = network_parse_child(def, c, reterr);
                if (r < 0)
                        return r;
        }
        if (!def->name)
                return vk_xml_error(root, NULL, reterr, "missing element <name>");

        r = vk_network_def_validate(def, reterr);
        if (r < 0)
                return r;
        *ret_def = g_steal_pointer(&def);
        return 0;
}

/*
 * Parse a network XML document (see network_def_parse_root() for the form), strictly: an
 * unknown element or attribute, a bad value or an inconsistent definition is an InvalidXML
 * error naming its path ("/network/ip/dhcp/range[2]: ..."). Documents above
 * VK_NETWORK_XML_MAX bytes are refused (LimitExceeded). Defaults (UUID, bridge name, MAC) are
 * not filled here: see vk_network_def_fill_defaults(). Returns 0 with *@ret_def owned by the
 * caller, or a negative errno with @reterr set.
 */
int vk_network_def_parse_string(const char *xml, VkNetworkDef **ret_def, VkError *reterr) {
        g_autoptr(xmlDoc) doc = NULL;
        int r;

        assert(xml);
        assert(ret_def);

        if (strnlen(xml, VK_NETWORK_XML_MAX + 1) > VK_NETWORK_XML_MAX)
                return vk_error_set(reterr, VK_ERROR_LIMIT_EXCEEDED, -E2BIG,
                                    "network XML: document larger than %d bytes",
                                    VK_NETWORK_XML_MAX);
        r = vk_xml_read_string(xml, "network XML", &doc, reterr);
        if (r < 0)
                return r;
        return network_def_parse_root(xmlDocGetRootElement(doc), ret_def, reterr);
}

/* Like vk_network_def_parse_string(), from the file @path. */
int vk_network_def_parse_file(const char *path, VkNetworkDef **ret_def, VkError *reterr) {
        g_autoptr(xmlDoc) doc = NULL;
        int r;

        assert(path);
        assert(ret_def);

        r = vk_xml_read_file(path, &doc, reterr);
        if (r < 0)
                return r;
        return network_def_parse_root(xmlDocGetRootElement(doc), ret_def, reterr);
}
