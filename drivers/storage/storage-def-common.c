/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* storage-def-common.c: the enums and the parts pool and volume XML share (units, perms) */
#include <assert.h>
#include <limits.h>
#include <string.h>

#include "macro.h"
#include "storage-def-internal.h"

static const char *const pool_type_table[_VK_STORAGE_POOL_TYPE_MAX] = {
        [VK_STORAGE_POOL_DIR] = "dir",
        [VK_STORAGE_POOL_FS] = "fs",
        [VK_STORAGE_POOL_LOGICAL] = "logical",
};

static const char *const fs_format_table[_VK_STORAGE_FS_FORMAT_MAX] = {
        [VK_STORAGE_FS_AUTO] = "auto",       [VK_STORAGE_FS_EXT2] = "ext2",
        [VK_STORAGE_FS_EXT3] = "ext3",       [VK_STORAGE_FS_EXT4] = "ext4",
        [VK_STORAGE_FS_XFS] = "xfs",         [VK_STORAGE_FS_VFAT] = "vfat",
        [VK_STORAGE_FS_ISO9660] = "iso9660", [VK_STORAGE_FS_UDF] = "udf",
};

static const char *const lvm_format_table[_VK_STORAGE_LVM_FORMAT_MAX] = {
        [VK_STORAGE_LVM_AUTO] = "auto",
        [VK_STORAGE_LVM_LVM2] = "lvm2",
};

static const char *const vol_type_table[_VK_STORAGE_VOL_TYPE_MAX] = {
        [VK_STORAGE_VOL_FILE] = "file",
        [VK_STORAGE_VOL_BLOCK] = "block",
        [VK_STORAGE_VOL_DIR] = "dir",
};

static int table_lookup(const char *const *table, int n, const char *s) {
        for (int i = 0; s && i < n; i++)
                if (table[i] && strcmp(s, table[i]) == 0)
                        return i;
        return -EINVAL;
}

static const char *table_name(const char *const *table, int n, int v) {
        if (v < 0 || v >= n)
                return NULL;
        return table[v];
}

/* "dir", "fs", "logical". */
const char *vk_storage_pool_type_to_string(VkStoragePoolType t) {
        return table_name(pool_type_table, _VK_STORAGE_POOL_TYPE_MAX, t);
}

/* The pool type named @s; _VK_STORAGE_POOL_TYPE_INVALID for any other (or NULL). */
VkStoragePoolType vk_storage_pool_type_from_string(const char *s) {
        return table_lookup(pool_type_table, _VK_STORAGE_POOL_TYPE_MAX, s);
}

/* A fs pool's <source><format type=>: "auto", "ext4", ...; NULL when out of range. */
const char *vk_storage_fs_format_to_string(VkStorageFsFormat f) {
        return table_name(fs_format_table, _VK_STORAGE_FS_FORMAT_MAX, f);
}

/* The filesystem named @s; _VK_STORAGE_FS_FORMAT_INVALID for any other (or NULL). */
VkStorageFsFormat vk_storage_fs_format_from_string(const char *s) {
        return table_lookup(fs_format_table, _VK_STORAGE_FS_FORMAT_MAX, s);
}

/* A logical pool's <source><format type=>: "auto" or "lvm2"; NULL when out of range. */
const char *vk_storage_lvm_format_to_string(VkStorageLvmFormat f) {
        return table_name(lvm_format_table, _VK_STORAGE_LVM_FORMAT_MAX, f);
}

/* "auto" or "lvm2"; _VK_STORAGE_LVM_FORMAT_INVALID for any other (or NULL). */
VkStorageLvmFormat vk_storage_lvm_format_from_string(const char *s) {
        return table_lookup(lvm_format_table, _VK_STORAGE_LVM_FORMAT_MAX, s);
}

/* <volume type=>: "file", "block", "dir"; NULL when out of range. */
const char *vk_storage_vol_type_to_string(VkStorageVolType t) {
        return table_name(vol_type_table, _VK_STORAGE_VOL_TYPE_MAX, t);
}

/* The volume type named @s; _VK_STORAGE_VOL_TYPE_INVALID for any other (or NULL). */
VkStorageVolType vk_storage_vol_type_from_string(const char *s) {
        return table_lookup(vol_type_table, _VK_STORAGE_VOL_TYPE_MAX, s);
}

/*
 * The multiplier of libvirt's size unit @unit (NULL: bytes): "b", "byte", "bytes" are 1;
 * "KB", "MB", ... "EB" powers of 1000; "k"/"KiB", "M"/"MiB", ... "E"/"EiB" powers of 1024.
 * The letter's case does not matter, as in libvirt. Returns 0, or -EINVAL for anything else.
 */
