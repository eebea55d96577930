/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* network-start.c: starting a network (bridge, firewall, addresses, dnsmasq) and undoing it */
#include <assert.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "atomic-file.h"
#include "log.h"
#include "macro.h"
#include "network-dnsmasq.h"
#include "network-driver-internal.h"
#include "network-firewall.h"
#include "network-netlink.h"

/*
 * A start is a list of steps, each recorded in the network's status as soon as it is done
 * (the bridge, each firewall rule's handle, dnsmasq's pid): the status is the undo list. A
 * failure, a destroy and a destroy after a restart all run network_teardown() on it, which
 * undoes in reverse what the status names, and nothing else.
 */

char *network_file(VkNetworkDriver *drv, const char *dir, const char *name, const char *suffix) {
        g_autofree char *base = g_strconcat(name, suffix, NULL);

        return g_build_filename(dir, base, NULL);
}

char *network_status_path(VkNetworkDriver *drv, const char *name) {
        return network_file(drv, drv->run_dir, name, ".status");
}

char *network_leases_path(VkNetworkDriver *drv, const char *name) {
        return network_file(drv, drv->run_dir, name, ".leases");
}

static int sysctl_write(const char *path, const char *value, VkError *reterr) {
        int fd, r = 0;

        fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return vk_error_set_errno(reterr, -errno, "Failed to open '%s'", path);
        if (write(fd, value, strlen(value)) < 0)
                r = vk_error_set_errno(reterr, -errno, "Failed to write '%s' to '%s'", value, path);
        close(fd);
        return r;
}

static bool sysctl_is(const char *path, const char *value) {
        g_autofree char *text = NULL;

        if (vk_file_read_all(path, 64, &text, NULL, NULL) < 0)
                return false;
        return strcmp(g_strstrip(text), value) == 0;
}

/* Undo what @o->status names, in reverse order of the start; the status file goes last. */
static int network_teardown(VkNetworkDriver *drv, NetworkObj *o, VkError *reterr) {
        VkNetworkStatus *st = o->status;
        g_autofree char *status = network_status_path(drv, o->name);
        g_autofree char *pid = network_file(drv, drv->run_dir, o->name, ".pid");
        g_autofree char *leases = network_leases_path(drv, o->name);
        g_autofree char *conf = network_file(drv, drv->dnsmasq_dir, o->name, ".conf");
        g_autofree char *hosts = network_file(drv, drv->dnsmasq_dir, o->name, ".hostsfile");
        g_autofree char *addn = network_file(drv, drv->dnsmasq_dir, o->name, ".addnhosts");
        g_autoptr(GArray) handles = g_array_new(FALSE, FALSE, sizeof(VkNetworkNftHandle));
        g_autoptr(VkNetlink) nl = NULL;
        VkNetworkStatusRule *rules = st->rules.items;
        int r, ret = 0;

        network_dnsmasq_stop(drv, o);
        for (size_t i = 0; i < st->rules.n; i++) {
                VkNetworkNftHandle h = {
                        .family = vk_network_nft_family_from_string(rules[i].family),
                        .chain = vk_network_nft_chain_static(rules[i].chain),
                        .handle = rules[i].handle,
                };

                if (h.family >= 0 && h.chain)
                        g_array_append_val(handles, h);
        }
        r = vk_network_firewall_remove((const VkNetworkNftHandle *) (void *) handles->data,
                                       handles->len, reterr);
        if (r < 0)
                ret = r;
        r = vk_network_ipt_remove(drv->event, st, ret < 0 ? NULL : reterr);
        if (r < 0 && ret == 0)
                ret = r;
        if (st->bridge && vk_netlink_link_index(st->bridge) > 0) {
                r = vk_netlink_open(&nl, ret < 0 ? NULL : reterr);
                if (r >= 0)
                        r = vk_netlink_link_delete(nl, st->bridge, ret < 0 ? NULL : reterr);
                if (r < 0 && ret == 0)
                        ret = r;
        }
        network_ports_drop(drv, o);
        (void) vk_file_remove(pid);
        (void) vk_file_remove(leases);
        (void) vk_file_remove(conf);
        (void) vk_file_remove(hosts);
        (void) vk_file_remove(addn);
        if (ret == 0)
                (void) vk_file_remove(status);
        return ret;
}

