/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* varlink-client.c: varlink client on sd-event: calls and replies over one connection */
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "json.h"
#include "log.h"
#include "macro.h"
#include "sd-glue.h"
#include "sockaddr.h"
#include "varlink-wire.h"
#include "varlink.h"

typedef struct ClientCall {
        VkVarlinkReplyFunc cb;
        void *userdata;
        bool oneway;
} ClientCall;

struct VkVarlinkClient {
        sd_event *event;
        int fd;
        sd_event_source *io;
        GByteArray *in;
        GByteArray *out;
        size_t out_offset;
        GQueue calls;      /* ClientCall*, in the order sent: replies come in the same order */
        GQueue out_fds;    /* VkVarlinkFdBatch to send with their calls */
        GQueue in_fds;     /* VkVarlinkFdBatch received, not yet taken with their reply */
        GArray *reply_fds; /* those of the reply being dispatched (closed after it) */
        bool connected;
};

/* Fail every pending call with Disconnected; @why (may be NULL) becomes its "message". */
static void client_fail_all(VkVarlinkClient *cl, const char *why) {
        g_autoptr(JsonObject) params = NULL;
        ClientCall *call;

        if (why) {
                params = json_object_new();
                json_object_set_string_member(params, "message", why);
        }
        cl->connected = false;
        cl->io = sd_event_source_disable_unref(cl->io);
        vk_varlink_fd_queue_clear(&cl->out_fds);
        vk_varlink_fd_queue_clear(&cl->in_fds);
        while ((call = g_queue_pop_head(&cl->calls))) {
                if (call->cb)
                        call->cb(cl, params, VK_VARLINK_ERROR_DISCONNECTED, false, call->userdata);
                g_free(call);
        }
}

static int client_update_events(VkVarlinkClient *cl) {
        uint32_t events = EPOLLIN;

        if (!cl->io)
                return 0;
        if (cl->out->len > cl->out_offset)
                events |= EPOLLOUT;
        return sd_event_source_set_io_events(cl->io, events);
}

static void client_dispatch(VkVarlinkClient *cl, JsonNode *msg) {
        JsonObject *o = json_node_get_object(msg);
        JsonNode *pn = json_object_get_member(o, "parameters");
        JsonObject *params = pn && JSON_NODE_HOLDS_OBJECT(pn) ? json_node_get_object(pn) : NULL;
        const char *error = vk_json_object_get_string_member_or_null(o, "error");
        bool continues = vk_varlink_json_bool_member(o, "continues");
        ClientCall *call = g_queue_peek_head(&cl->calls);

        if (!call) {
                vk_log_debug("varlink client: unexpected reply, disconnecting");
                client_fail_all(cl, "the service sent a reply to no call");
                return;
        }
        if (!continues || error)
                (void) g_queue_pop_head(&cl->calls);
        if (call->cb)
                call->cb(cl, params, error, continues && !error, call->userdata);
        if (!continues || error)
                g_free(call);
}

static int client_on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        VkVarlinkClient *cl = userdata;

        if (revents & EPOLLOUT) {
                if (vk_varlink_buffer_flush_fds(cl->fd, cl->out, &cl->out_offset, &cl->out_fds) <
                    0) {
                        client_fail_all(cl, NULL);
                        return 0;
                }
        }
        if (revents & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
                ssize_t n = vk_varlink_buffer_recv_fds(cl->fd, cl->in, &cl->in_fds);

                if (n == -EMSGSIZE) {
                        client_fail_all(cl, "the service passed too many file descriptors");
                        return 0;
                }
                for (;;) {
                        g_auto(VkError) error = VK_ERROR_INIT;
                        g_autoptr(JsonNode) msg = NULL;
                        GArray *fds = NULL;
                        int r = vk_varlink_buffer_take_message_fds(
                                cl->in, VK_VARLINK_LIMITS_DEFAULT.max_output, &cl->in_fds, &msg,
                                &fds, &error);
                        if (r < 0) {
                                g_autofree char *why = g_strdup_printf(
                                        "invalid reply from the service: %s", error.message);

                                vk_log_debug("varlink client: %s, disconnecting", why);
                                client_fail_all(cl, why);
                                return 0;
                        }
                        if (r == 0 || !cl->connected) {
                                vk_varlink_fds_close(fds);
                                break;
                        }
                        cl->reply_fds = fds;
                        client_dispatch(cl, msg);
                        vk_varlink_fds_close(g_steal_pointer(&cl->reply_fds));
                }
                if (n == 0 || (n < 0 && n != -EAGAIN)) {
                        client_fail_all(cl, NULL);
                        return 0;
                }
        }
        (void) client_update_events(cl);
        return 0;
}

