/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vkclient.c: the virtkit side of bench/run (varlink and D-Bus), the libvirt-dbus side, and
 * the bare-QEMU baseline. The varlink interface is the socket's file name (io.virtkit.Qemu).
 *
 *   vkclient coldstart SOCKET CHECK -- ARGV...  exec ARGV, time until CHECK succeeds:
 *                                  version | all:N (ListDomains lists ≥ N) | active:N
 *   vkclient rtt SOCKET version|list|list-scan|xml K [DOMAIN]  K varlink calls on one
 *                                  connection (list-scan: the reply is read but not parsed)
 *   vkclient dbus-rtt ADDRESS vk|lv version|list|xml K [DOMAIN]  the same over D-Bus, to
 *                                  virtkit-qemud (vk) or libvirt-dbus (lv, /org/libvirt/QEMU)
 *   vkclient define SOCKET PREFIX N XMLFILE    N DefineDomain calls (@NAME@ → PREFIXnnnn)
 *   vkclient startdestroy SOCKET DOMAIN PAUSED  StartDomain, then DestroyDomain, ms each
 *   vkclient multistart SOCKET PREFIX N PAUSED  N StartDomain calls at once on N connections
 *   vkclient cleanup SOCKET PREFIX             destroy and undefine every PREFIX* domain
 *   vkclient stopmany SOCKET PREFIX N          DestroyDomain PREFIX0000…, errors ignored
 *   vkclient bareqemu QMPSOCK S|P|run -- ARGV...  exec QEMU, time until QMP query-status says
 *                                  running (S: ARGV has -S, send cont first; P: ARGV has -S,
 *                                  stop at the first query-status answer), then quit
 *   vkclient has-methods SOCKET M...           exit 0 if the interface declares every method
 *
 * Output: one JSON object a line (bench-common.h). */
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <glib.h>
#include <json-glib/json-glib.h>
#include <systemd/sd-bus.h>

#include "bench-common.h"
#include "vlconn.h"

/* ListDomains, reply read in full but only scanned (no JSON tree): the count of "uuid" keys,
 * or -1 for an error reply. Separates the daemon's and the wire's cost from json-glib's. */
static int count_domains_scan(Conn *c) {
        gssize len;
        int n = 0;

        if (conn_send(c, "ListDomains", "{}") < 0 || (len = conn_read_message(c)) < 0)
                return -1;
        if (g_str_has_prefix(c->in->str, "{\"error\""))
                n = -1;
        for (const char *p = c->in->str; n >= 0 && (p = strstr(p, "\"uuid\":")); p++)
                n++;
        g_string_erase(c->in, 0, len + 1);
        return n;
}

static int count_domains(Conn *c, bool active_only) {
        g_autoptr(JsonNode) r =
                conn_call(c, "ListDomains", active_only ? "{\"active\":true}" : "{}");
        JsonObject *p = reply_params(r, false);

        if (!p || !json_object_has_member(p, "domains"))
                return -1;
        return (int) json_array_get_length(json_object_get_array_member(p, "domains"));
}

static int probe(const char *sock, const char *check) {
        Conn *c = conn_open(sock);
        int ok = 0;

        if (!c)
                return 0;
        if (strcmp(check, "version") == 0)
                ok = call_ok(c, "GetVersion", NULL, false) == 0;
        else if (strncmp(check, "all:", 4) == 0)
                ok = count_domains(c, false) >= atoi(check + 4);
        else if (strncmp(check, "active:", 7) == 0)
                ok = count_domains(c, true) >= atoi(check + 7);
        conn_close(c);
        return ok;
}

static Conn *open_or_die(const char *sock) {
        Conn *c = conn_open(sock);

        if (!c) {
                fprintf(stderr, "vkclient: cannot connect to %s: %m\n", sock);
                exit(1);
        }
        return c;
}

static char *domain_params(const char *domain, const char *extra) {
        g_autoptr(GString) s = g_string_new("{\"domain\":");

        json_str(s, domain);
        if (extra)
                g_string_append_printf(s, ",%s", extra);
        g_string_append_c(s, '}');
        return g_string_free(g_steal_pointer(&s), false);
}

