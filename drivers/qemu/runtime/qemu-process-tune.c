/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-process-tune.c: <cputune> and <vcpu cpuset=> applied to QEMU's threads at start */
#include <assert.h>
#include <errno.h>
#include <sched.h>
#include <string.h>

#include "log.h"
#include "macro.h"
#include "qemu-affinity.h"
#include "qemu-process-internal.h"

/*
 * What libvirt 9.0 does to a starting QEMU's threads, before its vCPUs first run (QEMU is
 * started with -S and gets "cont" only afterwards):
 *
 *   - the whole process, while it still waits in virtkit-qemu-exec: the affinity of
 *     <emulatorpin>, else <vcpu cpuset=>; every thread QEMU makes inherits it;
 *   - each vCPU thread (QMP query-cpus-fast "thread-id"): the affinity of its <vcpupin>, else
 *     <vcpu cpuset=>, and the scheduler of its <vcpusched>;
 *   - each I/O thread (query-iothreads, ids "iothread<N>"): <iothreadpin>, else <vcpu
 *     cpuset=>, and <iothreadsched>;
 *   - the emulator (QEMU's main thread and every other thread of it): <emulatorpin>, else
 *     <vcpu cpuset=>; <emulatorsched> on the main thread, as libvirt does;
 *   - the CPU controller values (<shares>, <period>/<quota> and their emulator_, iothread_ and
 *     global_ forms) and the CPU sets again on cgroups: qemu-cgroup-cpu.c.
 *
 * Everything is checked before anything is made: a set naming a CPU the host does not have
 * online, a priority outside the host's range. A thread we cannot pin or schedule (no
 * CAP_SYS_NICE for fifo/rr, as in libvirt) fails the start: QEMU goes, nothing stays.
 * A reconnect applies nothing: the threads keep what they were given.
 */

struct ProcessTune {
        bool *online;          /* the host's online CPUs */
        bool **vcpu_masks;     /* per vCPU; NULL: leave it */
        bool **iothread_masks; /* per I/O thread index (of n_iothreads) */
        unsigned *iothread_ids;
        bool *emulator_mask;
        const VkCpuSched **vcpu_scheds;
        const VkCpuSched **iothread_scheds;
        VkCpuSched emulator_sched;
        unsigned n_vcpus, n_iothreads;
        VkQemuCpuCgroupPlan cgroup; /* the values for the CPU controller */
        /* filled by the QMP queries */
        pid_t *vcpu_tids;
        pid_t *iothread_tids;
};

void process_tune_free(ProcessTune *t) {
        if (!t)
                return;
        g_free(t->online);
        for (unsigned i = 0; t->vcpu_masks && i < t->n_vcpus; i++)
                g_free(t->vcpu_masks[i]);
        g_free(t->vcpu_masks);
        for (unsigned i = 0; t->iothread_masks && i < t->n_iothreads; i++)
                g_free(t->iothread_masks[i]);
        g_free(t->iothread_masks);
        g_free(t->iothread_ids);
        g_free(t->emulator_mask);
        g_free(t->vcpu_scheds);
        g_free(t->iothread_scheds);
        g_free(t->vcpu_tids);
        g_free(t->iothread_tids);
        vk_qemu_cpu_cgroup_plan_done(&t->cgroup);
        g_free(t);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ProcessTune, process_tune_free)

/* The map of @cpuset, checked against the host's online CPUs (qemu-affinity.c). */
static int tune_mask(ProcessTune *t, const char *cpuset, const char *what, const char *name,
                     bool **ret, VkError *reterr) {
        return vk_qemu_affinity_parse(t->online, cpuset, what, name, ret, reterr);
}

static int tune_check_priority(const VkCpuSched *s, const char *what, const char *name,
                               VkError *reterr) {
        int policy, lo, hi;

        if (!s || (s->policy != VK_SCHED_POLICY_FIFO && s->policy != VK_SCHED_POLICY_RR))
                return 0;
        policy = s->policy == VK_SCHED_POLICY_FIFO ? SCHED_FIFO : SCHED_RR;
        lo = sched_get_priority_min(policy);
        hi = sched_get_priority_max(policy);
        if (s->priority < lo || s->priority > hi)
                return vk_error_set(reterr, VK_ERROR_INVALID_XML, -EINVAL,
                                    "domain '%s': %s: priority %d is out of the host's range "
                                    "for scheduler '%s' (%d-%d)",
                                    name, what, s->priority, vk_sched_policy_to_string(s->policy),
                                    lo, hi);
        return 0;
}

