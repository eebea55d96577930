/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-secrets.h: a domain's disk secrets, encrypted for QEMU by virtkit-secretd */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <glib.h>
#include <systemd/sd-event.h>

#include "error.h"
#include "qemu-argv.h"
#include "qemu-domain-def.h"

/* The domain's master key (QEMU's masterKey0): AES-256 */
#define VK_QEMU_MASTER_KEY_SIZE 32

/* The name of the secret daemon in errors, and its varlink interface */
#define VK_QEMU_SECRETD_NAME      "virtkit-secretd"
#define VK_QEMU_SECRETD_INTERFACE "io.virtkit.Secret"

typedef struct VkQemuSecrets VkQemuSecrets;

/* The fetch ended: every secret is in, or @error says which one failed and why. */
typedef void (*VkQemuSecretsDoneFunc)(VkQemuSecrets *s, const VkError *error, void *userdata);

size_t vk_qemu_secrets_count_disks(const VkDomainDef *def);
int vk_qemu_secrets_fetch(sd_event *e, const char *socket_path, const VkDomainDef *def,
                          const uint8_t key[VK_QEMU_MASTER_KEY_SIZE], uint64_t timeout_usec,
                          VkQemuSecretsDoneFunc done, void *userdata, VkQemuSecrets **ret,
                          VkError *reterr);
const VkQemuArgvSecret *vk_qemu_secrets_get(const VkQemuSecrets *s, size_t *ret_n);
VkQemuSecrets *vk_qemu_secrets_free(VkQemuSecrets *s);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(VkQemuSecrets, vk_qemu_secrets_free)
