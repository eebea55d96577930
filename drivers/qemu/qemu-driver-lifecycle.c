/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * qemu-driver-lifecycle.c: the jobs that change a domain: start, create, destroy, the QMP
 * operations (shutdown, reboot, reset, suspend, resume, inject-nmi, send-key) and monitor
 * pass-through
 */
#include <assert.h>
#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "log.h"
#include "qemu-driver-internal.h"
#include "qemu-job.h"
#include "qemu-keycodes.h"
#include "qemu-netports.h"
#include "qemu-secrets.h"
#include "qemu-volumes.h"

#define START_JOB_TIMEOUT_USEC        (90ULL * 1000 * 1000)
#define DESTROY_JOB_TIMEOUT_USEC      (30ULL * 1000 * 1000)
#define GRACEFUL_DESTROY_TIMEOUT_USEC (10ULL * 1000 * 1000)
#define QMP_JOB_TIMEOUT_USEC          (60ULL * 1000 * 1000)
#define SECRETS_TIMEOUT_USEC          (30ULL * 1000 * 1000)
#define NETPORTS_TIMEOUT_USEC         (30ULL * 1000 * 1000)
#define VOLUMES_TIMEOUT_USEC          (30ULL * 1000 * 1000)

/* What a public call waits for: the job's outcome, handed to the caller's done callback. */
typedef struct JobReply {
        VkQemuDriver *drv;
        VkQemuDriverDoneFunc done;
        void *userdata;
        bool created; /* CreateDomain: drop the transient domain if the start fails */
} JobReply;

static void job_on_done(VkQemuJob *job, const char *result, const VkError *error, void *userdata) {
        JobReply *reply = userdata;
        VkDomainObj *obj = job->obj;

        if (error && reply->created && !obj->persistent && !vk_domain_obj_is_active(obj)) {
                vk_domain_list_remove(reply->drv->domains, obj);
                qemu_driver_changed(reply->drv, obj);
        } else if (!vk_domain_obj_is_active(obj) && !obj->persistent && obj->list &&
                   g_queue_is_empty(&obj->waiting)) {
                vk_domain_list_remove(reply->drv->domains, obj); /* stopped during the job */
                qemu_driver_changed(reply->drv, obj);
        }
        if (reply->done)
                reply->done(reply->drv, result, error, reply->userdata);
        g_free(reply);
}

static int driver_submit(VkQemuDriver *drv, VkDomainObj *obj, const char *name,
                         uint64_t timeout_usec, VkQemuJobRunFunc run, void *data,
                         GDestroyNotify data_free, bool created, VkQemuDriverDoneFunc done,
                         void *userdata, VkError *reterr) {
        JobReply *reply = g_new0(JobReply, 1);
        int r;

        reply->drv = drv;
        reply->done = done;
        reply->userdata = userdata;
        reply->created = created;
        r = vk_qemu_job_submit(drv->event, obj, name, timeout_usec, run, data, data_free,
                               job_on_done, reply, reterr);
        if (r < 0)
                g_free(reply);
        return r;
}

static int job_check_active(VkQemuJob *job) {
        if (vk_domain_obj_is_active(job->obj) && job->obj->process)
                return 0;
        vk_qemu_job_fail(job, VK_ERROR_OPERATION_INVALID, -EINVAL, "domain '%s' is not running",
                         job->obj->name);
        return -EINVAL;
}

/* job_check_active(), and QEMU's monitor is connected. */
static int job_check_monitor(VkQemuJob *job) {
        int r = job_check_active(job);

        if (r < 0)
                return r;
        if (job->obj->process->qmp)
                return 0;
        vk_qemu_job_fail(job, VK_ERROR_OPERATION_FAILED, -ENOTCONN,
                         "domain '%s': no monitor connection", job->obj->name);
        return -ENOTCONN;
}

/* start */

typedef struct StartData {
        bool paused;
        /* while secretd encrypts the disk secrets: what the start goes on with */
        VkDomainDef *live;
        VkQemuCaps *caps;
        VkQemuSecrets *secrets;
        VkQemuVolumes *volumes;   /* storaged's answers for the volume disks */
        VkQemuNetPorts *netports; /* networkd's ports for <interface type='network'> */
        bool has_key;
        uint8_t master_key[VK_QEMU_MASTER_KEY_SIZE];
} StartData;

