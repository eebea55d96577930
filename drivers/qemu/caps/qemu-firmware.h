/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-firmware.h: QEMU's firmware descriptors (docs/interop/firmware.json) and the choice */
#pragma once

#include <stdbool.h>

#include <glib.h>

#include "error.h"
#include "qemu-domain-def.h"

/* Limits: a descriptor is small; a directory of them is too */
#define VK_QEMU_FIRMWARE_FILE_MAX  (1024 * 1024)
#define VK_QEMU_FIRMWARE_FILES_MAX 256

typedef struct VkQemuFirmware VkQemuFirmware;

VkQemuFirmware *vk_qemu_firmware_free(VkQemuFirmware *fw);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VkQemuFirmware, vk_qemu_firmware_free)

char **vk_qemu_descriptor_dirs(const char *kind, bool privileged, const char *config_home);
char **vk_qemu_firmware_dirs(bool privileged, const char *config_home);
int vk_qemu_firmware_list(const char *const *dirs, char ***ret_paths, VkError *reterr);
int vk_qemu_firmware_parse_file(const char *path, VkQemuFirmware **ret, VkError *reterr);
char *vk_qemu_firmware_nvram_path(const char *nvram_dir, const char *name);
int vk_qemu_firmware_fill(VkDomainDef *def, const char *machine, const char *const *dirs,
                          const char *nvram_dir, char **ret_descriptor, VkError *reterr);
