/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-domain-platform.c: what the guest's platform reports: <sysinfo>, <os><smbios>, <panic> */
#include <errno.h>
#include <string.h>

#include "macro.h"
#include "qemu-domain-internal.h"

VK_DOMAIN_ENUM_IMPL(vk_smbios_mode, VkSmbiosMode, _VK_SMBIOS_MODE_MAX, NULL, "emulate", "host",
                    "sysinfo")
VK_DOMAIN_ENUM_IMPL(vk_panic_model, VkPanicModel, _VK_PANIC_MODEL_MAX, "default", "isa", "pvpanic",
                    "hyperv")

/* the element of each block and its entries, in libvirt's (and SMBIOS's) order */
static const char *const sysinfo_elements[_VK_SYSINFO_BLOCK_MAX] = { "bios", "system", "baseBoard",
                                                                     "chassis" };
static const char *const sysinfo_entries[_VK_SYSINFO_BLOCK_MAX][VK_SYSINFO_ENTRIES_MAX + 1] = {
        [VK_SYSINFO_BIOS] = { "vendor", "version", "date", "release" },
        [VK_SYSINFO_SYSTEM] = { "manufacturer", "product", "version", "serial", "uuid", "sku",
                                "family" },
        [VK_SYSINFO_BASE_BOARD] = { "manufacturer", "product", "version", "serial", "asset",
                                    "location" },
        [VK_SYSINFO_CHASSIS] = { "manufacturer", "version", "serial", "asset", "sku" },
};

/* The name of entry @index of @block, NULL past its last entry. */
const char *vk_sysinfo_entry_name(VkSysinfoBlock block, unsigned index) {
        if ((int) block < 0 || block >= _VK_SYSINFO_BLOCK_MAX || index >= VK_SYSINFO_ENTRIES_MAX)
                return NULL;
        return sysinfo_entries[block][index];
}

#define SYSTEM_UUID 4 /* the index of <system>'s "uuid" entry */

static void sysinfo_values_clear(VkSysinfoValues *v) {
        for (size_t i = 0; i < VK_SYSINFO_ENTRIES_MAX; i++)
                g_clear_pointer(&v->v[i], g_free);
}

static void sysinfo_values_copy(VkSysinfoValues *v) {
        for (size_t i = 0; i < VK_SYSINFO_ENTRIES_MAX; i++)
                v->v[i] = g_strdup(v->v[i]);
}

/* Free what @si owns and zero it. */
void vk_domain_sysinfo_clear(VkDomainSysinfo *si) {
        sysinfo_values_clear(&si->bios);
        sysinfo_values_clear(&si->system);
        sysinfo_values_clear(&si->chassis);
        for (size_t i = 0; i < si->n_base_boards; i++)
                sysinfo_values_clear(&si->base_boards[i]);
        g_free(si->base_boards);
        g_strfreev(si->oem_strings);
        *si = (VkDomainSysinfo){};
}

/* Replace the pointers of @si (a struct copy) by copies of what they point to. */
void vk_domain_sysinfo_copy(VkDomainSysinfo *si) {
        sysinfo_values_copy(&si->bios);
        sysinfo_values_copy(&si->system);
        sysinfo_values_copy(&si->chassis);
        if (si->n_base_boards)
                si->base_boards =
                        g_memdup2(si->base_boards, si->n_base_boards * sizeof(*si->base_boards));
        for (size_t i = 0; i < si->n_base_boards; i++)
                sysinfo_values_copy(&si->base_boards[i]);
        si->oem_strings = g_strdupv(si->oem_strings);
}

/* ---- <sysinfo type='smbios'> ------------------------------------------------------------- */

/* BIOS dates are mm/dd/yy or mm/dd/yyyy (SMBIOS 3.x, type 0), as libvirt checks them */
static bool sysinfo_date_valid(const char *s) {
        size_t n = strlen(s);

        if (n != 8 && n != 10)
                return false;
        for (size_t i = 0; i < n; i++)
                if ((i == 2 || i == 5) ? s[i] != '/' : !g_ascii_isdigit(s[i]))
                        return false;
        return true;
}

