/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cli-embed.c: the QEMU driver in-process (qemu:///embed?root=DIR), served over a socketpair */
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <unistd.h>

#include "api.h"
#include "daemons/secretd/api.h"
#include "secret-driver.h"
#include "call.h"
#include "cli-embed.h"
#include "macro.h"
#include "paths.h"

#define RECONNECT_WAIT_US (15ull * 1000000ull)

struct VkEmbed {
        VkPaths *paths;
        VkQemud *qemud;
        VkService *service;
        VkPaths *secret_paths;
        VkSecretd *secret;
        VkService *secret_service;
};

/*
 * The secrets driver runs in-process too (the seed page: the embedded driver embeds its
 * secrets), with its state under the root. Besides socketpairs for the CLI it listens on
 * DIR/run/io.virtkit.Secret while this process runs, which is where the QEMU driver asks
 * for the passphrases of encrypted disks.
 */
static int embed_open_secrets(VkEmbed *em, sd_event *event, const VkPathsEnv *env,
                              VkError *reterr) {
        g_autoptr(GPtrArray) warnings = NULL;
        g_autofree char *sock = NULL;
        VkServiceOptions opts = {
                .iface = &vk_secret_interface,
                .session = true,
                .product = "virtkit (embedded)",
                .instance = "embedded",
        };
        VkSecretDriverConfig cfg = {};
        int r;

        r = vk_paths_new("secret", VK_INSTANCE_EMBEDDED, env, &em->secret_paths, reterr);
        if (r >= 0)
                r = vk_paths_make_dirs(em->secret_paths, 0700, reterr);
        if (r < 0)
                return r;
        cfg.config_dir = em->secret_paths->config_dir;
        cfg.lib_dir = em->secret_paths->lib_dir;
        r = vk_secretd_new(event, &cfg, &em->secret, &warnings, reterr);
        if (r < 0)
                return r;
        opts.userdata = em->secret;
        r = vk_service_new(event, &opts, &em->secret_service);
        if (r < 0)
                return vk_error_set_errno(reterr, r, "cannot create the embedded secrets service");
        em->secret->service = em->secret_service;
        r = vk_paths_socket(em->secret_paths, "io.virtkit.Secret", &sock, reterr);
        if (r < 0)
                return r;
        return vk_service_listen_varlink(em->secret_service, sock, 0600, reterr);
}

/*
 * Run the QEMU driver of the embedded instance rooted at @root on @event: the seed page's
 * directory tree is created, DIR/etc/qemu.conf read, VMs still running from an earlier
 * invocation reconnected. The driver is reached through vk_embed_connect(), with the very
 * method table virtkit-qemud serves. Every caller owns the instance: no authorisation.
 */
int vk_embed_open(sd_event *event, const char *root, VkEmbed **ret, VkError *reterr) {
        g_autoptr(VkEmbed) em = g_new0(VkEmbed, 1);
        g_auto(VkPathsEnv) env = {};
        VkServiceOptions opts = {
                .iface = &vk_qemu_interface,
                .session = true,
                .product = "virtkit (embedded)",
                .instance = "embedded",
        };
        int r;

        vk_paths_env_from_environ(&env);
        g_free(env.root);
        env.root = g_strdup(root);
        r = vk_paths_new("qemu", VK_INSTANCE_EMBEDDED, &env, &em->paths, reterr);
        if (r < 0)
                return r;
        r = vk_paths_make_dirs(em->paths, 0755, reterr);
        if (r < 0)
                return r;
        /* the driver locks the root (lock file run/qemu/lock) */
        r = vk_qemud_new(event, em->paths, VK_INSTANCE_EMBEDDED, true, NULL, NULL, &em->qemud,
                         reterr);
        if (r < 0)
                return r;
        /* no network daemon here: type='network' is refused (use type='user') */
        vk_qemu_driver_set_networkd_socket(em->qemud->driver, NULL);
        opts.userdata = em->qemud;
        r = vk_service_new(event, &opts, &em->service);
        if (r < 0)
                return vk_error_set_errno(reterr, r, "cannot create the embedded service");
        em->qemud->service = em->service;
        r = embed_open_secrets(em, event, &env, reterr);
        if (r < 0)
                return r;
        /* asked at once: a paused VM adopted from the last run must not be reported running */
        vk_qemu_driver_settle(em->qemud->driver, RECONNECT_WAIT_US);
        *ret = g_steal_pointer(&em);
        return 0;
}

/* A varlink client connected to the in-process service (the caller frees it first). */
int vk_embed_connect(VkEmbed *em, VkVarlinkClient **ret, VkError *reterr) {
        int sv[2], r;

        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) < 0)
                return vk_error_set_errno(reterr, -errno, "cannot create socketpair");
        r = vk_service_add_varlink_connection(em->service, sv[0]);
        if (r < 0) {
                (void) close(sv[1]);
                return vk_error_set_errno(reterr, r, "cannot serve the embedded driver");
        }
        return vk_varlink_client_new_fd(vk_service_get_event(em->service), sv[1], ret, reterr);
}

/* A varlink client connected to the in-process secrets service. */
int vk_embed_connect_secrets(VkEmbed *em, VkVarlinkClient **ret, VkError *reterr) {
        int sv[2], r;

        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) < 0)
                return vk_error_set_errno(reterr, -errno, "cannot create socketpair");
        r = vk_service_add_varlink_connection(em->secret_service, sv[0]);
        if (r < 0) {
                (void) close(sv[1]);
                return vk_error_set_errno(reterr, r, "cannot serve the embedded secrets");
        }
        return vk_varlink_client_new_fd(vk_service_get_event(em->secret_service), sv[1], ret,
                                        reterr);
}

/* Stop serving; VMs keep running and the next invocation on the root reconnects. */
VkEmbed *vk_embed_free(VkEmbed *em) {
        if (!em)
                return NULL;
        if (em->qemud)
                vk_qemud_drop_subscribers(em->qemud);
        em->service = vk_service_free(em->service);
        em->qemud = vk_qemud_free(em->qemud);
        if (em->secret) {
                vk_secretd_drop_subscribers(em->secret);
                em->secret->service = NULL;
        }
        em->secret_service = vk_service_free(em->secret_service);
        em->secret = vk_secretd_free(em->secret);
        vk_paths_free(em->secret_paths);
        vk_paths_free(em->paths);
        g_free(em);
        return NULL;
}
