/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-caps-xml.c: libvirt's <capabilities> and <domainCapabilities> XML from QEMU caps */
#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "macro.h"
#include "qemu-caps-hostcpu.h"
#include "qemu-caps-xml.h"

/*
 * Both documents follow libvirt's formats (docs/formatcaps.rst, docs/formatdomaincaps.rst)
 * and are pure functions of their inputs: lists come sorted or in libvirt's enum order, no
 * host file is read. Only what virtkit can run is advertised.
 */

static void xml_printf(GString *out, int indent, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

static void xml_printf(GString *out, int indent, const char *fmt, ...) {
        va_list ap;

        for (int i = 0; i < indent; i++)
                g_string_append_c(out, ' ');
        va_start(ap, fmt);
        g_string_append_vprintf(out, fmt, ap);
        va_end(ap);
        g_string_append_c(out, '\n');
}

/* <name>text</name> with the text escaped */
static void xml_text(GString *out, int indent, const char *name, const char *text) {
        g_autofree char *esc = g_markup_escape_text(text, -1);
        xml_printf(out, indent, "<%s>%s</%s>", name, esc, name);
}

static unsigned caps_arch_wordsize(const char *arch) {
        static const char *const arch32[] = { "i686", "armv7l",  "ppc",  "mips", "mipsel",
                                              "sh4",  "riscv32", "m68k", "sparc" };
        for (size_t i = 0; i < VK_ELEMENTSOF(arch32); i++)
                if (strcmp(arch32[i], arch) == 0)
                        return 32;
        return 64;
}

static bool caps_arch_is_x86(const char *arch) {
        return strcmp(arch, "x86_64") == 0 || strcmp(arch, "i686") == 0;
}

static int caps_compare_arch(const void *a, const void *b) {
        const VkQemuCaps *x = *(VkQemuCaps *const *) a;
        const VkQemuCaps *y = *(VkQemuCaps *const *) b;
        return strcmp(vk_qemu_caps_get_arch(x), vk_qemu_caps_get_arch(y));
}

static void format_guest(GString *out, const VkQemuCaps *caps) {
        const char *arch = vk_qemu_caps_get_arch(caps);
        const VkQemuMachine *machines, *def;
        g_autofree char *emu = g_markup_escape_text(vk_strempty(vk_qemu_caps_get_binary(caps)), -1);
        size_t n;

        machines = vk_qemu_caps_get_machines(caps, &n);
        def = vk_qemu_caps_get_default_machine(caps);

        xml_printf(out, 2, "<guest>");
        xml_printf(out, 4, "<os_type>hvm</os_type>");
        xml_printf(out, 4, "<arch name='%s'>", arch);
        xml_printf(out, 6, "<wordsize>%u</wordsize>", caps_arch_wordsize(arch));
        xml_printf(out, 6, "<emulator>%s</emulator>", emu);
        /* libvirt lists the default machine first: clients pick the first one */
        for (int pass = 0; pass < 2; pass++)
                for (size_t i = 0; i < n; i++) {
                        const VkQemuMachine *m = &machines[i];
                        if ((pass == 0) != (m == def))
                                continue;
                        if (m->alias)
                                xml_printf(out, 6,
                                           "<machine canonical='%s' maxCpus='%u'%s>%s</machine>",
                                           m->name, m->max_cpus,
                                           m->deprecated ? " deprecated='yes'" : "", m->alias);
                        xml_printf(out, 6, "<machine maxCpus='%u'%s>%s</machine>", m->max_cpus,
                                   m->deprecated ? " deprecated='yes'" : "", m->name);
                }
        xml_printf(out, 6, "<domain type='qemu'/>");
        if (vk_qemu_caps_kvm_usable(caps))
                xml_printf(out, 6, "<domain type='kvm'/>");
        xml_printf(out, 4, "</arch>");
        xml_printf(out, 4, "<features>");
        xml_printf(out, 6, "<acpi default='on' toggle='yes'/>");
        if (caps_arch_is_x86(arch)) {
                xml_printf(out, 6, "<apic default='on' toggle='no'/>");
                xml_printf(out, 6, "<pae/>");
                if (strcmp(arch, "i686") == 0)
                        xml_printf(out, 6, "<nonpae/>");
        }
        xml_printf(out, 6, "<cpuselection/>");
        xml_printf(out, 6, "<deviceboot/>");
        xml_printf(out, 6, "<disksnapshot default='on' toggle='no'/>");
        xml_printf(out, 4, "</features>");
        xml_printf(out, 2, "</guest>");
}

/*
 * Format libvirt's <capabilities> for the host described by @host and the emulators in
 * @caps (one <guest> per emulator, sorted by arch), with one <secmodel> per @secmodels
 * entry in the given order (the security stack order). *@ret is a new string. Pure.
 */
int vk_qemu_caps_format_capabilities_xml(const VkQemuHostInfo *host, VkQemuCaps *const *caps,
                                         size_t n_caps, const VkQemuSecModel *secmodels,
                                         size_t n_secmodels, char **ret, VkError *reterr) {
        g_autoptr(GString) out = g_string_new(NULL);
        g_autofree VkQemuCaps **sorted = NULL;

        assert(host);
        assert(caps || n_caps == 0);
        assert(ret);

        if (!host->arch)
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "Host architecture unknown");

        xml_printf(out, 0, "<capabilities>");
        g_string_append_c(out, '\n');
        xml_printf(out, 2, "<host>");
        if (host->uuid)
                xml_text(out, 4, "uuid", host->uuid);
        xml_printf(out, 4, "<cpu>");
        xml_text(out, 6, "arch", host->arch);
        if (host->cpu_model)
                xml_text(out, 6, "model", host->cpu_model);
        if (host->cpu_vendor)
                xml_text(out, 6, "vendor", host->cpu_vendor);
        xml_printf(out, 4, "</cpu>");
        for (size_t i = 0; i < n_secmodels; i++) {
                const VkQemuSecModel *s = &secmodels[i];
                xml_printf(out, 4, "<secmodel>");
                xml_text(out, 6, "model", vk_strempty(s->model));
                xml_text(out, 6, "doi", vk_strempty(s->doi));
                for (size_t j = 0; s->baselabels && s->baselabels[j] && s->baselabels[j + 1];
                     j += 2) {
                        g_autofree char *label = g_markup_escape_text(s->baselabels[j + 1], -1);
                        xml_printf(out, 6, "<baselabel type='%s'>%s</baselabel>", s->baselabels[j],
                                   label);
                }
                xml_printf(out, 4, "</secmodel>");
        }
        xml_printf(out, 2, "</host>");

        sorted = g_memdup2(caps, sizeof(VkQemuCaps *) * MAX(n_caps, 1));
        if (n_caps > 1) /* qsort(NULL, 0, ...) is undefined */
                qsort(sorted, n_caps, sizeof(VkQemuCaps *), caps_compare_arch);
        for (size_t i = 0; i < n_caps; i++) {
                g_string_append_c(out, '\n');
                format_guest(out, sorted[i]);
        }
        g_string_append_c(out, '\n');
        xml_printf(out, 0, "</capabilities>");

        *ret = g_string_free(g_steal_pointer(&out), FALSE);
        return 0;
}

