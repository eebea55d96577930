/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* network-driver.h: the network driver's plain C API (vk_network_driver_*), no IPC types */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>
#include <systemd/sd-event.h>

#include "error.h"
#include "network-def.h"
#include "network-leases.h"
#include "network-port-def.h"
#include "uuid.h"
#include "xml.h"

/* The driver's own error names (qualified io.virtkit.Network.<Name> on the wire). */
#define VK_NETWORK_ERROR_NO_SUCH_NETWORK "NoSuchNetwork" /* parameter "network" */
#define VK_NETWORK_ERROR_NO_SUCH_PORT    "NoSuchPort"    /* parameter "port" */

/* How many networks one driver holds at most, and ports one network. */
#define VK_NETWORK_DRIVER_MAX_NETWORKS 4096
#define VK_NETWORK_DRIVER_MAX_PORTS    4096

typedef struct VkNetworkDriver VkNetworkDriver;

typedef struct VkNetworkDriverConfig {
        sd_event *event;           /* dnsmasq is watched on it */
        const char *config_dir;    /* definitions: networks/<name>.xml, networks/autostart/ */
        const char *run_dir;       /* status, dnsmasq pid and leases files */
        const char *lib_dir;       /* dnsmasq's configuration files */
        const char *default_xml;   /* defined when networks/ does not exist yet; NULL: none */
        const char *leases_helper; /* dnsmasq's --dhcp-script; NULL: found next to us */
        const char *dnsmasq;       /* NULL: /usr/sbin/dnsmasq */
        /* network.conf's firewall_backend: "nftables" or "iptables"; NULL: nftables, or
         * iptables when nftables does not work here */
        const char *firewall_backend;
} VkNetworkDriverConfig;

/* What a list or a lookup tells about one network. */
typedef struct VkNetworkInfo {
        char *name;
        VkUuid uuid;
        bool active;
        bool persistent;
        bool autostart;
        char *bridge; /* NULL: none */
} VkNetworkInfo;

void vk_network_info_free(VkNetworkInfo *info);

/* List filters: VK_TRISTATE_ABSENT matches everything. */
typedef struct VkNetworkFilter {
        VkTristate active;
        VkTristate persistent;
        VkTristate autostart;
} VkNetworkFilter;

/* libvirt's VIR_NETWORK_EVENT_DEFINED, _UNDEFINED, _STARTED, _STOPPED. */
typedef enum VkNetworkEventType {
        VK_NETWORK_EVENT_DEFINED,
        VK_NETWORK_EVENT_UNDEFINED,
        VK_NETWORK_EVENT_STARTED,
        VK_NETWORK_EVENT_STOPPED,
        _VK_NETWORK_EVENT_MAX,
        _VK_NETWORK_EVENT_INVALID = -EINVAL,
} VkNetworkEventType;

const char *vk_network_event_type_to_string(VkNetworkEventType t);
VkNetworkEventType vk_network_event_type_from_string(const char *s);

typedef struct VkNetworkEvent {
        VkNetworkEventType type;
        const char *name;
        const char *uuid;
        bool gone; /* the network no longer exists (undefined, or a transient one stopped) */
} VkNetworkEvent;

/* Runs after the change is visible, from inside the driver call that made it. */
typedef void (*VkNetworkEventFunc)(VkNetworkDriver *drv, const VkNetworkEvent *ev, void *userdata);

/* Something went wrong in the background (a dnsmasq that died): for the daemon's log. */
typedef void (*VkNetworkWarningFunc)(VkNetworkDriver *drv, const char *message, void *userdata);

int vk_network_driver_new(const VkNetworkDriverConfig *cfg, VkNetworkDriver **ret_drv,
                          GPtrArray **ret_warnings, VkError *reterr);
VkNetworkDriver *vk_network_driver_free(VkNetworkDriver *drv);
void vk_network_driver_set_event_callback(VkNetworkDriver *drv, VkNetworkEventFunc cb,
                                          void *userdata);
