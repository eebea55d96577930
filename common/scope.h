/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* scope.h: a systemd scope for a process, through machined or systemd1 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include "error.h"

/* One DeviceAllow= entry: a device node path (or "char-pts"-style class) and "r"/"rw"/"rwm". */
typedef struct VkScopeDevice {
        const char *path;
        const char *perms;
} VkScopeDevice;

/*
 * The CPU controller settings of a scope, as systemd's unit properties (systemd.resource-
 * control(5)); 0 and false: not set.
 */
typedef struct VkScopeCpu {
        uint64_t weight;             /* CPUWeight= (cgroup2 cpu.weight), 1-10000 */
        uint64_t shares;             /* CPUShares= (cgroup v1 cpu.shares), 2-262144 */
        uint64_t quota_per_sec_usec; /* CPUQuotaPerSecUSec=; UINT64_MAX: no limit */
        uint64_t quota_period_usec;  /* CPUQuotaPeriodUSec=, 1000-1000000 */
} VkScopeCpu;

/* One scope property of a D-Bus type "t" (uint64). */
typedef struct VkScopeProperty {
        const char *name;
        uint64_t value;
} VkScopeProperty;

#define VK_SCOPE_CPU_PROPERTIES_MAX 4

typedef struct VkScopeSpec {
        const char *machine_name; /* a valid machine name: vk_scope_machine_name() */
        const uint8_t *uuid;      /* 16 bytes, the machine id machined records; NULL: none */
        const char *service;      /* who registers it, e.g. "virtkit-qemu" */
        const char *description;
        const char *slice; /* NULL: "machine.slice" */
        pid_t leader;      /* moved into the scope */
        bool device_policy_closed;
        const VkScopeDevice *devices;
        size_t n_devices;
        VkScopeCpu cpu;
} VkScopeSpec;

typedef struct VkScopeOp VkScopeOp;

/* Owns the system bus connection scopes are asked for on; one per driver instance. */
typedef struct VkScopeManager VkScopeManager;

/*
 * The outcome of vk_scope_create(): @unit is the scope's name and @via "systemd-machined" or
 * "systemd", or @error says why there is none. Runs once, from the loop.
 */
typedef void (*VkScopeFunc)(VkScopeOp *op, const char *unit, const char *via, const VkError *error,
                            void *userdata);

bool vk_scope_systemd_booted(void);
char *vk_scope_machine_name(const char *prefix, int id, const char *name);
char *vk_scope_unit_name(const char *machine_name);
size_t vk_scope_cpu_properties(const VkScopeCpu *cpu,
                               VkScopeProperty ret[VK_SCOPE_CPU_PROPERTIES_MAX]);
VkScopeManager *vk_scope_manager_new(void);
VkScopeManager *vk_scope_manager_ref(VkScopeManager *m);
VkScopeManager *vk_scope_manager_unref(VkScopeManager *m);
int vk_scope_create(VkScopeManager *m, sd_event *e, const VkScopeSpec *spec, VkScopeFunc callback,
                    void *userdata, VkScopeOp **ret, VkError *reterr);
VkScopeOp *vk_scope_op_free(VkScopeOp *op);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(VkScopeManager, vk_scope_manager_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VkScopeOp, vk_scope_op_free)
