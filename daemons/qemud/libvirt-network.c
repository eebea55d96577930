/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libvirt-network.c: org.libvirt.Network at .../network/_<uuid>, backed by virtkit-networkd */
#include <string.h>

#include "daemons/networkd/api-decl.h"
#include "json.h"
#include "libvirt-internal.h"
#include "log.h"
#include "sd-glue.h"

/* virConnectListAllNetworksFlags */
enum {
        LIST_INACTIVE = 1 << 0,
        LIST_ACTIVE = 1 << 1,
        LIST_PERSISTENT = 1 << 2,
        LIST_TRANSIENT = 1 << 3,
        LIST_AUTOSTART = 1 << 4,
        LIST_NO_AUTOSTART = 1 << 5,
};

/* virNetworkUpdateFlags */
enum {
        UPDATE_AFFECT_LIVE = 1 << 0,
        UPDATE_AFFECT_CONFIG = 1 << 1,
};

#define NETWORK_REQ(call, userdata) vk_libvirt_req_new(call, &vk_libvirt_network_kind, userdata)

static char *network_path(const char *uuid) {
        return vk_libvirt_uuid_path(VK_LIBVIRT_NETWORK_PATH, uuid);
}

/* Whether a listed network passes virConnectListAllNetworks' @flags. */
static bool network_list_match(const VkNetworkSummary *n, uint32_t flags) {
        return vk_libvirt_flag_pair(flags, LIST_ACTIVE, LIST_INACTIVE, n->active) &&
               vk_libvirt_flag_pair(flags, LIST_PERSISTENT, LIST_TRANSIENT, n->persistent) &&
               vk_libvirt_flag_pair(flags, LIST_AUTOSTART, LIST_NO_AUTOSTART, n->autostart);
}

static void network_on_list(VkLibvirtReq *req, void *result) {
        const VkNetworkListResult *res = result;
        const VkNetworkSummary *nets = res->networks.items;
        g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func(g_free);

        for (size_t i = 0; i < res->networks.n; i++)
                if (network_list_match(&nets[i], req->flags))
                        g_ptr_array_add(paths, network_path(nets[i].uuid));
        vk_libvirt_req_reply_paths(req, paths);
}

int vk_libvirt_list_networks(VkCall *call, void *params, void *userdata) {
        VkLibvirtReq *req = NETWORK_REQ(call, userdata);
        VkNetworkListParams p = {};

        if (vk_libvirt_req_read(req, "u", &req->flags) < 0)
                return 0;
        req->list = true; /* networkd not there: no networks */
        vk_libvirt_req_send(req, "ListNetworks", &p, network_on_list);
        return 0;
}

/* A reply with the path of the network a summary or id result (name, uuid first) names. */
static void network_on_id(VkLibvirtReq *req, void *result) {
        g_autofree char *path = network_path(((VkNetworkIdResult *) result)->uuid);

        vk_libvirt_req_reply_value(req, "o", path);
}

static void network_on_summary(VkLibvirtReq *req, void *result) {
        g_autofree char *path = network_path(((VkNetworkSummary *) result)->uuid);

        vk_libvirt_req_reply_value(req, "o", path);
}

static int network_lookup(VkCall *call, void *userdata, bool by_uuid) {
        VkLibvirtReq *req = NETWORK_REQ(call, userdata);
        VkNetworkLookupParams p = {};
        const char *key;

        if (vk_libvirt_req_read(req, "s", &key) < 0)
                return 0;
        req->not_found =
                g_strdup_printf("no network with matching %s '%s'", by_uuid ? "uuid" : "name", key);
        if (by_uuid)
                p.uuid = (char *) key;
        else
                p.name = (char *) key;
        vk_libvirt_req_send(req, "LookupNetwork", &p, network_on_summary);
        return 0;
}

int vk_libvirt_network_lookup_by_name(VkCall *call, void *params, void *userdata) {
        return network_lookup(call, userdata, false);
}

int vk_libvirt_network_lookup_by_uuid(VkCall *call, void *params, void *userdata) {
        return network_lookup(call, userdata, true);
}

static int network_from_xml(VkCall *call, void *userdata, const char *method) {
        VkLibvirtReq *req = NETWORK_REQ(call, userdata);
        VkNetworkXmlParams p = {};

        if (vk_libvirt_req_read(req, "s", &p.xml) < 0)
                return 0;
        vk_libvirt_req_send(req, method, &p, network_on_id);
        return 0;
}

int vk_libvirt_network_define_xml(VkCall *call, void *params, void *userdata) {
        return network_from_xml(call, userdata, "DefineNetwork");
}

int vk_libvirt_network_create_xml(VkCall *call, void *params, void *userdata) {
        return network_from_xml(call, userdata, "CreateNetworkXML");
}

/* ---- org.libvirt.Network ---- */

