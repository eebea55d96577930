/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-domain-ns.c: the qemu: XML namespace (commandline, capabilities, deprecation, override) */
#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "macro.h"
#include "qemu-domain-internal.h"

#define NS_ITEMS_MAX 1024

/* Whether @node is an element of the qemu namespace (whatever its prefix). */
bool vk_domain_ns_is_qemu(const xmlNode *node) {
        return node && node->type == XML_ELEMENT_NODE && node->ns && node->ns->href &&
               strcmp((const char *) node->ns->href, VK_QEMU_NS_HREF) == 0;
}

static bool ns_is(const xmlNode *node, const char *name) {
        return vk_xml_node_is(node, VK_QEMU_NS_HREF, name);
}

#define NS(name) "{" VK_QEMU_NS_HREF "}" name

/* Free what @ns owns and reset it. */
void vk_domain_ns_clear(VkQemuNamespace *ns) {
        g_strfreev(ns->args);
        for (size_t i = 0; i < ns->n_env; i++) {
                g_free(ns->env[i].name);
                g_free(ns->env[i].value);
        }
        g_free(ns->env);
        g_strfreev(ns->caps_add);
        g_strfreev(ns->caps_del);
        for (size_t i = 0; i < ns->n_overrides; i++) {
                VkQemuOverrideDevice *d = &ns->overrides[i];

                g_free(d->alias);
                for (size_t j = 0; j < d->n_props; j++) {
                        g_free(d->props[j].name);
                        g_free(d->props[j].value);
                }
                g_free(d->props);
        }
        g_free(ns->overrides);
        *ns = (VkQemuNamespace){};
}

static void ns_strv_append(char ***strv, char *s) {
        size_t n = *strv ? g_strv_length(*strv) : 0;

        *strv = g_renew(char *, *strv, n + 2);
        (*strv)[n] = s;
        (*strv)[n + 1] = NULL;
}

static bool ns_env_name_valid(const char *s) {
        if (vk_isempty(s) || !(g_ascii_isalpha(s[0]) || s[0] == '_'))
                return false;
        for (const char *p = s; *p; p++)
                if (!g_ascii_isalnum(*p) && *p != '_')
                        return false;
        return true;
}

static int ns_parse_commandline(VkDomainDef *def, xmlNode *node, VkError *reterr) {
        VkQemuNamespace *ns = &def->qemu;
        size_t n = 0;
        int r;

        r = vk_xml_check_node(node, VK_XML_NONE, VK_STRV(NS("arg"), NS("env")), reterr);
        if (r < 0)
                return r;

        for (xmlNode *c = vk_xml_first_element(node); c; c = vk_xml_next_element(c)) {
                if (++n > NS_ITEMS_MAX)
                        return vk_xml_error(c, NULL, reterr, "too many elements");
                if (ns_is(c, "arg")) {
                        char *value = NULL;

                        r = vk_xml_check_node(c, VK_STRV("value"), VK_XML_NONE, reterr);
                        if (r < 0)
                                return r;
                        r = vk_xml_prop_string(c, "value", VK_XML_REQUIRED, &value, reterr);
                        if (r < 0)
                                return r;
                        ns_strv_append(&ns->args, value);
                } else {
                        VkQemuEnv env = {};

                        r = vk_xml_check_node(c, VK_STRV("name", "value"), VK_XML_NONE, reterr);
                        if (r < 0)
                                return r;
                        r = vk_xml_prop_string(c, "name", VK_XML_REQUIRED, &env.name, reterr);
                        if (r < 0)
                                return r;
                        if (!ns_env_name_valid(env.name)) {
                                r = vk_xml_error(c, "name", reterr,
                                                 "invalid environment variable name '%s'",
                                                 env.name);
                                g_free(env.name);
                                return r;
                        }
                        r = vk_xml_prop_string(c, "value", 0, &env.value, reterr);
                        if (r < 0) {
                                g_free(env.name);
                                return r;
                        }
                        ns->env = g_renew(VkQemuEnv, ns->env, ns->n_env + 1);
                        ns->env[ns->n_env++] = env;
                }
        }
        ns->has_commandline = true;
        def->tainted_custom_argv = true;
        return 0;
}

