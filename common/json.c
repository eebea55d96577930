/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* json.c: json-glib helpers and the JSON side of the method field tables */
#include <assert.h>
#include <fcntl.h>
#include <math.h>
#include <string.h>

#include "json.h"
#include "macro.h"

/*
 * Check @text (@len bytes) against the nesting and size limits in one linear pass that skips
 * strings (and their escapes), before a recursive parser sees it: json-glib recurses once per
 * level, so a few hundred KB of "[" would exhaust the stack. Counts every value start; does
 * not validate the syntax (the parser does).
 */
int vk_json_check_limits(const char *text, size_t len, VkError *reterr) {
        unsigned depth = 0;
        size_t elements = 1;
        bool in_string = false;

        for (size_t i = 0; i < len; i++) {
                char ch = text[i];

                if (in_string) {
                        if (ch == '\\')
                                i++;
                        else if (ch == '"')
                                in_string = false;
                        continue;
                }
                switch (ch) {
                case '"':
                        in_string = true;
                        break;
                case '[':
                case '{':
                        if (++depth > VK_JSON_MAX_DEPTH)
                                return vk_error_set(reterr, VK_ERROR_LIMIT_EXCEEDED, -E2BIG,
                                                    "invalid JSON: nested deeper than %u levels "
                                                    "(at byte %zu)",
                                                    VK_JSON_MAX_DEPTH, i);
                        elements++;
                        break;
                case ']':
                case '}':
                        if (depth > 0)
                                depth--;
                        break;
                case ',':
                        if (++elements > VK_JSON_MAX_ELEMENTS)
                                return vk_error_set(reterr, VK_ERROR_LIMIT_EXCEEDED, -E2BIG,
                                                    "invalid JSON: more than %u values (at byte "
                                                    "%zu)",
                                                    VK_JSON_MAX_ELEMENTS, i);
                        break;
                default:
                        break;
                }
        }
        return 0;
}

/*
 * Parse @text (not necessarily NUL-terminated when @len >= 0) into a node the caller owns.
 * Fails with InvalidArgument naming the parser's complaint, or LimitExceeded when the text is
 * nested deeper than VK_JSON_MAX_DEPTH or holds more than VK_JSON_MAX_ELEMENTS values.
 */
int vk_json_parse(const char *text, gssize len, JsonNode **ret, VkError *reterr) {
        g_autoptr(JsonParser) parser = json_parser_new_immutable();
        g_autoptr(GError) error = NULL;
        JsonNode *root;
        int r;

        r = vk_json_check_limits(text, len < 0 ? strlen(text) : (size_t) len, reterr);
        if (r < 0)
                return r;
        if (!json_parser_load_from_data(parser, text, len, &error))
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EBADMSG, "invalid JSON: %s",
                                    error->message);
        root = json_parser_steal_root(parser);
        if (!root)
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EBADMSG,
                                    "invalid JSON: empty document");
        *ret = root;
        return 0;
}

/* Write @str as a JSON string. Invalid UTF-8 becomes U+FFFD: nothing we send may break a
 * strict client, whatever bytes a parser's message or a file name carried. */
static void json_write_string(GString *out, const char *str) {
        g_autofree char *valid = NULL;

        if (!g_utf8_validate(str, -1, NULL))
                str = valid = g_utf8_make_valid(str, -1);
        g_string_append_c(out, '"');
        for (const unsigned char *p = (const unsigned char *) str; *p; p++) {
                switch (*p) {
                case '"':
                        g_string_append(out, "\\\"");
                        break;
                case '\\':
                        g_string_append(out, "\\\\");
                        break;
                case '\b':
                        g_string_append(out, "\\b");
                        break;
                case '\f':
                        g_string_append(out, "\\f");
                        break;
                case '\n':
                        g_string_append(out, "\\n");
                        break;
                case '\r':
                        g_string_append(out, "\\r");
                        break;
                case '\t':
                        g_string_append(out, "\\t");
                        break;
                default:
                        if (*p < 0x20)
                                g_string_append_printf(out, "\\u%04x", *p);
                        else
                                g_string_append_c(out, (char) *p);
                }
        }
        g_string_append_c(out, '"');
}

static void json_write_node(GString *out, JsonNode *node);

static void json_write_object_member(JsonObject *o, const char *name, JsonNode *member,
                                     gpointer userdata) {
        GString *out = userdata;

        if (out->str[out->len - 1] != '{')
                g_string_append_c(out, ',');
        json_write_string(out, name);
        g_string_append_c(out, ':');
        json_write_node(out, member);
}

