/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* main.c: virtkit-networkd, the network daemon */
#include "api.h"
#include "daemon.h"
#include "log.h"

/* conf/networks/default.xml, installed: defined on a system or session instance's first start */
#define NETWORKD_DEFAULT_XML VK_DATADIR "/virtkit/networks/default.xml"

/* The installed default network, or the build tree's copy when we run from the build tree. */
static char *networkd_default_xml(void) {
        g_autofree char *self = g_file_read_link("/proc/self/exe", NULL);

        if (self && g_str_has_prefix(self, VK_BUILD_ROOT "/"))
                return g_strdup(VK_BUILD_ROOT "/conf/default-network.xml");
        return g_strdup(NETWORKD_DEFAULT_XML);
}

static int networkd_init(VkDaemon *d, void **ret_userdata, VkError *reterr) {
        const VkPaths *paths = vk_daemon_get_paths(d);
        VkInstanceKind kind = vk_daemon_get_instance(d);
        g_autoptr(GPtrArray) warnings = NULL;
        g_autofree char *default_xml = networkd_default_xml();
        VkNetworkd *nd = NULL;
        VkNetworkDriverConfig cfg = {
                .event = vk_daemon_get_event(d),
                .config_dir = paths->config_dir,
                .run_dir = paths->run_dir,
                .lib_dir = paths->lib_dir,
                .default_xml = kind == VK_INSTANCE_EMBEDDED ? NULL : default_xml,
        };
        int r;

        r = vk_networkd_new(vk_daemon_get_event(d), &cfg, &nd, &warnings, reterr);
        if (r < 0)
                return r;
        vk_network_driver_autostart(nd->driver, warnings);
        /* each problem once, here: the driver itself never logs above debug */
        for (guint i = 0; i < warnings->len; i++)
                vk_log_warning("%s", (const char *) warnings->pdata[i]);
        vk_log_debug("Loaded %u network(s)", vk_network_driver_count(nd->driver));
        *ret_userdata = nd;
        return 0;
}

static void networkd_service_ready(void *userdata, VkService *service) {
        VkNetworkd *nd = userdata;

        nd->service = service;
}

static void networkd_done(void *userdata) {
        vk_networkd_free(userdata);
}

int main(int argc, char **argv) {
        static const VkDaemonInfo info = {
                .name = "virtkit-networkd",
                .driver = "network",
                .iface = &vk_network_interface,
                .init = networkd_init,
                .done = networkd_done,
                .service_ready = networkd_service_ready,
        };

        return vk_daemon_main(argc, argv, &info);
}
