/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-macvtap.c: the macvtap link of a guest NIC on a host interface (rtnetlink, /dev/tapN) */
#include <assert.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <linux/if_link.h>
#include <linux/if_tun.h>
#include <netlink/addr.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/link/macvtap.h>

#include "atomic-file.h"
#include "macro.h"
#include "qemu-macvtap.h"

/*
 * <interface type='direct'> as libvirt's QEMU driver does it: qemud creates a macvtap link on
 * the host interface (one RTM_NEWLINK: name macvtapN, the guest's MAC, the mode, up), opens
 * its character device /dev/tapN (N: the link's ifindex) with IFF_VNET_HDR for virtio, and
 * QEMU gets that fd as for a tap (-netdev tap,fd=). Unlike a tap, the link outlives every fd
 * on it: whoever finds QEMU gone deletes it by the name and ifindex recorded in the status
 * file (qemu-process-net.c). Its ifalias names the domain ("virtkit-qemu:<UUID>"): a qemud
 * killed after making it and before the status file recorded it leaves a link no status
 * names, which the next qemud finds by that alias and deletes (vk_qemu_macvtap_sweep()).
 */

/* How many macvtapN names are tried before giving up. */
#define MACVTAP_NAMES_MAX 8192

static uint32_t macvtap_kernel_mode(VkNetDirectMode m) {
        switch (m) {
        case VK_NET_DIRECT_PRIVATE:
                return MACVLAN_MODE_PRIVATE;
        case VK_NET_DIRECT_BRIDGE:
                return MACVLAN_MODE_BRIDGE;
        case VK_NET_DIRECT_PASSTHROUGH:
                return MACVLAN_MODE_PASSTHRU;
        default:
                return MACVLAN_MODE_VEPA;
        }
}

/* One RTM_NEWLINK (create, exclusive): 0, -EEXIST when @name is taken, else -EIO + @reterr. */
static int macvtap_add(VkQemuNlSock *s, const char *name, int parent, const VkQemuMacvtapSpec *spec,
                       VkError *reterr) {
        struct rtnl_link *link = rtnl_link_macvtap_alloc();
        struct nl_addr *addr = NULL;
        int r;

        if (!link)
                return vk_error_set(reterr, VK_ERROR_SYSTEM, -ENOMEM, "Out of memory");
        rtnl_link_set_name(link, name);
        rtnl_link_set_link(link, parent);
        rtnl_link_set_flags(link, IFF_UP);
        r = rtnl_link_macvtap_set_mode(link, macvtap_kernel_mode(spec->mode));
        if (r >= 0) {
                addr = nl_addr_build(AF_LLC, spec->mac, 6);
                if (!addr)
                        r = -NLE_NOMEM;
        }
        if (r >= 0) {
                rtnl_link_set_addr(link, addr);
                r = rtnl_link_add(s->sock, link, NLM_F_CREATE | NLM_F_EXCL);
        }
        nl_addr_put(addr);
        rtnl_link_put(link);
        /* the owner goes on at once: the kernel takes no alias with the new link */
        if (r >= 0 && spec->owner) {
                struct rtnl_link *chg = rtnl_link_alloc();

                if (!chg)
                        r = -NLE_NOMEM;
                else {
                        rtnl_link_set_ifindex(chg, (int) if_nametoindex(name));
                        rtnl_link_set_ifalias(chg, spec->owner);
                        r = rtnl_link_change(s->sock, chg, chg, 0);
                        rtnl_link_put(chg);
                }
                if (r < 0)
                        (void) vk_qemu_tap_delete(name, 0);
        }
        if (r == -NLE_EXIST)
                return -EEXIST;
        if (r == -NLE_PERM)
                return vk_error_set(reterr, VK_ERROR_PERMISSION_DENIED, -EPERM,
                                    "Cannot create macvtap '%s' on '%s': the daemon lacks "
                                    "CAP_NET_ADMIN (use the system instance)",
                                    name, spec->parent);
        if (r < 0)
                return vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, -EIO,
                                    "Failed to create macvtap '%s' on host interface '%s' "
                                    "(mode '%s'): %s",
                                    name, spec->parent, vk_net_direct_mode_to_string(spec->mode),
                                    nl_geterror(r));
        return 0;
}

/* "/dev/tapN" of the macvtap with @ifindex. */
char *vk_qemu_macvtap_device_path(int ifindex) {
        return g_strdup_printf("/dev/tap%d", ifindex);
}

/*
 * Open /dev/tapN of macvtap @name (index @ifindex), checked against the device number sysfs
 * gives (a node of that name may belong to a macvtap of another network namespace).
 */