static int ns_parse_capabilities(VkDomainDef *def, xmlNode *node, VkError *reterr) {
        VkQemuNamespace *ns = &def->qemu;
        size_t n = 0;
        int r;

        r = vk_xml_check_node(node, VK_XML_NONE, VK_STRV(NS("add"), NS("del")), reterr);
        if (r < 0)
                return r;

        for (xmlNode *c = vk_xml_first_element(node); c; c = vk_xml_next_element(c)) {
                char *cap = NULL;

                if (++n > NS_ITEMS_MAX)
                        return vk_xml_error(c, NULL, reterr, "too many elements");
                r = vk_xml_check_node(c, VK_STRV("capability"), VK_XML_NONE, reterr);
                if (r < 0)
                        return r;
                r = vk_xml_prop_string(c, "capability", VK_XML_REQUIRED | VK_XML_NONZERO, &cap,
                                       reterr);
                if (r < 0)
                        return r;
                if (strspn(cap, "abcdefghijklmnopqrstuvwxyz0123456789-_.") != strlen(cap)) {
                        r = vk_xml_error(c, "capability", reterr, "invalid capability name '%s'",
                                         cap);
                        g_free(cap);
                        return r;
                }
                ns_strv_append(ns_is(c, "add") ? &ns->caps_add : &ns->caps_del, cap);
        }
        ns->has_capabilities = true;
        def->tainted_custom_caps = true;
        return 0;
}

static int ns_parse_property(VkQemuOverrideDevice *dev, xmlNode *node, VkError *reterr) {
        VkQemuOverrideProperty p = {};
        int r;

        r = vk_xml_check_node(node, VK_STRV("name", "type", "value"), VK_XML_NONE, reterr);
        if (r < 0)
                return r;
        r = vk_xml_prop_enum(node, "type", vk_override_type_from_string, VK_XML_REQUIRED, &p.type,
                             reterr);
        if (r < 0)
                return r;
        r = vk_xml_prop_string(node, "name", VK_XML_REQUIRED | VK_XML_NONZERO, &p.name, reterr);
        if (r < 0)
                return r;
        r = vk_xml_prop_string(node, "value", 0, &p.value, reterr);
        if (r < 0)
                goto fail;

        if (p.type == VK_OVERRIDE_REMOVE) {
                if (p.value) {
                        r = vk_xml_error(node, "value", reterr, "not allowed with type='remove'");
                        goto fail;
                }
        } else if (!p.value) {
                r = vk_xml_error(node, NULL, reterr, "missing attribute 'value'");
                goto fail;
        } else if (p.type == VK_OVERRIDE_SIGNED) {
                long long v;

                if (vk_xml_parse_int(p.value, LLONG_MIN, LLONG_MAX, &v) < 0) {
                        r = vk_xml_error(node, "value", reterr, "'%s' is not a signed number",
                                         p.value);
                        goto fail;
                }
        } else if (p.type == VK_OVERRIDE_UNSIGNED) {
                unsigned long long v;

                if (vk_xml_parse_uint(p.value, ULLONG_MAX, &v) < 0) {
                        r = vk_xml_error(node, "value", reterr, "'%s' is not an unsigned number",
                                         p.value);
                        goto fail;
                }
        } else if (p.type == VK_OVERRIDE_BOOL) {
                if (strcmp(p.value, "true") != 0 && strcmp(p.value, "false") != 0) {
                        r = vk_xml_error(node, "value", reterr,
                                         "'%s' is not a boolean (true or false)", p.value);
                        goto fail;
                }
        }

        for (size_t i = 0; i < dev->n_props; i++)
                if (strcmp(dev->props[i].name, p.name) == 0) {
                        r = vk_xml_error(node, "name", reterr, "property '%s' overridden twice",
                                         p.name);
                        goto fail;
                }

        dev->props = g_renew(VkQemuOverrideProperty, dev->props, dev->n_props + 1);
        dev->props[dev->n_props++] = p;
        return 0;

fail:
        /* goto: p is a by-value struct being assembled, no autocleanup fits it */
        g_free(p.name);
        g_free(p.value);
        return r;
}

