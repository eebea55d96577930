/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cli-storage.c: the CLI's storage commands (pool-*, vol-*), in virsh's formats */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli-cmd.h"
#include "macro.h"
#include "uuid.h"

/*
 * Pools and volumes are io.virtkit.Storage: virtkit-storaged's own socket for a local URI,
 * qemud's forwarding with ?socket= and over ssh. The output is virsh's: its sentences, its
 * tables, its "%-15s %s" key/value lines and its sizes ("1.50 GiB").
 */

static JsonNode *params_pool(const char *pool) {
        JsonObject *o = json_object_new();

        json_object_set_string_member(o, "pool", pool);
        return vk_cli_object_node(o);
}

/* ---- pools ---- */

static int cmd_pool_define(VkCli *cli, const Args *a, VkError *e) {
        return vk_cli_define(cli, a, "Storage", "DefineStoragePool", "Pool", e);
}

static int pool_simple(VkCli *cli, const Args *a, const char *method, const char *done,
                       VkError *e) {
        return vk_cli_simple(cli, a, "Storage", method, params_pool(a->pos[0]), "Pool", done, e);
}

static int cmd_pool_start(VkCli *cli, const Args *a, VkError *e) {
        JsonNode *p = params_pool(a->pos[0]);

        if (vk_cli_has_opt(a, "build"))
                json_object_set_boolean_member(json_node_get_object(p), "build", true);
        return vk_cli_simple(cli, a, "Storage", "CreateStoragePool", p, "Pool", "started", e);
}

/* virsh pool-build POOL [--overwrite | --no-overwrite] */
static int cmd_pool_build(VkCli *cli, const Args *a, VkError *e) {
        JsonNode *p = params_pool(a->pos[0]);

        if (vk_cli_has_opt(a, "overwrite") && vk_cli_has_opt(a, "no-overwrite"))
                return vk_error_set(e, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "--overwrite and --no-overwrite are mutually exclusive");
        if (vk_cli_has_opt(a, "overwrite"))
                json_object_set_boolean_member(json_node_get_object(p), "overwrite", true);
        return vk_cli_simple(cli, a, "Storage", "BuildStoragePool", p, "Pool", "built", e);
}

static int cmd_pool_delete(VkCli *cli, const Args *a, VkError *e) {
        return pool_simple(cli, a, "DeleteStoragePool", "deleted", e);
}

static int cmd_pool_destroy(VkCli *cli, const Args *a, VkError *e) {
        return pool_simple(cli, a, "DestroyStoragePool", "destroyed", e);
}

static int cmd_pool_undefine(VkCli *cli, const Args *a, VkError *e) {
        return pool_simple(cli, a, "UndefineStoragePool", "has been undefined", e);
}

static int cmd_pool_refresh(VkCli *cli, const Args *a, VkError *e) {
        return pool_simple(cli, a, "RefreshStoragePool", "refreshed", e);
}

static int cmd_pool_autostart(VkCli *cli, const Args *a, VkError *e) {
        return vk_cli_autostart(cli, a, "Storage", "SetStoragePoolAutostart",
                                params_pool(a->pos[0]), "Pool", e);
}

/* a figure of a pool, "-" while it is inactive (virsh's --details) */
static char *pool_size(JsonNode *n, const char *key) {
        return vk_cli_member_bool(n, "active") ? vk_cli_pretty_size(vk_cli_member_u64(n, key))
                                               : g_strdup("-");
}

static int cmd_pool_list(VkCli *cli, const Args *a, VkError *e) {
        g_autoptr(JsonNode) reply = NULL;
        JsonObject *o = json_object_new();
        bool details = vk_cli_has_opt(a, "details");
        JsonArray *arr = NULL;
        VkCliTable t;
        int r;

        if (vk_cli_has_opt(a, "type"))
                json_object_set_string_member(o, "type", g_hash_table_lookup(a->opts, "type"));
        r = vk_cli_list(cli, a, "Storage", "ListStoragePools", o, "pools", &reply, &arr, e);
        if (r <= 0)
                return r;
        if (details)
                vk_cli_table_init(&t, VK_STRV("Name", "State", "Autostart", "Persistent",
                                              "Capacity", "Allocation", "Available"));
        else
                vk_cli_table_init(&t, VK_STRV("Name", "State", "Autostart"));
        for (guint i = 0; arr && i < json_array_get_length(arr); i++) {
                JsonNode *n = json_array_get_element(arr, i);
                bool active = vk_cli_member_bool(n, "active");
                const char *autostart = vk_cli_yes_no(vk_cli_member_bool(n, "autostart"));

                if (details) {
                        g_autofree char *cap = pool_size(n, "capacity");
                        g_autofree char *alloc = pool_size(n, "allocation");
                        g_autofree char *avail = pool_size(n, "available");

                        vk_cli_table_add(&t,
                                         VK_STRV(vk_cli_member(n, "name"),
                                                 active ? "running" : "inactive", autostart,
                                                 vk_cli_yes_no(vk_cli_member_bool(n, "persistent")),
                                                 cap, alloc, avail));
                } else
                        vk_cli_table_add(&t, VK_STRV(vk_cli_member(n, "name"),
                                                     active ? "active" : "inactive", autostart));
        }
        vk_cli_table_print_free(&t);
        return 0;
}

