/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* secret-driver.c: the secret driver's plain C API (vk_secret_driver_*), no IPC types */
#include <assert.h>
#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "macro.h"
#include "secret-driver.h"

typedef struct SecretObj {
        VkSecretDef *def;
        char uuid[VK_UUID_STRING_MAX]; /* the key in by_uuid */
        char *usage_key;               /* the key in by_usage; NULL for no usage */
        bool has_value;                /* persistent secrets: a value file exists */
        VkSecretValue *value;          /* ephemeral secrets: the value, in memory only */
} SecretObj;

struct VkSecretDriver {
        VkSecretStore *store;
        GHashTable *by_uuid;  /* dashed lower-case UUID → SecretObj (owned) */
        GHashTable *by_usage; /* "type\nid" → SecretObj (borrowed from by_uuid) */
        VkSecretEventFunc event_cb;
        void *event_userdata;
};

static const char *const event_type_table[_VK_SECRET_EVENT_MAX] = {
        [VK_SECRET_EVENT_DEFINED] = "defined",
        [VK_SECRET_EVENT_UNDEFINED] = "undefined",
        [VK_SECRET_EVENT_VALUE_CHANGED] = "value-changed",
};

const char *vk_secret_event_type_to_string(VkSecretEventType t) {
        if (t < 0 || t >= _VK_SECRET_EVENT_MAX)
                return NULL;
        return event_type_table[t];
}

/* The inverse of vk_secret_event_type_to_string(); _VK_SECRET_EVENT_INVALID otherwise. */
VkSecretEventType vk_secret_event_type_from_string(const char *s) {
        for (int i = 0; s && i < _VK_SECRET_EVENT_MAX; i++)
                if (strcmp(s, event_type_table[i]) == 0)
                        return (VkSecretEventType) i;
        return _VK_SECRET_EVENT_INVALID;
}

/* Tell the owner that @o changed (for UNDEFINED: is about to be freed, already unlinked). */
static void secret_driver_emit(VkSecretDriver *drv, const SecretObj *o, VkSecretEventType type) {
        VkSecretEvent ev = {
                .type = type,
                .uuid = o->uuid,
                .usage_type = o->def->usage_type,
                .usage_id = o->def->usage_id,
                .ephemeral = o->def->ephemeral,
        };

        if (drv->event_cb)
                drv->event_cb(drv, &ev, drv->event_userdata);
}

static void secret_obj_free(SecretObj *o) {
        if (!o)
                return;
        vk_secret_def_free(o->def);
        g_free(o->usage_key);
        vk_secret_value_free(o->value);
        g_free(o);
}

static char *secret_usage_key(const VkSecretDef *def) {
        if (def->usage_type == VK_SECRET_USAGE_NONE)
                return NULL;
        return g_strdup_printf("%s\n%s", vk_secret_usage_type_to_string(def->usage_type),
                               vk_strempty(def->usage_id));
}

/* Free @info; takes NULL. */
void vk_secret_info_free(VkSecretInfo *info) {
        if (!info)
                return;
        g_free(info->usage_id);
        g_free(info->description);
        g_free(info);
}

static VkSecretInfo *secret_obj_info(const SecretObj *o) {
        VkSecretInfo *info = g_new0(VkSecretInfo, 1);

        info->uuid = o->def->uuid;
        info->usage_type = o->def->usage_type;
        info->usage_id = g_strdup(o->def->usage_id);
        info->ephemeral = o->def->ephemeral;
        info->is_private = o->def->is_private;
        info->has_value = o->def->ephemeral ? o->value != NULL : o->has_value;
        info->description = g_strdup(o->def->description);
        return info;
}

/* Add @o (owned) to both indexes; its usage must be free. */
static SecretObj *secret_driver_add(VkSecretDriver *drv, VkSecretDef *def) {
        SecretObj *o = g_new0(SecretObj, 1);

        o->def = def;
        vk_uuid_format(&def->uuid, o->uuid);
        o->usage_key = secret_usage_key(def);
        g_hash_table_insert(drv->by_uuid, o->uuid, o);
        if (o->usage_key)
                g_hash_table_insert(drv->by_usage, o->usage_key, o);
        return o;
}

