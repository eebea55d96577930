/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* network-update.c: changing a network's DHCP hosts, live and/or in its definition */
#include <assert.h>
#include <string.h>

#include "atomic-file.h"
#include "macro.h"
#include "network-driver-internal.h"

/*
 * libvirt's virNetworkUpdate for the section "ip-dhcp-host": one <host mac= name= ip=/> (or
 * id= for IPv6) added first or last, deleted or modified in the <dhcp> of the <ip> of its
 * family. The change is made on the XML of the definition, which is then parsed again: every
 * rule of the parser and validator (inside the subnet, no duplicate MAC, name or address)
 * holds for the result, with the same errors.
 */

static const char *const command_table[_VK_NETWORK_UPDATE_MAX] = {
        [VK_NETWORK_UPDATE_ADD_LAST] = "add-last",
        [VK_NETWORK_UPDATE_ADD_FIRST] = "add-first",
        [VK_NETWORK_UPDATE_DELETE] = "delete",
        [VK_NETWORK_UPDATE_MODIFY] = "modify",
};

const char *vk_network_update_command_to_string(VkNetworkUpdateCommand c) {
        if (c < 0 || c >= _VK_NETWORK_UPDATE_MAX)
                return NULL;
        return command_table[c];
}

VkNetworkUpdateCommand vk_network_update_command_from_string(const char *s) {
        for (int i = 0; s && i < _VK_NETWORK_UPDATE_MAX; i++)
                if (strcmp(s, command_table[i]) == 0)
                        return (VkNetworkUpdateCommand) i;
        return _VK_NETWORK_UPDATE_INVALID;
}

static char *prop(xmlNode *n, const char *name) {
        xmlChar *v = xmlGetProp(n, (const xmlChar *) name);
        char *s = v ? g_strdup((const char *) v) : NULL;

        xmlFree(v);
        return s;
}

/* The <dhcp> of the <ip> of @family (AF_INET or AF_INET6) in the network's XML. */
static xmlNode *update_find_dhcp(xmlNode *root, int family) {
        for (xmlNode *ip = vk_xml_first_element(root); ip; ip = vk_xml_next_element(ip)) {
                g_autofree char *fam = NULL, *addr = NULL;
                bool v6;

                if (!vk_xml_node_is(ip, NULL, "ip"))
                        continue;
                fam = prop(ip, "family");
                addr = prop(ip, "address");
                v6 = g_strcmp0(fam, "ipv6") == 0 || (addr && strchr(addr, ':'));
                if (v6 == (family == AF_INET6) && vk_xml_child(ip, "dhcp"))
                        return vk_xml_child(ip, "dhcp");
        }
        return NULL;
}

/* The <host> of @dhcp that @host names: by mac (or id), else by name, else by ip. */
static xmlNode *update_find_host(xmlNode *dhcp, xmlNode *host) {
        static const char *const keys[] = { "mac", "id", "name", "ip" };

        for (size_t k = 0; k < G_N_ELEMENTS(keys); k++) {
                g_autofree char *want = prop(host, keys[k]);

                if (!want)
                        continue;
                for (xmlNode *n = vk_xml_first_element(dhcp); n; n = vk_xml_next_element(n)) {
                        g_autofree char *have = NULL;

                        if (!vk_xml_node_is(n, NULL, "host"))
                                continue;
                        have = prop(n, keys[k]);
                        if (have && g_ascii_strcasecmp(have, want) == 0)
                                return n;
                }
                return NULL;
        }
        return NULL;
}

