/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* varlink-batch.c: calls to a sibling daemon, sent at once on one connection, answered together */
#include <assert.h>
#include <string.h>

#include "json.h"
#include "macro.h"
#include "sd-glue.h"
#include "varlink-batch.h"
#include "varlink-client.h"

/*
 * A daemon asking a sibling several things before it goes on (qemud asking secretd for the
 * secrets of a domain's disks, storaged for a volume's passphrase): every call is sent at
 * once on one connection (varlink answers in order), each answer is checked by the caller's
 * callback, and the first failure ends the batch. Every error names the call it is about
 * (its label: "disk 'vda': secret 8f3c..."), the daemon and its socket, and carries the call's
 * parameter (secret=, volume=). The completion always comes from a defer source, never from
 * inside a reply or the call that started the batch.
 */

typedef struct BatchCall {
        VkVarlinkBatch *owner;
        size_t index;
        char *method;
        JsonNode *params; /* until sent */
        char *label;
        char **error_params; /* key, value, ...; NULL: none */
        JsonObject *reply;   /* once answered */
} BatchCall;

struct VkVarlinkBatch {
        sd_event *event;
        char *daemon;
        char *socket_path;
        VkVarlinkClient *client;
        GPtrArray *calls; /* BatchCall */
        unsigned n_pending;
        VkError error;
        bool finished;
        sd_event_source *timer;
        sd_event_source *defer;
        VkVarlinkBatchReplyFunc on_reply;
        VkVarlinkBatchDoneFunc done;
        void *userdata;
};

static void batch_call_free(BatchCall *c) {
        g_free(c->method);
        if (c->params)
                json_node_unref(c->params);
        g_free(c->label);
        g_strfreev(c->error_params);
        if (c->reply)
                json_object_unref(c->reply);
        g_free(c);
}

/* A batch of calls to @daemon ("virtkit-secretd", for errors) at @socket_path, not sent yet. */
VkVarlinkBatch *vk_varlink_batch_new(sd_event *e, const char *daemon, const char *socket_path) {
        VkVarlinkBatch *b = g_new0(VkVarlinkBatch, 1);

        assert(e && daemon && socket_path);
        b->event = sd_event_ref(e);
        b->daemon = g_strdup(daemon);
        b->socket_path = g_strdup(socket_path);
        b->calls = g_ptr_array_new_with_free_func((GDestroyNotify) batch_call_free);
        return b;
}

/*
 * Queue a call of @method with @params (taken; NULL: none). @label begins every error about
 * it; @error_params (key, value, ..., NULL; or NULL) are added to such an error as its
 * parameters. Its index is the number of calls queued before it.
 */
void vk_varlink_batch_add(VkVarlinkBatch *b, const char *method, JsonNode *params,
                          const char *label, const char *const *error_params) {
        BatchCall *c = g_new0(BatchCall, 1);

        assert(b && method && label && !b->client);
        c->owner = b;
        c->index = b->calls->len;
        c->method = g_strdup(method);
        c->params = params;
        c->label = g_strdup(label);
        c->error_params = g_strdupv((char **) error_params);
        g_ptr_array_add(b->calls, c);
}

size_t vk_varlink_batch_size(const VkVarlinkBatch *b) {
        return b->calls->len;
}

/* "virtkit-secretd at '/run/...' refused: io.virtkit.Secret.NoSuchSecret: <its message>" */
char *vk_varlink_batch_refusal(const VkVarlinkBatch *b, JsonObject *params, const char *error) {
        const char *msg =
                params ? vk_json_object_get_string_member_or_null(params, "message") : NULL;

        return g_strdup_printf("%s at '%s' refused: %s%s%s", b->daemon, b->socket_path, error,
                               msg ? ": " : "", msg ? msg : "");
}

static int batch_on_defer(sd_event_source *src, void *userdata) {
        VkVarlinkBatch *b = userdata;

        b->defer = sd_event_source_disable_unref(b->defer);
        b->timer = sd_event_source_disable_unref(b->timer);
        /* the connection is done with; the callback may free us */
        b->client = vk_varlink_client_free(b->client);
        b->done(b, b->error.name ? &b->error : NULL, b->userdata);
        return 0;
}

/* End the batch (once): the callback runs from a defer source. */
static void batch_finish(VkVarlinkBatch *b) {
        if (b->finished)
                return;
        b->finished = true;
        /* without a defer source the caller's own timeout reports the failure */
        (void) sd_event_add_defer(b->event, &b->defer, batch_on_defer, b);
}

static int batch_set_error(VkError *e, const BatchCall *c, const char *name, int err,
                           const char *why) {
        int r = vk_error_set(e, name ? name : VK_ERROR_OPERATION_FAILED, err, "%s: %s", c->label,
                             why);

        for (char **p = c->error_params; p && p[0] && p[1]; p += 2)
                vk_error_add_param(e, p[0], p[1]);
        return r;
}

