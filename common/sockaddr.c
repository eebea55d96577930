/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sockaddr.c: the address of a UNIX socket file */
#include <stddef.h>
#include <string.h>

#include "sockaddr.h"

/*
 * Fill @ret_sa with the AF_UNIX address of the socket file @path. Returns the length to pass
 * to bind() or connect(), or -ENAMETOOLONG with @reterr set when @path does not fit (and then
 * @ret_sa is untouched).
 */
int vk_sockaddr_un_set(struct sockaddr_un *ret_sa, const char *path, VkError *reterr) {
        size_t n = strlen(path);

        if (n >= sizeof(ret_sa->sun_path))
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -ENAMETOOLONG,
                                    "socket path '%s' is longer than %zu bytes", path,
                                    sizeof(ret_sa->sun_path) - 1);
        *ret_sa = (struct sockaddr_un){ .sun_family = AF_UNIX };
        memcpy(ret_sa->sun_path, path, n + 1);
        return (int) (offsetof(struct sockaddr_un, sun_path) + n + 1);
}
