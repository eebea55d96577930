/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* main.c: virtkit-secretd, the secret daemon */
#include <stdlib.h>

#include "api.h"
#include "daemon.h"
#include "log.h"

static int secretd_init(VkDaemon *d, void **ret_userdata, VkError *reterr) {
        const VkPaths *paths = vk_daemon_get_paths(d);
        g_autoptr(GPtrArray) warnings = NULL;
        VkSecretd *sd = NULL;
        VkSecretDriverConfig cfg = {
                .config_dir = paths->config_dir,
                .lib_dir = paths->lib_dir,
                .credentials_dir = getenv("CREDENTIALS_DIRECTORY"),
        };
        int r;

        r = vk_secretd_new(vk_daemon_get_event(d), &cfg, &sd, &warnings, reterr);
        if (r < 0)
                return r;

        /* each broken definition once, here: the driver itself never logs above debug */
        for (guint i = 0; i < warnings->len; i++)
                vk_log_warning("Secret definition not loaded: %s",
                               (const char *) warnings->pdata[i]);
        vk_log_debug("Loaded %u secret(s); encryption key from %s",
                     vk_secret_driver_count(sd->driver),
                     vk_secret_key_source_to_string(vk_secret_driver_get_key_source(sd->driver)));
        if (vk_secret_driver_get_key_source(sd->driver) == VK_SECRET_KEY_SOURCE_GENERATED)
                vk_log_notice("Generated a new secrets encryption key in %s", paths->lib_dir);

        *ret_userdata = sd;
        return 0;
}

static void secretd_service_ready(void *userdata, VkService *service) {
        VkSecretd *sd = userdata;

        sd->service = service;
}

static void secretd_done(void *userdata) {
        vk_secretd_free(userdata);
}

int main(int argc, char **argv) {
        static const VkDaemonInfo info = {
                .name = "virtkit-secretd",
                .driver = "secret",
                .iface = &vk_secret_interface,
                .init = secretd_init,
                .done = secretd_done,
                .service_ready = secretd_service_ready,
        };

        return vk_daemon_main(argc, argv, &info);
}
