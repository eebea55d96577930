/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-network-def.c: golden tests of libvirt's network XML, parse, define and format */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "macro.h"
#include "network-defaults.h"
#include "network-def.h"
#include "network-golden.h"
#include "vk-golden.h"

/*
 * Data: tests/data/networkxml/ (from $VK_TEST_SRCDIR).
 *
 *   NAME.xml       input
 *   NAME.out.xml   the input parsed, defined (defaults filled, deterministic random bytes)
 *                  and formatted
 *   NAME.err       expected error text instead, exact
 *
 * Stages per case: "parse", "format", "reparse" (the golden parses and formats to the same
 * bytes). VK_TEST_REGENERATE=1 rewrites the goldens. The other files of the directory belong
 * to test-network-dnsmasq and test-network-nft; any other unused file fails the suite.
 */

static char *data_dir;

static int network_parse_define(const char *xml, void **ret, VkError *err) {
        g_autoptr(VkNetworkDef) def = NULL;
        int r;

        r = vk_network_def_parse_string(xml, &def, err);
        if (r < 0)
                return r;
        r = vk_network_def_fill_defaults(def, NULL, vk_golden_random, err);
        if (r < 0)
                return r;
        *ret = g_steal_pointer(&def);
        return 0;
}

static char *network_format(void *obj) {
        return vk_network_def_format(obj);
}

static void network_free(void *obj) {
        vk_network_def_free(obj);
}

/* a copy formats the same */
static void network_reparse_more(const char *name, const char *golden, void *obj) {
        g_autoptr(VkNetworkDef) copy = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        g_autofree char *xml = NULL;

        assert_int_equal(vk_network_def_copy(obj, &copy, &err), 0);
        xml = vk_network_def_format(copy);
        assert_string_equal(xml, golden);
}

static const VkGoldenXml network_golden = {
        .subdir = "networkxml",
        .out_suffix = ".out.xml",
        .err_suffix = ".err",
        .parse = network_parse_define,
        .format = network_format,
        .free = network_free,
        .reparse_more = network_reparse_more,
};

static bool network_exempt(const char *dir, const char *name) {
        return network_golden_has_suffix(
                name, VK_STRV(".conf", ".hosts", ".addnhosts", ".nft.json", ".iptables"));
}

/* ---- model unit tests ------------------------------------------------------------------- */

static void test_forward_mode_enum(void **state) {
        for (int i = 0; i < _VK_NETWORK_FORWARD_MAX; i++) {
                const char *s = vk_network_forward_mode_to_string(i);

                assert_non_null(s);
                assert_int_equal(vk_network_forward_mode_from_string(s), i);
        }
        assert_null(vk_network_forward_mode_to_string(_VK_NETWORK_FORWARD_MAX));
        assert_int_equal(vk_network_forward_mode_from_string("hostdev"),
                         _VK_NETWORK_FORWARD_INVALID);
        assert_int_equal(vk_network_forward_mode_from_string(NULL), _VK_NETWORK_FORWARD_INVALID);
        for (int i = 0; i < _VK_NETWORK_LEASE_UNIT_MAX; i++)
                assert_int_equal(
                        vk_network_lease_unit_from_string(vk_network_lease_unit_to_string(i)), i);
        for (int i = 0; i < _VK_NETWORK_VLAN_NATIVE_MAX; i++)
                assert_int_equal(
                        vk_network_vlan_native_from_string(vk_network_vlan_native_to_string(i)), i);
}

