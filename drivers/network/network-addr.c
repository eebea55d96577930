/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* network-addr.c: IPv4/IPv6 addresses, prefixes and MAC addresses of the network model */
#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <glib.h>

#include "network-addr.h"

/*
 * Parse the textual address @s: dotted quad for IPv4, RFC 4291 text for IPv6 (no zone, no
 * prefix). @family AF_INET or AF_INET6 accepts only that family, 0 either. Returns 0 with
 * *@ret_addr set, or -EINVAL (untouched).
 */
int vk_net_addr_parse(const char *s, int family, VkNetAddr *ret_addr) {
        VkNetAddr a = {};

        assert(ret_addr);

        if (!s)
                return -EINVAL;
        if ((family == 0 || family == AF_INET) && inet_pton(AF_INET, s, a.bytes) == 1)
                a.family = AF_INET;
        else if ((family == 0 || family == AF_INET6) && inet_pton(AF_INET6, s, a.bytes) == 1)
                a.family = AF_INET6;
        else
                return -EINVAL;
        *ret_addr = a;
        return 0;
}

/* The canonical text of @a ("" for an unset address); returns @buf. */
const char *vk_net_addr_format(const VkNetAddr *a, char buf[static VK_NET_ADDR_STRING_MAX]) {
        buf[0] = '\0';
        if (a && a->family != 0)
                (void) inet_ntop(a->family, a->bytes, buf, VK_NET_ADDR_STRING_MAX);
        return buf;
}

bool vk_net_addr_is_set(const VkNetAddr *a) {
        return a && a->family != 0;
}

/* 32 for IPv4, 128 for IPv6, 0 for an unset address. */
unsigned vk_net_addr_bits(const VkNetAddr *a) {
        if (a->family == AF_INET)
                return 32;
        if (a->family == AF_INET6)
                return 128;
        return 0;
}

static size_t net_addr_len(const VkNetAddr *a) {
        return vk_net_addr_bits(a) / 8;
}

/* Order by family, then numerically (memcmp of network byte order). */
int vk_net_addr_compare(const VkNetAddr *a, const VkNetAddr *b) {
        if (a->family != b->family)
                return a->family < b->family ? -1 : 1;
        return memcmp(a->bytes, b->bytes, net_addr_len(a));
}

bool vk_net_addr_equal(const VkNetAddr *a, const VkNetAddr *b) {
        return vk_net_addr_compare(a, b) == 0;
}

/* Keep the first @prefix bits of @a, clear (or, @fill, set) the others. */
static void net_addr_mask(const VkNetAddr *a, unsigned prefix, bool fill, VkNetAddr *ret) {
        VkNetAddr r = *a;
        size_t len = net_addr_len(a);

        for (size_t i = 0; i < len; i++) {
                unsigned bit = (unsigned) i * 8;
                uint8_t keep;

                if (prefix >= bit + 8)
                        keep = 0xff;
                else if (prefix <= bit)
                        keep = 0;
                else
                        keep = (uint8_t) (0xff << (8 - (prefix - bit)));
                r.bytes[i] = fill ? (uint8_t) ((a->bytes[i] & keep) | (uint8_t) ~keep)
                                  : (uint8_t) (a->bytes[i] & keep);
        }
        *ret = r;
}

/* The network address of @a/@prefix (host bits cleared). */
void vk_net_addr_network(const VkNetAddr *a, unsigned prefix, VkNetAddr *ret_net) {
        net_addr_mask(a, prefix, false, ret_net);
}

/* The last address of @a/@prefix (host bits set): the IPv4 broadcast address. */
void vk_net_addr_broadcast(const VkNetAddr *a, unsigned prefix, VkNetAddr *ret_bcast) {
        net_addr_mask(a, prefix, true, ret_bcast);
}

/* Whether @a lies in @net/@prefix (same family, same first @prefix bits). */
bool vk_net_addr_in_subnet(const VkNetAddr *a, const VkNetAddr *net, unsigned prefix) {
        VkNetAddr x, y;

        if (a->family == 0 || a->family != net->family)
                return false;
        vk_net_addr_network(a, prefix, &x);
        vk_net_addr_network(net, prefix, &y);
        return vk_net_addr_equal(&x, &y);
}

