/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* network-netlink.c: bridges, addresses, routes and link state over rtnetlink (libnl-3 route) */
#include <assert.h>
#include <net/if.h>
#include <stdarg.h>
#include <string.h>

#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/route.h>

#include "macro.h"
#include "network-netlink.h"

struct VkNetlink {
        struct nl_sock *sock;
};

/* libnl's error codes carry no errno: keep the ones callers tell apart. */
static int netlink_errno(int nlerr) {
        switch (-nlerr) {
        case NLE_EXIST:
                return -EEXIST;
        case NLE_OBJ_NOTFOUND:
        case NLE_NODEV:
                return -ENODEV;
        case NLE_PERM:
                return -EPERM;
        case NLE_INVAL:
        case NLE_RANGE:
                return -EINVAL;
        default:
                return -EIO;
        }
}

static int netlink_error(VkError *reterr, int nlerr, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

/* @fmt and its arguments, then libnl's description of @nlerr. */
static int netlink_error(VkError *reterr, int nlerr, const char *fmt, ...) {
        g_autofree char *msg = NULL;
        int r = netlink_errno(nlerr);
        va_list ap;

        va_start(ap, fmt);
        msg = g_strdup_vprintf(fmt, ap);
        va_end(ap);
        return vk_error_set(reterr,
                            r == -EPERM ? VK_ERROR_PERMISSION_DENIED : VK_ERROR_OPERATION_FAILED, r,
                            "%s: %s", msg, nl_geterror(nlerr));
}

/* A route netlink socket; blocks on its replies (each request is one short round trip). */
int vk_netlink_open(VkNetlink **ret, VkError *reterr) {
        g_autoptr(VkNetlink) nl = g_new0(VkNetlink, 1);
        int r;

        assert(ret);
        nl->sock = nl_socket_alloc();
        if (!nl->sock)
                return vk_error_set(reterr, VK_ERROR_SYSTEM, -ENOMEM,
                                    "Failed to allocate a netlink socket");
        r = nl_connect(nl->sock, NETLINK_ROUTE);
        if (r < 0)
                return netlink_error(reterr, r, "Failed to open a %s socket", "rtnetlink");
        *ret = g_steal_pointer(&nl);
        return 0;
}

VkNetlink *vk_netlink_close(VkNetlink *nl) {
        if (!nl)
                return NULL;
        if (nl->sock)
                nl_socket_free(nl->sock);
        g_free(nl);
        return NULL;
}

/* The index of interface @name in our network namespace, or 0 when there is none. */
int vk_netlink_link_index(const char *name) {
        return (int) if_nametoindex(name);
}

static struct nl_msg *netlink_link_msg(int type, int flags, int index, unsigned ifi_flags,
                                       unsigned ifi_change) {
        struct ifinfomsg ifi = {
                .ifi_family = AF_UNSPEC,
                .ifi_index = index,
                .ifi_flags = ifi_flags,
                .ifi_change = ifi_change,
        };
        struct nl_msg *msg = nlmsg_alloc_simple(type, NLM_F_REQUEST | NLM_F_ACK | flags);

        if (!msg)
                return NULL;
        if (nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0) {
                nlmsg_free(msg);
                return NULL;
        }
        return msg;
}

/*
 * Create the bridge @br->name with its MAC, MTU, STP state and forward delay in one request
 * (the delay comes before STP in the kernel's handling, so delay 0 with STP on is taken).
 * EEXIST when an interface of that name exists.
 */
int vk_netlink_bridge_add(VkNetlink *nl, const VkNetlinkBridge *br, VkError *reterr) {
        struct nl_msg *msg;
        struct nlattr *info, *data;
        int r;

        assert(nl);
        assert(br && br->name);

        msg = netlink_link_msg(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, 0, 0, 0);
        if (!msg)
                return vk_error_set(reterr, VK_ERROR_SYSTEM, -ENOMEM, "Out of memory");
        r = nla_put_string(msg, IFLA_IFNAME, br->name);
        if (r >= 0 && br->mac)
                r = nla_put(msg, IFLA_ADDRESS, sizeof(br->mac->bytes), br->mac->bytes);
        if (r >= 0 && br->mtu > 0)
                r = nla_put_u32(msg, IFLA_MTU, br->mtu);
        info = r >= 0 ? nla_nest_start(msg, IFLA_LINKINFO) : NULL;
        if (info) {
                r = nla_put_string(msg, IFLA_INFO_KIND, "bridge");
                data = r >= 0 ? nla_nest_start(msg, IFLA_INFO_DATA) : NULL;
                if (data) {
                        /* clock_t: USER_HZ (100) per second */
                        r = nla_put_u32(msg, IFLA_BR_FORWARD_DELAY, br->delay * 100);
                        if (r >= 0)
                                r = nla_put_u32(msg, IFLA_BR_STP_STATE, br->stp ? 1 : 0);
                        nla_nest_end(msg, data);
                } else
                        r = -NLE_NOMEM;
                nla_nest_end(msg, info);
        } else
                r = -NLE_NOMEM;
        if (r < 0) {
                nlmsg_free(msg);
                return netlink_error(reterr, r, "Failed to build the request for bridge '%s'",
                                     br->name);
        }
        r = nl_send_sync(nl->sock, msg); /* frees msg */
        if (r == -NLE_EXIST)
                return vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, -EEXIST,
                                    "Bridge name '%s' is already used by a host interface",
                                    br->name);
        if (r == -NLE_PERM)
                return vk_error_set(reterr, VK_ERROR_PERMISSION_DENIED, -EPERM,
                                    "Cannot create bridge '%s': virtkit-networkd lacks "
                                    "CAP_NET_ADMIN (a session instance cannot create bridges: "
                                    "use the system instance)",
                                    br->name);
        if (r < 0)
                return netlink_error(reterr, r, "Failed to create bridge '%s'", br->name);
        return 0;
}

