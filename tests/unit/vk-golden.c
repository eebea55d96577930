/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vk-golden.c: what every data-driven golden test shares (files, regeneration, randomness) */
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>

#include "vk-golden.h"

static bool regenerate;
static GHashTable *used_files;
static uint64_t rng_state;

/* Read VK_TEST_REGENERATE (1: rewrite goldens from the current output) and reset the state. */
void vk_golden_init(void) {
        regenerate = g_strcmp0(getenv("VK_TEST_REGENERATE"), "1") == 0;
        if (!used_files)
                used_files = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
}

bool vk_golden_regenerate(void) {
        return regenerate;
}

/* VK_TEST_SRCDIR/data/@subdir (tests/meson.build sets it), or NULL with a message. */
char *vk_golden_data_dir(const char *subdir) {
        const char *srcdir = getenv("VK_TEST_SRCDIR");

        if (!srcdir) {
                fprintf(stderr, "VK_TEST_SRCDIR is not set\n");
                return NULL;
        }
        return g_build_filename(srcdir, "data", subdir, NULL);
}

/* The file's contents, or NULL when it does not exist. */
char *vk_golden_read(const char *path) {
        char *contents = NULL;

        if (!g_file_get_contents(path, &contents, NULL, NULL))
                return NULL;
        return contents;
}

void vk_golden_write(const char *path, const char *contents) {
        assert_true(g_file_set_contents(path, contents, -1, NULL));
}

void vk_golden_mark_used(const char *path) {
        g_hash_table_add(used_files, g_strdup(path));
}

bool vk_golden_is_used(const char *path) {
        return g_hash_table_contains(used_files, path);
}

/* Fail naming every file of @dir no test used (STYLE.md: unused data fails the suite), except
 * those @exempt (may be NULL) says another test owns. */
void vk_golden_check_unused(const char *dir, bool (*exempt)(const char *dir, const char *name)) {
        g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
        g_autoptr(GString) unused = g_string_new(NULL);
        const char *f;

        assert_non_null(d);
        while ((f = g_dir_read_name(d))) {
                g_autofree char *path = g_build_filename(dir, f, NULL);

                if (!vk_golden_is_used(path) && !(exempt && exempt(dir, f)))
                        g_string_append_printf(unused, " %s", f);
        }
        if (unused->len > 0)
                fail_msg("files no test used:%s", unused->str);
}

/* Deterministic "random" bytes (a fixed LCG), so generated UUIDs and MACs are the same on
 * every run and in every golden test. */
void vk_golden_random_seed(uint64_t seed) {
        rng_state = seed;
}

void vk_golden_random(void *buf, size_t len) {
        uint8_t *p = buf;

        for (size_t i = 0; i < len; i++) {
                rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
                p[i] = (uint8_t) (rng_state >> 56);
        }
}