/* Create, Destroy, Undefine: one of networkd's methods on the network, an empty reply. */
static int network_simple(VkCall *call, void *userdata, const char *method) {
        VkLibvirtReq *req = NETWORK_REQ(call, userdata);
        VkNetworkParams p = {};

        if (vk_libvirt_req_object(req) < 0)
                return 0;
        p.network = req->key;
        vk_libvirt_req_send(req, method, &p, vk_libvirt_req_done);
        return 0;
}

static int network_create(VkCall *call, void *params, void *userdata) {
        return network_simple(call, userdata, "CreateNetwork");
}

static int network_destroy(VkCall *call, void *params, void *userdata) {
        return network_simple(call, userdata, "DestroyNetwork");
}

static int network_undefine(VkCall *call, void *params, void *userdata) {
        return network_simple(call, userdata, "UndefineNetwork");
}

static void network_on_xml(VkLibvirtReq *req, void *result) {
        vk_libvirt_req_reply_value(req, "s", ((VkNetworkXmlResult *) result)->xml);
}

static int network_get_xml_desc(VkCall *call, void *params, void *userdata) {
        VkLibvirtReq *req = NETWORK_REQ(call, userdata);
        VkNetworkGetXmlParams p = {};

        if (vk_libvirt_req_read(req, "u", &req->flags) < 0 || vk_libvirt_req_object(req) < 0)
                return 0;
        p.network = req->key;
        p.inactive = req->flags & 1; /* VIR_NETWORK_XML_INACTIVE */
        vk_libvirt_req_send(req, "GetNetworkXML", &p, network_on_xml);
        return 0;
}

/* libvirt's virNetworkDHCPLease as libvirt-dbus sends it: (iface, expirytime, type, mac,
 * iaid, ipaddr, prefix, hostname, clientid), "" for what is not known. */
