/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* main.c: virtkit-qemud, the qemu daemon */
#include "api.h"
#include "daemon.h"
#include "libvirt.h"
#include "log.h"

/* qemu.conf's libvirt_dbus: serve org.libvirt on our bus connection */
static bool qemud_libvirt_dbus;

static void qemud_on_busy_changed(void *userdata) {
        vk_daemon_check_idle(userdata);
}

static int qemud_init(VkDaemon *d, void **ret_userdata, VkError *reterr) {
        VkQemud *q = NULL;
        int r;

        r = vk_qemud_new(vk_daemon_get_event(d), vk_daemon_get_paths(d), vk_daemon_get_instance(d),
                         vk_daemon_is_session(d), qemud_on_busy_changed, d, &q, reterr);
        if (r < 0)
                return r;
        /* before serving: a paused VM adopted from the last run must not be reported running
         * to the client whose call activated us (5 s: the reconnect timeout) */
        vk_qemu_driver_settle(q->driver, 6ULL * 1000 * 1000);
        r = vk_libvirt_read_config(vk_daemon_get_paths(d)->config_file, &qemud_libvirt_dbus,
                                   reterr);
        if (r < 0) {
                vk_qemud_free(q);
                return r;
        }
        *ret_userdata = q;
        return 0;
}

static void qemud_service_ready(void *userdata, VkService *service) {
        VkQemud *q = userdata;

        q->service = service;
}

static void qemud_bus_ready(void *userdata, VkService *service, sd_bus *bus) {
        g_auto(VkError) error = VK_ERROR_INIT;
        VkLibvirt *lv;

        if (!qemud_libvirt_dbus)
                return;
        /* owned by the VkQemud (q->libvirt), freed with it */
        if (vk_libvirt_new(userdata, service, bus, &lv, &error) < 0)
                vk_log_warning("Not serving org.libvirt on the bus: %s", error.message);
}

static void qemud_done(void *userdata) {
        /* running QEMUs stay: the next instance reconnects to them */
        vk_qemud_free(userdata);
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
                .service_ready = qemud_service_ready,
                .bus_ready = qemud_bus_ready,
        };

        return vk_daemon_main(argc, argv, &info);
}
