/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-argv.c: build QEMU's command line (argv, environment) from a domain definition */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "json.h"
#include "macro.h"
#include "qemu-argv-internal.h"
#include "qemu-caps-hostcpu.h"

/*
 * The order of the command line, always the same so goldens diff well:
 *
 *   -name [-compat] -S -object masterKey0 [pflash -blockdev] -machine -accel -cpu [-bios] -m
 * -object pc.ram -overcommit -smp -uuid [-display none] -no-user-config -nodefaults -chardev
 * charmonitor -mon -rtc
 *   [-global kvm-pit] [-no-hpet] -no-shutdown [-no-acpi] [-global PM] -boot
 *   [-kernel -initrd -append]
 *   controllers, disks, interfaces, character devices, inputs, -audiodev, graphics, video,
 *   sound, watchdog, redirdev, balloon, rng, tpm, vmgenid, qemu:commandline, -sandbox -msg
 *
 * Frontends use -device JSON, backends -blockdev/-object/-netdev JSON where QEMU 7.2 takes
 * it; -chardev, -vnc, -spice, -tpmdev keep the key=value syntax (no JSON form in 7.2).
 */

/* ---- qemu:capabilities ---- */

static int argv_apply_custom_caps(ArgvBuilder *b) {
        const VkQemuNamespace *ns = &b->def->qemu;

        for (int f = 0; f < _VK_QEMU_CAPS_FLAG_MAX; f++)
                b->flags[f] = vk_qemu_caps_has(b->caps, f);

        /* Adding a capability virtkit does not know would silently do nothing: refuse it.
         * Deleting one it does not know is a no-op virtkit honours by never using it. */
        for (size_t i = 0; ns->caps_add && ns->caps_add[i]; i++) {
                VkQemuCapsFlag f = vk_qemu_caps_flag_from_string(ns->caps_add[i]);

                if (f < 0)
                        return argv_error(b, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                          "qemu:capabilities: capability '%s' cannot be added: "
                                          "virtkit does not know it",
                                          ns->caps_add[i]);
                b->flags[f] = true;
        }
        for (size_t i = 0; ns->caps_del && ns->caps_del[i]; i++) {
                VkQemuCapsFlag f = vk_qemu_caps_flag_from_string(ns->caps_del[i]);

                if (f >= 0)
                        b->flags[f] = false;
        }

        if (!argv_has(b, VK_QEMU_CAPS_BLOCKDEV) || !argv_has(b, VK_QEMU_CAPS_DEVICE_JSON))
                return argv_error(b, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                  "%s lacks capability '%s': virtkit needs -blockdev and "
                                  "JSON -device (QEMU >= 7.0)",
                                  vk_strempty(vk_qemu_caps_get_binary(b->caps)),
                                  argv_has(b, VK_QEMU_CAPS_BLOCKDEV) ? "device.json" : "blockdev");
        return 0;
}

/* ---- machine, accelerator, cpu, memory ---- */

static int argv_build_machine(ArgvBuilder *b, bool pflash) {
        const VkDomainDef *def = b->def;
        g_autoptr(GString) m = g_string_new(NULL);
        const char *canonical;

        canonical = vk_qemu_caps_canonical_machine(b->caps, def->machine ? def->machine : "pc");
        if (!canonical)
                return argv_error(b, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                  "machine type '%s' is not supported by %s",
                                  vk_strempty(def->machine),
                                  vk_strempty(vk_qemu_caps_get_binary(b->caps)));

        g_string_append_printf(m, "%s,usb=off", canonical);
        if (def->features[VK_FEATURE_VMPORT] != VK_TRISTATE_ABSENT)
                g_string_append_printf(
                        m, ",vmport=%s",
                        vk_tristate_switch_to_string(def->features[VK_FEATURE_VMPORT]));
        argv_machine_smm(b, m);
        g_string_append(m, ",dump-guest-core=off");
        if (def->memory_backing.nosharepages)
                g_string_append(m, ",mem-merge=off");
        /* guest RAM is an object of its own, named as QEMU's built-in block (pc.ram), so the
         * migration stream is the same as without one; NUMA cells have one each instead */
        if (def->cpu.n_numa_cells == 0)
                g_string_append(m, ",memory-backend=" ARGV_RAM_ID);
        if (pflash)
                argv_machine_pflash(b, m);
        argv_add_pair(b, "-machine", m->str);

        switch (def->virt_type) {
        case VK_DOMAIN_VIRT_KVM: {
                g_autoptr(GString) accel = g_string_new("kvm");

                argv_accel_tune(b, accel);
                argv_add_pair(b, "-accel", accel->str);
                return 0;
        }
        case VK_DOMAIN_VIRT_QEMU:
                argv_add_pair(b, "-accel", "tcg");
                return 0;
        default:
                return argv_error(b, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                  "domain type '%s' is not supported by %s: it has the kvm "
                                  "and tcg accelerators only (use type='kvm' or type='qemu')",
                                  vk_strempty(vk_domain_virt_to_string(def->virt_type)),
                                  vk_strempty(vk_qemu_caps_get_binary(b->caps)));
        }
}