static int cmd_rtt(const char *sock, const char *what, int k, const char *domain) {
        Conn *c = open_or_die(sock);
        g_autofree uint64_t *t = g_new0(uint64_t, k);
        g_autofree char *xml_params = domain ? domain_params(domain, NULL) : NULL;

        for (int i = -20; i < k; i++) { /* 20 warm-up calls */
                uint64_t s = bench_now_ns();
                int r;

                if (strcmp(what, "version") == 0)
                        r = call_ok(c, "GetVersion", NULL, true);
                else if (strcmp(what, "list") == 0)
                        r = count_domains(c, false) < 0 ? -1 : 0;
                else if (strcmp(what, "list-scan") == 0)
                        r = count_domains_scan(c) < 0 ? -1 : 0;
                else
                        r = call_ok(c, "GetDomainXML", xml_params, true);
                if (r < 0)
                        return 1;
                if (i >= 0)
                        t[i] = bench_now_ns() - s;
        }
        bench_print_stats(what, t, k, 1e3, "us");
        conn_close(c);
        return 0;
}

/* ---- D-Bus: virtkit-qemud's Manager, or libvirt-dbus's org.libvirt.Connect ---- */

static int dbus_one(sd_bus *bus, bool lv, const char *what, const char *domain,
                    const char *lv_dom_path) {
        __attribute__((cleanup(sd_bus_error_free))) sd_bus_error err = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        int r;

        if (!lv && strcmp(what, "version") == 0)
                r = sd_bus_call_method(bus, "io.virtkit.Qemu1", "/io/virtkit/Qemu1",
                                       "io.virtkit.Qemu1.Manager", "GetVersion", &err, &reply, "");
        else if (!lv && strcmp(what, "list") == 0)
                r = sd_bus_call_method(bus, "io.virtkit.Qemu1", "/io/virtkit/Qemu1",
                                       "io.virtkit.Qemu1.Manager", "ListDomains", &err, &reply,
                                       "bbbbb", 0, 0, 0, 0, 0);
        else if (!lv)
                r = sd_bus_call_method(bus, "io.virtkit.Qemu1", "/io/virtkit/Qemu1",
                                       "io.virtkit.Qemu1.Manager", "GetDomainXML", &err, &reply,
                                       "sbb", domain, 0, 0);
        else if (strcmp(what, "version") == 0)
                r = sd_bus_call_method(bus, "org.libvirt", "/org/libvirt/QEMU",
                                       "org.freedesktop.DBus.Properties", "Get", &err, &reply, "ss",
                                       "org.libvirt.Connect", "LibVersion");
        else if (strcmp(what, "list") == 0)
                r = sd_bus_call_method(bus, "org.libvirt", "/org/libvirt/QEMU",
                                       "org.libvirt.Connect", "ListDomains", &err, &reply, "u", 0u);
        else
                r = sd_bus_call_method(bus, "org.libvirt", lv_dom_path, "org.libvirt.Domain",
                                       "GetXMLDesc", &err, &reply, "u", 0u);
        if (r < 0) {
                fprintf(stderr, "vkclient: D-Bus %s: %s\n", what,
                        err.message ? err.message : strerror(-r));
                return -1;
        }
        /* read the whole reply, as a client would: for lists every element */
        if (strcmp(what, "list") == 0) {
                const char *sig = lv ? "o" : "(ssxsbb)";
                int n = 0;

                r = sd_bus_message_enter_container(reply, SD_BUS_TYPE_ARRAY, sig);
                while (r > 0 && sd_bus_message_skip(reply, sig) > 0)
                        n++;
                (void) n;
        }
        sd_bus_message_unref(reply);
        return 0;
}

