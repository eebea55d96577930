/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-caps.c: QEMU capabilities: probe (async), derived flags, cache, capabilities XML */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-glib/json-glib.h>

#include "atomic-file.h"
#include "child.h"
#include "log.h"
#include "macro.h"
#include "qemu-caps.h"
#include "qemu-qmp.h"
#include "sd-glue.h"

/*
 * The probe starts the emulator with -S -nodefaults and machine "none" and talks QMP over a
 * socketpair handed to it as fd 3 (-chardev socket,fd=3): no socket path, no connect retry.
 * All commands are written at once after the handshake (QMP answers in order), then "quit".
 * The replies are kept in a table keyed by command ("device-list-properties:<type>" for the
 * per-device ones) and turned into a VkQemuCaps by caps_build(), which is also what
 * vk_qemu_caps_new_from_replies() uses for recorded conversations. The list below and
 * tests/data/qemucaps/record.py must stay in the same order: test-caps replays the
 * recording against this probe.
 */

#define CAPS_PROBE_TIMEOUT_USEC (30U * 1000U * 1000U)
#define CAPS_QMP_FD             3

static const char *const probe_commands[] = {
        "query-version",         "query-target",   "query-kvm",      "query-machines",
        "query-cpu-definitions", "qom-list-types", "query-commands", "query-command-line-options",
        "query-qmp-schema",
};

static const char *const probe_devices[] = {
        "virtio-blk-pci",
        "virtio-net-pci",
        "virtio-scsi-pci",
        "scsi-hd",
        "scsi-cd",
        "ide-hd",
        "ide-cd",
        "usb-storage",
        "e1000",
        "e1000e",
        "rtl8139",
        "qxl-vga",
        "virtio-vga",
        "virtio-gpu-pci",
        "VGA",
        "qemu-xhci",
        "usb-tablet",
        "virtio-rng-pci",
        "virtio-balloon-pci",
        "pcie-root-port",
};

typedef enum CapsRuleKind {
        CAPS_RULE_COMMAND,     /* @a is in query-commands */
        CAPS_RULE_TYPE,        /* @a is in qom-list-types */
        CAPS_RULE_PROPERTY,    /* device @a has property @b (device-list-properties) */
        CAPS_RULE_FEATURE,     /* schema command @a has feature @b */
        CAPS_RULE_ANY_FEATURE, /* some schema entity has feature @b */
} CapsRuleKind;

typedef struct CapsRule {
        const char *name;
        CapsRuleKind kind;
        const char *a;
        const char *b;
} CapsRule;

/* Indexed by VkQemuCapsFlag. */
static const CapsRule caps_flag_rules[_VK_QEMU_CAPS_FLAG_MAX] = {
        [VK_QEMU_CAPS_BLOCKDEV] = { "blockdev", CAPS_RULE_COMMAND, "blockdev-add" },
        [VK_QEMU_CAPS_DEVICE_JSON] = { "device.json", CAPS_RULE_FEATURE, "device_add",
                                       "json-cli-hotplug" },
        /* -compat deprecated-input/output matters once QEMU marks things deprecated */
        [VK_QEMU_CAPS_COMPAT_DEPRECATED] = { "compat-deprecated", CAPS_RULE_ANY_FEATURE, NULL,
                                             "deprecated" },
        [VK_QEMU_CAPS_QUERY_DISPLAY_OPTIONS] = { "query-display-options", CAPS_RULE_COMMAND,
                                                 "query-display-options" },
        [VK_QEMU_CAPS_BLOCKDEV_REOPEN] = { "blockdev-reopen", CAPS_RULE_COMMAND,
                                           "blockdev-reopen" },
        [VK_QEMU_CAPS_SET_ACTION] = { "set-action", CAPS_RULE_COMMAND, "set-action" },
        [VK_QEMU_CAPS_QUERY_CPU_MODEL_EXPANSION] = { "query-cpu-model-expansion", CAPS_RULE_COMMAND,
                                                     "query-cpu-model-expansion" },
        [VK_QEMU_CAPS_VNC] = { "vnc", CAPS_RULE_COMMAND, "query-vnc" },
        [VK_QEMU_CAPS_SPICE] = { "spice", CAPS_RULE_COMMAND, "query-spice" },
        [VK_QEMU_CAPS_DBUS_DISPLAY] = { "dbus-display", CAPS_RULE_TYPE, "dbus-display" },
        [VK_QEMU_CAPS_VIRTIO_SCSI] = { "virtio-scsi-pci", CAPS_RULE_TYPE, "virtio-scsi-pci" },
        [VK_QEMU_CAPS_QEMU_XHCI] = { "qemu-xhci", CAPS_RULE_TYPE, "qemu-xhci" },
        [VK_QEMU_CAPS_NEC_USB_XHCI] = { "nec-usb-xhci", CAPS_RULE_TYPE, "nec-usb-xhci" },
        [VK_QEMU_CAPS_PCIE_ROOT_PORT] = { "pcie-root-port", CAPS_RULE_TYPE, "pcie-root-port" },
        [VK_QEMU_CAPS_PCI_BRIDGE] = { "pci-bridge", CAPS_RULE_TYPE, "pci-bridge" },
        [VK_QEMU_CAPS_ICH9_AHCI] = { "ich9-ahci", CAPS_RULE_TYPE, "ich9-ahci" },
        [VK_QEMU_CAPS_USB_STORAGE] = { "usb-storage", CAPS_RULE_TYPE, "usb-storage" },
        [VK_QEMU_CAPS_USB_REDIR] = { "usb-redir", CAPS_RULE_TYPE, "usb-redir" },
        [VK_QEMU_CAPS_QXL] = { "qxl", CAPS_RULE_TYPE, "qxl" },
        [VK_QEMU_CAPS_VGA] = { "VGA", CAPS_RULE_TYPE, "VGA" },
        [VK_QEMU_CAPS_CIRRUS_VGA] = { "cirrus-vga", CAPS_RULE_TYPE, "cirrus-vga" },
        [VK_QEMU_CAPS_VMWARE_SVGA] = { "vmware-svga", CAPS_RULE_TYPE, "vmware-svga" },
        [VK_QEMU_CAPS_VIRTIO_GPU] = { "virtio-gpu", CAPS_RULE_TYPE, "virtio-gpu-pci" },
        [VK_QEMU_CAPS_BOCHS_DISPLAY] = { "bochs-display", CAPS_RULE_TYPE, "bochs-display" },
        [VK_QEMU_CAPS_RAMFB] = { "ramfb", CAPS_RULE_TYPE, "ramfb" },
        [VK_QEMU_CAPS_VIRTIO_RNG] = { "virtio-rng", CAPS_RULE_TYPE, "virtio-rng-pci" },
        [VK_QEMU_CAPS_RNG_RANDOM] = { "rng-random", CAPS_RULE_TYPE, "rng-random" },
        [VK_QEMU_CAPS_RNG_EGD] = { "rng-egd", CAPS_RULE_TYPE, "rng-egd" },
        [VK_QEMU_CAPS_RNG_BUILTIN] = { "rng-builtin", CAPS_RULE_TYPE, "rng-builtin" },
        [VK_QEMU_CAPS_TPM_TIS] = { "tpm-tis", CAPS_RULE_TYPE, "tpm-tis" },
        [VK_QEMU_CAPS_TPM_CRB] = { "tpm-crb", CAPS_RULE_TYPE, "tpm-crb" },
        [VK_QEMU_CAPS_TPM_PASSTHROUGH] = { "tpm-passthrough", CAPS_RULE_TYPE, "tpm-passthrough" },
        [VK_QEMU_CAPS_TPM_EMULATOR] = { "tpm-emulator", CAPS_RULE_TYPE, "tpm-emulator" },
        [VK_QEMU_CAPS_VHOST_VSOCK] = { "vhost-vsock", CAPS_RULE_TYPE, "vhost-vsock-pci" },
        [VK_QEMU_CAPS_PVPANIC] = { "pvpanic", CAPS_RULE_TYPE, "pvpanic" },
        [VK_QEMU_CAPS_VMCOREINFO] = { "vmcoreinfo", CAPS_RULE_TYPE, "vmcoreinfo" },
        [VK_QEMU_CAPS_VMGENID] = { "vmgenid", CAPS_RULE_TYPE, "vmgenid" },
        [VK_QEMU_CAPS_SEV_GUEST] = { "sev-guest", CAPS_RULE_TYPE, "sev-guest" },
        [VK_QEMU_CAPS_VFIO_PCI] = { "vfio-pci", CAPS_RULE_TYPE, "vfio-pci" },
        [VK_QEMU_CAPS_HDA_DUPLEX] = { "hda-duplex", CAPS_RULE_TYPE, "hda-duplex" },
        [VK_QEMU_CAPS_VIRTIO_BLK_QUEUE_SIZE] = { "virtio-blk.queue-size", CAPS_RULE_PROPERTY,
                                                 "virtio-blk-pci", "queue-size" },
        [VK_QEMU_CAPS_VIRTIO_NET_HOST_MTU] = { "virtio-net.host_mtu", CAPS_RULE_PROPERTY,
                                               "virtio-net-pci", "host_mtu" },
        [VK_QEMU_CAPS_VIRTIO_NET_TX_QUEUE_SIZE] = { "virtio-net.tx_queue_size", CAPS_RULE_PROPERTY,
                                                    "virtio-net-pci", "tx_queue_size" },
        [VK_QEMU_CAPS_VIRTIO_NET_RX_QUEUE_SIZE] = { "virtio-net.rx_queue_size", CAPS_RULE_PROPERTY,
                                                    "virtio-net-pci", "rx_queue_size" },
        [VK_QEMU_CAPS_QXL_VGAMEM] = { "qxl.vgamem_mb", CAPS_RULE_PROPERTY, "qxl-vga", "vgamem_mb" },
};

