/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-media.c: the medium of a CD-ROM or floppy drive: which disk, what it becomes */
#include <assert.h>
#include <string.h>

#include "macro.h"
#include "qemu-media.h"

static const char *const media_action_table[_VK_QEMU_MEDIA_ACTION_MAX] = {
        [VK_QEMU_MEDIA_CHANGE] = "change",
        [VK_QEMU_MEDIA_EJECT] = "eject",
        [VK_QEMU_MEDIA_INSERT] = "insert",
        [VK_QEMU_MEDIA_UPDATE] = "update",
};

const char *vk_qemu_media_action_to_string(VkQemuMediaAction a) {
        if (a < 0 || a >= _VK_QEMU_MEDIA_ACTION_MAX)
                return NULL;
        return media_action_table[a];
}

VkQemuMediaAction vk_qemu_media_action_from_string(const char *s) {
        for (int i = 0; s && i < _VK_QEMU_MEDIA_ACTION_MAX; i++)
                if (g_str_equal(s, media_action_table[i]))
                        return i;
        return _VK_QEMU_MEDIA_ACTION_INVALID;
}

/*
 * The disk of @def that @name names, as libvirt's virDomainDiskByName: its target ("hdc"), else
 * the disk whose source is the path @name; it must be a cdrom or a floppy. Returns 0 with
 * *@ret_index, or -ENOENT / -EINVAL with an error naming @name.
 */
int vk_qemu_media_find_disk(const VkDomainDef *def, const char *name, size_t *ret_index,
                            VkError *reterr) {
        const VkDomainDisk *disk = NULL;
        size_t at = 0;

        assert(def);
        assert(ret_index);

        for (size_t i = 0; name && !disk && i < def->n_disks; i++)
                if (g_strcmp0(def->disks[i]->target_dev, name) == 0) {
                        disk = def->disks[i];
                        at = i;
                }
        for (size_t i = 0; name && !disk && i < def->n_disks; i++)
                if (g_strcmp0(def->disks[i]->src_path, name) == 0) {
                        disk = def->disks[i];
                        at = i;
                }
        if (!disk)
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -ENOENT,
                                    "No disk found whose source path or target is %s",
                                    vk_strempty(name));
        if (disk->device != VK_DISK_DEVICE_CDROM && disk->device != VK_DISK_DEVICE_FLOPPY)
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "disk '%s' is not a cdrom or floppy",
                                    vk_strempty(disk->target_dev));
        *ret_index = at;
        return 0;
}

/*
 * Whether @action with @source (NULL: none) may change @disk, with virsh's messages: an eject
 * needs a medium, an insert an empty drive and a source; a volume disk is refused (its medium
 * is storaged's). Returns 0 or -EINVAL.
 */
int vk_qemu_media_check(const VkDomainDisk *disk, VkQemuMediaAction action, const char *source,
                        VkError *reterr) {
        const char *target = vk_strempty(disk->target_dev);

        if (source && (!g_path_is_absolute(source) || strchr(source, '\n')))
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "disk '%s': source '%s' must be an absolute path", target,
                                    source);
        if (disk->type == VK_DISK_TYPE_VOLUME)
                return vk_error_set(reterr, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                    "disk '%s': the medium of a type='volume' disk cannot be "
                                    "changed (its source is a storage volume)",
                                    target);
        switch (action) {
        case VK_QEMU_MEDIA_EJECT:
                if (source)
                        return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                            "disk '%s': an eject takes no source", target);
                if (!disk->src_path)
                        return vk_error_set(reterr, VK_ERROR_OPERATION_INVALID, -EINVAL,
                                            "The disk device '%s' doesn't have media", target);
                return 0;
        case VK_QEMU_MEDIA_INSERT:
                if (!source)
                        return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                            "No disk source specified for inserting media");
                if (disk->src_path)
                        return vk_error_set(reterr, VK_ERROR_OPERATION_INVALID, -EINVAL,
                                            "The disk device '%s' already has media", target);
                return 0;
        case VK_QEMU_MEDIA_CHANGE:
        case VK_QEMU_MEDIA_UPDATE:
                return 0;
        default:
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "disk '%s': unknown media action", target);
        }
}

/*
 * Give @disk the medium @source (NULL: none): type='block' for a block device (@block), else
 * type='file'; the backing chain of the old medium is forgotten (the new one is opened as
 * <driver type=> says, its chain unknown).
 */
void vk_qemu_media_set_source(VkDomainDisk *disk, const char *source, bool block) {
        assert(disk);

        g_free(disk->src_path);
        disk->src_path = g_strdup(source);
        disk->type = source && block ? VK_DISK_TYPE_BLOCK : VK_DISK_TYPE_FILE;
        vk_domain_disk_backing_clear(disk);
}