int vk_storage_unit_scale(const char *unit, uint64_t *ret_scale) {
        static const char prefixes[] = "kmgtpe";
        const char *p;
        uint64_t base, scale = 1;

        if (!unit || g_ascii_strcasecmp(unit, "b") == 0 || g_ascii_strcasecmp(unit, "byte") == 0 ||
            g_ascii_strcasecmp(unit, "bytes") == 0) {
                *ret_scale = 1;
                return 0;
        }
        p = unit[0] ? strchr(prefixes, g_ascii_tolower(unit[0])) : NULL;
        if (!p)
                return -EINVAL;
        if (unit[1] == '\0' || g_ascii_strcasecmp(unit + 1, "iB") == 0)
                base = 1024;
        else if (g_ascii_strcasecmp(unit + 1, "B") == 0)
                base = 1000;
        else
                return -EINVAL;
        for (long i = 0; i <= p - prefixes; i++)
                scale *= base;
        *ret_scale = scale;
        return 0;
}

/* Read a pool or volume document (@what names it in errors), at most VK_STORAGE_XML_MAX. */
int vk_storage_read_string(const char *xml, const char *what, xmlDoc **ret_doc, VkError *reterr) {
        if (strnlen(xml, VK_STORAGE_XML_MAX + 1) > VK_STORAGE_XML_MAX)
                return vk_error_set(reterr, VK_ERROR_LIMIT_EXCEEDED, -E2BIG,
                                    "%s: document larger than %d bytes", what, VK_STORAGE_XML_MAX);
        return vk_xml_read_string(xml, what, ret_doc, reterr);
}

/* The text of a leaf element with no attributes. */
int vk_storage_parse_text(xmlNode *node, unsigned flags, char **ret_text, VkError *reterr) {
        int r;

        r = vk_xml_check_node(node, VK_XML_NONE, NULL, reterr);
        if (r < 0)
                return r;
        return vk_xml_node_text(node, flags, ret_text, reterr);
}

/* A pool or volume name: a file name (no '/', not "." or ".."), no control characters. */
bool vk_storage_name_valid(const char *name) {
        if (vk_isempty(name) || strlen(name) > VK_STORAGE_NAME_MAX)
                return false;
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 || strchr(name, '/'))
                return false;
        for (const char *p = name; *p; p++)
                if (g_ascii_iscntrl(*p))
                        return false;
        return true;
}

/* <name>: required, a valid name. */
int vk_storage_parse_name(xmlNode *node, char **ret_name, VkError *reterr) {
        g_autofree char *name = NULL;
        int r;

        r = vk_storage_parse_text(node, VK_XML_REQUIRED, &name, reterr);
        if (r < 0)
                return r;
        if (!vk_storage_name_valid(name))
                return vk_xml_error(node, NULL, reterr,
                                    "invalid name '%s': a file name of at most %d characters, "
                                    "without '/' or control characters",
                                    name, VK_STORAGE_NAME_MAX);
        *ret_name = g_steal_pointer(&name);
        return 0;
}

/* @path with repeated and trailing slashes removed ("/a//b/" → "/a/b"); g_free(). */
char *vk_storage_path_normalize(const char *path) {
        GString *s = g_string_new(NULL);

        for (const char *p = path; *p; p++)
                if (!(*p == '/' && s->len > 0 && s->str[s->len - 1] == '/'))
                        g_string_append_c(s, *p);
        while (s->len > 1 && s->str[s->len - 1] == '/')
                g_string_truncate(s, s->len - 1);
        return g_string_free(s, FALSE);
}

/*
 * An absolute path, from attribute @attr of @node or (@attr NULL) its text; no "." or ".."
 * component, no control characters. Normalized (see vk_storage_path_normalize()).
 */
int vk_storage_parse_path(xmlNode *node, const char *attr, char **ret_path, VkError *reterr) {
        g_autofree char *s = NULL;
        g_auto(GStrv) parts = NULL;
        int r;

        if (attr)
                r = vk_xml_prop_string(node, attr, VK_XML_REQUIRED | VK_XML_NONZERO, &s, reterr);
        else
                r = vk_storage_parse_text(node, VK_XML_REQUIRED, &s, reterr);
        if (r < 0)
                return r;
        if (s[0] != '/')
                return vk_xml_error(node, attr, reterr, "path '%s' is not absolute", s);
        if (strlen(s) >= PATH_MAX)
                return vk_xml_error(node, attr, reterr, "path longer than %d characters",
                                    PATH_MAX - 1);
        for (const char *p = s; *p; p++)
                if (g_ascii_iscntrl(*p))
                        return vk_xml_error(node, attr, reterr,
                                            "path must not contain control characters");
        parts = g_strsplit(s, "/", -1);
        for (char **p = parts; *p; p++)
                if (strcmp(*p, ".") == 0 || strcmp(*p, "..") == 0)
                        return vk_xml_error(node, attr, reterr,
                                            "path '%s' must not contain '.' or '..'", s);
        *ret_path = vk_storage_path_normalize(s);
        return 0;
}

