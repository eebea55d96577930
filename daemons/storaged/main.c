/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* main.c: virtkit-storaged, the storage daemon */
#include <stdlib.h>

#include "api.h"
#include "daemon.h"
#include "log.h"
#include "paths.h"

/*
 * Where the `default` dir pool keeps its volumes: the system instance under its lib dir
 * (/var/lib/virtkit/storage/images), a session instance in the user's data dir
 * ($XDG_DATA_HOME/virtkit/images, as libvirt's ~/.local/share/libvirt/images). An embedded
 * instance gets none.
 */
static char *storaged_default_target(VkDaemon *d) {
        const VkPaths *paths = vk_daemon_get_paths(d);
        const char *data = getenv("XDG_DATA_HOME");

        switch (vk_daemon_get_instance(d)) {
        case VK_INSTANCE_SYSTEM:
                return g_build_filename(paths->lib_dir, "images", NULL);
        case VK_INSTANCE_SESSION:
                if (data && g_path_is_absolute(data))
                        return g_build_filename(data, "virtkit", "images", NULL);
                return g_build_filename(g_get_home_dir(), ".local", "share", "virtkit", "images",
                                        NULL);
        default:
                return NULL;
        }
}

/* An autostarted pool whose start ran children (fs, logical) ended. */
static void storaged_autostarted(VkStorageDriver *drv, const char *pool, const VkError *error,
                                 void *userdata) {
        if (error)
                vk_log_warning("autostart of storage pool '%s': %s", pool, error->message);
        else
                vk_log_info("Started storage pool '%s' (autostart)", pool);
}

static int storaged_init(VkDaemon *d, void **ret_userdata, VkError *reterr) {
        const VkPaths *paths = vk_daemon_get_paths(d);
        g_autoptr(GPtrArray) warnings = NULL;
        g_autofree char *default_target = storaged_default_target(d);
        g_autofree char *secret_socket = NULL;
        VkStoraged *sd = NULL;
        VkStorageDriverConfig cfg = {
                .event = vk_daemon_get_event(d),
                .config_dir = paths->config_dir,
                .run_dir = paths->run_dir,
                .default_target = default_target,
        };
        int r;

        /* the sibling asked for the passphrases of encrypted volumes: DIR/run/io.virtkit.Secret
         * with --root DIR, /run/virtkit/io.virtkit.Secret, ... (it is socket-activated) */
        r = vk_paths_socket(paths, "io.virtkit.Secret", &secret_socket, reterr);
        if (r < 0)
                return r;
        cfg.secret_socket = secret_socket;

        r = vk_storaged_new(vk_daemon_get_event(d), &cfg, &sd, &warnings, reterr);
        if (r < 0)
                return r;
        vk_storage_driver_autostart(sd->driver, warnings, storaged_autostarted, NULL);
        vk_storaged_sync_objects(sd);
        /* each problem once, here: the driver itself never logs above debug */
        for (guint i = 0; i < warnings->len; i++)
                vk_log_warning("%s", (const char *) warnings->pdata[i]);
        vk_log_debug("Loaded %u storage pool(s)", vk_storage_driver_count(sd->driver));
        *ret_userdata = sd;
        return 0;
}

static void storaged_service_ready(void *userdata, VkService *service) {
        VkStoraged *sd = userdata;

        sd->service = service;
}

/* qemu-img jobs keep the daemon from exiting when idle */
static bool storaged_busy(void *userdata) {
        VkStoraged *sd = userdata;

        return vk_storage_driver_jobs(sd->driver) > 0;
}

static void storaged_done(void *userdata) {
        vk_storaged_free(userdata);
}

int main(int argc, char **argv) {
        static const VkDaemonInfo info = {
                .name = "virtkit-storaged",
                .driver = "storage",
                .iface = &vk_storage_interface,
                .init = storaged_init,
                .done = storaged_done,
                .busy = storaged_busy,
                .service_ready = storaged_service_ready,
        };

        return vk_daemon_main(argc, argv, &info);
}
