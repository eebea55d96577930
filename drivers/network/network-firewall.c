/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* network-firewall.c: a network's nftables rules installed and removed through libnftables */
#include <assert.h>
#include <string.h>

#include <nftables/libnftables.h>

#include "json.h"
#include "macro.h"
#include "network-firewall.h"

static const char *const backend_table[_VK_NETWORK_FIREWALL_MAX] = {
        [VK_NETWORK_FIREWALL_NFTABLES] = "nftables",
        [VK_NETWORK_FIREWALL_IPTABLES] = "iptables",
};

const char *vk_network_firewall_backend_to_string(VkNetworkFirewallBackend b) {
        if (b < 0 || b >= _VK_NETWORK_FIREWALL_MAX)
                return NULL;
        return backend_table[b];
}

VkNetworkFirewallBackend vk_network_firewall_backend_from_string(const char *s) {
        for (int i = 0; s && i < _VK_NETWORK_FIREWALL_MAX; i++)
                if (strcmp(s, backend_table[i]) == 0)
                        return (VkNetworkFirewallBackend) i;
        return _VK_NETWORK_FIREWALL_INVALID;
}

/* The chains rules are added to (network-nft.c): a handle read back names one of these. */
static const char *const firewall_chains[] = {
        "forward", "guest_output", "guest_input", "guest_cross", "guest_nat", "input", "output",
};

/* The static name of @chain, or NULL when it is none of ours. */
const char *vk_network_nft_chain_static(const char *chain) {
        for (size_t i = 0; chain && i < G_N_ELEMENTS(firewall_chains); i++)
                if (strcmp(chain, firewall_chains[i]) == 0)
                        return firewall_chains[i];
        return NULL;
}

/* Run @doc (libnftables JSON) with echo and handles on; *@ret_output: the echo (g_free). */
static int firewall_run(const char *doc, char **ret_output, VkError *reterr) {
        struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
        int r;

        if (!ctx)
                return vk_error_set(reterr, VK_ERROR_SYSTEM, -ENOMEM,
                                    "Failed to create a libnftables context");
        nft_ctx_output_set_flags(ctx,
                                 NFT_CTX_OUTPUT_ECHO | NFT_CTX_OUTPUT_HANDLE | NFT_CTX_OUTPUT_JSON);
        if (nft_ctx_buffer_output(ctx) < 0 || nft_ctx_buffer_error(ctx) < 0) {
                nft_ctx_free(ctx);
                return vk_error_set(reterr, VK_ERROR_SYSTEM, -ENOMEM,
                                    "Failed to set up libnftables' buffers");
        }
        r = nft_run_cmd_from_buffer(ctx, doc);
        if (r != 0) {
                g_autofree char *err = g_strstrip(g_strdup(nft_ctx_get_error_buffer(ctx)));

                nft_ctx_free(ctx);
                return vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, -EIO,
                                    "nftables refused the rules: %s",
                                    vk_isempty(err) ? "no reason given" : err);
        }
        if (ret_output)
                *ret_output = g_strdup(nft_ctx_get_output_buffer(ctx));
        nft_ctx_free(ctx);
        return 0;
}

/* Whether nftables works here: libnftables can list the kernel's tables. */
bool vk_network_nft_available(void) {
        struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
        bool ok;

        if (!ctx)
                return false;
        ok = nft_ctx_buffer_output(ctx) == 0 && nft_ctx_buffer_error(ctx) == 0 &&
             nft_run_cmd_from_buffer(ctx, "list tables") == 0;
        nft_ctx_free(ctx);
        return ok;
}

/*
 * Whether the shared table and chains are in place and as a start would set them up (see
 * vk_network_nft_setup_intact()), read with three listings on one context. Any doubt (an
 * error, a table missing) says no: the start then adds them with its rules, as before.
 */
static bool firewall_setup_intact(void) {
        struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
        g_autofree char *chains = NULL;
        bool ok = false;

        if (!ctx)
                return false;
        nft_ctx_output_set_flags(ctx, NFT_CTX_OUTPUT_JSON);
        if (nft_ctx_buffer_output(ctx) < 0 || nft_ctx_buffer_error(ctx) < 0 ||
            nft_run_cmd_from_buffer(ctx, "list chains") != 0)
                goto out;
        chains = g_strdup(nft_ctx_get_output_buffer(ctx));
        for (int f = 0; f < _VK_NETWORK_NFT_FAMILY_MAX; f++) {
                g_autofree char *cmd =
                        g_strdup_printf("list chain %s %s forward",
                                        vk_network_nft_family_to_string(f), VK_NETWORK_NFT_TABLE);

                if (nft_run_cmd_from_buffer(ctx, cmd) != 0 ||
                    !vk_network_nft_setup_intact(f, chains, nft_ctx_get_output_buffer(ctx)))
                        goto out;
        }
        ok = true;
out:
        nft_ctx_free(ctx);
        return ok;
}