/* <capacity unit='GiB'>10</capacity>: the size in bytes (overflow is an error). */
int vk_storage_parse_size(xmlNode *node, uint64_t *ret_bytes, VkError *reterr) {
        g_autofree char *unit = NULL;
        unsigned long long v = 0;
        uint64_t scale;
        int r;

        r = vk_xml_check_node(node, VK_STRV("unit"), NULL, reterr);
        if (r < 0)
                return r;
        r = vk_xml_prop_string(node, "unit", 0, &unit, reterr);
        if (r < 0)
                return r;
        if (vk_storage_unit_scale(unit, &scale) < 0)
                return vk_xml_error(node, "unit", reterr, "unknown unit '%s'", unit);
        r = vk_xml_node_text_ulong(node, VK_XML_REQUIRED, &v, reterr);
        if (r < 0)
                return r;
        if (v > UINT64_MAX / scale)
                return vk_xml_error(node, NULL, reterr, "size %llu %s is too large", v, unit);
        *ret_bytes = (uint64_t) v * scale;
        return 0;
}

static int perms_parse_id(xmlNode *node, bool *has, unsigned *ret, VkError *reterr) {
        g_autofree char *s = NULL;
        unsigned long long v;
        int r;

        r = vk_storage_parse_text(node, VK_XML_REQUIRED, &s, reterr);
        if (r < 0)
                return r;
        if (strcmp(s, "-1") == 0) /* libvirt's "whoever runs the daemon" */
                return 0;
        if (strspn(s, "0123456789") != strlen(s) || vk_xml_parse_uint(s, UINT_MAX - 1, &v) < 0)
                return vk_xml_error(node, NULL, reterr, "invalid id '%s'", s);
        *has = true;
        *ret = (unsigned) v;
        return 0;
}

/*
 * <permissions>
 *   <mode>0755</mode> <owner>107</owner> <group>107</group> <label>system_u:..</label>
 * </permissions>
 * mode is octal; owner and group numeric ids (-1: unset, as libvirt writes it).
 */
int vk_storage_parse_perms(xmlNode *node, VkStoragePerms *perms, VkError *reterr) {
        int r;

        r = vk_xml_check_node(node, VK_XML_NONE, VK_STRV("mode", "owner", "group", "label"),
                              reterr);
        if (r < 0)
                return r;
        r = vk_xml_check_unique(node, VK_STRV("mode", "owner", "group", "label"), reterr);
        if (r < 0)
                return r;
        perms->present = true;
        for (xmlNode *c = vk_xml_first_element(node); c; c = vk_xml_next_element(c)) {
                const char *n = (const char *) c->name;

                if (strcmp(n, "mode") == 0) {
                        g_autofree char *s = NULL;
                        char *end = NULL;
                        unsigned long m;

                        r = vk_storage_parse_text(c, VK_XML_REQUIRED, &s, reterr);
                        if (r < 0)
                                return r;
                        m = strtoul(s, &end, 8);
                        if (!g_ascii_isdigit(s[0]) || *end || m > 07777)
                                return vk_xml_error(c, NULL, reterr,
                                                    "invalid mode '%s': an octal number up to "
                                                    "07777",
                                                    s);
                        perms->has_mode = true;
                        perms->mode = (unsigned) m;
                } else if (strcmp(n, "owner") == 0)
                        r = perms_parse_id(c, &perms->has_owner, &perms->owner, reterr);
                else if (strcmp(n, "group") == 0)
                        r = perms_parse_id(c, &perms->has_group, &perms->group, reterr);
                else {
                        r = vk_storage_parse_text(c, VK_XML_REQUIRED, &perms->label, reterr);
                        if (r >= 0 && strpbrk(perms->label, "\n\r\t"))
                                return vk_xml_error(c, NULL, reterr, "a label is a single line");
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Free what @perms holds and zero it (it is embedded in its owner). */
void vk_storage_perms_done(VkStoragePerms *perms) {
        g_free(perms->label);
        *perms = (VkStoragePerms){};
}

/* <NAME unit='bytes'>N</NAME>: sizes are always written in bytes. */
void vk_storage_format_size(VkXmlWriter *w, const char *name, uint64_t bytes) {
        char buf[32];

        vk_xml_writer_start(w, name);
        vk_xml_writer_attr(w, "unit", "bytes");
        g_snprintf(buf, sizeof(buf), "%" G_GUINT64_FORMAT, bytes);
        vk_xml_writer_text(w, buf);
        vk_xml_writer_end(w);
}

/* <permissions> with the parts that are set (mode in octal); nothing when absent. */
void vk_storage_format_perms(VkXmlWriter *w, const VkStoragePerms *perms) {
        char buf[32];

        if (!perms->present)
                return;
        vk_xml_writer_start(w, "permissions");
        if (perms->has_mode) {
                g_snprintf(buf, sizeof(buf), "%04o", perms->mode);
                vk_xml_writer_text_element(w, "mode", buf);
        }
        if (perms->has_owner) {
                g_snprintf(buf, sizeof(buf), "%u", perms->owner);
                vk_xml_writer_text_element(w, "owner", buf);
        }
        if (perms->has_group) {
                g_snprintf(buf, sizeof(buf), "%u", perms->group);
                vk_xml_writer_text_element(w, "group", buf);
        }
        vk_xml_writer_text_element(w, "label", perms->label);
        vk_xml_writer_end(w);
}
