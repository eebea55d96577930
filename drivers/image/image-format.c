/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* image-format.c: the formats of disk images, by libvirt's (and qemu-img's) names */
#include <string.h>

#include <glib.h>

#include "image-format.h"
#include "macro.h"

/* "raw", "qcow2", ...; "none" for a bare logical volume. */
VK_ENUM_STRING_IMPL(vk_image_format, VkImageFormat, _VK_IMAGE_FORMAT_MAX, "none", "raw", "qcow2",
                    "qcow", "qed", "vmdk", "vdi", "vpc", "vhdx", "luks", "iso")

/* Whether images of format @f can name a backing file. */
bool vk_image_format_has_backing(VkImageFormat f) {
        return f == VK_IMAGE_FORMAT_QCOW2 || f == VK_IMAGE_FORMAT_QCOW ||
               f == VK_IMAGE_FORMAT_QED || f == VK_IMAGE_FORMAT_VMDK;
}

/*
 * Whether the backing name @name is one QEMU would not open as a local file: a protocol
 * ("nbd://..", "rbd:..") or a JSON description ("json:{..}").
 */
bool vk_image_backing_is_remote(const char *name) {
        const char *colon = strchr(name, ':');

        if (name[0] == '/' || !colon)
                return false;
        /* a protocol prefix is letters, digits, '+', '-' and '.' before the colon */
        for (const char *p = name; p < colon; p++)
                if (!g_ascii_isalnum(*p) && !strchr("+-.", *p))
                        return false;
        return true;
}
