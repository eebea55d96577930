/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-storage-vol-users.c: who has a volume's file open, and QEMU's guest name */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <glib.h>

#include "macro.h"
#include "storage-vol-users.h"

static char *guest(const char *const *argv) {
        g_autoptr(GString) s = g_string_new(NULL);

        for (const char *const *a = argv; *a; a++)
                g_string_append_len(s, *a, (gssize) strlen(*a) + 1);
        return vk_storage_qemu_guest_name(s->str, s->len);
}

static void test_guest_name(void **state) {
        const struct {
                const char *const *argv;
                const char *name;
        } cases[] = {
                { VK_STRV("qemu", "-name", "guest=vm1,debug-threads=on"), "vm1" },
                { VK_STRV("qemu", "-name", "vm2"), "vm2" },
                { VK_STRV("qemu", "-name", "a,,b,debug-threads=on"), "a,b" },
                { VK_STRV("qemu", "-name", "process=p,guest=vm3"), "vm3" },
                { VK_STRV("qemu", "-name", "process=p"), NULL },
                { VK_STRV("qemu", "-m", "64"), NULL },
                { VK_STRV("qemu", "-name"), NULL },
                { VK_STRV("qemu", "-name", "guest="), NULL },
        };

        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                g_autofree char *got = guest(cases[i].argv);

                if (cases[i].name)
                        assert_string_equal(got, cases[i].name);
                else
                        assert_null(got);
        }
}

/* A shell holding @path open on fd 3, with "-name guest=vm,,x" among its arguments. */
static pid_t holder(const char *path, int *ret_stdin) {
        g_autoptr(GError) error = NULL;
        const char *argv[] = { "/bin/sh", "-c",    "exec 3<\"$0\"; read x",
                               path,      "-name", "guest=vm,,x,debug-threads=on",
                               NULL };
        GPid pid;

        assert_true(g_spawn_async_with_pipes(NULL, (char **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
                                             NULL, NULL, &pid, ret_stdin, NULL, NULL, &error));
        return pid;
}

static void test_find(void **state) {
        g_autofree char *dir = g_dir_make_tmp("vk-vol-users-XXXXXX", NULL);
        g_autofree char *path = g_build_filename(dir, "vol.raw", NULL);
        g_autofree char *other = g_build_filename(dir, "other.raw", NULL);
        VkStorageFileUser u = {};
        int in = -1, r = 0;
        pid_t pid;
        FILE *f;

        assert_true(g_file_set_contents(path, "x", 1, NULL));
        assert_true(g_file_set_contents(other, "y", 1, NULL));
        /* our own descriptors do not count */
        f = fopen(path, "r");
        assert_int_equal(vk_storage_file_user_find(NULL, path, &u), 0);
        fclose(f);
        pid = holder(path, &in);
        for (int i = 0; i < 500 && (r = vk_storage_file_user_find(NULL, path, &u)) == 0; i++)
                g_usleep(10000);
        assert_int_equal(r, 1);
        assert_int_equal(u.pid, pid);
        assert_string_equal(u.domain, "vm,x");
        assert_string_equal(u.comm, "sh");
        vk_storage_file_user_done(&u);
        assert_int_equal(vk_storage_file_user_find(NULL, other, &u), 0);
        /* a file that is not there has no user; a /proc that is not there is an error */
        assert_int_equal(vk_storage_file_user_find(NULL, "/nonexistent/x", &u), 0);
        assert_true(vk_storage_file_user_find("/nonexistent", path, &u) < 0);
        (void) close(in);
        (void) kill(pid, SIGTERM);
        (void) waitpid(pid, NULL, 0);
        assert_int_equal(vk_storage_file_user_find(NULL, path, &u), 0);
        (void) unlink(path);
        (void) unlink(other);
        (void) rmdir(dir);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_guest_name),
                cmocka_unit_test(test_find),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
