/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-domain-cpu.c: <cpu> with its <cache> and <numa> cells, and <features><kvm> */
#include <errno.h>
#include <string.h>

#include "macro.h"
#include "qemu-domain-internal.h"

VK_DOMAIN_ENUM_IMPL(vk_kvm_feature, VkKvmFeature, _VK_KVM_FEATURE_MAX, "hidden", "hint-dedicated",
                    "poll-control", "pv-ipi", "dirty-ring")
VK_DOMAIN_ENUM_IMPL(vk_cpu_cache_mode, VkCpuCacheMode, _VK_CPU_CACHE_MAX, NULL, "emulate",
                    "passthrough", "disable")
VK_DOMAIN_ENUM_IMPL(vk_mem_access, VkMemAccess, _VK_MEM_ACCESS_MAX, "default", "shared", "private")

#define CPU_NUMA_CELLS_MAX 128

/*
 * The x86 features libvirt's XML spells differently from QEMU's canonical names (QEMU takes
 * both on its command line; libvirt writes QEMU's there and its own in XML).
 */
static const char *const cpu_feature_names[][2] = {
        /* libvirt       QEMU */
        { "cmp_legacy", "cmp-legacy" },       { "ds_cpl", "ds-cpl" },
        { "fxsr_opt", "fxsr-opt" },           { "kvm_pv_eoi", "kvm-pv-eoi" },
        { "kvm_pv_unhalt", "kvm-pv-unhalt" }, { "lahf_lm", "lahf-lm" },
        { "nodeid_msr", "nodeid-msr" },       { "pclmuldq", "pclmulqdq" },
        { "perfctr_core", "perfctr-core" },   { "perfctr_nb", "perfctr-nb" },
        { "tsc_adjust", "tsc-adjust" },
};

const char *vk_cpu_feature_to_qemu(const char *name) {
        for (size_t i = 0; name && i < VK_ELEMENTSOF(cpu_feature_names); i++)
                if (strcmp(cpu_feature_names[i][0], name) == 0)
                        return cpu_feature_names[i][1];
        return name;
}

const char *vk_cpu_feature_from_qemu(const char *name) {
        for (size_t i = 0; name && i < VK_ELEMENTSOF(cpu_feature_names); i++)
                if (strcmp(cpu_feature_names[i][1], name) == 0)
                        return cpu_feature_names[i][0];
        return name;
}

/* <cache mode='emulate|passthrough|disable' [level='3']/> */
static int cpu_parse_cache(VkDomainCpu *cpu, xmlNode *c, VkError *reterr) {
        int r;

        r = vk_xml_check_node(c, VK_STRV("mode", "level"), VK_XML_NONE, reterr);
        if (r < 0)
                return r;
        r = vk_xml_prop_enum(c, "mode", vk_cpu_cache_mode_from_string,
                             VK_XML_REQUIRED | VK_XML_NONZERO, &cpu->cache_mode, reterr);
        if (r < 0)
                return r;
        r = vk_xml_prop_uint(c, "level", 0, &cpu->cache_level, reterr);
        if (r < 0)
                return r;
        if (r > 0 && cpu->cache_mode != VK_CPU_CACHE_EMULATE)
                return vk_xml_error(c, "level", reterr, "only allowed with mode='emulate'");
        if (r > 0 && cpu->cache_level != 3)
                return vk_xml_error(c, "level", reterr,
                                    "value %u is not supported: QEMU emulates the L3 cache only "
                                    "(level='3')",
                                    cpu->cache_level);
        if (cpu->cache_mode == VK_CPU_CACHE_EMULATE && r == 0)
                return vk_xml_error(c, "level", reterr, "mode='emulate' needs level='3'");
        if (cpu->cache_mode == VK_CPU_CACHE_PASSTHROUGH &&
            cpu->mode != VK_CPU_MODE_HOST_PASSTHROUGH)
                return vk_xml_error(c, "mode", reterr,
                                    "mode='passthrough' needs <cpu mode='host-passthrough'>");
        return 0;
}

/* The memory= (with unit=, KiB by default) of a NUMA cell, in KiB, rounded up */
static int cpu_parse_cell_memory(xmlNode *c, unsigned long long *ret_kib, VkError *reterr) {
        g_autofree char *unit = NULL;
        unsigned long long v, scale = 1024;
        int r;

        r = vk_xml_prop_string(c, "unit", 0, &unit, reterr);
        if (r < 0)
                return r;
        if (unit && vk_domain_memory_unit(unit, &scale) < 0)
                return vk_xml_error(c, "unit", reterr, "unsupported unit '%s'", unit);
        r = vk_xml_prop_ulong(c, "memory", VK_XML_REQUIRED | VK_XML_NONZERO, &v, reterr);
        if (r < 0)
                return r;
        if (v > (1ULL << 50) / scale)
                return vk_xml_error(c, "memory", reterr, "value too large");
        *ret_kib = (v * scale + 1023) / 1024;
        return 0;
}

