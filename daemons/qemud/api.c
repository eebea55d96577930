/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* api.c: the io.virtkit.Qemu interface served by virtkit-qemud (one declaration per method) */
#include "admin.h"
#include "api.h"

static const VkMethod *const qemu_method_tables[] = {
        vk_admin_methods,
        NULL,
};

const VkInterface vk_qemu_interface = {
        VK_INTERFACE_NAMES("Qemu", "qemu"),
        .doc = "VMs (domains): definitions, lifecycle, QMP, capabilities, security labels.",
        .method_tables = qemu_method_tables,
};
