/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virtkit-qemu-run.c: run one VM in embedded mode in the foreground until it shuts down */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomic-file.h"
#include "cli-embed.h"
#include "json.h"
#define VK_LOG_IDENT "virtkit-qemu-run"
#include "log.h"
#include "macro.h"
#include "sd-glue.h"
#include "uuid.h"

#define MAX_XML (16u << 20)

typedef struct Run {
        sd_event *event;
        VkVarlinkClient *client;
        VkVarlinkClient *events; /* a stream holds its connection: events get their own */
        char *name;              /* the domain, once created */
        char *uuid;
        unsigned interrupts; /* Ctrl-C presses */
        bool stopped;
        char *reason;       /* why it stopped */
        char *error;        /* the event stream failed */
        GPtrArray *secrets; /* "UUID=FILE" from --secret */
} Run;

static void on_event(VkVarlinkClient *cl, JsonObject *params, const char *error, bool continues,
                     void *userdata) {
        Run *run = userdata;
        const char *uuid, *event, *detail;

        if (error) {
                run->error = g_strdup(error);
                return;
        }
        uuid = vk_json_object_get_string_member_or_null(params, "uuid");
        event = vk_json_object_get_string_member_or_null(params, "event");
        detail = vk_json_object_get_string_member_or_null(params, "detail");
        if (!run->uuid || !uuid || strcmp(uuid, run->uuid) != 0 || !event)
                return;
        fprintf(stderr, "virtkit-qemu-run: domain '%s': %s%s%s\n", run->name, event,
                detail ? " " : "", vk_strempty(detail));
        if (strcmp(event, "stopped") == 0 || strcmp(event, "undefined") == 0) {
                run->stopped = true;
                if (!run->reason)
                        run->reason = g_strdup(detail ? detail : event);
        }
}

static void on_reply(VkVarlinkClient *cl, JsonObject *params, const char *error, bool continues,
                     void *userdata) {
        const char *msg =
                params ? vk_json_object_get_string_member_or_null(params, "message") : NULL;

        if (error)
                fprintf(stderr, "virtkit-qemu-run: %s: %s\n", error, vk_strempty(msg));
}

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Run *run = userdata;
        JsonObject *o;
        g_autoptr(JsonNode) params = json_node_new(JSON_NODE_OBJECT);
        bool destroy;

        if (!run->name) {
                /* the domain is still being created: destroy it as soon as it exists */
                run->interrupts = 2;
                return 0;
        }
        destroy = ++run->interrupts > 1 || si->ssi_signo == SIGTERM;
        o = json_object_new();
        json_object_set_string_member(o, "domain", run->uuid);
        json_node_take_object(params, o);
        fprintf(stderr, "virtkit-qemu-run: %s\n",
                destroy ? "destroying the domain"
                        : "asking the guest to shut down (Ctrl-C again to destroy it)");
        (void) vk_varlink_client_call(run->client,
                                      destroy ? "io.virtkit.Qemu.DestroyDomain"
                                              : "io.virtkit.Qemu.ShutdownDomain",
                                      params, 0, on_reply, run);
        return 0;
}

static void usage(FILE *f) {
        fprintf(f, "Usage: virtkit-qemu-run [--root DIR] [--secret UUID=FILE]... DOMAIN.xml\n\n"
                   "Run one VM from a libvirt domain XML file in the foreground, with the QEMU\n"
                   "driver embedded in this process, until the guest shuts down.\n"
                   "Ctrl-C asks the guest to shut down; a second Ctrl-C destroys it.\n\n"
                   "  --root DIR          Keep the driver's state under DIR (default: a\n"
                   "                      temporary directory, removed afterwards)\n"
                   "  --secret UUID=FILE  The value of a secret the domain uses\n"
                   "  -h --help           Show this help\n");
}

static int remove_tree(const char *path) {
        g_autofree char *cmd = NULL;
        g_autofree char *quoted = g_shell_quote(path);

        cmd = g_strdup_printf("rm -rf -- %s", quoted);
        return system(cmd) == 0 ? 0 : -EIO;
}

