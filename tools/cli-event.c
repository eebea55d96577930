/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cli-event.c: the CLI's `event` command: domain events in virsh's words and formats */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "cli-cmd.h"
#include "json.h"
#include "macro.h"

/* virsh's event names (`event --list`), in libvirt's order of event ids */
static const char *const event_names[] = {
        "lifecycle",
        "reboot",
        "rtc-change",
        "watchdog",
        "io-error",
        "graphics",
        "io-error-reason",
        "control-error",
        "block-job",
        "disk-change",
        "tray-change",
        "pm-wakeup",
        "pm-suspend",
        "balloon-change",
        "pm-suspend-disk",
        "device-removed",
        "block-job-2",
        "tunable",
        "agent-lifecycle",
        "device-added",
        "migration-iteration",
        "job-completed",
        "device-removal-failed",
        "metadata-change",
        "block-threshold",
        "memory-failure",
        "memory-device-size-change",
        "nic-mac-change",
        NULL,
};

/* How virsh says our lifecycle event and its detail ("Started Booted"); NULL: not one. */
static const char *event_lifecycle_words(const char *event, const char *detail,
                                         const char **ret_detail) {
        static const struct {
                const char *event, *word;
                const char *details[8][2]; /* ours, virsh's; the first is the default */
        } table[] = {
                { "defined", "Defined", { { "added", "Added" }, { "updated", "Updated" } } },
                { "undefined", "Undefined", { { "removed", "Removed" } } },
                { "started", "Started", { { "booted", "Booted" } } },
                { "suspended",
                  "Suspended",
                  { { "paused", "Paused" },
                    { "ioerror", "I/O Error" },
                    { "watchdog", "Watchdog" } } },
                { "resumed", "Resumed", { { "unpaused", "Unpaused" } } },
                { "stopped",
                  "Stopped",
                  { { "shutdown", "Shutdown" },
                    { "destroyed", "Destroyed" },
                    { "crashed", "Crashed" },
                    { "failed", "Failed" } } },
                { "shutdown", "Shutdown", { { "finished", "Finished" } } },
                { "crashed", "Crashed", { { "panicked", "Panicked" } } },
        };

        for (size_t i = 0; i < G_N_ELEMENTS(table); i++) {
                if (g_strcmp0(table[i].event, event) != 0)
                        continue;
                *ret_detail = table[i].details[0][1];
                for (size_t d = 0; d < 8 && table[i].details[d][0]; d++)
                        if (g_strcmp0(table[i].details[d][0], detail) == 0)
                                *ret_detail = table[i].details[d][1];
                return table[i].word;
        }
        return NULL;
}

typedef struct EventWait {
        const char *domain; /* name or UUID; NULL: every domain */
        const char *only;   /* virsh's event name; NULL: --all */
        bool loop;
        bool json;
        bool timestamp;
        unsigned seen;
        bool done;
        char *error;
} EventWait;

/* One line of virsh's output for the event @name, if the command waits for that name. */
static void G_GNUC_PRINTF(3, 4) event_print(EventWait *w, const char *name, const char *fmt, ...) {
        va_list ap;

        if ((w->only && strcmp(w->only, name) != 0) || (w->seen > 0 && !w->loop))
                return;
        if (w->timestamp) {
                struct timeval tv;
                struct tm tm;
                char buf[64];

                (void) gettimeofday(&tv, NULL);
                (void) gmtime_r(&tv.tv_sec, &tm);
                strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
                printf("%s.%03d+0000: ", buf, (int) (tv.tv_usec / 1000));
        }
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        w->seen++;
        if (!w->loop)
                w->done = true;
}

/* The event @n (a SubscribeEvents reply) in virsh's words. */
static void event_print_text(EventWait *w, JsonNode *n) {
        const char *name = vk_cli_member(n, "name"), *event = vk_cli_member(n, "event");
        const char *detail = vk_cli_member(n, "detail"), *device = vk_cli_member(n, "device");
        const char *path = vk_cli_member(n, "path"), *word, *dword = NULL;
        gint64 value = json_object_get_int_member_with_default(json_node_get_object(n), "value", 0);

        word = event_lifecycle_words(event, detail, &dword);
        if (word)
                event_print(w, "lifecycle", "event 'lifecycle' for domain '%s': %s %s\n", name,
                            word, dword);
        else if (strcmp(event, "rebooted") == 0)
                event_print(w, "reboot", "event 'reboot' for domain '%s'\n", name);
        else if (strcmp(event, "rtc-change") == 0)
                event_print(w, "rtc-change", "event 'rtc-change' for domain '%s': %lld\n", name,
                            (long long) value);
        else if (strcmp(event, "watchdog") == 0)
                event_print(w, "watchdog", "event 'watchdog' for domain '%s': %s\n", name, detail);
        else if (strcmp(event, "io-error") == 0) {
                event_print(w, "io-error", "event 'io-error' for domain '%s': %s (%s) %s\n", name,
                            path, device, detail);
                event_print(w, "io-error-reason",
                            "event 'io-error' for domain '%s': %s (%s) %s due to %s\n", name, path,
                            device, detail, vk_cli_member(n, "reason"));
        } else if (strcmp(event, "control-error") == 0)
                event_print(w, "control-error", "event 'control-error' for domain '%s'\n", name);
        else if (strcmp(event, "tray-change") == 0)
                event_print(w, "tray-change", "event 'tray-change' for domain '%s' disk %s: %s\n",
                            name, device, detail);
        else if (strcmp(event, "balloon-change") == 0)
                event_print(w, "balloon-change",
                            "event 'balloon-change' for domain '%s': %lluKiB\n", name,
                            (unsigned long long) value);
        else if (strcmp(event, "device-added") == 0)
                event_print(w, "device-added", "event 'device-added' for domain '%s': %s\n", name,
                            device);
        else if (strcmp(event, "device-removed") == 0)
                event_print(w, "device-removed", "event 'device-removed' for domain '%s': %s\n",
                            name, device);
        else if (strcmp(event, "metadata-change") == 0)
                event_print(w, "metadata-change",
                            "event 'metadata-change' for domain '%s': type %s, uri %s\n", name,
                            detail, *vk_cli_member(n, "uri") ? vk_cli_member(n, "uri") : "<null>");
}

