/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cli-util.c: the helpers the CLI's command files share (replies, options, virsh's table) */
#include <errno.h>
#include <stdio.h>

#include "atomic-file.h"
#include "cli-cmd.h"
#include "json.h"
#include "macro.h"
#include "xml.h"

#define CLI_XML_MAX (16u << 20)

bool vk_cli_has_opt(const Args *a, const char *name) {
        return g_hash_table_contains(a->opts, name);
}

/* virsh's VSH_EXCLUSIVE_OPTIONS */
int vk_cli_exclusive(const Args *a, const char *x, const char *y, VkError *e) {
        if (vk_cli_has_opt(a, x) && vk_cli_has_opt(a, y))
                return vk_error_set(e, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "Options --%s and --%s are mutually exclusive", x, y);
        return 0;
}

/* --live, --config, --current (exclusive with both) as the "live" and "config" parameters */
int vk_cli_impact(const Args *a, JsonObject *o, VkError *e) {
        int r = vk_cli_exclusive(a, "current", "live", e);

        if (r >= 0)
                r = vk_cli_exclusive(a, "current", "config", e);
        if (r < 0)
                return r;
        if (vk_cli_has_opt(a, "live"))
                json_object_set_boolean_member(o, "live", true);
        if (vk_cli_has_opt(a, "config"))
                json_object_set_boolean_member(o, "config", true);
        return 0;
}

const char *vk_cli_member(JsonNode *n, const char *key) {
        const char *s =
                n ? vk_json_object_get_string_member_or_null(json_node_get_object(n), key) : NULL;
        return s ? s : "";
}

bool vk_cli_member_bool(JsonNode *n, const char *key) {
        return json_object_get_boolean_member_with_default(json_node_get_object(n), key, false);
}

uint64_t vk_cli_member_u64(JsonNode *n, const char *key) {
        return (uint64_t) json_object_get_int_member_with_default(json_node_get_object(n), key, 0);
}

JsonArray *vk_cli_member_array(JsonNode *n, const char *key) {
        JsonNode *m = json_object_get_member(json_node_get_object(n), key);

        return m && JSON_NODE_HOLDS_ARRAY(m) ? json_node_get_array(m) : NULL;
}

void vk_cli_dump_json(JsonNode *n) {
        g_autofree char *s = vk_json_to_string(n, true);
        printf("%s\n", s);
}

JsonNode *vk_cli_object_node(JsonObject *o) {
        JsonNode *n = json_node_new(JSON_NODE_OBJECT);

        json_node_take_object(n, o);
        return n;
}

const char *vk_cli_yes_no(bool b) {
        return b ? "yes" : "no";
}

int vk_cli_read_file(const char *path, char **ret, VkError *e) {
        size_t len;

        return vk_file_read_all(path, CLI_XML_MAX, ret, &len, e);
}

/* virsh's capacity: bytes below 1 KiB, else two decimals of the largest binary unit ≤ it */
char *vk_cli_pretty_size(uint64_t v) {
        static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
        double d = (double) v;
        size_t i = 0;

        if (v < 1024)
                return g_strdup_printf("%" G_GUINT64_FORMAT " B", v);
        d /= 1024;
        while (d >= 1024 && i + 1 < G_N_ELEMENTS(units)) {
                d /= 1024;
                i++;
        }
        return g_strdup_printf("%.2f %s", d, units[i]);
}

