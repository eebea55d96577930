/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * qemu-caps-hostcpu.c: the host-model CPU, computed once per emulator from QEMU's own answers
 * (libvirt 9.0's rules, with QEMU's model definitions instead of libvirt's CPU map): under KVM
 * the probe asks query-cpu-model-expansion (static) of "host", migratable and not, and of
 * every named model of query-cpu-definitions. The model kept is the one that needs the
 * fewest changes to become the host: one with the host's family and model first (generic
 * models like qemu64 name no CPU), none of another vendor, then the smallest score, where
 * each feature to add counts 1 and the removed ones count 2, 3, 4... (removing is worse than
 * adding); ties go to the first by name. The result is stored with the caps (and their
 * cache), so a start costs nothing. Under TCG nothing is computed: host-model runs "max".
 */
#include <assert.h>
#include <errno.h>
#include <string.h>

#include "macro.h"
#include "qemu-caps-hostcpu.h"
#include "qemu-caps-internal.h"

#define EXPANSION "query-cpu-model-expansion"

/* What a static expansion reports, as we compare it. */
typedef struct CpuProps {
        GHashTable *on; /* feature names that are on (set, borrowed from the reply) */
        int64_t family, model, stepping;
        const char *vendor;   /* CPUID vendor string, e.g. GenuineIntel */
        const char *model_id; /* the model's brand string */
} CpuProps;

