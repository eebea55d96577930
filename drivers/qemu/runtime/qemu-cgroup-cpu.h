/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-cgroup-cpu.h: the CPU controller values of <cputune> on a cgroup virtkit owns */
#pragma once
#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "qemu-domain-def.h"
#include "scope.h"

/* What <cputune> asks of the cpu and cpuset controllers (pins: the sets as given). */
typedef struct VkQemuCpuCgroupPlan {
        const char *domain; /* its name, for errors */
        unsigned long long shares;
        unsigned long long period, global_period, emulator_period, iothread_period;
        long long quota, global_quota, emulator_quota, iothread_quota;
        char **vcpu_cpusets;     /* per vCPU, NULL entries: none */
        char **iothread_cpusets; /* per I/O thread index */
        char *emulator_cpuset;
        unsigned n_vcpus, n_iothreads;
        bool bandwidth; /* anything for the cpu controller */
} VkQemuCpuCgroupPlan;

int vk_qemu_cpu_cgroup_plan(const VkDomainDef *def, VkQemuCpuCgroupPlan *ret, VkError *reterr);
void vk_qemu_cpu_cgroup_plan_done(VkQemuCpuCgroupPlan *plan);
int vk_qemu_cpu_cgroup_check(const VkQemuCpuCgroupPlan *plan, bool own_cgroup, VkError *reterr);
void vk_qemu_cpu_cgroup_scope_cpu(const VkQemuCpuCgroupPlan *plan, bool v2, VkScopeCpu *ret);
void vk_qemu_cpu_cgroup_scope(const VkQemuCpuCgroupPlan *plan, VkScopeCpu *ret);
int vk_qemu_cpu_cgroup_apply(const VkQemuCpuCgroupPlan *plan, const char *via, const char *name,
                             pid_t pid, const pid_t *vcpu_tids, const unsigned *iothread_ids,
                             const pid_t *iothread_tids, VkError *reterr);
void vk_qemu_cpu_cgroup_remove(const char *name);
int vk_qemu_cpu_cgroup_set_cpuset(const char *via, const char *name, const char *child,
                                  const char *cpuset, VkError *reterr);
