/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* call.c: VkService binds one interface declaration to varlink and D-Bus; VkCall is one call */
#include <string.h>
#include <unistd.h>

#include "bus.h"
#include "call.h"
#include "json.h"
#include "log.h"
#include "macro.h"
#include "polkit.h"
#include "sd-glue.h"

#define VARLINK_SERVICE "org.varlink.service"
#define UID_CACHE_MAX   1024

struct VkService {
        sd_event *event;
        const VkInterface *iface;
        void *userdata;
        bool session;
        uid_t uid;
        char *product;
        char *instance;
        VkVarlinkServer *varlink;
        sd_bus *bus;
        sd_bus *polkit_bus;
        sd_bus_slot *vtable_slot;
        sd_bus_slot *name_slot;
        sd_bus_vtable *vtable;
        GPtrArray *vtable_strings;
        GPtrArray *objects; /* ServiceObjects, one per iface->objects entry (with a bus) */
        sd_bus_slot *object_manager_slot;
        GPtrArray *forward_slots;   /* sd_bus_slot of each iface->forwards vtable */
        GPtrArray *forward_vtables; /* their vtables */
        GHashTable *uid_cache;      /* unique bus name → uid + 1 */
        unsigned n_calls;
        char *idl;
        void (*activity_cb)(VkService *s, void *ud);
        void *activity_ud;
        void (*released_cb)(VkService *s, void *ud);
        void *released_ud;
};

/* One object interface on the bus: its vtable, and what subscribers last heard. */
typedef struct ServiceObjects {
        VkService *service;
        const VkObjectInterface *oi;
        sd_bus_vtable *vtable;
        sd_bus_slot *vtable_slot;
        sd_bus_slot *enumerator_slot;
        GHashTable *published; /* key → property struct (oi->properties) last announced */
} ServiceObjects;

struct VkCall {
        unsigned n_ref;
        VkService *service;
        const VkInterface *iface; /* the service's interface or one of its forwards */
        const VkMethod *method;
        VkWire wire;
        VkVarlinkConnection *conn;
        sd_bus_message *msg;
        void *params;
        VkPeer peer;
        bool more;
        bool oneway;
        bool interactive;
        bool replied;
        sd_bus_slot *pending; /* a credentials lookup or polkit check */
        VkError error;
};

static void service_activity(VkService *s) {
        if (s->activity_cb)
                s->activity_cb(s, s->activity_ud);
}

VkCall *vk_call_ref(VkCall *c) {
        if (c)
                c->n_ref++;
        return c;
}

VkCall *vk_call_unref(VkCall *c) {
        VkService *s;

        if (!c)
                return NULL;
        g_assert(c->n_ref > 0);
        if (--c->n_ref > 0)
                return NULL;

        s = c->service;
        sd_bus_slot_unref(c->pending);
        vk_struct_free(c->method ? c->method->in : NULL, c->params);
        vk_varlink_connection_unref(c->conn);
        sd_bus_message_unref(c->msg);
        vk_error_done(&c->error);
        g_free(c);

        g_assert(s->n_calls > 0);
        s->n_calls--;
        service_activity(s);
        return NULL;
}

VkError *vk_call_error(VkCall *c) {
        return &c->error;
}

const VkPeer *vk_call_peer(VkCall *c) {
        return &c->peer;
}

VkWire vk_call_wire(VkCall *c) {
        return c->wire;
}

VkService *vk_call_service(VkCall *c) {
        return c->service;
}

const VkMethod *vk_call_method(VkCall *c) {
        return c->method;
}

bool vk_call_more(VkCall *c) {
        return c->more;
}

bool vk_call_replied(VkCall *c) {
        return c->replied;
}

/*
 * False once the caller cannot get a reply any more: its varlink connection closed. D-Bus
 * calls count as connected (the bus drops replies to peers that left).
 */
bool vk_call_is_connected(VkCall *c) {
        if (c->wire == VK_WIRE_VARLINK)
                return !c->oneway && vk_varlink_connection_is_open(c->conn);
        return true;
}

static VkCall *call_new(VkService *s, const VkInterface *iface, const VkMethod *m, VkWire wire) {
        VkCall *c = g_new0(VkCall, 1);

        c->n_ref = 1;
        c->service = s;
        c->iface = iface;
        c->method = m;
        c->wire = wire;
        c->peer = (VkPeer) VK_PEER_INIT;
        s->n_calls++;
        service_activity(s);
        return c;
}

static char *error_full_name(const VkInterface *iface, const char *name) {
        if (strchr(name, '.'))
                return g_strdup(name);
        return g_strdup_printf("%s.%s", iface->varlink_name, name);
}

static JsonNode *error_params(const VkError *e) {
        g_autoptr(JsonBuilder) b = json_builder_new_immutable();

        json_builder_begin_object(b);
        if (e->message) {
                json_builder_set_member_name(b, "message");
                json_builder_add_string_value(b, e->message);
        }
        for (guint i = 0; e->params && i + 1 < e->params->len; i += 2) {
                json_builder_set_member_name(b, e->params->pdata[i]);
                json_builder_add_string_value(b, e->params->pdata[i + 1]);
        }
        json_builder_end_object(b);
        return json_builder_get_root(b);
}

static int varlink_reply_error(const VkInterface *iface, VkVarlinkConnection *conn,
                               const VkError *e) {
        g_autofree char *name = error_full_name(iface, e->name ? e->name : VK_ERROR_INTERNAL);
        g_autoptr(JsonNode) params = error_params(e);

        return vk_varlink_connection_reply_error(conn, name, params);
}

