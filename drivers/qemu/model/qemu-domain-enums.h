/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-domain-enums.h: the enumerations of the domain model (included by qemu-domain-def.h):
 * each with its string table declared by VK_DOMAIN_ENUM_DECL */
#pragma once

#include <errno.h>

/* ---- enums ------------------------------------------------------------------------------ */

#define VK_DOMAIN_ENUM_DECL(prefix, Type)                                                          \
        const char *prefix##_to_string(Type v);                                                    \
        Type prefix##_from_string(const char *s)

typedef enum VkDomainVirtType {
        VK_DOMAIN_VIRT_QEMU,
        VK_DOMAIN_VIRT_KVM,
        VK_DOMAIN_VIRT_HVF,
        _VK_DOMAIN_VIRT_MAX,
        _VK_DOMAIN_VIRT_INVALID = -EINVAL,
} VkDomainVirtType;
VK_DOMAIN_ENUM_DECL(vk_domain_virt, VkDomainVirtType);

typedef enum VkDomainArch {
        VK_DOMAIN_ARCH_NONE, /* absent: the host's, decided by post-parse */
        VK_DOMAIN_ARCH_X86_64,
        VK_DOMAIN_ARCH_I686,
        _VK_DOMAIN_ARCH_MAX,
        _VK_DOMAIN_ARCH_INVALID = -EINVAL,
} VkDomainArch;
VK_DOMAIN_ENUM_DECL(vk_domain_arch, VkDomainArch);

/* Which chipset the machine name stands for; decides implicit devices and addresses. */
typedef enum VkMachineKind {
        VK_MACHINE_PC,  /* "pc", "pc-i440fx-*" */
        VK_MACHINE_Q35, /* "q35", "pc-q35-*" */
        _VK_MACHINE_MAX,
        _VK_MACHINE_INVALID = -EINVAL,
} VkMachineKind;
VK_DOMAIN_ENUM_DECL(vk_machine_kind, VkMachineKind);

typedef enum VkVcpuPlacement {
        VK_VCPU_PLACEMENT_STATIC,
        VK_VCPU_PLACEMENT_AUTO,
        _VK_VCPU_PLACEMENT_MAX,
        _VK_VCPU_PLACEMENT_INVALID = -EINVAL,
} VkVcpuPlacement;
VK_DOMAIN_ENUM_DECL(vk_vcpu_placement, VkVcpuPlacement);

typedef enum VkBootDev {
        VK_BOOT_DEV_FD,
        VK_BOOT_DEV_HD,
        VK_BOOT_DEV_CDROM,
        VK_BOOT_DEV_NETWORK,
        _VK_BOOT_DEV_MAX,
        _VK_BOOT_DEV_INVALID = -EINVAL,
} VkBootDev;
VK_DOMAIN_ENUM_DECL(vk_boot_dev, VkBootDev);

typedef enum VkLoaderType {
        VK_LOADER_TYPE_NONE,
        VK_LOADER_TYPE_ROM,
        VK_LOADER_TYPE_PFLASH,
        _VK_LOADER_TYPE_MAX,
        _VK_LOADER_TYPE_INVALID = -EINVAL,
} VkLoaderType;
VK_DOMAIN_ENUM_DECL(vk_loader_type, VkLoaderType);

/* <os firmware=>: firmware chosen from QEMU's descriptors (caps/qemu-firmware.c) at start */
typedef enum VkOsFirmware {
        VK_OS_FIRMWARE_NONE, /* absent: <loader> as given, or QEMU's default BIOS */
        VK_OS_FIRMWARE_BIOS,
        VK_OS_FIRMWARE_EFI,
        _VK_OS_FIRMWARE_MAX,
        _VK_OS_FIRMWARE_INVALID = -EINVAL,
} VkOsFirmware;
VK_DOMAIN_ENUM_DECL(vk_os_firmware, VkOsFirmware);

