/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-process-net.c: the taps and network ports of one QEMU process */
#include <fcntl.h>
#include <string.h>

#include "json.h"
#include "log.h"
#include "macro.h"
#include "qemu-macvtap.h"
#include "qemu-netports.h"
#include "qemu-process-internal.h"
#include "qemu-tap.h"
#include "uuid.h"

/*
 * Each <interface> other than type='user' gets a tap made here (qemu-tap.c), on the bridge
 * networkd's port names (type='network'), on the host bridge (type='bridge') or on none
 * (type='ethernet'); type='direct', and type='network' on a macvtap network (the port's plug
 * is 'direct'), get a macvtap on the host interface instead (qemu-macvtap.c), whose
 * /dev/tapN QEMU gets in place of the tap's fd. QEMU gets the tap fds at TAP_FD_FIRST + 2i,
 * a /dev/vhost-net fd for a virtio NIC at the next number. The taps and ports are recorded
 * in the status file ("nets", "networkd") so whoever finds QEMU gone removes them: the process
 * (process_remove_files()) or a restarted daemon (vk_qemu_process_cleanup_status()).
 */

#define TAP_FD_FIRST 5 /* after virtkit-qemu-exec's wait fd (3) and the domain lock (4) */

static void process_net_free(VkQemuProcessNet *n) {
        g_free(n->tap);
        g_free(n->port);
        g_free(n);
}

static void process_nets_init(VkQemuProcess *p) {
        if (!p->nets)
                p->nets = g_ptr_array_new_with_free_func((GDestroyNotify) process_net_free);
}

/* Delete recorded taps (if still the same interface) and ports; -ENODEV is the usual case. */
static void nets_release(sd_event *e, const char *socket, GPtrArray *nets) {
        g_autoptr(GPtrArray) ports = g_ptr_array_new();

        for (guint i = 0; i < nets->len; i++) {
                VkQemuProcessNet *n = nets->pdata[i];

                if (n->tap) {
                        int r = vk_qemu_tap_delete(n->tap, n->ifindex);

                        if (r < 0 && r != -ENODEV)
                                vk_log_warning("Failed to delete %s '%s': %s",
                                               n->macvtap ? "macvtap" : "tap", n->tap,
                                               g_strerror(-r));
                }
                if (n->port)
                        g_ptr_array_add(ports, n->port);
        }
        vk_qemu_netports_delete(e, socket, (const char *const *) ports->pdata, ports->len);
}

/*
 * The character devices of @p's macvtaps ("/dev/tapN"), NULL-terminated (g_strfreev): labelled
 * and allowed in the device ACL for QEMU, as libvirt does for the fd it passes.
 */
char **process_net_devices(VkQemuProcess *p) {
        g_autoptr(GPtrArray) devs = g_ptr_array_new();

        for (guint i = 0; p->nets && i < p->nets->len; i++) {
                const VkQemuProcessNet *n = p->nets->pdata[i];

                if (n->macvtap && n->ifindex > 0)
                        g_ptr_array_add(devs, vk_qemu_macvtap_device_path(n->ifindex));
        }
        g_ptr_array_add(devs, NULL);
        return (char **) g_ptr_array_free(g_steal_pointer(&devs), FALSE);
}

/* Close the tap (and vhost-net) fds QEMU has its copies of now (or never got). */
void process_close_tap_fds(VkQemuProcess *p) {
        for (size_t i = 0; i < p->n_tap_fds; i++) {
                vk_close_fdp(&p->tap_fds[i]);
                if (p->vhost_fds)
                        vk_close_fdp(&p->vhost_fds[i]);
        }
        g_clear_pointer(&p->tap_fds, g_free);
        g_clear_pointer(&p->tap_targets, g_free);
        g_clear_pointer(&p->vhost_fds, g_free);
        g_clear_pointer(&p->vhost_targets, g_free);
        p->n_tap_fds = 0;
}

/*
 * An fd on /dev/vhost-net for a virtio NIC's tap when the host has it (the kernel then moves
 * the packets, as libvirt arranges by default), else -1: QEMU's userspace backend serves it.
 */
static int process_open_vhost(const VkDomainNet *net) {
        if (net->model != VK_NET_MODEL_VIRTIO)
                return -1;
        return open("/dev/vhost-net", O_RDWR | O_CLOEXEC);
}

