/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* error.c: VkError, the one error object that travels from drivers to both wires */
#include <errno.h>
#include <string.h>

#include "error.h"
#include "macro.h"

/* Own @s as valid UTF-8: a message may quote input cut mid-character (libxml2 does), and
 * it leaves the daemon on wires (JSON, D-Bus) that refuse anything else. */
static char *utf8_take_valid(char *s) {
        char *valid;

        if (!s || g_utf8_validate(s, -1, NULL))
                return s;
        valid = g_utf8_make_valid(s, -1);
        g_free(s);
        return valid;
}

/*
 * Fill @e unless it already holds an error: the first failure is the root cause and the one
 * the user needs to see. @e may be NULL (the caller does not care). Returns @error as a
 * negative errno so an error site is a single line. Invalid UTF-8 in the message becomes
 * U+FFFD.
 */
int vk_error_setv(VkError *e, const char *name, int error, const char *fmt, va_list ap) {
        error = vk_negative_errno(error);
        if (!e || e->name)
                return error;

        e->name = g_strdup(name ? name : VK_ERROR_INTERNAL);
        e->message = utf8_take_valid(g_strdup_vprintf(fmt, ap));
        e->error = error;
        return error;
}

int vk_error_set(VkError *e, const char *name, int error, const char *fmt, ...) {
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vk_error_setv(e, name, error, fmt, ap);
        va_end(ap);
        return r;
}

/* Like vk_error_set() with the name SystemError and ": <strerror>" appended. */
int vk_error_set_errno(VkError *e, int error, const char *fmt, ...) {
        g_autofree char *msg = NULL;
        va_list ap;

        error = vk_negative_errno(error);
        if (!e || e->name)
                return error;

        va_start(ap, fmt);
        msg = g_strdup_vprintf(fmt, ap);
        va_end(ap);
        return vk_error_set(e, VK_ERROR_SYSTEM, error, "%s: %s", msg, g_strerror(-error));
}

/* Attach a string parameter (sent as an error parameter on varlink). No-op on NULL @e. */
void vk_error_add_param(VkError *e, const char *key, const char *value) {
        if (!e)
                return;
        if (!e->params)
                e->params = g_ptr_array_new_with_free_func(g_free);
        g_ptr_array_add(e->params, g_strdup(key));
        g_ptr_array_add(e->params, utf8_take_valid(g_strdup(vk_strempty(value))));
}

const char *vk_error_get_param(const VkError *e, const char *key) {
        if (!e || !e->params)
                return NULL;
        for (guint i = 0; i + 1 < e->params->len; i += 2)
                if (strcmp(e->params->pdata[i], key) == 0)
                        return e->params->pdata[i + 1];
        return NULL;
}

bool vk_error_is_set(const VkError *e) {
        return e && e->name;
}

/* Move @src into @dst (if @dst is still empty), leaving @src empty. */
void vk_error_move(VkError *dst, VkError *src) {
        if (!src)
                return;
        if (dst && !dst->name) {
                *dst = *src;
                *src = (VkError) VK_ERROR_INIT;
                return;
        }
        vk_error_done(src);
}

void vk_error_done(VkError *e) {
        if (!e)
                return;
        g_free(e->name);
        g_free(e->message);
        if (e->params)
                g_ptr_array_unref(e->params);
        *e = (VkError) VK_ERROR_INIT;
}
