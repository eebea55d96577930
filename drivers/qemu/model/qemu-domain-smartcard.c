/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-domain-smartcard.c: <smartcard> on a CCID controller, and <vsock> */
#include <errno.h>
#include <string.h>

#include "macro.h"
#include "qemu-domain-internal.h"

VK_DOMAIN_ENUM_IMPL(vk_smartcard_mode, VkSmartcardMode, _VK_SMARTCARD_MAX, "host",
                    "host-certificates", "passthrough")

/* The CCID controller's slots: QEMU's usb-ccid has one */
#define SMARTCARD_SLOTS 1

VkDomainSmartcard *vk_domain_smartcard_free(VkDomainSmartcard *sc) {
        if (!sc)
                return NULL;
        for (size_t i = 0; i < VK_SMARTCARD_CERTS; i++)
                g_free(sc->certificates[i]);
        g_free(sc->database);
        vk_domain_device_info_clear(&sc->info);
        g_free(sc);
        return NULL;
}

VkDomainSmartcard *vk_domain_smartcard_copy(const VkDomainSmartcard *src) {
        VkDomainSmartcard *sc = g_memdup2(src, sizeof(*src));

        for (size_t i = 0; i < VK_SMARTCARD_CERTS; i++)
                sc->certificates[i] = g_strdup(src->certificates[i]);
        sc->database = g_strdup(src->database);
        sc->info.alias = g_strdup(src->info.alias);
        return sc;
}

/* host-certificates: exactly three <certificate>NAME</certificate>, one <database> at most */
static int smartcard_parse_certificates(VkDomainSmartcard *sc, xmlNode *node, VkError *reterr) {
        size_t n = 0;
        int r;

        for (xmlNode *c = vk_xml_first_element(node); c; c = vk_xml_next_element(c)) {
                char **slot;

                if (vk_xml_node_is(c, NULL, "certificate")) {
                        if (n >= VK_SMARTCARD_CERTS)
                                return vk_xml_error(c, NULL, reterr, "more than %d certificates",
                                                    VK_SMARTCARD_CERTS);
                        slot = &sc->certificates[n++];
                } else if (vk_xml_node_is(c, NULL, "database"))
                        slot = &sc->database;
                else
                        continue;
                r = vk_xml_check_node(c, VK_XML_NONE, NULL, reterr);
                if (r >= 0)
                        r = vk_xml_node_text(c, VK_XML_REQUIRED, slot, reterr);
                if (r < 0)
                        return r;
                if (strpbrk(*slot, ",\n"))
                        return vk_xml_error(c, NULL, reterr, "'%s' must not contain commas", *slot);
        }
        if (n != VK_SMARTCARD_CERTS)
                return vk_xml_error(node, NULL, reterr,
                                    "mode='host-certificates' needs %d <certificate> elements",
                                    VK_SMARTCARD_CERTS);
        if (sc->database && sc->database[0] == '/')
                return vk_domain_check_path(node, NULL, sc->database, reterr);
        return 0;
}

/*
 *   <smartcard mode='host'/>
 *   <smartcard mode='host-certificates'><certificate>c1</certificate>...x3
 *     [<database>/etc/pki/nssdb</database>]</smartcard>
 *   <smartcard mode='passthrough' type='spicevmc'/>
 */
int vk_domain_smartcard_parse(VkDomainDef *def, xmlNode *node, unsigned flags, VkError *reterr) {
        g_autoptr(VkDomainSmartcard) sc = g_new0(VkDomainSmartcard, 1);
        g_autofree char *type = NULL;
        int r;

        r = vk_xml_check_node(node, VK_STRV("mode", "type"),
                              VK_STRV("certificate", "database", "alias", "address"), reterr);
        if (r >= 0)
                r = vk_xml_check_unique(node, VK_STRV("database"), reterr);
        if (r >= 0)
                r = vk_xml_prop_enum(node, "mode", vk_smartcard_mode_from_string, VK_XML_REQUIRED,
                                     &sc->mode, reterr);
        if (r >= 0)
                r = vk_xml_prop_string(node, "type", 0, &type, reterr);
        if (r < 0)
                return r;
        if (sc->mode == VK_SMARTCARD_PASSTHROUGH) {
                if (!type)
                        return vk_xml_error(node, NULL, reterr,
                                            "mode='passthrough' needs type='spicevmc'");
                if (strcmp(type, "spicevmc") != 0)
                        return vk_xml_error(node, "type", reterr,
                                            "passthrough over '%s' is not supported (only "
                                            "'spicevmc', through the SPICE client)",
                                            type);
        } else if (type)
                return vk_xml_error(node, "type", reterr, "only allowed with mode='passthrough'");
        if (sc->mode == VK_SMARTCARD_HOST_CERTIFICATES) {
                r = smartcard_parse_certificates(sc, node, reterr);
                if (r < 0)
                        return r;
        } else if (vk_xml_child(node, "certificate") || vk_xml_child(node, "database"))
                return vk_xml_error(node, NULL, reterr,
                                    "<certificate> and <database> need "
                                    "mode='host-certificates'");
        r = vk_domain_parse_device_info(node, flags, /* allow_boot= */ false, &sc->info, reterr);
        if (r < 0)
                return r;
        VK_DOMAIN_APPEND(def->smartcards, def->n_smartcards, g_steal_pointer(&sc));
        return 0;
}

