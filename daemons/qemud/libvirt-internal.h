/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libvirt-internal.h: what the files of the org.libvirt façade share */
#pragma once

#include "libvirt-path.h"
#include "libvirt.h"
#include "service-raw.h"

#define VK_LIBVIRT_ERROR "org.libvirt.Error"

struct VkLibvirt {
        VkQemud *q;
        VkService *service;
        sd_bus *bus;
        sd_bus_vtable *connect_vtable;
        sd_bus_vtable *domain_vtable;
        sd_bus_slot *connect_slot;
        sd_bus_slot *domain_slot;
        sd_bus_slot *enumerator_slot;
        sd_bus_slot *properties_slot;
        sd_bus_slot *domain_properties_slot;
};

/* libvirt-connect.c */
extern const VkInterface vk_libvirt_auth_interface;
extern const VkRawInterface vk_libvirt_connect_interface;
int vk_libvirt_fail(VkCall *call, const VkError *error);
int vk_libvirt_read(VkCall *call, const char *types, ...);
int vk_libvirt_async(VkCall *call, int r);
int vk_libvirt_unsupported(VkCall *call, void *params, void *userdata);
void vk_libvirt_on_done(VkQemuDriver *drv, const char *result, const VkError *error,
                        void *userdata);
int vk_libvirt_reply_path(VkCall *call, const char *uuid);
int vk_libvirt_reply_strv(VkCall *call, const char *const *paths);
int vk_libvirt_connect_on_method(sd_bus_message *msg, void *userdata, sd_bus_error *ret_error);

/* libvirt-stats.c */
int vk_libvirt_domain_get_stats(VkCall *call, void *params, void *userdata);

/* libvirt-domain.c */
extern const VkRawInterface vk_libvirt_domain_interface;
int vk_libvirt_domain_on_method(sd_bus_message *msg, void *userdata, sd_bus_error *ret_error);
int vk_libvirt_domain_find(sd_bus *bus, const char *path, const char *interface, void *userdata,
                           void **ret_found, sd_bus_error *ret_error);
int vk_libvirt_domain_enumerate(sd_bus *bus, const char *prefix, void *userdata, char ***ret_nodes,
                                sd_bus_error *ret_error);
int vk_libvirt_domain_set_autostart(VkLibvirt *lv, sd_bus_message *msg);
void vk_libvirt_domain_emit_reboot(VkLibvirt *lv, const char *uuid);
int vk_libvirt_domain_of_call(VkCall *call, VkQemud *q, VkDomainObj **ret);
int vk_libvirt_state_number(VkDomainState state);
int vk_libvirt_reason_number(VkDomainState state, VkDomainReason reason);
