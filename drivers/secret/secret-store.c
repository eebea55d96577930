/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* secret-store.c: secret definitions and values on disk, values encrypted with AES-256-GCM */
#include <assert.h>
#include <string.h>
#include <sys/stat.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "atomic-file.h"
#include "macro.h"
#include "secret-store.h"

/*
 * A value file, lib_dir/<uuid>.value:
 *
 *   offset  size  content
 *        0     8  magic "VKSECRET"
 *        8     1  format version (1)
 *        9     1  cipher (1: AES-256-GCM)
 *       10     2  reserved, zero
 *       12    12  nonce, random for every write
 *       24     n  ciphertext of the n-byte value
 *     24+n    16  GCM tag
 *
 * The associated data is the first 12 bytes (magic, version, cipher, reserved) followed by the
 * secret's 16 UUID bytes: a file copied to another secret's name, or a header edited to claim
 * another format, fails authentication instead of decrypting to the wrong secret.
 */
#define VALUE_MAGIC              "VKSECRET"
#define VALUE_MAGIC_SIZE         8
#define VALUE_VERSION            1
#define VALUE_CIPHER_AES_256_GCM 1
#define VALUE_PREFIX_SIZE        12
#define VALUE_NONCE_SIZE         12
#define VALUE_HEADER_SIZE        (VALUE_PREFIX_SIZE + VALUE_NONCE_SIZE)
#define VALUE_TAG_SIZE           16
#define VALUE_FILE_MAX           (VALUE_HEADER_SIZE + VK_SECRET_VALUE_MAX + VALUE_TAG_SIZE)

/* Definitions, one file each, are small; anything bigger is not ours. */
#define DEF_FILE_MAX VK_SECRET_XML_MAX

struct VkSecretStore {
        char *config_dir;
        char *lib_dir;
        VkSecretKeySource key_source;
        gnutls_aead_cipher_hd_t cipher;
};

static const char *const key_source_table[_VK_SECRET_KEY_SOURCE_MAX] = {
        [VK_SECRET_KEY_SOURCE_CREDENTIAL] = "credential",
        [VK_SECRET_KEY_SOURCE_FILE] = "file",
        [VK_SECRET_KEY_SOURCE_GENERATED] = "generated",
};

/* "credential", "file" or "generated"; NULL for an invalid value. */
const char *vk_secret_key_source_to_string(VkSecretKeySource s) {
        if (s < 0 || s >= _VK_SECRET_KEY_SOURCE_MAX)
                return NULL;
        return key_source_table[s];
}

/* The inverse of vk_secret_key_source_to_string(); _VK_SECRET_KEY_SOURCE_INVALID otherwise. */
VkSecretKeySource vk_secret_key_source_from_string(const char *s) {
        for (int i = 0; s && i < _VK_SECRET_KEY_SOURCE_MAX; i++)
                if (strcmp(s, key_source_table[i]) == 0)
                        return (VkSecretKeySource) i;
        return _VK_SECRET_KEY_SOURCE_INVALID;
}

/* A copy of @len bytes of @data (may be 0) as a value; the caller frees it. */
VkSecretValue *vk_secret_value_new(const void *data, size_t len) {
        VkSecretValue *v = g_new0(VkSecretValue, 1);

        assert(data || len == 0);
        v->data = g_malloc(len ? len : 1);
        if (len)
                memcpy(v->data, data, len);
        v->len = len;
        return v;
}

/* Wipe and free @v; takes NULL; returns NULL. */
VkSecretValue *vk_secret_value_free(VkSecretValue *v) {
        if (!v)
                return NULL;
        if (v->data)
                explicit_bzero(v->data, v->len);
        g_free(v->data);
        g_free(v);
        return NULL;
}

