/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-disk-chain.c: a starting domain's disk chains, read from real images made by qemu-img */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "macro.h"
#include "qemu-disk-chain.h"
#include "storage-test-util.h"

static char *path_of(const char *name) {
        return g_build_filename(storage_test_dir, name, NULL);
}

static char *image(const char *name, const char *format, const char *backing,
                   const char *backing_format) {
        return storage_test_image(name, format, backing, backing_format);
}

/* A domain of the disks in @disks (XML, one <disk> each after the other). */
static VkDomainDef *domain(const char *disks) {
        g_autofree char *xml = g_strdup_printf(
                "<domain type='qemu'><name>guest</name><memory unit='MiB'>64</memory>"
                "<os><type arch='x86_64' machine='pc'>hvm</type></os><devices>%s</devices>"
                "</domain>",
                disks);
        g_auto(VkError) err = VK_ERROR_INIT;
        VkDomainDef *def = NULL;

        if (vk_domain_def_parse_string(xml, 0, &def, &err) < 0)
                fail_msg("%s", err.message);
        return def;
}

static char *disk(const char *dev, const char *format, const char *path, const char *backing) {
        return g_strdup_printf("<disk type='file'><driver name='qemu' type='%s'/>"
                               "<source file='%s'/>%s<target dev='%s' bus='virtio'/></disk>",
                               format, path, backing ? backing : "", dev);
}

static void assert_layer(const VkDomainDisk *d, size_t i, const char *path, VkImageFormat f) {
        assert_true(i < d->n_backing);
        assert_int_equal(d->backing[i].type, VK_DISK_TYPE_FILE);
        assert_int_equal(d->backing[i].format, f);
        assert_string_equal(d->backing[i].path, path);
}

static void test_read_and_given(void **state) {
        g_autofree char *base = image("base.raw", "raw", NULL, NULL);
        g_autofree char *mid = image("mid.qcow2", "qcow2", "base.raw", "raw");
        g_autofree char *top = image("top.qcow2", "qcow2", mid, "qcow2");
        g_autofree char *alone = image("alone.qcow2", "qcow2", NULL, NULL);
        g_autofree char *given = g_strdup_printf(
                "<backingStore type='file'><format type='qcow2'/><source file='%s'/>"
                "</backingStore>",
                mid);
        g_autofree char *vda = disk("vda", "qcow2", top, NULL);
        g_autofree char *vdb = disk("vdb", "raw", top, NULL);
        g_autofree char *vdc = disk("vdc", "qcow2", "/nonexistent.qcow2", "<backingStore/>");
        g_autofree char *vdd = disk("vdd", "qcow2", top, given);
        g_autofree char *vde = disk("vde", "qcow2", alone, NULL);
        g_autofree char *all = g_strconcat(vda, vdb, vdc, vdd, vde, NULL);
        g_autoptr(VkDomainDef) def = domain(all);
        g_auto(VkError) err = VK_ERROR_INIT;

        assert_int_equal(vk_qemu_disk_chains_detect(def, &err), 0);
        /* read from the headers: qcow2 over qcow2 over raw, ended */
        assert_int_equal(def->disks[0]->n_backing, 2);
        assert_layer(def->disks[0], 0, mid, VK_IMAGE_FORMAT_QCOW2);
        assert_layer(def->disks[0], 1, base, VK_IMAGE_FORMAT_RAW);
        assert_true(def->disks[0]->backing_end);
        /* raw: its header is guest data, nothing below it, the chain stays unknown */
        assert_int_equal(def->disks[1]->n_backing, 0);
        assert_false(def->disks[1]->backing_end);
        /* ended in the XML: not read at all (the image does not even exist) */
        assert_int_equal(def->disks[2]->n_backing, 0);
        assert_true(def->disks[2]->backing_end);
        /* the given layer kept, the rest read from it */
        assert_int_equal(def->disks[3]->n_backing, 2);
        assert_layer(def->disks[3], 0, mid, VK_IMAGE_FORMAT_QCOW2);
        assert_layer(def->disks[3], 1, base, VK_IMAGE_FORMAT_RAW);
        assert_true(def->disks[3]->backing_end);
        /* a qcow2 without a backing file: a known, empty chain */
        assert_int_equal(def->disks[4]->n_backing, 0);
        assert_true(def->disks[4]->backing_end);
}

static void detect_fails(const char *disks, const char *const *words) {
        g_autoptr(VkDomainDef) def = domain(disks);
        g_auto(VkError) err = VK_ERROR_INIT;

        assert_true(vk_qemu_disk_chains_detect(def, &err) < 0);
        for (size_t i = 0; words[i]; i++)
                if (!strstr(err.message, words[i]))
                        fail_msg("'%s' not in '%s'", words[i], err.message);
}

static void test_refused(void **state) {
        g_autofree char *gone = path_of("gone.qcow2");
        g_autofree char *top = image("r-top.qcow2", "qcow2", gone, "qcow2");
        g_autofree char *a = path_of("loop-a.qcow2");
        g_autofree char *b = image("loop-b.qcow2", "qcow2", a, "qcow2");
        g_autofree char *a2 = image("loop-a.qcow2", "qcow2", b, "qcow2");
        g_autofree char *missing = disk("vda", "qcow2", top, NULL);
        g_autofree char *loop = disk("vdb", "qcow2", a, NULL);

        detect_fails(missing,
                     VK_STRV("disk 'vda'", "domain 'guest'", gone, "No such file or directory"));
        detect_fails(loop, VK_STRV("disk 'vdb'", "domain 'guest'", "loops", a));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_read_and_given),
                cmocka_unit_test(test_refused),
        };

        storage_test_init();
        if (!storage_test_qemu_img) {
                printf("1..0 # SKIP qemu-img is not installed\n");
                return 77;
        }
        return cmocka_run_group_tests(tests, storage_test_setup, storage_test_teardown);
}
