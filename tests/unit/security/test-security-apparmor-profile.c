/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-security-apparmor-profile.c: rule validation and rendering of per-VM profiles */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "security-apparmor-profile.h"

static void test_paths(void **state) {
        static const char *const good[] = {
                "/var/lib/virtkit/images/a.qcow2",
                "/srv/with space/x",
                "/srv/[x]*?{}^.img",
                "/boot/vmlinuz",
                "/dev/kvm",
                "/srv/ünïcode",
        };
        static const char *const bad[] = {
                "relative",
                "/",
                "/srv/dir/",
                "/srv//x",
                "/srv/./x",
                "/srv/../etc/shadow",
                "/srv/..",
                "/srv/a\"b",
                "/srv/a\\b",
                "/srv/a\nb",
                "/srv/@{HOME}",
                "/etc/apparmor.d/x",
                "/etc/apparmor.d",
                "/proc/1/mem",
                "/sys/kernel/security/x",
        };

        for (size_t i = 0; i < G_N_ELEMENTS(good); i++) {
                g_auto(VkError) error = VK_ERROR_INIT;
                if (vk_apparmor_path_check(good[i], &error) < 0)
                        fail_msg("'%s' refused: %s", good[i], error.message);
        }
        for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
                g_auto(VkError) error = VK_ERROR_INIT;
                if (vk_apparmor_path_check(bad[i], &error) == 0)
                        fail_msg("'%s' accepted", bad[i]);
        }
        assert_int_equal(vk_apparmor_path_check("/etc/apparmor.dx", NULL), 0);
}

static void test_names(void **state) {
        assert_int_equal(vk_apparmor_profile_name_check("virtkit-6a3e9d2c-1f4b"), 0);
        assert_int_equal(vk_apparmor_profile_name_check("-x"), -EINVAL);
        assert_int_equal(vk_apparmor_profile_name_check("a b"), -EINVAL);
        assert_int_equal(vk_apparmor_profile_name_check("a/b"), -EINVAL);
        assert_int_equal(vk_apparmor_profile_name_check(""), -EINVAL);
}

static void test_render_files(void **state) {
        g_auto(VkError) error = VK_ERROR_INIT;
        g_autofree char *out = NULL;

        assert_int_equal(vk_apparmor_render_files("rwk /a b\nrk /x*\n\nrwk /a b\ntree /run/d\n",
                                                  "virtkit-x", &out, &error),
                         0);
        assert_non_null(strstr(out, "  \"/a b\" rwk,\n  \"/x\\*\" rk,\n  \"/run/d/\" r,\n"
                                    "  \"/run/d/**\" rwk,\n"));
        assert_null(strstr(strstr(out, "rwk,") + 1, "\"/a b\""));

        vk_error_done(&error);
        assert_int_equal(vk_apparmor_render_files("rwx /bin/sh\n", "virtkit-x", &out, &error),
                         -EINVAL);
        vk_error_done(&error);
        assert_int_equal(vk_apparmor_render_files("rw\n", "virtkit-x", &out, &error), -EINVAL);
        vk_error_done(&error);
        assert_int_equal(
                vk_apparmor_render_files("rw /etc/apparmor.d/x\n", "virtkit-x", &out, &error),
                -EPERM);
        vk_error_done(&error);
        assert_int_equal(vk_apparmor_render_files("", "bad name", &out, &error), -EINVAL);
}

static void test_render_profile(void **state) {
        g_auto(VkError) error = VK_ERROR_INIT;
        g_autofree char *out = NULL;

        assert_int_equal(vk_apparmor_render_profile("profile @PROFILE_NAME@ {\n"
                                                    "  #include <@FILES_INCLUDE@>\n}\n",
                                                    "virtkit-u", &out, &error),
                         0);
        assert_string_equal(out, "profile virtkit-u {\n  #include <virtkit/virtkit-u.files>\n}\n");
        assert_int_equal(vk_apparmor_render_profile("profile x {}", "virtkit-u", &out, &error),
                         -EINVAL);
        vk_error_done(&error);
        assert_int_equal(vk_apparmor_render_profile("@PROFILE_NAME@ @PROFILE_NAME@ "
                                                    "@FILES_INCLUDE@",
                                                    "virtkit-u", &out, &error),
                         -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_paths),
                cmocka_unit_test(test_names),
                cmocka_unit_test(test_render_files),
                cmocka_unit_test(test_render_profile),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
