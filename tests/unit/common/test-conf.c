/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-conf.c: the qemu.conf syntax parser and its typed getters */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "atomic-file.h"
#include "conf.h"
#include "macro.h"

static VkConf *parse_ok(const char *text) {
        g_auto(VkError) err = VK_ERROR_INIT;
        VkConf *conf = NULL;
        int r;

        r = vk_conf_parse_string(text, strlen(text), "qemu.conf", &conf, &err);
        if (r < 0)
                fail_msg("unexpected error for <<%s>>: %s", text, err.message);
        assert_non_null(conf);
        return conf;
}

/* Inputs that must parse; the getters are checked separately below. */
static const char *const good_inputs[] = {
        "",
        "\n\n\n",
        "# only a comment",
        "# comment\n   # indented comment\n\t\n",
        "a=1",
        "a = 1\n",
        "a\t=\t1\t# trailing comment\n",
        "   a = 1",
        "a = 1\r\nb = 2\r\n",
        "_a_9 = 'x'",
        "A = \"\"",
        "a = ''",
        "a = \"has # inside\"",
        "a = 'single \"quotes\" and \\ backslash'",
        "a = []",
        "a = [ ]",
        "a = [\n]",
        "a = [ \"x\" ]",
        "a = [ \"x\", ]",
        "a = [ 1, 2, 3 ]",
        "a = [ 1, \"mixed\" ]",
        "a = [\n  # comment\n  \"x\",   # another\n\n  \"y\"\n  ,\n]\n",
        "a = [\"x\"]# comment right after",
        "a = -9223372036854775808",
        "a = 18446744073709551615",
        "a = 0xFFFFFFFFFFFFFFFF",
        "a = +5",
        "a = -0",
        "a = 0",
        "a = 0x0",
        "a = 0X1f",
        "a = \"\\\"\\\\\\n\\t\"",
        "a = \"caf\xc3\xa9\"",
        "a = 1\nb = 2\nc = 3",
};

static void test_good_inputs(void **state) {
        for (size_t i = 0; i < VK_ELEMENTSOF(good_inputs); i++) {
                g_autoptr(VkConf) conf = parse_ok(good_inputs[i]);
                (void) conf;
        }
}

typedef struct BadInput {
        const char *text;
        const char *error;
        int errnum;
} BadInput;

