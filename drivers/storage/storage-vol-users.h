/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* storage-vol-users.h: who has a volume's file open (a running domain's QEMU, or another process)
 */
#pragma once

#include <sys/types.h>

/* One process holding a file open; @domain is the QEMU guest's name (-name), or NULL. */
typedef struct VkStorageFileUser {
        pid_t pid;
        char *domain;
        char *comm;
} VkStorageFileUser;

void vk_storage_file_user_done(VkStorageFileUser *u);
int vk_storage_file_user_find(const char *proc, const char *path, VkStorageFileUser *ret);
char *vk_storage_qemu_guest_name(const char *cmdline, size_t len);
