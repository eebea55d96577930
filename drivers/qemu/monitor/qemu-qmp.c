/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-qmp.c: asynchronous QMP client, a state machine on sd-event */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "json.h"
#include "log.h"
#include "macro.h"
#include "qemu-qmp.h"
#include "sd-glue.h"
#include "sockaddr.h"

/*
 * QMP is newline-delimited JSON (docs/interop/qmp-spec). The client goes
 * CONNECTING -> GREETING -> NEGOTIATING -> READY -> CLOSED. Commands may be queued in any
 * state before CLOSED: they are written once the handshake is done, each with an id
 * ("vk-N"). QEMU answers commands in order (we never use out-of-band), so a reply without
 * an id (a JSON parse error on QEMU's side) belongs to the oldest command written.
 *
 * Nothing is written from inside vk_qmp_execute(): output goes through the loop, and every
 * completion (reply, timeout, disconnect) is dispatched from the loop.
 */

typedef enum QmpState {
        QMP_STATE_CONNECTING,
        QMP_STATE_GREETING,
        QMP_STATE_NEGOTIATING,
        QMP_STATE_READY,
        QMP_STATE_CLOSED,
} QmpState;

struct VkQmpCommand {
        VkQmpClient *qmp;
        char *id;
        GString *text;     /* the line to send, without newline; NULL once written */
        JsonNode *user_id; /* raw pass-through: the caller's own "id", restored in reply */
        bool raw;
        bool internal; /* our qmp_capabilities */
        VkQmpReplyFunc callback;
        VkQmpRawReplyFunc raw_callback;
        void *userdata;
        sd_event_source *timer;
};

struct VkQmpClient {
        unsigned n_ref;
        sd_event *event;
        int fd;
        sd_event_source *io;
        sd_event_source *handshake_timer;
        QmpState state;
        GByteArray *in;
        GByteArray *out;
        size_t max_line;
        uint64_t timeout_usec;
        unsigned next_id;
        GQueue queued;     /* VkQmpCommand, not yet written */
        GQueue sent;       /* VkQmpCommand, written, waiting for a reply */
        GHashTable *by_id; /* id -> VkQmpCommand, both queues */
        JsonObject *greeting;
        VkQmpCallbacks callbacks;
        void *userdata;
};

static JsonObject *qmp_object_get_object(JsonObject *o, const char *name) {
        JsonNode *n = json_object_get_member(o, name);
        return n && JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
}

