/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-domain-def.h: the domain model (VkDomainDef), parse and format of libvirt's domain XML */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

#include "error.h"
#include "image-format.h"
#include "uuid.h"
#include "xml.h"

/*
 * The model is plain C: no libxml2 node pointers and no IPC types survive the parse. Each
 * optional enum attribute has a value 0 meaning "absent / default": the formatter omits it.
 * Sizes are KiB. Counters named n_* go with the pointer array of the same name; every array
 * element is owned by the VkDomainDef and freed by vk_domain_def_free().
 *
 * Lifetime of a definition:
 *   vk_domain_def_parse_string()/_file()   parse, then post-parse: defaults (uuid, MACs,
 *                                          disk buses), implicit devices, addresses
 *   vk_domain_def_format()                 back to XML, libvirt's element order, 2 spaces
 */

#include "qemu-domain-enums.h"

/* ---- shared pieces ---------------------------------------------------------------------- */

typedef struct VkPciAddress {
        unsigned domain;          /* 0..0xffff */
        unsigned bus;             /* 0..0xff */
        unsigned slot;            /* 0..0x1f */
        unsigned function;        /* 0..7 */
        VkTristate multifunction; /* multifunction='on|off' */
} VkPciAddress;

typedef struct VkDeviceAddress {
        VkAddressType type;
        union {
                VkPciAddress pci;
                struct {
                        unsigned controller, bus, target, unit;
                } drive;
                struct {
                        unsigned controller, bus, port;
                } vserial;
                struct {
                        unsigned bus;
                        unsigned port; /* 0: absent; libvirt's port is "1" or "1.2": first level */
                } usb;
                struct {
                        unsigned controller, slot;
                } ccid;
                struct {
                        unsigned iobase, irq; /* 0: absent */
                } isa;
        };
} VkDeviceAddress;

/* What every device carries: <alias name=>, <address>, <boot order=> where allowed. */
typedef struct VkDeviceInfo {
        char *alias;        /* user alias "ua-*" (always formatted), or runtime alias (live) */
        bool alias_is_user; /* alias came from the config ("ua-" prefix) */
        VkDeviceAddress addr;
        unsigned boot_order; /* 0: absent */
} VkDeviceInfo;

/* ---- devices ---------------------------------------------------------------------------- */

/*
 * One image below a disk's own in its backing chain: <backingStore type='file|block'> with
 * its <format type=> and <source file=|dev=>. Given in the XML (libvirt honours it), or
 * found at start by reading the headers (then only in the live XML).
 */
typedef struct VkDomainDiskBacking {
        VkDiskType type;      /* file or block */
        VkImageFormat format; /* never none, iso or luks */
        char *path;
} VkDomainDiskBacking;

typedef struct VkDomainDisk {
        VkDiskType type;
        VkDiskDevice device;
        char *driver_name;   /* only "qemu" is accepted; NULL when absent */
        VkDiskFormat format; /* <driver type=> */
        VkDiskCache cache;
        VkDiskIo io;
        VkDiskDiscard discard;
        VkDiskDetectZeroes detect_zeroes;
        char *src_path;   /* file= (file) or dev= (block); NULL: empty cdrom/floppy */
        char *src_pool;   /* volume: pool= */
        char *src_volume; /* volume: volume= */
        char *target_dev; /* "vda", "sda", "hdc" ... */
        VkDiskBus bus;
        bool readonly;
        bool shareable;
        char *serial;
        bool encrypted;            /* <encryption format='luks'> */
        char *secret_uuid;         /* <encryption><secret type='passphrase' uuid=/> */
        bool encryption_in_source; /* given as <source><encryption> (libvirt's newer place) */
        /* the images below this one, the nearest first; backing_end: the chain ends after
         * them (an empty <backingStore/>). No layers and no end: unknown, read at start. */
        VkDomainDiskBacking *backing;
        size_t n_backing;
        bool backing_end;
        /* the N of its node names "libvirt-N-*" once fixed (a hotplug fixes every disk's, so
         * that adding or removing one renames none); 0: counted from its position at start.
         * Live only, kept in the status file. */
        unsigned node_index;
        VkDeviceInfo info;
} VkDomainDisk;

typedef struct VkDomainController {
        VkControllerType type;
        unsigned index;
        VkControllerModel model;
        unsigned ports;          /* virtio-serial ports=, 0: absent */
        unsigned vectors;        /* virtio-serial vectors=, 0: absent */
        unsigned target_chassis; /* pcie-root-port <target chassis=>, 0: absent */
        unsigned target_port;    /* pcie-root-port <target port=>, valid if has_target_port */
        bool has_target_port;
        bool implicit;             /* added by post-parse, not written by the user */
        bool has_master;           /* a USB companion: <master startport=> */
        unsigned master_startport; /* its first port on the master's bus */
        /* its place in <devices>, as libvirt keeps it: the order written, then the order
         * post-parse added it in (not formatted; the array is in this order after parse) */
        unsigned pos;
        VkDeviceInfo info;
} VkDomainController;