/* <numa><cell [id=] cpus= memory= [unit=] [memAccess=] [discard=]/>...</numa>, ids 0..n-1 */
static int cpu_parse_numa(VkDomainCpu *cpu, xmlNode *node, VkError *reterr) {
        size_t n = 0;
        int r;

        r = vk_xml_check_node(node, VK_XML_NONE, VK_STRV("cell"), reterr);
        if (r < 0)
                return r;
        for (xmlNode *c = vk_xml_first_element(node); c; c = vk_xml_next_element(c))
                n++;
        if (n == 0)
                return vk_xml_error(node, NULL, reterr, "needs at least one <cell>");
        if (n > CPU_NUMA_CELLS_MAX)
                return vk_xml_error(node, NULL, reterr, "more than %d NUMA cells",
                                    CPU_NUMA_CELLS_MAX);
        cpu->numa_cells = g_new0(VkNumaCell, n);
        cpu->n_numa_cells = n;

        n = 0;
        for (xmlNode *c = vk_xml_first_element(node); c; c = vk_xml_next_element(c), n++) {
                VkNumaCell cell = { .id = (unsigned) n };
                g_autofree bool *map = g_new0(bool, VK_DOMAIN_CPUSET_MAX);

                r = vk_xml_check_node(
                        c, VK_STRV("id", "cpus", "memory", "unit", "memAccess", "discard"),
                        VK_XML_NONE, reterr);
                if (r < 0)
                        return r;
                r = vk_xml_prop_uint(c, "id", 0, &cell.id, reterr);
                if (r < 0)
                        return r;
                if (cell.id >= cpu->n_numa_cells)
                        return vk_xml_error(c, "id", reterr,
                                            "cell id %u out of range (0-%zu: one per cell)",
                                            cell.id, cpu->n_numa_cells - 1);
                if (cpu->numa_cells[cell.id].cpus)
                        return vk_xml_error(c, "id", reterr, "cell id %u given twice", cell.id);
                r = cpu_parse_cell_memory(c, &cell.memory_kib, reterr);
                if (r < 0)
                        return r;
                r = vk_xml_prop_enum(c, "memAccess", vk_mem_access_from_string, VK_XML_NONZERO,
                                     &cell.mem_access, reterr);
                if (r < 0)
                        return r;
                r = vk_xml_prop_tristate_bool(c, "discard", 0, &cell.discard, reterr);
                if (r < 0)
                        return r;
                r = vk_xml_prop_string(c, "cpus", VK_XML_REQUIRED | VK_XML_NONZERO, &cell.cpus,
                                       reterr);
                if (r < 0)
                        return r;
                if (vk_domain_cpuset_parse(cell.cpus, map) < 0) {
                        r = vk_xml_error(c, "cpus", reterr, "invalid CPU set '%s'", cell.cpus);
                        g_free(cell.cpus);
                        return r;
                }
                cpu->numa_cells[cell.id] = cell;
        }
        return 0;
}

/*
 * What needs the whole domain: NUMA cells name vCPUs that exist, each in one cell at most, and
 * their memory is the guest's (libvirt takes <memory> from the cells: so does this, in
 * @def). Called by the parser once <vcpu>, <memory> and <cpu> are all read.
 */
