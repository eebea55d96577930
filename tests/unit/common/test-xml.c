/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-xml.c: unit tests of the libxml2 helpers (reading, typed properties, checker, writer) */
#include <setjmp.h>
#include <stdarg.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "macro.h"
#include "xml.h"

#include <libxml/xpathInternals.h>

typedef enum TestBus {
        TEST_BUS_DEFAULT,
        TEST_BUS_IDE,
        TEST_BUS_VIRTIO,
        _TEST_BUS_MAX,
        _TEST_BUS_INVALID = -EINVAL,
} TestBus;

static TestBus test_bus_from_string(const char *s) {
        if (strcmp(s, "default") == 0)
                return TEST_BUS_DEFAULT;
        if (strcmp(s, "ide") == 0)
                return TEST_BUS_IDE;
        if (strcmp(s, "virtio") == 0)
                return TEST_BUS_VIRTIO;
        return _TEST_BUS_INVALID;
}

static xmlDoc *read_ok(const char *xml) {
        xmlDoc *doc = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;

        if (vk_xml_read_string(xml, "test", &doc, &err) < 0)
                fail_msg("%s", err.message);
        return doc;
}

static xmlNode *find(xmlDoc *doc, const char *xpath) {
        g_autoptr(xmlXPathContext) ctxt = xmlXPathNewContext(doc);
        g_autoptr(xmlXPathObject) obj = NULL;

        assert_non_null(ctxt);
        assert_int_equal(xmlXPathRegisterNs(ctxt, (const xmlChar *) "q", (const xmlChar *) "urn:q"),
                         0);
        obj = xmlXPathEvalExpression((const xmlChar *) xpath, ctxt);
        assert_non_null(obj);
        assert_non_null(obj->nodesetval);
        assert_true(obj->nodesetval->nodeNr >= 1);
        return obj->nodesetval->nodeTab[0];
}

static void test_read(void **state) {
        g_autoptr(xmlDoc) good = NULL;
        xmlDoc *doc = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        g_autofree char *big = NULL;

        good = read_ok("<a><b/></a>");
        assert_string_equal((const char *) xmlDocGetRootElement(good)->name, "a");

        assert_int_equal(vk_xml_read_string("<a>\n<b>\n</a>", "x.xml", &doc, &err), -EINVAL);
        assert_string_equal(err.name, VK_ERROR_INVALID_XML);
        assert_true(g_str_has_prefix(err.message, "x.xml:3: "));
        vk_error_done(&err);

        assert_int_equal(vk_xml_read_string("", NULL, &doc, &err), -EINVAL);
        assert_string_equal(err.message, "XML: empty document");
        vk_error_done(&err);

        /* no DTDs, so no entity games of any kind */
        assert_int_equal(
                vk_xml_read_string("<!DOCTYPE a [<!ENTITY e 'x'>]><a>&e;</a>", NULL, &doc, &err),
                -EINVAL);
        assert_string_equal(err.message, "XML: a document type declaration is not allowed");
        vk_error_done(&err);
        assert_int_equal(vk_xml_read_string("<!DOCTYPE a SYSTEM 'http://example.org/a.dtd'><a/>",
                                            NULL, &doc, &err),
                         -EINVAL);
        vk_error_done(&err);

        big = g_malloc(VK_XML_SIZE_MAX + 2);
        memset(big, ' ', VK_XML_SIZE_MAX + 1);
        big[VK_XML_SIZE_MAX + 1] = '\0';
        assert_int_equal(vk_xml_read_string(big, NULL, &doc, &err), -E2BIG);
        assert_string_equal(err.name, VK_ERROR_LIMIT_EXCEEDED);
        assert_null(doc);
}

static void expect_limit(const char *xml, const char *message) {
        xmlDoc *doc = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        gint64 t0 = g_get_monotonic_time();

        assert_int_equal(vk_xml_read_string(xml, "x.xml", &doc, &err), -E2BIG);
        assert_null(doc);
        assert_string_equal(err.name, VK_ERROR_LIMIT_EXCEEDED);
        assert_string_equal(err.message, message);
        /* refused in a linear pass: libxml2 took 40 s for 100,000 attributes */
        assert_true(g_get_monotonic_time() - t0 < 500000);
}

