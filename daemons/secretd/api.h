/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* api.h: the io.virtkit.Secret interface served by virtkit-secretd */
#pragma once

#include <systemd/sd-event.h>

#include "api-decl.h"
#include "call.h"
#include "method.h"
#include "secret-driver.h"
#include "subscribers.h"

/* What every handler gets as userdata: the driver and the event subscribers. */
typedef struct VkSecretd {
        sd_event *event;
        VkService *service; /* set by the owner once it exists: D-Bus signals and objects */
        VkSecretDriver *driver;
        VkSubscribers *subscribers;   /* the SubscribeEvents streams */
        sd_event_source *exit_source; /* ends the streams before the service goes away */
} VkSecretd;

extern const VkInterface vk_secret_interface;

int vk_secretd_new(sd_event *event, const VkSecretDriverConfig *cfg, VkSecretd **ret,
                   GPtrArray **ret_warnings, VkError *reterr);
VkSecretd *vk_secretd_free(VkSecretd *sd);
void vk_secretd_drop_subscribers(VkSecretd *sd);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(VkSecretd, vk_secretd_free)
