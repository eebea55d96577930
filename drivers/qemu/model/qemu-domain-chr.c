/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-domain-chr.c: <serial>, <parallel>, <console> and <channel>: parse and free */
#include <errno.h>
#include <string.h>

#include "macro.h"
#include "qemu-domain-internal.h"

/* Free @chr and what it owns; takes NULL, returns NULL. */
VkDomainChr *vk_domain_chr_free(VkDomainChr *chr) {
        if (!chr)
                return NULL;
        g_free(chr->path);
        g_free(chr->host);
        g_free(chr->service);
        g_free(chr->target_name);
        vk_domain_device_info_clear(&chr->info);
        g_free(chr);
        return NULL;
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
        r = vk_xml_check_unique(node, VK_STRV("model"), reterr);
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

/* <source mode='bind|connect' host= service=/> of type='tcp' (mode: connect when absent) */
static int chr_parse_tcp_source(VkDomainChr *chr, xmlNode *source, VkError *reterr) {
        unsigned long long port;
        bool bad;
        int r;

        r = vk_xml_check_node(source, VK_STRV("mode", "host", "service"), VK_XML_NONE, reterr);
        if (r < 0)
                return r;
        if (vk_xml_prop_enum(source, "mode", vk_chr_source_mode_from_string, VK_XML_NONZERO,
                             &chr->mode, reterr) < 0 ||
            vk_xml_prop_string(source, "host", VK_XML_REQUIRED | VK_XML_NONZERO, &chr->host,
                               reterr) < 0 ||
            vk_xml_prop_string(source, "service", VK_XML_REQUIRED | VK_XML_NONZERO, &chr->service,
                               reterr) < 0)
                return -EINVAL;
        if (chr->mode == VK_CHR_SOURCE_MODE_DEFAULT)
                chr->mode = VK_CHR_SOURCE_MODE_CONNECT;
        if (strlen(chr->host) > 255 || strpbrk(chr->host, ", \t\n'\"/"))
                return vk_xml_error(source, "host", reterr, "invalid host '%s'", chr->host);
        /* a port number, or a service name QEMU looks up (/etc/services) */
        r = vk_xml_parse_uint(chr->service, 65535, &port);
        if (r >= 0 || r == -ERANGE)
                bad = r < 0 || port == 0;
        else
                bad = strlen(chr->service) > 64 ||
                      strspn(chr->service, "abcdefghijklmnopqrstuvwxyz0123456789-") !=
                              strlen(chr->service);
        if (bad)
                return vk_xml_error(source, "service", reterr,
                                    "invalid service '%s' (a port 1-65535 or a service name)",
                                    chr->service);
        return 0;
}

/* <protocol type='raw|telnet'/>: only with type='tcp' */
static int chr_parse_protocol(VkDomainChr *chr, xmlNode *node, VkError *reterr) {
        xmlNode *protocol = vk_xml_child(node, "protocol");
        g_autofree char *type = NULL;
        int r;

        if (!protocol)
                return 0;
        if (chr->type != VK_CHR_TYPE_TCP)
                return vk_xml_error(protocol, NULL, reterr, "unsupported element for type='%s'",
                                    vk_chr_type_to_string(chr->type));
        r = vk_xml_check_node(protocol, VK_STRV("type"), VK_XML_NONE, reterr);
        if (r < 0)
                return r;
        r = vk_xml_prop_string(protocol, "type", VK_XML_REQUIRED, &type, reterr);
        if (r < 0)
                return r;
        /* telnets and tls need chardev TLS credentials, which virtkit does not configure */
        chr->protocol = vk_chr_tcp_protocol_from_string(type);
        if ((int) chr->protocol < 0)
                return vk_xml_error(protocol, "type", reterr,
                                    "unsupported value '%s' (only 'raw' or 'telnet')", type);
        return 0;
}

int vk_domain_chr_parse(VkDomainDef *def, VkChrKind kind, xmlNode *node, unsigned flags,
                        VkError *reterr) {
        g_autoptr(VkDomainChr) chr = g_new0(VkDomainChr, 1);
        xmlNode *source, *target;
        int r;

        chr->kind = kind;
        chr->target_port = -1;

        r = vk_xml_check_node(node, VK_STRV("type"),
                              VK_STRV("source", "protocol", "target", "alias", "address"), reterr);
        if (r < 0)
                return r;
        r = vk_xml_check_unique(node, VK_STRV("source", "protocol", "target"), reterr);
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
                        r = vk_domain_check_path(source, "path", chr->path, reterr);
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
                                r = vk_domain_check_path(source, "path", chr->path, reterr);
                                if (r < 0)
                                        return r;
                                if (strlen(chr->path) >= 108)
                                        return vk_xml_error(source, "path", reterr,
                                                            "socket path longer than 107 "
                                                            "characters");
                        }
                        break;
                case VK_CHR_TYPE_TCP:
                        r = chr_parse_tcp_source(chr, source, reterr);
                        if (r < 0)
                                return r;
                        break;
                default:
                        return vk_xml_error(source, NULL, reterr,
                                            "unsupported element for type='%s'",
                                            vk_chr_type_to_string(chr->type));
                }
        }
        r = chr_parse_protocol(chr, node, reterr);
        if (r < 0)
                return r;
        if (chr->type == VK_CHR_TYPE_FILE && !chr->path)
                return vk_xml_error(node, NULL, reterr, "type='file' needs <source path=...>");
        if (chr->type == VK_CHR_TYPE_TCP && !chr->host)
                return vk_xml_error(node, NULL, reterr,
                                    "type='tcp' needs <source host=... service=...>");
        if (chr->type == VK_CHR_TYPE_UNIX && !chr->path && kind != VK_CHR_CHANNEL)
                return vk_xml_error(node, NULL, reterr, "type='unix' needs <source path=...>");

        target = vk_xml_child(node, "target");
        if (target) {
                r = chr_parse_target(chr, target, reterr);
                if (r < 0)
                        return r;
        } else if (kind == VK_CHR_CHANNEL)
                return vk_xml_error(node, NULL, reterr, "missing <target> element");
        if (chr->type == VK_CHR_TYPE_SPICEVMC) {
                /* SPICE's agent channel (vdagent), as virt-install writes it */
                if (kind != VK_CHR_CHANNEL || chr->target_type != VK_CHR_TARGET_VIRTIO)
                        return vk_xml_error(node, "type", reterr,
                                            "type='spicevmc' is supported for a <channel> with "
                                            "<target type='virtio'> only");
                if (!chr->target_name)
                        chr->target_name = g_strdup("com.redhat.spice.0");
        }

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