/* <enum name='@name'> with the NULL-terminated @values that are non-empty. */
static void format_enum(GString *out, int indent, const char *name, const char *const *values) {
        bool any = false;

        for (size_t i = 0; values[i]; i++)
                any = any || values[i][0];
        if (!any) {
                xml_printf(out, indent, "<enum name='%s'/>", name);
                return;
        }
        xml_printf(out, indent, "<enum name='%s'>", name);
        for (size_t i = 0; values[i]; i++)
                if (values[i][0])
                        xml_printf(out, indent + 2, "<value>%s</value>", values[i]);
        xml_printf(out, indent, "</enum>");
}

/* "" when @cond is false: format_enum() skips empty values. */
#define IF(cond, s) ((cond) ? (s) : "")

/* The host model as libvirt shows it: every feature, the non-migratable ones (invtsc) too. */
static void format_host_model(GString *out, const VkQemuHostCpu *hc) {
        g_autofree char *model = NULL;

        if (!hc) {
                /* computed for the accelerator the probe ran under only */
                xml_printf(out, 4, "<mode name='host-model' supported='no'/>");
                return;
        }
        model = g_markup_escape_text(hc->model, -1);
        xml_printf(out, 4, "<mode name='host-model' supported='yes'>");
        xml_printf(out, 6, "<model fallback='forbid'>%s</model>", model);
        if (hc->vendor)
                xml_text(out, 6, "vendor", hc->vendor);
        for (size_t i = 0; i < hc->n_features; i++) {
                g_autofree char *name =
                        g_markup_escape_text(vk_cpu_feature_from_qemu(hc->features[i].name), -1);
                xml_printf(out, 6, "<feature policy='%s' name='%s'/>",
                           hc->features[i].enabled ? "require" : "disable", name);
        }
        xml_printf(out, 4, "</mode>");
}

