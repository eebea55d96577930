/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-domain-pci.c: PCI addresses: the slots of each bus; bridges and root ports on demand */
#include <errno.h>
#include <string.h>

#include "qemu-domain-internal.h"

static unsigned addr_pci_next_index(const VkDomainDef *def) {
        unsigned next = 1;

        for (size_t i = 0; i < def->n_controllers; i++)
                if (def->controllers[i]->type == VK_CONTROLLER_PCI &&
                    def->controllers[i]->index >= next)
                        next = def->controllers[i]->index + 1;
        return next;
}

/* ---- PCI address set -------------------------------------------------------------------- */

typedef struct AddrBus {
        unsigned index;
        VkDomainController *controller;
        uint8_t used[32]; /* function bitmap per slot */
} AddrBus;

typedef struct AddrSet {
        VkDomainDef *def;
        VkMachineKind kind;
        GArray *buses;  /* AddrBus */
        int agg_slot;   /* bus-0 slot collecting auto-added root ports, -1: none */
        unsigned depth; /* nested bus additions */
} AddrSet;

static AddrBus *addr_bus(AddrSet *s, unsigned index) {
        for (guint i = 0; i < s->buses->len; i++) {
                AddrBus *b = &g_array_index(s->buses, AddrBus, i);

                if (b->index == index)
                        return b;
        }
        return NULL;
}

/* Buses are kept in index order: a free slot is looked for on the lowest bus first. */
static void addr_add_bus(AddrSet *s, VkDomainController *c) {
        AddrBus b = { .index = c->index, .controller = c };
        guint at = 0;

        while (at < s->buses->len && g_array_index(s->buses, AddrBus, at).index < c->index)
                at++;
        g_array_insert_val(s->buses, at, b);
}

/* Which slots of a bus may take devices at all. */
static bool addr_slot_usable(const AddrBus *b, unsigned slot) {
        switch (b->controller->model) {
        case VK_CONTROLLER_MODEL_PCI_ROOT:
        case VK_CONTROLLER_MODEL_PCIE_ROOT:
        case VK_CONTROLLER_MODEL_PCI_BRIDGE:
        case VK_CONTROLLER_MODEL_PCIE_TO_PCI_BRIDGE:
                return slot >= 1 && slot <= 31;
        case VK_CONTROLLER_MODEL_PCIE_ROOT_PORT:
                return slot == 0;
        default:
                return false;
        }
}

static int addr_reserve(AddrSet *s, const VkPciAddress *a, VkError *reterr) {
        AddrBus *b = addr_bus(s, a->bus);

        if (!b)
                return vk_domain_devices_error(reterr,
                                               "PCI address %04x:%02x:%02x.%x: no PCI controller "
                                               "with index %u",
                                               a->domain, a->bus, a->slot, a->function, a->bus);
        if (!addr_slot_usable(b, a->slot))
                return vk_domain_devices_error(reterr,
                                               "PCI address %04x:%02x:%02x.%x: slot %u of a %s is "
                                               "not usable",
                                               a->domain, a->bus, a->slot, a->function, a->slot,
                                               vk_controller_model_to_string(b->controller->model));
        if (b->used[a->slot] & (1u << a->function))
                return vk_domain_devices_error(reterr,
                                               "PCI address %04x:%02x:%02x.%x is used twice",
                                               a->domain, a->bus, a->slot, a->function);
        b->used[a->slot] |= (uint8_t) (1u << a->function);
        return 0;
}

static void addr_mark(AddrSet *s, unsigned bus, unsigned slot, unsigned function) {
        AddrBus *b = addr_bus(s, bus);

        if (b)
                b->used[slot] |= (uint8_t) (1u << function);
}

static bool addr_bus_accepts(const AddrSet *s, const AddrBus *b, bool pcie) {
        switch (b->controller->model) {
        case VK_CONTROLLER_MODEL_PCI_ROOT:
        case VK_CONTROLLER_MODEL_PCI_BRIDGE:
        case VK_CONTROLLER_MODEL_PCIE_TO_PCI_BRIDGE:
                return s->kind == VK_MACHINE_PC || !pcie;
        case VK_CONTROLLER_MODEL_PCIE_ROOT_PORT:
                return pcie;
        default:
                return false;
        }
}

