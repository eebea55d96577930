/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cli-vol.c: the CLI's volume jobs (vol-clone, -resize, -wipe, -upload, -download), pool-build,
 * pool-delete and domblklist, in virsh's formats */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli-cmd.h"
#include "macro.h"
#include "xml.h"

/*
 * The long volume operations are io.virtkit.Storage jobs called with "more": each progress
 * reply moves a bar on standard error when it is a terminal (nothing otherwise, nor with
 * --json). Files go to storaged as descriptors passed with the call (SCM_RIGHTS): the daemon
 * never opens the user's path, so it reads and writes exactly what the user may.
 */

/* ---- pools ---- */

static JsonNode *params_pool(const char *pool) {
        JsonObject *o = json_object_new();

        json_object_set_string_member(o, "pool", pool);
        return vk_cli_object_node(o);
}

static int cmd_pool_build(VkCli *cli, const Args *a, VkError *e) {
        return vk_cli_simple(cli, a, "Storage", "BuildStoragePool", params_pool(a->pos[0]), "Pool",
                             "built", e);
}

static int cmd_pool_delete(VkCli *cli, const Args *a, VkError *e) {
        return vk_cli_simple(cli, a, "Storage", "DeleteStoragePool", params_pool(a->pos[0]), "Pool",
                             "deleted", e);
}

/* ---- progress ---- */

typedef struct Bar {
        bool shown;
        bool tty;
} Bar;

/* "[#####               ]  25 %  16.00 MiB of 64.00 MiB" on a terminal's standard error */
static void bar_on_progress(JsonObject *params, void *userdata) {
        Bar *b = userdata;
        g_autoptr(JsonNode) n = vk_cli_object_node(json_object_ref(params));
        uint64_t bytes = vk_cli_member_u64(n, "bytes"), total = vk_cli_member_u64(n, "total");
        g_autofree char *done = vk_cli_pretty_size(bytes);
        char bar[21];

        if (!b->tty)
                return;
        b->shown = true;
        if (total == 0) {
                fprintf(stderr, "\r%s: %s\033[K", vk_cli_member(n, "operation"), done);
                fflush(stderr);
                return;
        }
        {
                unsigned pct = (unsigned) (MIN(bytes, total) * 100 / total);
                g_autofree char *all = vk_cli_pretty_size(total);

                memset(bar, ' ', 20);
                memset(bar, '#', pct / 5);
                bar[20] = 0;
                fprintf(stderr, "\r[%s] %3u %%  %s of %s\033[K", bar, pct, done, all);
                fflush(stderr);
        }
}

/* @method of a volume job with @params (taken) and @fds, the bar moving as it goes. */
static int vol_job(VkCli *cli, const char *method, JsonNode *params, const int *fds, size_t n_fds,
                   JsonNode **ret, VkError *e) {
        g_autoptr(JsonNode) p = params;
        Bar b = { .tty = !cli->json && isatty(STDERR_FILENO) };
        int r;

        r = vk_cli_call_job(cli, "Storage", method, p, fds, n_fds, bar_on_progress, &b, ret, e);
        if (b.shown)
                fprintf(stderr, "\r\033[K");
        return r;
}

/* ---- volumes ---- */

static int cmd_vol_clone(VkCli *cli, const Args *a, VkError *e) {
        g_autoptr(JsonNode) src = NULL, reply = NULL;
        g_autofree char *name = g_markup_escape_text(a->pos[1], -1);
        g_autofree char *xml = g_strdup_printf("<volume><name>%s</name></volume>", name);
        JsonObject *o;
        int r;

        r = vk_cli_lookup_volume(cli, a, a->pos[0], &src, e);
        if (r < 0)
                return r;
        o = json_object_new();
        json_object_set_string_member(o, "pool", vk_cli_member(src, "pool"));
        json_object_set_string_member(o, "source", vk_cli_member(src, "name"));
        json_object_set_string_member(o, "xml", xml);
        r = vol_job(cli, "CreateVolumeFrom", vk_cli_object_node(o), NULL, 0, &reply, e);
        if (r < 0)
                return r;
        if (cli->json)
                vk_cli_dump_json(reply);
        else
                printf("Vol %s cloned from %s\n", a->pos[1], vk_cli_member(src, "name"));
        return 0;
}

/*
 * virsh's vol-resize: CAPACITY is the new size; with --delta it is added to the current one;
 * a negative one ("-1G") needs --shrink and is taken from it; any smaller size needs --shrink.
 */
