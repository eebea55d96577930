/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* network-nft.c: a network's nftables rules, as libnftables JSON documents */
#include <assert.h>
#include <string.h>
#include <sys/socket.h>

#include "json.h"
#include "macro.h"
#include "network-nft.h"

/*
 * Layout, per family (ip, ip6), shared by all networks, after libvirt's nftables backend:
 *
 *   table virtkit_network
 *     chain forward       filter, hook forward, priority 0: jumps to the three below
 *     chain guest_output  traffic leaving a network's bridge (accept from its subnets, reject)
 *     chain guest_input   traffic entering a network's bridge (accept replies/routed, reject)
 *     chain guest_cross   between guests of one bridge (accept)
 *     chain guest_nat     nat, hook postrouting, priority 100 (srcnat): masquerade
 *     chain input         filter, hook input, priority 0: DHCP, DNS, TFTP from the bridge
 *     chain output        filter, hook output, priority 0: DHCP replies to the bridge
 *
 * Every rule names one bridge (iifname/oifname), so the rules of different networks never
 * decide for each other; within a network, accept rules come before the rejects. Base chains
 * have policy accept: these rules only ever reject what a network must not pass (isolation,
 * unsolicited inbound traffic to NAT guests). The input/output accepts count and document the
 * services the network offers; they matter when another table drops by default.
 */

static const char *const family_table[_VK_NETWORK_NFT_FAMILY_MAX] = {
        [VK_NETWORK_NFT_IP] = "ip",
        [VK_NETWORK_NFT_IP6] = "ip6",
};

const char *vk_network_nft_family_to_string(VkNetworkNftFamily f) {
        if (f < 0 || f >= _VK_NETWORK_NFT_FAMILY_MAX)
                return NULL;
        return family_table[f];
}

VkNetworkNftFamily vk_network_nft_family_from_string(const char *s) {
        for (int i = 0; s && i < _VK_NETWORK_NFT_FAMILY_MAX; i++)
                if (strcmp(s, family_table[i]) == 0)
                        return i;
        return _VK_NETWORK_NFT_FAMILY_INVALID;
}

/* ---- JSON expression helpers ------------------------------------------------------------ */

static JsonNode *j_str(const char *s) {
        JsonNode *n = json_node_new(JSON_NODE_VALUE);

        json_node_set_string(n, s);
        return n;
}

static JsonNode *j_int(gint64 v) {
        JsonNode *n = json_node_new(JSON_NODE_VALUE);

        json_node_set_int(n, v);
        return n;
}

/* {"key": value}; a NULL @value is JSON null. Takes @value. */
static JsonNode *j_obj1(const char *key, JsonNode *value) {
        JsonObject *o = json_object_new();
        JsonNode *n = json_node_new(JSON_NODE_OBJECT);

        json_object_set_member(o, key, value ? value : json_node_new(JSON_NODE_NULL));
        json_node_take_object(n, o);
        return n;
}

/* [a, b]; takes both. */
static JsonNode *j_pair(JsonNode *a, JsonNode *b) {
        JsonArray *arr = json_array_new();
        JsonNode *n = json_node_new(JSON_NODE_ARRAY);

        json_array_add_element(arr, a);
        json_array_add_element(arr, b);
        json_node_take_array(n, arr);
        return n;
}

static JsonNode *j_match(const char *op, JsonNode *left, JsonNode *right) {
        JsonObject *o = json_object_new();

        json_object_set_string_member(o, "op", op);
        json_object_set_member(o, "left", left);
        json_object_set_member(o, "right", right);
        return j_obj1("match", json_node_init_object(json_node_alloc(), o));
}

static JsonNode *j_meta(const char *key) {
        return j_obj1("meta", j_obj1("key", j_str(key)));
}

static JsonNode *j_payload(const char *protocol, const char *field) {
        JsonObject *o = json_object_new();

        json_object_set_string_member(o, "protocol", protocol);
        json_object_set_string_member(o, "field", field);
        return j_obj1("payload", json_node_init_object(json_node_alloc(), o));
}

static JsonNode *j_prefix(const VkNetAddr *a, unsigned len) {
        char buf[VK_NET_ADDR_STRING_MAX];
        JsonObject *o = json_object_new();

        if (len == vk_net_addr_bits(a))
                return j_str(vk_net_addr_format(a, buf));
        json_object_set_string_member(o, "addr", vk_net_addr_format(a, buf));
        json_object_set_int_member(o, "len", len);
        return j_obj1("prefix", json_node_init_object(json_node_alloc(), o));
}

