/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lvclient.c: the libvirt side of bench/run, through libvirt's client library (libvirt.so).
 *
 *   lvclient coldstart URI CHECK -- ARGV...   exec ARGV, time until CHECK succeeds (see below)
 *   lvclient rtt URI version|list|xml K [DOMAIN]   K calls on one connection, per-call stats
 *   lvclient define URI PREFIX N XMLFILE      define N domains (@NAME@ → PREFIXnnnn), total ms
 *   lvclient startdestroy URI DOMAIN PAUSED   start (PAUSED 1: paused) then destroy, ms each
 *   lvclient multistart URI PREFIX N PAUSED   start PREFIX0000… concurrently, one connection
 *                                             per thread; ms until the last start returned
 *   lvclient cleanup URI PREFIX              destroy and undefine every PREFIX* domain
 *   lvclient stopmany URI PREFIX N           destroy PREFIX0000…, errors ignored
 *
 * CHECK: "version" (virConnectGetLibVersion), "all:N" (virConnectListAllDomains lists ≥ N),
 * "active:N" (≥ N active domains). Output: one JSON object a line (bench-common.h). */
#include <pthread.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "bench-common.h"

static void quiet(void *opaque, virErrorPtr err) {
        (void) opaque;
        (void) err;
}

static void die(const char *what) {
        const char *msg = virGetLastErrorMessage();

        fprintf(stderr, "lvclient: %s: %s\n", what, msg ? msg : "failed");
        exit(1);
}

static int count_domains(virConnectPtr c, unsigned int flags) {
        virDomainPtr *list = NULL;
        int n = virConnectListAllDomains(c, &list, flags);

        for (int i = 0; i < n; i++)
                virDomainFree(list[i]);
        free(list);
        return n;
}

/* One probe of the daemon: a fresh connection, the check, close. */
static int probe(const char *uri, const char *check) {
        virConnectPtr c = virConnectOpen(uri);
        unsigned long v = 0;
        int ok = 0;

        if (!c)
                return 0;
        if (strcmp(check, "version") == 0)
                ok = virConnectGetLibVersion(c, &v) == 0;
        else if (strncmp(check, "all:", 4) == 0)
                ok = count_domains(c, 0) >= atoi(check + 4);
        else if (strncmp(check, "active:", 7) == 0)
                ok = count_domains(c, VIR_CONNECT_LIST_DOMAINS_ACTIVE) >= atoi(check + 7);
        virConnectClose(c);
        return ok;
}

static virConnectPtr open_or_die(const char *uri) {
        virConnectPtr c = virConnectOpen(uri);

        if (!c)
                die(uri);
        return c;
}

static int one_call(virConnectPtr c, const char *what, virDomainPtr dom) {
        unsigned long v;

        if (strcmp(what, "version") == 0)
                return virConnectGetLibVersion(c, &v);
        if (strcmp(what, "list") == 0)
                return count_domains(c, 0) < 0 ? -1 : 0;
        if (strcmp(what, "xml") == 0) {
                char *xml = virDomainGetXMLDesc(dom, 0);

                free(xml);
                return xml ? 0 : -1;
        }
        return -1;
}

static int cmd_rtt(const char *uri, const char *what, int k, const char *domain) {
        virConnectPtr c = open_or_die(uri);
        virDomainPtr dom = NULL;
        uint64_t *t = calloc((size_t) k, sizeof(*t));

        if (domain && !(dom = virDomainLookupByName(c, domain)))
                die(domain);
        for (int i = 0; i < 20; i++) /* warm up */
                if (one_call(c, what, dom) < 0)
                        die(what);
        for (int i = 0; i < k; i++) {
                uint64_t s = bench_now_ns();

                if (one_call(c, what, dom) < 0)
                        die(what);
                t[i] = bench_now_ns() - s;
        }
        bench_print_stats(what, t, k, 1e3, "us");
        if (dom)
                virDomainFree(dom);
        virConnectClose(c);
        free(t);
        return 0;
}

static char *read_file(const char *path) {
        FILE *f = fopen(path, "re");
        char *buf;
        long n;

        if (!f || fseek(f, 0, SEEK_END) < 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) < 0) {
                fprintf(stderr, "lvclient: cannot read %s\n", path);
                exit(1);
        }
        buf = calloc(1, (size_t) n + 1);
        if (fread(buf, 1, (size_t) n, f) != (size_t) n)
                exit(1);
        fclose(f);
        return buf;
}

/* @tmpl with every "@NAME@" replaced by @name. */
static char *subst(const char *tmpl, const char *name) {
        size_t cap = strlen(tmpl) + 64 * strlen(name) + 1;
        char *out = calloc(1, cap), *o = out;

        for (const char *p = tmpl; *p;) {
                if (strncmp(p, "@NAME@", 6) == 0) {
                        o = stpcpy(o, name);
                        p += 6;
                } else
                        *o++ = *p++;
        }
        return out;
}

static int cmd_define(const char *uri, const char *prefix, int n, const char *file) {
        virConnectPtr c = open_or_die(uri);
        char *tmpl = read_file(file);
        char **xml = calloc((size_t) n, sizeof(*xml));
        uint64_t start;

        for (int i = 0; i < n; i++) { /* build every XML before the clock starts */
                char name[256];

                snprintf(name, sizeof(name), "%s%04d", prefix, i);
                xml[i] = subst(tmpl, name);
        }
        start = bench_now_ns();
        for (int i = 0; i < n; i++) {
                virDomainPtr d = virDomainDefineXML(c, xml[i]);

                if (!d)
                        die("virDomainDefineXML");
                virDomainFree(d);
        }
        bench_print_value("define", bench_ms_since(start), "ms");
        for (int i = 0; i < n; i++)
                free(xml[i]);
        free(xml);
        free(tmpl);
        virConnectClose(c);
        return 0;
}

