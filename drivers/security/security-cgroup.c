/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* security-cgroup.c: a VM's device ACL: its rules, and on a cgroup (BPF program or v1 "devices") */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "atomic-file.h"
#include "log.h"
#include "macro.h"
#include "security-cgroup.h"

#define CGROUP_ROOT           "/sys/fs/cgroup"
#define CGROUP_UNIFIED_HYBRID CGROUP_ROOT "/unified"
#define CGROUP_V1_DEVICES     CGROUP_ROOT "/devices"

/* the pts, always allowed (libvirt does the same: consoles of type pty) */
#define PTS_MAJOR 136

/* a bound on the rules one ACL may have: a BPF program of at most ~8 instructions per rule */
#define CGROUP_DEVICES_MAX 1024

#define CGROUP_ACCESS_ALL                                                                          \
        (VK_SECURITY_CGROUP_MKNOD | VK_SECURITY_CGROUP_READ | VK_SECURITY_CGROUP_WRITE)

struct VkSecurityCgroup {
        char *name;
        char *v2_path; /* NULL: no BPF device program (no cgroup2, or BPF refused) */
        char *v1_path; /* NULL: no v1 devices controller */
        int prog_fd;   /* the attached program; -1 after remove */
};

/* ---- pure parts ------------------------------------------------------------------------- */

/* Parse "rw", "r", "rwm", ... into VkSecurityCgroupAccess bits. Returns 0 or -EINVAL. */
int vk_security_cgroup_access_from_string(const char *perms, unsigned *ret_access) {
        unsigned access = 0;

        assert(ret_access);

        if (vk_isempty(perms))
                return -EINVAL;
        for (const char *p = perms; *p; p++)
                switch (*p) {
                case 'r':
                        access |= VK_SECURITY_CGROUP_READ;
                        break;
                case 'w':
                        access |= VK_SECURITY_CGROUP_WRITE;
                        break;
                case 'm':
                        access |= VK_SECURITY_CGROUP_MKNOD;
                        break;
                default:
                        return -EINVAL;
                }
        *ret_access = access;
        return 0;
}

static void devices_add(GArray *devices, char type, uint32_t major, uint32_t minor,
                        unsigned access) {
        /* one entry per node: a second rule for the same node widens the first */
        for (size_t i = 0; i < devices->len; i++) {
                VkSecurityCgroupDevice *d = &g_array_index(devices, VkSecurityCgroupDevice, i);
                if (d->type == type && d->major == major && d->minor == minor) {
                        d->access |= access;
                        return;
                }
        }
        g_array_append_val(devices, ((VkSecurityCgroupDevice){ type, major, minor, access }));
}

/*
 * Resolve @rules to device numbers with stat() (symlinks followed), in order, merging
 * duplicates, then add "c 136:* rw" (the pts). A path that does not exist is skipped (like
 * systemd's DeviceAllow=: /dev/kvm on a host without KVM); a path that is not a character or
 * block device is an error naming it. Caller frees *ret_devices with g_free().
 */
