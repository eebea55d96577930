/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* security-exec.c: what is applied to QEMU at exec, and its command line for virtkit-qemu-exec */
#include <assert.h>
#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "macro.h"
#include "paths.h"
#include "security-apparmor.h"
#include "security-caps.h"
#include "security-dac.h"
#include "security-exec.h"
#include "security-internal.h"
#include "security-selinux.h"

/*
 * common/child.c clones with vfork semantics and has no pre-exec hook, so the parts of the
 * exec parameters that need library calls (capability bounding set, setexeccon(),
 * aa_change_onexec()) run in a tiny helper that QEMU is exec'd from:
 *
 *   virtkit-qemu-exec [--uid=N --gid=N --groups=G,G...] [--clear-caps]
 *                     [--selinux=LABEL] [--apparmor=PROFILE] -- QEMU ARGS...
 *
 * Everything on that line is public (ids and labels; QEMU's own argv carries no secrets
 * either: those go through the master key), so argv is a safe channel. The helper keeps the
 * pid, so the pidfd, the status file and the reconnect check see QEMU itself.
 */

/* "keep", "clear" */
VK_ENUM_STRING_IMPL(vk_security_caps, VkSecurityCaps, _VK_SECURITY_CAPS_MAX, "keep", "clear")

/* Free what @p owns and zero it. */
void vk_security_exec_params_done(VkSecurityExecParams *p) {
        if (!p)
                return;
        g_free(p->groups);
        g_free(p->selinux_label);
        g_free(p->apparmor_profile);
        *p = (VkSecurityExecParams){};
}

/*
 * What the spawner applies to QEMU: credentials (privileged instance only), capabilities
 * (a non-root QEMU gets none; a root one keeps them unless clear_emulator_capabilities), the
 * SELinux exec context and the AppArmor profile. Plain data; see
 * vk_security_exec_params_apply(). On success *ret_params is filled (caller calls _done).
 */
int vk_security_manager_exec_params(VkSecurityManager *mgr, const VkSecurityState *state,
                                    VkSecurityExecParams *ret_params, VkError *reterr) {
        g_auto(VkSecurityExecParams) p = {};

        assert(mgr);
        assert(state);
        assert(ret_params);

        if (mgr->privileged) {
                p.set_credentials = true;
                p.uid = state->uid;
                p.gid = state->gid;
                if (state->uid == mgr->uid && state->gid == mgr->gid) {
                        p.groups = g_memdup2(mgr->groups, sizeof(gid_t) * mgr->n_groups);
                        p.n_groups = mgr->n_groups;
                } else
                        (void) vk_security_dac_user_groups(state->uid, state->gid, &p.groups,
                                                           &p.n_groups);
                p.caps = state->uid != 0 || mgr->clear_emulator_capabilities
                                 ? VK_SECURITY_CAPS_CLEAR
                                 : VK_SECURITY_CAPS_KEEP;
                if (p.caps == VK_SECURITY_CAPS_CLEAR && !vk_security_caps_supported()) {
                        if (state->uid == 0)
                                return vk_error_set(reterr, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                                    "clear_emulator_capabilities needs virtkit "
                                                    "built with libcap-ng");
                        p.caps = VK_SECURITY_CAPS_KEEP; /* the uid switch clears them */
                }
        }
        if (state->se_type != VK_SECURITY_LABEL_NONE)
                p.selinux_label = g_strdup(state->se_label);
        if (state->aa_type != VK_SECURITY_LABEL_NONE)
                p.apparmor_profile = g_strdup(state->aa_profile);

        *ret_params = p;
        p = (VkSecurityExecParams){};
        return 0;
}

/*
 * Copy the credentials of @p into @opts for vk_child_spawn() (VK_CHILD_SET_CREDENTIALS). The
 * groups pointer is borrowed from @p. Capabilities and LSM labels are not VkChildOptions; see
 * vk_security_exec_params_apply().
 */
void vk_security_exec_params_to_child_options(const VkSecurityExecParams *p, VkChildOptions *opts) {
        assert(p);
        assert(opts);
        if (!p->set_credentials)
                return;
        opts->flags |= VK_CHILD_SET_CREDENTIALS;
        opts->uid = p->uid;
        opts->gid = p->gid;
        opts->groups = p->groups;
        opts->n_groups = p->n_groups;
}

/*
 * Apply all of @p to the calling process, which is about to execve() QEMU: bounding set
 * emptied, supplementary groups, gid, uid, remaining capabilities cleared, SELinux exec
 * context, AppArmor onexec profile. For a forked child or an exec wrapper only, never the
 * daemon (it changes the process for good). Not async-signal-safe (libcap-ng, libselinux);
 * not for vk_child's vfork-style child. Returns 0 or -errno with @reterr naming the step.
 */
int vk_security_exec_params_apply(const VkSecurityExecParams *p, VkError *reterr) {
        int r;

        assert(p);

        if (p->caps == VK_SECURITY_CAPS_CLEAR) {
                r = vk_security_caps_clear_bounding();
                if (r < 0)
                        return vk_error_set(reterr, VK_ERROR_SYSTEM, r,
                                            "cannot clear the capability bounding set: %s",
                                            g_strerror(-r));
        }
        if (p->set_credentials) {
                if (setgroups(p->n_groups, p->groups) < 0 ||
                    setresgid(p->gid, p->gid, p->gid) < 0 || setresuid(p->uid, p->uid, p->uid) < 0)
                        return vk_error_set(reterr, VK_ERROR_SYSTEM, -errno,
                                            "cannot switch to %u:%u: %s", (unsigned) p->uid,
                                            (unsigned) p->gid, g_strerror(errno));
        }
        if (p->caps == VK_SECURITY_CAPS_CLEAR) {
                r = vk_security_caps_clear();
                if (r < 0)
                        return vk_error_set(reterr, VK_ERROR_SYSTEM, r,
                                            "cannot clear capabilities: %s", g_strerror(-r));
        }
        if (p->selinux_label) {
                r = vk_selinux_set_exec_label(p->selinux_label);
                if (r < 0)
                        return vk_error_set(reterr, VK_ERROR_SYSTEM, r,
                                            "cannot set the SELinux exec context '%s': %s",
                                            p->selinux_label, g_strerror(-r));
        }
        if (p->apparmor_profile) {
                r = vk_apparmor_change_onexec(p->apparmor_profile);
                if (r < 0)
                        return vk_error_set(reterr, VK_ERROR_SYSTEM, r,
                                            "cannot switch to AppArmor profile '%s' on exec: %s",
                                            p->apparmor_profile, g_strerror(-r));
        }
        return 0;
}

