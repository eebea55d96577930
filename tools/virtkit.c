/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virtkit.c: the virtkit command line tool (virsh-like, varlink to the daemons, --json) */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "atomic-file.h"
#include "cli-cmd.h"
#include "cli-connect.h"
#include "json.h"
#define VK_LOG_IDENT "virtkit"
#include "log.h"
#include "macro.h"
#include "sockaddr.h"
#include "uuid.h"

/* every failure, usage errors included, exits 1, as virsh does (scripts test for non-zero) */
#define EXIT_FAILURE_ANY 1
#define MAX_XML_FILE     (16u << 20)

static bool opt(const Args *a, const char *name) {
        return g_hash_table_contains(a->opts, name);
}

static const char *opt_value(const Args *a, const char *name) {
        return g_hash_table_lookup(a->opts, name);
}

/* --- parameters and output --- */

static JsonNode *params_take(JsonObject *o) {
        JsonNode *n = json_node_new(JSON_NODE_OBJECT);

        json_node_take_object(n, o);
        return n;
}

static JsonNode *params_domain(const char *domain) {
        JsonObject *o = json_object_new();

        json_object_set_string_member(o, "domain", domain);
        return params_take(o);
}

/* LookupDomain takes one of name, uuid, id: pick by the look of @domain. */
static JsonNode *params_lookup(const char *domain) {
        JsonObject *o = json_object_new();
        VkUuid u;

        if (vk_uuid_parse(domain, &u) >= 0)
                json_object_set_string_member(o, "uuid", domain);
        else if (*domain && strspn(domain, "0123456789") == strlen(domain))
                json_object_set_int_member(o, "id", g_ascii_strtoll(domain, NULL, 10));
        else
                json_object_set_string_member(o, "name", domain);
        return params_take(o);
}

static const char *str(JsonNode *reply, const char *key) {
        const char *s = vk_json_object_get_string_member_or_null(json_node_get_object(reply), key);
        return s ? s : "";
}

static gint64 num(JsonNode *reply, const char *key) {
        JsonObject *o = json_node_get_object(reply);
        JsonNode *n = json_object_get_member(o, key);

        return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_INT64
                       ? json_node_get_int(n)
                       : -1;
}

static void print_json(JsonNode *n) {
        g_autofree char *s = vk_json_to_string(n, true);
        printf("%s\n", s);
}

/* Call and print: as JSON with --json, else @text_key's string value, or "Domain '@arg' @done". */
static int call_print(VkCli *cli, const char *driver, const char *method, JsonNode *params,
                      const char *text_key, const char *done, const char *arg, VkError *e) {
        g_autoptr(JsonNode) p = params;
        g_autoptr(JsonNode) reply = NULL;
        int r;

        r = vk_cli_call(cli, driver, method, p, &reply, e);
        if (r < 0)
                return r;
        if (cli->json)
                print_json(reply);
        else if (text_key) {
                const char *s = str(reply, text_key);
                printf("%s%s", s, g_str_has_suffix(s, "\n") ? "" : "\n");
        } else if (done)
                printf("Domain '%s' %s\n", arg, done);
        return 0;
}

static int read_xml_file(const char *path, char **ret, VkError *e) {
        size_t len;

        if (strcmp(path, "-") == 0) {
                g_autoptr(GString) s = g_string_new(NULL);
                char buf[65536];
                size_t n;

                while ((n = fread(buf, 1, sizeof(buf), stdin)) > 0) {
                        g_string_append_len(s, buf, (gssize) n);
                        if (s->len > MAX_XML_FILE)
                                return vk_error_set(e, VK_ERROR_LIMIT_EXCEEDED, -EFBIG,
                                                    "standard input is larger than %u bytes",
                                                    MAX_XML_FILE);
                }
                *ret = g_string_free(g_steal_pointer(&s), false);
                return 0;
        }
        return vk_file_read_all(path, MAX_XML_FILE, ret, &len, e);
}

static JsonNode *params_xml(const char *xml, const Args *a, const char *flag) {
        JsonObject *o = json_object_new();

        json_object_set_string_member(o, "xml", xml);
        if (flag && opt(a, flag))
                json_object_set_boolean_member(o, flag, true);
        return params_take(o);
}

/* --- commands --- */

/* A state as virsh words it ("shut off"); JSON keeps the API's word ("shutoff"). */
static const char *state_name(JsonNode *d) {
        const char *s = str(d, "state");

        if (strcmp(s, "shutoff") == 0)
                return "shut off";
        return *s ? s : "unknown";
}

