/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-cgroup-cpu.c: the CPU controller values of <cputune> on a cgroup virtkit owns */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "macro.h"
#include "qemu-cgroup-cpu.h"
#include "scope.h"

/*
 * libvirt 9.0 gives a domain's cgroup children, one per thread group, and puts the CPU values
 * of <cputune> on them:
 *
 *   <domain cgroup>            <shares> (cgroup2 cpu.weight, the value as is, 1-10000; v1
 *                              cpu.shares), <global_period>/<global_quota> (cpu.max; v1
 *                              cpu.cfs_period_us/cpu.cfs_quota_us)
 *   <domain cgroup>/vcpuN      <period>/<quota>, cpuset.cpus of <vcpupin> (else <vcpu cpuset=>)
 *   <domain cgroup>/iothreadN  <iothread_period>/<iothread_quota>, <iothreadpin>
 *   <domain cgroup>/emulator   <emulator_period>/<emulator_quota>, <emulatorpin>; every
 *                              other thread of QEMU
 *
 * virtkit does the same where the cgroup is its own: the one it makes without systemd
 * (machine.slice/<scope name>, qemu-cgroup.c), on cgroup2 when its root offers the cpu
 * controller (children are "threaded", the threads moved through cgroup.threads), and on the
 * v1 cpu and cpuset hierarchies (tasks).
 *
 * In a systemd scope the scope's cgroup is systemd's: the domain-wide values become the
 * scope's properties when it is made (vk_qemu_cpu_cgroup_scope(), common/scope.c):
 * <shares> CPUWeight= on cgroup2 (CPUShares= on v1), as libvirt 9.0 sets them over D-Bus;
 * <global_quota> CPUQuotaPerSecUSec= (the quota over its period, rounded up so that the
 * cpu.max systemd writes is the quota again) and <global_period> CPUQuotaPeriodUSec=.
 * libvirt writes the period and quota itself into a "libvirt" child of its delegated scope;
 * the cgroup's cpu.max ends the same. The per-thread values (<period>/<quota>,
 * <emulator_*>, <iothread_*>) would need children of a delegated scope, which virtkit does
 * not make: refused there by name, as where QEMU has no cgroup of its own at all (a session
 * or embedded instance), which is libvirt's "cgroup cpu is required for scheduler tuning".
 * The affinity (qemu-process-tune.c) needs no cgroup and is applied everywhere.
 */

#define CGROUP_ROOT        "/sys/fs/cgroup"
#define CGROUP_UNIFIED     CGROUP_ROOT "/unified"
#define CGROUP_V1_CPU      CGROUP_ROOT "/cpu"
#define CGROUP_V1_CPUSET   CGROUP_ROOT "/cpuset"
#define CGROUP_WEIGHT_MIN  1ULL
#define CGROUP_WEIGHT_MAX  10000ULL
#define CGROUP_VIA_DIRECT  "cgroup"
#define CGROUP_PERIOD_DFLT 100000ULL
#define USEC_PER_SEC       1000000ULL

/* ---- the plan ---------------------------------------------------------------------------- */

static const char *cpu_pin_of(const VkCpuPin *pins, size_t n, unsigned id) {
        for (size_t i = 0; i < n; i++)
                if (pins[i].id == id)
                        return pins[i].cpuset;
        return NULL;
}

/*
 * What <cputune> of @def asks of the CPU controllers, into @ret (vk_qemu_cpu_cgroup_plan_done()
 * frees it). Returns 0.
 */