int vk_domain_cpu_check(VkDomainDef *def, xmlNode *root, VkError *reterr) {
        const VkDomainCpu *cpu = &def->cpu;
        g_autofree int *owner = NULL;
        unsigned long long total = 0;

        if (cpu->n_numa_cells == 0)
                return 0;
        owner = g_new(int, VK_DOMAIN_CPUSET_MAX);
        for (unsigned c = 0; c < VK_DOMAIN_CPUSET_MAX; c++)
                owner[c] = -1;
        for (size_t i = 0; i < cpu->n_numa_cells; i++) {
                g_autofree bool *map = g_new0(bool, VK_DOMAIN_CPUSET_MAX);

                (void) vk_domain_cpuset_parse(cpu->numa_cells[i].cpus, map);
                for (unsigned c = 0; c < VK_DOMAIN_CPUSET_MAX; c++) {
                        if (!map[c])
                                continue;
                        if (c >= def->vcpus)
                                return vk_error_set(reterr, VK_ERROR_INVALID_XML, -EINVAL,
                                                    "/domain/cpu/numa/cell[@id='%zu']/@cpus: vCPU "
                                                    "%u does not exist (<vcpu> is %u)",
                                                    i, c, def->vcpus);
                        if (owner[c] >= 0)
                                return vk_error_set(reterr, VK_ERROR_INVALID_XML, -EINVAL,
                                                    "/domain/cpu/numa/cell[@id='%zu']/@cpus: vCPU "
                                                    "%u is in cell %d too",
                                                    i, c, owner[c]);
                        owner[c] = (int) i;
                }
                total += cpu->numa_cells[i].memory_kib;
        }
        if (total > (1ULL << 40))
                return vk_xml_error(root, NULL, reterr,
                                    "<cpu><numa>: the cells' memory is too large");
        if (def->max_memory_kib && total > def->max_memory_kib)
                return vk_xml_error(root, NULL, reterr,
                                    "<cpu><numa>: the cells' %llu KiB exceed <maxMemory>", total);
        /* as libvirt: the guest's memory is what its cells have */
        def->memory_kib = total;
        if (def->current_memory_kib > total)
                def->current_memory_kib = total;
        return 0;
}

/*
 * What libvirt 9.0 writes into <cpu> at define, so that the definition says what the guest
 * gets: a domain without a CPU model gets the machine's default one (qemu64, qemu32 for i686:
 * what QEMU picks for pc and q35) as a custom CPU that must match exactly; a host-passthrough
 * CPU is migratable unless it says otherwise and is not checked; a host-model CPU is checked
 * partially, as is a custom one under KVM (not under TCG); a custom model may fall back.
 */
void vk_domain_cpu_post_parse(VkDomainDef *def) {
        VkDomainCpu *cpu = &def->cpu;

        if (!cpu->present || (cpu->mode == VK_CPU_MODE_CUSTOM && !cpu->model)) {
                cpu->present = true;
                cpu->mode = VK_CPU_MODE_CUSTOM;
                cpu->model = g_strdup(def->arch == VK_DOMAIN_ARCH_I686 ? "qemu32" : "qemu64");
                if (!cpu->match)
                        cpu->match = VK_CPU_MATCH_EXACT;
                if (!cpu->check)
                        cpu->check = VK_CPU_CHECK_NONE;
                if (!cpu->fallback)
                        cpu->fallback = VK_CPU_FALLBACK_FORBID;
        }
        switch (cpu->mode) {
        case VK_CPU_MODE_HOST_PASSTHROUGH:
                if (cpu->migratable == VK_TRISTATE_ABSENT)
                        cpu->migratable = VK_TRISTATE_YES;
                if (!cpu->check)
                        cpu->check = VK_CPU_CHECK_NONE;
                break;
        case VK_CPU_MODE_HOST_MODEL:
                if (!cpu->check)
                        cpu->check = VK_CPU_CHECK_PARTIAL;
                break;
        case VK_CPU_MODE_CUSTOM:
                if (!cpu->match)
                        cpu->match = VK_CPU_MATCH_EXACT;
                if (!cpu->check)
                        cpu->check = def->virt_type == VK_DOMAIN_VIRT_QEMU ? VK_CPU_CHECK_NONE
                                                                           : VK_CPU_CHECK_PARTIAL;
                if (!cpu->fallback)
                        cpu->fallback = VK_CPU_FALLBACK_ALLOW;
                break;
        default:
                break;
        }
}

/* Free what @cpu owns (not @cpu itself). */
void vk_domain_cpu_clear(VkDomainCpu *cpu) {
        g_free(cpu->model);
        g_free(cpu->vendor);
        for (size_t i = 0; i < cpu->n_features; i++)
                g_free(cpu->features[i].name);
        g_free(cpu->features);
        for (size_t i = 0; i < cpu->n_numa_cells; i++)
                g_free(cpu->numa_cells[i].cpus);
        g_free(cpu->numa_cells);
}

