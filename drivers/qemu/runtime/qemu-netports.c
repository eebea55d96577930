/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-netports.c: the ports of a domain's <interface type='network'>s, from virtkit-networkd */
#include <assert.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "atomic-file.h"
#include "json.h"
#include "log.h"
#include "macro.h"
#include "qemu-netports.h"
#include "sd-glue.h"
#include "uuid.h"
#include "varlink-client.h"
#include "xml.h"

/*
 * At start each <interface type='network'> asks networkd for a port (CreatePort): networkd
 * says which bridge the tap goes on, with which MTU, or (a macvtap network) on which host
 * interface a macvtap is made, in which mode. All calls go out at once on one
 * connection (varlink answers in order), from the loop; the first failure ends the whole
 * thing and the ports already made are deleted again. The port UUIDs are ours, so a CreatePort
 * repeated after a lost answer is harmless (networkd returns the same port).
 *
 * Before the first CreatePort goes out, the UUIDs are written to an intent file
 * (<run dir>/<domain>.ports, JSON {"networkd": socket, "ports": [...]}): a qemud killed before
 * the domain's status file records the ports leaves that file, and the next qemud deletes
 * every port it lists that no running domain uses (vk_qemu_netports_recover()). The file goes
 * once the ports are recorded elsewhere (the status file) or networkd confirmed their deletion.
 */

#define NETPORTS_DELETE_TIMEOUT_USEC (10ULL * 1000 * 1000)

typedef struct PortSlot {
        VkQemuNetPorts *owner;
        size_t net; /* index in def->nets */
        char *alias;
        VkQemuNetPlug plug;
        bool made;
} PortSlot;

struct VkQemuNetPorts {
        sd_event *event;
        char *socket_path;
        VkVarlinkClient *client;
        GPtrArray *slots;     /* PortSlot */
        VkQemuNetPlug *plugs; /* per def->nets index; for vk_qemu_netports_get() */
        size_t n_nets;
        unsigned n_pending;
        VkError error;
        bool finished;
        bool disowned;     /* someone else deletes the ports now */
        char *intent_path; /* NULL: none written */
        sd_event_source *timer;
        sd_event_source *defer;
        VkQemuNetPortsDoneFunc done;
        void *userdata;
};

static void plug_clear(VkQemuNetPlug *plug) {
        g_free(plug->port);
        g_free(plug->network);
        g_free(plug->bridge);
        g_free(plug->dev);
        *plug = (VkQemuNetPlug){};
}

static void port_slot_free(PortSlot *slot) {
        g_free(slot->alias);
        plug_clear(&slot->plug);
        g_free(slot);
}

/* How many interfaces of @def need a port. */
size_t vk_qemu_netports_count(const VkDomainDef *def) {
        size_t n = 0;

        for (size_t i = 0; i < def->n_nets; i++)
                if (def->nets[i]->type == VK_NET_TYPE_NETWORK)
                        n++;
        return n;
}

static void netports_delete(sd_event *e, const char *socket_path, const char *const *ports,
                            size_t n, const char *intent_path);

/* Delete the ports made so far (once the fetch failed or was dropped). */
static void netports_delete_made(VkQemuNetPorts *np) {
        g_autoptr(GPtrArray) ids = g_ptr_array_new();

        if (np->disowned)
                return;
        for (guint i = 0; i < np->slots->len; i++) {
                PortSlot *slot = np->slots->pdata[i];

                if (slot->made)
                        g_ptr_array_add(ids, slot->plug.port);
                slot->made = false;
        }
        if (ids->len > 0)
                netports_delete(np->event, np->socket_path, (const char *const *) ids->pdata,
                                ids->len, np->intent_path);
        else if (np->intent_path)
                (void) vk_file_remove(np->intent_path);
}

static int netports_on_defer(sd_event_source *src, void *userdata) {
        VkQemuNetPorts *np = userdata;

        np->defer = sd_event_source_disable_unref(np->defer);
        np->timer = sd_event_source_disable_unref(np->timer);
        np->client = vk_varlink_client_free(np->client);
        if (np->error.name)
                netports_delete_made(np);
        np->done(np, np->error.name ? &np->error : NULL, np->userdata);
        return 0;
}

