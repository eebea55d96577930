/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-security-manager.c: goldens of labels and profiles, the state JSON, ACLs, profile ops */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <glib/gstdio.h>

#include "macro.h"
#include "sd-glue.h"
#include "security-apparmor-profile.h"
#include "security-apparmor.h"
#include "security-manager.h"
#include "security-selinux.h"

/*
 * Data ($VK_TEST_SRCDIR/data/security):
 *
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
static bool regenerate;
static GHashTable *used_files;
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

        assert_int_equal(vk_security_manager_new(cfg, privileged, &opts, &m, &error), 0);
        return m;
}

static void check_golden(const char *name, const char *suffix, const char *actual) {
        g_autofree char *path = g_strdup_printf("%s/%s.%s", data_dir, name, suffix);
        g_autofree char *expected = NULL;

        g_hash_table_add(used_files, g_strdup(path));
        if (regenerate) {
                assert_true(g_file_set_contents(path, actual, -1, NULL));
                return;
        }
        if (!g_file_get_contents(path, &expected, NULL, NULL))
                fail_msg("missing golden %s", path);
        if (!g_str_equal(expected, actual))
                fail_msg("%s differs:\n--- expected\n%s--- actual\n%s", path, expected, actual);
}

static VkDomainDef *parse_case(const char *name) {
        g_autofree char *path = g_strdup_printf("%s/%s.xml", data_dir, name);
        g_auto(VkError) error = VK_ERROR_INIT;
        VkDomainDef *def = NULL;

        g_hash_table_add(used_files, g_strdup(path));
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
        if (vk_security_manager_prepare(se, def, &se_state, &error) < 0) {
                g_string_append_printf(errors, "selinux: %s\n", error.message);
                vk_error_done(&error);
        } else {
                assert_int_equal(vk_security_manager_format_live_seclabels(se_state, &labels), 0);
                check_golden(name, "seclabels", labels);
        }

        extra_dir = g_strdup_printf(EXTRA_DIR, def->name);
        extra_sock = g_strdup_printf(EXTRA_SOCKET, def->name);
        if (vk_security_manager_prepare(aa, def, &aa_state, &error) < 0) {
                g_string_append_printf(errors, "apparmor: %s\n", error.message);
                vk_error_done(&error);
        } else
                assert_int_equal(vk_security_manager_label_files(
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

        assert_int_equal(vk_security_device_acl(cfg, def, &rules_acl, &n_acl, &error), 0);
        for (size_t i = 0; i < n_acl; i++)
                g_string_append_printf(acl, "%s %s\n", rules_acl[i].path, rules_acl[i].perms);
        vk_security_device_rules_free(rules_acl, n_acl);
        check_golden(name, "acl", acl->str);
        if (errors->len > 0)
                check_golden(name, "err", errors->str);
}

static void test_unused_files(void **state) {
        g_autoptr(GDir) dir = g_dir_open(data_dir, 0, NULL);
        g_autoptr(GString) unused = g_string_new(NULL);
        const char *f;

        assert_non_null(dir);
        while ((f = g_dir_read_name(dir))) {
                g_autofree char *path = g_build_filename(data_dir, f, NULL);
                if (!g_hash_table_contains(used_files, path))
                        g_string_append_printf(unused, " %s", f);
        }
        if (unused->len > 0)
                fail_msg("files no test used:%s", unused->str);
}

/* The stack picks the first listed MAC driver; "none" keeps DAC only. */
static void test_stack(void **state) {
        g_autoptr(VkSecurityManager) se = manager_new("selinux", false);
        g_autoptr(VkSecurityManager) aa = manager_new("apparmor", false);
        g_autoptr(VkSecurityManager) none = manager_new("none", false);
        const VkQemuSecModel *sm;
        size_t n;

        assert_string_equal(vk_security_manager_mac_model(se), "selinux");
        assert_string_equal(vk_security_manager_mac_model(aa), "apparmor");
        assert_null(vk_security_manager_mac_model(none));

        assert_int_equal(vk_security_manager_get_secmodels(se, &sm, &n), 0);
        assert_int_equal(n, 2);
        assert_string_equal(sm[0].model, "selinux");
        assert_string_equal(sm[0].doi, "0");
        assert_string_equal(sm[0].baselabels[0], "kvm");
        assert_string_equal(sm[0].baselabels[1], "system_u:system_r:svirt_t:s0");
        assert_string_equal(sm[0].baselabels[2], "qemu");
        assert_string_equal(sm[0].baselabels[3], "system_u:system_r:svirt_tcg_t:s0");
        assert_string_equal(sm[1].model, "dac");
        assert_int_equal(vk_security_manager_get_secmodels(none, &sm, &n), 0);
        assert_int_equal(n, 1);
        assert_string_equal(sm[0].model, "dac");
}