int vk_security_cgroup_devices_resolve(const VkSecurityDeviceRule *rules, size_t n,
                                       VkSecurityCgroupDevice **ret_devices, size_t *ret_n,
                                       VkError *reterr) {
        g_autoptr(GArray) devices = g_array_new(false, true, sizeof(VkSecurityCgroupDevice));
        size_t len;

        assert(rules || n == 0);
        assert(ret_devices);
        assert(ret_n);

        if (n > CGROUP_DEVICES_MAX)
                return vk_error_set(reterr, VK_ERROR_LIMIT_EXCEEDED, -E2BIG,
                                    "device ACL has %zu entries, at most %d are supported", n,
                                    CGROUP_DEVICES_MAX);

        for (size_t i = 0; i < n; i++) {
                const char *path = rules[i].path;
                unsigned access;
                struct stat st;

                if (vk_security_cgroup_access_from_string(rules[i].perms, &access) < 0)
                        return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                            "device ACL entry '%s': invalid permissions '%s'",
                                            vk_strempty(path), vk_strempty(rules[i].perms));
                if (vk_isempty(path) || path[0] != '/')
                        return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                            "device ACL entry '%s' is not an absolute path",
                                            vk_strempty(path));
                if (stat(path, &st) < 0) {
                        int r = -errno;
                        if (r == -ENOENT) {
                                vk_log_debug("device ACL: '%s' does not exist, skipped", path);
                                continue;
                        }
                        return vk_error_set(reterr, VK_ERROR_SYSTEM, r,
                                            "device ACL entry '%s': cannot stat: %s", path,
                                            g_strerror(-r));
                }
                if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
                        return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -ENODEV,
                                            "device ACL entry '%s' is not a device node", path);
                devices_add(devices, S_ISCHR(st.st_mode) ? 'c' : 'b', major(st.st_rdev),
                            minor(st.st_rdev), access);
        }
        devices_add(devices, 'c', PTS_MAJOR, VK_SECURITY_CGROUP_ANY_MINOR,
                    VK_SECURITY_CGROUP_READ | VK_SECURITY_CGROUP_WRITE);

        len = devices->len;
        *ret_devices = (VkSecurityCgroupDevice *) g_array_free(g_steal_pointer(&devices), false);
        *ret_n = len;
        return 0;
}

/* @d as a line for v1 devices.allow: "c 1:3 rw", "c 136:* rw". Caller frees. */
char *vk_security_cgroup_device_to_v1(const VkSecurityCgroupDevice *d) {
        char access[4];
        size_t k = 0;

        assert(d);
        if (d->access & VK_SECURITY_CGROUP_READ)
                access[k++] = 'r';
        if (d->access & VK_SECURITY_CGROUP_WRITE)
                access[k++] = 'w';
        if (d->access & VK_SECURITY_CGROUP_MKNOD)
                access[k++] = 'm';
        access[k] = '\0';
        if (d->minor == VK_SECURITY_CGROUP_ANY_MINOR)
                return g_strdup_printf("%c %u:* %s", d->type, d->major, access);
        return g_strdup_printf("%c %u:%u %s", d->type, d->major, d->minor, access);
}

static void prog_emit(GArray *p, uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
        struct bpf_insn insn = {
                .code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm
        };

        g_array_append_val(p, insn);
}

/*
 * The BPF_PROG_TYPE_CGROUP_DEVICE program for @devices: allow (r0 = 1) an access that one
 * entry matches in type, major, minor (unless any) and whose requested bits
 * (ctx->access_type >> 16: mknod, read, write) the entry all grants; deny (r0 = 0) anything
 * else. Layout, one block per entry, each jumping to the next on a mismatch:
 *
 *   r2 = ctx->access_type & 0xffff   device type
 *   r3 = ctx->access_type >> 16      requested access
 *   r4 = ctx->major, r5 = ctx->minor
 *   [ if r2 != type goto next; if r4 != major goto next; if r5 != minor goto next;
 *     r1 = r3 & access; if r1 != r3 goto next; r0 = 1; exit ]...
 *   r0 = 0; exit
 *
 * Offsets go in .off (the verifier refuses them in .imm) and no instruction is unreachable.
 * Pure. Caller frees *ret_insns with g_free(). Returns 0, or -E2BIG past the limit.
 */
