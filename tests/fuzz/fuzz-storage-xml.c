/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fuzz-storage-xml.c: libFuzzer target for the storage pool and volume XML round trips */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "macro.h"
#include "storage-argv.h"
#include "storage-def.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_random(void *buf, size_t len) {
        memset(buf, 0x5a, len);
}

static const VkStorageTools tools = {
        .qemu_img = "qemu-img",
        .mount = "mount",
        .umount = "umount",
        .mkfs_dir = "/sbin",
        .lvm = "lvm",
};

/* Parse failures need an error; a parsed pool formats, parses and formats the same. */
static void fuzz_pool(const char *xml) {
        g_autoptr(VkStoragePoolDef) def = NULL, def2 = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        g_autofree char *out1 = NULL, *out2 = NULL;
        g_autoptr(GPtrArray) cmds = NULL;
        g_auto(GStrv) argv = NULL;

        if (vk_storage_pool_def_parse_string(xml, &def, &err) < 0) {
                if (def || !vk_error_is_set(&err) || vk_isempty(err.message))
                        __builtin_trap();
                return;
        }
        if (vk_storage_pool_def_fill_defaults(def, fuzz_random, &err) < 0)
                __builtin_trap();
        out1 = vk_storage_pool_def_format(def);
        if (vk_storage_pool_def_parse_string(out1, &def2, &err) < 0)
                __builtin_trap();
        out2 = vk_storage_pool_def_format(def2);
        if (strcmp(out1, out2) != 0)
                __builtin_trap();
        if (def->type == VK_STORAGE_POOL_FS) {
                (void) vk_storage_fs_mount_argv(&tools, def, false, &argv, &err);
                g_clear_pointer(&argv, g_strfreev);
                (void) vk_storage_fs_mkfs_argv(&tools, def, true, &argv, &err);
        } else if (def->type == VK_STORAGE_POOL_LOGICAL)
                (void) vk_storage_lvm_build_argv(&tools, def, false, &cmds, &err);
}

/* The same for a volume, then created in a dir pool: checked, and its qemu-img command. */
static void fuzz_vol(const char *xml) {
        g_autoptr(VkStorageVolDef) def = NULL, def2 = NULL;
        g_autoptr(VkStoragePoolDef) pool = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        g_autofree char *out1 = NULL, *out2 = NULL;
        g_auto(GStrv) argv = NULL;

        if (vk_storage_vol_def_parse_string(xml, &def, &err) < 0) {
                if (def || !vk_error_is_set(&err) || vk_isempty(err.message))
                        __builtin_trap();
                return;
        }
        out1 = vk_storage_vol_def_format(def);
        if (vk_storage_vol_def_parse_string(out1, &def2, &err) < 0)
                __builtin_trap();
        out2 = vk_storage_vol_def_format(def2);
        if (strcmp(out1, out2) != 0)
                __builtin_trap();

        if (vk_storage_pool_def_parse_string("<pool type='dir'><name>p</name><target><path>/p"
                                             "</path></target></pool>",
                                             &pool, &err) < 0)
                __builtin_trap();
        g_clear_pointer(&def->path, g_free);
        if (vk_storage_vol_def_fill_defaults(def, pool, &err) < 0 ||
            vk_storage_vol_def_check_new(def, pool, &err) < 0)
                return;
        if (def->backing_path)
                def->has_backing_format = true;
        if (vk_storage_qemu_img_create_argv(
                    &tools, def, def->encryption.present ? "/dev/fd/3" : NULL, &argv, &err) < 0)
                __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        g_autofree char *xml = NULL;

        if (size > 64 * 1024)
                return 0;
        xml = g_strndup((const char *) data, size);
        if (strstr(xml, "<volume"))
                fuzz_vol(xml);
        else
                fuzz_pool(xml);
        return 0;
}