/* the shipped default network: NAT on virbr0, 192.168.122.0/24, DHCP .2-.254 */
static void test_default_network(void **state) {
        g_autofree char *path =
                g_build_filename(getenv("VK_TOP_SRCDIR"), "conf", "networks", "default.xml", NULL);
        g_autoptr(VkNetworkDef) def = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        const VkNetworkIp *ip;
        const VkNetworkDhcpRange *range;
        char a[VK_NET_ADDR_STRING_MAX];

        assert_int_equal(vk_network_def_parse_file(path, &def, &err), 0);
        assert_string_equal(def->name, "default");
        assert_false(def->has_uuid); /* filled at define, so each host gets its own */
        assert_int_equal(def->forward_mode, VK_NETWORK_FORWARD_NAT);
        assert_string_equal(def->bridge_name, "virbr0");
        assert_int_equal(def->ips->len, 1);
        ip = def->ips->pdata[0];
        assert_string_equal(vk_net_addr_format(&ip->address, a), "192.168.122.1");
        assert_int_equal(ip->prefix, 24);
        assert_int_equal(ip->ranges->len, 1);
        range = ip->ranges->pdata[0];
        assert_string_equal(vk_net_addr_format(&range->start, a), "192.168.122.2");
        assert_string_equal(vk_net_addr_format(&range->end, a), "192.168.122.254");
}

static void test_limits(void **state) {
        g_autoptr(VkNetworkDef) def = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        g_autoptr(GString) big = g_string_new("<network><name>n</name><description>");

        while (big->len <= VK_NETWORK_XML_MAX)
                g_string_append(big, "0123456789abcdef");
        g_string_append(big, "</description></network>");
        assert_int_equal(vk_network_def_parse_string(big->str, &def, &err), -E2BIG);
        assert_string_equal(err.name, VK_ERROR_LIMIT_EXCEEDED);
        assert_null(def);
        vk_error_done(&err);

        /* one element too many in a list */
        g_string_assign(big, "<network><name>n</name><ip address='10.0.0.1' prefix='8'><dhcp>");
        for (int i = 0; i <= VK_NETWORK_ITEMS_MAX; i++)
                g_string_append_printf(big, "<host mac='52:54:00:00:%02x:%02x' ip='10.1.%d.%d'/>",
                                       i / 256, i % 256, i / 250, i % 250 + 1);
        g_string_append(big, "</dhcp></ip></network>");
        assert_int_equal(vk_network_def_parse_string(big->str, &def, &err), -E2BIG);
        assert_string_equal(err.name, VK_ERROR_LIMIT_EXCEEDED);
}

static void test_parse_file(void **state) {
        g_autoptr(VkNetworkDef) def = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        g_autofree char *path = g_build_filename(data_dir, "err-forward-mode-unknown.xml", NULL);

        assert_int_equal(vk_network_def_parse_file(path, &def, &err), -EINVAL);
        assert_string_equal(err.message,
                            "/network/forward/@mode: unsupported forward mode 'tunnel'");
        vk_error_done(&err);
        assert_int_equal(vk_network_def_parse_file("/nonexistent/x.xml", &def, &err), -ENOENT);
}

/* the read-only connections= of a live network's XML is accepted and not kept */
static void test_connections_ignored(void **state) {
        g_autoptr(VkNetworkDef) def = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        g_autofree char *xml = NULL;

        assert_int_equal(vk_network_def_parse_string("<network connections='2'><name>n</name>"
                                                     "</network>",
                                                     &def, &err),
                         0);
        xml = vk_network_def_format(def);
        assert_string_equal(xml, "<network>\n  <name>n</name>\n</network>\n");
}

int main(void) {
        VkGoldenTests *t = vk_golden_tests_new();
        int r;

        vk_golden_tests_add(t, test_forward_mode_enum, "forward-mode-enum", NULL);
        vk_golden_tests_add(t, test_default_network, "default-network", NULL);
        vk_golden_tests_add(t, test_limits, "limits", NULL);
        vk_golden_tests_add(t, test_parse_file, "parse-file", NULL);
        vk_golden_tests_add(t, test_connections_ignored, "connections-ignored", NULL);
        if (vk_golden_tests_add_xml(t, &network_golden, &data_dir) < 0)
                return 1;
        r = vk_golden_tests_run(t, "network-def", data_dir, network_exempt);
        g_free(data_dir);
        return r;
}