static void secret_driver_remove(VkSecretDriver *drv, SecretObj *o) {
        if (o->usage_key)
                g_hash_table_remove(drv->by_usage, o->usage_key);
        /* unlinked, so lookups from the event callback see it gone; freed after the event */
        g_hash_table_steal(drv->by_uuid, o->uuid);
        secret_driver_emit(drv, o, VK_SECRET_EVENT_UNDEFINED);
        secret_obj_free(o);
}

static int secret_driver_find(VkSecretDriver *drv, const char *uuid, SecretObj **ret_obj,
                              VkError *reterr) {
        char buf[VK_UUID_STRING_MAX];
        SecretObj *o = NULL;
        VkUuid u;
        int r;

        if (vk_isempty(uuid) || vk_uuid_parse(uuid, &u) < 0)
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "secret: '%s' is not a UUID", vk_strempty(uuid));
        o = g_hash_table_lookup(drv->by_uuid, vk_uuid_format(&u, buf));
        if (!o) {
                r = vk_error_set(reterr, VK_SECRET_ERROR_NO_SUCH_SECRET, -ENOENT,
                                 "No secret with UUID '%s'", buf);
                vk_error_add_param(reterr, "secret", buf);
                return r;
        }
        *ret_obj = o;
        return 0;
}

/*
 * Start the driver: open the store (the encryption key, see vk_secret_store_new()) and load
 * every persistent definition. A definition file that cannot be loaded, or whose usage another
 * secret already has, is skipped and described in *@ret_warnings (strings, the caller owns
 * the array) for the daemon to log: one broken file never stops the others. Returns 0 with
 * *@ret_drv owned by the caller, or a negative errno with @reterr set (no key, unreadable
 * directory). Blocks on disk I/O: call before the loop serves clients.
 */
int vk_secret_driver_new(const VkSecretDriverConfig *cfg, VkSecretDriver **ret_drv,
                         GPtrArray **ret_warnings, VkError *reterr) {
        g_autoptr(VkSecretDriver) drv = NULL;
        g_autoptr(GPtrArray) defs = NULL;
        g_autoptr(GPtrArray) warnings = NULL;
        int r;

        assert(cfg);
        assert(ret_drv);
        assert(ret_warnings);

        drv = g_new0(VkSecretDriver, 1);
        drv->by_uuid = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
                                             (GDestroyNotify) secret_obj_free);
        drv->by_usage = g_hash_table_new(g_str_hash, g_str_equal);

        r = vk_secret_store_new(cfg->config_dir, cfg->lib_dir, cfg->credentials_dir, &drv->store,
                                reterr);
        if (r < 0)
                return r;
        r = vk_secret_store_load_defs(drv->store, &defs, &warnings, reterr);
        if (r < 0)
                return r;

        for (guint i = 0; i < defs->len; i++) {
                VkSecretDef *def = defs->pdata[i];
                g_autofree char *key = secret_usage_key(def);
                g_autofree char *path = vk_secret_store_def_path(drv->store, &def->uuid);
                SecretObj *other = key ? g_hash_table_lookup(drv->by_usage, key) : NULL;
                SecretObj *o;

                if (other) {
                        g_ptr_array_add(
                                warnings,
                                g_strdup_printf("%s: usage %s '%s' is already used by "
                                                "secret '%s', not loaded",
                                                path,
                                                vk_secret_usage_type_to_string(def->usage_type),
                                                def->usage_id, other->uuid));
                        continue;
                }
                if (g_hash_table_size(drv->by_uuid) >= VK_SECRET_DRIVER_MAX_SECRETS) {
                        g_ptr_array_add(warnings,
                                        g_strdup_printf("%s: more than %d secrets, not loaded",
                                                        path, VK_SECRET_DRIVER_MAX_SECRETS));
                        continue;
                }
                o = secret_driver_add(drv, g_steal_pointer(&defs->pdata[i]));
                r = vk_secret_store_has_value(drv->store, &o->def->uuid);
                if (r < 0)
                        g_ptr_array_add(warnings,
                                        g_strdup_printf("secret '%s': cannot tell whether it "
                                                        "has a stored value: %s",
                                                        o->uuid, g_strerror(-r)));
                o->has_value = r > 0;
        }

        *ret_drv = g_steal_pointer(&drv);
        *ret_warnings = g_steal_pointer(&warnings);
        return 0;
}

