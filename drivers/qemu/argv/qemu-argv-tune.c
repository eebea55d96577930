/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-argv-tune.c: guest RAM backends, NUMA nodes, I/O threads, the CPU's KVM/PMU/cache flags */
#include <errno.h>
#include <string.h>

#include "macro.h"
#include "qemu-argv-internal.h"

/* ---- -cpu: <features><kvm>, <pmu>, <cpu><cache> ---- */

/*
 * The CPU properties of <features><kvm>, <pmu> and <cpu><cache>, appended to @s after the
 * Hyper-V ones, as libvirt 9.0 writes them.
 */
int argv_cpu_tune(ArgvBuilder *b, GString *s) {
        const VkDomainDef *def = b->def;
        const VkDomainKvm *kvm = &def->kvm;
        bool passthrough = def->cpu.present && def->cpu.mode == VK_CPU_MODE_HOST_PASSTHROUGH;

        if (kvm->present && def->virt_type != VK_DOMAIN_VIRT_KVM)
                return argv_error(b, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                  "<features><kvm> needs domain type 'kvm'");
        if (kvm->features[VK_KVM_HIDDEN] == VK_TRISTATE_YES)
                g_string_append(s, ",kvm=off");
        if (kvm->features[VK_KVM_HINT_DEDICATED] == VK_TRISTATE_YES) {
                if (!passthrough)
                        return argv_error(b, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                          "<features><kvm><hint-dedicated state='on'> needs "
                                          "<cpu mode='host-passthrough'>");
                g_string_append(s, ",kvm-hint-dedicated=on");
        }
        if (kvm->features[VK_KVM_POLL_CONTROL] == VK_TRISTATE_YES)
                g_string_append(s, ",kvm-poll-control=on");
        if (kvm->features[VK_KVM_PV_IPI] == VK_TRISTATE_NO)
                g_string_append(s, ",kvm-pv-ipi=off");

        if (def->features[VK_FEATURE_PMU] != VK_TRISTATE_ABSENT)
                g_string_append_printf(s, ",pmu=%s",
                                       vk_tristate_switch_to_string(def->features[VK_FEATURE_PMU]));

        switch (def->cpu.cache_mode) {
        case VK_CPU_CACHE_EMULATE:
                g_string_append(s, ",l3-cache=on");
                if (passthrough)
                        g_string_append(s, ",host-cache-info=off");
                break;
        case VK_CPU_CACHE_PASSTHROUGH:
                g_string_append(s, ",host-cache-info=on,l3-cache=off");
                break;
        case VK_CPU_CACHE_DISABLE:
                if (passthrough)
                        g_string_append(s, ",host-cache-info=off");
                g_string_append(s, ",l3-cache=off");
                break;
        default:
                break;
        }
        return 0;
}

/* -accel kvm's options: the dirty ring */
void argv_accel_tune(ArgvBuilder *b, GString *s) {
        const VkDomainKvm *kvm = &b->def->kvm;

        if (kvm->features[VK_KVM_DIRTY_RING] == VK_TRISTATE_YES && kvm->dirty_ring_size)
                g_string_append_printf(s, ",dirty-ring-size=%u", kvm->dirty_ring_size);
}

/* ---- guest RAM ---- */

/* x86 guest RAM comes in whole MiB: libvirt rounds <memory> and NUMA cells up. */
static unsigned long long argv_bytes_mib(unsigned long long kib) {
        return (kib + 1023) / 1024 * 1024 * 1024;
}

/*
 * The memory backend object of the guest's RAM, or of NUMA cell @cell (NULL: all of it, as
 * id pc.ram), following <memoryBacking> and the cell's memAccess=. NULL with an error set
 * for what virtkit does not support.
 */
static JsonObject *argv_memory_backend(ArgvBuilder *b, const char *id, unsigned long long kib,
                                       const VkNumaCell *cell) {
        const VkMemoryBacking *mb = &b->def->memory_backing;
        VkMemAccess access = mb->access;
        bool memfd = mb->source == VK_MEM_SOURCE_MEMFD;
        JsonObject *o;

        if (cell && cell->mem_access != VK_MEM_ACCESS_DEFAULT)
                access = cell->mem_access;
        if (mb->source == VK_MEM_SOURCE_FILE) {
                argv_error(b, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                           "<memoryBacking><source type='file'> is not supported (use "
                           "type='memfd')");
                return NULL;
        }
        if (mb->hugepages && !memfd) {
                argv_error(b, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                           "<memoryBacking><hugepages> is supported with <source type='memfd'/> "
                           "only (virtkit does not manage hugetlbfs mounts)");
                return NULL;
        }
        if (access == VK_MEM_ACCESS_SHARED && !memfd) {
                argv_error(b, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                           "shared guest memory (%s) needs <memoryBacking><source "
                           "type='memfd'/>: virtkit does not back memory with files",
                           cell ? "memAccess='shared'" : "<access mode='shared'>");
                return NULL;
        }

        o = json_object_new();
        argv_jset_str(o, "qom-type", memfd ? "memory-backend-memfd" : "memory-backend-ram");
        argv_jset_str(o, "id", id);
        if (memfd && mb->hugepages) {
                argv_jset_bool(o, "hugetlb", true);
                if (mb->hugepage_kib)
                        argv_jset_int(o, "hugetlbsize", (int64_t) (mb->hugepage_kib * 1024));
        }
        if (access != VK_MEM_ACCESS_DEFAULT)
                argv_jset_bool(o, "share", access == VK_MEM_ACCESS_SHARED);
        if (mb->allocation == VK_MEM_ALLOCATION_IMMEDIATE ||
            (mb->hugepages && mb->allocation != VK_MEM_ALLOCATION_ONDEMAND))
                argv_jset_bool(o, "prealloc", true);
        if (mb->allocation_threads)
                argv_jset_int(o, "prealloc-threads", mb->allocation_threads);
        /* the RAM block keeps QEMU's built-in name (pc.ram): the migration stream is the same */
        if (memfd && !cell)
                argv_jset_bool(o, "x-use-canonical-path-for-ramblock-id", false);
        argv_jset_int(o, "size", (int64_t) argv_bytes_mib(kib));
        return o;
}