static const BadInput bad_inputs[] = {
        /* structure of a line */
        { "1a = 1", "qemu.conf:1:1: expected a setting name", -EINVAL },
        { "\n  -a = 1", "qemu.conf:2:3: expected a setting name", -EINVAL },
        { "= 1", "qemu.conf:1:1: expected a setting name", -EINVAL },
        { "\"a\" = 1", "qemu.conf:1:1: expected a setting name", -EINVAL },
        { "a", "qemu.conf:1:2: expected '=' after 'a'", -EINVAL },
        { "user \"qemu\"", "qemu.conf:1:6: expected '=' after 'user'", -EINVAL },
        { "user: \"qemu\"", "qemu.conf:1:5: expected '=' after 'user'", -EINVAL },
        { "a-b = 1", "qemu.conf:1:2: expected '=' after 'a'", -EINVAL },
        { "a =", "qemu.conf:1:4: expected a string, an integer or a list after '='", -EINVAL },
        { "a = \n", "qemu.conf:1:5: expected a string, an integer or a list after '='", -EINVAL },
        { "# c\n\n\n\n\n\n\n\n\n\n\nvnc_listen = 0.0.0.0",
          "qemu.conf:12:15: unexpected '.' "
          "after the value of 'vnc_listen'",
          -EINVAL },
        { "# c\n\n\n\n\n\n\n\n\n\n\ngroup = kvm",
          "qemu.conf:12:9: expected a string, an "
          "integer or a list after '='",
          -EINVAL },
        { "user = ;", "qemu.conf:1:8: expected a string, an integer or a list after '='", -EINVAL },
        { "a = # c", "qemu.conf:1:5: expected a string, an integer or a list after '='", -EINVAL },
        { "a = yes", "qemu.conf:1:5: expected a string, an integer or a list after '='", -EINVAL },
        { "a = 1 2", "qemu.conf:1:7: unexpected '2' after the value of 'a'", -EINVAL },
        { "a = \"x\" \"y\"", "qemu.conf:1:9: unexpected '\"' after the value of 'a'", -EINVAL },
        { "a = \"x\"y", "qemu.conf:1:8: unexpected 'y' after the value of 'a'", -EINVAL },
        { "a = 'x''y'", "qemu.conf:1:8: unexpected \"'\" after the value of 'a'", -EINVAL },
        { "a = 1; b = 2", "qemu.conf:1:6: unexpected ';' after the value of 'a'", -EINVAL },
        { "a = 12abc", "qemu.conf:1:7: unexpected 'a' after the value of 'a'", -EINVAL },
        { "a = 1.5", "qemu.conf:1:6: unexpected '.' after the value of 'a'", -EINVAL },
        { "a = 1\x01", "qemu.conf:1:6: unexpected byte 0x01 after the value of 'a'", -EINVAL },
        { "a = [] x", "qemu.conf:1:8: unexpected 'x' after the value of 'a'", -EINVAL },
        { "\xef\xbb\xbf"
          "a = 1",
          "qemu.conf:1:1: expected a setting name", -EINVAL },

        /* duplicates */
        { "user = \"a\"\ngroup = \"b\"\nuser = \"c\"",
          "qemu.conf:3:1: duplicate setting 'user' (first set on line 1)", -EINVAL },
        { "a = 1\n\n\n  a = [ ]", "qemu.conf:4:3: duplicate setting 'a' (first set on line 1)",
          -EINVAL },

        /* strings */
        { "a = \"abc", "qemu.conf:1:5: unterminated string (no closing '\"' on this line)",
          -EINVAL },
        { "a = \"abc\nb = 1",
          "qemu.conf:1:5: unterminated string (no closing '\"' on this "
          "line)",
          -EINVAL },
        { "a = 'abc", "qemu.conf:1:5: unterminated string (no closing \"'\" on this line)",
          -EINVAL },
        { "a = \"abc\\", "qemu.conf:1:5: unterminated string (no closing '\"' on this line)",
          -EINVAL },
        { "a = \"abc\\\n\"",
          "qemu.conf:1:5: unterminated string (no closing '\"' on this "
          "line)",
          -EINVAL },
        { "a = \"ab\\q\"",
          "qemu.conf:1:8: invalid escape sequence '\\q' in string (only \\\" "
          "\\\\ \\n and \\t are allowed)",
          -EINVAL },
        { "a = \"\\'\"",
          "qemu.conf:1:6: invalid escape sequence '\\'' in string (only \\\" "
          "\\\\ \\n and \\t are allowed)",
          -EINVAL },
        { "a = \"\\ \"",
          "qemu.conf:1:6: invalid escape sequence: backslash followed by "
          "byte 0x20",
          -EINVAL },
        { "a = \"\xff\"", "qemu.conf:1:5: string is not valid UTF-8", -EINVAL },
        { "a = '\xc3'", "qemu.conf:1:5: string is not valid UTF-8", -EINVAL },

        /* integers */
        { "a = -", "qemu.conf:1:6: expected a digit after '-'", -EINVAL },
        { "a = + 1", "qemu.conf:1:6: expected a digit after '+'", -EINVAL },
        { "a = --1", "qemu.conf:1:6: expected a digit after '-'", -EINVAL },
        { "a = 0x", "qemu.conf:1:7: expected a hexadecimal digit after '0x'", -EINVAL },
        { "a = 0xg", "qemu.conf:1:7: expected a hexadecimal digit after '0x'", -EINVAL },
        { "a = 0755",
          "qemu.conf:1:5: integer has a leading zero (octal is not supported; "
          "write it in decimal or as 0x hex)",
          -EINVAL },
        { "a = -00",
          "qemu.conf:1:6: integer has a leading zero (octal is not supported; "
          "write it in decimal or as 0x hex)",
          -EINVAL },
        { "a = 18446744073709551616",
          "qemu.conf:1:5: integer is out of range "
          "(-9223372036854775808 to 18446744073709551615)",
          -ERANGE },
        { "a = 0x10000000000000000",
          "qemu.conf:1:5: integer is out of range "
          "(-9223372036854775808 to 18446744073709551615)",
          -ERANGE },
        { "a = -9223372036854775809",
          "qemu.conf:1:5: integer is out of range "
          "(-9223372036854775808 to 18446744073709551615)",
          -ERANGE },
        { "a = 99999999999999999999999999999999",
          "qemu.conf:1:5: integer is out of range "
          "(-9223372036854775808 to 18446744073709551615)",
          -ERANGE },

        /* lists */
        { "a = [", "qemu.conf:1:5: unterminated list (no closing ']')", -EINVAL },
        { "a = [ \"x\",\n \"y\"\n", "qemu.conf:1:5: unterminated list (no closing ']')", -EINVAL },
        { "a = [ \"x\",\n", "qemu.conf:1:5: unterminated list (no closing ']')", -EINVAL },
        { "a = [ # ]", "qemu.conf:1:5: unterminated list (no closing ']')", -EINVAL },
        { "a = [ , ]", "qemu.conf:1:7: expected a string, an integer or ']' in the list", -EINVAL },
        { "a = [ \"x\",, ]",
          "qemu.conf:1:11: expected a string, an integer or ']' in the "
          "list",
          -EINVAL },
        { "a = [ \"x\" \"y\" ]", "qemu.conf:1:11: expected ',' or ']' after a list item", -EINVAL },
        { "a = [\n  \"x\"\n  \"y\"\n]",
          "qemu.conf:3:3: expected ',' or ']' after a list "
          "item",
          -EINVAL },
        { "a = [ [ ] ]", "qemu.conf:1:7: lists cannot contain lists", -EINVAL },
        { "a = [ x ]", "qemu.conf:1:7: expected a string, an integer or ']' in the list", -EINVAL },
        { "a = [ \"x ]", "qemu.conf:1:7: unterminated string (no closing '\"' on this line)",
          -EINVAL },
        { "a = [ 1x ]", "qemu.conf:1:8: expected ',' or ']' after a list item", -EINVAL },
        { "a = [ 1 ] ]", "qemu.conf:1:11: unexpected ']' after the value of 'a'", -EINVAL },
        { "a = ]", "qemu.conf:1:5: expected a string, an integer or a list after '='", -EINVAL },
};

