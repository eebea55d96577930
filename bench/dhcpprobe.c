/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* dhcpprobe.c: see dhcpprobe.h. The frame is built here from RFC 2131's layout (BOOTP fixed
 * part, magic cookie, options 53 message type and 55 parameter list). */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <linux/sockios.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench-common.h"
#include "dhcpprobe.h"

#define BOOTP_REQUEST 1
#define BOOTP_REPLY   2
#define DHCP_DISCOVER 1
#define DHCP_OFFER    2

typedef struct __attribute__((packed)) Bootp {
        uint8_t op, htype, hlen, hops;
        uint32_t xid;
        uint16_t secs, flags;
        uint32_t ciaddr, yiaddr, siaddr, giaddr;
        uint8_t chaddr[16];
        uint8_t sname[64];
        uint8_t file[128];
        uint8_t options[64]; /* the minimum BOOTP message is 300 bytes */
} Bootp;

typedef struct __attribute__((packed)) Frame {
        struct iphdr ip;
        struct udphdr udp;
        Bootp bootp;
} Frame;

static const uint8_t magic[4] = { 99, 130, 83, 99 };

static uint16_t ip_checksum(const void *data, size_t len) {
        const uint16_t *w = data;
        uint32_t sum = 0;

        for (; len > 1; len -= 2)
                sum += *w++;
        while (sum >> 16)
                sum = (sum & 0xffff) + (sum >> 16);
        return (uint16_t) ~sum;
}

int dhcp_probe_open(DhcpProbe *p, const char *ifname) {
        struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP) };
        struct ifreq ifr = { 0 };

        memset(p, 0, sizeof(*p));
        p->fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_IP));
        if (p->fd < 0)
                return -1;
        snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
        if (ioctl(p->fd, SIOCGIFHWADDR, &ifr) < 0 || !(p->ifindex = (int) if_nametoindex(ifname)))
                goto fail;
        memcpy(p->mac, ifr.ifr_hwaddr.sa_data, 6);
        sll.sll_ifindex = p->ifindex;
        if (bind(p->fd, (struct sockaddr *) &sll, sizeof(sll)) < 0 ||
            getrandom(&p->xid, sizeof(p->xid), 0) != sizeof(p->xid))
                goto fail;
        return 0;
fail:
        close(p->fd);
        p->fd = -1;
        return -1;
}

void dhcp_probe_close(DhcpProbe *p) {
        if (p->fd >= 0)
                close(p->fd);
        p->fd = -1;
}

static int send_discover(DhcpProbe *p) {
        struct sockaddr_ll to = { .sll_family = AF_PACKET,
                                  .sll_protocol = htons(ETH_P_IP),
                                  .sll_ifindex = p->ifindex,
                                  .sll_halen = 6 };
        Frame f = { 0 };
        uint8_t *o = f.bootp.options;

        memset(to.sll_addr, 0xff, 6);
        f.bootp.op = BOOTP_REQUEST;
        f.bootp.htype = 1; /* Ethernet */
        f.bootp.hlen = 6;
        f.bootp.xid = p->xid;
        f.bootp.flags = htons(0x8000); /* broadcast the reply: we have no address */
        memcpy(f.bootp.chaddr, p->mac, 6);
        memcpy(o, magic, 4);
        o += 4;
        *o++ = 53, *o++ = 1, *o++ = DHCP_DISCOVER;
        *o++ = 55, *o++ = 3, *o++ = 1, *o++ = 3, *o++ = 6; /* netmask, router, DNS */
        *o++ = 255;
        f.udp.source = htons(68);
        f.udp.dest = htons(67);
        f.udp.len = htons(sizeof(f.udp) + sizeof(f.bootp)); /* checksum 0: none (IPv4) */
        f.ip.version = 4;
        f.ip.ihl = 5;
        f.ip.tot_len = htons(sizeof(f));
        f.ip.ttl = 64;
        f.ip.protocol = IPPROTO_UDP;
        f.ip.saddr = htonl(INADDR_ANY);
        f.ip.daddr = htonl(INADDR_BROADCAST);
        f.ip.check = ip_checksum(&f.ip, sizeof(f.ip));
        return sendto(p->fd, &f, sizeof(f), 0, (struct sockaddr *) &to, sizeof(to)) ==
                               (ssize_t) sizeof(f)
                       ? 0
                       : -1;
}

/* Whether @buf (an IPv4 packet of @len bytes) is an OFFER for our DISCOVER; fills @ip. */
static int is_offer(const DhcpProbe *p, const uint8_t *buf, size_t len, char ip[16]) {
        const struct iphdr *iph = (const void *) buf;
        const struct udphdr *udp;
        const Bootp *b;
        const uint8_t *o, *end;
        size_t ihl;

        if (len < sizeof(*iph) || iph->version != 4 || iph->protocol != IPPROTO_UDP)
                return 0;
        ihl = (size_t) iph->ihl * 4;
        if (len < ihl + sizeof(*udp) + offsetof(Bootp, options) + 4)
                return 0;
        udp = (const void *) (buf + ihl);
        b = (const void *) (buf + ihl + sizeof(*udp));
        if (udp->dest != htons(68) || b->op != BOOTP_REPLY || b->xid != p->xid ||
            memcmp(b->options, magic, 4) != 0)
                return 0;
        end = buf + len;
        o = b->options + 4;
        while (o < end && *o != 255) {
                if (*o == 0) { /* pad */
                        o++;
                        continue;
                }
                if (o + 2 > end || o + 2 + o[1] > end)
                        break;
                if (*o == 53 && o[1] == 1 && o[2] == DHCP_OFFER) {
                        inet_ntop(AF_INET, &b->yiaddr, ip, 16);
                        return 1;
                }
                o += 2 + o[1];
        }
        return 0;
}

int dhcp_probe_offer(DhcpProbe *p, int resend_us, int timeout_ms, char ip[16]) {
        uint64_t start = bench_now_ns(), next = start;
        uint8_t buf[2048];

        for (;;) {
                uint64_t now = bench_now_ns();
                struct pollfd pfd = { .fd = p->fd, .events = POLLIN };
                struct timespec ts;

                if (now >= start + (uint64_t) timeout_ms * 1000000u) {
                        errno = ETIMEDOUT;
                        return -1;
                }
                if (now >= next) {
                        if (send_discover(p) < 0)
                                return -1;
                        next = now + (uint64_t) resend_us * 1000u;
                }
                ts.tv_sec = (time_t) ((next - now) / 1000000000u);
                ts.tv_nsec = (long) ((next - now) % 1000000000u);
                if (ppoll(&pfd, 1, &ts, NULL) <= 0)
                        continue;
                for (;;) {
                        struct sockaddr_ll from;
                        socklen_t fl = sizeof(from);
                        ssize_t n = recvfrom(p->fd, buf, sizeof(buf), MSG_DONTWAIT,
                                             (struct sockaddr *) &from, &fl);

                        if (n < 0)
                                break;
                        if (from.sll_pkttype != PACKET_OUTGOING && is_offer(p, buf, (size_t) n, ip))
                                return 0;
                }
        }
}

int bridge_add_port(const char *bridge, const char *port) {
        struct ifreq ifr = { 0 };
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), r;

        if (fd < 0)
                return -1;
        snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", bridge);
        ifr.ifr_ifindex = (int) if_nametoindex(port);
        r = ifr.ifr_ifindex ? ioctl(fd, SIOCBRADDIF, &ifr) : -1;
        close(fd);
        return r < 0 ? -1 : 0;
}

int link_exists(const char *ifname) {
        return if_nametoindex(ifname) != 0;
}
