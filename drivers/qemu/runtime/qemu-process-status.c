/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-process-status.c: the status file of a running domain, and reconnecting to its QEMU */

#include "atomic-file.h"
#include "json.h"
#include "log.h"
#include "macro.h"
#include "qemu-process-recover.h"
#include "qemu-process-internal.h"

/* The node numbers a hotplug fixed ({"vdb": 4, ...}), which the live XML does not say. */
static void process_disk_nodes_save(VkQemuProcess *p, const VkDomainDef *live) {
        g_autoptr(JsonBuilder) b = json_builder_new();
        bool any = false;

        json_builder_begin_object(b);
        for (size_t i = 0; i < live->n_disks; i++) {
                if (live->disks[i]->node_index == 0)
                        continue;
                json_builder_set_member_name(b, live->disks[i]->target_dev);
                json_builder_add_int_value(b, live->disks[i]->node_index);
                any = true;
        }
        json_builder_end_object(b);
        g_clear_pointer(&p->disk_nodes, json_node_unref);
        if (any)
                p->disk_nodes = json_builder_get_root(b);
}

/* Put the node numbers of the status file's "diskNodes" back on the disks of @live. */
static void process_disk_nodes_load(VkQemuProcess *p, JsonObject *o, VkDomainDef *live) {
        JsonNode *n = json_object_get_member(o, "diskNodes");
        JsonObject *nodes;

        if (!n || !JSON_NODE_HOLDS_OBJECT(n))
                return;
        nodes = json_node_get_object(n);
        p->disk_nodes = json_node_copy(n);
        for (size_t i = 0; i < live->n_disks; i++) {
                JsonNode *v = json_object_get_member(nodes, live->disks[i]->target_dev);

                if (v && JSON_NODE_HOLDS_VALUE(v) && json_node_get_int(v) > 0)
                        live->disks[i]->node_index = (unsigned) json_node_get_int(v);
        }
}

/*
 * Write the status file of the running process atomically: what a restarted daemon needs to
 * find QEMU again. @live is formatted with its live data; @state and @reason are the domain's.
 */
int vk_qemu_process_write_status(VkQemuProcess *p, const VkDomainDef *live, const char *state,
                                 const char *reason, VkError *reterr) {
        g_autoptr(JsonBuilder) b = json_builder_new();
        g_autoptr(JsonNode) root = NULL;
        g_autofree char *text = NULL;
        int r;

        if (live) {
                g_free(p->live_xml);
                p->live_xml = NULL;
                r = vk_domain_def_format_checked(
                        live, VK_DOMAIN_DEF_FORMAT_LIVE | VK_DOMAIN_DEF_FORMAT_SECURE,
                        "the status file", &p->live_xml, reterr);
                if (r < 0)
                        return r;
        }
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "pid");
        json_builder_add_int_value(b, p->pid);
        json_builder_set_member_name(b, "pidStartTime");
        json_builder_add_int_value(b, (gint64) p->pid_start_time);
        json_builder_set_member_name(b, "binary");
        json_builder_add_string_value(b, p->binary);
        json_builder_set_member_name(b, "monitor");
        json_builder_add_string_value(b, p->monitor_path);
        json_builder_set_member_name(b, "privateDir");
        json_builder_add_string_value(b, p->private_dir);
        json_builder_set_member_name(b, "log");
        json_builder_add_string_value(b, vk_strempty(p->log_path));
        json_builder_set_member_name(b, "startTime");
        json_builder_add_int_value(b, p->start_time_usec);
        json_builder_set_member_name(b, "id");
        json_builder_add_int_value(b, p->id);
        json_builder_set_member_name(b, "state");
        json_builder_add_string_value(b, state);
        json_builder_set_member_name(b, "reason");
        json_builder_add_string_value(b, reason);
        if (p->starting) {
                json_builder_set_member_name(b, "starting");
                json_builder_add_boolean_value(b, true);
        }
        json_builder_set_member_name(b, "xml");
        json_builder_add_string_value(b, vk_strempty(p->live_xml));
        if (live)
                process_disk_nodes_save(p, live);
        if (p->disk_nodes) {
                json_builder_set_member_name(b, "diskNodes");
                json_builder_add_value(b, json_node_copy(p->disk_nodes));
        }
        if (p->cgroup_via) {
                json_builder_set_member_name(b, "cgroup");
                json_builder_begin_object(b);
                json_builder_set_member_name(b, "via");
                json_builder_add_string_value(b, p->cgroup_via);
                json_builder_set_member_name(b, "name");
                json_builder_add_string_value(b, p->cgroup_name);
                json_builder_end_object(b);
        }
        process_nets_to_json(p, b);
        process_helpers_to_json(p, b);
        if (p->security_state) {
                g_autofree char *json = NULL;
                JsonNode *node = NULL;

                r = vk_security_manager_state_to_json(p->security_state, &json);
                if (r < 0)
                        return vk_error_set_errno(reterr, r, "Failed to save the security state");
                r = vk_json_parse(json, -1, &node, reterr);
                if (r < 0)
                        return r;
                json_builder_set_member_name(b, "security");
                json_builder_add_value(b, node);
        }
        json_builder_end_object(b);
        root = json_builder_get_root(b);
        text = vk_json_to_string(root, true);
        /* unchanged (a reconnect that found the state it recorded): no write, no fsync */
        if (p->status_text && strcmp(p->status_text, text) == 0)
                return 0;
        r = vk_atomic_file_write_full(p->status_path, text, strlen(text), 0600,
                                      p->starting ? VK_ATOMIC_FILE_NO_SYNC : 0, reterr);
        if (r < 0)
                return r;
        g_free(p->status_text);
        p->status_text = g_steal_pointer(&text);
        return 0;
}

