/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* security-manager.h: the security stack of the QEMU driver (DAC, caps, SELinux, AppArmor) */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <glib.h>
#include <systemd/sd-event.h>

#include "child.h"
#include "error.h"
#include "qemu-caps-xml.h"
#include "qemu-conf.h"
#include "qemu-domain-def.h"

/*
 * The stack (DESIGN.md rule 7). One manager per driver instance; one VkSecurityState per
 * running domain. The drivers are applied in this order and undone in reverse:
 *
 *   1. the MAC driver, at most one: SELinux sVirt or AppArmor sVirt (the first of
 *      qemu.conf's security_driver the host enables; "none": no MAC driver)
 *   2. DAC: uid/gid QEMU runs as, file ownership (always present; a no-op in a session
 *      instance, where QEMU runs as the caller)
 *   3. capabilities: only an exec-time parameter (nothing on disk to undo)
 *
 * libvirt orders its stack the same way (the primary LSM first, DAC nested last). The cgroup
 * device ACL is data for the systemd scope code: vk_security_device_acl().
 *
 * A domain's life with the stack, all on the daemon's loop:
 *
 *   vk_security_manager_prepare()          labels chosen, MCS pair reserved, profile named
 *   vk_security_manager_label_files()      chown + setfilecon, original owners remembered,
 *                                          AppArmor rules collected; undone itself on failure
 *   vk_security_manager_load_profile()     async: virtkit-aa-helper writes and loads the
 *                                          per-VM profile (completes at once without AppArmor)
 *   vk_security_manager_exec_params()      what the spawner applies to QEMU before execve
 *   vk_security_manager_state_to_json()    into the domain's status file
 *   ...
 *   vk_security_manager_restore()          files back, in reverse; MCS pair released
 *   vk_security_manager_unload_profile()   async: the per-VM profile removed
 *
 * A start that fails after label_files() calls restore() (and unload_profile() if the load
 * completed): nothing stays behind. A restarted daemon rebuilds the state with
 * vk_security_manager_state_from_json(), which reserves the MCS pair again.
 */

typedef struct VkSecurityManager VkSecurityManager;
typedef struct VkSecurityState VkSecurityState;
typedef struct VkSecurityOp VkSecurityOp;

typedef enum VkSecurityManagerFlags {
        /* Use the listed MAC driver even if the host does not enable it: label and profile
         * generation on hosts without the LSM (tests, offline checks). */
        VK_SECURITY_MANAGER_NO_PROBE = 1 << 0,
        /* Use the built-in SELinux contexts instead of the policy's virtual_*_context files. */
        VK_SECURITY_MANAGER_NO_HOST_POLICY = 1 << 1,
} VkSecurityManagerFlags;

/* All-zero options are the defaults of a daemon. */
typedef struct VkSecurityManagerOptions {
        unsigned flags;                    /* VkSecurityManagerFlags */
        const char *aa_helper;             /* NULL: $libexecdir/virtkit-aa-helper */
        const char *const *aa_helper_args; /* extra arguments for the helper (tests) */
        uint32_t (*random)(void);          /* MCS category source; NULL: g_random_int() */
} VkSecurityManagerOptions;

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

/* One DeviceAllow= entry for the VM's scope: "PATH PERMS". */
typedef struct VkSecurityDeviceRule {
        char *path;
        const char *perms; /* "rw" or "r" */
} VkSecurityDeviceRule;

int vk_security_device_acl(const VkQemuConfig *cfg, const VkDomainDef *def,
                           VkSecurityDeviceRule **ret_rules, size_t *ret_n, VkError *reterr);
void vk_security_device_rules_free(VkSecurityDeviceRule *rules, size_t n);

typedef void (*VkSecurityOpFunc)(VkSecurityOp *op, int r, const VkError *error, void *userdata);

int vk_security_manager_new(const VkQemuConfig *cfg, bool privileged,
                            const VkSecurityManagerOptions *opts, VkSecurityManager **ret,
                            VkError *reterr);
VkSecurityManager *vk_security_manager_ref(VkSecurityManager *mgr);
VkSecurityManager *vk_security_manager_unref(VkSecurityManager *mgr);
const char *vk_security_manager_mac_model(const VkSecurityManager *mgr);
int vk_security_manager_get_secmodels(VkSecurityManager *mgr, const VkQemuSecModel **ret,
                                      size_t *ret_n);

int vk_security_manager_prepare(VkSecurityManager *mgr, const VkDomainDef *def,
                                VkSecurityState **ret_state, VkError *reterr);
int vk_security_manager_label_files(VkSecurityManager *mgr, VkSecurityState *state,
                                    const VkDomainDef *def, const char *const *extra_paths,
                                    VkError *reterr);
int vk_security_manager_label_disk(VkSecurityManager *mgr, VkSecurityState *state,
                                   const VkDomainDisk *disk, VkError *reterr);
int vk_security_manager_restore_disk(VkSecurityManager *mgr, VkSecurityState *state,
                                     const VkDomainDisk *disk, VkError *reterr);
int vk_security_manager_exec_params(VkSecurityManager *mgr, const VkSecurityState *state,
                                    VkSecurityExecParams *ret_params, VkError *reterr);
int vk_security_manager_restore(VkSecurityManager *mgr, VkSecurityState *state, VkError *reterr);

int vk_security_manager_apparmor_rules(const VkSecurityState *state, char **ret_rules);
const char *vk_security_state_apparmor_profile(const VkSecurityState *state);
int vk_security_manager_load_profile(VkSecurityManager *mgr, VkSecurityState *state, sd_event *e,
                                     VkSecurityOpFunc callback, void *userdata,
                                     VkSecurityOp **ret_op, VkError *reterr);
int vk_security_manager_unload_profile(VkSecurityManager *mgr, VkSecurityState *state, sd_event *e,
                                       VkSecurityOpFunc callback, void *userdata,
                                       VkSecurityOp **ret_op, VkError *reterr);
VkSecurityOp *vk_security_op_free(VkSecurityOp *op);

VkSecurityState *vk_security_state_free(VkSecurityState *state);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(VkSecurityManager, vk_security_manager_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VkSecurityState, vk_security_state_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VkSecurityOp, vk_security_op_free)

/* status file and live XML: security-state.c */
#include "security-state.h"
/* the exec helper's command line: security-exec.c */
#include "security-exec.h"
