/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-conf.c: the QEMU driver's settings (VkQemuConfig), read from qemu.conf */
#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "macro.h"
#include "qemu-conf.h"
#include "user.h"

/*
 * What qemu.conf may hold (conf/qemu.conf documents every key and its default):
 *
 *     user = "virtkit-qemu"
 *     security_driver = [ "selinux", "apparmor" ]     # or a single string: "selinux"
 *     cgroup_device_acl = [ "/dev/null", ... ]
 *     deprecation_behavior = "reject"
 *
 * Nothing an admin writes is dropped: a key virtkit does not know is an error, and a key of
 * libvirt's qemu.conf that virtkit does not implement gets its own error saying so, so a
 * libvirt configuration copied over fails loudly instead of half-applying.
 */

static const char *const qemu_config_keys[] = {
        "user",
        "group",
        "swtpm_user",
        "swtpm_group",
        "dynamic_ownership",
        "remember_owner",
        "security_driver",
        "security_default_confined",
        "security_require_confined",
        "clear_emulator_capabilities",
        "cgroup_device_acl",
        "vnc_listen",
        "vnc_auto_unix_socket",
        "spice_listen",
        "emulators",
        "log_max_size",
        "deprecation_behavior",
        "libvirt_dbus", /* read by virtkit-qemud (daemons/qemud/libvirt.c) */
        NULL,
};

/* Settings of libvirt's qemu.conf that virtkit does not implement (yet). */
static const char *const qemu_config_libvirt_keys[] = {
        "vnc_tls",
        "vnc_tls_x509_cert_dir",
        "vnc_tls_x509_secret_uuid",
        "vnc_tls_x509_verify",
        "vnc_password",
        "vnc_sasl",
        "vnc_sasl_dir",
        "vnc_allow_host_audio",
        "spice_tls",
        "spice_tls_x509_cert_dir",
        "spice_auto_unix_socket",
        "spice_password",
        "spice_sasl",
        "spice_sasl_dir",
        "chardev_tls",
        "chardev_tls_x509_cert_dir",
        "chardev_tls_x509_verify",
        "chardev_tls_x509_secret_uuid",
        "default_tls_x509_cert_dir",
        "default_tls_x509_verify",
        "default_tls_x509_secret_uuid",
        "vxhs_tls",
        "vxhs_tls_x509_cert_dir",
        "vxhs_tls_x509_secret_uuid",
        "nbd_tls",
        "nbd_tls_x509_cert_dir",
        "nbd_tls_x509_secret_uuid",
        "migrate_tls_x509_cert_dir",
        "migrate_tls_x509_verify",
        "migrate_tls_x509_secret_uuid",
        "migrate_tls_force",
        "backup_tls_x509_cert_dir",
        "backup_tls_x509_verify",
        "backup_tls_x509_secret_uuid",
        "remote_display_port_min",
        "remote_display_port_max",
        "remote_websocket_port_min",
        "remote_websocket_port_max",
        "cgroup_controllers",
        "save_image_format",
        "dump_image_format",
        "snapshot_image_format",
        "auto_dump_path",
        "auto_dump_bypass_cache",
        "auto_start_bypass_cache",
        "auto_start_delay",
        "hugetlbfs_mount",
        "bridge_helper",
        "set_process_name",
        "max_processes",
        "max_files",
        "max_threads_per_process",
        "max_core",
        "dump_guest_core",
        "mac_filter",
        "relaxed_acs_check",
        "allow_disk_format_probing",
        "lock_manager",
        "max_queued",
        "keepalive_interval",
        "keepalive_count",
        "seccomp_sandbox",
        "migration_address",
        "migration_host",
        "migration_port_min",
        "migration_port_max",
        "log_timestamp",
        "nvram",
        "firmware",
        "stdio_handler",
        "gluster_debug_level",
        "virtiofsd_debug",
        "namespaces",
        "memory_backing_dir",
        "pr_helper",
        "slirp_helper",
        "dbus_daemon",
        "capability_filters",
        "sched_core",
        "storage_use_nbdkit",
        "shared_filesystems",
        "security_default_confined_unconfined",
        NULL,
};

static const char *const qemu_config_default_acl[] = {
        "/dev/null",    "/dev/full", "/dev/zero", "/dev/random",
        "/dev/urandom", "/dev/ptmx", "/dev/kvm",  NULL,
};

static const char *const qemu_config_security_drivers[] = {
        "selinux", "apparmor", "dac", "none", NULL,
};

