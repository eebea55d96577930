/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* xml-metadata.c: libvirt's <metadata> element (applications' namespaced XML, kept verbatim) */
#include <assert.h>
#include <errno.h>

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
