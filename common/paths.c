/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* paths.c: where an instance (system, session, embedded) of a driver keeps its files */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include "atomic-file.h"
#include "macro.h"
#include "paths.h"

/*
 * The layout (DESIGN.md, "Paths") for driver <drv>. S, L and R are SYSCONFDIR, LOCALSTATEDIR
 * and RUNSTATEDIR; $CONFIG, $STATE and $CACHE are $XDG_{CONFIG,STATE,CACHE}_HOME and
 * $RUNTIME_DIR is $XDG_RUNTIME_DIR; E is the embedded root:
 *
 *              system                 session                         embedded
 * config_file  S/virtkit/<drv>.conf   $CONFIG/virtkit/<drv>.conf      E/etc/<drv>.conf
 * config_dir   S/virtkit/<drv>        $CONFIG/virtkit/<drv>           E/etc/<drv>
 * run_dir      R/virtkit/<drv>        $RUNTIME_DIR/virtkit/<drv>      E/run/<drv>
 * lib_dir      L/lib/virtkit/<drv>    $STATE/virtkit/lib/<drv>        E/lib/<drv>
 * cache_dir    L/cache/virtkit/<drv>  $CACHE/virtkit/<drv>            E/cache/<drv>
 * log_dir      L/log/virtkit/<drv>    $STATE/virtkit/log/<drv>        E/log/<drv>
 * socket_dir   R/virtkit              $RUNTIME_DIR/virtkit            E/run
 *
 * with the XDG fallbacks ~/.config, ~/.local/state and ~/.cache. The session keeps lib and
 * log apart under the state directory, mirroring /var/{lib,log}.
 */

G_STATIC_ASSERT(sizeof(((struct sockaddr_un *) 0)->sun_path) == VK_SOCKET_PATH_MAX + 1);

static const char *const instance_kind_names[_VK_INSTANCE_MAX] = {
        [VK_INSTANCE_SYSTEM] = "system",
        [VK_INSTANCE_SESSION] = "session",
        [VK_INSTANCE_EMBEDDED] = "embedded",
};

/* "system", "session" or "embedded"; NULL for anything else. */
const char *vk_instance_kind_to_string(VkInstanceKind kind) {
        if (kind < 0 || kind >= _VK_INSTANCE_MAX)
                return NULL;
        return instance_kind_names[kind];
}

/* The inverse of vk_instance_kind_to_string(); _VK_INSTANCE_INVALID (-EINVAL) if unknown. */
VkInstanceKind vk_instance_kind_from_string(const char *s) {
        if (!s)
                return _VK_INSTANCE_INVALID;
        for (int i = 0; i < _VK_INSTANCE_MAX; i++)
                if (strcmp(s, instance_kind_names[i]) == 0)
                        return (VkInstanceKind) i;
        return _VK_INSTANCE_INVALID;
}

/*
 * Fill @ret_env from the calling process: getuid(), $HOME and the XDG variables. root is
 * left NULL; a caller running the embedded instance sets it. Release with
 * vk_paths_env_done().
 */
void vk_paths_env_from_environ(VkPathsEnv *ret_env) {
        assert(ret_env);

        *ret_env = (VkPathsEnv){
                .uid = getuid(),
                .home = g_strdup(getenv("HOME")),
                .xdg_config_home = g_strdup(getenv("XDG_CONFIG_HOME")),
                .xdg_runtime_dir = g_strdup(getenv("XDG_RUNTIME_DIR")),
                .xdg_state_home = g_strdup(getenv("XDG_STATE_HOME")),
                .xdg_cache_home = g_strdup(getenv("XDG_CACHE_HOME")),
        };
}

/* Free the strings of @env and reset it to zero. @env itself is the caller's. */
void vk_paths_env_done(VkPathsEnv *env) {
        if (!env)
                return;
        g_free(env->home);
        g_free(env->xdg_config_home);
        g_free(env->xdg_runtime_dir);
        g_free(env->xdg_state_home);
        g_free(env->xdg_cache_home);
        g_free(env->root);
        *env = (VkPathsEnv){ 0 };
}

