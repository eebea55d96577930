/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-secret-driver.c: the vk_secret_driver_* API: define, values, persistence, errors */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <glib/gstdio.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "secret-driver.h"

#define UUID_A "0a81f5b2-8403-7b23-c8d6-21ccc2f80d6f"
#define UUID_B "11111111-2222-4333-8444-555555555555"
#define UUID_E "eeeeeeee-2222-4333-8444-555555555555"

#define XML_A                                                                                      \
        "<secret private='no'><uuid>" UUID_A "</uuid><description>first</description>"             \
        "<usage type='volume'><volume>/img/a.img</volume></usage></secret>"
#define XML_B                                                                                      \
        "<secret private='yes'><uuid>" UUID_B "</uuid>"                                            \
        "<usage type='ceph'><name>client.admin</name></usage></secret>"
#define XML_E                                                                                      \
        "<secret ephemeral='yes'><uuid>" UUID_E "</uuid>"                                          \
        "<usage type='tls'><name>tls0</name></usage></secret>"

typedef struct Fixture {
        char *dir;
        char *etc;
        char *lib;
        VkSecretDriver *drv;
} Fixture;

static void rm_rf(const char *path) {
        g_autoptr(GDir) d = g_dir_open(path, 0, NULL);
        const char *f;

        while (d && (f = g_dir_read_name(d))) {
                g_autofree char *p = g_build_filename(path, f, NULL);

                if (g_file_test(p, G_FILE_TEST_IS_DIR) && !g_file_test(p, G_FILE_TEST_IS_SYMLINK))
                        rm_rf(p);
                else
                        (void) g_unlink(p);
        }
        (void) g_rmdir(path);
}

static VkSecretDriver *start(Fixture *f, GPtrArray **ret_warnings) {
        VkSecretDriverConfig cfg = { .config_dir = f->etc, .lib_dir = f->lib };
        g_autoptr(GPtrArray) warnings = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        VkSecretDriver *drv = NULL;

        if (vk_secret_driver_new(&cfg, &drv, &warnings, &err) < 0)
                fail_msg("driver start failed: %s", err.message);
        if (ret_warnings)
                *ret_warnings = g_steal_pointer(&warnings);
        else if (warnings->len > 0)
                fail_msg("unexpected warning: %s", (char *) warnings->pdata[0]);
        return drv;
}

static void restart(Fixture *f) {
        f->drv = vk_secret_driver_free(f->drv);
        f->drv = start(f, NULL);
}

static int setup(void **state) {
        Fixture *f = g_new0(Fixture, 1);

        f->dir = g_dir_make_tmp("vk-secret-driver-XXXXXX", NULL);
        f->etc = g_build_filename(f->dir, "etc", NULL);
        f->lib = g_build_filename(f->dir, "lib", NULL);
        assert_int_equal(g_mkdir(f->etc, 0700), 0);
        assert_int_equal(g_mkdir(f->lib, 0700), 0);
        f->drv = start(f, NULL);
        *state = f;
        return 0;
}

static int teardown(void **state) {
        Fixture *f = *state;

        vk_secret_driver_free(f->drv);
        rm_rf(f->dir);
        g_free(f->dir);
        g_free(f->etc);
        g_free(f->lib);
        g_free(f);
        return 0;
}

static int define(Fixture *f, const char *xml) {
        g_auto(VkError) err = VK_ERROR_INIT;
        int r = vk_secret_driver_define(f->drv, xml, NULL, &err);

        if (r < 0)
                fail_msg("define failed: %s", err.message);
        return r;
}

static void expect_define_error(Fixture *f, const char *xml, const char *name,
                                const char *message) {
        g_auto(VkError) err = VK_ERROR_INIT;

        assert_true(vk_secret_driver_define(f->drv, xml, NULL, &err) < 0);
        assert_string_equal(err.name, name);
        assert_string_equal(err.message, message);
}

static void set_value(Fixture *f, const char *uuid, const char *text) {
        g_auto(VkError) err = VK_ERROR_INIT;

        if (vk_secret_driver_set_value(f->drv, uuid, text, strlen(text), &err) < 0)
                fail_msg("set value failed: %s", err.message);
}

