/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* varlink-wire.c: the byte side of varlink shared by server and client: NUL-framed buffers */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "json.h"
#include "varlink-wire.h"

#define VARLINK_READ_CHUNK (64u * 1024u)

static void fd_batch_free(gpointer p) {
        VkVarlinkFdBatch *b = p;

        for (size_t i = 0; i < b->n; i++)
                (void) close(b->fds[i]);
        g_free(b);
}

/* Close and forget every descriptor of the batches in @q. */
void vk_varlink_fd_queue_clear(GQueue *q) {
        g_queue_clear_full(q, fd_batch_free);
}

/* How many descriptors the batches in @q hold. */
size_t vk_varlink_fd_queue_count(GQueue *q) {
        size_t n = 0;

        for (GList *l = q->head; l; l = l->next)
                n += ((VkVarlinkFdBatch *) l->data)->n;
        return n;
}

/* Close the descriptors in @fds (an array of int; takes NULL) and free it. */
void vk_varlink_fds_close(GArray *fds) {
        if (!fds)
                return;
        for (guint i = 0; i < fds->len; i++)
                (void) close(g_array_index(fds, int, i));
        g_array_unref(fds);
}

/* Send @len bytes at @data, with @batch's descriptors when it is not NULL. */
static ssize_t send_chunk(int fd, const guint8 *data, size_t len, const VkVarlinkFdBatch *batch) {
        union {
                struct cmsghdr h;
                char buf[CMSG_SPACE(sizeof(int) * VK_VARLINK_MAX_FDS)];
        } control = {};
        struct iovec iov = { .iov_base = (void *) data, .iov_len = len };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
        struct cmsghdr *cm;

        if (!batch)
                return send(fd, data, len, MSG_DONTWAIT | MSG_NOSIGNAL);
        mh.msg_control = control.buf;
        mh.msg_controllen = CMSG_SPACE(sizeof(int) * batch->n);
        cm = CMSG_FIRSTHDR(&mh);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int) * batch->n);
        memcpy(CMSG_DATA(cm), batch->fds, sizeof(int) * batch->n);
        return sendmsg(fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
}

/*
 * Write as much of @out (from *@offset) as the socket takes without blocking. The batches in
 * @out_fds (may be NULL) go with the first byte of their message, in a send of that message
 * alone (so that the peer reads them with bytes of that message only).
 */
int vk_varlink_buffer_flush_fds(int fd, GByteArray *out, size_t *offset, GQueue *out_fds) {
        while (*offset < out->len) {
                VkVarlinkFdBatch *b = out_fds ? g_queue_peek_head(out_fds) : NULL;
                bool with_fds = b && b->offset == *offset;
                size_t end = with_fds ? b->end : b ? MIN(out->len, b->offset) : out->len;
                ssize_t n;

                n = send_chunk(fd, out->data + *offset, end - *offset, with_fds ? b : NULL);
                if (n < 0) {
                        if (errno == EAGAIN || errno == EINTR)
                                break;
                        return -errno;
                }
                if (with_fds)
                        fd_batch_free(g_queue_pop_head(out_fds)); /* sent: the peer has copies */
                *offset += (size_t) n;
        }
        if (*offset == out->len) {
                g_byte_array_set_size(out, 0);
                *offset = 0;
        } else if (*offset > (1u << 20)) {
                for (GList *l = out_fds ? out_fds->head : NULL; l; l = l->next) {
                        VkVarlinkFdBatch *b = l->data;

                        b->offset -= *offset;
                        b->end -= *offset;
                }
                g_byte_array_remove_range(out, 0, (guint) *offset);
                *offset = 0;
        }
        return 0;
}

/* Write as much of @out (from *@offset) as the socket takes without blocking. */
int vk_varlink_buffer_flush(int fd, GByteArray *out, size_t *offset) {
        return vk_varlink_buffer_flush_fds(fd, out, offset, NULL);
}

