/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* image-chain.h: an image's backing chain, layer by layer, read from the headers */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

#include "error.h"
#include "image-format.h"

typedef struct VkImageChainLayer {
        char *path;           /* as opened: relative names resolved against the child's dir */
        VkImageFormat format; /* raw when nothing matched */
        bool format_probed;   /* no one recorded the format: it was read from the header */
        bool is_block;        /* a block device rather than a file */
        bool has_capacity;
        uint64_t capacity;
        char *data_file; /* qcow2's external data file, resolved; NULL: none */
        char *warning;   /* what the header did not tell; NULL: none */
} VkImageChainLayer;

int vk_image_chain_walk(const char *path, VkImageFormat format, unsigned max_depth,
                        GPtrArray **ret_layers, VkError *reterr);
void vk_image_chain_layer_free(VkImageChainLayer *l);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(VkImageChainLayer, vk_image_chain_layer_free)
