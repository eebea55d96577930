/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-security-dac.c: the DAC driver on real files: chown, remembered owners, restore */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cmocka.h>
#include <glib/gstdio.h>

#include "macro.h"
#include "security-caps.h"
#include "security-dac.h"
#include "security-manager.h"
#include "uuid.h"

/* Runs as root (chown, trusted.* xattrs); skipped otherwise. */

static char *tmp;

static char *tpath(const char *name) {
        return g_build_filename(tmp, name, NULL);
}

static void make_file(const char *name, uid_t uid, gid_t gid) {
        g_autofree char *p = tpath(name);

        assert_true(g_file_set_contents(p, "x", 1, NULL));
        assert_int_equal(chown(p, uid, gid), 0);
        (void) removexattr(p, "trusted.virtkit.dac");
}

static void assert_owner(const char *name, uid_t uid, gid_t gid) {
        g_autofree char *p = tpath(name);
        struct stat st;

        assert_int_equal(stat(p, &st), 0);
        if (st.st_uid != uid || st.st_gid != gid)
                fail_msg("%s: owner %u:%u, expected %u:%u", name, st.st_uid, st.st_gid, uid, gid);
}

static char *get_xattr(const char *name) {
        g_autofree char *p = tpath(name);
        char buf[256];
        ssize_t n = getxattr(p, "trusted.virtkit.dac", buf, sizeof(buf) - 1);

        if (n < 0)
                return NULL;
        buf[n] = 0;
        return g_strdup(buf);
}

/* Paths of the resources below, freed at teardown. */
static GPtrArray *paths;

static const char *tpath_kept(const char *name) {
        char *p = tpath(name);

        g_ptr_array_add(paths, p);
        return p;
}

static VkSecurityDomain domain(const char *uuid_tail, const VkSecurityLabelRequest *label) {
        g_autofree char *uuid = g_strdup_printf("6a3e9d2c-1f4b-4c8e-9a7d-2b5c8e1f0%s", uuid_tail);
        VkSecurityDomain dom = { .name = "d", .labels = label, .n_labels = label ? 1 : 0 };

        assert_int_equal(vk_uuid_parse(uuid, &dom.uuid), 0);
        return dom;
}

/* A disk image; @readonly and @shared as <readonly/> and <shareable/>. */
static VkSecurityResource image(const char *name, bool readonly, bool shared) {
        return (VkSecurityResource){ .path = tpath_kept(name),
                                     .kind = VK_SECURITY_RESOURCE_IMAGE,
                                     .readonly = readonly,
                                     .shared = shared,
                                     .relabel = true };
}

/* A private file or dir of the VM, which the VM may create later. */
static VkSecurityResource private_path(const char *name) {
        return (VkSecurityResource){ .path = tpath_kept(name),
                                     .kind = VK_SECURITY_RESOURCE_PRIVATE,
                                     .optional = true,
                                     .relabel = true };
}

static VkSecurityManager *manager(bool remember, bool dynamic) {
        static const char *const none[] = { "none", NULL };
        VkSecurityConfig cfg = { .drivers = none,
                                 .user = "+107",
                                 .group = "+108",
                                 .remember_owner = remember,
                                 .dynamic_ownership = dynamic };
        g_auto(VkError) error = VK_ERROR_INIT;
        VkSecurityManager *m = NULL;

        assert_int_equal(vk_security_manager_new(&cfg, true, NULL, &m, &error), 0);
        return m;
}

static int setup(void **state) {
        if (geteuid() != 0) {
                print_message("not root: DAC tests skipped\n");
                return -1;
        }
        tmp = g_dir_make_tmp("vk-dac-XXXXXX", NULL);
        paths = g_ptr_array_new_with_free_func(g_free);
        return tmp ? 0 : -1;
}

static int teardown(void **state) {
        (void) g_spawn_sync(NULL, (char *[]){ "rm", "-rf", tmp, NULL }, NULL, G_SPAWN_SEARCH_PATH,
                            NULL, NULL, NULL, NULL, NULL, NULL);
        g_free(tmp);
        g_ptr_array_unref(paths);
        return 0;
}

static void test_parse(void **state) {
        g_auto(VkError) error = VK_ERROR_INIT;
        uid_t uid;
        gid_t gid;

        assert_int_equal(vk_security_dac_parse_label("+107:+108", &uid, &gid, &error), 0);
        assert_int_equal(uid, 107);
        assert_int_equal(gid, 108);
        assert_int_equal(vk_security_dac_parse_label("+107", &uid, &gid, &error), -EINVAL);
        vk_error_done(&error);
        assert_int_equal(vk_security_dac_parse_label("+4294967295:+1", &uid, &gid, &error),
                         -EINVAL);
        vk_error_done(&error);
        assert_int_equal(vk_security_dac_parse_label("+1x:+1", &uid, &gid, &error), -EINVAL);
        vk_error_done(&error);
        assert_int_equal(vk_security_dac_parse_label("root:root", &uid, &gid, &error), 0);
        assert_int_equal(uid, 0);
}

