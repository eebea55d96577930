/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-driver.h: the QEMU driver: domains, lifecycle, capabilities (plain C API, no IPC) */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>
#include <systemd/sd-event.h>

#include "error.h"
#include "paths.h"
#include "qemu-domain-obj.h"
#include "qemu-media.h"

typedef struct VkQemuDriver VkQemuDriver;

/*
 * Asynchronous operations end with one call of a VkQemuDriverDoneFunc, always from the loop
 * and never from inside the call that started them: @result (may be NULL; valid during the
 * call) on success, else @error.
 */
typedef void (*VkQemuDriverDoneFunc)(VkQemuDriver *drv, const char *result, const VkError *error,
                                     void *userdata);

/*
 * An event of a domain. Lifecycle events: "defined", "undefined", "started", "suspended",
 * "resumed", "stopped", "shutdown", "crashed", "rebooted", with a detail (usually the state
 * reason). What QEMU tells besides (qemu-driver-qmp-events.c), with the members that apply
 * (the others NULL or 0):
 *   "balloon-change"  value: the guest's memory now, KiB
 *   "tray-change"     device (the disk's alias), detail "opened" or "closed"
 *   "device-added"    device (its alias): a live attach-device finished
 *   "device-removed"  device (its alias)
 *   "io-error"        device, path (the disk's source, "" when none), detail: libvirt's action
 *                     ("none", "pause", "report"), reason: "enospc" or ""
 *   "rtc-change"      value: the guest's RTC offset from UTC, seconds
 *   "watchdog"        detail: the action ("none", "pause", "reset", "poweroff", "shutdown",
 *                     "debug", "inject-nmi")
 *   "control-error"   the monitor connection was lost while QEMU runs on
 *   "metadata-change" detail "description", "title" or "element", uri (element's namespace)
 */
typedef struct VkQemuDomainEvent {
        const char *name;
        const char *uuid;
        const char *event;
        const char *detail;
        const char *device;
        const char *path;
        const char *reason;
        const char *uri;
        int64_t value;
} VkQemuDomainEvent;

/* Whether @event is one of the lifecycle events (the others say what QEMU did). */
bool vk_qemu_domain_event_is_lifecycle(const char *event);

typedef struct VkQemuDriverCallbacks {
        void (*event)(VkQemuDriver *drv, const VkQemuDomainEvent *ev, void *userdata);
        /* vk_qemu_driver_is_busy() may have changed */
        void (*busy_changed)(VkQemuDriver *drv, void *userdata);
        /* @obj's state, id, autostart or persistence may have changed, or it joined or left
         * the domain list (obj->list == NULL: gone); runs after the change */
        void (*domain_changed)(VkQemuDriver *drv, VkDomainObj *obj, void *userdata);
} VkQemuDriverCallbacks;

typedef enum VkQemuListFlags {
        VK_QEMU_LIST_ACTIVE = 1 << 0,
        VK_QEMU_LIST_INACTIVE = 1 << 1,
        VK_QEMU_LIST_PERSISTENT = 1 << 2,
        VK_QEMU_LIST_TRANSIENT = 1 << 3,
        VK_QEMU_LIST_AUTOSTART = 1 << 4,
} VkQemuListFlags;

typedef struct VkQemuDomainInfo {
        VkDomainState state;
        VkDomainReason reason;
        uint64_t memory_kib;
        uint64_t max_memory_kib;
        unsigned vcpus;
        uint64_t cpu_time_ns;
} VkQemuDomainInfo;

/* GetDomainXML flags */
typedef enum VkQemuXmlFlags {
        VK_QEMU_XML_INACTIVE = 1 << 0,
        VK_QEMU_XML_SECURE = 1 << 1,
} VkQemuXmlFlags;

int vk_qemu_driver_new(sd_event *event, const VkPaths *paths, VkInstanceKind kind,
                       VkQemuDriver **ret, VkError *reterr);
VkQemuDriver *vk_qemu_driver_free(VkQemuDriver *drv);
void vk_qemu_driver_set_callbacks(VkQemuDriver *drv, const VkQemuDriverCallbacks *cb,
                                  void *userdata);
void vk_qemu_driver_set_networkd_socket(VkQemuDriver *drv, const char *path);
bool vk_qemu_driver_is_busy(VkQemuDriver *drv);
bool vk_qemu_driver_is_reconnecting(VkQemuDriver *drv);
void vk_qemu_driver_settle(VkQemuDriver *drv, uint64_t timeout_usec);

