/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* forward.c: calls on qemud's front door passed on to a sibling daemon (secretd, networkd) */
#include <string.h>

#include "forward.h"
#include "json.h"
#include "log.h"
#include "macro.h"
#include "varlink.h"

/*
 * A client that only knows qemud reaches the secrets and networks too (DESIGN.md: a call on
 * qemud's front door for a secondary object is passed to the sibling that owns it). The
 * adapter has decoded and authorised the call with the sibling's own declaration (the same
 * auth level, polkit action io.virtkit.secret.* or io.virtkit.network.*) before
 * vk_forward_call() runs; the call then goes to the sibling's varlink socket on a connection
 * of its own, and its reply or error comes back unchanged.
 *
 * The sibling sees qemud's uid, root on the system instance, which is why the authorisation
 * must happen here and why local methods (secretd's EncryptSecretForDomain, whose check is the
 * peer's uid) are not in the forwarded tables at all (secret-forward.c, network-forward.c).
 */

#define FORWARD_MAX 256
#define FORWARD_TIMEOUT_USEC                                                                       \
        (30ULL * 1000 * 1000) /* not for VK_METHOD_JOB: they end when                              \
                               * the sibling's job does */
#define PRUNE_INTERVAL_USEC (2ULL * 1000 * 1000)

typedef struct Forward Forward;

struct VkForward {
        sd_event *event;
        char *daemon;    /* "virtkit-secretd", for errors */
        char *interface; /* "io.virtkit.Secret" */
        char *socket_path;
        GPtrArray *pending; /* Forward, owned */
        sd_event_source *prune_timer;
};

struct Forward {
        VkForward *owner;
        VkCall *call;          /* a forwarded call; or NULL and: */
        VkForwardReplyFunc cb; /* a request of qemud's own (vk_forward_request()) */
        void *cb_userdata;
        char *method; /* its method, for messages */
        VkVarlinkClient *client;
        sd_event_source *timer;
        sd_event_source *defer; /* frees us from the loop, never from the client's callback */
        bool done;
};

static void forward_free(Forward *fw) {
        if (!fw)
                return;
        fw->timer = sd_event_source_disable_unref(fw->timer);
        fw->defer = sd_event_source_disable_unref(fw->defer);
        vk_varlink_client_free(fw->client);
        vk_call_unref(fw->call);
        g_free(fw->method);
        g_free(fw);
}

static int forward_on_defer(sd_event_source *s, void *userdata) {
        Forward *fw = userdata;

        g_ptr_array_remove(fw->owner->pending, fw); /* frees fw */
        return 0;
}

/* The call is answered: drop the connection and ourselves once the loop is back. */
static void forward_finish(Forward *fw) {
        if (fw->done)
                return;
        fw->done = true;
        fw->timer = sd_event_source_disable_unref(fw->timer);
        if (sd_event_add_defer(fw->owner->event, &fw->defer, forward_on_defer, fw) < 0)
                vk_log_debug("Failed to schedule the end of a forwarded call, keeping it");
}

/* The name of the sibling's method @fw calls. */
static const char *forward_method(Forward *fw) {
        return fw->call ? vk_call_method(fw->call)->name : fw->method;
}

/* Answer @fw with @e (the forwarded call's error reply, or the request's callback). */
static void forward_answer_error(Forward *fw, const VkError *e) {
        if (fw->call)
                (void) vk_call_reply_error(fw->call, e);
        else
                fw->cb(NULL, e, false, fw->cb_userdata);
        forward_finish(fw);
}

static void forward_fail(Forward *fw, const char *name, int err, const char *fmt, ...)
        G_GNUC_PRINTF(4, 5);

static void forward_fail(Forward *fw, const char *name, int err, const char *fmt, ...) {
        g_auto(VkError) e = VK_ERROR_INIT;
        va_list ap;

        va_start(ap, fmt);
        (void) vk_error_setv(&e, name, err, fmt, ap);
        va_end(ap);
        vk_error_add_param(&e, "daemon", fw->owner->daemon);
        vk_error_add_param(&e, "socket", fw->owner->socket_path);
        vk_log_debug("Forwarded %s failed: %s", forward_method(fw), e.message);
        forward_answer_error(fw, &e);
}

/* secretd's error, as it sent it: name, message and string parameters. */
static void forward_relay_error(Forward *fw, const char *error, JsonObject *params) {
        g_auto(VkError) e = VK_ERROR_INIT;
        const char *msg =
                params ? vk_json_object_get_string_member_or_null(params, "message") : NULL;
        g_autoptr(GList) members = params ? json_object_get_members(params) : NULL;

        (void) vk_error_set(&e, error, -EREMOTEIO, "%s", msg ? msg : error);
        for (GList *l = members; l; l = l->next) {
                const char *v = vk_json_object_get_string_member_or_null(params, l->data);

                if (v && strcmp(l->data, "message") != 0)
                        vk_error_add_param(&e, l->data, v);
        }
        forward_answer_error(fw, &e);
}

