/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * api-vcpu.c: io.virtkit.Qemu's GetDomainVcpuInfo, GetDomainVcpuPinInfo, PinDomainVcpu,
 * GetDomainEmulatorPinInfo, PinDomainEmulator, GetDomainVcpuCount (virsh's vcpuinfo, vcpupin,
 * emulatorpin, vcpucount)
 */
#include <stddef.h>

#include "api.h"
#include "log.h"

typedef struct VcpuParams {
        char *domain;
        bool live;
        bool config;
        bool maximum;
        uint64_t vcpu;
        char *cpuset;
} VcpuParams;

/* clang-format off */
#define VCPU_DOMAIN_FIELD                                                                          \
        { "domain", VK_FIELD_STRING, offsetof(VcpuParams, domain), VK_FIELD_REQUIRED, NULL,        \
          "The domain's name or UUID" }
#define VCPU_AFFECT_FIELDS                                                                         \
        { "live", VK_FIELD_BOOL, offsetof(VcpuParams, live), 0, NULL,                              \
          "The running domain's definition" },                                                     \
        { "config", VK_FIELD_BOOL, offsetof(VcpuParams, config), 0, NULL,                          \
          "The persistent definition (neither: the live one of a running domain, else the "       \
          "persistent one)" }
#define VCPU_CPUSET_FIELD                                                                          \
        { "cpuset", VK_FIELD_STRING, offsetof(VcpuParams, cpuset), VK_FIELD_REQUIRED, NULL,        \
          "The host CPUs, a CPU list ('0-2,^1,4'); every one online on the host" }
/* clang-format on */

static const VkField domain_fields[] = {
        VCPU_DOMAIN_FIELD,
        {},
};

static const VkStructType domain_params = {
        .size = sizeof(VcpuParams),
        .fields = domain_fields,
};

static const VkField pin_info_fields[] = {
        VCPU_DOMAIN_FIELD,
        VCPU_AFFECT_FIELDS,
        {},
};

static const VkStructType pin_info_params = {
        .size = sizeof(VcpuParams),
        .fields = pin_info_fields,
};

static const VkField count_fields[] = {
        VCPU_DOMAIN_FIELD,
        VCPU_AFFECT_FIELDS,
        { "maximum", VK_FIELD_BOOL, offsetof(VcpuParams, maximum), 0, NULL,
          "<vcpu> (the most the domain can have), not the current number" },
        {},
};

static const VkStructType count_params = {
        .size = sizeof(VcpuParams),
        .fields = count_fields,
};

static const VkField pin_vcpu_fields[] = {
        VCPU_DOMAIN_FIELD,
        { "vcpu", VK_FIELD_UINT, offsetof(VcpuParams, vcpu), VK_FIELD_REQUIRED, NULL,
          "The vCPU's number (0 to <vcpu> - 1)" },
        VCPU_CPUSET_FIELD,
        VCPU_AFFECT_FIELDS,
        {},
};

static const VkStructType pin_vcpu_params = {
        .size = sizeof(VcpuParams),
        .fields = pin_vcpu_fields,
};

static const VkField pin_emulator_fields[] = {
        VCPU_DOMAIN_FIELD,
        VCPU_CPUSET_FIELD,
        VCPU_AFFECT_FIELDS,
        {},
};

static const VkStructType pin_emulator_params = {
        .size = sizeof(VcpuParams),
        .fields = pin_emulator_fields,
};

typedef struct VcpuInfoItem {
        uint64_t vcpu;
        char *state;
        int64_t cpu;
        uint64_t cpu_time;
        char *affinity;
} VcpuInfoItem;

static const VkField vcpu_info_item_fields[] = {
        { "vcpu", VK_FIELD_UINT, offsetof(VcpuInfoItem, vcpu), VK_FIELD_REQUIRED, NULL,
          "The vCPU's number" },
        { "state", VK_FIELD_STRING, offsetof(VcpuInfoItem, state), VK_FIELD_REQUIRED, NULL,
          "running (as libvirt's VIR_VCPU_RUNNING for every online vCPU)" },
        { "cpu", VK_FIELD_INT, offsetof(VcpuInfoItem, cpu), VK_FIELD_REQUIRED, NULL,
          "The host CPU its thread last ran on (-1: unknown)" },
        { "cpuTime", VK_FIELD_UINT, offsetof(VcpuInfoItem, cpu_time), VK_FIELD_REQUIRED, NULL,
          "Its thread's CPU time, ns" },
        { "affinity", VK_FIELD_STRING, offsetof(VcpuInfoItem, affinity), VK_FIELD_REQUIRED, NULL,
          "The host CPUs its thread may run on, a CPU list" },
        {},
};

