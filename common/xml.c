/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* xml.c: libxml2 helpers shared by every XML parser and formatter (safe reading, typed props) */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "macro.h"
#include "xml.h"

static const char *const tristate_bool_table[_VK_TRISTATE_MAX] = {
        [VK_TRISTATE_ABSENT] = NULL,
        [VK_TRISTATE_YES] = "yes",
        [VK_TRISTATE_NO] = "no",
};

static const char *const tristate_switch_table[_VK_TRISTATE_MAX] = {
        [VK_TRISTATE_ABSENT] = NULL,
        [VK_TRISTATE_YES] = "on",
        [VK_TRISTATE_NO] = "off",
};

static VkTristate xml_tristate_lookup(const char *const *table, const char *s) {
        if (!s)
                return _VK_TRISTATE_INVALID;
        for (int i = 1; i < _VK_TRISTATE_MAX; i++)
                if (strcmp(table[i], s) == 0)
                        return i;
        return _VK_TRISTATE_INVALID;
}

/* "yes"/"no" for a set tristate, NULL for VK_TRISTATE_ABSENT or an invalid value. */
const char *vk_tristate_bool_to_string(VkTristate v) {
        if (v < 0 || v >= _VK_TRISTATE_MAX)
                return NULL;
        return tristate_bool_table[v];
}

/* Parse "yes"/"no"; anything else (including NULL) is _VK_TRISTATE_INVALID. */
VkTristate vk_tristate_bool_from_string(const char *s) {
        return xml_tristate_lookup(tristate_bool_table, s);
}

/* "on"/"off" for a set tristate, NULL for VK_TRISTATE_ABSENT or an invalid value. */
const char *vk_tristate_switch_to_string(VkTristate v) {
        if (v < 0 || v >= _VK_TRISTATE_MAX)
                return NULL;
        return tristate_switch_table[v];
}

/* Parse "on"/"off"; anything else (including NULL) is _VK_TRISTATE_INVALID. */
VkTristate vk_tristate_switch_from_string(const char *s) {
        return xml_tristate_lookup(tristate_switch_table, s);
}

/* ---- reading ---------------------------------------------------------------------------- */

static int xml_check_doc(xmlDoc *doc, const char *what, VkError *reterr) {
        xmlNode *root;

        /*
         * A DOCTYPE can declare entities; we never substitute them, but a document carrying
         * one is not something any of our formats uses, so refuse it outright.
         */
        if (doc->intSubset || doc->extSubset)
                return vk_error_set(reterr, VK_ERROR_INVALID_XML, -EINVAL,
                                    "%s: a document type declaration is not allowed", what);

        root = xmlDocGetRootElement(doc);
        if (!root)
                return vk_error_set(reterr, VK_ERROR_INVALID_XML, -EINVAL, "%s: no root element",
                                    what);
        return 0;
}

/* Skip from @p past the first @end; NULL when the text ends first. */
static const char *xml_scan_past(const char *p, const char *end, unsigned *line) {
        size_t n = strlen(end);

        for (; *p; p++) {
                if (*p == '\n')
                        (*line)++;
                if (strncmp(p, end, n) == 0)
                        return p + n;
        }
        return NULL;
}

static int xml_too_many_nodes(const char *what, unsigned line, VkError *reterr) {
        return vk_error_set(reterr, VK_ERROR_LIMIT_EXCEEDED, -E2BIG,
                            "%s:%u: more than %d nodes (elements and attributes)", what, line,
                            VK_XML_NODES_MAX);
}

/*
 * Check @xml against the attribute, node and depth limits in one linear pass, before
 * libxml2 sees it: libxml2 checks attribute names for duplicates in quadratic time (100,000
 * attributes on one element took 40 s). The pass only counts (tags, quoted values, comments,
 * processing instructions, CDATA); what it skips over loosely, libxml2 rejects afterwards.
 */
