/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-argv-disk.c: -blockdev/-device for disks, encryption secrets, boot */
#include <assert.h>
#include <errno.h>
#include <string.h>

#include "macro.h"
#include "qemu-argv-internal.h"

/*
 * A disk with media becomes two -blockdev nodes and a frontend:
 *
 *   -blockdev {"driver":"file","filename":PATH,"node-name":"libvirt-1-storage",
 *              "auto-read-only":true,"discard":"unmap"}
 *   -blockdev {"node-name":"libvirt-1-format","read-only":false,"driver":"qcow2",
 *              "file":"libvirt-1-storage"}
 *   -device {"driver":"virtio-blk-pci",...,"drive":"libvirt-1-format","id":"virtio-disk0"}
 *
 * N counts the disks from the last one (the last is 1), as libvirt. An empty cdrom or floppy has
 * a frontend only. A disk whose backing chain is known (from the XML or read at start) gets
 * two nodes per image, the deepest first, each backing layer read-only, numbered after its
 * disk's own (libvirt numbers a chain from the top down):
 *
 *   -blockdev {"driver":"file","filename":BASE,"node-name":"libvirt-2-storage",...}
 *   -blockdev {"node-name":"libvirt-2-format","read-only":true,"driver":"qcow2",
 *              "file":"libvirt-2-storage","backing":null}
 *   -blockdev {"driver":"file","filename":TOP,"node-name":"libvirt-1-storage",...}
 *   -blockdev {"node-name":"libvirt-1-format","read-only":false,"driver":"qcow2",
 *              "file":"libvirt-1-storage","backing":"libvirt-2-format"}
 *
 * "backing" is only said where the chain is known: null ends it (QEMU must not look further),
 * absent lets QEMU open what the header names (domxml-to-native, where nothing is read). A LUN
 * (scsi-block) has a raw format node too, as libvirt: raw passes the SCSI ioctls through.
 */

/* "vdb" -> 1, "sdaa" -> 26: the index libvirt derives from a target name. */
static unsigned argv_disk_index(const char *dev) {
        unsigned idx = 0;

        if (!dev || strlen(dev) < 3)
                return 0;
        for (const char *p = dev + 2; *p; p++)
                idx = (idx + (p == dev + 2 ? 0 : 1)) * 26 + (unsigned) (*p - 'a');
        return idx;
}

/*
 * Boot order: <boot order=> on devices if any has one, otherwise <os><boot dev=> in order,
 * each naming the first disk (hd), cdrom, floppy (fd) or interface (network).
 */
int argv_boot_prepare(ArgvBuilder *b) {
        const VkDomainDef *def = b->def;
        bool per_device = false;
        unsigned next = 1;

        for (size_t i = 0; i < def->n_disks; i++)
                per_device = per_device || def->disks[i]->info.boot_order > 0;
        for (size_t i = 0; i < def->n_nets; i++)
                per_device = per_device || def->nets[i]->info.boot_order > 0;
        if (per_device) {
                for (size_t i = 0; i < def->n_disks; i++)
                        b->disk_boot[i] = def->disks[i]->info.boot_order;
                for (size_t i = 0; i < def->n_nets; i++)
                        b->net_boot[i] = def->nets[i]->info.boot_order;
                return 0;
        }

        for (size_t p = 0; p < def->n_boot; p++) {
                if (def->boot[p] == VK_BOOT_DEV_NETWORK) {
                        if (def->n_nets > 0 && b->net_boot[0] == 0)
                                b->net_boot[0] = next++;
                        continue;
                }
                for (size_t i = 0; i < def->n_disks; i++) {
                        VkDiskDevice d = def->disks[i]->device;
                        bool match;

                        if (def->boot[p] == VK_BOOT_DEV_HD)
                                match = d == VK_DISK_DEVICE_DISK || d == VK_DISK_DEVICE_LUN;
                        else if (def->boot[p] == VK_BOOT_DEV_CDROM)
                                match = d == VK_DISK_DEVICE_CDROM;
                        else
                                match = d == VK_DISK_DEVICE_FLOPPY;
                        if (!match)
                                continue;
                        if (b->disk_boot[i] == 0)
                                b->disk_boot[i] = next++;
                        break;
                }
        }
        return 0;
}

