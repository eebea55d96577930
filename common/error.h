/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* error.h: VkError, the one error object that travels from drivers to both wires */
#pragma once

#include <stdarg.h>
#include <stdbool.h>

#include <glib.h>

/*
 * Error names. A short name ("NoSuchDomain") is qualified by the adapter with the interface
 * that answers ("io.virtkit.Qemu.NoSuchDomain"); a name with a dot is sent unchanged, so a
 * forwarded sibling error keeps its own interface.
 */
#define VK_ERROR_INVALID_ARGUMENT          "InvalidArgument"
#define VK_ERROR_INVALID_XML               "InvalidXML"
#define VK_ERROR_INVALID_CONFIG            "InvalidConfig"
#define VK_ERROR_NOT_SUPPORTED             "NotSupported"
#define VK_ERROR_PERMISSION_DENIED         "PermissionDenied"
#define VK_ERROR_INTERACTIVE_AUTH_REQUIRED "InteractiveAuthenticationRequired"
#define VK_ERROR_OPERATION_FAILED          "OperationFailed"
#define VK_ERROR_OPERATION_INVALID         "OperationInvalid"
#define VK_ERROR_TIMEOUT                   "Timeout"
#define VK_ERROR_BUSY                      "Busy"
#define VK_ERROR_LIMIT_EXCEEDED            "LimitExceeded"
#define VK_ERROR_INTERNAL                  "InternalError"
#define VK_ERROR_SYSTEM                    "SystemError"

typedef struct VkError {
        char *name;        /* short or fully qualified error name; NULL while unset */
        char *message;     /* human readable, names what is wrong and where */
        int error;         /* negative errno */
        GPtrArray *params; /* extra string parameters: key, value, key, value, ... */
} VkError;

#define VK_ERROR_INIT                                                                              \
        { 0 }

int vk_error_set(VkError *e, const char *name, int error, const char *fmt, ...) G_GNUC_PRINTF(4, 5);
int vk_error_setv(VkError *e, const char *name, int error, const char *fmt, va_list ap)
        G_GNUC_PRINTF(4, 0);
int vk_error_set_errno(VkError *e, int error, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
void vk_error_add_param(VkError *e, const char *key, const char *value);
const char *vk_error_get_param(const VkError *e, const char *key);
bool vk_error_is_set(const VkError *e);
void vk_error_move(VkError *dst, VkError *src);
void vk_error_done(VkError *e);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(VkError, vk_error_done)
