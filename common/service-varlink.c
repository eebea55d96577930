/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* service-varlink.c: the varlink front door of a VkService, with org.varlink.service */
#include <string.h>

#include "json.h"
#include "service-internal.h"

#define VARLINK_SERVICE "org.varlink.service"

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

void service_on_varlink_method(VkVarlinkConnection *conn, const char *method, JsonObject *params,
                               unsigned flags, void *userdata) {
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
                size_t n_fds;
                const int *fds = vk_varlink_connection_get_fds(conn, &n_fds);

                c->params = g_malloc0(m->in->size);
                r = vk_struct_from_json_fds(m->in, params, fds, n_fds, c->params, &c->error);
        } else
                r = vk_struct_from_json(NULL, params, NULL, &c->error);
        if (r < 0) {
                (void) vk_call_reply_error(c, NULL);
                return;
        }

        call_authorize(c);
}

void service_on_varlink_connection(VkVarlinkConnection *conn, bool open, void *userdata) {
        service_activity(userdata);
}
