/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-domain-def.c: the domain model: lifecycle, parse of the domain-wide elements */
#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "macro.h"
#include "qemu-domain-internal.h"
#include "xml-metadata.h"

static void domain_uuid_generate(VkUuid *ret_uuid) {
        VkUuid u;

        vk_domain_random_bytes(u.bytes, sizeof(u.bytes));
        u.bytes[6] = (u.bytes[6] & 0x0f) | 0x40;
        u.bytes[8] = (u.bytes[8] & 0x3f) | 0x80;
        *ret_uuid = u;
}

/* ---- lifecycle -------------------------------------------------------------------------- */

/* A new, empty definition: id -1, lifecycle actions libvirt's defaults. Free with _free(). */
VkDomainDef *vk_domain_def_new(void) {
        VkDomainDef *def = g_new0(VkDomainDef, 1);

        def->id = -1;
        def->on_poweroff = VK_LIFECYCLE_DESTROY;
        def->on_reboot = VK_LIFECYCLE_RESTART;
        def->on_crash = VK_LIFECYCLE_DESTROY;
        return def;
}

/* Free @def and everything it owns (half-built definitions too). Takes NULL; returns NULL. */
VkDomainDef *vk_domain_def_free(VkDomainDef *def) {
        if (!def)
                return NULL;

        g_free(def->name);
        g_free(def->title);
        g_free(def->description);
        g_strfreev(def->metadata);
        g_free(def->hyperv.vendor_id);
        g_free(def->vcpu_cpuset);
        g_free(def->os_type);
        g_free(def->machine);
        g_free(def->loader_path);
        g_free(def->nvram_path);
        g_free(def->nvram_template);
        g_free(def->kernel);
        g_free(def->initrd);
        g_free(def->cmdline);
        vk_domain_sysinfo_clear(&def->sysinfo);
        vk_domain_cpu_clear(&def->cpu);
        vk_domain_tune_clear(def);
        g_free(def->timers);
        for (size_t i = 0; i < def->n_seclabels; i++) {
                g_free(def->seclabels[i].label);
                g_free(def->seclabels[i].imagelabel);
                g_free(def->seclabels[i].baselabel);
        }
        g_free(def->seclabels);
        g_free(def->emulator);
        vk_domain_devices_free(def);
        vk_domain_ns_clear(&def->qemu);
        g_free(def);
        return NULL;
}

/* ---- domain-wide elements --------------------------------------------------------------- */

static int domain_parse_text(xmlNode *node, unsigned flags, char **ret, VkError *reterr) {
        int r;

        r = vk_xml_check_node(node, NULL, NULL, reterr);
        if (r < 0)
                return r;
        return vk_xml_node_text(node, flags, ret, reterr);
}

static int domain_parse_name(VkDomainDef *def, xmlNode *node, VkError *reterr) {
        g_autofree char *name = NULL;
        int r;

        r = domain_parse_text(node, VK_XML_REQUIRED, &name, reterr);
        if (r < 0)
                return r;
        if (strchr(name, '/'))
                return vk_xml_error(node, NULL, reterr, "name '%s' must not contain '/'", name);
        if (strlen(name) > VK_DOMAIN_NAME_MAX)
                return vk_xml_error(node, NULL, reterr, "name longer than %d characters",
                                    VK_DOMAIN_NAME_MAX);
        for (const char *p = name; *p; p++)
                if (g_ascii_iscntrl(*p))
                        return vk_xml_error(node, NULL, reterr,
                                            "name must not contain control characters");
        def->name = g_steal_pointer(&name);
        return 0;
}

static int domain_parse_uuid_text(xmlNode *node, VkUuid *ret, VkError *reterr) {
        g_autofree char *text = NULL;
        int r;

        r = domain_parse_text(node, VK_XML_REQUIRED, &text, reterr);
        if (r < 0)
                return r;
        if (vk_uuid_parse(text, ret) < 0)
                return vk_xml_error(node, NULL, reterr, "invalid UUID '%s'", text);
        return 0;
}

/*
 * <memory unit='KiB'>N</memory>: scale @unit to KiB, rounding bytes up. Units are libvirt's:
 * b/bytes, KB (1000), k/KiB (1024), MB, M/MiB, GB, G/GiB, TB, T/TiB.
 */
