/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vlconn.c: see vlconn.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "vlconn.h"

int unix_connect(const char *path) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

        g_strlcpy(sa.sun_path, path, sizeof(sa.sun_path));
        if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
                close(fd);
                return -1;
        }
        return fd;
}

Conn *conn_open(const char *path) {
        int fd = unix_connect(path);
        Conn *c;

        if (fd < 0)
                return NULL;
        c = g_new0(Conn, 1);
        c->fd = fd;
        c->in = g_string_new(NULL);
        g_strlcpy(c->iface, strrchr(path, '/') ? strrchr(path, '/') + 1 : path, sizeof(c->iface));
        return c;
}

void conn_close(Conn *c) {
        if (!c)
                return;
        close(c->fd);
        g_string_free(c->in, true);
        g_free(c);
}

void json_str(GString *s, const char *v) {
        g_string_append_c(s, '"');
        for (const unsigned char *p = (const unsigned char *) v; *p; p++) {
                if (*p == '"' || *p == '\\')
                        g_string_append_printf(s, "\\%c", *p);
                else if (*p == '\n')
                        g_string_append(s, "\\n");
                else if (*p < 0x20)
                        g_string_append_printf(s, "\\u%04x", *p);
                else
                        g_string_append_c(s, (char) *p);
        }
        g_string_append_c(s, '"');
}

/* Sends {"method":"IFACE.@method","parameters":@params} with its NUL. */
int conn_send(Conn *c, const char *method, const char *params) {
        g_autoptr(GString) s = g_string_new(NULL);
        size_t off = 0;

        g_string_printf(s, "{\"method\":\"%s.%s\",\"parameters\":%s}", c->iface, method,
                        params ? params : "{}");
        g_string_append_c(s, '\0');
        while (off < s->len) {
                ssize_t n = send(c->fd, s->str + off, s->len - off, MSG_NOSIGNAL);

                if (n <= 0)
                        return -1;
                off += (size_t) n;
        }
        return 0;
}

/* Reads one NUL-terminated message into c->in; returns its length, or -1 on EOF. */
gssize conn_read_message(Conn *c) {
        char buf[65536];
        char *nul;

        while (!(nul = memchr(c->in->str, 0, c->in->len))) {
                ssize_t n = recv(c->fd, buf, sizeof(buf), 0);

                if (n <= 0)
                        return -1;
                g_string_append_len(c->in, buf, n);
        }
        return nul - c->in->str;
}

/* Reads one message; returns it parsed (NULL on EOF or bad JSON). */
JsonNode *conn_recv(Conn *c) {
        gssize len = conn_read_message(c);
        JsonNode *node;

        if (len < 0)
                return NULL;
        node = json_from_string(c->in->str, NULL);
        g_string_erase(c->in, 0, len + 1);
        return node;
}

/* The reply's parameters object, or NULL for an error reply (printed when @loud). */
JsonObject *reply_params(JsonNode *reply, bool loud) {
        JsonObject *o = reply && JSON_NODE_HOLDS_OBJECT(reply) ? json_node_get_object(reply) : NULL;

        if (!o)
                return NULL;
        if (json_object_has_member(o, "error")) {
                if (loud) {
                        g_autofree char *s = json_to_string(reply, false);
                        fprintf(stderr, "%s: %s\n", program_invocation_short_name, s);
                }
                return NULL;
        }
        return json_object_has_member(o, "parameters")
                       ? json_object_get_object_member(o, "parameters")
                       : NULL;
}

/* Call and return the reply node (NULL on any failure); the caller checks reply_params. */
JsonNode *conn_call(Conn *c, const char *method, const char *params) {
        if (conn_send(c, method, params) < 0)
                return NULL;
        return conn_recv(c);
}

int call_ok(Conn *c, const char *method, const char *params, bool loud) {
        g_autoptr(JsonNode) r = conn_call(c, method, params);

        return reply_params(r, loud) ? 0 : -1;
}
