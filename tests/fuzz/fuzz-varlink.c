/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fuzz-varlink.c: bytes from a client through varlink framing, JSON and parameter decoding */
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "call.h"
#include "log.h"
#include "macro.h"
#include "sd-glue.h"

typedef struct Item {
        char *name;
        int64_t n;
} Item;

static const VkField item_fields[] = { { "name", VK_FIELD_STRING, offsetof(Item, name),
                                         VK_FIELD_REQUIRED },
                                       { "n", VK_FIELD_INT, offsetof(Item, n), 0 },
                                       {} };

static const VkStructType item_type = {
        .name = "Item",
        .size = sizeof(Item),
        .fields = item_fields,
};

typedef struct Args {
        char *text;
        bool flag;
        uint64_t count;
        double ratio;
        char **tags;
        VkArray items;
        Item first;
} Args;

static const VkField args_fields[] = {
        { "text", VK_FIELD_STRING, offsetof(Args, text), VK_FIELD_REQUIRED },
        { "flag", VK_FIELD_BOOL, offsetof(Args, flag), 0 },
        { "count", VK_FIELD_UINT, offsetof(Args, count), 0 },
        { "ratio", VK_FIELD_DOUBLE, offsetof(Args, ratio), 0 },
        { "tags", VK_FIELD_STRV, offsetof(Args, tags), 0 },
        { "items", VK_FIELD_ARRAY, offsetof(Args, items), 0, &item_type },
        { "first", VK_FIELD_STRUCT, offsetof(Args, first), 0, &item_type },
        {},
};

static const VkStructType args_type = {
        .size = sizeof(Args),
        .fields = args_fields,
};

static int echo(VkCall *call, void *params, void *userdata) {
        return vk_call_reply(call, params);
}

static int stream(VkCall *call, void *params, void *userdata) {
        Item it = { .name = (char *) "x" };

        (void) vk_call_reply_continue(call, &it);
        return vk_call_reply(call, &it);
}

static const VkMethod methods[] = { { "Echo", &args_type, &args_type, echo, VK_AUTH_READ, 0, NULL },
                                    { "Change", &args_type, NULL, echo, VK_AUTH_MANAGE, 0, NULL },
                                    { "Stream", NULL, &item_type, stream, VK_AUTH_READ,
                                      VK_METHOD_STREAM, NULL },
                                    {} };

static const VkMethod *const tables[] = { methods, NULL };

static const VkInterface iface = {
        VK_INTERFACE_NAMES("Fuzz", "fuzz"),
        .method_tables = tables,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Everything the server sent: each NUL-terminated message must be valid UTF-8 */
static void fuzz_read_replies(int fd, GByteArray *replies) {
        char buf[65536];
        ssize_t n;

        while ((n = read(fd, buf, sizeof(buf))) > 0)
                if (replies->len < (64u << 20))
                        g_byte_array_append(replies, (const guint8 *) buf, (guint) n);
}

/* Write @data as far as the server takes it, running its loop in between (one thread) */
static void fuzz_feed(sd_event *event, int fd, const uint8_t *data, size_t size,
                      GByteArray *replies) {
        unsigned stalled = 0;

        while (size > 0 && stalled < 1000) {
                ssize_t n = write(fd, data, size);

                if (n > 0) {
                        data += n;
                        size -= (size_t) n;
                        stalled = 0;
                } else if (n < 0 && errno != EAGAIN)
                        return; /* the server closed the connection */
                else
                        stalled++;
                (void) sd_event_run(event, 0);
                fuzz_read_replies(fd, replies);
        }
}

/*
 * The input is what a client sends, with the daemons' real limits (8 MiB messages, 64 levels,
 * 262,144 values): run with -max_len=9000000 to reach the oversize path. It goes in two writes,
 * each split as the socket takes it, so that framing across reads is exercised.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        g_autoptr(sd_event) event = NULL;
        g_autoptr(VkService) service = NULL;
        g_autoptr(GByteArray) replies = g_byte_array_new();
        VkVarlinkLimits limits = VK_VARLINK_LIMITS_DEFAULT;
        VkServiceOptions opts = { .iface = &iface, .limits = &limits, .session = true };
        vk_autofd client = -1;
        int sv[2];

        (void) signal(SIGPIPE, SIG_IGN); /* the server may close before we stop writing */
        vk_log_set_max_level(LOG_CRIT);
        if (sd_event_new(&event) < 0 || vk_service_new(event, &opts, &service) < 0)
                return 0;
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) < 0)
                return 0;
        client = sv[1];
        if (vk_service_add_varlink_connection(service, sv[0]) < 0)
                return 0;

        fuzz_feed(event, client, data, size / 2, replies);
        for (int i = 0; i < 4; i++)
                (void) sd_event_run(event, 0);
        fuzz_feed(event, client, data + size / 2, size - size / 2, replies);
        (void) shutdown(client, SHUT_WR);
        for (int i = 0; i < 64; i++) {
                if (sd_event_run(event, 0) <= 0 && vk_service_is_idle(service))
                        break;
                fuzz_read_replies(client, replies);
        }
        fuzz_read_replies(client, replies);

        for (guint start = 0, i = 0; i < replies->len; i++)
                if (replies->data[i] == 0) {
                        if (!g_utf8_validate((const char *) replies->data + start,
                                             (gssize) (i - start), NULL))
                                __builtin_trap();
                        start = i + 1;
                }
        return 0;
}
