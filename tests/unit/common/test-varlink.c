/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-varlink.c: varlink framing, limits and the client, over real UNIX sockets */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "json.h"
#include "macro.h"
#include "sd-glue.h"
#include "varlink.h"
#include "vk-test.h"

typedef struct Fixture {
        sd_event *event;
        VkVarlinkServer *server;
        char *dir;
        char *path;
        unsigned n_calls;
        unsigned n_open;
        VkVarlinkConnection *held; /* a request left unanswered on purpose */
} Fixture;

/* Echo: reply with the parameters; "Stream" replies n times; "Hold" replies later. */
static void on_method(VkVarlinkConnection *c, const char *method, JsonObject *params,
                      unsigned flags, void *userdata) {
        Fixture *f = userdata;
        g_autoptr(JsonNode) node = json_node_new(JSON_NODE_OBJECT);

        f->n_calls++;
        if (flags & VK_VARLINK_ONEWAY)
                return; /* the transport leaves it to us not to answer oneway calls */
        json_node_set_object(node, params ? params : json_object_new());
        if (!params)
                json_object_unref(json_node_get_object(node));

        if (strcmp(method, "test.Stream") == 0) {
                for (int i = 0; i < 3; i++)
                        vk_varlink_connection_reply(c, node, i < 2);
        } else if (strcmp(method, "test.Hold") == 0)
                f->held = vk_varlink_connection_ref(c);
        else if (strcmp(method, "test.BadUtf8") == 0) {
                /* "é" cut after its first byte, as libxml2 quotes input */
                json_object_set_string_member(json_node_get_object(node), "message",
                                              "cut \xc3 here");
                vk_varlink_connection_reply_error(c, "test.Failed", node);
        } else if (strcmp(method, "test.Fail") == 0)
                vk_varlink_connection_reply_error(c, "test.Failed", node);
        else
                vk_varlink_connection_reply(c, node, false);
}

static void on_conn(VkVarlinkConnection *c, bool open, void *userdata) {
        Fixture *f = userdata;

        if (open)
                f->n_open++;
        else
                f->n_open--;
}

static int setup_with(void **state, const VkVarlinkLimits *limits) {
        Fixture *f = g_new0(Fixture, 1);
        VkError error = VK_ERROR_INIT;

        f->dir = g_dir_make_tmp("vk-varlink-XXXXXX", NULL);
        f->path = g_build_filename(f->dir, "sock", NULL);
        assert_int_equal(sd_event_new(&f->event), 0);
        assert_int_equal(vk_varlink_server_new(f->event, limits, on_method, on_conn, f, &f->server),
                         0);
        assert_int_equal(vk_varlink_server_listen(f->server, f->path, 0600, &error), 0);
        *state = f;
        return 0;
}

static int setup(void **state) {
        return setup_with(state, NULL);
}

static int setup_small(void **state) {
        VkVarlinkLimits l = VK_VARLINK_LIMITS_DEFAULT;

        l.max_message = 1024;
        l.max_per_uid = 2;
        return setup_with(state, &l);
}

static int setup_pressure(void **state) {
        VkVarlinkLimits l = VK_VARLINK_LIMITS_DEFAULT;

        l.output_threshold = 64u << 10;
        return setup_with(state, &l);
}

static int setup_input(void **state) {
        VkVarlinkLimits l = VK_VARLINK_LIMITS_DEFAULT;

        l.max_input_per_uid = 16u << 10;
        return setup_with(state, &l);
}

static int teardown(void **state) {
        Fixture *f = *state;

        vk_varlink_connection_unref(f->held);
        vk_varlink_server_free(f->server);
        assert_int_equal(access(f->path, F_OK), -1); /* the socket file is removed */
        sd_event_unref(f->event);
        rmdir(f->dir);
        g_free(f->dir);
        g_free(f->path);
        g_free(f);
        return 0;
}

