/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-keycodes.c: libvirt's key code sets, their names and the translation to QEMU's numbers */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "qemu-keycodes.h"
#include "xml-metadata.h"

static void test_set_names(void **state) {
        for (int i = 0; i < _VK_KEYCODE_SET_MAX; i++)
                assert_int_equal(vk_keycode_set_from_string(vk_keycode_set_to_string(i)), i);
        assert_int_equal(vk_keycode_set_from_string("rfb"), VK_KEYCODE_SET_QNUM);
        assert_int_equal(vk_keycode_set_from_string("os_x"), 5); /* libvirt's numbers */
        assert_int_equal(vk_keycode_set_from_string("qnum"), 9);
        assert_true(vk_keycode_set_from_string("osx") < 0);
        assert_true(vk_keycode_set_from_string(NULL) < 0);
        assert_null(vk_keycode_set_to_string(_VK_KEYCODE_SET_MAX));
}

/* KEY_A (linux 30) in every set, and keys whose set 1 code has the 0xe0 prefix */
static void test_translate(void **state) {
        static const struct {
                VkKeycodeSet set;
                unsigned a, right_ctrl;
        } cases[] = {
                { VK_KEYCODE_SET_LINUX, 30, 97 },        { VK_KEYCODE_SET_XT, 0x1e, 0xe01d },
                { VK_KEYCODE_SET_ATSET1, 0x1e, 0xe01d }, { VK_KEYCODE_SET_ATSET2, 0x1c, 0xe014 },
                { VK_KEYCODE_SET_OSX, 0x00, 0x3e },      { VK_KEYCODE_SET_XT_KBD, 0x1e, 0x11d },
                { VK_KEYCODE_SET_USB, 4, 228 },          { VK_KEYCODE_SET_QNUM, 0x1e, 0x9d },
        };

        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                assert_int_equal(
                        vk_keycode_translate(cases[i].set, VK_KEYCODE_SET_QNUM, cases[i].a), 0x1e);
                assert_int_equal(vk_keycode_translate(cases[i].set, VK_KEYCODE_SET_QNUM,
                                                      cases[i].right_ctrl),
                                 0x9d);
                assert_int_equal(vk_keycode_translate(VK_KEYCODE_SET_LINUX, cases[i].set, 30),
                                 (int) cases[i].a);
        }
        assert_int_equal(vk_keycode_translate(VK_KEYCODE_SET_ATSET1, VK_KEYCODE_SET_QNUM, 0x7f),
                         -ENOENT);
        assert_int_equal(vk_keycode_translate(VK_KEYCODE_SET_LINUX, VK_KEYCODE_SET_QNUM, 0xffff),
                         -ENOENT);
}

static void test_parse(void **state) {
        g_auto(VkError) err = VK_ERROR_INIT;
        unsigned v = 0;

        assert_int_equal(vk_keycode_parse(VK_KEYCODE_SET_LINUX, "KEY_A", &v, NULL), 0);
        assert_int_equal(v, 30);
        assert_int_equal(vk_keycode_parse(VK_KEYCODE_SET_OSX, "ANSI_A", &v, NULL), 0);
        assert_int_equal(v, 0);
        assert_int_equal(vk_keycode_parse(VK_KEYCODE_SET_WIN32, "VK_A", &v, NULL), 0);
        assert_int_equal(v, 0x41);
        assert_int_equal(vk_keycode_parse(VK_KEYCODE_SET_XT, "0x1e", &v, NULL), 0);
        assert_int_equal(v, 0x1e);
        assert_int_equal(vk_keycode_parse(VK_KEYCODE_SET_XT, "30", &v, NULL), 0);
        assert_int_equal(v, 30);
        assert_true(vk_keycode_parse(VK_KEYCODE_SET_XT, "KEY_A", &v, &err) < 0);
        assert_string_equal(err.message,
                            "invalid keycode: 'KEY_A' (a number, or a key name of codeset 'xt')");
        assert_true(vk_keycode_parse(VK_KEYCODE_SET_LINUX, "0x10000", &v, NULL) < 0);
        assert_true(vk_keycode_parse(VK_KEYCODE_SET_LINUX, "12abc", &v, NULL) < 0);
        assert_true(vk_keycode_parse(VK_KEYCODE_SET_LINUX, "", &v, NULL) < 0);
}

/* libvirt's way: the element and its children without a namespace go into the new one */
static void test_metadata_set(void **state) {
        g_auto(GStrv) items = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;

        assert_int_equal(vk_xml_metadata_set(&items,
                                             "<derp xmlns:foobar='http://foo.bar/'><bar>x</bar>"
                                             "<foobar:baz>z</foobar:baz></derp>",
                                             "herp", "http://herp.derp/", 4, NULL),
                         0);
        assert_string_equal(vk_xml_metadata_find(items, "http://herp.derp/"),
                            "<herp:derp xmlns:foobar=\"http://foo.bar/\" "
                            "xmlns:herp=\"http://herp.derp/\"><herp:bar>x</herp:bar>"
                            "<foobar:baz>z</foobar:baz></herp:derp>");
        assert_int_equal(vk_xml_metadata_set(&items, "<a/>", "o", "urn:o", 4, NULL), 0);
        assert_int_equal(vk_xml_metadata_set(&items, "<b/>", "h", "http://herp.derp/", 4, NULL), 0);
        assert_int_equal(g_strv_length(items), 2);
        assert_string_equal(items[0], "<o:a xmlns:o=\"urn:o\"/>");
        assert_string_equal(items[1], "<h:b xmlns:h=\"http://herp.derp/\"/>");
        assert_int_equal(vk_xml_metadata_set(&items, "<c/>", "c", "urn:c", 2, &err), -E2BIG);
        assert_true(vk_xml_metadata_set(&items, "<c/>", "1c", "urn:c", 4, NULL) < 0);
        assert_true(vk_xml_metadata_set(&items, "<c", "c", "urn:c", 4, NULL) < 0);
        assert_int_equal(vk_xml_metadata_set(&items, NULL, NULL, "urn:o", 4, NULL), 0);
        assert_int_equal(vk_xml_metadata_set(&items, NULL, NULL, "http://herp.derp/", 4, NULL), 0);
        assert_null(items);
        assert_null(vk_xml_metadata_find(items, "urn:o"));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_set_names),
                cmocka_unit_test(test_translate),
                cmocka_unit_test(test_parse),
                cmocka_unit_test(test_metadata_set),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
