/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-caps.c: QEMU capabilities: what the probe asks, the flags derived from QEMU's answers,
 * the getters (the probe is in qemu-caps-probe.c, the cache in qemu-caps-cache.c) */
#include <assert.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include <json-glib/json-glib.h>

#include "macro.h"
#include "qemu-caps-internal.h"

/*
 * The probe starts the emulator with -S -nodefaults and machine "none" and talks QMP over a
 * socketpair handed to it as fd 3 (-chardev socket,fd=3): no socket path, no connect retry.
 * All commands are written at once after the handshake (QMP answers in order); once they are
 * answered, a second round asks the CPU model expansions the host model is computed from
 * (qemu-caps-hostcpu.c), then "quit". The replies are kept in a table keyed by command
 * ("device-list-properties:<type>" for the per-device ones) and turned into a VkQemuCaps by
 * qemu_caps_build(), which is also what vk_qemu_caps_new_from_replies() uses for recorded
 * conversations. The list below and tests/data/qemucaps/record.py must stay in the same order:
 * test-caps replays the recording against this probe.
 */

const char *const qemu_caps_probe_commands[] = {
        "query-version",         "query-target",   "query-kvm",      "query-machines",
        "query-cpu-definitions", "qom-list-types", "query-commands", "query-command-line-options",
        "query-qmp-schema",
};
const size_t qemu_caps_n_probe_commands = VK_ELEMENTSOF(qemu_caps_probe_commands);

const char *const qemu_caps_probe_devices[] = {
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
const size_t qemu_caps_n_probe_devices = VK_ELEMENTSOF(qemu_caps_probe_devices);

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
        [VK_QEMU_CAPS_PVPANIC_PCI] = { "pvpanic-pci", CAPS_RULE_TYPE, "pvpanic-pci" },
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

GHashTable *qemu_caps_string_set_new(void) {
        return g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
}

VkQemuCaps *qemu_caps_new(void) {
        VkQemuCaps *caps = g_new0(VkQemuCaps, 1);

        caps->n_ref = 1;
        caps->types = qemu_caps_string_set_new();
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
        qemu_caps_hostcpu_free(caps->host_cpu);
        g_free(caps);
        return NULL;
}

/* ---- building caps from replies ---- */

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
int qemu_caps_build(GHashTable *replies, const char *binary, const struct stat *st, bool dev_kvm,
                    VkQemuCaps **ret, VkError *reterr) {
        g_autoptr(VkQemuCaps) caps = qemu_caps_new();
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

        for (size_t d = 0; d < qemu_caps_n_probe_devices; d++) {
                g_autofree char *key =
                        g_strconcat("device-list-properties:", qemu_caps_probe_devices[d], NULL);
                GHashTable *props;

                a = reply_array(replies, key);
                if (!a)
                        continue;
                props = qemu_caps_string_set_new();
                for (guint i = 0; i < json_array_get_length(a); i++) {
                        JsonObject *p = json_array_get_object_element(a, i);
                        const char *name = json_get_string(p, "name");
                        if (name)
                                g_hash_table_add(props, g_strdup(name));
                }
                g_hash_table_insert(caps->devices, g_strdup(qemu_caps_probe_devices[d]), props);
        }

        a = reply_array(replies, "query-qmp-schema");
        for (int f = 0; f < _VK_QEMU_CAPS_FLAG_MAX; f++)
                caps->flags[f] = caps_rule_eval(caps, commands, a, &caps_flag_rules[f]);

        caps->host_cpu = qemu_caps_hostcpu_build(replies, &caps->host_cpu_kvm);

        *ret = g_steal_pointer(&caps);
        return 0;
}

char *qemu_caps_replies_key(const char *command, JsonObject *args) {
        const char *type = json_get_string(args, "typename");

        if (strcmp(command, "device-list-properties") == 0 && type)
                return g_strconcat(command, ":", type, NULL);
        if (strcmp(command, "query-cpu-model-expansion") == 0)
                return qemu_caps_hostcpu_key(args);
        return g_strdup(command);
}

GHashTable *qemu_caps_replies_new(void) {
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
        g_autoptr(GHashTable) replies = qemu_caps_replies_new();
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
                        g_hash_table_insert(
                                pending, g_strdup(id),
                                qemu_caps_replies_key(cmd, json_get_object(o, "arguments")));
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
        return qemu_caps_build(replies, binary, st, true, ret, reterr);
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
 * Whether @device has @property. Only the devices in qemu_caps_probe_devices[] were asked; for any
 * other device this returns false.
 */
bool vk_qemu_caps_device_has_property(const VkQemuCaps *caps, const char *device,
                                      const char *property) {
        GHashTable *props;

        assert(caps);
        props = device ? g_hash_table_lookup(caps->devices, device) : NULL;
        return props && property && g_hash_table_contains(props, property);
}
