/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* network-defaults.c: what a network definition gets when it is defined (UUID, bridge, MAC) */
#include <assert.h>
#include <string.h>
#include <sys/random.h>

#include "macro.h"
#include "network-defaults.h"

static int defaults_random(VkNetworkRandomFn random_fn, void *buf, size_t len) {
        uint8_t *p = buf;
        size_t done = 0;

        if (random_fn) {
                random_fn(buf, len);
                return 0;
        }
        while (done < len) {
                ssize_t n = getrandom(p + done, len - done, /* flags= */ 0);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return vk_negative_errno(errno);
                }
                done += (size_t) n;
        }
        return 0;
}

static bool name_in(const char *const *names, const char *name) {
        for (size_t i = 0; names && names[i]; i++)
                if (strcmp(names[i], name) == 0)
                        return true;
        return false;
}

/*
 * Whether vk_network_def_fill_defaults() picks a bridge name for @def (a network with a bridge
 * we create, with no <bridge name> or a "%d" template): only then does it read its
 * @bridges_in_use, so a caller can skip listing them otherwise. A fixed name is kept as it is
 * (whether it is free is checked at start).
 */
bool vk_network_def_needs_bridge_name(const VkNetworkDef *def) {
        assert(def);
        return vk_network_forward_mode_has_bridge(def->forward_mode) &&
               (!def->bridge_name || strchr(def->bridge_name, '%'));
}

/* The template's lowest-numbered name not in @in_use ("virbr%d" → "virbr0", "virbr1", ...). */
static int defaults_bridge_name(VkNetworkDef *def, const char *const *in_use, VkError *reterr) {
        const char *tmpl = def->bridge_name ? def->bridge_name : VK_NETWORK_BRIDGE_TEMPLATE;
        const char *pct = strchr(tmpl, '%');

        if (!vk_network_def_needs_bridge_name(def))
                return 0; /* a fixed name: whether it is free is checked at start */
        for (unsigned n = 0; n < VK_NETWORK_BRIDGE_TEMPLATE_MAX; n++) {
                g_autofree char *name =
                        g_strdup_printf("%.*s%u%s", (int) (pct - tmpl), tmpl, n, pct + 2);

                if (strlen(name) > VK_NETWORK_BRIDGE_NAME_MAX)
                        break;
                if (name_in(in_use, name))
                        continue;
                g_free(def->bridge_name);
                def->bridge_name = g_steal_pointer(&name);
                return 0;
        }
        return vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, -EEXIST,
                            "network '%s': no free bridge name for the template '%s'",
                            vk_strempty(def->name), tmpl);
}

/*
 * Fill in what libvirt fills when a network is defined, keeping whatever is set: a random
 * UUID; and for the bridges we create (isolated, nat, route, open networks): the bridge name
 * (the lowest "virbrN", or the lowest number for a "%d" template, that is not in
 * @bridges_in_use, a NULL-terminated list that may be NULL), stp='on', delay='0', and a random
 * 52:54:00:xx:xx:xx MAC address for the bridge. Random bytes come from @random_fn (NULL:
 * getrandom()), so tests can make them deterministic. Returns 0, or a negative errno with
 * @reterr set (no free bridge name, no randomness); @def may be partly filled then.
 */
int vk_network_def_fill_defaults(VkNetworkDef *def, const char *const *bridges_in_use,
                                 VkNetworkRandomFn random_fn, VkError *reterr) {
        int r;

        assert(def);

        if (!def->has_uuid) {
                VkUuid u;

                r = defaults_random(random_fn, u.bytes, sizeof(u.bytes));
                if (r < 0)
                        return vk_error_set_errno(reterr, r, "Failed to generate a UUID");
                u.bytes[6] = (u.bytes[6] & 0x0f) | 0x40; /* version 4 */
                u.bytes[8] = (u.bytes[8] & 0x3f) | 0x80; /* variant 10xx */
                def->uuid = u;
                def->has_uuid = true;
        }

        if (!vk_network_forward_mode_has_bridge(def->forward_mode))
                return 0;

        r = defaults_bridge_name(def, bridges_in_use, reterr);
        if (r < 0)
                return r;
        if (def->bridge_stp == VK_TRISTATE_ABSENT)
                def->bridge_stp = VK_TRISTATE_YES;
        if (!def->has_bridge_delay) {
                def->bridge_delay = 0;
                def->has_bridge_delay = true;
        }
        if (!def->has_mac) {
                def->mac.bytes[0] = 0x52;
                def->mac.bytes[1] = 0x54;
                def->mac.bytes[2] = 0x00;
                r = defaults_random(random_fn, def->mac.bytes + 3, 3);
                if (r < 0)
                        return vk_error_set_errno(reterr, r, "Failed to generate a MAC address");
                def->has_mac = true;
        }
        return 0;
}
