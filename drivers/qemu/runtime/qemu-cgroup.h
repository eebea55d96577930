/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-cgroup.h: the cgroup a QEMU runs in: a machine scope, or a cgroup of our own */
#pragma once
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include "error.h"
#include "scope.h"
#include "security-cgroup.h"

typedef struct VkQemuCgroup VkQemuCgroup;

/* The placement finished (@error NULL: QEMU's pid is in its cgroup). Runs once, from the loop. */
typedef void (*VkQemuCgroupFunc)(VkQemuCgroup *cg, const VkError *error, void *userdata);

typedef struct VkQemuCgroupSpec {
        const char *machine_prefix; /* "qemu", or "qemu-<hash>" for an embedded root */
        VkScopeManager *scopes;     /* the instance's connection to systemd for scopes */
        int id;
        const char *name;
        const uint8_t *uuid; /* 16 bytes */
        pid_t leader;
        const VkSecurityDeviceRule *rules; /* the device ACL: vk_qemu_security_device_acl() */
        size_t n_rules;
        VkScopeCpu cpu; /* the scope's CPU controller properties (systemd only) */
} VkQemuCgroupSpec;

int vk_qemu_cgroup_place(sd_event *e, const VkQemuCgroupSpec *spec, VkQemuCgroupFunc callback,
                         void *userdata, VkQemuCgroup **ret, VkError *reterr);
const char *vk_qemu_cgroup_get_via(const VkQemuCgroup *cg);
const char *vk_qemu_cgroup_get_name(const VkQemuCgroup *cg);
VkQemuCgroup *vk_qemu_cgroup_free(VkQemuCgroup *cg);
void vk_qemu_cgroup_planned(const VkQemuCgroupSpec *spec, char **ret_via, char **ret_name);
void vk_qemu_cgroup_remove(sd_event *e, const char *via, const char *name);
char *vk_qemu_cgroup_machine_prefix(const char *root);
void vk_qemu_cgroup_join(pid_t member, pid_t pid);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(VkQemuCgroup, vk_qemu_cgroup_free)
