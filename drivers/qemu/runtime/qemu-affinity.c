/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-affinity.c: host CPU sets and the affinity of QEMU's threads (pins, vcpuinfo) */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "macro.h"
#include "qemu-affinity.h"
#include "qemu-domain-def.h"

static int affinity_read_map(const char *path, bool **ret, VkError *reterr) {
        g_autofree char *text = NULL;
        g_autofree bool *map = g_new0(bool, VK_DOMAIN_CPUSET_MAX);
        g_autoptr(GError) gerr = NULL;

        if (!g_file_get_contents(path, &text, NULL, &gerr))
                return vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, -EIO,
                                    "cannot read the host's CPUs: %s", gerr->message);
        if (vk_domain_cpuset_parse(g_strstrip(text), map) < 0)
                return vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, -EIO,
                                    "cannot parse the host's CPUs '%s' (%s)", text, path);
        *ret = g_steal_pointer(&map);
        return 0;
}

/* The host's online CPUs, as a map. */
int vk_qemu_affinity_online(bool **ret, VkError *reterr) {
        return affinity_read_map("/sys/devices/system/cpu/online", ret, reterr);
}

/* The highest present CPU + 1 (at least 1). */
unsigned vk_qemu_affinity_host_cpus(void) {
        g_autofree bool *map = NULL;
        unsigned n = 0;

        if (affinity_read_map("/sys/devices/system/cpu/present", &map, NULL) < 0) {
                long c = sysconf(_SC_NPROCESSORS_CONF);

                return c > 0 ? (unsigned) c : 1;
        }
        for (unsigned c = 0; c < VK_DOMAIN_CPUSET_MAX; c++)
                if (map[c])
                        n = c + 1;
        return MAX(n, 1u);
}

char *vk_qemu_affinity_format(const bool *map) {
        GString *s = g_string_new(NULL);

        for (unsigned c = 0; c < VK_DOMAIN_CPUSET_MAX; c++) {
                unsigned last = c;

                if (!map[c])
                        continue;
                while (last + 1 < VK_DOMAIN_CPUSET_MAX && map[last + 1])
                        last++;
                g_string_append_printf(s, "%s%u", s->len ? "," : "", c);
                if (last > c)
                        g_string_append_printf(s, "-%u", last);
                c = last;
        }
        return g_string_free(s, FALSE);
}

/*
 * The map of @cpuset, the value of @what (an element with its attributes, for the error),
 * checked against the host's online CPUs @online. An empty set is refused too.
 */
int vk_qemu_affinity_parse(const bool *online, const char *cpuset, const char *what,
                           const char *name, bool **ret, VkError *reterr) {
        g_autofree bool *map = g_new0(bool, VK_DOMAIN_CPUSET_MAX);
        g_autofree char *online_list = vk_qemu_affinity_format(online);
        bool any = false;

        if (!cpuset || vk_domain_cpuset_parse(cpuset, map) < 0)
                return vk_error_set(reterr, VK_ERROR_INVALID_XML, -EINVAL,
                                    "domain '%s': %s: invalid CPU set '%s'", name, what,
                                    vk_strempty(cpuset));
        for (unsigned c = 0; c < VK_DOMAIN_CPUSET_MAX; c++) {
                if (map[c] && !online[c])
                        return vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, -EINVAL,
                                            "domain '%s': %s: CPU %u of cpuset '%s' is not an "
                                            "online CPU of this host (online: %s)",
                                            name, what, c, cpuset, online_list);
                any = any || map[c];
        }
        if (!any)
                return vk_error_set(reterr, VK_ERROR_INVALID_XML, -EINVAL,
                                    "domain '%s': %s: the CPU set '%s' is empty", name, what,
                                    cpuset);
        *ret = g_steal_pointer(&map);
        return 0;
}

int vk_qemu_affinity_set(pid_t tid, const bool *map, const char *what, const char *name,
                         VkError *reterr) {
        size_t size = CPU_ALLOC_SIZE(VK_DOMAIN_CPUSET_MAX);
        cpu_set_t *set = CPU_ALLOC(VK_DOMAIN_CPUSET_MAX);
        int r;

        if (!set)
                return vk_error_set_errno(reterr, ENOMEM, "Failed to allocate a CPU set");
        CPU_ZERO_S(size, set);
        for (unsigned c = 0; c < VK_DOMAIN_CPUSET_MAX; c++)
                if (map[c])
                        CPU_SET_S(c, size, set);
        r = sched_setaffinity(tid, size, set);
        CPU_FREE(set);
        if (r < 0)
                return vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, vk_negative_errno(errno),
                                    "domain '%s': cannot pin %s (thread %d): %s", name, what,
                                    (int) tid, g_strerror(errno));
        return 0;
}

