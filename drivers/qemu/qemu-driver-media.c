/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-driver-media.c: change the medium of a CD-ROM or floppy drive (virsh change-media) */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"
#include "macro.h"
#include "qemu-driver-internal.h"
#include "qemu-job.h"
#include "qemu-media.h"

/*
 * libvirt's virDomainUpdateDeviceFlags for a <disk device='cdrom'|'floppy'> whose source
 * changes, as a job. The config part edits the persistent definition (written atomically). The
 * live part, on a drive whose nodes are QEMU's -blockdev ones (argv/):
 *
 *   label the new image (DAC, SELinux; AppArmor: the profile reloaded with it), then QMP
 *   blockdev-open-tray {id, force}      the frontend's qdev id; force: a tray the guest locked
 *   blockdev-remove-medium {id}
 *   blockdev-del {node-name}            the old format node, then its storage node
 *   blockdev-add ...                    the new nodes, as the command line would have them
 *   blockdev-insert-medium {id, node-name}
 *   blockdev-close-tray {id}
 *   then the old image's labels restored, the live definition and the status file updated.
 *
 * The node names are the ones the command line gives the disk (libvirt-N-storage/-format),
 * so events and a restarted daemon find them. A step that fails rolls back what was done (new
 * nodes deleted, the old ones added and inserted again, the tray closed, the new image's
 * labels restored) and the job fails with the step's error. A change of both writes the config
 * first and puts it back if the live part fails.
 */

#define MEDIA_JOB_TIMEOUT_USEC (60ULL * 1000 * 1000)

typedef enum MediaStepKind {
        STEP_OPEN,
        STEP_REMOVE,
        STEP_DEL_OLD,
        STEP_ADD_NEW,
        STEP_INSERT,
        STEP_CLOSE,
        STEP_UNDO, /* rollback: errors ignored */
} MediaStepKind;

typedef struct MediaStep {
        MediaStepKind kind;
        char *command;
        JsonObject *args; /* owned */
} MediaStep;

typedef struct MediaData {
        char *target;
        char *source; /* NULL: eject */
        VkQemuMediaAction action;
        bool live, config, force;
        /* the live part */
        VkQemuJob *job; /* borrowed while running */
        size_t index;
        bool block;
        VkDomainDef *work; /* obj->live with the new medium */
        char *qdev;
        char **old_nodes, **new_nodes; /* blockdev-add JSON, the deepest first */
        char *old_node, *new_node;     /* the format nodes the frontend uses */
        bool labelled;
        VkSecurityOp *aa_op;
        GPtrArray *steps; /* MediaStep */
        guint pos;
        bool undoing;
        VkError error; /* why the forward steps stopped */
        VkDomainDef *old_config;
        VkQemuDriver *drv;
        VkQemuDriverDoneFunc done; /* the caller's */
        void *userdata;
} MediaData;

static void media_step_free(gpointer p) {
        MediaStep *s = p;

        g_free(s->command);
        if (s->args)
                json_object_unref(s->args);
        g_free(s);
}

static void media_data_free(MediaData *md) {
        if (!md)
                return;
        vk_security_op_free(md->aa_op);
        g_free(md->target);
        g_free(md->source);
        vk_domain_def_free(md->work);
        g_free(md->qdev);
        g_strfreev(md->old_nodes);
        g_strfreev(md->new_nodes);
        g_free(md->old_node);
        g_free(md->new_node);
        if (md->steps)
                g_ptr_array_unref(md->steps);
        vk_error_done(&md->error);
        vk_domain_def_free(md->old_config);
        g_free(md);
}

/* The job ends: the caller's callback (kept in the data, which the job frees, also when a
 * daemon that exits cancels it without calling this). */
static void media_job_done(VkQemuJob *job, const char *result, const VkError *error,
                           void *userdata) {
        MediaData *md = job->data;

        if (md->done)
                md->done(md->drv, result, error, md->userdata);
}

static void media_add_step(MediaData *md, MediaStepKind kind, const char *command,
                           JsonObject *args) {
        MediaStep *s = g_new0(MediaStep, 1);

        s->kind = kind;
        s->command = g_strdup(command);
        s->args = args;
        g_ptr_array_add(md->steps, s);
}

static JsonObject *media_id_args(const MediaData *md) {
        JsonObject *o = json_object_new();

        json_object_set_string_member(o, "id", md->qdev);
        return o;
}

