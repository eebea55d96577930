/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* network-port-def.c: libvirt's network port XML (<networkport>): parse and format */
#include <assert.h>
#include <string.h>

#include "macro.h"
#include "network-def.h"
#include "network-port-def.h"

static const char *const plug_type_table[_VK_NETWORK_PLUG_MAX] = {
        [VK_NETWORK_PLUG_NONE] = "none",
        [VK_NETWORK_PLUG_NETWORK] = "network",
        [VK_NETWORK_PLUG_BRIDGE] = "bridge",
        [VK_NETWORK_PLUG_DIRECT] = "direct",
};

const char *vk_network_plug_type_to_string(VkNetworkPlugType t) {
        if (t < 0 || t >= _VK_NETWORK_PLUG_MAX)
                return NULL;
        return plug_type_table[t];
}

VkNetworkPlugType vk_network_plug_type_from_string(const char *s) {
        for (int i = 0; s && i < _VK_NETWORK_PLUG_MAX; i++)
                if (strcmp(s, plug_type_table[i]) == 0)
                        return (VkNetworkPlugType) i;
        return _VK_NETWORK_PLUG_INVALID;
}

/* The XML has no type='none': that is the absence of <plug>. */
static int plug_type_from_xml(const char *s) {
        VkNetworkPlugType t = vk_network_plug_type_from_string(s);

        return t == VK_NETWORK_PLUG_NONE ? _VK_NETWORK_PLUG_INVALID : (int) t;
}

VkNetworkPortDef *vk_network_port_def_free(VkNetworkPortDef *def) {
        if (!def)
                return NULL;
        g_free(def->owner_name);
        g_free(def->group);
        g_free(def->plug_bridge);
        g_free(def->plug_dev);
        g_free(def->plug_mode);
        g_free(def);
        return NULL;
}

static int port_parse_uuid(xmlNode *n, VkUuid *ret, VkError *reterr) {
        g_autofree char *text = NULL;
        int r;

        r = vk_xml_check_node(n, VK_XML_NONE, NULL, reterr);
        if (r < 0)
                return r;
        r = vk_xml_node_text(n, VK_XML_REQUIRED, &text, reterr);
        if (r < 0)
                return r;
        if (vk_uuid_parse(text, ret) < 0)
                return vk_xml_error(n, NULL, reterr, "invalid UUID '%s'", text);
        if (vk_uuid_is_null(ret))
                return vk_xml_error(n, NULL, reterr, "the null UUID is not allowed");
        return 0;
}

static int port_parse_owner(xmlNode *owner, VkNetworkPortDef *def, VkError *reterr) {
        xmlNode *n;
        int r;

        r = vk_xml_check_node(owner, VK_XML_NONE, VK_STRV("name", "uuid"), reterr);
        if (r >= 0)
                r = vk_xml_check_unique(owner, VK_STRV("name", "uuid"), reterr);
        if (r < 0)
                return r;
        n = vk_xml_child(owner, "name");
        if (!n)
                return vk_xml_error(owner, NULL, reterr, "missing element <name>");
        r = vk_xml_check_node(n, VK_XML_NONE, NULL, reterr);
        if (r >= 0)
                r = vk_xml_node_text(n, VK_XML_REQUIRED, &def->owner_name, reterr);
        if (r < 0)
                return r;
        n = vk_xml_child(owner, "uuid");
        if (!n)
                return vk_xml_error(owner, NULL, reterr, "missing element <uuid>");
        return port_parse_uuid(n, &def->owner_uuid, reterr);
}

static int port_parse_plug(xmlNode *plug, VkNetworkPortDef *def, VkError *reterr) {
        int r;

        r = vk_xml_prop_enum(plug, "type", plug_type_from_xml, VK_XML_REQUIRED, &def->plug_type,
                             reterr);
        if (r < 0)
                return r;
        if (def->plug_type == VK_NETWORK_PLUG_DIRECT) {
                r = vk_xml_check_node(plug, VK_STRV("type", "dev", "mode"), VK_XML_NONE, reterr);
                if (r >= 0)
                        r = vk_xml_prop_string(plug, "dev", VK_XML_REQUIRED, &def->plug_dev,
                                               reterr);
                if (r >= 0)
                        r = vk_xml_prop_string(plug, "mode", VK_XML_REQUIRED, &def->plug_mode,
                                               reterr);
                return r;
        }
        r = vk_xml_check_node(plug, VK_STRV("type", "bridge", "mtu"), VK_XML_NONE, reterr);
        if (r >= 0)
                r = vk_xml_prop_string(plug, "bridge", VK_XML_REQUIRED, &def->plug_bridge, reterr);
        if (r >= 0)
                r = vk_xml_prop_uint(plug, "mtu", 0, &def->plug_mtu, reterr);
        return r;
}

/*
 * <networkport>
 *   <uuid>..</uuid>                                  optional: generated when the port is made
 *   <owner><name>vm1</name><uuid>..</uuid></owner>   optional
 *   <group>web</group>                               optional: a portgroup of the network
 *   <mac address='52:54:00:..'/>                     required
 *   <rxfilters trustGuest='yes'/>                    optional
 *   <plug type='network' bridge='virbr0' mtu='1500'/>   set by the network (kept on reclaim)
 *   <plug type='direct' dev='eth0' mode='vepa'/>
 * </networkport>
 * <bandwidth> and <vlan> are refused: ports do not apply them yet.
 */
