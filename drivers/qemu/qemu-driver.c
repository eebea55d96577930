/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-driver.c: the QEMU driver: domains, lifecycle, capabilities (plain C API, no IPC) */
#include <assert.h>
#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "atomic-file.h"
#include "log.h"
#include "macro.h"
#include "qemu-argv.h"
#include "qemu-caps-xml.h"
#include "qemu-caps.h"
#include "qemu-conf.h"
#include "qemu-driver.h"
#include "qemu-job.h"
#include "qemu-process.h"
#include "qemu-secrets.h"
#include "scope.h"
#include "sd-glue.h"

#define START_JOB_TIMEOUT_USEC        (90ULL * 1000 * 1000)
#define DESTROY_JOB_TIMEOUT_USEC      (30ULL * 1000 * 1000)
#define GRACEFUL_DESTROY_TIMEOUT_USEC (10ULL * 1000 * 1000)
#define DESTROY_KILL_GRACE_USEC       (5ULL * 1000 * 1000)
#define QMP_JOB_TIMEOUT_USEC          (60ULL * 1000 * 1000)
#define SECRETS_TIMEOUT_USEC          (30ULL * 1000 * 1000)

typedef void (*CapsFunc)(VkQemuDriver *drv, VkQemuCaps *caps, const VkError *error, void *ud);

/* One caller waiting for the capabilities of a binary. */
typedef struct CapsWaiter {
        VkQemuDriver *drv;
        CapsFunc fn;
        void *userdata;
        VkQemuCaps *caps; /* known already: delivered from a defer source */
        sd_event_source *defer;
} CapsWaiter;

/* One probe in flight per binary; every caller asking meanwhile shares it. */
typedef struct CapsProbe {
        VkQemuDriver *drv;
        char *binary;
        VkQemuCapsProbe *probe;
        GPtrArray *waiters; /* CapsWaiter */
} CapsProbe;

struct VkQemuDriver {
        sd_event *event;
        VkPaths *paths;
        VkInstanceKind kind;
        VkQemuConfig *cfg;
        VkSecurityManager *security; /* the stack every QEMU of this instance runs under */
        char *machine_prefix;        /* QEMU's cgroup names (qemu-cgroup.c); NULL: none */
        VkDomainList *domains;
        GHashTable *caps;    /* binary → VkQemuCaps */
        GHashTable *probes;  /* binary → CapsProbe */
        GHashTable *waiters; /* CapsWaiter set (deferred deliveries) */
        VkQemuDriverCallbacks cb;
        void *userdata;
        bool freeing;
};

static void driver_busy_changed(VkQemuDriver *drv) {
        if (drv->cb.busy_changed && !drv->freeing)
                drv->cb.busy_changed(drv, drv->userdata);
}

/* Tell the owner that @obj may look different now (see VkQemuDriverCallbacks). */
static void driver_changed(VkQemuDriver *drv, VkDomainObj *obj) {
        if (drv->cb.domain_changed && !drv->freeing)
                drv->cb.domain_changed(drv, obj, drv->userdata);
}

static void driver_emit(VkQemuDriver *drv, VkDomainObj *obj, const char *event,
                        const char *detail) {
        VkQemuDomainEvent ev = {
                .name = obj->name,
                .uuid = obj->uuid_str,
                .event = event,
                .detail = detail,
        };

        vk_log_debug("Domain '%s': %s (%s)", obj->name, event, detail);
        if (drv->cb.event && !drv->freeing)
                drv->cb.event(drv, &ev, drv->userdata);
        driver_changed(drv, obj);
}

/* ---- capabilities ---- */

static const char *driver_host_arch(void) {
        static struct utsname u;

        if (!u.machine[0] && uname(&u) < 0)
                return "x86_64";
        return u.machine;
}

/* The emulator used when a definition names none: qemu.conf's first, else the host's. */
static char *driver_default_binary(VkQemuDriver *drv, const char *arch) {
        g_autofree char *name = NULL;
        char *found;

        if (!arch && drv->cfg->emulators && drv->cfg->emulators[0])
                return g_strdup(drv->cfg->emulators[0]);
        name = g_strdup_printf("qemu-system-%s", arch ? arch : driver_host_arch());
        found = g_find_program_in_path(name);
        return found ? found : g_build_filename("/usr/bin", name, NULL);
}

static void caps_unref_notify(gpointer caps) {
        vk_qemu_caps_unref(caps);
}

static void caps_waiter_free(CapsWaiter *w) {
        sd_event_source_disable_unref(w->defer);
        vk_qemu_caps_unref(w->caps);
        g_free(w);
}

static void caps_probe_free(CapsProbe *cp) {
        vk_qemu_caps_probe_free(cp->probe);
        g_ptr_array_unref(cp->waiters);
        g_free(cp->binary);
        g_free(cp);
}

static int caps_waiter_on_defer(sd_event_source *s, void *userdata) {
        CapsWaiter *w = userdata;
        VkQemuDriver *drv = w->drv;

        g_hash_table_steal(drv->waiters, w);
        w->fn(drv, w->caps, NULL, w->userdata);
        caps_waiter_free(w);
        return 0;
}

static void caps_on_probed(VkQemuCapsProbe *probe, VkQemuCaps *caps, const VkError *error,
                           void *userdata) {
        CapsProbe *cp = userdata;
        VkQemuDriver *drv = cp->drv;
        g_autoptr(GPtrArray) waiters = g_steal_pointer(&cp->waiters);

        cp->waiters = g_ptr_array_new();
        if (caps) {
                g_auto(VkError) err = VK_ERROR_INIT;

                g_hash_table_replace(drv->caps, g_strdup(cp->binary), vk_qemu_caps_ref(caps));
                if (vk_qemu_caps_save_cache(caps, drv->paths->cache_dir, &err) < 0)
                        vk_log_debug("Not caching the capabilities of '%s': %s", cp->binary,
                                     err.message);
        }
        /* callers may start new probes: take ours out of the table first */
        caps = caps ? vk_qemu_caps_ref(caps) : NULL;
        g_hash_table_steal(drv->probes, cp->binary);
        for (guint i = 0; i < waiters->len; i++) {
                CapsWaiter *w = waiters->pdata[i];
                w->fn(drv, caps, caps ? NULL : error, w->userdata);
                caps_waiter_free(w);
        }
        vk_qemu_caps_unref(caps);
        caps_probe_free(cp);
}