/* The prefix length of an IPv4 netmask ("255.255.255.0" → 24), or -EINVAL if not contiguous. */
int vk_net_addr_netmask_to_prefix(const VkNetAddr *mask) {
        uint32_t m;
        int n = 0;

        if (mask->family != AF_INET)
                return -EINVAL;
        m = ((uint32_t) mask->bytes[0] << 24) | ((uint32_t) mask->bytes[1] << 16) |
            ((uint32_t) mask->bytes[2] << 8) | mask->bytes[3];
        while (m & 0x80000000u) {
                n++;
                m <<= 1;
        }
        if (m != 0)
                return -EINVAL;
        return n;
}

/* The IPv4 netmask of @prefix (0..32). */
void vk_net_addr_prefix_to_netmask(unsigned prefix, VkNetAddr *ret_mask) {
        VkNetAddr ones = { .family = AF_INET, .bytes = { 0xff, 0xff, 0xff, 0xff } };

        vk_net_addr_network(&ones, prefix, ret_mask);
}

/*
 * The prefix assumed when <ip> gives neither netmask nor prefix: for IPv4 the class of the
 * address (A: 8, B: 16, C: 24), as libvirt does; for IPv6 64.
 */
unsigned vk_net_addr_default_prefix(const VkNetAddr *a) {
        if (a->family == AF_INET6)
                return 64;
        if (a->bytes[0] < 128)
                return 8;
        if (a->bytes[0] < 192)
                return 16;
        return 24;
}

/*
 * The number of addresses from @start to @end inclusive. Returns 0, -EINVAL when the families
 * differ or @end comes before @start, -ERANGE when the range holds more than 2^32 addresses.
 */
int vk_net_addr_range_size(const VkNetAddr *start, const VkNetAddr *end, uint64_t *ret_size) {
        size_t len = net_addr_len(start);
        uint64_t lo_s = 0, lo_e = 0;

        if (start->family == 0 || start->family != end->family)
                return -EINVAL;
        if (vk_net_addr_compare(start, end) > 0)
                return -EINVAL;
        /* anything above the last 4 bytes must be equal */
        if (len > 4 && memcmp(start->bytes, end->bytes, len - 4) != 0)
                return -ERANGE;
        for (size_t i = len - 4; i < len; i++) {
                lo_s = (lo_s << 8) | start->bytes[i];
                lo_e = (lo_e << 8) | end->bytes[i];
        }
        *ret_size = lo_e - lo_s + 1;
        return 0;
}

/* Whether @a is an IPv4 224.0.0.0/4 or IPv6 ff00::/8 address. */
bool vk_net_addr_is_multicast(const VkNetAddr *a) {
        if (a->family == AF_INET)
                return (a->bytes[0] & 0xf0) == 0xe0;
        if (a->family == AF_INET6)
                return a->bytes[0] == 0xff;
        return false;
}

static int mac_hex(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        c = g_ascii_tolower(c);
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        return -1;
}

/*
 * Parse "52:54:00:1c:da:2f" (six groups of one or two hex digits separated by colons, any
 * case). Returns 0 with *@ret_mac set, or -EINVAL (untouched).
 */
int vk_mac_parse(const char *s, VkMac *ret_mac) {
        VkMac m = {};
        const char *p = s;

        assert(ret_mac);
        if (!s)
                return -EINVAL;
        for (size_t i = 0; i < 6; i++) {
                int hi = mac_hex(p[0]), lo;

                if (hi < 0)
                        return -EINVAL;
                lo = mac_hex(p[1]);
                if (lo >= 0) {
                        m.bytes[i] = (uint8_t) (hi << 4 | lo);
                        p += 2;
                } else {
                        m.bytes[i] = (uint8_t) hi;
                        p += 1;
                }
                if (i < 5) {
                        if (*p != ':')
                                return -EINVAL;
                        p++;
                }
        }
        if (*p != '\0')
                return -EINVAL;
        *ret_mac = m;
        return 0;
}

/* Lower-case, two digits per byte; returns @buf. */
const char *vk_mac_format(const VkMac *mac, char buf[static VK_MAC_STRING_MAX]) {
        (void) snprintf(buf, VK_MAC_STRING_MAX, "%02x:%02x:%02x:%02x:%02x:%02x", mac->bytes[0],
                        mac->bytes[1], mac->bytes[2], mac->bytes[3], mac->bytes[4], mac->bytes[5]);
        return buf;
}

/* Whether the group bit (least significant bit of the first byte) is set. */
bool vk_mac_is_multicast(const VkMac *mac) {
        return (mac->bytes[0] & 1) != 0;
}
