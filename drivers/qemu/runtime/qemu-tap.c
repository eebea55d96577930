/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-tap.c: the tap device of a guest NIC: created, put on a bridge, removed (rtnetlink) */
#include <assert.h>
#include <fcntl.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/if_tun.h>
#include <linux/rtnetlink.h>
#include <linux/if_link.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>

#include "macro.h"
#include "qemu-tap.h"

/*
 * qemud makes the taps of its guests itself, as libvirt's QEMU driver does: TUNSETIFF on
 * /dev/net/tun (the kernel picks the lowest free vnetN for a "vnet%d" name), then one
 * RTM_NEWLINK giving the host side its MAC (the guest's with 0xFE first, so the bridge never
 * takes the guest's address as its own), the MTU, the bridge as master and IFF_UP. The tap is
 * not persistent: it lives as long as an fd on it does, i.e. as long as QEMU. Deleting it
 * explicitly covers a QEMU that is gone while we still hold the fd.
 */

void vk_qemu_nl_sock_done(VkQemuNlSock *s) {
        if (s->sock)
                nl_socket_free(s->sock);
}

/* An rtnetlink socket, connected, in @s (cleared with vk_qemu_nl_sock_done()). */
int vk_qemu_nl_sock_open(VkQemuNlSock *s, VkError *reterr) {
        int r;

        s->sock = nl_socket_alloc();
        if (!s->sock)
                return vk_error_set(reterr, VK_ERROR_SYSTEM, -ENOMEM,
                                    "Failed to allocate a netlink socket");
        r = nl_connect(s->sock, NETLINK_ROUTE);
        if (r < 0)
                return vk_error_set(reterr, VK_ERROR_SYSTEM, -EIO,
                                    "Failed to open an rtnetlink socket: %s", nl_geterror(r));
        return 0;
}

static struct nl_msg *tap_link_msg(int type, int index, unsigned flags, unsigned change) {
        struct ifinfomsg ifi = {
                .ifi_family = AF_UNSPEC,
                .ifi_index = index,
                .ifi_flags = flags,
                .ifi_change = change,
        };
        struct nl_msg *msg = nlmsg_alloc_simple(type, NLM_F_REQUEST | NLM_F_ACK);

        if (msg && nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0) {
                nlmsg_free(msg);
                msg = NULL;
        }
        return msg;
}

/* The MTU of interface @name (SIOCGIFMTU), or a negative errno. */
static int tap_get_mtu(const char *name) {
        struct ifreq ifr = {};
        vk_autofd fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

        if (fd < 0)
                return -errno;
        g_strlcpy(ifr.ifr_name, name, sizeof(ifr.ifr_name));
        if (ioctl(fd, SIOCGIFMTU, &ifr) < 0)
                return -errno;
        return ifr.ifr_mtu;
}

/* MAC, MTU, master and IFF_UP of the new tap in one request. */
static int tap_configure(const VkQemuTap *tap, const VkQemuTapSpec *spec, int master, unsigned mtu,
                         VkError *reterr) {
        g_auto(VkQemuNlSock) s = {};
        struct nl_msg *msg;
        uint8_t mac[6];
        int r;

        r = vk_qemu_nl_sock_open(&s, reterr);
        if (r < 0)
                return r;
        msg = tap_link_msg(RTM_NEWLINK, tap->ifindex, IFF_UP, IFF_UP);
        if (!msg)
                return vk_error_set(reterr, VK_ERROR_SYSTEM, -ENOMEM, "Out of memory");
        memcpy(mac, spec->mac, sizeof(mac));
        mac[0] = 0xfe;
        r = nla_put(msg, IFLA_ADDRESS, sizeof(mac), mac);
        if (r >= 0 && mtu > 0)
                r = nla_put_u32(msg, IFLA_MTU, mtu);
        if (r >= 0 && master > 0)
                r = nla_put_u32(msg, IFLA_MASTER, (uint32_t) master);
        if (r < 0) {
                nlmsg_free(msg);
                return vk_error_set(reterr, VK_ERROR_SYSTEM, -ENOMEM, "Out of memory");
        }
        r = nl_send_sync(s.sock, msg); /* frees msg */
        if (r < 0)
                return vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, -EIO,
                                    "Failed to set up tap '%s'%s%s%s: %s", tap->name,
                                    spec->bridge ? " on bridge '" : "",
                                    spec->bridge ? spec->bridge : "", spec->bridge ? "'" : "",
                                    nl_geterror(r));
        return 0;
}

