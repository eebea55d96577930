/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* api.h: the io.virtkit.Storage interface served by virtkit-storaged */
#pragma once

#include "method.h"

extern const VkInterface vk_storage_interface;
