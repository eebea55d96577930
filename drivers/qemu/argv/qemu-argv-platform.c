/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-argv-platform.c: -smbios (<sysinfo>, <os><smbios>), the panic devices, the RNGs */
#include <errno.h>
#include <string.h>

#include "macro.h"
#include "qemu-argv-internal.h"

/* ---- -smbios ---- */

/* "type=N,name=value,..." of one block, NULL when it has no value (QEMU's own then) */
static char *argv_smbios_block(VkSysinfoBlock block, const VkSysinfoValues *v, bool skip_uuid) {
        static const unsigned type[_VK_SYSINFO_BLOCK_MAX] = {
                [VK_SYSINFO_BIOS] = 0,
                [VK_SYSINFO_SYSTEM] = 1,
                [VK_SYSINFO_BASE_BOARD] = 2,
                [VK_SYSINFO_CHASSIS] = 3,
        };
        g_autoptr(GString) s = g_string_new(NULL);
        bool any = false;

        g_string_append_printf(s, "type=%u", type[block]);
        for (unsigned i = 0; vk_sysinfo_entry_name(block, i); i++) {
                const char *name = vk_sysinfo_entry_name(block, i);
                g_autofree char *value = NULL;

                if (!v->v[i] || (skip_uuid && strcmp(name, "uuid") == 0))
                        continue;
                value = argv_escape(v->v[i]);
                /* QEMU's name for the board's and chassis' asset tag is "asset" too */
                g_string_append_printf(s, ",%s=%s", name, value);
                any = true;
        }
        return any ? g_string_free(g_steal_pointer(&s), FALSE) : NULL;
}

/*
 * The guest's SMBIOS strings, as libvirt 9.0 writes them right after -uuid: nothing for no
 * <smbios> or mode='emulate'; mode='sysinfo' from <sysinfo type='smbios'> (type 0 BIOS, 1
 * system, 2 each base board, 3 chassis, 11 the OEM strings); mode='host' the host's BIOS and
 * system strings the caller read, without the host's UUID (the guest keeps its own).
 */
int argv_build_smbios(ArgvBuilder *b) {
        const VkDomainDef *def = b->def;
        const VkDomainSysinfo *si;
        bool host = def->smbios_mode == VK_SMBIOS_MODE_HOST;
        char *s;

        if (def->smbios_mode != VK_SMBIOS_MODE_HOST && def->smbios_mode != VK_SMBIOS_MODE_SYSINFO)
                return 0;
        si = host ? b->opts->host_sysinfo : &def->sysinfo;
        if (!si)
                return argv_error(b, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                  "<smbios mode='host'/>: the host's SMBIOS data was not read");

        if ((s = argv_smbios_block(VK_SYSINFO_BIOS, &si->bios, false))) {
                argv_add(b, "-smbios");
                g_ptr_array_add(b->args, s);
        }
        if ((s = argv_smbios_block(VK_SYSINFO_SYSTEM, &si->system, host))) {
                argv_add(b, "-smbios");
                g_ptr_array_add(b->args, s);
        }
        for (size_t i = 0; i < si->n_base_boards; i++)
                if ((s = argv_smbios_block(VK_SYSINFO_BASE_BOARD, &si->base_boards[i], false))) {
                        argv_add(b, "-smbios");
                        g_ptr_array_add(b->args, s);
                }
        if ((s = argv_smbios_block(VK_SYSINFO_CHASSIS, &si->chassis, false))) {
                argv_add(b, "-smbios");
                g_ptr_array_add(b->args, s);
        }
        if (si->oem_strings && si->oem_strings[0]) {
                g_autoptr(GString) oem = g_string_new("type=11");

                for (size_t i = 0; si->oem_strings[i]; i++) {
                        g_autofree char *v = argv_escape(si->oem_strings[i]);

                        g_string_append_printf(oem, ",value=%s", v);
                }
                argv_add_pair(b, "-smbios", oem->str);
        }
        return 0;
}

/* ---- <panic> ---- */