/* A protocol node in libvirt's property order; @aio, @cache may be NULL. */
static JsonObject *argv_storage_node_full(const char *driver, const char *path, const char *aio,
                                          const char *node, JsonObject *cache) {
        JsonObject *o = json_object_new();

        argv_jset_str(o, "driver", driver);
        argv_jset_str(o, "filename", path);
        if (aio)
                argv_jset_str(o, "aio", aio);
        argv_jset_str(o, "node-name", node);
        if (cache)
                json_object_set_object_member(o, "cache", cache);
        argv_jset_bool(o, "auto-read-only", true);
        argv_jset_str(o, "discard", "unmap");
        return o;
}

typedef struct DiskCache {
        bool set;
        bool direct;
        bool no_flush;
        bool write_cache;
} DiskCache;

static DiskCache argv_disk_cache(VkDiskCache c) {
        switch (c) {
        case VK_DISK_CACHE_NONE:
                return (DiskCache){ true, true, false, true };
        case VK_DISK_CACHE_WRITETHROUGH:
                return (DiskCache){ true, false, false, false };
        case VK_DISK_CACHE_WRITEBACK:
                return (DiskCache){ true, false, false, true };
        case VK_DISK_CACHE_DIRECTSYNC:
                return (DiskCache){ true, true, false, false };
        case VK_DISK_CACHE_UNSAFE:
                return (DiskCache){ true, false, true, true };
        default:
                return (DiskCache){ false, false, false, false };
        }
}

/* libvirt: a writable shareable disk without a cache mode uses cache='none' */
static DiskCache argv_disk_cache_of(const VkDomainDisk *disk) {
        return argv_disk_cache(disk->cache == VK_DISK_CACHE_DEFAULT && disk->shareable &&
                                               !disk->readonly
                                       ? VK_DISK_CACHE_NONE
                                       : disk->cache);
}

/* The "cache" member of a node for @c, or NULL when the mode is QEMU's default. */
static JsonObject *argv_cache_object(const DiskCache *c) {
        JsonObject *cache;

        if (!c->set)
                return NULL;
        cache = json_object_new();
        argv_jset_bool(cache, "direct", c->direct);
        argv_jset_bool(cache, "no-flush", c->no_flush);
        return cache;
}

static const VkQemuArgvSecret *argv_find_secret(const ArgvBuilder *b, const char *uuid) {
        for (size_t i = 0; uuid && i < b->opts->n_secrets; i++)
                if (g_strcmp0(b->opts->secrets[i].uuid, uuid) == 0)
                        return &b->opts->secrets[i];
        return NULL;
}

/* The path and storage driver of a disk's source; NULL path: no media. */
static int argv_disk_source(ArgvBuilder *b, const VkDomainDisk *disk, const char **ret_path,
                            const char **ret_driver) {
        if (disk->type == VK_DISK_TYPE_VOLUME) {
                for (size_t i = 0; i < b->opts->n_volumes; i++) {
                        const VkQemuArgvVolume *v = &b->opts->volumes[i];

                        if (g_strcmp0(v->pool, disk->src_pool) == 0 &&
                            g_strcmp0(v->volume, disk->src_volume) == 0 && v->path) {
                                *ret_path = v->path;
                                *ret_driver = v->is_block ? "host_device" : "file";
                                return 0;
                        }
                }
                return argv_error(b, VK_ERROR_INVALID_ARGUMENT, -ENOENT,
                                  "disk '%s': volume '%s' of pool '%s' was not resolved to a "
                                  "path",
                                  vk_strempty(disk->target_dev), vk_strempty(disk->src_volume),
                                  vk_strempty(disk->src_pool));
        }
        *ret_path = disk->src_path;
        *ret_driver = disk->type == VK_DISK_TYPE_BLOCK ? "host_device" : "file";
        if (disk->type == VK_DISK_TYPE_BLOCK && disk->device == VK_DISK_DEVICE_CDROM &&
            disk->format != VK_DISK_FORMAT_QCOW2 && disk->src_path && b->opts->host_cdroms &&
            g_strv_contains(b->opts->host_cdroms, disk->src_path))
                *ret_driver = "host_cdrom";
        return 0;
}