int vk_security_cgroup_bpf_program(const VkSecurityCgroupDevice *devices, size_t n,
                                   struct bpf_insn **ret_insns, size_t *ret_n) {
        g_autoptr(GArray) p = g_array_new(false, true, sizeof(struct bpf_insn));
        size_t len;

        assert(devices || n == 0);
        assert(ret_insns);
        assert(ret_n);

        if (n > CGROUP_DEVICES_MAX)
                return -E2BIG;

        prog_emit(p, BPF_LDX | BPF_W | BPF_MEM, BPF_REG_2, BPF_REG_1, 0, 0);
        prog_emit(p, BPF_ALU | BPF_AND | BPF_K, BPF_REG_2, 0, 0, 0xFFFF);
        prog_emit(p, BPF_LDX | BPF_W | BPF_MEM, BPF_REG_3, BPF_REG_1, 0, 0);
        prog_emit(p, BPF_ALU | BPF_RSH | BPF_K, BPF_REG_3, 0, 0, 16);
        prog_emit(p, BPF_LDX | BPF_W | BPF_MEM, BPF_REG_4, BPF_REG_1, 4, 0);
        prog_emit(p, BPF_LDX | BPF_W | BPF_MEM, BPF_REG_5, BPF_REG_1, 8, 0);

        for (size_t i = 0; i < n; i++) {
                const VkSecurityCgroupDevice *d = &devices[i];
                unsigned access = d->access & CGROUP_ACCESS_ALL;
                size_t jumps[4], n_jumps = 0;

                assert(d->type == 'c' || d->type == 'b');
                /* the jumps to the next block get their offsets once its length is known */
                jumps[n_jumps++] = p->len;
                prog_emit(p, BPF_JMP | BPF_JNE | BPF_K, BPF_REG_2, 0, 0,
                          d->type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK);
                jumps[n_jumps++] = p->len;
                prog_emit(p, BPF_JMP | BPF_JNE | BPF_K, BPF_REG_4, 0, 0, (int32_t) d->major);
                if (d->minor != VK_SECURITY_CGROUP_ANY_MINOR) {
                        jumps[n_jumps++] = p->len;
                        prog_emit(p, BPF_JMP | BPF_JNE | BPF_K, BPF_REG_5, 0, 0,
                                  (int32_t) d->minor);
                }
                if (access != CGROUP_ACCESS_ALL) {
                        prog_emit(p, BPF_ALU | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_3, 0, 0);
                        prog_emit(p, BPF_ALU | BPF_AND | BPF_K, BPF_REG_1, 0, 0, (int32_t) access);
                        jumps[n_jumps++] = p->len;
                        prog_emit(p, BPF_JMP | BPF_JNE | BPF_X, BPF_REG_1, BPF_REG_3, 0, 0);
                }
                prog_emit(p, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 1);
                prog_emit(p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
                for (size_t j = 0; j < n_jumps; j++)
                        g_array_index(p, struct bpf_insn, jumps[j]).off =
                                (int16_t) (p->len - jumps[j] - 1);
        }

        prog_emit(p, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0);
        prog_emit(p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);

        len = p->len;
        *ret_insns = (struct bpf_insn *) g_array_free(g_steal_pointer(&p), false);
        *ret_n = len;
        return 0;
}

/*
 * A cgroup name is relative to each hierarchy's root: one or more '/'-separated components,
 * none empty, "." or "..", no leading or trailing '/'. Returns 0 or -EINVAL with @reterr.
 */
int vk_security_cgroup_name_validate(const char *name, VkError *reterr) {
        g_auto(GStrv) parts = NULL;

        if (vk_isempty(name) || strlen(name) > 1024)
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "invalid cgroup name '%s'", vk_strempty(name));
        parts = g_strsplit(name, "/", -1);
        for (size_t i = 0; parts[i]; i++)
                if (!*parts[i] || g_str_equal(parts[i], ".") || g_str_equal(parts[i], "..") ||
                    strlen(parts[i]) > 255)
                        return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                            "invalid cgroup name '%s'", name);
        return 0;
}

/* ---- the host's hierarchies ------------------------------------------------------------- */

static bool fs_is(const char *path, unsigned long magic) {
        struct statfs fs;

        return statfs(path, &fs) == 0 && (unsigned long) fs.f_type == magic;
}

/*
 * Where the unified (cgroup2) hierarchy and the v1 devices controller are mounted, each NULL
 * when absent: pure cgroup2 (/sys/fs/cgroup), hybrid (v1 controllers plus
 * /sys/fs/cgroup/unified) or legacy (v1 only).
 */
static void cgroup_detect(const char **ret_v2, const char **ret_v1) {
        *ret_v2 = NULL;
        *ret_v1 = NULL;
        if (fs_is(CGROUP_ROOT, CGROUP2_SUPER_MAGIC)) {
                *ret_v2 = CGROUP_ROOT;
                return;
        }
        if (fs_is(CGROUP_UNIFIED_HYBRID, CGROUP2_SUPER_MAGIC))
                *ret_v2 = CGROUP_UNIFIED_HYBRID;
        if (fs_is(CGROUP_V1_DEVICES, CGROUP_SUPER_MAGIC) &&
            access(CGROUP_V1_DEVICES "/devices.allow", W_OK) == 0)
                *ret_v1 = CGROUP_V1_DEVICES;
}

