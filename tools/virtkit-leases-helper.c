/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virtkit-leases-helper: dnsmasq's --dhcp-script, keeping a network's leases as JSON */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "macro.h"
#include "network-leases.h"

/*
 * dnsmasq runs this (as root, one call at a time) with:
 *   init                       print the known leases, dnsmasq's lease file format
 *   add|old|del MAC IP [NAME]  a lease was given, renewed or seen at start, or ended
 * and the environment DNSMASQ_INTERFACE, DNSMASQ_LEASE_EXPIRES, DNSMASQ_CLIENT_ID and
 * DNSMASQ_SUPPLIED_HOSTNAME, plus $VIRTKIT_LEASES_FILE naming the network's leases file (the
 * driver sets it for dnsmasq, which hands its environment down). Anything else (tftp,
 * arp-add, ...) is ignored. Exit 0, or 1 with a message on stderr (dnsmasq logs it).
 */

static const char *env_or_null(const char *name) {
        const char *v = getenv(name);

        return v && *v ? v : NULL;
}

static int leases_print(const VkNetworkLeases *l) {
        const VkNetworkLeaseEntry *items = l->leases.items;

        for (size_t i = 0; i < l->leases.n; i++)
                printf("%lld %s %s %s %s\n", (long long) items[i].expiry_time, items[i].mac,
                       items[i].ip, items[i].hostname ? items[i].hostname : "*",
                       items[i].client_id ? items[i].client_id : "*");
        return fflush(stdout) == 0 ? 0 : -EIO;
}

int main(int argc, char **argv) {
        const char *path = env_or_null(VK_NETWORK_LEASES_FILE_ENV);
        g_autoptr(VkNetworkLeases) l = NULL;
        VkError e = VK_ERROR_INIT;
        const char *action = argc > 1 ? argv[1] : "";
        int r;

        if (!path) {
                fprintf(stderr, "virtkit-leases-helper: $%s is not set\n",
                        VK_NETWORK_LEASES_FILE_ENV);
                return 1;
        }
        r = vk_network_leases_load(path, &l, &e);
        if (r < 0) {
                fprintf(stderr, "virtkit-leases-helper: %s\n", e.message);
                vk_error_done(&e);
                return 1;
        }
        vk_network_leases_expire(l, (int64_t) time(NULL));

        if (strcmp(action, "init") == 0)
                return leases_print(l) < 0 ? 1 : 0;
        if (argc < 4)
                return 0;
        if (strcmp(action, "add") == 0 || strcmp(action, "old") == 0) {
                const char *expires = env_or_null("DNSMASQ_LEASE_EXPIRES");
                VkNetworkLeaseEntry entry = {
                        .expiry_time = expires ? g_ascii_strtoll(expires, NULL, 10) : 0,
                        .mac = argv[2],
                        .ip = argv[3],
                        .hostname = argc > 4 && *argv[4]
                                            ? argv[4]
                                            : (char *) env_or_null("DNSMASQ_SUPPLIED_HOSTNAME"),
                        .client_id = (char *) env_or_null("DNSMASQ_CLIENT_ID"),
                        .iface = (char *) vk_strempty(env_or_null("DNSMASQ_INTERFACE")),
                };

                vk_network_leases_set(l, &entry);
        } else if (strcmp(action, "del") == 0)
                vk_network_leases_remove(l, argv[3]);
        else
                return 0;
        r = vk_network_leases_save(path, l, &e);
        if (r < 0) {
                fprintf(stderr, "virtkit-leases-helper: %s\n", e.message);
                vk_error_done(&e);
                return 1;
        }
        return 0;
}