struct VkQemuCaps {
        unsigned n_ref;
        /* identity of the binary, for the cache */
        char *binary;
        uint64_t size;
        int64_t mtime_ns;
        int64_t ctime_ns;
        char *vk_version;
        bool dev_kvm; /* /dev/kvm was usable by us when probed */
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
        GHashTable *types;   /* qom type names (set) */
        GHashTable *devices; /* probed device -> GHashTable set of property names */
};

const char *vk_qemu_caps_flag_to_string(VkQemuCapsFlag f) {
        if (f < 0 || f >= _VK_QEMU_CAPS_FLAG_MAX)
                return NULL;
        return caps_flag_rules[f].name;
}

VkQemuCapsFlag vk_qemu_caps_flag_from_string(const char *s) {
        if (!s)
                return _VK_QEMU_CAPS_FLAG_INVALID;
        for (int f = 0; f < _VK_QEMU_CAPS_FLAG_MAX; f++)
                if (strcmp(caps_flag_rules[f].name, s) == 0)
                        return f;
        return _VK_QEMU_CAPS_FLAG_INVALID;
}

static GHashTable *caps_string_set_new(void) {
        return g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
}

static VkQemuCaps *caps_new(void) {
        VkQemuCaps *caps = g_new0(VkQemuCaps, 1);

        caps->n_ref = 1;
        caps->types = caps_string_set_new();
        caps->devices = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                              (GDestroyNotify) g_hash_table_unref);
        caps->vk_version = g_strdup(VK_VERSION);
        return caps;
}

/* Take a reference; caps are immutable once built and shared freely. */
VkQemuCaps *vk_qemu_caps_ref(VkQemuCaps *caps) {
        assert(caps);
        caps->n_ref++;
        return caps;
}

/* Drop a reference (NULL is fine); returns NULL. */
VkQemuCaps *vk_qemu_caps_unref(VkQemuCaps *caps) {
        if (!caps)
                return NULL;
        assert(caps->n_ref > 0);
        if (--caps->n_ref > 0)
                return NULL;
        g_free(caps->binary);
        g_free(caps->vk_version);
        g_free(caps->package);
        g_free(caps->arch);
        for (size_t i = 0; i < caps->n_machines; i++) {
                g_free(caps->machines[i].name);
                g_free(caps->machines[i].alias);
        }
        g_free(caps->machines);
        for (size_t i = 0; i < caps->n_cpu_models; i++)
                g_free(caps->cpu_models[i].name);
        g_free(caps->cpu_models);
        g_hash_table_unref(caps->types);
        g_hash_table_unref(caps->devices);
        g_free(caps);
        return NULL;
}

/* ---- building caps from replies ---- */

static JsonNode *json_get(JsonObject *o, const char *name) {
        return o ? json_object_get_member(o, name) : NULL;
}