static void forward_on_reply(VkVarlinkClient *cl, JsonObject *params, const char *error,
                             bool continues, void *userdata) {
        Forward *fw = userdata;
        const VkMethod *m;
        g_auto(VkError) e = VK_ERROR_INIT;
        void *result = NULL;
        int r;

        if (fw->done)
                return;
        if (error && strcmp(error, VK_VARLINK_ERROR_DISCONNECTED) == 0) {
                forward_fail(fw, VK_ERROR_OPERATION_FAILED, -ECONNRESET,
                             "%s at %s closed the connection during %s", fw->owner->daemon,
                             fw->owner->socket_path, forward_method(fw));
                return;
        }
        if (error) {
                forward_relay_error(fw, error, params);
                return;
        }
        if (!fw->call) {
                fw->cb(params, NULL, continues, fw->cb_userdata);
                if (!continues)
                        forward_finish(fw);
                return;
        }
        m = vk_call_method(fw->call);

        if (m->out) {
                result = g_malloc0(m->out->size);
                r = vk_struct_from_json(m->out, params, result, &e);
                if (r < 0) {
                        vk_struct_free(m->out, result);
                        forward_fail(fw, VK_ERROR_INTERNAL, -EPROTO,
                                     "%s answered %s with an unexpected result: %s",
                                     fw->owner->daemon, m->name, e.message);
                        return;
                }
        }
        if (continues) {
                r = vk_call_reply_continue(fw->call, result);
                if (r < 0 || !vk_call_is_connected(fw->call))
                        forward_finish(fw); /* the subscriber left */
        } else {
                (void) vk_call_reply(fw->call, result);
                forward_finish(fw);
        }
        /* values (GetSecretValue) pass through here: wipe the strings before freeing them */
        for (const VkField *f = m->out ? m->out->fields : NULL; f && f->name; f++)
                if (f->type == VK_FIELD_STRING && *(char **) VK_FIELD_PTR(result, f))
                        explicit_bzero(*(char **) VK_FIELD_PTR(result, f),
                                       strlen(*(char **) VK_FIELD_PTR(result, f)));
        vk_struct_free(m->out, result);
}

static int forward_on_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        Forward *fw = userdata;

        forward_fail(fw, VK_ERROR_TIMEOUT, -ETIMEDOUT, "%s at %s did not answer %s within %llu s",
                     fw->owner->daemon, fw->owner->socket_path, forward_method(fw),
                     (unsigned long long) (FORWARD_TIMEOUT_USEC / (1000 * 1000)));
        return 0;
}

/* Streams whose subscriber left: nothing tells us until the next event, so look now and then. */
static int forward_on_prune_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        VkForward *f = userdata;
        bool streams = false;

        for (guint i = 0; i < f->pending->len; i++) {
                Forward *fw = f->pending->pdata[i];

                if (!fw->call) /* qemud's own stream: it ends with the sibling */
                        continue;
                if (!fw->done && !vk_call_is_connected(fw->call))
                        forward_finish(fw);
                else if (!fw->done && vk_call_more(fw->call))
                        streams = true;
        }
        if (!streams) {
                f->prune_timer = sd_event_source_disable_unref(f->prune_timer);
                return 0;
        }
        (void) sd_event_source_set_time_relative(s, PRUNE_INTERVAL_USEC);
        return sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
}

/*
 * Send @fw's call of @method (without the interface) with @json and the descriptors @fds to the
 * sibling. A stream (@more) or a job (@no_timeout) has no timeout.
 */
static void forward_start(Forward *fw, const char *method, JsonNode *json, const int *fds,
                          size_t n_fds, bool more, bool no_timeout) {
        VkForward *f = fw->owner;
        g_autofree char *full = g_strdup_printf("%s.%s", f->interface, method);
        g_auto(VkError) err = VK_ERROR_INIT;
        int r;

        g_ptr_array_add(f->pending, fw);
        r = vk_varlink_client_connect(f->event, f->socket_path, &fw->client, &err);
        if (r >= 0)
                r = vk_varlink_client_call_fds(fw->client, full, json, fds, n_fds,
                                               more ? VK_VARLINK_MORE : 0, forward_on_reply, fw);
        if (r < 0) {
                forward_fail(fw, VK_ERROR_OPERATION_FAILED, r, "%s is not reachable at %s: %s",
                             f->daemon, f->socket_path, g_strerror(-r));
                return;
        }
        if (more || no_timeout) {
                if (fw->call && !f->prune_timer &&
                    sd_event_add_time_relative(f->event, &f->prune_timer, CLOCK_MONOTONIC,
                                               PRUNE_INTERVAL_USEC, 0, forward_on_prune_timer,
                                               f) < 0)
                        vk_log_debug("Failed to watch a forwarded stream, ignoring");
        } else {
                r = sd_event_add_time_relative(f->event, &fw->timer, CLOCK_MONOTONIC,
                                               FORWARD_TIMEOUT_USEC, 0, forward_on_timeout, fw);
                if (r < 0)
                        vk_log_debug("Failed to arm the timeout of a forwarded call, ignoring");
        }
}

