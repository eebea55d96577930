/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* call.c: VkCall is one call of a method, on either wire, and its reply */
#include <string.h>

#include "bus.h"
#include "json.h"
#include "sd-glue.h"
#include "service-internal.h"

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

VkCall *call_new(VkService *s, const VkInterface *iface, const VkMethod *m, VkWire wire) {
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

static int bus_reply_error(const VkInterface *iface, sd_bus_message *msg, const VkError *e,
                           const char *fixed_name) {
        g_autofree char *name = error_full_name(iface, e->name ? e->name : VK_ERROR_INTERNAL);

        return sd_bus_reply_method_errorf(msg, fixed_name ? fixed_name : vk_bus_error_name(name),
                                          "%s", e->message ? e->message : "failed");
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
        return bus_reply_error(c->iface, c->msg, e, c->bus_error_name);
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

void call_run(VkCall *c) {
        g_autoptr(VkCall) ref = vk_call_ref(c);
        int r;

        r = c->method->handler(c, c->params, c->service->userdata);
        if (r < 0 && !c->replied) {
                if (!vk_error_is_set(&c->error))
                        vk_error_set_errno(&c->error, r, "%s failed", c->method->name);
                (void) vk_call_reply_error(c, NULL);
        }
}