static const char *json_get_string(JsonObject *o, const char *name) {
        JsonNode *n = json_get(o, name);
        if (!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
                return NULL;
        return json_node_get_string(n);
}

static bool json_get_bool(JsonObject *o, const char *name) {
        JsonNode *n = json_get(o, name);
        return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_BOOLEAN &&
               json_node_get_boolean(n);
}

static int64_t json_get_int(JsonObject *o, const char *name, int64_t def) {
        JsonNode *n = json_get(o, name);
        if (!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64)
                return def;
        return json_node_get_int(n);
}

static JsonObject *json_get_object(JsonObject *o, const char *name) {
        JsonNode *n = json_get(o, name);
        return n && JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
}

static JsonArray *json_get_array(JsonObject *o, const char *name) {
        JsonNode *n = json_get(o, name);
        return n && JSON_NODE_HOLDS_ARRAY(n) ? json_node_get_array(n) : NULL;
}

/* The objects of array node @n, or NULL. */
static JsonArray *reply_array(GHashTable *replies, const char *key) {
        JsonNode *n = g_hash_table_lookup(replies, key);
        return n && JSON_NODE_HOLDS_ARRAY(n) ? json_node_get_array(n) : NULL;
}

static JsonObject *reply_object(GHashTable *replies, const char *key) {
        JsonNode *n = g_hash_table_lookup(replies, key);
        return n && JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
}

static int machine_compare(const void *a, const void *b) {
        return strverscmp(((const VkQemuMachine *) a)->name, ((const VkQemuMachine *) b)->name);
}

static int cpu_model_compare(const void *a, const void *b) {
        return strcmp(((const VkQemuCpuModel *) a)->name, ((const VkQemuCpuModel *) b)->name);
}

/* QEMU target names to the arch names libvirt uses. */
static const char *caps_arch_from_target(const char *target) {
        static const char *const map[][2] = {
                { "i386", "i686" },
                { "arm", "armv7l" },
                { "ppc", "ppc" },
                { "sh4", "sh4" },
        };
        for (size_t i = 0; i < VK_ELEMENTSOF(map); i++)
                if (strcmp(map[i][0], target) == 0)
                        return map[i][1];
        return target;
}

static bool schema_has_feature(JsonArray *schema, const char *entity, const char *feature) {
        for (guint i = 0; schema && i < json_array_get_length(schema); i++) {
                JsonNode *n = json_array_get_element(schema, i);
                JsonObject *o = JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
                JsonArray *features;
                const char *name = json_get_string(o, "name");

                if (!name || (entity && strcmp(name, entity) != 0))
                        continue;
                features = json_get_array(o, "features");
                for (guint j = 0; features && j < json_array_get_length(features); j++) {
                        const char *f = json_array_get_string_element(features, j);
                        if (f && strcmp(f, feature) == 0)
                                return true;
                }
        }
        return false;
}

static bool caps_rule_eval(VkQemuCaps *caps, GHashTable *commands, JsonArray *schema,
                           const CapsRule *rule) {
        GHashTable *props;

        switch (rule->kind) {
        case CAPS_RULE_COMMAND:
                return g_hash_table_contains(commands, rule->a);
        case CAPS_RULE_TYPE:
                return g_hash_table_contains(caps->types, rule->a);
        case CAPS_RULE_PROPERTY:
                props = g_hash_table_lookup(caps->devices, rule->a);
                return props && g_hash_table_contains(props, rule->b);
        case CAPS_RULE_FEATURE:
                return schema_has_feature(schema, rule->a, rule->b);
        case CAPS_RULE_ANY_FEATURE:
                return schema_has_feature(schema, NULL, rule->b);
        }
        return false;
}

/*
 * Build caps from @replies: key (command, or "device-list-properties:<type>") -> "return"
 * node. Missing keys count as "not supported", except the three QEMU always answers.
 */
static int caps_build(GHashTable *replies, const char *binary, const struct stat *st, bool dev_kvm,
                      VkQemuCaps **ret, VkError *reterr) {
        g_autoptr(VkQemuCaps) caps = caps_new();
        g_autoptr(GHashTable) commands = g_hash_table_new(g_str_hash, g_str_equal);
        JsonObject *version = reply_object(replies, "query-version");
        JsonObject *target = reply_object(replies, "query-target");
        JsonObject *kvm = reply_object(replies, "query-kvm");
        JsonObject *qemu;
        JsonArray *a;
        const char *arch;

        qemu = json_get_object(version, "qemu");
        arch = json_get_string(target, "arch");
        if (!qemu || !arch)
                return vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, -EPROTO,
                                    "QEMU '%s' did not report its version and target",
                                    vk_strempty(binary));

        caps->binary = g_strdup(binary);
        if (st) {
                caps->size = (uint64_t) st->st_size;
                caps->mtime_ns = (int64_t) st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
                caps->ctime_ns = (int64_t) st->st_ctim.tv_sec * 1000000000 + st->st_ctim.tv_nsec;
        }
        caps->dev_kvm = dev_kvm;
        caps->version =
                (unsigned) (json_get_int(qemu, "major", 0) * 1000000 +
                            json_get_int(qemu, "minor", 0) * 1000 + json_get_int(qemu, "micro", 0));
        caps->package = g_strdup(vk_strempty(json_get_string(version, "package")));
        caps->arch = g_strdup(caps_arch_from_target(arch));
        caps->kvm = dev_kvm && json_get_bool(kvm, "enabled") && json_get_bool(kvm, "present");

        a = reply_array(replies, "query-machines");
        caps->machines = g_new0(VkQemuMachine, a ? json_array_get_length(a) : 0);
        for (guint i = 0; a && i < json_array_get_length(a); i++) {
                JsonObject *m = json_array_get_object_element(a, i);
                const char *name = json_get_string(m, "name");
                VkQemuMachine *vm;

                /* "none" is our probing machine, not one to run guests on */
                if (!name || strcmp(name, "none") == 0)
                        continue;
                vm = &caps->machines[caps->n_machines++];
                vm->name = g_strdup(name);
                vm->alias = g_strdup(json_get_string(m, "alias"));
                vm->is_default = json_get_bool(m, "is-default");
                vm->deprecated = json_get_bool(m, "deprecated");
                vm->max_cpus = (unsigned) json_get_int(m, "cpu-max", 1);
        }
        qsort(caps->machines, caps->n_machines, sizeof(VkQemuMachine), machine_compare);

        a = reply_array(replies, "query-cpu-definitions");
        caps->cpu_models = g_new0(VkQemuCpuModel, a ? json_array_get_length(a) : 0);
        for (guint i = 0; a && i < json_array_get_length(a); i++) {
                JsonObject *m = json_array_get_object_element(a, i);
                const char *name = json_get_string(m, "name");
                JsonArray *unavail = json_get_array(m, "unavailable-features");
                VkQemuCpuModel *cm;

                if (!name)
                        continue;
                cm = &caps->cpu_models[caps->n_cpu_models++];
                cm->name = g_strdup(name);
                cm->usable = unavail && json_array_get_length(unavail) == 0;
                cm->deprecated = json_get_bool(m, "deprecated");
        }
        qsort(caps->cpu_models, caps->n_cpu_models, sizeof(VkQemuCpuModel), cpu_model_compare);

        a = reply_array(replies, "qom-list-types");
        for (guint i = 0; a && i < json_array_get_length(a); i++) {
                const char *name = json_get_string(json_array_get_object_element(a, i), "name");
                if (name)
                        g_hash_table_add(caps->types, g_strdup(name));
        }

        a = reply_array(replies, "query-commands");
        for (guint i = 0; a && i < json_array_get_length(a); i++) {
                const char *name = json_get_string(json_array_get_object_element(a, i), "name");
                if (name)
                        g_hash_table_add(commands, (gpointer) name);
        }

        for (size_t d = 0; d < VK_ELEMENTSOF(probe_devices); d++) {
                g_autofree char *key =
                        g_strconcat("device-list-properties:", probe_devices[d], NULL);
                GHashTable *props;

                a = reply_array(replies, key);
                if (!a)
                        continue;
                props = caps_string_set_new();
                for (guint i = 0; i < json_array_get_length(a); i++) {
                        JsonObject *p = json_array_get_object_element(a, i);
                        const char *name = json_get_string(p, "name");
                        if (name)
                                g_hash_table_add(props, g_strdup(name));
                }
                g_hash_table_insert(caps->devices, g_strdup(probe_devices[d]), props);
        }

        a = reply_array(replies, "query-qmp-schema");
        for (int f = 0; f < _VK_QEMU_CAPS_FLAG_MAX; f++)
                caps->flags[f] = caps_rule_eval(caps, commands, a, &caps_flag_rules[f]);

        *ret = g_steal_pointer(&caps);
        return 0;
}

