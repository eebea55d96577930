/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* method.c: method declarations: freeing decoded structs, D-Bus signatures, varlink IDL */
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "macro.h"
#include "method.h"

static const char *const field_type_names[_VK_FIELD_TYPE_MAX] = {
        [VK_FIELD_STRING] = "string", [VK_FIELD_BOOL] = "bool",     [VK_FIELD_INT] = "int",
        [VK_FIELD_UINT] = "uint",     [VK_FIELD_DOUBLE] = "float",  [VK_FIELD_STRV] = "strv",
        [VK_FIELD_ARRAY] = "array",   [VK_FIELD_STRUCT] = "struct", [VK_FIELD_FD] = "fd",
};

static const char *const auth_names[_VK_AUTH_MAX] = {
        [VK_AUTH_READ] = "read",
        [VK_AUTH_MANAGE] = "manage",
        [VK_AUTH_MONITOR] = "monitor",
};

const char *vk_field_type_to_string(VkFieldType t) {
        if (t < 0 || t >= _VK_FIELD_TYPE_MAX)
                return NULL;
        return field_type_names[t];
}

const char *vk_auth_to_string(VkAuth a) {
        if (a < 0 || a >= _VK_AUTH_MAX)
                return NULL;
        return auth_names[a];
}

VkAuth vk_auth_from_string(const char *s) {
        for (int i = 0; s && i < _VK_AUTH_MAX; i++)
                if (strcmp(s, auth_names[i]) == 0)
                        return (VkAuth) i;
        return _VK_AUTH_INVALID;
}

static const char *const interactive_params[] = { NULL };

const VkErrorDecl vk_common_errors[] = {
        { VK_ERROR_INVALID_ARGUMENT, NULL, "An argument has a value that is not accepted" },
        { VK_ERROR_INVALID_XML, NULL, "The XML document is malformed or not supported" },
        { VK_ERROR_INVALID_CONFIG, NULL, "A configuration file is malformed" },
        { VK_ERROR_NOT_SUPPORTED, NULL, "The operation or setting is not supported" },
        { VK_ERROR_PERMISSION_DENIED, NULL, "The caller is not allowed to do this" },
        { VK_ERROR_INTERACTIVE_AUTH_REQUIRED, interactive_params,
          "The caller may do this after authenticating interactively" },
        { VK_ERROR_OPERATION_FAILED, NULL, "The operation failed" },
        { VK_ERROR_OPERATION_INVALID, NULL, "The operation is not valid in the current state" },
        { VK_ERROR_TIMEOUT, NULL, "The operation timed out" },
        { VK_ERROR_BUSY, NULL, "Another operation is in progress" },
        { VK_ERROR_LIMIT_EXCEEDED, NULL, "A resource limit was reached" },
        { VK_ERROR_INTERNAL, NULL, "An internal error occurred" },
        { VK_ERROR_SYSTEM, NULL, "A system call failed" },
        {},
};

/* Free what a decoded struct owns (strings, vectors, arrays), leaving @p zeroed. */
void vk_struct_clear(const VkStructType *t, void *p) {
        if (!t || !p)
                return;

        for (const VkField *f = t->fields; f && f->name; f++) {
                void *v = VK_FIELD_PTR(p, f);

                switch (f->type) {
                case VK_FIELD_STRING:
                        g_clear_pointer((char **) v, g_free);
                        break;
                case VK_FIELD_STRV:
                        g_clear_pointer((char ***) v, g_strfreev);
                        break;
                case VK_FIELD_ARRAY: {
                        VkArray *a = v;
                        for (size_t i = 0; i < a->n; i++)
                                vk_struct_clear(f->sub, (uint8_t *) a->items + i * f->sub->size);
                        g_clear_pointer(&a->items, g_free);
                        a->n = 0;
                        break;
                }
                case VK_FIELD_STRUCT:
                        vk_struct_clear(f->sub, v);
                        break;
                case VK_FIELD_FD: {
                        VkFd *fd = v;
                        if (fd->set && fd->fd >= 0)
                                (void) close(fd->fd);
                        break;
                }
                default:
                        break;
                }
        }
        memset(p, 0, t->size);
}

