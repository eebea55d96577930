/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sockaddr.h: the address of a UNIX socket file */
#pragma once

#include <sys/socket.h>
#include <sys/un.h>

#include "error.h"

int vk_sockaddr_un_set(struct sockaddr_un *ret_sa, const char *path, VkError *reterr);
