/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-domain-address.c: post-parse defaults, implicit devices, PCI/drive/USB/serial addresses */
#include <assert.h>
#include <errno.h>
#include <string.h>

#include "macro.h"
#include "qemu-domain-internal.h"

static int addr_error(VkError *reterr, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static int addr_error(VkError *reterr, const char *fmt, ...) {
        g_autofree char *msg = NULL;
        va_list ap;

        va_start(ap, fmt);
        msg = g_strdup_vprintf(fmt, ap);
        va_end(ap);
        return vk_error_set(reterr, VK_ERROR_INVALID_XML, -EINVAL, "/domain/devices: %s", msg);
}

/* "hdc" → 2, "sdaa" → 26: libvirt's disk name to index. */
static unsigned addr_disk_index(const char *dev) {
        unsigned idx = 0;

        for (const char *p = dev + 2; *p; p++)
                idx = (idx + (p == dev + 2 ? 0 : 1)) * 26 + (unsigned) (*p - 'a');
        return idx;
}

/* ---- controllers ------------------------------------------------------------------------ */

static VkDomainController *addr_find_controller(VkDomainDef *def, VkControllerType type,
                                                unsigned index) {
        return (VkDomainController *) vk_domain_def_find_controller(def, type, index);
}

static VkDomainController *addr_add_controller(VkDomainDef *def, VkControllerType type,
                                               unsigned index, VkControllerModel model) {
        VkDomainController *c = g_new0(VkDomainController, 1);

        c->type = type;
        c->index = index;
        c->model = model;
        c->implicit = true;
        VK_DOMAIN_APPEND(def->controllers, def->n_controllers, c);
        return c;
}

static gint addr_controller_cmp(gconstpointer a, gconstpointer b, gpointer userdata) {
        const VkDomainController *x = *(VkDomainController *const *) a;
        const VkDomainController *y = *(VkDomainController *const *) b;

        if (x->type != y->type)
                return x->type < y->type ? -1 : 1;
        if (x->index != y->index)
                return x->index < y->index ? -1 : 1;
        return 0;
}

static unsigned addr_pci_next_index(const VkDomainDef *def) {
        unsigned next = 1;

        for (size_t i = 0; i < def->n_controllers; i++)
                if (def->controllers[i]->type == VK_CONTROLLER_PCI &&
                    def->controllers[i]->index >= next)
                        next = def->controllers[i]->index + 1;
        return next;
}

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

/* ---- post-parse of devices -------------------------------------------------------------- */

static int post_parse_disks(VkDomainDef *def, VkError *reterr) {
        for (size_t i = 0; i < def->n_disks; i++) {
                VkDomainDisk *d = def->disks[i];
                unsigned idx;

                if (d->bus == VK_DISK_BUS_NONE) {
                        if (g_str_has_prefix(d->target_dev, "hd"))
                                d->bus = VK_DISK_BUS_IDE;
                        else if (g_str_has_prefix(d->target_dev, "sd"))
                                d->bus = VK_DISK_BUS_SCSI;
                        else if (g_str_has_prefix(d->target_dev, "vd"))
                                d->bus = VK_DISK_BUS_VIRTIO;
                        else
                                d->bus = VK_DISK_BUS_FDC;
                }
                if ((d->device == VK_DISK_DEVICE_FLOPPY) != (d->bus == VK_DISK_BUS_FDC))
                        return addr_error(reterr,
                                          "disk '%s': floppies and only floppies use "
                                          "the fdc bus",
                                          d->target_dev);
                if (d->device == VK_DISK_DEVICE_CDROM && d->bus == VK_DISK_BUS_VIRTIO)
                        return addr_error(reterr, "disk '%s': a cdrom cannot use the virtio bus",
                                          d->target_dev);
                if (d->device == VK_DISK_DEVICE_LUN && d->bus != VK_DISK_BUS_SCSI)
                        return addr_error(reterr, "disk '%s': device='lun' needs bus='scsi'",
                                          d->target_dev);
                if (d->bus == VK_DISK_BUS_IDE && def->machine_kind == VK_MACHINE_Q35)
                        return addr_error(reterr,
                                          "disk '%s': IDE is not available on q35 "
                                          "machines, use bus='sata'",
                                          d->target_dev);

                idx = addr_disk_index(d->target_dev);
                switch (d->bus) {
                case VK_DISK_BUS_VIRTIO:
                        if (d->info.addr.type != VK_ADDRESS_NONE &&
                            d->info.addr.type != VK_ADDRESS_PCI)
                                return addr_error(reterr,
                                                  "disk '%s': a virtio disk needs a PCI "
                                                  "address",
                                                  d->target_dev);
                        continue;
                case VK_DISK_BUS_USB:
                        if (d->info.addr.type != VK_ADDRESS_NONE &&
                            d->info.addr.type != VK_ADDRESS_USB)
                                return addr_error(reterr,
                                                  "disk '%s': a USB disk needs a USB "
                                                  "address",
                                                  d->target_dev);
                        continue;
                default:
                        break;
                }

                if (d->info.addr.type == VK_ADDRESS_NONE) {
                        VkDeviceAddress *a = &d->info.addr;

                        a->type = VK_ADDRESS_DRIVE;
                        switch (d->bus) {
                        case VK_DISK_BUS_IDE:
                                a->drive.controller = idx / 4;
                                a->drive.bus = (idx % 4) / 2;
                                a->drive.unit = idx % 2;
                                break;
                        case VK_DISK_BUS_SATA:
                                a->drive.controller = idx / 6;
                                a->drive.unit = idx % 6;
                                break;
                        case VK_DISK_BUS_SCSI:
                                a->drive.controller = idx / 7;
                                a->drive.unit = idx % 7;
                                break;
                        case VK_DISK_BUS_FDC:
                                a->drive.unit = idx;
                                break;
                        default:
                                g_assert_not_reached();
                        }
                } else if (d->info.addr.type != VK_ADDRESS_DRIVE)
                        return addr_error(reterr, "disk '%s': needs a drive address",
                                          d->target_dev);

                if (d->bus == VK_DISK_BUS_IDE &&
                    (d->info.addr.drive.bus > 1 || d->info.addr.drive.unit > 1 ||
                     d->info.addr.drive.target != 0))
                        return addr_error(reterr, "disk '%s': IDE has 2 buses of 2 units",
                                          d->target_dev);
                if (d->bus == VK_DISK_BUS_SATA &&
                    (d->info.addr.drive.bus != 0 || d->info.addr.drive.unit > 5 ||
                     d->info.addr.drive.target != 0))
                        return addr_error(reterr, "disk '%s': SATA has one bus of 6 units",
                                          d->target_dev);
                if (d->bus == VK_DISK_BUS_FDC &&
                    (d->info.addr.drive.controller != 0 || d->info.addr.drive.bus != 0 ||
                     d->info.addr.drive.unit > 1))
                        return addr_error(reterr, "disk '%s': the floppy controller has 2 units",
                                          d->target_dev);
                if (d->bus == VK_DISK_BUS_SCSI && d->info.addr.drive.unit > 16383)
                        return addr_error(reterr, "disk '%s': SCSI unit out of range",
                                          d->target_dev);

                for (size_t j = 0; j < i; j++) {
                        const VkDomainDisk *o = def->disks[j];

                        if (o->bus == d->bus && o->info.addr.type == VK_ADDRESS_DRIVE &&
                            memcmp(&o->info.addr.drive, &d->info.addr.drive,
                                   sizeof(d->info.addr.drive)) == 0)
                                return addr_error(reterr,
                                                  "disks '%s' and '%s' have the same drive "
                                                  "address",
                                                  o->target_dev, d->target_dev);
                }
        }
        return 0;
}

static int post_parse_controllers(VkDomainDef *def, VkError *reterr) {
        bool q35 = def->machine_kind == VK_MACHINE_Q35;
        VkDomainController *root;

        /* the PCI root of the machine */
        root = addr_find_controller(def, VK_CONTROLLER_PCI, 0);
        if (!root)
                addr_add_controller(def, VK_CONTROLLER_PCI, 0,
                                    q35 ? VK_CONTROLLER_MODEL_PCIE_ROOT
                                        : VK_CONTROLLER_MODEL_PCI_ROOT);
        else if (root->model !=
                 (q35 ? VK_CONTROLLER_MODEL_PCIE_ROOT : VK_CONTROLLER_MODEL_PCI_ROOT))
                return addr_error(reterr, "the PCI root of a %s machine must be model '%s'",
                                  q35 ? "q35" : "pc", q35 ? "pcie-root" : "pci-root");
        for (size_t i = 0; i < def->n_controllers; i++) {
                VkDomainController *c = def->controllers[i];

                if (c->type != VK_CONTROLLER_PCI)
                        continue;
                if (!q35 && (c->model == VK_CONTROLLER_MODEL_PCIE_ROOT_PORT ||
                             c->model == VK_CONTROLLER_MODEL_PCIE_TO_PCI_BRIDGE))
                        return addr_error(reterr, "controller model '%s' needs a q35 machine",
                                          vk_controller_model_to_string(c->model));
                if (c->info.addr.type != VK_ADDRESS_NONE && c->info.addr.type != VK_ADDRESS_PCI)
                        return addr_error(reterr, "PCI controller %u needs a PCI address",
                                          c->index);
        }

        /* the chipset's own controllers */
        if (!addr_find_controller(def, VK_CONTROLLER_USB, 0))
                addr_add_controller(def, VK_CONTROLLER_USB, 0,
                                    q35 ? VK_CONTROLLER_MODEL_QEMU_XHCI
                                        : VK_CONTROLLER_MODEL_PIIX3_UHCI);
        if (q35 && !addr_find_controller(def, VK_CONTROLLER_SATA, 0))
                addr_add_controller(def, VK_CONTROLLER_SATA, 0, VK_CONTROLLER_MODEL_DEFAULT);

        /* controllers the disks' drive addresses refer to */
        for (size_t i = 0; i < def->n_disks; i++) {
                const VkDomainDisk *d = def->disks[i];
                VkControllerType type;

                if (d->info.addr.type != VK_ADDRESS_DRIVE)
                        continue;
                type = d->bus == VK_DISK_BUS_IDE    ? VK_CONTROLLER_IDE
                       : d->bus == VK_DISK_BUS_SATA ? VK_CONTROLLER_SATA
                       : d->bus == VK_DISK_BUS_SCSI ? VK_CONTROLLER_SCSI
                                                    : VK_CONTROLLER_FDC;
                if (!addr_find_controller(def, type, d->info.addr.drive.controller))
                        addr_add_controller(def, type, d->info.addr.drive.controller,
                                            VK_CONTROLLER_MODEL_DEFAULT);
        }

        /* virtio channels and consoles hang off virtio-serial 0 */
        {
                bool need_vserial = false;

                for (size_t i = 0; i < def->n_channels; i++)
                        need_vserial = true;
                for (size_t i = 0; i < def->n_consoles; i++)
                        if (def->consoles[i]->target_type == VK_CHR_TARGET_VIRTIO)
                                need_vserial = true;
                if (need_vserial && !addr_find_controller(def, VK_CONTROLLER_VIRTIO_SERIAL, 0))
                        addr_add_controller(def, VK_CONTROLLER_VIRTIO_SERIAL, 0,
                                            VK_CONTROLLER_MODEL_DEFAULT);
        }

        for (size_t i = 0; i < def->n_controllers; i++) {
                VkDomainController *c = def->controllers[i];

                if (c->type == VK_CONTROLLER_USB && c->model == VK_CONTROLLER_MODEL_DEFAULT)
                        c->model = q35 ? VK_CONTROLLER_MODEL_QEMU_XHCI
                                       : VK_CONTROLLER_MODEL_PIIX3_UHCI;
                if (c->type == VK_CONTROLLER_SCSI && c->model == VK_CONTROLLER_MODEL_DEFAULT)
                        c->model = VK_CONTROLLER_MODEL_LSILOGIC;
                if (c->type == VK_CONTROLLER_IDE && (q35 || c->index > 0))
                        return addr_error(reterr, "IDE controller %u: %s", c->index,
                                          q35 ? "q35 machines have no IDE controller"
                                              : "pc machines have a single IDE controller");
                if (c->type == VK_CONTROLLER_FDC && c->index > 0)
                        return addr_error(reterr, "only one floppy controller is supported");
                if ((c->type == VK_CONTROLLER_IDE || c->type == VK_CONTROLLER_FDC) &&
                    c->info.addr.type != VK_ADDRESS_NONE && c->info.addr.type != VK_ADDRESS_PCI)
                        return addr_error(reterr, "controller %s %u: unsupported address type",
                                          vk_controller_type_to_string(c->type), c->index);
        }

        g_qsort_with_data(def->controllers, (gint) def->n_controllers, sizeof(VkDomainController *),
                          addr_controller_cmp, NULL);
        return 0;
}

static VkDomainChr *addr_chr_copy(const VkDomainChr *src, VkChrKind kind) {
        VkDomainChr *c = g_new0(VkDomainChr, 1);

        c->kind = kind;
        c->type = src->type;
        c->path = g_strdup(src->path);
        c->mode = src->mode;
        c->target_port = 0;
        c->implicit = true;
        return c;
}

static int post_parse_chrs(VkDomainDef *def, VkError *reterr) {
        /* libvirt's console compatibility: console 0 of target serial is serial 0 */
        if (def->n_consoles > 0 && def->consoles[0]->target_type != VK_CHR_TARGET_VIRTIO) {
                VkDomainChr *con = def->consoles[0];

                if (def->n_serials == 0) {
                        VkDomainChr *s = addr_chr_copy(con, VK_CHR_SERIAL);

                        VK_DOMAIN_APPEND(def->serials, def->n_serials, s);
                } else if (con->type != def->serials[0]->type ||
                           g_strcmp0(con->path, def->serials[0]->path) != 0)
                        return addr_error(reterr, "console 0 of target type serial must match "
                                                  "serial 0");
                con->target_type = VK_CHR_TARGET_SERIAL;
                con->target_port = 0;
        } else if (def->n_serials > 0 && def->n_consoles == 0) {
                VkDomainChr *con = addr_chr_copy(def->serials[0], VK_CHR_CONSOLE);

                con->target_type = VK_CHR_TARGET_SERIAL;
                VK_DOMAIN_APPEND(def->consoles, def->n_consoles, con);
        }

        for (size_t i = 0; i < def->n_serials; i++) {
                VkDomainChr *s = def->serials[i];

                if (s->target_type == VK_CHR_TARGET_DEFAULT)
                        s->target_type = VK_CHR_TARGET_ISA_SERIAL;
        }
        if (vk_domain_assign_chr_ports(def->serials, def->n_serials, "serial", reterr) < 0 ||
            vk_domain_assign_chr_ports(def->parallels, def->n_parallels, "parallel", reterr) < 0)
                return -EINVAL;
        for (size_t i = 1; i < def->n_consoles; i++) {
                VkDomainChr *c = def->consoles[i];

                if (c->target_type == VK_CHR_TARGET_DEFAULT)
                        c->target_type = VK_CHR_TARGET_VIRTIO;
                if (c->target_type != VK_CHR_TARGET_VIRTIO)
                        return addr_error(reterr, "only the first console can be a serial "
                                                  "console");
                if (c->target_port < 0)
                        c->target_port = (int) i;
        }
        if (def->n_consoles > 0 && def->consoles[0]->target_port < 0)
                def->consoles[0]->target_port = 0;

        for (size_t i = 0; i < def->n_channels; i++) {
                for (size_t j = 0; j < i; j++)
                        if (def->channels[i]->target_name && def->channels[j]->target_name &&
                            strcmp(def->channels[i]->target_name, def->channels[j]->target_name) ==
                                    0)
                                return addr_error(reterr, "channel name '%s' used twice",
                                                  def->channels[i]->target_name);
        }
        return 0;
}

static void post_parse_video(VkDomainDef *def) {
        if (def->n_graphics > 0 && def->n_videos == 0) {
                VkDomainVideo *v = g_new0(VkDomainVideo, 1);

                VK_DOMAIN_APPEND(def->videos, def->n_videos, v);
        }
        for (size_t i = 0; i < def->n_videos; i++) {
                VkDomainVideo *v = def->videos[i];

                if (v->model == VK_VIDEO_MODEL_DEFAULT)
                        v->model = VK_VIDEO_MODEL_VGA;
                if (v->model == VK_VIDEO_MODEL_NONE)
                        continue;
                if (!v->vram && v->model != VK_VIDEO_MODEL_VIRTIO)
                        v->vram = v->model == VK_VIDEO_MODEL_QXL ? 65536 : 16384;
                if (!v->heads)
                        v->heads = 1;
        }
        if (def->n_videos > 0)
                def->videos[0]->primary = true;
}

static void post_parse_inputs(VkDomainDef *def) {
        bool have_mouse = false, have_kbd = false;

        for (size_t i = 0; i < def->n_inputs; i++) {
                VkDomainInput *in = def->inputs[i];

                if (in->bus == VK_INPUT_BUS_DEFAULT)
                        in->bus = in->type == VK_INPUT_TABLET ? VK_INPUT_BUS_USB : VK_INPUT_BUS_PS2;
                if (in->bus == VK_INPUT_BUS_PS2 && in->type == VK_INPUT_MOUSE)
                        have_mouse = true;
                if (in->bus == VK_INPUT_BUS_PS2 && in->type == VK_INPUT_KEYBOARD)
                        have_kbd = true;
        }
        /* the i8042 PS/2 controller of both chipsets brings a mouse and a keyboard */
        if (!have_mouse) {
                VkDomainInput *in = g_new0(VkDomainInput, 1);

                in->type = VK_INPUT_MOUSE;
                in->bus = VK_INPUT_BUS_PS2;
                in->implicit = true;
                VK_DOMAIN_APPEND(def->inputs, def->n_inputs, in);
        }
        if (!have_kbd) {
                VkDomainInput *in = g_new0(VkDomainInput, 1);

                in->type = VK_INPUT_KEYBOARD;
                in->bus = VK_INPUT_BUS_PS2;
                in->implicit = true;
                VK_DOMAIN_APPEND(def->inputs, def->n_inputs, in);
        }
}

static int post_parse_boot(VkDomainDef *def, VkError *reterr) {
        g_autoptr(GHashTable) orders = g_hash_table_new(g_direct_hash, g_direct_equal);
        g_autoptr(GPtrArray) infos = g_ptr_array_new();

        for (size_t i = 0; i < def->n_disks; i++)
                g_ptr_array_add(infos, &def->disks[i]->info);
        for (size_t i = 0; i < def->n_nets; i++)
                g_ptr_array_add(infos, &def->nets[i]->info);

        for (guint i = 0; i < infos->len; i++) {
                unsigned o = ((const VkDeviceInfo *) infos->pdata[i])->boot_order;

                if (!o)
                        continue;
                if (def->n_boot > 0)
                        return addr_error(reterr, "per-device <boot order=> cannot be combined "
                                                  "with <os><boot dev=>");
                if (g_hash_table_contains(orders, GUINT_TO_POINTER(o)))
                        return addr_error(reterr, "boot order %u is used twice", o);
                g_hash_table_add(orders, GUINT_TO_POINTER(o));
        }
        /* libvirt: no boot order at all means the first hard disk */
        if (def->n_boot == 0 && g_hash_table_size(orders) == 0 && !def->kernel)
                def->boot[def->n_boot++] = VK_BOOT_DEV_HD;
        return 0;
}

/*
 * Defaults and implicit devices (see vk_domain_def_post_parse()). Idempotent: every implicit
 * device is added only when the definition does not have it yet.
 */
int vk_domain_post_parse_devices(VkDomainDef *def, VkError *reterr) {
        int r;

        r = post_parse_boot(def, reterr);
        if (r < 0)
                return r;
        r = post_parse_disks(def, reterr);
        if (r < 0)
                return r;
        r = post_parse_chrs(def, reterr);
        if (r < 0)
                return r;
        r = post_parse_controllers(def, reterr);
        if (r < 0)
                return r;
        post_parse_video(def);
        post_parse_inputs(def);
        r = vk_domain_check_address_kinds(def, reterr);
        if (r < 0)
                return r;

        if (!def->memballoon) {
                def->memballoon = g_new0(VkDomainMemballoon, 1);
                def->memballoon->model = VK_MEMBALLOON_VIRTIO;
                def->memballoon->implicit = true;
        }
        for (size_t i = 0; i < def->n_watchdogs; i++)
                if (def->watchdogs[i]->model == VK_WATCHDOG_ITCO &&
                    def->machine_kind != VK_MACHINE_Q35)
                        return addr_error(reterr, "watchdog model 'itco' needs a q35 machine");
        return 0;
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
        GArray *buses; /* AddrBus */
        int agg_slot;  /* bus-0 slot collecting auto-added root ports, -1: none */
} AddrSet;

static AddrBus *addr_bus(AddrSet *s, unsigned index) {
        for (guint i = 0; i < s->buses->len; i++) {
                AddrBus *b = &g_array_index(s->buses, AddrBus, i);

                if (b->index == index)
                        return b;
        }
        return NULL;
}

static void addr_add_bus(AddrSet *s, VkDomainController *c) {
        AddrBus b = { .index = c->index, .controller = c };

        g_array_append_val(s->buses, b);
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
                return addr_error(reterr,
                                  "PCI address %04x:%02x:%02x.%x: no PCI controller "
                                  "with index %u",
                                  a->domain, a->bus, a->slot, a->function, a->bus);
        if (!addr_slot_usable(b, a->slot))
                return addr_error(reterr,
                                  "PCI address %04x:%02x:%02x.%x: slot %u of a %s is "
                                  "not usable",
                                  a->domain, a->bus, a->slot, a->function, a->slot,
                                  vk_controller_model_to_string(b->controller->model));
        if (b->used[a->slot] & (1u << a->function))
                return addr_error(reterr, "PCI address %04x:%02x:%02x.%x is used twice", a->domain,
                                  a->bus, a->slot, a->function);
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

static int addr_next(AddrSet *s, bool pcie, VkPciAddress *ret, VkError *reterr);

/* A new pcie-root-port (q35) or pci-bridge (pc) to put more devices behind. */
static int addr_add_pci_controller(AddrSet *s, VkControllerModel model, VkError *reterr) {
        VkDomainController *c;
        unsigned index = addr_pci_next_index(s->def);
        int r;

        if (index > 255)
                return addr_error(reterr, "no free PCI bus index left");
        c = addr_add_controller(s->def, VK_CONTROLLER_PCI, index, model);
        c->info.addr.type = VK_ADDRESS_PCI;

        if (model == VK_CONTROLLER_MODEL_PCIE_ROOT_PORT) {
                AddrBus *root = addr_bus(s, 0);
                unsigned slot = 0, fn = 0;
                bool found = false;

                /* libvirt aggregates root ports eight to a slot of pcie-root */
                if (s->agg_slot >= 0 && root->used[s->agg_slot] != 0xff) {
                        slot = (unsigned) s->agg_slot;
                        for (fn = 0; fn < 8 && (root->used[slot] & (1u << fn)); fn++)
                                ;
                        found = fn < 8;
                }
                for (unsigned sl = 1; !found && sl < 32; sl++)
                        if (root->used[sl] == 0) {
                                slot = sl;
                                fn = 0;
                                found = true;
                                s->agg_slot = (int) sl;
                        }
                if (!found)
                        return addr_error(reterr, "no free slot on pcie-root for another "
                                                  "pcie-root-port");
                c->info.addr.pci = (VkPciAddress){ .slot = slot, .function = fn };
                if (fn == 0)
                        c->info.addr.pci.multifunction = VK_TRISTATE_YES;
                root->used[slot] |= (uint8_t) (1u << fn);
        } else {
                r = addr_next(s, model == VK_CONTROLLER_MODEL_PCIE_TO_PCI_BRIDGE, &c->info.addr.pci,
                              reterr);
                if (r < 0)
                        return r;
        }
        addr_add_bus(s, c);
        return 0;
}

/* Reserve the first free slot (function 0) that fits a PCIe (@pcie) or conventional device. */
static int addr_next(AddrSet *s, bool pcie, VkPciAddress *ret, VkError *reterr) {
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
                if (s->kind == VK_MACHINE_PC) {
                        int r = addr_add_pci_controller(s, VK_CONTROLLER_MODEL_PCI_BRIDGE, reterr);
                        if (r < 0)
                                return r;
                } else {
                        int r = addr_add_pci_controller(
                                s,
                                pcie ? VK_CONTROLLER_MODEL_PCIE_ROOT_PORT
                                     : VK_CONTROLLER_MODEL_PCIE_TO_PCI_BRIDGE,
                                reterr);
                        if (r < 0)
                                return r;
                }
        }
        return addr_error(reterr, "no free PCI slot left");
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
        if (def->memballoon)
                g_ptr_array_add(out, &def->memballoon->info);
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
        case VK_CONTROLLER_SATA:
                return true;
        default:
                return false;
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
                                return addr_error(reterr,
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
        return 0;
}

static int addr_assign_pci(VkDomainDef *def, VkMachineKind kind, VkError *reterr) {
        g_autoptr(GArray) buses = g_array_new(FALSE, TRUE, sizeof(AddrBus));
        g_autoptr(GPtrArray) infos = g_ptr_array_new();
        AddrSet s = { .def = def, .kind = kind, .buses = buses, .agg_slot = -1 };
        size_t n_controllers;
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

        /* 3. the rest in libvirt's order: PCI controllers, NICs, controllers, virtio disks,
         *    balloon, RNGs, watchdogs, videos, virtio inputs, PCI serials */
        n_controllers = def->n_controllers;
        for (size_t i = 0; i < n_controllers; i++) {
                VkDomainController *c = def->controllers[i];

                if (c->type != VK_CONTROLLER_PCI || c->info.addr.type != VK_ADDRESS_NONE ||
                    c->model == VK_CONTROLLER_MODEL_PCI_ROOT ||
                    c->model == VK_CONTROLLER_MODEL_PCIE_ROOT)
                        continue;
                if (c->model == VK_CONTROLLER_MODEL_PCIE_ROOT_PORT) {
                        /* user-written root ports go on pcie-root, aggregated like ours */
                        AddrBus *root = addr_bus(&s, 0);
                        unsigned slot = 0, fn = 8;

                        if (s.agg_slot >= 0)
                                for (fn = 0; fn < 8 && (root->used[s.agg_slot] & (1u << fn)); fn++)
                                        ;
                        if (fn < 8)
                                slot = (unsigned) s.agg_slot;
                        else {
                                for (slot = 1; slot < 32 && root->used[slot]; slot++)
                                        ;
                                if (slot >= 32)
                                        return addr_error(reterr, "no free slot on pcie-root");
                                fn = 0;
                                s.agg_slot = (int) slot;
                        }
                        c->info.addr.type = VK_ADDRESS_PCI;
                        c->info.addr.pci = (VkPciAddress){ .slot = slot, .function = fn };
                        if (fn == 0)
                                c->info.addr.pci.multifunction = VK_TRISTATE_YES;
                        root->used[slot] |= (uint8_t) (1u << fn);
                        continue;
                }
                r = addr_assign(&s, &c->info, c->model == VK_CONTROLLER_MODEL_PCIE_TO_PCI_BRIDGE,
                                reterr);
                if (r < 0)
                        return r;
        }

        for (size_t i = 0; i < def->n_nets; i++) {
                r = addr_assign(&s, &def->nets[i]->info, addr_net_is_pcie(def->nets[i]), reterr);
                if (r < 0)
                        return r;
        }

        n_controllers = def->n_controllers;
        for (size_t i = 0; i < n_controllers; i++) {
                VkDomainController *c = def->controllers[i];

                if (c->type == VK_CONTROLLER_PCI || c->type == VK_CONTROLLER_FDC ||
                    c->type == VK_CONTROLLER_IDE ||
                    (c->type == VK_CONTROLLER_USB && c->model == VK_CONTROLLER_MODEL_USB_NONE))
                        continue;
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

        g_qsort_with_data(def->controllers, (gint) def->n_controllers, sizeof(VkDomainController *),
                          addr_controller_cmp, NULL);
        return 0;
}

/* ---- USB and virtio-serial ports -------------------------------------------------------- */

static int addr_assign_usb(VkDomainDef *def, VkError *reterr) {
        VkDomainController *usb = addr_find_controller(def, VK_CONTROLLER_USB, 0);
        unsigned max = usb ? addr_usb_ports(usb) : 0;
        uint32_t used = 0;
        g_autoptr(GPtrArray) infos = g_ptr_array_new();
        size_t n;

        for (size_t i = 0; i < def->n_inputs; i++)
                if (def->inputs[i]->bus == VK_INPUT_BUS_USB)
                        g_ptr_array_add(infos, &def->inputs[i]->info);
        for (size_t i = 0; i < def->n_disks; i++)
                if (def->disks[i]->bus == VK_DISK_BUS_USB)
                        g_ptr_array_add(infos, &def->disks[i]->info);
        for (size_t i = 0; i < def->n_serials; i++)
                if (def->serials[i]->target_type == VK_CHR_TARGET_USB_SERIAL)
                        g_ptr_array_add(infos, &def->serials[i]->info);
        n = infos->len;
        if (n == 0)
                return 0;
        if (max == 0)
                return addr_error(reterr, "USB devices need a USB controller (model is 'none')");

        for (size_t i = 0; i < n; i++) {
                const VkDeviceAddress *a = &((VkDeviceInfo *) infos->pdata[i])->addr;

                if (a->type == VK_ADDRESS_NONE)
                        continue;
                if (a->type != VK_ADDRESS_USB)
                        return addr_error(reterr, "a USB device needs a USB address");
                if (a->usb.bus != 0 || a->usb.port > max || a->usb.port == 0)
                        return addr_error(reterr, "USB address %u.%u does not exist", a->usb.bus,
                                          a->usb.port);
                if (used & (1u << a->usb.port))
                        return addr_error(reterr, "USB port %u is used twice", a->usb.port);
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
                        return addr_error(reterr, "no free USB port left (the controller has %u)",
                                          max);
                used |= 1u << port;
                a->type = VK_ADDRESS_USB;
                a->usb.bus = 0;
                a->usb.port = port;
        }
        return 0;
}

static int addr_assign_vserial(VkDomainDef *def, VkError *reterr) {
        const VkDomainController *vs = addr_find_controller(def, VK_CONTROLLER_VIRTIO_SERIAL, 0);
        unsigned max = vs && vs->ports ? vs->ports : 31;
        uint32_t used = 1; /* port 0 is the virtio console's */

        for (size_t i = 0; i < def->n_channels; i++) {
                const VkDeviceAddress *a = &def->channels[i]->info.addr;

                if (a->type == VK_ADDRESS_NONE)
                        continue;
                if (a->type != VK_ADDRESS_VIRTIO_SERIAL)
                        return addr_error(reterr, "a channel needs a virtio-serial address");
                if (!addr_find_controller(def, VK_CONTROLLER_VIRTIO_SERIAL, a->vserial.controller))
                        return addr_error(reterr, "channel: no virtio-serial controller %u",
                                          a->vserial.controller);
                if (a->vserial.controller != 0)
                        continue;
                if (a->vserial.bus != 0 || a->vserial.port == 0 || a->vserial.port > max)
                        return addr_error(reterr,
                                          "channel: virtio-serial port %u.%u does not "
                                          "exist",
                                          a->vserial.bus, a->vserial.port);
                if (used & (1u << a->vserial.port))
                        return addr_error(reterr, "virtio-serial port %u is used twice",
                                          a->vserial.port);
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
                        return addr_error(reterr, "no free virtio-serial port left");
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

        r = addr_assign_pci(def, kind, reterr);
        if (r < 0)
                return r;
        r = addr_assign_usb(def, reterr);
        if (r < 0)
                return r;
        return addr_assign_vserial(def, reterr);
}