static int cmd_pool_info(VkCli *cli, const Args *a, VkError *e) {
        g_autoptr(JsonNode) reply = NULL;
        int r;

        r = vk_cli_call(cli, "Storage", "GetStoragePoolInfo", params_pool(a->pos[0]), &reply, e);
        if (r < 0)
                return r;
        if (cli->json) {
                vk_cli_dump_json(reply);
                return 0;
        }
        printf("%-15s %s\n", "Name:", vk_cli_member(reply, "name"));
        printf("%-15s %s\n", "UUID:", vk_cli_member(reply, "uuid"));
        printf("%-15s %s\n",
               "State:", vk_cli_member_bool(reply, "active") ? "running" : "inactive");
        printf("%-15s %s\n", "Persistent:", vk_cli_yes_no(vk_cli_member_bool(reply, "persistent")));
        printf("%-15s %s\n", "Autostart:", vk_cli_yes_no(vk_cli_member_bool(reply, "autostart")));
        if (vk_cli_member_bool(reply, "active")) {
                static const char *const keys[] = { "capacity", "allocation", "available" };
                static const char *const labels[] = { "Capacity:", "Allocation:", "Available:" };

                for (size_t i = 0; i < G_N_ELEMENTS(keys); i++) {
                        g_autofree char *s = vk_cli_pretty_size(vk_cli_member_u64(reply, keys[i]));

                        printf("%-15s %s\n", labels[i], s);
                }
        }
        return 0;
}

static int cmd_pool_dumpxml(VkCli *cli, const Args *a, VkError *e) {
        return vk_cli_dumpxml(cli, a, "Storage", "GetStoragePoolXML", params_pool(a->pos[0]), e);
}

/* ---- volumes ---- */

/*
 * A volume as virsh names it: VOL in --pool POOL by name, else VOL is a path (starting with
 * '/') or a key, looked up in every pool. The reply is the volume's summary.
 */
int vk_cli_lookup_volume(VkCli *cli, const Args *a, const char *vol, JsonNode **ret, VkError *e) {
        const char *pool = g_hash_table_lookup(a->opts, "pool");
        JsonObject *o = json_object_new();

        if (pool) {
                json_object_set_string_member(o, "pool", pool);
                json_object_set_string_member(o, "name", vol);
        } else
                json_object_set_string_member(o, vol[0] == '/' ? "path" : "key", vol);
        return vk_cli_call(cli, "Storage", "LookupVolume", vk_cli_object_node(o), ret, e);
}

JsonNode *vk_cli_params_volume(JsonNode *summary) {
        JsonObject *o = json_object_new();

        json_object_set_string_member(o, "pool", vk_cli_member(summary, "pool"));
        json_object_set_string_member(o, "volume", vk_cli_member(summary, "name"));
        return vk_cli_object_node(o);
}

static int cmd_vol_list(VkCli *cli, const Args *a, VkError *e) {
        g_autoptr(JsonNode) reply = NULL;
        bool details = vk_cli_has_opt(a, "details");
        JsonArray *arr = NULL;
        VkCliTable t;
        int r;

        r = vk_cli_call(cli, "Storage", "ListVolumes", params_pool(a->pos[0]), &reply, e);
        if (r < 0)
                return r;
        if (cli->json) {
                vk_cli_dump_json(reply);
                return 0;
        }
        arr = vk_cli_member_array(reply, "volumes");
        if (details)
                vk_cli_table_init(&t, VK_STRV("Name", "Path", "Type", "Capacity", "Allocation"));
        else
                vk_cli_table_init(&t, VK_STRV("Name", "Path"));
        for (guint i = 0; arr && i < json_array_get_length(arr); i++) {
                JsonNode *n = json_array_get_element(arr, i);

                if (details) {
                        g_autofree char *cap = vk_cli_pretty_size(vk_cli_member_u64(n, "capacity"));
                        g_autofree char *alloc =
                                vk_cli_pretty_size(vk_cli_member_u64(n, "allocation"));

                        vk_cli_table_add(&t,
                                         VK_STRV(vk_cli_member(n, "name"), vk_cli_member(n, "path"),
                                                 vk_cli_member(n, "type"), cap, alloc));
                } else
                        vk_cli_table_add(
                                &t, VK_STRV(vk_cli_member(n, "name"), vk_cli_member(n, "path")));
        }
        vk_cli_table_print_free(&t);
        return 0;
}

