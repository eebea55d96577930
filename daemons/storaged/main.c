/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* main.c: virtkit-storaged, the storage daemon */
#include "api.h"
#include "daemon.h"

int main(int argc, char **argv) {
        static const VkDaemonInfo info = {
                .name = "virtkit-storaged",
                .driver = "storage",
                .iface = &vk_storage_interface,
        };

        return vk_daemon_main(argc, argv, &info);
}
