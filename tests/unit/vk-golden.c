/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vk-golden.c: what every data-driven golden test shares (files, regeneration, randomness) */
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "vk-golden.h"

static bool regenerate;
static GHashTable *used_files;
static uint64_t rng_state;

/* Read VK_TEST_REGENERATE (1: rewrite goldens from the current output) and reset the state. */
void vk_golden_init(void) {
        regenerate = g_strcmp0(getenv("VK_TEST_REGENERATE"), "1") == 0;
        if (!used_files)
                used_files = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
}

bool vk_golden_regenerate(void) {
        return regenerate;
}

/* VK_TEST_SRCDIR/data/@subdir (tests/meson.build sets it), or NULL with a message. */
char *vk_golden_data_dir(const char *subdir) {
        const char *srcdir = getenv("VK_TEST_SRCDIR");

        if (!srcdir) {
                fprintf(stderr, "VK_TEST_SRCDIR is not set\n");
                return NULL;
        }
        return g_build_filename(srcdir, "data", subdir, NULL);
}

/* The file's contents, or NULL when it does not exist. */
char *vk_golden_read(const char *path) {
        char *contents = NULL;

        if (!g_file_get_contents(path, &contents, NULL, NULL))
                return NULL;
        return contents;
}

void vk_golden_write(const char *path, const char *contents) {
        assert_true(g_file_set_contents(path, contents, -1, NULL));
}

void vk_golden_mark_used(const char *path) {
        g_hash_table_add(used_files, g_strdup(path));
}

bool vk_golden_is_used(const char *path) {
        return g_hash_table_contains(used_files, path);
}

