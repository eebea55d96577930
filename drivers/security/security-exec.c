/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* security-exec.c: exec parameters on the command line of virtkit-qemu-exec */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "security-exec.h"
#include "security-manager.h"

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

/* True when @p needs the helper; else vk_child_spawn() can apply it (credentials only). */
bool vk_security_exec_params_need_helper(const VkSecurityExecParams *p) {
        assert(p);
        return p->caps == VK_SECURITY_CAPS_CLEAR || p->selinux_label || p->apparmor_profile;
}

/*
 * The helper's path: $VIRTKIT_LIBEXEC_DIR, else the build tree's tools/ when this program
 * runs from the build tree (the demo, tests), else the libexec dir.
 */
char *vk_security_exec_helper_path(void) {
        const char *dir = getenv("VIRTKIT_LIBEXEC_DIR");
        g_autofree char *self = NULL;

        if (dir && *dir)
                return g_build_filename(dir, VK_SECURITY_EXEC_HELPER, NULL);
        self = g_file_read_link("/proc/self/exe", NULL);
        if (self && g_str_has_prefix(self, VK_BUILD_ROOT "/"))
                return g_build_filename(VK_BUILD_ROOT, "tools", VK_SECURITY_EXEC_HELPER, NULL);
        return g_build_filename(VK_LIBEXECDIR, VK_SECURITY_EXEC_HELPER, NULL);
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
