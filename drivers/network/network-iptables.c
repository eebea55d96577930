/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* network-iptables.c: a network's firewall rules as iptables/ip6tables command lines */
#include <assert.h>
#include <string.h>
#include <sys/socket.h>

#include "macro.h"
#include "network-iptables.h"

/*
 * The iptables backend (network.conf firewall_backend = "iptables", or nftables unusable):
 * the same policy as network-nft.c, in libvirt's iptables layout under our chain names:
 *
 *   filter INPUT       -> VIRTKIT_INP   DHCP, DNS, TFTP from a network's bridge
 *   filter OUTPUT      -> VIRTKIT_OUT   DHCP replies to the bridge
 *   filter FORWARD     -> VIRTKIT_FWX   between guests of one bridge (accept)
 *                      -> VIRTKIT_FWI   into a bridge (accept replies/routed, reject)
 *                      -> VIRTKIT_FWO   out of a bridge (accept from its subnets, reject)
 *   nat    POSTROUTING -> VIRTKIT_PRT   masquerade (or SNAT to <nat><address>)
 *
 * The chains and jumps are made once and stay (vk_network_ipt_setup_argvs()); a network's
 * rules are appended one command each, carry the network's UUID as comment, and are deleted
 * by the same specification ("-D"), as recorded in its status.
 */

static const char *const ipt_chains[] = {
        VK_NETWORK_IPT_INPUT,  VK_NETWORK_IPT_OUTPUT,    VK_NETWORK_IPT_FWD_OUT,
        VK_NETWORK_IPT_FWD_IN, VK_NETWORK_IPT_FWD_CROSS, VK_NETWORK_IPT_POSTROUTING,
};

/* The static name of @chain, or NULL when it is none of ours. */
const char *vk_network_ipt_chain_static(const char *chain) {
        for (size_t i = 0; chain && i < G_N_ELEMENTS(ipt_chains); i++)
                if (strcmp(chain, ipt_chains[i]) == 0)
                        return ipt_chains[i];
        return NULL;
}

void vk_network_ipt_rule_free(VkNetworkIptRule *rule) {
        if (!rule)
                return;
        g_free(rule->table);
        g_free(rule->chain);
        g_strfreev(rule->args);
        g_free(rule);
}

/* A rule under construction. */
typedef struct Rule {
        GPtrArray *rules;
        const char *comment;
        VkNetworkNftFamily family;
        const char *table;
        GPtrArray *args;
} Rule;

static Rule rule_start(GPtrArray *rules, const char *comment, VkNetworkNftFamily family,
                       const char *table) {
        return (Rule){ .rules = rules,
                       .comment = comment,
                       .family = family,
                       .table = table,
                       .args = g_ptr_array_new() };
}

static void rule_add(Rule *r, const char *arg) {
        g_ptr_array_add(r->args, g_strdup(arg));
}

static void rule_add2(Rule *r, const char *opt, const char *value) {
        if (!value)
                return;
        rule_add(r, opt);
        rule_add(r, value);
}

static void rule_net(Rule *r, const char *opt, bool negate, const VkNetAddr *a, unsigned prefix) {
        char buf[VK_NET_ADDR_STRING_MAX];
        g_autofree char *v = g_strdup_printf("%s/%u", vk_net_addr_format(a, buf), prefix);

        if (negate)
                rule_add(r, "!");
        rule_add2(r, opt, v);
}

static void rule_port(Rule *r, const char *proto, int port) {
        g_autofree char *p = g_strdup_printf("%d", port);

        rule_add2(r, "-p", proto);
        rule_add2(r, "--dport", p);
}

/* Close @r (comment, then the target words of @target, space-separated) into @chain. */
static void rule_end(Rule *r, const char *chain, const char *target) {
        VkNetworkIptRule *rule = g_new0(VkNetworkIptRule, 1);
        g_auto(GStrv) words = g_strsplit(target, " ", 0);

        rule_add2(r, "-m", "comment");
        rule_add2(r, "--comment", r->comment);
        rule_add(r, "-j");
        for (size_t i = 0; words[i]; i++)
                rule_add(r, words[i]);
        g_ptr_array_add(r->args, NULL);
        rule->family = r->family;
        rule->table = g_strdup(r->table);
        rule->chain = g_strdup(chain);
        rule->args = (char **) g_ptr_array_free(r->args, FALSE);
        g_ptr_array_add(r->rules, rule);
}

