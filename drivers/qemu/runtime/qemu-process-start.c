/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-process-start.c: starting a QEMU process, in stages on the loop (see qemu-process.c) */
#include <assert.h>
#include <fcntl.h>
#include <linux/cdrom.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/pidfd.h>
#include <sys/random.h>

#include "atomic-file.h"
#include "log.h"
#include "macro.h"
#include "qemu-disk-chain.h"
#include "qemu-process-recover.h"
#include "qemu-nvram.h"
#include "qemu-smbios.h"
#include "qemu-caps-hostcpu.h"
#include "qemu-process-internal.h"

/* A port for a graphics server with autoport, from the driver's set (see qemu-ports.c). */
static int process_reserve_port(VkQemuProcess *p, int first, VkError *reterr) {
        size_t slot;
        int port;

        for (slot = 0; slot < G_N_ELEMENTS(p->ports) && p->ports[slot]; slot++)
                ;
        if (slot == G_N_ELEMENTS(p->ports))
                return vk_error_set(reterr, VK_ERROR_LIMIT_EXCEEDED, -ENOSPC,
                                    "too many automatic graphics ports for one domain");
        port = vk_qemu_ports_reserve(p->port_set, first, reterr);
        if (port < 0)
                return port;
        p->ports[slot] = port;
        return port;
}

void process_release_ports(VkQemuProcess *p) {
        for (size_t i = 0; i < G_N_ELEMENTS(p->ports); i++)
                if (p->ports[i] && p->port_set)
                        vk_qemu_ports_release(p->port_set, p->ports[i]);
        memset(p->ports, 0, sizeof(p->ports));
}

/*
 * Fill @aopts with ports for every graphics device that asks for one automatically, and show
 * them in the live definition @def (as port='5900' with autoport='yes').
 */
static int process_pick_graphics_ports(VkQemuProcess *p, VkDomainDef *def, VkQemuArgvOptions *aopts,
                                       VkError *reterr) {
        for (size_t i = 0; i < def->n_graphics; i++) {
                VkDomainGraphics *g = def->graphics[i];
                bool autoport = g->port <= 0 || g->autoport == VK_TRISTATE_YES;
                int r;

                if (g->listen_none) /* no listener, no port */
                        continue;
                if (g->type == VK_GRAPHICS_VNC) {
                        if (autoport && !aopts->vnc_port) {
                                r = process_reserve_port(p, GRAPHICS_PORT_FIRST, reterr);
                                if (r < 0)
                                        return r;
                                aopts->vnc_port = r;
                                g->port = r;
                                g->autoport = VK_TRISTATE_YES;
                        }
                        if (g->websocket < 0 && !aopts->vnc_websocket_port) {
                                r = process_reserve_port(p, WEBSOCKET_PORT_FIRST, reterr);
                                if (r < 0)
                                        return r;
                                aopts->vnc_websocket_port = r;
                        }
                } else if (g->type == VK_GRAPHICS_SPICE && autoport && !aopts->spice_port) {
                        r = process_reserve_port(p, GRAPHICS_PORT_FIRST, reterr);
                        if (r < 0)
                                return r;
                        aopts->spice_port = r;
                        g->port = r;
                        g->autoport = VK_TRISTATE_YES;
                }
        }
        return 0;
}

static int process_check_sources(const VkDomainDef *def, VkError *reterr) {
        for (size_t i = 0; i < def->n_disks; i++) {
                const VkDomainDisk *d = def->disks[i];

                if (!d->src_path || (d->type != VK_DISK_TYPE_FILE && d->type != VK_DISK_TYPE_BLOCK))
                        continue;
                if (access(d->src_path, F_OK) < 0)
                        return vk_error_set(reterr, VK_ERROR_OPERATION_FAILED,
                                            vk_negative_errno(errno),
                                            "cannot access storage file '%s' of disk '%s' of "
                                            "domain '%s': %s",
                                            d->src_path, vk_strempty(d->target_dev), def->name,
                                            g_strerror(errno));
        }
        if (def->kernel && access(def->kernel, R_OK) < 0)
                return vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, vk_negative_errno(errno),
                                    "cannot access kernel '%s' of domain '%s': %s", def->kernel,
                                    def->name, g_strerror(errno));
        if (def->initrd && access(def->initrd, R_OK) < 0)
                return vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, vk_negative_errno(errno),
                                    "cannot access initrd '%s' of domain '%s': %s", def->initrd,
                                    def->name, g_strerror(errno));
        return process_check_shares(def, reterr);
}

