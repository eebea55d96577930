/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-security-cgroup.c: device ACL rules: resolution, v1 lines, the BPF program it runs */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <glib/gstdio.h>

#include "macro.h"
#include "security-cgroup.h"

/*
 * No cgroup is touched here (test-security-cgroup-live.c does that as root). The generated
 * program is run by a tiny interpreter of the instructions it may contain, on every mix of
 * device type, number and access, and checked against the rules it came from.
 */

#define RULES(...) ((VkSecurityDeviceRule[]){ __VA_ARGS__ })
#define RULE(p, m)                                                                                 \
        { (char *) (p), (m) }

static void test_access(void **state) {
        unsigned a = 0;

        assert_int_equal(vk_security_cgroup_access_from_string("rw", &a), 0);
        assert_int_equal(a, VK_SECURITY_CGROUP_READ | VK_SECURITY_CGROUP_WRITE);
        assert_int_equal(vk_security_cgroup_access_from_string("r", &a), 0);
        assert_int_equal(a, VK_SECURITY_CGROUP_READ);
        assert_int_equal(vk_security_cgroup_access_from_string("mrw", &a), 0);
        assert_int_equal(a, 7);
        assert_int_equal(vk_security_cgroup_access_from_string("", &a), -EINVAL);
        assert_int_equal(vk_security_cgroup_access_from_string(NULL, &a), -EINVAL);
        assert_int_equal(vk_security_cgroup_access_from_string("rx", &a), -EINVAL);
}

static void test_resolve(void **state) {
        g_autofree VkSecurityCgroupDevice *d = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        size_t n = 0;

        /* missing paths are skipped; duplicates merge; the pts come last */
        assert_int_equal(
                vk_security_cgroup_devices_resolve(
                        RULES(RULE("/dev/null", "rw"), RULE("/dev/urandom", "r"),
                              RULE("/dev/no-such-device-vk", "rw"), RULE("/dev/urandom", "w")),
                        4, &d, &n, &err),
                0);
        assert_int_equal(n, 3);
        assert_int_equal(d[0].type, 'c');
        assert_int_equal(d[0].major, 1);
        assert_int_equal(d[0].minor, 3);
        assert_int_equal(d[0].access, VK_SECURITY_CGROUP_READ | VK_SECURITY_CGROUP_WRITE);
        assert_int_equal(d[1].major, 1);
        assert_int_equal(d[1].minor, 9);
        assert_int_equal(d[1].access, VK_SECURITY_CGROUP_READ | VK_SECURITY_CGROUP_WRITE);
        assert_int_equal(d[2].type, 'c');
        assert_int_equal(d[2].major, 136);
        assert_int_equal(d[2].minor, VK_SECURITY_CGROUP_ANY_MINOR);
        g_clear_pointer(&d, g_free);

        /* nothing at all: the pts only */
        assert_int_equal(vk_security_cgroup_devices_resolve(NULL, 0, &d, &n, &err), 0);
        assert_int_equal(n, 1);
        assert_int_equal(d[0].major, 136);
}

static void test_resolve_errors(void **state) {
        g_autofree char *dir = g_dir_make_tmp("vk-test-cgroup-XXXXXX", NULL);
        g_autofree char *file = g_build_filename(dir, "plain", NULL);
        g_autofree VkSecurityCgroupDevice *d = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        g_autofree char *want = NULL;
        size_t n = 0;

        assert_true(g_file_set_contents(file, "x", 1, NULL));

        assert_int_equal(vk_security_cgroup_devices_resolve(
                                 RULES(RULE("/dev/null", "rw"), RULE(file, "r")), 2, &d, &n, &err),
                         -ENODEV);
        want = g_strdup_printf("device ACL entry '%s' is not a device node", file);
        assert_string_equal(err.message, want);
        assert_string_equal(err.name, VK_ERROR_INVALID_ARGUMENT);
        vk_error_done(&err);

        assert_int_equal(vk_security_cgroup_devices_resolve(RULES(RULE(dir, "r")), 1, &d, &n, &err),
                         -ENODEV);
        vk_error_done(&err);

        assert_int_equal(
                vk_security_cgroup_devices_resolve(RULES(RULE("/dev/null", "rx")), 1, &d, &n, &err),
                -EINVAL);
        assert_string_equal(err.message, "device ACL entry '/dev/null': invalid permissions 'rx'");
        vk_error_done(&err);

        assert_int_equal(
                vk_security_cgroup_devices_resolve(RULES(RULE("dev/null", "r")), 1, &d, &n, &err),
                -EINVAL);
        assert_string_equal(err.message, "device ACL entry 'dev/null' is not an absolute path");
        assert_null(d);

        (void) unlink(file);
        (void) rmdir(dir);
}