static VkNetworkNftFamily ip_family(const VkNetworkIp *ip) {
        return ip->address.family == AF_INET6 ? VK_NETWORK_NFT_IP6 : VK_NETWORK_NFT_IP;
}

static void rules_host_services(GPtrArray *rules, const char *c, const VkNetworkDef *def) {
        bool fam[2] = {};

        for (guint i = 0; i < def->ips->len; i++)
                fam[ip_family(def->ips->pdata[i])] = true;
        for (int k = 0; k < 2; k++) {
                bool tftp = false;

                if (!fam[k])
                        continue;
                for (size_t i = 0; i < vk_network_n_host_services; i++) {
                        const VkNetworkHostService *sv = &vk_network_host_services[i];
                        Rule r;

                        if ((sv->family == AF_INET6) != k)
                                continue;
                        r = rule_start(rules, c, k, "filter");
                        rule_add2(&r, sv->out ? "-o" : "-i", def->bridge_name);
                        rule_port(&r, sv->proto, sv->port);
                        rule_end(&r, sv->out ? VK_NETWORK_IPT_OUTPUT : VK_NETWORK_IPT_INPUT,
                                 "ACCEPT");
                }
                if (def->dns.enable != VK_TRISTATE_NO)
                        for (int p = 0; p < 2; p++) {
                                Rule r = rule_start(rules, c, k, "filter");

                                rule_add2(&r, "-i", def->bridge_name);
                                rule_port(&r, p ? "tcp" : "udp", 53);
                                rule_end(&r, VK_NETWORK_IPT_INPUT, "ACCEPT");
                        }
                for (guint i = 0; i < def->ips->len; i++)
                        if (((VkNetworkIp *) def->ips->pdata[i])->tftp_root)
                                tftp = true;
                if (tftp && !k) {
                        Rule r = rule_start(rules, c, k, "filter");

                        rule_add2(&r, "-i", def->bridge_name);
                        rule_port(&r, "udp", 69);
                        rule_end(&r, VK_NETWORK_IPT_INPUT, "ACCEPT");
                }
        }
}

static void rules_forward_subnet(GPtrArray *rules, const char *c, const VkNetworkDef *def,
                                 const VkNetworkIp *ip) {
        VkNetAddr net;
        Rule r;

        vk_net_addr_network(&ip->address, ip->prefix, &net);

        r = rule_start(rules, c, ip_family(ip), "filter");
        rule_net(&r, "-s", false, &net, ip->prefix);
        rule_add2(&r, "-i", def->bridge_name);
        rule_add2(&r, "-o", def->forward_dev);
        rule_end(&r, VK_NETWORK_IPT_FWD_OUT, "ACCEPT");

        r = rule_start(rules, c, ip_family(ip), "filter");
        rule_net(&r, "-d", false, &net, ip->prefix);
        rule_add2(&r, "-o", def->bridge_name);
        rule_add2(&r, "-i", def->forward_dev);
        if (vk_network_ip_is_nat(def, ip)) {
                /* behind NAT only replies come in */
                rule_add2(&r, "-m", "conntrack");
                rule_add2(&r, "--ctstate", "RELATED,ESTABLISHED");
        }
        rule_end(&r, VK_NETWORK_IPT_FWD_IN, "ACCEPT");
}

/* The target of a NAT rule: SNAT to <nat><address> (and ports), else MASQUERADE. */
static char *nat_target(const VkNetworkDef *def, bool ports) {
        unsigned pstart = def->nat_port_start ? def->nat_port_start : 1024;
        unsigned pend = def->nat_port_start ? def->nat_port_end : 65535;
        char a[VK_NET_ADDR_STRING_MAX], b[VK_NET_ADDR_STRING_MAX];
        g_autofree char *prange = NULL;

        if (ports)
                prange = pstart == pend ? g_strdup_printf("%u", pstart)
                                        : g_strdup_printf("%u-%u", pstart, pend);
        if (vk_net_addr_is_set(&def->nat_start)) {
                g_autofree char *addrs = NULL;

                vk_net_addr_format(&def->nat_start, a);
                vk_net_addr_format(&def->nat_end, b);
                addrs = strcmp(a, b) == 0 ? g_strdup(a) : g_strdup_printf("%s-%s", a, b);
                return prange ? g_strdup_printf("SNAT --to-source %s:%s", addrs, prange)
                              : g_strdup_printf("SNAT --to-source %s", addrs);
        }
        return prange ? g_strdup_printf("MASQUERADE --to-ports %s", prange)
                      : g_strdup("MASQUERADE");
}