/* A rule under construction: its statements in order. */
typedef struct Rule {
        VkNetworkNftRuleset *rs;
        VkNetworkNftFamily family;
        JsonArray *expr;
} Rule;

static Rule rule_start(VkNetworkNftRuleset *rs, VkNetworkNftFamily family) {
        return (Rule){ .rs = rs, .family = family, .expr = json_array_new() };
}

static void rule_add(Rule *r, JsonNode *stmt) {
        json_array_add_element(r->expr, stmt);
}

static void rule_ifname(Rule *r, const char *key, const char *name) {
        if (name)
                rule_add(r, j_match("==", j_meta(key), j_str(name)));
}

static void rule_addr(Rule *r, const char *field, const char *op, const VkNetAddr *a,
                      unsigned prefix) {
        const char *proto = r->family == VK_NETWORK_NFT_IP ? "ip" : "ip6";

        rule_add(r, j_match(op, j_payload(proto, field), j_prefix(a, prefix)));
}

/* Close the rule with a counter and the verdict @verdict (taken), and append it to @chain. */
static void rule_end(Rule *r, const char *chain, JsonNode *verdict) {
        VkNetworkNftRule *rule = g_new0(VkNetworkNftRule, 1);

        rule_add(r, j_obj1("counter", NULL));
        rule_add(r, verdict);
        rule->family = r->family;
        rule->chain = chain;
        rule->expr = json_node_init_array(json_node_alloc(), r->expr);
        json_array_unref(r->expr);
        g_ptr_array_add(r->rs->rules, rule);
}

static JsonNode *verdict(const char *v) {
        return j_obj1(v, NULL);
}

/* ---- the rules of a network ------------------------------------------------------------- */

static VkNetworkNftFamily nft_family(const VkNetworkIp *ip) {
        return ip->address.family == AF_INET6 ? VK_NETWORK_NFT_IP6 : VK_NETWORK_NFT_IP;
}

const VkNetworkHostService vk_network_host_services[] = {
        { AF_INET, false, "udp", 67 },                                   /* DHCP */
        { AF_INET, false, "tcp", 67 },  { AF_INET, true, "udp", 68 },    /* DHCP replies */
        { AF_INET, true, "tcp", 68 },   { AF_INET6, false, "udp", 547 }, /* DHCPv6 */
        { AF_INET6, true, "udp", 546 },
};
const size_t vk_network_n_host_services = G_N_ELEMENTS(vk_network_host_services);

/* The host services guests on the bridge reach: DHCP, DNS, TFTP (libvirt's INPUT rules). */
static void rules_host_services(VkNetworkNftRuleset *rs, const VkNetworkDef *def) {
        bool fam[2] = {};

        for (guint i = 0; i < def->ips->len; i++)
                fam[((VkNetworkIp *) def->ips->pdata[i])->address.family == AF_INET6] = true;
        for (int k = 0; k < 2; k++) {
                VkNetworkNftFamily f = k ? VK_NETWORK_NFT_IP6 : VK_NETWORK_NFT_IP;
                bool tftp = false;

                if (!fam[k])
                        continue;
                for (size_t i = 0; i < vk_network_n_host_services; i++) {
                        const VkNetworkHostService *sv = &vk_network_host_services[i];
                        Rule r;

                        if ((sv->family == AF_INET6) != k)
                                continue;
                        r = rule_start(rs, f);
                        rule_ifname(&r, sv->out ? "oifname" : "iifname", def->bridge_name);
                        rule_add(&r, j_match("==", j_payload(sv->proto, "dport"), j_int(sv->port)));
                        rule_end(&r, sv->out ? "output" : "input", verdict("accept"));
                }
                if (def->dns.enable != VK_TRISTATE_NO)
                        for (int p = 0; p < 2; p++) {
                                Rule r = rule_start(rs, f);

                                rule_ifname(&r, "iifname", def->bridge_name);
                                rule_add(&r, j_match("==", j_payload(p ? "tcp" : "udp", "dport"),
                                                     j_int(53)));
                                rule_end(&r, "input", verdict("accept"));
                        }
                for (guint i = 0; i < def->ips->len; i++)
                        if (((VkNetworkIp *) def->ips->pdata[i])->tftp_root)
                                tftp = true;
                if (tftp && !k) {
                        Rule r = rule_start(rs, f);

                        rule_ifname(&r, "iifname", def->bridge_name);
                        rule_add(&r, j_match("==", j_payload("udp", "dport"), j_int(69)));
                        rule_end(&r, "input", verdict("accept"));
                }
        }
}