int vk_qemu_cpu_cgroup_plan(const VkDomainDef *def, VkQemuCpuCgroupPlan *ret, VkError *reterr) {
        const VkCputune *ct = &def->cputune;
        VkQemuCpuCgroupPlan plan = {
                .domain = def->name,
                .shares = ct->shares,
                .period = ct->period,
                .global_period = ct->global_period,
                .emulator_period = ct->emulator_period,
                .iothread_period = ct->iothread_period,
                .quota = ct->quota,
                .global_quota = ct->global_quota,
                .emulator_quota = ct->emulator_quota,
                .iothread_quota = ct->iothread_quota,
                .n_vcpus = def->vcpus,
                .n_iothreads = def->n_iothreads,
        };

        plan.bandwidth = ct->shares || ct->period || ct->global_period || ct->emulator_period ||
                         ct->iothread_period || ct->quota || ct->global_quota ||
                         ct->emulator_quota || ct->iothread_quota;
        plan.vcpu_cpusets = g_new0(char *, plan.n_vcpus + 1);
        for (unsigned i = 0; i < plan.n_vcpus; i++) {
                const char *pin = cpu_pin_of(ct->vcpupins, ct->n_vcpupins, i);

                plan.vcpu_cpusets[i] = g_strdup(pin ? pin : def->vcpu_cpuset);
        }
        plan.iothread_cpusets = g_new0(char *, plan.n_iothreads + 1);
        for (unsigned i = 0; i < plan.n_iothreads; i++) {
                const char *pin = cpu_pin_of(ct->iothreadpins, ct->n_iothreadpins,
                                             vk_domain_iothread_id(def, i));

                plan.iothread_cpusets[i] = g_strdup(pin ? pin : def->vcpu_cpuset);
        }
        plan.emulator_cpuset = g_strdup(ct->emulatorpin ? ct->emulatorpin : def->vcpu_cpuset);
        *ret = plan;
        return 0;
}

void vk_qemu_cpu_cgroup_plan_done(VkQemuCpuCgroupPlan *plan) {
        for (unsigned i = 0; plan->vcpu_cpusets && i < plan->n_vcpus; i++)
                g_free(plan->vcpu_cpusets[i]);
        g_free(plan->vcpu_cpusets);
        for (unsigned i = 0; plan->iothread_cpusets && i < plan->n_iothreads; i++)
                g_free(plan->iothread_cpusets[i]);
        g_free(plan->iothread_cpusets);
        g_free(plan->emulator_cpuset);
        *plan = (VkQemuCpuCgroupPlan){};
}

/* The first per-thread CPU controller element of the plan, NULL when there is none. */
static const char *cpu_first_thread_element(const VkQemuCpuCgroupPlan *plan) {
        return plan->period            ? "period"
               : plan->quota           ? "quota"
               : plan->emulator_period ? "emulator_period"
               : plan->emulator_quota  ? "emulator_quota"
               : plan->iothread_period ? "iothread_period"
               : plan->iothread_quota  ? "iothread_quota"
                                       : NULL;
}

/* The first CPU controller element of the plan, for errors (the plan has one). */
static const char *cpu_first_element(const VkQemuCpuCgroupPlan *plan) {
        const char *t = cpu_first_thread_element(plan);

        return plan->shares          ? "shares"
               : plan->global_period ? "global_period"
               : plan->global_quota  ? "global_quota"
               : t                   ? t
                                     : "shares";
}

/*
 * The scope properties of the domain-wide values of @plan (see the top of this file) into
 * @ret: CPUWeight= when @v2 (the host's cpu controller is cgroup2's), else CPUShares=. The
 * per-thread values have none.
 */
void vk_qemu_cpu_cgroup_scope_cpu(const VkQemuCpuCgroupPlan *plan, bool v2, VkScopeCpu *ret) {
        unsigned long long period = plan->global_period ? plan->global_period : CGROUP_PERIOD_DFLT;

        *ret = (VkScopeCpu){};
        if (v2)
                ret->weight = plan->shares;
        else
                ret->shares = plan->shares;
        /* quota <= 17592186044415 us: times 10^6 it still fits in 64 bits */
        if (plan->global_quota > 0)
                ret->quota_per_sec_usec =
                        ((unsigned long long) plan->global_quota * USEC_PER_SEC + period - 1) /
                        period;
        else if (plan->global_quota < 0)
                ret->quota_per_sec_usec = UINT64_MAX;
        ret->quota_period_usec = plan->global_period;
}

/* ---- hierarchies ------------------------------------------------------------------------- */

static bool cpu_file_has_word(const char *path, const char *word) {
        g_autofree char *text = NULL;
        g_auto(GStrv) words = NULL;

        if (!g_file_get_contents(path, &text, NULL, NULL))
                return false;
        words = g_strsplit_set(g_strstrip(text), " \n", 0);
        return g_strv_contains((const char *const *) words, word);
}