/* The number in the node names of disk @i's own image: libvirt counts from the last disk up,
 * each disk taking one number for its image and one per backing layer; a number fixed by a
 * hotplug (node_index) wins. */
size_t vk_qemu_argv_disk_node(const VkDomainDef *def, size_t i) {
        size_t n = 1;

        if (def->disks[i]->node_index > 0) /* fixed by a hotplug */
                return def->disks[i]->node_index;

        for (size_t j = i + 1; j < def->n_disks; j++)
                n += 1 + def->disks[j]->n_backing;
        return n;
}

/*
 * Fix every disk's node number where its position puts it now (node_index), so that a disk
 * coming, going or changing its backing chain renames no other disk's nodes (hotplug, media
 * change; the status file keeps the numbers).
 */
void vk_qemu_argv_disk_nodes_fix(VkDomainDef *def) {
        g_autofree unsigned *n = g_new0(unsigned, def->n_disks + 1);

        for (size_t i = 0; i < def->n_disks; i++)
                n[i] = (unsigned) vk_qemu_argv_disk_node(def, i);
        for (size_t i = 0; i < def->n_disks; i++)
                def->disks[i]->node_index = n[i];
}

/* The properties every format node of a disk's chain shares, in libvirt's order. */
/* The common part of a format node of @disk's chain; @top: the disk's own image, which alone
 * gets detect-zeroes (as libvirt). */
static JsonObject *argv_format_node(const VkDomainDisk *disk, const char *node, bool ro,
                                    const DiskCache *cache, bool top) {
        JsonObject *o = json_object_new();
        JsonObject *c;

        argv_jset_str(o, "node-name", node);
        argv_jset_bool(o, "read-only", ro);
        if (disk->discard != VK_DISK_DISCARD_DEFAULT)
                argv_jset_str(o, "discard", vk_disk_discard_to_string(disk->discard));
        if (top && disk->detect_zeroes != VK_DISK_DETECT_ZEROES_DEFAULT) {
                VkDiskDetectZeroes dz = disk->detect_zeroes;

                /* QEMU refuses 'unmap' without discard; libvirt 9.0 then asks for 'on' */
                if (dz == VK_DISK_DETECT_ZEROES_UNMAP && disk->discard != VK_DISK_DISCARD_UNMAP)
                        dz = VK_DISK_DETECT_ZEROES_ON;
                argv_jset_str(o, "detect-zeroes", vk_disk_detect_zeroes_to_string(dz));
        }
        c = argv_cache_object(cache);
        if (c)
                json_object_set_object_member(o, "cache", c);
        return o;
}

/* "backing" of a format node whose image is layer @k of @disk's chain (0: the disk's own, k:
 * backing layer k - 1), numbered from @base; nothing when the chain is not known there. */
static void argv_set_backing(JsonObject *o, const VkDomainDisk *disk, size_t k, size_t base) {
        g_autofree char *below = NULL;

        if (k < disk->n_backing) {
                below = g_strdup_printf("libvirt-%zu-format", base + k + 1);
                argv_jset_str(o, "backing", below);
        } else if (disk->backing_end)
                json_object_set_null_member(o, "backing");
}

/* The backing layers of @disk, the deepest first, read-only; aio, cache and discard as the
 * disk's own image (libvirt applies them to the whole chain). */
