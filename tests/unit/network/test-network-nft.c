/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-network-nft.c: golden tests of the nftables rules generated for a network */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <unistd.h>

#include <cmocka.h>
#include <glib/gstdio.h>

#include "json.h"
#include "macro.h"
#include "network-golden.h"
#include "network-nft.h"
#include "vk-golden.h"

/*
 * Data: tests/data/networkxml/NAME.nft.json for every NAME.xml that defines (no NAME.err):
 * the libnftables JSON document that installs the network's rules; absent when the network
 * has none (open, bridge, macvtap). VK_TEST_REGENERATE=1 rewrites (or removes) them.
 */

static char *data_dir;

static void test_case(void **state) {
        const char *name = *state;
        g_autoptr(VkNetworkDef) def = network_golden_load(data_dir, name);
        g_autofree char *path = g_strdup_printf("%s/%s.nft.json", data_dir, name);
        g_autoptr(VkNetworkNftRuleset) rs = NULL;
        g_autoptr(JsonNode) node = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        g_autofree char *json = NULL;

        if (vk_network_nft_ruleset_build(def, &rs, &err) < 0)
                fail_msg("%s: %s", name, err.message);
        json = vk_network_nft_ruleset_to_json(rs);
        /* the document is JSON, and holds one command per rule after the setup */
        if (json) {
                JsonArray *cmds;

                assert_int_equal(vk_json_parse(json, -1, &node, &err), 0);
                cmds = json_object_get_array_member(json_node_get_object(node), "nftables");
                assert_non_null(cmds);
                /* metainfo, per family: table, 7 chains, flush, 3 jumps */
                assert_int_equal(json_array_get_length(cmds), 1 + 2 * 12 + rs->rules->len);
        } else
                assert_int_equal(rs->rules->len, 0);
        network_golden_check(path, json);
}

static bool nft_exempt(const char *dir, const char *name) {
        return !g_str_has_suffix(name, ".nft.json");
}

/* open and bridge networks get no rule at all */
static void test_open_no_rules(void **state) {
        static const char *const xmls[] = {
                "<network><name>o</name><forward mode='open'/><bridge name='b1'/></network>",
                "<network><name>o</name><forward mode='bridge'/><bridge name='br0'/></network>",
        };

        for (size_t i = 0; i < G_N_ELEMENTS(xmls); i++) {
                g_autoptr(VkNetworkDef) def = NULL;
                g_autoptr(VkNetworkNftRuleset) rs = NULL;
                g_auto(VkError) err = VK_ERROR_INIT;

                assert_int_equal(vk_network_def_parse_string(xmls[i], &def, &err), 0);
                assert_int_equal(vk_network_nft_ruleset_build(def, &rs, &err), 0);
                assert_int_equal(rs->rules->len, 0);
                assert_null(vk_network_nft_ruleset_to_json(rs));
        }
}

/* removal: exactly the recorded rules, by handle, nothing else */
static void test_delete(void **state) {
        const VkNetworkNftHandle handles[] = {
                { VK_NETWORK_NFT_IP, "guest_output", 12 },
                { VK_NETWORK_NFT_IP6, "guest_cross", 4000000000ULL },
        };
        g_autofree char *json = vk_network_nft_delete_json(handles, G_N_ELEMENTS(handles));
        g_autofree char *empty = vk_network_nft_delete_json(NULL, 0);

        assert_string_equal(
                json, "{\"nftables\": [\n"
                      "  {\"metainfo\":{\"json_schema_version\":1}},\n"
                      "  {\"delete\":{\"rule\":{\"family\":\"ip\",\"table\":\"virtkit_network\","
                      "\"chain\":\"guest_output\",\"handle\":12}}},\n"
                      "  {\"delete\":{\"rule\":{\"family\":\"ip6\",\"table\":\"virtkit_network\","
                      "\"chain\":\"guest_cross\",\"handle\":4000000000}}}\n"
                      "]}\n");
        assert_string_equal(empty, "{\"nftables\": [\n"
                                   "  {\"metainfo\":{\"json_schema_version\":1}}\n"
                                   "]}\n");
}

static void test_family_enum(void **state) {
        for (int i = 0; i < _VK_NETWORK_NFT_FAMILY_MAX; i++)
                assert_int_equal(
                        vk_network_nft_family_from_string(vk_network_nft_family_to_string(i)), i);
        assert_int_equal(vk_network_nft_family_from_string("inet"), _VK_NETWORK_NFT_FAMILY_INVALID);
        assert_null(vk_network_nft_family_to_string(_VK_NETWORK_NFT_FAMILY_MAX));
}

/* ---- the kernel's view (nft in a private network namespace; skipped without) ------------- */

static char *nft_path;

/* Run nft -j with @args on the document @json (NULL: none); returns its stdout or NULL. */
static char *nft_run(const char *json, const char *const *args) {
        g_autofree char *tmp = NULL, *out = NULL, *errout = NULL;
        g_autoptr(GPtrArray) argv = g_ptr_array_new();
        g_autoptr(GError) gerr = NULL;
        int status = 0;

        g_ptr_array_add(argv, nft_path);
        g_ptr_array_add(argv, (char *) "-j");
        for (size_t i = 0; args[i]; i++)
                g_ptr_array_add(argv, (char *) args[i]);
        if (json) {
                int fd = g_file_open_tmp("vk-nft-XXXXXX.json", &tmp, NULL);

                assert_true(fd >= 0);
                close(fd);
                assert_true(g_file_set_contents(tmp, json, -1, NULL));
                g_ptr_array_add(argv, (char *) "-f");
                g_ptr_array_add(argv, tmp);
        }
        g_ptr_array_add(argv, NULL);
        assert_true(g_spawn_sync(NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                                 &out, &errout, &status, &gerr));
        if (tmp)
                (void) g_unlink(tmp);
        if (!g_spawn_check_wait_status(status, NULL)) {
                fprintf(stderr, "nft: %s\n", errout);
                return NULL;
        }
        return g_steal_pointer(&out);
}

