/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* api.c: the io.virtkit.Network interface served by virtkit-networkd: handlers, events, objects */
#include <signal.h>
#include <stddef.h>
#include <string.h>

#include "admin.h"
#include "api.h"
#include "call.h"
#include "log.h"
#include "macro.h"
#include "objdir.h"

static VkNetworkDriver *api_driver(void *userdata) {
        return ((VkNetworkd *) userdata)->driver;
}

static int api_reply_id(VkCall *call, const VkNetworkInfo *info) {
        char buf[VK_UUID_STRING_MAX];
        VkNetworkIdResult res = {
                .name = info->name,
                .uuid = (char *) vk_uuid_format(&info->uuid, buf),
        };

        return vk_call_reply(call, &res);
}

static int api_define_network(VkCall *call, void *params, void *userdata) {
        const VkNetworkXmlParams *p = params;
        g_autoptr(VkNetworkInfo) info = NULL;
        int r;

        r = vk_network_driver_define(api_driver(userdata), p->xml, &info, vk_call_error(call));
        if (r < 0)
                return r;
        vk_log_info("%s network '%s' (uid %u)", r > 0 ? "Defined" : "Redefined", info->name,
                    (unsigned) vk_call_peer(call)->uid);
        return api_reply_id(call, info);
}

static int api_undefine_network(VkCall *call, void *params, void *userdata) {
        const VkNetworkParams *p = params;
        int r;

        r = vk_network_driver_undefine(api_driver(userdata), p->network, vk_call_error(call));
        if (r < 0)
                return r;
        vk_log_info("Undefined network '%s' (uid %u)", p->network,
                    (unsigned) vk_call_peer(call)->uid);
        return vk_call_reply(call, NULL);
}

static int api_create_network(VkCall *call, void *params, void *userdata) {
        const VkNetworkParams *p = params;
        int r;

        r = vk_network_driver_create(api_driver(userdata), p->network, vk_call_error(call));
        if (r < 0)
                return r;
        vk_log_info("Started network '%s' (uid %u)", p->network,
                    (unsigned) vk_call_peer(call)->uid);
        return vk_call_reply(call, NULL);
}

static int api_create_network_xml(VkCall *call, void *params, void *userdata) {
        const VkNetworkXmlParams *p = params;
        g_autoptr(VkNetworkInfo) info = NULL;
        int r;

        r = vk_network_driver_create_xml(api_driver(userdata), p->xml, &info, vk_call_error(call));
        if (r < 0)
                return r;
        vk_log_info("Started transient network '%s' (uid %u)", info->name,
                    (unsigned) vk_call_peer(call)->uid);
        return api_reply_id(call, info);
}

static int api_destroy_network(VkCall *call, void *params, void *userdata) {
        const VkNetworkParams *p = params;
        int r;

        r = vk_network_driver_destroy(api_driver(userdata), p->network, vk_call_error(call));
        if (r < 0)
                return r;
        vk_log_info("Destroyed network '%s' (uid %u)", p->network,
                    (unsigned) vk_call_peer(call)->uid);
        return vk_call_reply(call, NULL);
}

static int api_get_network_xml(VkCall *call, void *params, void *userdata) {
        const VkNetworkGetXmlParams *p = params;
        g_autofree char *xml = NULL;
        VkNetworkXmlResult res;
        int r;

        r = vk_network_driver_get_xml(api_driver(userdata), p->network, p->inactive, &xml,
                                      vk_call_error(call));
        if (r < 0)
                return r;
        res.xml = xml;
        return vk_call_reply(call, &res);
}

static VkNetworkSummary api_summary(const VkNetworkInfo *info, char buf[VK_UUID_STRING_MAX]) {
        return (VkNetworkSummary){
                .name = info->name,
                .uuid = (char *) vk_uuid_format(&info->uuid, buf),
                .active = info->active,
                .persistent = info->persistent,
                .autostart = info->autostart,
                .bridge = (char *) vk_strempty(info->bridge),
        };
}

