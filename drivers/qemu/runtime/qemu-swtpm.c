/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-swtpm.c: swtpm for a <tpm><backend type='emulator'>: paths, users, command lines, state */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic-file.h"
#include "macro.h"
#include "qemu-swtpm.h"
#include "security-dac.h"
#include "user.h"

/*
 * A TPM 2.0 emulated for the guest, as libvirt 9.0 runs it: swtpm keeps the TPM's persistent
 * state in <lib>/swtpm/<uuid>/tpm2/ (the "swtpm" trees beside the driver's own lib, log and
 * run dirs; drvqemu.rst's directory tree), made on the first start and manufactured there by
 * swtpm_setup (an endorsement key with its certificate, a platform certificate, NVRAM locked);
 * it logs to <log>/swtpm/<name>-swtpm.log and runs as qemu.conf's swtpm_user/swtpm_group.
 * QEMU reaches it through a unix socket in the domain's private dir that we bind and hand to
 * swtpm (--ctrl fd=): no wait for a socket to appear, and the socket is labelled for QEMU with
 * the rest. qemu-process-swtpm.c runs it; the state goes at undefine (qemu-driver-domains.c).
 */

#define SWTPM_TREE_DEPTH_MAX 4

/* The "swtpm" directory beside a driver directory (<x>/qemu → <x>/swtpm). */
char *vk_qemu_swtpm_sibling_dir(const char *driver_dir) {
        g_autofree char *parent = g_path_get_dirname(driver_dir);

        return g_build_filename(parent, "swtpm", NULL);
}

/* <swtpm lib dir>/<uuid>: everything a domain's TPM keeps (what undefine removes). */
char *vk_qemu_swtpm_storage_dir(const char *swtpm_lib_dir, const VkUuid *uuid) {
        char buf[VK_UUID_STRING_MAX];

        return g_build_filename(swtpm_lib_dir, vk_uuid_format(uuid, buf), NULL);
}

/* <swtpm lib dir>/<uuid>/tpm2: the state of its TPM 2.0. */
char *vk_qemu_swtpm_state_dir(const char *swtpm_lib_dir, const VkUuid *uuid) {
        g_autofree char *dir = vk_qemu_swtpm_storage_dir(swtpm_lib_dir, uuid);

        return g_build_filename(dir, "tpm2", NULL);
}

/* <private dir>/swtpm.sock, where QEMU's "chrtpm" chardev connects (argv/). */
char *vk_qemu_swtpm_socket_path(const char *private_dir) {
        return g_build_filename(private_dir, "swtpm.sock", NULL);
}

/* <swtpm log dir>/<name>-swtpm.log, libvirt's name. */
char *vk_qemu_swtpm_log_path(const char *swtpm_log_dir, const char *name) {
        g_autofree char *file = g_strconcat(name, "-swtpm.log", NULL);

        return g_build_filename(swtpm_log_dir, file, NULL);
}

/* @name (swtpm, swtpm_setup) in PATH, else an error naming the Debian @package. */
int vk_qemu_swtpm_find_binary(const char *name, const char *package, char **ret_path,
                              VkError *reterr) {
        g_autofree char *path = g_find_program_in_path(name);

        if (!path || !g_path_is_absolute(path))
                return vk_error_set(reterr, VK_ERROR_NOT_SUPPORTED, -ENOENT,
                                    "<tpm><backend type='emulator'> needs '%s', which is not "
                                    "installed (package %s)",
                                    name, package);
        *ret_path = g_steal_pointer(&path);
        return 0;
}

/*
 * Who swtpm runs as, as libvirt 9.0 decides: qemu.conf's swtpm_user/swtpm_group; unset, "tss"
 * when that user (group) exists, else root. Only a root daemon switches: one that is not root
 * runs swtpm as itself (libvirt's session ignores the settings too).
 */
