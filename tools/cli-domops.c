/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cli-domops.c: inject-nmi, send-key, domrename, metadata, desc (virsh's names and output) */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli-cmd.h"

static JsonObject *params_domain(const char *domain) {
        JsonObject *o = json_object_new();

        json_object_set_string_member(o, "domain", domain);
        return o;
}

/* Call @method; with --json print its reply, else @done (NULL: nothing) and a newline. */
static int call_done(VkCli *cli, const char *method, JsonObject *o, const char *done, VkError *e) {
        g_autoptr(JsonNode) reply = NULL;
        int r;

        r = vk_cli_call(cli, "Qemu", method, vk_cli_object_node(o), &reply, e);
        if (r < 0)
                return r;
        if (cli->json)
                vk_cli_dump_json(reply);
        else if (done)
                printf("%s\n", done);
        return 0;
}

static int cmd_inject_nmi(VkCli *cli, const Args *a, VkError *e) {
        return call_done(cli, "InjectDomainNMI", params_domain(a->pos[0]), NULL, e);
}

/* virsh send-key DOMAIN [--codeset C] [--holdtime MS] KEYCODE... (numbers or key names) */
static int cmd_send_key(VkCli *cli, const Args *a, VkError *e) {
        JsonObject *o = params_domain(a->pos[0]);
        const char *codeset = g_hash_table_lookup(a->opts, "codeset");
        const char *holdtime = g_hash_table_lookup(a->opts, "holdtime");
        JsonArray *keys = json_array_new();

        if (codeset)
                json_object_set_string_member(o, "codeset", codeset);
        if (holdtime) {
                guint64 ms;

                if (!g_ascii_string_to_unsigned(holdtime, 10, 0, UINT32_MAX, &ms, NULL)) {
                        json_array_unref(keys);
                        json_object_unref(o);
                        return vk_error_set(e, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                            "invalid value of --holdtime: '%s'", holdtime);
                }
                json_object_set_int_member(o, "holdtime", (gint64) ms);
        }
        for (int i = 1; i < a->n_pos; i++)
                json_array_add_string_element(keys, a->pos[i]);
        json_object_set_array_member(o, "keys", keys);
        return call_done(cli, "SendDomainKey", o, NULL, e);
}

static int cmd_domrename(VkCli *cli, const Args *a, VkError *e) {
        JsonObject *o = params_domain(a->pos[0]);

        json_object_set_string_member(o, "newName", a->pos[1]);
        return call_done(cli, "RenameDomain", o, "Domain successfully renamed", e);
}

/* --live, --config, --current (exclusive with both) as the "live" and "config" parameters */
static int metadata_impact(const Args *a, JsonObject *o, VkError *e) {
        if (vk_cli_has_opt(a, "current") &&
            (vk_cli_has_opt(a, "live") || vk_cli_has_opt(a, "config")))
                return vk_error_set(e, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "Options --current and --%s are mutually exclusive",
                                    vk_cli_has_opt(a, "live") ? "live" : "config");
        if (vk_cli_has_opt(a, "live"))
                json_object_set_boolean_member(o, "live", true);
        if (vk_cli_has_opt(a, "config"))
                json_object_set_boolean_member(o, "config", true);
        return 0;
}

/* virsh metadata DOMAIN [--uri] URI [--key K] [--set XML | --remove] [--live|--config|--current] */
static int cmd_metadata(VkCli *cli, const Args *a, VkError *e) {
        g_autoptr(JsonObject) o = params_domain(a->pos[0]);
        const char *uri = a->n_pos > 1 ? a->pos[1] : g_hash_table_lookup(a->opts, "uri");
        const char *key = g_hash_table_lookup(a->opts, "key");
        const char *set = g_hash_table_lookup(a->opts, "set");
        bool remove = vk_cli_has_opt(a, "remove");
        g_autoptr(JsonNode) reply = NULL;
        int r;

        if (!uri)
                return vk_error_set(e, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "Usage: virtkit metadata DOMAIN URI [--key KEY] "
                                    "[--set XML | --remove]: the namespace URI is missing");
        if (set && remove)
                return vk_error_set(e, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "Options --remove and --set are mutually exclusive");
        if (set && !key)
                return vk_error_set(e, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "namespace key is required when modifying metadata");
        r = metadata_impact(a, o, e);
        if (r < 0)
                return r;
        json_object_set_string_member(o, "type", "element");
        json_object_set_string_member(o, "uri", uri);
        if (set || remove) {
                if (set) {
                        json_object_set_string_member(o, "metadata", set);
                        json_object_set_string_member(o, "key", key);
                }
                return call_done(cli, "SetDomainMetadata", g_steal_pointer(&o),
                                 remove ? "Metadata removed" : "Metadata modified", e);
        }
        r = vk_cli_call(cli, "Qemu", "GetDomainMetadata", vk_cli_object_node(g_steal_pointer(&o)),
                        &reply, e);
        if (r < 0)
                return r;
        if (cli->json)
                vk_cli_dump_json(reply);
        else
                printf("%s\n", vk_cli_member(reply, "metadata"));
        return 0;
}

/*
 * virsh desc DOMAIN [--title] [--live|--config|--current] [--new-desc TEXT | TEXT]: prints
 * the description (or title) as it is, or virsh's "No description for domain: NAME"; with a
 * new text sets it ("" removes it).
 */
static int cmd_desc(VkCli *cli, const Args *a, VkError *e) {
        g_autoptr(JsonObject) o = params_domain(a->pos[0]);
        bool title = vk_cli_has_opt(a, "title");
        const char *what = title ? "title" : "description";
        const char *new_desc = g_hash_table_lookup(a->opts, "new-desc");
        g_auto(VkError) err = VK_ERROR_INIT;
        g_autoptr(JsonNode) reply = NULL;
        int r;

        if (vk_cli_has_opt(a, "edit"))
                return vk_error_set(e, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                    "--edit is not supported: give the new text");
        r = metadata_impact(a, o, e);
        if (r < 0)
                return r;
        json_object_set_string_member(o, "type", what);
        if (!new_desc && a->n_pos > 1)
                new_desc = a->pos[1];
        if (new_desc) {
                if (*new_desc)
                        json_object_set_string_member(o, "metadata", new_desc);
                return call_done(cli, "SetDomainMetadata", g_steal_pointer(&o),
                                 title ? "Domain title updated successfully"
                                       : "Domain description updated successfully",
                                 e);
        }
        r = vk_cli_call(cli, "Qemu", "GetDomainMetadata", vk_cli_object_node(g_steal_pointer(&o)),
                        &reply, &err);
        if (r < 0 && !g_str_has_suffix(err.name, ".NoDomainMetadata")) {
                vk_error_move(e, &err);
                return r;
        }
        if (cli->json)
                vk_cli_dump_json(reply);
        else if (r >= 0 && *vk_cli_member(reply, "metadata"))
                fputs(vk_cli_member(reply, "metadata"), stdout);
        else
                printf("No %s for domain: %s", what, a->pos[0]);
        return 0;
}

const Cmd vk_cli_domops_commands[] = {
        { "inject-nmi", "DOMAIN", "Send a non-maskable interrupt to a running domain", 1, 1, "",
          cmd_inject_nmi },
        { "send-key", "DOMAIN [--codeset C] [--holdtime MS] KEYCODE...",
          "Press keys together on a running domain (numbers or names; up to 16)", 2, -1,
          "codeset= holdtime=", cmd_send_key },
        { "domrename", "DOMAIN NEWNAME", "Rename a shut off persistent domain", 2, 2, "",
          cmd_domrename },
        { "metadata",
          "DOMAIN URI [--key KEY] [--set XML | --remove] [--live] [--config] [--current]",
          "Show or change an application's element in a domain's <metadata>", 1, 2,
          "uri= key= set= remove live config current", cmd_metadata },
        { "desc", "DOMAIN [--title] [--live] [--config] [--current] [--new-desc TEXT | TEXT]",
          "Show or change a domain's description or title", 1, 2,
          "title new-desc= live config current edit", cmd_desc },
        {},
};