static const char *tune_pin_of(const VkCpuPin *pins, size_t n, unsigned id) {
        for (size_t i = 0; i < n; i++)
                if (pins[i].id == id)
                        return pins[i].cpuset;
        return NULL;
}

/*
 * Plan what a start of @def applies (see the top of this file) and check it against the
 * host, before anything is made (CPU controller values need a cgroup of QEMU's own:
 * qemu-cgroup-cpu.c). p->tune stays NULL when there is nothing to apply. Returns 0 or -errno
 * with @reterr set.
 */
int process_tune_prepare(VkQemuProcess *p, const VkDomainDef *def, VkError *reterr) {
        const VkCputune *ct = &def->cputune;
        g_autoptr(ProcessTune) t = NULL;
        const char *name = def->name;
        int r;

        if (!ct->present && !def->vcpu_cpuset)
                return 0;
        t = g_new0(ProcessTune, 1);
        r = vk_qemu_affinity_online(&t->online, reterr);
        if (r < 0)
                return r;
        t->n_vcpus = def->vcpus;
        t->vcpu_masks = g_new0(bool *, t->n_vcpus);
        t->vcpu_scheds = g_new0(const VkCpuSched *, t->n_vcpus);
        for (unsigned i = 0; i < t->n_vcpus; i++) {
                const char *pin = tune_pin_of(ct->vcpupins, ct->n_vcpupins, i);
                g_autofree char *what =
                        pin ? g_strdup_printf("<cputune><vcpupin vcpu='%u' cpuset='%s'>", i, pin)
                            : g_strdup_printf("<vcpu cpuset='%s'>", def->vcpu_cpuset);

                if (pin || def->vcpu_cpuset) {
                        r = tune_mask(t, pin ? pin : def->vcpu_cpuset, what, name,
                                      &t->vcpu_masks[i], reterr);
                        if (r < 0)
                                return r;
                }
                t->vcpu_scheds[i] = vk_domain_vcpu_sched(def, i);
                g_free(what);
                what = g_strdup_printf("<cputune><vcpusched> of vCPU %u", i);
                r = tune_check_priority(t->vcpu_scheds[i], what, name, reterr);
                if (r < 0)
                        return r;
        }
        t->n_iothreads = def->n_iothreads;
        t->iothread_masks = g_new0(bool *, t->n_iothreads);
        t->iothread_ids = g_new0(unsigned, t->n_iothreads);
        t->iothread_scheds = g_new0(const VkCpuSched *, t->n_iothreads);
        for (unsigned i = 0; i < t->n_iothreads; i++) {
                unsigned id = vk_domain_iothread_id(def, i);
                const char *pin = tune_pin_of(ct->iothreadpins, ct->n_iothreadpins, id);
                g_autofree char *what =
                        pin ? g_strdup_printf("<cputune><iothreadpin iothread='%u' cpuset='%s'>",
                                              id, pin)
                            : g_strdup_printf("<vcpu cpuset='%s'>", def->vcpu_cpuset);

                t->iothread_ids[i] = id;
                if (pin || def->vcpu_cpuset) {
                        r = tune_mask(t, pin ? pin : def->vcpu_cpuset, what, name,
                                      &t->iothread_masks[i], reterr);
                        if (r < 0)
                                return r;
                }
                t->iothread_scheds[i] = vk_domain_iothread_sched(def, id);
                g_free(what);
                what = g_strdup_printf("<cputune><iothreadsched> of I/O thread %u", id);
                r = tune_check_priority(t->iothread_scheds[i], what, name, reterr);
                if (r < 0)
                        return r;
        }
        if (ct->emulatorpin || def->vcpu_cpuset) {
                g_autofree char *what =
                        ct->emulatorpin ? g_strdup_printf("<cputune><emulatorpin cpuset='%s'>",
                                                          ct->emulatorpin)
                                        : g_strdup_printf("<vcpu cpuset='%s'>", def->vcpu_cpuset);

                r = tune_mask(t, ct->emulatorpin ? ct->emulatorpin : def->vcpu_cpuset, what, name,
                              &t->emulator_mask, reterr);
                if (r < 0)
                        return r;
        }
        t->emulator_sched = ct->emulatorsched;
        r = tune_check_priority(&t->emulator_sched, "<cputune><emulatorsched>", name, reterr);
        if (r < 0)
                return r;
        r = vk_qemu_cpu_cgroup_plan(def, &t->cgroup, reterr);
        if (r >= 0)
                r = vk_qemu_cpu_cgroup_check(&t->cgroup, p->machine_prefix != NULL, reterr);
        if (r < 0)
                return r;
        p->tune = g_steal_pointer(&t);
        return 0;
}