/* Attributes per element, elements and depth are bounded before libxml2 parses */
static void test_read_limits(void **state) {
        g_autoptr(GString) xml = g_string_new("<domain>\n<devices>\n<disk");
        g_autoptr(xmlDoc) ok = NULL;

        for (unsigned i = 0; i < 100000; i++)
                g_string_append_printf(xml, " a%u='x'", i);
        g_string_append(xml, "/></devices></domain>");
        expect_limit(xml->str, "x.xml:3: element <disk> has more than 64 attributes");

        g_string_assign(xml, "");
        for (unsigned i = 0; i < 100000; i++)
                g_string_append(xml, "<a>");
        expect_limit(xml->str, "x.xml:1: element <a> nested deeper than 64 levels");

        g_string_assign(xml, "<r>");
        for (unsigned i = 0; i < 200000; i++)
                g_string_append(xml, "<e/>");
        g_string_append(xml, "</r>");
        expect_limit(xml->str, "x.xml:1: more than 200000 nodes (elements and attributes)");
        g_string_assign(xml, "<r>");
        for (unsigned i = 0; i < 100000; i++)
                g_string_append(xml, "<e a='1' b='2'/>");
        g_string_append(xml, "</r>");
        expect_limit(xml->str, "x.xml:1: more than 200000 nodes (elements and attributes)");

        /* at the limits, and what only looks like markup inside values, comments and CDATA */
        g_string_assign(xml,
                        "<?xml version='1.0'?><!-- <a b='1' c='2'> --><r><![CDATA[<x y='1'>]]>");
        for (unsigned i = 0; i < 63; i++)
                g_string_append(xml, "<e>");
        for (unsigned i = 0; i < 63; i++)
                g_string_append(xml, "</e>");
        g_string_append(xml, "<f");
        for (unsigned i = 0; i < 64; i++)
                g_string_append_printf(xml, " a%u=\"x=y/>'\"", i);
        g_string_append(xml, "/></r>");
        ok = read_ok(xml->str);
}

/* libxml2 quotes input cut mid-character in its messages: what we pass on is valid UTF-8 */
static void test_read_error_utf8(void **state) {
        xmlDoc *doc = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;

        assert_int_equal(vk_xml_read_string("<a>&\xc3\xa9\xc3;</a>", NULL, &doc, &err), -EINVAL);
        assert_string_equal(err.message, "XML:1: Entity '\xc3\xa9\xef\xbf\xbd' not defined");
        vk_error_done(&err);
        assert_int_equal(vk_xml_read_string("<a xmlns:e='\xc3\xa9\xc3'/>", NULL, &doc, &err),
                         -EINVAL);
        assert_true(g_utf8_validate(err.message, -1, NULL));
}

static void test_read_file(void **state) {
        g_autofree char *path = g_build_filename(g_get_tmp_dir(), "vk-test-xml-XXXXXX", NULL);
        g_autoptr(xmlDoc) doc = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        int fd;

        fd = g_mkstemp(path);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, "<r x='1'/>", 10), 10);
        close(fd);
        assert_int_equal(vk_xml_read_file(path, &doc, &err), 0);
        assert_string_equal((const char *) xmlDocGetRootElement(doc)->name, "r");
        unlink(path);

        assert_true(vk_xml_read_file(path, &doc, &err) < 0);
        assert_string_equal(err.name, VK_ERROR_SYSTEM);
}

