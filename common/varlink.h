/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* varlink.h: varlink transport on sd-event: NUL-framed JSON messages over UNIX sockets */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include <json-glib/json-glib.h>
#include <systemd/sd-event.h>

#include "error.h"
#include "peer.h"

typedef struct VkVarlinkServer VkVarlinkServer;
typedef struct VkVarlinkConnection VkVarlinkConnection;

typedef struct VkVarlinkLimits {
        size_t max_message;        /* bytes of one incoming message */
        size_t max_output;         /* bytes queued to a client that does not read: closed */
        size_t max_output_per_uid; /* ... to all connections of one uid together: closed */
        size_t max_input_per_uid;  /* bytes of requests not yet parsed, all of one uid's
                                    * connections together: the one going past is refused */
        size_t output_threshold;   /* no request is read while more than this is queued */
        unsigned max_connections;  /* in all */
        unsigned max_per_uid;      /* per peer uid */
} VkVarlinkLimits;

#define VK_VARLINK_LIMITS_DEFAULT                                                                  \
        ((VkVarlinkLimits){ .max_message = 8u << 20,                                               \
                            .max_output = 64u << 20,                                               \
                            .max_output_per_uid = 128u << 20,                                      \
                            .max_input_per_uid = 32u << 20,                                        \
                            .output_threshold = 256u << 10,                                        \
                            .max_connections = 4096,                                               \
                            .max_per_uid = 256 })

/*
 * Sent (with a "message" parameter naming the limit or the fault) before the server closes a
 * connection whose message it cannot take: over max_message, nested too deep, not JSON.
 */
#define VK_VARLINK_ERROR_INVALID_MESSAGE "io.virtkit.InvalidMessage"

/* Request flags */
enum {
        VK_VARLINK_MORE = 1 << 0,
        VK_VARLINK_ONEWAY = 1 << 1,
        VK_VARLINK_UPGRADE = 1 << 2,
};

/*
 * Called for each request, on the loop. @params is the "parameters" object (NULL when absent)
 * and is only valid during the call: keep a reference to retain it. A oneway request must not
 * be answered. Otherwise the connection reads no further request until a final reply was sent
 * (vk_varlink_connection_reply() without continues, or _reply_error()).
 */
typedef void (*VkVarlinkMethodFunc)(VkVarlinkConnection *c, const char *method, JsonObject *params,
                                    unsigned flags, void *userdata);
/* Called when a connection is accepted (@open true) and when it goes away (@open false). */
typedef void (*VkVarlinkConnectionFunc)(VkVarlinkConnection *c, bool open, void *userdata);

int vk_varlink_server_new(sd_event *event, const VkVarlinkLimits *limits,
                          VkVarlinkMethodFunc method_cb, VkVarlinkConnectionFunc conn_cb,
                          void *userdata, VkVarlinkServer **ret);
VkVarlinkServer *vk_varlink_server_free(VkVarlinkServer *s);
int vk_varlink_server_add_fd(VkVarlinkServer *s, int fd);
int vk_varlink_server_add_connection(VkVarlinkServer *s, int fd);
int vk_varlink_server_listen(VkVarlinkServer *s, const char *path, mode_t mode, VkError *reterr);
void vk_varlink_server_set_accepting(VkVarlinkServer *s, bool accepting);
unsigned vk_varlink_server_n_connections(VkVarlinkServer *s);

VkVarlinkConnection *vk_varlink_connection_ref(VkVarlinkConnection *c);
VkVarlinkConnection *vk_varlink_connection_unref(VkVarlinkConnection *c);
const VkPeer *vk_varlink_connection_peer(VkVarlinkConnection *c);
const int *vk_varlink_connection_get_fds(VkVarlinkConnection *c, size_t *ret_n);
bool vk_varlink_connection_is_open(VkVarlinkConnection *c);
void vk_varlink_connection_set_userdata(VkVarlinkConnection *c, void *userdata);
void *vk_varlink_connection_get_userdata(VkVarlinkConnection *c);
int vk_varlink_connection_reply(VkVarlinkConnection *c, JsonNode *params, bool continues);
int vk_varlink_connection_reply_text(VkVarlinkConnection *c, const char *params, bool continues);
int vk_varlink_connection_reply_error(VkVarlinkConnection *c, const char *error, JsonNode *params);
void vk_varlink_connection_close(VkVarlinkConnection *c);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(VkVarlinkServer, vk_varlink_server_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VkVarlinkConnection, vk_varlink_connection_unref)

#include "varlink-client.h"
