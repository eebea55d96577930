/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* api.c: the io.virtkit.Secret interface served by virtkit-secretd (one declaration per method) */
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include "admin.h"
#include "api.h"
#include "call.h"
#include "log.h"
#include "macro.h"
#include "secret-driver.h"

/* The longest base64 text of a value of VK_SECRET_VALUE_MAX bytes. */
#define API_VALUE_BASE64_MAX (4 * ((VK_SECRET_VALUE_MAX + 2) / 3))

/* --- parameter and result types --- */

typedef struct DefineParams {
        char *xml;
} DefineParams;

typedef struct UuidResult {
        char *uuid;
} UuidResult;

typedef struct SecretParams {
        char *secret;
} SecretParams;

typedef struct ListParams {
        char *ephemeral;
        char *is_private;
} ListParams;

typedef struct SecretSummary {
        char *uuid;
        char *usage_type;
        char *usage_id;
        bool ephemeral;
        bool is_private;
        bool has_value;
} SecretSummary;

typedef struct ListResult {
        VkArray secrets; /* of SecretSummary */
} ListResult;

typedef struct LookupParams {
        char *uuid;
        char *usage_type;
        char *usage_id;
} LookupParams;

typedef struct LookupResult {
        char *uuid;
        char *usage_type;
        char *usage_id;
} LookupResult;

typedef struct XmlResult {
        char *xml;
} XmlResult;

typedef struct SetValueParams {
        char *secret;
        char *value;
} SetValueParams;

typedef struct ValueResult {
        char *value;
} ValueResult;

typedef struct EncryptParams {
        char *secret;
        char *key;
} EncryptParams;

typedef struct EncryptResult {
        char *ciphertext;
        char *iv;
} EncryptResult;

static const VkField define_params_fields[] = {
        { "xml", VK_FIELD_STRING, offsetof(DefineParams, xml), VK_FIELD_REQUIRED, NULL,
          "libvirt's secret XML" },
        {},
};

static const VkStructType define_params = {
        .size = sizeof(DefineParams),
        .fields = define_params_fields,
};

static const VkField uuid_result_fields[] = {
        { "uuid", VK_FIELD_STRING, offsetof(UuidResult, uuid), VK_FIELD_REQUIRED },
        {},
};

static const VkStructType uuid_result = {
        .size = sizeof(UuidResult),
        .fields = uuid_result_fields,
};

static const VkField secret_params_fields[] = {
        { "secret", VK_FIELD_STRING, offsetof(SecretParams, secret), VK_FIELD_REQUIRED, NULL,
          "the secret's UUID" },
        {},
};

static const VkStructType secret_params = {
        .size = sizeof(SecretParams),
        .fields = secret_params_fields,
};

static const VkField list_params_fields[] = {
        { "ephemeral", VK_FIELD_STRING, offsetof(ListParams, ephemeral), 0, NULL,
          "\"yes\" or \"no\": only secrets with that ephemeral flag" },
        { "private", VK_FIELD_STRING, offsetof(ListParams, is_private), 0, NULL,
          "\"yes\" or \"no\": only secrets with that private flag" },
        {},
};

static const VkStructType list_params = {
        .size = sizeof(ListParams),
        .fields = list_params_fields,
};

static const VkField secret_summary_fields[] = {
        { "uuid", VK_FIELD_STRING, offsetof(SecretSummary, uuid), VK_FIELD_REQUIRED },
        { "usageType", VK_FIELD_STRING, offsetof(SecretSummary, usage_type), VK_FIELD_REQUIRED,
          NULL, "none, volume, ceph, iscsi, tls or vtpm" },
        { "usageId", VK_FIELD_STRING, offsetof(SecretSummary, usage_id), VK_FIELD_REQUIRED, NULL,
          "volume path or name; empty for none" },
        { "ephemeral", VK_FIELD_BOOL, offsetof(SecretSummary, ephemeral), VK_FIELD_REQUIRED },
        { "private", VK_FIELD_BOOL, offsetof(SecretSummary, is_private), VK_FIELD_REQUIRED },
        { "hasValue", VK_FIELD_BOOL, offsetof(SecretSummary, has_value), VK_FIELD_REQUIRED },
        {},
};

