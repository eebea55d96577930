/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-network-dnsmasq.c: golden tests of the dnsmasq files generated for a network */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <glib/gstdio.h>

#include "macro.h"
#include "network-dnsmasq.h"
#include "network-golden.h"
#include "vk-golden.h"

/*
 * Data: tests/data/networkxml/, for every NAME.xml that defines (no NAME.err):
 *
 *   NAME.conf       dnsmasq's configuration; absent when the network needs no dnsmasq
 *   NAME.hosts      the dhcp-hostsfile; absent when empty
 *   NAME.addnhosts  the addn-hosts file; absent when empty
 *
 * with the paths below. VK_TEST_REGENERATE=1 rewrites (or removes) them. When dnsmasq is
 * installed, it checks the syntax of every configuration too (dnsmasq --test).
 */

static const VkNetworkDnsmasqPaths paths = {
        .pid_file = "/run/virtkit/network/NAME.pid",
        .hosts_file = "/var/lib/virtkit/network/dnsmasq/NAME.hosts",
        .addnhosts_file = "/var/lib/virtkit/network/dnsmasq/NAME.addnhosts",
};

static char *data_dir;
static char *dnsmasq_path; /* NULL: dnsmasq is not installed, its syntax check is skipped */

/* dnsmasq's own syntax check of @conf (dnsmasq --test), when dnsmasq is installed. */
static void dnsmasq_check_syntax(const char *name, const char *conf) {
        g_autofree char *tmp = NULL, *out = NULL, *errout = NULL, *arg = NULL;
        g_autoptr(GError) gerr = NULL;
        int fd, status = 0;

        if (!dnsmasq_path)
                return;
        fd = g_file_open_tmp("vk-dnsmasq-XXXXXX.conf", &tmp, NULL);
        assert_true(fd >= 0);
        close(fd);
        assert_true(g_file_set_contents(tmp, conf, -1, NULL));
        arg = g_strdup_printf("--conf-file=%s", tmp);
        assert_true(g_spawn_sync(NULL, (char **) VK_STRV(dnsmasq_path, "--test", arg), NULL,
                                 G_SPAWN_DEFAULT, NULL, NULL, &out, &errout, &status, &gerr));
        (void) g_unlink(tmp);
        if (!g_spawn_check_wait_status(status, NULL))
                fail_msg("%s: dnsmasq refuses the configuration: %s%s", name, g_strstrip(out),
                         g_strstrip(errout));
}

static void test_case(void **state) {
        const char *name = *state;
        g_autoptr(VkNetworkDef) def = network_golden_load(data_dir, name);
        g_autofree char *conf_path = g_strdup_printf("%s/%s.conf", data_dir, name);
        g_autofree char *hosts_path = g_strdup_printf("%s/%s.hosts", data_dir, name);
        g_autofree char *addn_path = g_strdup_printf("%s/%s.addnhosts", data_dir, name);
        g_autofree char *conf = NULL, *hosts = NULL, *addn = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;

        if (vk_network_dnsmasq_needed(def)) {
                if (vk_network_dnsmasq_config(def, &paths, &conf, &err) < 0)
                        fail_msg("%s: %s", name, err.message);
                dnsmasq_check_syntax(name, conf);
                hosts = vk_network_dnsmasq_hosts(def);
                addn = vk_network_dnsmasq_addnhosts(def);
                if (hosts[0] == '\0')
                        g_clear_pointer(&hosts, g_free);
                if (addn[0] == '\0')
                        g_clear_pointer(&addn, g_free);
        }
        network_golden_check(conf_path, conf);
        network_golden_check(hosts_path, hosts);
        network_golden_check(addn_path, addn);
}

static bool dnsmasq_exempt(const char *dir, const char *name) {
        return !network_golden_has_suffix(name, VK_STRV(".conf", ".hosts", ".addnhosts"));
}

/* what decides whether a dnsmasq runs at all */
static void test_needed(void **state) {
        static const struct {
                const char *xml;
                bool needed;
        } cases[] = {
                { "<network><name>a</name><bridge name='b0'/></network>", false },
                { "<network><name>a</name><bridge name='b0'/>"
                  "<ip address='10.0.0.1' prefix='24'/></network>",
                  true },
                { "<network><name>a</name><bridge name='b0'/><dns enable='no'/>"
                  "<ip address='10.0.0.1' prefix='24'/></network>",
                  false },
                { "<network><name>a</name><bridge name='b0'/><dns enable='no'/>"
                  "<ip address='10.0.0.1' prefix='24'><dhcp><range start='10.0.0.2' "
                  "end='10.0.0.9'/></dhcp></ip></network>",
                  true },
                { "<network><name>a</name><forward mode='bridge'/><bridge name='br0'/></network>",
                  false },
        };

        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                g_autoptr(VkNetworkDef) def = NULL;
                g_auto(VkError) err = VK_ERROR_INIT;

                assert_int_equal(vk_network_def_parse_string(cases[i].xml, &def, &err), 0);
                assert_int_equal(vk_network_dnsmasq_needed(def), cases[i].needed);
        }
}

/* localPtr needs a prefix on a label boundary of the reverse zone */
static void test_local_ptr_prefix(void **state) {
        g_autoptr(VkNetworkDef) def = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        g_autofree char *conf = NULL;

        assert_int_equal(vk_network_def_parse_string(
                                 "<network><name>a</name><bridge name='b0'/>"
                                 "<ip address='10.0.0.1' prefix='20' localPtr='yes'/></network>",
                                 &def, &err),
                         0);
        assert_int_equal(vk_network_dnsmasq_config(def, &paths, &conf, &err), -EOPNOTSUPP);
        assert_string_equal(err.message, "network 'a': no reverse DNS zone for prefix 20 "
                                         "(localPtr needs a multiple of 8)");
        assert_null(conf);
}

/* the bridge name comes from the defaults: without it there is no configuration */
static void test_no_bridge_name(void **state) {
        g_autoptr(VkNetworkDef) def = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        g_autofree char *conf = NULL;

        assert_int_equal(vk_network_def_parse_string("<network><name>a</name>"
                                                     "<ip address='10.0.0.1' prefix='24'/>"
                                                     "</network>",
                                                     &def, &err),
                         0);
        assert_int_equal(vk_network_dnsmasq_config(def, &paths, &conf, &err), -EINVAL);
        assert_string_equal(err.name, VK_ERROR_INTERNAL);
}

int main(void) {
        VkGoldenTests *t = vk_golden_tests_new();
        g_autoptr(GPtrArray) names = NULL;
        int r;

        if (!(data_dir = network_golden_dir()))
                return 1;
        dnsmasq_path = g_find_program_in_path("dnsmasq");
        if (!dnsmasq_path)
                fprintf(stderr, "# dnsmasq is not installed: its syntax check is skipped\n");
        vk_golden_tests_add(t, test_needed, "needed", NULL);
        vk_golden_tests_add(t, test_local_ptr_prefix, "local-ptr-prefix", NULL);
        vk_golden_tests_add(t, test_no_bridge_name, "no-bridge-name", NULL);
        names = network_golden_add_cases(t, data_dir, test_case);
        r = vk_golden_tests_run(t, "network-dnsmasq", data_dir, dnsmasq_exempt);
        g_free(data_dir);
        g_free(dnsmasq_path);
        return r;
}