static void cpu_props_done(CpuProps *p) {
        g_clear_pointer(&p->on, g_hash_table_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(CpuProps, cpu_props_done)

/*
 * Which boolean properties are CPU features as libvirt models them: the CPUID and MSR
 * feature bits. Left out: KVM's paravirtual leaf (kvm*, set by QEMU for any model under KVM,
 * the hypervisor's business) and the nested VMX capabilities (vmx-*), which libvirt 9.0 does
 * not model either.
 */
static bool hostcpu_is_feature(const char *name) {
        return !g_str_has_prefix(name, "kvm") && !g_str_has_prefix(name, "vmx-");
}

static bool cpu_props_load(JsonNode *reply, CpuProps *ret) {
        JsonObject *model, *props;
        g_autoptr(GList) names = NULL;

        model = reply && JSON_NODE_HOLDS_OBJECT(reply)
                        ? json_get_object(json_node_get_object(reply), "model")
                        : NULL;
        props = json_get_object(model, "props");
        if (!props)
                return false;
        *ret = (CpuProps){
                .on = g_hash_table_new(g_str_hash, g_str_equal),
                .family = json_get_int(props, "family", -1),
                .model = json_get_int(props, "model", -1),
                .stepping = json_get_int(props, "stepping", -1),
                .vendor = json_get_string(props, "vendor"),
                .model_id = json_get_string(props, "model-id"),
        };
        names = json_object_get_members(props);
        for (GList *l = names; l; l = l->next) {
                JsonNode *n = json_object_get_member(props, l->data);

                if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_BOOLEAN ||
                    !hostcpu_is_feature(l->data))
                        continue;
                if (json_node_get_boolean(n))
                        g_hash_table_add(ret->on, l->data);
        }
        return true;
}

/* libvirt's name of a CPUID vendor string; NULL if it is none of these. */
static const char *hostcpu_vendor_name(const char *cpuid_vendor) {
        if (g_strcmp0(cpuid_vendor, "GenuineIntel") == 0)
                return "Intel";
        if (g_strcmp0(cpuid_vendor, "AuthenticAMD") == 0)
                return "AMD";
        if (g_strcmp0(cpuid_vendor, "HygonGenuine") == 0)
                return "Hygon";
        return NULL;
}

/*
 * The vendor a named model stands for. Under KVM QEMU reports the host's vendor for every
 * model, so the brand string tells: "Intel Core Processor (Skylake)", "AMD EPYC Processor";
 * generic models (qemu64, kvm64: "Common KVM processor") name none and fit any host.
 */
static const char *hostcpu_model_vendor(const char *model_id) {
        if (!model_id)
                return NULL;
        if (strstr(model_id, "Intel"))
                return "Intel";
        if (strstr(model_id, "AMD"))
                return "AMD";
        if (strstr(model_id, "Hygon"))
                return "Hygon";
        return NULL;
}

/* Whether the probe ran under KVM: only then is there a host to model. */
static bool hostcpu_kvm(GHashTable *replies) {
        JsonNode *kvm = g_hash_table_lookup(replies, "query-kvm");
        JsonObject *o = kvm && JSON_NODE_HOLDS_OBJECT(kvm) ? json_node_get_object(kvm) : NULL;

        return json_get_bool(o, "enabled");
}

/* Whether @name is a candidate: a named model, not a version of one ("-v2"), not a host one. */
static bool hostcpu_is_candidate(const char *name) {
        const char *v = strrchr(name, '-');

        if (strcmp(name, "host") == 0 || strcmp(name, "max") == 0 || strcmp(name, "base") == 0)
                return false;
        if (v && v[1] == 'v' && v[2] && strspn(v + 2, "0123456789") == strlen(v + 2))
                return false;
        return true;
}

static JsonArray *hostcpu_definitions(GHashTable *replies) {
        JsonNode *n = g_hash_table_lookup(replies, "query-cpu-definitions");
        return n && JSON_NODE_HOLDS_ARRAY(n) ? json_node_get_array(n) : NULL;
}

static bool hostcpu_applies(GHashTable *replies) {
        JsonNode *target = g_hash_table_lookup(replies, "query-target");
        JsonNode *cmds = g_hash_table_lookup(replies, "query-commands");
        const char *arch;
        bool found = false;

        arch = target && JSON_NODE_HOLDS_OBJECT(target)
                       ? json_get_string(json_node_get_object(target), "arch")
                       : NULL;
        if (!arch || (strcmp(arch, "x86_64") != 0 && strcmp(arch, "i386") != 0) ||
            !hostcpu_kvm(replies))
                return false;
        for (guint i = 0; cmds && JSON_NODE_HOLDS_ARRAY(cmds) &&
                          i < json_array_get_length(json_node_get_array(cmds));
             i++) {
                JsonObject *c = json_array_get_object_element(json_node_get_array(cmds), i);
                found = found || g_strcmp0(json_get_string(c, "name"), EXPANSION) == 0;
        }
        return found && hostcpu_definitions(replies);
}

static JsonObject *hostcpu_request(const char *model, bool migratable_off) {
        JsonObject *args = json_object_new();
        JsonObject *m = json_object_new();

        json_object_set_string_member(m, "name", model);
        if (migratable_off) {
                JsonObject *props = json_object_new();
                json_object_set_boolean_member(props, "migratable", false);
                json_object_set_object_member(m, "props", props);
        }
        json_object_set_string_member(args, "type", "static");
        json_object_set_object_member(args, "model", m);
        return args;
}

/*
 * The arguments of the query-cpu-model-expansion calls the probe makes once the first round
 * (@replies) is in: "host" migratable (QEMU's default) and not, then every candidate in the
 * order of query-cpu-definitions. Empty when there is nothing to compute (not x86, not KVM).
 * A new array of JsonObject references.
 */
GPtrArray *qemu_caps_hostcpu_requests(GHashTable *replies) {
        GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify) json_object_unref);
        JsonArray *defs;

        if (!hostcpu_applies(replies))
                return out;
        g_ptr_array_add(out, hostcpu_request("host", false));
        g_ptr_array_add(out, hostcpu_request("host", true));
        defs = hostcpu_definitions(replies);
        for (guint i = 0; i < json_array_get_length(defs); i++) {
                const char *name = json_get_string(json_array_get_object_element(defs, i), "name");
                if (name && hostcpu_is_candidate(name))
                        g_ptr_array_add(out, hostcpu_request(name, false));
        }
        return out;
}

/* The replies key of an expansion: "query-cpu-model-expansion:NAME[:migratable=off]". */
char *qemu_caps_hostcpu_key(JsonObject *args) {
        JsonObject *m = json_get_object(args, "model");
        JsonObject *props = json_get_object(m, "props");
        bool off = json_get(props, "migratable") && !json_get_bool(props, "migratable");

        return g_strconcat(EXPANSION, ":", vk_strempty(json_get_string(m, "name")),
                           off ? ":migratable=off" : "", NULL);
}

static JsonNode *hostcpu_reply(GHashTable *replies, const char *model, bool migratable_off) {
        g_autofree char *key =
                g_strconcat(EXPANSION, ":", model, migratable_off ? ":migratable=off" : "", NULL);
        return g_hash_table_lookup(replies, key);
}

/* One candidate's distance to the host. */
typedef struct Candidate {
        const char *name;
        bool signature; /* same family and model as the host */
        GPtrArray *add; /* feature names (borrowed) */
        GPtrArray *remove;
} Candidate;