static int cmd_list(VkCli *cli, const Args *a, VkError *e) {
        g_autoptr(JsonNode) reply = NULL;
        JsonObject *o = json_object_new();
        JsonArray *arr;
        JsonNode *domains;
        int r;

        if (!opt(a, "all")) {
                json_object_set_boolean_member(o, opt(a, "inactive") ? "inactive" : "active", true);
        }
        r = vk_cli_call(cli, "Qemu", "ListDomains", params_take(o), &reply, e);
        if (r < 0)
                return r;
        if (cli->json) {
                print_json(reply);
                return 0;
        }
        domains = json_object_get_member(json_node_get_object(reply), "domains");
        arr = domains && JSON_NODE_HOLDS_ARRAY(domains) ? json_node_get_array(domains) : NULL;
        if (opt(a, "name") || opt(a, "uuid")) {
                for (guint i = 0; arr && i < json_array_get_length(arr); i++)
                        printf("%s\n", str(json_array_get_element(arr, i),
                                           opt(a, "name") ? "name" : "uuid"));
                return 0;
        }
        printf(" %-5s %-30s %s\n", "Id", "Name", "State");
        printf("%s\n", "-----------------------------------------------");
        for (guint i = 0; arr && i < json_array_get_length(arr); i++) {
                JsonNode *d = json_array_get_element(arr, i);
                gint64 id = num(d, "id");
                g_autofree char *ids =
                        id > 0 ? g_strdup_printf("%" G_GINT64_FORMAT, id) : g_strdup("-");
                printf(" %-5s %-30s %s\n", ids, str(d, "name"), state_name(d));
        }
        return 0;
}

/* Read the XML file a->pos[0] (- for stdin) and call @method with it as "xml" (and @flag). */
static int call_with_xml_file(VkCli *cli, const Args *a, const char *driver, const char *method,
                              const char *flag, JsonNode **ret, VkError *e) {
        g_autofree char *xml = NULL;
        int r;

        r = read_xml_file(a->pos[0], &xml, e);
        if (r < 0)
                return r;
        r = vk_cli_call(cli, driver, method, params_xml(xml, a, flag), ret, e);
        if (r >= 0 && cli->json)
                print_json(*ret);
        return r;
}

static int cmd_define(VkCli *cli, const Args *a, VkError *e) {
        g_autoptr(JsonNode) reply = NULL;
        int r = call_with_xml_file(cli, a, "Qemu", "DefineDomain", NULL, &reply, e);

        if (r >= 0 && !cli->json)
                printf("Domain '%s' defined from %s\n", str(reply, "name"), a->pos[0]);
        return r;
}

static int cmd_create(VkCli *cli, const Args *a, VkError *e) {
        g_autoptr(JsonNode) reply = NULL;
        int r = call_with_xml_file(cli, a, "Qemu", "CreateDomain", "paused", &reply, e);

        if (r >= 0 && !cli->json)
                printf("Domain '%s' created from %s\n", str(reply, "name"), a->pos[0]);
        return r;
}

/* Commands that take DOMAIN and at most one boolean option, and print a sentence. */
typedef struct Simple {
        const char *cmd;
        const char *method;
        const char *flag;   /* CLI option (without --) … */
        const char *param;  /* … sent as this boolean parameter */
        bool flag_value;    /* the value sent when the option is given */
        bool default_value; /* the value sent otherwise (only with always) */
        bool always;        /* send the parameter even without the option */
        const char *done;   /* "started": printed as "Domain 'x' started" */
} Simple;

static const Simple simple_cmds[] = {
        { "start", "StartDomain", "paused", "paused", true, false, false, "started" },
        { "shutdown", "ShutdownDomain", NULL, NULL, false, false, false, "is being shut down" },
        { "destroy", "DestroyDomain", "graceful", "graceful", true, false, false, "destroyed" },
        { "reboot", "RebootDomain", NULL, NULL, false, false, false, "is being rebooted" },
        { "reset", "ResetDomain", NULL, NULL, false, false, false, "was reset" },
        { "suspend", "SuspendDomain", NULL, NULL, false, false, false, "suspended" },
        { "resume", "ResumeDomain", NULL, NULL, false, false, false, "resumed" },
        { "autostart", "SetDomainAutostart", "disable", "enabled", false, true, true,
          "autostart updated" },
        {},
};

static int cmd_simple(VkCli *cli, const Args *a, VkError *e, const char *name) {
        const Simple *s;
        JsonNode *p = params_domain(a->pos[0]);

        for (s = simple_cmds; s->cmd; s++)
                if (strcmp(s->cmd, name) == 0)
                        break;
        g_assert(s->cmd);
        if (s->param && (s->always || opt(a, s->flag)))
                json_object_set_boolean_member(json_node_get_object(p), s->param,
                                               opt(a, s->flag) ? s->flag_value : s->default_value);
        return call_print(cli, "Qemu", s->method, p, NULL, s->done, a->pos[0], e);
}

#define SIMPLE(n)                                                                                  \
        static int cmd_##n(VkCli *cli, const Args *a, VkError *e) {                                \
                return cmd_simple(cli, a, e, #n);                                                  \
        }
SIMPLE(start)
SIMPLE(shutdown)
SIMPLE(destroy)
SIMPLE(reboot)
SIMPLE(reset)
SIMPLE(suspend)
SIMPLE(resume)
SIMPLE(autostart)