static void test_v1_lines(void **state) {
        VkSecurityCgroupDevice null = { 'c', 1, 3,
                                        VK_SECURITY_CGROUP_READ | VK_SECURITY_CGROUP_WRITE };
        VkSecurityCgroupDevice pts = { 'c', 136, VK_SECURITY_CGROUP_ANY_MINOR, 6 };
        VkSecurityCgroupDevice disk = { 'b', 8, 16, VK_SECURITY_CGROUP_READ };
        VkSecurityCgroupDevice all = { 'c', 10, 232, 7 };
        g_autofree char *a = vk_security_cgroup_device_to_v1(&null);
        g_autofree char *b = vk_security_cgroup_device_to_v1(&pts);
        g_autofree char *c = vk_security_cgroup_device_to_v1(&disk);
        g_autofree char *e = vk_security_cgroup_device_to_v1(&all);

        assert_string_equal(a, "c 1:3 rw");
        assert_string_equal(b, "c 136:* rw");
        assert_string_equal(c, "b 8:16 r");
        assert_string_equal(e, "c 10:232 rwm");
}

/* ---- a BPF interpreter for the instructions the builder emits ---- */

typedef struct Ctx {
        uint32_t access_type;
        uint32_t major;
        uint32_t minor;
} Ctx;

/* Run @p on @ctx: 0 or 1. Fails the test on anything the builder must not emit. */
static int run(const struct bpf_insn *p, size_t n, const Ctx *ctx, bool *reached) {
        uint64_t r[11] = { 0 };
        bool r_set[11] = { [1] = true };

        for (size_t pc = 0; pc < n; pc++) {
                const struct bpf_insn *i = &p[pc];
                uint32_t field;

                reached[pc] = true;
                assert_true(i->dst_reg < 11 && i->src_reg < 11);
                switch (i->code) {
                case BPF_LDX | BPF_W | BPF_MEM:
                        assert_int_equal(i->src_reg, BPF_REG_1);
                        assert_int_equal(i->imm, 0); /* offsets in .off only */
                        assert_true(i->off == 0 || i->off == 4 || i->off == 8);
                        memcpy(&field, (const char *) ctx + i->off, 4);
                        r[i->dst_reg] = field;
                        r_set[i->dst_reg] = true;
                        break;
                case BPF_ALU | BPF_AND | BPF_K:
                        assert_true(r_set[i->dst_reg]);
                        r[i->dst_reg] = (uint32_t) r[i->dst_reg] & (uint32_t) i->imm;
                        break;
                case BPF_ALU | BPF_RSH | BPF_K:
                        assert_true(r_set[i->dst_reg]);
                        r[i->dst_reg] = (uint32_t) r[i->dst_reg] >> i->imm;
                        break;
                case BPF_ALU | BPF_MOV | BPF_X:
                        assert_true(r_set[i->src_reg]);
                        r[i->dst_reg] = (uint32_t) r[i->src_reg];
                        r_set[i->dst_reg] = true;
                        break;
                case BPF_ALU64 | BPF_MOV | BPF_K:
                        r[i->dst_reg] = (uint64_t) (int64_t) i->imm;
                        r_set[i->dst_reg] = true;
                        break;
                case BPF_JMP | BPF_JNE | BPF_K:
                case BPF_JMP | BPF_JNE | BPF_X: {
                        uint64_t b = BPF_SRC(i->code) == BPF_X ? r[i->src_reg]
                                                               : (uint64_t) (uint32_t) i->imm;
                        assert_true(r_set[i->dst_reg]);
                        assert_true(i->off >= 0 && pc + 1 + (size_t) i->off < n);
                        if (r[i->dst_reg] != b)
                                pc += (size_t) i->off;
                        break;
                }
                case BPF_JMP | BPF_EXIT:
                        assert_true(r_set[0]);
                        assert_true(r[0] == 0 || r[0] == 1);
                        return (int) r[0];
                default:
                        fail_msg("unexpected instruction 0x%02x at %zu", i->code, pc);
                }
        }
        fail_msg("the program runs off its end");
        return -1;
}

static bool allowed_by(const VkSecurityCgroupDevice *d, size_t n, const Ctx *ctx) {
        unsigned type = ctx->access_type & 0xFFFF, access = ctx->access_type >> 16;

        for (size_t i = 0; i < n; i++) {
                unsigned t = d[i].type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK;
                if (t == type && d[i].major == ctx->major &&
                    (d[i].minor == VK_SECURITY_CGROUP_ANY_MINOR || d[i].minor == ctx->minor) &&
                    (access & ~d[i].access) == 0)
                        return true;
        }
        return false;
}

