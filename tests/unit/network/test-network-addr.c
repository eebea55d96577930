/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-network-addr.c: IPv4/IPv6 addresses, prefixes and MAC addresses */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <glib.h>

#include "network-addr.h"

static VkNetAddr addr(const char *s) {
        VkNetAddr a;

        assert_int_equal(vk_net_addr_parse(s, 0, &a), 0);
        return a;
}

static void test_parse_format(void **state) {
        char buf[VK_NET_ADDR_STRING_MAX];
        VkNetAddr a = {}, untouched = { .family = 99 };

        a = addr("192.168.122.1");
        assert_int_equal(a.family, AF_INET);
        assert_string_equal(vk_net_addr_format(&a, buf), "192.168.122.1");
        a = addr("2001:DB8:0:0::1");
        assert_int_equal(a.family, AF_INET6);
        assert_string_equal(vk_net_addr_format(&a, buf), "2001:db8::1"); /* canonical */
        assert_int_equal(vk_net_addr_parse("192.168.122.1", AF_INET6, &untouched), -EINVAL);
        assert_int_equal(vk_net_addr_parse("fd00::1", AF_INET, &untouched), -EINVAL);
        assert_int_equal(vk_net_addr_parse("192.168.1", 0, &untouched), -EINVAL);
        assert_int_equal(vk_net_addr_parse("fd00::1/64", 0, &untouched), -EINVAL);
        assert_int_equal(vk_net_addr_parse(NULL, 0, &untouched), -EINVAL);
        assert_int_equal(untouched.family, 99);
        assert_string_equal(vk_net_addr_format(&(VkNetAddr){}, buf), "");
        assert_false(vk_net_addr_is_set(&(VkNetAddr){}));
}

static void test_subnets(void **state) {
        VkNetAddr a = addr("192.168.122.77"), n, b;
        char buf[VK_NET_ADDR_STRING_MAX];

        vk_net_addr_network(&a, 24, &n);
        assert_string_equal(vk_net_addr_format(&n, buf), "192.168.122.0");
        vk_net_addr_broadcast(&a, 20, &b);
        assert_string_equal(vk_net_addr_format(&b, buf), "192.168.127.255");
        assert_true(vk_net_addr_in_subnet(&a, &n, 24));
        assert_false(vk_net_addr_in_subnet(&a, &(VkNetAddr){ .family = AF_INET }, 24));
        assert_true(vk_net_addr_in_subnet(&a, &(VkNetAddr){ .family = AF_INET }, 0));
        a = addr("fd12:3456:789a:1::1");
        vk_net_addr_network(&a, 60, &n);
        assert_string_equal(vk_net_addr_format(&n, buf), "fd12:3456:789a::");
        assert_false(vk_net_addr_in_subnet(&a, &(VkNetAddr){ .family = AF_INET }, 0));
}

static void test_netmask(void **state) {
        VkNetAddr m;
        char buf[VK_NET_ADDR_STRING_MAX];

        assert_int_equal(vk_net_addr_netmask_to_prefix(&(VkNetAddr){ 0 }), -EINVAL);
        m = addr("255.255.255.0");
        assert_int_equal(vk_net_addr_netmask_to_prefix(&m), 24);
        m = addr("255.255.255.255");
        assert_int_equal(vk_net_addr_netmask_to_prefix(&m), 32);
        m = addr("255.0.255.0");
        assert_int_equal(vk_net_addr_netmask_to_prefix(&m), -EINVAL);
        vk_net_addr_prefix_to_netmask(20, &m);
        assert_string_equal(vk_net_addr_format(&m, buf), "255.255.240.0");
        vk_net_addr_prefix_to_netmask(0, &m);
        assert_string_equal(vk_net_addr_format(&m, buf), "0.0.0.0");
        m = addr("10.1.2.3");
        assert_int_equal(vk_net_addr_default_prefix(&m), 8);
        m = addr("172.16.0.1");
        assert_int_equal(vk_net_addr_default_prefix(&m), 16);
        m = addr("192.168.0.1");
        assert_int_equal(vk_net_addr_default_prefix(&m), 24);
        m = addr("fd00::1");
        assert_int_equal(vk_net_addr_default_prefix(&m), 64);
}

