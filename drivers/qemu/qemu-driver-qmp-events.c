/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * qemu-driver-qmp-events.c: what QEMU tells about a running domain besides its lifecycle
 * (balloon, tray, device removal, disk errors, RTC, watchdog, a lost monitor) as domain
 * events with libvirt's meaning, and the live state they change
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "macro.h"
#include "qemu-argv.h"
#include "qemu-driver-internal.h"

static const VkDomainDef *qmp_event_def(VkDomainObj *obj) {
        return obj->live ? obj->live : obj->def;
}

static const char *qmp_event_string(JsonObject *data, const char *member) {
        JsonNode *n = data ? json_object_get_member(data, member) : NULL;

        if (!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
                return NULL;
        return json_node_get_string(n);
}

/* The live state after an event that paused the vCPUs (before QEMU's STOP, which then
 * changes nothing): paused for @reason, with libvirt's "suspended" event. */
static void qmp_event_paused(VkQemuDriver *drv, VkDomainObj *obj, VkDomainReason reason) {
        if (obj->state == VK_DOMAIN_STATE_RUNNING)
                qemu_driver_set_run_state(drv, obj, VK_DOMAIN_STATE_PAUSED, reason);
}

/* BALLOON_CHANGE: the guest's balloon driver gave memory back or took it; the live
 * <currentMemory> follows, as in libvirt. */
static void qmp_event_balloon(VkQemuDriver *drv, VkDomainObj *obj, JsonObject *data) {
        g_auto(VkError) err = VK_ERROR_INIT;
        int64_t actual;

        if (!data || !json_object_has_member(data, "actual"))
                return;
        actual = json_object_get_int_member(data, "actual");
        if (actual < 0)
                return;
        if (obj->live) {
                obj->live->current_memory_kib = (unsigned long long) actual >> 10;
                if (obj->process && !obj->process->exited &&
                    vk_qemu_process_write_status(obj->process, obj->live,
                                                 vk_domain_state_to_string(obj->state),
                                                 vk_domain_reason_to_string(obj->reason), &err) < 0)
                        vk_log_debug("Domain '%s': the balloon's size is not in its status "
                                     "file: %s",
                                     obj->name, err.message);
        }
        qemu_driver_emit_event(
                drv, obj, &(VkQemuDomainEvent){ .event = "balloon-change", .value = actual >> 10 });
}

/* The alias of the device an event names: QEMU's id= (our alias), else the drive's name,
 * which older QEMUs gave as "drive-<alias>". NULL: none. */
static const char *qmp_event_alias(JsonObject *data) {
        const char *id = qmp_event_string(data, "id");
        const char *device = qmp_event_string(data, "device");

        if (id && *id)
                return id;
        if (device && g_str_has_prefix(device, "drive-"))
                return device + strlen("drive-");
        return device && *device ? device : NULL;
}

/* DEVICE_TRAY_MOVED: a CD-ROM's or floppy's tray opened or closed. */
static void qmp_event_tray(VkQemuDriver *drv, VkDomainObj *obj, JsonObject *data) {
        const char *alias = qmp_event_alias(data);

        if (!alias || !json_object_has_member(data, "tray-open"))
                return;
        qemu_driver_emit_event(drv, obj,
                               &(VkQemuDomainEvent){
                                       .event = "tray-change",
                                       .device = alias,
                                       .detail = json_object_get_boolean_member(data, "tray-open")
                                                         ? "opened"
                                                         : "closed",
                               });
}

/* DEVICE_DELETED: QEMU (the guest, or a device_del) removed a device with an id. */
static void qmp_event_device_deleted(VkQemuDriver *drv, VkDomainObj *obj, JsonObject *data) {
        const char *alias = qmp_event_string(data, "device");

        if (!alias || !*alias)
                return; /* a device of its own, without our id */
        qemu_driver_device_deleted(drv, obj, alias);
        qemu_driver_emit_event(drv, obj,
                               &(VkQemuDomainEvent){ .event = "device-removed", .device = alias });
}

/* The disk whose image (or a backing layer) has the node "libvirt-N-...", else -1. */
static ssize_t qmp_event_disk_of_node(const VkDomainDef *def, const char *node) {
        unsigned long long n;
        char *end = NULL;

        if (!node || !g_str_has_prefix(node, "libvirt-"))
                return -1;
        errno = 0;
        n = strtoull(node + strlen("libvirt-"), &end, 10);
        if (errno != 0 || end == node + strlen("libvirt-") || *end != '-')
                return -1;
        for (size_t i = 0; i < def->n_disks; i++) {
                size_t base = vk_qemu_argv_disk_node(def, i);

                if (n >= base && n <= base + def->disks[i]->n_backing)
                        return (ssize_t) i;
        }
        return -1;
}

/* The disk with the alias @alias, else -1. */
static ssize_t qmp_event_disk_of_alias(const VkDomainDef *def, const char *alias) {
        for (size_t i = 0; alias && i < def->n_disks; i++) {
                g_autofree char *a = vk_qemu_argv_disk_alias(def, def->disks[i]);

                if (g_strcmp0(a, alias) == 0)
                        return (ssize_t) i;
        }
        return -1;
}

/* BLOCK_IO_ERROR: a disk failed an I/O; with error_policy='stop' QEMU paused the vCPUs. */
static void qmp_event_io_error(VkQemuDriver *drv, VkDomainObj *obj, JsonObject *data) {
        const VkDomainDef *def = qmp_event_def(obj);
        const char *action = qmp_event_string(data, "action");
        g_autofree char *alias = NULL;
        const VkDomainDisk *disk = NULL;
        const char *libvirt_action;
        ssize_t i;

        i = qmp_event_disk_of_node(def, qmp_event_string(data, "node-name"));
        if (i < 0)
                i = qmp_event_disk_of_alias(def, qmp_event_alias(data));
        if (i >= 0) {
                disk = def->disks[i];
                alias = vk_qemu_argv_disk_alias(def, disk);
        }
        /* libvirt's virDomainEventIOErrorAction: QEMU's "stop" is its "pause" */
        libvirt_action = g_strcmp0(action, "stop") == 0     ? "pause"
                         : g_strcmp0(action, "report") == 0 ? "report"
                                                            : "none";
        qemu_driver_emit_event(
                drv, obj,
                &(VkQemuDomainEvent){
                        .event = "io-error",
                        .detail = libvirt_action,
                        .device = alias ? alias : "",
                        .path = disk && disk->src_path ? disk->src_path : "",
                        .reason = data && json_object_get_boolean_member_with_default(
                                                  data, "nospace", false)
                                          ? "enospc"
                                          : "",
                });
        if (strcmp(libvirt_action, "pause") == 0)
                qmp_event_paused(drv, obj, VK_DOMAIN_REASON_IOERROR);
}

/* RTC_CHANGE: the guest set its clock; QEMU's offset counts from the start's base, which
 * for offset='variable' is the configured adjustment from UTC (libvirt adds it too). */
static void qmp_event_rtc(VkQemuDriver *drv, VkDomainObj *obj, JsonObject *data) {
        const VkDomainDef *def = qmp_event_def(obj);
        int64_t offset;

        if (!data || !json_object_has_member(data, "offset"))
                return;
        offset = json_object_get_int_member(data, "offset");
        if (def->clock_offset == VK_CLOCK_OFFSET_VARIABLE && def->has_clock_adjustment)
                offset += def->clock_adjustment;
        qemu_driver_emit_event(drv, obj,
                               &(VkQemuDomainEvent){ .event = "rtc-change", .value = offset });
}

/* WATCHDOG: the guest's watchdog fired; QEMU did the action (and for "pause" stops). */
static void qmp_event_watchdog(VkQemuDriver *drv, VkDomainObj *obj, JsonObject *data) {
        static const char *const actions[] = { "none",     "pause", "reset",     "poweroff",
                                               "shutdown", "debug", "inject-nmi" };
        const char *action = qmp_event_string(data, "action");
        const char *known = "none";

        for (size_t i = 0; action && i < G_N_ELEMENTS(actions); i++)
                if (strcmp(action, actions[i]) == 0)
                        known = actions[i];
        qemu_driver_emit_event(drv, obj,
                               &(VkQemuDomainEvent){ .event = "watchdog", .detail = known });
        if (strcmp(known, "pause") == 0)
                qmp_event_paused(drv, obj, VK_DOMAIN_REASON_WATCHDOG);
}

/* An event of QEMU that is not about the lifecycle: true when it became a domain event. */
bool qemu_driver_qmp_event(VkQemuDriver *drv, VkDomainObj *obj, const char *name,
                           JsonObject *data) {
        static const struct {
                const char *name;
                void (*handle)(VkQemuDriver *drv, VkDomainObj *obj, JsonObject *data);
        } handlers[] = {
                { "BALLOON_CHANGE", qmp_event_balloon },
                { "DEVICE_TRAY_MOVED", qmp_event_tray },
                { "DEVICE_DELETED", qmp_event_device_deleted },
                { "BLOCK_IO_ERROR", qmp_event_io_error },
                { "RTC_CHANGE", qmp_event_rtc },
                { "WATCHDOG", qmp_event_watchdog },
        };

        for (size_t i = 0; i < G_N_ELEMENTS(handlers); i++)
                if (strcmp(name, handlers[i].name) == 0) {
                        handlers[i].handle(drv, obj, data);
                        return true;
                }
        return false;
}

/* The monitor of a running QEMU closed and QEMU did not end: libvirt's control error. The
 * domain runs on; what needs the monitor fails until the daemon reconnects (a restart). */
void qemu_driver_monitor_lost(VkQemuDriver *drv, VkDomainObj *obj) {
        vk_log_debug("Domain '%s' lost its monitor connection; QEMU runs on", obj->name);
        qemu_driver_emit_event(drv, obj, &(VkQemuDomainEvent){ .event = "control-error" });
}