/* The calling user's name, or "+UID" when the password database does not know it. */
static char *qemu_config_current_user(void) {
        uid_t uid = getuid();
        char *name;

        if (vk_user_lookup_uid(uid, &name) >= 0)
                return name;
        return g_strdup_printf("+%u", (unsigned) uid);
}

/* The calling user's primary group's name, or "+GID". */
static char *qemu_config_current_group(void) {
        gid_t gid = getgid();
        char *name;

        if (vk_group_lookup_gid(gid, &name) >= 0)
                return name;
        return g_strdup_printf("+%u", (unsigned) gid);
}

/*
 * A config holding the defaults of instance @kind: the system instance runs QEMU as the
 * build's VK_QEMU_USER/VK_QEMU_GROUP, session and embedded instances as the calling user
 * (looked up in the password database). Never fails; free with vk_qemu_config_free().
 */
VkQemuConfig *vk_qemu_config_new(VkInstanceKind kind) {
        VkQemuConfig *cfg = g_new0(VkQemuConfig, 1);

        cfg->kind = kind;
        if (kind == VK_INSTANCE_SYSTEM) {
                cfg->user = g_strdup(VK_QEMU_USER);
                cfg->group = g_strdup(VK_QEMU_GROUP);
        } else {
                cfg->user = qemu_config_current_user();
                cfg->group = qemu_config_current_group();
        }
        cfg->dynamic_ownership = true;
        cfg->remember_owner = true;
        cfg->security_driver = g_strdupv((char **) VK_STRV("selinux", "apparmor"));
        cfg->security_default_confined = true;
        cfg->security_require_confined = false;
        cfg->clear_emulator_capabilities = false; /* since libvirt 6.0 a root QEMU keeps them */
        cfg->cgroup_device_acl = g_strdupv((char **) qemu_config_default_acl);
        cfg->vnc_listen = g_strdup("127.0.0.1");
        cfg->vnc_auto_unix_socket = false;
        cfg->spice_listen = g_strdup("127.0.0.1");
        cfg->emulators = NULL;
        cfg->log_max_size = 2 * 1024 * 1024;
        cfg->deprecation_behavior = VK_DEPRECATION_NONE;
        return cfg;
}

/* Free @cfg and everything it owns; takes NULL, returns NULL. */
VkQemuConfig *vk_qemu_config_free(VkQemuConfig *cfg) {
        if (!cfg)
                return NULL;
        g_free(cfg->user);
        g_free(cfg->group);
        g_free(cfg->swtpm_user);
        g_free(cfg->swtpm_group);
        g_strfreev(cfg->security_driver);
        g_strfreev(cfg->cgroup_device_acl);
        g_free(cfg->vnc_listen);
        g_free(cfg->spice_listen);
        g_strfreev(cfg->emulators);
        g_free(cfg);
        return NULL;
}

static int qemu_config_check_keys(const VkConf *conf, VkError *reterr) {
        g_auto(GStrv) keys = NULL;

        (void) vk_conf_get_keys(conf, &keys);
        for (size_t i = 0; keys[i]; i++) {
                if (g_strv_contains(qemu_config_keys, keys[i]))
                        continue;
                if (g_strv_contains(qemu_config_libvirt_keys, keys[i]))
                        return vk_conf_error(conf, keys[i], reterr,
                                             "setting '%s' of libvirt's qemu.conf is not "
                                             "supported by virtkit; remove it",
                                             keys[i]);
                return vk_conf_error(conf, keys[i], reterr, "unknown setting '%s'", keys[i]);
        }
        return 0;
}

/* A string setting that must not be empty. */
static int qemu_config_get_name(const VkConf *conf, const char *key, char **value,
                                VkError *reterr) {
        g_autofree char *s = NULL;
        int r;

        r = vk_conf_get_string(conf, key, &s, reterr);
        if (r <= 0)
                return r;
        if (s[0] == '\0')
                return vk_conf_error(conf, key, reterr, "'%s' must not be empty", key);
        g_free(*value);
        *value = g_steal_pointer(&s);
        return 1;
}

