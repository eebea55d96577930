/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* xml-metadata.h: libvirt's <metadata> element (applications' namespaced XML, kept verbatim) */
#pragma once

#include <stddef.h>

#include "xml.h"

int vk_xml_metadata_parse(const xmlNode *node, size_t max_items, char ***ret_items,
                          VkError *reterr);
void vk_xml_writer_metadata(VkXmlWriter *w, char *const *items);
const char *vk_xml_metadata_find(char *const *items, const char *uri);
int vk_xml_metadata_set(char ***items, const char *xml, const char *key, const char *uri,
                        size_t max_items, VkError *reterr);