static int xml_check_limits(const char *xml, const char *what, VkError *reterr) {
        unsigned line = 1, depth = 0, nodes = 0;

        for (const char *p = xml; p && *p;) {
                const char *name;
                unsigned attrs = 0;
                int name_len;

                if (*p != '<') {
                        if (*p == '\n')
                                line++;
                        p++;
                        continue;
                }
                if (strncmp(p, "<!--", 4) == 0) {
                        p = xml_scan_past(p + 4, "-->", &line);
                        continue;
                }
                if (strncmp(p, "<![CDATA[", 9) == 0) {
                        p = xml_scan_past(p + 9, "]]>", &line);
                        continue;
                }
                if (p[1] == '?') {
                        p = xml_scan_past(p + 2, "?>", &line);
                        continue;
                }
                if (p[1] == '!') /* the rest of "<!": DOCTYPE and its declarations */
                        return vk_error_set(reterr, VK_ERROR_INVALID_XML, -EINVAL,
                                            "%s: a document type declaration is not allowed", what);
                if (p[1] == '/') {
                        if (depth > 0)
                                depth--;
                        p = xml_scan_past(p + 2, ">", &line);
                        continue;
                }

                /* a start tag: its name, then attributes (name="value" or name='value') */
                name = ++p;
                while (*p && !strchr(" \t\r\n/>", *p))
                        p++;
                name_len = (int) MIN(p - name, 64);
                if (++nodes > VK_XML_NODES_MAX)
                        return xml_too_many_nodes(what, line, reterr);
                if (++depth > VK_XML_DEPTH_MAX)
                        return vk_error_set(reterr, VK_ERROR_LIMIT_EXCEEDED, -E2BIG,
                                            "%s:%u: element <%.*s> nested deeper than %d levels",
                                            what, line, name_len, name, VK_XML_DEPTH_MAX);
                for (; *p && *p != '>'; p++) {
                        if (*p == '\n')
                                line++;
                        else if (*p == '"' || *p == '\'') {
                                const char *q = strchr(p + 1, *p);

                                for (const char *n = p; q && (n = memchr(n + 1, '\n', q - n));)
                                        line++;
                                p = q ? q : p + strlen(p) - 1;
                        } else if (*p == '=' && ++nodes > VK_XML_NODES_MAX)
                                return xml_too_many_nodes(what, line, reterr);
                        else if (*p == '=' && ++attrs > VK_XML_ATTRS_MAX)
                                return vk_error_set(reterr, VK_ERROR_LIMIT_EXCEEDED, -E2BIG,
                                                    "%s:%u: element <%.*s> has more than %d "
                                                    "attributes",
                                                    what, line, name_len, name, VK_XML_ATTRS_MAX);
                        else if (*p == '/' && p[1] == '>')
                                depth--; /* an empty element */
                }
        }
        return 0;
}

/*
 * Parse @xml (NUL-terminated, at most VK_XML_SIZE_MAX bytes) into a document. @url names the
 * document in messages (NULL: "XML"). No network, no DTD loading, no entity substitution; at
 * most VK_XML_ATTRS_MAX attributes per element, VK_XML_NODES_MAX elements and attributes, and
 * VK_XML_DEPTH_MAX levels (LimitExceeded, naming the limit and the line).
 * A syntax error becomes InvalidXML "<url>:<line>: <libxml2 message>". On success the caller
 * owns *ret_doc (free with xmlFreeDoc, or g_autoptr(xmlDoc)).
 */
