/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* atomic-file.h: crash-safe file replacement and bounded whole-file reads */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include "error.h"

int vk_atomic_file_write(const char *path, const void *data, size_t len, mode_t mode,
                         VkError *reterr);
int vk_file_read_all(const char *path, size_t max_size, char **ret_data, size_t *ret_len,
                     VkError *reterr);
int vk_file_remove(const char *path);
int vk_mkdir_p(const char *path, mode_t mode);
