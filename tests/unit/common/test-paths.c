/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-paths.c: the instance path layout, with a fixed environment */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "macro.h"
#include "paths.h"

static void env_session(VkPathsEnv *env) {
        *env = (VkPathsEnv){
                .uid = 1000,
                .home = g_strdup("/home/u"),
                .xdg_config_home = g_strdup("/home/u/conf"),
                .xdg_runtime_dir = g_strdup("/run/user/1000"),
                .xdg_state_home = g_strdup("/home/u/state"),
                .xdg_cache_home = g_strdup("/home/u/cache"),
        };
}

static void test_kind_strings(void **state) {
        assert_string_equal(vk_instance_kind_to_string(VK_INSTANCE_SYSTEM), "system");
        assert_string_equal(vk_instance_kind_to_string(VK_INSTANCE_SESSION), "session");
        assert_string_equal(vk_instance_kind_to_string(VK_INSTANCE_EMBEDDED), "embedded");
        assert_null(vk_instance_kind_to_string(_VK_INSTANCE_MAX));
        assert_null(vk_instance_kind_to_string(_VK_INSTANCE_INVALID));

        for (int k = 0; k < _VK_INSTANCE_MAX; k++)
                assert_int_equal(vk_instance_kind_from_string(vk_instance_kind_to_string(k)), k);
        assert_int_equal(vk_instance_kind_from_string("System"), _VK_INSTANCE_INVALID);
        assert_int_equal(vk_instance_kind_from_string(""), -EINVAL);
        assert_int_equal(vk_instance_kind_from_string(NULL), -EINVAL);
}

static void test_system(void **state) {
        g_auto(VkPathsEnv) env = { .uid = 0 };
        g_autoptr(VkPaths) p = NULL;
        g_autofree char *sock = NULL;
        g_autofree char *sibling = NULL;
        g_autofree char *s = NULL;

        assert_int_equal(vk_paths_new("qemu", VK_INSTANCE_SYSTEM, &env, &p, NULL), 0);
        assert_int_equal(p->kind, VK_INSTANCE_SYSTEM);
        assert_null(p->root);
        assert_string_equal(p->driver, "qemu");
        assert_string_equal(p->config_file,
                            s = g_strconcat(VK_SYSCONFDIR, "/virtkit/qemu.conf", NULL));
        g_clear_pointer(&s, g_free);
        assert_string_equal(p->config_dir, s = g_strconcat(VK_SYSCONFDIR, "/virtkit/qemu", NULL));
        g_clear_pointer(&s, g_free);
        assert_string_equal(p->run_dir, VK_RUNSTATEDIR "/virtkit/qemu");
        assert_string_equal(p->lib_dir,
                            s = g_strconcat(VK_LOCALSTATEDIR, "/lib/virtkit/qemu", NULL));
        g_clear_pointer(&s, g_free);
        assert_string_equal(p->cache_dir,
                            s = g_strconcat(VK_LOCALSTATEDIR, "/cache/virtkit/qemu", NULL));
        g_clear_pointer(&s, g_free);
        assert_string_equal(p->log_dir,
                            s = g_strconcat(VK_LOCALSTATEDIR, "/log/virtkit/qemu", NULL));
        assert_string_equal(p->socket_dir, VK_RUNSTATEDIR "/virtkit");

        assert_int_equal(vk_paths_socket(p, "io.virtkit.Qemu", &sock, NULL), 0);
        assert_string_equal(sock, VK_RUNSTATEDIR "/virtkit/io.virtkit.Qemu");
        assert_int_equal(vk_paths_socket(p, "io.virtkit.Network", &sibling, NULL), 0);
        assert_string_equal(sibling, VK_RUNSTATEDIR "/virtkit/io.virtkit.Network");
}

static void test_system_other_drivers(void **state) {
        static const char *const drivers[] = { "secret", "network", "storage" };

        for (size_t i = 0; i < VK_ELEMENTSOF(drivers); i++) {
                g_auto(VkPathsEnv) env = { .uid = 0 };
                g_autoptr(VkPaths) p = NULL;
                g_autofree char *conf =
                        g_strdup_printf("%s/virtkit/%s.conf", VK_SYSCONFDIR, drivers[i]);
                g_autofree char *run = g_strdup_printf("%s/virtkit/%s", VK_RUNSTATEDIR, drivers[i]);

                assert_int_equal(vk_paths_new(drivers[i], VK_INSTANCE_SYSTEM, &env, &p, NULL), 0);
                assert_string_equal(p->config_file, conf);
                assert_string_equal(p->run_dir, run);
        }
}

