/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* network-dnsmasq-run.c: a network's dnsmasq: started, watched, restarted, adopted, stopped */
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "atomic-file.h"
#include "macro.h"
#include "network-child.h"
#include "network-dnsmasq.h"
#include "network-driver-internal.h"

/*
 * dnsmasq runs as a daemon of its own, as libvirt runs it: the process we spawn forks the
 * daemon and exits once the daemon is ready (sockets bound, pid file written) with status 0,
 * or with dnsmasq's exit code (1 configuration, 2 network access such as a port in use, 3
 * files, ...) and the reason on its stderr when the daemon could not start. The start waits
 * for that report (it comes within milliseconds; DNSMASQ_READY_TIMEOUT_MSEC bounds it), so
 * a dnsmasq that cannot run fails the network's start with dnsmasq's own words, and the start
 * is undone. The daemon is then known by its pid file and checked by /proc/PID/exe and start
 * time; a pidfd watches it. It outlives networkd (DHCP keeps answering through a restart,
 * the next networkd adopts it).
 *
 * A dnsmasq that dies while its network runs is started again at once; when that happens more
 * than DNSMASQ_RESTARTS_MAX times within DNSMASQ_RESTART_WINDOW_SEC, or the new one cannot
 * start, the network stays up without DHCP and DNS ("degraded"): the driver's warning callback
 * says so (the daemon logs it), and a destroy and start of the network tries again.
 */

#define DNSMASQ_READY_TIMEOUT_MSEC 10000
#define DNSMASQ_STDERR_MAX         4096
#define DNSMASQ_RESTARTS_MAX       5
#define DNSMASQ_RESTART_WINDOW_SEC 60

/* /proc/@pid/stat field 22 (start time, clock ticks since boot); 0 when unreadable. */
static uint64_t proc_start_time(pid_t pid) {
        g_autofree char *path = g_strdup_printf("/proc/%d/stat", (int) pid);
        g_autofree char *text = NULL;
        g_auto(GStrv) fields = NULL;
        const char *p;

        if (vk_file_read_all(path, 4096, &text, NULL, NULL) < 0)
                return 0;
        p = strrchr(text, ')'); /* the comm may hold spaces and parentheses */
        if (!p)
                return 0;
        fields = g_strsplit(p + 1, " ", 0);
        /* fields[0] is empty, fields[1] is field 3 (state): field 22 is fields[20] */
        if (g_strv_length(fields) < 21)
                return 0;
        return g_ascii_strtoull(fields[20], NULL, 10);
}

static char *proc_exe(pid_t pid) {
        g_autofree char *path = g_strdup_printf("/proc/%d/exe", (int) pid);

        return g_file_read_link(path, NULL);
}

/* A pidfd for the dnsmasq recorded in @st, if it is still that very process; -1 otherwise. */
int network_dnsmasq_open(const VkNetworkStatus *st) {
        g_autofree char *exe = NULL;
        int fd;

        if (st->dnsmasq_pid <= 0)
                return -1;
        fd = (int) syscall(SYS_pidfd_open, (pid_t) st->dnsmasq_pid, 0);
        if (fd < 0)
                return -1;
        /* checked after opening the pidfd: the pid cannot be reused behind our back now */
        exe = proc_exe((pid_t) st->dnsmasq_pid);
        if (!exe || g_strcmp0(exe, st->dnsmasq_exe) != 0 ||
            proc_start_time((pid_t) st->dnsmasq_pid) != st->dnsmasq_start_time) {
                close(fd);
                return -1;
        }
        return fd;
}

