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

static VkDomainDef *domain(const char *uuid_tail, const char *disks_xml, const char *extra) {
        g_autofree char *xml = g_strdup_printf(
                "<domain type='kvm'><name>d%s</name>"
                "<uuid>6a3e9d2c-1f4b-4c8e-9a7d-2b5c8e1f0%s</uuid><memory>1024</memory>"
                "<os><type arch='x86_64' machine='pc'>hvm</type></os><devices>"
                "<emulator>/usr/bin/qemu-system-x86_64</emulator>%s</devices>%s</domain>",
                uuid_tail, uuid_tail, disks_xml, extra ? extra : "");
        g_auto(VkError) error = VK_ERROR_INIT;
        VkDomainDef *def = NULL;

        if (vk_domain_def_parse_string(xml, 0, &def, &error) < 0)
                fail_msg("%s", error.message);
        return def;
}

static char *disk(const char *name, const char *target, const char *flags) {
        g_autofree char *p = tpath(name);

        return g_strdup_printf("<disk type='file' device='disk'><driver name='qemu' type='raw'/>"
                               "<source file='%s'/><target dev='%s' bus='virtio'/>%s</disk>",
                               p, target, flags);
}

static VkSecurityManager *manager(bool remember, bool dynamic) {
        g_autoptr(VkQemuConfig) cfg = vk_qemu_config_new(VK_INSTANCE_SYSTEM);
        g_auto(VkError) error = VK_ERROR_INIT;
        VkSecurityManager *m = NULL;

        g_strfreev(cfg->security_driver);
        cfg->security_driver = g_strdupv((char *[]){ "none", NULL });
        g_free(cfg->user);
        g_free(cfg->group);
        cfg->user = g_strdup("+107");
        cfg->group = g_strdup("+108");
        cfg->remember_owner = remember;
        cfg->dynamic_ownership = dynamic;
        assert_int_equal(vk_security_manager_new(cfg, true, NULL, &m, &error), 0);
        return m;
}

static int setup(void **state) {
        if (geteuid() != 0) {
                print_message("not root: DAC tests skipped\n");
                return -1;
        }
        tmp = g_dir_make_tmp("vk-dac-XXXXXX", NULL);
        return tmp ? 0 : -1;
}

