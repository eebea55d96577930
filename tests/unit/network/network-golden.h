/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* network-golden.h: the inputs of tests/data/networkxml, shared by the generator tests */
#pragma once

#include <stdbool.h>

#include <glib.h>

#include "network-def.h"

/* The bridge names the golden inputs are defined against (none: every one gets virbr0). */
#define NETWORK_GOLDEN_SEED 42

char *network_golden_dir(void);
GPtrArray *network_golden_inputs(const char *dir);
VkNetworkDef *network_golden_load(const char *dir, const char *name);
void network_golden_check(const char *path, const char *got);
bool network_golden_has_suffix(const char *name, const char *const *suffixes);
