/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* network-def-ip.c: the addressing part of the network XML: <ip>, <dhcp>, <route>, <dns> */
#include <assert.h>
#include <string.h>
#include <sys/socket.h>

#include "macro.h"
#include "network-def-internal.h"

/* dnsmasq keeps lease times in 32-bit seconds */
#define LEASE_SECONDS_MAX 4294967295ULL
#define LEASE_SECONDS_MIN 120

/* ---- lifecycle -------------------------------------------------------------------------- */

void vk_network_dhcp_host_free(VkNetworkDhcpHost *h) {
        if (!h)
                return;
        g_free(h->id);
        g_free(h->name);
        g_free(h);
}

VkNetworkIp *vk_network_ip_new(void) {
        VkNetworkIp *ip = g_new0(VkNetworkIp, 1);

        ip->ranges = g_ptr_array_new_with_free_func(g_free);
        ip->hosts = g_ptr_array_new_with_free_func((GDestroyNotify) vk_network_dhcp_host_free);
        return ip;
}

void vk_network_ip_free(VkNetworkIp *ip) {
        if (!ip)
                return;
        g_free(ip->tftp_root);
        g_free(ip->bootp_file);
        g_ptr_array_unref(ip->ranges);
        g_ptr_array_unref(ip->hosts);
        g_free(ip);
}

static void dns_forwarder_free(VkNetworkDnsForwarder *f) {
        g_free(f->domain);
        g_free(f);
}

static void dns_host_free(VkNetworkDnsHost *h) {
        g_strfreev(h->hostnames);
        g_free(h);
}

static void dns_srv_free(VkNetworkDnsSrv *s) {
        g_free(s->service);
        g_free(s->protocol);
        g_free(s->domain);
        g_free(s->target);
        g_free(s);
}

static void dns_txt_free(VkNetworkDnsTxt *t) {
        g_free(t->name);
        g_free(t->value);
        g_free(t);
}

void vk_network_dns_init(VkNetworkDns *dns) {
        *dns = (VkNetworkDns){
                .forwarders = g_ptr_array_new_with_free_func((GDestroyNotify) dns_forwarder_free),
                .hosts = g_ptr_array_new_with_free_func((GDestroyNotify) dns_host_free),
                .srvs = g_ptr_array_new_with_free_func((GDestroyNotify) dns_srv_free),
                .txts = g_ptr_array_new_with_free_func((GDestroyNotify) dns_txt_free),
        };
}

void vk_network_dns_done(VkNetworkDns *dns) {
        g_ptr_array_unref(dns->forwarders);
        g_ptr_array_unref(dns->hosts);
        g_ptr_array_unref(dns->srvs);
        g_ptr_array_unref(dns->txts);
        *dns = (VkNetworkDns){};
}

/* ---- <ip> ------------------------------------------------------------------------------- */

static const char *family_name(int family) {
        return family == AF_INET6 ? "IPv6" : "IPv4";
}

/*
 * The address/netmask/prefix trio of <ip> and <route>. *@ret_form says which was given, and
 * *@ret_prefix is the effective prefix in every case.
 */
static int parse_prefix(xmlNode *node, const VkNetAddr *addr, VkNetworkPrefixForm *ret_form,
                        unsigned *ret_prefix, VkError *reterr) {
        g_autofree char *mask_s = NULL;
        unsigned prefix = 0;
        int r, has_prefix;

        r = vk_xml_prop_string(node, "netmask", 0, &mask_s, reterr);
        if (r < 0)
                return r;
        has_prefix = vk_xml_prop_uint(node, "prefix", 0, &prefix, reterr);
        if (has_prefix < 0)
                return has_prefix;

        if (mask_s) {
                VkNetAddr mask;
                int p;

                if (has_prefix)
                        return vk_xml_error(node, NULL, reterr,
                                            "netmask and prefix are mutually exclusive");
                if (addr->family != AF_INET)
                        return vk_xml_error(node, "netmask", reterr,
                                            "a netmask is for IPv4 only, use prefix");
                if (vk_net_addr_parse(mask_s, AF_INET, &mask) < 0)
                        return vk_xml_error(node, "netmask", reterr, "invalid netmask '%s'",
                                            mask_s);
                p = vk_net_addr_netmask_to_prefix(&mask);
                if (p <= 0)
                        return vk_xml_error(node, "netmask", reterr,
                                            "netmask '%s' is not a contiguous mask", mask_s);
                *ret_form = VK_NETWORK_PREFIX_NETMASK;
                *ret_prefix = (unsigned) p;
                return 0;
        }
        if (has_prefix) {
                if (prefix == 0 || prefix > vk_net_addr_bits(addr))
                        return vk_xml_error(node, "prefix", reterr,
                                            "prefix %u outside 1..%u for an %s address", prefix,
                                            vk_net_addr_bits(addr), family_name(addr->family));
                *ret_form = VK_NETWORK_PREFIX_LENGTH;
                *ret_prefix = prefix;
                return 0;
        }
        *ret_form = VK_NETWORK_PREFIX_IMPLICIT;
        *ret_prefix = vk_net_addr_default_prefix(addr);
        return 0;
}

