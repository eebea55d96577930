/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* network-status.h: what a started network created, in the run dir (survives a restart) */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

#include "atomic-file.h"
#include "error.h"
#include "method.h"

/* One nftables rule as recorded: family "ip"/"ip6", chain, handle. */
typedef struct VkNetworkStatusRule {
        char *family;
        char *chain;
        uint64_t handle;
} VkNetworkStatusRule;

/* One iptables rule as added: "-t TABLE -A CHAIN ARGS" of iptables (ip) or ip6tables (ip6). */
typedef struct VkNetworkStatusIptRule {
        char *family;
        char *table;
        char *chain;
        char **args;
} VkNetworkStatusIptRule;

/* The status file's content; every string is owned. */
typedef struct VkNetworkStatus {
        char *xml;                   /* the live definition (transient networks have no other) */
        bool persistent;             /* a definition file exists */
        char *bridge;                /* the bridge we created; NULL: none */
        VkArray rules;               /* VkNetworkStatusRule, in the order they were added */
        VkArray ipt_rules;           /* VkNetworkStatusIptRule (iptables backend), in order */
        bool ip_forward;             /* we switched on IPv4 forwarding */
        int64_t dnsmasq_pid;         /* 0: no dnsmasq */
        uint64_t dnsmasq_start_time; /* /proc/PID/stat field 22, clock ticks since boot */
        char *dnsmasq_exe;           /* /proc/PID/exe when it started */
} VkNetworkStatus;

/* Status files larger than this are refused. */
#define VK_NETWORK_STATUS_MAX (2 * 1024 * 1024)

VkNetworkStatus *vk_network_status_new(void);
VkNetworkStatus *vk_network_status_free(VkNetworkStatus *st);
void vk_network_status_add_rule(VkNetworkStatus *st, const char *family, const char *chain,
                                uint64_t handle);
void vk_network_status_add_ipt_rule(VkNetworkStatus *st, const char *family, const char *table,
                                    const char *chain, const char *const *args);
int vk_network_status_format(const VkNetworkStatus *st, char **ret_text, VkError *reterr);
int vk_network_status_parse(const char *text, VkNetworkStatus **ret, VkError *reterr);
int vk_network_status_save(const char *path, const VkNetworkStatus *st, VkError *reterr);
int vk_network_status_save_full(const char *path, const VkNetworkStatus *st,
                                VkAtomicFileFlags flags, VkError *reterr);
int vk_network_status_load(const char *path, VkNetworkStatus **ret, VkError *reterr);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(VkNetworkStatus, vk_network_status_free)