static int bus_reply_error(const VkInterface *iface, sd_bus_message *msg, const VkError *e) {
        g_autofree char *name = error_full_name(iface, e->name ? e->name : VK_ERROR_INTERNAL);

        return sd_bus_reply_method_errorf(msg, vk_bus_error_name(name), "%s",
                                          e->message ? e->message : "failed");
}

/*
 * Answer @c with the error @e (the call's own error when @e is NULL). A call replies once:
 * later replies are ignored and return -EALREADY.
 */
int vk_call_reply_error(VkCall *c, const VkError *e) {
        g_auto(VkError) fallback = VK_ERROR_INIT;

        if (c->replied)
                return -EALREADY;
        c->replied = true;

        if (!e)
                e = &c->error;
        if (!e->name) {
                vk_error_set(&fallback, VK_ERROR_INTERNAL, -EIO, "%s failed",
                             c->method ? c->method->name : "call");
                e = &fallback;
        }

        if (c->wire == VK_WIRE_VARLINK) {
                if (c->oneway)
                        return 0;
                return varlink_reply_error(c->iface, c->conn, e);
        }
        return bus_reply_error(c->iface, c->msg, e);
}

static int call_send(VkCall *c, const void *result, bool continues) {
        if (c->wire == VK_WIRE_VARLINK) {
                g_autoptr(GString) text = NULL;

                if (c->oneway)
                        return 0;
                if (!c->method || !c->method->out)
                        return vk_varlink_connection_reply_text(c->conn, NULL, continues);
                /* straight from the field table to text: no JSON tree for a 1000-item list */
                text = g_string_sized_new(256);
                vk_struct_write_json(text, c->method->out, result);
                return vk_varlink_connection_reply_text(c->conn, text->str, continues);
        } else {
                g_autoptr(sd_bus_message) reply = NULL;
                int r;

                if (!sd_bus_message_get_expect_reply(c->msg))
                        return 0;
                r = sd_bus_message_new_method_return(c->msg, &reply);
                if (r < 0)
                        return r;
                if (c->method && c->method->out) {
                        r = vk_bus_append_struct(reply, c->method->out, result);
                        if (r < 0)
                                return r;
                }
                return sd_bus_message_send(reply);
        }
}

/*
 * Reply to @c with @result, a struct of the method's output type (NULL for a method without
 * output). Only the first final reply is sent: later ones return -EALREADY.
 */
int vk_call_reply(VkCall *c, const void *result) {
        if (c->replied)
                return -EALREADY;
        c->replied = true;
        return call_send(c, result, false);
}

/* Send one reply of a "more" stream; the call stays open. Varlink only (-EOPNOTSUPP otherwise). */
int vk_call_reply_continue(VkCall *c, const void *result) {
        if (c->replied)
                return -EALREADY;
        if (c->wire != VK_WIRE_VARLINK || !c->more)
                return -EOPNOTSUPP;
        return call_send(c, result, true);
}

static void call_run(VkCall *c) {
        g_autoptr(VkCall) ref = vk_call_ref(c);
        int r;

        r = c->method->handler(c, c->params, c->service->userdata);
        if (r < 0 && !c->replied) {
                if (!vk_error_is_set(&c->error))
                        vk_error_set_errno(&c->error, r, "%s failed", c->method->name);
                (void) vk_call_reply_error(c, NULL);
        }
}

static void call_deny(VkCall *c, const char *name, const char *why) {
        g_autofree char *action = vk_interface_action_id(c->iface, c->method->auth);

        vk_error_set(&c->error, name, -EPERM, "%s: %s%s%s", c->method->name, why,
                     action ? ", action " : "", action ? action : "");
        (void) vk_call_reply_error(c, NULL);
}

static void call_on_polkit(VkPolkitResult result, const VkError *error, void *userdata) {
        VkCall *c = userdata;
        g_autoptr(VkCall) ref = vk_call_ref(c);

        /* our reference on the slot would cancel the check: drop it without cancelling */
        c->pending = sd_bus_slot_unref(c->pending);

        if (error) {
                vk_error_set(&c->error, error->name, error->error, "%s", error->message);
                (void) vk_call_reply_error(c, NULL);
        } else if (result == VK_POLKIT_ALLOWED)
                call_run(c);
        else if (result == VK_POLKIT_CHALLENGE)
                call_deny(c, VK_ERROR_INTERACTIVE_AUTH_REQUIRED,
                          "interactive authentication required");
        else
                call_deny(c, VK_ERROR_PERMISSION_DENIED, "not authorised");

        vk_call_unref(c); /* the reference the check held */
}

static sd_bus *service_polkit_bus(VkService *s) {
        int r;

        if (s->polkit_bus)
                return s->polkit_bus;
        r = sd_bus_open_system(&s->polkit_bus);
        if (r < 0)
                return NULL;
        r = sd_bus_attach_event(s->polkit_bus, s->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0) {
                s->polkit_bus = sd_bus_flush_close_unref(s->polkit_bus);
                return NULL;
        }
        return s->polkit_bus;
}

