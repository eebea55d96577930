/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* secret-def.c: libvirt's secret XML: the definition model, parse and format */
#include <assert.h>
#include <string.h>

#include "macro.h"
#include "secret-def.h"
#include "xml.h"

static const char *const usage_type_table[_VK_SECRET_USAGE_MAX] = {
        [VK_SECRET_USAGE_NONE] = "none", [VK_SECRET_USAGE_VOLUME] = "volume",
        [VK_SECRET_USAGE_CEPH] = "ceph", [VK_SECRET_USAGE_ISCSI] = "iscsi",
        [VK_SECRET_USAGE_TLS] = "tls",   [VK_SECRET_USAGE_VTPM] = "vtpm",
};

/* The element inside <usage type='...'> that holds the usage id, per type. */
static const char *const usage_child_table[_VK_SECRET_USAGE_MAX] = {
        [VK_SECRET_USAGE_NONE] = NULL,   [VK_SECRET_USAGE_VOLUME] = "volume",
        [VK_SECRET_USAGE_CEPH] = "name", [VK_SECRET_USAGE_ISCSI] = "target",
        [VK_SECRET_USAGE_TLS] = "name",  [VK_SECRET_USAGE_VTPM] = "name",
};

/* "none", "volume", "ceph", "iscsi", "tls", "vtpm"; NULL for an invalid value. */
const char *vk_secret_usage_type_to_string(VkSecretUsageType t) {
        if (t < 0 || t >= _VK_SECRET_USAGE_MAX)
                return NULL;
        return usage_type_table[t];
}

/* The inverse of vk_secret_usage_type_to_string(); _VK_SECRET_USAGE_INVALID otherwise. */
VkSecretUsageType vk_secret_usage_type_from_string(const char *s) {
        for (int i = 0; s && i < _VK_SECRET_USAGE_MAX; i++)
                if (strcmp(s, usage_type_table[i]) == 0)
                        return (VkSecretUsageType) i;
        return _VK_SECRET_USAGE_INVALID;
}

/* The XML knows only real usages: "none" is the absence of <usage>, never a type='none'. */
static int secret_usage_type_from_xml(const char *s) {
        VkSecretUsageType t = vk_secret_usage_type_from_string(s);

        return t == VK_SECRET_USAGE_NONE ? _VK_SECRET_USAGE_INVALID : (int) t;
}

static void (*secret_random_source)(void *buf, size_t len);

/*
 * Replace the source of the random bytes a generated <uuid> is made of (NULL: getrandom()).
 * For the golden tests, which need the same UUID every run.
 */
void vk_secret_def_set_random_source(void (*fill)(void *buf, size_t len)) {
        secret_random_source = fill;
}

static int secret_def_generate_uuid(VkUuid *ret_uuid) {
        VkUuid u;

        if (!secret_random_source)
                return vk_uuid_generate(ret_uuid);

        secret_random_source(u.bytes, sizeof(u.bytes));
        u.bytes[6] = (u.bytes[6] & 0x0f) | 0x40; /* version 4 */
        u.bytes[8] = (u.bytes[8] & 0x3f) | 0x80; /* variant 10xx */
        *ret_uuid = u;
        return 0;
}

/* A new empty definition (no usage, not ephemeral, not private, null UUID). */
VkSecretDef *vk_secret_def_new(void) {
        VkSecretDef *def = g_new0(VkSecretDef, 1);

        def->usage_type = VK_SECRET_USAGE_NONE;
        return def;
}

/* Free @def and what it owns; takes NULL; returns NULL. */
VkSecretDef *vk_secret_def_free(VkSecretDef *def) {
        if (!def)
                return NULL;
        g_free(def->description);
        g_free(def->usage_id);
        g_free(def);
        return NULL;
}

/* A deep copy of @def; the caller owns it. */
VkSecretDef *vk_secret_def_copy(const VkSecretDef *def) {
        VkSecretDef *c = g_new0(VkSecretDef, 1);

        assert(def);
        *c = *def;
        c->description = g_strdup(def->description);
        c->usage_id = g_strdup(def->usage_id);
        return c;
}