void vk_domain_smartcard_format(VkXmlWriter *w, const VkDomainSmartcard *sc, unsigned flags) {
        vk_xml_writer_start(w, "smartcard");
        vk_xml_writer_attr(w, "mode", vk_smartcard_mode_to_string(sc->mode));
        if (sc->mode == VK_SMARTCARD_PASSTHROUGH)
                vk_xml_writer_attr(w, "type", "spicevmc");
        for (size_t i = 0; sc->mode == VK_SMARTCARD_HOST_CERTIFICATES && i < VK_SMARTCARD_CERTS;
             i++)
                vk_xml_writer_text_element(w, "certificate", sc->certificates[i]);
        vk_xml_writer_text_element(w, "database", sc->database);
        vk_domain_format_device_info(w, &sc->info, flags);
        vk_xml_writer_end(w);
}

/*
 * Post-parse of the smartcards: each sits in a slot of a CCID controller (the controller,
 * with its USB address, is added as libvirt does when the domain has none).
 */
int vk_domain_smartcard_post_parse(VkDomainDef *def, VkError *reterr) {
        for (size_t i = 0; i < def->n_smartcards; i++) {
                VkDeviceAddress *a = &def->smartcards[i]->info.addr;

                if (a->type == VK_ADDRESS_NONE) {
                        unsigned ctl = 0;

                        /* the first free slot, controllers in index order */
                        for (;; ctl++) {
                                bool used = false;

                                for (size_t j = 0; j < def->n_smartcards; j++)
                                        used = used ||
                                               (j != i &&
                                                def->smartcards[j]->info.addr.type ==
                                                        VK_ADDRESS_CCID &&
                                                def->smartcards[j]->info.addr.ccid.controller ==
                                                        ctl);
                                if (!used)
                                        break;
                        }
                        a->type = VK_ADDRESS_CCID;
                        a->ccid.controller = ctl;
                        a->ccid.slot = 0;
                }
                if (a->type != VK_ADDRESS_CCID)
                        return vk_error_set(reterr, VK_ERROR_INVALID_XML, -EINVAL,
                                            "/domain/devices/smartcard[%zu]/address/@type: a "
                                            "smartcard sits on a CCID controller (type='ccid')",
                                            i + 1);
                if (a->ccid.slot >= SMARTCARD_SLOTS)
                        return vk_error_set(reterr, VK_ERROR_INVALID_XML, -EINVAL,
                                            "/domain/devices/smartcard[%zu]/address/@slot: CCID "
                                            "slot %u does not exist (a controller has %d)",
                                            i + 1, a->ccid.slot, SMARTCARD_SLOTS);
                for (size_t j = 0; j < i; j++) {
                        const VkDeviceAddress *b = &def->smartcards[j]->info.addr;

                        if (b->ccid.controller == a->ccid.controller &&
                            b->ccid.slot == a->ccid.slot)
                                return vk_error_set(reterr, VK_ERROR_INVALID_XML, -EINVAL,
                                                    "/domain/devices/smartcard[%zu]/address: CCID "
                                                    "slot %u.%u is used twice",
                                                    i + 1, a->ccid.controller, a->ccid.slot);
                }
                if (!vk_domain_def_find_controller(def, VK_CONTROLLER_CCID, a->ccid.controller))
                        (void) vk_domain_add_implicit_controller(def, VK_CONTROLLER_CCID,
                                                                 a->ccid.controller,
                                                                 VK_CONTROLLER_MODEL_DEFAULT);
        }
        for (size_t i = 0; i < def->n_controllers; i++) {
                VkDomainController *c = def->controllers[i];

                if (c->type == VK_CONTROLLER_CCID && c->info.addr.type != VK_ADDRESS_NONE &&
                    c->info.addr.type != VK_ADDRESS_USB)
                        return vk_error_set(reterr, VK_ERROR_INVALID_XML, -EINVAL,
                                            "/domain/devices/controller: a CCID controller is a "
                                            "USB device (address type='usb')");
        }
        return 0;
}

