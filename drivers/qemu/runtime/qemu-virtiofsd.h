/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-virtiofsd.h: virtiofsd for a virtio-fs share: the binary, its command line, its socket */
#pragma once

#include <glib.h>

#include "error.h"
#include "qemu-domain-def.h"

/* Limits: a vhost-user descriptor is small */
#define VK_QEMU_VHOST_USER_FILE_MAX (64 * 1024)

int vk_qemu_virtiofsd_find_binary(const char *const *dirs, char **ret_binary, VkError *reterr);
char **vk_qemu_virtiofsd_argv(const VkDomainFs *fs, const char *binary, int fd);
char *vk_qemu_virtiofsd_alias(const VkDomainFs *fs, size_t index);
char *vk_qemu_virtiofsd_socket_path(const char *private_dir, const char *alias);
int vk_qemu_virtiofsd_usable(const char *what, VkError *reterr);
