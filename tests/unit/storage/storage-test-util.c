/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* storage-test-util.c: temporary directories and real images made with qemu-img */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>

#include "macro.h"
#include "storage-test-util.h"

char *storage_test_qemu_img;
char *storage_test_dir;

void storage_test_init(void) {
        storage_test_qemu_img = g_find_program_in_path("qemu-img");
}

char *storage_test_tmpdir(void) {
        char *dir = g_dir_make_tmp("vk-storage-XXXXXX", NULL);

        assert_non_null(dir);
        return dir;
}

void storage_test_rm_rf(const char *dir) {
        g_autoptr(GError) gerr = NULL;
        int status;

        assert_true(
                g_spawn_sync(NULL, (char **) (const char *const[]){ "rm", "-rf", "--", dir, NULL },
                             NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, &status, &gerr));
}

/* cmocka group setup and teardown: a temporary directory for the group, removed after */
int storage_test_setup(void **state) {
        storage_test_dir = storage_test_tmpdir();
        return 0;
}

int storage_test_teardown(void **state) {
        if (storage_test_dir)
                storage_test_rm_rf(storage_test_dir);
        g_clear_pointer(&storage_test_dir, g_free);
        return 0;
}

/*
 * The environment qemu-img runs in, as storaged runs it: the build tree's
 * virtkit-thread-cputime.so preloaded (tools/virtkit-thread-cputime.c: without it qemu-img 7.2
 * fails to time LUKS key derivation now and then, "Unable to get accurate CPU usage").
 */
char **storage_test_env(void) {
        return g_environ_setenv(g_get_environ(), "LD_PRELOAD",
                                VK_BUILD_ROOT "/tools/virtkit-thread-cputime.so", true);
}

/* Run @argv (searched in PATH, in storage_test_env()); it must succeed. */
void storage_test_run(const char *const *argv) {
        g_autofree char *out = NULL, *err = NULL;
        g_autoptr(GError) gerr = NULL;
        g_auto(GStrv) env = storage_test_env();
        int status = 0;

        assert_true(g_spawn_sync(NULL, (char **) argv, env, G_SPAWN_SEARCH_PATH, NULL, NULL, &out,
                                 &err, &status, &gerr));
        if (!g_spawn_check_wait_status(status, NULL)) {
                g_autofree char *cmd = g_strjoinv(" ", (char **) argv);

                fail_msg("'%s' failed: %s%s", cmd, out, err);
        }
}

/*
 * `qemu-img create -q -f FORMAT [-u -b BACKING -F BACKING_FORMAT] NAME 1M` in the group's
 * directory; the image's path (caller frees). @backing may be relative (to the image).
 */
char *storage_test_image(const char *name, const char *format, const char *backing,
                         const char *backing_format) {
        char *path = g_build_filename(storage_test_dir, name, NULL);

        if (backing)
                storage_test_run(VK_STRV(storage_test_qemu_img, "create", "-q", "-f", format, "-u",
                                         "-b", backing, "-F", backing_format, path, "1M"));
        else
                storage_test_run(
                        VK_STRV(storage_test_qemu_img, "create", "-q", "-f", format, path, "1M"));
        return path;
}

char *storage_test_read(const char *path, size_t *ret_len) {
        char *data = NULL;
        gsize len = 0;

        assert_true(g_file_get_contents(path, &data, &len, NULL));
        *ret_len = len;
        return data;
}

void storage_test_write(const char *path, const void *data, size_t len) {
        assert_true(g_file_set_contents(path, data, (gssize) len, NULL));
}
