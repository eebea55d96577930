/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* security-apparmor-profile.c: per-VM AppArmor profiles: rules, rendering, load and unload */
#include <assert.h>
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "child.h"
#include "macro.h"
#include "security-apparmor-profile.h"
#include "security-internal.h"

/*
 * What a generated profile may never grant, whatever the domain XML says: the policy itself,
 * the LSM's control files, and process information of other tasks.
 */
static const char *const forbidden_prefixes[] = {
        "/etc/apparmor.d", "/etc/apparmor", "/sys/kernel/security", "/proc", "/sys/fs/cgroup",
};

static const char *const allowed_perms[] = { "r", "rk", "rw", "rwk", "tree", NULL };

/* "virtkit-<uuid>", the name of a dynamic domain's profile. Caller frees. */
char *vk_apparmor_profile_name(const VkUuid *uuid) {
        char buf[VK_UUID_STRING_MAX];

        return g_strconcat(VK_APPARMOR_PROFILE_PREFIX, vk_uuid_format(uuid, buf), NULL);
}

/*
 * Whether @name may be used as a profile name (a static <label>, or ours): 1-255 characters of
 * [A-Za-z0-9_.+-], not starting with '-' or '.'. 0 or -EINVAL.
 */
int vk_apparmor_profile_name_check(const char *name) {
        size_t n;

        if (vk_isempty(name) || name[0] == '-' || name[0] == '.')
                return -EINVAL;
        n = strlen(name);
        if (n > 255)
                return -EINVAL;
        for (size_t i = 0; i < n; i++)
                if (!g_ascii_isalnum(name[i]) && !strchr("_.+-", name[i]))
                        return -EINVAL;
        return 0;
}

/*
 * Whether @path may appear in a profile: absolute, canonical (no "//", "/./", "/../", no
 * trailing '/'), no control characters, no '"' or '\\', no "@{" (a profile variable), not
 * under a forbidden prefix, at most VK_APPARMOR_PATH_MAX bytes. 0 or -EINVAL with @reterr.
 */
int vk_apparmor_path_check(const char *path, VkError *reterr) {
        size_t n;

        if (!path || path[0] != '/')
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "AppArmor rule path '%s' is not absolute", vk_strempty(path));
        n = strlen(path);
        if (n > VK_APPARMOR_PATH_MAX || n < 2 || path[n - 1] == '/')
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "AppArmor rule path '%s' is not a file path", path);
        for (size_t i = 0; i < n; i++) {
                unsigned char c = path[i];
                if (c < 0x20 || c == 0x7f || c == '"' || c == '\\')
                        return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                            "AppArmor rule path '%s' holds a character a "
                                            "profile cannot carry",
                                            path);
        }
        if (strstr(path, "//") || strstr(path, "/./") || strstr(path, "/../") ||
            g_str_has_suffix(path, "/.") || g_str_has_suffix(path, "/..") || strstr(path, "@{"))
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "AppArmor rule path '%s' is not canonical", path);
        for (size_t i = 0; i < VK_ELEMENTSOF(forbidden_prefixes); i++) {
                const char *p = forbidden_prefixes[i];
                size_t l = strlen(p);
                if (strncmp(path, p, l) == 0 && (path[l] == 0 || path[l] == '/'))
                        return vk_error_set(reterr, VK_ERROR_PERMISSION_DENIED, -EPERM,
                                            "AppArmor rule path '%s' is under '%s', which a "
                                            "domain may not use",
                                            path, p);
        }
        return 0;
}

/* Whether @perms is one of the permission words of a rule line. 0 or -EINVAL. */
int vk_apparmor_perms_check(const char *perms) {
        return perms && g_strv_contains(allowed_perms, perms) ? 0 : -EINVAL;
}

/* One rule line "PERMS PATH" (no newline). Caller frees. */
char *vk_apparmor_rule_line(const char *perms, const char *path) {
        return g_strconcat(perms, " ", path, NULL);
}

