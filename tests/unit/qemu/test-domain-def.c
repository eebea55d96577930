/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-domain-def.c: golden tests of domain XML parse/format, plus model unit tests */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <glib/gstdio.h>

#include "qemu-domain-def.h"
#include "vk-golden.h"

/*
 * Data: tests/data/qemuxml/ (from $VK_TEST_SRCDIR).
 *
 *   NAME.xml                  input (no other dot in NAME)
 *   NAME.out.xml              expected inactive format of the parsed input
 *   NAME.err                  expected error text instead, exact
 *   NAME.ARCH-VERSION.args    argv goldens, one per recorded QEMU: owned by the argv test
 *                             (test-argv), which fails on its own when an .args has no
 *                             input; here an .args file counts as used when NAME.xml exists
 *
 * The model does not depend on the QEMU (no capabilities go into parse or format), so its
 * goldens carry no QEMU version.
 *
 * Stages per case: "parse" (succeeds, or fails with the .err text), "format" (matches the
 * golden), "reparse" (the golden parses and formats to the same bytes, so the model
 * round-trips, and vk_domain_def_copy() of it formats to the same bytes too). VK_TEST_REGENERATE=1
 * rewrites .xml/.err goldens from the current output. The last test fails if any file of the
 * directory was not used.
 */

static char *data_dir;

static int domain_parse(const char *xml, void **ret, VkError *err) {
        return vk_domain_def_parse_string(xml, /* flags= */ 0, (VkDomainDef **) ret, err);
}

static char *domain_format(void *obj) {
        g_auto(VkError) err = VK_ERROR_INIT;
        char *xml = NULL;

        assert_int_equal(vk_domain_def_format(obj, /* flags= */ 0, &xml, &err), 0);
        return xml;
}

static void domain_free(void *obj) {
        vk_domain_def_free(obj);
}

/*
 * The post-parse of a formatted definition is a no-op (parse without it: same bytes), and the
 * live and secure forms format too (no golden: they differ by flags only).
 */
static void domain_reparse_more(const char *name, const char *golden, void *obj) {
        g_autoptr(VkDomainDef) def2 = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;
        g_autofree char *xml2 = NULL, *live = NULL;

        if (vk_domain_def_parse_string(golden, VK_DOMAIN_DEF_PARSE_SKIP_POST_PARSE, &def2, &err) <
            0)
                fail_msg("%s: %s", name, err.message);
        assert_int_equal(vk_domain_def_format(def2, 0, &xml2, &err), 0);
        assert_string_equal(xml2, golden);
        assert_int_equal(
                vk_domain_def_format(obj, VK_DOMAIN_DEF_FORMAT_LIVE | VK_DOMAIN_DEF_FORMAT_SECURE,
                                     &live, &err),
                0);
        assert_non_null(live);

        /* the copy formats the same in every form, and shares nothing (freed on its own) */
        for (unsigned flags = 0; flags <= (VK_DOMAIN_DEF_FORMAT_LIVE | VK_DOMAIN_DEF_FORMAT_SECURE);
             flags++) {
                g_autoptr(VkDomainDef) copy = vk_domain_def_copy(obj);
                g_autofree char *want = NULL, *got = NULL;

                assert_int_equal(vk_domain_def_format(obj, flags, &want, &err), 0);
                assert_int_equal(vk_domain_def_format(copy, flags, &got, &err), 0);
                assert_string_equal(got, want);
        }
}

static const VkGoldenXml domain_golden = {
        .subdir = "qemuxml",
        .out_suffix = ".out.xml",
        .err_suffix = ".err",
        .parse = domain_parse,
        .format = domain_format,
        .free = domain_free,
        .reparse_more = domain_reparse_more,
};

/* argv goldens belong to test-argv: used when their input exists (test-argv fails for an
 * .args without input) */
static bool domain_def_exempt(const char *dir, const char *name) {
        g_autofree char *stem = NULL, *input = NULL;

        if (!g_str_has_suffix(name, ".args") || !strchr(name, '.'))
                return false;
        stem = g_strndup(name, strcspn(name, "."));
        input = g_strdup_printf("%s/%s.xml", dir, stem);
        return vk_golden_is_used(input);
}

/* ---- model unit tests ------------------------------------------------------------------- */

static VkDomainDef *parse_ok(const char *xml, unsigned flags) {
        VkDomainDef *def = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;

        vk_golden_random_seed(1);
        if (vk_domain_def_parse_string(xml, flags, &def, &err) < 0)
                fail_msg("parse failed: %s", err.message);
        return def;
}

