/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-domain-disk.c: <disk> and <controller>: parse and free */
#include <errno.h>
#include <string.h>

#include "macro.h"
#include "qemu-domain-internal.h"

/* Free @disk and what it owns; takes NULL, returns NULL. */
VkDomainDisk *vk_domain_disk_free(VkDomainDisk *disk) {
        if (!disk)
                return NULL;
        g_free(disk->driver_name);
        g_free(disk->src_path);
        g_free(disk->src_pool);
        g_free(disk->src_volume);
        g_free(disk->target_dev);
        g_free(disk->serial);
        g_free(disk->secret_uuid);
        vk_domain_disk_backing_clear(disk);
        vk_domain_device_info_clear(&disk->info);
        g_free(disk);
        return NULL;
}

/* Drop @disk's backing chain: unknown again (read at start). */
void vk_domain_disk_backing_clear(VkDomainDisk *disk) {
        for (size_t i = 0; i < disk->n_backing; i++)
                g_free(disk->backing[i].path);
        g_clear_pointer(&disk->backing, g_free);
        disk->n_backing = 0;
        disk->backing_end = false;
}

/* Free @c and what it owns; takes NULL, returns NULL. */
VkDomainController *vk_domain_controller_free(VkDomainController *c) {
        if (!c)
                return NULL;
        vk_domain_device_info_clear(&c->info);
        g_free(c);
        return NULL;
}

/* ---- <disk> ----------------------------------------------------------------------------- */

static int disk_parse_driver(VkDomainDisk *disk, xmlNode *node, VkError *reterr) {
        int r;

        r = vk_xml_check_node(node,
                              VK_STRV("name", "type", "cache", "io", "discard", "detect_zeroes"),
                              VK_XML_NONE, reterr);
        if (r < 0)
                return r;
        r = vk_xml_prop_string(node, "name", 0, &disk->driver_name, reterr);
        if (r < 0)
                return r;
        if (disk->driver_name && strcmp(disk->driver_name, "qemu") != 0)
                return vk_xml_error(node, "name", reterr, "unsupported value '%s'",
                                    disk->driver_name);
        if (vk_xml_prop_enum(node, "type", vk_disk_format_from_string, VK_XML_NONZERO,
                             &disk->format, reterr) < 0 ||
            vk_xml_prop_enum(node, "cache", vk_disk_cache_from_string, 0, &disk->cache, reterr) <
                    0 ||
            vk_xml_prop_enum(node, "io", vk_disk_io_from_string, 0, &disk->io, reterr) < 0 ||
            vk_xml_prop_enum(node, "discard", vk_disk_discard_from_string, 0, &disk->discard,
                             reterr) < 0 ||
            vk_xml_prop_enum(node, "detect_zeroes", vk_disk_detect_zeroes_from_string,
                             VK_XML_NONZERO, &disk->detect_zeroes, reterr) < 0)
                return -EINVAL;
        return 0;
}

static int disk_parse_encryption(VkDomainDisk *disk, xmlNode *node, VkError *reterr) {
        g_autofree char *format = NULL;
        xmlNode *secret;
        VkUuid u;
        int r;

        if (disk->encrypted)
                return vk_xml_error(node, NULL, reterr,
                                    "a second <encryption>: give it in <disk> or in its <source>, "
                                    "not both");
        r = vk_xml_check_node(node, VK_STRV("format"), VK_STRV("secret"), reterr);
        if (r < 0)
                return r;
        r = vk_xml_check_unique(node, VK_STRV("secret"), reterr);
        if (r < 0)
                return r;
        r = vk_xml_prop_string(node, "format", VK_XML_REQUIRED, &format, reterr);
        if (r < 0)
                return r;
        if (strcmp(format, "luks") != 0)
                return vk_xml_error(node, "format", reterr, "unsupported value '%s' (only 'luks')",
                                    format);

        secret = vk_xml_child(node, "secret");
        if (!secret)
                return vk_xml_error(node, NULL, reterr, "missing <secret> element");
        r = vk_xml_check_node(secret, VK_STRV("type", "uuid"), VK_XML_NONE, reterr);
        if (r < 0)
                return r;
        {
                g_autofree char *type = NULL;

                r = vk_xml_prop_string(secret, "type", VK_XML_REQUIRED, &type, reterr);
                if (r < 0)
                        return r;
                if (strcmp(type, "passphrase") != 0)
                        return vk_xml_error(secret, "type", reterr,
                                            "unsupported value '%s' (only 'passphrase')", type);
        }
        r = vk_xml_prop_string(secret, "uuid", VK_XML_REQUIRED, &disk->secret_uuid, reterr);
        if (r < 0)
                return r;
        if (vk_uuid_parse(disk->secret_uuid, &u) < 0)
                return vk_xml_error(secret, "uuid", reterr, "invalid UUID '%s'", disk->secret_uuid);
        /* one spelling, so that format(parse(x)) is stable */
        {
                char buf[VK_UUID_STRING_MAX];

                g_free(disk->secret_uuid);
                disk->secret_uuid = g_strdup(vk_uuid_format(&u, buf));
        }
        disk->encrypted = true;
        return 0;
}