static const char *qmp_object_get_string(JsonObject *o, const char *name, const char *def) {
        JsonNode *n = json_object_get_member(o, name);
        if (!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
                return def;
        return json_node_get_string(n);
}

static void qmp_command_free(VkQmpCommand *cmd) {
        if (!cmd)
                return;
        cmd->timer = sd_event_source_disable_unref(cmd->timer);
        if (cmd->text)
                g_string_free(cmd->text, TRUE);
        if (cmd->user_id)
                json_node_unref(cmd->user_id);
        g_free(cmd->id);
        g_free(cmd);
}

/* Unlink @cmd from its client; the caller then completes and frees it. */
static void qmp_command_unlink(VkQmpCommand *cmd) {
        VkQmpClient *qmp = cmd->qmp;

        if (!g_queue_remove(&qmp->queued, cmd))
                (void) g_queue_remove(&qmp->sent, cmd);
        (void) g_hash_table_remove(qmp->by_id, cmd->id);
}

static VkQmpClient *qmp_client_ref(VkQmpClient *qmp) {
        qmp->n_ref++;
        return qmp;
}

static void qmp_client_unref(VkQmpClient *qmp) {
        assert(qmp->n_ref > 0);
        if (--qmp->n_ref > 0)
                return;
        assert(g_queue_is_empty(&qmp->queued) && g_queue_is_empty(&qmp->sent));
        qmp->io = sd_event_source_disable_unref(qmp->io);
        qmp->handshake_timer = sd_event_source_disable_unref(qmp->handshake_timer);
        vk_close_fdp(&qmp->fd);
        g_byte_array_unref(qmp->in);
        g_byte_array_unref(qmp->out);
        g_hash_table_unref(qmp->by_id);
        if (qmp->greeting)
                json_object_unref(qmp->greeting);
        sd_event_unref(qmp->event);
        g_free(qmp);
}

/* Complete @cmd (already unlinked) with @reply or @error, then free it. */
static void qmp_command_complete(VkQmpCommand *cmd, JsonObject *reply, const VkError *error) {
        VkQmpClient *qmp = cmd->qmp;

        qmp_client_ref(qmp);
        if (cmd->raw && cmd->raw_callback) {
                g_autofree char *text = NULL;
                if (reply) {
                        g_autoptr(JsonNode) node = json_node_new(JSON_NODE_OBJECT);
                        json_object_remove_member(reply, "id");
                        if (cmd->user_id)
                                json_object_set_member(reply, "id", json_node_copy(cmd->user_id));
                        json_node_set_object(node, reply);
                        text = json_to_string(node, FALSE);
                }
                cmd->raw_callback(qmp, text, error, cmd->userdata);
        } else if (cmd->callback) {
                g_auto(VkError) qerr = VK_ERROR_INIT;
                JsonNode *ret = NULL;

                if (reply && json_object_has_member(reply, "return")) {
                        ret = json_object_get_member(reply, "return");
                } else if (reply) {
                        JsonObject *e = qmp_object_get_object(reply, "error");
                        const char *cls = e ? qmp_object_get_string(e, "class", "GenericError")
                                            : "GenericError";
                        const char *desc = e ? qmp_object_get_string(e, "desc", "unknown error")
                                             : "malformed QMP error reply";
                        (void) vk_error_set(&qerr, VK_ERROR_QMP, -EIO, "%s", desc);
                        vk_error_add_param(&qerr, "class", cls);
                        error = &qerr;
                }
                cmd->callback(qmp, ret, error, cmd->userdata);
        }
        qmp_command_free(cmd);
        qmp_client_unref(qmp);
}

static void qmp_client_update_events(VkQmpClient *qmp) {
        uint32_t events = EPOLLIN;

        if (!qmp->io || qmp->state == QMP_STATE_CLOSED)
                return;
        if (qmp->state == QMP_STATE_CONNECTING || qmp->out->len > 0)
                events |= EPOLLOUT;
        if (qmp->state == QMP_STATE_CONNECTING)
                events = EPOLLOUT;
        (void) sd_event_source_set_io_events(qmp->io, events);
}

/* Move queued commands to the output buffer (only once the handshake allows it). */
static void qmp_client_flush_queue(VkQmpClient *qmp) {
        VkQmpCommand *cmd;

        while ((cmd = g_queue_peek_head(&qmp->queued))) {
                if (qmp->state != QMP_STATE_READY &&
                    !(qmp->state == QMP_STATE_NEGOTIATING && cmd->internal))
                        break;
                (void) g_queue_pop_head(&qmp->queued);
                g_byte_array_append(qmp->out, (const guint8 *) cmd->text->str, cmd->text->len);
                g_byte_array_append(qmp->out, (const guint8 *) "\n", 1);
                g_string_free(cmd->text, TRUE);
                cmd->text = NULL;
                g_queue_push_tail(&qmp->sent, cmd);
        }
        qmp_client_update_events(qmp);
}

/*
 * Close the connection: fail every pending command, then tell the owner once. @error NULL
 * means the owner asked (free), and then nobody is called.
 */
static void qmp_client_close(VkQmpClient *qmp, const VkError *error) {
        VkQmpCommand *cmd;

        if (qmp->state == QMP_STATE_CLOSED)
                return;
        qmp->state = QMP_STATE_CLOSED;
        qmp->io = sd_event_source_disable_unref(qmp->io);
        qmp->handshake_timer = sd_event_source_disable_unref(qmp->handshake_timer);
        vk_close_fdp(&qmp->fd);
        qmp->fd = -1;

        qmp_client_ref(qmp);
        while ((cmd = g_queue_peek_head(&qmp->sent)) || (cmd = g_queue_peek_head(&qmp->queued))) {
                qmp_command_unlink(cmd);
                if (!error) {
                        qmp_command_free(cmd);
                        continue;
                }
                qmp_command_complete(cmd, NULL, error);
        }
        if (error && qmp->callbacks.disconnect)
                qmp->callbacks.disconnect(qmp, error, qmp->userdata);
        qmp_client_unref(qmp);
}

static void qmp_client_fail(VkQmpClient *qmp, const char *name, int err, const char *fmt, ...)
        G_GNUC_PRINTF(4, 5);

static void qmp_client_fail(VkQmpClient *qmp, const char *name, int err, const char *fmt, ...) {
        g_auto(VkError) e = VK_ERROR_INIT;
        va_list ap;

        va_start(ap, fmt);
        (void) vk_error_setv(&e, name, err, fmt, ap);
        va_end(ap);
        vk_log_debug("QMP connection closed: %s", e.message);
        qmp_client_close(qmp, &e);
}

static void qmp_client_on_capabilities(VkQmpClient *qmp, JsonNode *ret, const VkError *error,
                                       void *userdata) {
        if (error) {
                if (qmp->state != QMP_STATE_CLOSED)
                        qmp_client_fail(qmp, VK_ERROR_QMP_PROTOCOL, -EPROTO,
                                        "qmp_capabilities failed: %s", error->message);
                return;
        }
        qmp->state = QMP_STATE_READY;
        qmp->handshake_timer = sd_event_source_disable_unref(qmp->handshake_timer);
        qmp_client_flush_queue(qmp);
        if (qmp->callbacks.ready)
                qmp->callbacks.ready(qmp, qmp->userdata);
}

static VkQmpCommand *qmp_command_new(VkQmpClient *qmp);
static void qmp_command_arm(VkQmpCommand *cmd);

static void qmp_client_handle_greeting(VkQmpClient *qmp, JsonObject *msg) {
        JsonObject *g = qmp_object_get_object(msg, "QMP");
        VkQmpCommand *cmd;

        if (!g)
                return qmp_client_fail(qmp, VK_ERROR_QMP_PROTOCOL, -EPROTO,
                                       "Expected the QMP greeting");
        qmp->greeting = json_object_ref(g);
        qmp->state = QMP_STATE_NEGOTIATING;

        cmd = qmp_command_new(qmp);
        cmd->internal = true;
        cmd->callback = qmp_client_on_capabilities;
        g_string_printf(cmd->text, "{\"execute\": \"qmp_capabilities\", \"id\": \"%s\"}", cmd->id);
        /* first in line, ahead of anything the owner queued already */
        g_queue_push_head(&qmp->queued, cmd);
        qmp_command_arm(cmd);
        qmp_client_flush_queue(qmp);
}

static void qmp_client_handle_event(VkQmpClient *qmp, JsonObject *msg) {
        const char *name = qmp_object_get_string(msg, "event", NULL);
        JsonObject *data = qmp_object_get_object(msg, "data");
        JsonObject *ts = qmp_object_get_object(msg, "timestamp");
        int64_t usec = 0;

        if (!name)
                return;
        if (ts) {
                usec = json_object_get_int_member_with_default(ts, "seconds", 0) * 1000000 +
                       json_object_get_int_member_with_default(ts, "microseconds", 0);
        }
        if (qmp->callbacks.event)
                qmp->callbacks.event(qmp, name, data, usec, qmp->userdata);
}

static void qmp_client_handle_reply(VkQmpClient *qmp, JsonObject *msg) {
        VkQmpCommand *cmd = NULL;
        JsonNode *id = json_object_get_member(msg, "id");

        if (id && JSON_NODE_HOLDS_VALUE(id) && json_node_get_value_type(id) == G_TYPE_STRING)
                cmd = g_hash_table_lookup(qmp->by_id, json_node_get_string(id));
        else if (!id)
                cmd = g_queue_peek_head(&qmp->sent);

        if (!cmd || cmd->text) {
                /* a reply to a command that timed out or was cancelled */
                vk_log_debug("Ignoring QMP reply to an unknown command");
                return;
        }
        qmp_command_unlink(cmd);
        qmp_command_complete(cmd, msg, NULL);
}

static void qmp_client_handle_line(VkQmpClient *qmp, const char *line, size_t len) {
        g_auto(VkError) error = VK_ERROR_INIT;
        g_autoptr(JsonNode) root = NULL;
        JsonObject *msg;

        if (len == 0)
                return;
        /* vk_json_parse() bounds nesting and size before json-glib's recursive parser */
        if (vk_json_parse(line, (gssize) len, &root, &error) < 0)
                return qmp_client_fail(qmp, VK_ERROR_QMP_PROTOCOL, -EPROTO,
                                       "Invalid message from QEMU: %s", error.message);
        if (!JSON_NODE_HOLDS_OBJECT(root))
                return qmp_client_fail(qmp, VK_ERROR_QMP_PROTOCOL, -EPROTO,
                                       "QMP message is not an object");
        msg = json_node_get_object(root);

        if (qmp->state == QMP_STATE_GREETING)
                qmp_client_handle_greeting(qmp, msg);
        else if (json_object_has_member(msg, "event"))
                qmp_client_handle_event(qmp, msg);
        else if (json_object_has_member(msg, "return") || json_object_has_member(msg, "error"))
                qmp_client_handle_reply(qmp, msg);
        else
                vk_log_debug("Ignoring unknown QMP message");
}

static void qmp_client_process_input(VkQmpClient *qmp) {
        size_t start = 0;

        while (qmp->state != QMP_STATE_CLOSED) {
                const guint8 *nl = memchr(qmp->in->data + start, '\n', qmp->in->len - start);
                size_t len;

                if (!nl)
                        break;
                len = (size_t) (nl - (qmp->in->data + start));
                if (len > qmp->max_line)
                        return qmp_client_fail(qmp, VK_ERROR_LIMIT_EXCEEDED, -EMSGSIZE,
                                               "QMP message longer than %zu bytes", qmp->max_line);
                if (len > 0 && qmp->in->data[start + len - 1] == '\r')
                        qmp_client_handle_line(qmp, (const char *) qmp->in->data + start, len - 1);
                else
                        qmp_client_handle_line(qmp, (const char *) qmp->in->data + start, len);
                start += len + 1;
        }
        if (qmp->state == QMP_STATE_CLOSED)
                return;
        if (start > 0)
                g_byte_array_remove_range(qmp->in, 0, (guint) start);
        if (qmp->in->len > qmp->max_line)
                qmp_client_fail(qmp, VK_ERROR_LIMIT_EXCEEDED, -EMSGSIZE,
                                "QMP message longer than %zu bytes", qmp->max_line);
}

static int qmp_client_do_read(VkQmpClient *qmp) {
        for (;;) {
                guint old = qmp->in->len;
                ssize_t n;

                g_byte_array_set_size(qmp->in, old + 65536);
                n = read(qmp->fd, qmp->in->data + old, 65536);
                g_byte_array_set_size(qmp->in, old + (n > 0 ? (guint) n : 0));
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN)
                                return 0;
                        return -errno;
                }
                if (n == 0)
                        return 1;
                /* Process before reading more so one read never grows past the limit much. */
                qmp_client_process_input(qmp);
                if (qmp->state == QMP_STATE_CLOSED)
                        return 0;
        }
}