/* Replace the pointers of @cpu, a struct copy, by copies of what they point to. */
void vk_domain_cpu_copy(VkDomainCpu *cpu) {
        cpu->model = g_strdup(cpu->model);
        cpu->vendor = g_strdup(cpu->vendor);
        cpu->features = cpu->n_features
                                ? g_memdup2(cpu->features, cpu->n_features * sizeof(*cpu->features))
                                : NULL;
        for (size_t i = 0; i < cpu->n_features; i++)
                cpu->features[i].name = g_strdup(cpu->features[i].name);
        cpu->numa_cells = cpu->n_numa_cells ? g_memdup2(cpu->numa_cells,
                                                        cpu->n_numa_cells * sizeof(VkNumaCell))
                                            : NULL;
        for (size_t i = 0; i < cpu->n_numa_cells; i++)
                cpu->numa_cells[i].cpus = g_strdup(cpu->numa_cells[i].cpus);
}

/*
 * <cpu mode= match= check= migratable=>: <model>, <vendor>, <topology>, <cache>, <feature>s,
 * <numa>. A started host-model CPU is a custom one with the host's vendor.
 *
 *   <cpu mode='host-passthrough'>
 *     <topology sockets='1' dies='1' cores='2' threads='2'/>
 *     <cache mode='passthrough'/>
 *     <numa><cell id='0' cpus='0-1' memory='1048576' unit='KiB'/></numa>
 *   </cpu>
 */
int vk_domain_cpu_parse(VkDomainDef *def, xmlNode *node, VkError *reterr) {
        VkDomainCpu *cpu = &def->cpu;
        int r;

        r = vk_xml_check_node(node, VK_STRV("mode", "match", "check", "migratable"),
                              VK_STRV("model", "vendor", "topology", "feature", "cache", "numa"),
                              reterr);
        if (r < 0)
                return r;
        r = vk_xml_check_unique(node, VK_STRV("model", "vendor", "topology", "cache", "numa"),
                                reterr);
        if (r < 0)
                return r;

        cpu->present = true;
        if (vk_xml_prop_enum(node, "mode", vk_cpu_mode_from_string, 0, &cpu->mode, reterr) < 0 ||
            vk_xml_prop_enum(node, "match", vk_cpu_match_from_string, VK_XML_NONZERO, &cpu->match,
                             reterr) < 0 ||
            vk_xml_prop_enum(node, "check", vk_cpu_check_from_string, VK_XML_NONZERO, &cpu->check,
                             reterr) < 0 ||
            vk_xml_prop_tristate_switch(node, "migratable", 0, &cpu->migratable, reterr) < 0)
                return -EINVAL;
        if (cpu->migratable != VK_TRISTATE_ABSENT && cpu->mode != VK_CPU_MODE_HOST_PASSTHROUGH)
                return vk_xml_error(node, "migratable", reterr,
                                    "only allowed with mode='host-passthrough'");
        if (cpu->match != VK_CPU_MATCH_DEFAULT && cpu->mode != VK_CPU_MODE_CUSTOM)
                return vk_xml_error(node, "match", reterr, "only allowed with mode='custom'");

        for (xmlNode *c = vk_xml_first_element(node); c; c = vk_xml_next_element(c)) {
                if (vk_xml_node_is(c, NULL, "model")) {
                        r = vk_xml_check_node(c, VK_STRV("fallback"), NULL, reterr);
                        if (r < 0)
                                return r;
                        r = vk_xml_prop_enum(c, "fallback", vk_cpu_fallback_from_string,
                                             VK_XML_NONZERO, &cpu->fallback, reterr);
                        if (r < 0)
                                return r;
                        r = vk_xml_node_text(c, VK_XML_REQUIRED, &cpu->model, reterr);
                        if (r < 0)
                                return r;
                        if (cpu->mode == VK_CPU_MODE_HOST_PASSTHROUGH)
                                return vk_xml_error(c, NULL, reterr,
                                                    "a CPU model is not allowed with "
                                                    "mode='host-passthrough'");
                } else if (vk_xml_node_is(c, NULL, "vendor")) {
                        r = vk_xml_check_node(c, VK_XML_NONE, NULL, reterr);
                        if (r < 0)
                                return r;
                        r = vk_xml_node_text(c, VK_XML_REQUIRED, &cpu->vendor, reterr);
                        if (r < 0)
                                return r;
                        if (cpu->mode != VK_CPU_MODE_CUSTOM)
                                return vk_xml_error(c, NULL, reterr,
                                                    "a CPU vendor is only allowed with "
                                                    "mode='custom'");
                } else if (vk_xml_node_is(c, NULL, "topology")) {
                        r = vk_xml_check_node(c, VK_STRV("sockets", "dies", "cores", "threads"),
                                              VK_XML_NONE, reterr);
                        if (r < 0)
                                return r;
                        if (vk_xml_prop_uint(c, "sockets", VK_XML_REQUIRED | VK_XML_NONZERO,
                                             &cpu->sockets, reterr) < 0 ||
                            vk_xml_prop_uint(c, "dies", VK_XML_NONZERO, &cpu->dies, reterr) < 0 ||
                            vk_xml_prop_uint(c, "cores", VK_XML_REQUIRED | VK_XML_NONZERO,
                                             &cpu->cores, reterr) < 0 ||
                            vk_xml_prop_uint(c, "threads", VK_XML_REQUIRED | VK_XML_NONZERO,
                                             &cpu->threads, reterr) < 0)
                                return -EINVAL;
                        if ((unsigned long long) cpu->sockets * MAX(cpu->dies, 1) * cpu->cores *
                                    cpu->threads >
                            4096)
                                return vk_xml_error(c, NULL, reterr, "topology too large");
                } else if (vk_xml_node_is(c, NULL, "cache")) {
                        r = cpu_parse_cache(cpu, c, reterr);
                        if (r < 0)
                                return r;
                } else if (vk_xml_node_is(c, NULL, "numa")) {
                        r = cpu_parse_numa(cpu, c, reterr);
                        if (r < 0)
                                return r;
                } else {
                        VkCpuFeature f = { .policy = VK_CPU_FEATURE_REQUIRE };

                        if (cpu->n_features >= 256)
                                return vk_xml_error(c, NULL, reterr, "too many CPU features");
                        r = vk_xml_check_node(c, VK_STRV("policy", "name"), VK_XML_NONE, reterr);
                        if (r < 0)
                                return r;
                        r = vk_xml_prop_enum(c, "policy", vk_cpu_feature_policy_from_string, 0,
                                             &f.policy, reterr);
                        if (r < 0)
                                return r;
                        r = vk_xml_prop_string(c, "name", VK_XML_REQUIRED | VK_XML_NONZERO, &f.name,
                                               reterr);
                        if (r < 0)
                                return r;
                        for (size_t i = 0; i < cpu->n_features; i++)
                                if (strcmp(cpu->features[i].name, f.name) == 0) {
                                        g_free(f.name);
                                        return vk_xml_error(c, "name", reterr,
                                                            "CPU feature '%s' listed twice",
                                                            cpu->features[i].name);
                                }
                        cpu->features = g_renew(VkCpuFeature, cpu->features, cpu->n_features + 1);
                        cpu->features[cpu->n_features++] = f;
                }
        }

        if (cpu->fallback != VK_CPU_FALLBACK_DEFAULT && cpu->mode == VK_CPU_MODE_HOST_PASSTHROUGH)
                return vk_xml_error(node, NULL, reterr, "fallback needs a CPU model");
        if (cpu->vendor && !cpu->model)
                return vk_xml_error(node, NULL, reterr, "<vendor> needs a <model>");
        return 0;
}

