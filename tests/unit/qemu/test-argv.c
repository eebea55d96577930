/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-argv.c: golden tests of the QEMU command line builder, plus its unit tests */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <glib/gstdio.h>

#include "macro.h"
#include "qemu-argv.h"
#include "vk-golden.h"

/*
 * Data ($VK_TEST_SRCDIR/data), for every recorded QEMU (qemucaps/caps_VERSION_ARCH.replies;
 * SUFFIX is its ".ARCH-MAJOR.MINOR", e.g. ".x86_64-7.2"):
 *
 *   qemuxml/NAME.xml                    input shared with test-domain-def
 *   qemuxml/NAME.SUFFIX.args            the command line built from it
 *   qemuargv/NAME.xml                   argv-only inputs (they must parse)
 *   qemuargv/NAME.SUFFIX.args           ... their command line, or
 *   qemuargv/NAME.SUFFIX.argv-err       the builder's expected error text, exact; NAME may
 *                                       also be a qemuxml input whose build fails (its
 *                                       .argv-err lives here so test-domain-def's unused-file
 *                                       check does not see it), or
 *   qemuargv/NAME.SUFFIX.argv-skip      no golden for this QEMU: the case is skipped with
 *                                       the file's text as the reason
 *
 * An .args file: the environment, one variable a line, then the binary, then one line per
 * option with its arguments (a word starting with '-' starts a line), lines joined by " \",
 * words quoted with single quotes where the shell needs it. `sh` can run it as it is.
 *
 * Every input that parses gets exactly one of .args/.argv-err/.argv-skip per recorded QEMU; a
 * golden without an input, for an input that does not parse, or for a QEMU that is not
 * recorded, fails the suite. A second QEMU is a data change: its .replies file and the
 * goldens (VK_TEST_REGENERATE=1 writes them). The config is the system defaults, the
 * per-start options fixed below. The unit tests use the oldest recorded QEMU.
 */

#define EMULATOR    "/usr/bin/qemu-system-x86_64"
#define PRIVATE_DIR "/run/vk-argv-test/domain"
#define SECRET_UUID "f52a81b2-424e-490c-823d-6bd4235bc572"

typedef struct Qemu {
        const VkGoldenQemu *rec;
        VkQemuCaps *caps;
} Qemu;

typedef struct Case {
        char *name;
        char *input;
        const Qemu *qemu;
        char *golden_args;
        char *golden_err;
        char *golden_skip;
} Case;

static char *xml_dir;
static char *argv_dir;
static VkQemuCaps *caps; /* the oldest recorded QEMU's, for the unit tests */
static VkQemuConfig *config;
static const int tap_fds[] = { 100, 101, 102, 103, 104, 105, 106, 107 };
/* for domains named *vhost*: /dev/vhost-net fds for some taps (-1: none) */
static const int vhost_fds[] = { 200, -1, 202, -1, 204, -1, 206, -1 };

/* the CD-ROM drives of the test host, as libvirt's tests mock them */
static const char *const host_cdroms[] = { "/dev/cdrom", NULL };

static const VkQemuArgvSecret secrets[] = {
        { SECRET_UUID, "dmlydGtpdC10ZXN0LWNpcGhlcnRleHQ=", "AAECAwQFBgcICQoLDA0ODw==" },
};

/* the SMBIOS strings of the test host, for <smbios mode='host'/> (its UUID is never passed on) */
static const VkDomainSysinfo host_sysinfo = {
        .bios = { { "SeaBIOS", "1.16.0-3", "04/01/2014", "0.0" } },
        .system = { { "QEMU", "Standard PC (Q35 + ICH9, 2009)", "pc-q35-7.2", NULL,
                      "1b4e28ba-2fa1-11d2-883f-0016d3cca427" } },
        .has_bios = true,
        .has_system = true,
};

