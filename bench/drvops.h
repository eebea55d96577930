/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* drvops.h: the network and storage operations drvbench times, one backend a program:
 * drvops-vk.c (virtkit-networkd and virtkit-storaged over varlink) builds drvbench-vk,
 * drvops-lv.c (libvirtd through libvirt.so) builds drvbench-lv. The timing code
 * (netbench.c, storbench.c) is shared, so both stacks are measured by the same loop with the
 * same criterion. Every call blocks until the daemon's reply; failures print the daemon's
 * error on stderr and return -1. */
#pragma once

typedef struct DrvConn DrvConn;

/* What a list returns. HANDLES: what the list call gives (libvirt: the objects' handles, name
 * and UUID or key; virtkit: the reply, parsed, which carries every object's details too).
 * DETAILS: also what `net-list` / `vol-list --details` show (libvirt: a call per object and
 * figure). RAW: virtkit's reply read in full but only scanned, not parsed (the daemon's and
 * the wire's share); libvirt: as HANDLES. */
typedef enum DrvList { DRV_LIST_HANDLES, DRV_LIST_DETAILS, DRV_LIST_RAW } DrvList;

/* "virtkit" or "libvirt", for messages. */
extern const char drv_stack[];

/* virtkit: the root's run directory (its io.virtkit.Network and io.virtkit.Storage sockets);
 * libvirt: a connection URI. Exits on failure. */
DrvConn *drv_open(const char *target);
void drv_close(DrvConn *c);

int drv_net_define(DrvConn *c, const char *xml);
int drv_net_start(DrvConn *c, const char *name);
int drv_net_destroy(DrvConn *c, const char *name);
int drv_net_undefine(DrvConn *c, const char *name);
/* All networks, active or not: how many, or -1. */
int drv_net_list(DrvConn *c, DrvList how);

int drv_pool_refresh(DrvConn *c, const char *pool);
int drv_vol_create(DrvConn *c, const char *pool, const char *xml);
int drv_vol_delete(DrvConn *c, const char *pool, const char *volume);
/* The volumes of @pool: how many, or -1. */
int drv_vol_list(DrvConn *c, const char *pool, DrvList how);
