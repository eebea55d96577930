/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-network-validate.c: the checks of a network definition that span several elements */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "network-def.h"
#include "network-golden.h"

static void expect_invalid(const VkNetworkDef *def, const char *message) {
        g_auto(VkError) err = VK_ERROR_INIT;

        assert_int_equal(vk_network_def_validate(def, &err), -EINVAL);
        assert_string_equal(err.name, VK_ERROR_INVALID_XML);
        assert_string_equal(err.message, message);
}

/* a definition changed by hand is checked again, with the same messages as parsing */
static void test_changed_by_hand(void **state) {
        g_autoptr(VkNetworkDef) def =
                network_test_parse("<network><name>n</name><bridge name='virbr0'/>"
                                   "<ip address='192.168.1.1' prefix='24'/>"
                                   "<portgroup name='a'/><portgroup name='b'/>"
                                   "</network>");
        g_auto(VkError) err = VK_ERROR_INIT;
        VkNetworkPortgroup *pg;

        assert_int_equal(vk_network_def_validate(def, &err), 0);

        def->forward_mode = VK_NETWORK_FORWARD_BRIDGE;
        expect_invalid(def, "/network/ip: not supported with forward mode 'bridge'");
        def->forward_mode = VK_NETWORK_FORWARD_ROUTE;

        pg = def->portgroups->pdata[1];
        g_free(pg->name);
        pg->name = g_strdup("a");
        expect_invalid(def, "/network/portgroup[2]/@name: a second portgroup 'a'");
        g_free(pg->name);
        pg->name = g_strdup("b");

        g_free(def->bridge_name);
        def->bridge_name = g_strdup("a b");
        expect_invalid(def, "/network/bridge/@name: invalid bridge name 'a b'");
        g_free(def->bridge_name);
        def->bridge_name = g_strdup("virbr%s");
        expect_invalid(def, "/network/bridge/@name: invalid bridge name 'virbr%s'");
}

static void test_parse_errors(void **state) {
        static const struct {
                const char *xml, *message;
        } cases[] = {
                { "<network><name>n</name><forward mode='private'><interface dev='e0'/>"
                  "</forward><bridge name='br0'/></network>",
                  "/network/bridge: not supported with forward mode 'private' over host "
                  "interfaces" },
                { "<network><name>n</name><forward mode='bridge'><interface dev='e0'/>"
                  "</forward><bandwidth><inbound average='1'/></bandwidth></network>",
                  NULL },
                { "<network><name>n</name><forward mode='vepa'><interface dev='e0'/>"
                  "</forward><bandwidth><inbound average='1'/></bandwidth></network>",
                  "/network/bandwidth: not supported with forward mode 'vepa'" },
                { "<network><name>n</name><forward mode='bridge'/><bridge name='br0' "
                  "stp='on'/></network>",
                  "/network/bridge: stp and delay are for bridges virtkit creates, not with "
                  "forward mode 'bridge'" },
                { "<network><name>n</name><forward mode='bridge'/><bridge name='br%d'/>"
                  "</network>",
                  "/network/bridge/@name: a name template is only for bridges virtkit creates" },
                { "<network><name>n</name><domain name='a.b' localOnly='yes'/>"
                  "<ip address='10.0.0.1' prefix='24'><tftp root='/a'/></ip>"
                  "<ip address='10.0.1.1' prefix='24'><tftp root='/b'/></ip></network>",
                  "/network/ip[2]/tftp: only one address may have TFTP (ip[1] has it "
                  "already)" },
                { "<network><name>n</name><forward mode='passthrough' dev='e0'>"
                  "<interface dev='e1'/></forward></network>",
                  "/network/forward/@dev: use <interface> or <pf> with forward mode "
                  "'passthrough'" },
        };

        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                g_autoptr(VkNetworkDef) def = NULL;
                g_auto(VkError) err = VK_ERROR_INIT;
                int r = vk_network_def_parse_string(cases[i].xml, &def, &err);

                if (!cases[i].message) {
                        if (r < 0)
                                fail_msg("case %zu: %s", i, err.message);
                        continue;
                }
                assert_int_equal(r, -EINVAL);
                assert_string_equal(err.message, cases[i].message);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_changed_by_hand),
                cmocka_unit_test(test_parse_errors),
        };

        return cmocka_run_group_tests_name("network-validate", tests, NULL, NULL);
}
