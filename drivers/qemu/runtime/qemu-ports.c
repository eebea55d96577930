/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-ports.c: the TCP ports a driver handed out for autoport graphics */
#include <assert.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "macro.h"
#include "qemu-ports.h"

struct VkQemuPorts {
        unsigned n_ref;
        GHashTable *reserved; /* port number -> holding socket + 1 (GINT_TO_POINTER both) */
};

static void ports_close_holder(void *value) {
        int fd = GPOINTER_TO_INT(value) - 1;

        if (fd >= 0)
                (void) close(fd);
}

VkQemuPorts *vk_qemu_ports_new(void) {
        VkQemuPorts *ports = g_new0(VkQemuPorts, 1);

        ports->n_ref = 1;
        ports->reserved = g_hash_table_new_full(NULL, NULL, NULL, ports_close_holder);
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

/*
 * A socket bound to @port on every address when nothing else is bound there (no SO_REUSEADDR
 * for the test: a port another daemon holds the same way, or a QEMU listens on, is taken),
 * then marked SO_REUSEADDR: QEMU (which sets it too) can bind and listen on the port while we
 * hold it, another instance's test cannot. -1 if the port is in use.
 */
static int port_hold(int port) {
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t) port) };
        vk_autofd fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int one = 1;

        if (fd < 0 || bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 ||
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
                return -1;
        return vk_steal_fd(&fd);
}

/*
 * A free TCP port from @first on, reserved in @ports so that two domains starting at once do
 * not pick the same one, and held by a bound socket until it is released so that another
 * daemon (an embedded instance beside a session one, parallel tests) does not pick it either
 * before QEMU binds it; ports held by QEMUs of an earlier daemon fail the test. Give it back
 * with vk_qemu_ports_release().
 */
int vk_qemu_ports_reserve(VkQemuPorts *ports, int first, VkError *reterr) {
        assert(ports);

        for (int port = first; port < 65536; port++) {
                int fd;

                if (g_hash_table_contains(ports->reserved, GINT_TO_POINTER(port)))
                        continue;
                fd = port_hold(port);
                if (fd < 0)
                        continue;
                g_hash_table_insert(ports->reserved, GINT_TO_POINTER(port),
                                    GINT_TO_POINTER(fd + 1));
                return port;
        }
        return vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, -EADDRINUSE,
                            "no free TCP port from %d on for graphics", first);
}

void vk_qemu_ports_release(VkQemuPorts *ports, int port) {
        assert(ports);
        g_hash_table_remove(ports->reserved, GINT_TO_POINTER(port));
}