static void start_data_free(StartData *sd) {
        if (!sd)
                return;
        vk_qemu_secrets_free(sd->secrets);
        vk_qemu_volumes_free(sd->volumes);
        vk_qemu_netports_free(sd->netports); /* deletes ports QEMU did not get */
        vk_domain_def_free(sd->live);
        if (sd->caps)
                vk_qemu_caps_unref(sd->caps);
        explicit_bzero(sd->master_key, sizeof(sd->master_key));
        g_free(sd);
}

/* Exec QEMU for sd->live, with the secrets (if any) secretd encrypted for it. */
static void start_spawn(VkQemuDriver *drv, VkQemuJob *job) {
        VkDomainObj *obj = job->obj;
        StartData *sd = job->data;
        g_auto(VkError) err = VK_ERROR_INIT;
        g_autoptr(VkDomainDef) live = g_steal_pointer(&sd->live);
        VkQemuProcessOptions opts = {};
        g_autofree char *swtpm_lib = vk_qemu_swtpm_sibling_dir(drv->paths->lib_dir);
        g_autofree char *swtpm_log = vk_qemu_swtpm_sibling_dir(drv->paths->log_dir);
        int id, r;

        id = vk_domain_list_next_id(drv->domains);
        live->id = id;
        (void) vk_domain_list_set_id(drv->domains, obj, id);

        opts.run_dir = drv->paths->run_dir;
        opts.log_dir = drv->paths->log_dir;
        opts.caps = sd->caps;
        opts.cfg = drv->cfg;
        opts.paused = sd->paused;
        opts.security = drv->security;
        opts.machine_prefix = drv->machine_prefix;
        opts.ports = drv->ports;
        opts.scopes = drv->scopes;
        opts.swtpm_lib_dir = swtpm_lib;
        opts.swtpm_log_dir = swtpm_log;
        if (sd->secrets) {
                opts.master_key = sd->master_key;
                opts.secrets = vk_qemu_secrets_get(sd->secrets, &opts.n_secrets);
        }
        if (sd->volumes)
                opts.volumes = vk_qemu_volumes_get(sd->volumes, &opts.n_volumes);
        if (sd->netports) {
                opts.plugs = vk_qemu_netports_get(sd->netports, &opts.n_plugs);
                opts.networkd_socket = drv->networkd_socket;
        }
        r = vk_qemu_process_start(drv->event, live, &opts, &qemu_driver_process_callbacks, obj,
                                  &obj->process, &err);
        /* the process and its status file have the ports now (on failure it deleted them, and
         * freeing netports deletes them again, then removes the intent file) */
        if (r >= 0 && sd->netports)
                vk_qemu_netports_disown(sd->netports);
        sd->netports = vk_qemu_netports_free(sd->netports);
        /* the command line has them now; nothing of the start needs them again */
        sd->secrets = vk_qemu_secrets_free(sd->secrets);
        explicit_bzero(sd->master_key, sizeof(sd->master_key));
        if (r < 0) {
                (void) vk_domain_list_set_id(drv->domains, obj, -1);
                vk_domain_obj_set_state(obj, VK_DOMAIN_STATE_SHUTOFF, VK_DOMAIN_REASON_FAILED);
                vk_qemu_job_fail(job, err.name, r, "Failed to start domain '%s': %s", obj->name,
                                 err.message);
                return;
        }
        obj->live = g_steal_pointer(&live);
        vk_domain_obj_set_state(obj, VK_DOMAIN_STATE_PAUSED, VK_DOMAIN_REASON_STARTING_UP);
        qemu_driver_changed(drv, obj);
        qemu_driver_busy_changed(drv);
}

typedef void (*StartStage)(VkQemuDriver *drv, VkQemuJob *job);

/* An asynchronous stage of the start (volumes, secrets, ports) ended: fail the job, or go on with
 * @next. */
static void start_stage_done(VkQemuJob *userdata_job, const VkError *error, StartStage next) {
        g_autoptr(VkQemuJob) job = vk_qemu_job_ref(userdata_job);
        VkDomainObj *obj = job->obj;
        VkQemuDriver *drv = obj->driver;

        if (job->finished || drv->freeing)
                return;
        if (error) {
                vk_qemu_job_fail(job, error->name, error->error, "Failed to start domain '%s': %s",
                                 obj->name, error->message);
                return;
        }
        next(drv, job);
}