/*
 * Put the pcie-root-port @c on pcie-root the way libvirt does, eight to a slot: the next free
 * function of the slot that collects root ports, else function 0 (multifunction) of the first
 * empty slot, which collects the next ones. -ENOSPC when pcie-root has no room left.
 */
static int addr_place_root_port(AddrSet *s, VkDomainController *c) {
        AddrBus *root = addr_bus(s, 0);
        unsigned slot = 0, fn = 8;

        if (s->agg_slot >= 0)
                for (fn = 0; fn < 8 && (root->used[s->agg_slot] & (1u << fn)); fn++)
                        ;
        if (fn < 8)
                slot = (unsigned) s->agg_slot;
        else {
                for (slot = 1; slot < 32 && root->used[slot]; slot++)
                        ;
                if (slot >= 32)
                        return -ENOSPC;
                fn = 0;
                s->agg_slot = (int) slot;
        }
        c->info.addr.type = VK_ADDRESS_PCI;
        c->info.addr.pci = (VkPciAddress){ .slot = slot, .function = fn };
        if (fn == 0)
                c->info.addr.pci.multifunction = VK_TRISTATE_YES;
        root->used[slot] |= (uint8_t) (1u << fn);
        return 0;
}

static int addr_next(AddrSet *s, bool pcie, VkPciAddress *ret, VkError *reterr);

/*
 * A new pcie-root-port (q35) or pci-bridge, to put more devices behind. A bridge's own slot is
 * found first (which may add the bus it goes into), so the parent has the lower index, as
 * libvirt numbers them.
 */
static int addr_add_pci_controller(AddrSet *s, VkControllerModel model, VkError *reterr) {
        VkDomainController *c;
        VkPciAddress where = {};
        unsigned index;
        int r;

        if (model != VK_CONTROLLER_MODEL_PCIE_ROOT_PORT) {
                r = addr_next(s, false, &where, reterr);
                if (r < 0)
                        return r;
        }
        index = addr_pci_next_index(s->def);
        if (index > 255)
                return vk_domain_devices_error(reterr, "no free PCI bus index left");
        c = vk_domain_add_implicit_controller(s->def, VK_CONTROLLER_PCI, index, model);
        c->info.addr.type = VK_ADDRESS_PCI;

        if (model == VK_CONTROLLER_MODEL_PCIE_ROOT_PORT) {
                if (addr_place_root_port(s, c) < 0)
                        return vk_domain_devices_error(reterr,
                                                       "no free slot on pcie-root for another "
                                                       "pcie-root-port");
        } else
                c->info.addr.pci = where;
        addr_add_bus(s, c);
        return 0;
}

/*
 * The first conventional PCI bus of a q35 machine, as libvirt grows one: always a new
 * pcie-root-port and, behind it, a pcie-to-pci-bridge with the next index (a free root port
 * that is already there stays free).
 */
static int addr_add_pcie_to_pci(AddrSet *s, VkError *reterr) {
        unsigned index = addr_pci_next_index(s->def);
        VkDomainController *port, *bridge;

        if (index + 1 > 255)
                return vk_domain_devices_error(reterr, "no free PCI bus index left");
        port = vk_domain_add_implicit_controller(s->def, VK_CONTROLLER_PCI, index,
                                                 VK_CONTROLLER_MODEL_PCIE_ROOT_PORT);
        if (addr_place_root_port(s, port) < 0)
                return vk_domain_devices_error(reterr, "no free slot on pcie-root for another "
                                                       "pcie-root-port");
        addr_add_bus(s, port);
        bridge = vk_domain_add_implicit_controller(s->def, VK_CONTROLLER_PCI, index + 1,
                                                   VK_CONTROLLER_MODEL_PCIE_TO_PCI_BRIDGE);
        bridge->info.addr.type = VK_ADDRESS_PCI;
        bridge->info.addr.pci = (VkPciAddress){ .bus = index };
        addr_mark(s, index, 0, 0);
        addr_add_bus(s, bridge);
        return 0;
}

/*
 * Add the bus libvirt adds when no slot fits a PCIe (@pcie) or conventional device. On q35
 * every conventional bus is full then, so a further one is another pcie-root-port and
 * pcie-to-pci-bridge pair (libvirt would add a pci-bridge, which has no slot to go into).
 */