/* Read a 32-byte key from @path into @key. Returns 0, -ENOENT (absent) or -errno + @reterr. */
static int store_read_key(const char *path, uint8_t key[static VK_SECRET_KEY_SIZE],
                          VkError *reterr) {
        g_autofree char *data = NULL;
        size_t len = 0;
        int r;

        r = vk_file_read_all(path, 4096, &data, &len, NULL);
        if (r == -ENOENT)
                return r;
        if (r < 0)
                return vk_error_set_errno(reterr, r, "Failed to read the encryption key '%s'",
                                          path);
        if (len != VK_SECRET_KEY_SIZE) {
                explicit_bzero(data, len);
                return vk_error_set(reterr, VK_ERROR_INVALID_CONFIG, -EINVAL,
                                    "The encryption key '%s' is %zu bytes long, it must be "
                                    "exactly %d bytes",
                                    path, len, VK_SECRET_KEY_SIZE);
        }
        memcpy(key, data, VK_SECRET_KEY_SIZE);
        explicit_bzero(data, len);
        return 0;
}

static int store_load_key(VkSecretStore *s, const char *credentials_dir,
                          uint8_t key[static VK_SECRET_KEY_SIZE], VkError *reterr) {
        g_autofree char *path = NULL;
        int r;

        if (!vk_isempty(credentials_dir)) {
                path = g_build_filename(credentials_dir, VK_SECRET_KEY_NAME, NULL);
                r = store_read_key(path, key, reterr);
                if (r != -ENOENT) {
                        s->key_source = VK_SECRET_KEY_SOURCE_CREDENTIAL;
                        return r;
                }
                g_clear_pointer(&path, g_free);
        }

        path = g_build_filename(s->lib_dir, VK_SECRET_KEY_NAME, NULL);
        r = store_read_key(path, key, reterr);
        if (r != -ENOENT) {
                s->key_source = VK_SECRET_KEY_SOURCE_FILE;
                return r;
        }

        /* first start without a credential: make a key and keep it, readable by root only */
        r = gnutls_rnd(GNUTLS_RND_KEY, key, VK_SECRET_KEY_SIZE);
        if (r < 0)
                return vk_error_set(reterr, VK_ERROR_SYSTEM, -EIO,
                                    "Failed to generate an encryption key: %s", gnutls_strerror(r));
        r = vk_atomic_file_write(path, key, VK_SECRET_KEY_SIZE, 0600, reterr);
        if (r < 0)
                return r;
        s->key_source = VK_SECRET_KEY_SOURCE_GENERATED;
        return 0;
}

/*
 * Open the store: definitions in @config_dir (<uuid>.xml), values in @lib_dir (<uuid>.value),
 * both directories existing. The encryption key is the credential @credentials_dir/
 * secrets-encryption-key when present (@credentials_dir is $CREDENTIALS_DIRECTORY, may be NULL),
 * else @lib_dir/secrets-encryption-key, which is generated (0600, atomically) when absent. A
 * key of another size than 32 bytes is an error: values written with the right key would
 * become unreadable if we replaced it. Blocks on small file I/O. Returns 0 with *@ret_store
 * owned by the caller, or a negative errno with @reterr set.
 */
int vk_secret_store_new(const char *config_dir, const char *lib_dir, const char *credentials_dir,
                        VkSecretStore **ret_store, VkError *reterr) {
        g_autoptr(VkSecretStore) s = NULL;
        uint8_t key[VK_SECRET_KEY_SIZE];
        gnutls_datum_t datum = { .data = key, .size = sizeof(key) };
        int r;

        assert(config_dir);
        assert(lib_dir);
        assert(ret_store);

        s = g_new0(VkSecretStore, 1);
        s->config_dir = g_strdup(config_dir);
        s->lib_dir = g_strdup(lib_dir);

        r = store_load_key(s, credentials_dir, key, reterr);
        if (r < 0) {
                explicit_bzero(key, sizeof(key));
                return r;
        }
        r = gnutls_aead_cipher_init(&s->cipher, GNUTLS_CIPHER_AES_256_GCM, &datum);
        explicit_bzero(key, sizeof(key));
        if (r < 0) {
                s->cipher = NULL;
                return vk_error_set(reterr, VK_ERROR_SYSTEM, -EIO,
                                    "Failed to set up AES-256-GCM: %s", gnutls_strerror(r));
        }

        *ret_store = g_steal_pointer(&s);
        return 0;
}

