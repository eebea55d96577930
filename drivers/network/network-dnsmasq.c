/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* network-dnsmasq.c: dnsmasq's configuration, DHCP hosts and DNS hosts files for a network */
#include <assert.h>
#include <string.h>
#include <sys/socket.h>

#include "macro.h"
#include "network-dnsmasq.h"

static bool dns_wanted(const VkNetworkDef *def) {
        return def->dns.enable != VK_TRISTATE_NO;
}

/*
 * Whether the network needs a dnsmasq: it is on a bridge we create, has an address, and
 * either DHCP or DNS is wanted (libvirt's rule).
 */
bool vk_network_dnsmasq_needed(const VkNetworkDef *def) {
        assert(def);

        if (!vk_network_forward_mode_has_bridge(def->forward_mode) || def->ips->len == 0)
                return false;
        if (dns_wanted(def))
                return true;
        return vk_network_def_dhcp_ip(def, AF_INET) || vk_network_def_dhcp_ip(def, AF_INET6);
}

/* dnsmasq's lease time: "infinite", or the number and the unit's first letter ("30m"). */
static char *lease_time(const VkNetworkLease *lease) {
        if (!lease->set)
                return NULL;
        if (lease->expiry == 0)
                return g_strdup("infinite");
        return g_strdup_printf("%llu%c", lease->expiry,
                               vk_network_lease_unit_to_string(lease->unit)[0]);
}

static void conf_forwarders(GString *c, const VkNetworkDef *def) {
        bool no_resolv = false;

        for (guint i = 0; i < def->dns.forwarders->len; i++) {
                const VkNetworkDnsForwarder *f = def->dns.forwarders->pdata[i];
                char a[VK_NET_ADDR_STRING_MAX];

                g_string_append(c, "server=");
                if (f->domain)
                        g_string_append_printf(c, "/%s/", f->domain);
                if (vk_net_addr_is_set(&f->addr)) {
                        g_string_append_printf(c, "%s\n", vk_net_addr_format(&f->addr, a));
                        /* a server for every name: the host's resolv.conf is not needed */
                        if (!f->domain)
                                no_resolv = true;
                } else
                        g_string_append(c, "#\n"); /* answer this domain locally */
        }
        if (no_resolv)
                g_string_append(c, "no-resolv\n");
}

/* The reverse zone of @ip's subnet ("122.168.192.in-addr.arpa"); -EINVAL for a prefix that is
 * not on a label boundary (8 bits for IPv4, 4 for IPv6). */
static int ptr_domain(const VkNetworkIp *ip, char **ret) {
        g_autoptr(GString) s = g_string_new(NULL);
        VkNetAddr net;

        vk_net_addr_network(&ip->address, ip->prefix, &net);
        if (net.family == AF_INET) {
                if (ip->prefix % 8 != 0)
                        return -EINVAL;
                for (int i = (int) ip->prefix / 8 - 1; i >= 0; i--)
                        g_string_append_printf(s, "%u.", net.bytes[i]);
                g_string_append(s, "in-addr.arpa");
        } else {
                if (ip->prefix % 4 != 0)
                        return -EINVAL;
                for (int n = (int) ip->prefix / 4 - 1; n >= 0; n--) {
                        uint8_t b = net.bytes[n / 2];

                        g_string_append_printf(s, "%x.", n % 2 ? b & 0xf : b >> 4);
                }
                g_string_append(s, "ip6.arpa");
        }
        *ret = g_string_free(g_steal_pointer(&s), FALSE);
        return 0;
}

static int conf_local_ptrs(GString *c, const VkNetworkDef *def, VkError *reterr) {
        for (guint i = 0; i < def->ips->len; i++) {
                const VkNetworkIp *ip = def->ips->pdata[i];
                g_autofree char *ptr = NULL;

                if (ip->local_ptr != VK_TRISTATE_YES)
                        continue;
                if (ptr_domain(ip, &ptr) < 0)
                        return vk_error_set(reterr, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                            "network '%s': no reverse DNS zone for prefix %u "
                                            "(localPtr needs a multiple of %d)",
                                            def->name, ip->prefix,
                                            ip->address.family == AF_INET ? 8 : 4);
                g_string_append_printf(c, "local=/%s/\n", ptr);
        }
        return 0;
}