/* family= and address=, consistent with each other. */
static int parse_family_address(xmlNode *node, const char *attr, VkNetAddr *ret_addr,
                                VkError *reterr) {
        int family, r;

        r = vk_network_parse_family(node, &family, reterr);
        if (r < 0)
                return r;
        r = vk_network_parse_addr(node, attr, family, VK_XML_REQUIRED, ret_addr, reterr);
        if (r < 0)
                return r;
        return 0;
}

/* <lease expiry='30' unit='minutes'/> (unit: seconds, minutes (default), hours) */
static int parse_lease(xmlNode *node, VkNetworkLease *lease, VkError *reterr) {
        static const unsigned long long unit_seconds[_VK_NETWORK_LEASE_UNIT_MAX] = {
                [VK_NETWORK_LEASE_SECONDS] = 1,
                [VK_NETWORK_LEASE_MINUTES] = 60,
                [VK_NETWORK_LEASE_HOURS] = 3600,
        };
        unsigned long long s;
        int r;

        r = vk_xml_check_node(node, VK_STRV("expiry", "unit"), VK_XML_NONE, reterr);
        if (r < 0)
                return r;
        lease->unit = VK_NETWORK_LEASE_MINUTES;
        r = vk_xml_prop_ulong(node, "expiry", VK_XML_REQUIRED, &lease->expiry, reterr);
        if (r < 0)
                return r;
        r = vk_xml_prop_enum(node, "unit", vk_network_lease_unit_from_string, 0, &lease->unit,
                             reterr);
        if (r < 0)
                return r;
        if (lease->expiry > LEASE_SECONDS_MAX)
                return vk_xml_error(node, "expiry", reterr, "lease time too long");
        s = lease->expiry * unit_seconds[lease->unit];
        if (s > LEASE_SECONDS_MAX)
                return vk_xml_error(node, "expiry", reterr, "lease time too long");
        if (s != 0 && s < LEASE_SECONDS_MIN)
                return vk_xml_error(node, "expiry", reterr,
                                    "lease time below 2 minutes (0 is an infinite lease)");
        lease->set = true;
        return 0;
}

static int parse_lease_child(xmlNode *node, VkNetworkLease *lease, VkError *reterr) {
        xmlNode *c;
        int r;

        r = vk_xml_check_unique(node, VK_STRV("lease"), reterr);
        if (r < 0)
                return r;
        c = vk_xml_child(node, "lease");
        return c ? parse_lease(c, lease, reterr) : 0;
}

/*
 * Whether @a is a usable host address of @ip's subnet: inside it, and for IPv4 neither the
 * network nor the broadcast address (/31 and /32 have neither).
 */
static bool ip_host_address_ok(const VkNetworkIp *ip, const VkNetAddr *a) {
        VkNetAddr net, bcast;

        if (!vk_net_addr_in_subnet(a, &ip->address, ip->prefix))
                return false;
        if (a->family != AF_INET || ip->prefix >= 31)
                return true;
        vk_net_addr_network(&ip->address, ip->prefix, &net);
        vk_net_addr_broadcast(&ip->address, ip->prefix, &bcast);
        return !vk_net_addr_equal(a, &net) && !vk_net_addr_equal(a, &bcast);
}