static char *replies_key(const char *command, JsonObject *args) {
        const char *type = json_get_string(args, "typename");

        if (strcmp(command, "device-list-properties") == 0 && type)
                return g_strconcat(command, ":", type, NULL);
        return g_strdup(command);
}

static GHashTable *replies_new(void) {
        return g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                     (GDestroyNotify) json_node_unref);
}

/*
 * Build caps from a recorded probe conversation (the format record.py writes: "-> " lines
 * we sent, "<- " lines QEMU sent, "#" comments). @binary and @st (may be NULL) give the
 * identity stored for the cache. Synchronous, no I/O. *@ret gets a new reference.
 */
int vk_qemu_caps_new_from_replies(const char *text, const char *binary, const struct stat *st,
                                  VkQemuCaps **ret, VkError *reterr) {
        g_autoptr(GHashTable) replies = replies_new();
        g_autoptr(GHashTable) pending =
                g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
        g_auto(GStrv) lines = NULL;

        assert(text);
        assert(ret);

        lines = g_strsplit(text, "\n", -1);
        for (size_t i = 0; lines[i]; i++) {
                g_autoptr(JsonParser) p = json_parser_new_immutable();
                const char *l = lines[i];
                JsonObject *o;
                const char *id;

                if (l[0] == '\0' || l[0] == '#')
                        continue;
                if (!g_str_has_prefix(l, "-> ") && !g_str_has_prefix(l, "<- "))
                        return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                            "Line %zu: expected '-> ' or '<- '", i + 1);
                if (!json_parser_load_from_data(p, l + 3, -1, NULL) ||
                    !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p)))
                        return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                            "Line %zu: not a JSON object", i + 1);
                o = json_node_get_object(json_parser_get_root(p));
                id = json_get_string(o, "id");

                if (l[0] == '-') {
                        const char *cmd = json_get_string(o, "execute");
                        if (!cmd || !id)
                                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                                    "Line %zu: command without id", i + 1);
                        g_hash_table_insert(pending, g_strdup(id),
                                            replies_key(cmd, json_get_object(o, "arguments")));
                        continue;
                }
                if (!id)
                        continue; /* greeting, events */
                const char *key = g_hash_table_lookup(pending, id);
                if (key && json_get(o, "return"))
                        g_hash_table_insert(replies, g_strdup(key),
                                            json_node_copy(json_get(o, "return")));
        }

        /* the recording machine answered query-kvm for its own /dev/kvm */
        return caps_build(replies, binary, st, true, ret, reterr);
}

/* ---- getters ---- */

bool vk_qemu_caps_has(const VkQemuCaps *caps, VkQemuCapsFlag flag) {
        assert(caps);
        return flag >= 0 && flag < _VK_QEMU_CAPS_FLAG_MAX && caps->flags[flag];
}

const char *vk_qemu_caps_get_binary(const VkQemuCaps *caps) {
        assert(caps);
        return caps->binary;
}

/* major * 1000000 + minor * 1000 + micro, e.g. 7002022 for 7.2.22. */
unsigned vk_qemu_caps_get_version(const VkQemuCaps *caps) {
        assert(caps);
        return caps->version;
}

const char *vk_qemu_caps_get_package(const VkQemuCaps *caps) {
        assert(caps);
        return caps->package;
}

const char *vk_qemu_caps_get_arch(const VkQemuCaps *caps) {
        assert(caps);
        return caps->arch;
}

/* KVM works: /dev/kvm was usable when probed and QEMU reported KVM enabled. */
bool vk_qemu_caps_kvm_usable(const VkQemuCaps *caps) {
        assert(caps);
        return caps->kvm;
}

/* All machine types, sorted by name, owned by @caps. */
const VkQemuMachine *vk_qemu_caps_get_machines(const VkQemuCaps *caps, size_t *ret_n) {
        assert(caps);
        assert(ret_n);
        *ret_n = caps->n_machines;
        return caps->machines;
}

/* The machine QEMU picks without -machine, or NULL (e.g. targets without a default). */
const VkQemuMachine *vk_qemu_caps_get_default_machine(const VkQemuCaps *caps) {
        assert(caps);
        for (size_t i = 0; i < caps->n_machines; i++)
                if (caps->machines[i].is_default)
                        return &caps->machines[i];
        return NULL;
}