static void test_session(void **state) {
        g_auto(VkPathsEnv) env;
        g_autoptr(VkPaths) p = NULL;
        g_autofree char *sock = NULL;

        env_session(&env);
        assert_int_equal(vk_paths_new("qemu", VK_INSTANCE_SESSION, &env, &p, NULL), 0);
        assert_string_equal(p->config_file, "/home/u/conf/virtkit/qemu.conf");
        assert_string_equal(p->config_dir, "/home/u/conf/virtkit/qemu");
        assert_string_equal(p->run_dir, "/run/user/1000/virtkit/qemu");
        assert_string_equal(p->lib_dir, "/home/u/state/virtkit/lib/qemu");
        assert_string_equal(p->log_dir, "/home/u/state/virtkit/log/qemu");
        assert_string_equal(p->cache_dir, "/home/u/cache/virtkit/qemu");
        assert_string_equal(p->socket_dir, "/run/user/1000/virtkit");
        assert_null(p->root);

        assert_int_equal(vk_paths_socket(p, "io.virtkit.Qemu", &sock, NULL), 0);
        assert_string_equal(sock, "/run/user/1000/virtkit/io.virtkit.Qemu");
}

/* Unset or relative XDG variables fall back to HOME. */
static void test_session_fallbacks(void **state) {
        g_auto(VkPathsEnv) env;
        g_autoptr(VkPaths) p = NULL;

        env_session(&env);
        g_clear_pointer(&env.xdg_config_home, g_free);
        g_clear_pointer(&env.xdg_cache_home, g_free);
        g_free(env.xdg_state_home);
        env.xdg_state_home = g_strdup("relative/state");

        assert_int_equal(vk_paths_new("network", VK_INSTANCE_SESSION, &env, &p, NULL), 0);
        assert_string_equal(p->config_file, "/home/u/.config/virtkit/network.conf");
        assert_string_equal(p->config_dir, "/home/u/.config/virtkit/network");
        assert_string_equal(p->lib_dir, "/home/u/.local/state/virtkit/lib/network");
        assert_string_equal(p->log_dir, "/home/u/.local/state/virtkit/log/network");
        assert_string_equal(p->cache_dir, "/home/u/.cache/virtkit/network");
        assert_string_equal(p->run_dir, "/run/user/1000/virtkit/network");
}

static void test_session_errors(void **state) {
        g_auto(VkPathsEnv) env;
        g_auto(VkError) e1 = VK_ERROR_INIT;
        g_auto(VkError) e2 = VK_ERROR_INIT;
        g_auto(VkError) e3 = VK_ERROR_INIT;
        g_autoptr(VkPaths) p = NULL;

        env_session(&env);
        g_clear_pointer(&env.xdg_runtime_dir, g_free);
        assert_int_equal(vk_paths_new("qemu", VK_INSTANCE_SESSION, &env, &p, &e1), -ENXIO);
        assert_null(p);
        assert_string_equal(e1.message,
                            "XDG_RUNTIME_DIR is not set to an absolute path; the session "
                            "instance needs it (systemd-logind normally sets it to "
                            "/run/user/1000)");

        env.xdg_runtime_dir = g_strdup("run/user/1000");
        assert_int_equal(vk_paths_new("qemu", VK_INSTANCE_SESSION, &env, &p, &e2), -ENXIO);
        assert_non_null(strstr(e2.message, "XDG_RUNTIME_DIR"));

        g_free(env.xdg_runtime_dir);
        env.xdg_runtime_dir = g_strdup("/run/user/1000");
        g_clear_pointer(&env.home, g_free);
        g_clear_pointer(&env.xdg_cache_home, g_free);
        assert_int_equal(vk_paths_new("qemu", VK_INSTANCE_SESSION, &env, &p, &e3), -ENXIO);
        assert_string_equal(e3.message, "Cannot place the session instance's files: neither "
                                        "XDG_CACHE_HOME nor HOME is set to an absolute path");
        assert_null(p);
}