static int cmd_dbus_rtt(const char *address, const char *target, const char *what, int k,
                        const char *domain) {
        bool lv = strcmp(target, "lv") == 0;
        g_autofree uint64_t *t = g_new0(uint64_t, k);
        g_autofree char *dom_path = NULL;
        sd_bus *bus = NULL;
        int r;

        if ((r = sd_bus_new(&bus)) < 0 || (r = sd_bus_set_address(bus, address)) < 0 ||
            (r = sd_bus_set_bus_client(bus, 1)) < 0 || (r = sd_bus_start(bus)) < 0) {
                fprintf(stderr, "vkclient: cannot connect to %s: %s\n", address, strerror(-r));
                return 1;
        }
        if (lv && domain) {
                sd_bus_message *reply = NULL;
                const char *path;

                r = sd_bus_call_method(bus, "org.libvirt", "/org/libvirt/QEMU",
                                       "org.libvirt.Connect", "DomainLookupByName", NULL, &reply,
                                       "s", domain);
                if (r < 0 || sd_bus_message_read(reply, "o", &path) < 0) {
                        fprintf(stderr, "vkclient: libvirt-dbus lookup of %s failed\n", domain);
                        return 1;
                }
                dom_path = g_strdup(path);
                sd_bus_message_unref(reply);
        }
        for (int i = -20; i < k; i++) {
                uint64_t s = bench_now_ns();

                if (dbus_one(bus, lv, what, domain, dom_path) < 0)
                        return 1;
                if (i >= 0)
                        t[i] = bench_now_ns() - s;
        }
        bench_print_stats(what, t, k, 1e3, "us");
        sd_bus_flush_close_unref(bus);
        return 0;
}

/* ---- lifecycle ---- */

static int cmd_define(const char *sock, const char *prefix, int n, const char *file) {
        Conn *c = open_or_die(sock);
        g_autofree char *tmpl = NULL;
        g_autoptr(GPtrArray) params = g_ptr_array_new_with_free_func(g_free);
        uint64_t start;

        if (!g_file_get_contents(file, &tmpl, NULL, NULL)) {
                fprintf(stderr, "vkclient: cannot read %s\n", file);
                return 1;
        }
        for (int i = 0; i < n; i++) { /* build every request before the clock starts */
                g_autofree char *name = g_strdup_printf("%s%04d", prefix, i);
                g_auto(GStrv) parts = g_strsplit(tmpl, "@NAME@", -1);
                g_autofree char *xml = g_strjoinv(name, parts);
                GString *s = g_string_new("{\"xml\":");

                json_str(s, xml);
                g_string_append_c(s, '}');
                g_ptr_array_add(params, g_string_free(s, false));
        }
        start = bench_now_ns();
        for (int i = 0; i < n; i++)
                if (call_ok(c, "DefineDomain", params->pdata[i], true) < 0)
                        return 1;
        bench_print_value("define", bench_ms_since(start), "ms");
        conn_close(c);
        return 0;
}

static int cmd_startdestroy(const char *sock, const char *domain, int paused) {
        Conn *c = open_or_die(sock);
        g_autofree char *start_params = domain_params(domain, paused ? "\"paused\":true" : NULL);
        g_autofree char *destroy_params = domain_params(domain, NULL);
        uint64_t s = bench_now_ns();

        if (call_ok(c, "StartDomain", start_params, true) < 0)
                return 1;
        bench_print_value("start", bench_ms_since(s), "ms");
        s = bench_now_ns();
        if (call_ok(c, "DestroyDomain", destroy_params, true) < 0)
                return 1;
        bench_print_value("destroy", bench_ms_since(s), "ms");
        conn_close(c);
        return 0;
}

