/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* varlink.c: varlink transport on sd-event: NUL-framed JSON messages over UNIX sockets */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "json.h"
#include "log.h"
#include "macro.h"
#include "sd-glue.h"
#include "sockaddr.h"
#include "varlink-wire.h"
#include "varlink.h"

typedef struct Listener {
        VkVarlinkServer *server;
        int fd;
        sd_event_source *source;
        char *path; /* unlinked on free when we bound it ourselves */
} Listener;

struct VkVarlinkServer {
        sd_event *event;
        VkVarlinkLimits limits;
        VkVarlinkMethodFunc method_cb;
        VkVarlinkConnectionFunc conn_cb;
        void *userdata;
        GPtrArray *listeners;    /* Listener* */
        GHashTable *connections; /* VkVarlinkConnection* set */
        GHashTable *per_uid;     /* uid → UidUsage* */
        bool accepting;
};

/* What the connections of one uid hold: counted against max_per_uid, max_output_per_uid and
 * max_input_per_uid */
typedef struct UidUsage {
        unsigned connections;
        size_t output; /* bytes of replies queued, not yet taken by the clients */
        size_t input;  /* bytes received, not yet parsed (partial or waiting requests) */
} UidUsage;

struct VkVarlinkConnection {
        unsigned n_ref;
        VkVarlinkServer *server; /* NULL once closed */
        int fd;
        VkPeer peer;
        sd_event_source *io;
        sd_event_source *defer;
        GByteArray *in;
        GByteArray *out;
        size_t out_offset;
        size_t out_counted; /* the part of out counted in the uid's UidUsage.output */
        size_t in_counted;  /* the part of in counted in the uid's UidUsage.input */
        UidUsage *usage;    /* the uid's, while open */
        bool pending;       /* a request awaits its final reply */
        bool hup;           /* read returned EOF: close once output is flushed */
        bool rdhup;         /* peer shut down its side while a request was pending */
        bool oneway;        /* the request being dispatched wants no reply at all */
        bool closing;       /* a protocol error was sent: read nothing more, close once flushed */
        GQueue in_fds;      /* VkVarlinkFdBatch received, not yet taken with their message */
        GArray *msg_fds;    /* those of the request being dispatched (closed after it) */
        void *userdata;
};

static void connection_close(VkVarlinkConnection *c);
static int connection_update_events(VkVarlinkConnection *c);

static Listener *listener_free(Listener *l) {
        if (!l)
                return NULL;
        sd_event_source_disable_unref(l->source);
        vk_close_fdp(&l->fd);
        if (l->path)
                (void) unlink(l->path);
        g_free(l->path);
        g_free(l);
        return NULL;
}

static void listener_free_void(gpointer p) {
        listener_free(p);
}

VkVarlinkConnection *vk_varlink_connection_ref(VkVarlinkConnection *c) {
        if (c)
                c->n_ref++;
        return c;
}

VkVarlinkConnection *vk_varlink_connection_unref(VkVarlinkConnection *c) {
        if (!c)
                return NULL;
        g_assert(c->n_ref > 0);
        if (--c->n_ref > 0)
                return NULL;
        g_assert(!c->server);
        g_byte_array_unref(c->in);
        g_byte_array_unref(c->out);
        g_free(c);
        return NULL;
}

const VkPeer *vk_varlink_connection_peer(VkVarlinkConnection *c) {
        return &c->peer;
}

/*
 * The descriptors passed (SCM_RIGHTS) with the request being dispatched, in the order sent;
 * valid only during the method callback (they are closed after it: dup what you keep).
 */
const int *vk_varlink_connection_get_fds(VkVarlinkConnection *c, size_t *ret_n) {
        *ret_n = c->msg_fds ? c->msg_fds->len : 0;
        return c->msg_fds ? (const int *) (void *) c->msg_fds->data : NULL;
}

bool vk_varlink_connection_is_open(VkVarlinkConnection *c) {
        return c && c->server;
}

void vk_varlink_connection_set_userdata(VkVarlinkConnection *c, void *userdata) {
        c->userdata = userdata;
}

void *vk_varlink_connection_get_userdata(VkVarlinkConnection *c) {
        return c->userdata;
}

static size_t connection_queued(VkVarlinkConnection *c) {
        return c->out->len - c->out_offset;
}