/* The peer is known: decide, then run the handler (now or when polkit answers). */
static void call_authorize(VkCall *c) {
        VkService *s = c->service;
        g_autofree char *action = NULL;
        VkPolkitSubject subject = {};
        sd_bus *pk;
        int r;

        if (s->session) {
                if (c->peer.uid != s->uid)
                        return call_deny(c, VK_ERROR_PERMISSION_DENIED,
                                         "only the owner of this session instance may call it");
                return call_run(c);
        }

        if (c->method->auth == VK_AUTH_READ || c->peer.uid == 0)
                return call_run(c);

        action = vk_interface_action_id(c->iface, c->method->auth);
        pk = service_polkit_bus(s);
        if (!pk) {
                vk_error_set(&c->error, VK_ERROR_PERMISSION_DENIED, -EPERM,
                             "%s: cannot check authorisation: no system bus for polkit",
                             c->method->name);
                (void) vk_call_reply_error(c, NULL);
                return;
        }

        if (c->wire == VK_WIRE_BUS)
                subject.bus_name = sd_bus_message_get_sender(c->msg);
        else
                subject.process = c->peer;

        r = vk_polkit_check_async(pk, &subject, action, c->interactive, call_on_polkit, c,
                                  &c->pending, &c->error);
        if (r < 0) {
                (void) vk_call_reply_error(c, NULL);
                return;
        }
        vk_call_ref(c); /* released in call_on_polkit() */
}

/* --- varlink front door --- */

static const char varlink_service_idl[] =
        "# The interface every varlink service offers: who it is and what it speaks.\n"
        "interface org.varlink.service\n"
        "\n"
        "# Vendor, product, version, URL and the interfaces this service offers.\n"
        "method GetInfo() -> (\n"
        "  vendor: string,\n"
        "  product: string,\n"
        "  version: string,\n"
        "  url: string,\n"
        "  interfaces: []string\n"
        ")\n"
        "\n"
        "# The description of one interface, in the varlink interface definition syntax.\n"
        "method GetInterfaceDescription(interface: string) -> (description: string)\n"
        "\n"
        "# The interface is not offered here.\n"
        "error InterfaceNotFound (interface: string)\n"
        "\n"
        "# The method does not exist in the interface.\n"
        "error MethodNotFound (method: string)\n"
        "\n"
        "# The method exists but is not implemented.\n"
        "error MethodNotImplemented (method: string)\n"
        "\n"
        "# A parameter is missing, unknown or of the wrong type.\n"
        "error InvalidParameter (parameter: string)\n"
        "\n"
        "# The caller may not call this method.\n"
        "error PermissionDenied ()\n"
        "\n"
        "# The method must be called with \"more\".\n"
        "error ExpectedMore ()\n";

static void varlink_error_param(VkVarlinkConnection *conn, const char *error, const char *key,
                                const char *value) {
        g_autoptr(JsonBuilder) b = json_builder_new_immutable();
        g_autoptr(JsonNode) params = NULL;

        json_builder_begin_object(b);
        if (key) {
                json_builder_set_member_name(b, key);
                json_builder_add_string_value(b, value);
        }
        json_builder_end_object(b);
        params = json_builder_get_root(b);
        (void) vk_varlink_connection_reply_error(conn, error, params);
}

/* The interface of @s->iface->forwards named @name (varlink, or D-Bus with @bus); NULL if none. */
static const VkInterface *service_find_forward(VkService *s, const char *name, bool bus) {
        for (const VkInterface *const *f = s->iface->forwards; name && f && *f; f++)
                if (strcmp(bus ? (*f)->bus_interface : (*f)->varlink_name, name) == 0)
                        return *f;
        return NULL;
}

static void varlink_service_method(VkService *s, VkVarlinkConnection *conn, const char *member,
                                   JsonObject *params) {
        g_autoptr(JsonBuilder) b = json_builder_new_immutable();
        g_autoptr(JsonNode) reply = NULL;
        g_autofree char *forward_idl = NULL;

        if (strcmp(member, "GetInfo") == 0) {
                json_builder_begin_object(b);
                json_builder_set_member_name(b, "vendor");
                json_builder_add_string_value(b, "virtkit");
                json_builder_set_member_name(b, "product");
                json_builder_add_string_value(b, s->product);
                json_builder_set_member_name(b, "version");
                json_builder_add_string_value(b, VK_VERSION);
                json_builder_set_member_name(b, "url");
                json_builder_add_string_value(b, "");
                json_builder_set_member_name(b, "interfaces");
                json_builder_begin_array(b);
                json_builder_add_string_value(b, VARLINK_SERVICE);
                json_builder_add_string_value(b, s->iface->varlink_name);
                for (const VkInterface *const *f = s->iface->forwards; f && *f; f++)
                        json_builder_add_string_value(b, (*f)->varlink_name);
                json_builder_end_array(b);
                json_builder_end_object(b);
        } else if (strcmp(member, "GetInterfaceDescription") == 0) {
                const char *name = vk_json_object_get_string_member_or_null(params, "interface");
                const char *text;

                if (!name || (params && json_object_get_size(params) != 1))
                        return varlink_error_param(conn, VK_ERROR_INVALID_PARAMETER, "parameter",
                                                   "interface");
                if (strcmp(name, VARLINK_SERVICE) == 0)
                        text = varlink_service_idl;
                else if (strcmp(name, s->iface->varlink_name) == 0) {
                        if (!s->idl)
                                s->idl = vk_interface_format_idl(s->iface);
                        text = s->idl;
                } else if (service_find_forward(s, name, false))
                        text = forward_idl =
                                vk_interface_format_idl(service_find_forward(s, name, false));
                else
                        return varlink_error_param(conn, VARLINK_SERVICE ".InterfaceNotFound",
                                                   "interface", name);
                json_builder_begin_object(b);
                json_builder_set_member_name(b, "description");
                json_builder_add_string_value(b, text);
                json_builder_end_object(b);
        } else {
                g_autofree char *full = g_strdup_printf("%s.%s", VARLINK_SERVICE, member);
                return varlink_error_param(conn, VARLINK_SERVICE ".MethodNotFound", "method", full);
        }

        reply = json_builder_get_root(b);
        (void) vk_varlink_connection_reply(conn, reply, false);
}

