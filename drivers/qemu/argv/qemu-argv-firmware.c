/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-argv-firmware.c: the firmware's options: pflash block nodes, -machine smm/pflash, -bios */
#include <errno.h>

#include "macro.h"
#include "qemu-argv-internal.h"

/*
 * UEFI firmware is two flash chips, as libvirt 9.0 gives them to QEMU 7.2: the code (read
 * only) and the domain's own copy of the variable store, each a file node and a raw node,
 *
 *   -blockdev {"driver":"file","filename":CODE,"node-name":"libvirt-pflash0-storage",
 *              "auto-read-only":true,"discard":"unmap"}
 *   -blockdev {"node-name":"libvirt-pflash0-format","read-only":true,"driver":"raw",
 *              "file":"libvirt-pflash0-storage"}
 *   (the same for the NVRAM as pflash1, read-write)
 *   -machine ...,smm=on,...,pflash0=libvirt-pflash0-format,pflash1=libvirt-pflash1-format
 *   -global driver=cfi.pflash01,property=secure,value=on     (a secure loader: SMM only)
 *
 * A ROM BIOS is -bios PATH.
 */

static void argv_pflash_nodes(ArgvBuilder *b, unsigned unit, const char *path, bool readonly) {
        g_autofree char *storage = g_strdup_printf("libvirt-pflash%u-storage", unit);
        g_autofree char *format = g_strdup_printf("libvirt-pflash%u-format", unit);
        JsonObject *o = json_object_new();

        argv_jset_str(o, "driver", "file");
        argv_jset_str(o, "filename", path);
        argv_jset_str(o, "node-name", storage);
        argv_jset_bool(o, "auto-read-only", true);
        argv_jset_str(o, "discard", "unmap");
        argv_add_json(b, "-blockdev", o);

        o = json_object_new();
        argv_jset_str(o, "node-name", format);
        argv_jset_bool(o, "read-only", readonly);
        argv_jset_str(o, "driver", "raw");
        argv_jset_str(o, "file", storage);
        argv_add_json(b, "-blockdev", o);
}

/*
 * The pflash nodes of <loader type='pflash'> and its <nvram>, before -machine names them
 * (*@ret_used: whether it does). A secure loader needs what QEMU can only do on q35 with SMM,
 * as libvirt checks.
 */
int argv_build_pflash(ArgvBuilder *b, bool *ret_used) {
        const VkDomainDef *def = b->def;

        *ret_used = false;
        /* the driver writes the chosen firmware in (caps/qemu-firmware.c) before building */
        if (def->os_firmware == VK_OS_FIRMWARE_EFI)
                return argv_error(b, VK_ERROR_OPERATION_FAILED, -ENOENT,
                                  "<os firmware='efi'>: no firmware was chosen from QEMU's "
                                  "firmware descriptors");
        if (def->loader_type == VK_LOADER_TYPE_PFLASH && !def->loader_path)
                return argv_error(b, VK_ERROR_OPERATION_FAILED, -ENOENT,
                                  "<loader type='pflash'> has no path");
        if (def->loader_secure == VK_TRISTATE_YES) {
                if (def->loader_type != VK_LOADER_TYPE_PFLASH)
                        return argv_error(b, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                          "<loader secure='yes'> needs type='pflash'");
                if (def->machine_kind != VK_MACHINE_Q35)
                        return argv_error(b, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                          "<loader secure='yes'>: secure boot is supported with "
                                          "q35 machine types only");
                if (def->arch == VK_DOMAIN_ARCH_I686)
                        return argv_error(b, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                          "<loader secure='yes'>: secure boot is supported for "
                                          "the x86_64 architecture only");
                if (def->features[VK_FEATURE_SMM] != VK_TRISTATE_YES)
                        return argv_error(b, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                          "<loader secure='yes'>: secure boot needs "
                                          "<features><smm state='on'/>");
        }
        if (def->features[VK_FEATURE_SMM] != VK_TRISTATE_ABSENT &&
            def->machine_kind != VK_MACHINE_Q35)
                return argv_error(b, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                  "<features><smm>: SMM is supported with q35 machine types "
                                  "only");
        if (!def->loader_path || def->loader_type != VK_LOADER_TYPE_PFLASH)
                return 0;

        argv_pflash_nodes(b, 0, def->loader_path, def->loader_readonly == VK_TRISTATE_YES);
        if (def->nvram_path)
                argv_pflash_nodes(b, 1, def->nvram_path, false);
        *ret_used = true;
        return 0;
}

/* ,smm=on|off of -machine, when <features><smm> says. */
void argv_machine_smm(const ArgvBuilder *b, GString *machine) {
        VkTristate smm = b->def->features[VK_FEATURE_SMM];

        if (smm != VK_TRISTATE_ABSENT)
                g_string_append_printf(machine, ",smm=%s", vk_tristate_switch_to_string(smm));
}

/* ,pflash0=...,pflash1=... of -machine, once argv_build_pflash() made the nodes. */
void argv_machine_pflash(const ArgvBuilder *b, GString *machine) {
        g_string_append(machine, ",pflash0=libvirt-pflash0-format");
        if (b->def->nvram_path)
                g_string_append(machine, ",pflash1=libvirt-pflash1-format");
}

/* What comes right after -cpu, where libvirt puts it: a ROM BIOS, or the secure pflash. */
void argv_build_loader(ArgvBuilder *b) {
        const VkDomainDef *def = b->def;

        if (def->loader_path && def->loader_type != VK_LOADER_TYPE_PFLASH)
                argv_add_pair(b, "-bios", def->loader_path);
        else if (def->loader_path && def->loader_secure == VK_TRISTATE_YES)
                argv_add_pair(b, "-global", "driver=cfi.pflash01,property=secure,value=on");
}