/* True when @p needs the helper; else vk_child_spawn() can apply it (credentials only). */
bool vk_security_exec_params_need_helper(const VkSecurityExecParams *p) {
        assert(p);
        return p->caps == VK_SECURITY_CAPS_CLEAR || p->selinux_label || p->apparmor_profile;
}

/* The helper's path (vk_paths_libexec()). */
char *vk_security_exec_helper_path(void) {
        return vk_paths_libexec(VK_SECURITY_EXEC_HELPER);
}

/* Append the options for @p to @argv (strings owned by @argv's free function, g_free). */
void vk_security_exec_params_to_args(const VkSecurityExecParams *p, GPtrArray *argv) {
        assert(p);
        assert(argv);

        if (p->set_credentials) {
                g_autoptr(GString) groups = g_string_new(NULL);

                g_ptr_array_add(argv, g_strdup_printf("--uid=%u", (unsigned) p->uid));
                g_ptr_array_add(argv, g_strdup_printf("--gid=%u", (unsigned) p->gid));
                for (size_t i = 0; i < p->n_groups; i++)
                        g_string_append_printf(groups, "%s%u", i ? "," : "",
                                               (unsigned) p->groups[i]);
                g_ptr_array_add(argv, g_strconcat("--groups=", groups->str, NULL));
        }
        if (p->caps == VK_SECURITY_CAPS_CLEAR)
                g_ptr_array_add(argv, g_strdup("--clear-caps"));
        if (p->selinux_label)
                g_ptr_array_add(argv, g_strconcat("--selinux=", p->selinux_label, NULL));
        if (p->apparmor_profile)
                g_ptr_array_add(argv, g_strconcat("--apparmor=", p->apparmor_profile, NULL));
        g_ptr_array_add(argv, g_strdup("--"));
}

static int exec_parse_id(const char *s, unsigned *ret) {
        char *end = NULL;
        unsigned long v;

        errno = 0;
        v = strtoul(s, &end, 10);
        if (errno || !*s || *end || v >= (unsigned long) UINT32_MAX)
                return -EINVAL;
        *ret = (unsigned) v;
        return 0;
}

/*
 * Parse the options written by vk_security_exec_params_to_args() from @args (NULL-terminated,
 * after argv[0]). *@ret_rest points into @args at QEMU's argv (after "--"; at least one
 * entry). *@ret_params is filled on success (caller calls vk_security_exec_params_done()).
 */
int vk_security_exec_params_from_args(char **args, VkSecurityExecParams *ret_params,
                                      char ***ret_rest, VkError *reterr) {
        g_auto(VkSecurityExecParams) p = { .caps = VK_SECURITY_CAPS_KEEP };
        bool has_uid = false, has_gid = false;
        size_t i;

        assert(args);
        assert(ret_params);
        assert(ret_rest);

        for (i = 0; args[i] && !g_str_equal(args[i], "--"); i++) {
                const char *a = args[i];
                unsigned v;

                if (g_str_has_prefix(a, "--uid=") && exec_parse_id(a + 6, &v) == 0) {
                        p.uid = v;
                        has_uid = true;
                } else if (g_str_has_prefix(a, "--gid=") && exec_parse_id(a + 6, &v) == 0) {
                        p.gid = v;
                        has_gid = true;
                } else if (g_str_has_prefix(a, "--groups=")) {
                        g_auto(GStrv) list = g_strsplit(a + 9, ",", 0);
                        size_t n = *(a + 9) ? g_strv_length(list) : 0;

                        if (n > 65536)
                                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -E2BIG,
                                                    "too many groups");
                        g_free(p.groups);
                        p.groups = g_new0(gid_t, MAX(n, 1));
                        p.n_groups = n;
                        for (size_t j = 0; j < n; j++) {
                                if (exec_parse_id(list[j], &v) < 0)
                                        return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT,
                                                            -EINVAL, "bad group '%s'", list[j]);
                                p.groups[j] = v;
                        }
                } else if (g_str_equal(a, "--clear-caps")) {
                        p.caps = VK_SECURITY_CAPS_CLEAR;
                } else if (g_str_has_prefix(a, "--selinux=") && a[10]) {
                        g_free(p.selinux_label);
                        p.selinux_label = g_strdup(a + 10);
                } else if (g_str_has_prefix(a, "--apparmor=") && a[11]) {
                        g_free(p.apparmor_profile);
                        p.apparmor_profile = g_strdup(a + 11);
                } else
                        return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                            "unknown option '%s'", a);
        }
        if (!args[i] || !args[i + 1] || !g_path_is_absolute(args[i + 1]))
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "expected '-- /path/to/qemu ARGS...'");
        if (has_uid != has_gid)
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "--uid and --gid go together");
        p.set_credentials = has_uid;

        *ret_rest = args + i + 1;
        *ret_params = p;
        p = (VkSecurityExecParams){};
        return 0;
}
