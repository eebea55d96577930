/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-domain-firmware.c: the firmware part of <os>: firmware=, <firmware>, <loader>, <nvram> */
#include <assert.h>
#include <errno.h>
#include <string.h>

#include "macro.h"
#include "qemu-domain-internal.h"

/*
 * What libvirt 9.0 accepts there:
 *
 *   <os firmware='efi'>                                   or 'bios'; absent: <loader> as given
 *     <firmware>
 *       <feature enabled='yes' name='secure-boot'/>       what the chosen firmware must have
 *       <feature enabled='no' name='enrolled-keys'/>      (yes) or must not have (no)
 *     </firmware>
 *     <loader readonly='yes' secure='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.fd</loader>
 *     <nvram template='/usr/share/OVMF/OVMF_VARS_4M.fd'>/var/lib/.../NAME_VARS.fd</nvram>
 *
 * With firmware= the loader's path, the template and the NVRAM path may all be left out: the
 * start picks a firmware from QEMU's descriptors and writes them into the live XML
 * (caps/qemu-firmware.c); the persistent definition keeps what the user wrote.
 */

VK_DOMAIN_ENUM_IMPL(vk_os_firmware, VkOsFirmware, _VK_OS_FIRMWARE_MAX, NULL, "bios", "efi")
VK_DOMAIN_ENUM_IMPL(vk_firmware_feature, VkFirmwareFeature, _VK_FIRMWARE_FEATURE_MAX,
                    "enrolled-keys", "secure-boot")

/* The firmware= attribute of <os>. */
int vk_domain_os_firmware_parse(VkDomainDef *def, xmlNode *os, VkError *reterr) {
        return vk_xml_prop_enum(os, "firmware", vk_os_firmware_from_string, VK_XML_NONZERO,
                                &def->os_firmware, reterr);
}

/* <firmware><feature enabled= name=/>...</firmware>: each feature once. */
int vk_domain_firmware_features_parse(VkDomainDef *def, xmlNode *node, VkError *reterr) {
        int r;

        r = vk_xml_check_node(node, VK_XML_NONE, VK_STRV("feature"), reterr);
        if (r < 0)
                return r;
        for (xmlNode *c = vk_xml_first_element(node); c; c = vk_xml_next_element(c)) {
                VkFirmwareFeature f = 0;
                VkTristate enabled = VK_TRISTATE_ABSENT;

                r = vk_xml_check_node(c, VK_STRV("enabled", "name"), VK_XML_NONE, reterr);
                if (r < 0)
                        return r;
                r = vk_xml_prop_enum(c, "name", vk_firmware_feature_from_string, VK_XML_REQUIRED,
                                     &f, reterr);
                if (r < 0)
                        return r;
                r = vk_xml_prop_tristate_bool(c, "enabled", VK_XML_REQUIRED, &enabled, reterr);
                if (r < 0)
                        return r;
                if (def->firmware_features[f] != VK_TRISTATE_ABSENT)
                        return vk_xml_error(c, "name", reterr, "feature '%s' is given twice",
                                            vk_firmware_feature_to_string(f));
                def->firmware_features[f] = enabled;
        }
        return 0;
}

/* <loader readonly= secure= type=>PATH</loader>; the path only with firmware= may be absent. */
int vk_domain_loader_parse(VkDomainDef *def, xmlNode *node, VkError *reterr) {
        int r;

        r = vk_xml_check_node(node, VK_STRV("readonly", "secure", "type"), NULL, reterr);
        if (r < 0)
                return r;
        r = vk_xml_prop_tristate_bool(node, "readonly", 0, &def->loader_readonly, reterr);
        if (r < 0)
                return r;
        r = vk_xml_prop_tristate_bool(node, "secure", 0, &def->loader_secure, reterr);
        if (r < 0)
                return r;
        r = vk_xml_prop_enum(node, "type", vk_loader_type_from_string, VK_XML_NONZERO,
                             &def->loader_type, reterr);
        if (r < 0)
                return r;
        r = vk_xml_node_text(node, 0, &def->loader_path, reterr);
        if (r < 0)
                return r;
        if (def->loader_path && !g_path_is_absolute(def->loader_path))
                return vk_xml_error(node, NULL, reterr, "loader path '%s' must be absolute",
                                    def->loader_path);
        return 0;
}

/* <nvram template=>PATH</nvram>: either may be absent, not both. */
int vk_domain_nvram_parse(VkDomainDef *def, xmlNode *node, VkError *reterr) {
        int r;

        r = vk_xml_check_node(node, VK_STRV("template"), NULL, reterr);
        if (r < 0)
                return r;
        r = vk_xml_prop_string(node, "template", VK_XML_NONZERO, &def->nvram_template, reterr);
        if (r < 0)
                return r;
        r = vk_xml_node_text(node, 0, &def->nvram_path, reterr);
        if (r < 0)
                return r;
        if (!def->nvram_path && !def->nvram_template)
                return vk_xml_error(node, NULL, reterr, "needs a path or a template");
        if (def->nvram_path && !g_path_is_absolute(def->nvram_path))
                return vk_xml_error(node, NULL, reterr, "NVRAM path '%s' must be absolute",
                                    def->nvram_path);
        if (def->nvram_template && !g_path_is_absolute(def->nvram_template))
                return vk_xml_error(node, "template", reterr, "path '%s' must be absolute",
                                    def->nvram_template);
        return 0;
}

