/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-call.c: one method declaration served on varlink and D-Bus, with the same results */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <systemd/sd-id128.h>

#include "bus.h"
#include "call.h"
#include "json.h"
#include "macro.h"
#include "sd-glue.h"
#include "vk-test.h"

/* --- a test interface using every field type --- */

typedef struct Item {
        char *name;
        int64_t n;
} Item;

static const VkField item_fields[] = {
        { "name", VK_FIELD_STRING, offsetof(Item, name), VK_FIELD_REQUIRED },
        { "n", VK_FIELD_INT, offsetof(Item, n), VK_FIELD_REQUIRED },
        {},
};

static const VkStructType item_type = {
        .name = "Item",
        .size = sizeof(Item),
        .fields = item_fields,
};

typedef struct EchoArgs {
        char *text;
        bool flag;
        uint64_t count;
        double ratio;
        char **tags;
        VkArray items; /* of Item */
        Item first;
} EchoArgs;

static const VkField echo_args_fields[] = {
        { "text", VK_FIELD_STRING, offsetof(EchoArgs, text), VK_FIELD_REQUIRED },
        { "flag", VK_FIELD_BOOL, offsetof(EchoArgs, flag), 0 },
        { "count", VK_FIELD_UINT, offsetof(EchoArgs, count), 0 },
        { "ratio", VK_FIELD_DOUBLE, offsetof(EchoArgs, ratio), 0 },
        { "tags", VK_FIELD_STRV, offsetof(EchoArgs, tags), 0 },
        { "items", VK_FIELD_ARRAY, offsetof(EchoArgs, items), 0, &item_type },
        { "first", VK_FIELD_STRUCT, offsetof(EchoArgs, first), 0, &item_type },
        {},
};

static const VkStructType echo_args = {
        .size = sizeof(EchoArgs),
        .fields = echo_args_fields,
};

static int echo(VkCall *call, void *params, void *userdata) {
        EchoArgs *a = params;

        a->count++; /* prove the handler saw the decoded value */
        return vk_call_reply(call, a);
}

static int boom(VkCall *call, void *params, void *userdata) {
        VkError *e = vk_call_error(call);

        vk_error_set(e, "Boom", -EIO, "it went boom at '%s'", "here");
        vk_error_add_param(e, "where", "here");
        return -EIO;
}

static int later_on_defer(sd_event_source *s, void *userdata) {
        VkCall *call = userdata;

        (void) vk_call_reply(call, NULL);
        vk_call_unref(call);
        return 0;
}

static int later(VkCall *call, void *params, void *userdata) {
        sd_event *e = vk_service_get_event(vk_call_service(call));

        assert_int_equal(sd_event_add_defer(e, NULL, later_on_defer, vk_call_ref(call)), 0);
        return 0;
}

static int stream(VkCall *call, void *params, void *userdata) {
        Item it = { .name = (char *) "tick" };

        for (it.n = 0; it.n < 2; it.n++)
                assert_int_equal(vk_call_reply_continue(call, &it), 0);
        return vk_call_reply(call, &it);
}

typedef struct PokeArgs {
        char *target;
} PokeArgs;

static const VkField poke_args_fields[] = {
        { "target", VK_FIELD_STRING, offsetof(PokeArgs, target), VK_FIELD_REQUIRED },
        {},
};

static const VkStructType poke_args = {
        .size = sizeof(PokeArgs),
        .fields = poke_args_fields,
};

static const VkMethod test_methods[] = {
        { "Echo", &echo_args, &echo_args, echo, VK_AUTH_READ, 0, "Echo every type back." },
        { "Fail", NULL, NULL, boom, VK_AUTH_READ, 0, NULL },
        { "Later", NULL, NULL, later, VK_AUTH_READ, 0, NULL },
        { "Change", NULL, NULL, later, VK_AUTH_MANAGE, 0, NULL },
        { "Stream", NULL, &item_type, stream, VK_AUTH_READ, VK_METHOD_STREAM, NULL },
        { "Poke", &poke_args, NULL, later, VK_AUTH_MANAGE, 0, NULL },
        {},
};

/* --- objects: one per key of thing_table, served by the interface's own methods --- */

typedef struct ThingProps {
        char *label;
        int64_t count;
        bool on;
        char **tags;
} ThingProps;

