/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-scope.c: the names and the CPU controller properties of a machine scope */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "macro.h"
#include "scope.h"

static void test_cpu_none(void **state) {
        VkScopeProperty p[VK_SCOPE_CPU_PROPERTIES_MAX];
        VkScopeCpu cpu = {};

        assert_int_equal(vk_scope_cpu_properties(&cpu, p), 0);
}

static void test_cpu_all(void **state) {
        VkScopeProperty p[VK_SCOPE_CPU_PROPERTIES_MAX];
        VkScopeCpu cpu = { .weight = 2048,
                           .shares = 1024,
                           .quota_per_sec_usec = 500000,
                           .quota_period_usec = 100000 };
        static const char *const names[] = { "CPUWeight", "CPUShares", "CPUQuotaPerSecUSec",
                                             "CPUQuotaPeriodUSec" };
        static const uint64_t values[] = { 2048, 1024, 500000, 100000 };

        assert_int_equal(vk_scope_cpu_properties(&cpu, p), 4);
        for (size_t i = 0; i < VK_ELEMENTSOF(names); i++) {
                assert_string_equal(p[i].name, names[i]);
                assert_int_equal(p[i].value, values[i]);
        }
}

static void test_cpu_some(void **state) {
        VkScopeProperty p[VK_SCOPE_CPU_PROPERTIES_MAX];
        VkScopeCpu cpu = { .shares = 262144, .quota_per_sec_usec = UINT64_MAX };

        assert_int_equal(vk_scope_cpu_properties(&cpu, p), 2);
        assert_string_equal(p[0].name, "CPUShares");
        assert_int_equal(p[0].value, 262144);
        /* no limit: systemd's "infinity" */
        assert_string_equal(p[1].name, "CPUQuotaPerSecUSec");
        assert_true(p[1].value == UINT64_MAX);
}

static void test_names(void **state) {
        g_autofree char *machine = vk_scope_machine_name("qemu", 3, "my vm.x-");
        g_autofree char *unit = vk_scope_unit_name(machine);

        assert_string_equal(machine, "qemu-3-myvmx");
        assert_string_equal(unit, "machine-qemu\\x2d3\\x2dmyvmx.scope");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_cpu_none),
                cmocka_unit_test(test_cpu_all),
                cmocka_unit_test(test_cpu_some),
                cmocka_unit_test(test_names),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
