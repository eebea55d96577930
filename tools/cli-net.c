/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cli-net.c: the CLI's network commands (net-*, domifaddr, domiflist), in virsh's formats */
#include <string.h>
#include <time.h>

#include "atomic-file.h"
#include "cli-cmd.h"
#include "json.h"
#include "macro.h"
#include "uuid.h"
#include "xml.h"

/*
 * Networks are io.virtkit.Network: virtkit-networkd's own socket for a local URI, qemud's
 * forwarding over ssh. The output is virsh's: its sentences, its tables (a space before each
 * cell, columns as wide as their widest cell and two spaces apart, a line of dashes under the
 * header), its "%-15s %s" key/value lines.
 */

static JsonNode *params_network(const char *network) {
        JsonObject *o = json_object_new();

        json_object_set_string_member(o, "network", network);
        return vk_cli_object_node(o);
}

static int cmd_net_define(VkCli *cli, const Args *a, VkError *e) {
        return vk_cli_define(cli, a, "Network", "DefineNetwork", "Network", e);
}

static int net_simple(VkCli *cli, const Args *a, const char *method, const char *done, VkError *e) {
        return vk_cli_simple(cli, a, "Network", method, params_network(a->pos[0]), "Network", done,
                             e);
}

static int cmd_net_undefine(VkCli *cli, const Args *a, VkError *e) {
        return net_simple(cli, a, "UndefineNetwork", "has been undefined", e);
}

static int cmd_net_start(VkCli *cli, const Args *a, VkError *e) {
        return net_simple(cli, a, "CreateNetwork", "started", e);
}

static int cmd_net_destroy(VkCli *cli, const Args *a, VkError *e) {
        return net_simple(cli, a, "DestroyNetwork", "destroyed", e);
}

static void list_filter(JsonObject *o, const Args *a, const char *yes, const char *no,
                        const char *param) {
        if (vk_cli_has_opt(a, yes) != vk_cli_has_opt(a, no))
                json_object_set_string_member(o, param, vk_cli_has_opt(a, yes) ? "yes" : "no");
}

static int cmd_net_list(VkCli *cli, const Args *a, VkError *e) {
        g_autoptr(JsonNode) reply = NULL;
        JsonObject *o = json_object_new();
        JsonArray *arr = NULL;
        VkCliTable t;
        int r;

        list_filter(o, a, "persistent", "transient", "persistent");
        list_filter(o, a, "autostart", "no-autostart", "autostart");
        r = vk_cli_list(cli, a, "Network", "ListNetworks", o, "networks", &reply, &arr, e);
        if (r <= 0)
                return r;
        vk_cli_table_init(&t, VK_STRV("Name", "State", "Autostart", "Persistent"));
        for (guint i = 0; arr && i < json_array_get_length(arr); i++) {
                JsonNode *n = json_array_get_element(arr, i);

                vk_cli_table_add(&t,
                                 VK_STRV(vk_cli_member(n, "name"),
                                         vk_cli_member_bool(n, "active") ? "active" : "inactive",
                                         vk_cli_yes_no(vk_cli_member_bool(n, "autostart")),
                                         vk_cli_yes_no(vk_cli_member_bool(n, "persistent"))));
        }
        vk_cli_table_print_free(&t);
        return 0;
}

static int cmd_net_info(VkCli *cli, const Args *a, VkError *e) {
        g_autoptr(JsonNode) reply = NULL;
        JsonObject *o = json_object_new();
        VkUuid u;
        int r;

        json_object_set_string_member(o, vk_uuid_parse(a->pos[0], &u) >= 0 ? "uuid" : "name",
                                      a->pos[0]);
        r = vk_cli_call(cli, "Network", "LookupNetwork", vk_cli_object_node(o), &reply, e);
        if (r < 0)
                return r;
        if (cli->json) {
                vk_cli_dump_json(reply);
                return 0;
        }
        printf("%-15s %s\n", "Name:", vk_cli_member(reply, "name"));
        printf("%-15s %s\n", "UUID:", vk_cli_member(reply, "uuid"));
        printf("%-15s %s\n", "Active:", vk_cli_yes_no(vk_cli_member_bool(reply, "active")));
        printf("%-15s %s\n", "Persistent:", vk_cli_yes_no(vk_cli_member_bool(reply, "persistent")));
        printf("%-15s %s\n", "Autostart:", vk_cli_yes_no(vk_cli_member_bool(reply, "autostart")));
        if (*vk_cli_member(reply, "bridge"))
                printf("%-15s %s\n", "Bridge:", vk_cli_member(reply, "bridge"));
        return 0;
}

static int cmd_net_dumpxml(VkCli *cli, const Args *a, VkError *e) {
        return vk_cli_dumpxml(cli, a, "Network", "GetNetworkXML", params_network(a->pos[0]), e);
}

static int cmd_net_autostart(VkCli *cli, const Args *a, VkError *e) {
        return vk_cli_autostart(cli, a, "Network", "SetNetworkAutostart", params_network(a->pos[0]),
                                "Network", e);
}

