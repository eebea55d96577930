/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-network-def-ip.c: the addressing part of the network XML: <ip>, <dhcp>, <route>, <dns> */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "network-def.h"
#include "network-golden.h"

#define NET(body) "<network><name>n</name><bridge name='b0'/>" body "</network>"

static void expect_error(const char *xml, const char *message) {
        g_autoptr(VkNetworkDef) def = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;

        assert_int_equal(vk_network_def_parse_string(xml, &def, &err), -EINVAL);
        assert_string_equal(err.name, VK_ERROR_INVALID_XML);
        assert_string_equal(err.message, message);
        assert_null(def);
}

/* the three ways of giving a prefix, each kept */
static void test_prefix_forms(void **state) {
        g_autoptr(VkNetworkDef) def =
                network_test_parse(NET("<ip address='192.168.1.1' netmask='255.255.252.0'/>"
                                       "<ip address='10.0.0.1' prefix='16'/>"
                                       "<ip address='172.16.0.1'/>"
                                       "<ip address='fd00::1'/>"));
        static const struct {
                VkNetworkPrefixForm form;
                unsigned prefix;
                int family;
        } want[] = {
                { VK_NETWORK_PREFIX_NETMASK, 22, AF_INET },
                { VK_NETWORK_PREFIX_LENGTH, 16, AF_INET },
                { VK_NETWORK_PREFIX_IMPLICIT, 16, AF_INET },  /* class B */
                { VK_NETWORK_PREFIX_IMPLICIT, 64, AF_INET6 }, /* family inferred */
        };

        assert_int_equal(def->ips->len, G_N_ELEMENTS(want));
        for (size_t i = 0; i < G_N_ELEMENTS(want); i++) {
                const VkNetworkIp *ip = def->ips->pdata[i];

                assert_int_equal(ip->prefix_form, want[i].form);
                assert_int_equal(ip->prefix, want[i].prefix);
                assert_int_equal(ip->address.family, want[i].family);
        }
}

static void test_dhcp_model(void **state) {
        g_autoptr(VkNetworkDef) def =
                network_test_parse(NET("<ip address='192.168.1.1' prefix='24'><dhcp>"
                                       "<range start='192.168.1.10' end='192.168.1.20'>"
                                       "<lease expiry='3' unit='hours'/></range>"
                                       "<host mac='52:54:00:00:00:01' name='a' ip='192.168.1.5'/>"
                                       "<host name='b' ip='192.168.1.6'><lease expiry='0'/></host>"
                                       "</dhcp></ip>"));
        const VkNetworkIp *ip = def->ips->pdata[0];
        const VkNetworkDhcpRange *r = ip->ranges->pdata[0];
        const VkNetworkDhcpHost *h0 = ip->hosts->pdata[0], *h1 = ip->hosts->pdata[1];

        assert_true(ip->has_dhcp);
        assert_true(r->lease.set);
        assert_int_equal(r->lease.expiry, 3);
        assert_int_equal(r->lease.unit, VK_NETWORK_LEASE_HOURS);
        assert_true(h0->has_mac);
        assert_false(h0->lease.set);
        assert_false(h1->has_mac);
        assert_string_equal(h1->name, "b");
        assert_true(h1->lease.set);
        assert_int_equal(h1->lease.expiry, 0);
        assert_int_equal(h1->lease.unit, VK_NETWORK_LEASE_MINUTES);
        assert_ptr_equal(vk_network_def_dhcp_ip(def, AF_INET), ip);
        assert_null(vk_network_def_dhcp_ip(def, AF_INET6));
}

