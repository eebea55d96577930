/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-volumes.h: a domain's <disk type='volume'> resolved to paths by virtkit-storaged */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <glib.h>
#include <systemd/sd-event.h>

#include "error.h"
#include "qemu-argv.h"
#include "qemu-domain-def.h"

/* The name of the storage daemon in errors, and its varlink interface */
#define VK_QEMU_STORAGED_NAME      "virtkit-storaged"
#define VK_QEMU_STORAGED_INTERFACE "io.virtkit.Storage"

typedef struct VkQemuVolumes VkQemuVolumes;

/* The lookups ended: every volume disk of the definition is resolved, or @error says which
 * one failed and why. */
typedef void (*VkQemuVolumesDoneFunc)(VkQemuVolumes *v, const VkError *error, void *userdata);

size_t vk_qemu_volumes_count_disks(const VkDomainDef *def);
int vk_qemu_volumes_resolve_disks(sd_event *e, const char *socket_path, VkDomainDisk *const *disks,
                                  size_t n, uint64_t timeout_usec, VkQemuVolumesDoneFunc done,
                                  void *userdata, VkQemuVolumes **ret, VkError *reterr);
int vk_qemu_volumes_resolve(sd_event *e, const char *socket_path, VkDomainDef *def,
                            uint64_t timeout_usec, VkQemuVolumesDoneFunc done, void *userdata,
                            VkQemuVolumes **ret, VkError *reterr);
const VkQemuArgvVolume *vk_qemu_volumes_get(const VkQemuVolumes *v, size_t *ret_n);
VkQemuVolumes *vk_qemu_volumes_free(VkQemuVolumes *v);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(VkQemuVolumes, vk_qemu_volumes_free)
