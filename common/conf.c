/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* conf.c: parser for libvirt's configuration file syntax (qemu.conf and friends) */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "atomic-file.h"
#include "conf.h"
#include "macro.h"

/*
 * The syntax, as qemu.conf uses it:
 *
 *     # a comment runs to the end of the line
 *     user = "qemu"                    # string; escapes \" \\ \n \t
 *     group = 'kvm'                    # single quotes: no escapes at all
 *     dynamic_ownership = 1            # integer: decimal, optional sign, or 0x hex
 *     cgroup_device_acl = [            # a list of strings or integers; it may span
 *             "/dev/null", "/dev/full", # lines, hold comments and end with a comma
 *     ]
 *
 * One setting per line. A key is [A-Za-z_][A-Za-z0-9_]* and may be set only once. Booleans
 * are the integers 0 and 1. Columns in error messages count bytes from 1.
 */

typedef enum ConfType {
        CONF_TYPE_STRING,
        CONF_TYPE_INT,
        CONF_TYPE_LIST,
        _CONF_TYPE_MAX,
        _CONF_TYPE_INVALID = -EINVAL,
} ConfType;

typedef struct ConfValue {
        ConfType type;
        unsigned line;
        unsigned column;
        char *str;          /* CONF_TYPE_STRING */
        uint64_t magnitude; /* CONF_TYPE_INT: absolute value, -2^63 .. 2^64-1 overall */
        bool negative;      /* CONF_TYPE_INT: never set together with magnitude 0 */
        GPtrArray *items;   /* CONF_TYPE_LIST: ConfValue*, strings and integers only */
} ConfValue;

typedef struct ConfEntry {
        char *key;
        unsigned line;
        unsigned column;
        ConfValue *value;
} ConfEntry;

struct VkConf {
        char *filename;     /* used as the prefix of every error message */
        GPtrArray *entries; /* ConfEntry*, in file order, owned */
        GHashTable *by_key; /* key -> ConfEntry*, borrowed from entries */
};

#define CONF_EOF (-1)

typedef struct ConfParser {
        const char *filename;
        const char *text;
        size_t len;
        size_t pos;
        unsigned line;
        size_t line_start; /* offset of the first byte of the current line */
        VkError *reterr;
} ConfParser;

static ConfValue *conf_value_free(ConfValue *v) {
        if (!v)
                return NULL;
        g_free(v->str);
        if (v->items)
                g_ptr_array_unref(v->items);
        g_free(v);
        return NULL;
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ConfValue, conf_value_free)

static void conf_value_destroy(gpointer p) {
        (void) conf_value_free(p);
}

static void conf_entry_destroy(gpointer p) {
        ConfEntry *e = p;

        g_free(e->key);
        (void) conf_value_free(e->value);
        g_free(e);
}

static const char *conf_type_describe(ConfType t) {
        switch (t) {
        case CONF_TYPE_STRING:
                return "a string";
        case CONF_TYPE_INT:
                return "an integer";
        case CONF_TYPE_LIST:
                return "a list";
        default:
                return "a value";
        }
}

/* The one place that formats "file:line:column: message". A @line of 0 means no position. */
static int conf_error_va(VkError *reterr, const char *name, int error, const char *filename,
                         unsigned line, unsigned column, const char *fmt, va_list ap)
        G_GNUC_PRINTF(7, 0);

static int conf_error_va(VkError *reterr, const char *name, int error, const char *filename,
                         unsigned line, unsigned column, const char *fmt, va_list ap) {
        g_autofree char *msg = g_strdup_vprintf(fmt, ap);

        if (line == 0)
                return vk_error_set(reterr, name, error, "%s: %s", filename, msg);
        return vk_error_set(reterr, name, error, "%s:%u:%u: %s", filename, line, column, msg);
}

static unsigned conf_parser_column(const ConfParser *p) {
        return (unsigned) (p->pos - p->line_start + 1);
}

static int conf_parser_error_at(ConfParser *p, unsigned line, unsigned column, int error,
                                const char *fmt, ...) G_GNUC_PRINTF(5, 6);