/* Free the driver: ephemeral secrets and their values are gone (wiped). Takes NULL. */
VkSecretDriver *vk_secret_driver_free(VkSecretDriver *drv) {
        if (!drv)
                return NULL;
        if (drv->by_usage)
                g_hash_table_unref(drv->by_usage);
        if (drv->by_uuid)
                g_hash_table_unref(drv->by_uuid);
        vk_secret_store_free(drv->store);
        g_free(drv);
        return NULL;
}

/* Where the encryption key came from (credential, file or generated). */
VkSecretKeySource vk_secret_driver_get_key_source(const VkSecretDriver *drv) {
        return vk_secret_store_get_key_source(drv->store);
}

/*
 * Call @cb (NULL: nobody) with @userdata after every define, undefine and value change, of
 * persistent and ephemeral secrets alike. Loading the definitions at start is no change.
 */
void vk_secret_driver_set_event_callback(VkSecretDriver *drv, VkSecretEventFunc cb,
                                         void *userdata) {
        drv->event_cb = cb;
        drv->event_userdata = userdata;
}

/* How many secrets are defined. */
unsigned vk_secret_driver_count(const VkSecretDriver *drv) {
        return g_hash_table_size(drv->by_uuid);
}

/* libvirt refuses to change these on redefine; so do we, saying which and how. */
static int secret_check_redefine(const SecretObj *o, const VkSecretDef *def, VkError *reterr) {
        const VkSecretDef *old = o->def;

        if (old->ephemeral != def->ephemeral)
                return vk_error_set(reterr, VK_ERROR_OPERATION_INVALID, -EINVAL,
                                    "Secret '%s' is defined with ephemeral='%s': it cannot be "
                                    "redefined with ephemeral='%s'",
                                    o->uuid, old->ephemeral ? "yes" : "no",
                                    def->ephemeral ? "yes" : "no");
        if (old->is_private != def->is_private)
                return vk_error_set(reterr, VK_ERROR_OPERATION_INVALID, -EINVAL,
                                    "Secret '%s' is defined with private='%s': it cannot be "
                                    "redefined with private='%s'",
                                    o->uuid, old->is_private ? "yes" : "no",
                                    def->is_private ? "yes" : "no");
        if (old->usage_type != def->usage_type || g_strcmp0(old->usage_id, def->usage_id) != 0)
                return vk_error_set(reterr, VK_ERROR_OPERATION_INVALID, -EINVAL,
                                    "Secret '%s' is defined for usage %s '%s': it cannot be "
                                    "redefined for usage %s '%s'",
                                    o->uuid, vk_secret_usage_type_to_string(old->usage_type),
                                    vk_strempty(old->usage_id),
                                    vk_secret_usage_type_to_string(def->usage_type),
                                    vk_strempty(def->usage_id));
        return 0;
}

/*
 * Define a secret from libvirt's secret XML, or redefine the one with the same UUID (its
 * description changes; ephemeral, private and usage cannot, and a value is kept). A usage
 * (type and id) belongs to one secret: defining a second one for it is OperationInvalid naming
 * both UUIDs. Persistent definitions are written atomically before the change is visible.
 * Returns 1 (new) or 0 (updated) with *@ret_uuid set (may be NULL), or -errno with @reterr.
 */