static void test_props(void **state) {
        g_autoptr(xmlDoc) doc =
                read_ok("<domain><devices><disk/><disk bus='virtio' n='42' h='0x1f' neg='-5' z='0' "
                        "big='18446744073709551615' yes='yes' on='off' empty='' bad='1x' oct='010' "
                        "def='default' sign='+1'/></devices></domain>");
        xmlNode *disk = find(doc, "/domain/devices/disk[2]");
        g_auto(VkError) err = VK_ERROR_INIT;
        g_autofree char *s = NULL;
        TestBus bus = _TEST_BUS_INVALID;
        unsigned u = 99;
        int i = 99;
        unsigned long long ul = 0;
        VkTristate t = VK_TRISTATE_ABSENT;

        assert_int_equal(vk_xml_prop_enum(disk, "bus", test_bus_from_string, 0, &bus, &err), 1);
        assert_int_equal(bus, TEST_BUS_VIRTIO);
        assert_int_equal(vk_xml_prop_enum(disk, "missing", test_bus_from_string, 0, &bus, &err), 0);
        assert_int_equal(bus, TEST_BUS_VIRTIO);
        assert_int_equal(vk_xml_prop_enum(disk, "def", test_bus_from_string, 0, &bus, &err), 1);
        assert_int_equal(bus, TEST_BUS_DEFAULT);
        bus = TEST_BUS_IDE;
        assert_int_equal(
                vk_xml_prop_enum(disk, "def", test_bus_from_string, VK_XML_NONZERO, &bus, &err),
                -EINVAL);
        assert_string_equal(err.message,
                            "/domain/devices/disk[2]/@def: unsupported value 'default'");
        assert_int_equal(bus, TEST_BUS_IDE); /* untouched on failure */
        vk_error_done(&err);

        assert_int_equal(vk_xml_prop_enum(disk, "n", test_bus_from_string, 0, &bus, &err), -EINVAL);
        assert_string_equal(err.message, "/domain/devices/disk[2]/@n: unsupported value '42'");
        vk_error_done(&err);
        assert_int_equal(
                vk_xml_prop_enum(disk, "nope", test_bus_from_string, VK_XML_REQUIRED, &bus, &err),
                -EINVAL);
        assert_string_equal(err.message, "/domain/devices/disk[2]: missing attribute 'nope'");
        vk_error_done(&err);

        assert_int_equal(vk_xml_prop_uint(disk, "n", 0, &u, &err), 1);
        assert_int_equal(u, 42);
        assert_int_equal(vk_xml_prop_uint(disk, "h", 0, &u, &err), 1);
        assert_int_equal(u, 31);
        assert_int_equal(vk_xml_prop_uint(disk, "oct", 0, &u, &err), 1);
        assert_int_equal(u, 10);
        assert_int_equal(vk_xml_prop_uint(disk, "z", 0, &u, &err), 1);
        assert_int_equal(u, 0);
        assert_int_equal(vk_xml_prop_uint(disk, "z", VK_XML_NONZERO, &u, &err), -EINVAL);
        assert_string_equal(err.message, "/domain/devices/disk[2]/@z: value '0' must not be 0");
        vk_error_done(&err);
        assert_int_equal(vk_xml_prop_uint(disk, "neg", 0, &u, &err), -EINVAL);
        assert_string_equal(err.message, "/domain/devices/disk[2]/@neg: invalid number '-5'");
        vk_error_done(&err);
        assert_int_equal(vk_xml_prop_uint(disk, "sign", 0, &u, &err), -EINVAL);
        vk_error_done(&err);
        assert_int_equal(vk_xml_prop_uint(disk, "big", 0, &u, &err), -EINVAL);
        assert_string_equal(err.message,
                            "/domain/devices/disk[2]/@big: value '18446744073709551615' out of "
                            "range");
        vk_error_done(&err);
        assert_int_equal(vk_xml_prop_uint(disk, "bad", 0, &u, &err), -EINVAL);
        vk_error_done(&err);
        assert_int_equal(vk_xml_prop_ulong(disk, "big", 0, &ul, &err), 1);
        assert_true(ul == 18446744073709551615ULL);
        assert_int_equal(vk_xml_prop_int(disk, "neg", 0, &i, &err), 1);
        assert_int_equal(i, -5);
        assert_int_equal(vk_xml_prop_int(disk, "absent", 0, &i, &err), 0);
        assert_int_equal(i, -5);

        assert_int_equal(vk_xml_prop_tristate_bool(disk, "yes", 0, &t, &err), 1);
        assert_int_equal(t, VK_TRISTATE_YES);
        assert_int_equal(vk_xml_prop_tristate_switch(disk, "on", 0, &t, &err), 1);
        assert_int_equal(t, VK_TRISTATE_NO);
        assert_int_equal(vk_xml_prop_tristate_bool(disk, "on", 0, &t, &err), -EINVAL);
        assert_string_equal(err.message, "/domain/devices/disk[2]/@on: unsupported value 'off'");
        vk_error_done(&err);
        assert_int_equal(vk_xml_prop_tristate_switch(disk, "yes", 0, &t, &err), -EINVAL);
        vk_error_done(&err);

        assert_int_equal(vk_xml_prop_string(disk, "empty", 0, &s, &err), 1);
        assert_string_equal(s, "");
        g_clear_pointer(&s, g_free);
        assert_int_equal(vk_xml_prop_string(disk, "empty", VK_XML_NONZERO, &s, &err), -EINVAL);
        assert_string_equal(err.message, "/domain/devices/disk[2]/@empty: must not be empty");
        assert_null(s);
        vk_error_done(&err);
}

