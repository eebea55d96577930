/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* storage-fs.h: fs pools: a filesystem on a device, made by mkfs and mounted on the target */
#pragma once

#include <stdbool.h>

#include "error.h"
#include <glib.h>

/* What /proc/self/mountinfo says is mounted on one path. */
typedef struct VkStorageMount {
        unsigned major, minor; /* the device mounted there (st_dev of the mount) */
        char *source;          /* as mount was given it ("/dev/loop3"), unescaped */
        char *fstype;
} VkStorageMount;

void vk_storage_mount_done(VkStorageMount *m);
int vk_storage_mountinfo_find(const char *mountinfo, const char *path, VkStorageMount *ret);
int vk_storage_fs_mounted(const char *path, VkStorageMount *ret, VkError *reterr);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(VkStorageMount, vk_storage_mount_done)