/* Close the store and forget its key; takes NULL; returns NULL. Files stay. */
VkSecretStore *vk_secret_store_free(VkSecretStore *s) {
        if (!s)
                return NULL;
        if (s->cipher)
                gnutls_aead_cipher_deinit(s->cipher);
        g_free(s->config_dir);
        g_free(s->lib_dir);
        g_free(s);
        return NULL;
}

/* Where the key came from, for the daemon to say once at start. */
VkSecretKeySource vk_secret_store_get_key_source(const VkSecretStore *s) {
        return s->key_source;
}

/* The path of @uuid's definition file, config_dir/<uuid>.xml (g_free). */
char *vk_secret_store_def_path(const VkSecretStore *s, const VkUuid *uuid) {
        char buf[VK_UUID_STRING_MAX];
        g_autofree char *name = g_strdup_printf("%s.xml", vk_uuid_format(uuid, buf));

        return g_build_filename(s->config_dir, name, NULL);
}

/* The path of @uuid's value file, lib_dir/<uuid>.value (g_free). */
char *vk_secret_store_value_path(const VkSecretStore *s, const VkUuid *uuid) {
        char buf[VK_UUID_STRING_MAX];
        g_autofree char *name = g_strdup_printf("%s.value", vk_uuid_format(uuid, buf));

        return g_build_filename(s->lib_dir, name, NULL);
}

static void store_def_free(gpointer p) {
        vk_secret_def_free(p);
}

static gint store_def_cmp(gconstpointer a, gconstpointer b) {
        const VkSecretDef *x = *(VkSecretDef *const *) a, *y = *(VkSecretDef *const *) b;

        return memcmp(x->uuid.bytes, y->uuid.bytes, sizeof(x->uuid.bytes));
}

/*
 * Read every definition file of config_dir (<uuid>.xml; hidden files such as interrupted
 * atomic writes are skipped). A file that does not parse, is not named after its UUID, or
 * claims to be ephemeral is not loaded: a message naming it is added to *@ret_warnings and
 * loading goes on. *@ret_defs (VkSecretDef, sorted by UUID) and *@ret_warnings (strings) are
 * owned by the caller. Fails only when config_dir cannot be listed.
 */
int vk_secret_store_load_defs(VkSecretStore *s, GPtrArray **ret_defs, GPtrArray **ret_warnings,
                              VkError *reterr) {
        g_autoptr(GPtrArray) defs = g_ptr_array_new_with_free_func(store_def_free);
        g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(GError) gerr = NULL;
        g_autoptr(GDir) dir = NULL;
        const char *f;

        assert(ret_defs);
        assert(ret_warnings);

        dir = g_dir_open(s->config_dir, 0, &gerr);
        if (!dir)
                return vk_error_set(reterr, VK_ERROR_SYSTEM, -EIO, "Failed to list '%s': %s",
                                    s->config_dir, gerr->message);

        while ((f = g_dir_read_name(dir))) {
                g_autofree char *path = g_build_filename(s->config_dir, f, NULL);
                g_autofree char *expected = NULL;
                g_autoptr(VkSecretDef) def = NULL;
                g_auto(VkError) err = VK_ERROR_INIT;
                char buf[VK_UUID_STRING_MAX];

                if (f[0] == '.' || !g_str_has_suffix(f, ".xml"))
                        continue;
                if (vk_secret_def_parse_file(path, &def, &err) < 0) {
                        /* syntax errors name the file already, structural ones the element */
                        g_ptr_array_add(warnings,
                                        g_str_has_prefix(err.message, path)
                                                ? g_strdup(err.message)
                                                : g_strdup_printf("%s: %s", path, err.message));
                        continue;
                }
                expected = g_strdup_printf("%s.xml", vk_uuid_format(&def->uuid, buf));
                if (strcmp(f, expected) != 0) {
                        g_ptr_array_add(warnings,
                                        g_strdup_printf("%s: the file of secret '%s' must be "
                                                        "named '%s'",
                                                        path, buf, expected));
                        continue;
                }
                if (def->ephemeral) {
                        g_ptr_array_add(warnings,
                                        g_strdup_printf("%s: an ephemeral secret is never "
                                                        "stored on disk",
                                                        path));
                        continue;
                }
                g_ptr_array_add(defs, g_steal_pointer(&def));
        }
        g_ptr_array_sort(defs, store_def_cmp);

        *ret_defs = g_steal_pointer(&defs);
        *ret_warnings = g_steal_pointer(&warnings);
        return 0;
}

