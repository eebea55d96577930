/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* api.h: the io.virtkit.Qemu interface served by virtkit-qemud */
#pragma once

#include "method.h"

extern const VkInterface vk_qemu_interface;
