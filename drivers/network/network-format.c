/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* network-format.c: the network model back to libvirt's network XML */
#include <assert.h>
#include <string.h>
#include <sys/socket.h>

#include "macro.h"
#include "network-def-internal.h"
#include "xml-metadata.h"

static void attr_addr(VkXmlWriter *w, const char *name, const VkNetAddr *a) {
        char buf[VK_NET_ADDR_STRING_MAX];

        if (vk_net_addr_is_set(a))
                vk_xml_writer_attr(w, name, vk_net_addr_format(a, buf));
}

static void attr_uint(VkXmlWriter *w, const char *name, bool set, unsigned long long v) {
        if (set)
                vk_xml_writer_attrf(w, name, "%llu", v);
}

static void attr_prefix(VkXmlWriter *w, VkNetworkPrefixForm form, unsigned prefix) {
        VkNetAddr mask;

        if (form == VK_NETWORK_PREFIX_NETMASK) {
                vk_net_addr_prefix_to_netmask(prefix, &mask);
                attr_addr(w, "netmask", &mask);
        } else if (form == VK_NETWORK_PREFIX_LENGTH)
                attr_uint(w, "prefix", true, prefix);
}

static void format_forward(VkXmlWriter *w, const VkNetworkDef *def) {
        bool nat = vk_net_addr_is_set(&def->nat_start) || def->nat_port_start ||
                   def->nat_ipv6 != VK_TRISTATE_ABSENT;

        if (def->forward_mode == VK_NETWORK_FORWARD_NONE)
                return;
        vk_xml_writer_start(w, "forward");
        vk_xml_writer_attr(w, "mode", vk_network_forward_mode_to_string(def->forward_mode));
        vk_xml_writer_attr(w, "dev", def->forward_dev);
        if (nat) {
                vk_xml_writer_start(w, "nat");
                vk_xml_writer_attr(w, "ipv6", vk_tristate_bool_to_string(def->nat_ipv6));
                if (vk_net_addr_is_set(&def->nat_start)) {
                        vk_xml_writer_start(w, "address");
                        attr_addr(w, "start", &def->nat_start);
                        attr_addr(w, "end", &def->nat_end);
                        vk_xml_writer_end(w);
                }
                if (def->nat_port_start) {
                        vk_xml_writer_start(w, "port");
                        attr_uint(w, "start", true, def->nat_port_start);
                        attr_uint(w, "end", true, def->nat_port_end);
                        vk_xml_writer_end(w);
                }
                vk_xml_writer_end(w);
        }
        for (char **i = def->forward_interfaces; i && *i; i++) {
                vk_xml_writer_start(w, "interface");
                vk_xml_writer_attr(w, "dev", *i);
                vk_xml_writer_end(w);
        }
        if (def->forward_pf) {
                vk_xml_writer_start(w, "pf");
                vk_xml_writer_attr(w, "dev", def->forward_pf);
                vk_xml_writer_end(w);
        }
        vk_xml_writer_end(w);
}

static void format_bridge(VkXmlWriter *w, const VkNetworkDef *def) {
        if (!def->bridge_name && def->bridge_stp == VK_TRISTATE_ABSENT && !def->has_bridge_delay)
                return;
        vk_xml_writer_start(w, "bridge");
        vk_xml_writer_attr(w, "name", def->bridge_name);
        vk_xml_writer_attr(w, "stp", vk_tristate_switch_to_string(def->bridge_stp));
        attr_uint(w, "delay", def->has_bridge_delay, def->bridge_delay);
        vk_xml_writer_end(w);
}

static void format_dns(VkXmlWriter *w, const VkNetworkDns *dns) {
        if (!dns->present)
                return;
        vk_xml_writer_start(w, "dns");
        vk_xml_writer_attr(w, "enable", vk_tristate_bool_to_string(dns->enable));
        vk_xml_writer_attr(w, "forwardPlainNames",
                           vk_tristate_bool_to_string(dns->forward_plain_names));
        for (guint i = 0; i < dns->forwarders->len; i++) {
                const VkNetworkDnsForwarder *f = dns->forwarders->pdata[i];

                vk_xml_writer_start(w, "forwarder");
                vk_xml_writer_attr(w, "domain", f->domain);
                attr_addr(w, "addr", &f->addr);
                vk_xml_writer_end(w);
        }
        for (guint i = 0; i < dns->txts->len; i++) {
                const VkNetworkDnsTxt *t = dns->txts->pdata[i];

                vk_xml_writer_start(w, "txt");
                vk_xml_writer_attr(w, "name", t->name);
                vk_xml_writer_attr(w, "value", t->value);
                vk_xml_writer_end(w);
        }
        for (guint i = 0; i < dns->hosts->len; i++) {
                const VkNetworkDnsHost *h = dns->hosts->pdata[i];

                vk_xml_writer_start(w, "host");
                attr_addr(w, "ip", &h->ip);
                for (char **n = h->hostnames; n && *n; n++)
                        vk_xml_writer_text_element(w, "hostname", *n);
                vk_xml_writer_end(w);
        }
        for (guint i = 0; i < dns->srvs->len; i++) {
                const VkNetworkDnsSrv *s = dns->srvs->pdata[i];

                vk_xml_writer_start(w, "srv");
                vk_xml_writer_attr(w, "service", s->service);
                vk_xml_writer_attr(w, "protocol", s->protocol);
                vk_xml_writer_attr(w, "domain", s->domain);
                vk_xml_writer_attr(w, "target", s->target);
                attr_uint(w, "port", s->has_port, s->port);
                attr_uint(w, "priority", s->has_priority, s->priority);
                attr_uint(w, "weight", s->has_weight, s->weight);
                vk_xml_writer_end(w);
        }
        vk_xml_writer_end(w);
}

