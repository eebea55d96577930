/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-qemu-security.c: a domain through the security stack: goldens of labels, profiles, ACLs */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <glib/gstdio.h>

#include "macro.h"
#include "qemu-security.h"
#include "security-apparmor-profile.h"
#include "security-apparmor.h"
#include "security-selinux.h"
#include "vk-golden.h"

/*
 * Data ($VK_TEST_SRCDIR/data/qemu-security):
 *   NAME.xml         a domain
 *   NAME.seclabels   its live <seclabel>s under SELinux (fixed category source)
 *   NAME.files       its AppArmor .files include, when it gets a generated profile
 *   NAME.profile     its AppArmor profile from conf/apparmor/TEMPLATE.qemu
 *   NAME.acl         its cgroup device ACL with the default qemu.conf, "PATH PERMS" a line
 *   NAME.err         "MODEL: message" of each driver that refuses the domain
 *
 * Every .profile must pass `apparmor_parser -Q -K` (skipped when the parser is missing).
 * VK_TEST_REGENERATE=1 rewrites the goldens; a file no case used fails the suite.
 */

#define EXTRA_DIR    "/run/vk-sec-test/domain-%s/"
#define EXTRA_SOCKET "/run/vk-sec-test/domain-%s.monitor"

static char *data_dir;
static char *template_path;
static char *abstraction_dir;
static uint32_t rng_state;

static uint32_t test_random(void) {
        rng_state = rng_state * 1103515245U + 12345U;
        return rng_state >> 8;
}

static VkQemuConfig *config_new(const char *driver) {
        VkQemuConfig *cfg = vk_qemu_config_new(VK_INSTANCE_SYSTEM);

        g_strfreev(cfg->security_driver);
        cfg->security_driver = g_strdupv((char *[]){ (char *) driver, NULL });
        g_free(cfg->user);
        g_free(cfg->group);
        cfg->user = g_strdup("+107");
        cfg->group = g_strdup("+107");
        return cfg;
}

static VkSecurityManager *manager_new(const char *driver, bool privileged) {
        g_autoptr(VkQemuConfig) cfg = config_new(driver);
        VkSecurityManagerOptions opts = {
                .flags = VK_SECURITY_MANAGER_NO_PROBE | VK_SECURITY_MANAGER_NO_HOST_POLICY,
                .random = test_random,
        };
        g_auto(VkError) error = VK_ERROR_INIT;
        VkSecurityManager *m = NULL;

        assert_int_equal(vk_qemu_security_manager_new(cfg, privileged, &opts, &m, &error), 0);
        return m;
}

static void check_golden(const char *name, const char *suffix, const char *actual) {
        g_autofree char *path = g_strdup_printf("%s/%s.%s", data_dir, name, suffix);
        g_autofree char *expected = NULL;

        vk_golden_mark_used(path);
        if (vk_golden_regenerate()) {
                vk_golden_write(path, actual);
                return;
        }
        expected = vk_golden_read(path);
        if (!expected)
                fail_msg("missing golden %s", path);
        if (!g_str_equal(expected, actual))
                fail_msg("%s differs:\n--- expected\n%s--- actual\n%s", path, expected, actual);
}

static VkDomainDef *parse_case(const char *name) {
        g_autofree char *path = g_strdup_printf("%s/%s.xml", data_dir, name);
        g_auto(VkError) error = VK_ERROR_INIT;
        VkDomainDef *def = NULL;

        vk_golden_mark_used(path);
        if (vk_domain_def_parse_file(path, 0, &def, &error) < 0)
                fail_msg("%s: %s", path, error.message);
        return def;
}

