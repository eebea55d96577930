/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-cgroup.c: the cgroup a QEMU runs in: a machine scope, or a cgroup of our own */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <string.h>

#include "log.h"
#include "macro.h"
#include "qemu-cgroup-cpu.h"
#include "qemu-cgroup.h"
#include "scope.h"
#include "sd-glue.h"

#define CGROUP_REMOVE_TRIES      100
#define CGROUP_REMOVE_RETRY_USEC (50 * 1000)
#include "security-cgroup.h"

/*
 * A QEMU started by a privileged instance runs in a cgroup of its own whose device ACL
 * (DevicePolicy=closed + DeviceAllow=) lists the devices the domain may open:
 *
 *   - on a systemd host: the scope machine-qemu\x2d<id>\x2d<name>.scope in machine.slice,
 *     registered with systemd-machined (else made by systemd itself; common/scope.c), with
 *     the domain-wide <cputune> values as its properties (qemu-cgroup-cpu.c);
 *   - without systemd: the same path made by us under the cgroup file system, with a BPF
 *     device program (cgroup2) and/or the devices controller (v1)
 *     (drivers/security/security-cgroup.c), removed again once QEMU is gone;
 *   - with neither: QEMU runs in the daemon's cgroup, and the log says so.
 *
 * QEMU waits in virtkit-qemu-exec until its placement is done, so it never opens a device
 * outside its ACL.
 */

#define CGROUP_VIA_DIRECT "cgroup"

struct VkQemuCgroup {
        char *via;  /* "systemd-machined", "systemd", "cgroup"; NULL: none */
        char *name; /* the scope unit, or the cgroup path under the hierarchy's root */
        VkScopeOp *op;
        sd_event_source *defer;
        VkError error;
        VkQemuCgroupFunc callback;
        void *userdata;
};

/* Cancel a placement in progress (no callback runs) and free @cg. Takes NULL. Returns NULL. */
VkQemuCgroup *vk_qemu_cgroup_free(VkQemuCgroup *cg) {
        if (!cg)
                return NULL;
        vk_scope_op_free(cg->op);
        sd_event_source_disable_unref(cg->defer);
        vk_error_done(&cg->error);
        g_free(cg->via);
        g_free(cg->name);
        g_free(cg);
        return NULL;
}

/* How the cgroup was made ("systemd-machined", "systemd", "cgroup"), NULL when none was. */
const char *vk_qemu_cgroup_get_via(const VkQemuCgroup *cg) {
        return cg->via;
}

/* The scope unit, or the cgroup path of a cgroup we made; NULL when none was. */
const char *vk_qemu_cgroup_get_name(const VkQemuCgroup *cg) {
        return cg->name;
}

/*
 * The machine name prefix of an instance: "qemu", or for an embedded root "qemu-" and eight
 * hex digits of a hash of @root, so that two roots never register the same machine.
 */
char *vk_qemu_cgroup_machine_prefix(const char *root) {
        g_autofree char *sum = NULL;

        if (!root)
                return g_strdup("qemu");
        sum = g_compute_checksum_for_string(G_CHECKSUM_SHA256, root, -1);
        return g_strdup_printf("qemu-%.8s", sum);
}

/*
 * The cgroup a placement of @spec would make itself (without systemd): its "via" and name as
 * vk_qemu_cgroup_get_via()/get_name() will say, recorded before it exists so that a crash
 * during the placement leaves nothing unrecorded. NULLs under systemd: a scope needs no
 * removal.
 */
void vk_qemu_cgroup_planned(const VkQemuCgroupSpec *spec, char **ret_via, char **ret_name) {
        g_autofree char *machine = NULL;
        g_autofree char *unit = NULL;

        *ret_via = *ret_name = NULL;
        if (vk_scope_systemd_booted())
                return;
        machine = vk_scope_machine_name(spec->machine_prefix, spec->id, spec->name);
        unit = vk_scope_unit_name(machine);
        *ret_via = g_strdup(CGROUP_VIA_DIRECT);
        *ret_name = g_strconcat("machine.slice/", unit, NULL);
}

typedef struct CgroupRemoval {
        char *name;
        unsigned tries;
} CgroupRemoval;

/* Try to remove cgroup @name once; -EBUSY while a process in it is still exiting. */
static int cgroup_try_remove(const char *name, bool last) {
        g_auto(VkError) err = VK_ERROR_INIT;
        int r;

        /* the children of <cputune> first: a cgroup with children cannot go */
        vk_qemu_cpu_cgroup_remove(name);
        r = vk_security_cgroup_remove_by_name(name, &err);
        if (r < 0 && (r != -EBUSY || last))
                vk_log_warning("Failed to remove cgroup '%s': %s", name, err.message);
        return r;
}