static int domain_parse_memory(xmlNode *node, const char *const *extra_attrs,
                               unsigned long long *ret_kib, VkError *reterr) {
        const char *attrs[4] = { "unit", NULL, NULL, NULL };
        g_autofree char *unit = NULL;
        unsigned long long scale = 1024, v, bytes;
        int r;

        for (size_t i = 0; extra_attrs && extra_attrs[i] && i < 2; i++)
                attrs[i + 1] = extra_attrs[i];
        r = vk_xml_check_node(node, attrs, NULL, reterr);
        if (r < 0)
                return r;

        r = vk_xml_prop_string(node, "unit", 0, &unit, reterr);
        if (r < 0)
                return r;
        if (unit && vk_domain_memory_unit(unit, &scale) < 0)
                return vk_xml_error(node, "unit", reterr, "unsupported unit '%s'", unit);

        r = vk_xml_node_text_ulong(node, VK_XML_REQUIRED, &v, reterr);
        if (r < 0)
                return r;
        if (v > ULLONG_MAX / scale)
                return vk_xml_error(node, NULL, reterr, "value too large");
        bytes = v * scale;
        /* QEMU takes at most 2^63 bytes; 1 PiB of guest RAM is already absurd */
        if (bytes / 1024 + (bytes % 1024 != 0) > (1ULL << 40))
                return vk_xml_error(node, NULL, reterr, "value too large");

        *ret_kib = bytes / 1024 + (bytes % 1024 != 0);
        return 0;
}

static bool domain_cpuset_valid(const char *s) {
        g_autofree bool *map = g_new0(bool, VK_DOMAIN_CPUSET_MAX);

        return vk_domain_cpuset_parse(s, map) >= 0;
}

static int domain_parse_vcpu(VkDomainDef *def, xmlNode *node, VkError *reterr) {
        g_autofree char *cpuset = NULL;
        unsigned long long v;
        int r;

        r = vk_xml_check_node(node, VK_STRV("placement", "current", "cpuset"), NULL, reterr);
        if (r < 0)
                return r;
        r = vk_xml_prop_enum(node, "placement", vk_vcpu_placement_from_string, 0,
                             &def->vcpu_placement, reterr);
        if (r < 0)
                return r;
        r = vk_xml_prop_uint(node, "current", VK_XML_NONZERO, &def->vcpus_current, reterr);
        if (r < 0)
                return r;
        r = vk_xml_prop_string(node, "cpuset", 0, &cpuset, reterr);
        if (r < 0)
                return r;
        if (cpuset && !domain_cpuset_valid(cpuset))
                return vk_xml_error(node, "cpuset", reterr, "invalid CPU set '%s'", cpuset);
        def->vcpu_cpuset = g_steal_pointer(&cpuset);

        r = vk_xml_node_text_ulong(node, VK_XML_REQUIRED, &v, reterr);
        if (r < 0)
                return r;
        if (v == 0)
                return vk_xml_error(node, NULL, reterr, "value '0' must be at least 1");
        if (v > 4096)
                return vk_xml_error(node, NULL, reterr, "value '%llu' exceeds 4096", v);
        if (def->vcpus_current > v)
                return vk_xml_error(node, "current", reterr,
                                    "value %u exceeds the maximum of %llu vCPUs",
                                    def->vcpus_current, v);
        def->vcpus = (unsigned) v;
        return 0;
}

