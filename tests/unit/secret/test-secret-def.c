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

typedef struct Case {
        char *name;
        char *input;
        char *golden_xml;
        char *golden_err;
} Case;

static char *data_dir;
static int parse_case(const Case *c, VkSecretDef **ret_def, VkError *err) {
        g_autofree char *xml = vk_golden_read(c->input);

        assert_non_null(xml);
        vk_golden_random_seed(42);
        return vk_secret_def_parse_string(xml, ret_def, err);
}

static void test_parse(void **state) {
        const Case *c = *state;
        g_autoptr(VkSecretDef) def = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        g_autofree char *expected = NULL;
        g_autofree char *got = NULL;
        int r;

        r = parse_case(c, &def, &err);
        if (r < 0) {
                assert_true(vk_error_is_set(&err));
                assert_string_equal(err.name, VK_ERROR_INVALID_XML);
                assert_null(def);
                got = g_strdup_printf("%s\n", err.message);
        }

        if (vk_golden_regenerate()) {
                if (r < 0) {
                        vk_golden_write(c->golden_err, got);
                        (void) g_unlink(c->golden_xml);
                } else
                        (void) g_unlink(c->golden_err);
                return;
        }

        expected = vk_golden_read(c->golden_err);
        if (!expected) {
                if (r < 0)
                        fail_msg("%s: unexpected error: %s", c->name, err.message);
                return;
        }
        if (r >= 0)
                fail_msg("%s: parsed, but expected error: %s", c->name, expected);
        assert_string_equal(got, expected);
}

static void test_format(void **state) {
        const Case *c = *state;
        g_autoptr(VkSecretDef) def = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        g_autofree char *expected = NULL;
        g_autofree char *xml = NULL;

        if (parse_case(c, &def, &err) < 0) {
                if (vk_golden_regenerate())
                        skip();
                fail_msg("%s: %s", c->name, err.message);
        }
        xml = vk_secret_def_format(def);

        if (vk_golden_regenerate()) {
                vk_golden_write(c->golden_xml, xml);
                return;
        }
        expected = vk_golden_read(c->golden_xml);
        if (!expected)
                fail_msg("%s: missing golden %s", c->name, c->golden_xml);
        assert_string_equal(xml, expected);
}

static void test_reparse(void **state) {
        const Case *c = *state;
        g_autoptr(VkSecretDef) def = NULL;
        g_autoptr(VkSecretDef) copy = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        g_autofree char *golden = NULL;
        g_autofree char *xml = NULL;
        g_autofree char *xml2 = NULL;

        golden = vk_golden_read(c->golden_xml);
        if (!golden && vk_golden_regenerate())
                skip();
        if (!golden)
                fail_msg("%s: missing golden %s", c->name, c->golden_xml);

        vk_golden_random_seed(
                7); /* a golden always has its UUID: random bytes would show as a diff */
        if (vk_secret_def_parse_string(golden, &def, &err) < 0)
                fail_msg("%s: golden does not parse: %s", c->name, err.message);
        xml = vk_secret_def_format(def);
        assert_string_equal(xml, golden);

        copy = vk_secret_def_copy(def);
        xml2 = vk_secret_def_format(copy);
        assert_string_equal(xml2, golden);
}

static void test_unused_files(void **state) {
        vk_golden_check_unused(data_dir, NULL);
}

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

static void case_free(gpointer p) {
        Case *c = p;

        g_free(c->name);
        g_free(c->input);
        g_free(c->golden_xml);
        g_free(c->golden_err);
        g_free(c);
}

static gint strcmp_p(gconstpointer a, gconstpointer b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

int main(void) {
        g_autoptr(GPtrArray) cases = g_ptr_array_new_with_free_func(case_free);
        g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(GArray) tests = g_array_new(FALSE, TRUE, sizeof(struct CMUnitTest));
        g_autoptr(GPtrArray) test_names = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(GDir) dir = NULL;
        const char *srcdir = getenv("VK_TEST_SRCDIR");
        const char *f;
        int r;

        if (!srcdir) {
                fprintf(stderr, "VK_TEST_SRCDIR is not set\n");
                return 1;
        }
        data_dir = g_build_filename(srcdir, "data", "secretxml", NULL);
        vk_golden_init();
        vk_secret_def_set_random_source(vk_golden_random);

        dir = g_dir_open(data_dir, 0, NULL);
        if (!dir) {
                fprintf(stderr, "cannot open %s\n", data_dir);
                return 1;
        }
        while ((f = g_dir_read_name(dir)))
                if (g_str_has_suffix(f, ".xml") && !g_str_has_suffix(f, ".out.xml"))
                        g_ptr_array_add(names, g_strndup(f, strlen(f) - 4));
        g_ptr_array_sort(names, strcmp_p);

        for (guint i = 0; i < names->len; i++) {
                Case *c = g_new0(Case, 1);
                const char *n = names->pdata[i];

                c->name = g_strdup(n);
                c->input = g_strdup_printf("%s/%s.xml", data_dir, n);
                c->golden_xml = g_strdup_printf("%s/%s.out.xml", data_dir, n);
                c->golden_err = g_strdup_printf("%s/%s.err", data_dir, n);
                vk_golden_mark_used(c->input);
                if (g_file_test(c->golden_err, G_FILE_TEST_EXISTS))
                        vk_golden_mark_used(c->golden_err);
                else
                        vk_golden_mark_used(c->golden_xml);
                g_ptr_array_add(cases, c);
        }

#define ADD(fn, label, st)                                                                         \
        do {                                                                                       \
                struct CMUnitTest t = cmocka_unit_test_prestate(fn, st);                           \
                char *nm = g_strdup(label);                                                        \
                g_ptr_array_add(test_names, nm);                                                   \
                t.name = nm;                                                                       \
                g_array_append_val(tests, t);                                                      \
        } while (0)

        ADD(test_usage_type_enum, "usage-type-enum", NULL);
        ADD(test_model_fields, "model-fields", NULL);
        ADD(test_generated_uuid_random, "generated-uuid-random", NULL);
        ADD(test_limits, "limits", NULL);
        ADD(test_parse_file, "parse-file", NULL);

        for (guint i = 0; i < cases->len; i++) {
                Case *c = cases->pdata[i];
                g_autofree char *p = g_strdup_printf("%s:parse", c->name);
                g_autofree char *fm = g_strdup_printf("%s:format", c->name);
                g_autofree char *rp = g_strdup_printf("%s:reparse", c->name);
                bool is_err = g_file_test(c->golden_err, G_FILE_TEST_EXISTS);

                ADD(test_parse, p, c);
                /* when regenerating, a case may change sides: run every stage */
                if (!is_err || vk_golden_regenerate()) {
                        ADD(test_format, fm, c);
                        ADD(test_reparse, rp, c);
                }
        }
        if (!vk_golden_regenerate())
                ADD(test_unused_files, "unused-files", NULL);

        r = _cmocka_run_group_tests("secret-def", (struct CMUnitTest *) tests->data, tests->len,
                                    NULL, NULL);

        g_free(data_dir);
        return r;
}
