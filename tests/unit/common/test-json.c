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

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_encoders_agree),
                cmocka_unit_test(test_round_trip),
                cmocka_unit_test(test_decode_errors),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