/* <source><encryption>, libvirt's newer place for it: kept there when formatted. */
static int disk_parse_source_encryption(VkDomainDisk *disk, xmlNode *node, VkError *reterr) {
        xmlNode *enc = vk_xml_child(node, "encryption");
        int r;

        r = vk_xml_check_unique(node, VK_STRV("encryption"), reterr);
        if (r < 0 || !enc)
                return r;
        r = disk_parse_encryption(disk, enc, reterr);
        if (r < 0)
                return r;
        disk->encryption_in_source = true;
        return 0;
}

static int disk_parse_source(VkDomainDisk *disk, xmlNode *node, VkError *reterr) {
        int r;

        r = disk_parse_source_encryption(disk, node, reterr);
        if (r < 0)
                return r;
        switch (disk->type) {
        case VK_DISK_TYPE_FILE:
        case VK_DISK_TYPE_BLOCK: {
                const char *attr = disk->type == VK_DISK_TYPE_FILE ? "file" : "dev";

                r = vk_xml_check_node(node, VK_STRV(attr), VK_STRV("encryption"), reterr);
                if (r < 0)
                        return r;
                r = vk_xml_prop_string(node, attr, VK_XML_NONZERO, &disk->src_path, reterr);
                if (r < 0)
                        return r;
                if (disk->src_path)
                        return vk_domain_check_path(node, attr, disk->src_path, reterr);
                return 0;
        }
        case VK_DISK_TYPE_VOLUME:
                r = vk_xml_check_node(node, VK_STRV("pool", "volume"), VK_STRV("encryption"),
                                      reterr);
                if (r < 0)
                        return r;
                if (vk_xml_prop_string(node, "pool", VK_XML_REQUIRED | VK_XML_NONZERO,
                                       &disk->src_pool, reterr) < 0 ||
                    vk_xml_prop_string(node, "volume", VK_XML_REQUIRED | VK_XML_NONZERO,
                                       &disk->src_volume, reterr) < 0)
                        return -EINVAL;
                return 0;
        default:
                g_assert_not_reached();
        }
}

