/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* varlink-batch.h: calls to a sibling daemon, sent at once on one connection, answered together */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <glib.h>
#include <json-glib/json-glib.h>
#include <systemd/sd-event.h>

#include "error.h"

typedef struct VkVarlinkBatch VkVarlinkBatch;

/*
 * One answer of call @index: @error is the daemon's error name (NULL: a reply, @params its
 * parameters; with an error, @params are the error's). Returns 0 to accept it, or a negative
 * errno with *@ret_why (g_free'd by the batch) saying what is wrong and *@ret_name the error's
 * name (NULL: OperationFailed): the batch fails naming the call.
 */
typedef int (*VkVarlinkBatchReplyFunc)(VkVarlinkBatch *b, size_t index, JsonObject *params,
                                       const char *error, const char **ret_name, char **ret_why,
                                       void *userdata);

/* Every call was answered and accepted, or @error says which one failed first and why. */
typedef void (*VkVarlinkBatchDoneFunc)(VkVarlinkBatch *b, const VkError *error, void *userdata);

VkVarlinkBatch *vk_varlink_batch_new(sd_event *e, const char *daemon, const char *socket_path);
void vk_varlink_batch_add(VkVarlinkBatch *b, const char *method, JsonNode *params,
                          const char *label, const char *const *error_params);
size_t vk_varlink_batch_size(const VkVarlinkBatch *b);
int vk_varlink_batch_start(VkVarlinkBatch *b, uint64_t timeout_usec,
                           VkVarlinkBatchReplyFunc on_reply, VkVarlinkBatchDoneFunc done,
                           void *userdata, VkError *reterr);
JsonObject *vk_varlink_batch_get_reply(const VkVarlinkBatch *b, size_t index);
char *vk_varlink_batch_refusal(const VkVarlinkBatch *b, JsonObject *params, const char *error);
VkVarlinkBatch *vk_varlink_batch_free(VkVarlinkBatch *b);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(VkVarlinkBatch, vk_varlink_batch_free)