typedef struct VkDomainNet {
        VkNetType type;
        uint8_t mac[6];
        bool mac_generated;          /* no <mac> in the input; the generated one is formatted */
        char *source;                /* network= (network), bridge= (bridge) or dev= (direct) */
        VkNetDirectMode direct_mode; /* direct: <source mode=> */
        VkNetModel model;
        char *target_dev; /* <target dev=> */
        /* live only: the networkd port (<source portid=>) and the bridge its tap is on
         * (<source bridge=> of type='network'), or the host interface and mode of its
         * macvtap (<source dev= mode=> of type='network' on a macvtap network) */
        char *port_id;
        char *live_bridge;
        char *live_dev;
        VkNetDirectMode live_mode;
        VkDeviceInfo info;
} VkDomainNet;

typedef struct VkDomainGraphics {
        VkGraphicsType type;
        int port;     /* -1: autoport; 0: absent */
        int tls_port; /* spice tlsPort; -1/0 as port */
        VkTristate autoport;
        int websocket; /* vnc websocket=, 0: absent, -1: auto */
        char *listen;  /* listen= address (also from <listen type='address'>) */
        char *keymap;
        char *passwd;            /* formatted only with VK_DOMAIN_DEF_FORMAT_SECURE */
        char *image_compression; /* spice <image compression=>, validated; NULL: absent */
        bool listen_none;        /* <listen type='none'/>: no network listener at all */
} VkDomainGraphics;

/* <features><hyperv>: Hyper-V enlightenments, in libvirt's (and the command line's) order */
typedef enum VkHypervFeature {
        VK_HYPERV_RELAXED,
        VK_HYPERV_VAPIC,
        VK_HYPERV_SPINLOCKS,
        VK_HYPERV_VPINDEX,
        VK_HYPERV_RUNTIME,
        VK_HYPERV_SYNIC,
        VK_HYPERV_STIMER,
        VK_HYPERV_RESET,
        VK_HYPERV_VENDOR_ID,
        VK_HYPERV_FREQUENCIES,
        VK_HYPERV_REENLIGHTENMENT,
        VK_HYPERV_TLBFLUSH,
        VK_HYPERV_IPI,
        VK_HYPERV_EVMCS,
        VK_HYPERV_AVIC,
        _VK_HYPERV_FEATURE_MAX,
        _VK_HYPERV_FEATURE_INVALID = -EINVAL,
} VkHypervFeature;
VK_DOMAIN_ENUM_DECL(vk_hyperv_feature, VkHypervFeature);

typedef enum VkHypervMode {
        VK_HYPERV_MODE_CUSTOM,
        VK_HYPERV_MODE_PASSTHROUGH,
        _VK_HYPERV_MODE_MAX,
        _VK_HYPERV_MODE_INVALID = -EINVAL,
} VkHypervMode;
VK_DOMAIN_ENUM_DECL(vk_hyperv_mode, VkHypervMode);

typedef struct VkDomainHyperv {
        bool present;
        VkHypervMode mode;
        VkTristate features[_VK_HYPERV_FEATURE_MAX]; /* state='on|off', ABSENT: not given */
        unsigned spinlocks;                          /* retries, with spinlocks on */
        char *vendor_id;                             /* value, with vendor_id on */
        VkTristate stimer_direct;                    /* <stimer><direct state=> */
} VkDomainHyperv;

typedef enum VkSoundModel {
        VK_SOUND_ICH6,
        VK_SOUND_ICH9,
        VK_SOUND_AC97,
        VK_SOUND_USB,
        _VK_SOUND_MODEL_MAX,
        _VK_SOUND_MODEL_INVALID = -EINVAL,
} VkSoundModel;
VK_DOMAIN_ENUM_DECL(vk_sound_model, VkSoundModel);

/* <sound model=…>: its sound goes through the domain's one audio backend (audio1) */
typedef struct VkDomainSound {
        VkSoundModel model;
        VkDeviceInfo info;
} VkDomainSound;

/* <audio type=…>: the backend the sound devices play through */
typedef enum VkAudioType {
        VK_AUDIO_NONE,
        VK_AUDIO_SPICE,
        _VK_AUDIO_TYPE_MAX,
        _VK_AUDIO_TYPE_INVALID = -EINVAL,
} VkAudioType;
VK_DOMAIN_ENUM_DECL(vk_audio_type, VkAudioType);

/* <redirdev bus='usb' type='spicevmc'>: a USB device of the SPICE client */
typedef struct VkDomainRedirdev {
        VkDeviceInfo info;
} VkDomainRedirdev;

typedef struct VkDomainVideo {
        VkVideoModel model;
        unsigned vram;   /* KiB, 0: absent */
        unsigned ram;    /* qxl: KiB, 0: absent */
        unsigned vram64; /* qxl: KiB, 0: absent */
        unsigned vgamem; /* qxl: KiB, 0: absent */
        unsigned heads;  /* 0: absent */
        bool primary;
        VkDeviceInfo info;
} VkDomainVideo;

typedef struct VkDomainInput {
        VkInputType type;
        VkInputBus bus;
        bool implicit; /* the PS/2 pair every pc/q35 machine has */
        VkDeviceInfo info;
} VkDomainInput;

/* <protocol type=> of a TCP character device */
typedef enum VkChrTcpProtocol {
        VK_CHR_TCP_RAW, /* also when absent */
        VK_CHR_TCP_TELNET,
        _VK_CHR_TCP_MAX,
        _VK_CHR_TCP_INVALID = -EINVAL,
} VkChrTcpProtocol;
VK_DOMAIN_ENUM_DECL(vk_chr_tcp_protocol, VkChrTcpProtocol);

