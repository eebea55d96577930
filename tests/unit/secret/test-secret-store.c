/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-secret-store.c: encryption at rest, the key, value files and definition files */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <glib/gstdio.h>

#include "secret-store.h"

static const char plaintext[] = "correct horse battery staple";

typedef struct Fixture {
        char *dir;
        char *etc;
        char *lib;
        char *cred;
        VkUuid a;
        VkUuid b;
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

static int setup(void **state) {
        Fixture *f = g_new0(Fixture, 1);

        f->dir = g_dir_make_tmp("vk-secret-store-XXXXXX", NULL);
        f->etc = g_build_filename(f->dir, "etc", NULL);
        f->lib = g_build_filename(f->dir, "lib", NULL);
        f->cred = g_build_filename(f->dir, "cred", NULL);
        assert_int_equal(g_mkdir(f->etc, 0700), 0);
        assert_int_equal(g_mkdir(f->lib, 0700), 0);
        assert_int_equal(g_mkdir(f->cred, 0700), 0);
        assert_int_equal(vk_uuid_parse("0a81f5b2-8403-7b23-c8d6-21ccc2f80d6f", &f->a), 0);
        assert_int_equal(vk_uuid_parse("11111111-2222-4333-8444-555555555555", &f->b), 0);
        *state = f;
        return 0;
}

static int teardown(void **state) {
        Fixture *f = *state;

        rm_rf(f->dir);
        g_free(f->dir);
        g_free(f->etc);
        g_free(f->lib);
        g_free(f->cred);
        g_free(f);
        return 0;
}

static VkSecretStore *open_store(Fixture *f, const char *cred_dir) {
        VkSecretStore *s = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;

        if (vk_secret_store_new(f->etc, f->lib, cred_dir, &s, &err) < 0)
                fail_msg("opening the store failed: %s", err.message);
        return s;
}

static void write_cred(Fixture *f, uint8_t fill, size_t len) {
        g_autofree char *path = g_build_filename(f->cred, VK_SECRET_KEY_NAME, NULL);
        g_autofree uint8_t *key = g_malloc(len);

        memset(key, fill, len);
        assert_true(g_file_set_contents(path, (char *) key, (gssize) len, NULL));
}

static void write_value(VkSecretStore *s, const VkUuid *u, const char *text) {
        g_autoptr(VkSecretValue) v = vk_secret_value_new(text, strlen(text));
        g_auto(VkError) err = VK_ERROR_INIT;

        if (vk_secret_store_write_value(s, u, v, &err) < 0)
                fail_msg("write failed: %s", err.message);
}

static char *read_bytes(const char *path, size_t *ret_len) {
        char *data = NULL;
        gsize len = 0;

        assert_true(g_file_get_contents(path, &data, &len, NULL));
        *ret_len = len;
        return data;
}

static gint strcmp_p(gconstpointer a, gconstpointer b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* The names in @dir, sorted and joined with spaces. */
static char *list_dir(const char *dir) {
        g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
        g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
        const char *n;

        assert_non_null(d);
        while ((n = g_dir_read_name(d)))
                g_ptr_array_add(names, g_strdup(n));
        g_ptr_array_sort(names, strcmp_p);
        g_ptr_array_add(names, NULL);
        return g_strjoinv(" ", (char **) names->pdata);
}

static void expect_unreadable(VkSecretStore *s, const VkUuid *u, const char *why) {
        g_autoptr(VkSecretValue) v = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        char buf[VK_UUID_STRING_MAX];
        g_autofree char *prefix = NULL;

        assert_int_equal(vk_secret_store_read_value(s, u, &v, &err), -EBADMSG);
        assert_null(v);
        assert_string_equal(err.name, VK_ERROR_OPERATION_FAILED);
        prefix = g_strdup_printf("The stored value of secret '%s' cannot be decrypted: %s",
                                 vk_uuid_format(u, buf), why);
        if (!g_str_has_prefix(err.message, prefix))
                fail_msg("unexpected message: %s", err.message);
}

static void test_key_generated_then_reused(void **state) {
        Fixture *f = *state;
        g_autoptr(VkSecretStore) s1 = NULL;
        g_autoptr(VkSecretStore) s2 = NULL;
        g_autoptr(VkSecretValue) v = NULL;
        g_autofree char *key = g_build_filename(f->lib, VK_SECRET_KEY_NAME, NULL);
        g_autofree char *names = NULL;
        struct stat st;

        /* a credentials directory without our credential falls back to lib_dir */
        s1 = open_store(f, f->cred);
        assert_int_equal(vk_secret_store_get_key_source(s1), VK_SECRET_KEY_SOURCE_GENERATED);
        assert_int_equal(stat(key, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0600);
        assert_int_equal(st.st_size, VK_SECRET_KEY_SIZE);
        names = list_dir(f->lib);
        assert_string_equal(names, VK_SECRET_KEY_NAME); /* no temporary file left */
        write_value(s1, &f->a, plaintext);

        s2 = open_store(f, NULL);
        assert_int_equal(vk_secret_store_get_key_source(s2), VK_SECRET_KEY_SOURCE_FILE);
        assert_int_equal(vk_secret_store_read_value(s2, &f->a, &v, NULL), 1);
        assert_int_equal(v->len, strlen(plaintext));
        assert_memory_equal(v->data, plaintext, v->len);
}

static void test_key_from_credential(void **state) {
        Fixture *f = *state;
        g_autoptr(VkSecretStore) s = NULL;
        g_autofree char *key = g_build_filename(f->lib, VK_SECRET_KEY_NAME, NULL);

        write_cred(f, 0x5a, VK_SECRET_KEY_SIZE);
        s = open_store(f, f->cred);
        assert_int_equal(vk_secret_store_get_key_source(s), VK_SECRET_KEY_SOURCE_CREDENTIAL);
        assert_false(g_file_test(key, G_FILE_TEST_EXISTS));
}

static void test_key_wrong_size(void **state) {
        Fixture *f = *state;
        VkSecretStore *s = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        g_autofree char *lib_key = g_build_filename(f->lib, VK_SECRET_KEY_NAME, NULL);

        write_cred(f, 1, VK_SECRET_KEY_SIZE - 1);
        assert_int_equal(vk_secret_store_new(f->etc, f->lib, f->cred, &s, &err), -EINVAL);
        assert_null(s);
        assert_string_equal(err.name, VK_ERROR_INVALID_CONFIG);
        assert_non_null(strstr(err.message, "is 31 bytes long, it must be exactly 32 bytes"));

        /* a bad key in lib_dir is not replaced: the values it encrypted would be lost */
        vk_error_done(&err);
        assert_true(g_file_set_contents(lib_key, "short", -1, NULL));
        assert_int_equal(vk_secret_store_new(f->etc, f->lib, NULL, &s, &err), -EINVAL);
        assert_null(s);
        assert_int_equal(vk_secret_store_new(f->etc, f->lib, NULL, &s, NULL), -EINVAL);
}

static void test_round_trip_no_plaintext(void **state) {
        Fixture *f = *state;
        g_autoptr(VkSecretStore) s = open_store(f, NULL);
        g_autoptr(VkSecretValue) v = NULL;
        g_autofree char *path = vk_secret_store_value_path(s, &f->a);
        g_autofree char *first = NULL;
        g_autofree char *second = NULL;
        g_autofree char *names = NULL;
        g_autofree char *expected_names = NULL;
        size_t len1, len2;
        struct stat st;

        assert_int_equal(vk_secret_store_has_value(s, &f->a), 0);
        assert_int_equal(vk_secret_store_read_value(s, &f->a, &v, NULL), 0);
        assert_null(v);

        write_value(s, &f->a, plaintext);
        assert_int_equal(vk_secret_store_has_value(s, &f->a), 1);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0600);
        first = read_bytes(path, &len1);
        assert_int_equal(len1, 24 + strlen(plaintext) + 16);
        assert_memory_equal(first, "VKSECRET\x01\x01\x00\x00", 12);
        assert_null(memmem(first, len1, plaintext, strlen(plaintext)));
        assert_null(memmem(first, len1, "horse", 5));

        /* a fresh nonce per write: the same value never gives the same file */
        write_value(s, &f->a, plaintext);
        second = read_bytes(path, &len2);
        assert_int_equal(len1, len2);
        assert_memory_not_equal(first, second, len1);

        assert_int_equal(vk_secret_store_read_value(s, &f->a, &v, NULL), 1);
        assert_int_equal(v->len, strlen(plaintext));
        assert_memory_equal(v->data, plaintext, v->len);

        /* atomic writes: only the key and the value file, no temporary files */
        names = list_dir(f->lib);
        expected_names = g_strdup_printf("0a81f5b2-8403-7b23-c8d6-21ccc2f80d6f.value %s",
                                         VK_SECRET_KEY_NAME);
        assert_string_equal(names, expected_names);
}

static void test_value_limits(void **state) {
        Fixture *f = *state;
        g_autoptr(VkSecretStore) s = open_store(f, NULL);
        g_autoptr(VkSecretValue) max = NULL;
        g_autoptr(VkSecretValue) over = NULL;
        g_autoptr(VkSecretValue) back = NULL;
        g_autofree uint8_t *buf = g_malloc0(VK_SECRET_VALUE_MAX + 1);
        g_auto(VkError) err = VK_ERROR_INIT;

        for (size_t i = 0; i <= VK_SECRET_VALUE_MAX; i++)
                buf[i] = (uint8_t) i;
        max = vk_secret_value_new(buf, VK_SECRET_VALUE_MAX);
        over = vk_secret_value_new(buf, VK_SECRET_VALUE_MAX + 1);
        assert_int_equal(vk_secret_store_write_value(s, &f->a, max, &err), 0);
        assert_int_equal(vk_secret_store_read_value(s, &f->a, &back, &err), 1);
        assert_int_equal(back->len, VK_SECRET_VALUE_MAX);
        assert_memory_equal(back->data, buf, VK_SECRET_VALUE_MAX);
        assert_int_equal(vk_secret_store_write_value(s, &f->b, over, &err), -E2BIG);
        assert_string_equal(err.name, VK_ERROR_INVALID_ARGUMENT);
        assert_int_equal(vk_secret_store_has_value(s, &f->b), 0);
}

static void test_wrong_key(void **state) {
        Fixture *f = *state;
        g_autoptr(VkSecretStore) s1 = NULL;
        g_autoptr(VkSecretStore) s2 = NULL;

        write_cred(f, 0x11, VK_SECRET_KEY_SIZE);
        s1 = open_store(f, f->cred);
        write_value(s1, &f->a, plaintext);

        write_cred(f, 0x22, VK_SECRET_KEY_SIZE);
        s2 = open_store(f, f->cred);
        expect_unreadable(s2, &f->a, "wrong encryption key, or the file is corrupt");
        /* the store is still usable: other values are written and read */
        write_value(s2, &f->b, "other");
}

static void rewrite(const char *path, const char *data, size_t len) {
        assert_true(g_file_set_contents(path, data, (gssize) len, NULL));
}

static void test_damaged_files(void **state) {
        Fixture *f = *state;
        g_autoptr(VkSecretStore) s = open_store(f, NULL);
        g_autofree char *path = vk_secret_store_value_path(s, &f->a);
        g_autofree char *good = NULL;
        g_autofree char *copy = NULL;
        size_t len;

        write_value(s, &f->a, plaintext);
        good = read_bytes(path, &len);
        copy = g_memdup2(good, len);

        rewrite(path, good, 10);
        expect_unreadable(s, &f->a, "the file is truncated (10 bytes)");
        rewrite(path, good, 24 + 15);
        expect_unreadable(s, &f->a, "the file is truncated (39 bytes)");
        rewrite(path, good, len - 1);
        expect_unreadable(s, &f->a, "wrong encryption key, or the file is corrupt");
        rewrite(path, "", 0);
        expect_unreadable(s, &f->a, "the file is truncated (0 bytes)");

        copy[30] ^= 0x01; /* a ciphertext bit */
        rewrite(path, copy, len);
        expect_unreadable(s, &f->a, "wrong encryption key, or the file is corrupt");
        copy[30] ^= 0x01;

        copy[0] = 'X';
        rewrite(path, copy, len);
        expect_unreadable(s, &f->a, "not a virtkit secret value file");
        copy[0] = 'V';

        copy[8] = 2;
        rewrite(path, copy, len);
        expect_unreadable(s, &f->a, "unsupported format version 2, cipher 1");
        copy[8] = 1;

        copy[10] = 1; /* reserved, authenticated */
        rewrite(path, copy, len);
        expect_unreadable(s, &f->a, "wrong encryption key, or the file is corrupt");
        copy[10] = 0;

        /* intact again */
        rewrite(path, copy, len);
        write_value(s, &f->b, "b");
        {
                g_autoptr(VkSecretValue) v = NULL;

                assert_int_equal(vk_secret_store_read_value(s, &f->a, &v, NULL), 1);
                assert_memory_equal(v->data, plaintext, v->len);
        }
}

static void test_value_bound_to_uuid(void **state) {
        Fixture *f = *state;
        g_autoptr(VkSecretStore) s = open_store(f, NULL);
        g_autofree char *pa = vk_secret_store_value_path(s, &f->a);
        g_autofree char *pb = vk_secret_store_value_path(s, &f->b);
        g_autofree char *data = NULL;
        size_t len;

        write_value(s, &f->a, plaintext);
        data = read_bytes(pa, &len);
        rewrite(pb, data, len);
        expect_unreadable(s, &f->b, "wrong encryption key, or the file is corrupt");
}

static void put_file(Fixture *f, const char *name, const char *content) {
        g_autofree char *path = g_build_filename(f->etc, name, NULL);

        assert_true(g_file_set_contents(path, content, -1, NULL));
}

static void test_load_defs(void **state) {
        Fixture *f = *state;
        g_autoptr(VkSecretStore) s = open_store(f, NULL);
        g_autoptr(VkSecretDef) def = vk_secret_def_new();
        g_autoptr(GPtrArray) defs = NULL;
        g_autoptr(GPtrArray) warnings = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        g_autofree char *names = NULL;
        g_autofree char *w0 = NULL;
        g_autofree char *w2 = NULL;

        def->uuid = f->b;
        def->usage_type = VK_SECRET_USAGE_TLS;
        def->usage_id = g_strdup("tls0");
        assert_int_equal(vk_secret_store_save_def(s, def, &err), 0);
        def->uuid = f->a;
        assert_int_equal(vk_secret_store_save_def(s, def, &err), 0);
        names = list_dir(f->etc);
        assert_string_equal(names, "0a81f5b2-8403-7b23-c8d6-21ccc2f80d6f.xml "
                                   "11111111-2222-4333-8444-555555555555.xml");

        put_file(f, "broken.xml", "<secret><bogus/></secret>");
        put_file(f, "22222222-2222-4333-8444-555555555555.xml",
                 "<secret><uuid>33333333-2222-4333-8444-555555555555</uuid></secret>");
        put_file(f, "44444444-2222-4333-8444-555555555555.xml",
                 "<secret ephemeral='yes'><uuid>44444444-2222-4333-8444-555555555555</uuid>"
                 "</secret>");
        put_file(f, ".#0a81f5b2-8403-7b23-c8d6-21ccc2f80d6f.xml.0123", "<half");
        put_file(f, "README", "not a definition");

        assert_int_equal(vk_secret_store_load_defs(s, &defs, &warnings, &err), 0);
        assert_int_equal(defs->len, 2);
        assert_true(vk_uuid_equal(&((VkSecretDef *) defs->pdata[0])->uuid, &f->a));
        assert_true(vk_uuid_equal(&((VkSecretDef *) defs->pdata[1])->uuid, &f->b));
        assert_string_equal(((VkSecretDef *) defs->pdata[1])->usage_id, "tls0");
        assert_int_equal(warnings->len, 3);
        g_ptr_array_sort(warnings, strcmp_p);
        w0 = g_strdup_printf("%s/22222222-2222-4333-8444-555555555555.xml: the file of secret "
                             "'33333333-2222-4333-8444-555555555555' must be named "
                             "'33333333-2222-4333-8444-555555555555.xml'",
                             f->etc);
        assert_string_equal(warnings->pdata[0], w0);
        assert_non_null(strstr(warnings->pdata[1], "44444444-2222-4333-8444-555555555555.xml: "
                                                   "an ephemeral secret is never stored"));
        w2 = g_strdup_printf("%s/broken.xml: /secret/bogus: unsupported element", f->etc);
        assert_string_equal(warnings->pdata[2], w2);
}

static void test_remove(void **state) {
        Fixture *f = *state;
        g_autoptr(VkSecretStore) s = open_store(f, NULL);
        g_autoptr(VkSecretDef) def = vk_secret_def_new();
        g_auto(VkError) err = VK_ERROR_INIT;
        g_autofree char *etc = NULL;
        g_autofree char *lib = NULL;

        def->uuid = f->a;
        assert_int_equal(vk_secret_store_save_def(s, def, &err), 0);
        write_value(s, &f->a, plaintext);
        assert_int_equal(vk_secret_store_remove(s, &f->a, &err), 0);
        assert_int_equal(vk_secret_store_remove(s, &f->a, &err), 0); /* already gone */
        etc = list_dir(f->etc);
        lib = list_dir(f->lib);
        assert_string_equal(etc, "");
        assert_string_equal(lib, VK_SECRET_KEY_NAME);
}

static void test_key_source_enum(void **state) {
        for (int i = 0; i < _VK_SECRET_KEY_SOURCE_MAX; i++)
                assert_int_equal(
                        vk_secret_key_source_from_string(vk_secret_key_source_to_string(i)), i);
        assert_null(vk_secret_key_source_to_string(_VK_SECRET_KEY_SOURCE_MAX));
        assert_int_equal(vk_secret_key_source_from_string("x"), _VK_SECRET_KEY_SOURCE_INVALID);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_key_generated_then_reused, setup, teardown),
                cmocka_unit_test_setup_teardown(test_key_from_credential, setup, teardown),
                cmocka_unit_test_setup_teardown(test_key_wrong_size, setup, teardown),
                cmocka_unit_test_setup_teardown(test_round_trip_no_plaintext, setup, teardown),
                cmocka_unit_test_setup_teardown(test_value_limits, setup, teardown),
                cmocka_unit_test_setup_teardown(test_wrong_key, setup, teardown),
                cmocka_unit_test_setup_teardown(test_damaged_files, setup, teardown),
                cmocka_unit_test_setup_teardown(test_value_bound_to_uuid, setup, teardown),
                cmocka_unit_test_setup_teardown(test_load_defs, setup, teardown),
                cmocka_unit_test_setup_teardown(test_remove, setup, teardown),
                cmocka_unit_test(test_key_source_enum),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
