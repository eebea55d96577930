/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-driver-device.c: disk hotplug: attach and detach a <disk> (libvirt's attach-device) */
#include <errno.h>
#include <string.h>

#include "log.h"
#include "macro.h"
#include "qemu-argv.h"
#include "qemu-disk-chain.h"
#include "qemu-driver-internal.h"
#include "qemu-job.h"
#include "qemu-security.h"
#include "qemu-volumes.h"
#include "xml.h"

/*
 * libvirt's virDomainAttachDeviceFlags and virDomainDetachDeviceFlags, for <disk> only:
 *
 *   - the device XML is one <disk>, parsed by the domain's disk parser; any other element is
 *     refused naming it;
 *   - config: the disk goes into (out of) the persistent definition, written atomically;
 *   - live attach: the disk is put into a copy of the live definition, which assigns its
 *     address as a start does; a <disk type='volume'> is resolved by virtkit-storaged as at
 *     start (qemu-volumes.c: the path, type and format; the live XML keeps naming the pool and
 *     the volume); its backing chain is read from the images; its files are
 *     labelled (qemu-security.c); then blockdev-add of each node and device_add of the
 *     frontend, with the JSON of the command line's -blockdev/-device (argv/). A failure
 *     deletes the nodes added and gives the labels back: nothing stays;
 *   - node names: a start numbers them from the disks' positions; the first hotplug fixes
 *     every disk's number (node_index, kept in the status file) so that adding or removing a
 *     disk renames none; a new disk takes the next free number;
 *   - live detach: device_del, then QEMU's DEVICE_DELETED finishes the removal (blockdev-del
 *     of the nodes, labels back, live XML and status). As libvirt, the call waits up to 5 s for
 *     it; when the guest has not let go by then the call succeeds ("detach request sent") and
 *     the removal finishes whenever the event comes (qemu-driver-qmp-events.c calls
 *     qemu_driver_device_deleted());
 *   - both: the config first, put back when the live part fails.
 *
 * Not yet: encrypted disks live (refused, they need secretd; so is a LUKS volume), block
 * devices (or block volumes) live under a cgroup device ACL (refused: the ACL is not widened).
 */

#define DEVICE_JOB_TIMEOUT_USEC (60ULL * 1000 * 1000)
#define DETACH_WAIT_USEC        (5ULL * 1000 * 1000)  /* libvirt's qemuDomainWaitForDeviceRemoval */
#define VOLUME_TIMEOUT_USEC     (30ULL * 1000 * 1000) /* storaged's answer, as at start */

typedef struct DeviceOp {
        VkQemuDriver *drv;
        bool attach, live, config;
        char *xml;                 /* the caller's <disk> */
        char *target;              /* its <target dev=> */
        VkDomainDef *old_config;   /* to put back when the live part fails */
        VkDomainDef *live_def;     /* attach: a copy of the live definition with the disk */
        VkDomainDisk *disk;        /* attach: the disk of live_def */
        VkQemuVolumes *volume;     /* attach: storaged's answer for a volume disk */
        bool labelled;             /* its files were labelled */
        GPtrArray *nodes;          /* blockdev-add arguments (JsonObject *) */
        JsonObject *device;        /* device_add arguments */
        char *alias;               /* the frontend's id */
        guint n_added;             /* nodes QEMU has */
        VkError error;             /* why a rollback runs */
        sd_event_source *timer;    /* detach: the wait for DEVICE_DELETED */
        VkSecurityOp *aa_op;       /* attach: the AppArmor profile reloaded with the disk */
        VkQemuDriverDoneFunc done; /* the caller's */
        void *userdata;
} DeviceOp;

static void device_op_free(DeviceOp *op) {
        if (!op)
                return;
        g_free(op->xml);
        g_free(op->target);
        vk_qemu_volumes_free(op->volume); /* before live_def: it points at its disk */
        vk_domain_def_free(op->old_config);
        vk_domain_def_free(op->live_def);
        if (op->nodes)
                g_ptr_array_unref(op->nodes);
        if (op->device)
                json_object_unref(op->device);
        g_free(op->alias);
        vk_error_done(&op->error);
        sd_event_source_disable_unref(op->timer);
        vk_security_op_free(op->aa_op);
        g_free(op);
}

/* The job ends: the caller's callback (with the op, which the job frees, also when a daemon
 * that exits cancels it without calling this) */
static void device_job_done(VkQemuJob *job, const char *result, const VkError *error,
                            void *userdata) {
        DeviceOp *op = job->data;

        if (op->timer) /* a detach that ended otherwise: stop waiting */
                op->timer = sd_event_source_disable_unref(op->timer);
        if (op->drv->unplugs)
                (void) g_ptr_array_remove(op->drv->unplugs, job);
        if (op->done)
                op->done(op->drv, result, error, op->userdata);
}

/*
 * Parse @xml, one <disk> element, into a new definition of its own (so the domain's
 * definitions are not touched): *@ret holds it as its only disk.
 */
static int device_parse(const char *xml, unsigned flags, VkDomainDef **ret, VkError *reterr) {
        g_autoptr(xmlDoc) doc = NULL;
        g_autoptr(VkDomainDef) def = vk_domain_def_new();
        xmlNode *root;
        int r;

        if (vk_isempty(xml))
                return vk_error_set(reterr, VK_ERROR_INVALID_XML, -EINVAL,
                                    "no device XML was given");
        r = vk_xml_read_string(xml, "device.xml", &doc, reterr);
        if (r < 0)
                return r;
        root = xmlDocGetRootElement(doc);
        if (!root)
                return vk_error_set(reterr, VK_ERROR_INVALID_XML, -EINVAL,
                                    "the device XML has no element");
        if (!vk_xml_node_is(root, NULL, "disk"))
                return vk_error_set(reterr, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                    "device <%s> is not supported yet: only <disk> can be "
                                    "attached or detached",
                                    (const char *) root->name);
        r = vk_domain_disk_parse(def, root, flags, reterr);
        if (r < 0)
                return r;
        *ret = g_steal_pointer(&def);
        return 0;
}

static void device_append(VkDomainDisk ***disks, size_t *n, VkDomainDisk *disk) {
        *disks = g_renew(VkDomainDisk *, *disks, *n + 1);
        (*disks)[(*n)++] = disk;
}

static ssize_t device_find_disk(const VkDomainDef *def, const char *target) {
        for (size_t i = 0; i < def->n_disks; i++)
                if (g_strcmp0(def->disks[i]->target_dev, target) == 0)
                        return (ssize_t) i;
        return -1;
}

/* Take disk @i out of @def's list; the caller owns it. */
static VkDomainDisk *device_take_disk(VkDomainDef *def, size_t i) {
        VkDomainDisk *disk = def->disks[i];

        memmove(def->disks + i, def->disks + i + 1, (def->n_disks - i - 1) * sizeof(*def->disks));
        def->n_disks--;
        return disk;
}

/* The first number no disk of @def (other than @skip) or its backing layers uses. */
static unsigned device_next_node(const VkDomainDef *def, const VkDomainDisk *skip) {
        unsigned next = 1;

        for (size_t i = 0; i < def->n_disks; i++) {
                const VkDomainDisk *d = def->disks[i];

                if (d != skip && d->node_index + d->n_backing + 1 > next)
                        next = d->node_index + (unsigned) d->n_backing + 1;
        }
        return next;
}

static bool device_has_controller(const VkDomainDef *def, const VkDomainController *c) {
        for (size_t i = 0; i < def->n_controllers; i++)
                if (def->controllers[i]->type == c->type && def->controllers[i]->index == c->index)
                        return true;
        return false;
}

/* ---- config ------------------------------------------------------------------------------ */

/* The persistent part: the disk into (out of) a copy of the definition, written atomically. */
static int device_apply_config(VkQemuDriver *drv, VkDomainObj *obj, DeviceOp *op, VkError *reterr) {
        g_autoptr(VkDomainDef) def = vk_domain_def_copy(obj->def);
        g_autoptr(VkDomainDef) parsed = NULL;
        ssize_t i = device_find_disk(def, op->target);
        int r;

        if (op->attach) {
                if (i >= 0)
                        return vk_error_set(reterr, VK_ERROR_OPERATION_INVALID, -EEXIST,
                                            "target %s already exists", op->target);
                r = device_parse(op->xml, /* flags= */ 0, &parsed, reterr);
                if (r < 0)
                        return r;
                device_append(&def->disks, &def->n_disks, device_take_disk(parsed, 0));
                r = vk_domain_def_post_parse(def, reterr);
                if (r < 0)
                        return r;
        } else {
                if (i < 0)
                        return vk_error_set(reterr, VK_ERROR_OPERATION_INVALID, -ENOENT,
                                            "no target device %s", op->target);
                vk_domain_disk_free(device_take_disk(def, (size_t) i));
        }
        op->old_config = vk_domain_def_copy(obj->def);
        return vk_domain_list_replace_config(drv->domains, obj, g_steal_pointer(&def), reterr);
}

static void device_put_back_config(VkQemuDriver *drv, VkDomainObj *obj, DeviceOp *op) {
        g_auto(VkError) err = VK_ERROR_INIT;

        if (!op->old_config)
                return;
        if (vk_domain_list_replace_config(drv->domains, obj, g_steal_pointer(&op->old_config),
                                          &err) < 0)
                vk_log_debug("Failed to put back the config of domain '%s': %s", obj->name,
                             err.message);
}

/* ---- live: common ------------------------------------------------------------------------ */

static int device_check_running(VkDomainObj *obj, VkError *reterr) {
        if (!vk_domain_obj_is_active(obj) || !obj->process || !obj->live)
                return vk_error_set(reterr, VK_ERROR_OPERATION_INVALID, -EINVAL,
                                    "cannot do live update a device on inactive domain");
        if (!obj->process->qmp || !vk_qmp_client_is_ready(obj->process->qmp))
                return vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, -ENOTCONN,
                                    "domain '%s': no monitor connection", obj->name);
        return 0;
}