static void start_on_netports(VkQemuNetPorts *np, const VkError *error, void *userdata) {
        start_stage_done(userdata, error, start_spawn);
}

/* A port from virtkit-networkd for each <interface type='network'>, then QEMU. */
static void start_get_ports(VkQemuDriver *drv, VkQemuJob *job) {
        StartData *sd = job->data;
        g_auto(VkError) err = VK_ERROR_INIT;
        g_autofree char *intent = NULL;
        int r;

        if (vk_qemu_netports_count(sd->live) == 0) {
                start_spawn(drv, job);
                return;
        }
        intent = vk_qemu_netports_intent_path(drv->paths->run_dir, sd->live->name);
        r = vk_qemu_netports_create(drv->event, drv->networkd_socket, sd->live, intent,
                                    NETPORTS_TIMEOUT_USEC, start_on_netports, job, &sd->netports,
                                    &err);
        if (r < 0)
                vk_qemu_job_fail(job, err.name, r, "Failed to start domain '%s': %s",
                                 job->obj->name, err.message);
}

/*
 * The embedded driver (qemu:///embed) has no network daemon: like libvirt's, it refuses
 * type='network' rather than start a guest without its network.
 */
static int start_check_networks(VkQemuDriver *drv, const VkDomainDef *def, VkError *reterr) {
        for (size_t i = 0; drv->networkd_socket == NULL && i < def->n_nets; i++)
                if (def->nets[i]->type == VK_NET_TYPE_NETWORK)
                        return vk_error_set(reterr, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                            "interface of network '%s': the embedded driver has "
                                            "no virtual networks: use <interface type='user'>, "
                                            "or the system instance (qemu:///system)",
                                            def->nets[i]->source);
        return 0;
}

static void start_on_secrets(VkQemuSecrets *secrets, const VkError *error, void *userdata) {
        start_stage_done(userdata, error, start_get_ports);
}

/*
 * Encrypted disks: a fresh master key for this start, and secretd encrypts each disk's secret
 * under it (qemud never sees a value). The key reaches QEMU's private dir in start_spawn().
 */
static int start_fetch_secrets(VkQemuDriver *drv, VkQemuJob *job, VkError *reterr) {
        StartData *sd = job->data;
        g_autofree char *socket = NULL;
        ssize_t n;
        int r;

        n = getrandom(sd->master_key, sizeof(sd->master_key), /* flags= */ 0);
        if (n != (ssize_t) sizeof(sd->master_key))
                return vk_error_set_errno(reterr, n < 0 ? errno : EIO,
                                          "Failed to generate the master key");
        sd->has_key = true;
        r = vk_paths_socket(drv->paths, VK_QEMU_SECRETD_INTERFACE, &socket, reterr);
        if (r < 0)
                return r;
        return vk_qemu_secrets_fetch(drv->event, socket, sd->live, sd->master_key,
                                     SECRETS_TIMEOUT_USEC, start_on_secrets, job, &sd->secrets,
                                     reterr);
}

/* The disk secrets, if any, then the ports. */
static void start_get_secrets(VkQemuDriver *drv, VkQemuJob *job) {
        StartData *sd = job->data;
        g_auto(VkError) err = VK_ERROR_INIT;
        int r;

        if (vk_qemu_secrets_count_disks(sd->live) == 0) {
                start_get_ports(drv, job);
                return;
        }
        r = start_fetch_secrets(drv, job, &err);
        if (r < 0)
                vk_qemu_job_fail(job, err.name, r, "Failed to start domain '%s': %s",
                                 job->obj->name, err.message);
}

static void start_on_volumes(VkQemuVolumes *volumes, const VkError *error, void *userdata) {
        start_stage_done(userdata, error, start_get_secrets);
}

/*
 * Volume disks: storaged says where each volume is (qemu-volumes.c) and the live copy gets
 * it, before the secrets (an encrypted volume's secret is found by its path), then the rest.
 */
static void start_get_volumes(VkQemuDriver *drv, VkQemuJob *job) {
        StartData *sd = job->data;
        g_auto(VkError) err = VK_ERROR_INIT;
        g_autofree char *socket = NULL;
        int r;

        if (vk_qemu_volumes_count_disks(sd->live) == 0) {
                start_get_secrets(drv, job);
                return;
        }
        r = vk_paths_socket(drv->paths, VK_QEMU_STORAGED_INTERFACE, &socket, &err);
        if (r >= 0)
                r = vk_qemu_volumes_resolve(drv->event, socket, sd->live, VOLUMES_TIMEOUT_USEC,
                                            start_on_volumes, job, &sd->volumes, &err);
        if (r < 0)
                vk_qemu_job_fail(job, err.name, r, "Failed to start domain '%s': %s",
                                 job->obj->name, err.message);
}