static int ip_check_host_address(xmlNode *node, const char *attr, const VkNetworkIp *ip,
                                 const VkNetAddr *a, VkError *reterr) {
        char buf[VK_NET_ADDR_STRING_MAX], net[VK_NET_ADDR_STRING_MAX];
        VkNetAddr n;

        vk_net_addr_network(&ip->address, ip->prefix, &n);
        if (!ip_host_address_ok(ip, a))
                return vk_xml_error(node, attr, reterr, "%s is not a host address of %s/%u",
                                    vk_net_addr_format(a, buf), vk_net_addr_format(&n, net),
                                    ip->prefix);
        if (vk_net_addr_equal(a, &ip->address))
                return vk_xml_error(node, attr, reterr, "%s is the network's own address",
                                    vk_net_addr_format(a, buf));
        return 0;
}

/* <range start='192.168.122.100' end='192.168.122.254'><lease .../></range> */
static int parse_range(xmlNode *node, VkNetworkIp *ip, VkError *reterr) {
        g_autofree VkNetworkDhcpRange *range = g_new0(VkNetworkDhcpRange, 1);
        char a[VK_NET_ADDR_STRING_MAX], b[VK_NET_ADDR_STRING_MAX];
        int family = ip->address.family;
        uint64_t size;
        int r;

        r = vk_xml_check_node(node, VK_STRV("start", "end"), VK_STRV("lease"), reterr);
        if (r < 0)
                return r;
        r = vk_network_parse_addr(node, "start", family, VK_XML_REQUIRED, &range->start, reterr);
        if (r < 0)
                return r;
        r = vk_network_parse_addr(node, "end", family, VK_XML_REQUIRED, &range->end, reterr);
        if (r < 0)
                return r;
        r = ip_check_host_address(node, "start", ip, &range->start, reterr);
        if (r < 0)
                return r;
        r = ip_check_host_address(node, "end", ip, &range->end, reterr);
        if (r < 0)
                return r;
        r = vk_net_addr_range_size(&range->start, &range->end, &size);
        if (r == -ERANGE || (r == 0 && family == AF_INET6 && size > 65536))
                return vk_xml_error(node, NULL, reterr,
                                    "range %s-%s is too large (at most 65536 IPv6 addresses)",
                                    vk_net_addr_format(&range->start, a),
                                    vk_net_addr_format(&range->end, b));
        if (r < 0)
                return vk_xml_error(node, NULL, reterr, "range end %s comes before start %s",
                                    vk_net_addr_format(&range->end, b),
                                    vk_net_addr_format(&range->start, a));
        if (vk_net_addr_compare(&range->start, &ip->address) <= 0 &&
            vk_net_addr_compare(&ip->address, &range->end) <= 0)
                return vk_xml_error(
                        node, NULL, reterr, "range %s-%s contains the network's own address",
                        vk_net_addr_format(&range->start, a), vk_net_addr_format(&range->end, b));
        for (guint i = 0; i < ip->ranges->len; i++) {
                const VkNetworkDhcpRange *o = ip->ranges->pdata[i];
                char c[VK_NET_ADDR_STRING_MAX], d[VK_NET_ADDR_STRING_MAX];

                if (vk_net_addr_compare(&range->start, &o->end) <= 0 &&
                    vk_net_addr_compare(&o->start, &range->end) <= 0)
                        return vk_xml_error(node, NULL, reterr, "range %s-%s overlaps range %s-%s",
                                            vk_net_addr_format(&range->start, a),
                                            vk_net_addr_format(&range->end, b),
                                            vk_net_addr_format(&o->start, c),
                                            vk_net_addr_format(&o->end, d));
        }
        r = parse_lease_child(node, &range->lease, reterr);
        if (r < 0)
                return r;
        g_ptr_array_add(ip->ranges, g_steal_pointer(&range));
        return 0;
}

/* A DHCP host name: a letter first, then what vk_network_dns_name_valid() allows. */
static bool dhcp_host_name_valid(const char *s) {
        return vk_network_dns_name_valid(s) && g_ascii_isalpha(s[0]);
}

