/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* api.h: the io.virtkit.Network interface served by virtkit-networkd */
#pragma once

#include <systemd/sd-event.h>

#include "api-decl.h"
#include "call.h"
#include "method.h"
#include "network-driver.h"
#include "subscribers.h"

/* What every handler gets as userdata: the driver and the event subscribers. */
typedef struct VkNetworkd {
        sd_event *event;
        VkService *service; /* set by the owner once it exists: D-Bus signals and objects */
        VkNetworkDriver *driver;
        VkSubscribers *subscribers;
        sd_event_source *exit_source;
} VkNetworkd;

extern const VkInterface vk_network_interface;

int vk_networkd_new(sd_event *event, const VkNetworkDriverConfig *cfg, VkNetworkd **ret,
                    GPtrArray **ret_warnings, VkError *reterr);
VkNetworkd *vk_networkd_free(VkNetworkd *nd);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(VkNetworkd, vk_networkd_free)