static void test_bad_inputs(void **state) {
        for (size_t i = 0; i < VK_ELEMENTSOF(bad_inputs); i++) {
                const BadInput *b = &bad_inputs[i];
                g_auto(VkError) err = VK_ERROR_INIT;
                g_autoptr(VkConf) conf = NULL;
                int r;

                r = vk_conf_parse_string(b->text, strlen(b->text), "qemu.conf", &conf, &err);
                if (r >= 0)
                        fail_msg("<<%s>> parsed but should fail with: %s", b->text, b->error);
                assert_null(conf);
                if (strcmp(err.message, b->error) != 0)
                        fail_msg("<<%s>>\n  expected: %s\n       got: %s", b->text, b->error,
                                 err.message);
                assert_int_equal(r, b->errnum);
                assert_int_equal(err.error, b->errnum);
                assert_string_equal(err.name, VK_ERROR_INVALID_CONFIG);
        }
}

/* Bytes the table cannot hold as C strings. */
static void test_nul_bytes(void **state) {
        static const char in_string[] = "a = \"x\0y\"";
        static const char in_comment[] = "# x\0y\na = 1";
        static const char at_start[] = "\0";
        g_auto(VkError) err = VK_ERROR_INIT;
        g_auto(VkError) err2 = VK_ERROR_INIT;
        g_autoptr(VkConf) conf = NULL;
        int64_t v = 0;

        assert_int_equal(
                vk_conf_parse_string(in_string, sizeof(in_string) - 1, "qemu.conf", &conf, &err),
                -EINVAL);
        assert_string_equal(err.message, "qemu.conf:1:7: strings cannot contain NUL bytes");

        assert_int_equal(vk_conf_parse_string(at_start, 1, "qemu.conf", &conf, &err2), -EINVAL);
        assert_string_equal(err2.message, "qemu.conf:1:1: expected a setting name");

        /* comments are skipped whole, whatever they hold */
        assert_int_equal(
                vk_conf_parse_string(in_comment, sizeof(in_comment) - 1, "qemu.conf", &conf, NULL),
                0);
        assert_int_equal(vk_conf_get_int(conf, "a", &v, NULL), 1);
        assert_int_equal(v, 1);
}

/* The text need not be NUL-terminated: only @len bytes are read. */
static void test_length_bound(void **state) {
        g_autoptr(VkConf) conf = NULL;
        int64_t v = 0;

        assert_int_equal(vk_conf_parse_string("a = 12345", 6, NULL, &conf, NULL), 0);
        assert_int_equal(vk_conf_get_int(conf, "a", &v, NULL), 1);
        assert_int_equal(v, 12);
        assert_string_equal(vk_conf_get_filename(conf), "<string>");
}

static void test_strings(void **state) {
        g_autoptr(VkConf) conf = parse_ok("a = \"q\\\"b\\\\n\\nt\\t\"\n"
                                          "b = 'no \\n escapes'\n"
                                          "c = \"\"\n"
                                          "d = \"caf\xc3\xa9 # not a comment\"   # a comment\n");
        g_autofree char *a = NULL, *b = NULL, *c = NULL, *d = NULL;

        assert_int_equal(vk_conf_get_string(conf, "a", &a, NULL), 1);
        assert_string_equal(a, "q\"b\\n\nt\t");
        assert_int_equal(vk_conf_get_string(conf, "b", &b, NULL), 1);
        assert_string_equal(b, "no \\n escapes");
        assert_int_equal(vk_conf_get_string(conf, "c", &c, NULL), 1);
        assert_string_equal(c, "");
        assert_int_equal(vk_conf_get_string(conf, "d", &d, NULL), 1);
        assert_string_equal(d, "caf\xc3\xa9 # not a comment");
}