/* The handles of the rules in the echo @output that carry @comment, in order. */
static int firewall_parse_handles(const char *output, const char *comment, GArray *handles,
                                  VkError *reterr) {
        g_autoptr(JsonNode) root = NULL;
        JsonArray *cmds;
        int r;

        r = vk_json_parse(output, -1, &root, reterr);
        if (r < 0)
                return r;
        if (!JSON_NODE_HOLDS_OBJECT(root) ||
            !json_object_has_member(json_node_get_object(root), "nftables"))
                return vk_error_set(reterr, VK_ERROR_INTERNAL, -EBADMSG,
                                    "libnftables' echo output has no \"nftables\" list");
        cmds = json_object_get_array_member(json_node_get_object(root), "nftables");
        for (guint i = 0; cmds && i < json_array_get_length(cmds); i++) {
                JsonObject *cmd = json_array_get_object_element(cmds, i), *add, *rule;
                VkNetworkNftHandle h;

                if (!cmd || !json_object_has_member(cmd, "add"))
                        continue;
                add = json_object_get_object_member(cmd, "add");
                if (!add || !json_object_has_member(add, "rule"))
                        continue;
                rule = json_object_get_object_member(add, "rule");
                if (!rule || g_strcmp0(vk_json_object_get_string_member_or_null(rule, "comment"),
                                       comment) != 0)
                        continue;
                h.family = vk_network_nft_family_from_string(
                        vk_json_object_get_string_member_or_null(rule, "family"));
                h.chain = vk_network_nft_chain_static(
                        vk_json_object_get_string_member_or_null(rule, "chain"));
                if (h.family < 0 || !h.chain || !json_object_has_member(rule, "handle"))
                        return vk_error_set(reterr, VK_ERROR_INTERNAL, -EBADMSG,
                                            "libnftables echoed a rule without family, chain "
                                            "or handle");
                h.handle = (uint64_t) json_object_get_int_member(rule, "handle");
                g_array_append_val(handles, h);
        }
        return 0;
}

/*
 * Install the rules of @def (network-nft.c) in one libnftables transaction and give the
 * handle of each in *@ret_handles (VkNetworkNftHandle; empty for open and bridge networks),
 * for vk_network_firewall_remove(). On failure nothing is installed.
 */
int vk_network_firewall_add(const VkNetworkDef *def, GArray **ret_handles, VkError *reterr) {
        g_autoptr(VkNetworkNftRuleset) rs = NULL;
        g_autoptr(GArray) handles = g_array_new(FALSE, FALSE, sizeof(VkNetworkNftHandle));
        g_autofree char *doc = NULL, *out = NULL;
        int r;

        assert(ret_handles);
        r = vk_network_nft_ruleset_build(def, &rs, reterr);
        if (r < 0)
                return r;
        if (rs->rules->len == 0) {
                *ret_handles = g_steal_pointer(&handles);
                return 0;
        }
        /* the rules alone when the shared chains are in place; if they went in the meantime,
         * that transaction fails as a whole, and the one with the setup follows */
        if (firewall_setup_intact()) {
                doc = vk_network_nft_ruleset_to_json_full(rs, false);
                if (firewall_run(doc, &out, NULL) < 0)
                        g_clear_pointer(&doc, g_free);
        }
        if (!doc) {
                doc = vk_network_nft_ruleset_to_json(rs);
                r = firewall_run(doc, &out, reterr);
                if (r < 0)
                        return r;
        }
        r = firewall_parse_handles(out, rs->comment, handles, reterr);
        if (r >= 0 && handles->len != rs->rules->len)
                r = vk_error_set(reterr, VK_ERROR_INTERNAL, -EBADMSG,
                                 "libnftables echoed %u rule handles for %u rules", handles->len,
                                 rs->rules->len);
        if (r < 0) {
                /* remove what we can identify: never leave rules we cannot name */
                (void) vk_network_firewall_remove(
                        (const VkNetworkNftHandle *) (void *) handles->data, handles->len, NULL);
                return r;
        }
        *ret_handles = g_steal_pointer(&handles);
        return 0;
}

/*
 * Delete the rules @handles in one transaction. A rule that is gone already (someone flushed
 * the table) is no error: each is then retried alone, so the others still go.
 */
int vk_network_firewall_remove(const VkNetworkNftHandle *handles, size_t n, VkError *reterr) {
        g_autofree char *doc = NULL;
        int r, ret = 0;

        if (n == 0)
                return 0;
        doc = vk_network_nft_delete_json(handles, n);
        r = firewall_run(doc, NULL, NULL);
        if (r >= 0)
                return 0;
        for (size_t i = 0; i < n; i++) {
                g_autofree char *one = vk_network_nft_delete_json(&handles[i], 1);
                VkError e = VK_ERROR_INIT;

                r = firewall_run(one, NULL, &e);
                if (r < 0 && !strstr(vk_strempty(e.message), "No such file or directory") &&
                    ret == 0)
                        ret = vk_error_set(reterr, e.name, r, "%s", e.message);
                vk_error_done(&e);
        }
        return ret;
}