static const VkStructType secret_summary = {
        .name = "SecretSummary",
        .size = sizeof(SecretSummary),
        .doc = "One secret, without its value.",
        .fields = secret_summary_fields,
};

static const VkField list_result_fields[] = {
        { "secrets", VK_FIELD_ARRAY, offsetof(ListResult, secrets), VK_FIELD_REQUIRED,
          &secret_summary },
        {},
};

static const VkStructType list_result = {
        .size = sizeof(ListResult),
        .fields = list_result_fields,
};

static const VkField lookup_params_fields[] = {
        { "uuid", VK_FIELD_STRING, offsetof(LookupParams, uuid), 0, NULL,
          "look up by UUID, or else:" },
        { "usageType", VK_FIELD_STRING, offsetof(LookupParams, usage_type), 0, NULL,
          "by usage: volume, ceph, iscsi, tls or vtpm" },
        { "usageId", VK_FIELD_STRING, offsetof(LookupParams, usage_id), 0, NULL,
          "and the volume path or name" },
        {},
};

static const VkStructType lookup_params = {
        .size = sizeof(LookupParams),
        .fields = lookup_params_fields,
};

static const VkField lookup_result_fields[] = {
        { "uuid", VK_FIELD_STRING, offsetof(LookupResult, uuid), VK_FIELD_REQUIRED },
        { "usageType", VK_FIELD_STRING, offsetof(LookupResult, usage_type), VK_FIELD_REQUIRED },
        { "usageId", VK_FIELD_STRING, offsetof(LookupResult, usage_id), VK_FIELD_REQUIRED },
        {},
};

static const VkStructType lookup_result = {
        .size = sizeof(LookupResult),
        .fields = lookup_result_fields,
};

static const VkField xml_result_fields[] = {
        { "xml", VK_FIELD_STRING, offsetof(XmlResult, xml), VK_FIELD_REQUIRED },
        {},
};

static const VkStructType xml_result = {
        .size = sizeof(XmlResult),
        .fields = xml_result_fields,
};

static const VkField set_value_params_fields[] = {
        { "secret", VK_FIELD_STRING, offsetof(SetValueParams, secret), VK_FIELD_REQUIRED, NULL,
          "the secret's UUID" },
        { "value", VK_FIELD_STRING, offsetof(SetValueParams, value), VK_FIELD_REQUIRED, NULL,
          "the value, base64 (at most 64 KiB decoded)" },
        {},
};

static const VkStructType set_value_params = {
        .size = sizeof(SetValueParams),
        .fields = set_value_params_fields,
};

static const VkField value_result_fields[] = {
        { "value", VK_FIELD_STRING, offsetof(ValueResult, value), VK_FIELD_REQUIRED, NULL,
          "base64" },
        {},
};

static const VkStructType value_result = {
        .size = sizeof(ValueResult),
        .fields = value_result_fields,
};

static const VkField encrypt_params_fields[] = {
        { "secret", VK_FIELD_STRING, offsetof(EncryptParams, secret), VK_FIELD_REQUIRED, NULL,
          "the secret's UUID" },
        { "key", VK_FIELD_STRING, offsetof(EncryptParams, key), VK_FIELD_REQUIRED, NULL,
          "the domain's master key, base64 of 32 bytes" },
        {},
};

static const VkStructType encrypt_params = {
        .size = sizeof(EncryptParams),
        .fields = encrypt_params_fields,
};

static const VkField encrypt_result_fields[] = {
        { "ciphertext", VK_FIELD_STRING, offsetof(EncryptResult, ciphertext), VK_FIELD_REQUIRED,
          NULL, "the value, AES-256-CBC with PKCS#7 padding under the key, base64" },
        { "iv", VK_FIELD_STRING, offsetof(EncryptResult, iv), VK_FIELD_REQUIRED, NULL,
          "the random 16-byte IV, base64" },
        {},
};

static const VkStructType encrypt_result = {
        .size = sizeof(EncryptResult),
        .fields = encrypt_result_fields,
};