/* A client id / DUID: hex bytes separated by colons ("0:3:0:1:0:16:3e:11:22:33"). */
static bool dhcp_client_id_valid(const char *s) {
        size_t digits = 0;

        if (vk_isempty(s) || strlen(s) > 260)
                return false;
        for (const char *p = s; *p; p++) {
                if (*p == ':') {
                        if (digits == 0)
                                return false;
                        digits = 0;
                } else if (g_ascii_isxdigit(*p) && ++digits <= 2)
                        continue;
                else
                        return false;
        }
        return digits > 0;
}

static int host_check_unique(xmlNode *node, const VkNetworkIp *ip, const VkNetworkDhcpHost *h,
                             VkError *reterr) {
        char buf[VK_NET_ADDR_STRING_MAX > VK_MAC_STRING_MAX ? VK_NET_ADDR_STRING_MAX
                                                            : VK_MAC_STRING_MAX];

        for (guint i = 0; i < ip->hosts->len; i++) {
                const VkNetworkDhcpHost *o = ip->hosts->pdata[i];

                if (h->has_mac && o->has_mac && memcmp(&h->mac, &o->mac, sizeof(h->mac)) == 0)
                        return vk_xml_error(node, "mac", reterr,
                                            "MAC address %s is given to two hosts",
                                            vk_mac_format(&h->mac, buf));
                if (h->id && o->id && g_ascii_strcasecmp(h->id, o->id) == 0)
                        return vk_xml_error(node, "id", reterr, "id %s is given to two hosts",
                                            h->id);
                if (h->name && o->name && g_ascii_strcasecmp(h->name, o->name) == 0)
                        return vk_xml_error(node, "name", reterr, "name '%s' is given to two hosts",
                                            h->name);
                if (vk_net_addr_equal(&h->ip, &o->ip))
                        return vk_xml_error(node, "ip", reterr, "address %s is given to two hosts",
                                            vk_net_addr_format(&h->ip, buf));
        }
        return 0;
}

/*
 * <host mac='00:16:3e:77:e2:ed' name='foo.example.com' ip='192.168.122.10'/>     IPv4
 * <host id='0:3:0:1:0:16:3e:11:22:33' name='peter' ip='2001:db8:ac10:fd01::1:22'/>  IPv6
 * each may hold a <lease/>
 */
static int parse_host(xmlNode *node, VkNetworkIp *ip, VkError *reterr) {
        g_autoptr(VkNetworkDhcpHost) h = g_new0(VkNetworkDhcpHost, 1);
        g_autofree char *mac = NULL;
        bool v6 = ip->address.family == AF_INET6;
        int r;

        r = vk_xml_check_node(node, VK_STRV("mac", "id", "name", "ip"), VK_STRV("lease"), reterr);
        if (r < 0)
                return r;
        r = vk_xml_prop_string(node, "mac", 0, &mac, reterr);
        if (r < 0)
                return r;
        if (mac) {
                if (v6)
                        return vk_xml_error(node, "mac", reterr,
                                            "an IPv6 host is named by id or name, not mac");
                if (vk_mac_parse(mac, &h->mac) < 0)
                        return vk_xml_error(node, "mac", reterr, "invalid MAC address '%s'", mac);
                if (vk_mac_is_multicast(&h->mac))
                        return vk_xml_error(node, "mac", reterr, "'%s' is a multicast MAC address",
                                            mac);
                h->has_mac = true;
        }
        r = vk_xml_prop_string(node, "id", 0, &h->id, reterr);
        if (r < 0)
                return r;
        if (h->id && !v6)
                return vk_xml_error(node, "id", reterr, "id is for IPv6 hosts, use mac");
        if (h->id && !dhcp_client_id_valid(h->id))
                return vk_xml_error(node, "id", reterr, "invalid client id '%s'", h->id);
        r = vk_xml_prop_string(node, "name", 0, &h->name, reterr);
        if (r < 0)
                return r;
        if (h->name && !dhcp_host_name_valid(h->name))
                return vk_xml_error(node, "name", reterr, "invalid host name '%s'", h->name);
        if (!h->has_mac && !h->id && !h->name)
                return vk_xml_error(node, NULL, reterr, "a host needs %s",
                                    v6 ? "an id or a name" : "a mac or a name");
        r = vk_network_parse_addr(node, "ip", ip->address.family, VK_XML_REQUIRED, &h->ip, reterr);
        if (r < 0)
                return r;
        r = ip_check_host_address(node, "ip", ip, &h->ip, reterr);
        if (r < 0)
                return r;
        r = host_check_unique(node, ip, h, reterr);
        if (r < 0)
                return r;
        r = parse_lease_child(node, &h->lease, reterr);
        if (r < 0)
                return r;
        g_ptr_array_add(ip->hosts, g_steal_pointer(&h));
        return 0;
}

