/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* api.h: the io.virtkit.Storage interface served by virtkit-storaged */
#pragma once

#include <systemd/sd-event.h>

#include "api-decl.h"
#include "call.h"
#include "method.h"
#include "storage-driver.h"
#include "subscribers.h"

/* What every handler gets as userdata: the driver, the event subscribers, the D-Bus objects. */
typedef struct VkStoraged {
        sd_event *event;
        VkService *service; /* set by the owner once it exists: D-Bus signals and objects */
        VkStorageDriver *driver;
        VkSubscribers *subscribers;
        sd_event_source *exit_source;
        GHashTable *vol_objects; /* volume object key → VolObjectRef: the volumes on D-Bus */
} VkStoraged;

extern const VkInterface vk_storage_interface;

int vk_storaged_new(sd_event *event, const VkStorageDriverConfig *cfg, VkStoraged **ret,
                    GPtrArray **ret_warnings, VkError *reterr);
void vk_storaged_sync_objects(VkStoraged *sd);
VkStoraged *vk_storaged_free(VkStoraged *sd);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(VkStoraged, vk_storaged_free)