static int qmp_client_do_write(VkQmpClient *qmp) {
        while (qmp->out->len > 0) {
                ssize_t n = send(qmp->fd, qmp->out->data, qmp->out->len, MSG_NOSIGNAL);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN)
                                return 0;
                        return -errno;
                }
                g_byte_array_remove_range(qmp->out, 0, (guint) n);
        }
        return 0;
}

static int qmp_client_on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        VkQmpClient *qmp = userdata;
        int r;

        qmp_client_ref(qmp);
        if (qmp->state == QMP_STATE_CONNECTING) {
                int err = 0;
                socklen_t len = sizeof(err);
                if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
                        err = errno;
                if (err != 0) {
                        qmp_client_fail(qmp, VK_ERROR_QMP_DISCONNECTED, -err,
                                        "Failed to connect to QMP socket: %s", g_strerror(err));
                        goto out;
                }
                qmp->state = QMP_STATE_GREETING;
                qmp_client_update_events(qmp);
                goto out;
        }

        if (revents & EPOLLOUT) {
                r = qmp_client_do_write(qmp);
                if (r < 0) {
                        qmp_client_fail(qmp, VK_ERROR_QMP_DISCONNECTED, r,
                                        "Failed to write to QMP socket: %s", g_strerror(-r));
                        goto out;
                }
                qmp_client_update_events(qmp);
        }

        if (revents & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
                r = qmp_client_do_read(qmp);
                if (qmp->state == QMP_STATE_CLOSED)
                        goto out;
                if (r < 0)
                        qmp_client_fail(qmp, VK_ERROR_QMP_DISCONNECTED, r,
                                        "Failed to read from QMP socket: %s", g_strerror(-r));
                else if (r > 0)
                        qmp_client_fail(qmp, VK_ERROR_QMP_DISCONNECTED, -ECONNRESET,
                                        "QEMU closed the QMP connection");
        }