void vk_domain_cpu_format(VkXmlWriter *w, const VkDomainCpu *cpu) {
        if (!cpu->present)
                return;

        vk_xml_writer_start(w, "cpu");
        vk_xml_writer_attr(w, "mode", vk_cpu_mode_to_string(cpu->mode));
        if (cpu->match)
                vk_xml_writer_attr(w, "match", vk_cpu_match_to_string(cpu->match));
        if (cpu->check)
                vk_xml_writer_attr(w, "check", vk_cpu_check_to_string(cpu->check));
        vk_xml_writer_attr(w, "migratable", vk_tristate_switch_to_string(cpu->migratable));
        if (cpu->model) {
                vk_xml_writer_start(w, "model");
                if (cpu->fallback)
                        vk_xml_writer_attr(w, "fallback", vk_cpu_fallback_to_string(cpu->fallback));
                vk_xml_writer_text(w, cpu->model);
                vk_xml_writer_end(w);
        }
        if (cpu->vendor) {
                vk_xml_writer_start(w, "vendor");
                vk_xml_writer_text(w, cpu->vendor);
                vk_xml_writer_end(w);
        }
        if (cpu->sockets) {
                vk_xml_writer_start(w, "topology");
                vk_xml_writer_attrf(w, "sockets", "%u", cpu->sockets);
                if (cpu->dies)
                        vk_xml_writer_attrf(w, "dies", "%u", cpu->dies);
                vk_xml_writer_attrf(w, "cores", "%u", cpu->cores);
                vk_xml_writer_attrf(w, "threads", "%u", cpu->threads);
                vk_xml_writer_end(w);
        }
        if (cpu->cache_mode) {
                vk_xml_writer_start(w, "cache");
                if (cpu->cache_level)
                        vk_xml_writer_attrf(w, "level", "%u", cpu->cache_level);
                vk_xml_writer_attr(w, "mode", vk_cpu_cache_mode_to_string(cpu->cache_mode));
                vk_xml_writer_end(w);
        }
        for (size_t i = 0; i < cpu->n_features; i++) {
                vk_xml_writer_start(w, "feature");
                vk_xml_writer_attr(w, "policy",
                                   vk_cpu_feature_policy_to_string(cpu->features[i].policy));
                vk_xml_writer_attr(w, "name", cpu->features[i].name);
                vk_xml_writer_end(w);
        }
        if (cpu->n_numa_cells) {
                vk_xml_writer_start(w, "numa");
                for (size_t i = 0; i < cpu->n_numa_cells; i++) {
                        const VkNumaCell *cell = &cpu->numa_cells[i];

                        vk_xml_writer_start(w, "cell");
                        vk_xml_writer_attrf(w, "id", "%u", cell->id);
                        vk_xml_writer_attr(w, "cpus", cell->cpus);
                        vk_xml_writer_attrf(w, "memory", "%llu", cell->memory_kib);
                        vk_xml_writer_attr(w, "unit", "KiB");
                        if (cell->mem_access)
                                vk_xml_writer_attr(w, "memAccess",
                                                   vk_mem_access_to_string(cell->mem_access));
                        vk_xml_writer_attr(w, "discard", vk_tristate_bool_to_string(cell->discard));
                        vk_xml_writer_end(w);
                }
                vk_xml_writer_end(w);
        }
        vk_xml_writer_end(w);
}

