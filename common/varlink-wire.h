/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* varlink-wire.h: the byte side of varlink shared by server and client: NUL-framed buffers */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include <json-glib/json-glib.h>

#include "error.h"

int vk_varlink_buffer_flush(int fd, GByteArray *out, size_t *offset);
ssize_t vk_varlink_buffer_recv(int fd, GByteArray *in);
int vk_varlink_buffer_take_message(GByteArray *in, size_t max, JsonNode **ret, VkError *reterr);
void vk_varlink_buffer_append_message(GByteArray *out, JsonNode *msg);
bool vk_varlink_json_bool_member(JsonObject *o, const char *name);
