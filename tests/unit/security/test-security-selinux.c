/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-security-selinux.c: sVirt labels: MCS pairs, context strings, file labels as xattrs */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <glib/gstdio.h>

#include "macro.h"
#include "security-manager.h"
#include "security-selinux.h"
#include "uuid.h"

/*
 * The host has SELinux off: labels are generated and written as security.selinux xattrs
 * (root), which getfilecon() reads back; enforcement is not tested here.
 */

static char *tmp;
static uint32_t fixed_value;

static uint32_t fixed_random(void) {
        return fixed_value;
}

static VkSecurityManager *manager(uint32_t (*random)(void), bool privileged) {
        static const char *const selinux[] = { "selinux", NULL };
        VkSecurityConfig cfg = { .drivers = selinux,
                                 .user = "+0",
                                 .group = "+0",
                                 .dynamic_ownership = true,
                                 .remember_owner = true,
                                 .default_confined = true };
        VkSecurityManagerOptions opts = {
                .flags = VK_SECURITY_MANAGER_NO_PROBE | VK_SECURITY_MANAGER_NO_HOST_POLICY,
                .random = random,
        };
        g_auto(VkError) error = VK_ERROR_INIT;
        VkSecurityManager *m = NULL;

        assert_int_equal(vk_security_manager_new(&cfg, privileged, &opts, &m, &error), 0);
        return m;
}

static VkSecurityDomain domain(int n, const VkSecurityLabelRequest *label) {
        g_autofree char *uuid = g_strdup_printf("6a3e9d2c-1f4b-4c8e-9a7d-%012d", n);
        VkSecurityDomain dom = { .name = "s", .labels = label, .n_labels = label ? 1 : 0 };

        assert_int_equal(vk_uuid_parse(uuid, &dom.uuid), 0);
        return dom;
}

/* The live label of the first driver (SELinux), owned by the caller. */
static char *live_label(const VkSecurityState *s) {
        VkSecurityLiveLabel l[2];
        size_t n = vk_security_state_live_labels(s, l);
        char *label;

        assert_int_equal(l[0].model, VK_SECURITY_MODEL_SELINUX);
        label = g_strdup(l[0].label);
        vk_security_live_labels_done(l, n);
        return label;
}

static VkSecurityResource res(const char *path, VkSecurityResourceKind kind, bool readonly,
                              bool shared) {
        return (VkSecurityResource){
                .path = path, .kind = kind, .readonly = readonly, .shared = shared, .relabel = true
        };
}

static void test_context_strings(void **state) {
        g_autofree char *r = NULL, *c = NULL;

        assert_int_equal(vk_selinux_context_check("system_u:system_r:svirt_t:s0"), 0);
        assert_int_equal(vk_selinux_context_check("nocolons"), -EINVAL);
        assert_int_equal(vk_selinux_context_check(""), -EINVAL);
        assert_int_equal(vk_selinux_context_get_range("system_u:system_r:svirt_t:s0:c1,c2", &r), 0);
        assert_string_equal(r, "s0:c1,c2");
        assert_int_equal(vk_selinux_context_set_range(VK_SELINUX_DEFAULT_IMAGE, "s0:c3,c400", &c),
                         0);
        assert_string_equal(c, "system_u:object_r:svirt_image_t:s0:c3,c400");
}

/* 1000 running domains get 1000 distinct, well-formed pairs; a released pair is free again. */
static void test_mcs_unique(void **state) {
        g_autoptr(VkSecurityManager) m = manager(NULL, false);
        g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        g_autoptr(GPtrArray) states = g_ptr_array_new_with_free_func(
                (GDestroyNotify) (void (*)(void)) vk_security_state_free);
        VkSecurityDomain def = domain(1, NULL);

        for (int i = 0; i < 1000; i++) {
                g_auto(VkError) error = VK_ERROR_INIT;
                g_auto(VkSecurityExecParams) p = {};
                VkSecurityState *s = NULL;
                const char *range;
                int a, b;

                assert_int_equal(vk_security_manager_prepare(m, &def, &s, &error), 0);
                g_ptr_array_add(states, s);
                assert_int_equal(vk_security_manager_exec_params(m, s, &p, &error), 0);
                assert_true(g_str_has_prefix(p.selinux_label, "system_u:system_r:svirt_t:s0:c"));
                range = p.selinux_label + strlen("system_u:system_r:svirt_t:s0:");
                assert_int_equal(sscanf(range, "c%d,c%d", &a, &b), 2);
                assert_true(0 <= a && a < b && b < 1024);
                if (!g_hash_table_add(seen, g_strdup(range)))
                        fail_msg("pair %s given twice", range);
        }
}