static void json_write_array_element(JsonArray *a, guint index, JsonNode *element,
                                     gpointer userdata) {
        GString *out = userdata;

        if (index > 0)
                g_string_append_c(out, ',');
        json_write_node(out, element);
}

static void json_write_node(GString *out, JsonNode *node) {
        switch (json_node_get_node_type(node)) {
        case JSON_NODE_OBJECT:
                g_string_append_c(out, '{');
                json_object_foreach_member(json_node_get_object(node), json_write_object_member,
                                           out);
                g_string_append_c(out, '}');
                break;
        case JSON_NODE_ARRAY:
                g_string_append_c(out, '[');
                json_array_foreach_element(json_node_get_array(node), json_write_array_element,
                                           out);
                g_string_append_c(out, ']');
                break;
        case JSON_NODE_NULL:
                g_string_append(out, "null");
                break;
        case JSON_NODE_VALUE:
                switch (json_node_get_value_type(node)) {
                case G_TYPE_STRING:
                        json_write_string(out, json_node_get_string(node));
                        break;
                case G_TYPE_INT64:
                        g_string_append_printf(out, "%" G_GINT64_FORMAT, json_node_get_int(node));
                        break;
                case G_TYPE_BOOLEAN:
                        g_string_append(out, json_node_get_boolean(node) ? "true" : "false");
                        break;
                case G_TYPE_DOUBLE: {
                        char buf[G_ASCII_DTOSTR_BUF_SIZE];
                        g_string_append(
                                out, g_ascii_dtostr(buf, sizeof(buf), json_node_get_double(node)));
                        break;
                }
                default:
                        g_string_append(out, "null");
                }
                break;
        }
}

/*
 * Serialise @node: compact JSON written directly (no generator object: this runs for every
 * varlink message and every -device argument), or indented with 2 spaces for people. The
 * caller frees the string.
 */
char *vk_json_to_string(JsonNode *node, bool pretty) {
        GString *out;

        if (pretty) {
                g_autoptr(JsonGenerator) gen = json_generator_new();

                json_generator_set_pretty(gen, true);
                json_generator_set_indent(gen, 2);
                json_generator_set_root(gen, node);
                return json_generator_to_data(gen, NULL);
        }
        out = g_string_sized_new(256);
        json_write_node(out, node);
        return g_string_free(out, false);
}

