/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vk-golden.h: what every data-driven golden test shares (files, regeneration, randomness) */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

void vk_golden_init(void);
bool vk_golden_regenerate(void);
char *vk_golden_data_dir(const char *subdir);
char *vk_golden_read(const char *path);
void vk_golden_write(const char *path, const char *contents);
void vk_golden_mark_used(const char *path);
bool vk_golden_is_used(const char *path);
void vk_golden_check(const char *path, const char *got);
GPtrArray *vk_golden_inputs(const char *dir);
void vk_golden_check_unused(const char *dir, bool (*exempt)(const char *dir, const char *name));
void vk_golden_random_seed(uint64_t seed);
void vk_golden_random(void *buf, size_t len);

/* --- the recorded QEMUs: tests/data/qemucaps/caps_VERSION_ARCH.replies --- */

typedef struct VkGoldenQemu {
        char *replies; /* the file's path */
        char *version; /* "7.2.0" */
        char *arch;    /* "x86_64" */
        char *suffix;  /* of its goldens: ".x86_64-7.2" (ARCH-MAJOR.MINOR) */
} VkGoldenQemu;

GPtrArray *vk_golden_qemus(void); /* of VkGoldenQemu */

/* --- the parse / format / reparse stages of an XML model's golden directory --- */

#include "error.h"

struct CMUnitTest;

typedef struct VkGoldenXml {
        const char *subdir;     /* tests/data/<subdir>: NAME.xml inputs */
        const char *out_suffix; /* NAME<out_suffix>: the formatted golden (".out.xml") */
        const char *err_suffix; /* NAME<err_suffix>: the expected error text (".err") */
        int (*parse)(const char *xml, void **ret, VkError *err);
        char *(*format)(void *obj);
        void (*free)(void *obj);
        /* more checks on a golden that re-parsed to the same bytes (may be NULL) */
        void (*reparse_more)(const char *name, const char *golden, void *obj);
} VkGoldenXml;

typedef struct VkGoldenTests VkGoldenTests;

VkGoldenTests *vk_golden_tests_new(void);
void vk_golden_tests_add(VkGoldenTests *t, void (*fn)(void **state), const char *name, void *state);
int vk_golden_tests_add_xml(VkGoldenTests *t, const VkGoldenXml *spec, char **ret_dir);
int vk_golden_tests_run(VkGoldenTests *t, const char *group, const char *unused_dir,
                        bool (*exempt)(const char *dir, const char *name));