static int ns_parse_override(VkDomainDef *def, xmlNode *node, VkError *reterr) {
        VkQemuNamespace *ns = &def->qemu;
        int r;

        r = vk_xml_check_node(node, VK_XML_NONE, VK_STRV(NS("device")), reterr);
        if (r < 0)
                return r;

        for (xmlNode *c = vk_xml_first_element(node); c; c = vk_xml_next_element(c)) {
                VkQemuOverrideDevice *dev;
                g_autofree char *alias = NULL;

                if (ns->n_overrides >= NS_ITEMS_MAX)
                        return vk_xml_error(c, NULL, reterr, "too many elements");
                r = vk_xml_check_node(c, VK_STRV("alias"), VK_STRV(NS("frontend")), reterr);
                if (r < 0)
                        return r;
                r = vk_xml_prop_string(c, "alias", VK_XML_REQUIRED | VK_XML_NONZERO, &alias,
                                       reterr);
                if (r < 0)
                        return r;
                for (size_t i = 0; i < ns->n_overrides; i++)
                        if (strcmp(ns->overrides[i].alias, alias) == 0)
                                return vk_xml_error(c, "alias", reterr, "device '%s' listed twice",
                                                    alias);

                ns->overrides = g_renew(VkQemuOverrideDevice, ns->overrides, ns->n_overrides + 1);
                dev = &ns->overrides[ns->n_overrides++];
                *dev = (VkQemuOverrideDevice){ .alias = g_steal_pointer(&alias) };

                for (xmlNode *f = vk_xml_first_element(c); f; f = vk_xml_next_element(f)) {
                        if (dev->has_frontend)
                                return vk_xml_error(f, NULL, reterr,
                                                    "element may appear only once");
                        dev->has_frontend = true;
                        r = vk_xml_check_node(f, VK_XML_NONE, VK_STRV(NS("property")), reterr);
                        if (r < 0)
                                return r;
                        for (xmlNode *p = vk_xml_first_element(f); p; p = vk_xml_next_element(p)) {
                                if (dev->n_props >= NS_ITEMS_MAX)
                                        return vk_xml_error(p, NULL, reterr, "too many elements");
                                r = ns_parse_property(dev, p, reterr);
                                if (r < 0)
                                        return r;
                        }
                }
        }
        ns->has_override = true;
        def->tainted_custom_device = true;
        return 0;
}

/*
 * Parse one child of <domain> in the qemu namespace:
 *
 *   <qemu:commandline><qemu:arg value='-newarg'/><qemu:env name='N' value='V'/></qemu:commandline>
 *   <qemu:capabilities><qemu:add capability='x'/><qemu:del capability='y'/></qemu:capabilities>
 *   <qemu:deprecation behavior='none|omit|reject|crash'/>
 *   <qemu:override><qemu:device alias='ua-x'><qemu:frontend>
 *     <qemu:property name='p' type='string|signed|unsigned|bool|remove' value='v'/>
 *   </qemu:frontend></qemu:device></qemu:override>
 *
 * Each sets the matching def->tainted_* flag. Values are checked against their type here;
 * matching aliases to emitted devices is the argv builder's job.
 */
int vk_domain_ns_parse(VkDomainDef *def, xmlNode *node, VkError *reterr) {
        VkQemuNamespace *ns = &def->qemu;
        int r;

        if (ns_is(node, "commandline")) {
                if (ns->has_commandline)
                        return vk_xml_error(node, NULL, reterr, "element may appear only once");
                return ns_parse_commandline(def, node, reterr);
        }
        if (ns_is(node, "capabilities")) {
                if (ns->has_capabilities)
                        return vk_xml_error(node, NULL, reterr, "element may appear only once");
                return ns_parse_capabilities(def, node, reterr);
        }
        if (ns_is(node, "deprecation")) {
                if (ns->deprecation != VK_DEPRECATION_DEFAULT)
                        return vk_xml_error(node, NULL, reterr, "element may appear only once");
                r = vk_xml_check_node(node, VK_STRV("behavior"), VK_XML_NONE, reterr);
                if (r < 0)
                        return r;
                r = vk_xml_prop_enum(node, "behavior", vk_deprecation_behavior_from_string,
                                     VK_XML_REQUIRED | VK_XML_NONZERO, &ns->deprecation, reterr);
                if (r < 0)
                        return r;
                def->tainted_deprecation = true;
                return 0;
        }
        if (ns_is(node, "override")) {
                if (ns->has_override)
                        return vk_xml_error(node, NULL, reterr, "element may appear only once");
                return ns_parse_override(def, node, reterr);
        }
        return vk_xml_error(node, NULL, reterr, "unsupported element");
}

