/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-domain-net.c: <interface>: parse and free */
#include <string.h>

#include "macro.h"
#include "qemu-domain-internal.h"

/* Free @net and what it owns; takes NULL, returns NULL. */
VkDomainNet *vk_domain_net_free(VkDomainNet *net) {
        if (!net)
                return NULL;
        g_free(net->source);
        g_free(net->target_dev);
        g_free(net->port_id);
        g_free(net->live_bridge);
        g_free(net->live_dev);
        vk_domain_device_info_clear(&net->info);
        g_free(net);
        return NULL;
}

/* ---- <interface> ------------------------------------------------------------------------ */

/* <source dev= mode=> of type='direct': the host interface and the macvtap mode (vepa). */
static int net_parse_direct_source(xmlNode *c, VkDomainNet *net, VkError *reterr) {
        int r;

        r = vk_xml_check_node(c, VK_STRV("dev", "mode"), VK_XML_NONE, reterr);
        if (r < 0)
                return r;
        r = vk_xml_prop_string(c, "dev", VK_XML_REQUIRED | VK_XML_NONZERO, &net->source, reterr);
        if (r < 0)
                return r;
        if (strlen(net->source) > 15 || strpbrk(net->source, "/ \t\n:"))
                return vk_xml_error(c, "dev", reterr, "invalid interface name '%s'", net->source);
        return vk_xml_prop_enum(c, "mode", vk_net_direct_mode_from_string, 0, &net->direct_mode,
                                reterr);
}

/*
 * <source network=|bridge=>. A live definition also has the networkd port (portid=) and, for
 * type='network', where its NIC is plugged in: the bridge the tap is on (bridge=), or the
 * host interface and mode of its macvtap (dev= mode=, a macvtap network); elsewhere they
 * are runtime data and dropped, as libvirt does.
 */
static int net_parse_source(xmlNode *c, VkDomainNet *net, unsigned flags, VkError *reterr) {
        const char *attr = net->type == VK_NET_TYPE_NETWORK ? "network" : "bridge";
        int r;

        if (net->type == VK_NET_TYPE_DIRECT)
                return net_parse_direct_source(c, net, reterr);
        if (net->type == VK_NET_TYPE_NETWORK)
                r = vk_xml_check_node(c, VK_STRV("network", "portid", "bridge", "dev", "mode"),
                                      VK_XML_NONE, reterr);
        else
                r = vk_xml_check_node(c, VK_STRV("bridge", "portid"), VK_XML_NONE, reterr);
        if (r < 0)
                return r;
        r = vk_xml_prop_string(c, attr, VK_XML_REQUIRED | VK_XML_NONZERO, &net->source, reterr);
        if (r < 0)
                return r;
        if (!(flags & VK_DOMAIN_DEF_PARSE_LIVE))
                return 0;
        r = vk_xml_prop_string(c, "portid", VK_XML_NONZERO, &net->port_id, reterr);
        if (r < 0 || net->type != VK_NET_TYPE_NETWORK)
                return r;
        r = vk_xml_prop_string(c, "bridge", VK_XML_NONZERO, &net->live_bridge, reterr);
        if (r >= 0)
                r = vk_xml_prop_string(c, "dev", VK_XML_NONZERO, &net->live_dev, reterr);
        if (r >= 0)
                r = vk_xml_prop_enum(c, "mode", vk_net_direct_mode_from_string, 0, &net->live_mode,
                                     reterr);
        return r;
}

/* Names the host hands out at start (libvirt drops them from an inactive definition). */
static bool net_target_is_generated(const char *dev) {
        return g_str_has_prefix(dev, "vnet") || g_str_has_prefix(dev, "macvtap") ||
               g_str_has_prefix(dev, "macvlan");
}

