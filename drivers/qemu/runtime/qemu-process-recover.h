/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-process-recover.h: one QEMU per domain, and what a start cut short by a crash left */
#pragma once
#include <stdbool.h>
#include <sys/types.h>

#include "error.h"

char *vk_qemu_process_lock_path(const char *status_path);
int vk_qemu_process_lock_domain(const char *lock_path, const char *name, int *ret_fd,
                                VkError *reterr);
void vk_qemu_process_remove_lock(const char *lock_path);
void vk_qemu_process_kill_recorded(pid_t pid, unsigned long long pid_start_time, const char *what);
void vk_qemu_process_sweep_run_dir(const char *run_dir);