static bool argv_cpu_model_known(const ArgvBuilder *b, const char *model) {
        const VkQemuCpuModel *models;
        size_t n;

        models = vk_qemu_caps_get_cpu_models(b->caps, &n);
        for (size_t i = 0; i < n; i++)
                if (strcmp(models[i].name, model) == 0)
                        return true;
        return n == 0; /* caps without a CPU list cannot judge */
}

/* The Hyper-V enlightenments turned on, as libvirt 9.0 writes them (off ones are left out) */
static void argv_cpu_hyperv(const VkDomainHyperv *hv, GString *s) {
        if (!hv->present)
                return;
        if (hv->mode == VK_HYPERV_MODE_PASSTHROUGH) {
                g_string_append(s, ",hv-passthrough=on");
                return;
        }
        for (int f = 0; f < _VK_HYPERV_FEATURE_MAX; f++) {
                g_autofree char *name = NULL;

                if (hv->features[f] != VK_TRISTATE_YES)
                        continue;
                name = g_strdelimit(g_strdup(vk_hyperv_feature_to_string(f)), "_", '-');
                if (f == VK_HYPERV_SPINLOCKS)
                        g_string_append_printf(s, ",hv-spinlocks=0x%x", hv->spinlocks);
                else if (f == VK_HYPERV_VENDOR_ID)
                        g_string_append_printf(s, ",hv-vendor-id=%s", hv->vendor_id);
                else
                        g_string_append_printf(s, ",hv-%s=on", name);
                if (f == VK_HYPERV_STIMER && hv->stimer_direct == VK_TRISTATE_YES)
                        g_string_append(s, ",hv-stimer-direct=on");
        }
}

/* ",feat=on|off" for each feature, in QEMU's spelling */
static void argv_cpu_features(GString *s, const VkCpuFeature *features, size_t n) {
        for (size_t i = 0; i < n; i++) {
                bool on = features[i].policy != VK_CPU_FEATURE_DISABLE &&
                          features[i].policy != VK_CPU_FEATURE_FORBID;

                g_string_append_printf(s, ",%s=%s", vk_cpu_feature_to_qemu(features[i].name),
                                       on ? "on" : "off");
        }
}

/*
 * host-model: the named model closest to the host with the features to add and remove, as
 * libvirt writes it (the caps computed it when they were probed); without that (the caps
 * were probed under the other accelerator) QEMU's own "host" or "max".
 */
static void argv_cpu_host_model(ArgvBuilder *b, GString *s, bool kvm) {
        const VkDomainCpu *cpu = &b->def->cpu;
        const VkQemuHostCpu *hc = vk_qemu_caps_get_host_cpu(b->caps, kvm);
        VkCpuFeature *features = NULL;
        size_t n = 0;

        if (!hc || vk_qemu_caps_host_model_features(b->caps, kvm, cpu, &features, &n) <= 0) {
                /* TCG has no host to model; "max" is every feature TCG emulates */
                g_string_append(s, kvm ? "host" : "max");
                argv_cpu_features(s, cpu->features, cpu->n_features);
                return;
        }
        g_string_append(s, hc->model);
        argv_cpu_features(s, features, n);
        for (size_t i = 0; i < n; i++)
                g_free(features[i].name);
        g_free(features);
}

static int argv_build_cpu(ArgvBuilder *b) {
        const VkDomainDef *def = b->def;
        const VkDomainCpu *cpu = &def->cpu;
        g_autoptr(GString) s = g_string_new(NULL);
        bool kvm = def->virt_type == VK_DOMAIN_VIRT_KVM;

        if (cpu->present && cpu->mode == VK_CPU_MODE_HOST_PASSTHROUGH) {
                if (!kvm)
                        return argv_error(b, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                          "<cpu mode='host-passthrough'> needs domain type "
                                          "'kvm'");
                /* libvirt's default: migratable (no host-only features) */
                g_string_append_printf(s, "host,migratable=%s",
                                       cpu->migratable == VK_TRISTATE_NO ? "off" : "on");
                argv_cpu_features(s, cpu->features, cpu->n_features);
        } else if (cpu->present && cpu->mode == VK_CPU_MODE_HOST_MODEL)
                argv_cpu_host_model(b, s, kvm);
        else if (cpu->present && cpu->model) {
                if (!argv_cpu_model_known(b, cpu->model))
                        return argv_error(b, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                          "<cpu><model>: CPU model '%s' is not known to %s",
                                          cpu->model,
                                          vk_strempty(vk_qemu_caps_get_binary(b->caps)));
                g_string_append(s, cpu->model);
                argv_cpu_features(s, cpu->features, cpu->n_features);
        } else {
                g_string_append(s, def->arch == VK_DOMAIN_ARCH_I686 ? "qemu32" : "qemu64");
                argv_cpu_features(s, cpu->features, cpu->n_features);
        }

        for (size_t i = 0; i < def->n_timers; i++)
                if (def->timers[i].name == VK_TIMER_KVMCLOCK &&
                    def->timers[i].present != VK_TRISTATE_ABSENT)
                        g_string_append_printf(
                                s, ",kvmclock=%s",
                                vk_tristate_switch_to_string(def->timers[i].present));
                else if (def->timers[i].name == VK_TIMER_HYPERVCLOCK &&
                         def->timers[i].present != VK_TRISTATE_ABSENT)
                        g_string_append_printf(
                                s, ",hv-time=%s",
                                vk_tristate_switch_to_string(def->timers[i].present));
        argv_cpu_hyperv(&def->hyperv, s);
        argv_cpu_panic(b, s);
        if (argv_cpu_tune(b, s) < 0)
                return -EOPNOTSUPP;

        argv_add_pair(b, "-cpu", s->str);
        argv_build_loader(b);
        return 0;
}

