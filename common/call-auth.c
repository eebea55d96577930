/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* call-auth.c: who may make a call: the session owner, root, or whom polkit allows */
#include "polkit.h"
#include "sd-glue.h"
#include "service-internal.h"

void call_deny(VkCall *c, const char *name, const char *why) {
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
void call_authorize(VkCall *c) {
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