/* virsh undefine [--nvram | --keep-nvram]: what happens to a UEFI domain's variable store */
static int cmd_undefine(VkCli *cli, const Args *a, VkError *e) {
        JsonNode *p = params_domain(a->pos[0]);

        if (opt(a, "nvram"))
                json_object_set_boolean_member(json_node_get_object(p), "nvram", true);
        if (opt(a, "keep-nvram"))
                json_object_set_boolean_member(json_node_get_object(p), "keepNvram", true);
        return call_print(cli, "Qemu", "UndefineDomain", p, NULL, "has been undefined", a->pos[0],
                          e);
}

static int cmd_dumpxml(VkCli *cli, const Args *a, VkError *e) {
        JsonNode *p = params_domain(a->pos[0]);

        if (opt(a, "inactive"))
                json_object_set_boolean_member(json_node_get_object(p), "inactive", true);
        if (opt(a, "security-info"))
                json_object_set_boolean_member(json_node_get_object(p), "secure", true);
        return call_print(cli, "Qemu", "GetDomainXML", p, "xml", NULL, NULL, e);
}

static int cmd_dominfo(VkCli *cli, const Args *a, VkError *e) {
        g_autoptr(JsonNode) reply = NULL, info = NULL;
        int r;

        r = vk_cli_call(cli, "Qemu", "LookupDomain", params_lookup(a->pos[0]), &reply, e);
        if (r < 0)
                return r;
        r = vk_cli_call(cli, "Qemu", "GetDomainInfo", params_domain(a->pos[0]), &info, e);
        if (r < 0)
                return r;
        if (cli->json) {
                print_json(info);
                return 0;
        }
        if (num(reply, "id") > 0)
                printf("%-15s %" G_GINT64_FORMAT "\n", "Id:", num(reply, "id"));
        else
                printf("%-15s %s\n", "Id:", "-");
        printf("%-15s %s\n", "Name:", str(reply, "name"));
        printf("%-15s %s\n", "UUID:", str(reply, "uuid"));
        printf("%-15s %s\n", "State:", state_name(info));
        printf("%-15s %" G_GINT64_FORMAT "\n", "CPU(s):", num(info, "vcpus"));
        printf("%-15s %" G_GINT64_FORMAT " KiB\n", "Max memory:", num(info, "maxMemory"));
        printf("%-15s %" G_GINT64_FORMAT " KiB\n", "Used memory:", num(info, "memory"));
        return 0;
}

static int cmd_domstate(VkCli *cli, const Args *a, VkError *e) {
        g_autoptr(JsonNode) info = NULL;
        int r;

        r = vk_cli_call(cli, "Qemu", "GetDomainInfo", params_domain(a->pos[0]), &info, e);
        if (r < 0)
                return r;
        if (cli->json)
                print_json(info);
        else if (opt(a, "reason"))
                printf("%s (%s)\n", state_name(info), str(info, "reason"));
        else
                printf("%s\n", state_name(info));
        return 0;
}

static int cmd_lookup(VkCli *cli, const Args *a, VkError *e, const char *field) {
        g_autoptr(JsonNode) reply = NULL;
        int r;

        r = vk_cli_call(cli, "Qemu", "LookupDomain", params_lookup(a->pos[0]), &reply, e);
        if (r < 0)
                return r;
        if (cli->json)
                print_json(reply);
        else if (strcmp(field, "id") == 0)
                num(reply, "id") > 0 ? printf("%" G_GINT64_FORMAT "\n", num(reply, "id"))
                                     : printf("-\n");
        else
                printf("%s\n", str(reply, field));
        return 0;
}

static int cmd_domid(VkCli *cli, const Args *a, VkError *e) {
        return cmd_lookup(cli, a, e, "id");
}

static int cmd_domuuid(VkCli *cli, const Args *a, VkError *e) {
        return cmd_lookup(cli, a, e, "uuid");
}

static int cmd_domname(VkCli *cli, const Args *a, VkError *e) {
        return cmd_lookup(cli, a, e, "name");
}

static int cmd_capabilities(VkCli *cli, const Args *a, VkError *e) {
        return call_print(cli, "Qemu", "GetCapabilities", NULL, "xml", NULL, NULL, e);
}

static int cmd_domcapabilities(VkCli *cli, const Args *a, VkError *e) {
        static const char *const keys[][2] = {
                { "emulator", "emulator" },
                { "arch", "arch" },
                { "machine", "machine" },
                { "virttype", "virtType" },
        };
        JsonObject *o = json_object_new();

        for (size_t i = 0; i < VK_ELEMENTSOF(keys); i++)
                if (opt_value(a, keys[i][0]))
                        json_object_set_string_member(o, keys[i][1], opt_value(a, keys[i][0]));
        return call_print(cli, "Qemu", "GetDomainCapabilities", params_take(o), "xml", NULL, NULL,
                          e);
}