static JsonObject *media_node_args(const char *node_name) {
        JsonObject *o = json_object_new();

        json_object_set_string_member(o, "node-name", node_name);
        return o;
}

/* The "node-name" of blockdev-add JSON @json; NULL if it has none. */
static char *media_node_name(const char *json) {
        g_autoptr(JsonNode) n = json_from_string(json, NULL);

        if (!n || !JSON_NODE_HOLDS_OBJECT(n))
                return NULL;
        return g_strdup(json_object_get_string_member_with_default(json_node_get_object(n),
                                                                   "node-name", NULL));
}

static JsonObject *media_blockdev_args(const char *json) {
        g_autoptr(JsonNode) n = json_from_string(json, NULL);

        if (!n || !JSON_NODE_HOLDS_OBJECT(n))
                return json_object_new(); /* QEMU refuses it: the step fails */
        return json_object_ref(json_node_get_object(n));
}

/* The forward steps: open, remove, delete the old nodes (the top first), add the new ones,
 * insert, close. */
static void media_plan(MediaData *md) {
        size_t n_old = md->old_nodes ? g_strv_length(md->old_nodes) : 0;
        JsonObject *o = media_id_args(md);

        md->steps = g_ptr_array_new_with_free_func(media_step_free);
        json_object_set_boolean_member(o, "force", md->force);
        media_add_step(md, STEP_OPEN, "blockdev-open-tray", o);
        media_add_step(md, STEP_REMOVE, "blockdev-remove-medium", media_id_args(md));
        for (size_t k = n_old; k > 0; k--) {
                g_autofree char *name = media_node_name(md->old_nodes[k - 1]);

                if (name)
                        media_add_step(md, STEP_DEL_OLD, "blockdev-del", media_node_args(name));
        }
        for (size_t k = 0; md->new_nodes && md->new_nodes[k]; k++)
                media_add_step(md, STEP_ADD_NEW, "blockdev-add",
                               media_blockdev_args(md->new_nodes[k]));
        if (md->new_node) {
                o = media_id_args(md);
                json_object_set_string_member(o, "node-name", md->new_node);
                media_add_step(md, STEP_INSERT, "blockdev-insert-medium", o);
        }
        media_add_step(md, STEP_CLOSE, "blockdev-close-tray", media_id_args(md));
}

/* After the forward step at md->pos failed: undo what the steps before it did. */
static void media_plan_undo(MediaData *md) {
        g_autoptr(GPtrArray) done = g_steal_pointer(&md->steps);
        size_t n_old = md->old_nodes ? g_strv_length(md->old_nodes) : 0;
        size_t n_added = 0, n_deleted = 0;
        bool inserted = false, opened = false, removed = false;

        for (guint k = 0; k < md->pos; k++) {
                const MediaStep *s = done->pdata[k];

                n_added += s->kind == STEP_ADD_NEW;
                n_deleted += s->kind == STEP_DEL_OLD;
                inserted = inserted || s->kind == STEP_INSERT;
                opened = opened || s->kind == STEP_OPEN;
                removed = removed || s->kind == STEP_REMOVE;
        }
        md->steps = g_ptr_array_new_with_free_func(media_step_free);
        md->pos = 0;
        md->undoing = true;
        if (inserted)
                media_add_step(md, STEP_UNDO, "blockdev-remove-medium", media_id_args(md));
        for (size_t k = n_added; k > 0; k--) {
                g_autofree char *name = media_node_name(md->new_nodes[k - 1]);

                if (name)
                        media_add_step(md, STEP_UNDO, "blockdev-del", media_node_args(name));
        }
        /* the old nodes were deleted top first: add the deleted ones back, the deepest first */
        for (size_t k = n_old - n_deleted; k < n_old; k++)
                media_add_step(md, STEP_UNDO, "blockdev-add",
                               media_blockdev_args(md->old_nodes[k]));
        if (removed && md->old_node) {
                JsonObject *o = media_id_args(md);

                json_object_set_string_member(o, "node-name", md->old_node);
                media_add_step(md, STEP_UNDO, "blockdev-insert-medium", o);
        }
        if (opened)
                media_add_step(md, STEP_UNDO, "blockdev-close-tray", media_id_args(md));
}

static void media_finish(VkQemuJob *job, const VkError *error);
static void media_next(MediaData *md);

