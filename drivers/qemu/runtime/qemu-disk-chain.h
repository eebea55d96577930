/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-disk-chain.h: the backing chains of a starting domain's disks, read from the images */
#pragma once

#include "error.h"
#include "qemu-domain-def.h"

int vk_qemu_disk_chains_detect(VkDomainDef *def, VkError *reterr);