static int native_params(const Args *a, const char *key, JsonNode **ret, VkError *e) {
        g_autofree char *text = NULL;
        JsonObject *o;
        int r;

        r = read_xml_file(a->pos[1], &text, e);
        if (r < 0)
                return r;
        o = json_object_new();
        json_object_set_string_member(o, "format", a->pos[0]);
        json_object_set_string_member(o, key, text);
        *ret = params_take(o);
        return 0;
}

static int cmd_domxml_to_native(VkCli *cli, const Args *a, VkError *e) {
        JsonNode *p = NULL;
        int r = native_params(a, "xml", &p, e);

        if (r < 0)
                return r;
        return call_print(cli, "Qemu", "DomainXMLToNative", p, "native", NULL, NULL, e);
}

static int cmd_domxml_from_native(VkCli *cli, const Args *a, VkError *e) {
        JsonNode *p = NULL;
        int r = native_params(a, "native", &p, e);

        if (r < 0)
                return r;
        return call_print(cli, "Qemu", "DomainXMLFromNative", p, "xml", NULL, NULL, e);
}

static int cmd_qemu_monitor_command(VkCli *cli, const Args *a, VkError *e) {
        g_autoptr(JsonNode) reply = NULL;
        g_autofree char *command = g_strjoinv(" ", a->pos + 1);
        JsonNode *p = params_domain(a->pos[0]);
        int r;

        json_object_set_string_member(json_node_get_object(p), "command", command);
        if (opt(a, "hmp"))
                json_object_set_boolean_member(json_node_get_object(p), "hmp", true);
        r = vk_cli_call(cli, "Qemu", "QemuMonitorCommand", p, &reply, e);
        if (r < 0)
                return r;
        if (cli->json)
                print_json(reply);
        else if (opt(a, "pretty") && !opt(a, "hmp")) {
                g_autoptr(JsonNode) parsed = NULL;
                if (vk_json_parse(str(reply, "reply"), -1, &parsed, NULL) >= 0)
                        print_json(parsed);
                else
                        printf("%s\n", str(reply, "reply"));
        } else {
                const char *s = str(reply, "reply");
                printf("%s%s", s, g_str_has_suffix(s, "\n") ? "" : "\n");
        }
        return 0;
}

static int cmd_version(VkCli *cli, const Args *a, VkError *e) {
        g_autoptr(JsonNode) reply = NULL;
        int r;

        r = vk_cli_call(cli, "Qemu", "GetVersion", NULL, &reply, e);
        if (r < 0)
                return r;
        if (cli->json) {
                JsonObject *o = json_node_get_object(reply);
                json_object_set_string_member(o, "client", VK_VERSION);
                print_json(reply);
                return 0;
        }
        printf("Compiled against virtkit %s\n", VK_VERSION);
        printf("Running daemon: %s %s (%s instance)\n", str(reply, "product"),
               str(reply, "version"), str(reply, "instance"));
        return 0;
}

static int cmd_uri(VkCli *cli, const Args *a, VkError *e) {
        if (cli->json)
                printf("{\n  \"uri\": \"%s\"\n}\n", cli->uri->text);
        else
                printf("%s\n", cli->uri->text);
        return 0;
}

/* Copy between stdin/stdout and the local daemon's socket: the far end of qemu+ssh. */
static int cmd_bridge(VkCli *cli, const Args *a, VkError *e) {
        struct sockaddr_un sa;
        g_autofree char *path = NULL;
        vk_autofd fd = -1;
        bool in_open = true;
        char buf[65536];
        int salen, r;

        if (cli->uri->transport != VK_URI_LOCAL)
                return vk_error_set(e, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "bridge needs a local URI, not '%s'", cli->uri->text);
        r = vk_cli_socket_path(cli->uri, "Qemu", &path, e);
        if (r < 0)
                return r;
        salen = vk_sockaddr_un_set(&sa, path, e);
        if (salen < 0)
                return salen;
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *) &sa, salen) < 0)
                return vk_error_set(e, VK_ERROR_OPERATION_FAILED, -errno, "cannot reach '%s': %s",
                                    path, g_strerror(errno));
        for (;;) {
                struct pollfd p[2] = { { .fd = in_open ? STDIN_FILENO : -1, .events = POLLIN },
                                       { .fd = fd, .events = POLLIN } };
                ssize_t n;

                if (poll(p, 2, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        return vk_error_set_errno(e, -errno, "poll failed");
                }
                if (p[0].revents) {
                        n = read(STDIN_FILENO, buf, sizeof(buf));
                        if (n <= 0) {
                                in_open = false;
                                (void) shutdown(fd, SHUT_WR);
                        } else if (send(fd, buf, (size_t) n, MSG_NOSIGNAL) != n)
                                return 0;
                }
                if (p[1].revents) {
                        n = recv(fd, buf, sizeof(buf), 0);
                        if (n <= 0)
                                return 0;
                        if (write(STDOUT_FILENO, buf, (size_t) n) != n)
                                return 0;
                }
        }
}

/* --- secrets (virtkit-secretd) --- */

static JsonNode *params_secret(const char *uuid) {
        JsonObject *o = json_object_new();

        json_object_set_string_member(o, "secret", uuid);
        return params_take(o);
}

