/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* security-caps.h: process capabilities of QEMU (libcap-ng) */
#pragma once

#include <stdbool.h>

bool vk_security_caps_supported(void);
int vk_security_caps_clear_bounding(void);
int vk_security_caps_clear(void);
