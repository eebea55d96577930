/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-network-port.c: libvirt's network port XML (<networkport>) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>

#include "network-port-def.h"

static void test_round_trip(void **state) {
        static const char *const docs[] = {
                "<networkport>\n"
                "  <uuid>5d744f21-ba4a-4d6e-bdb4-2b4e1ae4a5c5</uuid>\n"
                "  <owner>\n"
                "    <name>vm1</name>\n"
                "    <uuid>3d744f21-ba4a-4d6e-bdb4-2b4e1ae4a5c5</uuid>\n"
                "  </owner>\n"
                "  <group>web</group>\n"
                "  <mac address='52:54:00:7b:35:93'/>\n"
                "  <rxfilters trustGuest='yes'/>\n"
                "  <plug type='network' bridge='virbr0' mtu='9000'/>\n"
                "</networkport>\n",
                "<networkport>\n"
                "  <mac address='52:54:00:7b:35:94'/>\n"
                "  <plug type='direct' dev='eth0' mode='vepa'/>\n"
                "</networkport>\n",
        };

        for (size_t i = 0; i < G_N_ELEMENTS(docs); i++) {
                g_autoptr(VkNetworkPortDef) def = NULL;
                g_autofree char *out = NULL;
                g_auto(VkError) e = VK_ERROR_INIT;

                assert_int_equal(vk_network_port_def_parse_string(docs[i], &def, &e), 0);
                out = vk_network_port_def_format(def);
                assert_string_equal(out, docs[i]);
        }
}

static void test_errors(void **state) {
        static const char *const bad[][2] = {
                { "<port/>", "expected the root element <networkport>" },
                { "<networkport/>", "missing element <mac>" },
                { "<networkport><mac address='01:00:5e:00:00:01'/></networkport>", "unicast" },
                { "<networkport><mac address='52:54:00:00:00:01'/><bandwidth/></networkport>",
                  "bandwidth" },
                { "<networkport><mac address='52:54:00:00:00:01'/><plug type='none'/>"
                  "</networkport>",
                  "none" },
                { "<networkport><mac address='52:54:00:00:00:01'/><owner><name>x</name>"
                  "</owner></networkport>",
                  "missing element <uuid>" },
                { "<networkport><uuid>nope</uuid><mac address='52:54:00:00:00:01'/>"
                  "</networkport>",
                  "invalid UUID 'nope'" },
        };

        for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
                g_autoptr(VkNetworkPortDef) def = NULL;
                g_auto(VkError) e = VK_ERROR_INIT;

                assert_true(vk_network_port_def_parse_string(bad[i][0], &def, &e) < 0);
                assert_null(def);
                if (!strstr(e.message, bad[i][1]))
                        fail_msg("%s: got '%s', want '%s'", bad[i][0], e.message, bad[i][1]);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_round_trip),
                cmocka_unit_test(test_errors),
        };

        return cmocka_run_group_tests_name("network-port", tests, NULL, NULL);
}