static int domain_parse_os(VkDomainDef *def, xmlNode *os, VkError *reterr) {
        int r;

        r = vk_xml_check_node(os, VK_STRV("firmware"),
                              VK_STRV("type", "firmware", "boot", "bootmenu", "loader", "nvram",
                                      "kernel", "initrd", "cmdline", "smbios"),
                              reterr);
        if (r < 0)
                return r;
        r = vk_xml_check_unique(os,
                                VK_STRV("type", "firmware", "bootmenu", "loader", "nvram", "kernel",
                                        "initrd", "cmdline", "smbios"),
                                reterr);
        if (r < 0)
                return r;
        r = vk_domain_os_firmware_parse(def, os, reterr);
        if (r < 0)
                return r;

        for (xmlNode *c = vk_xml_first_element(os); c; c = vk_xml_next_element(c)) {
                if (vk_xml_node_is(c, NULL, "type")) {
                        g_autofree char *text = NULL;

                        r = vk_xml_check_node(c, VK_STRV("arch", "machine"), NULL, reterr);
                        if (r < 0)
                                return r;
                        r = vk_xml_node_text(c, VK_XML_REQUIRED, &text, reterr);
                        if (r < 0)
                                return r;
                        if (strcmp(text, "hvm") != 0)
                                return vk_xml_error(c, NULL, reterr,
                                                    "unsupported OS type '%s' (only 'hvm')", text);
                        def->os_type = g_steal_pointer(&text);
                        r = vk_xml_prop_enum(c, "arch", vk_domain_arch_from_string, VK_XML_NONZERO,
                                             &def->arch, reterr);
                        if (r < 0)
                                return r;
                        r = vk_xml_prop_string(c, "machine", VK_XML_NONZERO, &def->machine, reterr);
                        if (r < 0)
                                return r;
                        if (def->machine &&
                            vk_domain_machine_kind_from_name(def->machine, &def->machine_kind) < 0)
                                return vk_xml_error(c, "machine", reterr,
                                                    "unsupported machine type '%s' (supported: "
                                                    "pc, pc-i440fx-*, q35, pc-q35-*)",
                                                    def->machine);
                } else if (vk_xml_node_is(c, NULL, "boot")) {
                        VkBootDev dev = VK_BOOT_DEV_HD;

                        r = vk_xml_check_node(c, VK_STRV("dev"), VK_XML_NONE, reterr);
                        if (r < 0)
                                return r;
                        if (def->n_boot >= VK_DOMAIN_BOOT_MAX)
                                return vk_xml_error(c, NULL, reterr,
                                                    "at most %d boot devices are allowed",
                                                    VK_DOMAIN_BOOT_MAX);
                        r = vk_xml_prop_enum(c, "dev", vk_boot_dev_from_string, VK_XML_REQUIRED,
                                             &dev, reterr);
                        if (r < 0)
                                return r;
                        def->boot[def->n_boot++] = dev;
                } else if (vk_xml_node_is(c, NULL, "bootmenu")) {
                        r = vk_xml_check_node(c, VK_STRV("enable", "timeout"), VK_XML_NONE, reterr);
                        if (r < 0)
                                return r;
                        r = vk_xml_prop_tristate_bool(c, "enable", VK_XML_REQUIRED, &def->bootmenu,
                                                      reterr);
                        if (r < 0)
                                return r;
                        r = vk_xml_prop_uint(c, "timeout", 0, &def->bootmenu_timeout, reterr);
                        if (r < 0)
                                return r;
                        def->has_bootmenu_timeout = r > 0;
                        if (def->bootmenu_timeout > 65535)
                                return vk_xml_error(c, "timeout", reterr,
                                                    "value %u out of range (0-65535)",
                                                    def->bootmenu_timeout);
                } else if (vk_xml_node_is(c, NULL, "loader")) {
                        r = vk_domain_loader_parse(def, c, reterr);
                        if (r < 0)
                                return r;
                } else if (vk_xml_node_is(c, NULL, "nvram")) {
                        r = vk_domain_nvram_parse(def, c, reterr);
                        if (r < 0)
                                return r;
                } else if (vk_xml_node_is(c, NULL, "firmware")) {
                        r = vk_domain_firmware_features_parse(def, c, reterr);
                        if (r < 0)
                                return r;
                } else if (vk_xml_node_is(c, NULL, "smbios")) {
                        r = vk_domain_smbios_parse(def, c, reterr);
                        if (r < 0)
                                return r;
                } else {
                        char **slot = vk_xml_node_is(c, NULL, "kernel")   ? &def->kernel
                                      : vk_xml_node_is(c, NULL, "initrd") ? &def->initrd
                                                                          : &def->cmdline;

                        r = domain_parse_text(c, VK_XML_REQUIRED, slot, reterr);
                        if (r < 0)
                                return r;
                }
        }

        if (!def->os_type)
                return vk_xml_error(os, NULL, reterr, "missing <type> element");
        r = vk_domain_os_firmware_check(def, os, reterr);
        if (r < 0)
                return r;
        if ((def->initrd || def->cmdline) && !def->kernel)
                return vk_xml_error(os, NULL, reterr, "<initrd> and <cmdline> need <kernel>");
        return 0;
}

