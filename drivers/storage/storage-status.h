/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* storage-status.h: an active pool's status file in the run dir (survives a restart) */
#pragma once

#include <stdbool.h>

#include <glib.h>

#include "error.h"

/* The status file's content; every string is owned. */
typedef struct VkStoragePoolStatus {
        char *xml;       /* the live pool definition (transient pools have no other) */
        bool persistent; /* a definition file exists */
} VkStoragePoolStatus;

/* Status files larger than this are refused. */
#define VK_STORAGE_STATUS_MAX (512 * 1024)

VkStoragePoolStatus *vk_storage_pool_status_free(VkStoragePoolStatus *st);
int vk_storage_pool_status_parse(const char *text, VkStoragePoolStatus **ret, VkError *reterr);
int vk_storage_pool_status_save(const char *path, const VkStoragePoolStatus *st, VkError *reterr);
int vk_storage_pool_status_load(const char *path, VkStoragePoolStatus **ret, VkError *reterr);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(VkStoragePoolStatus, vk_storage_pool_status_free)
