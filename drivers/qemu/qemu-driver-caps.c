/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * qemu-driver-caps.c: the capabilities of each emulator (in memory, in the cache dir, or from
 * one probe shared by every caller), and the calls that answer with them: <capabilities>,
 * <domainCapabilities>, DomainXMLToNative.
 */
#include <errno.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "log.h"
#include "qemu-argv.h"
#include "qemu-caps-xml.h"
#include "qemu-driver-internal.h"
#include "qemu-firmware.h"
#include "qemu-smbios.h"
#include "sd-glue.h"

#define NATIVE_TAP_FD_FIRST 25

/* One caller waiting for the capabilities of a binary. */
typedef struct CapsWaiter {
        VkQemuDriver *drv;
        QemuDriverCapsFunc fn;
        void *userdata;
        VkQemuCaps *caps; /* known already: delivered from a defer source */
        VkError error;    /* or why they cannot be had (qemu_driver_get_caps_or_none()) */
        sd_event_source *defer;
} CapsWaiter;

/* One probe in flight per binary; every caller asking meanwhile shares it. */
typedef struct CapsProbe {
        VkQemuDriver *drv;
        char *binary;
        VkQemuCapsProbe *probe;
        GPtrArray *waiters; /* CapsWaiter */
} CapsProbe;

static const char *driver_host_arch(void) {
        static struct utsname u;

        if (!u.machine[0] && uname(&u) < 0)
                return "x86_64";
        return u.machine;
}

/* The emulator used when a definition names none: qemu.conf's first, else the host's. */
char *qemu_driver_default_binary(VkQemuDriver *drv, const char *arch) {
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
        vk_error_done(&w->error);
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
        w->fn(drv, w->caps, w->caps ? NULL : &w->error, w->userdata);
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

/* Deliver @w (its caps, or its error) from a defer source of the loop. */
static int caps_waiter_queue(VkQemuDriver *drv, CapsWaiter *w, VkError *reterr) {
        int r = sd_event_add_defer(drv->event, &w->defer, caps_waiter_on_defer, w);

        if (r < 0) {
                caps_waiter_free(w);
                return vk_error_set_errno(reterr, r, "Failed to queue a reply");
        }
        g_hash_table_add(drv->waiters, w);
        return 0;
}

/* Whether @binary can be probed at all; its cached capabilities (or NULL) go to *@ret_loaded. */
static int caps_check_binary(VkQemuDriver *drv, const char *binary, VkQemuCaps **ret_loaded,
                             VkError *reterr) {
        int r;

        *ret_loaded = NULL;
        if (!g_path_is_absolute(binary))
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "emulator '%s' must be an absolute path", binary);
        r = vk_qemu_caps_load_cache(drv->paths->cache_dir, binary, VK_QEMU_CAPS_CACHE_CHECK_KVM,
                                    ret_loaded, NULL);
        if (r < 0)
                return vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, r,
                                    "cannot use emulator '%s': %s", binary, g_strerror(-r));
        return 0;
}

static int caps_get(VkQemuDriver *drv, const char *binary, bool defer_errors, QemuDriverCapsFunc fn,
                    void *userdata, VkError *reterr) {
        g_autoptr(VkQemuCaps) loaded = NULL;
        CapsWaiter *w;
        CapsProbe *cp;
        VkQemuCaps *caps;
        int r;

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
                r = caps_check_binary(drv, binary, &loaded, defer_errors ? &w->error : reterr);
                if (r < 0 && !defer_errors) {
                        g_free(w);
                        return r;
                }
                if (r < 0)
                        return caps_waiter_queue(drv, w, reterr);
                if (loaded) {
                        caps = loaded;
                        g_hash_table_replace(drv->caps, g_strdup(binary), vk_qemu_caps_ref(loaded));
                }
        }
        if (caps) {
                w->caps = vk_qemu_caps_ref(caps);
                return caps_waiter_queue(drv, w, reterr);
        }

        cp = g_new0(CapsProbe, 1);
        cp->drv = drv;
        cp->binary = g_strdup(binary);
        cp->waiters = g_ptr_array_new();
        r = vk_qemu_caps_probe_async(drv->event, binary, drv->paths->cache_dir, caps_on_probed, cp,
                                     &cp->probe, defer_errors ? &w->error : reterr);
        if (r < 0) {
                caps_probe_free(cp);
                if (defer_errors)
                        return caps_waiter_queue(drv, w, reterr);
                g_free(w);
                return r;
        }
        g_ptr_array_add(cp->waiters, w);
        g_hash_table_insert(drv->probes, cp->binary, cp);
        return 0;
}

