/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-domain-base.c: what every domain model file uses: enum spellings, the random source,
 * small value helpers, device info (<boot>, <alias>, <address>), what the device parsers and
 * the address code share; the bottom layer */
#include <assert.h>
#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "macro.h"
#include "qemu-domain-internal.h"

/* ---- enum strings (libvirt's spellings) ------------------------------------------------- */

VK_DOMAIN_ENUM_IMPL(vk_domain_virt, VkDomainVirtType, _VK_DOMAIN_VIRT_MAX, "qemu", "kvm", "hvf")
VK_DOMAIN_ENUM_IMPL(vk_domain_arch, VkDomainArch, _VK_DOMAIN_ARCH_MAX, NULL, "x86_64", "i686")
VK_DOMAIN_ENUM_IMPL(vk_machine_kind, VkMachineKind, _VK_MACHINE_MAX, "pc", "q35")
VK_DOMAIN_ENUM_IMPL(vk_vcpu_placement, VkVcpuPlacement, _VK_VCPU_PLACEMENT_MAX, "static", "auto")
VK_DOMAIN_ENUM_IMPL(vk_boot_dev, VkBootDev, _VK_BOOT_DEV_MAX, "fd", "hd", "cdrom", "network")
VK_DOMAIN_ENUM_IMPL(vk_loader_type, VkLoaderType, _VK_LOADER_TYPE_MAX, "default", "rom", "pflash")
VK_DOMAIN_ENUM_IMPL(vk_feature, VkFeature, _VK_FEATURE_MAX, "acpi", "apic", "pae", "hap", "pmu",
                    "vmport", "smm")
VK_DOMAIN_ENUM_IMPL(vk_cpu_mode, VkCpuMode, _VK_CPU_MODE_MAX, "custom", "host-model",
                    "host-passthrough")
VK_DOMAIN_ENUM_IMPL(vk_cpu_check, VkCpuCheck, _VK_CPU_CHECK_MAX, "default", "none", "partial",
                    "full")
VK_DOMAIN_ENUM_IMPL(vk_cpu_match, VkCpuMatch, _VK_CPU_MATCH_MAX, "default", "minimum", "exact",
                    "strict")
VK_DOMAIN_ENUM_IMPL(vk_cpu_fallback, VkCpuFallback, _VK_CPU_FALLBACK_MAX, "default", "allow",
                    "forbid")
VK_DOMAIN_ENUM_IMPL(vk_cpu_feature_policy, VkCpuFeaturePolicy, _VK_CPU_FEATURE_MAX, "force",
                    "require", "optional", "disable", "forbid")
VK_DOMAIN_ENUM_IMPL(vk_clock_offset, VkClockOffset, _VK_CLOCK_OFFSET_MAX, "utc", "localtime",
                    "variable")
VK_DOMAIN_ENUM_IMPL(vk_clock_basis, VkClockBasis, _VK_CLOCK_BASIS_MAX, "utc", "localtime")
VK_DOMAIN_ENUM_IMPL(vk_timer_name, VkTimerName, _VK_TIMER_MAX, "rtc", "pit", "hpet", "kvmclock",
                    "hypervclock")
VK_DOMAIN_ENUM_IMPL(vk_timer_tickpolicy, VkTimerTickpolicy, _VK_TIMER_TICKPOLICY_MAX, "none",
                    "delay", "catchup", "merge", "discard")
VK_DOMAIN_ENUM_IMPL(vk_timer_track, VkTimerTrack, _VK_TIMER_TRACK_MAX, "none", "boot", "guest",
                    "wall", "realtime")
VK_DOMAIN_ENUM_IMPL(vk_lifecycle_action, VkLifecycleAction, _VK_LIFECYCLE_MAX, "destroy", "restart",
                    "rename-restart", "preserve", "coredump-destroy", "coredump-restart")
