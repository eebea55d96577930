/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* security-apparmor.c: AppArmor sVirt: the host probe, the profile rules, the exec switch */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>

#include <sys/apparmor.h>

#include "log.h"
#include "macro.h"
#include "security-apparmor-profile.h"
#include "security-apparmor.h"
#include "security-internal.h"

#define APPARMOR_PROFILES "/sys/kernel/security/apparmor/profiles"

/*
 * AppArmor sVirt: a dynamic domain runs in its own profile "virtkit-<uuid>", made of the
 * administrator's TEMPLATE.qemu and a .files include listing exactly this domain's files.
 * This driver only collects the rules; virtkit-aa-helper writes and loads the profile
 * (vk_security_manager_load_profile()), and the spawner enters it with aa_change_onexec().
 * A static <label> names an existing profile, which is entered but never generated.
 */

/* libapparmor is linked: true. */
bool vk_apparmor_supported(void) {
        return true;
}

/*
 * Whether this process can use AppArmor sVirt: the LSM is enabled (aa_is_enabled()) and we may
 * see its policy, libvirt's test: the kernel lets only root open the list of loaded profiles
 * (whatever its mode says; managing policy takes root too). A session instance runs as its
 * user, whose virtkit-aa-helper can neither write /etc/apparmor.d nor load a profile, so each
 * of its domains would fail to start (seen in the TCG guest of test-apparmor-guest.py);
 * without this driver they run unconfined, as libvirt's session domains do.
 */
bool vk_apparmor_enabled(void) {
        vk_autofd fd = -1;

        if (aa_is_enabled() <= 0)
                return false;
        fd = open(APPARMOR_PROFILES, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        return fd >= 0;
}

/* Make the calling task's next execve() enter @profile. NULL does nothing. */
int vk_apparmor_change_onexec(const char *profile) {
        if (!profile)
                return 0;
        if (aa_change_onexec(profile) < 0)
                return -errno;
        return 0;
}

static void apparmor_add_rule(VkSecurityState *s, const char *perms, const char *path) {
        g_autofree char *line = vk_apparmor_rule_line(perms, path);

        for (size_t i = 0; i < s->aa_rules->len; i++)
                if (g_str_equal(s->aa_rules->pdata[i], line))
                        return;
        g_ptr_array_add(s->aa_rules, g_steal_pointer(&line));
}

static int apparmor_prepare(VkSecurityManager *m, VkSecurityState *s, const VkSecurityDomain *dom,
                            const VkSecurityLabelRequest *label, VkError *reterr) {
        s->aa_type =
                label ? label->type
                      : (m->default_confined ? VK_SECURITY_LABEL_DYNAMIC : VK_SECURITY_LABEL_NONE);
        if (s->aa_type == VK_SECURITY_LABEL_NONE)
                return 0;
        if (s->aa_type == VK_SECURITY_LABEL_STATIC) {
                if (vk_apparmor_profile_name_check(label->label) < 0)
                        return vk_error_set(reterr, VK_ERROR_INVALID_XML, -EINVAL,
                                            "<seclabel model='apparmor'>: invalid profile name "
                                            "'%s'",
                                            label->label);
                s->aa_profile = g_strdup(label->label);
                return 0;
        }
        s->aa_profile = vk_apparmor_profile_name(&dom->uuid);
        s->aa_generate = true;
        if (!s->tcg)
                apparmor_add_rule(s, "rw", "/dev/kvm");
        return 0;
}

static const char *apparmor_perms(const VkSecurityResource *res) {
        switch (res->kind) {
        case VK_SECURITY_RESOURCE_IMAGE:
                return res->readonly ? "rk" : "rwk";
        case VK_SECURITY_RESOURCE_BOOT:
                return "r";
        case VK_SECURITY_RESOURCE_NVRAM:
                return "rwk";
        case VK_SECURITY_RESOURCE_CHARDEV:
                return "rw";
        case VK_SECURITY_RESOURCE_DEVICE:
                return res->readonly ? "r" : "rw";
        case VK_SECURITY_RESOURCE_PRIVATE:
        default:
                return res->dir ? "tree" : "rwk";
        }
}

static int apparmor_label(VkSecurityManager *m, VkSecurityState *s, const VkSecurityResource *res,
                          VkError *reterr) {
        g_autofree char *real = NULL;
        int r;

        if (!s->aa_generate)
                return 0;
        r = vk_apparmor_path_check(res->path, reterr);
        if (r < 0)
                return r;
        apparmor_add_rule(s, apparmor_perms(res), res->path);

        /* AppArmor mediates the path the kernel resolved: a symlinked image needs its target */
        real = realpath(res->path, NULL);
        if (real && !g_str_equal(real, res->path) && vk_apparmor_path_check(real, NULL) == 0)
                apparmor_add_rule(s, apparmor_perms(res), real);
        return 0;
}

const VkSecurityDriver vk_security_driver_apparmor = {
        .model = VK_SECURITY_MODEL_APPARMOR,
        .prepare = apparmor_prepare,
        .label = apparmor_label,
};