/* @path quoted for a profile, with AppArmor's pattern characters escaped. */
static void append_quoted(GString *out, const char *path, const char *suffix) {
        g_string_append_c(out, '"');
        for (const char *p = path; *p; p++) {
                if (strchr("*?[]{}^", *p))
                        g_string_append_c(out, '\\');
                g_string_append_c(out, *p);
        }
        g_string_append(out, suffix);
        g_string_append_c(out, '"');
}

/*
 * Render the .files include of @profile_name from @rules (the line format above). Every line
 * is validated; duplicates are kept once. The output is sorted by nothing: rules keep their
 * order, so the daemon's resource order (disks first) shows in the file. Caller frees.
 */
int vk_apparmor_render_files(const char *rules, const char *profile_name, char **ret_files,
                             VkError *reterr) {
        g_autoptr(GString) out = g_string_new(NULL);
        g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
        g_auto(GStrv) lines = NULL;
        size_t n_rules = 0;
        int r;

        assert(rules);
        assert(ret_files);

        if (strlen(rules) > VK_APPARMOR_RULES_SIZE_MAX)
                return vk_error_set(reterr, VK_ERROR_LIMIT_EXCEEDED, -E2BIG,
                                    "AppArmor rules exceed %u bytes", VK_APPARMOR_RULES_SIZE_MAX);
        if (vk_apparmor_profile_name_check(profile_name) < 0)
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "invalid AppArmor profile name '%s'",
                                    vk_strempty(profile_name));

        g_string_append_printf(out,
                               "# Files of the domain of profile %s: written by virtkit, "
                               "rewritten when its devices change.\n",
                               profile_name);
        lines = g_strsplit(rules, "\n", -1);
        for (size_t i = 0; lines[i]; i++) {
                g_autofree char *perms = NULL;
                const char *line = lines[i], *space, *path;

                if (!*line)
                        continue;
                space = strchr(line, ' ');
                if (!space)
                        return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                            "AppArmor rule %zu is not 'PERMS PATH'", i + 1);
                perms = g_strndup(line, space - line);
                path = space + 1;
                if (vk_apparmor_perms_check(perms) < 0)
                        return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                            "AppArmor rule %zu: unknown permissions '%s'", i + 1,
                                            perms);
                r = vk_apparmor_path_check(path, reterr);
                if (r < 0)
                        return r;
                if (++n_rules > VK_APPARMOR_RULES_MAX)
                        return vk_error_set(reterr, VK_ERROR_LIMIT_EXCEEDED, -E2BIG,
                                            "more than %u AppArmor rules", VK_APPARMOR_RULES_MAX);
                if (!g_hash_table_add(seen, (gpointer) line))
                        continue;

                g_string_append(out, "  ");
                if (g_str_equal(perms, "tree")) {
                        append_quoted(out, path, "/");
                        g_string_append(out, " r,\n  ");
                        append_quoted(out, path, "/**");
                        g_string_append(out, " rwk,\n");
                } else {
                        append_quoted(out, path, "");
                        g_string_append_printf(out, " %s,\n", perms);
                }
        }
        *ret_files = g_string_free(g_steal_pointer(&out), false);
        return 0;
}

/*
 * Render a VM's profile from @template_text: each of VK_APPARMOR_TEMPLATE_NAME and
 * VK_APPARMOR_TEMPLATE_FILES must appear exactly once; the first becomes @profile_name, the
 * second the include path of its .files ("virtkit/<name>.files", relative to the parser's
 * base directory). Caller frees.
 */
