/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* log.h: logging to the journal (structured) or to stderr */
#pragma once

#include <stdbool.h>
#include <syslog.h>

#include <glib.h>

/*
 * Levels are syslog's (LOG_ERR .. LOG_DEBUG). drivers/ and common/ log at debug only; the
 * daemon adapters log once where a failure becomes a reply or an exit code.
 */
void vk_log_open(const char *ident);
void vk_log_set_max_level(int level);
int vk_log_get_max_level(void);
int vk_log_level_from_string(const char *s);
const char *vk_log_level_to_string(int level);
bool vk_log_to_journal(void);

/*
 * Log one message. @error (any sign, 0 for none) is put in errno for "%m" and in the ERRNO=
 * journal field. @fields is NULL or a NULL-terminated list of "KEY=value" journal fields.
 * Returns -abs(@error), or 0 when @error is 0.
 */
int vk_log_internal(int level, int error, const char *const *fields, const char *file, int line,
                    const char *func, const char *fmt, ...) G_GNUC_PRINTF(7, 8);

#define vk_log_full(level, error, fields, ...)                                                     \
        vk_log_internal((level), (error), (fields), __FILE__, __LINE__, __func__, __VA_ARGS__)

#define vk_log_debug(...)            vk_log_full(LOG_DEBUG, 0, NULL, __VA_ARGS__)
#define vk_log_info(...)             vk_log_full(LOG_INFO, 0, NULL, __VA_ARGS__)
#define vk_log_notice(...)           vk_log_full(LOG_NOTICE, 0, NULL, __VA_ARGS__)
#define vk_log_warning(...)          vk_log_full(LOG_WARNING, 0, NULL, __VA_ARGS__)
#define vk_log_error(...)            vk_log_full(LOG_ERR, 0, NULL, __VA_ARGS__)
#define vk_log_debug_errno(e, ...)   vk_log_full(LOG_DEBUG, (e), NULL, __VA_ARGS__)
#define vk_log_warning_errno(e, ...) vk_log_full(LOG_WARNING, (e), NULL, __VA_ARGS__)
#define vk_log_error_errno(e, ...)   vk_log_full(LOG_ERR, (e), NULL, __VA_ARGS__)