/* Bring the uid's count of queued output up to date with c->out */
static void connection_count_output(VkVarlinkConnection *c) {
        size_t now = connection_queued(c);

        if (!c->usage)
                return;
        c->usage->output = c->usage->output - c->out_counted + now;
        c->out_counted = now;
}

/* Bring the uid's count of unparsed input up to date with c->in */
static void connection_count_input(VkVarlinkConnection *c) {
        if (!c->usage)
                return;
        c->usage->input = c->usage->input - c->in_counted + c->in->len;
        c->in_counted = c->in->len;
}

static int connection_flush(VkVarlinkConnection *c) {
        int r = vk_varlink_buffer_flush(c->fd, c->out, &c->out_offset);

        connection_count_output(c);
        return r;
}

/*
 * Back-pressure: a client that does not read its replies gets no further request read or
 * dispatched until it took them down to the threshold.
 */
static bool connection_throttled(VkVarlinkConnection *c) {
        return connection_queued(c) > c->server->limits.output_threshold;
}

static void connection_schedule(VkVarlinkConnection *c) {
        if (c->server && c->defer)
                (void) sd_event_source_set_enabled(c->defer, SD_EVENT_ONESHOT);
}

/* Send what was appended to c->out: enforce the output limit, write what the socket takes. */
static int connection_send_queued(VkVarlinkConnection *c) {
        int r;

        r = connection_flush(c);
        if (r >= 0 && (connection_queued(c) > c->server->limits.max_output ||
                       c->usage->output > c->server->limits.max_output_per_uid)) {
                vk_log_debug("varlink: client (pid %d, uid %u) does not read its replies "
                             "(%zu bytes queued, %zu for the uid), closing",
                             (int) c->peer.pid, (unsigned) c->peer.uid, connection_queued(c),
                             c->usage->output);
                connection_close(c);
                return -ENOBUFS;
        }
        if (r < 0) {
                connection_close(c);
                return r;
        }
        return connection_update_events(c);
}

static int connection_send(VkVarlinkConnection *c, JsonNode *msg) {
        if (!c->server)
                return -ENOTCONN;
        vk_varlink_buffer_append_message(c->out, msg);
        return connection_send_queued(c);
}

/*
 * vk_varlink_connection_reply() with the parameters already written as JSON text (an
 * object; NULL for {}), so a large reply need not be built as a tree first.
 */
int vk_varlink_connection_reply_text(VkVarlinkConnection *c, const char *params, bool continues) {
        static const char head[] = "{\"parameters\":";
        static const char more[] = ",\"continues\":true";

        if (c->oneway)
                return 0;
        if (!c->server)
                return -ENOTCONN;
        if (!continues && c->pending) {
                c->pending = false;
                connection_schedule(c);
        }
        g_byte_array_append(c->out, (const guint8 *) head, sizeof(head) - 1);
        if (params)
                g_byte_array_append(c->out, (const guint8 *) params, (guint) strlen(params));
        else
                g_byte_array_append(c->out, (const guint8 *) "{}", 2);
        if (continues)
                g_byte_array_append(c->out, (const guint8 *) more, sizeof(more) - 1);
        g_byte_array_append(c->out, (const guint8 *) "}", 2); /* with the NUL terminator */
        return connection_send_queued(c);
}

/*
 * Send a reply to the current request. @params (may be NULL for {}) must be an object node;
 * it is not consumed. With @continues the request stays current (a "more" stream).
 * Replies to a closed connection are dropped and return -ENOTCONN; replies sent while a oneway
 * request is dispatched are dropped and return 0.
 */
int vk_varlink_connection_reply(VkVarlinkConnection *c, JsonNode *params, bool continues) {
        g_autoptr(JsonBuilder) b = json_builder_new_immutable();
        g_autoptr(JsonNode) msg = NULL;

        if (c->oneway)
                return 0;
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "parameters");
        if (params)
                json_builder_add_value(b, json_node_copy(params));
        else {
                json_builder_begin_object(b);
                json_builder_end_object(b);
        }
        if (continues) {
                json_builder_set_member_name(b, "continues");
                json_builder_add_boolean_value(b, true);
        }
        json_builder_end_object(b);
        msg = json_builder_get_root(b);

        if (!continues && c->pending) {
                c->pending = false;
                connection_schedule(c);
        }
        return connection_send(c, msg);
}