typedef struct VkDomainChr {
        VkChrKind kind;
        VkChrType type;
        char *path;                /* file, unix: <source path=> */
        VkChrSourceMode mode;      /* unix, tcp: <source mode=> (tcp: absent is connect) */
        char *host;                /* tcp: <source host=> */
        char *service;             /* tcp: <source service=>, the port */
        VkChrTcpProtocol protocol; /* tcp: <protocol type=>, always formatted */
        VkChrTargetType target_type;
        int target_port;   /* -1: absent */
        char *target_name; /* channel virtio: org.qemu.guest_agent.0 */
        bool implicit;     /* console mirrored from serial 0 by post-parse */
        VkDeviceInfo info;
} VkDomainChr;

typedef struct VkDomainMemballoon {
        VkMemballoonModel model;
        VkTristate autodeflate; /* on/off */
        unsigned stats_period;  /* <stats period=>, 0: absent */
        bool implicit;
        VkDeviceInfo info;
} VkDomainMemballoon;

/* <rng><backend model=> */
typedef enum VkRngBackend {
        VK_RNG_BACKEND_RANDOM,  /* a host file: <backend model='random'>/dev/urandom</backend> */
        VK_RNG_BACKEND_BUILTIN, /* QEMU's own generator (getrandom()) */
        _VK_RNG_BACKEND_MAX,
        _VK_RNG_BACKEND_INVALID = -EINVAL,
} VkRngBackend;
VK_DOMAIN_ENUM_DECL(vk_rng_backend, VkRngBackend);

typedef struct VkDomainRng {
        VkRngBackend backend;
        char *backend_path;   /* random: <backend model='random'>/dev/urandom</backend> */
        unsigned rate_bytes;  /* <rate bytes=>, 0: absent */
        unsigned rate_period; /* <rate period=>, 0: absent */
        VkDeviceInfo info;
} VkDomainRng;

/* <panic model=>: how the guest reports a crash to the host */
typedef enum VkPanicModel {
        VK_PANIC_MODEL_DEFAULT, /* absent: isa (x86) */
        VK_PANIC_MODEL_ISA,     /* QEMU's pvpanic on an I/O port */
        VK_PANIC_MODEL_PVPANIC, /* pvpanic-pci */
        VK_PANIC_MODEL_HYPERV,  /* the Hyper-V crash MSRs (hv-crash) */
        _VK_PANIC_MODEL_MAX,
        _VK_PANIC_MODEL_INVALID = -EINVAL,
} VkPanicModel;
VK_DOMAIN_ENUM_DECL(vk_panic_model, VkPanicModel);

typedef struct VkDomainPanic {
        VkPanicModel model;
        VkDeviceInfo info; /* isa: an ISA address (iobase=); pvpanic: a PCI address */
} VkDomainPanic;

typedef struct VkDomainWatchdog {
        VkWatchdogModel model;
        VkWatchdogAction action;
        VkDeviceInfo info;
} VkDomainWatchdog;

typedef struct VkDomainTpm {
        VkTpmModel model;
        VkTpmBackend backend;
        char *device_path; /* passthrough: <device path=> */
        char *version;     /* emulator: "2.0" (the only one accepted) or NULL */
        VkDeviceInfo info;
} VkDomainTpm;

/* ---- tuning: CPU cache, NUMA, memory backing, I/O threads, cputune (qemu-domain-tune.c) -- */

/* <features><kvm>: the KVM features libvirt 9.0 knows */
typedef enum VkKvmFeature {
        VK_KVM_HIDDEN,
        VK_KVM_HINT_DEDICATED,
        VK_KVM_POLL_CONTROL,
        VK_KVM_PV_IPI,
        VK_KVM_DIRTY_RING,
        _VK_KVM_FEATURE_MAX,
        _VK_KVM_FEATURE_INVALID = -EINVAL,
} VkKvmFeature;
VK_DOMAIN_ENUM_DECL(vk_kvm_feature, VkKvmFeature);

typedef struct VkDomainKvm {
        bool present;
        VkTristate features[_VK_KVM_FEATURE_MAX]; /* state='on|off', ABSENT: not given */
        unsigned dirty_ring_size;                 /* <dirty-ring size=>, with dirty-ring on */
} VkDomainKvm;

/* <cpu><cache mode= [level=]> */
typedef enum VkCpuCacheMode {
        VK_CPU_CACHE_NONE, /* no <cache> */
        VK_CPU_CACHE_EMULATE,
        VK_CPU_CACHE_PASSTHROUGH,
        VK_CPU_CACHE_DISABLE,
        _VK_CPU_CACHE_MAX,
        _VK_CPU_CACHE_INVALID = -EINVAL,
} VkCpuCacheMode;
VK_DOMAIN_ENUM_DECL(vk_cpu_cache_mode, VkCpuCacheMode);

/* memAccess= of a NUMA cell, <memoryBacking><access mode=> */
typedef enum VkMemAccess {
        VK_MEM_ACCESS_DEFAULT, /* absent */
        VK_MEM_ACCESS_SHARED,
        VK_MEM_ACCESS_PRIVATE,
        _VK_MEM_ACCESS_MAX,
        _VK_MEM_ACCESS_INVALID = -EINVAL,
} VkMemAccess;
VK_DOMAIN_ENUM_DECL(vk_mem_access, VkMemAccess);