/*
 * The security state a status file saved (its "security" member), rebuilt with @security;
 * NULL when there is none or it is unusable.
 */
static VkSecurityState *process_security_state_load(VkSecurityManager *security, JsonObject *o,
                                                    const char *status_path) {
        g_auto(VkError) err = VK_ERROR_INIT;
        g_autofree char *json = NULL;
        VkSecurityState *state = NULL;
        JsonNode *node;

        if (!security || !json_object_has_member(o, "security"))
                return NULL;
        node = json_object_get_member(o, "security");
        json = vk_json_to_string(node, false);
        if (vk_security_manager_state_from_json(security, json, &state, &err) < 0) {
                vk_log_debug("'%s': unusable security state, ignoring: %s", status_path,
                             err.message);
                return NULL;
        }
        return state;
}

/* The cgroup a status file records: "via" and "name" (borrowed from @o), or NULLs. */
static void process_status_cgroup(JsonObject *o, const char **ret_via, const char **ret_name) {
        JsonNode *n = json_object_get_member(o, "cgroup");
        JsonObject *cg = n && JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;

        *ret_via = cg ? vk_json_object_get_string_member_or_null(cg, "via") : NULL;
        *ret_name = cg ? vk_json_object_get_string_member_or_null(cg, "name") : NULL;
}

/*
 * Clean up after a dead QEMU: give back the labels and unload the profile its status file
 * @status_path records (with @security; NULL: none; the unload runs on @e), remove the cgroup
 * we made for it, the private dir it names and the file itself.
 */
void vk_qemu_process_cleanup_status(sd_event *e, const char *status_path,
                                    VkSecurityManager *security) {
        g_autofree char *text = NULL;
        g_autoptr(JsonNode) root = NULL;
        g_autofree char *lock = NULL;
        const char *dir, *via, *name;

        if (vk_file_read_all(status_path, PROCESS_STATUS_MAX, &text, NULL, NULL) >= 0 &&
            vk_json_parse(text, -1, &root, NULL) >= 0 && JSON_NODE_HOLDS_OBJECT(root)) {
                VkSecurityState *state = process_security_state_load(
                        security, json_node_get_object(root), status_path);

                JsonObject *o = json_node_get_object(root);

                /* a start cut short: its QEMU (or virtkit-qemu-exec) may still be there */
                if (json_object_get_boolean_member_with_default(o, "starting", false))
                        vk_qemu_process_kill_recorded(
                                (pid_t) json_object_get_int_member_with_default(o, "pid", -1),
                                (unsigned long long) json_object_get_int_member_with_default(
                                        o, "pidStartTime", 0),
                                status_path);
                if (state)
                        process_security_release(e, security, state, status_path);
                process_status_cgroup(json_node_get_object(root), &via, &name);
                vk_qemu_cgroup_remove(e, via, name);
                process_nets_cleanup_json(e, o);
                process_helpers_cleanup_json(o);
                dir = vk_json_object_get_string_member_or_null(json_node_get_object(root),
                                                               "privateDir");
                if (dir && g_path_is_absolute(dir) && !strstr(dir, "/../") &&
                    strstr(dir, "/domain-"))
                        process_remove_tree(dir);
        }
        lock = vk_qemu_process_lock_path(status_path);
        vk_qemu_process_remove_lock(lock);
        (void) vk_file_remove(status_path);
}

/*
 * Adopt the QEMU described by @status_path, left by an earlier daemon instance: check that its
 * pid still is that QEMU (start time and argv[0]), watch it through a pidfd and reconnect QMP
 * (query-status tells whether it is paused). *@ret_live gets the live definition from the
 * status file, and with @security (NULL: none) the labels it recorded, to restore them when
 * QEMU ends. Fails with -ESRCH when QEMU is gone (the caller cleans up with
 * vk_qemu_process_cleanup_status()), -EBADMSG when the file is unusable. @cb->started runs
 * from the loop once QMP works or was given up on (the domain then runs without monitor).
 */