static void check_value(Fixture *f, const char *uuid, bool for_domain, const char *text) {
        g_autoptr(VkSecretValue) v = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;

        if (vk_secret_driver_get_value(f->drv, uuid, for_domain, &v, &err) < 0)
                fail_msg("get value failed: %s", err.message);
        assert_int_equal(v->len, strlen(text));
        assert_memory_equal(v->data, text, v->len);
}

static bool file_exists(const char *dir, const char *name) {
        g_autofree char *p = g_build_filename(dir, name, NULL);

        return g_file_test(p, G_FILE_TEST_EXISTS);
}

static void test_define_redefine(void **state) {
        Fixture *f = *state;
        g_auto(VkError) err = VK_ERROR_INIT;
        g_autofree char *xml = NULL;
        g_autofree char *disk = NULL;
        g_autofree char *path = g_build_filename(f->etc, UUID_A ".xml", NULL);
        VkUuid u;

        assert_int_equal(vk_secret_driver_define(f->drv, XML_A, &u, &err), 1);
        assert_true(file_exists(f->etc, UUID_A ".xml"));
        set_value(f, UUID_A, "v1");

        /* same UUID: an update of the description; the value stays */
        assert_int_equal(define(f, "<secret><uuid>" UUID_A "</uuid><description>second"
                                   "</description><usage type='volume'><volume>/img/a.img"
                                   "</volume></usage></secret>"),
                         0);
        assert_int_equal(vk_secret_driver_get_xml(f->drv, UUID_A, &xml, &err), 0);
        assert_string_equal(xml, "<secret ephemeral='no' private='no'>\n"
                                 "  <uuid>" UUID_A "</uuid>\n"
                                 "  <description>second</description>\n"
                                 "  <usage type='volume'>\n"
                                 "    <volume>/img/a.img</volume>\n"
                                 "  </usage>\n"
                                 "</secret>\n");
        assert_true(g_file_get_contents(path, &disk, NULL, NULL));
        assert_string_equal(disk, xml);
        check_value(f, UUID_A, false, "v1");
        assert_int_equal(vk_secret_driver_count(f->drv), 1);
}

static void test_define_conflicts(void **state) {
        Fixture *f = *state;

        define(f, XML_A);
        define(f, XML_B);
        expect_define_error(f,
                            "<secret><uuid>" UUID_E "</uuid><usage type='volume'>"
                            "<volume>/img/a.img</volume></usage></secret>",
                            VK_ERROR_OPERATION_INVALID,
                            "Usage volume '/img/a.img' is already used by secret '" UUID_A
                            "': secret '" UUID_E "' cannot be defined with it");
        expect_define_error(f,
                            "<secret ephemeral='yes'><uuid>" UUID_A "</uuid><usage "
                            "type='volume'><volume>/img/a.img</volume></usage></secret>",
                            VK_ERROR_OPERATION_INVALID,
                            "Secret '" UUID_A "' is defined with ephemeral='no': it cannot be "
                            "redefined with ephemeral='yes'");
        expect_define_error(f,
                            "<secret private='no'><uuid>" UUID_B "</uuid><usage type='ceph'>"
                            "<name>client.admin</name></usage></secret>",
                            VK_ERROR_OPERATION_INVALID,
                            "Secret '" UUID_B "' is defined with private='yes': it cannot be "
                            "redefined with private='no'");
        expect_define_error(f,
                            "<secret><uuid>" UUID_A "</uuid><usage type='volume'>"
                            "<volume>/img/other.img</volume></usage></secret>",
                            VK_ERROR_OPERATION_INVALID,
                            "Secret '" UUID_A "' is defined for usage volume '/img/a.img': it "
                            "cannot be redefined for usage volume '/img/other.img'");
        expect_define_error(f, "<secret><usage type='x'/></secret>", VK_ERROR_INVALID_XML,
                            "/secret/usage/@type: unsupported value 'x'");
        /* the same usage id under another type is another usage */
        define(f, "<secret><usage type='tls'><name>/img/a.img</name></usage></secret>");
        assert_int_equal(vk_secret_driver_count(f->drv), 3);
}