/* One <backingStore type=> layer, appended to @disk's chain. */
static int disk_parse_backing_layer(VkDomainDisk *disk, xmlNode *node, VkError *reterr) {
        VkDomainDiskBacking *l;
        g_autofree char *fmt = NULL;
        xmlNode *format, *source;
        const char *attr;
        int r;

        r = vk_xml_check_node(node, VK_STRV("type", "index"),
                              VK_STRV("format", "source", "backingStore"), reterr);
        if (r >= 0)
                r = vk_xml_check_unique(node, VK_STRV("format", "source", "backingStore"), reterr);
        if (r < 0)
                return r;
        if (disk->n_backing + 1 >= VK_IMAGE_CHAIN_MAX)
                return vk_xml_error(node, NULL, reterr, "a backing chain of more than %d images",
                                    VK_IMAGE_CHAIN_MAX);
        disk->backing = g_renew(VkDomainDiskBacking, disk->backing, disk->n_backing + 1);
        l = &disk->backing[disk->n_backing++];
        *l = (VkDomainDiskBacking){};
        r = vk_xml_prop_enum(node, "type", vk_disk_type_from_string, VK_XML_REQUIRED, &l->type,
                             reterr);
        if (r < 0)
                return r;
        if (l->type != VK_DISK_TYPE_FILE && l->type != VK_DISK_TYPE_BLOCK)
                return vk_xml_error(node, "type", reterr,
                                    "unsupported value '%s' (a backing store is a 'file' or a "
                                    "'block')",
                                    vk_disk_type_to_string(l->type));

        format = vk_xml_child(node, "format");
        if (!format)
                return vk_xml_error(node, NULL, reterr, "missing <format> element");
        r = vk_xml_check_node(format, VK_STRV("type"), VK_XML_NONE, reterr);
        if (r >= 0)
                r = vk_xml_prop_string(format, "type", VK_XML_REQUIRED, &fmt, reterr);
        if (r < 0)
                return r;
        l->format = vk_image_format_from_string(fmt);
        if ((int) l->format < 0 || l->format == VK_IMAGE_FORMAT_NONE ||
            l->format == VK_IMAGE_FORMAT_ISO || l->format == VK_IMAGE_FORMAT_LUKS)
                return vk_xml_error(format, "type", reterr, "unsupported backing format '%s'", fmt);

        source = vk_xml_child(node, "source");
        if (!source)
                return vk_xml_error(node, NULL, reterr, "missing <source> element");
        attr = l->type == VK_DISK_TYPE_FILE ? "file" : "dev";
        r = vk_xml_check_node(source, VK_STRV(attr, "index"), VK_XML_NONE, reterr);
        if (r >= 0)
                r = vk_xml_prop_string(source, attr, VK_XML_REQUIRED | VK_XML_NONZERO, &l->path,
                                       reterr);
        if (r < 0)
                return r;
        return vk_domain_check_path(source, attr, l->path, reterr);
}

/*
 * <backingStore>: the images below the disk's, nearest first, as libvirt writes them:
 *
 *   <backingStore type='file'>
 *     <format type='qcow2'/>
 *     <source file='/var/lib/images/base.qcow2'/>
 *     <backingStore/>               the chain ends here; absent: the rest is read at start
 *   </backingStore>
 *
 * index= on a layer or its <source> (libvirt's live XML numbers the images) is accepted and
 * not kept: the numbers are given again at each start.
 */
static int disk_parse_backing(VkDomainDisk *disk, xmlNode *node, VkError *reterr) {
        for (xmlNode *n = node; n; n = vk_xml_child(n, "backingStore")) {
                int r;

                if (!xmlHasProp(n, (const xmlChar *) "type")) {
                        r = vk_xml_check_node(n, VK_XML_NONE, VK_XML_NONE, reterr);
                        if (r < 0)
                                return r;
                        disk->backing_end = true;
                        return 0;
                }
                r = disk_parse_backing_layer(disk, n, reterr);
                if (r < 0)
                        return r;
        }
        return 0;
}

static bool disk_target_valid(const char *dev) {
        static const char *const prefixes[] = { "hd", "sd", "vd", "fd" };
        size_t n;

        for (size_t i = 0; i < VK_ELEMENTSOF(prefixes); i++) {
                if (!g_str_has_prefix(dev, prefixes[i]))
                        continue;
                n = strlen(dev + 2);
                if (n == 0 || n > 3)
                        return false;
                for (const char *p = dev + 2; *p; p++)
                        if (*p < 'a' || *p > 'z')
                                return false;
                return true;
        }
        return false;
}

