/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-storage-signature.c: what a device holds, from the signatures at their offsets */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "macro.h"
#include "storage-signature.h"

#define SIZE (128 * 1024)

static ssize_t buf_read(void *userdata, uint64_t offset, void *buf, size_t len) {
        if (offset >= SIZE)
                return 0;
        len = MIN(len, (size_t) (SIZE - offset));
        memcpy(buf, (uint8_t *) userdata + offset, len);
        return (ssize_t) len;
}

static int look(uint8_t *dev, const char **what) {
        return vk_storage_signature(buf_read, dev, SIZE, what);
}

static void test_signatures(void **state) {
        static const struct {
                size_t offset;
                const char *magic;
                const char *what;
        } cases[] = {
                { 1080, "\x53\xef", "an ext2/ext3/ext4 filesystem" },
                { 0, "XFSB", "an XFS filesystem" },
                { 65600, "_BHRfS_M", "a btrfs filesystem" },
                { 536, "LVM2 001", "an LVM physical volume" },
                { 0, "LUKS\xba\xbe", "a LUKS volume" },
                { 4086, "SWAPSPACE2", "swap space" },
                { 0x8001, "CD001", "an ISO 9660 filesystem" },
                { 512, "EFI PART", "a GPT partition table" },
                { 54, "FAT16   ", "a FAT filesystem" },
                { 82, "FAT32   ", "a FAT filesystem" },
        };
        g_autofree uint8_t *dev = g_malloc0(SIZE);
        const char *what = NULL;

        assert_int_equal(look(dev, &what), 0);
        for (size_t i = 0; i < VK_ELEMENTSOF(cases); i++) {
                memset(dev, 0, SIZE);
                memcpy(dev + cases[i].offset, cases[i].magic, strlen(cases[i].magic));
                assert_int_equal(look(dev, &what), 1);
                assert_string_equal(what, cases[i].what);
        }

        /* an MBR: its boot signature alone is not enough, a used partition entry is */
        memset(dev, 0, SIZE);
        dev[510] = 0x55;
        dev[511] = 0xaa;
        assert_int_equal(look(dev, &what), 0);
        dev[446 + 16 + 4] = 0x83;
        assert_int_equal(look(dev, &what), 1);
        assert_string_equal(what, "a partition table");

        /* a device too small for a signature's offset is not read there */
        memset(dev, 0, SIZE);
        memcpy(dev + 1080, "\x53\xef", 2);
        assert_int_equal(vk_storage_signature(buf_read, dev, 1000, &what), 0);
}

static ssize_t failing_read(void *userdata, uint64_t offset, void *buf, size_t len) {
        return -EIO;
}

static void test_errors(void **state) {
        g_auto(VkError) err = VK_ERROR_INIT;
        const char *what = NULL;

        assert_int_equal(vk_storage_signature(failing_read, NULL, SIZE, &what), -EIO);
        assert_int_equal(vk_storage_signature_path("/nonexistent/dev", &what, &err), -ENOENT);
        vk_error_done(&err);
        assert_int_equal(vk_storage_signature_path("/", &what, &err), -EINVAL);
        assert_string_equal(err.message, "'/' is neither a block device nor a file");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_signatures),
                cmocka_unit_test(test_errors),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
