/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* daemon.c: what every virtkit daemon does: options, instance, activation, idle exit, notify */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "admin.h"
#include "atomic-file.h"
#include "bus-docs.h"
#include "daemon.h"
#include "log.h"
#include "macro.h"
#include "sd-glue.h"

typedef enum BusChoice {
        BUS_AUTO,
        BUS_SYSTEM,
        BUS_SESSION,
        BUS_NONE,
} BusChoice;

struct VkDaemon {
        const VkDaemonInfo *info;
        sd_event *event;
        VkPaths *paths;
        VkInstanceKind instance; /* of the paths */
        bool session;            /* authorisation: only our own uid */
        char *root;
        uint64_t timeout_usec; /* 0: never exit when idle */
        BusChoice bus_choice;
        sd_bus *bus;
        VkService *service;
        void *userdata;
        sd_event_source *idle_timer;
        bool exiting;
};

sd_event *vk_daemon_get_event(VkDaemon *d) {
        return d->event;
}

const VkPaths *vk_daemon_get_paths(VkDaemon *d) {
        return d->paths;
}

VkInstanceKind vk_daemon_get_instance(VkDaemon *d) {
        return d->instance;
}

bool vk_daemon_is_session(VkDaemon *d) {
        return d->session;
}

VkService *vk_daemon_get_service(VkDaemon *d) {
        return d->service;
}

sd_bus *vk_daemon_get_bus(VkDaemon *d) {
        return d->bus;
}

static void help(const VkDaemonInfo *info) {
        printf("%s [OPTIONS...]\n\n"
               "Serve the %s interface over varlink and D-Bus.\n\n"
               "  -h --help            Show this help\n"
               "     --version         Show the version\n"
               "     --bus-docs        Print the doc strings of the D-Bus members and exit\n"
               "     --system          Run the system instance (default for root)\n"
               "     --session         Run the per-user session instance (default otherwise)\n"
               "     --root DIR        Keep every file under DIR (embedded layout); the\n"
               "                       varlink socket is DIR/run/%s\n"
               "     --timeout SECS    Exit after SECS idle seconds (0: never, the default)\n"
               "     --bus BUS         auto, system, session or none (default: auto, the\n"
               "                       instance's bus)\n"
               "  -v --verbose         Log debug messages\n",
               info->name, info->iface->varlink_name, info->iface->varlink_name);
}

