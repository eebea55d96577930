/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* security-dac.h: the DAC driver: the uid/gid QEMU runs as, file ownership and its restore */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "error.h"

/* Longest value we keep in a trusted.virtkit.* xattr ("REFCOUNT ORIGINAL"). */
#define VK_SECURITY_XATTR_MAX 1024

int vk_security_dac_parse_user(const char *user, uid_t *ret_uid, VkError *reterr);
int vk_security_dac_parse_group(const char *group, gid_t *ret_gid, VkError *reterr);
int vk_security_dac_parse_label(const char *label, uid_t *ret_uid, gid_t *ret_gid, VkError *reterr);
char *vk_security_dac_format_label(uid_t uid, gid_t gid);
int vk_security_dac_user_groups(uid_t uid, gid_t gid, gid_t **ret_groups, size_t *ret_n);
