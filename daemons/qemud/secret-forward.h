/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* secret-forward.h: io.virtkit.Secret on qemud's front door, forwarded to virtkit-secretd */
#pragma once

#include <systemd/sd-event.h>

#include "error.h"
#include "method.h"

typedef struct VkSecretForward VkSecretForward;

/*
 * The secret methods as qemud serves them (every io.virtkit.Secret method but the local ones,
 * see daemons/secretd/api-decl.h). Their handlers expect a VkQemud as userdata, whose
 * secret_forward field is set.
 */
extern const VkInterface vk_qemud_secret_interface;

int vk_secret_forward_new(sd_event *event, const char *socket_path, VkSecretForward **ret,
                          VkError *reterr);
VkSecretForward *vk_secret_forward_free(VkSecretForward *f);
void vk_secret_forward_cancel_all(VkSecretForward *f);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(VkSecretForward, vk_secret_forward_free)