static int cmd_vol_info(VkCli *cli, const Args *a, VkError *e) {
        g_autoptr(JsonNode) reply = NULL;
        g_autofree char *cap = NULL, *alloc = NULL;
        int r;

        r = vk_cli_lookup_volume(cli, a, a->pos[0], &reply, e);
        if (r < 0)
                return r;
        if (cli->json) {
                vk_cli_dump_json(reply);
                return 0;
        }
        cap = vk_cli_pretty_size(vk_cli_member_u64(reply, "capacity"));
        alloc = vk_cli_pretty_size(vk_cli_member_u64(reply, "allocation"));
        printf("%-15s %s\n", "Name:", vk_cli_member(reply, "name"));
        printf("%-15s %s\n", "Type:", vk_cli_member(reply, "type"));
        printf("%-15s %s\n", "Capacity:", cap);
        printf("%-15s %s\n", "Allocation:", alloc);
        if (*vk_cli_member(reply, "warning"))
                fprintf(stderr, "warning: %s\n", vk_cli_member(reply, "warning"));
        return 0;
}

static int cmd_vol_path(VkCli *cli, const Args *a, VkError *e) {
        g_autoptr(JsonNode) reply = NULL;
        int r = vk_cli_lookup_volume(cli, a, a->pos[0], &reply, e);

        if (r < 0)
                return r;
        if (cli->json)
                vk_cli_dump_json(reply);
        else
                printf("%s\n", vk_cli_member(reply, "path"));
        return 0;
}

static int cmd_vol_dumpxml(VkCli *cli, const Args *a, VkError *e) {
        g_autoptr(JsonNode) vol = NULL;
        int r = vk_cli_lookup_volume(cli, a, a->pos[0], &vol, e);

        if (r < 0)
                return r;
        return vk_cli_dumpxml(cli, a, "Storage", "GetVolumeXML", vk_cli_params_volume(vol), e);
}

static int cmd_vol_delete(VkCli *cli, const Args *a, VkError *e) {
        g_autoptr(JsonNode) vol = NULL;
        int r = vk_cli_lookup_volume(cli, a, a->pos[0], &vol, e);

        if (r < 0)
                return r;
        r = vk_cli_call(cli, "Storage", "DeleteVolume", vk_cli_params_volume(vol), NULL, e);
        if (r >= 0 && !cli->json)
                printf("Vol %s deleted\n", a->pos[0]);
        return r;
}

static int create_volume(VkCli *cli, const char *pool, const char *xml, JsonNode **ret,
                         VkError *e) {
        JsonObject *o = json_object_new();

        json_object_set_string_member(o, "pool", pool);
        json_object_set_string_member(o, "xml", xml);
        return vk_cli_call(cli, "Storage", "CreateVolume", vk_cli_object_node(o), ret, e);
}

static int cmd_vol_create(VkCli *cli, const Args *a, VkError *e) {
        g_autoptr(JsonNode) reply = NULL;
        g_autofree char *xml = NULL;
        int r;

        r = vk_cli_read_file(a->pos[1], &xml, e);
        if (r < 0)
                return r;
        r = create_volume(cli, a->pos[0], xml, &reply, e);
        if (r < 0)
                return r;
        if (cli->json)
                vk_cli_dump_json(reply);
        else
                printf("Vol %s created from %s\n", vk_cli_member(reply, "name"), a->pos[1]);
        return 0;
}