/* Look up a machine by name or alias ("pc" finds pc-i440fx-7.2); NULL if unknown. */
const VkQemuMachine *vk_qemu_caps_find_machine(const VkQemuCaps *caps, const char *name) {
        assert(caps);
        if (!name)
                return NULL;
        for (size_t i = 0; i < caps->n_machines; i++)
                if (strcmp(caps->machines[i].name, name) == 0)
                        return &caps->machines[i];
        for (size_t i = 0; i < caps->n_machines; i++)
                if (caps->machines[i].alias && strcmp(caps->machines[i].alias, name) == 0)
                        return &caps->machines[i];
        return NULL;
}

/* The canonical name of machine @name (an alias resolves); NULL if unknown. */
const char *vk_qemu_caps_canonical_machine(const VkQemuCaps *caps, const char *name) {
        const VkQemuMachine *m = vk_qemu_caps_find_machine(caps, name);
        return m ? m->name : NULL;
}

/* All CPU models, sorted by name, owned by @caps. */
const VkQemuCpuModel *vk_qemu_caps_get_cpu_models(const VkQemuCaps *caps, size_t *ret_n) {
        assert(caps);
        assert(ret_n);
        *ret_n = caps->n_cpu_models;
        return caps->cpu_models;
}

/* Whether QOM type @type (a device, backend or object) exists in this binary. */
bool vk_qemu_caps_has_device(const VkQemuCaps *caps, const char *type) {
        assert(caps);
        return type && g_hash_table_contains(caps->types, type);
}

/*
 * Whether @device has @property. Only the devices in probe_devices[] were asked; for any
 * other device this returns false.
 */
bool vk_qemu_caps_device_has_property(const VkQemuCaps *caps, const char *device,
                                      const char *property) {
        GHashTable *props;

        assert(caps);
        props = device ? g_hash_table_lookup(caps->devices, device) : NULL;
        return props && property && g_hash_table_contains(props, property);
}

/* ---- cache: a small JSON file per binary ---- */

static void builder_add_string(JsonBuilder *b, const char *name, const char *value) {
        json_builder_set_member_name(b, name);
        json_builder_add_string_value(b, value);
}

static void builder_add_int(JsonBuilder *b, const char *name, int64_t value) {
        json_builder_set_member_name(b, name);
        json_builder_add_int_value(b, value);
}

static void builder_add_bool(JsonBuilder *b, const char *name, bool value) {
        json_builder_set_member_name(b, name);
        json_builder_add_boolean_value(b, value);
}

static int string_compare(const void *a, const void *b) {
        return strcmp(*(const char *const *) a, *(const char *const *) b);
}

static void builder_add_set(JsonBuilder *b, const char *name, GHashTable *set) {
        g_autofree const char **keys = (const char **) g_hash_table_get_keys_as_array(set, NULL);
        guint n = g_hash_table_size(set);

        qsort(keys, n, sizeof(char *), string_compare);
        json_builder_set_member_name(b, name);
        json_builder_begin_array(b);
        for (guint i = 0; i < n; i++)
                json_builder_add_string_value(b, keys[i]);
        json_builder_end_array(b);
}

/*
 * Serialize @caps (everything derived, not the raw replies) as JSON; deterministic, so two
 * equal caps give the same text. *@ret is a new string.
 */
int vk_qemu_caps_to_json(const VkQemuCaps *caps, char **ret, VkError *reterr) {
        g_autoptr(JsonBuilder) b = json_builder_new_immutable();
        g_autoptr(JsonNode) root = NULL;
        g_autofree const char **devs = NULL;
        guint n_devs;

        assert(caps);
        assert(ret);

        json_builder_begin_object(b);
        builder_add_string(b, "virtkitVersion", caps->vk_version);
        builder_add_string(b, "binary", vk_strempty(caps->binary));
        builder_add_int(b, "size", (int64_t) caps->size);
        builder_add_int(b, "mtimeNsec", caps->mtime_ns);
        builder_add_int(b, "ctimeNsec", caps->ctime_ns);
        builder_add_bool(b, "devKvm", caps->dev_kvm);
        builder_add_int(b, "version", caps->version);
        builder_add_string(b, "package", caps->package);
        builder_add_string(b, "arch", caps->arch);
        builder_add_bool(b, "kvm", caps->kvm);

        json_builder_set_member_name(b, "flags");
        json_builder_begin_array(b);
        for (int f = 0; f < _VK_QEMU_CAPS_FLAG_MAX; f++)
                if (caps->flags[f])
                        json_builder_add_string_value(b, caps_flag_rules[f].name);
        json_builder_end_array(b);

        json_builder_set_member_name(b, "machines");
        json_builder_begin_array(b);
        for (size_t i = 0; i < caps->n_machines; i++) {
                const VkQemuMachine *m = &caps->machines[i];
                json_builder_begin_object(b);
                builder_add_string(b, "name", m->name);
                if (m->alias)
                        builder_add_string(b, "alias", m->alias);
                builder_add_bool(b, "default", m->is_default);
                builder_add_bool(b, "deprecated", m->deprecated);
                builder_add_int(b, "maxCpus", m->max_cpus);
                json_builder_end_object(b);
        }
        json_builder_end_array(b);

        json_builder_set_member_name(b, "cpuModels");
        json_builder_begin_array(b);
        for (size_t i = 0; i < caps->n_cpu_models; i++) {
                const VkQemuCpuModel *m = &caps->cpu_models[i];
                json_builder_begin_object(b);
                builder_add_string(b, "name", m->name);
                builder_add_bool(b, "usable", m->usable);
                builder_add_bool(b, "deprecated", m->deprecated);
                json_builder_end_object(b);
        }
        json_builder_end_array(b);

        builder_add_set(b, "types", caps->types);

        json_builder_set_member_name(b, "devices");
        json_builder_begin_object(b);
        devs = (const char **) g_hash_table_get_keys_as_array(caps->devices, &n_devs);
        qsort(devs, n_devs, sizeof(char *), string_compare);
        for (guint i = 0; i < n_devs; i++)
                builder_add_set(b, devs[i], g_hash_table_lookup(caps->devices, devs[i]));
        json_builder_end_object(b);

        json_builder_end_object(b);
        root = json_builder_get_root(b);
        *ret = json_to_string(root, FALSE);
        return 0;
}

static GHashTable *json_array_to_set(JsonArray *a) {
        GHashTable *set = caps_string_set_new();

        for (guint i = 0; a && i < json_array_get_length(a); i++) {
                JsonNode *n = json_array_get_element(a, i);
                if (JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING)
                        g_hash_table_add(set, g_strdup(json_node_get_string(n)));
        }
        return set;
}