static int cmd_secret_define(VkCli *cli, const Args *a, VkError *e) {
        g_autoptr(JsonNode) reply = NULL;
        int r = call_with_xml_file(cli, a, "Secret", "DefineSecret", NULL, &reply, e);

        if (r >= 0 && !cli->json)
                printf("Secret %s created\n", str(reply, "uuid"));
        return r;
}

static int cmd_secret_undefine(VkCli *cli, const Args *a, VkError *e) {
        int r = vk_cli_call(cli, "Secret", "UndefineSecret", params_secret(a->pos[0]), NULL, e);

        if (r >= 0 && !cli->json)
                printf("Secret %s deleted\n", a->pos[0]);
        return r;
}

static int cmd_secret_list(VkCli *cli, const Args *a, VkError *e) {
        g_autoptr(JsonNode) reply = NULL;
        JsonNode *list;
        JsonArray *arr;
        int r;

        r = vk_cli_call(cli, "Secret", "ListSecrets", NULL, &reply, e);
        if (r < 0)
                return r;
        if (cli->json) {
                print_json(reply);
                return 0;
        }
        list = json_object_get_member(json_node_get_object(reply), "secrets");
        arr = list && JSON_NODE_HOLDS_ARRAY(list) ? json_node_get_array(list) : NULL;
        printf(" %-36s  %s\n", "UUID", "Usage");
        printf("%s\n", "--------------------------------------------------------------");
        for (guint i = 0; arr && i < json_array_get_length(arr); i++) {
                JsonNode *s = json_array_get_element(arr, i);
                printf(" %-36s  %s %s\n", str(s, "uuid"), str(s, "usageType"), str(s, "usageId"));
        }
        return 0;
}

static int cmd_secret_dumpxml(VkCli *cli, const Args *a, VkError *e) {
        return call_print(cli, "Secret", "GetSecretXML", params_secret(a->pos[0]), "xml", NULL,
                          NULL, e);
}

/* The value comes from a file or standard input, never from the command line (argv is public). */
static int cmd_secret_set_value(VkCli *cli, const Args *a, VkError *e) {
        const char *file = opt_value(a, "file");
        g_autofree char *data = NULL;
        g_autofree char *b64 = NULL;
        JsonNode *p;
        size_t len = 0;
        int r;

        if (!file || strcmp(file, "-") == 0) {
                r = read_xml_file("-", &data, e);
                len = data ? strlen(data) : 0;
        } else
                r = vk_file_read_all(file, 64u * 1024u, &data, &len, e);
        if (r < 0)
                return r;
        if (opt(a, "plain") && len > 0 && data[len - 1] == '\n')
                len--; /* "echo secret |" adds a newline that is not part of the value */
        b64 = g_base64_encode((const guchar *) data, len);
        explicit_bzero(data, len);
        p = params_secret(a->pos[0]);
        json_object_set_string_member(json_node_get_object(p), "value", b64);
        r = vk_cli_call(cli, "Secret", "SetSecretValue", p, NULL, e);
        explicit_bzero(b64, strlen(b64));
        if (r >= 0 && !cli->json)
                printf("Secret value set\n");
        return r;
}

static int cmd_secret_get_value(VkCli *cli, const Args *a, VkError *e) {
        g_autoptr(JsonNode) reply = NULL;
        int r;

        r = vk_cli_call(cli, "Secret", "GetSecretValue", params_secret(a->pos[0]), &reply, e);
        if (r < 0)
                return r;
        if (cli->json)
                print_json(reply);
        else if (opt(a, "plain")) {
                gsize n = 0;
                g_autofree guchar *raw = g_base64_decode(str(reply, "value"), &n);
                (void) !fwrite(raw, 1, n, stdout);
                explicit_bzero(raw, n);
        } else
                printf("%s\n", str(reply, "value"));
        return 0;
}

static int cmd_help(VkCli *cli, const Args *a, VkError *e);

