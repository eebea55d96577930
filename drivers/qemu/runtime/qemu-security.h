/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-security.h: a domain described to the security stack: config, labels, files, ACL */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "qemu-caps-xml.h"
#include "qemu-conf.h"
#include "qemu-domain-def.h"
#include "security-cgroup.h"
#include "security-manager.h"

/*
 * drivers/security knows neither QEMU nor the domain XML. This file translates: qemu.conf
 * into a VkSecurityConfig, a domain's <seclabel>s into label requests, its disks, firmware,
 * kernel, chardevs, RNG and TPM devices into VkSecurityResources, its block devices into
 * the device ACL, and the assigned labels back into the live <seclabel>s.
 */

int vk_qemu_security_manager_new(const VkQemuConfig *cfg, bool privileged,
                                 const VkSecurityManagerOptions *opts, VkSecurityManager **ret,
                                 VkError *reterr);
size_t vk_qemu_security_secmodels(VkSecurityManager *mgr, VkQemuSecModel ret[static 3]);

int vk_qemu_security_prepare(VkSecurityManager *mgr, const VkDomainDef *def,
                             VkSecurityState **ret_state, VkError *reterr);
int vk_qemu_security_label_domain(VkSecurityManager *mgr, VkSecurityState *state,
                                  const VkDomainDef *def, const char *const *extra_paths,
                                  VkError *reterr);
int vk_qemu_security_label_disk(VkSecurityManager *mgr, VkSecurityState *state,
                                const VkDomainDisk *disk, VkError *reterr);
int vk_qemu_security_restore_disk(VkSecurityManager *mgr, VkSecurityState *state,
                                  const VkDomainDisk *disk, VkError *reterr);
int vk_qemu_security_device_acl(const VkQemuConfig *cfg, const VkDomainDef *def,
                                VkSecurityDeviceRule **ret_rules, size_t *ret_n, VkError *reterr);

int vk_qemu_security_format_live_seclabels(const VkSecurityState *state, char **ret_xml);
int vk_qemu_security_set_live_seclabels(const VkSecurityState *state, VkDomainDef *def);