/* A constant random source: the first domain gets the drawn pair, the next one the first
 * free pair of the scan; after a release, the drawn pair comes back. */
static void test_mcs_reuse(void **state) {
        g_autoptr(VkSecurityManager) m = manager(fixed_random, false);
        VkSecurityDomain def = domain(2, NULL);
        g_autoptr(VkSecurityState) s1 = NULL, s2 = NULL, s3 = NULL;
        g_auto(VkError) error = VK_ERROR_INIT;
        g_autofree char *l1 = NULL, *l2 = NULL, *l3 = NULL;

        fixed_value = 7; /* a = b: redrawn forever, then scanned */
        assert_int_equal(vk_security_manager_prepare(m, &def, &s1, &error), 0);
        l1 = live_label(s1);
        assert_true(g_str_has_suffix(l1, "svirt_t:s0:c0,c1"));
        assert_int_equal(vk_security_manager_prepare(m, &def, &s2, &error), 0);
        l2 = live_label(s2);
        assert_true(g_str_has_suffix(l2, "svirt_t:s0:c0,c2"));
        assert_int_equal(vk_security_manager_restore(m, s1, &error), 0);
        assert_int_equal(vk_security_manager_prepare(m, &def, &s3, &error), 0);
        l3 = live_label(s3);
        assert_true(g_str_has_suffix(l3, "svirt_t:s0:c0,c1"));
}

static char *label_of(const char *path) {
        char *con = NULL;

        assert_int_equal(vk_selinux_file_get_label(path, &con), 0);
        return con;
}

static char *make(const char *name, const char *label) {
        char *p = g_build_filename(tmp, name, NULL);

        assert_true(g_file_set_contents(p, "x", 1, NULL));
        assert_int_equal(vk_selinux_file_set_label(p, label), 0);
        return p;
}

/* Exclusive, shared and readonly disks get their labels; restore puts the old ones back. */
static void test_file_labels(void **state) {
        g_autoptr(VkSecurityManager) m = manager(NULL, true);
        g_autoptr(VkSecurityState) s = NULL;
        g_autofree char *a = make("excl.img", "system_u:object_r:user_tmp_t:s0");
        g_autofree char *b = make("shared.img", "system_u:object_r:user_tmp_t:s0");
        g_autofree char *c = make("ro.iso", "system_u:object_r:user_tmp_t:s0");
        g_autofree char *k = make("vmlinuz", NULL);
        VkSecurityResource devs[] = {
                res(a, VK_SECURITY_RESOURCE_IMAGE, false, false),
                res(b, VK_SECURITY_RESOURCE_IMAGE, false, true),
                res(c, VK_SECURITY_RESOURCE_IMAGE, true, false),
                res(k, VK_SECURITY_RESOURCE_BOOT, true, false),
        };
        VkSecurityDomain def = domain(3, NULL);
        g_auto(VkError) error = VK_ERROR_INIT;
        g_auto(VkSecurityExecParams) p = {};
        g_autofree char *la = NULL, *lb = NULL, *lc = NULL, *lk = NULL, *range = NULL;

        if (geteuid() != 0)
                skip();
        assert_int_equal(vk_security_manager_prepare(m, &def, &s, &error), 0);
        assert_int_equal(
                vk_security_manager_label_resources(m, s, devs, G_N_ELEMENTS(devs), &error), 0);
        assert_int_equal(vk_security_manager_exec_params(m, s, &p, &error), 0);
        range = strdup(strstr(p.selinux_label, ":s0:") + 1);
        la = label_of(a);
        lb = label_of(b);
        lc = label_of(c);
        lk = label_of(k);
        assert_true(g_str_has_prefix(la, "system_u:object_r:svirt_image_t:"));
        assert_string_equal(la + strlen("system_u:object_r:svirt_image_t:"), range);
        assert_string_equal(lb, "system_u:object_r:svirt_image_t:s0");
        assert_string_equal(lc, "system_u:object_r:virt_content_t:s0");
        assert_string_equal(lk, "system_u:object_r:virt_content_t:s0");

        assert_int_equal(vk_security_manager_restore(m, s, &error), 0);
        g_free(la);
        la = label_of(a);
        assert_string_equal(la, "system_u:object_r:user_tmp_t:s0");
        g_free(lk);
        lk = label_of(k);
        assert_null(lk); /* it had none: removed again */
        free(range);
        range = NULL;
}