static const Cmd commands[] = {
        { "list", "[--all] [--inactive] [--name] [--uuid]",
          "List domains (running ones by default)", 0, 0, "all inactive name uuid", cmd_list },
        { "define", "FILE", "Define a persistent domain from an XML file (- for stdin)", 1, 1, "",
          cmd_define },
        { "undefine", "DOMAIN [--nvram] [--keep-nvram]",
          "Remove a domain's persistent definition (--nvram: and its UEFI variable store)", 1, 1,
          "nvram keep-nvram", cmd_undefine },
        { "create", "FILE [--paused]", "Start a transient domain from an XML file", 1, 1, "paused",
          cmd_create },
        { "start", "DOMAIN [--paused]", "Start a defined domain", 1, 1, "paused", cmd_start },
        { "shutdown", "DOMAIN", "Ask the guest to shut down (ACPI power button)", 1, 1, "",
          cmd_shutdown },
        { "destroy", "DOMAIN [--graceful]", "Stop a domain now", 1, 1, "graceful", cmd_destroy },
        { "reboot", "DOMAIN", "Reboot a domain", 1, 1, "", cmd_reboot },
        { "reset", "DOMAIN", "Reset a domain (like the reset button)", 1, 1, "", cmd_reset },
        { "suspend", "DOMAIN", "Pause a domain's vCPUs", 1, 1, "", cmd_suspend },
        { "resume", "DOMAIN", "Resume a paused domain", 1, 1, "", cmd_resume },
        { "autostart", "DOMAIN [--disable]", "Start the domain when the host boots", 1, 1,
          "disable", cmd_autostart },
        { "dumpxml", "DOMAIN [--inactive] [--security-info]", "Print a domain's XML", 1, 1,
          "inactive security-info", cmd_dumpxml },
        { "dominfo", "DOMAIN", "Show a domain's basic information", 1, 1, "", cmd_dominfo },
        { "domstate", "DOMAIN [--reason]", "Show a domain's state", 1, 1, "reason", cmd_domstate },
        { "domid", "DOMAIN", "Print a domain's id", 1, 1, "", cmd_domid },
        { "domuuid", "DOMAIN", "Print a domain's UUID", 1, 1, "", cmd_domuuid },
        { "domname", "DOMAIN", "Print a domain's name", 1, 1, "", cmd_domname },
        { "capabilities", "", "Print the host and guest capabilities (XML)", 0, 0, "",
          cmd_capabilities },
        { "domcapabilities", "[--emulator P] [--arch A] [--machine M] [--virttype T]",
          "Print what a domain may use on this host (XML)", 0, 0,
          "emulator= arch= machine= virttype=", cmd_domcapabilities },
        { "domxml-to-native", "qemu-argv FILE", "Print the QEMU command line for a domain XML", 2,
          2, "", cmd_domxml_to_native },
        { "domxml-from-native", "qemu-argv FILE", "Convert QEMU arguments to XML (removed)", 2, 2,
          "", cmd_domxml_from_native },
        { "qemu-monitor-command", "DOMAIN [--hmp] [--pretty] COMMAND...",
          "Send a raw command to QEMU's monitor (taints the domain)", 2, -1, "hmp pretty",
          cmd_qemu_monitor_command },
        { "secret-define", "FILE", "Define a secret from libvirt's secret XML", 1, 1, "",
          cmd_secret_define },
        { "secret-undefine", "UUID", "Delete a secret and its value", 1, 1, "",
          cmd_secret_undefine },
        { "secret-list", "", "List secrets", 0, 0, "", cmd_secret_list },
        { "secret-dumpxml", "UUID", "Print a secret's XML", 1, 1, "", cmd_secret_dumpxml },
        { "secret-set-value", "UUID [--file FILE] [--plain]",
          "Set a secret's value from a file or standard input (never the command line)", 1, 1,
          "file= plain", cmd_secret_set_value },
        { "secret-get-value", "UUID [--plain]", "Print a secret's value (base64, or raw)", 1, 1,
          "plain", cmd_secret_get_value },
        { "version", "", "Show the client's and the daemon's versions", 0, 0, "", cmd_version },
        { "uri", "", "Print the connection URI", 0, 0, "", cmd_uri },
        { "bridge", "[URI]", "Relay stdin/stdout to the local daemon (used by qemu+ssh)", 0, 1, "",
          cmd_bridge },
        { "help", "[COMMAND]", "Show help", 0, 1, "", cmd_help },
        {},
};

static const Cmd *find_cmd(const char *name) {
        for (const Cmd *c = commands; c->name; c++)
                if (strcmp(c->name, name) == 0)
                        return c;
        for (const Cmd *c = vk_cli_net_commands; c->name; c++)
                if (strcmp(c->name, name) == 0)
                        return c;
        for (const Cmd *c = vk_cli_storage_commands; c->name; c++)
                if (strcmp(c->name, name) == 0)
                        return c;
        for (const Cmd *c = vk_cli_vol_commands; c->name; c++)
                if (strcmp(c->name, name) == 0)
                        return c;
        for (const Cmd *c = vk_cli_event_commands; c->name; c++)
                if (strcmp(c->name, name) == 0)
                        return c;
        for (const Cmd *c = vk_cli_domops_commands; c->name; c++)
                if (strcmp(c->name, name) == 0)
                        return c;
        for (const Cmd *c = vk_cli_vcpu_commands; c->name; c++)
                if (strcmp(c->name, name) == 0)
                        return c;
        for (const Cmd *c = vk_cli_media_commands; c->name; c++)
                if (strcmp(c->name, name) == 0)
                        return c;
        for (const Cmd *c = vk_cli_device_commands; c->name; c++)
                if (strcmp(c->name, name) == 0)
                        return c;
        return NULL;
}

