/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-thread-cputime.c: tools/virtkit-thread-cputime.so, which storaged preloads into
 * qemu-img, makes a thread's CPU time exact: rounds of 3 ms of computation, timed as qemu-img
 * 7.2 times PBKDF2 (thread-cputime-probe), never read 0 ms with it. Without it some do on a
 * kernel with tick-based CPU accounting; how many is printed, not checked (a kernel with exact
 * accounting has none).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>
#include <glib.h>

#define PROBE   VK_BUILD_ROOT "/tests/unit/tools/thread-cputime-probe"
#define PRELOAD VK_BUILD_ROOT "/tools/virtkit-thread-cputime.so"

/* The probe's count of rounds that read 0 ms, of *@ret_rounds; @preload: with the library */
static int probe_zero(bool preload, int *ret_rounds) {
        g_auto(GStrv) env = g_environ_unsetenv(g_get_environ(), "LD_PRELOAD");
        g_autofree char *out = NULL, *err = NULL;
        g_autoptr(GError) gerr = NULL;
        int status, rounds = -1, zero = -1;

        if (preload)
                env = g_environ_setenv(env, "LD_PRELOAD", PRELOAD, true);
        assert_true(g_spawn_sync(NULL, (char *[]){ (char *) PROBE, NULL }, env, G_SPAWN_DEFAULT,
                                 NULL, NULL, &out, &err, &status, &gerr));
        if (!g_spawn_check_wait_status(status, NULL))
                fail_msg("%s failed: %s%s", PROBE, out, err);
        /* ld.so says so on stderr when it cannot preload the library */
        assert_string_equal(err, "");
        assert_int_equal(sscanf(out, "rounds=%d zero=%d", &rounds, &zero), 2);
        *ret_rounds = rounds;
        return zero;
}

static void test_exact_with_preload(void **state) {
        int rounds, zero_with, zero_without;

        (void) state;
        zero_without = probe_zero(false, &rounds);
        printf("# without the preload %d of %d rounds of 3 ms read 0 ms\n", zero_without, rounds);
        zero_with = probe_zero(true, &rounds);
        assert_int_equal(rounds, 100);
        assert_int_equal(zero_with, 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_exact_with_preload),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
