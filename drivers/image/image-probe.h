/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* image-probe.h: what an image's header says (format, size, backing file), in-process */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <glib.h>

#include "error.h"
#include "image-format.h"

/* qcow2 and qcow cap a backing file name at 1023 bytes; so do we, for every format. */
#define VK_IMAGE_PROBE_NAME_MAX 1023

typedef enum VkImageProbeCrypt {
        VK_IMAGE_PROBE_CRYPT_NONE,
        VK_IMAGE_PROBE_CRYPT_AES, /* qcow's legacy AES-CBC: qemu refuses to open it */
        VK_IMAGE_PROBE_CRYPT_LUKS,
        _VK_IMAGE_PROBE_CRYPT_MAX,
        _VK_IMAGE_PROBE_CRYPT_INVALID = -EINVAL,
} VkImageProbeCrypt;

typedef struct VkImageProbe {
        VkImageFormat format; /* raw when no header matched */
        bool has_capacity;    /* false: the header is cut short or unreadable */
        uint64_t capacity;    /* the virtual size, bytes */
        char *backing;        /* as written in the header (relative, or a URL); NULL: none */
        bool has_backing_format;
        VkImageFormat backing_format;
        char *data_file;       /* qcow2's external data file, as written; NULL: none */
        unsigned version;      /* qcow2: 2 or 3 */
        unsigned cluster_bits; /* qcow2, qed */
        bool lazy_refcounts;
        VkImageProbeCrypt crypt;
        char *warning; /* what could not be read ("truncated qcow2 header"); NULL: none */
} VkImageProbe;

/* Read up to @len bytes at @offset; returns the bytes read (0 past the end) or -errno. */
typedef ssize_t (*VkImageReadFn)(void *userdata, uint64_t offset, void *buf, size_t len);

int vk_image_probe(VkImageReadFn read_fn, void *userdata, uint64_t file_size, VkImageProbe *ret);
int vk_image_probe_buffer(const void *buf, size_t len, VkImageProbe *ret);
int vk_image_probe_fd(int fd, uint64_t file_size, VkImageProbe *ret);
void vk_image_probe_done(VkImageProbe *p);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(VkImageProbe, vk_image_probe_done)