/*
 * The handler of every forwarded method, through @f (NULL: this instance does not forward);
 * the caller is authorised already.
 */
int vk_forward_call(VkForward *f, VkCall *call, void *params) {
        const VkMethod *m = vk_call_method(call);
        g_autoptr(GArray) fds = g_array_new(false, false, sizeof(int));
        /* descriptors the caller passed (UploadVolume) go on with the call: copies, ours close
         * with the call's parameters */
        g_autoptr(JsonNode) json = m->in ? vk_struct_to_json_fds(m->in, params, fds) : NULL;
        VkError *e = vk_call_error(call);
        Forward *fw;

        if (!f)
                return vk_error_set(e, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                    "%s: this instance does not forward it", m->name);
        if (f->pending->len >= FORWARD_MAX)
                return vk_error_set(e, VK_ERROR_LIMIT_EXCEEDED, -EBUSY,
                                    "%s: more than %d calls to %s in progress", m->name,
                                    FORWARD_MAX, f->daemon);
        fw = g_new0(Forward, 1);
        fw->owner = f;
        fw->call = vk_call_ref(call);
        forward_start(fw, m->name, json, (const int *) (void *) fds->data, fds->len,
                      vk_call_more(call), m->flags & VK_METHOD_JOB);
        return 0;
}

/*
 * A call of qemud's own to the sibling's @method (without the interface: "LookupNetwork") with
 * @params (may be NULL), for a caller authorised already (the org.libvirt façade). @cb gets
 * the reply's parameters, or an error naming the daemon (not reachable, timed out, or the
 * sibling's own error as it sent it); with @more (a stream, no timeout) once per reply, the
 * last one with an error when the stream ends. @cb may run before this returns. Calls in
 * progress when qemud exits are dropped without @cb (vk_forward_cancel_all()).
 */
void vk_forward_request(VkForward *f, const char *method, JsonNode *params, bool more,
                        VkForwardReplyFunc cb, void *userdata) {
        Forward *fw;

        if (f->pending->len >= FORWARD_MAX) {
                g_auto(VkError) e = VK_ERROR_INIT;

                vk_error_set(&e, VK_ERROR_LIMIT_EXCEEDED, -EBUSY,
                             "%s: more than %d calls to %s in progress", method, FORWARD_MAX,
                             f->daemon);
                cb(NULL, &e, false, userdata);
                return;
        }
        fw = g_new0(Forward, 1);
        fw->owner = f;
        fw->cb = cb;
        fw->cb_userdata = userdata;
        fw->method = g_strdup(method);
        forward_start(fw, method, params, NULL, 0, more, false);
}

/* The name of the sibling daemon @f calls ("virtkit-networkd"). */
const char *vk_forward_daemon(VkForward *f) {
        return f->daemon;
}

/*
 * Forward to @interface at the varlink socket @socket_path of the sibling @daemon (connected
 * per call, when the call comes: it may start after us, or be socket-activated). Runs on
 * @event.
 */
int vk_forward_new(sd_event *event, const char *daemon, const char *interface,
                   const char *socket_path, VkForward **ret, VkError *reterr) {
        VkForward *f = g_new0(VkForward, 1);

        f->event = sd_event_ref(event);
        f->daemon = g_strdup(daemon);
        f->interface = g_strdup(interface);
        f->socket_path = g_strdup(socket_path);
        f->pending = g_ptr_array_new_with_free_func((GDestroyNotify) forward_free);
        *ret = f;
        return 0;
}

/* Drop every call in progress without an answer (the daemon exits). */
void vk_forward_cancel_all(VkForward *f) {
        if (!f)
                return;
        f->prune_timer = sd_event_source_disable_unref(f->prune_timer);
        g_ptr_array_set_size(f->pending, 0);
}

/* Free @f (takes NULL); calls in progress are dropped. */
VkForward *vk_forward_free(VkForward *f) {
        if (!f)
                return NULL;
        vk_forward_cancel_all(f);
        g_ptr_array_unref(f->pending);
        g_free(f->socket_path);
        g_free(f->daemon);
        g_free(f->interface);
        sd_event_unref(f->event);
        g_free(f);
        return NULL;
}