static int addr_grow(AddrSet *s, bool pcie, VkError *reterr) {
        int r;

        /* a bridge that finds no slot adds a bridge to go into, and so on: stop somewhere */
        if (s->depth >= 4)
                return vk_domain_devices_error(reterr, "no free PCI slot left");
        s->depth++;
        if (s->kind == VK_MACHINE_Q35 && pcie)
                r = addr_add_pci_controller(s, VK_CONTROLLER_MODEL_PCIE_ROOT_PORT, reterr);
        else if (s->kind == VK_MACHINE_Q35)
                r = addr_add_pcie_to_pci(s, reterr);
        else
                r = addr_add_pci_controller(s, VK_CONTROLLER_MODEL_PCI_BRIDGE, reterr);
        s->depth--;
        return r;
}

/* Reserve the first free slot (function 0) that fits a PCIe (@pcie) or conventional device. */
static int addr_next(AddrSet *s, bool pcie, VkPciAddress *ret, VkError *reterr) {
        int r;

        for (unsigned attempt = 0; attempt < 3; attempt++) {
                for (guint i = 0; i < s->buses->len; i++) {
                        AddrBus *b = &g_array_index(s->buses, AddrBus, i);

                        if (!addr_bus_accepts(s, b, pcie))
                                continue;
                        for (unsigned slot = 0; slot < 32; slot++) {
                                if (!addr_slot_usable(b, slot) || b->used[slot])
                                        continue;
                                b->used[slot] |= 1;
                                *ret = (VkPciAddress){ .bus = b->index, .slot = slot };
                                return 0;
                        }
                }

                /* nothing free: add a bus, as libvirt does, and try again */
                r = addr_grow(s, pcie, reterr);
                if (r < 0)
                        return r;
        }
        return vk_domain_devices_error(reterr, "no free PCI slot left");
}

static int addr_assign(AddrSet *s, VkDeviceInfo *info, bool pcie, VkError *reterr) {
        if (info->addr.type != VK_ADDRESS_NONE)
                return 0;
        info->addr.type = VK_ADDRESS_PCI;
        return addr_next(s, pcie, &info->addr.pci, reterr);
}

/* Every VkDeviceInfo of @def that can hold a PCI address, for collecting the used ones. */
static void addr_collect_infos(VkDomainDef *def, GPtrArray *out) {
        for (size_t i = 0; i < def->n_controllers; i++)
                g_ptr_array_add(out, &def->controllers[i]->info);
        for (size_t i = 0; i < def->n_disks; i++)
                g_ptr_array_add(out, &def->disks[i]->info);
        for (size_t i = 0; i < def->n_nets; i++)
                g_ptr_array_add(out, &def->nets[i]->info);
        for (size_t i = 0; i < def->n_inputs; i++)
                g_ptr_array_add(out, &def->inputs[i]->info);
        for (size_t i = 0; i < def->n_videos; i++)
                g_ptr_array_add(out, &def->videos[i]->info);
        for (size_t i = 0; i < def->n_serials; i++)
                g_ptr_array_add(out, &def->serials[i]->info);
        for (size_t i = 0; i < def->n_watchdogs; i++)
                g_ptr_array_add(out, &def->watchdogs[i]->info);
        for (size_t i = 0; i < def->n_rngs; i++)
                g_ptr_array_add(out, &def->rngs[i]->info);
        for (size_t i = 0; i < def->n_sounds; i++)
                if (def->sounds[i]->model != VK_SOUND_USB)
                        g_ptr_array_add(out, &def->sounds[i]->info);
        if (def->memballoon)
                g_ptr_array_add(out, &def->memballoon->info);
        for (size_t i = 0; i < def->n_filesystems; i++)
                g_ptr_array_add(out, &def->filesystems[i]->info);
        if (def->vsock)
                g_ptr_array_add(out, &def->vsock->info);
        for (size_t i = 0; i < def->n_panics; i++)
                g_ptr_array_add(out, &def->panics[i]->info);
}

static bool addr_net_is_pcie(const VkDomainNet *n) {
        return n->model == VK_NET_MODEL_VIRTIO || n->model == VK_NET_MODEL_E1000E;
}

