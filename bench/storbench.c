/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* storbench.c: drvbench's storage modes (see drvbench.c). */
#include <glib.h>

#include "bench-common.h"
#include "drvbench.h"

static int refresh(DrvConn *c, const char *pool, DrvList how) {
        (void) how;
        return drv_pool_refresh(c, pool);
}

/* K calls of @fn (after 3 warm-up calls), per-call stats in ms. */
static int repeat(DrvConn *c, const char *what, const char *pool, int k, int expect,
                  int (*fn)(DrvConn *, const char *, DrvList), DrvList how) {
        g_autofree uint64_t *t = g_new0(uint64_t, k);

        for (int i = -3; i < k; i++) {
                uint64_t s = bench_now_ns();
                int r = fn(c, pool, how);

                if (r < 0 || (expect >= 0 && r != expect)) {
                        if (r >= 0)
                                fprintf(stderr, "drvbench: %d volumes in %s, %d expected\n", r,
                                        pool, expect);
                        return 1;
                }
                if (i >= 0)
                        t[i] = bench_now_ns() - s;
        }
        bench_print_stats(what, t, k, 1e6, "ms");
        return 0;
}

static int cmd_volcreate(DrvConn *c, const char *pool, const char *file, const char *name) {
        g_autofree char *tmpl = drv_read_file(file);
        g_autofree char *xml = drv_subst(tmpl, name, 0);
        uint64_t t0 = bench_now_ns();

        if (drv_vol_create(c, pool, xml) < 0)
                return 1;
        bench_print_value("volcreate", bench_ms_since(t0), "ms");
        t0 = bench_now_ns();
        if (drv_vol_delete(c, pool, name) < 0)
                return 1;
        bench_print_value("voldelete", bench_ms_since(t0), "ms");
        return 0;
}

int stor_mode(DrvConn *c, const char *mode, int argc, char **argv) {
        if (strcmp(mode, "refresh") == 0 && argc == 2)
                return repeat(c, "refresh", argv[0], atoi(argv[1]), -1, refresh, DRV_LIST_HANDLES);
        if (strcmp(mode, "volcreate") == 0 && argc == 3)
                return cmd_volcreate(c, argv[0], argv[1], argv[2]);
        if (strcmp(mode, "vollist") == 0 && argc == 4)
                return repeat(c, "vollist", argv[0], atoi(argv[1]), atoi(argv[2]), drv_vol_list,
                              drv_list_how(argv[3]));
        return -2;
}