/* Write @def (persistent) to config_dir/<uuid>.xml atomically, mode 0600. Returns 0 or -errno. */
int vk_secret_store_save_def(VkSecretStore *s, const VkSecretDef *def, VkError *reterr) {
        g_autofree char *path = NULL;
        g_autofree char *xml = NULL;

        assert(def);
        assert(!def->ephemeral);

        path = vk_secret_store_def_path(s, &def->uuid);
        xml = vk_secret_def_format(def);
        return vk_atomic_file_write(path, xml, strlen(xml), 0600, reterr);
}

/*
 * Remove @uuid's value file, then its definition file; files already gone are fine. The value
 * goes first so that a failure never leaves a value file without its definition.
 */
int vk_secret_store_remove(VkSecretStore *s, const VkUuid *uuid, VkError *reterr) {
        g_autofree char *value = vk_secret_store_value_path(s, uuid);
        g_autofree char *def = vk_secret_store_def_path(s, uuid);
        int r;

        r = vk_file_remove(value);
        if (r < 0)
                return vk_error_set_errno(reterr, r, "Failed to remove '%s'", value);
        r = vk_file_remove(def);
        if (r < 0)
                return vk_error_set_errno(reterr, r, "Failed to remove '%s'", def);
        return 0;
}

/* Whether @uuid has a value file: 1 yes, 0 no, or -errno when that cannot be told. */
int vk_secret_store_has_value(VkSecretStore *s, const VkUuid *uuid) {
        g_autofree char *path = vk_secret_store_value_path(s, uuid);
        struct stat st;

        if (stat(path, &st) < 0)
                return errno == ENOENT ? 0 : vk_negative_errno(errno);
        return S_ISREG(st.st_mode) ? 1 : -EBADFD;
}

static void store_value_aad(const uint8_t *header, const VkUuid *uuid,
                            uint8_t aad[static VALUE_PREFIX_SIZE + 16]) {
        memcpy(aad, header, VALUE_PREFIX_SIZE);
        memcpy(aad + VALUE_PREFIX_SIZE, uuid->bytes, 16);
}

/*
 * Encrypt @value for @uuid with a fresh random nonce and write it to lib_dir/<uuid>.value
 * atomically, mode 0600. The plaintext never reaches the disk. Returns 0 or -errno + @reterr.
 */
int vk_secret_store_write_value(VkSecretStore *s, const VkUuid *uuid, const VkSecretValue *value,
                                VkError *reterr) {
        g_autofree char *path = NULL;
        g_autofree uint8_t *buf = NULL;
        uint8_t aad[VALUE_PREFIX_SIZE + 16];
        size_t ctext_len, total;
        char ubuf[VK_UUID_STRING_MAX];
        int r;

        assert(uuid);
        assert(value);

        if (value->len > VK_SECRET_VALUE_MAX)
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -E2BIG,
                                    "The value of secret '%s' is %zu bytes, more than the "
                                    "limit of %d bytes",
                                    vk_uuid_format(uuid, ubuf), value->len, VK_SECRET_VALUE_MAX);

        total = VALUE_HEADER_SIZE + value->len + VALUE_TAG_SIZE;
        buf = g_malloc0(total);
        memcpy(buf, VALUE_MAGIC, VALUE_MAGIC_SIZE);
        buf[8] = VALUE_VERSION;
        buf[9] = VALUE_CIPHER_AES_256_GCM;
        r = gnutls_rnd(GNUTLS_RND_NONCE, buf + VALUE_PREFIX_SIZE, VALUE_NONCE_SIZE);
        if (r < 0)
                return vk_error_set(reterr, VK_ERROR_SYSTEM, -EIO, "Failed to generate a nonce: %s",
                                    gnutls_strerror(r));

        store_value_aad(buf, uuid, aad);
        ctext_len = value->len + VALUE_TAG_SIZE;
        r = gnutls_aead_cipher_encrypt(s->cipher, buf + VALUE_PREFIX_SIZE, VALUE_NONCE_SIZE, aad,
                                       sizeof(aad), VALUE_TAG_SIZE, value->data, value->len,
                                       buf + VALUE_HEADER_SIZE, &ctext_len);
        if (r < 0 || ctext_len != value->len + VALUE_TAG_SIZE)
                return vk_error_set(reterr, VK_ERROR_INTERNAL, -EIO,
                                    "Failed to encrypt the value of secret '%s': %s",
                                    vk_uuid_format(uuid, ubuf),
                                    r < 0 ? gnutls_strerror(r) : "unexpected length");

        path = vk_secret_store_value_path(s, uuid);
        return vk_atomic_file_write(path, buf, total, 0600, reterr);
}

