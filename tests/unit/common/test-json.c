/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-json.c: the field-table JSON codec: decoding errors, and both encoders agree */
#include <string.h>

#include "json.h"
#include "vk-test.h"

typedef struct Item {
        char *name;
        int64_t n;
} Item;

static const VkField item_fields[] = {
        { "name", VK_FIELD_STRING, offsetof(Item, name), VK_FIELD_REQUIRED },
        { "n", VK_FIELD_INT, offsetof(Item, n), VK_FIELD_REQUIRED },
        {},
};

static const VkStructType item_type = { .name = "Item",
                                        .size = sizeof(Item),
                                        .fields = item_fields };

typedef struct All {
        char *text;
        char *absent;
        bool flag;
        uint64_t count;
        int64_t delta;
        double ratio;
        char **tags;
        VkArray items;
        Item first;
} All;

static const VkField all_fields[] = {
        { "text", VK_FIELD_STRING, offsetof(All, text), VK_FIELD_REQUIRED },
        { "absent", VK_FIELD_STRING, offsetof(All, absent), 0 },
        { "flag", VK_FIELD_BOOL, offsetof(All, flag), 0 },
        { "count", VK_FIELD_UINT, offsetof(All, count), 0 },
        { "delta", VK_FIELD_INT, offsetof(All, delta), 0 },
        { "ratio", VK_FIELD_DOUBLE, offsetof(All, ratio), 0 },
        { "tags", VK_FIELD_STRV, offsetof(All, tags), 0 },
        { "items", VK_FIELD_ARRAY, offsetof(All, items), 0, &item_type },
        { "first", VK_FIELD_STRUCT, offsetof(All, first), 0, &item_type },
        {},
};

static const VkStructType all_type = { .size = sizeof(All), .fields = all_fields };

static char *via_tree(const VkStructType *t, const void *p) {
        g_autoptr(JsonNode) n = vk_struct_to_json(t, p);
        return vk_json_to_string(n, false);
}

static char *direct(const VkStructType *t, const void *p) {
        GString *s = g_string_new(NULL);
        vk_struct_write_json(s, t, p);
        return g_string_free(s, false);
}

static void test_encoders_agree(void **state) {
        char *tags[] = { (char *) "a\"b", (char *) "tab\there", (char *) "é\x01", NULL };
        Item items[] = { { (char *) "x\\y", -3 }, { (char *) "", 0 } };
        All a = {
                .text = (char *) "line\nbreak </tag> & 'q'",
                .flag = true,
                .count = UINT64_C(18446744073709551615) >> 1,
                .delta = INT64_MIN + 1,
                .ratio = 0.25,
                .tags = tags,
                .items = { items, 2 },
                .first = { (char *) "f", 9 },
        };
        g_autofree char *t1 = via_tree(&all_type, &a);
        g_autofree char *t2 = direct(&all_type, &a);
        All empty = {};
        g_autofree char *e1 = via_tree(&all_type, &empty);
        g_autofree char *e2 = direct(&all_type, &empty);

        assert_string_equal(t2, t1);
        assert_non_null(strstr(t2, "\"text\":\"line\\nbreak </tag> & 'q'\""));
        assert_non_null(strstr(t2, "\"tab\\there\""));
        assert_non_null(strstr(t2, "\\u0001"));
        assert_null(strstr(t2, "absent")); /* optional NULL strings are left out */
        assert_string_equal(e2, e1);
        assert_string_equal(e2, "{\"text\":\"\",\"flag\":false,\"count\":0,\"delta\":0,\"ratio\":0,"
                                "\"items\":[],\"first\":{\"name\":\"\",\"n\":0}}");
}

static void test_round_trip(void **state) {
        g_autoptr(JsonNode) n = NULL;
        g_auto(VkError) e = VK_ERROR_INIT;
        All a = {};
        g_autofree char *back = NULL;

        assert_int_equal(
                vk_json_parse("{\"text\":\"t\",\"tags\":[\"x\"],\"items\":[{\"name\":\"i\","
                              "\"n\":2}],\"count\":5}",
                              -1, &n, NULL),
                0);
        assert_int_equal(vk_struct_from_json(&all_type, json_node_get_object(n), &a, &e), 0);
        back = direct(&all_type, &a);
        assert_string_equal(back,
                            "{\"text\":\"t\",\"flag\":false,\"count\":5,\"delta\":0,"
                            "\"ratio\":0,\"tags\":[\"x\"],\"items\":[{\"name\":\"i\",\"n\":2}],"
                            "\"first\":{\"name\":\"\",\"n\":0}}");
        vk_struct_clear(&all_type, &a);
}