/* "10G", "512MiB", "1000KB", "4096": virsh's scaled integers (no suffix: bytes) */
int vk_cli_parse_size(const char *s, uint64_t *ret, VkError *e) {
        static const struct {
                const char *suffix;
                uint64_t scale;
        } scales[] = {
                { "", 1 },
                { "b", 1 },
                { "bytes", 1 },
                { "k", 1ULL << 10 },
                { "kib", 1ULL << 10 },
                { "kb", 1000ULL },
                { "m", 1ULL << 20 },
                { "mib", 1ULL << 20 },
                { "mb", 1000000ULL },
                { "g", 1ULL << 30 },
                { "gib", 1ULL << 30 },
                { "gb", 1000000000ULL },
                { "t", 1ULL << 40 },
                { "tib", 1ULL << 40 },
                { "tb", 1000000000000ULL },
                { "p", 1ULL << 50 },
                { "pib", 1ULL << 50 },
                { "pb", 1000000000000000ULL },
        };
        char *end = NULL;
        guint64 v;

        errno = 0;
        v = g_ascii_strtoull(s, &end, 10);
        if (errno != 0 || end == s || *s == '-')
                goto bad;
        for (size_t i = 0; i < G_N_ELEMENTS(scales); i++)
                if (g_ascii_strcasecmp(end, scales[i].suffix) == 0) {
                        if (v > UINT64_MAX / scales[i].scale)
                                goto bad;
                        *ret = v * scales[i].scale;
                        return 0;
                }
bad:
        return vk_error_set(e, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                            "invalid size '%s' (a number with an optional suffix: KiB, MiB, "
                            "GiB, TiB, KB, MB, GB, …)",
                            s);
}

void vk_cli_table_init(VkCliTable *t, const char *const *header) {
        t->cells = g_ptr_array_new_with_free_func(g_free);
        for (t->n_cols = 0; header[t->n_cols]; t->n_cols++)
                g_ptr_array_add(t->cells, g_strdup(header[t->n_cols]));
}

void vk_cli_table_add(VkCliTable *t, const char *const *row) {
        for (size_t i = 0; i < t->n_cols; i++)
                g_ptr_array_add(t->cells, g_strdup(row[i]));
}

void vk_cli_table_print_free(VkCliTable *t) {
        g_autofree size_t *width = g_new0(size_t, t->n_cols);
        size_t rows = t->cells->len / t->n_cols, total = 0;

        for (guint i = 0; i < t->cells->len; i++)
                width[i % t->n_cols] =
                        MAX(width[i % t->n_cols], (size_t) g_utf8_strlen(t->cells->pdata[i], -1));
        for (size_t r = 0; r < rows; r++) {
                for (size_t c = 0; c < t->n_cols; c++) {
                        const char *cell = t->cells->pdata[r * t->n_cols + c];

                        printf(" %s", cell);
                        if (c + 1 < t->n_cols)
                                printf("%*s  ", (int) (width[c] - (size_t) g_utf8_strlen(cell, -1)),
                                       "");
                }
                printf("\n");
                if (r == 0) {
                        for (size_t c = 0; c < t->n_cols; c++)
                                total += width[c] + 3;
                        for (size_t k = 0; k < total; k++)
                                putchar('-');
                        printf("\n");
                }
        }
        g_ptr_array_unref(t->cells);
}

/*
 * --json for a table: {"@member": [{keys[0]: cell, ...}, ...]} (one key per column), and the
 * table freed.
 */
void vk_cli_table_dump_json_free(VkCliTable *t, const char *member, const char *const *keys) {
        g_autoptr(JsonBuilder) b = json_builder_new();
        g_autoptr(JsonNode) root = NULL;

        json_builder_begin_object(b);
        json_builder_set_member_name(b, member);
        json_builder_begin_array(b);
        for (guint i = t->n_cols; i < t->cells->len; i += t->n_cols) {
                json_builder_begin_object(b);
                for (size_t c = 0; c < t->n_cols; c++) {
                        json_builder_set_member_name(b, keys[c]);
                        json_builder_add_string_value(b, t->cells->pdata[i + c]);
                }
                json_builder_end_object(b);
        }
        json_builder_end_array(b);
        json_builder_end_object(b);
        root = json_builder_get_root(b);
        vk_cli_dump_json(root);
        g_clear_pointer(&t->cells, g_ptr_array_unref);
}

/* The XML of domain a->pos[0] (live, or with --inactive the definition), for dom*list. */
int vk_cli_domain_xml(VkCli *cli, const Args *a, xmlDoc **ret, VkError *e) {
        g_autoptr(JsonNode) reply = NULL;
        JsonObject *o = json_object_new();
        int r;

        json_object_set_string_member(o, "domain", a->pos[0]);
        if (vk_cli_has_opt(a, "inactive"))
                json_object_set_boolean_member(o, "inactive", true);
        r = vk_cli_call(cli, "Qemu", "GetDomainXML", vk_cli_object_node(o), &reply, e);
        if (r < 0)
                return r;
        return vk_xml_read_string(vk_cli_member(reply, "xml"), "domain.xml", ret, e);
}

