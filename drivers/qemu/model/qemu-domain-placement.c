/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-domain-placement.c: what no PCI bus decides: address kinds, serial/parallel ports */
#include <errno.h>
#include <stdint.h>

#include "qemu-domain-internal.h"

/*
 * Both checks run at post-parse, so a definition we accept is one we can write and load
 * again: a device never keeps an address of a kind it cannot sit on (the PCI assignment
 * would ignore it and hand the slot out twice), and a port is never given that the parser
 * refuses.
 */

#define ISA_PORTS 4 /* isa-serial and parallel ports: 0-3 (the four legacy I/O ranges) */

static bool chr_is_isa(const VkDomainChr *c) {
        return c->kind == VK_CHR_PARALLEL ||
               (c->kind == VK_CHR_SERIAL && (c->target_type == VK_CHR_TARGET_DEFAULT ||
                                             c->target_type == VK_CHR_TARGET_ISA_SERIAL));
}

/*
 * Give each of @chrs (the serial or the parallel ports, @element names them) without a
 * <target port=> the lowest port no other one uses, as libvirt does. ISA devices have ports
 * 0-3 only: a fifth one is an error, not a port 4 that the next load refuses.
 */
int vk_domain_assign_chr_ports(VkDomainChr **chrs, size_t n, const char *element, VkError *reterr) {
        uint64_t used[4] = {}; /* ports 0-255 */

        for (size_t i = 0; i < n; i++) {
                int port = chrs[i]->target_port;

                if (port < 0)
                        continue;
                if (used[port / 64] & (UINT64_C(1) << (port % 64)))
                        return vk_error_set(reterr, VK_ERROR_INVALID_XML, -EINVAL,
                                            "/domain/devices/%s[%zu]/target/@port: port %d is "
                                            "used by another %s",
                                            element, i + 1, port, element);
                used[port / 64] |= UINT64_C(1) << (port % 64);
        }
        for (size_t i = 0; i < n; i++) {
                VkDomainChr *c = chrs[i];
                int max = chr_is_isa(c) ? ISA_PORTS - 1 : 255;
                int port = 0;

                if (c->target_port >= 0)
                        continue;
                while (port <= max && (used[port / 64] & (UINT64_C(1) << (port % 64))))
                        port++;
                if (port > max)
                        return vk_error_set(reterr, VK_ERROR_INVALID_XML, -ERANGE,
                                            "/domain/devices/%s[%zu]: no free port: ISA %s "
                                            "ports are 0-%d, and all of them are in use",
                                            element, i + 1, element, max);
                c->target_port = port;
                used[port / 64] |= UINT64_C(1) << (port % 64);
        }
        return 0;
}

/* The address kinds a device may carry (besides none). */
typedef struct AddrKinds {
        bool pci, usb, drive, vserial;
} AddrKinds;

static int check_kind(const VkDeviceInfo *info, AddrKinds ok, const char *element, size_t index,
                      const char *what, VkError *reterr) {
        VkAddressType t = info->addr.type;

        if (t == VK_ADDRESS_NONE || (t == VK_ADDRESS_PCI && ok.pci) ||
            (t == VK_ADDRESS_USB && ok.usb) || (t == VK_ADDRESS_DRIVE && ok.drive) ||
            (t == VK_ADDRESS_VIRTIO_SERIAL && ok.vserial))
                return 0;
        return vk_error_set(reterr, VK_ERROR_INVALID_XML, -EINVAL,
                            "/domain/devices/%s[%zu]/address/@type: %s cannot have an address "
                            "of type '%s'",
                            element, index + 1, what, vk_address_type_to_string(t));
}

static const AddrKinds PCI_ONLY = { .pci = true };
static const AddrKinds NO_ADDRESS = {};

/*
 * Refuse an explicit <address> of a kind the device cannot sit on, e.g. a PS/2 input with a
 * PCI address. Disks and controllers are checked where their buses are decided.
 */
int vk_domain_check_address_kinds(const VkDomainDef *def, VkError *reterr) {
        int r = 0;

        for (size_t i = 0; i < def->n_inputs && r >= 0; i++) {
                const VkDomainInput *in = def->inputs[i];
                AddrKinds ok = in->bus == VK_INPUT_BUS_USB      ? (AddrKinds){ .usb = true }
                               : in->bus == VK_INPUT_BUS_VIRTIO ? PCI_ONLY
                                                                : NO_ADDRESS;
                g_autofree char *what =
                        g_strdup_printf("a %s input", vk_input_bus_to_string(in->bus) ?: "ps2");

                r = check_kind(&in->info, ok, "input", i, what, reterr);
        }
        for (size_t i = 0; i < def->n_serials && r >= 0; i++) {
                const VkDomainChr *c = def->serials[i];
                AddrKinds ok = c->target_type == VK_CHR_TARGET_PCI_SERIAL ? PCI_ONLY
                               : c->target_type == VK_CHR_TARGET_USB_SERIAL
                                       ? (AddrKinds){ .usb = true }
                                       : NO_ADDRESS;

                r = check_kind(&c->info, ok, "serial", i,
                               chr_is_isa(c) ? "an ISA serial port" : "this serial port", reterr);
        }
        for (size_t i = 0; i < def->n_parallels && r >= 0; i++)
                r = check_kind(&def->parallels[i]->info, NO_ADDRESS, "parallel", i,
                               "a parallel port", reterr);
        for (size_t i = 0; i < def->n_consoles && r >= 0; i++) {
                const VkDomainChr *c = def->consoles[i];
                bool virtio = c->target_type == VK_CHR_TARGET_VIRTIO;

                r = check_kind(&c->info, virtio ? (AddrKinds){ .vserial = true } : NO_ADDRESS,
                               "console", i, virtio ? "a virtio console" : "a serial console",
                               reterr);
        }
        for (size_t i = 0; i < def->n_channels && r >= 0; i++)
                r = check_kind(&def->channels[i]->info, (AddrKinds){ .vserial = true }, "channel",
                               i, "a channel", reterr);
        for (size_t i = 0; i < def->n_nets && r >= 0; i++)
                r = check_kind(&def->nets[i]->info, PCI_ONLY, "interface", i, "a network interface",
                               reterr);
        for (size_t i = 0; i < def->n_videos && r >= 0; i++)
                r = check_kind(&def->videos[i]->info,
                               def->videos[i]->model == VK_VIDEO_MODEL_NONE ? NO_ADDRESS : PCI_ONLY,
                               "video", i, "a video device", reterr);
        for (size_t i = 0; i < def->n_watchdogs && r >= 0; i++)
                r = check_kind(&def->watchdogs[i]->info,
                               def->watchdogs[i]->model == VK_WATCHDOG_I6300ESB ? PCI_ONLY
                                                                                : NO_ADDRESS,
                               "watchdog", i, "this watchdog model", reterr);
        for (size_t i = 0; i < def->n_rngs && r >= 0; i++)
                r = check_kind(&def->rngs[i]->info, PCI_ONLY, "rng", i, "an rng", reterr);
        for (size_t i = 0; i < def->n_tpms && r >= 0; i++)
                r = check_kind(&def->tpms[i]->info, NO_ADDRESS, "tpm", i, "a TPM", reterr);
        if (r >= 0 && def->memballoon)
                r = check_kind(&def->memballoon->info,
                               def->memballoon->model == VK_MEMBALLOON_VIRTIO ? PCI_ONLY
                                                                              : NO_ADDRESS,
                               "memballoon", 0, "this memballoon", reterr);
        return r < 0 ? r : 0;
}