/* what bpf() says when the kernel has no BPF device programs */
static bool bpf_unsupported(int r) {
        return r == -EINVAL || r == -ENOSYS || r == -EOPNOTSUPP;
}

static int bpf_call(int cmd, union bpf_attr *attr) {
        long r = syscall(__NR_bpf, cmd, attr, sizeof(*attr));

        return r < 0 ? vk_negative_errno(errno) : (int) r;
}

/* Load @insns as a device program. Returns the program fd or -errno (verifier log: debug). */
static int bpf_prog_load(const struct bpf_insn *insns, size_t n) {
        union bpf_attr a;
        int r;

        memset(&a, 0, sizeof(a));
        a.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
        a.insns = (uintptr_t) insns;
        a.insn_cnt = (uint32_t) n;
        a.license = (uintptr_t) "GPL";
        r = bpf_call(BPF_PROG_LOAD, &a);
        if (r == -EINVAL || r == -EACCES) {
                /* again with the verifier's log, only to say why */
                g_autofree char *log = g_malloc0(65536);

                a.log_buf = (uintptr_t) log;
                a.log_size = 65536;
                a.log_level = 1;
                (void) bpf_call(BPF_PROG_LOAD, &a);
                vk_log_debug("device ACL: BPF verifier: %s", log);
        }
        return r;
}

static int cgroup_write(const char *dir, const char *file, const char *value) {
        g_autofree char *path = g_build_filename(dir, file, NULL);
        vk_autofd fd = -1;
        size_t len = strlen(value);
        ssize_t k;

        fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return vk_negative_errno(errno);
        k = write(fd, value, len);
        if (k < 0)
                return vk_negative_errno(errno);
        return (size_t) k == len ? 0 : -EIO;
}

/* mkdir @path (and its parents); an existing one is a stale cgroup of an earlier run: replace
 * it, so that none of its old rules or programs stays. -EBUSY: it still has processes. */
static int cgroup_mkdir_fresh(const char *path) {
        g_autofree char *parent = g_path_get_dirname(path);
        int r;

        r = vk_mkdir_p(parent, 0755);
        if (r < 0)
                return r;
        if (mkdir(path, 0755) == 0)
                return 0;
        if (errno != EEXIST)
                return vk_negative_errno(errno);
        vk_log_debug("device ACL: replacing the stale cgroup '%s'", path);
        if (rmdir(path) < 0 || mkdir(path, 0755) < 0)
                return vk_negative_errno(errno);
        return 0;
}

/* rmdir @path; one already gone is fine. */
static int cgroup_rmdir(const char *path) {
        if (rmdir(path) < 0 && errno != ENOENT)
                return vk_negative_errno(errno);
        return 0;
}

static int cgroup_error(VkError *reterr, int r, const char *what, const char *path) {
        if (r == -EBUSY)
                return vk_error_set(reterr, VK_ERROR_BUSY, r,
                                    "cgroup '%s' still has processes or children", path);
        return vk_error_set(reterr, VK_ERROR_SYSTEM, r, "cannot %s cgroup '%s': %s", what, path,
                            g_strerror(-r));
}

