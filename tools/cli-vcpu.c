/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cli-vcpu.c: vcpuinfo, vcpupin, emulatorpin, vcpucount (virsh's names, options and output) */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli-cmd.h"
#include "macro.h"

static JsonObject *params_domain(const char *domain) {
        JsonObject *o = json_object_new();

        json_object_set_string_member(o, "domain", domain);
        return o;
}

static int call(VkCli *cli, const char *method, JsonObject *o, JsonNode **ret, VkError *e) {
        return vk_cli_call(cli, "Qemu", method, vk_cli_object_node(o), ret, e);
}

static bool is_error(const VkError *err, const char *name) {
        return err->name && g_str_has_suffix(err->name, name);
}

/* "yy-y" (one character per host CPU), or virsh --pretty's "0-1,3 (out of 4)" */
static void print_affinity(const char *cpuset, uint64_t host_cpus, bool pretty) {
        g_auto(GStrv) parts = g_strsplit(cpuset, ",", 0);
        g_autofree bool *map = g_new0(bool, host_cpus + 1);

        printf("%-15s ", "CPU Affinity:");
        if (pretty) {
                printf("%s (out of %" PRIu64 ")\n", cpuset, host_cpus);
                return;
        }
        for (size_t i = 0; parts[i]; i++) {
                unsigned lo = 0, hi = 0;
                int n = sscanf(parts[i], "%u-%u", &lo, &hi);

                if (n < 1)
                        continue;
                for (unsigned c = lo; c <= (n == 2 ? hi : lo) && c < host_cpus; c++)
                        map[c] = true;
        }
        for (uint64_t c = 0; c < host_cpus; c++)
                putchar(map[c] ? 'y' : '-');
        putchar('\n');
}

/* virsh vcpuinfo of a shut off domain: the persistent pins, N/A for the rest */
static int vcpuinfo_inactive(VkCli *cli, const Args *a, bool pretty, VkError *e) {
        g_autoptr(JsonObject) o = params_domain(a->pos[0]);
        g_autoptr(JsonObject) c = params_domain(a->pos[0]);
        g_autoptr(JsonNode) pins = NULL, count = NULL;
        JsonArray *list;
        uint64_t n;
        int r;

        json_object_set_boolean_member(o, "config", true);
        json_object_set_boolean_member(c, "config", true);
        r = call(cli, "GetDomainVcpuPinInfo", g_steal_pointer(&o), &pins, e);
        if (r >= 0)
                r = call(cli, "GetDomainVcpuCount", g_steal_pointer(&c), &count, e);
        if (r < 0)
                return r;
        if (cli->json) {
                vk_cli_dump_json(pins);
                return 0;
        }
        list = vk_cli_member_array(pins, "pins");
        n = MIN(vk_cli_member_u64(count, "count"), list ? json_array_get_length(list) : 0);
        for (uint64_t i = 0; i < n; i++) {
                if (i > 0)
                        printf("\n");
                printf("%-15s %" PRIu64 "\n", "VCPU:", i);
                printf("%-15s %s\n", "CPU:", "N/A");
                printf("%-15s %s\n", "State:", "N/A");
                printf("%-15s %s\n", "CPU time", "N/A");
                print_affinity(json_array_get_string_element(list, i),
                               vk_cli_member_u64(pins, "hostCpus"), pretty);
        }
        return 0;
}

/* virsh vcpuinfo DOMAIN [--pretty] */
static int cmd_vcpuinfo(VkCli *cli, const Args *a, VkError *e) {
        bool pretty = vk_cli_has_opt(a, "pretty");
        g_auto(VkError) err = VK_ERROR_INIT;
        g_autoptr(JsonNode) reply = NULL, info = NULL;
        JsonArray *vcpus;
        int r;

        r = call(cli, "GetDomainVcpuInfo", params_domain(a->pos[0]), &reply, &err);
        if (r < 0 && is_error(&err, ".OperationInvalid") &&
            call(cli, "GetDomainInfo", params_domain(a->pos[0]), &info, NULL) >= 0 &&
            g_str_equal(vk_cli_member(info, "state"), "shutoff"))
                return vcpuinfo_inactive(cli, a, pretty, e);
        if (r < 0) {
                vk_error_move(e, &err);
                return r;
        }
        if (cli->json) {
                vk_cli_dump_json(reply);
                return 0;
        }
        vcpus = vk_cli_member_array(reply, "vcpus");
        for (guint i = 0; vcpus && i < json_array_get_length(vcpus); i++) {
                JsonNode *v = json_array_get_element(vcpus, i);
                JsonObject *vo = json_node_get_object(v);
                uint64_t t = vk_cli_member_u64(v, "cpuTime");

                if (i > 0)
                        printf("\n");
                printf("%-15s %" PRIu64 "\n", "VCPU:", vk_cli_member_u64(v, "vcpu"));
                printf("%-15s %" G_GINT64_FORMAT "\n",
                       "CPU:", json_object_get_int_member_with_default(vo, "cpu", -1));
                printf("%-15s %s\n", "State:", vk_cli_member(v, "state"));
                if (t != 0)
                        printf("%-15s %.1fs\n", "CPU time:", (double) t / 1e9);
                print_affinity(vk_cli_member(v, "affinity"), vk_cli_member_u64(reply, "hostCpus"),
                               pretty);
        }
        return 0;
}

/* virsh's vshCommandOptUInt */
static int parse_uint(const char *opt, const char *s, unsigned *ret, VkError *e) {
        guint64 v;

        if (!g_ascii_string_to_unsigned(s, 10, 0, G_MAXINT32, &v, NULL))
                return vk_error_set(e, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "Numeric value '%s' for <%s> option is malformed or out of "
                                    "range",
                                    s, opt);
        *ret = (unsigned) v;
        return 0;
}

/* virsh's "r": every CPU of the host */
static int cpulist_all(VkCli *cli, const Args *a, char **ret, VkError *e) {
        g_autoptr(JsonNode) reply = NULL;
        int r = call(cli, "GetDomainEmulatorPinInfo", params_domain(a->pos[0]), &reply, e);
        uint64_t n;

        if (r < 0)
                return r;
        n = vk_cli_member_u64(reply, "hostCpus");
        *ret = n > 1 ? g_strdup_printf("0-%" PRIu64, n - 1) : g_strdup("0");
        return 0;
}

static int pin(VkCli *cli, const Args *a, const char *method, JsonObject *o, const char *cpulist,
               VkError *e) {
        g_autofree char *all = NULL;
        g_autoptr(JsonNode) reply = NULL;
        int r;

        if (cpulist[0] == 'r') {
                r = cpulist_all(cli, a, &all, e);
                if (r < 0) {
                        json_object_unref(o);
                        return r;
                }
                cpulist = all;
        }
        json_object_set_string_member(o, "cpuset", cpulist);
        r = call(cli, method, o, &reply, e);
        if (r < 0)
                return r;
        if (cli->json)
                vk_cli_dump_json(reply);
        return 0;
}

/* virsh vcpupin DOMAIN [[--vcpu] VCPU] [[--cpulist] CPULIST] [--config|--live|--current] */
static int cmd_vcpupin(VkCli *cli, const Args *a, VkError *e) {
        const char *vcpu_s = a->n_pos > 1 ? a->pos[1] : g_hash_table_lookup(a->opts, "vcpu");
        const char *cpulist = a->n_pos > 2 ? a->pos[2] : g_hash_table_lookup(a->opts, "cpulist");
        g_autoptr(JsonObject) o = params_domain(a->pos[0]);
        g_autoptr(JsonNode) reply = NULL;
        VkCliTable t;
        JsonArray *pins;
        unsigned vcpu = 0;
        guint n;
        int r;

        r = vk_cli_impact(a, o, e);
        if (r >= 0 && !cpulist)
                r = vk_cli_exclusive(a, "live", "config", e);
        if (r >= 0 && vcpu_s)
                r = parse_uint("vcpu", vcpu_s, &vcpu, e);
        if (r < 0)
                return r;
        if (cpulist) {
                if (!vcpu_s)
                        return vk_error_set(e, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                            "vcpupin: Missing vCPU number in pin mode.");
                json_object_set_int_member(o, "vcpu", vcpu);
                return pin(cli, a, "PinDomainVcpu", g_steal_pointer(&o), cpulist, e);
        }
        r = call(cli, "GetDomainVcpuPinInfo", g_steal_pointer(&o), &reply, e);
        if (r < 0)
                return r;
        pins = vk_cli_member_array(reply, "pins");
        n = pins ? json_array_get_length(pins) : 0;
        if (vcpu_s && vcpu >= n)
                return vk_error_set(e, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "vcpu %u is out of range of %s cpu count %u", vcpu,
                                    vk_cli_has_opt(a, "config") ? "persistent" : "live", n);
        if (cli->json) { /* {"vcpus": [{"vcpu": N, "cpuset": "..."}, ...]} */
                g_autoptr(JsonObject) out = json_object_new();
                JsonArray *list = json_array_new();

                for (guint i = 0; i < n; i++) {
                        JsonObject *v = json_object_new();

                        if (vcpu_s && i != vcpu) {
                                json_object_unref(v);
                                continue;
                        }
                        json_object_set_int_member(v, "vcpu", i);
                        json_object_set_string_member(v, "cpuset",
                                                      json_array_get_string_element(pins, i));
                        json_array_add_object_element(list, v);
                }
                json_object_set_array_member(out, "vcpus", list);
                vk_cli_dump_json(vk_cli_object_node(g_steal_pointer(&out)));
                return 0;
        }
        vk_cli_table_init(&t, VK_STRV("VCPU", "CPU Affinity"));
        for (guint i = 0; i < n; i++) {
                g_autofree char *id = g_strdup_printf("%u", i);

                if (!vcpu_s || i == vcpu)
                        vk_cli_table_add(&t, VK_STRV(id, json_array_get_string_element(pins, i)));
        }
        vk_cli_table_print_free(&t);
        return 0;
}

/* virsh emulatorpin DOMAIN [[--cpulist] CPULIST] [--config|--live|--current] */
static int cmd_emulatorpin(VkCli *cli, const Args *a, VkError *e) {
        const char *cpulist = a->n_pos > 1 ? a->pos[1] : g_hash_table_lookup(a->opts, "cpulist");
        g_autoptr(JsonObject) o = params_domain(a->pos[0]);
        g_autoptr(JsonNode) reply = NULL;
        int r;

        r = vk_cli_impact(a, o, e);
        if (r < 0)
                return r;
        if (cpulist)
                return pin(cli, a, "PinDomainEmulator", g_steal_pointer(&o), cpulist, e);
        r = call(cli, "GetDomainEmulatorPinInfo", g_steal_pointer(&o), &reply, e);
        if (r < 0)
                return r;
        if (cli->json) {
                vk_cli_dump_json(reply);
                return 0;
        }
        printf("emulator: CPU Affinity\n");
        printf("----------------------------------\n");
        printf("       *: %s\n", vk_cli_member(reply, "cpuset"));
        return 0;
}

/*
 * One count; @quiet: 0 when it does not apply (live of a shut off domain, config of a transient
 * one) instead of the error.
 */
static int vcpucount_one(VkCli *cli, const Args *a, bool live, bool config, bool maximum,
                         bool quiet, uint64_t *ret, VkError *e) {
        JsonObject *o = params_domain(a->pos[0]);
        g_autoptr(JsonNode) reply = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        int r;

        if (live)
                json_object_set_boolean_member(o, "live", true);
        if (config)
                json_object_set_boolean_member(o, "config", true);
        if (maximum)
                json_object_set_boolean_member(o, "maximum", true);
        r = call(cli, "GetDomainVcpuCount", o, &reply, &err);
        if (r < 0 && quiet && is_error(&err, ".OperationInvalid")) {
                *ret = 0;
                return 0;
        }
        if (r < 0) {
                vk_error_move(e, &err);
                return r;
        }
        *ret = vk_cli_member_u64(reply, "count");
        return 0;
}

/*
 * virsh vcpucount DOMAIN [--maximum] [--active] [--live] [--config] [--current] [--guest]:
 * without options the four counts that apply, one line each.
 */
static int cmd_vcpucount(VkCli *cli, const Args *a, VkError *e) {
        bool maximum = vk_cli_has_opt(a, "maximum"), active = vk_cli_has_opt(a, "active");
        bool live = vk_cli_has_opt(a, "live"), config = vk_cli_has_opt(a, "config");
        bool current = vk_cli_has_opt(a, "current"), guest = vk_cli_has_opt(a, "guest");
        static const struct {
                const char *which, *state;
                bool live, maximum;
        } all[] = {
                { "maximum", "config", false, true },
                { "maximum", "live", true, true },
                { "current", "config", false, false },
                { "current", "live", true, false },
        };
        static const char *const pairs[][2] = {
                { "live", "config" },    { "current", "live" }, { "current", "config" },
                { "active", "maximum" }, { "guest", "config" },
        };
        g_autoptr(JsonObject) o = json_object_new();
        uint64_t count = 0;
        int r;

        /* virsh: before 0.9.4 --current meant the opposite of --maximum */
        if (!maximum && !active && current)
                current = false;
        for (size_t i = 0; i < G_N_ELEMENTS(pairs); i++) {
                bool x = g_str_equal(pairs[i][0], "current") ? current
                                                             : vk_cli_has_opt(a, pairs[i][0]);

                if (x && vk_cli_has_opt(a, pairs[i][1]))
                        return vk_error_set(e, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                            "Options --%s and --%s are mutually exclusive",
                                            pairs[i][0], pairs[i][1]);
        }
        if (guest)
                return vk_error_set(e, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                    "--guest needs the guest agent, which virtkit does not "
                                    "support");
        if (maximum || active || live || config || current) {
                r = vcpucount_one(cli, a, live, config, maximum, false, &count, e);
                if (r < 0)
                        return r;
                if (cli->json) {
                        json_object_set_int_member(o, "count", (gint64) count);
                        vk_cli_dump_json(vk_cli_object_node(json_object_ref(o)));
                } else
                        printf("%" PRIu64 "\n", count);
                return 0;
        }
        for (size_t i = 0; i < G_N_ELEMENTS(all); i++) {
                r = vcpucount_one(cli, a, all[i].live, !all[i].live, all[i].maximum, true, &count,
                                  e);
                if (r < 0)
                        return r;
                if (count == 0)
                        continue;
                if (cli->json) {
                        g_autofree char *key = g_strdup_printf("%s-%s", all[i].which, all[i].state);

                        json_object_set_int_member(o, key, (gint64) count);
                } else
                        printf("%-12s %-12s %3" PRIu64 "\n", all[i].which, all[i].state, count);
        }
        if (cli->json)
                vk_cli_dump_json(vk_cli_object_node(json_object_ref(o)));
        return 0;
}

const Cmd vk_cli_vcpu_commands[] = {
        { "vcpuinfo", "DOMAIN [--pretty]", "Show the vCPUs of a domain: host CPU, time, affinity",
          1, 1, "pretty", cmd_vcpuinfo },
        { "vcpupin", "DOMAIN [[--vcpu] VCPU] [[--cpulist] CPULIST] [--live] [--config] [--current]",
          "Show or change which host CPUs a domain's vCPUs may run on", 1, 3,
          "vcpu= cpulist= live config current", cmd_vcpupin },
        { "emulatorpin", "DOMAIN [[--cpulist] CPULIST] [--live] [--config] [--current]",
          "Show or change which host CPUs a domain's emulator threads may run on", 1, 2,
          "cpulist= live config current", cmd_emulatorpin },
        { "vcpucount", "DOMAIN [--maximum] [--active] [--live] [--config] [--current] [--guest]",
          "Show the number of vCPUs of a domain", 1, 1, "maximum active live config current guest",
          cmd_vcpucount },
        {},
};
