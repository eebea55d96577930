/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* main.c: virtkit-networkd, the network daemon */
#include <string.h>

#include "api.h"
#include "conf.h"
#include "daemon.h"
#include "log.h"
#include "macro.h"

/* conf/networks/default.xml, installed: defined on a system or session instance's first start */
#define NETWORKD_DEFAULT_XML VK_DATADIR "/virtkit/networks/default.xml"

/* The installed default network, or the build tree's copy when we run from the build tree. */
static char *networkd_default_xml(void) {
        g_autofree char *self = g_file_read_link("/proc/self/exe", NULL);

        if (self && g_str_has_prefix(self, VK_BUILD_ROOT "/"))
                return g_strdup(VK_BUILD_ROOT "/conf/default-network.xml");
        return g_strdup(NETWORKD_DEFAULT_XML);
}

/*
 * network.conf (@path, may be missing): libvirt's firewall_backend = "nftables" | "iptables".
 * *@ret_backend: the value, NULL when unset.
 */
static int networkd_read_config(const char *path, char **ret_backend, VkError *reterr) {
        g_autoptr(VkConf) conf = NULL;
        g_autofree char *backend = NULL;
        int r;

        r = vk_conf_parse_file(path, VK_CONF_ALLOW_MISSING, &conf, reterr);
        if (r < 0)
                return r;
        r = vk_conf_check_keys(conf, VK_STRV("firewall_backend"), reterr);
        if (r < 0)
                return r;
        r = vk_conf_get_string(conf, "firewall_backend", &backend, reterr);
        if (r < 0)
                return r;
        if (backend && strcmp(backend, "nftables") != 0 && strcmp(backend, "iptables") != 0)
                return vk_conf_error(conf, "firewall_backend", reterr,
                                     "unsupported value '%s' (nftables or iptables)", backend);
        *ret_backend = g_steal_pointer(&backend);
        return 0;
}

static int networkd_init(VkDaemon *d, void **ret_userdata, VkError *reterr) {
        const VkPaths *paths = vk_daemon_get_paths(d);
        VkInstanceKind kind = vk_daemon_get_instance(d);
        g_autoptr(GPtrArray) warnings = NULL;
        g_autofree char *default_xml = networkd_default_xml();
        g_autofree char *backend = NULL;
        VkNetworkd *nd = NULL;
        VkNetworkDriverConfig cfg = {
                .event = vk_daemon_get_event(d),
                .config_dir = paths->config_dir,
                .run_dir = paths->run_dir,
                .lib_dir = paths->lib_dir,
                .default_xml = kind == VK_INSTANCE_EMBEDDED ? NULL : default_xml,
        };
        int r;

        r = networkd_read_config(paths->config_file, &backend, reterr);
        if (r < 0)
                return r;
        cfg.firewall_backend = backend;
        r = vk_networkd_new(vk_daemon_get_event(d), &cfg, &nd, &warnings, reterr);
        if (r < 0)
                return r;
        vk_network_driver_autostart(nd->driver, warnings);
        /* each problem once, here: the driver itself never logs above debug */
        for (guint i = 0; i < warnings->len; i++)
                vk_log_warning("%s", (const char *) warnings->pdata[i]);
        vk_log_debug("Loaded %u network(s); firewall backend %s",
                     vk_network_driver_count(nd->driver),
                     vk_network_driver_firewall_backend(nd->driver));
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
