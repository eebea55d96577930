/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* storage-lvm-report.c: a logical pool's state from LVM's JSON reports (vgs, lvs) */
#include <assert.h>
#include <string.h>

#include "json.h"
#include "macro.h"
#include "storage-dir.h"
#include "storage-lvm-report.h"

/*
 * Both reports have the shape (lvmreport(7), --reportformat json):
 *
 *   { "report": [ { "vg": [ { "vg_name": "vg0", "vg_size": "21470642176", ... } ] } ] }
 *
 * every value a string; sizes in bytes with --units b --nosuffix (vk_storage_lvm_vgs_argv()).
 */
static int report_rows(const char *what, const char *json, const char *kind, JsonNode **ret_root,
                       JsonArray **ret_rows, VkError *reterr) {
        g_autoptr(JsonNode) root = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        JsonObject *o;
        JsonArray *a;
        JsonNode *n;
        int r;

        r = vk_json_parse(json, -1, &root, &err);
        if (r < 0)
                return vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, r, "%s report: %s", what,
                                    err.message);
        o = JSON_NODE_HOLDS_OBJECT(root) ? json_node_get_object(root) : NULL;
        n = o ? json_object_get_member(o, "report") : NULL;
        a = n && JSON_NODE_HOLDS_ARRAY(n) ? json_node_get_array(n) : NULL;
        n = a && json_array_get_length(a) == 1 ? json_array_get_element(a, 0) : NULL;
        o = n && JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
        n = o ? json_object_get_member(o, kind) : NULL;
        if (!n || !JSON_NODE_HOLDS_ARRAY(n))
                return vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, -EBADMSG,
                                    "%s report: no report.%s list", what, kind);
        *ret_rows = json_node_get_array(n);
        *ret_root = g_steal_pointer(&root);
        return 0;
}

static const char *row_string(JsonNode *row, const char *name) {
        return vk_json_object_get_string_member_or_null(
                JSON_NODE_HOLDS_OBJECT(row) ? json_node_get_object(row) : NULL, name);
}

/* A size field: decimal digits, bytes. */
static int row_size(const char *what, JsonNode *row, const char *name, uint64_t *ret,
                    VkError *reterr) {
        const char *s = row_string(row, name);
        unsigned long long v;

        if (!s || strspn(s, "0123456789") != strlen(s) || vk_xml_parse_uint(s, UINT64_MAX, &v) < 0)
                return vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, -EBADMSG,
                                    "%s report: invalid %s '%s'", what, name, s ? s : "(none)");
        *ret = v;
        return 0;
}

/*
 * Fill @pool's capacity (vg_size), available (vg_free) and allocation (the rest) from the
 * output of vk_storage_lvm_vgs_argv(). Errors: the report is malformed, or does not list the
 * pool's volume group.
 */
int vk_storage_lvm_parse_vgs(const char *json, VkStoragePoolDef *pool, VkError *reterr) {
        g_autoptr(JsonNode) root = NULL;
        const char *vg = vk_storage_pool_def_vg_name(pool);
        JsonArray *rows;
        int r;

        assert(json && pool);
        r = report_rows("vgs", json, "vg", &root, &rows, reterr);
        if (r < 0)
                return r;
        for (guint i = 0; i < json_array_get_length(rows); i++) {
                JsonNode *row = json_array_get_element(rows, i);
                uint64_t size, free_bytes;

                if (g_strcmp0(row_string(row, "vg_name"), vg) != 0)
                        continue;
                r = row_size("vgs", row, "vg_size", &size, reterr);
                if (r < 0)
                        return r;
                r = row_size("vgs", row, "vg_free", &free_bytes, reterr);
                if (r < 0)
                        return r;
                if (free_bytes > size)
                        return vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, -EBADMSG,
                                            "vgs report: volume group '%s' has more free than "
                                            "total space",
                                            vg);
                pool->has_capacity = pool->has_allocation = pool->has_available = true;
                pool->capacity = size;
                pool->available = free_bytes;
                pool->allocation = size - free_bytes;
                return 0;
        }
        return vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, -ENOENT,
                            "vgs report: no volume group '%s'", vg);
}

static void lvm_vol_free(gpointer p) {
        vk_storage_vol_def_free(p);
}

static gint lvm_vol_cmp(gconstpointer a, gconstpointer b) {
        return strcmp((*(VkStorageVolDef *const *) a)->name, (*(VkStorageVolDef *const *) b)->name);
}

