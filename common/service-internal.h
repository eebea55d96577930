/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* service-internal.h: what the files of VkService and VkCall share; include it only from them */
#pragma once

#include "call.h"

struct VkService {
        sd_event *event;
        const VkInterface *iface;
        void *userdata;
        bool session;
        uid_t uid;
        char *product;
        char *instance;
        VkVarlinkServer *varlink;
        sd_bus *bus;
        sd_bus *polkit_bus;
        sd_bus_slot *vtable_slot;
        sd_bus_slot *name_slot;
        sd_bus_vtable *vtable;
        GPtrArray *vtable_strings;
        GPtrArray *objects; /* ServiceObjects, one per iface->objects entry (with a bus) */
        sd_bus_slot *object_manager_slot;
        GPtrArray *forward_slots;   /* sd_bus_slot of each iface->forwards vtable */
        GPtrArray *forward_vtables; /* their vtables */
        GHashTable *uid_cache;      /* unique bus name → uid + 1 */
        GPtrArray *extra_names;     /* more bus names (borrowed strings), released with ours */
        unsigned n_calls;
        char *idl;
        void (*activity_cb)(VkService *s, void *ud);
        void *activity_ud;
        void (*released_cb)(VkService *s, void *ud);
        void *released_ud;
};

typedef struct ServiceObjects ServiceObjects;

struct VkCall {
        unsigned n_ref;
        VkService *service;
        const VkInterface *iface; /* the service's interface or one of its forwards */
        const VkMethod *method;
        VkWire wire;
        VkVarlinkConnection *conn;
        sd_bus_message *msg;
        void *params;
        VkPeer peer;
        bool more;
        bool oneway;
        bool interactive;
        bool replied;
        sd_bus_slot *pending;       /* a credentials lookup or polkit check */
        const char *bus_error_name; /* every D-Bus error reply has this name (NULL: usual) */
        VkError error;
};

/* service.c */
void service_activity(VkService *s);
const VkInterface *service_find_forward(VkService *s, const char *name, bool bus);

/* call.c */
VkCall *call_new(VkService *s, const VkInterface *iface, const VkMethod *m, VkWire wire);
void call_run(VkCall *c);

/* call-auth.c */
void call_authorize(VkCall *c);
void call_authorize_bus(VkCall *c);

/* service-varlink.c */
void service_on_varlink_method(VkVarlinkConnection *conn, const char *method, JsonObject *params,
                               unsigned flags, void *userdata);
void service_on_varlink_connection(VkVarlinkConnection *conn, bool open, void *userdata);

/* service-bus.c */
int service_bus_dispatch(VkService *s, const VkInterface *iface, sd_bus_message *msg,
                         const VkMethod *m, const char *key_field, const char *key);
int service_on_bus_method(sd_bus_message *msg, void *userdata, sd_bus_error *ret_error);

/* service-objects.c */
int service_export_objects(VkService *s, const VkObjectInterface *oi, VkError *reterr);
void service_objects_free(ServiceObjects *so);
