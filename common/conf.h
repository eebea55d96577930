/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* conf.h: parser for libvirt's configuration file syntax (qemu.conf and friends) */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "error.h"

/* Limits: every input bigger than these is refused with an error, never truncated. */
#define VK_CONF_MAX_FILE_SIZE  (1024 * 1024)
#define VK_CONF_MAX_LIST_LEN   4096
#define VK_CONF_MAX_STRING_LEN (64 * 1024)

typedef enum VkConfFlags {
        VK_CONF_ALLOW_MISSING = 1 << 0, /* a file that does not exist reads as empty */
} VkConfFlags;

typedef struct VkConf VkConf;

int vk_conf_parse_string(const char *text, size_t len, const char *filename, VkConf **ret_conf,
                         VkError *reterr);
int vk_conf_parse_file(const char *path, VkConfFlags flags, VkConf **ret_conf, VkError *reterr);
VkConf *vk_conf_free(VkConf *conf);

const char *vk_conf_get_filename(const VkConf *conf);

int vk_conf_get_string(const VkConf *conf, const char *key, char **ret_value, VkError *reterr);
int vk_conf_get_int(const VkConf *conf, const char *key, int64_t *ret_value, VkError *reterr);
int vk_conf_get_uint(const VkConf *conf, const char *key, uint64_t *ret_value, VkError *reterr);
int vk_conf_get_bool(const VkConf *conf, const char *key, bool *ret_value, VkError *reterr);
int vk_conf_get_strv(const VkConf *conf, const char *key, char ***ret_strv, VkError *reterr);

int vk_conf_get_keys(const VkConf *conf, char ***ret_keys);
int vk_conf_check_keys(const VkConf *conf, const char *const *known, VkError *reterr);
int vk_conf_error(const VkConf *conf, const char *key, VkError *reterr, const char *fmt, ...)
        G_GNUC_PRINTF(4, 5);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(VkConf, vk_conf_free)