static void device_write_status(VkDomainObj *obj) {
        g_auto(VkError) err = VK_ERROR_INIT;

        if (!obj->process || obj->process->exited || !obj->live)
                return; /* stopped meanwhile: no status file to keep */

        if (vk_qemu_process_write_status(obj->process, obj->live,
                                         vk_domain_state_to_string(obj->state),
                                         vk_domain_reason_to_string(obj->reason), &err) < 0)
                vk_log_debug("Failed to write the status of domain '%s': %s", obj->name,
                             err.message);
}

/* Give back the labels of @disk on the running @obj; a failure is only logged. */
static void device_restore_labels(VkDomainObj *obj, const VkDomainDisk *disk) {
        VkQemuProcess *p = obj->process;
        g_auto(VkError) err = VK_ERROR_INIT;

        if (!p || !p->security || !p->security_state)
                return;
        if (vk_qemu_security_restore_disk(p->security, p->security_state, disk, &err) < 0)
                vk_log_debug("Failed to give back the labels of disk '%s' of domain '%s': %s",
                             vk_strempty(disk->target_dev), obj->name, err.message);
}

static void device_on_profile_reloaded(VkSecurityOp *op, int r, const VkError *error,
                                       void *userdata) {
        VkQemuProcess *p = userdata;

        if (r < 0)
                vk_log_debug("Failed to reload the AppArmor profile of '%s': %s", p->name,
                             error ? error->message : "");
        p->aa_op = vk_security_op_free(p->aa_op);
}

