/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* xml.h: libxml2 helpers shared by every XML parser and formatter (safe reading, typed props) */
#pragma once

#include <errno.h>
#include <stdbool.h>

#include <glib.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlsave.h>
#include <libxml/xpath.h>

#include "error.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlDoc, xmlFreeDoc)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlXPathContext, xmlXPathFreeContext)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlXPathObject, xmlXPathFreeObject)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlBuffer, xmlBufferFree)

/* Documents larger than this are refused before libxml2 sees them. */
#define VK_XML_SIZE_MAX (10 * 1024 * 1024)
/* ... and so are documents with more attributes on one element, nodes (elements and
 * attributes), or levels */
#define VK_XML_ATTRS_MAX 64
#define VK_XML_NODES_MAX 200000
#define VK_XML_DEPTH_MAX 64

/* An attribute that is absent, yes/on or no/off. */
typedef enum VkTristate {
        VK_TRISTATE_ABSENT,
        VK_TRISTATE_YES,
        VK_TRISTATE_NO,
        _VK_TRISTATE_MAX,
        _VK_TRISTATE_INVALID = -EINVAL,
} VkTristate;

const char *vk_tristate_bool_to_string(VkTristate v); /* "yes", "no", NULL */
VkTristate vk_tristate_bool_from_string(const char *s);
const char *vk_tristate_switch_to_string(VkTristate v); /* "on", "off", NULL */
VkTristate vk_tristate_switch_from_string(const char *s);

typedef enum VkXmlFlags {
        VK_XML_REQUIRED = 1 << 0, /* absence is an error */
        VK_XML_NONZERO = 1 << 1,  /* 0 (numbers) or the enum's value 0 is an error */
} VkXmlFlags;

/* Element lists for vk_xml_check_node(): "name", or "{namespace-uri}name". */
#define VK_XML_NONE ((const char *const[]){ NULL })

typedef int (*VkXmlEnumFromString)(const char *s);

int vk_xml_read_string(const char *xml, const char *url, xmlDoc **ret_doc, VkError *reterr);
int vk_xml_read_file(const char *path, xmlDoc **ret_doc, VkError *reterr);

char *vk_xml_node_path(const xmlNode *node);
int vk_xml_error(const xmlNode *node, const char *attr, VkError *reterr, const char *fmt, ...)
        G_GNUC_PRINTF(4, 5);

bool vk_xml_node_is(const xmlNode *node, const char *ns_href, const char *name);
xmlNode *vk_xml_first_element(const xmlNode *parent);
xmlNode *vk_xml_next_element(const xmlNode *node);
xmlNode *vk_xml_child(const xmlNode *parent, const char *name);
int vk_xml_check_node(const xmlNode *node, const char *const *allowed_attrs,
                      const char *const *allowed_children, VkError *reterr);
int vk_xml_check_unique(const xmlNode *parent, const char *const *names, VkError *reterr);

int vk_xml_node_text(const xmlNode *node, unsigned flags, char **ret_text, VkError *reterr);
int vk_xml_node_text_ulong(const xmlNode *node, unsigned flags, unsigned long long *ret_value,
                           VkError *reterr);

int vk_xml_prop_string(const xmlNode *node, const char *name, unsigned flags, char **ret_value,
                       VkError *reterr);
int vk_xml_prop_enum_full(const xmlNode *node, const char *name, VkXmlEnumFromString from_string,
                          unsigned flags, int *ret_value, VkError *reterr);
int vk_xml_prop_uint(const xmlNode *node, const char *name, unsigned flags, unsigned *ret_value,
                     VkError *reterr);
int vk_xml_prop_int(const xmlNode *node, const char *name, unsigned flags, int *ret_value,
                    VkError *reterr);
int vk_xml_prop_ulong(const xmlNode *node, const char *name, unsigned flags,
                      unsigned long long *ret_value, VkError *reterr);
int vk_xml_prop_tristate_bool(const xmlNode *node, const char *name, unsigned flags,
                              VkTristate *ret_value, VkError *reterr);
int vk_xml_prop_tristate_switch(const xmlNode *node, const char *name, unsigned flags,
                                VkTristate *ret_value, VkError *reterr);

/*
 * vk_xml_prop_enum(node, "bus", vk_disk_bus_from_string, VK_XML_REQUIRED, &disk->bus, reterr)
 * Any enum type works as long as it has the size of an int (all of ours do).
 */
#define vk_xml_prop_enum(node, name, from_string, flags, ret_value, reterr)                        \
        ({                                                                                         \
                G_STATIC_ASSERT(sizeof(*(ret_value)) == sizeof(int));                              \
                vk_xml_prop_enum_full((node), (name), (VkXmlEnumFromString) (from_string),         \
                                      (flags), (int *) (ret_value), (reterr));                     \
        })

int vk_xml_parse_uint(const char *s, unsigned long long max, unsigned long long *ret_value);
int vk_xml_parse_int(const char *s, long long min, long long max, long long *ret_value);

/*
 * A small deterministic writer: 2-space indentation, attributes in single quotes (escaped),
 * one element per line, text elements on one line. Attributes are written in call order.
 */
typedef struct VkXmlWriter {
        GString *buf;
        GPtrArray *stack; /* open element names */
        bool pending;     /* the last start tag is still open ("<disk type='file'") */
        bool inline_text; /* the current element holds text */
} VkXmlWriter;

void vk_xml_writer_init(VkXmlWriter *w);
void vk_xml_writer_done(VkXmlWriter *w);
void vk_xml_writer_start(VkXmlWriter *w, const char *name);
void vk_xml_writer_attr(VkXmlWriter *w, const char *name, const char *value);
void vk_xml_writer_attrf(VkXmlWriter *w, const char *name, const char *fmt, ...)
        G_GNUC_PRINTF(3, 4);
void vk_xml_writer_text(VkXmlWriter *w, const char *text);
void vk_xml_writer_end(VkXmlWriter *w);
void vk_xml_writer_text_element(VkXmlWriter *w, const char *name, const char *text);
char *vk_xml_writer_steal(VkXmlWriter *w);
bool vk_xml_text_valid(const char *s, size_t *ret_bad);
void vk_xml_escape(GString *out, const char *s, bool attribute);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(VkXmlWriter, vk_xml_writer_done)