static int teardown(void **state) {
        (void) g_spawn_sync(NULL, (char *[]){ "rm", "-rf", tmp, NULL }, NULL, G_SPAWN_SEARCH_PATH,
                            NULL, NULL, NULL, NULL, NULL, NULL);
        g_free(tmp);
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
        g_autofree char *d = disk("a.img", "vda", ""), *x = NULL;
        g_autoptr(VkDomainDef) def = domain("a01", d, NULL);
        g_autofree char *priv = tpath("priv"), *missing = tpath("not-yet.sock");
        g_auto(VkError) error = VK_ERROR_INIT;
        g_auto(VkSecurityExecParams) p = {};

        make_file("a.img", 1000, 1001);
        assert_int_equal(g_mkdir_with_parents(priv, 0700), 0);
        assert_int_equal(vk_security_manager_prepare(m, def, &s, &error), 0);
        assert_int_equal(vk_security_manager_label_files(m, s, def, VK_STRV(priv, missing), &error),
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
        g_autofree char *d = disk("shared.img", "vdb", "<shareable/>"), *x = NULL;
        g_autoptr(VkDomainDef) def1 = domain("b01", d, NULL);
        g_autoptr(VkDomainDef) def2 = domain("b02", d, NULL);
        g_auto(VkError) error = VK_ERROR_INIT;

        make_file("shared.img", 1000, 1000);
        assert_int_equal(vk_security_manager_prepare(m, def1, &s1, &error), 0);
        assert_int_equal(vk_security_manager_prepare(m, def2, &s2, &error), 0);
        assert_int_equal(vk_security_manager_label_files(m, s1, def1, NULL, &error), 0);
        assert_int_equal(vk_security_manager_label_files(m, s2, def2, NULL, &error), 0);
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
        g_autofree char *d1 = disk("ok.img", "vda", ""), *d2 = disk("missing.img", "vdb", "");
        g_autofree char *both = g_strconcat(d1, d2, NULL);
        g_autoptr(VkDomainDef) def = domain("c01", both, NULL);
        g_auto(VkError) error = VK_ERROR_INIT;
        g_autofree char *json = NULL;

        make_file("ok.img", 1000, 1000);
        assert_int_equal(vk_security_manager_prepare(m, def, &s, &error), 0);
        assert_int_equal(vk_security_manager_label_files(m, s, def, NULL, &error), -ENOENT);
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
        g_autofree char *d1 = disk("nr.img", "vda", ""), *d2 = disk("ro.img", "vdb", "<readonly/>");
        g_autofree char *both = g_strconcat(d1, d2, NULL);
        g_autoptr(VkDomainDef) def = domain("d01", both, NULL);
        g_auto(VkError) error = VK_ERROR_INIT;

        make_file("nr.img", 1000, 1000);
        make_file("ro.img", 1000, 1000);
        assert_int_equal(vk_security_manager_prepare(m, def, &s, &error), 0);
        assert_int_equal(vk_security_manager_label_files(m, s, def, NULL, &error), 0);
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
        g_autofree char *d = disk("static.img", "vda", "");
        g_autoptr(VkDomainDef) def = domain("e01", d, NULL);
        g_auto(VkError) error = VK_ERROR_INIT;
        g_auto(VkSecurityExecParams) p = {};

        make_file("static.img", 1000, 1000);
        assert_int_equal(vk_security_manager_prepare(m, def, &s, &error), 0);
        assert_int_equal(vk_security_manager_label_files(m, s, def, NULL, &error), 0);
        assert_owner("static.img", 1000, 1000);
        assert_int_equal(vk_security_manager_exec_params(m, s, &p, &error), 0);
        assert_int_equal(p.uid, 107);
}

/* <seclabel model='dac' type='static'>: that uid:gid; files only with relabel='yes'. */
static void test_static_label(void **state) {
        g_autoptr(VkSecurityManager) m = manager(true, true);
        g_autoptr(VkSecurityState) s = NULL, s2 = NULL;
        g_autofree char *d = disk("st.img", "vda", "");
        g_autoptr(VkDomainDef) def = domain("f01", d,
                                            "<seclabel type='static' model='dac' relabel='yes'>"
                                            "<label>+201:+202</label></seclabel>");
        g_autoptr(VkDomainDef) def2 = domain("f02", d,
                                             "<seclabel type='static' model='dac'>"
                                             "<label>+201:+202</label></seclabel>");
        g_auto(VkError) error = VK_ERROR_INIT;
        g_auto(VkSecurityExecParams) p = {};
        g_autofree char *live = NULL;

        make_file("st.img", 1000, 1000);
        assert_int_equal(vk_security_manager_prepare(m, def, &s, &error), 0);
        assert_int_equal(vk_security_manager_label_files(m, s, def, NULL, &error), 0);
        assert_owner("st.img", 201, 202);
        assert_int_equal(vk_security_manager_exec_params(m, s, &p, &error), 0);
        assert_int_equal(p.uid, 201);
        assert_int_equal(p.gid, 202);
        assert_int_equal(vk_security_manager_format_live_seclabels(s, &live), 0);
        assert_string_equal(live, "<seclabel type='static' model='dac' relabel='yes'>\n"
                                  "  <label>+201:+202</label>\n"
                                  "  <imagelabel>+201:+202</imagelabel>\n"
                                  "</seclabel>\n");
        assert_int_equal(vk_security_manager_restore(m, s, &error), 0);
        assert_owner("st.img", 1000, 1000);

        assert_int_equal(vk_security_manager_prepare(m, def2, &s2, &error), 0);
        assert_int_equal(vk_security_manager_label_files(m, s2, def2, NULL, &error), 0);
        assert_owner("st.img", 1000, 1000);
}

/* A daemon that crashed: the state comes back from JSON and restores; without the xattr the
 * state's copy of the original is used. */
static void test_crash(void **state) {
        g_autoptr(VkSecurityManager) m = manager(true, true);
        g_autoptr(VkSecurityManager) m2 = manager(true, true);
        g_autoptr(VkSecurityState) s = NULL, back = NULL;
        g_autofree char *d1 = disk("c1.img", "vda", ""), *d2 = disk("c2.img", "vdb", "");
        g_autofree char *both = g_strconcat(d1, d2, NULL), *json = NULL, *p2 = tpath("c2.img");
        g_autoptr(VkDomainDef) def = domain("a99", both, NULL);
        g_auto(VkError) error = VK_ERROR_INIT;

        make_file("c1.img", 1000, 1000);
        make_file("c2.img", 1002, 1002);
        assert_int_equal(vk_security_manager_prepare(m, def, &s, &error), 0);
        assert_int_equal(vk_security_manager_label_files(m, s, def, NULL, &error), 0);
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
        g_autofree char *d1 = disk("h1.img", "vda", ""), *d2 = disk("h2.img", "vdb", "");
        g_autoptr(VkDomainDef) def = domain("a98", d1, NULL);
        g_autoptr(VkDomainDef) def2 = domain("a97", d2, NULL);
        g_auto(VkError) error = VK_ERROR_INIT;

        make_file("h1.img", 1000, 1000);
        make_file("h2.img", 1000, 1000);
        assert_int_equal(vk_security_manager_prepare(m, def, &s, &error), 0);
        assert_int_equal(vk_security_manager_label_files(m, s, def, NULL, &error), 0);
        assert_int_equal(vk_security_manager_label_disk(m, s, def2->disks[0], &error), 0);
        assert_owner("h2.img", 107, 108);
        assert_int_equal(vk_security_manager_restore_disk(m, s, def2->disks[0], &error), 0);
        assert_owner("h2.img", 1000, 1000);
        assert_owner("h1.img", 107, 108);
        assert_int_equal(vk_security_manager_restore(m, s, &error), 0);
        assert_owner("h1.img", 1000, 1000);
}

/* Session instance: QEMU runs as we do; nothing changes owner, no credentials to set. */
static void test_session(void **state) {
        g_autoptr(VkQemuConfig) cfg = vk_qemu_config_new(VK_INSTANCE_SESSION);
        g_autoptr(VkSecurityManager) m = NULL;
        g_autoptr(VkSecurityState) s = NULL;
        g_autofree char *d = disk("sess.img", "vda", "");
        g_autoptr(VkDomainDef) def = domain("a96", d, NULL);
        g_auto(VkError) error = VK_ERROR_INIT;
        g_auto(VkSecurityExecParams) p = {};

        make_file("sess.img", 1000, 1000);
        assert_int_equal(vk_security_manager_new(cfg, false, NULL, &m, &error), 0);
        assert_int_equal(vk_security_manager_prepare(m, def, &s, &error), 0);
        assert_int_equal(vk_security_manager_label_files(m, s, def, NULL, &error), 0);
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