/* ---- <vsock> ---------------------------------------------------------------------------- */

VkDomainVsock *vk_domain_vsock_free(VkDomainVsock *v) {
        if (!v)
                return NULL;
        vk_domain_device_info_clear(&v->info);
        g_free(v);
        return NULL;
}

/* <vsock model='virtio'><cid auto='yes|no' [address='N']/></vsock>, at most one */
int vk_domain_vsock_parse(VkDomainDef *def, xmlNode *node, unsigned flags, VkError *reterr) {
        g_autoptr(VkDomainVsock) v = g_new0(VkDomainVsock, 1);
        g_autofree char *model = NULL;
        xmlNode *cid;
        int r;

        if (def->vsock)
                return vk_xml_error(node, NULL, reterr, "a domain has one <vsock> at most");
        r = vk_xml_check_node(node, VK_STRV("model"), VK_STRV("cid", "alias", "address"), reterr);
        if (r >= 0)
                r = vk_xml_check_unique(node, VK_STRV("cid"), reterr);
        if (r >= 0)
                r = vk_xml_prop_string(node, "model", 0, &model, reterr);
        if (r < 0)
                return r;
        if (model && strcmp(model, "virtio") != 0)
                return vk_xml_error(node, "model", reterr,
                                    "model '%s' is not supported (only 'virtio')", model);
        cid = vk_xml_child(node, "cid");
        if (cid) {
                r = vk_xml_check_node(cid, VK_STRV("auto", "address"), VK_XML_NONE, reterr);
                if (r >= 0)
                        r = vk_xml_prop_tristate_bool(cid, "auto", 0, &v->cid_auto, reterr);
                if (r >= 0)
                        r = vk_xml_prop_uint(cid, "address", 0, &v->cid, reterr);
                if (r < 0)
                        return r;
                /* 0-2 are the hypervisor's, the local and the host's; -1 is "any" */
                if (r > 0 && (v->cid < 3 || v->cid == UINT32_MAX))
                        return vk_xml_error(cid, "address", reterr,
                                            "CID %u is reserved (a guest's is at least 3)", v->cid);
        }
        if (v->cid_auto == VK_TRISTATE_ABSENT)
                v->cid_auto = v->cid ? VK_TRISTATE_NO : VK_TRISTATE_YES;
        if (v->cid_auto == VK_TRISTATE_NO && !v->cid)
                return vk_xml_error(node, NULL, reterr, "<cid auto='no'> needs address=");
        r = vk_domain_parse_device_info(node, flags, /* allow_boot= */ false, &v->info, reterr);
        if (r < 0)
                return r;
        if (v->info.addr.type != VK_ADDRESS_NONE && v->info.addr.type != VK_ADDRESS_PCI)
                return vk_xml_error(node, NULL, reterr, "a vsock device needs a PCI address");
        /* an auto CID is the running domain's: the inactive XML does not keep it */
        if (v->cid_auto == VK_TRISTATE_YES && !(flags & VK_DOMAIN_DEF_PARSE_LIVE))
                v->cid = 0;
        def->vsock = g_steal_pointer(&v);
        return 0;
}

void vk_domain_vsock_format(VkXmlWriter *w, const VkDomainVsock *v, unsigned flags) {
        vk_xml_writer_start(w, "vsock");
        vk_xml_writer_attr(w, "model", "virtio");
        vk_xml_writer_start(w, "cid");
        vk_xml_writer_attr(w, "auto", vk_tristate_bool_to_string(v->cid_auto));
        if (v->cid && (v->cid_auto == VK_TRISTATE_NO || (flags & VK_DOMAIN_DEF_FORMAT_LIVE)))
                vk_xml_writer_attrf(w, "address", "%u", v->cid);
        vk_xml_writer_end(w);
        vk_domain_format_device_info(w, &v->info, flags);
        vk_xml_writer_end(w);
}