static int api_lookup_network(VkCall *call, void *params, void *userdata) {
        const VkNetworkLookupParams *p = params;
        g_autoptr(VkNetworkInfo) info = NULL;
        char buf[VK_UUID_STRING_MAX];
        VkNetworkSummary res;
        VkError *e = vk_call_error(call);
        int r;

        if (!!p->name == !!p->uuid)
                return vk_error_set(e, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "name: give either name or uuid");
        r = vk_network_driver_lookup(api_driver(userdata), p->name, p->uuid, &info, e);
        if (r < 0)
                return r;
        res = api_summary(info, buf);
        return vk_call_reply(call, &res);
}

static int api_list_networks(VkCall *call, void *params, void *userdata) {
        const VkNetworkListParams *p = params;
        g_autoptr(GPtrArray) infos = NULL;
        g_autofree VkNetworkSummary *items = NULL;
        g_autofree char *uuids = NULL;
        VkNetworkListResult res = {};
        VkNetworkFilter filter;
        VkError *e = vk_call_error(call);
        int r;

        r = vk_tristate_filter_parse("active", p->active, &filter.active, e);
        if (r >= 0)
                r = vk_tristate_filter_parse("persistent", p->persistent, &filter.persistent, e);
        if (r >= 0)
                r = vk_tristate_filter_parse("autostart", p->autostart, &filter.autostart, e);
        if (r >= 0)
                r = vk_network_driver_list(api_driver(userdata), &filter, &infos, e);
        if (r < 0)
                return r;
        items = g_new0(VkNetworkSummary, MAX(infos->len, 1u));
        uuids = g_malloc0((size_t) MAX(infos->len, 1u) * VK_UUID_STRING_MAX);
        for (guint i = 0; i < infos->len; i++)
                items[i] = api_summary(infos->pdata[i], uuids + (size_t) i * VK_UUID_STRING_MAX);
        res.networks = (VkArray){ .items = items, .n = infos->len };
        return vk_call_reply(call, &res);
}

static int api_set_network_autostart(VkCall *call, void *params, void *userdata) {
        const VkNetworkAutostartParams *p = params;
        int r;

        r = vk_network_driver_set_autostart(api_driver(userdata), p->network, p->autostart,
                                            vk_call_error(call));
        if (r < 0)
                return r;
        return vk_call_reply(call, NULL);
}

static int api_get_dhcp_leases(VkCall *call, void *params, void *userdata) {
        const VkNetworkLeasesParams *p = params;
        g_autoptr(VkNetworkLeases) l = NULL;
        g_autofree VkNetworkLeaseArgs *items = NULL;
        const VkNetworkLeaseEntry *in;
        VkNetworkLeasesResult res;
        int r;

        r = vk_network_driver_get_dhcp_leases(api_driver(userdata), p->network, p->mac, &l,
                                              vk_call_error(call));
        if (r < 0)
                return r;
        in = l->leases.items;
        items = g_new0(VkNetworkLeaseArgs, MAX(l->leases.n, 1u));
        for (size_t i = 0; i < l->leases.n; i++)
                items[i] = (VkNetworkLeaseArgs){
                        .expiry_time = in[i].expiry_time,
                        .mac = in[i].mac,
                        .ip = in[i].ip,
                        .hostname = (char *) vk_strempty(in[i].hostname),
                        .client_id = (char *) vk_strempty(in[i].client_id),
                        .iface = in[i].iface,
                        .prefix = in[i].prefix,
                };
        res.leases = (VkArray){ .items = items, .n = l->leases.n };
        return vk_call_reply(call, &res);
}

