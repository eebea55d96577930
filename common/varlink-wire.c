/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* varlink-wire.c: the byte side of varlink shared by server and client: NUL-framed buffers */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "json.h"
#include "varlink-wire.h"

#define VARLINK_READ_CHUNK (64u * 1024u)

/* Write as much of @out (from *@offset) as the socket takes without blocking. */
int vk_varlink_buffer_flush(int fd, GByteArray *out, size_t *offset) {
        while (*offset < out->len) {
                ssize_t n = send(fd, out->data + *offset, out->len - *offset,
                                 MSG_DONTWAIT | MSG_NOSIGNAL);
                if (n < 0) {
                        if (errno == EAGAIN || errno == EINTR)
                                break;
                        return -errno;
                }
                *offset += (size_t) n;
        }
        if (*offset == out->len) {
                g_byte_array_set_size(out, 0);
                *offset = 0;
        } else if (*offset > (1u << 20)) {
                g_byte_array_remove_range(out, 0, (guint) *offset);
                *offset = 0;
        }
        return 0;
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

void vk_varlink_buffer_append_message(GByteArray *out, JsonNode *msg) {
        g_autofree char *text = vk_json_to_string(msg, false);

        g_byte_array_append(out, (const guint8 *) text, (guint) strlen(text) + 1);
}

bool vk_varlink_json_bool_member(JsonObject *o, const char *name) {
        JsonNode *n = json_object_get_member(o, name);

        return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_BOOLEAN &&
               json_node_get_boolean(n);
}