/* --- helpers --- */

static void api_wipe_string(char *s) {
        if (s)
                explicit_bzero(s, strlen(s));
}

static bool api_base64_char(char c) {
        return g_ascii_isalnum(c) || c == '+' || c == '/';
}

/*
 * Decode standard base64 strictly (RFC 4648 section 4: length a multiple of 4, padding only at
 * the end, no white space), at most VK_SECRET_VALUE_MAX bytes. g_base64_decode() would skip
 * what it does not understand; a value silently changed is worse than a clear refusal.
 */
static int api_base64_decode(const char *name, const char *s, guchar **ret_data, gsize *ret_len,
                             VkError *reterr) {
        size_t len = strnlen(s, API_VALUE_BASE64_MAX + 1), pad = 0;

        if (len > API_VALUE_BASE64_MAX)
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -E2BIG,
                                    "%s: larger than the limit of %d bytes", name,
                                    VK_SECRET_VALUE_MAX);
        if (len == 0 || len % 4 != 0)
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "%s: not base64 (the length must be a non-zero "
                                    "multiple of 4)",
                                    name);
        while (pad < 2 && s[len - 1 - pad] == '=')
                pad++;
        for (size_t i = 0; i < len - pad; i++)
                if (!api_base64_char(s[i]))
                        return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                            "%s: not base64 (invalid character at offset "
                                            "%zu)",
                                            name, i);
        *ret_data = g_base64_decode(s, ret_len);
        return 0;
}

static int api_parse_filter(const char *name, const char *s, VkTristate *ret, VkError *reterr) {
        VkTristate t;

        if (!s) {
                *ret = VK_TRISTATE_ABSENT;
                return 0;
        }
        t = vk_tristate_bool_from_string(s);
        if (t < 0)
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "%s: unsupported value '%s' (expected yes or no)", name, s);
        *ret = t;
        return 0;
}

/* --- handlers --- */

static int api_define_secret(VkCall *call, void *params, void *userdata) {
        const DefineParams *p = params;
        VkSecretDriver *drv = userdata;
        char buf[VK_UUID_STRING_MAX];
        UuidResult res = { .uuid = buf };
        VkUuid uuid;
        int r;

        r = vk_secret_driver_define(drv, p->xml, &uuid, vk_call_error(call));
        if (r < 0)
                return r;
        vk_uuid_format(&uuid, buf);
        vk_log_info("%s secret '%s' (uid %u)", r > 0 ? "Defined" : "Redefined", buf,
                    (unsigned) vk_call_peer(call)->uid);
        return vk_call_reply(call, &res);
}

static int api_undefine_secret(VkCall *call, void *params, void *userdata) {
        const SecretParams *p = params;
        int r;

        r = vk_secret_driver_undefine(userdata, p->secret, vk_call_error(call));
        if (r < 0)
                return r;
        vk_log_info("Undefined secret '%s' (uid %u)", p->secret,
                    (unsigned) vk_call_peer(call)->uid);
        return vk_call_reply(call, NULL);
}

static int api_list_secrets(VkCall *call, void *params, void *userdata) {
        const ListParams *p = params;
        g_autoptr(GPtrArray) infos = NULL;
        g_autofree SecretSummary *items = NULL;
        g_autofree char *uuids = NULL;
        VkSecretFilter filter;
        ListResult res = {};
        VkError *e = vk_call_error(call);
        int r;

        r = api_parse_filter("ephemeral", p->ephemeral, &filter.ephemeral, e);
        if (r < 0)
                return r;
        r = api_parse_filter("private", p->is_private, &filter.is_private, e);
        if (r < 0)
                return r;
        r = vk_secret_driver_list(userdata, &filter, &infos, e);
        if (r < 0)
                return r;

        items = g_new0(SecretSummary, MAX(infos->len, 1u));
        uuids = g_malloc0((size_t) MAX(infos->len, 1u) * VK_UUID_STRING_MAX);
        for (guint i = 0; i < infos->len; i++) {
                const VkSecretInfo *info = infos->pdata[i];
                char *u = uuids + (size_t) i * VK_UUID_STRING_MAX;

                items[i] = (SecretSummary){
                        .uuid = (char *) vk_uuid_format(&info->uuid, u),
                        .usage_type = (char *) vk_secret_usage_type_to_string(info->usage_type),
                        .usage_id = info->usage_id,
                        .ephemeral = info->ephemeral,
                        .is_private = info->is_private,
                        .has_value = info->has_value,
                };
        }
        res.secrets = (VkArray){ .items = items, .n = infos->len };
        return vk_call_reply(call, &res);
}