static int parse_args(VkDaemon *d, int argc, char **argv) {
        enum {
                ARG_VERSION = 0x100,
                ARG_SYSTEM,
                ARG_SESSION,
                ARG_ROOT,
                ARG_TIMEOUT,
                ARG_BUS,
                ARG_BUS_DOCS
        };
        static const struct option options[] = { { "help", no_argument, NULL, 'h' },
                                                 { "version", no_argument, NULL, ARG_VERSION },
                                                 { "bus-docs", no_argument, NULL, ARG_BUS_DOCS },
                                                 { "system", no_argument, NULL, ARG_SYSTEM },
                                                 { "session", no_argument, NULL, ARG_SESSION },
                                                 { "root", required_argument, NULL, ARG_ROOT },
                                                 { "timeout", required_argument, NULL,
                                                   ARG_TIMEOUT },
                                                 { "bus", required_argument, NULL, ARG_BUS },
                                                 { "verbose", no_argument, NULL, 'v' },
                                                 {} };
        int c, kind = -1;

        while ((c = getopt_long(argc, argv, "hv", options, NULL)) >= 0) {
                switch (c) {
                case 'h':
                        help(d->info);
                        return 0;
                case ARG_VERSION:
                        printf("%s %s\n", d->info->name, VK_VERSION);
                        return 0;
                case ARG_BUS_DOCS:
                        vk_interface_print_bus_docs(d->info->iface, stdout);
                        return 0;
                case ARG_SYSTEM:
                        kind = 0;
                        break;
                case ARG_SESSION:
                        kind = 1;
                        break;
                case ARG_ROOT:
                        g_free(d->root);
                        d->root = g_strdup(optarg);
                        break;
                case ARG_TIMEOUT: {
                        char *end = NULL;
                        unsigned long long t;

                        errno = 0;
                        t = strtoull(optarg, &end, 10);
                        if (errno != 0 || !end || *end || optarg[0] == '-' || t > 86400ull * 365) {
                                fprintf(stderr,
                                        "%s: --timeout: invalid value '%s' (expected "
                                        "seconds)\n",
                                        d->info->name, optarg);
                                return -EINVAL;
                        }
                        d->timeout_usec = t * 1000000ull;
                        break;
                }
                case ARG_BUS:
                        if (strcmp(optarg, "auto") == 0)
                                d->bus_choice = BUS_AUTO;
                        else if (strcmp(optarg, "system") == 0)
                                d->bus_choice = BUS_SYSTEM;
                        else if (strcmp(optarg, "session") == 0)
                                d->bus_choice = BUS_SESSION;
                        else if (strcmp(optarg, "none") == 0)
                                d->bus_choice = BUS_NONE;
                        else {
                                fprintf(stderr,
                                        "%s: --bus: invalid value '%s' (expected auto, "
                                        "system, session or none)\n",
                                        d->info->name, optarg);
                                return -EINVAL;
                        }
                        break;
                case 'v':
                        vk_log_set_max_level(LOG_DEBUG);
                        break;
                default:
                        return -EINVAL;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "%s: unexpected argument '%s'\n", d->info->name, argv[optind]);
                return -EINVAL;
        }

        d->session = kind < 0 ? getuid() != 0 : kind == 1;
        d->instance = d->root      ? VK_INSTANCE_EMBEDDED
                      : d->session ? VK_INSTANCE_SESSION
                                   : VK_INSTANCE_SYSTEM;
        return 1;
}

static void daemon_begin_exit(VkDaemon *d);

static int daemon_on_idle_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        VkDaemon *d = userdata;

        if (!d->exiting && vk_service_is_idle(d->service) &&
            !(d->info->busy && d->info->busy(d->userdata))) {
                vk_log_info("Idle for %llu s, exiting",
                            (unsigned long long) (d->timeout_usec / 1000000ull));
                daemon_begin_exit(d);
        }
        return 0;
}

/*
 * Re-evaluate idleness: arm the exit timer when nothing is going on, disarm it otherwise.
 * Drivers call this when their busy() answer may have changed.
 */
void vk_daemon_check_idle(VkDaemon *d) {
        bool idle;

        if (!d->service)
                return;
        idle = vk_service_is_idle(d->service) && !(d->info->busy && d->info->busy(d->userdata));

        if (d->exiting) {
                /* calls queued before the bus name was released are answered first */
                if (idle)
                        (void) sd_event_exit(d->event, 0);
                return;
        }
        if (!d->idle_timer)
                return;
        if (!idle) {
                (void) sd_event_source_set_enabled(d->idle_timer, SD_EVENT_OFF);
                return;
        }
        (void) sd_event_source_set_time_relative(d->idle_timer, d->timeout_usec);
        (void) sd_event_source_set_enabled(d->idle_timer, SD_EVENT_ONESHOT);
}

static void daemon_on_activity(VkService *s, void *ud) {
        vk_daemon_check_idle(ud);
}

static void daemon_on_name_released(VkService *s, void *ud) {
        VkDaemon *d = ud;

        vk_daemon_check_idle(d);
}

static void daemon_begin_exit(VkDaemon *d) {
        int r;

        d->exiting = true;
        (void) sd_notify(false, "STOPPING=1\nSTATUS=Exiting after idle timeout");
        /* new varlink clients wait in the socket's backlog for the next instance */
        vk_service_stop_accepting(d->service);
        r = vk_service_release_bus_name(d->service, daemon_on_name_released, d);
        if (r <= 0)
                vk_daemon_check_idle(d);
}