static void argv_disk_backing(ArgvBuilder *b, const VkDomainDisk *disk, size_t base,
                              const DiskCache *cache) {
        const char *aio = disk->io != VK_DISK_IO_DEFAULT ? vk_disk_io_to_string(disk->io) : NULL;

        for (size_t k = disk->n_backing; k > 0; k--) {
                const VkDomainDiskBacking *l = &disk->backing[k - 1];
                g_autofree char *storage = g_strdup_printf("libvirt-%zu-storage", base + k);
                g_autofree char *format = g_strdup_printf("libvirt-%zu-format", base + k);
                JsonObject *o;

                argv_add_json(b, "-blockdev",
                              argv_storage_node_full(
                                      l->type == VK_DISK_TYPE_BLOCK ? "host_device" : "file",
                                      l->path, aio, storage, argv_cache_object(cache)));
                o = argv_format_node(disk, format, true, cache, false);
                argv_jset_str(o, "driver", vk_image_format_to_string(l->format));
                argv_jset_str(o, "file", storage);
                if (vk_image_format_has_backing(l->format))
                        argv_set_backing(o, disk, k, base);
                argv_add_json(b, "-blockdev", o);
        }
}

/* -object secret and -blockdev nodes of disk @i; *@ret_node: what the frontend's drive is. */
static int argv_disk_backend(ArgvBuilder *b, size_t i, const DiskCache *cache, char **ret_node) {
        const VkDomainDisk *disk = b->def->disks[i];
        /* libvirt numbers the nodes from the last disk up (it prepares them in reverse): the
         * first disk of three is libvirt-3-*, an empty drive uses its number too */
        size_t node = vk_qemu_argv_disk_node(b->def, i);
        g_autofree char *storage = g_strdup_printf("libvirt-%zu-storage", node);
        g_autofree char *format = g_strdup_printf("libvirt-%zu-format", node);
        g_autofree char *secret_id = NULL;
        bool ro = disk->readonly || disk->device == VK_DISK_DEVICE_CDROM;
        const char *path = NULL, *driver = NULL;
        JsonObject *o;
        int r;

        r = argv_disk_source(b, disk, &path, &driver);
        if (r < 0)
                return r;
        if (!path) {
                *ret_node = NULL;
                return 0;
        }

        if (disk->io == VK_DISK_IO_NATIVE && !cache->direct)
                return argv_error(b, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                  "disk '%s': io='native' needs cache='none' or 'directsync'",
                                  vk_strempty(disk->target_dev));
        argv_disk_backing(b, disk, node, cache);

        if (disk->encrypted) {
                const VkQemuArgvSecret *s = argv_find_secret(b, disk->secret_uuid);

                if (!s || !s->ciphertext || !s->iv)
                        return argv_error(b, VK_ERROR_INVALID_ARGUMENT, -ENOKEY,
                                          "disk '%s': no value for its encryption secret '%s'",
                                          vk_strempty(disk->target_dev),
                                          vk_strempty(disk->secret_uuid));
                secret_id = g_strdup_printf("%s-encryption-secret0", format);
                o = json_object_new();
                argv_jset_str(o, "qom-type", "secret");
                argv_jset_str(o, "id", secret_id);
                argv_jset_str(o, "data", s->ciphertext);
                argv_jset_str(o, "keyid", "masterKey0");
                argv_jset_str(o, "iv", s->iv);
                argv_jset_str(o, "format", "base64");
                argv_add_json(b, "-object", o);
        }

        o = argv_storage_node_full(driver, path,
                                   disk->io != VK_DISK_IO_DEFAULT ? vk_disk_io_to_string(disk->io)
                                                                  : NULL,
                                   storage, argv_cache_object(cache));
        argv_add_json(b, "-blockdev", o);

        /* a raw format node even for a LUN: it passes scsi-block's ioctls through, as libvirt */
        o = argv_format_node(disk, format, ro, cache, true);
        if (disk->format == VK_DISK_FORMAT_QCOW2) {
                argv_jset_str(o, "driver", "qcow2");
                if (secret_id) {
                        JsonObject *enc = json_object_new();

                        argv_jset_str(enc, "format", "luks");
                        argv_jset_str(enc, "key-secret", secret_id);
                        json_object_set_object_member(o, "encrypt", enc);
                }
        } else if (secret_id) {
                argv_jset_str(o, "driver", "luks");
                argv_jset_str(o, "key-secret", secret_id);
        } else
                argv_jset_str(o, "driver", "raw"); /* no probing: absent means raw */
        argv_jset_str(o, "file", storage);
        if (disk->format == VK_DISK_FORMAT_QCOW2)
                argv_set_backing(o, disk, 0, node);
        argv_add_json(b, "-blockdev", o);

        *ret_node = g_steal_pointer(&format);
        return 0;
}