static void test_embedded(void **state) {
        g_auto(VkPathsEnv) env = { .uid = 1000, .root = g_strdup("/srv/vm//one/") };
        g_autoptr(VkPaths) p = NULL;
        g_autofree char *sock = NULL;

        assert_int_equal(vk_paths_new("qemu", VK_INSTANCE_EMBEDDED, &env, &p, NULL), 0);
        assert_string_equal(p->root, "/srv/vm/one");
        assert_string_equal(p->config_file, "/srv/vm/one/etc/qemu.conf");
        assert_string_equal(p->config_dir, "/srv/vm/one/etc/qemu");
        assert_string_equal(p->run_dir, "/srv/vm/one/run/qemu");
        assert_string_equal(p->lib_dir, "/srv/vm/one/lib/qemu");
        assert_string_equal(p->cache_dir, "/srv/vm/one/cache/qemu");
        assert_string_equal(p->log_dir, "/srv/vm/one/log/qemu");
        assert_string_equal(p->socket_dir, "/srv/vm/one/run");
        assert_int_equal(vk_paths_socket(p, "io.virtkit.Secret", &sock, NULL), 0);
        assert_string_equal(sock, "/srv/vm/one/run/io.virtkit.Secret");
}

static void test_embedded_root_slash(void **state) {
        g_auto(VkPathsEnv) env = { .root = g_strdup("/a/../") };
        g_autoptr(VkPaths) p = NULL;

        assert_int_equal(vk_paths_new("storage", VK_INSTANCE_EMBEDDED, &env, &p, NULL), 0);
        assert_string_equal(p->root, "/");
        assert_string_equal(p->config_file, "/etc/storage.conf");
        assert_string_equal(p->run_dir, "/run/storage");
        assert_string_equal(p->socket_dir, "/run");
}

static void test_embedded_errors(void **state) {
        g_auto(VkPathsEnv) env = { .root = g_strdup("relative/dir") };
        g_auto(VkPathsEnv) no_root = { 0 };
        g_auto(VkError) e1 = VK_ERROR_INIT;
        g_auto(VkError) e2 = VK_ERROR_INIT;
        g_auto(VkError) e3 = VK_ERROR_INIT;
        g_autoptr(VkPaths) p = NULL;

        assert_int_equal(vk_paths_new("qemu", VK_INSTANCE_EMBEDDED, &env, &p, &e1), -EINVAL);
        assert_string_equal(e1.message, "The embedded root path 'relative/dir' must be absolute");
        assert_string_equal(e1.name, VK_ERROR_INVALID_ARGUMENT);

        assert_int_equal(vk_paths_new("qemu", VK_INSTANCE_EMBEDDED, &no_root, &p, &e2), -EINVAL);
        assert_string_equal(e2.message, "The embedded instance needs a root directory");

        g_free(env.root);
        env.root = g_strdup("/srv");
        assert_int_equal(vk_paths_new("qemu", VK_INSTANCE_SYSTEM, &env, &p, &e3), -EINVAL);
        assert_string_equal(e3.message, "A root directory ('/srv') is only used by the "
                                        "embedded instance, not the system one");
        assert_null(p);
}

static void test_bad_arguments(void **state) {
        static const char *const bad_drivers[] = { "",      "Qemu",  "qe/mu", "..",
                                                   "q emu", "1qemu", "-qemu", "q_emu" };
        g_auto(VkPathsEnv) env = { 0 };
        g_autoptr(VkPaths) p = NULL;
        g_auto(VkError) e1 = VK_ERROR_INIT;
        g_auto(VkError) e2 = VK_ERROR_INIT;

        for (size_t i = 0; i < VK_ELEMENTSOF(bad_drivers); i++)
                assert_int_equal(vk_paths_new(bad_drivers[i], VK_INSTANCE_SYSTEM, &env, &p, NULL),
                                 -EINVAL);
        assert_int_equal(vk_paths_new(NULL, VK_INSTANCE_SYSTEM, &env, &p, &e1), -EINVAL);
        assert_string_equal(e1.message, "Invalid driver name ''");
        assert_int_equal(vk_paths_new("qemu", _VK_INSTANCE_MAX, &env, &p, &e2), -EINVAL);
        assert_string_equal(e2.message, "Invalid instance kind 3");
        assert_null(p);
}