static int api_lookup_secret(VkCall *call, void *params, void *userdata) {
        const LookupParams *p = params;
        g_autoptr(VkSecretInfo) info = NULL;
        char buf[VK_UUID_STRING_MAX];
        LookupResult res;
        VkError *e = vk_call_error(call);
        int r;

        if (p->uuid && (p->usage_type || p->usage_id))
                return vk_error_set(e, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "uuid: give either uuid, or usageType and usageId, not both");
        if (p->uuid)
                r = vk_secret_driver_lookup_uuid(userdata, p->uuid, &info, e);
        else if (p->usage_type && p->usage_id)
                r = vk_secret_driver_lookup_usage(userdata, p->usage_type, p->usage_id, &info, e);
        else
                return vk_error_set(e, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "%s: give either uuid, or usageType and usageId",
                                    p->usage_type ? "usageId"
                                    : p->usage_id ? "usageType"
                                                  : "uuid");
        if (r < 0)
                return r;

        res = (LookupResult){
                .uuid = (char *) vk_uuid_format(&info->uuid, buf),
                .usage_type = (char *) vk_secret_usage_type_to_string(info->usage_type),
                .usage_id = info->usage_id,
        };
        return vk_call_reply(call, &res);
}

static int api_get_secret_xml(VkCall *call, void *params, void *userdata) {
        const SecretParams *p = params;
        g_autofree char *xml = NULL;
        XmlResult res;
        int r;

        r = vk_secret_driver_get_xml(userdata, p->secret, &xml, vk_call_error(call));
        if (r < 0)
                return r;
        res.xml = xml;
        return vk_call_reply(call, &res);
}

static int api_set_secret_value(VkCall *call, void *params, void *userdata) {
        SetValueParams *p = params;
        g_autofree guchar *data = NULL;
        gsize len = 0;
        int r;

        r = api_base64_decode("value", p->value, &data, &len, vk_call_error(call));
        api_wipe_string(p->value);
        if (r < 0)
                return r;
        r = vk_secret_driver_set_value(userdata, p->secret, data, len, vk_call_error(call));
        explicit_bzero(data, len);
        if (r < 0)
                return r;
        vk_log_info("Set the value of secret '%s' (uid %u)", p->secret,
                    (unsigned) vk_call_peer(call)->uid);
        return vk_call_reply(call, NULL);
}

static int api_get_secret_value(VkCall *call, void *params, void *userdata) {
        const SecretParams *p = params;
        g_autoptr(VkSecretValue) v = NULL;
        ValueResult res;
        VkError *e = vk_call_error(call);
        int r;

        /* a client never reads on behalf of a domain: private values stay private */
        r = vk_secret_driver_get_value(userdata, p->secret, /* for_domain= */ false, &v, e);
        if (r < 0) {
                /* a value we stored but cannot read back is our problem, not the caller's */
                if (r == -EBADMSG)
                        vk_log_warning("%s", e->message);
                return r;
        }
        res.value = g_base64_encode(v->data, v->len);
        r = vk_call_reply(call, &res);
        api_wipe_string(res.value);
        g_free(res.value);
        return r;
}

/*
 * The value of a secret encrypted for a domain's QEMU (qemud asks this when it starts a domain
 * with an encrypted disk). Private secrets are read too: the value leaves only encrypted under
 * the caller's key. Reading a value on behalf of a domain is root's business on the system
 * instance (polkit's manage action is not enough); on a session instance the adapter already
 * admitted only the owner. Both come down to: the caller runs as our own uid.
 */
