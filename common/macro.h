/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* macro.h: small helpers shared by every file (fd cleanup, string vectors, errno, strings) */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <unistd.h>

#include <glib.h>

/* A NULL-terminated string vector literal: VK_STRV("qemu-img", "info", path) */
#define VK_STRV(...) ((const char *const[]){ __VA_ARGS__, NULL })

#define VK_ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

/* Make an errno value negative whatever sign it came with; 0 becomes -EIO. */
static inline int vk_negative_errno(int e) {
        if (e == 0)
                return -EIO;
        return e < 0 ? e : -e;
}

static inline void vk_close_fdp(int *fd) {
        if (*fd >= 0) {
                int saved = errno;
                (void) close(*fd);
                errno = saved;
        }
}

/* Debian 12's GLib 2.74 has no g_autofd: this is ours. */
#define vk_autofd __attribute__((cleanup(vk_close_fdp))) int

static inline int vk_steal_fd(int *fd) {
        int r = *fd;
        *fd = -1;
        return r;
}

static inline const char *vk_strempty(const char *s) {
        return s ? s : "";
}

static inline bool vk_isempty(const char *s) {
        return !s || !*s;
}

/*
 * PREFIX_to_string() and PREFIX_from_string() of an enum whose values 0..max-1 are named by
 * the strings that follow, in order: to_string() gives NULL out of range, from_string() gives
 * (Type) -EINVAL (the enum's _INVALID) for an unknown string or NULL.
 */
#define VK_ENUM_STRING_IMPL(prefix, Type, max, ...)                                                \
        static const char *const prefix##_table[] = { __VA_ARGS__ };                               \
        G_STATIC_ASSERT(G_N_ELEMENTS(prefix##_table) == (max));                                    \
        const char *prefix##_to_string(Type v) {                                                   \
                return (int) v >= 0 && (int) v < (int) (max) ? prefix##_table[v] : NULL;           \
        }                                                                                          \
        Type prefix##_from_string(const char *s) {                                                 \
                for (int i = 0; s && i < (int) (max); i++)                                         \
                        if (g_str_equal(prefix##_table[i], s))                                     \
                                return (Type) i;                                                   \
                return (Type) -EINVAL;                                                             \
        }