/* <panic model='hyperv'> is the Hyper-V crash MSRs: a CPU property, after the enlightenments */
void argv_cpu_panic(const ArgvBuilder *b, GString *s) {
        for (size_t i = 0; i < b->def->n_panics; i++)
                if (b->def->panics[i]->model == VK_PANIC_MODEL_HYPERV) {
                        g_string_append(s, ",hv-crash");
                        return;
                }
}

/* The ISA and PCI panic devices, after -sandbox as libvirt 9.0 orders them; no id, as libvirt */
int argv_build_panics(ArgvBuilder *b) {
        for (size_t i = 0; i < b->def->n_panics; i++) {
                const VkDomainPanic *p = b->def->panics[i];
                /* names it for qemu:override only: QEMU gets no id= (as from libvirt) */
                g_autofree char *alias = argv_alias(&p->info, "panic%zu", i);
                JsonObject *o;
                int r;

                switch (p->model) {
                case VK_PANIC_MODEL_ISA:
                        r = argv_need(b, VK_QEMU_CAPS_PVPANIC, "<panic model='isa'>");
                        if (r < 0)
                                return r;
                        if (b->def->machine_kind != VK_MACHINE_PC &&
                            b->def->machine_kind != VK_MACHINE_Q35)
                                return argv_error(b, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                                  "<panic model='isa'> needs an x86 PC machine");
                        o = argv_device_new("pvpanic");
                        if (p->info.addr.type == VK_ADDRESS_ISA && p->info.addr.isa.iobase)
                                argv_jset_int(o, "ioport", p->info.addr.isa.iobase);
                        argv_add_device(b, alias, o);
                        break;
                case VK_PANIC_MODEL_PVPANIC:
                        r = argv_need(b, VK_QEMU_CAPS_PVPANIC_PCI, "<panic model='pvpanic'>");
                        if (r < 0)
                                return r;
                        o = argv_device_new("pvpanic-pci");
                        r = argv_set_address(b, o, &p->info, "panic");
                        if (r < 0) {
                                json_object_unref(o);
                                return r;
                        }
                        argv_add_device(b, alias, o);
                        break;
                default: /* hyperv: on -cpu */
                        break;
                }
        }
        return 0;
}

/* ---- <rng> ---- */

/* A backend object (rng-random on a host file, or rng-builtin) and virtio-rng-pci on it */
int argv_build_rngs(ArgvBuilder *b) {
        const VkDomainDef *def = b->def;

        for (size_t i = 0; i < def->n_rngs; i++) {
                const VkDomainRng *rng = def->rngs[i];
                g_autofree char *alias = argv_alias(&rng->info, "rng%zu", i);
                g_autofree char *obj = g_strdup_printf("obj%s", alias);
                JsonObject *o;
                int r;

                if (rng->backend == VK_RNG_BACKEND_BUILTIN)
                        r = argv_need(b, VK_QEMU_CAPS_RNG_BUILTIN, "rng backend 'builtin'");
                else
                        r = argv_need(b, VK_QEMU_CAPS_RNG_RANDOM, "rng backend 'random'");
                if (r < 0)
                        return r;
                r = argv_need(b, VK_QEMU_CAPS_VIRTIO_RNG, "rng model 'virtio'");
                if (r < 0)
                        return r;
                o = json_object_new();
                if (rng->backend == VK_RNG_BACKEND_BUILTIN) {
                        argv_jset_str(o, "qom-type", "rng-builtin");
                        argv_jset_str(o, "id", obj);
                } else {
                        argv_jset_str(o, "qom-type", "rng-random");
                        argv_jset_str(o, "id", obj);
                        argv_jset_str(o, "filename",
                                      rng->backend_path ? rng->backend_path : "/dev/random");
                }
                argv_add_json(b, "-object", o);

                o = argv_device_new("virtio-rng-pci");
                argv_jset_str(o, "rng", obj);
                argv_jset_str(o, "id", alias);
                if (rng->rate_bytes) {
                        argv_jset_int(o, "max-bytes", rng->rate_bytes);
                        argv_jset_int(o, "period", rng->rate_period ? rng->rate_period : 1000);
                }
                r = argv_add_device_at(b, alias, o, &rng->info, alias, 0);
                if (r < 0)
                        return r;
        }
        return 0;
}