/* Free @paths. Takes NULL; returns NULL. */
VkPaths *vk_paths_free(VkPaths *paths) {
        if (!paths)
                return NULL;
        g_free(paths->driver);
        g_free(paths->root);
        g_free(paths->config_file);
        g_free(paths->config_dir);
        g_free(paths->run_dir);
        g_free(paths->lib_dir);
        g_free(paths->cache_dir);
        g_free(paths->log_dir);
        g_free(paths->socket_dir);
        g_free(paths);
        return NULL;
}

static bool paths_is_absolute(const char *s) {
        return s && s[0] == '/';
}

/*
 * Driver names become path components and, capitalised, varlink interface names
 * ("io.virtkit.Qemu"): keep them to [a-z][a-z0-9-]*.
 */
static bool paths_driver_name_valid(const char *driver) {
        if (vk_isempty(driver) || !g_ascii_islower(driver[0]))
                return false;
        for (const char *c = driver; *c; c++)
                if (!g_ascii_islower(*c) && !g_ascii_isdigit(*c) && *c != '-')
                        return false;
        return true;
}

/* Varlink interface names are dotted reverse domains: [A-Za-z][A-Za-z0-9.-]*. */
static bool paths_interface_name_valid(const char *interface) {
        if (vk_isempty(interface) || !g_ascii_isalpha(interface[0]))
                return false;
        for (const char *c = interface; *c; c++)
                if (!g_ascii_isalnum(*c) && *c != '.' && *c != '-')
                        return false;
        return true;
}

/* $VAR if it is set to an absolute path, else $HOME/@fallback. */
static int paths_xdg_dir(const char *value, const char *var, const VkPathsEnv *env,
                         const char *fallback, char **ret_dir, VkError *reterr) {
        if (paths_is_absolute(value)) {
                *ret_dir = g_strdup(value);
                return 0;
        }
        if (!paths_is_absolute(env->home))
                return vk_error_set(reterr, VK_ERROR_INVALID_CONFIG, -ENXIO,
                                    "Cannot place the session instance's files: neither %s nor "
                                    "HOME is set to an absolute path",
                                    var);
        *ret_dir = g_build_filename(env->home, fallback, NULL);
        return 0;
}

static int paths_fill_system(VkPaths *p) {
        const char *drv = p->driver;

        p->config_file = g_strdup_printf("%s/virtkit/%s.conf", VK_SYSCONFDIR, drv);
        p->config_dir = g_build_filename(VK_SYSCONFDIR, "virtkit", drv, NULL);
        p->run_dir = g_build_filename(VK_RUNSTATEDIR, "virtkit", drv, NULL);
        p->lib_dir = g_build_filename(VK_LOCALSTATEDIR, "lib", "virtkit", drv, NULL);
        p->cache_dir = g_build_filename(VK_LOCALSTATEDIR, "cache", "virtkit", drv, NULL);
        p->log_dir = g_build_filename(VK_LOCALSTATEDIR, "log", "virtkit", drv, NULL);
        p->socket_dir = g_build_filename(VK_RUNSTATEDIR, "virtkit", NULL);
        return 0;
}

static int paths_fill_session(VkPaths *p, const VkPathsEnv *env, VkError *reterr) {
        g_autofree char *config = NULL;
        g_autofree char *state = NULL;
        g_autofree char *cache = NULL;
        const char *drv = p->driver;
        int r;

        if (!paths_is_absolute(env->xdg_runtime_dir))
                return vk_error_set(reterr, VK_ERROR_INVALID_CONFIG, -ENXIO,
                                    "XDG_RUNTIME_DIR is not set to an absolute path; the "
                                    "session instance needs it (systemd-logind normally sets "
                                    "it to /run/user/%u)",
                                    (unsigned) env->uid);

        r = paths_xdg_dir(env->xdg_config_home, "XDG_CONFIG_HOME", env, ".config", &config, reterr);
        if (r < 0)
                return r;
        r = paths_xdg_dir(env->xdg_state_home, "XDG_STATE_HOME", env, ".local/state", &state,
                          reterr);
        if (r < 0)
                return r;
        r = paths_xdg_dir(env->xdg_cache_home, "XDG_CACHE_HOME", env, ".cache", &cache, reterr);
        if (r < 0)
                return r;

        p->config_file = g_strdup_printf("%s/virtkit/%s.conf", config, drv);
        p->config_dir = g_build_filename(config, "virtkit", drv, NULL);
        p->run_dir = g_build_filename(env->xdg_runtime_dir, "virtkit", drv, NULL);
        p->lib_dir = g_build_filename(state, "virtkit", "lib", drv, NULL);
        p->cache_dir = g_build_filename(cache, "virtkit", drv, NULL);
        p->log_dir = g_build_filename(state, "virtkit", "log", drv, NULL);
        p->socket_dir = g_build_filename(env->xdg_runtime_dir, "virtkit", NULL);
        return 0;
}