static void test_integers(void **state) {
        g_autoptr(VkConf) conf = parse_ok("min = -9223372036854775808\n"
                                          "max = 9223372036854775807\n"
                                          "umax = 18446744073709551615\n"
                                          "hex = 0x7fFF\n"
                                          "neghex = -0x10\n"
                                          "plus = +42\n"
                                          "negzero = -0\n"
                                          "neg = -1\n");
        int64_t i = 0;
        uint64_t u = 0;

        assert_int_equal(vk_conf_get_int(conf, "min", &i, NULL), 1);
        assert_true(i == INT64_MIN);
        assert_int_equal(vk_conf_get_int(conf, "max", &i, NULL), 1);
        assert_true(i == INT64_MAX);
        assert_int_equal(vk_conf_get_uint(conf, "umax", &u, NULL), 1);
        assert_true(u == UINT64_MAX);
        assert_int_equal(vk_conf_get_uint(conf, "max", &u, NULL), 1);
        assert_true(u == (uint64_t) INT64_MAX);
        assert_int_equal(vk_conf_get_int(conf, "hex", &i, NULL), 1);
        assert_int_equal(i, 0x7fff);
        assert_int_equal(vk_conf_get_int(conf, "neghex", &i, NULL), 1);
        assert_int_equal(i, -16);
        assert_int_equal(vk_conf_get_int(conf, "plus", &i, NULL), 1);
        assert_int_equal(i, 42);
        assert_int_equal(vk_conf_get_uint(conf, "negzero", &u, NULL), 1);
        assert_int_equal(u, 0);
        assert_int_equal(vk_conf_get_int(conf, "neg", &i, NULL), 1);
        assert_int_equal(i, -1);
}

static void test_bools(void **state) {
        g_autoptr(VkConf) conf = parse_ok("t = 1\nf = 0\n");
        bool b = false;

        assert_int_equal(vk_conf_get_bool(conf, "t", &b, NULL), 1);
        assert_true(b);
        assert_int_equal(vk_conf_get_bool(conf, "f", &b, NULL), 1);
        assert_false(b);
}

static void test_lists(void **state) {
        g_autoptr(VkConf) conf = parse_ok("cgroup_device_acl = [\n"
                                          "    \"/dev/null\", \"/dev/full\", # comment\n"
                                          "    '/dev/zero',\n"
                                          "]\n"
                                          "empty = [ ]\n");
        g_auto(GStrv) acl = NULL;
        g_auto(GStrv) empty = NULL;

        assert_int_equal(vk_conf_get_strv(conf, "cgroup_device_acl", &acl, NULL), 1);
        assert_int_equal(g_strv_length(acl), 3);
        assert_string_equal(acl[0], "/dev/null");
        assert_string_equal(acl[1], "/dev/full");
        assert_string_equal(acl[2], "/dev/zero");
        assert_null(acl[3]);

        assert_int_equal(vk_conf_get_strv(conf, "empty", &empty, NULL), 1);
        assert_non_null(empty);
        assert_null(empty[0]);
}

/* Absent keys return 0 and leave the defaults alone. */
static void test_absent(void **state) {
        g_autoptr(VkConf) conf = parse_ok("# nothing\n");
        char *s = (char *) "default";
        char **strv = NULL;
        int64_t i = 7;
        uint64_t u = 8;
        bool b = true;

        assert_int_equal(vk_conf_get_string(conf, "user", &s, NULL), 0);
        assert_string_equal(s, "default");
        assert_int_equal(vk_conf_get_int(conf, "x", &i, NULL), 0);
        assert_int_equal(i, 7);
        assert_int_equal(vk_conf_get_uint(conf, "x", &u, NULL), 0);
        assert_int_equal(u, 8);
        assert_int_equal(vk_conf_get_bool(conf, "x", &b, NULL), 0);
        assert_true(b);
        assert_int_equal(vk_conf_get_strv(conf, "x", &strv, NULL), 0);
        assert_null(strv);
}

typedef struct GetterCase {
        const char *key;
        char type; /* s string, i int, u uint, b bool, l strv */
        const char *error;
} GetterCase;

static const char getter_conf[] = "user = 1\n"
                                  "group = [ \"kvm\" ]\n"
                                  "  dynamic_ownership = 2\n"
                                  "remember_owner = -1\n"
                                  "security_driver = \"selinux\"\n"
                                  "log_max_size = -5\n"
                                  "big = 9223372036854775808\n"
                                  "cgroup_device_acl = \"/dev/null\"\n"
                                  "emulators = [ \"/usr/bin/qemu\",\n"
                                  "              42 ]\n"
                                  "list = [ 1 ]\n";

