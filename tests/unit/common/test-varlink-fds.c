/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-varlink-fds.c: file descriptors passed with varlink messages (SCM_RIGHTS), and VkFd */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "json.h"
#include "macro.h"
#include "sd-glue.h"
#include "varlink-wire.h"
#include "varlink.h"
#include "vk-test.h"

typedef struct Fixture {
        sd_event *event;
        VkVarlinkServer *server;
        char *dir;
        char *path;
} Fixture;

/*
 * "test.Write": write "<text><i>" into each passed descriptor, reply {"n": how many came};
 * "test.Hold": reply later (the connection reads nothing meanwhile).
 */
static void on_method(VkVarlinkConnection *c, const char *method, JsonObject *params,
                      unsigned flags, void *userdata) {
        g_autoptr(JsonNode) reply = json_node_new(JSON_NODE_OBJECT);
        const char *text = params ? vk_json_object_get_string_member_or_null(params, "text") : NULL;
        size_t n = 0;
        const int *fds = vk_varlink_connection_get_fds(c, &n);
        JsonObject *o = json_object_new();

        for (size_t i = 0; i < n; i++) {
                g_autofree char *s = g_strdup_printf("%s%zu", text ? text : "", i);

                assert_int_equal(write(fds[i], s, strlen(s)), (ssize_t) strlen(s));
        }
        json_object_set_int_member(o, "n", (gint64) n);
        json_node_take_object(reply, o);
        vk_varlink_connection_reply(c, reply, false);
}

static int setup(void **state) {
        Fixture *f = g_new0(Fixture, 1);
        VkError error = VK_ERROR_INIT;

        f->dir = g_dir_make_tmp("vk-varlink-fds-XXXXXX", NULL);
        f->path = g_build_filename(f->dir, "sock", NULL);
        assert_int_equal(sd_event_new(&f->event), 0);
        assert_int_equal(vk_varlink_server_new(f->event, NULL, on_method, NULL, f, &f->server), 0);
        assert_int_equal(vk_varlink_server_listen(f->server, f->path, 0600, &error), 0);
        *state = f;
        return 0;
}

static int teardown(void **state) {
        Fixture *f = *state;

        vk_varlink_server_free(f->server);
        sd_event_unref(f->event);
        rmdir(f->dir);
        g_free(f->dir);
        g_free(f->path);
        g_free(f);
        return 0;
}

typedef struct Replies {
        GPtrArray *texts;
        unsigned n_final;
} Replies;

static void collect(VkVarlinkClient *cl, JsonObject *params, const char *error, bool continues,
                    void *userdata) {
        Replies *r = userdata;
        g_autoptr(JsonNode) n = json_node_new(JSON_NODE_OBJECT);
        g_autofree char *text = NULL;

        json_node_set_object(n, params ? params : json_object_new());
        if (!params)
                json_object_unref(json_node_get_object(n));
        text = vk_json_to_string(n, false);
        g_ptr_array_add(r->texts, g_strdup_printf("%s%s", error ? error : "", text));
        if (!continues)
                r->n_final++;
}

/* All a pipe holds, once every write end is closed. */
static char *pipe_drain(int fd) {
        GString *s = g_string_new(NULL);
        char buf[256];
        ssize_t k;

        while ((k = read(fd, buf, sizeof(buf))) > 0)
                g_string_append_len(s, buf, k);
        return g_string_free(s, false);
}

static JsonNode *text_params(const char *text) {
        JsonNode *n = json_node_new(JSON_NODE_OBJECT);
        JsonObject *o = json_object_new();

        json_object_set_string_member(o, "text", text);
        json_node_take_object(n, o);
        return n;
}

/*
 * Pipelined calls, with two descriptors, none, then one: each reaches the server with its own
 * message and no other, and the server closes its copies after the call (EOF on the pipes).
 */
