/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* api.h: the io.virtkit.Network interface served by virtkit-networkd */
#pragma once

#include "method.h"

extern const VkInterface vk_network_interface;
