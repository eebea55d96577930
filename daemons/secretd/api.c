/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* api.c: the io.virtkit.Secret interface served by virtkit-secretd (one declaration per method) */
#include "admin.h"
#include "api.h"

static const VkMethod *const secret_method_tables[] = {
        vk_admin_methods,
        NULL,
};

const VkInterface vk_secret_interface = {
        VK_INTERFACE_NAMES("Secret", "secret"),
        .doc = "Secrets: XML definitions and values, encrypted at rest.",
        .method_tables = secret_method_tables,
};
