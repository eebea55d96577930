/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lockfile.h: a lock file held for the lifetime of an owner, naming its holder */
#pragma once

#include <stdint.h>

#include "error.h"

int vk_lockfile_acquire(const char *path, const char *what, uint64_t wait_usec, int *ret_fd,
                        VkError *reterr);