static int raw_connect(Fixture *f) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

        assert_true(fd >= 0);
        strcpy(sa.sun_path, f->path);
        assert_int_equal(connect(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
        return fd;
}

static void raw_send(int fd, const char *data, size_t len) {
        assert_int_equal(send(fd, data, len, MSG_NOSIGNAL), (ssize_t) len);
}

/* Read until @n NUL-terminated messages arrived (or EOF); returns them joined by '\n'. */
static char *raw_read(Fixture *f, int fd, int n, bool *ret_eof) {
        GString *s = g_string_new(NULL);
        int seen = 0;

        *ret_eof = false;
        for (int i = 0; seen < n && i < 5000; i++) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                char buf[4096];
                ssize_t k;

                (void) sd_event_run(f->event, 1000);
                if (poll(&p, 1, 0) <= 0)
                        continue;
                k = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
                if (k == 0) {
                        *ret_eof = true;
                        break;
                }
                for (ssize_t j = 0; j < k; j++) {
                        if (buf[j] == 0) {
                                seen++;
                                g_string_append_c(s, '\n');
                        } else
                                g_string_append_c(s, buf[j]);
                }
        }
        return g_string_free(s, false);
}

static void test_merged_messages(void **state) {
        Fixture *f = *state;
        static const char two[] = "{\"method\":\"test.Echo\",\"parameters\":{\"a\":1}}\0"
                                  "{\"method\":\"test.Echo\",\"parameters\":{\"b\":2}}";
        vk_autofd fd = raw_connect(f);
        g_autofree char *out = NULL;
        bool eof;

        raw_send(fd, two, sizeof(two)); /* includes the final NUL */
        out = raw_read(f, fd, 2, &eof);
        assert_false(eof);
        assert_string_equal(out, "{\"parameters\":{\"a\":1}}\n{\"parameters\":{\"b\":2}}\n");
}

static void test_split_message(void **state) {
        Fixture *f = *state;
        static const char msg[] = "{\"method\":\"test.Echo\",\"parameters\":{\"x\":\"y\"}}";
        vk_autofd fd = raw_connect(f);
        g_autofree char *out = NULL;
        bool eof;

        for (size_t i = 0; i < sizeof(msg); i++) {
                raw_send(fd, msg + i, 1);
                (void) sd_event_run(f->event, 0);
        }
        out = raw_read(f, fd, 1, &eof);
        assert_string_equal(out, "{\"parameters\":{\"x\":\"y\"}}\n");
        assert_int_equal(f->n_calls, 1);
}

/* Send @data; expect an io.virtkit.InvalidMessage error whose text holds @why, then EOF. */
static void expect_rejected(Fixture *f, const char *data, size_t len, const char *why) {
        vk_autofd fd = raw_connect(f);
        g_autofree char *out = NULL;
        bool eof;

        /* interleave with the server's loop (same thread); it may close before reading all */
        for (size_t done = 0; done < len;) {
                ssize_t k = send(fd, data + done, len - done, MSG_NOSIGNAL | MSG_DONTWAIT);

                if (k < 0 && errno != EAGAIN)
                        break;
                done += k > 0 ? (size_t) k : 0;
                (void) sd_event_run(f->event, k > 0 ? 0 : 100 * 1000);
        }
        out = raw_read(f, fd, 2, &eof);
        assert_true(eof);
        assert_non_null(strstr(out, "{\"error\":\"io.virtkit.InvalidMessage\""));
        if (!strstr(out, why))
                fail_msg("'%s' does not name '%s'", out, why);
        VK_RUN_UNTIL(f->event, f->n_open == 0, 2000);
}

static void test_invalid_messages(void **state) {
        Fixture *f = *state;

        expect_rejected(f, "{not json", sizeof("{not json"), "invalid JSON");
        expect_rejected(f, "[1,2]", sizeof("[1,2]"), "not a JSON object");
        expect_rejected(f, "{\"parameters\":{}}", sizeof("{\"parameters\":{}}"),
                        "no \\\"method\\\"");
        expect_rejected(f, "{\"method\":\"test.Echo\",\"parameters\":[]}",
                        sizeof("{\"method\":\"test.Echo\",\"parameters\":[]}"), "is not an object");
        expect_rejected(f, "{\"method\":42}", sizeof("{\"method\":42}"), "no \\\"method\\\"");
        assert_int_equal(f->n_calls, 0);
}

static void test_oversized_message(void **state) {
        Fixture *f = *state;
        g_autofree char *big = g_malloc(4096);

        memset(big, ' ', 4096); /* no NUL: the server must give up after max_message */
        expect_rejected(f, big, 4096, "exceeds the limit of 1024 bytes");
        big[2000] = 0; /* complete, but too long */
        expect_rejected(f, big, 2001, "message of 2000 bytes exceeds the limit of 1024 bytes");
        assert_int_equal(f->n_calls, 0);
}

