/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-caps.c: capabilities from recorded QEMU replies, probe replay, cache, XML goldens */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-glib/json-glib.h>

#include "macro.h"
#include "qemu-caps-xml.h"
#include "qemu-caps.h"
#include "sd-glue.h"
#include "vk-golden.h"

#define REPLIES  "caps_7.2.0_x86_64.replies"
#define EMULATOR "/usr/bin/qemu-system-x86_64"

/*
 * Every file in tests/data/qemucaps must be used by a test below (record.py is the tool):
 * these, and for every recorded QEMU (caps_VERSION_ARCH.replies, see vk_golden_qemus()) its
 * capabilities golden caps_VERSION_ARCH.xml and domain capabilities goldens
 * domcaps_VERSION_ARCH-q35-kvm.xml and -pc-qemu.xml. The unit tests of facts use REPLIES.
 */
static const char *const data_files[] = {
        "record.py",
        "caps_host_selinux.xml",
        "caps_host_apparmor.xml",
};
static const struct {
        const char *prefix, *tail; /* around VERSION_ARCH */
} qemu_goldens[] = {
        { "caps_", ".xml" },
        { "domcaps_", "-q35-kvm.xml" },
        { "domcaps_", "-pc-qemu.xml" },
};

static char *data_path(const char *name) {
        const char *src = getenv("VK_TEST_SRCDIR");
        return g_build_filename(src ? src : "tests", "data", "qemucaps", name, NULL);
}

static char *read_data(const char *name) {
        g_autofree char *path = data_path(name);
        char *text = NULL;

        assert_true(g_file_get_contents(path, &text, NULL, NULL));
        return text;
}

static VkQemuCaps *load_replies(const char *name) {
        g_autofree char *text = read_data(name);
        g_auto(VkError) err = VK_ERROR_INIT;
        VkQemuCaps *caps = NULL;

        assert_int_equal(vk_qemu_caps_new_from_replies(text, EMULATOR, NULL, &caps, &err), 0);
        return caps;
}

static VkQemuCaps *load_recorded(void) {
        return load_replies(REPLIES);
}

static GPtrArray *recorded_qemus(void) {
        GPtrArray *qemus = vk_golden_qemus();

        assert_non_null(qemus);
        return qemus;
}

/* The golden @i of qemu_goldens for @q. */
static char *qemu_golden(const VkGoldenQemu *q, size_t i) {
        return g_strdup_printf("%s%s_%s%s", qemu_goldens[i].prefix, q->version, q->arch,
                               qemu_goldens[i].tail);
}

/* Compare @got with golden file @name, or rewrite it under VK_TEST_REGENERATE=1. */
static void check_golden(const char *name, const char *got) {
        g_autofree char *path = data_path(name);
        g_autofree char *want = NULL;

        if (g_strcmp0(getenv("VK_TEST_REGENERATE"), "1") == 0)
                assert_true(g_file_set_contents(path, got, -1, NULL));
        assert_true(g_file_get_contents(path, &want, NULL, NULL));
        assert_string_equal(got, want);
}

