/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* secret-store.h: secret definitions and values on disk, values encrypted with AES-256-GCM */
#pragma once

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "error.h"
#include "secret-def.h"
#include "uuid.h"

/* The systemd credential (and the file in lib_dir) holding the 32-byte encryption key. */
#define VK_SECRET_KEY_NAME "secrets-encryption-key"
#define VK_SECRET_KEY_SIZE 32
/* The largest value a secret may hold. */
#define VK_SECRET_VALUE_MAX (64 * 1024)

/* A secret value in memory; vk_secret_value_free() wipes it. */
typedef struct VkSecretValue {
        uint8_t *data;
        size_t len;
} VkSecretValue;

VkSecretValue *vk_secret_value_new(const void *data, size_t len);
VkSecretValue *vk_secret_value_free(VkSecretValue *v);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(VkSecretValue, vk_secret_value_free)

typedef enum VkSecretKeySource {
        VK_SECRET_KEY_SOURCE_CREDENTIAL, /* $CREDENTIALS_DIRECTORY/secrets-encryption-key */
        VK_SECRET_KEY_SOURCE_FILE,       /* lib_dir/secrets-encryption-key, from an earlier start */
        VK_SECRET_KEY_SOURCE_GENERATED,  /* generated now and saved in lib_dir */
        _VK_SECRET_KEY_SOURCE_MAX,
        _VK_SECRET_KEY_SOURCE_INVALID = -EINVAL,
} VkSecretKeySource;

const char *vk_secret_key_source_to_string(VkSecretKeySource s);
VkSecretKeySource vk_secret_key_source_from_string(const char *s);

typedef struct VkSecretStore VkSecretStore;

int vk_secret_store_new(const char *config_dir, const char *lib_dir, const char *credentials_dir,
                        VkSecretStore **ret_store, VkError *reterr);
VkSecretStore *vk_secret_store_free(VkSecretStore *s);
VkSecretKeySource vk_secret_store_get_key_source(const VkSecretStore *s);
char *vk_secret_store_def_path(const VkSecretStore *s, const VkUuid *uuid);
char *vk_secret_store_value_path(const VkSecretStore *s, const VkUuid *uuid);

int vk_secret_store_load_defs(VkSecretStore *s, GPtrArray **ret_defs, GPtrArray **ret_warnings,
                              VkError *reterr);
int vk_secret_store_save_def(VkSecretStore *s, const VkSecretDef *def, VkError *reterr);
int vk_secret_store_remove(VkSecretStore *s, const VkUuid *uuid, VkError *reterr);

int vk_secret_store_has_value(VkSecretStore *s, const VkUuid *uuid);
int vk_secret_store_write_value(VkSecretStore *s, const VkUuid *uuid, const VkSecretValue *value,
                                VkError *reterr);
int vk_secret_store_read_value(VkSecretStore *s, const VkUuid *uuid, VkSecretValue **ret_value,
                               VkError *reterr);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(VkSecretStore, vk_secret_store_free)