/*
 * Get the capabilities of @binary for @fn: from memory, from the cache dir, or from one
 * probe shared by every caller. @fn always runs from the loop.
 */
static int driver_get_caps(VkQemuDriver *drv, const char *binary, CapsFunc fn, void *userdata,
                           VkError *reterr) {
        g_autoptr(VkQemuCaps) loaded = NULL;
        CapsWaiter *w;
        CapsProbe *cp;
        VkQemuCaps *caps;
        int r;

        if (!g_path_is_absolute(binary))
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "emulator '%s' must be an absolute path", binary);

        w = g_new0(CapsWaiter, 1);
        w->drv = drv;
        w->fn = fn;
        w->userdata = userdata;

        cp = g_hash_table_lookup(drv->probes, binary);
        if (cp) {
                g_ptr_array_add(cp->waiters, w);
                return 0;
        }

        caps = g_hash_table_lookup(drv->caps, binary);
        if (!caps) {
                r = vk_qemu_caps_load_cache(drv->paths->cache_dir, binary,
                                            VK_QEMU_CAPS_CACHE_CHECK_KVM, &loaded, NULL);
                if (r < 0) {
                        g_free(w);
                        return vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, r,
                                            "cannot use emulator '%s': %s", binary, g_strerror(-r));
                }
                if (r > 0) {
                        caps = loaded;
                        g_hash_table_replace(drv->caps, g_strdup(binary), vk_qemu_caps_ref(loaded));
                }
        }
        if (caps) {
                w->caps = vk_qemu_caps_ref(caps);
                r = sd_event_add_defer(drv->event, &w->defer, caps_waiter_on_defer, w);
                if (r < 0) {
                        caps_waiter_free(w);
                        return vk_error_set_errno(reterr, r, "Failed to queue a reply");
                }
                g_hash_table_add(drv->waiters, w);
                return 0;
        }

        cp = g_new0(CapsProbe, 1);
        cp->drv = drv;
        cp->binary = g_strdup(binary);
        cp->waiters = g_ptr_array_new();
        r = vk_qemu_caps_probe_async(drv->event, binary, drv->paths->cache_dir, caps_on_probed, cp,
                                     &cp->probe, reterr);
        if (r < 0) {
                caps_probe_free(cp);
                g_free(w);
                return r;
        }
        g_ptr_array_add(cp->waiters, w);
        g_hash_table_insert(drv->probes, cp->binary, cp);
        return 0;
}

/* A pending string answer for GetCapabilities and friends. */
typedef struct StringOp {
        VkQemuDriverDoneFunc done;
        void *userdata;
        char *machine;
        char *virttype;
        VkDomainDef *def;
} StringOp;

static void string_op_free(StringOp *op) {
        g_free(op->machine);
        g_free(op->virttype);
        vk_domain_def_free(op->def);
        g_free(op);
}

static StringOp *string_op_new(VkQemuDriverDoneFunc done, void *userdata) {
        StringOp *op = g_new0(StringOp, 1);
        op->done = done;
        op->userdata = userdata;
        return op;
}

/*
 * The <secmodel> entries of the host capabilities: the security stack's, in its order (MAC,
 * then DAC), led by libvirt's "none" model when the stack has no MAC driver. Fills at most 3.
 */
static size_t driver_secmodels(VkQemuDriver *drv, VkQemuSecModel ret[static 3]) {
        const VkQemuSecModel *stack = NULL;
        size_t n = 0, k = 0;

        if (!drv->security)
                return 0;
        (void) vk_security_manager_get_secmodels(drv->security, &stack, &n);
        if (!vk_security_manager_mac_model(drv->security))
                ret[k++] = (VkQemuSecModel){ .model = "none", .doi = "0" };
        for (size_t i = 0; i < n && k < 3; i++)
                ret[k++] = stack[i];
        return k;
}

static void on_caps_for_capabilities(VkQemuDriver *drv, VkQemuCaps *caps, const VkError *error,
                                     void *userdata) {
        StringOp *op = userdata;
        g_auto(VkError) err = VK_ERROR_INIT;
        g_autofree char *xml = NULL;
        VkQemuHostInfo host = { .arch = driver_host_arch() };
        VkQemuSecModel secmodels[3];
        size_t n_secmodels = driver_secmodels(drv, secmodels);

        if (caps && vk_qemu_caps_format_capabilities_xml(&host, &caps, 1, secmodels, n_secmodels,
                                                         &xml, &err) >= 0)
                op->done(drv, xml, NULL, op->userdata);
        else
                op->done(drv, NULL, caps ? &err : error, op->userdata);
        string_op_free(op);
}

/*
 * The host's <capabilities> XML, from the capabilities of the default emulator (probed on
 * first use, then cached). @done gets the XML.
 */
int vk_qemu_driver_get_capabilities(VkQemuDriver *drv, VkQemuDriverDoneFunc done, void *userdata,
                                    VkError *reterr) {
        g_autofree char *binary = driver_default_binary(drv, NULL);
        StringOp *op = string_op_new(done, userdata);
        int r;

        r = driver_get_caps(drv, binary, on_caps_for_capabilities, op, reterr);
        if (r < 0)
                string_op_free(op);
        return r;
}

static void on_caps_for_domcaps(VkQemuDriver *drv, VkQemuCaps *caps, const VkError *error,
                                void *userdata) {
        StringOp *op = userdata;
        g_auto(VkError) err = VK_ERROR_INIT;
        g_autofree char *xml = NULL;

        if (caps && vk_qemu_caps_format_domain_capabilities_xml(caps, op->machine, op->virttype,
                                                                &xml, &err) >= 0)
                op->done(drv, xml, NULL, op->userdata);
        else
                op->done(drv, NULL, caps ? &err : error, op->userdata);
        string_op_free(op);
}

