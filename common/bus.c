/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bus.c: the D-Bus side of the method field tables: vtables and message codec */
#include <fcntl.h>
#include <string.h>

#include "bus.h"
#include "json.h"
#include "macro.h"

static bool field_skipped(const VkField *f, const char *skip) {
        return skip && strcmp(f->name, skip) == 0;
}

static char *names_block_skip(const VkStructType *in, const VkStructType *out, const char *skip,
                              size_t *ret_len) {
        GString *s = g_string_new(NULL);

        /* sd-bus wants every in-name, then every out-name, each NUL-terminated */
        for (const VkField *f = in ? in->fields : NULL; f && f->name; f++)
                if (!field_skipped(f, skip))
                        g_string_append_len(s, f->name, (gssize) strlen(f->name) + 1);
        for (const VkField *f = out ? out->fields : NULL; f && f->name; f++)
                g_string_append_len(s, f->name, (gssize) strlen(f->name) + 1);
        *ret_len = s->len;
        return g_string_free(s, false);
}

static char *names_block(const VkStructType *in, const VkStructType *out, size_t *ret_len) {
        return names_block_skip(in, out, NULL, ret_len);
}

/* The D-Bus signature of @t's fields without the field @skip (NULL: all of them). */
static char *signature_skip(const VkStructType *t, const char *skip) {
        VkStructType copy;
        g_autofree VkField *fields = NULL;
        size_t n = 0;

        if (!skip || !t)
                return vk_struct_signature(t, false);
        for (const VkField *f = t->fields; f && f->name; f++)
                n++;
        fields = g_new0(VkField, n + 1);
        n = 0;
        for (const VkField *f = t->fields; f && f->name; f++)
                if (!field_skipped(f, skip))
                        fields[n++] = *f;
        copy = (VkStructType){ .size = t->size, .fields = fields };
        return vk_struct_signature(&copy, false);
}

/*
 * Build the sd-bus vtable of @iface's methods (streaming methods excepted: D-Bus clients get
 * signals instead), all dispatched to @handler, and of its signals (for introspection). The strings
 * the vtable points to are added to
 * @strings, which must outlive the vtable. Every method is marked unprivileged: authorisation
 * is ours (call-auth.c), decided the same way for both wires.
 */
sd_bus_vtable *vk_bus_vtable_new(const VkInterface *iface, sd_bus_message_handler_t handler,
                                 GPtrArray *strings) {
        size_t n = 0, i = 0;
        sd_bus_vtable *vt;

        for (const VkMethod *const *t = iface->method_tables; t && *t; t++)
                for (const VkMethod *m = *t; m->name; m++)
                        n++;
        for (const VkSignal *sig = iface->signals; sig && sig->name; sig++)
                n++;

        vt = g_new0(sd_bus_vtable, n + 2);
        vt[i++] = (sd_bus_vtable) SD_BUS_VTABLE_START(0);
        for (const VkMethod *const *t = iface->method_tables; t && *t; t++)
                for (const VkMethod *m = *t; m->name; m++) {
                        char *in_sig, *out_sig, *names;
                        size_t len;

                        if (m->flags & VK_METHOD_STREAM)
                                continue;
                        in_sig = vk_struct_signature(m->in, false);
                        out_sig = vk_struct_signature(m->out, false);
                        names = names_block(m->in, m->out, &len);
                        g_ptr_array_add(strings, in_sig);
                        g_ptr_array_add(strings, out_sig);
                        g_ptr_array_add(strings, names);
                        vt[i++] = (sd_bus_vtable){
                                .type = _SD_BUS_VTABLE_METHOD,
                                .flags = SD_BUS_VTABLE_UNPRIVILEGED,
                                .x.method = { .member = m->name,
                                              .signature = in_sig,
                                              .result = out_sig,
                                              .handler = handler,
                                              .offset = 0,
                                              .names = names },
                        };
                }
        for (const VkSignal *sig = iface->signals; sig && sig->name; sig++) {
                char *sig_sig = vk_struct_signature(sig->args, false);
                char *names;
                size_t len;

                names = names_block(NULL, sig->args, &len);
                g_ptr_array_add(strings, sig_sig);
                g_ptr_array_add(strings, names);
                vt[i++] = (sd_bus_vtable){
                        .type = _SD_BUS_VTABLE_SIGNAL,
                        .x.signal = { .member = sig->name, .signature = sig_sig, .names = names },
                };
        }
        vt[i++] = (sd_bus_vtable) SD_BUS_VTABLE_END;
        return vt;
}