static const GetterCase getter_cases[] = {
        { "user", 's', "qemu.conf:1:1: 'user' must be a string, not an integer" },
        { "group", 's', "qemu.conf:2:1: 'group' must be a string, not a list" },
        { "dynamic_ownership", 'b', "qemu.conf:3:3: 'dynamic_ownership' must be 0 or 1" },
        { "remember_owner", 'b', "qemu.conf:4:1: 'remember_owner' must be 0 or 1" },
        { "security_driver", 'b', "qemu.conf:5:1: 'security_driver' must be 0 or 1" },
        { "security_driver", 'i',
          "qemu.conf:5:1: 'security_driver' must be an integer, not a "
          "string" },
        { "group", 'u', "qemu.conf:2:1: 'group' must be an integer, not a list" },
        { "log_max_size", 'u', "qemu.conf:6:1: 'log_max_size' must not be negative" },
        { "big", 'i',
          "qemu.conf:7:1: 'big' must be an integer between -9223372036854775808 "
          "and 9223372036854775807" },
        { "cgroup_device_acl", 'l',
          "qemu.conf:8:1: 'cgroup_device_acl' must be a list of "
          "strings, not a string" },
        { "user", 'l', "qemu.conf:1:1: 'user' must be a list of strings, not an integer" },
        { "emulators", 'l',
          "qemu.conf:10:15: item 2 of 'emulators' must be a string, not an "
          "integer" },
        { "list", 'l', "qemu.conf:11:10: item 1 of 'list' must be a string, not an integer" },
};

static void test_getter_errors(void **state) {
        g_autoptr(VkConf) conf = NULL;

        assert_int_equal(
                vk_conf_parse_string(getter_conf, strlen(getter_conf), "qemu.conf", &conf, NULL),
                0);

        for (size_t i = 0; i < VK_ELEMENTSOF(getter_cases); i++) {
                const GetterCase *c = &getter_cases[i];
                g_auto(VkError) err = VK_ERROR_INIT;
                char *s = NULL;
                char **strv = NULL;
                int64_t iv = 3;
                uint64_t uv = 4;
                bool bv = true;
                int r = 0;

                switch (c->type) {
                case 's':
                        r = vk_conf_get_string(conf, c->key, &s, &err);
                        break;
                case 'i':
                        r = vk_conf_get_int(conf, c->key, &iv, &err);
                        break;
                case 'u':
                        r = vk_conf_get_uint(conf, c->key, &uv, &err);
                        break;
                case 'b':
                        r = vk_conf_get_bool(conf, c->key, &bv, &err);
                        break;
                case 'l':
                        r = vk_conf_get_strv(conf, c->key, &strv, &err);
                        break;
                default:
                        fail();
                }
                assert_int_equal(r, -EINVAL);
                if (strcmp(err.message, c->error) != 0)
                        fail_msg("%s (%c)\n  expected: %s\n       got: %s", c->key, c->type,
                                 c->error, err.message);
                assert_string_equal(err.name, VK_ERROR_INVALID_CONFIG);
                /* nothing written on failure */
                assert_null(s);
                assert_null(strv);
                assert_int_equal(iv, 3);
                assert_int_equal(uv, 4);
                assert_true(bv);
        }
}

static void test_keys(void **state) {
        g_autoptr(VkConf) conf = parse_ok("zeta = 1\nalpha = 'a'\n# c\nmid = [ ]\n");
        static const char *const known[] = { "alpha", "mid", "zeta", NULL };
        static const char *const fewer[] = { "zeta", "mid", NULL };
        g_auto(GStrv) keys = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        g_auto(VkError) err2 = VK_ERROR_INIT;

        assert_int_equal(vk_conf_get_keys(conf, &keys), 3);
        assert_string_equal(keys[0], "zeta");
        assert_string_equal(keys[1], "alpha");
        assert_string_equal(keys[2], "mid");
        assert_null(keys[3]);

        assert_int_equal(vk_conf_check_keys(conf, known, NULL), 0);
        assert_int_equal(vk_conf_check_keys(conf, fewer, &err), -EINVAL);
        assert_string_equal(err.message, "qemu.conf:2:1: unknown setting 'alpha'");
        assert_string_equal(err.name, VK_ERROR_INVALID_CONFIG);
        assert_int_equal(vk_conf_check_keys(conf, NULL, &err2), -EINVAL);
        assert_string_equal(err2.message, "qemu.conf:1:1: unknown setting 'zeta'");
}

static void test_empty_keys(void **state) {
        g_autoptr(VkConf) conf = parse_ok("");
        g_auto(GStrv) keys = NULL;

        assert_int_equal(vk_conf_get_keys(conf, &keys), 0);
        assert_non_null(keys);
        assert_null(keys[0]);
        assert_int_equal(vk_conf_check_keys(conf, NULL, NULL), 0);
}

static void test_conf_error(void **state) {
        g_autoptr(VkConf) conf = parse_ok("\n  security_driver = \"foo\"\n");
        g_auto(VkError) err = VK_ERROR_INIT;
        g_auto(VkError) err2 = VK_ERROR_INIT;

        assert_int_equal(vk_conf_error(conf, "security_driver", &err,
                                       "security driver '%s' is not supported", "foo"),
                         -EINVAL);
        assert_string_equal(err.message, "qemu.conf:2:3: security driver 'foo' is not supported");
        assert_int_equal(vk_conf_error(conf, "absent", &err2, "something is missing"), -EINVAL);
        assert_string_equal(err2.message, "qemu.conf: something is missing");
}

