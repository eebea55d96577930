/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-qmp.c: the QMP client against a scripted fake QEMU on a socketpair */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "macro.h"
#include "qemu-qmp.h"
#include "sd-glue.h"

/* QEMU 7.2's greeting and line ending, as recorded in tests/data/qemucaps */
#define GREETING                                                                                   \
        "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 22, \"minor\": 2, \"major\": 7}, "         \
        "\"package\": \"Debian 1:7.2+dfsg-7+deb12u18+b3\"}, \"capabilities\": [\"oob\"]}}\r\n"

typedef struct Reply {
        bool done;
        char *ret; /* "return" serialized */
        char *raw; /* raw reply text */
        char *err_name;
        char *err_class;
        char *err_message;
} Reply;

typedef struct Fixture {
        sd_event *event;
        VkQmpClient *qmp;
        int peer;
        GString *peer_in;
        bool ready;
        int n_disconnect;
        char *disconnect_name;
        GPtrArray *events; /* "NAME seconds data" strings */
        bool free_in_event;
} Fixture;

static void reply_done(Reply *r) {
        g_free(r->ret);
        g_free(r->raw);
        g_free(r->err_name);
        g_free(r->err_class);
        g_free(r->err_message);
        *r = (Reply){};
}

static void on_ready(VkQmpClient *qmp, void *userdata) {
        Fixture *f = userdata;
        f->ready = true;
}

static void on_event(VkQmpClient *qmp, const char *name, JsonObject *data, int64_t ts,
                     void *userdata) {
        Fixture *f = userdata;
        g_autofree char *d = NULL;

        if (data) {
                g_autoptr(JsonNode) n = json_node_new(JSON_NODE_OBJECT);
                json_node_set_object(n, data);
                d = json_to_string(n, FALSE);
        }
        g_ptr_array_add(f->events, g_strdup_printf("%s %" PRIi64 " %s", name, ts, d ? d : "-"));
        if (f->free_in_event)
                f->qmp = vk_qmp_client_free(f->qmp);
}

static void on_disconnect(VkQmpClient *qmp, const VkError *error, void *userdata) {
        Fixture *f = userdata;
        f->n_disconnect++;
        g_free(f->disconnect_name);
        f->disconnect_name = g_strdup(error->name);
}

static const VkQmpCallbacks callbacks = {
        .ready = on_ready,
        .event = on_event,
        .disconnect = on_disconnect,
};

static void on_reply(VkQmpClient *qmp, JsonNode *ret, const VkError *error, void *userdata) {
        Reply *r = userdata;

        assert_false(r->done);
        r->done = true;
        if (ret)
                r->ret = json_to_string(ret, FALSE);
        if (error) {
                r->err_name = g_strdup(error->name);
                r->err_class = g_strdup(vk_error_get_param(error, "class"));
                r->err_message = g_strdup(error->message);
        }
}

static void on_raw_reply(VkQmpClient *qmp, const char *reply, const VkError *error,
                         void *userdata) {
        Reply *r = userdata;

        r->done = true;
        r->raw = g_strdup(reply);
        if (error)
                r->err_name = g_strdup(error->name);
}

static int setup(void **state) {
        Fixture *f = g_new0(Fixture, 1);
        g_auto(VkError) err = VK_ERROR_INIT;
        int sv[2];

        assert_int_equal(sd_event_new(&f->event), 0);
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
        f->peer = sv[1];
        f->peer_in = g_string_new(NULL);
        f->events = g_ptr_array_new_with_free_func(g_free);
        assert_int_equal(vk_qmp_client_new_fd(f->event, sv[0], &callbacks, f, &f->qmp, &err), 0);
        *state = f;
        return 0;
}

static int teardown(void **state) {
        Fixture *f = *state;

        vk_qmp_client_free(f->qmp);
        vk_close_fdp(&f->peer);
        g_string_free(f->peer_in, TRUE);
        g_ptr_array_unref(f->events);
        g_free(f->disconnect_name);
        sd_event_unref(f->event);
        g_free(f);
        return 0;
}

static void run_until(Fixture *f, bool *flag) {
        for (int i = 0; i < 200 && !*flag; i++)
                assert_true(sd_event_run(f->event, 10 * 1000) >= 0);
        assert_true(*flag);
}

static void spin(Fixture *f, int n) {
        for (int i = 0; i < n; i++)
                assert_true(sd_event_run(f->event, 0) >= 0);
}

static void peer_write(Fixture *f, const char *text) {
        size_t len = strlen(text);
        assert_int_equal(write(f->peer, text, len), (ssize_t) len);
}

