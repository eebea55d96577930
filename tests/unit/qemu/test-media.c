/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-media.c: which drive a change-media names, virsh's checks, the new source; the nodes */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "qemu-argv.h"
#include "qemu-media.h"

static const char XML[] =
        "<domain type='qemu'><name>m</name><memory unit='MiB'>64</memory>"
        "<os><type arch='x86_64' machine='pc'>hvm</type></os><devices>"
        "<disk type='file' device='cdrom'><driver name='qemu' type='raw'/>"
        "<source file='/img/a.iso'/><target dev='hdc' bus='ide'/><readonly/></disk>"
        "<disk type='file' device='floppy'><target dev='fda' bus='fdc'/></disk>"
        "<disk type='file' device='disk'><driver name='qemu' type='raw'/>"
        "<source file='/img/d.img'/><target dev='hda' bus='ide'/></disk>"
        "</devices></domain>";

static VkDomainDef *parse(void) {
        g_auto(VkError) err = VK_ERROR_INIT;
        VkDomainDef *def = NULL;

        if (vk_domain_def_parse_string(XML, 0, &def, &err) < 0)
                fail_msg("parse: %s", err.message);
        return def;
}

static void expect_find_error(const VkDomainDef *def, const char *name, const char *message) {
        g_auto(VkError) err = VK_ERROR_INIT;
        size_t i;

        assert_true(vk_qemu_media_find_disk(def, name, &i, &err) < 0);
        assert_string_equal(err.message, message);
}

static void test_find(void **state) {
        g_autoptr(VkDomainDef) def = parse();
        size_t i = 99;

        assert_int_equal(vk_qemu_media_find_disk(def, "hdc", &i, NULL), 0);
        assert_int_equal(i, 0);
        assert_int_equal(vk_qemu_media_find_disk(def, "/img/a.iso", &i, NULL), 0);
        assert_int_equal(i, 0);
        assert_int_equal(vk_qemu_media_find_disk(def, "fda", &i, NULL), 0);
        assert_int_equal(i, 1);
        expect_find_error(def, "sdz", "No disk found whose source path or target is sdz");
        expect_find_error(def, "hda", "disk 'hda' is not a cdrom or floppy");
        expect_find_error(def, "/img/d.img", "disk 'hda' is not a cdrom or floppy");
}

static void expect_check_error(const VkDomainDisk *disk, VkQemuMediaAction a, const char *src,
                               const char *message) {
        g_auto(VkError) err = VK_ERROR_INIT;

        assert_true(vk_qemu_media_check(disk, a, src, &err) < 0);
        assert_string_equal(err.message, message);
}

static void test_check(void **state) {
        g_autoptr(VkDomainDef) def = parse();
        const VkDomainDisk *full = def->disks[0], *empty = def->disks[1];

        assert_int_equal(vk_qemu_media_check(full, VK_QEMU_MEDIA_EJECT, NULL, NULL), 0);
        assert_int_equal(vk_qemu_media_check(empty, VK_QEMU_MEDIA_INSERT, "/b.iso", NULL), 0);
        assert_int_equal(vk_qemu_media_check(full, VK_QEMU_MEDIA_UPDATE, NULL, NULL), 0);
        assert_int_equal(vk_qemu_media_check(empty, VK_QEMU_MEDIA_CHANGE, "/b.iso", NULL), 0);
        expect_check_error(empty, VK_QEMU_MEDIA_EJECT, NULL,
                           "The disk device 'fda' doesn't have media");
        expect_check_error(full, VK_QEMU_MEDIA_INSERT, "/b.iso",
                           "The disk device 'hdc' already has media");
        expect_check_error(empty, VK_QEMU_MEDIA_INSERT, NULL,
                           "No disk source specified for inserting media");
        expect_check_error(full, VK_QEMU_MEDIA_CHANGE, "b.iso",
                           "disk 'hdc': source 'b.iso' must be an absolute path");
        assert_int_equal(vk_qemu_media_action_from_string("eject"), VK_QEMU_MEDIA_EJECT);
        assert_string_equal(vk_qemu_media_action_to_string(VK_QEMU_MEDIA_UPDATE), "update");
        assert_true(vk_qemu_media_action_from_string("bogus") < 0);
}

/* The new medium's nodes are the command line's: same names, the disk's format. */
static void test_nodes(void **state) {
        g_autoptr(VkDomainDef) def = parse();
        VkQemuArgvOptions opts = { .private_dir = "/run/x" };
        g_auto(GStrv) nodes = NULL;
        g_autofree char *node = NULL;

        assert_int_equal(vk_qemu_argv_disk_blockdevs(def, 1, &opts, &nodes, &node, NULL), 0);
        assert_null(node);
        assert_null(nodes[0]);
        g_clear_pointer(&nodes, g_strfreev);
        vk_qemu_media_set_source(def->disks[1], "/img/f.img", false);
        assert_int_equal(def->disks[1]->type, VK_DISK_TYPE_FILE);
        assert_int_equal(vk_qemu_argv_disk_blockdevs(def, 0, &opts, &nodes, &node, NULL), 0);
        assert_string_equal(node, "libvirt-3-format");
        assert_int_equal(g_strv_length(nodes), 2);
        assert_non_null(strstr(nodes[0], "\"filename\":\"/img/a.iso\""));
        assert_non_null(strstr(nodes[0], "\"node-name\":\"libvirt-3-storage\""));
        assert_non_null(strstr(nodes[1], "\"read-only\":true"));
        vk_qemu_media_set_source(def->disks[0], NULL, false);
        assert_null(def->disks[0]->src_path);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_find),
                cmocka_unit_test(test_check),
                cmocka_unit_test(test_nodes),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
