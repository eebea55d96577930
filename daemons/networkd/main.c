/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* main.c: virtkit-networkd, the network daemon */
#include "api.h"
#include "daemon.h"

int main(int argc, char **argv) {
        static const VkDaemonInfo info = {
                .name = "virtkit-networkd",
                .driver = "network",
                .iface = &vk_network_interface,
        };

        return vk_daemon_main(argc, argv, &info);
}