/*
 * <domainCapabilities> for @emulator (or the one for @arch, or the default), @machine and
 * @virttype (each may be NULL). @done gets the XML.
 */
int vk_qemu_driver_get_domain_capabilities(VkQemuDriver *drv, const char *emulator,
                                           const char *arch, const char *machine,
                                           const char *virttype, VkQemuDriverDoneFunc done,
                                           void *userdata, VkError *reterr) {
        g_autofree char *binary = NULL;
        StringOp *op;
        int r;

        if (arch && (strchr(arch, '/') || strlen(arch) > 32))
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "arch: invalid value '%s'", arch);
        binary = emulator ? g_strdup(emulator) : driver_default_binary(drv, arch);
        op = string_op_new(done, userdata);
        op->machine = g_strdup(machine);
        op->virttype = g_strdup(virttype);
        r = driver_get_caps(drv, binary, on_caps_for_domcaps, op, reterr);
        if (r < 0)
                string_op_free(op);
        return r;
}

static void on_caps_for_native(VkQemuDriver *drv, VkQemuCaps *caps, const VkError *error,
                               void *userdata) {
        StringOp *op = userdata;
        g_auto(VkError) err = VK_ERROR_INIT;
        g_autoptr(VkQemuCommand) cmd = NULL;
        g_autofree char *dir = NULL;
        g_autofree char *native = NULL;
        VkQemuArgvOptions opts = {};

        if (!caps) {
                op->done(drv, NULL, error, op->userdata);
                string_op_free(op);
                return;
        }
        dir = vk_qemu_process_private_dir(drv->paths->run_dir, op->def->id, op->def->name);
        opts.private_dir = dir;
        /* nothing is allocated for an export: libvirt's placeholders for autoport */
        opts.vnc_port = VK_QEMU_NATIVE_VNC_PORT;
        opts.vnc_websocket_port = VK_QEMU_NATIVE_VNC_WEBSOCKET_PORT;
        opts.spice_port = VK_QEMU_NATIVE_SPICE_PORT;
        if (vk_qemu_build_command(op->def, caps, drv->cfg, &opts, &cmd, &err) < 0) {
                op->done(drv, NULL, &err, op->userdata);
        } else {
                native = vk_qemu_command_to_native(cmd);
                op->done(drv, native, NULL, op->userdata);
        }
        string_op_free(op);
}

/*
 * DomainXMLToNative: the QEMU command line for @xml (format "qemu-argv" only). The XML is
 * parsed first (InvalidXML naming the element), then the emulator's capabilities are fetched.
 */
int vk_qemu_driver_xml_to_native(VkQemuDriver *drv, const char *format, const char *xml,
                                 VkQemuDriverDoneFunc done, void *userdata, VkError *reterr) {
        g_autoptr(VkDomainDef) def = NULL;
        g_autofree char *binary = NULL;
        StringOp *op;
        int r;

        if (strcmp(format, "qemu-argv") != 0)
                return vk_error_set(reterr, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                    "format: unsupported value '%s' (only 'qemu-argv')", format);
        r = vk_domain_def_parse_string(xml, /* flags= */ 0, &def, reterr);
        if (r < 0)
                return r;
        binary = def->emulator ? g_strdup(def->emulator) : driver_default_binary(drv, NULL);
        op = string_op_new(done, userdata);
        op->def = g_steal_pointer(&def);
        r = driver_get_caps(drv, binary, on_caps_for_native, op, reterr);
        if (r < 0)
                string_op_free(op);
        return r;
}

/* DomainXMLFromNative: always an error (NotSupported); the conversion was removed. */
int vk_qemu_driver_xml_from_native(VkQemuDriver *drv, const char *format, const char *native,
                                   VkError *reterr) {
        if (strcmp(format, "qemu-argv") != 0)
                return vk_error_set(reterr, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                    "format: unsupported value '%s' (only 'qemu-argv')", format);
        return vk_qemu_command_from_native(native, reterr);
}

/* ---- definitions and queries ---- */

/*
 * Define a persistent domain from @xml (see vk_domain_list_define()); emits "defined".
 * *@ret_obj (may be NULL) borrows the domain.
 */
int vk_qemu_driver_define(VkQemuDriver *drv, const char *xml, VkDomainObj **ret_obj,
                          VkError *reterr) {
        VkDomainObj *obj = NULL;
        size_t before = vk_domain_list_count(drv->domains);
        bool existed;
        int r;

        r = vk_domain_list_define(drv->domains, xml, &obj, reterr);
        if (r < 0)
                return r;
        obj->driver = drv;
        existed = vk_domain_list_count(drv->domains) == before;
        driver_emit(drv, obj, "defined", existed ? "updated" : "added");
        if (ret_obj)
                *ret_obj = obj;
        return 0;
}

/* Remove the persistent config of @domain; a running one goes on as transient. */
int vk_qemu_driver_undefine(VkQemuDriver *drv, const char *domain, VkError *reterr) {
        g_autoptr(VkDomainObj) obj = NULL;
        VkDomainObj *found;
        int r;

        r = vk_domain_list_lookup(drv->domains, domain, &found, reterr);
        if (r < 0)
                return r;
        obj = vk_domain_obj_ref(found);
        r = vk_domain_list_undefine(drv->domains, obj, reterr);
        if (r < 0)
                return r;
        driver_emit(drv, obj, "undefined", "removed");
        return 0;
}

static bool list_match(VkDomainObj *obj, unsigned flags) {
        unsigned state = flags & (VK_QEMU_LIST_ACTIVE | VK_QEMU_LIST_INACTIVE);
        unsigned pers = flags & (VK_QEMU_LIST_PERSISTENT | VK_QEMU_LIST_TRANSIENT);

        if (state &&
            !(state & (vk_domain_obj_is_active(obj) ? VK_QEMU_LIST_ACTIVE : VK_QEMU_LIST_INACTIVE)))
                return false;
        if (pers && !(pers & (obj->persistent ? VK_QEMU_LIST_PERSISTENT : VK_QEMU_LIST_TRANSIENT)))
                return false;
        if ((flags & VK_QEMU_LIST_AUTOSTART) && !obj->autostart)
                return false;
        return true;
}