/* After labels were given back: the AppArmor profile without them (no AppArmor: nothing).
 * The process owns the reload; a failure is only logged. */
static void device_reload_profile(VkDomainObj *obj) {
        VkQemuProcess *p = obj->process;
        g_auto(VkError) err = VK_ERROR_INIT;

        if (!p || !p->security || !p->security_state || p->exited)
                return;
        p->aa_op = vk_security_op_free(p->aa_op);
        if (vk_security_manager_load_profile(p->security, p->security_state, p->event,
                                             device_on_profile_reloaded, p, &p->aa_op, &err) < 0)
                vk_log_debug("Failed to reload the AppArmor profile of '%s': %s", obj->name,
                             err.message);
}

/* blockdev-del of @names (the top first), then @then with @userdata from the last reply. */
typedef struct NodeDel {
        VkDomainObj *obj;   /* a reference */
        VkDomainDisk *disk; /* owned, labels given back once QEMU let go; NULL: none */
        unsigned pending;
        void (*then)(void *userdata);
        void *userdata;
} NodeDel;

static void node_del_reply(VkQmpClient *qmp, JsonNode *ret, const VkError *error, void *userdata) {
        NodeDel *nd = userdata;

        if (error)
                vk_log_debug("Domain '%s': blockdev-del failed: %s", nd->obj->name, error->message);
        if (--nd->pending > 0)
                return;
        if (nd->disk) {
                device_restore_labels(nd->obj, nd->disk);
                device_reload_profile(nd->obj);
                device_write_status(nd->obj);
                vk_domain_disk_free(nd->disk);
        }
        if (nd->then)
                nd->then(nd->userdata);
        vk_domain_obj_unref(nd->obj);
        g_free(nd);
}

static void device_del_nodes(VkDomainObj *obj, char **names, VkDomainDisk *disk,
                             void (*then)(void *userdata), void *userdata) {
        NodeDel *nd = g_new0(NodeDel, 1);
        VkQmpClient *qmp = obj->process ? obj->process->qmp : NULL;

        nd->obj = vk_domain_obj_ref(obj);
        nd->disk = disk;
        nd->then = then;
        nd->userdata = userdata;
        nd->pending = 1; /* held until every command is sent */
        for (size_t i = 0; qmp && names && names[i]; i++) {
                JsonObject *args = json_object_new();
                g_auto(VkError) err = VK_ERROR_INIT;

                json_object_set_string_member(args, "node-name", names[i]);
                nd->pending++;
                if (vk_qmp_execute(qmp, "blockdev-del", args, node_del_reply, nd, NULL, &err) < 0) {
                        nd->pending--;
                        vk_log_debug("Domain '%s': blockdev-del %s not sent: %s", obj->name,
                                     names[i], err.message);
                }
                json_object_unref(args);
        }
        node_del_reply(NULL, NULL, NULL, nd);
}

/* ---- live attach ------------------------------------------------------------------------- */

static void attach_rolled_back(void *userdata) {
        VkQemuJob *job = userdata;
        DeviceOp *op = job->data;

        device_put_back_config(op->drv, job->obj, op);
        if (!job->finished)
                vk_qemu_job_finish(job, NULL, &op->error);
        vk_qemu_job_unref(job);
}