/* Give back what process_create_nets() made: fds, taps, ports. Idempotent. */
void process_release_nets(VkQemuProcess *p) {
        process_close_tap_fds(p);
        if (p->nets && p->nets->len > 0)
                nets_release(p->event, p->networkd_socket, p->nets);
        if (p->nets)
                g_ptr_array_set_size(p->nets, 0);
}

static VkQemuProcessNet *process_add_net(VkQemuProcess *p, const VkQemuNetPlug *plug) {
        VkQemuProcessNet *n = g_new0(VkQemuProcessNet, 1);

        process_nets_init(p);
        n->port = plug && plug->port ? g_strdup(plug->port) : NULL;
        g_ptr_array_add(p->nets, n);
        return n;
}

/* The ports of @opts->plugs are @p's from the start on: any failure deletes them. */
void process_adopt_ports(VkQemuProcess *p, const VkQemuProcessOptions *opts) {
        p->networkd_socket = g_strdup(opts->networkd_socket);
        for (size_t i = 0; i < opts->n_plugs; i++)
                if (opts->plugs[i].port)
                        (void) process_add_net(p, &opts->plugs[i]);
}

/*
 * The taps of @live's interfaces, with @opts->plugs for type='network' (the ports adopted by
 * process_adopt_ports()). The live definition shows each tap (<target dev>), and for
 * type='network' the port and the bridge. @aopts gets the fds as QEMU will see them. On
 * failure everything made is given back.
 */
int process_create_nets(VkQemuProcess *p, VkDomainDef *live, const VkQemuProcessOptions *opts,
                        VkQemuArgvOptions *aopts, VkError *reterr) {
        size_t n_taps = 0;
        char uuid[VK_UUID_STRING_MAX];
        g_autofree char *owner =
                g_strconcat(VK_QEMU_MACVTAP_OWNER_PREFIX, vk_uuid_format(&live->uuid, uuid), NULL);

        for (size_t i = 0; i < live->n_nets; i++)
                if (live->nets[i]->type != VK_NET_TYPE_USER)
                        n_taps++;
        if (n_taps == 0)
                return 0;
        p->tap_fds = g_new(int, n_taps);
        p->tap_targets = g_new(int, n_taps);
        p->vhost_fds = g_new(int, n_taps);
        p->vhost_targets = g_new(int, n_taps);
        for (size_t i = 0; i < live->n_nets; i++) {
                VkDomainNet *net = live->nets[i];
                const VkQemuNetPlug *plug = i < opts->n_plugs ? &opts->plugs[i] : NULL;
                VkQemuTapSpec spec = { .mac = net->mac, .name = net->target_dev };
                VkQemuMacvtapSpec mspec = { .mac = net->mac,
                                            .name = net->target_dev,
                                            .owner = owner };
                VkQemuProcessNet *rec = NULL;
                VkQemuTap tap;
                int r;

                if (net->type == VK_NET_TYPE_USER)
                        continue;
                if (net->type == VK_NET_TYPE_NETWORK) {
                        if (!plug || !plug->port) {
                                process_release_nets(p);
                                return vk_error_set(reterr, VK_ERROR_INTERNAL, -EINVAL,
                                                    "interface of network '%s' has no port",
                                                    net->source);
                        }
                        spec.bridge = plug->bridge;
                        spec.mtu = plug->mtu;
                        mspec.parent = plug->dev;
                        mspec.mode = plug->mode;
                        for (guint k = 0; p->nets && k < p->nets->len; k++) {
                                VkQemuProcessNet *cand = p->nets->pdata[k];

                                if (g_strcmp0(cand->port, plug->port) == 0)
                                        rec = cand;
                        }
                } else if (net->type == VK_NET_TYPE_BRIDGE)
                        spec.bridge = net->source;
                else if (net->type == VK_NET_TYPE_DIRECT) {
                        mspec.parent = net->source;
                        mspec.mode = net->direct_mode;
                }
                spec.vnet_hdr = mspec.vnet_hdr = net->model == VK_NET_MODEL_VIRTIO;
                if (mspec.parent)
                        r = vk_qemu_macvtap_create(&mspec, &tap, reterr);
                else
                        r = vk_qemu_tap_create(&spec, &tap, reterr);
                if (r < 0) {
                        process_release_nets(p);
                        return r;
                }
                if (!rec)
                        rec = process_add_net(p, NULL);
                rec->tap = g_strdup(tap.name);
                rec->ifindex = tap.ifindex;
                rec->macvtap = mspec.parent != NULL;
                p->tap_fds[p->n_tap_fds] = tap.fd;
                p->tap_targets[p->n_tap_fds] = TAP_FD_FIRST + 2 * (int) p->n_tap_fds;
                p->vhost_fds[p->n_tap_fds] = process_open_vhost(net);
                p->vhost_targets[p->n_tap_fds] =
                        p->vhost_fds[p->n_tap_fds] >= 0 ? p->tap_targets[p->n_tap_fds] + 1 : -1;
                p->n_tap_fds++;
                g_free(net->target_dev);
                net->target_dev = g_strdup(tap.name);
                if (net->type == VK_NET_TYPE_NETWORK) {
                        g_free(net->port_id);
                        net->port_id = g_strdup(plug->port);
                        g_free(net->live_bridge);
                        net->live_bridge = g_strdup(plug->bridge);
                        g_free(net->live_dev);
                        net->live_dev = g_strdup(plug->dev);
                        net->live_mode = plug->mode;
                }
        }
        aopts->tap_fds = p->tap_targets;
        aopts->n_tap_fds = p->n_tap_fds;
        aopts->vhost_fds = p->vhost_targets;
        return 0;
}