/* The rules carrying @comment in nft's JSON output (echoed "add rule" commands, or the
 * "rule" objects of a listing), with their handles, in order. */
static GArray *rules_with_comment(const char *echo, const char *comment, bool listing) {
        GArray *handles = g_array_new(FALSE, TRUE, sizeof(VkNetworkNftHandle));
        g_autoptr(JsonNode) node = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        JsonArray *cmds;

        assert_int_equal(vk_json_parse(echo, -1, &node, &err), 0);
        cmds = json_object_get_array_member(json_node_get_object(node), "nftables");
        for (guint i = 0; i < json_array_get_length(cmds); i++) {
                JsonObject *cmd = json_array_get_object_element(cmds, i), *add, *rule;
                VkNetworkNftHandle h = {};

                add = listing ? cmd : json_object_get_object_member(cmd, "add");
                rule = add && json_object_has_member(add, "rule")
                               ? json_object_get_object_member(add, "rule")
                               : NULL;
                if (!rule ||
                    g_strcmp0(vk_json_object_get_string_member_or_null(rule, "comment"), comment))
                        continue;
                h.family = vk_network_nft_family_from_string(
                        json_object_get_string_member(rule, "family"));
                h.chain = g_intern_string(json_object_get_string_member(rule, "chain"));
                h.handle = (uint64_t) json_object_get_int_member(rule, "handle");
                g_array_append_val(handles, h);
        }
        return handles;
}

static VkNetworkNftRuleset *golden_ruleset(const char *name, char **ret_json) {
        g_autoptr(VkNetworkDef) def = network_golden_load(data_dir, name);
        g_auto(VkError) err = VK_ERROR_INIT;
        VkNetworkNftRuleset *rs = NULL;

        assert_int_equal(vk_network_nft_ruleset_build(def, &rs, &err), 0);
        *ret_json = vk_network_nft_ruleset_to_json(rs);
        assert_non_null(*ret_json);
        return rs;
}

/*
 * Two networks side by side: the kernel takes both documents (twice: the setup is
 * idempotent), echoes one handle per rule in our order, and deleting one network's rules by
 * those handles leaves exactly the other network's rules.
 */
static void test_kernel_add_delete(void **state) {
        g_autofree char *json_a = NULL, *json_b = NULL, *echo = NULL, *del = NULL;
        g_autofree char *listing = NULL;
        g_autoptr(VkNetworkNftRuleset) a = NULL, b = NULL;
        g_autoptr(GArray) handles = NULL;

        nft_path = g_find_program_in_path("nft");
        if (!nft_path)
                skip(); /* nftables is not installed */
        if (unshare(CLONE_NEWNET) < 0) {
                fprintf(stderr, "# no private network namespace (%s): skipped\n",
                        g_strerror(errno));
                skip();
        }
        a = golden_ruleset("nat-ipv6", &json_a);
        b = golden_ruleset("route", &json_b);
        echo = nft_run(json_b, VK_STRV("-e", "-a"));
        if (!echo) {
                fprintf(stderr, "# nft cannot load rules (no nf_tables?): skipped\n");
                skip();
        }
        g_free(echo);
        echo = nft_run(json_a, VK_STRV("-e", "-a"));
        assert_non_null(echo);
        handles = rules_with_comment(echo, a->comment, false);
        assert_int_equal(handles->len, a->rules->len);
        for (guint i = 0; i < handles->len; i++) {
                const VkNetworkNftRule *rule = a->rules->pdata[i];
                const VkNetworkNftHandle *h = &g_array_index(handles, VkNetworkNftHandle, i);

                assert_int_equal(h->family, rule->family);
                assert_string_equal(h->chain, rule->chain);
        }
        g_free(echo);
        echo = nft_run(json_a, VK_STRV("-e", "-a")); /* again: adds the rules once more */
        assert_non_null(echo);
        del = vk_network_nft_delete_json((VkNetworkNftHandle *) handles->data, handles->len);
        g_free(echo);
        echo = nft_run(del, VK_STRV("-e"));
        assert_non_null(echo);
        g_array_unref(g_steal_pointer(&handles));
        listing = nft_run(NULL, VK_STRV("-a", "list", "ruleset"));
        assert_non_null(listing);
        /* the second copy of a's rules and all of b's are still there, nothing else */
        handles = rules_with_comment(listing, a->comment, true);
        assert_int_equal(handles->len, a->rules->len);
        g_array_unref(g_steal_pointer(&handles));
        handles = rules_with_comment(listing, b->comment, true);
        assert_int_equal(handles->len, b->rules->len);
}

int main(void) {
        VkGoldenTests *t = vk_golden_tests_new();
        g_autoptr(GPtrArray) names = NULL;
        int r;

        if (!(data_dir = network_golden_dir()))
                return 1;
        vk_golden_tests_add(t, test_open_no_rules, "open-no-rules", NULL);
        vk_golden_tests_add(t, test_delete, "delete", NULL);
        vk_golden_tests_add(t, test_family_enum, "family-enum", NULL);
        vk_golden_tests_add(t, test_kernel_add_delete, "kernel-add-delete", NULL);
        names = network_golden_add_cases(t, data_dir, test_case);
        r = vk_golden_tests_run(t, "network-nft", data_dir, nft_exempt);
        g_free(data_dir);
        return r;
}