/* Without probing, a host with neither LSM gets no MAC driver (this host). */
static void test_probe(void **state) {
        g_autoptr(VkQemuConfig) cfg = vk_qemu_config_new(VK_INSTANCE_SESSION);
        g_autoptr(VkSecurityManager) m = NULL;
        g_auto(VkError) error = VK_ERROR_INIT;

        assert_int_equal(vk_security_manager_new(cfg, false, NULL, &m, &error), 0);
        if (access("/sys/fs/selinux", F_OK) < 0 &&
            access("/sys/kernel/security/apparmor", F_OK) < 0)
                assert_null(vk_security_manager_mac_model(m));
}

static const char *const require_xml =
        "<domain type='kvm'><name>r</name><uuid>6a3e9d2c-1f4b-4c8e-9a7d-2b5c8e1f0a30</uuid>"
        "<memory>1024</memory><os><type arch='x86_64' machine='pc'>hvm</type></os>"
        "<devices><emulator>/usr/bin/qemu-system-x86_64</emulator></devices>"
        "<seclabel type='none' model='selinux'/></domain>";

/* security_require_confined refuses an unconfined domain; a model not in the stack fails. */
static void test_require_confined(void **state) {
        g_autoptr(VkQemuConfig) cfg = config_new("selinux");
        g_autoptr(VkSecurityManager) m = NULL, aa = manager_new("apparmor", true);
        g_autoptr(VkSecurityState) s = NULL;
        g_autoptr(VkDomainDef) def = NULL;
        g_auto(VkError) error = VK_ERROR_INIT;
        g_auto(VkError) error2 = VK_ERROR_INIT;
        VkSecurityManagerOptions opts = { .flags = VK_SECURITY_MANAGER_NO_PROBE |
                                                   VK_SECURITY_MANAGER_NO_HOST_POLICY };

        cfg->security_require_confined = true;
        assert_int_equal(vk_security_manager_new(cfg, true, &opts, &m, &error), 0);
        assert_int_equal(vk_domain_def_parse_string(require_xml, 0, &def, &error), 0);
        assert_int_equal(vk_security_manager_prepare(m, def, &s, &error), -EPERM);
        assert_string_equal(error.name, VK_ERROR_PERMISSION_DENIED);
        /* type='none' of a model not in the stack is fine; a confined one is not */
        assert_int_equal(vk_security_manager_prepare(aa, def, &s, &error2), 0);
        s = vk_security_state_free(s);
        def->seclabels[0].type = VK_SECLABEL_STATIC;
        def->seclabels[0].label = g_strdup("a:b:c:s0");
        vk_error_done(&error2);
        assert_int_equal(vk_security_manager_prepare(aa, def, &s, &error2), -EOPNOTSUPP);
}

/* The state survives a JSON round trip, and from_json reserves its MCS pair again. */
static void test_json(void **state) {
        g_autoptr(VkDomainDef) def = parse_case("devices-mixed");
        g_autoptr(VkSecurityManager) m = manager_new("selinux", false);
        g_autoptr(VkSecurityManager) m2 = manager_new("selinux", false);
        g_autoptr(VkSecurityState) s = NULL, back = NULL, dup = NULL;
        g_autofree char *json = NULL, *json2 = NULL, *l1 = NULL, *l2 = NULL;
        g_auto(VkError) error = VK_ERROR_INIT;
        g_auto(VkError) error2 = VK_ERROR_INIT;

        rng_state = 7;
        assert_int_equal(vk_security_manager_prepare(m, def, &s, &error), 0);
        assert_int_equal(vk_security_manager_state_to_json(s, &json), 0);
        assert_int_equal(vk_security_manager_state_from_json(m2, json, &back, &error), 0);
        assert_int_equal(vk_security_manager_state_to_json(back, &json2), 0);
        assert_string_equal(json, json2);
        assert_int_equal(vk_security_manager_format_live_seclabels(s, &l1), 0);
        assert_int_equal(vk_security_manager_format_live_seclabels(back, &l2), 0);
        assert_string_equal(l1, l2);
        /* the same pair twice in one manager: refused */
        assert_int_equal(vk_security_manager_state_from_json(m2, json, &dup, &error2), -EEXIST);
        vk_error_done(&error2);
        assert_int_equal(vk_security_manager_state_from_json(m2, "{\"version\":2}", &dup, &error2),
                         -EBADMSG);
        vk_error_done(&error2);
        assert_int_equal(vk_security_manager_state_from_json(m2, "[", &dup, &error2) < 0, true);
}