/* Send the error @error (a full varlink error name) with @params (may be NULL) and end the request.
 */
int vk_varlink_connection_reply_error(VkVarlinkConnection *c, const char *error, JsonNode *params) {
        g_autoptr(JsonBuilder) b = json_builder_new_immutable();
        g_autoptr(JsonNode) msg = NULL;

        if (c->oneway)
                return 0; /* not even an error: the client reads no reply */
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "error");
        json_builder_add_string_value(b, error);
        json_builder_set_member_name(b, "parameters");
        if (params)
                json_builder_add_value(b, json_node_copy(params));
        else {
                json_builder_begin_object(b);
                json_builder_end_object(b);
        }
        json_builder_end_object(b);
        msg = json_builder_get_root(b);

        if (c->pending) {
                c->pending = false;
                connection_schedule(c);
        }
        return connection_send(c, msg);
}

static void connection_close(VkVarlinkConnection *c) {
        VkVarlinkServer *s = c->server;

        if (!s)
                return;

        c->io = sd_event_source_disable_unref(c->io);
        c->defer = sd_event_source_disable_unref(c->defer);
        vk_close_fdp(&c->fd);
        c->fd = -1;

        g_byte_array_set_size(c->out, 0);
        c->out_offset = 0;
        connection_count_output(c);
        g_byte_array_set_size(c->in, 0);
        connection_count_input(c);
        vk_varlink_fd_queue_clear(&c->in_fds);
        if (--c->usage->connections == 0)
                g_hash_table_remove(s->per_uid, GUINT_TO_POINTER(c->peer.uid));
        c->usage = NULL;

        c->server = NULL;
        /* forget the connection before telling: the callback counts the open ones (idle exit) */
        vk_varlink_connection_ref(c);
        g_hash_table_remove(s->connections, c); /* drops the server's reference */
        if (s->conn_cb)
                s->conn_cb(c, false, s->userdata);
        vk_varlink_connection_unref(c);
}

/* Close the connection now; pending replies are dropped. Safe to call twice. */
void vk_varlink_connection_close(VkVarlinkConnection *c) {
        if (c)
                connection_close(c);
}

static int connection_update_events(VkVarlinkConnection *c) {
        uint32_t events = 0;

        if (!c->server)
                return 0;
        if (c->closing) {
                if (c->out->len == c->out_offset)
                        connection_close(c);
                else
                        (void) sd_event_source_set_io_events(c->io, EPOLLOUT);
                return 0;
        }
        if (c->hup && c->out->len == c->out_offset && !c->pending &&
            !memchr(c->in->data, 0, c->in->len)) {
                connection_close(c);
                return 0;
        }
        if (!c->hup) {
                if (!c->pending && !connection_throttled(c))
                        events |= EPOLLIN;
                else if (!c->rdhup)
                        events |= EPOLLRDHUP; /* notice a client leaving a long call */
        }
        if (c->out->len > c->out_offset)
                events |= EPOLLOUT;
        return sd_event_source_set_io_events(c->io, events);
}

/*
 * The client sent something we cannot take (too big, too deep, not JSON, no method): tell it
 * why with io.virtkit.InvalidMessage, read nothing more, and close once the error is out.
 */
static int connection_reject(VkVarlinkConnection *c, const char *why) {
        g_autoptr(JsonBuilder) b = json_builder_new_immutable();
        g_autoptr(JsonNode) msg = NULL;

        vk_log_debug("varlink: invalid message from pid %d (%s), closing", (int) c->peer.pid, why);
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "error");
        json_builder_add_string_value(b, VK_VARLINK_ERROR_INVALID_MESSAGE);
        json_builder_set_member_name(b, "parameters");
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "message");
        json_builder_add_string_value(b, why);
        json_builder_end_object(b);
        json_builder_end_object(b);
        msg = json_builder_get_root(b);

        c->closing = true;
        c->pending = false;
        g_byte_array_set_size(c->in, 0);
        connection_count_input(c);
        vk_varlink_fd_queue_clear(&c->in_fds);
        vk_varlink_buffer_append_message(c->out, msg);
        if (connection_flush(c) < 0 || c->out->len == c->out_offset)
                connection_close(c);
        else
                (void) connection_update_events(c);
        return -EBADMSG;
}

