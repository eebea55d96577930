/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* network-child.h: a short-lived helper program (dnsmasq's start, iptables) run to its end */
#pragma once

#include <sys/types.h>

#include <systemd/sd-event.h>

#include "error.h"

/* How a helper run by vk_network_child_run() ended. */
typedef struct VkNetworkChildResult {
        int code;     /* CLD_EXITED, CLD_KILLED, CLD_DUMPED */
        int status;   /* exit status or signal */
        char *errout; /* its stderr, trimmed to one line (g_free) */
} VkNetworkChildResult;

void vk_network_child_result_done(VkNetworkChildResult *res);
int vk_network_child_run(sd_event *e, const char *const *argv, const char *const *env,
                         unsigned timeout_msec, VkNetworkChildResult *ret, VkError *reterr);
bool vk_network_child_succeeded(const VkNetworkChildResult *res);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(VkNetworkChildResult, vk_network_child_result_done)
