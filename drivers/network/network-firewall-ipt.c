/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* network-firewall-ipt.c: a network's iptables rules installed and removed (the commands) */
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "macro.h"
#include "network-child.h"
#include "network-firewall.h"
#include "network-iptables.h"

/*
 * The iptables backend runs iptables(8)/ip6tables(8), one command a rule, through
 * common/child.c (network-child.c), with "-w" (wait for the xtables lock). Each rule added is
 * recorded in the network's status at once, so what a failed start, a destroy or a destroy
 * after a restart removes ("-D" with the same specification) is exactly what was added.
 */

#define IPT_TIMEOUT_MSEC 10000

static const char *const ipt_env[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };

/* The path of iptables (ip) or ip6tables (ip6), or NULL when it is not installed. */
static char *ipt_binary(VkNetworkNftFamily family) {
        static const char *const dirs[] = { "/usr/sbin", "/sbin", "/usr/bin", "/bin" };
        const char *name = family == VK_NETWORK_NFT_IP6 ? "ip6tables" : "iptables";

        for (size_t i = 0; i < G_N_ELEMENTS(dirs); i++) {
                g_autofree char *path = g_build_filename(dirs[i], name, NULL);

                if (access(path, X_OK) == 0)
                        return g_steal_pointer(&path);
        }
        return NULL;
}

/* Whether the iptables backend can run here (iptables is installed). */
bool vk_network_ipt_available(void) {
        g_autofree char *path = ipt_binary(VK_NETWORK_NFT_IP);

        return path != NULL;
}

/* Run @argv; 0 when it succeeded, 1 when it failed (*@ret_errout: why), -errno on our error. */
static int ipt_run(sd_event *e, char **argv, char **ret_errout, VkError *reterr) {
        g_auto(VkNetworkChildResult) res = {};
        int r;

        r = vk_network_child_run(e, (const char *const *) argv, ipt_env, IPT_TIMEOUT_MSEC, &res,
                                 reterr);
        if (r < 0)
                return r;
        if (vk_network_child_succeeded(&res))
                return 0;
        if (ret_errout)
                *ret_errout =
                        g_strdup_printf("%s (exit status %d)",
                                        *res.errout ? res.errout : "no reason given", res.status);
        return 1;
}

/* Our chains in @family and the jumps to them, unless there already (idempotent). */
static int ipt_setup(sd_event *e, VkNetworkNftFamily family, const char *binary, VkError *reterr) {
        g_autoptr(GPtrArray) argvs = vk_network_ipt_setup_argvs(family, binary);
        guint i = 0;
        int r;

        for (; i < argvs->len; i++) {
                char **argv = argvs->pdata[i];
                g_autofree char *why = NULL;

                if (strcmp(argv[4], "-C") == 0) {
                        /* the jump exists: skip its insert */
                        r = ipt_run(e, argv, NULL, reterr);
                        if (r < 0)
                                return r;
                        if (r == 0)
                                i++;
                        continue;
                }
                r = ipt_run(e, argv, &why, reterr);
                if (r < 0)
                        return r;
                if (r > 0 && !(strcmp(argv[4], "-N") == 0 && strstr(why, "already exists")))
                        return vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, -EIO,
                                            "%s -t %s %s %s failed: %s", binary, argv[3], argv[4],
                                            argv[5], why);
        }
        return 0;
}

/*
 * Install the iptables rules of @def (network-iptables.c), each recorded in @st as soon as it
 * is in, so that vk_network_ipt_remove() on @st undoes a start that failed half way. On
 * failure @reterr names the rule and iptables' reason.
 */
int vk_network_ipt_add(sd_event *e, const VkNetworkDef *def, VkNetworkStatus *st, VkError *reterr) {
        g_autoptr(GPtrArray) rules = NULL;
        g_autofree char *bin[_VK_NETWORK_NFT_FAMILY_MAX] = {};
        bool ready[_VK_NETWORK_NFT_FAMILY_MAX] = {};
        int r;

        r = vk_network_ipt_rules_build(def, &rules, reterr);
        if (r < 0)
                return r;
        for (guint i = 0; i < rules->len; i++) {
                const VkNetworkIptRule *rule = rules->pdata[i];
                VkNetworkNftFamily f = rule->family;
                g_auto(GStrv) argv = NULL;
                g_autofree char *why = NULL;

                if (!ready[f]) {
                        bin[f] = ipt_binary(f);
                        if (!bin[f])
                                return vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, -ENOENT,
                                                    "Network '%s': the iptables firewall "
                                                    "backend needs %s, which is not installed",
                                                    def->name,
                                                    f == VK_NETWORK_NFT_IP6 ? "ip6tables"
                                                                            : "iptables");
                        r = ipt_setup(e, f, bin[f], reterr);
                        if (r < 0)
                                return r;
                        ready[f] = true;
                }
                argv = vk_network_ipt_rule_argv(bin[f], rule, "-A");
                r = ipt_run(e, argv, &why, reterr);
                if (r < 0)
                        return r;
                if (r > 0) {
                        g_autofree char *line = g_strjoinv(" ", argv + 2);

                        return vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, -EIO,
                                            "Network '%s': %s refused the rule '%s': %s", def->name,
                                            argv[0], line, why);
                }
                vk_network_status_add_ipt_rule(st, vk_network_nft_family_to_string(f), rule->table,
                                               rule->chain, (const char *const *) rule->args);
        }
        return 0;
}

/*
 * Delete the iptables rules recorded in @st, in reverse order. A rule that is gone already
 * (someone flushed the chain) is no error; the others still go.
 */
int vk_network_ipt_remove(sd_event *e, const VkNetworkStatus *st, VkError *reterr) {
        const VkNetworkStatusIptRule *items = st->ipt_rules.items;
        int ret = 0;

        for (size_t i = st->ipt_rules.n; i-- > 0;) {
                VkNetworkNftFamily f = vk_network_nft_family_from_string(items[i].family);
                const VkNetworkIptRule rule = {
                        .family = f,
                        .table = items[i].table,
                        .chain = items[i].chain,
                        .args = items[i].args,
                };
                g_autofree char *bin = NULL;
                g_auto(GStrv) argv = NULL;
                g_autofree char *why = NULL;
                int r;

                if (f < 0 || !vk_network_ipt_chain_static(items[i].chain) || !items[i].args)
                        continue;
                bin = ipt_binary(f);
                if (!bin) {
                        if (ret == 0)
                                ret = vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, -ENOENT,
                                                   "Cannot remove iptables rules: %s is not "
                                                   "installed",
                                                   f == VK_NETWORK_NFT_IP6 ? "ip6tables"
                                                                           : "iptables");
                        continue;
                }
                argv = vk_network_ipt_rule_argv(bin, &rule, "-D");
                r = ipt_run(e, argv, &why, ret < 0 ? NULL : reterr);
                if (r > 0 && (strstr(why, "does a matching rule exist") ||
                              strstr(why, "No chain/target/match")))
                        r = 0;
                if (r > 0 && ret == 0)
                        ret = vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, -EIO,
                                           "Failed to remove an iptables rule from %s: %s",
                                           items[i].chain, why);
                else if (r < 0 && ret == 0)
                        ret = r;
        }
        return ret;
}
