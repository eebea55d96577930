/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* admin.h: the methods every daemon answers (GetVersion, SetLogLevel) */
#pragma once

#include "method.h"

extern const VkMethod vk_admin_methods[];