int vk_xml_read_string(const char *xml, const char *url, xmlDoc **ret_doc, VkError *reterr) {
        xmlParserCtxt *ctxt;
        xmlDoc *doc;
        const char *what = url ? url : "XML";
        size_t len;
        int r;

        assert(xml);
        assert(ret_doc);

        len = strnlen(xml, VK_XML_SIZE_MAX + 1);
        if (len > VK_XML_SIZE_MAX)
                return vk_error_set(reterr, VK_ERROR_LIMIT_EXCEEDED, -E2BIG,
                                    "%s: document larger than %d bytes", what, VK_XML_SIZE_MAX);
        if (len == 0)
                return vk_error_set(reterr, VK_ERROR_INVALID_XML, -EINVAL, "%s: empty document",
                                    what);

        r = xml_check_limits(xml, what, reterr);
        if (r < 0)
                return r;

        ctxt = xmlNewParserCtxt();
        if (!ctxt)
                return -ENOMEM;

        doc = xmlCtxtReadMemory(ctxt, xml, (int) len, url, NULL,
                                XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
                                        XML_PARSE_NOCDATA);
        if (!doc || !ctxt->wellFormed) {
                const xmlError *e = xmlCtxtGetLastError(ctxt);
                g_autofree char *msg = NULL;

                if (e && e->message) {
                        msg = g_strdup(e->message);
                        g_strchomp(msg);
                }
                r = vk_error_set(reterr, VK_ERROR_INVALID_XML, -EINVAL, "%s:%d: %s", what,
                                 e ? e->line : 0, msg ? msg : "malformed document");
                xmlFreeDoc(doc);
                xmlFreeParserCtxt(ctxt);
                return r;
        }
        xmlFreeParserCtxt(ctxt);

        r = xml_check_doc(doc, what, reterr);
        if (r < 0) {
                xmlFreeDoc(doc);
                return r;
        }

        *ret_doc = doc;
        return 0;
}

/*
 * Read and parse the file at @path like vk_xml_read_string(), the path naming the document.
 * A file larger than VK_XML_SIZE_MAX is refused before it is read whole.
 */
int vk_xml_read_file(const char *path, xmlDoc **ret_doc, VkError *reterr) {
        g_autofree char *contents = NULL;
        g_autoptr(GError) gerr = NULL;
        vk_autofd fd = -1;
        struct stat st;
        gsize len;

        assert(path);
        assert(ret_doc);

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return vk_error_set_errno(reterr, errno, "Failed to open '%s'", path);
        if (fstat(fd, &st) < 0)
                return vk_error_set_errno(reterr, errno, "Failed to stat '%s'", path);
        if (!S_ISREG(st.st_mode))
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "'%s' is not a regular file", path);
        if (st.st_size > VK_XML_SIZE_MAX)
                return vk_error_set(reterr, VK_ERROR_LIMIT_EXCEEDED, -E2BIG,
                                    "%s: document larger than %d bytes", path, VK_XML_SIZE_MAX);

        if (!g_file_get_contents(path, &contents, &len, &gerr))
                return vk_error_set(reterr, VK_ERROR_SYSTEM, -EIO, "Failed to read '%s': %s", path,
                                    gerr->message);
        if (strlen(contents) != len)
                return vk_error_set(reterr, VK_ERROR_INVALID_XML, -EINVAL,
                                    "%s: document contains a NUL byte", path);

        return vk_xml_read_string(contents, path, ret_doc, reterr);
}

/* ---- nodes and errors ------------------------------------------------------------------- */

/* The node's XPath-like location ("/domain/devices/disk[2]/driver"); g_free() it. */
char *vk_xml_node_path(const xmlNode *node) {
        xmlChar *p;
        char *ret;

        if (!node)
                return g_strdup("?");
        p = xmlGetNodePath((xmlNode *) node);
        if (!p)
                return g_strdup("?");
        ret = g_strdup((const char *) p);
        xmlFree(p);
        return ret;
}

/*
 * Set an InvalidXML error prefixed with the node's path and, if @attr is given, "/@attr":
 * "/domain/devices/disk[2]/driver/@cache: unsupported value 'x'". Returns -EINVAL.
 */
int vk_xml_error(const xmlNode *node, const char *attr, VkError *reterr, const char *fmt, ...) {
        g_autofree char *path = vk_xml_node_path(node);
        g_autofree char *msg = NULL;
        va_list ap;

        va_start(ap, fmt);
        msg = g_strdup_vprintf(fmt, ap);
        va_end(ap);

        if (attr)
                return vk_error_set(reterr, VK_ERROR_INVALID_XML, -EINVAL, "%s/@%s: %s", path, attr,
                                    msg);
        return vk_error_set(reterr, VK_ERROR_INVALID_XML, -EINVAL, "%s: %s", path, msg);
}