/* vk_struct_clear() plus g_free(). Takes NULL, returns NULL. */
void *vk_struct_free(const VkStructType *t, void *p) {
        if (!p)
                return NULL;
        vk_struct_clear(t, p);
        g_free(p);
        return NULL;
}

static void field_signature(GString *s, const VkField *f) {
        switch (f->type) {
        case VK_FIELD_STRING:
                g_string_append_c(s, 's');
                break;
        case VK_FIELD_BOOL:
                g_string_append_c(s, 'b');
                break;
        case VK_FIELD_INT:
                g_string_append_c(s, f->flags & VK_FIELD_INT32 ? 'i' : 'x');
                break;
        case VK_FIELD_UINT:
                g_string_append_c(s, 't');
                break;
        case VK_FIELD_DOUBLE:
                g_string_append_c(s, 'd');
                break;
        case VK_FIELD_STRV:
                g_string_append(s, "as");
                break;
        case VK_FIELD_ARRAY: {
                g_autofree char *sub = vk_struct_signature(f->sub, true);
                g_string_append_c(s, 'a');
                g_string_append(s, sub);
                break;
        }
        case VK_FIELD_STRUCT: {
                g_autofree char *sub = vk_struct_signature(f->sub, true);
                g_string_append(s, sub);
                break;
        }
        case VK_FIELD_FD:
                g_string_append_c(s, 'h');
                break;
        default:
                g_assert_not_reached();
        }
}

/*
 * The D-Bus signature of a struct's fields, concatenated: "sbx" for a parameter list, or
 * wrapped in parentheses ("(sbx)") when @wrap is set. A NULL or empty type gives "" (or "()"
 * is never produced: D-Bus forbids empty structs, so an empty wrapped type is "").
 */
char *vk_struct_signature(const VkStructType *t, bool wrap) {
        GString *s = g_string_new(NULL);
        bool any = t && t->fields && t->fields[0].name;

        if (wrap && any)
                g_string_append_c(s, '(');
        for (const VkField *f = t ? t->fields : NULL; f && f->name; f++)
                field_signature(s, f);
        if (wrap && any)
                g_string_append_c(s, ')');
        return g_string_free(s, false);
}

/* Look a method up in all of @iface's tables. Returns NULL when there is none. */
const VkMethod *vk_interface_find_method(const VkInterface *iface, const char *name) {
        for (const VkMethod *const *t = iface->method_tables; t && *t; t++)
                for (const VkMethod *m = *t; m->name; m++)
                        if (strcmp(m->name, name) == 0)
                                return m;
        return NULL;
}

/* The polkit action for @auth: "<prefix>.manage" or "io.virtkit.qemu.monitor"; NULL for read. */
char *vk_interface_action_id(const VkInterface *iface, VkAuth auth) {
        switch (auth) {
        case VK_AUTH_MANAGE:
                return g_strdup_printf("%s.manage", iface->polkit_prefix);
        case VK_AUTH_MONITOR:
                return g_strdup("io.virtkit.qemu.monitor");
        default:
                return NULL;
        }
}

static void idl_type(GString *s, const VkField *f) {
        if (!(f->flags & VK_FIELD_REQUIRED))
                g_string_append_c(s, '?');
        switch (f->type) {
        case VK_FIELD_STRING:
                g_string_append(s, "string");
                break;
        case VK_FIELD_BOOL:
                g_string_append(s, "bool");
                break;
        case VK_FIELD_INT:
        case VK_FIELD_UINT:
        case VK_FIELD_FD: /* the index of a descriptor passed with the message */
                g_string_append(s, "int");
                break;
        case VK_FIELD_DOUBLE:
                g_string_append(s, "float");
                break;
        case VK_FIELD_STRV:
                g_string_append(s, "[]string");
                break;
        case VK_FIELD_ARRAY:
                g_string_append_printf(s, "[]%s", f->sub->name);
                break;
        case VK_FIELD_STRUCT:
                g_string_append(s, f->sub->name);
                break;
        default:
                g_assert_not_reached();
        }
}

