/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-caps-hostcpu.h: the host-model CPU: the named model closest to what QEMU can give a
 * guest on this host, with the features to add and remove */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "qemu-caps.h"
#include "qemu-domain-def.h"

typedef struct VkQemuHostCpuFeature {
        char *name;      /* QEMU's spelling */
        bool enabled;    /* require (on) or disable (off) */
        bool migratable; /* false: the host has it but a migratable guest may not (invtsc) */
} VkQemuHostCpuFeature;

typedef struct VkQemuHostCpu {
        char *model;                    /* a model of query-cpu-definitions */
        char *vendor;                   /* libvirt's vendor name (Intel, AMD, Hygon), or NULL */
        VkQemuHostCpuFeature *features; /* the enabled ones by name, then the disabled ones */
        size_t n_features;
} VkQemuHostCpu;

/*
 * The host-model CPU @caps computed for an accelerator (@kvm: "host" under KVM, else "max"
 * under TCG), or NULL when the probe could not (no query-cpu-model-expansion, not x86, or the
 * probe ran under the other accelerator). Owned by @caps.
 */
const VkQemuHostCpu *vk_qemu_caps_get_host_cpu(const VkQemuCaps *caps, bool kvm);

int vk_qemu_caps_host_model_features(const VkQemuCaps *caps, bool kvm, const VkDomainCpu *cpu,
                                     VkCpuFeature **ret_features, size_t *ret_n);
int vk_qemu_caps_expand_host_model(const VkQemuCaps *caps, bool kvm, VkDomainCpu *cpu);