static const VkField thing_props_fields[] = {
        { "Label", VK_FIELD_STRING, offsetof(ThingProps, label), VK_FIELD_REQUIRED },
        { "Count", VK_FIELD_INT, offsetof(ThingProps, count), VK_FIELD_REQUIRED | VK_FIELD_INT32 },
        { "On", VK_FIELD_BOOL, offsetof(ThingProps, on), VK_FIELD_REQUIRED },
        { "Tags", VK_FIELD_STRV, offsetof(ThingProps, tags), VK_FIELD_REQUIRED },
        {},
};

static const VkStructType thing_props = {
        .size = sizeof(ThingProps),
        .fields = thing_props_fields,
};

typedef struct Thing {
        const char *key;
        const char *label;
        int64_t count;
        bool on;
} Thing;

/* what exists now; a test edits it and calls vk_service_update_object() */
static Thing thing_table[4];

static void things_reset(void) {
        memset(thing_table, 0, sizeof(thing_table));
        thing_table[0] = (Thing){ "a-1", "first", 1, true };
        thing_table[1] = (Thing){ "b-2", "second", 2, false };
}

static int things_list(char ***ret_keys, void *userdata) {
        GPtrArray *keys = g_ptr_array_new();

        for (size_t i = 0; i < G_N_ELEMENTS(thing_table); i++)
                if (thing_table[i].key)
                        g_ptr_array_add(keys, g_strdup(thing_table[i].key));
        g_ptr_array_add(keys, NULL);
        *ret_keys = (char **) g_ptr_array_free(keys, false);
        return 0;
}

static int things_get(const char *key, void *ret_props, void *userdata) {
        ThingProps *p = ret_props;

        for (size_t i = 0; i < G_N_ELEMENTS(thing_table); i++)
                if (thing_table[i].key && strcmp(thing_table[i].key, key) == 0) {
                        p->label = g_strdup(thing_table[i].label);
                        p->count = thing_table[i].count;
                        p->on = thing_table[i].on;
                        p->tags = g_strsplit("x,y", ",", -1);
                        return 0;
                }
        return -ENOENT;
}

static const VkObjectInterface test_objects[] = {
        {
                .bus_interface = "io.virtkit.Test1.Thing",
                .path_prefix = "/io/virtkit/Test1/thing",
                .methods = (const VkObjectMethod[]){ { "Echo", "Echo", "text" },
                                                     { "Poke", "Poke", "target" },
                                                     {} },
                .properties = &thing_props,
                .list = things_list,
                .get = things_get,
        },
        {},
};

static const VkMethod *const test_tables[] = { test_methods, NULL };

static const VkErrorDecl test_errors[] = {
        { "Boom", (const char *const[]){ "where", NULL }, "Something exploded." },
        {},
};

static const VkSignal test_signals[] = {
        { "Happened", &item_type, "Something happened." },
        {},
};

static const VkInterface test_iface = {
        VK_INTERFACE_NAMES("Test", "test"),
        .doc = "A test interface.",
        .method_tables = test_tables,
        .errors = test_errors,
        .signals = test_signals,
        .objects = test_objects,
};

typedef struct Fixture {
        sd_event *event;
        VkService *service;
        char *dir;
        char *path;
        sd_bus *server_bus;
        sd_bus *client_bus;
} Fixture;

static int setup(void **state) {
        Fixture *f = g_new0(Fixture, 1);
        VkServiceOptions opts = { .iface = &test_iface, .product = "test-daemon" };
        VkError error = VK_ERROR_INIT;
        sd_id128_t id;
        int fds[2];

        things_reset();
        f->dir = g_dir_make_tmp("vk-call-XXXXXX", NULL);
        f->path = g_build_filename(f->dir, "io.virtkit.Test", NULL);
        assert_int_equal(sd_event_new(&f->event), 0);
        assert_int_equal(vk_service_new(f->event, &opts, &f->service), 0);
        assert_int_equal(vk_service_listen_varlink(f->service, f->path, 0600, &error), 0);

        /* a direct D-Bus connection pair: no bus daemon needed for the codec */
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
        assert_int_equal(sd_id128_randomize(&id), 0);
        assert_int_equal(sd_bus_new(&f->server_bus), 0);
        assert_int_equal(sd_bus_set_fd(f->server_bus, fds[0], fds[0]), 0);
        assert_int_equal(sd_bus_set_server(f->server_bus, 1, id), 0);
        assert_int_equal(sd_bus_attach_event(f->server_bus, f->event, 0), 0);
        assert_int_equal(sd_bus_start(f->server_bus), 0);
        assert_int_equal(sd_bus_new(&f->client_bus), 0);
        assert_int_equal(sd_bus_set_fd(f->client_bus, fds[1], fds[1]), 0);
        assert_int_equal(sd_bus_attach_event(f->client_bus, f->event, 0), 0);
        assert_int_equal(sd_bus_start(f->client_bus), 0);
        assert_int_equal(vk_service_attach_bus(f->service, f->server_bus, &error), 0);
        *state = f;
        return 0;
}

