/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* service-bus.c: the D-Bus front door of a VkService: decode, identify the caller, dispatch */
#include <string.h>

#include "bus.h"
#include "sd-glue.h"
#include "service-internal.h"

#define UID_CACHE_MAX 1024

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
int service_bus_dispatch(VkService *s, const VkInterface *iface, sd_bus_message *msg,
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

int service_on_bus_method(sd_bus_message *msg, void *userdata, sd_bus_error *ret_error) {
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