static void test_ephemeral_never_on_disk(void **state) {
        Fixture *f = *state;
        g_autoptr(GPtrArray) list = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;

        define(f, XML_E);
        set_value(f, UUID_E, "in memory only");
        check_value(f, UUID_E, false, "in memory only");
        assert_false(file_exists(f->etc, UUID_E ".xml"));
        assert_false(file_exists(f->lib, UUID_E ".value"));

        restart(f);
        assert_int_equal(vk_secret_driver_list(f->drv, NULL, &list, &err), 0);
        assert_int_equal(list->len, 0);
}

static void test_persistence(void **state) {
        Fixture *f = *state;
        g_autoptr(VkSecretInfo) info = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;

        define(f, XML_A);
        define(f, XML_B);
        set_value(f, UUID_A, "persisted");
        restart(f);
        assert_int_equal(vk_secret_driver_count(f->drv), 2);
        assert_int_equal(vk_secret_driver_lookup_uuid(f->drv, UUID_A, &info, &err), 0);
        assert_true(info->has_value);
        check_value(f, UUID_A, false, "persisted");
        assert_int_equal(vk_secret_driver_get_key_source(f->drv), VK_SECRET_KEY_SOURCE_FILE);
}

static void test_private(void **state) {
        Fixture *f = *state;
        g_autoptr(VkSecretValue) v = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;

        define(f, XML_B);
        set_value(f, UUID_B, "hidden");
        assert_int_equal(vk_secret_driver_get_value(f->drv, UUID_B, false, &v, &err), -EPERM);
        assert_null(v);
        assert_string_equal(err.name, VK_ERROR_OPERATION_INVALID);
        assert_string_equal(err.message, "Secret '" UUID_B "' is private: its value is never "
                                         "revealed to clients");
        /* the QEMU driver starting a domain reads it */
        check_value(f, UUID_B, true, "hidden");
}

static void test_list_filters(void **state) {
        Fixture *f = *state;
        g_auto(VkError) err = VK_ERROR_INIT;
        struct {
                VkTristate eph, priv;
                const char *uuids;
        } cases[] = {
                { VK_TRISTATE_ABSENT, VK_TRISTATE_ABSENT, UUID_A " " UUID_B " " UUID_E },
                { VK_TRISTATE_YES, VK_TRISTATE_ABSENT, UUID_E },
                { VK_TRISTATE_NO, VK_TRISTATE_ABSENT, UUID_A " " UUID_B },
                { VK_TRISTATE_ABSENT, VK_TRISTATE_YES, UUID_B },
                { VK_TRISTATE_NO, VK_TRISTATE_NO, UUID_A },
                { VK_TRISTATE_YES, VK_TRISTATE_YES, "" },
        };

        define(f, XML_E);
        define(f, XML_B);
        define(f, XML_A);
        set_value(f, UUID_E, "x");
        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                VkSecretFilter filter = { cases[i].eph, cases[i].priv };
                g_autoptr(GPtrArray) list = NULL;
                g_autoptr(GString) got = g_string_new(NULL);

                assert_int_equal(vk_secret_driver_list(f->drv, &filter, &list, &err), 0);
                for (guint j = 0; j < list->len; j++) {
                        const VkSecretInfo *info = list->pdata[j];
                        char buf[VK_UUID_STRING_MAX];

                        g_string_append_printf(got, "%s%s", j ? " " : "",
                                               vk_uuid_format(&info->uuid, buf));
                        assert_int_equal(info->has_value, strcmp(buf, UUID_E) == 0);
                }
                assert_string_equal(got->str, cases[i].uuids);
        }
}

