/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-ports.c: the TCP ports a driver handed out for autoport graphics */
#include <assert.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "macro.h"
#include "qemu-ports.h"

struct VkQemuPorts {
        unsigned n_ref;
        GHashTable *reserved; /* port numbers (GINT_TO_POINTER) */
};

VkQemuPorts *vk_qemu_ports_new(void) {
        VkQemuPorts *ports = g_new0(VkQemuPorts, 1);

        ports->n_ref = 1;
        ports->reserved = g_hash_table_new(NULL, NULL);
        return ports;
}

VkQemuPorts *vk_qemu_ports_ref(VkQemuPorts *ports) {
        assert(ports && ports->n_ref > 0);
        ports->n_ref++;
        return ports;
}

VkQemuPorts *vk_qemu_ports_unref(VkQemuPorts *ports) {
        if (!ports)
                return NULL;
        assert(ports->n_ref > 0);
        if (--ports->n_ref > 0)
                return NULL;
        g_hash_table_unref(ports->reserved);
        g_free(ports);
        return NULL;
}

static bool port_is_free(int port) {
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t) port) };
        vk_autofd fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int one = 1;

        if (fd < 0)
                return false;
        (void) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        return bind(fd, (struct sockaddr *) &sa, sizeof(sa)) == 0;
}

/*
 * A free TCP port from @first on, reserved in @ports so that two domains starting at once do
 * not pick the same one; QEMU binds it soon after, and ports held by QEMUs of an earlier
 * daemon fail the bind test. Give it back with vk_qemu_ports_release().
 */
int vk_qemu_ports_reserve(VkQemuPorts *ports, int first, VkError *reterr) {
        assert(ports);

        for (int port = first; port < 65536; port++) {
                if (g_hash_table_contains(ports->reserved, GINT_TO_POINTER(port)) ||
                    !port_is_free(port))
                        continue;
                g_hash_table_add(ports->reserved, GINT_TO_POINTER(port));
                return port;
        }
        return vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, -EADDRINUSE,
                            "no free TCP port from %d on for graphics", first);
}

void vk_qemu_ports_release(VkQemuPorts *ports, int port) {
        assert(ports);
        g_hash_table_remove(ports->reserved, GINT_TO_POINTER(port));
}
