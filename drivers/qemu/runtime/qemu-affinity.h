/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-affinity.h: host CPU sets and the affinity of QEMU's threads (pins, vcpuinfo) */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <json-glib/json-glib.h>

#include "error.h"

/* The host's online CPUs (/sys/devices/system/cpu/online) as a map of VK_DOMAIN_CPUSET_MAX. */
int vk_qemu_affinity_online(bool **ret, VkError *reterr);
/* How many CPUs the host has (the highest present one + 1), as libvirt's virNodeGetCPUMap. */
unsigned vk_qemu_affinity_host_cpus(void);
/* @map as a CPU list ("0-2,5"); "" when empty. */
char *vk_qemu_affinity_format(const bool *map);
/*
 * The map of @cpuset checked against @online: @what names the element (or the option) for the
 * errors, @name the domain.
 */
int vk_qemu_affinity_parse(const bool *online, const char *cpuset, const char *what,
                           const char *name, bool **ret, VkError *reterr);
int vk_qemu_affinity_set(pid_t tid, const bool *map, const char *what, const char *name,
                         VkError *reterr);
int vk_qemu_affinity_get(pid_t tid, bool **ret, VkError *reterr);

/* What /proc/PID/task/TID/stat says of a thread: the CPU it last ran on, its CPU time. */
typedef struct VkQemuThreadStat {
        int cpu;
        uint64_t cpu_time_ns;
} VkQemuThreadStat;

int vk_qemu_thread_stat(pid_t pid, pid_t tid, VkQemuThreadStat *ret);

/* The vCPU threads in QMP query-cpus-fast's reply @ret: @tids[cpu-index] (0: not reported). */
void vk_qemu_affinity_vcpu_tids(JsonNode *ret, pid_t *tids, unsigned n);
/* The threads of I/O threads @ids ("iothread<id>") in query-iothreads's reply @ret. */
void vk_qemu_affinity_iothread_tids(JsonNode *ret, const unsigned *ids, pid_t *tids, unsigned n);
