/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* forward.h: calls on qemud's front door passed on to a sibling daemon (secretd, networkd, …) */
#pragma once

#include <systemd/sd-event.h>

#include <json-glib/json-glib.h>

#include "call.h"
#include "error.h"
#include "method.h"

typedef struct VkForward VkForward;

/*
 * The forwarded interfaces as qemud serves them: io.virtkit.Secret (every method but the
 * local ones, see daemons/secretd/api-decl.h), io.virtkit.Network and io.virtkit.Storage. Their
 * handlers expect a VkQemud as userdata, whose secret_forward / network_forward /
 * storage_forward field is set.
 */
extern const VkInterface vk_qemud_secret_interface;
extern const VkInterface vk_qemud_network_interface;
extern const VkInterface vk_qemud_storage_interface;

int vk_forward_new(sd_event *event, const char *daemon, const char *interface,
                   const char *socket_path, VkForward **ret, VkError *reterr);
VkForward *vk_forward_free(VkForward *f);
void vk_forward_cancel_all(VkForward *f);
int vk_forward_call(VkForward *f, VkCall *call, void *params);

/*
 * One reply of vk_forward_request(): @params on success (valid during the call), else @error;
 * @continues: more replies follow (a stream).
 */
typedef void (*VkForwardReplyFunc)(JsonObject *params, const VkError *error, bool continues,
                                   void *userdata);
void vk_forward_request(VkForward *f, const char *method, JsonNode *params, bool more,
                        VkForwardReplyFunc cb, void *userdata);
const char *vk_forward_daemon(VkForward *f);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(VkForward, vk_forward_free)
