/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-domain-check.c: what we write must load again: format, re-parse, compare */
#include <assert.h>
#include <errno.h>
#include <string.h>

#include <glib.h>

#include "macro.h"
#include "qemu-domain-def.h"

/*
 * The rule: every domain XML the driver stores (config file, status file) or hands out (live
 * XML) parses again, with the flags its reader uses, to a definition that formats to the same
 * bytes. The formatter is a pure function of the model, so equal bytes mean an equal model.
 * A model that breaks the rule is a bug of ours (a check missing at parse or post-parse, an
 * escape missing in the formatter): refuse to store it, with an internal error naming the
 * element, instead of writing a file the next daemon start drops.
 */

/* The name of the element that starts line @line (NULL: none), e.g. "serial". */
static char *line_element(const char *line, size_t *ret_indent) {
        size_t indent = strspn(line, " ");
        const char *p = line + indent, *end;

        *ret_indent = indent;
        if (p[0] != '<' || p[1] == '/' || p[1] == '!' || p[1] == '?')
                return NULL;
        p++;
        end = p + strcspn(p, " />\n");
        return end > p ? g_strndup(p, end - p) : NULL;
}

/*
 * The element path (/domain/devices/serial) of the first line where @a and @b differ, from
 * the 2-space indentation of our formatter. Returns a new string.
 */
static char *first_difference(const char *a, const char *b) {
        g_auto(GStrv) la = g_strsplit(a, "\n", -1);
        g_auto(GStrv) lb = g_strsplit(b, "\n", -1);
        g_autoptr(GPtrArray) stack = g_ptr_array_new_with_free_func(g_free);
        size_t i;

        for (i = 0; la[i] && lb[i] && strcmp(la[i], lb[i]) == 0; i++) {
                size_t indent, depth;
                char *name = line_element(la[i], &indent);

                if (!name)
                        continue;
                depth = indent / 2;
                g_ptr_array_set_size(stack, MIN(depth, stack->len));
                g_ptr_array_add(stack, name);
        }
        {
                const char *line = la[i] ? la[i] : lb[i] ? lb[i] : "";
                g_autoptr(GString) path = g_string_new(NULL);
                size_t indent, depth;
                g_autofree char *name = line_element(line, &indent);

                depth = indent / 2;
                for (size_t j = 0; j < MIN(depth, stack->len); j++)
                        g_string_append_printf(path, "/%s", (char *) stack->pdata[j]);
                if (name)
                        g_string_append_printf(path, "/%s", name);
                if (path->len == 0)
                        g_string_append(path, "/domain");
                g_autofree char *was = g_strdup(la[i] ? la[i] : "");
                g_autofree char *now = g_strdup(lb[i] ? lb[i] : "");

                g_string_append_printf(path, " (line %zu: '%s' reads back as '%s')", i + 1,
                                       g_strstrip(was), g_strstrip(now));
                return g_string_free(g_steal_pointer(&path), false);
        }
}

/*
 * Format @def with @flags (VK_DOMAIN_DEF_FORMAT_*) like vk_domain_def_format(), then check
 * that the text parses again (VK_DOMAIN_DEF_PARSE_LIVE for the live form, post-parse
 * included, as the daemon reads it) and formats to the same text. @what names the file or
 * reply for the error ("the status file", "the config file"). Errors: InternalError naming
 * the element that would not load. On success *@ret_xml is the text (g_free).
 */
int vk_domain_def_format_checked(const VkDomainDef *def, unsigned flags, const char *what,
                                 char **ret_xml, VkError *reterr) {
        g_autofree char *xml = NULL, *again = NULL;
        g_autoptr(VkDomainDef) copy = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        unsigned parse_flags = (flags & VK_DOMAIN_DEF_FORMAT_LIVE) ? VK_DOMAIN_DEF_PARSE_LIVE : 0;
        int r;

        assert(def);
        assert(ret_xml);

        r = vk_domain_def_format(def, flags, &xml, reterr);
        if (r < 0)
                return r;
        if (vk_domain_def_parse_string(xml, parse_flags, &copy, &err) < 0)
                return vk_error_set(reterr, VK_ERROR_INTERNAL, -EBADMSG,
                                    "internal error: %s of domain '%s' would not load again, "
                                    "not writing it: %s",
                                    what, vk_strempty(def->name), err.message);
        r = vk_domain_def_format(copy, flags, &again, reterr);
        if (r < 0)
                return r;
        if (strcmp(xml, again) != 0) {
                g_autofree char *where = first_difference(xml, again);

                return vk_error_set(reterr, VK_ERROR_INTERNAL, -EBADMSG,
                                    "internal error: %s of domain '%s' would load as a different "
                                    "definition, not writing it: %s",
                                    what, vk_strempty(def->name), where);
        }
        *ret_xml = g_steal_pointer(&xml);
        return 0;
}