static void test_facts(void **state) {
        g_autoptr(VkQemuCaps) caps = load_recorded();
        const VkQemuMachine *machines, *m;
        const VkQemuCpuModel *models;
        size_t n, n_models;
        bool found = false;

        assert_int_equal(vk_qemu_caps_get_version(caps) / 1000, 7002);
        assert_string_equal(vk_qemu_caps_get_arch(caps), "x86_64");
        assert_string_equal(vk_qemu_caps_get_binary(caps), EMULATOR);
        assert_true(vk_qemu_caps_kvm_usable(caps));

        m = vk_qemu_caps_get_default_machine(caps);
        assert_non_null(m);
        assert_string_equal(m->name, "pc-i440fx-7.2");
        assert_string_equal(m->alias, "pc");
        assert_string_equal(vk_qemu_caps_canonical_machine(caps, "pc"), "pc-i440fx-7.2");
        assert_string_equal(vk_qemu_caps_canonical_machine(caps, "q35"), "pc-q35-7.2");
        assert_string_equal(vk_qemu_caps_canonical_machine(caps, "pc-q35-5.2"), "pc-q35-5.2");
        assert_null(vk_qemu_caps_canonical_machine(caps, "none"));
        assert_null(vk_qemu_caps_find_machine(caps, "virt"));
        m = vk_qemu_caps_find_machine(caps, "q35");
        assert_int_equal(m->max_cpus, 288);

        machines = vk_qemu_caps_get_machines(caps, &n);
        assert_true(n > 20);
        for (size_t i = 1; i < n; i++)
                assert_true(strverscmp(machines[i - 1].name, machines[i].name) < 0);

        models = vk_qemu_caps_get_cpu_models(caps, &n_models);
        for (size_t i = 0; i < n_models; i++)
                if (strcmp(models[i].name, "qemu64") == 0)
                        found = true;
        assert_true(found);

        assert_true(vk_qemu_caps_has(caps, VK_QEMU_CAPS_BLOCKDEV));
        assert_true(vk_qemu_caps_has(caps, VK_QEMU_CAPS_DEVICE_JSON));
        assert_true(vk_qemu_caps_has(caps, VK_QEMU_CAPS_VIRTIO_SCSI));
        assert_true(vk_qemu_caps_has(caps, VK_QEMU_CAPS_QEMU_XHCI));
        assert_true(vk_qemu_caps_has(caps, VK_QEMU_CAPS_VNC));
        assert_true(vk_qemu_caps_has(caps, VK_QEMU_CAPS_QUERY_DISPLAY_OPTIONS));
        assert_true(vk_qemu_caps_has(caps, VK_QEMU_CAPS_VIRTIO_BLK_QUEUE_SIZE));
        assert_true(vk_qemu_caps_has(caps, VK_QEMU_CAPS_VIRTIO_NET_HOST_MTU));
        assert_true(vk_qemu_caps_device_has_property(caps, "virtio-blk-pci", "num-queues"));
        assert_true(vk_qemu_caps_device_has_property(caps, "scsi-hd", "rotation_rate"));
        assert_false(vk_qemu_caps_device_has_property(caps, "virtio-blk-pci", "no-such"));
        assert_false(vk_qemu_caps_device_has_property(caps, "no-such-device", "drive"));
        assert_true(vk_qemu_caps_has_device(caps, "virtio-blk-pci"));
        assert_false(vk_qemu_caps_has_device(caps, "no-such-device"));
}

static void test_flag_names(void **state) {
        for (int f = 0; f < _VK_QEMU_CAPS_FLAG_MAX; f++) {
                const char *s = vk_qemu_caps_flag_to_string(f);
                assert_non_null(s);
                assert_int_equal(vk_qemu_caps_flag_from_string(s), f);
        }
        assert_null(vk_qemu_caps_flag_to_string(_VK_QEMU_CAPS_FLAG_MAX));
        assert_int_equal(vk_qemu_caps_flag_from_string("kqemu"), _VK_QEMU_CAPS_FLAG_INVALID);
        assert_string_equal(vk_qemu_caps_flag_to_string(VK_QEMU_CAPS_DEVICE_JSON), "device.json");
}

static void test_bad_replies(void **state) {
        g_auto(VkError) err = VK_ERROR_INIT;
        VkQemuCaps *caps = NULL;

        assert_int_equal(vk_qemu_caps_new_from_replies("garbage\n", EMULATOR, NULL, &caps, &err),
                         -EINVAL);
        vk_error_done(&err);
        /* no query-version: not a usable recording */
        assert_true(vk_qemu_caps_new_from_replies("# nothing\n", EMULATOR, NULL, &caps, &err) < 0);
        assert_null(caps);
}

/* ---- replay: the real probe state machine against the recording ---- */

typedef struct Replay {
        sd_event *event;
        int fd;
        sd_event_source *source;
        char **lines;
        size_t pos;
        GString *in;
        GString *out; /* waiting to be written: the client reads it from the loop */
        VkQemuCaps *caps;
        bool done;
        bool mismatch;
} Replay;

/* Write the "<- " lines from the current position on, using @id for replies. */
static void replay_send(Replay *r, const char *id) {
        for (; r->lines[r->pos] && !g_str_has_prefix(r->lines[r->pos], "-> "); r->pos++) {
                const char *l = r->lines[r->pos];
                g_autoptr(JsonParser) p = json_parser_new();
                g_autofree char *text = NULL;
                JsonObject *o;

                if (!g_str_has_prefix(l, "<- "))
                        continue;
                assert_true(json_parser_load_from_data(p, l + 3, -1, NULL));
                o = json_node_get_object(json_parser_get_root(p));
                if (id && json_object_has_member(o, "id"))
                        json_object_set_string_member(o, "id", id);
                text = json_to_string(json_parser_get_root(p), FALSE);
                g_string_append(r->out, text);
                g_string_append(r->out, "\r\n");
        }
        if (r->source)
                assert_int_equal(sd_event_source_set_io_events(r->source, EPOLLIN | EPOLLOUT), 0);
}