/*
 * A definition made before its emulator's capabilities were known (or by an older virtkit)
 * gets its versioned machine before the guest first runs, in its persistent config too, so
 * that the next start after a QEMU upgrade gives the guest the same machine.
 */
static void start_pin_machine(VkQemuDriver *drv, VkDomainObj *obj, const VkQemuCaps *caps) {
        g_autoptr(VkDomainDef) pinned = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;

        if (!obj->persistent) {
                (void) qemu_driver_pin_machine(obj->def, caps);
                return;
        }
        pinned = vk_domain_def_copy(obj->def);
        if (qemu_driver_pin_machine(pinned, caps) == 0)
                return;
        if (vk_domain_list_replace_config(drv->domains, obj, g_steal_pointer(&pinned), &err) < 0)
                vk_log_warning("domain '%s': cannot save its versioned machine type: %s", obj->name,
                               err.message);
}

static void start_on_caps(VkQemuDriver *drv, VkQemuCaps *caps, const VkError *error,
                          void *userdata) {
        g_autoptr(VkQemuJob) job = userdata;
        VkDomainObj *obj = job->obj;
        StartData *sd = job->data;
        g_auto(VkError) err = VK_ERROR_INIT;
        int r;

        if (job->finished || drv->freeing)
                return;
        if (!caps) {
                vk_qemu_job_fail(job, error->name, error->error, "Failed to start domain '%s': %s",
                                 obj->name, error->message);
                return;
        }
        start_pin_machine(drv, obj, caps);
        sd->live = vk_domain_def_copy(obj->def);
        (void) qemu_driver_pin_machine(sd->live, caps);
        sd->caps = vk_qemu_caps_ref(caps);
        r = start_check_networks(drv, sd->live, &err);
        if (r >= 0)
                r = qemu_driver_fill_firmware(drv, sd->live, caps, &err);
        if (r < 0) {
                vk_qemu_job_fail(job, err.name, r, "Failed to start domain '%s': %s", obj->name,
                                 err.message);
                return;
        }
        start_get_volumes(drv, job);
}

/*
 * The start job: the one place a start checks that the domain is not running. Jobs of a domain
 * run one at a time, so nothing can start it between this check and the spawn.
 */
static void start_run(VkQemuJob *job) {
        VkDomainObj *obj = job->obj;
        VkQemuDriver *drv = obj->driver;
        g_auto(VkError) err = VK_ERROR_INIT;
        g_autofree char *binary = NULL;
        int r;

        if (vk_domain_obj_is_active(obj)) {
                vk_qemu_job_fail(job, VK_ERROR_OPERATION_INVALID, -EBUSY,
                                 "domain '%s' is already running", obj->name);
                return;
        }
        binary = obj->def->emulator ? g_strdup(obj->def->emulator)
                                    : qemu_driver_default_binary(drv, NULL);
        r = qemu_driver_get_caps(drv, binary, start_on_caps, vk_qemu_job_ref(job), &err);
        if (r < 0) {
                vk_qemu_job_unref(job);
                vk_qemu_job_fail(job, err.name, r, "Failed to start domain '%s': %s", obj->name,
                                 err.message);
        }
}

/*
 * Start the defined @domain (paused: vCPUs stay stopped). @done runs once QEMU runs (result:
 * the name) or the start failed; a failed start leaves no process or runtime file behind.
 * OperationInvalid when the domain already runs.
 */
int vk_qemu_driver_start(VkQemuDriver *drv, const char *domain, bool paused,
                         VkQemuDriverDoneFunc done, void *userdata, VkError *reterr) {
        VkDomainObj *obj = NULL;
        StartData *sd;
        int r;

        r = vk_domain_list_lookup(drv->domains, domain, &obj, reterr);
        if (r < 0)
                return r;
        sd = g_new0(StartData, 1);
        sd->paused = paused;
        return driver_submit(drv, obj, "start", START_JOB_TIMEOUT_USEC, start_run, sd,
                             (GDestroyNotify) start_data_free, false, done, userdata, reterr);
}

