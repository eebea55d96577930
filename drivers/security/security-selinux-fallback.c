/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* security-selinux-fallback.c: SELinux sVirt when built without libselinux: never selected */
#include <errno.h>

#include "security-internal.h"
#include "security-selinux.h"

/* Built without libselinux: false. */
bool vk_selinux_supported(void) {
        return false;
}

/* Built without libselinux: false. */
bool vk_selinux_enabled(void) {
        return false;
}

/* Built without libselinux: -EOPNOTSUPP. */
int vk_selinux_policy_contexts(char **ret_domain_kvm, char **ret_domain_tcg, char **ret_image,
                               char **ret_content) {
        return -EOPNOTSUPP;
}

/* Built without libselinux: -EOPNOTSUPP. */
int vk_selinux_context_check(const char *context) {
        return -EOPNOTSUPP;
}

/* Built without libselinux: -EOPNOTSUPP. */
int vk_selinux_context_get_range(const char *context, char **ret_range) {
        return -EOPNOTSUPP;
}

/* Built without libselinux: -EOPNOTSUPP. */
int vk_selinux_context_set_range(const char *context, const char *range, char **ret_context) {
        return -EOPNOTSUPP;
}

/* Built without libselinux: -EOPNOTSUPP. */
int vk_selinux_file_get_label(const char *path, char **ret_context) {
        return -EOPNOTSUPP;
}

/* Built without libselinux: -EOPNOTSUPP. */
int vk_selinux_file_set_label(const char *path, const char *context) {
        return -EOPNOTSUPP;
}

/* Built without libselinux: 0 for NULL (nothing to do), else -EOPNOTSUPP. */
int vk_selinux_set_exec_label(const char *context) {
        return context ? -EOPNOTSUPP : 0;
}

static int selinux_unsupported(VkSecurityManager *m, VkSecurityState *s,
                               const VkSecurityDomain *dom, const VkSecurityLabelRequest *label,
                               VkError *reterr) {
        return vk_error_set(reterr, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                            "virtkit was built without SELinux support");
}

const VkSecurityDriver vk_security_driver_selinux = {
        .model = VK_SECURITY_MODEL_SELINUX,
        .prepare = selinux_unsupported,
};
