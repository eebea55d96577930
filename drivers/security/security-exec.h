/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* security-exec.h: what QEMU's exec applies, and the command line of virtkit-qemu-exec */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <glib.h>

#include "child.h"
#include "error.h"

/* What the process spawner applies to QEMU between fork and execve, in this order. */
typedef enum VkSecurityCaps {
        VK_SECURITY_CAPS_KEEP,  /* leave them as they are (root QEMU since libvirt 6.0) */
        VK_SECURITY_CAPS_CLEAR, /* drop all, bounding set included, before the uid switch */
        _VK_SECURITY_CAPS_MAX,
        _VK_SECURITY_CAPS_INVALID = -EINVAL,
} VkSecurityCaps;

const char *vk_security_caps_to_string(VkSecurityCaps c);
VkSecurityCaps vk_security_caps_from_string(const char *s);

typedef struct VkSecurityExecParams {
        VkSecurityCaps caps;
        bool set_credentials; /* false: QEMU keeps our uid/gid (session, or root QEMU) */
        uid_t uid;
        gid_t gid;
        gid_t *groups; /* supplementary groups of the user, owned */
        size_t n_groups;
        char *selinux_label;    /* setexeccon() before execve; NULL: none */
        char *apparmor_profile; /* aa_change_onexec() before execve; NULL: none */
} VkSecurityExecParams;

void vk_security_exec_params_done(VkSecurityExecParams *p);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(VkSecurityExecParams, vk_security_exec_params_done)

void vk_security_exec_params_to_child_options(const VkSecurityExecParams *p, VkChildOptions *opts);
int vk_security_exec_params_apply(const VkSecurityExecParams *p, VkError *reterr);

#define VK_SECURITY_EXEC_HELPER "virtkit-qemu-exec"

bool vk_security_exec_params_need_helper(const VkSecurityExecParams *p);
char *vk_security_exec_helper_path(void);
void vk_security_exec_params_to_args(const VkSecurityExecParams *p, GPtrArray *argv);
int vk_security_exec_params_from_args(char **args, VkSecurityExecParams *ret_params,
                                      char ***ret_rest, VkError *reterr);
