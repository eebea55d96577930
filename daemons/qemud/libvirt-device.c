/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libvirt-device.c: org.libvirt.Domain's AttachDevice and DetachDevice (disks, see drivers) */
#include <errno.h>

#include "libvirt-internal.h"

/* libvirt's virDomainDeviceModifyFlags: AFFECT_CURRENT 0, AFFECT_LIVE 1, AFFECT_CONFIG 2 */
#define DEVICE_AFFECT_LIVE   (1u << 0)
#define DEVICE_AFFECT_CONFIG (1u << 1)

/* AttachDevice(xml, flags) and DetachDevice(xml, flags): virDomain{Attach,Detach}DeviceFlags */
static int device_call(VkCall *call, void *userdata, bool attach) {
        VkQemud *q = userdata;
        g_auto(VkError) e = VK_ERROR_INIT;
        VkDomainObj *obj;
        const char *xml = NULL;
        uint32_t flags = 0;
        int r;

        r = vk_libvirt_read(call, "su", &xml, &flags);
        if (r < 0)
                return r;
        if (vk_libvirt_domain_of_call(call, q, &obj) < 0)
                return 0;
        if (flags & ~(DEVICE_AFFECT_LIVE | DEVICE_AFFECT_CONFIG)) {
                vk_error_set(&e, VK_ERROR_INVALID_ARGUMENT, -EINVAL, "unsupported flags (0x%x)",
                             flags & ~(DEVICE_AFFECT_LIVE | DEVICE_AFFECT_CONFIG));
                return vk_libvirt_fail(call, &e);
        }
        return vk_libvirt_async(
                call, (attach ? vk_qemu_driver_attach_device : vk_qemu_driver_detach_device)(
                              q->driver, obj->uuid_str, xml, flags, vk_libvirt_on_done, call,
                              vk_call_error(call)));
}

int vk_libvirt_domain_attach_device(VkCall *call, void *params, void *userdata) {
        return device_call(call, userdata, true);
}

int vk_libvirt_domain_detach_device(VkCall *call, void *params, void *userdata) {
        return device_call(call, userdata, false);
}