/* Whether the subnet of @ip is NATed (IPv4 with mode nat; IPv6 only with <nat ipv6='yes'>). */
bool vk_network_ip_is_nat(const VkNetworkDef *def, const VkNetworkIp *ip) {
        if (def->forward_mode != VK_NETWORK_FORWARD_NAT)
                return false;
        return ip->address.family == AF_INET || def->nat_ipv6 == VK_TRISTATE_YES;
}

/* Forwarding of one subnet: out of the bridge from it, into the bridge to it. */
static void rules_forward_subnet(VkNetworkNftRuleset *rs, const VkNetworkDef *def,
                                 const VkNetworkIp *ip) {
        VkNetAddr net;
        Rule r;

        vk_net_addr_network(&ip->address, ip->prefix, &net);

        r = rule_start(rs, nft_family(ip));
        rule_ifname(&r, "iifname", def->bridge_name);
        rule_ifname(&r, "oifname", def->forward_dev);
        rule_addr(&r, "saddr", "==", &net, ip->prefix);
        rule_end(&r, "guest_output", verdict("accept"));

        r = rule_start(rs, nft_family(ip));
        rule_ifname(&r, "oifname", def->bridge_name);
        rule_ifname(&r, "iifname", def->forward_dev);
        rule_addr(&r, "daddr", "==", &net, ip->prefix);
        if (vk_network_ip_is_nat(def, ip)) {
                JsonArray *states = json_array_new();

                /* behind NAT only replies come in */
                json_array_add_string_element(states, "established");
                json_array_add_string_element(states, "related");
                rule_add(&r, j_match("in", j_obj1("ct", j_obj1("key", j_str("state"))),
                                     json_node_init_array(json_node_alloc(), states)));
                json_array_unref(states);
        }
        rule_end(&r, "guest_input", verdict("accept"));
}

/* The translation: the address range and ports of <nat>, or masquerade. */
static JsonNode *nat_target(const VkNetworkDef *def, bool ports) {
        unsigned pstart = def->nat_port_start ? def->nat_port_start : 1024;
        unsigned pend = def->nat_port_start ? def->nat_port_end : 65535;
        JsonObject *o = json_object_new();
        char a[VK_NET_ADDR_STRING_MAX], b[VK_NET_ADDR_STRING_MAX];
        bool snat = vk_net_addr_is_set(&def->nat_start);

        if (snat) {
                vk_net_addr_format(&def->nat_start, a);
                vk_net_addr_format(&def->nat_end, b);
                json_object_set_member(
                        o, "addr",
                        strcmp(a, b) == 0 ? j_str(a) : j_obj1("range", j_pair(j_str(a), j_str(b))));
        }
        if (ports)
                json_object_set_member(
                        o, "port",
                        pstart == pend ? j_int(pstart)
                                       : j_obj1("range", j_pair(j_int(pstart), j_int(pend))));
        if (json_object_get_size(o) == 0) {
                json_object_unref(o);
                return verdict("masquerade");
        }
        return j_obj1(snat ? "snat" : "masquerade", json_node_init_object(json_node_alloc(), o));
}

/* What NAT of @family leaves alone: multicast (and IPv4 broadcast; unset for IPv6). */
void vk_network_nat_exempt(int family, VkNetAddr *ret_mcast, unsigned *ret_mcast_prefix,
                           VkNetAddr *ret_bcast) {
        *ret_bcast = (VkNetAddr){};
        if (family == AF_INET) {
                (void) vk_net_addr_parse("224.0.0.0", AF_INET, ret_mcast);
                (void) vk_net_addr_parse("255.255.255.255", AF_INET, ret_bcast);
                *ret_mcast_prefix = 24;
        } else {
                (void) vk_net_addr_parse("ff02::", AF_INET6, ret_mcast);
                *ret_mcast_prefix = 16;
        }
}