static int api_update_network(VkCall *call, void *params, void *userdata) {
        const VkNetworkUpdateParams *p = params;
        int r;

        r = vk_network_driver_update(api_driver(userdata), p->network, p->command, p->section,
                                     p->xml, p->live, p->config, vk_call_error(call));
        if (r < 0)
                return r;
        vk_log_info("Updated network '%s': %s %s (uid %u)", p->network, p->command, p->section,
                    (unsigned) vk_call_peer(call)->uid);
        return vk_call_reply(call, NULL);
}

/* --- ports --- */

static VkNetworkPortSummary api_port_summary(const VkNetworkPortInfo *info,
                                             char uuid[VK_UUID_STRING_MAX],
                                             char mac[VK_MAC_STRING_MAX]) {
        return (VkNetworkPortSummary){
                .uuid = (char *) vk_uuid_format(&info->uuid, uuid),
                .network = info->network,
                .mac = (char *) vk_mac_format(&info->mac, mac),
                .owner_name = (char *) vk_strempty(info->owner_name),
                .plug_type = (char *) vk_network_plug_type_to_string(info->plug_type),
                .bridge = (char *) vk_strempty(info->bridge),
                .mtu = info->mtu,
                .dev = (char *) vk_strempty(info->dev),
                .mode = (char *) vk_strempty(info->mode),
        };
}

static int api_create_port(VkCall *call, void *params, void *userdata) {
        const VkNetworkPortParams *p = params;
        g_autoptr(VkNetworkPortInfo) info = NULL;
        char uuid[VK_UUID_STRING_MAX], mac[VK_MAC_STRING_MAX];
        VkNetworkPortSummary res;
        int r;

        r = vk_network_driver_create_port(api_driver(userdata), p->network, p->xml, &info,
                                          vk_call_error(call));
        if (r < 0)
                return r;
        res = api_port_summary(info, uuid, mac);
        vk_log_debug("Port '%s' on network '%s' for MAC %s", uuid, info->network, mac);
        return vk_call_reply(call, &res);
}

static int api_delete_port(VkCall *call, void *params, void *userdata) {
        const VkNetworkPortRef *p = params;
        int r;

        r = vk_network_driver_delete_port(api_driver(userdata), p->port, vk_call_error(call));
        if (r < 0)
                return r;
        return vk_call_reply(call, NULL);
}

static int api_list_ports(VkCall *call, void *params, void *userdata) {
        const VkNetworkParams *p = params;
        g_autoptr(GPtrArray) infos = NULL;
        g_autofree VkNetworkPortSummary *items = NULL;
        g_autofree char *uuids = NULL, *macs = NULL;
        VkNetworkPortListResult res;
        int r;

        r = vk_network_driver_list_ports(api_driver(userdata), p->network, &infos,
                                         vk_call_error(call));
        if (r < 0)
                return r;
        items = g_new0(VkNetworkPortSummary, MAX(infos->len, 1u));
        uuids = g_malloc0((size_t) MAX(infos->len, 1u) * VK_UUID_STRING_MAX);
        macs = g_malloc0((size_t) MAX(infos->len, 1u) * VK_MAC_STRING_MAX);
        for (guint i = 0; i < infos->len; i++)
                items[i] =
                        api_port_summary(infos->pdata[i], uuids + (size_t) i * VK_UUID_STRING_MAX,
                                         macs + (size_t) i * VK_MAC_STRING_MAX);
        res.ports = (VkArray){ .items = items, .n = infos->len };
        return vk_call_reply(call, &res);
}

static int api_get_port_xml(VkCall *call, void *params, void *userdata) {
        const VkNetworkPortRef *p = params;
        g_autofree char *xml = NULL;
        VkNetworkXmlResult res;
        int r;

        r = vk_network_driver_get_port_xml(api_driver(userdata), p->port, &xml,
                                           vk_call_error(call));
        if (r < 0)
                return r;
        res.xml = xml;
        return vk_call_reply(call, &res);
}

/* --- D-Bus objects: one per network, keyed by UUID --- */

typedef struct NetworkProps {
        char *name;
        char *uuid;
        bool active;
        bool persistent;
        bool autostart;
        char *bridge;
} NetworkProps;