/* <memoryBacking><source type=> */
typedef enum VkMemSource {
        VK_MEM_SOURCE_DEFAULT, /* absent */
        VK_MEM_SOURCE_FILE,
        VK_MEM_SOURCE_ANONYMOUS,
        VK_MEM_SOURCE_MEMFD,
        _VK_MEM_SOURCE_MAX,
        _VK_MEM_SOURCE_INVALID = -EINVAL,
} VkMemSource;
VK_DOMAIN_ENUM_DECL(vk_mem_source, VkMemSource);

/* <memoryBacking><allocation mode=> */
typedef enum VkMemAllocation {
        VK_MEM_ALLOCATION_DEFAULT, /* absent */
        VK_MEM_ALLOCATION_IMMEDIATE,
        VK_MEM_ALLOCATION_ONDEMAND,
        _VK_MEM_ALLOCATION_MAX,
        _VK_MEM_ALLOCATION_INVALID = -EINVAL,
} VkMemAllocation;
VK_DOMAIN_ENUM_DECL(vk_mem_allocation, VkMemAllocation);

/* <cpu><numa><cell id= cpus= memory= [memAccess=] [discard=]/> */
typedef struct VkNumaCell {
        unsigned id;
        char *cpus; /* a CPU set, validated; every vCPU in exactly one cell */
        unsigned long long memory_kib;
        VkMemAccess mem_access;
        VkTristate discard; /* yes/no */
} VkNumaCell;

/* <memoryBacking> */
typedef struct VkMemoryBacking {
        bool present;
        bool hugepages;
        unsigned long long hugepage_kib; /* <hugepages><page size=>, 0: the default size */
        bool nosharepages;
        bool locked;
        VkMemSource source;
        VkMemAccess access;
        VkMemAllocation allocation;
        unsigned allocation_threads; /* 0: absent */
        bool discard;
} VkMemoryBacking;

/* <iothreadids><iothread id= [thread_pool_min= thread_pool_max=]><poll .../></iothread> */
typedef struct VkIothread {
        unsigned id;
        int pool_min, pool_max;                 /* -1: absent */
        unsigned long long poll_max, poll_grow; /* <poll max= grow= shrink=> */
        unsigned long long poll_shrink;
        bool has_poll_max, has_poll_grow, has_poll_shrink;
} VkIothread;

/* <vcpupin vcpu= cpuset=>, <iothreadpin iothread= cpuset=> */
typedef struct VkCpuPin {
        unsigned id;
        char *cpuset;
} VkCpuPin;

/* scheduler= of <vcpusched>, <iothreadsched>, <emulatorsched> (sched_setscheduler(2)) */
typedef enum VkSchedPolicy {
        VK_SCHED_POLICY_NONE, /* no element */
        VK_SCHED_POLICY_BATCH,
        VK_SCHED_POLICY_IDLE,
        VK_SCHED_POLICY_FIFO,
        VK_SCHED_POLICY_RR,
        _VK_SCHED_POLICY_MAX,
        _VK_SCHED_POLICY_INVALID = -EINVAL,
} VkSchedPolicy;
VK_DOMAIN_ENUM_DECL(vk_sched_policy, VkSchedPolicy);

/* <vcpusched vcpus= scheduler= priority=>, <iothreadsched iothreads= ...>, <emulatorsched> */
typedef struct VkCpuSched {
        char *ids; /* the vcpus=/iothreads= set as given; NULL for <emulatorsched> */
        VkSchedPolicy policy;
        int priority; /* fifo and rr only */
} VkCpuSched;

/* <cputune>: kept, formatted, applied at start (runtime/qemu-process-tune.c) */
typedef struct VkCputune {
        bool present;
        unsigned long long shares; /* 0: absent */
        unsigned long long period, global_period, emulator_period, iothread_period;
        long long quota, global_quota, emulator_quota, iothread_quota; /* 0: absent */
        VkCpuPin *vcpupins;
        size_t n_vcpupins;
        char *emulatorpin;
        VkCpuPin *iothreadpins;
        size_t n_iothreadpins;
        VkCpuSched *vcpuscheds;
        size_t n_vcpuscheds;
        VkCpuSched *iothreadscheds;
        size_t n_iothreadscheds;
        VkCpuSched emulatorsched; /* policy NONE: absent */
} VkCputune;

/* ---- filesystems, smartcards, vsock (qemu-domain-fs.c, qemu-domain-smartcard.c) ---------- */

typedef enum VkFsDriver {
        VK_FS_DRIVER_DEFAULT, /* absent: path (9p) */
        VK_FS_DRIVER_PATH,
        VK_FS_DRIVER_HANDLE,
        VK_FS_DRIVER_VIRTIOFS,
        _VK_FS_DRIVER_MAX,
        _VK_FS_DRIVER_INVALID = -EINVAL,
} VkFsDriver;
VK_DOMAIN_ENUM_DECL(vk_fs_driver, VkFsDriver);

typedef enum VkFsAccessMode {
        VK_FS_ACCESS_DEFAULT, /* absent: passthrough */
        VK_FS_ACCESS_PASSTHROUGH,
        VK_FS_ACCESS_MAPPED,
        VK_FS_ACCESS_SQUASH,
        _VK_FS_ACCESS_MAX,
        _VK_FS_ACCESS_INVALID = -EINVAL,
} VkFsAccessMode;
VK_DOMAIN_ENUM_DECL(vk_fs_access, VkFsAccessMode);