static int teardown(void **state) {
        Fixture *f = *state;

        vk_service_free(f->service);
        sd_bus_flush_close_unref(f->client_bus);
        sd_bus_flush_close_unref(f->server_bus);
        sd_event_unref(f->event);
        rmdir(f->dir);
        g_free(f->dir);
        g_free(f->path);
        g_free(f);
        return 0;
}

/* --- varlink side --- */

typedef struct Reply {
        char *text; /* params as JSON */
        char *error;
        unsigned n;
        bool done;
} Reply;

static void on_reply(VkVarlinkClient *cl, JsonObject *params, const char *error, bool continues,
                     void *userdata) {
        Reply *r = userdata;
        g_autoptr(JsonNode) n = json_node_new(JSON_NODE_OBJECT);

        json_node_set_object(n, params);
        g_free(r->text);
        r->text = vk_json_to_string(n, false);
        r->error = g_strdup(error);
        r->n++;
        r->done = !continues;
}

static void varlink_call(Fixture *f, const char *method, const char *json, unsigned flags,
                         Reply *r) {
        g_autoptr(VkVarlinkClient) cl = NULL;
        g_autoptr(JsonNode) params = NULL;
        VkError error = VK_ERROR_INIT;

        if (json)
                assert_int_equal(vk_json_parse(json, -1, &params, NULL), 0);
        assert_int_equal(vk_varlink_client_connect(f->event, f->path, &cl, &error), 0);
        assert_int_equal(vk_varlink_client_call(cl, method, params, flags, on_reply, r), 0);
        VK_RUN_UNTIL(f->event, r->done, 3000);
}

static void reply_done(Reply *r) {
        g_free(r->text);
        g_free(r->error);
}

static void test_varlink_echo_all_types(void **state) {
        Fixture *f = *state;
        Reply r = {};

        varlink_call(f, "io.virtkit.Test.Echo",
                     "{\"text\":\"hé\",\"flag\":true,\"count\":41,\"ratio\":0.5,"
                     "\"tags\":[\"a\",\"b\"],\"items\":[{\"name\":\"x\",\"n\":-3}],"
                     "\"first\":{\"name\":\"y\",\"n\":9}}",
                     0, &r);
        assert_null(r.error);
        assert_string_equal(r.text, "{\"text\":\"hé\",\"flag\":true,\"count\":42,\"ratio\":0.5,"
                                    "\"tags\":[\"a\",\"b\"],\"items\":[{\"name\":\"x\",\"n\":-3}],"
                                    "\"first\":{\"name\":\"y\",\"n\":9}}");
        reply_done(&r);
}

static void expect_varlink_error(Fixture *f, const char *method, const char *json,
                                 const char *error, const char *params) {
        Reply r = {};

        varlink_call(f, method, json, 0, &r);
        assert_non_null(r.error);
        assert_string_equal(r.error, error);
        assert_string_equal(r.text, params);
        reply_done(&r);
}

static void test_varlink_errors(void **state) {
        Fixture *f = *state;

        expect_varlink_error(f, "io.virtkit.Test.Fail", NULL, "io.virtkit.Test.Boom",
                             "{\"message\":\"it went boom at 'here'\",\"where\":\"here\"}");
        expect_varlink_error(f, "io.virtkit.Test.Echo", "{}",
                             "org.varlink.service.InvalidParameter",
                             "{\"message\":\"invalid parameter 'text': missing\","
                             "\"parameter\":\"text\"}");
        expect_varlink_error(f, "io.virtkit.Test.Echo", "{\"text\":\"a\",\"bogus\":1}",
                             "org.varlink.service.InvalidParameter",
                             "{\"message\":\"invalid parameter 'bogus': unknown parameter\","
                             "\"parameter\":\"bogus\"}");
        expect_varlink_error(f, "io.virtkit.Test.Echo", "{\"text\":\"a\",\"count\":-1}",
                             "org.varlink.service.InvalidParameter",
                             "{\"message\":\"invalid parameter 'count': expected a non-negative "
                             "integer\",\"parameter\":\"count\"}");
        expect_varlink_error(f, "io.virtkit.Test.Echo",
                             "{\"text\":\"a\",\"items\":[{\"name\":\"x\"}]}",
                             "org.varlink.service.InvalidParameter",
                             "{\"message\":\"invalid parameter 'items[0].n': missing\","
                             "\"parameter\":\"items[0].n\"}");
        expect_varlink_error(f, "io.virtkit.Test.Nope", NULL, "org.varlink.service.MethodNotFound",
                             "{\"method\":\"io.virtkit.Test.Nope\"}");
        expect_varlink_error(f, "io.virtkit.Other.Echo", NULL,
                             "org.varlink.service.InterfaceNotFound",
                             "{\"interface\":\"io.virtkit.Other\"}");
        expect_varlink_error(f, "io.virtkit.Test.Stream", NULL, "org.varlink.service.ExpectedMore",
                             "{}");
        /* a changing method takes allowInteractiveAuthentication, a read-only one does not */
        expect_varlink_error(
                f, "io.virtkit.Test.Later", "{\"allowInteractiveAuthentication\":true}",
                "org.varlink.service.InvalidParameter",
                "{\"message\":\"invalid parameter 'allowInteractiveAuthentication': "
                "unknown parameter\",\"parameter\":\"allowInteractiveAuthentication\"}");
}

