/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* security-caps.c: process capabilities of QEMU (libcap-ng) */
#include <errno.h>
#include <sys/prctl.h>

#include <cap-ng.h>

#include "security-caps.h"

/*
 * Both calls act on the calling process: the one about to exec QEMU, never the daemon.
 * Dropping the bounding set needs CAP_SETPCAP, so it comes before the switch to QEMU's uid;
 * clearing the other sets comes after it (for a root QEMU nothing else clears them).
 */

/* libcap-ng is linked: true. */
bool vk_security_caps_supported(void) {
        return true;
}

/* Empty the bounding set of the calling process. 0 or -errno (-EPERM without CAP_SETPCAP). */
int vk_security_caps_clear_bounding(void) {
        capng_clear(CAPNG_SELECT_BOUNDS);
        if (capng_apply(CAPNG_SELECT_BOUNDS) < 0)
                return -EPERM;
        return 0;
}

/* Empty the effective, permitted, inheritable and ambient sets of the calling process. */
int vk_security_caps_clear(void) {
        capng_clear(CAPNG_SELECT_CAPS);
        if (capng_apply(CAPNG_SELECT_CAPS) < 0)
                return -EPERM;
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
                return -errno;
        return 0;
}