static char *parse_err(const char *xml) {
        VkDomainDef *def = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;

        vk_golden_random_seed(1);
        assert_true(vk_domain_def_parse_string(xml, 0, &def, &err) < 0);
        assert_null(def);
        return g_strdup(err.message);
}

#define MINIMAL_HEAD                                                                               \
        "<domain type='kvm'><name>t</name><memory>1024</memory><os><type>hvm</type></os>"

static void test_enums(void **state) {
        assert_string_equal(vk_disk_cache_to_string(VK_DISK_CACHE_WRITEBACK), "writeback");
        assert_int_equal(vk_disk_cache_from_string("unsafe"), VK_DISK_CACHE_UNSAFE);
        assert_int_equal(vk_disk_bus_from_string("nope"), _VK_DISK_BUS_INVALID);
        assert_null(vk_disk_bus_to_string(_VK_DISK_BUS_MAX));
        assert_null(vk_disk_bus_to_string(_VK_DISK_BUS_INVALID));
        assert_int_equal(vk_lifecycle_action_from_string("coredump-restart"),
                         VK_LIFECYCLE_COREDUMP_RESTART);
        assert_string_equal(vk_controller_model_to_string(VK_CONTROLLER_MODEL_USB_NONE), "none");
        for (int i = 0; i < _VK_OVERRIDE_MAX; i++)
                assert_int_equal(vk_override_type_from_string(vk_override_type_to_string(i)), i);
        assert_null(vk_domain_arch_to_string(VK_DOMAIN_ARCH_NONE));
}

static void test_machine_kind(void **state) {
        VkMachineKind k = _VK_MACHINE_INVALID;

        assert_int_equal(vk_domain_machine_kind_from_name("pc-i440fx-7.2", &k), 0);
        assert_int_equal(k, VK_MACHINE_PC);
        assert_int_equal(vk_domain_machine_kind_from_name("pc-q35-7.2", &k), 0);
        assert_int_equal(k, VK_MACHINE_Q35);
        assert_int_equal(vk_domain_machine_kind_from_name("virt", &k), -EOPNOTSUPP);
        assert_int_equal(k, VK_MACHINE_Q35); /* untouched on failure */
        {
                VkDomainDef d = {};

                assert_int_equal(vk_domain_def_assign_addresses(&d, _VK_MACHINE_MAX, NULL),
                                 -EOPNOTSUPP);
        }
}

static void test_mac(void **state) {
        uint8_t mac[6] = { 1, 2, 3, 4, 5, 6 };
        char buf[18];

        assert_int_equal(vk_domain_mac_parse("52:54:00:AB:cd:0f", mac), 0);
        vk_domain_mac_format(mac, buf);
        assert_string_equal(buf, "52:54:00:ab:cd:0f");
        assert_int_equal(vk_domain_mac_parse("01:54:00:ab:cd:0f", mac), -EINVAL); /* multicast */
        assert_int_equal(vk_domain_mac_parse("52:54:00:ab:cd", mac), -EINVAL);
        assert_int_equal(vk_domain_mac_parse("52-54-00-ab-cd-0f", mac), -EINVAL);
        assert_int_equal(mac[0], 0x52);
}

static void test_memory_units(void **state) {
        static const struct {
                const char *unit;
                const char *value;
                unsigned long long kib;
        } t[] = {
                { "b", "1", 1 },          { "bytes", "2048", 2 },     { "KB", "1024", 1000 },
                { "k", "7", 7 },          { "KiB", "7", 7 },          { "MB", "1", 977 },
                { "M", "1", 1024 },       { "MiB", "2", 2048 },       { "GB", "1", 976563 },
                { "G", "1", 1048576 },    { "GiB", "1", 1048576 },    { "TB", "1", 976562500 },
                { "T", "1", 1073741824 }, { "TiB", "1", 1073741824 },
        };

        for (size_t i = 0; i < G_N_ELEMENTS(t); i++) {
                g_autofree char *xml = g_strdup_printf(
                        "<domain type='qemu'><name>t</name><memory unit='%s'>%s</memory>"
                        "<os><type>hvm</type></os></domain>",
                        t[i].unit, t[i].value);
                g_autoptr(VkDomainDef) def = parse_ok(xml, 0);

                assert_int_equal(def->memory_kib, t[i].kib);
                assert_int_equal(def->current_memory_kib, t[i].kib);
        }
}