/* The fixed per-start values; volumes resolve to /var/lib/vk-test/pools/POOL/VOLUME. */
static void fill_opts(const VkDomainDef *def, VkQemuArgvOptions *opts, GPtrArray *keep,
                      GArray *volumes) {
        for (size_t i = 0; i < def->n_disks; i++) {
                const VkDomainDisk *d = def->disks[i];
                VkQemuArgvVolume v = {};
                char *path;

                if (d->type != VK_DISK_TYPE_VOLUME)
                        continue;
                path = g_strdup_printf("/var/lib/vk-test/pools/%s/%s", d->src_pool, d->src_volume);
                g_ptr_array_add(keep, path);
                v.pool = d->src_pool;
                v.volume = d->src_volume;
                v.path = path;
                g_array_append_val(volumes, v);
        }
        *opts = (VkQemuArgvOptions){
                .private_dir = PRIVATE_DIR,
                .tap_fds = tap_fds,
                .n_tap_fds = G_N_ELEMENTS(tap_fds),
                .vhost_fds = strstr(def->name, "vhost") ? vhost_fds : NULL,
                .secrets = secrets,
                .n_secrets = G_N_ELEMENTS(secrets),
                .volumes = (const VkQemuArgvVolume *) volumes->data,
                .n_volumes = volumes->len,
                .vnc_port = 5900,
                .vnc_websocket_port = 5700,
                .spice_port = 5901,
                .now = 1700000000,
                .localtime_offset = 3600,
                .genid = "7f4b6b8e-2c1d-4a5e-9f3b-0d6c8a1e2b4f",
                .host_cdroms = host_cdroms,
                .has_vsock_fd = def->vsock != NULL,
                .vsock_fd = 300,
                .vsock_cid = 42,
                .host_sysinfo = &host_sysinfo,
        };
}

static int build_with(const VkDomainDef *def, const VkQemuCaps *with, VkQemuCommand **ret,
                      VkError *err) {
        g_autoptr(GPtrArray) keep = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(GArray) volumes = g_array_new(FALSE, TRUE, sizeof(VkQemuArgvVolume));
        VkQemuArgvOptions opts;

        fill_opts(def, &opts, keep, volumes);
        return vk_qemu_build_command(def, with, config, &opts, ret, err);
}

static int build(const VkDomainDef *def, VkQemuCommand **ret, VkError *err) {
        return build_with(def, caps, ret, err);
}

static VkDomainDef *parse_input(const char *path) {
        g_autofree char *xml = vk_golden_read(path);
        g_auto(VkError) err = VK_ERROR_INIT;
        VkDomainDef *def = NULL;

        assert_non_null(xml);
        vk_golden_random_seed(42);
        if (vk_domain_def_parse_string(xml, /* flags= */ 0, &def, &err) < 0)
                return NULL;
        return def;
}

static void test_golden(void **state) {
        const Case *c = *state;
        g_autoptr(VkDomainDef) def = parse_input(c->input);
        g_autoptr(VkQemuCommand) cmd = NULL;
        g_autoptr(VkQemuCommand) cmd2 = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        g_autofree char *args = NULL;
        g_autofree char *args2 = NULL;
        g_autofree char *expected = NULL;
        g_autofree char *native = NULL;
        bool expect_err = g_file_test(c->golden_err, G_FILE_TEST_EXISTS);
        g_autofree char *skip_reason = vk_golden_read(c->golden_skip);

        if (!def)
                fail_msg("%s: input does not parse", c->name);
        if (skip_reason) {
                if (expect_err || g_file_test(c->golden_args, G_FILE_TEST_EXISTS))
                        fail_msg("%s: marked %s, but has a golden too", c->name, c->golden_skip);
                print_message("%s: skipped for this QEMU: %s", c->name, skip_reason);
                skip();
        }

        if (build_with(def, c->qemu->caps, &cmd, &err) < 0) {
                g_autofree char *text = g_strdup_printf("%s\n", err.message);

                assert_null(cmd);
                if (vk_golden_regenerate()) {
                        vk_golden_write(c->golden_err, text);
                        (void) g_unlink(c->golden_args);
                        return;
                }
                expected = vk_golden_read(c->golden_err);
                if (!expected)
                        fail_msg("%s: unexpected error: %s", c->name, err.message);
                assert_string_equal(text, expected);
                return;
        }

        args = vk_qemu_command_to_lines(cmd);
        if (vk_golden_regenerate()) {
                vk_golden_write(c->golden_args, args);
                (void) g_unlink(c->golden_err);
                return;
        }
        if (expect_err)
                fail_msg("%s: expected an error, got a command line", c->name);
        expected = vk_golden_read(c->golden_args);
        if (!expected)
                fail_msg("%s: missing golden %s", c->name, c->golden_args);
        assert_string_equal(args, expected);

        /* pure: a second build gives the same bytes */
        assert_int_equal(build_with(def, c->qemu->caps, &cmd2, &err), 0);
        args2 = vk_qemu_command_to_lines(cmd2);
        assert_string_equal(args, args2);

        native = vk_qemu_command_to_native(cmd);
        assert_true(g_str_has_prefix(native, "LC_ALL=C PATH="));
        assert_non_null(strstr(native, cmd->binary));
}