/*
 * Create and start a transient domain from @xml. @done gets the name; if the start fails the
 * domain is forgotten again.
 */
int vk_qemu_driver_create(VkQemuDriver *drv, const char *xml, bool paused,
                          VkQemuDriverDoneFunc done, void *userdata, VkError *reterr) {
        g_autoptr(VkDomainDef) def = NULL;
        VkDomainObj *obj = NULL;
        StartData *sd;
        int r;

        r = vk_domain_def_parse_string(xml, /* flags= */ 0, &def, reterr);
        if (r < 0)
                return r;
        r = vk_domain_list_add_transient(drv->domains, def, &obj, reterr);
        if (r < 0)
                return r;
        g_steal_pointer(&def);
        obj->driver = drv;
        sd = g_new0(StartData, 1);
        sd->paused = paused;
        r = driver_submit(drv, obj, "start", START_JOB_TIMEOUT_USEC, start_run, sd,
                          (GDestroyNotify) start_data_free, true, done, userdata, reterr);
        if (r < 0)
                vk_domain_list_remove(drv->domains, obj);
        return r;
}

/* destroy */

typedef struct DestroyData {
        bool graceful;
} DestroyData;

static void destroy_run(VkQemuJob *job) {
        VkDomainObj *obj = job->obj;
        DestroyData *dd = job->data;
        int r;

        if (job_check_active(job) < 0)
                return;
        obj->destroying = true;
        r = vk_qemu_process_terminate(obj->process, dd->graceful, DESTROY_KILL_GRACE_USEC);
        if (r < 0 && r != -ESRCH)
                vk_qemu_job_fail(job, VK_ERROR_OPERATION_FAILED, r,
                                 "Failed to stop domain '%s': %s", obj->name, g_strerror(-r));
        /* domain_stopped() finishes the job when the pidfd says QEMU is gone */
}

/* The domain @domain (name or UUID), which must be running. */
static int driver_lookup_active(VkQemuDriver *drv, const char *domain, VkDomainObj **ret,
                                VkError *reterr) {
        VkDomainObj *obj = NULL;
        int r;

        r = vk_domain_list_lookup(drv->domains, domain, &obj, reterr);
        if (r < 0)
                return r;
        if (!vk_domain_obj_is_active(obj))
                return vk_error_set(reterr, VK_ERROR_OPERATION_INVALID, -EINVAL,
                                    "domain '%s' is not running", obj->name);
        *ret = obj;
        return 0;
}

/*
 * Stop @domain's QEMU: SIGTERM, then SIGKILL after a grace period (with @graceful only
 * SIGTERM, failing with Timeout if QEMU does not end). @done runs once QEMU is gone.
 */
int vk_qemu_driver_destroy(VkQemuDriver *drv, const char *domain, bool graceful,
                           VkQemuDriverDoneFunc done, void *userdata, VkError *reterr) {
        VkDomainObj *obj = NULL;
        DestroyData *dd;
        int r;

        r = driver_lookup_active(drv, domain, &obj, reterr);
        if (r < 0)
                return r;
        dd = g_new0(DestroyData, 1);
        dd->graceful = graceful;
        return driver_submit(drv, obj, "destroy",
                             graceful ? GRACEFUL_DESTROY_TIMEOUT_USEC : DESTROY_JOB_TIMEOUT_USEC,
                             destroy_run, dd, g_free, false, done, userdata, reterr);
}

/* simple QMP operations */

static const char *const domain_op_names[_VK_QEMU_OP_MAX] = {
        [VK_QEMU_OP_SHUTDOWN] = "shutdown", [VK_QEMU_OP_REBOOT] = "reboot",
        [VK_QEMU_OP_RESET] = "reset",       [VK_QEMU_OP_SUSPEND] = "suspend",
        [VK_QEMU_OP_RESUME] = "resume",     [VK_QEMU_OP_INJECT_NMI] = "inject-nmi",
        [VK_QEMU_OP_SEND_KEY] = "send-key",
};

static const char *const domain_op_commands[_VK_QEMU_OP_MAX] = {
        [VK_QEMU_OP_SHUTDOWN] = "system_powerdown",
        [VK_QEMU_OP_REBOOT] = "system_reset",
        [VK_QEMU_OP_RESET] = "system_reset",
        [VK_QEMU_OP_SUSPEND] = "stop",
        [VK_QEMU_OP_RESUME] = "cont",
        [VK_QEMU_OP_INJECT_NMI] = "inject-nmi",
        [VK_QEMU_OP_SEND_KEY] = "send-key",
};

