/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-argv.h: build QEMU's command line (argv, environment) from a domain definition */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>
#include <json-glib/json-glib.h>

#include "error.h"
#include "qemu-caps.h"
#include "qemu-conf.h"
#include "qemu-domain-def.h"

/*
 * The command line is a pure function of (definition, capabilities, config, options): no
 * host file is read, no clock or random source consulted. Whatever depends on the host at
 * start time (tap fds, resolved volumes, secret values, VNC ports, the time) comes in
 * through VkQemuArgvOptions, filled by the lifecycle code, or by tests with fixed values.
 */

/* The value of one secret, already encrypted with the domain's master key (AES-256-CBC). */
typedef struct VkQemuArgvSecret {
        const char *uuid;       /* the secret's UUID, as in <encryption><secret uuid=> */
        const char *ciphertext; /* base64 */
        const char *iv;         /* base64 */
} VkQemuArgvSecret;

/* Where a <disk type='volume'> resolved to (storaged's answer). */
typedef struct VkQemuArgvVolume {
        const char *pool;
        const char *volume;
        const char *path;
        bool is_block; /* a block device, not a file */
} VkQemuArgvVolume;

typedef struct VkQemuArgvOptions {
        /* The domain's private directory: HOME of QEMU, monitor.sock, master-key.aes,
         * sockets of <channel type='unix'> without a path. Absolute, required. */
        const char *private_dir;
        /* PATH= of QEMU's environment; NULL: VK_QEMU_ARGV_DEFAULT_PATH */
        const char *path_env;
        /* One open tap fd per <interface> other than type='user', in <devices> order. */
        const int *tap_fds;
        size_t n_tap_fds;
        /* Parallel to tap_fds: an open /dev/vhost-net fd for that tap, or -1 (no vhost);
         * NULL: none at all */
        const int *vhost_fds;
        /* swtpm's socket for <tpm><backend type='emulator'>; NULL: <private_dir>/swtpm.sock */
        const char *tpm_emulator_socket;
        const VkQemuArgvSecret *secrets;
        size_t n_secrets;
        const VkQemuArgvVolume *volumes;
        size_t n_volumes;
        /* TCP ports for graphics with autoport (the caller allocates them) */
        int vnc_port;           /* >= 5900 */
        int vnc_websocket_port; /* for websocket='-1' */
        int spice_port;
        /* Seconds since the epoch, for <clock offset='variable'> */
        int64_t now;
        /* Seconds east of UTC of the host's local time, for basis='localtime' */
        int localtime_offset;
        /* The generation ID for <genid/> without a value: a new one per start */
        const char *genid;
        /* Paths of block <disk device='cdrom'> sources that are CD-ROM drives (the caller
         * asked the kernel): QEMU's host_cdrom driver, as libvirt; NULL-terminated or NULL */
        const char *const *host_cdroms;
        /* <vsock>: an open /dev/vhost-vsock fd (has_vsock_fd), and the CID the caller
         * reserved for an auto CID (0: the definition's) */
        bool has_vsock_fd;
        int vsock_fd;
        unsigned vsock_cid;
        /* <os><smbios mode='host'/>: the host's SMBIOS strings the caller read
         * (vk_qemu_host_sysinfo_read()); NULL: such a domain fails to build */
        const VkDomainSysinfo *host_sysinfo;
} VkQemuArgvOptions;

/* The ports DomainXMLToNative shows for autoport graphics (what libvirt shows) */
#define VK_QEMU_NATIVE_VNC_PORT           5900 /* display :0 */
#define VK_QEMU_NATIVE_VNC_WEBSOCKET_PORT 5700 /* the first of qemu.conf's websocket range */
#define VK_QEMU_NATIVE_SPICE_PORT         5901

#define VK_QEMU_ARGV_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin"

/* Everything needed to exec QEMU. All strings owned. */
typedef struct VkQemuCommand {
        char *binary; /* the emulator: <emulator>, else the binary the caps were probed from */
        char **argv;  /* NULL-terminated; argv[0] is @binary */
        char **env;   /* NULL-terminated "NAME=value", the whole environment */
} VkQemuCommand;

/* Caps on what a definition can make the builder allocate (arguments, not bytes). */
#define VK_QEMU_ARGV_MAX 65536

int vk_qemu_build_command(const VkDomainDef *def, const VkQemuCaps *caps, const VkQemuConfig *cfg,
                          const VkQemuArgvOptions *opts, VkQemuCommand **ret, VkError *reterr);
VkQemuCommand *vk_qemu_command_free(VkQemuCommand *cmd);
char *vk_qemu_command_to_native(const VkQemuCommand *cmd);
char *vk_qemu_command_to_lines(const VkQemuCommand *cmd);
int vk_qemu_command_from_native(const char *native, VkError *reterr);

/* What QEMU calls disk @i of @def: the id= of its frontend (NULL: none), and N of the node
 * names of its own image, "libvirt-N-format" and "libvirt-N-storage" (its events say these). */
char *vk_qemu_argv_disk_alias(const VkDomainDef *def, const VkDomainDisk *disk);
void vk_qemu_argv_disk_nodes_fix(VkDomainDef *def);
size_t vk_qemu_argv_disk_node(const VkDomainDef *def, size_t i);
int vk_qemu_argv_disk_blockdevs(const VkDomainDef *def, size_t i, const VkQemuArgvOptions *opts,
                                char ***ret_nodes, char **ret_node, VkError *reterr);
/* The blockdev-add and device_add arguments that hot-plug disk @i (JsonObject *s). */
int vk_qemu_argv_disk_hotplug(const VkDomainDef *def, size_t i, const VkQemuCaps *caps,
                              const VkQemuConfig *cfg, const VkQemuArgvOptions *opts,
                              GPtrArray **ret_nodes, JsonObject **ret_device, char **ret_alias,
                              VkError *reterr);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(VkQemuCommand, vk_qemu_command_free)
