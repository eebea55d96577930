/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-storage-vol-def.c: golden tests of libvirt's storage volume XML as volumes are created */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "macro.h"
#include "storage-def.h"
#include "storage-golden.h"
#include "vk-golden.h"

/*
 * Data: tests/data/volxml/ (from $VK_TEST_SRCDIR).
 *
 *   NAME.xml       a volume to create in the dir pool 'default' at /var/lib/virtkit/images
 *                  (logical/NAME.xml: in the logical pool of vg0)
 *   NAME.out.xml   the input parsed, given its pool's defaults, checked and formatted
 *   NAME.err       expected error text instead, exact
 *
 * The NAME.*.args files belong to test-storage-argv.
 */

static char *data_dir, *logical_dir;

static int vol_parse(const char *xml, void **ret, VkError *err) {
        return storage_golden_vol_parse(false, xml, (VkStorageVolDef **) ret, err);
}

static int lv_parse(const char *xml, void **ret, VkError *err) {
        return storage_golden_vol_parse(true, xml, (VkStorageVolDef **) ret, err);
}

static char *vol_format(void *obj) {
        return vk_storage_vol_def_format(obj);
}

static void vol_free(void *obj) {
        vk_storage_vol_def_free(obj);
}

static const VkGoldenXml vol_golden = {
        .subdir = "volxml",
        .out_suffix = ".out.xml",
        .err_suffix = ".err",
        .parse = vol_parse,
        .format = vol_format,
        .free = vol_free,
};

static const VkGoldenXml lv_golden = {
        .subdir = "volxml/logical",
        .out_suffix = ".out.xml",
        .err_suffix = ".err",
        .parse = lv_parse,
        .format = vol_format,
        .free = vol_free,
};

static bool vol_exempt(const char *dir, const char *name) {
        return strcmp(name, "logical") == 0;
}

static void test_enums(void **state) {
        for (int i = 0; i < _VK_STORAGE_VOL_TYPE_MAX; i++)
                assert_int_equal(vk_storage_vol_type_from_string(vk_storage_vol_type_to_string(i)),
                                 i);
        assert_int_equal(vk_storage_vol_type_from_string("netdir"), _VK_STORAGE_VOL_TYPE_INVALID);
}

/* a volume read back (not created): parses without a pool, formats what it was given */
static void test_live_roundtrip(void **state) {
        static const char xml[] = "<volume type='file'>\n"
                                  "  <name>a</name>\n"
                                  "  <key>/p/a</key>\n"
                                  "  <capacity unit='bytes'>0</capacity>\n"
                                  "  <allocation unit='bytes'>0</allocation>\n"
                                  "  <target>\n"
                                  "    <path>/p/a</path>\n"
                                  "    <format type='raw'/>\n"
                                  "  </target>\n"
                                  "</volume>\n";
        g_autoptr(VkStorageVolDef) vol = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        g_autofree char *out = NULL;

        assert_int_equal(vk_storage_vol_def_parse_string(xml, &vol, &err), 0);
        out = vk_storage_vol_def_format(vol);
        assert_string_equal(out, xml);
}

/* the unused-file check of the runner covers volxml/; this one volxml/logical/ */
static void test_unused_logical(void **state) {
        vk_golden_check_unused(logical_dir, NULL);
}

/* what is allocated at creation must fit in the pool's available bytes; sparse may not */
static void test_free_space(void **state) {
        g_autoptr(VkStoragePoolDef) pool = storage_golden_pool(false);
        g_auto(VkError) err = VK_ERROR_INIT;
        const char *full = "<volume><name>f.img</name><capacity unit='G'>2</capacity></volume>";
        const char *sparse = "<volume><name>s.qcow2</name><capacity unit='T'>2</capacity>"
                             "<target><format type='qcow2'/></target></volume>";
        g_autoptr(VkStorageVolDef) a = NULL, b = NULL;

        pool->has_available = true;
        pool->available = 1ULL << 30;
        assert_int_equal(vk_storage_vol_def_parse_string(full, &a, &err), 0);
        assert_int_equal(vk_storage_vol_def_fill_defaults(a, pool, &err), 0);
        assert_int_equal(vk_storage_vol_def_check_new(a, pool, &err), -ENOSPC);
        assert_string_equal(err.message, "/volume/allocation: volume 'f.img' needs 2147483648 "
                                         "bytes, pool 'default' has 1073741824 available");
        vk_error_done(&err);
        assert_int_equal(vk_storage_vol_def_parse_string(sparse, &b, &err), 0);
        assert_int_equal(vk_storage_vol_def_fill_defaults(b, pool, &err), 0);
        assert_int_equal(vk_storage_vol_def_check_new(b, pool, &err), 0);
}

int main(void) {
        VkGoldenTests *t = vk_golden_tests_new();
        int r;

        vk_golden_tests_add(t, test_enums, "enums", NULL);
        vk_golden_tests_add(t, test_live_roundtrip, "live-roundtrip", NULL);
        vk_golden_tests_add(t, test_free_space, "free-space", NULL);
        if (vk_golden_tests_add_xml(t, &vol_golden, &data_dir) < 0 ||
            vk_golden_tests_add_xml(t, &lv_golden, &logical_dir) < 0)
                return 1;
        if (!vk_golden_regenerate())
                vk_golden_tests_add(t, test_unused_logical, "unused-files-logical", NULL);
        r = vk_golden_tests_run(t, "storage-vol-def", data_dir, vol_exempt);
        g_free(data_dir);
        g_free(logical_dir);
        return r;
}