static void rules_nat_subnet(GPtrArray *rules, const char *c, const VkNetworkDef *def,
                             const VkNetworkIp *ip) {
        VkNetworkNftFamily f = ip_family(ip);
        VkNetAddr net, mcast, bcast;
        unsigned mcast_prefix;
        Rule r;

        vk_net_addr_network(&ip->address, ip->prefix, &net);
        vk_network_nat_exempt(ip->address.family, &mcast, &mcast_prefix, &bcast);

        r = rule_start(rules, c, f, "nat");
        rule_net(&r, "-s", false, &net, ip->prefix);
        rule_net(&r, "-d", false, &mcast, mcast_prefix);
        rule_add2(&r, "-o", def->forward_dev);
        rule_end(&r, VK_NETWORK_IPT_POSTROUTING, "RETURN");
        if (f == VK_NETWORK_NFT_IP) {
                r = rule_start(rules, c, f, "nat");
                rule_net(&r, "-s", false, &net, ip->prefix);
                rule_net(&r, "-d", false, &bcast, 32);
                rule_add2(&r, "-o", def->forward_dev);
                rule_end(&r, VK_NETWORK_IPT_POSTROUTING, "RETURN");
        }
        for (int p = 0; p < 3; p++) {
                g_autofree char *target = nat_target(def, p < 2);

                r = rule_start(rules, c, f, "nat");
                rule_net(&r, "-s", false, &net, ip->prefix);
                rule_net(&r, "-d", true, &net, ip->prefix);
                if (p < 2)
                        rule_add2(&r, "-p", p ? "udp" : "tcp");
                rule_add2(&r, "-o", def->forward_dev);
                rule_end(&r, VK_NETWORK_IPT_POSTROUTING, target);
        }
}

static void rules_isolation(GPtrArray *rules, const char *c, const VkNetworkDef *def) {
        for (int k = 0; k < _VK_NETWORK_NFT_FAMILY_MAX; k++) {
                Rule r = rule_start(rules, c, k, "filter");

                rule_add2(&r, "-i", def->bridge_name);
                rule_end(&r, VK_NETWORK_IPT_FWD_OUT, "REJECT");

                r = rule_start(rules, c, k, "filter");
                rule_add2(&r, "-o", def->bridge_name);
                rule_end(&r, VK_NETWORK_IPT_FWD_IN, "REJECT");

                r = rule_start(rules, c, k, "filter");
                rule_add2(&r, "-i", def->bridge_name);
                rule_add2(&r, "-o", def->bridge_name);
                rule_end(&r, VK_NETWORK_IPT_FWD_CROSS, "ACCEPT");
        }
}

/*
 * The iptables rules of @def (after vk_network_def_fill_defaults()), the policy of
 * vk_network_nft_ruleset_build() rule for rule: isolated, nat and route networks get them,
 * open, bridge and macvtap networks none (an empty list). *@ret_rules holds
 * VkNetworkIptRule, in the order they are added.
 */
int vk_network_ipt_rules_build(const VkNetworkDef *def, GPtrArray **ret_rules, VkError *reterr) {
        g_autoptr(GPtrArray) rules =
                g_ptr_array_new_with_free_func((GDestroyNotify) vk_network_ipt_rule_free);
        char uuid[VK_UUID_STRING_MAX];
        const char *c = def->has_uuid ? vk_uuid_format(&def->uuid, uuid) : def->name;
        VkNetworkForwardMode m = def->forward_mode;
        int r;

        assert(ret_rules);
        r = vk_network_firewall_has_rules(def, reterr);
        if (r <= 0) {
                if (r == 0)
                        *ret_rules = g_steal_pointer(&rules);
                return r;
        }
        rules_host_services(rules, c, def);
        if (m != VK_NETWORK_FORWARD_NONE)
                for (guint i = 0; i < def->ips->len; i++)
                        rules_forward_subnet(rules, c, def, def->ips->pdata[i]);
        rules_isolation(rules, c, def);
        for (guint i = 0; i < def->ips->len; i++)
                if (vk_network_ip_is_nat(def, def->ips->pdata[i]))
                        rules_nat_subnet(rules, c, def, def->ips->pdata[i]);
        *ret_rules = g_steal_pointer(&rules);
        return 0;
}

