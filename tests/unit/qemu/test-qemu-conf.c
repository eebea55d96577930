/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-qemu-conf.c: VkQemuConfig defaults, qemu.conf keys, values and their errors */
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

#include "qemu-conf.h"

static VkQemuConfig *load_ok(const char *text, VkInstanceKind kind) {
        g_auto(VkError) err = VK_ERROR_INIT;
        VkQemuConfig *cfg = NULL;

        if (vk_qemu_config_load_string(text, "qemu.conf", kind, &cfg, &err) < 0)
                fail_msg("unexpected error for <<%s>>: %s", text, err.message);
        assert_non_null(cfg);
        return cfg;
}

static char *load_err(const char *text) {
        g_auto(VkError) err = VK_ERROR_INIT;
        VkQemuConfig *cfg = NULL;

        assert_true(vk_qemu_config_load_string(text, "qemu.conf", VK_INSTANCE_SYSTEM, &cfg, &err) <
                    0);
        assert_null(cfg);
        assert_string_equal(err.name, VK_ERROR_INVALID_CONFIG);
        return g_strdup(err.message);
}

static void test_defaults(void **state) {
        g_autoptr(VkQemuConfig) sys = load_ok("", VK_INSTANCE_SYSTEM);
        g_autoptr(VkQemuConfig) ses = load_ok("", VK_INSTANCE_SESSION);
        g_autoptr(VkQemuConfig) emb = load_ok("", VK_INSTANCE_EMBEDDED);

        assert_string_equal(sys->user, VK_QEMU_USER);
        assert_string_equal(sys->group, VK_QEMU_GROUP);
        assert_true(sys->dynamic_ownership);
        assert_true(sys->remember_owner);
        assert_string_equal(sys->security_driver[0], "selinux");
        assert_string_equal(sys->security_driver[1], "apparmor");
        assert_null(sys->security_driver[2]);
        assert_true(sys->security_default_confined);
        assert_false(sys->security_require_confined);
        assert_false(sys->clear_emulator_capabilities); /* the 6.0 rule: a root QEMU keeps them */
        assert_true(g_strv_contains((const char *const *) sys->cgroup_device_acl, "/dev/kvm"));
        assert_string_equal(sys->vnc_listen, "127.0.0.1");
        assert_false(sys->vnc_auto_unix_socket);
        assert_string_equal(sys->spice_listen, "127.0.0.1");
        assert_null(sys->emulators);
        assert_int_equal(sys->log_max_size, 2097152);
        assert_int_equal(sys->deprecation_behavior, VK_DEPRECATION_NONE);

        /* session and embedded instances run QEMU as the calling user */
        assert_string_equal(ses->user, g_get_user_name());
        assert_string_equal(emb->user, g_get_user_name());
        assert_non_null(ses->group);
        assert_string_equal(ses->group, emb->group);
}

static void test_all_keys(void **state) {
        g_autoptr(VkQemuConfig) cfg =
                load_ok("user = \"qemu\"\n"
                        "group = \"+107\"\n"
                        "dynamic_ownership = 0\n"
                        "remember_owner = 0\n"
                        "security_driver = [ \"apparmor\", \"dac\" ]\n"
                        "security_default_confined = 1\n"
                        "security_require_confined = 1\n"
                        "clear_emulator_capabilities = 1\n"
                        "cgroup_device_acl = [ \"/dev/null\", \"/dev/kvm\" ]\n"
                        "vnc_listen = \"::1\"\n"
                        "vnc_auto_unix_socket = 1\n"
                        "spice_listen = \"0.0.0.0\"\n"
                        "emulators = [ \"/usr/bin/qemu-system-x86_64\" ]\n"
                        "log_max_size = 0\n"
                        "deprecation_behavior = \"crash\"\n",
                        VK_INSTANCE_SESSION);

        assert_string_equal(cfg->user, "qemu");
        assert_string_equal(cfg->group, "+107");
        assert_false(cfg->dynamic_ownership);
        assert_false(cfg->remember_owner);
        assert_string_equal(cfg->security_driver[0], "apparmor");
        assert_string_equal(cfg->security_driver[1], "dac");
        assert_null(cfg->security_driver[2]);
        assert_true(cfg->security_require_confined);
        assert_true(cfg->clear_emulator_capabilities);
        assert_string_equal(cfg->cgroup_device_acl[1], "/dev/kvm");
        assert_null(cfg->cgroup_device_acl[2]);
        assert_string_equal(cfg->vnc_listen, "::1");
        assert_true(cfg->vnc_auto_unix_socket);
        assert_string_equal(cfg->spice_listen, "0.0.0.0");
        assert_string_equal(cfg->emulators[0], "/usr/bin/qemu-system-x86_64");
        assert_int_equal(cfg->log_max_size, 0);
        assert_int_equal(cfg->deprecation_behavior, VK_DEPRECATION_CRASH);
        assert_int_equal(cfg->kind, VK_INSTANCE_SESSION);
}

