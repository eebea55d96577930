/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* user.h: user and group names and ids, looked up in the NSS databases */
#pragma once

#include <sys/types.h>

int vk_user_lookup_name(const char *name, uid_t *ret_uid);
int vk_user_lookup_uid(uid_t uid, char **ret_name);
int vk_group_lookup_name(const char *name, gid_t *ret_gid);
int vk_group_lookup_gid(gid_t gid, char **ret_name);