VK_DOMAIN_ENUM_IMPL(vk_seclabel_type, VkSeclabelType, _VK_SECLABEL_MAX, "dynamic", "static", "none")
VK_DOMAIN_ENUM_IMPL(vk_seclabel_model, VkSeclabelModel, _VK_SECLABEL_MODEL_MAX, "selinux",
                    "apparmor", "dac", "none")
VK_DOMAIN_ENUM_IMPL(vk_address_type, VkAddressType, _VK_ADDRESS_MAX, "none", "pci", "drive",
                    "virtio-serial", "usb", "ccid", "isa")
VK_DOMAIN_ENUM_IMPL(vk_disk_type, VkDiskType, _VK_DISK_TYPE_MAX, "file", "block", "volume")
VK_DOMAIN_ENUM_IMPL(vk_disk_device, VkDiskDevice, _VK_DISK_DEVICE_MAX, "disk", "cdrom", "floppy",
                    "lun")
VK_DOMAIN_ENUM_IMPL(vk_disk_bus, VkDiskBus, _VK_DISK_BUS_MAX, "default", "ide", "sata", "scsi",
                    "virtio", "usb", "fdc")
VK_DOMAIN_ENUM_IMPL(vk_disk_format, VkDiskFormat, _VK_DISK_FORMAT_MAX, "none", "raw", "qcow2")
VK_DOMAIN_ENUM_IMPL(vk_disk_cache, VkDiskCache, _VK_DISK_CACHE_MAX, "default", "none",
                    "writethrough", "writeback", "directsync", "unsafe")
VK_DOMAIN_ENUM_IMPL(vk_disk_io, VkDiskIo, _VK_DISK_IO_MAX, "default", "native", "threads",
                    "io_uring")
VK_DOMAIN_ENUM_IMPL(vk_disk_discard, VkDiskDiscard, _VK_DISK_DISCARD_MAX, "default", "unmap",
                    "ignore")
VK_DOMAIN_ENUM_IMPL(vk_rng_backend, VkRngBackend, _VK_RNG_BACKEND_MAX, "random", "builtin")
VK_DOMAIN_ENUM_IMPL(vk_disk_detect_zeroes, VkDiskDetectZeroes, _VK_DISK_DETECT_ZEROES_MAX,
                    "default", "off", "on", "unmap")
VK_DOMAIN_ENUM_IMPL(vk_controller_type, VkControllerType, _VK_CONTROLLER_MAX, "ide", "fdc", "scsi",
                    "sata", "virtio-serial", "usb", "pci", "ccid")
VK_DOMAIN_ENUM_IMPL(vk_controller_model, VkControllerModel, _VK_CONTROLLER_MODEL_MAX, "default",
                    "pci-root", "pcie-root", "pcie-root-port", "pci-bridge", "pcie-to-pci-bridge",
                    "piix3-uhci", "ich9-ehci1", "ich9-uhci1", "ich9-uhci2", "ich9-uhci3",
                    "qemu-xhci", "nec-xhci", "none", "virtio-scsi", "lsilogic")
VK_DOMAIN_ENUM_IMPL(vk_net_type, VkNetType, _VK_NET_TYPE_MAX, "user", "network", "bridge",
                    "ethernet", "direct")
VK_DOMAIN_ENUM_IMPL(vk_net_direct_mode, VkNetDirectMode, _VK_NET_DIRECT_MAX, "vepa", "private",
                    "bridge", "passthrough")
VK_DOMAIN_ENUM_IMPL(vk_net_model, VkNetModel, _VK_NET_MODEL_MAX, "default", "virtio", "e1000",
                    "e1000e", "rtl8139")
VK_DOMAIN_ENUM_IMPL(vk_graphics_type, VkGraphicsType, _VK_GRAPHICS_MAX, "vnc", "spice")
VK_DOMAIN_ENUM_IMPL(vk_video_model, VkVideoModel, _VK_VIDEO_MODEL_MAX, "default", "vga", "cirrus",
                    "virtio", "qxl", "bochs", "none")