static void netports_finish(VkQemuNetPorts *np) {
        if (np->finished)
                return;
        np->finished = true;
        (void) sd_event_add_defer(np->event, &np->defer, netports_on_defer, np);
}

static void netports_fail(VkQemuNetPorts *np, const PortSlot *slot, int err, const char *why) {
        if (np->finished)
                return;
        (void) vk_error_set(&np->error, VK_ERROR_OPERATION_FAILED, err,
                            "interface '%s': network '%s': %s", slot->alias, slot->plug.network,
                            why);
        vk_error_add_param(&np->error, "network", slot->plug.network);
        netports_finish(np);
}

static void netports_on_reply(VkVarlinkClient *cl, JsonObject *params, const char *error,
                              bool continues, void *userdata) {
        PortSlot *slot = userdata;
        VkQemuNetPorts *np = slot->owner;
        const char *type, *bridge;

        np->n_pending--;
        if (error && strcmp(error, VK_VARLINK_ERROR_DISCONNECTED) == 0) {
                netports_fail(np, slot, -ECONNRESET,
                              VK_QEMU_NETWORKD_NAME " cannot be reached: it closed the connection");
                return;
        }
        if (error) {
                const char *msg =
                        params ? vk_json_object_get_string_member_or_null(params, "message") : NULL;
                g_autofree char *why = g_strdup_printf(VK_QEMU_NETWORKD_NAME " refused the port: "
                                                                             "%s%s%s",
                                                       error, msg ? ": " : "", msg ? msg : "");

                netports_fail(np, slot, -ENOLINK, why);
                return;
        }
        /* made: deleted again if anything fails from here on */
        slot->made = true;
        type = params ? vk_json_object_get_string_member_or_null(params, "plugType") : NULL;
        if (g_strcmp0(type, "direct") == 0) {
                const char *dev = vk_json_object_get_string_member_or_null(params, "dev");
                const char *mode = vk_json_object_get_string_member_or_null(params, "mode");
                VkNetDirectMode m = vk_net_direct_mode_from_string(mode);

                if (vk_isempty(dev) || m < 0) {
                        g_autofree char *why = g_strdup_printf(VK_QEMU_NETWORKD_NAME
                                                               " answered a direct plug with host "
                                                               "interface '%s' and mode '%s'",
                                                               vk_strempty(dev), vk_strempty(mode));

                        netports_fail(np, slot, -EPROTO, why);
                        return;
                }
                slot->plug.dev = g_strdup(dev);
                slot->plug.mode = m;
                if (np->n_pending == 0)
                        netports_finish(np);
                return;
        }
        bridge = params ? vk_json_object_get_string_member_or_null(params, "bridge") : NULL;
        if (!type || (strcmp(type, "network") != 0 && strcmp(type, "bridge") != 0)) {
                g_autofree char *why = g_strdup_printf(
                        "its port plugs in as '%s': only taps on a bridge and macvtaps are "
                        "supported",
                        vk_strempty(type));

                netports_fail(np, slot, -EOPNOTSUPP, why);
                return;
        }
        if (!bridge || !*bridge) {
                netports_fail(np, slot, -EPROTO,
                              VK_QEMU_NETWORKD_NAME " answered without a bridge");
                return;
        }
        slot->plug.bridge = g_strdup(bridge);
        slot->plug.mtu =
                (unsigned) MAX(json_object_get_int_member_with_default(params, "mtu", 0), 0);
        if (np->n_pending == 0)
                netports_finish(np);
}

static int netports_on_timeout(sd_event_source *src, uint64_t usec, void *userdata) {
        VkQemuNetPorts *np = userdata;

        np->timer = sd_event_source_disable_unref(np->timer);
        for (guint i = 0; i < np->slots->len; i++) {
                PortSlot *slot = np->slots->pdata[i];

                if (!slot->plug.bridge && !slot->plug.dev) {
                        netports_fail(np, slot, -ETIMEDOUT,
                                      VK_QEMU_NETWORKD_NAME " did not answer in time");
                        break;
                }
        }
        return 0;
}

