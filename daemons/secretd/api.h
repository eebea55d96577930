/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* api.h: the io.virtkit.Secret interface served by virtkit-secretd */
#pragma once

#include "method.h"

/* Handlers take the VkSecretDriver as userdata. */
extern const VkInterface vk_secret_interface;
