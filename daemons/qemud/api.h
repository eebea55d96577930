/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* api.h: the io.virtkit.Qemu interface served by virtkit-qemud */
#pragma once

#include <systemd/sd-event.h>

#include "daemon.h"
#include "method.h"
#include "qemu-driver.h"

/* What every handler gets as userdata: the driver and the event subscribers. */
typedef struct VkQemud {
        VkDaemon *daemon;
        VkQemuDriver *driver;
        GPtrArray *subscribers;       /* VkCall of SubscribeEvents streams (references) */
        sd_event_source *prune_timer; /* drops subscribers whose connection closed */
        sd_event_source *exit_source; /* ends the streams before the service goes away */
} VkQemud;

extern const VkInterface vk_qemu_interface;

void vk_qemud_on_event(VkQemuDriver *drv, const VkQemuDomainEvent *ev, void *userdata);
void vk_qemud_drop_subscribers(VkQemud *q);