static void format_cpu(GString *out, const VkQemuCaps *caps, bool kvm) {
        const VkQemuCpuModel *models;
        size_t n;

        models = vk_qemu_caps_get_cpu_models(caps, &n);
        xml_printf(out, 2, "<cpu>");
        if (kvm) {
                xml_printf(out, 4, "<mode name='host-passthrough' supported='yes'>");
                format_enum(out, 6, "hostPassthroughMigratable", VK_STRV("on", "off"));
                xml_printf(out, 4, "</mode>");
        } else
                xml_printf(out, 4, "<mode name='host-passthrough' supported='no'/>");
        xml_printf(out, 4, "<mode name='maximum' supported='yes'>");
        format_enum(out, 6, "maximumMigratable", VK_STRV("on", "off"));
        xml_printf(out, 4, "</mode>");
        format_host_model(out, vk_qemu_caps_get_host_cpu(caps, kvm));
        xml_printf(out, 4, "<mode name='custom' supported='yes'>");
        for (size_t i = 0; i < n; i++) {
                const VkQemuCpuModel *m = &models[i];
                /* usability was computed under the accelerator of the probe (KVM) */
                const char *usable = !kvm ? "unknown" : m->usable ? "yes" : "no";
                if (strcmp(m->name, "host") == 0 || strcmp(m->name, "max") == 0 ||
                    strcmp(m->name, "base") == 0)
                        continue;
                xml_printf(out, 6, "<model usable='%s'%s>%s</model>", usable,
                           m->deprecated ? " deprecated='yes'" : "", m->name);
        }
        xml_printf(out, 4, "</mode>");
        xml_printf(out, 2, "</cpu>");
}

