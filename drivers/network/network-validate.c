/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* network-validate.c: the checks of a network definition that span several elements */
#include <assert.h>
#include <string.h>
#include <sys/socket.h>

#include "macro.h"
#include "network-def-internal.h"

/* "/network/ip[2]" for the @i-th (0-based) of @n elements, "/network/ip" for a single one. */
static char *element_path(const char *name, guint i, guint n) {
        if (n == 1)
                return g_strdup_printf("/network/%s", name);
        return g_strdup_printf("/network/%s[%u]", name, i + 1);
}

static int invalid(VkError *reterr, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static int invalid(VkError *reterr, const char *fmt, ...) {
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vk_error_setv(reterr, VK_ERROR_INVALID_XML, -EINVAL, fmt, ap);
        va_end(ap);
        return r;
}

/*
 * A bridge name we may create: at most 15 characters, no '/', no white space, not "." or "..";
 * one "%d" is a template (virbr%d) that vk_network_def_fill_defaults() fills.
 */
static bool bridge_name_valid(const char *s) {
        const char *pct = strchr(s, '%');
        size_t len = strlen(s);

        if (len == 0 || strcmp(s, ".") == 0 || strcmp(s, "..") == 0 || strchr(s, '/'))
                return false;
        for (const char *p = s; *p; p++)
                if (g_ascii_isspace(*p) || g_ascii_iscntrl(*p) || *p == ':')
                        return false;
        if (pct && (pct[1] != 'd' || strchr(pct + 1, '%')))
                return false;
        /* a template must fit with a one-digit number in place of "%d" */
        return len - (pct ? 1 : 0) <= VK_NETWORK_BRIDGE_NAME_MAX;
}

/* What only a bridge we manage (isolated, nat, route, open) can have. */
static int validate_unmanaged(const VkNetworkDef *def, VkError *reterr) {
        const char *mode = vk_network_forward_mode_to_string(def->forward_mode);

        if (def->ips->len > 0)
                return invalid(reterr, "/network/ip: not supported with forward mode '%s'", mode);
        if (def->routes->len > 0)
                return invalid(reterr, "/network/route: not supported with forward mode '%s'",
                               mode);
        if (def->dns.present)
                return invalid(reterr, "/network/dns: not supported with forward mode '%s'", mode);
        if (def->domain_name)
                return invalid(reterr, "/network/domain: not supported with forward mode '%s'",
                               mode);
        if (def->has_mac)
                return invalid(reterr, "/network/mac: not supported with forward mode '%s'", mode);
        if (def->mtu)
                return invalid(reterr, "/network/mtu: not supported with forward mode '%s'", mode);
        if (def->bridge_stp != VK_TRISTATE_ABSENT || def->has_bridge_delay)
                return invalid(reterr,
                               "/network/bridge: stp and delay are for bridges virtkit creates, "
                               "not with forward mode '%s'",
                               mode);
        if (vk_network_forward_mode_is_macvtap(def)) {
                if (def->bridge_name)
                        return invalid(reterr,
                                       "/network/bridge: not supported with forward mode '%s' "
                                       "over host interfaces",
                                       mode);
                if (def->forward_dev)
                        return invalid(reterr,
                                       "/network/forward/@dev: use <interface> or <pf> with "
                                       "forward mode '%s'",
                                       mode);
        } else if (!def->bridge_name)
                return invalid(reterr,
                               "/network/forward: forward mode '%s' needs <bridge name=> or "
                               "<interface> elements",
                               mode);
        if (def->forward_mode != VK_NETWORK_FORWARD_BRIDGE && !def->forward_interfaces &&
            !def->forward_pf)
                return invalid(reterr,
                               "/network/forward: forward mode '%s' needs <interface> "
                               "or <pf> elements",
                               mode);
        if (def->forward_mode != VK_NETWORK_FORWARD_BRIDGE &&
            (def->bandwidth.inbound.set || def->bandwidth.outbound.set))
                return invalid(reterr, "/network/bandwidth: not supported with forward mode '%s'",
                               mode);
        return 0;
}

static int validate_ips(const VkNetworkDef *def, VkError *reterr) {
        int dhcp_seen[2] = { -1, -1 };
        int tftp_seen = -1;

        for (guint i = 0; i < def->ips->len; i++) {
                const VkNetworkIp *ip = def->ips->pdata[i];
                g_autofree char *path = element_path("ip", i, def->ips->len);
                int k = ip->address.family == AF_INET6;

                if (ip->ranges->len > 0 || ip->hosts->len > 0) {
                        if (dhcp_seen[k] >= 0)
                                return invalid(reterr,
                                               "%s/dhcp: only one %s address may have DHCP "
                                               "(ip[%d] has it already)",
                                               path, k ? "IPv6" : "IPv4", dhcp_seen[k] + 1);
                        dhcp_seen[k] = (int) i;
                }
                if (ip->tftp_root) {
                        if (tftp_seen >= 0)
                                return invalid(reterr,
                                               "%s/tftp: only one address may have TFTP "
                                               "(ip[%d] has it already)",
                                               path, tftp_seen + 1);
                        tftp_seen = (int) i;
                }
                if (ip->bootp_file && ip->ranges->len == 0 && ip->hosts->len == 0)
                        return invalid(reterr, "%s/dhcp/bootp: needs a DHCP range or host", path);
                for (guint j = 0; j < i; j++) {
                        const VkNetworkIp *o = def->ips->pdata[j];
                        unsigned p = MIN(o->prefix, ip->prefix);
                        char a[VK_NET_ADDR_STRING_MAX];

                        if (vk_net_addr_in_subnet(&ip->address, &o->address, p))
                                return invalid(reterr,
                                               "%s: subnet of %s/%u overlaps the one of "
                                               "ip[%u]",
                                               path, vk_net_addr_format(&ip->address, a),
                                               ip->prefix, j + 1);
                }
        }
        return 0;
}

static int validate_routes(const VkNetworkDef *def, VkError *reterr) {
        for (guint i = 0; i < def->routes->len; i++) {
                const VkNetworkRoute *rt = def->routes->pdata[i];
                g_autofree char *path = element_path("route", i, def->routes->len);
                char a[VK_NET_ADDR_STRING_MAX];
                bool reachable = false;

                for (guint j = 0; j < def->ips->len; j++) {
                        const VkNetworkIp *ip = def->ips->pdata[j];

                        if (vk_net_addr_in_subnet(&rt->gateway, &ip->address, ip->prefix))
                                reachable = true;
                }
                if (!reachable)
                        return invalid(reterr,
                                       "%s/@gateway: %s is in none of the network's subnets", path,
                                       vk_net_addr_format(&rt->gateway, a));
        }
        return 0;
}

static int validate_portgroups(const VkNetworkDef *def, VkError *reterr) {
        int default_seen = -1;

        for (guint i = 0; i < def->portgroups->len; i++) {
                const VkNetworkPortgroup *pg = def->portgroups->pdata[i];
                g_autofree char *path = element_path("portgroup", i, def->portgroups->len);

                for (guint j = 0; j < i; j++) {
                        const VkNetworkPortgroup *o = def->portgroups->pdata[j];

                        if (strcmp(o->name, pg->name) == 0)
                                return invalid(reterr, "%s/@name: a second portgroup '%s'", path,
                                               pg->name);
                }
                if (pg->is_default) {
                        if (default_seen >= 0)
                                return invalid(reterr,
                                               "%s/@default: portgroup '%s' is the default "
                                               "already",
                                               path,
                                               ((VkNetworkPortgroup *)
                                                        def->portgroups->pdata[default_seen])
                                                       ->name);
                        default_seen = (int) i;
                }
        }
        return 0;
}

/*
 * Check what no single element can: the elements a forward mode allows, at most one DHCP
 * address per family and one TFTP root, subnets that do not overlap, route gateways inside
 * the network, portgroup names unique with one default at most, a usable bridge name. Parsing
 * calls it; call it again after changing a definition by hand. Returns 0, or -EINVAL with an
 * InvalidXML error naming the element.
 */
int vk_network_def_validate(const VkNetworkDef *def, VkError *reterr) {
        int r;

        assert(def);

        if (def->bridge_name && !bridge_name_valid(def->bridge_name))
                return invalid(reterr, "/network/bridge/@name: invalid bridge name '%s'",
                               def->bridge_name);
        if (!vk_network_forward_mode_has_bridge(def->forward_mode)) {
                r = validate_unmanaged(def, reterr);
                if (r < 0)
                        return r;
        }
        if (def->bridge_name && strchr(def->bridge_name, '%') &&
            !vk_network_forward_mode_has_bridge(def->forward_mode))
                return invalid(reterr, "/network/bridge/@name: a name template is only for bridges "
                                       "virtkit creates");
        if (def->domain_local_only != VK_TRISTATE_ABSENT && !def->domain_name)
                return invalid(reterr, "/network/domain: localOnly needs a name");
        r = validate_ips(def, reterr);
        if (r < 0)
                return r;
        r = validate_routes(def, reterr);
        if (r < 0)
                return r;
        return validate_portgroups(def, reterr);
}