/* "Network"'s @method on {"xml": the file a->pos[0]}, then virsh's "Network NAME defined..." */
int vk_cli_define(VkCli *cli, const Args *a, const char *driver, const char *method,
                  const char *noun, VkError *e) {
        g_autoptr(JsonNode) reply = NULL;
        g_autofree char *xml = NULL;
        JsonObject *o;
        int r;

        r = vk_cli_read_file(a->pos[0], &xml, e);
        if (r < 0)
                return r;
        o = json_object_new();
        json_object_set_string_member(o, "xml", xml);
        r = vk_cli_call(cli, driver, method, vk_cli_object_node(o), &reply, e);
        if (r < 0)
                return r;
        if (cli->json)
                vk_cli_dump_json(reply);
        else
                printf("%s %s defined from %s\n", noun, vk_cli_member(reply, "name"), a->pos[0]);
        return 0;
}

/* A method answering nothing; then virsh's sentence "@noun a->pos[0] @done". */
int vk_cli_simple(VkCli *cli, const Args *a, const char *driver, const char *method,
                  JsonNode *params, const char *noun, const char *done, VkError *e) {
        int r = vk_cli_call(cli, driver, method, params, NULL, e);

        if (r >= 0 && !cli->json)
                printf("%s %s %s\n", noun, a->pos[0], done);
        return r;
}

/* @method with @params plus "autostart" (false with --disable) */
int vk_cli_autostart(VkCli *cli, const Args *a, const char *driver, const char *method,
                     JsonNode *params, const char *noun, VkError *e) {
        bool enable = !vk_cli_has_opt(a, "disable");

        json_object_set_boolean_member(json_node_get_object(params), "autostart", enable);
        return vk_cli_simple(cli, a, driver, method, params, noun,
                             enable ? "marked as autostarted" : "unmarked as autostarted", e);
}

/* @method with @params (plus "inactive" with --inactive), printing the reply's "xml" */
int vk_cli_dumpxml(VkCli *cli, const Args *a, const char *driver, const char *method,
                   JsonNode *params, VkError *e) {
        g_autoptr(JsonNode) reply = NULL;
        const char *xml;
        int r;

        if (vk_cli_has_opt(a, "inactive"))
                json_object_set_boolean_member(json_node_get_object(params), "inactive", true);
        r = vk_cli_call(cli, driver, method, params, &reply, e);
        if (r < 0)
                return r;
        if (cli->json) {
                vk_cli_dump_json(reply);
                return 0;
        }
        xml = vk_cli_member(reply, "xml");
        printf("%s%s", xml, g_str_has_suffix(xml, "\n") ? "" : "\n");
        return 0;
}

/*
 * A list method with @o (taken) plus virsh's state filter (active ones; --all; --inactive);
 * prints the reply with --json, the names or UUIDs with --name / --uuid. Returns 1 with the
 * reply's @member array in *@ret (NULL: none) when the caller prints its table, 0 when done.
 */
int vk_cli_list(VkCli *cli, const Args *a, const char *driver, const char *method, JsonObject *o,
                const char *member, JsonNode **reply, JsonArray **ret, VkError *e) {
        JsonArray *arr;
        int r;

        if (vk_cli_has_opt(a, "inactive") && !vk_cli_has_opt(a, "all"))
                json_object_set_string_member(o, "active", "no");
        else if (!vk_cli_has_opt(a, "all"))
                json_object_set_string_member(o, "active", "yes");
        r = vk_cli_call(cli, driver, method, vk_cli_object_node(o), reply, e);
        if (r < 0)
                return r;
        if (cli->json) {
                vk_cli_dump_json(*reply);
                return 0;
        }
        arr = vk_cli_member_array(*reply, member);
        if (vk_cli_has_opt(a, "name") || vk_cli_has_opt(a, "uuid")) {
                for (guint i = 0; arr && i < json_array_get_length(arr); i++)
                        printf("%s\n", vk_cli_member(json_array_get_element(arr, i),
                                                     vk_cli_has_opt(a, "uuid") ? "uuid" : "name"));
                return 0;
        }
        *ret = arr;
        return 1;
}