/*
 * The per-start secrets of encrypted disks: the values secretd encrypted under
 * @opts->master_key, which goes to master-key.aes; without a key from the caller a fresh one
 * is made there.
 */
/*
 * The block CD-ROM sources of @def that are real drives (the kernel answers
 * CDROM_DRIVE_STATUS), for QEMU's host_cdrom driver as libvirt uses it. NULL-terminated.
 */
static char **process_host_cdroms(const VkDomainDef *def) {
        GPtrArray *l = g_ptr_array_new();

        for (size_t i = 0; i < def->n_disks; i++) {
                const VkDomainDisk *d = def->disks[i];
                vk_autofd fd = -EBADF;

                if (d->type != VK_DISK_TYPE_BLOCK || d->device != VK_DISK_DEVICE_CDROM ||
                    !d->src_path)
                        continue;
                fd = open(d->src_path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
                if (fd >= 0 && ioctl(fd, CDROM_DRIVE_STATUS, CDSL_CURRENT) >= 0)
                        g_ptr_array_add(l, g_strdup(d->src_path));
        }
        g_ptr_array_add(l, NULL);
        return (char **) g_ptr_array_free(l, FALSE);
}

static void process_use_secrets(const VkQemuProcessOptions *opts, VkQemuArgvOptions *aopts) {
        aopts->secrets = opts->secrets;
        aopts->n_secrets = opts->n_secrets;
        aopts->volumes = opts->volumes; /* where storaged said the volume disks are */
        aopts->n_volumes = opts->n_volumes;
}

static int process_write_master_key(const char *dir, const uint8_t *given, VkError *reterr) {
        g_autofree char *path = g_build_filename(dir, "master-key.aes", NULL);
        uint8_t key[MASTER_KEY_SIZE];
        ssize_t n;
        int r;

        if (given)
                memcpy(key, given, sizeof(key));
        else {
                n = getrandom(key, sizeof(key), /* flags= */ 0);
                if (n != (ssize_t) sizeof(key))
                        return vk_error_set_errno(reterr, n < 0 ? errno : EIO,
                                                  "Failed to generate the master key");
        }
        r = vk_atomic_file_write(path, key, sizeof(key), 0600, reterr);
        explicit_bzero(key, sizeof(key));
        return r;
}

static int process_open_log(VkQemuProcess *p, const VkQemuCommand *cmd, uint64_t max_size,
                            int *ret_fd, VkError *reterr) {
        g_autofree char *native = vk_qemu_command_to_native(cmd);
        g_autofree char *header = NULL;
        g_autoptr(GDateTime) now = g_date_time_new_now_utc();
        g_autofree char *stamp = g_date_time_format(now, "%Y-%m-%d %H:%M:%S");
        vk_autofd fd = -1;
        struct stat st;

        if (max_size > 0 && stat(p->log_path, &st) == 0 && (uint64_t) st.st_size >= max_size) {
                g_autofree char *old = g_strconcat(p->log_path, ".0", NULL);
                (void) rename(p->log_path, old);
        }
        fd = open(p->log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
        if (fd < 0)
                return vk_error_set_errno(reterr, errno, "Failed to open the log file '%s'",
                                          p->log_path);
        header = g_strdup_printf("%s UTC: starting up\n%s\n", stamp, native);
        if (write(fd, header, strlen(header)) < 0)
                return vk_error_set_errno(reterr, errno, "Failed to write '%s'", p->log_path);
        p->log_offset = lseek(fd, 0, SEEK_END);
        *ret_fd = vk_steal_fd(&fd);
        return 0;
}

static void process_on_child(VkChild *child, const VkChildExit *exit, void *userdata) {
        /* never called: the child is detached at once and watched through its pidfd */
}

/*
 * The variable store of a UEFI domain, copied from its template on the first start
 * (qemu-nvram.c), owned by the user QEMU runs as (@params; NULL: ours). One made by this start
 * goes again if the start fails.
 */
static int process_make_nvram(VkQemuProcess *p, const VkDomainDef *live,
                              const VkSecurityExecParams *params, VkError *reterr) {
        bool chown_it = params && params->set_credentials;
        int r;

        r = vk_qemu_nvram_create(live, chown_it ? params->uid : (uid_t) -1,
                                 chown_it ? params->gid : (gid_t) -1, reterr);
        if (r > 0)
                p->nvram_created = g_strdup(live->nvram_path);
        return r;
}

/*
 * Run the security stack for a starting QEMU: choose the labels (shown in @live's
 * <seclabel>s), label its files and the private dir, and compute what the exec applies. On
 * failure nothing stays labelled; on success process_remove_files() undoes it.
 */
static int process_security_setup(VkQemuProcess *p, VkDomainDef *live,
                                  VkSecurityExecParams *ret_params, VkError *reterr) {
        g_autoptr(VkSecurityState) state = NULL;
        g_autofree char *dir = g_strconcat(p->private_dir, "/", NULL);
        g_autofree char *key = g_build_filename(p->private_dir, "master-key.aes", NULL);
        g_auto(GStrv) devices = process_net_devices(p);
        g_autofree const char **sockets = process_helper_sockets(p);
        g_autoptr(GPtrArray) extra = g_ptr_array_new();
        int r;

        if (!p->security)
                return process_make_nvram(p, live, NULL, reterr);
        /* the private dir, its files, the macvtaps' /dev/tapN whose fds QEMU gets and the
         * sockets of the helpers (virtiofsd, swtpm) QEMU connects to */
        g_ptr_array_add(extra, dir);
        g_ptr_array_add(extra, key);
        g_ptr_array_add(extra, p->monitor_path);
        for (size_t i = 0; devices[i]; i++)
                g_ptr_array_add(extra, devices[i]);
        for (size_t i = 0; sockets[i]; i++)
                g_ptr_array_add(extra, (char *) sockets[i]);
        g_ptr_array_add(extra, NULL);
        r = vk_qemu_security_prepare(p->security, live, &state, reterr);
        if (r < 0)
                return r;
        r = vk_security_manager_exec_params(p->security, state, ret_params, reterr);
        if (r < 0)
                return r;
        /* the NVRAM, QEMU's user's as in libvirt, exists before the stack labels it */
        r = process_make_nvram(p, live, ret_params, reterr);
        if (r < 0)
                return r;
        r = vk_qemu_security_label_domain(p->security, state, live,
                                          (const char *const *) extra->pdata, reterr);
        if (r < 0)
                return r;
        /* from here on the state holds labels: process_remove_files() gives them back */
        p->security_state = g_steal_pointer(&state);
        return vk_qemu_security_set_live_seclabels(p->security_state, live);
}

/*
 * Spawn QEMU with its output on p->log_fd. Credentials alone are applied by vk_child_spawn();
 * capabilities, LSM labels and the wait for the cgroup placement (@wait_fd, -1: none) need
 * virtkit-qemu-exec, which applies them and execs QEMU under the same pid.
 */
static int process_spawn(VkQemuProcess *p, int wait_fd, VkChild **ret_child, VkError *reterr) {
        const VkQemuCommand *cmd = p->cmd;
        g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
        VkChildOptions copts = {};
        g_autoptr(GArray) fds = g_array_new(FALSE, TRUE, sizeof(VkChildFd));
        VkChildFd fd;

        /* a daemon crash never stops a VM */
        copts.flags = VK_CHILD_NEW_SESSION | VK_CHILD_STDOUT_TO_FD | VK_CHILD_STDERR_TO_FD |
                      VK_CHILD_OUTLIVE_PARENT;
        copts.env = (const char *const *) cmd->env;
        copts.stdout_fd = p->log_fd;
        copts.stderr_fd = p->log_fd;
        copts.working_directory = "/";
        if (wait_fd < 0 && !vk_security_exec_params_need_helper(&p->exec_params)) {
                vk_security_exec_params_to_child_options(&p->exec_params, &copts);
                return vk_child_spawn(p->event, (const char *const *) cmd->argv, &copts,
                                      process_on_child, NULL, ret_child, reterr);
        }
        g_ptr_array_add(argv, vk_security_exec_helper_path());
        if (wait_fd >= 0) {
                g_ptr_array_add(argv, g_strdup("--wait-fd=3"));
                fd = (VkChildFd){ .fd = wait_fd, .target = 3 };
                g_array_append_val(fds, fd);
                /* fd 4: the domain's lock, held by QEMU for its lifetime
                 * (qemu-process-recover.c) */
                if (p->lock_fd >= 0) {
                        fd = (VkChildFd){ .fd = p->lock_fd, .target = 4 };
                        g_array_append_val(fds, fd);
                }
        }
        /* the taps, at the numbers the command line names (qemu-process-net.c) */
        for (size_t i = 0; i < p->n_tap_fds; i++) {
                fd = (VkChildFd){ .fd = p->tap_fds[i], .target = p->tap_targets[i] };
                g_array_append_val(fds, fd);
                if (p->vhost_fds[i] >= 0) {
                        fd = (VkChildFd){ .fd = p->vhost_fds[i], .target = p->vhost_targets[i] };
                        g_array_append_val(fds, fd);
                }
        }
        copts.fds = (const VkChildFd *) (void *) fds->data;
        copts.n_fds = fds->len;
        vk_security_exec_params_to_args(&p->exec_params, argv);
        for (size_t i = 0; cmd->argv[i]; i++)
                g_ptr_array_add(argv, g_strdup(cmd->argv[i]));
        /* argv[0] of QEMU must be its path: the reconnect check reads /proc/PID/cmdline */
        if (!g_path_is_absolute(cmd->argv[0]))
                return vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, -EINVAL,
                                    "the QEMU binary '%s' is not an absolute path", cmd->argv[0]);
        g_ptr_array_add(argv, NULL);
        return vk_child_spawn(p->event, (const char *const *) argv->pdata, &copts, process_on_child,
                              NULL, ret_child, reterr);
}

/* The macvtaps' /dev/tapN in the device ACL of QEMU's scope (read and write). */
static void process_acl_add_devices(VkQemuProcess *p) {
        g_auto(GStrv) devices = process_net_devices(p);
        size_t n = g_strv_length(devices);

        if (n == 0)
                return;
        p->acl = g_renew(VkSecurityDeviceRule, p->acl, p->n_acl + n);
        for (size_t i = 0; i < n; i++)
                p->acl[p->n_acl++] = (VkSecurityDeviceRule){ g_strdup(devices[i]), "rw" };
}

/* The "starting" record of the status file (qemu-process-recover.c). */
static int process_write_start_record(VkQemuProcess *p, VkError *reterr) {
        int r;

        p->starting = true;
        r = vk_qemu_process_write_status(p, NULL, "paused", "starting up", reterr);
        if (r < 0)
                vk_log_error("Failed to write the status of domain '%s': %s", p->name,
                             reterr ? reterr->message : "");
        return r;
}

/*
 * QEMU (still in virtkit-qemu-exec) is placed: record it unless the record is up to date
 * (@record false), let it exec, connect QMP.
 */
static void process_release(VkQemuProcess *p, bool record) {
        g_auto(VkError) err = VK_ERROR_INIT;
        char go = 1;

        if (record && process_write_start_record(p, &err) < 0) {
                process_fail(p, &err);
                return;
        }
        if (write(p->go_fd, &go, 1) != 1) {
                vk_error_set_errno(&err, errno, "Failed to let QEMU of domain '%s' go", p->name);
                process_fail(p, &err);
                return;
        }
        vk_close_fdp(&p->go_fd);
        p->go_fd = -1;
        if (process_arm_connect(p, &err) < 0)
                process_fail(p, &err);
}

/* Stage 3 done: QEMU is in its cgroup. */
static void process_on_placed(VkQemuCgroup *cg, const VkError *error, void *userdata) {
        VkQemuProcess *p = userdata;
        bool changed = false;

        if (!error) {
                /* a cgroup we make is recorded as planned already; a scope is new */
                changed = g_strcmp0(p->cgroup_via, vk_qemu_cgroup_get_via(cg)) != 0 ||
                          g_strcmp0(p->cgroup_name, vk_qemu_cgroup_get_name(cg)) != 0;
                g_free(p->cgroup_via);
                g_free(p->cgroup_name);
                p->cgroup_via = g_strdup(vk_qemu_cgroup_get_via(cg));
                p->cgroup_name = g_strdup(vk_qemu_cgroup_get_name(cg));
        }
        p->cgroup = vk_qemu_cgroup_free(p->cgroup);
        if (error) {
                process_fail(p, error);
                return;
        }
        process_helpers_join_cgroup(p);
        process_release(p, changed);
}

/* Kill our unreleased child now and wait until it is gone (it lets go of the domain lock). */
static void process_kill_child_now(VkChild *child) {
        struct pollfd pfd = { .fd = vk_child_get_pidfd(child), .events = POLLIN };

        (void) vk_child_kill(child, SIGKILL);
        while (poll(&pfd, 1, 1000) < 0 && errno == EINTR)
                ;
}

/*
 * Stage 3: spawn QEMU and watch it; with a cgroup placement QEMU waits for it. Errors
 * leave no QEMU behind (the caller removes the files).
 */
static int process_launch(VkQemuProcess *p, VkError *reterr) {
        g_auto(VkError) err = VK_ERROR_INIT;
        g_autoptr(VkChild) child = NULL;
        vk_autofd pidfd = -1;
        vk_autofd wait_fd = -1;
        int pipefd[2];
        int r;

        /* QEMU always waits in virtkit-qemu-exec until it is recorded (and placed) */
        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return vk_error_set_errno(reterr, errno, "Failed to create a pipe");
        wait_fd = pipefd[0];
        p->go_fd = pipefd[1];
        r = process_spawn(p, wait_fd, &child, reterr);
        if (r < 0)
                return r;
        vk_close_fdp(&p->log_fd);
        p->log_fd = -1;
        vk_close_fdp(&p->lock_fd); /* QEMU holds it now */
        p->lock_fd = -1;
        process_close_tap_fds(p); /* and its taps */
        p->pid = vk_child_get_pid(child);
        p->start_time_usec = g_get_real_time();
        /* the emulator's CPUs, inherited by every thread QEMU makes after its exec */
        r = process_tune_initial(p, reterr);
        if (r < 0) {
                process_kill_child_now(child);
                p->pid = -1;
                return r;
        }
        (void) vk_qemu_process_read_pid_start_time(p->pid, &p->pid_start_time);

        if (p->machine_prefix) {
                VkQemuCgroupSpec spec = {
                        .machine_prefix = p->machine_prefix,
                        .scopes = p->scopes,
                        .id = p->id,
                        .name = p->name,
                        .uuid = p->uuid.bytes,
                        .leader = p->pid,
                        .rules = p->acl,
                        .n_rules = p->n_acl,
                };

                process_tune_scope(p, &spec.cpu);
                vk_qemu_cgroup_planned(&spec, &p->cgroup_via, &p->cgroup_name);
                r = process_write_start_record(p, reterr);
                if (r >= 0)
                        r = vk_qemu_cgroup_place(p->event, &spec, process_on_placed, p, &p->cgroup,
                                                 reterr);
                if (r < 0) {
                        process_kill_child_now(child);
                        p->pid = -1; /* freeing the (not detached) child reaps it */
                        return r;
                }
        }

        /* the watch (not the child) reaps it: QEMU must outlive a daemon that goes away */
        pidfd = fcntl(vk_child_get_pidfd(child), F_DUPFD_CLOEXEC, 3);
        r = pidfd < 0 ? -errno
                      : vk_pidfd_watch_fd(p->event, vk_steal_fd(&pidfd), process_on_exit, p,
                                          &p->watch, reterr);
        if (r < 0) {
                p->cgroup = vk_qemu_cgroup_free(p->cgroup);
                process_kill_child_now(child);
                p->pid = -1;
                return vk_error_set_errno(reterr, r, "Failed to watch QEMU");
        }
        (void) vk_child_detach(child);
        vk_log_debug("Started QEMU for domain '%s': pid %d", p->name, (int) p->pid);
        if (!p->machine_prefix)
                process_release(p, true); /* a failure is reported once QEMU is gone */
        return 0;
}

/* Stage 2 done: the profile is loaded (or there was none to load). */
static void process_on_profile_loaded(VkSecurityOp *op, int r, const VkError *error,
                                      void *userdata) {
        VkQemuProcess *p = userdata;
        g_auto(VkError) err = VK_ERROR_INIT;

        p->aa_op = vk_security_op_free(p->aa_op);
        if (r < 0) {
                process_fail(p, error);
                return;
        }
        if (process_launch(p, &err) < 0)
                process_fail(p, &err);
}

/* The synchronous part of vk_qemu_process_start(), up to the first asynchronous stage. */
static int process_start_stages(VkQemuProcess *p, VkDomainDef *live,
                                const VkQemuProcessOptions *opts, VkError *reterr) {
        g_autofree char *status_file = NULL;
        g_autofree char *log_file = NULL;
        g_autofree char *lock_path = NULL;
        VkQemuArgvOptions aopts = {};
        g_auto(GStrv) host_cdroms = NULL;
        g_auto(VkDomainSysinfo) host_smbios = {};
        g_autofree char *tpm_socket = NULL;
        int r;

        p->machine_prefix = g_strdup(opts->machine_prefix);
        p->scopes = opts->scopes ? vk_scope_manager_ref(opts->scopes) : NULL;
        p->security = opts->security ? vk_security_manager_ref(opts->security) : NULL;
        p->private_dir = vk_qemu_process_private_dir(opts->run_dir, live->id, live->name);
        p->monitor_path = g_build_filename(p->private_dir, "monitor.sock", NULL);
        status_file = g_strconcat(live->name, ".json", NULL);
        log_file = g_strconcat(live->name, ".log", NULL);

        if (strlen(p->monitor_path) > VK_SOCKET_PATH_MAX)
                return vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, -ENAMETOOLONG,
                                    "the monitor socket path '%s' is longer than %d bytes",
                                    p->monitor_path, VK_SOCKET_PATH_MAX);
        r = process_check_sources(live, reterr);
        if (r < 0)
                return r;
        /* <cputune> checked against the host before anything is made */
        r = process_tune_prepare(p, live, reterr);
        if (r < 0)
                return r;
        /* every image of every chain, before anything is labelled or built from them */
        r = vk_qemu_disk_chains_detect(live, reterr);
        if (r < 0)
                return r;
        if (p->machine_prefix) {
                r = vk_qemu_security_device_acl(opts->cfg, live, &p->acl, &p->n_acl, reterr);
                if (r < 0)
                        return r;
        }

        aopts.private_dir = p->private_dir;
        aopts.now = time(NULL);
        host_cdroms = process_host_cdroms(live);
        aopts.host_cdroms = (const char *const *) host_cdroms;
        if (live->smbios_mode == VK_SMBIOS_MODE_HOST) {
                vk_qemu_host_sysinfo_read(VK_QEMU_DMI_DIR, &host_smbios);
                aopts.host_sysinfo = &host_smbios;
        }
        process_use_secrets(opts, &aopts);
        tpm_socket = vk_qemu_swtpm_socket_path(p->private_dir);
        aopts.tpm_emulator_socket = tpm_socket;
        r = process_pick_graphics_ports(p, live, &aopts, reterr);
        if (r < 0)
                return r;
        /* the taps (and ports: from here on ours, given back on any failure) */
        r = process_create_nets(p, live, opts, &aopts, reterr);
        if (r < 0)
                return r;
        if (p->machine_prefix)
                process_acl_add_devices(p);
        /* host-model becomes the named model and features the caps computed, as libvirt
         * shows it in the live XML */
        (void) vk_qemu_caps_expand_host_model(opts->caps, live->virt_type == VK_DOMAIN_VIRT_KVM,
                                              &live->cpu);
        r = vk_qemu_build_command(live, opts->caps, opts->cfg, &aopts, &p->cmd, reterr);
        if (r < 0)
                return r;

        p->status_path = g_build_filename(opts->run_dir, status_file, NULL);
        p->log_path = g_build_filename(opts->log_dir, log_file, NULL);
        p->binary = g_strdup(p->cmd->binary);
        lock_path = vk_qemu_process_lock_path(p->status_path);
        r = vk_qemu_process_lock_domain(lock_path, p->name, &p->lock_fd, reterr);
        if (r < 0)
                return r;
        /* recorded before anything is made: a crash from here on leaves nothing unknown */
        p->starting = true;
        r = vk_qemu_process_write_status(p, live, "paused", "starting up", reterr);
        if (r >= 0) {
                process_remove_tree(p->private_dir);
                if (mkdir(p->private_dir, 0700) < 0)
                        r = vk_error_set_errno(reterr, errno, "Failed to create '%s'",
                                               p->private_dir);
        }
        /* from here on, a failure removes the private dir and the record */
        if (r >= 0)
                r = process_write_master_key(p->private_dir, opts->master_key, reterr);
        /* the helpers' sockets (virtiofsd, swtpm), labelled with the rest */
        if (r >= 0)
                r = process_virtiofsd_prepare(p, live, reterr);
        if (r >= 0)
                r = process_swtpm_prepare(p, live, opts, reterr);
        if (r >= 0)
                r = process_security_setup(p, live, &p->exec_params, reterr);
        /* again, the live XML now with its <seclabel>s */
        if (r >= 0)
                r = vk_qemu_process_write_status(p, live, "paused", "starting up", reterr);
        /* the timer fires from the loop, after we returned */
        if (r >= 0)
                r = process_arm_timeout(
                        p, opts->timeout_usec ? opts->timeout_usec : PROCESS_START_TIMEOUT_USEC,
                        reterr);
        if (r >= 0)
                r = process_open_log(p, p->cmd, opts->cfg->log_max_size, &p->log_fd, reterr);
        /* a new TPM is manufactured first (asynchronously: it continues from there) */
        if (r >= 0)
                r = process_swtpm_setup(p, reterr);
        if (r == 0)
                r = process_start_continue(p, reterr);
        if (r < 0) {
                process_cancel_stages(p);
                process_remove_files(p);
                return r;
        }
        return 0;
}