int vk_qemu_affinity_get(pid_t tid, bool **ret, VkError *reterr) {
        size_t size = CPU_ALLOC_SIZE(VK_DOMAIN_CPUSET_MAX);
        cpu_set_t *set = CPU_ALLOC(VK_DOMAIN_CPUSET_MAX);
        g_autofree bool *map = g_new0(bool, VK_DOMAIN_CPUSET_MAX);
        int r;

        if (!set)
                return vk_error_set_errno(reterr, ENOMEM, "Failed to allocate a CPU set");
        CPU_ZERO_S(size, set);
        r = sched_getaffinity(tid, size, set);
        if (r < 0) {
                r = -errno;
                CPU_FREE(set);
                return vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, r,
                                    "cannot get the affinity of thread %d: %s", (int) tid,
                                    g_strerror(-r));
        }
        for (unsigned c = 0; c < VK_DOMAIN_CPUSET_MAX; c++)
                map[c] = CPU_ISSET_S(c, size, set);
        CPU_FREE(set);
        *ret = g_steal_pointer(&map);
        return 0;
}

/* Fields 14 (utime), 15 (stime) and 39 (processor) of /proc/PID/task/TID/stat. */
int vk_qemu_thread_stat(pid_t pid, pid_t tid, VkQemuThreadStat *ret) {
        g_autofree char *path = g_strdup_printf("/proc/%d/task/%d/stat", (int) pid, (int) tid);
        g_autofree char *text = NULL;
        g_auto(GStrv) f = NULL;
        const char *end;
        long tck = sysconf(_SC_CLK_TCK);

        if (!g_file_get_contents(path, &text, NULL, NULL))
                return -ESRCH;
        end = strrchr(text, ')'); /* the name may hold blanks and parentheses */
        if (!end)
                return -EIO;
        f = g_strsplit(end + 2, " ", 0);
        /* f[0] is field 3 */
        if (g_strv_length(f) < 37)
                return -EIO;
        *ret = (VkQemuThreadStat){
                .cpu = (int) g_ascii_strtoll(f[36], NULL, 10),
                .cpu_time_ns =
                        (g_ascii_strtoull(f[11], NULL, 10) + g_ascii_strtoull(f[12], NULL, 10)) *
                        (1000000000ULL / (uint64_t) (tck > 0 ? tck : 100)),
        };
        return 0;
}

void vk_qemu_affinity_vcpu_tids(JsonNode *ret, pid_t *tids, unsigned n) {
        JsonArray *a = ret && JSON_NODE_HOLDS_ARRAY(ret) ? json_node_get_array(ret) : NULL;

        for (guint i = 0; a && i < json_array_get_length(a); i++) {
                JsonObject *o = json_array_get_object_element(a, i);
                gint64 index = o ? json_object_get_int_member_with_default(o, "cpu-index", -1) : -1;

                if (index >= 0 && index < (gint64) n)
                        tids[index] =
                                (pid_t) json_object_get_int_member_with_default(o, "thread-id", 0);
        }
}

void vk_qemu_affinity_iothread_tids(JsonNode *ret, const unsigned *ids, pid_t *tids, unsigned n) {
        JsonArray *a = ret && JSON_NODE_HOLDS_ARRAY(ret) ? json_node_get_array(ret) : NULL;

        for (guint i = 0; a && i < json_array_get_length(a); i++) {
                JsonObject *o = json_array_get_object_element(a, i);
                const char *id = o ? json_object_get_string_member_with_default(o, "id", "") : "";

                for (unsigned k = 0; k < n; k++) {
                        g_autofree char *alias = g_strdup_printf("iothread%u", ids[k]);

                        if (g_str_equal(id, alias))
                                tids[k] = (pid_t) json_object_get_int_member_with_default(
                                        o, "thread-id", 0);
                }
        }
}