VK_DOMAIN_ENUM_IMPL(vk_input_type, VkInputType, _VK_INPUT_MAX, "mouse", "tablet", "keyboard")
VK_DOMAIN_ENUM_IMPL(vk_input_bus, VkInputBus, _VK_INPUT_BUS_MAX, "default", "ps2", "usb", "virtio")
VK_DOMAIN_ENUM_IMPL(vk_chr_kind, VkChrKind, _VK_CHR_MAX, "serial", "parallel", "console", "channel")
VK_DOMAIN_ENUM_IMPL(vk_chr_type, VkChrType, _VK_CHR_TYPE_MAX, "pty", "file", "unix", "null",
                    "stdio", "spicevmc", "tcp")
VK_DOMAIN_ENUM_IMPL(vk_chr_tcp_protocol, VkChrTcpProtocol, _VK_CHR_TCP_MAX, "raw", "telnet")
VK_DOMAIN_ENUM_IMPL(vk_chr_source_mode, VkChrSourceMode, _VK_CHR_SOURCE_MODE_MAX, "default", "bind",
                    "connect")
VK_DOMAIN_ENUM_IMPL(vk_chr_target_type, VkChrTargetType, _VK_CHR_TARGET_MAX, "default",
                    "isa-serial", "usb-serial", "pci-serial", "serial", "virtio")
VK_DOMAIN_ENUM_IMPL(vk_memballoon_model, VkMemballoonModel, _VK_MEMBALLOON_MAX, "virtio", "none")
VK_DOMAIN_ENUM_IMPL(vk_watchdog_model, VkWatchdogModel, _VK_WATCHDOG_MAX, "i6300esb", "ib700",
                    "itco")
VK_DOMAIN_ENUM_IMPL(vk_watchdog_action, VkWatchdogAction, _VK_WATCHDOG_ACTION_MAX, "default",
                    "reset", "shutdown", "poweroff", "pause", "none", "dump", "inject-nmi")
VK_DOMAIN_ENUM_IMPL(vk_tpm_model, VkTpmModel, _VK_TPM_MODEL_MAX, "default", "tpm-tis", "tpm-crb")
VK_DOMAIN_ENUM_IMPL(vk_tpm_backend, VkTpmBackend, _VK_TPM_BACKEND_MAX, "passthrough", "emulator")
VK_DOMAIN_ENUM_IMPL(vk_deprecation_behavior, VkDeprecationBehavior, _VK_DEPRECATION_MAX, "default",
                    "none", "omit", "reject", "crash")
VK_DOMAIN_ENUM_IMPL(vk_override_type, VkOverrideType, _VK_OVERRIDE_MAX, "string", "signed",
                    "unsigned", "bool", "remove")

/* ---- random source ---------------------------------------------------------------------- */

static void (*domain_random_source)(void *buf, size_t len);

/* See qemu-domain-def.h: tests only. */
void vk_domain_def_set_random_source(void (*fill)(void *buf, size_t len)) {
        domain_random_source = fill;
}

/*
 * Fill @buf with random bytes for generated identifiers (UUIDs, MACs). getrandom() without
 * flags only blocks before the pool is initialised at boot; failure there is not recoverable.
 */
void vk_domain_random_bytes(void *buf, size_t len) {
        size_t done = 0;

        if (domain_random_source) {
                domain_random_source(buf, len);
                return;
        }
        while (done < len) {
                ssize_t n = getrandom((uint8_t *) buf + done, len - done, /* flags= */ 0);

                if (n < 0) {
                        assert(errno == EINTR);
                        continue;
                }
                done += (size_t) n;
        }
}

/* ---- small value helpers ---------------------------------------------------------------- */

/* Write @mac as "52:54:00:xx:xx:xx" into @ret_str (18 bytes). */
void vk_domain_mac_format(const uint8_t mac[6], char ret_str[18]) {
        g_snprintf(ret_str, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
                   mac[4], mac[5]);
}

/*
 * Parse a MAC address "aa:bb:cc:dd:ee:ff" (hex digits, either case). Multicast addresses are
 * refused (they cannot be a NIC's). Returns 0, or -EINVAL with @ret_mac untouched.
 */