/* type='static' relabel='no' (the default): the label is used, no file changes;
 * type='none': no exec context at all. */
static void test_static_none(void **state) {
        g_autoptr(VkSecurityManager) m = manager(NULL, true);
        g_autoptr(VkSecurityState) s = NULL, s2 = NULL;
        g_autofree char *a = make("static.img", "system_u:object_r:user_tmp_t:s0");
        VkSecurityResource disk = res(a, VK_SECURITY_RESOURCE_IMAGE, false, false);
        VkSecurityLabelRequest fixed = { .model = VK_SECURITY_MODEL_SELINUX,
                                         .has_model = true,
                                         .type = VK_SECURITY_LABEL_STATIC,
                                         .label = "system_u:system_r:svirt_t:s0:c1,c2" };
        VkSecurityLabelRequest none = { .type = VK_SECURITY_LABEL_NONE };
        VkSecurityDomain def = domain(4, &fixed), def2 = domain(5, &none);
        g_auto(VkError) error = VK_ERROR_INIT;
        g_auto(VkSecurityExecParams) p = {}, p2 = {};
        g_autofree char *la = NULL;
        VkSecurityLiveLabel live[2];
        size_t n;

        if (geteuid() != 0)
                skip();
        assert_int_equal(vk_security_manager_prepare(m, &def, &s, &error), 0);
        assert_int_equal(vk_security_manager_label_resources(m, s, &disk, 1, &error), 0);
        la = label_of(a);
        assert_string_equal(la, "system_u:object_r:user_tmp_t:s0");
        assert_int_equal(vk_security_manager_exec_params(m, s, &p, &error), 0);
        assert_string_equal(p.selinux_label, "system_u:system_r:svirt_t:s0:c1,c2");

        assert_int_equal(vk_security_manager_prepare(m, &def2, &s2, &error), 0);
        assert_int_equal(vk_security_manager_exec_params(m, s2, &p2, &error), 0);
        assert_null(p2.selinux_label);
        n = vk_security_state_live_labels(s2, live);
        assert_int_equal(live[0].model, VK_SECURITY_MODEL_SELINUX);
        assert_int_equal(live[0].type, VK_SECURITY_LABEL_NONE);
        assert_null(live[0].label);
        vk_security_live_labels_done(live, n);
}

/* Without the LSM the exec context cannot be set: the error path is clean. */
static void test_exec_label_absent(void **state) {
        int r;

        if (vk_selinux_enabled())
                skip();
        r = vk_selinux_set_exec_label("system_u:system_r:svirt_t:s0:c1,c2");
        assert_true(r == -EINVAL || r == -ENOENT || r == -EOPNOTSUPP);
}

static int setup(void **state) {
        tmp = g_dir_make_tmp("vk-selinux-XXXXXX", NULL);
        return tmp ? 0 : -1;
}

static int teardown(void **state) {
        (void) g_spawn_sync(NULL, (char *[]){ "rm", "-rf", tmp, NULL }, NULL, G_SPAWN_SEARCH_PATH,
                            NULL, NULL, NULL, NULL, NULL, NULL);
        g_free(tmp);
        return 0;
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_context_strings), cmocka_unit_test(test_mcs_unique),
                cmocka_unit_test(test_mcs_reuse),       cmocka_unit_test(test_file_labels),
                cmocka_unit_test(test_static_none),     cmocka_unit_test(test_exec_label_absent),
        };

        if (!vk_selinux_supported()) {
                print_message("built without libselinux: skipped\n");
                return 77;
        }
        return cmocka_run_group_tests(tests, setup, teardown);
}
