/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* varlink-client.h: varlink client on sd-event: calls and replies over one connection */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <json-glib/json-glib.h>
#include <systemd/sd-event.h>

#include "error.h"

typedef struct VkVarlinkClient VkVarlinkClient;

/*
 * One reply. @error is NULL for a successful reply, else the full error name (the
 * "message" parameter, if any, is in @params). @params is only valid during the callback.
 * With @continues more replies follow. On disconnect, pending calls get the error
 * "io.virtkit.Disconnected" with @params NULL.
 */
typedef void (*VkVarlinkReplyFunc)(VkVarlinkClient *cl, JsonObject *params, const char *error,
                                   bool continues, void *userdata);

#define VK_VARLINK_ERROR_DISCONNECTED "io.virtkit.Disconnected"

/* A reply of a "more" stream before the last one (vk_varlink_client_call_sync_fds()). */
typedef void (*VkVarlinkContinueFunc)(JsonObject *params, void *userdata);

int vk_varlink_client_connect(sd_event *event, const char *path, VkVarlinkClient **ret,
                              VkError *reterr);
int vk_varlink_client_new_fd(sd_event *event, int fd, VkVarlinkClient **ret, VkError *reterr);
int vk_varlink_client_call_sync(VkVarlinkClient *cl, const char *method, JsonNode *params,
                                uint64_t timeout_usec, JsonNode **ret_params, VkError *reterr);
VkVarlinkClient *vk_varlink_client_free(VkVarlinkClient *cl);
int vk_varlink_client_call(VkVarlinkClient *cl, const char *method, JsonNode *params,
                           unsigned flags, VkVarlinkReplyFunc cb, void *userdata);
int vk_varlink_client_call_fds(VkVarlinkClient *cl, const char *method, JsonNode *params,
                               const int *fds, size_t n_fds, unsigned flags, VkVarlinkReplyFunc cb,
                               void *userdata);
int vk_varlink_client_call_sync_fds(VkVarlinkClient *cl, const char *method, JsonNode *params,
                                    const int *fds, size_t n_fds, VkVarlinkContinueFunc on_continue,
                                    void *userdata, uint64_t timeout_usec, JsonNode **ret_params,
                                    VkError *reterr);
const int *vk_varlink_client_get_reply_fds(VkVarlinkClient *cl, size_t *ret_n);
bool vk_varlink_client_is_connected(VkVarlinkClient *cl);
int vk_varlink_call_sync(const char *path, const char *method, JsonNode *params,
                         uint64_t timeout_usec, JsonNode **ret_params, VkError *reterr);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(VkVarlinkClient, vk_varlink_client_free)