/*
 * The domains matching @flags (VkQemuListFlags: within active/inactive and within
 * persistent/transient no flag means both), sorted by name. *@ret holds a reference on each.
 */
int vk_qemu_driver_list(VkQemuDriver *drv, unsigned flags, GPtrArray **ret) {
        GPtrArray *all = vk_domain_list_get_all(drv->domains);

        for (guint i = all->len; i > 0; i--)
                if (!list_match(all->pdata[i - 1], flags))
                        g_ptr_array_remove_index(all, i - 1); /* keeps the order */
        *ret = all;
        return 0;
}

/* The domain named by @domain (name or UUID), borrowed; NoSuchDomain otherwise. */
int vk_qemu_driver_lookup(VkQemuDriver *drv, const char *domain, VkDomainObj **ret_obj,
                          VkError *reterr) {
        return vk_domain_list_lookup(drv->domains, domain, ret_obj, reterr);
}

/*
 * The domain with @name, @uuid or @id (> 0), exactly one of them given; borrowed.
 * InvalidArgument when none or several are given, NoSuchDomain when nothing matches.
 */
int vk_qemu_driver_lookup_by(VkQemuDriver *drv, const char *name, const char *uuid, int64_t id,
                             VkDomainObj **ret_obj, VkError *reterr) {
        VkDomainObj *obj = NULL;
        g_autofree char *what = NULL;
        VkUuid u;
        int n = !vk_isempty(name) + !vk_isempty(uuid) + (id > 0);
        int r;

        if (n != 1)
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "give exactly one of name, uuid and id");
        if (!vk_isempty(name)) {
                obj = vk_domain_list_find_by_name(drv->domains, name);
                what = g_strdup_printf("name '%s'", name);
        } else if (!vk_isempty(uuid)) {
                if (vk_uuid_parse(uuid, &u) < 0)
                        return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                            "uuid: invalid value '%s'", uuid);
                obj = vk_domain_list_find_by_uuid(drv->domains, &u);
                what = g_strdup_printf("uuid '%s'", uuid);
        } else {
                obj = id <= G_MAXINT ? vk_domain_list_find_by_id(drv->domains, (int) id) : NULL;
                what = g_strdup_printf("id %" G_GINT64_FORMAT, id);
        }
        if (!obj) {
                r = vk_error_set(reterr, "NoSuchDomain", -ENOENT, "no domain with matching %s",
                                 what);
                if (reterr)
                        vk_error_add_param(reterr, "domain", name ? name : uuid ? uuid : what);
                return r;
        }
        *ret_obj = obj;
        return 0;
}

/*
 * The XML of @domain: the live definition (id, runtime data) while it runs unless
 * VK_QEMU_XML_INACTIVE, the persistent (next boot) one otherwise; secrets only with
 * VK_QEMU_XML_SECURE. *@ret is a new string.
 */
int vk_qemu_driver_get_xml(VkQemuDriver *drv, const char *domain, unsigned flags, char **ret,
                           VkError *reterr) {
        VkDomainObj *obj;
        unsigned fmt = (flags & VK_QEMU_XML_SECURE) ? VK_DOMAIN_DEF_FORMAT_SECURE : 0;
        int r;

        r = vk_domain_list_lookup(drv->domains, domain, &obj, reterr);
        if (r < 0)
                return r;
        if (obj->live && !(flags & VK_QEMU_XML_INACTIVE))
                return vk_domain_def_format_checked(obj->live, fmt | VK_DOMAIN_DEF_FORMAT_LIVE,
                                                    "the live XML", ret, reterr);
        return vk_domain_def_format(obj->def, fmt, ret, reterr);
}

/* State, reason, memory (KiB), vCPUs and the CPU time QEMU used of @domain. */
int vk_qemu_driver_get_info(VkQemuDriver *drv, const char *domain, VkQemuDomainInfo *ret,
                            VkError *reterr) {
        VkDomainObj *obj;
        const VkDomainDef *def;
        VkQemuDomainInfo info = {};
        int r;

        r = vk_domain_list_lookup(drv->domains, domain, &obj, reterr);
        if (r < 0)
                return r;
        def = obj->live ? obj->live : obj->def;
        info.state = obj->state;
        info.reason = obj->reason;
        info.max_memory_kib = def->memory_kib;
        info.memory_kib =
                obj->live ? (def->current_memory_kib ? def->current_memory_kib : def->memory_kib)
                          : 0;
        info.vcpus = def->vcpus_current ? def->vcpus_current : def->vcpus;
        if (obj->process)
                (void) vk_qemu_process_cpu_time(obj->process, &info.cpu_time_ns);
        *ret = info;
        return 0;
}

/* Turn autostart of the persistent @domain on or off. */
int vk_qemu_driver_set_autostart(VkQemuDriver *drv, const char *domain, bool enabled,
                                 VkError *reterr) {
        VkDomainObj *obj;
        int r;

        r = vk_domain_list_lookup(drv->domains, domain, &obj, reterr);
        if (r < 0)
                return r;
        r = vk_domain_list_set_autostart(drv->domains, obj, enabled, reterr);
        if (r < 0)
                return r;
        driver_changed(drv, obj);
        return 0;
}

/* ---- running domains ---- */

static void domain_write_status(VkDomainObj *obj) {
        g_auto(VkError) err = VK_ERROR_INIT;

        if (!obj->process || obj->process->exited)
                return;
        if (vk_qemu_process_write_status(obj->process, NULL, vk_domain_state_to_string(obj->state),
                                         vk_domain_reason_to_string(obj->reason), &err) < 0)
                vk_log_debug("Failed to update the status of domain '%s': %s", obj->name,
                             err.message);
}