/* Whether @def has anything of the qemu namespace to format. */
bool vk_domain_ns_in_use(const VkDomainDef *def) {
        const VkQemuNamespace *ns = &def->qemu;

        return ns->has_commandline || ns->has_capabilities ||
               ns->deprecation != VK_DEPRECATION_DEFAULT || ns->has_override;
}

/* Write the qemu: elements, prefix "qemu" (declared on <domain> by the caller). */
void vk_domain_ns_format(VkXmlWriter *w, const VkDomainDef *def) {
        const VkQemuNamespace *ns = &def->qemu;

        if (ns->has_commandline) {
                vk_xml_writer_start(w, "qemu:commandline");
                for (size_t i = 0; ns->args && ns->args[i]; i++) {
                        vk_xml_writer_start(w, "qemu:arg");
                        vk_xml_writer_attr(w, "value", ns->args[i]);
                        vk_xml_writer_end(w);
                }
                for (size_t i = 0; i < ns->n_env; i++) {
                        vk_xml_writer_start(w, "qemu:env");
                        vk_xml_writer_attr(w, "name", ns->env[i].name);
                        vk_xml_writer_attr(w, "value", ns->env[i].value);
                        vk_xml_writer_end(w);
                }
                vk_xml_writer_end(w);
        }

        if (ns->has_capabilities) {
                vk_xml_writer_start(w, "qemu:capabilities");
                for (size_t i = 0; ns->caps_add && ns->caps_add[i]; i++) {
                        vk_xml_writer_start(w, "qemu:add");
                        vk_xml_writer_attr(w, "capability", ns->caps_add[i]);
                        vk_xml_writer_end(w);
                }
                for (size_t i = 0; ns->caps_del && ns->caps_del[i]; i++) {
                        vk_xml_writer_start(w, "qemu:del");
                        vk_xml_writer_attr(w, "capability", ns->caps_del[i]);
                        vk_xml_writer_end(w);
                }
                vk_xml_writer_end(w);
        }

        if (ns->deprecation != VK_DEPRECATION_DEFAULT) {
                vk_xml_writer_start(w, "qemu:deprecation");
                vk_xml_writer_attr(w, "behavior",
                                   vk_deprecation_behavior_to_string(ns->deprecation));
                vk_xml_writer_end(w);
        }

        if (ns->has_override) {
                vk_xml_writer_start(w, "qemu:override");
                for (size_t i = 0; i < ns->n_overrides; i++) {
                        const VkQemuOverrideDevice *d = &ns->overrides[i];

                        vk_xml_writer_start(w, "qemu:device");
                        vk_xml_writer_attr(w, "alias", d->alias);
                        if (d->has_frontend) {
                                vk_xml_writer_start(w, "qemu:frontend");
                                for (size_t j = 0; j < d->n_props; j++) {
                                        const VkQemuOverrideProperty *p = &d->props[j];

                                        vk_xml_writer_start(w, "qemu:property");
                                        vk_xml_writer_attr(w, "name", p->name);
                                        vk_xml_writer_attr(w, "type",
                                                           vk_override_type_to_string(p->type));
                                        vk_xml_writer_attr(w, "value", p->value);
                                        vk_xml_writer_end(w);
                                }
                                vk_xml_writer_end(w);
                        }
                        vk_xml_writer_end(w);
                }
                vk_xml_writer_end(w);
        }
}
