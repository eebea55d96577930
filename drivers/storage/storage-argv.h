/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* storage-argv.h: the command lines of qemu-img, mount, mkfs and LVM for pools and volumes */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

#include "error.h"
#include "storage-def.h"

/*
 * Where the programs are (children get an empty environment: no PATH). mkfs_dir holds
 * mkfs.<type>; every LVM command runs through the multi-call binary lvm ("lvm vgcreate ...").
 */
typedef struct VkStorageTools {
        const char *qemu_img;
        const char *mount;
        const char *umount;
        const char *mkfs_dir;
        const char *lvm;
        const char *dd;
} VkStorageTools;

/* The id of the passphrase's secret object on qemu-img's command line. */
#define VK_STORAGE_SECRET_ID "sec0"
/* Where qemu-img reads it: the read end of a pipe the driver filled, passed as fd 3. */
#define VK_STORAGE_SECRET_PATH "/dev/fd/3"
#define VK_STORAGE_SECRET_FD   3

typedef enum VkStorageResizeFlags {
        VK_STORAGE_RESIZE_SHRINK = 1 << 0,   /* a smaller capacity is allowed (data is lost) */
        VK_STORAGE_RESIZE_ALLOCATE = 1 << 1, /* allocate the new space (preallocation=falloc) */
} VkStorageResizeFlags;

/*
 * The volume commands. @secret_path is where qemu-img reads the LUKS passphrase (a path
 * naming a passed fd, "/dev/fd/3"): the passphrase itself is never on a command line. It
 * must be given for encrypted volumes, and NULL otherwise.
 */
int vk_storage_qemu_img_create_argv(const VkStorageTools *tools, const VkStorageVolDef *vol,
                                    const char *secret_path, char ***ret_argv, VkError *reterr);
int vk_storage_qemu_img_convert_argv(const VkStorageTools *tools, const VkStorageVolDef *src,
                                     const VkStorageVolDef *dst, const char *secret_path,
                                     char ***ret_argv, VkError *reterr);
int vk_storage_qemu_img_resize_argv(const VkStorageTools *tools, const VkStorageVolDef *vol,
                                    uint64_t capacity, unsigned flags, const char *secret_path,
                                    char ***ret_argv, VkError *reterr);

int vk_storage_qemu_img_wipe_argv(const VkStorageTools *tools, const VkStorageVolDef *vol,
                                  const char *secret_path, char ***ret_argv, VkError *reterr);
char **vk_storage_dd_argv(const VkStorageTools *tools, const char *path, bool upload,
                          uint64_t offset, uint64_t length);

/* fs pools */
int vk_storage_fs_mount_argv(const VkStorageTools *tools, const VkStoragePoolDef *pool,
                             bool source_is_file, char ***ret_argv, VkError *reterr);
char **vk_storage_fs_umount_argv(const VkStorageTools *tools, const VkStoragePoolDef *pool);
int vk_storage_fs_mkfs_argv(const VkStorageTools *tools, const VkStoragePoolDef *pool,
                            bool overwrite, char ***ret_argv, VkError *reterr);

/* logical pools: each returns a list of commands (char **), run in order */
int vk_storage_lvm_build_argv(const VkStorageTools *tools, const VkStoragePoolDef *pool,
                              bool overwrite, GPtrArray **ret_cmds, VkError *reterr);
char **vk_storage_lvm_activate_argv(const VkStorageTools *tools, const VkStoragePoolDef *pool,
                                    bool active);
GPtrArray *vk_storage_lvm_delete_argv(const VkStorageTools *tools, const VkStoragePoolDef *pool);
char **vk_storage_lvm_vgs_argv(const VkStorageTools *tools, const VkStoragePoolDef *pool);
char **vk_storage_lvm_lvs_argv(const VkStorageTools *tools, const VkStoragePoolDef *pool);
int vk_storage_lvm_lvcreate_argv(const VkStorageTools *tools, const VkStoragePoolDef *pool,
                                 const VkStorageVolDef *vol, bool origin_is_thin, char ***ret_argv,
                                 VkError *reterr);
char **vk_storage_lvm_lvremove_argv(const VkStorageTools *tools, const VkStoragePoolDef *pool,
                                    const VkStorageVolDef *vol);

/* for the goldens: one argument per line, commands separated by an empty line */
char *vk_storage_argv_to_text(char *const *argv);
char *vk_storage_cmds_to_text(GPtrArray *cmds);
