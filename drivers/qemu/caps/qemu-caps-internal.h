/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-caps-internal.h: VkQemuCaps itself and what its three files share (qemu-caps.c builds
 * and reads it, qemu-caps-probe.c asks QEMU, qemu-caps-cache.c stores it); no one else */
#pragma once

#include <stdint.h>
#include <sys/stat.h>

#include <json-glib/json-glib.h>

#include "qemu-caps-hostcpu.h"
#include "qemu-caps.h"

struct VkQemuCaps {
        unsigned n_ref;
        /* identity of the binary, for the cache */
        char *binary;
        uint64_t size;
        int64_t mtime_ns;
        int64_t ctime_ns;
        char *vk_version;
        int cache_format; /* of the cache file it was read from; 0: not read from one */
        bool dev_kvm;     /* /dev/kvm was usable by us when probed */
        /* facts */
        unsigned version; /* major * 1000000 + minor * 1000 + micro */
        char *package;
        char *arch;
        bool kvm;
        bool flags[_VK_QEMU_CAPS_FLAG_MAX];
        VkQemuMachine *machines; /* sorted by name */
        size_t n_machines;
        VkQemuCpuModel *cpu_models; /* sorted by name */
        size_t n_cpu_models;
        GHashTable *types;       /* qom type names (set) */
        GHashTable *devices;     /* probed device -> GHashTable set of property names */
        VkQemuHostCpu *host_cpu; /* host-model, for the probe's accelerator; NULL: none */
        bool host_cpu_kvm;       /* ... which is KVM ("host"), else TCG ("max") */
};

/* What the probe asks, in order: QMP commands, then device-list-properties per device. */
extern const char *const qemu_caps_probe_commands[];
extern const size_t qemu_caps_n_probe_commands;
extern const char *const qemu_caps_probe_devices[];
extern const size_t qemu_caps_n_probe_devices;

VkQemuCaps *qemu_caps_new(void);
GHashTable *qemu_caps_string_set_new(void);
/* The table of replies by key (qemu_caps_replies_key()) and the caps built from it. */
GHashTable *qemu_caps_replies_new(void);
char *qemu_caps_replies_key(const char *command, JsonObject *args);
int qemu_caps_build(GHashTable *replies, const char *binary, const struct stat *st, bool dev_kvm,
                    VkQemuCaps **ret, VkError *reterr);

/* qemu-caps-hostcpu.c: the second round of the probe, and the host model from its answers */
GPtrArray *qemu_caps_hostcpu_requests(GHashTable *replies);
char *qemu_caps_hostcpu_key(JsonObject *args);
VkQemuHostCpu *qemu_caps_hostcpu_build(GHashTable *replies, bool *ret_kvm);
VkQemuHostCpu *qemu_caps_hostcpu_free(VkQemuHostCpu *hc);
void qemu_caps_hostcpu_to_json(JsonBuilder *b, const VkQemuHostCpu *hc, bool kvm);
VkQemuHostCpu *qemu_caps_hostcpu_from_json(JsonObject *o, bool *ret_kvm);

/* Lenient readers of QEMU's and the cache's JSON: a missing or mistyped member reads as
 * absent. */
static inline JsonNode *json_get(JsonObject *o, const char *name) {
        return o ? json_object_get_member(o, name) : NULL;
}

static inline const char *json_get_string(JsonObject *o, const char *name) {
        JsonNode *n = json_get(o, name);
        if (!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
                return NULL;
        return json_node_get_string(n);
}

static inline bool json_get_bool(JsonObject *o, const char *name) {
        JsonNode *n = json_get(o, name);
        return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_BOOLEAN &&
               json_node_get_boolean(n);
}

static inline int64_t json_get_int(JsonObject *o, const char *name, int64_t def) {
        JsonNode *n = json_get(o, name);
        if (!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64)
                return def;
        return json_node_get_int(n);
}

static inline JsonObject *json_get_object(JsonObject *o, const char *name) {
        JsonNode *n = json_get(o, name);
        return n && JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
}

static inline JsonArray *json_get_array(JsonObject *o, const char *name) {
        JsonNode *n = json_get(o, name);
        return n && JSON_NODE_HOLDS_ARRAY(n) ? json_node_get_array(n) : NULL;
}

/* The objects of array node @n, or NULL. */
