/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* scope.c: a systemd scope for a process, through machined or systemd1 */
#include <assert.h>
#include <errno.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "log.h"
#include "macro.h"
#include "scope.h"
#include "sd-glue.h"

/*
 * A VM's QEMU goes into its own scope, like libvirt's machine-qemu\x2d1\x2dvm.scope:
 *
 *   1. systemd-machined CreateMachineWithNetwork(name, uuid, service, "vm", leader, "", [],
 *      scope properties): machined asks systemd for machine-<name>.scope with the leader
 *      in it and answers once that scope is running; the VM is listed by machinectl. A
 *      registration of the same name left by an earlier run (MachineExists) is terminated
 *      and the call made once more (machined drops it only when its scope has stopped:
 *      while it still exists, the call is repeated every 50 ms for up to 5 s).
 *   2. without machined (not installed or not activatable), systemd1 StartTransientUnit of
 *      the same scope with the leader's pid, done when its job is removed with "done".
 *
 * Scope properties: Description, Slice (machine.slice), DevicePolicy=closed with one
 * DeviceAllow= per device, CollectMode=inactive-or-failed, and the CPU controller settings
 * the caller asks for (CPUWeight= or CPUShares=, CPUQuotaPerSecUSec=, CPUQuotaPeriodUSec=:
 * systemd writes them to the scope's cgroup, which stays systemd's). The scope goes away by
 * itself when its last process ends: nothing to undo after QEMU is gone.
 *
 * Calls go over a system bus connection of our own, held by the caller's VkScopeManager
 * (one per driver instance), opened when first needed and attached to the caller's loop (the
 * daemon's D-Bus connection may be a private test bus). Each operation holds a reference on
 * the connection it started on.
 */

#define MACHINE_NAME_MAX       64
#define SCOPE_EXISTS_WAITS     100
#define SCOPE_EXISTS_WAIT_USEC (50 * 1000)

struct VkScopeManager {
        unsigned n_ref;
        sd_bus *bus; /* opened by the first vk_scope_create(); NULL until then */
};

struct VkScopeOp {
        sd_event *event;
        sd_bus *bus; /* a reference */
        char *machine_name;
        char *unit;
        char *service;
        char *description;
        char *slice;
        uint8_t uuid[16];
        bool has_uuid;
        pid_t leader;
        bool device_policy_closed;
        GPtrArray *devices; /* "path", "perms" pairs */
        VkScopeCpu cpu;
        bool retried;
        unsigned exists_waits; /* CreateMachine retries while a terminated machine goes away */
        sd_event_source *wait;
        bool via_systemd1;
        sd_bus_slot *call;
        sd_bus_slot *match;
        VkError error;
        VkScopeFunc callback;
        void *userdata;
};

/* True when systemd is the init system (then scopes are how processes get their cgroups). */
bool vk_scope_systemd_booted(void) {
        return sd_booted() > 0;
}

/*
 * The machine name of domain @name with id @id under @prefix ("qemu", or "qemu-<hash>" for
 * an embedded root): "<prefix>-<id>-<name>", keeping only [A-Za-z0-9_-] of the name and at
 * most 64 characters, as machined accepts.
 */
char *vk_scope_machine_name(const char *prefix, int id, const char *name) {
        g_autoptr(GString) s = g_string_new(NULL);

        g_string_printf(s, "%s-%d-", prefix, id);
        for (const char *c = name; *c && s->len < MACHINE_NAME_MAX; c++)
                if (g_ascii_isalnum(*c) || *c == '_' || *c == '-')
                        g_string_append_c(s, *c);
        while (s->len > 0 && s->str[s->len - 1] == '-')
                g_string_truncate(s, s->len - 1);
        return g_string_free(g_steal_pointer(&s), false);
}

/* "machine-<name>.scope", with the name escaped as systemd does ('-' becomes \x2d). */
char *vk_scope_unit_name(const char *machine_name) {
        g_autoptr(GString) s = g_string_new("machine-");

        for (const char *c = machine_name; *c; c++) {
                if (g_ascii_isalnum(*c) || *c == '_' || *c == ':' ||
                    (*c == '.' && c != machine_name))
                        g_string_append_c(s, *c);
                else
                        g_string_append_printf(s, "\\x%02x", (unsigned char) *c);
        }
        g_string_append(s, ".scope");
        return g_string_free(g_steal_pointer(&s), false);
}

