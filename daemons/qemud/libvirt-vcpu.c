/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvirt-vcpu.c: org.libvirt.Domain's GetVcpuPinInfo, PinVcpu, GetEmulatorPinInfo,
 * PinEmulator and GetVcpus (libvirt-dbus's members on the vCPU entry points of the driver)
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "libvirt-internal.h"
#include "sd-glue.h"

/* libvirt's virDomainModificationImpact and virDomainVcpuFlags */
#define AFFECT_LIVE        (1u << 0)
#define AFFECT_CONFIG      (1u << 1)
#define VCPU_MAXIMUM       (1u << 2)
#define VCPU_GUEST         (1u << 3)
#define VCPU_HOTPLUGGABLE  (1u << 4)
#define VCPU_MAX_HOST_CPUS 4096u

static int vcpu_fail(VkCall *call, const char *message) {
        g_auto(VkError) e = VK_ERROR_INIT;

        vk_error_set(&e, VK_ERROR_INVALID_ARGUMENT, -EINVAL, "%s", message);
        return vk_libvirt_fail(call, &e);
}

/* The domain of the call, and @flags checked against @known (libvirt's virCheckFlags). */
static int vcpu_domain(VkCall *call, VkQemud *q, uint32_t flags, uint32_t known,
                       VkDomainObj **ret) {
        g_autofree char *bad = NULL;

        if (vk_libvirt_domain_of_call(call, q, ret) < 0)
                return 1;
        if (!(flags & ~known))
                return 0;
        bad = g_strdup_printf("unsupported flags (0x%x)", flags & ~known);
        (void) vcpu_fail(call, bad);
        return 1;
}

/* A CPU list ("0-1,3") as one boolean per host CPU (libvirt-dbus's cpumap). */
static int vcpu_append_map(sd_bus_message *reply, const char *cpuset, unsigned host_cpus) {
        g_autofree int *map = g_new0(int, host_cpus + 1);
        g_auto(GStrv) parts = g_strsplit(cpuset, ",", 0);
        int r;

        for (size_t i = 0; parts[i]; i++) {
                char *end = NULL;
                unsigned long lo = strtoul(parts[i], &end, 10), hi = lo;

                if (end && *end == '-')
                        hi = strtoul(end + 1, NULL, 10);
                for (unsigned long c = lo; c <= hi && c < host_cpus; c++)
                        map[c] = 1;
        }
        /* sd_bus_message_append_array() takes no booleans */
        r = sd_bus_message_open_container(reply, 'a', "b");
        for (unsigned c = 0; r >= 0 && c < host_cpus; c++)
                r = sd_bus_message_append(reply, "b", map[c]);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r;
}

/*
 * A cpumap (ab) read from @msg as a CPU list into *@ret: NULL when it names no CPU. Returns
 * 0 or a negative errno.
 */
static int vcpu_read_map(sd_bus_message *msg, char **ret) {
        g_autoptr(GString) s = g_string_new(NULL);
        unsigned c = 0;
        int b = 0, r;

        r = sd_bus_message_enter_container(msg, 'a', "b");
        while (r >= 0 && (r = sd_bus_message_read(msg, "b", &b)) > 0) {
                if (b && c < VCPU_MAX_HOST_CPUS)
                        g_string_append_printf(s, "%s%u", s->len ? "," : "", c);
                c++;
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(msg);
        if (r < 0)
                return r;
        *ret = s->len ? g_strdup(s->str) : NULL;
        return 0;
}

static int vcpu_reply_message(VkCall *call, sd_bus_message **ret) {
        return sd_bus_message_new_method_return(vk_call_get_bus_message(call), ret);
}

/* GetVcpuPinInfo(flags) → aab: per vCPU, one boolean per host CPU. */
int vk_libvirt_domain_get_vcpu_pin_info(VkCall *call, void *params, void *userdata) {
        g_autoptr(sd_bus_message) reply = NULL;
        g_auto(GStrv) pins = NULL;
        unsigned host_cpus = vk_qemu_driver_host_cpus();
        VkQemud *q = userdata;
        VkDomainObj *obj;
        uint32_t flags;
        int r;

        r = vk_libvirt_read(call, "u", &flags);
        if (r < 0)
                return r;
        if (vcpu_domain(call, q, flags, AFFECT_LIVE | AFFECT_CONFIG, &obj))
                return 0;
        r = vk_qemu_driver_get_vcpu_pins(q->driver, obj->uuid_str, flags, &pins,
                                         vk_call_error(call));
        if (r < 0)
                return vk_libvirt_fail(call, vk_call_error(call));
        r = vcpu_reply_message(call, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "ab");
        for (size_t i = 0; r >= 0 && pins[i]; i++)
                r = vcpu_append_map(reply, pins[i], host_cpus);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return vk_call_reply_message(call, reply);
}

/* GetEmulatorPinInfo(flags) → ab */
int vk_libvirt_domain_get_emulator_pin_info(VkCall *call, void *params, void *userdata) {
        g_autoptr(sd_bus_message) reply = NULL;
        g_autofree char *cpuset = NULL;
        VkQemud *q = userdata;
        VkDomainObj *obj;
        uint32_t flags;
        int r;

        r = vk_libvirt_read(call, "u", &flags);
        if (r < 0)
                return r;
        if (vcpu_domain(call, q, flags, AFFECT_LIVE | AFFECT_CONFIG, &obj))
                return 0;
        r = vk_qemu_driver_get_emulator_pin(q->driver, obj->uuid_str, flags, &cpuset,
                                            vk_call_error(call));
        if (r < 0)
                return vk_libvirt_fail(call, vk_call_error(call));
        r = vcpu_reply_message(call, &reply);
        if (r >= 0)
                r = vcpu_append_map(reply, cpuset, vk_qemu_driver_host_cpus());
        if (r < 0)
                return r;
        return vk_call_reply_message(call, reply);
}

/* PinVcpu(vcpu, cpumap, flags) and PinEmulator(cpumap, flags): @vcpu < 0 for the emulator. */
static int vcpu_pin(VkCall *call, VkQemud *q, int vcpu, const char *cpuset, uint32_t flags) {
        VkDomainObj *obj;

        if (vcpu_domain(call, q, flags, AFFECT_LIVE | AFFECT_CONFIG, &obj))
                return 0;
        if (!cpuset)
                return vcpu_fail(call, "Empty cpu list for pinning");
        return vk_libvirt_async(call,
                                vk_qemu_driver_pin(q->driver, obj->uuid_str, vcpu, cpuset, flags,
                                                   vk_libvirt_on_done, call, vk_call_error(call)));
}

int vk_libvirt_domain_pin_vcpu(VkCall *call, void *params, void *userdata) {
        sd_bus_message *msg = vk_call_get_bus_message(call);
        g_autofree char *cpuset = NULL;
        uint32_t vcpu, flags;
        int r;

        r = sd_bus_message_read(msg, "u", &vcpu);
        if (r >= 0)
                r = vcpu_read_map(msg, &cpuset);
        if (r >= 0)
                r = sd_bus_message_read(msg, "u", &flags);
        if (r < 0)
                return vcpu_fail(call, "PinVcpu: bad arguments");
        if (vcpu > INT32_MAX)
                return vcpu_fail(call, "vcpu is out of range");
        return vcpu_pin(call, userdata, (int) vcpu, cpuset, flags);
}

int vk_libvirt_domain_pin_emulator(VkCall *call, void *params, void *userdata) {
        sd_bus_message *msg = vk_call_get_bus_message(call);
        g_autofree char *cpuset = NULL;
        uint32_t flags;
        int r;

        r = vcpu_read_map(msg, &cpuset);
        if (r >= 0)
                r = sd_bus_message_read(msg, "u", &flags);
        if (r < 0)
                return vcpu_fail(call, "PinEmulator: bad arguments");
        return vcpu_pin(call, userdata, VK_QEMU_PIN_EMULATOR, cpuset, flags);
}

/* GetVcpus(flags) → u: virDomainGetVcpusFlags (no guest agent: VCPU_GUEST is refused). */
int vk_libvirt_domain_get_vcpus(VkCall *call, void *params, void *userdata) {
        g_autoptr(sd_bus_message) reply = NULL;
        VkQemud *q = userdata;
        VkDomainObj *obj;
        unsigned count = 0;
        uint32_t flags;
        int r;

        r = vk_libvirt_read(call, "u", &flags);
        if (r < 0)
                return r;
        if (vcpu_domain(call, q, flags, AFFECT_LIVE | AFFECT_CONFIG | VCPU_MAXIMUM, &obj))
                return 0;
        r = vk_qemu_driver_get_vcpu_count(q->driver, obj->uuid_str,
                                          (flags & (AFFECT_LIVE | AFFECT_CONFIG)) |
                                                  (flags & VCPU_MAXIMUM ? VK_QEMU_VCPU_MAXIMUM : 0),
                                          &count, vk_call_error(call));
        if (r < 0)
                return vk_libvirt_fail(call, vk_call_error(call));
        r = vcpu_reply_message(call, &reply);
        if (r >= 0)
                r = sd_bus_message_append(reply, "u", (uint32_t) count);
        if (r < 0)
                return r;
        return vk_call_reply_message(call, reply);
}