/* <os><firmware><feature name=>: what the chosen firmware must (not) have */
typedef enum VkFirmwareFeature {
        VK_FIRMWARE_FEATURE_ENROLLED_KEYS,
        VK_FIRMWARE_FEATURE_SECURE_BOOT,
        _VK_FIRMWARE_FEATURE_MAX,
        _VK_FIRMWARE_FEATURE_INVALID = -EINVAL,
} VkFirmwareFeature;
VK_DOMAIN_ENUM_DECL(vk_firmware_feature, VkFirmwareFeature);

typedef enum VkFeature {
        VK_FEATURE_ACPI,
        VK_FEATURE_APIC,
        VK_FEATURE_PAE,
        VK_FEATURE_HAP,
        VK_FEATURE_PMU, /* <pmu state=>; <hyperv> and <kvm> are formatted before it */
        VK_FEATURE_VMPORT,
        VK_FEATURE_SMM,
        _VK_FEATURE_MAX,
        _VK_FEATURE_INVALID = -EINVAL,
} VkFeature;
VK_DOMAIN_ENUM_DECL(vk_feature, VkFeature);

typedef enum VkCpuMode {
        VK_CPU_MODE_CUSTOM,
        VK_CPU_MODE_HOST_MODEL,
        VK_CPU_MODE_HOST_PASSTHROUGH,
        _VK_CPU_MODE_MAX,
        _VK_CPU_MODE_INVALID = -EINVAL,
} VkCpuMode;
VK_DOMAIN_ENUM_DECL(vk_cpu_mode, VkCpuMode);

typedef enum VkCpuCheck {
        VK_CPU_CHECK_DEFAULT, /* absent */
        VK_CPU_CHECK_NONE,
        VK_CPU_CHECK_PARTIAL,
        VK_CPU_CHECK_FULL,
        _VK_CPU_CHECK_MAX,
        _VK_CPU_CHECK_INVALID = -EINVAL,
} VkCpuCheck;
VK_DOMAIN_ENUM_DECL(vk_cpu_check, VkCpuCheck);

typedef enum VkCpuMatch {
        VK_CPU_MATCH_DEFAULT, /* absent */
        VK_CPU_MATCH_MINIMUM,
        VK_CPU_MATCH_EXACT,
        VK_CPU_MATCH_STRICT,
        _VK_CPU_MATCH_MAX,
        _VK_CPU_MATCH_INVALID = -EINVAL,
} VkCpuMatch;
VK_DOMAIN_ENUM_DECL(vk_cpu_match, VkCpuMatch);

typedef enum VkCpuFallback {
        VK_CPU_FALLBACK_DEFAULT, /* absent */
        VK_CPU_FALLBACK_ALLOW,
        VK_CPU_FALLBACK_FORBID,
        _VK_CPU_FALLBACK_MAX,
        _VK_CPU_FALLBACK_INVALID = -EINVAL,
} VkCpuFallback;
VK_DOMAIN_ENUM_DECL(vk_cpu_fallback, VkCpuFallback);

typedef enum VkCpuFeaturePolicy {
        VK_CPU_FEATURE_FORCE,
        VK_CPU_FEATURE_REQUIRE,
        VK_CPU_FEATURE_OPTIONAL,
        VK_CPU_FEATURE_DISABLE,
        VK_CPU_FEATURE_FORBID,
        _VK_CPU_FEATURE_MAX,
        _VK_CPU_FEATURE_INVALID = -EINVAL,
} VkCpuFeaturePolicy;
VK_DOMAIN_ENUM_DECL(vk_cpu_feature_policy, VkCpuFeaturePolicy);

typedef enum VkClockOffset {
        VK_CLOCK_OFFSET_UTC,
        VK_CLOCK_OFFSET_LOCALTIME,
        VK_CLOCK_OFFSET_VARIABLE,
        _VK_CLOCK_OFFSET_MAX,
        _VK_CLOCK_OFFSET_INVALID = -EINVAL,
} VkClockOffset;
VK_DOMAIN_ENUM_DECL(vk_clock_offset, VkClockOffset);