/*
 * The scope properties of @cpu that are set, in a fixed order, into @ret; returns how many.
 * All are of D-Bus type "t".
 */
size_t vk_scope_cpu_properties(const VkScopeCpu *cpu,
                               VkScopeProperty ret[VK_SCOPE_CPU_PROPERTIES_MAX]) {
        size_t n = 0;

        assert(cpu && ret);
        if (cpu->weight)
                ret[n++] = (VkScopeProperty){ "CPUWeight", cpu->weight };
        if (cpu->shares)
                ret[n++] = (VkScopeProperty){ "CPUShares", cpu->shares };
        if (cpu->quota_per_sec_usec)
                ret[n++] = (VkScopeProperty){ "CPUQuotaPerSecUSec", cpu->quota_per_sec_usec };
        if (cpu->quota_period_usec)
                ret[n++] = (VkScopeProperty){ "CPUQuotaPeriodUSec", cpu->quota_period_usec };
        return n;
}

/* A manager without a bus connection yet: it opens one when first needed. */
VkScopeManager *vk_scope_manager_new(void) {
        VkScopeManager *m = g_new0(VkScopeManager, 1);

        m->n_ref = 1;
        return m;
}

/* Take a reference on @m; returns @m. */
VkScopeManager *vk_scope_manager_ref(VkScopeManager *m) {
        assert(m);
        m->n_ref++;
        return m;
}

static void scope_manager_close_bus(VkScopeManager *m) {
        if (!m->bus)
                return;
        (void) sd_bus_detach_event(m->bus);
        m->bus = sd_bus_flush_close_unref(m->bus);
}

/* Drop a reference; the last one closes the system bus connection. Takes NULL. Returns NULL. */
VkScopeManager *vk_scope_manager_unref(VkScopeManager *m) {
        if (!m || --m->n_ref > 0)
                return NULL;
        scope_manager_close_bus(m);
        g_free(m);
        return NULL;
}

static int scope_manager_get_bus(VkScopeManager *m, sd_event *e, sd_bus **ret, VkError *reterr) {
        int r;

        if (m->bus && sd_bus_is_open(m->bus) > 0 && sd_bus_get_event(m->bus) == e) {
                *ret = m->bus;
                return 0;
        }
        scope_manager_close_bus(m);
        r = sd_bus_open_system(&m->bus);
        if (r >= 0)
                r = sd_bus_attach_event(m->bus, e, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0) {
                scope_manager_close_bus(m);
                return vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, r,
                                    "cannot reach the system bus for the VM's scope: %s",
                                    g_strerror(-r));
        }
        *ret = m->bus;
        return 0;
}

/* Cancel @op (no callback runs) and free it. Takes NULL. Returns NULL. */
VkScopeOp *vk_scope_op_free(VkScopeOp *op) {
        if (!op)
                return NULL;
        sd_bus_slot_unref(op->call);
        sd_bus_slot_unref(op->match);
        sd_event_source_disable_unref(op->wait);
        sd_bus_unref(op->bus);
        sd_event_unref(op->event);
        vk_error_done(&op->error);
        g_free(op->machine_name);
        g_free(op->unit);
        g_free(op->service);
        g_free(op->description);
        g_free(op->slice);
        if (op->devices)
                g_ptr_array_unref(op->devices);
        g_free(op);
        return NULL;
}

static void scope_done(VkScopeOp *op, const VkError *error) {
        VkScopeFunc cb = op->callback;

        op->call = sd_bus_slot_unref(op->call);
        op->match = sd_bus_slot_unref(op->match);
        op->callback = NULL;
        if (cb)
                cb(op, error ? NULL : op->unit, op->via_systemd1 ? "systemd" : "systemd-machined",
                   error, op->userdata);
}

static void scope_fail(VkScopeOp *op, const char *what, const sd_bus_error *e) {
        g_auto(VkError) error = VK_ERROR_INIT;

        vk_error_set(&error, VK_ERROR_OPERATION_FAILED, -sd_bus_error_get_errno(e),
                     "%s for scope '%s' failed: %s (%s)", what, op->unit,
                     e->message ? e->message : "no message", e->name);
        scope_done(op, &error);
}

