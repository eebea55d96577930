/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-smbios.h: the host's SMBIOS strings, for <os><smbios mode='host'/> */
#pragma once

#include "qemu-domain-def.h"

/* Where the kernel shows the host's DMI (SMBIOS) strings */
#define VK_QEMU_DMI_DIR "/sys/class/dmi/id"

void vk_qemu_host_sysinfo_read(const char *dmi_dir, VkDomainSysinfo *ret);
