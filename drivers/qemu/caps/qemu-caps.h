/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-caps.h: QEMU capabilities: probe (async), derived flags, cache, capabilities XML */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include <glib.h>
#include <systemd/sd-event.h>

#include "error.h"

typedef struct VkQemuCaps VkQemuCaps;
typedef struct VkQemuCapsProbe VkQemuCapsProbe;

/*
 * Capability flags. The string names are the ones libvirt writes into its status XML, so
 * status files stay readable by both. Each flag is derived from the recorded replies; the
 * rule sits next to it in qemu-caps.c (caps_flag_rules[]).
 */
typedef enum VkQemuCapsFlag {
        VK_QEMU_CAPS_BLOCKDEV,
        VK_QEMU_CAPS_DEVICE_JSON,
        VK_QEMU_CAPS_COMPAT_DEPRECATED,
        VK_QEMU_CAPS_QUERY_DISPLAY_OPTIONS,
        VK_QEMU_CAPS_BLOCKDEV_REOPEN,
        VK_QEMU_CAPS_SET_ACTION,
        VK_QEMU_CAPS_QUERY_CPU_MODEL_EXPANSION,
        VK_QEMU_CAPS_VNC,
        VK_QEMU_CAPS_SPICE,
        VK_QEMU_CAPS_DBUS_DISPLAY,
        VK_QEMU_CAPS_VIRTIO_SCSI,
        VK_QEMU_CAPS_QEMU_XHCI,
        VK_QEMU_CAPS_NEC_USB_XHCI,
        VK_QEMU_CAPS_PCIE_ROOT_PORT,
        VK_QEMU_CAPS_PCI_BRIDGE,
        VK_QEMU_CAPS_ICH9_AHCI,
        VK_QEMU_CAPS_USB_STORAGE,
        VK_QEMU_CAPS_USB_REDIR,
        VK_QEMU_CAPS_QXL,
        VK_QEMU_CAPS_VGA,
        VK_QEMU_CAPS_CIRRUS_VGA,
        VK_QEMU_CAPS_VMWARE_SVGA,
        VK_QEMU_CAPS_VIRTIO_GPU,
        VK_QEMU_CAPS_BOCHS_DISPLAY,
        VK_QEMU_CAPS_RAMFB,
        VK_QEMU_CAPS_VIRTIO_RNG,
        VK_QEMU_CAPS_RNG_RANDOM,
        VK_QEMU_CAPS_RNG_EGD,
        VK_QEMU_CAPS_RNG_BUILTIN,
        VK_QEMU_CAPS_TPM_TIS,
        VK_QEMU_CAPS_TPM_CRB,
        VK_QEMU_CAPS_TPM_PASSTHROUGH,
        VK_QEMU_CAPS_TPM_EMULATOR,
        VK_QEMU_CAPS_VHOST_VSOCK,
        VK_QEMU_CAPS_PVPANIC,
        VK_QEMU_CAPS_PVPANIC_PCI,
        VK_QEMU_CAPS_VMCOREINFO,
        VK_QEMU_CAPS_VMGENID,
        VK_QEMU_CAPS_SEV_GUEST,
        VK_QEMU_CAPS_VFIO_PCI,
        VK_QEMU_CAPS_HDA_DUPLEX,
        VK_QEMU_CAPS_VIRTIO_BLK_QUEUE_SIZE,
        VK_QEMU_CAPS_VIRTIO_NET_HOST_MTU,
        VK_QEMU_CAPS_VIRTIO_NET_TX_QUEUE_SIZE,
        VK_QEMU_CAPS_VIRTIO_NET_RX_QUEUE_SIZE,
        VK_QEMU_CAPS_QXL_VGAMEM,
        _VK_QEMU_CAPS_FLAG_MAX,
        _VK_QEMU_CAPS_FLAG_INVALID = -EINVAL,
} VkQemuCapsFlag;

