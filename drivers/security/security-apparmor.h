/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* security-apparmor.h: AppArmor sVirt: the host probe and the exec-time profile switch */
#pragma once

#include <stdbool.h>

bool vk_apparmor_supported(void);
bool vk_apparmor_enabled(void);
int vk_apparmor_change_onexec(const char *profile);