/* Change the run state; emits "suspended"/"resumed" only when it really changed. */
static void domain_set_run_state(VkQemuDriver *drv, VkDomainObj *obj, VkDomainState state,
                                 VkDomainReason reason) {
        bool changed = obj->state != state;

        vk_domain_obj_set_state(obj, state, reason);
        if (!changed)
                return;
        domain_write_status(obj);
        if (state == VK_DOMAIN_STATE_PAUSED)
                driver_emit(drv, obj, "suspended", vk_domain_reason_to_string(reason));
        else if (state == VK_DOMAIN_STATE_RUNNING)
                driver_emit(drv, obj, "resumed", vk_domain_reason_to_string(reason));
}

/* QEMU is gone (or never came up): forget the runtime state, drop a transient domain. */
static void domain_stopped(VkQemuDriver *drv, VkDomainObj *obj, VkDomainReason reason, bool emit) {
        g_autoptr(VkDomainObj) ref = vk_domain_obj_ref(obj);
        VkQemuJob *job = obj->job;

        obj->process = vk_qemu_process_free(obj->process);
        obj->live = vk_domain_def_free(obj->live);
        (void) vk_domain_list_set_id(drv->domains, obj, -1);
        vk_domain_obj_set_state(obj, VK_DOMAIN_STATE_SHUTOFF, reason);
        obj->destroying = obj->guest_shutdown = obj->crashed = false;
        obj->tainted = false;
        if (emit)
                driver_emit(drv, obj, "stopped", vk_domain_reason_to_string(reason));

        if (job && !job->finished && job->running) {
                if (strcmp(job->name, "destroy") == 0)
                        vk_qemu_job_finish(job, NULL, NULL);
                else if (strcmp(job->name, "start") != 0)
                        vk_qemu_job_fail(job, VK_ERROR_OPERATION_FAILED, -ESRCH,
                                         "domain '%s' stopped during %s", obj->name, job->name);
        }
        if (!obj->persistent && !obj->job)
                vk_domain_list_remove(drv->domains, obj);
        driver_changed(drv, obj);
        driver_busy_changed(drv);
}

static void domain_qmp_ignore(VkQmpClient *qmp, JsonNode *ret, const VkError *error,
                              void *userdata) {
}

/* on_poweroff / on_reboot / on_crash = restart: reset the guest and let it run again. */
static void domain_restart_guest(VkDomainObj *obj) {
        VkQmpClient *qmp = obj->process ? obj->process->qmp : NULL;

        if (!qmp)
                return;
        (void) vk_qmp_execute(qmp, "system_reset", NULL, domain_qmp_ignore, NULL, NULL, NULL);
        (void) vk_qmp_execute(qmp, "cont", NULL, domain_qmp_ignore, NULL, NULL, NULL);
}

static void process_on_event(VkQemuProcess *p, const char *name, JsonObject *data, void *userdata) {
        VkDomainObj *obj = userdata;
        VkQemuDriver *drv = obj->driver;
        const VkDomainDef *def = obj->live ? obj->live : obj->def;

        if (strcmp(name, "SHUTDOWN") == 0) {
                bool guest =
                        data && json_object_get_boolean_member_with_default(data, "guest", false);
                const char *why =
                        data ? json_object_get_string_member_with_default(data, "reason", "unknown")
                             : "unknown";

                obj->guest_shutdown = true;
                driver_emit(drv, obj, "shutdown", guest ? "finished" : why);
                if (!guest || obj->destroying)
                        return;
                if (strcmp(why, "guest-reset") == 0) {
                        /* the guest rebooted under -no-reboot (on_reboot=destroy); with
                         * -no-shutdown (on_poweroff is not destroy) QEMU only stops, so end
                         * it here: its exit is "shutdown" */
                        if (def->on_poweroff != VK_LIFECYCLE_DESTROY)
                                (void) vk_qemu_process_terminate(p, false, DESTROY_KILL_GRACE_USEC);
                } else if (def->on_poweroff == VK_LIFECYCLE_RESTART) {
                        obj->guest_shutdown = false;
                        domain_restart_guest(obj);
                } else if (def->on_poweroff == VK_LIFECYCLE_PRESERVE) {
                        vk_domain_obj_set_state(obj, VK_DOMAIN_STATE_SHUTDOWN,
                                                VK_DOMAIN_REASON_SHUTDOWN);
                        driver_changed(drv, obj);
                }
        } else if (strcmp(name, "RESET") == 0) {
                driver_emit(drv, obj, "rebooted", "reset");
        } else if (strcmp(name, "STOP") == 0) {
                if (obj->state == VK_DOMAIN_STATE_RUNNING)
                        domain_set_run_state(drv, obj, VK_DOMAIN_STATE_PAUSED,
                                             obj->guest_shutdown ? VK_DOMAIN_REASON_SHUTDOWN
                                                                 : VK_DOMAIN_REASON_USER);
        } else if (strcmp(name, "RESUME") == 0) {
                domain_set_run_state(drv, obj, VK_DOMAIN_STATE_RUNNING, VK_DOMAIN_REASON_UNPAUSED);
        } else if (strcmp(name, "GUEST_PANICKED") == 0) {
                driver_emit(drv, obj, "crashed", "panicked");
                switch (def->on_crash) {
                case VK_LIFECYCLE_RESTART:
                case VK_LIFECYCLE_COREDUMP_RESTART:
                        domain_restart_guest(obj);
                        break;
                case VK_LIFECYCLE_PRESERVE:
                        vk_domain_obj_set_state(obj, VK_DOMAIN_STATE_CRASHED,
                                                VK_DOMAIN_REASON_CRASHED);
                        domain_write_status(obj);
                        driver_changed(drv, obj);
                        break;
                default:
                        obj->crashed = true;
                        (void) vk_qemu_process_terminate(p, false, DESTROY_KILL_GRACE_USEC);
                        break;
                }
        }
}

