/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-nvram.h: a domain's UEFI variable store, copied from its template */
#pragma once

#include <sys/types.h>

#include "error.h"
#include "qemu-domain-def.h"

/* Limit of a variable store template we copy (OVMF's are 128 KiB to 4 MiB) */
#define VK_QEMU_NVRAM_MAX (64 * 1024 * 1024)

int vk_qemu_nvram_create(const VkDomainDef *def, uid_t uid, gid_t gid, VkError *reterr);
char *vk_qemu_nvram_path(const VkDomainDef *def, const char *nvram_dir);
