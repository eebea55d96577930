/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* network-forward.c: io.virtkit.Network on qemud's front door, forwarded to virtkit-networkd */
#include "api.h"
#include "daemons/networkd/api-decl.h"
#include "forward.h"

/*
 * Every network method networkd declares (daemons/networkd/api-decl.h), authorised here with
 * networkd's own levels (polkit io.virtkit.network.manage for the changing ones); the admin
 * methods are networkd's own.
 */

static int network_forward_call(VkCall *call, void *params, void *userdata) {
        return vk_forward_call(((VkQemud *) userdata)->network_forward, call, params);
}

#define FORWARD_METHOD(name, handler, in, out, auth, flags, doc)                                   \
        { name, in, out, network_forward_call, auth, flags, doc },

static const VkMethod forward_methods[] = {
        VK_NETWORK_METHODS(FORWARD_METHOD){},
};

static const VkMethod *const forward_method_tables[] = {
        forward_methods,
        NULL,
};

const VkInterface vk_qemud_network_interface = {
        VK_INTERFACE_NAMES("Network", "network"),
        .doc = "Virtual networks, forwarded by virtkit-qemud to virtkit-networkd of the same "
               "instance (the admin methods are not forwarded).",
        .method_tables = forward_method_tables,
        .errors = vk_network_errors,
};