/*
 * NAT of one subnet, in the order packets meet the rules: multicast and broadcast stay as
 * they are, TCP and UDP get a source port from the range (1024-65535 unless <port> says),
 * everything else leaving the subnet is translated too.
 */
static void rules_nat_subnet(VkNetworkNftRuleset *rs, const VkNetworkDef *def,
                             const VkNetworkIp *ip) {
        VkNetworkNftFamily f = nft_family(ip);
        VkNetAddr net, mcast, bcast;
        unsigned mcast_prefix;
        Rule r;

        vk_net_addr_network(&ip->address, ip->prefix, &net);
        vk_network_nat_exempt(ip->address.family, &mcast, &mcast_prefix, &bcast);

        r = rule_start(rs, f);
        rule_addr(&r, "saddr", "==", &net, ip->prefix);
        rule_addr(&r, "daddr", "==", &mcast, mcast_prefix);
        rule_ifname(&r, "oifname", def->forward_dev);
        rule_end(&r, "guest_nat", verdict("return"));
        if (f == VK_NETWORK_NFT_IP) {
                r = rule_start(rs, f);
                rule_addr(&r, "saddr", "==", &net, ip->prefix);
                rule_addr(&r, "daddr", "==", &bcast, 32);
                rule_ifname(&r, "oifname", def->forward_dev);
                rule_end(&r, "guest_nat", verdict("return"));
        }
        for (int p = 0; p < 3; p++) {
                r = rule_start(rs, f);
                if (p < 2)
                        rule_add(&r, j_match("==", j_meta("l4proto"), j_str(p ? "udp" : "tcp")));
                rule_addr(&r, "saddr", "==", &net, ip->prefix);
                rule_addr(&r, "daddr", "!=", &net, ip->prefix);
                rule_ifname(&r, "oifname", def->forward_dev);
                rule_end(&r, "guest_nat", nat_target(def, p < 2));
        }
}

/* What closes a network off: anything else out of or into its bridge is rejected; guests of
 * one bridge reach each other. */
static void rules_isolation(VkNetworkNftRuleset *rs, const VkNetworkDef *def) {
        for (int k = 0; k < _VK_NETWORK_NFT_FAMILY_MAX; k++) {
                Rule r = rule_start(rs, k);

                rule_ifname(&r, "iifname", def->bridge_name);
                rule_end(&r, "guest_output", verdict("reject"));

                r = rule_start(rs, k);
                rule_ifname(&r, "oifname", def->bridge_name);
                rule_end(&r, "guest_input", verdict("reject"));

                r = rule_start(rs, k);
                rule_ifname(&r, "iifname", def->bridge_name);
                rule_ifname(&r, "oifname", def->bridge_name);
                rule_end(&r, "guest_cross", verdict("accept"));
        }
}

static void rule_free(VkNetworkNftRule *rule) {
        json_node_unref(rule->expr);
        g_free(rule);
}

/*
 * Whether @def gets firewall rules: 1 for isolated, nat and route networks (then it must
 * have its bridge name already), 0 for open, bridge and macvtap ones; -EINVAL without a
 * bridge name.
 */
int vk_network_firewall_has_rules(const VkNetworkDef *def, VkError *reterr) {
        VkNetworkForwardMode m = def->forward_mode;

        if (m != VK_NETWORK_FORWARD_NONE && m != VK_NETWORK_FORWARD_NAT &&
            m != VK_NETWORK_FORWARD_ROUTE)
                return 0;
        if (!def->bridge_name || strchr(def->bridge_name, '%'))
                return vk_error_set(reterr, VK_ERROR_INTERNAL, -EINVAL,
                                    "network '%s' has no bridge name yet", def->name);
        return 1;
}

/*
 * The nftables rules of @def (after vk_network_def_fill_defaults(): they name the bridge),
 * what libvirt installs per forward mode: isolated (no <forward>): host services, reject
 * in/out, accept within the bridge; nat: also accept out of each subnet and replies in,
 * masquerade IPv4 (and IPv6 with <nat ipv6='yes'>), other IPv6 routed; route: accept out and
 * in for each subnet, no NAT; open, bridge and macvtap modes: no rules at all (an empty
 * ruleset). A forward dev= narrows forwarding and NAT to that interface. Returns 0 with
 * *@ret_ruleset (free with vk_network_nft_ruleset_free()), or -EINVAL with @reterr set.
 */
