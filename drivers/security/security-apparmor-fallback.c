/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* security-apparmor-fallback.c: AppArmor sVirt when built without libapparmor: never selected */
#include <errno.h>

#include "security-apparmor.h"
#include "security-internal.h"

/* Built without libapparmor: false. */
bool vk_apparmor_supported(void) {
        return false;
}

/* Built without libapparmor: false. */
bool vk_apparmor_enabled(void) {
        return false;
}

/* Built without libapparmor: 0 for NULL (nothing to do), else -EOPNOTSUPP. */
int vk_apparmor_change_onexec(const char *profile) {
        return profile ? -EOPNOTSUPP : 0;
}

static int apparmor_unsupported(VkSecurityManager *m, VkSecurityState *s,
                                const VkSecurityDomain *dom, const VkSecurityLabelRequest *label,
                                VkError *reterr) {
        return vk_error_set(reterr, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                            "virtkit was built without AppArmor support");
}

const VkSecurityDriver vk_security_driver_apparmor = {
        .model = VK_SECURITY_MODEL_APPARMOR,
        .prepare = apparmor_unsupported,
};