static JsonNode *netports_create_params(const VkDomainDef *def, const VkDomainNet *net,
                                        const char *port) {
        g_autoptr(JsonBuilder) b = json_builder_new();
        g_autoptr(GString) xml = g_string_new("<networkport>\n  <uuid>");
        char uuid[VK_UUID_STRING_MAX];
        char mac[18];

        g_string_append(xml, port);
        g_string_append(xml, "</uuid>\n  <owner>\n    <name>");
        vk_xml_escape(xml, def->name, false);
        g_string_append_printf(xml, "</name>\n    <uuid>%s</uuid>\n  </owner>\n",
                               vk_uuid_format(&def->uuid, uuid));
        vk_domain_mac_format(net->mac, mac);
        g_string_append_printf(xml, "  <mac address='%s'/>\n</networkport>\n", mac);

        json_builder_begin_object(b);
        json_builder_set_member_name(b, "network");
        json_builder_add_string_value(b, net->source);
        json_builder_set_member_name(b, "xml");
        json_builder_add_string_value(b, xml->str);
        json_builder_end_object(b);
        return json_builder_get_root(b);
}

/* Write the intent file @path: where and which ports are about to be made. */
static int netports_write_intent(const char *path, const char *socket_path, GPtrArray *slots,
                                 VkError *reterr) {
        g_autoptr(JsonBuilder) b = json_builder_new();
        g_autoptr(JsonNode) root = NULL;
        g_autofree char *text = NULL;

        json_builder_begin_object(b);
        json_builder_set_member_name(b, "networkd");
        json_builder_add_string_value(b, socket_path);
        json_builder_set_member_name(b, "ports");
        json_builder_begin_array(b);
        for (guint i = 0; i < slots->len; i++)
                json_builder_add_string_value(b, ((PortSlot *) slots->pdata[i])->plug.port);
        json_builder_end_array(b);
        json_builder_end_object(b);
        root = json_builder_get_root(b);
        text = vk_json_to_string(root, false);
        return vk_atomic_file_write(path, text, strlen(text), 0600, reterr);
}

/*
 * Ask networkd at @socket_path for a port for each <interface type='network'> of @def. @done
 * runs once from the loop, after all answers or at the first failure (the ports made are
 * deleted then); its error names the interface and the network. A failure to connect fails
 * the call itself and @done never runs then. Freeing *@ret drops the fetch without a callback
 * and deletes its ports, unless vk_qemu_netports_disown() handed them over. @intent_path (may
 * be NULL) is the intent file written first (see the top). Must run on the loop.
 */