static bool addr_controller_is_pcie(const VkDomainController *c) {
        switch (c->type) {
        case VK_CONTROLLER_USB:
                return c->model == VK_CONTROLLER_MODEL_QEMU_XHCI ||
                       c->model == VK_CONTROLLER_MODEL_NEC_XHCI;
        case VK_CONTROLLER_SCSI:
                return c->model == VK_CONTROLLER_MODEL_VIRTIO_SCSI;
        case VK_CONTROLLER_VIRTIO_SERIAL:
                return true;
        default:
                return false; /* SATA (ahci) too: libvirt puts it on conventional PCI */
        }
}

/* The integrated devices of the chipset, at the addresses real hardware has them. */
static int addr_chipset(AddrSet *s, VkError *reterr) {
        VkDomainDef *def = s->def;
        bool pc = s->kind == VK_MACHINE_PC;

        for (size_t i = 0; i < def->n_controllers; i++) {
                VkDomainController *c = def->controllers[i];
                VkPciAddress want = {};

                if (pc && c->type == VK_CONTROLLER_IDE && c->index == 0)
                        want = (VkPciAddress){ .slot = 1, .function = 1 };
                else if (pc && c->type == VK_CONTROLLER_USB && c->index == 0 &&
                         c->model == VK_CONTROLLER_MODEL_PIIX3_UHCI)
                        want = (VkPciAddress){ .slot = 1, .function = 2 };
                else if (!pc && c->type == VK_CONTROLLER_SATA && c->index == 0)
                        want = (VkPciAddress){ .slot = 0x1f, .function = 2 };
                else
                        continue;

                if (c->info.addr.type == VK_ADDRESS_PCI) {
                        if (memcmp(&c->info.addr.pci, &want, sizeof(want)) != 0)
                                return vk_domain_devices_error(
                                        reterr,
                                        "%s controller 0 must be at PCI "
                                        "address 0000:00:%02x.%x",
                                        vk_controller_type_to_string(c->type), want.slot,
                                        want.function);
                        continue; /* collected already */
                }
                c->info.addr.type = VK_ADDRESS_PCI;
                c->info.addr.pci = want;
                addr_mark(s, 0, want.slot, want.function);
        }

        /* host bridge, ISA bridge and the power management function */
        if (pc) {
                addr_mark(s, 0, 1, 0);
                addr_mark(s, 0, 1, 3);
        } else {
                addr_mark(s, 0, 0x1f, 0);
                addr_mark(s, 0, 0x1f, 3);
        }

        /* the primary VGA lands in the first free slot after the integrated devices */
        if (def->n_videos > 0 && def->videos[0]->model != VK_VIDEO_MODEL_NONE &&
            def->videos[0]->info.addr.type == VK_ADDRESS_NONE) {
                VkDeviceInfo *info = &def->videos[0]->info;
                unsigned slot = pc ? 2 : 1;
                AddrBus *root = addr_bus(s, 0);

                if (root->used[slot] == 0) {
                        info->addr.type = VK_ADDRESS_PCI;
                        info->addr.pci = (VkPciAddress){ .slot = slot };
                        root->used[slot] |= 1;
                }
        }

        /* q35: the first USB2 set (its ich9-uhci1) where the ICH9 has its UHCIs, 00:1d.0, the
         * second at 00:1a.0, when free; the rest of each set joins it later */
        for (size_t i = 0; !pc && i < def->n_controllers; i++) {
                VkDeviceInfo *info = &def->controllers[i]->info;
                AddrBus *root = addr_bus(s, 0);
                unsigned slot = !root->used[0x1d] ? 0x1d : !root->used[0x1a] ? 0x1a : 0;

                if (def->controllers[i]->type != VK_CONTROLLER_USB ||
                    def->controllers[i]->model != VK_CONTROLLER_MODEL_ICH9_UHCI1 ||
                    info->addr.type != VK_ADDRESS_NONE || slot == 0)
                        continue;
                info->addr.type = VK_ADDRESS_PCI;
                info->addr.pci = (VkPciAddress){ .slot = slot, .multifunction = VK_TRISTATE_YES };
                root->used[slot] |= 1;
        }

        /* q35's integrated HD audio sits where the ICH9 has it: 00:1b.0 */
        for (size_t i = 0; !pc && i < def->n_sounds; i++) {
                VkDeviceInfo *info = &def->sounds[i]->info;
                AddrBus *root = addr_bus(s, 0);

                if (def->sounds[i]->model != VK_SOUND_ICH9 || info->addr.type != VK_ADDRESS_NONE ||
                    root->used[0x1b])
                        continue;
                info->addr.type = VK_ADDRESS_PCI;
                info->addr.pci = (VkPciAddress){ .slot = 0x1b };
                root->used[0x1b] |= 1;
        }
        return 0;
}

