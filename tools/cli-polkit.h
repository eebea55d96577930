/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cli-polkit.h: a text polkit agent (pkttyagent) for calls that need authentication */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

/* Whether a call refused with @error_name may be retried after starting a text agent: the
 * error says "interactive authentication required" and this process has a terminal. */
bool vk_cli_polkit_agent_wanted(const char *error_name);

/* Start pkttyagent for this process and wait (bounded) until it registered with polkitd.
 * Returns its pid (> 0), or a negative errno when it could not be started. */
pid_t vk_cli_polkit_agent_start(void);

/* Stop the agent started by vk_cli_polkit_agent_start() (no-op for @pid <= 0). */
void vk_cli_polkit_agent_stop(pid_t pid);
