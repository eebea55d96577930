/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-storage-dir.c: a real dir pool in a temporary directory: build, refresh, delete */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "macro.h"
#include "storage-def.h"
#include "storage-dir.h"
#include "storage-test-util.h"

static VkStoragePoolDef *pool_at(const char *target, const char *perms) {
        g_autofree char *xml = g_strdup_printf("<pool type='dir'><name>p</name><target>"
                                               "<path>%s</path>%s</target></pool>",
                                               target, perms);
        g_auto(VkError) err = VK_ERROR_INIT;
        VkStoragePoolDef *pool = NULL;

        if (vk_storage_pool_def_parse_string(xml, &pool, &err) < 0 ||
            vk_storage_pool_def_fill_defaults(pool, NULL, &err) < 0)
                fail_msg("%s", err.message);
        return pool;
}

static void test_build(void **state) {
        g_autofree char *target = g_build_filename(storage_test_dir, "a", "b", "images", NULL);
        g_autofree char *perms = g_strdup_printf("<permissions><mode>0750</mode><owner>%u</owner>"
                                                 "<group>%u</group></permissions>",
                                                 getuid(), getgid());
        g_autoptr(VkStoragePoolDef) pool = pool_at(target, perms);
        g_autoptr(VkStoragePoolDef) dflt = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        struct stat st;

        assert_int_equal(vk_storage_dir_check(pool, &err), -ENOENT);
        vk_error_done(&err);
        assert_int_equal(vk_storage_dir_build(pool, &err), 0);
        assert_int_equal(stat(target, &st), 0);
        assert_true(S_ISDIR(st.st_mode));
        assert_int_equal(st.st_mode & 07777, 0750);
        assert_int_equal(st.st_uid, getuid());
        assert_int_equal(vk_storage_dir_check(pool, &err), 0);

        /* again: an existing directory gets the pool's mode (here the default, 0711) */
        dflt = pool_at(target, "");
        assert_int_equal(vk_storage_dir_build(dflt, &err), 0);
        assert_int_equal(stat(target, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0711);

        assert_int_equal(vk_storage_dir_delete(pool, &err), 0);
        assert_int_equal(stat(target, &st), -1);
}

/* a target path that exists as a file: refused, and the file is untouched */
static void test_build_on_file(void **state) {
        g_autofree char *target = g_build_filename(storage_test_dir, "file", NULL);
        g_autoptr(VkStoragePoolDef) pool = pool_at(target, "");
        g_auto(VkError) err = VK_ERROR_INIT;
        g_autofree char *msg = NULL;
        struct stat st;

        storage_test_write(target, "x", 1);
        assert_int_equal(chmod(target, 0644), 0);
        assert_int_equal(vk_storage_dir_build(pool, &err), -ENOTDIR);
        msg = g_strdup_printf("pool 'p': target path '%s' exists and is not a directory", target);
        assert_string_equal(err.message, msg);
        assert_int_equal(stat(target, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0644);
        vk_error_done(&err);
        assert_int_equal(vk_storage_dir_check(pool, &err), -ENOTDIR);
}

static const VkStorageVolDef *find(GPtrArray *vols, const char *name) {
        for (guint i = 0; i < vols->len; i++) {
                const VkStorageVolDef *v = vols->pdata[i];

                if (strcmp(v->name, name) == 0)
                        return v;
        }
        return NULL;
}

static void test_refresh(void **state) {
        g_autofree char *target = g_build_filename(storage_test_dir, "pool", NULL);
        g_autoptr(VkStoragePoolDef) pool = pool_at(target, "");
        g_auto(VkError) err = VK_ERROR_INIT;
        g_autoptr(GPtrArray) vols = NULL;
        g_autofree char *base = NULL, *top = NULL, *trunc = NULL, *garbage = NULL;
        g_autofree char *fifo = NULL, *sub = NULL, *hidden = NULL, *link = NULL, *data = NULL;
        g_autofree char *remote = NULL;
        const VkStorageVolDef *v;
        size_t len;

        if (!storage_test_qemu_img)
                skip();
        assert_int_equal(vk_storage_dir_build(pool, &err), 0);
        base = g_build_filename(target, "base.raw", NULL);
        top = g_build_filename(target, "top.qcow2", NULL);
        storage_test_run(VK_STRV(storage_test_qemu_img, "create", "-q", "-f", "raw", base, "2M"));
        storage_test_run(VK_STRV(storage_test_qemu_img, "create", "-q", "-f", "qcow2", "-b",
                                 "base.raw", "-F", "raw", "-o", "lazy_refcounts=on", top, "3M"));
        remote = g_build_filename(target, "remote.qcow2", NULL);
        storage_test_run(VK_STRV(storage_test_qemu_img, "create", "-q", "-f", "qcow2", "-u", "-b",
                                 "nbd://localhost:10809/x", "-F", "raw", remote, "1M"));
        /* dropped in by hand: a truncated qcow2, garbage, and what is not a volume */
        data = storage_test_read(top, &len);
        trunc = g_build_filename(target, "truncated.qcow2", NULL);
        storage_test_write(trunc, data, 50);
        garbage = g_build_filename(target, "garbage", NULL);
        storage_test_write(garbage, "\x00\xff garbage \x01", 12);
        fifo = g_build_filename(target, "fifo", NULL);
        assert_int_equal(mkfifo(fifo, 0600), 0);
        sub = g_build_filename(target, "subdir", NULL);
        assert_int_equal(mkdir(sub, 0700), 0);
        hidden = g_build_filename(target, ".hidden", NULL);
        storage_test_write(hidden, "x", 1);
        link = g_build_filename(target, "dangling", NULL);
        assert_int_equal(symlink("/nonexistent/x", link), 0);

        assert_int_equal(vk_storage_dir_refresh(pool, &vols, &err), 0);
        /* base.raw dangling garbage remote.qcow2 top.qcow2 truncated.qcow2 */
        assert_int_equal(vols->len, 6);
        assert_string_equal(((VkStorageVolDef *) vols->pdata[0])->name, "base.raw");
        assert_string_equal(((VkStorageVolDef *) vols->pdata[5])->name, "truncated.qcow2");

        v = find(vols, "base.raw");
        assert_int_equal(v->format, VK_IMAGE_FORMAT_RAW);
        assert_true(v->capacity == 2 << 20);
        assert_string_equal(v->path, base);
        assert_string_equal(v->key, base);
        assert_null(v->warning);
        assert_int_equal(v->perms.owner, getuid());

        v = find(vols, "top.qcow2");
        assert_int_equal(v->format, VK_IMAGE_FORMAT_QCOW2);
        assert_true(v->capacity == 3 << 20);
        assert_true(v->allocation > 0);
        assert_string_equal(v->backing_path, base);
        assert_int_equal(v->backing_format, VK_IMAGE_FORMAT_RAW);
        assert_string_equal(v->compat, "1.1");
        assert_true(v->lazy_refcounts);
        assert_true(v->cluster_size == 65536);
        assert_null(v->warning);

        /* a backing store on the network is named as written, not as a file of the pool */
        v = find(vols, "remote.qcow2");
        assert_string_equal(v->backing_path, "nbd://localhost:10809/x");

        v = find(vols, "truncated.qcow2");
        assert_int_equal(v->format, VK_IMAGE_FORMAT_QCOW2);
        assert_true(v->capacity == 50);
        assert_string_equal(v->warning, "'truncated.qcow2': truncated qcow2 header (50 bytes)");

        v = find(vols, "garbage");
        assert_int_equal(v->format, VK_IMAGE_FORMAT_RAW);
        assert_true(v->capacity == 12);

        v = find(vols, "dangling");
        assert_string_equal(v->warning, "'dangling' is a dangling symbolic link");

        /* every volume formats to XML that parses back */
        for (guint i = 0; i < vols->len; i++) {
                g_autofree char *xml = vk_storage_vol_def_format(vols->pdata[i]);
                g_autoptr(VkStorageVolDef) back = NULL;

                if (vk_storage_vol_def_parse_string(xml, &back, &err) < 0)
                        fail_msg("%s: %s", xml, err.message);
        }

        assert_true(pool->has_capacity && pool->has_allocation && pool->has_available);
        assert_true(pool->capacity > 0);
        assert_true(pool->allocation <= pool->capacity);
        assert_true(pool->available <= pool->capacity - pool->allocation);

        assert_int_equal(vk_storage_dir_delete(pool, &err), -ENOTEMPTY);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_build),
                cmocka_unit_test(test_build_on_file),
                cmocka_unit_test(test_refresh),
        };

        storage_test_init();
        return cmocka_run_group_tests(tests, storage_test_setup, storage_test_teardown);
}
