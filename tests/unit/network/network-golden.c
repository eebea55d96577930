/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* network-golden.c: the inputs of tests/data/networkxml, shared by the generator tests */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <glib/gstdio.h>

#include "network-defaults.h"
#include "network-golden.h"
#include "vk-golden.h"

/* tests/data/networkxml */
char *network_golden_dir(void) {
        return vk_golden_data_dir("networkxml");
}

static gint strcmp_p(gconstpointer a, gconstpointer b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* The NAMEs of the valid inputs (NAME.xml without a NAME.err), sorted. */
GPtrArray *network_golden_inputs(const char *dir) {
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

/*
 * Register @fn as the test NAME, with NAME as its state, for every valid input of @dir.
 * Returns the names: keep them until the tests have run.
 */
GPtrArray *network_golden_add_cases(VkGoldenTests *t, const char *dir, void (*fn)(void **state)) {
        GPtrArray *names = network_golden_inputs(dir);

        for (guint i = 0; i < names->len; i++)
                vk_golden_tests_add(t, fn, names->pdata[i], names->pdata[i]);
        return names;
}

/* @xml parsed, or the test fails with the parser's message. */
VkNetworkDef *network_test_parse(const char *xml) {
        g_auto(VkError) err = VK_ERROR_INIT;
        VkNetworkDef *def = NULL;

        if (vk_network_def_parse_string(xml, &def, &err) < 0)
                fail_msg("%s", err.message);
        return def;
}

/* NAME.xml parsed and defined (defaults filled with the golden random bytes). */
VkNetworkDef *network_golden_load(const char *dir, const char *name) {
        g_autofree char *path = g_strdup_printf("%s/%s.xml", dir, name);
        g_autofree char *xml = vk_golden_read(path);
        g_auto(VkError) err = VK_ERROR_INIT;
        VkNetworkDef *def = NULL;

        assert_non_null(xml);
        vk_golden_random_seed(NETWORK_GOLDEN_SEED);
        if (vk_network_def_parse_string(xml, &def, &err) < 0)
                fail_msg("%s: %s", name, err.message);
        if (vk_network_def_fill_defaults(def, NULL, vk_golden_random, &err) < 0)
                fail_msg("%s: %s", name, err.message);
        return def;
}

/*
 * Compare @got with the golden @path: @got NULL means the file must not exist. Marks @path
 * used; with VK_TEST_REGENERATE=1 writes (or removes) it instead.
 */
void network_golden_check(const char *path, const char *got) {
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

bool network_golden_has_suffix(const char *name, const char *const *suffixes) {
        for (size_t i = 0; suffixes[i]; i++)
                if (g_str_has_suffix(name, suffixes[i]))
                        return true;
        return false;
}