static int conf_parser_error_at(ConfParser *p, unsigned line, unsigned column, int error,
                                const char *fmt, ...) {
        const char *name = error == -E2BIG ? VK_ERROR_LIMIT_EXCEEDED : VK_ERROR_INVALID_CONFIG;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = conf_error_va(p->reterr, name, error, p->filename, line, column, fmt, ap);
        va_end(ap);
        return r;
}

/* An error at the byte the parser is looking at. */
#define conf_parser_error(p, error, ...)                                                           \
        conf_parser_error_at((p), (p)->line, conf_parser_column(p), (error), __VA_ARGS__)

static int conf_parser_peek_at(const ConfParser *p, size_t offset) {
        if (p->pos + offset >= p->len)
                return CONF_EOF;
        return (unsigned char) p->text[p->pos + offset];
}

static int conf_parser_peek(const ConfParser *p) {
        return conf_parser_peek_at(p, 0);
}

static void conf_parser_advance(ConfParser *p) {
        assert(p->pos < p->len);

        if (p->text[p->pos] == '\n') {
                p->line++;
                p->line_start = p->pos + 1;
        }
        p->pos++;
}

/* Blanks within a line. '\r' counts as one so files with CRLF line ends read fine. */
static void conf_parser_skip_blank(ConfParser *p) {
        for (;;) {
                int c = conf_parser_peek(p);

                if (c != ' ' && c != '\t' && c != '\r')
                        return;
                conf_parser_advance(p);
        }
}

/* A comment runs up to, but not including, the end of the line. */
static void conf_parser_skip_comment(ConfParser *p) {
        if (conf_parser_peek(p) != '#')
                return;
        while (conf_parser_peek(p) != CONF_EOF && conf_parser_peek(p) != '\n')
                conf_parser_advance(p);
}

/* Inside a list: blanks, line ends and comments, any number of each. */
static void conf_parser_skip_list_space(ConfParser *p) {
        for (;;) {
                conf_parser_skip_blank(p);
                conf_parser_skip_comment(p);
                if (conf_parser_peek(p) != '\n')
                        return;
                conf_parser_advance(p);
        }
}

/* Name a byte for an error message: 'x', end of line, end of file, byte 0xNN. */
static const char *conf_describe_char(int c, char buf[static 16]) {
        if (c == CONF_EOF)
                return "end of file";
        if (c == '\n')
                return "end of line";
        if (c == '\'')
                return "\"'\"";
        if (c > ' ' && c < 0x7f)
                (void) snprintf(buf, 16, "'%c'", c);
        else
                (void) snprintf(buf, 16, "byte 0x%02x", (unsigned) c);
        return buf;
}

