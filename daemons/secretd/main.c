/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* main.c: virtkit-secretd, the secret daemon */
#include "api.h"
#include "daemon.h"

int main(int argc, char **argv) {
        static const VkDaemonInfo info = {
                .name = "virtkit-secretd",
                .driver = "secret",
                .iface = &vk_secret_interface,
        };

        return vk_daemon_main(argc, argv, &info);
}