/* Scope properties, shared by both ways: a(sv) contents. */
static int scope_append_properties(VkScopeOp *op, sd_bus_message *m, bool with_pid) {
        VkScopeProperty cpu[VK_SCOPE_CPU_PROPERTIES_MAX];
        size_t n_cpu = vk_scope_cpu_properties(&op->cpu, cpu);
        int r;

        r = sd_bus_message_append(m, "(sv)", "Description", "s", op->description);
        if (r >= 0)
                r = sd_bus_message_append(m, "(sv)", "Slice", "s", op->slice);
        if (r >= 0)
                r = sd_bus_message_append(m, "(sv)", "CollectMode", "s", "inactive-or-failed");
        if (r >= 0 && with_pid)
                r = sd_bus_message_append(m, "(sv)", "PIDs", "au", 1, (uint32_t) op->leader);
        if (r >= 0 && op->device_policy_closed) {
                r = sd_bus_message_append(m, "(sv)", "DevicePolicy", "s", "closed");
                if (r >= 0)
                        r = sd_bus_message_open_container(m, 'r', "sv");
                if (r >= 0)
                        r = sd_bus_message_append(m, "s", "DeviceAllow");
                if (r >= 0)
                        r = sd_bus_message_open_container(m, 'v', "a(ss)");
                if (r >= 0)
                        r = sd_bus_message_open_container(m, 'a', "(ss)");
                for (guint i = 0; r >= 0 && i + 1 < op->devices->len; i += 2)
                        r = sd_bus_message_append(m, "(ss)", op->devices->pdata[i],
                                                  op->devices->pdata[i + 1]);
                if (r >= 0)
                        r = sd_bus_message_close_container(m);
                if (r >= 0)
                        r = sd_bus_message_close_container(m);
                if (r >= 0)
                        r = sd_bus_message_close_container(m);
        }
        for (size_t i = 0; r >= 0 && i < n_cpu; i++)
                r = sd_bus_message_append(m, "(sv)", cpu[i].name, "t", cpu[i].value);
        return r;
}

static int scope_call_machined(VkScopeOp *op, VkError *reterr);
static int scope_call_systemd(VkScopeOp *op, VkError *reterr);

static int scope_on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        VkScopeOp *op = userdata;
        const char *job, *unit, *result;
        uint32_t id;
        g_auto(VkError) error = VK_ERROR_INIT;

        if (sd_bus_message_read(m, "uoss", &id, &job, &unit, &result) < 0 ||
            !g_str_equal(unit, op->unit))
                return 0;
        if (g_str_equal(result, "done")) {
                scope_done(op, NULL);
                return 0;
        }
        vk_error_set(&error, VK_ERROR_OPERATION_FAILED, -EIO,
                     "systemd could not start scope '%s': its job ended with '%s'", op->unit,
                     result);
        scope_done(op, &error);
        return 0;
}

static int scope_on_reset(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        VkScopeOp *op = userdata;
        g_auto(VkError) error = VK_ERROR_INIT;

        op->call = sd_bus_slot_unref(op->call);
        if (scope_call_systemd(op, &error) < 0)
                scope_done(op, &error);
        return 0;
}

static int scope_on_start_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        VkScopeOp *op = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);
        g_auto(VkError) error = VK_ERROR_INIT;
        int r;

        op->call = sd_bus_slot_unref(op->call);
        if (!e)
                return 0; /* the job runs: JobRemoved says how it ended */
        if (sd_bus_error_has_name(e, "org.freedesktop.systemd1.UnitExists") && !op->retried) {
                /* a failed scope of an earlier run that was not collected yet: reset it, then
                 * try again (whatever the reset answered) */
                op->retried = true;
                vk_log_info("Scope '%s' exists from an earlier run: resetting it", op->unit);
                r = sd_bus_call_method_async(op->bus, &op->call, "org.freedesktop.systemd1",
                                             "/org/freedesktop/systemd1",
                                             "org.freedesktop.systemd1.Manager", "ResetFailedUnit",
                                             scope_on_reset, op, "s", op->unit);
                if (r < 0) {
                        vk_error_set_errno(&error, r, "Failed to reset scope '%s'", op->unit);
                        scope_done(op, &error);
                }
                return 0;
        }
        scope_fail(op, "systemd StartTransientUnit", e);
        return 0;
}

