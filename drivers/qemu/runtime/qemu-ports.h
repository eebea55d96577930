/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-ports.h: the TCP ports a driver handed out for autoport graphics */
#pragma once

#include <glib.h>

#include "error.h"

/*
 * A set of reserved ports, owned by the driver (one per driver, not per process) and shared
 * with each process that holds ports from it, until that process is gone. Reference counted
 * so that a process outliving its driver can still give its ports back.
 */
typedef struct VkQemuPorts VkQemuPorts;

VkQemuPorts *vk_qemu_ports_new(void);
VkQemuPorts *vk_qemu_ports_ref(VkQemuPorts *ports);
VkQemuPorts *vk_qemu_ports_unref(VkQemuPorts *ports);
int vk_qemu_ports_reserve(VkQemuPorts *ports, int first, VkError *reterr);
void vk_qemu_ports_release(VkQemuPorts *ports, int port);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(VkQemuPorts, vk_qemu_ports_unref)
