/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* storage-def-internal.h: what the pool and volume XML files share (parts, units, names) */
#pragma once

#include "storage-def.h"

int vk_storage_read_string(const char *xml, const char *what, xmlDoc **ret_doc, VkError *reterr);
int vk_storage_parse_text(xmlNode *node, unsigned flags, char **ret_text, VkError *reterr);
int vk_storage_parse_name(xmlNode *node, char **ret_name, VkError *reterr);
int vk_storage_parse_path(xmlNode *node, const char *attr, char **ret_path, VkError *reterr);
int vk_storage_parse_size(xmlNode *node, uint64_t *ret_bytes, VkError *reterr);
int vk_storage_parse_perms(xmlNode *node, VkStoragePerms *perms, VkError *reterr);
void vk_storage_perms_done(VkStoragePerms *perms);
void vk_storage_format_size(VkXmlWriter *w, const char *name, uint64_t bytes);
void vk_storage_format_perms(VkXmlWriter *w, const VkStoragePerms *perms);
char *vk_storage_path_normalize(const char *path);