/*
 * Get the capabilities of @binary for @fn: from memory, from the cache dir, or from one
 * probe shared by every caller. @fn always runs from the loop; when the emulator cannot be
 * asked at all (not an absolute path, no such file) the error is returned instead.
 */
int qemu_driver_get_caps(VkQemuDriver *drv, const char *binary, QemuDriverCapsFunc fn,
                         void *userdata, VkError *reterr) {
        return caps_get(drv, binary, /* defer_errors= */ false, fn, userdata, reterr);
}

/*
 * As qemu_driver_get_caps(), but every failure to get them reaches @fn (NULL caps and the
 * error), from the loop, for a caller that goes on without them. < 0 only when nothing could
 * be queued.
 */
int qemu_driver_get_caps_or_none(VkQemuDriver *drv, const char *binary, QemuDriverCapsFunc fn,
                                 void *userdata, VkError *reterr) {
        return caps_get(drv, binary, /* defer_errors= */ true, fn, userdata, reterr);
}

/*
 * Pin the machine of @def to the versioned one @caps names for it ("q35" becomes
 * "pc-q35-7.2", no machine the emulator's default), as libvirt does at define: what the guest
 * sees stays the same when QEMU is upgraded. An unknown machine is left for the start to
 * refuse. Returns 1 when @def changed, else 0.
 */
int qemu_driver_pin_machine(VkDomainDef *def, const VkQemuCaps *caps) {
        const char *canonical;

        canonical = vk_qemu_caps_canonical_machine(caps, def->machine ? def->machine : "pc");
        if (!canonical || g_strcmp0(canonical, def->machine) == 0)
                return 0;
        g_free(def->machine);
        def->machine = g_strdup(canonical);
        return 1;
}

/*
 * A pending string answer (GetCapabilities, GetDomainCapabilities, DomainXMLToNative): once the
 * emulator's capabilities are known, @format makes the string from them and the call's own
 * arguments, and @done gets it (or the error).
 */
typedef struct StringOp StringOp;
typedef int (*StringOpFormat)(VkQemuDriver *drv, VkQemuCaps *caps, StringOp *op, char **ret,
                              VkError *reterr);

struct StringOp {
        StringOpFormat format;
        VkQemuDriverDoneFunc done;
        void *userdata;
        char *machine;
        char *virttype;
        VkDomainDef *def;
};

static void string_op_free(StringOp *op) {
        g_free(op->machine);
        g_free(op->virttype);
        vk_domain_def_free(op->def);
        g_free(op);
}

static void string_op_on_caps(VkQemuDriver *drv, VkQemuCaps *caps, const VkError *error,
                              void *userdata) {
        StringOp *op = userdata;
        g_auto(VkError) err = VK_ERROR_INIT;
        g_autofree char *text = NULL;

        if (!caps)
                op->done(drv, NULL, error, op->userdata);
        else if (op->format(drv, caps, op, &text, &err) < 0)
                op->done(drv, NULL, &err, op->userdata);
        else
                op->done(drv, text, NULL, op->userdata);
        string_op_free(op);
}

/* Ask for @binary's capabilities on behalf of @op, which is freed on failure. */
static int string_op_submit(VkQemuDriver *drv, const char *binary, StringOp *op, VkError *reterr) {
        int r = qemu_driver_get_caps(drv, binary, string_op_on_caps, op, reterr);

        if (r < 0)
                string_op_free(op);
        return r;
}