const char *vk_qemu_caps_flag_to_string(VkQemuCapsFlag f);
VkQemuCapsFlag vk_qemu_caps_flag_from_string(const char *s);

typedef struct VkQemuMachine {
        char *name;
        char *alias; /* e.g. "pc" for pc-i440fx-7.2; NULL if none */
        bool is_default;
        bool deprecated;
        unsigned max_cpus;
} VkQemuMachine;

typedef struct VkQemuCpuModel {
        char *name;
        bool usable; /* no unavailable features (under KVM when KVM was probed) */
        bool deprecated;
} VkQemuCpuModel;

typedef void (*VkQemuCapsProbeFunc)(VkQemuCapsProbe *probe, VkQemuCaps *caps, const VkError *error,
                                    void *userdata);

/* Cache flags */
typedef enum VkQemuCapsCacheFlags {
        VK_QEMU_CAPS_CACHE_CHECK_KVM = 1 << 0, /* stale when /dev/kvm access changed */
} VkQemuCapsCacheFlags;

int vk_qemu_caps_probe_async(sd_event *e, const char *binary, const char *tmpdir,
                             VkQemuCapsProbeFunc callback, void *userdata, VkQemuCapsProbe **ret,
                             VkError *reterr);
int vk_qemu_caps_probe_fd(sd_event *e, int qmp_fd, const char *binary, const struct stat *st,
                          VkQemuCapsProbeFunc callback, void *userdata, VkQemuCapsProbe **ret,
                          VkError *reterr);
VkQemuCapsProbe *vk_qemu_caps_probe_free(VkQemuCapsProbe *probe);

int vk_qemu_caps_new_from_replies(const char *text, const char *binary, const struct stat *st,
                                  VkQemuCaps **ret, VkError *reterr);
VkQemuCaps *vk_qemu_caps_ref(VkQemuCaps *caps);
VkQemuCaps *vk_qemu_caps_unref(VkQemuCaps *caps);

int vk_qemu_caps_save_cache(const VkQemuCaps *caps, const char *cache_dir, VkError *reterr);
int vk_qemu_caps_load_cache(const char *cache_dir, const char *binary, VkQemuCapsCacheFlags flags,
                            VkQemuCaps **ret, VkError *reterr);
int vk_qemu_caps_to_json(const VkQemuCaps *caps, char **ret, VkError *reterr);
int vk_qemu_caps_from_json(const char *text, VkQemuCaps **ret, VkError *reterr);
bool vk_qemu_caps_equal(const VkQemuCaps *a, const VkQemuCaps *b);

bool vk_qemu_caps_has(const VkQemuCaps *caps, VkQemuCapsFlag flag);
const char *vk_qemu_caps_get_binary(const VkQemuCaps *caps);
unsigned vk_qemu_caps_get_version(const VkQemuCaps *caps);
const char *vk_qemu_caps_get_package(const VkQemuCaps *caps);
const char *vk_qemu_caps_get_arch(const VkQemuCaps *caps);
bool vk_qemu_caps_kvm_usable(const VkQemuCaps *caps);
const VkQemuMachine *vk_qemu_caps_get_machines(const VkQemuCaps *caps, size_t *ret_n);
const VkQemuMachine *vk_qemu_caps_get_default_machine(const VkQemuCaps *caps);
const VkQemuMachine *vk_qemu_caps_find_machine(const VkQemuCaps *caps, const char *name);
const char *vk_qemu_caps_canonical_machine(const VkQemuCaps *caps, const char *name);
const VkQemuCpuModel *vk_qemu_caps_get_cpu_models(const VkQemuCaps *caps, size_t *ret_n);
bool vk_qemu_caps_has_device(const VkQemuCaps *caps, const char *type);
bool vk_qemu_caps_device_has_property(const VkQemuCaps *caps, const char *device,
                                      const char *property);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(VkQemuCaps, vk_qemu_caps_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VkQemuCapsProbe, vk_qemu_caps_probe_free)