static int api_encrypt_secret_for_domain(VkCall *call, void *params, void *userdata) {
        EncryptParams *p = params;
        g_autoptr(VkSecretValue) ct = NULL;
        g_autofree guchar *key = NULL;
        g_autofree char *iv_text = NULL;
        uint8_t iv[VK_SECRET_DOMAIN_IV_SIZE];
        uid_t uid = vk_call_peer(call)->uid;
        EncryptResult res;
        VkError *e = vk_call_error(call);
        gsize key_len = 0;
        int r;

        if (uid != geteuid())
                return vk_error_set(e, VK_ERROR_PERMISSION_DENIED, -EPERM,
                                    "EncryptSecretForDomain: only uid %u may read secrets for a "
                                    "domain, not uid %u",
                                    (unsigned) geteuid(), (unsigned) uid);
        r = api_base64_decode("key", p->key, &key, &key_len, e);
        api_wipe_string(p->key);
        if (r < 0)
                return r;
        r = vk_secret_driver_encrypt_for_domain(userdata, p->secret, key, key_len, &ct, iv, e);
        explicit_bzero(key, key_len);
        if (r < 0) {
                if (r == -EBADMSG)
                        vk_log_warning("%s", e->message);
                return r;
        }
        iv_text = g_base64_encode(iv, sizeof(iv));
        res = (EncryptResult){ .ciphertext = g_base64_encode(ct->data, ct->len), .iv = iv_text };
        r = vk_call_reply(call, &res);
        g_free(res.ciphertext);
        vk_log_debug("Encrypted secret '%s' for a domain (uid %u)", p->secret, (unsigned) uid);
        return r;
}

static const VkMethod secret_methods[] = {
        { "DefineSecret", &define_params, &uuid_result, api_define_secret, VK_AUTH_MANAGE, 0,
          "Define a secret from libvirt's secret XML, or update the one with its UUID." },
        { "UndefineSecret", &secret_params, NULL, api_undefine_secret, VK_AUTH_MANAGE, 0,
          "Forget a secret, its definition and its value." },
        { "ListSecrets", &list_params, &list_result, api_list_secrets, VK_AUTH_READ, 0,
          "The secrets, sorted by UUID, optionally filtered by their flags." },
        { "LookupSecret", &lookup_params, &lookup_result, api_lookup_secret, VK_AUTH_READ, 0,
          "Find a secret by UUID, or by usage type and id." },
        { "GetSecretXML", &secret_params, &xml_result, api_get_secret_xml, VK_AUTH_READ, 0,
          "A secret's definition as libvirt's secret XML." },
        { "SetSecretValue", &set_value_params, NULL, api_set_secret_value, VK_AUTH_MANAGE, 0,
          "Set a secret's value (base64); persistent values are encrypted at rest." },
        { "GetSecretValue", &secret_params, &value_result, api_get_secret_value, VK_AUTH_MANAGE, 0,
          "A secret's value (base64); refused for private secrets." },
        { "EncryptSecretForDomain", &encrypt_params, &encrypt_result, api_encrypt_secret_for_domain,
          VK_AUTH_MANAGE, 0,
          "A secret's value encrypted with AES-256-CBC under a domain's master key, for QEMU; "
          "private secrets too. The caller must run as the daemon's uid (root on the system "
          "instance)." },
        {},
};

static const VkMethod *const secret_method_tables[] = {
        vk_admin_methods,
        secret_methods,
        NULL,
};

static const VkErrorDecl secret_errors[] = {
        { VK_SECRET_ERROR_NO_SUCH_SECRET, (const char *const[]){ "secret", NULL },
          "No secret with that UUID or usage." },
        { VK_SECRET_ERROR_NO_VALUE, (const char *const[]){ "secret", NULL },
          "The secret has no value yet." },
        {},
};

const VkInterface vk_secret_interface = {
        VK_INTERFACE_NAMES("Secret", "secret"),
        .doc = "Secrets: XML definitions and values, encrypted at rest.",
        .method_tables = secret_method_tables,
        .errors = secret_errors,
};
