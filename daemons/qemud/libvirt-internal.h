/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libvirt-internal.h: what the files of the org.libvirt façade share */
#pragma once

#include "libvirt-path.h"
#include "libvirt.h"
#include "service-raw.h"

#define VK_LIBVIRT_ERROR "org.libvirt.Error"

typedef struct VkLibvirtKind VkLibvirtKind;
typedef struct VkLibvirtReq VkLibvirtReq;

/* The SubscribeEvents stream of one sibling (libvirt-objects.c). */
typedef struct VkLibvirtSubscription {
        VkLibvirt *lv;
        const VkLibvirtKind *kind;
        bool active; /* asked for and not ended */
} VkLibvirtSubscription;

#define VK_LIBVIRT_N_KINDS 4 /* network, storage pool, storage volume, secret */

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
        /* networks, pools, volumes, secrets: by kind (libvirt-objects.c) */
        sd_bus_vtable *object_vtables[VK_LIBVIRT_N_KINDS];
        sd_bus_slot *object_slots[VK_LIBVIRT_N_KINDS];
        sd_bus_slot *object_properties_slots[VK_LIBVIRT_N_KINDS];
        VkLibvirtSubscription subs[3]; /* networkd, storaged, secretd */
};

/*
 * One kind of object served from a sibling: its path prefix, interface, the sibling's
 * forwarded interface (its methods' declarations and its polkit actions) and the hooks of
 * the shared code (libvirt-objects.c).
 */
struct VkLibvirtKind {
        const char *what; /* "Network": for messages */
        const char *prefix;
        const VkRawInterface *iface;
        const VkInterface *forward_iface;
        VkForward *(*forward)(VkQemud *q);
        int (*key_of_path)(const char *path, char **ret_key);   /* NULL: "_<uuid>" */
        void (*get_properties)(VkLibvirtReq *req);              /* Get/GetAll of req->key */
        void (*set_autostart)(VkLibvirtReq *req, bool enabled); /* NULL: read-only */
        void (*on_event)(VkLibvirt *lv, JsonObject *event);     /* one SubscribeEvents reply */
        unsigned sub_index;                                     /* lv->subs[] */
};

typedef void (*VkLibvirtStep)(VkLibvirtReq *req, void *result);

