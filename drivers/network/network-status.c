/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* network-status.c: what a started network created, in the run dir (survives a restart) */
#include <assert.h>
#include <stddef.h>
#include <string.h>

#include "atomic-file.h"
#include "json.h"
#include "macro.h"
#include "network-def.h"
#include "network-status.h"

static const VkField rule_fields[] = {
        { "family", VK_FIELD_STRING, offsetof(VkNetworkStatusRule, family), VK_FIELD_REQUIRED },
        { "chain", VK_FIELD_STRING, offsetof(VkNetworkStatusRule, chain), VK_FIELD_REQUIRED },
        { "handle", VK_FIELD_UINT, offsetof(VkNetworkStatusRule, handle), VK_FIELD_REQUIRED },
        {},
};

static const VkStructType rule_type = {
        .name = "NetworkStatusRule",
        .size = sizeof(VkNetworkStatusRule),
        .fields = rule_fields,
};

static const VkField ipt_rule_fields[] = {
        { "family", VK_FIELD_STRING, offsetof(VkNetworkStatusIptRule, family), VK_FIELD_REQUIRED },
        { "table", VK_FIELD_STRING, offsetof(VkNetworkStatusIptRule, table), VK_FIELD_REQUIRED },
        { "chain", VK_FIELD_STRING, offsetof(VkNetworkStatusIptRule, chain), VK_FIELD_REQUIRED },
        { "args", VK_FIELD_STRV, offsetof(VkNetworkStatusIptRule, args), VK_FIELD_REQUIRED },
        {},
};

static const VkStructType ipt_rule_type = {
        .name = "NetworkStatusIptRule",
        .size = sizeof(VkNetworkStatusIptRule),
        .fields = ipt_rule_fields,
};

static const VkField status_fields[] = {
        { "xml", VK_FIELD_STRING, offsetof(VkNetworkStatus, xml), VK_FIELD_REQUIRED },
        { "persistent", VK_FIELD_BOOL, offsetof(VkNetworkStatus, persistent), VK_FIELD_REQUIRED },
        { "bridge", VK_FIELD_STRING, offsetof(VkNetworkStatus, bridge), 0 },
        { "nftRules", VK_FIELD_ARRAY, offsetof(VkNetworkStatus, rules), VK_FIELD_REQUIRED,
          &rule_type },
        { "iptablesRules", VK_FIELD_ARRAY, offsetof(VkNetworkStatus, ipt_rules), 0,
          &ipt_rule_type },
        { "ipForward", VK_FIELD_BOOL, offsetof(VkNetworkStatus, ip_forward), VK_FIELD_REQUIRED },
        { "dnsmasqPid", VK_FIELD_INT, offsetof(VkNetworkStatus, dnsmasq_pid), VK_FIELD_REQUIRED },
        { "dnsmasqStartTime", VK_FIELD_UINT, offsetof(VkNetworkStatus, dnsmasq_start_time),
          VK_FIELD_REQUIRED },
        { "dnsmasqExe", VK_FIELD_STRING, offsetof(VkNetworkStatus, dnsmasq_exe), 0 },
        {},
};

static const VkStructType status_type = {
        .size = sizeof(VkNetworkStatus),
        .fields = status_fields,
};

VkNetworkStatus *vk_network_status_new(void) {
        return g_new0(VkNetworkStatus, 1);
}

VkNetworkStatus *vk_network_status_free(VkNetworkStatus *st) {
        if (!st)
                return NULL;
        return vk_struct_free(&status_type, st);
}

void vk_network_status_add_rule(VkNetworkStatus *st, const char *family, const char *chain,
                                uint64_t handle) {
        VkNetworkStatusRule *items = st->rules.items;

        items = g_renew(VkNetworkStatusRule, items, st->rules.n + 1);
        items[st->rules.n] = (VkNetworkStatusRule){
                .family = g_strdup(family),
                .chain = g_strdup(chain),
                .handle = handle,
        };
        st->rules.items = items;
        st->rules.n++;
}

void vk_network_status_add_ipt_rule(VkNetworkStatus *st, const char *family, const char *table,
                                    const char *chain, const char *const *args) {
        VkNetworkStatusIptRule *items = st->ipt_rules.items;

        items = g_renew(VkNetworkStatusIptRule, items, st->ipt_rules.n + 1);
        items[st->ipt_rules.n] = (VkNetworkStatusIptRule){
                .family = g_strdup(family),
                .table = g_strdup(table),
                .chain = g_strdup(chain),
                .args = g_strdupv((char **) args),
        };
        st->ipt_rules.items = items;
        st->ipt_rules.n++;
}

/* Decode @text; the live XML in it must parse as a network definition too. */
int vk_network_status_parse(const char *text, VkNetworkStatus **ret, VkError *reterr) {
        g_autoptr(VkNetworkStatus) st = vk_network_status_new();
        g_autoptr(VkNetworkDef) def = NULL;
        int r;

        assert(ret);
        r = vk_struct_from_json_text(&status_type, text, "network status", st, reterr);
        if (r < 0)
                return r;
        r = vk_network_def_parse_string(st->xml, &def, reterr);
        if (r < 0)
                return r;
        *ret = g_steal_pointer(&st);
        return 0;
}

/*
 * @st as JSON (*@ret_text, g_free). It is parsed back and must give the same bytes again:
 * a status we could not read after a restart would leave its bridge and rules orphaned.
 */
int vk_network_status_format(const VkNetworkStatus *st, char **ret_text, VkError *reterr) {
        g_autoptr(VkNetworkStatus) back = NULL;
        g_autoptr(JsonNode) node = NULL;
        g_autoptr(JsonNode) node2 = NULL;
        g_autofree char *text = NULL, *text2 = NULL;
        VkError e = VK_ERROR_INIT;
        int r;

        node = vk_struct_to_json(&status_type, st);
        text = vk_json_to_string(node, true);
        r = vk_network_status_parse(text, &back, &e);
        if (r >= 0) {
                node2 = vk_struct_to_json(&status_type, back);
                text2 = vk_json_to_string(node2, true);
        }
        if (r < 0 || strcmp(text, text2) != 0) {
                r = vk_error_set(reterr, VK_ERROR_INTERNAL, -EBADMSG,
                                 "network status does not parse back to itself%s%s",
                                 e.message ? ": " : "", vk_strempty(e.message));
                vk_error_done(&e);
                return r;
        }
        *ret_text = g_steal_pointer(&text);
        return 0;
}

/* Write @st to @path atomically (0600), checked to parse back first. */
int vk_network_status_save(const char *path, const VkNetworkStatus *st, VkError *reterr) {
        return vk_network_status_save_full(path, st, 0, reterr);
}

/* vk_network_status_save() with vk_atomic_file_write_full()'s @flags (VK_ATOMIC_FILE_NO_SYNC). */
int vk_network_status_save_full(const char *path, const VkNetworkStatus *st,
                                VkAtomicFileFlags flags, VkError *reterr) {
        g_autofree char *text = NULL;
        int r;

        r = vk_network_status_format(st, &text, reterr);
        if (r < 0)
                return r;
        return vk_atomic_file_write_full(path, text, strlen(text), 0600, flags, reterr);
}

/* Read @path; -ENOENT (with @reterr) when the network has no status. */
int vk_network_status_load(const char *path, VkNetworkStatus **ret, VkError *reterr) {
        g_autofree char *text = NULL;
        int r;

        r = vk_file_read_all(path, VK_NETWORK_STATUS_MAX, &text, NULL, reterr);
        if (r < 0)
                return r;
        return vk_network_status_parse(text, ret, reterr);
}
