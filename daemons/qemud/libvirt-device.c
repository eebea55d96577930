/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libvirt-device.c: org.libvirt.Domain's AttachDevice, DetachDevice and UpdateDevice (disks) */
#include <errno.h>

#include "libvirt-internal.h"

/* libvirt's virDomainDeviceModifyFlags: AFFECT_CURRENT 0, AFFECT_LIVE 1, AFFECT_CONFIG 2 */
#define DEVICE_AFFECT_LIVE   (1u << 0)
#define DEVICE_AFFECT_CONFIG (1u << 1)
#define DEVICE_MODIFY_FORCE  (1u << 2) /* UpdateDevice only */

typedef enum DeviceOp {
        DEVICE_ATTACH,
        DEVICE_DETACH,
        DEVICE_UPDATE,
} DeviceOp;

/* AttachDevice, DetachDevice, UpdateDevice (xml, flags): virDomain{Attach,...}DeviceFlags */
static int device_call(VkCall *call, void *userdata, DeviceOp op) {
        VkQemud *q = userdata;
        g_auto(VkError) e = VK_ERROR_INIT;
        VkDomainObj *obj;
        const char *xml = NULL;
        uint32_t flags = 0, known = DEVICE_AFFECT_LIVE | DEVICE_AFFECT_CONFIG;
        int r;

        r = vk_libvirt_read(call, "su", &xml, &flags);
        if (r < 0)
                return r;
        if (vk_libvirt_domain_of_call(call, q, &obj) < 0)
                return 0;
        if (op == DEVICE_UPDATE)
                known |= DEVICE_MODIFY_FORCE;
        if (flags & ~known) {
                vk_error_set(&e, VK_ERROR_INVALID_ARGUMENT, -EINVAL, "unsupported flags (0x%x)",
                             flags & ~known);
                return vk_libvirt_fail(call, &e);
        }
        /* libvirt's flag values are the driver's: AFFECT_LIVE, AFFECT_CONFIG, MEDIA_FORCE */
        return vk_libvirt_async(call, (op == DEVICE_ATTACH   ? vk_qemu_driver_attach_device
                                       : op == DEVICE_DETACH ? vk_qemu_driver_detach_device
                                                             : vk_qemu_driver_update_device)(
                                              q->driver, obj->uuid_str, xml, flags,
                                              vk_libvirt_on_done, call, vk_call_error(call)));
}

int vk_libvirt_domain_attach_device(VkCall *call, void *params, void *userdata) {
        return device_call(call, userdata, DEVICE_ATTACH);
}

int vk_libvirt_domain_detach_device(VkCall *call, void *params, void *userdata) {
        return device_call(call, userdata, DEVICE_DETACH);
}

int vk_libvirt_domain_update_device(VkCall *call, void *params, void *userdata) {
        return device_call(call, userdata, DEVICE_UPDATE);
}