int network_save_status(VkNetworkDriver *drv, NetworkObj *o, VkError *reterr) {
        g_autofree char *path = network_status_path(drv, o->name);

        return vk_network_status_save(path, o->status, reterr);
}

/*
 * The status as a start goes (the bridge, then the rules' handles): atomic, but not fsync()ed.
 * It is the undo list for a crash of networkd, which the page cache survives; what it names
 * (a bridge, rules) does not survive the host, and the start's last save is synced.
 */
static int network_save_status_starting(VkNetworkDriver *drv, NetworkObj *o, VkError *reterr) {
        g_autofree char *path = network_status_path(drv, o->name);

        return vk_network_status_save_full(path, o->status, VK_ATOMIC_FILE_NO_SYNC, reterr);
}

/*
 * dnsmasq's configuration and hosts files: atomic, not fsync()ed. They are written again from
 * the live definition at every start of dnsmasq (also after a host crash) and read by the
 * dnsmasq started right after, so only a crash of networkd matters, which they survive.
 */
int network_write(VkNetworkDriver *drv, const char *path, const char *text, VkError *reterr) {
        return vk_atomic_file_write_full(path, text, strlen(text), 0644, VK_ATOMIC_FILE_NO_SYNC,
                                         reterr);
}

static int network_check_subnets(VkNetlink *nl, const VkNetworkDef *def, VkError *reterr) {
        for (guint i = 0; i < def->ips->len; i++) {
                const VkNetworkIp *ip = def->ips->pdata[i];
                VkNetAddr net;
                int r;

                vk_net_addr_network(&ip->address, ip->prefix, &net);
                r = vk_netlink_check_route_collision(nl, def->name, &net, ip->prefix, reterr);
                if (r < 0)
                        return r;
        }
        return 0;
}

static bool network_has_family(const VkNetworkDef *def, int family) {
        for (guint i = 0; i < def->ips->len; i++)
                if (((VkNetworkIp *) def->ips->pdata[i])->address.family == family)
                        return true;
        return false;
}

static int network_ipv6_sysctls(const char *bridge, VkError *reterr) {
        static const char *const keys[][2] = {
                { "disable_ipv6", "0" },
                { "accept_ra", "0" },
                { "autoconf", "0" },
        };

        for (size_t i = 0; i < G_N_ELEMENTS(keys); i++) {
                g_autofree char *path =
                        g_strdup_printf("/proc/sys/net/ipv6/conf/%s/%s", bridge, keys[i][0]);
                int r = sysctl_write(path, keys[i][1], reterr);

                if (r < 0)
                        return r;
        }
        return 0;
}

/* The steps after the bridge exists, each recorded in o->status. */
static int network_start_steps(VkNetworkDriver *drv, NetworkObj *o, VkNetlink *nl,
                               const VkNetworkDef *def, VkError *reterr) {
        const char *br = def->bridge_name;
        g_autoptr(GArray) handles = NULL;
        VkNetworkForwardMode m = def->forward_mode;
        int r;

        if (network_has_family(def, AF_INET6)) {
                r = network_ipv6_sysctls(br, reterr);
                if (r < 0)
                        return r;
        }

        if (drv->firewall == VK_NETWORK_FIREWALL_IPTABLES) {
                /* recorded rule by rule: what a failure half way added goes too */
                r = vk_network_ipt_add(drv->event, def, o->status, reterr);
                if (r < 0)
                        return r;
        } else {
                r = vk_network_firewall_add(def, &handles, reterr);
                if (r < 0)
                        return r;
                for (guint i = 0; i < handles->len; i++) {
                        const VkNetworkNftHandle *h =
                                &g_array_index(handles, VkNetworkNftHandle, i);

                        vk_network_status_add_rule(o->status,
                                                   vk_network_nft_family_to_string(h->family),
                                                   h->chain, h->handle);
                }
        }
        r = network_save_status_starting(drv, o, reterr);
        if (r < 0)
                return r;

        for (guint i = 0; i < def->ips->len; i++) {
                const VkNetworkIp *ip = def->ips->pdata[i];

                r = vk_netlink_addr_add(nl, br, &ip->address, ip->prefix, reterr);
                if (r < 0)
                        return r;
        }
        r = vk_netlink_link_set_up(nl, br, reterr);
        if (r < 0)
                return r;
        for (guint i = 0; i < def->routes->len; i++) {
                const VkNetworkRoute *rt = def->routes->pdata[i];

                r = vk_netlink_route_add(nl, br, &rt->address, rt->prefix, &rt->gateway, rt->metric,
                                         reterr);
                if (r < 0)
                        return r;
        }

        if (m == VK_NETWORK_FORWARD_NAT || m == VK_NETWORK_FORWARD_ROUTE ||
            m == VK_NETWORK_FORWARD_OPEN) {
                static const char ip4[] = "/proc/sys/net/ipv4/ip_forward";
                static const char ip6[] = "/proc/sys/net/ipv6/conf/all/forwarding";

                if (network_has_family(def, AF_INET) && !sysctl_is(ip4, "1")) {
                        r = sysctl_write(ip4, "1", reterr);
                        if (r < 0)
                                return r;
                        o->status->ip_forward = true;
                }
                if (network_has_family(def, AF_INET6) && !sysctl_is(ip6, "1")) {
                        r = sysctl_write(ip6, "1", reterr);
                        if (r < 0)
                                return r;
                }
        }

        if (vk_network_dnsmasq_needed(def))
                return network_dnsmasq_start(drv, o, def, reterr);
        return network_save_status(drv, o, reterr);
}

