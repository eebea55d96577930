/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-security-caps.c: QEMU's capabilities, checked in /proc/PID/status of real children */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "child.h"
#include "macro.h"
#include "sd-glue.h"
#include "security-caps.h"
#include "security-manager.h"

/*
 * Two ways to QEMU's exec, both through common/child.h:
 *   - vk_child's own credential switch (VkChildOptions from the params): the kernel clears
 *     the capabilities of a non-root uid, but the bounding set stays;
 *   - an exec wrapper applying all the params (vk_security_exec_params_apply()), here this
 *     test binary re-executed with --shim: the bounding set is emptied too.
 * The child is `cat /proc/self/status`: its own /proc/PID/status.
 */

static VkSecurityManager *manager(const char *user, bool clear, bool privileged) {
        static const char *const none[] = { "none", NULL };
        VkSecurityConfig cfg = { .drivers = none,
                                 .user = user,
                                 .group = user,
                                 .dynamic_ownership = true,
                                 .remember_owner = true,
                                 .clear_emulator_capabilities = clear };
        g_auto(VkError) error = VK_ERROR_INIT;
        VkSecurityManager *m = NULL;

        assert_int_equal(vk_security_manager_new(&cfg, privileged, NULL, &m, &error), 0);
        return m;
}

static VkSecurityExecParams params_for(const char *user, bool clear, bool privileged) {
        g_autoptr(VkSecurityManager) m = manager(user, clear, privileged);
        g_autoptr(VkSecurityState) s = NULL;
        VkSecurityDomain dom = { .name = "c" };
        g_auto(VkError) error = VK_ERROR_INIT;
        VkSecurityExecParams p = {};

        assert_int_equal(vk_security_manager_prepare(m, &dom, &s, &error), 0);
        assert_int_equal(vk_security_manager_exec_params(m, s, &p, &error), 0);
        return p;
}

typedef struct Status {
        uint64_t eff, prm, bnd;
        unsigned uid;
} Status;

static void child_done(VkChild *c, const VkChildExit *exit, void *userdata) {
        *(bool *) userdata = true;
}

static Status run_status(const char *const *argv, const VkChildOptions *opts) {
        g_autoptr(sd_event) e = NULL;
        g_autoptr(VkChild) child = NULL;
        g_auto(VkError) error = VK_ERROR_INIT;
        g_auto(GStrv) lines = NULL;
        Status st = { .eff = UINT64_MAX, .prm = UINT64_MAX, .bnd = UINT64_MAX, .uid = ~0U };
        const char *out;
        bool done = false;
        size_t n;

        assert_int_equal(sd_event_new(&e), 0);
        if (vk_child_spawn(e, argv, opts, child_done, &done, &child, &error) < 0)
                fail_msg("%s", error.message);
        while (!done)
                assert_true(sd_event_run(e, 5 * 1000 * 1000) >= 0);
        out = vk_child_get_output(child, VK_CHILD_STDOUT, &n);
        lines = g_strsplit(out ? out : "", "\n", -1);
        for (size_t i = 0; lines[i]; i++) {
                (void) sscanf(lines[i], "CapEff: %" SCNx64, &st.eff);
                (void) sscanf(lines[i], "CapPrm: %" SCNx64, &st.prm);
                (void) sscanf(lines[i], "CapBnd: %" SCNx64, &st.bnd);
                (void) sscanf(lines[i], "Uid: %u", &st.uid);
        }
        return st;
}

static const char *self_exe;

static Status run_shim(const VkSecurityExecParams *p) {
        g_autofree char *uid = g_strdup_printf("%u", (unsigned) p->uid);
        VkChildOptions opts = { .flags = VK_CHILD_CAPTURE_STDOUT | VK_CHILD_CAPTURE_STDERR };

        return run_status(VK_STRV(self_exe, "--shim", p->set_credentials ? uid : "-",
                                  vk_security_caps_to_string(p->caps)),
                          &opts);
}

/* A non-root QEMU: no capabilities; the wrapper also empties the bounding set. */
static void test_non_root(void **state) {
        g_auto(VkSecurityExecParams) p = params_for("+65534", false, true);
        VkChildOptions opts = { .flags = VK_CHILD_CAPTURE_STDOUT };
        Status st;

        assert_true(p.set_credentials);
        assert_int_equal(p.uid, 65534);
        assert_int_equal(p.caps, VK_SECURITY_CAPS_CLEAR);

        vk_security_exec_params_to_child_options(&p, &opts);
        st = run_status(VK_STRV("/bin/cat", "/proc/self/status"), &opts);
        assert_int_equal(st.uid, 65534);
        assert_int_equal(st.eff, 0);
        assert_int_equal(st.prm, 0);
        assert_true(st.bnd != 0); /* vk_child alone keeps the bounding set */

        st = run_shim(&p);
        assert_int_equal(st.uid, 65534);
        assert_int_equal(st.eff, 0);
        assert_int_equal(st.prm, 0);
        assert_int_equal(st.bnd, 0);
}

/* A root QEMU keeps its capabilities, unless clear_emulator_capabilities = 1. */
static void test_root(void **state) {
        g_auto(VkSecurityExecParams) keep = params_for("+0", false, true);
        g_auto(VkSecurityExecParams) clear = params_for("+0", true, true);
        Status st;

        assert_int_equal(keep.caps, VK_SECURITY_CAPS_KEEP);
        assert_int_equal(clear.caps, VK_SECURITY_CAPS_CLEAR);

        st = run_shim(&keep);
        assert_int_equal(st.uid, 0);
        assert_true(st.eff != 0);
        assert_true(st.bnd != 0);

        st = run_shim(&clear);
        assert_int_equal(st.uid, 0);
        assert_int_equal(st.eff, 0);
        assert_int_equal(st.prm, 0);
        assert_int_equal(st.bnd, 0);
}

/* Session: QEMU runs as we do; nothing to switch or drop. */
static void test_session(void **state) {
        g_auto(VkSecurityExecParams) p = params_for("+1000", true, false);

        assert_false(p.set_credentials);
        assert_int_equal(p.caps, VK_SECURITY_CAPS_KEEP);
}

static int shim(int argc, char *argv[]) {
        VkSecurityExecParams p = {};
        g_auto(VkError) error = VK_ERROR_INIT;

        if (argc != 4)
                return 2;
        if (!g_str_equal(argv[2], "-")) {
                p.set_credentials = true;
                p.uid = p.gid = (unsigned) atoi(argv[2]);
        }
        p.caps = vk_security_caps_from_string(argv[3]);
        if (vk_security_exec_params_apply(&p, &error) < 0) {
                fprintf(stderr, "%s\n", error.message);
                return 1;
        }
        execl("/bin/cat", "cat", "/proc/self/status", (char *) NULL);
        return 127;
}

int main(int argc, char *argv[]) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_non_root),
                cmocka_unit_test(test_root),
                cmocka_unit_test(test_session),
        };
        sigset_t mask;

        if (argc > 1 && g_str_equal(argv[1], "--shim"))
                return shim(argc, argv);
        if (geteuid() != 0 || !vk_security_caps_supported()) {
                print_message("needs root and libcap-ng: skipped\n");
                return 77;
        }
        self_exe = g_file_read_link("/proc/self/exe", NULL);
        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        (void) sigprocmask(SIG_BLOCK, &mask, NULL);
        return cmocka_run_group_tests(tests, NULL, NULL);
}