/* Parse what vk_qemu_caps_to_json() wrote. *@ret gets a new reference. */
int vk_qemu_caps_from_json(const char *text, VkQemuCaps **ret, VkError *reterr) {
        g_autoptr(JsonParser) p = json_parser_new_immutable();
        g_autoptr(VkQemuCaps) caps = caps_new();
        g_autoptr(GError) gerr = NULL;
        JsonObject *o, *devs;
        JsonArray *a;
        JsonNode *root;

        assert(text);
        assert(ret);

        if (!json_parser_load_from_data(p, text, -1, &gerr))
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "Invalid capabilities cache: %s", gerr->message);
        root = json_parser_get_root(p);
        if (!root || !JSON_NODE_HOLDS_OBJECT(root))
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "Invalid capabilities cache: not an object");
        o = json_node_get_object(root);
        if (!json_get_string(o, "virtkitVersion") || !json_get_string(o, "arch"))
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "Invalid capabilities cache: fields missing");

        g_free(caps->vk_version);
        caps->vk_version = g_strdup(json_get_string(o, "virtkitVersion"));
        caps->binary = g_strdup(json_get_string(o, "binary"));
        caps->size = (uint64_t) json_get_int(o, "size", 0);
        caps->mtime_ns = json_get_int(o, "mtimeNsec", 0);
        caps->ctime_ns = json_get_int(o, "ctimeNsec", 0);
        caps->dev_kvm = json_get_bool(o, "devKvm");
        caps->version = (unsigned) json_get_int(o, "version", 0);
        caps->package = g_strdup(vk_strempty(json_get_string(o, "package")));
        caps->arch = g_strdup(json_get_string(o, "arch"));
        caps->kvm = json_get_bool(o, "kvm");

        a = json_get_array(o, "flags");
        for (guint i = 0; a && i < json_array_get_length(a); i++) {
                VkQemuCapsFlag f =
                        vk_qemu_caps_flag_from_string(json_array_get_string_element(a, i));
                if (f >= 0)
                        caps->flags[f] = true;
        }

        a = json_get_array(o, "machines");
        caps->machines = g_new0(VkQemuMachine, a ? json_array_get_length(a) : 0);
        for (guint i = 0; a && i < json_array_get_length(a); i++) {
                JsonObject *m = json_array_get_object_element(a, i);
                VkQemuMachine *vm;
                if (!json_get_string(m, "name"))
                        continue;
                vm = &caps->machines[caps->n_machines++];
                vm->name = g_strdup(json_get_string(m, "name"));
                vm->alias = g_strdup(json_get_string(m, "alias"));
                vm->is_default = json_get_bool(m, "default");
                vm->deprecated = json_get_bool(m, "deprecated");
                vm->max_cpus = (unsigned) json_get_int(m, "maxCpus", 1);
        }

        a = json_get_array(o, "cpuModels");
        caps->cpu_models = g_new0(VkQemuCpuModel, a ? json_array_get_length(a) : 0);
        for (guint i = 0; a && i < json_array_get_length(a); i++) {
                JsonObject *m = json_array_get_object_element(a, i);
                VkQemuCpuModel *cm;
                if (!json_get_string(m, "name"))
                        continue;
                cm = &caps->cpu_models[caps->n_cpu_models++];
                cm->name = g_strdup(json_get_string(m, "name"));
                cm->usable = json_get_bool(m, "usable");
                cm->deprecated = json_get_bool(m, "deprecated");
        }

        g_hash_table_unref(caps->types);
        caps->types = json_array_to_set(json_get_array(o, "types"));

        devs = json_get_object(o, "devices");
        if (devs) {
                g_autoptr(GList) names = json_object_get_members(devs);
                for (GList *l = names; l; l = l->next)
                        g_hash_table_insert(caps->devices, g_strdup(l->data),
                                            json_array_to_set(json_get_array(devs, l->data)));
        }

        *ret = g_steal_pointer(&caps);
        return 0;
}

/* Whether @a and @b hold the same capabilities and binary identity. */
bool vk_qemu_caps_equal(const VkQemuCaps *a, const VkQemuCaps *b) {
        g_autofree char *ja = NULL;
        g_autofree char *jb = NULL;

        if (!a || !b)
                return a == b;
        (void) vk_qemu_caps_to_json(a, &ja, NULL);
        (void) vk_qemu_caps_to_json(b, &jb, NULL);
        return strcmp(ja, jb) == 0;
}

static char *caps_cache_path(const char *cache_dir, const char *binary) {
        g_autofree char *sum = g_compute_checksum_for_string(G_CHECKSUM_SHA256, binary, -1);
        g_autofree char *name = g_strdup_printf("qemu-%.32s.json", sum);
        return g_build_filename(cache_dir, name, NULL);
}

/*
 * Store @caps in @cache_dir (created if missing) as qemu-<hash of binary path>.json,
 * atomically. Blocking file I/O of a few kB: fine on the loop.
 */
int vk_qemu_caps_save_cache(const VkQemuCaps *caps, const char *cache_dir, VkError *reterr) {
        g_autofree char *json = NULL;
        g_autofree char *path = NULL;
        int r;

        assert(caps);
        assert(cache_dir);

        if (!caps->binary)
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "Capabilities without a binary cannot be cached");
        if (g_mkdir_with_parents(cache_dir, 0755) < 0)
                return vk_error_set_errno(reterr, errno, "Failed to create cache directory '%s'",
                                          cache_dir);
        r = vk_qemu_caps_to_json(caps, &json, reterr);
        if (r < 0)
                return r;
        path = caps_cache_path(cache_dir, caps->binary);
        return vk_atomic_file_write(path, json, strlen(json), 0644, reterr);
}

static bool caps_dev_kvm_usable(void) {
        return access("/dev/kvm", R_OK | W_OK) == 0;
}

/*
 * Load the cached caps of @binary from @cache_dir. Returns 1 and a new reference in *@ret
 * when the cache matches the binary (path, size, mtime, ctime) and this virtkit version
 * (and, with VK_QEMU_CAPS_CACHE_CHECK_KVM, /dev/kvm access); 0 when there is no usable
 * cache (missing, stale or unreadable: the caller probes again); -errno only when @binary
 * itself cannot be stat'ed.
 */
