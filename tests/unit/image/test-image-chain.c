/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-image-chain.c: backing chains of real images made with qemu-img */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "macro.h"
#include "image-chain.h"
#include "storage-test-util.h"

static char *path_of(const char *name) {
        return g_build_filename(storage_test_dir, name, NULL);
}

static char *image(const char *name, const char *format, const char *backing,
                   const char *backing_format) {
        return storage_test_image(name, format, backing, backing_format);
}

static GPtrArray *walk_ok(const char *path, VkImageFormat format, unsigned max) {
        g_auto(VkError) err = VK_ERROR_INIT;
        GPtrArray *layers = NULL;

        if (vk_image_chain_walk(path, format, max, &layers, &err) < 0)
                fail_msg("%s", err.message);
        return layers;
}

static void walk_fails(const char *path, VkImageFormat format, unsigned max, int error,
                       const char *message) {
        g_auto(VkError) err = VK_ERROR_INIT;
        GPtrArray *layers = NULL;

        assert_int_equal(vk_image_chain_walk(path, format, max, &layers, &err), error);
        assert_null(layers);
        assert_string_equal(err.message, message);
}

static const VkImageChainLayer *layer(GPtrArray *layers, guint i) {
        return layers->pdata[i];
}

/* base.raw <- mid.qcow2 (relative name) <- top.qcow2 (absolute name) */
static void test_three_deep(void **state) {
        g_autofree char *base = image("base.raw", "raw", NULL, NULL);
        g_autofree char *mid = image("mid.qcow2", "qcow2", "base.raw", "raw");
        g_autofree char *top = image("top.qcow2", "qcow2", mid, "qcow2");
        g_autoptr(GPtrArray) layers = walk_ok(top, VK_IMAGE_FORMAT_QCOW2, 0);

        assert_int_equal(layers->len, 3);
        assert_string_equal(layer(layers, 0)->path, top);
        assert_string_equal(layer(layers, 1)->path, mid);
        assert_string_equal(layer(layers, 2)->path, base);
        assert_int_equal(layer(layers, 0)->format, VK_IMAGE_FORMAT_QCOW2);
        assert_int_equal(layer(layers, 1)->format, VK_IMAGE_FORMAT_QCOW2);
        assert_int_equal(layer(layers, 2)->format, VK_IMAGE_FORMAT_RAW);
        for (guint i = 0; i < 3; i++) {
                assert_false(layer(layers, i)->format_probed);
                assert_false(layer(layers, i)->is_block);
                assert_true(layer(layers, i)->capacity == 1 << 20);
                assert_null(layer(layers, i)->warning);
        }

        /* the top probed: a raw file alone is fine */
        g_ptr_array_unref(layers);
        layers = walk_ok(base, _VK_IMAGE_FORMAT_INVALID, 0);
        assert_int_equal(layers->len, 1);
        assert_true(layer(layers, 0)->format_probed);
        assert_int_equal(layer(layers, 0)->format, VK_IMAGE_FORMAT_RAW);

        /* told raw, a qcow2 is a raw image: its header is guest data */
        g_ptr_array_unref(layers);
        layers = walk_ok(top, VK_IMAGE_FORMAT_RAW, 0);
        assert_int_equal(layers->len, 1);
        assert_true(layer(layers, 0)->capacity > 0);
}

static void test_refused(void **state) {
        g_autofree char *base = image("r-base.raw", "raw", NULL, NULL);
        g_autofree char *top = image("r-top.qcow2", "qcow2", "r-base.raw", "raw");
        g_autofree char *missing = image("r-missing.qcow2", "qcow2", "gone.raw", "raw");
        g_autofree char *nbd = image("r-nbd.qcow2", "qcow2", "nbd://localhost:10809/x", "raw");
        g_autofree char *gone = path_of("gone.raw");
        g_autofree char *msg = NULL;

        msg = g_strdup_printf("image '%s' has no recorded format and looks like 'qcow2' with "
                              "the backing file 'r-base.raw': refusing to guess (record it "
                              "with qemu-img rebase -F)",
                              top);
        walk_fails(top, _VK_IMAGE_FORMAT_INVALID, 0, -EINVAL, msg);
        g_free(msg);
        msg = g_strdup_printf("image '%s' is not of format 'qcow2' (its header says 'raw')", base);
        walk_fails(base, VK_IMAGE_FORMAT_QCOW2, 0, -EINVAL, msg);
        g_free(msg);
        msg = g_strdup_printf("Failed to open image '%s': No such file or directory", gone);
        walk_fails(missing, VK_IMAGE_FORMAT_QCOW2, 0, -ENOENT, msg);
        g_free(msg);
        msg = g_strdup_printf("image '%s': the backing store 'nbd://localhost:10809/x' is not a "
                              "local file",
                              nbd);
        walk_fails(nbd, VK_IMAGE_FORMAT_QCOW2, 0, -EOPNOTSUPP, msg);
        g_free(msg);
        msg = g_strdup_printf("image '%s' is neither a file nor a block device", storage_test_dir);
        walk_fails(storage_test_dir, VK_IMAGE_FORMAT_RAW, 0, -EINVAL, msg);
}

