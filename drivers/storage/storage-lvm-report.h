/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* storage-lvm-report.h: a logical pool's state from LVM's JSON reports (vgs, lvs) */
#pragma once

#include <glib.h>

#include "error.h"
#include "storage-def.h"

int vk_storage_lvm_parse_vgs(const char *json, VkStoragePoolDef *pool, VkError *reterr);
int vk_storage_lvm_parse_lvs(const char *json, const VkStoragePoolDef *pool, GPtrArray **ret_vols,
                             GHashTable **ret_thin, VkError *reterr);
