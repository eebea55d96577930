/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-network-status.c: the status file of a running network and the leases file */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "network-leases.h"
#include "network-status.h"

#define NET_XML                                                                                    \
        "<network>\n  <name>n1</name>\n  <uuid>5f0e4bc2-7a1d-4a43-b7a8-9a3e0c5f3d21</uuid>\n"      \
        "  <bridge name='virbr9'/>\n</network>\n"

static void test_status_round_trip(void **state) {
        g_autoptr(VkNetworkStatus) st = vk_network_status_new();
        g_autoptr(VkNetworkStatus) back = NULL;
        g_autofree char *text = NULL, *text2 = NULL;
        g_auto(VkError) e = VK_ERROR_INIT;
        VkNetworkStatusRule *rules;

        st->xml = g_strdup(NET_XML);
        st->persistent = true;
        st->bridge = g_strdup("virbr9");
        vk_network_status_add_rule(st, "ip", "guest_nat", 17);
        vk_network_status_add_rule(st, "ip6", "input", 4);
        st->ip_forward = true;
        st->dnsmasq_pid = 1234;
        st->dnsmasq_start_time = 99887766;
        st->dnsmasq_exe = g_strdup("/usr/sbin/dnsmasq");

        assert_int_equal(vk_network_status_format(st, &text, &e), 0);
        assert_int_equal(vk_network_status_parse(text, &back, &e), 0);
        assert_string_equal(back->bridge, "virbr9");
        assert_int_equal(back->rules.n, 2);
        rules = back->rules.items;
        assert_string_equal(rules[1].family, "ip6");
        assert_string_equal(rules[1].chain, "input");
        assert_int_equal(rules[1].handle, 4);
        assert_int_equal(back->dnsmasq_pid, 1234);
        assert_int_equal(back->dnsmasq_start_time, 99887766);
        assert_int_equal(vk_network_status_format(back, &text2, &e), 0);
        assert_string_equal(text, text2);
}

static void test_status_refused(void **state) {
        g_autoptr(VkNetworkStatus) st = vk_network_status_new();
        g_autoptr(VkNetworkStatus) back = NULL;
        g_autofree char *text = NULL;
        g_auto(VkError) e = VK_ERROR_INIT;

        /* a live definition that does not parse never reaches the disk */
        st->xml = g_strdup("<network><name>n1</name><bogus/></network>");
        assert_int_equal(vk_network_status_format(st, &text, &e), -EBADMSG);
        assert_non_null(strstr(e.message, "does not parse back"));
        assert_null(text);
        vk_error_done(&e);

        assert_true(vk_network_status_parse("{\"xml\": \""
                                            "x"
                                            "\"}",
                                            &back, &e) < 0);
        vk_error_done(&e);
        assert_true(vk_network_status_parse("[]", &back, &e) < 0);
        vk_error_done(&e);
        assert_true(vk_network_status_parse("{\"xml\":\"<network><name>n</name></network>\","
                                            "\"persistent\":true,\"nftRules\":[],"
                                            "\"ipForward\":false,\"dnsmasqPid\":0,"
                                            "\"dnsmasqStartTime\":0,\"unknown\":1}",
                                            &back, &e) < 0);
        assert_non_null(strstr(e.message, "unknown"));
        assert_null(back);
}

static void test_leases(void **state) {
        g_autofree char *dir = g_dir_make_tmp("vk-leases-XXXXXX", NULL);
        g_autofree char *path = g_build_filename(dir, "n1.leases", NULL);
        g_autoptr(VkNetworkLeases) l = NULL;
        g_autoptr(VkNetworkLeases) back = NULL;
        g_auto(VkError) e = VK_ERROR_INIT;
        VkNetworkLeaseEntry a = { 2000, "52:54:00:00:00:01", "10.0.0.5", "g1", NULL, "br0" };
        VkNetworkLeaseEntry b = { 1000, "52:54:00:00:00:02", "10.0.0.6", NULL, "01:02", "br0" };
        VkNetworkLeaseEntry c = { 0, "52:54:00:00:00:03", "10.0.0.7", NULL, NULL, "br0" };
        VkNetworkLeaseEntry *items;

        /* no file: no lease */
        assert_int_equal(vk_network_leases_load(path, &l, &e), 0);
        assert_int_equal(l->leases.n, 0);
        vk_network_leases_set(l, &a);
        vk_network_leases_set(l, &b);
        vk_network_leases_set(l, &c);
        a.expiry_time = 3000;
        vk_network_leases_set(l, &a); /* renewed: replaced, not added */
        assert_int_equal(l->leases.n, 3);
        vk_network_leases_expire(l, 1500); /* b expired, c never expires */
        assert_int_equal(l->leases.n, 2);
        assert_int_equal(vk_network_leases_save(path, l, &e), 0);

        assert_int_equal(vk_network_leases_load(path, &back, &e), 0);
        assert_int_equal(back->leases.n, 2);
        items = back->leases.items;
        assert_string_equal(items[0].ip, "10.0.0.7");
        assert_string_equal(items[1].ip, "10.0.0.5");
        assert_int_equal(items[1].expiry_time, 3000);
        assert_string_equal(items[1].hostname, "g1");
        assert_null(items[1].client_id);
        vk_network_leases_remove(back, "10.0.0.7");
        vk_network_leases_remove(back, "10.9.9.9");
        assert_int_equal(back->leases.n, 1);

        g_unlink(path);
        g_rmdir(dir);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_status_round_trip),
                cmocka_unit_test(test_status_refused),
                cmocka_unit_test(test_leases),
        };

        return cmocka_run_group_tests_name("network-status", tests, NULL, NULL);
}
