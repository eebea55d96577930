/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cli-device.c: attach-device, detach-device, attach-disk, detach-disk (virsh's names) */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli-cmd.h"
#include "macro.h"

/*
 * virsh's flags: --live, --config, --current (exclusive with both), --persistent (the config,
 * and the running domain when it runs) as the "live" and "config" parameters.
 */
static int device_impact(VkCli *cli, const Args *a, JsonObject *o, VkError *e) {
        bool live = vk_cli_has_opt(a, "live"), config = vk_cli_has_opt(a, "config");

        if (vk_cli_has_opt(a, "current") && (live || config))
                return vk_error_set(e, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "Options --current and --%s are mutually exclusive",
                                    live ? "live" : "config");
        if (vk_cli_has_opt(a, "persistent")) {
                g_autoptr(JsonNode) info = NULL;
                JsonObject *p = json_object_new();
                int r;

                if (vk_cli_has_opt(a, "current"))
                        return vk_error_set(e, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                            "Options --current and --persistent are mutually "
                                            "exclusive");
                json_object_set_string_member(p, "domain", a->pos[0]);
                r = vk_cli_call(cli, "Qemu", "GetDomainInfo", vk_cli_object_node(p), &info, e);
                if (r < 0)
                        return r;
                config = true;
                if (strcmp(vk_cli_member(info, "state"), "shutoff") != 0)
                        live = true;
        }
        if (live)
                json_object_set_boolean_member(o, "live", true);
        if (config)
                json_object_set_boolean_member(o, "config", true);
        return 0;
}

/* @method with {domain, xml, live, config}, then virsh's @done sentence. */
static int device_call(VkCli *cli, const Args *a, const char *method, const char *xml,
                       const char *done, VkError *e) {
        g_autoptr(JsonNode) reply = NULL;
        JsonObject *o = json_object_new();
        int r;

        json_object_set_string_member(o, "domain", a->pos[0]);
        json_object_set_string_member(o, "xml", xml);
        if (vk_cli_has_opt(a, "force"))
                json_object_set_boolean_member(o, "force", true);
        r = device_impact(cli, a, o, e);
        if (r < 0) {
                json_object_unref(o);
                return r;
        }
        r = vk_cli_call(cli, "Qemu", method, vk_cli_object_node(o), &reply, e);
        if (r < 0)
                return r;
        if (cli->json)
                vk_cli_dump_json(reply);
        else
                printf("%s\n", done);
        return 0;
}

/* @method with the device XML of the file a->pos[1] (device_call()) */
static int device_file_call(VkCli *cli, const Args *a, const char *method, const char *done,
                            VkError *e) {
        g_autofree char *xml = NULL;
        int r = vk_cli_read_file(a->pos[1], &xml, e);

        if (r < 0)
                return r;
        return device_call(cli, a, method, xml, done, e);
}

/* virsh attach-device DOMAIN FILE [--live] [--config] [--current] [--persistent] */
static int cmd_attach_device(VkCli *cli, const Args *a, VkError *e) {
        return device_file_call(cli, a, "AttachDevice", "Device attached successfully", e);
}

static int cmd_detach_device(VkCli *cli, const Args *a, VkError *e) {
        return device_file_call(cli, a, "DetachDevice", "Device detached successfully", e);
}

/* virsh update-device DOMAIN FILE [--force] and the flags: a CD-ROM or floppy's medium */
static int cmd_update_device(VkCli *cli, const Args *a, VkError *e) {
        return device_file_call(cli, a, "UpdateDevice", "Device updated successfully", e);
}

static char *xml_attr(const char *value) {
        return g_markup_escape_text(value, -1);
}

/*
 * virsh attach-disk DOMAIN SOURCE TARGET [--driver NAME] [--subdriver FMT] [--type disk|cdrom]
 * [--mode readonly|shareable] [--targetbus BUS] [--sourcetype file|block] and the flags: the
 * <disk> virsh writes (type from --sourcetype, else what SOURCE is on this host).
 */
static int cmd_attach_disk(VkCli *cli, const Args *a, VkError *e) {
        const char *driver = g_hash_table_lookup(a->opts, "driver");
        const char *subdriver = g_hash_table_lookup(a->opts, "subdriver");
        const char *type = g_hash_table_lookup(a->opts, "type");
        const char *mode = g_hash_table_lookup(a->opts, "mode");
        const char *bus = g_hash_table_lookup(a->opts, "targetbus");
        const char *sourcetype = g_hash_table_lookup(a->opts, "sourcetype");
        g_autofree char *source = xml_attr(a->pos[1]);
        g_autofree char *target = xml_attr(a->pos[2]);
        g_autoptr(GString) xml = g_string_new(NULL);
        struct stat st;
        bool block;

        if (mode && strcmp(mode, "readonly") != 0 && strcmp(mode, "shareable") != 0)
                return vk_error_set(e, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "No support for %s in command 'attach-disk'", mode);
        if (sourcetype && strcmp(sourcetype, "file") != 0 && strcmp(sourcetype, "block") != 0)
                return vk_error_set(e, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "Unknown source type: '%s'", sourcetype);
        block = sourcetype ? strcmp(sourcetype, "block") == 0
                           : stat(a->pos[1], &st) == 0 && S_ISBLK(st.st_mode);
        g_string_append_printf(xml, "<disk type='%s' device='%s'>\n", block ? "block" : "file",
                               type ? type : "disk");
        if (driver || subdriver) {
                g_autofree char *d = driver ? xml_attr(driver) : NULL;
                g_autofree char *s = subdriver ? xml_attr(subdriver) : NULL;

                g_string_append(xml, "  <driver");
                if (d)
                        g_string_append_printf(xml, " name='%s'", d);
                if (s)
                        g_string_append_printf(xml, " type='%s'", s);
                g_string_append(xml, "/>\n");
        }
        g_string_append_printf(xml, "  <source %s='%s'/>\n", block ? "dev" : "file", source);
        g_string_append_printf(xml, "  <target dev='%s'", target);
        if (bus) {
                g_autofree char *b = xml_attr(bus);

                g_string_append_printf(xml, " bus='%s'", b);
        }
        g_string_append(xml, "/>\n");
        if (mode)
                g_string_append_printf(xml, "  <%s/>\n", mode);
        g_string_append(xml, "</disk>\n");
        return device_call(cli, a, "AttachDevice", xml->str, "Disk attached successfully", e);
}

/*
 * virsh detach-disk DOMAIN TARGET [flags]: the <disk> whose target (or source) is TARGET, from
 * the persistent definition with --config alone, else from the live one.
 */
static int cmd_detach_disk(VkCli *cli, const Args *a, VkError *e) {
        g_autoptr(JsonNode) reply = NULL;
        g_autoptr(xmlDoc) doc = NULL;
        g_autoptr(xmlBuffer) buf = xmlBufferCreate();
        JsonObject *o = json_object_new();
        xmlNode *found = NULL, *devices = NULL;
        int r;

        json_object_set_string_member(o, "domain", a->pos[0]);
        if (vk_cli_has_opt(a, "config") && !vk_cli_has_opt(a, "live"))
                json_object_set_boolean_member(o, "inactive", true);
        r = vk_cli_call(cli, "Qemu", "GetDomainXML", vk_cli_object_node(o), &reply, e);
        if (r < 0)
                return r;
        r = vk_xml_read_string(vk_cli_member(reply, "xml"), "domain.xml", &doc, e);
        if (r < 0)
                return r;
        for (xmlNode *c = vk_xml_first_element(xmlDocGetRootElement(doc)); c && !devices;
             c = vk_xml_next_element(c))
                if (vk_xml_node_is(c, NULL, "devices"))
                        devices = c;
        for (xmlNode *d = devices ? vk_xml_first_element(devices) : NULL; d && !found;
             d = vk_xml_next_element(d)) {
                if (!vk_xml_node_is(d, NULL, "disk"))
                        continue;
                for (xmlNode *c = vk_xml_first_element(d); c && !found;
                     c = vk_xml_next_element(c)) {
                        g_autofree char *dev = (char *) xmlGetProp(c, (const xmlChar *) "dev");
                        g_autofree char *file = (char *) xmlGetProp(c, (const xmlChar *) "file");

                        if ((vk_xml_node_is(c, NULL, "target") && g_strcmp0(dev, a->pos[1]) == 0) ||
                            (vk_xml_node_is(c, NULL, "source") &&
                             (g_strcmp0(dev, a->pos[1]) == 0 || g_strcmp0(file, a->pos[1]) == 0)))
                                found = d;
                }
        }
        if (!found)
                return vk_error_set(e, VK_ERROR_OPERATION_FAILED, -ENOENT,
                                    "No disk found whose source path or target is %s", a->pos[1]);
        if (!buf || xmlNodeDump(buf, doc, found, 0, 0) < 0)
                return vk_error_set(e, VK_ERROR_OPERATION_FAILED, -ENOMEM,
                                    "Failed to format the disk");
        return device_call(cli, a, "DetachDevice", (const char *) xmlBufferContent(buf),
                           "Disk detached successfully", e);
}

#define DEVICE_FLAGS "live config current persistent"

const Cmd vk_cli_device_commands[] = {
        { "attach-device", "DOMAIN FILE [--live] [--config] [--current] [--persistent]",
          "Attach a device (a <disk>) from an XML file", 2, 2, DEVICE_FLAGS, cmd_attach_device },
        { "detach-device", "DOMAIN FILE [--live] [--config] [--current] [--persistent]",
          "Detach a device (a <disk>, found by its target) given in an XML file", 2, 2,
          DEVICE_FLAGS, cmd_detach_device },
        { "update-device", "DOMAIN FILE [--live] [--config] [--current] [--persistent] [--force]",
          "Change the medium of a CD-ROM or floppy drive given as its <disk> in an XML file", 2, 2,
          "force " DEVICE_FLAGS, cmd_update_device },
        { "attach-disk",
          "DOMAIN SOURCE TARGET [--driver NAME] [--subdriver FORMAT] [--type disk|cdrom] "
          "[--mode readonly|shareable] [--targetbus BUS] [--sourcetype file|block] [--live] "
          "[--config] [--current] [--persistent]",
          "Attach a disk image or block device", 3, 3,
          "driver= subdriver= type= mode= targetbus= sourcetype= " DEVICE_FLAGS, cmd_attach_disk },
        { "detach-disk", "DOMAIN TARGET [--live] [--config] [--current] [--persistent]",
          "Detach a disk, by its target (vdb) or source path", 2, 2, DEVICE_FLAGS,
          cmd_detach_disk },
        {},
};