static void test_bad_interface(void **state) {
        static const char *const bad[] = { "", "../x", "io/virtkit", ".hidden", "a b" };
        g_auto(VkPathsEnv) env = { 0 };
        g_autoptr(VkPaths) p = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        char *sock = NULL;

        assert_int_equal(vk_paths_new("qemu", VK_INSTANCE_SYSTEM, &env, &p, NULL), 0);
        for (size_t i = 0; i < VK_ELEMENTSOF(bad); i++)
                assert_int_equal(vk_paths_socket(p, bad[i], &sock, NULL), -EINVAL);
        assert_int_equal(vk_paths_socket(p, "x/y", &sock, &err), -EINVAL);
        assert_string_equal(err.message, "Invalid varlink interface name 'x/y'");
        assert_null(sock);
}

/* 107 bytes fit in sun_path with its NUL; 108 do not. */
static void test_socket_length(void **state) {
        /* "/" + root + "/run/io.virtkit.Qemu" (20 bytes) */
        g_autofree char *fit_root = g_strnfill(107 - 20 - 1, 'r');
        g_autofree char *long_root = g_strnfill(107 - 20, 'r');
        g_auto(VkPathsEnv) fit = { .root = g_strconcat("/", fit_root, NULL) };
        g_auto(VkPathsEnv) too_long = { .root = g_strconcat("/", long_root, NULL) };
        g_autofree char *expect = g_strdup_printf("Socket path '/%s/run/io.virtkit.Qemu' is "
                                                  "108 bytes long, more than the 107 bytes a "
                                                  "UNIX socket address can hold",
                                                  long_root);
        g_autoptr(VkPaths) p = NULL;
        g_autoptr(VkPaths) p2 = NULL;
        g_autofree char *sock = NULL;
        g_autofree char *sock2 = NULL;
        g_auto(VkError) e1 = VK_ERROR_INIT;
        g_auto(VkError) e2 = VK_ERROR_INIT;

        assert_int_equal(vk_paths_new("qemu", VK_INSTANCE_EMBEDDED, &fit, &p, NULL), 0);
        assert_int_equal(vk_paths_socket(p, "io.virtkit.Qemu", &sock, NULL), 0);
        assert_int_equal(strlen(sock), 107);

        /* a longer sibling name no longer fits */
        assert_int_equal(vk_paths_socket(p, "io.virtkit.Storage", &sock2, &e1), -ENAMETOOLONG);
        assert_string_equal(e1.name, VK_ERROR_LIMIT_EXCEEDED);
        assert_non_null(strstr(e1.message, "110 bytes long"));
        assert_null(sock2);

        /* the driver's own socket is checked when the layout is made */
        assert_int_equal(vk_paths_new("qemu", VK_INSTANCE_EMBEDDED, &too_long, &p2, &e2),
                         -ENAMETOOLONG);
        assert_string_equal(e2.message, expect);
        assert_null(p2);
}

static void test_env_from_environ(void **state) {
        g_auto(VkPathsEnv) env = { 0 };
        g_autofree char *old_home = g_strdup(getenv("HOME"));
        g_autofree char *old_rt = g_strdup(getenv("XDG_RUNTIME_DIR"));

        assert_int_equal(setenv("HOME", "/home/test", 1), 0);
        assert_int_equal(setenv("XDG_RUNTIME_DIR", "/run/user/4242", 1), 0);
        assert_int_equal(setenv("XDG_STATE_HOME", "/st", 1), 0);
        assert_int_equal(unsetenv("XDG_CONFIG_HOME"), 0);

        vk_paths_env_from_environ(&env);
        assert_int_equal(env.uid, getuid());
        assert_string_equal(env.home, "/home/test");
        assert_string_equal(env.xdg_runtime_dir, "/run/user/4242");
        assert_string_equal(env.xdg_state_home, "/st");
        assert_null(env.xdg_config_home);
        assert_null(env.root);

        vk_paths_env_done(&env);
        assert_null(env.home);
        vk_paths_env_done(NULL);

        if (old_home)
                (void) setenv("HOME", old_home, 1);
        if (old_rt)
                (void) setenv("XDG_RUNTIME_DIR", old_rt, 1);
        else
                (void) unsetenv("XDG_RUNTIME_DIR");
        (void) unsetenv("XDG_STATE_HOME");
}

static void assert_is_dir(const char *base, const char *rel) {
        g_autofree char *path = g_build_filename(base, rel, NULL);
        struct stat st;

        if (stat(path, &st) < 0)
                fail_msg("'%s' was not created", path);
        assert_true(S_ISDIR(st.st_mode));
}

