/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* api-decl.c: the io.virtkit.Secret parameter, result and event types, errors and signals */
#include <stddef.h>

#include "api-decl.h"
#include "macro.h"

/* The driver's error names (drivers/secret/secret-driver.h), which this file does not link. */
#define SECRET_ERROR_NO_SUCH_SECRET "NoSuchSecret"
#define SECRET_ERROR_NO_VALUE       "NoSecretValue"

static const VkField define_params_fields[] = {
        { "xml", VK_FIELD_STRING, offsetof(VkSecretDefineParams, xml), VK_FIELD_REQUIRED, NULL,
          "libvirt's secret XML" },
        {},
};

const VkStructType vk_secret_define_params_type = {
        .size = sizeof(VkSecretDefineParams),
        .fields = define_params_fields,
};

static const VkField uuid_result_fields[] = {
        { "uuid", VK_FIELD_STRING, offsetof(VkSecretUuidResult, uuid), VK_FIELD_REQUIRED, NULL,
          "The secret's UUID" },
        {},
};

const VkStructType vk_secret_uuid_result_type = {
        .size = sizeof(VkSecretUuidResult),
        .fields = uuid_result_fields,
};

static const VkField secret_params_fields[] = {
        { "secret", VK_FIELD_STRING, offsetof(VkSecretParams, secret), VK_FIELD_REQUIRED, NULL,
          "the secret's UUID" },
        {},
};

const VkStructType vk_secret_params_type = {
        .size = sizeof(VkSecretParams),
        .fields = secret_params_fields,
};

static const VkField list_params_fields[] = {
        { "ephemeral", VK_FIELD_STRING, offsetof(VkSecretListParams, ephemeral), 0, NULL,
          "\"yes\" or \"no\": only secrets with that ephemeral flag" },
        { "private", VK_FIELD_STRING, offsetof(VkSecretListParams, is_private), 0, NULL,
          "\"yes\" or \"no\": only secrets with that private flag" },
        {},
};

const VkStructType vk_secret_list_params_type = {
        .size = sizeof(VkSecretListParams),
        .fields = list_params_fields,
};

static const VkField secret_summary_fields[] = {
        { "uuid", VK_FIELD_STRING, offsetof(VkSecretSummary, uuid), VK_FIELD_REQUIRED, NULL,
          "The secret's UUID" },
        { "usageType", VK_FIELD_STRING, offsetof(VkSecretSummary, usage_type), VK_FIELD_REQUIRED,
          NULL, "none, volume, ceph, iscsi, tls or vtpm" },
        { "usageId", VK_FIELD_STRING, offsetof(VkSecretSummary, usage_id), VK_FIELD_REQUIRED, NULL,
          "volume path or name; empty for none" },
        { "ephemeral", VK_FIELD_BOOL, offsetof(VkSecretSummary, ephemeral), VK_FIELD_REQUIRED, NULL,
          "Whether the secret is kept in memory only" },
        { "private", VK_FIELD_BOOL, offsetof(VkSecretSummary, is_private), VK_FIELD_REQUIRED, NULL,
          "Whether the value can be read back" },
        { "hasValue", VK_FIELD_BOOL, offsetof(VkSecretSummary, has_value), VK_FIELD_REQUIRED, NULL,
          "Whether the secret has a value" },
        {},
};

static const VkStructType secret_summary = {
        .name = "SecretSummary",
        .size = sizeof(VkSecretSummary),
        .doc = "One secret, without its value.",
        .fields = secret_summary_fields,
};

static const VkField list_result_fields[] = {
        { "secrets", VK_FIELD_ARRAY, offsetof(VkSecretListResult, secrets), VK_FIELD_REQUIRED,
          &secret_summary, "The secrets" },
        {},
};

const VkStructType vk_secret_list_result_type = {
        .size = sizeof(VkSecretListResult),
        .fields = list_result_fields,
};

static const VkField lookup_params_fields[] = {
        { "uuid", VK_FIELD_STRING, offsetof(VkSecretLookupParams, uuid), 0, NULL,
          "look up by UUID, or else:" },
        { "usageType", VK_FIELD_STRING, offsetof(VkSecretLookupParams, usage_type), 0, NULL,
          "by usage: volume, ceph, iscsi, tls or vtpm" },
        { "usageId", VK_FIELD_STRING, offsetof(VkSecretLookupParams, usage_id), 0, NULL,
          "and the volume path or name" },
        {},
};

const VkStructType vk_secret_lookup_params_type = {
        .size = sizeof(VkSecretLookupParams),
        .fields = lookup_params_fields,
};

static const VkField lookup_result_fields[] = {
        { "uuid", VK_FIELD_STRING, offsetof(VkSecretLookupResult, uuid), VK_FIELD_REQUIRED, NULL,
          "The secret's UUID" },
        { "usageType", VK_FIELD_STRING, offsetof(VkSecretLookupResult, usage_type),
          VK_FIELD_REQUIRED, NULL, "The secret's usage type, as in its XML" },
        { "usageId", VK_FIELD_STRING, offsetof(VkSecretLookupResult, usage_id), VK_FIELD_REQUIRED,
          NULL, "The usage's identifier" },
        {},
};