static const char *argv_disk_driver(const VkDomainDisk *disk, VkControllerModel scsi_model) {
        bool cd = disk->device == VK_DISK_DEVICE_CDROM;

        switch (disk->bus) {
        case VK_DISK_BUS_VIRTIO:
                return "virtio-blk-pci";
        case VK_DISK_BUS_IDE:
        case VK_DISK_BUS_SATA:
                return cd ? "ide-cd" : "ide-hd";
        case VK_DISK_BUS_SCSI:
                if (disk->device == VK_DISK_DEVICE_LUN)
                        return "scsi-block";
                return cd ? "scsi-cd" : "scsi-hd";
        case VK_DISK_BUS_USB:
                return "usb-storage";
        case VK_DISK_BUS_FDC:
                return "floppy";
        default:
                return NULL;
        }
}

/*
 * The id= of @disk's frontend in @def (its alias, in libvirt's words), named as libvirt names
 * it; QEMU's events (DEVICE_TRAY_MOVED, DEVICE_DELETED) name the disk by it. NULL: a bus
 * without a frontend of ours.
 */
char *vk_qemu_argv_disk_alias(const VkDomainDef *def, const VkDomainDisk *disk) {
        const VkDeviceAddress *a = &disk->info.addr;
        const VkDomainController *c;

        switch (disk->bus) {
        case VK_DISK_BUS_VIRTIO:
                return argv_alias(&disk->info, "virtio-disk%u", argv_disk_index(disk->target_dev));
        case VK_DISK_BUS_USB:
                return argv_alias(&disk->info, "usb-disk%u", argv_disk_index(disk->target_dev));
        case VK_DISK_BUS_IDE:
                return argv_alias(&disk->info, "ide%u-%u-%u", a->drive.controller, a->drive.bus,
                                  a->drive.unit);
        case VK_DISK_BUS_SATA:
                return argv_alias(&disk->info, "sata%u-%u-%u", a->drive.controller, a->drive.bus,
                                  a->drive.unit);
        case VK_DISK_BUS_SCSI:
                c = vk_domain_def_find_controller(def, VK_CONTROLLER_SCSI, a->drive.controller);
                if (c && c->model == VK_CONTROLLER_MODEL_VIRTIO_SCSI)
                        return argv_alias(&disk->info, "scsi%u-%u-%u-%u", a->drive.controller,
                                          a->drive.bus, a->drive.target, a->drive.unit);
                /* libvirt names lsilogic's disks without the target */
                return argv_alias(&disk->info, "scsi%u-%u-%u", a->drive.controller, a->drive.bus,
                                  a->drive.unit);
        case VK_DISK_BUS_FDC:
                return argv_alias(&disk->info, "fdc0-0-%u", a->drive.unit);
        default:
                return NULL;
        }
}

