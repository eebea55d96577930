/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* dhcpprobe.h: "is this network's DHCP server answering?", asked as a guest would: a DHCP
 * DISCOVER broadcast from one end of a veth pair whose other end is a port of the network's
 * bridge, until an OFFER comes back. Raw IPv4/UDP frames on a packet socket, so the veth needs
 * no address. Run inside the network namespace of the bridge. */
#pragma once

#include <stdint.h>

typedef struct DhcpProbe {
        int fd;
        int ifindex;
        uint8_t mac[6];
        uint32_t xid;
} DhcpProbe;

/* Opens a packet socket on @ifname (up, no address needed). 0 or -1 (errno). */
int dhcp_probe_open(DhcpProbe *p, const char *ifname);
void dhcp_probe_close(DhcpProbe *p);
/* Sends a DISCOVER now and again every @resend_us until an OFFER for it arrives, at most
 * @timeout_ms. 0 with the offered address in @ip, or -1. */
int dhcp_probe_offer(DhcpProbe *p, int resend_us, int timeout_ms, char ip[16]);

/* Makes @port a port of @bridge (SIOCBRADDIF). 0 or -1 (errno). */
int bridge_add_port(const char *bridge, const char *port);
/* Whether a link named @ifname exists in this namespace. */
int link_exists(const char *ifname);
