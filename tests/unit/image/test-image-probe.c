/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-image-probe.c: image headers made by the real qemu-img, cut short, and garbage */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <json-glib/json-glib.h>

#include "macro.h"
#include "image-probe.h"
#include "storage-test-util.h"
#include "vk-golden.h"

#define SECRET_OBJECT "secret,id=s0,data=hunter2"

/* qemu-img info's virtual size of @path: what the probe must find */
static uint64_t qemu_img_virtual_size(const char *path) {
        g_autoptr(JsonParser) p = json_parser_new();
        g_autofree char *out = NULL;
        int status;

        assert_true(g_spawn_sync(
                NULL, (char **) VK_STRV(storage_test_qemu_img, "info", "-U", "--output=json", path),
                NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, NULL, &status, NULL));
        assert_true(g_spawn_check_wait_status(status, NULL));
        assert_true(json_parser_load_from_data(p, out, -1, NULL));
        return (uint64_t) json_object_get_int_member(json_node_get_object(json_parser_get_root(p)),
                                                     "virtual-size");
}

/* @name in the temporary directory, made with "qemu-img create -q ARGS... PATH SIZE" */
static char *make_image(const char *name, const char *size, const char *const *args) {
        g_autoptr(GPtrArray) argv = g_ptr_array_new();
        char *path = g_build_filename(storage_test_dir, name, NULL);

        g_ptr_array_add(argv, storage_test_qemu_img);
        g_ptr_array_add(argv, (char *) "create");
        g_ptr_array_add(argv, (char *) "-q");
        for (const char *const *a = args; *a; a++)
                g_ptr_array_add(argv, (char *) *a);
        g_ptr_array_add(argv, path);
        g_ptr_array_add(argv, (char *) size);
        g_ptr_array_add(argv, NULL);
        storage_test_run((const char *const *) argv->pdata);
        return path;
}

static void probe_path(const char *path, VkImageProbe *ret) {
        size_t len;
        g_autofree char *data = storage_test_read(path, &len);

        assert_int_equal(vk_image_probe_buffer(data, len, ret), 0);
}

/* every prefix of the image probes without a crash, and says nothing it cannot back up */
static void probe_prefixes(const char *path, VkImageFormat format, size_t magic_end) {
        size_t len;
        g_autofree char *data = storage_test_read(path, &len);

        for (size_t n = 0; n <= len; n += n < 4200 ? 1 : 997) {
                g_auto(VkImageProbe) p = {};

                assert_int_equal(vk_image_probe_buffer(data, n, &p), 0);
                /* from where the magic number is whole */
                if (n >= magic_end)
                        assert_int_equal(p.format, format);
                if (!p.has_capacity && format != VK_IMAGE_FORMAT_VHDX)
                        assert_non_null(p.warning);
                if (p.backing)
                        assert_true(strlen(p.backing) <= VK_IMAGE_PROBE_NAME_MAX);
        }
}

static void test_formats(void **state) {
        const struct {
                const char *name;
                VkImageFormat format;
                const char *const *args;
        } cases[] = {
                { "a.raw", VK_IMAGE_FORMAT_RAW, VK_STRV("-f", "raw") },
                { "a.qcow2", VK_IMAGE_FORMAT_QCOW2, VK_STRV("-f", "qcow2") },
                { "a.qed", VK_IMAGE_FORMAT_QED, VK_STRV("-f", "qed") },
                { "a.vmdk", VK_IMAGE_FORMAT_VMDK, VK_STRV("-f", "vmdk") },
                { "a.vdi", VK_IMAGE_FORMAT_VDI, VK_STRV("-f", "vdi") },
                { "a.vhdx", VK_IMAGE_FORMAT_VHDX, VK_STRV("-f", "vhdx") },
                { "a.vpc", VK_IMAGE_FORMAT_VPC, VK_STRV("-f", "vpc") },
                { "a.luks", VK_IMAGE_FORMAT_LUKS,
                  VK_STRV("-f", "luks", "--object", SECRET_OBJECT, "-o",
                          "key-secret=s0,iter-time=10") },
        };

        if (!storage_test_qemu_img)
                skip();
        for (size_t i = 0; i < VK_ELEMENTSOF(cases); i++) {
                g_autofree char *path = make_image(cases[i].name, "3M", cases[i].args);
                g_auto(VkImageProbe) p = {};

                probe_path(path, &p);
                if (p.format != cases[i].format)
                        fail_msg("%s: probed as %s", cases[i].name,
                                 vk_image_format_to_string(p.format));
                assert_null(p.warning);
                assert_null(p.backing);
                assert_true(p.has_capacity);
                if (p.capacity != qemu_img_virtual_size(path))
                        fail_msg("%s: capacity %" G_GUINT64_FORMAT
                                 ", qemu-img says %" G_GUINT64_FORMAT,
                                 cases[i].name, p.capacity, qemu_img_virtual_size(path));
                assert_int_equal(p.crypt, cases[i].format == VK_IMAGE_FORMAT_LUKS
                                                  ? VK_IMAGE_PROBE_CRYPT_LUKS
                                                  : VK_IMAGE_PROBE_CRYPT_NONE);
                probe_prefixes(path, cases[i].format,
                               cases[i].format == VK_IMAGE_FORMAT_VDI ? 68 : 8);
        }
}