/* A copy of @params without the member @drop (the members are shared, not copied). */
static JsonObject *object_without(JsonObject *params, const char *drop) {
        JsonObject *o = json_object_new();
        g_autoptr(GList) members = json_object_get_members(params);

        for (GList *l = members; l; l = l->next)
                if (strcmp(l->data, drop) != 0)
                        json_object_set_member(
                                o, l->data, json_node_ref(json_object_get_member(params, l->data)));
        return o;
}

static void service_on_varlink_method(VkVarlinkConnection *conn, const char *method,
                                      JsonObject *params, unsigned flags, void *userdata) {
        VkService *s = userdata;
        g_autoptr(VkCall) c = NULL;
        g_autoptr(JsonObject) filtered = NULL;
        const char *dot = strrchr(method, '.');
        g_autofree char *iface = dot ? g_strndup(method, (gsize) (dot - method)) : NULL;
        const VkInterface *target = s->iface;
        const VkMethod *m;
        JsonNode *inter;
        int r;

        if (!iface || !dot[1])
                return varlink_error_param(conn, VARLINK_SERVICE ".MethodNotFound", "method",
                                           method);
        if (strcmp(iface, VARLINK_SERVICE) == 0)
                return varlink_service_method(s, conn, dot + 1, params);
        if (strcmp(iface, s->iface->varlink_name) != 0)
                target = service_find_forward(s, iface, false);
        if (!target)
                return varlink_error_param(conn, VARLINK_SERVICE ".InterfaceNotFound", "interface",
                                           iface);
        m = vk_interface_find_method(target, dot + 1);
        if (!m)
                return varlink_error_param(conn, VARLINK_SERVICE ".MethodNotFound", "method",
                                           method);
        if ((m->flags & VK_METHOD_STREAM) && !(flags & VK_VARLINK_MORE) &&
            !(flags & VK_VARLINK_ONEWAY))
                return varlink_error_param(conn, VARLINK_SERVICE ".ExpectedMore", NULL, NULL);

        c = call_new(s, target, m, VK_WIRE_VARLINK);
        c->conn = vk_varlink_connection_ref(conn);
        c->peer = *vk_varlink_connection_peer(conn);
        c->more = flags & VK_VARLINK_MORE;
        c->oneway = flags & VK_VARLINK_ONEWAY;

        inter = params ? json_object_get_member(params, "allowInteractiveAuthentication") : NULL;
        if (inter && m->auth != VK_AUTH_READ) {
                if (!JSON_NODE_HOLDS_VALUE(inter) ||
                    json_node_get_value_type(inter) != G_TYPE_BOOLEAN)
                        return varlink_error_param(conn, VK_ERROR_INVALID_PARAMETER, "parameter",
                                                   "allowInteractiveAuthentication");
                c->interactive = json_node_get_boolean(inter);
                params = filtered = object_without(params, "allowInteractiveAuthentication");
        }

        if (m->in) {
                c->params = g_malloc0(m->in->size);
                r = vk_struct_from_json(m->in, params, c->params, &c->error);
        } else
                r = vk_struct_from_json(NULL, params, NULL, &c->error);
        if (r < 0) {
                (void) vk_call_reply_error(c, NULL);
                return;
        }

        call_authorize(c);
}

static void service_on_varlink_connection(VkVarlinkConnection *conn, bool open, void *userdata) {
        service_activity(userdata);
}

/* --- D-Bus front door --- */

static int call_on_bus_uid(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        VkCall *c = userdata;
        g_autoptr(VkCall) ref = c; /* the reference the lookup held */
        uint32_t uid;
        int r;

        c->pending = sd_bus_slot_unref(c->pending);
        if (sd_bus_message_is_method_error(reply, NULL)) {
                call_deny(c, VK_ERROR_PERMISSION_DENIED, "cannot identify the caller");
                return 0;
        }
        r = sd_bus_message_read(reply, "u", &uid);
        if (r < 0) {
                call_deny(c, VK_ERROR_PERMISSION_DENIED, "cannot identify the caller");
                return 0;
        }
        if (g_hash_table_size(c->service->uid_cache) >= UID_CACHE_MAX)
                g_hash_table_remove_all(c->service->uid_cache);
        g_hash_table_insert(c->service->uid_cache, g_strdup(sd_bus_message_get_sender(c->msg)),
                            GUINT_TO_POINTER(uid + 1));
        c->peer.uid = uid;
        call_authorize(c);
        return 0;
}

/*
 * Run the method @m for the D-Bus call @msg: decode, identify the caller, authorise, call the
 * handler. For an object method, @key_field names the parameter that is not in the message
 * but set to @key, the object's key.
 */
