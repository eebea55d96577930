/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* security-manager.h: the stack that confines a VM process: DAC, caps, SELinux, AppArmor */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <glib.h>
#include <systemd/sd-event.h>

#include "error.h"
#include "security-exec.h"
#include "uuid.h"

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
 * device ACL is data for the systemd scope code: vk_security_device_acl() (security-cgroup.c).
 *
 * The library knows no hypervisor and no domain XML: the caller describes a VM with plain
 * data (VkSecurityConfig, VkSecurityDomain with its label requests, a list of
 * VkSecurityResource); drivers/qemu/runtime/qemu-security.c builds these from a domain definition.
 *
 * A domain's life with the stack, all on the daemon's loop:
 *
 *   vk_security_manager_prepare()          labels chosen, MCS pair reserved, profile named
 *   vk_security_manager_label_resources()  chown + setfilecon, original owners remembered,
 *                                          AppArmor rules collected; undone itself on failure
 *   vk_security_manager_load_profile()     async: virtkit-aa-helper writes and loads the
 *                                          per-VM profile (completes at once without AppArmor)
 *   vk_security_manager_exec_params()      what the spawner applies to QEMU before execve
 *   vk_security_manager_state_to_json()    into the domain's status file
 *   ...
 *   vk_security_manager_restore()          files back, in reverse; MCS pair released
 *   vk_security_manager_unload_profile()   async: the per-VM profile removed
 *
 * A start that fails after label_resources() calls restore() (and unload_profile() if the load
 * completed): nothing stays behind. A restarted daemon rebuilds the state with
 * vk_security_manager_state_from_json(), which reserves the MCS pair again.
 */

typedef struct VkSecurityManager VkSecurityManager;
typedef struct VkSecurityState VkSecurityState;
typedef struct VkSecurityOp VkSecurityOp;

/* The drivers of the stack; the strings are libvirt's <seclabel model=> values. */
typedef enum VkSecurityModel {
        VK_SECURITY_MODEL_SELINUX,
        VK_SECURITY_MODEL_APPARMOR,
        VK_SECURITY_MODEL_DAC,
        _VK_SECURITY_MODEL_MAX,
        _VK_SECURITY_MODEL_INVALID = -EINVAL,
} VkSecurityModel;

const char *vk_security_model_to_string(VkSecurityModel m);
VkSecurityModel vk_security_model_from_string(const char *s);

/* How a driver labels a VM: chosen by us, given by the caller, or not at all. */
typedef enum VkSecurityLabelType {
        VK_SECURITY_LABEL_DYNAMIC,
        VK_SECURITY_LABEL_STATIC,
        VK_SECURITY_LABEL_NONE,
        _VK_SECURITY_LABEL_MAX,
        _VK_SECURITY_LABEL_INVALID = -EINVAL,
} VkSecurityLabelType;

const char *vk_security_label_type_to_string(VkSecurityLabelType t);
VkSecurityLabelType vk_security_label_type_from_string(const char *s);

/* The instance's settings (qemu.conf's for the QEMU driver); strings are borrowed. */
typedef struct VkSecurityConfig {
        const char *const *drivers; /* MAC drivers to try in order, "none" ends; NULL: none */
        const char *user;           /* privileged: the VM process runs as this user ("+UID") */
        const char *group;
        bool dynamic_ownership;
        bool remember_owner;
        bool default_confined;
        bool require_confined;
        bool clear_emulator_capabilities;
} VkSecurityConfig;

/* What the VM's configuration asks of one driver (a <seclabel>); strings are borrowed. */
typedef struct VkSecurityLabelRequest {
        VkSecurityModel model;
        bool has_model; /* false: for the first driver of the stack */
        VkSecurityLabelType type;
        bool relabel; /* relabel='yes' was given */
        const char *label;
        const char *imagelabel;
        const char *baselabel;
} VkSecurityLabelRequest;

/* The VM as the stack sees it; strings and the array are borrowed. */
typedef struct VkSecurityDomain {
        const char *name; /* for messages */
        VkUuid uuid;      /* names the AppArmor profile */
        bool tcg;         /* no KVM: the TCG SELinux domain, no /dev/kvm rule */
        const VkSecurityLabelRequest *labels;
        size_t n_labels;
} VkSecurityDomain;

/* A file or device node the VM uses. */
typedef enum VkSecurityResourceKind {
        VK_SECURITY_RESOURCE_IMAGE, /* disk, cdrom, floppy */
        VK_SECURITY_RESOURCE_BOOT,  /* kernel, initrd, loader: read only */
        VK_SECURITY_RESOURCE_NVRAM,
        VK_SECURITY_RESOURCE_CHARDEV, /* file or unix socket of a serial/console/channel */
        VK_SECURITY_RESOURCE_DEVICE,  /* rng backend, tpm passthrough: profile only */
        VK_SECURITY_RESOURCE_PRIVATE, /* the caller's extra paths: private dirs, QMP socket */
        _VK_SECURITY_RESOURCE_MAX,
        _VK_SECURITY_RESOURCE_INVALID = -EINVAL,
} VkSecurityResourceKind;

typedef struct VkSecurityResource {
        const char *path; /* borrowed */
        VkSecurityResourceKind kind;
        bool readonly;
        bool shared;
        bool optional; /* the VM may create it: skipped while it does not exist */
        bool relabel;  /* DAC and SELinux change it; false: only the profile lists it */
        bool dir;      /* a directory: the profile grants everything below it */
} VkSecurityResource;

/* One driver's assigned label, for the live configuration; strings owned. */
typedef struct VkSecurityLiveLabel {
        VkSecurityModel model;
        VkSecurityLabelType type;
        bool relabel;
        char *label;      /* NULL for type none */
        char *imagelabel; /* NULL for type none */
} VkSecurityLiveLabel;

/* One <secmodel> of the host capabilities: @baselabels is NULL or "virttype", "label", ... */
typedef struct VkSecurityModelInfo {
        const char *model;
        const char *doi;
        const char *const *baselabels;
} VkSecurityModelInfo;

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

typedef void (*VkSecurityOpFunc)(VkSecurityOp *op, int r, const VkError *error, void *userdata);

int vk_security_manager_new(const VkSecurityConfig *cfg, bool privileged,
                            const VkSecurityManagerOptions *opts, VkSecurityManager **ret,
                            VkError *reterr);
VkSecurityManager *vk_security_manager_ref(VkSecurityManager *mgr);
VkSecurityManager *vk_security_manager_unref(VkSecurityManager *mgr);
const char *vk_security_manager_mac_model(const VkSecurityManager *mgr);
int vk_security_manager_get_secmodels(VkSecurityManager *mgr, const VkSecurityModelInfo **ret,
                                      size_t *ret_n);

int vk_security_manager_prepare(VkSecurityManager *mgr, const VkSecurityDomain *dom,
                                VkSecurityState **ret_state, VkError *reterr);
int vk_security_manager_label_resources(VkSecurityManager *mgr, VkSecurityState *state,
                                        const VkSecurityResource *res, size_t n_res,
                                        VkError *reterr);
int vk_security_manager_restore_path(VkSecurityManager *mgr, VkSecurityState *state,
                                     const char *path, VkError *reterr);
int vk_security_manager_exec_params(VkSecurityManager *mgr, const VkSecurityState *state,
                                    VkSecurityExecParams *ret_params, VkError *reterr);
int vk_security_manager_restore(VkSecurityManager *mgr, VkSecurityState *state, VkError *reterr);

/* the generated AppArmor profile: security-apparmor-profile.c */
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

/* the status file and the assigned labels: security-state.c */
#include "security-state.h"
