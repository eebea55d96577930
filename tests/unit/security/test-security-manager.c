/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-security-manager.c: the stack on neutral descriptions: state JSON, ACLs, profile ops */
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
#include "security-cgroup.h"
#include "security-manager.h"
#include "security-selinux.h"

/*
 * This test links the security library alone (no QEMU driver): VMs are described with
 * VkSecurityDomain and VkSecurityResource, as drivers/qemu/runtime/qemu-security.c does. The
 * goldens of whole domains are in tests/unit/qemu/test-qemu-security.c.
 */

static char *template_path;
static uint32_t rng_state;

static uint32_t test_random(void) {
        rng_state = rng_state * 1103515245U + 12345U;
        return rng_state >> 8;
}

/* Stack of @driver: "selinux", "apparmor" or "none". */
static VkSecurityConfig config(const char *driver) {
        static const char *const selinux[] = { "selinux", NULL };
        static const char *const apparmor[] = { "apparmor", NULL };
        static const char *const none[] = { "none", NULL };

        return (VkSecurityConfig){
                .drivers = g_str_equal(driver, "selinux")    ? selinux
                           : g_str_equal(driver, "apparmor") ? apparmor
                                                             : none,
                .user = "+107",
                .group = "+107",
                .dynamic_ownership = true,
                .remember_owner = true,
                .default_confined = true,
        };
}

static VkSecurityManager *manager_new(const char *driver, bool privileged) {
        VkSecurityConfig cfg = config(driver);
        VkSecurityManagerOptions opts = {
                .flags = VK_SECURITY_MANAGER_NO_PROBE | VK_SECURITY_MANAGER_NO_HOST_POLICY,
                .random = test_random,
        };
        g_auto(VkError) error = VK_ERROR_INIT;
        VkSecurityManager *m = NULL;

        assert_int_equal(vk_security_manager_new(&cfg, privileged, &opts, &m, &error), 0);
        return m;
}

static VkSecurityDomain domain(const char *name, const char *uuid) {
        VkSecurityDomain dom = { .name = name };

        assert_int_equal(vk_uuid_parse(uuid, &dom.uuid), 0);
        return dom;
}

/* The stack picks the first listed MAC driver; "none" keeps DAC only. */
static void test_stack(void **state) {
        g_autoptr(VkSecurityManager) se = manager_new("selinux", false);
        g_autoptr(VkSecurityManager) aa = manager_new("apparmor", false);
        g_autoptr(VkSecurityManager) none = manager_new("none", false);
        const VkSecurityModelInfo *sm;
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
        static const char *const drivers[] = { "selinux", "apparmor", NULL };
        VkSecurityConfig cfg = { .drivers = drivers, .default_confined = true };
        g_autoptr(VkSecurityManager) m = NULL;
        g_auto(VkError) error = VK_ERROR_INIT;

        assert_int_equal(vk_security_manager_new(&cfg, false, NULL, &m, &error), 0);
        if (access("/sys/fs/selinux", F_OK) < 0 &&
            access("/sys/kernel/security/apparmor", F_OK) < 0)
                assert_null(vk_security_manager_mac_model(m));
}

/* security_require_confined refuses an unconfined domain; a model not in the stack fails. */
static void test_require_confined(void **state) {
        VkSecurityConfig cfg = config("selinux");
        g_autoptr(VkSecurityManager) m = NULL, aa = manager_new("apparmor", true);
        g_autoptr(VkSecurityState) s = NULL;
        g_auto(VkError) error = VK_ERROR_INIT;
        g_auto(VkError) error2 = VK_ERROR_INIT;
        VkSecurityManagerOptions opts = { .flags = VK_SECURITY_MANAGER_NO_PROBE |
                                                   VK_SECURITY_MANAGER_NO_HOST_POLICY };
        VkSecurityLabelRequest label = { .model = VK_SECURITY_MODEL_SELINUX,
                                         .has_model = true,
                                         .type = VK_SECURITY_LABEL_NONE };
        VkSecurityDomain dom = domain("r", "6a3e9d2c-1f4b-4c8e-9a7d-2b5c8e1f0a30");

        dom.labels = &label;
        dom.n_labels = 1;
        cfg.require_confined = true;
        assert_int_equal(vk_security_manager_new(&cfg, true, &opts, &m, &error), 0);
        assert_int_equal(vk_security_manager_prepare(m, &dom, &s, &error), -EPERM);
        assert_string_equal(error.name, VK_ERROR_PERMISSION_DENIED);
        assert_non_null(strstr(error.message, "domain 'r'"));
        /* type='none' of a model not in the stack is fine; a confined one is not */
        assert_int_equal(vk_security_manager_prepare(aa, &dom, &s, &error2), 0);
        s = vk_security_state_free(s);
        label.type = VK_SECURITY_LABEL_STATIC;
        label.label = "a:b:c:s0";
        vk_error_done(&error2);
        assert_int_equal(vk_security_manager_prepare(aa, &dom, &s, &error2), -EOPNOTSUPP);
        assert_non_null(strstr(error2.message, "<seclabel model='selinux'>"));
}

