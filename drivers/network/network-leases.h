/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* network-leases.h: the DHCP leases of one network, a JSON file kept by the leases helper */
#pragma once

#include <stdint.h>

#include <glib.h>

#include "error.h"
#include "method.h"

/* The environment variable that tells the leases helper its file (set for dnsmasq). */
#define VK_NETWORK_LEASES_FILE_ENV "VIRTKIT_LEASES_FILE"
/* The helper's name in the libexec dir (tools/virtkit-leases-helper.c). */
#define VK_NETWORK_LEASES_HELPER "virtkit-leases-helper"
/* At most this many leases are kept per network; a leases file is at most this large. */
#define VK_NETWORK_LEASES_MAX      65536
#define VK_NETWORK_LEASES_FILE_MAX (16 * 1024 * 1024)

typedef struct VkNetworkLeaseEntry {
        int64_t expiry_time; /* seconds since the epoch; 0: never */
        char *mac;
        char *ip;
        char *hostname;  /* NULL: none */
        char *client_id; /* NULL: none */
        char *iface;     /* the bridge */
        unsigned prefix; /* of the network's subnet holding ip (not stored: filled on reading) */
} VkNetworkLeaseEntry;

typedef struct VkNetworkLeases {
        VkArray leases; /* VkNetworkLeaseEntry */
} VkNetworkLeases;

VkNetworkLeases *vk_network_leases_free(VkNetworkLeases *l);
int vk_network_leases_load(const char *path, VkNetworkLeases **ret, VkError *reterr);
int vk_network_leases_save(const char *path, const VkNetworkLeases *l, VkError *reterr);
void vk_network_leases_remove(VkNetworkLeases *l, const char *ip);
void vk_network_leases_set(VkNetworkLeases *l, const VkNetworkLeaseEntry *e);
void vk_network_leases_expire(VkNetworkLeases *l, int64_t now);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(VkNetworkLeases, vk_network_leases_free)
