/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-caps-xml.h: libvirt's <capabilities> and <domainCapabilities> XML from QEMU caps */
#pragma once

#include <stddef.h>

#include "error.h"
#include "qemu-caps.h"

/* Host facts for <capabilities>; any pointer may be NULL. */
typedef struct VkQemuHostInfo {
        const char *arch;
        const char *uuid;
        const char *cpu_model;
        const char *cpu_vendor;
} VkQemuHostInfo;

/* One <secmodel>: @baselabels is NULL or "virttype", "label", ... NULL. */
typedef struct VkQemuSecModel {
        const char *model;
        const char *doi;
        const char *const *baselabels;
} VkQemuSecModel;

int vk_qemu_caps_format_capabilities_xml(const VkQemuHostInfo *host, VkQemuCaps *const *caps,
                                         size_t n_caps, const VkQemuSecModel *secmodels,
                                         size_t n_secmodels, char **ret, VkError *reterr);
int vk_qemu_caps_format_domain_capabilities_xml(const VkQemuCaps *caps, const char *machine,
                                                const char *virttype, char **ret, VkError *reterr);
