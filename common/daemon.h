/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* daemon.h: what every virtkit daemon does: options, instance, activation, idle exit, notify */
#pragma once

#include <stdbool.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "error.h"
#include "method.h"
#include "paths.h"
#include "service.h"

typedef struct VkDaemon VkDaemon;

typedef struct VkDaemonInfo {
        const char *name;   /* "virtkit-qemud" */
        const char *driver; /* "qemu": names the paths and the config file */
        const VkInterface *iface;
        /* Set up the driver once paths are known; *ret_userdata goes to every handler. */
        int (*init)(VkDaemon *d, void **ret_userdata, VkError *reterr);
        void (*done)(void *userdata);
        /* True while the driver has work that must keep the daemon alive (running VMs). */
        bool (*busy)(void *userdata);
        /* Optional: the service now exists (before the loop runs). */
        void (*service_ready)(void *userdata, VkService *service);
        /* Optional: the service is on @bus (attached to the loop), before the loop runs:
         * serve more there. Not called without a bus. */
        void (*bus_ready)(void *userdata, VkService *service, sd_bus *bus);
} VkDaemonInfo;

int vk_daemon_main(int argc, char **argv, const VkDaemonInfo *info);

sd_event *vk_daemon_get_event(VkDaemon *d);
const VkPaths *vk_daemon_get_paths(VkDaemon *d);
VkInstanceKind vk_daemon_get_instance(VkDaemon *d);
bool vk_daemon_is_session(VkDaemon *d);
VkService *vk_daemon_get_service(VkDaemon *d);
sd_bus *vk_daemon_get_bus(VkDaemon *d);
void vk_daemon_check_idle(VkDaemon *d);
