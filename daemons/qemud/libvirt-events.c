/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvirt-events.c: the driver's domain events as libvirt-dbus's signals: DomainEvent on
 * the Connect object (libvirt's lifecycle numbers), the others on the domain's object
 */
#include <string.h>

#include "libvirt-internal.h"
#include "log.h"
#include "macro.h"

/* libvirt's virDomainEventType and details of our lifecycle events (-1: not one of libvirt's) */
static void libvirt_event_numbers(const char *event, const char *detail, int *ret_event,
                                  int *ret_detail) {
        static const struct {
                const char *event;
                int number;
                const char *details[8]; /* by libvirt's detail number */
        } table[] = {
                { "defined", 0, { "added", "updated", "renamed", "from-snapshot" } },
                { "undefined", 1, { "removed", "renamed" } },
                { "started", 2, { "booted", "migrated", "restored", "from-snapshot", "wakeup" } },
                { "suspended",
                  3,
                  { "paused", "migrated", "ioerror", "watchdog", "restored", "from-snapshot",
                    "api-error", "postcopy" } },
                { "resumed", 4, { "unpaused", "migrated", "from-snapshot", "postcopy" } },
                { "stopped",
                  5,
                  { "shutdown", "destroyed", "crashed", "migrated", "saved", "failed",
                    "from-snapshot" } },
                { "shutdown", 6, { "finished", "guest", "host" } },
                { "crashed", 8, { "panicked", "crashloaded" } },
        };

        *ret_event = -1;
        *ret_detail = 0;
        for (size_t i = 0; i < G_N_ELEMENTS(table); i++) {
                if (g_strcmp0(table[i].event, event) != 0)
                        continue;
                *ret_event = table[i].number;
                for (int d = 0; d < 8 && table[i].details[d]; d++)
                        if (g_strcmp0(table[i].details[d], detail) == 0)
                                *ret_detail = d;
                /* our "suspended" after a user pause says "user" */
                if (table[i].number == 3 && g_strcmp0(detail, "user") == 0)
                        *ret_detail = 0;
        }
}

/* The position of @s in the NULL-terminated @names (libvirt's number of a name), else 0. */
static int libvirt_event_index(const char *const *names, const char *s) {
        for (int i = 0; names[i]; i++)
                if (g_strcmp0(names[i], s) == 0)
                        return i;
        return 0;
}

/*
 * A signal of org.libvirt.Domain on @ev's domain object for an event that is not about the
 * lifecycle, with libvirt-dbus's arguments and libvirt's numbers. 0: not one of those.
 */
static int libvirt_emit_domain_signal(VkLibvirt *lv, const VkQemuDomainEvent *ev) {
        static const char *const tray_reasons[] = { "opened", "closed", NULL };
        static const char *const io_actions[] = { "none", "pause", "report", NULL };
        static const char *const watchdog_actions[] = {
                "none", "pause", "reset", "poweroff", "shutdown", "debug", "inject-nmi", NULL,
        };
        static const char *const metadata_types[] = { "description", "title", "element", NULL };
        g_autofree char *path = vk_libvirt_domain_path(ev->uuid);
        const char *iface = vk_libvirt_domain_interface.bus_interface;
        const char *e = ev->event;

        if (strcmp(e, "rebooted") == 0)
                return sd_bus_emit_signal(lv->bus, path, iface, "Reboot", NULL);
        if (strcmp(e, "balloon-change") == 0)
                return sd_bus_emit_signal(lv->bus, path, iface, "BalloonChange", "t",
                                          (uint64_t) ev->value);
        if (strcmp(e, "tray-change") == 0)
                return sd_bus_emit_signal(lv->bus, path, iface, "TrayChange", "si",
                                          vk_strempty(ev->device),
                                          libvirt_event_index(tray_reasons, ev->detail));
        if (strcmp(e, "device-added") == 0)
                return sd_bus_emit_signal(lv->bus, path, iface, "DeviceAdded", "s",
                                          vk_strempty(ev->device));
        if (strcmp(e, "device-removed") == 0)
                return sd_bus_emit_signal(lv->bus, path, iface, "DeviceRemoved", "s",
                                          vk_strempty(ev->device));
        if (strcmp(e, "io-error") == 0)
                return sd_bus_emit_signal(lv->bus, path, iface, "IOError", "ssis",
                                          vk_strempty(ev->path), vk_strempty(ev->device),
                                          libvirt_event_index(io_actions, ev->detail),
                                          vk_strempty(ev->reason));
        if (strcmp(e, "rtc-change") == 0)
                return sd_bus_emit_signal(lv->bus, path, iface, "RTCChange", "x", ev->value);
        if (strcmp(e, "watchdog") == 0)
                return sd_bus_emit_signal(lv->bus, path, iface, "Watchdog", "i",
                                          libvirt_event_index(watchdog_actions, ev->detail));
        if (strcmp(e, "control-error") == 0)
                return sd_bus_emit_signal(lv->bus, path, iface, "ControlError", NULL);
        if (strcmp(e, "metadata-change") == 0)
                return sd_bus_emit_signal(lv->bus, path, iface, "MetadataChange", "is",
                                          libvirt_event_index(metadata_types, ev->detail),
                                          vk_strempty(ev->uri));
        return 0;
}

/* The driver's event as libvirt-dbus sends it: DomainEvent (lifecycle events, libvirt's
 * numbers) on the Connect object, the other signals on the domain's object. */
void vk_libvirt_on_event(VkLibvirt *lv, const VkQemuDomainEvent *ev) {
        g_autofree char *path = NULL;
        int event, detail, r;

        if (!lv)
                return;
        r = libvirt_emit_domain_signal(lv, ev);
        if (r < 0)
                vk_log_debug("Failed to send the org.libvirt signal of %s of '%s': %s", ev->event,
                             ev->name, g_strerror(-r));
        libvirt_event_numbers(ev->event, ev->detail, &event, &detail);
        if (event < 0)
                return; /* "rebooted": no lifecycle event in libvirt, the Reboot signal */
        path = vk_libvirt_domain_path(ev->uuid);
        r = sd_bus_emit_signal(lv->bus, VK_LIBVIRT_PATH, "org.libvirt.Connect", "DomainEvent",
                               "oii", path, event, detail);
        if (r < 0)
                vk_log_debug("Failed to send org.libvirt DomainEvent of '%s': %s", ev->name,
                             g_strerror(-r));
}