static void test_varlink_async_stream_manage(void **state) {
        Fixture *f = *state;
        Reply r = {}, s = {}, m = {};

        varlink_call(f, "io.virtkit.Test.Later", NULL, 0, &r);
        assert_null(r.error);
        assert_string_equal(r.text, "{}");

        varlink_call(f, "io.virtkit.Test.Stream", NULL, VK_VARLINK_MORE, &s);
        assert_int_equal(s.n, 3);
        assert_string_equal(s.text, "{\"name\":\"tick\",\"n\":2}");

        /* root (this test) may call changing methods without asking polkit */
        assert_int_equal(getuid(), 0);
        varlink_call(f, "io.virtkit.Test.Change", "{\"allowInteractiveAuthentication\":false}", 0,
                     &m);
        assert_null(m.error);
        reply_done(&r);
        reply_done(&s);
        reply_done(&m);
}

static void test_varlink_service_interface(void **state) {
        Fixture *f = *state;
        Reply r = {}, d = {};
        g_autofree char *idl = vk_interface_format_idl(&test_iface);

        varlink_call(f, "org.varlink.service.GetInfo", NULL, 0, &r);
        assert_non_null(strstr(r.text, "\"product\":\"test-daemon\""));
        assert_non_null(strstr(r.text, "\"interfaces\":[\"org.varlink.service\","
                                       "\"io.virtkit.Test\"]"));
        varlink_call(f, "org.varlink.service.GetInterfaceDescription",
                     "{\"interface\":\"io.virtkit.Test\"}", 0, &d);
        assert_non_null(strstr(idl, "type Item (\n  name: string,\n  n: int\n)\n"));
        assert_non_null(strstr(idl, "method Echo(text: string, flag: ?bool, count: ?int, "
                                    "ratio: ?float, tags: ?[]string, items: ?[]Item, "
                                    "first: ?Item) -> (text: string, flag: ?bool, count: ?int, "
                                    "ratio: ?float, tags: ?[]string, items: ?[]Item, "
                                    "first: ?Item)\n"));
        assert_non_null(strstr(idl, "method Change(allowInteractiveAuthentication: ?bool) -> ()"));
        assert_non_null(strstr(idl, "# Something exploded.\nerror Boom (message: ?string, "
                                    "where: ?string)\n"));
        assert_non_null(strstr(idl, "error PermissionDenied (message: ?string)"));
        assert_null(strstr(idl, "Stream() -> (name") ? NULL : "Stream missing");
        reply_done(&r);
        reply_done(&d);
        expect_varlink_error(f, "org.varlink.service.GetInterfaceDescription",
                             "{\"interface\":\"nope\"}", "org.varlink.service.InterfaceNotFound",
                             "{\"interface\":\"nope\"}");
}

/* --- D-Bus side --- */

typedef struct BusReply {
        sd_bus_message *m;
        bool done;
} BusReply;

static int on_bus_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        BusReply *r = userdata;

        r->m = sd_bus_message_ref(m);
        r->done = true;
        return 0;
}

static void bus_call(Fixture *f, sd_bus_message *m, BusReply *r) {
        assert_true(sd_bus_call_async(f->client_bus, NULL, m, on_bus_reply, r, 0) >= 0);
        VK_RUN_UNTIL(f->event, r->done, 3000);
}