int vk_secret_driver_define(VkSecretDriver *drv, const char *xml, VkUuid *ret_uuid,
                            VkError *reterr) {
        g_autoptr(VkSecretDef) def = NULL;
        g_autofree char *key = NULL;
        char buf[VK_UUID_STRING_MAX];
        SecretObj *o, *other;
        int r;

        assert(xml);

        r = vk_secret_def_parse_string(xml, &def, reterr);
        if (r < 0)
                return r;

        o = g_hash_table_lookup(drv->by_uuid, vk_uuid_format(&def->uuid, buf));
        if (o) {
                r = secret_check_redefine(o, def, reterr);
                if (r < 0)
                        return r;
        } else {
                key = secret_usage_key(def);
                other = key ? g_hash_table_lookup(drv->by_usage, key) : NULL;
                if (other)
                        return vk_error_set(reterr, VK_ERROR_OPERATION_INVALID, -EEXIST,
                                            "Usage %s '%s' is already used by secret '%s': "
                                            "secret '%s' cannot be defined with it",
                                            vk_secret_usage_type_to_string(def->usage_type),
                                            def->usage_id, other->uuid, buf);
                if (g_hash_table_size(drv->by_uuid) >= VK_SECRET_DRIVER_MAX_SECRETS)
                        return vk_error_set(reterr, VK_ERROR_LIMIT_EXCEEDED, -ENOSPC,
                                            "Cannot define secret '%s': there are already %d "
                                            "secrets",
                                            buf, VK_SECRET_DRIVER_MAX_SECRETS);
        }

        if (!def->ephemeral) {
                r = vk_secret_store_save_def(drv->store, def, reterr);
                if (r < 0)
                        return r;
        }

        if (ret_uuid)
                *ret_uuid = def->uuid;
        if (o) {
                /* only the description may differ: swap the definition in place */
                vk_secret_def_free(o->def);
                o->def = g_steal_pointer(&def);
                secret_driver_emit(drv, o, VK_SECRET_EVENT_DEFINED);
                return 0;
        }
        o = secret_driver_add(drv, g_steal_pointer(&def));
        secret_driver_emit(drv, o, VK_SECRET_EVENT_DEFINED);
        return 1;
}

/*
 * Forget the secret @uuid: its value and definition files are removed (persistent), or its
 * in-memory value is wiped (ephemeral). Returns 0, or -errno with @reterr (NoSuchSecret).
 */
int vk_secret_driver_undefine(VkSecretDriver *drv, const char *uuid, VkError *reterr) {
        SecretObj *o = NULL;
        int r;

        r = secret_driver_find(drv, uuid, &o, reterr);
        if (r < 0)
                return r;
        if (!o->def->ephemeral) {
                r = vk_secret_store_remove(drv->store, &o->def->uuid, reterr);
                if (r < 0)
                        return r;
        }
        secret_driver_remove(drv, o);
        return 0;
}

static bool secret_filter_match(const VkSecretFilter *f, const SecretObj *o) {
        if (!f)
                return true;
        if (f->ephemeral != VK_TRISTATE_ABSENT &&
            (f->ephemeral == VK_TRISTATE_YES) != o->def->ephemeral)
                return false;
        if (f->is_private != VK_TRISTATE_ABSENT &&
            (f->is_private == VK_TRISTATE_YES) != o->def->is_private)
                return false;
        return true;
}

static gint secret_info_cmp(gconstpointer a, gconstpointer b) {
        const VkSecretInfo *x = *(VkSecretInfo *const *) a, *y = *(VkSecretInfo *const *) b;

        return memcmp(x->uuid.bytes, y->uuid.bytes, sizeof(x->uuid.bytes));
}

/*
 * The secrets matching @filter (NULL: all), sorted by UUID, as VkSecretInfo in *@ret_infos
 * (the caller owns the array). Returns 0.
 */
int vk_secret_driver_list(VkSecretDriver *drv, const VkSecretFilter *filter, GPtrArray **ret_infos,
                          VkError *reterr) {
        g_autoptr(GPtrArray) infos =
                g_ptr_array_new_with_free_func((GDestroyNotify) vk_secret_info_free);
        GHashTableIter it;
        gpointer v;

        assert(ret_infos);

        g_hash_table_iter_init(&it, drv->by_uuid);
        while (g_hash_table_iter_next(&it, NULL, &v))
                if (secret_filter_match(filter, v))
                        g_ptr_array_add(infos, secret_obj_info(v));
        g_ptr_array_sort(infos, secret_info_cmp);
        *ret_infos = g_steal_pointer(&infos);
        return 0;
}

/* The secret @uuid. Returns 0 with *@ret_info (caller frees), or NoSuchSecret/InvalidArgument. */
int vk_secret_driver_lookup_uuid(VkSecretDriver *drv, const char *uuid, VkSecretInfo **ret_info,
                                 VkError *reterr) {
        SecretObj *o = NULL;
        int r;

        assert(ret_info);

        r = secret_driver_find(drv, uuid, &o, reterr);
        if (r < 0)
                return r;
        *ret_info = secret_obj_info(o);
        return 0;
}