/* x86 guest RAM comes in whole MiB: libvirt rounds <memory> and <maxMemory> up. */
static unsigned long long argv_round_mib(unsigned long long kib) {
        return (kib + 1023) / 1024;
}

static int argv_build_memory_smp(ArgvBuilder *b) {
        const VkDomainDef *def = b->def;
        const VkDomainCpu *cpu = &def->cpu;
        g_autoptr(GString) smp = g_string_new(NULL);
        unsigned long long mib = argv_round_mib(def->memory_kib);
        unsigned sockets, cores, threads;

        argv_add(b, "-m");
        if (def->max_memory_kib > 0)
                argv_addf(b, "size=%lluk,slots=%u,maxmem=%lluk", mib * 1024, def->max_memory_slots,
                          argv_round_mib(def->max_memory_kib) * 1024);
        else
                argv_addf(b, "%llu", mib);
        if (argv_build_ram(b) < 0)
                return -EOPNOTSUPP;

        sockets = cpu->sockets ? cpu->sockets : def->vcpus;
        cores = cpu->cores ? cpu->cores : 1;
        threads = cpu->threads ? cpu->threads : 1;
        g_string_append_printf(smp, "%u", def->vcpus_current ? def->vcpus_current : def->vcpus);
        if (def->vcpus_current && def->vcpus_current != def->vcpus)
                g_string_append_printf(smp, ",maxcpus=%u", def->vcpus);
        /* with a <topology>, libvirt 9.0 names the dies too */
        g_string_append_printf(smp, ",sockets=%u", sockets);
        if (cpu->sockets)
                g_string_append_printf(smp, ",dies=%u", cpu->dies ? cpu->dies : 1);
        g_string_append_printf(smp, ",cores=%u,threads=%u", cores, threads);
        argv_add_pair(b, "-smp", smp->str);
        return argv_build_iothreads_numa(b);
}

/* ---- clock, power management, lifecycle, boot ---- */