/* The live labels go into the definition and out through the domain formatter. */
static void test_set_live(void **state) {
        g_autoptr(VkDomainDef) def = parse_case("baselabel");
        g_autoptr(VkSecurityManager) m = manager_new("selinux", false);
        g_autoptr(VkSecurityState) s = NULL;
        g_autofree char *xml = NULL;
        g_auto(VkError) error = VK_ERROR_INIT;

        rng_state = 42;
        assert_int_equal(vk_security_manager_prepare(m, def, &s, &error), 0);
        assert_int_equal(vk_security_manager_set_live_seclabels(s, def), 0);
        assert_int_equal(vk_domain_def_format(def, VK_DOMAIN_DEF_FORMAT_LIVE, &xml, &error), 0);
        assert_non_null(strstr(xml, "<label>staff_u:staff_r:svirt_t:s0:c"));
        assert_non_null(strstr(xml, "<baselabel>staff_u:staff_r:svirt_t:s0</baselabel>"));
        assert_non_null(strstr(xml, "model='dac'"));
}

typedef struct OpResult {
        bool done;
        int r;
        char *message;
} OpResult;

static void op_done(VkSecurityOp *op, int r, const VkError *error, void *userdata) {
        OpResult *res = userdata;

        res->done = true;
        res->r = r;
        res->message = error ? g_strdup(error->message) : NULL;
}

/* load/unload run virtkit-aa-helper (apparmor_parser replaced by /bin/true) on the loop. */
static void test_profile_ops(void **state) {
        g_autofree char *helper =
                g_build_filename(g_getenv("VK_TOP_BUILDDIR"), "tools", "virtkit-aa-helper", NULL);
        g_autofree char *tmp = g_dir_make_tmp("vk-aa-op-XXXXXX", NULL);
        g_autofree char *dir = g_build_filename(tmp, "virtkit", NULL);
        g_autoptr(VkQemuConfig) cfg = config_new("apparmor");
        g_autoptr(VkSecurityManager) m = NULL;
        g_autoptr(VkSecurityState) s = NULL;
        g_autoptr(VkDomainDef) def = parse_case("disk-file");
        g_autoptr(VkSecurityOp) op = NULL;
        g_autoptr(sd_event) e = NULL;
        g_autofree char *files_path = NULL, *files = NULL, *pfile = NULL;
        g_auto(VkError) error = VK_ERROR_INIT;
        const char *args[] = { "--dir",    dir,         "--template", template_path,
                               "--parser", "/bin/true", NULL };
        VkSecurityManagerOptions opts = {
                .flags = VK_SECURITY_MANAGER_NO_PROBE | VK_SECURITY_MANAGER_NO_HOST_POLICY,
                .aa_helper = helper,
                .aa_helper_args = args,
        };
        OpResult res = {};
        sigset_t mask;

        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        assert_int_equal(sigprocmask(SIG_BLOCK, &mask, NULL), 0);
        assert_int_equal(sd_event_new(&e), 0);
        assert_int_equal(vk_security_manager_new(cfg, false, &opts, &m, &error), 0);
        assert_int_equal(vk_security_manager_prepare(m, def, &s, &error), 0);
        assert_int_equal(vk_security_manager_label_files(m, s, def, NULL, &error), 0);

        assert_int_equal(vk_security_manager_load_profile(m, s, e, op_done, &res, &op, &error), 0);
        assert_false(res.done); /* never completes inside the call */
        while (!res.done)
                assert_true(sd_event_run(e, 5 * 1000 * 1000) >= 0);
        if (res.r != 0)
                fail_msg("load: %s", res.message);
        files_path = g_strdup_printf("%s/%s.files", dir, vk_security_state_apparmor_profile(s));
        pfile = g_strdup_printf("%s/%s", dir, vk_security_state_apparmor_profile(s));
        assert_true(g_file_get_contents(files_path, &files, NULL, NULL));
        assert_non_null(strstr(files, "\"/var/lib/virtkit/images/vm1.qcow2\" rwk,"));
        assert_int_equal(access(pfile, F_OK), 0);

        op = vk_security_op_free(op);
        res = (OpResult){};
        assert_int_equal(vk_security_manager_unload_profile(m, s, e, op_done, &res, &op, &error),
                         0);
        while (!res.done)
                assert_true(sd_event_run(e, 5 * 1000 * 1000) >= 0);
        assert_int_equal(res.r, 0);
        assert_int_equal(access(files_path, F_OK), -1);
        assert_int_equal(access(pfile, F_OK), -1);

        /* nothing loaded any more: unload completes from the loop with 0 */
        op = vk_security_op_free(op);
        res = (OpResult){};
        assert_int_equal(vk_security_manager_unload_profile(m, s, e, op_done, &res, &op, &error),
                         0);
        assert_false(res.done);
        while (!res.done)
                assert_true(sd_event_run(e, 1000 * 1000) >= 0);
        assert_int_equal(res.r, 0);

        /* a helper that fails reports its stderr */
        op = vk_security_op_free(op);
        res = (OpResult){};
        args[5] = "/bin/false";
        g_clear_pointer(&m, vk_security_manager_unref);
        s = vk_security_state_free(s);
        assert_int_equal(vk_security_manager_new(cfg, false, &opts, &m, &error), 0);
        assert_int_equal(vk_security_manager_prepare(m, def, &s, &error), 0);
        assert_int_equal(vk_security_manager_load_profile(m, s, e, op_done, &res, &op, &error), 0);
        while (!res.done)
                assert_true(sd_event_run(e, 5 * 1000 * 1000) >= 0);
        assert_true(res.r < 0);
        assert_non_null(strstr(res.message, "failed"));
        g_free(res.message);
        (void) g_spawn_sync(NULL, (char *[]){ "rm", "-rf", tmp, NULL }, NULL, G_SPAWN_SEARCH_PATH,
                            NULL, NULL, NULL, NULL, NULL, NULL);
}