static void test_security_driver_string(void **state) {
        g_autoptr(VkQemuConfig) one =
                load_ok("security_driver = \"selinux\"\n", VK_INSTANCE_SYSTEM);
        g_autoptr(VkQemuConfig) none = load_ok("security_driver = 'none'\n", VK_INSTANCE_SYSTEM);
        g_autoptr(VkQemuConfig) acl = load_ok("cgroup_device_acl = []\n", VK_INSTANCE_SYSTEM);

        assert_string_equal(one->security_driver[0], "selinux");
        assert_null(one->security_driver[1]);
        assert_string_equal(none->security_driver[0], "none");
        assert_null(acl->cgroup_device_acl[0]);
}

static const struct {
        const char *text;
        const char *message;
} errors[] = {
        { "usr = \"qemu\"\n", "qemu.conf:1:1: unknown setting 'usr'" },
        { "\n  vnc_tls = 1\n",
          "qemu.conf:2:3: setting 'vnc_tls' of libvirt's qemu.conf is not supported by virtkit; "
          "remove it" },
        { "user = 'a'\nmigration_port_min = 49152\n",
          "qemu.conf:2:1: setting 'migration_port_min' of libvirt's qemu.conf is not supported "
          "by virtkit; remove it" },
        { "user = \"\"\n", "qemu.conf:1:1: 'user' must not be empty" },
        { "group = 5\n", "qemu.conf:1:1: 'group' must be a string, not an integer" },
        { "dynamic_ownership = 2\n", "qemu.conf:1:1: 'dynamic_ownership' must be 0 or 1" },
        { "security_driver = [ \"smack\" ]\n",
          "qemu.conf:1:1: security driver 'smack' is not supported (use selinux, apparmor, dac "
          "or none)" },
        { "security_driver = [ \"none\", \"dac\" ]\n",
          "qemu.conf:1:1: security driver 'none' cannot be combined with other drivers" },
        { "security_driver = [ \"dac\", \"dac\" ]\n",
          "qemu.conf:1:1: security driver 'dac' is listed twice" },
        { "security_driver = []\n",
          "qemu.conf:1:1: 'security_driver' must name at least one driver (\"none\" for none)" },
        { "security_driver = 1\n",
          "qemu.conf:1:1: 'security_driver' must be a list of strings, not an integer" },
        { "cgroup_device_acl = [ \"/dev/null\", \"dev/kvm\" ]\n",
          "qemu.conf:1:1: item 2 of 'cgroup_device_acl' ('dev/kvm') must be an absolute path" },
        { "cgroup_device_acl = \"/dev/null\"\n",
          "qemu.conf:1:1: 'cgroup_device_acl' must be a list of strings, not a string" },
        { "vnc_listen = \"localhost\"\n",
          "qemu.conf:1:1: 'vnc_listen' value 'localhost' is not an IPv4 or IPv6 address" },
        { "emulators = []\n", "qemu.conf:1:1: 'emulators' must not be an empty list" },
        { "log_max_size = -1\n", "qemu.conf:1:1: 'log_max_size' must not be negative" },
        { "deprecation_behavior = \"warn\"\n",
          "qemu.conf:1:1: 'deprecation_behavior' value 'warn' is not one of none, omit, reject, "
          "crash" },
        { "security_default_confined = 0\nsecurity_require_confined = 1\n",
          "qemu.conf:2:1: 'security_require_confined = 1' needs "
          "'security_default_confined = 1'" },
        { "user = \"a\"\nuser = \"b\"\n", NULL }, /* the parser's own error */
};

