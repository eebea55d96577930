/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-domain-internal.h: what the split domain model files share (not for other modules) */
#pragma once

#include <string.h>

#include "qemu-domain-def.h"
#include "xml.h"

#define VK_QEMU_NS_HREF "http://libvirt.org/schemas/domain/qemu/1.0"

/*
 * Define prefix_to_string()/prefix_from_string() of an enum from its string table, in enum
 * order. A NULL entry has no spelling (never parsed, never formatted).
 */
#define VK_DOMAIN_ENUM_IMPL(prefix, Type, max, ...)                                                \
        static const char *const prefix##_table[] = { __VA_ARGS__ };                               \
        G_STATIC_ASSERT(G_N_ELEMENTS(prefix##_table) == (max));                                    \
        const char *prefix##_to_string(Type v) {                                                   \
                if ((int) v < 0 || (int) v >= (int) (max))                                         \
                        return NULL;                                                               \
                return prefix##_table[v];                                                          \
        }                                                                                          \
        Type prefix##_from_string(const char *s) {                                                 \
                if (!s)                                                                            \
                        return (Type) -EINVAL;                                                     \
                for (int i = 0; i < (int) (max); i++)                                              \
                        if (prefix##_table[i] && strcmp(prefix##_table[i], s) == 0)                \
                                return (Type) i;                                                   \
                return (Type) -EINVAL;                                                             \
        }

/* Append @item to a (pointer array, count) pair of a VkDomainDef. */
#define VK_DOMAIN_APPEND(array, count, item)                                                       \
        do {                                                                                       \
                (array) = g_renew(__typeof__(*(array)), (array), (count) + 1);                     \
                (array)[(count)++] = (item);                                                       \
        } while (0)

/*
 * The files of the model call in one direction only: a file calls the files of the tiers
 * below its own, never one of its own tier or above.
 *   1  qemu-domain-def.c        vk_domain_def_new/free/parse_*(): the domain-wide elements,
 *      qemu-domain-format.c     vk_domain_def_format(), and
 *      qemu-domain-copy.c       vk_domain_def_copy()
 *   2  qemu-domain-devices.c    <devices>: each child to the parser of its kind; freeing them
 *      qemu-domain-ns.c         the qemu: namespace
 *      qemu-domain-defaults.c   post-parse: device defaults, implicit devices, drive addresses
 *      qemu-domain-address.c    vk_domain_def_assign_addresses(): PCI, USB, virtio-serial
 *   3  qemu-domain-disk.c       <disk>, <controller>
 *      qemu-domain-net.c        <interface>
 *      qemu-domain-display.c    <graphics>, <video>, <input>
 *      qemu-domain-chr.c        <serial>, <parallel>, <console>, <channel>
 *      qemu-domain-sysdev.c     <memballoon>, <rng>, <watchdog>, <tpm>
 *      qemu-domain-pci.c        PCI addresses: slots, bridges, root ports
 *      qemu-domain-placement.c  address kinds; serial and parallel port numbers
 *      qemu-domain-firmware.c   <os>: firmware=, <firmware>, <loader>, <nvram>
 *      qemu-domain-platform.c   <sysinfo>, <os><smbios>, <panic>
 *   4  qemu-domain-base.c       enum spellings, random source, value helpers, device info,
 *                               what the device parsers and the address code share
 * qemu-domain-check.c calls the public API (qemu-domain-def.h) only.
 */

/* qemu-domain-base.c */
int vk_domain_memory_unit(const char *unit, unsigned long long *ret_bytes);
void vk_domain_random_bytes(void *buf, size_t len);
int vk_domain_parse_device_info(xmlNode *node, unsigned flags, bool allow_boot, VkDeviceInfo *info,
                                VkError *reterr);
bool vk_domain_device_info_child(const xmlNode *child);
void vk_domain_device_info_clear(VkDeviceInfo *info);
void vk_domain_format_device_info(VkXmlWriter *w, const VkDeviceInfo *info, unsigned flags);
int vk_domain_check_path(xmlNode *node, const char *attr, const char *path, VkError *reterr);
int vk_domain_devices_error(VkError *reterr, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
void vk_domain_append_controller(VkDomainDef *def, VkDomainController *c);
VkDomainController *vk_domain_add_implicit_controller(VkDomainDef *def, VkControllerType type,
                                                      unsigned index, VkControllerModel model);
void vk_domain_sort_controllers(VkDomainDef *def);
void vk_domain_order_controllers(VkDomainDef *def);

/* qemu-domain-cpu.c: <cpu> (with <cache> and <numa>), <features><kvm> */
int vk_domain_cpu_parse(VkDomainDef *def, xmlNode *node, VkError *reterr);
void vk_domain_cpu_format(VkXmlWriter *w, const VkDomainCpu *cpu);
void vk_domain_cpu_clear(VkDomainCpu *cpu);
void vk_domain_cpu_copy(VkDomainCpu *cpu);
int vk_domain_cpu_check(VkDomainDef *def, xmlNode *root, VkError *reterr);
int vk_domain_kvm_parse(VkDomainKvm *kvm, xmlNode *node, VkError *reterr);
void vk_domain_kvm_format(VkXmlWriter *w, const VkDomainKvm *kvm);

/* qemu-domain-tune.c: <memoryBacking>, <iothreads>, <iothreadids>, <cputune> */
bool vk_domain_tune_element(const xmlNode *node);
int vk_domain_tune_parse(VkDomainDef *def, xmlNode *node, VkError *reterr);
int vk_domain_tune_check(VkDomainDef *def, xmlNode *root, VkError *reterr);
void vk_domain_tune_format_memory(VkXmlWriter *w, const VkDomainDef *def);
void vk_domain_tune_format_threads(VkXmlWriter *w, const VkDomainDef *def);
void vk_domain_tune_clear(VkDomainDef *def);
void vk_domain_tune_copy(VkDomainDef *def);

/* qemu-domain-fs.c */
int vk_domain_fs_parse(VkDomainDef *def, xmlNode *node, unsigned flags, VkError *reterr);
void vk_domain_fs_format(VkXmlWriter *w, const VkDomainFs *fs, unsigned flags);
int vk_domain_fs_post_parse(VkDomainDef *def, VkError *reterr);
void vk_domain_fs_copy_devices(VkDomainDef *def);

/* qemu-domain-smartcard.c: <smartcard>, <vsock> */
int vk_domain_smartcard_parse(VkDomainDef *def, xmlNode *node, unsigned flags, VkError *reterr);
void vk_domain_smartcard_format(VkXmlWriter *w, const VkDomainSmartcard *sc, unsigned flags);
int vk_domain_smartcard_post_parse(VkDomainDef *def, VkError *reterr);
void vk_domain_audio_post_parse(VkDomainDef *def);
void vk_domain_cpu_post_parse(VkDomainDef *def);
VkDomainSmartcard *vk_domain_smartcard_copy(const VkDomainSmartcard *src);
int vk_domain_vsock_parse(VkDomainDef *def, xmlNode *node, unsigned flags, VkError *reterr);
void vk_domain_vsock_format(VkXmlWriter *w, const VkDomainVsock *v, unsigned flags);

/* qemu-domain-platform.c: <sysinfo>, <os><smbios>, <panic> */
int vk_domain_sysinfo_parse(VkDomainDef *def, xmlNode *node, VkError *reterr);
int vk_domain_smbios_parse(VkDomainDef *def, xmlNode *node, VkError *reterr);
int vk_domain_sysinfo_check(VkDomainDef *def, xmlNode *root, bool *have_uuid, VkError *reterr);
void vk_domain_sysinfo_format(VkXmlWriter *w, const VkDomainSysinfo *si);
void vk_domain_sysinfo_copy(VkDomainSysinfo *si);
int vk_domain_panic_parse(VkDomainDef *def, xmlNode *node, unsigned flags, VkError *reterr);
void vk_domain_panic_format(VkXmlWriter *w, const VkDomainPanic *p, unsigned flags);
VkDomainPanic *vk_domain_panic_copy(const VkDomainPanic *src);

/* qemu-domain-devices.c */
int vk_domain_devices_parse(VkDomainDef *def, xmlNode *devices, unsigned flags, VkError *reterr);
void vk_domain_devices_free(VkDomainDef *def);

/* qemu-domain-disk.c */
int vk_domain_disk_parse(VkDomainDef *def, xmlNode *node, unsigned flags, VkError *reterr);
int vk_domain_controller_parse(VkDomainDef *def, xmlNode *node, unsigned flags, VkError *reterr);

/* qemu-domain-net.c */
int vk_domain_net_parse(VkDomainDef *def, xmlNode *node, unsigned flags, VkError *reterr);

/* qemu-domain-display.c */
int vk_domain_graphics_parse(VkDomainDef *def, xmlNode *node, unsigned flags, VkError *reterr);
int vk_domain_video_parse(VkDomainDef *def, xmlNode *node, unsigned flags, VkError *reterr);
int vk_domain_hyperv_parse(VkDomainHyperv *hv, xmlNode *node, VkError *reterr);
void vk_domain_hyperv_format(VkXmlWriter *w, const VkDomainHyperv *hv);
int vk_domain_sound_parse(VkDomainDef *def, xmlNode *node, unsigned flags, VkError *reterr);
int vk_domain_audio_parse(VkDomainDef *def, xmlNode *node, VkError *reterr);
void vk_domain_audio_format(VkXmlWriter *w, const VkDomainDef *def);
int vk_domain_redirdev_parse(VkDomainDef *def, xmlNode *node, unsigned flags, VkError *reterr);
void vk_domain_sound_format(VkXmlWriter *w, const VkDomainSound *s, unsigned flags);
void vk_domain_redirdev_format(VkXmlWriter *w, const VkDomainRedirdev *r, unsigned flags);
int vk_domain_input_parse(VkDomainDef *def, xmlNode *node, unsigned flags, VkError *reterr);

/* qemu-domain-chr.c */
int vk_domain_chr_parse(VkDomainDef *def, VkChrKind kind, xmlNode *node, unsigned flags,
                        VkError *reterr);

/* qemu-domain-sysdev.c */
int vk_domain_memballoon_parse(VkDomainDef *def, xmlNode *node, unsigned flags, VkError *reterr);
int vk_domain_rng_parse(VkDomainDef *def, xmlNode *node, unsigned flags, VkError *reterr);
int vk_domain_watchdog_parse(VkDomainDef *def, xmlNode *node, unsigned flags, VkError *reterr);
int vk_domain_tpm_parse(VkDomainDef *def, xmlNode *node, unsigned flags, VkError *reterr);

/* qemu-domain-format.c */
void vk_domain_devices_format(VkXmlWriter *w, const VkDomainDef *def, unsigned flags);

/* qemu-domain-ns.c */
bool vk_domain_ns_is_qemu(const xmlNode *node);
int vk_domain_ns_parse(VkDomainDef *def, xmlNode *node, VkError *reterr);
bool vk_domain_ns_in_use(const VkDomainDef *def);
void vk_domain_ns_format(VkXmlWriter *w, const VkDomainDef *def);
void vk_domain_ns_clear(VkQemuNamespace *ns);

/* qemu-domain-placement.c */
int vk_domain_assign_chr_ports(VkDomainChr **chrs, size_t n, const char *element, VkError *reterr);
int vk_domain_check_address_kinds(const VkDomainDef *def, VkError *reterr);

/* qemu-domain-defaults.c */
int vk_domain_post_parse_devices(VkDomainDef *def, VkError *reterr);

/* qemu-domain-pci.c */
int vk_domain_assign_pci_addresses(VkDomainDef *def, VkMachineKind kind, VkError *reterr);

/* qemu-domain-firmware.c */
int vk_domain_os_firmware_parse(VkDomainDef *def, xmlNode *os, VkError *reterr);
int vk_domain_firmware_features_parse(VkDomainDef *def, xmlNode *node, VkError *reterr);
int vk_domain_loader_parse(VkDomainDef *def, xmlNode *node, VkError *reterr);
int vk_domain_nvram_parse(VkDomainDef *def, xmlNode *node, VkError *reterr);
int vk_domain_os_firmware_check(const VkDomainDef *def, xmlNode *os, VkError *reterr);
void vk_domain_os_firmware_format(VkXmlWriter *w, const VkDomainDef *def);
