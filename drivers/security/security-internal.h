/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* security-internal.h: what the drivers of the stack share with the manager (not installed) */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include <glib.h>

#include "security-manager.h"

/* A file or device node the domain uses, as the drivers see it. */
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
        const char *path;
        VkSecurityResourceKind kind;
        bool readonly;
        bool shared;
        bool optional; /* QEMU may create it: skipped while it does not exist */
        bool relabel;  /* DAC and SELinux change it; false: only the profile lists it */
        bool dir;      /* a directory: the profile grants everything below it */
} VkSecurityResource;

/*
 * One change made to a file, kept (in order) on the state: it is both the undo list of a
 * failed start and what restore() walks back at stop. @orig is what was there before:
 * "+UID:+GID" for DAC, a context for SELinux; NULL when the file had no label.
 * @remembered: the original is also in the file's xattr with a reference count.
 */
typedef struct VkSecurityRecord {
        VkSeclabelModel model;
        char *path;
        char *orig;
        bool remembered;
} VkSecurityRecord;

typedef struct VkSecurityDriver VkSecurityDriver;

struct VkSecurityManager {
        unsigned n_ref;
        bool privileged;
        bool dynamic_ownership;
        bool remember_owner;
        bool default_confined;
        bool require_confined;
        bool clear_emulator_capabilities;
        unsigned flags;
        uid_t uid;
        gid_t gid;
        gid_t *groups;
        size_t n_groups;
        const VkSecurityDriver *stack[2]; /* MAC driver (optional), then DAC */
        size_t n_stack;
        char *aa_helper;
        char **aa_helper_args;
        uint32_t (*random)(void);
        /* SELinux defaults: from the policy, or built in */
        char *se_domain_kvm;
        char *se_domain_tcg;
        char *se_image;
        char *se_content;
        GHashTable *mcs_reserved; /* GUINT_TO_POINTER(a << 16 | b) */
        char *dac_baselabel;
        VkQemuSecModel secmodels[2];
        char *secmodel_baselabels[2][5];
};

struct VkSecurityState {
        VkSecurityManager *mgr; /* a reference */
        VkUuid uuid;
        bool tcg;
        char *mac_model; /* "selinux", "apparmor" or NULL */
        /* SELinux */
        VkSeclabelType se_type;
        bool se_relabel;
        char *se_label;
        char *se_imagelabel;
        int mcs[2]; /* -1: none reserved */
        /* AppArmor */
        VkSeclabelType aa_type;
        char *aa_profile; /* the profile QEMU runs in */
        bool aa_generate; /* dynamic: we write and load it */
        bool aa_loaded;
        GPtrArray *aa_rules; /* char *, "path perms" lines of the .files include */
        /* DAC */
        VkSeclabelType dac_type;
        bool dac_relabel;
        uid_t uid;
        gid_t gid;
        GPtrArray *records; /* VkSecurityRecord *, in the order made */
};

struct VkSecurityDriver {
        VkSeclabelModel model;
        int (*prepare)(VkSecurityManager *m, VkSecurityState *s, const VkDomainDef *def,
                       const VkSeclabel *label, VkError *reterr);
        /* Label one resource; a change made is appended to s->records. */
        int (*label)(VkSecurityManager *m, VkSecurityState *s, const VkSecurityResource *res,
                     VkError *reterr);
        /* Undo one record; must be safe when the file is gone. */
        int (*restore)(VkSecurityManager *m, VkSecurityState *s, const VkSecurityRecord *rec,
                       VkError *reterr);
};

extern const VkSecurityDriver vk_security_driver_dac;
extern const VkSecurityDriver vk_security_driver_selinux;
extern const VkSecurityDriver vk_security_driver_apparmor;

/* records */
void security_record_add(VkSecurityState *s, VkSeclabelModel model, const char *path,
                         const char *orig, bool remembered);
VkSecurityRecord *security_record_free(VkSecurityRecord *rec);
bool security_records_contain(const VkSecurityState *s, VkSeclabelModel model, const char *path);

/* The original owner/label in an xattr "trusted.virtkit.<model>" = "REFCOUNT ORIGINAL". */
int security_remember_ref(const char *path, VkSeclabelModel model, const char *current,
                          char **ret_orig);
int security_remember_unref(const char *path, VkSeclabelModel model, char **ret_orig);
bool security_can_remember(const VkSecurityManager *m);

/* MCS pairs */
int security_mcs_reserve(VkSecurityManager *m, int a, int b);
void security_mcs_release(VkSecurityManager *m, int a, int b);
int security_mcs_allocate(VkSecurityManager *m, int *ret_a, int *ret_b);

/* a blank state holding a reference on @m; @def may be NULL (filled from JSON) */
VkSecurityState *security_state_new(VkSecurityManager *m, const VkDomainDef *def);
