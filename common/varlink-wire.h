/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* varlink-wire.h: the byte side of varlink shared by server and client: NUL-framed buffers */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include <json-glib/json-glib.h>

#include "error.h"

/* Descriptors one message may carry (SCM_RIGHTS), and a connection may hold unread. */
#define VK_VARLINK_MAX_FDS        16u
#define VK_VARLINK_MAX_QUEUED_FDS 64u

/*
 * Descriptors travelling with one message. Outgoing: the message is [offset, end) of the
 * output buffer and the descriptors go with its first byte. Incoming: @offset is the last
 * byte of the input buffer that arrived with them, which lies inside their message (the
 * kernel never reads past the bytes that carry descriptors).
 */
typedef struct VkVarlinkFdBatch {
        size_t offset;
        size_t end;
        int fds[VK_VARLINK_MAX_FDS];
        size_t n;
} VkVarlinkFdBatch;

void vk_varlink_fd_queue_clear(GQueue *q);
size_t vk_varlink_fd_queue_count(GQueue *q);
void vk_varlink_fds_close(GArray *fds);

int vk_varlink_buffer_flush(int fd, GByteArray *out, size_t *offset);
int vk_varlink_buffer_flush_fds(int fd, GByteArray *out, size_t *offset, GQueue *out_fds);
ssize_t vk_varlink_buffer_recv(int fd, GByteArray *in);
ssize_t vk_varlink_buffer_recv_fds(int fd, GByteArray *in, GQueue *in_fds);
int vk_varlink_buffer_take_message(GByteArray *in, size_t max, JsonNode **ret, VkError *reterr);
int vk_varlink_buffer_take_message_fds(GByteArray *in, size_t max, GQueue *in_fds, JsonNode **ret,
                                       GArray **ret_fds, VkError *reterr);
void vk_varlink_buffer_append_message(GByteArray *out, JsonNode *msg);
int vk_varlink_buffer_append_message_fds(GByteArray *out, GQueue *out_fds, JsonNode *msg,
                                         const int *fds, size_t n_fds);
bool vk_varlink_json_bool_member(JsonObject *o, const char *name);
