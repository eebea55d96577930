/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* security-internal.h: what the drivers of the stack share with the manager (not installed) */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include <glib.h>

#include "security-manager.h"

/*
 * One change made to a file, kept (in order) on the state: it is both the undo list of a
 * failed start and what restore() walks back at stop. @orig is what was there before:
 * "+UID:+GID" for DAC, a context for SELinux; NULL when the file had no label.
 * @remembered: the original is also in the file's xattr with a reference count.
 */
typedef struct VkSecurityRecord {
        VkSecurityModel model;
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
        VkSecurityModelInfo secmodels[2];
        char *secmodel_baselabels[2][5];
};

struct VkSecurityState {
        VkSecurityManager *mgr; /* a reference */
        VkUuid uuid;
        bool tcg;
        char *mac_model; /* "selinux", "apparmor" or NULL */
        /* SELinux */
        VkSecurityLabelType se_type;
        bool se_relabel;
        char *se_label;
        char *se_imagelabel;
        int mcs[2]; /* -1: none reserved */
        /* AppArmor */
        VkSecurityLabelType aa_type;
        char *aa_profile; /* the profile QEMU runs in */
        bool aa_generate; /* dynamic: we write and load it */
        bool aa_loaded;
        GPtrArray *aa_rules; /* char *, "path perms" lines of the .files include */
        /* DAC */
        VkSecurityLabelType dac_type;
        bool dac_relabel;
        uid_t uid;
        gid_t gid;
        GPtrArray *records; /* VkSecurityRecord *, in the order made */
};

struct VkSecurityDriver {
        VkSecurityModel model;
        int (*prepare)(VkSecurityManager *m, VkSecurityState *s, const VkSecurityDomain *dom,
                       const VkSecurityLabelRequest *label, VkError *reterr);
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

/* records, MCS pairs: security-labels.c */
void security_record_add(VkSecurityState *s, VkSecurityModel model, const char *path,
                         const char *orig, bool remembered);
VkSecurityRecord *security_record_free(VkSecurityRecord *rec);
void security_record_destroy(gpointer rec);
bool security_records_contain(const VkSecurityState *s, VkSecurityModel model, const char *path);

/* The original owner/label in an xattr "trusted.virtkit.<model>" = "REFCOUNT ORIGINAL". */
int security_remember_ref(const char *path, VkSecurityModel model, const char *current,
                          char **ret_orig);
int security_remember_unref(const char *path, VkSecurityModel model, char **ret_orig);
bool security_can_remember(const VkSecurityManager *m);

/* MCS pairs */
int security_mcs_reserve(VkSecurityManager *m, int a, int b);
void security_mcs_release(VkSecurityManager *m, int a, int b);
int security_mcs_allocate(VkSecurityManager *m, int *ret_a, int *ret_b);

/* a blank state holding a reference on @m; @dom may be NULL (filled from JSON) */
VkSecurityState *security_state_new(VkSecurityManager *m, const VkSecurityDomain *dom);