typedef enum VkClockBasis {
        VK_CLOCK_BASIS_UTC,
        VK_CLOCK_BASIS_LOCALTIME,
        _VK_CLOCK_BASIS_MAX,
        _VK_CLOCK_BASIS_INVALID = -EINVAL,
} VkClockBasis;
VK_DOMAIN_ENUM_DECL(vk_clock_basis, VkClockBasis);

typedef enum VkTimerName {
        VK_TIMER_RTC,
        VK_TIMER_PIT,
        VK_TIMER_HPET,
        VK_TIMER_KVMCLOCK,
        VK_TIMER_HYPERVCLOCK,
        _VK_TIMER_MAX,
        _VK_TIMER_INVALID = -EINVAL,
} VkTimerName;
VK_DOMAIN_ENUM_DECL(vk_timer_name, VkTimerName);

typedef enum VkTimerTickpolicy {
        VK_TIMER_TICKPOLICY_NONE, /* absent */
        VK_TIMER_TICKPOLICY_DELAY,
        VK_TIMER_TICKPOLICY_CATCHUP,
        VK_TIMER_TICKPOLICY_MERGE,
        VK_TIMER_TICKPOLICY_DISCARD,
        _VK_TIMER_TICKPOLICY_MAX,
        _VK_TIMER_TICKPOLICY_INVALID = -EINVAL,
} VkTimerTickpolicy;
VK_DOMAIN_ENUM_DECL(vk_timer_tickpolicy, VkTimerTickpolicy);

typedef enum VkTimerTrack {
        VK_TIMER_TRACK_NONE, /* absent */
        VK_TIMER_TRACK_BOOT,
        VK_TIMER_TRACK_GUEST,
        VK_TIMER_TRACK_WALL,
        VK_TIMER_TRACK_REALTIME,
        _VK_TIMER_TRACK_MAX,
        _VK_TIMER_TRACK_INVALID = -EINVAL,
} VkTimerTrack;
VK_DOMAIN_ENUM_DECL(vk_timer_track, VkTimerTrack);

typedef enum VkLifecycleAction {
        VK_LIFECYCLE_DESTROY,
        VK_LIFECYCLE_RESTART,
        VK_LIFECYCLE_RENAME_RESTART,
        VK_LIFECYCLE_PRESERVE,
        VK_LIFECYCLE_COREDUMP_DESTROY,
        VK_LIFECYCLE_COREDUMP_RESTART,
        _VK_LIFECYCLE_MAX,
        _VK_LIFECYCLE_INVALID = -EINVAL,
} VkLifecycleAction;
VK_DOMAIN_ENUM_DECL(vk_lifecycle_action, VkLifecycleAction);

typedef enum VkSeclabelType {
        VK_SECLABEL_DYNAMIC,
        VK_SECLABEL_STATIC,
        VK_SECLABEL_NONE,
        _VK_SECLABEL_MAX,
        _VK_SECLABEL_INVALID = -EINVAL,
} VkSeclabelType;
VK_DOMAIN_ENUM_DECL(vk_seclabel_type, VkSeclabelType);

typedef enum VkSeclabelModel {
        VK_SECLABEL_MODEL_SELINUX,
        VK_SECLABEL_MODEL_APPARMOR,
        VK_SECLABEL_MODEL_DAC,
        VK_SECLABEL_MODEL_NONE, /* the null driver: type='none' only */
        _VK_SECLABEL_MODEL_MAX,
        _VK_SECLABEL_MODEL_INVALID = -EINVAL,
} VkSeclabelModel;
VK_DOMAIN_ENUM_DECL(vk_seclabel_model, VkSeclabelModel);

typedef enum VkAddressType {
        VK_ADDRESS_NONE, /* not assigned yet */
        VK_ADDRESS_PCI,
        VK_ADDRESS_DRIVE,
        VK_ADDRESS_VIRTIO_SERIAL,
        VK_ADDRESS_USB,
        VK_ADDRESS_CCID, /* a smartcard's slot on a CCID controller */
        VK_ADDRESS_ISA,  /* an ISA device's I/O port (the ISA panic device) */
        _VK_ADDRESS_MAX,
        _VK_ADDRESS_INVALID = -EINVAL,
} VkAddressType;
VK_DOMAIN_ENUM_DECL(vk_address_type, VkAddressType);