typedef enum VkFsWrpolicy {
        VK_FS_WRPOLICY_DEFAULT, /* absent */
        VK_FS_WRPOLICY_IMMEDIATE,
        _VK_FS_WRPOLICY_MAX,
        _VK_FS_WRPOLICY_INVALID = -EINVAL,
} VkFsWrpolicy;
VK_DOMAIN_ENUM_DECL(vk_fs_wrpolicy, VkFsWrpolicy);

typedef enum VkFsMultidevs {
        VK_FS_MULTIDEVS_DEFAULT, /* absent */
        VK_FS_MULTIDEVS_REMAP,
        VK_FS_MULTIDEVS_FORBID,
        VK_FS_MULTIDEVS_WARN,
        _VK_FS_MULTIDEVS_MAX,
        _VK_FS_MULTIDEVS_INVALID = -EINVAL,
} VkFsMultidevs;
VK_DOMAIN_ENUM_DECL(vk_fs_multidevs, VkFsMultidevs);

typedef enum VkFsCache {
        VK_FS_CACHE_DEFAULT, /* absent */
        VK_FS_CACHE_NONE,
        VK_FS_CACHE_ALWAYS,
        _VK_FS_CACHE_MAX,
        _VK_FS_CACHE_INVALID = -EINVAL,
} VkFsCache;
VK_DOMAIN_ENUM_DECL(vk_fs_cache, VkFsCache);

typedef enum VkFsSandbox {
        VK_FS_SANDBOX_DEFAULT, /* absent */
        VK_FS_SANDBOX_NAMESPACE,
        VK_FS_SANDBOX_CHROOT,
        _VK_FS_SANDBOX_MAX,
        _VK_FS_SANDBOX_INVALID = -EINVAL,
} VkFsSandbox;
VK_DOMAIN_ENUM_DECL(vk_fs_sandbox, VkFsSandbox);

/* <filesystem type='mount'>: a host directory shared over 9p or virtio-fs */
typedef struct VkDomainFs {
        VkFsDriver driver;         /* <driver type=> */
        VkFsWrpolicy wrpolicy;     /* <driver wrpolicy=> (9p) */
        unsigned queue_size;       /* <driver queue=> (virtiofs), 0: absent */
        VkFsAccessMode accessmode; /* accessmode= */
        VkFsMultidevs multidevs;   /* multidevs= (9p) */
        unsigned fmode, dmode;     /* fmode=/dmode= (9p, mapped), octal; 0: absent */
        char *source_dir;          /* <source dir=> */
        char *target_dir;          /* <target dir=>: the mount tag */
        bool readonly;             /* <readonly/> */
        /* virtiofs: <binary path= xattr=><cache mode=/><lock posix= flock=/>
         * <sandbox mode=/><thread_pool size=/></binary> */
        char *binary_path; /* NULL: found through QEMU's vhost-user descriptors */
        VkTristate binary_xattr;
        VkFsCache binary_cache;
        VkTristate lock_posix, lock_flock;
        VkFsSandbox binary_sandbox;
        bool has_thread_pool;
        unsigned thread_pool_size;
        VkDeviceInfo info;
} VkDomainFs;

typedef enum VkSmartcardMode {
        VK_SMARTCARD_HOST,
        VK_SMARTCARD_HOST_CERTIFICATES,
        VK_SMARTCARD_PASSTHROUGH,
        _VK_SMARTCARD_MAX,
        _VK_SMARTCARD_INVALID = -EINVAL,
} VkSmartcardMode;
VK_DOMAIN_ENUM_DECL(vk_smartcard_mode, VkSmartcardMode);

#define VK_SMARTCARD_CERTS 3

/* <smartcard mode=>: a card on the CCID controller (a USB smartcard reader) */
typedef struct VkDomainSmartcard {
        VkSmartcardMode mode;
        char *certificates[VK_SMARTCARD_CERTS]; /* host-certificates: the three names */
        char *database;                         /* host-certificates: <database>, NULL: absent */
        unsigned controller;                    /* <address type='ccid' controller= slot=> */
        unsigned slot;
        VkDeviceInfo info; /* its alias; the address is the ccid one above */
} VkDomainSmartcard;

/* <vsock model='virtio'><cid auto= address=/></vsock> */
typedef struct VkDomainVsock {
        VkTristate cid_auto; /* yes/no */
        unsigned cid;        /* 0: none yet (auto) */
        VkDeviceInfo info;
} VkDomainVsock;

/* ---- domain-wide pieces ----------------------------------------------------------------- */

/* <os><smbios mode=>: what the guest's SMBIOS tables say */
typedef enum VkSmbiosMode {
        VK_SMBIOS_MODE_NONE, /* absent: QEMU's own tables */
        VK_SMBIOS_MODE_EMULATE,
        VK_SMBIOS_MODE_HOST,    /* the host's BIOS and system strings */
        VK_SMBIOS_MODE_SYSINFO, /* <sysinfo type='smbios'> */
        _VK_SMBIOS_MODE_MAX,
        _VK_SMBIOS_MODE_INVALID = -EINVAL,
} VkSmbiosMode;
VK_DOMAIN_ENUM_DECL(vk_smbios_mode, VkSmbiosMode);

