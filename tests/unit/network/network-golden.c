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

/* The NAMEs of the valid inputs (NAME.xml without a NAME.err), sorted. */
GPtrArray *network_golden_inputs(const char *dir) {
        return vk_golden_inputs(dir);
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

/* Compare @got with the golden @path (see vk_golden_check()). */
void network_golden_check(const char *path, const char *got) {
        vk_golden_check(path, got);
}

bool network_golden_has_suffix(const char *name, const char *const *suffixes) {
        for (size_t i = 0; suffixes[i]; i++)
                if (g_str_has_suffix(name, suffixes[i]))
                        return true;
        return false;
}