static int cgroup_setup_v2(VkSecurityCgroup *cg, int prog_fd, VkError *reterr) {
        vk_autofd dfd = -1;
        union bpf_attr a;
        int r;

        r = cgroup_mkdir_fresh(cg->v2_path);
        if (r < 0)
                return cgroup_error(reterr, r, "create", cg->v2_path);
        dfd = open(cg->v2_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return cgroup_error(reterr, vk_negative_errno(errno), "open", cg->v2_path);

        memset(&a, 0, sizeof(a));
        a.target_fd = (uint32_t) dfd;
        a.attach_bpf_fd = (uint32_t) prog_fd;
        a.attach_type = BPF_CGROUP_DEVICE;
        /* MULTI: stays attached after our fd closes, and a parent's program still applies */
        a.attach_flags = BPF_F_ALLOW_MULTI;
        r = bpf_call(BPF_PROG_ATTACH, &a);
        if (r < 0)
                return vk_error_set(reterr, VK_ERROR_SYSTEM, r,
                                    "cannot attach the BPF device program to cgroup '%s': %s",
                                    cg->v2_path, g_strerror(-r));
        return 0;
}

static int cgroup_setup_v1(VkSecurityCgroup *cg, const VkSecurityCgroupDevice *devices, size_t n,
                           VkError *reterr) {
        int r;

        r = cgroup_mkdir_fresh(cg->v1_path);
        if (r < 0)
                return cgroup_error(reterr, r, "create", cg->v1_path);
        /* deny everything first (only possible while the cgroup has no children) */
        r = cgroup_write(cg->v1_path, "devices.deny", "a");
        if (r < 0)
                return cgroup_error(reterr, r, "write devices.deny of", cg->v1_path);
        for (size_t i = 0; i < n; i++) {
                g_autofree char *line = vk_security_cgroup_device_to_v1(&devices[i]);

                r = cgroup_write(cg->v1_path, "devices.allow", line);
                if (r < 0)
                        return vk_error_set(reterr, VK_ERROR_SYSTEM, r,
                                            "cannot allow '%s' in cgroup '%s': %s", line,
                                            cg->v1_path, g_strerror(-r));
        }
        return 0;
}

/* ---- the API ---------------------------------------------------------------------------- */

/*
 * Create the cgroup @name (relative to each hierarchy's root, e.g.
 * "machine.slice/machine-qemu\x2d1\x2dvm.scope"; parents are created as needed) with a
 * device ACL allowing @rules (from vk_security_device_acl()) and the pts, and nothing else:
 * a BPF device program on the cgroup2 hierarchy when the kernel takes one, and the v1
 * devices controller when it is mounted (both in hybrid mode). A stale cgroup of the same name
 * without processes is replaced. Fails when neither hierarchy is usable, and leaves nothing
 * behind on failure. Needs root (CAP_SYS_ADMIN for BPF). *ret is freed with
 * vk_security_cgroup_free(), which keeps the cgroup; vk_security_cgroup_remove() removes it.
 */
int vk_security_cgroup_create(const char *name, const VkSecurityDeviceRule *rules, size_t n,
                              VkSecurityCgroup **ret, VkError *reterr) {
        g_autoptr(VkSecurityCgroup) cg = NULL;
        g_autofree VkSecurityCgroupDevice *devices = NULL;
        g_autofree struct bpf_insn *insns = NULL;
        vk_autofd prog_fd = -1;
        const char *v2 = NULL, *v1 = NULL;
        size_t n_devices = 0, n_insns = 0;
        int r;

        assert(ret);

        r = vk_security_cgroup_name_validate(name, reterr);
        if (r < 0)
                return r;
        r = vk_security_cgroup_devices_resolve(rules, n, &devices, &n_devices, reterr);
        if (r < 0)
                return r;

        cgroup_detect(&v2, &v1);
        if (v2) {
                r = vk_security_cgroup_bpf_program(devices, n_devices, &insns, &n_insns);
                if (r < 0)
                        return vk_error_set(reterr, VK_ERROR_LIMIT_EXCEEDED, r,
                                            "device ACL too large for a BPF program");
                prog_fd = bpf_prog_load(insns, n_insns);
                if (prog_fd < 0) {
                        /* a kernel without BPF device programs is "not supported", like
                         * no cgroup at all; anything else (EPERM) stays what it is */
                        if (!v1 && bpf_unsupported(prog_fd))
                                return vk_error_set(
                                        reterr, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                        "cannot load a BPF device program for cgroup2 at '%s' "
                                        "(and no cgroup v1 devices controller): %s",
                                        v2, g_strerror(-prog_fd));
                        if (!v1)
                                return vk_error_set(reterr, VK_ERROR_SYSTEM, prog_fd,
                                                    "cannot load a BPF device program: %s",
                                                    g_strerror(-prog_fd));
                        vk_log_debug("device ACL: BPF device program refused (%s), using cgroup "
                                     "v1 devices only",
                                     g_strerror(-prog_fd));
                        v2 = NULL;
                }
        }
        if (!v2 && !v1)
                return vk_error_set(reterr, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                    "no device cgroup: neither cgroup2 at " CGROUP_ROOT
                                    " or " CGROUP_UNIFIED_HYBRID
                                    " nor a cgroup v1 devices controller at " CGROUP_V1_DEVICES);

        cg = g_new0(VkSecurityCgroup, 1);
        cg->name = g_strdup(name);
        cg->prog_fd = -1;
        if (v2)
                cg->v2_path = g_build_filename(v2, name, NULL);
        if (v1)
                cg->v1_path = g_build_filename(v1, name, NULL);

        if (v2) {
                r = cgroup_setup_v2(cg, prog_fd, reterr);
                if (r < 0)
                        goto fail;
                cg->prog_fd = vk_steal_fd(&prog_fd);
        }
        if (v1) {
                r = cgroup_setup_v1(cg, devices, n_devices, reterr);
                if (r < 0)
                        goto fail;
        }

        vk_log_debug("device ACL: cgroup '%s' with %s, %zu entries", name,
                     vk_security_cgroup_mode(cg), n_devices);
        *ret = g_steal_pointer(&cg);
        return 0;

fail:
        (void) vk_security_cgroup_remove(cg, NULL);
        return r;
}

/* Move @pid into @cg on each hierarchy it uses (v1 first, so no moment escapes both). */
int vk_security_cgroup_add_pid(VkSecurityCgroup *cg, pid_t pid, VkError *reterr) {
        char buf[32];
        int r;

        assert(cg);
        assert(pid > 0);

        snprintf(buf, sizeof(buf), "%d\n", (int) pid);
        for (int i = 0; i < 2; i++) {
                const char *path = i == 0 ? cg->v1_path : cg->v2_path;

                if (!path)
                        continue;
                r = cgroup_write(path, "cgroup.procs", buf);
                if (r < 0)
                        return vk_error_set(reterr, VK_ERROR_SYSTEM, r,
                                            "cannot move process %d into cgroup '%s': %s",
                                            (int) pid, path, g_strerror(-r));
        }
        return 0;
}

/* How @cg enforces its ACL, for the caller's log. A static string. */
const char *vk_security_cgroup_mode(const VkSecurityCgroup *cg) {
        assert(cg);
        if (cg->v2_path && cg->v1_path)
                return "cgroup2 BPF device program + cgroup v1 devices";
        if (cg->v2_path)
                return "cgroup2 BPF device program";
        return "cgroup v1 devices";
}

/* The name @cg was created with. */
const char *vk_security_cgroup_name(const VkSecurityCgroup *cg) {
        assert(cg);
        return cg->name;
}

/*
 * Remove @cg: detach and close its BPF program, rmdir it on each hierarchy (parents stay).
 * One already gone is fine. Tries every step; returns the first error (-EBUSY: processes are
 * still in it). @cg must still be freed.
 */
int vk_security_cgroup_remove(VkSecurityCgroup *cg, VkError *reterr) {
        int r, ret = 0;

        assert(cg);

        if (cg->prog_fd >= 0) {
                vk_autofd dfd = open(cg->v2_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

                if (dfd >= 0) {
                        union bpf_attr a;

                        memset(&a, 0, sizeof(a));
                        a.target_fd = (uint32_t) dfd;
                        a.attach_bpf_fd = (uint32_t) cg->prog_fd;
                        a.attach_type = BPF_CGROUP_DEVICE;
                        r = bpf_call(BPF_PROG_DETACH, &a);
                        if (r < 0 && r != -ENOENT)
                                vk_log_debug("device ACL: cannot detach the BPF program of "
                                             "'%s', ignoring: %s",
                                             cg->v2_path, g_strerror(-r));
                }
                vk_close_fdp(&cg->prog_fd);
                cg->prog_fd = -1;
        }
        for (int i = 0; i < 2; i++) {
                const char *path = i == 0 ? cg->v2_path : cg->v1_path;

                if (!path)
                        continue;
                r = cgroup_rmdir(path);
                if (r < 0 && ret == 0)
                        ret = cgroup_error(reterr, r, "remove", path);
        }
        return ret;
}

/*
 * Remove the cgroup @name on every hierarchy where it exists, without a handle: a stale one
 * after a daemon restart or a crash. rmdir detaches its BPF programs. Returns 0 (also when it
 * does not exist), or the first error (-EBUSY: processes are still in it).
 */
int vk_security_cgroup_remove_by_name(const char *name, VkError *reterr) {
        const char *v2 = NULL, *v1 = NULL;
        int r, ret = 0;

        r = vk_security_cgroup_name_validate(name, reterr);
        if (r < 0)
                return r;
        cgroup_detect(&v2, &v1);
        for (int i = 0; i < 2; i++) {
                const char *root = i == 0 ? v2 : v1;
                g_autofree char *path = NULL;

                if (!root)
                        continue;
                path = g_build_filename(root, name, NULL);
                r = cgroup_rmdir(path);
                if (r < 0 && ret == 0)
                        ret = cgroup_error(reterr, r, "remove", path);
        }
        return ret;
}

/* Free @cg; the cgroup and its program stay (a VM keeps its ACL while the daemon is away).
 * Takes NULL. Returns NULL. */
VkSecurityCgroup *vk_security_cgroup_free(VkSecurityCgroup *cg) {
        if (!cg)
                return NULL;
        if (cg->prog_fd >= 0)
                vk_close_fdp(&cg->prog_fd);
        g_free(cg->name);
        g_free(cg->v2_path);
        g_free(cg->v1_path);
        g_free(cg);
        return NULL;
}

/* ---- the device ACL --------------------------------------------------------------------- */

static void acl_add(GArray *rules, const char *path, const char *perms) {
        for (size_t i = 0; i < rules->len; i++) {
                VkSecurityDeviceRule *r = &g_array_index(rules, VkSecurityDeviceRule, i);
                if (g_str_equal(r->path, path)) {
                        if (g_str_equal(perms, "rw"))
                                r->perms = "rw";
                        return;
                }
        }
        g_array_append_val(rules, ((VkSecurityDeviceRule){ g_strdup(path), perms }));
}

/*
 * The device ACL of a VM's scope (DeviceAllow= entries, DevicePolicy=closed): the instance's
 * list @acl (NULL-terminated; may be NULL), then each of @devices with a path, "r" when
 * readonly, else "rw". A path listed twice gets one entry with the wider access. A pure function of
 * its inputs. Caller frees with vk_security_device_rules_free(). Returns 0, or -EINVAL for a
 * relative device path.
 */
int vk_security_device_acl(const char *const *acl, const VkSecurityResource *devices,
                           size_t n_devices, VkSecurityDeviceRule **ret_rules, size_t *ret_n,
                           VkError *reterr) {
        g_autoptr(GArray) rules = g_array_new(false, true, sizeof(VkSecurityDeviceRule));
        size_t n;

        assert(devices || n_devices == 0);
        assert(ret_rules);
        assert(ret_n);

        for (size_t i = 0; acl && acl[i]; i++)
                acl_add(rules, acl[i], "rw");
        for (size_t i = 0; i < n_devices; i++)
                if (devices[i].path)
                        acl_add(rules, devices[i].path, devices[i].readonly ? "r" : "rw");

        for (size_t i = 0; i < rules->len; i++) {
                const char *path = g_array_index(rules, VkSecurityDeviceRule, i).path;
                if (path[0] != '/') {
                        int r = vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                             "device ACL entry '%s' is not an absolute path", path);
                        for (size_t j = 0; j < rules->len; j++)
                                g_free(g_array_index(rules, VkSecurityDeviceRule, j).path);
                        return r;
                }
        }
        n = rules->len;
        *ret_rules = (VkSecurityDeviceRule *) g_array_free(g_steal_pointer(&rules), false);
        *ret_n = n;
        return 0;
}

/* Free an array from vk_security_device_acl(). */
void vk_security_device_rules_free(VkSecurityDeviceRule *rules, size_t n) {
        for (size_t i = 0; rules && i < n; i++)
                g_free(rules[i].path);
        g_free(rules);
}