/* Whether @node is an element called @name in namespace @ns_href (NULL: no namespace). */
bool vk_xml_node_is(const xmlNode *node, const char *ns_href, const char *name) {
        if (!node || node->type != XML_ELEMENT_NODE)
                return false;
        if (strcmp((const char *) node->name, name) != 0)
                return false;
        if (!ns_href)
                return !node->ns;
        return node->ns && node->ns->href && strcmp((const char *) node->ns->href, ns_href) == 0;
}

/* The first element child of @parent, skipping text and comments; NULL if none. */
xmlNode *vk_xml_first_element(const xmlNode *parent) {
        for (xmlNode *c = parent ? parent->children : NULL; c; c = c->next)
                if (c->type == XML_ELEMENT_NODE)
                        return c;
        return NULL;
}

/* The next element sibling of @node; NULL if none. */
xmlNode *vk_xml_next_element(const xmlNode *node) {
        for (xmlNode *c = node ? node->next : NULL; c; c = c->next)
                if (c->type == XML_ELEMENT_NODE)
                        return c;
        return NULL;
}

/* The first child element of @parent named @name without a namespace; NULL if none. */
xmlNode *vk_xml_child(const xmlNode *parent, const char *name) {
        for (xmlNode *c = vk_xml_first_element(parent); c; c = vk_xml_next_element(c))
                if (vk_xml_node_is(c, NULL, name))
                        return c;
        return NULL;
}

static bool xml_name_listed(const char *const *list, const xmlNode *el) {
        for (size_t i = 0; list[i]; i++) {
                const char *want = list[i];

                if (want[0] == '{') {
                        const char *end = strchr(want, '}');
                        g_autofree char *href = NULL;

                        if (!end)
                                continue;
                        href = g_strndup(want + 1, end - want - 1);
                        if (vk_xml_node_is(el, href, end + 1))
                                return true;
                } else if (vk_xml_node_is(el, NULL, want))
                        return true;
        }
        return false;
}

/*
 * Strictness: reject any attribute of @node not in @allowed_attrs and any child element not in
 * @allowed_children ("name" or "{uri}name"), naming it by path. @allowed_children NULL means a
 * leaf element holding text; otherwise (VK_XML_NONE for an empty element) text other than
 * white space is refused too. Comments and processing instructions are ignored.
 */
int vk_xml_check_node(const xmlNode *node, const char *const *allowed_attrs,
                      const char *const *allowed_children, VkError *reterr) {
        assert(node);

        for (const xmlAttr *a = node->properties; a; a = a->next) {
                bool ok = false;

                if (!a->ns && allowed_attrs)
                        for (size_t i = 0; allowed_attrs[i]; i++)
                                if (strcmp(allowed_attrs[i], (const char *) a->name) == 0) {
                                        ok = true;
                                        break;
                                }
                if (!ok)
                        return vk_xml_error(node, (const char *) a->name, reterr,
                                            "unsupported attribute");
        }

        for (const xmlNode *c = node->children; c; c = c->next) {
                switch (c->type) {
                case XML_ELEMENT_NODE:
                        if (!allowed_children || !xml_name_listed(allowed_children, c))
                                return vk_xml_error(c, NULL, reterr, "unsupported element");
                        break;
                case XML_TEXT_NODE:
                case XML_CDATA_SECTION_NODE:
                        if (allowed_children && !xmlIsBlankNode((xmlNode *) c))
                                return vk_xml_error(node, NULL, reterr, "unexpected text content");
                        break;
                case XML_COMMENT_NODE:
                case XML_PI_NODE:
                        break;
                default:
                        return vk_xml_error(node, NULL, reterr, "unsupported content");
                }
        }
        return 0;
}

/* Reject a second child element of @parent with one of @names (no namespace). */
int vk_xml_check_unique(const xmlNode *parent, const char *const *names, VkError *reterr) {
        for (size_t i = 0; names[i]; i++) {
                unsigned n = 0;

                for (xmlNode *c = vk_xml_first_element(parent); c; c = vk_xml_next_element(c))
                        if (vk_xml_node_is(c, NULL, names[i]) && ++n > 1)
                                return vk_xml_error(c, NULL, reterr,
                                                    "element may appear only once");
        }
        return 0;
}

