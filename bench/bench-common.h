/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bench-common.h: clocks, statistics, JSON output and daemon child handling shared by the
 * benchmark clients (lvclient for libvirt, vkclient for virtkit and bare QEMU). Header-only
 * so that each client stays one translation unit. */
#pragma once

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Poll interval of every "wait until the daemon answers" loop, the same on both sides. */
#define BENCH_POLL_US 200

static inline uint64_t bench_now_ns(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000000ull + (uint64_t) ts.tv_nsec;
}

static inline double bench_ms_since(uint64_t start) {
        return (double) (bench_now_ns() - start) / 1e6;
}

static inline int bench_cmp_u64(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;

        return x < y ? -1 : x > y;
}

/* Sorts @v and prints one JSON object: median, min, max, p99 in @unit (@v is in ns). */
static inline void bench_print_stats(const char *what, uint64_t *v, int n, double scale,
                                     const char *unit) {
        qsort(v, (size_t) n, sizeof(*v), bench_cmp_u64);
        printf("{\"what\":\"%s\",\"unit\":\"%s\",\"median\":%.4f,\"min\":%.4f,\"max\":%.4f,"
               "\"p99\":%.4f,\"n\":%d}\n",
               what, unit, (double) v[n / 2] / scale, (double) v[0] / scale,
               (double) v[n - 1] / scale, (double) v[(n * 99) / 100] / scale, n);
        fflush(stdout);
}

static inline void bench_print_value(const char *what, double value, const char *unit) {
        printf("{\"what\":\"%s\",\"unit\":\"%s\",\"value\":%.4f}\n", what, unit, value);
        fflush(stdout);
}

/* Forks and execs @argv with stdin from /dev/null and stdout on our stderr (stdout carries the
 * results); the child dies with us (PDEATHSIG) so no daemon outlives a crashed client. */
static inline pid_t bench_spawn(char **argv) {
        pid_t pid = fork();

        if (pid == 0) {
                int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

                prctl(PR_SET_PDEATHSIG, SIGKILL);
                if (null < 0 || dup2(null, STDIN_FILENO) < 0 ||
                    dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
                        _exit(127);
                execvp(argv[0], argv);
                fprintf(stderr, "bench: cannot exec %s: %s\n", argv[0], strerror(errno));
                _exit(127);
        }
        return pid;
}

/* SIGTERM, then SIGKILL after @grace_ms; always reaps. Returns how long the stop took (ms). */
static inline double bench_stop(pid_t pid, int grace_ms) {
        uint64_t start = bench_now_ns();

        if (pid <= 0)
                return 0;
        kill(pid, SIGTERM);
        for (;;) {
                pid_t r = waitpid(pid, NULL, WNOHANG);

                if (r == pid || (r < 0 && errno == ECHILD))
                        break;
                if (bench_ms_since(start) > grace_ms) {
                        kill(pid, SIGKILL);
                        waitpid(pid, NULL, 0);
                        break;
                }
                usleep(1000);
        }
        return bench_ms_since(start);
}

/* The cold start protocol shared with bench/run: after the first good reply, print
 * {"what":"coldstart","ms":…,"pid":…}, then wait for a line on stdin (the harness reads the
 * daemon's RSS, or does more work with it) and stop the daemon. The daemon lives as long as
 * the harness keeps our stdin open. */
static inline int bench_coldstart_report(double ms, pid_t pid) {
        char line[64] = "";

        printf("{\"what\":\"coldstart\",\"unit\":\"ms\",\"value\":%.4f,\"pid\":%d}\n", ms,
               (int) pid);
        fflush(stdout);
        (void) !fgets(line, sizeof(line), stdin);
        bench_stop(pid, 10000);
        return 0;
}

/*
 * The cold start: spawn @argv, then ask @probe(@target, @check) every BENCH_POLL_US until it
 * says yes (at most 120 s), and report as bench_coldstart_report() does. @prog names the
 * client in messages.
 */
static inline int bench_coldstart(const char *prog, int (*probe)(const char *, const char *),
                                  const char *target, const char *check, char **argv) {
        uint64_t start = bench_now_ns();
        pid_t pid = bench_spawn(argv);

        while (!probe(target, check)) {
                if (waitpid(pid, NULL, WNOHANG) == pid) {
                        fprintf(stderr, "%s: %s exited before answering\n", prog, argv[0]);
                        return 1;
                }
                if (bench_ms_since(start) > 120000) {
                        fprintf(stderr, "%s: no answer after 120 s\n", prog);
                        bench_stop(pid, 5000);
                        return 1;
                }
                usleep(BENCH_POLL_US);
        }
        return bench_coldstart_report(bench_ms_since(start), pid);
}

/* Arguments "-- argv…" after @i; returns the argv or NULL. */
static inline char **bench_argv_after_dashes(int argc, char **argv, int i) {
        for (; i < argc; i++)
                if (strcmp(argv[i], "--") == 0)
                        return i + 1 < argc ? argv + i + 1 : NULL;
        return NULL;
}