static int scope_call_systemd(VkScopeOp *op, VkError *reterr) {
        g_autoptr(sd_bus_message) m = NULL;
        int r;

        op->via_systemd1 = true;
        if (!op->match) {
                /* before the call: the job may end before its reply is read */
                r = sd_bus_match_signal_async(op->bus, &op->match, "org.freedesktop.systemd1",
                                              "/org/freedesktop/systemd1",
                                              "org.freedesktop.systemd1.Manager", "JobRemoved",
                                              scope_on_job_removed, NULL, op);
                if (r < 0)
                        return vk_error_set_errno(reterr, r, "Failed to watch systemd jobs");
        }
        r = sd_bus_message_new_method_call(
                op->bus, &m, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                "org.freedesktop.systemd1.Manager", "StartTransientUnit");
        if (r >= 0)
                r = sd_bus_message_append(m, "ss", op->unit, "fail");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "(sv)");
        if (r >= 0)
                r = scope_append_properties(op, m, /* with_pid= */ true);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r >= 0)
                r = sd_bus_message_append(m, "a(sa(sv))", 0);
        if (r >= 0)
                r = sd_bus_call_async(op->bus, &op->call, m, scope_on_start_reply, op, 0);
        if (r < 0)
                return vk_error_set_errno(reterr, r, "Failed to ask systemd for scope '%s'",
                                          op->unit);
        return 0;
}

static int scope_on_terminated(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        VkScopeOp *op = userdata;
        g_auto(VkError) error = VK_ERROR_INIT;

        op->call = sd_bus_slot_unref(op->call);
        if (scope_call_machined(op, &error) < 0)
                scope_done(op, &error);
        return 0;
}

static int scope_on_wait(sd_event_source *source, uint64_t usec, void *userdata) {
        VkScopeOp *op = userdata;
        g_auto(VkError) error = VK_ERROR_INIT;

        op->wait = sd_event_source_disable_unref(op->wait);
        if (scope_call_machined(op, &error) < 0)
                scope_done(op, &error);
        return 0;
}

static bool scope_error_no_machined(const sd_bus_error *e) {
        return sd_bus_error_has_names(
                e, SD_BUS_ERROR_SERVICE_UNKNOWN, SD_BUS_ERROR_NAME_HAS_NO_OWNER,
                SD_BUS_ERROR_UNKNOWN_METHOD, SD_BUS_ERROR_UNKNOWN_OBJECT,
                "org.freedesktop.DBus.Error.Spawn.Failed",
                "org.freedesktop.DBus.Error.Spawn.ChildExited",
                "org.freedesktop.DBus.Error.Spawn.ServiceNotFound",
                "org.freedesktop.systemd1.UnitMasked", "org.freedesktop.systemd1.LoadFailed",
                "org.freedesktop.systemd1.NoSuchUnit");
}

static int scope_on_machine_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        VkScopeOp *op = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);
        g_auto(VkError) error = VK_ERROR_INIT;
        int r;

        op->call = sd_bus_slot_unref(op->call);
        if (!e) {
                scope_done(op, NULL);
                return 0;
        }
        if (sd_bus_error_has_name(e, "org.freedesktop.machine1.MachineExists") && !op->retried) {
                /* a registration of an earlier run under the same name: end it, try again */
                op->retried = true;
                vk_log_info("Machine '%s' is registered from an earlier run: terminating it",
                            op->machine_name);
                r = sd_bus_call_method_async(op->bus, &op->call, "org.freedesktop.machine1",
                                             "/org/freedesktop/machine1",
                                             "org.freedesktop.machine1.Manager", "TerminateMachine",
                                             scope_on_terminated, op, "s", op->machine_name);
                if (r < 0) {
                        vk_error_set_errno(&error, r, "Failed to terminate machine '%s'",
                                           op->machine_name);
                        scope_done(op, &error);
                }
                return 0;
        }
        if (sd_bus_error_has_name(e, "org.freedesktop.machine1.MachineExists") &&
            op->exists_waits < SCOPE_EXISTS_WAITS) {
                /* terminated, but machined lets it go only when its scope is gone */
                op->exists_waits++;
                op->wait = sd_event_source_disable_unref(op->wait);
                r = sd_event_add_time_relative(op->event, &op->wait, CLOCK_MONOTONIC,
                                               SCOPE_EXISTS_WAIT_USEC, 0, scope_on_wait, op);
                if (r < 0) {
                        vk_error_set_errno(&error, r, "Failed to wait for machine '%s' to go",
                                           op->machine_name);
                        scope_done(op, &error);
                }
                return 0;
        }
        if (scope_error_no_machined(e)) {
                vk_log_debug("systemd-machined is not available (%s): asking systemd for '%s'",
                             e->name, op->unit);
                if (scope_call_systemd(op, &error) < 0)
                        scope_done(op, &error);
                return 0;
        }
        scope_fail(op, "systemd-machined CreateMachine", e);
        return 0;
}

