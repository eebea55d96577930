/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-driver-vcpu.c: vCPU and emulator pins, vcpuinfo, vcpucount (libvirt's names) */
#include <errno.h>
#include <string.h>

#include "log.h"
#include "macro.h"
#include "qemu-affinity.h"
#include "qemu-cgroup-cpu.h"
#include "qemu-driver-internal.h"
#include "qemu-job.h"

/*
 * libvirt's virDomainGetVcpus, virDomainGetVcpuPinInfo, virDomainPinVcpuFlags,
 * virDomainGetEmulatorPinInfo, virDomainPinEmulator and virDomainGetVcpusFlags:
 *
 *   - a pin read from a definition is its <vcpupin> (<emulatorpin>), else <vcpu cpuset=>, else
 *     every online CPU of the host, as a CPU list;
 *   - a running QEMU's threads come from QMP (query-cpus-fast, query-iothreads), asked from the
 *     loop; vcpuinfo is a query (no job), a pin a job;
 *   - a live pin goes on the thread (sched_setaffinity; the emulator: every thread that is no
 *     vCPU or I/O thread) and on the cpuset.cpus of its cgroup child where virtkit made one at
 *     start (qemu-cgroup-cpu.c), then into the live definition and the status file;
 *   - a config pin goes into <cputune> of the persistent definition (written atomically); a
 *     pin of both writes the config first and puts it back if the live part fails.
 *
 * The CPU set is checked as at start: a CPU the host does not have online is refused naming
 * the element and the CPU.
 */

#define PIN_JOB_TIMEOUT_USEC (60ULL * 1000 * 1000)

unsigned vk_qemu_driver_host_cpus(void) {
        return vk_qemu_affinity_host_cpus();
}

static const char *vcpu_pin_of(const VkCputune *ct, unsigned vcpu) {
        for (size_t i = 0; i < ct->n_vcpupins; i++)
                if (ct->vcpupins[i].id == vcpu)
                        return ct->vcpupins[i].cpuset;
        return NULL;
}

/* @cpuset (a pin as written, NULL: none) as a CPU list; none: every online CPU. */
static char *pin_text(const char *cpuset, const bool *online) {
        g_autofree bool *map = g_new0(bool, VK_DOMAIN_CPUSET_MAX);

        if (!cpuset)
                return vk_qemu_affinity_format(online);
        if (vk_domain_cpuset_parse(cpuset, map) < 0)
                return g_strdup(cpuset);
        return vk_qemu_affinity_format(map);
}

static const char *vcpu_pin(const VkDomainDef *def, unsigned vcpu) {
        const char *pin = vcpu_pin_of(&def->cputune, vcpu);

        return pin ? pin : def->vcpu_cpuset;
}

static const char *emulator_pin(const VkDomainDef *def) {
        return def->cputune.emulatorpin ? def->cputune.emulatorpin : def->vcpu_cpuset;
}

/*
 * The CPUs each vCPU of @domain may run on (virDomainGetVcpuPinInfo): one CPU list per vCPU
 * up to <vcpu>, of the live definition or the persistent one (@flags, VkQemuAffectFlags).
 */
int vk_qemu_driver_get_vcpu_pins(VkQemuDriver *drv, const char *domain, unsigned flags, char ***ret,
                                 VkError *reterr) {
        g_autofree bool *online = NULL;
        const VkDomainDef *def = NULL;
        char **pins;
        int r;

        r = qemu_driver_query_def(drv, domain, flags, &def, reterr);
        if (r >= 0)
                r = vk_qemu_affinity_online(&online, reterr);
        if (r < 0)
                return r;
        pins = g_new0(char *, def->vcpus + 1);
        for (unsigned i = 0; i < def->vcpus; i++)
                pins[i] = pin_text(vcpu_pin(def, i), online);
        *ret = pins;
        return 0;
}

/* The CPUs the emulator threads of @domain may run on (virDomainGetEmulatorPinInfo). */
int vk_qemu_driver_get_emulator_pin(VkQemuDriver *drv, const char *domain, unsigned flags,
                                    char **ret, VkError *reterr) {
        g_autofree bool *online = NULL;
        const VkDomainDef *def = NULL;
        int r;

        r = qemu_driver_query_def(drv, domain, flags, &def, reterr);
        if (r >= 0)
                r = vk_qemu_affinity_online(&online, reterr);
        if (r < 0)
                return r;
        *ret = pin_text(emulator_pin(def), online);
        return 0;
}

/*
 * The number of vCPUs of @domain (virDomainGetVcpusFlags): the current one, or <vcpu> with
 * VK_QEMU_VCPU_MAXIMUM, of the live definition or the persistent one.
 */
int vk_qemu_driver_get_vcpu_count(VkQemuDriver *drv, const char *domain, unsigned flags,
                                  unsigned *ret, VkError *reterr) {
        const VkDomainDef *def = NULL;
        int r;

        r = qemu_driver_query_def(drv, domain, flags & ~VK_QEMU_VCPU_MAXIMUM, &def, reterr);
        if (r < 0)
                return r;
        *ret = (flags & VK_QEMU_VCPU_MAXIMUM) || !def->vcpus_current ? def->vcpus
                                                                     : def->vcpus_current;
        return 0;
}

/* ---- QEMU's threads ---------------------------------------------------------------------- */

typedef struct VcpuThreads VcpuThreads;
typedef void (*VcpuThreadsFunc)(VcpuThreads *vt, const VkError *error);

/* What QMP says of a running QEMU's threads, then @next. */
struct VcpuThreads {
        VkQemuDriver *drv;
        VkDomainObj *obj; /* a reference */
        pid_t pid;        /* the QEMU asked */
        unsigned n_vcpus, n_iothreads;
        pid_t *vcpu_tids;
        unsigned *iothread_ids;
        pid_t *iothread_tids;
        VcpuThreadsFunc next;
        /* vcpuinfo */
        VkQemuVcpuInfoFunc info_done;
        void *userdata;
        /* a pin */
        VkQemuJob *job; /* a reference */
};

static void vcpu_threads_free(VcpuThreads *vt) {
        if (!vt)
                return;
        vk_domain_obj_unref(vt->obj);
        if (vt->job)
                vk_qemu_job_unref(vt->job);
        g_free(vt->vcpu_tids);
        g_free(vt->iothread_ids);
        g_free(vt->iothread_tids);
        g_free(vt);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(VcpuThreads, vcpu_threads_free)

/* Whether the QEMU asked is still the domain's. */
static int vcpu_threads_check(VcpuThreads *vt, VkError *reterr) {
        VkDomainObj *obj = vt->obj;

        if (!vk_domain_obj_is_active(obj) || !obj->process || obj->process->pid != vt->pid)
                return vk_error_set(reterr, VK_ERROR_OPERATION_INVALID, -ESRCH,
                                    "domain '%s' is not running", obj->name);
        return 0;
}

static void vcpu_threads_on_iothreads(VkQmpClient *qmp, JsonNode *ret, const VkError *error,
                                      void *userdata) {
        VcpuThreads *vt = userdata;

        if (!error)
                vk_qemu_affinity_iothread_tids(ret, vt->iothread_ids, vt->iothread_tids,
                                               vt->n_iothreads);
        vt->next(vt, error);
}

static void vcpu_threads_on_cpus(VkQmpClient *qmp, JsonNode *ret, const VkError *error,
                                 void *userdata) {
        VcpuThreads *vt = userdata;
        g_auto(VkError) err = VK_ERROR_INIT;

        if (error) {
                vt->next(vt, error);
                return;
        }
        vk_qemu_affinity_vcpu_tids(ret, vt->vcpu_tids, vt->n_vcpus);
        if (vt->n_iothreads == 0) {
                vt->next(vt, NULL);
                return;
        }
        if (vk_qmp_execute(qmp, "query-iothreads", NULL, vcpu_threads_on_iothreads, vt, NULL,
                           &err) < 0)
                vt->next(vt, &err);
}

/* Ask the running QEMU of vt->obj for its vCPU (and I/O) threads; vt->next follows. */
static int vcpu_threads_fetch(VcpuThreads *vt, bool iothreads, VkError *reterr) {
        VkDomainObj *obj = vt->obj;
        const VkDomainDef *def = obj->live ? obj->live : obj->def;
        VkQmpClient *qmp = obj->process ? obj->process->qmp : NULL;

        if (!vk_domain_obj_is_active(obj) || !obj->process)
                return vk_error_set(reterr, VK_ERROR_OPERATION_INVALID, -EINVAL,
                                    "domain '%s' is not running", obj->name);
        if (!qmp || !vk_qmp_client_is_ready(qmp))
                return vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, -ENOTCONN,
                                    "domain '%s': no monitor connection", obj->name);
        vt->pid = obj->process->pid;
        vt->n_vcpus = def->vcpus;
        vt->vcpu_tids = g_new0(pid_t, vt->n_vcpus);
        vt->n_iothreads = iothreads ? def->n_iothreads : 0;
        vt->iothread_ids = g_new0(unsigned, vt->n_iothreads);
        vt->iothread_tids = g_new0(pid_t, vt->n_iothreads);
        for (unsigned i = 0; i < vt->n_iothreads; i++)
                vt->iothread_ids[i] = vk_domain_iothread_id(def, i);
        return vk_qmp_execute(qmp, "query-cpus-fast", NULL, vcpu_threads_on_cpus, vt, NULL, reterr);
}

/* ---- vcpuinfo ---------------------------------------------------------------------------- */

static void vcpu_info_next(VcpuThreads *vt, const VkError *error) {
        g_autoptr(VcpuThreads) owned = vt;
        g_autoptr(GArray) vcpus = g_array_new(FALSE, TRUE, sizeof(VkQemuVcpuInfo));
        g_auto(VkError) err = VK_ERROR_INIT;

        if (!error && vcpu_threads_check(vt, &err) < 0)
                error = &err;
        for (unsigned i = 0; !error && i < vt->n_vcpus; i++) {
                VkQemuVcpuInfo info = { .vcpu = i, .cpu = -1 };
                VkQemuThreadStat st;
                g_autofree bool *map = NULL;

                if (vt->vcpu_tids[i] <= 0)
                        continue; /* offline */
                if (vk_qemu_thread_stat(vt->pid, vt->vcpu_tids[i], &st) >= 0) {
                        info.cpu = st.cpu;
                        info.cpu_time_ns = st.cpu_time_ns;
                }
                if (vk_qemu_affinity_get(vt->vcpu_tids[i], &map, &err) < 0) {
                        error = &err;
                        break;
                }
                info.affinity = vk_qemu_affinity_format(map);
                g_array_append_val(vcpus, info);
        }
        vt->info_done(vt->drv, error ? NULL : (const VkQemuVcpuInfo *) (void *) vcpus->data,
                      error ? 0 : vcpus->len, error, vt->userdata);
        for (guint i = 0; i < vcpus->len; i++)
                g_free(g_array_index(vcpus, VkQemuVcpuInfo, i).affinity);
}

/*
 * The online vCPUs of the running @domain (virDomainGetVcpus): the host CPU each one's thread
 * last ran on, its CPU time and affinity. A query: no job; @done runs once QEMU answered.
 */
int vk_qemu_driver_get_vcpu_info(VkQemuDriver *drv, const char *domain, VkQemuVcpuInfoFunc done,
                                 void *userdata, VkError *reterr) {
        g_autoptr(VcpuThreads) vt = g_new0(VcpuThreads, 1);
        VkDomainObj *obj;
        int r;

        r = vk_domain_list_lookup(drv->domains, domain, &obj, reterr);
        if (r < 0)
                return r;
        vt->drv = drv;
        vt->obj = vk_domain_obj_ref(obj);
        vt->next = vcpu_info_next;
        vt->info_done = done;
        vt->userdata = userdata;
        r = vcpu_threads_fetch(vt, false, reterr);
        if (r < 0)
                return r;
        g_steal_pointer(&vt); /* vcpu_info_next() frees it */
        return 0;
}

/* ---- pins -------------------------------------------------------------------------------- */

typedef struct PinData {
        int vcpu; /* or VK_QEMU_PIN_EMULATOR */
        bool live, config;
        bool *map;
        char *cpuset; /* as a CPU list */
} PinData;

static void pin_data_free(PinData *pd) {
        g_free(pd->map);
        g_free(pd->cpuset);
        g_free(pd);
}

typedef struct PinReply {
        VkQemuDriver *drv;
        VkQemuDriverDoneFunc done;
        void *userdata;
} PinReply;

static void pin_job_done(VkQemuJob *job, const char *result, const VkError *error, void *userdata) {
        g_autofree PinReply *reply = userdata;

        if (reply->done)
                reply->done(reply->drv, result, error, reply->userdata);
}

/* Put the pin into @def's <cputune>: <emulatorpin>, or the <vcpupin> of its vCPU (by id). */
static void pin_def_set(VkDomainDef *def, int vcpu, const char *cpuset) {
        VkCputune *ct = &def->cputune;
        size_t at = 0;

        ct->present = true;
        if (vcpu == VK_QEMU_PIN_EMULATOR) {
                g_free(ct->emulatorpin);
                ct->emulatorpin = g_strdup(cpuset);
                return;
        }
        for (size_t i = 0; i < ct->n_vcpupins; i++) {
                if (ct->vcpupins[i].id == (unsigned) vcpu) {
                        g_free(ct->vcpupins[i].cpuset);
                        ct->vcpupins[i].cpuset = g_strdup(cpuset);
                        return;
                }
                if (ct->vcpupins[i].id < (unsigned) vcpu)
                        at = i + 1;
        }
        ct->vcpupins = g_renew(VkCpuPin, ct->vcpupins, ct->n_vcpupins + 1);
        memmove(ct->vcpupins + at + 1, ct->vcpupins + at, (ct->n_vcpupins - at) * sizeof(VkCpuPin));
        ct->vcpupins[at] = (VkCpuPin){ .id = (unsigned) vcpu, .cpuset = g_strdup(cpuset) };
        ct->n_vcpupins++;
}

static bool pin_is_worker(const VcpuThreads *vt, pid_t tid) {
        for (unsigned i = 0; i < vt->n_vcpus; i++)
                if (vt->vcpu_tids[i] == tid)
                        return true;
        for (unsigned i = 0; i < vt->n_iothreads; i++)
                if (vt->iothread_tids[i] == tid)
                        return true;
        return false;
}

/* The live part: the cgroup child's cpuset, then the threads' affinity. */
static int pin_apply_live(VcpuThreads *vt, const PinData *pd, VkError *reterr) {
        VkQemuProcess *p = vt->obj->process;
        const char *name = vt->obj->name;
        g_autofree char *child = pd->vcpu == VK_QEMU_PIN_EMULATOR
                                         ? g_strdup("emulator")
                                         : g_strdup_printf("vcpu%d", pd->vcpu);
        g_autofree char *task_dir = NULL;
        g_autoptr(GDir) dir = NULL;
        const char *entry;
        int r;

        r = vk_qemu_cpu_cgroup_set_cpuset(p->cgroup_via, p->cgroup_name, child, pd->cpuset, reterr);
        if (r < 0)
                return r;
        if (pd->vcpu != VK_QEMU_PIN_EMULATOR) {
                g_autofree char *what = g_strdup_printf("vCPU %d", pd->vcpu);

                if (vt->vcpu_tids[pd->vcpu] <= 0)
                        return vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, -EIO,
                                            "domain '%s': QEMU did not report the thread of "
                                            "vCPU %d (query-cpus-fast)",
                                            name, pd->vcpu);
                return vk_qemu_affinity_set(vt->vcpu_tids[pd->vcpu], pd->map, what, name, reterr);
        }
        task_dir = g_strdup_printf("/proc/%d/task", (int) vt->pid);
        dir = g_dir_open(task_dir, 0, NULL);
        if (!dir)
                return vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, -ESRCH,
                                    "domain '%s': cannot list the threads of QEMU (%s)", name,
                                    task_dir);
        while ((entry = g_dir_read_name(dir))) {
                pid_t tid = (pid_t) g_ascii_strtoll(entry, NULL, 10);

                if (tid <= 0 || pin_is_worker(vt, tid))
                        continue;
                r = vk_qemu_affinity_set(tid, pd->map, "the emulator", name, reterr);
                if (r < 0 && r != -ESRCH) /* a thread that just ended */
                        return r;
        }
        return 0;
}

