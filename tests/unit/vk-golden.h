/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vk-golden.h: what every data-driven golden test shares (files, regeneration, randomness) */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

void vk_golden_init(void);
bool vk_golden_regenerate(void);
char *vk_golden_data_dir(const char *subdir);
char *vk_golden_read(const char *path);
void vk_golden_write(const char *path, const char *contents);
void vk_golden_mark_used(const char *path);
bool vk_golden_is_used(const char *path);
void vk_golden_check_unused(const char *dir, bool (*exempt)(const char *dir, const char *name));
void vk_golden_random_seed(uint64_t seed);
void vk_golden_random(void *buf, size_t len);