static int domain_parse_features(VkDomainDef *def, xmlNode *node, VkError *reterr) {
        int r;

        r = vk_xml_check_node(
                node, VK_XML_NONE,
                VK_STRV("acpi", "apic", "pae", "hap", "hyperv", "kvm", "pmu", "vmport", "smm"),
                reterr);
        if (r < 0)
                return r;
        r = vk_xml_check_unique(
                node,
                VK_STRV("acpi", "apic", "pae", "hap", "hyperv", "kvm", "pmu", "vmport", "smm"),
                reterr);
        if (r < 0)
                return r;

        for (xmlNode *c = vk_xml_first_element(node); c; c = vk_xml_next_element(c)) {
                VkFeature f = vk_feature_from_string((const char *) c->name);
                VkTristate state = VK_TRISTATE_YES;

                if (vk_xml_node_is(c, NULL, "hyperv")) {
                        r = vk_domain_hyperv_parse(&def->hyperv, c, reterr);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (vk_xml_node_is(c, NULL, "kvm")) {
                        r = vk_domain_kvm_parse(&def->kvm, c, reterr);
                        if (r < 0)
                                return r;
                        continue;
                }
                assert(f >= 0);
                if (f == VK_FEATURE_HAP || f == VK_FEATURE_PMU || f == VK_FEATURE_VMPORT ||
                    f == VK_FEATURE_SMM) {
                        /* <smm><tseg> is not supported: refused as an element */
                        r = vk_xml_check_node(c, VK_STRV("state"), VK_XML_NONE, reterr);
                        if (r < 0)
                                return r;
                        r = vk_xml_prop_tristate_switch(c, "state", 0, &state, reterr);
                        if (r < 0)
                                return r;
                } else {
                        r = vk_xml_check_node(c, VK_XML_NONE, VK_XML_NONE, reterr);
                        if (r < 0)
                                return r;
                }
                def->features[f] = state;
        }
        return 0;
}

static int domain_parse_clock(VkDomainDef *def, xmlNode *node, VkError *reterr) {
        g_autofree char *sync = NULL;
        int r;

        r = vk_xml_check_node(node, VK_STRV("offset", "sync", "adjustment", "basis"),
                              VK_STRV("timer"), reterr);
        if (r < 0)
                return r;

        r = vk_xml_prop_enum(node, "offset", vk_clock_offset_from_string, 0, &def->clock_offset,
                             reterr);
        if (r < 0)
                return r;
        /* <clock sync='localtime'/>: the pre-0.7 spelling, still in old configs */
        r = vk_xml_prop_string(node, "sync", 0, &sync, reterr);
        if (r < 0)
                return r;
        if (sync) {
                VkClockOffset o = vk_clock_offset_from_string(sync);

                if (xmlHasProp(node, (const xmlChar *) "offset"))
                        return vk_xml_error(node, "sync", reterr,
                                            "cannot be used together with offset=");
                if (o != VK_CLOCK_OFFSET_UTC && o != VK_CLOCK_OFFSET_LOCALTIME)
                        return vk_xml_error(node, "sync", reterr, "unsupported value '%s'", sync);
                def->clock_offset = o;
                def->clock_from_sync = true;
        }

        if (def->clock_offset == VK_CLOCK_OFFSET_VARIABLE) {
                g_autofree char *adj = NULL;
                long long v;

                r = vk_xml_prop_string(node, "adjustment", 0, &adj, reterr);
                if (r < 0)
                        return r;
                if (adj) {
                        if (vk_xml_parse_int(adj, -(1LL << 40), 1LL << 40, &v) < 0)
                                return vk_xml_error(node, "adjustment", reterr,
                                                    "invalid value '%s'", adj);
                        def->clock_adjustment = v;
                        def->has_clock_adjustment = true;
                }
                r = vk_xml_prop_enum(node, "basis", vk_clock_basis_from_string, 0,
                                     &def->clock_basis, reterr);
                if (r < 0)
                        return r;
        } else if (xmlHasProp(node, (const xmlChar *) "adjustment"))
                return vk_xml_error(node, "adjustment", reterr,
                                    "only allowed with offset='variable'");
        else if (xmlHasProp(node, (const xmlChar *) "basis"))
                return vk_xml_error(node, "basis", reterr, "only allowed with offset='variable'");

        for (xmlNode *c = vk_xml_first_element(node); c; c = vk_xml_next_element(c)) {
                VkDomainTimer t = {};

                r = vk_xml_check_node(c, VK_STRV("name", "tickpolicy", "present", "track"),
                                      VK_XML_NONE, reterr);
                if (r < 0)
                        return r;
                if (vk_xml_prop_enum(c, "name", vk_timer_name_from_string, VK_XML_REQUIRED, &t.name,
                                     reterr) < 0 ||
                    vk_xml_prop_enum(c, "tickpolicy", vk_timer_tickpolicy_from_string,
                                     VK_XML_NONZERO, &t.tickpolicy, reterr) < 0 ||
                    vk_xml_prop_tristate_bool(c, "present", 0, &t.present, reterr) < 0 ||
                    vk_xml_prop_enum(c, "track", vk_timer_track_from_string, VK_XML_NONZERO,
                                     &t.track, reterr) < 0)
                        return -EINVAL;
                if (t.track != VK_TIMER_TRACK_NONE && t.name != VK_TIMER_RTC)
                        return vk_xml_error(c, "track", reterr, "only allowed for the rtc timer");
                for (size_t i = 0; i < def->n_timers; i++)
                        if (def->timers[i].name == t.name)
                                return vk_xml_error(c, "name", reterr, "timer '%s' listed twice",
                                                    vk_timer_name_to_string(t.name));
                def->timers = g_renew(VkDomainTimer, def->timers, def->n_timers + 1);
                def->timers[def->n_timers++] = t;
        }
        return 0;
}

static int domain_parse_lifecycle(xmlNode *node, VkLifecycleAction *ret, VkError *reterr) {
        g_autofree char *text = NULL;
        VkLifecycleAction a;
        int r;

        r = domain_parse_text(node, VK_XML_REQUIRED, &text, reterr);
        if (r < 0)
                return r;
        a = vk_lifecycle_action_from_string(text);
        if (a < 0)
                return vk_xml_error(node, NULL, reterr, "unsupported value '%s'", text);
        if (a == VK_LIFECYCLE_RENAME_RESTART && !vk_xml_node_is(node, NULL, "on_reboot") &&
            !vk_xml_node_is(node, NULL, "on_poweroff"))
                return vk_xml_error(node, NULL, reterr, "unsupported value '%s'", text);
        *ret = a;
        return 0;
}

static int domain_parse_pm(VkDomainDef *def, xmlNode *node, VkError *reterr) {
        int r;

        r = vk_xml_check_node(node, VK_XML_NONE, VK_STRV("suspend-to-mem", "suspend-to-disk"),
                              reterr);
        if (r < 0)
                return r;
        r = vk_xml_check_unique(node, VK_STRV("suspend-to-mem", "suspend-to-disk"), reterr);
        if (r < 0)
                return r;
        for (xmlNode *c = vk_xml_first_element(node); c; c = vk_xml_next_element(c)) {
                VkTristate *slot = vk_xml_node_is(c, NULL, "suspend-to-mem")
                                           ? &def->pm_suspend_to_mem
                                           : &def->pm_suspend_to_disk;

                r = vk_xml_check_node(c, VK_STRV("enabled"), VK_XML_NONE, reterr);
                if (r < 0)
                        return r;
                r = vk_xml_prop_tristate_bool(c, "enabled", VK_XML_REQUIRED, slot, reterr);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int domain_parse_seclabel(VkDomainDef *def, xmlNode *node, unsigned flags, VkError *reterr) {
        VkSeclabel s = { .type = VK_SECLABEL_DYNAMIC };
        int r;

        r = vk_xml_check_node(node, VK_STRV("type", "model", "relabel"),
                              VK_STRV("label", "imagelabel", "baselabel"), reterr);
        if (r < 0)
                return r;
        r = vk_xml_check_unique(node, VK_STRV("label", "imagelabel", "baselabel"), reterr);
        if (r < 0)
                return r;
        if (def->n_seclabels >= _VK_SECLABEL_MODEL_MAX)
                return vk_xml_error(node, NULL, reterr, "too many <seclabel> elements");

        if (vk_xml_prop_enum(node, "type", vk_seclabel_type_from_string, 0, &s.type, reterr) < 0 ||
            vk_xml_prop_tristate_bool(node, "relabel", 0, &s.relabel, reterr) < 0)
                return -EINVAL;
        r = vk_xml_prop_enum(node, "model", vk_seclabel_model_from_string, 0, &s.model, reterr);
        if (r < 0)
                return r;
        s.has_model = r > 0;

        /* model='none' is the null driver: nothing but type='none' fits it (libvirt's rule) */
        if (s.has_model && s.model == VK_SECLABEL_MODEL_NONE) {
                if (!xmlHasProp(node, (const xmlChar *) "type"))
                        s.type = VK_SECLABEL_NONE;
                if (s.type != VK_SECLABEL_NONE)
                        return vk_xml_error(node, "type", reterr,
                                            "type='%s' is not allowed with model='none'",
                                            vk_seclabel_type_to_string(s.type));
        }
        /*
         * A config asks for relabelling with a dynamic label. The live form also records a
         * dynamic label that was assigned but not applied to files (QEMU runs as we do, or
         * dynamic_ownership=0): status files and live XML carry relabel='no' then.
         */
        if (s.type == VK_SECLABEL_DYNAMIC && s.relabel == VK_TRISTATE_NO &&
            !(flags & VK_DOMAIN_DEF_PARSE_LIVE))
                return vk_xml_error(node, "relabel", reterr,
                                    "relabel='no' is not allowed with type='dynamic'");
        if (s.type == VK_SECLABEL_NONE && s.relabel == VK_TRISTATE_YES)
                return vk_xml_error(node, "relabel", reterr,
                                    "relabel='yes' is not allowed with type='none'");

        for (xmlNode *c = vk_xml_first_element(node); c; c = vk_xml_next_element(c)) {
                bool live_only = false;
                char **slot;

                if (vk_xml_node_is(c, NULL, "label")) {
                        slot = &s.label;
                        live_only = s.type == VK_SECLABEL_DYNAMIC;
                } else if (vk_xml_node_is(c, NULL, "imagelabel")) {
                        slot = &s.imagelabel;
                        live_only = s.type == VK_SECLABEL_DYNAMIC;
                } else
                        slot = &s.baselabel;

                if (s.type == VK_SECLABEL_NONE ||
                    (slot == &s.baselabel && s.type != VK_SECLABEL_DYNAMIC)) {
                        g_free(s.label);
                        g_free(s.imagelabel);
                        g_free(s.baselabel);
                        return vk_xml_error(c, NULL, reterr, "not allowed with type='%s'",
                                            vk_seclabel_type_to_string(s.type));
                }
                /* assigned labels of a running domain: kept for status, dropped on define */
                if (live_only && !(flags & VK_DOMAIN_DEF_PARSE_LIVE))
                        continue;
                r = domain_parse_text(c, VK_XML_REQUIRED, slot, reterr);
                if (r < 0) {
                        g_free(s.label);
                        g_free(s.imagelabel);
                        g_free(s.baselabel);
                        return r;
                }
        }

        if (s.type == VK_SECLABEL_STATIC && !s.label) {
                g_free(s.imagelabel);
                return vk_xml_error(node, NULL, reterr, "type='static' needs a <label>");
        }
        if (s.type == VK_SECLABEL_DYNAMIC && s.relabel == VK_TRISTATE_ABSENT)
                s.relabel = VK_TRISTATE_YES;
        if (s.type == VK_SECLABEL_STATIC && s.relabel == VK_TRISTATE_ABSENT)
                s.relabel = VK_TRISTATE_NO;

        def->seclabels = g_renew(VkSeclabel, def->seclabels, def->n_seclabels + 1);
        def->seclabels[def->n_seclabels++] = s;
        return 0;
}

static int domain_check_seclabels(VkDomainDef *def, xmlNode *root, VkError *reterr) {
        for (size_t i = 0; i < def->n_seclabels; i++) {
                if (!def->seclabels[i].has_model && def->n_seclabels > 1)
                        return vk_xml_error(root, NULL, reterr,
                                            "each of several <seclabel> elements needs a model");
                for (size_t j = 0; j < i; j++)
                        if (def->seclabels[i].has_model && def->seclabels[j].has_model &&
                            def->seclabels[i].model == def->seclabels[j].model)
                                return vk_xml_error(
                                        root, NULL, reterr,
                                        "more than one <seclabel> for model '%s'",
                                        vk_seclabel_model_to_string(def->seclabels[i].model));
        }
        return 0;
}

static int domain_parse_root(xmlNode *root, unsigned flags, VkDomainDef **ret_def,
                             VkError *reterr) {
        g_autoptr(VkDomainDef) def = vk_domain_def_new();
        bool have_uuid = false, have_memory = false, have_vcpu = false, have_current = false;
        xmlNode *devices = NULL;
        int r;

        if (!vk_xml_node_is(root, NULL, "domain"))
                return vk_xml_error(root, NULL, reterr,
                                    "unsupported root element, expected "
                                    "<domain>");

        r = vk_xml_check_node(
                root, VK_STRV("type", "id"),
                VK_STRV("name", "uuid", "genid", "title", "description", "metadata", "maxMemory",
                        "memory", "currentMemory", "memoryBacking", "vcpu", "iothreads",
                        "iothreadids", "cputune", "sysinfo", "os", "features", "cpu", "clock",
                        "on_poweroff", "on_reboot", "on_crash", "pm", "devices", "seclabel",
                        "{" VK_QEMU_NS_HREF "}commandline", "{" VK_QEMU_NS_HREF "}capabilities",
                        "{" VK_QEMU_NS_HREF "}deprecation", "{" VK_QEMU_NS_HREF "}override"),
                reterr);
        if (r < 0)
                return r;
        r = vk_xml_check_unique(root,
                                VK_STRV("name", "uuid", "genid", "title", "description", "metadata",
                                        "maxMemory", "memory", "currentMemory", "memoryBacking",
                                        "vcpu", "iothreads", "iothreadids", "cputune", "os",
                                        "features", "cpu", "clock", "on_poweroff", "on_reboot",
                                        "on_crash", "pm", "devices"),
                                reterr);
        if (r < 0)
                return r;

        r = vk_xml_prop_enum(root, "type", vk_domain_virt_from_string, VK_XML_REQUIRED,
                             &def->virt_type, reterr);
        if (r < 0)
                return r;
        if (def->virt_type == VK_DOMAIN_VIRT_HVF)
                return vk_xml_error(root, "type", reterr,
                                    "domain type 'hvf' is not supported on Linux "
                                    "(Hypervisor.framework exists only on macOS); use 'kvm' or "
                                    "'qemu'");
        /* id= is runtime state: a config copied from a running domain has it, define drops it */
        if (flags & VK_DOMAIN_DEF_PARSE_LIVE) {
                r = vk_xml_prop_int(root, "id", 0, &def->id, reterr);
                if (r < 0)
                        return r;
        }

        for (xmlNode *c = vk_xml_first_element(root); c; c = vk_xml_next_element(c)) {
                if (vk_domain_ns_is_qemu(c))
                        r = vk_domain_ns_parse(def, c, reterr);
                else if (vk_xml_node_is(c, NULL, "name"))
                        r = domain_parse_name(def, c, reterr);
                else if (vk_xml_node_is(c, NULL, "uuid")) {
                        r = domain_parse_uuid_text(c, &def->uuid, reterr);
                        have_uuid = true;
                } else if (vk_xml_node_is(c, NULL, "genid")) {
                        g_autofree char *text = NULL;

                        def->has_genid = true;
                        r = vk_xml_check_node(c, VK_XML_NONE, NULL, reterr);
                        if (r >= 0)
                                r = vk_xml_node_text(c, 0, &text, reterr);
                        if (r == 0)
                                def->genid_generated = true;
                        else if (r > 0 && vk_uuid_parse(text, &def->genid) < 0)
                                r = vk_xml_error(c, NULL, reterr, "invalid UUID '%s'", text);
                } else if (vk_xml_node_is(c, NULL, "title")) {
                        r = domain_parse_text(c, 0, &def->title, reterr);
                        if (r >= 0 && def->title && strchr(def->title, '\n'))
                                r = vk_xml_error(c, NULL, reterr,
                                                 "title must not contain newlines");
                } else if (vk_xml_node_is(c, NULL, "description"))
                        r = domain_parse_text(c, 0, &def->description, reterr);
                else if (vk_xml_node_is(c, NULL, "metadata"))
                        r = vk_xml_metadata_parse(c, VK_DOMAIN_METADATA_MAX, &def->metadata,
                                                  reterr);
                else if (vk_xml_node_is(c, NULL, "maxMemory")) {
                        r = domain_parse_memory(c, VK_STRV("slots"), &def->max_memory_kib, reterr);
                        if (r >= 0)
                                r = vk_xml_prop_uint(c, "slots", VK_XML_REQUIRED | VK_XML_NONZERO,
                                                     &def->max_memory_slots, reterr);
                        if (r >= 0 && def->max_memory_slots > 255)
                                r = vk_xml_error(c, "slots", reterr,
                                                 "value %u out of range (1-255)",
                                                 def->max_memory_slots);
                } else if (vk_xml_node_is(c, NULL, "memory")) {
                        r = domain_parse_memory(c, NULL, &def->memory_kib, reterr);
                        have_memory = true;
                } else if (vk_xml_node_is(c, NULL, "currentMemory")) {
                        r = domain_parse_memory(c, NULL, &def->current_memory_kib, reterr);
                        have_current = true;
                } else if (vk_xml_node_is(c, NULL, "vcpu")) {
                        r = domain_parse_vcpu(def, c, reterr);
                        have_vcpu = true;
                } else if (vk_xml_node_is(c, NULL, "os"))
                        r = domain_parse_os(def, c, reterr);
                else if (vk_xml_node_is(c, NULL, "features"))
                        r = domain_parse_features(def, c, reterr);
                else if (vk_xml_node_is(c, NULL, "cpu"))
                        r = vk_domain_cpu_parse(def, c, reterr);
                else if (vk_xml_node_is(c, NULL, "clock"))
                        r = domain_parse_clock(def, c, reterr);
                else if (vk_xml_node_is(c, NULL, "on_poweroff"))
                        r = domain_parse_lifecycle(c, &def->on_poweroff, reterr);
                else if (vk_xml_node_is(c, NULL, "on_reboot"))
                        r = domain_parse_lifecycle(c, &def->on_reboot, reterr);
                else if (vk_xml_node_is(c, NULL, "on_crash"))
                        r = domain_parse_lifecycle(c, &def->on_crash, reterr);
                else if (vk_xml_node_is(c, NULL, "pm"))
                        r = domain_parse_pm(def, c, reterr);
                else if (vk_domain_tune_element(c))
                        r = vk_domain_tune_parse(def, c, reterr);
                else if (vk_xml_node_is(c, NULL, "seclabel"))
                        r = domain_parse_seclabel(def, c, flags, reterr);
                else if (vk_xml_node_is(c, NULL, "sysinfo"))
                        r = vk_domain_sysinfo_parse(def, c, reterr);
                else {
                        assert(vk_xml_node_is(c, NULL, "devices"));
                        devices = c;
                        r = 0;
                }
                if (r < 0)
                        return r;
        }

        if (!def->name)
                return vk_xml_error(root, NULL, reterr, "missing <name> element");
        if (!have_memory)
                return vk_xml_error(root, NULL, reterr, "missing <memory> element");
        if (def->memory_kib == 0)
                return vk_xml_error(root, NULL, reterr, "<memory> must be at least 1 KiB");
        if (!def->os_type)
                return vk_xml_error(root, NULL, reterr, "missing <os> element");
        if (!have_vcpu)
                def->vcpus = 1;
        if (!have_current)
                def->current_memory_kib = def->memory_kib;
        else if (def->current_memory_kib > def->memory_kib)
                return vk_xml_error(root, NULL, reterr,
                                    "<currentMemory> %llu KiB exceeds <memory> %llu KiB",
                                    def->current_memory_kib, def->memory_kib);
        if (def->max_memory_kib && def->max_memory_kib < def->memory_kib)
                return vk_xml_error(root, NULL, reterr,
                                    "<maxMemory> %llu KiB is less than <memory> %llu KiB",
                                    def->max_memory_kib, def->memory_kib);
        if (def->cpu.sockets) {
                unsigned long long n = (unsigned long long) def->cpu.sockets *
                                       MAX(def->cpu.dies, 1) * def->cpu.cores * def->cpu.threads;

                if (n != def->vcpus)
                        return vk_xml_error(root, NULL, reterr,
                                            "CPU topology (%llu CPUs) does not match <vcpu> %u", n,
                                            def->vcpus);
        }
        r = domain_check_seclabels(def, root, reterr);
        if (r >= 0)
                r = vk_domain_cpu_check(def, root, reterr);
        if (r >= 0)
                r = vk_domain_tune_check(def, root, reterr);
        if (r >= 0)
                r = vk_domain_sysinfo_check(def, root, &have_uuid, reterr);
        if (r < 0)
                return r;

        if (!have_uuid)
                domain_uuid_generate(&def->uuid);
        if (def->arch == VK_DOMAIN_ARCH_NONE)
                def->arch = VK_DOMAIN_ARCH_X86_64;
        if (!def->machine) {
                def->machine = g_strdup("pc");
                def->machine_kind = VK_MACHINE_PC;
        }

        if (devices) {
                r = vk_domain_devices_parse(def, devices, flags, reterr);
                if (r < 0)
                        return r;
        }

        *ret_def = g_steal_pointer(&def);
        return 0;
}

/* The path both parse entry points share once they hold the document. */
static int domain_parse_doc(xmlDoc *doc, unsigned flags, VkDomainDef **ret_def, VkError *reterr) {
        g_autoptr(VkDomainDef) def = NULL;
        int r;

        r = domain_parse_root(xmlDocGetRootElement(doc), flags, &def, reterr);
        if (r < 0)
                return r;

        if (!(flags & VK_DOMAIN_DEF_PARSE_SKIP_POST_PARSE)) {
                r = vk_domain_def_post_parse(def, reterr);
                if (r < 0)
                        return r;
        }

        *ret_def = g_steal_pointer(&def);
        return 0;
}

/*
 * Parse libvirt domain XML from @xml into a new definition and run post-parse (defaults,
 * implicit devices, addresses) unless VK_DOMAIN_DEF_PARSE_SKIP_POST_PARSE is in @flags.
 *
 *   <domain type='kvm'>
 *     <name>demo</name> <memory unit='MiB'>512</memory> <os><type>hvm</type></os>
 *     <devices>...</devices>
 *   </domain>
 *
 * Anything the model does not support is an InvalidXML error naming its path. On success the
 * caller owns *ret_def. Pure function of its input (plus the random source for missing UUIDs
 * and MACs); may run on the loop.
 */
int vk_domain_def_parse_string(const char *xml, unsigned flags, VkDomainDef **ret_def,
                               VkError *reterr) {
        g_autoptr(xmlDoc) doc = NULL;
        int r;

        assert(xml);
        assert(ret_def);

        r = vk_xml_read_string(xml, "domain XML", &doc, reterr);
        if (r < 0)
                return r;
        return domain_parse_doc(doc, flags, ret_def, reterr);
}

/*
 * Like vk_domain_def_parse_string() with the document read from @path (a regular file of at
 * most VK_XML_SIZE_MAX bytes). Reads a file: not for the loop with untrusted slow storage.
 */
int vk_domain_def_parse_file(const char *path, unsigned flags, VkDomainDef **ret_def,
                             VkError *reterr) {
        g_autoptr(xmlDoc) doc = NULL;
        int r;

        assert(path);
        assert(ret_def);

        r = vk_xml_read_file(path, &doc, reterr);
        if (r < 0)
                return r;
        return domain_parse_doc(doc, flags, ret_def, reterr);
}

/*
 * Post-parse: fill defaults that depend on more than one element (disk buses, MACs, console
 * mirroring serial 0, video and memballoon defaults), add the implicit controllers and inputs
 * of the machine, check cross-device rules (duplicate targets, boot orders), then assign
 * addresses with vk_domain_def_assign_addresses(). Idempotent: running it on its own output
 * changes nothing, which is what makes format(parse(format(parse(x)))) stable.
 */
int vk_domain_def_post_parse(VkDomainDef *def, VkError *reterr) {
        int r;

        assert(def);

        r = vk_domain_post_parse_devices(def, reterr);
        if (r < 0)
                return r;
        r = vk_domain_def_assign_addresses(def, def->machine_kind, reterr);
        if (r < 0)
                return r;
        /* the controllers were taken by type and index; formatted, they are in libvirt's
         * order: as written, the implicit ones after in the order they were added */
        vk_domain_order_controllers(def);
        return 0;
}