/*
 * Partial requests on many connections of one uid (each below max_message) are bounded
 * together: the connection that takes the uid past max_input_per_uid is refused, the others
 * go on.
 */
static void test_input_per_uid(void **state) {
        Fixture *f = *state;
        g_autofree char *part = g_malloc(10u << 10);
        g_autofree char *got = NULL;
        int first = raw_connect(f), second = raw_connect(f);
        bool eof;

        memset(part, ' ', 10u << 10);
        raw_send(first, part, 10u << 10);
        for (int i = 0; i < 20; i++)
                (void) sd_event_run(f->event, 1000);
        raw_send(second, part, 10u << 10);
        got = raw_read(f, second, 1, &eof);
        assert_non_null(strstr(got, "io.virtkit.InvalidMessage"));
        assert_non_null(strstr(got, "exceed the limit of 16384 bytes"));
        /* the first one still completes its request */
        raw_send(first, "{\"method\":\"org.example.Echo\"}", 30);
        g_free(got);
        got = raw_read(f, first, 1, &eof);
        assert_false(eof);
        assert_int_equal(f->n_calls, 1);
        close(first);
        close(second);
}

/* 100,000 levels of nesting (the json-glib parser recursed once per level: SIGSEGV) */
static void test_deep_nesting(void **state) {
        Fixture *f = *state;
        const size_t n = 100000;
        g_autofree char *deep = g_malloc(n + 64);
        size_t len;

        len = (size_t) g_snprintf(deep, 64, "{\"method\":\"test.Echo\",\"parameters\":{\"a\":");
        memset(deep + len, '[', n);
        deep[len + n] = 0;
        expect_rejected(f, deep, len + n + 1, "nested deeper than 64 levels");
        memset(deep + len, '{', n);
        expect_rejected(f, deep, len + n + 1, "nested deeper than 64 levels");
        assert_int_equal(f->n_calls, 0);
}

static void test_too_many_values(void **state) {
        Fixture *f = *state;
        g_autoptr(GString) msg = g_string_new("{\"method\":\"test.Echo\",\"parameters\":{\"a\":[");

        for (unsigned i = 0; i < VK_JSON_MAX_ELEMENTS; i++)
                g_string_append(msg, "0,");
        g_string_append(msg, "0]}}");
        expect_rejected(f, msg->str, msg->len + 1, "more than 262144 values");
        assert_int_equal(f->n_calls, 0);
}

/* Invalid UTF-8 in what a method replies (an error message quoting input) goes out as U+FFFD */
static void test_reply_invalid_utf8(void **state) {
        Fixture *f = *state;
        static const char msg[] = "{\"method\":\"test.BadUtf8\"}";
        vk_autofd fd = raw_connect(f);
        g_autofree char *out = NULL;
        bool eof;

        raw_send(fd, msg, sizeof(msg));
        out = raw_read(f, fd, 1, &eof);
        assert_string_equal(out, "{\"error\":\"test.Failed\",\"parameters\":{\"message\":"
                                 "\"cut \xef\xbf\xbd here\"}}\n");
        assert_true(g_utf8_validate(out, -1, NULL));
}

/*
 * A client that sends many requests and reads no reply: the server stops reading its requests
 * once the queued replies pass output_threshold, and answers the rest, in order, once the
 * client reads.
 */
static void test_back_pressure(void **state) {
        Fixture *f = *state;
        g_autofree char *pad = g_strnfill(10000, 'p');
        g_autofree char *req =
                g_strdup_printf("{\"method\":\"test.Echo\",\"parameters\":{\"pad\":\"%s\"}}", pad);
        size_t req_len = strlen(req) + 1, sent = 0, got = 0;
        const unsigned n = 1000;
        vk_autofd fd = raw_connect(f);
        char buf[65536];

        /* send all n requests (10 MB) as far as the socket takes them, never reading */
        for (int i = 0; i < 2000 && sent < n * req_len; i++) {
                ssize_t k = send(fd, req + sent % req_len, req_len - sent % req_len,
                                 MSG_DONTWAIT | MSG_NOSIGNAL);
                if (k > 0)
                        sent += (size_t) k;
                (void) sd_event_run(f->event, 1000);
        }
        while (sd_event_run(f->event, 10000) > 0)
                ;
        /* replies queued in the server: threshold (64 KiB) + one reply; the rest is in the
         * socket buffers */
        if (f->n_calls >= n / 2)
                fail_msg("%u of %u requests dispatched to a client that reads nothing", f->n_calls,
                         n);

        while (got < n * (strlen(pad) + 20)) {
                ssize_t k;

                if (sent < n * req_len) {
                        k = send(fd, req + sent % req_len, req_len - sent % req_len,
                                 MSG_DONTWAIT | MSG_NOSIGNAL);
                        if (k > 0)
                                sent += (size_t) k;
                }
                (void) sd_event_run(f->event, 1000);
                k = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
                if (k > 0)
                        got += (size_t) k;
                if (k == 0)
                        fail_msg("closed after %zu bytes", got);
        }
        assert_int_equal(f->n_calls, n);
        assert_int_equal(f->n_open, 1);
}

