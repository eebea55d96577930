/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-domain-obj.h: the domain list: indexes, persistent configs, autostart, state */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

#include "error.h"
#include "qemu-domain-def.h"
#include "uuid.h"

/* libvirt's virDomainState, with the same numbers (clients compare them). */
typedef enum VkDomainState {
        VK_DOMAIN_STATE_NOSTATE,
        VK_DOMAIN_STATE_RUNNING,
        VK_DOMAIN_STATE_BLOCKED,
        VK_DOMAIN_STATE_PAUSED,
        VK_DOMAIN_STATE_SHUTDOWN,
        VK_DOMAIN_STATE_SHUTOFF,
        VK_DOMAIN_STATE_CRASHED,
        VK_DOMAIN_STATE_PMSUSPENDED,
        _VK_DOMAIN_STATE_MAX,
        _VK_DOMAIN_STATE_INVALID = -EINVAL,
} VkDomainState;

/* Why a domain is in its state; one list for all states (names are libvirt's). */
typedef enum VkDomainReason {
        VK_DOMAIN_REASON_UNKNOWN,
        VK_DOMAIN_REASON_BOOTED,      /* running, shut off: never started */
        VK_DOMAIN_REASON_UNPAUSED,    /* running */
        VK_DOMAIN_REASON_USER,        /* paused */
        VK_DOMAIN_REASON_STARTING_UP, /* paused: started with paused */
        VK_DOMAIN_REASON_SHUTDOWN,    /* shut off, paused after a guest poweroff */
        VK_DOMAIN_REASON_DESTROYED,   /* shut off */
        VK_DOMAIN_REASON_CRASHED,     /* shut off, crashed, paused */
        VK_DOMAIN_REASON_FAILED,      /* shut off: the start failed */
        VK_DOMAIN_REASON_RESET,       /* running again after a reset */
        VK_DOMAIN_REASON_IOERROR,     /* paused: a disk error with error_policy='stop' */
        VK_DOMAIN_REASON_WATCHDOG,    /* paused: the watchdog fired with action='pause' */
        _VK_DOMAIN_REASON_MAX,
        _VK_DOMAIN_REASON_INVALID = -EINVAL,
} VkDomainReason;

const char *vk_domain_state_to_string(VkDomainState s);
VkDomainState vk_domain_state_from_string(const char *s);
const char *vk_domain_reason_to_string(VkDomainReason r);
VkDomainReason vk_domain_reason_from_string(const char *s);

typedef struct VkQemuProcess VkQemuProcess;
typedef struct VkQemuJob VkQemuJob;
typedef struct VkDomainList VkDomainList;

/*
 * One domain. @def is the definition used by the next start (the persistent config, or the
 * transient one); @live is the definition of the running instance (NULL when shut off). The
 * list holds one reference; jobs and processes take their own while they run.
 */
typedef struct VkDomainObj {
        unsigned n_ref;
        VkDomainList *list; /* NULL once removed from the list */
        void *driver;       /* the driver that owns the list (borrowed) */
        VkDomainDef *def;
        VkDomainDef *live;
        char *name; /* == def->name, kept for the indexes */
        VkUuid uuid;
        char uuid_str[VK_UUID_STRING_MAX];
        int id; /* -1 when shut off */
        bool persistent;
        bool autostart;
        bool tainted;
        bool destroying;     /* we asked QEMU to end: its exit is "destroyed" */
        bool guest_shutdown; /* QEMU said SHUTDOWN (guest=true): its exit is "shutdown" */
        bool crashed;        /* GUEST_PANICKED with on_crash=destroy */
        VkDomainState state;
        VkDomainReason reason;
        VkQemuProcess *process; /* owned; NULL when shut off */
        VkQemuJob *job;         /* the one modifying job running, or NULL */
        GQueue waiting;         /* VkQemuJob waiting for @job to finish */
} VkDomainObj;

VkDomainObj *vk_domain_obj_ref(VkDomainObj *obj);
VkDomainObj *vk_domain_obj_unref(VkDomainObj *obj);
bool vk_domain_obj_is_active(const VkDomainObj *obj);
void vk_domain_obj_set_state(VkDomainObj *obj, VkDomainState state, VkDomainReason reason);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(VkDomainObj, vk_domain_obj_unref)

/* Limit of domains one instance keeps (defined and transient). */
#define VK_DOMAIN_LIST_MAX 65536

int vk_domain_list_new(const char *config_dir, VkDomainList **ret, VkError *reterr);
VkDomainList *vk_domain_list_free(VkDomainList *list);
int vk_domain_list_load(VkDomainList *list, VkError *reterr);

int vk_domain_list_define(VkDomainList *list, const char *xml, VkDomainObj **ret_obj,
                          VkError *reterr);
int vk_domain_list_define_def(VkDomainList *list, VkDomainDef *def, VkDomainObj **ret_obj,
                              VkError *reterr);
int vk_domain_list_add_transient(VkDomainList *list, VkDomainDef *def, VkDomainObj **ret_obj,
                                 VkError *reterr);
int vk_domain_list_undefine(VkDomainList *list, VkDomainObj *obj, VkError *reterr);
void vk_domain_list_remove(VkDomainList *list, VkDomainObj *obj);
int vk_domain_list_replace_config(VkDomainList *list, VkDomainObj *obj, VkDomainDef *def,
                                  VkError *reterr);
int vk_domain_name_check(const char *name, VkError *reterr);
int vk_domain_list_rename(VkDomainList *list, VkDomainObj *obj, VkDomainDef *def, VkError *reterr);
int vk_domain_list_set_autostart(VkDomainList *list, VkDomainObj *obj, bool enabled,
                                 VkError *reterr);

VkDomainObj *vk_domain_list_find_by_name(VkDomainList *list, const char *name);
VkDomainObj *vk_domain_list_find_by_uuid(VkDomainList *list, const VkUuid *uuid);
VkDomainObj *vk_domain_list_find_by_id(VkDomainList *list, int id);
int vk_domain_list_lookup(VkDomainList *list, const char *domain, VkDomainObj **ret_obj,
                          VkError *reterr);
int vk_domain_list_set_id(VkDomainList *list, VkDomainObj *obj, int id);
int vk_domain_list_next_id(VkDomainList *list);
GPtrArray *vk_domain_list_get_all(VkDomainList *list);
size_t vk_domain_list_count(VkDomainList *list);
size_t vk_domain_list_count_active(VkDomainList *list);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(VkDomainList, vk_domain_list_free)