/* "selinux" or [ "selinux", "apparmor" ]: libvirt's qemu.conf allows both. */
static int qemu_config_get_security_driver(const VkConf *conf, VkQemuConfig *cfg, VkError *reterr) {
        g_auto(VkError) string_err = VK_ERROR_INIT;
        g_auto(GStrv) drivers = NULL;
        g_autofree char *single = NULL;
        size_t n;
        int r;

        r = vk_conf_get_string(conf, "security_driver", &single, &string_err);
        if (r > 0)
                drivers = g_strdupv((char **) VK_STRV(single));
        else if (r < 0) {
                r = vk_conf_get_strv(conf, "security_driver", &drivers, reterr);
                if (r < 0)
                        return r;
        } else
                return 0;

        n = g_strv_length(drivers);
        if (n == 0)
                return vk_conf_error(conf, "security_driver", reterr,
                                     "'security_driver' must name at least one driver "
                                     "(\"none\" for none)");
        if (n > VK_QEMU_CONFIG_SECURITY_DRIVERS_MAX)
                return vk_conf_error(conf, "security_driver", reterr,
                                     "'security_driver' lists more than %u drivers",
                                     VK_QEMU_CONFIG_SECURITY_DRIVERS_MAX);
        for (size_t i = 0; i < n; i++) {
                if (!g_strv_contains(qemu_config_security_drivers, drivers[i]))
                        return vk_conf_error(conf, "security_driver", reterr,
                                             "security driver '%s' is not supported "
                                             "(use selinux, apparmor, dac or none)",
                                             drivers[i]);
                if (strcmp(drivers[i], "none") == 0 && n > 1)
                        return vk_conf_error(conf, "security_driver", reterr,
                                             "security driver 'none' cannot be combined with "
                                             "other drivers");
                for (size_t j = 0; j < i; j++)
                        if (strcmp(drivers[i], drivers[j]) == 0)
                                return vk_conf_error(conf, "security_driver", reterr,
                                                     "security driver '%s' is listed twice",
                                                     drivers[i]);
        }

        g_strfreev(cfg->security_driver);
        cfg->security_driver = g_steal_pointer(&drivers);
        return 1;
}

/* A list of absolute paths (cgroup_device_acl, emulators). */
static int qemu_config_get_paths(const VkConf *conf, const char *key, bool allow_empty,
                                 char ***value, VkError *reterr) {
        g_auto(GStrv) paths = NULL;
        int r;

        r = vk_conf_get_strv(conf, key, &paths, reterr);
        if (r <= 0)
                return r;
        if (!allow_empty && !paths[0])
                return vk_conf_error(conf, key, reterr, "'%s' must not be an empty list", key);
        for (size_t i = 0; paths[i]; i++)
                if (!g_path_is_absolute(paths[i]))
                        return vk_conf_error(conf, key, reterr,
                                             "item %zu of '%s' ('%s') must be an absolute path",
                                             i + 1, key, paths[i]);
        g_strfreev(*value);
        *value = g_steal_pointer(&paths);
        return 1;
}

/* A listen address: an IPv4 or IPv6 literal, as QEMU's -vnc/-spice take them. */
static int qemu_config_get_listen(const VkConf *conf, const char *key, char **value,
                                  VkError *reterr) {
        g_autofree char *s = NULL;
        unsigned char buf[sizeof(struct in6_addr)];
        int r;

        r = vk_conf_get_string(conf, key, &s, reterr);
        if (r <= 0)
                return r;
        if (inet_pton(AF_INET, s, buf) != 1 && inet_pton(AF_INET6, s, buf) != 1)
                return vk_conf_error(conf, key, reterr,
                                     "'%s' value '%s' is not an IPv4 or IPv6 address", key, s);
        g_free(*value);
        *value = g_steal_pointer(&s);
        return 1;
}

static int qemu_config_get_deprecation(const VkConf *conf, VkQemuConfig *cfg, VkError *reterr) {
        g_autofree char *s = NULL;
        VkDeprecationBehavior b;
        int r;

        r = vk_conf_get_string(conf, "deprecation_behavior", &s, reterr);
        if (r <= 0)
                return r;
        b = vk_deprecation_behavior_from_string(s);
        if (b < 0 || b == VK_DEPRECATION_DEFAULT)
                return vk_conf_error(conf, "deprecation_behavior", reterr,
                                     "'deprecation_behavior' value '%s' is not one of none, "
                                     "omit, reject, crash",
                                     s);
        cfg->deprecation_behavior = b;
        return 1;
}