static int sysinfo_parse_block(xmlNode *node, VkSysinfoBlock block, VkSysinfoValues *v,
                               VkError *reterr) {
        int r;

        r = vk_xml_check_node(node, VK_XML_NONE, VK_STRV("entry"), reterr);
        if (r < 0)
                return r;
        for (xmlNode *e = vk_xml_first_element(node); e; e = vk_xml_next_element(e)) {
                g_autofree char *name = NULL, *text = NULL;
                int idx = -1;

                r = vk_xml_check_node(e, VK_STRV("name"), NULL, reterr);
                if (r < 0)
                        return r;
                r = vk_xml_prop_string(e, "name", VK_XML_REQUIRED, &name, reterr);
                if (r < 0)
                        return r;
                for (int i = 0; sysinfo_entries[block][i]; i++)
                        if (strcmp(sysinfo_entries[block][i], name) == 0)
                                idx = i;
                if (idx < 0)
                        return vk_xml_error(e, "name", reterr, "unknown <%s> entry '%s'",
                                            sysinfo_elements[block], name);
                if (v->v[idx])
                        return vk_xml_error(e, "name", reterr, "entry '%s' given twice", name);
                r = vk_xml_node_text(e, VK_XML_REQUIRED, &text, reterr);
                if (r < 0)
                        return r;
                if (block == VK_SYSINFO_BIOS && strcmp(name, "date") == 0 &&
                    !sysinfo_date_valid(text))
                        return vk_xml_error(e, NULL, reterr,
                                            "invalid BIOS date '%s' (mm/dd/yy or mm/dd/yyyy)",
                                            text);
                if (block == VK_SYSINFO_SYSTEM && strcmp(name, "uuid") == 0) {
                        VkUuid u;
                        char buf[VK_UUID_STRING_MAX];

                        if (vk_uuid_parse(text, &u) < 0)
                                return vk_xml_error(e, NULL, reterr, "invalid UUID '%s'", text);
                        g_free(text);
                        text = g_strdup(vk_uuid_format(&u, buf)); /* libvirt's spelling */
                }
                v->v[idx] = g_steal_pointer(&text);
        }
        return 0;
}

static int sysinfo_parse_oem(xmlNode *node, VkDomainSysinfo *si, VkError *reterr) {
        g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func(g_free);
        int r;

        r = vk_xml_check_node(node, VK_XML_NONE, VK_STRV("entry"), reterr);
        if (r < 0)
                return r;
        for (xmlNode *e = vk_xml_first_element(node); e; e = vk_xml_next_element(e)) {
                char *text = NULL;

                if (list->len >= VK_SYSINFO_LIST_MAX)
                        return vk_xml_error(node, NULL, reterr, "more than %d entries",
                                            VK_SYSINFO_LIST_MAX);
                r = vk_xml_check_node(e, VK_XML_NONE, NULL, reterr);
                if (r < 0)
                        return r;
                r = vk_xml_node_text(e, VK_XML_REQUIRED, &text, reterr);
                if (r < 0)
                        return r;
                g_ptr_array_add(list, text);
        }
        g_ptr_array_add(list, NULL);
        si->oem_strings = (char **) g_ptr_array_free(g_steal_pointer(&list), FALSE);
        return 0;
}

/*
 * Parse <sysinfo type='smbios'>: the strings the guest's SMBIOS tables carry with
 * <os><smbios mode='sysinfo'/>.
 *
 *   <sysinfo type='smbios'>
 *     <bios><entry name='vendor'>Acme</entry></bios>
 *     <system><entry name='manufacturer'>Acme</entry>...</system>
 *     <baseBoard>...</baseBoard> <chassis>...</chassis>
 *     <oemStrings><entry>text</entry></oemStrings>
 *   </sysinfo>
 */
