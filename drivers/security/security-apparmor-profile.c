/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* security-apparmor-profile.c: per-VM AppArmor profiles: rules, validation, rendering */
#include <assert.h>
#include <errno.h>
#include <string.h>

#include "macro.h"
#include "security-apparmor-profile.h"

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