/* Undo what the live attach did so far (nodes, labels, config), then fail with @error. */
static void attach_fail(VkQemuJob *job, const VkError *error) {
        DeviceOp *op = job->data;
        g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
        VkDomainDisk *disk = NULL;

        vk_error_done(&op->error);
        (void) vk_error_set(&op->error, error->name, error->error, "%s", error->message);
        for (guint k = op->n_added; k > 0; k--)
                g_ptr_array_add(names, g_strdup(json_object_get_string_member(
                                               op->nodes->pdata[k - 1], "node-name")));
        g_ptr_array_add(names, NULL);
        if (op->labelled) {
                ssize_t i = device_find_disk(op->live_def, op->target);

                /* the labels go back after QEMU closed the images */
                disk = device_take_disk(op->live_def, (size_t) i);
                op->labelled = false;
        }
        device_del_nodes(job->obj, (char **) names->pdata, disk, attach_rolled_back,
                         vk_qemu_job_ref(job));
}

static void attach_commit(VkQemuJob *job) {
        DeviceOp *op = job->data;
        VkDomainObj *obj = job->obj;
        ssize_t i = device_find_disk(op->live_def, op->target);

        /* the live definition keeps its pointer: the disk moves over, with the numbers */
        for (size_t k = 0; k < obj->live->n_disks; k++) {
                ssize_t j = device_find_disk(op->live_def, obj->live->disks[k]->target_dev);

                if (j >= 0)
                        obj->live->disks[k]->node_index = op->live_def->disks[j]->node_index;
        }
        device_append(&obj->live->disks, &obj->live->n_disks,
                      device_take_disk(op->live_def, (size_t) i));
        device_write_status(obj);
        qemu_driver_emit_event(
                op->drv, obj, &(VkQemuDomainEvent){ .event = "device-added", .device = op->alias });
        vk_qemu_job_finish(job, NULL, NULL);
}

static void attach_next(VkQemuJob *job);

static void attach_on_reply(VkQmpClient *qmp, JsonNode *ret, const VkError *error, void *userdata) {
        g_autoptr(VkQemuJob) job = userdata;
        DeviceOp *op = job->data;

        if (job->finished) { /* timed out meanwhile: take back the nodes QEMU has */
                if (!error && op->n_added < op->nodes->len)
                        op->n_added++;
                attach_fail(job, &job->error);
                return;
        }
        if (error) {
                g_auto(VkError) err = VK_ERROR_INIT;

                /* QEMU's words name a node or an id: say which disk and step */
                vk_error_set(&err, error->name, error->error, "disk '%s': %s failed: %s",
                             op->target,
                             op->n_added < op->nodes->len ? "blockdev-add" : "device_add",
                             vk_strempty(error->message));
                attach_fail(job, &err);
                return;
        }
        if (op->n_added < op->nodes->len) {
                op->n_added++;
                attach_next(job);
                return;
        }
        attach_commit(job);
}

/* The next blockdev-add, or the device_add once every node is there. */
static void attach_next(VkQemuJob *job) {
        DeviceOp *op = job->data;
        g_auto(VkError) err = VK_ERROR_INIT;
        VkQmpClient *qmp = job->obj->process ? job->obj->process->qmp : NULL;
        bool nodes_left = op->n_added < op->nodes->len;
        int r = -ENOTCONN;

        if (qmp)
                r = vk_qmp_execute(qmp, nodes_left ? "blockdev-add" : "device_add",
                                   nodes_left ? op->nodes->pdata[op->n_added] : op->device,
                                   attach_on_reply, vk_qemu_job_ref(job), NULL, &err);
        if (r < 0) {
                if (qmp)
                        vk_qemu_job_unref(job);
                else
                        vk_error_set(&err, VK_ERROR_OPERATION_FAILED, -ENOTCONN,
                                     "domain '%s': no monitor connection", job->obj->name);
                attach_fail(job, &err);
        }
}

static void attach_on_caps(VkQemuDriver *drv, VkQemuCaps *caps, const VkError *error,
                           void *userdata) {
        g_autoptr(VkQemuJob) job = userdata;
        DeviceOp *op = job->data;
        VkQemuArgvOptions aopts = {};
        g_auto(VkError) err = VK_ERROR_INIT;
        ssize_t i;

        if (job->finished)
                return;
        if (!error && device_check_running(job->obj, &err) < 0)
                error = &err;
        if (!error) {
                aopts.private_dir = job->obj->process->private_dir;
                if (op->volume)
                        aopts.volumes = vk_qemu_volumes_get(op->volume, &aopts.n_volumes);
                i = device_find_disk(op->live_def, op->target);
                if (vk_qemu_argv_disk_hotplug(op->live_def, (size_t) i, caps, drv->cfg, &aopts,
                                              &op->nodes, &op->device, &op->alias, &err) < 0)
                        error = &err;
        }
        if (error) {
                attach_fail(job, error);
                return;
        }
        attach_next(job);
}

static int attach_get_caps(VkQemuJob *job, VkError *reterr) {
        int r = qemu_driver_get_caps(job->obj->driver, job->obj->process->binary, attach_on_caps,
                                     vk_qemu_job_ref(job), reterr);
        if (r < 0)
                vk_qemu_job_unref(job);
        return r;
}

