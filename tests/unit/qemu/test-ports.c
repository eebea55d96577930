/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-ports.c: the reserved autoport graphics ports of a driver (VkQemuPorts) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "qemu-ports.h"

/* Tests run in parallel with other QEMUs: ports from a high, rarely used range. */
#define FIRST 47000

static int reserve_ok(VkQemuPorts *ports, int first) {
        g_auto(VkError) err = VK_ERROR_INIT;
        int port = vk_qemu_ports_reserve(ports, first, &err);

        if (port < 0)
                fail_msg("reserve from %d: %s", first, err.message);
        assert_true(port >= first && port < 65536);
        return port;
}

/* A port is handed out once per set until it is given back. */
static void test_reserve_release(void **state) {
        g_autoptr(VkQemuPorts) ports = vk_qemu_ports_new();
        int a = reserve_ok(ports, FIRST);
        int b = reserve_ok(ports, FIRST);

        assert_int_not_equal(a, b);
        vk_qemu_ports_release(ports, a);
        /* a is the lowest free one again (unless another process took it meanwhile) */
        assert_true(reserve_ok(ports, FIRST) <= b);
}

/*
 * Two drivers (two daemons: a session instance beside an embedded one, parallel tests) never
 * hand out the same port: a reserved port is held by a socket until QEMU binds it.
 */
static void test_sets_exclusive(void **state) {
        g_autoptr(VkQemuPorts) one = vk_qemu_ports_new();
        g_autoptr(VkQemuPorts) two = vk_qemu_ports_new();
        int a = reserve_ok(one, FIRST);

        assert_int_not_equal(reserve_ok(two, a), a);
        vk_qemu_ports_release(one, a);
        /* given back: the hold is gone, the other set may have it (unless taken meanwhile) */
        assert_true(reserve_ok(two, a) >= a);
}

/* QEMU binds and listens on a held port (it sets SO_REUSEADDR, as this listener does). */
static void test_held_port_usable(void **state) {
        g_autoptr(VkQemuPorts) ports = vk_qemu_ports_new();
        int port = reserve_ok(ports, FIRST);
        struct sockaddr_in sa = { .sin_family = AF_INET,
                                  .sin_port = htons((uint16_t) port),
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int one = 1;

        assert_true(fd >= 0);
        assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
        assert_int_equal(bind(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
        assert_int_equal(listen(fd, 1), 0);
        close(fd);
}

/* A bound port is skipped: it belongs to a QEMU of an earlier daemon. */
static void test_bound_skipped(void **state) {
        g_autoptr(VkQemuPorts) ports = vk_qemu_ports_new();
        struct sockaddr_in sa = { .sin_family = AF_INET };
        socklen_t len = sizeof(sa);
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int bound;

        assert_true(fd >= 0);
        assert_int_equal(bind(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
        assert_int_equal(listen(fd, 1), 0);
        assert_int_equal(getsockname(fd, (struct sockaddr *) &sa, &len), 0);
        bound = ntohs(sa.sin_port);
        assert_int_not_equal(reserve_ok(ports, bound), bound);
        close(fd);
}

/* A process may hold the set past its driver: the last reference frees it. */
static void test_references(void **state) {
        VkQemuPorts *ports = vk_qemu_ports_new();
        VkQemuPorts *held = vk_qemu_ports_ref(ports);
        int a;

        assert_null(vk_qemu_ports_unref(ports));
        a = reserve_ok(held, FIRST);
        vk_qemu_ports_release(held, a);
        assert_null(vk_qemu_ports_unref(held));
        assert_null(vk_qemu_ports_unref(NULL));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_reserve_release),  cmocka_unit_test(test_sets_exclusive),
                cmocka_unit_test(test_held_port_usable), cmocka_unit_test(test_bound_skipped),
                cmocka_unit_test(test_references),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