int vk_domain_sysinfo_parse(VkDomainDef *def, xmlNode *node, VkError *reterr) {
        VkDomainSysinfo *si = &def->sysinfo;
        g_autofree char *type = NULL;
        int r;

        r = vk_xml_prop_string(node, "type", VK_XML_REQUIRED, &type, reterr);
        if (r < 0)
                return r;
        /* libvirt's fwcfg type (strings in fw_cfg files) is not supported */
        if (strcmp(type, "smbios") != 0)
                return vk_xml_error(node, "type", reterr, "unsupported value '%s' (only 'smbios')",
                                    type);
        r = vk_xml_check_node(node, VK_STRV("type"),
                              VK_STRV("bios", "system", "baseBoard", "chassis", "oemStrings"),
                              reterr);
        if (r < 0)
                return r;
        r = vk_xml_check_unique(node, VK_STRV("bios", "system", "chassis", "oemStrings"), reterr);
        if (r < 0)
                return r;
        if (si->present)
                return vk_xml_error(node, NULL, reterr,
                                    "only one <sysinfo type='smbios'> is allowed");
        si->present = true;

        for (xmlNode *c = vk_xml_first_element(node); c; c = vk_xml_next_element(c)) {
                if (vk_xml_node_is(c, NULL, "bios")) {
                        si->has_bios = true;
                        r = sysinfo_parse_block(c, VK_SYSINFO_BIOS, &si->bios, reterr);
                } else if (vk_xml_node_is(c, NULL, "system")) {
                        si->has_system = true;
                        r = sysinfo_parse_block(c, VK_SYSINFO_SYSTEM, &si->system, reterr);
                } else if (vk_xml_node_is(c, NULL, "chassis")) {
                        si->has_chassis = true;
                        r = sysinfo_parse_block(c, VK_SYSINFO_CHASSIS, &si->chassis, reterr);
                } else if (vk_xml_node_is(c, NULL, "baseBoard")) {
                        if (si->n_base_boards >= VK_SYSINFO_LIST_MAX)
                                return vk_xml_error(c, NULL, reterr, "more than %d <baseBoard>",
                                                    VK_SYSINFO_LIST_MAX);
                        si->base_boards =
                                g_renew(VkSysinfoValues, si->base_boards, si->n_base_boards + 1);
                        si->base_boards[si->n_base_boards++] = (VkSysinfoValues){};
                        r = sysinfo_parse_block(c, VK_SYSINFO_BASE_BOARD,
                                                &si->base_boards[si->n_base_boards - 1], reterr);
                } else
                        r = sysinfo_parse_oem(c, si, reterr);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* <os><smbios mode='emulate|host|sysinfo'/> */
int vk_domain_smbios_parse(VkDomainDef *def, xmlNode *node, VkError *reterr) {
        int r;

        r = vk_xml_check_node(node, VK_STRV("mode"), VK_XML_NONE, reterr);
        if (r < 0)
                return r;
        return vk_xml_prop_enum(node, "mode", vk_smbios_mode_from_string,
                                VK_XML_REQUIRED | VK_XML_NONZERO, &def->smbios_mode, reterr);
}

/*
 * The rules between <sysinfo>, <os><smbios> and <uuid>, once all are parsed (before a missing
 * <uuid> is generated: @have_uuid). The system UUID and the domain's are one: a domain without
 * <uuid> takes the sysinfo's, as libvirt does.
 */
int vk_domain_sysinfo_check(VkDomainDef *def, xmlNode *root, bool *have_uuid, VkError *reterr) {
        const char *suuid = def->sysinfo.system.v[SYSTEM_UUID];
        VkUuid u;

        if (def->smbios_mode == VK_SMBIOS_MODE_SYSINFO && !def->sysinfo.present)
                return vk_xml_error(root, NULL, reterr,
                                    "<os><smbios mode='sysinfo'/> needs a <sysinfo "
                                    "type='smbios'> element");
        if (!suuid)
                return 0;
        if (vk_uuid_parse(suuid, &u) < 0)
                return vk_xml_error(root, NULL, reterr, "invalid <sysinfo> system UUID '%s'",
                                    suuid);
        if (!*have_uuid) {
                def->uuid = u;
                *have_uuid = true;
        } else if (memcmp(&u, &def->uuid, sizeof(u)) != 0)
                return vk_xml_error(root, NULL, reterr,
                                    "UUID mismatch between <uuid> and <sysinfo>'s system uuid "
                                    "'%s'",
                                    suuid);
        return 0;
}

static void sysinfo_format_block(VkXmlWriter *w, VkSysinfoBlock block, const VkSysinfoValues *v) {
        vk_xml_writer_start(w, sysinfo_elements[block]);
        for (int i = 0; sysinfo_entries[block][i]; i++) {
                if (!v->v[i])
                        continue;
                vk_xml_writer_start(w, "entry");
                vk_xml_writer_attr(w, "name", sysinfo_entries[block][i]);
                vk_xml_writer_text(w, v->v[i]);
                vk_xml_writer_end(w);
        }
        vk_xml_writer_end(w);
}

/* Write <sysinfo type='smbios'> when there is one; entries in libvirt's order. */
void vk_domain_sysinfo_format(VkXmlWriter *w, const VkDomainSysinfo *si) {
        if (!si->present)
                return;
        vk_xml_writer_start(w, "sysinfo");
        vk_xml_writer_attr(w, "type", "smbios");
        if (si->has_bios)
                sysinfo_format_block(w, VK_SYSINFO_BIOS, &si->bios);
        if (si->has_system)
                sysinfo_format_block(w, VK_SYSINFO_SYSTEM, &si->system);
        for (size_t i = 0; i < si->n_base_boards; i++)
                sysinfo_format_block(w, VK_SYSINFO_BASE_BOARD, &si->base_boards[i]);
        if (si->has_chassis)
                sysinfo_format_block(w, VK_SYSINFO_CHASSIS, &si->chassis);
        if (si->oem_strings) {
                vk_xml_writer_start(w, "oemStrings");
                for (size_t i = 0; si->oem_strings[i]; i++)
                        vk_xml_writer_text_element(w, "entry", si->oem_strings[i]);
                vk_xml_writer_end(w);
        }
        vk_xml_writer_end(w);
}

/* ---- <panic> ---------------------------------------------------------------------------- */

/* Free @p; takes NULL, returns NULL. */
VkDomainPanic *vk_domain_panic_free(VkDomainPanic *p) {
        if (!p)
                return NULL;
        vk_domain_device_info_clear(&p->info);
        g_free(p);
        return NULL;
}

VkDomainPanic *vk_domain_panic_copy(const VkDomainPanic *src) {
        VkDomainPanic *p = g_memdup2(src, sizeof(*src));

        p->info.alias = g_strdup(src->info.alias);
        return p;
}

/*
 * <panic model='isa|pvpanic|hyperv'>[<address type='isa' iobase='0x505'/>]</panic>: one per
 * model; the x86 default is isa. isa takes an ISA address, pvpanic a PCI one, hyperv none.
 */
int vk_domain_panic_parse(VkDomainDef *def, xmlNode *node, unsigned flags, VkError *reterr) {
        g_autoptr(VkDomainPanic) p = g_new0(VkDomainPanic, 1);
        VkAddressType want;
        int r;

        r = vk_xml_check_node(node, VK_STRV("model"), VK_STRV("alias", "address"), reterr);
        if (r < 0)
                return r;
        r = vk_xml_prop_enum(node, "model", vk_panic_model_from_string, VK_XML_NONZERO, &p->model,
                             reterr);
        if (r < 0)
                return r;
        if (p->model == VK_PANIC_MODEL_DEFAULT)
                p->model = VK_PANIC_MODEL_ISA;
        for (size_t i = 0; i < def->n_panics; i++)
                if (def->panics[i]->model == p->model)
                        return vk_xml_error(node, "model", reterr,
                                            "more than one panic device of model '%s'",
                                            vk_panic_model_to_string(p->model));
        r = vk_domain_parse_device_info(node, flags, false, &p->info, reterr);
        if (r < 0)
                return r;
        want = p->model == VK_PANIC_MODEL_ISA       ? VK_ADDRESS_ISA
               : p->model == VK_PANIC_MODEL_PVPANIC ? VK_ADDRESS_PCI
                                                    : VK_ADDRESS_NONE;
        if (p->info.addr.type != VK_ADDRESS_NONE && p->info.addr.type != want) {
                xmlNode *addr = vk_xml_child(node, "address");

                return vk_xml_error(addr, "type", reterr,
                                    "a panic device of model '%s' cannot have an address of "
                                    "type '%s'",
                                    vk_panic_model_to_string(p->model),
                                    vk_address_type_to_string(p->info.addr.type));
        }
        VK_DOMAIN_APPEND(def->panics, def->n_panics, g_steal_pointer(&p));
        return 0;
}

void vk_domain_panic_format(VkXmlWriter *w, const VkDomainPanic *p, unsigned flags) {
        vk_xml_writer_start(w, "panic");
        vk_xml_writer_attr(w, "model", vk_panic_model_to_string(p->model));
        vk_domain_format_device_info(w, &p->info, flags);
        vk_xml_writer_end(w);
}