/* Label, then restore; the original owner is in the xattr while QEMU runs. */
static void test_label_restore(void **state) {
        g_autoptr(VkSecurityManager) m = manager(true, true);
        g_autoptr(VkSecurityState) s = NULL;
        VkSecurityDomain dom = domain("a01", NULL);
        VkSecurityResource res[] = { image("a.img", false, false), private_path("priv"),
                                     private_path("not-yet.sock") };
        g_autofree char *priv = tpath("priv"), *x = NULL;
        g_auto(VkError) error = VK_ERROR_INIT;
        g_auto(VkSecurityExecParams) p = {};

        make_file("a.img", 1000, 1001);
        assert_int_equal(g_mkdir_with_parents(priv, 0700), 0);
        assert_int_equal(vk_security_manager_prepare(m, &dom, &s, &error), 0);
        assert_int_equal(vk_security_manager_label_resources(m, s, res, G_N_ELEMENTS(res), &error),
                         0);
        assert_owner("a.img", 107, 108);
        assert_owner("priv", 107, 108);
        x = get_xattr("a.img");
        assert_string_equal(x, "1 +1000:+1001");

        assert_int_equal(vk_security_manager_exec_params(m, s, &p, &error), 0);
        assert_true(p.set_credentials);
        assert_int_equal(p.uid, 107);
        assert_int_equal(p.gid, 108);
        /* without libcap-ng the uid switch alone clears them */
        assert_int_equal(p.caps, vk_security_caps_supported() ? VK_SECURITY_CAPS_CLEAR
                                                              : VK_SECURITY_CAPS_KEEP);
        assert_null(p.selinux_label);
        assert_null(p.apparmor_profile);

        assert_int_equal(vk_security_manager_restore(m, s, &error), 0);
        assert_owner("a.img", 1000, 1001);
        assert_owner("priv", 0, 0);
        assert_null(get_xattr("a.img"));
}

/* A <shareable/> disk of two running domains goes back only when the second one stops. */
static void test_shared(void **state) {
        g_autoptr(VkSecurityManager) m = manager(true, true);
        g_autoptr(VkSecurityState) s1 = NULL, s2 = NULL;
        g_autofree char *x = NULL;
        VkSecurityDomain def1 = domain("b01", NULL), def2 = domain("b02", NULL);
        VkSecurityResource d = image("shared.img", false, true);
        g_auto(VkError) error = VK_ERROR_INIT;

        make_file("shared.img", 1000, 1000);
        assert_int_equal(vk_security_manager_prepare(m, &def1, &s1, &error), 0);
        assert_int_equal(vk_security_manager_prepare(m, &def2, &s2, &error), 0);
        assert_int_equal(vk_security_manager_label_resources(m, s1, &d, 1, &error), 0);
        assert_int_equal(vk_security_manager_label_resources(m, s2, &d, 1, &error), 0);
        x = get_xattr("shared.img");
        assert_string_equal(x, "2 +1000:+1000");
        assert_int_equal(vk_security_manager_restore(m, s1, &error), 0);
        assert_owner("shared.img", 107, 108);
        g_free(x);
        x = get_xattr("shared.img");
        assert_string_equal(x, "1 +1000:+1000");
        assert_int_equal(vk_security_manager_restore(m, s2, &error), 0);
        assert_owner("shared.img", 1000, 1000);
        assert_null(get_xattr("shared.img"));
}

/* A failure midway undoes what the call did: no owner change stays behind. */
static void test_failure_undo(void **state) {
        g_autoptr(VkSecurityManager) m = manager(true, true);
        g_autoptr(VkSecurityState) s = NULL;
        VkSecurityDomain def = domain("c01", NULL);
        VkSecurityResource both[] = { image("ok.img", false, false),
                                      image("missing.img", false, false) };
        g_auto(VkError) error = VK_ERROR_INIT;
        g_autofree char *json = NULL;

        make_file("ok.img", 1000, 1000);
        assert_int_equal(vk_security_manager_prepare(m, &def, &s, &error), 0);
        assert_int_equal(vk_security_manager_label_resources(m, s, both, 2, &error), -ENOENT);
        assert_non_null(strstr(error.message, "missing.img"));
        assert_owner("ok.img", 1000, 1000);
        assert_null(get_xattr("ok.img"));
        assert_int_equal(vk_security_manager_state_to_json(s, &json), 0);
        assert_non_null(strstr(json, "\"records\":[]"));
}