static void test_limits(void **state) {
        g_autoptr(GString) big_string = g_string_new("a = \"");
        g_autoptr(GString) ok_string = g_string_new("a = '");
        g_autoptr(GString) long_list = g_string_new("a = [\n");
        g_autoptr(GString) ok_list = g_string_new("a = [");
        g_autofree char *huge = NULL;
        g_auto(VkError) e1 = VK_ERROR_INIT;
        g_auto(VkError) e2 = VK_ERROR_INIT;
        g_auto(VkError) e3 = VK_ERROR_INIT;
        g_autoptr(VkConf) conf = NULL;
        g_autoptr(VkConf) conf2 = NULL;
        g_auto(GStrv) strv = NULL;
        g_autofree char *s = NULL;
        size_t huge_len = VK_CONF_MAX_FILE_SIZE + 1;

        /* exactly at the string limit is fine; one byte more is not */
        for (int i = 0; i < VK_CONF_MAX_STRING_LEN; i++)
                g_string_append_c(ok_string, 'x');
        g_string_append_c(ok_string, '\'');
        assert_int_equal(
                vk_conf_parse_string(ok_string->str, ok_string->len, "qemu.conf", &conf, NULL), 0);
        assert_int_equal(vk_conf_get_string(conf, "a", &s, NULL), 1);
        assert_int_equal(strlen(s), VK_CONF_MAX_STRING_LEN);

        for (int i = 0; i <= VK_CONF_MAX_STRING_LEN; i++)
                g_string_append(big_string, "\\t");
        g_string_append_c(big_string, '"');
        assert_int_equal(
                vk_conf_parse_string(big_string->str, big_string->len, "qemu.conf", &conf2, &e1),
                -E2BIG);
        assert_string_equal(e1.message, "qemu.conf:1:5: string is longer than 65536 bytes");
        assert_string_equal(e1.name, VK_ERROR_LIMIT_EXCEEDED);

        for (int i = 0; i < VK_CONF_MAX_LIST_LEN; i++)
                g_string_append(ok_list, "'',");
        g_string_append(ok_list, "]");
        g_clear_pointer(&conf, vk_conf_free);
        assert_int_equal(vk_conf_parse_string(ok_list->str, ok_list->len, "qemu.conf", &conf, NULL),
                         0);
        assert_int_equal(vk_conf_get_strv(conf, "a", &strv, NULL), 1);
        assert_int_equal(g_strv_length(strv), VK_CONF_MAX_LIST_LEN);

        for (int i = 0; i <= VK_CONF_MAX_LIST_LEN; i++)
                g_string_append(long_list, "1,\n");
        g_string_append(long_list, "]");
        assert_int_equal(
                vk_conf_parse_string(long_list->str, long_list->len, "qemu.conf", &conf2, &e2),
                -E2BIG);
        assert_string_equal(e2.message, "qemu.conf:4098:1: list has more than 4096 items");
        assert_string_equal(e2.name, VK_ERROR_LIMIT_EXCEEDED);

        huge = g_malloc(huge_len);
        memset(huge, '\n', huge_len);
        assert_int_equal(vk_conf_parse_string(huge, huge_len, "qemu.conf", &conf2, &e3), -EFBIG);
        assert_string_equal(e3.message, "qemu.conf: file is larger than 1048576 bytes");
        assert_string_equal(e3.name, VK_ERROR_LIMIT_EXCEEDED);
        assert_null(conf2);
}

