/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-cgroup-cpu.c: the <cputune> values a systemd scope of QEMU gets as its properties */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "macro.h"
#include "qemu-cgroup-cpu.h"

static void test_none(void **state) {
        VkQemuCpuCgroupPlan plan = { .domain = "vm" };
        VkScopeProperty p[VK_SCOPE_CPU_PROPERTIES_MAX];
        VkScopeCpu cpu;

        vk_qemu_cpu_cgroup_scope_cpu(&plan, true, &cpu);
        assert_int_equal(vk_scope_cpu_properties(&cpu, p), 0);
        /* per-thread values have no scope property */
        plan = (VkQemuCpuCgroupPlan){ .period = 20000,
                                      .quota = 5000,
                                      .emulator_period = 20000,
                                      .emulator_quota = 5000,
                                      .iothread_quota = -1 };
        vk_qemu_cpu_cgroup_scope_cpu(&plan, true, &cpu);
        assert_int_equal(vk_scope_cpu_properties(&cpu, p), 0);
}

static void test_shares(void **state) {
        VkQemuCpuCgroupPlan plan = { .shares = 2048 };
        VkScopeProperty p[VK_SCOPE_CPU_PROPERTIES_MAX];
        VkScopeCpu cpu;

        /* cgroup2: CPUWeight, the value as it is (libvirt 9.0 does not convert it) */
        vk_qemu_cpu_cgroup_scope_cpu(&plan, true, &cpu);
        assert_int_equal(vk_scope_cpu_properties(&cpu, p), 1);
        assert_string_equal(p[0].name, "CPUWeight");
        assert_int_equal(p[0].value, 2048);
        /* v1: CPUShares */
        vk_qemu_cpu_cgroup_scope_cpu(&plan, false, &cpu);
        assert_int_equal(vk_scope_cpu_properties(&cpu, p), 1);
        assert_string_equal(p[0].name, "CPUShares");
        assert_int_equal(p[0].value, 2048);
}

/* systemd writes cpu.max "PERSEC * PERIOD / 10^6 PERIOD": that must give the quota back */
static void check_quota(unsigned long long period, long long quota) {
        VkQemuCpuCgroupPlan plan = { .global_period = period, .global_quota = quota };
        unsigned long long eff = period ? period : 100000;
        VkScopeCpu cpu;

        vk_qemu_cpu_cgroup_scope_cpu(&plan, true, &cpu);
        assert_int_equal(cpu.quota_period_usec, period);
        assert_true(cpu.quota_per_sec_usec * eff / 1000000 == (unsigned long long) quota);
}

static void test_quota(void **state) {
        VkQemuCpuCgroupPlan plan = { .shares = 2048, .global_quota = 50000 };
        VkScopeProperty p[VK_SCOPE_CPU_PROPERTIES_MAX];
        VkScopeCpu cpu;

        /* no period: the kernel's default, 100 ms */
        vk_qemu_cpu_cgroup_scope_cpu(&plan, true, &cpu);
        assert_int_equal(vk_scope_cpu_properties(&cpu, p), 2);
        assert_string_equal(p[1].name, "CPUQuotaPerSecUSec");
        assert_int_equal(p[1].value, 500000);
        plan.global_period = 200000;
        vk_qemu_cpu_cgroup_scope_cpu(&plan, true, &cpu);
        assert_int_equal(vk_scope_cpu_properties(&cpu, p), 3);
        assert_int_equal(p[1].value, 250000);
        assert_string_equal(p[2].name, "CPUQuotaPeriodUSec");
        assert_int_equal(p[2].value, 200000);
        /* rounded up where the quota over the period is no whole number */
        check_quota(300000, 100000);
        check_quota(1000, 1000);
        check_quota(999999, 1234567);
        check_quota(0, 1001);
        check_quota(1000000, 17592186044415LL);
        check_quota(1000, 17592186044415LL);
}

static void test_unlimited(void **state) {
        VkQemuCpuCgroupPlan plan = { .global_quota = -1, .global_period = 50000 };
        VkScopeProperty p[VK_SCOPE_CPU_PROPERTIES_MAX];
        VkScopeCpu cpu;

        vk_qemu_cpu_cgroup_scope_cpu(&plan, true, &cpu);
        assert_int_equal(vk_scope_cpu_properties(&cpu, p), 2);
        assert_string_equal(p[0].name, "CPUQuotaPerSecUSec");
        assert_true(p[0].value == UINT64_MAX);
        assert_string_equal(p[1].name, "CPUQuotaPeriodUSec");
        assert_int_equal(p[1].value, 50000);
        /* a period alone */
        plan.global_quota = 0;
        vk_qemu_cpu_cgroup_scope_cpu(&plan, true, &cpu);
        assert_int_equal(vk_scope_cpu_properties(&cpu, p), 1);
        assert_string_equal(p[0].name, "CPUQuotaPeriodUSec");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_none),
                cmocka_unit_test(test_shares),
                cmocka_unit_test(test_quota),
                cmocka_unit_test(test_unlimited),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
