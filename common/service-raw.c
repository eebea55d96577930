/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* service-raw.c: D-Bus calls whose handler reads and answers the message itself */
#include <string.h>

#include "sd-glue.h"
#include "service-internal.h"
#include "service-raw.h"

/*
 * The sd-bus vtable of @ri: every method runs @handler, every property its own getter and
 * setter. The vtable points into @ri; free it with g_free().
 */
sd_bus_vtable *vk_raw_vtable_new(const VkRawInterface *ri, sd_bus_message_handler_t handler) {
        size_t n = 0, i = 0;
        sd_bus_vtable *vt;

        for (const VkRawMethod *m = ri->methods; m && m->method.name; m++)
                n++;
        for (const VkRawProperty *p = ri->properties; p && p->name; p++)
                n++;
        for (const VkRawSignal *s = ri->signals; s && s->name; s++)
                n++;

        vt = g_new0(sd_bus_vtable, n + 2);
        vt[i++] = (sd_bus_vtable) SD_BUS_VTABLE_START(0);
        for (const VkRawMethod *m = ri->methods; m && m->method.name; m++)
                vt[i++] = (sd_bus_vtable){
                        .type = _SD_BUS_VTABLE_METHOD,
                        .flags = SD_BUS_VTABLE_UNPRIVILEGED,
                        .x.method = { .member = m->method.name,
                                      .signature = m->signature,
                                      .result = m->result,
                                      .handler = handler,
                                      .names = m->names },
                };
        for (const VkRawProperty *p = ri->properties; p && p->name; p++)
                vt[i++] = (sd_bus_vtable){
                        .type = p->set ? _SD_BUS_VTABLE_WRITABLE_PROPERTY : _SD_BUS_VTABLE_PROPERTY,
                        .flags = p->set ? SD_BUS_VTABLE_UNPRIVILEGED : 0,
                        .x.property = { .member = p->name,
                                        .signature = p->type,
                                        .get = p->get,
                                        .set = p->set },
                };
        for (const VkRawSignal *s = ri->signals; s && s->name; s++)
                vt[i++] = (sd_bus_vtable){
                        .type = _SD_BUS_VTABLE_SIGNAL,
                        .x.signal = { .member = s->name,
                                      .signature = s->signature,
                                      .names = s->names },
                };
        vt[i++] = (sd_bus_vtable) SD_BUS_VTABLE_END;
        return vt;
}

/* The method @member of @ri, or NULL. */
const VkRawMethod *vk_raw_interface_find(const VkRawInterface *ri, const char *member) {
        for (const VkRawMethod *m = ri->methods; member && m && m->method.name; m++)
                if (strcmp(m->method.name, member) == 0)
                        return m;
        return NULL;
}

/*
 * Run @m for the D-Bus call @msg once the caller is identified and authorised for m->auth
 * exactly like a declared method (session: the owner only; system: read-only at once,
 * changing ones for root or after polkit asks about @auth_iface's action). Every error reply
 * of the call, denials included, carries the D-Bus error name @error_name (NULL: the usual
 * names). The handler gets NULL params. Returns 1 (the message is taken care of).
 */
int vk_service_dispatch_raw(VkService *s, const VkInterface *auth_iface, const VkMethod *m,
                            sd_bus_message *msg, const char *error_name) {
        g_autoptr(VkCall) c = NULL;

        c = call_new(s, auth_iface, m, VK_WIRE_BUS);
        c->msg = sd_bus_message_ref(msg);
        c->interactive = sd_bus_message_get_allow_interactive_authorization(msg) > 0;
        c->bus_error_name = error_name;
        call_authorize_bus(c);
        return 1;
}

/* The bus the service is attached to (borrowed), or NULL. */
sd_bus *vk_service_get_bus(VkService *s) {
        return s->bus;
}

/* The D-Bus message of the call @c (borrowed), or NULL for a varlink call. */
sd_bus_message *vk_call_get_bus_message(VkCall *c) {
        return c->wire == VK_WIRE_BUS ? c->msg : NULL;
}

/*
 * Send @reply, a method return to the call's message the handler built, as the call's one
 * reply. Returns -EALREADY when the call was answered already.
 */
int vk_call_reply_message(VkCall *c, sd_bus_message *reply) {
        if (c->replied)
                return -EALREADY;
        c->replied = true;
        if (!sd_bus_message_get_expect_reply(c->msg))
                return 0;
        return sd_bus_message_send(reply);
}