static char *labels_text(const VkSecurityState *s) {
        g_autoptr(GString) out = g_string_new(NULL);
        VkSecurityLiveLabel l[2];
        size_t n = vk_security_state_live_labels(s, l);

        for (size_t i = 0; i < n; i++)
                g_string_append_printf(out, "%s %s %d %s %s\n",
                                       vk_security_model_to_string(l[i].model),
                                       vk_security_label_type_to_string(l[i].type), l[i].relabel,
                                       vk_strempty(l[i].label), vk_strempty(l[i].imagelabel));
        vk_security_live_labels_done(l, n);
        return g_string_free(g_steal_pointer(&out), false);
}

/* The state survives a JSON round trip, and from_json reserves its MCS pair again. */
static void test_json(void **state) {
        VkSecurityDomain dom = domain("j", "6a3e9d2c-1f4b-4c8e-9a7d-2b5c8e1f0a31");
        g_autoptr(VkSecurityManager) m = manager_new("selinux", false);
        g_autoptr(VkSecurityManager) m2 = manager_new("selinux", false);
        g_autoptr(VkSecurityState) s = NULL, back = NULL, dup = NULL;
        g_autofree char *json = NULL, *json2 = NULL, *l1 = NULL, *l2 = NULL;
        g_auto(VkError) error = VK_ERROR_INIT;
        g_auto(VkError) error2 = VK_ERROR_INIT;

        rng_state = 7;
        assert_int_equal(vk_security_manager_prepare(m, &dom, &s, &error), 0);
        assert_int_equal(vk_security_manager_state_to_json(s, &json), 0);
        assert_int_equal(vk_security_manager_state_from_json(m2, json, &back, &error), 0);
        assert_int_equal(vk_security_manager_state_to_json(back, &json2), 0);
        assert_string_equal(json, json2);
        l1 = labels_text(s);
        l2 = labels_text(back);
        assert_string_equal(l1, l2);
        assert_true(g_str_has_prefix(l1, "selinux dynamic 1 system_u:system_r:svirt_t:s0:c"));
        assert_non_null(strstr(l1, "\ndac dynamic 0 +"));
        /* the same pair twice in one manager: refused */
        assert_int_equal(vk_security_manager_state_from_json(m2, json, &dup, &error2), -EEXIST);
        vk_error_done(&error2);
        assert_int_equal(vk_security_manager_state_from_json(m2, "{\"version\":2}", &dup, &error2),
                         -EBADMSG);
        vk_error_done(&error2);
        assert_int_equal(vk_security_manager_state_from_json(m2, "[", &dup, &error2) < 0, true);
}