static void test_pipelined(void **state) {
        Fixture *f = *state;
        g_autoptr(VkVarlinkClient) cl = NULL;
        g_autoptr(JsonNode) a = text_params("a"), b = text_params("b"), c = text_params("c");
        VkError error = VK_ERROR_INIT;
        Replies r = { .texts = g_ptr_array_new_with_free_func(g_free) };
        int p1[2], p2[2], p3[2];
        g_autofree char *s1 = NULL, *s2 = NULL, *s3 = NULL;

        assert_int_equal(pipe2(p1, O_CLOEXEC), 0);
        assert_int_equal(pipe2(p2, O_CLOEXEC), 0);
        assert_int_equal(pipe2(p3, O_CLOEXEC), 0);
        assert_int_equal(vk_varlink_client_connect(f->event, f->path, &cl, &error), 0);
        assert_int_equal(vk_varlink_client_call_fds(cl, "test.Write", a, (int[]){ p1[1], p2[1] }, 2,
                                                    0, collect, &r),
                         0);
        assert_int_equal(vk_varlink_client_call(cl, "test.Write", b, 0, collect, &r), 0);
        assert_int_equal(vk_varlink_client_call_fds(cl, "test.Write", c, (int[]){ p3[1] }, 1, 0,
                                                    collect, &r),
                         0);
        /* ours are ours: the client sent copies */
        (void) close(p1[1]);
        (void) close(p2[1]);
        (void) close(p3[1]);
        VK_RUN_UNTIL(f->event, r.n_final == 3, 2000);
        assert_string_equal(r.texts->pdata[0], "{\"n\":2}");
        assert_string_equal(r.texts->pdata[1], "{\"n\":0}");
        assert_string_equal(r.texts->pdata[2], "{\"n\":1}");
        s1 = pipe_drain(p1[0]);
        s2 = pipe_drain(p2[0]);
        s3 = pipe_drain(p3[0]);
        assert_string_equal(s1, "a0");
        assert_string_equal(s2, "a1");
        assert_string_equal(s3, "c0");
        (void) close(p1[0]);
        (void) close(p2[0]);
        (void) close(p3[0]);
        g_ptr_array_unref(r.texts);
}

/* The synchronous call passes descriptors too; more than VK_VARLINK_MAX_FDS are refused. */
static void test_sync_and_limit(void **state) {
        Fixture *f = *state;
        g_autoptr(VkVarlinkClient) cl = NULL;
        g_autoptr(JsonNode) a = text_params("x"), reply = NULL;
        VkError error = VK_ERROR_INIT;
        int fds[VK_VARLINK_MAX_FDS + 1];
        int p[2];
        g_autofree char *s = NULL;

        assert_int_equal(pipe2(p, O_CLOEXEC), 0);
        assert_int_equal(vk_varlink_client_connect(f->event, f->path, &cl, &error), 0);
        assert_int_equal(vk_varlink_client_call_sync_fds(cl, "test.Write", a, &p[1], 1, NULL, NULL,
                                                         2000000, &reply, &error),
                         0);
        (void) close(p[1]);
        s = pipe_drain(p[0]);
        assert_string_equal(s, "x0");
        (void) close(p[0]);
        for (size_t i = 0; i < G_N_ELEMENTS(fds); i++)
                fds[i] = STDERR_FILENO;
        assert_int_equal(vk_varlink_client_call_fds(cl, "test.Write", a, fds, G_N_ELEMENTS(fds), 0,
                                                    NULL, NULL),
                         -E2BIG);
        assert_int_equal(
                vk_varlink_client_call_fds(cl, "test.Write", a, (int[]){ 999 }, 1, 0, NULL, NULL),
                -EBADF);
}

/* A raw client passing more descriptors than one message may carry is refused and closed. */
static void test_too_many_rejected(void **state) {
        Fixture *f = *state;
        static const char msg[] = "{\"method\":\"test.Write\"}";
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        union {
                struct cmsghdr h;
                char buf[CMSG_SPACE(sizeof(int) * (VK_VARLINK_MAX_FDS + 4))];
        } control = {};
        struct iovec iov = { .iov_base = (void *) msg, .iov_len = sizeof(msg) };
        struct msghdr mh = { .msg_iov = &iov,
                             .msg_iovlen = 1,
                             .msg_control = control.buf,
                             .msg_controllen = sizeof(control.buf) };
        struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
        g_autoptr(GString) got = g_string_new(NULL);
        vk_autofd fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        bool eof = false;

        strcpy(sa.sun_path, f->path);
        assert_int_equal(connect(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int) * (VK_VARLINK_MAX_FDS + 4));
        for (size_t i = 0; i < VK_VARLINK_MAX_FDS + 4; i++)
                memcpy(CMSG_DATA(cm) + i * sizeof(int), &(int){ STDERR_FILENO }, sizeof(int));
        assert_int_equal(sendmsg(fd, &mh, MSG_NOSIGNAL), (ssize_t) sizeof(msg));
        for (int i = 0; !eof && i < 5000; i++) {
                struct pollfd pfd = { .fd = fd, .events = POLLIN };
                char buf[512];
                ssize_t k;

                (void) sd_event_run(f->event, 1000);
                if (poll(&pfd, 1, 0) <= 0)
                        continue;
                k = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
                if (k <= 0)
                        eof = true;
                else
                        g_string_append_len(got, buf, k);
        }
        assert_true(eof);
        assert_non_null(strstr(got->str, VK_VARLINK_ERROR_INVALID_MESSAGE));
        assert_non_null(strstr(got->str, "file descriptors"));
}

