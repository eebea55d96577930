/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* api.c: the io.virtkit.Storage interface served by virtkit-storaged (one declaration per method)
 */
#include "admin.h"
#include "api.h"

static const VkMethod *const storage_method_tables[] = {
        vk_admin_methods,
        NULL,
};

const VkInterface vk_storage_interface = {
        VK_INTERFACE_NAMES("Storage", "storage"),
        .doc = "Storage pools and volumes.",
        .method_tables = storage_method_tables,
};