static int argv_build_clock(ArgvBuilder *b) {
        const VkDomainDef *def = b->def;
        g_autoptr(GString) rtc = g_string_new("base=");

        switch (def->clock_offset) {
        case VK_CLOCK_OFFSET_UTC:
                g_string_append(rtc, "utc");
                break;
        case VK_CLOCK_OFFSET_LOCALTIME:
                g_string_append(rtc, "localtime");
                break;
        case VK_CLOCK_OFFSET_VARIABLE: {
                /* QEMU takes the guest's start time; "now" comes from the caller */
                int64_t t = b->opts->now + (def->has_clock_adjustment ? def->clock_adjustment : 0);
                time_t tt;
                struct tm tm;

                if (def->clock_basis == VK_CLOCK_BASIS_LOCALTIME)
                        t += b->opts->localtime_offset;
                tt = (time_t) t;
                if (!gmtime_r(&tt, &tm))
                        return argv_error(b, VK_ERROR_INVALID_ARGUMENT, -ERANGE,
                                          "<clock adjustment=>: time out of range");
                g_string_append_printf(rtc, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900,
                                       tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
                break;
        }
        default:
                return argv_error(b, VK_ERROR_INTERNAL, -EINVAL, "unexpected clock offset");
        }

        for (size_t i = 0; i < def->n_timers; i++) {
                const VkDomainTimer *t = &def->timers[i];
                const char *name = vk_strempty(vk_timer_name_to_string(t->name));

                switch (t->name) {
                case VK_TIMER_RTC:
                        if (t->present == VK_TRISTATE_NO)
                                return argv_error(b, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                                  "<timer name='rtc' present='no'> is not "
                                                  "supported: x86 machines always have an RTC");
                        if (t->track == VK_TIMER_TRACK_GUEST)
                                g_string_append(rtc, ",clock=vm");
                        else if (t->track == VK_TIMER_TRACK_WALL)
                                g_string_append(rtc, ",clock=host");
                        else if (t->track == VK_TIMER_TRACK_REALTIME)
                                g_string_append(rtc, ",clock=rt");
                        else if (t->track != VK_TIMER_TRACK_NONE)
                                return argv_error(b, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                                  "<timer name='rtc' track='%s'> is not "
                                                  "supported (use guest, wall or realtime)",
                                                  vk_timer_track_to_string(t->track));
                        if (t->tickpolicy == VK_TIMER_TICKPOLICY_CATCHUP)
                                g_string_append(rtc, ",driftfix=slew");
                        else if (t->tickpolicy != VK_TIMER_TICKPOLICY_NONE &&
                                 t->tickpolicy != VK_TIMER_TICKPOLICY_DELAY)
                                return argv_error(b, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                                  "<timer name='rtc' tickpolicy='%s'> is not "
                                                  "supported (use delay or catchup)",
                                                  vk_timer_tickpolicy_to_string(t->tickpolicy));
                        break;
                case VK_TIMER_PIT:
                case VK_TIMER_HPET:
                case VK_TIMER_KVMCLOCK:
                case VK_TIMER_HYPERVCLOCK:
                        if (t->track != VK_TIMER_TRACK_NONE)
                                return argv_error(b, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                                  "<timer name='%s' track=> is supported for "
                                                  "the rtc timer only",
                                                  name);
                        if (t->name == VK_TIMER_PIT && t->present == VK_TRISTATE_NO)
                                return argv_error(b, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                                  "<timer name='pit' present='no'> is not "
                                                  "supported");
                        if (t->name == VK_TIMER_HYPERVCLOCK && t->present == VK_TRISTATE_ABSENT)
                                return argv_error(b, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                                  "<timer name='hypervclock'> needs present='yes' "
                                                  "or 'no'");
                        if (t->name != VK_TIMER_PIT && t->tickpolicy != VK_TIMER_TICKPOLICY_NONE)
                                return argv_error(b, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                                  "<timer name='%s' tickpolicy=> is supported "
                                                  "for the rtc and pit timers only",
                                                  name);
                        break;
                default:
                        break;
                }
        }
        argv_add_pair(b, "-rtc", rtc->str);

        for (size_t i = 0; i < def->n_timers; i++) {
                const VkDomainTimer *t = &def->timers[i];
                const char *policy = NULL;

                if (t->name != VK_TIMER_PIT || t->tickpolicy == VK_TIMER_TICKPOLICY_NONE)
                        continue;
                switch (t->tickpolicy) {
                case VK_TIMER_TICKPOLICY_DELAY:
                        policy = "delay";
                        break;
                case VK_TIMER_TICKPOLICY_CATCHUP:
                        policy = "slew";
                        break;
                case VK_TIMER_TICKPOLICY_DISCARD:
                        policy = "discard";
                        break;
                default:
                        return argv_error(b, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                          "<timer name='pit' tickpolicy='%s'> is not supported",
                                          vk_timer_tickpolicy_to_string(t->tickpolicy));
                }
                /* also under TCG, as libvirt does (virt-install writes this timer for
                 * type='qemu' guests too): no kvm-pit device is made, QEMU ignores it */
                argv_add(b, "-global");
                argv_addf(b, "kvm-pit.lost_tick_policy=%s", policy);
        }
        for (size_t i = 0; i < def->n_timers; i++)
                if (def->timers[i].name == VK_TIMER_HPET &&
                    def->timers[i].present == VK_TRISTATE_NO)
                        argv_add(b, "-no-hpet");
        return 0;
}

static void argv_build_pm(ArgvBuilder *b) {
        const VkDomainDef *def = b->def;
        const char *dev = def->machine_kind == VK_MACHINE_Q35 ? "ICH9-LPC" : "PIIX4_PM";

        /* As libvirt 9.0 with a QEMU that has set-action: QEMU always stays (paused) after a
         * guest poweroff, the driver applies on_poweroff/on_crash itself, and on_reboot=destroy
         * is QMP set-action reboot=shutdown after the start (runtime/qemu-process.c) */
        argv_add(b, "-no-shutdown");
        if (def->features[VK_FEATURE_ACPI] != VK_TRISTATE_YES)
                argv_add(b, "-no-acpi");

        if (def->pm_suspend_to_mem != VK_TRISTATE_ABSENT) {
                argv_add(b, "-global");
                argv_addf(b, "%s.disable_s3=%d", dev,
                          def->pm_suspend_to_mem == VK_TRISTATE_NO ? 1 : 0);
        }
        if (def->pm_suspend_to_disk != VK_TRISTATE_ABSENT) {
                argv_add(b, "-global");
                argv_addf(b, "%s.disable_s4=%d", dev,
                          def->pm_suspend_to_disk == VK_TRISTATE_NO ? 1 : 0);
        }
}

static void argv_build_lifecycle_boot(ArgvBuilder *b) {
        const VkDomainDef *def = b->def;
        g_autoptr(GString) boot = g_string_new(NULL);

        if (def->bootmenu == VK_TRISTATE_YES)
                g_string_append(boot, "menu=on,");
        else if (def->bootmenu == VK_TRISTATE_NO)
                g_string_append(boot, "menu=off,");
        if (def->has_bootmenu_timeout)
                g_string_append_printf(boot, "splash-time=%u,", def->bootmenu_timeout);
        g_string_append(boot, "strict=on");
        argv_add_pair(b, "-boot", boot->str);

        if (def->kernel)
                argv_add_pair(b, "-kernel", def->kernel);
        if (def->initrd)
                argv_add_pair(b, "-initrd", def->initrd);
        if (def->cmdline)
                argv_add_pair(b, "-append", def->cmdline);
}

static void argv_build_monitor(ArgvBuilder *b) {
        g_autofree char *dir = argv_escape(b->opts->private_dir);

        argv_add(b, "-chardev");
        argv_addf(b, "socket,id=charmonitor,path=%s/monitor.sock,server=on,wait=off", dir);
        argv_add_pair(b, "-mon", "chardev=charmonitor,id=monitor,mode=control");
}

/* -compat right after -name, in JSON, deprecated-output first, as libvirt writes it */
static void argv_build_compat(ArgvBuilder *b) {
        VkDeprecationBehavior dep = b->def->qemu.deprecation;
        JsonObject *o;

        if (dep == VK_DEPRECATION_DEFAULT)
                dep = b->cfg->deprecation_behavior;
        /* as documented: silently ignored by a QEMU that cannot configure it */
        if (!argv_has(b, VK_QEMU_CAPS_COMPAT_DEPRECATED) || dep == VK_DEPRECATION_DEFAULT ||
            dep == VK_DEPRECATION_NONE)
                return;
        o = json_object_new();
        argv_jset_str(o, "deprecated-output", "hide");
        if (dep == VK_DEPRECATION_REJECT)
                argv_jset_str(o, "deprecated-input", "reject");
        else if (dep == VK_DEPRECATION_CRASH)
                argv_jset_str(o, "deprecated-input", "crash");
        argv_add_json(b, "-compat", o);
}

/* qemu:commandline's arguments, then -sandbox, the panic devices and -msg last, as libvirt
 * orders them */
static int argv_build_tail(ArgvBuilder *b) {
        int r;

        for (size_t i = 0; b->def->qemu.args && b->def->qemu.args[i]; i++)
                argv_add(b, b->def->qemu.args[i]);
        argv_add_pair(b, "-sandbox",
                      "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny");
        r = argv_build_panics(b);
        if (r < 0)
                return r;
        argv_add_pair(b, "-msg", "timestamp=on");
        return 0;
}

/* ---- qemu:override ---- */

static ArgvDevice *argv_find_device(ArgvBuilder *b, const char *alias) {
        for (guint i = 0; i < b->devices->len; i++) {
                ArgvDevice *d = b->devices->pdata[i];

                if (strcmp(d->alias, alias) == 0)
                        return d;
        }
        return NULL;
}

static int argv_apply_override(ArgvBuilder *b, const VkQemuOverrideDevice *od) {
        ArgvDevice *d;

        if (!od->has_frontend)
                return 0;
        d = argv_find_device(b, od->alias);
        if (!d)
                return argv_error(b, VK_ERROR_INVALID_ARGUMENT, -ENOENT,
                                  "qemu:override: no device with a -device frontend has alias "
                                  "'%s'",
                                  od->alias);

        for (size_t i = 0; i < od->n_props; i++) {
                const VkQemuOverrideProperty *p = &od->props[i];
                gint64 sv;
                guint64 uv;

                switch (p->type) {
                case VK_OVERRIDE_STRING:
                        argv_jset_str(d->props, p->name, p->value);
                        break;
                case VK_OVERRIDE_SIGNED:
                        if (!g_ascii_string_to_signed(p->value, 10, INT64_MIN, INT64_MAX, &sv,
                                                      NULL))
                                return argv_error(b, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                                  "qemu:override: device '%s' property '%s': "
                                                  "'%s' is not a signed number",
                                                  od->alias, p->name, p->value);
                        argv_jset_int(d->props, p->name, sv);
                        break;
                case VK_OVERRIDE_UNSIGNED:
                        if (!g_ascii_string_to_unsigned(p->value, 10, 0, INT64_MAX, &uv, NULL))
                                return argv_error(b, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                                  "qemu:override: device '%s' property '%s': "
                                                  "'%s' is not an unsigned number up to "
                                                  "2^63-1",
                                                  od->alias, p->name, p->value);
                        argv_jset_int(d->props, p->name, (int64_t) uv);
                        break;
                case VK_OVERRIDE_BOOL:
                        if (g_strcmp0(p->value, "true") != 0 && g_strcmp0(p->value, "false") != 0)
                                return argv_error(b, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                                  "qemu:override: device '%s' property '%s': "
                                                  "'%s' is not true or false",
                                                  od->alias, p->name, vk_strempty(p->value));
                        argv_jset_bool(d->props, p->name, strcmp(p->value, "true") == 0);
                        break;
                case VK_OVERRIDE_REMOVE:
                        if (!json_object_has_member(d->props, p->name))
                                return argv_error(b, VK_ERROR_INVALID_ARGUMENT, -ENOENT,
                                                  "qemu:override: device '%s' has no property "
                                                  "'%s' to remove: virtkit does not emit it",
                                                  od->alias, p->name);
                        json_object_remove_member(d->props, p->name);
                        break;
                default:
                        return argv_error(b, VK_ERROR_INTERNAL, -EINVAL,
                                          "qemu:override: unexpected property type");
                }
        }
        return 0;
}

static int argv_finish_devices(ArgvBuilder *b) {
        const VkQemuNamespace *ns = &b->def->qemu;
        int r;

        for (size_t i = 0; i < ns->n_overrides; i++) {
                r = argv_apply_override(b, &ns->overrides[i]);
                if (r < 0)
                        return r;
        }
        for (guint i = 0; i < b->devices->len; i++) {
                ArgvDevice *d = b->devices->pdata[i];

                assert(!b->args->pdata[d->index]);
                b->args->pdata[d->index] = argv_json_to_string(d->props);
        }
        return 0;
}

/* ---- the command ---- */

static void argv_device_free(gpointer p) {
        ArgvDevice *d = p;

        g_free(d->alias);
        if (d->props)
                json_object_unref(d->props);
        g_free(d);
}

static char **argv_build_env(const ArgvBuilder *b) {
        GPtrArray *env = g_ptr_array_new();
        const VkQemuNamespace *ns = &b->def->qemu;

        g_ptr_array_add(env, g_strdup("LC_ALL=C"));
        g_ptr_array_add(env,
                        g_strdup_printf("PATH=%s", b->opts->path_env ? b->opts->path_env
                                                                     : VK_QEMU_ARGV_DEFAULT_PATH));
        g_ptr_array_add(env, g_strdup_printf("HOME=%s", b->opts->private_dir));
        /* as libvirt: whatever QEMU or a library it loads keeps per user stays in the domain's
         * private dir */
        g_ptr_array_add(env,
                        g_strdup_printf("XDG_DATA_HOME=%s/.local/share", b->opts->private_dir));
        g_ptr_array_add(env, g_strdup_printf("XDG_CACHE_HOME=%s/.cache", b->opts->private_dir));
        g_ptr_array_add(env, g_strdup_printf("XDG_CONFIG_HOME=%s/.config", b->opts->private_dir));
        for (size_t i = 0; i < ns->n_env; i++)
                g_ptr_array_add(env, g_strdup_printf("%s=%s", ns->env[i].name,
                                                     vk_strempty(ns->env[i].value)));
        g_ptr_array_add(env, NULL);
        return (char **) g_ptr_array_free(env, FALSE);
}

static int argv_build_all(ArgvBuilder *b) {
        const VkDomainDef *def = b->def;
        char uuid[VK_UUID_STRING_MAX];
        g_autofree char *name = NULL;
        g_autofree char *dir = NULL;
        bool pflash = false;
        JsonObject *o;
        int r;

        r = argv_apply_custom_caps(b);
        if (r < 0)
                return r;

        name = argv_escape(def->name);
        argv_add(b, "-name");
        argv_addf(b, "guest=%s,debug-threads=on", name);
        argv_build_compat(b);
        argv_add(b, "-S");

        /* secrets reach QEMU encrypted with this key, never on the command line */
        o = json_object_new();
        argv_jset_str(o, "qom-type", "secret");
        argv_jset_str(o, "id", "masterKey0");
        argv_jset_str(o, "format", "raw");
        dir = g_strdup_printf("%s/master-key.aes", b->opts->private_dir);
        argv_jset_str(o, "file", dir);
        argv_add_json(b, "-object", o);

        r = argv_build_pflash(b, &pflash);
        if (r < 0)
                return r;
        r = argv_build_machine(b, pflash);
        if (r < 0)
                return r;
        r = argv_build_cpu(b);
        if (r < 0)
                return r;
        r = argv_build_memory_smp(b);
        if (r < 0)
                return r;
        argv_add_pair(b, "-uuid", vk_uuid_format(&def->uuid, uuid));
        r = argv_build_smbios(b);
        if (r < 0)
                return r;
        if (def->n_graphics == 0)
                argv_add_pair(b, "-display", "none");
        argv_add(b, "-no-user-config");
        argv_add(b, "-nodefaults");
        argv_build_monitor(b);
        r = argv_build_clock(b);
        if (r < 0)
                return r;
        argv_build_pm(b);
        r = argv_boot_prepare(b);
        if (r < 0)
                return r;
        argv_build_lifecycle_boot(b);

        r = argv_build_controllers(b);
        if (r < 0)
                return r;
        r = argv_build_disks(b);
        if (r < 0)
                return r;
        r = argv_build_filesystems(b);
        if (r < 0)
                return r;
        r = argv_build_nets(b);
        if (r < 0)
                return r;
        r = argv_build_smartcards(b);
        if (r < 0)
                return r;
        r = argv_build_chardevs(b);
        if (r < 0)
                return r;
        r = argv_build_inputs(b);
        if (r < 0)
                return r;
        r = argv_build_graphics(b);
        if (r < 0)
                return r;
        r = argv_build_videos(b);
        if (r < 0)
                return r;
        r = argv_build_sounds(b);
        if (r < 0)
                return r;
        r = argv_build_misc_devices(b);
        if (r < 0)
                return r;
        r = argv_build_vsock(b);
        if (r < 0)
                return r;
        r = argv_build_tail(b);
        if (r < 0)
                return r;

        r = argv_finish_devices(b);
        if (r < 0)
                return r;
        if (b->args->len > VK_QEMU_ARGV_MAX)
                return argv_error(b, VK_ERROR_LIMIT_EXCEEDED, -E2BIG,
                                  "the command line would have %u arguments, more than %u",
                                  b->args->len, VK_QEMU_ARGV_MAX);
        return 0;
}

/*
 * Build QEMU's command line for @def. @caps are the capabilities of the binary that will
 * run it (qemu:capabilities of @def are applied to a copy of its flags), @cfg the driver's
 * settings, @opts the per-start values (private dir, fds, secrets, ports, time). A pure
 * function: the same inputs give the same bytes. On success *@ret owns a new command (free
 * with vk_qemu_command_free()). Errors: NotSupported for what this QEMU or virtkit cannot
 * do, InvalidArgument for missing per-start values (tap fd, secret, volume) and bad
 * qemu:override entries. Never blocks; may run anywhere.
 */
int vk_qemu_build_command(const VkDomainDef *def, const VkQemuCaps *caps, const VkQemuConfig *cfg,
                          const VkQemuArgvOptions *opts, VkQemuCommand **ret, VkError *reterr) {
        g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(GPtrArray) devices = g_ptr_array_new_with_free_func(argv_device_free);
        g_autofree unsigned *disk_boot = NULL;
        g_autofree unsigned *net_boot = NULL;
        g_autoptr(VkQemuCommand) cmd = NULL;
        const char *binary;
        ArgvBuilder b;
        int r;

        assert(def);
        assert(caps);
        assert(cfg);
        assert(opts);
        assert(ret);

        if (!opts->private_dir || !g_path_is_absolute(opts->private_dir))
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "the private directory of domain '%s' must be an absolute "
                                    "path",
                                    def->name);

        binary = def->emulator ? def->emulator : vk_qemu_caps_get_binary(caps);
        if (vk_isempty(binary))
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "domain '%s' names no emulator and the capabilities name "
                                    "no binary",
                                    def->name);

        disk_boot = g_new0(unsigned, def->n_disks + 1);
        net_boot = g_new0(unsigned, def->n_nets + 1);
        b = (ArgvBuilder){
                .def = def,
                .caps = caps,
                .cfg = cfg,
                .opts = opts,
                .args = args,
                .devices = devices,
                .disk_boot = disk_boot,
                .net_boot = net_boot,
                .reterr = reterr,
        };
        argv_add(&b, binary);
        r = argv_build_all(&b);
        if (r < 0)
                return r;

        cmd = g_new0(VkQemuCommand, 1);
        cmd->binary = g_strdup(binary);
        cmd->env = argv_build_env(&b);
        g_ptr_array_add(args, NULL);
        cmd->argv = (char **) g_ptr_array_free(g_steal_pointer(&args), FALSE);

        *ret = g_steal_pointer(&cmd);
        return 0;
}