/* Every file of both directories belongs to a case, and every parsed input has a golden. */
/* qemuxml/ holds test-domain-def's files too: only its .args goldens are ours */
static bool argv_exempt(const char *dir, const char *name) {
        return strcmp(dir, xml_dir) == 0 && !g_str_has_suffix(name, ".args");
}

static void test_unused_files(void **state) {
        vk_golden_check_unused(xml_dir, argv_exempt);
        vk_golden_check_unused(argv_dir, NULL);
}

/* ---- unit tests ------------------------------------------------------------------------- */

static VkDomainDef *parse_ok(const char *xml) {
        g_auto(VkError) err = VK_ERROR_INIT;
        VkDomainDef *def = NULL;

        vk_golden_random_seed(1);
        if (vk_domain_def_parse_string(xml, 0, &def, &err) < 0)
                fail_msg("parse failed: %s", err.message);
        return def;
}

#define HEAD                                                                                       \
        "<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>"             \
        "<name>t</name><uuid>0f8e2c6a-5d1b-4e7f-8a9c-3b2d1e0f4a5b</uuid>"                          \
        "<memory>1024</memory><os><type>hvm</type></os>"

static void test_native(void **state) {
        g_autoptr(VkDomainDef) def = parse_ok(
                HEAD "<qemu:commandline><qemu:arg value='-set'/><qemu:arg value=\"it's x\"/>"
                     "<qemu:env name='A' value='b c'/><qemu:env name='EMPTY'/>"
                     "</qemu:commandline></domain>");
        g_autoptr(VkQemuCommand) cmd = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        g_autofree char *native = NULL;

        assert_int_equal(build(def, &cmd, &err), 0);
        assert_string_equal(cmd->argv[0], EMULATOR);
        assert_string_equal(cmd->binary, EMULATOR);
        assert_string_equal(cmd->env[0], "LC_ALL=C");
        assert_string_equal(cmd->env[2], "HOME=" PRIVATE_DIR);
        assert_string_equal(cmd->env[3], "XDG_DATA_HOME=" PRIVATE_DIR "/.local/share");
        assert_string_equal(cmd->env[4], "XDG_CACHE_HOME=" PRIVATE_DIR "/.cache");
        assert_string_equal(cmd->env[5], "XDG_CONFIG_HOME=" PRIVATE_DIR "/.config");
        assert_string_equal(cmd->env[6], "A=b c");
        assert_string_equal(cmd->env[7], "EMPTY=");
        assert_null(cmd->env[8]);

        native = vk_qemu_command_to_native(cmd);
        assert_true(g_str_has_prefix(
                native, "LC_ALL=C PATH=" VK_QEMU_ARGV_DEFAULT_PATH " HOME=" PRIVATE_DIR
                        " XDG_DATA_HOME=" PRIVATE_DIR "/.local/share XDG_CACHE_HOME=" PRIVATE_DIR
                        "/.cache XDG_CONFIG_HOME=" PRIVATE_DIR "/.config A='b c' EMPTY= " EMULATOR
                        " -name guest=t,debug-threads=on -S "
                        "-object '{\"qom-type\":\"secret\""));
        /* qemu:commandline comes before -sandbox and -msg, as libvirt puts it */
        assert_true(g_str_has_suffix(native, " -set 'it'\\''s x' -sandbox "
                                             "on,obsolete=deny,elevateprivileges=deny,spawn=deny,"
                                             "resourcecontrol=deny -msg timestamp=on"));
}

static void test_from_native(void **state) {
        g_auto(VkError) err = VK_ERROR_INIT;

        assert_int_equal(vk_qemu_command_from_native("LC_ALL=C /usr/bin/qemu -S", &err),
                         -EOPNOTSUPP);
        assert_string_equal(err.name, VK_ERROR_NOT_SUPPORTED);
        assert_non_null(strstr(err.message, "removed"));
}