static bool domain_has_loader(const VkDomainDef *def) {
        return def->loader_path || def->loader_readonly || def->loader_secure || def->loader_type;
}

/* What <os> as a whole must agree on, once its children are read. */
int vk_domain_os_firmware_check(const VkDomainDef *def, xmlNode *os, VkError *reterr) {
        bool has_features = false;
        bool pflash = def->loader_type == VK_LOADER_TYPE_PFLASH;

        for (int f = 0; f < _VK_FIRMWARE_FEATURE_MAX; f++)
                has_features = has_features || def->firmware_features[f] != VK_TRISTATE_ABSENT;

        if (domain_has_loader(def) && !def->loader_path && !def->os_firmware)
                return vk_xml_error(vk_xml_child(os, "loader"), NULL, reterr,
                                    "no loader path given and no firmware autoselection "
                                    "(<os firmware='efi'>)");
        if (has_features && def->os_firmware != VK_OS_FIRMWARE_EFI && !pflash)
                return vk_xml_error(vk_xml_child(os, "firmware"), NULL, reterr,
                                    "firmware features need <os firmware='efi'> or "
                                    "<loader type='pflash'>");
        if (def->firmware_features[VK_FIRMWARE_FEATURE_ENROLLED_KEYS] == VK_TRISTATE_YES &&
            def->firmware_features[VK_FIRMWARE_FEATURE_SECURE_BOOT] == VK_TRISTATE_NO)
                return vk_xml_error(vk_xml_child(os, "firmware"), NULL, reterr,
                                    "feature 'enrolled-keys' cannot be enabled when feature "
                                    "'secure-boot' is disabled");
        if (def->os_firmware == VK_OS_FIRMWARE_BIOS &&
            (pflash || def->loader_secure == VK_TRISTATE_YES))
                return vk_xml_error(vk_xml_child(os, "loader"), NULL, reterr,
                                    "firmware 'bios' has no pflash or secure loader");
        if ((def->nvram_path || def->nvram_template) && !pflash &&
            def->os_firmware != VK_OS_FIRMWARE_EFI)
                return vk_xml_error(os, NULL, reterr,
                                    "<nvram> needs <loader type='pflash'> or "
                                    "<os firmware='efi'>");
        if (def->os_firmware == VK_OS_FIRMWARE_EFI && def->loader_type == VK_LOADER_TYPE_ROM)
                return vk_xml_error(vk_xml_child(os, "loader"), "type", reterr,
                                    "firmware 'efi' is loaded as pflash, not 'rom'");
        return 0;
}

/* <firmware>, <loader> and <nvram>, in libvirt's order, inside <os> (firmware= is the
 * caller's, on the start tag). */
void vk_domain_os_firmware_format(VkXmlWriter *w, const VkDomainDef *def) {
        bool any = false;

        for (int f = 0; f < _VK_FIRMWARE_FEATURE_MAX; f++)
                any = any || def->firmware_features[f] != VK_TRISTATE_ABSENT;
        if (any) {
                vk_xml_writer_start(w, "firmware");
                for (int f = 0; f < _VK_FIRMWARE_FEATURE_MAX; f++) {
                        if (def->firmware_features[f] == VK_TRISTATE_ABSENT)
                                continue;
                        vk_xml_writer_start(w, "feature");
                        vk_xml_writer_attr(w, "enabled",
                                           vk_tristate_bool_to_string(def->firmware_features[f]));
                        vk_xml_writer_attr(w, "name", vk_firmware_feature_to_string(f));
                        vk_xml_writer_end(w);
                }
                vk_xml_writer_end(w);
        }
        if (domain_has_loader(def)) {
                vk_xml_writer_start(w, "loader");
                vk_xml_writer_attr(w, "readonly", vk_tristate_bool_to_string(def->loader_readonly));
                vk_xml_writer_attr(w, "secure", vk_tristate_bool_to_string(def->loader_secure));
                if (def->loader_type)
                        vk_xml_writer_attr(w, "type", vk_loader_type_to_string(def->loader_type));
                if (def->loader_path)
                        vk_xml_writer_text(w, def->loader_path);
                vk_xml_writer_end(w);
        }
        if (def->nvram_path || def->nvram_template) {
                vk_xml_writer_start(w, "nvram");
                vk_xml_writer_attr(w, "template", def->nvram_template);
                if (def->nvram_path)
                        vk_xml_writer_text(w, def->nvram_path);
                vk_xml_writer_end(w);
        }
}
