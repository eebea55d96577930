/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* storage-golden.c: the pools the volume goldens are created in, shared by the storage tests */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <glib/gstdio.h>

#include "storage-golden.h"
#include "vk-golden.h"

static const char default_pool_xml[] = "<pool type='dir'><name>default</name>"
                                       "<target><path>/var/lib/virtkit/images</path></target>"
                                       "</pool>";
static const char logical_pool_xml[] = "<pool type='logical'><name>guests</name>"
                                       "<source><device path='/dev/sdb'/><name>vg0</name>"
                                       "</source></pool>";

VkStoragePoolDef *storage_golden_pool(bool logical) {
        g_auto(VkError) err = VK_ERROR_INIT;
        VkStoragePoolDef *pool = NULL;
        const char *xml = logical ? logical_pool_xml : default_pool_xml;

        vk_golden_random_seed(42); /* the same UUID whatever ran before */
        if (vk_storage_pool_def_parse_string(xml, &pool, &err) < 0 ||
            vk_storage_pool_def_fill_defaults(pool, vk_golden_random, &err) < 0)
                fail_msg("%s", err.message);
        return pool;
}

/* Parse @xml as a volume created in its golden pool: defaults of the pool, checked. */
int storage_golden_vol_parse(bool logical, const char *xml, VkStorageVolDef **ret, VkError *err) {
        g_autoptr(VkStoragePoolDef) pool = storage_golden_pool(logical);
        g_autoptr(VkStorageVolDef) vol = NULL;
        int r;

        r = vk_storage_vol_def_parse_string(xml, &vol, err);
        if (r < 0)
                return r;
        r = vk_storage_vol_def_fill_defaults(vol, pool, err);
        if (r < 0)
                return r;
        r = vk_storage_vol_def_check_new(vol, pool, err);
        if (r < 0)
                return r;
        *ret = g_steal_pointer(&vol);
        return 0;
}

/* @dir/NAME.xml as created (the test fails when it does not parse). */
VkStorageVolDef *storage_golden_vol_load(const char *dir, const char *name, bool logical) {
        g_autofree char *path = g_strdup_printf("%s/%s.xml", dir, name);
        g_autofree char *xml = vk_golden_read(path);
        g_auto(VkError) err = VK_ERROR_INIT;
        VkStorageVolDef *vol = NULL;

        assert_non_null(xml);
        if (storage_golden_vol_parse(logical, xml, &vol, &err) < 0)
                fail_msg("%s: %s", name, err.message);
        return vol;
}

/* The NAMEs of the valid inputs of @dir (NAME.xml without a NAME.err), sorted. */
GPtrArray *storage_golden_inputs(const char *dir) {
        return vk_golden_inputs(dir);
}

/* Compare @got with the golden @path (see vk_golden_check()). */
void storage_golden_check(const char *path, const char *got) {
        vk_golden_check(path, got);
}