static int cmd_vol_resize(VkCli *cli, const Args *a, VkError *e) {
        g_autoptr(JsonNode) vol = NULL, reply = NULL;
        const char *arg = a->pos[1];
        bool delta = vk_cli_has_opt(a, "delta"), shrink = vk_cli_has_opt(a, "shrink");
        bool negative = arg[0] == '-';
        uint64_t size, cur, capacity;
        JsonNode *params;
        int r;

        if (negative && !shrink)
                return vk_error_set(e, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "vol-resize: a negative size ('%s') needs --shrink", arg);
        r = vk_cli_parse_size(negative ? arg + 1 : arg, &size, e);
        if (r >= 0)
                r = vk_cli_lookup_volume(cli, a, a->pos[0], &vol, e);
        if (r < 0)
                return r;
        cur = vk_cli_member_u64(vol, "capacity");
        if (negative) {
                if (size >= cur)
                        return vk_error_set(
                                e, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                "vol-resize: cannot shrink volume '%s' of %" G_GUINT64_FORMAT
                                " bytes by %" G_GUINT64_FORMAT " bytes",
                                vk_cli_member(vol, "name"), cur, size);
                capacity = cur - size;
        } else if (delta) {
                if (size > UINT64_MAX - cur)
                        return vk_error_set(e, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                            "vol-resize: '%s' more is too large", arg);
                capacity = cur + size;
        } else
                capacity = size;
        params = vk_cli_params_volume(vol);
        json_object_set_int_member(json_node_get_object(params), "capacity", (gint64) capacity);
        if (shrink)
                json_object_set_boolean_member(json_node_get_object(params), "shrink", true);
        if (vk_cli_has_opt(a, "allocate"))
                json_object_set_boolean_member(json_node_get_object(params), "allocate", true);
        r = vol_job(cli, "ResizeVolume", params, NULL, 0, &reply, e);
        if (r < 0)
                return r;
        if (cli->json)
                vk_cli_dump_json(reply);
        else
                printf("Size of volume '%s' successfully changed to %s\n",
                       vk_cli_member(vol, "name"), arg);
        return 0;
}

static int cmd_vol_wipe(VkCli *cli, const Args *a, VkError *e) {
        g_autoptr(JsonNode) vol = NULL, reply = NULL;
        const char *alg = g_hash_table_lookup(a->opts, "algorithm");
        JsonNode *params;
        int r;

        r = vk_cli_lookup_volume(cli, a, a->pos[0], &vol, e);
        if (r < 0)
                return r;
        params = vk_cli_params_volume(vol);
        if (alg)
                json_object_set_string_member(json_node_get_object(params), "algorithm", alg);
        r = vol_job(cli, "WipeVolume", params, NULL, 0, &reply, e);
        if (r < 0)
                return r;
        if (cli->json)
                vk_cli_dump_json(reply);
        else
                printf("Vol %s wiped\n", a->pos[0]);
        return 0;
}

/* --offset and --length (bytes, or with a suffix) */
static int stream_params(const Args *a, JsonNode *params, VkError *e) {
        static const char *const names[] = { "offset", "length" };

        for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
                const char *v = g_hash_table_lookup(a->opts, names[i]);
                uint64_t n;
                int r;

                if (!v)
                        continue;
                r = vk_cli_parse_size(v, &n, e);
                if (r < 0)
                        return r;
                json_object_set_int_member(json_node_get_object(params), names[i], (gint64) n);
        }
        json_object_set_int_member(json_node_get_object(params), "fd", 0);
        return 0;
}

/* vol-upload VOL FILE and vol-download VOL FILE: FILE passed as a descriptor */
static int vol_stream(VkCli *cli, const Args *a, bool upload, VkError *e) {
        g_autoptr(JsonNode) vol = NULL, reply = NULL;
        const char *file = a->pos[1];
        vk_autofd fd = -1;
        bool created = false;
        JsonNode *params;
        int r;

        r = vk_cli_lookup_volume(cli, a, a->pos[0], &vol, e);
        if (r < 0)
                return r;
        params = vk_cli_params_volume(vol);
        r = stream_params(a, params, e);
        if (r < 0) {
                json_node_unref(params);
                return r;
        }
        if (upload)
                fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        else {
                created = access(file, F_OK) < 0;
                fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0666);
        }
        if (fd < 0) {
                json_node_unref(params);
                return vk_error_set_errno(e, -errno, "cannot open '%s'", file);
        }
        r = vol_job(cli, upload ? "UploadVolume" : "DownloadVolume", params, &fd, 1, &reply, e);
        if (r < 0) {
                if (created)
                        (void) unlink(file); /* as virsh: no partial download left */
                return r;
        }
        if (cli->json)
                vk_cli_dump_json(reply);
        return 0;
}