const VkStructType vk_secret_lookup_result_type = {
        .size = sizeof(VkSecretLookupResult),
        .fields = lookup_result_fields,
};

static const VkField xml_result_fields[] = {
        { "xml", VK_FIELD_STRING, offsetof(VkSecretXmlResult, xml), VK_FIELD_REQUIRED, NULL,
          "The secret XML" },
        {},
};

const VkStructType vk_secret_xml_result_type = {
        .size = sizeof(VkSecretXmlResult),
        .fields = xml_result_fields,
};

static const VkField set_value_params_fields[] = {
        { "secret", VK_FIELD_STRING, offsetof(VkSecretSetValueParams, secret), VK_FIELD_REQUIRED,
          NULL, "the secret's UUID" },
        { "value", VK_FIELD_STRING, offsetof(VkSecretSetValueParams, value), VK_FIELD_REQUIRED,
          NULL, "the value, base64 (at most 64 KiB decoded)" },
        {},
};

const VkStructType vk_secret_set_value_params_type = {
        .size = sizeof(VkSecretSetValueParams),
        .fields = set_value_params_fields,
};

static const VkField value_result_fields[] = {
        { "value", VK_FIELD_STRING, offsetof(VkSecretValueResult, value), VK_FIELD_REQUIRED, NULL,
          "base64" },
        {},
};

const VkStructType vk_secret_value_result_type = {
        .size = sizeof(VkSecretValueResult),
        .fields = value_result_fields,
};

static const VkField encrypt_params_fields[] = {
        { "secret", VK_FIELD_STRING, offsetof(VkSecretEncryptParams, secret), VK_FIELD_REQUIRED,
          NULL, "the secret's UUID" },
        { "key", VK_FIELD_STRING, offsetof(VkSecretEncryptParams, key), VK_FIELD_REQUIRED, NULL,
          "the domain's master key, base64 of 32 bytes" },
        {},
};

const VkStructType vk_secret_encrypt_params_type = {
        .size = sizeof(VkSecretEncryptParams),
        .fields = encrypt_params_fields,
};

static const VkField encrypt_result_fields[] = {
        { "ciphertext", VK_FIELD_STRING, offsetof(VkSecretEncryptResult, ciphertext),
          VK_FIELD_REQUIRED, NULL,
          "the value, AES-256-CBC with PKCS#7 padding under the key, base64" },
        { "iv", VK_FIELD_STRING, offsetof(VkSecretEncryptResult, iv), VK_FIELD_REQUIRED, NULL,
          "the random 16-byte IV, base64" },
        {},
};

const VkStructType vk_secret_encrypt_result_type = {
        .size = sizeof(VkSecretEncryptResult),
        .fields = encrypt_result_fields,
};

static const VkField volume_params_fields[] = {
        { "secret", VK_FIELD_STRING, offsetof(VkSecretVolumeParams, secret), 0, NULL,
          "the secret's UUID, or else:" },
        { "volume", VK_FIELD_STRING, offsetof(VkSecretVolumeParams, volume), 0, NULL,
          "the volume's path: the secret of usage type volume with that id" },
        {},
};

const VkStructType vk_secret_volume_params_type = {
        .size = sizeof(VkSecretVolumeParams),
        .fields = volume_params_fields,
};

static const VkField event_fields[] = {
        { "uuid", VK_FIELD_STRING, offsetof(VkSecretEventArgs, uuid), VK_FIELD_REQUIRED, NULL,
          "The secret's UUID" },
        { "usageType", VK_FIELD_STRING, offsetof(VkSecretEventArgs, usage_type), VK_FIELD_REQUIRED,
          NULL, "none, volume, ceph, iscsi, tls or vtpm" },
        { "usageId", VK_FIELD_STRING, offsetof(VkSecretEventArgs, usage_id), VK_FIELD_REQUIRED,
          NULL, "volume path or name; empty for none" },
        { "event", VK_FIELD_STRING, offsetof(VkSecretEventArgs, event), VK_FIELD_REQUIRED, NULL,
          "defined, undefined or value-changed" },
        {},
};

const VkStructType vk_secret_event_type = {
        .size = sizeof(VkSecretEventArgs),
        .fields = event_fields,
};

const VkErrorDecl vk_secret_errors[] = {
        { SECRET_ERROR_NO_SUCH_SECRET, VK_STRV("secret"), "No secret with that UUID or usage." },
        { SECRET_ERROR_NO_VALUE, VK_STRV("secret"), "The secret has no value yet." },
        {},
};

const VkSignal vk_secret_signals[] = {
        { "SecretEvent", &vk_secret_event_type,
          "A secret was defined, undefined or got a new value (ephemeral ones too)" },
        {},
};