/* One row of the lvs report as a volume; 0 (and *ret NULL) for what is not one. */
static int lvs_row(const VkStoragePoolDef *pool, JsonNode *row, VkStorageVolDef **ret,
                   bool *ret_thin, VkError *reterr) {
        g_autoptr(VkStorageVolDef) vol = NULL;
        const char *name = row_string(row, "lv_name"), *attr = row_string(row, "lv_attr");
        const char *uuid = row_string(row, "lv_uuid"), *path = row_string(row, "lv_path");
        const char *origin = row_string(row, "origin"), *data = row_string(row, "data_percent");
        const char *vg = vk_storage_pool_def_vg_name(pool);
        int r;

        if (!name || !attr || strlen(attr) < 5)
                return vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, -EBADMSG,
                                    "lvs report: a row without lv_name or lv_attr");
        /* hidden volumes ("[pool_tdata]") and thin pools hold no guest data of their own */
        if (name[0] == '[' || attr[0] == 't')
                return 0;
        if (!vk_storage_name_valid(name))
                return vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, -EBADMSG,
                                    "lvs report: invalid volume name '%s'", name);
        vol = vk_storage_vol_def_new();
        vol->name = g_strdup(name);
        vol->path = !vk_isempty(path) ? g_strdup(path) : g_strdup_printf("/dev/%s/%s", vg, name);
        vol->key = g_strdup(!vk_isempty(uuid) ? uuid : vol->path);
        vol->has_type = true;
        vol->type = VK_STORAGE_VOL_BLOCK;
        vol->has_format = true;
        vol->format = VK_IMAGE_FORMAT_NONE;
        vol->has_capacity = vol->has_allocation = true;
        r = row_size("lvs", row, "lv_size", &vol->capacity, reterr);
        if (r < 0)
                return r;
        vol->allocation = vol->capacity;
        if (attr[0] == 'V' && !vk_isempty(data)) {
                /* a thin volume: what it uses of its pool */
                char *end = NULL;
                double pct = g_ascii_strtod(data, &end);

                if (!end || *end || pct < 0 || pct > 100)
                        return vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, -EBADMSG,
                                            "lvs report: invalid data_percent '%s'", data);
                vol->allocation = (uint64_t) ((double) vol->capacity * pct / 100.0);
        }
        if (!vk_isempty(origin))
                vol->backing_path = g_strdup_printf("/dev/%s/%s", vg, origin);
        *ret_thin = attr[0] == 'V';
        if (attr[4] != 'a')
                vol->warning = g_strdup_printf("logical volume '%s' is not active", name);
        *ret = g_steal_pointer(&vol);
        return 1;
}

/*
 * The volumes of a logical pool from the output of vk_storage_lvm_lvs_argv(), sorted by
 * name: each logical volume except thin pools and LVM's hidden ones, as a block volume of
 * format none, its key the LV's UUID, its backing store its snapshot origin, a thin volume's
 * allocation what it uses of its pool; an inactive volume carries a warning. *@ret_vols
 * holds VkStorageVolDef, *@ret_thin (may be NULL) the names of the thin volumes (a snapshot
 * of one is a thin snapshot). At most VK_STORAGE_POOL_VOLUMES_MAX.
 */
int vk_storage_lvm_parse_lvs(const char *json, const VkStoragePoolDef *pool, GPtrArray **ret_vols,
                             GHashTable **ret_thin, VkError *reterr) {
        g_autoptr(GPtrArray) vols = g_ptr_array_new_with_free_func(lvm_vol_free);
        g_autoptr(GHashTable) thin = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        g_autoptr(JsonNode) root = NULL;
        JsonArray *rows;
        int r;

        assert(json && pool && ret_vols);
        r = report_rows("lvs", json, "lv", &root, &rows, reterr);
        if (r < 0)
                return r;
        if (json_array_get_length(rows) > VK_STORAGE_POOL_VOLUMES_MAX)
                return vk_error_set(reterr, VK_ERROR_LIMIT_EXCEEDED, -E2BIG,
                                    "pool '%s' holds more than %d volumes", pool->name,
                                    VK_STORAGE_POOL_VOLUMES_MAX);
        for (guint i = 0; i < json_array_get_length(rows); i++) {
                VkStorageVolDef *vol = NULL;
                bool is_thin = false;

                r = lvs_row(pool, json_array_get_element(rows, i), &vol, &is_thin, reterr);
                if (r < 0)
                        return r;
                if (r == 0)
                        continue;
                if (is_thin)
                        g_hash_table_add(thin, g_strdup(vol->name));
                g_ptr_array_add(vols, vol);
        }
        g_ptr_array_sort(vols, lvm_vol_cmp);
        *ret_vols = g_steal_pointer(&vols);
        if (ret_thin)
                *ret_thin = g_steal_pointer(&thin);
        return 0;
}