static int cmd_vol_upload(VkCli *cli, const Args *a, VkError *e) {
        return vol_stream(cli, a, true, e);
}

static int cmd_vol_download(VkCli *cli, const Args *a, VkError *e) {
        return vol_stream(cli, a, false, e);
}

/* ---- domain disks ---- */

static char *attr(xmlNode *n, const char *name) {
        xmlChar *v = n ? xmlGetProp(n, (const xmlChar *) name) : NULL;
        char *s = g_strdup(v ? (const char *) v : NULL);

        xmlFree(v);
        return s;
}

/* virsh's source of a disk: the first of file, dev, dir, name or volume on <source> */
static char *disk_source(xmlNode *disk) {
        xmlNode *src = vk_xml_child(disk, "source");

        for (xmlAttr *p = src ? src->properties : NULL; p; p = p->next) {
                static const char *const names[] = { "file", "dev", "dir", "name", "volume" };

                for (size_t i = 0; i < G_N_ELEMENTS(names); i++)
                        if (strcmp((const char *) p->name, names[i]) == 0)
                                return attr(src, names[i]);
        }
        return NULL;
}

static int cmd_domblklist(VkCli *cli, const Args *a, VkError *e) {
        static const char *const keys[] = { "type", "device", "target", "source" };
        g_autoptr(xmlDoc) doc = NULL;
        bool details = vk_cli_has_opt(a, "details");
        xmlNode *devices;
        VkCliTable t;
        int r;

        r = vk_cli_domain_xml(cli, a, &doc, e);
        if (r < 0)
                return r;
        devices = vk_xml_child(xmlDocGetRootElement(doc), "devices");
        vk_cli_table_init(&t, VK_STRV("Type", "Device", "Target", "Source"));
        for (xmlNode *n = devices ? vk_xml_first_element(devices) : NULL; n;
             n = vk_xml_next_element(n)) {
                g_autofree char *type = NULL, *device = NULL, *target = NULL, *source = NULL;

                if (!vk_xml_node_is(n, NULL, "disk"))
                        continue;
                type = attr(n, "type");
                device = attr(n, "device");
                target = attr(vk_xml_child(n, "target"), "dev");
                source = disk_source(n);
                vk_cli_table_add(&t, VK_STRV(type ? type : "-", device ? device : "disk",
                                             target ? target : "-", source ? source : "-"));
        }
        if (cli->json) {
                vk_cli_table_dump_json_free(&t, "disks", keys);
                return 0;
        }
        if (!details) {
                /* virsh without --details: Target and Source only */
                VkCliTable s;

                vk_cli_table_init(&s, VK_STRV("Target", "Source"));
                for (guint i = t.n_cols; i < t.cells->len; i += t.n_cols)
                        vk_cli_table_add(&s, VK_STRV(t.cells->pdata[i + 2], t.cells->pdata[i + 3]));
                g_ptr_array_unref(t.cells);
                vk_cli_table_print_free(&s);
                return 0;
        }
        vk_cli_table_print_free(&t);
        return 0;
}

const Cmd vk_cli_vol_commands[] = {
        { "pool-build", "POOL", "Build an inactive pool (a dir pool: its target directory)", 1, 1,
          "", cmd_pool_build },
        { "pool-delete", "POOL", "Delete an inactive pool's storage (a dir pool: its empty target)",
          1, 1, "", cmd_pool_delete },
        { "vol-clone", "VOL NEWNAME [--pool POOL]", "Clone a volume in its pool", 2, 2,
          "pool=", cmd_vol_clone },
        { "vol-resize", "VOL CAPACITY [--pool POOL] [--allocate] [--delta] [--shrink]",
          "Resize a volume (shrinking needs --shrink)", 2, 2, "pool= allocate delta shrink",
          cmd_vol_resize },
        { "vol-wipe", "VOL [--pool POOL] [--algorithm zero]", "Write zeros over a volume", 1, 1,
          "pool= algorithm=", cmd_vol_wipe },
        { "vol-upload", "VOL FILE [--pool POOL] [--offset BYTES] [--length BYTES]",
          "Write a file into a volume", 2, 2, "pool= offset= length=", cmd_vol_upload },
        { "vol-download", "VOL FILE [--pool POOL] [--offset BYTES] [--length BYTES]",
          "Write a volume into a file", 2, 2, "pool= offset= length=", cmd_vol_download },
        { "domblklist", "DOMAIN [--inactive] [--details]", "List a domain's block devices", 1, 1,
          "inactive details", cmd_domblklist },
        {},
};
