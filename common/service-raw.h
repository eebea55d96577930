/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* service-raw.h: D-Bus calls whose handler reads and answers the message itself */
#pragma once

#include <systemd/sd-bus.h>

#include "call.h"

/*
 * A method of a foreign D-Bus interface (one whose signatures the field tables cannot express,
 * such as libvirt-dbus's org.libvirt): @method gives the name, the handler and the
 * authorisation (its in and out stay NULL: the handler reads the arguments from
 * vk_call_get_bus_message() and answers with vk_call_reply_message() or an error).
 */
typedef struct VkRawMethod {
        VkMethod method;
        const char *signature; /* D-Bus input signature */
        const char *result;    /* D-Bus output signature */
        const char *names;     /* argument names, inputs then outputs, each ending in "\0" */
} VkRawMethod;

/* A property of a foreign interface; @type is its D-Bus signature. */
typedef struct VkRawProperty {
        const char *name;
        const char *type;
        sd_bus_property_get_t get;
        sd_bus_property_set_t set; /* NULL: read-only */
} VkRawProperty;

typedef struct VkRawSignal {
        const char *name;
        const char *signature;
        const char *names; /* each ending in "\0" */
} VkRawSignal;

/* One foreign interface: its members, declared once; the vtable is built from them. */
typedef struct VkRawInterface {
        const char *bus_interface;
        const VkRawMethod *methods;      /* terminated by method.name == NULL */
        const VkRawProperty *properties; /* terminated by name == NULL; may be NULL */
        const VkRawSignal *signals;      /* terminated by name == NULL; may be NULL */
} VkRawInterface;

sd_bus_vtable *vk_raw_vtable_new(const VkRawInterface *ri, sd_bus_message_handler_t handler);
const VkRawMethod *vk_raw_interface_find(const VkRawInterface *ri, const char *member);
int vk_service_dispatch_raw(VkService *s, const VkInterface *auth_iface, const VkMethod *m,
                            sd_bus_message *msg, const char *error_name);
sd_bus *vk_service_get_bus(VkService *s);
sd_bus_message *vk_call_get_bus_message(VkCall *c);
int vk_call_reply_message(VkCall *c, sd_bus_message *reply);