/*
 * --secret UUID=FILE: an ephemeral, private secret with that UUID in the embedded secrets
 * driver (its value never touches the disk), with the file's contents as its value.
 */
static int define_secrets(Run *run, VkEmbed *embed, VkError *error) {
        g_autoptr(VkVarlinkClient) cl = NULL;
        int r;

        if (run->secrets->len == 0)
                return 0;
        r = vk_embed_connect_secrets(embed, &cl, error);
        if (r < 0)
                return r;
        for (guint i = 0; i < run->secrets->len; i++) {
                const char *spec = run->secrets->pdata[i];
                const char *file = strchr(spec, '=') + 1;
                g_autofree char *uuid = g_strndup(spec, (gsize) (file - 1 - spec));
                g_autofree char *xml = g_strdup_printf(
                        "<secret ephemeral='yes' private='yes'><uuid>%s</uuid></secret>", uuid);
                g_autofree char *value = NULL, *b64 = NULL;
                g_autoptr(JsonNode) p1 = json_node_new(JSON_NODE_OBJECT);
                g_autoptr(JsonNode) p2 = json_node_new(JSON_NODE_OBJECT);
                JsonObject *o;
                size_t len;

                r = vk_file_read_all(file, 64u * 1024u, &value, &len, error);
                if (r < 0)
                        return r;
                b64 = g_base64_encode((const guchar *) value, len);
                explicit_bzero(value, len);
                o = json_object_new();
                json_object_set_string_member(o, "xml", xml);
                json_node_take_object(p1, o);
                r = vk_varlink_client_call_sync(cl, "io.virtkit.Secret.DefineSecret", p1,
                                                10ull * 1000000ull, NULL, error);
                if (r < 0)
                        return r;
                o = json_object_new();
                json_object_set_string_member(o, "secret", uuid);
                json_object_set_string_member(o, "value", b64);
                json_node_take_object(p2, o);
                r = vk_varlink_client_call_sync(cl, "io.virtkit.Secret.SetSecretValue", p2,
                                                10ull * 1000000ull, NULL, error);
                explicit_bzero(b64, strlen(b64));
                if (r < 0)
                        return r;
        }
        return 0;
}

static int run_domain(Run *run, const char *root, const char *xml_path) {
        g_autoptr(VkEmbed) embed = NULL;
        g_autoptr(JsonNode) params = json_node_new(JSON_NODE_OBJECT);
        g_autoptr(JsonNode) reply = NULL;
        g_auto(VkError) error = VK_ERROR_INIT;
        g_autofree char *xml = NULL;
        JsonObject *o;
        size_t len;
        int r;

        r = vk_file_read_all(xml_path, MAX_XML, &xml, &len, &error);
        if (r >= 0)
                r = vk_embed_open(run->event, root, &embed, &error);
        if (r >= 0)
                r = vk_embed_connect(embed, &run->client, &error);
        if (r >= 0)
                r = vk_embed_connect(embed, &run->events, &error);
        if (r < 0) {
                fprintf(stderr, "virtkit-qemu-run: %s\n", error.message);
                return r;
        }
        r = define_secrets(run, embed, &error);
        if (r < 0) {
                fprintf(stderr, "virtkit-qemu-run: %s\n", error.message);
                run->client = vk_varlink_client_free(run->client);
                run->events = vk_varlink_client_free(run->events);
                return r;
        }
        r = vk_varlink_client_call(run->events, "io.virtkit.Qemu.SubscribeEvents", NULL,
                                   VK_VARLINK_MORE, on_event, run);
        if (r < 0) {
                fprintf(stderr, "virtkit-qemu-run: cannot subscribe to events\n");
                return r;
        }

        o = json_object_new();
        json_object_set_string_member(o, "xml", xml);
        json_node_take_object(params, o);
        r = vk_varlink_client_call_sync(run->client, "io.virtkit.Qemu.CreateDomain", params,
                                        120ull * 1000000ull, &reply, &error);
        if (r < 0) {
                fprintf(stderr, "virtkit-qemu-run: error: %s: %s\n", error.name, error.message);
                run->client = vk_varlink_client_free(run->client);
                run->events = vk_varlink_client_free(run->events);
                return r;
        }
        o = json_node_get_object(reply);
        run->name = g_strdup(vk_json_object_get_string_member_or_null(o, "name"));
        run->uuid = g_strdup(vk_json_object_get_string_member_or_null(o, "uuid"));
        fprintf(stderr,
                "virtkit-qemu-run: domain '%s' (%s) is running under %s; Ctrl-C to shut "
                "it down\n",
                run->name, run->uuid, root);
        if (run->interrupts > 0) {
                /* a signal came while the domain was being created */
                struct signalfd_siginfo si = { .ssi_signo = SIGTERM };

                (void) on_signal(NULL, &si, run);
        }

        while (!run->stopped && !run->error) {
                r = sd_event_run(run->event, UINT64_MAX);
                if (r < 0)
                        break;
        }
        run->client = vk_varlink_client_free(run->client);
        run->events = vk_varlink_client_free(run->events);
        if (run->error) {
                fprintf(stderr, "virtkit-qemu-run: the event stream ended: %s\n", run->error);
                return -EIO;
        }
        fprintf(stderr, "virtkit-qemu-run: domain '%s' stopped (%s)\n", run->name, run->reason);
        return strcmp(run->reason, "crashed") == 0 || strcmp(run->reason, "failed") == 0 ? -EIO : 0;
}

