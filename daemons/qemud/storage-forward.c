/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* storage-forward.c: io.virtkit.Storage on qemud's front door, forwarded to virtkit-storaged */
#include "api.h"
#include "daemons/storaged/api-decl.h"
#include "forward.h"

/*
 * Every pool and volume method storaged declares (daemons/storaged/api-decl.h), authorised
 * here with storaged's own levels; the admin methods are storaged's own.
 */

static int storage_forward_call(VkCall *call, void *params, void *userdata) {
        return vk_forward_call(((VkQemud *) userdata)->storage_forward, call, params);
}

#define FORWARD_METHOD(name, handler, in, out, auth, flags, doc)                                   \
        { name, in, out, storage_forward_call, auth, flags, doc },

static const VkMethod forward_methods[] = {
        VK_STORAGE_METHODS(FORWARD_METHOD){},
};

static const VkMethod *const forward_method_tables[] = {
        forward_methods,
        NULL,
};

const VkInterface vk_qemud_storage_interface = {
        VK_INTERFACE_NAMES("Storage", "storage"),
        .doc = "Storage pools and volumes, forwarded by virtkit-qemud to virtkit-storaged of the "
               "same instance (the admin methods are not forwarded).",
        .method_tables = forward_method_tables,
        .errors = vk_storage_errors,
};
