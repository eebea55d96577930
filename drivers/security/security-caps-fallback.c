/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* security-caps-fallback.c: process capabilities when built without libcap-ng */
#include <errno.h>

#include "security-caps.h"

/*
 * Without libcap-ng a non-root QEMU still ends up with no capabilities (the kernel clears them
 * at the uid switch), but its bounding set stays, and a root QEMU cannot be asked to drop them.
 */

/* Built without libcap-ng: false. */
bool vk_security_caps_supported(void) {
        return false;
}

/* Built without libcap-ng: -EOPNOTSUPP. */
int vk_security_caps_clear_bounding(void) {
        return -EOPNOTSUPP;
}

/* Built without libcap-ng: -EOPNOTSUPP. */
int vk_security_caps_clear(void) {
        return -EOPNOTSUPP;
}