int main(int argc, char **argv) {
        static const struct option options[] = { { "root", required_argument, NULL, 'r' },
                                                 { "secret", required_argument, NULL, 's' },
                                                 { "help", no_argument, NULL, 'h' },
                                                 {} };
        g_autofree char *root = NULL, *tmp_root = NULL;
        Run run = { .secrets = g_ptr_array_new_with_free_func(g_free) };
        sigset_t mask;
        int c, r;

        /* the in-process drivers' adapters log at info: a command line tool says less */
        vk_log_open(VK_LOG_IDENT);
        if (!getenv("VIRTKIT_LOG_LEVEL"))
                vk_log_set_max_level(LOG_WARNING);

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
                switch (c) {
                case 'r':
                        g_free(root);
                        root = g_strdup(optarg);
                        break;
                case 's': {
                        const char *eq = strchr(optarg, '=');
                        VkUuid u;
                        g_autofree char *id = eq ? g_strndup(optarg, (gsize) (eq - optarg)) : NULL;

                        if (!eq || !eq[1] || vk_uuid_parse(id, &u) < 0) {
                                fprintf(stderr,
                                        "virtkit-qemu-run: --secret %s: expected "
                                        "UUID=FILE\n",
                                        optarg);
                                return 2;
                        }
                        g_ptr_array_add(run.secrets, g_strdup(optarg));
                        break;
                }
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        return 2;
                }
        }
        if (optind != argc - 1) {
                usage(stderr);
                return 2;
        }
        if (root && root[0] != '/') {
                fprintf(stderr, "virtkit-qemu-run: --root %s: the root path must be absolute\n",
                        root);
                return 2;
        }
        if (!root) {
                tmp_root = g_dir_make_tmp("virtkit-qemu-run.XXXXXX", NULL);
                if (!tmp_root) {
                        fprintf(stderr, "virtkit-qemu-run: cannot create a temporary root\n");
                        return 1;
                }
                root = g_strdup(tmp_root);
        }

        sigemptyset(&mask);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGTERM);
        (void) sigprocmask(SIG_BLOCK, &mask, NULL);
        r = sd_event_new(&run.event);
        if (r >= 0)
                r = sd_event_add_signal(run.event, NULL, SIGINT, on_signal, &run);
        if (r >= 0)
                r = sd_event_add_signal(run.event, NULL, SIGTERM, on_signal, &run);
        if (r >= 0)
                r = run_domain(&run, root, argv[optind]);

        sd_event_unref(run.event);
        g_free(run.name);
        g_free(run.uuid);
        g_free(run.reason);
        g_free(run.error);
        g_ptr_array_unref(run.secrets);
        if (tmp_root)
                (void) remove_tree(tmp_root);
        return r < 0 ? 1 : 0;
}