static void usage(FILE *f) {
        fprintf(f, "Usage: virtkit [-c URI] [--json] COMMAND [ARGS...]\n\n"
                   "Manage QEMU/KVM virtual machines through the virtkit daemons.\n\n"
                   "  -c, --connect URI   qemu:///system, qemu:///session, qemu+unix:///system?"
                   "socket=PATH,\n"
                   "                      qemu+ssh://[USER@]HOST[:PORT]/system, "
                   "qemu:///embed?root=/DIR\n"
                   "                      (default: $VIRTKIT_DEFAULT_URI, else system for root,\n"
                   "                      session for other users)\n"
                   "      --json          Print results as JSON\n\n"
                   "Commands:\n");
        for (const Cmd *c = commands; c->name; c++)
                fprintf(f, "  %-22s %s\n", c->name, c->help);
        for (const Cmd *c = vk_cli_net_commands; c->name; c++)
                fprintf(f, "  %-22s %s\n", c->name, c->help);
        for (const Cmd *c = vk_cli_storage_commands; c->name; c++)
                fprintf(f, "  %-22s %s\n", c->name, c->help);
        for (const Cmd *c = vk_cli_vol_commands; c->name; c++)
                fprintf(f, "  %-22s %s\n", c->name, c->help);
        for (const Cmd *c = vk_cli_event_commands; c->name; c++)
                fprintf(f, "  %-22s %s\n", c->name, c->help);
        for (const Cmd *c = vk_cli_domops_commands; c->name; c++)
                fprintf(f, "  %-22s %s\n", c->name, c->help);
        for (const Cmd *c = vk_cli_vcpu_commands; c->name; c++)
                fprintf(f, "  %-22s %s\n", c->name, c->help);
        for (const Cmd *c = vk_cli_media_commands; c->name; c++)
                fprintf(f, "  %-22s %s\n", c->name, c->help);
        for (const Cmd *c = vk_cli_device_commands; c->name; c++)
                fprintf(f, "  %-22s %s\n", c->name, c->help);
}

static void cmd_usage(const Cmd *c) {
        printf("Usage: virtkit %s %s\n\n%s.\n", c->name, c->usage, c->help);
}

static int cmd_help(VkCli *cli, const Args *a, VkError *e) {
        const Cmd *c = a->n_pos > 0 ? find_cmd(a->pos[0]) : NULL;

        if (a->n_pos > 0 && !c)
                return vk_error_set(e, VK_ERROR_INVALID_ARGUMENT, -EINVAL, "unknown command '%s'",
                                    a->pos[0]);
        if (!c) {
                usage(stdout);
                return 0;
        }
        cmd_usage(c);
        return 0;
}

/* Print an error on stderr: "error: NAME: MESSAGE", or with --json one JSON object
 * {"error": NAME, "message": MESSAGE} (stdout stays empty when a command fails). */
static void print_error(bool json, const char *name, const char *message) {
        if (json) {
                g_autoptr(JsonBuilder) b = json_builder_new();
                g_autoptr(JsonGenerator) gen = json_generator_new();
                g_autoptr(JsonNode) root = NULL;
                g_autofree char *text = NULL;

                json_builder_begin_object(b);
                json_builder_set_member_name(b, "error");
                json_builder_add_string_value(b, name);
                json_builder_set_member_name(b, "message");
                json_builder_add_string_value(b, message);
                json_builder_end_object(b);
                root = json_builder_get_root(b);
                json_generator_set_root(gen, root);
                text = json_generator_to_data(gen, NULL);
                fprintf(stderr, "%s\n", text);
                return;
        }
        fprintf(stderr, "error: %s: %s\n", name, message);
}