/* An org.libvirt call being answered by requests to a sibling. */
struct VkLibvirtReq {
        VkCall *call;
        const VkLibvirtKind *kind;
        VkQemud *q;
        const VkMethod *method; /* the request in flight */
        VkForward *forward;
        VkLibvirtStep step;
        char *key;       /* the object of the call's path: UUID or volume key */
        char *not_found; /* libvirt's text when the sibling has no such object */
        char *prop;      /* Properties.Get: the one asked for (NULL: GetAll) */
        bool prop_found;
        bool list; /* List*: an unreachable sibling is an empty list */
        uint32_t flags;
        uint64_t u64;
        char *s1, *s2;
        void (*op)(void); /* what a step does next */
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

/* libvirt-objects.c */
VkLibvirtReq *vk_libvirt_req_new(VkCall *call, const VkLibvirtKind *kind, void *userdata);
int vk_libvirt_req_read(VkLibvirtReq *req, const char *types, ...);
int vk_libvirt_req_object(VkLibvirtReq *req);
void vk_libvirt_req_send(VkLibvirtReq *req, const char *method, const void *params,
                         VkLibvirtStep step);
void vk_libvirt_req_fail(VkLibvirtReq *req, const VkError *e);
void vk_libvirt_req_reply(VkLibvirtReq *req, sd_bus_message *reply);
void vk_libvirt_req_reply_value(VkLibvirtReq *req, const char *types, ...);
void vk_libvirt_req_reply_paths(VkLibvirtReq *req, GPtrArray *paths);
void vk_libvirt_req_done(VkLibvirtReq *req, void *result);
sd_bus_message *vk_libvirt_prop_begin(VkLibvirtReq *req);
int vk_libvirt_prop_append(VkLibvirtReq *req, sd_bus_message *reply, const char *name,
                           const char *type, ...);
void vk_libvirt_prop_end(VkLibvirtReq *req, sd_bus_message *reply, int r);
bool vk_libvirt_flag_pair(uint32_t flags, uint32_t yes, uint32_t no, bool value);
const VkInterface *vk_libvirt_auth_of_member(const char *member);
int vk_libvirt_objects_on_properties(VkLibvirt *lv, sd_bus_message *msg, const char *iface);
int vk_libvirt_objects_on_method(sd_bus_message *msg, void *userdata, sd_bus_error *ret_error);
int vk_libvirt_objects_find(sd_bus *bus, const char *path, const char *interface, void *userdata,
                            void **ret_found, sd_bus_error *ret_error);
int vk_libvirt_objects_get_property(sd_bus *bus, const char *path, const char *interface,
                                    const char *property, sd_bus_message *reply, void *userdata,
                                    sd_bus_error *ret_error);
int vk_libvirt_objects_set_property(sd_bus *bus, const char *path, const char *interface,
                                    const char *property, sd_bus_message *value, void *userdata,
                                    sd_bus_error *ret_error);
int vk_libvirt_objects_new(VkLibvirt *lv);
void vk_libvirt_objects_free(VkLibvirt *lv);
void vk_libvirt_subscribe(VkLibvirt *lv, const VkLibvirtKind *kind);

/* libvirt-network.c */
extern const VkLibvirtKind vk_libvirt_network_kind;
int vk_libvirt_list_networks(VkCall *call, void *params, void *userdata);
int vk_libvirt_network_lookup_by_name(VkCall *call, void *params, void *userdata);
int vk_libvirt_network_lookup_by_uuid(VkCall *call, void *params, void *userdata);
int vk_libvirt_network_define_xml(VkCall *call, void *params, void *userdata);
int vk_libvirt_network_create_xml(VkCall *call, void *params, void *userdata);

/* libvirt-storage.c */
extern const VkLibvirtKind vk_libvirt_pool_kind;
extern const VkLibvirtKind vk_libvirt_vol_kind;
int vk_libvirt_list_storage_pools(VkCall *call, void *params, void *userdata);
int vk_libvirt_pool_lookup_by_name(VkCall *call, void *params, void *userdata);
int vk_libvirt_pool_lookup_by_uuid(VkCall *call, void *params, void *userdata);
int vk_libvirt_pool_define_xml(VkCall *call, void *params, void *userdata);
int vk_libvirt_pool_create_xml(VkCall *call, void *params, void *userdata);
int vk_libvirt_vol_lookup_by_path(VkCall *call, void *params, void *userdata);
int vk_libvirt_vol_lookup_by_key(VkCall *call, void *params, void *userdata);

/* libvirt-secret.c */
extern const VkLibvirtKind vk_libvirt_secret_kind;
int vk_libvirt_list_secrets(VkCall *call, void *params, void *userdata);
int vk_libvirt_secret_lookup_by_uuid(VkCall *call, void *params, void *userdata);
int vk_libvirt_secret_lookup_by_usage(VkCall *call, void *params, void *userdata);
int vk_libvirt_secret_define_xml(VkCall *call, void *params, void *userdata);

/* libvirt-stats.c */
int vk_libvirt_domain_get_stats(VkCall *call, void *params, void *userdata);
/* libvirt-vcpu.c */
int vk_libvirt_domain_get_vcpu_pin_info(VkCall *call, void *params, void *userdata);
int vk_libvirt_domain_get_emulator_pin_info(VkCall *call, void *params, void *userdata);
int vk_libvirt_domain_pin_vcpu(VkCall *call, void *params, void *userdata);
int vk_libvirt_domain_pin_emulator(VkCall *call, void *params, void *userdata);
int vk_libvirt_domain_get_vcpus(VkCall *call, void *params, void *userdata);
/* libvirt-device.c */
int vk_libvirt_domain_attach_device(VkCall *call, void *params, void *userdata);
int vk_libvirt_domain_detach_device(VkCall *call, void *params, void *userdata);
int vk_libvirt_domain_update_device(VkCall *call, void *params, void *userdata);

/* libvirt-domain.c */
extern const VkRawInterface vk_libvirt_domain_interface;
int vk_libvirt_domain_on_method(sd_bus_message *msg, void *userdata, sd_bus_error *ret_error);
int vk_libvirt_domain_find(sd_bus *bus, const char *path, const char *interface, void *userdata,
                           void **ret_found, sd_bus_error *ret_error);
int vk_libvirt_domain_enumerate(sd_bus *bus, const char *prefix, void *userdata, char ***ret_nodes,
                                sd_bus_error *ret_error);
int vk_libvirt_domain_set_autostart(VkLibvirt *lv, sd_bus_message *msg);
int vk_libvirt_domain_of_call(VkCall *call, VkQemud *q, VkDomainObj **ret);
int vk_libvirt_state_number(VkDomainState state);
int vk_libvirt_reason_number(VkDomainState state, VkDomainReason reason);