/* remember_owner = 0: no xattr; the state alone gives exclusive files back; a readonly one
 * (other domains may use it) is not given back. */
static void test_no_remember(void **state) {
        g_autoptr(VkSecurityManager) m = manager(false, true);
        g_autoptr(VkSecurityState) s = NULL;
        VkSecurityDomain def = domain("d01", NULL);
        VkSecurityResource both[] = { image("nr.img", false, false), image("ro.img", true, false) };
        g_auto(VkError) error = VK_ERROR_INIT;

        make_file("nr.img", 1000, 1000);
        make_file("ro.img", 1000, 1000);
        assert_int_equal(vk_security_manager_prepare(m, &def, &s, &error), 0);
        assert_int_equal(vk_security_manager_label_resources(m, s, both, 2, &error), 0);
        assert_null(get_xattr("nr.img"));
        assert_owner("nr.img", 107, 108);
        assert_owner("ro.img", 107, 108);
        assert_int_equal(vk_security_manager_restore(m, s, &error), 0);
        assert_owner("nr.img", 1000, 1000);
        assert_owner("ro.img", 107, 108);
}

/* dynamic_ownership = 0: nothing changes owner, QEMU still runs as the configured user. */
static void test_no_dynamic_ownership(void **state) {
        g_autoptr(VkSecurityManager) m = manager(true, false);
        g_autoptr(VkSecurityState) s = NULL;
        VkSecurityDomain def = domain("e01", NULL);
        VkSecurityResource d = image("static.img", false, false);
        g_auto(VkError) error = VK_ERROR_INIT;
        g_auto(VkSecurityExecParams) p = {};

        make_file("static.img", 1000, 1000);
        assert_int_equal(vk_security_manager_prepare(m, &def, &s, &error), 0);
        assert_int_equal(vk_security_manager_label_resources(m, s, &d, 1, &error), 0);
        assert_owner("static.img", 1000, 1000);
        assert_int_equal(vk_security_manager_exec_params(m, s, &p, &error), 0);
        assert_int_equal(p.uid, 107);
}

/* <seclabel model='dac' type='static'>: that uid:gid; files only with relabel='yes'. */
static void test_static_label(void **state) {
        g_autoptr(VkSecurityManager) m = manager(true, true);
        g_autoptr(VkSecurityState) s = NULL, s2 = NULL;
        VkSecurityLabelRequest relabel = { .model = VK_SECURITY_MODEL_DAC,
                                           .has_model = true,
                                           .type = VK_SECURITY_LABEL_STATIC,
                                           .relabel = true,
                                           .label = "+201:+202" };
        VkSecurityLabelRequest keep = { .model = VK_SECURITY_MODEL_DAC,
                                        .has_model = true,
                                        .type = VK_SECURITY_LABEL_STATIC,
                                        .label = "+201:+202" };
        VkSecurityDomain def = domain("f01", &relabel), def2 = domain("f02", &keep);
        VkSecurityResource d = image("st.img", false, false);
        g_auto(VkError) error = VK_ERROR_INIT;
        g_auto(VkSecurityExecParams) p = {};
        VkSecurityLiveLabel live[2];

        make_file("st.img", 1000, 1000);
        assert_int_equal(vk_security_manager_prepare(m, &def, &s, &error), 0);
        assert_int_equal(vk_security_manager_label_resources(m, s, &d, 1, &error), 0);
        assert_owner("st.img", 201, 202);
        assert_int_equal(vk_security_manager_exec_params(m, s, &p, &error), 0);
        assert_int_equal(p.uid, 201);
        assert_int_equal(p.gid, 202);
        assert_int_equal(vk_security_state_live_labels(s, live), 1);
        assert_int_equal(live[0].model, VK_SECURITY_MODEL_DAC);
        assert_int_equal(live[0].type, VK_SECURITY_LABEL_STATIC);
        assert_true(live[0].relabel);
        assert_string_equal(live[0].label, "+201:+202");
        assert_string_equal(live[0].imagelabel, "+201:+202");
        vk_security_live_labels_done(live, 1);
        assert_int_equal(vk_security_manager_restore(m, s, &error), 0);
        assert_owner("st.img", 1000, 1000);

        assert_int_equal(vk_security_manager_prepare(m, &def2, &s2, &error), 0);
        assert_int_equal(vk_security_manager_label_resources(m, s2, &d, 1, &error), 0);
        assert_owner("st.img", 1000, 1000);
}