static bool run_parser(const char *profile_name, const char *profile, const char *files) {
        g_autofree char *tmp = g_dir_make_tmp("vk-aa-XXXXXX", NULL);
        g_autofree char *dir = g_build_filename(tmp, "virtkit", NULL);
        g_autofree char *abs = g_build_filename(dir, "abstractions", NULL);
        g_autofree char *ppath = g_build_filename(dir, profile_name, NULL);
        g_autofree char *fpath = g_strconcat(ppath, ".files", NULL);
        g_autofree char *apath = g_build_filename(abs, "virtkit-qemu", NULL);
        g_autofree char *out = g_build_filename(tmp, "out.bin", NULL);
        g_autofree char *abstraction = NULL, *err = NULL;
        int status = -1;

        assert_int_equal(g_mkdir_with_parents(abs, 0755), 0);
        assert_true(g_file_get_contents(abstraction_dir, &abstraction, NULL, NULL));
        assert_true(g_file_set_contents(apath, abstraction, -1, NULL));
        assert_true(g_file_set_contents(ppath, profile, -1, NULL));
        assert_true(g_file_set_contents(fpath, files, -1, NULL));
        assert_true(g_spawn_sync(NULL,
                                 (char *[]){ "/usr/sbin/apparmor_parser", "-Q", "-K", "-I", tmp,
                                             "-o", out, ppath, NULL },
                                 NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, &err, &status,
                                 NULL));
        if (status != 0)
                print_message("apparmor_parser on %s: %s\n", profile_name, err);
        (void) g_spawn_sync(NULL, (char *[]){ "rm", "-rf", tmp, NULL }, NULL, G_SPAWN_SEARCH_PATH,
                            NULL, NULL, NULL, NULL, NULL, NULL);
        return status == 0;
}

static void test_golden(void **state) {
        const char *name = *state;
        g_autoptr(VkDomainDef) def = parse_case(name);
        g_autoptr(VkSecurityManager) se = manager_new("selinux", true);
        g_autoptr(VkSecurityManager) aa = manager_new("apparmor", false);
        g_autoptr(VkSecurityState) se_state = NULL, aa_state = NULL;
        g_autoptr(VkQemuConfig) cfg = config_new("none");
        g_autofree char *labels = NULL, *rules = NULL, *extra_dir = NULL, *extra_sock = NULL;
        g_autoptr(GString) acl = g_string_new(NULL), errors = g_string_new(NULL);
        g_auto(VkError) error = VK_ERROR_INIT;
        VkSecurityDeviceRule *rules_acl = NULL;
        size_t n_acl = 0;

        rng_state = 42;
        if (vk_qemu_security_prepare(se, def, &se_state, &error) < 0) {
                g_string_append_printf(errors, "selinux: %s\n", error.message);
                vk_error_done(&error);
        } else {
                assert_int_equal(vk_qemu_security_format_live_seclabels(se_state, &labels), 0);
                check_golden(name, "seclabels", labels);
        }

        extra_dir = g_strdup_printf(EXTRA_DIR, def->name);
        extra_sock = g_strdup_printf(EXTRA_SOCKET, def->name);
        if (vk_qemu_security_prepare(aa, def, &aa_state, &error) < 0) {
                g_string_append_printf(errors, "apparmor: %s\n", error.message);
                vk_error_done(&error);
        } else
                assert_int_equal(vk_qemu_security_label_domain(
                                         aa, aa_state, def, VK_STRV(extra_dir, extra_sock), &error),
                                 0);
        if (aa_state && vk_security_state_apparmor_profile(aa_state) &&
            g_str_has_prefix(vk_security_state_apparmor_profile(aa_state), "virtkit-")) {
                const char *pname = vk_security_state_apparmor_profile(aa_state);
                g_autofree char *files = NULL, *profile = NULL, *template_text = NULL;

                assert_int_equal(vk_security_manager_apparmor_rules(aa_state, &rules), 0);
                if (vk_apparmor_render_files(rules, pname, &files, &error) < 0)
                        fail_msg("%s", error.message);
                assert_true(g_file_get_contents(template_path, &template_text, NULL, NULL));
                assert_int_equal(vk_apparmor_render_profile(template_text, pname, &profile, &error),
                                 0);
                check_golden(name, "files", files);
                check_golden(name, "profile", profile);
                if (access("/usr/sbin/apparmor_parser", X_OK) == 0)
                        assert_true(run_parser(pname, profile, files));
                else
                        print_message("apparmor_parser missing: %s not compiled\n", pname);
        }

        assert_int_equal(vk_qemu_security_device_acl(cfg, def, &rules_acl, &n_acl, &error), 0);
        for (size_t i = 0; i < n_acl; i++)
                g_string_append_printf(acl, "%s %s\n", rules_acl[i].path, rules_acl[i].perms);
        vk_security_device_rules_free(rules_acl, n_acl);
        check_golden(name, "acl", acl->str);
        if (errors->len > 0)
                check_golden(name, "err", errors->str);
}

static void test_unused_files(void **state) {
        vk_golden_check_unused(data_dir, NULL);
}