/* The field @name of @t, or NULL. */
static const VkField *struct_find_field(const VkStructType *t, const char *name) {
        for (const VkField *f = t ? t->fields : NULL; f && f->name; f++)
                if (strcmp(f->name, name) == 0)
                        return f;
        return NULL;
}

/*
 * The interface method an object method runs, checked: it exists, is not a stream, and @key
 * names one of its string parameters. NULL when the declaration is wrong.
 */
const VkMethod *vk_bus_object_method_target(const VkInterface *iface, const VkObjectMethod *om) {
        const VkMethod *m = vk_interface_find_method(iface, om->method);
        const VkField *key;

        if (!m || (m->flags & VK_METHOD_STREAM))
                return NULL;
        key = struct_find_field(m->in, om->key);
        if (!key || key->type != VK_FIELD_STRING)
                return NULL;
        return m;
}

/*
 * Build the sd-bus vtable of the object interface @oi of @iface: each object method with the
 * parameters of the interface method it runs minus the key parameter, and that method's
 * result, dispatched to @handler; each property (D-Bus reads it through @getter, and it is
 * announced with PropertiesChanged). The strings the vtable points to go to @strings, which
 * must outlive the vtable. Returns -EINVAL when a method's declaration is wrong (see
 * vk_bus_object_method_target()) or a property has an ARRAY or STRUCT type.
 */
int vk_bus_object_vtable_new(const VkInterface *iface, const VkObjectInterface *oi,
                             sd_bus_message_handler_t handler, sd_bus_property_get_t getter,
                             GPtrArray *strings, sd_bus_vtable **ret) {
        g_autofree sd_bus_vtable *vt = NULL;
        size_t n = 0, i = 0;

        for (const VkObjectMethod *om = oi->methods; om && om->name; om++)
                n++;
        for (const VkField *f = oi->properties ? oi->properties->fields : NULL; f && f->name; f++)
                n++;

        vt = g_new0(sd_bus_vtable, n + 2);
        vt[i++] = (sd_bus_vtable) SD_BUS_VTABLE_START(0);
        for (const VkObjectMethod *om = oi->methods; om && om->name; om++) {
                const VkMethod *m = vk_bus_object_method_target(iface, om);
                char *in_sig, *out_sig, *names;
                size_t len;

                if (!m)
                        return -EINVAL;
                in_sig = signature_skip(m->in, om->key);
                out_sig = vk_struct_signature(m->out, false);
                names = names_block_skip(m->in, m->out, om->key, &len);
                g_ptr_array_add(strings, in_sig);
                g_ptr_array_add(strings, out_sig);
                g_ptr_array_add(strings, names);
                vt[i++] = (sd_bus_vtable){
                        .type = _SD_BUS_VTABLE_METHOD,
                        .flags = SD_BUS_VTABLE_UNPRIVILEGED,
                        .x.method = { .member = om->name,
                                      .signature = in_sig,
                                      .result = out_sig,
                                      .handler = handler,
                                      .offset = 0,
                                      .names = names },
                };
        }
        for (const VkField *f = oi->properties ? oi->properties->fields : NULL; f && f->name; f++) {
                VkStructType one = { .size = oi->properties->size,
                                     .fields = (const VkField[]){ *f, {} } };
                char *sig;

                if (f->type == VK_FIELD_ARRAY || f->type == VK_FIELD_STRUCT)
                        return -EINVAL;
                sig = vk_struct_signature(&one, false);
                g_ptr_array_add(strings, sig);
                vt[i++] = (sd_bus_vtable){
                        .type = _SD_BUS_VTABLE_PROPERTY,
                        .flags = SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE,
                        .x.property = { .member = f->name,
                                        .signature = sig,
                                        .get = getter,
                                        .offset = 0 },
                };
        }
        vt[i++] = (sd_bus_vtable) SD_BUS_VTABLE_END;
        *ret = g_steal_pointer(&vt);
        return 0;
}