static void test_parse_file(void **state) {
        g_autofree char *dir = g_dir_make_tmp("test-conf-XXXXXX", NULL);
        g_autofree char *path = g_build_filename(dir, "qemu.conf", NULL);
        g_autofree char *missing = g_build_filename(dir, "missing.conf", NULL);
        g_autofree char *big = g_build_filename(dir, "big.conf", NULL);
        g_autofree char *bad = g_build_filename(dir, "bad.conf", NULL);
        g_autofree char *expect = NULL;
        g_autofree char *huge = g_malloc0(VK_CONF_MAX_FILE_SIZE + 1);
        g_auto(VkError) e1 = VK_ERROR_INIT;
        g_auto(VkError) e2 = VK_ERROR_INIT;
        g_auto(VkError) e3 = VK_ERROR_INIT;
        g_autoptr(VkConf) conf = NULL;
        g_autoptr(VkConf) conf2 = NULL;
        g_autoptr(VkConf) conf3 = NULL;
        g_auto(GStrv) keys = NULL;
        g_autofree char *user = NULL;
        static const char text[] = "user = \"qemu\"\n";
        static const char bad_text[] = "user = \"qemu\"\nuser = 1\n";

        assert_non_null(dir);
        assert_int_equal(vk_atomic_file_write(path, text, strlen(text), 0644, NULL), 0);
        assert_int_equal(vk_conf_parse_file(path, 0, &conf, NULL), 1);
        assert_int_equal(vk_conf_get_string(conf, "user", &user, NULL), 1);
        assert_string_equal(user, "qemu");
        assert_string_equal(vk_conf_get_filename(conf), path);

        assert_int_equal(vk_conf_parse_file(missing, VK_CONF_ALLOW_MISSING, &conf2, NULL), 0);
        assert_non_null(conf2);
        assert_int_equal(vk_conf_get_keys(conf2, &keys), 0);

        assert_int_equal(vk_conf_parse_file(missing, 0, &conf3, &e1), -ENOENT);
        assert_null(conf3);
        assert_non_null(strstr(e1.message, missing));

        assert_int_equal(vk_atomic_file_write(bad, bad_text, strlen(bad_text), 0644, NULL), 0);
        assert_int_equal(vk_conf_parse_file(bad, 0, &conf3, &e2), -EINVAL);
        expect = g_strdup_printf("%s:2:1: duplicate setting 'user' (first set on line 1)", bad);
        assert_string_equal(e2.message, expect);

        memset(huge, '#', VK_CONF_MAX_FILE_SIZE + 1);
        assert_int_equal(vk_atomic_file_write(big, huge, VK_CONF_MAX_FILE_SIZE + 1, 0644, NULL), 0);
        assert_int_equal(vk_conf_parse_file(big, VK_CONF_ALLOW_MISSING, &conf3, &e3), -EFBIG);
        assert_null(conf3);
        assert_string_equal(e3.name, VK_ERROR_LIMIT_EXCEEDED);

        assert_int_equal(vk_file_remove(path), 0);
        assert_int_equal(vk_file_remove(bad), 0);
        assert_int_equal(vk_file_remove(big), 0);
        assert_int_equal(rmdir(dir), 0);
}

/* A realistic qemu.conf: every key of conf/qemu.conf, set. */
static void test_realistic(void **state) {
        static const char text[] = "# /etc/virtkit/qemu.conf\n"
                                   "user = \"qemu\"\n"
                                   "group = \"kvm\"\n"
                                   "dynamic_ownership = 1\n"
                                   "remember_owner = 0\n"
                                   "security_driver = [ \"selinux\", \"apparmor\" ]\n"
                                   "security_default_confined = 1\n"
                                   "security_require_confined = 0\n"
                                   "clear_emulator_capabilities = 1\n"
                                   "cgroup_device_acl = [\n"
                                   "    \"/dev/null\", \"/dev/full\", \"/dev/zero\",\n"
                                   "    \"/dev/random\", \"/dev/urandom\",\n"
                                   "    \"/dev/ptmx\", \"/dev/kvm\",\n"
                                   "]\n"
                                   "vnc_listen = \"0.0.0.0\"\n"
                                   "vnc_auto_unix_socket = 1\n"
                                   "spice_listen = \"::1\"\n"
                                   "emulators = [ \"/usr/bin/qemu-system-x86_64\" ]\n"
                                   "log_max_size = 2097152\n"
                                   "deprecation_behavior = \"none\"\n";
        g_autoptr(VkConf) conf = parse_ok(text);
        g_auto(GStrv) acl = NULL;
        g_autofree char *listen = NULL;
        uint64_t size = 0;
        bool b = false;

        assert_int_equal(vk_conf_get_strv(conf, "cgroup_device_acl", &acl, NULL), 1);
        assert_int_equal(g_strv_length(acl), 7);
        assert_string_equal(acl[6], "/dev/kvm");
        assert_int_equal(vk_conf_get_string(conf, "vnc_listen", &listen, NULL), 1);
        assert_string_equal(listen, "0.0.0.0");
        assert_int_equal(vk_conf_get_uint(conf, "log_max_size", &size, NULL), 1);
        assert_int_equal(size, 2097152);
        assert_int_equal(vk_conf_get_bool(conf, "vnc_auto_unix_socket", &b, NULL), 1);
        assert_true(b);
}

static char *srcdir_path(const char *rel) {
        const char *top = getenv("VK_TOP_SRCDIR");

        if (!top)
                fail_msg("VK_TOP_SRCDIR is not set; run this test through meson test");
        return g_build_filename(top, rel, NULL);
}

/*
 * The default conf/qemu.conf: as installed (everything commented out) it sets nothing; with
 * the '#' taken off each setting it parses, names exactly the driver's keys and gives each
 * the type the driver reads it as.
 */