out:
        qmp_client_unref(qmp);
        return 0;
}

static int qmp_client_on_handshake_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        VkQmpClient *qmp = userdata;

        qmp_client_ref(qmp);
        qmp_client_fail(qmp, VK_ERROR_TIMEOUT, -ETIMEDOUT, "Timed out waiting for QMP greeting");
        qmp_client_unref(qmp);
        return 0;
}

static int qmp_client_new(sd_event *e, int fd, QmpState state, const VkQmpCallbacks *callbacks,
                          void *userdata, VkQmpClient **ret, VkError *reterr) {
        VkQmpClient *qmp;
        int r;

        qmp = g_new0(VkQmpClient, 1);
        qmp->n_ref = 1;
        qmp->event = sd_event_ref(e);
        qmp->fd = fd;
        qmp->state = state;
        qmp->in = g_byte_array_new();
        qmp->out = g_byte_array_new();
        qmp->max_line = VK_QMP_MAX_LINE_DEFAULT;
        qmp->timeout_usec = VK_QMP_TIMEOUT_DEFAULT;
        g_queue_init(&qmp->queued);
        g_queue_init(&qmp->sent);
        qmp->by_id = g_hash_table_new(g_str_hash, g_str_equal);
        if (callbacks)
                qmp->callbacks = *callbacks;
        qmp->userdata = userdata;

        r = sd_event_add_io(e, &qmp->io, fd, state == QMP_STATE_CONNECTING ? EPOLLOUT : EPOLLIN,
                            qmp_client_on_io, qmp);
        if (r < 0) {
                qmp_client_unref(qmp);
                return vk_error_set_errno(reterr, r, "Failed to watch QMP socket");
        }
        (void) sd_event_source_set_description(qmp->io, "qmp");

        r = sd_event_add_time_relative(e, &qmp->handshake_timer, CLOCK_MONOTONIC, qmp->timeout_usec,
                                       0, qmp_client_on_handshake_timeout, qmp);
        if (r < 0) {
                qmp_client_unref(qmp);
                return vk_error_set_errno(reterr, r, "Failed to arm QMP timer");
        }

        *ret = qmp;
        return 0;
}