/* <kvm>: <hidden|hint-dedicated|poll-control|pv-ipi state=/>, <dirty-ring state= size=/> */
int vk_domain_kvm_parse(VkDomainKvm *kvm, xmlNode *node, VkError *reterr) {
        const char *names[_VK_KVM_FEATURE_MAX + 1] = {};
        int r;

        for (int f = 0; f < _VK_KVM_FEATURE_MAX; f++)
                names[f] = vk_kvm_feature_to_string(f);
        r = vk_xml_check_node(node, VK_XML_NONE, names, reterr);
        if (r < 0)
                return r;
        r = vk_xml_check_unique(node, names, reterr);
        if (r < 0)
                return r;
        kvm->present = true;
        for (xmlNode *c = vk_xml_first_element(node); c; c = vk_xml_next_element(c)) {
                VkKvmFeature f = vk_kvm_feature_from_string((const char *) c->name);
                unsigned size;

                r = vk_xml_check_node(
                        c, f == VK_KVM_DIRTY_RING ? VK_STRV("state", "size") : VK_STRV("state"),
                        VK_XML_NONE, reterr);
                if (r < 0)
                        return r;
                r = vk_xml_prop_tristate_switch(c, "state", VK_XML_REQUIRED, &kvm->features[f],
                                                reterr);
                if (r < 0)
                        return r;
                if (f != VK_KVM_DIRTY_RING || kvm->features[f] != VK_TRISTATE_YES)
                        continue;
                r = vk_xml_prop_uint(c, "size", VK_XML_REQUIRED, &size, reterr);
                if (r < 0)
                        return r;
                /* KVM takes a power of two between 1024 and 65536 entries */
                if (size < 1024 || size > 65536 || (size & (size - 1)) != 0)
                        return vk_xml_error(c, "size", reterr,
                                            "value %u must be a power of 2 in 1024-65536", size);
                kvm->dirty_ring_size = size;
        }
        return 0;
}

void vk_domain_kvm_format(VkXmlWriter *w, const VkDomainKvm *kvm) {
        if (!kvm->present)
                return;
        vk_xml_writer_start(w, "kvm");
        for (int f = 0; f < _VK_KVM_FEATURE_MAX; f++) {
                if (kvm->features[f] == VK_TRISTATE_ABSENT)
                        continue;
                vk_xml_writer_start(w, vk_kvm_feature_to_string(f));
                vk_xml_writer_attr(w, "state", vk_tristate_switch_to_string(kvm->features[f]));
                if (f == VK_KVM_DIRTY_RING && kvm->dirty_ring_size)
                        vk_xml_writer_attrf(w, "size", "%u", kvm->dirty_ring_size);
                vk_xml_writer_end(w);
        }
        vk_xml_writer_end(w);
}
