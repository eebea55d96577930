/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-domain-devices.c: parse of <devices>: disks, controllers, NICs, consoles and the rest */
#include <assert.h>
#include <errno.h>
#include <string.h>

#include "macro.h"
#include "qemu-domain-internal.h"

/* ---- destructors ------------------------------------------------------------------------ */

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
        vk_domain_device_info_clear(&disk->info);
        g_free(disk);
        return NULL;
}

/* Free @c and what it owns; takes NULL, returns NULL. */
VkDomainController *vk_domain_controller_free(VkDomainController *c) {
        if (!c)
                return NULL;
        vk_domain_device_info_clear(&c->info);
        g_free(c);
        return NULL;
}

/* Free @net and what it owns; takes NULL, returns NULL. */
VkDomainNet *vk_domain_net_free(VkDomainNet *net) {
        if (!net)
                return NULL;
        g_free(net->source);
        g_free(net->target_dev);
        vk_domain_device_info_clear(&net->info);
        g_free(net);
        return NULL;
}

/* Free @input; takes NULL, returns NULL. */
VkDomainInput *vk_domain_input_free(VkDomainInput *input) {
        if (!input)
                return NULL;
        vk_domain_device_info_clear(&input->info);
        g_free(input);
        return NULL;
}

/* Free @g and what it owns (the password is wiped first); takes NULL, returns NULL. */
VkDomainGraphics *vk_domain_graphics_free(VkDomainGraphics *g) {
        if (!g)
                return NULL;
        g_free(g->listen);
        g_free(g->keymap);
        if (g->passwd)
                memset(g->passwd, 0, strlen(g->passwd));
        g_free(g->passwd);
        g_free(g);
        return NULL;
}

/* Free @video; takes NULL, returns NULL. */
VkDomainVideo *vk_domain_video_free(VkDomainVideo *video) {
        if (!video)
                return NULL;
        vk_domain_device_info_clear(&video->info);
        g_free(video);
        return NULL;
}

/* Free @chr and what it owns; takes NULL, returns NULL. */
VkDomainChr *vk_domain_chr_free(VkDomainChr *chr) {
        if (!chr)
                return NULL;
        g_free(chr->path);
        g_free(chr->target_name);
        vk_domain_device_info_clear(&chr->info);
        g_free(chr);
        return NULL;
}

/* Free @w; takes NULL, returns NULL. */
VkDomainWatchdog *vk_domain_watchdog_free(VkDomainWatchdog *w) {
        if (!w)
                return NULL;
        vk_domain_device_info_clear(&w->info);
        g_free(w);
        return NULL;
}

/* Free @rng and what it owns; takes NULL, returns NULL. */
VkDomainRng *vk_domain_rng_free(VkDomainRng *rng) {
        if (!rng)
                return NULL;
        g_free(rng->backend_path);
        vk_domain_device_info_clear(&rng->info);
        g_free(rng);
        return NULL;
}

/* Free @tpm and what it owns; takes NULL, returns NULL. */
VkDomainTpm *vk_domain_tpm_free(VkDomainTpm *tpm) {
        if (!tpm)
                return NULL;
        g_free(tpm->device_path);
        g_free(tpm->version);
        vk_domain_device_info_clear(&tpm->info);
        g_free(tpm);
        return NULL;
}

/* Free @mb; takes NULL, returns NULL. */
VkDomainMemballoon *vk_domain_memballoon_free(VkDomainMemballoon *mb) {
        if (!mb)
                return NULL;
        vk_domain_device_info_clear(&mb->info);
        g_free(mb);
        return NULL;
}

#define FREE_ARRAY(array, count, fn)                                                               \
        do {                                                                                       \
                for (size_t _i = 0; _i < (count); _i++)                                            \
                        fn((array)[_i]);                                                           \
                g_clear_pointer(&(array), g_free);                                                 \
                (count) = 0;                                                                       \
        } while (0)

/* Free every device of @def. */
void vk_domain_devices_free(VkDomainDef *def) {
        FREE_ARRAY(def->disks, def->n_disks, vk_domain_disk_free);
        FREE_ARRAY(def->controllers, def->n_controllers, vk_domain_controller_free);
        FREE_ARRAY(def->nets, def->n_nets, vk_domain_net_free);
        FREE_ARRAY(def->inputs, def->n_inputs, vk_domain_input_free);
        FREE_ARRAY(def->graphics, def->n_graphics, vk_domain_graphics_free);
        FREE_ARRAY(def->videos, def->n_videos, vk_domain_video_free);
        FREE_ARRAY(def->serials, def->n_serials, vk_domain_chr_free);
        FREE_ARRAY(def->parallels, def->n_parallels, vk_domain_chr_free);
        FREE_ARRAY(def->consoles, def->n_consoles, vk_domain_chr_free);
        FREE_ARRAY(def->channels, def->n_channels, vk_domain_chr_free);
        FREE_ARRAY(def->watchdogs, def->n_watchdogs, vk_domain_watchdog_free);
        FREE_ARRAY(def->rngs, def->n_rngs, vk_domain_rng_free);
        FREE_ARRAY(def->tpms, def->n_tpms, vk_domain_tpm_free);
        def->memballoon = vk_domain_memballoon_free(def->memballoon);
}

/* ---- helpers ---------------------------------------------------------------------------- */

static int devices_check_path(xmlNode *node, const char *attr, const char *path, VkError *reterr) {
        if (!g_path_is_absolute(path))
                return vk_xml_error(node, attr, reterr, "path '%s' must be absolute", path);
        return 0;
}