/*
 * The secret used for @usage_type ("volume", "ceph", "iscsi", "tls", "vtpm") and @usage_id.
 * Returns 0 with *@ret_info (caller frees), InvalidArgument for an unknown type, or
 * NoSuchSecret (parameter "secret": the usage id).
 */
int vk_secret_driver_lookup_usage(VkSecretDriver *drv, const char *usage_type, const char *usage_id,
                                  VkSecretInfo **ret_info, VkError *reterr) {
        VkSecretUsageType t = vk_secret_usage_type_from_string(usage_type);
        g_autofree char *key = NULL;
        SecretObj *o = NULL;
        int r;

        assert(ret_info);

        if (t < 0 || t == VK_SECRET_USAGE_NONE)
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "usageType: unsupported value '%s' (expected volume, ceph, "
                                    "iscsi, tls or vtpm)",
                                    vk_strempty(usage_type));
        if (vk_isempty(usage_id))
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "usageId: must not be empty");

        key = g_strdup_printf("%s\n%s", usage_type, usage_id);
        o = g_hash_table_lookup(drv->by_usage, key);
        if (!o) {
                r = vk_error_set(reterr, VK_SECRET_ERROR_NO_SUCH_SECRET, -ENOENT,
                                 "No secret with usage %s '%s'", usage_type, usage_id);
                vk_error_add_param(reterr, "secret", usage_id);
                return r;
        }
        *ret_info = secret_obj_info(o);
        return 0;
}

/* The definition of secret @uuid as XML (*@ret_xml, g_free). Returns 0 or -errno + @reterr. */
int vk_secret_driver_get_xml(VkSecretDriver *drv, const char *uuid, char **ret_xml,
                             VkError *reterr) {
        SecretObj *o = NULL;
        int r;

        assert(ret_xml);

        r = secret_driver_find(drv, uuid, &o, reterr);
        if (r < 0)
                return r;
        *ret_xml = vk_secret_def_format(o->def);
        return 0;
}

/*
 * Set the value of secret @uuid to @len bytes of @data (1 .. VK_SECRET_VALUE_MAX). A
 * persistent secret's value is encrypted and written atomically (the plaintext never reaches
 * the disk); an ephemeral secret's stays in memory. The caller keeps @data (and wipes it).
 * Returns 0 or -errno with @reterr (NoSuchSecret, InvalidArgument, a write failure).
 */
int vk_secret_driver_set_value(VkSecretDriver *drv, const char *uuid, const void *data, size_t len,
                               VkError *reterr) {
        g_autoptr(VkSecretValue) v = NULL;
        SecretObj *o = NULL;
        int r;

        assert(data || len == 0);

        r = secret_driver_find(drv, uuid, &o, reterr);
        if (r < 0)
                return r;
        if (len == 0)
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "value: the value of secret '%s' must not be empty", o->uuid);
        if (len > VK_SECRET_VALUE_MAX)
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -E2BIG,
                                    "value: %zu bytes is more than the limit of %d bytes", len,
                                    VK_SECRET_VALUE_MAX);

        v = vk_secret_value_new(data, len);
        if (o->def->ephemeral) {
                vk_secret_value_free(o->value);
                o->value = g_steal_pointer(&v);
                secret_driver_emit(drv, o, VK_SECRET_EVENT_VALUE_CHANGED);
                return 0;
        }
        r = vk_secret_store_write_value(drv->store, &o->def->uuid, v, reterr);
        if (r < 0)
                return r;
        o->has_value = true;
        secret_driver_emit(drv, o, VK_SECRET_EVENT_VALUE_CHANGED);
        return 0;
}

/*
 * The value of secret @uuid in *@ret_value (the caller frees it, which wipes it). A private
 * secret's value is refused (OperationInvalid) unless @for_domain: the QEMU driver reading it
 * to start a domain, never a client's request. Errors: NoSuchSecret, NoSecretValue, and
 * OperationFailed when the stored value cannot be decrypted (wrong key, corrupt or truncated
 * file) -- reported for this secret only. Returns 0 or -errno with @reterr.
 */