int vk_apparmor_render_profile(const char *template_text, const char *profile_name,
                               char **ret_profile, VkError *reterr) {
        g_autofree char *files = NULL, *step = NULL;
        g_auto(GStrv) a = NULL, b = NULL;

        assert(template_text);
        assert(ret_profile);

        if (vk_apparmor_profile_name_check(profile_name) < 0)
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "invalid AppArmor profile name '%s'",
                                    vk_strempty(profile_name));
        a = g_strsplit(template_text, VK_APPARMOR_TEMPLATE_NAME, -1);
        if (g_strv_length(a) != 2)
                return vk_error_set(reterr, VK_ERROR_INVALID_CONFIG, -EINVAL,
                                    "the AppArmor template must hold " VK_APPARMOR_TEMPLATE_NAME
                                    " exactly once");
        step = g_strjoinv(profile_name, a);
        b = g_strsplit(step, VK_APPARMOR_TEMPLATE_FILES, -1);
        if (g_strv_length(b) != 2)
                return vk_error_set(reterr, VK_ERROR_INVALID_CONFIG, -EINVAL,
                                    "the AppArmor template must hold " VK_APPARMOR_TEMPLATE_FILES
                                    " exactly once");
        files = g_strconcat("virtkit/", profile_name, ".files", NULL);
        *ret_profile = g_strjoinv(files, b);
        return 0;
}

/* ---- loading and unloading through virtkit-aa-helper ----------------------------------- */

struct VkSecurityOp {
        VkSecurityState *state; /* borrowed: the caller keeps it alive while the op runs */
        bool load;
        sd_event_source *defer;
        VkChild *child;
        VkSecurityOpFunc callback;
        void *userdata;
};

/* Cancel @op (its callback is not called) and free it. Takes NULL. Returns NULL. */
VkSecurityOp *vk_security_op_free(VkSecurityOp *op) {
        if (!op)
                return NULL;
        sd_event_source_disable_unref(op->defer);
        vk_child_free(op->child);
        g_free(op);
        return NULL;
}

/* The rules of @state's generated profile, one "PERMS PATH" a line. Caller frees. */
int vk_security_manager_apparmor_rules(const VkSecurityState *state, char **ret_rules) {
        g_autoptr(GString) out = g_string_new(NULL);

        assert(state);
        assert(ret_rules);
        for (size_t i = 0; i < state->aa_rules->len; i++)
                g_string_append_printf(out, "%s\n", (const char *) state->aa_rules->pdata[i]);
        *ret_rules = g_string_free(g_steal_pointer(&out), false);
        return 0;
}

/* The AppArmor profile QEMU runs in, or NULL (unconfined or no AppArmor). Owned by @state. */
const char *vk_security_state_apparmor_profile(const VkSecurityState *state) {
        assert(state);
        return state->aa_type == VK_SECURITY_LABEL_NONE ? NULL : state->aa_profile;
}

static int op_defer_done(sd_event_source *s, void *userdata) {
        VkSecurityOp *op = userdata;

        op->defer = sd_event_source_disable_unref(op->defer);
        op->callback(op, 0, NULL, op->userdata);
        return 0;
}

static void op_child_done(VkChild *child, const VkChildExit *exit, void *userdata) {
        VkSecurityOp *op = userdata;
        g_auto(VkError) error = VK_ERROR_INIT;
        int r = 0;

        if (exit->code != CLD_EXITED || exit->status != 0) {
                size_t n = 0;
                const char *err = vk_child_get_output(child, VK_CHILD_STDERR, &n);
                g_autofree char *text = g_strstrip(g_strndup(err ? err : "", n));

                r = vk_error_set(&error, VK_ERROR_OPERATION_FAILED, -EIO,
                                 "virtkit-aa-helper failed to %s profile '%s'%s%s",
                                 op->load ? "load" : "remove", op->state->aa_profile,
                                 *text ? ": " : "", text);
        } else
                op->state->aa_loaded = op->load;
        op->callback(op, r, r < 0 ? &error : NULL, op->userdata);
}

