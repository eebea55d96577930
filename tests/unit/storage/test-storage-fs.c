/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-storage-fs.c: the fs pool's mkfs, mount and umount command lines run for real */
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
#include "storage-argv.h"
#include "storage-def.h"
#include "storage-dir.h"
#include "storage-signature.h"
#include "storage-test-util.h"

/*
 * An ext4 fs pool on an image file: build (mkfs, the device's signature seen after it),
 * start (a loop mount with nodev,nosuid,noexec), its figures, stop (umount). Needs root,
 * mkfs.ext4, mount and a loop device; skips with the reason otherwise.
 */

static VkStorageTools tools;
static char *tmp, *target;
static bool mounted;

/* Run @argv with stdin on /dev/null; returns its exit status, *ret_out its output. */
static int run(char **argv, char **ret_out) {
        g_autofree char *out = NULL, *err = NULL;
        int status;

        assert_true(g_spawn_sync(NULL, argv, NULL, G_SPAWN_STDIN_FROM_DEV_NULL, NULL, NULL, &out,
                                 &err, &status, NULL));
        if (ret_out)
                *ret_out = g_strconcat(out, err, NULL);
        return g_spawn_check_wait_status(status, NULL) ? 0 : 1;
}

/* the mount options /proc/self/mountinfo shows for @path, or NULL */
static char *mount_options(const char *path) {
        g_autofree char *info = NULL;
        g_auto(GStrv) lines = NULL;

        assert_true(g_file_get_contents("/proc/self/mountinfo", &info, NULL, NULL));
        lines = g_strsplit(info, "\n", -1);
        for (char **l = lines; *l; l++) {
                g_auto(GStrv) f = g_strsplit(*l, " ", -1);

                if (g_strv_length(f) > 5 && strcmp(f[4], path) == 0)
                        return g_strdup(f[5]);
        }
        return NULL;
}

static void test_fs_pool(void **state) {
        g_autofree char *image = g_build_filename(tmp, "fs.img", NULL);
        g_autofree char *xml = NULL, *out = NULL, *opts = NULL;
        g_autoptr(VkStoragePoolDef) pool = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        g_auto(GStrv) argv = NULL;
        const char *what = NULL;
        FILE *f;

        f = fopen(image, "w");
        assert_non_null(f);
        assert_int_equal(ftruncate(fileno(f), 64 << 20), 0);
        fclose(f);
        xml = g_strdup_printf("<pool type='fs'><name>fs</name><source><device path='%s'/>"
                              "<format type='ext4'/></source><target><path>%s</path></target>"
                              "</pool>",
                              image, target);
        assert_int_equal(vk_storage_pool_def_parse_string(xml, &pool, &err), 0);

        /*
         * build: mkfs on an empty device; then the device holds a filesystem, which only a
         * build asked to overwrite may replace (mke2fs itself does not ask when stdin is not
         * a terminal: it would overwrite)
         */
        assert_int_equal(vk_storage_signature_path(image, &what, &err), 0);
        assert_int_equal(vk_storage_fs_mkfs_argv(&tools, pool, false, &argv, &err), 0);
        if (run(argv, &out) != 0)
                fail_msg("mkfs failed: %s", out);
        g_clear_pointer(&argv, g_strfreev);
        g_clear_pointer(&out, g_free);
        assert_int_equal(vk_storage_signature_path(image, &what, &err), 1);
        assert_string_equal(what, "an ext2/ext3/ext4 filesystem");
        assert_int_equal(vk_storage_fs_mkfs_argv(&tools, pool, true, &argv, &err), 0);
        if (run(argv, &out) != 0)
                fail_msg("mkfs with overwrite failed: %s", out);
        g_clear_pointer(&argv, g_strfreev);
        g_clear_pointer(&out, g_free);

        /* start: the loop mount */
        assert_int_equal(vk_storage_fs_mount_argv(&tools, pool, true, &argv, &err), 0);
        if (run(argv, &out) != 0) {
                fprintf(stderr, "# cannot mount here: %s", out);
                skip();
        }
        mounted = true;
        opts = mount_options(target);
        assert_non_null(opts);
        assert_non_null(strstr(opts, "nosuid"));
        assert_non_null(strstr(opts, "nodev"));
        assert_non_null(strstr(opts, "noexec"));
        assert_int_equal(vk_storage_dir_statvfs(pool, &err), 0);
        assert_true(pool->capacity > 32 << 20 && pool->capacity <= 64 << 20);
        assert_true(pool->available < pool->capacity);

        /* stop */
        g_clear_pointer(&argv, g_strfreev);
        g_clear_pointer(&out, g_free);
        argv = vk_storage_fs_umount_argv(&tools, pool);
        if (run(argv, &out) != 0)
                fail_msg("umount failed: %s", out);
        mounted = false;
        g_free(opts);
        opts = mount_options(target);
        assert_null(opts);
}

static int setup(void **state) {
        tmp = storage_test_tmpdir();
        target = g_build_filename(tmp, "mnt", NULL);
        assert_int_equal(g_mkdir(target, 0755), 0);
        return 0;
}

static int teardown(void **state) {
        if (mounted)
                (void) run((char **) VK_STRV(tools.umount, "-l", target), NULL);
        storage_test_rm_rf(tmp);
        g_free(target);
        g_free(tmp);
        return 0;
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_fs_pool),
        };
        g_autofree char *mount = g_find_program_in_path("mount");
        g_autofree char *umount = g_find_program_in_path("umount");
        g_autofree char *mkfs = g_find_program_in_path("mkfs.ext4");
        g_autofree char *mkfs_dir = NULL;

        if (geteuid() != 0 || !mount || !umount || !mkfs ||
            !g_file_test("/dev/loop-control", G_FILE_TEST_EXISTS)) {
                printf("1..0 # SKIP needs root, mount, umount, mkfs.ext4 and loop devices\n");
                return 77;
        }
        mkfs_dir = g_path_get_dirname(mkfs);
        tools = (VkStorageTools){ .mount = mount, .umount = umount, .mkfs_dir = mkfs_dir };
        return cmocka_run_group_tests(tests, setup, teardown);
}
