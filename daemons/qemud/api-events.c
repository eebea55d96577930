/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* api-events.c: domain events of io.virtkit.Qemu: SubscribeEvents streams, the DomainEvent and
 * DomainEventFull signals, and org.libvirt's signals (passed on to libvirt-events.c) */
#include <stddef.h>

#include "api.h"
#include "libvirt.h"

typedef struct EventArgs {
        char *name;
        char *uuid;
        char *event;
        char *detail;
        char *device;
        char *path;
        char *reason;
        char *uri;
        int64_t value;
} EventArgs;

/* the members every event has (the DomainEvent signal has only these) */
/* clang-format off */
#define EVENT_LIFECYCLE_FIELDS                                                                   \
        { "name", VK_FIELD_STRING, offsetof(EventArgs, name), VK_FIELD_REQUIRED, NULL,           \
          "The domain's name" },                                                                 \
        { "uuid", VK_FIELD_STRING, offsetof(EventArgs, uuid), VK_FIELD_REQUIRED, NULL,           \
          "The domain's UUID" },                                                                 \
        { "event", VK_FIELD_STRING, offsetof(EventArgs, event), VK_FIELD_REQUIRED, NULL,         \
          "defined, undefined, started, suspended, resumed, stopped, shutdown, crashed, "        \
          "rebooted; SubscribeEvents and DomainEventFull also: balloon-change, tray-change, "    \
          "device-added, device-removed, io-error, rtc-change, watchdog, control-error, "        \
          "metadata-change" },                                                                   \
        { "detail", VK_FIELD_STRING, offsetof(EventArgs, detail), VK_FIELD_REQUIRED, NULL,       \
          "booted, destroyed, crashed, shutdown, failed, ...; tray-change: opened or closed; "   \
          "io-error: none, pause or report; watchdog: its action; metadata-change: "             \
          "description, title or element" }
/* clang-format on */

static const VkField event_type_fields[] = {
        EVENT_LIFECYCLE_FIELDS,
        { "device", VK_FIELD_STRING, offsetof(EventArgs, device), 0, NULL,
          "tray-change, device-added, device-removed, io-error: the device's alias" },
        { "path", VK_FIELD_STRING, offsetof(EventArgs, path), 0, NULL,
          "io-error: the disk's source (empty when it has none)" },
        { "reason", VK_FIELD_STRING, offsetof(EventArgs, reason), 0, NULL,
          "io-error: enospc (no space left), else empty" },
        { "uri", VK_FIELD_STRING, offsetof(EventArgs, uri), 0, NULL,
          "metadata-change of an element: its namespace" },
        { "value", VK_FIELD_INT, offsetof(EventArgs, value), 0, NULL,
          "balloon-change: the guest's memory in KiB; rtc-change: the RTC's offset from UTC in "
          "seconds; else 0" },
        {},
};

const VkStructType vk_qemud_event_type = {
        .size = sizeof(EventArgs),
        .fields = event_type_fields,
};

/* the DomainEvent signal: lifecycle events only, with the members it always had */
static const VkField lifecycle_event_type_fields[] = {
        EVENT_LIFECYCLE_FIELDS,
        {},
};

const VkStructType vk_qemud_lifecycle_event_type = {
        .size = sizeof(EventArgs),
        .fields = lifecycle_event_type_fields,
};

static int api_subscribe(VkCall *call, void *params, void *userdata) {
        VkQemud *q = userdata;

        return vk_subscribers_add(q->subscribers, call);
}

/*
 * The driver's event: one reply on every SubscribeEvents stream, the DomainEventFull signal on
 * D-Bus and, for lifecycle events, the DomainEvent signal.
 */
void vk_qemud_on_event(VkQemuDriver *drv, const VkQemuDomainEvent *ev, void *userdata) {
        VkQemud *q = userdata;
        EventArgs args = {
                .name = (char *) ev->name,
                .uuid = (char *) ev->uuid,
                .event = (char *) ev->event,
                .detail = (char *) (ev->detail ? ev->detail : ""),
                .device = (char *) ev->device,
                .path = (char *) ev->path,
                .reason = (char *) ev->reason,
                .uri = (char *) ev->uri,
                .value = ev->value,
        };
        VkService *service = q->service;

        vk_subscribers_send(q->subscribers, &args);
        if (service) {
                if (vk_qemu_domain_event_is_lifecycle(ev->event))
                        (void) vk_service_emit_signal(service, "DomainEvent", &args);
                (void) vk_service_emit_signal(service, "DomainEventFull", &args);
        }
        vk_libvirt_on_event(q->libvirt, ev);
}

/*
 * End every stream and every call forwarded to a sibling (the daemon exits): the clients see
 * their connection close.
 */
void vk_qemud_drop_subscribers(VkQemud *q) {
        vk_forward_cancel_all(q->secret_forward);
        vk_forward_cancel_all(q->network_forward);
        vk_forward_cancel_all(q->storage_forward);
        vk_subscribers_drop_all(q->subscribers);
}

const VkMethod vk_qemud_event_methods[] = {
        { "SubscribeEvents", NULL, &vk_qemud_event_type, api_subscribe, VK_AUTH_READ,
          VK_METHOD_STREAM,
          "One reply per domain event (call with more); D-Bus: the DomainEventFull signal (and "
          "DomainEvent for lifecycle events)." },
        {},
};
