/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fuzz-storage-probe.c: libFuzzer target for the image header probe */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "image-probe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Any bytes are an image: the probe never fails on them, and what it says is bounded. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        g_auto(VkImageProbe) p = {};

        if (vk_image_probe_buffer(data, size, &p) < 0)
                __builtin_trap();
        if (p.backing && strlen(p.backing) > VK_IMAGE_PROBE_NAME_MAX)
                __builtin_trap();
        if (p.data_file && strlen(p.data_file) > VK_IMAGE_PROBE_NAME_MAX)
                __builtin_trap();
        if (p.format < 0 || p.format >= _VK_IMAGE_FORMAT_MAX)
                __builtin_trap();
        return 0;
}
