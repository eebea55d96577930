/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-storage-pool-def.c: golden tests of libvirt's storage pool XML, parse, define, format */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "macro.h"
#include "storage-def.h"
#include "vk-golden.h"

/*
 * Data: tests/data/poolxml/ (from $VK_TEST_SRCDIR).
 *
 *   NAME.xml       input
 *   NAME.out.xml   the input parsed, defined (defaults filled, deterministic random bytes)
 *                  and formatted
 *   NAME.err       expected error text instead, exact
 *
 * Stages per case: "parse", "format", "reparse". VK_TEST_REGENERATE=1 rewrites the goldens.
 */

static char *data_dir;

static int pool_parse_define(const char *xml, void **ret, VkError *err) {
        g_autoptr(VkStoragePoolDef) def = NULL;
        int r;

        r = vk_storage_pool_def_parse_string(xml, &def, err);
        if (r < 0)
                return r;
        r = vk_storage_pool_def_fill_defaults(def, vk_golden_random, err);
        if (r < 0)
                return r;
        *ret = g_steal_pointer(&def);
        return 0;
}

static char *pool_format(void *obj) {
        return vk_storage_pool_def_format(obj);
}

static void pool_free(void *obj) {
        vk_storage_pool_def_free(obj);
}

/* a copy formats the same */
static void pool_reparse_more(const char *name, const char *golden, void *obj) {
        g_autoptr(VkStoragePoolDef) copy = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        g_autofree char *xml = NULL;

        assert_int_equal(vk_storage_pool_def_copy(obj, &copy, &err), 0);
        xml = vk_storage_pool_def_format(copy);
        assert_string_equal(xml, golden);
}

static const VkGoldenXml pool_golden = {
        .subdir = "poolxml",
        .out_suffix = ".out.xml",
        .err_suffix = ".err",
        .parse = pool_parse_define,
        .format = pool_format,
        .free = pool_free,
        .reparse_more = pool_reparse_more,
};

static void test_enums(void **state) {
        for (int i = 0; i < _VK_STORAGE_POOL_TYPE_MAX; i++)
                assert_int_equal(
                        vk_storage_pool_type_from_string(vk_storage_pool_type_to_string(i)), i);
        for (int i = 0; i < _VK_STORAGE_FS_FORMAT_MAX; i++)
                assert_int_equal(
                        vk_storage_fs_format_from_string(vk_storage_fs_format_to_string(i)), i);
        for (int i = 0; i < _VK_STORAGE_LVM_FORMAT_MAX; i++)
                assert_int_equal(
                        vk_storage_lvm_format_from_string(vk_storage_lvm_format_to_string(i)), i);
        for (int i = 0; i < _VK_IMAGE_FORMAT_MAX; i++)
                assert_int_equal(vk_image_format_from_string(vk_image_format_to_string(i)), i);
        assert_null(vk_storage_pool_type_to_string(_VK_STORAGE_POOL_TYPE_MAX));
        assert_int_equal(vk_storage_pool_type_from_string("netfs"), _VK_STORAGE_POOL_TYPE_INVALID);
        assert_int_equal(vk_image_format_from_string(NULL), _VK_IMAGE_FORMAT_INVALID);
}

/* libvirt's unit suffixes */
static void test_units(void **state) {
        static const struct {
                const char *unit;
                uint64_t scale;
        } ok[] = {
                { "b", 1 },
                { "bytes", 1 },
                { "Byte", 1 },
                { "k", 1024 },
                { "KiB", 1024 },
                { "KB", 1000 },
                { "kb", 1000 },
                { "M", 1ULL << 20 },
                { "MiB", 1ULL << 20 },
                { "MB", 1000000 },
                { "G", 1ULL << 30 },
                { "GB", 1000000000 },
                { "T", 1ULL << 40 },
                { "TB", 1000000000000ULL },
                { "P", 1ULL << 50 },
                { "PB", 1000000000000000ULL },
                { "E", 1ULL << 60 },
                { "EiB", 1ULL << 60 },
                { "EB", 1000000000000000000ULL },
        };
        uint64_t s;

        for (size_t i = 0; i < VK_ELEMENTSOF(ok); i++) {
                assert_int_equal(vk_storage_unit_scale(ok[i].unit, &s), 0);
                assert_true(s == ok[i].scale);
        }
        assert_int_equal(vk_storage_unit_scale(NULL, &s), 0);
        assert_true(s == 1);
        for (const char *const *bad = VK_STRV("", "Z", "KiBB", "Ki", "kbytes", "ZiB", "x"); *bad;
             bad++)
                assert_int_equal(vk_storage_unit_scale(*bad, &s), -EINVAL);
}

static void test_limits(void **state) {
        g_autoptr(VkStoragePoolDef) def = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        g_autoptr(GString) big = g_string_new("<pool type='logical'><name>vg</name><source>");

        for (int i = 0; i <= VK_STORAGE_DEVICES_MAX; i++)
                g_string_append_printf(big, "<device path='/dev/d%d'/>", i);
        g_string_append(big, "</source></pool>");
        assert_int_equal(vk_storage_pool_def_parse_string(big->str, &def, &err), -E2BIG);
        assert_string_equal(err.name, VK_ERROR_LIMIT_EXCEEDED);
        vk_error_done(&err);

        g_string_assign(big, "<pool type='dir'><name>n</name>");
        while (big->len <= VK_STORAGE_XML_MAX)
                g_string_append(big, "<!-- 0123456789abcdef -->");
        g_string_append(big, "</pool>");
        assert_int_equal(vk_storage_pool_def_parse_string(big->str, &def, &err), -E2BIG);
        assert_string_equal(err.name, VK_ERROR_LIMIT_EXCEEDED);
        assert_null(def);
}

static void test_parse_file(void **state) {
        g_autoptr(VkStoragePoolDef) def = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        g_autofree char *path = g_build_filename(data_dir, "err-type-unknown.xml", NULL);

        assert_int_equal(vk_storage_pool_def_parse_file(path, &def, &err), -EINVAL);
        assert_string_equal(err.message, "/pool/@type: unsupported pool type 'iscsi'");
        vk_error_done(&err);
        assert_int_equal(vk_storage_pool_def_parse_file("/nonexistent/p.xml", &def, &err), -ENOENT);
}

int main(void) {
        VkGoldenTests *t = vk_golden_tests_new();
        int r;

        vk_golden_tests_add(t, test_enums, "enums", NULL);
        vk_golden_tests_add(t, test_units, "units", NULL);
        vk_golden_tests_add(t, test_limits, "limits", NULL);
        vk_golden_tests_add(t, test_parse_file, "parse-file", NULL);
        if (vk_golden_tests_add_xml(t, &pool_golden, &data_dir) < 0)
                return 1;
        r = vk_golden_tests_run(t, "storage-pool-def", data_dir, NULL);
        g_free(data_dir);
        return r;
}