static void process_on_started(VkQemuProcess *p, const VkError *error, void *userdata) {
        VkDomainObj *obj = userdata;
        VkQemuDriver *drv = obj->driver;
        g_autoptr(VkDomainObj) ref = vk_domain_obj_ref(obj);
        VkQemuJob *job = obj->job;

        if (p->reconnected) {
                if (error) {
                        vk_log_debug("Domain '%s' ended while we reconnected: %s", obj->name,
                                     error->message);
                        domain_stopped(drv, obj, VK_DOMAIN_REASON_UNKNOWN, true);
                        return;
                }
                if (p->paused_at_start) {
                        vk_domain_obj_set_state(obj, VK_DOMAIN_STATE_PAUSED, VK_DOMAIN_REASON_USER);
                        driver_changed(drv, obj);
                }
                if (!p->qmp)
                        vk_log_debug("Domain '%s' runs, but its monitor does not answer",
                                     obj->name);
                domain_write_status(obj);
                return;
        }

        if (error) {
                domain_stopped(drv, obj, VK_DOMAIN_REASON_FAILED, false);
                if (job && !job->finished)
                        vk_qemu_job_fail(job, error->name, error->error,
                                         "Failed to start domain '%s': %s", obj->name,
                                         error->message);
                return;
        }

        if (p->paused)
                vk_domain_obj_set_state(obj, VK_DOMAIN_STATE_PAUSED, VK_DOMAIN_REASON_USER);
        else
                vk_domain_obj_set_state(obj, VK_DOMAIN_STATE_RUNNING, VK_DOMAIN_REASON_BOOTED);
        domain_write_status(obj);
        driver_emit(drv, obj, "started", "booted");
        if (p->paused)
                driver_emit(drv, obj, "suspended", "paused");
        if (job && !job->finished)
                vk_qemu_job_finish(job, obj->name, NULL);
}

static void process_on_exited(VkQemuProcess *p, void *userdata) {
        VkDomainObj *obj = userdata;
        VkDomainReason reason;

        if (obj->destroying)
                reason = VK_DOMAIN_REASON_DESTROYED;
        else if (obj->crashed)
                reason = VK_DOMAIN_REASON_CRASHED;
        else if (obj->guest_shutdown)
                reason = VK_DOMAIN_REASON_SHUTDOWN;
        else
                reason = VK_DOMAIN_REASON_CRASHED;
        domain_stopped(obj->driver, obj, reason, true);
}

static const VkQemuProcessCallbacks driver_process_callbacks = {
        .started = process_on_started,
        .event = process_on_event,
        .exited = process_on_exited,
};

/* ---- jobs ---- */

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
                driver_changed(reply->drv, obj);
        } else if (!vk_domain_obj_is_active(obj) && !obj->persistent && obj->list &&
                   g_queue_is_empty(&obj->waiting)) {
                vk_domain_list_remove(reply->drv->domains, obj); /* stopped during the job */
                driver_changed(reply->drv, obj);
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
        bool has_key;
        uint8_t master_key[VK_QEMU_MASTER_KEY_SIZE];
} StartData;

static void start_data_free(StartData *sd) {
        if (!sd)
                return;
        vk_qemu_secrets_free(sd->secrets);
        vk_domain_def_free(sd->live);
        if (sd->caps)
                vk_qemu_caps_unref(sd->caps);
        explicit_bzero(sd->master_key, sizeof(sd->master_key));
        g_free(sd);
}

static VkDomainDef *driver_copy_def(const VkDomainDef *def, VkError *reterr) {
        g_autofree char *xml = NULL;
        VkDomainDef *copy = NULL;

        if (vk_domain_def_format(def, VK_DOMAIN_DEF_FORMAT_SECURE, &xml, reterr) < 0)
                return NULL;
        if (vk_domain_def_parse_string(xml, /* flags= */ 0, &copy, reterr) < 0)
                return NULL;
        return copy;
}

/* Exec QEMU for sd->live, with the secrets (if any) secretd encrypted for it. */
static void start_spawn(VkQemuDriver *drv, VkQemuJob *job) {
        VkDomainObj *obj = job->obj;
        StartData *sd = job->data;
        g_auto(VkError) err = VK_ERROR_INIT;
        g_autoptr(VkDomainDef) live = g_steal_pointer(&sd->live);
        VkQemuProcessOptions opts = {};
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
        if (sd->secrets) {
                opts.master_key = sd->master_key;
                opts.secrets = vk_qemu_secrets_get(sd->secrets, &opts.n_secrets);
        }
        r = vk_qemu_process_start(drv->event, live, &opts, &driver_process_callbacks, obj,
                                  &obj->process, &err);
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
        driver_changed(drv, obj);
        driver_busy_changed(drv);
}

static void start_on_secrets(VkQemuSecrets *secrets, const VkError *error, void *userdata) {
        g_autoptr(VkQemuJob) job = vk_qemu_job_ref(userdata);
        VkDomainObj *obj = job->obj;
        VkQemuDriver *drv = obj->driver;

        if (job->finished || drv->freeing)
                return;
        if (error) {
                vk_qemu_job_fail(job, error->name, error->error, "Failed to start domain '%s': %s",
                                 obj->name, error->message);
                return;
        }
        if (vk_domain_obj_is_active(obj)) {
                vk_qemu_job_fail(job, VK_ERROR_OPERATION_INVALID, -EBUSY,
                                 "domain '%s' is already running", obj->name);
                return;
        }
        start_spawn(drv, job);
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
        if (vk_domain_obj_is_active(obj)) {
                vk_qemu_job_fail(job, VK_ERROR_OPERATION_INVALID, -EBUSY,
                                 "domain '%s' is already running", obj->name);
                return;
        }
        sd->live = driver_copy_def(obj->def, &err);
        if (!sd->live) {
                vk_qemu_job_finish(job, NULL, &err);
                return;
        }
        sd->caps = vk_qemu_caps_ref(caps);
        if (vk_qemu_secrets_count_disks(sd->live) == 0) {
                start_spawn(drv, job);
                return;
        }
        r = start_fetch_secrets(drv, job, &err);
        if (r < 0)
                vk_qemu_job_fail(job, err.name, r, "Failed to start domain '%s': %s", obj->name,
                                 err.message);
}

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
                                    : driver_default_binary(drv, NULL);
        r = driver_get_caps(drv, binary, start_on_caps, vk_qemu_job_ref(job), &err);
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
        VkDomainObj *obj;
        StartData *sd;
        int r;

        r = vk_domain_list_lookup(drv->domains, domain, &obj, reterr);
        if (r < 0)
                return r;
        if (vk_domain_obj_is_active(obj) && !obj->job)
                return vk_error_set(reterr, VK_ERROR_OPERATION_INVALID, -EBUSY,
                                    "domain '%s' is already running", obj->name);
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
        VkDomainObj *obj;
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
        VkDomainObj *obj;
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
        VkDomainObj *obj;
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
        [VK_QEMU_OP_RESUME] = "resume",
};