/* The CPU controller properties QEMU's systemd scope gets (none when nothing is tuned). */
void process_tune_scope(const VkQemuProcess *p, VkScopeCpu *ret) {
        *ret = (VkScopeCpu){};
        if (p->tune)
                vk_qemu_cpu_cgroup_scope(&p->tune->cgroup, ret);
}

static int tune_set_affinity(pid_t tid, const bool *map, const char *what, const char *name,
                             VkError *reterr) {
        return vk_qemu_affinity_set(tid, map, what, name, reterr);
}

static int tune_set_sched(pid_t tid, const VkCpuSched *s, const char *what, const char *name,
                          VkError *reterr) {
        static const int policies[_VK_SCHED_POLICY_MAX] = {
                [VK_SCHED_POLICY_NONE] = SCHED_OTHER, [VK_SCHED_POLICY_BATCH] = SCHED_BATCH,
                [VK_SCHED_POLICY_IDLE] = SCHED_IDLE,  [VK_SCHED_POLICY_FIFO] = SCHED_FIFO,
                [VK_SCHED_POLICY_RR] = SCHED_RR,
        };
        struct sched_param sp = {};
        g_autofree char *prio = NULL;
        bool rt;
        int e;

        if (!s || s->policy == VK_SCHED_POLICY_NONE)
                return 0;
        rt = s->policy == VK_SCHED_POLICY_FIFO || s->policy == VK_SCHED_POLICY_RR;
        sp.sched_priority = rt ? s->priority : 0;
        if (sched_setscheduler(tid, policies[s->policy], &sp) >= 0)
                return 0;
        e = errno;
        prio = rt ? g_strdup_printf(" priority='%d'", s->priority) : g_strdup("");
        return vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, vk_negative_errno(e),
                            "domain '%s': cannot give %s (thread %d) scheduler='%s'%s: %s%s", name,
                            what, (int) tid, vk_sched_policy_to_string(s->policy), prio,
                            g_strerror(e),
                            rt && e == EPERM ? " (real-time scheduling needs CAP_SYS_NICE)" : "");
}

/*
 * QEMU (pid @pid, still in virtkit-qemu-exec) gets the emulator's affinity before it execs:
 * every thread it makes inherits it. Returns 0 or -errno with @reterr set.
 */
int process_tune_initial(VkQemuProcess *p, VkError *reterr) {
        if (!p->tune || !p->tune->emulator_mask)
                return 0;
        return tune_set_affinity(p->pid, p->tune->emulator_mask, "QEMU", p->name, reterr);
}

/* Whether @tid is a vCPU or I/O thread. */
static bool tune_is_worker(const ProcessTune *t, pid_t tid) {
        for (unsigned i = 0; i < t->n_vcpus; i++)
                if (t->vcpu_tids[i] == tid)
                        return true;
        for (unsigned i = 0; i < t->n_iothreads; i++)
                if (t->iothread_tids[i] == tid)
                        return true;
        return false;
}

/* The affinity and schedulers of every thread, once their ids are known. */
static int tune_apply_threads(VkQemuProcess *p, VkError *reterr) {
        ProcessTune *t = p->tune;
        g_autofree char *task_dir = g_strdup_printf("/proc/%d/task", (int) p->pid);
        g_autoptr(GDir) dir = NULL;
        const char *entry;
        int r;

        for (unsigned i = 0; i < t->n_vcpus; i++) {
                g_autofree char *what = g_strdup_printf("vCPU %u", i);

                if (t->vcpu_tids[i] <= 0)
                        continue; /* not present (hot-pluggable, <vcpu current=>) */
                if (t->vcpu_masks[i]) {
                        r = tune_set_affinity(t->vcpu_tids[i], t->vcpu_masks[i], what, p->name,
                                              reterr);
                        if (r < 0)
                                return r;
                }
                r = tune_set_sched(t->vcpu_tids[i], t->vcpu_scheds[i], what, p->name, reterr);
                if (r < 0)
                        return r;
        }
        for (unsigned i = 0; i < t->n_iothreads; i++) {
                g_autofree char *what = g_strdup_printf("I/O thread %u", t->iothread_ids[i]);

                if (t->iothread_masks[i]) {
                        r = tune_set_affinity(t->iothread_tids[i], t->iothread_masks[i], what,
                                              p->name, reterr);
                        if (r < 0)
                                return r;
                }
                r = tune_set_sched(t->iothread_tids[i], t->iothread_scheds[i], what, p->name,
                                   reterr);
                if (r < 0)
                        return r;
        }
        if (t->emulator_mask) {
                dir = g_dir_open(task_dir, 0, NULL);
                while (dir && (entry = g_dir_read_name(dir))) {
                        pid_t tid = (pid_t) g_ascii_strtoll(entry, NULL, 10);

                        if (tid <= 0 || tune_is_worker(t, tid))
                                continue;
                        r = tune_set_affinity(tid, t->emulator_mask, "the emulator", p->name,
                                              reterr);
                        if (r < 0 && r != -ESRCH) /* a thread that just ended */
                                return r;
                }
        }
        return tune_set_sched(p->pid, &t->emulator_sched, "the emulator", p->name, reterr);
}

