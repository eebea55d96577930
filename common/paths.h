/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* paths.h: where an instance (system, session, embedded) of a driver keeps its files */
#pragma once

#include <errno.h>
#include <sys/types.h>

#include <glib.h>

#include "error.h"

/* sizeof(((struct sockaddr_un *) 0)->sun_path) - 1: the longest socket path bind() takes */
#define VK_SOCKET_PATH_MAX 107

typedef enum VkInstanceKind {
        VK_INSTANCE_SYSTEM,   /* root, /etc/virtkit, /run/virtkit, /var/... */
        VK_INSTANCE_SESSION,  /* one per user, XDG directories */
        VK_INSTANCE_EMBEDDED, /* everything under one root directory */
        _VK_INSTANCE_MAX,
        _VK_INSTANCE_INVALID = -EINVAL,
} VkInstanceKind;

const char *vk_instance_kind_to_string(VkInstanceKind kind);
VkInstanceKind vk_instance_kind_from_string(const char *s);

/*
 * What the layout depends on, gathered in one place so tests can pass fixed values instead of
 * the process environment. Strings are owned; NULL means unset. Relative XDG values count as
 * unset, as the XDG base directory specification says.
 */
typedef struct VkPathsEnv {
        uid_t uid;
        char *home;
        char *xdg_config_home;
        char *xdg_runtime_dir;
        char *xdg_state_home;
        char *xdg_cache_home;
        char *root; /* embedded instance only: the root directory, absolute */
} VkPathsEnv;

void vk_paths_env_from_environ(VkPathsEnv *ret_env);
void vk_paths_env_done(VkPathsEnv *env);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(VkPathsEnv, vk_paths_env_done)

/* Every path is absolute, owned by the VkPaths, without a trailing slash. */
typedef struct VkPaths {
        VkInstanceKind kind;
        char *driver;      /* "qemu", "secret", "network", "storage" */
        char *root;        /* embedded only, canonical; NULL otherwise */
        char *config_file; /* <driver>.conf */
        char *config_dir;  /* object definitions (domain XML, ...) */
        char *run_dir;     /* status files, QMP sockets */
        char *lib_dir;     /* persistent state */
        char *cache_dir;   /* regenerable data (capabilities) */
        char *log_dir;     /* per-object logs */
        char *socket_dir;  /* where the varlink sockets of all drivers live */
} VkPaths;

int vk_paths_new(const char *driver, VkInstanceKind kind, const VkPathsEnv *env,
                 VkPaths **ret_paths, VkError *reterr);
VkPaths *vk_paths_free(VkPaths *paths);
int vk_paths_socket(const VkPaths *paths, const char *interface, char **ret_path, VkError *reterr);
int vk_paths_make_dirs(const VkPaths *paths, mode_t mode, VkError *reterr);

/*
 * Where virtkit's helper program or library @name is: in $VIRTKIT_LIBEXEC_DIR when set, else
 * in the build tree's tools/ when this program runs from the build tree (the demo, tests),
 * else in the libexec dir. Never NULL (g_free).
 */
char *vk_paths_libexec(const char *name);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(VkPaths, vk_paths_free)