static void test_check_node(void **state) {
        g_autoptr(xmlDoc) doc =
                read_ok("<domain xmlns:q='urn:q'><devices><disk type='file'><target dev='a'/>"
                        "<!-- c --><frobnicate/></disk><disk type='x'> text </disk>"
                        "<disk q:attr='1'/></devices><q:ext/><name>n<b/></name></domain>");
        xmlNode *root = xmlDocGetRootElement(doc);
        g_auto(VkError) err = VK_ERROR_INIT;
        g_autofree char *text = NULL;
        unsigned long long v;

        assert_int_equal(vk_xml_check_node(find(doc, "/domain/devices/disk[1]"), VK_STRV("type"),
                                           VK_STRV("target"), &err),
                         -EINVAL);
        assert_string_equal(err.message, "/domain/devices/disk[1]/frobnicate: unsupported element");
        vk_error_done(&err);

        assert_int_equal(vk_xml_check_node(find(doc, "/domain/devices/disk[1]"), VK_XML_NONE,
                                           VK_STRV("target", "frobnicate"), &err),
                         -EINVAL);
        assert_string_equal(err.message, "/domain/devices/disk[1]/@type: unsupported attribute");
        vk_error_done(&err);

        assert_int_equal(vk_xml_check_node(find(doc, "/domain/devices/disk[1]"), VK_STRV("type"),
                                           VK_STRV("target", "frobnicate"), &err),
                         0);

        assert_int_equal(vk_xml_check_node(find(doc, "/domain/devices/disk[2]"), VK_STRV("type"),
                                           VK_XML_NONE, &err),
                         -EINVAL);
        assert_string_equal(err.message, "/domain/devices/disk[2]: unexpected text content");
        vk_error_done(&err);
        /* a leaf may have text */
        assert_int_equal(vk_xml_check_node(find(doc, "/domain/devices/disk[2]"), VK_STRV("type"),
                                           NULL, &err),
                         0);

        /* namespaced attributes are never allowed */
        assert_int_equal(vk_xml_check_node(find(doc, "/domain/devices/disk[3]"), VK_STRV("attr"),
                                           VK_XML_NONE, &err),
                         -EINVAL);
        vk_error_done(&err);

        /* namespaced children by {uri}name */
        assert_int_equal(vk_xml_check_node(root, VK_XML_NONE,
                                           VK_STRV("devices", "name", "{urn:q}ext"), &err),
                         0);
        assert_int_equal(
                vk_xml_check_node(root, VK_XML_NONE, VK_STRV("devices", "name", "ext"), &err),
                -EINVAL);
        assert_string_equal(err.message, "/domain/q:ext: unsupported element");
        vk_error_done(&err);

        assert_int_equal(vk_xml_node_text(find(doc, "/domain/name"), 0, &text, &err), -EINVAL);
        assert_string_equal(err.message, "/domain/name/b: unsupported element");
        vk_error_done(&err);

        assert_int_equal(vk_xml_node_text(find(doc, "/domain/devices/disk[2]"), 0, &text, &err), 1);
        assert_string_equal(text, "text");
        assert_int_equal(vk_xml_node_text_ulong(find(doc, "/domain/devices/disk[2]"), 0, &v, &err),
                         -EINVAL);
        assert_string_equal(err.message, "/domain/devices/disk[2]: invalid value 'text'");
        vk_error_done(&err);

        assert_true(vk_xml_node_is(find(doc, "/domain/q:ext"), "urn:q", "ext"));
        assert_false(vk_xml_node_is(find(doc, "/domain/q:ext"), NULL, "ext"));
        assert_non_null(vk_xml_child(root, "name"));
        assert_null(vk_xml_child(root, "ext"));
        assert_int_equal(vk_xml_check_unique(find(doc, "/domain/devices"), VK_STRV("disk"), &err),
                         -EINVAL);
        assert_string_equal(err.message, "/domain/devices/disk[2]: element may appear only once");
}

static void test_parse_numbers(void **state) {
        unsigned long long u = 5;
        long long s = 5;

        assert_int_equal(vk_xml_parse_uint("0x", 100, &u), -EINVAL);
        assert_int_equal(vk_xml_parse_uint("0xg", 100, &u), -EINVAL);
        assert_int_equal(vk_xml_parse_uint(" 1", 100, &u), -EINVAL);
        assert_int_equal(vk_xml_parse_uint("1 ", 100, &u), -EINVAL);
        assert_int_equal(vk_xml_parse_uint("101", 100, &u), -ERANGE);
        assert_int_equal(vk_xml_parse_uint("99999999999999999999999", ULLONG_MAX, &u), -ERANGE);
        assert_int_equal(u, 5);
        assert_int_equal(vk_xml_parse_uint("0X1F", 100, &u), 0);
        assert_int_equal(u, 31);
        assert_int_equal(vk_xml_parse_int("-", -10, 10, &s), -EINVAL);
        assert_int_equal(vk_xml_parse_int("-11", -10, 10, &s), -ERANGE);
        assert_int_equal(vk_xml_parse_int("-10", -10, 10, &s), 0);
        assert_int_equal(s, -10);
}