/* "BINARY -w -t TABLE OP CHAIN ARGS...": @op is "-A" (add) or "-D" (delete). g_strfreev. */
char **vk_network_ipt_rule_argv(const char *binary, const VkNetworkIptRule *rule, const char *op) {
        GPtrArray *argv = g_ptr_array_new();

        g_ptr_array_add(argv, g_strdup(binary));
        g_ptr_array_add(argv, g_strdup("-w"));
        g_ptr_array_add(argv, g_strdup("-t"));
        g_ptr_array_add(argv, g_strdup(rule->table));
        g_ptr_array_add(argv, g_strdup(op));
        g_ptr_array_add(argv, g_strdup(rule->chain));
        for (size_t i = 0; rule->args[i]; i++)
                g_ptr_array_add(argv, g_strdup(rule->args[i]));
        g_ptr_array_add(argv, NULL);
        return (char **) g_ptr_array_free(argv, FALSE);
}

/* @rules as the commands that add them, one a line ("iptables ..."/"ip6tables ..."). */
char *vk_network_ipt_rules_to_text(const GPtrArray *rules) {
        GString *s = g_string_new(NULL);

        for (guint i = 0; i < rules->len; i++) {
                const VkNetworkIptRule *rule = rules->pdata[i];
                g_auto(GStrv) argv = vk_network_ipt_rule_argv(
                        rule->family == VK_NETWORK_NFT_IP6 ? "ip6tables" : "iptables", rule, "-A");
                g_autofree char *line = g_strjoinv(" ", argv);

                g_string_append_printf(s, "%s\n", line);
        }
        return g_string_free(s, FALSE);
}

/*
 * The commands that make our chains in @family and jump to them from the built-in ones, in
 * order; each may fail harmlessly when done before ("Chain already exists"; a "-C" check
 * failing means: run the "-I" after it). Pairs: {check, insert} for jumps. GPtrArray of
 * GStrv: for a jump, the "-C" check then the "-I" insert.
 */
GPtrArray *vk_network_ipt_setup_argvs(VkNetworkNftFamily family, const char *binary) {
        static const struct {
                const char *table, *builtin, *chain;
        } jumps[] = {
                /* inserted at position 1 in this order: FORWARD ends up FWX, FWI, FWO */
                { "filter", "INPUT", VK_NETWORK_IPT_INPUT },
                { "filter", "OUTPUT", VK_NETWORK_IPT_OUTPUT },
                { "filter", "FORWARD", VK_NETWORK_IPT_FWD_OUT },
                { "filter", "FORWARD", VK_NETWORK_IPT_FWD_IN },
                { "filter", "FORWARD", VK_NETWORK_IPT_FWD_CROSS },
                { "nat", "POSTROUTING", VK_NETWORK_IPT_POSTROUTING },
        };
        GPtrArray *argvs = g_ptr_array_new_with_free_func((GDestroyNotify) g_strfreev);

        for (size_t i = 0; i < G_N_ELEMENTS(jumps); i++)
                g_ptr_array_add(argvs,
                                g_strdupv((char **) VK_STRV(binary, "-w", "-t", jumps[i].table,
                                                            "-N", jumps[i].chain)));
        for (size_t i = 0; i < G_N_ELEMENTS(jumps); i++) {
                g_ptr_array_add(argvs, g_strdupv((char **) VK_STRV(
                                               binary, "-w", "-t", jumps[i].table, "-C",
                                               jumps[i].builtin, "-j", jumps[i].chain)));
                g_ptr_array_add(argvs, g_strdupv((char **) VK_STRV(
                                               binary, "-w", "-t", jumps[i].table, "-I",
                                               jumps[i].builtin, "1", "-j", jumps[i].chain)));
        }
        (void) family;
        return argvs;
}