static void test_lookup(void **state) {
        Fixture *f = *state;
        g_autoptr(VkSecretInfo) info = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        char buf[VK_UUID_STRING_MAX];

        define(f, XML_A);
        define(f, "<secret><uuid>" UUID_B "</uuid></secret>");
        assert_int_equal(vk_secret_driver_lookup_usage(f->drv, "volume", "/img/a.img", &info, &err),
                         0);
        assert_string_equal(vk_uuid_format(&info->uuid, buf), UUID_A);
        assert_int_equal(info->usage_type, VK_SECRET_USAGE_VOLUME);
        g_clear_pointer(&info, vk_secret_info_free);

        /* upper case and undashed UUIDs name the same secret */
        assert_int_equal(vk_secret_driver_lookup_uuid(f->drv,
                                                      "111111112222433384445555555555"
                                                      "55",
                                                      &info, &err),
                         0);
        assert_int_equal(info->usage_type, VK_SECRET_USAGE_NONE);
        assert_null(info->usage_id);

        assert_int_equal(vk_secret_driver_lookup_usage(f->drv, "volume", "/img/b.img", &info, &err),
                         -ENOENT);
        assert_string_equal(err.name, VK_SECRET_ERROR_NO_SUCH_SECRET);
        assert_string_equal(err.message, "No secret with usage volume '/img/b.img'");
        vk_error_done(&err);
        assert_int_equal(vk_secret_driver_lookup_usage(f->drv, "none", "x", &info, &err), -EINVAL);
        assert_string_equal(err.name, VK_ERROR_INVALID_ARGUMENT);
        vk_error_done(&err);
        assert_int_equal(vk_secret_driver_lookup_uuid(f->drv, UUID_E, &info, &err), -ENOENT);
        assert_string_equal(err.message, "No secret with UUID '" UUID_E "'");
        assert_string_equal(vk_error_get_param(&err, "secret"), UUID_E);
        vk_error_done(&err);
        assert_int_equal(vk_secret_driver_lookup_uuid(f->drv, "nope", &info, &err), -EINVAL);
        assert_string_equal(err.message, "secret: 'nope' is not a UUID");
}

static void test_undefine(void **state) {
        Fixture *f = *state;
        g_auto(VkError) err = VK_ERROR_INIT;

        define(f, XML_A);
        set_value(f, UUID_A, "gone soon");
        define(f, XML_E);
        set_value(f, UUID_E, "gone soon");
        assert_int_equal(vk_secret_driver_undefine(f->drv, UUID_A, &err), 0);
        assert_int_equal(vk_secret_driver_undefine(f->drv, UUID_E, &err), 0);
        assert_false(file_exists(f->etc, UUID_A ".xml"));
        assert_false(file_exists(f->lib, UUID_A ".value"));
        assert_int_equal(vk_secret_driver_undefine(f->drv, UUID_A, &err), -ENOENT);
        assert_string_equal(err.name, VK_SECRET_ERROR_NO_SUCH_SECRET);
        /* the usage is free again */
        define(f, "<secret><usage type='volume'><volume>/img/a.img</volume></usage></secret>");
}

static void test_value_errors(void **state) {
        Fixture *f = *state;
        g_autoptr(VkSecretValue) v = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        g_autofree char *big = g_malloc0(VK_SECRET_VALUE_MAX + 1);

        define(f, XML_A);
        assert_int_equal(vk_secret_driver_get_value(f->drv, UUID_A, false, &v, &err), -ENODATA);
        assert_string_equal(err.name, VK_SECRET_ERROR_NO_VALUE);
        assert_string_equal(err.message, "Secret '" UUID_A "' has no value");
        vk_error_done(&err);
        assert_int_equal(vk_secret_driver_set_value(f->drv, UUID_A, "", 0, &err), -EINVAL);
        assert_string_equal(err.name, VK_ERROR_INVALID_ARGUMENT);
        vk_error_done(&err);
        assert_int_equal(
                vk_secret_driver_set_value(f->drv, UUID_A, big, VK_SECRET_VALUE_MAX + 1, &err),
                -E2BIG);
        assert_string_equal(err.message, "value: 65537 bytes is more than the limit of 65536 "
                                         "bytes");
        vk_error_done(&err);
        assert_int_equal(vk_secret_driver_set_value(f->drv, UUID_B, "x", 1, &err), -ENOENT);
        assert_int_equal(vk_secret_driver_set_value(f->drv, UUID_A, big, VK_SECRET_VALUE_MAX, NULL),
                         0);
}