/* The "nets" and "networkd" members of the status file. */
void process_nets_to_json(VkQemuProcess *p, JsonBuilder *b) {
        if (!p->nets || p->nets->len == 0)
                return;
        json_builder_set_member_name(b, "nets");
        json_builder_begin_array(b);
        for (guint i = 0; i < p->nets->len; i++) {
                const VkQemuProcessNet *n = p->nets->pdata[i];

                json_builder_begin_object(b);
                if (n->tap) {
                        json_builder_set_member_name(b, "tap");
                        json_builder_add_string_value(b, n->tap);
                        json_builder_set_member_name(b, "ifindex");
                        json_builder_add_int_value(b, n->ifindex);
                }
                if (n->macvtap) {
                        json_builder_set_member_name(b, "macvtap");
                        json_builder_add_boolean_value(b, true);
                }
                if (n->port) {
                        json_builder_set_member_name(b, "port");
                        json_builder_add_string_value(b, n->port);
                }
                json_builder_end_object(b);
        }
        json_builder_end_array(b);
        if (p->networkd_socket) {
                json_builder_set_member_name(b, "networkd");
                json_builder_add_string_value(b, p->networkd_socket);
        }
}

static GPtrArray *nets_from_json(JsonObject *o) {
        GPtrArray *nets = g_ptr_array_new_with_free_func((GDestroyNotify) process_net_free);
        JsonNode *node = json_object_get_member(o, "nets");
        JsonArray *a = node && JSON_NODE_HOLDS_ARRAY(node) ? json_node_get_array(node) : NULL;

        for (guint i = 0; a && i < json_array_get_length(a); i++) {
                JsonNode *e = json_array_get_element(a, i);
                JsonObject *eo = JSON_NODE_HOLDS_OBJECT(e) ? json_node_get_object(e) : NULL;
                const char *tap = eo ? vk_json_object_get_string_member_or_null(eo, "tap") : NULL;
                const char *port = eo ? vk_json_object_get_string_member_or_null(eo, "port") : NULL;
                VkQemuProcessNet *n;

                if (!tap && !port)
                        continue;
                n = g_new0(VkQemuProcessNet, 1);
                n->tap = g_strdup(tap);
                n->ifindex = (int) json_object_get_int_member_with_default(eo, "ifindex", 0);
                n->macvtap = json_object_get_boolean_member_with_default(eo, "macvtap", false);
                n->port = g_strdup(port);
                g_ptr_array_add(nets, n);
        }
        return nets;
}

/* Reconnect: what the status file @o recorded, given back when QEMU ends. */
void process_nets_from_json(VkQemuProcess *p, JsonObject *o) {
        if (p->nets)
                g_ptr_array_unref(p->nets);
        p->nets = nets_from_json(o);
        g_free(p->networkd_socket);
        p->networkd_socket = g_strdup(vk_json_object_get_string_member_or_null(o, "networkd"));
}

/* A dead QEMU's status file @o: delete its taps and ports. */
void process_nets_cleanup_json(sd_event *e, JsonObject *o) {
        g_autoptr(GPtrArray) nets = nets_from_json(o);

        if (nets->len > 0)
                nets_release(e, vk_json_object_get_string_member_or_null(o, "networkd"), nets);
}