static int service_bus_dispatch(VkService *s, const VkInterface *iface, sd_bus_message *msg,
                                const VkMethod *m, const char *key_field, const char *key) {
        g_autoptr(VkCall) c = NULL;
        const char *sender = sd_bus_message_get_sender(msg);
        gpointer cached;
        int r;

        c = call_new(s, iface, m, VK_WIRE_BUS);
        c->msg = sd_bus_message_ref(msg);
        c->interactive = sd_bus_message_get_allow_interactive_authorization(msg) > 0;

        if (m->in) {
                c->params = g_malloc0(m->in->size);
                r = vk_bus_read_struct_skip(msg, m->in, c->params, key_field, &c->error);
                if (r < 0) {
                        (void) vk_call_reply_error(c, NULL);
                        return 1;
                }
                for (const VkField *f = m->in->fields; key_field && f->name; f++)
                        if (strcmp(f->name, key_field) == 0)
                                *(char **) VK_FIELD_PTR(c->params, f) = g_strdup(key);
        }

        /* the uid matters on the session instance, and for changing calls on the system one */
        if (!s->session && m->auth == VK_AUTH_READ) {
                call_run(c);
                return 1;
        }
        cached = sender ? g_hash_table_lookup(s->uid_cache, sender) : NULL;
        if (cached) {
                c->peer.uid = GPOINTER_TO_UINT(cached) - 1;
                call_authorize(c);
                return 1;
        }
        if (!sender) {
                /* a direct (peer-to-peer) connection: the socket peer is the caller */
                call_deny(c, VK_ERROR_PERMISSION_DENIED, "cannot identify the caller");
                return 1;
        }
        r = sd_bus_call_method_async(s->bus, &c->pending, "org.freedesktop.DBus",
                                     "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                     "GetConnectionUnixUser", call_on_bus_uid, c, "s", sender);
        if (r < 0) {
                call_deny(c, VK_ERROR_PERMISSION_DENIED, "cannot identify the caller");
                return 1;
        }
        vk_call_ref(c); /* released in call_on_bus_uid() */
        return 1;
}

static int service_on_bus_method(sd_bus_message *msg, void *userdata, sd_bus_error *ret_error) {
        VkService *s = userdata;
        const VkInterface *iface = s->iface;
        const VkMethod *m;

        if (g_strcmp0(sd_bus_message_get_interface(msg), s->iface->bus_interface) != 0)
                iface = service_find_forward(s, sd_bus_message_get_interface(msg), true);
        m = iface ? vk_interface_find_method(iface, sd_bus_message_get_member(msg)) : NULL;
        if (!m)
                return sd_bus_reply_method_errorf(msg, SD_BUS_ERROR_UNKNOWN_METHOD, "no method %s",
                                                  sd_bus_message_get_member(msg));
        return service_bus_dispatch(s, iface, msg, m, NULL, NULL);
}

/* --- objects: one D-Bus object per key of an object interface --- */

static int objects_get(ServiceObjects *so, const char *key, void **ret_props) {
        void *props = g_malloc0(so->oi->properties ? so->oi->properties->size : 1);
        int r;

        r = so->oi->get(key, props, so->service->userdata);
        if (r < 0) {
                vk_struct_free(so->oi->properties, props);
                return r;
        }
        *ret_props = props;
        return 0;
}

static void objects_props_free(gpointer p, const VkObjectInterface *oi) {
        vk_struct_free(oi->properties, p);
}

static int objects_on_find(sd_bus *bus, const char *path, const char *interface, void *userdata,
                           void **ret_found, sd_bus_error *ret_error) {
        ServiceObjects *so = userdata;
        g_autofree char *key = NULL;
        void *props = NULL;
        int r;

        if (vk_bus_object_key(so->oi->path_prefix, path, &key) < 0)
                return 0;
        r = objects_get(so, key, &props);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        objects_props_free(props, so->oi);
        *ret_found = so;
        return 1;
}

static int objects_on_enumerate(sd_bus *bus, const char *prefix, void *userdata, char ***ret_nodes,
                                sd_bus_error *ret_error) {
        ServiceObjects *so = userdata;
        g_auto(GStrv) keys = NULL;
        GPtrArray *paths;
        int r;

        r = so->oi->list(&keys, so->service->userdata);
        if (r < 0)
                return r;
        paths = g_ptr_array_new();
        for (char **k = keys; k && *k; k++) {
                char *path;

                if (vk_bus_object_path(so->oi->path_prefix, *k, &path) >= 0)
                        g_ptr_array_add(paths, path);
        }
        g_ptr_array_add(paths, NULL);
        /* sd-bus frees the vector with free(): GLib allocates with malloc() */
        *ret_nodes = (char **) g_ptr_array_free(paths, false);
        return 0;
}

static int objects_on_get_property(sd_bus *bus, const char *path, const char *interface,
                                   const char *property, sd_bus_message *reply, void *userdata,
                                   sd_bus_error *ret_error) {
        ServiceObjects *so = userdata;
        g_autofree char *key = NULL;
        void *props = NULL;
        int r;

        r = vk_bus_object_key(so->oi->path_prefix, path, &key);
        if (r >= 0)
                r = objects_get(so, key, &props);
        if (r < 0)
                return sd_bus_error_setf(ret_error, SD_BUS_ERROR_UNKNOWN_OBJECT, "no object %s",
                                         path);
        r = -ENOENT;
        for (const VkField *f = so->oi->properties->fields; f->name; f++)
                if (strcmp(f->name, property) == 0) {
                        r = vk_bus_append_field(reply, f, props);
                        break;
                }
        objects_props_free(props, so->oi);
        return r;
}

static int objects_on_method(sd_bus_message *msg, void *userdata, sd_bus_error *ret_error) {
        ServiceObjects *so = userdata;
        const char *member = sd_bus_message_get_member(msg);
        g_autofree char *key = NULL;

        if (vk_bus_object_key(so->oi->path_prefix, sd_bus_message_get_path(msg), &key) < 0)
                return sd_bus_reply_method_errorf(msg, SD_BUS_ERROR_UNKNOWN_OBJECT, "no object %s",
                                                  sd_bus_message_get_path(msg));
        for (const VkObjectMethod *om = so->oi->methods; om && om->name; om++) {
                const VkMethod *m;

                if (strcmp(om->name, member) != 0)
                        continue;
                /* checked when the vtable was built: the target exists */
                m = vk_bus_object_method_target(so->service->iface, om);
                return service_bus_dispatch(so->service, so->service->iface, msg, m, om->key, key);
        }
        return sd_bus_reply_method_errorf(msg, SD_BUS_ERROR_UNKNOWN_METHOD, "no method %s", member);
}

static void service_objects_free(ServiceObjects *so) {
        GHashTableIter it;
        gpointer value;

        if (!so)
                return;
        sd_bus_slot_unref(so->enumerator_slot);
        sd_bus_slot_unref(so->vtable_slot);
        g_free(so->vtable);
        /* the values' type is so->oi->properties: free them by hand */
        g_hash_table_iter_init(&it, so->published);
        while (g_hash_table_iter_next(&it, NULL, &value))
                objects_props_free(value, so->oi);
        g_hash_table_unref(so->published);
        g_free(so);
}

/* Remember what the objects look like now: later changes are announced against this. */
static int objects_snapshot(ServiceObjects *so) {
        g_auto(GStrv) keys = NULL;
        int r;

        r = so->oi->list(&keys, so->service->userdata);
        if (r < 0)
                return r;
        for (char **k = keys; k && *k; k++) {
                void *props;

                if (objects_get(so, *k, &props) < 0)
                        continue;
                g_hash_table_replace(so->published, g_strdup(*k), props);
        }
        return 0;
}

/* Export @oi on the service's bus: fallback vtable, node enumerator, snapshot. */
static int service_export_objects(VkService *s, const VkObjectInterface *oi, VkError *reterr) {
        ServiceObjects *so = g_new0(ServiceObjects, 1);
        int r;

        so->service = s;
        so->oi = oi;
        so->published = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        g_ptr_array_add(s->objects, so);

        r = vk_bus_object_vtable_new(s->iface, oi, objects_on_method, objects_on_get_property,
                                     s->vtable_strings, &so->vtable);
        if (r < 0)
                return vk_error_set_errno(reterr, r, "bad declaration of %s", oi->bus_interface);
        r = sd_bus_add_fallback_vtable(s->bus, &so->vtable_slot, oi->path_prefix, oi->bus_interface,
                                       so->vtable, objects_on_find, so);
        if (r < 0)
                return vk_error_set_errno(reterr, r, "cannot export %s on the bus",
                                          oi->bus_interface);
        r = sd_bus_add_node_enumerator(s->bus, &so->enumerator_slot, oi->path_prefix,
                                       objects_on_enumerate, so);
        if (r < 0)
                return vk_error_set_errno(reterr, r, "cannot list the objects of %s",
                                          oi->bus_interface);
        r = objects_snapshot(so);
        if (r < 0)
                return vk_error_set_errno(reterr, r, "cannot list the objects of %s",
                                          oi->bus_interface);
        return 0;
}

static bool field_equal(const VkField *f, const void *a, const void *b) {
        const void *x = (const uint8_t *) a + f->offset, *y = (const uint8_t *) b + f->offset;

        switch (f->type) {
        case VK_FIELD_STRING:
                return g_strcmp0(*(char *const *) x, *(char *const *) y) == 0;
        case VK_FIELD_BOOL:
                return *(const bool *) x == *(const bool *) y;
        case VK_FIELD_INT:
                return *(const int64_t *) x == *(const int64_t *) y;
        case VK_FIELD_UINT:
                return *(const uint64_t *) x == *(const uint64_t *) y;
        case VK_FIELD_DOUBLE:
                return memcmp(x, y, sizeof(double)) == 0;
        case VK_FIELD_STRV: {
                const char *const empty[] = { NULL };
                const char *const *sx = *(const char *const *const *) x;
                const char *const *sy = *(const char *const *const *) y;

                return g_strv_equal(sx ? sx : empty, sy ? sy : empty);
        }
        default:
                return false;
        }
}

/*
 * Tell D-Bus clients what became of the object @key of the object interface @oi (one of the
 * service's iface->objects): InterfacesAdded on the interface's bus_path when it is new,
 * InterfacesRemoved when it is gone, PropertiesChanged with the properties that differ from
 * the last announcement, nothing when nothing changed. Call it after anything that may have
 * changed the object; calls that change nothing are cheap. Returns 0 (also without a bus:
 * nobody to tell), -EINVAL for an unknown @oi or a bad key, or the error of the get function
 * or of sd-bus. Runs on the loop.
 */
int vk_service_update_object(VkService *s, const VkObjectInterface *oi, const char *key) {
        ServiceObjects *so = NULL;
        g_autofree char *path = NULL;
        void *now = NULL, *before;
        g_autoptr(GPtrArray) changed = NULL;
        int r;

        for (guint i = 0; s->objects && i < s->objects->len; i++)
                if (((ServiceObjects *) s->objects->pdata[i])->oi == oi)
                        so = s->objects->pdata[i];
        if (!so)
                return s->bus ? -EINVAL : 0;
        r = vk_bus_object_path(oi->path_prefix, key, &path);
        if (r < 0)
                return r;

        before = g_hash_table_lookup(so->published, key);
        r = objects_get(so, key, &now);
        if (r == -ENOENT) {
                if (!before)
                        return 0;
                g_hash_table_remove(so->published, key);
                objects_props_free(before, oi);
                r = sd_bus_emit_interfaces_removed(s->bus, path, oi->bus_interface, NULL);
                return r < 0 ? r : 0;
        }
        if (r < 0)
                return r;
        g_hash_table_replace(so->published, g_strdup(key), now);
        if (!before) {
                r = sd_bus_emit_interfaces_added(s->bus, path, oi->bus_interface, NULL);
                return r < 0 ? r : 0;
        }

        changed = g_ptr_array_new();
        for (const VkField *f = oi->properties ? oi->properties->fields : NULL; f && f->name; f++)
                if (!field_equal(f, before, now))
                        g_ptr_array_add(changed, (char *) f->name);
        objects_props_free(before, oi);
        if (changed->len == 0)
                return 0;
        g_ptr_array_add(changed, NULL);
        r = sd_bus_emit_properties_changed_strv(s->bus, path, oi->bus_interface,
                                                (char **) changed->pdata);
        return r < 0 ? r : 0;
}

/* --- the service --- */

static void service_slot_free(gpointer slot) {
        sd_bus_slot_unref(slot);
}

/* Create a service for @opts->iface on @event. Attach wires with the functions below. */
int vk_service_new(sd_event *event, const VkServiceOptions *opts, VkService **ret) {
        g_autoptr(VkService) s = g_new0(VkService, 1);
        int r;

        s->event = sd_event_ref(event);
        s->iface = opts->iface;
        s->userdata = opts->userdata;
        s->session = opts->session;
        s->uid = getuid();
        s->product = g_strdup(opts->product ? opts->product : "virtkit");
        s->instance = g_strdup(opts->instance ? opts->instance : "system");
        s->uid_cache = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        s->vtable_strings = g_ptr_array_new_with_free_func(g_free);

        r = vk_varlink_server_new(event, opts->limits, service_on_varlink_method,
                                  service_on_varlink_connection, s, &s->varlink);
        if (r < 0)
                return r;

        *ret = g_steal_pointer(&s);
        return 0;
}

/* Free the service: connections close, the bus objects go away. Takes NULL. */
VkService *vk_service_free(VkService *s) {
        if (!s)
                return NULL;
        s->activity_cb = NULL;
        vk_varlink_server_free(s->varlink);
        sd_bus_slot_unref(s->name_slot);
        sd_bus_slot_unref(s->vtable_slot);
        if (s->objects)
                g_ptr_array_unref(s->objects);
        sd_bus_slot_unref(s->object_manager_slot);
        if (s->forward_slots)
                g_ptr_array_unref(s->forward_slots);
        if (s->forward_vtables)
                g_ptr_array_unref(s->forward_vtables);
        if (s->polkit_bus != s->bus)
                sd_bus_flush_close_unref(s->polkit_bus);
        sd_bus_unref(s->bus);
        g_free(s->vtable);
        g_ptr_array_unref(s->vtable_strings);
        g_hash_table_unref(s->uid_cache);
        g_free(s->idl);
        g_free(s->product);
        g_free(s->instance);
        sd_event_unref(s->event);
        g_free(s);
        return NULL;
}

/* Serve varlink on a listening socket from socket activation. Takes ownership of @fd. */
int vk_service_add_varlink_fd(VkService *s, int fd) {
        return vk_varlink_server_add_fd(s->varlink, fd);
}

/* Serve one connected varlink stream (takes ownership of @fd). */
int vk_service_add_varlink_connection(VkService *s, int fd) {
        return vk_varlink_server_add_connection(s->varlink, fd);
}

/* Bind the varlink socket @path ourselves (started by hand). */
int vk_service_listen_varlink(VkService *s, const char *path, mode_t mode, VkError *reterr) {
        return vk_varlink_server_listen(s->varlink, path, mode, reterr);
}

static int service_on_name_acquired(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        VkService *s = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);

        s->name_slot = sd_bus_slot_unref(s->name_slot);
        if (e)
                vk_log_warning("Cannot own the bus name %s, D-Bus clients cannot reach us: %s",
                               s->iface->bus_name, e->message ? e->message : e->name);
        else
                vk_log_debug("Acquired bus name %s", s->iface->bus_name);
        return 0;
}