/*
 * <usage type='volume'><volume>/var/lib/images/a.img</volume></usage>
 * <usage type='ceph'><name>client.admin secret</name></usage>
 * <usage type='iscsi'><target>libvirtiscsi</target></usage>
 * <usage type='tls'><name>tls_example</name></usage>
 * <usage type='vtpm'><name>vtpm_example</name></usage>
 */
static int secret_def_parse_usage(xmlNode *usage, VkSecretDef *def, VkError *reterr) {
        const char *child_name;
        xmlNode *child;
        VkSecretUsageType type;
        char *id = NULL;
        int r;

        r = vk_xml_prop_enum(usage, "type", secret_usage_type_from_xml, VK_XML_REQUIRED, &type,
                             reterr);
        if (r < 0)
                return r;
        child_name = usage_child_table[type];

        r = vk_xml_check_node(usage, VK_STRV("type"), VK_STRV(child_name), reterr);
        if (r < 0)
                return r;
        r = vk_xml_check_unique(usage, VK_STRV(child_name), reterr);
        if (r < 0)
                return r;

        child = vk_xml_child(usage, child_name);
        if (!child)
                return vk_xml_error(usage, NULL, reterr, "missing element <%s> for type '%s'",
                                    child_name, usage_type_table[type]);
        r = vk_xml_check_node(child, VK_XML_NONE, NULL, reterr);
        if (r < 0)
                return r;
        r = vk_xml_node_text(child, VK_XML_REQUIRED, &id, reterr);
        if (r < 0)
                return r;
        if (type == VK_SECRET_USAGE_VOLUME && id[0] != '/') {
                r = vk_xml_error(child, NULL, reterr, "'%s' is not an absolute path", id);
                g_free(id);
                return r;
        }

        def->usage_type = type;
        def->usage_id = id;
        return 0;
}

/*
 * <secret ephemeral='no' private='yes'>
 *   <uuid>0a81f5b2-8403-7b23-c8d6-21ccc2f80d6f</uuid>       optional: generated when absent
 *   <description>LUKS passphrase of the mail server</description>  optional
 *   <usage type='volume'>                                    optional
 *     <volume>/var/lib/virtkit/images/mail.img</volume>
 *   </usage>
 * </secret>
 */
static int secret_def_parse_root(xmlNode *root, VkSecretDef **ret_def, VkError *reterr) {
        g_autoptr(VkSecretDef) def = vk_secret_def_new();
        VkTristate ephemeral = VK_TRISTATE_ABSENT, priv = VK_TRISTATE_ABSENT;
        xmlNode *n;
        int r;

        if (!vk_xml_node_is(root, NULL, "secret"))
                return vk_xml_error(root, NULL, reterr, "expected the root element <secret>");

        r = vk_xml_check_node(root, VK_STRV("ephemeral", "private"),
                              VK_STRV("uuid", "description", "usage"), reterr);
        if (r < 0)
                return r;
        r = vk_xml_check_unique(root, VK_STRV("uuid", "description", "usage"), reterr);
        if (r < 0)
                return r;

        r = vk_xml_prop_tristate_bool(root, "ephemeral", 0, &ephemeral, reterr);
        if (r < 0)
                return r;
        r = vk_xml_prop_tristate_bool(root, "private", 0, &priv, reterr);
        if (r < 0)
                return r;
        def->ephemeral = ephemeral == VK_TRISTATE_YES;
        def->is_private = priv == VK_TRISTATE_YES;

        n = vk_xml_child(root, "uuid");
        if (n) {
                g_autofree char *text = NULL;

                r = vk_xml_check_node(n, VK_XML_NONE, NULL, reterr);
                if (r < 0)
                        return r;
                r = vk_xml_node_text(n, VK_XML_REQUIRED, &text, reterr);
                if (r < 0)
                        return r;
                if (vk_uuid_parse(text, &def->uuid) < 0)
                        return vk_xml_error(n, NULL, reterr, "invalid UUID '%s'", text);
                if (vk_uuid_is_null(&def->uuid))
                        return vk_xml_error(n, NULL, reterr, "the null UUID is not allowed");
        } else {
                r = secret_def_generate_uuid(&def->uuid);
                if (r < 0)
                        return vk_error_set_errno(reterr, r, "Failed to generate a UUID");
        }

        n = vk_xml_child(root, "description");
        if (n) {
                r = vk_xml_check_node(n, VK_XML_NONE, NULL, reterr);
                if (r < 0)
                        return r;
                r = vk_xml_node_text(n, 0, &def->description, reterr);
                if (r < 0)
                        return r;
        }

        n = vk_xml_child(root, "usage");
        if (n) {
                r = secret_def_parse_usage(n, def, reterr);
                if (r < 0)
                        return r;
        }

        *ret_def = g_steal_pointer(&def);
        return 0;
}

