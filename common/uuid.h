/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* uuid.h: 128-bit identifiers for domains, networks, pools and secrets */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* 36 characters of dashed form plus the terminating NUL */
#define VK_UUID_STRING_MAX 37

typedef struct VkUuid {
        uint8_t bytes[16];
} VkUuid;

#define VK_UUID_NULL ((VkUuid){ { 0 } })

int vk_uuid_generate(VkUuid *ret_uuid);
int vk_uuid_parse(const char *s, VkUuid *ret_uuid);
const char *vk_uuid_format(const VkUuid *uuid, char buf[static VK_UUID_STRING_MAX]);
bool vk_uuid_is_null(const VkUuid *uuid);
bool vk_uuid_equal(const VkUuid *a, const VkUuid *b);