/*
 * Export the interface on @bus (attached to the service's loop by the caller) at
 * iface->bus_path and ask for iface->bus_name asynchronously.
 */
int vk_service_attach_bus(VkService *s, sd_bus *bus, VkError *reterr) {
        int r;

        s->bus = sd_bus_ref(bus);
        s->vtable = vk_bus_vtable_new(s->iface, service_on_bus_method, s->vtable_strings);
        r = sd_bus_add_object_vtable(bus, &s->vtable_slot, s->iface->bus_path,
                                     s->iface->bus_interface, s->vtable, s);
        if (r < 0)
                return vk_error_set_errno(reterr, r, "cannot export %s on the bus",
                                          s->iface->bus_interface);
        for (const VkInterface *const *f = s->iface->forwards; f && *f; f++) {
                sd_bus_vtable *vt = vk_bus_vtable_new(*f, service_on_bus_method, s->vtable_strings);
                sd_bus_slot *slot = NULL;

                if (!s->forward_slots) {
                        s->forward_slots = g_ptr_array_new_with_free_func(service_slot_free);
                        s->forward_vtables = g_ptr_array_new_with_free_func(g_free);
                }
                g_ptr_array_add(s->forward_vtables, vt);
                r = sd_bus_add_object_vtable(bus, &slot, s->iface->bus_path, (*f)->bus_interface,
                                             vt, s);
                if (r < 0)
                        return vk_error_set_errno(reterr, r, "cannot export %s on the bus",
                                                  (*f)->bus_interface);
                g_ptr_array_add(s->forward_slots, slot);
        }
        if (s->iface->objects && s->iface->objects[0].bus_interface) {
                r = sd_bus_add_object_manager(bus, &s->object_manager_slot, s->iface->bus_path);
                if (r < 0)
                        return vk_error_set_errno(reterr, r, "cannot add an object manager at %s",
                                                  s->iface->bus_path);
                s->objects = g_ptr_array_new_with_free_func((GDestroyNotify) service_objects_free);
                for (const VkObjectInterface *oi = s->iface->objects; oi->bus_interface; oi++) {
                        r = service_export_objects(s, oi, reterr);
                        if (r < 0)
                                return r;
                }
        }
        if (sd_bus_is_bus_client(bus) <= 0)
                return 0; /* a direct connection (tests, peer-to-peer): no names there */
        r = sd_bus_request_name_async(bus, &s->name_slot, s->iface->bus_name, 0,
                                      service_on_name_acquired, s);
        if (r < 0)
                return vk_error_set_errno(reterr, r, "cannot request the bus name %s",
                                          s->iface->bus_name);
        return 0;
}

