/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* call-auth.c: who is calling, and may they: the session owner, root, or whom polkit allows */
#include "polkit.h"
#include "sd-glue.h"
#include "service-internal.h"

#define UID_CACHE_MAX 1024

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
 * Identify the caller of the D-Bus call @c (its uid, cached per unique bus name) where the
 * decision needs it, then authorise it like call_authorize().
 */
void call_authorize_bus(VkCall *c) {
        const char *sender = sd_bus_message_get_sender(c->msg);
        gpointer cached;
        int r;

        /* the uid matters on the session instance, and for changing calls on the system one */
        if (!c->service->session && c->method->auth == VK_AUTH_READ)
                return call_run(c);
        cached = sender ? g_hash_table_lookup(c->service->uid_cache, sender) : NULL;
        if (cached) {
                c->peer.uid = GPOINTER_TO_UINT(cached) - 1;
                return call_authorize(c);
        }
        if (!sender) {
                /* a direct (peer-to-peer) connection: the socket peer is the caller */
                return call_deny(c, VK_ERROR_PERMISSION_DENIED, "cannot identify the caller");
        }
        r = sd_bus_call_method_async(c->service->bus, &c->pending, "org.freedesktop.DBus",
                                     "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                     "GetConnectionUnixUser", call_on_bus_uid, c, "s", sender);
        if (r < 0)
                return call_deny(c, VK_ERROR_PERMISSION_DENIED, "cannot identify the caller");
        vk_call_ref(c); /* released in call_on_bus_uid() */
}