void vk_network_driver_set_warning_callback(VkNetworkDriver *drv, VkNetworkWarningFunc cb,
                                            void *userdata);
unsigned vk_network_driver_count(const VkNetworkDriver *drv);
const char *vk_network_driver_firewall_backend(const VkNetworkDriver *drv);
void vk_network_driver_autostart(VkNetworkDriver *drv, GPtrArray *warnings);

int vk_network_driver_define(VkNetworkDriver *drv, const char *xml, VkNetworkInfo **ret_info,
                             VkError *reterr);
int vk_network_driver_undefine(VkNetworkDriver *drv, const char *name, VkError *reterr);
int vk_network_driver_create(VkNetworkDriver *drv, const char *name, VkError *reterr);
int vk_network_driver_create_xml(VkNetworkDriver *drv, const char *xml, VkNetworkInfo **ret_info,
                                 VkError *reterr);
int vk_network_driver_destroy(VkNetworkDriver *drv, const char *name, VkError *reterr);
int vk_network_driver_get_xml(VkNetworkDriver *drv, const char *name, bool inactive, char **ret_xml,
                              VkError *reterr);
int vk_network_driver_lookup(VkNetworkDriver *drv, const char *name, const char *uuid,
                             VkNetworkInfo **ret_info, VkError *reterr);
int vk_network_driver_list(VkNetworkDriver *drv, const VkNetworkFilter *filter,
                           GPtrArray **ret_infos, VkError *reterr);
int vk_network_driver_set_autostart(VkNetworkDriver *drv, const char *name, bool autostart,
                                    VkError *reterr);
int vk_network_driver_get_dhcp_leases(VkNetworkDriver *drv, const char *name, const char *mac,
                                      VkNetworkLeases **ret_leases, VkError *reterr);

/* UpdateNetwork's commands (libvirt's VIR_NETWORK_UPDATE_COMMAND_*). */
typedef enum VkNetworkUpdateCommand {
        VK_NETWORK_UPDATE_ADD_LAST,
        VK_NETWORK_UPDATE_ADD_FIRST,
        VK_NETWORK_UPDATE_DELETE,
        VK_NETWORK_UPDATE_MODIFY,
        _VK_NETWORK_UPDATE_MAX,
        _VK_NETWORK_UPDATE_INVALID = -EINVAL,
} VkNetworkUpdateCommand;

const char *vk_network_update_command_to_string(VkNetworkUpdateCommand c);
VkNetworkUpdateCommand vk_network_update_command_from_string(const char *s);

int vk_network_driver_update(VkNetworkDriver *drv, const char *network, const char *command,
                             const char *section, const char *xml, bool live, bool config,
                             VkError *reterr);

/* A port: where a VM's NIC plugs in (libvirt's virNetworkPort). */
typedef struct VkNetworkPortInfo {
        VkUuid uuid;
        char *network;
        VkMac mac;
        char *owner_name; /* NULL: none */
        VkNetworkPlugType plug_type;
        char *bridge; /* NETWORK, BRIDGE */
        unsigned mtu; /* 0: the kernel's default */
        char *dev;    /* DIRECT */
        char *mode;   /* DIRECT */
} VkNetworkPortInfo;

void vk_network_port_info_free(VkNetworkPortInfo *info);

int vk_network_driver_create_port(VkNetworkDriver *drv, const char *network, const char *xml,
                                  VkNetworkPortInfo **ret_info, VkError *reterr);
int vk_network_driver_delete_port(VkNetworkDriver *drv, const char *port, VkError *reterr);
int vk_network_driver_list_ports(VkNetworkDriver *drv, const char *network, GPtrArray **ret_infos,
                                 VkError *reterr);
int vk_network_driver_get_port_xml(VkNetworkDriver *drv, const char *port, char **ret_xml,
                                   VkError *reterr);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(VkNetworkDriver, vk_network_driver_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VkNetworkPortInfo, vk_network_port_info_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VkNetworkInfo, vk_network_info_free)