static void test_qcow2_details(void **state) {
        g_autofree char *base = NULL, *top = NULL, *old = NULL, *qed = NULL;
        g_auto(VkImageProbe) p = {}, p2 = {}, p4 = {};

        if (!storage_test_qemu_img)
                skip();
        base = make_image("base.raw", "1M", VK_STRV("-f", "raw"));
        top = make_image("top.qcow2", "64M",
                         VK_STRV("-f", "qcow2", "-b", "base.raw", "-F", "raw", "-o",
                                 "cluster_size=131072,lazy_refcounts=on"));
        probe_path(top, &p);
        assert_int_equal(p.format, VK_IMAGE_FORMAT_QCOW2);
        assert_int_equal(p.version, 3);
        assert_int_equal(p.cluster_bits, 17);
        assert_true(p.lazy_refcounts);
        assert_true(p.capacity == 64 << 20);
        assert_string_equal(p.backing, "base.raw");
        assert_true(p.has_backing_format);
        assert_int_equal(p.backing_format, VK_IMAGE_FORMAT_RAW);
        assert_null(p.warning);
        probe_prefixes(top, VK_IMAGE_FORMAT_QCOW2, 8);

        old = make_image("old.qcow2", "16M", VK_STRV("-f", "qcow2", "-o", "compat=0.10"));
        probe_path(old, &p2);
        assert_int_equal(p2.version, 2);
        assert_false(p2.lazy_refcounts);
        assert_true(p2.capacity == 16 << 20);
        probe_prefixes(old, VK_IMAGE_FORMAT_QCOW2, 8);

        qed = make_image("b.qed", "8M", VK_STRV("-f", "qed", "-b", base, "-F", "raw"));
        probe_path(qed, &p4);
        assert_int_equal(p4.format, VK_IMAGE_FORMAT_QED);
        assert_string_equal(p4.backing, base);
        assert_true(p4.has_backing_format);
        assert_int_equal(p4.backing_format, VK_IMAGE_FORMAT_RAW);
        probe_prefixes(qed, VK_IMAGE_FORMAT_QED, 8);
}

typedef struct Counted {
        const char *data;
        size_t len;
        unsigned reads;
} Counted;

static ssize_t counted_read(void *userdata, uint64_t offset, void *buf, size_t len) {
        Counted *c = userdata;

        c->reads++;
        if (offset >= c->len)
                return 0;
        len = MIN(len, c->len - (size_t) offset);
        memcpy(buf, c->data + offset, len);
        return (ssize_t) len;
}

/* The reads a probe of @path makes (a pool refresh makes one probe per file). */
static unsigned probe_reads(const char *path, VkImageProbe *ret) {
        g_autofree char *data = NULL;
        Counted c = {};

        data = storage_test_read(path, &c.len);
        c.data = data;
        assert_int_equal(vk_image_probe(counted_read, &c, c.len, ret), 0);
        return c.reads;
}

/* A qcow2 image as qemu-img writes it is probed in one read: its header, extensions and
 * backing file name are all in the first 4 KiB. */