/*
 * The text of a leaf element, white space at both ends stripped. Entity references and child
 * elements are refused. Returns 1 with *ret_text set (g_free), or 0 when the text is empty
 * (an error with VK_XML_REQUIRED); *ret_text is untouched then.
 */
int vk_xml_node_text(const xmlNode *node, unsigned flags, char **ret_text, VkError *reterr) {
        g_autoptr(GString) s = g_string_new(NULL);

        assert(node);
        assert(ret_text);

        for (const xmlNode *c = node->children; c; c = c->next) {
                switch (c->type) {
                case XML_TEXT_NODE:
                case XML_CDATA_SECTION_NODE:
                        g_string_append(s, (const char *) c->content);
                        break;
                case XML_COMMENT_NODE:
                case XML_PI_NODE:
                        break;
                case XML_ELEMENT_NODE:
                        return vk_xml_error(c, NULL, reterr, "unsupported element");
                default:
                        return vk_xml_error(node, NULL, reterr, "unsupported content");
                }
        }

        g_strstrip(s->str);
        if (s->str[0] == '\0') {
                if (flags & VK_XML_REQUIRED)
                        return vk_xml_error(node, NULL, reterr, "missing value");
                return 0;
        }

        *ret_text = g_strdup(s->str);
        return 1;
}

/*
 * The text of a leaf element as an unsigned number (decimal or 0x hex). Returns 1 if set,
 * 0 if empty (error with VK_XML_REQUIRED); VK_XML_NONZERO refuses 0.
 */
int vk_xml_node_text_ulong(const xmlNode *node, unsigned flags, unsigned long long *ret_value,
                           VkError *reterr) {
        g_autofree char *text = NULL;
        unsigned long long v;
        int r;

        r = vk_xml_node_text(node, flags, &text, reterr);
        if (r <= 0)
                return r;
        if (vk_xml_parse_uint(text, ULLONG_MAX, &v) < 0)
                return vk_xml_error(node, NULL, reterr, "invalid value '%s'", text);
        if (v == 0 && (flags & VK_XML_NONZERO))
                return vk_xml_error(node, NULL, reterr, "value '%s' must be at least 1", text);
        *ret_value = v;
        return 1;
}

/* ---- numbers ---------------------------------------------------------------------------- */

/*
 * Parse an unsigned number: decimal, or hex with a "0x" prefix; no sign, no white space, no
 * octal. Returns 0, or -EINVAL (syntax) / -ERANGE (> @max).
 */
int vk_xml_parse_uint(const char *s, unsigned long long max, unsigned long long *ret_value) {
        unsigned long long v;
        const char *digits = s;
        char *end = NULL;
        int base = 10;

        if (vk_isempty(s))
                return -EINVAL;
        if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
                base = 16;
                digits = s + 2;
        }
        if (!g_ascii_isxdigit(digits[0]))
                return -EINVAL;
        if (base == 10 && !g_ascii_isdigit(digits[0]))
                return -EINVAL;

        errno = 0;
        v = strtoull(digits, &end, base);
        if (errno == ERANGE)
                return -ERANGE;
        if (!end || *end != '\0')
                return -EINVAL;
        if (v > max)
                return -ERANGE;

        *ret_value = v;
        return 0;
}

/* Parse a signed decimal number in [@min, @max]. Returns 0, -EINVAL or -ERANGE. */
int vk_xml_parse_int(const char *s, long long min, long long max, long long *ret_value) {
        long long v;
        char *end = NULL;

        if (vk_isempty(s))
                return -EINVAL;
        if (!g_ascii_isdigit(s[0]) && !(s[0] == '-' && g_ascii_isdigit(s[1])))
                return -EINVAL;

        errno = 0;
        v = strtoll(s, &end, 10);
        if (errno == ERANGE)
                return -ERANGE;
        if (!end || *end != '\0')
                return -EINVAL;
        if (v < min || v > max)
                return -ERANGE;

        *ret_value = v;
        return 0;
}

/* ---- typed attributes ------------------------------------------------------------------- */

