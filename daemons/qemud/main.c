/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* main.c: virtkit-qemud, the qemu daemon */
#include <signal.h>

#include "api.h"
#include "daemon.h"
#include "log.h"

static void qemud_on_busy_changed(VkQemuDriver *drv, void *userdata) {
        VkQemud *q = userdata;

        vk_daemon_check_idle(q->daemon);
}

/* Streams end while the service still exists (done() runs after it was freed). */
static int qemud_on_exit(sd_event_source *s, void *userdata) {
        vk_qemud_drop_subscribers(userdata);
        return 0;
}

static int qemud_init(VkDaemon *d, void **ret_userdata, VkError *reterr) {
        static const VkQemuDriverCallbacks callbacks = {
                .event = vk_qemud_on_event,
                .busy_changed = qemud_on_busy_changed,
        };
        g_autofree VkQemud *q = g_new0(VkQemud, 1);
        sigset_t ss;
        int r;

        /* QEMU and probes are children watched by the loop (sd-event needs SIGCHLD blocked) */
        sigemptyset(&ss);
        sigaddset(&ss, SIGCHLD);
        if (sigprocmask(SIG_BLOCK, &ss, NULL) < 0)
                return vk_error_set_errno(reterr, errno, "Failed to block SIGCHLD");

        r = vk_qemu_driver_new(vk_daemon_get_event(d), vk_daemon_get_paths(d),
                               vk_daemon_get_instance(d), &q->driver, reterr);
        if (r < 0)
                return r;
        q->daemon = d;
        q->subscribers = g_ptr_array_new();
        r = sd_event_add_exit(vk_daemon_get_event(d), &q->exit_source, qemud_on_exit, q);
        if (r < 0) {
                q->driver = vk_qemu_driver_free(q->driver);
                g_ptr_array_unref(q->subscribers);
                return vk_error_set_errno(reterr, r, "Failed to add an exit source");
        }
        vk_qemu_driver_set_callbacks(q->driver, &callbacks, q);
        *ret_userdata = g_steal_pointer(&q);
        return 0;
}

static void qemud_done(void *userdata) {
        VkQemud *q = userdata;

        q->exit_source = sd_event_source_disable_unref(q->exit_source);
        g_ptr_array_unref(q->subscribers);
        /* running QEMUs stay: the next instance reconnects to them */
        vk_qemu_driver_free(q->driver);
        g_free(q);
}

static bool qemud_busy(void *userdata) {
        VkQemud *q = userdata;

        return vk_qemu_driver_is_busy(q->driver);
}

int main(int argc, char **argv) {
        static const VkDaemonInfo info = {
                .name = "virtkit-qemud",
                .driver = "qemu",
                .iface = &vk_qemu_interface,
                .init = qemud_init,
                .done = qemud_done,
                .busy = qemud_busy,
        };

        return vk_daemon_main(argc, argv, &info);
}