/* The frontend's bus position and id; drive addresses come from post-parse. */
static int argv_disk_place(ArgvBuilder *b, const VkDomainDisk *disk, JsonObject *o,
                           char **ret_alias) {
        const VkDeviceAddress *a = &disk->info.addr;
        const VkDomainController *c;
        g_autofree char *calias = NULL;
        g_autofree char *bus = NULL;
        const char *what = vk_strempty(disk->target_dev);
        int r;

        switch (disk->bus) {
        case VK_DISK_BUS_VIRTIO:
                r = argv_set_address(b, o, &disk->info, what);
                if (r < 0)
                        return r;
                *ret_alias = vk_qemu_argv_disk_alias(b->def, disk);
                return 0;
        case VK_DISK_BUS_USB:
                r = argv_set_address(b, o, &disk->info, what);
                if (r < 0)
                        return r;
                *ret_alias = vk_qemu_argv_disk_alias(b->def, disk);
                return 0;
        case VK_DISK_BUS_IDE:
                bus = g_strdup_printf("ide.%u", a->drive.bus);
                argv_jset_str(o, "bus", bus);
                argv_jset_int(o, "unit", a->drive.unit);
                *ret_alias = vk_qemu_argv_disk_alias(b->def, disk);
                return 0;
        case VK_DISK_BUS_SATA:
                c = vk_domain_def_find_controller(b->def, VK_CONTROLLER_SATA, a->drive.controller);
                calias = c ? argv_controller_alias(c, b->def->machine_kind)
                           : g_strdup_printf("sata%u", a->drive.controller);
                /* an AHCI controller has one bus per port, one unit per bus */
                bus = g_strdup_printf("%s.%u", calias, a->drive.unit);
                argv_jset_str(o, "bus", bus);
                *ret_alias = vk_qemu_argv_disk_alias(b->def, disk);
                return 0;
        case VK_DISK_BUS_SCSI:
                c = vk_domain_def_find_controller(b->def, VK_CONTROLLER_SCSI, a->drive.controller);
                calias = c ? argv_controller_alias(c, b->def->machine_kind)
                           : g_strdup_printf("scsi%u", a->drive.controller);
                bus = g_strdup_printf("%s.0", calias);
                argv_jset_str(o, "bus", bus);
                if (c && c->model == VK_CONTROLLER_MODEL_VIRTIO_SCSI) {
                        argv_jset_int(o, "channel", a->drive.bus);
                        argv_jset_int(o, "scsi-id", a->drive.target);
                        argv_jset_int(o, "lun", a->drive.unit);
                } else {
                        argv_jset_int(o, "scsi-id", a->drive.unit);
                }
                *ret_alias = vk_qemu_argv_disk_alias(b->def, disk);
                return 0;
        case VK_DISK_BUS_FDC:
                if (b->def->machine_kind != VK_MACHINE_PC)
                        return argv_error(b, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                          "disk '%s': floppy disks need a pc machine "
                                          "(q35 has no floppy controller)",
                                          what);
                argv_jset_int(o, "unit", a->drive.unit);
                *ret_alias = vk_qemu_argv_disk_alias(b->def, disk);
                return 0;
        default:
                return argv_error(b, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                  "disk '%s': bus '%s' is not supported", what,
                                  vk_strempty(vk_disk_bus_to_string(disk->bus)));
        }
}

