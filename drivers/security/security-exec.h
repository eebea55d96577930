/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* security-exec.h: exec parameters on the command line of virtkit-qemu-exec */
#pragma once

#include <stdbool.h>

#include <glib.h>

#include "error.h"

typedef struct VkSecurityExecParams VkSecurityExecParams;

#define VK_SECURITY_EXEC_HELPER "virtkit-qemu-exec"

bool vk_security_exec_params_need_helper(const VkSecurityExecParams *p);
char *vk_security_exec_helper_path(void);
void vk_security_exec_params_to_args(const VkSecurityExecParams *p, GPtrArray *argv);
int vk_security_exec_params_from_args(char **args, VkSecurityExecParams *ret_params,
                                      char ***ret_rest, VkError *reterr);