static const VkField network_props_fields[] = {
        { "Name", VK_FIELD_STRING, offsetof(NetworkProps, name), VK_FIELD_REQUIRED, NULL,
          "The network's name" },
        { "UUID", VK_FIELD_STRING, offsetof(NetworkProps, uuid), VK_FIELD_REQUIRED, NULL,
          "The network's UUID" },
        { "Active", VK_FIELD_BOOL, offsetof(NetworkProps, active), VK_FIELD_REQUIRED, NULL,
          "Whether the network runs" },
        { "Persistent", VK_FIELD_BOOL, offsetof(NetworkProps, persistent), VK_FIELD_REQUIRED, NULL,
          "Whether the network is defined (not transient)" },
        { "Autostart", VK_FIELD_BOOL, offsetof(NetworkProps, autostart), VK_FIELD_REQUIRED, NULL,
          "Whether the network starts with the daemon" },
        { "BridgeName", VK_FIELD_STRING, offsetof(NetworkProps, bridge), VK_FIELD_REQUIRED, NULL,
          "empty for none" },
        {},
};

static const VkStructType network_props_type = {
        .size = sizeof(NetworkProps),
        .fields = network_props_fields,
};

static int api_network_object_keys(char ***ret_keys, void *userdata) {
        g_autoptr(GPtrArray) infos = NULL;
        GPtrArray *keys;
        char buf[VK_UUID_STRING_MAX];
        int r;

        r = vk_network_driver_list(api_driver(userdata), NULL, &infos, NULL);
        if (r < 0)
                return r;
        keys = g_ptr_array_new();
        for (guint i = 0; i < infos->len; i++)
                g_ptr_array_add(keys, g_strdup(vk_uuid_format(
                                              &((VkNetworkInfo *) infos->pdata[i])->uuid, buf)));
        g_ptr_array_add(keys, NULL);
        *ret_keys = (char **) g_ptr_array_free(keys, false);
        return 0;
}

static int api_network_object_get(const char *key, void *ret_props, void *userdata) {
        g_autoptr(VkNetworkInfo) info = NULL;
        NetworkProps *p = ret_props;
        char buf[VK_UUID_STRING_MAX];

        if (vk_network_driver_lookup(api_driver(userdata), NULL, key, &info, NULL) < 0)
                return -ENOENT;
        *p = (NetworkProps){
                .name = g_strdup(info->name),
                .uuid = g_strdup(vk_uuid_format(&info->uuid, buf)),
                .active = info->active,
                .persistent = info->persistent,
                .autostart = info->autostart,
                .bridge = g_strdup(vk_strempty(info->bridge)),
        };
        return 0;
}

static const VkObjectMethod network_object_methods[] = {
        { "GetXML", "GetNetworkXML", "network" },
        { "Create", "CreateNetwork", "network" },
        { "Destroy", "DestroyNetwork", "network" },
        { "Undefine", "UndefineNetwork", "network" },
        { "SetAutostart", "SetNetworkAutostart", "network" },
        { "GetDHCPLeases", "GetDHCPLeases", "network" },
        { "ListPorts", "ListPorts", "network" },
        {},
};

static const VkObjectInterface network_objects[] = {
        {
                .bus_interface = "io.virtkit.Network1.Network",
                .path_prefix = "/io/virtkit/Network1/network",
                .methods = network_object_methods,
                .properties = &network_props_type,
                .list = api_network_object_keys,
                .get = api_network_object_get,
                .doc = "One network: its state and methods",
        },
        {},
};

/* --- events --- */

static int api_subscribe_events(VkCall *call, void *params, void *userdata) {
        VkNetworkd *nd = userdata;

        return vk_subscribers_add(nd->subscribers, call);
}