/*
 * Speak varlink over the connected stream @fd (a UNIX socket, or one end of a socketpair whose
 * other end is, say, an ssh process). Takes ownership of @fd, also on failure.
 */
int vk_varlink_client_new_fd(sd_event *event, int fd, VkVarlinkClient **ret, VkError *reterr) {
        g_autoptr(VkVarlinkClient) cl = g_new0(VkVarlinkClient, 1);
        int r;

        cl->event = sd_event_ref(event);
        cl->in = g_byte_array_new();
        cl->out = g_byte_array_new();
        g_queue_init(&cl->calls);
        g_queue_init(&cl->out_fds);
        g_queue_init(&cl->in_fds);
        cl->fd = fd;
        r = sd_event_add_io(event, &cl->io, cl->fd, EPOLLIN, client_on_io, cl);
        if (r < 0)
                return vk_error_set_errno(reterr, r, "cannot watch the varlink connection");
        cl->connected = true;
        *ret = g_steal_pointer(&cl);
        return 0;
}

/*
 * Connect to the varlink socket @path. The connect does not block (a UNIX socket connects at
 * once or fails); replies are read on @event.
 */
int vk_varlink_client_connect(sd_event *event, const char *path, VkVarlinkClient **ret,
                              VkError *reterr) {
        struct sockaddr_un sa;
        vk_autofd fd = -1;
        int salen;

        salen = vk_sockaddr_un_set(&sa, path, reterr);
        if (salen < 0)
                return salen;

        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return vk_error_set_errno(reterr, -errno, "cannot create socket");
        if (connect(fd, (struct sockaddr *) &sa, salen) < 0 && errno != EINPROGRESS)
                return vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, -errno,
                                    "cannot connect to '%s': %s", path, g_strerror(errno));
        return vk_varlink_client_new_fd(event, vk_steal_fd(&fd), ret, reterr);
}

/* Disconnect; pending calls are dropped without their callbacks. Takes NULL. */
VkVarlinkClient *vk_varlink_client_free(VkVarlinkClient *cl) {
        ClientCall *call;

        if (!cl)
                return NULL;
        while ((call = g_queue_pop_head(&cl->calls)))
                g_free(call);
        vk_varlink_fd_queue_clear(&cl->out_fds);
        vk_varlink_fd_queue_clear(&cl->in_fds);
        vk_varlink_fds_close(cl->reply_fds);
        sd_event_source_disable_unref(cl->io);
        if (cl->fd >= 0)
                (void) close(cl->fd);
        g_byte_array_unref(cl->in);
        g_byte_array_unref(cl->out);
        sd_event_unref(cl->event);
        g_free(cl);
        return NULL;
}

bool vk_varlink_client_is_connected(VkVarlinkClient *cl) {
        return cl && cl->connected;
}

/*
 * The descriptors the service passed with the reply being dispatched; valid only during the
 * reply callback (closed after it: dup what you keep).
 */
const int *vk_varlink_client_get_reply_fds(VkVarlinkClient *cl, size_t *ret_n) {
        *ret_n = cl->reply_fds ? cl->reply_fds->len : 0;
        return cl->reply_fds ? (const int *) (void *) cl->reply_fds->data : NULL;
}

/*
 * Send a call of @method with @params (an object node, or NULL for {}). @cb (may be NULL for
 * oneway calls) runs from the loop for each reply. Returns -ENOTCONN after a disconnect.
 */
