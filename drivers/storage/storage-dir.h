/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* storage-dir.h: the cheap, synchronous operations of a dir pool (build, refresh, delete) */
#pragma once

#include <glib.h>

#include "error.h"
#include "storage-def.h"

/* Volumes one refresh lists at most. */
#define VK_STORAGE_POOL_VOLUMES_MAX 100000

int vk_storage_dir_build(const VkStoragePoolDef *pool, VkError *reterr);
int vk_storage_dir_check(const VkStoragePoolDef *pool, VkError *reterr);
int vk_storage_dir_statvfs(VkStoragePoolDef *pool, VkError *reterr);
int vk_storage_dir_refresh(VkStoragePoolDef *pool, GPtrArray **ret_vols, VkError *reterr);
int vk_storage_dir_probe(const VkStoragePoolDef *pool, const char *name, VkStorageVolDef **ret_vol,
                         VkError *reterr);
int vk_storage_dir_delete(const VkStoragePoolDef *pool, VkError *reterr);