static void test_truncated_then_close(void **state) {
        Fixture *f = *state;
        int fd = raw_connect(f);

        VK_RUN_UNTIL(f->event, f->n_open == 1, 2000);
        raw_send(fd, "{\"method\":\"test.Ec", 18);
        (void) sd_event_run(f->event, 1000);
        close(fd);
        VK_RUN_UNTIL(f->event, f->n_open == 0, 2000);
        assert_int_equal(f->n_calls, 0);
}

static void test_per_uid_limit(void **state) {
        Fixture *f = *state;
        vk_autofd a = raw_connect(f);
        vk_autofd b = raw_connect(f);
        vk_autofd c = -1;
        g_autofree char *out = NULL;
        bool eof;

        VK_RUN_UNTIL(f->event, f->n_open == 2, 2000);
        c = raw_connect(f);
        out = raw_read(f, c, 1, &eof);
        assert_true(eof); /* the third connection of this uid is refused */
        assert_int_equal(f->n_open, 2);
}

typedef struct Replies {
        GPtrArray *texts;
        bool last_continues;
        unsigned n_final;
} Replies;

static void collect(VkVarlinkClient *cl, JsonObject *params, const char *error, bool continues,
                    void *userdata) {
        Replies *r = userdata;
        g_autoptr(JsonNode) n = json_node_new(JSON_NODE_OBJECT);
        g_autofree char *text = NULL;

        if (params)
                json_node_set_object(n, params);
        else
                json_node_take_object(n, json_object_new());
        text = vk_json_to_string(n, false);
        g_ptr_array_add(r->texts, g_strdup_printf("%s%s", error ? error : "", text));
        r->last_continues = continues;
        if (!continues)
                r->n_final++;
}

static void test_client_stream_oneway_error(void **state) {
        Fixture *f = *state;
        g_autoptr(VkVarlinkClient) cl = NULL;
        g_autoptr(JsonNode) params = NULL;
        VkError error = VK_ERROR_INIT;
        Replies r = { .texts = g_ptr_array_new_with_free_func(g_free) };

        assert_int_equal(vk_varlink_client_connect(f->event, f->path, &cl, &error), 0);
        assert_int_equal(vk_json_parse("{\"n\":7}", -1, &params, NULL), 0);

        assert_int_equal(
                vk_varlink_client_call(cl, "test.Echo", params, VK_VARLINK_ONEWAY, NULL, NULL), 0);
        assert_int_equal(
                vk_varlink_client_call(cl, "test.Stream", params, VK_VARLINK_MORE, collect, &r), 0);
        assert_int_equal(vk_varlink_client_call(cl, "test.Fail", params, 0, collect, &r), 0);
        VK_RUN_UNTIL(f->event, r.n_final == 2, 2000);

        assert_int_equal(f->n_calls, 3); /* the oneway call ran too */
        assert_int_equal(r.texts->len, 4);
        assert_string_equal(r.texts->pdata[0], "{\"n\":7}");
        assert_string_equal(r.texts->pdata[2], "{\"n\":7}");
        assert_string_equal(r.texts->pdata[3], "test.Failed{\"n\":7}");
        g_ptr_array_unref(r.texts);
}

