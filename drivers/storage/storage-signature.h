/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* storage-signature.h: whether a device already holds a filesystem, a PV or a partition table */
#pragma once

#include <stdint.h>

#include "image-probe.h"

int vk_storage_signature(VkImageReadFn read_fn, void *userdata, uint64_t size,
                         const char **ret_what);
int vk_storage_signature_path(const char *path, const char **ret_what, VkError *reterr);
