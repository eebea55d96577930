/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-firmware.c: QEMU's firmware descriptors, and the firmware a domain gets from them */
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <json-glib/json-glib.h>

#include "atomic-file.h"
#include "json.h"
#include "macro.h"
#include "qemu-firmware.h"

/*
 * A firmware package describes each of its builds in a JSON file (QEMU's
 * docs/interop/firmware.json), e.g. Debian's ovmf:
 *
 *   { "interface-types": [ "uefi" ],
 *     "mapping": { "device": "flash",
 *                  "executable": { "filename": "/usr/share/OVMF/OVMF_CODE_4M.ms.fd",
 *                                  "format": "raw" },
 *                  "nvram-template": { "filename": "/usr/share/OVMF/OVMF_VARS_4M.ms.fd",
 *                                      "format": "raw" } },
 *     "targets": [ { "architecture": "x86_64", "machines": [ "pc-q35-*" ] } ],
 *     "features": [ "acpi-s3", "enrolled-keys", "requires-smm", "secure-boot", ... ] }
 *
 * The files are found as libvirt finds them (vk_qemu_firmware_list()), and the first one, in
 * file name order, that suits the domain is taken (vk_qemu_firmware_fill()), with libvirt
 * 9.0's rules: interface, machine type and architecture, ACPI S3/S4, the <firmware> features
 * asked for, a secure loader only from a firmware that needs SMM.
 */

typedef enum FirmwareDevice {
        FIRMWARE_DEVICE_FLASH,
        FIRMWARE_DEVICE_KERNEL,
        FIRMWARE_DEVICE_MEMORY,
} FirmwareDevice;

typedef enum FirmwareFeature {
        FIRMWARE_ACPI_S3 = 1 << 0,
        FIRMWARE_ACPI_S4 = 1 << 1,
        FIRMWARE_ENROLLED_KEYS = 1 << 2,
        FIRMWARE_REQUIRES_SMM = 1 << 3,
        FIRMWARE_SECURE_BOOT = 1 << 4,
} FirmwareFeature;

typedef struct FirmwareTarget {
        char *arch;      /* QEMU's name: x86_64, i386, aarch64, ... */
        char **machines; /* glob patterns */
} FirmwareTarget;

struct VkQemuFirmware {
        bool uefi; /* interface-types has "uefi" */
        bool bios; /* ... "bios" */
        FirmwareDevice device;
        bool split;        /* flash: code and variables apart (the only mode used) */
        char *executable;  /* flash: code; kernel, memory: the file */
        char *exec_format; /* flash */
        char *nvram;       /* flash, split: the variable store template */
        char *nvram_format;
        FirmwareTarget *targets;
        size_t n_targets;
        unsigned features; /* FirmwareFeature */
};

VkQemuFirmware *vk_qemu_firmware_free(VkQemuFirmware *fw) {
        if (!fw)
                return NULL;
        g_free(fw->executable);
        g_free(fw->exec_format);
        g_free(fw->nvram);
        g_free(fw->nvram_format);
        for (size_t i = 0; i < fw->n_targets; i++) {
                g_free(fw->targets[i].arch);
                g_strfreev(fw->targets[i].machines);
        }
        g_free(fw->targets);
        g_free(fw);
        return NULL;
}

/* ---- the files ---- */

/*
 * Where QEMU's interop descriptors of @kind ("firmware", "vhost-user") are, lowest precedence
 * first, as libvirt looks: QEMU's directory, the host's, and for an unprivileged instance the
 * user's (@config_home, $XDG_CONFIG_HOME or ~/.config; NULL: none). NULL-terminated,
 * g_strfreev(). vk_qemu_firmware_list() lists the files of such directories.
 */
char **vk_qemu_descriptor_dirs(const char *kind, bool privileged, const char *config_home) {
        GPtrArray *dirs = g_ptr_array_new();

        g_ptr_array_add(dirs, g_build_filename("/usr/share/qemu", kind, NULL));
        g_ptr_array_add(dirs, g_build_filename("/etc/qemu", kind, NULL));
        if (!privileged && config_home)
                g_ptr_array_add(dirs, g_build_filename(config_home, "qemu", kind, NULL));
        g_ptr_array_add(dirs, NULL);
        return (char **) g_ptr_array_free(dirs, false);
}

