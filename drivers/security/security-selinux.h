/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* security-selinux.h: SELinux sVirt: context strings, file labels, the exec context */
#pragma once

#include <stdbool.h>

#include "error.h"

/* Contexts of the reference policy's virtual_domain_context and virtual_image_context. */
#define VK_SELINUX_DEFAULT_DOMAIN_KVM "system_u:system_r:svirt_t:s0"
#define VK_SELINUX_DEFAULT_DOMAIN_TCG "system_u:system_r:svirt_tcg_t:s0"
#define VK_SELINUX_DEFAULT_IMAGE      "system_u:object_r:svirt_image_t:s0"
#define VK_SELINUX_DEFAULT_CONTENT    "system_u:object_r:virt_content_t:s0"

/* Categories c0..c1023 of the MCS policy. */
#define VK_SELINUX_MCS_MAX 1024

bool vk_selinux_supported(void);
bool vk_selinux_enabled(void);
int vk_selinux_policy_contexts(char **ret_domain_kvm, char **ret_domain_tcg, char **ret_image,
                               char **ret_content);
int vk_selinux_context_check(const char *context);
int vk_selinux_context_get_range(const char *context, char **ret_range);
int vk_selinux_context_set_range(const char *context, const char *range, char **ret_context);
int vk_selinux_file_get_label(const char *path, char **ret_context);
int vk_selinux_file_set_label(const char *path, const char *context);
int vk_selinux_set_exec_label(const char *context);