int vk_qemu_swtpm_user(const VkQemuConfig *cfg, VkQemuSwtpmUser *ret, VkError *reterr) {
        g_auto(VkError) err = VK_ERROR_INIT;
        uid_t uid = 0;
        gid_t gid = 0;
        int r;

        assert(cfg && ret);
        *ret = (VkQemuSwtpmUser){ .set_credentials = false, .uid = geteuid(), .gid = getegid() };
        if (geteuid() != 0)
                return 0;
        if (cfg->swtpm_user) {
                r = vk_security_dac_parse_user(cfg->swtpm_user, &uid, &err);
                if (r < 0)
                        return vk_error_set(reterr, VK_ERROR_INVALID_CONFIG, r,
                                            "qemu.conf swtpm_user: %s", err.message);
        } else if (vk_user_lookup_name("tss", &uid) < 0)
                uid = 0;
        if (cfg->swtpm_group) {
                r = vk_security_dac_parse_group(cfg->swtpm_group, &gid, &err);
                if (r < 0)
                        return vk_error_set(reterr, VK_ERROR_INVALID_CONFIG, r,
                                            "qemu.conf swtpm_group: %s", err.message);
        } else if (vk_group_lookup_name("tss", &gid) < 0)
                gid = 0;
        ret->uid = uid;
        ret->gid = gid;
        ret->set_credentials = uid != 0 || gid != 0;
        return 0;
}

static char **strv_from_array(GPtrArray *a) {
        g_ptr_array_add(a, NULL);
        return (char **) g_ptr_array_free(a, false);
}

/*
 * swtpm's command line, libvirt 9.0's but for the control socket, which is ours (@fd, bound
 * and listening): socket --ctrl type=unixio,fd=N --tpmstate dir=DIR,mode=0600 --log file=LOG
 * --terminate --tpm2. Not daemonised: we watch it like QEMU. NULL-terminated, g_strfreev().
 */
char **vk_qemu_swtpm_argv(const char *binary, const char *state_dir, const char *log_path, int fd) {
        GPtrArray *a = g_ptr_array_new();

        g_ptr_array_add(a, g_strdup(binary));
        g_ptr_array_add(a, g_strdup("socket"));
        g_ptr_array_add(a, g_strdup("--ctrl"));
        g_ptr_array_add(a, g_strdup_printf("type=unixio,fd=%d", fd));
        g_ptr_array_add(a, g_strdup("--tpmstate"));
        g_ptr_array_add(a, g_strdup_printf("dir=%s,mode=0600", state_dir));
        g_ptr_array_add(a, g_strdup("--log"));
        g_ptr_array_add(a, g_strdup_printf("file=%s", log_path));
        g_ptr_array_add(a, g_strdup("--terminate"));
        g_ptr_array_add(a, g_strdup("--tpm2"));
        return strv_from_array(a);
}

/*
 * The manufacture of a new TPM 2.0 by swtpm_setup, libvirt 9.0's: an EK and its certificate,
 * a platform certificate, the NVRAM locked, never over an existing state.
 */
char **vk_qemu_swtpm_setup_argv(const char *binary, const char *state_dir, const char *log_path,
                                const char *name, const VkUuid *uuid) {
        GPtrArray *a = g_ptr_array_new();
        char buf[VK_UUID_STRING_MAX];

        g_ptr_array_add(a, g_strdup(binary));
        g_ptr_array_add(a, g_strdup("--tpm2"));
        g_ptr_array_add(a, g_strdup("--tpm-state"));
        g_ptr_array_add(a, g_strdup(state_dir));
        g_ptr_array_add(a, g_strdup("--vmid"));
        g_ptr_array_add(a, g_strdup_printf("%s:%s", name, vk_uuid_format(uuid, buf)));
        g_ptr_array_add(a, g_strdup("--logfile"));
        g_ptr_array_add(a, g_strdup(log_path));
        g_ptr_array_add(a, g_strdup("--createek"));
        g_ptr_array_add(a, g_strdup("--create-ek-cert"));
        g_ptr_array_add(a, g_strdup("--create-platform-cert"));
        g_ptr_array_add(a, g_strdup("--lock-nvram"));
        g_ptr_array_add(a, g_strdup("--not-overwrite"));
        return strv_from_array(a);
}

