/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-network-iptables.c: golden tests of the iptables rules generated for a network */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "macro.h"
#include "network-golden.h"
#include "network-iptables.h"
#include "vk-golden.h"

/*
 * Data: tests/data/networkxml/NAME.iptables for every NAME.xml that defines (no NAME.err):
 * the iptables/ip6tables commands that add the network's rules, one a line; absent when the
 * network has none (open, bridge, macvtap). VK_TEST_REGENERATE=1 rewrites (or removes) them.
 * The same policy as NAME.nft.json, rule for rule: the counts are compared.
 */

static char *data_dir;

static void test_case(void **state) {
        const char *name = *state;
        g_autoptr(VkNetworkDef) def = network_golden_load(data_dir, name);
        g_autofree char *path = g_strdup_printf("%s/%s.iptables", data_dir, name);
        g_autoptr(GPtrArray) rules = NULL;
        g_autoptr(VkNetworkNftRuleset) rs = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        g_autofree char *text = NULL;

        if (vk_network_ipt_rules_build(def, &rules, &err) < 0)
                fail_msg("%s: %s", name, err.message);
        assert_int_equal(vk_network_nft_ruleset_build(def, &rs, &err), 0);
        assert_int_equal(rules->len, rs->rules->len);
        for (guint i = 0; i < rules->len; i++) {
                const VkNetworkIptRule *rule = rules->pdata[i];

                assert_int_equal(rule->family, ((VkNetworkNftRule *) rs->rules->pdata[i])->family);
                assert_non_null(vk_network_ipt_chain_static(rule->chain));
        }
        text = rules->len > 0 ? vk_network_ipt_rules_to_text(rules) : NULL;
        network_golden_check(path, text);
}

static bool ipt_exempt(const char *dir, const char *name) {
        return !g_str_has_suffix(name, ".iptables");
}

/* the argv of a deletion is the addition's with -D */
static void test_delete_argv(void **state) {
        g_autoptr(VkNetworkDef) def = network_test_parse(
                "<network><name>n</name><uuid>81ff0d90-c91e-6742-64da-4a736edb9a9b</uuid>"
                "<bridge name='vb0'/></network>");
        g_autoptr(GPtrArray) rules = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        g_auto(GStrv) argv = NULL;
        g_autofree char *line = NULL;

        assert_int_equal(vk_network_ipt_rules_build(def, &rules, &err), 0);
        assert_true(rules->len > 0);
        argv = vk_network_ipt_rule_argv("/usr/sbin/iptables", rules->pdata[0], "-D");
        line = g_strjoinv(" ", argv);
        assert_string_equal(line, "/usr/sbin/iptables -w -t filter -D VIRTKIT_FWO -i vb0 -m "
                                  "comment --comment 81ff0d90-c91e-6742-64da-4a736edb9a9b -j "
                                  "REJECT");
}

/* the chains and jumps: -N each chain, then per jump a -C check and its -I */
static void test_setup_argvs(void **state) {
        g_autoptr(GPtrArray) argvs = vk_network_ipt_setup_argvs(VK_NETWORK_NFT_IP, "iptables");
        g_autofree char *first = g_strjoinv(" ", argvs->pdata[0]);
        g_autofree char *check = g_strjoinv(" ", argvs->pdata[6]);
        g_autofree char *insert = g_strjoinv(" ", argvs->pdata[7]);

        assert_int_equal(argvs->len, 6 + 2 * 6);
        assert_string_equal(first, "iptables -w -t filter -N VIRTKIT_INP");
        assert_string_equal(check, "iptables -w -t filter -C INPUT -j VIRTKIT_INP");
        assert_string_equal(insert, "iptables -w -t filter -I INPUT 1 -j VIRTKIT_INP");
}

int main(void) {
        VkGoldenTests *t = vk_golden_tests_new();
        g_autoptr(GPtrArray) names = NULL;
        int r;

        if (!(data_dir = network_golden_dir()))
                return 1;
        vk_golden_tests_add(t, test_delete_argv, "delete-argv", NULL);
        vk_golden_tests_add(t, test_setup_argvs, "setup-argvs", NULL);
        names = network_golden_add_cases(t, data_dir, test_case);
        r = vk_golden_tests_run(t, "network-iptables", data_dir, ipt_exempt);
        g_free(data_dir);
        return r;
}