static const VkStructType vcpu_info_item_type = {
        .name = "VcpuInfo",
        .size = sizeof(VcpuInfoItem),
        .fields = vcpu_info_item_fields,
        .doc = "One online vCPU of a running domain",
};

typedef struct VcpuResult {
        VkArray vcpus;
        char **pins;
        char *cpuset;
        uint64_t count;
        uint64_t host_cpus;
} VcpuResult;

#define HOST_CPUS_FIELD                                                                            \
        {                                                                                          \
                "hostCpus", VK_FIELD_UINT, offsetof(VcpuResult, host_cpus), VK_FIELD_REQUIRED,     \
                        NULL, "How many CPUs the host has (its highest CPU + 1)"                   \
        }

static const VkField vcpu_info_result_fields[] = {
        { "vcpus", VK_FIELD_ARRAY, offsetof(VcpuResult, vcpus), VK_FIELD_REQUIRED,
          &vcpu_info_item_type, "The online vCPUs" },
        HOST_CPUS_FIELD,
        {},
};

static const VkStructType vcpu_info_result = {
        .size = sizeof(VcpuResult),
        .fields = vcpu_info_result_fields,
};

static const VkField pin_info_result_fields[] = {
        { "pins", VK_FIELD_STRV, offsetof(VcpuResult, pins), VK_FIELD_REQUIRED, NULL,
          "Per vCPU up to <vcpu>: the host CPUs it may run on, a CPU list" },
        HOST_CPUS_FIELD,
        {},
};

static const VkStructType pin_info_result = {
        .size = sizeof(VcpuResult),
        .fields = pin_info_result_fields,
};

static const VkField emulator_result_fields[] = {
        { "cpuset", VK_FIELD_STRING, offsetof(VcpuResult, cpuset), VK_FIELD_REQUIRED, NULL,
          "The host CPUs the emulator threads may run on, a CPU list" },
        HOST_CPUS_FIELD,
        {},
};

static const VkStructType emulator_result = {
        .size = sizeof(VcpuResult),
        .fields = emulator_result_fields,
};

static const VkField count_result_fields[] = {
        { "count", VK_FIELD_UINT, offsetof(VcpuResult, count), VK_FIELD_REQUIRED, NULL,
          "The number of vCPUs" },
        {},
};

static const VkStructType count_result = {
        .size = sizeof(VcpuResult),
        .fields = count_result_fields,
};

static VkQemuDriver *vcpu_driver(void *userdata) {
        return ((VkQemud *) userdata)->driver;
}

static unsigned vcpu_flags(const VcpuParams *p) {
        return (p->live ? VK_QEMU_AFFECT_LIVE : 0) | (p->config ? VK_QEMU_AFFECT_CONFIG : 0);
}

static void vcpu_on_info(VkQemuDriver *drv, const VkQemuVcpuInfo *vcpus, size_t n,
                         const VkError *error, void *userdata) {
        VkCall *call = userdata;
        g_autofree VcpuInfoItem *items = g_new0(VcpuInfoItem, n + 1);
        VcpuResult res = { .host_cpus = vk_qemu_driver_host_cpus() };

        if (error) {
                vk_log_debug("GetDomainVcpuInfo failed: %s", error->message);
                (void) vk_call_reply_error(call, error);
                vk_call_unref(call);
                return;
        }
        for (size_t i = 0; i < n; i++)
                items[i] = (VcpuInfoItem){
                        .vcpu = vcpus[i].vcpu,
                        .state = (char *) "running",
                        .cpu = vcpus[i].cpu,
                        .cpu_time = vcpus[i].cpu_time_ns,
                        .affinity = vcpus[i].affinity,
                };
        res.vcpus = (VkArray){ .items = items, .n = n };
        (void) vk_call_reply(call, &res);
        vk_call_unref(call);
}

static int api_vcpu_info(VkCall *call, void *params, void *userdata) {
        const VcpuParams *p = params;
        int r;

        r = vk_qemu_driver_get_vcpu_info(vcpu_driver(userdata), p->domain, vcpu_on_info, call,
                                         vk_call_error(call));
        if (r < 0)
                return r;
        vk_call_ref(call); /* vcpu_on_info() replies and unrefs */
        return 0;
}