static void candidate_done(Candidate *c) {
        g_clear_pointer(&c->add, g_ptr_array_unref);
        g_clear_pointer(&c->remove, g_ptr_array_unref);
}

static int strv_compare(const void *a, const void *b) {
        return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/* How far a candidate is from the host: 1 a feature to add, 2, 3, 4... the ones removed. */
static guint candidate_score(const Candidate *c, guint *ret_removed) {
        guint removed = 0;

        for (guint i = 0; i < c->remove->len; i++)
                removed += 2 + i;
        *ret_removed = removed;
        return c->add->len + removed;
}

/* libvirt 9.0's preference: a matching signature first, then the smaller score, then the
 * smaller part of it spent on removals; an equal candidate does not replace the current one. */
static bool candidate_better(const Candidate *cand, const Candidate *cur) {
        guint removed_cand, removed_cur;
        guint score_cand = candidate_score(cand, &removed_cand);
        guint score_cur = candidate_score(cur, &removed_cur);

        if (cur->signature != cand->signature)
                return cand->signature;
        if (score_cand != score_cur)
                return score_cand < score_cur;
        return removed_cand < removed_cur;
}

/*
 * QEMU sets these for every model (CPUID "hypervisor" always): they are not part of what a
 * model stands for, the host model lists them when the host has them.
 */
static bool hostcpu_set_by_qemu(const char *name) {
        return strcmp(name, "hypervisor") == 0;
}

static void candidate_compute(Candidate *c, const CpuProps *host, const CpuProps *model,
                              bool generic) {
        GHashTableIter it;
        gpointer name;

        c->add = g_ptr_array_new();
        c->remove = g_ptr_array_new();
        g_hash_table_iter_init(&it, host->on);
        while (g_hash_table_iter_next(&it, &name, NULL))
                if (!g_hash_table_contains(model->on, name) || hostcpu_set_by_qemu(name))
                        g_ptr_array_add(c->add, name);
        g_hash_table_iter_init(&it, model->on);
        while (g_hash_table_iter_next(&it, &name, NULL))
                if (!g_hash_table_contains(host->on, name) && !hostcpu_set_by_qemu(name))
                        g_ptr_array_add(c->remove, name);
        g_ptr_array_sort(c->add, strv_compare);
        g_ptr_array_sort(c->remove, strv_compare);
        /* a generic model (qemu64: the family and model "max" copies) stands for no CPU */
        c->signature = !generic && model->family == host->family && model->model == host->model;
}

/*
 * TSX is broken on some Haswell/Broadwell steppings: the host model leaves hle and rtm out
 * there even where the microcode still reports them (as libvirt does).
 */
static void hostcpu_filter_tsx(CpuProps *host) {
        if (g_strcmp0(host->vendor, "GenuineIntel") != 0 || host->family != 6)
                return;
        if ((host->model == 63 && host->stepping < 4) || host->model == 60 || host->model == 69 ||
            host->model == 70) {
                g_hash_table_remove(host->on, "hle");
                g_hash_table_remove(host->on, "rtm");
        }
}

VkQemuHostCpu *qemu_caps_hostcpu_free(VkQemuHostCpu *hc) {
        if (!hc)
                return NULL;
        for (size_t i = 0; i < hc->n_features; i++)
                g_free(hc->features[i].name);
        g_free(hc->features);
        g_free(hc->model);
        g_free(hc->vendor);
        g_free(hc);
        return NULL;
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(VkQemuHostCpu, qemu_caps_hostcpu_free)

/* The candidate names of query-cpu-definitions, sorted: the order ties are decided in. */
static GPtrArray *hostcpu_candidates(GHashTable *replies) {
        JsonArray *defs = hostcpu_definitions(replies);
        GPtrArray *out = g_ptr_array_new();

        for (guint i = 0; defs && i < json_array_get_length(defs); i++) {
                const char *name = json_get_string(json_array_get_object_element(defs, i), "name");
                if (name && hostcpu_is_candidate(name))
                        g_ptr_array_add(out, (gpointer) name);
        }
        g_ptr_array_sort(out, strv_compare);
        return out;
}

/*
 * Compute the host-model CPU from the probe's @replies; NULL when they have no expansions.
 * *@ret_kvm says which accelerator it is for (KVM: the probe computes none under TCG).
 */
VkQemuHostCpu *qemu_caps_hostcpu_build(GHashTable *replies, bool *ret_kvm) {
        g_auto(CpuProps) host = {};
        g_auto(CpuProps) migratable = {};
        g_autoptr(VkQemuHostCpu) hc = NULL;
        g_autoptr(GPtrArray) names = NULL;
        Candidate best = {};
        const char *hv;
        bool have_mig;

        assert(ret_kvm);

        if (!hostcpu_applies(replies))
                return NULL;
        have_mig = cpu_props_load(hostcpu_reply(replies, "host", false), &migratable);
        /* the whole host (invtsc too); without the non-migratable answer, the migratable one */
        if (!cpu_props_load(hostcpu_reply(replies, "host", true), &host) &&
            !cpu_props_load(hostcpu_reply(replies, "host", false), &host))
                return NULL;
        hostcpu_filter_tsx(&host);
        hv = hostcpu_vendor_name(host.vendor);

        names = hostcpu_candidates(replies);
        for (guint i = 0; i < names->len; i++) {
                const char *name = names->pdata[i];
                const char *mv;
                g_auto(CpuProps) model = {};
                Candidate c = { .name = name };

                if (!cpu_props_load(hostcpu_reply(replies, name, false), &model))
                        continue;
                mv = hostcpu_model_vendor(model.model_id);
                if (mv && hv && strcmp(mv, hv) != 0)
                        continue;
                candidate_compute(&c, &host, &model, !mv);
                if (!best.name || candidate_better(&c, &best)) {
                        candidate_done(&best);
                        best = c;
                } else
                        candidate_done(&c);
        }
        if (!best.name)
                return NULL;

        hc = g_new0(VkQemuHostCpu, 1);
        hc->model = g_strdup(best.name);
        hc->vendor = g_strdup(hostcpu_vendor_name(host.vendor));
        hc->features = g_new0(VkQemuHostCpuFeature, best.add->len + best.remove->len);
        for (guint i = 0; i < best.add->len; i++) {
                const char *f = best.add->pdata[i];
                hc->features[hc->n_features++] = (VkQemuHostCpuFeature){
                        .name = g_strdup(f),
                        .enabled = true,
                        .migratable = !have_mig || g_hash_table_contains(migratable.on, f),
                };
        }
        for (guint i = 0; i < best.remove->len; i++)
                hc->features[hc->n_features++] = (VkQemuHostCpuFeature){
                        .name = g_strdup(best.remove->pdata[i]),
                        .migratable = true,
                };
        candidate_done(&best);
        *ret_kvm = true;
        return g_steal_pointer(&hc);
}

/* ---- the cache ---- */

void qemu_caps_hostcpu_to_json(JsonBuilder *b, const VkQemuHostCpu *hc, bool kvm) {
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "accel");
        json_builder_add_string_value(b, kvm ? "kvm" : "tcg");
        json_builder_set_member_name(b, "model");
        json_builder_add_string_value(b, hc->model);
        if (hc->vendor) {
                json_builder_set_member_name(b, "vendor");
                json_builder_add_string_value(b, hc->vendor);
        }
        json_builder_set_member_name(b, "features");
        json_builder_begin_array(b);
        for (size_t i = 0; i < hc->n_features; i++) {
                json_builder_begin_object(b);
                json_builder_set_member_name(b, "name");
                json_builder_add_string_value(b, hc->features[i].name);
                json_builder_set_member_name(b, "enabled");
                json_builder_add_boolean_value(b, hc->features[i].enabled);
                json_builder_set_member_name(b, "migratable");
                json_builder_add_boolean_value(b, hc->features[i].migratable);
                json_builder_end_object(b);
        }
        json_builder_end_array(b);
        json_builder_end_object(b);
}

/* Read what qemu_caps_hostcpu_to_json() wrote; NULL if @o is not that. */
VkQemuHostCpu *qemu_caps_hostcpu_from_json(JsonObject *o, bool *ret_kvm) {
        g_autoptr(VkQemuHostCpu) hc = NULL;
        JsonArray *a = json_get_array(o, "features");

        if (!json_get_string(o, "model") || !a)
                return NULL;
        hc = g_new0(VkQemuHostCpu, 1);
        hc->model = g_strdup(json_get_string(o, "model"));
        hc->vendor = g_strdup(json_get_string(o, "vendor"));
        hc->features = g_new0(VkQemuHostCpuFeature, json_array_get_length(a));
        for (guint i = 0; i < json_array_get_length(a); i++) {
                JsonObject *f = json_array_get_object_element(a, i);
                if (!json_get_string(f, "name"))
                        return NULL;
                hc->features[hc->n_features++] = (VkQemuHostCpuFeature){
                        .name = g_strdup(json_get_string(f, "name")),
                        .enabled = json_get_bool(f, "enabled"),
                        .migratable = json_get_bool(f, "migratable"),
                };
        }
        *ret_kvm = g_strcmp0(json_get_string(o, "accel"), "kvm") == 0;
        return g_steal_pointer(&hc);
}

/* ---- using it ---- */

const VkQemuHostCpu *vk_qemu_caps_get_host_cpu(const VkQemuCaps *caps, bool kvm) {
        assert(caps);
        return caps->host_cpu && caps->host_cpu_kvm == kvm ? caps->host_cpu : NULL;
}

/*
 * The features of <cpu mode='host-model'> @cpu started under @kvm (or TCG): the host model's
 * migratable ones as require/disable, with the definition's own <feature>s applied on top
 * (same feature: the definition's policy wins). Names in libvirt's spelling. Returns 1 and a
 * new array (names owned) when @caps has the host model, 0 (nothing set) when not.
 */
int vk_qemu_caps_host_model_features(const VkQemuCaps *caps, bool kvm, const VkDomainCpu *cpu,
                                     VkCpuFeature **ret_features, size_t *ret_n) {
        const VkQemuHostCpu *hc = vk_qemu_caps_get_host_cpu(caps, kvm);
        g_autoptr(GArray) out = NULL;

        assert(cpu);
        assert(ret_features);
        assert(ret_n);

        if (!hc)
                return 0;
        out = g_array_new(FALSE, TRUE, sizeof(VkCpuFeature));
        for (size_t i = 0; i < hc->n_features; i++) {
                const VkQemuHostCpuFeature *f = &hc->features[i];
                const char *name = vk_cpu_feature_from_qemu(f->name);
                VkCpuFeature nf = {
                        .policy = f->enabled ? VK_CPU_FEATURE_REQUIRE : VK_CPU_FEATURE_DISABLE,
                };
                bool mine = false;

                if (!f->migratable)
                        continue;
                for (size_t j = 0; j < cpu->n_features; j++)
                        mine = mine ||
                               strcmp(vk_cpu_feature_to_qemu(cpu->features[j].name), f->name) == 0;
                if (mine)
                        continue;
                nf.name = g_strdup(name);
                g_array_append_val(out, nf);
        }
        for (size_t j = 0; j < cpu->n_features; j++) {
                VkCpuFeature nf = { .name = g_strdup(cpu->features[j].name),
                                    .policy = cpu->features[j].policy };
                g_array_append_val(out, nf);
        }
        *ret_n = out->len;
        *ret_features = (VkCpuFeature *) (void *) g_array_free(g_steal_pointer(&out), FALSE);
        return 1;
}

/*
 * Turn <cpu mode='host-model'> @cpu into what libvirt shows for a started domain:
 * mode='custom' match='exact' check='full', the host model with fallback='forbid', the
 * host's vendor and the features of vk_qemu_caps_host_model_features(). Topology, cache and
 * NUMA cells stay. Returns 1 when @cpu was changed, 0 when it is not host-model or @caps has
 * no host model for the accelerator (@cpu unchanged).
 */
int vk_qemu_caps_expand_host_model(const VkQemuCaps *caps, bool kvm, VkDomainCpu *cpu) {
        const VkQemuHostCpu *hc = vk_qemu_caps_get_host_cpu(caps, kvm);
        VkCpuFeature *features = NULL;
        size_t n = 0;

        assert(cpu);

        if (!cpu->present || cpu->mode != VK_CPU_MODE_HOST_MODEL || !hc)
                return 0;
        if (vk_qemu_caps_host_model_features(caps, kvm, cpu, &features, &n) <= 0)
                return 0;
        for (size_t i = 0; i < cpu->n_features; i++)
                g_free(cpu->features[i].name);
        g_free(cpu->features);
        cpu->features = features;
        cpu->n_features = n;
        g_free(cpu->model);
        cpu->model = g_strdup(hc->model);
        g_free(cpu->vendor);
        cpu->vendor = g_strdup(hc->vendor);
        cpu->mode = VK_CPU_MODE_CUSTOM;
        cpu->match = VK_CPU_MATCH_EXACT;
        cpu->check = VK_CPU_CHECK_FULL;
        cpu->fallback = VK_CPU_FALLBACK_FORBID;
        return 1;
}