typedef enum VkDiskType {
        VK_DISK_TYPE_FILE,
        VK_DISK_TYPE_BLOCK,
        VK_DISK_TYPE_VOLUME,
        _VK_DISK_TYPE_MAX,
        _VK_DISK_TYPE_INVALID = -EINVAL,
} VkDiskType;
VK_DOMAIN_ENUM_DECL(vk_disk_type, VkDiskType);

typedef enum VkDiskDevice {
        VK_DISK_DEVICE_DISK,
        VK_DISK_DEVICE_CDROM,
        VK_DISK_DEVICE_FLOPPY,
        VK_DISK_DEVICE_LUN,
        _VK_DISK_DEVICE_MAX,
        _VK_DISK_DEVICE_INVALID = -EINVAL,
} VkDiskDevice;
VK_DOMAIN_ENUM_DECL(vk_disk_device, VkDiskDevice);

typedef enum VkDiskBus {
        VK_DISK_BUS_NONE, /* absent: derived from the target name by post-parse */
        VK_DISK_BUS_IDE,
        VK_DISK_BUS_SATA,
        VK_DISK_BUS_SCSI,
        VK_DISK_BUS_VIRTIO,
        VK_DISK_BUS_USB,
        VK_DISK_BUS_FDC,
        _VK_DISK_BUS_MAX,
        _VK_DISK_BUS_INVALID = -EINVAL,
} VkDiskBus;
VK_DOMAIN_ENUM_DECL(vk_disk_bus, VkDiskBus);

typedef enum VkDiskFormat {
        VK_DISK_FORMAT_NONE, /* absent */
        VK_DISK_FORMAT_RAW,
        VK_DISK_FORMAT_QCOW2,
        _VK_DISK_FORMAT_MAX,
        _VK_DISK_FORMAT_INVALID = -EINVAL,
} VkDiskFormat;
VK_DOMAIN_ENUM_DECL(vk_disk_format, VkDiskFormat);

typedef enum VkDiskCache {
        VK_DISK_CACHE_DEFAULT, /* absent, or cache='default' */
        VK_DISK_CACHE_NONE,
        VK_DISK_CACHE_WRITETHROUGH,
        VK_DISK_CACHE_WRITEBACK,
        VK_DISK_CACHE_DIRECTSYNC,
        VK_DISK_CACHE_UNSAFE,
        _VK_DISK_CACHE_MAX,
        _VK_DISK_CACHE_INVALID = -EINVAL,
} VkDiskCache;
VK_DOMAIN_ENUM_DECL(vk_disk_cache, VkDiskCache);

typedef enum VkDiskIo {
        VK_DISK_IO_DEFAULT, /* absent */
        VK_DISK_IO_NATIVE,
        VK_DISK_IO_THREADS,
        VK_DISK_IO_IO_URING,
        _VK_DISK_IO_MAX,
        _VK_DISK_IO_INVALID = -EINVAL,
} VkDiskIo;
VK_DOMAIN_ENUM_DECL(vk_disk_io, VkDiskIo);

typedef enum VkDiskDiscard {
        VK_DISK_DISCARD_DEFAULT, /* absent */
        VK_DISK_DISCARD_UNMAP,
        VK_DISK_DISCARD_IGNORE,
        _VK_DISK_DISCARD_MAX,
        _VK_DISK_DISCARD_INVALID = -EINVAL,
} VkDiskDiscard;
VK_DOMAIN_ENUM_DECL(vk_disk_discard, VkDiskDiscard);

/* <driver detect_zeroes=>: how QEMU treats writes of zeroes */
typedef enum VkDiskDetectZeroes {
        VK_DISK_DETECT_ZEROES_DEFAULT, /* absent */
        VK_DISK_DETECT_ZEROES_OFF,
        VK_DISK_DETECT_ZEROES_ON,
        VK_DISK_DETECT_ZEROES_UNMAP, /* as 'on', and unmaps them where discard='unmap' */
        _VK_DISK_DETECT_ZEROES_MAX,
        _VK_DISK_DETECT_ZEROES_INVALID = -EINVAL,
} VkDiskDetectZeroes;
VK_DOMAIN_ENUM_DECL(vk_disk_detect_zeroes, VkDiskDetectZeroes);