static int daemon_on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        VkDaemon *d = userdata;

        vk_log_info("Received SIG%s, exiting", sigabbrev_np((int) si->ssi_signo));
        (void) sd_notify(false, "STOPPING=1");
        return sd_event_exit(d->event, 0);
}

static int daemon_setup_varlink(VkDaemon *d) {
        g_auto(VkError) error = VK_ERROR_INIT;
        g_autofree char *path = NULL;
        char **names = NULL;
        int n, r, used = 0;

        n = sd_listen_fds_with_names(true, &names);
        if (n < 0)
                return vk_log_error_errno(n, "Failed to read the sockets passed by systemd: %m");
        for (int i = 0; i < n; i++) {
                int fd = SD_LISTEN_FDS_START + i;

                if (sd_is_socket_unix(fd, SOCK_STREAM, 1, NULL, 0) <= 0) {
                        vk_log_warning("Ignoring passed fd %d (%s): not a listening UNIX stream "
                                       "socket",
                                       fd, names ? names[i] : "?");
                        (void) close(fd);
                        continue;
                }
                r = vk_service_add_varlink_fd(d->service, fd);
                if (r < 0)
                        return vk_log_error_errno(r, "Failed to serve passed socket: %m");
                used++;
        }
        g_strfreev(names);
        if (used > 0) {
                vk_log_debug("Serving %d socket(s) passed by the service manager", used);
                return 0;
        }

        r = vk_paths_socket(d->paths, d->info->iface->varlink_name, &path, &error);
        if (r >= 0)
                r = vk_mkdir_p(d->paths->socket_dir, d->session ? 0700 : 0755);
        if (r >= 0)
                r = vk_service_listen_varlink(d->service, path, d->session ? 0600 : 0666, &error);
        if (r < 0)
                return vk_log_error_errno(r, "Failed to listen on the varlink socket: %s",
                                          error.message ? error.message : g_strerror(-r));
        vk_log_debug("Listening on %s", path);
        return 0;
}

