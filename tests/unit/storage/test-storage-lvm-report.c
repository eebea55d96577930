/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-storage-lvm-report.c: golden tests of a logical pool read from vgs and lvs reports */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "macro.h"
#include "storage-golden.h"
#include "storage-lvm-report.h"
#include "vk-golden.h"

/*
 * Data: tests/data/storage-lvm/, for the logical pool of vg0:
 *
 *   NAME.vgs.json, NAME.lvs.json   what vgs and lvs report (the command lines of
 *                                  vk_storage_lvm_vgs_argv() and vk_storage_lvm_lvs_argv())
 *   NAME.out                       the pool's XML then each volume's, its warning after it
 *   NAME.err                       the expected error instead
 */

static char *data_dir;

static char *read_input(const char *name, const char *suffix) {
        g_autofree char *path = g_strdup_printf("%s/%s%s", data_dir, name, suffix);
        char *text = vk_golden_read(path);

        assert_non_null(text);
        vk_golden_mark_used(path);
        return text;
}

static void test_case(void **state) {
        const char *name = *state;
        g_autoptr(VkStoragePoolDef) pool = storage_golden_pool(true);
        g_autofree char *vgs = read_input(name, ".vgs.json");
        g_autofree char *lvs = read_input(name, ".lvs.json");
        g_autofree char *out_path = g_strdup_printf("%s/%s.out", data_dir, name);
        g_autofree char *err_path = g_strdup_printf("%s/%s.err", data_dir, name);
        g_autoptr(GString) out = g_string_new(NULL);
        g_auto(VkError) err = VK_ERROR_INIT;
        g_autoptr(GPtrArray) vols = NULL;
        g_autofree char *msg = NULL, *pool_xml = NULL;
        int r;

        r = vk_storage_lvm_parse_vgs(vgs, pool, &err);
        if (r >= 0)
                r = vk_storage_lvm_parse_lvs(lvs, pool, &vols, NULL, &err);
        if (r < 0) {
                assert_string_equal(err.name, VK_ERROR_OPERATION_FAILED);
                msg = g_strdup_printf("%s\n", err.message);
                storage_golden_check(err_path, msg);
                storage_golden_check(out_path, NULL);
                return;
        }
        g_string_append(out, pool_xml = vk_storage_pool_def_format(pool));
        for (guint i = 0; i < vols->len; i++) {
                const VkStorageVolDef *v = vols->pdata[i];
                g_autofree char *xml = vk_storage_vol_def_format(v);

                g_string_append(out, xml);
                if (v->warning)
                        g_string_append_printf(out, "warning: %s\n", v->warning);
        }
        storage_golden_check(out_path, out->str);
        storage_golden_check(err_path, NULL);
}

static gint strcmp_p(gconstpointer a, gconstpointer b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

int main(void) {
        VkGoldenTests *t = vk_golden_tests_new();
        g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(GDir) d = NULL;
        const char *f;
        int r;

        data_dir = vk_golden_data_dir("storage-lvm");
        d = data_dir ? g_dir_open(data_dir, 0, NULL) : NULL;
        if (!d)
                return 1;
        while ((f = g_dir_read_name(d)))
                if (g_str_has_suffix(f, ".lvs.json"))
                        g_ptr_array_add(names, g_strndup(f, strlen(f) - strlen(".lvs.json")));
        g_ptr_array_sort(names, strcmp_p);
        for (guint i = 0; i < names->len; i++)
                vk_golden_tests_add(t, test_case, names->pdata[i], names->pdata[i]);
        r = vk_golden_tests_run(t, "storage-lvm-report", data_dir, NULL);
        g_free(data_dir);
        return r;
}
