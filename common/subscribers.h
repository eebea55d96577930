/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* subscribers.h: the open streams of a SubscribeEvents method, and sending an event to them */
#pragma once
#include <systemd/sd-event.h>

#include "call.h"

typedef struct VkSubscribers VkSubscribers;

VkSubscribers *vk_subscribers_new(sd_event *e);
int vk_subscribers_add(VkSubscribers *s, VkCall *call);
void vk_subscribers_send(VkSubscribers *s, const void *event);
void vk_subscribers_drop_all(VkSubscribers *s);
VkSubscribers *vk_subscribers_free(VkSubscribers *s);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(VkSubscribers, vk_subscribers_free)