/* The raw attribute (no namespace) or NULL; xmlFree() it. */
static char *xml_get_prop(const xmlNode *node, const char *name) {
        return (char *) xmlGetNoNsProp((xmlNode *) node, (const xmlChar *) name);
}

static int xml_prop_raw(const xmlNode *node, const char *name, unsigned flags, char **ret_value,
                        VkError *reterr) {
        char *v = xml_get_prop(node, name);

        if (!v) {
                if (flags & VK_XML_REQUIRED)
                        return vk_xml_error(node, NULL, reterr, "missing attribute '%s'", name);
                return 0;
        }
        *ret_value = g_strdup(v);
        xmlFree(v);
        return 1;
}

/*
 * Read attribute @name of @node as a string (g_free). Returns 1 if present, 0 if absent
 * (*ret_value untouched; an error with VK_XML_REQUIRED). VK_XML_NONZERO refuses "".
 */
int vk_xml_prop_string(const xmlNode *node, const char *name, unsigned flags, char **ret_value,
                       VkError *reterr) {
        g_autofree char *v = NULL;
        int r;

        assert(node);
        assert(ret_value);

        r = xml_prop_raw(node, name, flags, &v, reterr);
        if (r <= 0)
                return r;
        if ((flags & VK_XML_NONZERO) && v[0] == '\0')
                return vk_xml_error(node, name, reterr, "must not be empty");

        *ret_value = g_steal_pointer(&v);
        return 1;
}

/*
 * Read attribute @name through @from_string (an enum's _from_string(), returning < 0 for an
 * unknown value). VK_XML_NONZERO refuses the value mapping to 0 (the enum's "default").
 * Returns 1 if present, 0 if absent. Use through the vk_xml_prop_enum() macro.
 */
int vk_xml_prop_enum_full(const xmlNode *node, const char *name, VkXmlEnumFromString from_string,
                          unsigned flags, int *ret_value, VkError *reterr) {
        g_autofree char *v = NULL;
        int r, e;

        assert(node);
        assert(from_string);
        assert(ret_value);

        r = xml_prop_raw(node, name, flags, &v, reterr);
        if (r <= 0)
                return r;

        e = from_string(v);
        if (e < 0 || (e == 0 && (flags & VK_XML_NONZERO)))
                return vk_xml_error(node, name, reterr, "unsupported value '%s'", v);

        *ret_value = e;
        return 1;
}

static int xml_prop_number(const xmlNode *node, const char *name, unsigned flags, bool is_signed,
                           long long min, unsigned long long max, unsigned long long *ret_u,
                           long long *ret_s, VkError *reterr) {
        g_autofree char *v = NULL;
        int r;

        r = xml_prop_raw(node, name, flags, &v, reterr);
        if (r <= 0)
                return r;

        if (is_signed)
                r = vk_xml_parse_int(v, min, (long long) max, ret_s);
        else
                r = vk_xml_parse_uint(v, max, ret_u);
        if (r == -ERANGE)
                return vk_xml_error(node, name, reterr, "value '%s' out of range", v);
        if (r < 0)
                return vk_xml_error(node, name, reterr, "invalid number '%s'", v);
        if ((flags & VK_XML_NONZERO) && (is_signed ? *ret_s == 0 : *ret_u == 0))
                return vk_xml_error(node, name, reterr, "value '%s' must not be 0", v);
        return 1;
}

/*
 * Read attribute @name as an unsigned int (decimal or 0x hex). Returns 1 if present, 0 if
 * absent; VK_XML_NONZERO refuses 0.
 */
int vk_xml_prop_uint(const xmlNode *node, const char *name, unsigned flags, unsigned *ret_value,
                     VkError *reterr) {
        unsigned long long v = 0;
        int r;

        assert(ret_value);
        r = xml_prop_number(node, name, flags, false, 0, UINT_MAX, &v, NULL, reterr);
        if (r <= 0)
                return r;
        *ret_value = (unsigned) v;
        return 1;
}