int vk_network_nft_ruleset_build(const VkNetworkDef *def, VkNetworkNftRuleset **ret_ruleset,
                                 VkError *reterr) {
        g_autoptr(VkNetworkNftRuleset) rs = g_new0(VkNetworkNftRuleset, 1);
        char uuid[VK_UUID_STRING_MAX];
        VkNetworkForwardMode m = def->forward_mode;
        int r;

        assert(def);
        assert(ret_ruleset);

        rs->rules = g_ptr_array_new_with_free_func((GDestroyNotify) rule_free);
        rs->comment = g_strdup(def->has_uuid ? vk_uuid_format(&def->uuid, uuid) : def->name);
        r = vk_network_firewall_has_rules(def, reterr);
        if (r <= 0) {
                if (r == 0)
                        *ret_ruleset = g_steal_pointer(&rs);
                return r;
        }

        rules_host_services(rs, def);
        if (m != VK_NETWORK_FORWARD_NONE)
                for (guint i = 0; i < def->ips->len; i++)
                        rules_forward_subnet(rs, def, def->ips->pdata[i]);
        rules_isolation(rs, def);
        for (guint i = 0; i < def->ips->len; i++)
                if (vk_network_ip_is_nat(def, def->ips->pdata[i]))
                        rules_nat_subnet(rs, def, def->ips->pdata[i]);
        *ret_ruleset = g_steal_pointer(&rs);
        return 0;
}

VkNetworkNftRuleset *vk_network_nft_ruleset_free(VkNetworkNftRuleset *rs) {
        if (!rs)
                return NULL;
        if (rs->rules)
                g_ptr_array_unref(rs->rules);
        g_free(rs->comment);
        g_free(rs);
        return NULL;
}

/* ---- documents -------------------------------------------------------------------------- */

/* {"family": .., "table": "virtkit_network", ...}: the common head of chains and rules. */
static JsonObject *obj_in_table(VkNetworkNftFamily f, const char *key, const char *name) {
        JsonObject *o = json_object_new();

        json_object_set_string_member(o, "family", family_table[f]);
        json_object_set_string_member(o, "table", VK_NETWORK_NFT_TABLE);
        if (key)
                json_object_set_string_member(o, key, name);
        return o;
}

static void doc_add(GString *doc, const char *command, const char *kind, JsonObject *o) {
        g_autoptr(JsonNode) n =
                j_obj1(command, j_obj1(kind, json_node_init_object(json_node_alloc(), o)));
        g_autofree char *s = vk_json_to_string(n, false);

        json_object_unref(o);
        g_string_append_printf(doc, ",\n  %s", s);
}

static void doc_chain(GString *doc, VkNetworkNftFamily f, const char *name, const char *type,
                      const char *hook, int prio) {
        JsonObject *o = obj_in_table(f, "name", name);

        if (type) {
                json_object_set_string_member(o, "type", type);
                json_object_set_string_member(o, "hook", hook);
                json_object_set_int_member(o, "prio", prio);
                json_object_set_string_member(o, "policy", "accept");
        }
        doc_add(doc, "add", "chain", o);
}

/* The shared chains of the layout above, in the order they are added; type NULL: a regular
 * chain, else a base chain with policy accept. */
static const struct {
        const char *name, *type, *hook;
        int prio;
} setup_chains[] = {
        { "forward", "filter", "forward", 0 },      { "guest_output", NULL, NULL, 0 },
        { "guest_input", NULL, NULL, 0 },           { "guest_cross", NULL, NULL, 0 },
        { "guest_nat", "nat", "postrouting", 100 }, { "input", "filter", "input", 0 },
        { "output", "filter", "output", 0 },
};

/* The chains forward jumps to, in order. */
static const char *const guest_chains[] = { "guest_output", "guest_input", "guest_cross" };

/* The table and chains (idempotent: "add" of what exists is a no-op; the jumps are flushed
 * and added again in the same transaction). */