static const char *const domain_op_commands[_VK_QEMU_OP_MAX] = {
        [VK_QEMU_OP_SHUTDOWN] = "system_powerdown",
        [VK_QEMU_OP_REBOOT] = "system_reset",
        [VK_QEMU_OP_RESET] = "system_reset",
        [VK_QEMU_OP_SUSPEND] = "stop",
        [VK_QEMU_OP_RESUME] = "cont",
};

typedef struct OpData {
        VkQemuDomainOp op;
} OpData;

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
                domain_set_run_state(obj->driver, obj, VK_DOMAIN_STATE_PAUSED,
                                     VK_DOMAIN_REASON_USER);
        else if (od->op == VK_QEMU_OP_RESUME)
                domain_set_run_state(obj->driver, obj, VK_DOMAIN_STATE_RUNNING,
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
                /* -no-reboot: the reset ends QEMU, as a guest reboot would */
                obj->guest_shutdown = true;
        }
        r = vk_qmp_execute(obj->process->qmp, domain_op_commands[od->op], NULL, op_on_reply,
                           vk_qemu_job_ref(job), NULL, &err);
        if (r < 0) {
                vk_qemu_job_unref(job);
                vk_qemu_job_finish(job, NULL, &err);
        }
}

/* Run the QMP operation @op on the running @domain, as a job. @done runs after QEMU answered. */
int vk_qemu_driver_domain_op(VkQemuDriver *drv, const char *domain, VkQemuDomainOp op,
                             VkQemuDriverDoneFunc done, void *userdata, VkError *reterr) {
        VkDomainObj *obj;
        OpData *od;
        int r;

        assert(op >= 0 && op < _VK_QEMU_OP_MAX);
        r = driver_lookup_active(drv, domain, &obj, reterr);
        if (r < 0)
                return r;
        od = g_new0(OpData, 1);
        od->op = op;
        return driver_submit(drv, obj, domain_op_names[op], QMP_JOB_TIMEOUT_USEC, op_run, od,
                             g_free, false, done, userdata, reterr);
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
        VkDomainObj *obj;
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

/* ---- the driver ---- */

static void driver_reconnect_all(VkQemuDriver *drv) {
        g_autoptr(GDir) dir = g_dir_open(drv->paths->run_dir, 0, NULL);
        const char *entry;

        while (dir && (entry = g_dir_read_name(dir))) {
                g_auto(VkError) err = VK_ERROR_INIT;
                g_autofree char *path = NULL;
                g_autoptr(VkDomainDef) live = NULL;
                g_autoptr(VkQemuProcess) p = NULL;
                VkDomainObj *obj;

                if (!g_str_has_suffix(entry, ".json"))
                        continue;
                path = g_build_filename(drv->paths->run_dir, entry, NULL);
                if (vk_qemu_process_reconnect(drv->event, path, drv->security,
                                              &driver_process_callbacks, NULL, &p, &live,
                                              &err) < 0) {
                        vk_log_debug("Cleaning up after a domain that is gone: %s", err.message);
                        p = vk_qemu_process_free(p);
                        vk_qemu_process_cleanup_status(drv->event, path, drv->security);
                        continue;
                }
                obj = vk_domain_list_find_by_uuid(drv->domains, &live->uuid);
                if (obj && (strcmp(obj->name, live->name) != 0 || vk_domain_obj_is_active(obj)))
                        obj = NULL; /* renamed or taken meanwhile: keep it transient */
                if (!obj) {
                        g_autoptr(VkDomainDef) def = driver_copy_def(live, &err);

                        if (!def ||
                            vk_domain_list_add_transient(drv->domains, def, &obj, &err) < 0) {
                                vk_log_debug("Cannot adopt QEMU of '%s': %s", live->name,
                                             err.message);
                                continue; /* leave it alone: we cannot manage it */
                        }
                        g_steal_pointer(&def);
                }
                obj->driver = drv;
                if (vk_domain_list_set_id(drv->domains, obj, live->id) < 0)
                        continue;
                p->userdata = obj;
                obj->process = g_steal_pointer(&p);
                obj->live = g_steal_pointer(&live);
                vk_domain_obj_set_state(obj, VK_DOMAIN_STATE_RUNNING, VK_DOMAIN_REASON_BOOTED);
                vk_log_debug("Reconnecting to domain '%s' (pid %d)", obj->name,
                             (int) obj->process->pid);
        }
}

static void driver_autostart(VkQemuDriver *drv) {
        g_autofree char *marker = g_build_filename(drv->paths->run_dir, "autostarted", NULL);
        g_autoptr(GPtrArray) all = NULL;

        /* once per boot of the host: the run dir is on a tmpfs */
        if (access(marker, F_OK) == 0)
                return;
        (void) vk_atomic_file_write(marker, "", 0, 0644, NULL);
        all = vk_domain_list_get_all(drv->domains);
        for (guint i = 0; i < all->len; i++) {
                VkDomainObj *obj = all->pdata[i];
                g_auto(VkError) err = VK_ERROR_INIT;

                if (!obj->autostart || vk_domain_obj_is_active(obj))
                        continue;
                if (vk_qemu_driver_start(drv, obj->name, false, NULL, NULL, &err) < 0)
                        vk_log_debug("Cannot autostart domain '%s': %s", obj->name, err.message);
        }
}

/*
 * The security stack of the instance: qemu.conf's user/group, dynamic_ownership and
 * security_driver apply when we run as root outside a session instance (system, or an
 * embedded instance started by root); otherwise QEMU runs as we do and no file changes owner.
 */
static int driver_security_new(VkQemuDriver *drv, VkError *reterr) {
        bool privileged = drv->kind != VK_INSTANCE_SESSION && geteuid() == 0;

        /* and each QEMU gets a cgroup with its device ACL (a machine scope under systemd) */
        if (privileged)
                drv->machine_prefix = vk_qemu_cgroup_machine_prefix(drv->paths->root);
        return vk_security_manager_new(drv->cfg, privileged, NULL, &drv->security, reterr);
}

/*
 * Create the driver of an instance of @kind whose files live in @paths (borrowed; must
 * outlive the driver): read qemu.conf, load the persistent domains, reconnect to every QEMU
 * a status file names (cleaning up after dead ones), autostart once per boot. Must run on
 * @event's loop with SIGCHLD blocked.
 */
int vk_qemu_driver_new(sd_event *event, const VkPaths *paths, VkInstanceKind kind,
                       VkQemuDriver **ret, VkError *reterr) {
        g_autoptr(VkQemuDriver) drv = g_new0(VkQemuDriver, 1);
        g_autoptr(GPtrArray) all = NULL;
        int r;

        drv->event = sd_event_ref(event);
        drv->paths = (VkPaths *) paths;
        drv->kind = kind;
        drv->caps = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, caps_unref_notify);
        drv->probes = g_hash_table_new(g_str_hash, g_str_equal);
        drv->waiters = g_hash_table_new(g_direct_hash, g_direct_equal);

        r = vk_qemu_config_load(paths->config_file, kind, &drv->cfg, reterr);
        if (r < 0)
                return r;
        r = driver_security_new(drv, reterr);
        if (r < 0)
                return r;
        r = vk_domain_list_new(paths->config_dir, &drv->domains, reterr);
        if (r < 0)
                return r;
        r = vk_domain_list_load(drv->domains, reterr);
        if (r < 0)
                return r;
        all = vk_domain_list_get_all(drv->domains);
        for (guint i = 0; i < all->len; i++)
                ((VkDomainObj *) all->pdata[i])->driver = drv;

        r = vk_mkdir_p(paths->log_dir, 0700);
        if (r < 0)
                return vk_error_set_errno(reterr, r, "Failed to create '%s'", paths->log_dir);
        driver_reconnect_all(drv);
        driver_autostart(drv);

        *ret = g_steal_pointer(&drv);
        return 0;
}

