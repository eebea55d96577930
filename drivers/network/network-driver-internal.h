/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* network-driver-internal.h: what network-driver.c and network-start.c share */
#pragma once

#include "child.h"
#include "network-driver.h"
#include "network-status.h"

typedef struct NetworkObj {
        char *name;
        char uuid[VK_UUID_STRING_MAX];
        VkNetworkDef *def;       /* the persistent definition; NULL: transient */
        VkNetworkDef *live;      /* the running definition; NULL: inactive */
        VkNetworkStatus *status; /* what the running network created; NULL: inactive */
        bool autostart;
        VkPidfdWatch *dnsmasq_watch;
        GHashTable *ports; /* port UUID → VkNetworkPortDef (owned); NULL: none yet */
} NetworkObj;

struct VkNetworkDriver {
        sd_event *event;
        char *networks_dir;  /* <config>/networks */
        char *autostart_dir; /* <config>/networks/autostart */
        char *run_dir;
        char *dnsmasq_dir; /* <lib>/dnsmasq */
        char *leases_helper;
        char *dnsmasq;
        GHashTable *by_name; /* name → NetworkObj (owned) */
        GPtrArray *reapers;  /* VkPidfdWatch of dnsmasqs being stopped */
        VkNetworkEventFunc event_cb;
        void *event_userdata;
};

int network_find(VkNetworkDriver *drv, const char *name, NetworkObj **ret, VkError *reterr);
char *network_status_path(VkNetworkDriver *drv, const char *name);
char *network_leases_path(VkNetworkDriver *drv, const char *name);
int network_start(VkNetworkDriver *drv, NetworkObj *o, const VkNetworkDef *def, bool persistent,
                  VkError *reterr);
int network_stop(VkNetworkDriver *drv, NetworkObj *o, VkError *reterr);
int network_update_live(VkNetworkDriver *drv, NetworkObj *o, VkNetworkDef *live, VkError *reterr);
int network_adopt(VkNetworkDriver *drv, NetworkObj *o, VkNetworkStatus *st, GPtrArray *warnings);
void network_ports_load(VkNetworkDriver *drv, NetworkObj *o, GPtrArray *warnings);
void network_ports_drop(VkNetworkDriver *drv, NetworkObj *o);
const char *const *network_bridges_in_use(VkNetworkDriver *drv, GPtrArray *names);
