/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-qmp.h: asynchronous QMP client, a state machine on sd-event */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>
#include <json-glib/json-glib.h>
#include <systemd/sd-event.h>

#include "error.h"

typedef struct VkQmpClient VkQmpClient;
typedef struct VkQmpCommand VkQmpCommand;

/* Error names for QMP errors: the QMP class goes into the error parameter "class". */
#define VK_ERROR_QMP              "QmpError"
#define VK_ERROR_QMP_DISCONNECTED "QmpDisconnected"
#define VK_ERROR_QMP_PROTOCOL     "QmpProtocolError"

#define VK_QMP_MAX_LINE_DEFAULT    (8U * 1024U * 1024U)
#define VK_QMP_MAX_PENDING_DEFAULT 1024U
#define VK_QMP_TIMEOUT_DEFAULT     (60U * 1000U * 1000U)

/*
 * A reply: @ret is the "return" member (borrowed; json_node_ref() it to keep it) and @error
 * is NULL, or @ret is NULL and @error says why (QMP error: name VK_ERROR_QMP, parameter
 * "class" = the QMP class, message = "desc"; timeout: VK_ERROR_TIMEOUT; connection lost:
 * VK_ERROR_QMP_DISCONNECTED).
 */
typedef void (*VkQmpReplyFunc)(VkQmpClient *qmp, JsonNode *ret, const VkError *error,
                               void *userdata);
/* A raw reply: the whole reply object as JSON text, errors included; @error only for
 * timeouts and lost connections. */
typedef void (*VkQmpRawReplyFunc)(VkQmpClient *qmp, const char *reply, const VkError *error,
                                  void *userdata);
/* An event; @data may be NULL; @timestamp_usec is QEMU's timestamp (realtime). */
typedef void (*VkQmpEventFunc)(VkQmpClient *qmp, const char *name, JsonObject *data,
                               int64_t timestamp_usec, void *userdata);
/* The handshake (greeting + qmp_capabilities) finished; commands may now be answered. */
typedef void (*VkQmpReadyFunc)(VkQmpClient *qmp, void *userdata);
/* The connection ended (EOF, I/O error, protocol error, handshake failure). Called once. */
typedef void (*VkQmpDisconnectFunc)(VkQmpClient *qmp, const VkError *error, void *userdata);

typedef struct VkQmpCallbacks {
        VkQmpReadyFunc ready;
        VkQmpEventFunc event;
        VkQmpDisconnectFunc disconnect;
} VkQmpCallbacks;

int vk_qmp_client_new_fd(sd_event *e, int fd, const VkQmpCallbacks *callbacks, void *userdata,
                         VkQmpClient **ret, VkError *reterr);
int vk_qmp_client_connect(sd_event *e, const char *path, const VkQmpCallbacks *callbacks,
                          void *userdata, VkQmpClient **ret, VkError *reterr);
VkQmpClient *vk_qmp_client_free(VkQmpClient *qmp);

void vk_qmp_client_set_max_line(VkQmpClient *qmp, size_t max_line);
void vk_qmp_client_set_timeout(VkQmpClient *qmp, uint64_t usec);
bool vk_qmp_client_is_ready(const VkQmpClient *qmp);
JsonObject *vk_qmp_client_get_greeting(const VkQmpClient *qmp);

int vk_qmp_execute(VkQmpClient *qmp, const char *command, JsonObject *args, VkQmpReplyFunc callback,
                   void *userdata, VkQmpCommand **ret_cmd, VkError *reterr);
int vk_qmp_execute_raw(VkQmpClient *qmp, const char *json_text, VkQmpRawReplyFunc callback,
                       void *userdata, VkQmpCommand **ret_cmd, VkError *reterr);
int vk_qmp_human_monitor_command(VkQmpClient *qmp, const char *command_line,
                                 VkQmpReplyFunc callback, void *userdata, VkQmpCommand **ret_cmd,
                                 VkError *reterr);

int vk_qmp_command_set_timeout(VkQmpCommand *cmd, uint64_t usec);
void vk_qmp_command_cancel(VkQmpCommand *cmd);
unsigned vk_qmp_client_fail_pending(VkQmpClient *qmp, const VkError *error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(VkQmpClient, vk_qmp_client_free)