int vk_domain_mac_parse(const char *s, uint8_t ret_mac[6]) {
        uint8_t mac[6];

        if (!s || strlen(s) != 17)
                return -EINVAL;
        for (size_t i = 0; i < 6; i++) {
                const char *p = s + i * 3;

                if (!g_ascii_isxdigit(p[0]) || !g_ascii_isxdigit(p[1]))
                        return -EINVAL;
                if (i < 5 && p[2] != ':')
                        return -EINVAL;
                mac[i] = (uint8_t) (g_ascii_xdigit_value(p[0]) << 4 | g_ascii_xdigit_value(p[1]));
        }
        if (mac[0] & 1)
                return -EINVAL;
        memcpy(ret_mac, mac, 6);
        return 0;
}

/*
 * Map a machine type name to the chipset it stands for: "pc", "pc-i440fx-*" → VK_MACHINE_PC,
 * "q35", "pc-q35-*" → VK_MACHINE_Q35. Returns 0, or -EOPNOTSUPP for anything else.
 */
int vk_domain_machine_kind_from_name(const char *machine, VkMachineKind *ret_kind) {
        assert(ret_kind);

        if (!machine)
                return -EOPNOTSUPP;
        if (strcmp(machine, "pc") == 0 || g_str_has_prefix(machine, "pc-i440fx-")) {
                *ret_kind = VK_MACHINE_PC;
                return 0;
        }
        if (strcmp(machine, "q35") == 0 || g_str_has_prefix(machine, "pc-q35-")) {
                *ret_kind = VK_MACHINE_Q35;
                return 0;
        }
        return -EOPNOTSUPP;
}

/*
 * Find the controller of @type with @index in @def; NULL if there is none. The pointer is
 * owned by @def.
 */
const VkDomainController *vk_domain_def_find_controller(const VkDomainDef *def,
                                                        VkControllerType type, unsigned index) {
        for (size_t i = 0; i < def->n_controllers; i++)
                if (def->controllers[i]->type == type && def->controllers[i]->index == index)
                        return def->controllers[i];
        return NULL;
}

/* ---- device info: <boot>, <alias>, <address> -------------------------------------------- */

/* Free what @info owns and reset it. */
void vk_domain_device_info_clear(VkDeviceInfo *info) {
        g_clear_pointer(&info->alias, g_free);
        *info = (VkDeviceInfo){};
}

/* Whether @child is one of the elements vk_domain_parse_device_info() handles. */
bool vk_domain_device_info_child(const xmlNode *child) {
        return vk_xml_node_is(child, NULL, "alias") || vk_xml_node_is(child, NULL, "address") ||
               vk_xml_node_is(child, NULL, "boot");
}