/* The profile reloaded with the disk's rules (op->aa_op owns the reload, the job the op). */
static void attach_on_profile(VkSecurityOp *aa, int r, const VkError *error, void *userdata) {
        VkQemuJob *job = userdata;
        DeviceOp *op = job->data;
        g_auto(VkError) err = VK_ERROR_INIT;

        op->aa_op = vk_security_op_free(op->aa_op);
        if (job->finished)
                return;
        if (r >= 0)
                r = attach_get_caps(job, &err);
        else
                vk_error_set(&err, error ? error->name : VK_ERROR_OPERATION_FAILED, r, "%s",
                             error ? error->message : "the AppArmor profile was not reloaded");
        if (r < 0)
                attach_fail(job, &err);
}

/* What a disk needs that a live attach does not do yet. */
static int attach_check_disk(const VkDomainObj *obj, const VkDomainDisk *disk, VkError *reterr) {
        if (disk->encrypted)
                return vk_error_set(reterr, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                    "disk '%s': a live attach of an encrypted disk is not "
                                    "supported yet",
                                    disk->target_dev);
        if (disk->type == VK_DISK_TYPE_BLOCK && obj->process->n_acl > 0)
                return vk_error_set(reterr, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                    "disk '%s': a live attach of a block device is not "
                                    "supported yet (the device ACL of the domain's cgroup "
                                    "would have to allow '%s')",
                                    disk->target_dev, vk_strempty(disk->src_path));
        if (disk->bus == VK_DISK_BUS_IDE || disk->bus == VK_DISK_BUS_SATA ||
            disk->bus == VK_DISK_BUS_FDC)
                return vk_error_set(reterr, VK_ERROR_OPERATION_INVALID, -EOPNOTSUPP,
                                    "disk bus '%s' cannot be hotplugged.",
                                    vk_disk_bus_to_string(disk->bus));
        return 0;
}

/* The live definition with the disk (its address), and what a live attach cannot do. */
static int attach_prepare(VkQemuJob *job, VkError *reterr) {
        DeviceOp *op = job->data;
        VkDomainObj *obj = job->obj;
        g_autoptr(VkDomainDef) parsed = NULL;
        VkDomainDisk *disk;
        int r;

        if (device_find_disk(obj->live, op->target) >= 0)
                return vk_error_set(reterr, VK_ERROR_OPERATION_INVALID, -EEXIST,
                                    "target %s already exists", op->target);
        r = device_parse(op->xml, /* flags= */ 0, &parsed, reterr);
        if (r < 0)
                return r;
        op->live_def = vk_domain_def_copy(obj->live);
        vk_qemu_argv_disk_nodes_fix(op->live_def);
        disk = device_take_disk(parsed, 0);
        device_append(&op->live_def->disks, &op->live_def->n_disks, disk);
        r = vk_domain_def_post_parse(op->live_def, reterr);
        if (r < 0)
                return r;
        for (size_t i = 0; i < op->live_def->n_controllers; i++)
                if (!device_has_controller(obj->live, op->live_def->controllers[i]))
                        return vk_error_set(
                                reterr, VK_ERROR_OPERATION_INVALID, -EOPNOTSUPP,
                                "disk '%s' needs a %s controller (index %u) the domain does "
                                "not have; controllers cannot be hotplugged yet",
                                op->target,
                                vk_controller_type_to_string(op->live_def->controllers[i]->type),
                                op->live_def->controllers[i]->index);
        op->disk = disk;
        return attach_check_disk(obj, disk, reterr);
}

/* The disk's chain, node number and labels; then the AppArmor profile with them (QEMU may open
 * the images once it allows them), or QEMU's capabilities at once. */
static int attach_label(VkQemuJob *job, VkError *reterr) {
        DeviceOp *op = job->data;
        VkQemuProcess *p = job->obj->process;
        VkDomainDisk *disk = op->disk;
        int r;

        r = vk_qemu_disk_chains_detect(op->live_def, reterr);
        if (r < 0)
                return r;
        disk->node_index = device_next_node(op->live_def, disk);
        if (p->security && p->security_state) {
                r = vk_qemu_security_label_disk(p->security, p->security_state, disk, reterr);
                if (r < 0)
                        return r;
                op->labelled = true;
        }
        if (!op->labelled)
                return attach_get_caps(job, reterr);
        return vk_security_manager_load_profile(p->security, p->security_state, p->event,
                                                attach_on_profile, job, &op->aa_op, reterr);
}