/*
 * Run a QMP client on the connected stream socket @fd (ownership moves to the client, also
 * on failure; it is made non-blocking). The client reads the greeting, negotiates
 * capabilities and then calls @callbacks->ready; @callbacks->disconnect is called once when
 * the connection ends for any reason but vk_qmp_client_free(). Must run on the loop.
 */
int vk_qmp_client_new_fd(sd_event *e, int fd, const VkQmpCallbacks *callbacks, void *userdata,
                         VkQmpClient **ret, VkError *reterr) {
        vk_autofd owned = fd;
        int flags;

        assert(e);
        assert(fd >= 0);
        assert(ret);

        flags = fcntl(fd, F_GETFL);
        if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
                return vk_error_set_errno(reterr, errno, "Failed to make QMP socket non-blocking");
        return qmp_client_new(e, vk_steal_fd(&owned), QMP_STATE_GREETING, callbacks, userdata, ret,
                              reterr);
}

/*
 * Connect to the QMP UNIX socket @path without blocking. Errors known at once (no such
 * socket, refused) fail the call; later ones come through @callbacks->disconnect. See
 * vk_qmp_client_new_fd().
 */
int vk_qmp_client_connect(sd_event *e, const char *path, const VkQmpCallbacks *callbacks,
                          void *userdata, VkQmpClient **ret, VkError *reterr) {
        struct sockaddr_un sa;
        vk_autofd fd = -1;
        QmpState state = QMP_STATE_GREETING;
        int salen;

        assert(e);
        assert(path);
        assert(ret);

        salen = vk_sockaddr_un_set(&sa, path, reterr);
        if (salen < 0)
                return salen;

        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return vk_error_set_errno(reterr, errno, "Failed to create socket");
        if (connect(fd, (struct sockaddr *) &sa, salen) < 0) {
                if (errno != EINPROGRESS && errno != EAGAIN)
                        return vk_error_set(reterr, VK_ERROR_QMP_DISCONNECTED, errno,
                                            "Failed to connect to QMP socket '%s': %s", path,
                                            g_strerror(errno));
                state = QMP_STATE_CONNECTING;
        }
        return qmp_client_new(e, vk_steal_fd(&fd), state, callbacks, userdata, ret, reterr);
}

