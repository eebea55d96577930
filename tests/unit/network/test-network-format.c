/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-network-format.c: the network model back to libvirt's network XML */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "network-def.h"

static char *roundtrip(const char *xml) {
        g_autoptr(VkNetworkDef) def = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;

        if (vk_network_def_parse_string(xml, &def, &err) < 0)
                fail_msg("%s", err.message);
        return vk_network_def_format(def);
}

/* a model built by hand formats to what libvirt writes, and nothing unset appears */
static void test_minimal(void **state) {
        g_autoptr(VkNetworkDef) def = vk_network_def_new();
        g_autofree char *xml = NULL;

        def->name = g_strdup("n");
        xml = vk_network_def_format(def);
        assert_string_equal(xml, "<network>\n  <name>n</name>\n</network>\n");
}

/* canonical spellings: addresses, MACs, a bare <forward/> */
static void test_canonical(void **state) {
        g_autofree char *xml = roundtrip("<network><name>n</name><forward/>"
                                         "<bridge name='b0'/><mac address='52:54:0:A:b:C'/>"
                                         "<ip family='ipv6' address='FD00:0:0::1'/>"
                                         "</network>");

        assert_string_equal(xml, "<network>\n"
                                 "  <name>n</name>\n"
                                 "  <forward mode='nat'/>\n"
                                 "  <bridge name='b0'/>\n"
                                 "  <mac address='52:54:00:0a:0b:0c'/>\n"
                                 "  <ip family='ipv6' address='fd00::1'/>\n"
                                 "</network>\n");
}

/* metadata is kept verbatim, with the namespace declarations it needs, and is stable */
static void test_metadata(void **state) {
        g_autofree char *xml = roundtrip("<network xmlns:x='urn:x'><name>n</name><metadata>"
                                         "<x:a y='1'><x:b>t</x:b></x:a></metadata></network>");
        g_autofree char *again = roundtrip(xml);

        assert_string_equal(xml, "<network>\n"
                                 "  <name>n</name>\n"
                                 "  <metadata>\n"
                                 "    <x:a xmlns:x=\"urn:x\" y=\"1\"><x:b>t</x:b></x:a>\n"
                                 "  </metadata>\n"
                                 "</network>\n");
        assert_string_equal(again, xml);
}

/* text that needs escaping survives */
static void test_escaping(void **state) {
        g_autofree char *xml = roundtrip("<network><name>a&amp;b</name>"
                                         "<description>x &lt; y</description></network>");

        assert_string_equal(xml, "<network>\n"
                                 "  <name>a&amp;b</name>\n"
                                 "  <description>x &lt; y</description>\n"
                                 "</network>\n");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_minimal),
                cmocka_unit_test(test_canonical),
                cmocka_unit_test(test_metadata),
                cmocka_unit_test(test_escaping),
        };

        return cmocka_run_group_tests_name("network-format", tests, NULL, NULL);
}