/* The pin on what is asked: the config first (put back if the live part fails), then live. */
static int pin_apply(VkQemuJob *job, VcpuThreads *vt, VkError *reterr) {
        VkDomainObj *obj = job->obj;
        VkQemuDriver *drv = obj->driver;
        PinData *pd = job->data;
        g_autoptr(VkDomainDef) old = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        int r;

        if (pd->config) {
                VkDomainDef *def = vk_domain_def_copy(obj->def);

                old = vk_domain_def_copy(obj->def);
                pin_def_set(def, pd->vcpu, pd->cpuset);
                r = vk_domain_list_replace_config(drv->domains, obj, def, reterr);
                if (r < 0)
                        return r;
        }
        if (!pd->live)
                return 0;
        r = vcpu_threads_check(vt, reterr);
        if (r >= 0)
                r = pin_apply_live(vt, pd, reterr);
        if (r < 0) {
                if (old && vk_domain_list_replace_config(drv->domains, obj, g_steal_pointer(&old),
                                                         &err) < 0)
                        vk_log_debug("Failed to put back the config of domain '%s': %s", obj->name,
                                     err.message);
                return r;
        }
        pin_def_set(obj->live, pd->vcpu, pd->cpuset);
        if (vk_qemu_process_write_status(obj->process, obj->live,
                                         vk_domain_state_to_string(obj->state),
                                         vk_domain_reason_to_string(obj->reason), &err) < 0)
                vk_log_debug("Failed to write the status of domain '%s': %s", obj->name,
                             err.message);
        return 0;
}

