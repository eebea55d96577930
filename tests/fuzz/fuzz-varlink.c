/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fuzz-varlink.c: bytes from a client through varlink framing, JSON and parameter decoding */
#include <stddef.h>
#include <signal.h>
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        g_autoptr(sd_event) event = NULL;
        g_autoptr(VkService) service = NULL;
        VkVarlinkLimits limits = VK_VARLINK_LIMITS_DEFAULT;
        VkServiceOptions opts = { .iface = &iface, .limits = &limits, .session = true };
        vk_autofd client = -1;
        int sv[2];
        char buf[65536];

        (void) signal(SIGPIPE, SIG_IGN); /* the server may close before we stop writing */
        vk_log_set_max_level(LOG_CRIT);
        limits.max_message = 4096; /* reach the oversize path with small inputs */
        if (sd_event_new(&event) < 0 || vk_service_new(event, &opts, &service) < 0)
                return 0;
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) < 0)
                return 0;
        client = sv[1];
        if (vk_service_add_varlink_connection(service, sv[0]) < 0)
                return 0;

        /* feed the input in two writes so that framing across reads is exercised */
        if (size > 0)
                (void) !write(client, data, size / 2);
        for (int i = 0; i < 4; i++)
                (void) sd_event_run(event, 0);
        if (size > size / 2)
                (void) !write(client, data + size / 2, size - size / 2);
        (void) shutdown(client, SHUT_WR);
        for (int i = 0; i < 64; i++) {
                if (sd_event_run(event, 0) <= 0 && vk_service_is_idle(service))
                        break;
                while (read(client, buf, sizeof(buf)) > 0)
                        ;
        }
        return 0;
}
