/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-cli-uri.c: connection URIs accepted and refused, with their messages */
#include <stdlib.h>
#include <string.h>

#include "../common/vk-test.h"
#include "cli-uri.h"
#include "macro.h"

#define LONG10 "xxxxxxxxxx"
#define LONG90 LONG10 LONG10 LONG10 LONG10 LONG10 LONG10 LONG10 LONG10 LONG10

static void expect_ok(const char *text, VkUriTransport t, VkInstanceKind k, const char *socket,
                      const char *user, const char *host, const char *port, const char *root) {
        g_autoptr(VkUri) u = NULL;
        g_auto(VkError) e = VK_ERROR_INIT;

        assert_int_equal(vk_uri_parse(text, &u, &e), 0);
        assert_int_equal(u->transport, t);
        assert_int_equal(u->instance, k);
        assert_string_equal(vk_strempty(u->socket), vk_strempty(socket));
        assert_string_equal(vk_strempty(u->user), vk_strempty(user));
        assert_string_equal(vk_strempty(u->host), vk_strempty(host));
        assert_string_equal(vk_strempty(u->port), vk_strempty(port));
        assert_string_equal(vk_strempty(u->root), vk_strempty(root));
}

static void expect_err(const char *text, const char *message) {
        g_autoptr(VkUri) u = NULL;
        g_auto(VkError) e = VK_ERROR_INIT;

        assert_int_equal(vk_uri_parse(text, &u, &e), -EINVAL);
        assert_null(u);
        assert_string_equal(e.message, message);
}

static void test_accepted(void **state) {
        expect_ok("qemu:///system", VK_URI_LOCAL, VK_INSTANCE_SYSTEM, NULL, NULL, NULL, NULL, NULL);
        expect_ok("qemu:///session", VK_URI_LOCAL, VK_INSTANCE_SESSION, NULL, NULL, NULL, NULL,
                  NULL);
        expect_ok("qemu+unix:///system?socket=/run/x%20y.sock", VK_URI_LOCAL, VK_INSTANCE_SYSTEM,
                  "/run/x y.sock", NULL, NULL, NULL, NULL);
        expect_ok("qemu+ssh://root@example.com:2222/system", VK_URI_SSH, VK_INSTANCE_SYSTEM, NULL,
                  "root", "example.com", "2222", NULL);
        expect_ok("qemu+ssh://host/session", VK_URI_SSH, VK_INSTANCE_SESSION, NULL, NULL, "host",
                  NULL, NULL);
        /* the socket on the remote host, handed to the remote bridge */
        expect_ok("qemu+ssh://h/system?socket=/tmp/a%26b/q.sock", VK_URI_SSH, VK_INSTANCE_SYSTEM,
                  "/tmp/a&b/q.sock", NULL, "h", NULL, NULL);
        expect_ok("qemu:///embed?root=/var/tmp/vm", VK_URI_EMBEDDED, VK_INSTANCE_EMBEDDED, NULL,
                  NULL, NULL, NULL, "/var/tmp/vm");
}

static void test_refused(void **state) {
        expect_err("qemu:///embed?root=rel/dir",
                   "URI 'qemu:///embed?root=rel/dir': the root path 'rel/dir' must be absolute");
        expect_err("qemu:///embed", "URI 'qemu:///embed': qemu:///embed needs ?root=/absolute/dir");
        expect_err("qemu://example.com/system",
                   "URI 'qemu://example.com/system': remote access over TLS (qemu://HOST/…) is not "
                   "supported; use qemu+ssh://HOST/system");
        expect_err("qemu+tcp://h/system", "URI 'qemu+tcp://h/system': this transport is not "
                                          "supported (use qemu, qemu+unix or qemu+ssh)");
        expect_err("xen:///system", "URI 'xen:///system': only the qemu driver's URIs "
                                    "(qemu:///…) are supported");
        expect_err("qemu:///other", "URI 'qemu:///other': the path must be /system, /session or "
                                    "/embed");
        expect_err("qemu+ssh://h:x/system", "URI 'qemu+ssh://h:x/system': the port must be a "
                                            "number");
        expect_err("qemu:///system?root=/x", "URI 'qemu:///system?root=/x': unsupported query "
                                             "parameter 'root'");
        /* /run/io.virtkit.Qemu under the root would not fit in a socket address (107 bytes) */
        expect_err("qemu:///embed?root=/" LONG90,
                   "URI 'qemu:///embed?root=/" LONG90 "': Socket path '/" LONG90
                   "/run/io.virtkit.Qemu' is 111 bytes long, more than the 107 bytes a UNIX "
                   "socket address can hold");
        expect_err("system", "URI 'system': expected SCHEME://[HOST]/PATH, e.g. qemu:///system");
}

static void test_bridge_uri(void **state) {
        static const char *const cases[][2] = {
                { "qemu+ssh://h/system", "qemu:///system" },
                { "qemu+ssh://h/session", "qemu:///session" },
                { "qemu+ssh://h/system?socket=/tmp/a%26b/q.sock",
                  "qemu+unix:///system?socket=/tmp/a%26b/q.sock" },
        };

        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                g_autoptr(VkUri) u = NULL;
                g_autofree char *b = NULL;
                g_auto(VkError) e = VK_ERROR_INIT;

                assert_int_equal(vk_uri_parse(cases[i][0], &u, &e), 0);
                b = vk_uri_bridge_uri(u);
                assert_string_equal(b, cases[i][1]);
        }
}

static void test_default(void **state) {
        g_autofree char *d = NULL;

        setenv("VIRTKIT_DEFAULT_URI", "qemu:///session", 1);
        d = vk_uri_default();
        assert_string_equal(d, "qemu:///session");
        unsetenv("VIRTKIT_DEFAULT_URI");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_accepted),
                cmocka_unit_test(test_refused),
                cmocka_unit_test(test_bridge_uri),
                cmocka_unit_test(test_default),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