/* Free @cmd and its strings; takes NULL, returns NULL. */
VkQemuCommand *vk_qemu_command_free(VkQemuCommand *cmd) {
        if (!cmd)
                return NULL;
        g_free(cmd->binary);
        g_strfreev(cmd->argv);
        g_strfreev(cmd->env);
        g_free(cmd);
        return NULL;
}

static bool argv_shell_safe(const char *s) {
        if (*s == '\0')
                return false;
        for (const char *p = s; *p; p++)
                if (!g_ascii_isalnum(*p) && !strchr("_@%+=:,./-", *p))
                        return false;
        return true;
}

static void argv_shell_append(GString *out, const char *s) {
        if (argv_shell_safe(s)) {
                g_string_append(out, s);
                return;
        }
        g_string_append_c(out, '\'');
        for (const char *p = s; *p; p++) {
                if (*p == '\'')
                        g_string_append(out, "'\\''");
                else
                        g_string_append_c(out, *p);
        }
        g_string_append_c(out, '\'');
}

/*
 * The command as shell words: the environment first (NAME=value), then the binary, then the
 * arguments, each word in single quotes only when it needs them. On one line, or with
 * @lines one environment entry per line and a line per option ("-name value"), ending in a
 * newline, as the .args goldens are written. Returns a new string.
 */