/* <bootp file='pxelinux.0' server='192.168.122.5'/> */
static int parse_bootp(xmlNode *node, VkNetworkIp *ip, VkError *reterr) {
        int r;

        if (ip->address.family != AF_INET)
                return vk_xml_error(node, NULL, reterr, "<bootp> is for IPv4 only");
        r = vk_xml_check_node(node, VK_STRV("file", "server"), VK_XML_NONE, reterr);
        if (r < 0)
                return r;
        r = vk_xml_prop_string(node, "file", VK_XML_REQUIRED | VK_XML_NONZERO, &ip->bootp_file,
                               reterr);
        if (r < 0)
                return r;
        if (!vk_network_text_valid(ip->bootp_file) || strchr(ip->bootp_file, ','))
                return vk_xml_error(node, "file", reterr, "invalid file name '%s'", ip->bootp_file);
        r = vk_network_parse_addr(node, "server", AF_INET, 0, &ip->bootp_server, reterr);
        return r < 0 ? r : 0;
}

static int parse_dhcp(xmlNode *node, VkNetworkIp *ip, VkError *reterr) {
        int r;

        r = vk_xml_check_node(node, VK_XML_NONE, VK_STRV("range", "host", "bootp"), reterr);
        if (r < 0)
                return r;
        r = vk_xml_check_unique(node, VK_STRV("bootp"), reterr);
        if (r < 0)
                return r;
        ip->has_dhcp = true;
        for (xmlNode *c = vk_xml_first_element(node); c; c = vk_xml_next_element(c)) {
                if (vk_xml_node_is(c, NULL, "bootp")) {
                        r = parse_bootp(c, ip, reterr);
                        if (r < 0)
                                return r;
                        continue;
                }
                r = vk_network_check_count(c, ip->ranges->len + ip->hosts->len, reterr);
                if (r < 0)
                        return r;
                r = vk_xml_node_is(c, NULL, "range") ? parse_range(c, ip, reterr)
                                                     : parse_host(c, ip, reterr);
                if (r < 0)
                        return r;
        }
        /* dnsmasq hands out IPv6 addresses from /64 subnets only */
        if (ip->address.family == AF_INET6 && ip->prefix != 64 &&
            (ip->ranges->len > 0 || ip->hosts->len > 0))
                return vk_xml_error(node, NULL, reterr,
                                    "DHCPv6 needs prefix 64, the network has prefix %u",
                                    ip->prefix);
        return 0;
}

/*
 * <ip address='192.168.122.1' netmask='255.255.255.0' localPtr='yes'>
 *   <tftp root='/srv/tftp'/>                                IPv4 only
 *   <dhcp><range/>* <host/>* <bootp/>?</dhcp>
 * </ip>
 * <ip family='ipv6' address='2001:db8:ca2:2::1' prefix='64'/>
 */