static int api_vcpu_pin_info(VkCall *call, void *params, void *userdata) {
        const VcpuParams *p = params;
        g_auto(GStrv) pins = NULL;
        VcpuResult res = { .host_cpus = vk_qemu_driver_host_cpus() };
        int r;

        r = vk_qemu_driver_get_vcpu_pins(vcpu_driver(userdata), p->domain, vcpu_flags(p), &pins,
                                         vk_call_error(call));
        if (r < 0)
                return r;
        res.pins = pins;
        return vk_call_reply(call, &res);
}

static int api_emulator_pin_info(VkCall *call, void *params, void *userdata) {
        const VcpuParams *p = params;
        g_autofree char *cpuset = NULL;
        VcpuResult res = { .host_cpus = vk_qemu_driver_host_cpus() };
        int r;

        r = vk_qemu_driver_get_emulator_pin(vcpu_driver(userdata), p->domain, vcpu_flags(p),
                                            &cpuset, vk_call_error(call));
        if (r < 0)
                return r;
        res.cpuset = cpuset;
        return vk_call_reply(call, &res);
}

static int api_vcpu_count(VkCall *call, void *params, void *userdata) {
        const VcpuParams *p = params;
        VcpuResult res = {};
        unsigned count = 0;
        int r;

        r = vk_qemu_driver_get_vcpu_count(vcpu_driver(userdata), p->domain,
                                          vcpu_flags(p) | (p->maximum ? VK_QEMU_VCPU_MAXIMUM : 0),
                                          &count, vk_call_error(call));
        if (r < 0)
                return r;
        res.count = count;
        return vk_call_reply(call, &res);
}

static void vcpu_on_pinned(VkQemuDriver *drv, const char *result, const VkError *error,
                           void *userdata) {
        VkCall *call = userdata;

        if (error) {
                vk_log_debug("%s failed: %s", vk_call_method(call)->name, error->message);
                (void) vk_call_reply_error(call, error);
        } else
                (void) vk_call_reply(call, NULL);
        vk_call_unref(call);
}

static int vcpu_pin(VkCall *call, const VcpuParams *p, int vcpu, void *userdata) {
        int r;

        r = vk_qemu_driver_pin(vcpu_driver(userdata), p->domain, vcpu, p->cpuset, vcpu_flags(p),
                               vcpu_on_pinned, call, vk_call_error(call));
        if (r < 0)
                return r;
        vk_call_ref(call); /* vcpu_on_pinned() replies and unrefs */
        return 0;
}

static int api_pin_vcpu(VkCall *call, void *params, void *userdata) {
        const VcpuParams *p = params;

        if (p->vcpu > INT32_MAX)
                return vk_error_set(vk_call_error(call), VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "vcpu %" PRIu64 " is out of range", p->vcpu);
        return vcpu_pin(call, p, (int) p->vcpu, userdata);
}

static int api_pin_emulator(VkCall *call, void *params, void *userdata) {
        return vcpu_pin(call, params, VK_QEMU_PIN_EMULATOR, userdata);
}

const VkMethod vk_qemud_vcpu_methods[] = {
        { "GetDomainVcpuInfo", &domain_params, &vcpu_info_result, api_vcpu_info, VK_AUTH_READ, 0,
          "The online vCPUs of a running domain, as virsh vcpuinfo: the host CPU each one's "
          "thread last ran on, its CPU time and affinity (QMP query-cpus-fast, /proc)." },
        { "GetDomainVcpuPinInfo", &pin_info_params, &pin_info_result, api_vcpu_pin_info,
          VK_AUTH_READ, 0,
          "The host CPUs each vCPU may run on, of the live or the persistent definition "
          "(<vcpupin>, else <vcpu cpuset=>, else every online CPU)." },
        { "PinDomainVcpu", &pin_vcpu_params, NULL, api_pin_vcpu, VK_AUTH_MANAGE, 0,
          "Pin a vCPU to host CPUs: its running thread (and its cgroup's cpuset) and/or "
          "<cputune><vcpupin> of the persistent definition." },
        { "GetDomainEmulatorPinInfo", &pin_info_params, &emulator_result, api_emulator_pin_info,
          VK_AUTH_READ, 0,
          "The host CPUs the emulator threads may run on (<emulatorpin>, else <vcpu cpuset=>, "
          "else every online CPU)." },
        { "PinDomainEmulator", &pin_emulator_params, NULL, api_pin_emulator, VK_AUTH_MANAGE, 0,
          "Pin the emulator threads (every QEMU thread that is no vCPU or I/O thread) to host "
          "CPUs, live and/or in <cputune><emulatorpin> of the persistent definition." },
        { "GetDomainVcpuCount", &count_params, &count_result, api_vcpu_count, VK_AUTH_READ, 0,
          "The current or maximum number of vCPUs of the live or the persistent definition." },
        {},
};
