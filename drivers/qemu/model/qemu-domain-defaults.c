/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-domain-defaults.c: post-parse of <devices>: defaults, implicit devices, drive addresses */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "qemu-domain-internal.h"

/* "hdc" → 2, "sdaa" → 26: libvirt's disk name to index. */
static unsigned post_parse_disk_index(const char *dev) {
        unsigned idx = 0;

        for (const char *p = dev + 2; *p; p++)
                idx = (idx + (p == dev + 2 ? 0 : 1)) * 26 + (unsigned) (*p - 'a');
        return idx;
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
                        return vk_domain_devices_error(reterr,
                                                       "disk '%s': floppies and only floppies use "
                                                       "the fdc bus",
                                                       d->target_dev);
                if (d->device == VK_DISK_DEVICE_CDROM && d->bus == VK_DISK_BUS_VIRTIO)
                        return vk_domain_devices_error(
                                reterr, "disk '%s': a cdrom cannot use the virtio bus",
                                d->target_dev);
                if (d->device == VK_DISK_DEVICE_LUN && d->bus != VK_DISK_BUS_SCSI)
                        return vk_domain_devices_error(
                                reterr, "disk '%s': device='lun' needs bus='scsi'", d->target_dev);
                if (d->bus == VK_DISK_BUS_IDE && def->machine_kind == VK_MACHINE_Q35)
                        return vk_domain_devices_error(reterr,
                                                       "disk '%s': IDE is not available on q35 "
                                                       "machines, use bus='sata'",
                                                       d->target_dev);

                /* libvirt names the driver of every disk, and a format but for a volume's
                 * (the pool knows it): an empty cdrom too. The command line is the same,
                 * an absent format is raw */
                if (!d->driver_name)
                        d->driver_name = g_strdup("qemu");
                if (d->format == VK_DISK_FORMAT_NONE && d->type != VK_DISK_TYPE_VOLUME)
                        d->format = VK_DISK_FORMAT_RAW;

                idx = post_parse_disk_index(d->target_dev);
                switch (d->bus) {
                case VK_DISK_BUS_VIRTIO:
                        if (d->info.addr.type != VK_ADDRESS_NONE &&
                            d->info.addr.type != VK_ADDRESS_PCI)
                                return vk_domain_devices_error(
                                        reterr,
                                        "disk '%s': a virtio disk needs a PCI "
                                        "address",
                                        d->target_dev);
                        continue;
                case VK_DISK_BUS_USB:
                        if (d->info.addr.type != VK_ADDRESS_NONE &&
                            d->info.addr.type != VK_ADDRESS_USB)
                                return vk_domain_devices_error(reterr,
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
                        return vk_domain_devices_error(reterr, "disk '%s': needs a drive address",
                                                       d->target_dev);

                if (d->bus == VK_DISK_BUS_IDE &&
                    (d->info.addr.drive.bus > 1 || d->info.addr.drive.unit > 1 ||
                     d->info.addr.drive.target != 0))
                        return vk_domain_devices_error(
                                reterr, "disk '%s': IDE has 2 buses of 2 units", d->target_dev);
                if (d->bus == VK_DISK_BUS_SATA &&
                    (d->info.addr.drive.bus != 0 || d->info.addr.drive.unit > 5 ||
                     d->info.addr.drive.target != 0))
                        return vk_domain_devices_error(
                                reterr, "disk '%s': SATA has one bus of 6 units", d->target_dev);
                if (d->bus == VK_DISK_BUS_FDC &&
                    (d->info.addr.drive.controller != 0 || d->info.addr.drive.bus != 0 ||
                     d->info.addr.drive.unit > 1))
                        return vk_domain_devices_error(
                                reterr, "disk '%s': the floppy controller has 2 units",
                                d->target_dev);
                if (d->bus == VK_DISK_BUS_SCSI && d->info.addr.drive.unit > 16383)
                        return vk_domain_devices_error(reterr, "disk '%s': SCSI unit out of range",
                                                       d->target_dev);

                for (size_t j = 0; j < i; j++) {
                        const VkDomainDisk *o = def->disks[j];

                        if (o->bus == d->bus && o->info.addr.type == VK_ADDRESS_DRIVE &&
                            memcmp(&o->info.addr.drive, &d->info.addr.drive,
                                   sizeof(d->info.addr.drive)) == 0)
                                return vk_domain_devices_error(
                                        reterr,
                                        "disks '%s' and '%s' have the same drive "
                                        "address",
                                        o->target_dev, d->target_dev);
                }
        }
        return 0;
}

/* Add the controllers the drive addresses of the disks refer to and @def lacks. */
static void post_parse_disk_controllers(VkDomainDef *def) {
        static const struct {
                VkControllerType type;
                VkDiskBus bus;
        } kinds[] = {
                { VK_CONTROLLER_SCSI, VK_DISK_BUS_SCSI },
                { VK_CONTROLLER_FDC, VK_DISK_BUS_FDC },
                { VK_CONTROLLER_IDE, VK_DISK_BUS_IDE },
                { VK_CONTROLLER_SATA, VK_DISK_BUS_SATA },
        };

        for (size_t k = 0; k < G_N_ELEMENTS(kinds); k++) {
                unsigned next = 0;

                /* the lowest referred index not seen yet, until there is none */
                for (;;) {
                        unsigned idx = UINT_MAX;

                        for (size_t i = 0; i < def->n_disks; i++) {
                                const VkDeviceAddress *a = &def->disks[i]->info.addr;

                                if (def->disks[i]->bus == kinds[k].bus &&
                                    a->type == VK_ADDRESS_DRIVE && a->drive.controller >= next &&
                                    a->drive.controller < idx)
                                        idx = a->drive.controller;
                        }
                        if (idx == UINT_MAX)
                                break;
                        if (!vk_domain_def_find_controller(def, kinds[k].type, idx))
                                vk_domain_add_implicit_controller(def, kinds[k].type, idx,
                                                                  VK_CONTROLLER_MODEL_DEFAULT);
                        next = idx + 1;
                }
        }
}

static int post_parse_controllers(VkDomainDef *def, VkError *reterr) {
        bool q35 = def->machine_kind == VK_MACHINE_Q35;
        const VkDomainController *root;

        /* the machine's own controllers, in the order libvirt adds them (and so lists
         * them, after the ones written): USB, SATA (q35), the PCI root */
        if (!vk_domain_def_find_controller(def, VK_CONTROLLER_USB, 0))
                vk_domain_add_implicit_controller(def, VK_CONTROLLER_USB, 0,
                                                  q35 ? VK_CONTROLLER_MODEL_QEMU_XHCI
                                                      : VK_CONTROLLER_MODEL_PIIX3_UHCI);
        if (q35 && !vk_domain_def_find_controller(def, VK_CONTROLLER_SATA, 0))
                vk_domain_add_implicit_controller(def, VK_CONTROLLER_SATA, 0,
                                                  VK_CONTROLLER_MODEL_DEFAULT);
        root = vk_domain_def_find_controller(def, VK_CONTROLLER_PCI, 0);
        if (!root)
                vk_domain_add_implicit_controller(def, VK_CONTROLLER_PCI, 0,
                                                  q35 ? VK_CONTROLLER_MODEL_PCIE_ROOT
                                                      : VK_CONTROLLER_MODEL_PCI_ROOT);
        else if (root->model !=
                 (q35 ? VK_CONTROLLER_MODEL_PCIE_ROOT : VK_CONTROLLER_MODEL_PCI_ROOT))
                return vk_domain_devices_error(reterr,
                                               "the PCI root of a %s machine must be model '%s'",
                                               q35 ? "q35" : "pc", q35 ? "pcie-root" : "pci-root");
        for (size_t i = 0; i < def->n_controllers; i++) {
                VkDomainController *c = def->controllers[i];

                if (c->type != VK_CONTROLLER_PCI)
                        continue;
                if (!q35 && (c->model == VK_CONTROLLER_MODEL_PCIE_ROOT_PORT ||
                             c->model == VK_CONTROLLER_MODEL_PCIE_TO_PCI_BRIDGE))
                        return vk_domain_devices_error(reterr,
                                                       "controller model '%s' needs a q35 machine",
                                                       vk_controller_model_to_string(c->model));
                if (c->info.addr.type != VK_ADDRESS_NONE && c->info.addr.type != VK_ADDRESS_PCI)
                        return vk_domain_devices_error(
                                reterr, "PCI controller %u needs a PCI address", c->index);
        }

        /* controllers the disks' drive addresses refer to: as libvirt, SCSI, floppy, IDE,
         * then SATA ones, each type in index order */
        post_parse_disk_controllers(def);

        /* virtio channels and consoles hang off virtio-serial 0 */
        {
                bool need_vserial = false;

                for (size_t i = 0; i < def->n_channels; i++)
                        need_vserial = true;
                for (size_t i = 0; i < def->n_consoles; i++)
                        if (def->consoles[i]->target_type == VK_CHR_TARGET_VIRTIO)
                                need_vserial = true;
                if (need_vserial &&
                    !vk_domain_def_find_controller(def, VK_CONTROLLER_VIRTIO_SERIAL, 0))
                        vk_domain_add_implicit_controller(def, VK_CONTROLLER_VIRTIO_SERIAL, 0,
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
                        return vk_domain_devices_error(
                                reterr, "IDE controller %u: %s", c->index,
                                q35 ? "q35 machines have no IDE controller"
                                    : "pc machines have a single IDE controller");
                if (c->type == VK_CONTROLLER_FDC && c->index > 0)
                        return vk_domain_devices_error(reterr,
                                                       "only one floppy controller is supported");
                if ((c->type == VK_CONTROLLER_IDE || c->type == VK_CONTROLLER_FDC) &&
                    c->info.addr.type != VK_ADDRESS_NONE && c->info.addr.type != VK_ADDRESS_PCI)
                        return vk_domain_devices_error(
                                reterr, "controller %s %u: unsupported address type",
                                vk_controller_type_to_string(c->type), c->index);
        }

        vk_domain_sort_controllers(def);
        return 0;
}

static VkDomainChr *post_parse_chr_copy(const VkDomainChr *src, VkChrKind kind) {
        VkDomainChr *c = g_new0(VkDomainChr, 1);

        c->kind = kind;
        c->type = src->type;
        c->path = g_strdup(src->path);
        c->mode = src->mode;
        c->host = g_strdup(src->host);
        c->service = g_strdup(src->service);
        c->protocol = src->protocol;
        c->target_port = 0;
        c->implicit = true;
        return c;
}

static int post_parse_chrs(VkDomainDef *def, VkError *reterr) {
        /* libvirt's console compatibility: console 0 of target serial is serial 0 */
        if (def->n_consoles > 0 && def->consoles[0]->target_type != VK_CHR_TARGET_VIRTIO) {
                VkDomainChr *con = def->consoles[0];

                if (def->n_serials == 0) {
                        VkDomainChr *s = post_parse_chr_copy(con, VK_CHR_SERIAL);

                        VK_DOMAIN_APPEND(def->serials, def->n_serials, s);
                } else if (con->type != def->serials[0]->type ||
                           g_strcmp0(con->path, def->serials[0]->path) != 0 ||
                           g_strcmp0(con->host, def->serials[0]->host) != 0 ||
                           g_strcmp0(con->service, def->serials[0]->service) != 0 ||
                           con->mode != def->serials[0]->mode ||
                           con->protocol != def->serials[0]->protocol)
                        return vk_domain_devices_error(reterr,
                                                       "console 0 of target type serial must match "
                                                       "serial 0");
                con->target_type = VK_CHR_TARGET_SERIAL;
                con->target_port = 0;
        } else if (def->n_serials > 0 && def->n_consoles == 0) {
                VkDomainChr *con = post_parse_chr_copy(def->serials[0], VK_CHR_CONSOLE);

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
                        return vk_domain_devices_error(reterr,
                                                       "only the first console can be a serial "
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
                                return vk_domain_devices_error(reterr,
                                                               "channel name '%s' used twice",
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

                /* libvirt 9.0's default on x86 (what the guest sees must not differ) */
                if (v->model == VK_VIDEO_MODEL_DEFAULT)
                        v->model = VK_VIDEO_MODEL_CIRRUS;
                if (v->model == VK_VIDEO_MODEL_NONE)
                        continue;
                if (!v->vram && v->model != VK_VIDEO_MODEL_VIRTIO)
                        v->vram = v->model == VK_VIDEO_MODEL_QXL ? 65536 : 16384;
                if (v->model == VK_VIDEO_MODEL_QXL) {
                        /* libvirt's defaults: a 64 MiB RAM bar, 16 MiB of VGA memory */
                        if (!v->ram)
                                v->ram = 65536;
                        if (!v->vgamem)
                                v->vgamem = 16384;
                }
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
                        return vk_domain_devices_error(
                                reterr, "per-device <boot order=> cannot be combined "
                                        "with <os><boot dev=>");
                if (g_hash_table_contains(orders, GUINT_TO_POINTER(o)))
                        return vk_domain_devices_error(reterr, "boot order %u is used twice", o);
                g_hash_table_add(orders, GUINT_TO_POINTER(o));
        }
        /* libvirt: no boot order at all means the first hard disk, with a <kernel> too */
        if (def->n_boot == 0 && g_hash_table_size(orders) == 0)
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
        r = vk_domain_fs_post_parse(def, reterr);
        if (r < 0)
                return r;
        r = post_parse_controllers(def, reterr);
        if (r < 0)
                return r;
        /* the CCID controllers after the others, as libvirt adds them */
        r = vk_domain_smartcard_post_parse(def, reterr);
        if (r < 0)
                return r;
        post_parse_video(def);
        post_parse_inputs(def);
        vk_domain_audio_post_parse(def);
        vk_domain_cpu_post_parse(def);
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
                        return vk_domain_devices_error(reterr,
                                                       "watchdog model 'itco' needs a q35 machine");
        return 0;
}
