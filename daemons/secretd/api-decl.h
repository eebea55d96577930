/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* api-decl.h: the io.virtkit.Secret methods, declared once for every front door serving them */
#pragma once

#include <stdbool.h>

#include "method.h"

/*
 * virtkit-secretd answers these methods itself (daemons/secretd/api.c); virtkit-qemud answers
 * them too, by forwarding each call to secretd (daemons/qemud/secret-forward.c). Both build
 * their method table from the one list below, so name, parameters, result, authorisation and
 * documentation cannot differ between the two front doors: only the handler does.
 *
 * VK_SECRET_METHODS(M) expands M(name, handler, in, out, auth, flags, doc) once per method
 * any front door may serve. VK_SECRET_LOCAL_METHODS(M) lists those only secretd itself
 * answers and that are never forwarded: EncryptSecretForDomain and GetSecretValueForVolume
 * trust the uid of the peer on secretd's socket, which a forwarding daemon (root) would turn
 * into its own.
 */

typedef struct VkSecretDefineParams {
        char *xml;
} VkSecretDefineParams;

typedef struct VkSecretUuidResult {
        char *uuid;
} VkSecretUuidResult;

typedef struct VkSecretParams {
        char *secret;
} VkSecretParams;

typedef struct VkSecretListParams {
        char *ephemeral;
        char *is_private;
} VkSecretListParams;

typedef struct VkSecretSummary {
        char *uuid;
        char *usage_type;
        char *usage_id;
        bool ephemeral;
        bool is_private;
        bool has_value;
} VkSecretSummary;

typedef struct VkSecretListResult {
        VkArray secrets; /* of VkSecretSummary */
} VkSecretListResult;

typedef struct VkSecretLookupParams {
        char *uuid;
        char *usage_type;
        char *usage_id;
} VkSecretLookupParams;

typedef struct VkSecretLookupResult {
        char *uuid;
        char *usage_type;
        char *usage_id;
} VkSecretLookupResult;

typedef struct VkSecretXmlResult {
        char *xml;
} VkSecretXmlResult;

typedef struct VkSecretSetValueParams {
        char *secret;
        char *value;
} VkSecretSetValueParams;

typedef struct VkSecretValueResult {
        char *value;
} VkSecretValueResult;

typedef struct VkSecretEncryptParams {
        char *secret;
        char *key;
} VkSecretEncryptParams;

typedef struct VkSecretVolumeParams {
        char *secret;
        char *volume;
} VkSecretVolumeParams;

typedef struct VkSecretEncryptResult {
        char *ciphertext;
        char *iv;
} VkSecretEncryptResult;

/* One change of a secret: a SubscribeEvents reply and the SecretEvent signal. */
typedef struct VkSecretEventArgs {
        char *uuid;
        char *usage_type;
        char *usage_id;
        char *event;
} VkSecretEventArgs;

extern const VkStructType vk_secret_define_params_type;
extern const VkStructType vk_secret_uuid_result_type;
extern const VkStructType vk_secret_params_type;
extern const VkStructType vk_secret_list_params_type;
extern const VkStructType vk_secret_list_result_type;
extern const VkStructType vk_secret_lookup_params_type;
extern const VkStructType vk_secret_lookup_result_type;
extern const VkStructType vk_secret_xml_result_type;
extern const VkStructType vk_secret_set_value_params_type;
extern const VkStructType vk_secret_value_result_type;
extern const VkStructType vk_secret_encrypt_params_type;
extern const VkStructType vk_secret_encrypt_result_type;
extern const VkStructType vk_secret_volume_params_type;
extern const VkStructType vk_secret_event_type;

/* The errors of io.virtkit.Secret (the driver's own, beyond the common ones). */
extern const VkErrorDecl vk_secret_errors[];
/* The D-Bus signal of io.virtkit.Secret1.Manager: SecretEvent. */
extern const VkSignal vk_secret_signals[];

#define VK_SECRET_METHODS(M)                                                                       \
        M("DefineSecret", define_secret, &vk_secret_define_params_type,                            \
          &vk_secret_uuid_result_type, VK_AUTH_MANAGE, 0,                                          \
          "Define a secret from libvirt's secret XML, or update the one with its UUID.")           \
        M("UndefineSecret", undefine_secret, &vk_secret_params_type, NULL, VK_AUTH_MANAGE, 0,      \
          "Forget a secret, its definition and its value.")                                        \
        M("ListSecrets", list_secrets, &vk_secret_list_params_type, &vk_secret_list_result_type,   \
          VK_AUTH_READ, 0, "The secrets, sorted by UUID, optionally filtered by their flags.")     \
        M("LookupSecret", lookup_secret, &vk_secret_lookup_params_type,                            \
          &vk_secret_lookup_result_type, VK_AUTH_READ, 0,                                          \
          "Find a secret by UUID, or by usage type and id.")                                       \
        M("GetSecretXML", get_secret_xml, &vk_secret_params_type, &vk_secret_xml_result_type,      \
          VK_AUTH_READ, 0, "A secret's definition as libvirt's secret XML.")                       \
        M("SetSecretValue", set_secret_value, &vk_secret_set_value_params_type, NULL,              \
          VK_AUTH_MANAGE, 0,                                                                       \
          "Set a secret's value (base64); persistent values are encrypted at rest.")               \
        M("GetSecretValue", get_secret_value, &vk_secret_params_type,                              \
          &vk_secret_value_result_type, VK_AUTH_MANAGE, 0,                                         \
          "A secret's value (base64); refused for private secrets.")                               \
        M("SubscribeEvents", subscribe_events, NULL, &vk_secret_event_type, VK_AUTH_READ,          \
          VK_METHOD_STREAM,                                                                        \
          "One reply per change of a secret (call with more); D-Bus: the SecretEvent signal.")

#define VK_SECRET_LOCAL_METHODS(M)                                                                 \
        M("EncryptSecretForDomain", encrypt_secret_for_domain, &vk_secret_encrypt_params_type,     \
          &vk_secret_encrypt_result_type, VK_AUTH_MANAGE, 0,                                       \
          "A secret's value encrypted with AES-256-CBC under a domain's master key, for QEMU; "    \
          "private secrets too. The caller must run as the daemon's uid (root on the system "      \
          "instance). Never forwarded by virtkit-qemud.")                                          \
        M("GetSecretValueForVolume", get_secret_value_for_volume, &vk_secret_volume_params_type,   \
          &vk_secret_value_result_type, VK_AUTH_MANAGE, 0,                                         \
          "The passphrase of an encrypted storage volume (base64), for virtkit-storaged running "  \
          "qemu-img: the secret by UUID, or else the one whose usage is the volume's path; "       \
          "private secrets too. The caller must run as the daemon's uid. Never forwarded.")