const char *vk_json_object_get_string_member_or_null(JsonObject *o, const char *name) {
        JsonNode *n = o ? json_object_get_member(o, name) : NULL;

        if (!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
                return NULL;
        return json_node_get_string(n);
}

static JsonNode *node_take_object(JsonObject *o) {
        JsonNode *n = json_node_new(JSON_NODE_OBJECT);
        json_node_take_object(n, o);
        return n;
}

static JsonNode *node_take_array(JsonArray *a) {
        JsonNode *n = json_node_new(JSON_NODE_ARRAY);
        json_node_take_array(n, a);
        return n;
}

static int invalid_param(VkError *reterr, const char *path, const char *why) {
        int r = vk_error_set(reterr, VK_ERROR_INVALID_PARAMETER, -EINVAL,
                             "invalid parameter '%s': %s", path, why);
        /* vk_error_set() keeps the first error: attach the name only to our own */
        if (reterr && reterr->params == NULL)
                vk_error_add_param(reterr, "parameter", path);
        return r;
}

static bool node_is_int(JsonNode *n) {
        return JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_INT64;
}

/* The descriptors passed with the message being decoded (VK_FIELD_FD indexes them). */
typedef struct JsonFds {
        const int *fds;
        size_t n;
} JsonFds;

static int field_from_json(const VkField *f, JsonNode *n, void *v, const char *path,
                           const JsonFds *fds, VkError *reterr);

static int struct_from_json(const VkStructType *t, JsonObject *obj, void *p, const char *prefix,
                            const JsonFds *fds, VkError *reterr) {
        g_autoptr(GList) members = NULL;
        int r;

        /* unknown members first: nothing a client sends is silently ignored */
        members = json_object_get_members(obj);
        for (GList *l = members; l; l = l->next) {
                const VkField *f;
                g_autofree char *path = prefix ? g_strdup_printf("%s.%s", prefix, (char *) l->data)
                                               : g_strdup(l->data);

                for (f = t ? t->fields : NULL; f && f->name; f++)
                        if (strcmp(f->name, l->data) == 0)
                                break;
                if (!f || !f->name)
                        return invalid_param(reterr, path, "unknown parameter");
        }

        for (const VkField *f = t ? t->fields : NULL; f && f->name; f++) {
                JsonNode *n = json_object_get_member(obj, f->name);
                g_autofree char *path =
                        prefix ? g_strdup_printf("%s.%s", prefix, f->name) : g_strdup(f->name);

                if (!n || JSON_NODE_HOLDS_NULL(n)) {
                        if (f->flags & VK_FIELD_REQUIRED)
                                return invalid_param(reterr, path, "missing");
                        continue;
                }
                r = field_from_json(f, n, VK_FIELD_PTR(p, f), path, fds, reterr);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int fd_from_json(JsonNode *n, VkFd *v, const char *path, const JsonFds *fds,
                        VkError *reterr) {
        int64_t i;
        int fd;

        if (!node_is_int(n))
                return invalid_param(reterr, path, "expected the index of a passed descriptor");
        i = json_node_get_int(n);
        if (!fds || fds->n == 0)
                return invalid_param(reterr, path, "no file descriptor was passed with the call");
        if (i < 0 || (uint64_t) i >= fds->n)
                return invalid_param(reterr, path, "no passed file descriptor has this index");
        /* the decoded struct owns a copy: the message's descriptors are closed after it */
        fd = fcntl(fds->fds[i], F_DUPFD_CLOEXEC, 3);
        if (fd < 0)
                return vk_error_set_errno(reterr, -errno, "cannot take the descriptor of '%s'",
                                          path);
        *v = (VkFd){ .fd = fd, .set = true };
        return 0;
}

static int field_from_json(const VkField *f, JsonNode *n, void *v, const char *path,
                           const JsonFds *fds, VkError *reterr) {
        switch (f->type) {
        case VK_FIELD_STRING:
                if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
                        return invalid_param(reterr, path, "expected a string");
                *(char **) v = g_strdup(json_node_get_string(n));
                return 0;
        case VK_FIELD_BOOL:
                if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_BOOLEAN)
                        return invalid_param(reterr, path, "expected a boolean");
                *(bool *) v = json_node_get_boolean(n);
                return 0;
        case VK_FIELD_INT:
                if (!node_is_int(n))
                        return invalid_param(reterr, path, "expected an integer");
                *(int64_t *) v = json_node_get_int(n);
                return 0;
        case VK_FIELD_UINT:
                if (!node_is_int(n) || json_node_get_int(n) < 0)
                        return invalid_param(reterr, path, "expected a non-negative integer");
                *(uint64_t *) v = (uint64_t) json_node_get_int(n);
                return 0;
        case VK_FIELD_DOUBLE:
                if (node_is_int(n))
                        *(double *) v = (double) json_node_get_int(n);
                else if (JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_DOUBLE)
                        *(double *) v = json_node_get_double(n);
                else
                        return invalid_param(reterr, path, "expected a number");
                return 0;
        case VK_FIELD_STRV: {
                JsonArray *a;
                guint len;
                char **strv;

                if (!JSON_NODE_HOLDS_ARRAY(n))
                        return invalid_param(reterr, path, "expected an array of strings");
                a = json_node_get_array(n);
                len = json_array_get_length(a);
                strv = g_new0(char *, len + 1);
                for (guint i = 0; i < len; i++) {
                        JsonNode *e = json_array_get_element(a, i);
                        if (!JSON_NODE_HOLDS_VALUE(e) ||
                            json_node_get_value_type(e) != G_TYPE_STRING) {
                                g_strfreev(strv);
                                return invalid_param(reterr, path, "expected an array of strings");
                        }
                        strv[i] = g_strdup(json_node_get_string(e));
                }
                *(char ***) v = strv;
                return 0;
        }
        case VK_FIELD_ARRAY: {
                VkArray *arr = v;
                JsonArray *a;
                guint len;

                if (!JSON_NODE_HOLDS_ARRAY(n))
                        return invalid_param(reterr, path, "expected an array");
                a = json_node_get_array(n);
                len = json_array_get_length(a);
                arr->items = g_malloc0_n(len ? len : 1, f->sub->size);
                arr->n = 0;
                for (guint i = 0; i < len; i++) {
                        JsonNode *e = json_array_get_element(a, i);
                        g_autofree char *epath = g_strdup_printf("%s[%u]", path, i);
                        void *item = (uint8_t *) arr->items + i * f->sub->size;
                        int r;

                        if (!JSON_NODE_HOLDS_OBJECT(e))
                                return invalid_param(reterr, epath, "expected an object");
                        arr->n = i + 1; /* so that a failure frees what was decoded */
                        r = struct_from_json(f->sub, json_node_get_object(e), item, epath, fds,
                                             reterr);
                        if (r < 0)
                                return r;
                }
                return 0;
        }
        case VK_FIELD_STRUCT:
                if (!JSON_NODE_HOLDS_OBJECT(n))
                        return invalid_param(reterr, path, "expected an object");
                return struct_from_json(f->sub, json_node_get_object(n), v, path, fds, reterr);
        case VK_FIELD_FD:
                return fd_from_json(n, v, path, fds, reterr);
        default:
                g_assert_not_reached();
        }
}

/*
 * Decode the JSON text @text, which must hold one object, into the zeroed struct @p of type @t
 * (a file we wrote: status, leases). @what names the text in errors. Bounded like every JSON
 * read (vk_json_parse()). On failure @p may hold partial data: free it with vk_struct_clear().
 */
int vk_struct_from_json_text(const VkStructType *t, const char *text, const char *what, void *p,
                             VkError *reterr) {
        g_autoptr(JsonNode) root = NULL;
        int r;

        r = vk_json_parse(text, -1, &root, reterr);
        if (r < 0)
                return r;
        if (!JSON_NODE_HOLDS_OBJECT(root))
                return vk_error_set(reterr, VK_ERROR_INVALID_CONFIG, -EBADMSG,
                                    "%s: not a JSON object", what);
        return vk_struct_from_json(t, json_node_get_object(root), p, reterr);
}

/*
 * Decode @obj (may be NULL: no parameters) into the zeroed struct @p of type @t. Unknown,
 * missing required and mistyped members fail with org.varlink.service.InvalidParameter and a
 * "parameter" error parameter naming the member. On failure @p may hold partial data: free it
 * with vk_struct_clear().
 */
int vk_struct_from_json(const VkStructType *t, JsonObject *obj, void *p, VkError *reterr) {
        return vk_struct_from_json_fds(t, obj, NULL, 0, p, reterr);
}

/*
 * vk_struct_from_json() for a message that came with the descriptors @fds (@n_fds of them):
 * a VK_FIELD_FD member is an index into them, and the struct gets its own copy of the one it
 * names (the caller still closes @fds).
 */
int vk_struct_from_json_fds(const VkStructType *t, JsonObject *obj, const int *fds, size_t n_fds,
                            void *p, VkError *reterr) {
        g_autoptr(JsonObject) empty = NULL;
        JsonFds jf = { .fds = fds, .n = n_fds };

        if (!obj)
                obj = empty = json_object_new();
        return struct_from_json(t, obj, p, NULL, &jf, reterr);
}

static JsonNode *struct_to_json(const VkStructType *t, const void *p, GArray *fds);

static JsonNode *field_to_json(const VkField *f, const void *v, GArray *fds) {
        switch (f->type) {
        case VK_FIELD_STRING:
                return json_node_init_string(json_node_alloc(), vk_strempty(*(char *const *) v));
        case VK_FIELD_BOOL:
                return json_node_init_boolean(json_node_alloc(), *(const bool *) v);
        case VK_FIELD_INT:
                return json_node_init_int(json_node_alloc(), *(const int64_t *) v);
        case VK_FIELD_UINT:
                return json_node_init_int(json_node_alloc(), (gint64) * (const uint64_t *) v);
        case VK_FIELD_DOUBLE:
                return json_node_init_double(json_node_alloc(), *(const double *) v);
        case VK_FIELD_STRV: {
                JsonArray *a = json_array_new();
                for (char *const *s = *(char *const *const *) v; s && *s; s++)
                        json_array_add_string_element(a, *s);
                return node_take_array(a);
        }
        case VK_FIELD_ARRAY: {
                const VkArray *arr = v;
                JsonArray *a = json_array_new();
                for (size_t i = 0; i < arr->n; i++)
                        json_array_add_element(
                                a, struct_to_json(f->sub,
                                                  (const uint8_t *) arr->items + i * f->sub->size,
                                                  fds));
                return node_take_array(a);
        }
        case VK_FIELD_STRUCT:
                return struct_to_json(f->sub, v, fds);
        case VK_FIELD_FD:
                g_array_append_val(fds, ((const VkFd *) v)->fd);
                return json_node_init_int(json_node_alloc(), (gint64) fds->len - 1);
        default:
                g_assert_not_reached();
        }
}

static bool field_is_absent(const VkField *f, const void *v) {
        if (f->flags & VK_FIELD_REQUIRED)
                return false;
        switch (f->type) {
        case VK_FIELD_STRING:
                return *(char *const *) v == NULL;
        case VK_FIELD_STRV:
                return *(char *const *const *) v == NULL;
        case VK_FIELD_FD:
                return !((const VkFd *) v)->set;
        default:
                return false;
        }
}

/*
 * Encode the struct @p of type @t as a JSON object node (the caller owns it). Optional
 * strings and vectors that are NULL are left out; required ones become "" and [].
 */
static JsonNode *struct_to_json(const VkStructType *t, const void *p, GArray *fds) {
        JsonObject *o = json_object_new();

        for (const VkField *f = t ? t->fields : NULL; f && f->name; f++) {
                const void *v = (const uint8_t *) p + f->offset;

                /* without @fds, descriptors cannot travel: leave them out */
                if (field_is_absent(f, v) || (f->type == VK_FIELD_FD && !fds))
                        continue;
                json_object_set_member(o, f->name, field_to_json(f, v, fds));
        }
        return node_take_object(o);
}

JsonNode *vk_struct_to_json(const VkStructType *t, const void *p) {
        return struct_to_json(t, p, NULL);
}

/*
 * vk_struct_to_json() for a message that carries descriptors: each VK_FIELD_FD that is set
 * is appended to @fds (an array of int; borrowed, not duplicated) and written as its index.
 */
JsonNode *vk_struct_to_json_fds(const VkStructType *t, const void *p, GArray *fds) {
        assert(fds);
        return struct_to_json(t, p, fds);
}

static void struct_write_json(GString *out, const VkStructType *t, const void *p);

static void field_write_json(GString *out, const VkField *f, const void *v) {
        switch (f->type) {
        case VK_FIELD_STRING:
                json_write_string(out, vk_strempty(*(char *const *) v));
                break;
        case VK_FIELD_BOOL:
                g_string_append(out, *(const bool *) v ? "true" : "false");
                break;
        case VK_FIELD_INT:
                g_string_append_printf(out, "%" G_GINT64_FORMAT, (gint64) * (const int64_t *) v);
                break;
        case VK_FIELD_UINT:
                g_string_append_printf(out, "%" G_GUINT64_FORMAT, (guint64) * (const uint64_t *) v);
                break;
        case VK_FIELD_DOUBLE: {
                char buf[G_ASCII_DTOSTR_BUF_SIZE];
                g_string_append(out, g_ascii_dtostr(buf, sizeof(buf), *(const double *) v));
                break;
        }
        case VK_FIELD_STRV: {
                bool first = true;

                g_string_append_c(out, '[');
                for (char *const *s = *(char *const *const *) v; s && *s; s++) {
                        if (!first)
                                g_string_append_c(out, ',');
                        json_write_string(out, *s);
                        first = false;
                }
                g_string_append_c(out, ']');
                break;
        }
        case VK_FIELD_ARRAY: {
                const VkArray *arr = v;

                g_string_append_c(out, '[');
                for (size_t i = 0; i < arr->n; i++) {
                        if (i > 0)
                                g_string_append_c(out, ',');
                        struct_write_json(out, f->sub,
                                          (const uint8_t *) arr->items + i * f->sub->size);
                }
                g_string_append_c(out, ']');
                break;
        }
        case VK_FIELD_STRUCT:
                struct_write_json(out, f->sub, v);
                break;
        case VK_FIELD_FD: /* a reply passes no descriptors: the parameter is absent */
                g_string_append(out, "null");
                break;
        default:
                g_assert_not_reached();
        }
}

static void struct_write_json(GString *out, const VkStructType *t, const void *p) {
        bool first = true;

        g_string_append_c(out, '{');
        for (const VkField *f = t ? t->fields : NULL; f && f->name; f++) {
                const void *v = (const uint8_t *) p + f->offset;

                if (field_is_absent(f, v))
                        continue;
                if (!first)
                        g_string_append_c(out, ',');
                json_write_string(out, f->name);
                g_string_append_c(out, ':');
                field_write_json(out, f, v);
                first = false;
        }
        g_string_append_c(out, '}');
}

/*
 * Append the struct @p of type @t to @out as compact JSON, the same bytes as
 * vk_json_to_string(vk_struct_to_json()) but without building a tree (a list of 1000
 * domains is one reply). @p may be NULL only when @t has no fields.
 */
void vk_struct_write_json(GString *out, const VkStructType *t, const void *p) {
        struct_write_json(out, t, p);
}