typedef struct OpData {
        VkQemuDomainOp op;
        JsonObject *args; /* the command's arguments, or NULL */
} OpData;

static void op_data_free(OpData *od) {
        if (od->args)
                json_object_unref(od->args);
        g_free(od);
}

static void op_on_reply(VkQmpClient *qmp, JsonNode *ret, const VkError *error, void *userdata) {
        g_autoptr(VkQemuJob) job = userdata;
        VkDomainObj *obj = job->obj;
        OpData *od = job->data;

        if (job->finished)
                return;
        if (error) {
                vk_qemu_job_fail(job, error->name, error->error, "domain '%s': %s failed: %s",
                                 obj->name, domain_op_names[od->op], error->message);
                return;
        }
        if (od->op == VK_QEMU_OP_SUSPEND)
                qemu_driver_set_run_state(obj->driver, obj, VK_DOMAIN_STATE_PAUSED,
                                          VK_DOMAIN_REASON_USER);
        else if (od->op == VK_QEMU_OP_RESUME)
                qemu_driver_set_run_state(obj->driver, obj, VK_DOMAIN_STATE_RUNNING,
                                          VK_DOMAIN_REASON_UNPAUSED);
        vk_qemu_job_finish(job, NULL, NULL);
}

static void op_run(VkQemuJob *job) {
        VkDomainObj *obj = job->obj;
        OpData *od = job->data;
        g_auto(VkError) err = VK_ERROR_INIT;
        int r;

        if (job_check_monitor(job) < 0)
                return;
        if (od->op == VK_QEMU_OP_REBOOT && obj->live &&
            obj->live->on_reboot == VK_LIFECYCLE_DESTROY) {
                /* set-action reboot=shutdown: the reset ends QEMU, as a guest reboot would */
                obj->guest_shutdown = true;
        }
        r = vk_qmp_execute(obj->process->qmp, domain_op_commands[od->op], od->args, op_on_reply,
                           vk_qemu_job_ref(job), NULL, &err);
        if (r < 0) {
                vk_qemu_job_unref(job);
                vk_qemu_job_finish(job, NULL, &err);
        }
}

/* Queue the QMP operation @op with @args (taken; may be NULL) on the running @domain. */
static int driver_submit_op(VkQemuDriver *drv, const char *domain, VkQemuDomainOp op,
                            JsonObject *args, VkQemuDriverDoneFunc done, void *userdata,
                            VkError *reterr) {
        VkDomainObj *obj = NULL;
        OpData *od;
        int r;

        assert(op >= 0 && op < _VK_QEMU_OP_MAX);
        r = driver_lookup_active(drv, domain, &obj, reterr);
        if (r < 0) {
                if (args)
                        json_object_unref(args);
                return r;
        }
        od = g_new0(OpData, 1);
        od->op = op;
        od->args = args;
        return driver_submit(drv, obj, domain_op_names[op], QMP_JOB_TIMEOUT_USEC, op_run, od,
                             (GDestroyNotify) op_data_free, false, done, userdata, reterr);
}

/*
 * Run the QMP operation @op (one without arguments: not VK_QEMU_OP_SEND_KEY) on the running
 * @domain, as a job. @done runs after QEMU answered.
 */
int vk_qemu_driver_domain_op(VkQemuDriver *drv, const char *domain, VkQemuDomainOp op,
                             VkQemuDriverDoneFunc done, void *userdata, VkError *reterr) {
        assert(op != VK_QEMU_OP_SEND_KEY);
        return driver_submit_op(drv, domain, op, NULL, done, userdata, reterr);
}

/*
 * Press @keys (each a number or a key name of @codeset, virsh's send-key arguments; at most
 * VK_KEYCODE_SEND_MAX) together on the running @domain and release them after @holdtime_ms
 * (0: QEMU's default), as libvirt does: each key translated to QEMU's key number (qnum), QMP
 * send-key. @codeset: a virsh code set name (NULL: linux). InvalidArgument names the code set
 * or the key that cannot be used; nothing reaches QEMU then.
 */