/*
 * The stages after the synchronous part (and after swtpm_setup): the helpers serve their
 * devices before QEMU connects; then stage 2 (the profile), or straight to 3 without a
 * security stack. Errors leave the cleanup to the caller.
 */
int process_start_continue(VkQemuProcess *p, VkError *reterr) {
        int r;

        r = process_helpers_spawn(p, reterr);
        if (r < 0)
                return r;
        if (p->security_state)
                return vk_security_manager_load_profile(p->security, p->security_state, p->event,
                                                        process_on_profile_loaded, p, &p->aa_op,
                                                        reterr);
        return process_launch(p, reterr);
}

/*
 * Start QEMU for the running definition @live (its id set; graphics ports picked for autoport
 * and the taps are written into it), in the stages described at the top of qemu-process.c.
 * @cb->started reports the outcome from the loop, once; on failure QEMU is gone and its files,
 * labels, profile, cgroup, taps and ports removed by then. Errors known before the first
 * asynchronous stage fail the call itself and leave nothing behind (the ports of
 * @opts->plugs are deleted too). *@ret is owned by the caller; @live must stay alive until the
 * started callback ran. Must run on the loop.
 */
int vk_qemu_process_start(sd_event *e, VkDomainDef *live, const VkQemuProcessOptions *opts,
                          const VkQemuProcessCallbacks *cb, void *userdata, VkQemuProcess **ret,
                          VkError *reterr) {
        g_autoptr(VkQemuProcess) p = NULL;
        int r;

        assert(e && live && opts && opts->ports && cb && ret);
        p = g_new0(VkQemuProcess, 1);
        p->n_ref = 1;
        p->event = e;
        p->port_set = vk_qemu_ports_ref(opts->ports);
        p->name = g_strdup(live->name);
        p->id = live->id;
        p->uuid = live->uuid;
        p->paused = opts->paused;
        p->reboot_shutdown = live->on_reboot == VK_LIFECYCLE_DESTROY;
        p->cb = *cb;
        p->userdata = userdata;
        p->pid = -1;
        p->log_fd = -1;
        p->go_fd = -1;
        p->lock_fd = -1;
        process_adopt_ports(p, opts);
        r = process_start_stages(p, live, opts, reterr);
        if (r < 0) {
                process_release_nets(p);
                return r;
        }
        *ret = g_steal_pointer(&p);
        return 0;
}