/* @cb->event gets lifecycle events, @cb->busy_changed is called when busy() may change. */
void vk_qemu_driver_set_callbacks(VkQemuDriver *drv, const VkQemuDriverCallbacks *cb,
                                  void *userdata) {
        drv->cb = cb ? *cb : (VkQemuDriverCallbacks){};
        drv->userdata = userdata;
}

/* True while a domain runs or starts: the daemon must not exit when idle then. */
bool vk_qemu_driver_is_busy(VkQemuDriver *drv) {
        return vk_domain_list_count_active(drv->domains) > 0;
}

/*
 * True while a QEMU adopted at start (vk_qemu_driver_new() reconnects to the VMs of the run
 * dir) has not yet told its state over QMP: until then a paused VM would be reported running.
 * An embedded driver, asked at once, runs its loop until this is false.
 */
bool vk_qemu_driver_is_reconnecting(VkQemuDriver *drv) {
        g_autoptr(GPtrArray) all = NULL;

        if (vk_qemu_driver_list(drv, VK_QEMU_LIST_ACTIVE, &all) < 0)
                return false;
        for (guint i = 0; i < all->len; i++) {
                VkQemuProcess *p = ((VkDomainObj *) all->pdata[i])->process;

                /* started is set just before the deferred callback that sets the state runs */
                if (p && p->reconnected && !p->exited && (!p->started || p->defer))
                        return true;
        }
        return false;
}

/*
 * Run the loop (bounded by @timeout_usec) until every QEMU adopted at start told its state:
 * a daemon must not answer its first client (often the one that activated it) before.
 */
void vk_qemu_driver_settle(VkQemuDriver *drv, uint64_t timeout_usec) {
        gint64 deadline = g_get_monotonic_time() + (gint64) timeout_usec;

        while (vk_qemu_driver_is_reconnecting(drv))
                if (g_get_monotonic_time() >= deadline || sd_event_run(drv->event, 100000) < 0)
                        break;
}

/*
 * Free the driver (NULL is fine). Running QEMUs are left alone: a restarted daemon
 * reconnects to them. Pending operations are dropped without callbacks.
 */
VkQemuDriver *vk_qemu_driver_free(VkQemuDriver *drv) {
        GHashTableIter it;
        gpointer v;

        if (!drv)
                return NULL;
        drv->freeing = true;
        if (drv->domains) {
                g_autoptr(GPtrArray) all = vk_domain_list_get_all(drv->domains);

                for (guint i = 0; i < all->len; i++) {
                        VkDomainObj *obj = all->pdata[i];

                        vk_qemu_job_cancel_all(obj);
                        obj->process = vk_qemu_process_free(obj->process);
                }
                drv->domains = vk_domain_list_free(drv->domains);
        }
        g_hash_table_iter_init(&it, drv->probes);
        while (g_hash_table_iter_next(&it, NULL, &v)) {
                CapsProbe *cp = v;
                g_ptr_array_set_free_func(cp->waiters, (GDestroyNotify) caps_waiter_free);
                caps_probe_free(cp);
        }
        g_hash_table_unref(drv->probes);
        g_hash_table_iter_init(&it, drv->waiters);
        while (g_hash_table_iter_next(&it, &v, NULL))
                caps_waiter_free(v);
        g_hash_table_unref(drv->waiters);
        g_hash_table_unref(drv->caps);
        vk_security_manager_unref(drv->security);
        g_free(drv->machine_prefix);
        /* the system bus connection VM scopes were asked for on (attached to our loop) */
        vk_scope_bus_release();
        vk_qemu_config_free(drv->cfg);
        sd_event_unref(drv->event);
        g_free(drv);
        return NULL;
}