/* Run the loop until the client wrote a full line; return its "execute" and "id". */
static void peer_expect(Fixture *f, const char *execute, char **ret_id) {
        g_autoptr(JsonParser) p = json_parser_new();
        char *nl;

        for (int i = 0; i < 200; i++) {
                char buf[4096];
                ssize_t n;

                if ((nl = strchr(f->peer_in->str, '\n')))
                        break;
                assert_true(sd_event_run(f->event, 10 * 1000) >= 0);
                n = recv(f->peer, buf, sizeof(buf), MSG_DONTWAIT);
                if (n > 0)
                        g_string_append_len(f->peer_in, buf, n);
        }
        nl = strchr(f->peer_in->str, '\n');
        assert_non_null(nl);
        assert_true(json_parser_load_from_data(p, f->peer_in->str, nl - f->peer_in->str, NULL));
        JsonObject *o = json_node_get_object(json_parser_get_root(p));
        assert_string_equal(json_object_get_string_member(o, "execute"), execute);
        if (ret_id)
                *ret_id = g_strdup(json_object_get_string_member(o, "id"));
        g_string_erase(f->peer_in, 0, nl - f->peer_in->str + 1);
}

static void handshake(Fixture *f) {
        g_autofree char *id = NULL;
        g_autofree char *r = NULL;

        peer_write(f, GREETING);
        peer_expect(f, "qmp_capabilities", &id);
        assert_false(f->ready);
        r = g_strdup_printf("{\"return\": {}, \"id\": \"%s\"}\r\n", id);
        peer_write(f, r);
        run_until(f, &f->ready);
        assert_true(vk_qmp_client_is_ready(f->qmp));
        assert_int_equal(json_object_get_int_member(
                                 json_object_get_object_member(
                                         json_object_get_object_member(
                                                 vk_qmp_client_get_greeting(f->qmp), "version"),
                                         "qemu"),
                                 "minor"),
                         2);
}

static void test_handshake_and_replies(void **state) {
        Fixture *f = *state;
        g_autofree char *id1 = NULL, *id2 = NULL, *text = NULL;
        Reply r1 = {}, r2 = {};
        VkQmpCommand *c1 = NULL;

        /* queued before the greeting: sent only after qmp_capabilities */
        assert_int_equal(vk_qmp_execute(f->qmp, "query-version", NULL, on_reply, &r1, &c1, NULL),
                         0);
        assert_non_null(c1);
        handshake(f);
        peer_expect(f, "query-version", &id1);

        g_autoptr(JsonObject) args = json_object_new();
        json_object_set_string_member(args, "typename", "virtio-blk-pci");
        assert_int_equal(
                vk_qmp_execute(f->qmp, "device-list-properties", args, on_reply, &r2, NULL, NULL),
                0);
        peer_expect(f, "device-list-properties", &id2);
        assert_false(r1.done);

        /* answers out of order, an event between them, all in one write */
        text = g_strdup_printf(
                "{\"return\": [{\"name\": \"drive\", \"type\": \"str\"}], \"id\": \"%s\"}\r\n"
                "{\"timestamp\": {\"seconds\": 1700000000, \"microseconds\": 5}, "
                "\"event\": \"RESUME\"}\r\n"
                "{\"return\": {\"qemu\": {\"micro\": 22, \"minor\": 2, \"major\": 7}}, "
                "\"id\": \"%s\"}\r\n",
                id2, id1);
        peer_write(f, text);
        run_until(f, &r1.done);
        assert_true(r2.done);
        assert_string_equal(r2.ret, "[{\"name\":\"drive\",\"type\":\"str\"}]");
        assert_string_equal(r1.ret, "{\"qemu\":{\"micro\":22,\"minor\":2,\"major\":7}}");
        assert_null(r1.err_name);
        assert_int_equal(f->events->len, 1);
        assert_string_equal(f->events->pdata[0], "RESUME 1700000000000005 -");
        reply_done(&r1);
        reply_done(&r2);
}

static void test_split_lines(void **state) {
        Fixture *f = *state;
        g_autofree char *id = NULL, *text = NULL;
        Reply r = {};

        handshake(f);
        assert_int_equal(vk_qmp_execute(f->qmp, "query-kvm", NULL, on_reply, &r, NULL, NULL), 0);
        peer_expect(f, "query-kvm", &id);
        text = g_strdup_printf("{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, "
                               "\"event\": \"STOP\", \"data\": {\"x\": 1}}\r\n"
                               "{\"return\": {\"enabled\": true, \"present\": true}, "
                               "\"id\": \"%s\"}\r\n",
                               id);
        /* dribble it out a few bytes at a time */
        for (size_t i = 0; text[i]; i += 7) {
                char chunk[8] = {};
                memcpy(chunk, text + i, MIN(7, strlen(text + i)));
                peer_write(f, chunk);
                spin(f, 2);
        }
        run_until(f, &r.done);
        assert_string_equal(r.ret, "{\"enabled\":true,\"present\":true}");
        assert_int_equal(f->events->len, 1);
        assert_string_equal(f->events->pdata[0], "STOP 1000002 {\"x\":1}");
        reply_done(&r);
}