int vk_secret_driver_get_value(VkSecretDriver *drv, const char *uuid, bool for_domain,
                               VkSecretValue **ret_value, VkError *reterr) {
        g_autoptr(VkSecretValue) v = NULL;
        SecretObj *o = NULL;
        int r;

        assert(ret_value);

        r = secret_driver_find(drv, uuid, &o, reterr);
        if (r < 0)
                return r;
        if (o->def->is_private && !for_domain)
                return vk_error_set(reterr, VK_ERROR_OPERATION_INVALID, -EPERM,
                                    "Secret '%s' is private: its value is never revealed to "
                                    "clients",
                                    o->uuid);

        if (o->def->ephemeral) {
                if (o->value)
                        v = vk_secret_value_new(o->value->data, o->value->len);
        } else {
                r = vk_secret_store_read_value(drv->store, &o->def->uuid, &v, reterr);
                if (r < 0)
                        return r;
        }
        if (!v) {
                r = vk_error_set(reterr, VK_SECRET_ERROR_NO_VALUE, -ENODATA,
                                 "Secret '%s' has no value", o->uuid);
                vk_error_add_param(reterr, "secret", o->uuid);
                return r;
        }
        *ret_value = g_steal_pointer(&v);
        return 0;
}

/*
 * Encrypt the value of secret @uuid for a domain's QEMU: AES-256-CBC under the caller's
 * @key (VK_SECRET_DOMAIN_KEY_SIZE bytes: the domain's master key), a fresh random IV, PKCS#7
 * padding, which is what QEMU's "secret" object decrypts with keyid= and iv=. Private values
 * are read too (the value leaves only encrypted, for QEMU). *@ret_ciphertext (wiped on free)
 * and @ret_iv are the caller's. NoSuchSecret, NoSecretValue (both with the parameter "secret"),
 * InvalidArgument for a key of the wrong size.
 */
int vk_secret_driver_encrypt_for_domain(VkSecretDriver *drv, const char *uuid, const void *key,
                                        size_t key_len, VkSecretValue **ret_ciphertext,
                                        uint8_t ret_iv[VK_SECRET_DOMAIN_IV_SIZE], VkError *reterr) {
        g_autoptr(VkSecretValue) v = NULL;
        g_autoptr(VkSecretValue) out = NULL;
        uint8_t iv[VK_SECRET_DOMAIN_IV_SIZE];
        gnutls_cipher_hd_t h = NULL;
        gnutls_datum_t dkey = { .data = (void *) key, .size = (unsigned) key_len };
        gnutls_datum_t div = { .data = iv, .size = sizeof(iv) };
        size_t pad, len;
        int r;

        assert(ret_ciphertext);
        assert(ret_iv);

        if (!key || key_len != VK_SECRET_DOMAIN_KEY_SIZE)
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "key: must be %d bytes, not %zu", VK_SECRET_DOMAIN_KEY_SIZE,
                                    key_len);
        r = vk_secret_driver_get_value(drv, uuid, /* for_domain= */ true, &v, reterr);
        if (r < 0)
                return r;

        /* PKCS#7: always 1..16 bytes of padding, each holding the padding's length */
        pad = VK_SECRET_DOMAIN_IV_SIZE - v->len % VK_SECRET_DOMAIN_IV_SIZE;
        len = v->len + pad;
        out = g_new0(VkSecretValue, 1);
        out->data = g_malloc(len);
        out->len = len;
        memcpy(out->data, v->data, v->len);
        memset(out->data + v->len, (int) pad, pad);

        r = gnutls_rnd(GNUTLS_RND_NONCE, iv, sizeof(iv));
        if (r >= 0)
                r = gnutls_cipher_init(&h, GNUTLS_CIPHER_AES_256_CBC, &dkey, &div);
        if (r >= 0)
                r = gnutls_cipher_encrypt(h, out->data, out->len);
        if (h)
                gnutls_cipher_deinit(h);
        if (r < 0)
                return vk_error_set(reterr, VK_ERROR_INTERNAL, -EIO,
                                    "Failed to encrypt the value of secret '%s': %s", uuid,
                                    gnutls_strerror(r));

        memcpy(ret_iv, iv, sizeof(iv));
        *ret_ciphertext = g_steal_pointer(&out);
        return 0;
}