static bool key_char_ok(char c) {
        return g_ascii_isalnum(c) || c == '-';
}

/*
 * The object path of the object @key under @prefix: "<prefix>/_<key>" with every "-" as "_"
 * (libvirt-dbus's form for UUIDs). -EINVAL when @key is empty or has other characters than
 * ASCII letters, digits and "-".
 */
int vk_bus_object_path(const char *prefix, const char *key, char **ret) {
        g_autofree char *path = NULL;
        size_t plen = strlen(prefix);

        if (!*key)
                return -EINVAL;
        for (const char *c = key; *c; c++)
                if (!key_char_ok(*c))
                        return -EINVAL;
        path = g_strconcat(prefix, "/_", key, NULL);
        for (char *c = path + plen + 2; *c; c++)
                if (*c == '-')
                        *c = '_';
        *ret = g_steal_pointer(&path);
        return 0;
}

/* The key of the object at @path under @prefix (the reverse of vk_bus_object_path()). */
int vk_bus_object_key(const char *prefix, const char *path, char **ret) {
        size_t plen = strlen(prefix);
        g_autofree char *key = NULL;

        if (strncmp(path, prefix, plen) != 0 || path[plen] != '/' || path[plen + 1] != '_' ||
            !path[plen + 2])
                return -EINVAL;
        key = g_strdup(path + plen + 2);
        for (char *c = key; *c; c++) {
                if (*c == '_')
                        *c = '-';
                else if (!key_char_ok(*c))
                        return -EINVAL;
        }
        *ret = g_steal_pointer(&key);
        return 0;
}

static int invalid_arg(VkError *reterr, const char *name, const char *why) {
        int r = vk_error_set(reterr, VK_ERROR_INVALID_PARAMETER, -EINVAL,
                             "invalid parameter '%s': %s", name, why);
        if (reterr && !reterr->params)
                vk_error_add_param(reterr, "parameter", name);
        return r;
}