static void test_model_fields(void **state) {
        g_autoptr(VkDomainDef) def =
                parse_ok("<domain type='kvm'><name>m</name><memory unit='MiB'>512</memory>"
                         "<vcpu current='1'>2</vcpu>"
                         "<os><type arch='x86_64' machine='q35'>hvm</type></os>"
                         "<devices><disk type='file' device='disk'><source file='/a.img'/>"
                         "<target dev='vda' bus='virtio'/><alias name='ua-disk0'/></disk>"
                         "<interface type='user'/></devices></domain>",
                         0);
        char uuid[VK_UUID_STRING_MAX];

        assert_string_equal(def->name, "m");
        assert_int_equal(def->memory_kib, 524288);
        assert_int_equal(def->vcpus, 2);
        assert_int_equal(def->vcpus_current, 1);
        assert_int_equal(def->machine_kind, VK_MACHINE_Q35);
        assert_int_equal(def->n_disks, 1);
        assert_string_equal(def->disks[0]->info.alias, "ua-disk0");
        assert_true(def->disks[0]->info.alias_is_user);
        assert_int_equal(def->disks[0]->info.addr.type, VK_ADDRESS_PCI);
        assert_int_equal(def->n_nets, 1);
        assert_true(def->nets[0]->mac_generated);
        assert_int_equal(def->nets[0]->mac[0], 0x52);
        assert_non_null(def->memballoon);
        assert_false(vk_uuid_is_null(&def->uuid));
        vk_uuid_format(&def->uuid, uuid);
        assert_int_equal(uuid[14], '4'); /* version 4 */
        assert_non_null(vk_domain_def_find_controller(def, VK_CONTROLLER_PCI, 0));
        assert_null(vk_domain_def_find_controller(def, VK_CONTROLLER_IDE, 0));
        assert_false(def->tainted_custom_argv);
}

static void test_skip_post_parse(void **state) {
        g_autoptr(VkDomainDef) def = parse_ok(MINIMAL_HEAD "<devices><disk type='file'>"
                                                           "<source file='/a'/><target dev='hda'/>"
                                                           "</disk></devices></domain>",
                                              VK_DOMAIN_DEF_PARSE_SKIP_POST_PARSE);

        assert_int_equal(def->n_controllers, 0);
        assert_int_equal(def->n_inputs, 0);
        assert_null(def->memballoon);
        assert_int_equal(def->disks[0]->bus, VK_DISK_BUS_NONE);
        assert_int_equal(vk_domain_def_post_parse(def, NULL), 0);
        assert_int_equal(def->disks[0]->bus, VK_DISK_BUS_IDE);
        assert_int_equal(def->disks[0]->info.addr.type, VK_ADDRESS_DRIVE);
}

static void test_format_flags(void **state) {
        g_autoptr(VkDomainDef) def =
                parse_ok("<domain type='kvm' id='7'><name>f</name><memory>1024</memory>"
                         "<os><type>hvm</type></os><devices>"
                         "<graphics type='vnc' passwd='s3cret'/>"
                         "<disk type='file' device='disk'><source file='/a'/><target dev='vda'/>"
                         "<alias name='virtio-disk0'/></disk>"
                         "</devices>"
                         "<seclabel type='dynamic' model='selinux'><label>system_u:a</label>"
                         "<imagelabel>system_u:b</imagelabel></seclabel></domain>",
                         VK_DOMAIN_DEF_PARSE_LIVE);
        g_autofree char *inactive = NULL, *live = NULL, *secure = NULL;

        assert_int_equal(def->id, 7);
        assert_int_equal(vk_domain_def_format(def, 0, &inactive, NULL), 0);
        assert_int_equal(vk_domain_def_format(def, VK_DOMAIN_DEF_FORMAT_LIVE, &live, NULL), 0);
        assert_int_equal(vk_domain_def_format(def, VK_DOMAIN_DEF_FORMAT_SECURE, &secure, NULL), 0);

        assert_null(strstr(inactive, "id='7'"));
        assert_null(strstr(inactive, "passwd"));
        assert_null(strstr(inactive, "virtio-disk0"));
        assert_null(strstr(inactive, "system_u:a"));
        assert_non_null(strstr(live, "<domain type='kvm' id='7'>"));
        assert_non_null(strstr(live, "<alias name='virtio-disk0'/>"));
        assert_non_null(strstr(live, "<label>system_u:a</label>"));
        assert_non_null(strstr(live, "<imagelabel>system_u:b</imagelabel>"));
        assert_null(strstr(live, "passwd"));
        assert_non_null(strstr(secure, "passwd='s3cret'"));

        /* without the live flag the runtime data is dropped at parse time already */
        {
                g_autoptr(VkDomainDef) def2 = NULL;
                g_autofree char *live2 = NULL;

                def2 = parse_ok("<domain type='kvm' id='7'><name>f</name><memory>1024</memory>"
                                "<os><type>hvm</type></os><devices><disk type='file'>"
                                "<source file='/a'/><target dev='vda'/>"
                                "<alias name='virtio-disk0'/></disk></devices></domain>",
                                0);
                assert_int_equal(def2->id, -1);
                assert_null(def2->disks[0]->info.alias);
                assert_int_equal(
                        vk_domain_def_format(def2, VK_DOMAIN_DEF_FORMAT_LIVE, &live2, NULL), 0);
                assert_null(strstr(live2, "<domain type='kvm' id="));
        }
}