/*
 * Start @o with the definition @def (copied as the live one): for bridges we create, check
 * the subnets against the host's routes and the bridge name against its interfaces, then
 * bridge, IPv6 sysctls, firewall, addresses, link up, routes, forwarding, dnsmasq. On failure
 * everything done so far is undone and @o stays inactive.
 */
int network_start(VkNetworkDriver *drv, NetworkObj *o, const VkNetworkDef *def, bool persistent,
                  VkError *reterr) {
        g_autoptr(VkNetworkDef) live = NULL;
        g_autoptr(VkNetlink) nl = NULL;
        int r;

        assert(!o->live);
        r = vk_network_def_copy(def, &live, reterr);
        if (r < 0)
                return r;
        o->status = vk_network_status_new();
        o->status->xml = vk_network_def_format(live);
        o->status->persistent = persistent;

        if (vk_network_forward_mode_has_bridge(def->forward_mode)) {
                const VkNetlinkBridge br = {
                        .name = def->bridge_name,
                        .mac = def->has_mac ? &def->mac : NULL,
                        .mtu = def->mtu,
                        .stp = def->bridge_stp != VK_TRISTATE_NO,
                        .delay = def->bridge_delay,
                };

                r = vk_netlink_open(&nl, reterr);
                if (r < 0)
                        goto fail;
                r = network_check_subnets(nl, def, reterr);
                if (r < 0)
                        goto fail;
                if (vk_netlink_link_index(def->bridge_name) > 0) {
                        r = vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, -EEXIST,
                                         "Network '%s': bridge name '%s' is already used by a "
                                         "host interface",
                                         def->name, def->bridge_name);
                        goto fail;
                }
                r = vk_netlink_bridge_add(nl, &br, reterr);
                if (r < 0)
                        goto fail;
                o->status->bridge = g_strdup(def->bridge_name);
                r = network_save_status_starting(drv, o, reterr);
                if (r >= 0)
                        r = network_start_steps(drv, o, nl, live, reterr);
                if (r < 0)
                        goto fail;
        } else if (def->forward_mode == VK_NETWORK_FORWARD_BRIDGE && def->bridge_name &&
                   vk_netlink_link_index(def->bridge_name) <= 0) {
                r = vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, -ENODEV,
                                 "Network '%s': host bridge '%s' does not exist", def->name,
                                 def->bridge_name);
                goto fail;
        } else {
                r = network_save_status(drv, o, reterr);
                if (r < 0)
                        goto fail;
        }
        o->live = g_steal_pointer(&live);
        return 0;

fail:
        (void) network_teardown(drv, o, NULL);
        o->status = vk_network_status_free(o->status);
        return r;
}

/* Stop @o: everything its status names goes. Returns 0 or -errno with @reterr (kept active). */
int network_stop(VkNetworkDriver *drv, NetworkObj *o, VkError *reterr) {
        int r;

        assert(o->live && o->status);
        r = network_teardown(drv, o, reterr);
        if (r < 0)
                return r;
        o->live = vk_network_def_free(o->live);
        o->status = vk_network_status_free(o->status);
        return 0;
}