typedef enum VkControllerType {
        VK_CONTROLLER_IDE,
        VK_CONTROLLER_FDC,
        VK_CONTROLLER_SCSI,
        VK_CONTROLLER_SATA,
        VK_CONTROLLER_VIRTIO_SERIAL,
        VK_CONTROLLER_USB,
        VK_CONTROLLER_PCI,
        VK_CONTROLLER_CCID, /* a USB smartcard reader for <smartcard> */
        _VK_CONTROLLER_MAX,
        _VK_CONTROLLER_INVALID = -EINVAL,
} VkControllerType;
VK_DOMAIN_ENUM_DECL(vk_controller_type, VkControllerType);

/*
 * Controller models share one enum so that VkDomainController has one model field; post-parse
 * checks that a model fits the controller type. VK_CONTROLLER_MODEL_DEFAULT: absent.
 */
typedef enum VkControllerModel {
        VK_CONTROLLER_MODEL_DEFAULT,
        VK_CONTROLLER_MODEL_PCI_ROOT,
        VK_CONTROLLER_MODEL_PCIE_ROOT,
        VK_CONTROLLER_MODEL_PCIE_ROOT_PORT,
        VK_CONTROLLER_MODEL_PCI_BRIDGE,
        VK_CONTROLLER_MODEL_PCIE_TO_PCI_BRIDGE,
        VK_CONTROLLER_MODEL_PIIX3_UHCI,
        VK_CONTROLLER_MODEL_ICH9_EHCI1,
        VK_CONTROLLER_MODEL_ICH9_UHCI1, /* ehci1's USB1 companions (<master startport=>) */
        VK_CONTROLLER_MODEL_ICH9_UHCI2,
        VK_CONTROLLER_MODEL_ICH9_UHCI3,
        VK_CONTROLLER_MODEL_QEMU_XHCI,
        VK_CONTROLLER_MODEL_NEC_XHCI,
        VK_CONTROLLER_MODEL_USB_NONE,
        VK_CONTROLLER_MODEL_VIRTIO_SCSI,
        VK_CONTROLLER_MODEL_LSILOGIC,
        _VK_CONTROLLER_MODEL_MAX,
        _VK_CONTROLLER_MODEL_INVALID = -EINVAL,
} VkControllerModel;
/* "none" is the string of VK_CONTROLLER_MODEL_USB_NONE */
VK_DOMAIN_ENUM_DECL(vk_controller_model, VkControllerModel);

typedef enum VkNetType {
        VK_NET_TYPE_USER,
        VK_NET_TYPE_NETWORK,
        VK_NET_TYPE_BRIDGE,
        VK_NET_TYPE_ETHERNET, /* a tap on no bridge */
        VK_NET_TYPE_DIRECT,   /* macvtap on a host interface */
        _VK_NET_TYPE_MAX,
        _VK_NET_TYPE_INVALID = -EINVAL,
} VkNetType;
VK_DOMAIN_ENUM_DECL(vk_net_type, VkNetType);

/* <source mode=> of type='direct': the macvtap mode (libvirt's default is vepa) */
typedef enum VkNetDirectMode {
        VK_NET_DIRECT_VEPA,
        VK_NET_DIRECT_PRIVATE,
        VK_NET_DIRECT_BRIDGE,
        VK_NET_DIRECT_PASSTHROUGH,
        _VK_NET_DIRECT_MAX,
        _VK_NET_DIRECT_INVALID = -EINVAL,
} VkNetDirectMode;
VK_DOMAIN_ENUM_DECL(vk_net_direct_mode, VkNetDirectMode);

typedef enum VkNetModel {
        VK_NET_MODEL_DEFAULT, /* absent */
        VK_NET_MODEL_VIRTIO,
        VK_NET_MODEL_E1000,
        VK_NET_MODEL_E1000E,
        VK_NET_MODEL_RTL8139,
        _VK_NET_MODEL_MAX,
        _VK_NET_MODEL_INVALID = -EINVAL,
} VkNetModel;
VK_DOMAIN_ENUM_DECL(vk_net_model, VkNetModel);

