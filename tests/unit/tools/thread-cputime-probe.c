/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * thread-cputime-probe: times rounds of pure computation as qemu-img 7.2 times PBKDF2 (each in
 * a new thread, by getrusage(RUSAGE_THREAD)'s ru_utime in whole ms) and prints
 * "rounds=N zero=Z": how many of N rounds of at least 3 ms read 0 ms. test-thread-cputime runs
 * it with and without virtkit-thread-cputime.so preloaded. Built without sanitizers, as
 * qemu-img is (the library is meant for a program without a sanitizer runtime).
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/resource.h>
#include <time.h>

#define ROUNDS   100
#define ROUND_NS (3 * 1000 * 1000)

static volatile uint64_t sink;

static uint64_t work(uint64_t n) {
        uint64_t x = 1;

        for (uint64_t i = 0; i < n; i++)
                x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        return x;
}

static uint64_t now_ns(void) {
        struct timespec ts;

        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000000ULL + (uint64_t) ts.tv_nsec;
}

/* qemu-img 7.2's reading: the thread's user time in whole ms */
static uint64_t thread_user_ms(void) {
        struct rusage ru;

        if (getrusage(RUSAGE_THREAD, &ru) < 0)
                return 0;
        return (uint64_t) ru.ru_utime.tv_sec * 1000 + (uint64_t) ru.ru_utime.tv_usec / 1000;
}

static uint64_t iterations;
static int zero;

static void *round_thread(void *arg) {
        uint64_t start = thread_user_ms();

        (void) arg;
        sink = work(iterations);
        if (thread_user_ms() == start)
                zero++;
        return NULL;
}

/* Whether @n iterations took ROUND_NS at the least each of five times (wall >= CPU time) */
static bool takes_long_enough(uint64_t n) {
        for (int i = 0; i < 5; i++) {
                uint64_t t = now_ns();

                sink = work(n);
                if (now_ns() - t < ROUND_NS)
                        return false;
        }
        return true;
}

int main(void) {
        for (iterations = 1 << 16; !takes_long_enough(iterations); iterations *= 2)
                ;
        for (int i = 0; i < ROUNDS; i++) {
                pthread_t th;

                if (pthread_create(&th, NULL, round_thread, NULL) != 0 ||
                    pthread_join(th, NULL) != 0) {
                        fprintf(stderr, "thread-cputime-probe: no thread\n");
                        return 1;
                }
        }
        printf("rounds=%d zero=%d\n", ROUNDS, zero);
        return 0;
}
