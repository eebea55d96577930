/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* storage-vol-def.c: libvirt's storage volume XML: parse and format */
#include <assert.h>
#include <string.h>

#include "macro.h"
#include "storage-def-internal.h"

/* An empty volume definition (format raw until given); free with _free(). */
VkStorageVolDef *vk_storage_vol_def_new(void) {
        VkStorageVolDef *def = g_new0(VkStorageVolDef, 1);

        def->format = VK_IMAGE_FORMAT_RAW;
        def->backing_format = VK_IMAGE_FORMAT_RAW;
        return def;
}

/* Free @def and what it owns; takes NULL; returns NULL. */
VkStorageVolDef *vk_storage_vol_def_free(VkStorageVolDef *def) {
        if (!def)
                return NULL;
        g_free(def->name);
        g_free(def->key);
        g_free(def->path);
        vk_storage_perms_done(&def->perms);
        g_free(def->compat);
        g_free(def->encryption.secret_usage);
        g_free(def->backing_path);
        g_free(def->warning);
        g_free(def);
        return NULL;
}

/* <format type='qcow2'/> */
static int vol_parse_format(xmlNode *node, VkImageFormat *ret, VkError *reterr) {
        g_autofree char *s = NULL;
        int r, f;

        r = vk_xml_check_node(node, VK_STRV("type"), VK_XML_NONE, reterr);
        if (r < 0)
                return r;
        r = vk_xml_prop_string(node, "type", VK_XML_REQUIRED, &s, reterr);
        if (r < 0)
                return r;
        f = vk_image_format_from_string(s);
        if (f < 0)
                return vk_xml_error(node, "type", reterr, "unsupported volume format '%s'", s);
        *ret = f;
        return 0;
}

/* <encryption format='luks'><secret type='passphrase' uuid='..'/></encryption> */
static int vol_parse_encryption(VkStorageVolDef *def, xmlNode *node, VkError *reterr) {
        g_autofree char *format = NULL, *type = NULL, *uuid = NULL;
        xmlNode *c;
        int r;

        r = vk_xml_check_node(node, VK_STRV("format"), VK_STRV("secret"), reterr);
        if (r < 0)
                return r;
        r = vk_xml_check_unique(node, VK_STRV("secret"), reterr);
        if (r < 0)
                return r;
        r = vk_xml_prop_string(node, "format", VK_XML_REQUIRED, &format, reterr);
        if (r < 0)
                return r;
        if (strcmp(format, "luks") != 0)
                return vk_xml_error(node, "format", reterr,
                                    "unsupported encryption format '%s' (only 'luks')", format);
        c = vk_xml_child(node, "secret");
        if (!c)
                return vk_xml_error(node, NULL, reterr, "missing element <secret>");
        r = vk_xml_check_node(c, VK_STRV("type", "uuid", "usage"), VK_XML_NONE, reterr);
        if (r < 0)
                return r;
        r = vk_xml_prop_string(c, "type", VK_XML_REQUIRED, &type, reterr);
        if (r < 0)
                return r;
        if (strcmp(type, "passphrase") != 0)
                return vk_xml_error(c, "type", reterr,
                                    "unsupported secret type '%s' (only 'passphrase')", type);
        r = vk_xml_prop_string(c, "uuid", 0, &uuid, reterr);
        if (r < 0)
                return r;
        r = vk_xml_prop_string(c, "usage", VK_XML_NONZERO, &def->encryption.secret_usage, reterr);
        if (r < 0)
                return r;
        if (!uuid == !def->encryption.secret_usage)
                return vk_xml_error(c, NULL, reterr, "give exactly one of 'uuid' and 'usage'");
        if (uuid && (vk_uuid_parse(uuid, &def->encryption.secret_uuid) < 0 ||
                     vk_uuid_is_null(&def->encryption.secret_uuid)))
                return vk_xml_error(c, "uuid", reterr, "invalid UUID '%s'", uuid);
        def->encryption.present = true;
        return 0;
}

