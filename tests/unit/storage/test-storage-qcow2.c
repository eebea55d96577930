/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-storage-qcow2.c: the qcow2 images written in-process are byte for byte those of the
 * installed qemu-img (run with the command line the driver would run), and `qemu-img check`
 * finds nothing; what is left to qemu-img is said so */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "macro.h"
#include "storage-argv.h"
#include "storage-qcow2.h"
#include "storage-test-util.h"

typedef struct Case {
        const char *name;
        uint64_t capacity;
        const char *compat;
        uint64_t cluster_size;
        bool lazy_refcounts;
} Case;

static VkStorageVolDef *case_vol(const Case *c) {
        VkStorageVolDef *vol = vk_storage_vol_def_new();

        vol->name = g_strdup(c->name);
        vol->path = g_build_filename(storage_test_dir, c->name, NULL);
        vol->has_format = true;
        vol->format = VK_IMAGE_FORMAT_QCOW2;
        vol->has_capacity = true;
        vol->capacity = c->capacity;
        vol->compat = g_strdup(c->compat);
        vol->cluster_size = c->cluster_size;
        vol->lazy_refcounts = c->lazy_refcounts;
        return vol;
}

/* qemu-img's image of @vol (the driver's command line), read back. */
static char *qemu_img_image(const VkStorageVolDef *vol, size_t *ret_len) {
        const VkStorageTools tools = { .qemu_img = storage_test_qemu_img };
        g_auto(GStrv) argv = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;

        if (vk_storage_qemu_img_create_argv(&tools, vol, NULL, &argv, &err) < 0)
                fail_msg("%s", err.message);
        storage_test_run((const char *const *) argv);
        return storage_test_read(vol->path, ret_len);
}

/* @a and @b (@what) are the same bytes. */
static void assert_same(const char *what, const uint8_t *a, size_t a_len, const uint8_t *b,
                        size_t b_len) {
        size_t i = 0;

        if (a_len == b_len && memcmp(a, b, a_len) == 0)
                return;
        while (i < MIN(a_len, b_len) && a[i] == b[i])
                i++;
        fail_msg("%s: ours %zu bytes, qemu-img's %zu; they differ from byte %zu", what, a_len,
                 b_len, i);
}

static void check_case(const Case *c) {
        g_autoptr(VkStorageVolDef) vol = case_vol(c);
        g_autofree uint8_t *ours = NULL;
        g_autofree char *theirs = NULL, *written = NULL;
        g_autofree char *ours_path = NULL;
        size_t ours_len = 0, theirs_len = 0, written_len = 0;

        assert_true(vk_storage_qcow2_can_write(vol));
        ours = vk_storage_qcow2_image(vol, &ours_len);
        assert_non_null(ours);
        theirs = qemu_img_image(vol, &theirs_len);
        assert_same(c->name, ours, ours_len, (const uint8_t *) theirs, theirs_len);
        /* written into a file by the driver's function: the same bytes, and qemu-img checks it */
        ours_path = g_strconcat(vol->path, ".ours", NULL);
        {
                g_auto(VkError) err = VK_ERROR_INIT;
                vk_autofd fd = open(ours_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

                assert_true(fd >= 0);
                assert_int_equal(vk_storage_qcow2_create(fd, vol, &err), 0);
        }
        written = storage_test_read(ours_path, &written_len);
        assert_same(ours_path, (const uint8_t *) written, written_len, (const uint8_t *) theirs,
                    theirs_len);
        storage_test_run(VK_STRV(storage_test_qemu_img, "check", "-q", "-f", "qcow2", ours_path));
}

static void test_same_bytes(void **state) {
        static const Case cases[] = {
                { "default.qcow2", 10ULL << 30 },
                { "tiny.qcow2", 1 },
                { "odd.qcow2", 1000001 },
                { "exact.qcow2", 512ULL << 20 },
                { "one-more.qcow2", (512ULL << 20) + 512 },
                { "l1-two-clusters.qcow2", 5ULL << 40 },
                { "largest.qcow2", 52ULL << 40 },
                { "v2.qcow2", 10ULL << 30, "0.10" },
                { "v3.qcow2", 10ULL << 30, "1.1" },
                { "lazy.qcow2", 1ULL << 30, "1.1", 0, true },
                { "lazy-default.qcow2", 1ULL << 30, NULL, 0, true },
                { "c64k.qcow2", 10ULL << 30, NULL, 65536 },
                { "v2-big.qcow2", 3ULL << 40, "0.10" },
        };

        if (!storage_test_qemu_img)
                skip();
        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++)
                check_case(&cases[i]);
}

/* What qemu-img keeps doing: a backing store, preallocation, encryption, nocow, unknown
 * compat, cluster sizes other than 64 KiB, more than 1 MiB of metadata. */
static void test_left_to_qemu_img(void **state) {
        static const Case base = { "x.qcow2", 1ULL << 30 };
        g_autoptr(VkStorageVolDef) vol = NULL;

        vol = case_vol(&base);
        assert_true(vk_storage_qcow2_can_write(vol));
        vol->backing_path = g_strdup("/var/lib/virtkit/images/base.qcow2");
        vol->has_backing_format = true;
        vol->backing_format = VK_IMAGE_FORMAT_QCOW2;
        assert_false(vk_storage_qcow2_can_write(vol));
        g_clear_pointer(&vol->backing_path, g_free);
        vol->has_backing_format = false;
        vol->has_allocation = true;
        vol->allocation = vol->capacity;
        assert_false(vk_storage_qcow2_can_write(vol));
        vol->allocation = 4096; /* partial: qemu-img asks for no preallocation either */
        assert_true(vk_storage_qcow2_can_write(vol));
        vol->nocow = true;
        assert_false(vk_storage_qcow2_can_write(vol));
        vol->nocow = false;
        vol->encryption.present = true;
        assert_false(vk_storage_qcow2_can_write(vol));
        vol->encryption.present = false;
        g_free(vol->compat);
        vol->compat = g_strdup("0.10");
        vol->lazy_refcounts = true; /* qemu-img refuses it, and says why */
        assert_false(vk_storage_qcow2_can_write(vol));
        vol->lazy_refcounts = false;
        assert_true(vk_storage_qcow2_can_write(vol));
        g_free(vol->compat);
        vol->compat = g_strdup("2");
        assert_false(vk_storage_qcow2_can_write(vol));
        g_clear_pointer(&vol->compat, g_free);
        vol->cluster_size = 4096;
        assert_false(vk_storage_qcow2_can_write(vol));
        vol->cluster_size = 2u << 20;
        assert_false(vk_storage_qcow2_can_write(vol));
        vol->cluster_size = 65536;
        assert_true(vk_storage_qcow2_can_write(vol));
        vol->capacity = 53ULL << 40; /* an L1 table past 1 MiB */
        assert_false(vk_storage_qcow2_can_write(vol));
        vol->capacity = 1ULL << 30;
        vol->format = VK_IMAGE_FORMAT_RAW;
        assert_false(vk_storage_qcow2_can_write(vol));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_same_bytes),
                cmocka_unit_test(test_left_to_qemu_img),
        };

        storage_test_init();
        return cmocka_run_group_tests(tests, storage_test_setup, storage_test_teardown);
}
