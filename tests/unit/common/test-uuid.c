/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-uuid.c: UUID generation, parsing and formatting */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "macro.h"
#include "uuid.h"

static const VkUuid sample = { { 0x6b, 0x1f, 0x2a, 0x9c, 0x0d, 0x4e, 0x4f, 0x3a, 0x8b, 0x6c, 0x11,
                                 0x22, 0x33, 0x44, 0xaa, 0xff } };

static void test_format(void **state) {
        char buf[VK_UUID_STRING_MAX];
        VkUuid null = VK_UUID_NULL;

        assert_ptr_equal(vk_uuid_format(&sample, buf), buf);
        assert_string_equal(buf, "6b1f2a9c-0d4e-4f3a-8b6c-11223344aaff");
        assert_int_equal(strlen(buf), VK_UUID_STRING_MAX - 1);
        assert_string_equal(vk_uuid_format(&null, buf), "00000000-0000-0000-0000-000000000000");
}

static void test_parse_good(void **state) {
        static const char *const forms[] = {
                "6b1f2a9c-0d4e-4f3a-8b6c-11223344aaff", "6B1F2A9C-0D4E-4F3A-8B6C-11223344AAFF",
                "6b1F2a9C-0d4E-4f3A-8b6C-11223344AaFf", "6b1f2a9c0d4e4f3a8b6c11223344aaff",
                "6B1F2A9C0D4E4F3A8B6C11223344AAFF",
        };

        for (size_t i = 0; i < VK_ELEMENTSOF(forms); i++) {
                VkUuid u;

                assert_int_equal(vk_uuid_parse(forms[i], &u), 0);
                assert_true(vk_uuid_equal(&u, &sample));
        }
}

static void test_parse_bad(void **state) {
        static const char *const bad[] = {
                "",
                "6b1f2a9c-0d4e-4f3a-8b6c-11223344aaf",   /* 35 */
                "6b1f2a9c-0d4e-4f3a-8b6c-11223344aaff0", /* 37 */
                "6b1f2a9c0d4e4f3a8b6c11223344aaf",       /* 31 */
                "6b1f2a9c0d4e4f3a8b6c11223344aaff0",     /* 33 */
                "6b1f2a9c-0d4e-4f3a-8b6c-11223344aagf",  /* not hex */
                "6b1f2a9c-0d4e-4f3a-8b6c_11223344aaff",  /* wrong separator */
                "6b1f2a9c0-d4e-4f3a-8b6c-11223344aaff",  /* dash moved */
                "6b1f2a9c-0d4e-4f3a-8b6c11223344aaff-",  /* dash moved */
                "{6b1f2a9c-0d4e-4f3a-8b6c-11223344aaf}", /* braces */
                " 6b1f2a9c-0d4e-4f3a-8b6c-11223344aaf",  /* whitespace */
                "6b1f2a9c-0d4e-4f3a-8b6c-11223344aaf ",
                "6b1f2a9c-0d4e-4f3a-8b6c-1122-3344aaff", /* extra dash, 37 */
                "6b1f2a9c00d4e04f3a08b6c011223344aaff",  /* 36 without dashes */
                "------------------------------------",
                "0x1f2a9c0d4e4f3a8b6c11223344aaff0",
        };
        VkUuid u = sample;

        for (size_t i = 0; i < VK_ELEMENTSOF(bad); i++) {
                if (vk_uuid_parse(bad[i], &u) != -EINVAL)
                        fail_msg("'%s' was accepted", bad[i]);
                /* untouched on failure */
                assert_true(vk_uuid_equal(&u, &sample));
        }
        assert_int_equal(vk_uuid_parse(NULL, &u), -EINVAL);
}

static void test_roundtrip(void **state) {
        for (int i = 0; i < 100; i++) {
                char buf[VK_UUID_STRING_MAX];
                VkUuid u, v;

                assert_int_equal(vk_uuid_generate(&u), 0);
                assert_int_equal(vk_uuid_parse(vk_uuid_format(&u, buf), &v), 0);
                assert_true(vk_uuid_equal(&u, &v));
        }
}

static void test_generate(void **state) {
        VkUuid a, b;
        char buf[VK_UUID_STRING_MAX];

        assert_int_equal(vk_uuid_generate(&a), 0);
        assert_int_equal(vk_uuid_generate(&b), 0);
        assert_false(vk_uuid_equal(&a, &b));
        assert_false(vk_uuid_is_null(&a));

        /* version 4, RFC 4122 variant */
        assert_int_equal(a.bytes[6] >> 4, 4);
        assert_int_equal(a.bytes[8] >> 6, 2);
        vk_uuid_format(&a, buf);
        assert_int_equal(buf[14], '4');
        assert_non_null(strchr("89ab", buf[19]));
}

static void test_null_equal(void **state) {
        VkUuid null = VK_UUID_NULL;
        VkUuid other = sample;

        assert_true(vk_uuid_is_null(&null));
        assert_false(vk_uuid_is_null(&sample));
        assert_true(vk_uuid_equal(&sample, &other));
        other.bytes[15] ^= 1;
        assert_false(vk_uuid_equal(&sample, &other));
        other = null;
        other.bytes[0] = 1;
        assert_false(vk_uuid_is_null(&other));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_format),    cmocka_unit_test(test_parse_good),
                cmocka_unit_test(test_parse_bad), cmocka_unit_test(test_roundtrip),
                cmocka_unit_test(test_generate),  cmocka_unit_test(test_null_equal),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