static void idl_fields(GString *s, const VkStructType *t, bool interactive) {
        bool first = true;

        g_string_append_c(s, '(');
        for (const VkField *f = t ? t->fields : NULL; f && f->name; f++) {
                g_string_append_printf(s, "%s%s: ", first ? "" : ", ", f->name);
                idl_type(s, f);
                first = false;
        }
        if (interactive)
                g_string_append_printf(s, "%sallowInteractiveAuthentication: ?bool",
                                       first ? "" : ", ");
        g_string_append_c(s, ')');
}

static void collect_types(GPtrArray *types, const VkStructType *t) {
        if (!t)
                return;
        for (const VkField *f = t->fields; f && f->name; f++) {
                if (f->type != VK_FIELD_ARRAY && f->type != VK_FIELD_STRUCT)
                        continue;
                collect_types(types, f->sub);
                if (!g_ptr_array_find(types, f->sub, NULL))
                        g_ptr_array_add(types, (gpointer) f->sub);
        }
}

static void idl_doc(GString *s, const char *doc) {
        if (!doc)
                return;
        g_auto(GStrv) lines = g_strsplit(doc, "\n", -1);
        for (char **l = lines; *l; l++)
                g_string_append_printf(s, "# %s\n", *l);
}

static void idl_error(GString *s, const VkErrorDecl *e) {
        g_string_append_c(s, '\n');
        idl_doc(s, e->doc);
        g_string_append_printf(s, "error %s (message: ?string", e->name);
        for (const char *const *p = e->params; p && *p; p++)
                g_string_append_printf(s, ", %s: ?string", *p);
        g_string_append(s, ")\n");
}

/*
 * The varlink interface description of @iface: named types, methods (with the implicit
 * allowInteractiveAuthentication parameter on changing methods), the interface's own errors and
 * the common ones. The caller frees the string.
 */
char *vk_interface_format_idl(const VkInterface *iface) {
        g_autoptr(GPtrArray) types = g_ptr_array_new();
        GString *s = g_string_new(NULL);

        idl_doc(s, iface->doc);
        g_string_append_printf(s, "interface %s\n", iface->varlink_name);

        for (const VkMethod *const *t = iface->method_tables; t && *t; t++)
                for (const VkMethod *m = *t; m->name; m++) {
                        collect_types(types, m->in);
                        collect_types(types, m->out);
                }

        for (guint i = 0; i < types->len; i++) {
                const VkStructType *t = types->pdata[i];
                bool first = true;

                g_string_append_c(s, '\n');
                idl_doc(s, t->doc);
                g_string_append_printf(s, "type %s (\n", t->name);
                for (const VkField *f = t->fields; f->name; f++) {
                        g_string_append_printf(s, "%s  %s: ", first ? "" : ",\n", f->name);
                        idl_type(s, f);
                        first = false;
                }
                g_string_append(s, "\n)\n");
        }

        for (const VkMethod *const *t = iface->method_tables; t && *t; t++)
                for (const VkMethod *m = *t; m->name; m++) {
                        g_string_append_c(s, '\n');
                        idl_doc(s, m->doc);
                        if (m->flags & VK_METHOD_STREAM)
                                g_string_append(s, "# Call with \"more\": replies stream.\n");
                        g_string_append_printf(s, "method %s", m->name);
                        idl_fields(s, m->in, m->auth != VK_AUTH_READ);
                        g_string_append(s, " -> ");
                        idl_fields(s, m->out, false);
                        g_string_append_c(s, '\n');
                }

        for (const VkErrorDecl *e = iface->errors; e && e->name; e++)
                idl_error(s, e);
        for (const VkErrorDecl *e = vk_common_errors; e->name; e++)
                idl_error(s, e);

        return g_string_free(s, false);
}