static void test_bus_echo_all_types(void **state) {
        Fixture *f = *state;
        g_autoptr(sd_bus_message) m = NULL;
        BusReply r = {};
        const char *text, *name;
        int flag;
        uint64_t count;
        double ratio;
        char **tags = NULL;
        int64_t n;

        assert_true(sd_bus_message_new_method_call(f->client_bus, &m, NULL, "/io/virtkit/Test1",
                                                   "io.virtkit.Test1.Manager", "Echo") >= 0);
        assert_true(sd_bus_message_append(m, "sbtdasa(sx)(sx)", "hé", 1, (uint64_t) 41, 0.5, 2, "a",
                                          "b", 1, "x", (int64_t) -3, "y", (int64_t) 9) >= 0);
        bus_call(f, m, &r);
        assert_null(sd_bus_message_get_error(r.m));
        assert_string_equal(sd_bus_message_get_signature(r.m, true), "sbtdasa(sx)(sx)");
        assert_int_equal(sd_bus_message_read(r.m, "sbtd", &text, &flag, &count, &ratio), 1);
        assert_string_equal(text, "hé");
        assert_true(flag);
        assert_int_equal(count, 42);
        assert_true(ratio == 0.5);
        assert_int_equal(sd_bus_message_read_strv(r.m, &tags), 1);
        assert_string_equal(tags[1], "b");
        g_strfreev(tags);
        assert_int_equal(sd_bus_message_read(r.m, "a(sx)", 1, &name, &n), 1);
        assert_string_equal(name, "x");
        assert_int_equal(n, -3);
        sd_bus_message_unref(r.m);
}

static void expect_bus_error(Fixture *f, const char *member, const char *sig, const char *error,
                             const char *message) {
        g_autoptr(sd_bus_message) m = NULL;
        BusReply r = {};
        const sd_bus_error *e;

        assert_true(sd_bus_message_new_method_call(f->client_bus, &m, NULL, "/io/virtkit/Test1",
                                                   "io.virtkit.Test1.Manager", member) >= 0);
        if (sig)
                assert_true(sd_bus_message_append(m, sig, "") >= 0);
        bus_call(f, m, &r);
        e = sd_bus_message_get_error(r.m);
        assert_non_null(e);
        assert_string_equal(e->name, error);
        if (message)
                assert_string_equal(e->message, message);
        sd_bus_message_unref(r.m);
}

static void test_bus_errors_same_names(void **state) {
        Fixture *f = *state;

        expect_bus_error(f, "Fail", NULL, "io.virtkit.Test.Boom", "it went boom at 'here'");
        /* sd-bus checks the signature: a wrong one never reaches us */
        expect_bus_error(f, "Echo", "s", SD_BUS_ERROR_INVALID_ARGS, NULL);
        expect_bus_error(f, "Nope", NULL, SD_BUS_ERROR_UNKNOWN_METHOD, NULL);
        /* a streaming method is varlink-only */
        expect_bus_error(f, "Stream", NULL, SD_BUS_ERROR_UNKNOWN_METHOD, NULL);
}

static void test_bus_introspection_names(void **state) {
        Fixture *f = *state;
        g_autoptr(sd_bus_message) m = NULL;
        BusReply r = {};
        const char *xml;

        assert_true(sd_bus_message_new_method_call(f->client_bus, &m, NULL, "/io/virtkit/Test1",
                                                   "org.freedesktop.DBus.Introspectable",
                                                   "Introspect") >= 0);
        bus_call(f, m, &r);
        assert_int_equal(sd_bus_message_read(r.m, "s", &xml), 1);
        assert_non_null(strstr(xml, "<interface name=\"io.virtkit.Test1.Manager\">"));
        assert_non_null(strstr(xml, "<arg type=\"a(sx)\" name=\"items\" direction=\"in\"/>"));
        assert_non_null(strstr(xml, "<arg type=\"(sx)\" name=\"first\" direction=\"out\"/>"));
        sd_bus_message_unref(r.m);
}

typedef struct SignalSeen {
        char *name;
        int64_t n;
        unsigned count;
} SignalSeen;

static int on_happened(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        SignalSeen *seen = userdata;
        const char *name;
        int64_t n;

        assert_int_equal(sd_bus_message_read(m, "sx", &name, &n), 1);
        g_free(seen->name);
        seen->name = g_strdup(name);
        seen->n = n;
        seen->count++;
        return 0;
}

/* a direct connection has no bus daemon to route by match rules: look at every message */
static int on_filter(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        if (sd_bus_message_is_signal(m, "io.virtkit.Test1.Manager", "Happened") > 0 &&
            g_strcmp0(sd_bus_message_get_path(m), "/io/virtkit/Test1") == 0)
                return on_happened(m, userdata, ret_error);
        return 0;
}

