/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-smbios.c: the host's SMBIOS strings, for <os><smbios mode='host'/> */
#include <string.h>

#include "qemu-smbios.h"

/* the kernel's file for each entry of the BIOS and system blocks, in the blocks' order; the
 * host's UUID is left out: a guest never gets it */
static const char *const bios_files[VK_SYSINFO_ENTRIES_MAX] = { "bios_vendor", "bios_version",
                                                                "bios_date", "bios_release" };
static const char *const system_files[VK_SYSINFO_ENTRIES_MAX] = {
        "sys_vendor",    "product_name", "product_version", "product_serial",
        NULL /* uuid */, "product_sku",  "product_family",
};

static bool read_block(const char *dir, const char *const *files, VkSysinfoValues *v) {
        bool any = false;

        for (size_t i = 0; i < VK_SYSINFO_ENTRIES_MAX; i++) {
                g_autofree char *path = NULL, *text = NULL;

                if (!files[i])
                        continue;
                path = g_build_filename(dir, files[i], NULL);
                /* a missing file, or one only root may read (serials): that entry is absent */
                if (!g_file_get_contents(path, &text, NULL, NULL))
                        continue;
                g_strstrip(text);
                if (!*text || strlen(text) > 256)
                        continue;
                v->v[i] = g_steal_pointer(&text);
                any = true;
        }
        return any;
}

/*
 * Fill @ret (zeroed by the caller) with the host's BIOS and system strings from @dmi_dir
 * (VK_QEMU_DMI_DIR; tests pass their own), what libvirt copies for mode='host'. An entry the
 * kernel does not show is left out; never fails. Reads small sysfs files: fine on the loop.
 * The caller clears @ret with vk_domain_sysinfo_clear().
 */
void vk_qemu_host_sysinfo_read(const char *dmi_dir, VkDomainSysinfo *ret) {
        ret->present = true;
        ret->has_bios = read_block(dmi_dir, bios_files, &ret->bios);
        ret->has_system = read_block(dmi_dir, system_files, &ret->system);
}
