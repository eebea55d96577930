/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* storage-golden.h: the pools the volume goldens are created in, shared by the storage tests */
#pragma once

#include <stdbool.h>

#include "storage-def.h"

/*
 * The pools golden volumes are created in: tests/data/volxml/ in the dir pool 'default' at
 * /var/lib/virtkit/images, tests/data/volxml/logical/ in the logical pool of vg0.
 */
VkStoragePoolDef *storage_golden_pool(bool logical);
VkStorageVolDef *storage_golden_vol_load(const char *dir, const char *name, bool logical);
int storage_golden_vol_parse(bool logical, const char *xml, VkStorageVolDef **ret, VkError *err);
void storage_golden_check(const char *path, const char *got);
GPtrArray *storage_golden_inputs(const char *dir);