/*
 * Make @live (owned now) the running definition of active @o after a change of its DHCP
 * hosts: the status records it, dnsmasq's hosts files are written again and dnsmasq told
 * (SIGHUP) to read them.
 */
int network_update_live(VkNetworkDriver *drv, NetworkObj *o, VkNetworkDef *live, VkError *reterr) {
        g_autoptr(VkNetworkDef) def = live;
        g_autofree char *hosts = network_file(drv, drv->dnsmasq_dir, o->name, ".hostsfile");
        g_autofree char *addn = network_file(drv, drv->dnsmasq_dir, o->name, ".addnhosts");
        g_autofree char *hosts_text = vk_network_dnsmasq_hosts(def);
        g_autofree char *addn_text = vk_network_dnsmasq_addnhosts(def);
        g_autofree char *xml = vk_network_def_format(def);
        g_autofree char *old_xml = NULL;
        int fd, r;

        old_xml = g_steal_pointer(&o->status->xml);
        o->status->xml = g_steal_pointer(&xml);
        r = network_save_status(drv, o, reterr);
        if (r < 0) {
                g_free(o->status->xml);
                o->status->xml = g_steal_pointer(&old_xml);
                return r;
        }
        vk_network_def_free(o->live);
        o->live = g_steal_pointer(&def);
        if (o->status->dnsmasq_pid <= 0)
                return 0;
        r = network_write(drv, hosts, vk_strempty(hosts_text), reterr);
        if (r >= 0)
                r = network_write(drv, addn, vk_strempty(addn_text), reterr);
        if (r < 0)
                return r;
        fd = network_dnsmasq_open(o->status);
        if (fd >= 0) {
                (void) syscall(SYS_pidfd_send_signal, fd, SIGHUP, NULL, 0);
                close(fd);
        }
        return 0;
}

/*
 * Take over a network started by an earlier networkd, from its status @st (owned now): its
 * bridge must still exist; dnsmasq is adopted when /proc/PID/exe and its start time match,
 * else started again. A network whose bridge is gone is torn down (rules, files). Returns 1
 * (active), 0 (found dead and cleaned up) or -errno with a warning added.
 */
int network_adopt(VkNetworkDriver *drv, NetworkObj *o, VkNetworkStatus *st, GPtrArray *warnings) {
        g_autoptr(VkNetworkDef) live = NULL;
        VkError e = VK_ERROR_INIT;
        int fd, r;

        o->status = st;
        r = vk_network_def_parse_string(st->xml, &live, &e);
        if (r >= 0 && st->bridge && vk_netlink_link_index(st->bridge) <= 0) {
                g_ptr_array_add(warnings, g_strdup_printf("network '%s': bridge '%s' is gone; "
                                                          "cleaning up",
                                                          o->name, st->bridge));
                r = 0;
        } else if (r >= 0) {
                fd = network_dnsmasq_open(st);
                if (fd >= 0) {
                        /* the watch owns fd, also on failure */
                        r = vk_pidfd_watch_fd(drv->event, fd, network_dnsmasq_on_exit, drv,
                                              &o->dnsmasq_watch, &e);
                } else if (vk_network_dnsmasq_needed(live)) {
                        g_ptr_array_add(warnings,
                                        g_strdup_printf("network '%s': dnsmasq %lld is gone; "
                                                        "starting it again",
                                                        o->name, (long long) st->dnsmasq_pid));
                        g_clear_pointer(&st->dnsmasq_exe, g_free);
                        st->dnsmasq_pid = 0;
                        r = network_dnsmasq_start(drv, o, live, &e);
                }
                if (r >= 0) {
                        o->live = g_steal_pointer(&live);
                        network_ports_load(drv, o, warnings);
                        return 1;
                }
        }
        if (r < 0)
                g_ptr_array_add(warnings, g_strdup_printf("network '%s': %s", o->name,
                                                          vk_strempty(e.message)));
        vk_error_done(&e);
        (void) network_teardown(drv, o, NULL);
        o->status = vk_network_status_free(o->status);
        return r < 0 ? r : 0;
}