/* Read what is there into @in. Returns bytes read, 0 on EOF, -EAGAIN when nothing was there. */
ssize_t vk_varlink_buffer_recv(int fd, GByteArray *in) {
        guint old = in->len;
        ssize_t n;

        g_byte_array_set_size(in, old + VARLINK_READ_CHUNK);
        n = recv(fd, in->data + old, VARLINK_READ_CHUNK, MSG_DONTWAIT);
        if (n < 0) {
                g_byte_array_set_size(in, old);
                return errno == EINTR ? -EAGAIN : -errno;
        }
        g_byte_array_set_size(in, old + (guint) n);
        return n;
}

/*
 * vk_varlink_buffer_recv() that also takes descriptors (SCM_RIGHTS) into @in_fds, as a batch
 * placed at the last byte read with them. Returns -EMSGSIZE (nothing kept) when a message
 * carried more than VK_VARLINK_MAX_FDS or the queue would go past VK_VARLINK_MAX_QUEUED_FDS.
 */
ssize_t vk_varlink_buffer_recv_fds(int fd, GByteArray *in, GQueue *in_fds) {
        union {
                struct cmsghdr h;
                char buf[CMSG_SPACE(sizeof(int) * VK_VARLINK_MAX_FDS)];
        } control;
        guint old = in->len;
        struct iovec iov;
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
        g_autofree VkVarlinkFdBatch *batch = NULL;
        bool too_many;
        ssize_t n;

        g_byte_array_set_size(in, old + VARLINK_READ_CHUNK);
        iov = (struct iovec){ .iov_base = in->data + old, .iov_len = VARLINK_READ_CHUNK };
        mh.msg_control = control.buf;
        mh.msg_controllen = sizeof(control.buf);
        n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
        if (n < 0) {
                g_byte_array_set_size(in, old);
                return errno == EINTR ? -EAGAIN : -errno;
        }
        g_byte_array_set_size(in, old + (guint) n);
        for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
                size_t k;

                if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
                        continue;
                k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                if (!batch)
                        batch = g_new0(VkVarlinkFdBatch, 1);
                for (size_t i = 0; i < k; i++) {
                        int v;

                        memcpy(&v, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
                        if (batch->n < VK_VARLINK_MAX_FDS)
                                batch->fds[batch->n++] = v;
                        else
                                (void) close(v);
                }
        }
        if (!batch)
                return (mh.msg_flags & MSG_CTRUNC) ? -EMSGSIZE : n;
        too_many = (mh.msg_flags & MSG_CTRUNC) || n == 0 ||
                   vk_varlink_fd_queue_count(in_fds) + batch->n > VK_VARLINK_MAX_QUEUED_FDS;
        if (too_many) {
                fd_batch_free(g_steal_pointer(&batch));
                return -EMSGSIZE;
        }
        batch->offset = in->len - 1;
        g_queue_push_tail(in_fds, g_steal_pointer(&batch));
        return n;
}

/*
 * Take the first NUL-terminated message off @in and parse it as a JSON object. Returns 1 with
 * *@ret set, 0 when no complete message is buffered, -EMSGSIZE when the message exceeds @max
 * bytes (with or without its terminator), -EBADMSG when it is not a JSON object, -E2BIG when
 * it is nested too deep or holds too many values; @reterr says which, naming the limit.
 */
int vk_varlink_buffer_take_message(GByteArray *in, size_t max, JsonNode **ret, VkError *reterr) {
        g_autoptr(JsonNode) root = NULL;
        guint8 *nul = memchr(in->data, 0, in->len);
        size_t len;
        int r;

        if (!nul && in->len <= max)
                return 0;
        len = nul ? (size_t) (nul - in->data) : in->len;
        if (len > max)
                r = vk_error_set(reterr, VK_ERROR_LIMIT_EXCEEDED, -EMSGSIZE,
                                 "message of %s%zu bytes exceeds the limit of %zu bytes",
                                 nul ? "" : "at least ", len, max);
        else
                r = vk_json_parse((const char *) in->data, (gssize) len, &root, reterr);
        if (nul)
                g_byte_array_remove_range(in, 0, (guint) len + 1);
        if (r < 0)
                return r == -EMSGSIZE || r == -E2BIG ? r : -EBADMSG;
        if (!JSON_NODE_HOLDS_OBJECT(root))
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EBADMSG,
                                    "message is not a JSON object");
        *ret = g_steal_pointer(&root);
        return 1;
}