/* qemu.conf's list plus the domain's block disks, deduplicated, "r" for readonly. */
static void test_acl_custom(void **state) {
        g_autoptr(VkQemuConfig) cfg = config_new("none");
        g_autoptr(VkDomainDef) def = parse_case("disk-file");
        g_auto(VkError) error = VK_ERROR_INIT;
        VkSecurityDeviceRule *rules = NULL;
        size_t n = 0;

        g_strfreev(cfg->cgroup_device_acl);
        cfg->cgroup_device_acl =
                g_strdupv((char *[]){ "/dev/null", "/dev/null", "relative", NULL });
        assert_int_equal(vk_security_device_acl(cfg, def, &rules, &n, &error), -EINVAL);
        vk_error_done(&error);
        g_strfreev(cfg->cgroup_device_acl);
        cfg->cgroup_device_acl = g_strdupv((char *[]){ "/dev/null", "/dev/null", NULL });
        assert_int_equal(vk_security_device_acl(cfg, def, &rules, &n, &error), 0);
        assert_int_equal(n, 1);
        assert_string_equal(rules[0].path, "/dev/null");
        vk_security_device_rules_free(rules, n);
}

static char *test_cases[] = { "disk-file", "devices-mixed", "tcg-static-selinux", "tcg-firmware",
                              "baselabel" };

int main(void) {
        const char *srcdir = g_getenv("VK_TEST_SRCDIR"), *top = g_getenv("VK_TOP_SRCDIR");
        struct CMUnitTest tests[G_N_ELEMENTS(test_cases) + 16];
        size_t n = 0;

        if (!srcdir || !top)
                return 77;
        if (!vk_selinux_supported() || !vk_apparmor_supported()) {
                print_message("built without libselinux or libapparmor: skipped\n");
                return 77;
        }
        data_dir = g_build_filename(srcdir, "data", "security", NULL);
        template_path = g_build_filename(top, "conf", "apparmor", "TEMPLATE.qemu", NULL);
        abstraction_dir =
                g_build_filename(top, "conf", "apparmor", "abstractions", "virtkit-qemu", NULL);
        regenerate = g_strcmp0(g_getenv("VK_TEST_REGENERATE"), "1") == 0;
        used_files = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

        for (size_t i = 0; i < G_N_ELEMENTS(test_cases); i++)
                tests[n++] = (struct CMUnitTest){ .name = test_cases[i],
                                                  .test_func = test_golden,
                                                  .initial_state = test_cases[i] };
#define ADD(f) tests[n++] = (struct CMUnitTest) cmocka_unit_test(f)
        ADD(test_stack);
        ADD(test_probe);
        ADD(test_require_confined);
        ADD(test_json);
        ADD(test_set_live);
        ADD(test_profile_ops);
        ADD(test_acl_custom);
        ADD(test_unused_files);
#undef ADD
        return _cmocka_run_group_tests("security-manager", tests, n, NULL, NULL);
}