int vk_network_parse_ip(xmlNode *node, VkNetworkIp **ret_ip, VkError *reterr) {
        g_autoptr(VkNetworkIp) ip = vk_network_ip_new();
        char buf[VK_NET_ADDR_STRING_MAX];
        xmlNode *c;
        int r;

        r = vk_xml_check_node(node, VK_STRV("address", "netmask", "prefix", "family", "localPtr"),
                              VK_STRV("tftp", "dhcp"), reterr);
        if (r < 0)
                return r;
        r = vk_xml_check_unique(node, VK_STRV("tftp", "dhcp"), reterr);
        if (r < 0)
                return r;
        r = parse_family_address(node, "address", &ip->address, reterr);
        if (r < 0)
                return r;
        r = parse_prefix(node, &ip->address, &ip->prefix_form, &ip->prefix, reterr);
        if (r < 0)
                return r;
        if (vk_net_addr_is_multicast(&ip->address))
                return vk_xml_error(node, "address", reterr, "%s is a multicast address",
                                    vk_net_addr_format(&ip->address, buf));
        if (!ip_host_address_ok(ip, &ip->address) ||
            (ip->address.family == AF_INET && ip->address.bytes[0] == 0))
                return vk_xml_error(node, "address", reterr,
                                    "%s is not a host address of its subnet /%u",
                                    vk_net_addr_format(&ip->address, buf), ip->prefix);
        r = vk_xml_prop_tristate_bool(node, "localPtr", 0, &ip->local_ptr, reterr);
        if (r < 0)
                return r;

        c = vk_xml_child(node, "tftp");
        if (c) {
                if (ip->address.family != AF_INET)
                        return vk_xml_error(c, NULL, reterr, "<tftp> is for IPv4 only");
                r = vk_xml_check_node(c, VK_STRV("root"), VK_XML_NONE, reterr);
                if (r < 0)
                        return r;
                r = vk_xml_prop_string(c, "root", VK_XML_REQUIRED, &ip->tftp_root, reterr);
                if (r < 0)
                        return r;
                if (ip->tftp_root[0] != '/' || !vk_network_text_valid(ip->tftp_root))
                        return vk_xml_error(c, "root", reterr, "'%s' is not an absolute path",
                                            ip->tftp_root);
                /* dnsmasq reads what follows a comma as an interface name */
                if (strchr(ip->tftp_root, ','))
                        return vk_xml_error(c, "root", reterr, "a ',' in '%s' is not supported",
                                            ip->tftp_root);
        }
        c = vk_xml_child(node, "dhcp");
        if (c) {
                r = parse_dhcp(c, ip, reterr);
                if (r < 0)
                        return r;
        }
        *ret_ip = g_steal_pointer(&ip);
        return 0;
}

/*
 * <route address='192.168.222.0' prefix='24' gateway='192.168.122.2' metric='2'/>
 * <route family='ipv6' address='2001:db8:ca2:3::' prefix='64' gateway='2001:db8:ca2:2::2'/>
 */
int vk_network_parse_route(xmlNode *node, VkNetworkRoute **ret_route, VkError *reterr) {
        g_autofree VkNetworkRoute *route = g_new0(VkNetworkRoute, 1);
        char buf[VK_NET_ADDR_STRING_MAX];
        VkNetAddr net;
        int r;

        r = vk_xml_check_node(
                node, VK_STRV("family", "address", "netmask", "prefix", "gateway", "metric"),
                VK_XML_NONE, reterr);
        if (r < 0)
                return r;
        r = parse_family_address(node, "address", &route->address, reterr);
        if (r < 0)
                return r;
        r = parse_prefix(node, &route->address, &route->prefix_form, &route->prefix, reterr);
        if (r < 0)
                return r;
        vk_net_addr_network(&route->address, route->prefix, &net);
        if (!vk_net_addr_equal(&net, &route->address))
                return vk_xml_error(node, "address", reterr,
                                    "%s is not a network address for prefix %u (%s is)",
                                    vk_net_addr_format(&route->address, buf), route->prefix,
                                    vk_net_addr_format(&net, (char[VK_NET_ADDR_STRING_MAX]){}));
        r = vk_network_parse_addr(node, "gateway", route->address.family, VK_XML_REQUIRED,
                                  &route->gateway, reterr);
        if (r < 0)
                return r;
        r = vk_xml_prop_uint(node, "metric", VK_XML_NONZERO, &route->metric, reterr);
        if (r < 0)
                return r;
        *ret_route = g_steal_pointer(&route);
        return 0;
}

/* ---- <dns> ------------------------------------------------------------------------------ */