static void test_default_qemu_conf(void **state) {
        static const char *const keys_expected[] = {
                "user",
                "group",
                "swtpm_user",
                "swtpm_group",
                "dynamic_ownership",
                "remember_owner",
                "security_driver",
                "security_default_confined",
                "security_require_confined",
                "clear_emulator_capabilities",
                "cgroup_device_acl",
                "vnc_listen",
                "vnc_auto_unix_socket",
                "spice_listen",
                "emulators",
                "log_max_size",
                "deprecation_behavior",
                "libvirt_dbus",
                NULL,
        };
        static const char *const bools[] = {
                "dynamic_ownership",
                "remember_owner",
                "security_default_confined",
                "security_require_confined",
                "clear_emulator_capabilities",
                "vnc_auto_unix_socket",
                "libvirt_dbus",
        };
        static const char *const strings[] = {
                "user",       "group",        "swtpm_user",           "swtpm_group",
                "vnc_listen", "spice_listen", "deprecation_behavior",
        };
        static const char *const lists[] = { "security_driver", "cgroup_device_acl", "emulators" };
        g_autofree char *path = srcdir_path("conf/qemu.conf");
        g_autofree char *text = NULL;
        g_auto(GStrv) lines = NULL;
        g_auto(GStrv) keys = NULL;
        g_autoptr(GString) uncommented = g_string_new(NULL);
        g_autoptr(VkConf) conf = NULL;
        g_autoptr(VkConf) active = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        uint64_t size = 0;

        assert_int_equal(vk_conf_parse_file(path, 0, &conf, &err), 1);
        assert_int_equal(vk_conf_get_keys(conf, &keys), 0);
        g_clear_pointer(&keys, g_strfreev);

        assert_int_equal(vk_file_read_all(path, VK_CONF_MAX_FILE_SIZE, &text, NULL, NULL), 0);
        lines = g_strsplit(text, "\n", -1);
        for (size_t i = 0; lines[i]; i++) {
                const char *l = lines[i];

                /* prose is "# Text" or "#"; settings and list lines are "#key", "#    x", "#]" */
                if (l[0] == '#' && l[1] != '\0' && !(l[1] == ' ' && l[2] != ' '))
                        l++;
                g_string_append_printf(uncommented, "%s\n", l);
        }
        if (vk_conf_parse_string(uncommented->str, uncommented->len, "qemu.conf", &active, &err) <
            0)
                fail_msg("%s", err.message);

        assert_int_equal(vk_conf_get_keys(active, &keys), g_strv_length((GStrv) keys_expected));
        for (size_t i = 0; keys_expected[i]; i++)
                assert_string_equal(keys[i], keys_expected[i]);
        assert_int_equal(vk_conf_check_keys(active, keys_expected, NULL), 0);

        for (size_t i = 0; i < VK_ELEMENTSOF(bools); i++) {
                bool b;
                assert_int_equal(vk_conf_get_bool(active, bools[i], &b, NULL), 1);
        }
        for (size_t i = 0; i < VK_ELEMENTSOF(strings); i++) {
                g_autofree char *v = NULL;
                assert_int_equal(vk_conf_get_string(active, strings[i], &v, NULL), 1);
        }
        for (size_t i = 0; i < VK_ELEMENTSOF(lists); i++) {
                g_auto(GStrv) v = NULL;
                assert_int_equal(vk_conf_get_strv(active, lists[i], &v, NULL), 1);
                assert_true(g_strv_length(v) > 0);
        }
        assert_int_equal(vk_conf_get_uint(active, "log_max_size", &size, NULL), 1);
}

/* The fuzz seed corpus doubles as input here: each file parses or fails with a position. */
static void test_fuzz_corpus(void **state) {
        g_autofree char *dir = srcdir_path("tests/data/fuzz/conf");
        g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
        unsigned n_ok = 0, n_bad = 0;
        const char *name;

        assert_non_null(d);
        while ((name = g_dir_read_name(d))) {
                g_autofree char *path = g_build_filename(dir, name, NULL);
                g_autoptr(VkConf) conf = NULL;
                g_auto(VkError) err = VK_ERROR_INIT;

                if (vk_conf_parse_file(path, 0, &conf, &err) >= 0) {
                        n_ok++;
                        continue;
                }
                assert_true(g_str_has_prefix(err.message, path));
                assert_int_equal(err.message[strlen(path)], ':');
                n_bad++;
        }
        assert_true(n_ok > 0);
        assert_true(n_bad > 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_good_inputs),
                cmocka_unit_test(test_bad_inputs),
                cmocka_unit_test(test_nul_bytes),
                cmocka_unit_test(test_length_bound),
                cmocka_unit_test(test_strings),
                cmocka_unit_test(test_integers),
                cmocka_unit_test(test_bools),
                cmocka_unit_test(test_lists),
                cmocka_unit_test(test_absent),
                cmocka_unit_test(test_getter_errors),
                cmocka_unit_test(test_keys),
                cmocka_unit_test(test_empty_keys),
                cmocka_unit_test(test_conf_error),
                cmocka_unit_test(test_limits),
                cmocka_unit_test(test_parse_file),
                cmocka_unit_test(test_realistic),
                cmocka_unit_test(test_default_qemu_conf),
                cmocka_unit_test(test_fuzz_corpus),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