static void format_rate(VkXmlWriter *w, const char *name, const VkNetworkRate *rate) {
        if (!rate->set)
                return;
        vk_xml_writer_start(w, name);
        attr_uint(w, "average", rate->average, rate->average);
        attr_uint(w, "peak", rate->peak, rate->peak);
        attr_uint(w, "burst", rate->burst, rate->burst);
        attr_uint(w, "floor", rate->floor, rate->floor);
        vk_xml_writer_end(w);
}

static void format_bandwidth(VkXmlWriter *w, const VkNetworkBandwidth *bw) {
        if (!bw->inbound.set && !bw->outbound.set)
                return;
        vk_xml_writer_start(w, "bandwidth");
        format_rate(w, "inbound", &bw->inbound);
        format_rate(w, "outbound", &bw->outbound);
        vk_xml_writer_end(w);
}

static void format_lease(VkXmlWriter *w, const VkNetworkLease *lease) {
        if (!lease->set)
                return;
        vk_xml_writer_start(w, "lease");
        attr_uint(w, "expiry", true, lease->expiry);
        vk_xml_writer_attr(w, "unit", vk_network_lease_unit_to_string(lease->unit));
        vk_xml_writer_end(w);
}

static void format_dhcp(VkXmlWriter *w, const VkNetworkIp *ip) {
        char mac[VK_MAC_STRING_MAX];

        if (!ip->has_dhcp)
                return;
        vk_xml_writer_start(w, "dhcp");
        for (guint i = 0; i < ip->ranges->len; i++) {
                const VkNetworkDhcpRange *r = ip->ranges->pdata[i];

                vk_xml_writer_start(w, "range");
                attr_addr(w, "start", &r->start);
                attr_addr(w, "end", &r->end);
                format_lease(w, &r->lease);
                vk_xml_writer_end(w);
        }
        for (guint i = 0; i < ip->hosts->len; i++) {
                const VkNetworkDhcpHost *h = ip->hosts->pdata[i];

                vk_xml_writer_start(w, "host");
                if (h->has_mac)
                        vk_xml_writer_attr(w, "mac", vk_mac_format(&h->mac, mac));
                vk_xml_writer_attr(w, "id", h->id);
                vk_xml_writer_attr(w, "name", h->name);
                attr_addr(w, "ip", &h->ip);
                format_lease(w, &h->lease);
                vk_xml_writer_end(w);
        }
        if (ip->bootp_file) {
                vk_xml_writer_start(w, "bootp");
                vk_xml_writer_attr(w, "file", ip->bootp_file);
                attr_addr(w, "server", &ip->bootp_server);
                vk_xml_writer_end(w);
        }
        vk_xml_writer_end(w);
}

static void format_ip(VkXmlWriter *w, const VkNetworkIp *ip) {
        vk_xml_writer_start(w, "ip");
        if (ip->address.family == AF_INET6)
                vk_xml_writer_attr(w, "family", "ipv6");
        attr_addr(w, "address", &ip->address);
        attr_prefix(w, ip->prefix_form, ip->prefix);
        vk_xml_writer_attr(w, "localPtr", vk_tristate_bool_to_string(ip->local_ptr));
        if (ip->tftp_root) {
                vk_xml_writer_start(w, "tftp");
                vk_xml_writer_attr(w, "root", ip->tftp_root);
                vk_xml_writer_end(w);
        }
        format_dhcp(w, ip);
        vk_xml_writer_end(w);
}