static void test_dhcp_errors(void **state) {
        expect_error(NET("<ip address='192.168.1.1' prefix='24'><dhcp>"
                         "<host ip='192.168.1.5'/></dhcp></ip>"),
                     "/network/ip/dhcp/host: a host needs a mac or a name");
        expect_error(NET("<ip family='ipv6' address='fd00::1' prefix='64'><dhcp>"
                         "<host ip='fd00::5'/></dhcp></ip>"),
                     "/network/ip/dhcp/host: a host needs an id or a name");
        expect_error(NET("<ip address='192.168.1.1' prefix='24'><dhcp>"
                         "<host id='0:1' ip='192.168.1.5'/></dhcp></ip>"),
                     "/network/ip/dhcp/host/@id: id is for IPv6 hosts, use mac");
        expect_error(NET("<ip family='ipv6' address='fd00::1' prefix='64'><dhcp>"
                         "<host id='0:1:xyz' ip='fd00::5'/></dhcp></ip>"),
                     "/network/ip/dhcp/host/@id: invalid client id '0:1:xyz'");
        expect_error(NET("<ip address='192.168.1.1' prefix='24'><dhcp>"
                         "<host name='1abc' ip='192.168.1.5'/></dhcp></ip>"),
                     "/network/ip/dhcp/host/@name: invalid host name '1abc'");
        expect_error(NET("<ip address='192.168.1.1' prefix='24'><dhcp>"
                         "<host name='a' ip='192.168.1.1'/></dhcp></ip>"),
                     "/network/ip/dhcp/host/@ip: 192.168.1.1 is the network's own address");
        expect_error(NET("<ip address='192.168.1.1' prefix='24'><dhcp>"
                         "<host name='a' ip='192.168.1.5'/><host name='A' ip='192.168.1.6'/>"
                         "</dhcp></ip>"),
                     "/network/ip/dhcp/host[2]/@name: name 'A' is given to two hosts");
        expect_error(NET("<ip address='192.168.1.1' prefix='24'><dhcp>"
                         "<range start='192.168.1.5' end='192.168.1.6'>"
                         "<lease expiry='5000000' unit='hours'/></range></dhcp></ip>"),
                     "/network/ip/dhcp/range/lease/@expiry: lease time too long");
        expect_error(NET("<ip address='192.168.1.1' prefix='24'><dhcp>"
                         "<bootp file='a.img'/></dhcp></ip>"),
                     "/network/ip/dhcp/bootp: needs a DHCP range or host");
        expect_error(NET("<ip address='192.168.1.1' prefix='24'><tftp root='/srv/a,b'/></ip>"),
                     "/network/ip/tftp/@root: a ',' in '/srv/a,b' is not supported");
        expect_error(NET("<ip address='192.168.1.1' prefix='24'><tftp root='srv'/></ip>"),
                     "/network/ip/tftp/@root: 'srv' is not an absolute path");
}

static void test_route_dns_model(void **state) {
        g_autoptr(VkNetworkDef) def = network_test_parse(
                NET("<dns forwardPlainNames='no'><forwarder domain='x.example'/>"
                    "<srv service='ldap' protocol='tcp' port='389'/></dns>"
                    "<ip address='192.168.1.1' prefix='24'/>"
                    "<route address='10.0.0.0' netmask='255.0.0.0' gateway='192.168.1.2'/>"));
        const VkNetworkRoute *rt = def->routes->pdata[0];
        const VkNetworkDnsForwarder *f = def->dns.forwarders->pdata[0];
        const VkNetworkDnsSrv *s = def->dns.srvs->pdata[0];

        assert_int_equal(rt->prefix_form, VK_NETWORK_PREFIX_NETMASK);
        assert_int_equal(rt->prefix, 8);
        assert_int_equal(rt->metric, 0);
        assert_true(def->dns.present);
        assert_int_equal(def->dns.forward_plain_names, VK_TRISTATE_NO);
        assert_string_equal(f->domain, "x.example");
        assert_false(vk_net_addr_is_set(&f->addr));
        assert_true(s->has_port);
        assert_false(s->has_priority);
        assert_int_equal(s->port, 389);
}

static void test_dns_errors(void **state) {
        expect_error(NET("<dns><forwarder/></dns>"),
                     "/network/dns/forwarder: a forwarder needs addr or domain");
        expect_error(NET("<dns><forwarder addr='8.8.8'/></dns>"),
                     "/network/dns/forwarder/@addr: invalid IP address '8.8.8'");
        expect_error(NET("<dns><srv service='averyveryverylongservice' protocol='tcp'/></dns>"),
                     "/network/dns/srv/@service: invalid value 'averyveryverylongservice'");
        expect_error(NET("<dns><srv service='a' protocol='tcp' port='70000'/></dns>"),
                     "/network/dns/srv/@port: value 70000 above 65535");
        expect_error(NET("<dns><host ip='10.0.0.1'><hostname>a b</hostname></host></dns>"),
                     "/network/dns/host/hostname: invalid host name 'a b'");
        expect_error(NET("<dns enable='no' forwardPlainNames='no'/>"),
                     "/network/dns/@forwardPlainNames: DNS is disabled (enable='no'): this "
                     "attribute has no effect");
        expect_error(NET("<dns><txt name='a' value='line&#10;break'/></dns>"),
                     "/network/dns/txt/@value: control characters in the value");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_prefix_forms), cmocka_unit_test(test_dhcp_model),
                cmocka_unit_test(test_dhcp_errors),  cmocka_unit_test(test_route_dns_model),
                cmocka_unit_test(test_dns_errors),
        };

        return cmocka_run_group_tests_name("network-def-ip", tests, NULL, NULL);
}
