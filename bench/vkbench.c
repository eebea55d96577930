/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vkbench.c: micro-benchmarks of the daemons: cold start, idle RSS, varlink round trip */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>

#include "vlconn.h"

static uint64_t now_ns(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000000ull + (uint64_t) ts.tv_nsec;
}

/* Send one request and read until the terminating NUL. Returns 0 on a reply without "error". */
static int call(int fd, const char *req, size_t len) {
        char buf[65536];
        size_t got = 0;

        if (send(fd, req, len, MSG_NOSIGNAL) != (ssize_t) len)
                return -1;
        for (;;) {
                ssize_t n = recv(fd, buf + got, sizeof(buf) - got - 1, 0);
                if (n <= 0)
                        return -1;
                got += (size_t) n;
                if (memchr(buf, 0, got))
                        break;
                if (got >= sizeof(buf) - 1)
                        return -1;
        }
        buf[got] = 0;
        return strstr(buf, "\"error\"") ? -1 : 0;
}

static const char getversion_fmt[] = "{\"method\":\"%s.GetVersion\"}";

static char *request(const char *iface, size_t *ret_len) {
        char *r = g_strdup_printf(getversion_fmt, iface);

        *ret_len = strlen(r) + 1; /* with the NUL terminator */
        return r;
}

static int cmp_u64(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
        return x < y ? -1 : x > y;
}

static void print_stats(const char *name, const char *unit, double scale, uint64_t *v, int n) {
        qsort(v, (size_t) n, sizeof(*v), cmp_u64);
        printf("{\"figure\":\"%s\",\"unit\":\"%s\",\"median\":%.3f,\"min\":%.3f,\"max\":%.3f,"
               "\"p99\":%.3f,\"n\":%d}\n",
               name, unit, (double) v[n / 2] / scale, (double) v[0] / scale,
               (double) v[n - 1] / scale, (double) v[(n * 99) / 100] / scale, n);
}

static long rss_kib(pid_t pid) {
        g_autofree char *path = g_strdup_printf("/proc/%d/status", (int) pid);
        g_autofree char *text = NULL;
        const char *p;

        if (!g_file_get_contents(path, &text, NULL, NULL))
                return -1;
        p = strstr(text, "VmRSS:");
        return p ? strtol(p + 6, NULL, 10) : -1;
}

/* coldstart DAEMON IFACE N: exec → first successful varlink reply, on a fresh root each time. */
static int bench_coldstart(const char *daemon, const char *iface, int n) {
        g_autofree uint64_t *t = g_new0(uint64_t, n);
        g_autofree uint64_t *rss = g_new0(uint64_t, n);
        size_t len;
        g_autofree char *req = request(iface, &len);

        for (int i = 0; i < n; i++) {
                g_autofree char *root = g_dir_make_tmp("vkbench-XXXXXX", NULL);
                g_autofree char *sock = g_strdup_printf("%s/run/%s", root, iface);
                g_autofree char *rm = g_strdup_printf("rm -rf '%s'", root);
                uint64_t start = now_ns();
                pid_t pid = fork();
                int fd = -1;

                if (pid == 0) {
                        execl(daemon, daemon, "--root", root, "--bus", "none", (char *) NULL);
                        _exit(127);
                }
                for (uint64_t spins = 0; fd < 0; spins++) {
                        fd = unix_connect(sock);
                        if (fd < 0 && now_ns() - start > 5000000000ull) {
                                fprintf(stderr, "vkbench: %s did not come up\n", daemon);
                                kill(pid, SIGKILL);
                                return 1;
                        }
                }
                if (call(fd, req, len) < 0) {
                        fprintf(stderr, "vkbench: GetVersion failed\n");
                        return 1;
                }
                t[i] = now_ns() - start;
                usleep(50000); /* settle, then read the idle RSS */
                rss[i] = (uint64_t) rss_kib(pid);
                close(fd);
                kill(pid, SIGTERM);
                waitpid(pid, NULL, 0);
                if (system(rm) != 0)
                        return 1;
        }
        print_stats("cold start (exec to first varlink reply)", "ms", 1e6, t, n);
        print_stats("idle RSS", "MiB", 1024.0, rss, n);
        return 0;
}

/* rtt SOCKET IFACE N: GetVersion round trips on one persistent connection. */
static int bench_rtt(const char *sock, const char *iface, int n) {
        g_autofree uint64_t *t = g_new0(uint64_t, n);
        size_t len;
        g_autofree char *req = request(iface, &len);
        int fd = unix_connect(sock);

        if (fd < 0) {
                fprintf(stderr, "vkbench: cannot connect to %s: %m\n", sock);
                return 1;
        }
        for (int i = 0; i < 100; i++) /* warm up */
                if (call(fd, req, len) < 0)
                        return 1;
        for (int i = 0; i < n; i++) {
                uint64_t s = now_ns();
                if (call(fd, req, len) < 0)
                        return 1;
                t[i] = now_ns() - s;
        }
        close(fd);
        print_stats("GetVersion round trip over varlink", "us", 1e3, t, n);
        return 0;
}

int main(int argc, char **argv) {
        if (argc == 5 && strcmp(argv[1], "coldstart") == 0)
                return bench_coldstart(argv[2], argv[3], atoi(argv[4]));
        if (argc == 5 && strcmp(argv[1], "rtt") == 0)
                return bench_rtt(argv[2], argv[3], atoi(argv[4]));
        fprintf(stderr, "usage: vkbench coldstart DAEMON IFACE N | rtt SOCKET IFACE N\n");
        return 2;
}