static char *argv_format_shell(const VkQemuCommand *cmd, bool lines) {
        GString *out = g_string_new(NULL);
        bool first = true;

        for (size_t i = 0; cmd->env && cmd->env[i]; i++, first = false) {
                const char *eq = strchr(cmd->env[i], '=');

                if (!first)
                        g_string_append(out, lines ? " \\\n" : " ");
                if (!eq) {
                        argv_shell_append(out, cmd->env[i]);
                        continue;
                }
                g_string_append_len(out, cmd->env[i], eq - cmd->env[i] + 1);
                if (eq[1] != '\0')
                        argv_shell_append(out, eq + 1);
        }
        for (size_t i = 0; cmd->argv && cmd->argv[i]; i++, first = false) {
                if (!first)
                        g_string_append(out, lines && (i == 0 || cmd->argv[i][0] == '-') ? " \\\n"
                                                                                         : " ");
                argv_shell_append(out, cmd->argv[i]);
        }
        if (lines)
                g_string_append_c(out, '\n');
        return g_string_free(out, FALSE);
}

/* The command as one shell line, for DomainXMLToNative (format "qemu-argv"). */
char *vk_qemu_command_to_native(const VkQemuCommand *cmd) {
        assert(cmd);
        return argv_format_shell(cmd, /* lines= */ false);
}