static void test_missing_inputs(void **state) {
        g_autoptr(VkDomainDef) def =
                parse_ok(HEAD "<devices><interface type='network'><source network='default'/>"
                              "</interface></devices></domain>");
        g_autoptr(VkDomainDef) vol =
                parse_ok(HEAD "<devices><disk type='volume'><source pool='p' volume='v'/>"
                              "<target dev='vda' bus='virtio'/></disk></devices></domain>");
        g_autoptr(VkQemuCommand) cmd = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        VkQemuArgvOptions opts = { .private_dir = PRIVATE_DIR };

        assert_int_equal(vk_qemu_build_command(def, caps, config, &opts, &cmd, &err), -EBADF);
        assert_null(cmd);
        assert_string_equal(err.message,
                            "interface 'net0' (network 'default'): no tap fd was passed for it");
        vk_error_done(&err);

        assert_int_equal(vk_qemu_build_command(vol, caps, config, &opts, &cmd, &err), -ENOENT);
        assert_non_null(strstr(err.message, "volume 'v' of pool 'p'"));
        vk_error_done(&err);

        opts.private_dir = "relative";
        assert_int_equal(vk_qemu_build_command(def, caps, config, &opts, &cmd, &err), -EINVAL);
        assert_null(cmd);
}

static void test_deprecation_config(void **state) {
        g_autoptr(VkDomainDef) def = parse_ok(HEAD "</domain>");
        g_autoptr(VkDomainDef) dom = parse_ok(HEAD "<qemu:deprecation behavior='omit'/></domain>");
        g_autoptr(VkQemuConfig) cfg = vk_qemu_config_new(VK_INSTANCE_SYSTEM);
        g_autoptr(VkQemuCommand) cmd = NULL;
        g_autoptr(VkQemuCommand) cmd2 = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        g_autofree char *native = NULL;
        g_autofree char *native2 = NULL;
        VkQemuArgvOptions opts = { .private_dir = PRIVATE_DIR };

        cfg->deprecation_behavior = VK_DEPRECATION_REJECT;
        assert_int_equal(vk_qemu_build_command(def, caps, cfg, &opts, &cmd, &err), 0);
        native = vk_qemu_command_to_native(cmd);
        assert_non_null(strstr(native, " -compat '{\"deprecated-output\":\"hide\","
                                       "\"deprecated-input\":\"reject\"}' "));

        /* the domain's qemu:deprecation wins over qemu.conf */
        assert_int_equal(vk_qemu_build_command(dom, caps, cfg, &opts, &cmd2, &err), 0);
        native2 = vk_qemu_command_to_native(cmd2);
        assert_non_null(strstr(native2, " -compat '{\"deprecated-output\":\"hide\"}' "));
}

static char *json_text(JsonObject *o) {
        g_autoptr(JsonNode) n = json_node_new(JSON_NODE_OBJECT);
        g_autoptr(JsonGenerator) gen = json_generator_new();

        json_node_set_object(n, o);
        json_generator_set_root(gen, n);
        return json_generator_to_data(gen, NULL);
}

/* A hotplugged disk gets the command line's own -blockdev/-device JSON, with the node number
 * a hotplug fixed (node_index) instead of the one its position would give. */