static void test_errors(void **state) {
        for (size_t i = 0; i < G_N_ELEMENTS(errors); i++) {
                g_autofree char *msg = load_err(errors[i].text);

                if (errors[i].message && strcmp(msg, errors[i].message) != 0)
                        fail_msg("<<%s>>:\n  got      %s\n  expected %s", errors[i].text, msg,
                                 errors[i].message);
        }
}

static void test_load_file(void **state) {
        g_autofree char *dir = g_dir_make_tmp("vk-qemu-conf-XXXXXX", NULL);
        g_autofree char *path = g_build_filename(dir, "qemu.conf", NULL);
        g_autofree char *missing = g_build_filename(dir, "missing.conf", NULL);
        g_autoptr(VkQemuConfig) cfg = NULL;
        g_autoptr(VkQemuConfig) defaults = NULL;
        g_autoptr(VkQemuConfig) bad = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        g_autofree char *shipped = NULL;
        g_autofree char *shipped_path = NULL;
        const char *srcdir = getenv("VK_TOP_SRCDIR");

        assert_non_null(dir);
        assert_true(g_file_set_contents(path, "vnc_listen = \"0.0.0.0\"\n", -1, NULL));
        assert_int_equal(vk_qemu_config_load(path, VK_INSTANCE_SYSTEM, &cfg, &err), 0);
        assert_string_equal(cfg->vnc_listen, "0.0.0.0");

        /* a missing file: the defaults */
        assert_int_equal(vk_qemu_config_load(missing, VK_INSTANCE_SYSTEM, &defaults, &err), 0);
        assert_string_equal(defaults->vnc_listen, "127.0.0.1");

        /* errors name the file as given */
        assert_true(g_file_set_contents(path, "\nspice_tls = 1\n", -1, NULL));
        assert_true(vk_qemu_config_load(path, VK_INSTANCE_SYSTEM, &bad, &err) < 0);
        assert_null(bad);
        assert_true(g_str_has_prefix(err.message, path));
        assert_non_null(strstr(err.message, ":2:1: setting 'spice_tls'"));

        (void) g_unlink(path);
        (void) g_rmdir(dir);

        /* the shipped conf/qemu.conf (all commented out) loads */
        if (srcdir) {
                g_autoptr(VkQemuConfig) c = NULL;

                vk_error_done(&err);
                shipped_path = g_build_filename(srcdir, "conf", "qemu.conf", NULL);
                assert_true(g_file_get_contents(shipped_path, &shipped, NULL, NULL));
                assert_int_equal(vk_qemu_config_load(shipped_path, VK_INSTANCE_SYSTEM, &c, &err),
                                 0);
        }
}

/* Every commented-out "#key = value" line of conf/qemu.conf, uncommented, is accepted. */
static void test_shipped_examples(void **state) {
        const char *srcdir = getenv("VK_TOP_SRCDIR");
        g_autofree char *path = NULL;
        g_autofree char *text = NULL;
        g_autoptr(GString) conf = g_string_new(NULL);
        g_autoptr(VkQemuConfig) cfg = NULL;
        g_auto(GStrv) lines = NULL;
        bool in_list = false;

        if (!srcdir)
                skip();
        path = g_build_filename(srcdir, "conf", "qemu.conf", NULL);
        assert_true(g_file_get_contents(path, &text, NULL, NULL));
        lines = g_strsplit(text, "\n", -1);
        for (size_t i = 0; lines[i]; i++) {
                const char *l = lines[i];

                if (l[0] != '#' || l[1] == ' ' || l[1] == '\0')
                        continue;
                if (in_list || g_ascii_isalpha(l[1])) {
                        g_string_append_printf(conf, "%s\n", l + 1);
                        if (strchr(l, '[') && !strchr(l, ']'))
                                in_list = true;
                        else if (strchr(l, ']'))
                                in_list = false;
                }
        }
        cfg = load_ok(conf->str, VK_INSTANCE_SYSTEM);
        assert_string_equal(cfg->vnc_listen, "127.0.0.1");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_defaults),
                cmocka_unit_test(test_all_keys),
                cmocka_unit_test(test_security_driver_string),
                cmocka_unit_test(test_errors),
                cmocka_unit_test(test_load_file),
                cmocka_unit_test(test_shipped_examples),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