int vk_qemu_process_reconnect(sd_event *e, const char *status_path, VkSecurityManager *security,
                              const VkQemuProcessCallbacks *cb, void *userdata, VkQemuProcess **ret,
                              VkDomainDef **ret_live, VkError *reterr) {
        g_autoptr(VkQemuProcess) p = NULL;
        g_autoptr(VkDomainDef) live = NULL;
        g_autoptr(JsonNode) root = NULL;
        g_autofree char *text = NULL;
        g_auto(VkError) parse_err = VK_ERROR_INIT;
        unsigned long long start_time = 0;
        const char *binary, *monitor, *dir, *xml, *log, *via, *name;
        JsonObject *o;
        int r;

        r = vk_file_read_all(status_path, PROCESS_STATUS_MAX, &text, NULL, reterr);
        if (r < 0)
                return r;
        r = vk_json_parse(text, -1, &root, reterr);
        if (r < 0)
                return r;
        if (!JSON_NODE_HOLDS_OBJECT(root))
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EBADMSG,
                                    "'%s': not a JSON object", status_path);
        o = json_node_get_object(root);
        binary = vk_json_object_get_string_member_or_null(o, "binary");
        monitor = vk_json_object_get_string_member_or_null(o, "monitor");
        dir = vk_json_object_get_string_member_or_null(o, "privateDir");
        xml = vk_json_object_get_string_member_or_null(o, "xml");
        log = vk_json_object_get_string_member_or_null(o, "log");
        if (!binary || !monitor || !dir || !xml)
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EBADMSG,
                                    "'%s': incomplete status file", status_path);

        p = g_new0(VkQemuProcess, 1);
        p->n_ref = 1;
        p->event = e;
        p->reconnected = true;
        p->log_fd = -1;
        p->go_fd = -1;
        p->lock_fd = -1;
        p->cb = *cb;
        p->userdata = userdata;
        p->starting = json_object_get_boolean_member_with_default(o, "starting", false);
        p->pid = (pid_t) json_object_get_int_member_with_default(o, "pid", -1);
        p->pid_start_time =
                (unsigned long long) json_object_get_int_member_with_default(o, "pidStartTime", 0);
        p->start_time_usec = json_object_get_int_member_with_default(o, "startTime", 0);
        p->id = (int) json_object_get_int_member_with_default(o, "id", -1);
        p->binary = g_strdup(binary);
        p->monitor_path = g_strdup(monitor);
        p->private_dir = g_strdup(dir);
        p->status_path = g_strdup(status_path);
        p->log_path = log && *log ? g_strdup(log) : NULL;
        p->live_xml = g_strdup(xml);
        p->status_text = g_strdup(text);
        p->security = security ? vk_security_manager_ref(security) : NULL;
        p->security_state = process_security_state_load(security, o, status_path);
        process_status_cgroup(o, &via, &name);
        p->cgroup_via = g_strdup(via);
        p->cgroup_name = g_strdup(name);
        process_nets_from_json(p, o);
        if (p->pid <= 1 || p->id <= 0)
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EBADMSG,
                                    "'%s': bad pid or id", status_path);

        /* watch first, then check: the pidfd pins the process we checked */
        r = vk_pidfd_watch(e, p->pid, process_on_exit, p, &p->watch, NULL);
        if (r < 0)
                return vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, -ESRCH,
                                    "QEMU of '%s' (pid %d) is gone", status_path, (int) p->pid);
        if (vk_qemu_process_read_pid_start_time(p->pid, &start_time) < 0 ||
            start_time != p->pid_start_time || !process_cmdline_is(p->pid, p->binary))
                return vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, -ESRCH,
                                    "QEMU of '%s' (pid %d) is gone: the pid now belongs to "
                                    "another process",
                                    status_path, (int) p->pid);

        /* QEMU runs: a definition we cannot read must not cost the user that VM's files */
        r = vk_domain_def_parse_string(xml, VK_DOMAIN_DEF_PARSE_LIVE, &live, &parse_err);
        if (r < 0)
                return vk_error_set(reterr, VK_ERROR_INTERNAL, -EUCLEAN,
                                    "the status file '%s' of a running QEMU (pid %d) does not "
                                    "load: %s",
                                    status_path, (int) p->pid, parse_err.message);
        p->name = g_strdup(live->name);
        live->id = p->id;
        process_disk_nodes_load(p, o, live);
        process_helpers_from_json(p, o);
        p->started = false;
        r = process_arm_timeout(p, PROCESS_RECONNECT_TIMEOUT_USEC, reterr);
        if (r >= 0)
                r = process_arm_connect(p, reterr);
        if (r < 0)
                return r;

        *ret_live = g_steal_pointer(&live);
        *ret = g_steal_pointer(&p);
        return 0;
}