static int scope_call_machined(VkScopeOp *op, VkError *reterr) {
        g_autoptr(sd_bus_message) m = NULL;
        int r;

        r = sd_bus_message_new_method_call(
                op->bus, &m, "org.freedesktop.machine1", "/org/freedesktop/machine1",
                "org.freedesktop.machine1.Manager", "CreateMachineWithNetwork");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", op->machine_name);
        if (r >= 0)
                r = sd_bus_message_append_array(m, 'y', op->uuid, op->has_uuid ? 16 : 0);
        if (r >= 0)
                r = sd_bus_message_append(m, "ssusai", op->service, "vm", (uint32_t) op->leader, "",
                                          0);
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "(sv)");
        if (r >= 0)
                r = scope_append_properties(op, m, /* with_pid= */ false);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r >= 0)
                r = sd_bus_call_async(op->bus, &op->call, m, scope_on_machine_reply, op, 0);
        if (r < 0)
                return vk_error_set_errno(reterr, r, "Failed to ask systemd-machined for '%s'",
                                          op->machine_name);
        return 0;
}

/*
 * Put @spec->leader into a new scope (see the top of this file), over @m's system bus
 * connection on loop @e. @callback runs once from
 * the loop with the unit name, or an error naming the scope and what systemd said; freeing
 * *@ret first cancels it (the leader may then still end up in the scope, which goes away
 * with it). Fails at once only when the system bus cannot be reached.
 */
int vk_scope_create(VkScopeManager *m, sd_event *e, const VkScopeSpec *spec, VkScopeFunc callback,
                    void *userdata, VkScopeOp **ret, VkError *reterr) {
        g_autoptr(VkScopeOp) op = NULL;
        sd_bus *bus = NULL;
        int r;

        assert(m && e && spec && spec->machine_name && spec->leader > 0 && callback && ret);

        r = scope_manager_get_bus(m, e, &bus, reterr);
        if (r < 0)
                return r;
        op = g_new0(VkScopeOp, 1);
        op->event = sd_event_ref(e);
        op->bus = sd_bus_ref(bus);
        op->machine_name = g_strdup(spec->machine_name);
        op->unit = vk_scope_unit_name(spec->machine_name);
        op->service = g_strdup(spec->service ? spec->service : "virtkit");
        op->description = g_strdup(spec->description ? spec->description : spec->machine_name);
        op->slice = g_strdup(spec->slice ? spec->slice : "machine.slice");
        op->has_uuid = spec->uuid != NULL;
        if (spec->uuid)
                memcpy(op->uuid, spec->uuid, sizeof(op->uuid));
        op->leader = spec->leader;
        op->device_policy_closed = spec->device_policy_closed;
        op->devices = g_ptr_array_new_with_free_func(g_free);
        for (size_t i = 0; i < spec->n_devices; i++) {
                g_ptr_array_add(op->devices, g_strdup(spec->devices[i].path));
                g_ptr_array_add(op->devices, g_strdup(spec->devices[i].perms));
        }
        op->cpu = spec->cpu;
        op->callback = callback;
        op->userdata = userdata;

        r = scope_call_machined(op, reterr);
        if (r < 0)
                return r;
        *ret = g_steal_pointer(&op);
        return 0;
}
