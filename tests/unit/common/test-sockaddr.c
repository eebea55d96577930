/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-sockaddr.c: the address of a UNIX socket file, and the longest path it holds */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "paths.h"
#include "sockaddr.h"

static void test_sockaddr_fits(void **state) {
        g_autofree char *path = g_strnfill(VK_SOCKET_PATH_MAX, 'p');
        struct sockaddr_un sa;

        path[0] = '/';
        assert_int_equal(vk_sockaddr_un_set(&sa, "/run/x.sock", NULL),
                         offsetof(struct sockaddr_un, sun_path) + strlen("/run/x.sock") + 1);
        assert_int_equal(sa.sun_family, AF_UNIX);
        assert_string_equal(sa.sun_path, "/run/x.sock");

        assert_int_equal(vk_sockaddr_un_set(&sa, path, NULL), sizeof(sa));
        assert_string_equal(sa.sun_path, path);
}

static void test_sockaddr_too_long(void **state) {
        g_autofree char *path = g_strnfill(VK_SOCKET_PATH_MAX + 1, 'p');
        g_autofree char *expect = NULL;
        g_auto(VkError) e = VK_ERROR_INIT;
        struct sockaddr_un sa = { .sun_family = AF_INET };

        path[0] = '/';
        expect = g_strdup_printf("socket path '%s' is longer than 107 bytes", path);
        assert_int_equal(vk_sockaddr_un_set(&sa, path, &e), -ENAMETOOLONG);
        assert_string_equal(e.name, VK_ERROR_INVALID_ARGUMENT);
        assert_string_equal(e.message, expect);
        assert_int_equal(sa.sun_family, AF_INET); /* untouched */
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_sockaddr_fits),
                cmocka_unit_test(test_sockaddr_too_long),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
