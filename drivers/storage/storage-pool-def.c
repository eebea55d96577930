/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* storage-pool-def.c: libvirt's storage pool XML: parse, check, defaults and format */
#include <assert.h>
#include <string.h>

#include "macro.h"
#include "storage-def-internal.h"

/* An empty pool definition (type dir, no source format); free with _free(). */
VkStoragePoolDef *vk_storage_pool_def_new(void) {
        VkStoragePoolDef *def = g_new0(VkStoragePoolDef, 1);

        def->source_format = -1;
        return def;
}

/* Free @def and what it owns; takes NULL; returns NULL. */
VkStoragePoolDef *vk_storage_pool_def_free(VkStoragePoolDef *def) {
        if (!def)
                return NULL;
        g_free(def->name);
        g_strfreev(def->devices);
        g_free(def->source_name);
        g_free(def->target_path);
        vk_storage_perms_done(&def->target_perms);
        g_free(def);
        return NULL;
}

/* The volume group of a logical pool: <source><name>, else the pool's name. */
const char *vk_storage_pool_def_vg_name(const VkStoragePoolDef *def) {
        return def->source_name ? def->source_name : def->name;
}

/* LVM's rule for VG and LV names: [A-Za-z0-9+_.-], not starting with '-', not "." or "..". */
static bool pool_lvm_name_valid(const char *s) {
        if (vk_isempty(s) || s[0] == '-' || strlen(s) > 127)
                return false;
        if (strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
                return false;
        for (const char *p = s; *p; p++)
                if (!g_ascii_isalnum(*p) && !strchr("+_.-", *p))
                        return false;
        return true;
}

static int pool_parse_uuid(VkStoragePoolDef *def, xmlNode *node, VkError *reterr) {
        g_autofree char *text = NULL;
        int r;

        r = vk_storage_parse_text(node, VK_XML_REQUIRED, &text, reterr);
        if (r < 0)
                return r;
        if (vk_uuid_parse(text, &def->uuid) < 0)
                return vk_xml_error(node, NULL, reterr, "invalid UUID '%s'", text);
        if (vk_uuid_is_null(&def->uuid))
                return vk_xml_error(node, NULL, reterr, "the null UUID is not allowed");
        def->has_uuid = true;
        return 0;
}

/* The <source> children each pool type takes (file scope: VK_STRV() would not outlive it). */
static const char *const dir_source_children[] = { NULL };
static const char *const fs_source_children[] = { "device", "format", NULL };
static const char *const logical_source_children[] = { "device", "name", "format", NULL };

static const char *const *pool_source_children(VkStoragePoolType t) {
        switch (t) {
        case VK_STORAGE_POOL_FS:
                return fs_source_children;
        case VK_STORAGE_POOL_LOGICAL:
                return logical_source_children;
        default:
                return dir_source_children;
        }
}

static int pool_parse_source_format(VkStoragePoolDef *def, xmlNode *node, VkError *reterr) {
        g_autofree char *s = NULL;
        int r, f;

        r = vk_xml_check_node(node, VK_STRV("type"), VK_XML_NONE, reterr);
        if (r < 0)
                return r;
        r = vk_xml_prop_string(node, "type", VK_XML_REQUIRED, &s, reterr);
        if (r < 0)
                return r;
        if (def->type == VK_STORAGE_POOL_FS)
                f = vk_storage_fs_format_from_string(s);
        else
                f = vk_storage_lvm_format_from_string(s);
        if (f < 0)
                return vk_xml_error(node, "type", reterr,
                                    "unsupported format '%s' for pool type '%s'", s,
                                    vk_storage_pool_type_to_string(def->type));
        def->source_format = f;
        return 0;
}

/*
 * <source>
 *   <device path='/dev/sdb1'/>     fs: exactly one (a block device or an image file);
 *                                  logical: the physical volumes (needed to build)
 *   <name>vg0</name>               logical: the volume group (default: the pool's name)
 *   <format type='ext4'/>          fs: the filesystem (auto); logical: lvm2 (auto)
 * </source>
 * A dir pool takes an empty <source/>.
 */
static int pool_parse_source(VkStoragePoolDef *def, xmlNode *node, VkError *reterr) {
        g_autoptr(GPtrArray) devices = g_ptr_array_new_with_free_func(g_free);
        int r;

        for (xmlNode *c = vk_xml_first_element(node); c; c = vk_xml_next_element(c)) {
                bool ok = false;

                for (const char *const *a = pool_source_children(def->type); *a; a++)
                        ok = ok || vk_xml_node_is(c, NULL, *a);
                if (!ok)
                        return vk_xml_error(c, NULL, reterr,
                                            "unsupported element for pool type '%s'",
                                            vk_storage_pool_type_to_string(def->type));
        }
        r = vk_xml_check_node(node, VK_XML_NONE, pool_source_children(def->type), reterr);
        if (r < 0)
                return r;
        r = vk_xml_check_unique(node, VK_STRV("name", "format"), reterr);
        if (r < 0)
                return r;

        for (xmlNode *c = vk_xml_first_element(node); c; c = vk_xml_next_element(c)) {
                const char *n = (const char *) c->name;

                if (strcmp(n, "device") == 0) {
                        char *path = NULL;

                        if (devices->len >= VK_STORAGE_DEVICES_MAX)
                                return vk_error_set(reterr, VK_ERROR_LIMIT_EXCEEDED, -E2BIG,
                                                    "/pool/source: more than %d <device>",
                                                    VK_STORAGE_DEVICES_MAX);
                        r = vk_xml_check_node(c, VK_STRV("path"), VK_XML_NONE, reterr);
                        if (r < 0)
                                return r;
                        r = vk_storage_parse_path(c, "path", &path, reterr);
                        if (r < 0)
                                return r;
                        for (guint i = 0; i < devices->len; i++)
                                if (strcmp(devices->pdata[i], path) == 0) {
                                        g_free(path);
                                        return vk_xml_error(c, "path", reterr,
                                                            "device '%s' is listed twice",
                                                            (const char *) devices->pdata[i]);
                                }
                        g_ptr_array_add(devices, path);
                } else if (strcmp(n, "name") == 0) {
                        r = vk_storage_parse_text(c, VK_XML_REQUIRED, &def->source_name, reterr);
                        if (r < 0)
                                return r;
                        if (!pool_lvm_name_valid(def->source_name))
                                return vk_xml_error(c, NULL, reterr,
                                                    "invalid volume group name '%s'",
                                                    def->source_name);
                } else {
                        r = pool_parse_source_format(def, c, reterr);
                        if (r < 0)
                                return r;
                }
        }
        if (devices->len > 0) {
                g_ptr_array_add(devices, NULL);
                def->devices = (char **) g_ptr_array_free(g_steal_pointer(&devices), FALSE);
        }
        return 0;
}

/* <target><path>/var/lib/virtkit/images</path><permissions>..</permissions></target> */
static int pool_parse_target(VkStoragePoolDef *def, xmlNode *node, VkError *reterr) {
        xmlNode *c;
        int r;

        r = vk_xml_check_node(node, VK_XML_NONE, VK_STRV("path", "permissions"), reterr);
        if (r < 0)
                return r;
        r = vk_xml_check_unique(node, VK_STRV("path", "permissions"), reterr);
        if (r < 0)
                return r;
        c = vk_xml_child(node, "path");
        if (c) {
                r = vk_storage_parse_path(c, NULL, &def->target_path, reterr);
                if (r < 0)
                        return r;
        }
        c = vk_xml_child(node, "permissions");
        if (c)
                return vk_storage_parse_perms(c, &def->target_perms, reterr);
        return 0;
}

/* What each type needs, checked after the whole document is read. */
static int pool_def_check(const VkStoragePoolDef *def, xmlNode *root, VkError *reterr) {
        size_t n_devices = def->devices ? g_strv_length(def->devices) : 0;

        switch (def->type) {
        case VK_STORAGE_POOL_DIR:
                if (!def->target_path)
                        return vk_xml_error(root, NULL, reterr,
                                            "pool type 'dir' needs <target><path>");
                break;
        case VK_STORAGE_POOL_FS:
                if (n_devices != 1)
                        return vk_xml_error(root, NULL, reterr,
                                            "pool type 'fs' needs exactly one "
                                            "<source><device path=>, not %zu",
                                            n_devices);
                if (!def->target_path)
                        return vk_xml_error(root, NULL, reterr,
                                            "pool type 'fs' needs <target><path>");
                if (strcmp(def->target_path, "/") == 0)
                        return vk_xml_error(root, NULL, reterr,
                                            "pool type 'fs' cannot be mounted on '/'");
                break;
        case VK_STORAGE_POOL_LOGICAL: {
                const char *vg = vk_storage_pool_def_vg_name(def);
                g_autofree char *dev = NULL;

                if (!pool_lvm_name_valid(vg))
                        return vk_xml_error(root, NULL, reterr,
                                            "pool name '%s' is not a valid volume group name: "
                                            "give <source><name>",
                                            vg);
                dev = g_strdup_printf("/dev/%s", vg);
                if (def->target_path && strcmp(def->target_path, dev) != 0)
                        return vk_xml_error(root, NULL, reterr,
                                            "the target path of volume group '%s' is '%s', "
                                            "not '%s'",
                                            vg, dev, def->target_path);
                break;
        }
        default:
                g_assert_not_reached();
        }
        return 0;
}

#define POOL_CHILDREN "name", "uuid", "capacity", "allocation", "available", "source", "target"

/*
 * <pool type='dir|fs|logical'>
 *   <name>default</name>                              required
 *   <uuid>..</uuid>                                   filled at define when absent
 *   <capacity unit='bytes'>..</capacity> <allocation/> <available/>   output only
 *   <source>..</source>  <target>..</target>
 * </pool>
 */
static int pool_def_parse_root(xmlNode *root, VkStoragePoolDef **ret_def, VkError *reterr) {
        g_autoptr(VkStoragePoolDef) def = vk_storage_pool_def_new();
        g_autofree char *type = NULL;
        int r;

        if (!vk_xml_node_is(root, NULL, "pool"))
                return vk_xml_error(root, NULL, reterr, "expected the root element <pool>");
        r = vk_xml_prop_string(root, "type", VK_XML_REQUIRED, &type, reterr);
        if (r < 0)
                return r;
        def->type = vk_storage_pool_type_from_string(type);
        if ((int) def->type < 0)
                return vk_xml_error(root, "type", reterr, "unsupported pool type '%s'", type);
        r = vk_xml_check_node(root, VK_STRV("type"), VK_STRV(POOL_CHILDREN), reterr);
        if (r < 0)
                return r;
        r = vk_xml_check_unique(root, VK_STRV(POOL_CHILDREN), reterr);
        if (r < 0)
                return r;

        for (xmlNode *c = vk_xml_first_element(root); c; c = vk_xml_next_element(c)) {
                const char *n = (const char *) c->name;

                if (strcmp(n, "name") == 0)
                        r = vk_storage_parse_name(c, &def->name, reterr);
                else if (strcmp(n, "uuid") == 0)
                        r = pool_parse_uuid(def, c, reterr);
                else if (strcmp(n, "capacity") == 0) {
                        r = vk_storage_parse_size(c, &def->capacity, reterr);
                        def->has_capacity = true;
                } else if (strcmp(n, "allocation") == 0) {
                        r = vk_storage_parse_size(c, &def->allocation, reterr);
                        def->has_allocation = true;
                } else if (strcmp(n, "available") == 0) {
                        r = vk_storage_parse_size(c, &def->available, reterr);
                        def->has_available = true;
                } else if (strcmp(n, "source") == 0)
                        r = pool_parse_source(def, c, reterr);
                else
                        r = pool_parse_target(def, c, reterr);
                if (r < 0)
                        return r;
        }
        if (!def->name)
                return vk_xml_error(root, NULL, reterr, "missing element <name>");
        r = pool_def_check(def, root, reterr);
        if (r < 0)
                return r;
        *ret_def = g_steal_pointer(&def);
        return 0;
}

/*
 * Parse a storage pool XML document (see pool_def_parse_root() for the form), strictly: an
 * unknown element or attribute, a pool type other than dir, fs and logical, or what the type
 * lacks is an InvalidXML error naming its path. Defaults are not filled here (see
 * vk_storage_pool_def_fill_defaults()). Returns 0 with *@ret_def owned by the caller.
 */
int vk_storage_pool_def_parse_string(const char *xml, VkStoragePoolDef **ret_def, VkError *reterr) {
        g_autoptr(xmlDoc) doc = NULL;
        int r;

        assert(xml);
        assert(ret_def);

        r = vk_storage_read_string(xml, "pool XML", &doc, reterr);
        if (r < 0)
                return r;
        return pool_def_parse_root(xmlDocGetRootElement(doc), ret_def, reterr);
}

/* Like vk_storage_pool_def_parse_string(), from the file @path. */
int vk_storage_pool_def_parse_file(const char *path, VkStoragePoolDef **ret_def, VkError *reterr) {
        g_autoptr(xmlDoc) doc = NULL;
        int r;

        assert(path);
        assert(ret_def);

        r = vk_xml_read_file(path, &doc, reterr);
        if (r < 0)
                return r;
        return pool_def_parse_root(xmlDocGetRootElement(doc), ret_def, reterr);
}

/* A deep copy (format and parse again: what a reload from disk gives). */
int vk_storage_pool_def_copy(const VkStoragePoolDef *def, VkStoragePoolDef **ret_copy,
                             VkError *reterr) {
        g_autofree char *xml = vk_storage_pool_def_format(def);

        return vk_storage_pool_def_parse_string(xml, ret_copy, reterr);
}

/*
 * What a pool gets when it is defined: a random (version 4) UUID when it has none; dir and
 * fs pools a target mode of 0711 when none is given (libvirt's); a logical pool its volume
 * group's device directory as target path. The UUID's bytes come from @random_fn (NULL: the
 * kernel's random numbers).
 */
int vk_storage_pool_def_fill_defaults(VkStoragePoolDef *def, VkStorageRandomFn random_fn,
                                      VkError *reterr) {
        int r;

        assert(def);

        if (!def->has_uuid && random_fn) {
                /* a version 4 UUID from the caller's bytes (the tests': deterministic) */
                random_fn(def->uuid.bytes, sizeof(def->uuid.bytes));
                def->uuid.bytes[6] = (def->uuid.bytes[6] & 0x0f) | 0x40;
                def->uuid.bytes[8] = (def->uuid.bytes[8] & 0x3f) | 0x80;
                def->has_uuid = true;
        } else if (!def->has_uuid) {
                r = vk_uuid_generate(&def->uuid);
                if (r < 0)
                        return vk_error_set_errno(reterr, r, "Failed to generate a UUID");
                def->has_uuid = true;
        }
        switch (def->type) {
        case VK_STORAGE_POOL_DIR:
        case VK_STORAGE_POOL_FS:
                if (!def->target_perms.has_mode) {
                        def->target_perms.present = true;
                        def->target_perms.has_mode = true;
                        def->target_perms.mode = VK_STORAGE_POOL_DIR_MODE;
                }
                break;
        case VK_STORAGE_POOL_LOGICAL:
                if (!def->target_path)
                        def->target_path =
                                g_strdup_printf("/dev/%s", vk_storage_pool_def_vg_name(def));
                break;
        default:
                g_assert_not_reached();
        }
        return 0;
}

static const char *pool_source_format_name(const VkStoragePoolDef *def) {
        if (def->source_format < 0)
                return NULL;
        if (def->type == VK_STORAGE_POOL_FS)
                return vk_storage_fs_format_to_string(def->source_format);
        return vk_storage_lvm_format_to_string(def->source_format);
}

/* The pool as libvirt's pool XML (sizes in bytes); the caller g_free()s it. */
char *vk_storage_pool_def_format(const VkStoragePoolDef *def) {
        g_auto(VkXmlWriter) w;
        char uuid[VK_UUID_STRING_MAX];

        assert(def);
        vk_xml_writer_init(&w);
        vk_xml_writer_start(&w, "pool");
        vk_xml_writer_attr(&w, "type", vk_storage_pool_type_to_string(def->type));
        vk_xml_writer_text_element(&w, "name", def->name);
        if (def->has_uuid)
                vk_xml_writer_text_element(&w, "uuid", vk_uuid_format(&def->uuid, uuid));
        if (def->has_capacity)
                vk_storage_format_size(&w, "capacity", def->capacity);
        if (def->has_allocation)
                vk_storage_format_size(&w, "allocation", def->allocation);
        if (def->has_available)
                vk_storage_format_size(&w, "available", def->available);

        vk_xml_writer_start(&w, "source");
        for (char **d = def->devices; d && *d; d++) {
                vk_xml_writer_start(&w, "device");
                vk_xml_writer_attr(&w, "path", *d);
                vk_xml_writer_end(&w);
        }
        vk_xml_writer_text_element(&w, "name", def->source_name);
        if (def->source_format >= 0) {
                vk_xml_writer_start(&w, "format");
                vk_xml_writer_attr(&w, "type", pool_source_format_name(def));
                vk_xml_writer_end(&w);
        }
        vk_xml_writer_end(&w);

        if (def->target_path || def->target_perms.present) {
                vk_xml_writer_start(&w, "target");
                vk_xml_writer_text_element(&w, "path", def->target_path);
                vk_storage_format_perms(&w, &def->target_perms);
                vk_xml_writer_end(&w);
        }
        vk_xml_writer_end(&w);
        return vk_xml_writer_steal(&w);
}