/* Read attribute @name as a signed decimal int. Returns 1 if present, 0 if absent. */
int vk_xml_prop_int(const xmlNode *node, const char *name, unsigned flags, int *ret_value,
                    VkError *reterr) {
        long long v = 0;
        int r;

        assert(ret_value);
        r = xml_prop_number(node, name, flags, true, INT_MIN, INT_MAX, NULL, &v, reterr);
        if (r <= 0)
                return r;
        *ret_value = (int) v;
        return 1;
}

/* Read attribute @name as an unsigned long long. Returns 1 if present, 0 if absent. */
int vk_xml_prop_ulong(const xmlNode *node, const char *name, unsigned flags,
                      unsigned long long *ret_value, VkError *reterr) {
        unsigned long long v = 0;
        int r;

        assert(ret_value);
        r = xml_prop_number(node, name, flags, false, 0, ULLONG_MAX, &v, NULL, reterr);
        if (r <= 0)
                return r;
        *ret_value = v;
        return 1;
}

static int xml_prop_tristate(const xmlNode *node, const char *name, unsigned flags,
                             VkTristate (*from_string)(const char *), VkTristate *ret_value,
                             VkError *reterr) {
        g_autofree char *v = NULL;
        VkTristate t;
        int r;

        assert(ret_value);
        r = xml_prop_raw(node, name, flags, &v, reterr);
        if (r <= 0)
                return r;
        t = from_string(v);
        if (t < 0)
                return vk_xml_error(node, name, reterr, "unsupported value '%s'", v);
        *ret_value = t;
        return 1;
}

/* Read a yes/no attribute. Returns 1 if present, 0 if absent (*ret_value untouched). */
int vk_xml_prop_tristate_bool(const xmlNode *node, const char *name, unsigned flags,
                              VkTristate *ret_value, VkError *reterr) {
        return xml_prop_tristate(node, name, flags, vk_tristate_bool_from_string, ret_value,
                                 reterr);
}

/* Read an on/off attribute. Returns 1 if present, 0 if absent (*ret_value untouched). */
int vk_xml_prop_tristate_switch(const xmlNode *node, const char *name, unsigned flags,
                                VkTristate *ret_value, VkError *reterr) {
        return xml_prop_tristate(node, name, flags, vk_tristate_switch_from_string, ret_value,
                                 reterr);
}

/* ---- writer ----------------------------------------------------------------------------- */

/*
 * Whether @s is text an XML 1.0 document can hold: valid UTF-8 of Chars only (tab, newline,
 * CR, U+0020-U+D7FF, U+E000-U+FFFD, U+10000 and up). *@ret_bad (optional) gets the byte offset
 * of the first one that is not.
 */
bool vk_xml_text_valid(const char *s, size_t *ret_bad) {
        const char *end = NULL;

        if (!g_utf8_validate(s, -1, &end)) {
                if (ret_bad)
                        *ret_bad = (size_t) (end - s);
                return false;
        }
        for (const char *p = s; *p; p = g_utf8_next_char(p)) {
                gunichar c = g_utf8_get_char(p);

                if (c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF) ||
                    (c >= 0xE000 && c <= 0xFFFD) || c >= 0x10000)
                        continue;
                if (ret_bad)
                        *ret_bad = (size_t) (p - s);
                return false;
        }
        return true;
}

/*
 * Append @s to @out escaped for XML: & < > always, and ' " inside attribute values (we quote
 * with '). Control characters other than tab/newline are written as character references.
 */
void vk_xml_escape(GString *out, const char *s, bool attribute) {
        for (const char *p = s; p && *p; p++) {
                switch (*p) {
                case '&':
                        g_string_append(out, "&amp;");
                        break;
                case '<':
                        g_string_append(out, "&lt;");
                        break;
                case '>':
                        g_string_append(out, "&gt;");
                        break;
                case '\'':
                        g_string_append(out, attribute ? "&apos;" : "'");
                        break;
                case '"':
                        g_string_append(out, attribute ? "&quot;" : "\"");
                        break;
                case '\r':
                        /* a raw CR reads back as LF (end-of-line handling) */
                        g_string_append(out, "&#13;");
                        break;
                case '\n':
                case '\t':
                        if (attribute)
                                g_string_append_printf(out, "&#%d;", *p);
                        else
                                g_string_append_c(out, *p);
                        break;
                default:
                        g_string_append_c(out, *p);
                }
        }
}