static int cmd_multistart(const char *sock, const char *prefix, int n, int paused) {
        g_autofree Conn **c = g_new0(Conn *, n);
        g_autofree struct pollfd *pfd = g_new0(struct pollfd, n);
        g_autoptr(GPtrArray) params = g_ptr_array_new_with_free_func(g_free);
        int pending = n, failed = 0;
        uint64_t start;

        for (int i = 0; i < n; i++) { /* connections before the clock starts */
                g_autofree char *name = g_strdup_printf("%s%04d", prefix, i);

                c[i] = open_or_die(sock);
                g_ptr_array_add(params, domain_params(name, paused ? "\"paused\":true" : NULL));
                pfd[i] = (struct pollfd){ .fd = c[i]->fd, .events = POLLIN };
        }
        start = bench_now_ns();
        for (int i = 0; i < n; i++)
                if (conn_send(c[i], "StartDomain", params->pdata[i]) < 0)
                        return 1;
        while (pending > 0) {
                if (poll(pfd, (nfds_t) n, 120000) <= 0)
                        return 1;
                for (int i = 0; i < n; i++) {
                        if (pfd[i].fd < 0 || !(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
                                continue;
                        g_autoptr(JsonNode) r = conn_recv(c[i]);
                        failed += !reply_params(r, true);
                        pfd[i].fd = -1;
                        pending--;
                }
        }
        if (failed) {
                fprintf(stderr, "vkclient: %d of %d starts failed\n", failed, n);
                return 1;
        }
        bench_print_value("multistart", bench_ms_since(start), "ms");
        for (int i = 0; i < n; i++)
                conn_close(c[i]);
        return 0;
}

static int cmd_cleanup(const char *sock, const char *prefix) {
        Conn *c = open_or_die(sock);
        g_autoptr(JsonNode) r = conn_call(c, "ListDomains", "{}");
        JsonObject *p = reply_params(r, true);
        JsonArray *a = p ? json_object_get_array_member(p, "domains") : NULL;
        int done = 0;

        for (guint i = 0; a && i < json_array_get_length(a); i++) {
                JsonObject *d = json_array_get_object_element(a, i);
                const char *name = json_object_get_string_member(d, "name");
                const char *state = json_object_get_string_member(d, "state");
                g_autofree char *dp = domain_params(name, NULL);

                if (!g_str_has_prefix(name, prefix))
                        continue;
                if (state && strcmp(state, "shutoff") != 0 && strcmp(state, "shut off") != 0)
                        (void) call_ok(c, "DestroyDomain", dp, false);
                (void) call_ok(c, "UndefineDomain", dp, false);
                done++;
        }
        bench_print_value("cleanup", done, "domains");
        conn_close(c);
        return 0;
}

static int cmd_has_methods(const char *sock, int n, char **methods) {
        g_autoptr(GString) req = g_string_new(NULL);
        const char *iface = strrchr(sock, '/') ? strrchr(sock, '/') + 1 : sock;
        Conn *c = open_or_die(sock);
        g_autoptr(JsonNode) r = NULL;
        JsonObject *p;
        const char *desc;

        g_string_printf(req,
                        "{\"method\":\"org.varlink.service.GetInterfaceDescription\","
                        "\"parameters\":{\"interface\":\"%s\"}}",
                        iface);
        if (send(c->fd, req->str, req->len + 1, MSG_NOSIGNAL) != (ssize_t) req->len + 1)
                return 2;
        r = conn_recv(c);
        p = reply_params(r, true);
        desc = p ? json_object_get_string_member(p, "description") : NULL;
        if (!desc)
                return 2;
        for (int i = 0; i < n; i++) {
                g_autofree char *needle = g_strdup_printf("\nmethod %s(", methods[i]);

                if (!strstr(desc, needle)) {
                        printf("missing %s\n", methods[i]);
                        return 1;
                }
        }
        conn_close(c);
        return 0;
}

/* ---- bare QEMU: exec → QMP query-status "running" ---- */

static int qmp_line(Conn *c, GString *line) {
        char buf[4096];
        char *nl;

        while (!(nl = memchr(c->in->str, '\n', c->in->len))) {
                ssize_t n = recv(c->fd, buf, sizeof(buf), 0);

                if (n <= 0)
                        return -1;
                g_string_append_len(c->in, buf, n);
        }
        g_string_assign(line, "");
        g_string_append_len(line, c->in->str, nl - c->in->str);
        g_string_erase(c->in, 0, (gssize) (nl - c->in->str) + 1);
        return 0;
}

/* Sends @cmd, returns the "return" line (events skipped), or NULL. */
static bool qmp_exec(Conn *c, const char *cmd, GString *line) {
        g_autofree char *s = g_strdup_printf("{\"execute\":\"%s\"}\n", cmd);

        if (send(c->fd, s, strlen(s), MSG_NOSIGNAL) != (ssize_t) strlen(s))
                return false;
        for (;;) {
                if (qmp_line(c, line) < 0)
                        return false;
                if (strstr(line->str, "\"return\""))
                        return true;
                if (strstr(line->str, "\"error\""))
                        return false;
        }
}

static int cmd_stopmany(const char *sock, const char *prefix, int n) {
        Conn *c = open_or_die(sock);

        for (int i = 0; i < n; i++) {
                g_autofree char *name = g_strdup_printf("%s%04d", prefix, i);
                g_autofree char *dp = domain_params(name, NULL);

                (void) call_ok(c, "DestroyDomain", dp, false);
        }
        conn_close(c);
        return 0;
}

static int cmd_bareqemu(const char *qmp, const char *mode, char **argv) {
        bool paused_start = strcmp(mode, "S") == 0, prelaunch = strcmp(mode, "P") == 0;
        g_autoptr(GString) line = g_string_new(NULL);
        uint64_t start = bench_now_ns();
        pid_t pid = bench_spawn(argv);
        Conn *c = NULL;
        double ms;

        while (!(c = conn_open(qmp))) {
                if (waitpid(pid, NULL, WNOHANG) == pid || bench_ms_since(start) > 30000) {
                        fprintf(stderr, "vkclient: QEMU did not open its QMP socket\n");
                        return 1;
                }
                usleep(BENCH_POLL_US);
        }
        if (qmp_line(c, line) < 0 || !qmp_exec(c, "qmp_capabilities", line) ||
            (paused_start && !qmp_exec(c, "cont", line)))
                goto fail;
        for (;;) {
                if (!qmp_exec(c, "query-status", line))
                        goto fail;
                if (prelaunch)
                        break;
                if (strstr(line->str, "\"running\": true") || strstr(line->str, "\"running\":true"))
                        break;
        }
        ms = bench_ms_since(start);
        bench_print_value("bareqemu", ms, "ms");
        (void) qmp_exec(c, "quit", line);
        conn_close(c);
        bench_stop(pid, 5000);
        return 0;
fail:
        fprintf(stderr, "vkclient: QMP conversation failed: %s\n", line->str);
        bench_stop(pid, 2000);
        return 1;
}

int main(int argc, char **argv) {
        char **child;

        if (argc >= 5 && strcmp(argv[1], "coldstart") == 0 &&
            (child = bench_argv_after_dashes(argc, argv, 4)))
                return bench_coldstart("vkclient", probe, argv[2], argv[3], child);
        if ((argc == 5 || argc == 6) && strcmp(argv[1], "rtt") == 0)
                return cmd_rtt(argv[2], argv[3], atoi(argv[4]), argc == 6 ? argv[5] : NULL);
        if ((argc == 6 || argc == 7) && strcmp(argv[1], "dbus-rtt") == 0)
                return cmd_dbus_rtt(argv[2], argv[3], argv[4], atoi(argv[5]),
                                    argc == 7 ? argv[6] : NULL);
        if (argc == 6 && strcmp(argv[1], "define") == 0)
                return cmd_define(argv[2], argv[3], atoi(argv[4]), argv[5]);
        if (argc == 5 && strcmp(argv[1], "startdestroy") == 0)
                return cmd_startdestroy(argv[2], argv[3], atoi(argv[4]));
        if (argc == 6 && strcmp(argv[1], "multistart") == 0)
                return cmd_multistart(argv[2], argv[3], atoi(argv[4]), atoi(argv[5]));
        if (argc == 4 && strcmp(argv[1], "cleanup") == 0)
                return cmd_cleanup(argv[2], argv[3]);
        if (argc >= 3 && strcmp(argv[1], "has-methods") == 0)
                return cmd_has_methods(argv[2], argc - 3, argv + 3);
        if (argc >= 5 && strcmp(argv[1], "bareqemu") == 0 &&
            (child = bench_argv_after_dashes(argc, argv, 4)))
                return cmd_bareqemu(argv[2], argv[3], child);
        if (argc == 5 && strcmp(argv[1], "stopmany") == 0)
                return cmd_stopmany(argv[2], argv[3], atoi(argv[4]));
        fprintf(stderr, "usage: see the comment at the top of bench/vkclient.c\n");
        return 2;
}