static int cmd_net_dhcp_leases(VkCli *cli, const Args *a, VkError *e) {
        g_autoptr(JsonNode) reply = NULL;
        JsonNode *p = params_network(a->pos[0]);
        JsonArray *arr = NULL;
        VkCliTable t;
        int r;

        if (vk_cli_has_opt(a, "mac"))
                json_object_set_string_member(json_node_get_object(p), "mac",
                                              g_hash_table_lookup(a->opts, "mac"));
        r = vk_cli_call(cli, "Network", "GetDHCPLeases", p, &reply, e);
        if (r < 0)
                return r;
        if (cli->json) {
                vk_cli_dump_json(reply);
                return 0;
        }
        arr = vk_cli_member_array(reply, "leases");
        vk_cli_table_init(&t, VK_STRV("Expiry Time", "MAC address", "Protocol", "IP address",
                                      "Hostname", "Client ID or DUID"));
        for (guint i = 0; arr && i < json_array_get_length(arr); i++) {
                JsonNode *l = json_array_get_element(arr, i);
                JsonObject *lo = json_node_get_object(l);
                time_t expiry =
                        (time_t) json_object_get_int_member_with_default(lo, "expiryTime", 0);
                const char *ip = vk_cli_member(l, "ip");
                g_autofree char *addr =
                        g_strdup_printf("%s/%" G_GINT64_FORMAT, ip,
                                        json_object_get_int_member_with_default(lo, "prefix", 0));
                char when[64] = "";
                struct tm tm;

                if (localtime_r(&expiry, &tm))
                        (void) strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
                vk_cli_table_add(
                        &t,
                        VK_STRV(when, vk_cli_member(l, "mac"), strchr(ip, ':') ? "ipv6" : "ipv4",
                                addr,
                                *vk_cli_member(l, "hostname") ? vk_cli_member(l, "hostname") : "-",
                                *vk_cli_member(l, "clientId") ? vk_cli_member(l, "clientId")
                                                              : "-"));
        }
        vk_cli_table_print_free(&t);
        return 0;
}

static const char *const update_commands[] = { "add",    "add-first", "add-last",
                                               "delete", "modify",    NULL };

static int cmd_net_update(VkCli *cli, const Args *a, VkError *e) {
        const char *command = a->pos[1], *xml_arg = a->pos[3];
        bool live = vk_cli_has_opt(a, "live"), config = vk_cli_has_opt(a, "config");
        g_autofree char *xml = NULL;
        JsonNode *p;
        JsonObject *o;
        int r;

        if (!g_strv_contains(update_commands, command))
                return vk_error_set(e, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "net-update: unknown command '%s' (add, add-first, add-last, "
                                    "delete, modify)",
                                    command);
        if (vk_cli_has_opt(a, "current") && (live || config))
                return vk_error_set(e, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "net-update: --current excludes --live and --config");
        /* like virsh: XML text, or the name of a file holding it */
        if (xml_arg[strspn(xml_arg, " \t\n")] == '<')
                xml = g_strdup(xml_arg);
        else {
                r = vk_cli_read_file(xml_arg, &xml, e);
                if (r < 0)
                        return r;
        }
        p = params_network(a->pos[0]);
        o = json_node_get_object(p);
        json_object_set_string_member(o, "command",
                                      strcmp(command, "add") == 0 ? "add-last" : command);
        json_object_set_string_member(o, "section", a->pos[2]);
        json_object_set_string_member(o, "xml", xml);
        if (live)
                json_object_set_boolean_member(o, "live", true);
        if (config)
                json_object_set_boolean_member(o, "config", true);
        r = vk_cli_call(cli, "Network", "UpdateNetwork", p, NULL, e);
        if (r < 0 || cli->json)
                return r;
        if (live && config)
                printf("Updated network %s persistent config and live state\n", a->pos[0]);
        else if (config)
                printf("Updated network %s persistent config\n", a->pos[0]);
        else if (live)
                printf("Updated network %s live state\n", a->pos[0]);
        else
                printf("Updated network %s\n", a->pos[0]);
        return 0;
}

/* ---- a domain's interfaces ---- */