int vk_qemu_driver_get_capabilities(VkQemuDriver *drv, VkQemuDriverDoneFunc done, void *userdata,
                                    VkError *reterr);
int vk_qemu_driver_get_domain_capabilities(VkQemuDriver *drv, const char *emulator,
                                           const char *arch, const char *machine,
                                           const char *virttype, VkQemuDriverDoneFunc done,
                                           void *userdata, VkError *reterr);
int vk_qemu_driver_xml_to_native(VkQemuDriver *drv, const char *format, const char *xml,
                                 VkQemuDriverDoneFunc done, void *userdata, VkError *reterr);
int vk_qemu_driver_xml_from_native(VkQemuDriver *drv, const char *format, const char *native,
                                   VkError *reterr);

int vk_qemu_driver_define(VkQemuDriver *drv, const char *xml, VkQemuDriverDoneFunc done,
                          void *userdata, VkError *reterr);
/* vk_qemu_driver_undefine() flags: what happens to an existing UEFI variable store */
typedef enum VkQemuUndefineFlags {
        VK_QEMU_UNDEFINE_NVRAM = 1 << 0,      /* remove it */
        VK_QEMU_UNDEFINE_KEEP_NVRAM = 1 << 1, /* keep it */
} VkQemuUndefineFlags;

int vk_qemu_driver_undefine(VkQemuDriver *drv, const char *domain, unsigned flags, VkError *reterr);
int vk_qemu_driver_list(VkQemuDriver *drv, unsigned flags, GPtrArray **ret);
int vk_qemu_driver_lookup(VkQemuDriver *drv, const char *domain, VkDomainObj **ret_obj,
                          VkError *reterr);
int vk_qemu_driver_lookup_by(VkQemuDriver *drv, const char *name, const char *uuid, int64_t id,
                             VkDomainObj **ret_obj, VkError *reterr);
int vk_qemu_driver_get_xml(VkQemuDriver *drv, const char *domain, unsigned flags, char **ret,
                           VkError *reterr);
int vk_qemu_driver_get_info(VkQemuDriver *drv, const char *domain, VkQemuDomainInfo *ret,
                            VkError *reterr);
int vk_qemu_driver_set_autostart(VkQemuDriver *drv, const char *domain, bool enabled,
                                 VkError *reterr);

int vk_qemu_driver_rename(VkQemuDriver *drv, const char *domain, const char *new_name,
                          VkError *reterr);

/* libvirt's virDomainMetadataType, with its numbers */
typedef enum VkQemuMetadataType {
        VK_QEMU_METADATA_DESCRIPTION, /* <description> */
        VK_QEMU_METADATA_TITLE,       /* <title> */
        VK_QEMU_METADATA_ELEMENT,     /* an application's element in <metadata>, by namespace */
        _VK_QEMU_METADATA_MAX,
        _VK_QEMU_METADATA_INVALID = -EINVAL,
} VkQemuMetadataType;

/* libvirt's virDomainModificationImpact; neither: the live definition of a running domain, the
 * persistent one of a shut off one */
typedef enum VkQemuAffectFlags {
        VK_QEMU_AFFECT_LIVE = 1 << 0,
        VK_QEMU_AFFECT_CONFIG = 1 << 1,
} VkQemuAffectFlags;

const char *vk_qemu_metadata_type_to_string(VkQemuMetadataType t);
VkQemuMetadataType vk_qemu_metadata_type_from_string(const char *s);
int vk_qemu_driver_get_metadata(VkQemuDriver *drv, const char *domain, VkQemuMetadataType type,
                                const char *uri, unsigned flags, char **ret, VkError *reterr);
int vk_qemu_driver_set_metadata(VkQemuDriver *drv, const char *domain, VkQemuMetadataType type,
                                const char *metadata, const char *key, const char *uri,
                                unsigned flags, VkError *reterr);

/* qemu-driver-vcpu.c: vCPU and emulator pins, vcpuinfo, vcpucount (libvirt's names) */
#define VK_QEMU_VCPU_MAXIMUM (1u << 2) /* vk_qemu_driver_get_vcpu_count(): <vcpu>, not current= */
#define VK_QEMU_PIN_EMULATOR (-1)      /* vk_qemu_driver_pin(): the emulator threads */

/* One online vCPU of a running domain, as libvirt's virVcpuInfo (its state is "running"). */
typedef struct VkQemuVcpuInfo {
        unsigned vcpu;
        int cpu;              /* the host CPU its thread last ran on */
        uint64_t cpu_time_ns; /* its thread's CPU time */
        char *affinity;       /* the CPUs its thread may run on, a CPU list */
} VkQemuVcpuInfo;