static int domain_parse_address(xmlNode *node, VkDeviceAddress *addr, VkError *reterr) {
        VkDeviceAddress a = {};
        int r;

        r = vk_xml_prop_enum(node, "type", vk_address_type_from_string,
                             VK_XML_REQUIRED | VK_XML_NONZERO, &a.type, reterr);
        if (r < 0)
                return r;

        switch (a.type) {
        case VK_ADDRESS_PCI:
                r = vk_xml_check_node(
                        node, VK_STRV("type", "domain", "bus", "slot", "function", "multifunction"),
                        VK_XML_NONE, reterr);
                if (r < 0)
                        return r;
                if (vk_xml_prop_uint(node, "domain", 0, &a.pci.domain, reterr) < 0 ||
                    vk_xml_prop_uint(node, "bus", 0, &a.pci.bus, reterr) < 0 ||
                    vk_xml_prop_uint(node, "slot", 0, &a.pci.slot, reterr) < 0 ||
                    vk_xml_prop_uint(node, "function", 0, &a.pci.function, reterr) < 0 ||
                    vk_xml_prop_tristate_switch(node, "multifunction", 0, &a.pci.multifunction,
                                                reterr) < 0)
                        return -EINVAL;
                if (a.pci.domain != 0)
                        return vk_xml_error(node, "domain", reterr,
                                            "only PCI domain 0 is supported");
                if (a.pci.bus > 0xff)
                        return vk_xml_error(node, "bus", reterr, "value %u out of range (0-255)",
                                            a.pci.bus);
                if (a.pci.slot > 0x1f)
                        return vk_xml_error(node, "slot", reterr, "value %u out of range (0-31)",
                                            a.pci.slot);
                if (a.pci.function > 7)
                        return vk_xml_error(node, "function", reterr, "value %u out of range (0-7)",
                                            a.pci.function);
                break;
        case VK_ADDRESS_DRIVE:
                r = vk_xml_check_node(node, VK_STRV("type", "controller", "bus", "target", "unit"),
                                      VK_XML_NONE, reterr);
                if (r < 0)
                        return r;
                if (vk_xml_prop_uint(node, "controller", 0, &a.drive.controller, reterr) < 0 ||
                    vk_xml_prop_uint(node, "bus", 0, &a.drive.bus, reterr) < 0 ||
                    vk_xml_prop_uint(node, "target", 0, &a.drive.target, reterr) < 0 ||
                    vk_xml_prop_uint(node, "unit", 0, &a.drive.unit, reterr) < 0)
                        return -EINVAL;
                break;
        case VK_ADDRESS_VIRTIO_SERIAL:
                r = vk_xml_check_node(node, VK_STRV("type", "controller", "bus", "port"),
                                      VK_XML_NONE, reterr);
                if (r < 0)
                        return r;
                if (vk_xml_prop_uint(node, "controller", 0, &a.vserial.controller, reterr) < 0 ||
                    vk_xml_prop_uint(node, "bus", 0, &a.vserial.bus, reterr) < 0 ||
                    vk_xml_prop_uint(node, "port", 0, &a.vserial.port, reterr) < 0)
                        return -EINVAL;
                break;
        case VK_ADDRESS_USB:
                r = vk_xml_check_node(node, VK_STRV("type", "bus", "port"), VK_XML_NONE, reterr);
                if (r < 0)
                        return r;
                if (vk_xml_prop_uint(node, "bus", 0, &a.usb.bus, reterr) < 0 ||
                    vk_xml_prop_uint(node, "port", VK_XML_NONZERO, &a.usb.port, reterr) < 0)
                        return -EINVAL;
                break;
        case VK_ADDRESS_ISA:
                r = vk_xml_check_node(node, VK_STRV("type", "iobase", "irq"), VK_XML_NONE, reterr);
                if (r < 0)
                        return r;
                if (vk_xml_prop_uint(node, "iobase", 0, &a.isa.iobase, reterr) < 0 ||
                    vk_xml_prop_uint(node, "irq", 0, &a.isa.irq, reterr) < 0)
                        return -EINVAL;
                if (a.isa.iobase > 0xffff)
                        return vk_xml_error(node, "iobase", reterr,
                                            "value 0x%x out of range (0-0xffff)", a.isa.iobase);
                break;
        case VK_ADDRESS_CCID:
                r = vk_xml_check_node(node, VK_STRV("type", "controller", "slot"), VK_XML_NONE,
                                      reterr);
                if (r < 0)
                        return r;
                if (vk_xml_prop_uint(node, "controller", 0, &a.ccid.controller, reterr) < 0 ||
                    vk_xml_prop_uint(node, "slot", 0, &a.ccid.slot, reterr) < 0)
                        return -EINVAL;
                break;
        default:
                g_assert_not_reached();
        }

        *addr = a;
        return 0;
}

/*
 * Parse the <boot order=>, <alias name=> and <address> children of a device element into
 * @info. @allow_boot: the device kind may carry a boot order. Aliases not starting with "ua-"
 * are runtime aliases: kept only with VK_DOMAIN_DEF_PARSE_LIVE, else ignored (libvirt writes
 * them into every live XML, so configs copied from a running domain carry them).
 */
