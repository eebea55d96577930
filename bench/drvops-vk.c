/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* drvops-vk.c: drvops.h over varlink, to virtkit-networkd and virtkit-storaged directly (one
 * connection to each, as a client of that daemon would hold). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drvops.h"
#include "vlconn.h"

const char drv_stack[] = "virtkit";

struct DrvConn {
        char *run_dir;
        Conn *net; /* opened on first use: a storage row needs no networkd */
        Conn *stor;
};

DrvConn *drv_open(const char *target) {
        DrvConn *c = g_new0(DrvConn, 1);

        c->run_dir = g_strdup(target);
        return c;
}

void drv_close(DrvConn *c) {
        conn_close(c->net);
        conn_close(c->stor);
        g_free(c->run_dir);
        g_free(c);
}

static Conn *sock(DrvConn *c, Conn **slot, const char *iface) {
        if (!*slot) {
                g_autofree char *path = g_build_filename(c->run_dir, iface, NULL);

                if (!(*slot = conn_open(path))) {
                        fprintf(stderr, "drvbench: cannot connect to %s: %m\n", path);
                        exit(1);
                }
        }
        return *slot;
}

#define NET(c)  sock(c, &(c)->net, "io.virtkit.Network")
#define STOR(c) sock(c, &(c)->stor, "io.virtkit.Storage")

/* {"@k1":@v1[,"@k2":@v2]} with the values as JSON strings. */
static char *params(const char *k1, const char *v1, const char *k2, const char *v2) {
        GString *s = g_string_new("{");

        g_string_append_printf(s, "\"%s\":", k1);
        json_str(s, v1);
        if (k2) {
                g_string_append_printf(s, ",\"%s\":", k2);
                json_str(s, v2);
        }
        g_string_append_c(s, '}');
        return g_string_free(s, false);
}

static int call(Conn *conn, const char *method, char *p) {
        int r = call_ok(conn, method, p, true);

        g_free(p);
        return r;
}

/* The length of the array @member of @method's reply, or -1. */
static int count(Conn *conn, const char *method, char *p, const char *member) {
        g_autoptr(JsonNode) reply = conn_call(conn, method, p);
        JsonObject *o = reply_params(reply, true);

        g_free(p);
        if (!o || !json_object_has_member(o, member))
                return -1;
        return (int) json_array_get_length(json_object_get_array_member(o, member));
}

/* The reply to @method read in full, its "name" keys counted; -1 for an error reply. */
static int count_raw(Conn *conn, const char *method, char *p) {
        gssize len = -1;
        int n = 0;

        if (conn_send(conn, method, p) < 0 || (len = conn_read_message(conn)) < 0)
                n = -1;
        else if (g_str_has_prefix(conn->in->str, "{\"error\""))
                n = -1;
        for (const char *s = conn->in->str; n >= 0 && (s = strstr(s, "\"name\":")); s++)
                n++;
        if (len >= 0)
                g_string_erase(conn->in, 0, len + 1);
        g_free(p);
        return n;
}

int drv_net_define(DrvConn *c, const char *xml) {
        return call(NET(c), "DefineNetwork", params("xml", xml, NULL, NULL));
}

int drv_net_start(DrvConn *c, const char *name) {
        return call(NET(c), "CreateNetwork", params("network", name, NULL, NULL));
}

int drv_net_destroy(DrvConn *c, const char *name) {
        return call(NET(c), "DestroyNetwork", params("network", name, NULL, NULL));
}

int drv_net_undefine(DrvConn *c, const char *name) {
        return call(NET(c), "UndefineNetwork", params("network", name, NULL, NULL));
}

int drv_net_list(DrvConn *c, DrvList how) {
        if (how == DRV_LIST_RAW)
                return count_raw(NET(c), "ListNetworks", g_strdup("{}"));
        return count(NET(c), "ListNetworks", g_strdup("{}"), "networks");
}

int drv_pool_refresh(DrvConn *c, const char *pool) {
        return call(STOR(c), "RefreshStoragePool", params("pool", pool, NULL, NULL));
}

int drv_vol_create(DrvConn *c, const char *pool, const char *xml) {
        return call(STOR(c), "CreateVolume", params("pool", pool, "xml", xml));
}

int drv_vol_delete(DrvConn *c, const char *pool, const char *volume) {
        return call(STOR(c), "DeleteVolume", params("pool", pool, "volume", volume));
}

int drv_vol_list(DrvConn *c, const char *pool, DrvList how) {
        if (how == DRV_LIST_RAW)
                return count_raw(STOR(c), "ListVolumes", params("pool", pool, NULL, NULL));
        return count(STOR(c), "ListVolumes", params("pool", pool, NULL, NULL), "volumes");
}