/* Start an empty document. Pair with vk_xml_writer_done() (or g_auto(VkXmlWriter)). */
void vk_xml_writer_init(VkXmlWriter *w) {
        *w = (VkXmlWriter){
                .buf = g_string_new(NULL),
                .stack = g_ptr_array_new_with_free_func(g_free),
        };
}

/* Free what the writer holds; safe on a zeroed or already stolen writer. */
void vk_xml_writer_done(VkXmlWriter *w) {
        if (w->buf)
                g_string_free(w->buf, TRUE);
        if (w->stack)
                g_ptr_array_unref(w->stack);
        *w = (VkXmlWriter){};
}

static void xml_writer_indent(VkXmlWriter *w) {
        for (guint i = 0; i < w->stack->len; i++)
                g_string_append(w->buf, "  ");
}

static void xml_writer_close_pending(VkXmlWriter *w) {
        if (!w->pending)
                return;
        g_string_append(w->buf, ">\n");
        w->pending = false;
}

/* Open element @name on its own line; attributes may follow until content is added. */
void vk_xml_writer_start(VkXmlWriter *w, const char *name) {
        assert(!w->inline_text);
        xml_writer_close_pending(w);
        xml_writer_indent(w);
        g_string_append_c(w->buf, '<');
        g_string_append(w->buf, name);
        g_ptr_array_add(w->stack, g_strdup(name));
        w->pending = true;
}

/* Add attribute @name='@value' (escaped) to the element just started; NULL @value: none. */
void vk_xml_writer_attr(VkXmlWriter *w, const char *name, const char *value) {
        assert(w->pending);
        if (!value)
                return;
        g_string_append_c(w->buf, ' ');
        g_string_append(w->buf, name);
        g_string_append(w->buf, "='");
        vk_xml_escape(w->buf, value, true);
        g_string_append_c(w->buf, '\'');
}

/* vk_xml_writer_attr() with a printf format (short values need no allocation). */
void vk_xml_writer_attrf(VkXmlWriter *w, const char *name, const char *fmt, ...) {
        g_autofree char *v = NULL;
        char small[64];
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(small, sizeof(small), fmt, ap);
        va_end(ap);
        if (n >= 0 && (size_t) n < sizeof(small)) {
                vk_xml_writer_attr(w, name, small);
                return;
        }
        va_start(ap, fmt);
        v = g_strdup_vprintf(fmt, ap);
        va_end(ap);
        vk_xml_writer_attr(w, name, v);
}

/* Text content of the element just started; it ends on the same line. */
void vk_xml_writer_text(VkXmlWriter *w, const char *text) {
        assert(w->pending);
        g_string_append_c(w->buf, '>');
        w->pending = false;
        w->inline_text = true;
        vk_xml_escape(w->buf, text, false);
}

/* Close the innermost open element ("/>" when it has no content). */
void vk_xml_writer_end(VkXmlWriter *w) {
        g_autofree char *name = NULL;

        assert(w->stack->len > 0);
        name = g_ptr_array_steal_index(w->stack, w->stack->len - 1);
        if (w->pending) {
                g_string_append(w->buf, "/>\n");
                w->pending = false;
                return;
        }
        if (!w->inline_text)
                xml_writer_indent(w);
        w->inline_text = false;
        g_string_append(w->buf, "</");
        g_string_append(w->buf, name);
        g_string_append(w->buf, ">\n");
}

/* <name>text</name> on one line; nothing at all when @text is NULL. */
void vk_xml_writer_text_element(VkXmlWriter *w, const char *name, const char *text) {
        if (!text)
                return;
        vk_xml_writer_start(w, name);
        vk_xml_writer_text(w, text);
        vk_xml_writer_end(w);
}

/* The document written so far (all elements must be closed); the writer is left empty. */
char *vk_xml_writer_steal(VkXmlWriter *w) {
        char *ret;

        assert(w->stack->len == 0);
        ret = g_string_free(g_steal_pointer(&w->buf), FALSE);
        w->buf = g_string_new(NULL);
        return ret;
}
