/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* xml-metadata.c: libvirt's <metadata> element (applications' namespaced XML, kept verbatim) */
#include <assert.h>
#include <errno.h>

#include "macro.h"
#include "xml-metadata.h"

/* One namespaced element, with the declarations it needs, as text (kept verbatim). */
static int xml_metadata_serialize(const xmlNode *el, char **ret, VkError *reterr) {
        g_autoptr(xmlDoc) doc = xmlNewDoc((const xmlChar *) "1.0");
        g_autoptr(xmlBuffer) buf = xmlBufferCreate();
        xmlNode *copy;

        if (!doc || !buf)
                return -ENOMEM;
        /* the copy declares, on itself, the namespaces it took from its ancestors */
        copy = xmlDocCopyNode((xmlNode *) el, doc, 1);
        if (!copy)
                return -ENOMEM;
        xmlDocSetRootElement(doc, copy);
        (void) xmlReconciliateNs(doc, copy);
        if (xmlNodeDump(buf, doc, copy, 0, 0) < 0)
                return vk_xml_error(el, NULL, reterr, "cannot serialize the element");
        *ret = g_strdup((const char *) xmlBufferContent(buf));
        return 0;
}

/*
 * <metadata>
 *   <app1:foo xmlns:app1="http://app1.org/app1/">..</app1:foo>
 * </metadata>
 * Each child is an application's element in its own namespace, one per namespace (libvirt
 * keeps only the first of a namespace and drops elements without one: both are errors here,
 * never a silent drop). *@ret_items: a NULL-terminated list of the elements as text, each
 * with the namespace declarations it needs, its content byte for byte (whitespace included).
 */
int vk_xml_metadata_parse(const xmlNode *node, size_t max_items, char ***ret_items,
                          VkError *reterr) {
        g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
        int r;

        assert(node);
        assert(ret_items);

        if (node->properties)
                return vk_xml_error(node, (const char *) node->properties->name, reterr,
                                    "unsupported attribute");
        for (const xmlNode *c = node->children; c; c = c->next) {
                char *text = NULL;

                if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) &&
                    !xmlIsBlankNode((xmlNode *) c))
                        return vk_xml_error(node, NULL, reterr, "unexpected text content");
                if (c->type != XML_ELEMENT_NODE)
                        continue;
                if (!c->ns || !c->ns->href)
                        return vk_xml_error(c, NULL, reterr, "metadata elements need a namespace");
                if (!g_hash_table_add(seen, (char *) c->ns->href))
                        return vk_xml_error(c, NULL, reterr, "a second element of namespace '%s'",
                                            (const char *) c->ns->href);
                if (items->len >= max_items) {
                        g_autofree char *path = vk_xml_node_path(c);

                        return vk_error_set(reterr, VK_ERROR_LIMIT_EXCEEDED, -E2BIG,
                                            "%s: more than %zu elements", path, max_items);
                }
                r = xml_metadata_serialize(c, &text, reterr);
                if (r < 0)
                        return r;
                g_ptr_array_add(items, text);
        }
        g_ptr_array_add(items, NULL);
        *ret_items = (char **) g_ptr_array_free(g_steal_pointer(&items), FALSE);
        return 0;
}

/*
 * The metadata elements, verbatim, each starting on its own line; nothing for no elements.
 * The writer has no raw mode, so close the start tag by hand and append to its buffer,
 * indented like a child element.
 */
void vk_xml_writer_metadata(VkXmlWriter *w, char *const *items) {
        if (!items || !items[0])
                return;
        vk_xml_writer_start(w, "metadata");
        g_string_append(w->buf, ">\n");
        w->pending = false;
        for (char *const *i = items; *i; i++)
                g_string_append_printf(w->buf, "%*s%s\n", (int) w->stack->len * 2, "", *i);
        vk_xml_writer_end(w);
}

/* The namespace of the metadata element @item (text, as vk_xml_metadata_parse() keeps it). */
static char *xml_metadata_uri(const char *item) {
        g_autoptr(xmlDoc) doc = NULL;
        xmlNode *root;

        if (vk_xml_read_string(item, "metadata", &doc, NULL) < 0)
                return NULL;
        root = xmlDocGetRootElement(doc);
        return root && root->ns && root->ns->href ? g_strdup((const char *) root->ns->href) : NULL;
}

/* The element of @items in namespace @uri, borrowed, or NULL. */
const char *vk_xml_metadata_find(char *const *items, const char *uri) {
        for (char *const *i = items; i && *i; i++) {
                g_autofree char *ns = xml_metadata_uri(*i);

                if (g_strcmp0(ns, uri) == 0)
                        return *i;
        }
        return NULL;
}

/* @node and the elements under it that have no namespace get @ns (libvirt's way). */
static void xml_metadata_inject_ns(xmlNode *node, xmlNs *ns) {
        for (xmlNode *c = node; c; c = c->next) {
                if (c->type != XML_ELEMENT_NODE)
                        continue;
                if (!c->ns)
                        xmlSetNs(c, ns);
                xml_metadata_inject_ns(c->children, ns);
                if (c == node)
                        break;
        }
}

/*
 * Put @xml (one element, an application's metadata) into namespace @uri with prefix @key, as
 * libvirt's virDomainSetMetadata: the element, and every element under it without a
 * namespace of its own, get it. Replaces the element of namespace @uri in *@items (a
 * NULL-terminated list as vk_xml_metadata_parse() gives; NULL for none), or with @xml NULL removes
 * it; at most
 * @max_items. Errors name what is wrong: XML that does not parse, a key that is no XML name.
 */
int vk_xml_metadata_set(char ***items, const char *xml, const char *key, const char *uri,
                        size_t max_items, VkError *reterr) {
        g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func(g_free);
        g_autofree char *text = NULL;
        int r;

        assert(items);
        if (vk_isempty(uri))
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "metadata element: a namespace URI is required");
        if (xml) {
                g_autoptr(xmlDoc) doc = NULL;
                xmlNode *root;
                xmlNs *ns;

                if (vk_isempty(key) || xmlValidateNCName((const xmlChar *) key, 0) != 0)
                        return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                            "metadata key '%s' is not a valid XML namespace "
                                            "prefix",
                                            vk_strempty(key));
                r = vk_xml_read_string(xml, "metadata", &doc, reterr);
                if (r < 0)
                        return r;
                root = xmlDocGetRootElement(doc);
                ns = root ? xmlNewNs(root, (const xmlChar *) uri, (const xmlChar *) key) : NULL;
                if (!ns)
                        return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                            "metadata: prefix '%s' is already declared on <%s>",
                                            key, root ? (const char *) root->name : "");
                xmlSetNs(root, ns); /* the element itself is always in @uri */
                xml_metadata_inject_ns(root, ns);
                r = xml_metadata_serialize(root, &text, reterr);
                if (r < 0)
                        return r;
        }
        for (char **i = *items; i && *i; i++) {
                g_autofree char *ns = xml_metadata_uri(*i);

                if (g_strcmp0(ns, uri) != 0)
                        g_ptr_array_add(out, g_strdup(*i));
        }
        if (text) {
                if (out->len >= max_items)
                        return vk_error_set(reterr, VK_ERROR_LIMIT_EXCEEDED, -E2BIG,
                                            "metadata: more than %zu elements", max_items);
                g_ptr_array_add(out, g_steal_pointer(&text));
        }
        g_strfreev(*items);
        *items = NULL;
        if (out->len > 0) {
                g_ptr_array_add(out, NULL);
                *items = (char **) g_ptr_array_free(g_steal_pointer(&out), FALSE);
        }
        return 0;
}
