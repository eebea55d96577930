/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cli-embed.h: the QEMU driver in-process (qemu:///embed?root=DIR), served over a socketpair */
#pragma once

#include <systemd/sd-event.h>

#include "error.h"
#include "varlink.h"

typedef struct VkEmbed VkEmbed;

int vk_embed_open(sd_event *event, const char *root, VkEmbed **ret, VkError *reterr);
int vk_embed_connect(VkEmbed *em, VkVarlinkClient **ret, VkError *reterr);
int vk_embed_connect_secrets(VkEmbed *em, VkVarlinkClient **ret, VkError *reterr);
VkEmbed *vk_embed_free(VkEmbed *em);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(VkEmbed, vk_embed_free)