int vk_qemu_netports_create(sd_event *e, const char *socket_path, const VkDomainDef *def,
                            const char *intent_path, uint64_t timeout_usec,
                            VkQemuNetPortsDoneFunc done, void *userdata, VkQemuNetPorts **ret,
                            VkError *reterr) {
        g_autoptr(VkQemuNetPorts) np = g_new0(VkQemuNetPorts, 1);
        g_auto(VkError) err = VK_ERROR_INIT;
        PortSlot *first;
        int r;

        assert(e && socket_path && def && done && ret);

        np->event = sd_event_ref(e);
        np->socket_path = g_strdup(socket_path);
        np->slots = g_ptr_array_new_with_free_func((GDestroyNotify) port_slot_free);
        np->n_nets = def->n_nets;
        np->done = done;
        np->userdata = userdata;
        for (size_t i = 0; i < def->n_nets; i++) {
                const VkDomainNet *net = def->nets[i];
                PortSlot *slot;
                VkUuid uuid;
                char text[VK_UUID_STRING_MAX];

                if (net->type != VK_NET_TYPE_NETWORK)
                        continue;
                r = vk_uuid_generate(&uuid);
                if (r < 0)
                        return vk_error_set_errno(reterr, r, "Failed to generate a port UUID");
                slot = g_new0(PortSlot, 1);
                slot->owner = np;
                slot->net = i;
                slot->alias =
                        net->info.alias ? g_strdup(net->info.alias) : g_strdup_printf("net%zu", i);
                slot->plug.port = g_strdup(vk_uuid_format(&uuid, text));
                slot->plug.network = g_strdup(net->source);
                g_ptr_array_add(np->slots, slot);
        }
        if (np->slots->len == 0)
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "domain '%s' has no interface of type 'network'", def->name);
        first = np->slots->pdata[0];
        if (intent_path) {
                r = netports_write_intent(intent_path, socket_path, np->slots, reterr);
                if (r < 0)
                        return r;
                np->intent_path = g_strdup(intent_path);
        }

        r = vk_varlink_client_connect(e, socket_path, &np->client, &err);
        if (r < 0) {
                r = vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, r,
                                 "interface '%s': network '%s': " VK_QEMU_NETWORKD_NAME
                                 " at '%s' cannot be reached: %s",
                                 first->alias, first->plug.network, socket_path, err.message);
                vk_error_add_param(reterr, "network", first->plug.network);
                return r;
        }
        for (guint i = 0; i < np->slots->len; i++) {
                PortSlot *slot = np->slots->pdata[i];
                g_autoptr(JsonNode) params =
                        netports_create_params(def, def->nets[slot->net], slot->plug.port);

                r = vk_varlink_client_call(np->client, VK_QEMU_NETWORKD_INTERFACE ".CreatePort",
                                           params, /* flags= */ 0, netports_on_reply, slot);
                if (r < 0)
                        return vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, r,
                                            "interface '%s': network '%s': " VK_QEMU_NETWORKD_NAME
                                            " at '%s' cannot be reached: %s",
                                            slot->alias, slot->plug.network, socket_path,
                                            g_strerror(-r));
                np->n_pending++;
        }
        r = sd_event_add_time_relative(e, &np->timer, CLOCK_MONOTONIC, timeout_usec, 0,
                                       netports_on_timeout, np);
        if (r < 0)
                return vk_error_set_errno(reterr, r, "Failed to arm the ports timeout");
        *ret = g_steal_pointer(&np);
        return 0;
}

/*
 * The plugs, one per interface of the definition (a zeroed one for interfaces not of type
 * 'network'), valid as long as @np. Only after @done reported success.
 */
const VkQemuNetPlug *vk_qemu_netports_get(const VkQemuNetPorts *np, size_t *ret_n) {
        VkQemuNetPorts *m = (VkQemuNetPorts *) np;

        if (!m->plugs) {
                m->plugs = g_new0(VkQemuNetPlug, MAX(m->n_nets, 1u));
                for (guint i = 0; i < m->slots->len; i++) {
                        const PortSlot *slot = m->slots->pdata[i];

                        m->plugs[slot->net] = slot->plug; /* borrowed */
                }
        }
        *ret_n = m->n_nets;
        return m->plugs;
}

/*
 * The ports belong to someone else now (the QEMU process, whose status file records them):
 * freeing @np keeps them, and the intent file goes.
 */
void vk_qemu_netports_disown(VkQemuNetPorts *np) {
        np->disowned = true;
        if (np->intent_path)
                (void) vk_file_remove(np->intent_path);
        g_clear_pointer(&np->intent_path, g_free);
}

VkQemuNetPorts *vk_qemu_netports_free(VkQemuNetPorts *np) {
        if (!np)
                return NULL;
        np->client = vk_varlink_client_free(np->client);
        if (np->slots) {
                netports_delete_made(np);
                g_ptr_array_unref(np->slots);
        }
        sd_event_source_disable_unref(np->timer);
        sd_event_source_disable_unref(np->defer);
        g_free(np->plugs);
        g_free(np->intent_path);
        vk_error_done(&np->error);
        g_free(np->socket_path);
        sd_event_unref(np->event);
        g_free(np);
        return NULL;
}

/* ---- calls in the background: deleting and reclaiming ports ---- */

typedef struct Background {
        sd_event *event;
        VkVarlinkClient *client;
        char *method; /* "DeletePort", "CreatePort" */
        unsigned n_pending;
        bool failed;       /* a call failed (or got no answer): keep @intent_path */
        char *intent_path; /* removed once every call succeeded; NULL: none */
        sd_event_source *timer;
        sd_event_source *defer;
} Background;

