/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-objdir.c: definitions directories: sorted scans, autostart links and marker, filters */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "atomic-file.h"
#include "macro.h"
#include "objdir.h"

static char *tmpdir(void) {
        char *dir = g_dir_make_tmp("test-objdir-XXXXXX", NULL);

        assert_non_null(dir);
        return dir;
}

static void rm_rf(const char *dir) {
        (void) g_spawn_sync(NULL, (char **) (const char *const[]){ "rm", "-rf", "--", dir, NULL },
                            NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL, NULL);
}

static void touch(const char *dir, const char *name) {
        g_autofree char *path = g_build_filename(dir, name, NULL);

        assert_int_equal(vk_atomic_file_write(path, "", 0, 0600, NULL), 0);
}

static void on_file(const char *name, const char *path, void *userdata) {
        GString *seen = userdata;
        g_autofree char *base = g_path_get_basename(path);

        g_string_append_printf(seen, "%s=%s;", name, base);
}

/* every NAME.xml, sorted; no other suffix, no bare ".xml" */
static void test_scan(void **state) {
        g_autofree char *dir = tmpdir();
        g_autoptr(GString) seen = g_string_new(NULL);

        touch(dir, "b.xml");
        touch(dir, "a.xml");
        touch(dir, ".xml");
        touch(dir, "c.status");
        touch(dir, "a.xml~");
        vk_objdir_scan(dir, ".xml", on_file, seen);
        assert_string_equal(seen->str, "a=a.xml;b=b.xml;");
        g_string_truncate(seen, 0);
        vk_objdir_scan("/nonexistent/objdir", ".xml", on_file, seen);
        assert_string_equal(seen->str, "");
        rm_rf(dir);
}

static void test_autostart(void **state) {
        g_autofree char *dir = tmpdir();
        g_autofree char *link = g_build_filename(dir, "n.xml", NULL);
        g_autofree char *target = NULL;
        g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
        g_auto(VkError) err = VK_ERROR_INIT;

        for (int i = 0; i < 2; i++) /* idempotent */
                assert_int_equal(vk_objdir_set_autostart(dir, "n", true, &err), 0);
        target = g_file_read_link(link, NULL);
        assert_string_equal(target, "../n.xml");
        for (int i = 0; i < 2; i++)
                assert_int_equal(vk_objdir_set_autostart(dir, "n", false, &err), 0);
        assert_false(g_file_test(link, G_FILE_TEST_IS_SYMLINK));

        assert_true(vk_objdir_autostart_once(dir, warnings));
        assert_false(vk_objdir_autostart_once(dir, warnings));
        assert_int_equal(warnings->len, 0);
        rm_rf(dir);
}

static void test_filter(void **state) {
        g_auto(VkError) err = VK_ERROR_INIT;
        VkTristate t;

        assert_int_equal(vk_tristate_filter_parse("active", NULL, &t, &err), 0);
        assert_int_equal(t, VK_TRISTATE_ABSENT);
        assert_true(vk_tristate_matches(t, true) && vk_tristate_matches(t, false));
        assert_int_equal(vk_tristate_filter_parse("active", "no", &t, &err), 0);
        assert_true(!vk_tristate_matches(t, true) && vk_tristate_matches(t, false));
        assert_int_equal(vk_tristate_filter_parse("active", "maybe", &t, &err), -EINVAL);
        assert_string_equal(err.name, VK_ERROR_INVALID_ARGUMENT);
        assert_string_equal(err.message, "active: unsupported value 'maybe' (expected yes or no)");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_scan),
                cmocka_unit_test(test_autostart),
                cmocka_unit_test(test_filter),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