/* <features><lazy_refcounts/></features> */
static int vol_parse_features(VkStorageVolDef *def, xmlNode *node, VkError *reterr) {
        int r;

        r = vk_xml_check_node(node, VK_XML_NONE, VK_STRV("lazy_refcounts"), reterr);
        if (r < 0)
                return r;
        r = vk_xml_check_unique(node, VK_STRV("lazy_refcounts"), reterr);
        if (r < 0)
                return r;
        for (xmlNode *c = vk_xml_first_element(node); c; c = vk_xml_next_element(c)) {
                r = vk_xml_check_node(c, VK_XML_NONE, VK_XML_NONE, reterr);
                if (r < 0)
                        return r;
                def->lazy_refcounts = true;
        }
        return 0;
}

/* <timestamps><atime>..</atime>..</timestamps>: output only, accepted and not kept. */
static int vol_parse_timestamps(xmlNode *node, VkError *reterr) {
        return vk_xml_check_node(node, VK_XML_NONE, VK_STRV("atime", "mtime", "ctime", "btime"),
                                 reterr);
}

#define VOL_TARGET_CHILDREN                                                                        \
        "path", "format", "permissions", "timestamps", "compat", "clusterSize", "nocow",           \
                "features", "encryption"

/*
 * <target>
 *   <path>/var/lib/virtkit/images/a.qcow2</path>   set by the pool on create
 *   <format type='qcow2'/> <permissions>..</permissions>
 *   <compat>1.1</compat> <clusterSize unit='KiB'>64</clusterSize> <nocow/>
 *   <features><lazy_refcounts/></features>
 *   <encryption format='luks'>..</encryption>
 * </target>
 */
static int vol_parse_target(VkStorageVolDef *def, xmlNode *node, VkError *reterr) {
        int r;

        r = vk_xml_check_node(node, VK_XML_NONE, VK_STRV(VOL_TARGET_CHILDREN), reterr);
        if (r < 0)
                return r;
        r = vk_xml_check_unique(node, VK_STRV(VOL_TARGET_CHILDREN), reterr);
        if (r < 0)
                return r;
        for (xmlNode *c = vk_xml_first_element(node); c; c = vk_xml_next_element(c)) {
                const char *n = (const char *) c->name;

                if (strcmp(n, "path") == 0)
                        r = vk_storage_parse_path(c, NULL, &def->path, reterr);
                else if (strcmp(n, "format") == 0) {
                        r = vol_parse_format(c, &def->format, reterr);
                        def->has_format = true;
                } else if (strcmp(n, "permissions") == 0)
                        r = vk_storage_parse_perms(c, &def->perms, reterr);
                else if (strcmp(n, "timestamps") == 0)
                        r = vol_parse_timestamps(c, reterr);
                else if (strcmp(n, "compat") == 0) {
                        r = vk_storage_parse_text(c, VK_XML_REQUIRED, &def->compat, reterr);
                        if (r >= 0 && strcmp(def->compat, "0.10") != 0 &&
                            strcmp(def->compat, "1.1") != 0)
                                return vk_xml_error(c, NULL, reterr,
                                                    "unsupported compat '%s' (0.10 or 1.1)",
                                                    def->compat);
                } else if (strcmp(n, "clusterSize") == 0) {
                        r = vk_storage_parse_size(c, &def->cluster_size, reterr);
                        if (r >= 0 && (def->cluster_size < 512 || def->cluster_size > 2 << 20 ||
                                       (def->cluster_size & (def->cluster_size - 1))))
                                return vk_xml_error(c, NULL, reterr,
                                                    "cluster size %" G_GUINT64_FORMAT
                                                    " is not a power of two from 512 to 2 MiB",
                                                    def->cluster_size);
                } else if (strcmp(n, "nocow") == 0) {
                        r = vk_xml_check_node(c, VK_XML_NONE, VK_XML_NONE, reterr);
                        def->nocow = true;
                } else if (strcmp(n, "features") == 0)
                        r = vol_parse_features(def, c, reterr);
                else
                        r = vol_parse_encryption(def, c, reterr);
                if (r < 0)
                        return r;
        }
        return 0;
}

/*
 * <backingStore><path>/var/lib/virtkit/images/base.qcow2</path><format type='qcow2'/>
 * </backingStore>; <permissions> there is output only (the backing file's), not kept. The
 * path is absolute, or a network store ("nbd://..") as an existing image may name one.
 */
