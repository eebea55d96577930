/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* storage-status.c: an active pool's status file in the run dir (survives a restart) */
#include <assert.h>
#include <stddef.h>
#include <string.h>

#include "atomic-file.h"
#include "json.h"
#include "macro.h"
#include "method.h"
#include "storage-def.h"
#include "storage-status.h"

static const VkField status_fields[] = {
        { "xml", VK_FIELD_STRING, offsetof(VkStoragePoolStatus, xml), VK_FIELD_REQUIRED },
        { "persistent", VK_FIELD_BOOL, offsetof(VkStoragePoolStatus, persistent),
          VK_FIELD_REQUIRED },
        {},
};

static const VkStructType status_type = {
        .size = sizeof(VkStoragePoolStatus),
        .fields = status_fields,
};

/* Free @st (takes NULL); returns NULL. */
VkStoragePoolStatus *vk_storage_pool_status_free(VkStoragePoolStatus *st) {
        if (!st)
                return NULL;
        return vk_struct_free(&status_type, st);
}

/* Decode @text; the live XML in it must parse as a pool definition too. */
int vk_storage_pool_status_parse(const char *text, VkStoragePoolStatus **ret, VkError *reterr) {
        g_autoptr(VkStoragePoolStatus) st = g_new0(VkStoragePoolStatus, 1);
        g_autoptr(VkStoragePoolDef) def = NULL;
        int r;

        assert(ret);
        r = vk_struct_from_json_text(&status_type, text, "pool status", st, reterr);
        if (r < 0)
                return r;
        r = vk_storage_pool_def_parse_string(st->xml, &def, reterr);
        if (r < 0)
                return r;
        *ret = g_steal_pointer(&st);
        return 0;
}

/*
 * Write @st to @path atomically (0600). It is parsed back first and must give the same
 * bytes: a status we could not read after a restart would leave the pool inactive.
 */
int vk_storage_pool_status_save(const char *path, const VkStoragePoolStatus *st, VkError *reterr) {
        g_autoptr(VkStoragePoolStatus) back = NULL;
        g_autoptr(JsonNode) node = NULL, node2 = NULL;
        g_autofree char *text = NULL, *text2 = NULL;
        VkError e = VK_ERROR_INIT;
        int r;

        node = vk_struct_to_json(&status_type, st);
        text = vk_json_to_string(node, true);
        r = vk_storage_pool_status_parse(text, &back, &e);
        if (r >= 0) {
                node2 = vk_struct_to_json(&status_type, back);
                text2 = vk_json_to_string(node2, true);
        }
        if (r < 0 || strcmp(text, text2) != 0) {
                r = vk_error_set(reterr, VK_ERROR_INTERNAL, -EBADMSG,
                                 "pool status does not parse back to itself%s%s",
                                 e.message ? ": " : "", vk_strempty(e.message));
                vk_error_done(&e);
                return r;
        }
        return vk_atomic_file_write(path, text, strlen(text), 0600, reterr);
}

/* Read @path; -ENOENT (with @reterr) when the pool has no status. */
int vk_storage_pool_status_load(const char *path, VkStoragePoolStatus **ret, VkError *reterr) {
        g_autofree char *text = NULL;
        int r;

        r = vk_file_read_all(path, VK_STORAGE_STATUS_MAX, &text, NULL, reterr);
        if (r < 0)
                return r;
        return vk_storage_pool_status_parse(text, ret, reterr);
}