/* Use @system_bus for polkit checks instead of opening a connection when first needed. */
void vk_service_set_polkit_bus(VkService *s, sd_bus *system_bus) {
        if (s->polkit_bus && s->polkit_bus != s->bus)
                sd_bus_flush_close_unref(s->polkit_bus);
        s->polkit_bus = system_bus;
}

/* @cb runs on every call start and end and every connection open and close. */
void vk_service_set_activity_callback(VkService *s, void (*cb)(VkService *s, void *ud), void *ud) {
        s->activity_cb = cb;
        s->activity_ud = ud;
}

/* True when no varlink client is connected and no call is in progress. */
bool vk_service_is_idle(VkService *s) {
        return s->n_calls == 0 && vk_varlink_server_n_connections(s->varlink) == 0;
}

/* Leave new varlink connections in the socket's backlog (for the next instance). */
void vk_service_stop_accepting(VkService *s) {
        vk_varlink_server_set_accepting(s->varlink, false);
}

static int service_on_name_released(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        VkService *s = userdata;

        s->name_slot = sd_bus_slot_unref(s->name_slot);
        if (s->released_cb)
                s->released_cb(s, s->released_ud);
        return 0;
}

/*
 * Give up the bus name before an idle exit, so that the bus activates a new instance for
 * callers from now on; calls that were queued before the release still reach us and are
 * answered. Returns 1 when @done will run (from the loop) once the bus confirmed, 0 when there
 * is no bus and so nothing to wait for, < 0 on failure.
 */
