/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-libvirt-path.c: libvirt-dbus's object paths and their escaping */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>

#include "libvirt-path.h"
#include "macro.h"

static void test_encode(void **state) {
        static const char *const cases[][2] = {
                { "", "" },
                { "abcXYZ019", "abcXYZ019" },
                { "a-b", "a_2db" },
                { "_", "_5f" },
                { "/var/lib/images/disk 1.qcow2", "_2fvar_2flib_2fimages_2fdisk_201_2eqcow2" },
                { "\xc3\xa9t\xc3\xa9", "_c3_a9t_c3_a9" }, /* bytes, not characters */
                { "\x7f\x01", "_7f_01" },
        };

        for (size_t i = 0; i < VK_ELEMENTSOF(cases); i++) {
                g_autofree char *enc = vk_libvirt_path_encode(cases[i][0]);
                g_autofree char *dec = NULL;

                assert_string_equal(enc, cases[i][1]);
                assert_int_equal(vk_libvirt_path_decode(enc, &dec), 0);
                assert_string_equal(dec, cases[i][0]);
        }
}

static void test_decode_rejects(void **state) {
        static const char *const bad[] = { "_", "_2", "_zz", "_2D", "a-b", "a/b", "_00", "a_" };

        for (size_t i = 0; i < VK_ELEMENTSOF(bad); i++) {
                char *dec = NULL;

                assert_int_equal(vk_libvirt_path_decode(bad[i], &dec), -EINVAL);
                assert_null(dec);
        }
}

static void test_domain_path(void **state) {
        g_autofree char *path = vk_libvirt_domain_path("6b1f2a9c-0d4e-4f3a-8b6c-11223344aaff");
        g_autofree char *uuid = NULL;
        g_autofree char *upper = NULL;
        char *none = NULL;

        /* libvirt-dbus: "_" and the UUID with every "-" as "_" (not the byte escaping) */
        assert_string_equal(path, "/org/libvirt/QEMU/domain/_6b1f2a9c_0d4e_4f3a_8b6c_11223344aaff");
        assert_int_equal(vk_libvirt_domain_uuid(path, &uuid), 0);
        assert_string_equal(uuid, "6b1f2a9c-0d4e-4f3a-8b6c-11223344aaff");
        assert_int_equal(
                vk_libvirt_domain_uuid(
                        "/org/libvirt/QEMU/domain/_6B1F2A9C_0D4E_4F3A_8B6C_11223344AAFF", &upper),
                0);
        assert_string_equal(upper, "6b1f2a9c-0d4e-4f3a-8b6c-11223344aaff");
        assert_int_equal(vk_libvirt_domain_uuid("/org/libvirt/QEMU/domain/nonsense", &none),
                         -EINVAL);
        assert_int_equal(vk_libvirt_domain_uuid("/org/libvirt/QEMU/network/_6b1f2a9c_0d4e_4f3a_"
                                                "8b6c_11223344aaff",
                                                &none),
                         -EINVAL);
        assert_int_equal(vk_libvirt_domain_uuid("/org/libvirt/QEMU/domain/_6b1f", &none), -EINVAL);
        assert_null(none);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_encode),
                cmocka_unit_test(test_decode_rejects),
                cmocka_unit_test(test_domain_path),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