typedef struct FdParams {
        char *name;
        VkFd fd;
} FdParams;

static const VkField fd_fields[] = {
        { "name", VK_FIELD_STRING, offsetof(FdParams, name), 0, NULL, NULL },
        { "fd", VK_FIELD_FD, offsetof(FdParams, fd), VK_FIELD_REQUIRED, NULL, NULL },
        {},
};

static const VkStructType fd_type = { .size = sizeof(FdParams), .fields = fd_fields };

static int decode(const char *text, const int *fds, size_t n, FdParams *p, VkError *e) {
        g_autoptr(JsonNode) root = NULL;

        assert_int_equal(vk_json_parse(text, -1, &root, NULL), 0);
        return vk_struct_from_json_fds(&fd_type, json_node_get_object(root), fds, n, p, e);
}

/* VK_FIELD_FD: an index into the message's descriptors, decoded as a copy the struct owns. */
static void test_fd_field(void **state) {
        g_auto(VkError) e = VK_ERROR_INIT;
        g_autoptr(GArray) out = g_array_new(false, false, sizeof(int));
        g_autoptr(JsonNode) back = NULL;
        g_autofree char *text = NULL;
        FdParams p = {};
        int pp[2];

        assert_int_equal(pipe2(pp, O_CLOEXEC), 0);
        assert_int_equal(decode("{\"fd\":1}", pp, 2, &p, &e), 0);
        assert_true(p.fd.set);
        assert_true(p.fd.fd != pp[1] && p.fd.fd > 2);
        assert_int_equal(write(p.fd.fd, "k", 1), 1);
        /* to JSON again: the descriptor goes to the array, its index to the text */
        back = vk_struct_to_json_fds(&fd_type, &p, out);
        text = vk_json_to_string(back, false);
        assert_string_equal(text, "{\"fd\":0}");
        assert_int_equal(out->len, 1);
        assert_int_equal(g_array_index(out, int, 0), p.fd.fd);
        vk_struct_clear(&fd_type, &p); /* closes the copy */
        (void) close(pp[1]);
        {
                g_autofree char *s = pipe_drain(pp[0]);

                assert_string_equal(s, "k"); /* EOF: no copy is left open */
        }
        (void) close(pp[0]);

        assert_int_equal(decode("{\"fd\":2}", (int[]){ 0, 1 }, 2, &p, &e), -EINVAL);
        assert_string_equal(e.name, VK_ERROR_INVALID_PARAMETER);
        assert_non_null(strstr(e.message, "no passed file descriptor has this index"));
        vk_error_done(&e);
        assert_int_equal(decode("{\"fd\":0}", NULL, 0, &p, &e), -EINVAL);
        assert_non_null(strstr(e.message, "no file descriptor was passed"));
        vk_error_done(&e);
        assert_int_equal(decode("{\"fd\":\"0\"}", (int[]){ 0 }, 1, &p, &e), -EINVAL);
        vk_error_done(&e);
        assert_int_equal(decode("{\"name\":\"x\"}", (int[]){ 0 }, 1, &p, &e), -EINVAL);
        assert_non_null(strstr(e.message, "missing"));
        vk_struct_clear(&fd_type, &p);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_pipelined, setup, teardown),
                cmocka_unit_test_setup_teardown(test_sync_and_limit, setup, teardown),
                cmocka_unit_test_setup_teardown(test_too_many_rejected, setup, teardown),
                cmocka_unit_test(test_fd_field),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