static void test_range_size(void **state) {
        VkNetAddr s = addr("192.168.122.2"), e = addr("192.168.122.254");
        uint64_t n = 0;

        assert_int_equal(vk_net_addr_range_size(&s, &e, &n), 0);
        assert_int_equal(n, 253);
        assert_int_equal(vk_net_addr_range_size(&e, &s, &n), -EINVAL);
        s = addr("0.0.0.0");
        e = addr("255.255.255.255");
        assert_int_equal(vk_net_addr_range_size(&s, &e, &n), 0);
        assert_true(n == 4294967296ULL);
        s = addr("2001:db8:ac10:fd01::1:10");
        e = addr("2001:db8:ac10:fd01::1:ff");
        assert_int_equal(vk_net_addr_range_size(&s, &e, &n), 0);
        assert_int_equal(n, 240);
        e = addr("2001:db8:ac10:fd02::1");
        assert_int_equal(vk_net_addr_range_size(&s, &e, &n), -ERANGE);
        e = addr("10.0.0.1");
        assert_int_equal(vk_net_addr_range_size(&s, &e, &n), -EINVAL);
}

static void test_compare_multicast(void **state) {
        VkNetAddr a = addr("10.0.0.2"), b = addr("10.0.0.10"), c = addr("fd00::1");

        assert_true(vk_net_addr_compare(&a, &b) < 0);
        assert_true(vk_net_addr_compare(&b, &a) > 0);
        assert_true(vk_net_addr_compare(&a, &c) < 0); /* families apart */
        assert_true(vk_net_addr_equal(&a, &a));
        a = addr("224.0.0.1");
        assert_true(vk_net_addr_is_multicast(&a));
        a = addr("ff02::1");
        assert_true(vk_net_addr_is_multicast(&a));
        assert_false(vk_net_addr_is_multicast(&c));
        assert_int_equal(vk_net_addr_bits(&c), 128);
}

static void test_mac(void **state) {
        VkMac m, untouched = { { 9 } };
        char buf[VK_MAC_STRING_MAX];

        assert_int_equal(vk_mac_parse("52:54:00:AB:cd:0E", &m), 0);
        assert_string_equal(vk_mac_format(&m, buf), "52:54:00:ab:cd:0e");
        assert_false(vk_mac_is_multicast(&m));
        assert_int_equal(vk_mac_parse("0:4:7e:7d:f0:7d", &m), 0);
        assert_string_equal(vk_mac_format(&m, buf), "00:04:7e:7d:f0:7d");
        assert_int_equal(vk_mac_parse("01:00:5e:00:00:01", &m), 0);
        assert_true(vk_mac_is_multicast(&m));
        assert_int_equal(vk_mac_parse("52:54:00:ab:cd", &untouched), -EINVAL);
        assert_int_equal(vk_mac_parse("52:54:00:ab:cd:ef:01", &untouched), -EINVAL);
        assert_int_equal(vk_mac_parse("52-54-00-ab-cd-ef", &untouched), -EINVAL);
        assert_int_equal(vk_mac_parse("52:54:00:ab:cd:efg", &untouched), -EINVAL);
        assert_int_equal(vk_mac_parse("", &untouched), -EINVAL);
        assert_int_equal(vk_mac_parse(NULL, &untouched), -EINVAL);
        assert_int_equal(untouched.bytes[0], 9);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_format),      cmocka_unit_test(test_subnets),
                cmocka_unit_test(test_netmask),           cmocka_unit_test(test_range_size),
                cmocka_unit_test(test_compare_multicast), cmocka_unit_test(test_mac),
        };

        return cmocka_run_group_tests_name("network-addr", tests, NULL, NULL);
}
