/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* api-media.c: io.virtkit.Qemu's ChangeDomainMedia (virsh change-media) */
#include <stddef.h>

#include "api.h"
#include "log.h"

typedef struct MediaParams {
        char *domain;
        char *target;
        char *source;
        char *action;
        bool live;
        bool config;
        bool force;
} MediaParams;

static const VkField media_fields[] = {
        { "domain", VK_FIELD_STRING, offsetof(MediaParams, domain), VK_FIELD_REQUIRED, NULL,
          "The domain's name or UUID" },
        { "target", VK_FIELD_STRING, offsetof(MediaParams, target), VK_FIELD_REQUIRED, NULL,
          "The CD-ROM or floppy drive: its target dev ('sda', 'hdc', 'fda') or its current "
          "source path" },
        { "source", VK_FIELD_STRING, offsetof(MediaParams, source), 0, NULL,
          "The new medium, an absolute path to an image or a block device (absent: eject)" },
        { "action", VK_FIELD_STRING, offsetof(MediaParams, action), 0, NULL,
          "virsh's checks: 'eject' (the drive must have a medium), 'insert' (it must be empty), "
          "'update' or 'change' (absent: as the source says)" },
        { "live", VK_FIELD_BOOL, offsetof(MediaParams, live), 0, NULL,
          "The running domain's drive" },
        { "config", VK_FIELD_BOOL, offsetof(MediaParams, config), 0, NULL,
          "The persistent definition (neither: the live one of a running domain, else the "
          "persistent one)" },
        { "force", VK_FIELD_BOOL, offsetof(MediaParams, force), 0, NULL,
          "Open the tray even if the guest locked it" },
        {},
};

static const VkStructType media_params = {
        .size = sizeof(MediaParams),
        .fields = media_fields,
};

static void media_on_done(VkQemuDriver *drv, const char *result, const VkError *error,
                          void *userdata) {
        VkCall *call = userdata;

        if (error) {
                vk_log_debug("ChangeDomainMedia failed: %s", error->message);
                (void) vk_call_reply_error(call, error);
        } else
                (void) vk_call_reply(call, NULL);
        vk_call_unref(call);
}

static int api_change_media(VkCall *call, void *params, void *userdata) {
        const MediaParams *p = params;
        VkQemuMediaAction action = VK_QEMU_MEDIA_CHANGE;
        unsigned flags = (p->live ? VK_QEMU_AFFECT_LIVE : 0) |
                         (p->config ? VK_QEMU_AFFECT_CONFIG : 0) |
                         (p->force ? VK_QEMU_MEDIA_FORCE : 0);
        int r;

        if (p->action) {
                action = vk_qemu_media_action_from_string(p->action);
                if (action < 0)
                        return vk_error_set(vk_call_error(call), VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                            "action '%s' is not one of eject, insert, update, "
                                            "change",
                                            p->action);
        }
        r = vk_qemu_driver_change_media(((VkQemud *) userdata)->driver, p->domain, p->target,
                                        p->source, action, flags, media_on_done, call,
                                        vk_call_error(call));
        if (r < 0)
                return r;
        vk_call_ref(call); /* media_on_done() replies and unrefs */
        return 0;
}

const VkMethod vk_qemud_media_methods[] = {
        { "ChangeDomainMedia", &media_params, NULL, api_change_media, VK_AUTH_MANAGE, 0,
          "Insert, replace or eject the medium of a CD-ROM or floppy drive, live (QMP "
          "blockdev-open-tray, -remove-medium, -insert-medium, -close-tray; the image labelled "
          "for QEMU) and/or in the persistent definition, as virsh change-media." },
        {},
};