static void test_bus_signal(void **state) {
        Fixture *f = *state;
        g_autoptr(sd_bus_message) m = NULL;
        sd_bus_slot *slot = NULL;
        SignalSeen seen = {};
        BusReply r = {};
        Item item = { .name = (char *) "disk", .n = 7 };
        const char *xml;

        /* declared in the introspection data; the round trip also finishes the handshake,
         * before which sd-bus loses messages on a direct connection */
        assert_true(sd_bus_message_new_method_call(f->client_bus, &m, NULL, "/io/virtkit/Test1",
                                                   "org.freedesktop.DBus.Introspectable",
                                                   "Introspect") >= 0);
        bus_call(f, m, &r);
        assert_int_equal(sd_bus_message_read(r.m, "s", &xml), 1);
        assert_non_null(strstr(xml, "<signal name=\"Happened\">"));
        assert_non_null(strstr(xml, "<arg type=\"s\" name=\"name\"/>"));
        sd_bus_message_unref(r.m);

        assert_true(sd_bus_add_filter(f->client_bus, &slot, on_filter, &seen) >= 0);
        assert_int_equal(vk_service_emit_signal(f->service, "Happened", &item), 0);
        assert_int_equal(vk_service_emit_signal(f->service, "Unknown", &item), -ENOENT);
        VK_RUN_UNTIL(f->event, seen.count == 1, 3000);
        assert_string_equal(seen.name, "disk");
        assert_int_equal(seen.n, 7);

        sd_bus_slot_unref(slot);
        g_free(seen.name);
}

/* --- D-Bus objects --- */

#define THING_A "/io/virtkit/Test1/thing/_a_1"

static void test_bus_object_paths(void **state) {
        g_autofree char *path = NULL, *key = NULL;
        char *bad = NULL;

        assert_int_equal(vk_bus_object_path("/p/d", "4a5b-c6", &path), 0);
        assert_string_equal(path, "/p/d/_4a5b_c6");
        assert_int_equal(vk_bus_object_key("/p/d", path, &key), 0);
        assert_string_equal(key, "4a5b-c6");
        assert_int_equal(vk_bus_object_path("/p/d", "a b", &bad), -EINVAL);
        assert_int_equal(vk_bus_object_path("/p/d", "", &bad), -EINVAL);
        assert_int_equal(vk_bus_object_key("/p/d", "/p/d", &bad), -EINVAL);
        assert_int_equal(vk_bus_object_key("/p/d", "/p/d/x1", &bad), -EINVAL);
        assert_int_equal(vk_bus_object_key("/p/d", "/p/d/_", &bad), -EINVAL);
        assert_int_equal(vk_bus_object_key("/p/d", "/p/d/_a/_b", &bad), -EINVAL);
        assert_int_equal(vk_bus_object_key("/p/d", "/p/dx/_a", &bad), -EINVAL);
        assert_null(bad);
}

static void test_bus_object_bad_declaration(void **state) {
        g_autoptr(GPtrArray) strings = g_ptr_array_new_with_free_func(g_free);
        const VkObjectMethod *bad[] = {
                (const VkObjectMethod[]){ { "X", "Nope", "text" }, {} },   /* no such method */
                (const VkObjectMethod[]){ { "X", "Echo", "count" }, {} },  /* key not a string */
                (const VkObjectMethod[]){ { "X", "Echo", "nope" }, {} },   /* no such parameter */
                (const VkObjectMethod[]){ { "X", "Stream", "name" }, {} }, /* varlink only */
        };

        for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
                VkObjectInterface oi = test_objects[0];
                sd_bus_vtable *vt = NULL;

                oi.methods = bad[i];
                assert_int_equal(
                        vk_bus_object_vtable_new(&test_iface, &oi, NULL, NULL, strings, &vt),
                        -EINVAL);
                assert_null(vt);
        }
}

static sd_bus_message *object_call(Fixture *f, const char *path, const char *iface,
                                   const char *member, const char *sig, ...) {
        g_autoptr(sd_bus_message) m = NULL;
        BusReply r = {};
        va_list ap;

        assert_true(sd_bus_message_new_method_call(f->client_bus, &m, NULL, path, iface, member) >=
                    0);
        if (sig) {
                va_start(ap, sig);
                assert_true(sd_bus_message_appendv(m, sig, ap) >= 0);
                va_end(ap);
        }
        bus_call(f, m, &r);
        return r.m;
}