int vk_varlink_client_call(VkVarlinkClient *cl, const char *method, JsonNode *params,
                           unsigned flags, VkVarlinkReplyFunc cb, void *userdata) {
        return vk_varlink_client_call_fds(cl, method, params, NULL, 0, flags, cb, userdata);
}

/*
 * vk_varlink_client_call() passing copies of the @n_fds descriptors @fds (SCM_RIGHTS; the
 * caller keeps its own) with the call: @params names them by their index in @fds. At most
 * VK_VARLINK_MAX_FDS (-E2BIG).
 */
int vk_varlink_client_call_fds(VkVarlinkClient *cl, const char *method, JsonNode *params,
                               const int *fds, size_t n_fds, unsigned flags, VkVarlinkReplyFunc cb,
                               void *userdata) {
        g_autoptr(JsonBuilder) b = json_builder_new_immutable();
        g_autoptr(JsonNode) msg = NULL;
        int r;

        if (!cl->connected)
                return -ENOTCONN;

        json_builder_begin_object(b);
        json_builder_set_member_name(b, "method");
        json_builder_add_string_value(b, method);
        if (params) {
                json_builder_set_member_name(b, "parameters");
                json_builder_add_value(b, json_node_copy(params));
        }
        if (flags & VK_VARLINK_MORE) {
                json_builder_set_member_name(b, "more");
                json_builder_add_boolean_value(b, true);
        }
        if (flags & VK_VARLINK_ONEWAY) {
                json_builder_set_member_name(b, "oneway");
                json_builder_add_boolean_value(b, true);
        }
        json_builder_end_object(b);
        msg = json_builder_get_root(b);

        r = vk_varlink_buffer_append_message_fds(cl->out, &cl->out_fds, msg, fds, n_fds);
        if (r < 0)
                return r;
        if (!(flags & VK_VARLINK_ONEWAY)) {
                ClientCall *call = g_new0(ClientCall, 1);
                call->cb = cb;
                call->userdata = userdata;
                g_queue_push_tail(&cl->calls, call);
        }
        r = vk_varlink_buffer_flush_fds(cl->fd, cl->out, &cl->out_offset, &cl->out_fds);
        if (r < 0)
                return r;
        return client_update_events(cl);
}

typedef struct SyncCall {
        sd_event *event;
        JsonNode *params;
        char *error;
        bool done;
        bool timed_out;
        VkVarlinkContinueFunc on_continue;
        void *userdata;
        sd_event_source *timer;
        uint64_t timeout_usec;
} SyncCall;

static void sync_on_reply(VkVarlinkClient *cl, JsonObject *params, const char *error,
                          bool continues, void *userdata) {
        SyncCall *sc = userdata;

        if (continues) {
                /* a stream: the timeout is the longest silence */
                if (sc->timer)
                        (void) sd_event_source_set_time_relative(sc->timer, sc->timeout_usec);
                if (sc->on_continue)
                        sc->on_continue(params, sc->userdata);
                return;
        }
        if (params) {
                sc->params = json_node_new(JSON_NODE_OBJECT);
                json_node_set_object(sc->params, params);
        }
        sc->error = g_strdup(error);
        sc->done = true;
}

static int sync_on_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        SyncCall *sc = userdata;

        sc->timed_out = true;
        return 0;
}

/*
 * Call @method on @cl and run @cl's loop until the reply (for tools and tests, never for
 * daemons: it blocks). A varlink error becomes a VkError with the error's full name, its
 * "message" parameter as message (or the parameters as JSON) and its other string parameters.
 * *@ret_params (may be NULL) gets the reply's parameters.
 */
int vk_varlink_client_call_sync(VkVarlinkClient *cl, const char *method, JsonNode *params,
                                uint64_t timeout_usec, JsonNode **ret_params, VkError *reterr) {
        return vk_varlink_client_call_sync_fds(cl, method, params, NULL, 0, NULL, NULL,
                                               timeout_usec, ret_params, reterr);
}