static int macvtap_open(const char *name, int ifindex, bool vnet_hdr, int *ret_fd,
                        VkError *reterr) {
        g_autofree char *dev = vk_qemu_macvtap_device_path(ifindex);
        g_autofree char *sys =
                g_strdup_printf("/sys/class/net/%s/macvtap/tap%d/dev", name, ifindex);
        g_autofree char *text = NULL;
        unsigned maj, min;
        struct ifreq ifr = {};
        unsigned features = 0;
        struct stat st;
        vk_autofd fd = -1;
        int r;

        r = vk_file_read_all(sys, 4096, &text, NULL, NULL);
        if (r < 0 || sscanf(text, "%u:%u", &maj, &min) != 2)
                return vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, r < 0 ? r : -EBADMSG,
                                    "macvtap '%s': cannot read its device number from '%s'", name,
                                    sys);
        fd = open(dev, O_RDWR | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return vk_error_set_errno(reterr, errno, "Failed to open '%s' of macvtap '%s'", dev,
                                          name);
        if (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode) || major(st.st_rdev) != maj ||
            minor(st.st_rdev) != min)
                return vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, -ENODEV,
                                    "'%s' is not the device of macvtap '%s' (%u:%u): a macvtap "
                                    "of another network namespace has that index",
                                    dev, name, maj, min);
        if (vnet_hdr) {
                if (ioctl(fd, TUNGETIFF, &ifr) < 0)
                        return vk_error_set_errno(reterr, errno, "TUNGETIFF on '%s' failed", dev);
                if (ioctl(fd, TUNGETFEATURES, &features) >= 0 && (features & IFF_VNET_HDR)) {
                        ifr.ifr_flags |= IFF_VNET_HDR;
                        if (ioctl(fd, TUNSETIFF, &ifr) < 0)
                                return vk_error_set_errno(
                                        reterr, errno, "Failed to set IFF_VNET_HDR on '%s'", dev);
                }
        }
        *ret_fd = vk_steal_fd(&fd);
        return 0;
}

/*
 * Create the macvtap @spec describes: on @spec->parent, with the guest's MAC, the mode, up,
 * named @spec->name or the lowest free macvtapN. *@ret holds its name, index and the fd of
 * /dev/tapN for QEMU; on failure nothing is left (the link is deleted again).
 */
int vk_qemu_macvtap_create(const VkQemuMacvtapSpec *spec, VkQemuTap *ret, VkError *reterr) {
        g_auto(VkQemuNlSock) s = {};
        VkQemuTap tap = { .fd = -1 };
        int parent, r = -EEXIST;

        assert(spec && spec->parent && spec->mac && ret);

        if (spec->name && strlen(spec->name) >= IFNAMSIZ)
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "interface name '%s' is too long", spec->name);
        parent = (int) if_nametoindex(spec->parent);
        if (parent <= 0)
                return vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, -ENODEV,
                                    "host interface '%s' (<source dev>) does not exist",
                                    spec->parent);
        r = vk_qemu_nl_sock_open(&s, reterr);
        if (r < 0)
                return r;
        if (spec->name) {
                g_strlcpy(tap.name, spec->name, sizeof(tap.name));
                r = macvtap_add(&s, tap.name, parent, spec, reterr);
                if (r == -EEXIST)
                        return vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, -EEXIST,
                                            "cannot create macvtap '%s': an interface of that "
                                            "name exists",
                                            spec->name);
        } else
                /* the kernel picks no name for us: try macvtap0, 1, ... (as libvirt) */
                for (int i = 0; i < MACVTAP_NAMES_MAX; i++) {
                        g_snprintf(tap.name, sizeof(tap.name), "macvtap%d", i);
                        if (if_nametoindex(tap.name) > 0)
                                continue;
                        r = macvtap_add(&s, tap.name, parent, spec, reterr);
                        if (r != -EEXIST)
                                break;
                }
        if (r == -EEXIST)
                return vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, -EEXIST,
                                    "no free macvtap name (macvtap0 to macvtap%d are taken)",
                                    MACVTAP_NAMES_MAX - 1);
        if (r < 0)
                return r;
        tap.ifindex = (int) if_nametoindex(tap.name);
        if (tap.ifindex <= 0)
                return vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, -ENODEV,
                                    "macvtap '%s' vanished after its creation", tap.name);
        r = macvtap_open(tap.name, tap.ifindex, spec->vnet_hdr, &tap.fd, reterr);
        if (r < 0) {
                (void) vk_qemu_tap_delete(tap.name, tap.ifindex);
                return r;
        }
        *ret = tap;
        return 0;
}

/*
 * Delete the macvtaps of this network namespace whose alias says qemud made them
 * (VK_QEMU_MACVTAP_OWNER_PREFIX) unless @keep(owner UUID, name) says they are in use: run by
 * a qemud starting, after it found its running domains again.
 */
void vk_qemu_macvtap_sweep(bool (*keep)(const char *owner_uuid, const char *name, void *userdata),
                           void *userdata) {
        struct if_nameindex *ifs = if_nameindex();

        for (size_t i = 0; ifs && ifs[i].if_name; i++) {
                g_autofree char *kind = NULL, *alias = NULL;
                g_autofree char *base = g_strdup_printf("/sys/class/net/%s", ifs[i].if_name);
                g_autofree char *mv = g_build_filename(base, "macvtap", NULL);
                g_autofree char *ap = g_build_filename(base, "ifalias", NULL);

                if (!g_file_test(mv, G_FILE_TEST_IS_DIR) ||
                    vk_file_read_all(ap, 4096, &alias, NULL, NULL) < 0)
                        continue;
                g_strstrip(alias);
                if (!g_str_has_prefix(alias, VK_QEMU_MACVTAP_OWNER_PREFIX) ||
                    keep(alias + strlen(VK_QEMU_MACVTAP_OWNER_PREFIX), ifs[i].if_name, userdata))
                        continue;
                (void) vk_qemu_tap_delete(ifs[i].if_name, (int) ifs[i].if_index);
        }
        if (ifs)
                if_freenameindex(ifs);
}