int vk_service_release_bus_name(VkService *s, void (*done)(VkService *s, void *ud), void *ud) {
        int r;

        if (!s->bus || sd_bus_is_bus_client(s->bus) <= 0)
                return 0;
        s->released_cb = done;
        s->released_ud = ud;
        s->name_slot = sd_bus_slot_unref(s->name_slot);
        r = sd_bus_release_name_async(s->bus, &s->name_slot, s->iface->bus_name,
                                      service_on_name_released, s);
        return r < 0 ? r : 1;
}

sd_event *vk_service_get_event(VkService *s) {
        return s->event;
}

const VkInterface *vk_service_get_interface(VkService *s) {
        return s->iface;
}

void *vk_service_get_userdata(VkService *s) {
        return s->userdata;
}

const char *vk_service_get_product(VkService *s) {
        return s->product;
}

const char *vk_service_get_instance(VkService *s) {
        return s->instance;
}

/*
 * Emit the signal @member, declared in the interface's signals, with @args (a struct of the
 * signal's argument type; NULL for none) from the interface's object on the bus. Returns 0
 * (also without a bus: there is nobody to tell), -ENOENT for an undeclared signal, or the
 * sd-bus error.
 */
int vk_service_emit_signal(VkService *s, const char *member, const void *args) {
        g_autoptr(sd_bus_message) m = NULL;
        const VkSignal *sig = NULL;
        int r;

        for (const VkSignal *i = s->iface->signals; i && i->name; i++)
                if (strcmp(i->name, member) == 0)
                        sig = i;
        if (!sig)
                return -ENOENT;
        if (!s->bus)
                return 0;
        r = sd_bus_message_new_signal(s->bus, &m, s->iface->bus_path, s->iface->bus_interface,
                                      member);
        if (r < 0)
                return r;
        if (sig->args) {
                r = vk_bus_append_struct(m, sig->args, args);
                if (r < 0)
                        return r;
        }
        r = sd_bus_send(s->bus, m, NULL);
        return r < 0 ? r : 0;
}