int vk_qemu_caps_load_cache(const char *cache_dir, const char *binary, VkQemuCapsCacheFlags flags,
                            VkQemuCaps **ret, VkError *reterr) {
        g_autoptr(VkQemuCaps) caps = NULL;
        g_autofree char *path = NULL;
        g_autofree char *text = NULL;
        struct stat st;

        assert(cache_dir);
        assert(binary);
        assert(ret);

        if (stat(binary, &st) < 0)
                return vk_error_set_errno(reterr, errno, "Cannot access emulator '%s'", binary);

        path = caps_cache_path(cache_dir, binary);
        if (!g_file_get_contents(path, &text, NULL, NULL))
                return 0;
        if (vk_qemu_caps_from_json(text, &caps, NULL) < 0)
                return 0;

        if (g_strcmp0(caps->binary, binary) != 0 || strcmp(caps->vk_version, VK_VERSION) != 0 ||
            caps->size != (uint64_t) st.st_size ||
            caps->mtime_ns != (int64_t) st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec ||
            caps->ctime_ns != (int64_t) st.st_ctim.tv_sec * 1000000000 + st.st_ctim.tv_nsec)
                return 0;
        if ((flags & VK_QEMU_CAPS_CACHE_CHECK_KVM) && caps->dev_kvm != caps_dev_kvm_usable())
                return 0;

        *ret = g_steal_pointer(&caps);
        return 1;
}

/* ---- the asynchronous probe ---- */

struct VkQemuCapsProbe {
        sd_event *event;
        char *binary;
        struct stat st;
        bool dev_kvm;
        VkChild *child;
        VkQmpClient *qmp;
        GHashTable *replies;
        GPtrArray *requests; /* ProbeRequest, one per command, freed with the probe */
        unsigned n_pending;
        bool replies_done; /* all answers in, "quit" sent */
        bool child_exited; /* or there is no child */
        bool completing;
        sd_event_source *defer;
        VkError error;
        VkQemuCapsProbeFunc callback;
        void *userdata;
};

typedef struct ProbeRequest {
        VkQemuCapsProbe *probe;
        char *key;
} ProbeRequest;

static void probe_request_free(ProbeRequest *req) {
        g_free(req->key);
        g_free(req);
}

/* Finish once the replies are in and the child is gone, or at the first error. */
static int probe_on_defer(sd_event_source *s, void *userdata) {
        VkQemuCapsProbe *probe = userdata;
        g_autoptr(VkQemuCaps) caps = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        VkQemuCapsProbeFunc cb = probe->callback;

        probe->defer = sd_event_source_disable_unref(probe->defer);
        if (!vk_error_is_set(&probe->error))
                (void) caps_build(probe->replies, probe->binary, &probe->st, probe->dev_kvm, &caps,
                                  &probe->error);
        vk_error_move(&err, &probe->error);

        /* The callback may free the probe: nothing of it is touched afterwards. */
        probe->callback = NULL;
        if (cb)
                cb(probe, caps, vk_error_is_set(&err) ? &err : NULL, probe->userdata);
        return 0;
}

static void probe_maybe_complete(VkQemuCapsProbe *probe) {
        bool failed = vk_error_is_set(&probe->error);

        if (probe->completing)
                return;
        /* on error, still wait for the child to learn its stderr unless it hangs */
        if (!failed && !(probe->replies_done && probe->child_exited))
                return;
        if (failed && !probe->child_exited)
                return;
        probe->completing = true;
        if (sd_event_add_defer(probe->event, &probe->defer, probe_on_defer, probe) < 0)
                (void) probe_on_defer(NULL, probe);
}

static void probe_fail(VkQemuCapsProbe *probe, const VkError *error) {
        if (!vk_error_is_set(&probe->error))
                (void) vk_error_set(&probe->error, error->name, error->error,
                                    "Probing '%s' failed: %s", probe->binary, error->message);
        /* without a child there is nothing to wait for; with one, make it go away */
        if (probe->child)
                (void) vk_child_kill(probe->child, SIGKILL);
        probe_maybe_complete(probe);
}

static void probe_on_reply(VkQmpClient *qmp, JsonNode *ret, const VkError *error, void *userdata) {
        ProbeRequest *req = userdata;
        VkQemuCapsProbe *probe = req->probe;

        /* a QMP error (e.g. DeviceNotFound) only means "not supported" */
        if (ret)
                g_hash_table_insert(probe->replies, g_strdup(req->key), json_node_copy(ret));
        else if (error && strcmp(error->name, VK_ERROR_QMP) != 0)
                return probe_fail(probe, error);

        if (--probe->n_pending == 0) {
                probe->replies_done = true;
                /* we are done with QEMU: ask it to leave, do not wait for the answer */
                (void) vk_qmp_execute(probe->qmp, "quit", NULL, NULL, NULL, NULL, NULL);
                probe_maybe_complete(probe);
        }
}

static int probe_send(VkQemuCapsProbe *probe, const char *command, JsonObject *args) {
        ProbeRequest *req = g_new0(ProbeRequest, 1);
        int r;

        req->probe = probe;
        req->key = replies_key(command, args);
        g_ptr_array_add(probe->requests, req);
        r = vk_qmp_execute(probe->qmp, command, args, probe_on_reply, req, NULL, NULL);
        if (r < 0)
                return r;
        probe->n_pending++;
        return 0;
}

static void probe_on_ready(VkQmpClient *qmp, void *userdata) {
        VkQemuCapsProbe *probe = userdata;
        g_auto(VkError) err = VK_ERROR_INIT;

        for (size_t i = 0; i < VK_ELEMENTSOF(probe_commands); i++)
                if (probe_send(probe, probe_commands[i], NULL) < 0)
                        goto fail;
        for (size_t i = 0; i < VK_ELEMENTSOF(probe_devices); i++) {
                g_autoptr(JsonObject) args = json_object_new();
                json_object_set_string_member(args, "typename", probe_devices[i]);
                if (probe_send(probe, "device-list-properties", args) < 0)
                        goto fail;
        }
        return;
fail:
        (void) vk_error_set(&err, VK_ERROR_INTERNAL, -ENOBUFS, "Cannot queue QMP commands");
        probe_fail(probe, &err);
}

static void probe_on_disconnect(VkQmpClient *qmp, const VkError *error, void *userdata) {
        VkQemuCapsProbe *probe = userdata;

        /* after "quit" QEMU hangs up: that is the expected end */
        if (probe->replies_done)
                return;
        /* QEMU died (or never started): its exit status and stderr say more than EOF */
        if (probe->child && !probe->child_exited)
                return;
        probe_fail(probe, error);
}