/*
 * Close the connection and free the client (NULL is fine); returns NULL. Pending commands
 * are cancelled: their callbacks are NOT called, and neither is the disconnect callback.
 * May be called from any of the client's callbacks.
 */
VkQmpClient *vk_qmp_client_free(VkQmpClient *qmp) {
        if (!qmp)
                return NULL;
        qmp->callbacks = (VkQmpCallbacks){};
        qmp_client_close(qmp, NULL);
        qmp_client_unref(qmp);
        return NULL;
}

/* Longest QMP message accepted (default VK_QMP_MAX_LINE_DEFAULT); longer ones close. */
void vk_qmp_client_set_max_line(VkQmpClient *qmp, size_t max_line) {
        assert(qmp);
        qmp->max_line = max_line;
}

/* Timeout for commands executed from now on and for the handshake (0 = none). */
void vk_qmp_client_set_timeout(VkQmpClient *qmp, uint64_t usec) {
        assert(qmp);
        qmp->timeout_usec = usec;
        if (qmp->handshake_timer) {
                if (usec == 0)
                        qmp->handshake_timer = sd_event_source_disable_unref(qmp->handshake_timer);
                else
                        (void) sd_event_source_set_time_relative(qmp->handshake_timer, usec);
        }
}

bool vk_qmp_client_is_ready(const VkQmpClient *qmp) {
        return qmp && qmp->state == QMP_STATE_READY;
}

/* The "QMP" member of the greeting (borrowed), NULL before it arrived. */
JsonObject *vk_qmp_client_get_greeting(const VkQmpClient *qmp) {
        assert(qmp);
        return qmp->greeting;
}

static int qmp_command_on_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        VkQmpCommand *cmd = userdata;
        g_auto(VkError) e = VK_ERROR_INIT;
        VkQmpClient *qmp = cmd->qmp;

        qmp_client_ref(qmp);
        (void) vk_error_set(&e, VK_ERROR_TIMEOUT, -ETIMEDOUT,
                            "Timed out waiting for QEMU to answer a QMP command");
        qmp_command_unlink(cmd);
        if (cmd->internal)
                qmp_client_fail(qmp, VK_ERROR_TIMEOUT, -ETIMEDOUT,
                                "Timed out negotiating QMP capabilities");
        qmp_command_complete(cmd, NULL, &e);
        qmp_client_unref(qmp);
        return 0;
}

static VkQmpCommand *qmp_command_new(VkQmpClient *qmp) {
        VkQmpCommand *cmd = g_new0(VkQmpCommand, 1);

        cmd->qmp = qmp;
        cmd->id = g_strdup_printf("vk-%u", ++qmp->next_id);
        cmd->text = g_string_new(NULL);
        g_hash_table_insert(qmp->by_id, cmd->id, cmd);
        return cmd;
}

static void qmp_command_arm(VkQmpCommand *cmd) {
        if (cmd->qmp->timeout_usec > 0)
                (void) vk_qmp_command_set_timeout(cmd, cmd->qmp->timeout_usec);
}