static void test_error_reply(void **state) {
        Fixture *f = *state;
        g_autofree char *id = NULL, *text = NULL;
        Reply r = {};

        handshake(f);
        assert_int_equal(
                vk_qmp_execute(f->qmp, "device-list-properties", NULL, on_reply, &r, NULL, NULL),
                0);
        peer_expect(f, "device-list-properties", &id);
        text = g_strdup_printf("{\"id\": \"%s\", \"error\": {\"class\": \"DeviceNotFound\", "
                               "\"desc\": \"Device 'nope' not found\"}}\r\n",
                               id);
        peer_write(f, text);
        run_until(f, &r.done);
        assert_null(r.ret);
        assert_string_equal(r.err_name, VK_ERROR_QMP);
        assert_string_equal(r.err_class, "DeviceNotFound");
        assert_string_equal(r.err_message, "Device 'nope' not found");
        assert_int_equal(f->n_disconnect, 0);
        reply_done(&r);
}

static void test_eof_mid_command(void **state) {
        Fixture *f = *state;
        Reply r1 = {}, r2 = {};

        handshake(f);
        assert_int_equal(vk_qmp_execute(f->qmp, "query-status", NULL, on_reply, &r1, NULL, NULL),
                         0);
        assert_int_equal(vk_qmp_execute(f->qmp, "stop", NULL, on_reply, &r2, NULL, NULL), 0);
        peer_expect(f, "query-status", NULL);
        /* half a reply, then QEMU dies */
        peer_write(f, "{\"return\": {\"status\": \"ru");
        spin(f, 3);
        vk_close_fdp(&f->peer);
        f->peer = -1;
        run_until(f, &r2.done);
        assert_true(r1.done);
        assert_string_equal(r1.err_name, VK_ERROR_QMP_DISCONNECTED);
        assert_string_equal(r2.err_name, VK_ERROR_QMP_DISCONNECTED);
        assert_int_equal(f->n_disconnect, 1);
        assert_string_equal(f->disconnect_name, VK_ERROR_QMP_DISCONNECTED);

        /* closed: new commands fail at once, no second disconnect */
        g_auto(VkError) err = VK_ERROR_INIT;
        assert_int_equal(vk_qmp_execute(f->qmp, "cont", NULL, on_reply, &r1, NULL, &err),
                         -ENOTCONN);
        spin(f, 3);
        assert_int_equal(f->n_disconnect, 1);
        reply_done(&r1);
        reply_done(&r2);
}

static void test_oversize_line(void **state) {
        Fixture *f = *state;
        g_autofree char *big = g_strnfill(4000, 'x');
        Reply r = {};

        handshake(f);
        vk_qmp_client_set_max_line(f->qmp, 1024);
        assert_int_equal(vk_qmp_execute(f->qmp, "query-qmp-schema", NULL, on_reply, &r, NULL, NULL),
                         0);
        peer_expect(f, "query-qmp-schema", NULL);
        peer_write(f, "{\"return\": \"");
        peer_write(f, big);
        run_until(f, &r.done);
        assert_string_equal(r.err_name, VK_ERROR_LIMIT_EXCEEDED);
        assert_int_equal(f->n_disconnect, 1);
        assert_string_equal(f->disconnect_name, VK_ERROR_LIMIT_EXCEEDED);
        reply_done(&r);
}

static void test_garbage(void **state) {
        Fixture *f = *state;

        handshake(f);
        peer_write(f, "{\"return\": oops}\r\n");
        for (int i = 0; i < 100 && f->n_disconnect == 0; i++)
                assert_true(sd_event_run(f->event, 10 * 1000) >= 0);
        assert_int_equal(f->n_disconnect, 1);
        assert_string_equal(f->disconnect_name, VK_ERROR_QMP_PROTOCOL);
}