/* a.qcow2 -> b.qcow2 -> a.qcow2; and a chain deeper than allowed */
static void test_loop_and_depth(void **state) {
        g_autofree char *a = image("loop-a.qcow2", "qcow2", "loop-b.qcow2", "qcow2");
        g_autofree char *b = image("loop-b.qcow2", "qcow2", "loop-a.qcow2", "qcow2");
        g_autofree char *d0 = image("d0.raw", "raw", NULL, NULL);
        g_autofree char *d1 = image("d1.qcow2", "qcow2", "d0.raw", "raw");
        g_autofree char *d2 = image("d2.qcow2", "qcow2", "d1.qcow2", "qcow2");
        g_autofree char *d3 = image("d3.qcow2", "qcow2", "d2.qcow2", "qcow2");
        g_autofree char *msg = NULL;
        g_autoptr(GPtrArray) layers = NULL;

        msg = g_strdup_printf("backing chain of '%s' loops: '%s' is in it twice", a, a);
        walk_fails(a, VK_IMAGE_FORMAT_QCOW2, 0, -ELOOP, msg);
        g_free(msg);
        msg = g_strdup_printf("backing chain of '%s' is deeper than 3 images (at '%s')", d3, d0);
        walk_fails(d3, VK_IMAGE_FORMAT_QCOW2, 3, -ELOOP, msg);
        layers = walk_ok(d3, VK_IMAGE_FORMAT_QCOW2, 4);
        assert_int_equal(layers->len, 4);
}

/* a backing format the header does not record: probed, and only allowed without a backing */
static void test_unrecorded_backing_format(void **state) {
        g_autofree char *base = image("u-base.raw", "raw", NULL, NULL);
        g_autofree char *top = image("u-top.qcow2", "qcow2", "u-base.raw", "raw");
        g_autofree char *mid = image("u-mid.qcow2", "qcow2", "u-base.raw", "raw");
        g_autofree char *top2 = image("u-top2.qcow2", "qcow2", "u-mid.qcow2", "qcow2");
        g_autofree char *msg = NULL;
        g_autoptr(GPtrArray) layers = NULL;

        /* rename the backing format extension to an unknown type, which readers skip */
        for (const char *p = top;; p = top2) {
                size_t len;
                g_autofree char *data = storage_test_read(p, &len);
                const uint8_t ext[4] = { 0xe2, 0x79, 0x2a, 0xca };
                uint8_t *e = memmem(data, MIN(len, (size_t) 65536), ext, 4);

                assert_non_null(e);
                e[0] = 0x12;
                storage_test_write(p, data, len);
                if (p == top2)
                        break;
        }
        layers = walk_ok(top, VK_IMAGE_FORMAT_QCOW2, 0);
        assert_int_equal(layers->len, 2);
        assert_false(layer(layers, 0)->format_probed);
        assert_true(layer(layers, 1)->format_probed);
        assert_int_equal(layer(layers, 1)->format, VK_IMAGE_FORMAT_RAW);

        msg = g_strdup_printf("image '%s' has no recorded format and looks like 'qcow2' with "
                              "the backing file 'u-base.raw': refusing to guess (record it "
                              "with qemu-img rebase -F)",
                              mid);
        walk_fails(top2, VK_IMAGE_FORMAT_QCOW2, 0, -EINVAL, msg);
}

/* vmdk names its parent by a hint, always a vmdk: followed without guessing */
static void test_vmdk(void **state) {
        g_autofree char *base = image("v-base.vmdk", "vmdk", NULL, NULL);
        g_autofree char *child = path_of("v-child.vmdk");
        g_autoptr(GPtrArray) layers = NULL;

        storage_test_run(VK_STRV(storage_test_qemu_img, "create", "-q", "-f", "vmdk", "-b",
                                 "v-base.vmdk", "-F", "vmdk", child, "1M"));
        layers = walk_ok(child, VK_IMAGE_FORMAT_VMDK, 0);
        assert_int_equal(layers->len, 2);
        assert_string_equal(layer(layers, 1)->path, base);
        assert_int_equal(layer(layers, 1)->format, VK_IMAGE_FORMAT_VMDK);
        assert_false(layer(layers, 1)->format_probed);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_three_deep),
                cmocka_unit_test(test_refused),
                cmocka_unit_test(test_loop_and_depth),
                cmocka_unit_test(test_unrecorded_backing_format),
                cmocka_unit_test(test_vmdk),
        };

        storage_test_init();
        if (!storage_test_qemu_img) {
                printf("1..0 # SKIP qemu-img is not installed\n");
                return 77;
        }
        return cmocka_run_group_tests(tests, storage_test_setup, storage_test_teardown);
}
