/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* secret-def.h: libvirt's secret XML: the definition model, parse and format */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>

#include <glib.h>

#include "error.h"
#include "uuid.h"

/* Secret XML documents larger than this are refused before they are parsed. */
#define VK_SECRET_XML_MAX (64 * 1024)

typedef enum VkSecretUsageType {
        VK_SECRET_USAGE_NONE,   /* no <usage>: not tied to any object */
        VK_SECRET_USAGE_VOLUME, /* <volume>: path of an encrypted volume */
        VK_SECRET_USAGE_CEPH,   /* <name>: ceph client name */
        VK_SECRET_USAGE_ISCSI,  /* <target>: iSCSI target */
        VK_SECRET_USAGE_TLS,    /* <name>: TLS credential name */
        VK_SECRET_USAGE_VTPM,   /* <name>: vTPM state encryption */
        _VK_SECRET_USAGE_MAX,
        _VK_SECRET_USAGE_INVALID = -EINVAL,
} VkSecretUsageType;

const char *vk_secret_usage_type_to_string(VkSecretUsageType t);
VkSecretUsageType vk_secret_usage_type_from_string(const char *s);

typedef struct VkSecretDef {
        VkUuid uuid;
        bool ephemeral;    /* kept in memory only, never on disk */
        bool is_private;   /* the value is never revealed to a client */
        char *description; /* NULL: none */
        VkSecretUsageType usage_type;
        char *usage_id; /* the usage's one child text; NULL for NONE */
} VkSecretDef;

VkSecretDef *vk_secret_def_new(void);
VkSecretDef *vk_secret_def_free(VkSecretDef *def);
VkSecretDef *vk_secret_def_copy(const VkSecretDef *def);
int vk_secret_def_parse_string(const char *xml, VkSecretDef **ret_def, VkError *reterr);
int vk_secret_def_parse_file(const char *path, VkSecretDef **ret_def, VkError *reterr);
char *vk_secret_def_format(const VkSecretDef *def);
void vk_secret_def_set_random_source(void (*fill)(void *buf, size_t len));

G_DEFINE_AUTOPTR_CLEANUP_FUNC(VkSecretDef, vk_secret_def_free)