static void dnsmasq_warn(VkNetworkDriver *drv, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void dnsmasq_warn(VkNetworkDriver *drv, const char *fmt, ...) {
        g_autofree char *msg = NULL;
        va_list ap;

        if (!drv->warning_cb)
                return;
        va_start(ap, fmt);
        msg = g_strdup_vprintf(fmt, ap);
        va_end(ap);
        drv->warning_cb(drv, msg, drv->warning_userdata);
}

/* The dnsmasq of running @o ended by itself: start it again, within limits. */
static void dnsmasq_restart(VkNetworkDriver *drv, NetworkObj *o, const VkChildExit *ex) {
        uint64_t now = (uint64_t) time(NULL);
        g_auto(VkError) e = VK_ERROR_INIT;
        g_autofree char *how = NULL;

        if (!ex)
                how = g_strdup("ended");
        else if (ex->code == CLD_EXITED)
                how = g_strdup_printf("exited with status %d", ex->status);
        else
                how = g_strdup_printf("was killed by signal %d", ex->status);
        if (now - o->dnsmasq_window_start > DNSMASQ_RESTART_WINDOW_SEC) {
                o->dnsmasq_window_start = now;
                o->dnsmasq_restarts = 0;
        }
        o->status->dnsmasq_pid = 0;
        g_clear_pointer(&o->status->dnsmasq_exe, g_free);
        if (++o->dnsmasq_restarts > DNSMASQ_RESTARTS_MAX) {
                o->dnsmasq_degraded = true;
                (void) network_save_status(drv, o, NULL);
                dnsmasq_warn(drv,
                             "network '%s' is degraded: its dnsmasq %s, the %u. time in %d s; "
                             "not starting it again (no DHCP or DNS): destroy and start the "
                             "network to retry",
                             o->name, how, o->dnsmasq_restarts, DNSMASQ_RESTART_WINDOW_SEC);
                return;
        }
        if (network_dnsmasq_start(drv, o, o->live, &e) < 0) {
                o->dnsmasq_degraded = true;
                (void) network_save_status(drv, o, NULL);
                dnsmasq_warn(drv,
                             "network '%s' is degraded: its dnsmasq %s and cannot start "
                             "again (no DHCP or DNS): %s",
                             o->name, how, e.message);
                return;
        }
        dnsmasq_warn(drv, "network '%s': its dnsmasq %s; started it again (pid %lld)", o->name, how,
                     (long long) o->status->dnsmasq_pid);
}

/* A dnsmasq ended: one we stopped (reaped, forgotten), or one of a running network. */
void network_dnsmasq_on_exit(VkPidfdWatch *w, const VkChildExit *exit_or_null, void *userdata) {
        VkNetworkDriver *drv = userdata;
        GHashTableIter it;
        gpointer v;

        if (g_ptr_array_remove_fast(drv->reapers, w))
                return;
        g_hash_table_iter_init(&it, drv->by_name);
        while (g_hash_table_iter_next(&it, NULL, &v)) {
                NetworkObj *o = v;

                if (o->dnsmasq_watch != w)
                        continue;
                o->dnsmasq_watch = vk_pidfd_watch_free(w);
                if (o->live && o->status)
                        dnsmasq_restart(drv, o, exit_or_null);
                return;
        }
}

/* Stop the dnsmasq of @o (SIGTERM), if it still is the one recorded. */
void network_dnsmasq_stop(VkNetworkDriver *drv, NetworkObj *o) {
        int fd = network_dnsmasq_open(o->status);

        if (fd >= 0) {
                (void) syscall(SYS_pidfd_send_signal, fd, SIGTERM, NULL, 0);
                close(fd);
        }
        /* keep watching until it is reaped (it may be our child) */
        if (o->dnsmasq_watch)
                g_ptr_array_add(drv->reapers, g_steal_pointer(&o->dnsmasq_watch));
        o->dnsmasq_degraded = false;
}

/* The daemon's pid from @pid_file, 0 when it has none. */
static pid_t dnsmasq_read_pid(const char *pid_file) {
        g_autofree char *text = NULL;
        guint64 v;

        if (vk_file_read_all(pid_file, 64, &text, NULL, NULL) < 0 ||
            !g_ascii_string_to_unsigned(g_strstrip(text), 10, 2, G_MAXINT32, &v, NULL))
                return 0;
        return (pid_t) v;
}

/*
 * dnsmasq started by root drops to the user "nobody" and reads its hosts files (static DHCP
 * hosts, DNS names) only then: one it cannot reach would be ignored with a line in its log,
 * and those hosts would get dynamic addresses. Refuse instead, naming the directory in the way
 * (an instance root under a private 0700 directory, say). Other users' dnsmasq keeps our uid.
 */
static int dnsmasq_check_reachable(const char *network, const char *file, VkError *reterr) {
        g_autofree char *dir = g_path_get_dirname(file);
        struct stat st;

        if (geteuid() != 0)
                return 0;
        for (;;) {
                if (stat(dir, &st) < 0)
                        return vk_error_set_errno(reterr, -errno, "Failed to look at '%s'", dir);
                if (!(st.st_mode & S_IXOTH))
                        return vk_error_set(
                                reterr, VK_ERROR_OPERATION_FAILED, -EACCES,
                                "Network '%s': dnsmasq runs as 'nobody' and could not read its "
                                "hosts file '%s': the directory '%s' (mode %04o) is not "
                                "searchable by others; allow it (chmod o+x) or keep the "
                                "instance's files under a directory that is",
                                network, file, dir, st.st_mode & 07777);
                if (strcmp(dir, "/") == 0)
                        return 0;
                {
                        char *parent = g_path_get_dirname(dir);
                        g_free(dir);
                        dir = parent;
                }
        }
}

/*
 * Write the configuration and hosts files of @def and start dnsmasq for @o (see the top): on
 * success its pid, start time and exe are in the status (saved) and a pidfd watches it. On
 * failure no dnsmasq runs and @reterr has dnsmasq's reason. Blocks until dnsmasq reports.
 */
int network_dnsmasq_start(VkNetworkDriver *drv, NetworkObj *o, const VkNetworkDef *def,
                          VkError *reterr) {
        g_autofree char *pid = network_file(drv, drv->run_dir, o->name, ".pid");
        g_autofree char *conf = network_file(drv, drv->dnsmasq_dir, o->name, ".conf");
        g_autofree char *hosts = network_file(drv, drv->dnsmasq_dir, o->name, ".hostsfile");
        g_autofree char *addn = network_file(drv, drv->dnsmasq_dir, o->name, ".addnhosts");
        g_autofree char *leases = network_leases_path(drv, o->name);
        g_autofree char *conf_arg = g_strconcat("--conf-file=", conf, NULL);
        g_autofree char *script_arg = g_strconcat("--dhcp-script=", drv->leases_helper, NULL);
        g_autofree char *env_leases = g_strconcat(VK_NETWORK_LEASES_FILE_ENV "=", leases, NULL);
        g_autofree char *text = NULL, *hosts_text = NULL, *addn_text = NULL;
        const char *argv[] = { drv->dnsmasq, conf_arg, "--leasefile-ro", script_arg, NULL };
        const char *env[] = { env_leases, "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };
        const VkNetworkDnsmasqPaths paths = {
                .pid_file = pid,
                .hosts_file = hosts,
                .addnhosts_file = addn,
        };
        g_auto(VkNetworkChildResult) res = {};
        pid_t p;
        int r;

        r = vk_network_dnsmasq_config(def, &paths, &text, reterr);
        if (r < 0)
                return r;
        hosts_text = vk_network_dnsmasq_hosts(def);
        addn_text = vk_network_dnsmasq_addnhosts(def);
        r = vk_mkdir_p(drv->dnsmasq_dir, 0755);
        if (r < 0)
                return vk_error_set_errno(reterr, r, "Failed to create '%s'", drv->dnsmasq_dir);
        if (!vk_isempty(hosts_text) || !vk_isempty(addn_text)) {
                r = dnsmasq_check_reachable(o->name, hosts, reterr);
                if (r < 0)
                        return r;
        }
        r = network_write(drv, hosts, vk_strempty(hosts_text), reterr);
        if (r >= 0)
                r = network_write(drv, addn, vk_strempty(addn_text), reterr);
        if (r >= 0)
                r = network_write(drv, conf, text, reterr);
        if (r < 0)
                return r;
        (void) vk_file_remove(pid);

        r = vk_network_child_run(drv->event, argv, env, DNSMASQ_READY_TIMEOUT_MSEC, &res, reterr);
        if (r < 0)
                return r;
        if (res.code == CLD_EXITED && res.status != 0)
                return vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, -EIO,
                                    "Network '%s': dnsmasq failed to start (exit status %d): %s",
                                    o->name, res.status,
                                    *res.errout ? res.errout : "it gave no reason");
        if (res.code != CLD_EXITED)
                return vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, -EIO,
                                    "Network '%s': dnsmasq was killed by signal %d while "
                                    "starting: %s",
                                    o->name, res.status, res.errout);
        p = dnsmasq_read_pid(pid);
        if (p <= 0)
                return vk_error_set(reterr, VK_ERROR_OPERATION_FAILED, -EIO,
                                    "Network '%s': dnsmasq started but wrote no pid to '%s'",
                                    o->name, pid);
        o->status->dnsmasq_pid = p;
        o->status->dnsmasq_start_time = proc_start_time(p);
        o->status->dnsmasq_exe = proc_exe(p);
        r = vk_pidfd_watch(drv->event, p, network_dnsmasq_on_exit, drv, &o->dnsmasq_watch, reterr);
        if (r < 0) {
                network_dnsmasq_stop(drv, o);
                return r;
        }
        return network_save_status(drv, o, reterr);
}
