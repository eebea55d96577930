/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* api.c: the io.virtkit.Secret interface served by virtkit-secretd: handlers, events, objects */
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include "admin.h"
#include "api.h"
#include "call.h"
#include "log.h"
#include "macro.h"
#include "objdir.h"
#include "secret-driver.h"

/* The longest base64 text of a value of VK_SECRET_VALUE_MAX bytes. */
#define API_VALUE_BASE64_MAX (4 * ((VK_SECRET_VALUE_MAX + 2) / 3))

/* --- helpers --- */

static VkSecretDriver *api_driver(void *userdata) {
        return ((VkSecretd *) userdata)->driver;
}

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

/* --- handlers --- */

static int api_define_secret(VkCall *call, void *params, void *userdata) {
        const VkSecretDefineParams *p = params;
        VkSecretDriver *drv = api_driver(userdata);
        char buf[VK_UUID_STRING_MAX];
        VkSecretUuidResult res = { .uuid = buf };
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
        const VkSecretParams *p = params;
        int r;

        r = vk_secret_driver_undefine(api_driver(userdata), p->secret, vk_call_error(call));
        if (r < 0)
                return r;
        vk_log_info("Undefined secret '%s' (uid %u)", p->secret,
                    (unsigned) vk_call_peer(call)->uid);
        return vk_call_reply(call, NULL);
}