/*
 * vk_varlink_buffer_take_message() for a connection that takes descriptors: the batches of
 * @in_fds received with the message's bytes go to *@ret_fds (an array of int the caller
 * closes; NULL when none), the others stay, their offsets moved with the buffer.
 */
int vk_varlink_buffer_take_message_fds(GByteArray *in, size_t max, GQueue *in_fds, JsonNode **ret,
                                       GArray **ret_fds, VkError *reterr) {
        g_autoptr(GArray) fds = NULL;
        guint8 *nul = memchr(in->data, 0, in->len);
        size_t taken;
        int r;

        *ret_fds = NULL;
        if (!nul || g_queue_is_empty(in_fds))
                return vk_varlink_buffer_take_message(in, max, ret, reterr);
        taken = (size_t) (nul - in->data) + 1;
        while (!g_queue_is_empty(in_fds) &&
               ((VkVarlinkFdBatch *) g_queue_peek_head(in_fds))->offset < taken) {
                VkVarlinkFdBatch *b = g_queue_pop_head(in_fds);

                if (!fds)
                        fds = g_array_new(false, false, sizeof(int));
                g_array_append_vals(fds, b->fds, (guint) b->n);
                b->n = 0;
                fd_batch_free(b);
        }
        for (GList *l = in_fds->head; l; l = l->next)
                ((VkVarlinkFdBatch *) l->data)->offset -= taken;
        if (fds && fds->len > VK_VARLINK_MAX_FDS) {
                vk_varlink_fds_close(g_steal_pointer(&fds));
                g_byte_array_remove_range(in, 0, (guint) taken);
                return vk_error_set(reterr, VK_ERROR_LIMIT_EXCEEDED, -EMSGSIZE,
                                    "a message carries more than %u file descriptors",
                                    VK_VARLINK_MAX_FDS);
        }
        r = vk_varlink_buffer_take_message(in, max, ret, reterr);
        if (r <= 0) {
                vk_varlink_fds_close(g_steal_pointer(&fds));
                return r;
        }
        *ret_fds = g_steal_pointer(&fds);
        return r;
}

void vk_varlink_buffer_append_message(GByteArray *out, JsonNode *msg) {
        g_autofree char *text = vk_json_to_string(msg, false);

        g_byte_array_append(out, (const guint8 *) text, (guint) strlen(text) + 1);
}

bool vk_varlink_json_bool_member(JsonObject *o, const char *name) {
        JsonNode *n = json_object_get_member(o, name);

        return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_BOOLEAN &&
               json_node_get_boolean(n);
}

/*
 * Append @msg to @out with copies of the @n_fds descriptors @fds (the caller keeps its own),
 * queued on @out_fds until they are sent. -E2BIG for more than VK_VARLINK_MAX_FDS, -errno
 * when one cannot be copied (nothing appended then).
 */
int vk_varlink_buffer_append_message_fds(GByteArray *out, GQueue *out_fds, JsonNode *msg,
                                         const int *fds, size_t n_fds) {
        g_autofree VkVarlinkFdBatch *b = NULL;

        if (n_fds == 0) {
                vk_varlink_buffer_append_message(out, msg);
                return 0;
        }
        if (n_fds > VK_VARLINK_MAX_FDS)
                return -E2BIG;
        b = g_new0(VkVarlinkFdBatch, 1);
        for (size_t i = 0; i < n_fds; i++) {
                int c = fcntl(fds[i], F_DUPFD_CLOEXEC, 3);

                if (c < 0) {
                        int r = -errno;

                        fd_batch_free(g_steal_pointer(&b));
                        return r;
                }
                b->fds[b->n++] = c;
        }
        b->offset = out->len;
        vk_varlink_buffer_append_message(out, msg);
        b->end = out->len;
        g_queue_push_tail(out_fds, g_steal_pointer(&b));
        return 0;
}