/* Take one complete message from the input buffer and dispatch it. 1 if one was, 0 if none. */
static int connection_dispatch_one(VkVarlinkConnection *c) {
        VkVarlinkServer *s = c->server;
        g_autoptr(JsonNode) root = NULL;
        g_autoptr(VkVarlinkConnection) ref = NULL;
        JsonObject *o, *params = NULL;
        JsonNode *pn;
        const char *method;
        g_auto(VkError) error = VK_ERROR_INIT;
        GArray *fds = NULL;
        unsigned flags = 0;
        int r;

        r = vk_varlink_buffer_take_message_fds(c->in, s->limits.max_message, &c->in_fds, &root,
                                               &fds, &error);
        if (r < 0)
                return connection_reject(c, error.message);
        if (r == 0)
                return 0;
        c->msg_fds = fds;

        o = json_node_get_object(root);
        method = vk_json_object_get_string_member_or_null(o, "method");
        pn = json_object_get_member(o, "parameters");
        if (!method || (pn && !JSON_NODE_HOLDS_OBJECT(pn) && !JSON_NODE_HOLDS_NULL(pn))) {
                vk_varlink_fds_close(g_steal_pointer(&c->msg_fds));
                return connection_reject(c, !method ? "request has no \"method\" string"
                                                    : "\"parameters\" is not an object");
        }
        if (pn && JSON_NODE_HOLDS_OBJECT(pn))
                params = json_node_get_object(pn);
        if (vk_varlink_json_bool_member(o, "more"))
                flags |= VK_VARLINK_MORE;
        if (vk_varlink_json_bool_member(o, "oneway"))
                flags |= VK_VARLINK_ONEWAY;
        if (vk_varlink_json_bool_member(o, "upgrade"))
                flags |= VK_VARLINK_UPGRADE;

        if (!(flags & VK_VARLINK_ONEWAY))
                c->pending = true;

        /* replies sent from within the dispatch of a oneway call are dropped; later ones are
         * the call's business (a VkCall knows it is oneway) */
        ref = vk_varlink_connection_ref(c);
        c->oneway = flags & VK_VARLINK_ONEWAY;
        s->method_cb(c, method, params, flags, s->userdata);
        c->oneway = false;
        vk_varlink_fds_close(g_steal_pointer(&c->msg_fds));
        return 1;
}

static void connection_process(VkVarlinkConnection *c) {
        g_autoptr(VkVarlinkConnection) ref = vk_varlink_connection_ref(c);

        while (c->server && !c->pending && c->in->len > 0 && !connection_throttled(c))
                if (connection_dispatch_one(c) <= 0)
                        break;
        connection_count_input(c);
        if (c->server)
                (void) connection_update_events(c);
}

static int connection_on_defer(sd_event_source *s, void *userdata) {
        connection_process(userdata);
        return 0;
}

static int connection_on_io(sd_event_source *src, int fd, uint32_t revents, void *userdata) {
        VkVarlinkConnection *c = userdata;
        g_autoptr(VkVarlinkConnection) ref = vk_varlink_connection_ref(c);

        if ((revents & (EPOLLHUP | EPOLLERR)) && (c->pending || c->closing)) {
                /* the client is gone while a request runs: nobody will read the reply */
                connection_close(c);
                return 0;
        }
        if ((revents & EPOLLRDHUP) && !(revents & EPOLLIN))
                c->rdhup = true; /* half-closed: it may still read the reply */

        if (revents & EPOLLOUT) {
                if (connection_flush(c) < 0) {
                        connection_close(c);
                        return 0;
                }
        }

        if ((revents & (EPOLLIN | EPOLLHUP)) && !c->closing) {
                ssize_t n = vk_varlink_buffer_recv_fds(c->fd, c->in, &c->in_fds);

                if (n == -EMSGSIZE) {
                        g_autofree char *why = g_strdup_printf(
                                "more than %u file descriptors with one message, or more than "
                                "%u unread",
                                VK_VARLINK_MAX_FDS, VK_VARLINK_MAX_QUEUED_FDS);
                        (void) connection_reject(c, why);
                        return 0;
                }
                if (n == 0)
                        c->hup = true;
                else if (n < 0 && n != -EAGAIN) {
                        connection_close(c);
                        return 0;
                }
                connection_count_input(c);
                if (c->usage->input > c->server->limits.max_input_per_uid) {
                        g_autofree char *why = g_strdup_printf(
                                "requests not yet complete from uid %u exceed the limit of %zu "
                                "bytes",
                                (unsigned) c->peer.uid, c->server->limits.max_input_per_uid);
                        (void) connection_reject(c, why);
                        return 0;
                }
        }

        connection_process(c);
        return 0;
}

