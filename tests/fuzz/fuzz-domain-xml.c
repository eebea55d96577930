/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fuzz-domain-xml.c: libFuzzer target for the domain XML parser and formatter round trip */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "macro.h"
#include "qemu-domain-def.h"
#include "xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_random(void *buf, size_t len) {
        memset(buf, 0x5a, len);
}

/*
 * Parse; on failure there must be an InvalidXML-style error (valid UTF-8) and no output. On success
 * the contract is stability: format → parse → format yields the same bytes.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        g_autofree char *xml = NULL;
        g_autofree char *out1 = NULL;
        g_autofree char *out2 = NULL;
        g_autoptr(VkDomainDef) def = NULL;
        g_autoptr(VkDomainDef) def2 = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;

        if (size > VK_XML_SIZE_MAX + 1) /* the real limits: 10 MiB, 64 attributes, 64 levels */
                return 0;
        vk_domain_def_set_random_source(fuzz_random);
        xml = g_strndup((const char *) data, size);

        if (vk_domain_def_parse_string(xml, /* flags= */ 0, &def, &err) < 0) {
                if (def || !vk_error_is_set(&err) || vk_isempty(err.message) ||
                    !g_utf8_validate(err.message, -1, NULL))
                        __builtin_trap();
                return 0;
        }
        if (vk_domain_def_format(def, VK_DOMAIN_DEF_FORMAT_SECURE, &out1, &err) < 0)
                __builtin_trap();
        if (vk_domain_def_parse_string(out1, 0, &def2, &err) < 0)
                __builtin_trap();
        if (vk_domain_def_format(def2, VK_DOMAIN_DEF_FORMAT_SECURE, &out2, &err) < 0)
                __builtin_trap();
        if (strcmp(out1, out2) != 0)
                __builtin_trap();
        return 0;
}