static int cmd_domifaddr(VkCli *cli, const Args *a, VkError *e) {
        g_autoptr(JsonNode) reply = NULL;
        JsonObject *o = json_object_new();
        const char *iface = g_hash_table_lookup(a->opts, "interface");
        const char *last = NULL;
        JsonArray *arr = NULL;
        int r;

        json_object_set_string_member(o, "domain", a->pos[0]);
        if (vk_cli_has_opt(a, "source"))
                json_object_set_string_member(o, "source", g_hash_table_lookup(a->opts, "source"));
        r = vk_cli_call(cli, "Qemu", "DomainInterfaceAddresses", vk_cli_object_node(o), &reply, e);
        if (r < 0)
                return r;
        if (cli->json) {
                vk_cli_dump_json(reply);
                return 0;
        }
        printf(" %-10s %-20s %-8s     %s\n%s%s\n", "Name", "MAC address", "Protocol", "Address",
               "-------------------------------------------------",
               "------------------------------");
        arr = vk_cli_member_array(reply, "addresses");
        for (guint i = 0; arr && i < json_array_get_length(arr); i++) {
                JsonNode *n = json_array_get_element(arr, i);
                const char *name = vk_cli_member(n, "name");
                g_autofree char *addr =
                        g_strdup_printf("%-12s %s/%" G_GINT64_FORMAT, vk_cli_member(n, "type"),
                                        vk_cli_member(n, "addr"),
                                        json_object_get_int_member_with_default(
                                                json_node_get_object(n), "prefix", 0));
                bool first = !last || strcmp(last, name) != 0;

                if (iface && strcmp(iface, name) != 0)
                        continue;
                /* virsh names an interface on its first address only, unless --full */
                printf(" %-10s %-17s    %s\n", first || vk_cli_has_opt(a, "full") ? name : "-",
                       first || vk_cli_has_opt(a, "full") ? vk_cli_member(n, "hwaddr") : "-", addr);
                last = name;
        }
        return 0;
}

static char *prop(xmlNode *n, const char *child, const char *attr) {
        xmlNode *c = child ? vk_xml_child(n, child) : n;
        xmlChar *v = c ? xmlGetProp(c, (const xmlChar *) attr) : NULL;
        char *s = g_strdup(v ? (const char *) v : NULL);

        xmlFree(v);
        return s;
}

static int cmd_domiflist(VkCli *cli, const Args *a, VkError *e) {
        g_autoptr(xmlDoc) doc = NULL;
        xmlNode *devices;
        VkCliTable t;
        int r;

        r = vk_cli_domain_xml(cli, a, &doc, e);
        if (r < 0)
                return r;
        devices = vk_xml_child(xmlDocGetRootElement(doc), "devices");
        vk_cli_table_init(&t, VK_STRV("Interface", "Type", "Source", "Model", "MAC"));
        for (xmlNode *n = devices ? vk_xml_first_element(devices) : NULL; n;
             n = vk_xml_next_element(n)) {
                g_autofree char *type = NULL, *target = NULL, *source = NULL, *model = NULL;
                g_autofree char *mac = NULL;

                if (!vk_xml_node_is(n, NULL, "interface"))
                        continue;
                type = prop(n, NULL, "type");
                target = prop(n, "target", "dev");
                source = prop(n, "source",
                              g_strcmp0(type, "network") == 0  ? "network"
                              : g_strcmp0(type, "direct") == 0 ? "dev"
                                                               : "bridge");
                model = prop(n, "model", "type");
                mac = prop(n, "mac", "address");
                vk_cli_table_add(&t, VK_STRV(target ? target : "-", type ? type : "-",
                                             source ? source : "-", model ? model : "-",
                                             mac ? mac : "-"));
        }
        if (cli->json) {
                static const char *const keys[] = { "interface", "type", "source", "model", "mac" };

                vk_cli_table_dump_json_free(&t, "interfaces", keys);
                return 0;
        }
        vk_cli_table_print_free(&t);
        return 0;
}

const Cmd vk_cli_net_commands[] = {
        { "net-define", "FILE", "Define a network from libvirt's network XML", 1, 1, "",
          cmd_net_define },
        { "net-undefine", "NETWORK", "Remove a network's persistent definition", 1, 1, "",
          cmd_net_undefine },
        { "net-start", "NETWORK", "Start a defined network", 1, 1, "", cmd_net_start },
        { "net-destroy", "NETWORK", "Stop a network", 1, 1, "", cmd_net_destroy },
        { "net-list",
          "[--all] [--inactive] [--persistent|--transient] [--autostart|--no-autostart] "
          "[--name] [--uuid]",
          "List networks (active ones by default)", 0, 0,
          "all inactive persistent transient autostart no-autostart name uuid", cmd_net_list },
        { "net-info", "NETWORK", "Show a network's basic information", 1, 1, "", cmd_net_info },
        { "net-dumpxml", "NETWORK [--inactive]", "Print a network's XML", 1, 1, "inactive",
          cmd_net_dumpxml },
        { "net-autostart", "NETWORK [--disable]", "Start the network with the daemon", 1, 1,
          "disable", cmd_net_autostart },
        { "net-dhcp-leases", "NETWORK [--mac MAC]", "Show a network's DHCP leases", 1, 1,
          "mac=", cmd_net_dhcp_leases },
        { "net-update", "NETWORK COMMAND SECTION XML [--live] [--config] [--current]",
          "Change a running network and/or its definition (section ip-dhcp-host)", 4, 4,
          "live config current", cmd_net_update },
        { "domifaddr", "DOMAIN [--interface NAME] [--full] [--source lease]",
          "Show a domain's interface addresses (from the DHCP leases)", 1, 1,
          "interface= full source=", cmd_domifaddr },
        { "domiflist", "DOMAIN [--inactive]", "List a domain's network interfaces", 1, 1,
          "inactive", cmd_domiflist },
        {},
};