/* Give @path (no symlink followed) to @user when we switch to it. */
static int swtpm_chown(const char *path, const VkQemuSwtpmUser *user) {
        if (!user->set_credentials)
                return 0;
        if (lchown(path, user->uid, user->gid) < 0)
                return -errno;
        return 0;
}

/*
 * Make the state dir @state_dir (<lib>/swtpm/<uuid>/tpm2) for swtpm, as libvirt does: the
 * parents 0711 (swtpm's user may pass), the dir 0700, it and the files in it owned by @user.
 * *@ret_created: it did not exist or was empty, so swtpm_setup must manufacture the TPM.
 */
int vk_qemu_swtpm_state_prepare(const char *state_dir, const VkQemuSwtpmUser *user,
                                bool *ret_created, VkError *reterr) {
        g_autofree char *parent = g_path_get_dirname(state_dir);
        g_autoptr(GDir) d = NULL;
        bool empty = true;
        const char *entry;
        int r;

        r = vk_mkdir_p(parent, 0711);
        if (r < 0)
                return vk_error_set_errno(reterr, r, "Failed to create the TPM directory '%s'",
                                          parent);
        if (mkdir(state_dir, 0700) < 0 && errno != EEXIST)
                return vk_error_set_errno(reterr, errno, "Failed to create the TPM state '%s'",
                                          state_dir);
        r = swtpm_chown(state_dir, user);
        if (r < 0)
                return vk_error_set_errno(reterr, r, "Failed to give the TPM state '%s' to %u:%u",
                                          state_dir, (unsigned) user->uid, (unsigned) user->gid);
        d = g_dir_open(state_dir, 0, NULL);
        while (d && (entry = g_dir_read_name(d))) {
                g_autofree char *path = g_build_filename(state_dir, entry, NULL);

                empty = false;
                r = swtpm_chown(path, user);
                if (r < 0)
                        return vk_error_set_errno(reterr, r, "Failed to give '%s' to %u:%u", path,
                                                  (unsigned) user->uid, (unsigned) user->gid);
        }
        *ret_created = empty;
        return 0;
}

/* Remove @path and what is under it, never following a symlink, @depth levels at most. */
static int swtpm_remove_tree(const char *path, unsigned depth) {
        g_autoptr(GDir) d = NULL;
        const char *entry;
        struct stat st;
        int r = 0;

        if (lstat(path, &st) < 0)
                return errno == ENOENT ? 0 : -errno;
        if (!S_ISDIR(st.st_mode))
                return unlink(path) < 0 && errno != ENOENT ? -errno : 0;
        if (depth == 0)
                return -ELOOP;
        d = g_dir_open(path, 0, NULL);
        while (d && (entry = g_dir_read_name(d))) {
                g_autofree char *child = g_build_filename(path, entry, NULL);
                int k = swtpm_remove_tree(child, depth - 1);

                if (k < 0 && r == 0)
                        r = k;
        }
        if (rmdir(path) < 0 && errno != ENOENT && r == 0)
                r = -errno;
        return r;
}

/*
 * Remove the TPM state of the domain @uuid (<swtpm lib dir>/<uuid> and all in it), as
 * libvirt does at undefine. 0 when it is gone (or never was), else -errno.
 */
int vk_qemu_swtpm_state_remove(const char *swtpm_lib_dir, const VkUuid *uuid) {
        g_autofree char *dir = vk_qemu_swtpm_storage_dir(swtpm_lib_dir, uuid);

        return swtpm_remove_tree(dir, SWTPM_TREE_DEPTH_MAX);
}
