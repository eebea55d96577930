/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * qemu-driver-internal.h: the driver object, shared by the files of the driver's entry points
 * only (qemu-driver.c: the object; -caps.c: capabilities; -domains.c: definitions and queries;
 * -events.c: what QEMU tells about a running domain; -lifecycle.c: the jobs that change one).
 */
#pragma once

#include "qemu-caps.h"
#include "qemu-conf.h"
#include "qemu-driver.h"
#include "qemu-ports.h"
#include "qemu-process.h"
#include "scope.h"

#define DESTROY_KILL_GRACE_USEC (5ULL * 1000 * 1000)

struct VkQemuDriver {
        sd_event *event;
        VkPaths *paths;
        VkInstanceKind kind;
        VkQemuConfig *cfg;
        VkSecurityManager *security; /* the stack every QEMU of this instance runs under */
        char *machine_prefix;        /* QEMU's cgroup names (qemu-cgroup.c); NULL: none */
        VkQemuPorts *ports;          /* ports its QEMUs got for autoport graphics */
        VkScopeManager *scopes;      /* asks systemd for QEMU's scopes, with machine_prefix */
        char *networkd_socket;       /* virtkit-networkd's socket; NULL: no networks (embedded) */
        VkDomainList *domains;
        GHashTable *caps;    /* binary → VkQemuCaps */
        GHashTable *probes;  /* binary → CapsProbe (qemu-driver-caps.c) */
        GHashTable *waiters; /* CapsWaiter set (deferred deliveries) */
        VkQemuDriverCallbacks cb;
        void *userdata;
        GPtrArray *unplugs; /* detach jobs waiting for DEVICE_DELETED (qemu-driver-device.c) */
        int lock_fd;        /* flock on <socket dir>/qemu.lock: one driver per instance */
        bool freeing;
};

/* qemu-driver.c: tell the owner (VkQemuDriverCallbacks) */
void qemu_driver_busy_changed(VkQemuDriver *drv);
void qemu_driver_changed(VkQemuDriver *drv, VkDomainObj *obj);
void qemu_driver_emit(VkQemuDriver *drv, VkDomainObj *obj, const char *event, const char *detail);
void qemu_driver_emit_event(VkQemuDriver *drv, VkDomainObj *obj, const VkQemuDomainEvent *ev);

/* qemu-driver-domops.c: which definitions a call with VkQemuAffectFlags @flags is about */
int qemu_driver_affect_defs(VkDomainObj *obj, unsigned flags, bool set, bool *ret_live,
                            bool *ret_config, VkError *reterr);
int qemu_driver_query_def(VkQemuDriver *drv, const char *domain, unsigned flags,
                          const VkDomainDef **ret, VkError *reterr);

/* qemu-driver-domains.c: the TPM state of a domain that goes away */
void qemu_driver_remove_tpm_state(VkQemuDriver *drv, const VkDomainDef *def);

/* qemu-driver-caps.c */
typedef void (*QemuDriverCapsFunc)(VkQemuDriver *drv, VkQemuCaps *caps, const VkError *error,
                                   void *userdata);
void qemu_driver_caps_init(VkQemuDriver *drv);
void qemu_driver_caps_done(VkQemuDriver *drv);
char *qemu_driver_default_binary(VkQemuDriver *drv, const char *arch);
int qemu_driver_get_caps(VkQemuDriver *drv, const char *binary, QemuDriverCapsFunc fn,
                         void *userdata, VkError *reterr);
int qemu_driver_get_caps_or_none(VkQemuDriver *drv, const char *binary, QemuDriverCapsFunc fn,
                                 void *userdata, VkError *reterr);
int qemu_driver_pin_machine(VkDomainDef *def, const VkQemuCaps *caps);
int qemu_driver_fill_firmware(VkQemuDriver *drv, VkDomainDef *def, const VkQemuCaps *caps,
                              VkError *reterr);

/* qemu-driver-events.c */
extern const VkQemuProcessCallbacks qemu_driver_process_callbacks;
void qemu_driver_write_status(VkDomainObj *obj);

/* qemu-driver-device.c: QEMU removed the device @alias (DEVICE_DELETED) */
void qemu_driver_device_deleted(VkQemuDriver *drv, VkDomainObj *obj, const char *alias);
/* qemu-driver-device.c: disk @i's node names, the top first (NULL-terminated); the disk
 * whose frontend has the id @alias, else -1 */
char **qemu_driver_disk_nodes(const VkDomainDef *def, size_t i);
ssize_t qemu_driver_disk_find_alias(const VkDomainDef *def, const char *alias);
/* qemu-driver-reconcile.c: finish the removals QEMU did while no daemon listened */
void qemu_driver_device_reconcile(VkQemuDriver *drv, VkDomainObj *obj);

/* qemu-driver-qmp-events.c: QEMU's events other than the lifecycle ones; true: handled */
bool qemu_driver_qmp_event(VkQemuDriver *drv, VkDomainObj *obj, const char *name, JsonObject *data);
void qemu_driver_monitor_lost(VkQemuDriver *drv, VkDomainObj *obj);
void qemu_driver_set_run_state(VkQemuDriver *drv, VkDomainObj *obj, VkDomainState state,
                               VkDomainReason reason);
