/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bus.h: the D-Bus side of the method field tables: vtables and message codec */
#pragma once

#include <systemd/sd-bus.h>

#include "error.h"
#include "method.h"

sd_bus_vtable *vk_bus_vtable_new(const VkInterface *iface, sd_bus_message_handler_t handler,
                                 GPtrArray *strings);
int vk_bus_object_vtable_new(const VkInterface *iface, const VkObjectInterface *oi,
                             sd_bus_message_handler_t handler, sd_bus_property_get_t getter,
                             GPtrArray *strings, sd_bus_vtable **ret);
const VkMethod *vk_bus_object_method_target(const VkInterface *iface, const VkObjectMethod *om);
int vk_bus_object_path(const char *prefix, const char *key, char **ret);
int vk_bus_object_key(const char *prefix, const char *path, char **ret);
int vk_bus_read_struct(sd_bus_message *m, const VkStructType *t, void *p, VkError *reterr);
int vk_bus_read_struct_skip(sd_bus_message *m, const VkStructType *t, void *p, const char *skip,
                            VkError *reterr);
int vk_bus_append_struct(sd_bus_message *m, const VkStructType *t, const void *p);
int vk_bus_append_field(sd_bus_message *m, const VkField *f, const void *p);
const char *vk_bus_error_name(const char *varlink_error);