static int usage_error(bool json, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static int usage_error(bool json, const char *fmt, ...) {
        g_autofree char *msg = NULL;
        va_list ap;

        va_start(ap, fmt);
        msg = g_strdup_vprintf(fmt, ap);
        va_end(ap);
        if (json)
                print_error(true, "io.virtkit.UsageError", msg);
        else
                fprintf(stderr, "virtkit: %s\n", msg);
        return EXIT_FAILURE_ANY;
}

static bool opt_known(const Cmd *c, const char *name, bool *ret_takes_value) {
        g_auto(GStrv) list = g_strsplit(c->opts, " ", -1);

        for (char **o = list; *o; o++) {
                size_t len = strlen(*o);
                bool value = len > 0 && (*o)[len - 1] == '=';

                if (strncmp(*o, name, value ? len - 1 : len) == 0 &&
                    strlen(name) == (value ? len - 1 : len)) {
                        *ret_takes_value = value;
                        return true;
                }
        }
        return false;
}

int main(int argc, char **argv) {
        static const struct option options[] = { { "connect", required_argument, NULL, 'c' },
                                                 { "json", no_argument, NULL, 'j' },
                                                 { "help", no_argument, NULL, 'h' },
                                                 { "version", no_argument, NULL, 'V' },
                                                 {} };
        g_autoptr(GHashTable) opts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
        g_autoptr(GPtrArray) pos = g_ptr_array_new();
        g_autofree char *uri_text = NULL;
        g_auto(VkError) error = VK_ERROR_INIT;
        VkCli cli = {};
        const Cmd *cmd;
        Args a;
        int c, r;

        /* the in-process drivers' adapters log at info: a command line tool says less */
        vk_log_open(VK_LOG_IDENT);
        if (!getenv("VIRTKIT_LOG_LEVEL"))
                vk_log_set_max_level(LOG_WARNING);
        /* --json anywhere (before "--") makes usage errors JSON too */
        for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
                if (strcmp(argv[i], "--json") == 0)
                        cli.json = true;

        while ((c = getopt_long(argc, argv, "+c:h", options, NULL)) >= 0) {
                switch (c) {
                case 'c':
                        g_free(uri_text);
                        uri_text = g_strdup(optarg);
                        break;
                case 'j':
                        cli.json = true;
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                case 'V':
                        printf("virtkit %s\n", VK_VERSION);
                        return 0;
                default: /* getopt said what is wrong */
                        return usage_error(cli.json, "bad option (see 'virtkit --help')");
                }
        }
        if (optind >= argc) {
                if (cli.json)
                        return usage_error(true, "no command (see 'virtkit --help')");
                usage(stderr);
                return EXIT_FAILURE_ANY;
        }
        cmd = find_cmd(argv[optind]);
        if (!cmd)
                return usage_error(cli.json, "unknown command '%s' (see 'virtkit help')",
                                   argv[optind]);

        /* the command's own options may stand anywhere after it; "--" ends them */
        for (int i = optind + 1; i < argc; i++) {
                bool takes_value = false;

                if (strcmp(argv[i], "--") == 0) {
                        for (i++; i < argc; i++)
                                g_ptr_array_add(pos, argv[i]);
                        break;
                }
                if (strcmp(argv[i], "--json") == 0) {
                        cli.json = true;
                        continue;
                }
                /* CMD --help / -h: its usage (not for a variadic command's data words) */
                if ((strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) &&
                    (cmd->max_args >= 0 || (int) pos->len < cmd->min_args)) {
                        cmd_usage(cmd);
                        return 0;
                }
                if (g_str_has_prefix(argv[i], "--")) {
                        const char *name = argv[i] + 2;
                        const char *eq = strchr(name, '=');
                        g_autofree char *key =
                                eq ? g_strndup(name, (gsize) (eq - name)) : g_strdup(name);
                        bool known = opt_known(cmd, key, &takes_value);

                        /*
                         * a variadic command's trailing words are data (a monitor command's),
                         * but for its own options, which stand anywhere, as in virsh
                         */
                        if (!known && cmd->max_args < 0 && (int) pos->len >= cmd->min_args) {
                                g_ptr_array_add(pos, argv[i]);
                                continue;
                        }
                        if (!known)
                                return usage_error(cli.json,
                                                   "%s: unknown option '--%s' (see 'virtkit %s "
                                                   "--help')",
                                                   cmd->name, key, cmd->name);
                        if (takes_value && !eq && i + 1 >= argc)
                                return usage_error(cli.json, "%s: option '--%s' needs a value",
                                                   cmd->name, key);
                        g_hash_table_replace(
                                opts, g_steal_pointer(&key),
                                g_strdup(takes_value ? (eq ? eq + 1 : argv[++i]) : ""));
                        continue;
                }
                g_ptr_array_add(pos, argv[i]);
        }
        if ((int) pos->len < cmd->min_args ||
            (cmd->max_args >= 0 && (int) pos->len > cmd->max_args)) {
                if (cli.json)
                        return usage_error(true, "usage: virtkit %s %s", cmd->name, cmd->usage);
                fprintf(stderr, "Usage: virtkit %s %s\n", cmd->name, cmd->usage);
                return EXIT_FAILURE_ANY;
        }
        g_ptr_array_add(pos, NULL);
        a = (Args){ .pos = (char **) pos->pdata, .n_pos = (int) pos->len - 1, .opts = opts };

        if (cmd->run == cmd_bridge && a.n_pos > 0) {
                g_free(uri_text);
                uri_text = g_strdup(a.pos[0]);
        }
        if (!uri_text)
                uri_text = vk_uri_default();
        if (cmd->run != cmd_help) {
                r = vk_uri_parse(uri_text, &cli.uri, &error);
                if (r < 0) {
                        if (cli.json)
                                print_error(true, error.name ? error.name : "InvalidArgument",
                                            error.message);
                        else
                                fprintf(stderr, "error: %s\n", error.message);
                        return EXIT_FAILURE_ANY;
                }
        }
        cli.quiet_progress = cli.json || !isatty(STDERR_FILENO);

        r = cmd->run(&cli, &a, &error);
        vk_cli_done(&cli);
        /* `event` that saw none: virsh's exit status, its output said so already */
        if (r == -ETIME && !vk_error_is_set(&error))
                return EXIT_FAILURE_ANY;
        if (r < 0) {
                print_error(cli.json, error.name ? error.name : "io.virtkit.Failed",
                            error.message ? error.message : g_strerror(-r));
                return EXIT_FAILURE_ANY;
        }
        return 0;
}