int vk_network_port_def_parse_string(const char *xml, VkNetworkPortDef **ret_def, VkError *reterr) {
        static const char *const children[] = { "uuid",      "owner", "group", "mac",
                                                "rxfilters", "plug",  NULL };
        g_autoptr(VkNetworkPortDef) def = g_new0(VkNetworkPortDef, 1);
        g_autoptr(xmlDoc) doc = NULL;
        g_autofree char *mac = NULL;
        xmlNode *root, *n;
        int r;

        assert(xml);
        if (strlen(xml) > VK_NETWORK_XML_MAX)
                return vk_error_set(reterr, VK_ERROR_INVALID_XML, -E2BIG,
                                    "network port XML larger than %d bytes", VK_NETWORK_XML_MAX);
        r = vk_xml_read_string(xml, "networkport.xml", &doc, reterr);
        if (r < 0)
                return r;
        root = xmlDocGetRootElement(doc);
        if (!vk_xml_node_is(root, NULL, "networkport"))
                return vk_xml_error(root, NULL, reterr, "expected the root element <networkport>");
        r = vk_xml_check_node(root, VK_XML_NONE, children, reterr);
        if (r >= 0)
                r = vk_xml_check_unique(root, children, reterr);
        if (r < 0)
                return r;

        n = vk_xml_child(root, "uuid");
        if (n) {
                r = port_parse_uuid(n, &def->uuid, reterr);
                if (r < 0)
                        return r;
                def->has_uuid = true;
        }
        n = vk_xml_child(root, "owner");
        if (n) {
                r = port_parse_owner(n, def, reterr);
                if (r < 0)
                        return r;
        }
        n = vk_xml_child(root, "group");
        if (n) {
                r = vk_xml_check_node(n, VK_XML_NONE, NULL, reterr);
                if (r >= 0)
                        r = vk_xml_node_text(n, VK_XML_REQUIRED, &def->group, reterr);
                if (r < 0)
                        return r;
        }
        n = vk_xml_child(root, "mac");
        if (!n)
                return vk_xml_error(root, NULL, reterr, "missing element <mac>");
        r = vk_xml_check_node(n, VK_STRV("address"), VK_XML_NONE, reterr);
        if (r >= 0)
                r = vk_xml_prop_string(n, "address", VK_XML_REQUIRED, &mac, reterr);
        if (r < 0)
                return r;
        if (vk_mac_parse(mac, &def->mac) < 0 || vk_mac_is_multicast(&def->mac))
                return vk_xml_error(n, "address", reterr, "'%s' is not a unicast MAC address", mac);
        n = vk_xml_child(root, "rxfilters");
        if (n) {
                r = vk_xml_check_node(n, VK_STRV("trustGuest"), VK_XML_NONE, reterr);
                if (r >= 0)
                        r = vk_xml_prop_tristate_bool(n, "trustGuest", 0,
                                                      &def->trust_guest_rx_filters, reterr);
                if (r < 0)
                        return r;
        }
        n = vk_xml_child(root, "plug");
        if (n) {
                r = port_parse_plug(n, def, reterr);
                if (r < 0)
                        return r;
        }
        *ret_def = g_steal_pointer(&def);
        return 0;
}

char *vk_network_port_def_format(const VkNetworkPortDef *def) {
        g_auto(VkXmlWriter) w = {};
        char buf[VK_UUID_STRING_MAX];

        assert(def);
        vk_xml_writer_init(&w);
        vk_xml_writer_start(&w, "networkport");
        if (def->has_uuid)
                vk_xml_writer_text_element(&w, "uuid", vk_uuid_format(&def->uuid, buf));
        if (def->owner_name) {
                vk_xml_writer_start(&w, "owner");
                vk_xml_writer_text_element(&w, "name", def->owner_name);
                vk_xml_writer_text_element(&w, "uuid", vk_uuid_format(&def->owner_uuid, buf));
                vk_xml_writer_end(&w);
        }
        vk_xml_writer_text_element(&w, "group", def->group);
        vk_xml_writer_start(&w, "mac");
        vk_xml_writer_attr(&w, "address", vk_mac_format(&def->mac, buf));
        vk_xml_writer_end(&w);
        if (def->trust_guest_rx_filters != VK_TRISTATE_ABSENT) {
                vk_xml_writer_start(&w, "rxfilters");
                vk_xml_writer_attr(&w, "trustGuest",
                                   vk_tristate_bool_to_string(def->trust_guest_rx_filters));
                vk_xml_writer_end(&w);
        }
        if (def->plug_type != VK_NETWORK_PLUG_NONE) {
                vk_xml_writer_start(&w, "plug");
                vk_xml_writer_attr(&w, "type", vk_network_plug_type_to_string(def->plug_type));
                vk_xml_writer_attr(&w, "bridge", def->plug_bridge);
                if (def->plug_mtu)
                        vk_xml_writer_attrf(&w, "mtu", "%u", def->plug_mtu);
                vk_xml_writer_attr(&w, "dev", def->plug_dev);
                vk_xml_writer_attr(&w, "mode", def->plug_mode);
                vk_xml_writer_end(&w);
        }
        vk_xml_writer_end(&w);
        return vk_xml_writer_steal(&w);
}