static void api_on_network_event(VkNetworkDriver *drv, const VkNetworkEvent *ev, void *userdata) {
        VkNetworkd *nd = userdata;
        VkNetworkEventArgs args = {
                .name = (char *) ev->name,
                .uuid = (char *) ev->uuid,
                .event = (char *) vk_network_event_type_to_string(ev->type),
        };
        int r;

        vk_subscribers_send(nd->subscribers, &args);
        if (!nd->service)
                return;
        r = vk_service_emit_signal(nd->service, "NetworkEvent", &args);
        if (r < 0)
                vk_log_debug("Failed to emit NetworkEvent for network '%s': %s", ev->name,
                             g_strerror(-r));
        r = vk_service_update_object(nd->service, &network_objects[0], ev->uuid);
        if (r < 0)
                vk_log_debug("Failed to announce the change of network '%s' on D-Bus: %s", ev->name,
                             g_strerror(-r));
}

/* --- the interface --- */

#define API_METHOD(name, handler, in, out, auth, flags, doc)                                       \
        { name, in, out, api_##handler, auth, flags, doc },

static const VkMethod network_methods[] = {
        VK_NETWORK_METHODS(API_METHOD){},
};

static const VkMethod *const network_method_tables[] = {
        vk_admin_methods,
        network_methods,
        NULL,
};

const VkInterface vk_network_interface = {
        VK_INTERFACE_NAMES("Network", "network"),
        .doc = "Virtual networks: bridges, NAT, DHCP, ports for VM NICs.",
        .method_tables = network_method_tables,
        .errors = vk_network_errors,
        .signals = vk_network_signals,
        .objects = network_objects,
};

static int networkd_on_exit(sd_event_source *s, void *userdata) {
        VkNetworkd *nd = userdata;

        vk_subscribers_drop_all(nd->subscribers);
        return 0;
}

/* The driver's background problems (a dnsmasq that died) go to the log, once, here. */
static void api_on_driver_warning(VkNetworkDriver *drv, const char *message, void *userdata) {
        vk_log_warning("%s", message);
}

/* The state every handler of vk_network_interface gets: the network driver for @cfg.
 * SIGCHLD gets blocked (sd-event watches dnsmasq). */
int vk_networkd_new(sd_event *event, const VkNetworkDriverConfig *cfg, VkNetworkd **ret,
                    GPtrArray **ret_warnings, VkError *reterr) {
        g_autoptr(VkNetworkd) nd = g_new0(VkNetworkd, 1);
        sigset_t ss;
        int r;

        /* sd-event watches dnsmasq */
        sigemptyset(&ss);
        sigaddset(&ss, SIGCHLD);
        if (sigprocmask(SIG_BLOCK, &ss, NULL) < 0)
                return vk_error_set_errno(reterr, -errno, "Failed to block SIGCHLD");

        nd->event = sd_event_ref(event);
        nd->subscribers = vk_subscribers_new(event);
        r = vk_network_driver_new(cfg, &nd->driver, ret_warnings, reterr);
        if (r < 0)
                return r;
        r = sd_event_add_exit(event, &nd->exit_source, networkd_on_exit, nd);
        if (r < 0)
                return vk_error_set_errno(reterr, r, "Failed to add an exit source");
        vk_network_driver_set_event_callback(nd->driver, api_on_network_event, nd);
        vk_network_driver_set_warning_callback(nd->driver, api_on_driver_warning, nd);
        *ret = g_steal_pointer(&nd);
        return 0;
}

/* Free the state and the driver; running networks keep running. Takes NULL. */
VkNetworkd *vk_networkd_free(VkNetworkd *nd) {
        if (!nd)
                return NULL;
        if (nd->subscribers)
                vk_subscribers_drop_all(nd->subscribers);
        nd->exit_source = sd_event_source_disable_unref(nd->exit_source);
        vk_subscribers_free(nd->subscribers);
        vk_network_driver_free(nd->driver);
        sd_event_unref(nd->event);
        g_free(nd);
        return NULL;
}
