/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* api.h: the io.virtkit.Qemu interface served by virtkit-qemud */
#pragma once

#include <systemd/sd-event.h>

#include "call.h"
#include "paths.h"
#include "method.h"
#include "qemu-driver.h"
#include "forward.h"
#include "subscribers.h"

/* What every handler gets as userdata: the driver and the event subscribers. */
typedef struct VkQemud {
        sd_event *event;
        VkService *service; /* set by the owner once it exists: D-Bus signals */
        bool session;       /* the callers own the instance (session, embedded) */
        void (*busy_changed)(void *userdata);
        void *busy_userdata;
        VkQemuDriver *driver;
        VkSubscribers *subscribers;   /* the SubscribeEvents streams */
        sd_event_source *exit_source; /* ends the streams before the service goes away */
        VkForward *secret_forward;    /* io.virtkit.Secret calls passed on to secretd */
        VkForward *network_forward;   /* io.virtkit.Network calls passed on to networkd */
        VkForward *storage_forward;   /* io.virtkit.Storage calls passed on to storaged */
        char *network_socket;         /* networkd's socket (DomainInterfaceAddresses) */
        struct VkLibvirt *libvirt;    /* org.libvirt on the bus (libvirt.c), or NULL */
} VkQemud;

extern const VkInterface vk_qemu_interface;
/* api-events.c: SubscribeEvents; the types of its replies and of the event signals */
extern const VkMethod vk_qemud_event_methods[];
extern const VkStructType vk_qemud_event_type;
extern const VkStructType vk_qemud_lifecycle_event_type;
/* api-ifaddr.c: DomainInterfaceAddresses */
extern const VkMethod vk_qemud_ifaddr_methods[];
/* api-domops.c: InjectDomainNMI, SendDomainKey, RenameDomain, Get/SetDomainMetadata */
extern const VkMethod vk_qemud_domops_methods[];
/* api-vcpu.c: Get/PinDomainVcpu*, Get/PinDomainEmulator*, GetDomainVcpuCount */
extern const VkMethod vk_qemud_vcpu_methods[];
/* api-media.c: ChangeDomainMedia */
extern const VkMethod vk_qemud_media_methods[];
/* api-device.c: AttachDevice, DetachDevice */
extern const VkMethod vk_qemud_device_methods[];

/* One address of one interface of a domain (from a DHCP lease). */
typedef struct VkQemudIfAddr {
        char *name;   /* the interface on the host (the tap) */
        char *hwaddr; /* the guest's MAC address */
        char *type;   /* "ipv4" or "ipv6" */
        char *addr;
        int64_t prefix;
} VkQemudIfAddr;

typedef void (*VkQemudIfAddrFunc)(const VkQemudIfAddr *addrs, size_t n, const VkError *error,
                                  void *userdata);
int vk_qemud_ifaddr_query(VkQemud *q, VkDomainObj *obj, VkQemudIfAddrFunc done, void *userdata,
                          VkError *reterr);

void vk_qemud_on_event(VkQemuDriver *drv, const VkQemuDomainEvent *ev, void *userdata);
void vk_qemud_drop_subscribers(VkQemud *q);
int vk_qemud_new(sd_event *event, const VkPaths *paths, VkInstanceKind kind, bool session,
                 void (*busy_changed)(void *userdata), void *userdata, VkQemud **ret,
                 VkError *reterr);
VkQemud *vk_qemud_free(VkQemud *q);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(VkQemud, vk_qemud_free)