static int daemon_setup_bus(VkDaemon *d) {
        g_auto(VkError) error = VK_ERROR_INIT;
        BusChoice choice = d->bus_choice;
        int r;

        if (choice == BUS_NONE)
                return 0;
        if (choice == BUS_AUTO)
                choice = d->session ? BUS_SESSION : BUS_SYSTEM;

        r = choice == BUS_SYSTEM ? sd_bus_open_system(&d->bus) : sd_bus_open_user(&d->bus);
        if (r < 0) {
                if (d->bus_choice != BUS_AUTO)
                        return vk_log_error_errno(r, "Failed to connect to the %s bus: %m",
                                                  choice == BUS_SYSTEM ? "system" : "session");
                vk_log_warning_errno(r,
                                     "Failed to connect to the %s bus, serving varlink only: "
                                     "%m",
                                     choice == BUS_SYSTEM ? "system" : "session");
                return 0;
        }
        r = sd_bus_attach_event(d->bus, d->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return vk_log_error_errno(r, "Failed to attach the bus to the event loop: %m");

        r = vk_service_attach_bus(d->service, d->bus, &error);
        if (r < 0)
                return vk_log_error_errno(r, "%s", error.message);
        if (choice == BUS_SYSTEM)
                vk_service_set_polkit_bus(d->service, d->bus);
        if (d->info->bus_ready)
                d->info->bus_ready(d->userdata, d->service, d->bus);
        return 0;
}

static int daemon_run(VkDaemon *d) {
        g_auto(VkError) error = VK_ERROR_INIT;
        g_auto(VkPathsEnv) env = {};
        VkServiceOptions opts = {};
        sigset_t mask;
        int r;

        r = sd_event_default(&d->event);
        if (r < 0)
                return vk_log_error_errno(r, "Failed to allocate the event loop: %m");

        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        (void) sigprocmask(SIG_BLOCK, &mask, NULL);
        (void) sd_event_add_signal(d->event, NULL, SIGTERM, daemon_on_signal, d);
        (void) sd_event_add_signal(d->event, NULL, SIGINT, daemon_on_signal, d);
        (void) sd_event_add_signal(d->event, NULL, SIGHUP, NULL, NULL); /* ignore */
        (void) signal(SIGPIPE, SIG_IGN);

        vk_paths_env_from_environ(&env);
        if (d->root) {
                g_free(env.root);
                env.root = g_strdup(d->root);
        }
        r = vk_paths_new(d->info->driver, d->instance, &env, &d->paths, &error);
        if (r < 0)
                return vk_log_error_errno(r, "%s", error.message);
        r = vk_paths_make_dirs(d->paths, d->session ? 0700 : 0755, &error);
        if (r < 0)
                return vk_log_error_errno(r, "%s", error.message);

        if (d->info->init) {
                r = d->info->init(d, &d->userdata, &error);
                if (r < 0)
                        return vk_log_error_errno(r, "Failed to start the %s driver: %s",
                                                  d->info->driver,
                                                  error.message ? error.message : g_strerror(-r));
        }

        opts.iface = d->info->iface;
        opts.userdata = d->userdata;
        opts.session = d->session;
        opts.product = d->info->name;
        opts.instance = vk_instance_kind_to_string(d->instance);
        r = vk_service_new(d->event, &opts, &d->service);
        if (r < 0)
                return vk_log_error_errno(r, "Failed to create the service: %m");

        if (d->info->service_ready)
                d->info->service_ready(d->userdata, d->service);

        r = daemon_setup_varlink(d);
        if (r < 0)
                return r;
        r = daemon_setup_bus(d);
        if (r < 0)
                return r;

        if (d->timeout_usec > 0) {
                r = sd_event_add_time_relative(d->event, &d->idle_timer, CLOCK_MONOTONIC,
                                               d->timeout_usec, 0, daemon_on_idle_timer, d);
                if (r < 0)
                        return vk_log_error_errno(r, "Failed to set up the idle timer: %m");
        }
        vk_service_set_activity_callback(d->service, daemon_on_activity, d);
        vk_daemon_check_idle(d);

        (void) sd_notifyf(false, "READY=1\nSTATUS=Serving %s (%s instance)",
                          d->info->iface->varlink_name, vk_instance_kind_to_string(d->instance));
        vk_log_debug("%s %s ready (%s instance)", d->info->name, VK_VERSION,
                     vk_instance_kind_to_string(d->instance));

        r = sd_event_loop(d->event);
        if (r < 0)
                return vk_log_error_errno(r, "Event loop failed: %m");
        return 0;
}

/*
 * The whole life of a daemon: parse options, pick the instance and its paths, set up the
 * driver (@info->init), serve varlink (sockets from systemd, else our own) and D-Bus, run the
 * loop until a signal or the idle timeout. Returns the process exit code.
 */
int vk_daemon_main(int argc, char **argv, const VkDaemonInfo *info) {
        VkDaemon d = { .info = info, .bus_choice = BUS_AUTO };
        int r;

        vk_log_open(info->name);
        r = parse_args(&d, argc, argv);
        if (r <= 0) {
                g_free(d.root);
                return r < 0 ? 2 : 0;
        }

        r = daemon_run(&d);

        d.idle_timer = sd_event_source_disable_unref(d.idle_timer);
        /* the driver first: the calls it still holds are answered while the service is there */
        if (info->done && d.userdata)
                info->done(d.userdata);
        d.service = vk_service_free(d.service);
        if (d.bus) {
                sd_bus_flush(d.bus);
                d.bus = sd_bus_close_unref(d.bus);
        }
        d.paths = vk_paths_free(d.paths);
        d.event = sd_event_unref(d.event);
        g_free(d.root);
        return r < 0 ? 1 : 0;
}