static void test_bus_object_methods(void **state) {
        Fixture *f = *state;
        g_autoptr(sd_bus_message) echo = NULL, poke = NULL, gone = NULL, xml = NULL;
        const char *text, *intro;
        const sd_bus_error *e;
        uint64_t count;
        int flag;

        /* the object's Echo is the interface's Echo, with the key as "text" */
        echo = object_call(f, THING_A, "io.virtkit.Test1.Thing", "Echo", "btdasa(sx)(sx)", 1,
                           (uint64_t) 6, 0.25, 0, 0, "z", (int64_t) 1);
        assert_null(sd_bus_message_get_error(echo));
        assert_int_equal(sd_bus_message_read(echo, "sbt", &text, &flag, &count), 1);
        assert_string_equal(text, "a-1");
        assert_int_equal(count, 7);

        /* a changing method goes through the same authorisation: on a direct connection
         * the caller cannot be identified */
        poke = object_call(f, THING_A, "io.virtkit.Test1.Thing", "Poke", NULL);
        e = sd_bus_message_get_error(poke);
        assert_non_null(e);
        assert_string_equal(e->name, "io.virtkit.Test.PermissionDenied");
        assert_non_null(strstr(e->message, "Poke: cannot identify the caller"));

        gone = object_call(f, "/io/virtkit/Test1/thing/_zz", "io.virtkit.Test1.Thing", "Echo",
                           "btdasa(sx)(sx)", 1, (uint64_t) 6, 0.25, 0, 0, "z", (int64_t) 1);
        e = sd_bus_message_get_error(gone);
        assert_non_null(e);
        assert_string_equal(e->name, SD_BUS_ERROR_UNKNOWN_OBJECT);

        /* introspection: the parameters without the key, with their names */
        xml = object_call(f, THING_A, "org.freedesktop.DBus.Introspectable", "Introspect", NULL);
        assert_int_equal(sd_bus_message_read(xml, "s", &intro), 1);
        assert_non_null(strstr(intro, "<interface name=\"io.virtkit.Test1.Thing\">"));
        assert_non_null(strstr(intro, "<method name=\"Echo\">\n"
                                      "   <arg type=\"b\" name=\"flag\" direction=\"in\"/>"));
        assert_non_null(strstr(intro, "<arg type=\"s\" name=\"text\" direction=\"out\"/>"));
        assert_null(strstr(intro, "name=\"text\" direction=\"in\""));
        assert_non_null(strstr(intro, "<property name=\"Count\" type=\"i\" access=\"read\">"));
        assert_non_null(strstr(intro, "<property name=\"Tags\" type=\"as\" access=\"read\">"));
}

static void test_bus_object_properties(void **state) {
        Fixture *f = *state;
        g_autoptr(sd_bus_message) get = NULL, all = NULL, managed = NULL;
        g_autofree char *dump = NULL;
        size_t dump_len = 0;
        FILE *out;
        int32_t count;

        get = object_call(f, THING_A, "org.freedesktop.DBus.Properties", "Get", "ss",
                          "io.virtkit.Test1.Thing", "Count");
        assert_null(sd_bus_message_get_error(get));
        assert_int_equal(sd_bus_message_read(get, "v", "i", &count), 1);
        assert_int_equal(count, 1);

        all = object_call(f, "/io/virtkit/Test1/thing/_b_2", "org.freedesktop.DBus.Properties",
                          "GetAll", "s", "io.virtkit.Test1.Thing");
        assert_null(sd_bus_message_get_error(all));
        assert_string_equal(sd_bus_message_get_signature(all, true), "a{sv}");

        managed = object_call(f, "/io/virtkit/Test1", "org.freedesktop.DBus.ObjectManager",
                              "GetManagedObjects", NULL);
        assert_null(sd_bus_message_get_error(managed));
        out = open_memstream(&dump, &dump_len);
        assert_non_null(out);
        assert_true(sd_bus_message_dump(managed, out, SD_BUS_MESSAGE_DUMP_SUBTREE_ONLY) >= 0);
        fclose(out);
        assert_non_null(strstr(dump, "OBJECT_PATH \"/io/virtkit/Test1/thing/_a_1\""));
        assert_non_null(strstr(dump, "OBJECT_PATH \"/io/virtkit/Test1/thing/_b_2\""));
        assert_non_null(strstr(dump, "STRING \"second\""));
        assert_non_null(strstr(dump, "INT32 2"));
}