static int qmp_client_check_can_queue(VkQmpClient *qmp, VkError *reterr) {
        if (qmp->state == QMP_STATE_CLOSED)
                return vk_error_set(reterr, VK_ERROR_QMP_DISCONNECTED, -ENOTCONN,
                                    "QMP connection is closed");
        if (g_hash_table_size(qmp->by_id) >= VK_QMP_MAX_PENDING_DEFAULT)
                return vk_error_set(reterr, VK_ERROR_LIMIT_EXCEEDED, -ENOBUFS,
                                    "Too many QMP commands pending");
        return 0;
}

static void qmp_command_enqueue(VkQmpCommand *cmd, VkQmpCommand **ret_cmd) {
        g_queue_push_tail(&cmd->qmp->queued, cmd);
        qmp_command_arm(cmd);
        qmp_client_flush_queue(cmd->qmp);
        if (ret_cmd)
                *ret_cmd = cmd;
}

/*
 * Send @command with @args (may be NULL; not taken, serialized now). @callback runs exactly
 * once, from the loop, with the reply, a QMP error, a timeout or a disconnect; never after
 * vk_qmp_client_free() or vk_qmp_command_cancel(). *@ret_cmd (may be NULL) is a borrowed
 * handle to the command, owned by the client, valid until the callback runs. May be called
 * before the handshake finished: the command waits for it. Fails only when the connection is
 * closed or too many commands are pending.
 */
int vk_qmp_execute(VkQmpClient *qmp, const char *command, JsonObject *args, VkQmpReplyFunc callback,
                   void *userdata, VkQmpCommand **ret_cmd, VkError *reterr) {
        g_autoptr(JsonBuilder) b = json_builder_new_immutable();
        g_autoptr(JsonNode) root = NULL;
        g_autofree char *text = NULL;
        VkQmpCommand *cmd;
        int r;

        assert(qmp);
        assert(command);

        r = qmp_client_check_can_queue(qmp, reterr);
        if (r < 0)
                return r;

        cmd = qmp_command_new(qmp);
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "execute");
        json_builder_add_string_value(b, command);
        if (args) {
                g_autoptr(JsonNode) a = json_node_new(JSON_NODE_OBJECT);
                json_node_set_object(a, args);
                json_builder_set_member_name(b, "arguments");
                json_builder_add_value(b, g_steal_pointer(&a));
        }
        json_builder_set_member_name(b, "id");
        json_builder_add_string_value(b, cmd->id);
        json_builder_end_object(b);
        root = json_builder_get_root(b);
        text = json_to_string(root, FALSE);
        g_string_assign(cmd->text, text);

        cmd->callback = callback;
        cmd->userdata = userdata;
        qmp_command_enqueue(cmd, ret_cmd);
        return 0;
}

/*
 * Monitor pass-through: send @json_text, a JSON object with "execute" (and optionally
 * "arguments" and "id"), and get the whole reply back as text, with the caller's "id" put
 * back. QMP errors are part of the reply text; @callback's error is set only for timeouts
 * and lost connections. Invalid input fails the call with VK_ERROR_INVALID_ARGUMENT.
 * Otherwise as vk_qmp_execute().
 */
int vk_qmp_execute_raw(VkQmpClient *qmp, const char *json_text, VkQmpRawReplyFunc callback,
                       void *userdata, VkQmpCommand **ret_cmd, VkError *reterr) {
        g_auto(VkError) error = VK_ERROR_INIT;
        g_autoptr(JsonNode) root = NULL;
        g_autofree char *text = NULL;
        JsonObject *obj;
        VkQmpCommand *cmd;
        int r;

        assert(qmp);
        assert(json_text);

        if (vk_json_parse(json_text, -1, &root, &error) < 0)
                return vk_error_set(reterr, error.name, -EINVAL, "Invalid monitor command: %s",
                                    error.message);
        if (!JSON_NODE_HOLDS_OBJECT(root))
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "Monitor command must be a JSON object");
        obj = json_node_get_object(root);
        if (!qmp_object_get_string(obj, "execute", NULL))
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "Monitor command has no \"execute\" string");
        if (json_object_has_member(obj, "exec-oob"))
                return vk_error_set(reterr, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                    "Out-of-band monitor commands are not supported");

        r = qmp_client_check_can_queue(qmp, reterr);
        if (r < 0)
                return r;

        cmd = qmp_command_new(qmp);
        cmd->raw = true;
        if (json_object_has_member(obj, "id"))
                cmd->user_id = json_node_copy(json_object_get_member(obj, "id"));
        json_object_set_string_member(obj, "id", cmd->id);
        text = json_to_string(root, FALSE);
        g_string_assign(cmd->text, text);

        cmd->raw_callback = callback;
        cmd->userdata = userdata;
        qmp_command_enqueue(cmd, ret_cmd);
        return 0;
}

