/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* network-driver-internal.h: what network-driver.c and network-start.c share */
#pragma once

#include "child.h"
#include "network-driver.h"
#include "network-firewall.h"
#include "network-status.h"

typedef struct NetworkObj {
        char *name;
        char uuid[VK_UUID_STRING_MAX];
        VkNetworkDef *def;       /* the persistent definition; NULL: transient */
        VkNetworkDef *live;      /* the running definition; NULL: inactive */
        VkNetworkStatus *status; /* what the running network created; NULL: inactive */
        bool autostart;
        VkPidfdWatch *dnsmasq_watch;
        uint64_t dnsmasq_window_start; /* restarts of its dnsmasq: since when (CLOCK_REALTIME s) */
        unsigned dnsmasq_restarts;     /* and how many */
        bool dnsmasq_degraded;         /* its dnsmasq kept dying: not started again */
        GHashTable *ports;             /* port UUID → VkNetworkPortDef (owned); NULL: none yet */
} NetworkObj;

struct VkNetworkDriver {
        sd_event *event;
        char *networks_dir;  /* <config>/networks */
        char *autostart_dir; /* <config>/networks/autostart */
        char *run_dir;
        char *dnsmasq_dir; /* <lib>/dnsmasq */
        char *leases_helper;
        char *dnsmasq;
        VkNetworkFirewallBackend firewall; /* for new rules; removal follows the status */
        GHashTable *by_name;               /* name → NetworkObj (owned) */
        GPtrArray *reapers;                /* VkPidfdWatch of dnsmasqs being stopped */
        VkNetworkEventFunc event_cb;
        void *event_userdata;
        VkNetworkWarningFunc warning_cb;
        void *warning_userdata;
};

int network_find(VkNetworkDriver *drv, const char *name, NetworkObj **ret, VkError *reterr);
char *network_file(VkNetworkDriver *drv, const char *dir, const char *name, const char *suffix);
int network_save_status(VkNetworkDriver *drv, NetworkObj *o, VkError *reterr);
int network_write(VkNetworkDriver *drv, const char *path, const char *text, VkError *reterr);
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

/* network-dnsmasq-run.c */
int network_dnsmasq_start(VkNetworkDriver *drv, NetworkObj *o, const VkNetworkDef *def,
                          VkError *reterr);
int network_dnsmasq_open(const VkNetworkStatus *st);
void network_dnsmasq_stop(VkNetworkDriver *drv, NetworkObj *o);
void network_dnsmasq_on_exit(VkPidfdWatch *w, const VkChildExit *exit_or_null, void *userdata);