static void test_qcow2_one_read(void **state) {
        g_autofree char *plain = NULL, *top = NULL, *v2 = NULL;
        g_auto(VkImageProbe) p = {}, p2 = {}, p3 = {};

        if (!storage_test_qemu_img)
                skip();
        plain = make_image("plain.qcow2", "10G", VK_STRV("-f", "qcow2"));
        assert_int_equal(probe_reads(plain, &p), 1);
        assert_true(p.capacity == 10ULL << 30);
        assert_null(p.warning);
        top = make_image("over.qcow2", "1G", VK_STRV("-f", "qcow2", "-b", plain, "-F", "qcow2"));
        assert_int_equal(probe_reads(top, &p2), 1);
        assert_string_equal(p2.backing, plain);
        assert_int_equal(p2.backing_format, VK_IMAGE_FORMAT_QCOW2);
        assert_null(p2.warning);
        v2 = make_image("v2.qcow2", "1G",
                        VK_STRV("-f", "qcow2", "-o", "compat=0.10", "-b", plain, "-F", "qcow2"));
        assert_int_equal(probe_reads(v2, &p3), 1);
        assert_string_equal(p3.backing, plain);
        assert_null(p3.warning);
}

/* vmdk: a descriptor file with a flat extent, and a child naming its parent */
static void test_vmdk(void **state) {
        g_autofree char *flat = NULL, *base = NULL, *child = NULL;
        g_auto(VkImageProbe) p = {}, p2 = {};

        if (!storage_test_qemu_img)
                skip();
        flat = make_image("d.vmdk", "10M", VK_STRV("-f", "vmdk", "-o", "subformat=monolithicFlat"));
        probe_path(flat, &p);
        assert_int_equal(p.format, VK_IMAGE_FORMAT_VMDK);
        assert_true(p.has_capacity);
        assert_true(p.capacity == qemu_img_virtual_size(flat));
        assert_null(p.warning);
        probe_prefixes(flat, VK_IMAGE_FORMAT_VMDK, 21);

        base = make_image("p.vmdk", "10M", VK_STRV("-f", "vmdk"));
        child = make_image("c.vmdk", "10M", VK_STRV("-f", "vmdk", "-b", "p.vmdk", "-F", "vmdk"));
        probe_path(child, &p2);
        assert_string_equal(p2.backing, "p.vmdk");
        assert_true(p2.has_backing_format);
        assert_int_equal(p2.backing_format, VK_IMAGE_FORMAT_VMDK);
        assert_true(p2.capacity == 10 << 20);
}

/* a filesystem image: ISO 9660's "CD001" in its first volume descriptor */
static void test_iso(void **state) {
        g_autofree uint8_t *buf = g_malloc0(64 * 1024);
        g_auto(VkImageProbe) p = {};

        memcpy(buf + 0x8001, "CD001", 5);
        assert_int_equal(vk_image_probe_buffer(buf, 64 * 1024, &p), 0);
        assert_int_equal(p.format, VK_IMAGE_FORMAT_ISO);
        assert_true(p.capacity == 64 * 1024);
}

static void put_be32(uint8_t *p, uint32_t v) {
        p[0] = v >> 24;
        p[1] = v >> 16;
        p[2] = v >> 8;
        p[3] = v;
}

static void put_be64(uint8_t *p, uint64_t v) {
        put_be32(p, v >> 32);
        put_be32(p + 4, (uint32_t) v);
}

/* a qcow2 version 3 header, 64 KiB clusters, 1 GiB, no backing file */
static uint8_t *qcow2_header(size_t len) {
        uint8_t *h = g_malloc0(len);

        memcpy(h, "QFI\xfb", 4);
        put_be32(h + 4, 3);
        put_be32(h + 20, 16);
        put_be64(h + 24, 1ULL << 30);
        put_be32(h + 100, 104);
        return h;
}

static void expect_warning(const uint8_t *h, size_t len, const char *warning) {
        g_auto(VkImageProbe) p = {};

        assert_int_equal(vk_image_probe_buffer(h, len, &p), 0);
        assert_int_equal(p.format, VK_IMAGE_FORMAT_QCOW2);
        assert_non_null(p.warning);
        assert_string_equal(p.warning, warning);
}