/*
 * Create the tap @spec describes: up, with the host-side MAC, the MTU (@spec->mtu, else the
 * bridge's) and on @spec->bridge. *@ret holds its name, index and the fd for QEMU; on failure
 * nothing is left.
 */
int vk_qemu_tap_create(const VkQemuTapSpec *spec, VkQemuTap *ret, VkError *reterr) {
        struct ifreq ifr = {};
        vk_autofd fd = -1;
        int master = 0;
        unsigned mtu = spec->mtu;
        VkQemuTap tap = { .fd = -1 };
        int r;

        assert(spec && spec->mac && ret);

        if (spec->name && strlen(spec->name) >= IFNAMSIZ)
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "interface name '%s' is too long", spec->name);
        if (spec->name && if_nametoindex(spec->name) > 0)
                return vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, -EEXIST,
                                    "cannot create tap '%s': an interface of that name exists",
                                    spec->name);
        if (spec->bridge) {
                master = (int) if_nametoindex(spec->bridge);
                if (master <= 0)
                        return vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, -ENODEV,
                                            "bridge '%s' does not exist", spec->bridge);
                if (mtu == 0) {
                        r = tap_get_mtu(spec->bridge);
                        if (r < 0)
                                return vk_error_set_errno(reterr, r,
                                                          "Failed to get the MTU of bridge '%s'",
                                                          spec->bridge);
                        mtu = (unsigned) r;
                }
        }

        fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
        if (fd < 0)
                return vk_error_set_errno(reterr, errno, "Failed to open /dev/net/tun");
        g_strlcpy(ifr.ifr_name, spec->name ? spec->name : "vnet%d", sizeof(ifr.ifr_name));
        ifr.ifr_flags = IFF_TAP | IFF_NO_PI | (spec->vnet_hdr ? IFF_VNET_HDR : 0);
        if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
                r = -errno;
                if (r == -EPERM)
                        return vk_error_set(reterr, VK_ERROR_PERMISSION_DENIED, r,
                                            "Cannot create tap '%s': the daemon lacks "
                                            "CAP_NET_ADMIN (a session instance cannot make "
                                            "taps: use the system instance)",
                                            spec->name ? spec->name : "vnet%d");
                return vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, r,
                                    "Failed to create tap '%s': %s",
                                    spec->name ? spec->name : "vnet%d", g_strerror(-r));
        }
        g_strlcpy(tap.name, ifr.ifr_name, sizeof(tap.name));
        tap.ifindex = (int) if_nametoindex(tap.name);
        if (tap.ifindex <= 0)
                return vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, -ENODEV,
                                    "tap '%s' vanished after its creation", tap.name);
        /* on failure closing the fd removes the tap (it is not persistent) */
        r = tap_configure(&tap, spec, master, mtu, reterr);
        if (r < 0)
                return r;
        tap.fd = vk_steal_fd(&fd);
        *ret = tap;
        return 0;
}

/*
 * Remove the tap @name if it still is the interface @ifindex (0: whatever has that name).
 * Returns 0, or -ENODEV when it is gone already (what usually happens: QEMU held its last fd).
 */
int vk_qemu_tap_delete(const char *name, int ifindex) {
        g_auto(VkQemuNlSock) s = {};
        struct nl_msg *msg;
        int index = (int) if_nametoindex(name);
        int r;

        if (index <= 0 || (ifindex > 0 && index != ifindex))
                return -ENODEV;
        if (vk_qemu_nl_sock_open(&s, NULL) < 0)
                return -EIO;
        msg = tap_link_msg(RTM_DELLINK, index, 0, 0);
        if (!msg)
                return -ENOMEM;
        r = nl_send_sync(s.sock, msg);
        return r < 0 ? -EIO : 0;
}