static void test_bpf_program(void **state) {
        const VkSecurityCgroupDevice devices[] = {
                { 'c', 1, 3, VK_SECURITY_CGROUP_READ | VK_SECURITY_CGROUP_WRITE }, /* /dev/null */
                { 'c', 1, 9, VK_SECURITY_CGROUP_READ },                            /* urandom, r */
                { 'b', 8, 0, 7 },                                                  /* sda, rwm */
                { 'c', 136, VK_SECURITY_CGROUP_ANY_MINOR, 6 },                     /* pts */
                { 'b', 1, 3, VK_SECURITY_CGROUP_WRITE }, /* not char 1:3 */
        };
        const uint32_t majors[] = { 0, 1, 8, 136, 137 };
        const uint32_t minors[] = { 0, 3, 9, 4, 1000 };
        g_autofree struct bpf_insn *p = NULL;
        g_autofree bool *reached = NULL;
        size_t n = 0, n_allowed = 0;

        assert_int_equal(vk_security_cgroup_bpf_program(devices, G_N_ELEMENTS(devices), &p, &n), 0);
        /* prologue 6; per entry: 2 jumps, +1 for a minor, +3 for an access check, allow+exit;
         * then deny+exit */
        assert_int_equal(n,
                         6 + (3 + 3 + 2) + (3 + 3 + 2) + (3 + 2) + (2 + 3 + 2) + (3 + 3 + 2) + 2);
        assert_int_equal(p[0].code, BPF_LDX | BPF_W | BPF_MEM);
        assert_int_equal(p[n - 2].code, BPF_ALU64 | BPF_MOV | BPF_K);
        assert_int_equal(p[n - 2].imm, 0);
        assert_int_equal(p[n - 1].code, BPF_JMP | BPF_EXIT);

        reached = g_new0(bool, n);
        for (unsigned type = BPF_DEVCG_DEV_BLOCK; type <= BPF_DEVCG_DEV_CHAR; type++)
                for (size_t ma = 0; ma < G_N_ELEMENTS(majors); ma++)
                        for (size_t mi = 0; mi < G_N_ELEMENTS(minors); mi++)
                                for (unsigned access = 1; access <= 7; access++) {
                                        Ctx ctx = { (access << 16) | type, majors[ma], minors[mi] };
                                        bool want =
                                                allowed_by(devices, G_N_ELEMENTS(devices), &ctx);
                                        int got = run(p, n, &ctx, reached);

                                        if (got != (int) want)
                                                fail_msg("%c %u:%u access %u: got %d, want %d",
                                                         type == BPF_DEVCG_DEV_CHAR ? 'c' : 'b',
                                                         majors[ma], minors[mi], access, got, want);
                                        n_allowed += got;
                                }
        for (size_t i = 0; i < n; i++)
                if (!reached[i])
                        fail_msg("instruction %zu is unreachable", i);
        assert_true(n_allowed > 0);

        /* no rules: deny everything */
        g_clear_pointer(&p, g_free);
        assert_int_equal(vk_security_cgroup_bpf_program(NULL, 0, &p, &n), 0);
        assert_int_equal(n, 8);
        g_clear_pointer(&reached, g_free);
        reached = g_new0(bool, n);
        assert_int_equal(run(p, n, &(Ctx){ (2u << 16) | BPF_DEVCG_DEV_CHAR, 1, 3 }, reached), 0);
}

static void test_names(void **state) {
        g_auto(VkError) err = VK_ERROR_INIT;

        assert_int_equal(vk_security_cgroup_name_validate("machine.slice/machine-qemu\\x2d1\\x2dvm."
                                                          "scope",
                                                          &err),
                         0);
        assert_int_equal(vk_security_cgroup_name_validate("vm1", &err), 0);
        for (const char *const *bad = VK_STRV("", "/abs", "a/", "a//b", "../x", "a/./b", "a/..");
             *bad; bad++) {
                assert_int_equal(vk_security_cgroup_name_validate(*bad, &err), -EINVAL);
                vk_error_done(&err);
        }
        assert_int_equal(vk_security_cgroup_name_validate(NULL, &err), -EINVAL);
        assert_string_equal(err.message, "invalid cgroup name ''");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_access),         cmocka_unit_test(test_resolve),
                cmocka_unit_test(test_resolve_errors), cmocka_unit_test(test_v1_lines),
                cmocka_unit_test(test_bpf_program),    cmocka_unit_test(test_names),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