static int server_add_connection(VkVarlinkServer *s, int fd) {
        g_autoptr(VkVarlinkConnection) c = g_new0(VkVarlinkConnection, 1);
        UidUsage *usage;
        int r;

        c->n_ref = 1;
        c->fd = fd;
        c->in = g_byte_array_new();
        c->out = g_byte_array_new();
        g_queue_init(&c->in_fds);

        r = vk_peer_from_socket(fd, &c->peer);
        if (r < 0) {
                vk_close_fdp(&c->fd);
                c->fd = -1;
                return r;
        }

        usage = g_hash_table_lookup(s->per_uid, GUINT_TO_POINTER(c->peer.uid));
        if (g_hash_table_size(s->connections) >= s->limits.max_connections ||
            (usage && usage->connections >= s->limits.max_per_uid)) {
                vk_log_debug("varlink: connection limit reached, refusing pid %d uid %u",
                             (int) c->peer.pid, (unsigned) c->peer.uid);
                vk_close_fdp(&c->fd);
                c->fd = -1;
                return -EUSERS;
        }

        r = sd_event_add_io(s->event, &c->io, fd, EPOLLIN | EPOLLRDHUP, connection_on_io, c);
        if (r < 0) {
                vk_close_fdp(&c->fd);
                c->fd = -1;
                return r;
        }
        r = sd_event_add_defer(s->event, &c->defer, connection_on_defer, c);
        if (r < 0) {
                c->io = sd_event_source_disable_unref(c->io);
                vk_close_fdp(&c->fd);
                c->fd = -1;
                return r;
        }
        (void) sd_event_source_set_enabled(c->defer, SD_EVENT_OFF);

        c->server = s;
        if (!usage) {
                usage = g_new0(UidUsage, 1);
                g_hash_table_insert(s->per_uid, GUINT_TO_POINTER(c->peer.uid), usage);
        }
        usage->connections++;
        c->usage = usage;
        g_hash_table_add(s->connections, vk_varlink_connection_ref(c));
        if (s->conn_cb)
                s->conn_cb(c, true, s->userdata);
        return 0;
}

static int listener_on_io(sd_event_source *src, int fd, uint32_t revents, void *userdata) {
        Listener *l = userdata;

        for (;;) {
                int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (cfd < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno != EAGAIN)
                                vk_log_debug_errno(errno, "varlink: accept failed: %m");
                        break;
                }
                (void) server_add_connection(l->server, cfd);
        }
        return 0;
}

static void connection_unref_void(gpointer p) {
        vk_varlink_connection_unref(p);
}

/* Create a server on @event. @limits may be NULL for the defaults. */
int vk_varlink_server_new(sd_event *event, const VkVarlinkLimits *limits,
                          VkVarlinkMethodFunc method_cb, VkVarlinkConnectionFunc conn_cb,
                          void *userdata, VkVarlinkServer **ret) {
        VkVarlinkServer *s = g_new0(VkVarlinkServer, 1);

        s->event = sd_event_ref(event);
        s->limits = limits ? *limits : VK_VARLINK_LIMITS_DEFAULT;
        s->method_cb = method_cb;
        s->conn_cb = conn_cb;
        s->userdata = userdata;
        s->listeners = g_ptr_array_new_with_free_func(listener_free_void);
        s->connections = g_hash_table_new_full(NULL, NULL, connection_unref_void, NULL);
        s->per_uid = g_hash_table_new_full(NULL, NULL, NULL, g_free);
        s->accepting = true;
        *ret = s;
        return 0;
}

/* Close every connection and listener (unlinking sockets we bound). Takes NULL. */
VkVarlinkServer *vk_varlink_server_free(VkVarlinkServer *s) {
        if (!s)
                return NULL;
        s->conn_cb = NULL;
        for (;;) {
                GHashTableIter it;
                gpointer key;

                g_hash_table_iter_init(&it, s->connections);
                if (!g_hash_table_iter_next(&it, &key, NULL))
                        break;
                connection_close(key);
        }
        g_hash_table_unref(s->connections);
        g_hash_table_unref(s->per_uid);
        g_ptr_array_unref(s->listeners);
        sd_event_unref(s->event);
        g_free(s);
        return NULL;
}