static void background_free(Background *bg) {
        if (bg->intent_path && !bg->failed && bg->n_pending == 0)
                (void) vk_file_remove(bg->intent_path);
        g_free(bg->intent_path);
        vk_varlink_client_free(bg->client);
        sd_event_source_disable_unref(bg->timer);
        sd_event_source_disable_unref(bg->defer);
        sd_event_unref(bg->event);
        g_free(bg->method);
        g_free(bg);
}

static int background_on_defer(sd_event_source *src, void *userdata) {
        background_free(userdata);
        return 0;
}

static void background_on_reply(VkVarlinkClient *cl, JsonObject *params, const char *error,
                                bool continues, void *userdata) {
        Background *bg = userdata;
        const char *msg =
                params ? vk_json_object_get_string_member_or_null(params, "message") : NULL;

        /* deleting: a port networkd does not know (any more) is what we wanted */
        if (error && !(strcmp(bg->method, "DeletePort") == 0 &&
                       (g_str_has_suffix(error, ".NoSuchPort") ||
                        g_str_has_suffix(error, ".NoSuchNetwork")))) {
                bg->failed = true;
                vk_log_warning(VK_QEMU_NETWORKD_NAME ": %s failed: %s%s%s", bg->method, error,
                               msg ? ": " : "", msg ? msg : "");
        }
        if (--bg->n_pending == 0 && !bg->defer &&
            sd_event_add_defer(bg->event, &bg->defer, background_on_defer, bg) < 0)
                bg->defer = NULL; /* the timer frees it */
}

static int background_on_timeout(sd_event_source *src, uint64_t usec, void *userdata) {
        Background *bg = userdata;

        vk_log_warning(VK_QEMU_NETWORKD_NAME " did not answer %s in time", bg->method);
        if (bg->defer)
                return 0;
        bg->timer = sd_event_source_disable_unref(bg->timer);
        background_free(bg);
        return 0;
}

/* Call @method once per parameter object of @calls at networkd; nothing waits, failures are
 * logged. */
static void netports_background(sd_event *e, const char *socket_path, const char *method,
                                GPtrArray *calls, const char *intent_path) {
        g_auto(VkError) err = VK_ERROR_INIT;
        g_autofree char *full = g_strdup_printf(VK_QEMU_NETWORKD_INTERFACE ".%s", method);
        Background *bg;

        if (calls->len == 0 || !socket_path)
                return;
        bg = g_new0(Background, 1);
        bg->event = sd_event_ref(e);
        bg->method = g_strdup(method);
        bg->intent_path = g_strdup(intent_path);
        bg->failed = true; /* until every call is sent */
        if (vk_varlink_client_connect(e, socket_path, &bg->client, &err) < 0) {
                vk_log_warning("Cannot call %s for %u network port(s): %s", method, calls->len,
                               err.message);
                background_free(bg);
                return;
        }
        for (guint i = 0; i < calls->len; i++)
                if (vk_varlink_client_call(bg->client, full, calls->pdata[i], 0,
                                           background_on_reply, bg) >= 0)
                        bg->n_pending++;
        bg->failed = bg->n_pending != calls->len;
        if (bg->n_pending == 0 ||
            sd_event_add_time_relative(e, &bg->timer, CLOCK_MONOTONIC, NETPORTS_DELETE_TIMEOUT_USEC,
                                       0, background_on_timeout, bg) < 0)
                background_free(bg);
}

/*
 * Delete the ports @ports (UUIDs) at networkd on @socket_path, in the background: nothing
 * waits for it, failures are logged. Must run on the loop.
 */
static void netports_delete(sd_event *e, const char *socket_path, const char *const *ports,
                            size_t n, const char *intent_path) {
        g_autoptr(GPtrArray) calls =
                g_ptr_array_new_with_free_func((GDestroyNotify) json_node_unref);

        for (size_t i = 0; i < n; i++) {
                g_autoptr(JsonBuilder) b = json_builder_new();

                json_builder_begin_object(b);
                json_builder_set_member_name(b, "port");
                json_builder_add_string_value(b, ports[i]);
                json_builder_end_object(b);
                g_ptr_array_add(calls, json_builder_get_root(b));
        }
        netports_background(e, socket_path, "DeletePort", calls, intent_path);
}