/* Parse the leaf <source>/<target>/... children a device may have only once. */
static int devices_check_once(xmlNode *node, const char *const *names, VkError *reterr) {
        return vk_xml_check_unique(node, names, reterr);
}

/* ---- <disk> ----------------------------------------------------------------------------- */

static int disk_parse_driver(VkDomainDisk *disk, xmlNode *node, VkError *reterr) {
        int r;

        r = vk_xml_check_node(node, VK_STRV("name", "type", "cache", "io", "discard"), VK_XML_NONE,
                              reterr);
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
                             reterr) < 0)
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
                        return devices_check_path(node, attr, disk->src_path, reterr);
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

static int disk_parse(VkDomainDef *def, xmlNode *node, unsigned flags, VkError *reterr) {
        g_autoptr(VkDomainDisk) disk = g_new0(VkDomainDisk, 1);
        xmlNode *target = NULL;
        int r;

        r = vk_xml_check_node(node, VK_STRV("type", "device"),
                              VK_STRV("driver", "source", "target", "readonly", "shareable",
                                      "serial", "encryption", "boot", "alias", "address"),
                              reterr);
        if (r < 0)
                return r;
        r = devices_check_once(node,
                               VK_STRV("driver", "source", "target", "readonly", "shareable",
                                       "serial", "encryption"),
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

static int controller_parse(VkDomainDef *def, xmlNode *node, unsigned flags, VkError *reterr) {
        g_autoptr(VkDomainController) c = g_new0(VkDomainController, 1);
        int r;

        r = vk_xml_check_node(node, VK_STRV("type", "index", "model", "ports", "vectors"),
                              VK_STRV("model", "target", "alias", "address"), reterr);
        if (r < 0)
                return r;
        r = devices_check_once(node, VK_STRV("model", "target"), reterr);
        if (r < 0)
                return r;

        r = vk_xml_prop_enum(node, "type", vk_controller_type_from_string, VK_XML_REQUIRED,
                             &c->type, reterr);
        if (r < 0)
                return r;
        r = vk_xml_prop_uint(node, "index", 0, &c->index, reterr);
        if (r < 0)
                return r;
        if (r == 0) {
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

        for (size_t i = 0; i < def->n_controllers; i++)
                if (def->controllers[i]->type == c->type && def->controllers[i]->index == c->index)
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

        VK_DOMAIN_APPEND(def->controllers, def->n_controllers, g_steal_pointer(&c));
        return 0;
}

/* ---- <interface> ------------------------------------------------------------------------ */

static int net_parse(VkDomainDef *def, xmlNode *node, unsigned flags, VkError *reterr) {
        g_autoptr(VkDomainNet) net = g_new0(VkDomainNet, 1);
        bool have_mac = false;
        int r;

        r = vk_xml_check_node(
                node, VK_STRV("type"),
                VK_STRV("mac", "source", "model", "target", "boot", "alias", "address"), reterr);
        if (r < 0)
                return r;
        r = devices_check_once(node, VK_STRV("mac", "source", "model", "target"), reterr);
        if (r < 0)
                return r;
        r = vk_xml_prop_enum(node, "type", vk_net_type_from_string, VK_XML_REQUIRED, &net->type,
                             reterr);
        if (r < 0)
                return r;

        for (xmlNode *c = vk_xml_first_element(node); c; c = vk_xml_next_element(c)) {
                if (vk_xml_node_is(c, NULL, "mac")) {
                        g_autofree char *mac = NULL;

                        r = vk_xml_check_node(c, VK_STRV("address"), VK_XML_NONE, reterr);
                        if (r < 0)
                                return r;
                        r = vk_xml_prop_string(c, "address", VK_XML_REQUIRED, &mac, reterr);
                        if (r < 0)
                                return r;
                        if (vk_domain_mac_parse(mac, net->mac) < 0)
                                return vk_xml_error(c, "address", reterr,
                                                    "invalid MAC address '%s'", mac);
                        have_mac = true;
                } else if (vk_xml_node_is(c, NULL, "source")) {
                        const char *attr;

                        if (net->type == VK_NET_TYPE_USER)
                                return vk_xml_error(c, NULL, reterr,
                                                    "unsupported element for type='user'");
                        attr = net->type == VK_NET_TYPE_NETWORK ? "network" : "bridge";
                        r = vk_xml_check_node(c, VK_STRV(attr), VK_XML_NONE, reterr);
                        if (r < 0)
                                return r;
                        r = vk_xml_prop_string(c, attr, VK_XML_REQUIRED | VK_XML_NONZERO,
                                               &net->source, reterr);
                        if (r < 0)
                                return r;
                } else if (vk_xml_node_is(c, NULL, "model")) {
                        r = vk_xml_check_node(c, VK_STRV("type"), VK_XML_NONE, reterr);
                        if (r < 0)
                                return r;
                        r = vk_xml_prop_enum(c, "type", vk_net_model_from_string,
                                             VK_XML_REQUIRED | VK_XML_NONZERO, &net->model, reterr);
                        if (r < 0)
                                return r;
                } else if (vk_xml_node_is(c, NULL, "target")) {
                        if (net->type == VK_NET_TYPE_USER)
                                return vk_xml_error(c, NULL, reterr,
                                                    "unsupported element for type='user'");
                        r = vk_xml_check_node(c, VK_STRV("dev"), VK_XML_NONE, reterr);
                        if (r < 0)
                                return r;
                        r = vk_xml_prop_string(c, "dev", VK_XML_REQUIRED | VK_XML_NONZERO,
                                               &net->target_dev, reterr);
                        if (r < 0)
                                return r;
                        if (strlen(net->target_dev) > 15 || strpbrk(net->target_dev, "/ \t\n:"))
                                return vk_xml_error(c, "dev", reterr, "invalid interface name '%s'",
                                                    net->target_dev);
                        /* vnet* names are handed out at start; libvirt drops them on define */
                        if (g_str_has_prefix(net->target_dev, "vnet") &&
                            !(flags & VK_DOMAIN_DEF_PARSE_LIVE))
                                g_clear_pointer(&net->target_dev, g_free);
                }
        }

        if (net->type != VK_NET_TYPE_USER && !net->source)
                return vk_xml_error(node, NULL, reterr, "type='%s' needs <source %s=...>",
                                    vk_net_type_to_string(net->type),
                                    net->type == VK_NET_TYPE_NETWORK ? "network" : "bridge");

        r = vk_domain_parse_device_info(node, flags, true, &net->info, reterr);
        if (r < 0)
                return r;

        if (!have_mac) {
                net->mac[0] = 0x52;
                net->mac[1] = 0x54;
                net->mac[2] = 0x00;
                vk_domain_random_bytes(net->mac + 3, 3);
                net->mac_generated = true;
        }

        VK_DOMAIN_APPEND(def->nets, def->n_nets, g_steal_pointer(&net));
        return 0;
}

/* ---- <graphics> ------------------------------------------------------------------------- */

static int graphics_parse_port(xmlNode *node, const char *attr, int *ret, VkError *reterr) {
        int r, v = 0;

        r = vk_xml_prop_int(node, attr, 0, &v, reterr);
        if (r <= 0)
                return r;
        if (v != -1 && (v < 1 || v > 65535))
                return vk_xml_error(node, attr, reterr, "value %d out of range (-1, 1-65535)", v);
        *ret = v;
        return 1;
}

static int graphics_parse(VkDomainDef *def, xmlNode *node, unsigned flags, VkError *reterr) {
        g_autoptr(VkDomainGraphics) g = g_new0(VkDomainGraphics, 1);
        xmlNode *listen;
        int r;

        r = vk_xml_prop_enum(node, "type", vk_graphics_type_from_string, VK_XML_REQUIRED, &g->type,
                             reterr);
        if (r < 0)
                return r;
        if (g->type == VK_GRAPHICS_VNC)
                r = vk_xml_check_node(node,
                                      VK_STRV("type", "port", "autoport", "websocket", "listen",
                                              "keymap", "passwd"),
                                      VK_STRV("listen"), reterr);
        else
                r = vk_xml_check_node(node,
                                      VK_STRV("type", "port", "tlsPort", "autoport", "listen",
                                              "keymap", "passwd"),
                                      VK_STRV("listen"), reterr);
        if (r < 0)
                return r;
        r = devices_check_once(node, VK_STRV("listen"), reterr);
        if (r < 0)
                return r;

        for (size_t i = 0; i < def->n_graphics; i++)
                if (def->graphics[i]->type == g->type)
                        return vk_xml_error(node, NULL, reterr,
                                            "only one <graphics type='%s'> is supported",
                                            vk_graphics_type_to_string(g->type));

        if (graphics_parse_port(node, "port", &g->port, reterr) < 0 ||
            graphics_parse_port(node, "tlsPort", &g->tls_port, reterr) < 0 ||
            graphics_parse_port(node, "websocket", &g->websocket, reterr) < 0 ||
            vk_xml_prop_tristate_bool(node, "autoport", 0, &g->autoport, reterr) < 0 ||
            vk_xml_prop_string(node, "listen", VK_XML_NONZERO, &g->listen, reterr) < 0 ||
            vk_xml_prop_string(node, "keymap", VK_XML_NONZERO, &g->keymap, reterr) < 0 ||
            vk_xml_prop_string(node, "passwd", 0, &g->passwd, reterr) < 0)
                return -EINVAL;

        listen = vk_xml_child(node, "listen");
        if (listen) {
                g_autofree char *type = NULL, *address = NULL;

                r = vk_xml_check_node(listen, VK_STRV("type", "address"), VK_XML_NONE, reterr);
                if (r < 0)
                        return r;
                r = vk_xml_prop_string(listen, "type", VK_XML_REQUIRED, &type, reterr);
                if (r < 0)
                        return r;
                if (strcmp(type, "address") != 0)
                        return vk_xml_error(listen, "type", reterr,
                                            "unsupported value '%s' (only 'address')", type);
                r = vk_xml_prop_string(listen, "address", VK_XML_NONZERO, &address, reterr);
                if (r < 0)
                        return r;
                if (g->listen && address && strcmp(g->listen, address) != 0)
                        return vk_xml_error(listen, "address", reterr,
                                            "'%s' does not match the listen='%s' attribute",
                                            address, g->listen);
                if (!g->listen)
                        g->listen = g_steal_pointer(&address);
                g->listen_element = true;
        }

        /* libvirt's normalisation: no port, port='-1' and autoport='yes' all mean automatic;
         * the live XML of a running domain shows the port that was picked */
        if (g->autoport == VK_TRISTATE_YES && g->port > 0 && (flags & VK_DOMAIN_DEF_PARSE_LIVE))
                ;
        else if (g->autoport == VK_TRISTATE_YES || g->port == -1 ||
                 (g->port == 0 && g->autoport == VK_TRISTATE_ABSENT)) {
                if (g->autoport == VK_TRISTATE_NO)
                        return vk_xml_error(node, "autoport", reterr, "autoport='no' needs a port");
                g->port = -1;
                g->autoport = VK_TRISTATE_YES;
                if (g->tls_port > 0 && g->type == VK_GRAPHICS_SPICE)
                        g->tls_port = -1;
        } else if (g->port == 0)
                return vk_xml_error(node, "autoport", reterr, "autoport='no' needs a port");
        else
                g->autoport = VK_TRISTATE_NO;

        VK_DOMAIN_APPEND(def->graphics, def->n_graphics, g_steal_pointer(&g));
        return 0;
}

/* ---- <video> ---------------------------------------------------------------------------- */

static int video_parse(VkDomainDef *def, xmlNode *node, unsigned flags, VkError *reterr) {
        g_autoptr(VkDomainVideo) v = g_new0(VkDomainVideo, 1);
        xmlNode *model;
        int r;

        r = vk_xml_check_node(node, VK_XML_NONE, VK_STRV("model", "alias", "address"), reterr);
        if (r < 0)
                return r;
        r = devices_check_once(node, VK_STRV("model"), reterr);
        if (r < 0)
                return r;

        model = vk_xml_child(node, "model");
        if (model) {
                VkTristate primary = VK_TRISTATE_ABSENT;

                r = vk_xml_check_node(model, VK_STRV("type", "vram", "heads", "primary"),
                                      VK_XML_NONE, reterr);
                if (r < 0)
                        return r;
                if (vk_xml_prop_enum(model, "type", vk_video_model_from_string,
                                     VK_XML_REQUIRED | VK_XML_NONZERO, &v->model, reterr) < 0 ||
                    vk_xml_prop_uint(model, "vram", VK_XML_NONZERO, &v->vram, reterr) < 0 ||
                    vk_xml_prop_uint(model, "heads", VK_XML_NONZERO, &v->heads, reterr) < 0 ||
                    vk_xml_prop_tristate_bool(model, "primary", 0, &primary, reterr) < 0)
                        return -EINVAL;
                if (v->heads > 16)
                        return vk_xml_error(model, "heads", reterr, "value %u out of range (1-16)",
                                            v->heads);
                if (v->vram > 1024 * 1024)
                        return vk_xml_error(model, "vram", reterr, "value %u too large", v->vram);
                if (v->model == VK_VIDEO_MODEL_NONE && (v->vram || v->heads))
                        return vk_xml_error(model, NULL, reterr,
                                            "vram and heads are not allowed with type='none'");
                if (v->model == VK_VIDEO_MODEL_VIRTIO && v->vram)
                        return vk_xml_error(model, "vram", reterr,
                                            "not allowed with type='virtio'");
                v->primary = primary == VK_TRISTATE_YES;
                for (size_t i = 0; v->primary && i < def->n_videos; i++)
                        if (def->videos[i]->primary)
                                return vk_xml_error(model, "primary", reterr,
                                                    "only one video device can be primary");
        }

        r = vk_domain_parse_device_info(node, flags, false, &v->info, reterr);
        if (r < 0)
                return r;

        /* libvirt keeps the primary video first */
        if (v->primary && def->n_videos > 0) {
                def->videos = g_renew(VkDomainVideo *, def->videos, def->n_videos + 1);
                memmove(def->videos + 1, def->videos, def->n_videos * sizeof(VkDomainVideo *));
                def->videos[0] = g_steal_pointer(&v);
                def->n_videos++;
                return 0;
        }
        VK_DOMAIN_APPEND(def->videos, def->n_videos, g_steal_pointer(&v));
        return 0;
}

/* ---- <input> ---------------------------------------------------------------------------- */

static int input_parse(VkDomainDef *def, xmlNode *node, unsigned flags, VkError *reterr) {
        g_autoptr(VkDomainInput) in = g_new0(VkDomainInput, 1);
        int r;

        r = vk_xml_check_node(node, VK_STRV("type", "bus"), VK_STRV("alias", "address"), reterr);
        if (r < 0)
                return r;
        if (vk_xml_prop_enum(node, "type", vk_input_type_from_string, VK_XML_REQUIRED, &in->type,
                             reterr) < 0 ||
            vk_xml_prop_enum(node, "bus", vk_input_bus_from_string, VK_XML_NONZERO, &in->bus,
                             reterr) < 0)
                return -EINVAL;
        if (in->type == VK_INPUT_TABLET && in->bus == VK_INPUT_BUS_PS2)
                return vk_xml_error(node, "bus", reterr, "a tablet cannot use the ps2 bus");
        r = vk_domain_parse_device_info(node, flags, false, &in->info, reterr);
        if (r < 0)
                return r;

        VK_DOMAIN_APPEND(def->inputs, def->n_inputs, g_steal_pointer(&in));
        return 0;
}

/* ---- character devices ------------------------------------------------------------------ */

static int chr_parse_target(VkDomainChr *chr, xmlNode *node, VkError *reterr) {
        xmlNode *model;
        int r;

        switch (chr->kind) {
        case VK_CHR_SERIAL:
                r = vk_xml_check_node(node, VK_STRV("type", "port"), VK_STRV("model"), reterr);
                break;
        case VK_CHR_PARALLEL:
                r = vk_xml_check_node(node, VK_STRV("port"), VK_XML_NONE, reterr);
                break;
        case VK_CHR_CONSOLE:
                r = vk_xml_check_node(node, VK_STRV("type", "port"), VK_XML_NONE, reterr);
                break;
        case VK_CHR_CHANNEL:
                r = vk_xml_check_node(node, VK_STRV("type", "name", "state"), VK_XML_NONE, reterr);
                break;
        default:
                g_assert_not_reached();
        }
        if (r < 0)
                return r;
        r = devices_check_once(node, VK_STRV("model"), reterr);
        if (r < 0)
                return r;

        r = vk_xml_prop_enum(node, "type", vk_chr_target_type_from_string,
                             VK_XML_NONZERO | (chr->kind == VK_CHR_CHANNEL ? VK_XML_REQUIRED : 0),
                             &chr->target_type, reterr);
        if (r < 0)
                return r;
        switch (chr->kind) {
        case VK_CHR_SERIAL:
                if (chr->target_type != VK_CHR_TARGET_DEFAULT &&
                    (chr->target_type < VK_CHR_TARGET_ISA_SERIAL ||
                     chr->target_type > VK_CHR_TARGET_PCI_SERIAL))
                        r = -EINVAL;
                break;
        case VK_CHR_CONSOLE:
                if (chr->target_type != VK_CHR_TARGET_DEFAULT &&
                    chr->target_type != VK_CHR_TARGET_SERIAL &&
                    chr->target_type != VK_CHR_TARGET_VIRTIO)
                        r = -EINVAL;
                break;
        case VK_CHR_CHANNEL:
                if (chr->target_type != VK_CHR_TARGET_VIRTIO)
                        r = -EINVAL;
                break;
        default:
                break;
        }
        if (r < 0)
                return vk_xml_error(node, "type", reterr, "unsupported value '%s'",
                                    vk_chr_target_type_to_string(chr->target_type));

        if (chr->kind == VK_CHR_CHANNEL) {
                r = vk_xml_prop_string(node, "name", VK_XML_NONZERO, &chr->target_name, reterr);
                if (r < 0)
                        return r;
                if (chr->target_name &&
                    (strlen(chr->target_name) > 128 ||
                     strspn(chr->target_name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                              "0123456789._-") != strlen(chr->target_name)))
                        return vk_xml_error(node, "name", reterr, "invalid channel name '%s'",
                                            chr->target_name);
                /* state='connected' is runtime state of the guest agent, never config */
        } else {
                unsigned port = 0;

                r = vk_xml_prop_uint(node, "port", 0, &port, reterr);
                if (r < 0)
                        return r;
                if (r > 0) {
                        /* ISA serial and parallel ports are 0-3 (libvirt's rule) */
                        if (port > 3 && (chr->kind == VK_CHR_PARALLEL ||
                                         (chr->kind == VK_CHR_SERIAL &&
                                          (chr->target_type == VK_CHR_TARGET_DEFAULT ||
                                           chr->target_type == VK_CHR_TARGET_ISA_SERIAL))))
                                return vk_xml_error(node, "port", reterr,
                                                    "value %u out of range (0-3)", port);
                        if (port > 255)
                                return vk_xml_error(node, "port", reterr, "value %u out of range",
                                                    port);
                        chr->target_port = (int) port;
                }
        }

        model = vk_xml_child(node, "model");
        if (model) {
                g_autofree char *name = NULL;

                r = vk_xml_check_node(model, VK_STRV("name"), VK_XML_NONE, reterr);
                if (r < 0)
                        return r;
                r = vk_xml_prop_string(model, "name", VK_XML_REQUIRED, &name, reterr);
                if (r < 0)
                        return r;
                /* the device model is implied by the target type; accept the same name */
                if (vk_chr_target_type_from_string(name) < VK_CHR_TARGET_ISA_SERIAL ||
                    vk_chr_target_type_from_string(name) > VK_CHR_TARGET_PCI_SERIAL ||
                    (chr->target_type != VK_CHR_TARGET_DEFAULT &&
                     vk_chr_target_type_from_string(name) != chr->target_type))
                        return vk_xml_error(model, "name", reterr, "unsupported value '%s'", name);
                chr->target_type = vk_chr_target_type_from_string(name);
        }
        return 0;
}

static int chr_parse(VkDomainDef *def, VkChrKind kind, xmlNode *node, unsigned flags,
                     VkError *reterr) {
        g_autoptr(VkDomainChr) chr = g_new0(VkDomainChr, 1);
        xmlNode *source, *target;
        int r;

        chr->kind = kind;
        chr->target_port = -1;

        r = vk_xml_check_node(node, VK_STRV("type"),
                              VK_STRV("source", "target", "alias", "address"), reterr);
        if (r < 0)
                return r;
        r = devices_check_once(node, VK_STRV("source", "target"), reterr);
        if (r < 0)
                return r;
        r = vk_xml_prop_enum(node, "type", vk_chr_type_from_string, VK_XML_REQUIRED, &chr->type,
                             reterr);
        if (r < 0)
                return r;

        source = vk_xml_child(node, "source");
        if (source) {
                switch (chr->type) {
                case VK_CHR_TYPE_PTY:
                        r = vk_xml_check_node(source, VK_STRV("path"), VK_XML_NONE, reterr);
                        if (r < 0)
                                return r;
                        /* the pty's path is allocated by QEMU: live state only */
                        if (flags & VK_DOMAIN_DEF_PARSE_LIVE) {
                                r = vk_xml_prop_string(source, "path", 0, &chr->path, reterr);
                                if (r < 0)
                                        return r;
                        }
                        break;
                case VK_CHR_TYPE_FILE:
                        r = vk_xml_check_node(source, VK_STRV("path"), VK_XML_NONE, reterr);
                        if (r < 0)
                                return r;
                        r = vk_xml_prop_string(source, "path", VK_XML_REQUIRED, &chr->path, reterr);
                        if (r < 0)
                                return r;
                        r = devices_check_path(source, "path", chr->path, reterr);
                        if (r < 0)
                                return r;
                        break;
                case VK_CHR_TYPE_UNIX:
                        r = vk_xml_check_node(source, VK_STRV("path", "mode"), VK_XML_NONE, reterr);
                        if (r < 0)
                                return r;
                        r = vk_xml_prop_enum(source, "mode", vk_chr_source_mode_from_string,
                                             VK_XML_NONZERO, &chr->mode, reterr);
                        if (r < 0)
                                return r;
                        r = vk_xml_prop_string(source, "path", 0, &chr->path, reterr);
                        if (r < 0)
                                return r;
                        if (chr->path) {
                                r = devices_check_path(source, "path", chr->path, reterr);
                                if (r < 0)
                                        return r;
                                if (strlen(chr->path) >= 108)
                                        return vk_xml_error(source, "path", reterr,
                                                            "socket path longer than 107 "
                                                            "characters");
                        }
                        break;
                default:
                        return vk_xml_error(source, NULL, reterr,
                                            "unsupported element for type='%s'",
                                            vk_chr_type_to_string(chr->type));
                }
        }
        if (chr->type == VK_CHR_TYPE_FILE && !chr->path)
                return vk_xml_error(node, NULL, reterr, "type='file' needs <source path=...>");
        if (chr->type == VK_CHR_TYPE_UNIX && !chr->path && kind != VK_CHR_CHANNEL)
                return vk_xml_error(node, NULL, reterr, "type='unix' needs <source path=...>");

        target = vk_xml_child(node, "target");
        if (target) {
                r = chr_parse_target(chr, target, reterr);
                if (r < 0)
                        return r;
        } else if (kind == VK_CHR_CHANNEL)
                return vk_xml_error(node, NULL, reterr, "missing <target> element");

        r = vk_domain_parse_device_info(node, flags, false, &chr->info, reterr);
        if (r < 0)
                return r;

        switch (kind) {
        case VK_CHR_SERIAL:
                VK_DOMAIN_APPEND(def->serials, def->n_serials, g_steal_pointer(&chr));
                break;
        case VK_CHR_PARALLEL:
                VK_DOMAIN_APPEND(def->parallels, def->n_parallels, g_steal_pointer(&chr));
                break;
        case VK_CHR_CONSOLE:
                VK_DOMAIN_APPEND(def->consoles, def->n_consoles, g_steal_pointer(&chr));
                break;
        case VK_CHR_CHANNEL:
                VK_DOMAIN_APPEND(def->channels, def->n_channels, g_steal_pointer(&chr));
                break;
        default:
                g_assert_not_reached();
        }
        return 0;
}

/* ---- <memballoon>, <rng>, <watchdog>, <tpm> --------------------------------------------- */

static int memballoon_parse(VkDomainDef *def, xmlNode *node, unsigned flags, VkError *reterr) {
        g_autoptr(VkDomainMemballoon) mb = g_new0(VkDomainMemballoon, 1);
        xmlNode *stats;
        int r;

        if (def->memballoon)
                return vk_xml_error(node, NULL, reterr, "element may appear only once");
        r = vk_xml_check_node(node, VK_STRV("model", "autodeflate"),
                              VK_STRV("stats", "alias", "address"), reterr);
        if (r < 0)
                return r;
        r = devices_check_once(node, VK_STRV("stats"), reterr);
        if (r < 0)
                return r;
        if (vk_xml_prop_enum(node, "model", vk_memballoon_model_from_string, VK_XML_REQUIRED,
                             &mb->model, reterr) < 0 ||
            vk_xml_prop_tristate_switch(node, "autodeflate", 0, &mb->autodeflate, reterr) < 0)
                return -EINVAL;

        stats = vk_xml_child(node, "stats");
        if (stats) {
                r = vk_xml_check_node(stats, VK_STRV("period"), VK_XML_NONE, reterr);
                if (r < 0)
                        return r;
                r = vk_xml_prop_uint(stats, "period", VK_XML_REQUIRED, &mb->stats_period, reterr);
                if (r < 0)
                        return r;
        }
        r = vk_domain_parse_device_info(node, flags, false, &mb->info, reterr);
        if (r < 0)
                return r;
        if (mb->model == VK_MEMBALLOON_NONE &&
            (mb->autodeflate || stats || mb->info.addr.type != VK_ADDRESS_NONE))
                return vk_xml_error(node, NULL, reterr,
                                    "model='none' takes no other attribute or element");

        def->memballoon = g_steal_pointer(&mb);
        return 0;
}

static int rng_parse(VkDomainDef *def, xmlNode *node, unsigned flags, VkError *reterr) {
        g_autoptr(VkDomainRng) rng = g_new0(VkDomainRng, 1);
        g_autofree char *model = NULL;
        xmlNode *backend, *rate;
        int r;

        r = vk_xml_check_node(node, VK_STRV("model"),
                              VK_STRV("backend", "rate", "alias", "address"), reterr);
        if (r < 0)
                return r;
        r = devices_check_once(node, VK_STRV("backend", "rate"), reterr);
        if (r < 0)
                return r;
        r = vk_xml_prop_string(node, "model", VK_XML_REQUIRED, &model, reterr);
        if (r < 0)
                return r;
        if (strcmp(model, "virtio") != 0)
                return vk_xml_error(node, "model", reterr, "unsupported value '%s' (only 'virtio')",
                                    model);

        backend = vk_xml_child(node, "backend");
        if (!backend)
                return vk_xml_error(node, NULL, reterr, "missing <backend> element");
        r = vk_xml_check_node(backend, VK_STRV("model"), NULL, reterr);
        if (r < 0)
                return r;
        {
                g_autofree char *bmodel = NULL;

                r = vk_xml_prop_string(backend, "model", VK_XML_REQUIRED, &bmodel, reterr);
                if (r < 0)
                        return r;
                if (strcmp(bmodel, "random") != 0)
                        return vk_xml_error(backend, "model", reterr,
                                            "unsupported value '%s' (only 'random')", bmodel);
        }
        r = vk_xml_node_text(backend, 0, &rng->backend_path, reterr);
        if (r < 0)
                return r;
        if (!rng->backend_path)
                rng->backend_path = g_strdup("/dev/urandom");
        r = devices_check_path(backend, NULL, rng->backend_path, reterr);
        if (r < 0)
                return r;

        rate = vk_xml_child(node, "rate");
        if (rate) {
                r = vk_xml_check_node(rate, VK_STRV("bytes", "period"), VK_XML_NONE, reterr);
                if (r < 0)
                        return r;
                if (vk_xml_prop_uint(rate, "bytes", VK_XML_REQUIRED | VK_XML_NONZERO,
                                     &rng->rate_bytes, reterr) < 0 ||
                    vk_xml_prop_uint(rate, "period", VK_XML_NONZERO, &rng->rate_period, reterr) < 0)
                        return -EINVAL;
        }

        r = vk_domain_parse_device_info(node, flags, false, &rng->info, reterr);
        if (r < 0)
                return r;
        VK_DOMAIN_APPEND(def->rngs, def->n_rngs, g_steal_pointer(&rng));
        return 0;
}

static int watchdog_parse(VkDomainDef *def, xmlNode *node, unsigned flags, VkError *reterr) {
        g_autoptr(VkDomainWatchdog) w = g_new0(VkDomainWatchdog, 1);
        int r;

        r = vk_xml_check_node(node, VK_STRV("model", "action"), VK_STRV("alias", "address"),
                              reterr);
        if (r < 0)
                return r;
        if (vk_xml_prop_enum(node, "model", vk_watchdog_model_from_string, VK_XML_REQUIRED,
                             &w->model, reterr) < 0 ||
            vk_xml_prop_enum(node, "action", vk_watchdog_action_from_string, VK_XML_NONZERO,
                             &w->action, reterr) < 0)
                return -EINVAL;
        for (size_t i = 0; i < def->n_watchdogs; i++)
                if (def->watchdogs[i]->model == w->model)
                        return vk_xml_error(node, "model", reterr,
                                            "more than one watchdog of model '%s'",
                                            vk_watchdog_model_to_string(w->model));
        r = vk_domain_parse_device_info(node, flags, false, &w->info, reterr);
        if (r < 0)
                return r;
        if (w->action == VK_WATCHDOG_ACTION_DEFAULT)
                w->action = VK_WATCHDOG_ACTION_RESET;
        VK_DOMAIN_APPEND(def->watchdogs, def->n_watchdogs, g_steal_pointer(&w));
        return 0;
}

static int tpm_parse(VkDomainDef *def, xmlNode *node, unsigned flags, VkError *reterr) {
        g_autoptr(VkDomainTpm) tpm = g_new0(VkDomainTpm, 1);
        xmlNode *backend;
        int r;

        if (def->n_tpms > 0)
                return vk_xml_error(node, NULL, reterr, "only one TPM is supported");
        r = vk_xml_check_node(node, VK_STRV("model"), VK_STRV("backend", "alias", "address"),
                              reterr);
        if (r < 0)
                return r;
        r = devices_check_once(node, VK_STRV("backend"), reterr);
        if (r < 0)
                return r;
        r = vk_xml_prop_enum(node, "model", vk_tpm_model_from_string, VK_XML_NONZERO, &tpm->model,
                             reterr);
        if (r < 0)
                return r;

        backend = vk_xml_child(node, "backend");
        if (!backend)
                return vk_xml_error(node, NULL, reterr, "missing <backend> element");
        r = vk_xml_prop_enum(backend, "type", vk_tpm_backend_from_string, VK_XML_REQUIRED,
                             &tpm->backend, reterr);
        if (r < 0)
                return r;
        if (tpm->backend == VK_TPM_BACKEND_EMULATOR) {
                r = vk_xml_check_node(backend, VK_STRV("type", "version"), VK_XML_NONE, reterr);
                if (r < 0)
                        return r;
                r = vk_xml_prop_string(backend, "version", 0, &tpm->version, reterr);
                if (r < 0)
                        return r;
                if (tpm->version && strcmp(tpm->version, "2.0") != 0)
                        return vk_xml_error(backend, "version", reterr,
                                            "unsupported value '%s' (only '2.0')", tpm->version);
                if (!tpm->version)
                        tpm->version = g_strdup("2.0");
        } else {
                xmlNode *dev;

                r = vk_xml_check_node(backend, VK_STRV("type"), VK_STRV("device"), reterr);
                if (r < 0)
                        return r;
                r = devices_check_once(backend, VK_STRV("device"), reterr);
                if (r < 0)
                        return r;
                dev = vk_xml_child(backend, "device");
                if (dev) {
                        r = vk_xml_check_node(dev, VK_STRV("path"), VK_XML_NONE, reterr);
                        if (r < 0)
                                return r;
                        r = vk_xml_prop_string(dev, "path", VK_XML_REQUIRED, &tpm->device_path,
                                               reterr);
                        if (r < 0)
                                return r;
                        r = devices_check_path(dev, "path", tpm->device_path, reterr);
                        if (r < 0)
                                return r;
                } else
                        tpm->device_path = g_strdup("/dev/tpm0");
        }
        if (tpm->model == VK_TPM_MODEL_DEFAULT)
                tpm->model = VK_TPM_MODEL_TIS;

        r = vk_domain_parse_device_info(node, flags, false, &tpm->info, reterr);
        if (r < 0)
                return r;
        VK_DOMAIN_APPEND(def->tpms, def->n_tpms, g_steal_pointer(&tpm));
        return 0;
}

/* ---- <devices> -------------------------------------------------------------------------- */

static size_t devices_count(const VkDomainDef *def, const char *name) {
        if (strcmp(name, "disk") == 0)
                return def->n_disks;
        if (strcmp(name, "controller") == 0)
                return def->n_controllers;
        if (strcmp(name, "interface") == 0)
                return def->n_nets;
        if (strcmp(name, "input") == 0)
                return def->n_inputs;
        if (strcmp(name, "video") == 0)
                return def->n_videos;
        if (strcmp(name, "serial") == 0)
                return def->n_serials;
        if (strcmp(name, "parallel") == 0)
                return def->n_parallels;
        if (strcmp(name, "console") == 0)
                return def->n_consoles;
        if (strcmp(name, "channel") == 0)
                return def->n_channels;
        if (strcmp(name, "rng") == 0)
                return def->n_rngs;
        return 0;
}

/*
 * Parse the children of <devices> into @def's device arrays, in document order per kind.
 *
 *   <devices>
 *     <emulator>/usr/bin/qemu-system-x86_64</emulator>
 *     <disk type='file' device='disk'>...</disk>
 *     <interface type='network'><source network='default'/></interface>
 *     ...
 *   </devices>
 */
int vk_domain_devices_parse(VkDomainDef *def, xmlNode *devices, unsigned flags, VkError *reterr) {
        int r;

        r = vk_xml_check_node(devices, VK_XML_NONE,
                              VK_STRV("emulator", "disk", "controller", "interface", "input",
                                      "graphics", "video", "serial", "parallel", "console",
                                      "channel", "memballoon", "rng", "watchdog", "tpm", "hostdev"),
                              reterr);
        if (r < 0)
                return r;
        r = vk_xml_check_unique(devices, VK_STRV("emulator", "memballoon"), reterr);
        if (r < 0)
                return r;

        for (xmlNode *c = vk_xml_first_element(devices); c; c = vk_xml_next_element(c)) {
                const char *name = (const char *) c->name;

                if (devices_count(def, name) >= VK_DOMAIN_DEVICES_MAX)
                        return vk_xml_error(c, NULL, reterr, "more than %d <%s> devices",
                                            VK_DOMAIN_DEVICES_MAX, name);

                if (strcmp(name, "emulator") == 0) {
                        r = vk_xml_check_node(c, VK_XML_NONE, NULL, reterr);
                        if (r >= 0)
                                r = vk_xml_node_text(c, VK_XML_REQUIRED, &def->emulator, reterr);
                        if (r >= 0)
                                r = devices_check_path(c, NULL, def->emulator, reterr);
                } else if (strcmp(name, "disk") == 0)
                        r = disk_parse(def, c, flags, reterr);
                else if (strcmp(name, "controller") == 0)
                        r = controller_parse(def, c, flags, reterr);
                else if (strcmp(name, "interface") == 0)
                        r = net_parse(def, c, flags, reterr);
                else if (strcmp(name, "input") == 0)
                        r = input_parse(def, c, flags, reterr);
                else if (strcmp(name, "graphics") == 0)
                        r = graphics_parse(def, c, flags, reterr);
                else if (strcmp(name, "video") == 0)
                        r = video_parse(def, c, flags, reterr);
                else if (strcmp(name, "serial") == 0)
                        r = chr_parse(def, VK_CHR_SERIAL, c, flags, reterr);
                else if (strcmp(name, "parallel") == 0)
                        r = chr_parse(def, VK_CHR_PARALLEL, c, flags, reterr);
                else if (strcmp(name, "console") == 0)
                        r = chr_parse(def, VK_CHR_CONSOLE, c, flags, reterr);
                else if (strcmp(name, "channel") == 0)
                        r = chr_parse(def, VK_CHR_CHANNEL, c, flags, reterr);
                else if (strcmp(name, "memballoon") == 0)
                        r = memballoon_parse(def, c, flags, reterr);
                else if (strcmp(name, "rng") == 0)
                        r = rng_parse(def, c, flags, reterr);
                else if (strcmp(name, "watchdog") == 0)
                        r = watchdog_parse(def, c, flags, reterr);
                else if (strcmp(name, "tpm") == 0)
                        r = tpm_parse(def, c, flags, reterr);
                else
                        r = vk_xml_error(c, NULL, reterr,
                                         "host device assignment (<hostdev>) is not supported "
                                         "yet");
                if (r < 0)
                        return r;
        }
        return 0;
}
