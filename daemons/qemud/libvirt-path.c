/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libvirt-path.c: libvirt-dbus's object paths and the escaping of names in them */
#include <errno.h>
#include <string.h>

#include <glib.h>

#include "libvirt-path.h"
#include "uuid.h"

/*
 * A name as one element of an object path, the way libvirt-dbus writes storage volume keys,
 * snapshot and node device names: ASCII letters and digits stay, every other byte becomes "_"
 * and its two lower-case hex digits ("a-b" → "a_2db"). An empty string stays empty.
 */
char *vk_libvirt_path_encode(const char *s) {
        GString *out = g_string_sized_new(strlen(s) * 3 + 1);

        for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
                if (g_ascii_isalnum(*p))
                        g_string_append_c(out, (char) *p);
                else
                        g_string_append_printf(out, "_%02x", *p);
        }
        return g_string_free(out, false);
}

/*
 * The name vk_libvirt_path_encode() made @s of. Returns 0, or -EINVAL when @s has a byte that
 * encoding never writes, a truncated or non-hex escape, or escapes a NUL.
 */
int vk_libvirt_path_decode(const char *s, char **ret) {
        g_autoptr(GString) out = g_string_sized_new(strlen(s) + 1);

        for (const char *p = s; *p; p++) {
                int hi, lo;

                if (g_ascii_isalnum(*p)) {
                        g_string_append_c(out, *p);
                        continue;
                }
                if (*p != '_')
                        return -EINVAL;
                hi = g_ascii_xdigit_value(p[1]);
                lo = hi >= 0 ? g_ascii_xdigit_value(p[2]) : -1;
                if (hi < 0 || lo < 0 || g_ascii_isupper(p[1]) || g_ascii_isupper(p[2]) ||
                    (hi == 0 && lo == 0))
                        return -EINVAL;
                g_string_append_c(out, (char) (hi << 4 | lo));
                p += 2;
        }
        *ret = g_string_free(g_steal_pointer(&out), false);
        return 0;
}

/* The object path of the object @uuid under @prefix: "@prefix/_" and the UUID with "-" as "_". */
char *vk_libvirt_uuid_path(const char *prefix, const char *uuid) {
        g_autofree char *key = g_strdelimit(g_strdup(uuid), "-", '_');

        return g_strdup_printf("%s/_%s", prefix, key);
}

/*
 * The UUID an object path under @prefix names (lower case, with dashes). Returns 0, or
 * -EINVAL for a path that is not one of vk_libvirt_uuid_path()'s under @prefix.
 */
int vk_libvirt_path_uuid(const char *prefix, const char *path, char **ret_uuid) {
        g_autofree char *uuid = NULL;
        size_t n = strlen(prefix);
        VkUuid u;

        if (strncmp(path, prefix, n) != 0 || strncmp(path + n, "/_", 2) != 0)
                return -EINVAL;
        uuid = g_strdelimit(g_strdup(path + n + 2), "_", '-');
        if (vk_uuid_parse(uuid, &u) < 0)
                return -EINVAL;
        *ret_uuid = g_ascii_strdown(uuid, -1);
        return 0;
}

/* The object path of the domain with @uuid. */
char *vk_libvirt_domain_path(const char *uuid) {
        return vk_libvirt_uuid_path(VK_LIBVIRT_DOMAIN_PATH, uuid);
}

/* The UUID a domain object path names; -EINVAL for a path that is not a domain object's. */
int vk_libvirt_domain_uuid(const char *path, char **ret_uuid) {
        return vk_libvirt_path_uuid(VK_LIBVIRT_DOMAIN_PATH, path, ret_uuid);
}

/* The object path of the storage volume with @key: ".../storagevol/" and the escaped key. */
char *vk_libvirt_vol_path(const char *key) {
        g_autofree char *name = vk_libvirt_path_encode(key);

        return g_strdup_printf("%s/%s", VK_LIBVIRT_VOL_PATH, name);
}

/* The key a storage volume's object path names; -EINVAL for any other path. */
int vk_libvirt_vol_key(const char *path, char **ret_key) {
        const char *prefix = VK_LIBVIRT_VOL_PATH "/";

        if (!g_str_has_prefix(path, prefix) || !path[strlen(prefix)] ||
            strchr(path + strlen(prefix), '/'))
                return -EINVAL;
        return vk_libvirt_path_decode(path + strlen(prefix), ret_key);
}
