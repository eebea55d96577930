/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-network-defaults.c: what a network gets when it is defined (UUID, bridge, MAC) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "macro.h"
#include "network-defaults.h"
#include "network-golden.h"
#include "vk-golden.h"

/* the lowest virbrN not in use */
static void test_bridge_name(void **state) {
        g_autoptr(VkNetworkDef) def = network_test_parse("<network><name>n</name></network>");
        g_autoptr(VkNetworkDef) def2 = network_test_parse("<network><name>n</name></network>");
        g_auto(VkError) err = VK_ERROR_INIT;

        assert_int_equal(vk_network_def_fill_defaults(def, NULL, vk_golden_random, &err), 0);
        assert_string_equal(def->bridge_name, "virbr0");
        assert_int_equal(vk_network_def_fill_defaults(def2,
                                                      VK_STRV("virbr0", "virbr1", "virbr3", "eth0"),
                                                      vk_golden_random, &err),
                         0);
        assert_string_equal(def2->bridge_name, "virbr2");
}

/* a template, a fixed name, and a template with no free name */
static void test_bridge_template(void **state) {
        g_autoptr(VkNetworkDef) tmpl =
                network_test_parse("<network><name>n</name><bridge name='lab%dbr'/>"
                                   "</network>");
        g_autoptr(VkNetworkDef) fixed =
                network_test_parse("<network><name>n</name><bridge name='virbr0'/>"
                                   "</network>");
        g_autoptr(VkNetworkDef) full =
                network_test_parse("<network><name>n</name>"
                                   "<bridge name='abcdefghijklmn%d'/></network>");
        g_auto(VkError) err = VK_ERROR_INIT;

        assert_int_equal(
                vk_network_def_fill_defaults(tmpl, VK_STRV("lab0br"), vk_golden_random, &err), 0);
        assert_string_equal(tmpl->bridge_name, "lab1br");
        /* a fixed name stays, in use or not: starting the network checks it */
        assert_int_equal(
                vk_network_def_fill_defaults(fixed, VK_STRV("virbr0"), vk_golden_random, &err), 0);
        assert_string_equal(fixed->bridge_name, "virbr0");
        /* 15 characters at most: abcdefghijklmn0..9, then nothing fits */
        assert_int_equal(vk_network_def_fill_defaults(full,
                                                      VK_STRV("abcdefghijklmn0", "abcdefghijklmn1",
                                                              "abcdefghijklmn2", "abcdefghijklmn3",
                                                              "abcdefghijklmn4", "abcdefghijklmn5",
                                                              "abcdefghijklmn6", "abcdefghijklmn7",
                                                              "abcdefghijklmn8", "abcdefghijklmn9"),
                                                      vk_golden_random, &err),
                         -EEXIST);
        assert_string_equal(err.message, "network 'n': no free bridge name for the template "
                                         "'abcdefghijklmn%d'");
}

/* the names in use are needed (and listed by the driver) only when a name is picked */
static void test_needs_bridge_name(void **state) {
        static const struct {
                const char *xml;
                bool needs;
        } cases[] = {
                { "<network><name>n</name></network>", true },
                { "<network><name>n</name><bridge name='lab%dbr'/></network>", true },
                { "<network><name>n</name><forward mode='nat'/><bridge name='br9'/></network>",
                  false },
                { "<network><name>n</name><forward mode='bridge'/><bridge name='br0'/>"
                  "</network>",
                  false },
        };

        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                g_autoptr(VkNetworkDef) def = network_test_parse(cases[i].xml);
                g_auto(VkError) err = VK_ERROR_INIT;
                g_autofree char *before = g_strdup(def->bridge_name);

                assert_int_equal(vk_network_def_needs_bridge_name(def), cases[i].needs);
                if (cases[i].needs)
                        continue;
                /* no list given: a fixed or unmanaged bridge keeps its name */
                assert_int_equal(vk_network_def_fill_defaults(def, NULL, NULL, &err), 0);
                assert_string_equal(def->bridge_name, before);
        }
}

static void test_mac_uuid(void **state) {
        g_autoptr(VkNetworkDef) a = network_test_parse("<network><name>n</name></network>");
        g_autoptr(VkNetworkDef) b = network_test_parse("<network><name>n</name></network>");
        g_autoptr(VkNetworkDef) keep =
                network_test_parse("<network><name>n</name>"
                                   "<uuid>81ff0d90-c91e-6742-64da-4a736edb9a9b</uuid>"
                                   "<bridge name='b' stp='off' delay='3'/>"
                                   "<mac address='12:34:56:78:9a:bc'/></network>");
        g_auto(VkError) err = VK_ERROR_INIT;
        char buf[VK_UUID_STRING_MAX];

        /* the real random source: two networks differ */
        assert_int_equal(vk_network_def_fill_defaults(a, NULL, NULL, &err), 0);
        assert_int_equal(vk_network_def_fill_defaults(b, NULL, NULL, &err), 0);
        assert_true(a->has_uuid && a->has_mac);
        assert_false(vk_uuid_equal(&a->uuid, &b->uuid));
        assert_int_equal(a->uuid.bytes[6] >> 4, 4);
        assert_memory_equal(a->mac.bytes, ((uint8_t[]){ 0x52, 0x54, 0x00 }), 3);
        assert_int_equal(a->bridge_stp, VK_TRISTATE_YES);
        assert_true(a->has_bridge_delay);
        assert_int_equal(a->bridge_delay, 0);

        /* what is set stays */
        assert_int_equal(vk_network_def_fill_defaults(keep, NULL, NULL, &err), 0);
        assert_string_equal(vk_uuid_format(&keep->uuid, buf),
                            "81ff0d90-c91e-6742-64da-4a736edb9a9b");
        assert_int_equal(keep->mac.bytes[0], 0x12);
        assert_int_equal(keep->bridge_stp, VK_TRISTATE_NO);
        assert_int_equal(keep->bridge_delay, 3);
}

/* host bridges and macvtap networks get a UUID only: their devices are not ours */
static void test_unmanaged(void **state) {
        g_autoptr(VkNetworkDef) def =
                network_test_parse("<network><name>n</name><forward mode='bridge'/>"
                                   "<bridge name='br0'/></network>");
        g_auto(VkError) err = VK_ERROR_INIT;

        assert_int_equal(vk_network_def_fill_defaults(def, NULL, vk_golden_random, &err), 0);
        assert_true(def->has_uuid);
        assert_false(def->has_mac);
        assert_false(def->has_bridge_delay);
        assert_int_equal(def->bridge_stp, VK_TRISTATE_ABSENT);
        assert_string_equal(def->bridge_name, "br0");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_bridge_name),       cmocka_unit_test(test_bridge_template),
                cmocka_unit_test(test_needs_bridge_name), cmocka_unit_test(test_mac_uuid),
                cmocka_unit_test(test_unmanaged),
        };

        vk_golden_random_seed(1);
        return cmocka_run_group_tests_name("network-defaults", tests, NULL, NULL);
}