static gint strcmp_p(gconstpointer a, gconstpointer b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/*
 * Compare @got with the golden @path: @got NULL means the file must not exist. Marks @path
 * used; with VK_TEST_REGENERATE=1 writes (or removes) it instead.
 */
void vk_golden_check(const char *path, const char *got) {
        g_autofree char *expected = NULL;

        if (vk_golden_regenerate()) {
                if (got)
                        vk_golden_write(path, got);
                else
                        (void) g_unlink(path);
                return;
        }
        expected = vk_golden_read(path);
        if (got) {
                vk_golden_mark_used(path);
                if (!expected)
                        fail_msg("missing golden %s", path);
                assert_string_equal(got, expected);
        } else if (expected)
                fail_msg("%s exists, but nothing is generated for it", path);
}

/* The NAMEs of the valid inputs (NAME.xml without a NAME.err), sorted. */
GPtrArray *vk_golden_inputs(const char *dir) {
        GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
        const char *f;

        assert_non_null(d);
        while ((f = g_dir_read_name(d))) {
                g_autofree char *name = NULL, *err = NULL;

                if (!g_str_has_suffix(f, ".xml") || g_str_has_suffix(f, ".out.xml"))
                        continue;
                name = g_strndup(f, strlen(f) - 4);
                err = g_strdup_printf("%s/%s.err", dir, name);
                if (!g_file_test(err, G_FILE_TEST_EXISTS))
                        g_ptr_array_add(names, g_steal_pointer(&name));
        }
        g_ptr_array_sort(names, strcmp_p);
        return names;
}

/* Fail naming every file of @dir no test used (STYLE.md: unused data fails the suite), except
 * those @exempt (may be NULL) says another test owns. */
void vk_golden_check_unused(const char *dir, bool (*exempt)(const char *dir, const char *name)) {
        g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
        g_autoptr(GString) unused = g_string_new(NULL);
        const char *f;

        assert_non_null(d);
        while ((f = g_dir_read_name(d))) {
                g_autofree char *path = g_build_filename(dir, f, NULL);

                if (!vk_golden_is_used(path) && !(exempt && exempt(dir, f)))
                        g_string_append_printf(unused, " %s", f);
        }
        if (unused->len > 0)
                fail_msg("files no test used:%s", unused->str);
}

/* Deterministic "random" bytes (a fixed LCG), so generated UUIDs and MACs are the same on
 * every run and in every golden test. */
void vk_golden_random_seed(uint64_t seed) {
        rng_state = seed;
}

void vk_golden_random(void *buf, size_t len) {
        uint8_t *p = buf;

        for (size_t i = 0; i < len; i++) {
                rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
                p[i] = (uint8_t) (rng_state >> 56);
        }
}

/* --- the recorded QEMUs --- */

static void golden_qemu_free(gpointer p) {
        VkGoldenQemu *q = p;

        g_free(q->replies);
        g_free(q->version);
        g_free(q->arch);
        g_free(q->suffix);
        g_free(q);
}

static gint golden_qemu_cmp(gconstpointer a, gconstpointer b) {
        const VkGoldenQemu *x = *(VkGoldenQemu *const *) a, *y = *(VkGoldenQemu *const *) b;
        int r = strverscmp(x->version, y->version);

        return r != 0 ? r : strcmp(x->arch, y->arch);
}

/*
 * Every QEMU recorded in tests/data/qemucaps (a caps_VERSION_ARCH.replies file each), oldest
 * first: a new QEMU for the golden tests is a new data file, never a code change. NULL with a
 * message when the directory cannot be read or a name does not follow the pattern.
 */
GPtrArray *vk_golden_qemus(void) {
        g_autofree char *dir = vk_golden_data_dir("qemucaps");
        g_autoptr(GDir) d = dir ? g_dir_open(dir, 0, NULL) : NULL;
        g_autoptr(GPtrArray) qemus = g_ptr_array_new_with_free_func(golden_qemu_free);
        const char *f;

        if (!d) {
                fprintf(stderr, "cannot open %s\n", dir ? dir : "(unset VK_TEST_SRCDIR)");
                return NULL;
        }
        while ((f = g_dir_read_name(d))) {
                g_auto(GStrv) parts = NULL;
                g_autofree char *stem = NULL;
                VkGoldenQemu *q;

                if (!g_str_has_prefix(f, "caps_") || !g_str_has_suffix(f, ".replies"))
                        continue;
                stem = g_strndup(f + strlen("caps_"),
                                 strlen(f) - strlen("caps_") - strlen(".replies"));
                parts = g_strsplit(stem, "_", 2); /* the arch may have one: x86_64 */
                if (g_strv_length(parts) != 2 ||
                    !g_regex_match_simple("^[0-9]+\\.[0-9]+\\.[0-9]+$", parts[0], 0, 0)) {
                        fprintf(stderr, "%s: not caps_MAJOR.MINOR.MICRO_ARCH.replies\n", f);
                        return NULL;
                }
                q = g_new0(VkGoldenQemu, 1);
                q->replies = g_build_filename(dir, f, NULL);
                q->version = g_strdup(parts[0]);
                q->arch = g_strdup(parts[1]);
                q->suffix =
                        g_strdup_printf(".%s-%.*s", q->arch,
                                        (int) (strrchr(q->version, '.') - q->version), q->version);
                g_ptr_array_add(qemus, q);
        }
        if (qemus->len == 0) {
                fprintf(stderr, "%s: no caps_*.replies\n", dir);
                return NULL;
        }
        g_ptr_array_sort(qemus, golden_qemu_cmp);
        return g_steal_pointer(&qemus);
}

/* --- the parse / format / reparse stages of an XML model's golden directory --- */

typedef struct XmlCase {
        const VkGoldenXml *spec;
        char *name;
        char *input;
        char *golden_out;
        char *golden_err;
} XmlCase;

struct VkGoldenTests {
        GArray *tests;   /* struct CMUnitTest */
        GPtrArray *keep; /* what the tests point to: names, cases */
};

static char *unused_dir;
static bool (*unused_exempt)(const char *dir, const char *name);

VkGoldenTests *vk_golden_tests_new(void) {
        VkGoldenTests *t = g_new0(VkGoldenTests, 1);

        vk_golden_init();
        t->tests = g_array_new(FALSE, TRUE, sizeof(struct CMUnitTest));
        t->keep = g_ptr_array_new_with_free_func(g_free);
        return t;
}

/* Register @fn as the test @name (copied) with the prestate @state. */
void vk_golden_tests_add(VkGoldenTests *t, void (*fn)(void **state), const char *name,
                         void *state) {
        struct CMUnitTest test = cmocka_unit_test_prestate(fn, state);
        char *copy = g_strdup(name);

        g_ptr_array_add(t->keep, copy);
        test.name = copy;
        g_array_append_val(t->tests, test);
}

static int xml_case_parse(const XmlCase *c, void **ret, VkError *err) {
        g_autofree char *xml = vk_golden_read(c->input);

        assert_non_null(xml);
        vk_golden_random_seed(42);
        return c->spec->parse(xml, ret, err);
}

/* Parses, or fails with exactly the .err golden's text. */
static void xml_stage_parse(void **state) {
        const XmlCase *c = *state;
        g_auto(VkError) err = VK_ERROR_INIT;
        g_autofree char *expected = NULL, *got = NULL;
        void *obj = NULL;
        int r;

        r = xml_case_parse(c, &obj, &err);
        if (r < 0) {
                assert_true(vk_error_is_set(&err));
                assert_string_equal(err.name, VK_ERROR_INVALID_XML);
                assert_null(obj);
                got = g_strdup_printf("%s\n", err.message);
        } else
                c->spec->free(obj);

        if (vk_golden_regenerate()) {
                if (r < 0) {
                        vk_golden_write(c->golden_err, got);
                        (void) g_unlink(c->golden_out);
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

/* Formats to the golden. */
static void xml_stage_format(void **state) {
        const XmlCase *c = *state;
        g_auto(VkError) err = VK_ERROR_INIT;
        g_autofree char *expected = NULL, *xml = NULL;
        void *obj = NULL;

        if (xml_case_parse(c, &obj, &err) < 0) {
                if (vk_golden_regenerate())
                        skip();
                fail_msg("%s: %s", c->name, err.message);
        }
        xml = c->spec->format(obj);
        c->spec->free(obj);
        if (vk_golden_regenerate()) {
                vk_golden_write(c->golden_out, xml);
                return;
        }
        expected = vk_golden_read(c->golden_out);
        if (!expected)
                fail_msg("%s: missing golden %s", c->name, c->golden_out);
        assert_string_equal(xml, expected);
}

/* The golden parses and formats to the same bytes: the model round-trips. */
static void xml_stage_reparse(void **state) {
        const XmlCase *c = *state;
        g_auto(VkError) err = VK_ERROR_INIT;
        g_autofree char *golden = vk_golden_read(c->golden_out), *xml = NULL;
        void *obj = NULL;

        if (!golden && vk_golden_regenerate())
                skip();
        if (!golden)
                fail_msg("%s: missing golden %s", c->name, c->golden_out);
        vk_golden_random_seed(7); /* a golden needs no random bytes: they would show as a diff */
        if (c->spec->parse(golden, &obj, &err) < 0)
                fail_msg("%s: golden does not parse: %s", c->name, err.message);
        xml = c->spec->format(obj);
        assert_string_equal(xml, golden);
        if (c->spec->reparse_more)
                c->spec->reparse_more(c->name, golden, obj);
        c->spec->free(obj);
}

/*
 * Register the stages "NAME:parse", "NAME:format" and "NAME:reparse" for every NAME.xml
 * input in tests/data/@spec->subdir (an input with an .err golden only parses, except while
 * regenerating). *@ret_dir gets the directory. Returns -1 when it cannot be read.
 */
int vk_golden_tests_add_xml(VkGoldenTests *t, const VkGoldenXml *spec, char **ret_dir) {
        g_autofree char *dir = vk_golden_data_dir(spec->subdir);
        g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(GDir) d = dir ? g_dir_open(dir, 0, NULL) : NULL;
        const char *f;

        if (!d) {
                fprintf(stderr, "cannot open %s\n", dir ? dir : "(unset VK_TEST_SRCDIR)");
                return -1;
        }
        while ((f = g_dir_read_name(d)))
                if (g_str_has_suffix(f, ".xml") && !g_str_has_suffix(f, spec->out_suffix))
                        g_ptr_array_add(names, g_strndup(f, strlen(f) - 4));
        g_ptr_array_sort(names, strcmp_p);

        for (guint i = 0; i < names->len; i++) {
                XmlCase *c = g_new0(XmlCase, 1);
                const char *n = names->pdata[i];
                g_autofree char *p = g_strdup_printf("%s:parse", n);
                g_autofree char *fm = g_strdup_printf("%s:format", n);
                g_autofree char *rp = g_strdup_printf("%s:reparse", n);
                bool is_err;

                c->spec = spec;
                c->name = g_strdup(n);
                c->input = g_strdup_printf("%s/%s.xml", dir, n);
                c->golden_out = g_strdup_printf("%s/%s%s", dir, n, spec->out_suffix);
                c->golden_err = g_strdup_printf("%s/%s%s", dir, n, spec->err_suffix);
                g_ptr_array_add(t->keep, c); /* the case and its strings live until exit */
                g_ptr_array_add(t->keep, c->name);
                g_ptr_array_add(t->keep, c->input);
                g_ptr_array_add(t->keep, c->golden_out);
                g_ptr_array_add(t->keep, c->golden_err);
                is_err = g_file_test(c->golden_err, G_FILE_TEST_EXISTS);
                vk_golden_mark_used(c->input);
                vk_golden_mark_used(is_err ? c->golden_err : c->golden_out);

                vk_golden_tests_add(t, xml_stage_parse, p, c);
                /* when regenerating, a case may change sides: run every stage */
                if (!is_err || vk_golden_regenerate()) {
                        vk_golden_tests_add(t, xml_stage_format, fm, c);
                        vk_golden_tests_add(t, xml_stage_reparse, rp, c);
                }
        }
        *ret_dir = g_steal_pointer(&dir);
        return 0;
}

static void unused_files_test(void **state) {
        vk_golden_check_unused(unused_dir, unused_exempt);
}

/*
 * Run every registered test as the cmocka group @group, with a last test failing on files in
 * @unused_dir (may be NULL) that no test used, except what @exempt says (not while
 * regenerating). Frees @t. Returns cmocka's result.
 */
int vk_golden_tests_run(VkGoldenTests *t, const char *group, const char *unused_dir_,
                        bool (*exempt)(const char *dir, const char *name)) {
        int r;

        if (unused_dir_ && !vk_golden_regenerate()) {
                unused_dir = g_strdup(unused_dir_);
                unused_exempt = exempt;
                vk_golden_tests_add(t, unused_files_test, "unused-files", NULL);
        }
        r = _cmocka_run_group_tests(group, (struct CMUnitTest *) t->tests->data, t->tests->len,
                                    NULL, NULL);
        g_array_unref(t->tests);
        g_ptr_array_unref(t->keep);
        g_free(t);
        g_clear_pointer(&unused_dir, g_free);
        return r;
}
