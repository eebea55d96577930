/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* network-leases.c: the DHCP leases of one network, a JSON file kept by the leases helper */
#include <assert.h>
#include <stddef.h>
#include <string.h>

#include "atomic-file.h"
#include "json.h"
#include "macro.h"
#include "network-leases.h"

static const VkField entry_fields[] = {
        { "expiryTime", VK_FIELD_INT, offsetof(VkNetworkLeaseEntry, expiry_time),
          VK_FIELD_REQUIRED },
        { "mac", VK_FIELD_STRING, offsetof(VkNetworkLeaseEntry, mac), VK_FIELD_REQUIRED },
        { "ip", VK_FIELD_STRING, offsetof(VkNetworkLeaseEntry, ip), VK_FIELD_REQUIRED },
        { "hostname", VK_FIELD_STRING, offsetof(VkNetworkLeaseEntry, hostname), 0 },
        { "clientId", VK_FIELD_STRING, offsetof(VkNetworkLeaseEntry, client_id), 0 },
        { "interface", VK_FIELD_STRING, offsetof(VkNetworkLeaseEntry, iface), VK_FIELD_REQUIRED },
        {},
};

static const VkStructType entry_type = {
        .name = "NetworkLease",
        .size = sizeof(VkNetworkLeaseEntry),
        .fields = entry_fields,
};

static const VkField leases_fields[] = {
        { "leases", VK_FIELD_ARRAY, offsetof(VkNetworkLeases, leases), VK_FIELD_REQUIRED,
          &entry_type },
        {},
};

static const VkStructType leases_type = {
        .size = sizeof(VkNetworkLeases),
        .fields = leases_fields,
};

VkNetworkLeases *vk_network_leases_free(VkNetworkLeases *l) {
        if (!l)
                return NULL;
        return vk_struct_free(&leases_type, l);
}

/* The leases in @path; a missing file is no lease at all. */
int vk_network_leases_load(const char *path, VkNetworkLeases **ret, VkError *reterr) {
        g_autoptr(VkNetworkLeases) l = g_new0(VkNetworkLeases, 1);
        g_autofree char *text = NULL;
        VkError e = VK_ERROR_INIT;
        int r;

        assert(ret);
        r = vk_file_read_all(path, VK_NETWORK_LEASES_FILE_MAX, &text, NULL, &e);
        if (r == -ENOENT) {
                vk_error_done(&e);
                *ret = g_steal_pointer(&l);
                return 0;
        }
        if (r < 0) {
                r = vk_error_set(reterr, e.name, r, "%s", e.message);
                vk_error_done(&e);
                return r;
        }
        r = vk_struct_from_json_text(&leases_type, text, path, l, reterr);
        if (r < 0)
                return r;
        *ret = g_steal_pointer(&l);
        return 0;
}

/* Write @l to @path atomically (0644: dnsmasq's helper and readers). */
int vk_network_leases_save(const char *path, const VkNetworkLeases *l, VkError *reterr) {
        g_autoptr(JsonNode) node = vk_struct_to_json(&leases_type, l);
        g_autofree char *text = vk_json_to_string(node, true);

        return vk_atomic_file_write(path, text, strlen(text), 0644, reterr);
}

static void leases_remove_at(VkNetworkLeases *l, size_t i) {
        VkNetworkLeaseEntry *items = l->leases.items;

        vk_struct_clear(&entry_type, &items[i]);
        memmove(&items[i], &items[i + 1], (l->leases.n - i - 1) * sizeof(*items));
        l->leases.n--;
}

/* Forget the lease of @ip. */
void vk_network_leases_remove(VkNetworkLeases *l, const char *ip) {
        VkNetworkLeaseEntry *items = l->leases.items;

        for (size_t i = 0; i < l->leases.n; i++)
                if (g_strcmp0(items[i].ip, ip) == 0) {
                        leases_remove_at(l, i);
                        return;
                }
}

/* Add or replace the lease of @e->ip (copied); the oldest goes beyond VK_NETWORK_LEASES_MAX. */
void vk_network_leases_set(VkNetworkLeases *l, const VkNetworkLeaseEntry *e) {
        VkNetworkLeaseEntry *items;

        vk_network_leases_remove(l, e->ip);
        if (l->leases.n >= VK_NETWORK_LEASES_MAX)
                leases_remove_at(l, 0);
        items = g_renew(VkNetworkLeaseEntry, l->leases.items, l->leases.n + 1);
        items[l->leases.n] = (VkNetworkLeaseEntry){
                .expiry_time = e->expiry_time,
                .mac = g_strdup(e->mac),
                .ip = g_strdup(e->ip),
                .hostname = g_strdup(e->hostname),
                .client_id = g_strdup(e->client_id),
                .iface = g_strdup(e->iface),
        };
        l->leases.items = items;
        l->leases.n++;
}

/* Drop the leases that expired before @now (infinite ones stay). */
void vk_network_leases_expire(VkNetworkLeases *l, int64_t now) {
        VkNetworkLeaseEntry *items = l->leases.items;

        for (size_t i = l->leases.n; i > 0; i--)
                if (items[i - 1].expiry_time > 0 && items[i - 1].expiry_time < now)
                        leases_remove_at(l, i - 1);
}