static bool addr_is_usb2(const VkDomainController *c) {
        return c->type == VK_CONTROLLER_USB && (c->model == VK_CONTROLLER_MODEL_ICH9_EHCI1 ||
                                                c->model == VK_CONTROLLER_MODEL_ICH9_UHCI1 ||
                                                c->model == VK_CONTROLLER_MODEL_ICH9_UHCI2 ||
                                                c->model == VK_CONTROLLER_MODEL_ICH9_UHCI3);
}

/*
 * The controllers of a USB2 set (one index) share a slot, as libvirt lays them out:
 * ich9-uhci1 at function 0 (multifunction), uhci2 at 1, uhci3 at 2, the ich9-ehci1 at 7. The
 * first of the set to be placed takes a free slot, the others join it.
 */
static int addr_assign_usb2(AddrSet *s, VkDomainController *c, VkError *reterr) {
        unsigned fn = c->model == VK_CONTROLLER_MODEL_ICH9_EHCI1
                              ? 7
                              : (unsigned) (c->model - VK_CONTROLLER_MODEL_ICH9_UHCI1);
        const VkDomainController *sibling = NULL;
        VkPciAddress a;
        AddrBus *b;
        int r;

        for (size_t i = 0; !sibling && i < s->def->n_controllers; i++) {
                const VkDomainController *o = s->def->controllers[i];

                if (o != c && addr_is_usb2(o) && o->index == c->index &&
                    o->info.addr.type == VK_ADDRESS_PCI)
                        sibling = o;
        }
        if (sibling) {
                a = sibling->info.addr.pci;
                a.function = fn;
                a.multifunction = VK_TRISTATE_ABSENT;
                r = addr_reserve(s, &a, reterr);
                if (r < 0)
                        return r;
        } else {
                r = addr_next(s, false, &a, reterr);
                if (r < 0)
                        return r;
                b = addr_bus(s, a.bus);
                b->used[a.slot] = (uint8_t) (1u << fn);
                a.function = fn;
        }
        if (fn == 0)
                a.multifunction = VK_TRISTATE_YES;
        c->info.addr.type = VK_ADDRESS_PCI;
        c->info.addr.pci = a;
        return 0;
}

/*
 * Give every device without an address one, adding root ports and bridges where the buses are
 * full. @hotplug: then, if buses were added, keep one more PCIe slot free (a root port of its
 * own when none is left), as libvirt does for new q35 domains.
 */
