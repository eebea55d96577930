/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-security-cgroup-live.c: the device ACL fallback on this host's real cgroups (root) */
#include <fcntl.h>
#include <linux/magic.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "macro.h"
#include "security-cgroup.h"

/*
 * Needs root and a cgroup file system at /sys/fs/cgroup (skipped otherwise). On a hybrid host
 * (v1 controllers, cgroup2 at /sys/fs/cgroup/unified) both the BPF program and the v1 devices
 * controller are used; a pure cgroup2 host uses the program alone. Every cgroup made here is
 * under "virtkit-test-<pid>.slice" and removed at the end.
 */

static char *slice;

static char *test_name(const char *leaf) {
        return g_strdup_printf("%s/%s", slice, leaf);
}

static char *hier_path(const char *root, const char *name) {
        return g_build_filename(root, name, NULL);
}

static bool is_fs(const char *path, unsigned long magic) {
        struct statfs fs;
        return statfs(path, &fs) == 0 && (unsigned long) fs.f_type == magic;
}

/* The hierarchies the module should use here: the same detection, spelled out again. */
static void expected_paths(const char *name, char **ret_v2, char **ret_v1) {
        *ret_v2 = *ret_v1 = NULL;
        if (is_fs("/sys/fs/cgroup", CGROUP2_SUPER_MAGIC)) {
                *ret_v2 = hier_path("/sys/fs/cgroup", name);
                return;
        }
        if (is_fs("/sys/fs/cgroup/unified", CGROUP2_SUPER_MAGIC))
                *ret_v2 = hier_path("/sys/fs/cgroup/unified", name);
        if (is_fs("/sys/fs/cgroup/devices", CGROUP_SUPER_MAGIC))
                *ret_v1 = hier_path("/sys/fs/cgroup/devices", name);
}

/* How many programs are attached to the cgroup2 directory @path. */
static int attached_programs(const char *path) {
        vk_autofd fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        union bpf_attr a;

        assert_true(fd >= 0);
        memset(&a, 0, sizeof(a));
        a.query.target_fd = (uint32_t) fd;
        a.query.attach_type = BPF_CGROUP_DEVICE;
        assert_int_equal(syscall(__NR_bpf, BPF_PROG_QUERY, &a, sizeof(a)), 0);
        return (int) a.query.prog_cnt;
}

enum {
        NULL_RW = 1 << 0,
        ZERO_R = 1 << 1,
        URANDOM_R = 1 << 2,
        URANDOM_W = 1 << 3,
        PTS_RW = 1 << 4,
        ZERO_EPERM = 1 << 5,
        URANDOM_W_EPERM = 1 << 6,
};

static bool opens(const char *path, int flags, int *ret_errno) {
        int fd = open(path, flags | O_CLOEXEC | O_NOCTTY);

        *ret_errno = fd < 0 ? errno : 0;
        if (fd < 0)
                return false;
        close(fd);
        return true;
}

/* Fork a child, move it into @cg, and return which opens worked there (the bits above). */
static unsigned probe_in(VkSecurityCgroup *cg, const char *pts) {
        g_auto(VkError) err = VK_ERROR_INIT;
        int go[2], st = 0;
        pid_t pid;

        assert_int_equal(pipe2(go, O_CLOEXEC), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                unsigned res = 0;
                char c;
                int e;

                close(go[1]);
                if (read(go[0], &c, 1) != 1)
                        _exit(255);
                if (opens("/dev/null", O_RDWR, &e))
                        res |= NULL_RW;
                if (opens("/dev/zero", O_RDONLY, &e))
                        res |= ZERO_R;
                else if (e == EPERM)
                        res |= ZERO_EPERM;
                if (opens("/dev/urandom", O_RDONLY, &e))
                        res |= URANDOM_R;
                if (opens("/dev/urandom", O_WRONLY, &e))
                        res |= URANDOM_W;
                else if (e == EPERM)
                        res |= URANDOM_W_EPERM;
                if (opens(pts, O_RDWR, &e))
                        res |= PTS_RW;
                _exit((int) res);
        }
        close(go[0]);
        if (vk_security_cgroup_add_pid(cg, pid, &err) < 0) {
                (void) kill(pid, SIGKILL);
                (void) waitpid(pid, NULL, 0);
                fail_msg("add_pid: %s", err.message);
        }
        assert_int_equal(write(go[1], "x", 1), 1);
        close(go[1]);
        assert_int_equal(waitpid(pid, &st, 0), pid);
        assert_true(WIFEXITED(st));
        assert_int_not_equal(WEXITSTATUS(st), 255);
        return (unsigned) WEXITSTATUS(st);
}

