/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-domain-internal.h: what the split domain model files share (not for other modules) */
#pragma once

#include <string.h>

#include "qemu-domain-def.h"
#include "xml.h"

#define VK_QEMU_NS_HREF "http://libvirt.org/schemas/domain/qemu/1.0"

/*
 * Define prefix_to_string()/prefix_from_string() of an enum from its string table, in enum
 * order. A NULL entry has no spelling (never parsed, never formatted).
 */
#define VK_DOMAIN_ENUM_IMPL(prefix, Type, max, ...)                                                \
        static const char *const prefix##_table[] = { __VA_ARGS__ };                               \
        G_STATIC_ASSERT(G_N_ELEMENTS(prefix##_table) == (max));                                    \
        const char *prefix##_to_string(Type v) {                                                   \
                if ((int) v < 0 || (int) v >= (int) (max))                                         \
                        return NULL;                                                               \
                return prefix##_table[v];                                                          \
        }                                                                                          \
        Type prefix##_from_string(const char *s) {                                                 \
                if (!s)                                                                            \
                        return (Type) -EINVAL;                                                     \
                for (int i = 0; i < (int) (max); i++)                                              \
                        if (prefix##_table[i] && strcmp(prefix##_table[i], s) == 0)                \
                                return (Type) i;                                                   \
                return (Type) -EINVAL;                                                             \
        }

/* Append @item to a (pointer array, count) pair of a VkDomainDef. */
#define VK_DOMAIN_APPEND(array, count, item)                                                       \
        do {                                                                                       \
                (array) = g_renew(__typeof__(*(array)), (array), (count) + 1);                     \
                (array)[(count)++] = (item);                                                       \
        } while (0)

/*
 * The files of the model call in one direction only, top to bottom:
 *   qemu-domain-def.c      vk_domain_def_new/free/parse_*(): the domain-wide elements,
 *   qemu-domain-format.c   vk_domain_def_format(), and
 *   qemu-domain-copy.c     vk_domain_def_copy()
 *   qemu-domain-devices.c, <devices> parse and free, qemu: namespace, post-parse defaults
 *   qemu-domain-ns.c,      and addresses (none calls another)
 *   qemu-domain-address.c
 *   qemu-domain-base.c     enum spellings, random source, value helpers, device info
 */

/* qemu-domain-base.c */
void vk_domain_random_bytes(void *buf, size_t len);
int vk_domain_parse_device_info(xmlNode *node, unsigned flags, bool allow_boot, VkDeviceInfo *info,
                                VkError *reterr);
bool vk_domain_device_info_child(const xmlNode *child);
void vk_domain_device_info_clear(VkDeviceInfo *info);
void vk_domain_format_device_info(VkXmlWriter *w, const VkDeviceInfo *info, unsigned flags);

/* qemu-domain-devices.c */
int vk_domain_devices_parse(VkDomainDef *def, xmlNode *devices, unsigned flags, VkError *reterr);
void vk_domain_devices_free(VkDomainDef *def);

/* qemu-domain-format.c */
void vk_domain_devices_format(VkXmlWriter *w, const VkDomainDef *def, unsigned flags);

/* qemu-domain-ns.c */
bool vk_domain_ns_is_qemu(const xmlNode *node);
int vk_domain_ns_parse(VkDomainDef *def, xmlNode *node, VkError *reterr);
bool vk_domain_ns_in_use(const VkDomainDef *def);
void vk_domain_ns_format(VkXmlWriter *w, const VkDomainDef *def);
void vk_domain_ns_clear(VkQemuNamespace *ns);

/* qemu-domain-placement.c */
int vk_domain_assign_chr_ports(VkDomainChr **chrs, size_t n, const char *element, VkError *reterr);
int vk_domain_check_address_kinds(const VkDomainDef *def, VkError *reterr);

/* qemu-domain-address.c */
int vk_domain_post_parse_devices(VkDomainDef *def, VkError *reterr);