static int addr_assign_all(VkDomainDef *def, VkMachineKind kind, bool hotplug, VkError *reterr) {
        g_autoptr(GArray) buses = g_array_new(FALSE, TRUE, sizeof(AddrBus));
        g_autoptr(GPtrArray) infos = g_ptr_array_new();
        AddrSet s = { .def = def, .kind = kind, .buses = buses, .agg_slot = -1 };
        size_t n_controllers;
        unsigned first_new = addr_pci_next_index(def);
        int r;

        for (size_t i = 0; i < def->n_controllers; i++)
                if (def->controllers[i]->type == VK_CONTROLLER_PCI)
                        addr_add_bus(&s, def->controllers[i]);

        /* 1. what the config already says */
        addr_collect_infos(def, infos);
        for (guint i = 0; i < infos->len; i++) {
                const VkDeviceInfo *info = infos->pdata[i];

                if (info->addr.type != VK_ADDRESS_PCI)
                        continue;
                r = addr_reserve(&s, &info->addr.pci, reterr);
                if (r < 0)
                        return r;
        }
        /* slot 0 of the root is the host bridge */
        addr_mark(&s, 0, 0, 0);

        /* 2. integrated chipset devices and the primary video */
        r = addr_chipset(&s, reterr);
        if (r < 0)
                return r;

        /* 3. the rest in libvirt's order: PCI controllers, NICs, sound cards, controllers,
         *    virtio disks, balloon, RNGs, watchdogs, videos, virtio inputs, PCI serials */
        n_controllers = def->n_controllers;
        for (size_t i = 0; i < n_controllers; i++) {
                VkDomainController *c = def->controllers[i];

                if (c->type != VK_CONTROLLER_PCI || c->info.addr.type != VK_ADDRESS_NONE ||
                    c->model == VK_CONTROLLER_MODEL_PCI_ROOT ||
                    c->model == VK_CONTROLLER_MODEL_PCIE_ROOT)
                        continue;
                if (c->model == VK_CONTROLLER_MODEL_PCIE_ROOT_PORT) {
                        /* user-written root ports go on pcie-root, aggregated like ours */
                        if (addr_place_root_port(&s, c) < 0)
                                return vk_domain_devices_error(reterr, "no free slot on pcie-root");
                        continue;
                }
                r = addr_assign(&s, &c->info, c->model == VK_CONTROLLER_MODEL_PCIE_TO_PCI_BRIDGE,
                                reterr);
                if (r < 0)
                        return r;
        }

        /* libvirt puts filesystems before the NICs */
        for (size_t i = 0; i < def->n_filesystems; i++) {
                r = addr_assign(&s, &def->filesystems[i]->info, true, reterr);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < def->n_nets; i++) {
                r = addr_assign(&s, &def->nets[i]->info, addr_net_is_pcie(def->nets[i]), reterr);
                if (r < 0)
                        return r;
        }
        /* sound cards right after the NICs, as libvirt */
        for (size_t i = 0; i < def->n_sounds; i++)
                if (def->sounds[i]->model != VK_SOUND_USB) {
                        r = addr_assign(&s, &def->sounds[i]->info, false, reterr);
                        if (r < 0)
                                return r;
                }

        /* libvirt's order: the controllers the user wrote, then the implicit USB controller
         * (its default devices come first), then the other implicit ones */
        n_controllers = def->n_controllers;
        for (unsigned round = 0; round < 3; round++)
                for (size_t i = 0; i < n_controllers; i++) {
                        VkDomainController *c = def->controllers[i];
                        unsigned want = !c->implicit ? 0 : c->type == VK_CONTROLLER_USB ? 1 : 2;

                        if (want != round || c->type == VK_CONTROLLER_PCI ||
                            c->type == VK_CONTROLLER_CCID || c->type == VK_CONTROLLER_FDC ||
                            c->type == VK_CONTROLLER_IDE ||
                            (c->type == VK_CONTROLLER_USB &&
                             c->model == VK_CONTROLLER_MODEL_USB_NONE))
                                continue;
                        if (c->info.addr.type == VK_ADDRESS_NONE && addr_is_usb2(c)) {
                                r = addr_assign_usb2(&s, c, reterr);
                                if (r < 0)
                                        return r;
                                continue;
                        }
                        r = addr_assign(&s, &c->info, addr_controller_is_pcie(c), reterr);
                        if (r < 0)
                                return r;
                }

        for (size_t i = 0; i < def->n_disks; i++)
                if (def->disks[i]->bus == VK_DISK_BUS_VIRTIO) {
                        r = addr_assign(&s, &def->disks[i]->info, true, reterr);
                        if (r < 0)
                                return r;
                }

        if (def->memballoon && def->memballoon->model == VK_MEMBALLOON_VIRTIO) {
                r = addr_assign(&s, &def->memballoon->info, true, reterr);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < def->n_rngs; i++) {
                r = addr_assign(&s, &def->rngs[i]->info, true, reterr);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < def->n_watchdogs; i++)
                if (def->watchdogs[i]->model == VK_WATCHDOG_I6300ESB) {
                        r = addr_assign(&s, &def->watchdogs[i]->info, false, reterr);
                        if (r < 0)
                                return r;
                }
        for (size_t i = 0; i < def->n_videos; i++)
                if (def->videos[i]->model != VK_VIDEO_MODEL_NONE) {
                        r = addr_assign(&s, &def->videos[i]->info,
                                        def->videos[i]->model == VK_VIDEO_MODEL_VIRTIO, reterr);
                        if (r < 0)
                                return r;
                }
        for (size_t i = 0; i < def->n_inputs; i++)
                if (def->inputs[i]->bus == VK_INPUT_BUS_VIRTIO) {
                        r = addr_assign(&s, &def->inputs[i]->info, true, reterr);
                        if (r < 0)
                                return r;
                }
        for (size_t i = 0; i < def->n_serials; i++)
                if (def->serials[i]->target_type == VK_CHR_TARGET_PCI_SERIAL) {
                        r = addr_assign(&s, &def->serials[i]->info, false, reterr);
                        if (r < 0)
                                return r;
                }

        if (def->vsock) {
                r = addr_assign(&s, &def->vsock->info, true, reterr);
                if (r < 0)
                        return r;
        }
        /* pvpanic-pci is a conventional PCI device */
        for (size_t i = 0; i < def->n_panics; i++)
                if (def->panics[i]->model == VK_PANIC_MODEL_PVPANIC) {
                        r = addr_assign(&s, &def->panics[i]->info, false, reterr);
                        if (r < 0)
                                return r;
                }

        if (hotplug && addr_pci_next_index(def) > first_new) {
                VkPciAddress spare;

                r = addr_next(&s, true, &spare, reterr);
                if (r < 0)
                        return r;
        }

        /* root ports get chassis/port from their place, as libvirt writes them */
        for (size_t i = 0; i < def->n_controllers; i++) {
                VkDomainController *c = def->controllers[i];

                if (c->model != VK_CONTROLLER_MODEL_PCIE_ROOT_PORT)
                        continue;
                if (!c->target_chassis)
                        c->target_chassis = c->index;
                if (!c->has_target_port && c->info.addr.pci.bus == 0) {
                        c->target_port = c->info.addr.pci.slot * 8 + c->info.addr.pci.function;
                        c->has_target_port = true;
                }
        }
        if (kind == VK_MACHINE_PC)
                for (size_t i = 0; i < def->n_controllers; i++)
                        if (def->controllers[i]->model == VK_CONTROLLER_MODEL_PCI_BRIDGE &&
                            !def->controllers[i]->target_chassis)
                                def->controllers[i]->target_chassis = def->controllers[i]->index;

        vk_domain_sort_controllers(def);
        return 0;
}