typedef void (*VkQemuVcpuInfoFunc)(VkQemuDriver *drv, const VkQemuVcpuInfo *vcpus, size_t n,
                                   const VkError *error, void *userdata);

unsigned vk_qemu_driver_host_cpus(void);
int vk_qemu_driver_get_vcpu_info(VkQemuDriver *drv, const char *domain, VkQemuVcpuInfoFunc done,
                                 void *userdata, VkError *reterr);
int vk_qemu_driver_get_vcpu_pins(VkQemuDriver *drv, const char *domain, unsigned flags, char ***ret,
                                 VkError *reterr);
int vk_qemu_driver_get_emulator_pin(VkQemuDriver *drv, const char *domain, unsigned flags,
                                    char **ret, VkError *reterr);
int vk_qemu_driver_pin(VkQemuDriver *drv, const char *domain, int vcpu, const char *cpuset,
                       unsigned flags, VkQemuDriverDoneFunc done, void *userdata, VkError *reterr);
int vk_qemu_driver_get_vcpu_count(VkQemuDriver *drv, const char *domain, unsigned flags,
                                  unsigned *ret, VkError *reterr);

/* qemu-driver-media.c: the medium of a CD-ROM or floppy drive (virsh change-media) */
#define VK_QEMU_MEDIA_FORCE (1u << 2) /* libvirt's VIR_DOMAIN_DEVICE_MODIFY_FORCE */

int vk_qemu_driver_change_media(VkQemuDriver *drv, const char *domain, const char *target,
                                const char *source, VkQemuMediaAction action, unsigned flags,
                                VkQemuDriverDoneFunc done, void *userdata, VkError *reterr);

/* qemu-driver-device.c: disk hotplug (libvirt's attach-device, detach-device) */
int vk_qemu_driver_attach_device(VkQemuDriver *drv, const char *domain, const char *xml,
                                 unsigned flags, VkQemuDriverDoneFunc done, void *userdata,
                                 VkError *reterr);
int vk_qemu_driver_detach_device(VkQemuDriver *drv, const char *domain, const char *xml,
                                 unsigned flags, VkQemuDriverDoneFunc done, void *userdata,
                                 VkError *reterr);
int vk_qemu_driver_update_device(VkQemuDriver *drv, const char *domain, const char *xml,
                                 unsigned flags, VkQemuDriverDoneFunc done, void *userdata,
                                 VkError *reterr);

int vk_qemu_driver_start(VkQemuDriver *drv, const char *domain, bool paused,
                         VkQemuDriverDoneFunc done, void *userdata, VkError *reterr);
int vk_qemu_driver_create(VkQemuDriver *drv, const char *xml, bool paused,
                          VkQemuDriverDoneFunc done, void *userdata, VkError *reterr);
int vk_qemu_driver_destroy(VkQemuDriver *drv, const char *domain, bool graceful,
                           VkQemuDriverDoneFunc done, void *userdata, VkError *reterr);

/* The simple QMP operations, one job each. */
typedef enum VkQemuDomainOp {
        VK_QEMU_OP_SHUTDOWN,   /* system_powerdown */
        VK_QEMU_OP_REBOOT,     /* system_reset, on_reboot honoured */
        VK_QEMU_OP_RESET,      /* system_reset */
        VK_QEMU_OP_SUSPEND,    /* stop */
        VK_QEMU_OP_RESUME,     /* cont */
        VK_QEMU_OP_INJECT_NMI, /* inject-nmi */
        VK_QEMU_OP_SEND_KEY,   /* send-key: vk_qemu_driver_send_key() only */
        _VK_QEMU_OP_MAX,
        _VK_QEMU_OP_INVALID = -EINVAL,
} VkQemuDomainOp;

int vk_qemu_driver_domain_op(VkQemuDriver *drv, const char *domain, VkQemuDomainOp op,
                             VkQemuDriverDoneFunc done, void *userdata, VkError *reterr);
int vk_qemu_driver_send_key(VkQemuDriver *drv, const char *domain, const char *codeset,
                            unsigned holdtime_ms, char *const *keys, VkQemuDriverDoneFunc done,
                            void *userdata, VkError *reterr);
int vk_qemu_driver_monitor_command(VkQemuDriver *drv, const char *domain, const char *command,
                                   bool hmp, VkQemuDriverDoneFunc done, void *userdata,
                                   VkError *reterr);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(VkQemuDriver, vk_qemu_driver_free)