/* A reply nested 100,000 deep (json-glib recursed per level: SIGSEGV) drops the monitor */
static void test_deep_reply(void **state) {
        Fixture *f = *state;
        g_autofree char *deep = g_strnfill(100000, '[');
        Reply r = {};

        handshake(f);
        assert_int_equal(vk_qmp_execute(f->qmp, "query-status", NULL, on_reply, &r, NULL, NULL), 0);
        peer_expect(f, "query-status", NULL);
        peer_write(f, "{\"return\": ");
        peer_write(f, deep);
        peer_write(f, "\r\n");
        run_until(f, &r.done);
        assert_string_equal(r.err_name, VK_ERROR_QMP_PROTOCOL);
        if (!strstr(r.err_message, "nested deeper than 64 levels"))
                fail_msg("unexpected: %s", r.err_message);
        assert_int_equal(f->n_disconnect, 1);
        reply_done(&r);
}

static void test_timeout_and_late_reply(void **state) {
        Fixture *f = *state;
        g_autofree char *id1 = NULL, *id2 = NULL, *text = NULL;
        VkQmpCommand *cmd = NULL;
        Reply r1 = {}, r2 = {};

        handshake(f);
        assert_int_equal(vk_qmp_execute(f->qmp, "query-status", NULL, on_reply, &r1, &cmd, NULL),
                         0);
        assert_int_equal(vk_qmp_command_set_timeout(cmd, 30 * 1000), 0);
        peer_expect(f, "query-status", &id1);
        run_until(f, &r1.done);
        assert_string_equal(r1.err_name, VK_ERROR_TIMEOUT);

        /* the late answer is dropped, the connection stays usable */
        assert_int_equal(vk_qmp_execute(f->qmp, "query-kvm", NULL, on_reply, &r2, NULL, NULL), 0);
        peer_expect(f, "query-kvm", &id2);
        text = g_strdup_printf("{\"return\": {\"status\": \"running\"}, \"id\": \"%s\"}\r\n"
                               "{\"return\": {}, \"id\": \"%s\"}\r\n",
                               id1, id2);
        peer_write(f, text);
        run_until(f, &r2.done);
        assert_string_equal(r2.ret, "{}");
        assert_int_equal(f->n_disconnect, 0);
        reply_done(&r1);
        reply_done(&r2);
}

static void test_cancel(void **state) {
        Fixture *f = *state;
        g_autofree char *id = NULL, *text = NULL;
        VkQmpCommand *c1 = NULL, *c2 = NULL;
        Reply r1 = {}, r2 = {}, r3 = {};

        assert_int_equal(vk_qmp_execute(f->qmp, "cont", NULL, on_reply, &r2, &c2, NULL), 0);
        vk_qmp_command_cancel(c2); /* queued before the handshake: never written */
        handshake(f);
        assert_int_equal(vk_qmp_execute(f->qmp, "stop", NULL, on_reply, &r1, &c1, NULL), 0);
        peer_expect(f, "stop", &id);
        vk_qmp_command_cancel(c1); /* written: reply dropped */
        assert_int_equal(vk_qmp_execute(f->qmp, "query-kvm", NULL, on_reply, &r3, NULL, NULL), 0);
        g_autofree char *id3 = NULL;
        peer_expect(f, "query-kvm", &id3);
        text = g_strdup_printf("{\"return\": {}, \"id\": \"%s\"}\r\n{\"return\": {}, \"id\": "
                               "\"%s\"}\r\n",
                               id, id3);
        peer_write(f, text);
        run_until(f, &r3.done);
        assert_false(r1.done);
        assert_false(r2.done);
        reply_done(&r3);
}

static void test_raw_and_hmp(void **state) {
        Fixture *f = *state;
        g_autofree char *id1 = NULL, *id2 = NULL, *text = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        Reply r1 = {}, r2 = {};

        handshake(f);
        assert_int_equal(vk_qmp_execute_raw(f->qmp, "[1]", on_raw_reply, &r1, NULL, &err), -EINVAL);
        assert_string_equal(err.name, VK_ERROR_INVALID_ARGUMENT);
        assert_int_equal(vk_qmp_execute_raw(f->qmp, "{\"execute\": \"query-name\", \"id\": 42}",
                                            on_raw_reply, &r1, NULL, NULL),
                         0);
        peer_expect(f, "query-name", &id1);
        assert_int_equal(
                vk_qmp_human_monitor_command(f->qmp, "info version", on_reply, &r2, NULL, NULL), 0);
        peer_expect(f, "human-monitor-command", &id2);
        text = g_strdup_printf("{\"error\": {\"class\": \"GenericError\", \"desc\": \"no\"}, "
                               "\"id\": \"%s\"}\r\n"
                               "{\"return\": \"7.2.22\\r\\n\", \"id\": \"%s\"}\r\n",
                               id1, id2);
        peer_write(f, text);
        run_until(f, &r2.done);
        assert_true(r1.done);
        assert_null(r1.err_name);
        assert_string_equal(r1.raw,
                            "{\"error\":{\"class\":\"GenericError\",\"desc\":\"no\"},\"id\":42}");
        assert_string_equal(r2.ret, "\"7.2.22\\r\\n\"");
        reply_done(&r1);
        reply_done(&r2);
}