static int vol_parse_backing(VkStorageVolDef *def, xmlNode *node, VkError *reterr) {
        VkStoragePerms ignored = {};
        xmlNode *c;
        int r;

        r = vk_xml_check_node(node, VK_XML_NONE, VK_STRV("path", "format", "permissions"), reterr);
        if (r < 0)
                return r;
        r = vk_xml_check_unique(node, VK_STRV("path", "format", "permissions"), reterr);
        if (r < 0)
                return r;
        c = vk_xml_child(node, "path");
        if (!c)
                return vk_xml_error(node, NULL, reterr, "missing element <path>");
        r = vk_storage_parse_text(c, VK_XML_REQUIRED, &def->backing_path, reterr);
        if (r < 0)
                return r;
        /* what a refresh found in an image's header may name a network store, kept as is */
        if (!vk_image_backing_is_remote(def->backing_path)) {
                g_clear_pointer(&def->backing_path, g_free);
                r = vk_storage_parse_path(c, NULL, &def->backing_path, reterr);
                if (r < 0)
                        return r;
        }
        c = vk_xml_child(node, "format");
        if (c) {
                r = vol_parse_format(c, &def->backing_format, reterr);
                if (r < 0)
                        return r;
                def->has_backing_format = true;
        }
        c = vk_xml_child(node, "permissions");
        if (c) {
                r = vk_storage_parse_perms(c, &ignored, reterr);
                vk_storage_perms_done(&ignored);
        }
        return r < 0 ? r : 0;
}

#define VOL_CHILDREN                                                                               \
        "name", "key", "source", "capacity", "allocation", "physical", "target", "backingStore"

/*
 * <volume type='file'>                       type=: output only (file, block, dir)
 *   <name>a.qcow2</name>                     required
 *   <key>..</key>                            output only
 *   <capacity unit='G'>10</capacity>         needed to create
 *   <allocation unit='bytes'>0</allocation>
 *   <target>..</target> <backingStore>..</backingStore>
 * </volume>
 * The output-only <source/> (empty), <physical> and <timestamps> of libvirt's vol-dumpxml are
 * accepted and not kept: they describe the file, and are read again from it.
 */
static int vol_def_parse_root(xmlNode *root, VkStorageVolDef **ret_def, VkError *reterr) {
        g_autoptr(VkStorageVolDef) def = vk_storage_vol_def_new();
        int r;

        if (!vk_xml_node_is(root, NULL, "volume"))
                return vk_xml_error(root, NULL, reterr, "expected the root element <volume>");
        r = vk_xml_check_node(root, VK_STRV("type"), VK_STRV(VOL_CHILDREN), reterr);
        if (r < 0)
                return r;
        r = vk_xml_check_unique(root, VK_STRV(VOL_CHILDREN), reterr);
        if (r < 0)
                return r;
        r = vk_xml_prop_enum(root, "type", vk_storage_vol_type_from_string, 0, &def->type, reterr);
        if (r < 0)
                return r;
        def->has_type = r > 0;

        for (xmlNode *c = vk_xml_first_element(root); c; c = vk_xml_next_element(c)) {
                const char *n = (const char *) c->name;
                uint64_t ignored;

                if (strcmp(n, "name") == 0)
                        r = vk_storage_parse_name(c, &def->name, reterr);
                else if (strcmp(n, "key") == 0)
                        r = vk_storage_parse_text(c, VK_XML_REQUIRED, &def->key, reterr);
                else if (strcmp(n, "source") == 0)
                        r = vk_xml_check_node(c, VK_XML_NONE, VK_XML_NONE, reterr);
                else if (strcmp(n, "capacity") == 0) {
                        r = vk_storage_parse_size(c, &def->capacity, reterr);
                        def->has_capacity = true;
                } else if (strcmp(n, "allocation") == 0) {
                        r = vk_storage_parse_size(c, &def->allocation, reterr);
                        def->has_allocation = true;
                } else if (strcmp(n, "physical") == 0)
                        r = vk_storage_parse_size(c, &ignored, reterr);
                else if (strcmp(n, "target") == 0)
                        r = vol_parse_target(def, c, reterr);
                else
                        r = vol_parse_backing(def, c, reterr);
                if (r < 0)
                        return r;
        }
        if (!def->name)
                return vk_xml_error(root, NULL, reterr, "missing element <name>");
        *ret_def = g_steal_pointer(&def);
        return 0;
}