static const VkSecurityDeviceRule acl[] = {
        { (char *) "/dev/null", "rw" },
        { (char *) "/dev/urandom", "r" },
        { (char *) "/dev/no-such-device-vk", "rw" }, /* skipped */
};

static void test_acl_enforced(void **state) {
        g_autofree char *name = test_name("machine-qemu\\x2d1\\x2dvm.scope");
        g_autofree char *v2 = NULL, *v1 = NULL;
        g_autoptr(VkSecurityCgroup) cg = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        g_autofree char *list = NULL;
        g_autofree char *list_path = NULL;
        int ptm;
        unsigned res;

        expected_paths(name, &v2, &v1);
        if (vk_security_cgroup_create(name, acl, G_N_ELEMENTS(acl), &cg, &err) < 0)
                fail_msg("create: %s", err.message);
        print_message("device ACL path: %s\n", vk_security_cgroup_mode(cg));
        assert_string_equal(vk_security_cgroup_name(cg), name);
        if (v2 && v1)
                assert_string_equal(vk_security_cgroup_mode(cg),
                                    "cgroup2 BPF device program + cgroup v1 devices");
        else if (v2)
                assert_string_equal(vk_security_cgroup_mode(cg), "cgroup2 BPF device program");
        else
                assert_string_equal(vk_security_cgroup_mode(cg), "cgroup v1 devices");
        if (v2) {
                assert_true(g_file_test(v2, G_FILE_TEST_IS_DIR));
                assert_int_equal(attached_programs(v2), 1);
        }
        if (v1) {
                list_path = g_build_filename(v1, "devices.list", NULL);
                assert_true(g_file_get_contents(list_path, &list, NULL, NULL));
                assert_string_equal(list, "c 1:3 rw\nc 1:9 r\nc 136:* rw\n");
        }

        ptm = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
        assert_true(ptm >= 0);
        assert_int_equal(grantpt(ptm), 0);
        assert_int_equal(unlockpt(ptm), 0);

        res = probe_in(cg, ptsname(ptm));
        close(ptm);
        print_message("in the cgroup: /dev/null rw %s, /dev/zero %s, /dev/urandom r %s, w %s, "
                      "pts %s\n",
                      res & NULL_RW ? "ok" : "DENIED", res & ZERO_EPERM ? "EPERM" : "not EPERM",
                      res & URANDOM_R ? "ok" : "DENIED",
                      res & URANDOM_W_EPERM ? "EPERM" : "not EPERM",
                      res & PTS_RW ? "ok" : "DENIED");
        assert_int_equal(res, NULL_RW | ZERO_EPERM | URANDOM_R | URANDOM_W_EPERM | PTS_RW);

        /* the child has exited: the cgroup can go, on every hierarchy */
        if (vk_security_cgroup_remove(cg, &err) < 0)
                fail_msg("remove: %s", err.message);
        if (v2)
                assert_false(g_file_test(v2, G_FILE_TEST_EXISTS));
        if (v1)
                assert_false(g_file_test(v1, G_FILE_TEST_EXISTS));
        /* twice is fine */
        assert_int_equal(vk_security_cgroup_remove(cg, &err), 0);
}

