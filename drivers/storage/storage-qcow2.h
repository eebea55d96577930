/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* storage-qcow2.h: a new, empty qcow2 image written in-process, as `qemu-img create` writes it */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "storage-def.h"

bool vk_storage_qcow2_can_write(const VkStorageVolDef *vol);
uint8_t *vk_storage_qcow2_image(const VkStorageVolDef *vol, size_t *ret_len);
int vk_storage_qcow2_create(int fd, const VkStorageVolDef *vol, VkError *reterr);
