/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* objdir.h: a driver's definitions directory: NAME.xml files, autostart links, list filters */
#pragma once

#include <stdbool.h>

#include <glib.h>

#include "error.h"
#include "xml.h"

/* Called once per file NAME<suffix>: its name without the suffix and its full path. */
typedef void (*VkObjdirScanFunc)(const char *name, const char *path, void *userdata);

char *vk_objdir_path(const char *dir, const char *name, const char *suffix);
void vk_objdir_scan(const char *dir, const char *suffix, VkObjdirScanFunc fn, void *userdata);
int vk_objdir_set_autostart(const char *autostart_dir, const char *name, bool autostart,
                            VkError *reterr);
bool vk_objdir_autostart_once(const char *run_dir, GPtrArray *warnings);

/* Whether @value passes the list filter @t (VK_TRISTATE_ABSENT passes everything). */
static inline bool vk_tristate_matches(VkTristate t, bool value) {
        return t == VK_TRISTATE_ABSENT || (t == VK_TRISTATE_YES) == value;
}

int vk_tristate_filter_parse(const char *param, const char *s, VkTristate *ret, VkError *reterr);