/* The cgroup2 mount whose root offers the cpu controller, or NULL. */
static const char *cpu_v2_root(void) {
        if (cpu_file_has_word(CGROUP_ROOT "/cgroup.controllers", "cpu"))
                return CGROUP_ROOT;
        if (cpu_file_has_word(CGROUP_UNIFIED "/cgroup.controllers", "cpu"))
                return CGROUP_UNIFIED;
        return NULL;
}

static bool cpu_v1_cpu(void) {
        return access(CGROUP_V1_CPU "/cpu.shares", F_OK) == 0;
}

static bool cpu_v1_cpuset(void) {
        return access(CGROUP_V1_CPUSET "/cpuset.cpus", F_OK) == 0;
}

/*
 * Whether the CPU values of @plan can be applied: @own_cgroup (a privileged instance placing
 * QEMU) on a host with a cpu controller; in a systemd scope only the domain-wide ones. Refused
 * with an error naming the element otherwise. Returns 0 or -errno with @reterr set.
 */
int vk_qemu_cpu_cgroup_check(const VkQemuCpuCgroupPlan *plan, bool own_cgroup, VkError *reterr) {
        const char *why = NULL;
        const char *element = cpu_first_element(plan);

        if (!plan->bandwidth)
                return 0;
        if (!own_cgroup)
                why = "QEMU gets no cgroup of its own from this instance (only the system "
                      "instance makes one)";
        else if (!cpu_v2_root() && !cpu_v1_cpu())
                why = "the host has no cgroup cpu controller virtkit can use";
        else if (vk_scope_systemd_booted() && cpu_first_thread_element(plan)) {
                element = cpu_first_thread_element(plan);
                why = "QEMU runs in a systemd scope: virtkit gives the scope <shares>, "
                      "<global_period> and <global_quota>, but makes no per-thread cgroups in it";
        } else if (plan->shares && cpu_v2_root() &&
                   (plan->shares < CGROUP_WEIGHT_MIN || plan->shares > CGROUP_WEIGHT_MAX))
                return vk_error_set(reterr, VK_ERROR_INVALID_XML, -ERANGE,
                                    "domain '%s': <cputune><shares>: %llu is out of the range "
                                    "of cgroup2's cpu.weight (%llu-%llu)",
                                    plan->domain, plan->shares, CGROUP_WEIGHT_MIN,
                                    CGROUP_WEIGHT_MAX);
        if (!why)
                return 0;
        return vk_error_set(reterr, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                            "domain '%s': <cputune><%s> needs the cgroup cpu controller, and %s",
                            plan->domain, element, why);
}

/*
 * The scope properties of @plan for QEMU's systemd scope (see the top of this file), by the
 * host's cpu controller: cgroup2's (or no v1 cpu hierarchy) CPUWeight=, v1's CPUShares=.
 */
void vk_qemu_cpu_cgroup_scope(const VkQemuCpuCgroupPlan *plan, VkScopeCpu *ret) {
        vk_qemu_cpu_cgroup_scope_cpu(plan, cpu_v2_root() || !cpu_v1_cpu(), ret);
}

/* ---- files ------------------------------------------------------------------------------- */

static int cpu_write(const char *dir, const char *file, const char *value, VkError *reterr) {
        g_autofree char *path = g_build_filename(dir, file, NULL);
        int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
        ssize_t n;
        int e;

        if (fd < 0)
                return vk_error_set_errno(reterr, errno, "Failed to open '%s'", path);
        n = write(fd, value, strlen(value));
        e = errno;
        close(fd);
        if (n != (ssize_t) strlen(value))
                return vk_error_set_errno(reterr, n < 0 ? e : EIO, "Failed to write '%s' to '%s'",
                                          value, path);
        return 0;
}

static char *cpu_read(const char *dir, const char *file) {
        g_autofree char *path = g_build_filename(dir, file, NULL);
        char *text = NULL;

        if (!g_file_get_contents(path, &text, NULL, NULL))
                return NULL;
        return g_strstrip(text);
}

