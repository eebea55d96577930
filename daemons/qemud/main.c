/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* main.c: virtkit-qemud, the qemu daemon */
#include "api.h"
#include "daemon.h"

int main(int argc, char **argv) {
        static const VkDaemonInfo info = {
                .name = "virtkit-qemud",
                .driver = "qemu",
                .iface = &vk_qemu_interface,
        };

        return vk_daemon_main(argc, argv, &info);
}
