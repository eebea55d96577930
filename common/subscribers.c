/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* subscribers.c: the open streams of a SubscribeEvents method, and sending an event to them */
#include <errno.h>

#include "subscribers.h"

/*
 * A daemon's SubscribeEvents handler keeps each call (called with "more") open here; every
 * event is one continued reply on each. A stream whose client went away is dropped when the
 * next event is sent, and every 2 s while any stream is open (so an idle daemon does not hold
 * dead connections until the next event). At most 256 streams.
 */

#define SUBSCRIBERS_MAX     256
#define PRUNE_INTERVAL_USEC (2ULL * 1000 * 1000)

struct VkSubscribers {
        sd_event *event;
        GPtrArray *calls; /* VkCall references */
        sd_event_source *prune_timer;
};

static void subscribers_call_unref(gpointer call) {
        vk_call_unref(call);
}

VkSubscribers *vk_subscribers_new(sd_event *e) {
        VkSubscribers *s = g_new0(VkSubscribers, 1);

        s->event = sd_event_ref(e);
        s->calls = g_ptr_array_new_with_free_func(subscribers_call_unref);
        return s;
}

/* Send @event on every stream (NULL: none), and drop those whose client went away. */
static void subscribers_filter(VkSubscribers *s, const void *event) {
        for (guint i = s->calls->len; i > 0; i--) {
                VkCall *c = s->calls->pdata[i - 1];

                if (!vk_call_is_connected(c) || (event && vk_call_reply_continue(c, event) < 0))
                        g_ptr_array_remove_index(s->calls, i - 1);
        }
        if (s->calls->len == 0)
                s->prune_timer = sd_event_source_disable_unref(s->prune_timer);
}

static int subscribers_on_prune_timer(sd_event_source *source, uint64_t usec, void *userdata) {
        VkSubscribers *s = userdata;

        subscribers_filter(s, NULL);
        if (s->prune_timer) {
                (void) sd_event_source_set_time_relative(source, PRUNE_INTERVAL_USEC);
                (void) sd_event_source_set_enabled(source, SD_EVENT_ONESHOT);
        }
        return 0;
}

/*
 * The whole SubscribeEvents handler: keep @call open for the events to come; a oneway call
 * (no "more") gets an empty reply, a call beyond the limit an error. Returns like a handler.
 */
int vk_subscribers_add(VkSubscribers *s, VkCall *call) {
        int r;

        if (!vk_call_more(call))
                return vk_call_reply(call, NULL); /* oneway: nothing to stream to */
        subscribers_filter(s, NULL);
        if (s->calls->len >= SUBSCRIBERS_MAX)
                return vk_error_set(vk_call_error(call), VK_ERROR_LIMIT_EXCEEDED, -EBUSY,
                                    "SubscribeEvents: more than %d subscribers", SUBSCRIBERS_MAX);
        if (!s->prune_timer) {
                r = sd_event_add_time_relative(s->event, &s->prune_timer, CLOCK_MONOTONIC,
                                               PRUNE_INTERVAL_USEC, 0, subscribers_on_prune_timer,
                                               s);
                if (r < 0)
                        return vk_error_set_errno(vk_call_error(call), r,
                                                  "Failed to watch the subscription");
        }
        g_ptr_array_add(s->calls, vk_call_ref(call));
        return 0;
}

/* One continued reply with @event (the method's reply struct) on every open stream. */
void vk_subscribers_send(VkSubscribers *s, const void *event) {
        subscribers_filter(s, event);
}

/* End every stream (the daemon exits): the clients see their connection close. */
void vk_subscribers_drop_all(VkSubscribers *s) {
        if (!s)
                return;
        s->prune_timer = sd_event_source_disable_unref(s->prune_timer);
        g_ptr_array_set_size(s->calls, 0);
}

/* End every stream and free @s. Takes NULL. Returns NULL. */
VkSubscribers *vk_subscribers_free(VkSubscribers *s) {
        if (!s)
                return NULL;
        vk_subscribers_drop_all(s);
        g_ptr_array_unref(s->calls);
        sd_event_unref(s->event);
        g_free(s);
        return NULL;
}