/* what a hostile or broken header says is checked before it is believed */
static void test_bad_headers(void **state) {
        g_autofree uint8_t *h = qcow2_header(8192);

        put_be64(h + 8, 4096); /* a backing name of 5000 bytes */
        put_be32(h + 16, 5000);
        expect_warning(h, 8192, "backing file name of 5000 bytes");
        put_be64(h + 8, 8190); /* past the end */
        put_be32(h + 16, 10);
        expect_warning(h, 8192, "backing file name past the end of the image");
        put_be64(h + 8, 4096);
        put_be32(h + 16, 4);
        memcpy(h + 4096, "a\0bc", 4);
        expect_warning(h, 8192, "backing file name contains a NUL byte");
        memcpy(h + 4096, "base", 4);
        put_be32(h + 104, 0xe2792aca); /* backing format "foo" */
        put_be32(h + 108, 3);
        memcpy(h + 112, "foo", 3);
        expect_warning(h, 8192, "unknown backing file format 'foo'");
        put_be32(h + 108, 100000); /* an extension longer than the header */
        expect_warning(h, 8192, "qcow2 header extension 0xe2792aca runs past the header");
        put_be32(h + 108, 3);
        put_be32(h + 100, 7); /* header length */
        expect_warning(h, 8192, "invalid qcow2 header length 7");
        put_be32(h + 100, 104);
        put_be32(h + 20, 40); /* cluster bits */
        expect_warning(h, 8192, "invalid qcow2 cluster bits 40");
        put_be32(h + 20, 16);
        put_be64(h + 72, 2); /* corrupt */
        expect_warning(h, 8192, "the qcow2 image is marked corrupt");
        put_be64(h + 72, 0);
        put_be32(h + 32, 7); /* encryption method */
        expect_warning(h, 8192, "unknown qcow2 encryption method 7");
        put_be32(h + 4, 9);
        expect_warning(h, 8192, "unknown qcow2 version 9");
        expect_warning(h, 5, "truncated qcow2 header (5 bytes)");
}

/* qcow2's encryption method: 1 AES (legacy), 2 LUKS (a LUKS qcow2 takes seconds to make) */
static void test_qcow2_crypt(void **state) {
        g_autofree uint8_t *h = qcow2_header(8192);
        g_auto(VkImageProbe) p = {}, p2 = {};

        put_be32(h + 32, 2);
        assert_int_equal(vk_image_probe_buffer(h, 8192, &p), 0);
        assert_int_equal(p.crypt, VK_IMAGE_PROBE_CRYPT_LUKS);
        assert_null(p.warning);
        put_be32(h + 32, 1);
        assert_int_equal(vk_image_probe_buffer(h, 8192, &p2), 0);
        assert_int_equal(p2.crypt, VK_IMAGE_PROBE_CRYPT_AES);
}

/* random bytes behind each magic number: no crash, no read outside the buffer (ASan) */
static void test_garbage(void **state) {
        static const char *const magics[] = { "QFI\xfb",  "QED",          "KDMV", "vhdxfile",
                                              "conectix", "LUKS\xba\xbe", "" };
        g_autofree uint8_t *buf = g_malloc(300 * 1024);

        vk_golden_random_seed(1);
        for (int round = 0; round < 400; round++) {
                size_t len = round % 5 == 0 ? 300 * 1024 : (size_t) (round * 37) % 9000;
                const char *m = magics[round % VK_ELEMENTSOF(magics)];
                g_auto(VkImageProbe) p = {};

                vk_golden_random(buf, len);
                memcpy(buf, m, MIN(strlen(m) + (m[0] == 'Q' && m[1] == 'E'), len));
                if (round % 3 == 0 && len > 0x30010)
                        memcpy(buf + 0x30000, "regi", 4);
                if (round % 2 == 0 && len > 108 && m[0] == 'Q' && m[1] == 'F') {
                        buf[4] = buf[5] = buf[6] = 0; /* version 3, or 2 */
                        buf[7] = 2 + round % 2 * 1;
                }
                assert_int_equal(vk_image_probe_buffer(buf, len, &p), 0);
                if (p.backing)
                        assert_true(strlen(p.backing) <= VK_IMAGE_PROBE_NAME_MAX);
        }
}

static ssize_t failing_read(void *userdata, uint64_t offset, void *buf, size_t len) {
        return -EIO;
}

static void test_read_error(void **state) {
        g_auto(VkImageProbe) p = {};

        assert_int_equal(vk_image_probe(failing_read, NULL, 1 << 20, &p), -EIO);
        assert_null(p.warning);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_formats),        cmocka_unit_test(test_qcow2_details),
                cmocka_unit_test(test_qcow2_one_read), cmocka_unit_test(test_iso),
                cmocka_unit_test(test_vmdk),           cmocka_unit_test(test_bad_headers),
                cmocka_unit_test(test_qcow2_crypt),    cmocka_unit_test(test_garbage),
                cmocka_unit_test(test_read_error),
        };

        storage_test_init();
        if (!storage_test_qemu_img)
                fprintf(stderr, "# qemu-img is not installed: images are not made\n");
        return cmocka_run_group_tests(tests, storage_test_setup, storage_test_teardown);
}
