/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fuzz-conf.c: libFuzzer target for the qemu.conf parser and its typed getters */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "conf.h"
#include "macro.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every getter on every key: each must either succeed or fail with a message, never crash. */
static void fuzz_conf_get_all(const VkConf *conf) {
        g_auto(GStrv) keys = NULL;
        int n;

        n = vk_conf_get_keys(conf, &keys);
        for (int i = 0; i < n; i++) {
                g_autofree char *s = NULL;
                g_auto(GStrv) strv = NULL;
                g_auto(VkError) e1 = VK_ERROR_INIT;
                g_auto(VkError) e2 = VK_ERROR_INIT;
                g_auto(VkError) e3 = VK_ERROR_INIT;
                g_auto(VkError) e4 = VK_ERROR_INIT;
                g_auto(VkError) e5 = VK_ERROR_INIT;
                g_auto(VkError) e6 = VK_ERROR_INIT;
                int64_t iv;
                uint64_t uv;
                bool bv;

                if (vk_conf_get_string(conf, keys[i], &s, &e1) < 0 && !e1.message)
                        __builtin_trap();
                if (vk_conf_get_int(conf, keys[i], &iv, &e2) < 0 && !e2.message)
                        __builtin_trap();
                if (vk_conf_get_uint(conf, keys[i], &uv, &e3) < 0 && !e3.message)
                        __builtin_trap();
                if (vk_conf_get_bool(conf, keys[i], &bv, &e4) < 0 && !e4.message)
                        __builtin_trap();
                if (vk_conf_get_strv(conf, keys[i], &strv, &e5) < 0 && !e5.message)
                        __builtin_trap();
                (void) vk_conf_error(conf, keys[i], &e6, "fuzz %d", i);
        }

        (void) vk_conf_check_keys(conf, VK_STRV("user", "group", "cgroup_device_acl"), NULL);
        (void) vk_conf_get_filename(conf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        g_autoptr(VkConf) conf = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        int r;

        r = vk_conf_parse_string((const char *) data, size, "fuzz.conf", &conf, &err);
        if (r < 0) {
                /* a failure always says why, and never leaves a half-built object behind */
                if (!err.message || conf)
                        __builtin_trap();
                return 0;
        }

        fuzz_conf_get_all(conf);
        return 0;
}