static int store_value_unreadable(VkError *reterr, const VkUuid *uuid, const char *path,
                                  const char *why) {
        char ubuf[VK_UUID_STRING_MAX];

        return vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, -EBADMSG,
                            "The stored value of secret '%s' cannot be decrypted: %s ('%s')",
                            vk_uuid_format(uuid, ubuf), why, path);
}

/*
 * Read and decrypt lib_dir/<uuid>.value. Returns 1 with *@ret_value (the caller frees it,
 * which wipes it), 0 when the secret has no value file, or a negative errno with @reterr set:
 * a truncated, corrupt or foreign file, or one written with another key, is OperationFailed
 * "The stored value of secret '<uuid>' cannot be decrypted: <why>". Blocks on one small read.
 */
int vk_secret_store_read_value(VkSecretStore *s, const VkUuid *uuid, VkSecretValue **ret_value,
                               VkError *reterr) {
        g_autofree char *path = NULL;
        g_autofree char *data = NULL;
        g_autoptr(VkSecretValue) v = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        uint8_t aad[VALUE_PREFIX_SIZE + 16];
        const uint8_t *p;
        size_t len = 0, ptext_len;
        int r;

        assert(uuid);
        assert(ret_value);

        path = vk_secret_store_value_path(s, uuid);
        r = vk_file_read_all(path, VALUE_FILE_MAX, &data, &len, &err);
        if (r == -ENOENT)
                return 0;
        if (r == -EFBIG)
                return store_value_unreadable(reterr, uuid, path, "the file is too large");
        if (r < 0)
                return vk_error_set(reterr, err.name, r, "%s", err.message);
        p = (const uint8_t *) data;

        if (len < VALUE_HEADER_SIZE + VALUE_TAG_SIZE) {
                g_autofree char *why = g_strdup_printf("the file is truncated (%zu bytes)", len);
                return store_value_unreadable(reterr, uuid, path, why);
        }
        if (memcmp(p, VALUE_MAGIC, VALUE_MAGIC_SIZE) != 0)
                return store_value_unreadable(reterr, uuid, path,
                                              "not a virtkit secret value file");
        if (p[8] != VALUE_VERSION || p[9] != VALUE_CIPHER_AES_256_GCM) {
                g_autofree char *why = g_strdup_printf("unsupported format version %u, cipher "
                                                       "%u",
                                                       p[8], p[9]);
                return store_value_unreadable(reterr, uuid, path, why);
        }

        store_value_aad(p, uuid, aad);
        ptext_len = len - VALUE_HEADER_SIZE - VALUE_TAG_SIZE;
        v = g_new0(VkSecretValue, 1);
        v->data = g_malloc(ptext_len ? ptext_len : 1);
        v->len = ptext_len;
        r = gnutls_aead_cipher_decrypt(s->cipher, p + VALUE_PREFIX_SIZE, VALUE_NONCE_SIZE, aad,
                                       sizeof(aad), VALUE_TAG_SIZE, p + VALUE_HEADER_SIZE,
                                       len - VALUE_HEADER_SIZE, v->data, &ptext_len);
        if (r < 0 || ptext_len != v->len)
                return store_value_unreadable(reterr, uuid, path,
                                              "wrong encryption key, or the file is corrupt");

        *ret_value = g_steal_pointer(&v);
        return 1;
}
