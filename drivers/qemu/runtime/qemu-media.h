/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-media.h: the medium of a CD-ROM or floppy drive: which disk, what it becomes */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "qemu-domain-def.h"

/* What virsh change-media does: --eject, --insert, --update (none: as the source says). */
typedef enum VkQemuMediaAction {
        VK_QEMU_MEDIA_CHANGE, /* insert or replace with a source, eject without */
        VK_QEMU_MEDIA_EJECT,  /* the drive must have a medium */
        VK_QEMU_MEDIA_INSERT, /* the drive must be empty; a source is required */
        VK_QEMU_MEDIA_UPDATE, /* a source replaces the medium, none ejects it */
        _VK_QEMU_MEDIA_ACTION_MAX,
        _VK_QEMU_MEDIA_ACTION_INVALID = -EINVAL,
} VkQemuMediaAction;

const char *vk_qemu_media_action_to_string(VkQemuMediaAction a);
VkQemuMediaAction vk_qemu_media_action_from_string(const char *s);

int vk_qemu_media_find_disk(const VkDomainDef *def, const char *name, size_t *ret_index,
                            VkError *reterr);
int vk_qemu_media_check(const VkDomainDisk *disk, VkQemuMediaAction action, const char *source,
                        VkError *reterr);
void vk_qemu_media_set_source(VkDomainDisk *disk, const char *source, bool block);
