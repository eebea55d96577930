/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* storage-probe.h: what an image's header says (format, size, backing file), in-process */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"
#include "storage-def.h"

/* qcow2 and qcow cap a backing file name at 1023 bytes; so do we, for every format. */
#define VK_STORAGE_PROBE_NAME_MAX 1023

typedef enum VkStorageProbeCrypt {
        VK_STORAGE_PROBE_CRYPT_NONE,
        VK_STORAGE_PROBE_CRYPT_AES, /* qcow's legacy AES-CBC: qemu refuses to open it */
        VK_STORAGE_PROBE_CRYPT_LUKS,
        _VK_STORAGE_PROBE_CRYPT_MAX,
        _VK_STORAGE_PROBE_CRYPT_INVALID = -EINVAL,
} VkStorageProbeCrypt;

typedef struct VkStorageProbe {
        VkStorageFormat format; /* raw when no header matched */
        bool has_capacity;      /* false: the header is cut short or unreadable */
        uint64_t capacity;      /* the virtual size, bytes */
        char *backing;          /* as written in the header (relative, or a URL); NULL: none */
        bool has_backing_format;
        VkStorageFormat backing_format;
        char *data_file;       /* qcow2's external data file, as written; NULL: none */
        unsigned version;      /* qcow2: 2 or 3 */
        unsigned cluster_bits; /* qcow2, qed */
        bool lazy_refcounts;
        VkStorageProbeCrypt crypt;
        char *warning; /* what could not be read ("truncated qcow2 header"); NULL: none */
} VkStorageProbe;

/* Read up to @len bytes at @offset; returns the bytes read (0 past the end) or -errno. */
typedef ssize_t (*VkStorageReadFn)(void *userdata, uint64_t offset, void *buf, size_t len);

int vk_storage_probe(VkStorageReadFn read_fn, void *userdata, uint64_t file_size,
                     VkStorageProbe *ret);
int vk_storage_probe_buffer(const void *buf, size_t len, VkStorageProbe *ret);
int vk_storage_probe_fd(int fd, uint64_t file_size, VkStorageProbe *ret);
void vk_storage_probe_done(VkStorageProbe *p);
bool vk_storage_format_has_backing(VkStorageFormat f);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(VkStorageProbe, vk_storage_probe_done)