int argv_build_disk(ArgvBuilder *b, size_t i) {
        const VkDomainDisk *disk = b->def->disks[i];
        const VkDomainController *scsi = NULL;
        g_autofree char *alias = NULL;
        g_autofree char *node = NULL;
        DiskCache cache = argv_disk_cache_of(disk);
        const char *driver;
        JsonObject *o;
        int r;

        if (disk->bus == VK_DISK_BUS_SCSI)
                scsi = vk_domain_def_find_controller(b->def, VK_CONTROLLER_SCSI,
                                                     disk->info.addr.drive.controller);
        driver = argv_disk_driver(disk, scsi ? scsi->model : VK_CONTROLLER_MODEL_DEFAULT);
        if (!driver)
                return argv_error(b, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                  "disk '%s': bus '%s' is not supported",
                                  vk_strempty(disk->target_dev),
                                  vk_strempty(vk_disk_bus_to_string(disk->bus)));
        if (disk->device == VK_DISK_DEVICE_LUN &&
            (disk->bus != VK_DISK_BUS_SCSI || disk->type != VK_DISK_TYPE_BLOCK))
                return argv_error(b, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                  "disk '%s': device='lun' needs type='block' on bus='scsi'",
                                  vk_strempty(disk->target_dev));

        r = argv_disk_backend(b, i, &cache, &node);
        if (r < 0)
                return r;

        o = argv_device_new(driver);
        r = argv_disk_place(b, disk, o, &alias);
        if (r < 0) {
                json_object_unref(o);
                return r;
        }
        /* libvirt's property order; scsi-hd/scsi-cd get the VPD device id QEMU gave them when
         * disks were -drive (the serial, else "drive-ALIAS"): the guest sees the same disk */
        if (disk->bus == VK_DISK_BUS_SCSI && disk->device != VK_DISK_DEVICE_LUN) {
                g_autofree char *vpd =
                        disk->serial ? g_strdup(disk->serial) : g_strdup_printf("drive-%s", alias);

                argv_jset_str(o, "device_id", vpd);
        }
        if (disk->shareable)
                argv_jset_bool(o, "share-rw", true);
        if (node)
                argv_jset_str(o, "drive", node);
        argv_jset_str(o, "id", alias);
        if (b->disk_boot[i] > 0) {
                if (disk->bus == VK_DISK_BUS_FDC) {
                        /* the floppy device has no bootindex; its controller has one per unit */
                        argv_add(b, "-global");
                        argv_addf(b, "isa-fdc.bootindex%c=%u",
                                  disk->info.addr.drive.unit == 0 ? 'A' : 'B', b->disk_boot[i]);
                } else
                        argv_jset_int(o, "bootindex", b->disk_boot[i]);
        }
        if (disk->bus == VK_DISK_BUS_USB)
                argv_jset_bool(o, "removable", disk->device == VK_DISK_DEVICE_CDROM);
        if (cache.set && disk->bus != VK_DISK_BUS_FDC && disk->device != VK_DISK_DEVICE_LUN)
                argv_jset_str(o, "write-cache", cache.write_cache ? "on" : "off");
        if (disk->serial)
                argv_jset_str(o, "serial", disk->serial);
        argv_add_device(b, alias, o);
        return 0;
}

int argv_build_disks(ArgvBuilder *b) {
        for (size_t i = 0; i < b->def->n_disks; i++) {
                int r = argv_build_disk(b, i);
                if (r < 0)
                        return r;
        }
        return 0;
}

/*
 * The -blockdev nodes of disk @i of @def as they are on the command line, each a JSON text
 * blockdev-add takes as it is (the deepest layer first, the format node of the disk's own
 * image last), and that format node's name (what the frontend's "drive" is). A disk without
 * media has none (*@ret_nodes empty, *@ret_node NULL). @opts: only the volumes, secrets and
 * host CD-ROM drives are read. An encrypted disk's secret object is not part of the answer:
 * refused with NotSupported. Pure; may run anywhere.
 */
int vk_qemu_argv_disk_blockdevs(const VkDomainDef *def, size_t i, const VkQemuArgvOptions *opts,
                                char ***ret_nodes, char **ret_node, VkError *reterr) {
        g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(GPtrArray) nodes = g_ptr_array_new_with_free_func(g_free);
        const VkDomainDisk *disk;
        g_autofree char *node = NULL;
        DiskCache cache;
        ArgvBuilder b;
        int r;

        assert(def);
        assert(i < def->n_disks);
        assert(opts);

        disk = def->disks[i];
        if (disk->encrypted)
                return vk_error_set(reterr, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                    "disk '%s': an encrypted image cannot be opened live",
                                    vk_strempty(disk->target_dev));
        cache = argv_disk_cache_of(disk);
        b = (ArgvBuilder){ .def = def, .opts = opts, .args = args, .reterr = reterr };
        r = argv_disk_backend(&b, i, &cache, &node);
        if (r < 0)
                return r;
        for (guint k = 0; k + 1 < args->len; k += 2)
                if (g_str_equal(args->pdata[k], "-blockdev"))
                        g_ptr_array_add(nodes, g_strdup(args->pdata[k + 1]));
        g_ptr_array_add(nodes, NULL);
        *ret_nodes = (char **) g_ptr_array_free(g_steal_pointer(&nodes), FALSE);
        *ret_node = g_steal_pointer(&node);
        return 0;
}