static void format_route(VkXmlWriter *w, const VkNetworkRoute *rt) {
        vk_xml_writer_start(w, "route");
        if (rt->address.family == AF_INET6)
                vk_xml_writer_attr(w, "family", "ipv6");
        attr_addr(w, "address", &rt->address);
        attr_prefix(w, rt->prefix_form, rt->prefix);
        attr_addr(w, "gateway", &rt->gateway);
        attr_uint(w, "metric", rt->metric, rt->metric);
        vk_xml_writer_end(w);
}

static void format_portgroup(VkXmlWriter *w, const VkNetworkPortgroup *pg) {
        vk_xml_writer_start(w, "portgroup");
        vk_xml_writer_attr(w, "name", pg->name);
        if (pg->is_default)
                vk_xml_writer_attr(w, "default", "yes");
        vk_xml_writer_attr(w, "trustGuestRxFilters",
                           vk_tristate_bool_to_string(pg->trust_guest_rx_filters));
        if (pg->vlan.tags) {
                vk_xml_writer_start(w, "vlan");
                vk_xml_writer_attr(w, "trunk", vk_tristate_bool_to_string(pg->vlan.trunk));
                for (guint i = 0; i < pg->vlan.tags->len; i++) {
                        const VkNetworkVlanTag *t =
                                &g_array_index(pg->vlan.tags, VkNetworkVlanTag, i);

                        vk_xml_writer_start(w, "tag");
                        attr_uint(w, "id", true, t->id);
                        if (t->native_mode != VK_NETWORK_VLAN_NATIVE_NONE)
                                vk_xml_writer_attr(
                                        w, "nativeMode",
                                        vk_network_vlan_native_to_string(t->native_mode));
                        vk_xml_writer_end(w);
                }
                vk_xml_writer_end(w);
        }
        format_bandwidth(w, &pg->bandwidth);
        vk_xml_writer_end(w);
}

/*
 * Format @def as libvirt lays a network out (name, uuid, title, description, metadata,
 * forward, bridge, mtu, mac, domain, dns, bandwidth, port, ip*, route*, portgroup*), writing
 * what is set and nothing else, so that parsing the result gives the same model and formats
 * to the same bytes. Returns a new string (g_free).
 */
char *vk_network_def_format(const VkNetworkDef *def) {
        g_auto(VkXmlWriter) w = {};
        char buf[VK_UUID_STRING_MAX > VK_MAC_STRING_MAX ? VK_UUID_STRING_MAX : VK_MAC_STRING_MAX];

        assert(def);

        vk_xml_writer_init(&w);
        vk_xml_writer_start(&w, "network");
        vk_xml_writer_attr(&w, "ipv6", vk_tristate_bool_to_string(def->ipv6));
        vk_xml_writer_attr(&w, "trustGuestRxFilters",
                           vk_tristate_bool_to_string(def->trust_guest_rx_filters));
        vk_xml_writer_text_element(&w, "name", def->name);
        if (def->has_uuid)
                vk_xml_writer_text_element(&w, "uuid", vk_uuid_format(&def->uuid, buf));
        vk_xml_writer_text_element(&w, "title", def->title);
        vk_xml_writer_text_element(&w, "description", def->description);
        vk_xml_writer_metadata(&w, def->metadata);
        format_forward(&w, def);
        format_bridge(&w, def);
        if (def->mtu) {
                vk_xml_writer_start(&w, "mtu");
                attr_uint(&w, "size", true, def->mtu);
                vk_xml_writer_end(&w);
        }
        if (def->has_mac) {
                vk_xml_writer_start(&w, "mac");
                vk_xml_writer_attr(&w, "address", vk_mac_format(&def->mac, buf));
                vk_xml_writer_end(&w);
        }
        if (def->domain_name) {
                vk_xml_writer_start(&w, "domain");
                vk_xml_writer_attr(&w, "name", def->domain_name);
                vk_xml_writer_attr(&w, "localOnly",
                                   vk_tristate_bool_to_string(def->domain_local_only));
                vk_xml_writer_end(&w);
        }
        format_dns(&w, &def->dns);
        format_bandwidth(&w, &def->bandwidth);
        if (def->port_isolated != VK_TRISTATE_ABSENT) {
                vk_xml_writer_start(&w, "port");
                vk_xml_writer_attr(&w, "isolated", vk_tristate_bool_to_string(def->port_isolated));
                vk_xml_writer_end(&w);
        }
        for (guint i = 0; i < def->ips->len; i++)
                format_ip(&w, def->ips->pdata[i]);
        for (guint i = 0; i < def->routes->len; i++)
                format_route(&w, def->routes->pdata[i]);
        for (guint i = 0; i < def->portgroups->len; i++)
                format_portgroup(&w, def->portgroups->pdata[i]);
        vk_xml_writer_end(&w);
        return vk_xml_writer_steal(&w);
}
