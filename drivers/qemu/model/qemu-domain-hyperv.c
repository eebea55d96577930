/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-domain-hyperv.c: <features><hyperv>, the Hyper-V enlightenments Windows guests use */
#include <string.h>

#include "macro.h"
#include "qemu-domain-internal.h"

VK_DOMAIN_ENUM_IMPL(vk_hyperv_feature, VkHypervFeature, _VK_HYPERV_FEATURE_MAX, "relaxed", "vapic",
                    "spinlocks", "vpindex", "runtime", "synic", "stimer", "reset", "vendor_id",
                    "frequencies", "reenlightenment", "tlbflush", "ipi", "evmcs", "avic")
VK_DOMAIN_ENUM_IMPL(vk_hyperv_mode, VkHypervMode, _VK_HYPERV_MODE_MAX, "custom", "passthrough")

/* One enlightenment: <NAME state='on|off' [retries=N|value=S]>[<direct state=/>]</NAME> */
static int hyperv_parse_feature(VkDomainHyperv *hv, VkHypervFeature f, xmlNode *c,
                                VkError *reterr) {
        VkTristate state = VK_TRISTATE_ABSENT;
        int r;

        switch (f) {
        case VK_HYPERV_SPINLOCKS:
                r = vk_xml_check_node(c, VK_STRV("state", "retries"), VK_XML_NONE, reterr);
                break;
        case VK_HYPERV_VENDOR_ID:
                r = vk_xml_check_node(c, VK_STRV("state", "value"), VK_XML_NONE, reterr);
                break;
        case VK_HYPERV_STIMER:
                r = vk_xml_check_node(c, VK_STRV("state"), VK_STRV("direct"), reterr);
                if (r >= 0)
                        r = vk_xml_check_unique(c, VK_STRV("direct"), reterr);
                break;
        default:
                r = vk_xml_check_node(c, VK_STRV("state"), VK_XML_NONE, reterr);
                break;
        }
        if (r < 0)
                return r;
        r = vk_xml_prop_tristate_switch(c, "state", VK_XML_REQUIRED, &state, reterr);
        if (r < 0)
                return r;
        hv->features[f] = state;
        if (state != VK_TRISTATE_YES)
                return 0;

        if (f == VK_HYPERV_SPINLOCKS) {
                r = vk_xml_prop_uint(c, "retries", VK_XML_REQUIRED, &hv->spinlocks, reterr);
                if (r < 0)
                        return r;
                if (hv->spinlocks < 4095)
                        return vk_xml_error(c, "retries", reterr,
                                            "value %u is less than 4095 (Hyper-V's minimum)",
                                            hv->spinlocks);
        } else if (f == VK_HYPERV_VENDOR_ID) {
                r = vk_xml_prop_string(c, "value", VK_XML_REQUIRED | VK_XML_NONZERO, &hv->vendor_id,
                                       reterr);
                if (r < 0)
                        return r;
                if (strlen(hv->vendor_id) > 12)
                        return vk_xml_error(c, "value", reterr, "'%s' is longer than 12 characters",
                                            hv->vendor_id);
                for (const char *p = hv->vendor_id; *p; p++)
                        if (!g_ascii_isalnum(*p) && *p != '_' && *p != '-')
                                return vk_xml_error(c, "value", reterr,
                                                    "'%s': only letters, digits, '_' and '-'",
                                                    hv->vendor_id);
        } else if (f == VK_HYPERV_STIMER) {
                xmlNode *direct = vk_xml_child(c, "direct");

                if (direct) {
                        r = vk_xml_check_node(direct, VK_STRV("state"), VK_XML_NONE, reterr);
                        if (r >= 0)
                                r = vk_xml_prop_tristate_switch(direct, "state", VK_XML_REQUIRED,
                                                                &hv->stimer_direct, reterr);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

/*
 * <hyperv [mode='custom|passthrough']> with the enlightenments libvirt 9.0 knows, each once.
 * passthrough takes the host's set and has no children.
 */
int vk_domain_hyperv_parse(VkDomainHyperv *hv, xmlNode *node, VkError *reterr) {
        const char *names[_VK_HYPERV_FEATURE_MAX + 1] = {};
        int r;

        for (int f = 0; f < _VK_HYPERV_FEATURE_MAX; f++)
                names[f] = vk_hyperv_feature_to_string(f);
        r = vk_xml_check_node(node, VK_STRV("mode"), names, reterr);
        if (r < 0)
                return r;
        r = vk_xml_check_unique(node, names, reterr);
        if (r < 0)
                return r;
        hv->present = true;
        r = vk_xml_prop_enum(node, "mode", vk_hyperv_mode_from_string, 0, &hv->mode, reterr);
        if (r < 0)
                return r;
        if (hv->mode == VK_HYPERV_MODE_PASSTHROUGH && vk_xml_first_element(node))
                return vk_xml_error(node, "mode", reterr,
                                    "mode='passthrough' takes the host's enlightenments: it "
                                    "has no child elements");

        for (xmlNode *c = vk_xml_first_element(node); c; c = vk_xml_next_element(c)) {
                VkHypervFeature f = vk_hyperv_feature_from_string((const char *) c->name);

                r = hyperv_parse_feature(hv, f, c, reterr);
                if (r < 0)
                        return r;
        }
        return 0;
}

void vk_domain_hyperv_format(VkXmlWriter *w, const VkDomainHyperv *hv) {
        if (!hv->present)
                return;
        vk_xml_writer_start(w, "hyperv");
        vk_xml_writer_attr(w, "mode", vk_hyperv_mode_to_string(hv->mode));
        for (int f = 0; f < _VK_HYPERV_FEATURE_MAX; f++) {
                if (hv->features[f] == VK_TRISTATE_ABSENT)
                        continue;
                vk_xml_writer_start(w, vk_hyperv_feature_to_string(f));
                vk_xml_writer_attr(w, "state", vk_tristate_switch_to_string(hv->features[f]));
                if (hv->features[f] == VK_TRISTATE_YES && f == VK_HYPERV_SPINLOCKS)
                        vk_xml_writer_attrf(w, "retries", "%u", hv->spinlocks);
                if (hv->features[f] == VK_TRISTATE_YES && f == VK_HYPERV_VENDOR_ID)
                        vk_xml_writer_attr(w, "value", hv->vendor_id);
                if (f == VK_HYPERV_STIMER && hv->stimer_direct != VK_TRISTATE_ABSENT) {
                        vk_xml_writer_start(w, "direct");
                        vk_xml_writer_attr(w, "state",
                                           vk_tristate_switch_to_string(hv->stimer_direct));
                        vk_xml_writer_end(w);
                }
                vk_xml_writer_end(w);
        }
        vk_xml_writer_end(w);
}