static int cpu_mkdir(const char *path, VkError *reterr) {
        if (mkdir(path, 0755) < 0 && errno != EEXIST)
                return vk_error_set_errno(reterr, errno, "Failed to create cgroup '%s'", path);
        return 0;
}

/* A v1 cpuset cgroup takes tasks only once it has CPUs and memory nodes: the parent's. */
static int cpu_v1_cpuset_dir(const char *path, VkError *reterr) {
        g_autofree char *parent = g_path_get_dirname(path);
        g_autofree char *cpus = NULL;
        g_autofree char *mems = NULL;
        int r;

        if (!g_str_equal(path, CGROUP_V1_CPUSET) && access(path, F_OK) < 0) {
                r = cpu_v1_cpuset_dir(parent, reterr);
                if (r < 0)
                        return r;
                r = cpu_mkdir(path, reterr);
                if (r < 0)
                        return r;
        }
        if (g_str_equal(path, CGROUP_V1_CPUSET))
                return 0;
        cpus = cpu_read(path, "cpuset.cpus");
        if (!cpus || !*cpus) {
                g_free(cpus);
                cpus = cpu_read(parent, "cpuset.cpus");
                r = cpu_write(path, "cpuset.cpus", cpus ? cpus : "", reterr);
                if (r < 0)
                        return r;
        }
        mems = cpu_read(path, "cpuset.mems");
        if (!mems || !*mems) {
                g_free(mems);
                mems = cpu_read(parent, "cpuset.mems");
                r = cpu_write(path, "cpuset.mems", mems ? mems : "", reterr);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* cpu.max (v2) or cpu.cfs_period_us + cpu.cfs_quota_us (v1) of @dir; 0s: leave them */
static int cpu_set_bandwidth(const char *dir, bool v2, unsigned long long period, long long quota,
                             VkError *reterr) {
        g_autofree char *value = NULL;
        int r = 0;

        if (!period && !quota)
                return 0;
        if (v2) {
                /* "$MAX $PERIOD": what is not given stays as it is */
                g_autofree char *old = cpu_read(dir, "cpu.max");
                g_auto(GStrv) f = g_strsplit(old ? old : "max", " ", 2);
                g_autofree char *max = quota > 0 ? g_strdup_printf("%lld", quota)
                                                 : g_strdup(quota < 0 ? "max" : f[0]);

                if (!period)
                        period = f[1] ? g_ascii_strtoull(f[1], NULL, 10) : CGROUP_PERIOD_DFLT;
                value = g_strdup_printf("%s %llu", max, period);
                return cpu_write(dir, "cpu.max", value, reterr);
        }
        if (period) {
                value = g_strdup_printf("%llu", period);
                r = cpu_write(dir, "cpu.cfs_period_us", value, reterr);
        }
        if (r >= 0 && quota) {
                g_free(value);
                value = g_strdup_printf("%lld", quota);
                r = cpu_write(dir, "cpu.cfs_quota_us", value, reterr);
        }
        return r;
}

/* ---- applying ---------------------------------------------------------------------------- */

/* One child of the domain cgroup: a thread group and its values. */
typedef struct CpuGroup {
        char *dir; /* "vcpu0", "iothread1", "emulator" */
        GArray *tids;
        unsigned long long period;
        long long quota;
        const char *cpuset; /* NULL: the parent's */
} CpuGroup;

static void cpu_group_clear(gpointer data) {
        CpuGroup *g = data;

        g_free(g->dir);
        g_array_unref(g->tids);
}

static CpuGroup *cpu_group_add(GArray *groups, char *dir, unsigned long long period,
                               long long quota, const char *cpuset) {
        CpuGroup g = { dir, g_array_new(FALSE, FALSE, sizeof(pid_t)), period, quota, cpuset };

        g_array_append_val(groups, g);
        return &g_array_index(groups, CpuGroup, groups->len - 1);
}

/* The thread groups of QEMU @pid: vCPUs, I/O threads, and every other thread (emulator). */
static GArray *cpu_groups(const VkQemuCpuCgroupPlan *plan, pid_t pid, const pid_t *vcpu_tids,
                          const unsigned *iothread_ids, const pid_t *iothread_tids) {
        GArray *groups = g_array_new(FALSE, FALSE, sizeof(CpuGroup));
        g_autofree char *task_dir = g_strdup_printf("/proc/%d/task", (int) pid);
        g_autoptr(GDir) dir = g_dir_open(task_dir, 0, NULL);
        const char *entry;
        CpuGroup *emulator;

        g_array_set_clear_func(groups, cpu_group_clear);
        emulator = cpu_group_add(groups, g_strdup("emulator"), plan->emulator_period,
                                 plan->emulator_quota, plan->emulator_cpuset);
        while (dir && (entry = g_dir_read_name(dir))) {
                pid_t tid = (pid_t) g_ascii_strtoll(entry, NULL, 10);
                bool worker = false;

                for (unsigned i = 0; i < plan->n_vcpus; i++)
                        worker = worker || vcpu_tids[i] == tid;
                for (unsigned i = 0; i < plan->n_iothreads; i++)
                        worker = worker || iothread_tids[i] == tid;
                if (tid > 0 && !worker)
                        g_array_append_val(emulator->tids, tid);
        }
        for (unsigned i = 0; i < plan->n_vcpus; i++) {
                CpuGroup *g;

                if (vcpu_tids[i] <= 0)
                        continue;
                g = cpu_group_add(groups, g_strdup_printf("vcpu%u", i), plan->period, plan->quota,
                                  plan->vcpu_cpusets[i]);
                g_array_append_val(g->tids, vcpu_tids[i]);
        }
        for (unsigned i = 0; i < plan->n_iothreads; i++) {
                CpuGroup *g = cpu_group_add(groups, g_strdup_printf("iothread%u", iothread_ids[i]),
                                            plan->iothread_period, plan->iothread_quota,
                                            plan->iothread_cpusets[i]);

                g_array_append_val(g->tids, iothread_tids[i]);
        }
        return groups;
}

static int cpu_move_tids(const char *dir, const char *file, GArray *tids, VkError *reterr) {
        for (guint i = 0; i < tids->len; i++) {
                g_autofree char *v = g_strdup_printf("%d", (int) g_array_index(tids, pid_t, i));
                g_auto(VkError) err = VK_ERROR_INIT;
                int r = cpu_write(dir, file, v, &err);

                /* a thread that ended meanwhile is no error */
                if (r < 0 && r != -ESRCH)
                        return vk_error_set(reterr, err.name, r, "%s", err.message);
        }
        return 0;
}

static int cpu_apply_v1(const VkQemuCpuCgroupPlan *plan, const char *name, pid_t pid,
                        GArray *groups, bool cpuset, VkError *reterr) {
        const char *base = cpuset ? CGROUP_V1_CPUSET : CGROUP_V1_CPU;
        g_autofree char *dom = g_build_filename(base, name, NULL);
        g_autofree char *procs = g_strdup_printf("%d", (int) pid);
        int r;

        if (cpuset)
                r = cpu_v1_cpuset_dir(dom, reterr);
        else {
                g_autofree char *parent = g_path_get_dirname(dom);

                r = cpu_mkdir(parent, reterr);
                if (r >= 0)
                        r = cpu_mkdir(dom, reterr);
        }
        if (r >= 0)
                r = cpu_write(dom, "cgroup.procs", procs, reterr);
        if (r >= 0 && !cpuset && plan->shares) {
                g_autofree char *v = g_strdup_printf("%llu", plan->shares);

                r = cpu_write(dom, "cpu.shares", v, reterr);
        }
        if (r >= 0 && !cpuset)
                r = cpu_set_bandwidth(dom, false, plan->global_period, plan->global_quota, reterr);
        for (guint i = 0; r >= 0 && i < groups->len; i++) {
                CpuGroup *g = &g_array_index(groups, CpuGroup, i);
                g_autofree char *dir = g_build_filename(dom, g->dir, NULL);

                if (cpuset) {
                        r = cpu_v1_cpuset_dir(dir, reterr);
                        if (r >= 0 && g->cpuset)
                                r = cpu_write(dir, "cpuset.cpus", g->cpuset, reterr);
                } else {
                        r = cpu_mkdir(dir, reterr);
                        if (r >= 0)
                                r = cpu_set_bandwidth(dir, false, g->period, g->quota, reterr);
                }
                if (r >= 0)
                        r = cpu_move_tids(dir, "tasks", g->tids, reterr);
        }
        return r;
}

/* Enable @ctrls ("+cpu +cpuset") for the children of every cgroup from @root down to @dir. */
static int cpu_v2_enable(const char *root, const char *dir, const char *ctrls, VkError *reterr) {
        g_autofree char *rel = g_strdup(dir + strlen(root));
        g_autoptr(GString) path = g_string_new(root);
        g_auto(GStrv) parts = g_strsplit(rel, "/", 0);
        int r;

        r = cpu_write(path->str, "cgroup.subtree_control", ctrls, reterr);
        for (size_t i = 0; r >= 0 && parts[i]; i++) {
                if (!*parts[i])
                        continue;
                g_string_append_printf(path, "/%s", parts[i]);
                r = cpu_write(path->str, "cgroup.subtree_control", ctrls, reterr);
        }
        return r;
}

static int cpu_apply_v2(const VkQemuCpuCgroupPlan *plan, const char *root, const char *name,
                        GArray *groups, VkError *reterr) {
        g_autofree char *dom = g_build_filename(root, name, NULL);
        g_autofree char *parent = g_path_get_dirname(dom);
        g_autofree char *controllers = g_build_filename(root, "cgroup.controllers", NULL);
        bool cpuset = cpu_file_has_word(controllers, "cpuset");
        const char *ctrls = cpuset ? "+cpu +cpuset" : "+cpu";
        int r;

        if (access(dom, F_OK) < 0)
                return vk_error_set_errno(reterr, errno, "QEMU's cgroup '%s' is missing", dom);
        r = cpu_v2_enable(root, parent, ctrls, reterr);
        if (r >= 0 && plan->shares) {
                g_autofree char *v = g_strdup_printf("%llu", plan->shares);

                r = cpu_write(dom, "cpu.weight", v, reterr);
        }
        if (r >= 0)
                r = cpu_set_bandwidth(dom, true, plan->global_period, plan->global_quota, reterr);
        /* threaded children first: then the domain cgroup may enable them with QEMU in it */
        for (guint i = 0; r >= 0 && i < groups->len; i++) {
                g_autofree char *dir =
                        g_build_filename(dom, g_array_index(groups, CpuGroup, i).dir, NULL);

                r = cpu_mkdir(dir, reterr);
                if (r >= 0)
                        r = cpu_write(dir, "cgroup.type", "threaded", reterr);
        }
        if (r >= 0)
                r = cpu_write(dom, "cgroup.subtree_control", ctrls, reterr);
        for (guint i = 0; r >= 0 && i < groups->len; i++) {
                CpuGroup *g = &g_array_index(groups, CpuGroup, i);
                g_autofree char *dir = g_build_filename(dom, g->dir, NULL);

                r = cpu_set_bandwidth(dir, true, g->period, g->quota, reterr);
                if (r >= 0 && cpuset && g->cpuset)
                        r = cpu_write(dir, "cpuset.cpus", g->cpuset, reterr);
                if (r >= 0)
                        r = cpu_move_tids(dir, "cgroup.threads", g->tids, reterr);
        }
        return r;
}

/*
 * Put the CPU values of @plan on the cgroup of QEMU @pid (made @via as @name, qemu-cgroup.c),
 * once its threads are known (@vcpu_tids per vCPU, 0: not present; @iothread_tids per I/O
 * thread of @iothread_ids). Only a cgroup virtkit made itself gets children; elsewhere
 * nothing is done (vk_qemu_cpu_cgroup_check() refused the values that need it). Returns 0 or
 * -errno with @reterr set; what was made is removed with the cgroup.
 */
int vk_qemu_cpu_cgroup_apply(const VkQemuCpuCgroupPlan *plan, const char *via, const char *name,
                             pid_t pid, const pid_t *vcpu_tids, const unsigned *iothread_ids,
                             const pid_t *iothread_tids, VkError *reterr) {
        g_autoptr(GArray) groups = NULL;
        bool any_cpuset = plan->emulator_cpuset != NULL;
        const char *root = cpu_v2_root();
        int r = 0;

        if (!via || !name || !g_str_equal(via, CGROUP_VIA_DIRECT))
                return 0;
        for (unsigned i = 0; i < plan->n_vcpus; i++)
                any_cpuset = any_cpuset || plan->vcpu_cpusets[i];
        for (unsigned i = 0; i < plan->n_iothreads; i++)
                any_cpuset = any_cpuset || plan->iothread_cpusets[i];
        if (!plan->bandwidth && !any_cpuset)
                return 0;
        groups = cpu_groups(plan, pid, vcpu_tids, iothread_ids, iothread_tids);
        if (root)
                return cpu_apply_v2(plan, root, name, groups, reterr);
        if (plan->bandwidth && cpu_v1_cpu())
                r = cpu_apply_v1(plan, name, pid, groups, false, reterr);
        if (r >= 0 && any_cpuset && cpu_v1_cpuset())
                r = cpu_apply_v1(plan, name, pid, groups, true, reterr);
        return r;
}

static void cpu_rmdir_children(const char *dom) {
        g_autoptr(GDir) dir = g_dir_open(dom, 0, NULL);
        const char *entry;

        while (dir && (entry = g_dir_read_name(dir))) {
                g_autofree char *path = g_build_filename(dom, entry, NULL);

                if (g_file_test(path, G_FILE_TEST_IS_DIR) && rmdir(path) < 0)
                        vk_log_debug("Failed to remove cgroup '%s', ignoring: %m", path);
        }
}

/*
 * Remove the children vk_qemu_cpu_cgroup_apply() made under the cgroup @name (made without
 * systemd), and its v1 cpu and cpuset cgroups; QEMU is gone. The cgroup2 and v1 devices ones
 * are qemu-cgroup.c's.
 */
void vk_qemu_cpu_cgroup_remove(const char *name) {
        const char *roots[] = { CGROUP_ROOT, CGROUP_UNIFIED };
        const char *v1[] = { CGROUP_V1_CPU, CGROUP_V1_CPUSET };

        if (!name || strstr(name, ".."))
                return;
        for (size_t i = 0; i < G_N_ELEMENTS(roots); i++) {
                g_autofree char *ctl = g_build_filename(roots[i], "cgroup.controllers", NULL);
                g_autofree char *dom = g_build_filename(roots[i], name, NULL);

                if (access(ctl, F_OK) == 0)
                        cpu_rmdir_children(dom);
        }
        for (size_t i = 0; i < G_N_ELEMENTS(v1); i++) {
                g_autofree char *dom = g_build_filename(v1[i], name, NULL);

                if (access(dom, F_OK) < 0)
                        continue;
                cpu_rmdir_children(dom);
                if (rmdir(dom) < 0)
                        vk_log_debug("Failed to remove cgroup '%s', ignoring: %m", dom);
        }
}

/*
 * A pin changed on a running domain: the cpuset.cpus of its thread group @child ("vcpu0",
 * "emulator") under the cgroup @name, when virtkit made that cgroup (@via, qemu-cgroup.c) and
 * the child exists (vk_qemu_cpu_cgroup_apply() made it at start); elsewhere nothing. Returns
 * 1 when written, 0 when there is no such cgroup, or -errno with @reterr set.
 */
int vk_qemu_cpu_cgroup_set_cpuset(const char *via, const char *name, const char *child,
                                  const char *cpuset, VkError *reterr) {
        const char *root = cpu_v2_root();
        g_autofree char *dir = NULL;
        g_autofree char *old = NULL;
        int r;

        if (!via || !name || !g_str_equal(via, CGROUP_VIA_DIRECT) || strstr(name, ".."))
                return 0;
        dir = g_build_filename(root ? root : CGROUP_V1_CPUSET, name, child, NULL);
        if (access(dir, F_OK) < 0 || !(old = cpu_read(dir, "cpuset.cpus")))
                return 0;
        r = cpu_write(dir, "cpuset.cpus", cpuset, reterr);
        return r < 0 ? r : 1;
}