static int read_field(sd_bus_message *m, const VkField *f, void *v, VkError *reterr) {
        int r;

        switch (f->type) {
        case VK_FIELD_STRING: {
                const char *s;
                r = sd_bus_message_read_basic(m, 's', &s);
                if (r < 0)
                        return r;
                /* D-Bus has no null: "" stands for an absent optional string */
                if (*s)
                        *(char **) v = g_strdup(s);
                else if (f->flags & VK_FIELD_REQUIRED)
                        return invalid_arg(reterr, f->name, "must not be empty");
                return 0;
        }
        case VK_FIELD_BOOL: {
                int b;
                r = sd_bus_message_read_basic(m, 'b', &b);
                *(bool *) v = b;
                return r;
        }
        case VK_FIELD_INT:
                if (f->flags & VK_FIELD_INT32) {
                        int32_t i;
                        r = sd_bus_message_read_basic(m, 'i', &i);
                        *(int64_t *) v = i;
                        return r;
                }
                return sd_bus_message_read_basic(m, 'x', v);
        case VK_FIELD_UINT:
                return sd_bus_message_read_basic(m, 't', v);
        case VK_FIELD_DOUBLE:
                return sd_bus_message_read_basic(m, 'd', v);
        case VK_FIELD_STRV: {
                char **strv = NULL;
                r = sd_bus_message_read_strv(m, &strv);
                if (r < 0)
                        return r;
                /* sd-bus hands out malloc()ed memory; GLib's g_free is free() here */
                *(char ***) v = strv;
                return 0;
        }
        case VK_FIELD_ARRAY: {
                g_autofree char *sig = vk_struct_signature(f->sub, true);
                g_autofree char *contents = vk_struct_signature(f->sub, false);
                VkArray *arr = v;
                size_t cap = 0;

                r = sd_bus_message_enter_container(m, 'a', sig);
                if (r < 0)
                        return r;
                for (;;) {
                        void *item;

                        r = sd_bus_message_enter_container(m, 'r', contents);
                        if (r < 0)
                                return r;
                        if (r == 0)
                                break;
                        if (arr->n == cap) {
                                cap = cap ? cap * 2 : 8;
                                arr->items = g_realloc_n(arr->items, cap, f->sub->size);
                        }
                        item = (uint8_t *) arr->items + arr->n * f->sub->size;
                        memset(item, 0, f->sub->size);
                        arr->n++;
                        r = vk_bus_read_struct(m, f->sub, item, reterr);
                        if (r < 0)
                                return r;
                        r = sd_bus_message_exit_container(m);
                        if (r < 0)
                                return r;
                }
                return sd_bus_message_exit_container(m);
        }
        case VK_FIELD_STRUCT: {
                g_autofree char *sig = vk_struct_signature(f->sub, false);
                r = sd_bus_message_enter_container(m, 'r', sig);
                if (r < 0)
                        return r;
                r = vk_bus_read_struct(m, f->sub, v, reterr);
                if (r < 0)
                        return r;
                return sd_bus_message_exit_container(m);
        }
        case VK_FIELD_FD: {
                int fd;

                r = sd_bus_message_read_basic(m, 'h', &fd);
                if (r < 0)
                        return r;
                /* the message owns its descriptor: the decoded struct gets a copy */
                fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
                if (fd < 0)
                        return invalid_arg(reterr, f->name, "the descriptor cannot be taken");
                *(VkFd *) v = (VkFd){ .fd = fd, .set = true };
                return 0;
        }
        default:
                g_assert_not_reached();
        }
}

/*
 * Read the fields of @t from @m (positioned at the first of them) into the zeroed @p. sd-bus has
 * already checked the signature, so only value rules (required strings) can fail here, with
 * InvalidParameter naming the parameter. On failure @p may hold partial data.
 */
int vk_bus_read_struct(sd_bus_message *m, const VkStructType *t, void *p, VkError *reterr) {
        return vk_bus_read_struct_skip(m, t, p, NULL, reterr);
}

/*
 * vk_bus_read_struct(), except that the field named @skip (NULL: none) is not in the message
 * and stays zeroed (an object method's key parameter, filled by the caller).
 */
int vk_bus_read_struct_skip(sd_bus_message *m, const VkStructType *t, void *p, const char *skip,
                            VkError *reterr) {
        for (const VkField *f = t ? t->fields : NULL; f && f->name; f++) {
                int r;

                if (skip && strcmp(f->name, skip) == 0)
                        continue;
                r = read_field(m, f, VK_FIELD_PTR(p, f), reterr);
                if (r < 0)
                        return vk_error_is_set(reterr)
                                       ? r
                                       : invalid_arg(reterr, f->name, "cannot be read");
        }
        return 0;
}

/* sd-bus refuses a string that is not UTF-8: send U+FFFD for what is invalid instead. */
static int append_string(sd_bus_message *m, const char *s) {
        g_autofree char *valid = NULL;

        if (!g_utf8_validate(s, -1, NULL))
                s = valid = g_utf8_make_valid(s, -1);
        return sd_bus_message_append_basic(m, 's', s);
}