static void remove_tree(const char *path) {
        g_autoptr(GDir) d = g_dir_open(path, 0, NULL);
        const char *name;

        while (d && (name = g_dir_read_name(d))) {
                g_autofree char *child = g_build_filename(path, name, NULL);
                remove_tree(child);
        }
        if (rmdir(path) < 0)
                (void) unlink(path);
}

/* The embedded tree of the QEMU driver documentation, made under a temporary root. */
static void test_make_dirs_embedded(void **state) {
        static const char *const tree[] = {
                "log/qemu",  "log/swtpm",  "etc/qemu", "etc/pki/qemu", "run/qemu",
                "run/swtpm", "cache/qemu", "lib/qemu", "lib/swtpm",
        };
        g_autofree char *tmp = g_dir_make_tmp("test-paths-XXXXXX", NULL);
        g_autofree char *root = g_build_filename(tmp, "some", "dir", NULL);
        g_auto(VkPathsEnv) env = { .root = g_strdup(root) };
        g_autoptr(VkPaths) p = NULL;

        assert_non_null(tmp);
        assert_int_equal(vk_paths_new("qemu", VK_INSTANCE_EMBEDDED, &env, &p, NULL), 0);
        assert_int_equal(vk_paths_make_dirs(p, 0700, NULL), 0);
        for (size_t i = 0; i < VK_ELEMENTSOF(tree); i++)
                assert_is_dir(root, tree[i]);
        /* again: existing directories are fine */
        assert_int_equal(vk_paths_make_dirs(p, 0700, NULL), 0);

        remove_tree(tmp);
}

static void test_make_dirs_session(void **state) {
        g_autofree char *tmp = g_dir_make_tmp("test-paths-XXXXXX", NULL);
        g_autofree char *blocker = g_build_filename(tmp, "state", NULL);
        g_auto(VkPathsEnv) env = {
                .uid = 1000,
                .home = g_strdup(tmp),
                .xdg_runtime_dir = g_build_filename(tmp, "rt", NULL),
        };
        g_auto(VkPathsEnv) env2 = {
                .home = g_strdup(tmp),
                .xdg_runtime_dir = g_build_filename(tmp, "rt", NULL),
                .xdg_state_home = g_strdup(blocker),
        };
        g_autoptr(VkPaths) p = NULL;
        g_autoptr(VkPaths) p2 = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        g_autofree char *expect = NULL;

        assert_non_null(tmp);
        assert_int_equal(vk_paths_new("secret", VK_INSTANCE_SESSION, &env, &p, NULL), 0);
        assert_int_equal(vk_paths_make_dirs(p, 0700, NULL), 0);
        assert_is_dir(tmp, ".config/virtkit/secret");
        assert_is_dir(tmp, ".local/state/virtkit/lib/secret");
        assert_is_dir(tmp, ".local/state/virtkit/log/secret");
        assert_is_dir(tmp, ".cache/virtkit/secret");
        assert_is_dir(tmp, "rt/virtkit/secret");

        /* a file where a directory should be */
        assert_true(g_file_set_contents(blocker, "", 0, NULL));
        assert_int_equal(vk_paths_new("secret", VK_INSTANCE_SESSION, &env2, &p2, NULL), 0);
        assert_int_equal(vk_paths_make_dirs(p2, 0700, &err), -ENOTDIR);
        expect = g_strdup_printf("Failed to create directory '%s/virtkit/lib/secret': %s", blocker,
                                 g_strerror(ENOTDIR));
        assert_string_equal(err.message, expect);

        remove_tree(tmp);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_kind_strings),
                cmocka_unit_test(test_system),
                cmocka_unit_test(test_system_other_drivers),
                cmocka_unit_test(test_session),
                cmocka_unit_test(test_session_fallbacks),
                cmocka_unit_test(test_session_errors),
                cmocka_unit_test(test_embedded),
                cmocka_unit_test(test_embedded_root_slash),
                cmocka_unit_test(test_embedded_errors),
                cmocka_unit_test(test_bad_arguments),
                cmocka_unit_test(test_bad_interface),
                cmocka_unit_test(test_socket_length),
                cmocka_unit_test(test_env_from_environ),
                cmocka_unit_test(test_make_dirs_embedded),
                cmocka_unit_test(test_make_dirs_session),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