static int cmd_vol_create_as(VkCli *cli, const Args *a, VkError *e) {
        const char *format = g_hash_table_lookup(a->opts, "format");
        const char *backing = g_hash_table_lookup(a->opts, "backing-vol");
        const char *backing_format = g_hash_table_lookup(a->opts, "backing-vol-format");
        const char *allocation = g_hash_table_lookup(a->opts, "allocation");
        g_autoptr(JsonNode) reply = NULL, backing_vol = NULL;
        g_autoptr(GString) xml = g_string_new("<volume>");
        g_autofree char *name = g_markup_escape_text(a->pos[1], -1);
        uint64_t capacity, alloc = 0;
        int r;

        r = vk_cli_parse_size(a->pos[2], &capacity, e);
        if (r < 0)
                return r;
        if (allocation) {
                r = vk_cli_parse_size(allocation, &alloc, e);
                if (r < 0)
                        return r;
        }
        if (backing_format && !backing)
                return vk_error_set(e, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "vol-create-as: --backing-vol-format needs --backing-vol");
        g_string_append_printf(
                xml, "<name>%s</name><capacity unit='bytes'>%" G_GUINT64_FORMAT "</capacity>", name,
                capacity);
        if (allocation)
                g_string_append_printf(
                        xml, "<allocation unit='bytes'>%" G_GUINT64_FORMAT "</allocation>", alloc);
        if (format) {
                g_autofree char *f = g_markup_escape_text(format, -1);

                g_string_append_printf(xml, "<target><format type='%s'/></target>", f);
        }
        if (backing) {
                g_autofree char *path = NULL;

                /* like virsh: a volume of this pool by name, else a path or key anywhere */
                JsonObject *o = json_object_new();

                json_object_set_string_member(o, "pool", a->pos[0]);
                json_object_set_string_member(o, "name", backing);
                r = vk_cli_call(cli, "Storage", "LookupVolume", vk_cli_object_node(o), &backing_vol,
                                NULL);
                if (r < 0) {
                        o = json_object_new();
                        json_object_set_string_member(o, backing[0] == '/' ? "path" : "key",
                                                      backing);
                        r = vk_cli_call(cli, "Storage", "LookupVolume", vk_cli_object_node(o),
                                        &backing_vol, e);
                        if (r < 0)
                                return r;
                }
                path = g_markup_escape_text(vk_cli_member(backing_vol, "path"), -1);
                g_string_append_printf(xml, "<backingStore><path>%s</path>", path);
                if (backing_format) {
                        g_autofree char *f = g_markup_escape_text(backing_format, -1);

                        g_string_append_printf(xml, "<format type='%s'/>", f);
                }
                g_string_append(xml, "</backingStore>");
        }
        g_string_append(xml, "</volume>");
        r = create_volume(cli, a->pos[0], xml->str, &reply, e);
        if (r < 0)
                return r;
        if (cli->json)
                vk_cli_dump_json(reply);
        else
                printf("Vol %s created\n", a->pos[1]);
        return 0;
}

const Cmd vk_cli_storage_commands[] = {
        { "pool-define", "FILE", "Define a storage pool from libvirt's pool XML", 1, 1, "",
          cmd_pool_define },
        { "pool-start", "POOL [--build]", "Start a defined pool (building it first with --build)",
          1, 1, "build", cmd_pool_start },
        { "pool-build", "POOL [--overwrite] [--no-overwrite]",
          "Build a pool: its directory, filesystem (mkfs) or volume group", 1, 1,
          "overwrite no-overwrite", cmd_pool_build },
        { "pool-destroy", "POOL", "Stop a pool (its volumes stay)", 1, 1, "", cmd_pool_destroy },
        { "pool-delete", "POOL", "Delete an inactive pool's storage", 1, 1, "", cmd_pool_delete },
        { "pool-undefine", "POOL", "Remove a pool's persistent definition", 1, 1, "",
          cmd_pool_undefine },
        { "pool-refresh", "POOL", "Scan a pool's volumes again", 1, 1, "", cmd_pool_refresh },
        { "pool-autostart", "POOL [--disable]", "Start the pool with the daemon", 1, 1, "disable",
          cmd_pool_autostart },
        { "pool-list", "[--all] [--inactive] [--details] [--type TYPE] [--name] [--uuid]",
          "List storage pools (active ones by default)", 0, 0,
          "all inactive details type= name uuid", cmd_pool_list },
        { "pool-info", "POOL", "Show a pool's state and figures", 1, 1, "", cmd_pool_info },
        { "pool-dumpxml", "POOL [--inactive]", "Print a pool's XML", 1, 1, "inactive",
          cmd_pool_dumpxml },
        { "vol-list", "POOL [--details]", "List a pool's volumes", 1, 1, "details", cmd_vol_list },
        { "vol-info", "VOL [--pool POOL]", "Show a volume's type, capacity and allocation", 1, 1,
          "pool=", cmd_vol_info },
        { "vol-dumpxml", "VOL [--pool POOL]", "Print a volume's XML", 1, 1,
          "pool=", cmd_vol_dumpxml },
        { "vol-path", "VOL [--pool POOL]", "Print a volume's path", 1, 1, "pool=", cmd_vol_path },
        { "vol-create", "POOL FILE", "Create a volume from libvirt's volume XML", 2, 2, "",
          cmd_vol_create },
        { "vol-create-as",
          "POOL NAME CAPACITY [--allocation SIZE] [--format FORMAT] [--backing-vol VOL "
          "[--backing-vol-format FORMAT]]",
          "Create a volume from arguments", 3, 3,
          "allocation= format= backing-vol= backing-vol-format=", cmd_vol_create_as },
        { "vol-delete", "VOL [--pool POOL]", "Delete a volume and its file", 1, 1,
          "pool=", cmd_vol_delete },
        {},
};