static int replay_on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Replay *r = userdata;
        char buf[4096];
        ssize_t n;
        char *nl;

        if (revents & EPOLLOUT) {
                n = write(fd, r->out->str, r->out->len);
                if (n > 0)
                        g_string_erase(r->out, 0, n);
                if (r->out->len == 0)
                        assert_int_equal(sd_event_source_set_io_events(s, EPOLLIN), 0);
        }
        if (!(revents & EPOLLIN))
                return 0;
        n = read(fd, buf, sizeof(buf));
        if (n <= 0)
                return 0;
        g_string_append_len(r->in, buf, n);
        while ((nl = strchr(r->in->str, '\n'))) {
                g_autoptr(JsonParser) got = json_parser_new();
                g_autoptr(JsonParser) want = json_parser_new();
                JsonObject *g, *w;
                JsonNode *ga, *wa;

                assert_true(json_parser_load_from_data(got, r->in->str, nl - r->in->str, NULL));
                g_string_erase(r->in, 0, nl - r->in->str + 1);
                g = json_node_get_object(json_parser_get_root(got));

                /* the recording ends with "quit"; anything beyond is a mismatch */
                if (!r->lines[r->pos]) {
                        r->mismatch = true;
                        continue;
                }
                assert_true(g_str_has_prefix(r->lines[r->pos], "-> "));
                assert_true(json_parser_load_from_data(want, r->lines[r->pos] + 3, -1, NULL));
                w = json_node_get_object(json_parser_get_root(want));
                r->pos++;

                /* same command, same arguments, in the same order */
                if (strcmp(json_object_get_string_member(g, "execute"),
                           json_object_get_string_member(w, "execute")) != 0)
                        r->mismatch = true;
                ga = json_object_get_member(g, "arguments");
                wa = json_object_get_member(w, "arguments");
                if ((ga == NULL) != (wa == NULL) || (ga && !json_node_equal(ga, wa)))
                        r->mismatch = true;
                replay_send(r, json_object_get_string_member(g, "id"));
        }
        return 0;
}

static void on_replayed(VkQemuCapsProbe *probe, VkQemuCaps *caps, const VkError *error,
                        void *userdata) {
        Replay *r = userdata;

        assert_null(error);
        r->caps = vk_qemu_caps_ref(caps);
        r->done = true;
}

static void test_replay_probe(void **state) {
        g_autofree char *text = read_data(REPLIES);
        g_autoptr(VkQemuCaps) recorded = load_recorded();
        g_autoptr(VkQemuCapsProbe) probe = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        Replay r = {};
        int sv[2];

        assert_int_equal(sd_event_new(&r.event), 0);
        r.lines = g_strsplit(text, "\n", -1);
        r.in = g_string_new(NULL);
        r.out = g_string_new(NULL);
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv), 0);
        r.fd = sv[1];
        assert_int_equal(sd_event_add_io(r.event, &r.source, r.fd, EPOLLIN, replay_on_io, &r), 0);

        assert_int_equal(vk_qemu_caps_probe_fd(r.event, sv[0], EMULATOR, NULL, on_replayed, &r,
                                               &probe, &err),
                         0);
        replay_send(&r, NULL); /* greeting */
        for (int i = 0; i < 1000 && !r.done; i++)
                assert_true(sd_event_run(r.event, 100 * 1000) >= 0);
        assert_true(r.done);
        /* let "quit" arrive */
        for (int i = 0; i < 10; i++)
                assert_true(sd_event_run(r.event, 1000) >= 0);

        assert_false(r.mismatch);
        /* every command of the recording was asked, "quit" included */
        for (; r.lines[r.pos]; r.pos++)
                assert_false(g_str_has_prefix(r.lines[r.pos], "-> "));
        assert_true(vk_qemu_caps_equal(r.caps, recorded));

        vk_qemu_caps_unref(r.caps);
        sd_event_source_unref(r.source);
        close(r.fd);
        g_strfreev(r.lines);
        g_string_free(r.in, TRUE);
        g_string_free(r.out, TRUE);
        probe = vk_qemu_caps_probe_free(g_steal_pointer(&probe));
        sd_event_unref(r.event);
}

/* ---- cache ---- */