typedef enum VkGraphicsType {
        VK_GRAPHICS_VNC,
        VK_GRAPHICS_SPICE,
        _VK_GRAPHICS_MAX,
        _VK_GRAPHICS_INVALID = -EINVAL,
} VkGraphicsType;
VK_DOMAIN_ENUM_DECL(vk_graphics_type, VkGraphicsType);

typedef enum VkVideoModel {
        VK_VIDEO_MODEL_DEFAULT, /* absent: post-parse picks the machine's default */
        VK_VIDEO_MODEL_VGA,
        VK_VIDEO_MODEL_CIRRUS,
        VK_VIDEO_MODEL_VIRTIO,
        VK_VIDEO_MODEL_QXL,
        VK_VIDEO_MODEL_BOCHS,
        VK_VIDEO_MODEL_NONE,
        _VK_VIDEO_MODEL_MAX,
        _VK_VIDEO_MODEL_INVALID = -EINVAL,
} VkVideoModel;
VK_DOMAIN_ENUM_DECL(vk_video_model, VkVideoModel);

typedef enum VkInputType {
        VK_INPUT_MOUSE,
        VK_INPUT_TABLET,
        VK_INPUT_KEYBOARD,
        _VK_INPUT_MAX,
        _VK_INPUT_INVALID = -EINVAL,
} VkInputType;
VK_DOMAIN_ENUM_DECL(vk_input_type, VkInputType);

typedef enum VkInputBus {
        VK_INPUT_BUS_DEFAULT, /* absent: ps2 for mouse/keyboard, usb for tablet */
        VK_INPUT_BUS_PS2,
        VK_INPUT_BUS_USB,
        VK_INPUT_BUS_VIRTIO,
        _VK_INPUT_BUS_MAX,
        _VK_INPUT_BUS_INVALID = -EINVAL,
} VkInputBus;
VK_DOMAIN_ENUM_DECL(vk_input_bus, VkInputBus);

/* Which list a character device lives in; decides its element name and target types. */
typedef enum VkChrKind {
        VK_CHR_SERIAL,
        VK_CHR_PARALLEL,
        VK_CHR_CONSOLE,
        VK_CHR_CHANNEL,
        _VK_CHR_MAX,
        _VK_CHR_INVALID = -EINVAL,
} VkChrKind;
VK_DOMAIN_ENUM_DECL(vk_chr_kind, VkChrKind);

typedef enum VkChrType {
        VK_CHR_TYPE_PTY,
        VK_CHR_TYPE_FILE,
        VK_CHR_TYPE_UNIX,
        VK_CHR_TYPE_NULL,
        VK_CHR_TYPE_STDIO,
        VK_CHR_TYPE_SPICEVMC, /* a channel through the SPICE connection (the vdagent) */
        VK_CHR_TYPE_TCP,      /* a TCP socket: <source mode= host= service=>, <protocol> */
        _VK_CHR_TYPE_MAX,
        _VK_CHR_TYPE_INVALID = -EINVAL,
} VkChrType;
VK_DOMAIN_ENUM_DECL(vk_chr_type, VkChrType);

typedef enum VkChrSourceMode {
        VK_CHR_SOURCE_MODE_DEFAULT, /* absent */
        VK_CHR_SOURCE_MODE_BIND,
        VK_CHR_SOURCE_MODE_CONNECT,
        _VK_CHR_SOURCE_MODE_MAX,
        _VK_CHR_SOURCE_MODE_INVALID = -EINVAL,
} VkChrSourceMode;
VK_DOMAIN_ENUM_DECL(vk_chr_source_mode, VkChrSourceMode);