static int cmd_startdestroy(const char *uri, const char *domain, int paused) {
        virConnectPtr c = open_or_die(uri);
        virDomainPtr d = virDomainLookupByName(c, domain);
        uint64_t s;

        if (!d)
                die(domain);
        s = bench_now_ns();
        if (virDomainCreateWithFlags(d, paused ? VIR_DOMAIN_START_PAUSED : 0) < 0)
                die("virDomainCreateWithFlags");
        bench_print_value("start", bench_ms_since(s), "ms");
        s = bench_now_ns();
        if (virDomainDestroy(d) < 0)
                die("virDomainDestroy");
        bench_print_value("destroy", bench_ms_since(s), "ms");
        virDomainFree(d);
        virConnectClose(c);
        return 0;
}

typedef struct Starter {
        pthread_t thread;
        const char *uri;
        char name[256];
        int paused;
        pthread_barrier_t *barrier;
        virConnectPtr conn;
        virDomainPtr dom;
        int result;
} Starter;

static void *starter_run(void *p) {
        Starter *s = p;

        pthread_barrier_wait(s->barrier);
        s->result = virDomainCreateWithFlags(s->dom, s->paused ? VIR_DOMAIN_START_PAUSED : 0);
        return NULL;
}

static int cmd_multistart(const char *uri, const char *prefix, int n, int paused) {
        Starter *s = calloc((size_t) n, sizeof(*s));
        pthread_barrier_t barrier;
        uint64_t start;
        int failed = 0;

        pthread_barrier_init(&barrier, NULL, (unsigned) n + 1);
        for (int i = 0; i < n; i++) { /* connections and lookups before the clock starts */
                s[i].uri = uri;
                s[i].paused = paused;
                s[i].barrier = &barrier;
                snprintf(s[i].name, sizeof(s[i].name), "%s%04d", prefix, i);
                s[i].conn = open_or_die(uri);
                s[i].dom = virDomainLookupByName(s[i].conn, s[i].name);
                if (!s[i].dom)
                        die(s[i].name);
                pthread_create(&s[i].thread, NULL, starter_run, &s[i]);
        }
        start = bench_now_ns();
        pthread_barrier_wait(&barrier);
        for (int i = 0; i < n; i++) {
                pthread_join(s[i].thread, NULL);
                failed += s[i].result < 0;
        }
        if (failed) {
                fprintf(stderr, "lvclient: %d of %d starts failed\n", failed, n);
                return 1;
        }
        bench_print_value("multistart", bench_ms_since(start), "ms");
        for (int i = 0; i < n; i++) {
                virDomainFree(s[i].dom);
                virConnectClose(s[i].conn);
        }
        free(s);
        return 0;
}

static int cmd_cleanup(const char *uri, const char *prefix) {
        virConnectPtr c = open_or_die(uri);
        virDomainPtr *list = NULL;
        int n = virConnectListAllDomains(c, &list, 0), done = 0;

        for (int i = 0; i < n; i++) {
                const char *name = virDomainGetName(list[i]);

                if (strncmp(name, prefix, strlen(prefix)) == 0) {
                        if (virDomainIsActive(list[i]) == 1)
                                virDomainDestroy(list[i]);
                        virDomainUndefine(list[i]);
                        done++;
                }
                virDomainFree(list[i]);
        }
        free(list);
        virConnectClose(c);
        bench_print_value("cleanup", done, "domains");
        return 0;
}

static int cmd_stopmany(const char *uri, const char *prefix, int n) {
        virConnectPtr c = open_or_die(uri);

        for (int i = 0; i < n; i++) {
                char name[256];
                virDomainPtr d;

                snprintf(name, sizeof(name), "%s%04d", prefix, i);
                if ((d = virDomainLookupByName(c, name))) {
                        (void) virDomainDestroy(d);
                        virDomainFree(d);
                }
        }
        virConnectClose(c);
        return 0;
}

int main(int argc, char **argv) {
        char **child;

        virSetErrorFunc(NULL, quiet);
        if (virInitialize() < 0)
                return 1;
        if (argc >= 5 && strcmp(argv[1], "coldstart") == 0 &&
            (child = bench_argv_after_dashes(argc, argv, 4)))
                return bench_coldstart("lvclient", probe, argv[2], argv[3], child);
        if ((argc == 5 || argc == 6) && strcmp(argv[1], "rtt") == 0)
                return cmd_rtt(argv[2], argv[3], atoi(argv[4]), argc == 6 ? argv[5] : NULL);
        if (argc == 6 && strcmp(argv[1], "define") == 0)
                return cmd_define(argv[2], argv[3], atoi(argv[4]), argv[5]);
        if (argc == 5 && strcmp(argv[1], "startdestroy") == 0)
                return cmd_startdestroy(argv[2], argv[3], atoi(argv[4]));
        if (argc == 6 && strcmp(argv[1], "multistart") == 0)
                return cmd_multistart(argv[2], argv[3], atoi(argv[4]), atoi(argv[5]));
        if (argc == 4 && strcmp(argv[1], "cleanup") == 0)
                return cmd_cleanup(argv[2], argv[3]);
        if (argc == 5 && strcmp(argv[1], "stopmany") == 0)
                return cmd_stopmany(argv[2], argv[3], atoi(argv[4]));
        fprintf(stderr, "usage: see the comment at the top of bench/lvclient.c\n");
        return 2;
}