static void test_disk_hotplug(void **state) {
        g_autoptr(VkDomainDef) def = parse_ok(
                HEAD "<devices><disk type='file' device='disk'><driver name='qemu' type='raw'/>"
                     "<source file='/img/a.img'/><target dev='vda' bus='virtio'/></disk>"
                     "<controller type='scsi' model='virtio-scsi'/>"
                     "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
                     "<source file='/img/b.qcow2'/><backingStore/>"
                     "<target dev='sdb' bus='scsi'/></disk></devices></domain>");
        g_autoptr(VkQemuCommand) cmd = NULL;
        g_autoptr(GPtrArray) nodes = NULL;
        g_autoptr(JsonObject) device = NULL;
        g_autofree char *alias = NULL;
        g_autofree char *dev_text = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        VkQemuArgvOptions opts = { .private_dir = PRIVATE_DIR };
        bool seen[2] = {};

        assert_int_equal(vk_qemu_build_command(def, caps, config, &opts, &cmd, &err), 0);
        assert_int_equal(vk_qemu_argv_disk_hotplug(def, 1, caps, config, &opts, &nodes, &device,
                                                   &alias, &err),
                         0);
        assert_string_equal(alias, "scsi0-0-0-1");
        assert_int_equal(nodes->len, 2);
        assert_string_equal(json_object_get_string_member(nodes->pdata[0], "node-name"),
                            "libvirt-1-storage");
        assert_string_equal(json_object_get_string_member(nodes->pdata[1], "node-name"),
                            "libvirt-1-format");
        /* the same JSON as on the command line */
        for (guint k = 0; k < 2; k++) {
                g_autofree char *text = json_text(nodes->pdata[k]);

                for (size_t i = 0; cmd->argv[i]; i++)
                        seen[k] = seen[k] || strcmp(cmd->argv[i], text) == 0;
                assert_true(seen[k]);
        }
        dev_text = json_text(device);
        assert_non_null(strstr(dev_text, "\"driver\":\"scsi-hd\""));
        assert_non_null(strstr(dev_text, "\"drive\":\"libvirt-1-format\""));
        assert_non_null(strstr(dev_text, "\"id\":\"scsi0-0-0-1\""));
        g_clear_pointer(&nodes, g_ptr_array_unref);
        g_clear_pointer(&device, json_object_unref);
        g_clear_pointer(&alias, g_free);

        /* a fixed number wins over the position (vda would be libvirt-2) */
        def->disks[0]->node_index = 7;
        assert_int_equal(vk_qemu_argv_disk_node(def, 0), 7);
        assert_int_equal(vk_qemu_argv_disk_hotplug(def, 0, caps, config, &opts, &nodes, &device,
                                                   &alias, &err),
                         0);
        assert_string_equal(alias, "virtio-disk0");
        assert_string_equal(json_object_get_string_member(nodes->pdata[1], "node-name"),
                            "libvirt-7-format");
        assert_string_equal(json_object_get_string_member(device, "drive"), "libvirt-7-format");
}

static void test_vnc_unix_socket(void **state) {
        g_autoptr(VkDomainDef) def =
                parse_ok(HEAD "<devices><graphics type='vnc'/></devices></domain>");
        g_autoptr(VkQemuConfig) cfg = vk_qemu_config_new(VK_INSTANCE_SYSTEM);
        g_autoptr(VkQemuCommand) cmd = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        g_autofree char *native = NULL;
        VkQemuArgvOptions opts = { .private_dir = PRIVATE_DIR };

        /* no port was given, and none is needed for a UNIX socket */
        cfg->vnc_auto_unix_socket = true;
        assert_int_equal(vk_qemu_build_command(def, caps, cfg, &opts, &cmd, &err), 0);
        native = vk_qemu_command_to_native(cmd);
        assert_non_null(strstr(native, " -vnc unix:" PRIVATE_DIR "/vnc.sock,audiodev=audio1 "));
}

/* ---- registration ----------------------------------------------------------------------- */

static void case_free(gpointer p) {
        Case *c = p;

        g_free(c->name);
        g_free(c->input);
        g_free(c->golden_args);
        g_free(c->golden_err);
        g_free(c->golden_skip);
        g_free(c);
}

static gint case_cmp(gconstpointer a, gconstpointer b) {
        const Case *x = *(Case *const *) a, *y = *(Case *const *) b;
        int r = strcmp(x->input, y->input);

        return r != 0 ? r : strverscmp(x->qemu->rec->version, y->qemu->rec->version);
}