/* Model and label type names are libvirt's. */
static void test_names(void **state) {
        assert_string_equal(vk_security_model_to_string(VK_SECURITY_MODEL_APPARMOR), "apparmor");
        assert_int_equal(vk_security_model_from_string("dac"), VK_SECURITY_MODEL_DAC);
        assert_int_equal(vk_security_model_from_string("smack"), _VK_SECURITY_MODEL_INVALID);
        assert_null(vk_security_model_to_string(_VK_SECURITY_MODEL_MAX));
        assert_string_equal(vk_security_label_type_to_string(VK_SECURITY_LABEL_STATIC), "static");
        assert_int_equal(vk_security_label_type_from_string("none"), VK_SECURITY_LABEL_NONE);
        assert_int_equal(vk_security_label_type_from_string(NULL), _VK_SECURITY_LABEL_INVALID);
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
        VkSecurityConfig cfg = config("apparmor");
        VkSecurityDomain dom = domain("vm1", "6a3e9d2c-1f4b-4c8e-9a7d-2b5c8e1f0a32");
        VkSecurityResource disk = { .path = "/var/lib/virtkit/images/vm1.qcow2",
                                    .kind = VK_SECURITY_RESOURCE_IMAGE,
                                    .relabel = true };
        g_autoptr(VkSecurityManager) m = NULL;
        g_autoptr(VkSecurityState) s = NULL;
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
        assert_int_equal(vk_security_manager_new(&cfg, false, &opts, &m, &error), 0);
        assert_int_equal(vk_security_manager_prepare(m, &dom, &s, &error), 0);
        assert_int_equal(vk_security_manager_label_resources(m, s, &disk, 1, &error), 0);

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
        assert_int_equal(vk_security_manager_new(&cfg, false, &opts, &m, &error), 0);
        assert_int_equal(vk_security_manager_prepare(m, &dom, &s, &error), 0);
        assert_int_equal(vk_security_manager_load_profile(m, s, e, op_done, &res, &op, &error), 0);
        while (!res.done)
                assert_true(sd_event_run(e, 5 * 1000 * 1000) >= 0);
        assert_true(res.r < 0);
        assert_non_null(strstr(res.message, "failed"));
        g_free(res.message);
        (void) g_spawn_sync(NULL, (char *[]){ "rm", "-rf", tmp, NULL }, NULL, G_SPAWN_SEARCH_PATH,
                            NULL, NULL, NULL, NULL, NULL, NULL);
}

/* The instance's list plus the devices, deduplicated, "r" for readonly, the wider wins. */
static void test_acl(void **state) {
        const char *const base[] = { "/dev/null", "/dev/null", "/dev/kvm", NULL };
        const char *const bad[] = { "/dev/null", "relative", NULL };
        VkSecurityResource dev[] = {
                { .path = "/dev/sdb", .readonly = true },
                { .path = "/dev/kvm", .readonly = true },
                { .path = "/dev/sdc", .readonly = true },
                { .path = "/dev/sdc" },
                { .path = NULL },
        };
        g_auto(VkError) error = VK_ERROR_INIT;
        VkSecurityDeviceRule *rules = NULL;
        size_t n = 0;

        assert_int_equal(vk_security_device_acl(bad, NULL, 0, &rules, &n, &error), -EINVAL);
        assert_non_null(strstr(error.message, "'relative'"));
        vk_error_done(&error);
        assert_int_equal(vk_security_device_acl(base, dev, G_N_ELEMENTS(dev), &rules, &n, &error),
                         0);
        assert_int_equal(n, 4);
        assert_string_equal(rules[0].path, "/dev/null");
        assert_string_equal(rules[0].perms, "rw");
        assert_string_equal(rules[1].path, "/dev/kvm");
        assert_string_equal(rules[1].perms, "rw");
        assert_string_equal(rules[2].path, "/dev/sdb");
        assert_string_equal(rules[2].perms, "r");
        assert_string_equal(rules[3].path, "/dev/sdc");
        assert_string_equal(rules[3].perms, "rw");
        vk_security_device_rules_free(rules, n);
}

int main(void) {
        const char *top = g_getenv("VK_TOP_SRCDIR");
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_stack),
                cmocka_unit_test(test_probe),
                cmocka_unit_test(test_require_confined),
                cmocka_unit_test(test_json),
                cmocka_unit_test(test_names),
                cmocka_unit_test(test_profile_ops),
                cmocka_unit_test(test_acl),
        };

        if (!top)
                return 77;
        if (!vk_selinux_supported() || !vk_apparmor_supported()) {
                print_message("built without libselinux or libapparmor: skipped\n");
                return 77;
        }
        template_path = g_build_filename(top, "conf", "apparmor", "TEMPLATE.qemu", NULL);
        return cmocka_run_group_tests(tests, NULL, NULL);
}