static void doc_setup(GString *doc) {
        for (int f = 0; f < _VK_NETWORK_NFT_FAMILY_MAX; f++) {
                JsonObject *t = json_object_new();

                json_object_set_string_member(t, "family", family_table[f]);
                json_object_set_string_member(t, "name", VK_NETWORK_NFT_TABLE);
                doc_add(doc, "add", "table", t);
                for (size_t i = 0; i < G_N_ELEMENTS(setup_chains); i++)
                        doc_chain(doc, f, setup_chains[i].name, setup_chains[i].type,
                                  setup_chains[i].hook, setup_chains[i].prio);
                doc_add(doc, "flush", "chain", obj_in_table(f, "name", "forward"));
                for (size_t i = 0; i < G_N_ELEMENTS(guest_chains); i++) {
                        JsonObject *o = obj_in_table(f, "chain", "forward");
                        JsonArray *expr = json_array_new();

                        json_array_add_element(expr, j_obj1("counter", NULL));
                        json_array_add_element(
                                expr, j_obj1("jump", j_obj1("target", j_str(guest_chains[i]))));
                        json_object_set_array_member(o, "expr", expr);
                        doc_add(doc, "add", "rule", o);
                }
        }
}

/* Member @name of @o when it is an array (an object), else NULL. */
static JsonArray *member_array(JsonObject *o, const char *name) {
        JsonNode *n = o ? json_object_get_member(o, name) : NULL;

        return n && JSON_NODE_HOLDS_ARRAY(n) ? json_node_get_array(n) : NULL;
}

static JsonObject *member_object(JsonObject *o, const char *name) {
        JsonNode *n = o ? json_object_get_member(o, name) : NULL;

        return n && JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
}

static JsonObject *element_object(JsonArray *a, guint i) {
        JsonNode *n = json_array_get_element(a, i);

        return n && JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
}

/* The objects of kind @kind ("chain", "rule") of our table in family @f, in the listing
 * @json (libnftables' JSON output); NULL when it does not parse. */
static GPtrArray *listed_objects(const char *json, VkNetworkNftFamily f, const char *kind) {
        g_autoptr(JsonNode) root = NULL;
        g_autoptr(GPtrArray) objs = g_ptr_array_new();
        JsonArray *items;

        if (!json || vk_json_parse(json, -1, &root, NULL) < 0 || !JSON_NODE_HOLDS_OBJECT(root))
                return NULL;
        items = member_array(json_node_get_object(root), "nftables");
        if (!items)
                return NULL;
        for (guint i = 0; i < json_array_get_length(items); i++) {
                JsonNode *n = json_array_get_element(items, i);
                JsonObject *o;

                if (!JSON_NODE_HOLDS_OBJECT(n) ||
                    !json_object_has_member(json_node_get_object(n), kind))
                        continue;
                n = json_object_get_member(json_node_get_object(n), kind);
                if (!JSON_NODE_HOLDS_OBJECT(n))
                        return NULL;
                o = json_node_get_object(n);
                if (g_strcmp0(vk_json_object_get_string_member_or_null(o, "family"),
                              family_table[f]) == 0 &&
                    g_strcmp0(vk_json_object_get_string_member_or_null(o, "table"),
                              VK_NETWORK_NFT_TABLE) == 0)
                        g_ptr_array_add(objs, o);
        }
        /* the objects live as long as root: hand them out with a reference on it */
        g_ptr_array_set_free_func(objs, (GDestroyNotify) json_object_unref);
        for (guint i = 0; i < objs->len; i++)
                json_object_ref(objs->pdata[i]);
        return g_steal_pointer(&objs);
}

static bool chain_matches(JsonObject *c, size_t i) {
        const char *type = vk_json_object_get_string_member_or_null(c, "type");
        JsonNode *prio = json_object_get_member(c, "prio");

        if (!setup_chains[i].type)
                return !type && !json_object_has_member(c, "hook");
        return g_strcmp0(type, setup_chains[i].type) == 0 &&
               g_strcmp0(vk_json_object_get_string_member_or_null(c, "hook"),
                         setup_chains[i].hook) == 0 &&
               prio && JSON_NODE_HOLDS_VALUE(prio) &&
               json_node_get_value_type(prio) == G_TYPE_INT64 &&
               json_node_get_int(prio) == setup_chains[i].prio &&
               g_strcmp0(vk_json_object_get_string_member_or_null(c, "policy"), "accept") == 0;
}

static bool jump_matches(JsonObject *rule, const char *target) {
        JsonArray *expr = member_array(rule, "expr");
        JsonObject *e0, *e1, *jump;

        if (!expr || json_array_get_length(expr) != 2)
                return false;
        e0 = element_object(expr, 0);
        e1 = element_object(expr, 1);
        if (!e0 || !e1 || !json_object_has_member(e0, "counter"))
                return false;
        jump = member_object(e1, "jump");
        return jump &&
               g_strcmp0(vk_json_object_get_string_member_or_null(jump, "target"), target) == 0;
}