/* The config part done, the live one failed: put the config back. */
static void media_revert_config(VkQemuJob *job) {
        MediaData *md = job->data;
        g_auto(VkError) err = VK_ERROR_INIT;

        if (md->old_config &&
            vk_domain_list_replace_config(((VkQemuDriver *) job->obj->driver)->domains, job->obj,
                                          g_steal_pointer(&md->old_config), &err) < 0)
                vk_log_debug("Failed to put back the config of domain '%s': %s", job->obj->name,
                             err.message);
}

static VkSecurityManager *media_security(VkDomainObj *obj, VkSecurityState **ret_state) {
        VkQemuProcess *p = obj->process;

        *ret_state = p ? p->security_state : NULL;
        return p && p->security_state ? p->security : NULL;
}

/* Labels of @disk given back, errors only logged (the operation's outcome is decided). */
static void media_restore_labels(VkDomainObj *obj, const VkDomainDisk *disk) {
        g_auto(VkError) err = VK_ERROR_INIT;
        VkSecurityState *state;
        VkSecurityManager *mgr = media_security(obj, &state);

        if (mgr && disk->src_path && vk_qemu_security_restore_disk(mgr, state, disk, &err) < 0)
                vk_log_debug("Failed to restore the labels of '%s' of domain '%s': %s",
                             disk->src_path, obj->name, err.message);
}

/* Whether another disk of @def than @index uses @path (its labels stay). */
static bool media_path_in_use(const VkDomainDef *def, size_t index, const char *path) {
        for (size_t i = 0; path && i < def->n_disks; i++)
                if (i != index && g_strcmp0(def->disks[i]->src_path, path) == 0)
                        return true;
        return false;
}

/* The status file with the live definition as it is now (a restarted daemon reads it). */
static void media_write_status(VkDomainObj *obj) {
        g_auto(VkError) err = VK_ERROR_INIT;

        if (obj->process && vk_qemu_process_write_status(
                                    obj->process, obj->live, vk_domain_state_to_string(obj->state),
                                    vk_domain_reason_to_string(obj->reason), &err) < 0)
                vk_log_debug("Failed to write the status of domain '%s': %s", obj->name,
                             err.message);
}

/* Every step done: the old image's labels back, the live definition and status updated. */
static void media_live_done(VkQemuJob *job) {
        MediaData *md = job->data;
        VkDomainObj *obj = job->obj;
        VkDomainDisk *disk = obj->live->disks[md->index];

        if (g_strcmp0(disk->src_path, md->source) != 0 &&
            !media_path_in_use(obj->live, md->index, disk->src_path))
                media_restore_labels(obj, disk);
        vk_qemu_media_set_source(disk, md->source, md->block);
        media_write_status(obj);
        qemu_driver_changed(obj->driver, obj);
        media_finish(job, NULL);
}

/* The rollback ran: the new image's labels back, the job fails with the first error. */
static void media_undo_done(VkQemuJob *job) {
        MediaData *md = job->data;
        VkDomainObj *obj = job->obj;

        if (md->labelled)
                media_restore_labels(obj, md->work->disks[md->index]);
        media_revert_config(job);
        media_write_status(obj); /* the labels as they are now */
        media_finish(job, &md->error);
}

static void media_on_reply(VkQmpClient *qmp, JsonNode *ret, const VkError *error, void *userdata) {
        VkQemuJob *job = userdata;
        g_autoptr(VkQemuJob) ref = job; /* taken when the command was sent */
        MediaData *md = job->data;
        const MediaStep *s;

        if (job->finished)
                return; /* timed out meanwhile */
        s = md->steps->pdata[md->pos];
        if (error && !md->undoing) {
                vk_error_set(&md->error, error->name ? error->name : VK_ERROR_OPERATION_FAILED,
                             error->error < 0 ? error->error : -EIO, "disk '%s': %s failed: %s",
                             md->work->disks[md->index]->target_dev, s->command,
                             vk_strempty(error->message));
                media_plan_undo(md);
                media_next(md);
                return;
        }
        if (error)
                vk_log_debug("Rollback of the medium of domain '%s': %s failed, ignoring: %s",
                             job->obj->name, s->command, vk_strempty(error->message));
        md->pos++;
        media_next(md);
}