static int netlink_require_index(const char *name, VkError *reterr) {
        int index = vk_netlink_link_index(name);

        if (index <= 0)
                return vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, -ENODEV,
                                    "Interface '%s' does not exist", name);
        return index;
}

/* Delete interface @name; -ENODEV (and @reterr) when it is gone already. */
int vk_netlink_link_delete(VkNetlink *nl, const char *name, VkError *reterr) {
        struct nl_msg *msg;
        int index, r;

        index = netlink_require_index(name, reterr);
        if (index < 0)
                return index;
        msg = netlink_link_msg(RTM_DELLINK, 0, index, 0, 0);
        if (!msg)
                return vk_error_set(reterr, VK_ERROR_SYSTEM, -ENOMEM, "Out of memory");
        r = nl_send_sync(nl->sock, msg);
        if (r < 0)
                return netlink_error(reterr, r, "Failed to delete interface '%s'", name);
        return 0;
}

int vk_netlink_link_set_up(VkNetlink *nl, const char *name, VkError *reterr) {
        struct nl_msg *msg;
        int index, r;

        index = netlink_require_index(name, reterr);
        if (index < 0)
                return index;
        msg = netlink_link_msg(RTM_NEWLINK, 0, index, IFF_UP, IFF_UP);
        if (!msg)
                return vk_error_set(reterr, VK_ERROR_SYSTEM, -ENOMEM, "Out of memory");
        r = nl_send_sync(nl->sock, msg);
        if (r < 0)
                return netlink_error(reterr, r, "Failed to bring interface '%s' up", name);
        return 0;
}

static struct nl_addr *netlink_addr(const VkNetAddr *a, unsigned prefix) {
        struct nl_addr *n = nl_addr_build(a->family, a->bytes, a->family == AF_INET ? 4 : 16);

        if (n)
                nl_addr_set_prefixlen(n, (int) prefix);
        return n;
}

/* Add @addr/@prefix to interface @name (IPv4 with its broadcast address). */
int vk_netlink_addr_add(VkNetlink *nl, const char *name, const VkNetAddr *addr, unsigned prefix,
                        VkError *reterr) {
        char buf[VK_NET_ADDR_STRING_MAX];
        struct rtnl_addr *ra = NULL;
        struct nl_addr *local = NULL, *bcast = NULL;
        int index, r = -NLE_NOMEM;

        index = netlink_require_index(name, reterr);
        if (index < 0)
                return index;
        ra = rtnl_addr_alloc();
        local = netlink_addr(addr, prefix);
        if (!ra || !local)
                goto finish;
        rtnl_addr_set_ifindex(ra, index);
        rtnl_addr_set_family(ra, addr->family);
        r = rtnl_addr_set_local(ra, local);
        if (r < 0)
                goto finish;
        rtnl_addr_set_prefixlen(ra, (int) prefix);
        if (addr->family == AF_INET && prefix < 31) {
                VkNetAddr b;

                vk_net_addr_broadcast(addr, prefix, &b);
                bcast = netlink_addr(&b, 32);
                if (!bcast) {
                        r = -NLE_NOMEM;
                        goto finish;
                }
                r = rtnl_addr_set_broadcast(ra, bcast);
                if (r < 0)
                        goto finish;
        }
        r = rtnl_addr_add(nl->sock, ra, 0);
finish:
        if (bcast)
                nl_addr_put(bcast);
        if (local)
                nl_addr_put(local);
        if (ra)
                rtnl_addr_put(ra);
        if (r < 0) {
                g_autofree char *what = g_strdup_printf(
                        "%s/%u' to '%s", vk_net_addr_format(addr, buf), prefix, name);

                return netlink_error(reterr, r, "Failed to add address '%s'", what);
        }
        return 0;
}

