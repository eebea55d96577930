/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* call.h: VkCall is one call of a method, on either wire, and its reply */
#pragma once

#include <stdbool.h>

#include "error.h"
#include "method.h"
#include "peer.h"
#include "service.h"

typedef enum VkWire {
        VK_WIRE_VARLINK,
        VK_WIRE_BUS,
        _VK_WIRE_MAX,
        _VK_WIRE_INVALID = -EINVAL,
} VkWire;

VkCall *vk_call_ref(VkCall *c);
VkCall *vk_call_unref(VkCall *c);
VkError *vk_call_error(VkCall *c);
const VkPeer *vk_call_peer(VkCall *c);
VkWire vk_call_wire(VkCall *c);
VkService *vk_call_service(VkCall *c);
const VkMethod *vk_call_method(VkCall *c);
bool vk_call_more(VkCall *c);
bool vk_call_replied(VkCall *c);
bool vk_call_is_connected(VkCall *c);
int vk_call_reply(VkCall *c, const void *result);
int vk_call_reply_continue(VkCall *c, const void *result);
int vk_call_reply_error(VkCall *c, const VkError *e);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(VkCall, vk_call_unref)
