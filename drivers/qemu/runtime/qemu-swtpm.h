/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-swtpm.h: swtpm for a <tpm><backend type='emulator'>: paths, users, command lines, state */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include <glib.h>

#include "error.h"
#include "qemu-conf.h"
#include "uuid.h"

/* Who swtpm and swtpm_setup run as (qemu.conf swtpm_user/swtpm_group, or libvirt's default) */
typedef struct VkQemuSwtpmUser {
        bool set_credentials; /* false: as we run (session, or a root swtpm) */
        uid_t uid;
        gid_t gid;
} VkQemuSwtpmUser;

char *vk_qemu_swtpm_sibling_dir(const char *driver_dir);
char *vk_qemu_swtpm_storage_dir(const char *swtpm_lib_dir, const VkUuid *uuid);
char *vk_qemu_swtpm_state_dir(const char *swtpm_lib_dir, const VkUuid *uuid);
char *vk_qemu_swtpm_socket_path(const char *private_dir);
char *vk_qemu_swtpm_log_path(const char *swtpm_log_dir, const char *name);
int vk_qemu_swtpm_find_binary(const char *name, const char *package, char **ret_path,
                              VkError *reterr);
int vk_qemu_swtpm_user(const VkQemuConfig *cfg, VkQemuSwtpmUser *ret, VkError *reterr);
char **vk_qemu_swtpm_argv(const char *binary, const char *state_dir, const char *log_path, int fd);
char **vk_qemu_swtpm_setup_argv(const char *binary, const char *state_dir, const char *log_path,
                                const char *name, const VkUuid *uuid);
int vk_qemu_swtpm_state_prepare(const char *state_dir, const VkQemuSwtpmUser *user,
                                bool *ret_created, VkError *reterr);
int vk_qemu_swtpm_state_remove(const char *swtpm_lib_dir, const VkUuid *uuid);