/* The SMBIOS blocks of <sysinfo type='smbios'> and the entries each has, in libvirt's order */
typedef enum VkSysinfoBlock {
        VK_SYSINFO_BIOS,       /* type 0: vendor version date release */
        VK_SYSINFO_SYSTEM,     /* type 1: manufacturer product version serial uuid sku family */
        VK_SYSINFO_BASE_BOARD, /* type 2: manufacturer product version serial asset location */
        VK_SYSINFO_CHASSIS,    /* type 3: manufacturer version serial asset sku */
        _VK_SYSINFO_BLOCK_MAX,
        _VK_SYSINFO_BLOCK_INVALID = -EINVAL,
} VkSysinfoBlock;

#define VK_SYSINFO_ENTRIES_MAX 7 /* the most entries a block has (system) */
#define VK_SYSINFO_LIST_MAX    64

/* One block: its entry values by the entry's index in the block's list, NULL: absent */
typedef struct VkSysinfoValues {
        char *v[VK_SYSINFO_ENTRIES_MAX];
} VkSysinfoValues;

typedef struct VkDomainSysinfo {
        bool present; /* a <sysinfo type='smbios'> was given */
        VkSysinfoValues bios, system, chassis;
        bool has_bios, has_system, has_chassis;
        VkSysinfoValues *base_boards; /* <baseBoard>, in order */
        size_t n_base_boards;
        char **oem_strings; /* <oemStrings><entry>, NULL-terminated; NULL: none */
} VkDomainSysinfo;

typedef struct VkDomainTimer {
        VkTimerName name;
        VkTimerTickpolicy tickpolicy;
        VkTristate present; /* yes/no */
        VkTimerTrack track;
} VkDomainTimer;

typedef struct VkCpuFeature {
        char *name;
        VkCpuFeaturePolicy policy;
} VkCpuFeature;

typedef struct VkDomainCpu {
        bool present; /* a <cpu> element was given */
        VkCpuMode mode;
        VkCpuCheck check;
        VkCpuMatch match;
        VkTristate migratable; /* host-passthrough: migratable='on|off' */
        char *model;
        VkCpuFallback fallback;
        char *vendor; /* <vendor>: a custom CPU's (the expanded host-model shows the host's) */
        unsigned sockets, dies, cores, threads; /* topology; all 0 when absent */
        VkCpuFeature *features;
        size_t n_features;
        VkCpuCacheMode cache_mode; /* <cache mode=> */
        unsigned cache_level;      /* <cache level=>, 0: absent */
        VkNumaCell *numa_cells;    /* <numa><cell> in id order */
        size_t n_numa_cells;
} VkDomainCpu;

typedef struct VkSeclabel {
        VkSeclabelModel model; /* <seclabel model=>; one seclabel per model */
        bool has_model;        /* model= given (may be absent with type='none') */
        VkSeclabelType type;
        VkTristate relabel; /* yes/no */
        char *label;        /* static: from config; dynamic: assigned (live only) */
        char *imagelabel;   /* live only for dynamic */
        char *baselabel;
} VkSeclabel;

typedef struct VkQemuArg {
        char *value;
} VkQemuArg;

typedef struct VkQemuEnv {
        char *name;
        char *value; /* optional */
} VkQemuEnv;

typedef struct VkQemuOverrideProperty {
        char *name;
        VkOverrideType type;
        char *value; /* NULL for remove; validated against type */
} VkQemuOverrideProperty;

typedef struct VkQemuOverrideDevice {
        char *alias;
        VkQemuOverrideProperty *props; /* <qemu:frontend> properties in order */
        size_t n_props;
        bool has_frontend;
} VkQemuOverrideDevice;

/* Everything of the qemu: namespace. Any use taints the domain (see def->tainted_*). */
typedef struct VkQemuNamespace {
        char **args; /* <qemu:commandline><qemu:arg value=/>, NULL-terminated */
        VkQemuEnv *env;
        size_t n_env;
        bool has_commandline;
        char **caps_add; /* <qemu:capabilities><qemu:add capability=/> */
        char **caps_del;
        bool has_capabilities;
        VkDeprecationBehavior deprecation;
        VkQemuOverrideDevice *overrides;
        size_t n_overrides;
        bool has_override;
} VkQemuNamespace;

#define VK_DOMAIN_BOOT_MAX     4
#define VK_DOMAIN_METADATA_MAX 256 /* elements (applications) in <metadata> */