/* The live labels go into the definition and out through the domain formatter. */
static void test_set_live(void **state) {
        g_autoptr(VkDomainDef) def = parse_case("baselabel");
        g_autoptr(VkSecurityManager) m = manager_new("selinux", false);
        g_autoptr(VkSecurityState) s = NULL;
        g_autofree char *xml = NULL;
        g_auto(VkError) error = VK_ERROR_INIT;

        rng_state = 42;
        assert_int_equal(vk_qemu_security_prepare(m, def, &s, &error), 0);
        assert_int_equal(vk_qemu_security_set_live_seclabels(s, def), 0);
        assert_int_equal(vk_domain_def_format(def, VK_DOMAIN_DEF_FORMAT_LIVE, &xml, &error), 0);
        assert_non_null(strstr(xml, "<label>staff_u:staff_r:svirt_t:s0:c"));
        assert_non_null(strstr(xml, "<baselabel>staff_u:staff_r:svirt_t:s0</baselabel>"));
        assert_non_null(strstr(xml, "model='dac'"));
}

/* qemu.conf's list plus the domain's block disks, RNG and TPM devices, deduplicated. */
static void test_acl_custom(void **state) {
        g_autoptr(VkQemuConfig) cfg = config_new("none");
        g_autoptr(VkDomainDef) def = parse_case("devices-mixed");
        g_auto(VkError) error = VK_ERROR_INIT;
        VkSecurityDeviceRule *rules = NULL;
        size_t n = 0;

        g_strfreev(cfg->cgroup_device_acl);
        cfg->cgroup_device_acl =
                g_strdupv((char *[]){ "/dev/null", "/dev/null", "relative", NULL });
        assert_int_equal(vk_qemu_security_device_acl(cfg, def, &rules, &n, &error), -EINVAL);
        assert_non_null(strstr(error.message, "'relative'"));
        vk_error_done(&error);
        g_strfreev(cfg->cgroup_device_acl);
        cfg->cgroup_device_acl = g_strdupv((char *[]){ "/dev/null", "/dev/null", NULL });
        assert_int_equal(vk_qemu_security_device_acl(cfg, def, &rules, &n, &error), 0);
        assert_true(n > 1);
        assert_string_equal(rules[0].path, "/dev/null");
        vk_security_device_rules_free(rules, n);
}

/* The capabilities' <secmodel>s: libvirt's "none" leads a stack without a MAC driver. */
static void test_secmodels(void **state) {
        g_autoptr(VkSecurityManager) se = manager_new("selinux", false);
        g_autoptr(VkSecurityManager) none = manager_new("none", false);
        VkQemuSecModel sm[3];

        assert_int_equal(vk_qemu_security_secmodels(se, sm), 2);
        assert_string_equal(sm[0].model, "selinux");
        assert_string_equal(sm[0].baselabels[1], "system_u:system_r:svirt_t:s0");
        assert_string_equal(sm[1].model, "dac");
        assert_int_equal(vk_qemu_security_secmodels(none, sm), 2);
        assert_string_equal(sm[0].model, "none");
        assert_null(sm[0].baselabels);
        assert_string_equal(sm[1].model, "dac");
}

static char *test_cases[] = { "disk-file",          "disk-chain",   "devices-mixed",
                              "tcg-static-selinux", "tcg-firmware", "baselabel" };

int main(void) {
        const char *srcdir = g_getenv("VK_TEST_SRCDIR"), *top = g_getenv("VK_TOP_SRCDIR");
        struct CMUnitTest tests[G_N_ELEMENTS(test_cases) + 8];
        size_t n = 0;

        if (!srcdir || !top)
                return 77;
        if (!vk_selinux_supported() || !vk_apparmor_supported()) {
                print_message("built without libselinux or libapparmor: skipped\n");
                return 77;
        }
        vk_golden_init();
        data_dir = vk_golden_data_dir("qemu-security");
        template_path = g_build_filename(top, "conf", "apparmor", "TEMPLATE.qemu", NULL);
        abstraction_dir =
                g_build_filename(top, "conf", "apparmor", "abstractions", "virtkit-qemu", NULL);

        for (size_t i = 0; i < G_N_ELEMENTS(test_cases); i++)
                tests[n++] = (struct CMUnitTest){ .name = test_cases[i],
                                                  .test_func = test_golden,
                                                  .initial_state = test_cases[i] };
#define ADD(f) tests[n++] = (struct CMUnitTest) cmocka_unit_test(f)
        ADD(test_set_live);
        ADD(test_acl_custom);
        ADD(test_secmodels);
        ADD(test_unused_files);
#undef ADD
        return _cmocka_run_group_tests("qemu-security", tests, n, NULL, NULL);
}
