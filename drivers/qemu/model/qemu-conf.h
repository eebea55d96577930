/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-conf.h: the QEMU driver's settings (VkQemuConfig), read from qemu.conf */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <glib.h>

#include "error.h"
#include "paths.h"
#include "qemu-domain-def.h"

/*
 * The settings of one driver instance. Every string is owned by the config; every strv is
 * NULL-terminated and never NULL after vk_qemu_config_new() (an empty list is an empty
 * vector), except @emulators, where NULL means "probe every qemu-system-* in PATH".
 */
typedef struct VkQemuConfig {
        VkInstanceKind kind;
        char *user;  /* QEMU runs as this user: a name, or "+UID" */
        char *group; /* ... and this group: a name, or "+GID" */
        /* swtpm runs as these (names or "+ID"); NULL: libvirt's default (runtime/qemu-swtpm.c) */
        char *swtpm_user;
        char *swtpm_group;
        bool dynamic_ownership;
        bool remember_owner;
        char **security_driver; /* "selinux", "apparmor", "dac" or just "none" */
        bool security_default_confined;
        bool security_require_confined;
        bool clear_emulator_capabilities;
        char **cgroup_device_acl; /* absolute device paths */
        char *vnc_listen;
        bool vnc_auto_unix_socket;
        char *spice_listen;
        char **emulators;                           /* absolute paths, or NULL: search PATH */
        uint64_t log_max_size;                      /* bytes, 0: never rotate */
        VkDeprecationBehavior deprecation_behavior; /* never _DEFAULT: NONE unless set */
} VkQemuConfig;

/* Limits of what qemu.conf may ask us to allocate beyond the parser's own limits. */
#define VK_QEMU_CONFIG_SECURITY_DRIVERS_MAX 8

VkQemuConfig *vk_qemu_config_new(VkInstanceKind kind);
VkQemuConfig *vk_qemu_config_free(VkQemuConfig *cfg);
int vk_qemu_config_load(const char *path, VkInstanceKind kind, VkQemuConfig **ret, VkError *reterr);
int vk_qemu_config_load_string(const char *text, const char *filename, VkInstanceKind kind,
                               VkQemuConfig **ret, VkError *reterr);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(VkQemuConfig, vk_qemu_config_free)