/* A daemon that crashed: the state comes back from JSON and restores; without the xattr the
 * state's copy of the original is used. */
static void test_crash(void **state) {
        g_autoptr(VkSecurityManager) m = manager(true, true);
        g_autoptr(VkSecurityManager) m2 = manager(true, true);
        g_autoptr(VkSecurityState) s = NULL, back = NULL;
        g_autofree char *json = NULL, *p2 = tpath("c2.img");
        VkSecurityDomain def = domain("a99", NULL);
        VkSecurityResource both[] = { image("c1.img", false, false),
                                      image("c2.img", false, false) };
        g_auto(VkError) error = VK_ERROR_INIT;

        make_file("c1.img", 1000, 1000);
        make_file("c2.img", 1002, 1002);
        assert_int_equal(vk_security_manager_prepare(m, &def, &s, &error), 0);
        assert_int_equal(vk_security_manager_label_resources(m, s, both, 2, &error), 0);
        assert_int_equal(vk_security_manager_state_to_json(s, &json), 0);
        s = vk_security_state_free(s); /* the daemon dies without restoring */
        assert_int_equal(removexattr(p2, "trusted.virtkit.dac"), 0);

        assert_int_equal(vk_security_manager_state_from_json(m2, json, &back, &error), 0);
        assert_int_equal(vk_security_manager_restore(m2, back, &error), 0);
        assert_owner("c1.img", 1000, 1000);
        assert_owner("c2.img", 1002, 1002);
}

/* Hotplug: one more disk labelled, then given back alone. */
static void test_hotplug(void **state) {
        g_autoptr(VkSecurityManager) m = manager(true, true);
        g_autoptr(VkSecurityState) s = NULL;
        VkSecurityDomain def = domain("a98", NULL);
        VkSecurityResource d1 = image("h1.img", false, false), d2 = image("h2.img", false, false);
        g_auto(VkError) error = VK_ERROR_INIT;

        make_file("h1.img", 1000, 1000);
        make_file("h2.img", 1000, 1000);
        assert_int_equal(vk_security_manager_prepare(m, &def, &s, &error), 0);
        assert_int_equal(vk_security_manager_label_resources(m, s, &d1, 1, &error), 0);
        assert_int_equal(vk_security_manager_label_resources(m, s, &d2, 1, &error), 0);
        assert_owner("h2.img", 107, 108);
        assert_int_equal(vk_security_manager_restore_path(m, s, d2.path, &error), 0);
        assert_owner("h2.img", 1000, 1000);
        assert_owner("h1.img", 107, 108);
        assert_int_equal(vk_security_manager_restore(m, s, &error), 0);
        assert_owner("h1.img", 1000, 1000);
}

/* Session instance: QEMU runs as we do; nothing changes owner, no credentials to set. */
static void test_session(void **state) {
        static const char *const drivers[] = { "selinux", "apparmor", NULL };
        VkSecurityConfig cfg = { .drivers = drivers,
                                 .dynamic_ownership = true,
                                 .remember_owner = true,
                                 .default_confined = true };
        g_autoptr(VkSecurityManager) m = NULL;
        g_autoptr(VkSecurityState) s = NULL;
        VkSecurityDomain def = domain("a96", NULL);
        VkSecurityResource d = image("sess.img", false, false);
        g_auto(VkError) error = VK_ERROR_INIT;
        g_auto(VkSecurityExecParams) p = {};

        make_file("sess.img", 1000, 1000);
        assert_int_equal(vk_security_manager_new(&cfg, false, NULL, &m, &error), 0);
        assert_int_equal(vk_security_manager_prepare(m, &def, &s, &error), 0);
        assert_int_equal(vk_security_manager_label_resources(m, s, &d, 1, &error), 0);
        assert_owner("sess.img", 1000, 1000);
        assert_int_equal(vk_security_manager_exec_params(m, s, &p, &error), 0);
        assert_false(p.set_credentials);
        assert_int_equal(p.caps, VK_SECURITY_CAPS_KEEP);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse),        cmocka_unit_test(test_label_restore),
                cmocka_unit_test(test_shared),       cmocka_unit_test(test_failure_undo),
                cmocka_unit_test(test_no_remember),  cmocka_unit_test(test_no_dynamic_ownership),
                cmocka_unit_test(test_static_label), cmocka_unit_test(test_crash),
                cmocka_unit_test(test_hotplug),      cmocka_unit_test(test_session),
        };

        if (geteuid() != 0) {
                print_message("not root: DAC tests skipped\n");
                return 77;
        }
        return cmocka_run_group_tests(tests, setup, teardown);
}