static void write_file(const char *path, const char *value) {
        vk_autofd fd = open(path, O_WRONLY | O_CLOEXEC);

        assert_true(fd >= 0);
        assert_int_equal(write(fd, value, strlen(value)), (ssize_t) strlen(value));
}

/* Detach every device program of the cgroup2 directory @path (as a test, by program id). */
static void detach_all(const char *path) {
        vk_autofd fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        uint32_t ids[8];
        union bpf_attr a;

        assert_true(fd >= 0);
        memset(&a, 0, sizeof(a));
        a.query.target_fd = (uint32_t) fd;
        a.query.attach_type = BPF_CGROUP_DEVICE;
        a.query.prog_ids = (uintptr_t) ids;
        a.query.prog_cnt = G_N_ELEMENTS(ids);
        assert_int_equal(syscall(__NR_bpf, BPF_PROG_QUERY, &a, sizeof(a)), 0);
        for (uint32_t i = 0; i < a.query.prog_cnt; i++) {
                union bpf_attr g, d;
                vk_autofd pfd = -1;

                memset(&g, 0, sizeof(g));
                g.prog_id = ids[i];
                pfd = (int) syscall(__NR_bpf, BPF_PROG_GET_FD_BY_ID, &g, sizeof(g));
                assert_true(pfd >= 0);
                memset(&d, 0, sizeof(d));
                d.target_fd = (uint32_t) fd;
                d.attach_bpf_fd = (uint32_t) pfd;
                d.attach_type = BPF_CGROUP_DEVICE;
                assert_int_equal(syscall(__NR_bpf, BPF_PROG_DETACH, &d, sizeof(d)), 0);
        }
}

/* In hybrid mode each half holds the ACL alone: the BPF program with v1 opened up, and v1
 * with the program detached. */
static void test_each_alone(void **state) {
        g_autofree char *name = test_name("alone.scope");
        g_autofree char *v2 = NULL, *v1 = NULL;
        g_autoptr(VkSecurityCgroup) cg = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        const unsigned want = NULL_RW | ZERO_EPERM | URANDOM_R | URANDOM_W_EPERM | PTS_RW;
        g_autofree char *allow = NULL;
        int ptm;

        expected_paths(name, &v2, &v1);
        if (!v2 || !v1)
                skip();
        ptm = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
        assert_true(ptm >= 0);
        assert_int_equal(grantpt(ptm), 0);
        assert_int_equal(unlockpt(ptm), 0);

        assert_int_equal(vk_security_cgroup_create(name, acl, G_N_ELEMENTS(acl), &cg, &err), 0);
        allow = g_build_filename(v1, "devices.allow", NULL);
        write_file(allow, "a");
        assert_int_equal(probe_in(cg, ptsname(ptm)), want);
        print_message("BPF device program alone: enforced\n");
        assert_int_equal(vk_security_cgroup_remove(cg, &err), 0);
        cg = vk_security_cgroup_free(cg);

        assert_int_equal(vk_security_cgroup_create(name, acl, G_N_ELEMENTS(acl), &cg, &err), 0);
        detach_all(v2);
        assert_int_equal(attached_programs(v2), 0);
        assert_int_equal(probe_in(cg, ptsname(ptm)), want);
        print_message("cgroup v1 devices alone: enforced\n");
        assert_int_equal(vk_security_cgroup_remove(cg, &err), 0);
        close(ptm);
}

/* A daemon restart: the handle goes, the program stays; a stale cgroup is replaced, then
 * removed by name. A cgroup with a process in it is not removed. */
