/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* drvops-lv.c: drvops.h through libvirt's client library, to libvirtd's network and storage
 * drivers. The handle of the network just defined and of the pool in use are kept, so a
 * timed call is the one RPC a libvirt client holding the object makes (a volume delete is a
 * lookup and a delete, as in virsh vol-delete). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "drvops.h"

const char drv_stack[] = "libvirt";

struct DrvConn {
        virConnectPtr conn;
        virNetworkPtr net; /* the last network defined or looked up */
        virStoragePoolPtr pool;
};

static void quiet(void *opaque, virErrorPtr err) {
        (void) opaque;
        (void) err;
}

static int fail(const char *what, const char *name) {
        const char *msg = virGetLastErrorMessage();

        fprintf(stderr, "drvbench: %s %s: %s\n", what, name ? name : "", msg ? msg : "failed");
        return -1;
}

DrvConn *drv_open(const char *target) {
        DrvConn *c = calloc(1, sizeof(*c));

        virSetErrorFunc(NULL, quiet);
        if (!c || !(c->conn = virConnectOpen(target))) {
                fail("cannot connect to", target);
                exit(1);
        }
        return c;
}

static void forget_net(DrvConn *c) {
        if (c->net)
                virNetworkFree(c->net);
        c->net = NULL;
}

void drv_close(DrvConn *c) {
        forget_net(c);
        if (c->pool)
                virStoragePoolFree(c->pool);
        virConnectClose(c->conn);
        free(c);
}

static virNetworkPtr net(DrvConn *c, const char *name) {
        if (c->net && strcmp(virNetworkGetName(c->net), name) == 0)
                return c->net;
        forget_net(c);
        c->net = virNetworkLookupByName(c->conn, name);
        return c->net;
}

static virStoragePoolPtr pool(DrvConn *c, const char *name) {
        if (c->pool && strcmp(virStoragePoolGetName(c->pool), name) == 0)
                return c->pool;
        if (c->pool)
                virStoragePoolFree(c->pool);
        c->pool = virStoragePoolLookupByName(c->conn, name);
        return c->pool;
}

int drv_net_define(DrvConn *c, const char *xml) {
        forget_net(c);
        if (!(c->net = virNetworkDefineXML(c->conn, xml)))
                return fail("virNetworkDefineXML", NULL);
        return 0;
}

int drv_net_start(DrvConn *c, const char *name) {
        virNetworkPtr n = net(c, name);

        return n && virNetworkCreate(n) == 0 ? 0 : fail("virNetworkCreate", name);
}

int drv_net_destroy(DrvConn *c, const char *name) {
        virNetworkPtr n = net(c, name);

        return n && virNetworkDestroy(n) == 0 ? 0 : fail("virNetworkDestroy", name);
}

int drv_net_undefine(DrvConn *c, const char *name) {
        virNetworkPtr n = net(c, name);
        int r = n && virNetworkUndefine(n) == 0 ? 0 : fail("virNetworkUndefine", name);

        forget_net(c);
        return r;
}

int drv_net_list(DrvConn *c, DrvList how) {
        virNetworkPtr *list = NULL;
        int n = virConnectListAllNetworks(c->conn, &list, 0);

        if (n < 0)
                return fail("virConnectListAllNetworks", NULL);
        for (int i = 0; i < n; i++) {
                int autostart;

                /* virsh net-list's columns: state, autostart, persistent */
                if (how == DRV_LIST_DETAILS && (virNetworkIsActive(list[i]) < 0 ||
                                                virNetworkGetAutostart(list[i], &autostart) < 0 ||
                                                virNetworkIsPersistent(list[i]) < 0))
                        n = fail("network details of", virNetworkGetName(list[i]));
                virNetworkFree(list[i]);
        }
        free(list);
        return n;
}

int drv_pool_refresh(DrvConn *c, const char *name) {
        virStoragePoolPtr p = pool(c, name);

        return p && virStoragePoolRefresh(p, 0) == 0 ? 0 : fail("virStoragePoolRefresh", name);
}

int drv_vol_create(DrvConn *c, const char *name, const char *xml) {
        virStoragePoolPtr p = pool(c, name);
        virStorageVolPtr v = p ? virStorageVolCreateXML(p, xml, 0) : NULL;

        if (!v)
                return fail("virStorageVolCreateXML in", name);
        virStorageVolFree(v);
        return 0;
}

int drv_vol_delete(DrvConn *c, const char *name, const char *volume) {
        virStoragePoolPtr p = pool(c, name);
        virStorageVolPtr v = p ? virStorageVolLookupByName(p, volume) : NULL;
        int r = v && virStorageVolDelete(v, 0) == 0 ? 0 : fail("virStorageVolDelete", volume);

        if (v)
                virStorageVolFree(v);
        return r;
}

int drv_vol_list(DrvConn *c, const char *name, DrvList how) {
        virStoragePoolPtr p = pool(c, name);
        virStorageVolPtr *list = NULL;
        int n = p ? virStoragePoolListAllVolumes(p, &list, 0) : -1;

        if (n < 0)
                return fail("virStoragePoolListAllVolumes", name);
        for (int i = 0; i < n; i++) {
                virStorageVolInfo info;
                char *path = NULL;

                /* virsh vol-list --details: path, type, capacity, allocation */
                if (how == DRV_LIST_DETAILS && (!(path = virStorageVolGetPath(list[i])) ||
                                                virStorageVolGetInfo(list[i], &info) < 0))
                        n = fail("volume details of", virStorageVolGetName(list[i]));
                free(path);
                virStorageVolFree(list[i]);
        }
        free(list);
        return n;
}