static void format_devices(GString *out, const VkQemuCaps *caps, const char *machine) {
        bool i440fx = g_str_has_prefix(machine, "pc-i440fx-") || strcmp(machine, "pc") == 0;
        bool q35 = g_str_has_prefix(machine, "pc-q35-") || strcmp(machine, "q35") == 0;
        bool x86 = caps_arch_is_x86(vk_qemu_caps_get_arch(caps));

        xml_printf(out, 2, "<devices>");

        xml_printf(out, 4, "<disk supported='yes'>");
        format_enum(out, 6, "diskDevice", VK_STRV("disk", "cdrom", IF(x86, "floppy"), "lun"));
        format_enum(out, 6, "bus",
                    VK_STRV(IF(i440fx, "ide"), IF(x86, "fdc"),
                            IF(vk_qemu_caps_has(caps, VK_QEMU_CAPS_VIRTIO_SCSI), "scsi"), "virtio",
                            IF(vk_qemu_caps_has(caps, VK_QEMU_CAPS_USB_STORAGE), "usb"),
                            IF(q35 && vk_qemu_caps_has(caps, VK_QEMU_CAPS_ICH9_AHCI), "sata")));
        format_enum(out, 6, "model",
                    VK_STRV("virtio", "virtio-transitional", "virtio-non-transitional"));
        xml_printf(out, 4, "</disk>");

        xml_printf(out, 4, "<graphics supported='yes'>");
        format_enum(out, 6, "type",
                    VK_STRV(IF(vk_qemu_caps_has(caps, VK_QEMU_CAPS_VNC), "vnc"),
                            IF(vk_qemu_caps_has(caps, VK_QEMU_CAPS_SPICE), "spice"),
                            IF(vk_qemu_caps_has(caps, VK_QEMU_CAPS_DBUS_DISPLAY), "dbus")));
        xml_printf(out, 4, "</graphics>");

        xml_printf(out, 4, "<video supported='yes'>");
        format_enum(out, 6, "modelType",
                    VK_STRV(IF(vk_qemu_caps_has(caps, VK_QEMU_CAPS_VGA), "vga"),
                            IF(vk_qemu_caps_has(caps, VK_QEMU_CAPS_CIRRUS_VGA), "cirrus"),
                            IF(vk_qemu_caps_has(caps, VK_QEMU_CAPS_VMWARE_SVGA), "vmvga"),
                            IF(vk_qemu_caps_has(caps, VK_QEMU_CAPS_QXL), "qxl"),
                            IF(vk_qemu_caps_has(caps, VK_QEMU_CAPS_VIRTIO_GPU), "virtio"), "none",
                            IF(vk_qemu_caps_has(caps, VK_QEMU_CAPS_BOCHS_DISPLAY), "bochs"),
                            IF(vk_qemu_caps_has(caps, VK_QEMU_CAPS_RAMFB), "ramfb")));
        xml_printf(out, 4, "</video>");

        xml_printf(out, 4, "<hostdev supported='yes'>");
        format_enum(out, 6, "mode", VK_STRV("subsystem"));
        format_enum(out, 6, "startupPolicy",
                    VK_STRV("default", "mandatory", "requisite", "optional"));
        format_enum(
                out, 6, "subsysType",
                VK_STRV("usb", IF(vk_qemu_caps_has(caps, VK_QEMU_CAPS_VFIO_PCI), "pci"), "scsi"));
        format_enum(out, 6, "capsType", VK_STRV(""));
        format_enum(out, 6, "pciBackend",
                    VK_STRV(IF(vk_qemu_caps_has(caps, VK_QEMU_CAPS_VFIO_PCI), "default"),
                            IF(vk_qemu_caps_has(caps, VK_QEMU_CAPS_VFIO_PCI), "vfio")));
        xml_printf(out, 4, "</hostdev>");

        if (vk_qemu_caps_has(caps, VK_QEMU_CAPS_VIRTIO_RNG)) {
                xml_printf(out, 4, "<rng supported='yes'>");
                format_enum(out, 6, "model",
                            VK_STRV("virtio", "virtio-transitional", "virtio-non-transitional"));
                format_enum(
                        out, 6, "backendModel",
                        VK_STRV(IF(vk_qemu_caps_has(caps, VK_QEMU_CAPS_RNG_RANDOM), "random"),
                                IF(vk_qemu_caps_has(caps, VK_QEMU_CAPS_RNG_EGD), "egd"),
                                IF(vk_qemu_caps_has(caps, VK_QEMU_CAPS_RNG_BUILTIN), "builtin")));
                xml_printf(out, 4, "</rng>");
        } else
                xml_printf(out, 4, "<rng supported='no'/>");

        if (vk_qemu_caps_has(caps, VK_QEMU_CAPS_TPM_TIS) ||
            vk_qemu_caps_has(caps, VK_QEMU_CAPS_TPM_CRB)) {
                xml_printf(out, 4, "<tpm supported='yes'>");
                format_enum(out, 6, "model",
                            VK_STRV(IF(vk_qemu_caps_has(caps, VK_QEMU_CAPS_TPM_TIS), "tpm-tis"),
                                    IF(vk_qemu_caps_has(caps, VK_QEMU_CAPS_TPM_CRB), "tpm-crb")));
                format_enum(
                        out, 6, "backendModel",
                        VK_STRV(IF(vk_qemu_caps_has(caps, VK_QEMU_CAPS_TPM_PASSTHROUGH),
                                   "passthrough"),
                                IF(vk_qemu_caps_has(caps, VK_QEMU_CAPS_TPM_EMULATOR), "emulator")));
                xml_printf(out, 4, "</tpm>");
        } else
                xml_printf(out, 4, "<tpm supported='no'/>");

        xml_printf(out, 2, "</devices>");
}