/*
 * Parse a secret XML document (see secret_def_parse_root() for the accepted form), strictly:
 * an unknown element or attribute, a bad value or a missing usage id is an InvalidXML error
 * naming its path ("/secret/usage/@type: unsupported value 'x'"). A missing <uuid> is
 * generated. Documents above VK_SECRET_XML_MAX bytes are refused (LimitExceeded). Returns 0
 * with *@ret_def owned by the caller, or a negative errno with @reterr set.
 */
int vk_secret_def_parse_string(const char *xml, VkSecretDef **ret_def, VkError *reterr) {
        g_autoptr(xmlDoc) doc = NULL;
        int r;

        assert(xml);
        assert(ret_def);

        if (strnlen(xml, VK_SECRET_XML_MAX + 1) > VK_SECRET_XML_MAX)
                return vk_error_set(reterr, VK_ERROR_LIMIT_EXCEEDED, -E2BIG,
                                    "secret XML: document larger than %d bytes", VK_SECRET_XML_MAX);
        r = vk_xml_read_string(xml, "secret XML", &doc, reterr);
        if (r < 0)
                return r;
        return secret_def_parse_root(xmlDocGetRootElement(doc), ret_def, reterr);
}

/* Like vk_secret_def_parse_string(), from the file @path (messages name the path). */
int vk_secret_def_parse_file(const char *path, VkSecretDef **ret_def, VkError *reterr) {
        g_autoptr(xmlDoc) doc = NULL;
        int r;

        assert(path);
        assert(ret_def);

        r = vk_xml_read_file(path, &doc, reterr);
        if (r < 0)
                return r;
        return secret_def_parse_root(xmlDocGetRootElement(doc), ret_def, reterr);
}

/*
 * Format @def as libvirt does, with both attributes always written and a fixed element order
 * (uuid, description, usage), so the output is stable and parses back to the same model.
 * Returns a new string (g_free).
 */
char *vk_secret_def_format(const VkSecretDef *def) {
        g_auto(VkXmlWriter) w = {};
        char uuid[VK_UUID_STRING_MAX];

        assert(def);

        vk_xml_writer_init(&w);
        vk_xml_writer_start(&w, "secret");
        vk_xml_writer_attr(&w, "ephemeral", def->ephemeral ? "yes" : "no");
        vk_xml_writer_attr(&w, "private", def->is_private ? "yes" : "no");
        vk_xml_writer_text_element(&w, "uuid", vk_uuid_format(&def->uuid, uuid));
        vk_xml_writer_text_element(&w, "description", def->description);
        if (def->usage_type > VK_SECRET_USAGE_NONE && def->usage_type < _VK_SECRET_USAGE_MAX) {
                vk_xml_writer_start(&w, "usage");
                vk_xml_writer_attr(&w, "type", usage_type_table[def->usage_type]);
                vk_xml_writer_text_element(&w, usage_child_table[def->usage_type],
                                           vk_strempty(def->usage_id));
                vk_xml_writer_end(&w);
        }
        vk_xml_writer_end(&w);
        return vk_xml_writer_steal(&w);
}