static void conf_srv(GString *c, const VkNetworkDnsSrv *s) {
        g_string_append_printf(c, "srv-host=_%s._%s", s->service, s->protocol);
        if (s->domain)
                g_string_append_printf(c, ".%s", s->domain);
        /* no target, or ".": the service is not offered here, nothing else counts */
        if (s->target && strcmp(s->target, ".") != 0) {
                bool more_prio = s->priority || s->weight;

                g_string_append_printf(c, ",%s", s->target);
                /* positional: a later field needs the earlier ones (dnsmasq's port default 1) */
                if (s->port || more_prio)
                        g_string_append_printf(c, ",%u", s->port ? s->port : 1);
                if (more_prio)
                        g_string_append_printf(c, ",%u", s->priority);
                if (s->weight)
                        g_string_append_printf(c, ",%u", s->weight);
        }
        g_string_append_c(c, '\n');
}

/* dhcp-range= lines of one address; adds the number of addresses to *@leases. */
static void conf_dhcp_ranges(GString *c, const VkNetworkIp *ip, uint64_t *leases) {
        char a[VK_NET_ADDR_STRING_MAX], b[VK_NET_ADDR_STRING_MAX];
        bool v6 = ip->address.family == AF_INET6;

        for (guint i = 0; i < ip->ranges->len; i++) {
                const VkNetworkDhcpRange *r = ip->ranges->pdata[i];
                g_autofree char *lease = lease_time(&r->lease);
                uint64_t n = 0;

                g_string_append_printf(c, "dhcp-range=%s,%s,", vk_net_addr_format(&r->start, a),
                                       vk_net_addr_format(&r->end, b));
                if (v6)
                        g_string_append_printf(c, "%u", ip->prefix);
                else {
                        VkNetAddr mask;

                        vk_net_addr_prefix_to_netmask(ip->prefix, &mask);
                        g_string_append(c, vk_net_addr_format(&mask, a));
                }
                if (lease)
                        g_string_append_printf(c, ",%s", lease);
                g_string_append_c(c, '\n');
                (void) vk_net_addr_range_size(&r->start, &r->end, &n);
                *leases += n;
        }
        /* only static hosts: a "static" range turns DHCP on for them */
        if (ip->ranges->len == 0 && ip->hosts->len > 0) {
                g_string_append_printf(c, "dhcp-range=%s,static",
                                       vk_net_addr_format(&ip->address, a));
                if (v6)
                        g_string_append_printf(c, ",%u", ip->prefix);
                g_string_append_c(c, '\n');
        }
        if (v6)
                return;
        g_string_append(c, "dhcp-no-override\n"
                           "dhcp-authoritative\n");
}

static void conf_ipv4_boot(GString *c, const VkNetworkDef *def, const VkNetworkIp *dhcp4) {
        char a[VK_NET_ADDR_STRING_MAX];

        for (guint i = 0; i < def->ips->len; i++) {
                const VkNetworkIp *ip = def->ips->pdata[i];

                if (ip->tftp_root)
                        g_string_append_printf(c, "enable-tftp\ntftp-root=%s\n", ip->tftp_root);
        }
        if (!dhcp4 || !dhcp4->bootp_file)
                return;
        g_string_append_printf(c, "dhcp-boot=%s", dhcp4->bootp_file);
        if (vk_net_addr_is_set(&dhcp4->bootp_server))
                g_string_append_printf(c, ",,%s", vk_net_addr_format(&dhcp4->bootp_server, a));
        g_string_append_c(c, '\n');
}

/*
 * The dnsmasq configuration file of @def (after vk_network_def_fill_defaults(): the bridge
 * name is needed), in the order and with the options libvirt's network driver writes:
 * strict-order, port=0 without DNS, server= forwarders (no-resolv when one takes every name),
 * domain/local/expand-hosts, localPtr zones, domain-needed for forwardPlainNames='no',
 * except-interface=lo, bind-dynamic, interface=<bridge>, an empty default route and no-resolv
 * for isolated networks, txt-record, srv-host, dhcp-range (IPv4 with its netmask, IPv6 with its
 * prefix, lease times), dhcp-no-override, dhcp-authoritative, TFTP and BOOTP, dhcp-lease-max,
 * dhcp-hostsfile, addn-hosts, the MTU option, and enable-ra or ra-only ranges for IPv6.
 * @paths gives the file names. Returns 0 with *@ret_config (g_free), or a negative errno with
 * @reterr set; call only when vk_network_dnsmasq_needed().
 */