static void probe_on_child_exit(VkChild *child, const VkChildExit *ex, void *userdata) {
        VkQemuCapsProbe *probe = userdata;

        probe->child_exited = true;
        if (!probe->replies_done && !vk_error_is_set(&probe->error)) {
                g_autofree char *msg = g_strstrip(
                        g_strdup(vk_strempty(vk_child_get_output(child, VK_CHILD_STDERR, NULL))));
                (void) vk_error_set(
                        &probe->error, VK_ERROR_OPERATION_FAILED, -EIO,
                        "Probing '%s' failed: QEMU %s %d%s%s%s", probe->binary,
                        ex->code == CLD_EXITED ? "exited with status" : "was killed by signal",
                        ex->status, ex->timed_out ? " (timeout)" : "", msg[0] ? ": " : "", msg);
        } else if (!probe->replies_done && vk_error_is_set(&probe->error)) {
                const char *msg = vk_child_get_output(child, VK_CHILD_STDERR, NULL);
                if (!vk_isempty(msg))
                        vk_error_add_param(&probe->error, "stderr", msg);
        }
        probe_maybe_complete(probe);
}

static const VkQmpCallbacks probe_qmp_callbacks = {
        .ready = probe_on_ready,
        .disconnect = probe_on_disconnect,
};

static VkQemuCapsProbe *probe_new(sd_event *e, const char *binary, VkQemuCapsProbeFunc callback,
                                  void *userdata) {
        VkQemuCapsProbe *probe = g_new0(VkQemuCapsProbe, 1);

        probe->event = sd_event_ref(e);
        probe->binary = g_strdup(binary);
        probe->replies = replies_new();
        probe->requests = g_ptr_array_new_with_free_func((GDestroyNotify) probe_request_free);
        probe->callback = callback;
        probe->userdata = userdata;
        return probe;
}

/*
 * Run the probe conversation on @qmp_fd, a QMP socket of a QEMU that somebody else started
 * (ownership of the fd moves to the probe, also on failure). @binary and @st (may be NULL)
 * give the identity stored for the cache; KVM counts as usable when QEMU says so. Used by
 * tests replaying a recording and by callers that start QEMU themselves. See
 * vk_qemu_caps_probe_async() for the callback.
 */
int vk_qemu_caps_probe_fd(sd_event *e, int qmp_fd, const char *binary, const struct stat *st,
                          VkQemuCapsProbeFunc callback, void *userdata, VkQemuCapsProbe **ret,
                          VkError *reterr) {
        g_autoptr(VkQemuCapsProbe) probe = NULL;
        int r;

        assert(e);
        assert(qmp_fd >= 0);
        assert(binary);
        assert(ret);

        probe = probe_new(e, binary, callback, userdata);
        if (st)
                probe->st = *st;
        probe->dev_kvm = true;
        r = vk_qmp_client_new_fd(e, qmp_fd, &probe_qmp_callbacks, probe, &probe->qmp, reterr);
        if (r < 0)
                return r;
        vk_qmp_client_set_timeout(probe->qmp, CAPS_PROBE_TIMEOUT_USEC);
        probe->child_exited = true; /* no child of ours */
        *ret = g_steal_pointer(&probe);
        return 0;
}

/*
 * Probe emulator @binary: start it (working directory @tmpdir, which must exist; QEMU
 * writes nothing there with these options), ask it over QMP, and build its capabilities.
 * @callback runs once, from the loop, with the caps (borrowed: vk_qemu_caps_ref() to keep)
 * or an error naming the binary and QEMU's stderr. Freeing the probe before that kills
 * QEMU and the callback is not called. The whole probe is bounded by a 30 s timeout.
 * Must run on the loop; SIGCHLD must be blocked (see vk_child_spawn()).
 */
int vk_qemu_caps_probe_async(sd_event *e, const char *binary, const char *tmpdir,
                             VkQemuCapsProbeFunc callback, void *userdata, VkQemuCapsProbe **ret,
                             VkError *reterr) {
        g_autoptr(VkQemuCapsProbe) probe = NULL;
        g_autofree char *fdarg = g_strdup_printf("socket,id=qmp,fd=%d", CAPS_QMP_FD);
        vk_autofd theirs = -1;
        vk_autofd kvm = -1;
        int sv[2];
        int r;

        assert(e);
        assert(binary);
        assert(tmpdir);
        assert(ret);

        probe = probe_new(e, binary, callback, userdata);
        if (stat(binary, &probe->st) < 0)
                return vk_error_set_errno(reterr, errno, "Cannot access emulator '%s'", binary);

        /* what matters is whether we (and so QEMU, same credentials) may open it */
        kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC | O_NOCTTY);
        probe->dev_kvm = kvm >= 0;

        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
                return vk_error_set_errno(reterr, errno, "Failed to create socketpair");
        theirs = sv[1];
        r = vk_qmp_client_new_fd(e, sv[0], &probe_qmp_callbacks, probe, &probe->qmp, reterr);
        if (r < 0)
                return r;
        vk_qmp_client_set_timeout(probe->qmp, CAPS_PROBE_TIMEOUT_USEC);

        VkChildFd fds[] = { { theirs, CAPS_QMP_FD } };
        VkChildOptions opts = {
                .flags = VK_CHILD_CAPTURE_STDERR,
                .env = VK_STRV("LC_ALL=C"),
                .fds = fds,
                .n_fds = VK_ELEMENTSOF(fds),
                .working_directory = tmpdir,
                .capture_max = 64 * 1024,
                .timeout_usec = CAPS_PROBE_TIMEOUT_USEC,
                .kill_grace_usec = 1000 * 1000,
        };
        r = vk_child_spawn(e,
                           VK_STRV(binary, "-S", "-no-user-config", "-nodefaults", "-nographic",
                                   "-machine", "none,accel=kvm:tcg", "-chardev", fdarg, "-mon",
                                   "chardev=qmp,mode=control"),
                           &opts, probe_on_child_exit, probe, &probe->child, reterr);
        if (r < 0)
                return r;

        *ret = g_steal_pointer(&probe);
        return 0;
}

/*
 * Free @probe (NULL is fine); returns NULL. A running QEMU is killed and the callback is not
 * called. May be called from the callback.
 */
VkQemuCapsProbe *vk_qemu_caps_probe_free(VkQemuCapsProbe *probe) {
        if (!probe)
                return NULL;
        probe->callback = NULL;
        probe->defer = sd_event_source_disable_unref(probe->defer);
        probe->qmp = vk_qmp_client_free(probe->qmp);
        probe->child = vk_child_free(probe->child);
        g_hash_table_unref(probe->replies);
        g_ptr_array_unref(probe->requests);
        vk_error_done(&probe->error);
        sd_event_unref(probe->event);
        g_free(probe->binary);
        g_free(probe);
        return NULL;
}
