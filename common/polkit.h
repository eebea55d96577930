/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* polkit.h: asynchronous authorisation checks through the polkit D-Bus API */
#pragma once

#include <stdbool.h>

#include <systemd/sd-bus.h>

#include "error.h"
#include "peer.h"

typedef enum VkPolkitResult {
        VK_POLKIT_DENIED,
        VK_POLKIT_ALLOWED,
        VK_POLKIT_CHALLENGE, /* allowed after interactive authentication */
        _VK_POLKIT_RESULT_MAX,
        _VK_POLKIT_RESULT_INVALID = -EINVAL,
} VkPolkitResult;

/* @error is set (and @result meaningless) when polkit could not be asked. */
typedef void (*VkPolkitFunc)(VkPolkitResult result, const VkError *error, void *userdata);

typedef struct VkPolkitSubject {
        const char *bus_name; /* a D-Bus sender: subject "system-bus-name" */
        VkPeer process;       /* otherwise: subject "unix-process" */
} VkPolkitSubject;

int vk_polkit_check_async(sd_bus *system_bus, const VkPolkitSubject *subject, const char *action,
                          bool interactive, VkPolkitFunc cb, void *userdata, sd_bus_slot **ret_slot,
                          VkError *reterr);