static void batch_fail(VkVarlinkBatch *b, const BatchCall *c, const char *name, int err,
                       const char *why) {
        if (b->finished)
                return;
        (void) batch_set_error(&b->error, c, name, err, why);
        batch_finish(b);
}

static void batch_on_reply(VkVarlinkClient *cl, JsonObject *params, const char *error,
                           bool continues, void *userdata) {
        BatchCall *c = userdata;
        VkVarlinkBatch *b = c->owner;
        g_autofree char *why = NULL;
        const char *name = NULL;
        int r = 0;

        b->n_pending--;
        if (b->finished)
                return;
        if (error && strcmp(error, VK_VARLINK_ERROR_DISCONNECTED) == 0) {
                why = g_strdup_printf("%s at '%s' cannot be reached: it closed the connection",
                                      b->daemon, b->socket_path);
                batch_fail(b, c, NULL, -ECONNRESET, why);
                return;
        }
        if (b->on_reply)
                r = b->on_reply(b, c->index, params, error, &name, &why, b->userdata);
        else if (error) {
                why = vk_varlink_batch_refusal(b, params, error);
                r = -EREMOTEIO;
        }
        if (r < 0) {
                batch_fail(b, c, name, r, why ? why : g_strerror(-r));
                return;
        }
        if (params)
                c->reply = json_object_ref(params);
        if (b->n_pending == 0)
                batch_finish(b);
}

static int batch_on_timeout(sd_event_source *src, uint64_t usec, void *userdata) {
        VkVarlinkBatch *b = userdata;
        g_autofree char *why =
                g_strdup_printf("%s at '%s' did not answer in time", b->daemon, b->socket_path);

        b->timer = sd_event_source_disable_unref(b->timer);
        for (guint i = 0; i < b->calls->len; i++) {
                BatchCall *c = b->calls->pdata[i];

                if (!c->reply) {
                        batch_fail(b, c, VK_ERROR_TIMEOUT, -ETIMEDOUT, why);
                        break;
                }
        }
        return 0;
}

/*
 * Connect and send every queued call (at least one). @on_reply (NULL: any reply is accepted,
 * any error refused) checks each answer; @done runs once from the loop, after all answers or
 * at the first failure or after @timeout_usec. A failure to connect or send fails this call
 * (with an error naming the first call, the daemon and its socket), and @done never runs then.
 * Freeing @b cancels it without a callback. Must run on the loop.
 */
int vk_varlink_batch_start(VkVarlinkBatch *b, uint64_t timeout_usec,
                           VkVarlinkBatchReplyFunc on_reply, VkVarlinkBatchDoneFunc done,
                           void *userdata, VkError *reterr) {
        g_auto(VkError) err = VK_ERROR_INIT;
        int r;

        assert(b && done && !b->client && b->calls->len > 0);
        b->on_reply = on_reply;
        b->done = done;
        b->userdata = userdata;
        r = vk_varlink_client_connect(b->event, b->socket_path, &b->client, &err);
        if (r < 0) {
                g_autofree char *why = g_strdup_printf("%s at '%s' cannot be reached: %s",
                                                       b->daemon, b->socket_path, err.message);

                return batch_set_error(reterr, b->calls->pdata[0], NULL, r, why);
        }
        for (guint i = 0; i < b->calls->len; i++) {
                BatchCall *c = b->calls->pdata[i];

                r = vk_varlink_client_call(b->client, c->method, c->params, /* flags= */ 0,
                                           batch_on_reply, c);
                g_clear_pointer(&c->params, json_node_unref);
                if (r < 0) {
                        g_autofree char *why =
                                g_strdup_printf("%s at '%s' cannot be reached: %s", b->daemon,
                                                b->socket_path, g_strerror(-r));

                        return batch_set_error(reterr, c, NULL, r, why);
                }
                b->n_pending++;
        }
        r = sd_event_add_time_relative(b->event, &b->timer, CLOCK_MONOTONIC, timeout_usec, 0,
                                       batch_on_timeout, b);
        if (r < 0)
                return vk_error_set_errno(reterr, r, "Failed to arm the timeout of a call to %s",
                                          b->daemon);
        return 0;
}

/* The reply of call @index (borrowed, valid as long as @b); NULL before it was answered. */
JsonObject *vk_varlink_batch_get_reply(const VkVarlinkBatch *b, size_t index) {
        if (index >= b->calls->len)
                return NULL;
        return ((BatchCall *) b->calls->pdata[index])->reply;
}

/* Free @b (takes NULL); calls still pending are dropped without a callback. */
VkVarlinkBatch *vk_varlink_batch_free(VkVarlinkBatch *b) {
        if (!b)
                return NULL;
        b->client = vk_varlink_client_free(b->client);
        sd_event_source_disable_unref(b->timer);
        sd_event_source_disable_unref(b->defer);
        g_ptr_array_unref(b->calls);
        vk_error_done(&b->error);
        g_free(b->daemon);
        g_free(b->socket_path);
        sd_event_unref(b->event);
        g_free(b);
        return NULL;
}
