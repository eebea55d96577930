/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* image-chain.c: an image's backing chain, layer by layer, read from the headers */
#include <assert.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "image-chain.h"
#include "image-probe.h"

/* Free one layer of vk_image_chain_walk()'s result; takes NULL. */
void vk_image_chain_layer_free(VkImageChainLayer *l) {
        if (!l)
                return;
        g_free(l->path);
        g_free(l->data_file);
        g_free(l->warning);
        g_free(l);
}

/* @name (from @child's header) as a path: relative names live in @child's directory. */
static char *chain_resolve(const char *child, const char *name) {
        g_autofree char *dir = NULL;

        if (name[0] == '/')
                return g_strdup(name);
        dir = g_path_get_dirname(child);
        return g_build_filename(dir, name, NULL);
}

/* Open @path read-only without following it into a FIFO or a terminal; stat it. */
static int chain_open(const char *path, struct stat *st, uint64_t *ret_size, VkError *reterr) {
        vk_autofd fd = -1;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return vk_error_set_errno(reterr, errno, "Failed to open image '%s'", path);
        if (fstat(fd, st) < 0)
                return vk_error_set_errno(reterr, errno, "Failed to stat image '%s'", path);
        if (S_ISREG(st->st_mode))
                *ret_size = (uint64_t) st->st_size;
        else if (S_ISBLK(st->st_mode)) {
                uint64_t size = 0;

                if (ioctl(fd, BLKGETSIZE64, &size) < 0)
                        return vk_error_set_errno(reterr, errno, "Failed to get the size of '%s'",
                                                  path);
                *ret_size = size;
        } else
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "image '%s' is neither a file nor a block device", path);
        return vk_steal_fd(&fd);
}

/*
 * Walk the backing chain of the image @path, read from each image's header: *@ret_layers gets
 * the layers, the top first (VkImageChainLayer; the caller unrefs the array). @format is the
 * top's format when known (the domain XML's, the volume's), or _VK_IMAGE_FORMAT_INVALID to
 * probe it. A backing file's format comes from its child's header; when the header does not
 * record it, it is probed, and such a layer may only be one without a backing file of its
 * own (raw, mostly): guessing is how a guest-written raw image could pass for a qcow2 naming
 * a host file. Relative backing names resolve against the child's directory, as QEMU does.
 *
 * Errors (each naming the image): a layer that cannot be opened, a format that differs from
 * the recorded one, a loop (the same inode twice), more than @max_depth layers (0:
 * VK_IMAGE_CHAIN_MAX), a backing store on the network, an encrypted qcow (AES). Reads a few
 * kilobytes per layer; cheap enough for the loop on local files.
 */
int vk_image_chain_walk(const char *path, VkImageFormat format, unsigned max_depth,
                        GPtrArray **ret_layers, VkError *reterr) {
        g_autoptr(GPtrArray) layers =
                g_ptr_array_new_with_free_func((GDestroyNotify) vk_image_chain_layer_free);
        g_autoptr(GHashTable) seen = g_hash_table_new_full(g_bytes_hash, g_bytes_equal,
                                                           (GDestroyNotify) g_bytes_unref, NULL);
        g_autofree char *cur = g_strdup(path);
        bool probed = (int) format < 0;

        assert(path && ret_layers);
        if (max_depth == 0)
                max_depth = VK_IMAGE_CHAIN_MAX;

        for (;;) {
                g_auto(VkImageProbe) probe = {};
                g_autoptr(VkImageChainLayer) layer = g_new0(VkImageChainLayer, 1);
                struct stat st;
                uint64_t size = 0, key[2];
                vk_autofd fd = -1;
                int r;

                if (layers->len >= max_depth)
                        return vk_error_set(reterr, VK_ERROR_LIMIT_EXCEEDED, -ELOOP,
                                            "backing chain of '%s' is deeper than %u images "
                                            "(at '%s')",
                                            path, max_depth, cur);
                fd = chain_open(cur, &st, &size, reterr);
                if (fd < 0)
                        return fd;
                key[0] = (uint64_t) st.st_dev;
                key[1] = (uint64_t) st.st_ino;
                if (!g_hash_table_add(seen, g_bytes_new(key, sizeof(key))))
                        return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -ELOOP,
                                            "backing chain of '%s' loops: '%s' is in it twice",
                                            path, cur);
                r = vk_image_probe_fd(fd, size, &probe);
                if (r < 0)
                        return vk_error_set_errno(reterr, r, "Failed to read image '%s'", cur);

                layer->path = g_strdup(cur);
                layer->is_block = S_ISBLK(st.st_mode);
                layer->format_probed = probed;
                layer->format = probed ? probe.format : format;
                layer->warning = g_steal_pointer(&probe.warning);
                if (!probed && format != probe.format && vk_image_format_has_backing(format))
                        return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                            "image '%s' is not of format '%s' (its header says "
                                            "'%s')",
                                            cur, vk_image_format_to_string(format),
                                            vk_image_format_to_string(probe.format));
                if (!vk_image_format_has_backing(layer->format)) {
                        /* raw and friends: nothing below; a raw size is the file's */
                        layer->has_capacity = true;
                        layer->capacity = layer->format == probe.format && probe.has_capacity
                                                  ? probe.capacity
                                                  : size;
                        g_ptr_array_add(layers, g_steal_pointer(&layer));
                        break;
                }
                layer->has_capacity = probe.has_capacity;
                layer->capacity = probe.capacity;
                if (probe.crypt == VK_IMAGE_PROBE_CRYPT_AES)
                        return vk_error_set(reterr, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                            "image '%s' uses the legacy qcow AES encryption, "
                                            "which QEMU no longer opens",
                                            cur);
                if (probe.data_file)
                        layer->data_file = chain_resolve(cur, probe.data_file);
                if (!probe.backing) {
                        g_ptr_array_add(layers, g_steal_pointer(&layer));
                        break;
                }
                if (probed)
                        return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                            "image '%s' has no recorded format and looks like "
                                            "'%s' with the backing file '%s': refusing to "
                                            "guess (record it with qemu-img rebase -F)",
                                            cur, vk_image_format_to_string(probe.format),
                                            probe.backing);
                if (vk_image_backing_is_remote(probe.backing))
                        return vk_error_set(reterr, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                            "image '%s': the backing store '%s' is not a local "
                                            "file",
                                            cur, probe.backing);
                g_ptr_array_add(layers, g_steal_pointer(&layer));
                g_free(cur);
                cur = chain_resolve(((VkImageChainLayer *) layers->pdata[layers->len - 1])->path,
                                    probe.backing);
                probed = !probe.has_backing_format;
                format = probed ? _VK_IMAGE_FORMAT_INVALID : probe.backing_format;
        }
        *ret_layers = g_steal_pointer(&layers);
        return 0;
}
