/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cli-cmd.h: the commands of the virtkit CLI (virtkit.c, cli-net.c, cli-storage.c) */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdint.h>

#include "cli-connect.h"
#include "error.h"
#include "xml.h"

typedef struct Args {
        char **pos; /* positional arguments after the command */
        int n_pos;
        GHashTable *opts; /* "paused" → "" (flag) or value */
} Args;

typedef int (*CmdFunc)(VkCli *cli, const Args *a, VkError *e);

typedef struct Cmd {
        const char *name;
        const char *usage; /* after the command name */
        const char *help;
        int min_args;
        int max_args;     /* -1: any */
        const char *opts; /* space separated; "name=" takes a value */
        CmdFunc run;
} Cmd;

/* cli-net.c: net-*, domifaddr, domiflist */
extern const Cmd vk_cli_net_commands[];
/* cli-storage.c: pool-*, vol-* */
extern const Cmd vk_cli_storage_commands[];
/* cli-vol.c: pool-build, pool-delete, vol-clone, -resize, -wipe, -upload, -download, domblklist */
extern const Cmd vk_cli_vol_commands[];

/* cli-event.c: event */
extern const Cmd vk_cli_event_commands[];
/* cli-domops.c: inject-nmi, send-key, domrename, metadata, desc */
extern const Cmd vk_cli_domops_commands[];
/* cli-vcpu.c: vcpuinfo, vcpupin, emulatorpin, vcpucount */
extern const Cmd vk_cli_vcpu_commands[];
/* cli-media.c: change-media */
extern const Cmd vk_cli_media_commands[];
/* cli-device.c: attach-device, detach-device, attach-disk, detach-disk */
extern const Cmd vk_cli_device_commands[];

/* cli-util.c: what the command files share */
bool vk_cli_has_opt(const Args *a, const char *name);
int vk_cli_exclusive(const Args *a, const char *x, const char *y, VkError *e); /* virsh's */
/* --live, --config, --current (exclusive with both) as the "live" and "config" parameters */
int vk_cli_impact(const Args *a, JsonObject *o, VkError *e);
const char *vk_cli_member(JsonNode *n, const char *key); /* "" when absent */
bool vk_cli_member_bool(JsonNode *n, const char *key);
uint64_t vk_cli_member_u64(JsonNode *n, const char *key);
JsonArray *vk_cli_member_array(JsonNode *n, const char *key);
void vk_cli_dump_json(JsonNode *n);
JsonNode *vk_cli_object_node(JsonObject *o); /* takes @o */
const char *vk_cli_yes_no(bool b);
int vk_cli_read_file(const char *path, char **ret, VkError *e); /* an XML file, ≤ 16 MiB */
int vk_cli_domain_xml(VkCli *cli, const Args *a, xmlDoc **ret, VkError *e);
char *vk_cli_pretty_size(uint64_t v);                            /* virsh's "1.50 GiB" */
int vk_cli_parse_size(const char *s, uint64_t *ret, VkError *e); /* "10G", "512MiB", "4096" */

/* cli-storage.c: VOL in --pool POOL, or a path or key; the {pool, volume} of a summary */
int vk_cli_lookup_volume(VkCli *cli, const Args *a, const char *vol, JsonNode **ret, VkError *e);
JsonNode *vk_cli_params_volume(JsonNode *summary);

/* the commands every object kind has, in virsh's sentences (noun: "Network", "Pool") */
int vk_cli_define(VkCli *cli, const Args *a, const char *driver, const char *method,
                  const char *noun, VkError *e);
int vk_cli_simple(VkCli *cli, const Args *a, const char *driver, const char *method,
                  JsonNode *params, const char *noun, const char *done, VkError *e);
int vk_cli_autostart(VkCli *cli, const Args *a, const char *driver, const char *method,
                     JsonNode *params, const char *noun, VkError *e);
int vk_cli_dumpxml(VkCli *cli, const Args *a, const char *driver, const char *method,
                   JsonNode *params, VkError *e);
int vk_cli_list(VkCli *cli, const Args *a, const char *driver, const char *method, JsonObject *o,
                const char *member, JsonNode **reply, JsonArray **ret, VkError *e);

/*
 * virsh's table: a space before each cell, columns as wide as their widest cell and two spaces
 * apart, a line of dashes under the header.
 */
typedef struct VkCliTable {
        size_t n_cols;
        GPtrArray *cells; /* row after row, the header first */
} VkCliTable;

void vk_cli_table_init(VkCliTable *t, const char *const *header);
void vk_cli_table_add(VkCliTable *t, const char *const *row);
void vk_cli_table_print_free(VkCliTable *t);
void vk_cli_table_dump_json_free(VkCliTable *t, const char *member, const char *const *keys);
