/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-caps-cache.c: QEMU capabilities as JSON, one small file per binary in the cache dir */
#include <assert.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "atomic-file.h"
#include "log.h"
#include "macro.h"
#include "qemu-caps-internal.h"

/* Bumped when the cache holds something new: an older file is probed again. 2: hostCpu */
#define CAPS_CACHE_FORMAT 2

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
        builder_add_int(b, "cacheFormat", CAPS_CACHE_FORMAT);
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
                        json_builder_add_string_value(b, vk_qemu_caps_flag_to_string(f));
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

        if (caps->host_cpu) {
                json_builder_set_member_name(b, "hostCpu");
                qemu_caps_hostcpu_to_json(b, caps->host_cpu, caps->host_cpu_kvm);
        }

        json_builder_end_object(b);
        root = json_builder_get_root(b);
        *ret = json_to_string(root, FALSE);
        return 0;
}

static GHashTable *json_array_to_set(JsonArray *a) {
        GHashTable *set = qemu_caps_string_set_new();

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
        g_autoptr(VkQemuCaps) caps = qemu_caps_new();
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
        caps->cache_format = (int) json_get_int(o, "cacheFormat", 0);
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

        if (json_get_object(o, "hostCpu"))
                caps->host_cpu = qemu_caps_hostcpu_from_json(json_get_object(o, "hostCpu"),
                                                             &caps->host_cpu_kvm);

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
        if (caps->cache_format != CAPS_CACHE_FORMAT)
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
