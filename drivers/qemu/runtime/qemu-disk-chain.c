/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-disk-chain.c: the backing chains of a starting domain's disks, read from the images */
#include <assert.h>

#include "image-chain.h"
#include "macro.h"
#include "qemu-disk-chain.h"

/*
 * Where the chain of @disk continues from: its deepest known image and that image's format.
 * 0: nothing to read (no image, raw, or the chain is already ended).
 */
static int chain_start(const VkDomainDisk *disk, const char **ret_path, VkImageFormat *ret_format) {
        const VkDomainDiskBacking *last;

        if (!disk->src_path || disk->backing_end)
                return 0;
        if (disk->type != VK_DISK_TYPE_FILE && disk->type != VK_DISK_TYPE_BLOCK &&
            disk->type != VK_DISK_TYPE_VOLUME)
                return 0;
        if (disk->n_backing == 0) {
                /* absent means raw, as on the command line: QEMU is never asked to probe */
                if (disk->format != VK_DISK_FORMAT_QCOW2)
                        return 0;
                *ret_path = disk->src_path;
                *ret_format = VK_IMAGE_FORMAT_QCOW2;
                return 1;
        }
        last = &disk->backing[disk->n_backing - 1];
        *ret_path = last->path;
        *ret_format = last->format;
        return 1;
}

static int chain_detect_disk(const VkDomainDef *def, VkDomainDisk *disk, VkError *reterr) {
        g_autoptr(GPtrArray) layers = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        VkImageFormat format;
        const char *path = NULL;
        int r;

        r = chain_start(disk, &path, &format);
        if (r <= 0)
                return r;
        if (!vk_image_format_has_backing(format)) {
                disk->backing_end = true;
                return 0;
        }
        r = vk_image_chain_walk(path, format, VK_IMAGE_CHAIN_MAX - disk->n_backing, &layers, &err);
        if (r < 0)
                return vk_error_set(reterr, err.name, r, "disk '%s' of domain '%s': %s",
                                    vk_strempty(disk->target_dev), def->name, err.message);

        /* layer 0 is the image we started from: the disk's own, or its deepest given layer */
        for (size_t i = 1; i < layers->len; i++) {
                const VkImageChainLayer *l = layers->pdata[i];
                VkDomainDiskBacking *b;

                if (l->format == VK_IMAGE_FORMAT_LUKS)
                        return vk_error_set(reterr, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                            "disk '%s' of domain '%s': the backing image '%s' is "
                                            "LUKS-encrypted, which needs a secret of its own",
                                            vk_strempty(disk->target_dev), def->name, l->path);
                if (l->data_file)
                        return vk_error_set(reterr, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                            "disk '%s' of domain '%s': the backing image '%s' "
                                            "has an external data file '%s', which is not "
                                            "supported",
                                            vk_strempty(disk->target_dev), def->name, l->path,
                                            l->data_file);
                disk->backing = g_renew(VkDomainDiskBacking, disk->backing, disk->n_backing + 1);
                b = &disk->backing[disk->n_backing++];
                b->type = l->is_block ? VK_DISK_TYPE_BLOCK : VK_DISK_TYPE_FILE;
                /* an ISO 9660 image is raw to QEMU, as libvirt has it */
                b->format = l->format == VK_IMAGE_FORMAT_ISO ? VK_IMAGE_FORMAT_RAW : l->format;
                b->path = g_strdup(l->path);
        }
        disk->backing_end = true;
        return 0;
}

/*
 * Complete the backing chain of every disk of @def (a starting domain's live copy: volume
 * disks already resolved to paths) from the image headers (drivers/image), so that QEMU
 * gets every layer as a node of its own and the security stack labels each. A chain the XML
 * gives (<backingStore>) is honoured: an ended one is not read, an open one is read from
 * its deepest layer on. Only qcow2 images are read: a raw image has nothing below it.
 *
 * Fails, naming the disk, the domain and the image, on a missing or unreadable layer, a
 * loop, more than VK_IMAGE_CHAIN_MAX images, a backing store on the network, a LUKS-encrypted
 * backing image or one with an external data file; @def may then hold part of a chain (the
 * caller drops the copy). Reads a few kilobytes per image, on the loop.
 */
int vk_qemu_disk_chains_detect(VkDomainDef *def, VkError *reterr) {
        assert(def);

        for (size_t i = 0; i < def->n_disks; i++) {
                int r = chain_detect_disk(def, def->disks[i], reterr);
                if (r < 0)
                        return r;
        }
        return 0;
}
