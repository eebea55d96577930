/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* service.h: VkService binds one interface declaration to varlink and D-Bus */
#pragma once

#include <stdbool.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "error.h"
#include "method.h"
#include "varlink.h"

typedef struct VkService VkService;

typedef struct VkServiceOptions {
        const VkInterface *iface;
        void *userdata;                /* passed to every handler */
        bool session;                  /* session instance: only our own uid may call */
        const char *product;           /* for org.varlink.service.GetInfo */
        const char *instance;          /* "system", "session" or "embedded", for GetVersion */
        const VkVarlinkLimits *limits; /* NULL: defaults */
} VkServiceOptions;

int vk_service_new(sd_event *event, const VkServiceOptions *opts, VkService **ret);
VkService *vk_service_free(VkService *s);
int vk_service_add_varlink_fd(VkService *s, int fd);
int vk_service_add_varlink_connection(VkService *s, int fd);
int vk_service_listen_varlink(VkService *s, const char *path, mode_t mode, VkError *reterr);
int vk_service_attach_bus(VkService *s, sd_bus *bus, VkError *reterr);
void vk_service_set_polkit_bus(VkService *s, sd_bus *system_bus);
void vk_service_set_activity_callback(VkService *s, void (*cb)(VkService *s, void *ud), void *ud);
bool vk_service_is_idle(VkService *s);
void vk_service_stop_accepting(VkService *s);
int vk_service_add_bus_name(VkService *s, const char *name);
int vk_service_release_bus_name(VkService *s, void (*done)(VkService *s, void *ud), void *ud);
sd_event *vk_service_get_event(VkService *s);
const VkInterface *vk_service_get_interface(VkService *s);
void *vk_service_get_userdata(VkService *s);
const char *vk_service_get_product(VkService *s);
const char *vk_service_get_instance(VkService *s);
int vk_service_emit_signal(VkService *s, const char *member, const void *args);
int vk_service_update_object(VkService *s, const VkObjectInterface *oi, const char *key);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(VkService, vk_service_free)
