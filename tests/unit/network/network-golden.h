/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* network-golden.h: the inputs of tests/data/networkxml, shared by the generator tests */
#pragma once

#include <stdbool.h>

#include <glib.h>

#include "network-def.h"

/* The seed of the random bytes the golden inputs are defined with. */
#define NETWORK_GOLDEN_SEED 42

struct VkGoldenTests;

char *network_golden_dir(void);
GPtrArray *network_golden_add_cases(struct VkGoldenTests *t, const char *dir,
                                    void (*fn)(void **state));
VkNetworkDef *network_test_parse(const char *xml);
GPtrArray *network_golden_inputs(const char *dir);
VkNetworkDef *network_golden_load(const char *dir, const char *name);
void network_golden_check(const char *path, const char *got);
bool network_golden_has_suffix(const char *name, const char *const *suffixes);