/*
 * vk_varlink_client_call_sync() passing the descriptors @fds (see
 * vk_varlink_client_call_fds()); with @on_continue, the call is made with "more", each reply
 * before the last goes to @on_continue, and @timeout_usec bounds the silence between replies.
 */
int vk_varlink_client_call_sync_fds(VkVarlinkClient *cl, const char *method, JsonNode *params,
                                    const int *fds, size_t n_fds, VkVarlinkContinueFunc on_continue,
                                    void *userdata, uint64_t timeout_usec, JsonNode **ret_params,
                                    VkError *reterr) {
        g_autoptr(sd_event_source) timer = NULL;
        SyncCall sc = { .event = cl->event,
                        .on_continue = on_continue,
                        .userdata = userdata,
                        .timeout_usec = timeout_usec };
        int r;

        r = vk_varlink_client_call_fds(cl, method, params, fds, n_fds,
                                       on_continue ? VK_VARLINK_MORE : 0, sync_on_reply, &sc);
        if (r < 0)
                return vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, r, "cannot send %s: %s",
                                    method, g_strerror(-r));
        if (timeout_usec > 0) {
                r = sd_event_add_time_relative(cl->event, &timer, CLOCK_MONOTONIC, timeout_usec, 0,
                                               sync_on_timeout, &sc);
                if (r < 0)
                        return vk_error_set_errno(reterr, r, "cannot set timer");
                sc.timer = timer;
        }
        while (!sc.done && !sc.timed_out) {
                r = sd_event_run(cl->event, UINT64_MAX);
                if (r < 0 || sd_event_get_state(cl->event) == SD_EVENT_FINISHED)
                        break;
        }
        if (!sc.done) {
                if (sc.params)
                        json_node_unref(sc.params);
                return vk_error_set(reterr, VK_ERROR_TIMEOUT, -ETIMEDOUT, "no reply to %s", method);
        }
        if (sc.error) {
                g_autofree char *err = sc.error;
                g_autoptr(JsonNode) p = sc.params;
                const char *msg = NULL;
                g_autofree char *json = NULL;

                msg = p ? vk_json_object_get_string_member_or_null(json_node_get_object(p),
                                                                   "message")
                        : NULL;
                if (strcmp(err, VK_VARLINK_ERROR_DISCONNECTED) == 0)
                        return vk_error_set(reterr, err, -ECONNRESET, "%s",
                                            msg ? msg : "the service closed the connection");
                if (!msg && p)
                        msg = json = vk_json_to_string(p, false);
                r = vk_error_set(reterr, err, -EREMOTEIO, "%s", msg ? msg : err);
                if (p && reterr) {
                        JsonObject *po = json_node_get_object(p);
                        g_autoptr(GList) members = json_object_get_members(po);
                        for (GList *l = members; l; l = l->next) {
                                const char *v =
                                        vk_json_object_get_string_member_or_null(po, l->data);
                                if (v && strcmp(l->data, "message") != 0)
                                        vk_error_add_param(reterr, l->data, v);
                        }
                }
                return r;
        }
        if (!sc.params) {
                sc.params = json_node_new(JSON_NODE_OBJECT);
                json_node_take_object(sc.params, json_object_new());
        }
        if (ret_params)
                *ret_params = sc.params;
        else
                json_node_unref(sc.params);
        return 0;
}

/* Connect to @path, call @method, wait for the reply: vk_varlink_client_call_sync() on a
 * private loop. Errors naming the socket when it cannot be reached. */
int vk_varlink_call_sync(const char *path, const char *method, JsonNode *params,
                         uint64_t timeout_usec, JsonNode **ret_params, VkError *reterr) {
        g_autoptr(sd_event) event = NULL;
        g_autoptr(VkVarlinkClient) cl = NULL;
        int r;

        r = sd_event_new(&event);
        if (r < 0)
                return vk_error_set_errno(reterr, r, "cannot create event loop");
        r = vk_varlink_client_connect(event, path, &cl, reterr);
        if (r < 0)
                return r;
        return vk_varlink_client_call_sync(cl, method, params, timeout_usec, ret_params, reterr);
}
