/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cli-uri.c: connection URIs (qemu:///system, qemu+ssh://host/system, qemu:///embed?root=) */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli-uri.h"
#include "macro.h"

VkUri *vk_uri_free(VkUri *uri) {
        if (!uri)
                return NULL;
        g_free(uri->text);
        g_free(uri->socket);
        g_free(uri->user);
        g_free(uri->host);
        g_free(uri->port);
        g_free(uri->root);
        g_free(uri);
        return NULL;
}

/* VIRTKIT_DEFAULT_URI, else qemu:///system for root and qemu:///session for everyone else. */
char *vk_uri_default(void) {
        const char *e = getenv("VIRTKIT_DEFAULT_URI");

        if (!vk_isempty(e))
                return g_strdup(e);
        return g_strdup(getuid() == 0 ? "qemu:///system" : "qemu:///session");
}

static int uri_error(VkError *reterr, const char *text, const char *why) {
        return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL, "URI '%s': %s", text, why);
}

static int parse_query(VkUri *u, const char *query, VkError *reterr) {
        g_auto(GStrv) pairs = g_strsplit(query, "&", -1);

        for (char **p = pairs; *p; p++) {
                g_autofree char *key = NULL, *value = NULL;
                const char *eq = strchr(*p, '=');

                if (!**p)
                        continue;
                if (!eq)
                        return uri_error(reterr, u->text, "query parameter without '='");
                key = g_strndup(*p, (gsize) (eq - *p));
                value = g_uri_unescape_string(eq + 1, NULL);
                if (!value)
                        return uri_error(reterr, u->text, "malformed escape in the query");
                /* with qemu+ssh, the socket on the remote host (the bridge connects to it) */
                if (strcmp(key, "socket") == 0 &&
                    (u->transport == VK_URI_LOCAL || u->transport == VK_URI_SSH))
                        u->socket = g_steal_pointer(&value);
                else if (strcmp(key, "root") == 0 && u->transport == VK_URI_EMBEDDED)
                        u->root = g_steal_pointer(&value);
                else {
                        g_autofree char *why =
                                g_strdup_printf("unsupported query parameter '%s'", key);
                        return uri_error(reterr, u->text, why);
                }
        }
        return 0;
}

/* The drivers an embedded instance has sockets for (vk_paths_new checks their length). */
static const char *const embed_drivers[] = { "qemu", "secret" };

/*
 * Parse a connection URI. Supported: qemu:///system, qemu:///session, qemu+unix:///system
 * and ///session with an optional ?socket=PATH, qemu+ssh://[user@]host[:port]/system (or
 * /session, optionally ?socket=PATH on the remote host) and qemu:///embed?root=/absolute/dir.
 * Anything else is refused with a message that says what is not supported.
 */
