/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* drvbench.c: the network and storage rows of bench/run, one program per stack:
 * drvbench-vk TARGET (virtkit: the root's run directory) and drvbench-lv TARGET (libvirt: a
 * URI), the same timing code over drvops.h.
 *
 *   netstart XMLFILE NAME BRIDGE PORT PEER   define and start a network (@NAME@ → NAME), put
 *                          PORT on its BRIDGE, DISCOVER from PEER (PORT's veth peer) until an
 *                          OFFER: "netstart-call" (define+start returned), "netstart-dhcp"
 *                          (first OFFER), from the define; then "netdestroy", and undefine.
 *                          Run inside the stack's network namespace.
 *   netdefine XMLFILE PREFIX N   define N networks (@NAME@ → PREFIXnnn, @N@ → n): total ms
 *   netundefine PREFIX N         destroy and undefine PREFIX000…, errors ignored
 *   netup XMLFILE NAME | netdown NAME   define+start, destroy+undefine (untimed)
 *   netlist K N HOW              K lists of all networks (at least N), per-call µs; HOW:
 *                                handles | details | raw (see drvops.h)
 *   refresh POOL K               K refreshes of POOL, per-call ms
 *   volcreate POOL XMLFILE NAME  create the volume NAME ("volcreate"), delete it ("voldelete")
 *   vollist POOL K N HOW         K lists of POOL's volumes (exactly N), per-call ms
 *
 * Output: one JSON object a line (bench-common.h). */
#include <string.h>

#include <glib.h>

#include "bench-common.h"
#include "drvbench.h"

char *drv_read_file(const char *path) {
        char *text = NULL;

        if (!g_file_get_contents(path, &text, NULL, NULL)) {
                fprintf(stderr, "drvbench: cannot read %s\n", path);
                exit(1);
        }
        return text;
}

char *drv_subst(const char *tmpl, const char *name, int n) {
        g_auto(GStrv) parts = g_strsplit(tmpl, "@NAME@", -1);
        g_autofree char *named = g_strjoinv(name, parts);
        g_auto(GStrv) nparts = g_strsplit(named, "@N@", -1);
        g_autofree char *num = g_strdup_printf("%d", n);

        return g_strjoinv(num, nparts);
}

DrvList drv_list_how(const char *word) {
        if (strcmp(word, "details") == 0)
                return DRV_LIST_DETAILS;
        return strcmp(word, "raw") == 0 ? DRV_LIST_RAW : DRV_LIST_HANDLES;
}

int main(int argc, char **argv) {
        DrvConn *c;
        int r;

        if (argc < 3) {
                fprintf(stderr, "usage: see the comment at the top of bench/drvbench.c\n");
                return 2;
        }
        c = drv_open(argv[1]);
        r = net_mode(c, argv[2], argc - 3, argv + 3);
        if (r == -2)
                r = stor_mode(c, argv[2], argc - 3, argv + 3);
        if (r == -2) {
                fprintf(stderr, "drvbench: unknown mode %s (or wrong arguments)\n", argv[2]);
                r = 2;
        }
        drv_close(c);
        return r;
}