static void test_tristate(void **state) {
        assert_string_equal(vk_tristate_bool_to_string(VK_TRISTATE_YES), "yes");
        assert_string_equal(vk_tristate_switch_to_string(VK_TRISTATE_NO), "off");
        assert_null(vk_tristate_bool_to_string(VK_TRISTATE_ABSENT));
        assert_null(vk_tristate_bool_to_string(_VK_TRISTATE_INVALID));
        assert_int_equal(vk_tristate_bool_from_string("no"), VK_TRISTATE_NO);
        assert_int_equal(vk_tristate_bool_from_string("off"), _VK_TRISTATE_INVALID);
        assert_int_equal(vk_tristate_switch_from_string("on"), VK_TRISTATE_YES);
        assert_int_equal(vk_tristate_switch_from_string(NULL), _VK_TRISTATE_INVALID);
}

static void test_writer(void **state) {
        g_auto(VkXmlWriter) w = {};
        g_autofree char *out = NULL;
        g_autofree char *again = NULL;
        g_autoptr(xmlDoc) doc = NULL;

        vk_xml_writer_init(&w);
        vk_xml_writer_start(&w, "domain");
        vk_xml_writer_attr(&w, "type", "kvm");
        vk_xml_writer_attr(&w, "skipped", NULL);
        vk_xml_writer_text_element(&w, "name", "a<b>&c 'd' \"e\"");
        vk_xml_writer_text_element(&w, "absent", NULL);
        vk_xml_writer_start(&w, "devices");
        vk_xml_writer_start(&w, "disk");
        vk_xml_writer_attrf(&w, "n", "%d", 3);
        vk_xml_writer_attr(&w, "q", "it's \"x\" & <y>\n");
        vk_xml_writer_end(&w);
        vk_xml_writer_start(&w, "empty");
        vk_xml_writer_text(&w, "");
        vk_xml_writer_end(&w);
        vk_xml_writer_end(&w);
        vk_xml_writer_end(&w);
        out = vk_xml_writer_steal(&w);

        assert_string_equal(out,
                            "<domain type='kvm'>\n"
                            "  <name>a&lt;b&gt;&amp;c 'd' \"e\"</name>\n"
                            "  <devices>\n"
                            "    <disk n='3' q='it&apos;s &quot;x&quot; &amp; &lt;y&gt;&#10;'/>\n"
                            "    <empty></empty>\n"
                            "  </devices>\n"
                            "</domain>\n");

        /* what we write reads back with the same values */
        doc = read_ok(out);
        again = (char *) xmlGetProp(find(doc, "/domain/devices/disk"), (const xmlChar *) "q");
        assert_string_equal(again, "it's \"x\" & <y>\n");
        xmlFree(g_steal_pointer(&again));

        /* the writer can be used again after steal */
        vk_xml_writer_start(&w, "x");
        vk_xml_writer_end(&w);
        again = vk_xml_writer_steal(&w);
        assert_string_equal(again, "<x/>\n");
}

/* Text an XML document can hold: what a set description or title is checked with. */
static void test_text_valid(void **state) {
        size_t bad = 99;

        assert_true(vk_xml_text_valid("", NULL));
        assert_true(vk_xml_text_valid("tab\there\nnewline\r \xc3\xa9 \xf0\x9f\x98\x80", &bad));
        assert_int_equal(bad, 99);
        assert_false(vk_xml_text_valid("a\x01"
                                       "b",
                                       &bad));
        assert_int_equal(bad, 1);
        assert_false(vk_xml_text_valid("ab\xff"
                                       "c",
                                       &bad)); /* not UTF-8 */
        assert_int_equal(bad, 2);
        assert_false(vk_xml_text_valid("x\xef\xbf\xbe", &bad)); /* U+FFFE */
        assert_int_equal(bad, 1);
        assert_false(vk_xml_text_valid("\x1f", &bad));
        assert_int_equal(bad, 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_read),
                cmocka_unit_test(test_read_limits),
                cmocka_unit_test(test_read_error_utf8),
                cmocka_unit_test(test_read_file),
                cmocka_unit_test(test_props),
                cmocka_unit_test(test_check_node),
                cmocka_unit_test(test_parse_numbers),
                cmocka_unit_test(test_tristate),
                cmocka_unit_test(test_writer),
                cmocka_unit_test(test_text_valid),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
