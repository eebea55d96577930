/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* api-device.c: io.virtkit.Qemu's AttachDevice, DetachDevice, UpdateDevice (attach-device, ...) */
#include <stddef.h>

#include "api.h"
#include "log.h"

typedef struct DeviceParams {
        char *domain;
        char *xml;
        bool live;
        bool config;
} DeviceParams;

static const VkField device_fields[] = {
        { "domain", VK_FIELD_STRING, offsetof(DeviceParams, domain), VK_FIELD_REQUIRED, NULL,
          "The domain's name or UUID" },
        { "xml", VK_FIELD_STRING, offsetof(DeviceParams, xml), VK_FIELD_REQUIRED, NULL,
          "The device: one <disk> element (detach: found by its <target dev=>)" },
        { "live", VK_FIELD_BOOL, offsetof(DeviceParams, live), 0, NULL,
          "The running domain (an error when it is shut off)" },
        { "config", VK_FIELD_BOOL, offsetof(DeviceParams, config), 0, NULL,
          "The persistent definition (neither: the running domain when it runs, else the "
          "persistent definition)" },
        {},
};

static const VkStructType device_params = {
        .size = sizeof(DeviceParams),
        .fields = device_fields,
};

typedef struct UpdateParams {
        DeviceParams device; /* first: device_flags() reads it */
        bool force;
} UpdateParams;

static const VkField update_fields[] = {
        { "domain", VK_FIELD_STRING, offsetof(UpdateParams, device.domain), VK_FIELD_REQUIRED, NULL,
          "The domain's name or UUID" },
        { "xml", VK_FIELD_STRING, offsetof(UpdateParams, device.xml), VK_FIELD_REQUIRED, NULL,
          "A CD-ROM or floppy <disk>, found by its <target dev=>: its <source> becomes the "
          "drive's medium (none: ejected); nothing else may differ" },
        { "live", VK_FIELD_BOOL, offsetof(UpdateParams, device.live), 0, NULL,
          "The running domain (an error when it is shut off)" },
        { "config", VK_FIELD_BOOL, offsetof(UpdateParams, device.config), 0, NULL,
          "The persistent definition (neither: the running domain when it runs, else the "
          "persistent definition)" },
        { "force", VK_FIELD_BOOL, offsetof(UpdateParams, force), 0, NULL,
          "Open a tray the guest locked" },
        {},
};

static const VkStructType update_params = {
        .size = sizeof(UpdateParams),
        .fields = update_fields,
};

typedef struct DetachResult {
        bool removed;
} DetachResult;

static const VkField detach_result_fields[] = {
        { "removed", VK_FIELD_BOOL, offsetof(DetachResult, removed), VK_FIELD_REQUIRED, NULL,
          "Live: QEMU removed the device; false: the guest has not released it within 5 s "
          "(the request is sent, as libvirt answers, and the removal finishes when it does), "
          "or no live part" },
        {},
};

static const VkStructType detach_result = {
        .size = sizeof(DetachResult),
        .fields = detach_result_fields,
};

static unsigned device_flags(const DeviceParams *p) {
        return (p->live ? VK_QEMU_AFFECT_LIVE : 0) | (p->config ? VK_QEMU_AFFECT_CONFIG : 0);
}

static void device_on_done(VkQemuDriver *drv, const char *result, const VkError *error,
                           void *userdata) {
        VkCall *call = userdata;

        if (error) {
                vk_log_debug("%s failed: %s", vk_call_method(call)->name, error->message);
                (void) vk_call_reply_error(call, error);
        } else if (vk_call_method(call)->out) {
                DetachResult res = { .removed = g_strcmp0(result, "removed") == 0 };

                (void) vk_call_reply(call, &res);
        } else
                (void) vk_call_reply(call, NULL);
        vk_call_unref(call);
}

static int api_device(VkCall *call, void *params, void *userdata, bool attach) {
        const DeviceParams *p = params;
        VkQemuDriver *drv = ((VkQemud *) userdata)->driver;
        int r;

        r = (attach ? vk_qemu_driver_attach_device : vk_qemu_driver_detach_device)(
                drv, p->domain, p->xml, device_flags(p), device_on_done, call, vk_call_error(call));
        if (r < 0)
                return r;
        vk_call_ref(call); /* device_on_done() replies and unrefs */
        return 0;
}

static int api_attach_device(VkCall *call, void *params, void *userdata) {
        return api_device(call, params, userdata, true);
}

static int api_detach_device(VkCall *call, void *params, void *userdata) {
        return api_device(call, params, userdata, false);
}

static int api_update_device(VkCall *call, void *params, void *userdata) {
        const UpdateParams *p = params;
        VkQemuDriver *drv = ((VkQemud *) userdata)->driver;
        int r;

        r = vk_qemu_driver_update_device(drv, p->device.domain, p->device.xml,
                                         device_flags(&p->device) |
                                                 (p->force ? VK_QEMU_MEDIA_FORCE : 0),
                                         device_on_done, call, vk_call_error(call));
        if (r < 0)
                return r;
        vk_call_ref(call); /* device_on_done() replies and unrefs */
        return 0;
}

const VkMethod vk_qemud_device_methods[] = {
        { "AttachDevice", &device_params, NULL, api_attach_device, VK_AUTH_MANAGE, 0,
          "Attach a disk to the running domain (blockdev-add, device_add; labelled as at "
          "start) and/or to its persistent definition." },
        { "DetachDevice", &device_params, &detach_result, api_detach_device, VK_AUTH_MANAGE, 0,
          "Detach a disk from the running domain (device_del, then its nodes and labels once "
          "QEMU removed it; waits up to 5 s for the guest) and/or from the persistent "
          "definition." },
        { "UpdateDevice", &update_params, NULL, api_update_device, VK_AUTH_MANAGE, 0,
          "Change the medium of a CD-ROM or floppy drive given as its <disk> (libvirt's "
          "update-device; ChangeDomainMedia does the same by target and path)." },
        {},
};
