/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* security-apparmor-profile.h: per-VM AppArmor profiles: rules, validation, rendering */
#pragma once

#include <stdbool.h>

#include "error.h"
#include "uuid.h"

/*
 * The rules of one VM travel from the daemon to virtkit-aa-helper as text, one rule a line,
 * "PERMS PATH" (PERMS first, so a path may hold spaces):
 *
 *   rwk /var/lib/virtkit/images/vm1.qcow2     exclusive disk (k: QEMU locks images)
 *   rk /srv/iso/debian.iso                    readonly disk, cdrom, firmware
 *   r /boot/vmlinuz                           kernel, initrd
 *   rw /var/log/vm1-serial.log                chardev file or socket
 *   tree /run/virtkit/qemu/vm1.private        a directory and everything below it
 *
 * The helper runs as root and writes policy: every line is checked again there.
 */

#define VK_APPARMOR_PROFILE_PREFIX "virtkit-"
#define VK_APPARMOR_RULES_MAX      4096
#define VK_APPARMOR_RULES_SIZE_MAX (1024 * 1024)
#define VK_APPARMOR_PATH_MAX       4096
/* The placeholders of conf/apparmor/TEMPLATE.qemu */
#define VK_APPARMOR_TEMPLATE_NAME  "@PROFILE_NAME@"
#define VK_APPARMOR_TEMPLATE_FILES "@FILES_INCLUDE@"

char *vk_apparmor_profile_name(const VkUuid *uuid);
int vk_apparmor_profile_name_check(const char *name);
int vk_apparmor_path_check(const char *path, VkError *reterr);
int vk_apparmor_perms_check(const char *perms);
char *vk_apparmor_rule_line(const char *perms, const char *path);
int vk_apparmor_render_files(const char *rules, const char *profile_name, char **ret_files,
                             VkError *reterr);
int vk_apparmor_render_profile(const char *template_text, const char *profile_name,
                               char **ret_profile, VkError *reterr);
