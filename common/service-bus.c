/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* service-bus.c: the D-Bus front door of a VkService: find the method, decode, dispatch */
#include <string.h>

#include "bus.h"
#include "sd-glue.h"
#include "service-internal.h"

/*
 * Run the method @m for the D-Bus call @msg: decode, then identify and authorise the caller,
 * then call the handler. For an object method, @key_field names the parameter that is not in the
 * message but set to @key, the object's key.
 */
int service_bus_dispatch(VkService *s, const VkInterface *iface, sd_bus_message *msg,
                         const VkMethod *m, const char *key_field, const char *key) {
        g_autoptr(VkCall) c = NULL;
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

        call_authorize_bus(c);
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