int vk_domain_net_parse(VkDomainDef *def, xmlNode *node, unsigned flags, VkError *reterr) {
        g_autoptr(VkDomainNet) net = g_new0(VkDomainNet, 1);
        bool have_mac = false;
        int r;

        r = vk_xml_check_node(
                node, VK_STRV("type"),
                VK_STRV("mac", "source", "model", "target", "boot", "alias", "address"), reterr);
        if (r < 0)
                return r;
        r = vk_xml_check_unique(node, VK_STRV("mac", "source", "model", "target"), reterr);
        if (r < 0)
                return r;
        r = vk_xml_prop_enum(node, "type", vk_net_type_from_string, VK_XML_REQUIRED, &net->type,
                             reterr);
        if (r < 0)
                return r;

        for (xmlNode *c = vk_xml_first_element(node); c; c = vk_xml_next_element(c)) {
                if (vk_xml_node_is(c, NULL, "mac")) {
                        g_autofree char *mac = NULL;

                        r = vk_xml_check_node(c, VK_STRV("address"), VK_XML_NONE, reterr);
                        if (r < 0)
                                return r;
                        r = vk_xml_prop_string(c, "address", VK_XML_REQUIRED, &mac, reterr);
                        if (r < 0)
                                return r;
                        if (vk_domain_mac_parse(mac, net->mac) < 0)
                                return vk_xml_error(c, "address", reterr,
                                                    "invalid MAC address '%s'", mac);
                        have_mac = true;
                } else if (vk_xml_node_is(c, NULL, "source")) {
                        if (net->type == VK_NET_TYPE_USER || net->type == VK_NET_TYPE_ETHERNET)
                                return vk_xml_error(c, NULL, reterr,
                                                    "unsupported element for type='%s'",
                                                    vk_net_type_to_string(net->type));
                        r = net_parse_source(c, net, flags, reterr);
                        if (r < 0)
                                return r;
                } else if (vk_xml_node_is(c, NULL, "model")) {
                        r = vk_xml_check_node(c, VK_STRV("type"), VK_XML_NONE, reterr);
                        if (r < 0)
                                return r;
                        r = vk_xml_prop_enum(c, "type", vk_net_model_from_string,
                                             VK_XML_REQUIRED | VK_XML_NONZERO, &net->model, reterr);
                        if (r < 0)
                                return r;
                } else if (vk_xml_node_is(c, NULL, "target")) {
                        if (net->type == VK_NET_TYPE_USER)
                                return vk_xml_error(c, NULL, reterr,
                                                    "unsupported element for type='user'");
                        r = vk_xml_check_node(c, VK_STRV("dev"), VK_XML_NONE, reterr);
                        if (r < 0)
                                return r;
                        r = vk_xml_prop_string(c, "dev", VK_XML_REQUIRED | VK_XML_NONZERO,
                                               &net->target_dev, reterr);
                        if (r < 0)
                                return r;
                        if (strlen(net->target_dev) > 15 || strpbrk(net->target_dev, "/ \t\n:"))
                                return vk_xml_error(c, "dev", reterr, "invalid interface name '%s'",
                                                    net->target_dev);
                        /* vnet*, macvtap* names are handed out at start; libvirt drops them
                         * on define */
                        if (net_target_is_generated(net->target_dev) &&
                            !(flags & VK_DOMAIN_DEF_PARSE_LIVE))
                                g_clear_pointer(&net->target_dev, g_free);
                }
        }

        if ((net->type == VK_NET_TYPE_NETWORK || net->type == VK_NET_TYPE_BRIDGE ||
             net->type == VK_NET_TYPE_DIRECT) &&
            !net->source)
                return vk_xml_error(node, NULL, reterr, "type='%s' needs <source %s=...>",
                                    vk_net_type_to_string(net->type),
                                    net->type == VK_NET_TYPE_NETWORK  ? "network"
                                    : net->type == VK_NET_TYPE_DIRECT ? "dev"
                                                                      : "bridge");

        r = vk_domain_parse_device_info(node, flags, true, &net->info, reterr);
        if (r < 0)
                return r;

        if (!have_mac) {
                net->mac[0] = 0x52;
                net->mac[1] = 0x54;
                net->mac[2] = 0x00;
                vk_domain_random_bytes(net->mac + 3, 3);
                net->mac_generated = true;
        }

        VK_DOMAIN_APPEND(def->nets, def->n_nets, g_steal_pointer(&net));
        return 0;
}