static void expect_invalid(const char *json, const char *param, const char *message) {
        g_autoptr(JsonNode) n = NULL;
        g_auto(VkError) e = VK_ERROR_INIT;
        All a = {};

        assert_int_equal(vk_json_parse(json, -1, &n, NULL), 0);
        assert_int_equal(vk_struct_from_json(&all_type, json_node_get_object(n), &a, &e), -EINVAL);
        assert_string_equal(e.name, VK_ERROR_INVALID_PARAMETER);
        assert_string_equal(vk_error_get_param(&e, "parameter"), param);
        assert_string_equal(e.message, message);
        vk_struct_clear(&all_type, &a);
}

static void test_decode_errors(void **state) {
        expect_invalid("{}", "text", "invalid parameter 'text': missing");
        expect_invalid("{\"text\":1}", "text", "invalid parameter 'text': expected a string");
        expect_invalid("{\"text\":\"\",\"x\":1}", "x", "invalid parameter 'x': unknown parameter");
        expect_invalid("{\"text\":\"\",\"flag\":1}", "flag",
                       "invalid parameter 'flag': expected a boolean");
        expect_invalid("{\"text\":\"\",\"count\":-1}", "count",
                       "invalid parameter 'count': expected a non-negative integer");
        expect_invalid("{\"text\":\"\",\"tags\":[1]}", "tags",
                       "invalid parameter 'tags': expected an array of strings");
        expect_invalid("{\"text\":\"\",\"items\":[{\"name\":\"a\",\"n\":1},{}]}", "items[1].name",
                       "invalid parameter 'items[1].name': missing");
        expect_invalid("{\"text\":\"\",\"first\":{\"name\":\"a\",\"n\":1,\"z\":0}}", "first.z",
                       "invalid parameter 'first.z': unknown parameter");
}

/* Nesting and size are bounded before json-glib (which recurses per level) sees the text */
static void test_parse_limits(void **state) {
        g_autofree char *deep = g_malloc0(200001);
        g_autoptr(GString) many = g_string_new("[");
        g_autoptr(JsonNode) n = NULL;
        g_auto(VkError) error = VK_ERROR_INIT;
        char ok[2 * 64 + 1] = "";

        memset(deep, '[', 100000);
        memset(deep + 100000, ']', 100000);
        assert_int_equal(vk_json_parse(deep, -1, &n, &error), -E2BIG);
        assert_string_equal(error.name, VK_ERROR_LIMIT_EXCEEDED);
        assert_string_equal(error.message,
                            "invalid JSON: nested deeper than 64 levels (at byte 64)");
        vk_error_done(&error);

        /* brackets inside strings do not count, escaped quotes do not end them */
        assert_int_equal(vk_json_parse("{\"a\":\"[[[[\\\"{{{{\"}", -1, &n, NULL), 0);
        g_clear_pointer(&n, json_node_unref);
        memset(ok, '[', 64);
        memset(ok + 64, ']', 64);
        assert_int_equal(vk_json_parse(ok, -1, &n, NULL), 0); /* exactly the limit */
        g_clear_pointer(&n, json_node_unref);

        for (unsigned i = 0; i < VK_JSON_MAX_ELEMENTS; i++)
                g_string_append(many, "0,");
        g_string_append(many, "0]");
        assert_int_equal(vk_json_parse(many->str, (gssize) many->len, &n, &error), -E2BIG);
        assert_non_null(strstr(error.message, "more than 262144 values"));
}

/* Whatever bytes a string holds, what we write is valid UTF-8 */
static void test_write_invalid_utf8(void **state) {
        g_autoptr(JsonNode) n = json_node_new(JSON_NODE_VALUE);
        g_autofree char *text = NULL;

        json_node_set_string(n, "cut \xc3 here \xff");
        text = vk_json_to_string(n, false);
        assert_string_equal(text, "\"cut \xef\xbf\xbd here \xef\xbf\xbd\"");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_encoders_agree),     cmocka_unit_test(test_round_trip),
                cmocka_unit_test(test_decode_errors),      cmocka_unit_test(test_parse_limits),
                cmocka_unit_test(test_write_invalid_utf8),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