static void test_free_with_pending(void **state) {
        Fixture *f = *state;
        Reply r1 = {}, r2 = {};

        handshake(f);
        assert_int_equal(vk_qmp_execute(f->qmp, "stop", NULL, on_reply, &r1, NULL, NULL), 0);
        peer_expect(f, "stop", NULL);
        assert_int_equal(vk_qmp_execute(f->qmp, "cont", NULL, on_reply, &r2, NULL, NULL), 0);
        f->qmp = vk_qmp_client_free(f->qmp);
        spin(f, 5);
        assert_false(r1.done);
        assert_false(r2.done);
        assert_int_equal(f->n_disconnect, 0);
}

static void test_free_in_event_callback(void **state) {
        Fixture *f = *state;
        Reply r = {};

        handshake(f);
        assert_int_equal(vk_qmp_execute(f->qmp, "stop", NULL, on_reply, &r, NULL, NULL), 0);
        peer_expect(f, "stop", NULL);
        f->free_in_event = true;
        peer_write(f, "{\"event\": \"STOP\", \"timestamp\": {\"seconds\": 1, \"microseconds\": 0}}"
                      "\r\n{\"event\": \"RESUME\"}\r\n");
        for (int i = 0; i < 50 && f->qmp; i++)
                assert_true(sd_event_run(f->event, 10 * 1000) >= 0);
        assert_null(f->qmp);
        assert_int_equal(f->events->len, 1);
        assert_false(r.done);
}

static void test_handshake_timeout(void **state) {
        Fixture *f = *state;
        Reply r = {};

        vk_qmp_client_set_timeout(f->qmp, 20 * 1000);
        assert_int_equal(vk_qmp_execute(f->qmp, "stop", NULL, on_reply, &r, NULL, NULL), 0);
        run_until(f, &r.done);
        assert_int_equal(f->n_disconnect, 1);
        assert_string_equal(f->disconnect_name, VK_ERROR_TIMEOUT);
        reply_done(&r);
}

static void test_connect_path(void **state) {
        g_autofree char *dir = g_dir_make_tmp("vk-test-qmp-XXXXXX", NULL);
        g_autofree char *path = g_build_filename(dir, "qmp.sock", NULL);
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        g_auto(VkError) err = VK_ERROR_INIT;
        Fixture *f = *state;
        vk_autofd lfd = -1;
        int cfd;

        /* nothing listening: immediate error */
        assert_true(vk_qmp_client_connect(f->event, path, &callbacks, f, &f->qmp, &err) < 0);
        vk_error_done(&err);

        strcpy(sa.sun_path, path);
        lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        assert_int_equal(bind(lfd, (struct sockaddr *) &sa, sizeof(sa)), 0);
        assert_int_equal(listen(lfd, 1), 0);

        vk_qmp_client_free(f->qmp);
        f->qmp = NULL;
        assert_int_equal(vk_qmp_client_connect(f->event, path, &callbacks, f, &f->qmp, &err), 0);
        cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
        assert_true(cfd >= 0);
        vk_close_fdp(&f->peer);
        f->peer = cfd;
        handshake(f);
        (void) unlink(path);
        (void) rmdir(dir);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_handshake_and_replies, setup, teardown),
                cmocka_unit_test_setup_teardown(test_split_lines, setup, teardown),
                cmocka_unit_test_setup_teardown(test_error_reply, setup, teardown),
                cmocka_unit_test_setup_teardown(test_eof_mid_command, setup, teardown),
                cmocka_unit_test_setup_teardown(test_oversize_line, setup, teardown),
                cmocka_unit_test_setup_teardown(test_garbage, setup, teardown),
                cmocka_unit_test_setup_teardown(test_deep_reply, setup, teardown),
                cmocka_unit_test_setup_teardown(test_timeout_and_late_reply, setup, teardown),
                cmocka_unit_test_setup_teardown(test_cancel, setup, teardown),
                cmocka_unit_test_setup_teardown(test_raw_and_hmp, setup, teardown),
                cmocka_unit_test_setup_teardown(test_free_with_pending, setup, teardown),
                cmocka_unit_test_setup_teardown(test_free_in_event_callback, setup, teardown),
                cmocka_unit_test_setup_teardown(test_handshake_timeout, setup, teardown),
                cmocka_unit_test_setup_teardown(test_connect_path, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
