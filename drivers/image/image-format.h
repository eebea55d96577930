/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* image-format.h: the formats of disk images, by libvirt's (and qemu-img's) names */
#pragma once

#include <errno.h>
#include <stdbool.h>

/* Images a backing chain may have, the top included, unless the caller asks for fewer. */
#define VK_IMAGE_CHAIN_MAX 64

/* A volume's or image's format: libvirt's names for what qemu-img knows. */
typedef enum VkImageFormat {
        VK_IMAGE_FORMAT_NONE, /* a logical volume: no format of its own */
        VK_IMAGE_FORMAT_RAW,
        VK_IMAGE_FORMAT_QCOW2,
        VK_IMAGE_FORMAT_QCOW,
        VK_IMAGE_FORMAT_QED,
        VK_IMAGE_FORMAT_VMDK,
        VK_IMAGE_FORMAT_VDI,
        VK_IMAGE_FORMAT_VPC,
        VK_IMAGE_FORMAT_VHDX,
        VK_IMAGE_FORMAT_LUKS, /* a bare LUKS image (qemu's "luks" driver) */
        VK_IMAGE_FORMAT_ISO,
        _VK_IMAGE_FORMAT_MAX,
        _VK_IMAGE_FORMAT_INVALID = -EINVAL,
} VkImageFormat;

const char *vk_image_format_to_string(VkImageFormat f);
VkImageFormat vk_image_format_from_string(const char *s);
bool vk_image_format_has_backing(VkImageFormat f);
bool vk_image_backing_is_remote(const char *name);
