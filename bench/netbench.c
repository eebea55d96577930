/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* netbench.c: drvbench's network modes (see drvbench.c). */
#include <glib.h>

#include "bench-common.h"
#include "dhcpprobe.h"
#include "drvbench.h"

#define DHCP_RESEND_US  1000
#define DHCP_TIMEOUT_MS 20000

static int cmd_netstart(DrvConn *c, char **a) {
        const char *name = a[1], *bridge = a[2], *port = a[3], *peer = a[4];
        g_autofree char *tmpl = drv_read_file(a[0]);
        g_autofree char *xml = drv_subst(tmpl, name, 0);
        uint64_t t0;
        double call_ms, dhcp_ms;
        DhcpProbe p;
        char ip[16] = "";

        if (link_exists(bridge)) {
                fprintf(stderr, "drvbench: %s exists before the start\n", bridge);
                return 1;
        }
        if (dhcp_probe_open(&p, peer) < 0) {
                fprintf(stderr, "drvbench: cannot probe DHCP on %s: %m\n", peer);
                return 1;
        }
        t0 = bench_now_ns();
        if (drv_net_define(c, xml) < 0)
                goto fail;
        if (drv_net_start(c, name) < 0)
                goto fail;
        call_ms = bench_ms_since(t0);
        if (bridge_add_port(bridge, port) < 0) {
                fprintf(stderr, "drvbench: cannot add %s to %s: %m\n", port, bridge);
                goto fail;
        }
        if (dhcp_probe_offer(&p, DHCP_RESEND_US, DHCP_TIMEOUT_MS, ip) < 0) {
                fprintf(stderr, "drvbench: no DHCP OFFER on %s within %d ms: %m\n", peer,
                        DHCP_TIMEOUT_MS);
                goto fail;
        }
        dhcp_ms = bench_ms_since(t0);
        dhcp_probe_close(&p);
        bench_print_value("netstart-call", call_ms, "ms");
        bench_print_value("netstart-dhcp", dhcp_ms, "ms");
        t0 = bench_now_ns();
        if (drv_net_destroy(c, name) < 0)
                goto fail;
        bench_print_value("netdestroy", bench_ms_since(t0), "ms");
        if (link_exists(bridge)) {
                fprintf(stderr, "drvbench: %s is still there after the destroy\n", bridge);
                goto fail;
        }
        return drv_net_undefine(c, name) < 0;
fail:
        dhcp_probe_close(&p);
        (void) drv_net_destroy(c, name);
        (void) drv_net_undefine(c, name);
        return 1;
}

static int cmd_netdefine(DrvConn *c, char **a) {
        g_autofree char *tmpl = drv_read_file(a[0]);
        int n = atoi(a[2]);
        g_autoptr(GPtrArray) xml = g_ptr_array_new_with_free_func(g_free);
        uint64_t t0;

        for (int i = 0; i < n; i++) { /* every XML ready before the clock starts */
                g_autofree char *name = g_strdup_printf("%s%03d", a[1], i);

                g_ptr_array_add(xml, drv_subst(tmpl, name, i));
        }
        t0 = bench_now_ns();
        for (int i = 0; i < n; i++)
                if (drv_net_define(c, xml->pdata[i]) < 0)
                        return 1;
        bench_print_value("netdefine", bench_ms_since(t0), "ms");
        return 0;
}

static int cmd_netundefine(DrvConn *c, char **a) {
        for (int i = 0; i < atoi(a[1]); i++) {
                g_autofree char *name = g_strdup_printf("%s%03d", a[0], i);

                (void) drv_net_destroy(c, name);
                (void) drv_net_undefine(c, name);
        }
        return 0;
}

static int cmd_netlist(DrvConn *c, char **a) {
        int k = atoi(a[0]), n = atoi(a[1]);
        DrvList how = drv_list_how(a[2]);
        g_autofree uint64_t *t = g_new0(uint64_t, k);

        for (int i = -20; i < k; i++) { /* 20 warm-up calls */
                uint64_t s = bench_now_ns();
                int got = drv_net_list(c, how);

                if (got < n) {
                        fprintf(stderr, "drvbench: %d networks listed, %d expected\n", got, n);
                        return 1;
                }
                if (i >= 0)
                        t[i] = bench_now_ns() - s;
        }
        bench_print_stats("netlist", t, k, 1e3, "us");
        return 0;
}

int net_mode(DrvConn *c, const char *mode, int argc, char **argv) {
        if (strcmp(mode, "netstart") == 0 && argc == 5)
                return cmd_netstart(c, argv);
        if (strcmp(mode, "netdefine") == 0 && argc == 3)
                return cmd_netdefine(c, argv);
        if (strcmp(mode, "netundefine") == 0 && argc == 2)
                return cmd_netundefine(c, argv);
        if (strcmp(mode, "netup") == 0 && argc == 2) {
                g_autofree char *tmpl = drv_read_file(argv[0]);
                g_autofree char *xml = drv_subst(tmpl, argv[1], 0);

                return drv_net_define(c, xml) < 0 || drv_net_start(c, argv[1]) < 0;
        }
        if (strcmp(mode, "netdown") == 0 && argc == 1)
                return (drv_net_destroy(c, argv[0]) < 0) | (drv_net_undefine(c, argv[0]) < 0);
        if (strcmp(mode, "netlist") == 0 && argc == 3)
                return cmd_netlist(c, argv);
        return -2;
}