/*
 * Assign PCI addresses the way libvirt 9.0 does. On q35 that is two passes: a trial on a copy
 * finds the root ports and bridges the devices need (plus one spare root port for hotplug
 * when the definition had no PCI controllers of its own), those are added to @def in index
 * order, and the real pass places the PCI controllers first, then the devices. So a
 * pcie-to-pci-bridge goes into the first root port, and each device's bus is the one libvirt
 * would give it.
 */
int vk_domain_assign_pci_addresses(VkDomainDef *def, VkMachineKind kind, VkError *reterr) {
        g_autoptr(VkDomainDef) trial = NULL;
        unsigned first_new = addr_pci_next_index(def);
        int r;

        /* PCI controller indexes leave no gaps: as libvirt, a missing one is added with the
         * machine's default model (placed after the ones written) */
        for (unsigned idx = 1; idx < first_new; idx++)
                if (!vk_domain_def_find_controller(def, VK_CONTROLLER_PCI, idx))
                        (void) vk_domain_add_implicit_controller(
                                def, VK_CONTROLLER_PCI, idx,
                                kind == VK_MACHINE_Q35 ? VK_CONTROLLER_MODEL_PCIE_ROOT_PORT
                                                       : VK_CONTROLLER_MODEL_PCI_BRIDGE);

        if (kind != VK_MACHINE_Q35)
                return addr_assign_all(def, kind, false, reterr);

        trial = vk_domain_def_copy(def);
        r = addr_assign_all(trial, kind, first_new <= 1, reterr);
        if (r < 0)
                return r;
        for (unsigned idx = first_new; idx < 256; idx++) {
                const VkDomainController *c =
                        vk_domain_def_find_controller(trial, VK_CONTROLLER_PCI, idx);

                if (!c)
                        break;
                (void) vk_domain_add_implicit_controller(def, VK_CONTROLLER_PCI, idx, c->model);
        }
        return addr_assign_all(def, kind, false, reterr);
}