static void pin_next(VcpuThreads *vt, const VkError *error) {
        g_autoptr(VcpuThreads) owned = vt;
        VkQemuJob *job = vt->job;
        g_auto(VkError) err = VK_ERROR_INIT;

        if (job->finished)
                return; /* timed out meanwhile */
        if (error) {
                vk_qemu_job_finish(job, NULL, error);
                return;
        }
        if (pin_apply(job, vt, &err) < 0) {
                vk_qemu_job_finish(job, NULL, &err);
                return;
        }
        vk_qemu_job_finish(job, NULL, NULL);
}

static void pin_run(VkQemuJob *job) {
        PinData *pd = job->data;
        g_autoptr(VcpuThreads) vt = g_new0(VcpuThreads, 1);
        g_auto(VkError) err = VK_ERROR_INIT;

        vt->drv = job->obj->driver;
        vt->obj = vk_domain_obj_ref(job->obj);
        vt->job = vk_qemu_job_ref(job);
        vt->next = pin_next;
        if (!pd->live) {
                pin_next(g_steal_pointer(&vt), NULL);
                return;
        }
        if (vcpu_threads_fetch(vt, pd->vcpu == VK_QEMU_PIN_EMULATOR, &err) < 0) {
                vk_qemu_job_finish(job, NULL, &err);
                return;
        }
        g_steal_pointer(&vt); /* pin_next() frees it */
}