int vk_network_dnsmasq_config(const VkNetworkDef *def, const VkNetworkDnsmasqPaths *paths,
                              char **ret_config, VkError *reterr) {
        g_autoptr(GString) c = g_string_new(NULL);
        const VkNetworkIp *dhcp4, *dhcp6;
        bool dns = dns_wanted(def);
        uint64_t leases = 0;
        int r;

        assert(def);
        assert(paths);
        assert(ret_config);

        if (!def->bridge_name || strchr(def->bridge_name, '%'))
                return vk_error_set(reterr, VK_ERROR_INTERNAL, -EINVAL,
                                    "network '%s' has no bridge name yet", def->name);
        dhcp4 = vk_network_def_dhcp_ip(def, AF_INET);
        dhcp6 = vk_network_def_dhcp_ip(def, AF_INET6);

        g_string_append_printf(c,
                               "## dnsmasq configuration of the network '%s', written by "
                               "virtkit-networkd.\n"
                               "## Changes are lost: edit the network XML instead.\n"
                               "strict-order\n",
                               def->name);
        if (!dns)
                g_string_append(c, "port=0\n"); /* no DNS server at all */
        if (dns)
                conf_forwarders(c, def);
        if (def->domain_name) {
                if (def->domain_local_only == VK_TRISTATE_YES)
                        g_string_append_printf(c, "local=/%s/\n", def->domain_name);
                g_string_append_printf(c, "domain=%s\nexpand-hosts\n", def->domain_name);
        }
        if (dns) {
                r = conf_local_ptrs(c, def, reterr);
                if (r < 0)
                        return r;
                /* plain names stay local unless forwarding them is asked for */
                if (def->dns.forward_plain_names == VK_TRISTATE_NO)
                        g_string_append(c, "domain-needed\nlocal=//\n");
        }
        if (paths->pid_file)
                g_string_append_printf(c, "pid-file=%s\n", paths->pid_file);
        /* only the bridge, never loopback: bind-dynamic binds to the interface (CVE-2012-3411) */
        g_string_append_printf(c, "except-interface=lo\nbind-dynamic\ninterface=%s\n",
                               def->bridge_name);
        if (def->forward_mode == VK_NETWORK_FORWARD_NONE)
                /* isolated: no default route for DHCP clients, no upstream DNS, no IPv6 router */
                g_string_append(c, "dhcp-option=3\nno-resolv\nra-param=*,0,0\n");

        if (dns) {
                for (guint i = 0; i < def->dns.txts->len; i++) {
                        const VkNetworkDnsTxt *t = def->dns.txts->pdata[i];

                        g_string_append_printf(c, "txt-record=%s,%s\n", t->name, t->value);
                }
                for (guint i = 0; i < def->dns.srvs->len; i++)
                        conf_srv(c, def->dns.srvs->pdata[i]);
        }

        if (dhcp4)
                conf_dhcp_ranges(c, dhcp4, &leases);
        conf_ipv4_boot(c, def, dhcp4);
        if (dhcp6)
                conf_dhcp_ranges(c, dhcp6, &leases);
        if (leases > 0)
                g_string_append_printf(c, "dhcp-lease-max=%" G_GUINT64_FORMAT "\n", leases);
        if (dhcp4 || dhcp6)
                g_string_append_printf(c, "dhcp-hostsfile=%s\n", paths->hosts_file);
        if (dns)
                g_string_append_printf(c, "addn-hosts=%s\n", paths->addnhosts_file);
        if (def->mtu)
                g_string_append_printf(c, "dhcp-option=option:mtu,%u\n", def->mtu);

        if (dhcp6)
                g_string_append(c, "enable-ra\n");
        else
                for (guint i = 0; i < def->ips->len; i++) {
                        const VkNetworkIp *ip = def->ips->pdata[i];
                        char a[VK_NET_ADDR_STRING_MAX];

                        if (ip->address.family == AF_INET6)
                                g_string_append_printf(c, "dhcp-range=%s,ra-only\n",
                                                       vk_net_addr_format(&ip->address, a));
                }

        *ret_config = g_string_free(g_steal_pointer(&c), FALSE);
        return 0;
}