static int update_def(const VkNetworkDef *def, VkNetworkUpdateCommand cmd, const char *host_xml,
                      VkNetworkDef **ret, VkError *reterr) {
        g_autofree char *text = vk_network_def_format(def);
        g_autoptr(xmlDoc) doc = NULL;
        g_autoptr(xmlDoc) hdoc = NULL;
        xmlNode *host, *dhcp, *old, *copy;
        xmlChar *out = NULL;
        int r, len = 0;

        r = vk_xml_read_string(host_xml, "host.xml", &hdoc, reterr);
        if (r < 0)
                return r;
        host = xmlDocGetRootElement(hdoc);
        if (!vk_xml_node_is(host, NULL, "host"))
                return vk_xml_error(host, NULL, reterr, "expected a <host> element");
        r = vk_xml_read_string(text, "network.xml", &doc, reterr);
        if (r < 0)
                return r;
        dhcp = update_find_dhcp(xmlDocGetRootElement(doc),
                                xmlHasProp(host, (const xmlChar *) "mac") ? AF_INET : AF_INET6);
        if (!dhcp)
                return vk_error_set(reterr, VK_ERROR_OPERATION_INVALID, -ENOENT,
                                    "Network '%s' has no <dhcp> for this host's address family",
                                    def->name);
        old = update_find_host(dhcp, host);
        if (cmd == VK_NETWORK_UPDATE_ADD_FIRST || cmd == VK_NETWORK_UPDATE_ADD_LAST) {
                if (old)
                        return vk_error_set(reterr, VK_ERROR_OPERATION_INVALID, -EEXIST,
                                            "Network '%s' already has this DHCP host (modify "
                                            "or delete it)",
                                            def->name);
                copy = xmlDocCopyNode(host, doc, 1);
                if (!copy)
                        return -ENOMEM;
                if (cmd == VK_NETWORK_UPDATE_ADD_FIRST && vk_xml_child(dhcp, "host"))
                        xmlAddPrevSibling(vk_xml_child(dhcp, "host"), copy);
                else
                        xmlAddChild(dhcp, copy);
        } else {
                if (!old)
                        return vk_error_set(reterr, VK_ERROR_OPERATION_INVALID, -ENOENT,
                                            "Network '%s' has no such DHCP host", def->name);
                if (cmd == VK_NETWORK_UPDATE_MODIFY) {
                        copy = xmlDocCopyNode(host, doc, 1);
                        if (!copy)
                                return -ENOMEM;
                        xmlReplaceNode(old, copy);
                } else
                        xmlUnlinkNode(old);
                xmlFreeNode(old);
        }
        xmlDocDumpMemory(doc, &out, &len);
        if (!out)
                return -ENOMEM;
        r = vk_network_def_parse_string((const char *) out, ret, reterr);
        xmlFree(out);
        return r;
}

/*
 * Change @network's DHCP hosts (@section must be "ip-dhcp-host") by @command with the <host>
 * element @xml: in the running network (@live: dnsmasq re-reads its hosts file on SIGHUP)
 * and/or its persistent definition (@config). Neither: the running network if it runs, else
 * the definition (libvirt's "current").
 */
int vk_network_driver_update(VkNetworkDriver *drv, const char *network, const char *command,
                             const char *section, const char *xml, bool live, bool config,
                             VkError *reterr) {
        g_autoptr(VkNetworkDef) new_live = NULL;
        g_autoptr(VkNetworkDef) new_def = NULL;
        VkNetworkUpdateCommand cmd = vk_network_update_command_from_string(command);
        NetworkObj *o;
        int r;

        r = network_find(drv, network, &o, reterr);
        if (r < 0)
                return r;
        if (cmd < 0)
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "command: unsupported value '%s' (expected add-last, "
                                    "add-first, delete or modify)",
                                    vk_strempty(command));
        if (g_strcmp0(section, "ip-dhcp-host") != 0)
                return vk_error_set(reterr, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                    "section: '%s' cannot be updated (only ip-dhcp-host)",
                                    vk_strempty(section));
        if (!live && !config) {
                live = o->live != NULL;
                config = !live;
        }
        if (live && !o->live)
                return vk_error_set(reterr, VK_ERROR_OPERATION_INVALID, -EINVAL,
                                    "Network '%s' is not active", o->name);
        if (config && !o->def)
                return vk_error_set(reterr, VK_ERROR_OPERATION_INVALID, -EINVAL,
                                    "Network '%s' is transient: it has no definition to change",
                                    o->name);

        /* both results first: a change refused for one is made to neither */
        if (live) {
                r = update_def(o->live, cmd, xml, &new_live, reterr);
                if (r < 0)
                        return r;
        }
        if (config) {
                g_autofree char *path = NULL, *text = NULL;

                r = update_def(o->def, cmd, xml, &new_def, reterr);
                if (r < 0)
                        return r;
                text = vk_network_def_format(new_def);
                path = g_strdup_printf("%s/%s.xml", drv->networks_dir, o->name);
                r = vk_atomic_file_write(path, text, strlen(text), 0600, reterr);
                if (r < 0)
                        return r;
                vk_network_def_free(o->def);
                o->def = g_steal_pointer(&new_def);
        }
        if (live)
                return network_update_live(drv, o, g_steal_pointer(&new_live), reterr);
        return 0;
}