typedef struct VkDomainDef {
        VkDomainVirtType virt_type;
        int id; /* live only: -1 when not running */
        char *name;
        VkUuid uuid;
        bool has_genid;
        bool genid_generated; /* <genid/> without value: generated per start */
        VkUuid genid;
        char *title;
        char *description;
        char **metadata; /* <metadata>: its elements verbatim (xml-metadata.c), NULL: none */

        unsigned long long max_memory_kib; /* <maxMemory>, 0: absent */
        unsigned max_memory_slots;
        unsigned long long memory_kib;         /* <memory> */
        unsigned long long current_memory_kib; /* <currentMemory>, defaults to memory */

        unsigned vcpus;         /* <vcpu>N</vcpu>, >= 1 */
        unsigned vcpus_current; /* current=, 0: absent (== vcpus) */
        VkVcpuPlacement vcpu_placement;
        char *vcpu_cpuset; /* cpuset= as given, validated */

        /* <os> */
        char *os_type; /* always "hvm" */
        VkDomainArch arch;
        char *machine; /* as given, "pc" if absent */
        VkMachineKind machine_kind;
        VkBootDev boot[VK_DOMAIN_BOOT_MAX];
        size_t n_boot;
        VkTristate bootmenu;       /* <bootmenu enable=yes|no> */
        unsigned bootmenu_timeout; /* ms; valid if has_bootmenu_timeout */
        bool has_bootmenu_timeout;
        VkOsFirmware os_firmware;
        VkTristate firmware_features[_VK_FIRMWARE_FEATURE_MAX]; /* yes/no, absent: either */
        char *loader_path; /* NULL with os_firmware: filled from a descriptor at start */
        VkTristate loader_readonly;
        VkTristate loader_secure; /* secure='yes': pflash writes only from SMM */
        VkLoaderType loader_type;
        char *nvram_path;
        char *nvram_template;
        char *kernel;
        char *initrd;
        char *cmdline;
        VkSmbiosMode smbios_mode; /* <os><smbios mode=> */
        VkDomainSysinfo sysinfo;  /* <sysinfo type='smbios'> (qemu-domain-platform.c) */

        /* <features>: a feature element present means "on" unless its state says otherwise */
        VkTristate features[_VK_FEATURE_MAX];
        VkDomainHyperv hyperv; /* <features><hyperv> */
        VkDomainKvm kvm;       /* <features><kvm> */

        VkMemoryBacking memory_backing;
        unsigned n_iothreads; /* <iothreads>, at least the <iothreadids> count */
        VkIothread *iothreadids;
        size_t n_iothreadids;
        VkCputune cputune;

        VkDomainCpu cpu;

        VkClockOffset clock_offset;
        bool clock_from_sync;       /* legacy <clock sync=>: formatted as offset= */
        long long clock_adjustment; /* variable: seconds */
        bool has_clock_adjustment;
        VkClockBasis clock_basis; /* variable */
        VkDomainTimer *timers;
        size_t n_timers;

        VkLifecycleAction on_poweroff;
        VkLifecycleAction on_reboot;
        VkLifecycleAction on_crash;

        VkTristate pm_suspend_to_mem; /* yes/no */
        VkTristate pm_suspend_to_disk;

        VkSeclabel *seclabels;
        size_t n_seclabels;

        /* <devices> */
        char *emulator;
        VkDomainDisk **disks;
        size_t n_disks;
        VkDomainController **controllers;
        size_t n_controllers;
        VkDomainNet **nets;
        size_t n_nets;
        VkDomainInput **inputs;
        size_t n_inputs;
        VkDomainGraphics **graphics;
        size_t n_graphics;
        VkDomainVideo **videos;
        size_t n_videos;
        VkDomainSound **sounds;
        size_t n_sounds;
        bool has_audio; /* one <audio id= type=> */
        unsigned audio_id;
        VkAudioType audio_type;
        VkDomainRedirdev **redirdevs;
        size_t n_redirdevs;
        VkDomainChr **serials;
        size_t n_serials;
        VkDomainChr **parallels;
        size_t n_parallels;
        VkDomainChr **consoles;
        size_t n_consoles;
        VkDomainChr **channels;
        size_t n_channels;
        VkDomainWatchdog **watchdogs;
        size_t n_watchdogs;
        VkDomainRng **rngs;
        size_t n_rngs;
        VkDomainTpm **tpms;
        size_t n_tpms;
        VkDomainMemballoon *memballoon; /* always set after post-parse (model may be none) */
        VkDomainFs **filesystems;
        size_t n_filesystems;
        VkDomainSmartcard **smartcards;
        size_t n_smartcards;
        VkDomainVsock *vsock; /* at most one */
        VkDomainPanic **panics;
        size_t n_panics;

        VkQemuNamespace qemu;
        /* Taint flags for the driver: the config uses unsupported pass-through. */
        bool tainted_custom_argv;   /* qemu:commandline */
        bool tainted_custom_caps;   /* qemu:capabilities */
        bool tainted_deprecation;   /* qemu:deprecation */
        bool tainted_custom_device; /* qemu:override */
} VkDomainDef;

/* ---- API -------------------------------------------------------------------------------- */

typedef enum VkDomainDefParseFlags {
        /* Accept live-only data (id=, runtime aliases, assigned labels): status files. */
        VK_DOMAIN_DEF_PARSE_LIVE = 1 << 0,
        /* Skip post-parse (defaults, implicit devices, addresses): for tests of the raw model. */
        VK_DOMAIN_DEF_PARSE_SKIP_POST_PARSE = 1 << 1,
} VkDomainDefParseFlags;

typedef enum VkDomainDefFormatFlags {
        /* Add live data: id=, runtime aliases, assigned security labels. */
        VK_DOMAIN_DEF_FORMAT_LIVE = 1 << 0,
        /* Include secrets (graphics passwd). */
        VK_DOMAIN_DEF_FORMAT_SECURE = 1 << 1,
} VkDomainDefFormatFlags;

/* Limits of what a client can make us allocate. */
#define VK_DOMAIN_NAME_MAX    200
#define VK_DOMAIN_XML_MAX     (10 * 1024 * 1024)
#define VK_DOMAIN_DEVICES_MAX 1024 /* per device kind */

VkDomainDef *vk_domain_def_new(void);
VkDomainDef *vk_domain_def_free(VkDomainDef *def);
VkDomainDef *vk_domain_def_copy(const VkDomainDef *src);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VkDomainDef, vk_domain_def_free)

int vk_domain_def_parse_string(const char *xml, unsigned flags, VkDomainDef **ret_def,
                               VkError *reterr);
int vk_domain_def_parse_file(const char *path, unsigned flags, VkDomainDef **ret_def,
                             VkError *reterr);
