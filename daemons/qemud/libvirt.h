/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libvirt.h: libvirt-dbus's org.libvirt API served on qemud's own bus connection */
#pragma once

#include <stdbool.h>

#include <systemd/sd-bus.h>

#include "api.h"

typedef struct VkLibvirt VkLibvirt;

int vk_libvirt_read_config(const char *config_file, bool *ret_enabled, VkError *reterr);
int vk_libvirt_new(VkQemud *q, VkService *service, sd_bus *bus, VkLibvirt **ret, VkError *reterr);
VkLibvirt *vk_libvirt_free(VkLibvirt *lv);
void vk_libvirt_on_event(VkLibvirt *lv, const VkQemuDomainEvent *ev);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(VkLibvirt, vk_libvirt_free)