/* Send the step at md->pos, or end when there is none left. */
static void media_next(MediaData *md) {
        VkQemuJob *job = md->job;
        VkDomainObj *obj = job->obj;
        VkQmpClient *qmp = obj->process ? obj->process->qmp : NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        const MediaStep *s;

        if (md->pos >= md->steps->len) {
                if (md->undoing)
                        media_undo_done(job);
                else
                        media_live_done(job);
                return;
        }
        s = md->steps->pdata[md->pos];
        if (!qmp || !vk_qmp_client_is_ready(qmp)) {
                vk_error_set(&err, VK_ERROR_OPERATION_FAILED, -ENOTCONN,
                             "domain '%s': no monitor connection", obj->name);
                if (!md->undoing)
                        vk_error_set(&md->error, err.name, err.error, "%s", err.message);
                media_undo_done(job); /* nothing more can be sent */
                return;
        }
        if (vk_qmp_execute(qmp, s->command, s->args ? json_object_ref(s->args) : NULL,
                           media_on_reply, vk_qemu_job_ref(job), NULL, &err) < 0) {
                vk_qemu_job_unref(job);
                if (!md->undoing)
                        vk_error_set(&md->error, err.name, err.error, "%s", err.message);
                media_undo_done(job);
        }
}

static void media_on_profile(VkSecurityOp *op, int r, const VkError *error, void *userdata) {
        VkQemuJob *job = userdata;
        g_autoptr(VkQemuJob) ref = job;
        MediaData *md = job->data;

        md->aa_op = vk_security_op_free(md->aa_op);
        if (job->finished)
                return;
        if (r < 0) {
                vk_error_set(&md->error, error ? error->name : VK_ERROR_OPERATION_FAILED, r, "%s",
                             error ? error->message : "the AppArmor profile failed");
                media_plan_undo(md);
                media_next(md);
                return;
        }
        media_next(md);
}

static void media_finish(VkQemuJob *job, const VkError *error) {
        vk_qemu_job_finish(job, NULL, error);
}

/* The disk @md names in @def, checked for the action; its index. */
static int media_disk(const MediaData *md, const VkDomainDef *def, size_t *ret_index,
                      VkError *reterr) {
        int r = vk_qemu_media_find_disk(def, md->target, ret_index, reterr);

        if (r < 0)
                return r;
        return vk_qemu_media_check(def->disks[*ret_index], md->action, md->source, reterr);
}

/* Whether @path is a block device; a path that does not exist: not one. */
static bool media_is_block(const char *path) {
        struct stat st;

        return path && stat(path, &st) == 0 && S_ISBLK(st.st_mode);
}

static int media_apply_config(VkQemuJob *job, VkError *reterr) {
        MediaData *md = job->data;
        VkDomainObj *obj = job->obj;
        g_autoptr(VkDomainDef) def = vk_domain_def_copy(obj->def);
        size_t i;
        int r;

        r = media_disk(md, def, &i, reterr);
        if (r < 0)
                return r;
        vk_qemu_media_set_source(def->disks[i], md->source, media_is_block(md->source));
        md->old_config = vk_domain_def_copy(obj->def);
        VkQemuDriver *drv = obj->driver;

        return vk_domain_list_replace_config(drv->domains, obj, g_steal_pointer(&def), reterr);
}

/* The live part up to the first asynchronous step: checks, node JSON, the new image labelled. */
static int media_prepare_live(VkQemuJob *job, VkError *reterr) {
        MediaData *md = job->data;
        VkDomainObj *obj = job->obj;
        VkQemuProcess *p = obj->process;
        VkQemuArgvOptions aopts = {};
        const VkDomainDisk *old;
        VkSecurityState *state;
        VkSecurityManager *mgr = media_security(obj, &state);
        int r;

        if (!vk_domain_obj_is_active(obj) || !obj->live || !p)
                return vk_error_set(reterr, VK_ERROR_OPERATION_INVALID, -EINVAL,
                                    "domain is not running");
        if (!p->qmp || !vk_qmp_client_is_ready(p->qmp))
                return vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, -ENOTCONN,
                                    "domain '%s': no monitor connection", obj->name);
        r = media_disk(md, obj->live, &md->index, reterr);
        if (r < 0)
                return r;
        old = obj->live->disks[md->index];
        if (md->source) {
                struct stat st;

                if (stat(md->source, &st) < 0)
                        return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -errno,
                                            "Cannot access storage file '%s': %s", md->source,
                                            g_strerror(errno));
                md->block = S_ISBLK(st.st_mode);
        }
        /* the old medium's backing layers go: the disks before it keep their node names */
        if (old->n_backing > 0)
                vk_qemu_argv_disk_nodes_fix(obj->live);
        md->work = vk_domain_def_copy(obj->live);
        vk_qemu_media_set_source(md->work->disks[md->index], md->source, md->block);
        md->qdev = vk_qemu_argv_disk_alias(obj->live, old);
        if (!md->qdev)
                return vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, -EINVAL,
                                    "disk '%s' has no device id", vk_strempty(old->target_dev));
        aopts.private_dir = p->private_dir;
        if (old->src_path) {
                r = vk_qemu_argv_disk_blockdevs(obj->live, md->index, &aopts, &md->old_nodes,
                                                &md->old_node, reterr);
                if (r < 0)
                        return r;
        }
        if (md->source) {
                r = vk_qemu_argv_disk_blockdevs(md->work, md->index, &aopts, &md->new_nodes,
                                                &md->new_node, reterr);
                if (r < 0)
                        return r;
        }
        if (mgr && md->source && g_strcmp0(md->source, old->src_path) != 0 &&
            !media_path_in_use(obj->live, md->index, md->source)) {
                r = vk_qemu_security_label_disk(mgr, state, md->work->disks[md->index], reterr);
                if (r < 0)
                        return r;
                md->labelled = true;
        }
        media_plan(md);
        return 0;
}