static int cgroup_on_retry(sd_event_source *s, uint64_t usec, void *userdata) {
        CgroupRemoval *rm = userdata;

        rm->tries++;
        if (cgroup_try_remove(rm->name, rm->tries >= CGROUP_REMOVE_TRIES) == -EBUSY &&
            rm->tries < CGROUP_REMOVE_TRIES)
                return sd_event_source_set_time_relative(s, CGROUP_REMOVE_RETRY_USEC) < 0
                               ? 0
                               : sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
        sd_event_source_disable_unref(s);
        g_free(rm->name);
        g_free(rm);
        return 0;
}

/*
 * Remove what a placement left once QEMU is gone: a cgroup we made ourselves. A scope needs
 * nothing: systemd removes it (and machined the machine) when it is empty. A helper process
 * of QEMU's (virtiofsd's sandboxed worker) may still be exiting: with a loop @e, a busy
 * cgroup is tried again every 50 ms for up to 5 s before the warning.
 */
void vk_qemu_cgroup_remove(sd_event *e, const char *via, const char *name) {
        CgroupRemoval *rm;
        sd_event_source *s = NULL;

        if (!via || !name || !g_str_equal(via, CGROUP_VIA_DIRECT))
                return;
        if (cgroup_try_remove(name, !e) != -EBUSY || !e)
                return;
        rm = g_new0(CgroupRemoval, 1);
        rm->name = g_strdup(name);
        if (sd_event_add_time_relative(e, &s, CLOCK_MONOTONIC, CGROUP_REMOVE_RETRY_USEC, 0,
                                       cgroup_on_retry, rm) < 0) {
                (void) cgroup_try_remove(name, true);
                g_free(rm->name);
                g_free(rm);
        }
}

static int cgroup_on_defer(sd_event_source *s, void *userdata) {
        VkQemuCgroup *cg = userdata;

        cg->defer = sd_event_source_disable_unref(cg->defer);
        cg->callback(cg, vk_error_is_set(&cg->error) ? &cg->error : NULL, cg->userdata);
        return 0;
}

static void cgroup_on_scope(VkScopeOp *op, const char *unit, const char *via, const VkError *error,
                            void *userdata) {
        VkQemuCgroup *cg = userdata;

        if (!error) {
                cg->via = g_strdup(via);
                cg->name = g_strdup(unit);
                vk_log_debug("QEMU runs in scope '%s' (via %s)", unit, via);
        }
        /* @unit, @via and @error belong to @op: free it only after the callback */
        cg->callback(cg, error, cg->userdata);
}

static int cgroup_place_scope(VkQemuCgroup *cg, sd_event *e, const VkQemuCgroupSpec *spec,
                              const char *machine, VkError *reterr) {
        g_autofree VkScopeDevice *devices = g_new0(VkScopeDevice, spec->n_rules + 1);
        g_autofree char *description = g_strdup_printf("virtkit QEMU domain %s", spec->name);
        VkScopeSpec s = {
                .machine_name = machine,
                .uuid = spec->uuid,
                .service = "virtkit-qemu",
                .description = description,
                .leader = spec->leader,
                .device_policy_closed = true,
                .devices = devices,
                .n_devices = spec->n_rules + 1,
                .cpu = spec->cpu,
        };

        for (size_t i = 0; i < spec->n_rules; i++)
                devices[i] = (VkScopeDevice){ spec->rules[i].path, spec->rules[i].perms };
        /* pty chardevs and the serial console */
        devices[spec->n_rules] = (VkScopeDevice){ "char-pts", "rw" };
        return vk_scope_create(spec->scopes, e, &s, cgroup_on_scope, cg, &cg->op, reterr);
}