/* What a volume turned out to be that a live attach does not do yet. */
static int attach_check_volume(VkQemuJob *job, VkError *reterr) {
        DeviceOp *op = job->data;
        const VkQemuArgvVolume *v;
        size_t n;

        if (op->disk->encrypted)
                return vk_error_set(reterr, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                    "disk '%s': volume '%s' of pool '%s' is encrypted: a live "
                                    "attach of an encrypted disk is not supported yet",
                                    op->target, op->disk->src_volume, op->disk->src_pool);
        v = vk_qemu_volumes_get(op->volume, &n);
        if (n > 0 && v[0].is_block && job->obj->process->n_acl > 0)
                return vk_error_set(reterr, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                    "disk '%s': a live attach of a block device is not "
                                    "supported yet (the device ACL of the domain's cgroup "
                                    "would have to allow '%s' (volume '%s' of pool '%s'))",
                                    op->target, v[0].path, op->disk->src_volume,
                                    op->disk->src_pool);
        return 0;
}

static void attach_on_volume(VkQemuVolumes *v, const VkError *error, void *userdata) {
        g_autoptr(VkQemuJob) job = vk_qemu_job_ref(userdata);
        DeviceOp *op = job->data;
        g_auto(VkError) err = VK_ERROR_INIT;

        if (op->drv->freeing)
                return;
        if (job->finished) { /* timed out meanwhile: only the config to put back */
                attach_fail(job, &job->error);
                return;
        }
        if (error)
                vk_error_set(&err, error->name, error->error, "domain '%s': %s", job->obj->name,
                             error->message);
        else if (device_check_running(job->obj, &err) >= 0 && attach_check_volume(job, &err) >= 0)
                (void) attach_label(job, &err);
        if (vk_error_is_set(&err))
                attach_fail(job, &err);
}

/* A volume disk: storaged says where it is (qemu-volumes.c), then attach_label(). The op owns
 * the lookup, so the job it is given is borrowed. */
static int attach_resolve(VkQemuJob *job, VkError *reterr) {
        DeviceOp *op = job->data;
        g_autofree char *socket = NULL;
        int r;

        if (op->disk->type != VK_DISK_TYPE_VOLUME)
                return attach_label(job, reterr);
        r = vk_paths_socket(op->drv->paths, VK_QEMU_STORAGED_INTERFACE, &socket, reterr);
        if (r < 0)
                return r;
        return vk_qemu_volumes_resolve_disks(job->event, socket, &op->disk, 1, VOLUME_TIMEOUT_USEC,
                                             attach_on_volume, job, &op->volume, reterr);
}

/* ---- live detach ------------------------------------------------------------------------- */

/* The node names of disk @i of @def, the top first; NULL: it has none (an empty drive). */
char **qemu_driver_disk_nodes(const VkDomainDef *def, size_t i) {
        const VkDomainDisk *disk = def->disks[i];
        size_t base = vk_qemu_argv_disk_node(def, i);
        GPtrArray *names = g_ptr_array_new();

        if (disk->src_path || disk->src_pool)
                for (size_t k = 0; k <= disk->n_backing; k++) {
                        g_ptr_array_add(names, g_strdup_printf("libvirt-%zu-format", base + k));
                        g_ptr_array_add(names, g_strdup_printf("libvirt-%zu-storage", base + k));
                }
        g_ptr_array_add(names, NULL);
        return (char **) g_ptr_array_free(names, false);
}

/* The disk of @def whose frontend has the id @alias, else -1. */
ssize_t qemu_driver_disk_find_alias(const VkDomainDef *def, const char *alias) {
        for (size_t i = 0; i < def->n_disks; i++) {
                g_autofree char *a = vk_qemu_argv_disk_alias(def, def->disks[i]);

                if (g_strcmp0(a, alias) == 0)
                        return (ssize_t) i;
        }
        return -1;
}

static VkQemuJob *detach_find_job(VkQemuDriver *drv, VkDomainObj *obj, const char *alias) {
        for (guint i = 0; drv->unplugs && i < drv->unplugs->len; i++) {
                VkQemuJob *job = drv->unplugs->pdata[i];
                DeviceOp *op = job->data;

                if (job->obj == obj && g_strcmp0(op->alias, alias) == 0)
                        return job;
        }
        return NULL;
}

/*
 * QEMU removed the device @alias of @obj (DEVICE_DELETED): when it is a disk, delete its
 * nodes, give its labels back, take it out of the live definition and the status file, and
 * end a detach waiting for it. Runs from the loop.
 */
void qemu_driver_device_deleted(VkQemuDriver *drv, VkDomainObj *obj, const char *alias) {
        g_auto(GStrv) names = NULL;
        VkQemuJob *job;
        ssize_t found;

        if (!obj->live || !alias)
                return;
        found = qemu_driver_disk_find_alias(obj->live, alias);
        if (found >= 0) {
                vk_qemu_argv_disk_nodes_fix(obj->live);
                names = qemu_driver_disk_nodes(obj->live, (size_t) found);
                /* the labels go back, and the status is written, once the nodes are gone */
                device_del_nodes(obj, names, device_take_disk(obj->live, (size_t) found), NULL,
                                 NULL);
        }
        job = detach_find_job(drv, obj, alias);
        if (job && !job->finished)
                vk_qemu_job_finish(job, "removed", NULL);
}

