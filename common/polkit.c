/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* polkit.c: asynchronous authorisation checks through the polkit D-Bus API */
#include <errno.h>
#include <stdlib.h>

#include <glib.h>

#include "macro.h"
#include "polkit.h"
#include "sd-glue.h"

#define POLKIT_CHECK_FLAG_ALLOW_INTERACTION 1u
#define POLKIT_TIMEOUT_USEC                 (25ull * 1000000ull)
#define POLKIT_INTERACTIVE_TIMEOUT_USEC     (300ull * 1000000ull)

typedef struct PolkitCheck {
        VkPolkitFunc cb;
        void *userdata;
} PolkitCheck;

static void polkit_check_free(void *p) {
        g_free(p);
}

static int polkit_on_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        PolkitCheck *chk = userdata;
        g_auto(VkError) error = VK_ERROR_INIT;
        const sd_bus_error *e;
        int authorized = 0, challenge = 0, r;

        e = sd_bus_message_get_error(m);
        if (e) {
                vk_error_set(&error, VK_ERROR_PERMISSION_DENIED, -EPERM,
                             "cannot check authorisation with polkit: %s",
                             e->message ? e->message : e->name);
                chk->cb(VK_POLKIT_DENIED, &error, chk->userdata);
                return 0;
        }

        r = sd_bus_message_enter_container(m, 'r', "bba{ss}");
        if (r >= 0)
                r = sd_bus_message_read(m, "bb", &authorized, &challenge);
        if (r < 0) {
                vk_error_set(&error, VK_ERROR_PERMISSION_DENIED, r,
                             "cannot check authorisation with polkit: malformed reply");
                chk->cb(VK_POLKIT_DENIED, &error, chk->userdata);
                return 0;
        }

        chk->cb(authorized  ? VK_POLKIT_ALLOWED
                : challenge ? VK_POLKIT_CHALLENGE
                            : VK_POLKIT_DENIED,
                NULL, chk->userdata);
        return 0;
}

/*
 * Ask polkit on @system_bus whether @subject may perform @action. The answer comes through @cb
 * from the loop, never from inside this call. The returned slot owns the pending check:
 * unreferencing it cancels the check (and @cb is not called). Returns < 0 (with @reterr) when
 * the request could not be sent.
 */
int vk_polkit_check_async(sd_bus *system_bus, const VkPolkitSubject *subject, const char *action,
                          bool interactive, VkPolkitFunc cb, void *userdata, sd_bus_slot **ret_slot,
                          VkError *reterr) {
        g_autoptr(sd_bus_message) m = NULL;
        g_autoptr(sd_bus_slot) slot = NULL;
        PolkitCheck *chk;
        int r;

        r = sd_bus_message_new_method_call(system_bus, &m, "org.freedesktop.PolicyKit1",
                                           "/org/freedesktop/PolicyKit1/Authority",
                                           "org.freedesktop.PolicyKit1.Authority",
                                           "CheckAuthorization");
        if (r < 0)
                return vk_error_set_errno(reterr, r, "cannot ask polkit");

        if (subject->bus_name)
                r = sd_bus_message_append(m, "(sa{sv})", "system-bus-name", 1, "name", "s",
                                          subject->bus_name);
        else {
                uint64_t start_time = subject->process.start_time;

                if (start_time == 0)
                        (void) vk_process_start_time(subject->process.pid, &start_time);
                r = sd_bus_message_append(m, "(sa{sv})", "unix-process", 3, "pid", "u",
                                          (uint32_t) subject->process.pid, "start-time", "t",
                                          start_time, "uid", "i", (int32_t) subject->process.uid);
        }
        if (r >= 0)
                r = sd_bus_message_append(m, "sa{ss}us", action, 0,
                                          interactive ? POLKIT_CHECK_FLAG_ALLOW_INTERACTION : 0u,
                                          "");
        if (r < 0)
                return vk_error_set_errno(reterr, r, "cannot ask polkit");

        if (interactive)
                (void) sd_bus_message_set_allow_interactive_authorization(m, true);

        chk = g_new0(PolkitCheck, 1);
        chk->cb = cb;
        chk->userdata = userdata;
        r = sd_bus_call_async(system_bus, &slot, m, polkit_on_reply, chk,
                              interactive ? POLKIT_INTERACTIVE_TIMEOUT_USEC : POLKIT_TIMEOUT_USEC);
        if (r < 0) {
                g_free(chk);
                return vk_error_set_errno(reterr, r, "cannot ask polkit");
        }
        (void) sd_bus_slot_set_destroy_callback(slot, polkit_check_free);
        *ret_slot = g_steal_pointer(&slot);
        return 0;
}