static void event_on_reply(VkVarlinkClient *cl, JsonObject *params, const char *error,
                           bool continues, void *userdata) {
        EventWait *w = userdata;
        g_autoptr(JsonNode) n = json_node_new(JSON_NODE_OBJECT);

        if (error) {
                w->error = g_strdup(error);
                w->done = true;
                return;
        }
        json_node_set_object(n, params);
        if (w->domain && strcmp(vk_cli_member(n, "name"), w->domain) != 0 &&
            g_ascii_strcasecmp(vk_cli_member(n, "uuid"), w->domain) != 0)
                return;
        if (w->json) {
                g_autofree char *s = vk_json_to_string(n, false);

                if (w->seen > 0 && !w->loop)
                        return;
                printf("%s\n", s);
                w->seen++;
                w->done = !w->loop;
        } else
                event_print_text(w, n);
        fflush(stdout);
        if (!continues)
                w->done = true;
}

/*
 * virsh's `event [DOMAIN] {--event NAME | --all | --list} [--loop] [--timeout S]
 * [--timestamp]`: exit status 0 only when an event came.
 */
static int cmd_event(VkCli *cli, const Args *a, VkError *e) {
        EventWait w = {
                .domain = a->n_pos > 0 ? a->pos[0] : g_hash_table_lookup(a->opts, "domain"),
                .only = g_hash_table_lookup(a->opts, "event"),
                .loop = vk_cli_has_opt(a, "loop"),
                .json = cli->json,
                .timestamp = vk_cli_has_opt(a, "timestamp"),
        };
        const char *t = g_hash_table_lookup(a->opts, "timeout");
        bool all = vk_cli_has_opt(a, "all"), known = false;
        uint64_t deadline = 0, now;
        VkVarlinkClient *cl;
        int r;

        if ((all && w.only) || (vk_cli_has_opt(a, "list") && (all || w.only)))
                return vk_error_set(e, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "Options --%s and --%s are mutually exclusive",
                                    vk_cli_has_opt(a, "list") ? "list" : "all",
                                    all ? "all" : "event");
        if (vk_cli_has_opt(a, "list")) {
                for (size_t i = 0; event_names[i]; i++)
                        printf("%s\n", event_names[i]);
                return 0;
        }
        if (!w.only && !all)
                return vk_error_set(e, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "one of --list, --all, or --event <type> is required");
        for (size_t i = 0; w.only && event_names[i]; i++)
                known = known || strcmp(event_names[i], w.only) == 0;
        if (w.only && !known)
                return vk_error_set(e, VK_ERROR_INVALID_ARGUMENT, -EINVAL, "unknown event type %s",
                                    w.only);
        if (t && (!*t || strspn(t, "0123456789") != strlen(t) || strtoull(t, NULL, 10) == 0))
                return vk_error_set(e, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "invalid timeout value: '%s'", t);

        /* connect through a no-op call, then subscribe on that connection */
        r = vk_cli_call(cli, "Qemu", "GetVersion", NULL, NULL, e);
        if (r < 0)
                return r;
        cl = cli->clients[0];
        r = vk_varlink_client_call(cl, "io.virtkit.Qemu.SubscribeEvents", NULL, VK_VARLINK_MORE,
                                   event_on_reply, &w);
        if (r < 0)
                return vk_error_set_errno(e, r, "cannot subscribe to events");
        if (t) {
                (void) sd_event_now(cli->event, CLOCK_MONOTONIC, &now);
                deadline = now + strtoull(t, NULL, 10) * 1000000ull;
        }
        while (!w.done) {
                (void) sd_event_now(cli->event, CLOCK_MONOTONIC, &now);
                if (deadline && now >= deadline) {
                        if (!cli->json)
                                printf("event loop timed out\n");
                        break;
                }
                r = sd_event_run(cli->event, deadline ? deadline - now : UINT64_MAX);
                if (r < 0)
                        return vk_error_set_errno(e, r, "event loop failed");
        }
        if (w.error) {
                g_autofree char *err = w.error;
                return vk_error_set(e, err, -EREMOTEIO, "event subscription ended: %s", err);
        }
        if (!cli->json)
                printf("events received: %u\n", w.seen);
        fflush(stdout);
        /* virsh fails when no event came */
        return w.seen > 0 ? 0 : -ETIME;
}

const Cmd vk_cli_event_commands[] = {
        { "event",
          "[DOMAIN] {--event NAME | --all | --list} [--loop] [--timeout SECS] [--timestamp]",
          "Wait for domain events (virsh's names and lines)", 0, 1,
          "domain= event= all list loop timeout= timestamp", cmd_event },
        {},
};