/* Target types of all four lists; post-parse checks that one fits its list. */
typedef enum VkChrTargetType {
        VK_CHR_TARGET_DEFAULT,    /* absent */
        VK_CHR_TARGET_ISA_SERIAL, /* serial */
        VK_CHR_TARGET_USB_SERIAL, /* serial */
        VK_CHR_TARGET_PCI_SERIAL, /* serial */
        VK_CHR_TARGET_SERIAL,     /* console */
        VK_CHR_TARGET_VIRTIO,     /* console, channel */
        _VK_CHR_TARGET_MAX,
        _VK_CHR_TARGET_INVALID = -EINVAL,
} VkChrTargetType;
VK_DOMAIN_ENUM_DECL(vk_chr_target_type, VkChrTargetType);

typedef enum VkMemballoonModel {
        VK_MEMBALLOON_VIRTIO,
        VK_MEMBALLOON_NONE,
        _VK_MEMBALLOON_MAX,
        _VK_MEMBALLOON_INVALID = -EINVAL,
} VkMemballoonModel;
VK_DOMAIN_ENUM_DECL(vk_memballoon_model, VkMemballoonModel);

typedef enum VkWatchdogModel {
        VK_WATCHDOG_I6300ESB,
        VK_WATCHDOG_IB700,
        VK_WATCHDOG_ITCO,
        _VK_WATCHDOG_MAX,
        _VK_WATCHDOG_INVALID = -EINVAL,
} VkWatchdogModel;
VK_DOMAIN_ENUM_DECL(vk_watchdog_model, VkWatchdogModel);

typedef enum VkWatchdogAction {
        VK_WATCHDOG_ACTION_DEFAULT, /* absent: reset */
        VK_WATCHDOG_ACTION_RESET,
        VK_WATCHDOG_ACTION_SHUTDOWN,
        VK_WATCHDOG_ACTION_POWEROFF,
        VK_WATCHDOG_ACTION_PAUSE,
        VK_WATCHDOG_ACTION_NONE,
        VK_WATCHDOG_ACTION_DUMP,
        VK_WATCHDOG_ACTION_INJECT_NMI,
        _VK_WATCHDOG_ACTION_MAX,
        _VK_WATCHDOG_ACTION_INVALID = -EINVAL,
} VkWatchdogAction;
VK_DOMAIN_ENUM_DECL(vk_watchdog_action, VkWatchdogAction);

typedef enum VkTpmModel {
        VK_TPM_MODEL_DEFAULT, /* absent: tpm-tis */
        VK_TPM_MODEL_TIS,
        VK_TPM_MODEL_CRB,
        _VK_TPM_MODEL_MAX,
        _VK_TPM_MODEL_INVALID = -EINVAL,
} VkTpmModel;
VK_DOMAIN_ENUM_DECL(vk_tpm_model, VkTpmModel);

typedef enum VkTpmBackend {
        VK_TPM_BACKEND_PASSTHROUGH,
        VK_TPM_BACKEND_EMULATOR,
        _VK_TPM_BACKEND_MAX,
        _VK_TPM_BACKEND_INVALID = -EINVAL,
} VkTpmBackend;
VK_DOMAIN_ENUM_DECL(vk_tpm_backend, VkTpmBackend);

typedef enum VkDeprecationBehavior {
        VK_DEPRECATION_DEFAULT, /* no <qemu:deprecation> */
        VK_DEPRECATION_NONE,
        VK_DEPRECATION_OMIT,
        VK_DEPRECATION_REJECT,
        VK_DEPRECATION_CRASH,
        _VK_DEPRECATION_MAX,
        _VK_DEPRECATION_INVALID = -EINVAL,
} VkDeprecationBehavior;
VK_DOMAIN_ENUM_DECL(vk_deprecation_behavior, VkDeprecationBehavior);

typedef enum VkOverrideType {
        VK_OVERRIDE_STRING,
        VK_OVERRIDE_SIGNED,
        VK_OVERRIDE_UNSIGNED,
        VK_OVERRIDE_BOOL,
        VK_OVERRIDE_REMOVE,
        _VK_OVERRIDE_MAX,
        _VK_OVERRIDE_INVALID = -EINVAL,
} VkOverrideType;
VK_DOMAIN_ENUM_DECL(vk_override_type, VkOverrideType);