static int cgroup_place_direct(VkQemuCgroup *cg, const VkQemuCgroupSpec *spec, const char *machine,
                               VkError *reterr) {
        g_autoptr(VkSecurityCgroup) scg = NULL;
        g_autofree char *unit = vk_scope_unit_name(machine);
        g_autofree char *name = g_strconcat("machine.slice/", unit, NULL);
        g_auto(VkError) err = VK_ERROR_INIT;
        int r;

        r = vk_security_cgroup_create(name, spec->rules, spec->n_rules, &scg, &err);
        if (r == -EOPNOTSUPP) {
                vk_log_warning("No systemd and no usable cgroup file system: QEMU of domain '%s' "
                               "runs without a device ACL (%s)",
                               spec->name, err.message);
                return 0;
        }
        if (r < 0)
                return vk_error_set(reterr, err.name, r, "%s", err.message);
        r = vk_security_cgroup_add_pid(scg, spec->leader, reterr);
        if (r < 0) {
                (void) vk_security_cgroup_remove(scg, NULL);
                return r;
        }
        vk_log_debug("No systemd: QEMU of domain '%s' runs in cgroup '%s' (%s)", spec->name, name,
                     vk_security_cgroup_mode(scg));
        cg->via = g_strdup(CGROUP_VIA_DIRECT);
        cg->name = g_steal_pointer(&name);
        return 0;
}

/*
 * Move @spec->leader into a cgroup of its own with the device ACL (see the top of this file).
 * @callback runs once, from the loop; freeing *@ret first cancels it. Errors known at once
 * fail the call and leave nothing behind.
 */
int vk_qemu_cgroup_place(sd_event *e, const VkQemuCgroupSpec *spec, VkQemuCgroupFunc callback,
                         void *userdata, VkQemuCgroup **ret, VkError *reterr) {
        g_autoptr(VkQemuCgroup) cg = g_new0(VkQemuCgroup, 1);
        g_autofree char *machine = NULL;
        int r;

        assert(e && spec && spec->machine_prefix && spec->scopes && spec->name &&
               spec->leader > 0 && callback && ret);

        cg->callback = callback;
        cg->userdata = userdata;
        machine = vk_scope_machine_name(spec->machine_prefix, spec->id, spec->name);
        if (vk_scope_systemd_booted()) {
                r = cgroup_place_scope(cg, e, spec, machine, reterr);
                if (r < 0)
                        return r;
        } else {
                r = cgroup_place_direct(cg, spec, machine, reterr);
                if (r < 0)
                        return r;
                r = sd_event_add_defer(e, &cg->defer, cgroup_on_defer, cg);
                if (r < 0) {
                        vk_qemu_cgroup_remove(e, cg->via, cg->name);
                        return vk_error_set_errno(reterr, r, "Failed to queue");
                }
        }
        *ret = g_steal_pointer(&cg);
        return 0;
}

/* Write @value to the cgroup file @path (in place: no temporary file on a cgroup fs). */
static bool cgroup_write(const char *path, const char *value) {
        int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
        bool ok;

        if (fd < 0)
                return false;
        ok = write(fd, value, strlen(value)) == (ssize_t) strlen(value);
        close(fd);
        return ok;
}

/*
 * Move @pid into every cgroup @member is in (/proc/MEMBER/cgroup: each v1 hierarchy and the
 * cgroup2 one), as libvirt adds a domain's helper processes to its QEMU's cgroup. Best effort:
 * a hierarchy we cannot write is skipped (logged at debug level).
 */
void vk_qemu_cgroup_join(pid_t member, pid_t pid) {
        g_autofree char *path = g_strdup_printf("/proc/%d/cgroup", (int) member);
        g_autofree char *text = NULL;
        g_autofree char *value = g_strdup_printf("%d\n", (int) pid);
        g_auto(GStrv) lines = NULL;

        if (!g_file_get_contents(path, &text, NULL, NULL))
                return;
        lines = g_strsplit(text, "\n", 0);
        for (size_t i = 0; lines[i]; i++) {
                g_auto(GStrv) f = g_strsplit(lines[i], ":", 3);
                g_autofree char *procs = NULL;
                g_autofree char *alt = NULL;
                const char *ctrl;

                if (g_strv_length(f) != 3 || f[2][0] != '/' || strstr(f[2], "/.."))
                        continue;
                ctrl = g_str_has_prefix(f[1], "name=") ? f[1] + strlen("name=") : f[1];
                if (f[0][0] == '0' && f[0][1] == '\0') {
                        procs = g_build_filename("/sys/fs/cgroup/unified", f[2], "cgroup.procs",
                                                 NULL);
                        alt = g_build_filename("/sys/fs/cgroup", f[2], "cgroup.procs", NULL);
                } else if (*ctrl)
                        procs = g_build_filename("/sys/fs/cgroup", ctrl, f[2], "cgroup.procs",
                                                 NULL);
                else
                        continue;
                if (!cgroup_write(procs, value) &&
                    (!alt || access(procs, F_OK) == 0 || !cgroup_write(alt, value)))
                        vk_log_debug("Could not move pid %d into '%s', ignoring", (int) pid, procs);
        }
}