/*
 * Pin vCPU @vcpu of @domain (VK_QEMU_PIN_EMULATOR: its emulator threads) to the CPU list
 * @cpuset, as virDomainPinVcpuFlags (virDomainPinEmulator): on the running QEMU, in the
 * persistent definition, or both (@flags, VkQemuAffectFlags; 0: the live one of a running
 * domain, else the persistent one). A job; @done runs once it is done.
 */
int vk_qemu_driver_pin(VkQemuDriver *drv, const char *domain, int vcpu, const char *cpuset,
                       unsigned flags, VkQemuDriverDoneFunc done, void *userdata, VkError *reterr) {
        g_autofree bool *online = NULL;
        g_autofree char *what = NULL;
        PinData *pd;
        PinReply *reply;
        VkDomainObj *obj;
        bool live = false, config = false;
        int r;

        r = vk_domain_list_lookup(drv->domains, domain, &obj, reterr);
        if (r < 0)
                return r;
        r = qemu_driver_affect_defs(obj, flags, true, &live, &config, reterr);
        if (r < 0)
                return r;
        if (vcpu != VK_QEMU_PIN_EMULATOR) {
                const VkDomainDef *def = live ? obj->live : obj->def;

                if (vcpu < 0 || (unsigned) vcpu >= def->vcpus ||
                    (config && (unsigned) vcpu >= obj->def->vcpus))
                        return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                            "vcpu %d is out of range of %s cpu count %u", vcpu,
                                            live ? "live" : "persistent",
                                            live ? def->vcpus : obj->def->vcpus);
                if (live && def->vcpus_current && (unsigned) vcpu >= def->vcpus_current)
                        return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                            "setting cpu pinning for inactive vcpu '%d' is not "
                                            "supported",
                                            vcpu);
        }
        what = vcpu == VK_QEMU_PIN_EMULATOR
                       ? g_strdup_printf("<emulatorpin cpuset='%s'>", vk_strempty(cpuset))
                       : g_strdup_printf("<vcpupin vcpu='%d' cpuset='%s'>", vcpu,
                                         vk_strempty(cpuset));
        pd = g_new0(PinData, 1);
        r = vk_qemu_affinity_online(&online, reterr);
        if (r >= 0)
                r = vk_qemu_affinity_parse(online, cpuset, what, obj->name, &pd->map, reterr);
        if (r < 0) {
                pin_data_free(pd);
                return r;
        }
        pd->vcpu = vcpu;
        pd->live = live;
        pd->config = config;
        pd->cpuset = vk_qemu_affinity_format(pd->map);
        reply = g_new0(PinReply, 1);
        *reply = (PinReply){ .drv = drv, .done = done, .userdata = userdata };
        r = vk_qemu_job_submit(drv->event, obj,
                               vcpu == VK_QEMU_PIN_EMULATOR ? "emulatorpin" : "vcpupin",
                               PIN_JOB_TIMEOUT_USEC, pin_run, pd, (GDestroyNotify) pin_data_free,
                               pin_job_done, reply, reterr);
        if (r < 0)
                g_free(reply);
        return r;
}