static int qemu_config_apply(const VkConf *conf, VkQemuConfig *cfg, VkError *reterr) {
        static const struct {
                const char *key;
                size_t offset;
        } bools[] = {
                { "dynamic_ownership", offsetof(VkQemuConfig, dynamic_ownership) },
                { "remember_owner", offsetof(VkQemuConfig, remember_owner) },
                { "security_default_confined", offsetof(VkQemuConfig, security_default_confined) },
                { "security_require_confined", offsetof(VkQemuConfig, security_require_confined) },
                { "clear_emulator_capabilities",
                  offsetof(VkQemuConfig, clear_emulator_capabilities) },
                { "vnc_auto_unix_socket", offsetof(VkQemuConfig, vnc_auto_unix_socket) },
        };
        int r;

        r = qemu_config_check_keys(conf, reterr);
        if (r < 0)
                return r;

        r = qemu_config_get_name(conf, "user", &cfg->user, reterr);
        if (r < 0)
                return r;
        r = qemu_config_get_name(conf, "group", &cfg->group, reterr);
        if (r < 0)
                return r;
        r = qemu_config_get_name(conf, "swtpm_user", &cfg->swtpm_user, reterr);
        if (r < 0)
                return r;
        r = qemu_config_get_name(conf, "swtpm_group", &cfg->swtpm_group, reterr);
        if (r < 0)
                return r;
        for (size_t i = 0; i < VK_ELEMENTSOF(bools); i++) {
                r = vk_conf_get_bool(conf, bools[i].key,
                                     (bool *) ((uint8_t *) cfg + bools[i].offset), reterr);
                if (r < 0)
                        return r;
        }
        r = qemu_config_get_security_driver(conf, cfg, reterr);
        if (r < 0)
                return r;
        r = qemu_config_get_paths(conf, "cgroup_device_acl", /* allow_empty= */ true,
                                  &cfg->cgroup_device_acl, reterr);
        if (r < 0)
                return r;
        r = qemu_config_get_listen(conf, "vnc_listen", &cfg->vnc_listen, reterr);
        if (r < 0)
                return r;
        r = qemu_config_get_listen(conf, "spice_listen", &cfg->spice_listen, reterr);
        if (r < 0)
                return r;
        r = qemu_config_get_paths(conf, "emulators", /* allow_empty= */ false, &cfg->emulators,
                                  reterr);
        if (r < 0)
                return r;
        r = vk_conf_get_uint(conf, "log_max_size", &cfg->log_max_size, reterr);
        if (r < 0)
                return r;
        r = qemu_config_get_deprecation(conf, cfg, reterr);
        if (r < 0)
                return r;

        if (cfg->security_require_confined && !cfg->security_default_confined)
                return vk_conf_error(conf, "security_require_confined", reterr,
                                     "'security_require_confined = 1' needs "
                                     "'security_default_confined = 1'");
        return 0;
}

/* A new config for @kind with the settings of @conf; on success *@ret owns it. */
static int qemu_config_new_from_conf(const VkConf *conf, VkInstanceKind kind, VkQemuConfig **ret,
                                     VkError *reterr) {
        g_autoptr(VkQemuConfig) cfg = vk_qemu_config_new(kind);
        int r;

        r = qemu_config_apply(conf, cfg, reterr);
        if (r < 0)
                return r;

        *ret = g_steal_pointer(&cfg);
        return 0;
}

/*
 * Read qemu.conf at @path for an instance of @kind: the defaults of vk_qemu_config_new(),
 * overridden by the file. A missing file means all defaults. Unknown keys, keys of libvirt's
 * qemu.conf virtkit does not implement, wrong types and invalid values fail with
 * InvalidConfig naming "file:line:column" and the key. On success *@ret owns a new config.
 * Reads the file and the password database; may block briefly (not for the event loop).
 */
int vk_qemu_config_load(const char *path, VkInstanceKind kind, VkQemuConfig **ret,
                        VkError *reterr) {
        g_autoptr(VkConf) conf = NULL;
        int r;

        assert(path);
        assert(ret);

        r = vk_conf_parse_file(path, VK_CONF_ALLOW_MISSING, &conf, reterr);
        if (r < 0)
                return r;

        return qemu_config_new_from_conf(conf, kind, ret, reterr);
}

/*
 * As vk_qemu_config_load(), from @text; @filename names it in error messages. For tests
 * and for callers that already hold the file's contents.
 */
int vk_qemu_config_load_string(const char *text, const char *filename, VkInstanceKind kind,
                               VkQemuConfig **ret, VkError *reterr) {
        g_autoptr(VkConf) conf = NULL;
        int r;

        assert(text);
        assert(filename);
        assert(ret);

        r = vk_conf_parse_string(text, strlen(text), filename, &conf, reterr);
        if (r < 0)
                return r;

        return qemu_config_new_from_conf(conf, kind, ret, reterr);
}