/* A static route @dst/@prefix via @gateway on interface @name. */
int vk_netlink_route_add(VkNetlink *nl, const char *name, const VkNetAddr *dst, unsigned prefix,
                         const VkNetAddr *gateway, unsigned metric, VkError *reterr) {
        char buf[VK_NET_ADDR_STRING_MAX];
        struct rtnl_route *rt = NULL;
        struct rtnl_nexthop *nh = NULL;
        struct nl_addr *d = NULL, *gw = NULL;
        int index, r = -NLE_NOMEM;

        index = netlink_require_index(name, reterr);
        if (index < 0)
                return index;
        rt = rtnl_route_alloc();
        nh = rtnl_route_nh_alloc();
        d = netlink_addr(dst, prefix);
        gw = netlink_addr(gateway, gateway->family == AF_INET ? 32 : 128);
        if (!rt || !nh || !d || !gw)
                goto finish;
        rtnl_route_set_family(rt, (uint8_t) dst->family);
        r = rtnl_route_set_dst(rt, d);
        if (r < 0)
                goto finish;
        if (metric > 0)
                rtnl_route_set_priority(rt, metric);
        rtnl_route_nh_set_ifindex(nh, index);
        rtnl_route_nh_set_gateway(nh, gw);
        rtnl_route_add_nexthop(rt, g_steal_pointer(&nh));
        r = rtnl_route_add(nl->sock, rt, NLM_F_EXCL);
finish:
        if (nh)
                rtnl_route_nh_free(nh);
        if (gw)
                nl_addr_put(gw);
        if (d)
                nl_addr_put(d);
        if (rt)
                rtnl_route_put(rt);
        if (r < 0) {
                g_autofree char *what = g_strdup_printf("%s/%u' on '%s",
                                                        vk_net_addr_format(dst, buf), prefix, name);

                return netlink_error(reterr, r, "Failed to add route '%s'", what);
        }
        return 0;
}

typedef struct CollisionCheck {
        const VkNetAddr *net;
        unsigned prefix;
        char *found; /* "10.0.0.0/8 on 'eth0'" */
} CollisionCheck;

static void netlink_route_check(struct nl_object *obj, void *userdata) {
        struct rtnl_route *rt = (struct rtnl_route *) obj;
        CollisionCheck *c = userdata;
        struct nl_addr *dst = rtnl_route_get_dst(rt);
        char buf[VK_NET_ADDR_STRING_MAX], dev[IF_NAMESIZE] = "?";
        struct rtnl_nexthop *nh;
        VkNetAddr a = {};
        unsigned len, common;

        if (c->found || !dst || rtnl_route_get_table(rt) != RT_TABLE_MAIN ||
            rtnl_route_get_type(rt) != RTN_UNICAST)
                return;
        len = (unsigned) nl_addr_get_prefixlen(dst);
        if (len == 0 || nl_addr_get_family(dst) != c->net->family ||
            nl_addr_get_len(dst) > sizeof(a.bytes))
                return; /* the default route collides with nothing */
        a.family = c->net->family;
        memcpy(a.bytes, nl_addr_get_binary_addr(dst), nl_addr_get_len(dst));
        common = MIN(len, c->prefix);
        if (!vk_net_addr_in_subnet(&a, c->net, common) &&
            !vk_net_addr_in_subnet(c->net, &a, common))
                return;
        nh = rtnl_route_nexthop_n(rt, 0);
        if (nh)
                (void) if_indextoname((unsigned) rtnl_route_nh_get_ifindex(nh), dev);
        c->found = g_strdup_printf("%s/%u on '%s'", vk_net_addr_format(&a, buf), len, dev);
}

/*
 * Refuse a subnet that overlaps a route of the host's main table (another network, a LAN):
 * OperationFailed naming the route and its interface. The default route is no collision.
 */
int vk_netlink_check_route_collision(VkNetlink *nl, const char *network, const VkNetAddr *net,
                                     unsigned prefix, VkError *reterr) {
        struct nl_cache *cache = NULL;
        CollisionCheck c = { .net = net, .prefix = prefix };
        char buf[VK_NET_ADDR_STRING_MAX];
        int r;

        r = rtnl_route_alloc_cache(nl->sock, net->family, 0, &cache);
        if (r < 0)
                return netlink_error(reterr, r, "Failed to read the host's %s routes",
                                     net->family == AF_INET ? "IPv4" : "IPv6");
        nl_cache_foreach(cache, netlink_route_check, &c);
        nl_cache_free(cache);
        if (c.found) {
                r = vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, -EADDRINUSE,
                                 "Network '%s': subnet %s/%u overlaps the host route %s", network,
                                 vk_net_addr_format(net, buf), prefix, c.found);
                g_free(c.found);
                return r;
        }
        return 0;
}