void vk_qemu_netports_delete(sd_event *e, const char *socket_path, const char *const *ports,
                             size_t n) {
        netports_delete(e, socket_path, ports, n, NULL);
}

/*
 * A restarted qemud found the running @live: claim its ports again (libvirt's RECLAIM), in the
 * background. networkd answers a CreatePort of a port it has (same UUID, network and MAC)
 * with that port, and makes it again when it lost it (a network restarted meanwhile).
 */
void vk_qemu_netports_reclaim(sd_event *e, const char *socket_path, const VkDomainDef *live) {
        g_autoptr(GPtrArray) calls =
                g_ptr_array_new_with_free_func((GDestroyNotify) json_node_unref);

        for (size_t i = 0; i < live->n_nets; i++) {
                const VkDomainNet *net = live->nets[i];

                if (net->type == VK_NET_TYPE_NETWORK && net->port_id && net->source)
                        g_ptr_array_add(calls, netports_create_params(live, net, net->port_id));
        }
        netports_background(e, socket_path, "CreatePort", calls, NULL);
}

/* <run dir>/<domain>.ports: the intent file of a start of @domain (see the top). */
char *vk_qemu_netports_intent_path(const char *run_dir, const char *domain) {
        g_autofree char *base = g_strconcat(domain, ".ports", NULL);

        return g_build_filename(run_dir, base, NULL);
}

/*
 * A qemud (re)starting: the intent files (<run dir>/NAME.ports, see the top) that starts cut
 * short by a crash left. Each port listed that @live_of(domain name) does not use (NULL: the
 * domain does not run) is deleted at the networkd the file names, in the background; the file
 * goes once networkd confirmed. Must run on the loop, after the running domains were found.
 */
void vk_qemu_netports_recover(sd_event *e, const char *run_dir,
                              const VkDomainDef *(*live_of)(const char *name, void *userdata),
                              void *userdata) {
        g_autoptr(GDir) dir = g_dir_open(run_dir, 0, NULL);
        const char *entry;

        while (dir && (entry = g_dir_read_name(dir))) {
                g_autofree char *path = NULL, *name = NULL, *text = NULL;
                g_autoptr(JsonNode) root = NULL;
                g_autoptr(GPtrArray) stale = g_ptr_array_new();
                const VkDomainDef *live;
                JsonObject *o;
                JsonArray *ports;

                if (!g_str_has_suffix(entry, ".ports") || entry[0] == '.')
                        continue;
                path = g_build_filename(run_dir, entry, NULL);
                name = g_strndup(entry, strlen(entry) - strlen(".ports"));
                if (vk_file_read_all(path, 1024 * 1024, &text, NULL, NULL) < 0 ||
                    vk_json_parse(text, -1, &root, NULL) < 0 || !JSON_NODE_HOLDS_OBJECT(root)) {
                        vk_log_warning("Ignoring '%s': not an intent file of ports", path);
                        continue;
                }
                o = json_node_get_object(root);
                ports = json_object_has_member(o, "ports")
                                ? json_object_get_array_member(o, "ports")
                                : NULL;
                live = live_of(name, userdata);
                for (guint i = 0; ports && i < json_array_get_length(ports); i++) {
                        const char *port = json_array_get_string_element(ports, i);
                        bool used = false;

                        for (size_t k = 0; port && live && k < live->n_nets; k++)
                                used = used || g_strcmp0(live->nets[k]->port_id, port) == 0;
                        if (port && !used)
                                g_ptr_array_add(stale, (gpointer) port);
                }
                if (stale->len == 0) {
                        (void) vk_file_remove(path);
                        continue;
                }
                vk_log_info("Deleting %u network port(s) of domain '%s' left by a start that "
                            "was cut short",
                            stale->len, name);
                netports_delete(e, vk_json_object_get_string_member_or_null(o, "networkd"),
                                (const char *const *) stale->pdata, stale->len, path);
        }
}