static void test_stale_and_by_name(void **state) {
        g_autofree char *name = test_name("stale.scope");
        g_autofree char *v2 = NULL, *v1 = NULL;
        g_autoptr(VkSecurityCgroup) cg = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        int st = 0, go[2];
        pid_t pid;

        expected_paths(name, &v2, &v1);
        assert_int_equal(vk_security_cgroup_create(name, acl, 1, &cg, &err), 0);
        cg = vk_security_cgroup_free(cg);
        if (v2)
                assert_int_equal(attached_programs(v2), 1);

        /* created again over the stale one: one program, not two */
        assert_int_equal(vk_security_cgroup_create(name, acl, 2, &cg, &err), 0);
        if (v2)
                assert_int_equal(attached_programs(v2), 1);

        /* in use: neither replaced nor removed */
        assert_int_equal(pipe2(go, O_CLOEXEC), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                char c;
                close(go[1]);
                (void) read(go[0], &c, 1);
                _exit(0);
        }
        close(go[0]);
        assert_int_equal(vk_security_cgroup_add_pid(cg, pid, &err), 0);
        cg = vk_security_cgroup_free(cg);
        assert_int_equal(vk_security_cgroup_create(name, acl, 1, &cg, &err), -EBUSY);
        assert_string_equal(err.name, VK_ERROR_BUSY);
        vk_error_done(&err);
        assert_int_equal(vk_security_cgroup_remove_by_name(name, &err), -EBUSY);
        print_message("in use: %s\n", err.message);
        vk_error_done(&err);

        close(go[1]);
        assert_int_equal(waitpid(pid, &st, 0), pid);
        assert_int_equal(vk_security_cgroup_remove_by_name(name, &err), 0);
        if (v2)
                assert_false(g_file_test(v2, G_FILE_TEST_EXISTS));
        if (v1)
                assert_false(g_file_test(v1, G_FILE_TEST_EXISTS));
        /* already gone */
        assert_int_equal(vk_security_cgroup_remove_by_name(name, &err), 0);
}

static void test_not_a_device(void **state) {
        g_autofree char *name = test_name("bad.scope");
        g_autofree char *v2 = NULL, *v1 = NULL;
        g_autoptr(VkSecurityCgroup) cg = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        const VkSecurityDeviceRule bad[] = { { (char *) "/etc/hostname", "r" } };

        expected_paths(name, &v2, &v1);
        assert_int_equal(vk_security_cgroup_create(name, bad, 1, &cg, &err), -ENODEV);
        assert_string_equal(err.message, "device ACL entry '/etc/hostname' is not a device node");
        /* nothing left behind */
        if (v2)
                assert_false(g_file_test(v2, G_FILE_TEST_EXISTS));
        if (v1)
                assert_false(g_file_test(v1, G_FILE_TEST_EXISTS));
}

static int teardown_slice(void **state) {
        const char *roots[] = { "/sys/fs/cgroup", "/sys/fs/cgroup/unified",
                                "/sys/fs/cgroup/devices" };

        for (size_t i = 0; i < G_N_ELEMENTS(roots); i++) {
                g_autofree char *p = hier_path(roots[i], slice);
                (void) rmdir(p);
                if (g_file_test(p, G_FILE_TEST_EXISTS))
                        print_message("left behind: %s\n", p);
        }
        return 0;
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_acl_enforced),
                cmocka_unit_test(test_each_alone),
                cmocka_unit_test(test_stale_and_by_name),
                cmocka_unit_test(test_not_a_device),
        };

        if (geteuid() != 0) {
                print_message("not root: cgroup device ACL tests skipped\n");
                return 77;
        }
        if (!is_fs("/sys/fs/cgroup", CGROUP2_SUPER_MAGIC) &&
            !is_fs("/sys/fs/cgroup/unified", CGROUP2_SUPER_MAGIC) &&
            !is_fs("/sys/fs/cgroup/devices", CGROUP_SUPER_MAGIC)) {
                print_message("no cgroup2 or cgroup v1 devices file system: skipped\n");
                return 77;
        }
        slice = g_strdup_printf("virtkit-test-%d.slice", (int) getpid());
        return cmocka_run_group_tests(tests, NULL, teardown_slice);
}