static void test_broken_files_at_start(void **state) {
        Fixture *f = *state;
        g_autoptr(GPtrArray) warnings = NULL;
        g_autoptr(VkSecretValue) v = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        g_autofree char *broken = g_build_filename(f->etc, "broken.xml", NULL);
        g_autofree char *dup = g_build_filename(f->etc, UUID_E ".xml", NULL);
        g_autofree char *value = g_build_filename(f->lib, UUID_B ".value", NULL);
        g_autofree char *expected = NULL;

        define(f, XML_A);
        define(f, "<secret><uuid>" UUID_B "</uuid></secret>");
        set_value(f, UUID_A, "fine");
        set_value(f, UUID_B, "will be damaged");
        assert_true(g_file_set_contents(broken, "<secret", -1, NULL));
        assert_true(g_file_set_contents(dup,
                                        "<secret><uuid>" UUID_E "</uuid><usage "
                                        "type='volume'><volume>/img/a.img</volume></usage>"
                                        "</secret>",
                                        -1, NULL));
        assert_true(g_file_set_contents(value, "VKSECRET", -1, NULL));

        f->drv = vk_secret_driver_free(f->drv);
        f->drv = start(f, &warnings);
        assert_int_equal(vk_secret_driver_count(f->drv), 2);
        assert_int_equal(warnings->len, 2);
        expected = g_strdup_printf(
                "%s: usage volume '/img/a.img' is already used by secret '" UUID_A "', not loaded",
                dup);
        assert_true(strcmp(warnings->pdata[0], expected) == 0 ||
                    strcmp(warnings->pdata[1], expected) == 0);

        /* the damaged value fails for its secret only */
        check_value(f, UUID_A, false, "fine");
        assert_int_equal(vk_secret_driver_get_value(f->drv, UUID_B, false, &v, &err), -EBADMSG);
        assert_string_equal(err.name, VK_ERROR_OPERATION_FAILED);
        assert_true(g_str_has_prefix(err.message, "The stored value of secret '" UUID_B
                                                  "' cannot be decrypted: the file is truncated"));
        /* and setting it again repairs it */
        set_value(f, UUID_B, "repaired");
        check_value(f, UUID_B, false, "repaired");
}

/* Decrypt what EncryptSecretForDomain made (AES-256-CBC, PKCS#7) the way QEMU does. */
static void decrypt_cbc(const uint8_t *key, const uint8_t *iv, const VkSecretValue *ct,
                        char **ret_text) {
        gnutls_datum_t dkey = { .data = (void *) key, .size = VK_SECRET_DOMAIN_KEY_SIZE };
        gnutls_datum_t div = { .data = (void *) iv, .size = VK_SECRET_DOMAIN_IV_SIZE };
        gnutls_cipher_hd_t h;
        g_autofree uint8_t *buf = g_memdup2(ct->data, ct->len);
        size_t pad;

        assert_int_equal(ct->len % VK_SECRET_DOMAIN_IV_SIZE, 0);
        assert_int_equal(gnutls_cipher_init(&h, GNUTLS_CIPHER_AES_256_CBC, &dkey, &div), 0);
        assert_int_equal(gnutls_cipher_decrypt(h, buf, ct->len), 0);
        gnutls_cipher_deinit(h);
        pad = buf[ct->len - 1];
        assert_true(pad >= 1 && pad <= VK_SECRET_DOMAIN_IV_SIZE);
        for (size_t i = ct->len - pad; i < ct->len; i++)
                assert_int_equal(buf[i], pad);
        *ret_text = g_strndup((char *) buf, ct->len - pad);
}