/*
 * Whether family @f of our table is as doc_setup() leaves it, from libnftables' JSON listings
 * @chains_json ("list chains") and @forward_json ("list chain FAMILY virtkit_network forward"):
 * every chain there, the base chains with their type, hook, priority and policy accept, and
 * forward holding exactly the three jumps, in order. Then a start adds its rules alone, without
 * the setup: adding what exists is no change, but costs a transaction on each shared object.
 */
bool vk_network_nft_setup_intact(VkNetworkNftFamily f, const char *chains_json,
                                 const char *forward_json) {
        g_autoptr(GPtrArray) chains = listed_objects(chains_json, f, "chain");
        g_autoptr(GPtrArray) rules = listed_objects(forward_json, f, "rule");
        unsigned found = 0;

        if (!chains || !rules || rules->len != G_N_ELEMENTS(guest_chains))
                return false;
        for (guint i = 0; i < chains->len; i++) {
                const char *name =
                        vk_json_object_get_string_member_or_null(chains->pdata[i], "name");

                for (size_t j = 0; j < G_N_ELEMENTS(setup_chains); j++) {
                        if (g_strcmp0(name, setup_chains[j].name) != 0)
                                continue;
                        if (!chain_matches(chains->pdata[i], j))
                                return false;
                        found |= 1u << j;
                }
        }
        if (found != (1u << G_N_ELEMENTS(setup_chains)) - 1)
                return false;
        for (guint i = 0; i < rules->len; i++) {
                if (g_strcmp0(vk_json_object_get_string_member_or_null(rules->pdata[i], "chain"),
                              "forward") != 0 ||
                    !jump_matches(rules->pdata[i], guest_chains[i]))
                        return false;
        }
        return true;
}

/*
 * The libnftables JSON document that installs @rs: the shared table and chains, then each
 * rule as its own "add rule" command, in order, with the ruleset's comment. Run it with echo
 * and handle output on, and libnftables answers with the handle of each rule, in the same
 * order (see vk_network_nft_delete_json()). One command per line, so it reads and diffs well.
 * NULL for an empty ruleset (open, bridge networks): nothing to install. Returns a new string.
 */
char *vk_network_nft_ruleset_to_json(const VkNetworkNftRuleset *rs) {
        return vk_network_nft_ruleset_to_json_full(rs, true);
}

/* vk_network_nft_ruleset_to_json(), with the shared table and chains only when @setup (see
 * vk_network_nft_setup_intact()). */
char *vk_network_nft_ruleset_to_json_full(const VkNetworkNftRuleset *rs, bool setup) {
        GString *doc;

        assert(rs);
        if (rs->rules->len == 0)
                return NULL;
        doc = g_string_new("{\"nftables\": [\n  {\"metainfo\":{\"json_schema_version\":1}}");
        if (setup)
                doc_setup(doc);
        for (guint i = 0; i < rs->rules->len; i++) {
                const VkNetworkNftRule *rule = rs->rules->pdata[i];
                JsonObject *o = obj_in_table(rule->family, "chain", rule->chain);

                json_object_set_member(o, "expr", json_node_copy(rule->expr));
                json_object_set_string_member(o, "comment", rs->comment);
                doc_add(doc, "add", "rule", o);
        }
        g_string_append(doc, "\n]}\n");
        return g_string_free(doc, FALSE);
}

/*
 * The libnftables JSON document that deletes the rules @handles (as recorded when they were
 * added), and nothing else: the table and chains stay for the other networks. Returns a new
 * string.
 */
char *vk_network_nft_delete_json(const VkNetworkNftHandle *handles, size_t n_handles) {
        GString *doc =
                g_string_new("{\"nftables\": [\n  {\"metainfo\":{\"json_schema_version\":1}}");

        assert(handles || n_handles == 0);
        for (size_t i = 0; i < n_handles; i++) {
                JsonObject *o = obj_in_table(handles[i].family, "chain", handles[i].chain);

                json_object_set_int_member(o, "handle", (gint64) handles[i].handle);
                doc_add(doc, "delete", "rule", o);
        }
        g_string_append(doc, "\n]}\n");
        return g_string_free(doc, FALSE);
}