static void hosts_of(GString *s, const VkNetworkIp *ip) {
        bool v6;

        if (!ip)
                return;
        v6 = ip->address.family == AF_INET6;
        for (guint i = 0; i < ip->hosts->len; i++) {
                const VkNetworkDhcpHost *h = ip->hosts->pdata[i];
                g_autofree char *lease = lease_time(&h->lease);
                char a[VK_NET_ADDR_STRING_MAX], m[VK_MAC_STRING_MAX];

                if (v6) {
                        if (h->id)
                                g_string_append_printf(s, "id:%s,", h->id);
                        if (h->name)
                                g_string_append_printf(s, "%s,", h->name);
                        g_string_append_printf(s, "[%s]", vk_net_addr_format(&h->ip, a));
                } else {
                        /* "mac,ip,name", "mac,ip" or "name,ip", as libvirt writes them */
                        if (h->has_mac)
                                g_string_append_printf(s, "%s,%s", vk_mac_format(&h->mac, m),
                                                       vk_net_addr_format(&h->ip, a));
                        else
                                g_string_append_printf(s, "%s,%s", h->name,
                                                       vk_net_addr_format(&h->ip, a));
                        if (h->has_mac && h->name)
                                g_string_append_printf(s, ",%s", h->name);
                }
                if (lease)
                        g_string_append_printf(s, ",%s", lease);
                g_string_append_c(s, '\n');
        }
}

/*
 * The dhcp-hostsfile of @def: one line per static host of the DHCP addresses, IPv4 first:
 * "mac,ip[,name][,lease]" or "name,ip[,lease]" (IPv4), "[id:duid,][name,][ip6][,lease]"
 * (IPv6). Empty when there are none: dnsmasq
 * rereads it on SIGHUP, so it exists even then. Returns a new string (g_free).
 */
char *vk_network_dnsmasq_hosts(const VkNetworkDef *def) {
        GString *s = g_string_new(NULL);

        assert(def);
        hosts_of(s, vk_network_def_dhcp_ip(def, AF_INET));
        hosts_of(s, vk_network_def_dhcp_ip(def, AF_INET6));
        return g_string_free(s, FALSE);
}

/*
 * The addn-hosts file of @def: "ip<TAB>name<TAB>name..." per <dns><host> address, names of
 * hosts with the same address on one line, in the order of the XML. Returns a new string.
 */
char *vk_network_dnsmasq_addnhosts(const VkNetworkDef *def) {
        g_autoptr(GPtrArray) lines = g_ptr_array_new(); /* GString, freed below */
        g_autoptr(GPtrArray) addrs = g_ptr_array_new();
        GString *s = g_string_new(NULL);

        assert(def);
        for (guint i = 0; i < def->dns.hosts->len; i++) {
                const VkNetworkDnsHost *h = def->dns.hosts->pdata[i];
                GString *line = NULL;

                for (guint j = 0; j < addrs->len && !line; j++)
                        if (vk_net_addr_equal(addrs->pdata[j], &h->ip))
                                line = lines->pdata[j];
                if (!line) {
                        char a[VK_NET_ADDR_STRING_MAX];

                        line = g_string_new(vk_net_addr_format(&h->ip, a));
                        g_ptr_array_add(addrs, (gpointer) &h->ip);
                        g_ptr_array_add(lines, line);
                }
                for (char **n = h->hostnames; n && *n; n++)
                        g_string_append_printf(line, "\t%s", *n);
        }
        for (guint i = 0; i < lines->len; i++) {
                GString *line = lines->pdata[i];

                g_string_append_printf(s, "%s\n", line->str);
        }
        for (guint i = 0; i < lines->len; i++)
                g_string_free(lines->pdata[i], TRUE);
        return g_string_free(s, FALSE);
}