int vk_uri_parse(const char *text, VkUri **ret, VkError *reterr) {
        g_autoptr(VkUri) u = g_new0(VkUri, 1);
        const char *rest, *slash, *query;
        g_autofree char *scheme = NULL, *authority = NULL, *path = NULL;
        int r;

        u->text = g_strdup(text);
        rest = strstr(text, "://");
        if (!rest)
                return uri_error(reterr, text,
                                 "expected SCHEME://[HOST]/PATH, e.g. qemu:///system");
        scheme = g_strndup(text, (gsize) (rest - text));
        rest += 3;
        slash = strchr(rest, '/');
        if (!slash)
                return uri_error(reterr, text, "missing path (/system, /session or /embed)");
        authority = g_strndup(rest, (gsize) (slash - rest));
        query = strchr(slash, '?');
        path = query ? g_strndup(slash, (gsize) (query - slash)) : g_strdup(slash);

        if (strcmp(scheme, "qemu") == 0 || strcmp(scheme, "qemu+unix") == 0) {
                if (*authority) {
                        if (strcmp(scheme, "qemu") == 0)
                                return uri_error(reterr, text,
                                                 "remote access over TLS (qemu://HOST/…) is not "
                                                 "supported; use qemu+ssh://HOST/system");
                        return uri_error(reterr, text, "qemu+unix takes no host");
                }
                u->transport = VK_URI_LOCAL;
        } else if (strcmp(scheme, "qemu+ssh") == 0) {
                const char *at, *colon;

                if (!*authority)
                        return uri_error(reterr, text, "qemu+ssh needs a host");
                u->transport = VK_URI_SSH;
                at = strrchr(authority, '@');
                if (at)
                        u->user = g_strndup(authority, (gsize) (at - authority));
                colon = strrchr(at ? at + 1 : authority, ':');
                if (colon) {
                        u->host = g_strndup(at ? at + 1 : authority,
                                            (gsize) (colon - (at ? at + 1 : authority)));
                        u->port = g_strdup(colon + 1);
                        if (!*u->port || strspn(u->port, "0123456789") != strlen(u->port))
                                return uri_error(reterr, text, "the port must be a number");
                } else
                        u->host = g_strdup(at ? at + 1 : authority);
                if (!*u->host || (u->user && !*u->user))
                        return uri_error(reterr, text, "empty host or user");
        } else if (g_str_has_prefix(scheme, "qemu+"))
                return uri_error(reterr, text,
                                 "this transport is not supported (use qemu, "
                                 "qemu+unix or qemu+ssh)");
        else
                return uri_error(reterr, text,
                                 "only the qemu driver's URIs (qemu:///…) are "
                                 "supported");

        if (strcmp(path, "/system") == 0)
                u->instance = VK_INSTANCE_SYSTEM;
        else if (strcmp(path, "/session") == 0)
                u->instance = VK_INSTANCE_SESSION;
        else if (strcmp(path, "/embed") == 0 && u->transport == VK_URI_LOCAL &&
                 strcmp(scheme, "qemu") == 0) {
                u->transport = VK_URI_EMBEDDED;
                u->instance = VK_INSTANCE_EMBEDDED;
        } else
                return uri_error(reterr, text, "the path must be /system, /session or /embed");

        if (query) {
                r = parse_query(u, query + 1, reterr);
                if (r < 0)
                        return r;
        }
        if (u->transport == VK_URI_EMBEDDED) {
                if (vk_isempty(u->root))
                        return uri_error(reterr, text, "qemu:///embed needs ?root=/absolute/dir");
                if (u->root[0] != '/')
                        return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                            "URI '%s': the root path '%s' must be absolute", text,
                                            u->root);
                /* a root too long for the socket paths under it is a bad URI, said up front */
                for (size_t i = 0; i < G_N_ELEMENTS(embed_drivers); i++) {
                        g_auto(VkPathsEnv) env = { .root = g_strdup(u->root) };
                        g_autoptr(VkPaths) paths = NULL;
                        g_auto(VkError) err = VK_ERROR_INIT;

                        if (vk_paths_new(embed_drivers[i], VK_INSTANCE_EMBEDDED, &env, &paths,
                                         &err) < 0)
                                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                                    "URI '%s': %s", text, err.message);
                }
        }
        if (u->socket && u->socket[0] != '/')
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "URI '%s': the socket path '%s' must be absolute", text,
                                    u->socket);

        *ret = g_steal_pointer(&u);
        return 0;
}

/*
 * The URI the remote side of an ssh connection serves: qemu:///system or qemu:///session, or
 * with ?socket=PATH qemu+unix:///system?socket=PATH (escaped: it passes a remote shell).
 */
char *vk_uri_bridge_uri(const VkUri *uri) {
        const char *instance = uri->instance == VK_INSTANCE_SESSION ? "session" : "system";
        g_autofree char *escaped = NULL;

        if (!uri->socket)
                return g_strdup_printf("qemu:///%s", instance);
        escaped = g_uri_escape_string(uri->socket, "/", false);
        return g_strdup_printf("qemu+unix:///%s?socket=%s", instance, escaped);
}