static int detach_on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        VkQemuJob *job = userdata;

        /* the guest has not let go yet: the request is sent, as libvirt answers */
        if (!job->finished)
                vk_qemu_job_finish(job, "sent", NULL);
        return 0;
}

static void detach_on_reply(VkQmpClient *qmp, JsonNode *ret, const VkError *error, void *userdata) {
        g_autoptr(VkQemuJob) job = userdata;
        VkQemuDriver *drv = job->obj->driver;
        DeviceOp *op = job->data;
        g_auto(VkError) err = VK_ERROR_INIT;
        int r;

        if (job->finished)
                return;
        if (error) {
                device_put_back_config(drv, job->obj, op);
                /* QEMU >= 6.2 refuses a second device_del while the guest has not let go */
                if (error->message && strstr(error->message, "already in the process of unplug"))
                        vk_error_set(&err, VK_ERROR_OPERATION_INVALID, -EBUSY,
                                     "disk '%s' is already being removed: the guest has not "
                                     "released it yet",
                                     op->target);
                else
                        vk_error_set(&err, error->name, error->error, "disk '%s': %s", op->target,
                                     error->message);
                vk_qemu_job_finish(job, NULL, &err);
                return;
        }
        if (device_find_disk(job->obj->live, op->target) < 0) { /* DEVICE_DELETED came first */
                vk_qemu_job_finish(job, "removed", NULL);
                return;
        }
        r = sd_event_add_time_relative(job->event, &op->timer, CLOCK_MONOTONIC, DETACH_WAIT_USEC, 0,
                                       detach_on_timer, job);
        if (r < 0) {
                vk_error_set_errno(&err, r, "Failed to arm the detach timer");
                vk_qemu_job_finish(job, NULL, &err);
                return;
        }
        if (!drv->unplugs)
                drv->unplugs = g_ptr_array_new();
        g_ptr_array_add(drv->unplugs, job);
}

static int detach_start(VkQemuJob *job, VkError *reterr) {
        DeviceOp *op = job->data;
        VkDomainObj *obj = job->obj;
        ssize_t i = device_find_disk(obj->live, op->target);
        JsonObject *args;
        int r;

        if (i < 0)
                return vk_error_set(reterr, VK_ERROR_OPERATION_INVALID, -ENOENT,
                                    "no target device %s", op->target);
        op->alias = vk_qemu_argv_disk_alias(obj->live, obj->live->disks[i]);
        if (!op->alias)
                return vk_error_set(reterr, VK_ERROR_OPERATION_INVALID, -EOPNOTSUPP,
                                    "disk '%s' has no device QEMU could remove", op->target);
        if (obj->live->disks[i]->bus == VK_DISK_BUS_IDE ||
            obj->live->disks[i]->bus == VK_DISK_BUS_SATA ||
            obj->live->disks[i]->bus == VK_DISK_BUS_FDC)
                return vk_error_set(reterr, VK_ERROR_OPERATION_INVALID, -EOPNOTSUPP,
                                    "disk bus '%s' cannot be hotplugged.",
                                    vk_disk_bus_to_string(obj->live->disks[i]->bus));
        /* from now on no removal renames the nodes of the others */
        vk_qemu_argv_disk_nodes_fix(obj->live);
        args = json_object_new();
        json_object_set_string_member(args, "id", op->alias);
        r = vk_qmp_execute(obj->process->qmp, "device_del", args, detach_on_reply,
                           vk_qemu_job_ref(job), NULL, reterr);
        json_object_unref(args);
        if (r < 0)
                vk_qemu_job_unref(job);
        return r;
}

/* ---- the job ----------------------------------------------------------------------------- */

static void device_run(VkQemuJob *job) {
        DeviceOp *op = job->data;
        VkQemuDriver *drv = op->drv;
        g_auto(VkError) err = VK_ERROR_INIT;
        int r = 0;

        if (op->live)
                r = device_check_running(job->obj, &err);
        if (r >= 0 && op->config)
                r = device_apply_config(drv, job->obj, op, &err);
        if (r >= 0 && !op->live) {
                vk_qemu_job_finish(job, NULL, NULL);
                return;
        }
        if (r >= 0 && !op->attach)
                r = detach_start(job, &err);
        if (r >= 0 && op->attach) {
                r = attach_prepare(job, &err);
                if (r >= 0)
                        r = attach_resolve(job, &err);
                if (r < 0) {
                        attach_fail(job, &err);
                        return;
                }
        }
        if (r < 0) {
                device_put_back_config(drv, job->obj, op);
                vk_qemu_job_finish(job, NULL, &err);
        }
}

