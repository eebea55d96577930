/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* security-state.h: a domain's security state: JSON for the status file, the assigned labels */
#pragma once

#include <stddef.h>

#include "error.h"
#include "security-manager.h"

int vk_security_manager_state_to_json(const VkSecurityState *state, char **ret_json);
int vk_security_manager_state_from_json(VkSecurityManager *mgr, const char *json,
                                        VkSecurityState **ret_state, VkError *reterr);
size_t vk_security_state_live_labels(const VkSecurityState *state,
                                     VkSecurityLiveLabel ret[static 2]);
void vk_security_live_labels_done(VkSecurityLiveLabel *labels, size_t n);
