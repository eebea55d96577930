/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-virtiofsd.c: virtiofsd for a virtio-fs share: the binary, its command line, its socket */
#include <assert.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "atomic-file.h"
#include "json.h"
#include "macro.h"
#include "qemu-firmware.h"
#include "qemu-virtiofsd.h"

/*
 * A <filesystem> with <driver type='virtiofs'> is served by a virtiofsd of its own, as libvirt
 * 9.0 runs it: the binary is <binary path=>, else the first vhost-user descriptor of type "fs"
 * (QEMU's docs/interop/vhost-user.json: *.json in /usr/share/qemu/vhost-user, /etc/qemu/...,
 * same precedence rules as the firmware descriptors); it gets a listening socket of ours
 * (--fd=N) at <private dir>/<alias>-fs.sock, where QEMU's chardev connects, and the share's
 * settings as -o options. qemu-process-virtiofsd.c runs it.
 */

/*
 * The virtiofsd named by the first descriptor of type "fs" in @dirs (lowest precedence first;
 * vk_qemu_descriptor_dirs("vhost-user", ...)). *@ret_binary is an absolute path. -ENOENT
 * when no descriptor names one.
 */
int vk_qemu_virtiofsd_find_binary(const char *const *dirs, char **ret_binary, VkError *reterr) {
        g_auto(GStrv) paths = NULL;
        int r;

        assert(ret_binary);
        r = vk_qemu_firmware_list(dirs, &paths, reterr);
        if (r < 0)
                return r;
        for (size_t i = 0; paths[i]; i++) {
                g_autofree char *text = NULL;
                g_autoptr(JsonNode) root = NULL;
                JsonObject *o;
                const char *type, *binary;

                /* a descriptor we cannot read is skipped, as libvirt does */
                if (vk_file_read_all(paths[i], VK_QEMU_VHOST_USER_FILE_MAX, &text, NULL, NULL) <
                            0 ||
                    vk_json_parse(text, -1, &root, NULL) < 0 || !JSON_NODE_HOLDS_OBJECT(root))
                        continue;
                o = json_node_get_object(root);
                type = vk_json_object_get_string_member_or_null(o, "type");
                binary = vk_json_object_get_string_member_or_null(o, "binary");
                if (g_strcmp0(type, "fs") != 0 || !binary || !g_path_is_absolute(binary))
                        continue;
                *ret_binary = g_strdup(binary);
                return 0;
        }
        return vk_error_set(reterr, VK_ERROR_NOT_SUPPORTED, -ENOENT,
                            "no virtiofsd found: no vhost-user descriptor of type 'fs' in "
                            "/usr/share/qemu/vhost-user or /etc/qemu/vhost-user (install "
                            "virtiofsd, or name it with <binary path=>)");
}

/* The alias of filesystem number @index of a domain: its own, else "fs<index>" (as argv/). */
char *vk_qemu_virtiofsd_alias(const VkDomainFs *fs, size_t index) {
        return fs->info.alias ? g_strdup(fs->info.alias) : g_strdup_printf("fs%zu", index);
}

/* <private dir>/<alias>-fs.sock, where QEMU's vhost-user chardev connects (argv/). */
char *vk_qemu_virtiofsd_socket_path(const char *private_dir, const char *alias) {
        g_autofree char *name = g_strconcat(alias, "-fs.sock", NULL);

        return g_build_filename(private_dir, name, NULL);
}

static void virtiofsd_append_switch(GString *s, VkTristate v, const char *on, const char *off) {
        if (v == VK_TRISTATE_YES)
                g_string_append_printf(s, ",%s", on);
        else if (v == VK_TRISTATE_NO)
                g_string_append_printf(s, ",%s", off);
}

/*
 * The command line of the virtiofsd of @fs, libvirt 9.0's: @binary --fd=@fd -o source=DIR
 * (commas doubled), then cache, sandbox, xattr, flock, posix_lock as <binary> says, and
 * --thread-pool-size. NULL-terminated, g_strfreev().
 */
char **vk_qemu_virtiofsd_argv(const VkDomainFs *fs, const char *binary, int fd) {
        GPtrArray *argv = g_ptr_array_new();
        g_autoptr(GString) o = g_string_new("source=");

        g_ptr_array_add(argv, g_strdup(binary));
        g_ptr_array_add(argv, g_strdup_printf("--fd=%d", fd));
        for (const char *c = fs->source_dir; *c; c++) {
                g_string_append_c(o, *c);
                if (*c == ',')
                        g_string_append_c(o, ',');
        }
        if (fs->binary_cache)
                g_string_append_printf(o, ",cache=%s", vk_fs_cache_to_string(fs->binary_cache));
        if (fs->binary_sandbox)
                g_string_append_printf(o, ",sandbox=%s",
                                       vk_fs_sandbox_to_string(fs->binary_sandbox));
        virtiofsd_append_switch(o, fs->binary_xattr, "xattr", "no_xattr");
        virtiofsd_append_switch(o, fs->lock_flock, "flock", "no_flock");
        virtiofsd_append_switch(o, fs->lock_posix, "posix_lock", "no_posix_lock");
        g_ptr_array_add(argv, g_strdup("-o"));
        g_ptr_array_add(argv, g_string_free(g_steal_pointer(&o), false));
        if (fs->has_thread_pool)
                g_ptr_array_add(argv,
                                g_strdup_printf("--thread-pool-size=%u", fs->thread_pool_size));
        g_ptr_array_add(argv, NULL);
        return (char **) g_ptr_array_free(argv, false);
}

/*
 * Whether this instance can run virtiofsd: Debian 12's (QEMU's C virtiofsd) must run as root
 * (its sandbox unshares namespaces and pivots into the share; it drops to the capabilities
 * it needs itself), as libvirt 9.0 runs it, which refuses virtio-fs in session mode. @what
 * names the share in the error.
 */
int vk_qemu_virtiofsd_usable(const char *what, VkError *reterr) {
        if (geteuid() == 0)
                return 0;
        return vk_error_set(reterr, VK_ERROR_NOT_SUPPORTED, -EPERM,
                            "%s: virtiofsd must run as root (its sandbox needs CAP_SYS_ADMIN "
                            "and the share's ownership), and this instance runs as uid %u: "
                            "use the system instance, or a 9p share (<driver type='path'/>)",
                            what, (unsigned) geteuid());
}
