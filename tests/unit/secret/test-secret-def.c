/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-secret-def.c: golden tests of libvirt's secret XML, parse and format */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <glib/gstdio.h>

#include "secret-def.h"
#include "vk-golden.h"

/*
 * Data: tests/data/secretxml/ (from $VK_TEST_SRCDIR).
 *
 *   NAME.xml       input
 *   NAME.out.xml   expected format of the parsed input
 *   NAME.err       expected error text instead, exact
 *
 * Stages per case: "parse" (succeeds, or fails with the .err text), "format" (matches the
 * golden), "reparse" (the golden parses and formats to the same bytes). VK_TEST_REGENERATE=1
 * rewrites the goldens. The last test fails if any file of the directory was not used.
 */

static char *data_dir;

static int secret_parse(const char *xml, void **ret, VkError *err) {
        return vk_secret_def_parse_string(xml, (VkSecretDef **) ret, err);
}

static char *secret_format(void *obj) {
        return vk_secret_def_format(obj);
}

static void secret_free(void *obj) {
        vk_secret_def_free(obj);
}

/* a copy formats the same */
static void secret_reparse_more(const char *name, const char *golden, void *obj) {
        g_autoptr(VkSecretDef) copy = vk_secret_def_copy(obj);
        g_autofree char *xml = vk_secret_def_format(copy);

        assert_string_equal(xml, golden);
}

static const VkGoldenXml secret_golden = {
        .subdir = "secretxml",
        .out_suffix = ".out.xml",
        .err_suffix = ".err",
        .parse = secret_parse,
        .format = secret_format,
        .free = secret_free,
        .reparse_more = secret_reparse_more,
};

/* ---- model unit tests ------------------------------------------------------------------- */

static void test_usage_type_enum(void **state) {
        for (int i = 0; i < _VK_SECRET_USAGE_MAX; i++) {
                const char *s = vk_secret_usage_type_to_string(i);

                assert_non_null(s);
                assert_int_equal(vk_secret_usage_type_from_string(s), i);
        }
        assert_null(vk_secret_usage_type_to_string(_VK_SECRET_USAGE_MAX));
        assert_null(vk_secret_usage_type_to_string(_VK_SECRET_USAGE_INVALID));
        assert_int_equal(vk_secret_usage_type_from_string("Volume"), _VK_SECRET_USAGE_INVALID);
        assert_int_equal(vk_secret_usage_type_from_string(NULL), _VK_SECRET_USAGE_INVALID);
}

static void test_model_fields(void **state) {
        g_autoptr(VkSecretDef) def = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        char buf[VK_UUID_STRING_MAX];

        assert_int_equal(
                vk_secret_def_parse_string("<secret ephemeral='yes' private='yes'>"
                                           "<uuid>0a81f5b2-8403-7b23-c8d6-21ccc2f80d6f</uuid>"
                                           "<usage type='ceph'><name> client.admin </name></usage>"
                                           "</secret>",
                                           &def, &err),
                0);
        assert_true(def->ephemeral);
        assert_true(def->is_private);
        assert_null(def->description);
        assert_int_equal(def->usage_type, VK_SECRET_USAGE_CEPH);
        assert_string_equal(def->usage_id, "client.admin");
        assert_string_equal(vk_uuid_format(&def->uuid, buf),
                            "0a81f5b2-8403-7b23-c8d6-21ccc2f80d6f");
}

static void test_generated_uuid_random(void **state) {
        g_autoptr(VkSecretDef) a = NULL;
        g_autoptr(VkSecretDef) b = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;

        /* the real source: two definitions without <uuid> get different ones */
        vk_secret_def_set_random_source(NULL);
        assert_int_equal(vk_secret_def_parse_string("<secret/>", &a, &err), 0);
        assert_int_equal(vk_secret_def_parse_string("<secret/>", &b, &err), 0);
        vk_secret_def_set_random_source(vk_golden_random);
        assert_false(vk_uuid_is_null(&a->uuid));
        assert_false(vk_uuid_equal(&a->uuid, &b->uuid));
        assert_int_equal(a->uuid.bytes[6] >> 4, 4);
}

static void test_limits(void **state) {
        g_autoptr(VkSecretDef) def = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        g_autoptr(GString) big = g_string_new("<secret><description>");

        while (big->len <= VK_SECRET_XML_MAX)
                g_string_append(big, "0123456789abcdef");
        g_string_append(big, "</description></secret>");
        assert_int_equal(vk_secret_def_parse_string(big->str, &def, &err), -E2BIG);
        assert_string_equal(err.name, VK_ERROR_LIMIT_EXCEEDED);
        assert_null(def);
}

static void test_parse_file(void **state) {
        g_autoptr(VkSecretDef) def = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        g_autofree char *path = g_build_filename(data_dir, "err-bad-uuid.xml", NULL);

        assert_int_equal(vk_secret_def_parse_file(path, &def, &err), -EINVAL);
        /* the message names the file's element path; the file itself is named by the caller */
        assert_string_equal(err.message, "/secret/uuid: invalid UUID 'not-a-uuid'");
        vk_error_done(&err);
        assert_int_equal(vk_secret_def_parse_file("/nonexistent/x.xml", &def, &err), -ENOENT);
}

int main(void) {
        VkGoldenTests *t = vk_golden_tests_new();
        int r;

        vk_secret_def_set_random_source(vk_golden_random);
        vk_golden_tests_add(t, test_usage_type_enum, "usage-type-enum", NULL);
        vk_golden_tests_add(t, test_model_fields, "model-fields", NULL);
        vk_golden_tests_add(t, test_generated_uuid_random, "generated-uuid-random", NULL);
        vk_golden_tests_add(t, test_limits, "limits", NULL);
        vk_golden_tests_add(t, test_parse_file, "parse-file", NULL);
        if (vk_golden_tests_add_xml(t, &secret_golden, &data_dir) < 0)
                return 1;
        r = vk_golden_tests_run(t, "secret-def", data_dir, NULL);
        g_free(data_dir);
        return r;
}
