/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* json.h: json-glib helpers and the JSON side of the method field tables */
#pragma once

#include <json-glib/json-glib.h>

#include "error.h"
#include "method.h"

/* Limits of vk_json_parse(), checked before parsing (any JSON we read: varlink, QMP) */
#define VK_JSON_MAX_DEPTH    64u
#define VK_JSON_MAX_ELEMENTS (256u * 1024u)

int vk_json_check_limits(const char *text, size_t len, VkError *reterr);
int vk_json_parse(const char *text, gssize len, JsonNode **ret, VkError *reterr);
char *vk_json_to_string(JsonNode *node, bool pretty);
int vk_struct_from_json(const VkStructType *t, JsonObject *obj, void *p, VkError *reterr);
int vk_struct_from_json_fds(const VkStructType *t, JsonObject *obj, const int *fds, size_t n_fds,
                            void *p, VkError *reterr);
int vk_struct_from_json_text(const VkStructType *t, const char *text, const char *what, void *p,
                             VkError *reterr);
JsonNode *vk_struct_to_json(const VkStructType *t, const void *p);
JsonNode *vk_struct_to_json_fds(const VkStructType *t, const void *p, GArray *fds);
void vk_struct_write_json(GString *out, const VkStructType *t, const void *p);
const char *vk_json_object_get_string_member_or_null(JsonObject *o, const char *name);

/* Error name used while decoding, carrying the parameter name as param "parameter". */
#define VK_ERROR_INVALID_PARAMETER "org.varlink.service.InvalidParameter"