/*
 * -object for the guest's RAM (pc.ram) unless NUMA cells hold it, then -overcommit. Returns
 * 0, or -errno with the error set.
 */
int argv_build_ram(ArgvBuilder *b) {
        const VkDomainDef *def = b->def;
        JsonObject *o;

        if (def->cpu.n_numa_cells == 0) {
                o = argv_memory_backend(b, ARGV_RAM_ID, def->memory_kib, NULL);
                if (!o)
                        return -EOPNOTSUPP;
                argv_add_json(b, "-object", o);
        }
        argv_add_pair(b, "-overcommit",
                      def->memory_backing.locked ? "mem-lock=on" : "mem-lock=off");
        return 0;
}

/* "cpus=0-1,cpus=3": a cell's CPU set as QEMU's repeated ranges */
static void argv_numa_cpus(GString *s, const char *cpus) {
        g_autofree bool *map = g_new0(bool, VK_DOMAIN_CPUSET_MAX);

        (void) vk_domain_cpuset_parse(cpus, map);
        for (unsigned c = 0; c < VK_DOMAIN_CPUSET_MAX; c++) {
                unsigned end = c;

                if (!map[c])
                        continue;
                while (end + 1 < VK_DOMAIN_CPUSET_MAX && map[end + 1])
                        end++;
                if (end > c)
                        g_string_append_printf(s, ",cpus=%u-%u", c, end);
                else
                        g_string_append_printf(s, ",cpus=%u", c);
                c = end;
        }
}

/*
 * After -smp, as libvirt 9.0: an -object iothread per I/O thread, then per NUMA cell its
 * memory backend and -numa node. Returns 0, or -errno with the error set.
 */
int argv_build_iothreads_numa(ArgvBuilder *b) {
        const VkDomainDef *def = b->def;

        for (unsigned i = 0; i < def->n_iothreads; i++) {
                unsigned id = vk_domain_iothread_id(def, i);
                g_autofree char *alias = g_strdup_printf("iothread%u", id);
                JsonObject *o = json_object_new();

                argv_jset_str(o, "qom-type", "iothread");
                argv_jset_str(o, "id", alias);
                for (size_t j = 0; j < def->n_iothreadids; j++) {
                        const VkIothread *t = &def->iothreadids[j];

                        if (t->id != id)
                                continue;
                        if (t->pool_min >= 0)
                                argv_jset_int(o, "thread-pool-min", t->pool_min);
                        if (t->pool_max >= 0)
                                argv_jset_int(o, "thread-pool-max", t->pool_max);
                        if (t->has_poll_max)
                                argv_jset_int(o, "poll-max-ns", (int64_t) t->poll_max);
                        if (t->has_poll_grow)
                                argv_jset_int(o, "poll-grow", (int64_t) t->poll_grow);
                        if (t->has_poll_shrink)
                                argv_jset_int(o, "poll-shrink", (int64_t) t->poll_shrink);
                }
                argv_add_json(b, "-object", o);
        }

        for (size_t i = 0; i < def->cpu.n_numa_cells; i++) {
                const VkNumaCell *cell = &def->cpu.numa_cells[i];
                g_autofree char *id = g_strdup_printf("ram-node%u", cell->id);
                g_autoptr(GString) node = g_string_new(NULL);
                JsonObject *o;

                o = argv_memory_backend(b, id, cell->memory_kib, cell);
                if (!o)
                        return -EOPNOTSUPP;
                argv_add_json(b, "-object", o);
                g_string_append_printf(node, "node,nodeid=%u", cell->id);
                argv_numa_cpus(node, cell->cpus);
                g_string_append_printf(node, ",memdev=%s", id);
                argv_add_pair(b, "-numa", node->str);
        }
        return 0;
}