/*
 * Parse a storage volume XML document (see vol_def_parse_root()), strictly: an unknown
 * element or attribute or a bad value is an InvalidXML error naming its path. What creating
 * needs is checked by vk_storage_vol_def_check_new(). Returns 0 with *@ret_def owned by the
 * caller.
 */
int vk_storage_vol_def_parse_string(const char *xml, VkStorageVolDef **ret_def, VkError *reterr) {
        g_autoptr(xmlDoc) doc = NULL;
        int r;

        assert(xml);
        assert(ret_def);

        r = vk_storage_read_string(xml, "volume XML", &doc, reterr);
        if (r < 0)
                return r;
        return vol_def_parse_root(xmlDocGetRootElement(doc), ret_def, reterr);
}

static void vol_format_format(VkXmlWriter *w, VkImageFormat f) {
        vk_xml_writer_start(w, "format");
        vk_xml_writer_attr(w, "type", vk_image_format_to_string(f));
        vk_xml_writer_end(w);
}

static void vol_format_target(VkXmlWriter *w, const VkStorageVolDef *def) {
        char uuid[VK_UUID_STRING_MAX];

        vk_xml_writer_start(w, "target");
        vk_xml_writer_text_element(w, "path", def->path);
        if (def->has_format)
                vol_format_format(w, def->format);
        vk_storage_format_perms(w, &def->perms);
        vk_xml_writer_text_element(w, "compat", def->compat);
        if (def->cluster_size)
                vk_storage_format_size(w, "clusterSize", def->cluster_size);
        if (def->nocow) {
                vk_xml_writer_start(w, "nocow");
                vk_xml_writer_end(w);
        }
        if (def->lazy_refcounts) {
                vk_xml_writer_start(w, "features");
                vk_xml_writer_start(w, "lazy_refcounts");
                vk_xml_writer_end(w);
                vk_xml_writer_end(w);
        }
        if (def->encryption.present) {
                vk_xml_writer_start(w, "encryption");
                vk_xml_writer_attr(w, "format", "luks");
                vk_xml_writer_start(w, "secret");
                vk_xml_writer_attr(w, "type", "passphrase");
                if (def->encryption.secret_usage)
                        vk_xml_writer_attr(w, "usage", def->encryption.secret_usage);
                else
                        vk_xml_writer_attr(w, "uuid",
                                           vk_uuid_format(&def->encryption.secret_uuid, uuid));
                vk_xml_writer_end(w);
                vk_xml_writer_end(w);
        }
        vk_xml_writer_end(w);
}

/* The volume as libvirt's volume XML (sizes in bytes); the caller g_free()s it. */
char *vk_storage_vol_def_format(const VkStorageVolDef *def) {
        g_auto(VkXmlWriter) w;

        assert(def);
        vk_xml_writer_init(&w);
        vk_xml_writer_start(&w, "volume");
        if (def->has_type)
                vk_xml_writer_attr(&w, "type", vk_storage_vol_type_to_string(def->type));
        vk_xml_writer_text_element(&w, "name", def->name);
        vk_xml_writer_text_element(&w, "key", def->key);
        if (def->has_capacity)
                vk_storage_format_size(&w, "capacity", def->capacity);
        if (def->has_allocation)
                vk_storage_format_size(&w, "allocation", def->allocation);
        vol_format_target(&w, def);
        if (def->backing_path) {
                vk_xml_writer_start(&w, "backingStore");
                vk_xml_writer_text_element(&w, "path", def->backing_path);
                if (def->has_backing_format)
                        vol_format_format(&w, def->backing_format);
                vk_xml_writer_end(&w);
        }
        vk_xml_writer_end(&w);
        return vk_xml_writer_steal(&w);
}
