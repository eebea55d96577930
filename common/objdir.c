/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* objdir.c: a driver's definitions directory: NAME.xml files, autostart links, list filters */
#include <assert.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "atomic-file.h"
#include "macro.h"
#include "objdir.h"

/* @dir/@name@suffix (g_free). */
char *vk_objdir_path(const char *dir, const char *name, const char *suffix) {
        g_autofree char *base = g_strconcat(name, suffix, NULL);

        return g_build_filename(dir, base, NULL);
}

static gint objdir_name_cmp(gconstpointer a, gconstpointer b) {
        return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/*
 * Call @fn for each file NAME@suffix of @dir (NAME not empty), sorted by file name, so that
 * what is loaded first (and wins a conflict) does not depend on the directory's order. A
 * directory that cannot be read has no files.
 */
void vk_objdir_scan(const char *dir, const char *suffix, VkObjdirScanFunc fn, void *userdata) {
        g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
        g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func(g_free);
        const char *f;

        assert(dir && suffix && fn);
        while (d && (f = g_dir_read_name(d)))
                if (g_str_has_suffix(f, suffix) && strlen(f) > strlen(suffix))
                        g_ptr_array_add(files, g_strdup(f));
        g_ptr_array_sort(files, objdir_name_cmp);
        for (guint i = 0; i < files->len; i++) {
                const char *file = files->pdata[i];
                g_autofree char *path = g_build_filename(dir, file, NULL);
                g_autofree char *name = g_strndup(file, strlen(file) - strlen(suffix));

                fn(name, path, userdata);
        }
}

/*
 * Mark @name to start with its daemon: the link @autostart_dir/NAME.xml → ../NAME.xml (what
 * libvirt makes), or remove it. Both are idempotent. Returns 0 or -errno with @reterr.
 */
int vk_objdir_set_autostart(const char *autostart_dir, const char *name, bool autostart,
                            VkError *reterr) {
        g_autofree char *link = vk_objdir_path(autostart_dir, name, ".xml");
        g_autofree char *target = NULL;
        int r;

        if (autostart) {
                target = g_strconcat("../", name, ".xml", NULL);
                if (symlink(target, link) < 0 && errno != EEXIST)
                        return vk_error_set_errno(reterr, errno, "Failed to create '%s'", link);
                return 0;
        }
        r = vk_file_remove(link);
        if (r < 0 && r != -ENOENT)
                return vk_error_set_errno(reterr, r, "Failed to remove '%s'", link);
        return 0;
}

/*
 * Whether autostart is due: once per boot, marked by @run_dir/autostarted (the run dir is a
 * tmpfs), so a daemon started again on demand (socket activation, idle exit) does not start
 * what was stopped since. A marker that cannot be written is added to @warnings (and
 * autostart runs anyway).
 */
bool vk_objdir_autostart_once(const char *run_dir, GPtrArray *warnings) {
        g_autofree char *marker = g_build_filename(run_dir, "autostarted", NULL);
        g_auto(VkError) e = VK_ERROR_INIT;

        if (g_file_test(marker, G_FILE_TEST_EXISTS))
                return false;
        if (vk_atomic_file_write(marker, "", 0, 0644, &e) < 0)
                g_ptr_array_add(warnings, g_strdup(e.message));
        return true;
}

/*
 * A list filter given as a method parameter @param: absent (NULL) is VK_TRISTATE_ABSENT,
 * "yes" and "no" filter; anything else is InvalidArgument naming @param.
 */
int vk_tristate_filter_parse(const char *param, const char *s, VkTristate *ret, VkError *reterr) {
        VkTristate t;

        if (!s) {
                *ret = VK_TRISTATE_ABSENT;
                return 0;
        }
        t = vk_tristate_bool_from_string(s);
        if (t < 0)
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "%s: unsupported value '%s' (expected yes or no)", param, s);
        *ret = t;
        return 0;
}