/* The command as a shell script with a line per option: the form of the .args goldens. */
char *vk_qemu_command_to_lines(const VkQemuCommand *cmd) {
        assert(cmd);
        return argv_format_shell(cmd, /* lines= */ true);
}

/*
 * DomainXMLFromNative (format "qemu-argv"): always fails with NotSupported. Converting QEMU
 * arguments to domain XML was removed (libvirt dropped it in 5.5.0); virtkit does not
 * offer it. Returns -EOPNOTSUPP.
 */
int vk_qemu_command_from_native(const char *native, VkError *reterr) {
        return vk_error_set(reterr, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                            "converting QEMU arguments to domain XML (format 'qemu-argv') was "
                            "removed: libvirt dropped it in 5.5.0 and virtkit does not offer "
                            "it; write the domain XML instead (DomainXMLToNative still "
                            "converts domain XML to QEMU arguments)");
}

/*
 * The QMP arguments that hot-plug disk @i of @def (a running domain's live definition with
 * the disk in it, addresses and node numbers assigned): *@ret_nodes the blockdev-add
 * arguments in the order QEMU needs them (the deepest image first, each storage node before
 * its format node), *@ret_device the device_add arguments, *@ret_alias its id. The same
 * builder as the command line's -blockdev/-device (the JSON is identical). Encryption
 * secrets are not passed: the caller refuses encrypted disks. Pure, like
 * vk_qemu_build_command().
 */