int vk_domain_disk_parse(VkDomainDef *def, xmlNode *node, unsigned flags, VkError *reterr) {
        g_autoptr(VkDomainDisk) disk = g_new0(VkDomainDisk, 1);
        xmlNode *target = NULL;
        int r;

        r = vk_xml_check_node(node, VK_STRV("type", "device"),
                              VK_STRV("driver", "source", "backingStore", "target", "readonly",
                                      "shareable", "serial", "encryption", "boot", "alias",
                                      "address"),
                              reterr);
        if (r < 0)
                return r;
        r = vk_xml_check_unique(node,
                                VK_STRV("driver", "source", "backingStore", "target", "readonly",
                                        "shareable", "serial", "encryption"),
                                reterr);
        if (r < 0)
                return r;

        if (vk_xml_prop_enum(node, "type", vk_disk_type_from_string, VK_XML_REQUIRED, &disk->type,
                             reterr) < 0 ||
            vk_xml_prop_enum(node, "device", vk_disk_device_from_string, 0, &disk->device, reterr) <
                    0)
                return -EINVAL;

        for (xmlNode *c = vk_xml_first_element(node); c; c = vk_xml_next_element(c)) {
                if (vk_xml_node_is(c, NULL, "driver"))
                        r = disk_parse_driver(disk, c, reterr);
                else if (vk_xml_node_is(c, NULL, "source"))
                        r = disk_parse_source(disk, c, reterr);
                else if (vk_xml_node_is(c, NULL, "backingStore"))
                        r = disk_parse_backing(disk, c, reterr);
                else if (vk_xml_node_is(c, NULL, "target")) {
                        target = c;
                        r = vk_xml_check_node(c, VK_STRV("dev", "bus"), VK_XML_NONE, reterr);
                        if (r >= 0)
                                r = vk_xml_prop_string(c, "dev", VK_XML_REQUIRED, &disk->target_dev,
                                                       reterr);
                        if (r >= 0 && !disk_target_valid(disk->target_dev))
                                r = vk_xml_error(c, "dev", reterr,
                                                 "invalid disk target '%s' (expected hdX, sdX, "
                                                 "vdX or fdX)",
                                                 disk->target_dev);
                        if (r >= 0)
                                r = vk_xml_prop_enum(c, "bus", vk_disk_bus_from_string,
                                                     VK_XML_NONZERO, &disk->bus, reterr);
                } else if (vk_xml_node_is(c, NULL, "readonly")) {
                        r = vk_xml_check_node(c, VK_XML_NONE, VK_XML_NONE, reterr);
                        disk->readonly = true;
                } else if (vk_xml_node_is(c, NULL, "shareable")) {
                        r = vk_xml_check_node(c, VK_XML_NONE, VK_XML_NONE, reterr);
                        disk->shareable = true;
                } else if (vk_xml_node_is(c, NULL, "serial")) {
                        r = vk_xml_check_node(c, VK_XML_NONE, NULL, reterr);
                        if (r >= 0)
                                r = vk_xml_node_text(c, VK_XML_REQUIRED, &disk->serial, reterr);
                        if (r >= 0 && (strlen(disk->serial) > 36 ||
                                       strspn(disk->serial,
                                              "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                              "0123456789_.+-") != strlen(disk->serial)))
                                r = vk_xml_error(c, NULL, reterr, "invalid serial '%s'",
                                                 disk->serial);
                } else if (vk_xml_node_is(c, NULL, "encryption"))
                        r = disk_parse_encryption(disk, c, reterr);
                else
                        r = 0;
                if (r < 0)
                        return r;
        }

        r = vk_domain_parse_device_info(node, flags, true, &disk->info, reterr);
        if (r < 0)
                return r;

        if (!target)
                return vk_xml_error(node, NULL, reterr, "missing <target> element");
        for (size_t i = 0; i < def->n_disks; i++)
                if (strcmp(def->disks[i]->target_dev, disk->target_dev) == 0)
                        return vk_xml_error(target, "dev", reterr,
                                            "target '%s' is already used by another disk",
                                            disk->target_dev);
        if (!disk->src_path && !disk->src_pool && disk->device != VK_DISK_DEVICE_CDROM &&
            disk->device != VK_DISK_DEVICE_FLOPPY)
                return vk_xml_error(node, NULL, reterr, "a %s needs a <source>",
                                    vk_disk_device_to_string(disk->device));
        if (disk->device == VK_DISK_DEVICE_LUN &&
            (disk->type != VK_DISK_TYPE_BLOCK || (disk->bus && disk->bus != VK_DISK_BUS_SCSI)))
                return vk_xml_error(node, "device", reterr,
                                    "device='lun' needs type='block' and bus='scsi'");
        if ((disk->n_backing > 0 || disk->backing_end) && !disk->src_path && !disk->src_pool)
                return vk_xml_error(node, NULL, reterr, "a <backingStore> needs a <source>");
        if (disk->n_backing > 0 && disk->format != VK_DISK_FORMAT_QCOW2)
                return vk_xml_error(node, NULL, reterr,
                                    "a disk with a backing store needs <driver type='qcow2'> "
                                    "(a raw image has none)");
        if (disk->encrypted && disk->format != VK_DISK_FORMAT_QCOW2 &&
            disk->format != VK_DISK_FORMAT_RAW)
                return vk_xml_error(node, NULL, reterr,
                                    "an encrypted disk needs <driver type='raw'> or 'qcow2'");

        VK_DOMAIN_APPEND(def->disks, def->n_disks, g_steal_pointer(&disk));
        return 0;
}

/* ---- <controller> ----------------------------------------------------------------------- */

static const char *controller_model_name(VkControllerModel m) {
        switch (m) {
        case VK_CONTROLLER_MODEL_PCIE_ROOT_PORT:
                return "pcie-root-port";
        case VK_CONTROLLER_MODEL_PCI_BRIDGE:
                return "pci-bridge";
        case VK_CONTROLLER_MODEL_PCIE_TO_PCI_BRIDGE:
                return "pcie-pci-bridge";
        default:
                return NULL;
        }
}

static bool controller_model_fits(VkControllerType type, VkControllerModel m) {
        if (m == VK_CONTROLLER_MODEL_DEFAULT)
                return true;
        switch (type) {
        case VK_CONTROLLER_PCI:
                return m >= VK_CONTROLLER_MODEL_PCI_ROOT &&
                       m <= VK_CONTROLLER_MODEL_PCIE_TO_PCI_BRIDGE;
        case VK_CONTROLLER_USB:
                return m >= VK_CONTROLLER_MODEL_PIIX3_UHCI && m <= VK_CONTROLLER_MODEL_USB_NONE;
        case VK_CONTROLLER_SCSI:
                return m == VK_CONTROLLER_MODEL_VIRTIO_SCSI || m == VK_CONTROLLER_MODEL_LSILOGIC;
        default:
                return false;
        }
}

static bool controller_is_companion_model(VkControllerModel m) {
        return m == VK_CONTROLLER_MODEL_ICH9_UHCI1 || m == VK_CONTROLLER_MODEL_ICH9_UHCI2 ||
               m == VK_CONTROLLER_MODEL_ICH9_UHCI3;
}

/* <master startport='N'/>: the USB1 companion of an ich9-ehci1, for ports N.. of its bus */
static int controller_parse_master(VkDomainController *c, xmlNode *node, VkError *reterr) {
        int r;

        if (!controller_is_companion_model(c->model))
                return vk_xml_error(node, NULL, reterr,
                                    "<master> is for USB companion controllers only (models "
                                    "ich9-uhci1, ich9-uhci2, ich9-uhci3)");
        r = vk_xml_check_node(node, VK_STRV("startport"), VK_XML_NONE, reterr);
        if (r < 0)
                return r;
        r = vk_xml_prop_uint(node, "startport", VK_XML_REQUIRED, &c->master_startport, reterr);
        if (r < 0)
                return r;
        if (c->master_startport > 5)
                return vk_xml_error(node, "startport", reterr,
                                    "value %u out of range (0-5: the ports of an ich9-ehci1)",
                                    c->master_startport);
        c->has_master = true;
        return 0;
}

/* A companion needs its ich9-ehci1 master, written before it, and one of each model. */
static int controller_check_companion(const VkDomainDef *def, const VkDomainController *c,
                                      xmlNode *node, VkError *reterr) {
        bool master = false;

        if (!controller_is_companion_model(c->model))
                return 0;
        if (!c->has_master)
                return vk_xml_error(node, NULL, reterr,
                                    "USB companion model '%s' needs <master startport=>",
                                    vk_controller_model_to_string(c->model));
        for (size_t i = 0; i < def->n_controllers; i++) {
                const VkDomainController *o = def->controllers[i];

                if (o->type != VK_CONTROLLER_USB || o->index != c->index)
                        continue;
                if (o->model == c->model)
                        return vk_xml_error(node, "model", reterr,
                                            "a second '%s' for USB controller %u",
                                            vk_controller_model_to_string(c->model), c->index);
                master = master || o->model == VK_CONTROLLER_MODEL_ICH9_EHCI1;
        }
        if (!master)
                return vk_xml_error(node, NULL, reterr,
                                    "USB companion '%s' needs an ich9-ehci1 controller with "
                                    "index %u before it",
                                    vk_controller_model_to_string(c->model), c->index);
        return 0;
}

int vk_domain_controller_parse(VkDomainDef *def, xmlNode *node, unsigned flags, VkError *reterr) {
        g_autoptr(VkDomainController) c = g_new0(VkDomainController, 1);
        int r;

        r = vk_xml_check_node(node, VK_STRV("type", "index", "model", "ports", "vectors"),
                              VK_STRV("model", "target", "master", "alias", "address"), reterr);
        if (r < 0)
                return r;
        r = vk_xml_check_unique(node, VK_STRV("model", "target", "master"), reterr);
        if (r < 0)
                return r;

        r = vk_xml_prop_enum(node, "type", vk_controller_type_from_string, VK_XML_REQUIRED,
                             &c->type, reterr);
        if (r < 0)
                return r;
        r = vk_xml_prop_uint(node, "index", 0, &c->index, reterr);
        if (r < 0)
                return r;
        if (r == 0 && vk_xml_child(node, "master")) {
                /* a companion belongs to the last USB controller that is not one */
                for (size_t i = 0; i < def->n_controllers; i++)
                        if (def->controllers[i]->type == VK_CONTROLLER_USB &&
                            !def->controllers[i]->has_master)
                                c->index = def->controllers[i]->index;
        } else if (r == 0) {
                /* libvirt: an absent index is the first one unused by this type */
                for (size_t i = 0; i < def->n_controllers; i++)
                        if (def->controllers[i]->type == c->type &&
                            def->controllers[i]->index >= c->index)
                                c->index = def->controllers[i]->index + 1;
        }
        if (c->index > 255)
                return vk_xml_error(node, "index", reterr, "value %u out of range (0-255)",
                                    c->index);
        r = vk_xml_prop_enum(node, "model", vk_controller_model_from_string, VK_XML_NONZERO,
                             &c->model, reterr);
        if (r < 0)
                return r;
        if (!controller_model_fits(c->type, c->model))
                return vk_xml_error(node, "model", reterr,
                                    "model '%s' does not fit a controller of type '%s'",
                                    vk_controller_model_to_string(c->model),
                                    vk_controller_type_to_string(c->type));
        if (c->type == VK_CONTROLLER_PCI && c->model == VK_CONTROLLER_MODEL_DEFAULT)
                return vk_xml_error(node, "model", reterr, "a PCI controller needs a model");

        if (c->type == VK_CONTROLLER_VIRTIO_SERIAL) {
                if (vk_xml_prop_uint(node, "ports", VK_XML_NONZERO, &c->ports, reterr) < 0 ||
                    vk_xml_prop_uint(node, "vectors", VK_XML_NONZERO, &c->vectors, reterr) < 0)
                        return -EINVAL;
                if (c->ports > 31)
                        return vk_xml_error(node, "ports", reterr, "value %u out of range (1-31)",
                                            c->ports);
        } else if (c->type == VK_CONTROLLER_USB) {
                if (xmlHasProp(node, (const xmlChar *) "vectors"))
                        return vk_xml_error(node, "vectors", reterr, "unsupported attribute");
                r = vk_xml_prop_uint(node, "ports", VK_XML_NONZERO, &c->ports, reterr);
                if (r < 0)
                        return r;
                if (c->ports > 15)
                        return vk_xml_error(node, "ports", reterr, "value %u out of range (1-15)",
                                            c->ports);
        } else if (xmlHasProp(node, (const xmlChar *) "ports"))
                return vk_xml_error(node, "ports", reterr, "unsupported attribute");
        else if (xmlHasProp(node, (const xmlChar *) "vectors"))
                return vk_xml_error(node, "vectors", reterr, "unsupported attribute");

        for (xmlNode *ch = vk_xml_first_element(node); ch; ch = vk_xml_next_element(ch)) {
                if (vk_xml_node_is(ch, NULL, "model")) {
                        g_autofree char *name = NULL;
                        const char *want = controller_model_name(c->model);

                        r = vk_xml_check_node(ch, VK_STRV("name"), VK_XML_NONE, reterr);
                        if (r < 0)
                                return r;
                        r = vk_xml_prop_string(ch, "name", VK_XML_REQUIRED, &name, reterr);
                        if (r < 0)
                                return r;
                        if (!want || strcmp(want, name) != 0)
                                return vk_xml_error(ch, "name", reterr, "unsupported value '%s'",
                                                    name);
                } else if (vk_xml_node_is(ch, NULL, "master")) {
                        r = controller_parse_master(c, ch, reterr);
                        if (r < 0)
                                return r;
                } else if (vk_xml_node_is(ch, NULL, "target")) {
                        if (c->model == VK_CONTROLLER_MODEL_PCIE_ROOT_PORT) {
                                r = vk_xml_check_node(ch, VK_STRV("chassis", "port"), VK_XML_NONE,
                                                      reterr);
                                if (r < 0)
                                        return r;
                                if (vk_xml_prop_uint(ch, "chassis", 0, &c->target_chassis, reterr) <
                                    0)
                                        return -EINVAL;
                                r = vk_xml_prop_uint(ch, "port", 0, &c->target_port, reterr);
                                if (r < 0)
                                        return r;
                                c->has_target_port = r > 0;
                                if (c->target_chassis > 255 || c->target_port > 255)
                                        return vk_xml_error(ch, NULL, reterr,
                                                            "chassis and port must be 0-255");
                        } else if (c->model == VK_CONTROLLER_MODEL_PCI_BRIDGE) {
                                r = vk_xml_check_node(ch, VK_STRV("chassisNr"), VK_XML_NONE,
                                                      reterr);
                                if (r < 0)
                                        return r;
                                r = vk_xml_prop_uint(ch, "chassisNr", VK_XML_NONZERO,
                                                     &c->target_chassis, reterr);
                                if (r < 0)
                                        return r;
                                if (c->target_chassis > 255)
                                        return vk_xml_error(ch, "chassisNr", reterr,
                                                            "value out of range (1-255)");
                        } else
                                return vk_xml_error(ch, NULL, reterr, "unsupported element");
                }
        }

        r = vk_domain_parse_device_info(node, flags, false, &c->info, reterr);
        if (r < 0)
                return r;

        r = controller_check_companion(def, c, node, reterr);
        if (r < 0)
                return r;
        for (size_t i = 0; i < def->n_controllers; i++)
                if (def->controllers[i]->type == c->type &&
                    def->controllers[i]->index == c->index && !c->has_master &&
                    !def->controllers[i]->has_master)
                        return vk_xml_error(node, "index", reterr,
                                            "a %s controller with index %u is already defined",
                                            vk_controller_type_to_string(c->type), c->index);
        if (c->type == VK_CONTROLLER_PCI &&
            (c->model == VK_CONTROLLER_MODEL_PCI_ROOT ||
             c->model == VK_CONTROLLER_MODEL_PCIE_ROOT) &&
            c->index != 0)
                return vk_xml_error(node, "index", reterr, "a PCI root must have index 0");
        if (c->type == VK_CONTROLLER_PCI && c->index == 0 &&
            c->model != VK_CONTROLLER_MODEL_PCI_ROOT && c->model != VK_CONTROLLER_MODEL_PCIE_ROOT)
                return vk_xml_error(node, "index", reterr,
                                    "index 0 is the PCI root (pci-root or pcie-root)");

        vk_domain_append_controller(def, g_steal_pointer(&c));
        return 0;
}
