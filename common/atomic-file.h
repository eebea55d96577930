/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* atomic-file.h: crash-safe file replacement and bounded whole-file reads */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include "error.h"

typedef enum VkAtomicFileFlags {
        /* no fsync(): the file must survive a crash of the writer, not of the host (the
         * "starting" records of a domain start: no QEMU survives a host crash anyway) */
        VK_ATOMIC_FILE_NO_SYNC = 1 << 0,
} VkAtomicFileFlags;

int vk_atomic_file_write(const char *path, const void *data, size_t len, mode_t mode,
                         VkError *reterr);
int vk_atomic_file_write_full(const char *path, const void *data, size_t len, mode_t mode,
                              VkAtomicFileFlags flags, VkError *reterr);
int vk_file_read_all(const char *path, size_t max_size, char **ret_data, size_t *ret_len,
                     VkError *reterr);
int vk_file_remove(const char *path);
int vk_mkdir_p(const char *path, mode_t mode);