/* <forwarder addr='8.8.4.4' domain='example.com'/>: at least one of the two */
static int parse_dns_forwarder(xmlNode *node, VkNetworkDns *dns, VkError *reterr) {
        g_autofree VkNetworkDnsForwarder *f = g_new0(VkNetworkDnsForwarder, 1);
        int r;

        r = vk_xml_check_node(node, VK_STRV("addr", "domain"), VK_XML_NONE, reterr);
        if (r < 0)
                return r;
        r = vk_network_parse_addr(node, "addr", 0, 0, &f->addr, reterr);
        if (r < 0)
                return r;
        r = vk_xml_prop_string(node, "domain", 0, &f->domain, reterr);
        if (r < 0)
                return r;
        if (f->domain && !vk_network_dns_name_valid(f->domain)) {
                r = vk_xml_error(node, "domain", reterr, "invalid domain '%s'", f->domain);
                g_free(f->domain);
                return r;
        }
        if (!f->domain && !vk_net_addr_is_set(&f->addr))
                return vk_xml_error(node, NULL, reterr, "a forwarder needs addr or domain");
        g_ptr_array_add(dns->forwarders, g_steal_pointer(&f));
        return 0;
}

/* <txt name='example' value='example value'/> */
static int parse_dns_txt(xmlNode *node, VkNetworkDns *dns, VkError *reterr) {
        VkNetworkDnsTxt *t = g_new0(VkNetworkDnsTxt, 1);
        int r;

        g_ptr_array_add(dns->txts, t);
        r = vk_xml_check_node(node, VK_STRV("name", "value"), VK_XML_NONE, reterr);
        if (r < 0)
                return r;
        r = vk_xml_prop_string(node, "name", VK_XML_REQUIRED, &t->name, reterr);
        if (r < 0)
                return r;
        if (!vk_network_dns_name_valid(t->name))
                return vk_xml_error(node, "name", reterr,
                                    "invalid record name '%s' (no spaces or commas)", t->name);
        r = vk_xml_prop_string(node, "value", VK_XML_REQUIRED | VK_XML_NONZERO, &t->value, reterr);
        if (r < 0)
                return r;
        if (!vk_network_text_valid(t->value))
                return vk_xml_error(node, "value", reterr, "control characters in the value");
        return 0;
}

/* <host ip='192.168.122.2'><hostname>myhost</hostname><hostname>alias</hostname></host> */
static int parse_dns_host(xmlNode *node, VkNetworkDns *dns, VkError *reterr) {
        g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
        VkNetworkDnsHost *h = g_new0(VkNetworkDnsHost, 1);
        int r;

        g_ptr_array_add(dns->hosts, h);
        r = vk_xml_check_node(node, VK_STRV("ip"), VK_STRV("hostname"), reterr);
        if (r < 0)
                return r;
        r = vk_network_parse_addr(node, "ip", 0, VK_XML_REQUIRED, &h->ip, reterr);
        if (r < 0)
                return r;
        for (xmlNode *c = vk_xml_first_element(node); c; c = vk_xml_next_element(c)) {
                char *name = NULL;

                r = vk_network_check_count(c, names->len, reterr);
                if (r < 0)
                        return r;
                r = vk_network_parse_text(c, VK_XML_REQUIRED, &name, reterr);
                if (r < 0)
                        return r;
                g_ptr_array_add(names, name);
                if (!vk_network_dns_name_valid(name))
                        return vk_xml_error(c, NULL, reterr, "invalid host name '%s'", name);
        }
        if (names->len == 0)
                return vk_xml_error(node, NULL, reterr, "missing element <hostname>");
        g_ptr_array_add(names, NULL);
        h->hostnames = (char **) g_ptr_array_free(g_steal_pointer(&names), FALSE);
        return 0;
}

static int srv_string(xmlNode *node, const char *attr, unsigned flags, bool (*valid)(const char *),
                      char **ret, VkError *reterr) {
        int r;

        r = vk_xml_prop_string(node, attr, flags, ret, reterr);
        if (r <= 0)
                return r;
        if (!valid(*ret))
                return vk_xml_error(node, attr, reterr, "invalid value '%s'", *ret);
        return 0;
}

static bool srv_service_valid(const char *s) {
        return vk_network_dns_name_valid(s) && strlen(s) <= 15 && !strchr(s, '.');
}

static bool srv_protocol_valid(const char *s) {
        return strcmp(s, "tcp") == 0 || strcmp(s, "udp") == 0;
}