static int append_strv(sd_bus_message *m, const char *const *strv) {
        int r;

        r = sd_bus_message_open_container(m, 'a', "s");
        for (; r >= 0 && strv && *strv; strv++)
                r = append_string(m, *strv);
        return r < 0 ? r : sd_bus_message_close_container(m);
}

static int append_field(sd_bus_message *m, const VkField *f, const void *v) {
        int r;

        switch (f->type) {
        case VK_FIELD_STRING:
                return append_string(m, vk_strempty(*(char *const *) v));
        case VK_FIELD_BOOL: {
                int b = *(const bool *) v;
                return sd_bus_message_append_basic(m, 'b', &b);
        }
        case VK_FIELD_INT:
                if (f->flags & VK_FIELD_INT32) {
                        int32_t i = (int32_t) CLAMP(*(const int64_t *) v, INT32_MIN, INT32_MAX);
                        return sd_bus_message_append_basic(m, 'i', &i);
                }
                return sd_bus_message_append_basic(m, 'x', v);
        case VK_FIELD_UINT:
                return sd_bus_message_append_basic(m, 't', v);
        case VK_FIELD_DOUBLE:
                return sd_bus_message_append_basic(m, 'd', v);
        case VK_FIELD_STRV:
                return append_strv(m, *(const char *const *const *) v);
        case VK_FIELD_ARRAY: {
                g_autofree char *sig = vk_struct_signature(f->sub, true);
                g_autofree char *contents = vk_struct_signature(f->sub, false);
                const VkArray *arr = v;

                r = sd_bus_message_open_container(m, 'a', sig);
                if (r < 0)
                        return r;
                for (size_t i = 0; i < arr->n; i++) {
                        r = sd_bus_message_open_container(m, 'r', contents);
                        if (r < 0)
                                return r;
                        r = vk_bus_append_struct(m, f->sub,
                                                 (const uint8_t *) arr->items + i * f->sub->size);
                        if (r < 0)
                                return r;
                        r = sd_bus_message_close_container(m);
                        if (r < 0)
                                return r;
                }
                return sd_bus_message_close_container(m);
        }
        case VK_FIELD_STRUCT: {
                g_autofree char *sig = vk_struct_signature(f->sub, false);
                r = sd_bus_message_open_container(m, 'r', sig);
                if (r < 0)
                        return r;
                r = vk_bus_append_struct(m, f->sub, v);
                if (r < 0)
                        return r;
                return sd_bus_message_close_container(m);
        }
        case VK_FIELD_FD: {
                /* sd-bus sends a copy; an absent descriptor cannot be expressed on D-Bus */
                const VkFd *fd = v;

                if (!fd->set || fd->fd < 0)
                        return -EBADF;
                return sd_bus_message_append_basic(m, 'h', &fd->fd);
        }
        default:
                g_assert_not_reached();
        }
}

/* Append the one field @f of the struct @p to @m (a property value). */
int vk_bus_append_field(sd_bus_message *m, const VkField *f, const void *p) {
        return append_field(m, f, (const uint8_t *) p + f->offset);
}

/* Append the fields of @t from @p to @m. NULL strings become "", NULL vectors []. */
int vk_bus_append_struct(sd_bus_message *m, const VkStructType *t, const void *p) {
        for (const VkField *f = t ? t->fields : NULL; f && f->name; f++) {
                int r = append_field(m, f, (const uint8_t *) p + f->offset);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The D-Bus error name for a varlink error: the protocol's own errors map to D-Bus's. */
const char *vk_bus_error_name(const char *varlink_error) {
        if (strcmp(varlink_error, VK_ERROR_INVALID_PARAMETER) == 0)
                return SD_BUS_ERROR_INVALID_ARGS;
        if (strcmp(varlink_error, "org.varlink.service.MethodNotFound") == 0)
                return SD_BUS_ERROR_UNKNOWN_METHOD;
        return varlink_error;
}