static void media_run(VkQemuJob *job) {
        MediaData *md = job->data;
        VkDomainObj *obj = job->obj;
        g_auto(VkError) err = VK_ERROR_INIT;
        VkSecurityState *state;
        VkSecurityManager *mgr;

        md->job = job;
        if (md->config && media_apply_config(job, &err) < 0) {
                media_finish(job, &err);
                return;
        }
        if (!md->live) {
                media_finish(job, NULL);
                return;
        }
        if (media_prepare_live(job, &err) < 0) {
                if (md->labelled)
                        media_restore_labels(obj, md->work->disks[md->index]);
                media_revert_config(job);
                media_finish(job, &err);
                return;
        }
        mgr = media_security(obj, &state);
        if (md->labelled && mgr) {
                /* AppArmor: QEMU may open the new image once the profile lists it */
                if (vk_security_manager_load_profile(mgr, state, job->event, media_on_profile,
                                                     vk_qemu_job_ref(job), &md->aa_op, &err) < 0) {
                        vk_qemu_job_unref(job);
                        vk_error_set(&md->error, err.name, err.error, "%s", err.message);
                        md->pos = 0;
                        media_plan_undo(md);
                        media_next(md);
                }
                return;
        }
        media_next(md);
}

/*
 * Change the medium of the CD-ROM or floppy drive @target (its target dev, or its current
 * source path) of @domain to the image @source (an absolute path; NULL: eject), as libvirt's
 * virDomainUpdateDeviceFlags with a disk whose source alone changes (virsh change-media):
 * on the running QEMU, in the persistent definition, or both (@flags: VkQemuAffectFlags, plus
 * VK_QEMU_MEDIA_FORCE to open a tray the guest locked). @action adds virsh's checks (an insert
 * needs an empty drive, an eject a medium). A job; @done runs once it is done, from the loop.
 */
int vk_qemu_driver_change_media(VkQemuDriver *drv, const char *domain, const char *target,
                                const char *source, VkQemuMediaAction action, unsigned flags,
                                VkQemuDriverDoneFunc done, void *userdata, VkError *reterr) {
        MediaData *md;
        VkDomainObj *obj;
        size_t i;
        int r;

        r = vk_domain_list_lookup(drv->domains, domain, &obj, reterr);
        if (r < 0)
                return r;
        if (action < 0 || action >= _VK_QEMU_MEDIA_ACTION_MAX)
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "unknown media action %d", (int) action);
        md = g_new0(MediaData, 1);
        md->target = g_strdup(target);
        md->source = vk_isempty(source) ? NULL : g_strdup(source);
        md->action = action;
        md->force = flags & VK_QEMU_MEDIA_FORCE;
        r = qemu_driver_affect_defs(obj, flags & ~VK_QEMU_MEDIA_FORCE, true, &md->live, &md->config,
                                    reterr);
        /* the errors a caller expects at once; the job checks again */
        if (r >= 0 && md->live)
                r = media_disk(md, obj->live, &i, reterr);
        if (r >= 0 && md->config)
                r = media_disk(md, obj->def, &i, reterr);
        if (r < 0) {
                media_data_free(md);
                return r;
        }
        md->drv = drv;
        md->done = done;
        md->userdata = userdata;
        return vk_qemu_job_submit(drv->event, obj, "change-media", MEDIA_JOB_TIMEOUT_USEC,
                                  media_run, md, (GDestroyNotify) media_data_free, media_job_done,
                                  NULL, reterr);
}