/* Cases of @dir, one per recorded QEMU; qemuxml cases keep their .argv-err in qemuargv. */
static void collect_cases(const char *dir, GPtrArray *cases, const Qemu *qemus, guint n_qemus) {
        g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
        const char *f;

        if (!d)
                return;
        while ((f = g_dir_read_name(d))) {
                g_autofree char *name = NULL;
                g_autofree char *input = NULL;
                g_autoptr(VkDomainDef) def = NULL;

                if (!g_str_has_suffix(f, ".xml") || strchr(f, '.') != strrchr(f, '.'))
                        continue;
                name = g_strndup(f, strlen(f) - 4);
                input = g_build_filename(dir, f, NULL);
                vk_golden_mark_used(input);

                def = parse_input(input);
                if (!def && dir == xml_dir)
                        continue; /* test-domain-def owns inputs that do not parse */
                for (guint i = 0; i < n_qemus; i++) {
                        const char *suffix = qemus[i].rec->suffix;
                        Case *c = g_new0(Case, 1);

                        c->name = g_strdup_printf("%s%s%s", dir == argv_dir ? "qemuargv/" : "",
                                                  name, suffix);
                        c->input = g_strdup(input);
                        c->qemu = &qemus[i];
                        c->golden_args = g_strdup_printf("%s/%s%s.args", dir, name, suffix);
                        c->golden_err = g_strdup_printf("%s/%s%s.argv-err", argv_dir, name, suffix);
                        c->golden_skip =
                                g_strdup_printf("%s/%s%s.argv-skip", argv_dir, name, suffix);
                        vk_golden_mark_used(c->golden_args);
                        vk_golden_mark_used(c->golden_err);
                        vk_golden_mark_used(c->golden_skip);
                        g_ptr_array_add(cases, c);
                }
        }
}

int main(void) {
        g_autoptr(GPtrArray) cases = g_ptr_array_new_with_free_func(case_free);
        g_autoptr(GArray) tests = g_array_new(FALSE, TRUE, sizeof(struct CMUnitTest));
        g_autoptr(GPtrArray) test_names = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(GPtrArray) recorded = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        g_autofree Qemu *qemus = NULL;
        const char *srcdir = getenv("VK_TEST_SRCDIR");
        int r;

        if (!srcdir) {
                fprintf(stderr, "VK_TEST_SRCDIR is not set\n");
                return 1;
        }
        xml_dir = g_build_filename(srcdir, "data", "qemuxml", NULL);
        argv_dir = g_build_filename(srcdir, "data", "qemuargv", NULL);
        vk_golden_init();
        vk_domain_def_set_random_source(vk_golden_random);

        recorded = vk_golden_qemus();
        if (!recorded)
                return 1;
        qemus = g_new0(Qemu, recorded->len);
        for (guint i = 0; i < recorded->len; i++) {
                const VkGoldenQemu *rec = recorded->pdata[i];
                g_autofree char *replies = vk_golden_read(rec->replies);

                qemus[i].rec = rec;
                if (!replies || vk_qemu_caps_new_from_replies(replies, EMULATOR, NULL,
                                                              &qemus[i].caps, &err) < 0) {
                        fprintf(stderr, "cannot load %s: %s\n", rec->replies,
                                vk_strempty(err.message));
                        return 1;
                }
        }
        caps = qemus[0].caps;
        config = vk_qemu_config_new(VK_INSTANCE_SYSTEM);

        collect_cases(xml_dir, cases, qemus, recorded->len);
        collect_cases(argv_dir, cases, qemus, recorded->len);
        g_ptr_array_sort(cases, case_cmp);

#define ADD(fn, label, st)                                                                         \
        do {                                                                                       \
                struct CMUnitTest t = cmocka_unit_test_prestate(fn, st);                           \
                char *nm = g_strdup(label);                                                        \
                g_ptr_array_add(test_names, nm);                                                   \
                t.name = nm;                                                                       \
                g_array_append_val(tests, t);                                                      \
        } while (0)

        ADD(test_native, "native", NULL);
        ADD(test_from_native, "from-native", NULL);
        ADD(test_missing_inputs, "missing-inputs", NULL);
        ADD(test_deprecation_config, "deprecation-config", NULL);
        ADD(test_vnc_unix_socket, "vnc-unix-socket", NULL);
        ADD(test_disk_hotplug, "disk-hotplug", NULL);
        for (guint i = 0; i < cases->len; i++) {
                Case *c = cases->pdata[i];
                g_autofree char *label = g_strdup_printf("%s:argv", c->name);

                ADD(test_golden, label, c);
        }
        if (!vk_golden_regenerate())
                ADD(test_unused_files, "unused-files", NULL);

        r = _cmocka_run_group_tests("argv", (struct CMUnitTest *) tests->data, tests->len, NULL,
                                    NULL);

        for (guint i = 0; i < recorded->len; i++)
                vk_qemu_caps_unref(qemus[i].caps);
        vk_qemu_config_free(config);
        g_free(xml_dir);
        g_free(argv_dir);
        return r;
}
