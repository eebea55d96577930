/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-domain-address.c: vk_domain_def_assign_addresses(): PCI, then USB and virtio-serial ports */
#include <assert.h>
#include <errno.h>

#include "qemu-domain-internal.h"

static unsigned addr_usb_ports(const VkDomainController *c) {
        if (c->ports)
                return c->ports;
        switch (c->model) {
        case VK_CONTROLLER_MODEL_PIIX3_UHCI:
                return 2;
        case VK_CONTROLLER_MODEL_ICH9_EHCI1:
                return 6;
        case VK_CONTROLLER_MODEL_QEMU_XHCI:
        case VK_CONTROLLER_MODEL_NEC_XHCI:
                return 4;
        default:
                return 0;
        }
}

/* ---- USB and virtio-serial ports -------------------------------------------------------- */

static int addr_assign_usb(VkDomainDef *def, VkError *reterr) {
        const VkDomainController *usb = vk_domain_def_find_controller(def, VK_CONTROLLER_USB, 0);
        unsigned max = usb ? addr_usb_ports(usb) : 0;
        uint32_t used = 0;
        g_autoptr(GPtrArray) infos = g_ptr_array_new();
        size_t n;

        /* CCID controllers (smartcard readers) first, as libvirt */
        for (size_t i = 0; i < def->n_controllers; i++)
                if (def->controllers[i]->type == VK_CONTROLLER_CCID)
                        g_ptr_array_add(infos, &def->controllers[i]->info);
        for (size_t i = 0; i < def->n_inputs; i++)
                if (def->inputs[i]->bus == VK_INPUT_BUS_USB)
                        g_ptr_array_add(infos, &def->inputs[i]->info);
        for (size_t i = 0; i < def->n_disks; i++)
                if (def->disks[i]->bus == VK_DISK_BUS_USB)
                        g_ptr_array_add(infos, &def->disks[i]->info);
        for (size_t i = 0; i < def->n_serials; i++)
                if (def->serials[i]->target_type == VK_CHR_TARGET_USB_SERIAL)
                        g_ptr_array_add(infos, &def->serials[i]->info);
        for (size_t i = 0; i < def->n_sounds; i++)
                if (def->sounds[i]->model == VK_SOUND_USB)
                        g_ptr_array_add(infos, &def->sounds[i]->info);
        for (size_t i = 0; i < def->n_redirdevs; i++)
                g_ptr_array_add(infos, &def->redirdevs[i]->info);
        n = infos->len;
        if (n == 0)
                return 0;
        if (max == 0)
                return vk_domain_devices_error(
                        reterr, "USB devices need a USB controller (model is 'none')");

        for (size_t i = 0; i < n; i++) {
                const VkDeviceAddress *a = &((VkDeviceInfo *) infos->pdata[i])->addr;

                if (a->type == VK_ADDRESS_NONE)
                        continue;
                if (a->type != VK_ADDRESS_USB)
                        return vk_domain_devices_error(reterr, "a USB device needs a USB address");
                if (a->usb.bus != 0 || a->usb.port > max || a->usb.port == 0)
                        return vk_domain_devices_error(reterr, "USB address %u.%u does not exist",
                                                       a->usb.bus, a->usb.port);
                if (used & (1u << a->usb.port))
                        return vk_domain_devices_error(reterr, "USB port %u is used twice",
                                                       a->usb.port);
                used |= 1u << a->usb.port;
        }
        for (size_t i = 0; i < n; i++) {
                VkDeviceAddress *a = &((VkDeviceInfo *) infos->pdata[i])->addr;
                unsigned port;

                if (a->type != VK_ADDRESS_NONE)
                        continue;
                for (port = 1; port <= max && (used & (1u << port)); port++)
                        ;
                if (port > max)
                        return vk_domain_devices_error(
                                reterr, "no free USB port left (the controller has %u)", max);
                used |= 1u << port;
                a->type = VK_ADDRESS_USB;
                a->usb.bus = 0;
                a->usb.port = port;
        }
        return 0;
}

static int addr_assign_vserial(VkDomainDef *def, VkError *reterr) {
        const VkDomainController *vs =
                vk_domain_def_find_controller(def, VK_CONTROLLER_VIRTIO_SERIAL, 0);
        unsigned max = vs && vs->ports ? vs->ports : 31;
        uint32_t used = 1; /* port 0 is the virtio console's */

        for (size_t i = 0; i < def->n_channels; i++) {
                const VkDeviceAddress *a = &def->channels[i]->info.addr;

                if (a->type == VK_ADDRESS_NONE)
                        continue;
                if (a->type != VK_ADDRESS_VIRTIO_SERIAL)
                        return vk_domain_devices_error(reterr,
                                                       "a channel needs a virtio-serial address");
                if (!vk_domain_def_find_controller(def, VK_CONTROLLER_VIRTIO_SERIAL,
                                                   a->vserial.controller))
                        return vk_domain_devices_error(reterr,
                                                       "channel: no virtio-serial controller %u",
                                                       a->vserial.controller);
                if (a->vserial.controller != 0)
                        continue;
                if (a->vserial.bus != 0 || a->vserial.port == 0 || a->vserial.port > max)
                        return vk_domain_devices_error(reterr,
                                                       "channel: virtio-serial port %u.%u does not "
                                                       "exist",
                                                       a->vserial.bus, a->vserial.port);
                if (used & (1u << a->vserial.port))
                        return vk_domain_devices_error(
                                reterr, "virtio-serial port %u is used twice", a->vserial.port);
                used |= 1u << a->vserial.port;
        }
        for (size_t i = 0; i < def->n_channels; i++) {
                VkDeviceAddress *a = &def->channels[i]->info.addr;
                unsigned port;

                if (a->type != VK_ADDRESS_NONE)
                        continue;
                for (port = 1; port <= max && (used & (1u << port)); port++)
                        ;
                if (port > max)
                        return vk_domain_devices_error(reterr, "no free virtio-serial port left");
                used |= 1u << port;
                a->type = VK_ADDRESS_VIRTIO_SERIAL;
                a->vserial.port = port;
        }
        return 0;
}

/*
 * Give every device that needs one an address, deterministically and the way libvirt does
 * for @kind: for pc, the PIIX3 functions at slot 1 (IDE 1.1, USB 1.2), the primary video at
 * slot 2, then devices in libvirt's order from slot 3; for q35, SATA at 1f.2, the primary
 * video at 1.0, and each PCI Express device behind its own pcie-root-port (added on demand,
 * eight to a slot from slot 2, chassis = index, port = slot * 8 + function); conventional PCI
 * devices on q35 go behind a pcie-to-pci-bridge. Also USB ports (from 1) and virtio-serial
 * ports (from 1). Addresses already present are kept and checked for conflicts. Idempotent.
 */
int vk_domain_def_assign_addresses(VkDomainDef *def, VkMachineKind kind, VkError *reterr) {
        int r;

        assert(def);

        if (kind != VK_MACHINE_PC && kind != VK_MACHINE_Q35)
                return vk_error_set(reterr, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                    "address assignment supports pc and q35 machines only");

        r = vk_domain_assign_pci_addresses(def, kind, reterr);
        if (r < 0)
                return r;
        r = addr_assign_usb(def, reterr);
        if (r < 0)
                return r;
        return addr_assign_vserial(def, reterr);
}