static void network_on_leases(VkLibvirtReq *req, void *result) {
        const VkNetworkLeasesResult *res = result;
        const VkNetworkLeaseArgs *leases = res->leases.items;
        g_autoptr(sd_bus_message) reply = NULL;
        int r;

        r = sd_bus_message_new_method_return(vk_call_get_bus_message(req->call), &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(sxisssuss)");
        for (size_t i = 0; r >= 0 && i < res->leases.n; i++) {
                const VkNetworkLeaseArgs *l = &leases[i];

                /* VIR_IP_ADDR_TYPE_IPV4 0, IPV6 1 */
                r = sd_bus_message_append(reply, "(sxisssuss)", l->iface, l->expiry_time,
                                          strchr(l->ip, ':') ? 1 : 0, l->mac, "", l->ip,
                                          (uint32_t) l->prefix, l->hostname, l->client_id);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0) {
                g_auto(VkError) e = VK_ERROR_INIT;

                vk_error_set_errno(&e, r, "cannot build the leases");
                vk_libvirt_req_fail(req, &e);
                return;
        }
        vk_libvirt_req_reply(req, reply);
}

static int network_get_dhcp_leases(VkCall *call, void *params, void *userdata) {
        VkLibvirtReq *req = NETWORK_REQ(call, userdata);
        VkNetworkLeasesParams p = {};
        const char *mac;

        if (vk_libvirt_req_read(req, "su", &mac, &req->flags) < 0 || vk_libvirt_req_object(req) < 0)
                return 0;
        p.network = req->key;
        p.mac = *mac ? (char *) mac : NULL; /* libvirt-dbus: "" is NULL */
        vk_libvirt_req_send(req, "GetDHCPLeases", &p, network_on_leases);
        return 0;
}

/* virNetworkUpdate: networkd knows the section VIR_NETWORK_SECTION_IP_DHCP_HOST (4). */
static int network_update(VkCall *call, void *params, void *userdata) {
        static const char *const commands[] = {
                [1] = "modify", [2] = "delete", [3] = "add-last", [4] = "add-first"
        };
        VkLibvirtReq *req = NETWORK_REQ(call, userdata);
        VkNetworkUpdateParams p = {};
        uint32_t command, section;
        int32_t parent;
        g_auto(VkError) e = VK_ERROR_INIT;

        if (vk_libvirt_req_read(req, "uuisu", &command, &section, &parent, &p.xml, &req->flags) <
                    0 ||
            vk_libvirt_req_object(req) < 0)
                return 0;
        if (command >= G_N_ELEMENTS(commands) || !commands[command])
                vk_error_set(&e, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                             "unsupported network update command %u", command);
        else if (section != 4)
                vk_error_set(&e, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                             "network update of section %u: only ip-dhcp-host (4) is supported",
                             section);
        if (vk_error_is_set(&e)) {
                vk_libvirt_req_fail(req, &e);
                return 0;
        }
        p.network = req->key;
        p.command = (char *) commands[command];
        p.section = (char *) "ip-dhcp-host";
        p.live = req->flags & UPDATE_AFFECT_LIVE;
        p.config = req->flags & UPDATE_AFFECT_CONFIG;
        vk_libvirt_req_send(req, "UpdateNetwork", &p, vk_libvirt_req_done);
        return 0;
}

/* ---- properties ---- */

static void network_on_properties(VkLibvirtReq *req, void *result) {
        const VkNetworkSummary *n = result;
        sd_bus_message *reply = vk_libvirt_prop_begin(req);
        int r = reply ? 0 : -ENOMEM;

        if (r >= 0)
                r = vk_libvirt_prop_append(req, reply, "Active", "b", n->active);
        if (r >= 0)
                r = vk_libvirt_prop_append(req, reply, "Autostart", "b", n->autostart);
        if (r >= 0)
                r = vk_libvirt_prop_append(req, reply, "Name", "s", n->name);
        if (r >= 0)
                r = vk_libvirt_prop_append(req, reply, "Persistent", "b", n->persistent);
        if (r >= 0)
                r = vk_libvirt_prop_append(req, reply, "UUID", "s", n->uuid);
        vk_libvirt_prop_end(req, reply, r);
}

static void network_get_properties(VkLibvirtReq *req) {
        VkNetworkLookupParams p = { .uuid = req->key };

        vk_libvirt_req_send(req, "LookupNetwork", &p, network_on_properties);
}

static void network_set_autostart(VkLibvirtReq *req, bool enabled) {
        VkNetworkAutostartParams p = { .network = req->key, .autostart = enabled };

        vk_libvirt_req_send(req, "SetNetworkAutostart", &p, vk_libvirt_req_done);
}

/* networkd's event as NetworkEvent(o, i) with libvirt's virNetworkEventLifecycleType. */
static void network_on_event(VkLibvirt *lv, JsonObject *params) {
        static const char *const events[] = { "defined", "undefined", "started", "stopped" };
        g_auto(VkError) e = VK_ERROR_INIT;
        VkNetworkEventArgs ev = {};
        g_autofree char *path = NULL;

        if (vk_struct_from_json(&vk_network_event_type, params, &ev, &e) < 0)
                return;
        for (int i = 0; i < (int) G_N_ELEMENTS(events); i++)
                if (strcmp(ev.event, events[i]) == 0) {
                        path = network_path(ev.uuid);
                        if (sd_bus_emit_signal(lv->bus, VK_LIBVIRT_PATH, "org.libvirt.Connect",
                                               "NetworkEvent", "oi", path, i) < 0)
                                vk_log_debug("Failed to send NetworkEvent of '%s'", ev.name);
                }
        vk_struct_clear(&vk_network_event_type, &ev);
}

static VkForward *network_forward(VkQemud *q) {
        return q->network_forward;
}

#define NETWORK_METHOD(name, handler, auth, in, out, names)                                        \
        { { name, NULL, NULL, handler, auth, 0, NULL }, in, out, names }

static const VkRawMethod network_methods[] = {
        NETWORK_METHOD("Create", network_create, VK_AUTH_MANAGE, "", "", ""),
        NETWORK_METHOD("Destroy", network_destroy, VK_AUTH_MANAGE, "", "", ""),
        NETWORK_METHOD("GetDHCPLeases", network_get_dhcp_leases, VK_AUTH_READ, "su", "a(sxisssuss)",
                       "mac\0flags\0leases\0"),
        NETWORK_METHOD("GetXMLDesc", network_get_xml_desc, VK_AUTH_READ, "u", "s", "flags\0xml\0"),
        NETWORK_METHOD("Undefine", network_undefine, VK_AUTH_MANAGE, "", "", ""),
        NETWORK_METHOD("Update", network_update, VK_AUTH_MANAGE, "uuisu", "",
                       "command\0section\0parentIndex\0xml\0flags\0"),
        {},
};

static const VkRawProperty network_properties[] = {
        { "Active", "b", vk_libvirt_objects_get_property },
        { "Autostart", "b", vk_libvirt_objects_get_property, vk_libvirt_objects_set_property },
        { "Name", "s", vk_libvirt_objects_get_property },
        { "Persistent", "b", vk_libvirt_objects_get_property },
        { "UUID", "s", vk_libvirt_objects_get_property },
        {},
};

static const VkRawInterface network_interface = {
        .bus_interface = "org.libvirt.Network",
        .methods = network_methods,
        .properties = network_properties,
};

const VkLibvirtKind vk_libvirt_network_kind = {
        .what = "Network",
        .prefix = VK_LIBVIRT_NETWORK_PATH,
        .iface = &network_interface,
        .forward_iface = &vk_qemud_network_interface,
        .forward = network_forward,
        .get_properties = network_get_properties,
        .set_autostart = network_set_autostart,
        .on_event = network_on_event,
        .sub_index = 0,
};
