/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* secret-forward.c: io.virtkit.Secret on qemud's front door, forwarded to virtkit-secretd */
#include "api.h"
#include "daemons/secretd/api-decl.h"
#include "forward.h"

/*
 * Private values stay private because secretd refuses them to every client, root included;
 * EncryptSecretForDomain (checked against the peer's uid) and the admin methods are not here.
 */

static int secret_forward_call(VkCall *call, void *params, void *userdata) {
        return vk_forward_call(((VkQemud *) userdata)->secret_forward, call, params);
}

#define FORWARD_METHOD(name, handler, in, out, auth, flags, doc)                                   \
        { name, in, out, secret_forward_call, auth, flags, doc },

static const VkMethod forward_methods[] = {
        VK_SECRET_METHODS(FORWARD_METHOD){},
};

static const VkMethod *const forward_method_tables[] = {
        forward_methods,
        NULL,
};

const VkInterface vk_qemud_secret_interface = {
        VK_INTERFACE_NAMES("Secret", "secret"),
        .doc = "Secrets, forwarded by virtkit-qemud to virtkit-secretd of the same instance "
               "(EncryptSecretForDomain and the admin methods are not forwarded).",
        .method_tables = forward_method_tables,
        .errors = vk_secret_errors,
};