static int server_add_listener(VkVarlinkServer *s, int fd, const char *path) {
        Listener *l = g_new0(Listener, 1);
        int r;

        l->server = s;
        l->fd = fd;
        l->path = g_strdup(path);
        r = sd_event_add_io(s->event, &l->source, fd, EPOLLIN, listener_on_io, l);
        if (r < 0) {
                l->path = (g_free(l->path), NULL); /* do not unlink what we could not serve */
                listener_free(l);
                return r;
        }
        (void) sd_event_source_set_enabled(l->source, s->accepting ? SD_EVENT_ON : SD_EVENT_OFF);
        g_ptr_array_add(s->listeners, l);
        return 0;
}

/* Serve an already listening socket (from socket activation). Takes ownership of @fd. */
int vk_varlink_server_add_fd(VkVarlinkServer *s, int fd) {
        int flags = fcntl(fd, F_GETFL);

        /* a passed socket may be blocking, and listener_on_io() accepts until EAGAIN */
        if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
                int r = -errno;

                vk_close_fdp(&fd);
                return r;
        }
        return server_add_listener(s, fd, NULL);
}

/*
 * Serve one already connected stream socket (an inetd-style activation, or a test feeding
 * bytes through a socketpair). Takes ownership of @fd; it is made non-blocking.
 */
int vk_varlink_server_add_connection(VkVarlinkServer *s, int fd) {
        int flags = fcntl(fd, F_GETFL);

        if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
                int r = -errno;
                (void) close(fd);
                return r;
        }
        return server_add_connection(s, fd);
}

/*
 * Bind and listen on @path with @mode. A stale socket file nobody listens on is replaced; a
 * live one is an error (another instance runs). The file is removed when the server is freed.
 */
int vk_varlink_server_listen(VkVarlinkServer *s, const char *path, mode_t mode, VkError *reterr) {
        struct sockaddr_un sa;
        vk_autofd fd = -1;
        int salen, r;

        salen = vk_sockaddr_un_set(&sa, path, reterr);
        if (salen < 0)
                return salen;

        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return vk_error_set_errno(reterr, -errno, "cannot create socket");

        if (bind(fd, (struct sockaddr *) &sa, salen) < 0) {
                vk_autofd probe = -1;

                if (errno != EADDRINUSE)
                        return vk_error_set_errno(reterr, -errno, "cannot bind '%s'", path);
                probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
                if (probe >= 0 && connect(probe, (struct sockaddr *) &sa, salen) == 0)
                        return vk_error_set(reterr, VK_ERROR_BUSY, -EADDRINUSE,
                                            "another daemon is already listening on '%s'", path);
                (void) unlink(path);
                if (bind(fd, (struct sockaddr *) &sa, salen) < 0)
                        return vk_error_set_errno(reterr, -errno, "cannot bind '%s'", path);
        }
        if (chmod(path, mode) < 0) {
                r = -errno;
                (void) unlink(path);
                return vk_error_set_errno(reterr, r, "cannot set the mode of '%s'", path);
        }
        if (listen(fd, SOMAXCONN) < 0) {
                r = -errno;
                (void) unlink(path);
                return vk_error_set_errno(reterr, r, "cannot listen on '%s'", path);
        }

        r = server_add_listener(s, fd, path);
        if (r < 0) {
                (void) unlink(path);
                return vk_error_set_errno(reterr, r, "cannot watch '%s'", path);
        }
        fd = -1;
        return 0;
}

/*
 * Stop (or resume) accepting connections. Connections that arrive meanwhile stay in the
 * listening socket's backlog: under socket activation the next instance accepts them.
 */
void vk_varlink_server_set_accepting(VkVarlinkServer *s, bool accepting) {
        s->accepting = accepting;
        for (guint i = 0; i < s->listeners->len; i++) {
                Listener *l = s->listeners->pdata[i];
                (void) sd_event_source_set_enabled(l->source,
                                                   accepting ? SD_EVENT_ON : SD_EVENT_OFF);
        }
}

unsigned vk_varlink_server_n_connections(VkVarlinkServer *s) {
        return s ? g_hash_table_size(s->connections) : 0;
}