int vk_domain_parse_device_info(xmlNode *node, unsigned flags, bool allow_boot, VkDeviceInfo *info,
                                VkError *reterr) {
        int r;

        for (xmlNode *c = vk_xml_first_element(node); c; c = vk_xml_next_element(c)) {
                if (vk_xml_node_is(c, NULL, "alias")) {
                        g_autofree char *name = NULL;

                        if (info->alias)
                                return vk_xml_error(c, NULL, reterr,
                                                    "element may appear only once");
                        r = vk_xml_check_node(c, VK_STRV("name"), VK_XML_NONE, reterr);
                        if (r < 0)
                                return r;
                        r = vk_xml_prop_string(c, "name", VK_XML_REQUIRED | VK_XML_NONZERO, &name,
                                               reterr);
                        if (r < 0)
                                return r;
                        if (g_str_has_prefix(name, "ua-")) {
                                if (strlen(name) > 128 || strpbrk(name, ",= '\""))
                                        return vk_xml_error(c, "name", reterr, "invalid alias '%s'",
                                                            name);
                                info->alias_is_user = true;
                        } else if (!(flags & VK_DOMAIN_DEF_PARSE_LIVE))
                                continue;
                        info->alias = g_steal_pointer(&name);
                } else if (vk_xml_node_is(c, NULL, "address")) {
                        if (info->addr.type != VK_ADDRESS_NONE)
                                return vk_xml_error(c, NULL, reterr,
                                                    "element may appear only once");
                        r = domain_parse_address(c, &info->addr, reterr);
                        if (r < 0)
                                return r;
                } else if (vk_xml_node_is(c, NULL, "boot")) {
                        if (!allow_boot)
                                return vk_xml_error(c, NULL, reterr, "unsupported element");
                        if (info->boot_order)
                                return vk_xml_error(c, NULL, reterr,
                                                    "element may appear only once");
                        r = vk_xml_check_node(c, VK_STRV("order"), VK_XML_NONE, reterr);
                        if (r < 0)
                                return r;
                        r = vk_xml_prop_uint(c, "order", VK_XML_REQUIRED | VK_XML_NONZERO,
                                             &info->boot_order, reterr);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

/* Write <boot>, <alias> (user aliases, or all with VK_DOMAIN_DEF_FORMAT_LIVE), <address>. */
void vk_domain_format_device_info(VkXmlWriter *w, const VkDeviceInfo *info, unsigned flags) {
        const VkDeviceAddress *a = &info->addr;

        if (info->boot_order) {
                vk_xml_writer_start(w, "boot");
                vk_xml_writer_attrf(w, "order", "%u", info->boot_order);
                vk_xml_writer_end(w);
        }
        if (info->alias && (info->alias_is_user || (flags & VK_DOMAIN_DEF_FORMAT_LIVE))) {
                vk_xml_writer_start(w, "alias");
                vk_xml_writer_attr(w, "name", info->alias);
                vk_xml_writer_end(w);
        }
        if (a->type == VK_ADDRESS_NONE)
                return;

        vk_xml_writer_start(w, "address");
        vk_xml_writer_attr(w, "type", vk_address_type_to_string(a->type));
        switch (a->type) {
        case VK_ADDRESS_PCI:
                vk_xml_writer_attrf(w, "domain", "0x%04x", a->pci.domain);
                vk_xml_writer_attrf(w, "bus", "0x%02x", a->pci.bus);
                vk_xml_writer_attrf(w, "slot", "0x%02x", a->pci.slot);
                vk_xml_writer_attrf(w, "function", "0x%x", a->pci.function);
                vk_xml_writer_attr(w, "multifunction",
                                   vk_tristate_switch_to_string(a->pci.multifunction));
                break;
        case VK_ADDRESS_DRIVE:
                vk_xml_writer_attrf(w, "controller", "%u", a->drive.controller);
                vk_xml_writer_attrf(w, "bus", "%u", a->drive.bus);
                vk_xml_writer_attrf(w, "target", "%u", a->drive.target);
                vk_xml_writer_attrf(w, "unit", "%u", a->drive.unit);
                break;
        case VK_ADDRESS_VIRTIO_SERIAL:
                vk_xml_writer_attrf(w, "controller", "%u", a->vserial.controller);
                vk_xml_writer_attrf(w, "bus", "%u", a->vserial.bus);
                vk_xml_writer_attrf(w, "port", "%u", a->vserial.port);
                break;
        case VK_ADDRESS_USB:
                vk_xml_writer_attrf(w, "bus", "%u", a->usb.bus);
                if (a->usb.port)
                        vk_xml_writer_attrf(w, "port", "%u", a->usb.port);
                break;
        case VK_ADDRESS_CCID:
                vk_xml_writer_attrf(w, "controller", "%u", a->ccid.controller);
                vk_xml_writer_attrf(w, "slot", "%u", a->ccid.slot);
                break;
        case VK_ADDRESS_ISA:
                if (a->isa.iobase)
                        vk_xml_writer_attrf(w, "iobase", "0x%x", a->isa.iobase);
                if (a->isa.irq)
                        vk_xml_writer_attrf(w, "irq", "0x%x", a->isa.irq);
                break;
        default:
                break;
        }
        vk_xml_writer_end(w);
}

/* ---- helpers of the device parsers and of post-parse ------------------------------------ */

/* Refuse a relative @path, the value of @node's @attr (its text if @attr is NULL). */
int vk_domain_check_path(xmlNode *node, const char *attr, const char *path, VkError *reterr) {
        if (!g_path_is_absolute(path))
                return vk_xml_error(node, attr, reterr, "path '%s' must be absolute", path);
        return 0;
}

/*
 * The bytes one @unit of a memory size stands for, libvirt's units: b/bytes, KB (1000),
 * k/KiB (1024), MB, M/MiB, GB, G/GiB, TB, T/TiB. -EINVAL for another unit.
 */
int vk_domain_memory_unit(const char *unit, unsigned long long *ret_bytes) {
        static const struct {
                const char *name;
                unsigned long long bytes;
        } units[] = {
                { "b", 1ULL },
                { "bytes", 1ULL },
                { "KB", 1000ULL },
                { "k", 1024ULL },
                { "KiB", 1024ULL },
                { "MB", 1000ULL * 1000 },
                { "M", 1024ULL * 1024 },
                { "MiB", 1024ULL * 1024 },
                { "GB", 1000ULL * 1000 * 1000 },
                { "G", 1024ULL * 1024 * 1024 },
                { "GiB", 1024ULL * 1024 * 1024 },
                { "TB", 1000ULL * 1000 * 1000 * 1000 },
                { "T", 1024ULL * 1024 * 1024 * 1024 },
                { "TiB", 1024ULL * 1024 * 1024 * 1024 },
        };

        for (size_t i = 0; i < VK_ELEMENTSOF(units); i++)
                if (strcmp(units[i].name, unit) == 0) {
                        *ret_bytes = units[i].bytes;
                        return 0;
                }
        return -EINVAL;
}

/*
 * Parse a CPU set in libvirt's syntax ("0-3,^2,8") into @map (VK_DOMAIN_CPUSET_MAX entries,
 * set to true for each CPU in the set; the caller clears it). Returns the number of CPUs in
 * the set (at least 1), or -EINVAL for a malformed or empty set.
 */
int vk_domain_cpuset_parse(const char *s, bool *map) {
        g_auto(GStrv) parts = NULL;
        int n = 0;

        if (vk_isempty(s))
                return -EINVAL;
        parts = g_strsplit(s, ",", -1);
        for (size_t i = 0; parts[i]; i++) {
                const char *p = parts[i];
                bool exclude = p[0] == '^';
                g_auto(GStrv) range = NULL;
                unsigned long long a, b;

                if (exclude)
                        p++;
                range = g_strsplit(p, "-", 2);
                if (vk_xml_parse_uint(range[0], VK_DOMAIN_CPUSET_MAX - 1, &a) < 0)
                        return -EINVAL;
                b = a;
                if (range[1] &&
                    (exclude || vk_xml_parse_uint(range[1], VK_DOMAIN_CPUSET_MAX - 1, &b) < 0 ||
                     b < a))
                        return -EINVAL;
                for (unsigned long long c = a; c <= b; c++)
                        map[c] = !exclude;
        }
        for (unsigned c = 0; c < VK_DOMAIN_CPUSET_MAX; c++)
                n += map[c];
        return n > 0 ? n : -EINVAL;
}

/* An error of the devices as a whole (no single element to name): "/domain/devices: ...". */
int vk_domain_devices_error(VkError *reterr, const char *fmt, ...) {
        g_autofree char *msg = NULL;
        va_list ap;

        va_start(ap, fmt);
        msg = g_strdup_vprintf(fmt, ap);
        va_end(ap);
        return vk_error_set(reterr, VK_ERROR_INVALID_XML, -EINVAL, "/domain/devices: %s", msg);
}

/* Append @c to the controllers of @def, which takes it: last in libvirt's order (c->pos). */
void vk_domain_append_controller(VkDomainDef *def, VkDomainController *c) {
        c->pos = 0;
        for (size_t i = 0; i < def->n_controllers; i++)
                c->pos = MAX(c->pos, def->controllers[i]->pos + 1);
        VK_DOMAIN_APPEND(def->controllers, def->n_controllers, c);
}

/* Append a controller that post-parse adds (marked implicit); @def owns it. */
VkDomainController *vk_domain_add_implicit_controller(VkDomainDef *def, VkControllerType type,
                                                      unsigned index, VkControllerModel model) {
        VkDomainController *c = g_new0(VkDomainController, 1);

        c->type = type;
        c->index = index;
        c->model = model;
        c->implicit = true;
        vk_domain_append_controller(def, c);
        return c;
}

static gint domain_controller_cmp(gconstpointer a, gconstpointer b, gpointer userdata) {
        const VkDomainController *x = *(VkDomainController *const *) a;
        const VkDomainController *y = *(VkDomainController *const *) b;

        if (x->type != y->type)
                return x->type < y->type ? -1 : 1;
        if (x->index != y->index)
                return x->index < y->index ? -1 : 1;
        /* a USB2 set: the master first, then its companions by model */
        if (x->has_master != y->has_master)
                return x->has_master ? 1 : -1;
        if (x->model != y->model)
                return x->model < y->model ? -1 : 1;
        return 0;
}

/*
 * Sort the controllers of @def by type, then index: the order the address assignment and the
 * command line take them in. vk_domain_order_controllers() puts back libvirt's <devices>
 * order.
 */
void vk_domain_sort_controllers(VkDomainDef *def) {
        g_qsort_with_data(def->controllers, (gint) def->n_controllers, sizeof(VkDomainController *),
                          domain_controller_cmp, NULL);
}

static gint domain_controller_pos_cmp(gconstpointer a, gconstpointer b, gpointer userdata) {
        const VkDomainController *x = *(VkDomainController *const *) a;
        const VkDomainController *y = *(VkDomainController *const *) b;

        return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* Put the controllers of @def in libvirt's order: as written, then as post-parse added them. */
void vk_domain_order_controllers(VkDomainDef *def) {
        g_qsort_with_data(def->controllers, (gint) def->n_controllers, sizeof(VkDomainController *),
                          domain_controller_pos_cmp, NULL);
}

/*
 * The controllers of @def by type, then index (a USB2 set: the master first), whatever the
 * order of the definition: a new array of borrowed pointers, for the command line.
 */
GPtrArray *vk_domain_def_sorted_controllers(const VkDomainDef *def) {
        GPtrArray *out = g_ptr_array_sized_new((guint) def->n_controllers);

        for (size_t i = 0; i < def->n_controllers; i++)
                g_ptr_array_add(out, def->controllers[i]);
        g_qsort_with_data(out->pdata, (gint) out->len, sizeof(gpointer), domain_controller_cmp,
                          NULL);
        return out;
}