static int api_list_secrets(VkCall *call, void *params, void *userdata) {
        const VkSecretListParams *p = params;
        g_autoptr(GPtrArray) infos = NULL;
        g_autofree VkSecretSummary *items = NULL;
        g_autofree char *uuids = NULL;
        VkSecretFilter filter;
        VkSecretListResult res = {};
        VkError *e = vk_call_error(call);
        int r;

        r = vk_tristate_filter_parse("ephemeral", p->ephemeral, &filter.ephemeral, e);
        if (r < 0)
                return r;
        r = vk_tristate_filter_parse("private", p->is_private, &filter.is_private, e);
        if (r < 0)
                return r;
        r = vk_secret_driver_list(api_driver(userdata), &filter, &infos, e);
        if (r < 0)
                return r;

        items = g_new0(VkSecretSummary, MAX(infos->len, 1u));
        uuids = g_malloc0((size_t) MAX(infos->len, 1u) * VK_UUID_STRING_MAX);
        for (guint i = 0; i < infos->len; i++) {
                const VkSecretInfo *info = infos->pdata[i];
                char *u = uuids + (size_t) i * VK_UUID_STRING_MAX;

                items[i] = (VkSecretSummary){
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
        const VkSecretLookupParams *p = params;
        g_autoptr(VkSecretInfo) info = NULL;
        char buf[VK_UUID_STRING_MAX];
        VkSecretLookupResult res;
        VkError *e = vk_call_error(call);
        int r;

        if (p->uuid && (p->usage_type || p->usage_id))
                return vk_error_set(e, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "uuid: give either uuid, or usageType and usageId, not both");
        if (p->uuid)
                r = vk_secret_driver_lookup_uuid(api_driver(userdata), p->uuid, &info, e);
        else if (p->usage_type && p->usage_id)
                r = vk_secret_driver_lookup_usage(api_driver(userdata), p->usage_type, p->usage_id,
                                                  &info, e);
        else
                return vk_error_set(e, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "%s: give either uuid, or usageType and usageId",
                                    p->usage_type ? "usageId"
                                    : p->usage_id ? "usageType"
                                                  : "uuid");
        if (r < 0)
                return r;

        res = (VkSecretLookupResult){
                .uuid = (char *) vk_uuid_format(&info->uuid, buf),
                .usage_type = (char *) vk_secret_usage_type_to_string(info->usage_type),
                .usage_id = info->usage_id,
        };
        return vk_call_reply(call, &res);
}

static int api_get_secret_xml(VkCall *call, void *params, void *userdata) {
        const VkSecretParams *p = params;
        g_autofree char *xml = NULL;
        VkSecretXmlResult res;
        int r;

        r = vk_secret_driver_get_xml(api_driver(userdata), p->secret, &xml, vk_call_error(call));
        if (r < 0)
                return r;
        res.xml = xml;
        return vk_call_reply(call, &res);
}

static int api_set_secret_value(VkCall *call, void *params, void *userdata) {
        VkSecretSetValueParams *p = params;
        g_autofree guchar *data = NULL;
        gsize len = 0;
        int r;

        r = api_base64_decode("value", p->value, &data, &len, vk_call_error(call));
        api_wipe_string(p->value);
        if (r < 0)
                return r;
        r = vk_secret_driver_set_value(api_driver(userdata), p->secret, data, len,
                                       vk_call_error(call));
        explicit_bzero(data, len);
        if (r < 0)
                return r;
        vk_log_info("Set the value of secret '%s' (uid %u)", p->secret,
                    (unsigned) vk_call_peer(call)->uid);
        return vk_call_reply(call, NULL);
}

/* Reply with the value of secret @uuid, base64 (@internal: private ones too); wiped after. */
static int api_reply_value(VkCall *call, void *userdata, const char *uuid, bool internal) {
        g_autoptr(VkSecretValue) v = NULL;
        VkSecretValueResult res;
        VkError *e = vk_call_error(call);
        int r;

        r = vk_secret_driver_get_value(api_driver(userdata), uuid, internal, &v, e);
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

static int api_get_secret_value(VkCall *call, void *params, void *userdata) {
        const VkSecretParams *p = params;

        /* a client never reads on behalf of a domain: private values stay private */
        return api_reply_value(call, userdata, p->secret, /* internal= */ false);
}

/*
 * The value of a secret encrypted for a domain's QEMU (qemud asks this when it starts a domain
 * with an encrypted disk). Private secrets are read too: the value leaves only encrypted under
 * the caller's key. Reading a value on behalf of a domain is root's business on the system
 * instance (polkit's manage action is not enough); on a session instance the adapter already
 * admitted only the owner. Both come down to: the caller runs as our own uid.
 */
static int api_encrypt_secret_for_domain(VkCall *call, void *params, void *userdata) {
        VkSecretEncryptParams *p = params;
        g_autoptr(VkSecretValue) ct = NULL;
        g_autofree guchar *key = NULL;
        g_autofree char *iv_text = NULL;
        uint8_t iv[VK_SECRET_DOMAIN_IV_SIZE];
        uid_t uid = vk_call_peer(call)->uid;
        VkSecretEncryptResult res;
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
        r = vk_secret_driver_encrypt_for_domain(api_driver(userdata), p->secret, key, key_len, &ct,
                                                iv, e);
        explicit_bzero(key, key_len);
        if (r < 0) {
                if (r == -EBADMSG)
                        vk_log_warning("%s", e->message);
                return r;
        }
        iv_text = g_base64_encode(iv, sizeof(iv));
        res = (VkSecretEncryptResult){ .ciphertext = g_base64_encode(ct->data, ct->len),
                                       .iv = iv_text };
        r = vk_call_reply(call, &res);
        g_free(res.ciphertext);
        vk_log_debug("Encrypted secret '%s' for a domain (uid %u)", p->secret, (unsigned) uid);
        return r;
}

/*
 * The passphrase of an encrypted volume, for storaged's qemu-img (libvirt's storage driver
 * reads it the same way: it raises its identity to the daemon's own before it asks
 * virtsecretd, which then gives private values too). The check is that of
 * EncryptSecretForDomain: the caller runs as our uid, i.e. it is a sibling daemon (or root,
 * who can read the store's key anyway); the user's own authorisation (storage.manage) was
 * decided at storaged's front door.
 */
static int api_get_secret_value_for_volume(VkCall *call, void *params, void *userdata) {
        const VkSecretVolumeParams *p = params;
        g_autoptr(VkSecretInfo) info = NULL;
        char buf[VK_UUID_STRING_MAX];
        uid_t uid = vk_call_peer(call)->uid;
        const char *uuid = p->secret;
        VkError *e = vk_call_error(call);
        int r;

        if (uid != geteuid())
                return vk_error_set(e, VK_ERROR_PERMISSION_DENIED, -EPERM,
                                    "GetSecretValueForVolume: only uid %u may read secrets for a "
                                    "volume, not uid %u",
                                    (unsigned) geteuid(), (unsigned) uid);
        if (!p->secret == !p->volume)
                return vk_error_set(e, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "secret: give either the secret's uuid or the volume's path");
        if (!uuid) {
                r = vk_secret_driver_lookup_usage(api_driver(userdata), "volume", p->volume, &info,
                                                  e);
                if (r < 0)
                        return r;
                uuid = vk_uuid_format(&info->uuid, buf);
        }
        vk_log_debug("Reading secret '%s' for a volume (uid %u)", uuid, (unsigned) uid);
        return api_reply_value(call, userdata, uuid, /* internal= */ true);
}

/* --- D-Bus objects: one per secret --- */

typedef struct SecretProps {
        char *uuid;
        char *usage_type;
        char *usage_id;
        bool ephemeral;
        bool is_private;
        bool has_value;
        char *description;
} SecretProps;

static const VkField secret_props_fields[] = {
        { "UUID", VK_FIELD_STRING, offsetof(SecretProps, uuid), VK_FIELD_REQUIRED, NULL,
          "The secret's UUID" },
        { "UsageType", VK_FIELD_STRING, offsetof(SecretProps, usage_type), VK_FIELD_REQUIRED, NULL,
          "none, volume, ceph, iscsi, tls or vtpm" },
        { "UsageID", VK_FIELD_STRING, offsetof(SecretProps, usage_id), VK_FIELD_REQUIRED, NULL,
          "volume path or name; empty for none" },
        { "Ephemeral", VK_FIELD_BOOL, offsetof(SecretProps, ephemeral), VK_FIELD_REQUIRED, NULL,
          "Whether the secret is kept in memory only" },
        { "Private", VK_FIELD_BOOL, offsetof(SecretProps, is_private), VK_FIELD_REQUIRED, NULL,
          "Whether the value can be read back" },
        { "HasValue", VK_FIELD_BOOL, offsetof(SecretProps, has_value), VK_FIELD_REQUIRED, NULL,
          "Whether the secret has a value" },
        { "Description", VK_FIELD_STRING, offsetof(SecretProps, description), VK_FIELD_REQUIRED,
          NULL, "empty for none" },
        {},
};

static const VkStructType secret_props_type = {
        .size = sizeof(SecretProps),
        .fields = secret_props_fields,
};

static int api_secret_object_keys(char ***ret_keys, void *userdata) {
        g_autoptr(GPtrArray) infos = NULL;
        GPtrArray *keys;
        char buf[VK_UUID_STRING_MAX];
        int r;

        r = vk_secret_driver_list(api_driver(userdata), NULL, &infos, NULL);
        if (r < 0)
                return r;
        keys = g_ptr_array_new();
        for (guint i = 0; i < infos->len; i++)
                g_ptr_array_add(keys, g_strdup(vk_uuid_format(
                                              &((VkSecretInfo *) infos->pdata[i])->uuid, buf)));
        g_ptr_array_add(keys, NULL);
        *ret_keys = (char **) g_ptr_array_free(keys, false);
        return 0;
}

static int api_secret_object_get(const char *key, void *ret_props, void *userdata) {
        g_autoptr(VkSecretInfo) info = NULL;
        SecretProps *p = ret_props;
        char buf[VK_UUID_STRING_MAX];

        if (vk_secret_driver_lookup_uuid(api_driver(userdata), key, &info, NULL) < 0)
                return -ENOENT;
        *p = (SecretProps){
                .uuid = g_strdup(vk_uuid_format(&info->uuid, buf)),
                .usage_type = g_strdup(vk_secret_usage_type_to_string(info->usage_type)),
                .usage_id = g_strdup(vk_strempty(info->usage_id)),
                .ephemeral = info->ephemeral,
                .is_private = info->is_private,
                .has_value = info->has_value,
                .description = g_strdup(vk_strempty(info->description)),
        };
        return 0;
}

/* Each method runs the manager's method of the same meaning with the object's UUID as secret. */
static const VkObjectMethod secret_object_methods[] = {
        { "GetXML", "GetSecretXML", "secret" },
        { "SetValue", "SetSecretValue", "secret" },
        { "GetValue", "GetSecretValue", "secret" },
        { "Undefine", "UndefineSecret", "secret" },
        {},
};

static const VkObjectInterface secret_objects[] = {
        {
                .bus_interface = "io.virtkit.Secret1.Secret",
                .path_prefix = "/io/virtkit/Secret1/secret",
                .methods = secret_object_methods,
                .properties = &secret_props_type,
                .list = api_secret_object_keys,
                .get = api_secret_object_get,
                .doc = "One secret: its definition's properties (never its value) and methods",
        },
        {},
};

/* --- events (SubscribeEvents streams, the SecretEvent signal) --- */

static int api_subscribe_events(VkCall *call, void *params, void *userdata) {
        VkSecretd *sd = userdata;

        return vk_subscribers_add(sd->subscribers, call);
}

/*
 * The driver's change: one reply on every SubscribeEvents stream, the SecretEvent signal, and
 * the secret's D-Bus object added, changed or removed.
 */
static void api_on_secret_event(VkSecretDriver *drv, const VkSecretEvent *ev, void *userdata) {
        VkSecretd *sd = userdata;
        VkSecretEventArgs args = {
                .uuid = (char *) ev->uuid,
                .usage_type = (char *) vk_secret_usage_type_to_string(ev->usage_type),
                .usage_id = (char *) vk_strempty(ev->usage_id),
                .event = (char *) vk_secret_event_type_to_string(ev->type),
        };
        int r;

        vk_subscribers_send(sd->subscribers, &args);
        if (!sd->service)
                return;
        r = vk_service_emit_signal(sd->service, "SecretEvent", &args);
        if (r < 0)
                vk_log_debug("Failed to emit SecretEvent for secret '%s': %s", ev->uuid,
                             g_strerror(-r));
        r = vk_service_update_object(sd->service, &secret_objects[0], ev->uuid);
        if (r < 0)
                vk_log_debug("Failed to announce the change of secret '%s' on D-Bus: %s", ev->uuid,
                             g_strerror(-r));
}

/* End every stream (the daemon exits): the clients see their connection close. */
void vk_secretd_drop_subscribers(VkSecretd *sd) {
        vk_subscribers_drop_all(sd->subscribers);
}

/* --- the interface --- */

#define API_METHOD(name, handler, in, out, auth, flags, doc)                                       \
        { name, in, out, api_##handler, auth, flags, doc },

static const VkMethod secret_methods[] = {
        VK_SECRET_METHODS(API_METHOD) VK_SECRET_LOCAL_METHODS(API_METHOD){},
};

static const VkMethod *const secret_method_tables[] = {
        vk_admin_methods,
        secret_methods,
        NULL,
};

const VkInterface vk_secret_interface = {
        VK_INTERFACE_NAMES("Secret", "secret"),
        .doc = "Secrets: XML definitions and values, encrypted at rest.",
        .method_tables = secret_method_tables,
        .errors = vk_secret_errors,
        .signals = vk_secret_signals,
        .objects = secret_objects,
};

/* Streams end while the service still exists (the owner frees us after the service). */
static int secretd_on_exit(sd_event_source *s, void *userdata) {
        vk_secretd_drop_subscribers(userdata);
        return 0;
}

/*
 * The state every handler of vk_secret_interface gets: the secret driver for @cfg (loaded
 * now: see vk_secret_driver_new(), whose warnings go to *@ret_warnings) on @event. Set
 * sd->service once the service exists, so that changes also go out on D-Bus (the signal and
 * the per-secret objects).
 */
int vk_secretd_new(sd_event *event, const VkSecretDriverConfig *cfg, VkSecretd **ret,
                   GPtrArray **ret_warnings, VkError *reterr) {
        g_autoptr(VkSecretd) sd = g_new0(VkSecretd, 1);
        int r;

        sd->event = sd_event_ref(event);
        sd->subscribers = vk_subscribers_new(event);
        r = vk_secret_driver_new(cfg, &sd->driver, ret_warnings, reterr);
        if (r < 0)
                return r;
        r = sd_event_add_exit(event, &sd->exit_source, secretd_on_exit, sd);
        if (r < 0)
                return vk_error_set_errno(reterr, r, "Failed to add an exit source");
        vk_secret_driver_set_event_callback(sd->driver, api_on_secret_event, sd);
        *ret = g_steal_pointer(&sd);
        return 0;
}

/* Free the state and the driver (ephemeral secrets are gone). Takes NULL. */
VkSecretd *vk_secretd_free(VkSecretd *sd) {
        if (!sd)
                return NULL;
        vk_secretd_drop_subscribers(sd);
        sd->exit_source = sd_event_source_disable_unref(sd->exit_source);
        vk_subscribers_free(sd->subscribers);
        vk_secret_driver_free(sd->driver);
        sd_event_unref(sd->event);
        g_free(sd);
        return NULL;
}
