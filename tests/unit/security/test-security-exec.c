/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-security-exec.c: the exec parameters on virtkit-qemu-exec's command line */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "security-exec.h"

static char **to_args(const VkSecurityExecParams *p) {
        g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);

        vk_security_exec_params_to_args(p, argv);
        g_ptr_array_add(argv, g_strdup("/usr/bin/qemu-system-x86_64"));
        g_ptr_array_add(argv, g_strdup("-S"));
        g_ptr_array_add(argv, NULL);
        return (char **) g_ptr_array_free(g_steal_pointer(&argv), false);
}

static void test_round_trip(void **state) {
        gid_t groups[] = { 36, 107 };
        VkSecurityExecParams in = {
                .caps = VK_SECURITY_CAPS_CLEAR,
                .set_credentials = true,
                .uid = 107,
                .gid = 108,
                .groups = groups,
                .n_groups = G_N_ELEMENTS(groups),
                .selinux_label = (char *) "system_u:system_r:svirt_t:s0:c1,c2",
                .apparmor_profile = (char *) "virtkit-00000000-0000-0000-0000-000000000001",
        };
        g_auto(GStrv) args = to_args(&in);
        g_auto(VkSecurityExecParams) out = {};
        g_auto(VkError) error = VK_ERROR_INIT;
        char **rest = NULL;

        assert_true(vk_security_exec_params_need_helper(&in));
        assert_int_equal(vk_security_exec_params_from_args(args, &out, &rest, &error), 0);
        assert_int_equal(out.caps, VK_SECURITY_CAPS_CLEAR);
        assert_true(out.set_credentials);
        assert_int_equal(out.uid, 107);
        assert_int_equal(out.gid, 108);
        assert_int_equal(out.n_groups, 2);
        assert_int_equal(out.groups[0], 36);
        assert_int_equal(out.groups[1], 107);
        assert_string_equal(out.selinux_label, in.selinux_label);
        assert_string_equal(out.apparmor_profile, in.apparmor_profile);
        assert_string_equal(rest[0], "/usr/bin/qemu-system-x86_64");
        assert_string_equal(rest[1], "-S");
        assert_null(rest[2]);
}

/* Credentials alone: vk_child_spawn() applies them, no helper. */
static void test_no_helper(void **state) {
        VkSecurityExecParams in = { .caps = VK_SECURITY_CAPS_KEEP, .set_credentials = true };
        g_auto(GStrv) args = to_args(&in);
        g_auto(VkSecurityExecParams) out = {};
        g_auto(VkError) error = VK_ERROR_INIT;
        char **rest = NULL;

        assert_false(vk_security_exec_params_need_helper(&in));
        assert_int_equal(vk_security_exec_params_from_args(args, &out, &rest, &error), 0);
        assert_true(out.set_credentials);
        assert_int_equal(out.n_groups, 0);
        assert_int_equal(out.caps, VK_SECURITY_CAPS_KEEP);
}

static void test_bad(void **state) {
        static const char *const cases[][4] = {
                { "--uid=1", "--", "/bin/qemu", NULL },       /* uid without gid */
                { "--uid=x", "--gid=1", "--", "/bin/qemu" },  /* not a number */
                { "--groups=1,,2", "--", "/bin/qemu", NULL }, /* empty group */
                { "--frobnicate", "--", "/bin/qemu", NULL },  /* unknown */
                { "--clear-caps", "/bin/qemu", NULL, NULL },  /* no "--" */
                { "--clear-caps", "--", NULL, NULL },         /* no QEMU */
                { "--clear-caps", "--", "qemu", NULL },       /* relative */
        };

        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                g_auto(GStrv) args = g_new0(char *, 5);
                g_auto(VkSecurityExecParams) out = {};
                g_auto(VkError) error = VK_ERROR_INIT;
                char **rest = NULL;

                for (size_t j = 0; j < 4 && cases[i][j]; j++)
                        args[j] = g_strdup(cases[i][j]);
                assert_true(vk_security_exec_params_from_args(args, &out, &rest, &error) < 0);
                assert_null(rest);
                assert_non_null(error.message);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_round_trip),
                cmocka_unit_test(test_no_helper),
                cmocka_unit_test(test_bad),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