/*
 * Format libvirt's <domainCapabilities> for emulator @caps, machine @machine (NULL: the
 * default machine; an alias is resolved to its canonical name) and @virttype ("kvm" or
 * "qemu"). Fails with VK_ERROR_NOT_SUPPORTED for an unknown machine or an unavailable
 * virttype. *@ret is a new string. Pure.
 */
int vk_qemu_caps_format_domain_capabilities_xml(const VkQemuCaps *caps, const char *machine,
                                                const char *virttype, char **ret, VkError *reterr) {
        g_autoptr(GString) out = g_string_new(NULL);
        g_autofree char *emu = NULL;
        const VkQemuMachine *m;
        bool kvm;

        assert(caps);
        assert(ret);

        if (!virttype)
                virttype = vk_qemu_caps_kvm_usable(caps) ? "kvm" : "qemu";
        if (strcmp(virttype, "kvm") == 0) {
                if (!vk_qemu_caps_kvm_usable(caps))
                        return vk_error_set(reterr, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                            "KVM is not available for '%s'",
                                            vk_strempty(vk_qemu_caps_get_binary(caps)));
                kvm = true;
        } else if (strcmp(virttype, "qemu") == 0)
                kvm = false;
        else
                return vk_error_set(reterr, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                    "Virtualization type '%s' is not supported", virttype);

        m = machine ? vk_qemu_caps_find_machine(caps, machine)
                    : vk_qemu_caps_get_default_machine(caps);
        if (!m)
                return vk_error_set(reterr, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                    "Machine type '%s' is not supported by '%s'",
                                    vk_strempty(machine),
                                    vk_strempty(vk_qemu_caps_get_binary(caps)));

        emu = g_markup_escape_text(vk_strempty(vk_qemu_caps_get_binary(caps)), -1);
        xml_printf(out, 0, "<domainCapabilities>");
        xml_printf(out, 2, "<path>%s</path>", emu);
        xml_printf(out, 2, "<domain>%s</domain>", virttype);
        xml_printf(out, 2, "<machine>%s</machine>", m->name);
        xml_printf(out, 2, "<arch>%s</arch>", vk_qemu_caps_get_arch(caps));
        xml_printf(out, 2, "<vcpu max='%u'/>", m->max_cpus);
        xml_printf(out, 2, "<iothreads supported='yes'/>");
        xml_printf(out, 2, "<os supported='yes'>");
        xml_printf(out, 4, "<loader supported='yes'>");
        format_enum(out, 6, "type", VK_STRV("rom", "pflash"));
        format_enum(out, 6, "readonly", VK_STRV("yes", "no"));
        format_enum(out, 6, "secure", VK_STRV("no"));
        xml_printf(out, 4, "</loader>");
        xml_printf(out, 2, "</os>");
        format_cpu(out, caps, kvm);
        xml_printf(out, 2, "<memoryBacking supported='yes'>");
        format_enum(out, 4, "sourceType", VK_STRV("file", "anonymous", "memfd"));
        xml_printf(out, 2, "</memoryBacking>");
        format_devices(out, caps, m->name);
        xml_printf(out, 2, "<features>");
        xml_printf(out, 4, "<vmcoreinfo supported='%s'/>",
                   vk_qemu_caps_has(caps, VK_QEMU_CAPS_VMCOREINFO) ? "yes" : "no");
        xml_printf(out, 4, "<genid supported='%s'/>",
                   vk_qemu_caps_has(caps, VK_QEMU_CAPS_VMGENID) ? "yes" : "no");
        xml_printf(out, 2, "</features>");
        xml_printf(out, 0, "</domainCapabilities>");

        *ret = g_string_free(g_steal_pointer(&out), FALSE);
        return 0;
}