static int profile_op(VkSecurityManager *m, VkSecurityState *s, bool load, sd_event *e,
                      VkSecurityOpFunc callback, void *userdata, VkSecurityOp **ret_op,
                      VkError *reterr) {
        g_autoptr(VkSecurityOp) op = NULL;
        g_autoptr(GPtrArray) argv = g_ptr_array_new();
        g_autofree char *rules = NULL;
        char uuid[VK_UUID_STRING_MAX];
        vk_autofd memfd = -1;
        VkChildOptions opts = { .flags = VK_CHILD_CAPTURE_STDERR,
                                .timeout_usec = 60ULL * 1000 * 1000 };
        VkChildFd fd3;
        int r;

        assert(m && s && e && callback && ret_op);

        op = g_new0(VkSecurityOp, 1);
        op->state = s;
        op->load = load;
        op->callback = callback;
        op->userdata = userdata;

        if (!s->aa_generate || (!load && !s->aa_loaded)) {
                /* nothing to run: complete from the loop, never from inside this call */
                r = sd_event_add_defer(e, &op->defer, op_defer_done, op);
                if (r < 0)
                        return vk_error_set(reterr, VK_ERROR_SYSTEM, r, "cannot queue: %s",
                                            g_strerror(-r));
                *ret_op = g_steal_pointer(&op);
                return 0;
        }

        g_ptr_array_add(argv, m->aa_helper);
        g_ptr_array_add(argv, load ? "load" : "remove");
        g_ptr_array_add(argv, "--uuid");
        g_ptr_array_add(argv, (char *) vk_uuid_format(&s->uuid, uuid));
        if (load) {
                (void) vk_security_manager_apparmor_rules(s, &rules);
                memfd = memfd_create("virtkit-aa-rules", MFD_CLOEXEC);
                if (memfd < 0 || write(memfd, rules, strlen(rules)) != (ssize_t) strlen(rules) ||
                    lseek(memfd, 0, SEEK_SET) < 0)
                        return vk_error_set(reterr, VK_ERROR_SYSTEM, -errno,
                                            "cannot pass the AppArmor rules: %s",
                                            g_strerror(errno));
                g_ptr_array_add(argv, "--rules-fd");
                g_ptr_array_add(argv, "3");
                fd3 = (VkChildFd){ .fd = memfd, .target = 3 };
                opts.fds = &fd3;
                opts.n_fds = 1;
        }
        for (size_t i = 0; m->aa_helper_args[i]; i++)
                g_ptr_array_add(argv, m->aa_helper_args[i]);
        g_ptr_array_add(argv, NULL);

        r = vk_child_spawn(e, (const char *const *) argv->pdata, &opts, op_child_done, op,
                           &op->child, reterr);
        if (r < 0)
                return r;
        *ret_op = g_steal_pointer(&op);
        return 0;
}

/*
 * Write and load (or reload, after a disk change) the domain's generated AppArmor profile
 * through virtkit-aa-helper, a child on loop @e. @callback runs once, from the loop, with
 * r = 0 or a negative errno and an error; freeing *ret_op first cancels it. Without a
 * generated profile (no AppArmor, static or none label) it completes at once with 0.
 */
int vk_security_manager_load_profile(VkSecurityManager *mgr, VkSecurityState *state, sd_event *e,
                                     VkSecurityOpFunc callback, void *userdata,
                                     VkSecurityOp **ret_op, VkError *reterr) {
        return profile_op(mgr, state, true, e, callback, userdata, ret_op, reterr);
}

/*
 * Unload and delete the domain's generated profile (virtkit-aa-helper remove), like
 * vk_security_manager_load_profile(). Completes at once with 0 when none was loaded.
 */
int vk_security_manager_unload_profile(VkSecurityManager *mgr, VkSecurityState *state, sd_event *e,
                                       VkSecurityOpFunc callback, void *userdata,
                                       VkSecurityOp **ret_op, VkError *reterr) {
        return profile_op(mgr, state, false, e, callback, userdata, ret_op, reterr);
}
