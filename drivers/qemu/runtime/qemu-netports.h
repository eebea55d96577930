/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-netports.h: the ports of a domain's <interface type='network'>s, from virtkit-networkd */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <glib.h>
#include <systemd/sd-event.h>

#include "error.h"
#include "qemu-domain-def.h"

/* The name of the network daemon in errors, and its varlink interface */
#define VK_QEMU_NETWORKD_NAME      "virtkit-networkd"
#define VK_QEMU_NETWORKD_INTERFACE "io.virtkit.Network"

/* Where one NIC plugs in: networkd's answer to CreatePort. */
typedef struct VkQemuNetPlug {
        char *port;    /* the port's UUID */
        char *network; /* the network's name */
        char *bridge;  /* a tap on this bridge; NULL: a macvtap on @dev */
        unsigned mtu;  /* 0: the bridge's */
        char *dev;     /* a macvtap network: the host interface */
        VkNetDirectMode mode;
} VkQemuNetPlug;

typedef struct VkQemuNetPorts VkQemuNetPorts;

/* The ports were made, or @error says for which interface and why not (none is left then). */
typedef void (*VkQemuNetPortsDoneFunc)(VkQemuNetPorts *np, const VkError *error, void *userdata);

size_t vk_qemu_netports_count(const VkDomainDef *def);
int vk_qemu_netports_create(sd_event *e, const char *socket_path, const VkDomainDef *def,
                            const char *intent_path, uint64_t timeout_usec,
                            VkQemuNetPortsDoneFunc done, void *userdata, VkQemuNetPorts **ret,
                            VkError *reterr);
const VkQemuNetPlug *vk_qemu_netports_get(const VkQemuNetPorts *np, size_t *ret_n);
void vk_qemu_netports_disown(VkQemuNetPorts *np);
VkQemuNetPorts *vk_qemu_netports_free(VkQemuNetPorts *np);
void vk_qemu_netports_delete(sd_event *e, const char *socket_path, const char *const *ports,
                             size_t n);
void vk_qemu_netports_reclaim(sd_event *e, const char *socket_path, const VkDomainDef *live);
char *vk_qemu_netports_intent_path(const char *run_dir, const char *domain);
void vk_qemu_netports_recover(sd_event *e, const char *run_dir,
                              const VkDomainDef *(*live_of)(const char *name, void *userdata),
                              void *userdata);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(VkQemuNetPorts, vk_qemu_netports_free)