int vk_qemu_argv_disk_hotplug(const VkDomainDef *def, size_t i, const VkQemuCaps *caps,
                              const VkQemuConfig *cfg, const VkQemuArgvOptions *opts,
                              GPtrArray **ret_nodes, JsonObject **ret_device, char **ret_alias,
                              VkError *reterr) {
        g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(GPtrArray) devices = g_ptr_array_new_with_free_func(argv_device_free);
        g_autoptr(GPtrArray) nodes =
                g_ptr_array_new_with_free_func((GDestroyNotify) json_object_unref);
        g_autofree unsigned *disk_boot = NULL;
        ArgvDevice *d;
        ArgvBuilder b;
        int r;

        assert(def);
        assert(i < def->n_disks);
        assert(caps);
        assert(cfg);
        assert(opts);

        disk_boot = g_new0(unsigned, def->n_disks + 1);
        disk_boot[i] = def->disks[i]->info.boot_order;
        b = (ArgvBuilder){
                .def = def,
                .caps = caps,
                .cfg = cfg,
                .opts = opts,
                .args = args,
                .devices = devices,
                .disk_boot = disk_boot,
                .reterr = reterr,
        };
        r = argv_apply_custom_caps(&b);
        if (r >= 0)
                r = argv_build_disk(&b, i);
        if (r < 0)
                return r;
        for (guint k = 0; k + 1 < args->len; k++) {
                g_autoptr(JsonNode) node = NULL;
                const char *opt = args->pdata[k];

                if (!opt || strcmp(opt, "-blockdev") != 0)
                        continue;
                r = vk_json_parse(args->pdata[k + 1], -1, &node, reterr);
                if (r < 0)
                        return r;
                g_ptr_array_add(nodes, json_object_ref(json_node_get_object(node)));
        }
        if (devices->len != 1)
                return vk_error_set(reterr, VK_ERROR_INTERNAL, -EINVAL,
                                    "disk '%s': no frontend device was built",
                                    vk_strempty(def->disks[i]->target_dev));
        d = devices->pdata[0];
        *ret_nodes = g_steal_pointer(&nodes);
        *ret_device = g_steal_pointer(&d->props);
        *ret_alias = g_strdup(d->alias);
        return 0;
}