int vk_qemu_driver_send_key(VkQemuDriver *drv, const char *domain, const char *codeset,
                            unsigned holdtime_ms, char *const *keys, VkQemuDriverDoneFunc done,
                            void *userdata, VkError *reterr) {
        VkKeycodeSet set = codeset ? vk_keycode_set_from_string(codeset) : VK_KEYCODE_SET_LINUX;
        size_t n = keys ? g_strv_length((char **) keys) : 0;
        g_autoptr(JsonArray) list = json_array_new();
        JsonObject *args;
        int r;

        if (set < 0)
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "unknown codeset: '%s'", codeset);
        if (n == 0 || n > VK_KEYCODE_SEND_MAX)
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "%zu keys: give 1 to %d", n, VK_KEYCODE_SEND_MAX);
        for (size_t i = 0; i < n; i++) {
                JsonObject *key;
                unsigned code;
                int qnum;

                r = vk_keycode_parse(set, keys[i], &code, reterr);
                if (r < 0)
                        return r;
                qnum = vk_keycode_translate(set, VK_KEYCODE_SET_QNUM, code);
                if (qnum < 0)
                        return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                            "cannot translate keycode %u of %s codeset to qnum "
                                            "keycode",
                                            code, vk_keycode_set_to_string(set));
                key = json_object_new();
                json_object_set_string_member(key, "type", "number");
                json_object_set_int_member(key, "data", qnum);
                json_array_add_object_element(list, key);
        }
        args = json_object_new();
        json_object_set_array_member(args, "keys", g_steal_pointer(&list));
        if (holdtime_ms > 0)
                json_object_set_int_member(args, "hold-time", holdtime_ms);
        return driver_submit_op(drv, domain, VK_QEMU_OP_SEND_KEY, args, done, userdata, reterr);
}

/* monitor pass-through */

typedef struct MonitorData {
        char *command;
        bool hmp;
} MonitorData;

static void monitor_data_free(MonitorData *md) {
        g_free(md->command);
        g_free(md);
}

static void monitor_on_hmp(VkQmpClient *qmp, JsonNode *ret, const VkError *error, void *userdata) {
        g_autoptr(VkQemuJob) job = userdata;

        if (error)
                vk_qemu_job_finish(job, NULL, error);
        else
                vk_qemu_job_finish(
                        job, ret && JSON_NODE_HOLDS_VALUE(ret) ? json_node_get_string(ret) : "",
                        NULL);
}

static void monitor_on_raw(VkQmpClient *qmp, const char *reply, const VkError *error,
                           void *userdata) {
        g_autoptr(VkQemuJob) job = userdata;

        vk_qemu_job_finish(job, error ? NULL : reply, error);
}

static void monitor_run(VkQemuJob *job) {
        VkDomainObj *obj = job->obj;
        MonitorData *md = job->data;
        g_auto(VkError) err = VK_ERROR_INIT;
        int r;

        if (job_check_monitor(job) < 0)
                return;
        if (!obj->tainted)
                vk_log_debug("Domain '%s' is tainted: custom monitor command", obj->name);
        obj->tainted = true;
        if (md->hmp)
                r = vk_qmp_human_monitor_command(obj->process->qmp, md->command, monitor_on_hmp,
                                                 vk_qemu_job_ref(job), NULL, &err);
        else
                r = vk_qmp_execute_raw(obj->process->qmp, md->command, monitor_on_raw,
                                       vk_qemu_job_ref(job), NULL, &err);
        if (r < 0) {
                vk_qemu_job_unref(job);
                vk_qemu_job_finish(job, NULL, &err);
        }
}

/*
 * Send @command to @domain's QEMU: raw QMP JSON, or an HMP command line with @hmp. @done gets
 * QEMU's reply (the whole QMP reply object, or HMP's text). Marks the domain tainted.
 */
int vk_qemu_driver_monitor_command(VkQemuDriver *drv, const char *domain, const char *command,
                                   bool hmp, VkQemuDriverDoneFunc done, void *userdata,
                                   VkError *reterr) {
        VkDomainObj *obj = NULL;
        MonitorData *md;
        int r;

        r = driver_lookup_active(drv, domain, &obj, reterr);
        if (r < 0)
                return r;
        md = g_new0(MonitorData, 1);
        md->command = g_strdup(command);
        md->hmp = hmp;
        return driver_submit(drv, obj, "monitor", QMP_JOB_TIMEOUT_USEC, monitor_run, md,
                             (GDestroyNotify) monitor_data_free, false, done, userdata, reterr);
}