/*
 * Run an HMP command line through "human-monitor-command". On success @callback gets the
 * output as a string node. Otherwise as vk_qmp_execute().
 */
int vk_qmp_human_monitor_command(VkQmpClient *qmp, const char *command_line,
                                 VkQmpReplyFunc callback, void *userdata, VkQmpCommand **ret_cmd,
                                 VkError *reterr) {
        g_autoptr(JsonObject) args = json_object_new();

        assert(command_line);
        json_object_set_string_member(args, "command-line", command_line);
        return vk_qmp_execute(qmp, "human-monitor-command", args, callback, userdata, ret_cmd,
                              reterr);
}

/* Replace the command's timeout, counted from now (0 = none). Returns 0 or -errno. */
int vk_qmp_command_set_timeout(VkQmpCommand *cmd, uint64_t usec) {
        assert(cmd);

        cmd->timer = sd_event_source_disable_unref(cmd->timer);
        if (usec == 0)
                return 0;
        return sd_event_add_time_relative(cmd->qmp->event, &cmd->timer, CLOCK_MONOTONIC, usec, 0,
                                          qmp_command_on_timeout, cmd);
}

/*
 * Forget @cmd: its callback is not called. If it was already written, QEMU still runs it and
 * its reply is dropped. Must not be called after the callback ran.
 */
void vk_qmp_command_cancel(VkQmpCommand *cmd) {
        if (!cmd)
                return;
        if (cmd->text) {
                /* never written: QEMU never sees it */
                qmp_command_unlink(cmd);
                qmp_command_free(cmd);
                return;
        }
        /* written: keep the id known so the reply is recognized and dropped */
        cmd->callback = NULL;
        cmd->raw_callback = NULL;
        cmd->timer = sd_event_source_disable_unref(cmd->timer);
}

/* The first command of @q with a callback to call (not our qmp_capabilities), else NULL. */
static VkQmpCommand *qmp_first_answerable(GQueue *q) {
        for (GList *l = q->head; l; l = l->next) {
                VkQmpCommand *cmd = l->data;

                if (!cmd->internal && (cmd->callback || cmd->raw_callback))
                        return cmd;
        }
        return NULL;
}

/*
 * Answer every pending command now, with @error: their callbacks run (not from the loop), the
 * connection stays and replies QEMU still sends are dropped. For an owner that goes away and
 * whose callbacks hold references; commands they send meanwhile are answered too (bounded by
 * the queue limit). Returns how many were answered.
 */
unsigned vk_qmp_client_fail_pending(VkQmpClient *qmp, const VkError *error) {
        unsigned n = 0;

        assert(qmp);
        assert(error);
        qmp_client_ref(qmp);
        while (n < 4 * VK_QMP_MAX_PENDING_DEFAULT) {
                VkQmpCommand *cmd = qmp_first_answerable(&qmp->sent);
                VkQmpReplyFunc callback;
                VkQmpRawReplyFunc raw_callback;
                void *userdata;

                if (!cmd)
                        cmd = qmp_first_answerable(&qmp->queued);
                if (!cmd)
                        break;
                callback = cmd->callback;
                raw_callback = cmd->raw_callback;
                userdata = cmd->userdata;
                vk_qmp_command_cancel(cmd);
                if (raw_callback)
                        raw_callback(qmp, NULL, error, userdata);
                else
                        callback(qmp, NULL, error, userdata);
                n++;
        }
        qmp_client_unref(qmp);
        return n;
}
