/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* security-state.h: a domain's security state as JSON, for the status file */
#pragma once

#include "error.h"

typedef struct VkSecurityManager VkSecurityManager;
typedef struct VkSecurityState VkSecurityState;

int vk_security_manager_state_to_json(const VkSecurityState *state, char **ret_json);
int vk_security_manager_state_from_json(VkSecurityManager *mgr, const char *json,
                                        VkSecurityState **ret_state, VkError *reterr);