static void test_cache(void **state) {
        g_autofree char *dir = g_dir_make_tmp("vk-test-caps-XXXXXX", NULL);
        g_autofree char *bin = g_build_filename(dir, "qemu-system-x86_64", NULL);
        g_autofree char *cachedir = g_build_filename(dir, "cache", NULL);
        g_autofree char *text = read_data(REPLIES);
        g_autoptr(VkQemuCaps) caps = NULL;
        g_autoptr(VkQemuCaps) loaded = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        struct timespec t0, t1;
        struct stat st;
        VkQemuCaps *none = NULL;

        assert_true(g_file_set_contents(bin, "not really qemu", -1, NULL));
        assert_int_equal(stat(bin, &st), 0);
        assert_int_equal(vk_qemu_caps_new_from_replies(text, bin, &st, &caps, &err), 0);

        /* nothing cached yet */
        assert_int_equal(vk_qemu_caps_load_cache(cachedir, bin, 0, &none, &err), 0);
        assert_null(none);

        assert_int_equal(vk_qemu_caps_save_cache(caps, cachedir, &err), 0);
        clock_gettime(CLOCK_MONOTONIC, &t0);
        assert_int_equal(vk_qemu_caps_load_cache(cachedir, bin, 0, &loaded, &err), 1);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        print_message("cache load: %.3f ms\n",
                      (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6);
        assert_true(vk_qemu_caps_equal(caps, loaded));
        assert_string_equal(vk_qemu_caps_canonical_machine(loaded, "q35"), "pc-q35-7.2");
        assert_true(vk_qemu_caps_has(loaded, VK_QEMU_CAPS_DEVICE_JSON));
        assert_true(vk_qemu_caps_device_has_property(loaded, "virtio-net-pci", "host_mtu"));

        /* a changed binary is stale */
        assert_true(g_file_set_contents(bin, "a different qemu", -1, NULL));
        assert_int_equal(vk_qemu_caps_load_cache(cachedir, bin, 0, &none, &err), 0);
        assert_null(none);

        /* another virtkit version is stale */
        {
                g_autoptr(VkQemuCaps) fresh = NULL;
                g_autofree char *json = NULL;
                g_autofree char *other = NULL;
                g_autofree char *cached = NULL;
                g_autoptr(GDir) d = NULL;

                assert_int_equal(stat(bin, &st), 0);
                assert_int_equal(vk_qemu_caps_new_from_replies(text, bin, &st, &fresh, &err), 0);
                assert_int_equal(vk_qemu_caps_save_cache(fresh, cachedir, &err), 0);
                assert_int_equal(vk_qemu_caps_load_cache(cachedir, bin, 0, &none, &err), 1);
                none = vk_qemu_caps_unref(none);

                d = g_dir_open(cachedir, 0, NULL);
                cached = g_build_filename(cachedir, g_dir_read_name(d), NULL);
                assert_null(g_dir_read_name(d)); /* one file, no temp files left */
                assert_true(g_file_get_contents(cached, &json, NULL, NULL));
                assert_true(g_str_has_prefix(strstr(json, "\"virtkitVersion\""),
                                             "\"virtkitVersion\":\"" VK_VERSION "\""));
                other = g_strdup_printf("{\"virtkitVersion\":\"0.0.0-old\"%s",
                                        strstr(json, "\"virtkitVersion\"") +
                                                strlen("\"virtkitVersion\":\"" VK_VERSION "\""));
                assert_true(g_file_set_contents(cached, other, -1, NULL));
                assert_int_equal(vk_qemu_caps_load_cache(cachedir, bin, 0, &none, &err), 0);
                /* garbage is "no cache", not an error */
                assert_true(g_file_set_contents(cached, "{", -1, NULL));
                assert_int_equal(vk_qemu_caps_load_cache(cachedir, bin, 0, &none, &err), 0);
                (void) unlink(cached);
        }

        /* a missing binary is an error */
        (void) unlink(bin);
        assert_true(vk_qemu_caps_load_cache(cachedir, bin, 0, &none, &err) < 0);
        (void) rmdir(cachedir);
        (void) rmdir(dir);
}

/* ---- XML goldens ---- */

static void test_capabilities_xml(void **state) {
        g_autoptr(GPtrArray) qemus = recorded_qemus();

        for (guint i = 0; i < qemus->len; i++) {
                const VkGoldenQemu *q = qemus->pdata[i];
                g_autofree char *replies = g_path_get_basename(q->replies);
                g_autofree char *golden = qemu_golden(q, 0);
                g_autoptr(VkQemuCaps) caps = load_replies(replies);
                g_auto(VkError) err = VK_ERROR_INIT;
                g_autofree char *xml = NULL;
                VkQemuHostInfo host = {
                        .arch = q->arch,
                        .uuid = "00000000-0000-4000-8000-000000000001",
                };
                VkQemuSecModel secmodels[] = {
                        { "none", "0", NULL },
                        { "dac", "0", VK_STRV("kvm", "+77:+77", "qemu", "+77:+77") },
                };

                assert_int_equal(vk_qemu_caps_format_capabilities_xml(&host, &caps, 1, secmodels,
                                                                      VK_ELEMENTSOF(secmodels),
                                                                      &xml, &err),
                                 0);
                check_golden(golden, xml);
        }
}

/* The <host> of a SELinux and of an AppArmor host: the MAC model first (the security stack's
 * order), SELinux with the base labels of KVM and TCG domains, AppArmor with none. */
static void test_capabilities_xml_mac(void **state) {
        VkQemuHostInfo host = { .arch = "x86_64" };
        VkQemuSecModel selinux[] = {
                { "selinux", "0",
                  VK_STRV("kvm", "system_u:system_r:svirt_t:s0", "qemu",
                          "system_u:system_r:svirt_tcg_t:s0") },
                { "dac", "0", VK_STRV("kvm", "+107:+107", "qemu", "+107:+107") },
        };
        VkQemuSecModel apparmor[] = {
                { "apparmor", "0", NULL },
                { "dac", "0", VK_STRV("kvm", "+64055:+993", "qemu", "+64055:+993") },
        };
        g_auto(VkError) err = VK_ERROR_INIT;
        g_autofree char *se = NULL;
        g_autofree char *aa = NULL;

        assert_int_equal(vk_qemu_caps_format_capabilities_xml(&host, NULL, 0, selinux,
                                                              VK_ELEMENTSOF(selinux), &se, &err),
                         0);
        check_golden("caps_host_selinux.xml", se);
        assert_int_equal(vk_qemu_caps_format_capabilities_xml(&host, NULL, 0, apparmor,
                                                              VK_ELEMENTSOF(apparmor), &aa, &err),
                         0);
        check_golden("caps_host_apparmor.xml", aa);
}

static void test_domain_capabilities_xml(void **state) {
        g_autoptr(VkQemuCaps) caps = load_recorded();
        g_autoptr(GPtrArray) qemus = recorded_qemus();
        g_auto(VkError) err = VK_ERROR_INIT;
        char *bad = NULL;

        for (guint i = 0; i < qemus->len; i++) {
                const VkGoldenQemu *q = qemus->pdata[i];
                g_autofree char *replies = g_path_get_basename(q->replies);
                g_autofree char *q35_golden = qemu_golden(q, 1);
                g_autofree char *pc_golden = qemu_golden(q, 2);
                g_autoptr(VkQemuCaps) qcaps = load_replies(replies);
                g_autofree char *q35 = NULL;
                g_autofree char *pc = NULL;

                assert_int_equal(vk_qemu_caps_format_domain_capabilities_xml(qcaps, "q35", "kvm",
                                                                             &q35, &err),
                                 0);
                check_golden(q35_golden, q35);
                assert_int_equal(
                        vk_qemu_caps_format_domain_capabilities_xml(qcaps, "pc", "qemu", &pc, &err),
                        0);
                check_golden(pc_golden, pc);
        }

        assert_int_equal(
                vk_qemu_caps_format_domain_capabilities_xml(caps, "virt", "kvm", &bad, &err),
                -EOPNOTSUPP);
        assert_string_equal(err.name, VK_ERROR_NOT_SUPPORTED);
        vk_error_done(&err);
        assert_int_equal(vk_qemu_caps_format_domain_capabilities_xml(caps, NULL, "xen", &bad, &err),
                         -EOPNOTSUPP);
        assert_null(bad);
}

static void test_no_unused_data(void **state) {
        g_autofree char *dir = data_path("");
        g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
        g_autoptr(GPtrArray) qemus = recorded_qemus();
        const char *name;

        assert_non_null(d);
        while ((name = g_dir_read_name(d))) {
                bool used = false;
                for (size_t i = 0; i < VK_ELEMENTSOF(data_files); i++)
                        used = used || strcmp(data_files[i], name) == 0;
                for (guint i = 0; i < qemus->len; i++) {
                        const VkGoldenQemu *q = qemus->pdata[i];
                        g_autofree char *replies = g_path_get_basename(q->replies);

                        used = used || strcmp(replies, name) == 0;
                        for (size_t j = 0; j < VK_ELEMENTSOF(qemu_goldens); j++) {
                                g_autofree char *golden = qemu_golden(q, j);
                                used = used || strcmp(golden, name) == 0;
                        }
                }
                if (!used)
                        fail_msg("tests/data/qemucaps/%s is not used by any test", name);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_facts),
                cmocka_unit_test(test_flag_names),
                cmocka_unit_test(test_bad_replies),
                cmocka_unit_test(test_replay_probe),
                cmocka_unit_test(test_cache),
                cmocka_unit_test(test_capabilities_xml),
                cmocka_unit_test(test_capabilities_xml_mac),
                cmocka_unit_test(test_domain_capabilities_xml),
                cmocka_unit_test(test_no_unused_data),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
