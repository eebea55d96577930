/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* security-cgroup.h: a VM's device ACL, and on the cgroup directly when systemd is absent */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <glib.h>
#include <linux/bpf.h>

#include "error.h"
#include "security-manager.h"

/*
 * The fallback of DESIGN.md rule 7 for hosts where systemd is not PID 1: the caller names a
 * cgroup ("machine.slice/machine-qemu\x2d1\x2dvm.scope", relative to each hierarchy's root),
 * this module creates it with a device ACL built from vk_security_device_acl()'s rules, and
 * the caller moves QEMU into it:
 *
 *   cgroup2 (a unified mount at /sys/fs/cgroup, or /sys/fs/cgroup/unified in hybrid mode):
 *     a BPF_PROG_TYPE_CGROUP_DEVICE program generated from the rules, attached with
 *     BPF_F_ALLOW_MULTI, so it stays attached when our fd closes (a daemon restart keeps the
 *     VM confined) until the cgroup is removed;
 *   cgroup v1 "devices" controller (/sys/fs/cgroup/devices): "a" into devices.deny, then one
 *     devices.allow line per rule.
 *
 * In hybrid mode (v1 controllers plus a cgroup2 mount) both are used: the kernel checks both,
 * so the ACL holds whichever check applies. Every ACL also allows "c 136:* rw" (the pts),
 * as libvirt's does.
 */

/* One DeviceAllow= entry for the VM's scope: "PATH PERMS". */
typedef struct VkSecurityDeviceRule {
        char *path;
        const char *perms; /* "rw" or "r" */
} VkSecurityDeviceRule;

int vk_security_device_acl(const char *const *acl, const VkSecurityResource *devices,
                           size_t n_devices, VkSecurityDeviceRule **ret_rules, size_t *ret_n,
                           VkError *reterr);
void vk_security_device_rules_free(VkSecurityDeviceRule *rules, size_t n);

typedef struct VkSecurityCgroup VkSecurityCgroup;

/* Access bits of one device entry: the kernel's BPF_DEVCG_ACC_* values. */
typedef enum VkSecurityCgroupAccess {
        VK_SECURITY_CGROUP_MKNOD = BPF_DEVCG_ACC_MKNOD,
        VK_SECURITY_CGROUP_READ = BPF_DEVCG_ACC_READ,
        VK_SECURITY_CGROUP_WRITE = BPF_DEVCG_ACC_WRITE,
} VkSecurityCgroupAccess;

#define VK_SECURITY_CGROUP_ANY_MINOR UINT32_MAX

/* One resolved entry: "c 1:3 rw". */
typedef struct VkSecurityCgroupDevice {
        char type; /* 'c' or 'b' */
        uint32_t major;
        uint32_t minor;  /* VK_SECURITY_CGROUP_ANY_MINOR: every minor of @major */
        unsigned access; /* VkSecurityCgroupAccess bits */
} VkSecurityCgroupDevice;

/* pure parts, for the tests */
int vk_security_cgroup_access_from_string(const char *perms, unsigned *ret_access);
int vk_security_cgroup_devices_resolve(const VkSecurityDeviceRule *rules, size_t n,
                                       VkSecurityCgroupDevice **ret_devices, size_t *ret_n,
                                       VkError *reterr);
char *vk_security_cgroup_device_to_v1(const VkSecurityCgroupDevice *d);
int vk_security_cgroup_bpf_program(const VkSecurityCgroupDevice *devices, size_t n,
                                   struct bpf_insn **ret_insns, size_t *ret_n);
int vk_security_cgroup_name_validate(const char *name, VkError *reterr);

int vk_security_cgroup_create(const char *name, const VkSecurityDeviceRule *rules, size_t n,
                              VkSecurityCgroup **ret, VkError *reterr);
int vk_security_cgroup_add_pid(VkSecurityCgroup *cg, pid_t pid, VkError *reterr);
const char *vk_security_cgroup_mode(const VkSecurityCgroup *cg);
const char *vk_security_cgroup_name(const VkSecurityCgroup *cg);
int vk_security_cgroup_remove(VkSecurityCgroup *cg, VkError *reterr);
int vk_security_cgroup_remove_by_name(const char *name, VkError *reterr);
VkSecurityCgroup *vk_security_cgroup_free(VkSecurityCgroup *cg);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(VkSecurityCgroup, vk_security_cgroup_free)