static void test_client_disconnect(void **state) {
        Fixture *f = *state;
        g_autoptr(VkVarlinkClient) cl = NULL;
        VkError error = VK_ERROR_INIT;
        Replies r = { .texts = g_ptr_array_new_with_free_func(g_free) };

        assert_int_equal(vk_varlink_client_connect(f->event, f->path, &cl, &error), 0);
        assert_int_equal(vk_varlink_client_call(cl, "test.Hold", NULL, 0, collect, &r), 0);
        VK_RUN_UNTIL(f->event, f->held != NULL, 2000);
        vk_varlink_connection_close(f->held);
        VK_RUN_UNTIL(f->event, r.n_final == 1, 2000);
        assert_string_equal(r.texts->pdata[0], VK_VARLINK_ERROR_DISCONNECTED "{}");
        assert_false(vk_varlink_client_is_connected(cl));
        assert_int_equal(vk_varlink_client_call(cl, "test.Echo", NULL, 0, collect, &r), -ENOTCONN);
        g_ptr_array_unref(r.texts);
}

static void test_listen_refuses_live_socket(void **state) {
        Fixture *f = *state;
        g_autoptr(VkVarlinkServer) other = NULL;
        g_auto(VkError) error = VK_ERROR_INIT;

        assert_int_equal(vk_varlink_server_new(f->event, NULL, on_method, NULL, f, &other), 0);
        assert_int_equal(vk_varlink_server_listen(other, f->path, 0600, &error), -EADDRINUSE);
        assert_non_null(strstr(error.message, "already listening"));
}

static void test_sync_call_errors(void **state) {
        g_auto(VkError) error = VK_ERROR_INIT;
        JsonNode *out = NULL;

        assert_true(vk_varlink_call_sync("/nonexistent/vk.sock", "test.Echo", NULL, 1000000, &out,
                                         &error) < 0);
        assert_null(out);
        assert_non_null(strstr(error.message, "cannot connect to '/nonexistent/vk.sock'"));
}

/* A reply nested 100,000 deep fails the call with a message naming the limit, no crash */
static void test_client_deep_reply(void **state) {
        g_auto(VkError) error = VK_ERROR_INIT;
        g_autoptr(sd_event) event = NULL;
        g_autoptr(VkVarlinkClient) cl = NULL;
        g_autofree char *deep = g_malloc0(100000 + 32);
        JsonNode *out = NULL;
        int sp[2];

        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp), 0);
        assert_int_equal(sd_event_new(&event), 0);
        assert_int_equal(vk_varlink_client_new_fd(event, sp[0], &cl, &error), 0);
        strcpy(deep, "{\"parameters\":");
        memset(deep + strlen(deep), '[', 100000);
        /* written whole before the call: the client reads it as the reply */
        assert_int_equal(send(sp[1], deep, strlen(deep) + 1, MSG_NOSIGNAL),
                         (ssize_t) strlen(deep) + 1);
        assert_true(vk_varlink_client_call_sync(cl, "test.Echo", NULL, 2000000, &out, &error) < 0);
        assert_null(out);
        assert_string_equal(error.name, VK_VARLINK_ERROR_DISCONNECTED);
        if (!strstr(error.message, "nested deeper than 64 levels"))
                fail_msg("unexpected: %s", error.message);
        close(sp[1]);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_merged_messages, setup, teardown),
                cmocka_unit_test_setup_teardown(test_split_message, setup, teardown),
                cmocka_unit_test_setup_teardown(test_invalid_messages, setup, teardown),
                cmocka_unit_test_setup_teardown(test_oversized_message, setup_small, teardown),
                cmocka_unit_test_setup_teardown(test_deep_nesting, setup, teardown),
                cmocka_unit_test_setup_teardown(test_too_many_values, setup, teardown),
                cmocka_unit_test_setup_teardown(test_reply_invalid_utf8, setup, teardown),
                cmocka_unit_test_setup_teardown(test_back_pressure, setup_pressure, teardown),
                cmocka_unit_test_setup_teardown(test_truncated_then_close, setup, teardown),
                cmocka_unit_test_setup_teardown(test_per_uid_limit, setup_small, teardown),
                cmocka_unit_test_setup_teardown(test_input_per_uid, setup_input, teardown),
                cmocka_unit_test_setup_teardown(test_client_stream_oneway_error, setup, teardown),
                cmocka_unit_test_setup_teardown(test_client_disconnect, setup, teardown),
                cmocka_unit_test_setup_teardown(test_listen_refuses_live_socket, setup, teardown),
                cmocka_unit_test(test_sync_call_errors),
                cmocka_unit_test(test_client_deep_reply),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