static bool srv_target_valid(const char *s) {
        return strcmp(s, ".") == 0 || vk_network_dns_name_valid(s);
}

static int srv_number(xmlNode *node, const char *attr, bool *has, unsigned *v, VkError *reterr) {
        int r;

        r = vk_xml_prop_uint(node, attr, 0, v, reterr);
        if (r < 0)
                return r;
        if (*v > 65535)
                return vk_xml_error(node, attr, reterr, "value %u above 65535", *v);
        *has = r > 0;
        return 0;
}

/* <srv service='name' protocol='tcp' domain='..' target='..' port='..' priority='..' weight/> */
static int parse_dns_srv(xmlNode *node, VkNetworkDns *dns, VkError *reterr) {
        VkNetworkDnsSrv *s = g_new0(VkNetworkDnsSrv, 1);
        int r;

        g_ptr_array_add(dns->srvs, s);
        r = vk_xml_check_node(
                node,
                VK_STRV("service", "protocol", "domain", "target", "port", "priority", "weight"),
                VK_XML_NONE, reterr);
        if (r >= 0)
                r = srv_string(node, "service", VK_XML_REQUIRED, srv_service_valid, &s->service,
                               reterr);
        if (r >= 0)
                r = srv_string(node, "protocol", VK_XML_REQUIRED, srv_protocol_valid, &s->protocol,
                               reterr);
        if (r >= 0)
                r = srv_string(node, "domain", 0, vk_network_dns_name_valid, &s->domain, reterr);
        if (r >= 0)
                r = srv_string(node, "target", 0, srv_target_valid, &s->target, reterr);
        if (r >= 0)
                r = srv_number(node, "port", &s->has_port, &s->port, reterr);
        if (r >= 0)
                r = srv_number(node, "priority", &s->has_priority, &s->priority, reterr);
        if (r >= 0)
                r = srv_number(node, "weight", &s->has_weight, &s->weight, reterr);
        return r < 0 ? r : 0;
}

/*
 * <dns enable='yes' forwardPlainNames='no'>
 *   <forwarder/>* <txt/>* <host/>* <srv/>*
 * </dns>
 * enable='no' takes nothing else: there is no DNS server to give it to.
 */
int vk_network_parse_dns(xmlNode *node, VkNetworkDns *dns, VkError *reterr) {
        int r;

        r = vk_xml_check_node(node, VK_STRV("enable", "forwardPlainNames"),
                              VK_STRV("forwarder", "txt", "host", "srv"), reterr);
        if (r < 0)
                return r;
        dns->present = true;
        r = vk_xml_prop_tristate_bool(node, "enable", 0, &dns->enable, reterr);
        if (r < 0)
                return r;
        r = vk_xml_prop_tristate_bool(node, "forwardPlainNames", 0, &dns->forward_plain_names,
                                      reterr);
        if (r < 0)
                return r;
        if (dns->enable == VK_TRISTATE_NO) {
                if (vk_xml_first_element(node))
                        return vk_xml_error(vk_xml_first_element(node), NULL, reterr,
                                            "DNS is disabled (enable='no'): this element has "
                                            "no effect");
                if (dns->forward_plain_names != VK_TRISTATE_ABSENT)
                        return vk_xml_error(node, "forwardPlainNames", reterr,
                                            "DNS is disabled (enable='no'): this attribute has "
                                            "no effect");
        }
        for (xmlNode *c = vk_xml_first_element(node); c; c = vk_xml_next_element(c)) {
                const char *n = (const char *) c->name;

                r = vk_network_check_count(
                        c, dns->forwarders->len + dns->txts->len + dns->hosts->len + dns->srvs->len,
                        reterr);
                if (r < 0)
                        return r;
                if (strcmp(n, "forwarder") == 0)
                        r = parse_dns_forwarder(c, dns, reterr);
                else if (strcmp(n, "txt") == 0)
                        r = parse_dns_txt(c, dns, reterr);
                else if (strcmp(n, "host") == 0)
                        r = parse_dns_host(c, dns, reterr);
                else
                        r = parse_dns_srv(c, dns, reterr);
                if (r < 0)
                        return r;
        }
        return 0;
}