typedef struct ObjectSignals {
        GString *log; /* one line per signal: member path [names] */
} ObjectSignals;

static int on_object_signal(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        ObjectSignals *seen = userdata;
        const char *member = sd_bus_message_get_member(m);
        const char *path = sd_bus_message_get_path(m), *s;

        if (!sd_bus_message_is_signal(m, NULL, NULL) || !member)
                return 0;
        if (strcmp(member, "PropertiesChanged") == 0) {
                g_string_append_printf(seen->log, "changed %s", path);
                assert_int_equal(sd_bus_message_read(m, "s", &s), 1);
                assert_int_equal(sd_bus_message_enter_container(m, 'a', "{sv}"), 1);
                while (sd_bus_message_enter_container(m, 'e', "sv") > 0) {
                        assert_int_equal(sd_bus_message_read(m, "s", &s), 1);
                        g_string_append_printf(seen->log, " %s", s);
                        assert_true(sd_bus_message_skip(m, "v") >= 0);
                        assert_true(sd_bus_message_exit_container(m) >= 0);
                }
        } else if (strcmp(member, "InterfacesAdded") == 0 ||
                   strcmp(member, "InterfacesRemoved") == 0) {
                assert_int_equal(sd_bus_message_read(m, "o", &s), 1);
                g_string_append_printf(seen->log, "%s %s", member[10] == 'A' ? "added" : "removed",
                                       s);
        } else
                return 0;
        g_string_append_c(seen->log, '\n');
        return 0;
}

static void test_bus_object_update_signals(void **state) {
        Fixture *f = *state;
        g_autoptr(sd_bus_message) intro = NULL;
        sd_bus_slot *slot = NULL;
        ObjectSignals seen = { .log = g_string_new(NULL) };
        const VkObjectInterface *oi = &test_objects[0];

        /* a round trip first: sd-bus loses messages before the handshake on a direct link */
        intro = object_call(f, THING_A, "org.freedesktop.DBus.Introspectable", "Introspect", NULL);
        assert_true(sd_bus_add_filter(f->client_bus, &slot, on_object_signal, &seen) >= 0);

        /* nothing changed: nothing said */
        assert_int_equal(vk_service_update_object(f->service, oi, "a-1"), 0);
        /* a new object, a changed one, a removed one, and one that never existed */
        thing_table[2] = (Thing){ "c-3", "third", 3, false };
        assert_int_equal(vk_service_update_object(f->service, oi, "c-3"), 0);
        thing_table[0].count = 10;
        thing_table[0].on = false;
        assert_int_equal(vk_service_update_object(f->service, oi, "a-1"), 0);
        thing_table[1] = (Thing){};
        assert_int_equal(vk_service_update_object(f->service, oi, "b-2"), 0);
        assert_int_equal(vk_service_update_object(f->service, oi, "b-2"), 0);
        assert_int_equal(vk_service_update_object(f->service, oi, "never"), 0);
        assert_int_equal(vk_service_update_object(f->service, oi, "bad key"), -EINVAL);
        VK_RUN_UNTIL(f->event, g_strrstr(seen.log->str, "removed"), 3000);
        assert_string_equal(seen.log->str, "added /io/virtkit/Test1/thing/_c_3\n"
                                           "changed /io/virtkit/Test1/thing/_a_1 Count On\n"
                                           "removed /io/virtkit/Test1/thing/_b_2\n");

        sd_bus_slot_unref(slot);
        g_string_free(seen.log, true);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_varlink_echo_all_types, setup, teardown),
                cmocka_unit_test_setup_teardown(test_varlink_errors, setup, teardown),
                cmocka_unit_test_setup_teardown(test_varlink_async_stream_manage, setup, teardown),
                cmocka_unit_test_setup_teardown(test_varlink_service_interface, setup, teardown),
                cmocka_unit_test_setup_teardown(test_bus_echo_all_types, setup, teardown),
                cmocka_unit_test_setup_teardown(test_bus_errors_same_names, setup, teardown),
                cmocka_unit_test_setup_teardown(test_bus_introspection_names, setup, teardown),
                cmocka_unit_test_setup_teardown(test_bus_signal, setup, teardown),
                cmocka_unit_test(test_bus_object_paths),
                cmocka_unit_test(test_bus_object_bad_declaration),
                cmocka_unit_test_setup_teardown(test_bus_object_methods, setup, teardown),
                cmocka_unit_test_setup_teardown(test_bus_object_properties, setup, teardown),
                cmocka_unit_test_setup_teardown(test_bus_object_update_signals, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