static void test_encrypt_for_domain(void **state) {
        static const char *const values[] = { "hidden", "exactly sixteen!", "", NULL };
        Fixture *f = *state;
        uint8_t key[VK_SECRET_DOMAIN_KEY_SIZE];

        for (size_t i = 0; i < sizeof(key); i++)
                key[i] = (uint8_t) (i * 7 + 1);
        define(f, XML_A);
        define(f, XML_B); /* private: encrypted for a domain all the same */
        for (size_t i = 0; values[i]; i++) {
                g_autoptr(VkSecretValue) ct = NULL;
                g_autoptr(VkSecretValue) ct2 = NULL;
                g_auto(VkError) err = VK_ERROR_INIT;
                g_autofree char *text = NULL;
                uint8_t iv[VK_SECRET_DOMAIN_IV_SIZE], iv2[VK_SECRET_DOMAIN_IV_SIZE];
                const char *uuid = i % 2 ? UUID_A : UUID_B;

                if (*values[i])
                        set_value(f, uuid, values[i]);
                else if (vk_secret_driver_set_value(f->drv, uuid, "", 0, &err) < 0)
                        continue; /* empty values are refused: nothing to encrypt */
                if (vk_secret_driver_encrypt_for_domain(f->drv, uuid, key, sizeof(key), &ct, iv,
                                                        &err) < 0)
                        fail_msg("encrypt failed: %s", err.message);
                /* a whole block of padding after a value of a whole block */
                assert_int_equal(ct->len, (strlen(values[i]) / 16 + 1) * 16);
                decrypt_cbc(key, iv, ct, &text);
                assert_string_equal(text, values[i]);
                /* a fresh IV each time */
                assert_int_equal(vk_secret_driver_encrypt_for_domain(f->drv, uuid, key, sizeof(key),
                                                                     &ct2, iv2, &err),
                                 0);
                assert_memory_not_equal(iv, iv2, sizeof(iv));
        }
}

static void test_encrypt_for_domain_errors(void **state) {
        Fixture *f = *state;
        uint8_t key[VK_SECRET_DOMAIN_KEY_SIZE] = {}, iv[VK_SECRET_DOMAIN_IV_SIZE];
        g_autoptr(VkSecretValue) ct = NULL;
        g_auto(VkError) e1 = VK_ERROR_INIT;
        g_auto(VkError) e2 = VK_ERROR_INIT;
        g_auto(VkError) e3 = VK_ERROR_INIT;

        assert_int_equal(
                vk_secret_driver_encrypt_for_domain(f->drv, UUID_A, key, sizeof(key), &ct, iv, &e1),
                -ENOENT);
        assert_string_equal(e1.name, VK_SECRET_ERROR_NO_SUCH_SECRET);
        assert_string_equal(vk_error_get_param(&e1, "secret"), UUID_A);
        define(f, XML_B);
        assert_int_equal(
                vk_secret_driver_encrypt_for_domain(f->drv, UUID_B, key, sizeof(key), &ct, iv, &e2),
                -ENODATA);
        assert_string_equal(e2.name, VK_SECRET_ERROR_NO_VALUE);
        assert_string_equal(vk_error_get_param(&e2, "secret"), UUID_B);
        set_value(f, UUID_B, "hidden");
        assert_int_equal(vk_secret_driver_encrypt_for_domain(f->drv, UUID_B, key, 16, &ct, iv, &e3),
                         -EINVAL);
        assert_string_equal(e3.message, "key: must be 32 bytes, not 16");
        assert_null(ct);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_define_redefine, setup, teardown),
                cmocka_unit_test_setup_teardown(test_define_conflicts, setup, teardown),
                cmocka_unit_test_setup_teardown(test_ephemeral_never_on_disk, setup, teardown),
                cmocka_unit_test_setup_teardown(test_persistence, setup, teardown),
                cmocka_unit_test_setup_teardown(test_private, setup, teardown),
                cmocka_unit_test_setup_teardown(test_list_filters, setup, teardown),
                cmocka_unit_test_setup_teardown(test_lookup, setup, teardown),
                cmocka_unit_test_setup_teardown(test_undefine, setup, teardown),
                cmocka_unit_test_setup_teardown(test_value_errors, setup, teardown),
                cmocka_unit_test_setup_teardown(test_broken_files_at_start, setup, teardown),
                cmocka_unit_test_setup_teardown(test_encrypt_for_domain, setup, teardown),
                cmocka_unit_test_setup_teardown(test_encrypt_for_domain_errors, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