static void test_taint(void **state) {
        g_autoptr(VkDomainDef) def =
                parse_ok("<domain type='kvm' xmlns:q='http://libvirt.org/schemas/domain/qemu/1.0'>"
                         "<name>t</name><memory>1024</memory><os><type>hvm</type></os>"
                         "<q:commandline><q:arg value='-a'/><q:env name='X'/></q:commandline>"
                         "<q:deprecation behavior='omit'/></domain>",
                         0);
        g_autofree char *xml = NULL;

        assert_true(def->tainted_custom_argv);
        assert_true(def->tainted_deprecation);
        assert_false(def->tainted_custom_caps);
        assert_false(def->tainted_custom_device);
        assert_string_equal(def->qemu.args[0], "-a");
        assert_null(def->qemu.args[1]);
        assert_string_equal(def->qemu.env[0].name, "X");
        assert_null(def->qemu.env[0].value);
        assert_int_equal(def->qemu.deprecation, VK_DEPRECATION_OMIT);
        /* any prefix parses; ours is always qemu: */
        assert_int_equal(vk_domain_def_format(def, 0, &xml, NULL), 0);
        assert_non_null(strstr(xml, "xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'"));
        assert_non_null(strstr(xml, "<qemu:env name='X'/>"));
}

static void test_errors_misc(void **state) {
        g_autofree char *e1 = parse_err("<domain");
        g_autofree char *e2 = parse_err("");
        g_autofree char *e3 = parse_err("<!DOCTYPE d [<!ENTITY x 'y'>]><domain type='kvm'/>");
        g_autofree char *e4 = parse_err("<network/>");
        g_autoptr(VkDomainDef) def = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;

        assert_true(g_str_has_prefix(e1, "domain XML:1: "));
        assert_string_equal(e2, "domain XML: empty document");
        assert_string_equal(e3, "domain XML: a document type declaration is not allowed");
        assert_string_equal(e4, "/network: unsupported root element, expected <domain>");

        assert_true(vk_domain_def_parse_file("/nonexistent/x.xml", 0, &def, &err) < 0);
        assert_string_equal(err.name, VK_ERROR_SYSTEM);
}

static void test_parse_file(void **state) {
        g_autofree char *path = g_build_filename(data_dir, "minimal.xml", NULL);
        g_autoptr(VkDomainDef) def = NULL;
        g_auto(VkError) err = VK_ERROR_INIT;

        vk_golden_random_seed(1);
        if (vk_domain_def_parse_file(path, 0, &def, &err) < 0)
                fail_msg("%s", err.message);
        assert_non_null(def->name);
}

/* ---- registration ----------------------------------------------------------------------- */

int main(void) {
        VkGoldenTests *t = vk_golden_tests_new();
        int r;

        vk_domain_def_set_random_source(vk_golden_random);
        vk_golden_tests_add(t, test_enums, "enums", NULL);
        vk_golden_tests_add(t, test_machine_kind, "machine-kind", NULL);
        vk_golden_tests_add(t, test_mac, "mac", NULL);
        vk_golden_tests_add(t, test_memory_units, "memory-units", NULL);
        vk_golden_tests_add(t, test_model_fields, "model-fields", NULL);
        vk_golden_tests_add(t, test_skip_post_parse, "skip-post-parse", NULL);
        vk_golden_tests_add(t, test_format_flags, "format-flags", NULL);
        vk_golden_tests_add(t, test_taint, "taint", NULL);
        vk_golden_tests_add(t, test_errors_misc, "errors-misc", NULL);
        vk_golden_tests_add(t, test_parse_file, "parse-file", NULL);
        if (vk_golden_tests_add_xml(t, &domain_golden, &data_dir) < 0)
                return 1;
        r = vk_golden_tests_run(t, "domain-def", data_dir, domain_def_exempt);
        g_free(data_dir);
        return r;
}