static StringOp *string_op_new(StringOpFormat format, VkQemuDriverDoneFunc done, void *userdata) {
        StringOp *op = g_new0(StringOp, 1);
        op->format = format;
        op->done = done;
        op->userdata = userdata;
        return op;
}

static int format_capabilities(VkQemuDriver *drv, VkQemuCaps *caps, StringOp *op, char **ret,
                               VkError *reterr) {
        VkQemuHostInfo host = { .arch = driver_host_arch() };
        VkQemuSecModel secmodels[3];
        /* the security stack's <secmodel>s, in its order (MAC, then DAC), led by libvirt's
         * "none" model when the stack has no MAC driver */
        size_t n_secmodels =
                drv->security ? vk_qemu_security_secmodels(drv->security, secmodels) : 0;

        return vk_qemu_caps_format_capabilities_xml(&host, &caps, 1, secmodels, n_secmodels, ret,
                                                    reterr);
}

/*
 * The host's <capabilities> XML, from the capabilities of the default emulator (probed on
 * first use, then cached). @done gets the XML.
 */
int vk_qemu_driver_get_capabilities(VkQemuDriver *drv, VkQemuDriverDoneFunc done, void *userdata,
                                    VkError *reterr) {
        g_autofree char *binary = qemu_driver_default_binary(drv, NULL);

        return string_op_submit(drv, binary, string_op_new(format_capabilities, done, userdata),
                                reterr);
}

static int format_domain_capabilities(VkQemuDriver *drv, VkQemuCaps *caps, StringOp *op, char **ret,
                                      VkError *reterr) {
        return vk_qemu_caps_format_domain_capabilities_xml(caps, op->machine, op->virttype, ret,
                                                           reterr);
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

        if (arch && (strchr(arch, '/') || strlen(arch) > 32))
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "arch: invalid value '%s'", arch);
        binary = emulator ? g_strdup(emulator) : qemu_driver_default_binary(drv, arch);
        op = string_op_new(format_domain_capabilities, done, userdata);
        op->machine = g_strdup(machine);
        op->virttype = g_strdup(virttype);
        return string_op_submit(drv, binary, op, reterr);
}

/*
 * The firmware a fresh start of @def gets (caps/qemu-firmware.c), written into @def: from the
 * descriptors of QEMU, the host and (an unprivileged instance) the user, as libvirt reads them.
 */
int qemu_driver_fill_firmware(VkQemuDriver *drv, VkDomainDef *def, const VkQemuCaps *caps,
                              VkError *reterr) {
        bool privileged = drv->kind == VK_INSTANCE_SYSTEM ||
                          (drv->kind == VK_INSTANCE_EMBEDDED && geteuid() == 0);
        g_auto(GStrv) dirs = vk_qemu_firmware_dirs(privileged, g_get_user_config_dir());
        g_autofree char *nvram_dir = g_build_filename(drv->paths->lib_dir, "nvram", NULL);
        g_autofree char *chosen = NULL;
        const char *machine;
        int r;

        machine = vk_qemu_caps_canonical_machine(caps, def->machine ? def->machine : "pc");
        if (!machine)
                return 0; /* the command line names the unknown machine type */
        r = vk_qemu_firmware_fill(def, machine, (const char *const *) dirs, nvram_dir, &chosen,
                                  reterr);
        if (r >= 0 && chosen)
                vk_log_debug("domain '%s': firmware from '%s'", def->name, chosen);
        return r;
}