static int device_submit(VkQemuDriver *drv, const char *domain, const char *xml, unsigned flags,
                         bool attach, VkQemuDriverDoneFunc done, void *userdata, VkError *reterr) {
        g_autoptr(VkDomainDef) parsed = NULL;
        DeviceOp *op;
        VkDomainObj *obj;
        bool live = false, config = false;
        int r;

        r = vk_domain_list_lookup(drv->domains, domain, &obj, reterr);
        if (r < 0)
                return r;
        if ((flags & VK_QEMU_AFFECT_LIVE) && !(vk_domain_obj_is_active(obj) && obj->live))
                return vk_error_set(reterr, VK_ERROR_OPERATION_INVALID, -EINVAL,
                                    "cannot do live update a device on inactive domain");
        r = qemu_driver_affect_defs(obj, flags, true, &live, &config, reterr);
        if (r < 0)
                return r;
        /* checked now, so that a bad XML is an error at once; parsed again by the job */
        r = device_parse(xml, attach ? 0 : VK_DOMAIN_DEF_PARSE_LIVE, &parsed, reterr);
        if (r < 0)
                return r;
        op = g_new0(DeviceOp, 1);
        op->drv = drv;
        op->attach = attach;
        op->live = live;
        op->config = config;
        op->xml = g_strdup(xml);
        op->target = g_strdup(parsed->disks[0]->target_dev);
        op->done = done;
        op->userdata = userdata;
        return vk_qemu_job_submit(drv->event, obj, attach ? "attach-device" : "detach-device",
                                  DEVICE_JOB_TIMEOUT_USEC, device_run, op,
                                  (GDestroyNotify) device_op_free, device_job_done, NULL, reterr);
}

/*
 * Attach the <disk> @xml to @domain (libvirt's virDomainAttachDeviceFlags): to the running
 * QEMU, to the persistent definition, or both (@flags, VkQemuAffectFlags; 0: the live one of
 * a running domain, else the persistent one). A job; @done runs once it is done, with no
 * result. See the top of this file.
 */
int vk_qemu_driver_attach_device(VkQemuDriver *drv, const char *domain, const char *xml,
                                 unsigned flags, VkQemuDriverDoneFunc done, void *userdata,
                                 VkError *reterr) {
        return device_submit(drv, domain, xml, flags, true, done, userdata, reterr);
}

/*
 * Detach the <disk> @xml (found by its <target dev=>) from @domain (libvirt's
 * virDomainDetachDeviceFlags), @flags as for vk_qemu_driver_attach_device(). A job; @done
 * runs with the result "removed" when QEMU removed the device, "sent" when the guest has not
 * released it within 5 s (it is removed when it does), NULL for a config-only detach.
 */
int vk_qemu_driver_detach_device(VkQemuDriver *drv, const char *domain, const char *xml,
                                 unsigned flags, VkQemuDriverDoneFunc done, void *userdata,
                                 VkError *reterr) {
        return device_submit(drv, domain, xml, flags, false, done, userdata, reterr);
}

/*
 * Update the <disk> @xml of @domain, found by its target (libvirt's
 * virDomainUpdateDeviceFlags): only the medium of a CD-ROM or floppy drive may change, its
 * <source> present (inserted or replaced) or not (ejected), which vk_qemu_driver_change_media()
 * does; another device, or a disk whose kind or bus is not the drive's, is refused naming
 * what differs (nothing else of the XML is applied). @flags: VkQemuAffectFlags and
 * VK_QEMU_MEDIA_FORCE.
 */
int vk_qemu_driver_update_device(VkQemuDriver *drv, const char *domain, const char *xml,
                                 unsigned flags, VkQemuDriverDoneFunc done, void *userdata,
                                 VkError *reterr) {
        g_autoptr(VkDomainDef) parsed = NULL;
        const VkDomainDisk *disk, *cur;
        const VkDomainDef *def;
        VkDomainObj *obj;
        ssize_t i;
        int r;

        r = vk_domain_list_lookup(drv->domains, domain, &obj, reterr);
        if (r < 0)
                return r;
        r = device_parse(xml, 0, &parsed, reterr);
        if (r < 0)
                return r;
        disk = parsed->disks[0];
        if (disk->device != VK_DISK_DEVICE_CDROM && disk->device != VK_DISK_DEVICE_FLOPPY)
                return vk_error_set(reterr, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                    "disk '%s': only the medium of a CD-ROM or floppy drive can "
                                    "be updated",
                                    vk_strempty(disk->target_dev));
        def = vk_domain_obj_is_active(obj) && obj->live && !(flags & VK_QEMU_AFFECT_CONFIG)
                      ? obj->live
                      : obj->def;
        i = def ? device_find_disk(def, disk->target_dev) : -1;
        if (i < 0)
                return vk_error_set(reterr, VK_ERROR_OPERATION_INVALID, -ENOENT,
                                    "no target device %s", vk_strempty(disk->target_dev));
        cur = def->disks[i];
        if (cur->device != disk->device || cur->bus != disk->bus)
                return vk_error_set(reterr, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                    "disk '%s': cannot modify field '%s' of the disk",
                                    vk_strempty(disk->target_dev),
                                    cur->device != disk->device ? "device" : "bus");
        return vk_qemu_driver_change_media(drv, domain, disk->target_dev, disk->src_path,
                                           VK_QEMU_MEDIA_UPDATE, flags, done, userdata, reterr);
}