static void tune_finish(VkQemuProcess *p) {
        g_auto(VkError) err = VK_ERROR_INIT;
        int r;

        r = tune_apply_threads(p, &err);
        if (r >= 0)
                r = vk_qemu_cpu_cgroup_apply(&p->tune->cgroup, p->cgroup_via, p->cgroup_name,
                                             p->pid, p->tune->vcpu_tids, p->tune->iothread_ids,
                                             p->tune->iothread_tids, &err);
        if (r < 0) {
                process_fail(p, &err);
                return;
        }
        vk_log_debug("Domain '%s': CPU tuning applied", p->name);
        process_after_tune(p);
}

static void tune_on_iothreads(VkQmpClient *qmp, JsonNode *ret, const VkError *error,
                              void *userdata) {
        VkQemuProcess *p = userdata;
        ProcessTune *t = p->tune;
        g_auto(VkError) err = VK_ERROR_INIT;

        if (error) {
                process_fail(p, error);
                return;
        }
        vk_qemu_affinity_iothread_tids(ret, t->iothread_ids, t->iothread_tids, t->n_iothreads);
        for (unsigned k = 0; k < t->n_iothreads; k++)
                if (t->iothread_tids[k] <= 0) {
                        vk_error_set(&err, VK_ERROR_OPERATION_FAILED, -EIO,
                                     "domain '%s': QEMU did not report the thread of I/O "
                                     "thread %u (query-iothreads)",
                                     p->name, t->iothread_ids[k]);
                        process_fail(p, &err);
                        return;
                }
        tune_finish(p);
}

static void tune_on_cpus(VkQmpClient *qmp, JsonNode *ret, const VkError *error, void *userdata) {
        VkQemuProcess *p = userdata;
        ProcessTune *t = p->tune;
        g_auto(VkError) err = VK_ERROR_INIT;

        if (error) {
                process_fail(p, error);
                return;
        }
        vk_qemu_affinity_vcpu_tids(ret, t->vcpu_tids, t->n_vcpus);
        if (t->n_vcpus > 0 && t->vcpu_tids[0] <= 0) {
                vk_error_set(&err, VK_ERROR_OPERATION_FAILED, -EIO,
                             "domain '%s': QEMU did not report its vCPU threads (query-cpus-fast)",
                             p->name);
                process_fail(p, &err);
                return;
        }
        if (t->n_iothreads == 0) {
                tune_finish(p);
                return;
        }
        if (vk_qmp_execute(p->qmp, "query-iothreads", NULL, tune_on_iothreads, p, NULL, &err) < 0)
                process_fail(p, &err);
}

/*
 * Stage 4, before the vCPUs run: ask QEMU for its threads and apply the plan; then go on with
 * process_after_tune(), or fail the start. Without a plan, straight on.
 */
void process_tune_apply(VkQemuProcess *p) {
        g_auto(VkError) err = VK_ERROR_INIT;

        if (!p->tune) {
                process_after_tune(p);
                return;
        }
        g_free(p->tune->vcpu_tids);
        g_free(p->tune->iothread_tids);
        p->tune->vcpu_tids = g_new0(pid_t, p->tune->n_vcpus);
        p->tune->iothread_tids = g_new0(pid_t, p->tune->n_iothreads);
        if (vk_qmp_execute(p->qmp, "query-cpus-fast", NULL, tune_on_cpus, p, NULL, &err) < 0)
                process_fail(p, &err);
}