static int format_native(VkQemuDriver *drv, VkQemuCaps *caps, StringOp *op, char **ret,
                         VkError *reterr) {
        g_autoptr(VkQemuCommand) cmd = NULL;
        g_autofree char *dir = NULL;
        g_autofree int *tap_fds = g_new0(int, op->def->n_nets + 1);
        VkQemuArgvOptions opts = {};
        g_auto(VkDomainSysinfo) host_smbios = {};
        int r;

        (void) qemu_driver_pin_machine(op->def, caps);
        r = qemu_driver_fill_firmware(drv, op->def, caps, reterr);
        if (r < 0)
                return r;
        dir = vk_qemu_process_private_dir(drv->paths->run_dir, op->def->id, op->def->name);
        opts.private_dir = dir;
        /* no tap is made for an export: the fd numbers libvirt's export shows (25, 26, ...) */
        for (size_t i = 0; i < op->def->n_nets; i++)
                if (op->def->nets[i]->type != VK_NET_TYPE_USER) {
                        tap_fds[opts.n_tap_fds] = NATIVE_TAP_FD_FIRST + (int) opts.n_tap_fds;
                        opts.n_tap_fds++;
                }
        opts.tap_fds = tap_fds;
        /* nothing is allocated for an export: libvirt's placeholders for autoport */
        opts.vnc_port = VK_QEMU_NATIVE_VNC_PORT;
        opts.vnc_websocket_port = VK_QEMU_NATIVE_VNC_WEBSOCKET_PORT;
        opts.spice_port = VK_QEMU_NATIVE_SPICE_PORT;
        /* no /dev/vhost-vsock is opened for an export: libvirt shows -1 */
        opts.has_vsock_fd = true;
        opts.vsock_fd = -1;
        opts.vsock_cid = 3;
        if (op->def->smbios_mode == VK_SMBIOS_MODE_HOST) {
                vk_qemu_host_sysinfo_read(VK_QEMU_DMI_DIR, &host_smbios);
                opts.host_sysinfo = &host_smbios;
        }
        r = vk_qemu_build_command(op->def, caps, drv->cfg, &opts, &cmd, reterr);
        if (r < 0)
                return r;
        *ret = vk_qemu_command_to_native(cmd);
        return 0;
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
        binary = def->emulator ? g_strdup(def->emulator) : qemu_driver_default_binary(drv, NULL);
        op = string_op_new(format_native, done, userdata);
        op->def = g_steal_pointer(&def);
        return string_op_submit(drv, binary, op, reterr);
}

/* DomainXMLFromNative: always an error (NotSupported); the conversion was removed. */
int vk_qemu_driver_xml_from_native(VkQemuDriver *drv, const char *format, const char *native,
                                   VkError *reterr) {
        if (strcmp(format, "qemu-argv") != 0)
                return vk_error_set(reterr, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                    "format: unsupported value '%s' (only 'qemu-argv')", format);
        return vk_qemu_command_from_native(native, reterr);
}

/* The driver's tables of capabilities, probes and waiters. */
void qemu_driver_caps_init(VkQemuDriver *drv) {
        drv->caps = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, caps_unref_notify);
        drv->probes = g_hash_table_new(g_str_hash, g_str_equal);
        drv->waiters = g_hash_table_new(g_direct_hash, g_direct_equal);
}

/* Drop every probe and waiting caller without calling back, and the cached capabilities. */
void qemu_driver_caps_done(VkQemuDriver *drv) {
        GHashTableIter it;
        gpointer v;

        if (drv->probes) {
                g_hash_table_iter_init(&it, drv->probes);
                while (g_hash_table_iter_next(&it, NULL, &v)) {
                        CapsProbe *cp = v;
                        g_ptr_array_set_free_func(cp->waiters, (GDestroyNotify) caps_waiter_free);
                        caps_probe_free(cp);
                }
                g_clear_pointer(&drv->probes, g_hash_table_unref);
        }
        if (drv->waiters) {
                g_hash_table_iter_init(&it, drv->waiters);
                while (g_hash_table_iter_next(&it, &v, NULL))
                        caps_waiter_free(v);
                g_clear_pointer(&drv->waiters, g_hash_table_unref);
        }
        g_clear_pointer(&drv->caps, g_hash_table_unref);
}