static bool conf_is_key_start(int c) {
        return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool conf_is_key_char(int c) {
        return conf_is_key_start(c) || (c >= '0' && c <= '9');
}

/*
 * A string in double quotes ("...") with the escapes \" \\ \n \t, or in single quotes
 * ('...') taken literally. Neither may span lines.
 */
static int conf_parse_string(ConfParser *p, ConfValue *v) {
        g_autoptr(GString) buf = g_string_new(NULL);
        unsigned line = p->line, column = conf_parser_column(p);
        int quote = conf_parser_peek(p);

        assert(quote == '"' || quote == '\'');
        conf_parser_advance(p);

        for (;;) {
                int c = conf_parser_peek(p);

                if (c == CONF_EOF || c == '\n')
                        return conf_parser_error_at(p, line, column, -EINVAL,
                                                    "unterminated string (no closing %s on "
                                                    "this line)",
                                                    quote == '"' ? "'\"'" : "\"'\"");
                if (c == quote) {
                        conf_parser_advance(p);
                        break;
                }
                if (c == '\0')
                        return conf_parser_error(p, -EINVAL, "strings cannot contain NUL bytes");

                if (c == '\\' && quote == '"') {
                        int e = conf_parser_peek_at(p, 1);
                        char buf_c[16];

                        switch (e) {
                        case '"':
                        case '\\':
                                c = e;
                                break;
                        case 'n':
                                c = '\n';
                                break;
                        case 't':
                                c = '\t';
                                break;
                        case CONF_EOF:
                        case '\n':
                                return conf_parser_error_at(p, line, column, -EINVAL,
                                                            "unterminated string (no closing "
                                                            "'\"' on this line)");
                        default:
                                if (e > ' ' && e < 0x7f)
                                        return conf_parser_error(
                                                p, -EINVAL,
                                                "invalid escape sequence '\\%c' in string "
                                                "(only \\\" \\\\ \\n and \\t are allowed)",
                                                e);
                                return conf_parser_error(
                                        p, -EINVAL,
                                        "invalid escape sequence: backslash followed by %s",
                                        conf_describe_char(e, buf_c));
                        }
                        conf_parser_advance(p);
                }

                g_string_append_c(buf, (char) c);
                conf_parser_advance(p);

                if (buf->len > VK_CONF_MAX_STRING_LEN)
                        return conf_parser_error_at(p, line, column, -E2BIG,
                                                    "string is longer than %d bytes",
                                                    VK_CONF_MAX_STRING_LEN);
        }

        if (!g_utf8_validate(buf->str, (gssize) buf->len, NULL))
                return conf_parser_error_at(p, line, column, -EINVAL, "string is not valid UTF-8");

        v->type = CONF_TYPE_STRING;
        v->str = g_string_free(g_steal_pointer(&buf), FALSE);
        return 0;
}

/*
 * An integer: an optional sign, then decimal digits or 0x and hex digits. The range is
 * -2^63 .. 2^64-1 so both int64 and uint64 settings can be written; the getters narrow it.
 * A leading zero is refused: "0755" would silently not mean what an admin expects.
 */
static int conf_parse_int(ConfParser *p, ConfValue *v) {
        unsigned line = p->line, column = conf_parser_column(p);
        uint64_t magnitude = 0;
        bool negative = false, overflow = false;
        unsigned base = 10;
        int c = conf_parser_peek(p);

        if (c == '-' || c == '+') {
                negative = c == '-';
                conf_parser_advance(p);
                if (!g_ascii_isdigit(conf_parser_peek(p)))
                        return conf_parser_error(p, -EINVAL, "expected a digit after '%c'", c);
        }

        if (conf_parser_peek(p) == '0' &&
            (conf_parser_peek_at(p, 1) == 'x' || conf_parser_peek_at(p, 1) == 'X')) {
                conf_parser_advance(p);
                conf_parser_advance(p);
                base = 16;
                if (!g_ascii_isxdigit(conf_parser_peek(p)))
                        return conf_parser_error(p, -EINVAL,
                                                 "expected a hexadecimal digit after '0x'");
        } else if (conf_parser_peek(p) == '0' && g_ascii_isdigit(conf_parser_peek_at(p, 1)))
                return conf_parser_error(p, -EINVAL,
                                         "integer has a leading zero (octal is not supported; "
                                         "write it in decimal or as 0x hex)");

        for (;;) {
                unsigned d;

                c = conf_parser_peek(p);
                if (base == 16 && g_ascii_isxdigit(c))
                        d = (unsigned) g_ascii_xdigit_value((gchar) c);
                else if (base == 10 && g_ascii_isdigit(c))
                        d = (unsigned) (c - '0');
                else
                        break;

                if (magnitude > (UINT64_MAX - d) / base)
                        overflow = true;
                else
                        magnitude = magnitude * base + d;
                conf_parser_advance(p);
        }

        if (overflow || (negative && magnitude > (uint64_t) INT64_MAX + 1))
                return conf_parser_error_at(p, line, column, -ERANGE,
                                            "integer is out of range (%" PRId64 " to %" PRIu64 ")",
                                            INT64_MIN, UINT64_MAX);

        v->type = CONF_TYPE_INT;
        v->magnitude = magnitude;
        v->negative = negative && magnitude > 0;
        return 0;
}

static int conf_parse_value(ConfParser *p, bool in_list, ConfValue **ret_value);

/* A list: '[' items separated by ',' (a trailing one is fine) ']', across lines if need be. */
static int conf_parse_list(ConfParser *p, ConfValue *v) {
        g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func(conf_value_destroy);
        unsigned line = p->line, column = conf_parser_column(p);
        int r;

        assert(conf_parser_peek(p) == '[');
        conf_parser_advance(p);

        for (;;) {
                g_autoptr(ConfValue) item = NULL;
                int c;

                conf_parser_skip_list_space(p);
                c = conf_parser_peek(p);
                if (c == CONF_EOF)
                        return conf_parser_error_at(p, line, column, -EINVAL,
                                                    "unterminated list (no closing ']')");
                if (c == ']')
                        break;

                if (items->len >= VK_CONF_MAX_LIST_LEN)
                        return conf_parser_error(p, -E2BIG, "list has more than %d items",
                                                 VK_CONF_MAX_LIST_LEN);

                r = conf_parse_value(p, /* in_list= */ true, &item);
                if (r < 0)
                        return r;
                g_ptr_array_add(items, g_steal_pointer(&item));

                conf_parser_skip_list_space(p);
                c = conf_parser_peek(p);
                if (c == ',') {
                        conf_parser_advance(p);
                        continue;
                }
                if (c == ']')
                        break;
                if (c == CONF_EOF)
                        return conf_parser_error_at(p, line, column, -EINVAL,
                                                    "unterminated list (no closing ']')");
                return conf_parser_error(p, -EINVAL, "expected ',' or ']' after a list item");
        }
        conf_parser_advance(p); /* the ']' */

        v->type = CONF_TYPE_LIST;
        v->items = g_steal_pointer(&items);
        return 0;
}

static int conf_parse_value(ConfParser *p, bool in_list, ConfValue **ret_value) {
        g_autoptr(ConfValue) v = g_new0(ConfValue, 1);
        int c = conf_parser_peek(p);
        int r;

        v->line = p->line;
        v->column = conf_parser_column(p);

        if (c == '"' || c == '\'')
                r = conf_parse_string(p, v);
        else if (c == '-' || c == '+' || g_ascii_isdigit(c))
                r = conf_parse_int(p, v);
        else if (c == '[' && in_list)
                r = conf_parser_error(p, -EINVAL, "lists cannot contain lists");
        else if (c == '[')
                r = conf_parse_list(p, v);
        else if (in_list)
                r = conf_parser_error(p, -EINVAL,
                                      "expected a string, an integer or ']' in the list");
        else
                r = conf_parser_error(p, -EINVAL,
                                      "expected a string, an integer or a list after '='");
        if (r < 0)
                return r;

        *ret_value = g_steal_pointer(&v);
        return 0;
}

/* One "key = value" line, the parser standing on the first byte of the key. */
static int conf_parse_setting(ConfParser *p, VkConf *conf) {
        g_autoptr(ConfValue) value = NULL;
        g_autofree char *key = NULL;
        unsigned line = p->line, column = conf_parser_column(p);
        const ConfEntry *first;
        ConfEntry *entry;
        size_t start = p->pos;
        char buf[16];
        int c, r;

        while (conf_is_key_char(conf_parser_peek(p)))
                conf_parser_advance(p);
        key = g_strndup(p->text + start, p->pos - start);

        first = g_hash_table_lookup(conf->by_key, key);
        if (first)
                return conf_parser_error_at(p, line, column, -EINVAL,
                                            "duplicate setting '%s' (first set on line %u)", key,
                                            first->line);

        conf_parser_skip_blank(p);
        if (conf_parser_peek(p) != '=')
                return conf_parser_error(p, -EINVAL, "expected '=' after '%s'", key);
        conf_parser_advance(p);
        conf_parser_skip_blank(p);

        r = conf_parse_value(p, /* in_list= */ false, &value);
        if (r < 0)
                return r;

        conf_parser_skip_blank(p);
        conf_parser_skip_comment(p);
        c = conf_parser_peek(p);
        if (c != '\n' && c != CONF_EOF)
                return conf_parser_error(p, -EINVAL, "unexpected %s after the value of '%s'",
                                         conf_describe_char(c, buf), key);

        entry = g_new0(ConfEntry, 1);
        entry->key = g_steal_pointer(&key);
        entry->line = line;
        entry->column = column;
        entry->value = g_steal_pointer(&value);
        g_ptr_array_add(conf->entries, entry);
        g_hash_table_insert(conf->by_key, entry->key, entry);
        return 0;
}

static VkConf *conf_new(const char *filename) {
        VkConf *conf = g_new0(VkConf, 1);

        conf->filename = g_strdup(filename);
        conf->entries = g_ptr_array_new_with_free_func(conf_entry_destroy);
        conf->by_key = g_hash_table_new(g_str_hash, g_str_equal);
        return conf;
}

/* Free @conf and everything it holds. Takes NULL; returns NULL. */
VkConf *vk_conf_free(VkConf *conf) {
        if (!conf)
                return NULL;
        g_hash_table_unref(conf->by_key);
        g_ptr_array_unref(conf->entries);
        g_free(conf->filename);
        g_free(conf);
        return NULL;
}

/*
 * Parse @len bytes of @text (NUL bytes inside are errors, no terminator needed) in qemu.conf
 * syntax. @filename (NULL for "<string>") is only used in error messages, which read
 * "filename:line:column: message" with both numbers counted from 1. On success the new
 * VkConf goes to *@ret_conf (caller frees with vk_conf_free()) and 0 is returned. On error
 * a negative errno is returned and @reterr says what and where: InvalidConfig for syntax
 * (-EINVAL, -ERANGE for an integer out of range) and LimitExceeded for the limits in
 * conf.h (-EFBIG, -E2BIG).
 */
int vk_conf_parse_string(const char *text, size_t len, const char *filename, VkConf **ret_conf,
                         VkError *reterr) {
        g_autoptr(VkConf) conf = NULL;
        ConfParser p = {
                .filename = filename ? filename : "<string>",
                .text = text,
                .len = len,
                .line = 1,
                .reterr = reterr,
        };

        assert(text || len == 0);
        assert(ret_conf);

        if (len > VK_CONF_MAX_FILE_SIZE)
                return vk_error_set(reterr, VK_ERROR_LIMIT_EXCEEDED, -EFBIG,
                                    "%s: file is larger than %d bytes", p.filename,
                                    VK_CONF_MAX_FILE_SIZE);

        conf = conf_new(p.filename);
        for (;;) {
                int c, r;

                conf_parser_skip_blank(&p);
                c = conf_parser_peek(&p);
                if (c == CONF_EOF)
                        break;
                if (c == '\n') {
                        conf_parser_advance(&p);
                        continue;
                }
                if (c == '#') {
                        conf_parser_skip_comment(&p);
                        continue;
                }
                if (!conf_is_key_start(c))
                        return conf_parser_error(&p, -EINVAL, "expected a setting name");

                r = conf_parse_setting(&p, conf);
                if (r < 0)
                        return r;
        }

        *ret_conf = g_steal_pointer(&conf);
        return 0;
}

/*
 * Read and parse the file at @path (at most VK_CONF_MAX_FILE_SIZE bytes); error messages
 * name it by @path as given. With VK_CONF_ALLOW_MISSING a file that does not exist gives an
 * empty VkConf and returns 0; a file that was read returns 1. The VkConf goes to *@ret_conf,
 * owned by the caller. Blocking I/O: call at startup, not from a loop handler.
 * Returns a negative errno with @reterr set on failure.
 */
int vk_conf_parse_file(const char *path, VkConfFlags flags, VkConf **ret_conf, VkError *reterr) {
        g_auto(VkError) err = VK_ERROR_INIT;
        g_autofree char *text = NULL;
        size_t len;
        int r;

        assert(path);
        assert(ret_conf);

        r = vk_file_read_all(path, VK_CONF_MAX_FILE_SIZE, &text, &len, &err);
        if (r == -ENOENT && (flags & VK_CONF_ALLOW_MISSING)) {
                *ret_conf = conf_new(path);
                return 0;
        }
        if (r < 0) {
                vk_error_move(reterr, &err);
                return r;
        }

        r = vk_conf_parse_string(text, len, path, ret_conf, reterr);
        if (r < 0)
                return r;
        return 1;
}

/* The name used in error messages (borrowed from @conf). */
const char *vk_conf_get_filename(const VkConf *conf) {
        assert(conf);
        return conf->filename;
}

static const ConfEntry *conf_lookup(const VkConf *conf, const char *key) {
        assert(conf);
        assert(key);
        return g_hash_table_lookup(conf->by_key, key);
}

static int conf_entry_error(const VkConf *conf, const ConfEntry *e, VkError *reterr,
                            const char *fmt, ...) G_GNUC_PRINTF(4, 5);

static int conf_entry_error(const VkConf *conf, const ConfEntry *e, VkError *reterr,
                            const char *fmt, ...) {
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = conf_error_va(reterr, VK_ERROR_INVALID_CONFIG, -EINVAL, conf->filename, e ? e->line : 0,
                          e ? e->column : 0, fmt, ap);
        va_end(ap);
        return r;
}

/*
 * The entry of @key when it holds a value of @type: 1 with *@ret_entry set, 0 when @key is not
 * set, -EINVAL naming the key and what it must be (@what: "a string", "an integer", ...).
 */
static int conf_get_typed(const VkConf *conf, const char *key, ConfType type, const char *what,
                          const ConfEntry **ret_entry, VkError *reterr) {
        const ConfEntry *e = conf_lookup(conf, key);

        if (!e)
                return 0;
        if (e->value->type != type)
                return conf_entry_error(conf, e, reterr, "'%s' must be %s, not %s", key, what,
                                        conf_type_describe(e->value->type));
        *ret_entry = e;
        return 1;
}

/*
 * The typed getters below share one contract: they return 1 and fill the ret_ parameter if
 * @key is set, 0 (leaving it untouched, so a default stays) if it is not, and -EINVAL with
 * @reterr pointing at the key ("qemu.conf:3:1: 'user' must be a string") if the value has
 * the wrong type or range. They never log.
 */

/* A string setting. *@ret_value is a new copy the caller frees with g_free(). */
int vk_conf_get_string(const VkConf *conf, const char *key, char **ret_value, VkError *reterr) {
        const ConfEntry *e = NULL;
        int r;

        assert(ret_value);

        r = conf_get_typed(conf, key, CONF_TYPE_STRING, "a string", &e, reterr);
        if (r <= 0)
                return r;

        *ret_value = g_strdup(e->value->str);
        return 1;
}

/* A signed integer setting (-2^63 .. 2^63-1). */
int vk_conf_get_int(const VkConf *conf, const char *key, int64_t *ret_value, VkError *reterr) {
        const ConfEntry *e = NULL;
        int r;

        assert(ret_value);

        r = conf_get_typed(conf, key, CONF_TYPE_INT, "an integer", &e, reterr);
        if (r <= 0)
                return r;
        if (!e->value->negative && e->value->magnitude > (uint64_t) INT64_MAX)
                return conf_entry_error(conf, e, reterr,
                                        "'%s' must be an integer between %" PRId64 " and %" PRId64,
                                        key, INT64_MIN, INT64_MAX);

        if (e->value->negative)
                *ret_value = (int64_t) (0 - e->value->magnitude);
        else
                *ret_value = (int64_t) e->value->magnitude;
        return 1;
}

/* An unsigned integer setting (0 .. 2^64-1); negative values are refused. */
int vk_conf_get_uint(const VkConf *conf, const char *key, uint64_t *ret_value, VkError *reterr) {
        const ConfEntry *e = NULL;
        int r;

        assert(ret_value);

        r = conf_get_typed(conf, key, CONF_TYPE_INT, "an integer", &e, reterr);
        if (r <= 0)
                return r;
        if (e->value->negative)
                return conf_entry_error(conf, e, reterr, "'%s' must not be negative", key);

        *ret_value = e->value->magnitude;
        return 1;
}

/* A boolean setting: the integer 0 or 1, as libvirt writes them. */
int vk_conf_get_bool(const VkConf *conf, const char *key, bool *ret_value, VkError *reterr) {
        const ConfEntry *e = conf_lookup(conf, key);

        assert(ret_value);

        if (!e)
                return 0;
        if (e->value->type != CONF_TYPE_INT || e->value->negative || e->value->magnitude > 1)
                return conf_entry_error(conf, e, reterr, "'%s' must be 0 or 1", key);

        *ret_value = e->value->magnitude == 1;
        return 1;
}

/*
 * A list of strings. A single string is not a list with one item: writing
 * cgroup_device_acl = "/dev/null" is an error, so a setting never changes meaning by a
 * missing pair of brackets. *@ret_strv is a new NULL-terminated vector (possibly empty) the
 * caller frees with g_strfreev().
 */
int vk_conf_get_strv(const VkConf *conf, const char *key, char ***ret_strv, VkError *reterr) {
        const ConfEntry *e = NULL;
        g_auto(GStrv) strv = NULL;
        GPtrArray *items;
        int r;

        assert(ret_strv);

        r = conf_get_typed(conf, key, CONF_TYPE_LIST, "a list of strings", &e, reterr);
        if (r <= 0)
                return r;

        items = e->value->items;
        strv = g_new0(char *, items->len + 1);
        for (guint i = 0; i < items->len; i++) {
                const ConfValue *item = items->pdata[i];

                if (item->type != CONF_TYPE_STRING)
                        return vk_error_set(reterr, VK_ERROR_INVALID_CONFIG, -EINVAL,
                                            "%s:%u:%u: item %u of '%s' must be a string, not %s",
                                            conf->filename, item->line, item->column, i + 1, key,
                                            conf_type_describe(item->type));
                strv[i] = g_strdup(item->str);
        }

        *ret_strv = g_steal_pointer(&strv);
        return 1;
}

/*
 * The keys set in @conf, in file order, as a new NULL-terminated vector the caller frees with
 * g_strfreev(). Returns the number of keys.
 */
int vk_conf_get_keys(const VkConf *conf, char ***ret_keys) {
        char **keys;

        assert(conf);
        assert(ret_keys);

        keys = g_new0(char *, conf->entries->len + 1);
        for (guint i = 0; i < conf->entries->len; i++)
                keys[i] = g_strdup(((const ConfEntry *) conf->entries->pdata[i])->key);

        *ret_keys = keys;
        return (int) conf->entries->len;
}

/*
 * Refuse settings the caller does not know, so nothing an admin wrote is silently ignored
 * (a typo such as "dynamic_ownershp" is reported). @known is a NULL-terminated list (NULL
 * means none). Returns 0, or -EINVAL with @reterr naming the first unknown key and its
 * position in file order.
 */
int vk_conf_check_keys(const VkConf *conf, const char *const *known, VkError *reterr) {
        assert(conf);

        for (guint i = 0; i < conf->entries->len; i++) {
                const ConfEntry *e = conf->entries->pdata[i];

                if (!known || !g_strv_contains(known, e->key))
                        return conf_entry_error(conf, e, reterr, "unknown setting '%s'", e->key);
        }
        return 0;
}

/*
 * For callers that check a value's meaning themselves: set @reterr to InvalidConfig with the
 * message prefixed by the position of @key ("qemu.conf:4:1: security_driver 'foo' is not
 * supported"), or by the file name alone if @key is NULL or not set. Returns -EINVAL.
 */
int vk_conf_error(const VkConf *conf, const char *key, VkError *reterr, const char *fmt, ...) {
        const ConfEntry *e;
        va_list ap;
        int r;

        assert(conf);

        e = key ? conf_lookup(conf, key) : NULL;
        va_start(ap, fmt);
        r = conf_error_va(reterr, VK_ERROR_INVALID_CONFIG, -EINVAL, conf->filename, e ? e->line : 0,
                          e ? e->column : 0, fmt, ap);
        va_end(ap);
        return r;
}