/* The firmware descriptor directories (see vk_qemu_descriptor_dirs()). */
char **vk_qemu_firmware_dirs(bool privileged, const char *config_home) {
        return vk_qemu_descriptor_dirs("firmware", privileged, config_home);
}

/* A descriptor entry: 1 a file to read, 0 one that masks the name (empty, or /dev/null). */
static int firmware_entry_kind(const char *path, VkError *reterr) {
        struct stat st;

        if (stat(path, &st) < 0)
                return vk_error_set(reterr, VK_ERROR_SYSTEM, -errno,
                                    "cannot access firmware descriptor '%s': %s", path,
                                    g_strerror(errno));
        if (S_ISCHR(st.st_mode) && major(st.st_rdev) == 1 && minor(st.st_rdev) == 3)
                return 0;
        if (!S_ISREG(st.st_mode))
                return -ENOENT; /* not a descriptor: ignored */
        return st.st_size > 0;
}

static int firmware_name_cmp(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/*
 * The descriptors of @dirs (lowest precedence first): every "*.json" of each, a file name in
 * a later directory replacing the same name in an earlier one; an empty file (or a link to
 * /dev/null) takes its name out. Sorted by file name, the order they are tried in.
 * *@ret_paths is NULL-terminated (maybe empty). Directories that do not exist are skipped.
 */
int vk_qemu_firmware_list(const char *const *dirs, char ***ret_paths, VkError *reterr) {
        g_autoptr(GHashTable) files =
                g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
        g_autofree char **names = NULL;
        GPtrArray *out;
        guint n;

        assert(ret_paths);
        for (size_t i = 0; dirs && dirs[i]; i++) {
                g_autoptr(GDir) d = g_dir_open(dirs[i], 0, NULL);
                const char *name;

                if (!d)
                        continue;
                while ((name = g_dir_read_name(d))) {
                        if (name[0] == '.' || !g_str_has_suffix(name, ".json"))
                                continue;
                        if (g_hash_table_size(files) >= VK_QEMU_FIRMWARE_FILES_MAX &&
                            !g_hash_table_contains(files, name))
                                return vk_error_set(reterr, VK_ERROR_LIMIT_EXCEEDED, -E2BIG,
                                                    "more than %d firmware descriptors",
                                                    VK_QEMU_FIRMWARE_FILES_MAX);
                        g_hash_table_replace(files, g_strdup(name),
                                             g_build_filename(dirs[i], name, NULL));
                }
        }

        names = (char **) g_hash_table_get_keys_as_array(files, &n);
        qsort(names, n, sizeof(char *), firmware_name_cmp);
        out = g_ptr_array_new_with_free_func(g_free);
        for (guint i = 0; i < n; i++) {
                const char *path = g_hash_table_lookup(files, names[i]);
                int k = firmware_entry_kind(path, reterr);

                if (k == -ENOENT)
                        continue;
                if (k < 0) {
                        g_ptr_array_free(out, true);
                        return k;
                }
                if (k > 0)
                        g_ptr_array_add(out, g_strdup(path));
        }
        g_ptr_array_set_free_func(out, NULL);
        g_ptr_array_add(out, NULL);
        *ret_paths = (char **) g_ptr_array_free(out, false);
        return 0;
}

/* ---- one descriptor ---- */

static int firmware_bad(const char *path, VkError *reterr, const char *what) {
        return vk_error_set(reterr, VK_ERROR_INVALID_CONFIG, -EBADMSG,
                            "firmware descriptor '%s': %s", path, what);
}

static int firmware_parse_file_ref(const char *path, JsonObject *mapping, const char *member,
                                   char **ret_name, char **ret_format, VkError *reterr) {
        JsonNode *n = json_object_get_member(mapping, member);
        const char *name, *format;
        JsonObject *o;

        if (!n || !JSON_NODE_HOLDS_OBJECT(n))
                return vk_error_set(reterr, VK_ERROR_INVALID_CONFIG, -EBADMSG,
                                    "firmware descriptor '%s': no mapping.%s", path, member);
        o = json_node_get_object(n);
        name = vk_json_object_get_string_member_or_null(o, "filename");
        format = vk_json_object_get_string_member_or_null(o, "format");
        if (!name || !format || !g_path_is_absolute(name))
                return vk_error_set(reterr, VK_ERROR_INVALID_CONFIG, -EBADMSG,
                                    "firmware descriptor '%s': mapping.%s needs an absolute "
                                    "filename and a format",
                                    path, member);
        *ret_name = g_strdup(name);
        *ret_format = g_strdup(format);
        return 0;
}

static int firmware_parse_mapping(VkQemuFirmware *fw, const char *path, JsonObject *doc,
                                  VkError *reterr) {
        JsonNode *n = json_object_get_member(doc, "mapping");
        const char *device, *mode;
        JsonObject *m;

        if (!n || !JSON_NODE_HOLDS_OBJECT(n))
                return firmware_bad(path, reterr, "no mapping");
        m = json_node_get_object(n);
        device = vk_json_object_get_string_member_or_null(m, "device");
        if (g_strcmp0(device, "flash") == 0) {
                fw->device = FIRMWARE_DEVICE_FLASH;
                mode = vk_json_object_get_string_member_or_null(m, "mode");
                if (mode && strcmp(mode, "split") != 0 && strcmp(mode, "combined") != 0 &&
                    strcmp(mode, "stateless") != 0)
                        return firmware_bad(path, reterr, "unknown mapping.mode");
                fw->split = !mode || strcmp(mode, "split") == 0;
                if (firmware_parse_file_ref(path, m, "executable", &fw->executable,
                                            &fw->exec_format, reterr) < 0)
                        return -EBADMSG;
                if (fw->split && firmware_parse_file_ref(path, m, "nvram-template", &fw->nvram,
                                                         &fw->nvram_format, reterr) < 0)
                        return -EBADMSG;
                return 0;
        }
        if (g_strcmp0(device, "kernel") == 0 || g_strcmp0(device, "memory") == 0) {
                const char *f = vk_json_object_get_string_member_or_null(m, "filename");

                fw->device = device[0] == 'k' ? FIRMWARE_DEVICE_KERNEL : FIRMWARE_DEVICE_MEMORY;
                if (!f || !g_path_is_absolute(f))
                        return firmware_bad(path, reterr, "mapping needs an absolute filename");
                fw->executable = g_strdup(f);
                return 0;
        }
        return firmware_bad(path, reterr, "unknown or missing mapping.device");
}

static int firmware_parse_targets(VkQemuFirmware *fw, const char *path, JsonObject *doc,
                                  VkError *reterr) {
        JsonNode *n = json_object_get_member(doc, "targets");
        JsonArray *a;

        if (!n || !JSON_NODE_HOLDS_ARRAY(n))
                return firmware_bad(path, reterr, "no targets");
        a = json_node_get_array(n);
        fw->n_targets = json_array_get_length(a);
        fw->targets = g_new0(FirmwareTarget, fw->n_targets);
        for (guint i = 0; i < fw->n_targets; i++) {
                JsonNode *t = json_array_get_element(a, i);
                JsonNode *ms;
                GPtrArray *machines;
                const char *arch;

                if (!JSON_NODE_HOLDS_OBJECT(t))
                        return firmware_bad(path, reterr, "a target is not an object");
                arch = vk_json_object_get_string_member_or_null(json_node_get_object(t),
                                                                "architecture");
                ms = json_object_get_member(json_node_get_object(t), "machines");
                if (!arch || !ms || !JSON_NODE_HOLDS_ARRAY(ms))
                        return firmware_bad(path, reterr,
                                            "a target needs an architecture and machines");
                fw->targets[i].arch = g_strdup(arch);
                machines = g_ptr_array_new();
                for (guint j = 0; j < json_array_get_length(json_node_get_array(ms)); j++) {
                        JsonNode *e = json_array_get_element(json_node_get_array(ms), j);

                        if (JSON_NODE_HOLDS_VALUE(e) &&
                            json_node_get_value_type(e) == G_TYPE_STRING)
                                g_ptr_array_add(machines, g_strdup(json_node_get_string(e)));
                }
                g_ptr_array_add(machines, NULL);
                fw->targets[i].machines = (char **) g_ptr_array_free(machines, false);
        }
        return 0;
}

/* A list of strings of @doc as @ret_list: NULL with an error if it is not one. */
static int firmware_strings(const char *path, JsonObject *doc, const char *member,
                            JsonArray **ret_list, VkError *reterr) {
        JsonNode *n = json_object_get_member(doc, member);

        if (!n || !JSON_NODE_HOLDS_ARRAY(n))
                return vk_error_set(reterr, VK_ERROR_INVALID_CONFIG, -EBADMSG,
                                    "firmware descriptor '%s': no list '%s'", path, member);
        *ret_list = json_node_get_array(n);
        return 0;
}

/*
 * Read the descriptor @path. A file that is not one (no interface-types, mapping, targets or
 * features) is an error naming it, as in libvirt; unknown features are ignored.
 */
int vk_qemu_firmware_parse_file(const char *path, VkQemuFirmware **ret, VkError *reterr) {
        static const struct {
                const char *name;
                FirmwareFeature bit;
        } known[] = {
                { "acpi-s3", FIRMWARE_ACPI_S3 },
                { "acpi-s4", FIRMWARE_ACPI_S4 },
                { "enrolled-keys", FIRMWARE_ENROLLED_KEYS },
                { "requires-smm", FIRMWARE_REQUIRES_SMM },
                { "secure-boot", FIRMWARE_SECURE_BOOT },
        };
        g_autoptr(VkQemuFirmware) fw = g_new0(VkQemuFirmware, 1);
        g_autoptr(JsonNode) root = NULL;
        g_autofree char *text = NULL;
        JsonArray *list = NULL;
        JsonObject *doc;
        size_t len;
        int r;

        r = vk_file_read_all(path, VK_QEMU_FIRMWARE_FILE_MAX, &text, &len, reterr);
        if (r < 0)
                return r;
        r = vk_json_parse(text, (gssize) len, &root, reterr);
        if (r < 0)
                return firmware_bad(path, reterr, "not JSON");
        if (!JSON_NODE_HOLDS_OBJECT(root))
                return firmware_bad(path, reterr, "not a JSON object");
        doc = json_node_get_object(root);

        r = firmware_strings(path, doc, "interface-types", &list, reterr);
        if (r < 0)
                return r;
        for (guint i = 0; i < json_array_get_length(list); i++) {
                JsonNode *e = json_array_get_element(list, i);
                const char *s = JSON_NODE_HOLDS_VALUE(e) ? json_node_get_string(e) : NULL;

                fw->uefi = fw->uefi || g_strcmp0(s, "uefi") == 0;
                fw->bios = fw->bios || g_strcmp0(s, "bios") == 0;
        }
        r = firmware_parse_mapping(fw, path, doc, reterr);
        if (r < 0)
                return r;
        r = firmware_parse_targets(fw, path, doc, reterr);
        if (r < 0)
                return r;
        r = firmware_strings(path, doc, "features", &list, reterr);
        if (r < 0)
                return r;
        for (guint i = 0; i < json_array_get_length(list); i++) {
                JsonNode *e = json_array_get_element(list, i);
                const char *s = JSON_NODE_HOLDS_VALUE(e) ? json_node_get_string(e) : NULL;

                for (size_t k = 0; k < G_N_ELEMENTS(known); k++)
                        if (g_strcmp0(s, known[k].name) == 0)
                                fw->features |= known[k].bit;
        }
        *ret = g_steal_pointer(&fw);
        return 0;
}

/* ---- the choice ---- */

static const char *firmware_qemu_arch(VkDomainArch arch) {
        return arch == VK_DOMAIN_ARCH_I686 ? "i386" : "x86_64";
}

static bool firmware_matches_machine(const VkQemuFirmware *fw, const char *machine,
                                     VkDomainArch arch) {
        for (size_t i = 0; i < fw->n_targets; i++) {
                if (strcmp(fw->targets[i].arch, firmware_qemu_arch(arch)) != 0)
                        continue;
                for (size_t j = 0; fw->targets[i].machines[j]; j++)
                        if (g_pattern_match_simple(fw->targets[i].machines[j], machine))
                                return true;
        }
        return false;
}

/* Whether the firmware has (yes) or lacks (no) what @want asks; absent: either. */
static bool firmware_feature_ok(VkTristate want, bool has) {
        return want == VK_TRISTATE_ABSENT || (want == VK_TRISTATE_YES) == has;
}

/* Whether @fw suits @def on @machine (the canonical name, e.g. pc-q35-7.2). */
static bool firmware_matches(const VkQemuFirmware *fw, const VkDomainDef *def,
                             const char *machine) {
        bool smm = fw->features & FIRMWARE_REQUIRES_SMM;
        bool uefi;

        if (def->os_firmware == VK_OS_FIRMWARE_EFI)
                uefi = true;
        else if (def->os_firmware == VK_OS_FIRMWARE_BIOS)
                uefi = false;
        else
                uefi = def->loader_type == VK_LOADER_TYPE_PFLASH;
        if (uefi ? !fw->uefi : !fw->bios)
                return false;
        /* a loader named in the XML: only the descriptor of that file */
        if (def->loader_path && (fw->device != FIRMWARE_DEVICE_FLASH ||
                                 g_strcmp0(def->loader_path, fw->executable) != 0))
                return false;
        if (!firmware_matches_machine(fw, machine, def->arch))
                return false;
        if (def->pm_suspend_to_mem == VK_TRISTATE_YES && !(fw->features & FIRMWARE_ACPI_S3))
                return false;
        if (def->pm_suspend_to_disk == VK_TRISTATE_YES && !(fw->features & FIRMWARE_ACPI_S4))
                return false;
        if (!firmware_feature_ok(def->firmware_features[VK_FIRMWARE_FEATURE_SECURE_BOOT],
                                 fw->features & FIRMWARE_SECURE_BOOT) ||
            !firmware_feature_ok(def->firmware_features[VK_FIRMWARE_FEATURE_ENROLLED_KEYS],
                                 fw->features & FIRMWARE_ENROLLED_KEYS))
                return false;
        /* a secure loader is one only SMM may write; and SMM turned off rules those out */
        if (def->loader_secure == VK_TRISTATE_YES && !smm)
                return false;
        if (smm && (def->loader_secure == VK_TRISTATE_NO ||
                    def->features[VK_FEATURE_SMM] == VK_TRISTATE_NO))
                return false;
        return fw->device != FIRMWARE_DEVICE_FLASH || fw->split;
}

/* <lib>/qemu/nvram/NAME_VARS.fd: where a domain's variable store is kept, as libvirt. */
char *vk_qemu_firmware_nvram_path(const char *nvram_dir, const char *name) {
        g_autofree char *file = g_strconcat(name, "_VARS.fd", NULL);

        return g_build_filename(nvram_dir, file, NULL);
}

/* Write what @fw is into @def, as libvirt: loader, template, NVRAM path, SMM. */
static int firmware_apply(const VkQemuFirmware *fw, const char *path, VkDomainDef *def,
                          const char *nvram_dir, VkError *reterr) {
        switch (fw->device) {
        case FIRMWARE_DEVICE_FLASH:
                if (strcmp(fw->exec_format, "raw") != 0 ||
                    (fw->nvram_format && strcmp(fw->nvram_format, "raw") != 0))
                        return vk_error_set(reterr, VK_ERROR_NOT_SUPPORTED, -EOPNOTSUPP,
                                            "firmware descriptor '%s': format '%s' is not "
                                            "supported (only raw)",
                                            path,
                                            strcmp(fw->exec_format, "raw") != 0 ? fw->exec_format
                                                                                : fw->nvram_format);
                def->loader_type = VK_LOADER_TYPE_PFLASH;
                def->loader_readonly = VK_TRISTATE_YES;
                g_free(def->loader_path);
                def->loader_path = g_strdup(fw->executable);
                g_free(def->nvram_template);
                def->nvram_template = g_strdup(fw->nvram);
                if (!def->nvram_path)
                        def->nvram_path = vk_qemu_firmware_nvram_path(nvram_dir, def->name);
                break;
        case FIRMWARE_DEVICE_MEMORY:
                def->loader_type = VK_LOADER_TYPE_ROM;
                g_free(def->loader_path);
                def->loader_path = g_strdup(fw->executable);
                break;
        case FIRMWARE_DEVICE_KERNEL:
                g_free(def->kernel);
                def->kernel = g_strdup(fw->executable);
                break;
        }
        if (fw->features & FIRMWARE_REQUIRES_SMM) {
                def->features[VK_FEATURE_SMM] = VK_TRISTATE_YES;
                def->loader_secure = VK_TRISTATE_YES;
        }
        return 0;
}

/* libvirt's old style: a read-only pflash loader named by path, no template given */
static bool firmware_old_style(const VkDomainDef *def) {
        return def->os_firmware == VK_OS_FIRMWARE_NONE && def->loader_path &&
               def->loader_type == VK_LOADER_TYPE_PFLASH &&
               def->loader_readonly == VK_TRISTATE_YES && !def->nvram_template;
}

/*
 * Fill @def (a copy for one start, or for DomainXMLToNative) with the firmware libvirt 9.0
 * would give it on @machine (the canonical machine type), from the descriptors in @dirs
 * (vk_qemu_firmware_dirs()): with <os firmware=> the first descriptor that suits, written in
 * as <loader>/<nvram> (NVRAM under @nvram_dir, NAME_VARS.fd), SMM and a secure loader when
 * the firmware needs them, and firmware= taken out (the live XML shows what was chosen); an
 * old-style read-only pflash <loader> without a template gets its descriptor's template if
 * there is one, and its NVRAM path. *@ret_descriptor (may be NULL): the descriptor chosen, or
 * NULL. Returns 0, or an error naming what was asked when no firmware suits (OperationFailed)
 * or a descriptor cannot be read (InvalidConfig).
 */
int vk_qemu_firmware_fill(VkDomainDef *def, const char *machine, const char *const *dirs,
                          const char *nvram_dir, char **ret_descriptor, VkError *reterr) {
        g_auto(GStrv) paths = NULL;
        bool old_style = firmware_old_style(def);
        int r;

        assert(def && machine && nvram_dir);
        if (ret_descriptor)
                *ret_descriptor = NULL;
        if (!def->os_firmware && !old_style)
                return 0;
        if (old_style && !def->nvram_path)
                def->nvram_path = vk_qemu_firmware_nvram_path(nvram_dir, def->name);
        /* old style with its variables already made: nothing to look up */
        if (old_style && access(def->nvram_path, F_OK) == 0)
                return 0;

        r = vk_qemu_firmware_list(dirs, &paths, reterr);
        if (r < 0)
                return r;
        for (size_t i = 0; paths[i]; i++) {
                g_autoptr(VkQemuFirmware) fw = NULL;

                r = vk_qemu_firmware_parse_file(paths[i], &fw, reterr);
                if (r < 0)
                        return r;
                if (!firmware_matches(fw, def, machine))
                        continue;
                r = firmware_apply(fw, paths[i], def, nvram_dir, reterr);
                if (r < 0)
                        return r;
                def->os_firmware = VK_OS_FIRMWARE_NONE;
                if (ret_descriptor)
                        *ret_descriptor = g_strdup(paths[i]);
                return 0;
        }
        if (old_style || def->os_firmware == VK_OS_FIRMWARE_BIOS)
                /* no descriptor: the loader as given (its template must come from the XML);
                 * firmware='bios' without descriptors is QEMU's own BIOS */
                return 0;
        return vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, -ENOENT,
                            "Unable to find any firmware to satisfy '%s' for machine '%s'%s%s%s",
                            vk_os_firmware_to_string(def->os_firmware), machine,
                            def->loader_path ? " with loader '" : "",
                            def->loader_path ? def->loader_path : "", def->loader_path ? "'" : "");
}