static int paths_fill_embedded(VkPaths *p, const VkPathsEnv *env, VkError *reterr) {
        const char *drv = p->driver;
        g_autofree char *conf_name = NULL;

        if (vk_isempty(env->root))
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "The embedded instance needs a root directory");
        if (!paths_is_absolute(env->root))
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "The embedded root path '%s' must be absolute", env->root);

        /* Lexically only ("a/../b" -> "b", trailing '/' dropped): the root may not exist yet. */
        p->root = g_canonicalize_filename(env->root, "/");
        conf_name = g_strdup_printf("%s.conf", drv);

        p->config_file = g_build_filename(p->root, "etc", conf_name, NULL);
        p->config_dir = g_build_filename(p->root, "etc", drv, NULL);
        p->run_dir = g_build_filename(p->root, "run", drv, NULL);
        p->lib_dir = g_build_filename(p->root, "lib", drv, NULL);
        p->cache_dir = g_build_filename(p->root, "cache", drv, NULL);
        p->log_dir = g_build_filename(p->root, "log", drv, NULL);
        p->socket_dir = g_build_filename(p->root, "run", NULL);
        return 0;
}

/*
 * Compute the layout of @driver's @kind instance from @env (vk_paths_env_from_environ(), or
 * fixed values in tests; only read, never kept). Nothing is created on disk: see
 * vk_paths_make_dirs(). The driver's own varlink socket ("io.virtkit.<Driver>") is checked to
 * fit in a socket address here, so a too-long root fails at startup with a clear message.
 *
 * On success *@ret_paths is a new VkPaths the caller frees with vk_paths_free(). Errors
 * (-EINVAL for a bad driver name or root, -ENXIO for a session without XDG_RUNTIME_DIR or
 * HOME, -ENAMETOOLONG for a socket path over VK_SOCKET_PATH_MAX) come with @reterr set.
 */
int vk_paths_new(const char *driver, VkInstanceKind kind, const VkPathsEnv *env,
                 VkPaths **ret_paths, VkError *reterr) {
        g_autoptr(VkPaths) p = NULL;
        g_autofree char *interface = NULL;
        g_autofree char *own_socket = NULL;
        int r;

        assert(env);
        assert(ret_paths);

        if (!paths_driver_name_valid(driver))
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "Invalid driver name '%s'", vk_strempty(driver));
        if (kind != VK_INSTANCE_EMBEDDED && env->root)
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "A root directory ('%s') is only used by the embedded "
                                    "instance, not the %s one",
                                    env->root, vk_strempty(vk_instance_kind_to_string(kind)));

        p = g_new0(VkPaths, 1);
        p->kind = kind;
        p->driver = g_strdup(driver);

        switch (kind) {
        case VK_INSTANCE_SYSTEM:
                r = paths_fill_system(p);
                break;
        case VK_INSTANCE_SESSION:
                r = paths_fill_session(p, env, reterr);
                break;
        case VK_INSTANCE_EMBEDDED:
                r = paths_fill_embedded(p, env, reterr);
                break;
        default:
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "Invalid instance kind %d", (int) kind);
        }
        if (r < 0)
                return r;

        interface = g_strdup_printf("io.virtkit.%c%s", g_ascii_toupper(driver[0]), driver + 1);
        r = vk_paths_socket(p, interface, &own_socket, reterr);
        if (r < 0)
                return r;

        *ret_paths = g_steal_pointer(&p);
        return 0;
}

