/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cli-uri.h: connection URIs (qemu:///system, qemu+ssh://host/system, qemu:///embed?root=) */
#pragma once

#include <errno.h>

#include "error.h"
#include "paths.h"

typedef enum VkUriTransport {
        VK_URI_LOCAL,    /* qemu:///system, qemu:///session, qemu+unix://… */
        VK_URI_SSH,      /* qemu+ssh://[user@]host[:port]/system */
        VK_URI_EMBEDDED, /* qemu:///embed?root=/abs/dir */
        _VK_URI_TRANSPORT_MAX,
        _VK_URI_TRANSPORT_INVALID = -EINVAL,
} VkUriTransport;

typedef struct VkUri {
        char *text; /* as given */
        VkUriTransport transport;
        VkInstanceKind instance; /* system, session (or embedded) */
        char *socket;            /* qemu+unix ?socket=PATH: overrides the default path */
        char *user;              /* ssh */
        char *host;              /* ssh */
        char *port;              /* ssh */
        char *root;              /* embedded */
} VkUri;

int vk_uri_parse(const char *text, VkUri **ret, VkError *reterr);
VkUri *vk_uri_free(VkUri *uri);
char *vk_uri_default(void);
char *vk_uri_bridge_uri(const VkUri *uri);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(VkUri, vk_uri_free)