int vk_domain_def_post_parse(VkDomainDef *def, VkError *reterr);
int vk_domain_def_assign_addresses(VkDomainDef *def, VkMachineKind kind, VkError *reterr);
int vk_domain_def_format(const VkDomainDef *def, unsigned flags, char **ret_xml, VkError *reterr);
/* qemu-domain-check.c: format, and refuse a text that would not load to the same model */
int vk_domain_def_format_checked(const VkDomainDef *def, unsigned flags, const char *what,
                                 char **ret_xml, VkError *reterr);

int vk_domain_machine_kind_from_name(const char *machine, VkMachineKind *ret_kind);
void vk_domain_mac_format(const uint8_t mac[6], char ret_str[18]);
int vk_domain_mac_parse(const char *s, uint8_t ret_mac[6]);

VkDomainDisk *vk_domain_disk_free(VkDomainDisk *disk);
/* One <disk> element appended to @def's disks (hotplug parses a device on its own) */
int vk_domain_disk_parse(VkDomainDef *def, xmlNode *node, unsigned flags, VkError *reterr);
void vk_domain_disk_backing_clear(VkDomainDisk *disk);
VkDomainController *vk_domain_controller_free(VkDomainController *c);
VkDomainNet *vk_domain_net_free(VkDomainNet *net);
VkDomainInput *vk_domain_input_free(VkDomainInput *input);
VkDomainGraphics *vk_domain_graphics_free(VkDomainGraphics *g);
VkDomainVideo *vk_domain_video_free(VkDomainVideo *video);
VkDomainChr *vk_domain_chr_free(VkDomainChr *chr);
VkDomainWatchdog *vk_domain_watchdog_free(VkDomainWatchdog *w);
VkDomainRng *vk_domain_rng_free(VkDomainRng *rng);
VkDomainTpm *vk_domain_tpm_free(VkDomainTpm *tpm);
VkDomainMemballoon *vk_domain_memballoon_free(VkDomainMemballoon *mb);
VkDomainSound *vk_domain_sound_free(VkDomainSound *s);
VkDomainRedirdev *vk_domain_redirdev_free(VkDomainRedirdev *r);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(VkDomainDisk, vk_domain_disk_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VkDomainController, vk_domain_controller_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VkDomainNet, vk_domain_net_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VkDomainInput, vk_domain_input_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VkDomainGraphics, vk_domain_graphics_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VkDomainVideo, vk_domain_video_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VkDomainChr, vk_domain_chr_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VkDomainWatchdog, vk_domain_watchdog_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VkDomainRng, vk_domain_rng_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VkDomainTpm, vk_domain_tpm_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VkDomainMemballoon, vk_domain_memballoon_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VkDomainSound, vk_domain_sound_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VkDomainRedirdev, vk_domain_redirdev_free)

VkDomainFs *vk_domain_fs_free(VkDomainFs *fs);
VkDomainSmartcard *vk_domain_smartcard_free(VkDomainSmartcard *sc);
VkDomainVsock *vk_domain_vsock_free(VkDomainVsock *v);
VkDomainPanic *vk_domain_panic_free(VkDomainPanic *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VkDomainPanic, vk_domain_panic_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VkDomainFs, vk_domain_fs_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VkDomainSmartcard, vk_domain_smartcard_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VkDomainVsock, vk_domain_vsock_free)

/*
 * Tests only: replace the random source used for generated UUIDs and MAC addresses (NULL:
 * getrandom()). Makes goldens of inputs without <uuid>/<mac> deterministic.
 */
void vk_domain_def_set_random_source(void (*fill)(void *buf, size_t len));

/* qemu-domain-platform.c: the name of entry @index of @block ("vendor"...), NULL past the
 * last; the text of SMBIOS type @block's option name for an entry is the same word */
const char *vk_sysinfo_entry_name(VkSysinfoBlock block, unsigned index);
void vk_domain_sysinfo_clear(VkDomainSysinfo *si);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(VkDomainSysinfo, vk_domain_sysinfo_clear)

/* qemu-domain-base.c: a CPU set ("0-3,^2,8") into a map of VK_DOMAIN_CPUSET_MAX entries */
#define VK_DOMAIN_CPUSET_MAX 4096
int vk_domain_cpuset_parse(const char *s, bool *map);

/* qemu-domain-cpu.c: a CPU feature's name as QEMU spells it (lahf_lm -> lahf-lm, pclmuldq ->
 * pclmulqdq) and as libvirt's XML does (the reverse); any other name is returned as is */
const char *vk_cpu_feature_to_qemu(const char *name);
const char *vk_cpu_feature_from_qemu(const char *name);

/* qemu-domain-tune.c: the id of the @index-th of the n_iothreads I/O threads; is @id one */
unsigned vk_domain_iothread_id(const VkDomainDef *def, unsigned index);
bool vk_domain_iothread_exists(const VkDomainDef *def, unsigned id);
const VkCpuSched *vk_domain_vcpu_sched(const VkDomainDef *def, unsigned vcpu);
const VkCpuSched *vk_domain_iothread_sched(const VkDomainDef *def, unsigned id);

/* Lookups the argv builder needs. */
const VkDomainController *vk_domain_def_find_controller(const VkDomainDef *def,
                                                        VkControllerType type, unsigned index);
GPtrArray *vk_domain_def_sorted_controllers(const VkDomainDef *def);