/*
 * The path of the varlink socket of @interface ("io.virtkit.Qemu") in @paths' instance:
 * socket_dir/@interface. Siblings' sockets are found the same way. *@ret_path is new, freed
 * by the caller. Returns 0, -EINVAL for a malformed interface name, or -ENAMETOOLONG (with
 * the path and its length in @reterr) if it does not fit in a UNIX socket address.
 */
int vk_paths_socket(const VkPaths *paths, const char *interface, char **ret_path, VkError *reterr) {
        g_autofree char *path = NULL;
        size_t len;

        assert(paths);
        assert(ret_path);

        if (!paths_interface_name_valid(interface))
                return vk_error_set(reterr, VK_ERROR_INVALID_ARGUMENT, -EINVAL,
                                    "Invalid varlink interface name '%s'", vk_strempty(interface));

        path = g_build_filename(paths->socket_dir, interface, NULL);
        len = strlen(path);
        if (len > VK_SOCKET_PATH_MAX)
                return vk_error_set(reterr, VK_ERROR_LIMIT_EXCEEDED, -ENAMETOOLONG,
                                    "Socket path '%s' is %zu bytes long, more than the %d "
                                    "bytes a UNIX socket address can hold",
                                    path, len, VK_SOCKET_PATH_MAX);

        *ret_path = g_steal_pointer(&path);
        return 0;
}

/*
 * Create the directories of @paths that do not exist yet, parents included, with @mode
 * (filtered by the umask). Existing directories keep their mode. For the embedded instance
 * this is the whole tree under the root as the QEMU driver documentation describes it:
 * {etc,run,lib,cache,log}/<drv>, etc/pki/<drv>, and for qemu also {log,run,lib}/swtpm.
 * Blocking; meant for startup. Returns 0, or a negative errno with @reterr naming the
 * directory that could not be made.
 */
int vk_paths_make_dirs(const VkPaths *paths, mode_t mode, VkError *reterr) {
        g_autoptr(GPtrArray) dirs = g_ptr_array_new_with_free_func(g_free);
        int r;

        assert(paths);

        g_ptr_array_add(dirs, g_path_get_dirname(paths->config_file));
        g_ptr_array_add(dirs, g_strdup(paths->config_dir));
        g_ptr_array_add(dirs, g_strdup(paths->run_dir));
        g_ptr_array_add(dirs, g_strdup(paths->lib_dir));
        g_ptr_array_add(dirs, g_strdup(paths->cache_dir));
        g_ptr_array_add(dirs, g_strdup(paths->log_dir));
        g_ptr_array_add(dirs, g_strdup(paths->socket_dir));

        if (paths->kind == VK_INSTANCE_EMBEDDED) {
                g_ptr_array_add(dirs,
                                g_build_filename(paths->root, "etc", "pki", paths->driver, NULL));
                /* swtpm, the TPM emulator QEMU talks to, keeps its own state beside QEMU's */
                if (strcmp(paths->driver, "qemu") == 0) {
                        g_ptr_array_add(dirs, g_build_filename(paths->root, "log", "swtpm", NULL));
                        g_ptr_array_add(dirs, g_build_filename(paths->root, "run", "swtpm", NULL));
                        g_ptr_array_add(dirs, g_build_filename(paths->root, "lib", "swtpm", NULL));
                }
        }

        for (guint i = 0; i < dirs->len; i++) {
                r = vk_mkdir_p(dirs->pdata[i], mode);
                if (r < 0)
                        return vk_error_set_errno(reterr, r, "Failed to create directory '%s'",
                                                  (const char *) dirs->pdata[i]);
        }
        return 0;
}

char *vk_paths_libexec(const char *name) {
        const char *dir = getenv("VIRTKIT_LIBEXEC_DIR");
        g_autofree char *self = NULL;

        assert(name);
        if (dir && *dir)
                return g_build_filename(dir, name, NULL);
        self = g_file_read_link("/proc/self/exe", NULL);
        if (self && g_str_has_prefix(self, VK_BUILD_ROOT "/"))
                return g_build_filename(VK_BUILD_ROOT, "tools", name, NULL);
        return g_build_filename(VK_LIBEXECDIR, name, NULL);
}
